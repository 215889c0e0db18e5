"""Claim matching: one scorer for "do these two sentences state the same claim?".

The score of a pair of claims (roughly 0..1) is

    W_COSINE * MiniLM cosine + W_LEXICAL * content-token overlap (Ochiai: |A∩B|/sqrt(|A||B|))
    + agreement terms for entities, places, numbers and dates mentioned in each claim:
      both mention some and share one -> bonus; both mention some and share none -> penalty.

Numbers carry the largest penalty: "12 people were killed" and "50 people were killed" are
worded alike but are not the same claim, and a fact-checker wants them apart. Entities get a
small penalty only, because paraphrases often name the same actor differently ("the
Pentagon" / "US forces"). Two claims that sit at corresponding places of an aligned text-reuse
passage pair match outright (score 1.0; see ``sourcetrace.link.claims``).

Claims are connected when the score is at least ``MATCH_THRESHOLD`` (the one threshold);
``sourcetrace.link.claims`` clusters the graph with average linkage inside each connected
component (at ``CLUSTER_THRESHOLD``) so that a chain A~B~C with A and C unrelated is split.

Everything is vectorised over a :class:`ClaimSet` (embeddings plus sparse indicator matrices
of tokens, entities, places, numbers, dates), so that scoring a block of candidate pairs or
one pair uses the same code. The benchmark (``benchmarks/claims.py``) uses the same
tokeniser, lexical overlap and embeddings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from scipy import sparse
from spacy.lang.en.stop_words import STOP_WORDS
from threadpoolctl import ThreadpoolController

from sourcetrace.link.embeddings import embed

# --- weights and thresholds, in one place ---------------------------------------------------
W_COSINE = 0.85
W_LEXICAL = 0.15
# (bonus when both claims mention some and share one, penalty when both mention some and
# share none)
ENTITY_TERMS = (0.05, 0.03)
PLACE_TERMS = (0.05, 0.05)
NUMBER_TERMS = (0.05, 0.35)
DATE_TERMS = (0.03, 0.05)
AGREEMENT_TERMS = {
    "entities": ENTITY_TERMS, "places": PLACE_TERMS, "numbers": NUMBER_TERMS, "dates": DATE_TERMS,
}
# Two claims from different documents are linked when their score reaches this. Paraphrases
# that share little wording ("the US military is actively recruiting militants" / "US forces
# are training jihadists") reach ~0.55-0.6; unrelated news sentences stay below ~0.2 and
# same-topic but different statements around 0.3-0.45.
MATCH_THRESHOLD = 0.55
# Average linkage inside a connected component: a claim joins a group only when its mean
# score to the group's members reaches the pair threshold too (guard against chaining: with a
# lower bar, a corpus on one story merged into one topic blob).
CLUSTER_THRESHOLD = MATCH_THRESHOLD
# Candidate pairs are the nearest neighbours by cosine above this floor (cheap pre-filter:
# with W_COSINE = 0.85 a pair below it needs near-total lexical overlap to reach the threshold,
# and such pairs are almost always above the floor anyway).
CANDIDATE_COSINE = 0.3
CANDIDATE_K = 50

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s*(%|per\s?cent))?")
_SCALE = re.compile(r"\s*(thousand|million|billion|trillion|bn|m)\b", re.I)
_SCALES = {"thousand": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
     "ninety": 90, "hundred": 100, "dozen": 12, "dozens": 12}
# "one" is far more often a pronoun ("one of the...") than a count.
_NUMBER_WORDS.pop("one")


@lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()  # scanning the loaded libraries is the slow part: once


def one_blas_thread() -> Any:
    """A context in which BLAS runs on one thread (see :func:`dot`)."""
    return _threadpools().limit(limits=1, user_api="blas")


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b.T`` on one BLAS thread. How BLAS splits a product over threads changes the
    last bit of some entries (seen from 64 rows up), and a Spark executor's Python worker
    runs another number of threads than the local engine: with one thread everywhere the
    cosines, and every threshold decision on them, are the same on both engines."""
    with one_blas_thread():
        return a @ b.T


