"""Discrete classes of spaCy's contextual token vectors: features of the attribution tagger.

The pipeline's ``tok2vec`` leaves a vector per token on ``doc.tensor`` (96 dimensions for
en_core_web_sm) that the tagger and parser read: it encodes the word in its context of
about four words either side. The CRF of :mod:`.tagger` takes discrete features, so each
vector is given the index of its nearest centroid, at two granularities (like Brown
clusters): ``FINE`` and ``COARSE`` k-means centroids fitted on PolNeAR train tokens by
:mod:`.train_clusters` and shipped as ``data/clusters.npz`` (float16). A verb of support
or stance that train never annotated as a cue can share a class with the ones it did.

A doc without a tensor of the centroids' width (a pipeline without ``tok2vec``, a doc read
back from a DocBin) gets no classes, and the tagger goes without these features.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from spacy.tokens import Doc
from threadpoolctl import ThreadpoolController

MODEL = Path(__file__).with_name("data") / "clusters.npz"
LEVELS = ("fine", "coarse")


@lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


@lru_cache(maxsize=1)
def centroids() -> dict[str, np.ndarray] | None:
    """level -> (k, dims) float32 centroids, or None without the data file."""
    if not MODEL.exists():
        return None
    with np.load(MODEL) as data:
        return {level: data[level].astype(np.float32) for level in LEVELS if level in data}


def _nearest(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    # |x - c|^2 = |x|^2 - 2 x.c + |c|^2; |x|^2 is the same for every centroid of a row
    return np.argmin((c * c).sum(axis=1)[None, :] - 2.0 * (x @ c.T), axis=1)


def assign(doc: Doc) -> dict[str, list[int]] | None:
    """level -> the class of every token of the doc, or None when the doc has no tensor
    of the centroids' width (or no centroids are installed)."""
    cents = centroids()
    tensor = doc.tensor
    if not cents or tensor is None or getattr(tensor, "ndim", 0) != 2 or \
            tensor.shape[0] != len(doc):
        return None
    x = np.asarray(tensor, dtype=np.float32)
    if any(c.shape[1] != x.shape[1] for c in cents.values()):
        return None
    # one BLAS thread: a few hundred rows a doc, where a second thread only spins (on 84
    # PolNeAR dev docs 1.1 s of CPU with OpenBLAS's two threads, 0.25 s with one)
    with _threadpools().limit(limits=1, user_api="blas"):
        return {level: _nearest(x, c).tolist() for level, c in cents.items()}
