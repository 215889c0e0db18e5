"""Entities: name keys, the knowledge base, acronyms, surnames and the corpus step.

All sentences here are written for these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcetrace.config import Settings
from sourcetrace.extract.entities.kb import KnowledgeBase, KnowledgeBaseError
from sourcetrace.extract.entities.link import (
    EntityLinker,
    find_acronyms,
    link_surface,
)
from sourcetrace.extract.entities.normalize import (
    initials,
    normalize_name,
    same_name,
    strip_titles,
)
from sourcetrace.link.entities import entities_step
from sourcetrace.model import Document
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.registry import corpus_steps


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


# -- normalisation ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "variants",
    [
        ["Deir Ezzor", "Deir ez-Zor", "Dayr al-Zawr", "Deir al-Zor"],
        ["al-Waleed", "Al-Walid", "Al Walid"],
        ["Nebenzya", "Nebenzia"],
        ["Hasakah", "Al-Hasakah", "Hasakeh", "al-Hassakeh"],
        ["Russia's Foreign Intelligence Service", "Foreign Intelligence Service of Russia",
         "Russian Foreign Intelligence Service", "the Russian foreign intelligence service"],
        ["Russian Defense Ministry", "Ministry of Defence of the Russian Federation",
         "the Russian Ministry of Defence", "Russia’s Defence Ministry"],
        ["U.S.", "US", "United States", "America"],
        ["al- Khan al-Jabal", "Al-Khan Al Jabal"],
        ["Bashar al-Assad", "Bashar Al-Assad", "Bashar el-Assad"],
        ["World Health Organization", "World Health Organisation"],
        ["Élysée", "Elysee"],
    ],
)
def test_spelling_variants_share_a_key(variants: list[str]) -> None:
    keys = {normalize_name(v) for v in variants}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(
    "a,b", [("Iran", "Iraq"), ("Austria", "Australia"), ("Sudan", "South Sudan"),
            ("Oman", "Amman"), ("Niger", "Nigeria"), ("Mali", "Malta")],
)
def test_near_homographs_stay_apart(a: str, b: str) -> None:
    assert normalize_name(a) != normalize_name(b)
    assert not same_name(a, b)


def test_fuzzy_transliterations_match() -> None:
    assert same_name("Hezbollah", "Hizbullah")
    assert same_name("Qaeda", "Qaida")
    assert same_name("Hasakah", "Hasaka")
    assert not same_name("Hamas", "Homs")  # differ in first-letter-aligned skeleton length


def test_titles_are_stripped() -> None:
    assert strip_titles("Russian Defense Ministry spokesman Igor Konashenkov") == (
        "Igor Konashenkov"
    )
    assert strip_titles("President Bashar al-Assad") == "Bashar al-Assad"
    assert strip_titles("Former US president Donald Trump") == "Donald Trump"
    assert strip_titles("Vassily Nebenzya") == "Vassily Nebenzya"


def test_initials_skip_minor_words_and_the_article() -> None:
    assert initials("Inter-Service Intelligence") == "ISI"
    assert initials("Hayat Tahrir al-Sham") == "HTS"
    assert initials("Commonwealth of Independent States") == "CIS"


# -- knowledge base --------------------------------------------------------------------------
def test_builtin_kb_is_large_and_valid(kb: KnowledgeBase) -> None:
    assert len(kb) >= 250
    types = {e.type for e in kb.entries.values()}
    assert {"state", "government", "ministry", "military", "intelligence", "person",
            "armed_group", "state_media", "media", "international_org"} <= types


@pytest.mark.parametrize(
    "surface,expected",
    [
        ("SVR", "svr"), ("Russia's Foreign Intelligence Service", "svr"),
        ("Foreign Intelligence Service of Russia", "svr"),
        ("ISIS", "isis"), ("ISIL", "isis"), ("Islamic State", "isis"), ("Daesh", "isis"),
        ("IS", "isis"), ("Isis", "isis"),
        ("HTS", "hts"), ("Hayat Tahrir al-Sham", "hts"), ("Ansar Allah", "houthis"),
        ("Moscow", "gov-russia"), ("the Kremlin", "gov-russia"), ("Washington", "gov-us"),
        ("the White House", "gov-us"), ("Damascus", "gov-syria"), ("Downing Street", "gov-uk"),
        ("Elysee Palace", "gov-france"), ("Pentagon", "us-dod"),
        ("Syria", "syria"), ("Syrian", "syria"), ("Russian Federation", "russia"),
        ("Vasily Nebenzia", "vassily-nebenzia"), ("Vassily Nebenzya", "vassily-nebenzia"),
        ("Igor Konashenkov", "igor-konashenkov"), ("President Bashar al-Assad", None),
        ("SANA", "sana"), ("TASS", "tass"), ("Al-Mayadeen", "al-mayadeen"),
        ("Russian Defense Ministry", "mod-russia"), ("US forces", "us-armed-forces"),
        ("American troops", "us-armed-forces"), ("Hizbullah", "hezbollah"),
        ("Soviet Union", "soviet-union"), ("USSR", "soviet-union"),
    ],
)
def test_lookup(kb: KnowledgeBase, surface: str, expected: str | None) -> None:
    entry = kb.lookup(surface)
    assert (entry.id if entry else None) == expected


def test_short_acronyms_need_capitals(kb: KnowledgeBase) -> None:
    assert kb.lookup("us") is None and kb.lookup("is") is None and kb.lookup("un") is None
    assert kb.lookup("US").id == "us" and kb.lookup("UN").id == "un"


def test_controllers_chain(kb: KnowledgeBase) -> None:
    assert kb.controllers("svr") == ["gov-russia", "russia"]
    assert kb.controllers("vassily-nebenzia") == [
        "russia-un-mission", "mfa-russia", "gov-russia", "russia"]
    assert kb.root_controller("ria-novosti") == "russia"
    assert kb.root_controller("sana") == "syria"
    assert kb.root_controller("al-manar") == "hezbollah"
    assert kb.get("bbc").controlled_by is None
    assert kb.get("al-jazeera").funded_by == "gov-qatar"
    assert kb.get("al-mayadeen").controlled_by is None
    assert kb.root_controller("reuters") == "reuters"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_controller_is_an_error_naming_the_entry(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.yaml", """
