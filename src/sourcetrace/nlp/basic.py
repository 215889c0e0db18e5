"""Rows every analysis has: sentences and named-entity mentions, straight from spaCy."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from sourcetrace.model import Document
from sourcetrace.nlp.labels import OTHER_LABELS
from sourcetrace.registry import row_exporters

if not Doc.has_extension("st_document"):
    # The ingested Document (title, outlet, publication date) for components that need context.
    Doc.set_extension("st_document", default=None)

# Labels that name actors, places and other named things (events, laws, works, products,
# languages, diseases, campaign hashtags: ``OTHER_LABELS``, entities of type ``other``);
# numbers and dates have their own extractors.
MENTION_LABELS = {"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC"} | OTHER_LABELS


@Language.component("sourcetrace_paragraphs")
def paragraph_boundaries(doc: Doc) -> Doc:
    """A line break ends a sentence. Headlines have no final period, and without this the
    parser runs a title into the first sentence of the article ("... the losses Independent
    inspectors said"), which breaks every extractor that reads the parse. The parser keeps
    boundaries set before it runs."""
    starts = []
    for token in doc[1:]:
        prev = doc[token.i - 1]
        if "\n" in prev.whitespace_ or (prev.is_space and "\n" in prev.text):
            if not token.is_space:
                starts.append(token.i)
    if not starts:
        return doc
    if doc.has_annotation("DEP"):
        doc[starts[0]].is_sent_start = True  # spaCy's own error (E043): parsed already
    # All at once: ``Token.is_sent_start = True`` checks the whole doc for a parse at every
    # call, which made this component quadratic in the number of lines.
    values = doc.to_array("SENT_START")
    values[starts] = 1
    doc.from_array("SENT_START", values)
    return doc


def sentence_index(doc: Doc) -> list[int]:
    """Token index -> sentence number, computed once per doc."""
    index = [0] * len(doc)
    for i, sent in enumerate(doc.sents):
        for t in range(sent.start, sent.end):
            index[t] = i
    return index


def span_rows(
    doc: Doc, document: Document, items: Sequence[Any], fields: Sequence[str]
) -> list[dict[str, Any]]:
    """Rows of spans an extractor found (objects with ``start``, ``end``, ``text`` and
    ``token_start``): the document id, the offsets and text, ``fields`` and the sentence."""
    if not items:
        return []
    sent_of = sentence_index(doc)
    return [
        {"doc": document.id, "start": i.start, "end": i.end, "text": i.text,
         **{f: getattr(i, f) for f in fields}, "sentence": sent_of[i.token_start]}
        for i in items
    ]


@row_exporters.register("basic", order=0)
def basic_rows(doc: Doc, document: Document) -> dict[str, list[dict]]:
    # The claim-worthiness verdict of each sentence (and of each line piece of a sentence
    # that spans line breaks), when that component ran.
    checks = doc._.claim_checks if Doc.has_extension("claim_checks") else None
    lines = doc._.line_checks if Doc.has_extension("line_checks") else None
    sentences = [
        {
            "doc": document.id, "idx": i, "start": s.start_char, "end": s.end_char,
            "text": s.text, "claim_check": checks[i] if checks else None,
            "line_checks": lines[i] if lines else None,
        }
        for i, s in enumerate(doc.sents)
    ]
    sent_of = sentence_index(doc)
    mentions = [
        {
            "doc": document.id, "start": e.start_char, "end": e.end_char, "text": e.text,
            "label": e.label_, "sentence": sent_of[e.start], "entity": None,
        }
        for e in doc.ents
        if e.label_ in MENTION_LABELS
    ]
    handles = doc._.handles if Doc.has_extension("handles") else None
    if handles:
        # handles quoted in the text ("@HarrisPoll"), which no token boundary delimits
        tokens = [t.idx for t in doc]
        for start, end, label in handles:
            k = max(0, bisect_right(tokens, start) - 1)
            mentions.append({"doc": document.id, "start": start, "end": end,
                             "text": doc.text[start:end], "label": label,
                             "sentence": sent_of[k] if tokens else 0, "entity": None})
        mentions.sort(key=lambda m: (m["start"], m["end"]))
    return {"sentences": sentences, "mentions": mentions}
