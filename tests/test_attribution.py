"""Attribution extraction on sentences of our own, one or more per construction."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcetrace.extract.attribution import Attribution, attribution_rows
from sourcetrace.model import Document
from sourcetrace.tables import PER_DOCUMENT


@pytest.fixture(scope="module")
def run(nlp):
    def _run(text: str, outlet: str | None = None) -> list[Attribution]:
        doc = nlp.make_doc(text)
        if outlet:
            doc._.st_document = Document(id="t1", text=text, outlet=outlet)
        for _name, proc in nlp.pipeline:
            doc = proc(doc)
        return doc._.attributions

    return _run


def only(atts: list[Attribution], cue: str) -> Attribution:
    found = [a for a in atts if a.cue_text.lower() == cue.lower()]
    assert len(found) == 1, [(a.cue_text, a.source_text, a.content_text) for a in atts]
    return found[0]


# -- direct quotes ---------------------------------------------------------------------------
def test_quote_before_cue(run):
    text = "“The bridge will reopen in May,” the mayor said. Traffic was light."
    att = only(run(text), "said")
    assert att.source_text == "the mayor"
    assert att.content_text == "“The bridge will reopen in May,”"
    assert text[att.cue_start : att.cue_end] == "said"


def test_quote_after_colon(run):
    att = only(run("Laura Benning said: “We will not sell the farm.”"), "said")
    assert att.source_text == "Laura Benning"
    assert att.source_kind == "person"
    assert att.content_text == "“We will not sell the farm.”"


def test_quote_split_around_cue(run):
    text = "“We heard the alarm,” the guard said, “and we left at once.”"
    att = only(run(text), "said")
    assert len(att.content) == 2
    # the text covers start..end (the cue between the pieces too); the pieces are listed
    assert att.content_text == text
    assert att.content_claim == "“We heard the alarm,” “and we left at once.”"
    assert att.source_text == "the guard"


def test_quote_over_several_paragraphs_and_straight_quotes(run):
    text = (
        "\"The harvest failed in the north. Prices doubled.\n\n"
        "\"Families are leaving the valley,\" the farmers' union added."
    )
    att = only(run(text), "added")
    assert att.content_start == 0
    assert "Prices doubled." in att.content_text and "leaving the valley" in att.content_text
    assert att.source_text == "the farmers' union"


# -- indirect speech -------------------------------------------------------------------------
def test_indirect_speech_that_clause(run):
    att = only(run("Governor Tom Aldine said that the budget would be balanced by June."), "said")
    assert att.source_text == "Governor Tom Aldine"
    assert att.content_text == "that the budget would be balanced by June"
    assert not att.hedged


def test_alleged_is_hedged(run):
    att = only(run("The union alleged that managers had falsified the safety logs."), "alleged")
    assert att.source_text == "The union"
    assert att.source_kind == "organisation"
    assert att.hedged


def test_according_to(run):
    att = only(run("According to village elders, the well has been dry since March."),
               "according to")
    assert att.source_text == "village elders"
    assert att.content_text == "the well has been dry since March"


def test_citing_is_nested_in_outer_attribution(run, nlp):
    text = ("The Orbis news agency, citing hospital sources, reported on Tuesday that nine "
            "workers were injured in the blast.")
    atts = run(text)
    outer = only(atts, "reported")
    inner = only(atts, "citing")
    assert outer.source_text == "The Orbis news agency"
    assert inner.source_text == "hospital sources"
    assert inner.source_kind == "anonymous"
    assert atts[inner.parent] is outer
    assert "nine workers were injured" in inner.content_text
    rows = attribution_rows(nlp(text), None)["attributions"]
    by_cue = {r["cue_text"]: r for r in rows}
    assert by_cue["citing"]["parent"] == by_cue["reported"]["id"]


def test_according_to_inside_quote_is_nested(run):
    text = ("“According to reliable figures received by the Port Authority, the ships left "
            "at night,” the harbour master said.")
    atts = run(text)
    outer = only(atts, "said")
    inner = only(atts, "according to")
    assert atts[inner.parent] is outer
    assert "Port Authority" in inner.source_text
    assert "the ships left at night" in inner.content_text


def test_noun_cue_statement_and_its_anaphor(run):
    text = ("In a statement, the Delta Water Authority acknowledged that the reservoir was "
            "leaking. The statement added that repairs would take a year.")
    atts = run(text)
    first = only(atts, "acknowledged")
    second = only(atts, "added")
    assert first.source_text == "the Delta Water Authority"
    assert second.source_text == "The statement"
    assert second.source_resolved == "the Delta Water Authority"
    assert second.source_kind == "organisation"


def test_issued_statement_alleging_and_it_continues(run):
    text = ("The Kestrel Institute issued a statement on Monday, alleging that the tests were "
            "rigged. The samples were swapped before the audit, it continues.")
    atts = run(text)
    alleging = only(atts, "alleging")
    assert alleging.source_text == "The Kestrel Institute"
    assert alleging.hedged
    cont = only(atts, "continues")
    assert cont.source_text == "it"
    assert cont.source_resolved == "The Kestrel Institute"


def test_named_statement_resolves_to_issuer(run):
    text = ("In a statement, the KBX said the pipeline was damaged. “Repairs have begun,” the "
            "KBX statement adds.")
    att = only(run(text), "adds")
    assert att.source_text == "the KBX statement"
    assert "KBX" in att.source_resolved
    assert "statement" not in att.source_resolved


def test_possessive_sources_are_anonymous(run):
    att = only(run("Radio Vela's sources reported that the convoy had crossed the border."),
               "reported")
    assert att.source_kind == "anonymous"
    assert att.source_text == "Radio Vela's sources"


# -- implicit and vague sources ------------------------------------------------------------
def test_agentless_passive_accusation(run):
    att = only(run("The shipping firm has long been accused of dumping fuel at sea."),
               "has long been accused")
    assert att.source_text == ""
    assert att.source_start == att.source_end == att.cue_start
    assert att.source_kind == "vague"
    assert att.hedged
    assert "dumping fuel at sea" in att.content_text


def test_it_is_claimed_that(run):
    att = only(run("It is claimed that the ballots were printed twice."), "is claimed")
    assert att.source_text == "" and att.source_kind == "vague"
    assert att.content_text == "that the ballots were printed twice"
    assert att.hedged


def test_vague_sources(run):
    atts = run("Many analysts argued that the tariff would fail. A report says exports fell.")
    assert only(atts, "argued").source_kind == "vague"
    assert only(atts, "says").source_kind == "vague"


def test_anonymous_sources(run):
    atts = run("Local sources said the market was shelled. The sources further added that "
               "two shops burned.")
    first = only(atts, "said")
    assert first.source_kind == "anonymous"
    added = only(atts, "added")
    assert added.source_resolved == "Local sources"
    assert added.source_kind == "anonymous"


def test_outlet_source(run):
    att = only(run("The Valley Herald has learned that the council will resign.",
                   outlet="The Valley Herald"), "has learned")
    assert att.source_kind == "outlet"


def test_a_source_the_outlet_only_qualifies_is_not_the_outlet(run):
    text = "Valley Herald analyst Mara Quist said the reservoir was nearly empty."
    att = only(run(text, outlet="Valley Herald"), "said")
    assert att.source_kind == "person"


# -- coreference ---------------------------------------------------------------------------
def test_pronoun_and_role_noun_resolve_to_last_person(run):
    text = ("Ambassador Petra Novak told the assembly that the ceasefire was holding. "
            "Her aides were silent. “We expect more talks,” the Czech envoy said. "
            "She also went on to accuse the rebels of stalling.")
    atts = run(text)
    told = only(atts, "told")
    assert told.source_kind == "person"
    envoy = only(atts, "said")
    assert envoy.source_text == "the Czech envoy"
    assert envoy.source_resolved == told.source_text
    accuse = only(atts, "to accuse")
    assert accuse.source_text == "She"
    assert accuse.source_resolved == told.source_text
    assert "the rebels of stalling" in accuse.content_text


def test_reportedly_is_hedged(run):
    atts = run("The minister reportedly resigned on Friday.")
    att = only(atts, "reportedly")
    assert att.hedged and att.source_kind == "vague"


# -- rows ----------------------------------------------------------------------------------
def test_rows_match_table(nlp):
    text = "“Prices will fall,” the bank said. It added that rates would stay low."
    doc = nlp(text)
    doc._.st_document = Document(id="d7", text=text)
    rows = attribution_rows(doc, doc._.st_document)["attributions"]
    assert rows, "expected attributions"
    assert set(rows[0]) == set(PER_DOCUMENT["attributions"])
    assert [r["id"] for r in rows] == [f"d7:a{n}" for n in range(1, len(rows) + 1)]
    for r in rows:
        assert text[r["source_start"] : r["source_end"]] == r["source_text"]
        assert text[r["cue_start"] : r["cue_end"]] == r["cue_text"]
        assert r["content_text"].startswith(text[r["content_start"] : r["content_start"] + 5])
        assert r["source_entity"] is None
    added = next(r for r in rows if r["cue_text"] == "added")
    assert added["source_resolved"] == "the bank"
    assert added["sentence"] == 1
    assert doc._.hedges is not None


# -- real texts (../shared) -------------------------------------------------------------------
def test_seed_articles_name_their_sources(nlp, shared_dir: Path):
    seeds = sorted((shared_dir / "corpora" / "seeds").glob("*.txt"))
    if not seeds:
        pytest.skip("no seed articles")
    resolved = []
    for doc in nlp.pipe(p.read_text(encoding="utf-8") for p in seeds):
        resolved.append({a.source_resolved for a in doc._.attributions})
    # Two of the statements come from the SVR: anaphors ("the statement", "it") must resolve
    # to it rather than stay as pronouns.
    svr_docs = [r for r in resolved if any("SVR" in s or "Intelligence" in s for s in r)]
    assert len(svr_docs) >= 3
    assert not any(s.lower() in ("it", "he", "the statement") for r in resolved for s in r)


# -- bylines and parenthetical cues ----------------------------------------------------------
def test_quote_signed_with_dash_and_name(run):
    text = "Readers wrote in.\n“The plan will never work.” ― Marta Olsen\n“Too little.” ― Jo Ruiz\n"
    atts = [a for a in run(text) if a.rule == "byline"]
    assert [(a.cue_text, a.source_text) for a in atts] == [("―", "Marta Olsen"), ("―", "Jo Ruiz")]
    assert atts[0].content_text == "“The plan will never work.”"
    assert atts[0].source_kind == "person"


def test_parenthetical_said_reports_the_clause_it_interrupts(run):
    text = "The new bridge, the engineer said, would carry twice the traffic."
    att = only(run(text), "said")
    assert att.source_text == "the engineer"
    assert att.content_texts == ["The new bridge", "would carry twice the traffic"]


def test_transcript_speaker_labels_and_poll_headlines(run):
    text = ("Poll: Turnout in the valley will hit a record.\n\nThe interview ran long.\n\n"
            "MORALES: We will not close the mine.\nCORRECTION: An earlier version misnamed the"
            " mine.\n")
    atts = [a for a in run(text) if a.cue_text == ":"]
    assert [(a.source_text, a.content_text) for a in atts] == [
        ("Poll", "Turnout in the valley will hit a record"),
        ("MORALES", "We will not close the mine"),
    ]


def test_double_apostrophe_quotes(run):
    from sourcetrace.extract.attribution.quotes import find_quotes

    text = "''The dam held,'' Mr. Aldo said. ''We were lucky.''"
    assert [text[a:b] for a, b in find_quotes(text)] == ["''The dam held,''", "''We were lucky.''"]
    att = only(run(text), "said")
    # the quotation goes on after the cue: a second piece, and the text covers both
    assert att.content_texts[0] == "''The dam held,''"
    assert att.content_text == text[att.content_start : att.content_end]
    assert att.source_text == "Mr. Aldo"


# -- learned cue classifier ------------------------------------------------------------------
def test_cue_classifier_is_committed_and_small():
    from sourcetrace.extract.attribution import cues

    assert cues.available()
    assert cues.MODEL.stat().st_size < 2_000_000


def test_intentions_are_cues_and_their_infinitive_the_content(run):
    att = only(run("Senator Hale wants to double the size of the coastal guard."), "wants")
    assert att.source_text == "Senator Hale"
    assert att.content_text == "to double the size of the coastal guard"
    att = only(run("Marta Olsen pledged to close the plant by 2020."), "pledged")
    assert att.content_text == "to close the plant by 2020"


def test_according_to_inside_a_quote_does_not_veto_the_outer_cue(run, nlp):
    from sourcetrace.extract.attribution import cues
    from sourcetrace.extract.attribution.rules import _Quotes, learned_ratio

    text = "“According to the pilots, the runway was closed,” the airport director said."
    doc = nlp(text)
    quotes = _Quotes(text)
    said = next(t for t in doc if t.text == "said")
    prob = cues.cue_probability(
        said, learned_ratio(said), lambda i: quotes.containing(i) is not None
    )
    assert prob >= cues.THRESHOLD
    assert only(run(text), "said").source_text == "the airport director"


def test_non_speech_verbs_are_not_cues(run):
    assert run("The ferry left the harbour at dawn and reached the island by noon.") == []


def test_according_to_misparsed_as_root_or_clause(run):
    att = only(run("According to conservative talk radio host Rush Limbaugh, the move reeks of "
                   "fear and desperation."), "according to")
    assert att.source_text == "conservative talk radio host Rush Limbaugh"
    assert att.content_text == "the move reeks of fear and desperation"
    att = only(run("The manager repeatedly insulted the crew, according to show insiders."),
               "according to")
    assert att.source_text == "show insiders"
    assert att.content_text == "The manager repeatedly insulted the crew"


def test_addressee_is_not_the_content(run):
    att = only(run("The mayors have urged Congress to fund the flood barrier."), "have urged")
    assert att.source_text == "The mayors"
    assert att.content_text == "to fund the flood barrier"
    att = only(run("Senator Ruiz spoke to reporters about the budget cuts."), "spoke")
    assert att.content_text == "about the budget cuts"


def test_participle_misparsed_as_clausal_subject_and_it_continues(run):
    text = ("In May, the Harbour Authority made similar allegations, disclosing it had records "
            "showing that the cranes were sold twice.\n\nAdditionally, it stressed that the "
            "buyers were paid by the same bank.")
    atts = run(text)
    disclosing = only(atts, "disclosing")
    assert disclosing.source_text == "the Harbour Authority"
    assert disclosing.content_text.startswith("it had records showing")
    stressed = only(atts, "stressed")
    assert stressed.source_resolved == "the Harbour Authority"


def test_cue_is_never_empty_when_the_verb_is_misparsed(nlp) -> None:
    from sourcetrace.extract.attribution.rules import _cue_tokens

    doc = nlp("Officials said the road was closed.")
    verb = doc[1]
    verb.dep_ = "punct"  # as spaCy sometimes labels a verb it misparses
    assert _cue_tokens(verb) == [verb]


def test_the_ministry_resolves_to_the_last_ministry_not_the_last_organisation(run):
    text = ("Saboteurs set fire to the grain depot, the Vellish Interior Ministry said on "
            "Monday. The Dorvan Post reported that 12 fire engines were sent. The ministry "
            "claimed that the fire destroyed 500 tonnes of wheat.")
    att = only(run(text), "claimed")
    assert att.source_text == "The ministry"
    assert att.source_resolved == "the Vellish Interior Ministry"
    # Without a ministry before it, the last organisation is still the antecedent.
    text = ("Reuters reported that 12 fire engines were sent. The agency added that "
            "roads were closed.")
    att = only(run(text), "added")
    assert att.source_resolved == "Reuters"
