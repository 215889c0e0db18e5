"""Same proposition? A learned classifier for pairs of claims.

Two claims state the same proposition when they assert the same event or state of affairs:
the same actors in the same roles, the same action or relation, compatible place, time and
quantities. Rewording, active/passive, direct vs reported speech, a hedge, an added or
dropped detail keep the proposition; another actor, target, place, event, number or polarity
("did" / "did not") make another one.

``same_probability(claims, left, right)`` scores the pairs (left[k], right[k]) of a
:class:`~sourcetrace.link.matching.ClaimSet` in two stages:

1. *cheap* model on ``CHEAP_FEATURES``, from what the ClaimSet already holds (the claims'
   L2-normalised MiniLM vectors and texts): MiniLM cosine; content-token overlap (the
   matcher's tokeniser, Ochiai) and the coverage of each side; word bigram and trigram
   overlap; numbers (``matching.numbers_in``) differing / agreement sign; capitalised-word
   Jaccard and unshared count (names, places, days); negation mismatch; length ratio and
   total length; unshared content tokens of each side; rapidfuzz ratios (plain, token sort,
   token set, partial). Entity and place ids of the pipeline are not used: on the training
   data (sentences only) they would not exist, and the text features stand in for them.
2. pairs whose cheap probability falls in the *uncertain* band (``Model.uncertain``) get the
   ``ALIGN_FEATURES`` too and the *full* model's probability: greedy BERTScore-style
   alignment of MiniLM's contextual word-piece vectors (no IDF): precision, recall, F, the
   worst-aligned pieces, and for the longer and the shorter side the number and share of
   content pieces aligned below 0.4/0.5/0.6. That needs one more MiniLM pass over the texts
   of the uncertain pairs (``token_vectors``), which is why it is limited to them.

3. *minimal pairs*: two claims that differ in one stretch of at most ``SLOT_WORDS`` words,
   where that stretch swaps a number, swaps a name or flips the polarity ("did" / "did not",
   "confirmed" / "denied"), are set to ``CONFLICT_PROBABILITY`` (:func:`minimal_conflict`).
   MSRP hardly has such pairs (it labels rounded or restated numbers and renamed actors
   paraphrases, and it has few minimal pairs), so the models cannot learn that from it; the
   rule touches 3 of 3,676 train pairs and no dev pair.

Each model is the mean probability of a logistic regression, a 16-unit MLP and 150
gradient-boosted trees (8 leaves), fitted on the MSR Paraphrase Corpus train split (3,676
pairs) by ``benchmarks/propositions.py --train`` (``make train-propositions``, fixed seeds).
The band and ``SAME_PROPOSITION`` were chosen by 5-fold cross-validation on train for F1
(never on dev). The weights are JSON (``link/data/propositions.json``, package data, ~220 kB)
and run as a numpy forward pass; matrix products go through ``matching.dot`` (one BLAS
thread: the same floats on every engine). Nothing is downloaded.

MSRP labels follow its own guidelines, stricter than ours on added detail (a sentence with a
significant extra clause is often "not a paraphrase"); the classifier learns that too.

Measured (``make bench-propositions-msrp``, MSRP dev, 400 pairs, same run): MiniLM cosine
baseline (threshold 0.605 chosen on train) accuracy 0.7175, F1 0.8192; this classifier
accuracy 0.7675, F1 0.8437 (+0.025; the issue's floor of 0.85 is not reached). 5-fold
cross-validated F1 on train 0.8544 (cheap model alone 0.8476). 34% of the MSRP dev pairs fall
in the uncertain band (MSRP pairs are all near-paraphrases; candidate pairs of a corpus are
mostly clear cases). Cost on a loaded 2-core machine: ~0.4 ms per pair for the cheap
features (~4 s per 10k pairs), plus one MiniLM token pass per distinct text of an uncertain
pair (~7-40 ms per text depending on load).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from spacy.lang.en.stop_words import STOP_WORDS

from sourcetrace.link.embeddings import encode_texts
from sourcetrace.link.embeddings import load_model as load_sentence_model
from sourcetrace.link.matching import (
    _TOKEN,
    ClaimInfo,
    ClaimSet,
    content_tokens,
    dot,
    numbers_in,
)

WEIGHTS = "propositions.json"
# Decision threshold on same_probability (chosen by 5-fold cross-validation on MSRP train
# for F1 by `benchmarks/propositions.py --train`, which writes it to the weights file too).
SAME_PROPOSITION = 0.42

NEGATIONS = frozenset(
    "not no never none nobody nothing neither nor without cannot".split()
)
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z]+")

CHEAP_FEATURES = (
    "cosine", "overlap", "coverage_min", "coverage_max", "bigrams", "numbers_differ",
    "numbers_sign", "capitalised_jaccard", "negation_mismatch", "length_ratio",
    "fuzz_token_sort", "fuzz_token_set", "fuzz_ratio", "cosine_x_overlap", "unshared_max",
    "unshared_min", "log_length", "capitalised_unshared", "trigrams", "fuzz_partial",
)


def _words(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _ochiai(a: set, b: set) -> float:
    return len(a & b) / np.sqrt(len(a) * len(b)) if a and b else 0.0


def _negated(words: list[str]) -> bool:
    return any(w in NEGATIONS or w.endswith("n't") for w in words)


def _capitalised(text: str) -> set[str]:
    # the sentence's first word is capitalised whatever it is
    return {w.lower() for w in _CAPITALISED.findall(text[1:])}


@dataclass(frozen=True)
class _Text:
    """What the cheap features need of one text, computed once per text, not per pair."""

    text: str
    tokens: frozenset[str]
    words: tuple[str, ...]
    bigrams: frozenset[tuple[str, ...]]
    trigrams: frozenset[tuple[str, ...]]
    numbers: frozenset[str]
    capitalised: frozenset[str]
    negated: bool

    @classmethod
    def of(cls, text: str) -> _Text:
        w = _words(text)
        return cls(
            text=text, tokens=frozenset(content_tokens(text)), words=tuple(w),
            bigrams=frozenset(zip(w, w[1:], strict=False)),
            trigrams=frozenset(zip(w, w[1:], w[2:], strict=False)),
            numbers=frozenset(numbers_in(text)), capitalised=frozenset(_capitalised(text)),
            negated=_negated(w),
        )


def _text_features(a: str | _Text, b: str | _Text, cos: float) -> list[float]:
    x = a if isinstance(a, _Text) else _Text.of(a)
    y = b if isinstance(b, _Text) else _Text.of(b)
    ta, tb = x.tokens, y.tokens
    inter = len(ta & tb)
    overlap = _ochiai(ta, tb)
    ra = inter / len(ta) if ta else 0.0
    rb = inter / len(tb) if tb else 0.0
    wa, wb = x.words, y.words
    bigrams = _ochiai(x.bigrams, y.bigrams)
    trigrams = _ochiai(x.trigrams, y.trigrams)
    na, nb = x.numbers, y.numbers
    if not (na or nb):
        num_sign = 0.0
    elif na == nb:
        num_sign = 1.0
    elif na and nb and not na & nb:
        num_sign = -1.0
    else:
        num_sign = -0.5
    ca, cb = x.capitalised, y.capitalised
    cap_j = len(ca & cb) / len(ca | cb) if ca | cb else 1.0
    ua, ub = len(ta - tb), len(tb - ta)
    a_text, b_text = x.text, y.text
    return [
        cos, overlap, min(ra, rb), max(ra, rb), bigrams, float(bool(na ^ nb)), num_sign, cap_j,
        float(x.negated != y.negated),
        min(len(wa), len(wb)) / max(len(wa), len(wb), 1),
        fuzz.token_sort_ratio(a_text, b_text) / 100, fuzz.token_set_ratio(a_text, b_text) / 100,
        fuzz.ratio(a_text, b_text) / 100, cos * overlap, float(max(ua, ub)), float(min(ua, ub)),
        float(np.log1p(len(wa) + len(wb))), float(len(ca ^ cb)), trigrams,
        fuzz.partial_ratio(a_text, b_text) / 100,
    ]


def cheap_features(claims: ClaimSet, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The CHEAP_FEATURES of the pairs (left[k], right[k]): claim vectors and texts only.
    Each claim's tokens, n-grams, numbers and names are worked out once, whatever the
    number of pairs it is in."""
    left, right = np.asarray(left, dtype=int), np.asarray(right, dtype=int)
    v = claims.vectors
    cos = np.einsum("ij,ij->i", v[left].astype(np.float64), v[right].astype(np.float64))
    texts: dict[int, _Text] = {}
    for i in {*left.tolist(), *right.tolist()}:
        texts[i] = _Text.of(claims.claims[i].text)
    return np.array(
        [_text_features(texts[i], texts[j], float(c))
         for i, j, c in zip(left.tolist(), right.tolist(), cos, strict=True)],
        dtype=np.float64,
    ).reshape(len(left), len(CHEAP_FEATURES))


