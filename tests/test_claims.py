"""Claim units, claim matching and claim clusters (our own sentences throughout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import spacy

from sourcetrace.config import Settings
from sourcetrace.link import matching
from sourcetrace.link.claims import (
    CLAIM_OK,
    Claim,
    claim_units,
    claims_step,
    complete_linkage,
    first_appearance,
    parse_rejection,
    text_rejection,
)
from sourcetrace.link.embeddings import embed
from sourcetrace.link.matching import ClaimInfo, numbers_in, score_pair
from sourcetrace.model import Document
from sourcetrace.outputs.store import AnalysisStore

PARAPHRASE = (
    "The US military is actively recruiting militants in the region.",
    "US forces are training jihadists.",
)
UNRELATED = "The city council approved a new budget for road repairs on Tuesday."


def make_doc(
    doc_id: str, lines: list[str], title: str | None = None, **meta: Any
) -> tuple[Document, dict[str, list[dict[str, Any]]], dict[str, int]]:
    """A document whose sentences are ``lines`` joined by spaces, its ``sentences`` rows and
    each line's start offset (for hand-made attribution rows)."""
    text, rows, starts = "", [], {}
    for i, line in enumerate(lines):
        if text:
            text += " "
        starts[line] = len(text)
        rows.append({"doc": doc_id, "idx": i, "start": len(text), "end": len(text) + len(line),
                     "text": line})
        text += line
    return Document(id=doc_id, text=text, title=title, **meta), {"sentences": rows}, starts


def attribution(
    doc: Document, att_id: str, sentence_start: int, source: str, cue: str, content: str,
    sentence: int, parent: str | None = None, hedged: bool = False,
) -> dict[str, Any]:
    """An ``attributions`` row with offsets found in the document's text."""
    def at(part: str) -> int:
        pos = doc.text.find(part, sentence_start)
        assert pos >= 0, part
        return pos

    return {
        "id": att_id, "doc": doc.id, "source_text": source, "source_start": at(source),
        "source_end": at(source) + len(source), "source_kind": "organisation",
        "source_resolved": source, "source_entity": None, "cue_text": cue, "cue_start": at(cue),
        "cue_end": at(cue) + len(cue), "content_text": content, "content_start": at(content),
        "content_end": at(content) + len(content), "hedged": hedged, "parent": parent,
        "sentence": sentence,
    }


def judge(rows: dict[str, list[dict[str, Any]]], nlp: Any) -> None:
    """Give hand-made sentence rows the parse verdicts the NLP pass would store with them
    (claim units never parse)."""
    for row in rows["sentences"]:
        row["claim_check"] = parse_rejection(next(nlp(row["text"]).sents)) or CLAIM_OK


def units(doc: Document, rows: dict[str, list[dict[str, Any]]]) -> list:
    return claim_units(
        [{"id": doc.id, "title": doc.title}], rows["sentences"], rows.get("attributions", [])
    )


# --- claim units -------------------------------------------------------------------------------
def test_claim_units_keep_facts_and_attributed_content_only(nlp: Any) -> None:
    lines = [
        "Ceasefire talks collapse",
        "Will the ceasefire hold?",
        "Read More",
        "Troops shelled the village on Monday, killing four civilians.",
        "The ministry said the strike destroyed an ammunition depot.",
        "I think this is a disaster for everyone.",
        "The government should resign immediately.",
        "This is outrageous and unacceptable.",
        "Here is what we know about the attack.",
        "Click to see full-size image",
        "Prices of bread may rise further next month.",
    ]
    doc, rows, starts = make_doc("d1", lines, title="Ceasefire talks collapse")
    judge(rows, nlp)
    line = lines[4]
    rows["attributions"] = [
        attribution(doc, "d1:a1", starts[line], "The ministry", "said",
                    "the strike destroyed an ammunition depot", sentence=4)
    ]
    claims = units(doc, rows)
    assert [c.text for c in claims] == [
        "Troops shelled the village on Monday, killing four civilians.",
        "the strike destroyed an ammunition depot",
        "Prices of bread may rise further next month.",
    ]
    assert [c.id for c in claims] == ["d1:c1", "d1:c2", "d1:c3"]
    shelling, depot, prices = claims
    assert shelling.unattributed and shelling.attribution is None and not shelling.hedged
    assert shelling.sentence == 3
    assert doc.text[shelling.start : shelling.end] == shelling.text
    # The attributed sentence gives its content once, not an extra unattributed claim.
    assert not depot.unattributed and depot.attribution == "d1:a1" and depot.sentence == 4
    assert doc.text[depot.start : depot.end] == depot.text
    assert prices.unattributed and prices.hedged


