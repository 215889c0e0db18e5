"""The learned extractor's own cues and sources must be cues and noun phrases (issue #20:
seed errors where a clause was taken as a source and "in order" as a cue), on sentences of
our own."""

from __future__ import annotations

from sourcetrace.extract.attribution import tagger


def _doc(nlp, text: str):
    with nlp.select_pipes(enable=[p for p in nlp.pipe_names if not p.startswith("sourcetrace_")
                                  or p == "sourcetrace_paragraphs"]):
        return nlp(text)


def test_a_tagged_source_that_is_a_clause_is_cut_to_its_subject(nlp):
    doc = _doc(nlp, "The rebels and the militia burned three villages, witnesses said.")
    # "The rebels and the militia burned three villages" as one tagged source span
    verb = next(t for t in doc if t.text == "burned")
    src = doc[0 : verb.i + 3]
    got = tagger._nominal(src)
    assert got is not None and got.text == "The rebels and the militia"


def test_a_tagged_source_with_no_subject_in_its_clause_is_none(nlp):
    doc = _doc(nlp, "After they burned three villages, witnesses said the militia left.")
    verb = next(t for t in doc if t.text == "burned")
    assert tagger._nominal(doc[verb.i : verb.i + 3]) is None


def test_a_source_does_not_end_on_the_next_phrase_s_article(nlp):
    doc = _doc(nlp, "The amnesty granted by the council was welcomed, the mayor said.")
    end = next(t for t in doc if t.text == "council").i  # span "... granted by the"
    got = tagger._nominal(doc[0:end])
    assert got is not None and got.text == "The amnesty granted"


def test_a_noun_phrase_source_stays_whole(nlp):
    doc = _doc(nlp, "A spokeswoman for the ministry of health said the clinics would reopen.")
    said = next(t for t in doc if t.text == "said")
    got = tagger._nominal(doc[0 : said.i])
    assert got is not None and got.text == "A spokeswoman for the ministry of health"


def test_an_object_pronoun_is_not_who_speaks(nlp):
    doc = _doc(nlp, "The deal allows them to justify the raids, and according to them it "
                    "works, they said.")
    them = [t for t in doc if t.lower_ == "them"]
    they = next(t for t in doc if t.lower_ == "they")
    assert tagger._nominal(doc[them[0].i : them[0].i + 1]) is None  # object of "allows"
    after = tagger._nominal(doc[them[1].i : them[1].i + 1])  # "according to them"
    assert after is not None and after.text == "them"
    got = tagger._nominal(doc[they.i : they.i + 1])
    assert got is not None and got.text == "they"


def test_a_phrase_of_circumstance_is_not_who_speaks(nlp):
    doc = _doc(nlp, "Most of the fighters returned after the truce agreed by the council.")
    verb = next(t for t in doc if t.text == "returned")
    council = next(t for t in doc if t.text == "council")
    assert tagger._in_adjunct(doc[council.i - 1 : council.i + 1], verb)
    assert not tagger._in_adjunct(doc[0:4], verb)  # its subject


def _assembled(nlp, text: str, tagged: dict[str, str]) -> list:
    """The attributions the assembler builds when the tagger labels the given phrases
    (role -> phrase, first occurrence) and nothing else: what the learned extractor makes
    of a tagger's mistake, independent of the shipped model's weights."""
    from sourcetrace.extract.attribution.rules import find

    doc = _doc(nlp, text)
    rules = list(find(doc).found)
    labels = ["O"] * len(doc)
    for role, phrase in tagged.items():
        a = text.index(phrase)
        span = doc.char_span(a, a + len(phrase))
        assert span is not None, phrase
        for k, tok in enumerate(span):
            labels[tok.i] = ("B-" if k == 0 else "I-") + role
    return tagger._Assembler(doc, labels, rules).build()


def test_a_tagged_verb_train_never_calls_a_cue_is_no_attribution(nlp):
    text = ("The brigades and the navy sank four boats, destroyed nine depots and seized two"
            " trucks, as reported earlier.")
    atts = _assembled(nlp, text, {"SRC": "The brigades and the navy sank four boats",
                                  "CUE": "destroyed", "CON": "nine depots"})
    assert not [a for a in atts if a.cue_text == "destroyed"], [
        (a.source_text, a.cue_text) for a in atts]


