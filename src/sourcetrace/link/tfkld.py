"""TF-KLD: discriminatively weighted, factorised sentence vectors for pairs of claims.

Ji & Eisenstein (2013, "Discriminative Improvements to Distributional Sentence Similarity")
weight each term by how differently it behaves in paraphrase and non-paraphrase pairs: for a
term k seen in a pair, p_k is the probability that both sentences have it given that the pair
is a paraphrase, q_k the same for non-paraphrases; the weight is the Kullback-Leibler
divergence KL(p_k || q_k) of the two Bernoulli distributions. A name or a number that either
carries over or is dropped in every paraphrase weighs much; "the", "said" weigh little.
Sentences are term-count vectors times these weights, factorised by a truncated SVD fitted on
the training sentences; a pair is [u + v, |u - v|] of its two latent vectors (symmetric), read
by a logistic regression.

``pair_features`` gives ``FEATURES`` for pairs of a ClaimSet: the logistic regression's logit,
the cosine of the latent vectors and of the weighted sparse vectors, and the share of the
weight the two sides do not share. They join the cheap features of
:mod:`sourcetrace.link.propositions`. Fitted on MSRP train only by
``benchmarks/propositions.py --train`` (:func:`fit`); the vocabulary is the terms seen at least
``MIN_COUNT`` times in train. The weights (``link/data/tfkld.npz``: vocabulary, the projection
with the term weights folded in, float16, compressed) are read once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from scipy import sparse

from sourcetrace.link.matching import _TOKEN, ClaimSet

WEIGHTS = "tfkld.npz"
FEATURES = ("tfkld_logit", "tfkld_cosine", "tfkld_sparse_cosine", "tfkld_unshared")
MIN_COUNT = 2


def terms(text: str, bigrams: bool = True) -> list[str]:
    """Lower-cased word unigrams and (with ``bigrams``) word bigrams ("a b") of a text."""
    words = _TOKEN.findall(text.lower())
    if not bigrams:
        return words
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class TfKld:
    vocabulary: dict[str, int]
    weights: np.ndarray  # (V,) KLD weight of each term
    projection: np.ndarray  # (V, k): the SVD's components with the weights folded in
    coef: np.ndarray  # (2k,) logistic regression on [u + v, |u - v|]
    bias: float
    bigrams: bool

    def counts(self, texts: list[str]) -> sparse.csr_matrix:
        """Term counts (texts x vocabulary); terms outside the vocabulary are dropped."""
        rows, cols = [], []
        for r, text in enumerate(texts):
            for t in terms(text, self.bigrams):
                c = self.vocabulary.get(t)
                if c is not None:
                    rows.append(r)
                    cols.append(c)
        return sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(self.vocabulary)))

    def features(self, a: list[str], b: list[str]) -> np.ndarray:
        """FEATURES of the pairs (a[k], b[k])."""
        texts = sorted({*a, *b})
        index = {t: i for i, t in enumerate(texts)}
        counts = self.counts(texts)
        weighted = counts.multiply(self.weights[None, :]).tocsr()
        latent = np.asarray(counts @ self.projection, dtype=np.float64)
        ia = np.array([index[t] for t in a], dtype=int)
        ib = np.array([index[t] for t in b], dtype=int)
        u, v = latent[ia], latent[ib]
        logit = np.hstack([u + v, np.abs(u - v)]) @ self.coef + self.bias
        cosine = np.einsum("ij,ij->i", _normalise(u), _normalise(v))
        wa, wb = weighted[ia], weighted[ib]
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        na, nb = norms[ia], norms[ib]
        sparse_cosine = np.asarray(wa.multiply(wb).sum(axis=1)).ravel() / np.maximum(
            na * nb, 1e-12)
        # weight of the terms on one side only, over the weight of both sides' terms
        pa, pb = (wa > 0).astype(np.float64), (wb > 0).astype(np.float64)
        w = self.weights
        either = np.asarray((pa + pb - pa.multiply(pb)) @ w).ravel()
        both = np.asarray(pa.multiply(pb) @ w).ravel()
        unshared = np.where(either > 0, 1 - both / np.maximum(either, 1e-12), 0.0)
        return np.column_stack([logit, cosine, sparse_cosine, unshared])


def kld_weights(a: sparse.csr_matrix, b: sparse.csr_matrix, y: np.ndarray,
                alpha: float) -> np.ndarray:
    """KL(p_k || q_k) per term, p_k (q_k) the probability that a term of a paraphrase
    (non-paraphrase) pair is in both sentences, "in both" counted from either side (the
    paper's p(w1 | w2) made symmetric), ``alpha`` pseudo-counts each way."""
    pa, pb = (a > 0).astype(np.float64).tocsr(), (b > 0).astype(np.float64).tocsr()
    both = pa.multiply(pb).tocsr()
    one = (pa + pb - 2 * both).tocsr()

    def rate(rows: np.ndarray) -> np.ndarray:
        k2 = 2 * np.asarray(both[rows].sum(axis=0)).ravel()
        k1 = np.asarray(one[rows].sum(axis=0)).ravel()
        return (k2 + alpha) / (k2 + k1 + 2 * alpha)

    p, q = rate(np.flatnonzero(y == 1)), rate(np.flatnonzero(y == 0))
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


def fit(a: list[str], b: list[str], y: np.ndarray, k: int = 100, alpha: float = 1.0,
        bigrams: bool = True, c: float = 1.0, seed: int = 0) -> TfKld:
    """Fit the term weights, the SVD and the logistic regression on pairs (a[i], b[i]) with
    labels y (1 = paraphrase)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.linear_model import LogisticRegression

    seen: dict[str, int] = {}
    for text in [*a, *b]:
        for t in terms(text, bigrams):
            seen[t] = seen.get(t, 0) + 1
    vocabulary = {t: i for i, t in enumerate(sorted(t for t, n in seen.items()
                                                     if n >= MIN_COUNT))}
    shell = TfKld(vocabulary, np.ones(len(vocabulary)), np.zeros((len(vocabulary), 1)),
                  np.zeros(2), 0.0, bigrams)
    ca, cb = shell.counts(a), shell.counts(b)
    # float16 as shipped, so that the fitted model is the one that runs
    weights = kld_weights(ca, cb, y, alpha).astype(np.float16).astype(np.float64)
    x = sparse.vstack([ca, cb]).multiply(weights[None, :]).tocsr()
    svd = TruncatedSVD(k, algorithm="randomized", n_iter=7, random_state=seed).fit(x)
    projection = (weights[:, None] * svd.components_.T).astype(np.float16).astype(np.float64)
    u, v = np.asarray(ca @ projection), np.asarray(cb @ projection)
    lr = LogisticRegression(C=c, max_iter=5000).fit(np.hstack([u + v, np.abs(u - v)]), y)
    return TfKld(vocabulary, weights, projection, lr.coef_[0].astype(np.float64),
                 float(lr.intercept_[0]), bigrams)


def out_of_fold(a: list[str], b: list[str], y: np.ndarray, folds: int = 5, seed: int = 0,
                **params: Any) -> np.ndarray:
    """FEATURES of each pair from a model fitted on the other folds (stratified, seeded):
    what the classifier stacked on them is trained on, so that it never sees features of a
    pair whose label fitted them."""
    from sklearn.model_selection import StratifiedKFold

    out = np.zeros((len(y), len(FEATURES)))
    for fit_rows, test_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
            np.zeros(len(y)), y):
        model = fit([a[i] for i in fit_rows], [b[i] for i in fit_rows], y[fit_rows], **params)
        out[test_rows] = model.features([a[i] for i in test_rows], [b[i] for i in test_rows])
    return out


def save(model: TfKld, path: Any) -> None:
    vocab = np.array(sorted(model.vocabulary, key=model.vocabulary.__getitem__))
    np.savez_compressed(
        path, vocabulary=vocab, weights=model.weights.astype(np.float16),
        projection=model.projection.astype(np.float16), coef=model.coef,
        bias=np.array([model.bias]), bigrams=np.array([model.bigrams]))


def read(path: Any) -> TfKld:
    with np.load(path, allow_pickle=False) as z:
        vocab = z["vocabulary"].tolist()
        return TfKld({t: i for i, t in enumerate(vocab)},
                     z["weights"].astype(np.float64), z["projection"].astype(np.float64),
                     z["coef"].astype(np.float64), float(z["bias"][0]), bool(z["bigrams"][0]))


@lru_cache(maxsize=1)
def load_model() -> TfKld:
    """The packaged weights (``link/data/tfkld.npz``), read once per process."""
    with resources.as_file(resources.files("sourcetrace.link").joinpath("data", WEIGHTS)) as p:
        return read(p)


def pair_features(claims: ClaimSet, left: np.ndarray, right: np.ndarray,
                  model: TfKld | None = None) -> np.ndarray:
    """FEATURES of the pairs (left[k], right[k]) of a ClaimSet."""
    model = model or load_model()
    texts = [c.text for c in claims.claims]
    return model.features([texts[i] for i in left], [texts[j] for j in right]).reshape(
        len(left), len(FEATURES))