def test_nested_attribution_gives_the_innermost_content_once() -> None:
    line = "Officials said the agency reported that the dam had been sabotaged."
    doc, rows, starts = make_doc("d2", [line])
    rows["attributions"] = [
        attribution(doc, "d2:a1", 0, "Officials", "said",
                    "the agency reported that the dam had been sabotaged", sentence=0),
        attribution(doc, "d2:a2", 0, "the agency", "reported", "the dam had been sabotaged",
                    sentence=0, parent="d2:a1", hedged=True),
    ]
    claims = units(doc, rows)
    assert [(c.text, c.attribution, c.hedged) for c in claims] == [
        ("the dam had been sabotaged", "d2:a2", True)
    ]


def test_a_parent_keeps_its_content_when_its_nested_attributions_give_no_claim() -> None:
    """The innermost content that is a claim is the claim: when the nested attributions'
    contents are no claims (no verb, a fragment), the parent's content is the claim, or the
    sentence would have none at all."""
    lines = [
        "Officials said the ferry company was fined over the alleged safety breaches.",
        "The mayor said the council had confirmed that the bridge reopened on Monday.",
    ]
    doc, rows, starts = make_doc("d3", lines)
    rows["attributions"] = [
        attribution(doc, "d3:a1", starts[lines[0]], "Officials", "said",
                    "the ferry company was fined over the alleged safety breaches", sentence=0),
        {**attribution(doc, "d3:a2", starts[lines[0]], "the ferry company", "alleged",
                       "safety breaches", sentence=0, parent="d3:a1"),
         "content_check": "no verb"},
        attribution(doc, "d3:a3", starts[lines[1]], "The mayor", "said",
                    "the council had confirmed that the bridge reopened on Monday",
                    sentence=1),
        {**attribution(doc, "d3:a4", starts[lines[1]], "the council", "had confirmed",
                       "that the bridge reopened on Monday", sentence=1, parent="d3:a3"),
         "content_check": "no verb"},
        attribution(doc, "d3:a5", starts[lines[1]], "the council", "confirmed",
                    "the bridge reopened on Monday", sentence=1, parent="d3:a4"),
    ]
    claims = units(doc, rows)
    assert [(c.text, c.attribution) for c in claims] == [
        # the nested "alleged" gives no claim: the parent's content is the claim
        ("the ferry company was fined over the alleged safety breaches", "d3:a1"),
        # a claim two levels down: neither of its parents gives one
        ("the bridge reopened on Monday", "d3:a5"),
    ]

def test_rules_name_their_reason(nlp: Any) -> None:
    assert text_rejection("Will the ceasefire hold?") == "question"
    assert text_rejection("Leave a Reply to this post") == "boilerplate"
    assert text_rejection("Floods hit the north", title="Floods hit the north!") == "title"

    def why(text: str) -> str | None:
        return parse_rejection(next(nlp(text).sents))

    assert why("Protests in the capital after the disputed vote") == "no finite verb"
    assert why("Share the petition with your neighbours today.") == "imperative"
    assert why("The mayor must resign.") == "opinion: prescriptive"
    assert why("The new stadium is a disgrace.") == "opinion: evaluative"
    assert why("We believe the plan will fail.") == "opinion: first person"
    assert why("The mayor accepted bribes from two construction firms.") is None
    assert why("Unemployment rose to 7.5 percent in March.") is None


# --- embeddings and scorer ---------------------------------------------------------------------
def test_embed_is_normalised_deduplicated_and_skips_short_texts() -> None:
    vectors = embed([PARAPHRASE[0], "ok", PARAPHRASE[0], UNRELATED])
    assert vectors.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vectors[[0, 2, 3]], axis=1), 1.0, atol=1e-4)
    assert not vectors[1].any()  # too short: zero vector, the model never saw it
    assert np.array_equal(vectors[0], vectors[2])


