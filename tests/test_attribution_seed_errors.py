"""Constructions that new users saw misread (issue #20), on sentences of our own."""

from __future__ import annotations


def _atts(nlp, text: str):
    return nlp(text)._.attributions


def test_a_thing_that_calls_for_something_is_no_source(nlp):
    text = ("The scheme reportedly calls for the help of several smuggling networks, including"
            " two in the south.")
    atts = _atts(nlp, text)
    assert not [a for a in atts if a.cue_text.lower().startswith("calls")], [
        (a.source_text, a.cue_text) for a in atts]
    # the hedge stays: an unnamed source says it
    hedge = [a for a in atts if a.cue_text == "reportedly"]
    assert hedge and hedge[0].hedged and hedge[0].source_text == ""


def test_subjects_that_cannot_speak():
    from sourcetrace.extract.attribution.rules import _can_speak
    from sourcetrace.nlp.pipeline import load_pipeline

    nlp = load_pipeline()
    with nlp.select_pipes(enable=[p for p in nlp.pipe_names if not p.startswith("sourcetrace_")
                                  or p == "sourcetrace_paragraphs"]):
        doc = nlp("The plot calls for help. The ministry calls for calm. She calls for calm.")
    subjects = {t.text: _can_speak(t) for t in doc if t.dep_ == "nsubj"}
    assert subjects == {"plot": False, "ministry": True, "She": True}


def test_a_sentence_closing_cue_reports_all_before_its_comma(nlp):
    text = ("The army has quietly moved dozens of prisoners from the camp in the north, which is"
            " run by local militias, to a jail in Iraq, a report says.")
    att = next(a for a in _atts(nlp, text) if a.cue_text == "says")
    assert att.source_text == "a report"
    assert att.content_text == text[: text.index(", a report")]
