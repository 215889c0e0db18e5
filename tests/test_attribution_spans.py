"""Every attribution's spans are honest: each ``text`` is the document's text between its
offsets, and a content split around its cue lists its pieces (issue #20)."""

from __future__ import annotations

import json

import pytest

from sourcetrace.extract.attribution import attribution_rows
from sourcetrace.model import Document
from sourcetrace.outputs.shapes import attribution as attribution_shape

TEXTS = [
    "“We heard the alarm,” the guard said, “and we left at once.”",
    "The new bridge, the engineer said, would carry twice the traffic.",
    "According to the harbour master, the ferry sank because it was overloaded, and the crew"
    " had been warned twice.",
    "The company has long been accused of dumping fuel at sea. “It is a lie,” a spokeswoman"
    " said, adding that the firm “follows every rule.” Officials, citing a leaked memo, said"
    " the fines would double.",
    "The mayor said on Tuesday that the budget would be balanced by June, but the council"
    " doubted it. She told reporters: “We will not raise taxes. Not this year.”",
]


def _check(text: str, start: int, end: int, piece_text: str) -> None:
    assert 0 <= start <= end <= len(text)
    assert piece_text == text[start:end]


@pytest.mark.parametrize("text", TEXTS)
def test_every_span_text_is_the_text_between_its_offsets(nlp, text):
    doc = nlp.make_doc(text)
    doc._.st_document = Document(id="d1", text=text)
    for _name, proc in nlp.pipeline:
        doc = proc(doc)
    atts = doc._.attributions
    assert atts, "no attribution found"
    rows = attribution_rows(doc)["attributions"]
    assert len(rows) == len(atts)
    split = 0
    for att, row in zip(atts, rows, strict=True):
        _check(text, att.source_start, att.source_end, att.source_text)
        _check(text, att.cue_start, att.cue_end, att.cue_text)
        _check(text, att.content_start, att.content_end, att.content_text)
        _check(text, row["content_start"], row["content_end"], row["content_text"])
        pieces = json.loads(row["content_spans"])
        assert pieces == [list(p) for p in att.content]
        assert pieces[0][0] == row["content_start"] and pieces[-1][1] == row["content_end"]
        assert all(a < b <= c for (a, b), (c, _) in zip(pieces, pieces[1:], strict=False))
        shaped = attribution_shape(row | {"source_kind": att.source_kind})["content"]
        assert shaped["text"] == text[shaped["start"] : shaped["end"]]
        for piece in shaped["spans"]:
            _check(text, piece["start"], piece["end"], piece["text"])
        split += len(pieces) > 1
    if text.startswith("“We heard"):
        assert split == 1  # the split quotation keeps both pieces and the cue between them