entries:
- {id: zz-agency, name: Zedland News Agency, aliases: [ZNA], type: state_media,
   country: null, controlled_by: gov-zedland}
""")
    with pytest.raises(KnowledgeBaseError, match="Zedland News Agency.*gov-zedland"):
        KnowledgeBase.load([bad])


def test_duplicate_alias_across_entries_is_an_error(tmp_path: Path) -> None:
    bad = _write(tmp_path, "dup.yaml", """
- {id: zz-one, name: Zedland Front, aliases: [ZF], type: armed_group, country: null,
   controlled_by: null}
- {id: zz-two, name: Zedland Forum, aliases: [Z.F.], type: political_group, country: null,
   controlled_by: null}
""")
    with pytest.raises(KnowledgeBaseError, match="Zedland Forum.*duplicates.*Zedland Front"):
        KnowledgeBase.load([bad])


def test_alias_clashing_with_builtin_is_an_error(tmp_path: Path) -> None:
    bad = _write(tmp_path, "clash.yaml", """
- {id: zz-spies, name: Zedland Spies, aliases: [Foreign Intelligence Service of Russia],
   type: intelligence, country: null, controlled_by: null}
""")
    with pytest.raises(KnowledgeBaseError, match="Zedland Spies"):
        KnowledgeBase.load([bad])


def test_malformed_entries_are_reported(tmp_path: Path) -> None:
    for body, pattern in [
        ("- {id: x1, name: X One, type: wizard}", "type 'wizard'"),
        ("- {id: x2, type: media}", "missing or empty 'name'"),
        ("- {id: x3, name: X Three, type: media, colour: red}", "unknown fields"),
        ("- {id: x4, name: X Four, type: media, country: Zedland}", "ISO 3166"),
        ("- {id: base-svc, name: Another Service, type: media}", "already defined"),
    ]:
        base = _write(tmp_path, "base.yaml", "- {id: base-svc, name: Base Service, type: media}")
        path = _write(tmp_path, "m.yaml", body)
        with pytest.raises(KnowledgeBaseError, match=pattern):
            KnowledgeBase.from_files([base, path])


def test_control_cycle_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "cycle.yaml", """
- {id: c-a, name: Cycle A, type: media, controlled_by: c-b}
- {id: c-b, name: Cycle B, type: media, controlled_by: c-a}
""")
    with pytest.raises(KnowledgeBaseError, match="cycle"):
        KnowledgeBase.from_files([path])


def test_user_kb_extends_the_builtin_one(tmp_path: Path) -> None:
    extra = _write(tmp_path, "mine.yaml", """
