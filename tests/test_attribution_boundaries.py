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
