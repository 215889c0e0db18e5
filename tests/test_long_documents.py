"""Long documents: the per-doc indexes that keep the extractors linear in a document's length
give the answers of the plain whole-document questions they replaced, on our own texts.

No timings here: each test checks an index against the scan it replaced, or that a question
asked per line is answered once per line, or that a long document is read as its parts are.
"""

from __future__ import annotations

import re
from itertools import cycle, islice

import pytest
import spacy
from spacy.tokens import Doc

from sourcetrace.extract.names import component as names_component
from sourcetrace.extract.names.component import _Lines
from sourcetrace.nlp.basic import paragraph_boundaries
from sourcetrace.nlp.spans import EntityIndex

_PARAGRAPHS = [
    "Harbour Cranes Idle As Strike Enters Second Week",
    "GDANSK — Dock workers in Gdansk extended their strike on Monday, said Tomasz Wierzbicki, "
    "who leads the port union. \u201cWe will stay out until the ministry listens,\u201d he said.",
    "Transport Minister Elena Petrova said talks would resume in Warsaw. Petrova added that "
    "shipments of grain from Ukraine had been rerouted through Klaipeda, Lithuania.",
    "MARKETS",
    "Shipping agents in Rotterdam and Hamburg reported delays of up to nine days, according "
    "to a note from the Baltic Freight Exchange.",
    "Wierzbicki rejected the offer. \u201cIt is the same letter with a new date,\u201d "
    "Wierzbicki told Reuters outside the union hall on Tuesday.",
    "Sofia Castellanos, an analyst at Banco Meridional in Madrid, said costs would rise. "
    "Critics, including Marcus Whitfield of the Port Users Council, called that too gloomy.",
]


def _long_text(paragraphs: int) -> str:
    return "\n\n".join(islice(cycle(_PARAGRAPHS), paragraphs))


# -- the line questions of the names component -------------------------------------------------
_LONG_WORD = re.compile(r"[A-Za-z][\w'’-]{3,}")


def _scan_headline(text: str, idx: int) -> bool:
    """The line of a character found by searching the text (what ``_Lines`` replaced)."""
    start = text.rfind("\n", 0, idx) + 1
    end = text.find("\n", idx)
    line = text[start : len(text) if end == -1 else end].rstrip()
    if line.endswith((".", "!", "?", '"', "”", "’")) or len(line.split()) > 20:
        return False
    words = _LONG_WORD.findall(line)
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _scan_whole_line(doc: Doc, start: int, end: int) -> bool:
    text = doc.text
    a, b = doc[start].idx, doc[end - 1].idx + len(doc[end - 1])
    line_start = text.rfind("\n", 0, a) + 1
    line_end = text.find("\n", b)
    line_end = len(text) if line_end == -1 else line_end
    return not any(c.isalnum() for c in text[line_start:a] + text[b:line_end])


@pytest.mark.parametrize("one_line", [False, True], ids=["lines", "no line breaks"])
def test_line_index_answers_as_a_scan_of_the_text(one_line: bool) -> None:
    text = _long_text(24)
    if one_line:
        text = " ".join(text.split())  # no break at all: every line question is the text
    doc = spacy.blank("en").make_doc(text)
    lines = _Lines(doc)
    for tok in doc:
        assert lines.headline(tok) == _scan_headline(text, tok.idx), (tok.i, tok.text)
    for start in range(len(doc)):
        for end in range(start + 1, min(len(doc), start + 4) + 1):
            assert lines.whole_line(start, end) == _scan_whole_line(doc, start, end), (start, end)
    if not one_line:
        # the index must see both kinds of line, or the comparison proves little
        assert any(lines.headline(t) for t in doc) and not all(lines.headline(t) for t in doc)
        assert lines.whole_line(0, 1) is False  # a headline's first word
        markets = next(t for t in doc if t.text == "MARKETS")
        assert lines.whole_line(markets.i, markets.i + 1)


def test_each_line_is_judged_a_headline_once(nlp, monkeypatch: pytest.MonkeyPatch) -> None:
    judged: list[str] = []
    real = names_component._headline_line

    def counting(line: str) -> bool:
        judged.append(line)
        return real(line)

    monkeypatch.setattr(names_component, "_headline_line", counting)
    text = _long_text(60)
    doc = nlp(text)
    assert judged, "the names component asked no line question"
    assert len(judged) <= text.count("\n") + 1  # at most once per line, not per name
    assert doc._.names


# -- entities within a span ---------------------------------------------------------------------
def test_entity_index_gives_span_ents(nlp) -> None:
    doc = nlp(_long_text(21))
    assert len(doc.ents) > 20
    index = EntityIndex(doc)
    for start in range(0, len(doc), 3):
        for end in range(start + 1, min(len(doc), start + 15) + 1):
            span = doc[start:end]
            got = [(e.start, e.end, e.label_) for e in index.within(span)]
            assert got == [(e.start, e.end, e.label_) for e in span.ents], (start, end)


# -- a long document is read as its parts ------------------------------------------------------
def test_names_far_apart_in_a_long_document(nlp) -> None:
    """The surname rule and knowledge-base matches still reach across a long document."""
    text = ("The preacher Omar Bakri Mohammed spoke in London.\n\n" + _long_text(70)
            + "\n\nLater, Bakri said he had left. Fighters of the Islamic State crossed the river.")
    doc = nlp(text)
    names = {doc[n.start : n.end].text: n for n in doc._.names}
    assert (names["Bakri"].label, names["Bakri"].reason) == ("PERSON", "surname")
    assert names["Islamic State"].kb == "isis"
    assert "Islamic" not in names
    assert names["Elena Petrova"].label == "PERSON"


def test_paragraph_breaks_start_sentences_in_a_long_document() -> None:
    text = "\n".join(_long_text(80).split("\n\n"))  # single breaks, and a space token or two
    text = text.replace("MARKETS\n", "MARKETS\n \n")
    doc = spacy.blank("en").make_doc(text)
    paragraph_boundaries(doc)
    expected = {
        t.i for t in doc[1:]
        if not t.is_space and ("\n" in doc[t.i - 1].whitespace_
                               or (doc[t.i - 1].is_space and "\n" in doc[t.i - 1].text))
    }
    assert len(expected) > 70
    assert {t.i for t in doc[1:] if t.is_sent_start} == expected
    assert all(t.is_sent_start is None for t in doc[1:] if t.i not in expected)


def test_paragraph_boundaries_refuse_a_parsed_doc(nlp) -> None:
    doc = nlp("A first line\nA second line.")
    with pytest.raises(ValueError, match="E043"):
        paragraph_boundaries(doc)
