"""Same proposition when one claim carries the other: a second decision beside the MSRP one.

The pair classifier of :mod:`sourcetrace.link.propositions` learned MSRP's rule that a
sentence with a significant extra clause is "not a paraphrase". In news claims that is the
common case of the *same* proposition: a long sentence carrying it with other detail ("The
unemployment rate dropped from 7.9 percent to 7.7 percent last month as businesses added
146,000 jobs") against a short restatement ("The unemployment rate dropped to 7.7 percent in
November"). On the AllSides proposition gold, 45% of the same-proposition pairs have a MiniLM
cosine below 0.55, and the MSRP classifier rejects most of them.

This module scores that case with a logistic regression over ``FEATURES``, cheap to compute
from what a :class:`~sourcetrace.link.matching.ClaimSet` holds (vectors and texts): MiniLM
cosine, content-token overlap (Ochiai) and the share of each side's tokens found in the other
(containment: the shorter side's share is high when the long claim carries it), their
product with the cosine, rapidfuzz's best partial alignment, the numbers' agreement sign and a
negation mismatch. It was fitted on the cross-document claim pairs of the AllSides
proposition gold (``benchmarks/claim_pairs.py --train``); the weights file holds a model
fitted on all of the gold (``all``, used by default) and one fitted on each half (``ab``:
gold groups a and b, ``cd``: c and d), so that the benchmark scores each half with the model
that never saw it (``SOURCETRACE_CLAIM_PAIRS=ab`` / ``cd``; see docs/benchmarks.md).

The claims step links a pair when either decision says "same", each at its own threshold: the
MSRP probability at the MSRP classifier's ``SAME_PROPOSITION``, the containment probability
at the model's ``threshold`` (chosen with the weights, on the training half's clustering F1);
:func:`combined_probability` puts both on the containment threshold's scale and takes the
higher. The containment side never overrides a conflict: a pair whose numbers
disagree (both have numbers, none shared), whose polarity differs ("did" / "did not"), whose
shorter claim names someone or something (a capitalised word) the longer one does not, or that
:func:`~sourcetrace.link.propositions.minimal_conflict` rejects (one swapped number, name or
polarity word) keeps the MSRP probability alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from sourcetrace.link import propositions
from sourcetrace.link.matching import _TOKEN, ClaimSet, content_tokens, numbers_in

WEIGHTS = "claim_pairs.json"
# Which of the weights file's models to use: "all" (the product) or a half of the gold
# (benchmark only: the model that did not see the half it is scored on).
FOLD_VARIABLE = "SOURCETRACE_CLAIM_PAIRS"
FEATURES = (
    "cosine", "overlap", "coverage_min", "coverage_max", "cosine_x_overlap", "fuzz_partial",
    "numbers_sign", "negation_mismatch",
)


_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z]+")


class _Text:
    """What the features need of one text, worked out once per text."""

    __slots__ = ("names", "negated", "numbers", "text", "tokens", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = frozenset(content_tokens(text))
        self.numbers = frozenset(numbers_in(text))
        words = _TOKEN.findall(text.lower())
        self.negated = any(w in propositions.NEGATIONS or w.endswith("n't") for w in words)
        self.words = frozenset(w.removesuffix("'s") for w in words)
        # capitalised words after the first character: names, places, days, months
        self.names = frozenset(w.lower() for w in _CAPITALISED.findall(text[1:]))


def names_missing(x: _Text, y: _Text) -> bool:
    """Whether the shorter side (fewer content tokens) names something the longer side does
    not: "the Belen crossing" is not carried by a claim about "the Tarsa crossing", whatever
    else they share."""
    short, long = (x, y) if len(x.tokens) <= len(y.tokens) else (y, x)
    return bool(short.names - long.words)


def _numbers_sign(a: frozenset[str], b: frozenset[str]) -> float:
    """0 when neither side has a number, 1 when they have the same, -1 when both have some
    and share none, -0.5 otherwise (one side has numbers the other lacks)."""
    if not (a or b):
        return 0.0
    if a == b:
        return 1.0
    if a and b and not a & b:
        return -1.0
    return -0.5


def _pair(x: _Text, y: _Text, cos: float) -> list[float]:
    inter = len(x.tokens & y.tokens)
    ra = inter / len(x.tokens) if x.tokens else 0.0
    rb = inter / len(y.tokens) if y.tokens else 0.0
    overlap = inter / np.sqrt(len(x.tokens) * len(y.tokens)) if x.tokens and y.tokens else 0.0
    return [
        cos, overlap, min(ra, rb), max(ra, rb), cos * overlap,
        fuzz.partial_ratio(x.text, y.text) / 100, _numbers_sign(x.numbers, y.numbers),
        float(x.negated != y.negated),
    ]


def features(claims: ClaimSet, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``FEATURES`` of the pairs (left[k], right[k]), one row per pair."""
    left, right = np.asarray(left, dtype=int), np.asarray(right, dtype=int)
    v = claims.vectors
    cos = np.einsum("ij,ij->i", v[left].astype(np.float64), v[right].astype(np.float64))
    texts = {i: _Text(claims.claims[i].text) for i in {*left.tolist(), *right.tolist()}}
    return np.array(
        [_pair(texts[i], texts[j], float(c))
         for i, j, c in zip(left.tolist(), right.tolist(), cos, strict=True)],
        dtype=np.float64,
    ).reshape(len(left), len(FEATURES))


