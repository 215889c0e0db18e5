"""Aliases a reader resolves: acronyms defined elsewhere in the corpus, descriptions given by
apposition or copula, roles, and lone surnames whatever NER labelled them; and the actors
that must stay apart.

All sentences here are written for these tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from sourcetrace.extract.entities.aliases import find_aliases, parse_description
from sourcetrace.extract.entities.kb import KnowledgeBase
from sourcetrace.extract.entities.link import EntityLinker, LinkResult
from sourcetrace.link.entities import MENTION_KEY, link_corpus, mention_targets


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


def _rows(texts: dict[str, str], spans: dict[str, list[tuple[str, str]]]) -> list[dict]:
    """Mention rows for (surface, label) pairs, each at its next offset in its document."""
    rows = []
    for doc, pairs in spans.items():
        pos = 0
        for surface, label in pairs:
            start = texts[doc].index(surface, pos)
            pos = start + len(surface)
            rows.append({"doc": doc, "start": start, "end": pos, "text": surface,
                         "label": label, "sentence": texts[doc][:start].count(". "),
                         "entity": None})
    return rows


def _source(texts: dict[str, str], doc: str, aid: str, source: str, kind: str,
            resolved: str | None = None, occurrence: int = 0) -> dict[str, Any]:
    start = -1
    for _ in range(occurrence + 1):
        start = texts[doc].index(source, start + 1)
    return {"id": aid, "doc": doc, "source_text": source, "source_start": start,
            "source_end": start + len(source), "source_kind": kind,
            "source_resolved": resolved or source, "source_entity": None, "near_entity": None,
            "cue_text": "said", "cue_start": 0, "cue_end": 0, "content_text": "x",
            "content_start": 0, "content_end": 0, "hedged": False, "parent": None,
            "sentence": 0}


def _by_text(mentions: list[dict], result: LinkResult) -> dict[str, list[str | None]]:
    out: dict[str, list[str | None]] = {}
    for m, eid in zip(mentions, result.mention_entities, strict=True):
        out.setdefault(f"{m['doc']}:{m['text']}", []).append(eid)
    return out


def _sources(attributions: list[dict], result: LinkResult) -> dict[str, str | None]:
    return {a["id"]: eid for a, eid in zip(attributions, result.source_entities, strict=True)}


def _text_free(kb: KnowledgeBase, texts: dict[str, str], mentions: list[dict],
               attributions: list[dict]) -> dict[str, list[dict]]:
    """The entities step's two stages: per document (its text and mentions only), then the
    corpus-wide function over rows (no text), as both engines run them."""
    targets, aliases = [], []
    for doc, text in texts.items():
        group = {"mentions": [{k: m[k] for k in MENTION_KEY} for m in mentions
                              if m["doc"] == doc],
                 "documents": [{"doc": doc, "body": text}]}
        out = mention_targets(group, kb)
        targets += out["mention_targets"]
        aliases += out["document_aliases"]
    # each mention with its target, as the step's SQL joins them
    found = {tuple(t[k] for k in MENTION_KEY): t for t in targets}
    joined = [{**m, "target_kind": found[key]["target_kind"], "target": found[key]["target"],
               "_targeted": True}
              for m in mentions if (key := tuple(m[k] for k in MENTION_KEY))]
    return link_corpus({"mentions": joined, "attributions": [dict(a) for a in attributions],
                        "aliases": aliases}, kb)


# -- 1. acronyms defined in another document of the corpus ----------------------------------
ACRONYM_TEXTS = {
    "a1": "The Norland Frontier Guard (GFN) closed the pass on Monday.",
    "a2": "GFN patrols turned back two trucks.",
    "b1": "The Norland Frontier Guard (GFN) shelled the ridge.",
    "b2": "The Green Farmers Network (GFN) blocked the road.",
    "b3": "GFN said the road stays shut.",
    "c1": "The Sandy Dunes Foundation (SDF) planted trees.",
    "c2": "SDF fighters took the town.",
}
ACRONYM_SPANS = {
    "a1": [("Norland Frontier Guard", "ORG"), ("GFN", "ORG")],
    "a2": [("GFN", "ORG")],
    "b1": [("Norland Frontier Guard", "ORG"), ("GFN", "ORG")],
    "b2": [("Green Farmers Network", "ORG"), ("GFN", "ORG")],
    "b3": [("GFN", "ORG")],
    "c1": [("Sandy Dunes Foundation", "ORG"), ("SDF", "ORG")],
    "c2": [("SDF", "ORG")],
}


def _corpus(docs: tuple[str, ...]) -> tuple[dict[str, str], list[dict]]:
    texts = {d: ACRONYM_TEXTS[d] for d in docs}
    return texts, _rows(texts, {d: ACRONYM_SPANS[d] for d in docs})


def test_an_acronym_defined_in_another_document_links_there(kb: KnowledgeBase) -> None:
    texts, mentions = _corpus(("a1", "a2"))
    ids = _by_text(mentions, EntityLinker(kb).link_texts(texts, mentions))
    guard = ids["a1:Norland Frontier Guard"][0]
    assert guard.startswith("ent:") and ids["a1:GFN"] == [guard]
    # the letters are not the initials of the name: only the definition can link them
    assert ids["a2:GFN"] == [guard]


def test_conflicting_corpus_definitions_link_nowhere(kb: KnowledgeBase) -> None:
    texts, mentions = _corpus(("b1", "b2", "b3"))
    ids = _by_text(mentions, EntityLinker(kb).link_texts(texts, mentions))
    guard, farmers = ids["b1:Norland Frontier Guard"][0], ids["b2:Green Farmers Network"][0]
    assert guard != farmers
    assert ids["b1:GFN"] == [guard] and ids["b2:GFN"] == [farmers]
    assert ids["b3:GFN"][0] not in (guard, farmers)


def test_a_corpus_definition_does_not_take_a_kb_acronym(kb: KnowledgeBase) -> None:
    texts, mentions = _corpus(("c1", "c2"))
    ids = _by_text(mentions, EntityLinker(kb).link_texts(texts, mentions))
    assert ids["c2:SDF"] == ["sdf"]  # the KB's Syrian Democratic Forces, undefined here


def test_corpus_acronyms_without_texts_on_the_corpus_side(kb: KnowledgeBase) -> None:
    texts, mentions = _corpus(("a1", "a2", "b2"))
    with_texts = EntityLinker(kb).link_texts(texts, mentions)
    rows = _text_free(kb, texts, mentions, [])
    assert [m["entity"] for m in rows["linked_mentions"]] == with_texts.mention_entities


# -- 2. descriptions by apposition or copula --------------------------------------------------
DESCRIBED = {
    "d1": ("Norpress, Norland's official news agency, reported the strike on Monday. "
           "Later Norland's official news agency said that ten people died. "
           "The agency gave no source."),
    "d2": ("Norland's official news agency, Norpress, reported the strike. Hours later "
           "Norland's official news agency corrected the toll."),
    "d3": ("The Grey Office is Norland's foreign intelligence service. On Monday Norland's "
           "foreign intelligence service said the border was calm."),
    "d4": "Norland's official news agency said that the strike hit a school.",
}
DESCRIBED_SPANS = {
    "d1": [("Norpress", "ORG"), ("Norland", "GPE"), ("Norland", "GPE")],
    "d2": [("Norland", "GPE"), ("Norpress", "ORG"), ("Norland", "GPE")],
    "d3": [("Grey Office", "ORG"), ("Norland", "GPE"), ("Norland", "GPE")],
    "d4": [("Norland", "GPE")],
}
DESCRIBED_SOURCES = [
    _source(DESCRIBED, "d1", "s1", "Norland's official news agency", "organisation",
            occurrence=1),
    _source(DESCRIBED, "d1", "s2", "The agency", "organisation"),
    _source(DESCRIBED, "d2", "s3", "Norland's official news agency", "organisation",
            occurrence=1),
    _source(DESCRIBED, "d3", "s4", "Norland's foreign intelligence service", "organisation",
            occurrence=1),
    _source(DESCRIBED, "d4", "s5", "Norland's official news agency", "organisation"),
]


def test_a_description_in_apposition_or_after_a_copula_names_its_actor(
    kb: KnowledgeBase,
) -> None:
    mentions = _rows(DESCRIBED, DESCRIBED_SPANS)
    res = EntityLinker(kb).link_texts(DESCRIBED, mentions, DESCRIBED_SOURCES)
    ids, sources = _by_text(mentions, res), _sources(DESCRIBED_SOURCES, res)
    norpress = ids["d1:Norpress"][0]
    assert norpress.startswith("ent:") and ids["d2:Norpress"] == [norpress]
    assert sources["s1"] == norpress  # after "Norpress, Norland's official news agency,"
    assert sources["s3"] == norpress  # after "Norland's official news agency, Norpress,"
    assert sources["s4"] == ids["d3:Grey Office"][0]  # after "... is Norland's ... service"
    assert sources["s2"] != norpress  # "the agency": only the whole description is an alias
    assert sources["s5"] != norpress  # another document: no apposition there
    assert _text_free(kb, DESCRIBED, mentions, DESCRIBED_SOURCES)["attribution_links"][0][
        "source_entity"] == norpress


def test_descriptions_found_in_the_text() -> None:
    text = DESCRIBED["d1"]
    mentions = _rows({"d1": text}, {"d1": DESCRIBED_SPANS["d1"]})
    found = find_aliases(text, mentions)
    assert [(a.kind, a.alias, a.name) for a in found] == [
        ("description", "Norland's official news agency", "Norpress")]
    assert parse_description("the agency".split()).qualified is False
    # a list of names is no apposition, nor is a phrase inside a bigger one
    for text, spans in [
        ("Envoys of Norpress, the state news agency, Vellum and Ostra met.",
         [("Norpress", "ORG"), ("Vellum", "ORG"), ("Ostra", "ORG")]),
        ("The wife of Norland's envoy, Mira Varsky, spoke.", [("Mira Varsky", "PERSON")]),
        ("Fighters of Vellum, the Norland army, Ostra and others left.",
         [("Vellum", "ORG"), ("Ostra", "ORG")]),
    ]:
        rows = _rows({"x": text}, {"x": spans})
        assert [a for a in find_aliases(text, rows) if a.kind == "description"] == [], text


# -- 4. what must stay apart -------------------------------------------------------------------
APART = {
    "e1": ("The SDF, Syria's official news agency, said the town fell. SANA reported it "
           "first. Later Syria's official news agency said the town was retaken."),
    "e2": ("ISIS, the jihadist group, claimed the bombing. Al-Qaeda, the jihadist group, "
           "denied any role. The jihadist group said more attacks would follow."),
    "e3": ("The SVR is Russia's foreign intelligence service. Russia's defence ministry "
           "said the drills ended. Russia's foreign intelligence service said the spies left."),
}
APART_SPANS = {
    "e1": [("SDF", "ORG"), ("Syria", "GPE"), ("SANA", "ORG"), ("Syria", "GPE")],
    "e2": [("ISIS", "ORG"), ("Al-Qaeda", "ORG")],
    "e3": [("SVR", "ORG"), ("Russia", "GPE"), ("Russia", "GPE"), ("Russia", "GPE")],
}
APART_SOURCES = [
    _source(APART, "e1", "t1", "Syria's official news agency", "organisation", occurrence=1),
    _source(APART, "e2", "t2", "The jihadist group", "organisation"),
    _source(APART, "e3", "t3", "Russia's defence ministry", "organisation"),
    _source(APART, "e3", "t4", "Russia's foreign intelligence service", "organisation",
            occurrence=1),
]


def test_descriptions_never_merge_distinct_actors(kb: KnowledgeBase) -> None:
    mentions = _rows(APART, APART_SPANS)
    res = EntityLinker(kb).link_texts(APART, mentions, APART_SOURCES)
    ids, sources = _by_text(mentions, res), _sources(APART_SOURCES, res)
    # the KB knows the description as SANA: a text calling the SDF so does not move it
    assert ids["e1:SDF"] == ["sdf"] and ids["e1:SANA"] == ["sana"]
    assert sources["t1"] == "sana"
    # one description given to two actors names neither
    assert ids["e2:ISIS"] == ["isis"] and ids["e2:Al-Qaeda"] == ["al-qaeda"]
    assert sources["t2"] not in ("isis", "al-qaeda")
    # the intelligence service and the ministry stay two
    assert sources["t3"] == "mod-russia" and sources["t4"] == "svr"


# -- 2. roles: "the Russian envoy" is the one person introduced so ---------------------------
ROLE_TEXTS = {
    "r1": ("Russia's ambassador to the UN, Ilya Varsky, met the council on Monday. "
           "Norland's foreign minister Tomas Brenn spoke to reporters. "
           "The Russian envoy said the vote was rigged. The ambassador said more. "
           "The US envoy said nothing."),
    "r2": ("Russia's ambassador to the UN, Ilya Varsky, met the council. Its envoy to "
           "Norland, Oleg Marin, stayed home. The Russian envoy said the vote was rigged."),
}
ROLE_SPANS = {
    "r1": [("Russia", "GPE"), ("UN", "ORG"), ("Ilya Varsky", "ORG"), ("Norland", "GPE"),
           ("Tomas Brenn", "PERSON"), ("Russian", "NORP"), ("US", "GPE")],
    "r2": [("Russia", "GPE"), ("UN", "ORG"), ("Ilya Varsky", "PERSON"), ("Norland", "GPE"),
           ("Oleg Marin", "PERSON"), ("Russian", "NORP")],
}
ROLE_SOURCES = [
    # the attribution step takes the last person named before: Brenn
    _source(ROLE_TEXTS, "r1", "u1", "The Russian envoy", "person", "Tomas Brenn"),
    _source(ROLE_TEXTS, "r1", "u2", "The ambassador", "anonymous"),
    _source(ROLE_TEXTS, "r1", "u3", "The US envoy", "anonymous"),
    _source(ROLE_TEXTS, "r2", "u4", "The Russian envoy", "person", "Oleg Marin"),
]


def test_a_role_source_is_the_one_person_introduced_with_that_role(kb: KnowledgeBase) -> None:
    mentions = _rows(ROLE_TEXTS, ROLE_SPANS)
    res = EntityLinker(kb).link_texts(ROLE_TEXTS, mentions, ROLE_SOURCES)
    ids, sources = _by_text(mentions, res), _sources(ROLE_SOURCES, res)
    varsky = ids["r1:Ilya Varsky"][0]
    assert varsky.startswith("ent:") and varsky != ids["r1:Tomas Brenn"][0]
    assert sources["u1"] == varsky and sources["u2"] == varsky  # envoy = ambassador
    assert res.source_resolutions[:2] == [("person", "Ilya Varsky")] * 2
    assert sources["u3"] != varsky and res.source_resolutions[2] is None  # another country
    # two envoys of Russia in the document: the role settles nothing, the attribution's
    # resolution stands
    assert res.source_resolutions[3] is None
    assert sources["u4"] == ids["r2:Oleg Marin"][0]
    rows = _text_free(kb, ROLE_TEXTS, mentions, ROLE_SOURCES)["attribution_links"]
    assert rows[0]["source_entity"] == varsky and rows[0]["source_resolved"] == "Ilya Varsky"
    assert rows[1]["source_kind"] == "person"


# -- 3. lone surnames whatever their label -----------------------------------------------------
SURNAMES = {
    "p1": ("Norland's envoy, Ilya Varsky, arrived on Monday. Varsky said the talks "
           "would resume. Reporters asked Varsky about the dam."),
    "p2": ("Finance minister Tomas Varga resigned on Monday. Varga said he had no choice. "
           "Later crowds gathered in Varga to protest."),
    "p3": "Omar Jordan met the delegation. Jordan closed its border.",
    "p4": ("Finance minister Tomas Varga resigned on Monday. Varga said he had no choice. "
           "Varga thanked his staff."),
}
SURNAME_SPANS = {
    "p1": [("Norland", "GPE"), ("Ilya Varsky", "ORG"), ("Varsky", "GPE"),
           ("Varsky", "NORP")],
    "p2": [("Tomas Varga", "PERSON"), ("Varga", "ORG"), ("Varga", "GPE")],
    "p3": [("Omar Jordan", "PERSON"), ("Jordan", "GPE")],
    "p4": [("Tomas Varga", "PERSON"), ("Varga", "ORG"), ("Varga", "ORG")],
}


def test_a_lone_surname_links_whatever_its_label(kb: KnowledgeBase) -> None:
    mentions = _rows(SURNAMES, SURNAME_SPANS)
    res = EntityLinker(kb).link_texts(SURNAMES, mentions)
    ids = _by_text(mentions, res)
    rows = {r["id"]: r for r in res.entities}
    # the full name labelled ORG, introduced with a role: the lone name labelled GPE, NORP
    varsky = ids["p1:Ilya Varsky"][0]
    assert ids["p1:Varsky"] == [varsky, varsky]
    assert rows[varsky]["type"] == "person" and rows[varsky]["name"] == "Ilya Varsky"
    # two lone names labelled ORG vote for a person all the same
    varga = ids["p4:Tomas Varga"][0]
    assert ids["p4:Varga"] == [varga, varga]
    assert rows[varga]["type"] == "person" and rows[varga]["name"] == "Tomas Varga"


def test_a_lone_name_the_document_uses_as_a_place_or_the_kb_knows_stays_apart(
    kb: KnowledgeBase,
) -> None:
    mentions = _rows(SURNAMES, SURNAME_SPANS)
    ids = _by_text(mentions, EntityLinker(kb).link_texts(SURNAMES, mentions))
    assert ids["p3:Jordan"] == ["jordan"]  # the KB's state, not Omar Jordan
    # "in Varga": the document uses the name as a place, so it names no person there
    person = ids["p2:Tomas Varga"][0]
    assert person not in ids["p2:Varga"]


def test_a_kb_person_labelled_org_counts_as_spelled_out(kb: KnowledgeBase) -> None:
    texts = {"k": ("Vassily Nebenzia told the council that the vote failed. Nebenzia "
                   "left before the end.")}
    mentions = _rows(texts, {"k": [("Vassily Nebenzia", "ORG"), ("Nebenzia", "ORG")]})
    ids = _by_text(mentions, EntityLinker(kb).link_texts(texts, mentions))
    assert ids["k:Vassily Nebenzia"] == ids["k:Nebenzia"] == ["vassily-nebenzia"]
