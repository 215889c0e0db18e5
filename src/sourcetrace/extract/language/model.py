"""The two statistical models and how they are trained, saved and applied.

* Span identification: a linear-chain CRF (CRFsuite) tags the tokens of each sentence B/I/O;
  a token is inside a span when its marginal probability of B or I reaches ``threshold``.
* Technique classification: a linear SVM (one-vs-rest) over TF-IDF word n-grams of the
  span and hand-made features (lexicon categories, length, repetition in the article, context
  words), see :mod:`sourcetrace.extract.language.features`.

Both are deterministic for a given training set (L-BFGS from zero weights), so
``python -m sourcetrace.extract.language.train`` reproduces the committed model file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pycrfsuite
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from sourcetrace.extract.language.features import DocContext, span_text_features, token_features
from sourcetrace.extract.language.metrics import merge_spans

FORMAT_VERSION = 2
# The committed model; `make models` rebuilds it from ../shared.
MODEL_FILE = Path(__file__).with_name("model.joblib.gz")
# Marginal probability of "inside a span" above which a token is tagged (chosen on one
# development fold of the benchmark's cross-validation; Viterbi decoding is too conservative
# for the partial-credit SI metric).
DEFAULT_THRESHOLD = 0.15
CRF_PARAMS: dict[str, Any] = {
    "c1": 0.1,  # L1 keeps the model file small by zeroing most feature weights
    "c2": 0.01,
    "max_iterations": 100,  # 50 iterations lost ~0.03 SI F1 (not converged)
    "feature.possible_transitions": True,
    "feature.minfreq": 2,
}
CLF_C = 0.1
SOFTMAX_SCALE = 3.0  # SVM margins are ~±1; scaled so that a clear winner gets most mass


@dataclass
class DocSpans:
    """One training document: its parse context and gold (start, end, technique) spans."""

    ctx: DocContext
    spans: list[tuple[int, int, str]] = field(default_factory=list)


def _sequences(ctx: DocContext) -> list[Any]:
    space = ctx.cols.space
    return [s for s in ctx.sents if not all(space[s.start : s.end])]


def gold_labels(ctx: DocContext, spans: Sequence[tuple[int, int]], sent: Any) -> list[str]:
    """B/I/O of each token of ``sent``: a token is inside a gold span when at least half of its
    characters are; B where a new (merged) span starts."""
    merged = merge_spans(spans)
    labels: list[str] = []
    prev = -1
    for tok in sent:
        if tok.is_space:
            labels.append("O")
            prev = -1
            continue
        t0, t1 = tok.idx, tok.idx + len(tok)
        which = -1
        for k, (s, e) in enumerate(merged):
            if s >= t1:
                break
            if min(e, t1) - max(s, t0) >= (t1 - t0) / 2:
                which = k
                break
        if which < 0:
            labels.append("O")
        else:
            labels.append("I" if which == prev else "B")
        prev = which
    return labels


def train_tagger(docs: Sequence[DocSpans], params: dict[str, Any] | None = None) -> bytes:
    """Train the CRF span tagger; returns the CRFsuite model file as bytes."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for d in docs:
        spans = [(s, e) for s, e, _ in d.spans]
        for sent in _sequences(d.ctx):
            trainer.append(token_features(d.ctx, sent), gold_labels(d.ctx, spans, sent))
    trainer.set_params({**CRF_PARAMS, **(params or {})})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tagger.crfsuite"
        trainer.train(str(path))
        return path.read_bytes()


def open_tagger(model: bytes) -> pycrfsuite.Tagger:
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(model)
    return tagger