# --- alignment features: MiniLM token embeddings, for uncertain pairs only ----------------

ALIGN_FEATURES = (
    "align_precision", "align_recall", "align_f", "align_min_pr", "align_worst",
    "align_p10", "align_unaligned_share", "align_unaligned",
    # the longer side first, then the shorter: content word pieces aligned below 0.4/0.5/0.6,
    # share below 0.5, mean and worst alignment of content pieces
    "long_below_40", "long_below_50", "long_below_60", "long_below_50_share", "long_mean",
    "long_worst",
    "short_below_40", "short_below_50", "short_below_60", "short_below_50_share",
    "short_mean", "short_worst",
)
FEATURES = CHEAP_FEATURES + ALIGN_FEATURES


@lru_cache(maxsize=1)
def _piece_kinds() -> tuple[np.ndarray, np.ndarray]:
    """Per word-piece id of the MiniLM vocabulary: kept (has a letter or digit, not a special
    token) and content (kept and not a stop word)."""
    vocab = load_sentence_model().tokenizer.convert_ids_to_tokens(
        list(range(len(load_sentence_model().tokenizer)))
    )
    keep = np.array([any(ch.isalnum() for ch in t) and not t.startswith("[") for t in vocab])
    content = keep & np.array([t.lstrip("#") not in STOP_WORDS for t in vocab])
    return keep, content