def stem(token: str) -> str:
    """A deliberately crude suffix stripper: enough to match recruit/recruiting/recruited
    and militant/militants without a lemmatiser pass over every claim."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    for suffix, keep in (("ing", 4), ("ed", 4), ("es", 4), ("s", 3)):
        if token.endswith(suffix) and len(token) - len(suffix) >= keep and not token.endswith(
            "ss"
        ):
            return token[: -len(suffix)]
    return token


def content_tokens(text: str) -> list[str]:
    """Lower-cased, stemmed word tokens without stop words (the lexical side of the scorer)."""
    return [stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOP_WORDS and len(t) > 1]


def norm_number(value: float) -> str:
    """One spelling per number: 1,000 / 1000 / 1000.0 -> "1000"."""
    return f"{value:.6g}" if value != int(value) else str(int(value))


def numbers_in(text: str) -> set[str]:
    """Counts and amounts written in the text, normalised ("5 million" -> "5000000")."""
    found: set[str] = set()
    for m in _NUMBER.finditer(text):
        value = float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
        scale = _SCALE.match(text, m.end())
        if scale and not m.group(3):
            value *= _SCALES[scale.group(1).lower()]
        found.add(norm_number(value))
    for word in _TOKEN.findall(text.lower()):
        if word in _NUMBER_WORDS:
            found.add(norm_number(_NUMBER_WORDS[word]))
    return found


@dataclass
class ClaimInfo:
    """What the scorer needs of one claim; the sets come from the per-document tables."""

    text: str
    doc: str = ""
    entities: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)


def _indicator(sets: Sequence[Iterable[str]]) -> sparse.csr_matrix:
    """Binary rows x vocabulary matrix: row i marks the members of sets[i]."""
    vocab: dict[str, int] = {}
    indptr, indices = [0], []
    for items in sets:
        cols = {vocab.setdefault(x, len(vocab)) for x in items}
        indices.extend(sorted(cols))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(sets), max(len(vocab), 1)))


class ClaimSet:
    """Features of a list of claims, ready for block scoring."""

    def __init__(self, claims: Sequence[ClaimInfo], vectors: np.ndarray | None = None) -> None:
        self.claims = list(claims)
        self.vectors = embed([c.text for c in claims]) if vectors is None else vectors

    # The indicator matrices are built on first use: the claims step's proposition judge
    # reads only the texts and vectors, and builds a ClaimSet per document.
    @cached_property
    def _sets(self) -> dict[str, sparse.csr_matrix]:
        claims = self.claims
        numbers = [c.numbers | numbers_in(c.text) for c in claims]
        return {
            "tokens": _indicator([set(content_tokens(c.text)) for c in claims]),
            "entities": _indicator([c.entities for c in claims]),
            "places": _indicator([c.places for c in claims]),
            "numbers": _indicator(numbers),
            "dates": _indicator([c.dates for c in claims]),
        }

    @cached_property
    def _sizes(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(m.sum(axis=1)).ravel() for k, m in self._sets.items()}

    def __len__(self) -> int:
        return len(self.claims)

    def cosine(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return dot(self.vectors[rows], self.vectors[cols])

    def _overlap(self, kind: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        m = self._sets[kind]
        return (m[rows] @ m[cols].T).toarray()

    def _agreement(self, kind: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """+1 where both claims mention some ``kind`` and share one, -1 where both mention
        some and share none, 0 where either mentions none."""
        shared = self._overlap(kind, rows, cols) > 0
        both = np.outer(self._sizes[kind][rows] > 0, self._sizes[kind][cols] > 0)
        return np.where(shared, 1.0, np.where(both, -1.0, 0.0))

    def lexical(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        inter = self._overlap("tokens", rows, cols)
        size = self._sizes["tokens"]
        denom = np.sqrt(np.outer(size[rows], size[cols]))
        return np.divide(inter, denom, out=np.zeros_like(inter), where=denom > 0)

    def components(
        self, rows: Sequence[int] | np.ndarray, cols: Sequence[int] | np.ndarray
    ) -> dict[str, np.ndarray]:
        """The scorer's parts for every (row, col) pair: ``cosine``, ``lexical`` (0..1) and
        the agreement signs (-1/0/+1) of ``entities``, ``places``, ``numbers``, ``dates``."""
        r, c = np.asarray(rows, dtype=int), np.asarray(cols, dtype=int)
        parts = {"cosine": self.cosine(r, c), "lexical": self.lexical(r, c)}
        for kind in AGREEMENT_TERMS:
            parts[kind] = self._agreement(kind, r, c)
        return parts

    def scores(
        self, rows: Sequence[int] | np.ndarray, cols: Sequence[int] | np.ndarray
    ) -> np.ndarray:
        """Pair scores for every (row, col) claim pair (a len(rows) x len(cols) matrix)."""
        return _combine(self.components(rows, cols))

    def pair_components(self, left: np.ndarray, right: np.ndarray) -> dict[str, np.ndarray]:
        """Like :meth:`components`, for the pairs (left[k], right[k]) only (1-d arrays)."""
        v = self.vectors
        parts = {"cosine": np.einsum("ij,ij->i", v[left], v[right])}

        def shared(kind: str) -> np.ndarray:
            m = self._sets[kind]
            return np.asarray(m[left].multiply(m[right]).sum(axis=1)).ravel()

        size = self._sizes["tokens"]
        denom = np.sqrt(size[left] * size[right])
        inter = shared("tokens")
        parts["lexical"] = np.divide(inter, denom, out=np.zeros_like(inter), where=denom > 0)
        for kind in AGREEMENT_TERMS:
            both = (self._sizes[kind][left] > 0) & (self._sizes[kind][right] > 0)
            parts[kind] = np.where(shared(kind) > 0, 1.0, np.where(both, -1.0, 0.0))
        return parts

    def pair_scores(
        self, left: Sequence[int] | np.ndarray, right: Sequence[int] | np.ndarray,
        chunk: int = 200_000,
    ) -> np.ndarray:
        """Scores of the pairs (left[k], right[k]): one vectorised pass instead of a
        scores() call per claim, for the candidate pairs of a big corpus."""
        left, right = np.asarray(left, dtype=int), np.asarray(right, dtype=int)
        out = np.empty(len(left), dtype=np.float64)
        for lo in range(0, len(left), chunk):
            sl = slice(lo, lo + chunk)
            out[sl] = _combine(self.pair_components(left[sl], right[sl]))
        return out

    def candidates(self, block: int = 1024) -> set[tuple[int, int]]:
        """Pairs (i < j) from different documents worth scoring: each claim's CANDIDATE_K
        nearest claims of other documents by cosine, above CANDIDATE_COSINE."""
        docs = np.array([c.doc for c in self.claims])
        pairs: set[tuple[int, int]] = set()
        # Claims left unembedded (zero vectors, see link.blocking) have cosine 0 with
        # everything: they never pass CANDIDATE_COSINE, so they are left out of the product.
        everything = np.flatnonzero(np.any(self.vectors != 0, axis=1))
        n = len(everything)
        for lo in range(0, n, block):
            rows = everything[lo : lo + block]
            sims = self.cosine(rows, everything)
            sims[docs[rows][:, None] == docs[everything][None, :]] = -1.0  # other documents
            k = min(CANDIDATE_K, n)
            if k == 0:
                break
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            for i, row in enumerate(rows):
                for j in top[i]:
                    if sims[i, j] >= CANDIDATE_COSINE:
                        other = int(everything[j])
                        pairs.add((min(int(row), other), max(int(row), other)))
        return pairs


    def candidates_within(
        self, related: Mapping[str, set[str]], pairs: Iterable[tuple[int, int]] = ()
    ) -> set[tuple[int, int]]:
        """Like :meth:`candidates`, but each claim is compared only with the claims of the
        documents ``related`` to its own (blocking: the same story), plus the claim pairs
        given outright. The work is the sum over related document pairs of their claims'
        product: it grows with the number of same-story pairs, not with the square of the
        corpus."""
        found = {(min(i, j), max(i, j)) for i, j in pairs}
        embedded = np.any(self.vectors != 0, axis=1)
        by_doc: dict[str, list[int]] = {}
        for i, c in enumerate(self.claims):
            if embedded[i]:
                by_doc.setdefault(c.doc, []).append(i)
        for doc in sorted(related):
            rows = np.array(by_doc.get(doc, []), dtype=int)
            others = [by_doc[d] for d in sorted(related[doc]) if d != doc and d in by_doc]
            if not len(rows) or not others:
                continue
            partners = np.concatenate([np.array(o, dtype=int) for o in others])
            found.update(
                nearest_pairs(rows, partners, self.vectors[rows], self.vectors[partners])
            )
        return found


def nearest_pairs(
    rows: np.ndarray, partners: np.ndarray, row_vectors: np.ndarray,
    partner_vectors: np.ndarray,
) -> set[tuple[int, int]]:
    """Candidate pairs ``(i < j)`` of claim indices: each row's ``CANDIDATE_K`` nearest
    partners by cosine, at least ``CANDIDATE_COSINE``. One document's claims (``rows``)
    against the claims of its related documents (``partners``, ascending): the Spark engine
    calls it with the same arrays, so the product (and every float) is the same."""
    sims = dot(row_vectors, partner_vectors)
    k = min(CANDIDATE_K, len(partners))
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    found: set[tuple[int, int]] = set()
    for r, row in enumerate(rows.tolist()):
        for j in top[r]:
            if sims[r, j] >= CANDIDATE_COSINE:
                other = int(partners[j])
                found.add((min(row, other), max(row, other)))
    return found


def _combine(parts: dict[str, np.ndarray]) -> np.ndarray:
    """The weighted score from the scorer's parts (matrices or 1-d arrays alike)."""
    score = W_COSINE * parts["cosine"] + W_LEXICAL * parts["lexical"]
    for kind, (bonus, penalty) in AGREEMENT_TERMS.items():
        sign = parts[kind]
        score = score + np.where(sign > 0, bonus, np.where(sign < 0, -penalty, 0.0))
    return score


def score_pair(a: ClaimInfo, b: ClaimInfo) -> float:
    """The matching score of two claims (convenience for one pair)."""
    return float(ClaimSet([a, b]).scores([0], [1])[0, 0])