def test_paraphrase_matches_and_unrelated_does_not() -> None:
    para = score_pair(ClaimInfo(PARAPHRASE[0]), ClaimInfo(PARAPHRASE[1]))
    unrelated = score_pair(ClaimInfo(PARAPHRASE[0]), ClaimInfo(UNRELATED))
    assert para >= matching.MATCH_THRESHOLD > unrelated
    # A shared linked entity raises the score, a disjoint one lowers it.
    shared = score_pair(ClaimInfo(PARAPHRASE[0], entities={"Q30"}),
                        ClaimInfo(PARAPHRASE[1], entities={"Q30"}))
    clash = score_pair(ClaimInfo(PARAPHRASE[0], entities={"Q30"}),
                       ClaimInfo(PARAPHRASE[1], entities={"Q159"}))
    assert clash < para < shared


def test_conflicting_numbers_lower_the_score() -> None:
    base = "people were killed when the market in the old town was shelled."
    agree = score_pair(ClaimInfo("Twelve " + base), ClaimInfo("12 " + base))
    conflict = score_pair(ClaimInfo("Twelve " + base), ClaimInfo("Fifty " + base))
    assert conflict < matching.MATCH_THRESHOLD < agree
    # Numbers from the quantities table count as well as those written in the text.
    tabled = score_pair(ClaimInfo("The strike killed many people.", numbers={"12"}),
                        ClaimInfo("The strike killed many people.", numbers={"50"}))
    assert tabled < score_pair(ClaimInfo("The strike killed many people."),
                               ClaimInfo("The strike killed many people."))


def test_numbers_are_normalised() -> None:
    assert numbers_in("1,200 troops and 5 million dollars, twelve tanks, 3.5%") == {
        "1200", "5000000", "12", "3.5"
    }


def test_complete_linkage_never_chains() -> None:
    # A~B and B~C, but A and C are not the same proposition: A and C never end up together,
    # however strongly each resembles B.
    same = np.array([[1.0, 0.9, 0.1], [0.9, 1.0, 0.95], [0.1, 0.95, 1.0]])
    parts = complete_linkage([0, 1, 2], same, 0.5)
    assert not any({0, 2} <= set(p) for p in parts)
    assert sorted(map(sorted, parts)) == [[0], [1, 2]]  # the closer pair wins
    # every pair of a group reaches the threshold
    assert complete_linkage([0, 1, 2], np.full((3, 3), 0.8), 0.5) == [[0, 1, 2]]


def test_first_appearance_mixes_dates_and_datetimes() -> None:
    assert first_appearance(["2024-03-02", "2024-03-01T18:00:00", None, "soon"]) == (
        "2024-03-01T18:00:00"
    )
    assert first_appearance([None]) is None