entries:
- {id: zedland-news, name: Zedland Daily Courier, aliases: [ZDC, Zedland Courier],
   type: state_media, country: null, controlled_by: gov-russia}
""")
    kb = KnowledgeBase.load([extra])
    assert kb.lookup("Zedland Courier").id == "zedland-news"
    assert kb.controllers("zedland-news") == ["gov-russia", "russia"]
    assert kb.lookup("SVR").id == "svr"  # the built-in base is still there
    assert KnowledgeBase.load().lookup("Zedland Courier") is None


# -- acronyms, surnames, sources -------------------------------------------------------------
def test_acronym_definitions(kb: KnowledgeBase) -> None:
    text = ("Officials of the Commonwealth of Independent States (CIS) met. Later the "
            "Zedland Liberation Front (ZLF) and Norland's Foreign Espionage Bureau (NSV) "
            "spoke. DAMASCUS (AFP) - a dateline is no definition.")
    found = find_acronyms(text, kb)
    assert found["CIS"] == "Commonwealth of Independent States"
    assert found["ZLF"] == "Zedland Liberation Front"
    assert found["NSV"] == "Foreign Espionage Bureau"
    assert "AFP" not in found


@pytest.mark.parametrize(
    "source,expected",
    [
        ("an SVR statement", "svr"),
        ("Syria's official news agency, SANA", "sana"),
        ("Russia's ambassador to the UN, Vassily Nebenzya", "vassily-nebenzia"),
        ("a representative of the Russian forces in Syria", "russian-forces-syria"),
        ("Russian Defense Ministry spokesman Igor Konashenkov", "igor-konashenkov"),
        ("Moscow", "gov-russia"),
        ("officials in Washington", "gov-us"),
        ("the Pentagon", "us-dod"),
        ("civilian sources", None),
        ("a source close to the talks", None),
    ],
)
def test_link_surface_finds_actor_inside_span(source: str, expected: str | None) -> None:
    assert link_surface(source) == expected


def test_link_surface_uses_document_context() -> None:
    ctx = {"Tomas Vrbenko": "ent:tomas-vrbenko"}
    assert link_surface("Vrbenko", ctx) == "ent:tomas-vrbenko"
    assert link_surface("Nebenzya", [("Vassily Nebenzya", "vassily-nebenzia")]) == (
        "vassily-nebenzia")
    assert link_surface("Vrbenko") is None


# -- corpus linking --------------------------------------------------------------------------
DOCS = {
    "d1": ("Norland's Foreign Espionage Bureau (NSV) said on Monday that convoys left the "
           "al-Waleed crossing near Deir Ezzor. The NSV statement blamed Washington. "
           "Envoy Tomas Vrbenko told reporters the claim was false, and Vrbenko repeated it. "
           "Russia's Foreign Intelligence Service (SVR) agreed."),
    "d2": ("The Russian Foreign Intelligence Service said trucks used the Al-Walid crossing "
           "towards Dayr al-Zawr. Vrbenko declined to comment. Daesh fighters were moved, "
           "Syria's official news agency, SANA, reported. An SVR statement followed."),
}


def _rows(doc: str, text: str, spans: list[tuple[str, str]]) -> list[dict]:
    """Mention rows of ``text`` for the given (text, label) pairs, each at its first offset
    after the previous one."""
    rows, pos = [], 0
    for surface, label in spans:
        start = text.index(surface, pos)
        rows.append({"doc": doc, "start": start, "end": start + len(surface), "text": surface,
                     "label": label, "sentence": 0, "entity": None})
        pos = start + len(surface)
    return rows


def _mentions(doc: str, spans: list[tuple[str, str]]) -> list[dict]:
    """Mention rows of the fixture document ``doc``."""
    return _rows(doc, DOCS[doc], spans)


MENTIONS = _mentions("d1", [
    ("Norland", "GPE"), ("Foreign Espionage Bureau", "ORG"), ("NSV", "ORG"),
    ("al-Waleed", "FAC"), ("Deir Ezzor", "GPE"), ("NSV", "ORG"), ("Washington", "GPE"),
    ("Tomas Vrbenko", "PERSON"), ("Vrbenko", "PERSON"), ("Russia", "GPE"),
    ("Foreign Intelligence Service", "ORG"), ("SVR", "ORG"),
]) + _mentions("d2", [
    ("Russian", "NORP"), ("Foreign Intelligence Service", "ORG"), ("Al-Walid", "FAC"),
    ("Dayr al-Zawr", "GPE"), ("Vrbenko", "PERSON"), ("Daesh", "ORG"), ("Syria", "GPE"),
    ("SANA", "ORG"), ("SVR", "ORG"),
])


def _attr(doc: str, aid: str, source: str, kind: str, resolved: str | None = None) -> dict:
    start = DOCS[doc].index(source)
    return {"id": aid, "doc": doc, "source_text": source, "source_start": start,
            "source_end": start + len(source), "source_kind": kind,
            "source_resolved": resolved or source, "source_entity": None, "cue_text": "said",
            "cue_start": 0, "cue_end": 0, "content_text": "x", "content_start": 0,
            "content_end": 0, "hedged": False, "parent": None, "sentence": 0}


ATTRIBUTIONS = [
    _attr("d1", "a1", "Norland's Foreign Espionage Bureau (NSV)", "organisation"),
    _attr("d1", "a2", "The NSV statement", "organisation"),
    _attr("d1", "a3", "Envoy Tomas Vrbenko", "person"),
    _attr("d2", "a4", "Syria's official news agency, SANA", "organisation"),
    _attr("d2", "a5", "An SVR statement", "organisation"),
]


def test_linker_on_hand_made_rows(kb: KnowledgeBase) -> None:
    linker = EntityLinker(kb)
    res = linker.link_texts({d: t for d, t in DOCS.items()}, MENTIONS, ATTRIBUTIONS)
    by_text: dict[tuple[str, str], str | None] = {}
    for m, eid in zip(MENTIONS, res.mention_entities, strict=True):
        by_text[(m["doc"], m["text"])] = eid
    nsv = by_text[("d1", "NSV")]
    assert nsv and nsv.startswith("ent:")
    assert by_text[("d1", "Foreign Espionage Bureau")] == nsv  # acronym definition
    assert by_text[("d1", "Foreign Intelligence Service")] == "svr"  # "Russia's" on the left
    assert by_text[("d2", "Foreign Intelligence Service")] == "svr"  # "Russian" on the left
    assert by_text[("d1", "SVR")] == by_text[("d2", "SVR")] == "svr"
    assert by_text[("d1", "al-Waleed")] == by_text[("d2", "Al-Walid")]
    assert by_text[("d1", "Deir Ezzor")] == by_text[("d2", "Dayr al-Zawr")]
    assert by_text[("d1", "Washington")] == "gov-us"
    assert by_text[("d2", "Daesh")] == "isis"
    assert by_text[("d2", "Syria")] == "syria"
    vrb = by_text[("d1", "Tomas Vrbenko")]
    assert by_text[("d1", "Vrbenko")] == vrb and by_text[("d2", "Vrbenko")] == vrb
    assert res.source_entities == [nsv, nsv, vrb, "sana", "svr"]

    rows = {r["id"]: r for r in res.entities}
    assert rows["svr"]["controlled_by"] == "gov-russia" and rows["svr"]["in_kb"]
    assert {"gov-russia", "russia", "gov-syria"} <= set(rows)  # controllers get rows too
    assert set(rows["svr"]["aliases"]) >= {"SVR", "Foreign Intelligence Service"}
    crossing = rows[by_text[("d1", "al-Waleed")]]
    assert set(crossing["aliases"]) == {"al-Waleed", "Al-Walid"} and not crossing["in_kb"]
    assert rows[vrb]["type"] == "person" and rows[vrb]["name"] == "Tomas Vrbenko"
    for row in rows.values():
        assert row["controlled_by"] is None or row["controlled_by"] in rows


def test_place_heads_and_prepositions_keep_places_apart(kb: KnowledgeBase) -> None:
    text = "Oil left the Al-Jazeera fields. A bomb exploded in Moscow. Moscow denied it."
    mentions = []
    for surface, label, start in [("Al-Jazeera", "LOC", 13), ("Moscow", "GPE", 51),
                                  ("Moscow", "GPE", 59)]:
        assert text[start:start + len(surface)] == surface
        mentions.append({"doc": "p", "start": start, "end": start + len(surface),
                         "text": surface, "label": label})
    res = EntityLinker(kb).link_texts({"p": text}, mentions)
    assert res.mention_entities[0] != "al-jazeera"
    assert res.mention_entities[1] != "gov-russia"
    assert res.mention_entities[2] == "gov-russia"


def test_corpus_step_end_to_end(tmp_path: Path) -> None:
    assert corpus_steps.get("entities") is entities_step
    with AnalysisStore(tmp_path / "out") as store:
        docs = [Document(id=d, text=t) for d, t in DOCS.items()]
        batch = [
            (doc, {"mentions": [m for m in MENTIONS if m["doc"] == doc.id],
                   "attributions": [a for a in ATTRIBUTIONS if a["doc"] == doc.id]})
            for doc in docs
        ]
        store.save_documents(batch, "test")
        entities_step(store, Settings(out=tmp_path / "out"))
        ents = {r["id"]: r for r in store.read("entities")}
        mentions = store.read("mentions")
        attrs = {a["id"]: a["source_entity"] for a in store.read("attributions")}
    assert len(mentions) == len(MENTIONS)
    assert all(m["entity"] for m in mentions)
    assert {m["entity"] for m in mentions if m["text"] == "SVR"} == {"svr"}
    assert attrs["a4"] == "sana" and attrs["a5"] == "svr"
    assert ents["sana"]["controlled_by"] == "gov-syria"
    assert ents["gov-syria"]["controlled_by"] == "syria"
    assert all(m["entity"] in ents for m in mentions)


def test_corpus_step_reads_user_kb(tmp_path: Path) -> None:
    extra = _write(tmp_path, "norland.yaml", """
