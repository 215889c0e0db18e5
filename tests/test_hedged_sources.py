"""Hedged references stay unnamed, and one person's name variants are one entity.

"A source close to X" is not X: it stays anonymous (or vague for a group), with X recorded as
its ``near_entity`` and never counted as corroboration. "William Barr", "William P. Barr",
"Mr. Barr" and a later "Barr" are one person; "Joe Biden" and "Jill Biden" are two, and a lone
"Biden" next to both links to neither. Texts are our own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sourcetrace.extract.attribution import attribution_rows
from sourcetrace.extract.entities.kb import KnowledgeBase
from sourcetrace.extract.entities.link import EntityLinker, split_initials
from sourcetrace.outputs.shapes import origin_kind

# Each source names Donald Trump (or Barack Obama) without being him.
HEDGED = [
    ("A source close to Trump said the talks had collapsed.", "anonymous", "donald-trump"),
    ("Aides to Trump said he was furious about the vote.", "anonymous", "donald-trump"),
    ("Officials in the Trump administration said the tariffs would stay.", "anonymous",
     None),  # near Trump or the US government: either is near, neither is the source
    ("Top Obama administration officials said the deal was flawed.", "anonymous", None),
    ("People around Trump said he had been misled by his lawyers.", "anonymous",
     "donald-trump"),
    ("Allies of Trump said the inquiry was a hoax.", "vague", "donald-trump"),
    ("Trump allies said the inquiry was a hoax.", "vague", "donald-trump"),
    ("Sources in Trump's camp said the rally would go ahead.", "anonymous", "donald-trump"),
    ("A person briefed on Trump's plans said the visit was off.", "anonymous",
     "donald-trump"),
    ("According to people who know Trump, the decision was made weeks ago.", "anonymous",
     "donald-trump"),
    ("A Trump adviser said the speech would be short.", "anonymous", "donald-trump"),
    ("Those close to Trump said he would not attend the dinner.", "anonymous",
     "donald-trump"),
    ("Presidential critics, including top Obama administration officials, said the deal "
     "was flawed.", "vague", "barack-obama"),
]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


def analyse(nlp: Any, kb: KnowledgeBase, texts: dict[str, str]) -> tuple[list[dict], list]:
    """Attribution rows of our texts, linked as the entities step links them."""
    mentions: list[dict] = []
    attributions: list[dict] = []
    for doc_id, text in texts.items():
        doc = nlp(text)
        sentence = {sent.start: n for n, sent in enumerate(doc.sents)}
        mentions += [{"doc": doc_id, "start": e.start_char, "end": e.end_char, "text": e.text,
                      "label": e.label_, "sentence": sentence[e.sent.start]} for e in doc.ents]
        rows = attribution_rows(doc)["attributions"]
        attributions += [{**r, "doc": doc_id} for r in rows]
    result = EntityLinker(kb).link_texts(texts, mentions, attributions)
    for a, eid, near in zip(attributions, result.source_entities, result.near_entities,
                            strict=True):
        a["source_entity"], a["near_entity"] = eid, near
    return attributions, list(zip(mentions, result.mention_entities, strict=True))


@pytest.mark.parametrize(("text", "kind", "near"), HEDGED, ids=[h[0][:32] for h in HEDGED])
def test_hedged_reference_stays_unnamed_with_its_neighbour(
    nlp: Any, kb: KnowledgeBase, text: str, kind: str, near: str | None
) -> None:
    [att] = analyse(nlp, kb, {"h": text})[0]
    assert att["source_kind"] == kind, att["source_text"]
    assert att["source_entity"] is None
    if near is None:
        assert att["near_entity"] in ("donald-trump", "barack-obama", "gov-us")
    else:
        assert att["near_entity"] == near


def test_a_named_person_keeps_his_entity(nlp: Any, kb: KnowledgeBase) -> None:
    [att] = analyse(nlp, kb, {"n": "Donald Trump said the talks had collapsed."})[0]
    assert (att["source_kind"], att["source_entity"], att["near_entity"]) == (
        "person", "donald-trump", None)
    # an adviser named in apposition is that adviser, not someone near Trump
    [att] = analyse(nlp, kb, {"m": "A Trump adviser, Rhona Castell, said the talks had "
                                   "collapsed."})[0]
    assert att["source_kind"] == "person"
    assert att["near_entity"] is None


def test_name_variants_of_one_person_merge(nlp: Any, kb: KnowledgeBase) -> None:
    text = (
        "Attorney General Wendell Okafor said the report was complete. Wendell T. Okafor "
        "had been confirmed in February. Mr. Okafor added that he would testify. Okafor "
        "declined to comment further."
    )
    atts, mentions = analyse(nlp, kb, {"o": text})
    people = {eid for m, eid in mentions if "Okafor" in m["text"]}
    assert len(people) == 1, mentions
    assert {a["source_entity"] for a in atts} == people


def test_different_initials_are_different_people(kb: KnowledgeBase) -> None:
    # father and son: "Gerald A. Voss" and "Gerald B. Voss" must not merge through
    # "Gerald Voss"
    text = "Gerald A. Voss met Gerald B. Voss. Gerald Voss left early."
    mentions = [
        {"doc": "v", "start": text.index(s), "end": text.index(s) + len(s), "text": s,
         "label": "PERSON", "sentence": 0}
        for s in ("Gerald A. Voss", "Gerald B. Voss", "Gerald Voss")
    ]
    ids = EntityLinker(kb).link_texts({"v": text}, mentions).mention_entities
    assert len(set(ids)) == 3
    assert split_initials("George H. W. Bush") == ("George Bush", ("H", "W"))
    assert split_initials("J. Smith") == ("J. Smith", ())


def test_two_people_of_one_surname_stay_apart(nlp: Any, kb: KnowledgeBase) -> None:
    text = "Joe Biden and Jill Biden visited the school. Biden said the visit was moving."
    atts, mentions = analyse(nlp, kb, {"b": text})
    by_text = {m["text"]: eid for m, eid in mentions}
    assert by_text["Joe Biden"] == "joe-biden"
    assert by_text["Jill Biden"] not in (None, "joe-biden")
    # the lone "Biden" is ambiguous: it links to neither of them
    assert by_text["Biden"] not in ("joe-biden", by_text["Jill Biden"])
    [att] = atts
    assert att["source_entity"] not in ("joe-biden", by_text["Jill Biden"])
    # alone with one of them, the lone name is that one
    _, mentions = analyse(nlp, kb, {"c": "Joe Biden spoke first. Biden said the visit was "
                                         "moving."})
    assert {eid for m, eid in mentions if m["label"] == "PERSON"} == {"joe-biden"}


def test_origin_kind_names_the_neighbour() -> None:
    assert origin_kind({"kind": "anonymous", "near_name": "Donald Trump"}) == (
        "anonymous, near Donald Trump")
    assert origin_kind({"kind": "person"}) == "person"


# -- end to end: analyze -> provenance ---------------------------------------------------------
CORPUS = [
    ("g1", "Harbor Gazette", "President Donald Trump said on Tuesday that the steel tariffs on "
     "Canada will end in May. The announcement surprised markets."),
    ("g2", "Valley Ledger", "A source close to Trump said the steel tariffs on Canada will end "
     "in May. Markets rose after the report."),
    ("g3", "Coastal Post", "Aides to Trump said the steel tariffs on Canada will end in May."),
    ("g4", "Plains Herald", "Presidential critics, including top Obama administration "
     "officials, said the steel tariffs on Canada will end in May."),
]


def test_hedged_sources_are_not_counted_end_to_end(tmp_path: Path) -> None:
    from sourcetrace.config import Settings
    from sourcetrace.engines.local import run_analysis
    from sourcetrace.outputs.store import AnalysisStore

    src = tmp_path / "in.jsonl"
    src.write_text("".join(
        json.dumps({"id": i, "outlet": o, "text": t, "published": f"2024-03-0{n}"}) + "\n"
        for n, (i, o, t) in enumerate(CORPUS, 1)
    ))
    out = tmp_path / "out"
    run_analysis([src], Settings(out=out, formats=(), quiet=True, workers=1))
    with AnalysisStore(out / "sourcetrace.duckdb") as store:
        clusters = store.read("claim_clusters")
    [tariffs] = [k for k in clusters if "tariffs" in (k["label"] or "")]
    origins = json.loads(tariffs["origins"])
    by_name = {o["name"]: o for o in origins}
    # Trump is the one origin that counts; the three who are only near him or Obama do not
    assert tariffs["independent_origins"] == 1
    assert by_name["Donald Trump"]["kind"] == "person"
    near = {o["name"]: (o["kind"], o["near_entity"], o["entity"])
            for o in origins if o["near_entity"]}
    assert near == {
        "A source close to Trump": ("anonymous", "donald-trump", None),
        "Aides to Trump": ("anonymous", "donald-trump", None),
        "Presidential critics, including top Obama administration officials":
            ("vague", "barack-obama", None),
    }
    assert all(o["group"] is None for o in origins if o["near_entity"])


def test_a_lone_surname_is_the_person_introduced_first(nlp: Any, kb: KnowledgeBase) -> None:
    # the principal is spelled out first; a relative met later does not take the bare name
    text = ("Donald Trump arrived at the summit on Monday. His daughter Ivanka Trump joined "
            "him later. Trump said the summit had gone well.")
    atts, mentions = analyse(nlp, kb, {"p": text})
    by_text = {m["text"]: eid for m, eid in mentions if m["label"] == "PERSON"}
    assert by_text["Trump"] == "donald-trump"
    assert by_text["Ivanka Trump"] != "donald-trump"
    assert [a["source_entity"] for a in atts if a["source_text"] == "Trump"] == ["donald-trump"]