def token_vectors(texts: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each distinct text: its L2-normalised contextual word-piece vectors (special
    tokens and punctuation left out) and a mask of its content pieces. A function of the
    text alone (``embeddings.encode_texts``: batches of one token count, one torch thread
    each), whatever the other texts of the call."""
    model = load_sentence_model()
    keep, content = _piece_kinds()
    distinct = sorted(set(texts))
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if not distinct:
        return out
    ids_of = model.tokenizer(distinct, truncation=True,
                             max_length=model.max_seq_length)["input_ids"]
    for text, vectors, ids in zip(distinct, encode_texts(distinct, "token_embeddings"), ids_of,
                                  strict=True):
        ids = np.asarray(ids)
        vectors = vectors.astype(np.float64)[: len(ids)]
        mask = keep[ids]
        vectors = vectors[mask]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out[text] = (vectors / np.maximum(norms, 1e-12), content[ids][mask])
    return out


def _side(sim: np.ndarray, content: np.ndarray) -> list[float]:
    best = sim.max(axis=1)
    c = best[content] if content.any() else np.ones(1)
    return [float(len(best)), float((c < 0.4).sum()), float((c < 0.5).sum()),
            float((c < 0.6).sum()), float((c < 0.5).mean()), float(c.mean()), float(c.min())]


def _align_features(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
                    ) -> list[float]:
    (va, ca), (vb, cb) = a, b
    if not len(va) or not len(vb):
        return [0.0] * len(ALIGN_FEATURES)
    sim = dot(va, vb)
    best_a, best_b = sim.max(axis=1), sim.max(axis=0)
    p, r = float(best_a.mean()), float(best_b.mean())
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    general = [
        p, r, f, min(p, r), float(min(best_a.min(), best_b.min())),
        float(min(np.percentile(best_a, 10), np.percentile(best_b, 10))),
        float(max((best_a < 0.5).mean(), (best_b < 0.5).mean())),
        float((best_a < 0.5).sum() + (best_b < 0.5).sum()),
    ]
    sa, sb = _side(sim, ca), _side(sim.T, cb)
    if (sa[0], sa[2]) < (sb[0], sb[2]):  # the longer side first
        sa, sb = sb, sa
    return general + sa[1:] + sb[1:]


def align_features(claims: ClaimSet, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The ALIGN_FEATURES of the pairs: one extra MiniLM pass over their distinct texts."""
    texts = [" ".join(c.text.split()) for c in claims.claims]
    vectors = token_vectors(sorted({texts[i] for i in np.concatenate([left, right])}))
    return np.array(
        [_align_features(vectors[texts[i]], vectors[texts[j]]) for i, j in zip(
            left, right, strict=True)], dtype=np.float64,
    ).reshape(len(left), len(ALIGN_FEATURES))


def pair_features(claims: ClaimSet, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """All FEATURES of the pairs (left[k], right[k]) (n x F float64; runs the token pass)."""
    left, right = np.asarray(left, dtype=int), np.asarray(right, dtype=int)
    return np.hstack([cheap_features(claims, left, right), align_features(claims, left, right)])


# --- the models: numpy forward pass of weights stored as JSON ------------------------------

class Ensemble:
    """Mean probability of a logistic regression, a small MLP (both on standardised
    features) and gradient-boosted trees, as fitted by ``benchmarks/propositions.py``."""

    def __init__(self, spec: dict) -> None:
        self.mean = np.asarray(spec["mean"], dtype=np.float64)
        self.scale = np.asarray(spec["scale"], dtype=np.float64)
        self.lr_coef = np.asarray(spec["lr"]["coef"], dtype=np.float64)[None, :]
        self.lr_bias = float(spec["lr"]["intercept"])
        self.mlp = [(np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64))
                    for w, b in spec["mlp"]]
        trees = spec["trees"]
        self.baseline = float(trees["baseline"])
        # All trees in padded (tree, node) arrays, walked level by level together: a call
        # costs a few array operations per level, not per tree (the claims step calls the
        # model once per document and per shared-wording claim, on a few pairs each).
        nodes = [{k: np.asarray(v) for k, v in t.items()} for t in trees["nodes"]]
        width = max(len(t["is_leaf"]) for t in nodes)

        def padded(key: str, dtype: Any, fill: Any) -> np.ndarray:
            out = np.full((len(nodes), width), fill, dtype=dtype)
            for k, t in enumerate(nodes):
                out[k, : len(t[key])] = t[key]
            return out

        self.is_leaf = padded("is_leaf", bool, True)
        self.feature = padded("feature", np.int64, 0)
        self.threshold = padded("threshold", np.float64, 0.0)
        self.left = padded("left", np.int64, 0)
        self.right = padded("right", np.int64, 0)
        self.value = padded("value", np.float64, 0.0)

    def _trees(self, x: np.ndarray) -> np.ndarray:
        n, trees = len(x), np.arange(self.is_leaf.shape[0])
        node = np.zeros((n, len(trees)), dtype=np.int64)
        rows = np.arange(n)[:, None]
        while True:
            inner = ~self.is_leaf[trees, node]
            if not inner.any():
                break
            go_left = x[rows, self.feature[trees, node]] <= self.threshold[trees, node]
            step = np.where(go_left, self.left[trees, node], self.right[trees, node])
            node = np.where(inner, step, node)
        # summed in tree order, as the per-tree loop did: the same floats
        raw = np.full(n, self.baseline)
        values = self.value[trees, node]
        for k in range(len(trees)):
            raw += values[:, k]
        return _sigmoid(raw)

    def probability(self, x: np.ndarray) -> np.ndarray:
        x = np.nan_to_num(np.asarray(x, dtype=np.float64))
        z = (x - self.mean) / self.scale
        p_lr = _sigmoid(dot(z, self.lr_coef)[:, 0] + self.lr_bias)
        h = z
        for k, (w, b) in enumerate(self.mlp):
            h = dot(h, w) + b
            if k < len(self.mlp) - 1:
                h = np.maximum(h, 0.0)
        p_mlp = _sigmoid(h[:, 0])
        return (p_lr + p_mlp + self._trees(x)) / 3


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


@dataclass(frozen=True)
class Model:
    cheap: Ensemble  # on CHEAP_FEATURES
    full: Ensemble  # on FEATURES
    uncertain: tuple[float, float]  # cheap probabilities sent to the full model


@lru_cache(maxsize=1)
def load_model() -> Model:
    """The packaged weights (``link/data/propositions.json``), read once per process."""
    spec = json.loads(resources.files("sourcetrace.link").joinpath(
        "data", WEIGHTS).read_text(encoding="utf-8"))
    if spec["features"] != list(FEATURES):
        raise RuntimeError(f"{WEIGHTS} was fitted on other features: rerun "
                           "`make train-propositions`")
    return Model(Ensemble(spec["cheap"]), Ensemble(spec["full"]), tuple(spec["uncertain"]))


# --- minimal pairs: one slot changed ----------------------------------------------------------

_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,][A-Za-z0-9]+)*")
_APOSTROPHES = re.compile(r"['\u2019]")
# reversing the polarity of what follows ("denied that it had..."); apostrophes are dropped
# before the words are compared ("didn't" -> "didnt")
POLARITY = NEGATIONS | frozenset(
    "deny denies denied denying dont doesnt didnt isnt arent wasnt werent wont cant couldnt "
    "wouldnt shouldnt hasnt havent hadnt".split()
)
# At most this many words on either side of the one difference (a swapped slot, not a
# restatement).
SLOT_WORDS = 4
# A conflict is vetoed only when it is the claims' one difference: MSRP, whose paraphrases
# often round or restate numbers and rename actors, has next to no such pair labelled "same"
# (see benchmarks/propositions.py, which prints the counts).
CONFLICT_PROBABILITY = 0.05
# A polarity flip is looked for in pairs that differ in at most this many short stretches.
POLARITY_SPANS = 3