# --- the corpus step on a store ----------------------------------------------------------------
def test_claims_step_clusters_across_documents(tmp_path: Path) -> None:
    a_lines = [
        "Russian intelligence said the US military is actively recruiting militants in the "
        "region.",
        "Floods destroyed hundreds of homes in the northern province last week.",
        "Hundreds of homes in the northern province were destroyed by floods last week.",
    ]
    a, a_rows, a_starts = make_doc("a", a_lines, outlet="Outlet A", published="2024-03-02")
    a_rows["attributions"] = [
        attribution(a, "a:a1", a_starts[a_lines[0]], "Russian intelligence", "said",
                    "the US military is actively recruiting militants in the region", sentence=0)
    ]
    b, b_rows, _ = make_doc(
        "b", ["The US military is actively recruiting militants in the region, the agency "
              "reported today.",
              "The central bank kept its interest rate unchanged at four percent."],
        outlet="Outlet B", published="2024-03-01T09:30:00",
    )
    b_rows["attributions"] = []
    c, c_rows, _ = make_doc("c", [UNRELATED, "A storm knocked out power to the harbour."],
                            outlet="Outlet C", published="2024-03-05")
    # The claim in b is unattributed here on purpose: clusters mix attributed and
    # unattributed claims of different outlets.
    store = AnalysisStore(tmp_path)
    store.save_documents([(a, a_rows), (b, b_rows), (c, c_rows)], pipeline_version="t")
    claims_step(store, Settings(out=tmp_path, quiet=True))

    claims = {r["id"]: r for r in store.read("claims")}
    clusters = {r["id"]: r for r in store.read("claim_clusters")}
    assert all(r["cluster"] in clusters for r in claims.values())  # every claim has one
    by_text = {r["text"]: r for r in claims.values()}
    recruit = by_text["the US military is actively recruiting militants in the region"]
    training = by_text[b_rows["sentences"][0]["text"]]
    assert recruit["attribution"] == "a:a1" and training["unattributed"]
    assert recruit["cluster"] == training["cluster"] == "cl:1"  # ranked first: 2 documents

    top = clusters["cl:1"]
    assert sorted(top["claims"]) == sorted([recruit["id"], training["id"]])
    assert top["documents"] == ["a", "b"] and top["outlets"] == ["Outlet A", "Outlet B"]
    assert top["first_appearance"] == "2024-03-01T09:30:00"
    assert top["label"] in {recruit["text"], training["text"]}
    assert json.loads(top["origins"]) == [] and top["independent_origins"] == 0
    assert top["amplification"] is None and list(top["flags"]) == []

    # The two flood sentences say the same thing but only within document a: claims are
    # compared across documents only, so they stay apart.
    floods = [r for r in claims.values() if "floods" in r["text"].lower()]
    assert len(floods) == 2 and floods[0]["cluster"] != floods[1]["cluster"]
    assert all(clusters[r["cluster"]]["documents"] == ["a"] for r in floods)
    # Only one multi-document cluster in this corpus; the rest are singletons.
    assert sum(1 for r in clusters.values() if len(r["documents"]) > 1) == 1
    assert len(clusters) == len(claims) - 1

    # Every cluster belongs to one narrative, and the narratives list exactly their clusters.
    narratives = {r["id"]: r for r in store.read("narratives")}
    assert {c["narrative"] for c in clusters.values()} == set(narratives)
    for n in narratives.values():
        assert {clusters[c]["narrative"] for c in n["claim_clusters"]} == {n["id"]}
        assert sorted(n["claims"]) == sorted(c for k in n["claim_clusters"]
                                             for c in clusters[k]["claims"])
    assert narratives["nr:1"]["claim_clusters"][0] == "cl:1"  # ranked by documents too
    assert narratives["nr:1"]["documents"][:2] == ["a", "b"]
    store.close()


def test_reuse_alignment_links_claims_outright(tmp_path: Path) -> None:
    # Two short claims too different for the scorer, but a reuse alignment says b copied a.
    a, a_rows, _ = make_doc("a", ["The council voted to close the old library on Friday."],
                            published="2024-01-01")
    b, b_rows, _ = make_doc("b", ["A storm knocked out power to the harbour overnight."],
                            published="2024-01-02")
    store = AnalysisStore(tmp_path)
    store.save_documents([(a, a_rows), (b, b_rows)], pipeline_version="t")
    settings = Settings(out=tmp_path, quiet=True)
    claims_step(store, settings)
    assert len({r["cluster"] for r in store.read("claims")}) == 2

    store.replace("reuse", [{"a": "a", "b": "b", "a_start": 0, "a_end": len(a.text),
                             "b_start": 0, "b_end": len(b.text), "words": 9}])
    claims_step(store, settings)
    assert {r["cluster"] for r in store.read("claims")} == {"cl:1"}
    assert store.read("claim_clusters")[0]["first_appearance"] == "2024-01-01"
    store.close()


def test_fragments_and_indirect_questions_are_not_claims() -> None:
    from sourcetrace.link.claims import is_fragment

    assert is_fragment("Kestria")
    assert is_fragment("neighbouring Kestria")
    assert is_fragment("what evidence linked them to the attack")
    assert is_fragment("whether the bridge would reopen")
    assert not is_fragment("14 silos")
    assert not is_fragment("the fire destroyed the depot")


