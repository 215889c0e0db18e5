"""The spaCy component ``sourcetrace_language`` and the ``language`` table rows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from sourcetrace.extract.language.features import Columns, DocContext
from sourcetrace.extract.language.lexicon import (
    CATEGORY_TECHNIQUE,
    STANDALONE,
    Hit,
    Lexicon,
    lexicon_for,
    scare_quote_spans,
)
from sourcetrace.extract.language.model import MODEL_FILE, LanguageModel
from sourcetrace.model import Document
from sourcetrace.registry import row_exporters

log = logging.getLogger(__name__)

# Scores of rule matches: rules are precise but say nothing about degree.
HEDGE_SCORE = 0.9
SCARE_QUOTE_SCORE = 0.8
LEXICON_SCORE = 0.5


@dataclass(frozen=True)
class LanguageSpan:
    start: int  # character offsets into the document text, end exclusive
    end: int
    technique: str  # a PTC technique, "hedge" or "scare_quotes"
    text: str
    score: float
    source: str  # "model", "lexicon" or "rule"


if not Doc.has_extension("language_spans"):
    Doc.set_extension("language_spans", default=None)


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> LanguageModel | None:
    """The trained model (once per process), or None when there is none: lexicon only."""
    file = Path(path) if path else MODEL_FILE
    if not file.is_file():
        log.warning("no language model at %s; loaded language from the lexicon only", file)
        return None
    try:
        return LanguageModel.load(file)
    except (ValueError, KeyError, OSError, EOFError) as exc:
        # A stale or damaged model file must not stop the whole analysis.
        log.warning("cannot load language model %s (%s); using the lexicon only", file, exc)
        return None


def lexicon_spans(doc: Doc, hits: list[Hit]) -> list[tuple[int, int, str]]:
    """(start, end, technique) for the standalone lexicon hits, overlapping or adjacent hits of
    the same technique joined (the lexicon fallback and baseline)."""
    chosen = sorted(
        (h for h in hits if h.category in STANDALONE), key=lambda h: (h.start, -h.end)
    )
    out: list[list] = []
    for h in chosen:
        technique = CATEGORY_TECHNIQUE[h.category]
        if out and h.start < out[-1][1]:  # overlapping: the longer, earlier hit wins
            out[-1][1] = max(out[-1][1], h.end)
            continue
        if out and h.start == out[-1][1] and out[-1][2] == technique:
            out[-1][1] = h.end
            continue
        out.append([h.start, h.end, technique])
    return [(doc[s].idx, doc[e - 1].idx + len(doc[e - 1]), t) for s, e, t in out]


def find_spans(doc: Doc, model: LanguageModel | None, lexicon: Lexicon) -> list[LanguageSpan]:
    """Technique spans from the model (or the lexicon without one), plus hedges and scare quotes
    by rule. Sorted by start offset."""
    text = doc.text
    found: list[LanguageSpan] = []
    cols = Columns(doc)  # every token's attributes, read once for all that follows
    if model is not None:
        ctx = DocContext(doc, lexicon, cols)
        for s, e, technique, score in model.predict(ctx):
            found.append(LanguageSpan(s, e, technique, text[s:e], round(score, 4), "model"))
    else:
        for s, e, technique in lexicon_spans(doc, lexicon.hits(doc, cols.lower, cols.lemma)):
            found.append(LanguageSpan(s, e, technique, text[s:e], LEXICON_SCORE, "lexicon"))
    for hit in lexicon.hedge_hits(doc, cols.lower):
        s, e = doc[hit.start].idx, doc[hit.end - 1].idx + len(doc[hit.end - 1])
        found.append(LanguageSpan(s, e, "hedge", text[s:e], HEDGE_SCORE, "rule"))
    for s, e in scare_quote_spans(doc, cols.lower):
        found.append(LanguageSpan(s, e, "scare_quotes", text[s:e], SCARE_QUOTE_SCORE, "rule"))
    return sorted(found, key=lambda x: (x.start, x.end, x.technique))


class LanguageComponent:
    def __init__(self, nlp: Language, name: str, model_path: str | None) -> None:
        self.name = name
        self.model = load_model(model_path)
        self.lexicon = lexicon_for(nlp.vocab)

    def __call__(self, doc: Doc) -> Doc:
        doc._.language_spans = find_spans(doc, self.model, self.lexicon)
        return doc


@Language.factory("sourcetrace_language", default_config={"model_path": None})
def make_language(nlp: Language, name: str, model_path: str | None) -> LanguageComponent:
    return LanguageComponent(nlp, name, model_path)


@row_exporters.register("language", order=40)
def language_rows(doc: Doc, document: Document) -> dict[str, list[dict]]:
    spans = doc._.language_spans or []
    return {
        "language": [
            {"doc": document.id, "start": s.start, "end": s.end, "technique": s.technique,
             "text": s.text, "score": s.score}
            for s in spans
        ]
    }