def _differences(a: str, b: str) -> list[tuple[list[str], list[str], bool, bool]]:
    """The differing stretches of two texts' words (case kept, apostrophes dropped),
    stretches separated by one equal word merged ("mayor of Castelnau" / "governor of
    Lorraine" is one stretch); with each, whether it starts either text."""
    wa, wb = _WORD.findall(_APOSTROPHES.sub("", a)), _WORD.findall(_APOSTROPHES.sub("", b))
    ops = SequenceMatcher(None, [w.lower() for w in wa], [w.lower() for w in wb],
                          autojunk=False).get_opcodes()
    spans: list[list[int]] = []
    for op, i1, i2, j1, j2 in ops:
        if op == "equal":
            continue
        if spans and i1 - spans[-1][1] <= 1 and j1 - spans[-1][3] <= 1:
            spans[-1][1], spans[-1][3] = i2, j2
        else:
            spans.append([i1, i2, j1, j2])
    return [(wa[i1:i2], wb[j1:j2], i1 == 0, j1 == 0) for i1, i2, j1, j2 in spans]


def minimal_conflict(a: ClaimInfo, b: ClaimInfo) -> str:
    """What makes two otherwise identical claims different propositions, when they differ in
    one stretch of at most SLOT_WORDS words: "polarity" (a negation or "denied" on one side
    only), "number" (a number replaced by another), "name" (a capitalised name replaced by
    another, unless the pipeline linked both claims to the same entities and places: "ISIS"
    / "Daesh"). "" otherwise."""
    spans = _differences(a.text, b.text)
    # Polarity flipped in an otherwise close pair ("A convoy of 40 trucks left" / "No convoy
    # of trucks left"): the negation words of all the differing stretches together.
    if 0 < len(spans) <= POLARITY_SPANS and all(
        len(x) <= SLOT_WORDS and len(y) <= SLOT_WORDS for x, y, _, _ in spans
    ):
        flips = [sum(w.lower() in POLARITY for w in x) - sum(w.lower() in POLARITY for w in y)
                 for x, y, _, _ in spans]
        if sum(flips) % 2:
            return "polarity"
    if len(spans) != 1:
        return ""
    sa, sb, first_a, first_b = spans[0]
    if len(sa) > SLOT_WORDS or len(sb) > SLOT_WORDS:
        return ""
    if sum(w.lower() in POLARITY for w in sa) % 2 != sum(w.lower() in POLARITY for w in sb) % 2:
        return "polarity"
    na, nb = numbers_in(" ".join(sa)), numbers_in(" ".join(sb))
    if na and nb and not na & nb:
        return "number"
    # "JWN.N" (a ticker) also stands for its parts
    words_a = {p.lower() for w in _WORD.findall(_APOSTROPHES.sub("", a.text))
               for p in [w, *w.split(".")]}
    words_b = {p.lower() for w in _WORD.findall(_APOSTROPHES.sub("", b.text))
               for p in [w, *w.split(".")]}
    ca = {p.lower() for k, w in enumerate(sa) if k or not first_a
          for p in w.split(".") if p[:1].isupper()}
    cb = {p.lower() for k, w in enumerate(sb) if k or not first_b
          for p in w.split(".") if p[:1].isupper()}
    ids_a, ids_b = a.entities | a.places, b.entities | b.places
    if ca - words_b and cb - words_a and not (ids_a and ids_a == ids_b):
        return "name"
    return ""