def test_nlp_pass_judges_sentences_so_claims_need_no_second_parse(monkeypatch: Any) -> None:
    """The per-document pass stores each sentence's parse verdict; claim units then use it
    and never load a parser of their own."""
    from sourcetrace.link import claims as claims_module
    from sourcetrace.nlp.pipeline import analyze_documents

    text = (
        "Rebels seized the northern bridge on Monday.\n"
        "Share this article with your friends.\n"
        "Protests in the capital\n"
    )
    document = Document(id="cw", text=text, title="Bridge")
    [(_, rows)] = list(analyze_documents([document]))
    checks = [s["claim_check"] for s in rows["sentences"]]
    assert checks == ["ok", "imperative", "no finite verb"]

    def no_load(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("claim units loaded a spaCy pipeline")

    monkeypatch.setattr(spacy, "load", no_load)
    assert not hasattr(claims_module, "spacy") and not hasattr(claims_module, "_parser")
    units = claim_units([{"id": "cw", "title": "Bridge"}], rows["sentences"], [])
    assert [u.text for u in units] == ["Rebels seized the northern bridge on Monday."]


def test_each_line_of_a_sentence_keeps_its_own_verdict() -> None:
    """A sentence row that spans line breaks gives one claim per line piece, each judged by
    the verdict the NLP pass stored for it (``line_checks``); without them the sentence's
    verdict holds for every piece, and a row with no verdict at all is judged on its text."""
    headline = "Protests in the capital after the vote"
    fact = "Police arrested forty people near the parliament on Sunday."
    text = f"{headline}\n{fact}"
    row = {"doc": "ml", "idx": 0, "start": 0, "end": len(text), "text": text,
           "claim_check": "ok", "line_checks": ["no finite verb", "ok"]}
    units = claim_units([{"id": "ml"}], [row], [])
    assert [(u.text, u.start) for u in units] == [(fact, len(headline) + 1)]
    assert len(claim_units([{"id": "ml"}], [{**row, "line_checks": None}], [])) == 2
    rejected = {**row, "line_checks": None, "claim_check": "no finite verb"}
    assert claim_units([{"id": "ml"}], [rejected], []) == []
    unjudged = {**row, "line_checks": None, "claim_check": None}
    assert [u.text for u in claim_units([{"id": "ml"}], [unjudged], [])] == [headline, fact]


def test_nlp_pass_judges_each_line_of_a_sentence_that_spans_lines(nlp: Any) -> None:
    """Without the paragraph component the parser may run two lines into one sentence; the
    claim-worthiness component then judges each line on the doc's parse."""
    from sourcetrace.extract.claimworthiness import line_verdicts

    text = "Protests in the capital after the vote\npolice arrested forty people on Sunday."
    with nlp.select_pipes(disable=["sourcetrace_paragraphs"]):
        doc = nlp(text)
    [sent] = [s for s in doc.sents if "\n" in s.text] or pytest.skip("parser split the lines")
    assert line_verdicts(sent) == ["no finite verb", "ok"]
    assert line_verdicts(next(nlp("Police arrested forty people.").sents)) is None


def test_pair_scores_equal_the_matrix_scores() -> None:
    infos = [
        matching.ClaimInfo("Troops shelled the village, killing 12 civilians.", doc="a",
                           entities={"e:army"}, numbers={"12"}),
        matching.ClaimInfo("The army shelled the village and killed 12 civilians.", doc="b",
                           entities={"e:army"}),
        matching.ClaimInfo("Bread prices rose by 5 percent in March.", doc="c",
                           dates={"2024-03"}),
        matching.ClaimInfo("Prices of bread went up 7 percent.", doc="d", places={"p:x"}),
    ]
    claimset = matching.ClaimSet(infos)
    full = claimset.scores(range(4), range(4))
    left, right = np.array([0, 0, 1, 2, 3, 2]), np.array([1, 2, 3, 3, 0, 2])
    assert np.allclose(claimset.pair_scores(left, right), full[left, right])


# --- blocking: only claims that could match elsewhere are embedded ---------------------------
FLOOD_A = {
    "id": "a", "title": "Floods cut off villages in the Varna valley",
    "text": "Heavy rain flooded the Varna valley on Sunday, cutting off six villages and "
            "forcing hundreds of families to leave their homes, local officials said.",
}
FLOOD_B = {
    "id": "b", "title": "Hundreds flee as floods hit Varna valley villages",
    "text": "Flooding after days of heavy rain cut off six villages in the Varna valley, and "
            "hundreds of families left their homes on Sunday, officials said.",
}
CHESS = {
    "id": "c", "title": "Local chess club wins regional title",
    "text": "The Dunmore chess club won the regional championship on Saturday after a "
            "tie-break against last year's winners.",
}


def test_same_story_documents_pairs_articles_on_one_event() -> None:
    from sourcetrace.link.blocking import same_story_documents

    assert same_story_documents([FLOOD_A, FLOOD_B, CHESS]) == {"a", "b"}
    assert same_story_documents([FLOOD_A]) == set()


def test_shared_wording_finds_a_repeated_talking_point_across_documents() -> None:
    from sourcetrace.link.blocking import shared_wording_claims

    texts = [
        "the northern dam was deliberately sabotaged by foreign agents",
        "Foreign agents deliberately sabotaged the northern dam",
        "The club won the regional championship",
        "the northern dam was deliberately sabotaged by foreign agents",  # same document
    ]
    assert shared_wording_claims(texts, ["x", "y", "z", "z"]) == {0, 1, 3}
    assert shared_wording_claims(texts[:1] + texts[3:], ["x", "x"]) == set()


def test_claims_of_unrelated_articles_are_not_embedded() -> None:
    from sourcetrace.link.blocking import claims_to_embed

    claims = [
        Claim(doc="a", text="Six villages were cut off by the floods.", start=0, end=1,
              sentence=0),
        Claim(doc="b", text="The floods cut off six villages.", start=0, end=1, sentence=0),
        Claim(doc="c", text="The club won after a tie-break.", start=0, end=1, sentence=0),
        Claim(doc="c", text="The tie-break lasted two hours.", start=2, end=3, sentence=1),
    ]
    mask = claims_to_embed(claims, [FLOOD_A, FLOOD_B, CHESS], copied=set())
    assert mask.tolist() == [True, True, False, False]
    # A passage copied from another document makes its claims comparable whatever the story.
    mask = claims_to_embed(claims, [FLOOD_A, FLOOD_B, CHESS], copied={(0, 3)})
    assert mask.tolist() == [True, True, False, True]


def test_claims_step_blocks_a_big_corpus_and_keeps_unrelated_claims_alone(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """With blocking on (threshold 0), the claims of an article on another story are never
    embedded and stay singletons; the two flood articles' claims still match."""
    from sourcetrace.link import embeddings

    embedded: list[str] = []  # every text the model ran on (claims and document leads)
    real_encode = embeddings.encode_batches

    def recording_encode(batches: list[list[str]]) -> list[np.ndarray]:
        embedded.extend(t for batch in batches for t in batch)
        return real_encode(batches)

    monkeypatch.setattr(embeddings, "encode_batches", recording_encode)
    docs = []
    for meta, outlet in ((FLOOD_A, "A"), (FLOOD_B, "B"), (CHESS, "C")):
        doc, rows, _ = make_doc(meta["id"], [meta["text"]], title=meta["title"], outlet=outlet)
        rows["attributions"] = []
        docs.append((doc, rows))
    store = AnalysisStore(tmp_path)
    store.save_documents(docs, pipeline_version="t")
    claims_step(store, Settings(out=tmp_path, quiet=True, block_claims_above=0))
    claims = {r["doc"]: r for r in store.read("claims")}
    assert claims["a"]["cluster"] == claims["b"]["cluster"]
    assert claims["c"]["text"] not in embedded
    assert {claims["a"]["text"], claims["b"]["text"]} <= set(embedded)


def test_an_attributed_noun_phrase_is_no_claim() -> None:
    from sourcetrace.nlp.pipeline import analyze_documents

    text = (
        "The opposition criticised the ministry's handling of the flood crisis.\n"
        "The mayor said the dam had been breached twice.\n"
    )
    document = Document(id="np", text=text)
    [(_, rows)] = list(analyze_documents([document]))
    checks = {a["content_text"]: a["content_check"] for a in rows["attributions"]}
    assert checks.get("the dam had been breached twice") == "ok"
    units = claim_units([{"id": "np"}], rows["sentences"], rows["attributions"])
    texts = [u.text for u in units]
    assert "the dam had been breached twice" in texts
    assert not any("handling of the flood crisis" in t for t in texts)


def test_articles_years_apart_are_not_one_story_unless_a_date_is_unknown() -> None:
    from sourcetrace.link.blocking import same_story_documents

    a = {**FLOOD_A, "published": "2024-03-03"}
    b_near = {**FLOOD_B, "published": "2024-03-05T10:00:00"}
    b_far = {**FLOOD_B, "published": "2019-03-05"}
    assert same_story_documents([a, b_near, CHESS]) == {"a", "b"}
    assert same_story_documents([a, b_far, CHESS]) == set()
    assert same_story_documents([a, {**FLOOD_B, "published": None}]) == {"a", "b"}


def test_candidates_ignore_unembedded_claims_and_keep_the_others() -> None:
    infos = [
        matching.ClaimInfo("Six villages were cut off by the floods.", doc="a"),
        matching.ClaimInfo("The floods cut off six villages.", doc="b"),
        matching.ClaimInfo("The floods cut off six villages in the valley.", doc="c"),
    ]
    vectors = embed([i.text for i in infos])
    vectors[2] = 0.0  # left out by blocking
    claimset = matching.ClaimSet(infos, vectors)
    assert claimset.candidates() == {(0, 1)}


def test_blocked_candidates_stay_within_same_story_documents_and_given_pairs() -> None:
    """Blocking decides which pairs are compared, not only which claims are embedded: a
    near-identical claim in a document on another story is no candidate unless the blocks
    propose the pair (shared wording)."""
    infos = [
        matching.ClaimInfo("Six villages were cut off by the floods.", doc="a"),
        matching.ClaimInfo("The floods cut off six villages.", doc="b"),
        matching.ClaimInfo("The floods cut off six villages in the valley.", doc="c"),
        matching.ClaimInfo("The chess club won the regional title.", doc="c"),
    ]
    claimset = matching.ClaimSet(infos)
    assert {(0, 1), (0, 2), (1, 2)} <= claimset.candidates()
    related = {"a": {"b"}, "b": {"a"}}
    assert claimset.candidates_within(related) == {(0, 1)}
    assert claimset.candidates_within(related, pairs=[(2, 1)]) == {(0, 1), (1, 2)}
    assert claimset.candidates_within({}) == set()


def test_block_claims_returns_story_pairs_and_wording_pairs() -> None:
    from sourcetrace.link.blocking import block_claims

    claims = [
        Claim(doc="a", text="Six villages were cut off by the floods.", start=0, end=1,
              sentence=0),
        Claim(doc="b", text="The floods cut off six villages.", start=0, end=1, sentence=0),
        Claim(doc="c", text="the northern dam was deliberately sabotaged by foreign agents",
              start=0, end=1, sentence=0),
        Claim(doc="a", text="Foreign agents deliberately sabotaged the northern dam", start=2,
              end=3, sentence=1),
    ]
    blocks = block_claims(claims, [FLOOD_A, FLOOD_B, CHESS], copied=set())
    assert blocks.related == {"a": {"b"}, "b": {"a"}}
    assert blocks.pairs == {(0, 1), (2, 3)}  # the flood claims share their words too
    assert blocks.embed.tolist() == [True, True, True, True]


# --- one claim, one proposition ----------------------------------------------------------------
CONVOY = "A convoy of 40 trucks carrying stolen oil left Syria through the Mahmudiya crossing."
CONVOY_VARIANTS = {
    # the same proposition, reworded (passive, reported, hedged)
    "paraphrase": "Forty trucks carrying stolen oil were driven out of Syria through the "
                  "Mahmudiya crossing in a convoy, officials reported.",
    # near misses: another crossing, another number, another actor, the negation
    "crossing": "A convoy of 40 trucks carrying stolen oil left Syria through the Waleed "
                "crossing.",
    "number": "A convoy of 200 trucks carrying stolen oil left Syria through the Mahmudiya "
              "crossing.",
    "negation": "No convoy of trucks carrying stolen oil left Syria through the Mahmudiya "
                "crossing.",
}


def test_claim_clusters_are_propositions(tmp_path: Path) -> None:
    """Rewording merges; another crossing, number or polarity stays apart — each variant
    from its own outlet, so only the proposition decides."""
    docs = [make_doc("base", [CONVOY], outlet="Outlet 0", published="2024-05-01")]
    docs += [make_doc(name, [text], outlet=f"Outlet {k}", published="2024-05-02")
             for k, (name, text) in enumerate(CONVOY_VARIANTS.items(), 1)]
    store = AnalysisStore(tmp_path)
    store.save_documents([(d, {**rows, "attributions": []}) for d, rows, _ in docs],
                         pipeline_version="t")
    claims_step(store, Settings(out=tmp_path, quiet=True))
    cluster = {r["doc"]: r["cluster"] for r in store.read("claims")}
    assert cluster["paraphrase"] == cluster["base"]
    for near_miss in ("crossing", "number", "negation"):
        assert cluster[near_miss] != cluster["base"], near_miss
    store.close()


def test_claims_step_never_chains(tmp_path: Path, monkeypatch: Any) -> None:
    """A~B and B~C with A and C judged different: A and C never share a cluster, whatever
    links B to both (the judge is replaced by a table of probabilities here)."""
    from sourcetrace.link import propositions

    texts = {
        "a": "The minister resigned on Tuesday after the bridge collapse inquiry.",
        "b": "The minister resigned on Tuesday and the bridge inquiry was reopened.",
        "c": "The bridge inquiry was reopened on Tuesday by the regional court.",
    }
    judged = {frozenset("ab"): 0.9, frozenset("bc"): 0.95, frozenset("ac"): 0.1}
    doc_of = {t: d for d, t in texts.items()}

    def same_probability(claims: Any, left: Any, right: Any, **_: Any) -> np.ndarray:
        return np.array([
            judged.get(frozenset(doc_of[claims.claims[i].text] + doc_of[claims.claims[j].text]),
                       0.0)
            for i, j in zip(left, right, strict=True)
        ])

    monkeypatch.setattr(propositions, "same_probability", same_probability)
    store = AnalysisStore(tmp_path)
    store.save_documents(
        [(d, {**rows, "attributions": []})
         for d, rows, _ in (make_doc(k, [t], outlet=k.upper()) for k, t in texts.items())],
        pipeline_version="t",
    )
    claims_step(store, Settings(out=tmp_path, quiet=True))
    cluster = {r["doc"]: r["cluster"] for r in store.read("claims")}
    assert cluster["a"] != cluster["c"]
    assert cluster["b"] == cluster["c"]  # the more probable pair is kept
    store.close()


# --- attributions that give no claim, and what a claim is compared by ---------------------------
def test_a_cue_reporting_nothing_leaves_its_sentence_a_claim() -> None:
    """The learned tagger also finds cues that report nothing and contents cut short; an
    attribution whose content is no claim takes its sentence's own claim away only when it
    reports a topic (a reporting cue, the content running to the sentence's end)."""
    lines = [
        "Circumstances involving the envoy's exit from Dorvia remain tricky.",
        "He said the embassy in Kestra received the request on Monday.",
        "The opposition criticised the ministry's handling of the flood crisis.",
    ]
    doc, rows, starts = make_doc("cue", lines)
    rows["attributions"] = [
        {**attribution(doc, "cue:a1", starts[lines[0]], "Circumstances", "involving",
                       "the envoy's exit from Dorvia", sentence=0), "content_check": "no verb"},
        {**attribution(doc, "cue:a2", starts[lines[1]], "He", "said", "the embassy in Kestra",
                       sentence=1), "content_check": "no verb"},
        {**attribution(doc, "cue:a3", starts[lines[2]], "The opposition", "criticised",
                       "the ministry's handling of the flood crisis", sentence=2),
         "content_check": "no verb"},
    ]
    texts = [c.text for c in units(doc, rows)]
    assert texts == lines[:2]


def test_a_split_quote_is_compared_without_its_cue(tmp_path: Path) -> None:
    """A claim's text is the document's text between its offsets, the cue of a split quote
    included; what is embedded and compared is what the source is said to say."""
    line = '"The dam was sabotaged," the mayor said. "Divers found the charges on Monday."'
    doc, rows, _ = make_doc("q", [line])
    first, second = line.index("The dam"), line.index("Divers")
    row = attribution(doc, "q:a1", 0, "the mayor", "said", line, sentence=0)
    row["content_spans"] = json.dumps([[0, line.index(" the mayor")],
                                       [second - 1, len(line)]])
    rows["attributions"] = [row]
    [claim] = units(doc, rows)
    assert claim.text == line and "mayor said" not in claim.compared
    assert claim.compared == ('"The dam was sabotaged," "Divers found the charges on '
                              'Monday."')
    assert first < second
    store = AnalysisStore(tmp_path)
    store.save_documents([(doc, rows)], pipeline_version="t")
    from sourcetrace.link.claims import document_claims

    out = document_claims({"documents": [{"id": "q", "doc": "q", "title": None}],
                           "sentences": rows["sentences"], "attributions": rows["attributions"],
                           **{t: [] for t in ("mentions", "place_mentions", "quantities",
                                              "dates")}}, "model")
    [unit] = out["claim_units"]
    assert unit["text"] == line and "mayor" not in unit["key"]
    assert not any(t["t"] == "mayor" for t in out["claim_tokens"])