def tag_spans(
    tagger: pycrfsuite.Tagger, ctx: DocContext, threshold: float = DEFAULT_THRESHOLD
) -> list[tuple[int, int, float]]:
    """Predicted (start, end, confidence) character spans; confidence is the mean marginal
    probability of the span's tokens being inside a span."""
    out: list[tuple[int, int, float]] = []
    labels = set(tagger.labels())
    has_b, has_i = "B" in labels, "I" in labels
    space = ctx.cols.space
    marginal = tagger.marginal
    for sent in _sequences(ctx):
        tagger.set(token_features(ctx, sent))
        current: list[Any] = []  # [start_tok, end_tok, sum_p]
        first = sent.start
        for j in range(sent.end - first):
            i = first + j
            p_b = marginal("B", j) if has_b else 0.0
            p_i = marginal("I", j) if has_i else 0.0
            p_in = p_b + p_i
            if space[i] or p_in < threshold:
                if current:
                    out.append(_close(ctx, current))
                    current = []
                continue
            if current and p_b > p_i and p_b > 0.5:  # a span starts right after another one
                out.append(_close(ctx, current))
                current = []
            if not current:
                current = [i, i + 1, 0.0]
            current[1] = i + 1
            current[2] += p_in
        if current:
            out.append(_close(ctx, current))
    return out


def _close(ctx: DocContext, current: list[Any]) -> tuple[int, int, float]:
    doc = ctx.doc
    start, end, total = current
    # Leading/trailing punctuation is rarely part of a PTC span.
    while end - start > 1 and doc[end - 1].is_punct and doc[end - 1].text not in ('"', "”", "’"):
        end -= 1
    while end - start > 1 and doc[start].is_punct and doc[start].text not in ('"', "“", "‘"):
        start += 1
    last = doc[end - 1]
    return doc[start].idx, last.idx + len(last), total / (current[1] - current[0])


_TOKEN_PATTERN = r"(?u)\b\w+\b|[!?\"“”]"
_NGRAMS = (1, 2)


@dataclass
class Classifier:
    """Technique classifier kept as plain arrays (vocabularies, idf, weights) rather than pickled
    scikit-learn objects: the model file then loads under any scikit-learn version and is a
    third of the size."""

    vocabulary: dict[str, int]  # word n-gram -> column
    idf: np.ndarray
    hand_vocabulary: dict[str, int]  # hand-made feature -> column (after the n-gram columns)
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray
    classes: list[str]
    _counter: Any = field(default=None, repr=False)

    def matrix(self, items: Sequence[tuple[DocContext, int, int]]) -> Any:
        texts, feats = zip(*(span_text_features(c, s, e) for c, s, e in items), strict=True)
        if self._counter is None:
            self._counter = CountVectorizer(
                vocabulary=self.vocabulary, ngram_range=_NGRAMS, token_pattern=_TOKEN_PATTERN
            )
        # TF-IDF as TfidfVectorizer(sublinear_tf=True) computes it: (1 + log tf) * idf, L2.
        tf = self._counter.transform(texts).astype(np.float64)
        tf.data = 1.0 + np.log(tf.data)
        words = normalize(tf.multiply(self.idf.astype(np.float64)).tocsr())
        rows, cols, vals = [], [], []
        for r, f in enumerate(feats):
            for name, value in f.items():
                col = self.hand_vocabulary.get(name)
                if col is not None:
                    rows.append(r)
                    cols.append(col)
                    vals.append(value)
        hand = csr_matrix((vals, (rows, cols)), shape=(len(feats), len(self.hand_vocabulary)))
        return hstack([words, hand]).tocsr()

    def predict_proba(self, items: Sequence[tuple[DocContext, int, int]]) -> np.ndarray:
        """Softmax of the SVM margins: a relative confidence that ranks the techniques of a
        span, not a calibrated probability."""
        if not items:
            return np.zeros((0, len(self.classes)))
        x = self.matrix(items)
        margins = np.asarray(x @ self.coef.T.astype(np.float64)) + self.intercept
        if margins.shape[1] == 1:  # two classes: one weight row, positive = the second class
            margins = np.hstack([-margins, margins])
        margins = margins * SOFTMAX_SCALE
        margins -= margins.max(axis=1, keepdims=True)
        exp = np.exp(margins)
        return exp / exp.sum(axis=1, keepdims=True)

    def to_dict(self) -> dict[str, Any]:
        return {"vocabulary": self.vocabulary, "idf": self.idf,
                "hand_vocabulary": self.hand_vocabulary, "coef": self.coef,
                "intercept": self.intercept, "classes": self.classes}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Classifier:
        return cls(d["vocabulary"], d["idf"], d["hand_vocabulary"], d["coef"],
                   d["intercept"], list(d["classes"]))