def same_probability(claims: ClaimSet, left: np.ndarray, right: np.ndarray,
                     model: Model | None = None, align: bool = True) -> np.ndarray:
    """Probability that the claims left[k] and right[k] state the same proposition. The cheap
    model decides alone where it is sure; pairs whose cheap probability falls in
    ``model.uncertain`` get the alignment features (one MiniLM token pass over their texts)
    and the full model's probability — unless ``align`` is False (cheap model alone: MSRP
    dev F1 0.8412 against 0.8418, without a token pass)."""
    model = model or load_model()
    left, right = np.asarray(left, dtype=int), np.asarray(right, dtype=int)
    cheap = cheap_features(claims, left, right)
    p = model.cheap.probability(cheap)
    lo, hi = model.uncertain
    unsure = np.flatnonzero((p >= lo) & (p <= hi))
    if len(unsure) and align:
        full = np.hstack([cheap[unsure], align_features(claims, left[unsure], right[unsure])])
        p[unsure] = model.full.probability(full)
    # The veto only matters where it turns a "same" into "different".
    conflict = [k for k, (i, j) in enumerate(zip(left, right, strict=True))
                if p[k] >= SAME_PROPOSITION
                and minimal_conflict(claims.claims[i], claims.claims[j])]
    p[conflict] = CONFLICT_PROBABILITY
    return p