def test_in_order_is_no_cue(nlp):
    text = ("The camps were founded with money from two foreign agencies in order to train"
            " fighters against the government.")
    atts = _assembled(nlp, text, {"SRC": "two foreign agencies", "CUE": "in order",
                                  "CON": "to train fighters against the government"})
    assert not [a for a in atts if a.cue_text == "in order"]


def test_a_source_in_a_phrase_of_circumstance_is_not_the_speaker(nlp):
    text = ("Most of the fighters appeared in the valley after the so-called truce arranged by"
            " the northern council.")
    atts = _assembled(nlp, text, {"CON": "Most of the fighters", "CUE": "appeared",
                                  "SRC": "called truce arranged by the"})
    assert not [a for a in atts if "truce" in a.source_text], [
        (a.source_text, a.cue_text) for a in atts]


def test_a_tagged_speech_verb_stays(nlp):
    text = "Two of the senators complained the vote was rushed."
    atts = _assembled(nlp, text, {"SRC": "Two of the senators", "CUE": "complained",
                                  "CON": "the vote was rushed"})
    assert [(a.source_text, a.cue_text) for a in atts] == [("Two of the senators",
                                                             "complained")]


def test_a_near_miss_of_the_tagger_becomes_a_span():
    class Marginals:
        def marginal(self, label: str, k: int) -> float:
            return {("B-CUE", 1): 0.2, ("I-CUE", 1): 0.15, ("B-SRC", 2): 0.1}.get((label, k),
                                                                                   0.0)

    got = tagger._recall(Marginals(), ["B-SRC", "O", "O", "B-CON"])
    assert got == ["B-SRC", "B-CUE", "O", "B-CON"]


def test_a_tagged_cue_whose_speaker_is_untagged_takes_its_subject(nlp):
    text = "The spokeswoman thanked the senator for “making the streets safer.”"
    atts = _assembled(nlp, text, {"CUE": "thanked", "CON": "making the streets safer"})
    assert [(a.source_text, a.cue_text) for a in atts] == [("The spokeswoman", "thanked")]


def test_a_tagged_colon_cue_needs_no_word_evidence(nlp):
    text = "Harbour master: The ferry was overloaded."
    atts = _assembled(nlp, text, {"SRC": "Harbour master", "CUE": ":",
                                  "CON": "The ferry was overloaded"})
    assert [a.cue_text for a in atts] == [":"]


def test_a_date_is_not_what_a_cue_reports(nlp):
    text = "The agency issued a statement on Monday."
    atts = _assembled(nlp, text, {"SRC": "The agency", "CUE": "issued a statement on"})
    assert not [a for a in atts if a.content_text.strip(". ") == "Monday"]


def test_british_spellings_count_as_trains_american_cues() -> None:
    from sourcetrace.extract.attribution.rules import cue_stats
    from sourcetrace.extract.attribution.tagger import _spellings

    stats = cue_stats()
    assert "criticised" not in stats and "criticized" in stats
    assert _spellings("criticised") == ("criticised", "criticized")
    assert _spellings("apologising")[-1] == "apologizing"
    assert _spellings("said") == ("said",)


def test_a_content_the_tagger_cut_at_a_relative_clause_is_the_rules_clause(nlp):
    """Seed 004 ("X, which is run by Y, to Z, a report says"): a tagger that tags the
    content only from "which" on does not make the report say the relative clause."""
    text = ("The navy quietly moved hundreds of detainees from the old harbour prison in the"
            " eastern province, which is run by allied militias, to a camp in the south, a"
            " report says.")
    atts = _assembled(nlp, text, {
        "CON": "which is run by allied militias, to a camp in the south",
        "SRC": "a report", "CUE": "says"})
    says = [a for a in atts if a.cue_text == "says"]
    assert says, [(a.source_text, a.cue_text) for a in atts]
    assert says[0].content_text.startswith("The navy quietly moved"), says[0].content_text
    assert says[0].content_text.rstrip(",").endswith("a camp in the south")
    for a, b in says[0].content:
        assert text[a:b] in says[0].content_text