def train_classifier(docs: Sequence[DocSpans], c: float = CLF_C) -> Classifier:
    items = [(d.ctx, s, e) for d in docs for s, e, _ in d.spans]
    y = [t for d in docs for _, _, t in d.spans]
    texts, feats = zip(*(span_text_features(c_, s, e) for c_, s, e in items), strict=True)
    word = TfidfVectorizer(
        lowercase=True, ngram_range=_NGRAMS, min_df=2, sublinear_tf=True, max_features=15000,
        token_pattern=_TOKEN_PATTERN,
    )
    word.fit(texts)
    hand = DictVectorizer().fit(feats)
    model = Classifier(
        {k: int(v) for k, v in word.vocabulary_.items()},
        word.idf_.astype(np.float32),
        {k: int(v) for k, v in hand.vocabulary_.items()},
        np.zeros(0), np.zeros(0), [],
    )
    # A linear SVM: as accurate as logistic regression here (CV), and trains in a second where
    # L-BFGS logistic regression took minutes on these ~20k sparse features.
    svm = LinearSVC(C=c, random_state=0)
    svm.fit(model.matrix(items), y)
    # float16 weights: a third of the file, no change in the predicted technique.
    model.coef = svm.coef_.astype(np.float16)
    model.intercept = svm.intercept_.astype(np.float64)
    model.classes = [str(k) for k in svm.classes_]
    return model


@dataclass
class LanguageModel:
    tagger_model: bytes
    classifier: Classifier
    meta: dict[str, Any] = field(default_factory=dict)
    threshold: float = DEFAULT_THRESHOLD
    _tagger: Any = field(default=None, repr=False)

    @property
    def tagger(self) -> pycrfsuite.Tagger:
        if self._tagger is None:
            self._tagger = open_tagger(self.tagger_model)
        return self._tagger

    def predict(self, ctx: DocContext) -> list[tuple[int, int, str, float]]:
        """(start, end, technique, score) of every span found; score = span confidence ×
        probability of the technique."""
        spans = tag_spans(self.tagger, ctx, self.threshold)
        probs = self.classifier.predict_proba([(ctx, s, e) for s, e, _ in spans])
        classes = self.classifier.classes
        out = []
        for (s, e, conf), row in zip(spans, probs, strict=True):
            k = int(np.argmax(row))
            out.append((s, e, classes[k], float(conf * row[k])))
        return out

    def save(self, path: Path) -> None:
        payload = {
            "format": FORMAT_VERSION, "tagger": self.tagger_model,
            "classifier": self.classifier.to_dict(), "meta": self.meta,
            "threshold": self.threshold,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(payload, path, compress=("gzip", 9))

    @classmethod
    def load(cls, path: Path) -> LanguageModel:
        payload = joblib.load(path)
        if payload.get("format") != FORMAT_VERSION:
            raise ValueError(f"{path}: model format {payload.get('format')}, "
                             f"expected {FORMAT_VERSION}; rebuild it with `make models`")
        clf = Classifier.from_dict(payload["classifier"])
        return cls(payload["tagger"], clf, payload["meta"], payload["threshold"])


def train_model(docs: Sequence[DocSpans], meta: dict[str, Any] | None = None) -> LanguageModel:
    return LanguageModel(train_tagger(docs), train_classifier(docs), dict(meta or {}))