class Model:
    """A logistic regression over ``FEATURES`` and the decision threshold chosen with it."""

    def __init__(self, coef: list[float], intercept: float, threshold: float) -> None:
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.threshold = float(threshold)

    def probability(self, x: np.ndarray) -> np.ndarray:
        # one multiply-add per feature in a fixed order: the same floats on every engine
        z = np.full(len(x), self.intercept)
        for k in range(len(self.coef)):
            z = z + x[:, k] * self.coef[k]
        return 1.0 / (1.0 + np.exp(-z))

    def as_dict(self) -> dict[str, Any]:
        return {"coef": self.coef.tolist(), "intercept": self.intercept,
                "threshold": self.threshold}


def _weights_text() -> str:
    return resources.files("sourcetrace.link").joinpath("data", WEIGHTS).read_text("utf-8")


def fold() -> str:
    """The model in use: ``all`` unless the benchmark asks for a half of the gold."""
    return os.environ.get(FOLD_VARIABLE) or "all"


def load_model(name: str | None = None) -> Model:
    """The model ``name`` of the weights file (default: :func:`fold`)."""
    return _load_model(name or fold())


@lru_cache(maxsize=4)
def _load_model(name: str) -> Model:
    weights = json.loads(_weights_text())
    models = weights["models"]
    if name not in models:
        raise ValueError(f"{WEIGHTS}: no model {name!r} (have {', '.join(sorted(models))}); "
                         f"check {FOLD_VARIABLE}")
    if list(weights["features"]) != list(FEATURES):
        raise ValueError(f"{WEIGHTS}: features differ from containment.FEATURES; retrain")
    return Model(**models[name])


def digest() -> str:
    """The weights and the model in use, for the memo's salt: another model is another
    result."""
    return hashlib.blake2b(_weights_text().encode() + fold().encode(),
                           digest_size=8).hexdigest()


def msrp_on_scale(msrp: np.ndarray, threshold: float) -> np.ndarray:
    """The MSRP classifier's probabilities put on the scale of the containment threshold: its
    own threshold ``SAME_PROPOSITION`` maps to ``threshold``, piecewise linearly (0 -> 0,
    1 -> 1), so an MSRP probability links a pair exactly when it reaches the MSRP
    classifier's own threshold, whatever threshold the containment model was given."""
    same = propositions.SAME_PROPOSITION
    msrp = np.asarray(msrp, dtype=np.float64)
    return np.where(msrp < same, msrp * (threshold / same),
                    threshold + (msrp - same) * ((1.0 - threshold) / (1.0 - same)))


def combined_probability(
    claims: ClaimSet, left: np.ndarray, right: np.ndarray, msrp: np.ndarray,
    model: Model | None = None,
) -> np.ndarray:
    """The higher of the two decisions for the pairs (left[k], right[k]), each at its own
    threshold: ``msrp`` (the MSRP classifier's probabilities of the same pairs) through
    :func:`msrp_on_scale`, so it links only at the classifier's ``SAME_PROPOSITION``, and the
    containment probability, which links at the model's ``threshold``. The containment side is
    0 where the numbers disagree, the polarity differs or the shorter claim names something
    the longer one does not; a pair that only the containment side links but that is a
    minimal pair (one swapped number, name or polarity word) gets the MSRP classifier's
    conflict probability, as it would have above the MSRP threshold.

    The two probabilities are not on one scale: an MSRP probability between the containment
    threshold (0.25) and its own (0.42) is a pair MSRP's classifier judged *different*, and
    read against the containment threshold it linked "the withdrawal of US forces would
    eliminate the terrorists" with "the army advanced, but the US blocks a return to normal
    life" (MSRP 0.27, containment 0.05; seeds 002/004)."""
    model = model or load_model()
    left, right = np.asarray(left, dtype=int), np.asarray(right, dtype=int)
    if not len(left):
        return np.zeros(0)
    msrp = np.asarray(msrp, dtype=np.float64)
    x = features(claims, left, right)
    held = model.probability(x)
    hard = (x[:, FEATURES.index("numbers_sign")] == -1.0) | (
        x[:, FEATURES.index("negation_mismatch")] == 1.0)
    texts: dict[int, _Text] = {}
    for k in np.flatnonzero(~hard & (held >= model.threshold)):
        i, j = int(left[k]), int(right[k])
        for m in (i, j):
            if m not in texts:
                texts[m] = _Text(claims.claims[m].text)
        hard[k] = names_missing(texts[i], texts[j])
    held = np.where(hard, 0.0, held)
    p = np.maximum(msrp_on_scale(msrp, model.threshold), held)
    # the MSRP classifier already vetoed its own pairs above SAME_PROPOSITION
    for k in np.flatnonzero((p >= model.threshold) & (msrp < propositions.SAME_PROPOSITION)):
        if propositions.minimal_conflict(claims.claims[left[k]], claims.claims[right[k]]):
            p[k] = propositions.CONFLICT_PROBABILITY
    return p