- {id: nsv, name: Foreign Espionage Bureau of Norland, aliases: [NSV], type: intelligence,
   country: null, controlled_by: null}
""")
    with AnalysisStore(tmp_path / "out") as store:
        store.save_documents([(Document(id="d1", text=DOCS["d1"]),
                               {"mentions": [m for m in MENTIONS if m["doc"] == "d1"]})], "t")
        entities_step(store, Settings(out=tmp_path / "out", kb_files=[extra]))
        linked = {m["text"]: m["entity"] for m in store.read("mentions")}
    assert linked["NSV"] == "nsv"
    assert linked["Foreign Espionage Bureau"] == "nsv"


def test_qualifiers_generic_nouns_and_place_heads(kb: KnowledgeBase) -> None:
    text = ("The Kurdish Syrian Democratic Forces and Hezbollah Fighters met near the "
            "Zarqat base. Zarqat later fell. Sheikh Omar Zaydan Halabi spoke; Zaydan left.")
    spans = [("Kurdish Syrian Democratic Forces", "ORG"), ("Hezbollah Fighters", "ORG"),
             ("Zarqat base", "FAC"), ("Zarqat", "GPE"), ("Omar Zaydan Halabi", "PERSON"),
             ("Zaydan", "PERSON")]
    mentions, pos = [], 0
    for surface, label in spans:
        start = text.index(surface, pos)
        pos = start + len(surface)
        mentions.append({"doc": "q", "start": start, "end": pos, "text": surface,
                         "label": label})
    ids = EntityLinker(kb).link_texts({"q": text}, mentions).mention_entities
    assert ids[0] == "sdf" and ids[1] == "hezbollah"
    assert ids[2] == ids[3] and ids[2].startswith("ent:")
    assert ids[4] == ids[5] == "ent:omar-zaydan-halabi"


def test_source_span_prefers_rank_then_first_then_longest() -> None:
    # two states: the first named is the source, not the longer name
    assert link_surface("officials from the UK and Iran") == "uk"
    # same start: the longest alias wins ("US military" over "US")
    assert link_surface("The US military") == "us-armed-forces"
    # an organisation outranks a state named earlier
    assert link_surface("Iran's state broadcaster IRIB") == "irib"


@pytest.mark.shared
def test_seed_corpus_links_the_key_actors(shared_dir: Path, kb: KnowledgeBase) -> None:
    """Real articles: the intelligence service, the state agency, IS and the capitals."""
    import spacy

    from sourcetrace.config import DEFAULT_MODEL
    from sourcetrace.nlp.basic import MENTION_LABELS

    nlp = spacy.load(DEFAULT_MODEL)
    texts = {p.stem: p.read_text(encoding="utf-8")
             for p in sorted((shared_dir / "corpora" / "seeds").glob("*.txt"))}
    mentions = [
        {"doc": d, "start": e.start_char, "end": e.end_char, "text": e.text, "label": e.label_}
        for d, doc in zip(texts, nlp.pipe(texts.values()), strict=True)
        for e in doc.ents if e.label_ in MENTION_LABELS
    ]
    ids = EntityLinker(kb).link_texts(texts, mentions).mention_entities
    linked: dict[str, set[str | None]] = {}
    for m, eid in zip(mentions, ids, strict=True):
        linked.setdefault(normalize_name(m["text"]), set()).add(eid)
    assert linked[normalize_name("SVR")] == {"svr"}
    assert linked[normalize_name("SANA")] == {"sana"}
    assert linked[normalize_name("Daesh")] == {"isis"} == linked[normalize_name("ISIS")]
    for capital, gov in [("Washington", "gov-us"), ("Damascus", "gov-syria"),
                         ("Moscow", "gov-russia")]:
        assert linked[normalize_name(capital)] == {gov}
    assert linked[normalize_name("al-Waleed")] == linked[normalize_name("Al-Walid")]
    assert len(linked[normalize_name("al-Waleed")]) == 1


def test_a_bare_word_is_not_an_outlet_named_the_word() -> None:
    from sourcetrace.extract.entities.link import link_surface

    assert link_surface("Independent inspectors from the grain board") != "the-independent"
    assert link_surface("The Independent") == "the-independent"


def test_a_lone_surname_of_one_knowledge_base_person_links_to_them(tmp_path: Path) -> None:
    """A person named by surname only, which only the knowledge base spells out (no alias
    of that surname), links to that person; and the people of the corpus still vote for the
    person type (this once raised a TypeError on real news)."""
    extra = _write(tmp_path, "mine.yaml", """
