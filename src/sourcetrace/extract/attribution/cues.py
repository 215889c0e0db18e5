"""A small cue classifier: is this verb, in this parse, the cue of an attribution?

A logistic regression over features of the parse (lemma, tag, dependency, the kinds of
children, the kind of subject, nearby quotations, the cue prior from ``cue_stats.json``).
``train.py`` fits it on the PolNeAR train split and writes its weights to ``cue_model.json``
(feature -> weight, plus the bias); scoring needs no scikit-learn, only this file.

The rules ask :func:`cue_probability` for every verb outside a quotation; those above
``THRESHOLD`` go on to the source and content rules, which still have to find both.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from spacy.tokens import Token

from sourcetrace.extract.attribution import lexicon as lx

MODEL = Path(__file__).with_name("cue_model.json")
# Chosen end to end on a fifth of the train documents held out of the model (train.py
# --holdout 0.2): 0.35 and 0.4 gave the best source, cue and content F1 there.
THRESHOLD = 0.35
# doc.user_data key of the probabilities the rules computed (token index -> P(cue)), which
# the learned tagger's features reuse rather than compute twice.
PROB_KEY = "sourcetrace_cue_prob"
_SUBJECT_DEPS = ("nsubj", "nsubjpass", "csubj", "expl")


def candidate(tok: Token) -> bool:
    """Verbs that could be cues: the classifier only ever sees these."""
    return tok.pos_ in ("VERB", "AUX") and tok.dep_ not in ("amod", "aux", "auxpass")


def _subject_kind(tok: Token) -> str:
    subj = next((c for c in tok.children if c.dep_ in _SUBJECT_DEPS), None)
    if subj is None:
        return "none"
    low, lemma = subj.lower_, subj.lemma_.lower()
    if subj.dep_ == "expl":
        return "expl"
    if low in lx.PERSON_PRONOUNS:
        return "he"
    if low in lx.PLURAL_PRONOUNS:
        return "they"
    if low in lx.NEUTER_PRONOUNS:
        return "it"
    if subj.ent_type_ in ("PERSON", "ORG", "GPE", "NORP"):
        return subj.ent_type_
    for name, words in (
        ("person-noun", lx.PERSON_NOUNS),
        ("org-noun", lx.ORG_NOUNS),
        ("statement-noun", lx.STATEMENT_NOUNS),
        ("anon-noun", lx.ANONYMOUS_NOUNS),
        ("vague-noun", lx.VAGUE_NOUNS),
    ):
        if lemma in words or low in words:
            return name
    return subj.pos_


def features(
    tok: Token, ratio: float, in_quote: Callable[[int], bool]
) -> dict[str, float]:
    """Sparse features of one candidate verb. ``ratio`` is its cue prior (cue_stats) and
    ``in_quote(char)`` tells whether a character lies inside a quotation."""
    lemma = tok.lemma_.lower()
    deps = sorted({c.dep_ for c in tok.children})
    # "according to" inside a quotation the verb introduces is the quote's, not the verb's
    preps = sorted({c.lower_ for c in tok.children if c.dep_ == "prep" and not in_quote(c.idx)})
    subj = _subject_kind(tok)
    sent = tok.sent
    quote_in_sent = any(in_quote(t.idx) for t in sent if not t.is_punct)
    near = [t for t in tok.doc[max(tok.i - 3, 0) : tok.i + 4] if t.i != tok.i]
    quote_near = any(t.text in "“”\"''" or in_quote(t.idx) for t in near)
    has_clause = any(d in ("ccomp", "csubj") for d in deps)
    f: dict[str, float] = {
        "bias_ratio": ratio,
        f"ratio={min(int(ratio * 10), 9)}": 1.0,
        f"lemma={lemma}": 1.0,
        f"lower={tok.lower_}": 1.0,
        f"tag={tok.tag_}": 1.0,
        f"dep={tok.dep_}": 1.0,
        f"head_pos={tok.head.pos_}": 1.0,
        f"subj={subj}": 1.0,
        f"lemma={lemma}|clause={has_clause}": 1.0,
        f"lemma={lemma}|dep={tok.dep_}": 1.0,
        f"speech={lemma in lx.SPEECH_VERBS}|clause={has_clause}": 1.0,
        f"speech={lemma in lx.SPEECH_VERBS}|subj={subj}": 1.0,
        f"quote_sent={quote_in_sent}": 1.0,
        f"quote_near={quote_near}": 1.0,
        f"speech={lemma in lx.SPEECH_VERBS}|quote_near={quote_near}": 1.0,
        f"ratio={min(int(ratio * 5), 4)}|clause={has_clause}": 1.0,
        f"ratio={min(int(ratio * 5), 4)}|dep={tok.dep_}": 1.0,
    }
    for d in deps:
        f[f"child={d}"] = 1.0
    for p in preps:
        f[f"prep={p}"] = 1.0
        f[f"lemma={lemma}|prep={p}"] = 1.0
    if tok.i + 1 < len(tok.doc) and tok.doc[tok.i + 1].text == ":":
        f["colon_after"] = 1.0
    return f


@lru_cache(maxsize=1)
def _weights() -> tuple[dict[str, float], float]:
    if not MODEL.exists():
        return {}, 0.0
    data = json.loads(MODEL.read_text("utf-8"))
    return data["weights"], float(data["bias"])


def available() -> bool:
    return bool(_weights()[0])


def cue_probability(tok: Token, ratio: float, in_quote: Callable[[int], bool]) -> float:
    """P(cue) of a candidate verb under the trained model (0.0 when there is no model)."""
    weights, bias = _weights()
    if not weights:
        return 0.0
    z = bias + sum(weights.get(k, 0.0) * v for k, v in features(tok, ratio, in_quote).items())
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
