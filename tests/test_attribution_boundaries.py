"""The learned content boundaries (extract/attribution/boundaries.py) and the fixes of issue
20's seed cases, on sentences of our own."""

from __future__ import annotations

import pytest

from sourcetrace.extract.attribution import boundaries
from sourcetrace.extract.attribution.tagger import extract


@pytest.fixture(scope="module")
def parse(nlp):
    from sourcetrace.config import EXTRACT_COMPONENTS

    def _parse(text: str):  # noqa: ANN202 - a parsed Doc
        keep = [p for p in nlp.pipe_names if p not in EXTRACT_COMPONENTS]
        with nlp.select_pipes(enable=keep):
            return nlp(text)

    return _parse


def test_boundary_model_is_committed_and_small():
    assert boundaries.available()
    assert boundaries.MODEL.stat().st_size < 1_500_000


TEXTS = [
    "The senator called for steep new tariffs on steel from abroad, aides said.",
    "Residents urged the council to keep the old library open, although they say the roof"
    " leaks.",
    "“We will not sell the farm,” Laura Benning said. Her brother disagreed.",
    "The mayor said on Tuesday that the budget would be balanced by June, which few believe.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_moved_boundaries_keep_spans_honest(parse, text):
    doc = parse(text)
    atts, _ = extract(doc)
    assert atts
    for att in atts:
        assert att.content and all(a < b for a, b in att.content)
        assert att.content_texts == [text[a:b] for a, b in att.content]
        assert att.content_text == text[att.content_start : att.content_end]
        # the cue never ends up inside a content that did not hold it before
        before = {(a.cue_start, a.cue_end): a for a in extract(doc, boundaries=False)[0]}
        old = before[(att.cue_start, att.cue_end)]
        holds = att.content_start <= att.cue_start < att.content_end
        assert not holds or old.content_start <= att.cue_start < old.content_end


def test_it_further_estimated_is_one_attribution_with_the_whole_estimate(parse):
    # issue 20, seed 000: "It ... estimated" cut the content at the object and came twice
    text = ("The Harbour Ministry said losses reached $25 million last year.\n\n"
            "It further estimated the total value of the fishing losses to amount to"
            " $11 million.")
    atts, _ = extract(parse(text))
    est = [a for a in atts if a.cue_text.endswith("estimated")]
    assert len(est) == 1
    assert est[0].source_text == "It"
    assert est[0].source_resolved == "The Harbour Ministry"
    # (the learned boundary may take the full stop in, as PolNeAR's annotators often do)
    assert [t.rstrip(".") for t in est[0].content_texts] == [
        "the total value of the fishing losses to amount to $11 million"]


def _att(text: str, cue: str, pieces: list[str]):  # noqa: ANN202 - an Attribution
    from sourcetrace.extract.attribution.model import Attribution

    cs = text.index(cue)
    content = [(text.index(p), text.index(p) + len(p)) for p in pieces]
    return Attribution(source_start=0, source_end=0, source_text="", cue_start=cs,
                       cue_end=cs + len(cue), cue_text=cue, content=content,
                       content_texts=list(pieces), rule="learned")


def test_a_content_cut_short_can_end_at_its_sentence_end(parse):
    # the gold end of a content cut more than WINDOW words short was no candidate at all
    text = ("The mayor said that the new budget would be balanced by the end of next June"
            " at the very latest. Nobody believed it.")
    doc = parse(text)
    att = _att(text, "said", ["that the new budget would be balanced"])
    got = boundaries.candidates(doc, att, "end", boundaries.Words(doc))
    assert got is not None
    ends = {doc[i].text for i in got[1]}
    assert "latest" in ends  # the word before the sentence's full stop
    assert not ends & {"Nobody", "believed", "it"}  # never into the next sentence


def test_the_end_of_a_two_piece_content_can_move_into_its_first_piece(parse):
    # a piece of another attribution's content glued to this one: the end may drop it,
    # but never lands in the gap between the pieces
    text = ("“We will rebuild the bridge before the winter storms arrive,” the engineer"
            " said, while the council debated the cost of the old ferry service.")
    doc = parse(text)
    first = "We will rebuild the bridge before the winter storms arrive"
    second = "the council debated the cost of the old ferry service"
    att = _att(text, "said", [first, second])
    got = boundaries.candidates(doc, att, "end", boundaries.Words(doc))
    assert got is not None
    ends = {doc[i].text for i in got[1]}
    assert "arrive" in ends
    assert not ends & {"engineer", "said", "while"}


def test_dropping_a_piece_keeps_the_spans_honest(parse, monkeypatch):
    text = ("“We will rebuild the bridge before the winter storms arrive,” the engineer"
            " said, while the council debated the cost of the old ferry service.")
    doc = parse(text)
    first = "We will rebuild the bridge before the winter storms arrive"
    second = "the council debated the cost of the old ferry service"
    att = _att(text, "said", [first, second])
    # a model that only wants to drop the second piece (and keeps the start)
    weights = {"end": {"drop=1": 5.0}, "start": {"off=0": 5.0}}
    monkeypatch.setattr(boundaries, "_model", lambda: weights)
    boundaries.adjust(doc, [att])
    assert att.content_texts == [first]
    assert att.content == [(text.index(first), text.index(first) + len(first))]