entries:
- {id: ann-quillard, name: Ann Quillard, type: person, country: null, controlled_by: null}
""")
    kb = KnowledgeBase.load([extra])
    texts = {"q1": "Quillard said the bridge was closed. Ms Quillard left Norland on Monday."}
    mentions = []
    for surface, label in [("Quillard", "PERSON"), ("Quillard", "ORG")]:
        start = texts["q1"].index(surface, mentions[-1]["end"] if mentions else 0)
        mentions.append({"doc": "q1", "start": start, "end": start + len(surface),
                         "text": surface, "label": label, "sentence": 0, "entity": None})
    res = EntityLinker(kb).link_texts(texts, mentions, [])
    assert res.mention_entities[0] == "ann-quillard"


# -- issue 17, second pass: other names, party letters, handles, bare institutions ---------


def test_events_party_letters_handles_and_bare_institutions(kb: KnowledgeBase) -> None:
    texts = {
        "e1": ("Senator Dora Pelling (R) said U.S. troops would stay. Later the Army "
               "denied it. She did not regret the Iraq War. @realDonaldTrump agreed."),
        "e2": "Chinese officials said the Communist Party would meet. Russian envoys came.",
        "e3": "Chinese officials said the Communist Party would meet.",
    }
    mentions = (
        _rows("e1", texts["e1"], [("Dora Pelling", "PERSON"), ("R", "NORP"),
                                  ("U.S.", "GPE"), ("Army", "ORG"), ("Iraq War", "EVENT"),
                                  ("realDonaldTrump", "PERSON")])
        + _rows("e2", texts["e2"], [("Chinese", "NORP"), ("Communist Party", "ORG"),
                                    ("Russian", "NORP")])
        + _rows("e3", texts["e3"], [("Chinese", "NORP"), ("Communist Party", "ORG")])
    )
    res = EntityLinker(kb).link_texts(texts, mentions, [])
    got = {(m["doc"], m["text"]): eid for m, eid in zip(mentions, res.mention_entities,
                                                        strict=True)}
    assert got[("e1", "R")] == "republican-party"
    assert got[("e1", "Army")] == "us-army"  # the one country the document names
    war = got[("e1", "Iraq War")]
    assert war != "iraq" and war.startswith("ent:")
    assert {r["id"]: r for r in res.entities}[war]["type"] == "other"
    assert got[("e1", "realDonaldTrump")] == "donald-trump"
    assert got[("e3", "Communist Party")] == "ccp"
    # a second country without a party of that name in the knowledge base changes nothing
    assert got[("e2", "Communist Party")] == "ccp"


def test_a_bare_institution_of_two_named_countries_is_neither(kb: KnowledgeBase) -> None:
    linker = EntityLinker(kb)
    assert linker._qualified("Foreign Ministry", ["Russian"]) is not None
    assert linker._qualified("Foreign Ministry", ["Russian", "Syrian"]) is None
