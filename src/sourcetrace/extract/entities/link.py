"""Corpus step ``entities``: link NER mentions and attribution sources to actors.

Each mention goes, in this order, to: a knowledge-base entry (normalised alias, with the
possessive or demonym just left of the mention when NER cut it off: "Russia's | Foreign
Intelligence Service"); the long form an acronym stands for in the same document ("Foreign
Intelligence Service (SVR)"), else in another document of the corpus when the corpus
defines the letters one way only and the KB not at all; the full
name a lone surname repeats ("Nebenzya" after "Vassily Nebenzya"), first in the document,
then in the knowledge base, then in the corpus; otherwise a corpus cluster (``ent:<slug>``)
that merges transliteration variants. A person written with and without middle initials
("William P. Barr", "William Barr") is one cluster unless two different initials share the
bare name. A lone surname that two people of its document carry is the one spelled out in an
earlier sentence, else neither of them. A full name counts as spelled out whatever NER
labelled it when it is a KB person or the document introduced it with a role; the lone name
may carry any name label, but a name the document uses as a place ("in Varga") stays apart.
A whole description the document gives an actor by apposition or copula ("SANA, Syria's
official news agency,"; see :mod:`.aliases`) is that actor elsewhere in the document.

Attribution sources are linked through the mentions inside their span and through any
knowledge-base alias found inside the span text ("an SVR statement", "Syria's official news
agency, SANA") or description of the document; people win over organisations, organisations
over governments, governments over states; then the earliest match, and the longest of those
starting there. A role source ("the Russian envoy", "the ambassador") is the one person its
document introduced with that role (envoy = ambassador) and no other country, whoever the
attribution step took it for; with two such people, the attribution step's reading stands.
An anonymous or
vague source ("a source close to Trump") gets no entity: what its span names is its
``near_entity``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sourcetrace.extract.entities.aliases import (
    ORG_HEADS,
    ROLE_CLASSES,
    Alias,
    find_aliases,
    parse_description,
)
from sourcetrace.extract.entities.kb import Entry, KnowledgeBase
from sourcetrace.extract.entities.normalize import (
    acronym_letters,
    fold,
    initials,
    is_acronym,
    is_country,
    keys_match,
    normalize_name,
    skeleton,
    strip_titles,
)
from sourcetrace.nlp.labels import OTHER_LABELS, PARTY_LETTERS

LABEL_TYPES = {
    "PERSON": "person", "ORG": "organisation", "NORP": "group", "GPE": "place",
    "LOC": "place", "FAC": "facility", **dict.fromkeys(OTHER_LABELS, "other"),
}
# Lower rank wins when several actors are named in one source span.
_RANK = {"person": 0, "government": 2, "state": 3, "place": 4, "facility": 4, "group": 4}
_ORG_RANK = 1

# A word after the mention that makes it a place, not the actor of the same name:
# "the Al-Jazeera fields", "Damascus countryside".
_PLACE_HEADS = frozenset("""field fields crossing camp base province governorate region city
countryside district airport border river desert valley oilfield oilfields square street
""".split())
# A preposition before a capital's name makes it a place, not the government ("in Moscow").
_PLACE_PREPS = frozenset("in near at outside around into across inside within".split())
# Prepositions that make any single name a place, whatever its label ("crowds in Varga"):
# "near" or "at" may stand before a person too ("stood near Varga").
_PLACE_ONLY_PREPS = frozenset("in outside into across inside within".split())

# Generic nouns after an actor's name: "Al-Qaeda fighters", "the SVR statement".
_TRAILING_NOUNS = frozenset("""fighters militants members terrorists statement statements
spokesman spokeswoman spokesperson officials official sources source report reports
""".split())
# Qualifiers before an actor's name: "the Kurdish Syrian Democratic Forces".
_LEADING_QUALIFIERS = frozenset("""kurdish kurdish-led turkish-backed us-backed iran-backed
russian-backed so-called pro-government pro-iranian pro-turkish""".split())
# Generic heads of place names, dropped from cluster keys: "Hasakah province" = "Hasakah".
_PLACE_SUFFIXES = frozenset("""province governorate district region city camp base garrison
crossing""".split())

_CAMEL = re.compile(r"[A-Z][a-z]+|[a-z]+|[A-Z]+(?![a-z])")
_WORD = re.compile(r"[\w][\w'’\-.]*")
_ACRONYM_DEF = re.compile(
    r"(?P<long>[A-Z][\w'’\-]*(?:\s+(?:[A-Z][\w'’\-]*|of|the|and|for|al|el|de|in|on|al-\w+))*)"
    r"\s*\((?P<acr>[A-Z][A-Za-z.\-]{1,9})\)"
)
_MAX_NGRAM = 9
# Characters of the document just before and after a mention that linking looks at: enough
# for a possessive or demonym cut off by NER ("Russia's | Foreign Intelligence Service"),
# a preposition ("in | Moscow") and a place head ("Zarqat | base").
CONTEXT_BEFORE, CONTEXT_AFTER = 40, 30

# Source kinds that name nobody: an actor named in their span ("officials in the Trump
# administration", "allies of X") is what they are near, never their entity.
NEAR_KINDS = frozenset({"anonymous", "vague"})

# Full row orders (no ties): the linker must see rows in the same order on every engine.
MENTION_ORDER = 'ORDER BY doc, start, "end", label, text'
ATTRIBUTION_ORDER = "ORDER BY doc, source_start, id"

# A mention's target before the corpus-wide pass: ("kb", entry id), ("key", cluster key),
# SURNAME (a lone name such as "Nebenzya", settled over the corpus) or None (nothing to link).
Target = tuple[str, str] | None
SURNAME: tuple[str, str] = ("surname", "")


@dataclass
class Cluster:
    """Mentions the knowledge base does not know, grouped under one normalised key."""

    key: str
    surfaces: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    id: str = ""

    @property
    def name(self) -> str:
        # the most frequent surface; ties go to the longest (more informative) one
        if self.type == "person":  # a person is named by the fullest form seen
            best = max(self.surfaces, key=lambda x: (len(x.split()), self.surfaces[x], x))
        else:
            best = max(self.surfaces.items(), key=lambda kv: (kv[1], len(kv[0]), kv[0]))[0]
        return _clean(best, None) or best

    @property
    def type(self) -> str:
        label = self.labels.most_common(1)[0][0] if self.labels else ""
        return LABEL_TYPES.get(label, "organisation")


@dataclass(frozen=True)
class DocumentContext:
    """All that linking reads of one document's text: the acronyms it defines, per mention
    (in the order given) the text just before and just after it, the descriptions and roles
    it gives its actors (:func:`~sourcetrace.extract.entities.aliases.find_aliases`) and the
    single names it uses as places ("in Varga")."""

    acronyms: dict[str, str]
    around: list[tuple[str, str]]
    aliases: list[Alias] = field(default_factory=list)
    places: frozenset[str] = frozenset()
    # the countries the document names ("U.S.", "Chinese"): what qualifies an institution
    # it names bare ("the Army", "the Communist Party")
    countries: tuple[str, ...] = ()

    def alias_rows(self, doc: str) -> list[dict[str, Any]]:
        """What the corpus-wide part needs of these: rows of :data:`ALIAS_COLUMNS`."""
        defined = [{"doc": doc, "kind": "acronym", "alias": acr, "qualifier": "", "name": long,
                    "start": None, "end": None} for acr, long in sorted(self.acronyms.items())]
        return defined + [a.row(doc) for a in self.aliases]


# Columns of an alias row: kind "acronym" (alias: the letters, name: the long form),
# "description" or "role" (see aliases.Alias; start, end: the span of the name).
ALIAS_COLUMNS = {
    "doc": "VARCHAR", "kind": "VARCHAR", "alias": "VARCHAR", "qualifier": "VARCHAR",
    "name": "VARCHAR", "start": "INTEGER", "end": "INTEGER",
}
ALIAS_ORDER = ("doc", "kind", "start", "end", "alias", "qualifier", "name")


def mention_context(text: str, start: int | None, end: int | None) -> tuple[str, str]:
    """The ``CONTEXT_BEFORE`` characters before a mention and ``CONTEXT_AFTER`` after it."""
    before = text[max(0, start - CONTEXT_BEFORE) : start] if text and start is not None else ""
    after = text[end : end + CONTEXT_AFTER] if text and end is not None else ""
    return before, after


def document_context(
    text: str | None, mentions: Iterable[Mapping[str, Any]], kb: KnowledgeBase
) -> DocumentContext:
    """What :meth:`EntityLinker.link_corpus` needs of one document, so that the text itself
    can stay where the document is (a Spark executor) and only these strings move."""
    text = text or ""
    mentions = list(mentions)
    around = [mention_context(text, m["start"], m["end"]) for m in mentions]
    return DocumentContext(
        find_acronyms(text, kb), around, find_aliases(text, mentions),
        place_words(mentions, around), document_countries(mentions),
    )


def document_countries(mentions: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The names of countries and their demonyms a document's mentions use, sorted."""
    return tuple(sorted({
        surface for m in mentions if m.get("label") in ("GPE", "NORP")
        and (surface := _clean(m["text"], None)) and is_country(surface)
    }))


def place_words(
    mentions: Sequence[Mapping[str, Any]], around: Sequence[tuple[str, str]]
) -> frozenset[str]:
    """Keys of the single names a document uses as places: after a place preposition (any
    label for "in", "inside"...; a place label for "near", "at"...) or before a place head
    ("Varga district"). Such a name is never read as a lone surname in that document."""
    found: set[str] = set()
    for m, (before, after) in zip(mentions, around, strict=True):
        surface = _clean(m["text"], None)
        if len(surface.split()) != 1 or re.match(r"['’]s\b", after):
            continue  # "in Varga's view" is the person's
        next_word = (re.match(r"\s*([A-Za-z]+)", after) or [None, ""])[1].lower()
        prev_word = (re.search(r"([A-Za-z]+)\s*$", before) or [None, ""])[1].lower()
        if (next_word in _PLACE_HEADS or prev_word in _PLACE_ONLY_PREPS
                or (prev_word in _PLACE_PREPS and m.get("label") in ("GPE", "LOC", "FAC"))):
            found.add(normalize_name(surface))
    return frozenset(found)


@dataclass
class LinkResult:
    entities: list[dict[str, Any]]
    mention_entities: list[str | None]
    source_entities: list[str | None]
    # per attribution: the actor an anonymous or vague source is near (NEAR_KINDS), or None
    near_entities: list[str | None] = field(default_factory=list)
    # per attribution: (source_kind, source_resolved) when linking resolved a role ("the
    # Russian envoy") to the one person of the document introduced with it, else None
    source_resolutions: list[tuple[str, str] | None] = field(default_factory=list)


class EntityLinker:
    """Links one corpus. Reusable afterwards through :meth:`link_text` for other surfaces."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.clusters: dict[str, Cluster] = {}
        self._cluster_of_id: dict[str, Cluster] = {}  # entity id -> its corpus cluster
        self._alias_of: dict[str, str] = {}  # cluster key merged -> surviving cluster key
        self.surface_index: dict[str, str] = {}  # normalised surface -> entity id (corpus)
        self._kb_surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        self._kb_initials = _initials_index(kb)
        # letters that documents of the corpus define as two different actors
        self._ambiguous_acronyms: set[str] = set()

    # -- mentions --------------------------------------------------------------------------
    def link_texts(
        self,
        texts: Mapping[str, str],
        mentions: list[dict[str, Any]],
        attributions: list[dict[str, Any]] = (),  # type: ignore[assignment]
    ) -> LinkResult:
        """:meth:`link_corpus` for a caller that has the documents' texts at hand."""
        by_doc: dict[str, list[int]] = defaultdict(list)
        for i, m in enumerate(mentions):
            by_doc[m["doc"]].append(i)
        acronyms: dict[str, dict[str, str]] = {}
        places: dict[str, frozenset[str]] = {}
        countries: dict[str, tuple[str, ...]] = {}
        aliases: list[dict[str, Any]] = []
        context: list[tuple[str, str]] = [("", "")] * len(mentions)
        for doc, idx in by_doc.items():
            ctx = document_context(texts.get(doc, ""), [mentions[i] for i in idx], self.kb)
            acronyms[doc], places[doc], countries[doc] = ctx.acronyms, ctx.places, ctx.countries
            aliases.extend(ctx.alias_rows(doc))
            for i, around in zip(idx, ctx.around, strict=True):
                context[i] = around
        return self.link_corpus(mentions, acronyms, context, attributions, places, aliases,
                                countries)

    def link_corpus(
        self,
        mentions: list[dict[str, Any]],
        acronyms: Mapping[str, Mapping[str, str]],
        context: Sequence[tuple[str, str]],
        attributions: list[dict[str, Any]] = (),  # type: ignore[assignment]
        places: Mapping[str, frozenset[str]] | None = None,
        aliases: Sequence[Mapping[str, Any]] | None = None,
        countries: Mapping[str, Sequence[str]] | None = None,
    ) -> LinkResult:
        """Link a corpus from its mention rows and what :func:`document_context` kept of
        each document: ``acronyms`` by document, ``context`` (before, after) per mention,
        ``places`` (names used as places) by document and the alias rows
        (:meth:`DocumentContext.alias_rows`; by default the rows of ``acronyms``)."""
        places = places or {}
        countries = countries or {}
        targets = [
            self.first_target(m, around, acronyms.get(m["doc"], {}),
                              places.get(m["doc"], frozenset()), countries.get(m["doc"], ()))
            for m, around in zip(mentions, context, strict=True)
        ]
        if aliases is None:
            aliases = [row for doc, defs in acronyms.items()
                       for row in DocumentContext(dict(defs), []).alias_rows(doc)]
        return self.link_targets(mentions, targets, attributions, aliases)

    def first_target(
        self, m: Mapping[str, Any], around: tuple[str, str], defs: Mapping[str, str],
        places: frozenset[str] = frozenset(), countries: Sequence[str] = (),
    ) -> Target:
        """What one mention links to before the corpus is seen: ``("kb", id)``, ``("key",
        cluster key)``, :data:`SURNAME` (a lone name, settled over the corpus) or None.

        A function of the mention, its context, its document's acronyms and the names its
        document uses as places (:func:`place_words`) alone (the linker's corpus state is
        not read), so it may run wherever the document is."""
        surface = _clean(m["text"], m.get("label"))
        if not surface:
            return None
        if m.get("label") in OTHER_LABELS:
            # an event, law or work is no actor, whatever name it holds ("the Iraq War")
            return ("key", cluster_key(surface))
        if m.get("label") == "NORP" and surface in PARTY_LETTERS:
            # "Bloomberg (D)": the names component read the letter as the party's
            surface = PARTY_LETTERS[surface]
        if around[0].endswith("@"):
            # a handle: "@realDonaldTrump" names Donald Trump when the KB knows him
            words = _CAMEL.findall(surface)
            if len(words) >= 2:
                for k in (0, 1):
                    found = self.kb.lookup(" ".join(words[k:]), fuzzy=False)
                    if found is not None:
                        return ("kb", found.id)
        entry = self._kb_for_mention(surface, around, defs)
        if (entry is not None and not entry.is_person and m.get("label") == "PERSON"
                and _single_name(surface)):
            # the names component read a known organisation's one-word name as a person's
            # surname ("Bloomberg" after "Michael Bloomberg"): it is settled as one
            entry = None
        if entry is None and m.get("label") == "ORG" and countries:
            entry = self._qualified(surface, countries)
        if entry is None and m.get("label") == "PERSON":
            # "Donald J. Trump" when the KB spells only "Donald Trump"
            bare, letters = split_initials(surface)
            if letters:
                found = self.kb.lookup(bare, fuzzy=False)
                if found is not None and found.is_person and _initials_agree(found, letters):
                    entry = found
        if entry is not None:
            return ("kb", entry.id)
        if is_acronym(surface) and acronym_letters(surface) in defs:
            return ("key", normalize_name(defs[acronym_letters(surface)]))
        if (_single_name(surface) and m.get("label") in ("PERSON", "ORG", "GPE", "NORP")
                and normalize_name(surface) not in places):
            return SURNAME
        return ("key", cluster_key(surface))

    def link_targets(
        self,
        mentions: list[dict[str, Any]],
        first: Sequence[Target],
        attributions: list[dict[str, Any]] = (),  # type: ignore[assignment]
        aliases: Sequence[Mapping[str, Any]] = (),
    ) -> LinkResult:
        """The corpus-wide part of linking, over mention rows, their :meth:`first_target` and
        the documents' alias rows (:meth:`DocumentContext.alias_rows`; no document text):
        acronyms defined elsewhere in the corpus, lone surnames, descriptions, clusters and
        their merges, ids, sources."""
        # target per mention: ("kb", id) | ("key", cluster key); lone names wait for the
        # corpus (None meanwhile, so that they do not count as full names below)
        targets: list[tuple[str, str] | None] = [
            None if t == SURNAME else t for t in first
        ]
        self._corpus_acronyms(mentions, targets, aliases)
        _merge_initials(mentions, targets)
        people = self._people(mentions, targets, aliases)
        pending_single = [i for i, t in enumerate(first) if t == SURNAME]

        # Lone surnames: the full name in the same document, then the KB, then the corpus.
        full_names: dict[str, dict[str, set[tuple[str, str]]]] = defaultdict(
            lambda: defaultdict(set)
        )
        corpus_full: dict[str, set[tuple[str, str]]] = defaultdict(set)
        # doc -> name word -> person -> the sentence that first spells the person out
        introduced: dict[str, dict[str, dict[tuple[str, str], int | None]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        for i, m in enumerate(mentions):
            t = targets[i]
            if t is None or i not in people:
                continue
            words = normalize_name(split_initials(_clean(m["text"], "PERSON"))[0]).split()
            if len(words) >= 2:
                if m.get("label") == "PERSON":  # other labels only count in their document
                    corpus_full[words[-1]].add(t)
                # in one document any later part of a full name may recur alone
                # ("Bakri" after "Omar Bakri Muhammad"); a middle initial never does
                for w in words[1:]:
                    full_names[m["doc"]][w].add(t)
                    seen = introduced[m["doc"]][w]
                    sent = m.get("sentence")
                    if t not in seen or _earlier(sent, seen[t]):
                        seen[t] = sent
        # A lone name the KB knows as an alias ("Biden") is read like any lone name when its
        # document spells out that KB person and someone else of the name ("Joe Biden",
        # "Jill Biden"). With only the other one spelled out ("Hunter Biden ... President
        # Biden", where NER leaves the title out) the KB person keeps it: news names the
        # prominent one bare.
        for i, m in enumerate(mentions):
            t = targets[i]
            if t is not None and t[0] == "kb" and m.get("label") == "PERSON":
                surname = normalize_name(_clean(m["text"], "PERSON"))
                local = full_names[m["doc"]].get(surname, set())
                if len(surname.split()) == 1 and t in local and len(local) > 1:
                    pending_single.append(i)
        pending_single.sort()
        for i in pending_single:
            m = mentions[i]
            surname = normalize_name(_clean(m["text"], m.get("label")))
            local = full_names[m["doc"]].get(surname, set())
            if len(local) == 1:
                targets[i] = next(iter(local))
                continue
            if len(local) > 1:
                # Two people of the document carry the name. News introduces its principal
                # first and names a relative met later in full or by first name ("Donald
                # Trump ... His daughter Ivanka Trump ... Trump said"): the lone name is the
                # person spelled out in an earlier sentence than any other. Introduced in
                # one sentence ("Joe Biden and Jill Biden visited ... Biden said") nobody is
                # the principal and the nearest full mention is no safer a guess, so the
                # lone name links to neither: it stays the surname's own cluster, which a
                # reader sees as unresolved.
                targets[i] = _principal(introduced[m["doc"]][surname]) or ("key", surname)
                continue
            if m.get("label") == "PERSON":
                # not ``people``: that name holds the mentions that are people, read below
                known = self.kb.by_surname(surname)
                if len(known) == 1 and not local:
                    targets[i] = ("kb", known[0].id)
                    continue
                if not local and len(corpus_full.get(surname, ())) == 1:
                    targets[i] = next(iter(corpus_full[surname]))
                    continue
            targets[i] = ("key", surname)

        described = _descriptions(mentions, targets, aliases, self.kb)
        for i, m in enumerate(mentions):
            t = targets[i]
            alias = described.get(m["doc"], {}).get(normalize_name(_clean(m["text"], None)))
            if alias is not None and (t is None or t[0] != "kb"):
                targets[i] = alias  # "Syria's official news agency" after its apposition

        person_targets = {targets[i] for i in people}
        for i, m in enumerate(mentions):
            t = targets[i]
            if t is None:
                continue
            if t[0] == "kb":
                self._kb_surfaces[t[1]][m["text"]] += 1
            else:
                cluster = self.clusters.setdefault(t[1], Cluster(t[1]))
                cluster.surfaces[m["text"]] += 1
                # a lone name that is a person's surname ("Varga", labelled ORG) or a full
                # name introduced with a role votes for a person, whatever NER said
                person = i in people or (first[i] == SURNAME and t in person_targets)
                cluster.labels["PERSON" if person else m.get("label") or ""] += 1

        self._merge_clusters()
        self._assign_ids()
        mention_ids = [self._resolve(t) for t in targets]
        for m, eid in zip(mentions, mention_ids, strict=True):
            if eid is not None:
                key = normalize_name(_clean(m["text"], m.get("label")))
                self.surface_index.setdefault(key, eid)

        doc_context: dict[str, dict[str, str]] = defaultdict(dict)
        doc_spans: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for m, eid in zip(mentions, mention_ids, strict=True):
            if eid is None or m.get("label") in OTHER_LABELS:
                continue  # a source is never an event or a law ("the Cold War")
            doc_context[m["doc"]][normalize_name(_clean(m["text"], m.get("label")))] = eid
            doc_spans[m["doc"]].append((m["start"], m["end"], eid))
        for doc, found in described.items():
            for key, t in found.items():
                eid = self._resolve(t)
                if eid is not None:
                    doc_context[doc].setdefault(key, eid)
        roles = self._roles(mentions, mention_ids, aliases)

        source_ids: list[str | None] = []
        near_ids: list[str | None] = []
        resolutions: list[tuple[str, str] | None] = []
        for a in attributions:
            role = self._role_source(a, roles.get(a["doc"], []))
            resolutions.append(None if role is None else ("person", role[1]))
            if role is not None:
                source_ids.append(role[0])
                near_ids.append(None)
                continue
            eid = self.link_source(a, doc_context.get(a["doc"], {}), doc_spans.get(a["doc"], []))
            if a.get("source_kind") in NEAR_KINDS:
                # "a source close to Trump" is not Trump: the actor its span names is only
                # whom it is near (and its text is no alias of that actor)
                source_ids.append(None)
                near_ids.append(eid)
                if eid is not None and eid in self.kb.entries:
                    self._kb_surfaces[eid]  # an entities row, so that it has a name
                continue
            source_ids.append(eid)
            near_ids.append(None)
            if eid is not None and eid in self.kb.entries:
                surface = a.get("source_resolved") or a.get("source_text")
                if surface and eid not in self._kb_surfaces:
                    self._kb_surfaces[eid][surface] += 1
        return LinkResult(self.entity_rows(), mention_ids, source_ids, near_ids, resolutions)

    def _corpus_acronyms(
        self, mentions: Sequence[Mapping[str, Any]], targets: list[Target],
        aliases: Sequence[Mapping[str, Any]],
    ) -> None:
        """A bare acronym that neither its document nor the KB defines takes the long form
        another document of the corpus defines it as ("Hayat Tahrir al-Sham (HTS)" there,
        "HTS" here); when documents define the letters differently, none is taken."""
        defined: dict[str, set[str]] = defaultdict(set)  # letters -> documents
        meaning: dict[str, set[tuple[str, str]]] = defaultdict(set)  # letters -> targets
        for row in aliases:
            if row["kind"] == "acronym":
                defined[row["alias"]].add(row["doc"])
                entry = self.kb.lookup(row["name"])
                meaning[row["alias"]].add(
                    ("kb", entry.id) if entry is not None else ("key", normalize_name(row["name"]))
                )
        agreed: dict[str, tuple[str, str]] = {}
        for letters, found in meaning.items():
            target = _one_meaning(found)
            if target is None:
                self._ambiguous_acronyms.add(letters)
            else:
                agreed[letters] = target
        for i, m in enumerate(mentions):  # one pass: a corpus defines thousands of acronyms
            t = targets[i]
            if t is None or t[0] != "key":
                continue
            surface = _clean(m["text"], m.get("label"))
            letters = acronym_letters(surface) if is_acronym(surface) else ""
            if letters in agreed and m["doc"] not in defined[letters]:
                targets[i] = agreed[letters]

    def _people(
        self, mentions: Sequence[Mapping[str, Any]], targets: Sequence[Target],
        aliases: Sequence[Mapping[str, Any]],
    ) -> set[int]:
        """Mentions that name a person whatever their NER label: labelled PERSON, a KB
        person ("Vassily Nebenzya" labelled ORG) or a name the document introduced with a
        role ("Norland's envoy, Ilya Varsky")."""
        introduced = {(r["doc"], r["start"], r["end"]) for r in aliases if r["kind"] == "role"}
        out: set[int] = set()
        for i, (m, t) in enumerate(zip(mentions, targets, strict=True)):
            entry = self.kb.get(t[1]) if t is not None and t[0] == "kb" else None
            if (m.get("label") == "PERSON" or (entry is not None and entry.is_person)
                    or (m["doc"], m["start"], m["end"]) in introduced):
                out.add(i)
        return out

    def _roles(
        self, mentions: Sequence[Mapping[str, Any]], ids: Sequence[str | None],
        aliases: Sequence[Mapping[str, Any]],
    ) -> dict[str, list[tuple[str, str, str, str]]]:
        """Per document, the people introduced with a role: (role class, country key or "",
        entity id, the name as written)."""
        span_ids = {(m["doc"], m["start"], m["end"]): eid
                    for m, eid in zip(mentions, ids, strict=True) if eid is not None}
        out: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
        for row in aliases:
            if row["kind"] != "role":
                continue
            eid = span_ids.get((row["doc"], row["start"], row["end"]))
            if eid is not None and self._type(eid) == "person":
                out[row["doc"]].append((row["alias"], row["qualifier"] or "", eid, row["name"]))
        return out

    def _role_source(
        self, attribution: Mapping[str, Any], roles: Sequence[tuple[str, str, str, str]]
    ) -> tuple[str, str] | None:
        """(entity id, name) of the one person of the document a role source stands for
        ("the Russian envoy", "the ambassador"), else None. A source the attribution step
        resolved to someone else of another kind (an anonymous source) is left alone."""
        text = attribution.get("source_text") or ""
        if not roles or attribution.get("source_kind") == "outlet":
            return None
        resolved = attribution.get("source_resolved")
        if attribution.get("source_kind") in NEAR_KINDS and resolved not in (None, "", text):
            return None
        desc = parse_description(text.split(), roles_only=True)
        if desc is None:
            return None
        role = ROLE_CLASSES[desc.head]
        found = {(eid, name) for cls, country, eid, name in roles
                 if cls == role and (not desc.country or not country or country == desc.country)}
        people = {eid for eid, _ in found}
        if len(people) != 1:
            return None
        return min(found)  # the first spelling, sorted, so that every engine gives the same

    def _kb_for_mention(
        self, surface: str, around: tuple[str, str], defs: Mapping[str, str]
    ) -> Entry | None:
        before, after = around
        next_word = (re.match(r"\s*([A-Za-z]+)", after) or [None, ""])[1].lower()
        prev_word = (re.search(r"([A-Za-z]+)\s*$", before) or [None, ""])[1].lower()

        # NER often cuts "Russia's" or "Russian" off the organisation it qualifies.
        left = re.search(r"([A-Z][\w\-]*(?:['’]s)?)\s+$", before)
        if left and (left.group(1)[-2:] in ("'s", "’s") or is_country(left.group(1))):
            entry = self.kb.lookup(f"{left.group(1)} {surface}")
            if entry is not None and entry.type not in ("state", "government"):
                return entry
        entry = self.kb.lookup(surface) or self._kb_trimmed(surface)
        if entry is None and defs:
            # "Foreign Intelligence Service (SVR)": the long form takes the acronym's entry
            key = normalize_name(surface)
            for acr, long in defs.items():
                if normalize_name(long) == key:
                    entry = self.kb.lookup(acr)
                    break
            if entry is None and is_acronym(surface) and acronym_letters(surface) in defs:
                entry = self.kb.lookup(defs[acronym_letters(surface)])
        if entry is None:
            return None
        if next_word in _PLACE_HEADS and entry.type not in ("state",):
            return None
        if (prev_word in _PLACE_PREPS and self.kb.is_metonym(surface)
                and not re.match(r"['’]s\b", after)):
            return None  # "in Moscow" is the city; "in Moscow's statement" the government
        return entry

    def _qualified(self, surface: str, countries: Sequence[str]) -> Entry | None:
        """An institution named bare ("the Army", "the Communist Party") is the one of the
        country its document names, when exactly one of the document's countries has one
        ("U.S. Army", "Chinese Communist Party") and it is no state or government."""
        found = {e.id: e for q in countries
                 if (e := self.kb.lookup(f"{q} {surface}", fuzzy=False)) is not None
                 and e.type not in ("state", "government")}
        return next(iter(found.values())) if len(found) == 1 else None

    def _kb_trimmed(self, surface: str) -> Entry | None:
        """KB entry of the surface without qualifiers before or generic nouns after it."""
        words = surface.split()
        trail = len(words)
        if trail > 1 and words[-1].lower() in _TRAILING_NOUNS:
            trail -= 1
        lead_max = 0
        while lead_max < trail - 1 and (
            words[lead_max].lower() in _LEADING_QUALIFIERS or is_country(words[lead_max])
        ):
            lead_max += 1
        for lead in range(0, lead_max + 1):
            if (lead, trail) == (0, len(words)):
                continue
            entry = self.kb.lookup(" ".join(words[lead:trail]))
            if entry is not None and entry.type not in ("state", "government"):
                return entry
        return None

    def _merge_clusters(self) -> None:
        """Merge clusters whose keys are transliteration variants, or whose key is an
        acronym of another cluster's name; fold clusters the KB knows fuzzily into it."""
        by_skeleton: dict[str, list[str]] = defaultdict(list)
        for key in self.clusters:
            by_skeleton[skeleton(key)].append(key)
        for keys in by_skeleton.values():
            keys.sort(key=lambda k: -sum(self.clusters[k].surfaces.values()))
            for i, k in enumerate(keys):
                if k in self._alias_of:
                    continue
                for other in keys[i + 1 :]:
                    if other not in self._alias_of and keys_match(k, other):
                        self._absorb(k, other)
        # acronyms without a definition: initials of a unique corpus or KB name
        names_by_initials: dict[str, set[str]] = defaultdict(set)
        for key, cl in self.clusters.items():
            if key in self._alias_of:
                continue
            for s in cl.surfaces:
                if len(s.split()) >= 2:
                    names_by_initials[initials(s)].add(key)
        for key, cl in list(self.clusters.items()):
            if key in self._alias_of or not all(is_acronym(s) for s in cl.surfaces):
                continue
            if acronym_letters(next(iter(cl.surfaces))) in self._ambiguous_acronyms:
                # the corpus defines these letters twice: initials cannot choose either
                continue
            letters = acronym_letters(next(iter(cl.surfaces))).upper()
            if len(letters) < 3:
                continue
            kb_hits = self._kb_initials.get(letters, set())
            corpus_hits = names_by_initials.get(letters, set()) - {key}
            if len(kb_hits) == 1 and not corpus_hits:
                self._alias_of[key] = "kb:" + next(iter(kb_hits))
            elif len(corpus_hits) == 1 and not kb_hits:
                self._absorb(next(iter(corpus_hits)), key)

    def _absorb(self, keep: str, gone: str) -> None:
        self._alias_of[gone] = keep
        self.clusters[keep].surfaces.update(self.clusters[gone].surfaces)
        self.clusters[keep].labels.update(self.clusters[gone].labels)

    def _final_key(self, key: str) -> str:
        while key in self._alias_of:
            key = self._alias_of[key]
        return key

    def _assign_ids(self) -> None:
        used: set[str] = set(self.kb.entries)
        for key in sorted(self.clusters):
            if key in self._alias_of:
                continue
            cl = self.clusters[key]
            base = "ent:" + (re.sub(r"[^a-z0-9]+", "-", fold(cl.name).lower()).strip("-") or "x")
            eid, n = base, 2
            while eid in used:
                eid, n = f"{base}-{n}", n + 1
            used.add(eid)
            cl.id = eid
            self._cluster_of_id[eid] = cl
        for key in self.clusters:
            final = self._final_key(key)
            if final.startswith("kb:"):
                self._kb_surfaces[final[3:]].update(self.clusters[key].surfaces)

    def _resolve(self, target: tuple[str, str] | None) -> str | None:
        if target is None:
            return None
        if target[0] == "kb":
            return target[1]
        final = self._final_key(target[1])
        if final.startswith("kb:"):
            return final[3:]
        return self.clusters[final].id

    # -- attribution sources and free text -------------------------------------------------
    def link_source(
        self,
        attribution: Mapping[str, Any],
        context: Mapping[str, str],
        spans: list[tuple[int, int, str]],
    ) -> str | None:
        resolved = attribution.get("source_resolved")
        text = attribution.get("source_text")
        cands: list[tuple[int, int, int, str]] = []
        if not resolved or resolved == text:
            s0, s1 = attribution.get("source_start"), attribution.get("source_end")
            if s0 is not None and s1 is not None:
                for a, b, eid in spans:
                    if s0 <= a and b <= s1:
                        cands.append((self._rank(eid), a - s0, -(b - a), eid))
        surface = resolved or text
        if not surface:
            return None
        direct = self._link_whole(surface, context)
        if direct is not None:
            return direct
        cands.extend(self._ngram_candidates(surface, context))
        if not cands:
            return None
        return min(cands)[3]

    def link_text(self, text: str, context: Mapping[str, str] | None = None) -> str | None:
        """Entity id for a free surface: the whole of it, else the best actor inside it."""
        context = context or {}
        direct = self._link_whole(text, context)
        if direct is not None:
            return direct
        cands = self._ngram_candidates(text, context)
        return min(cands)[3] if cands else None

    def _link_whole(self, text: str, context: Mapping[str, str]) -> str | None:
        surface = _clean(text, None)
        if not surface:
            return None
        for variant in dict.fromkeys((surface, strip_titles(surface))):
            key = normalize_name(variant)
            if key in context:
                return context[key]
            entry = self.kb.lookup(variant)
            if entry is not None:
                return entry.id
            if key in self.surface_index:
                return self.surface_index[key]
        if _single_name(surface):
            key = normalize_name(surface)
            local = {eid for k, eid in context.items() if len(k.split()) >= 2
                     and k.split()[-1] == key
                     and self._type(eid) in ("person", "organisation")}
            if len(local) == 1:
                return local.pop()
            people = self.kb.by_surname(surface)
            if len(people) == 1:
                return people[0].id
        return None

    def _ngram_candidates(
        self, text: str, context: Mapping[str, str]
    ) -> list[tuple[int, int, int, str]]:
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        out: list[tuple[int, int, int, str]] = []
        for i, (a, _) in enumerate(words):
            first = text[a : words[i][1]]
            if not (any(c.isupper() for c in first) or re.match(r"(?i)(al|el)-", first)):
                continue
            for j in range(i, min(len(words), i + _MAX_NGRAM)):
                b = words[j][1]
                span = text[a:b].rstrip(".,;:")
                key = normalize_name(span)
                if not key:
                    continue
                eid = context.get(key)
                if eid is None:
                    entry = self.kb.lookup(span, fuzzy=False)
                    if entry is not None and _bare_common_title(entry.name, span, text[:a]):
                        entry = None
                    eid = entry.id if entry is not None else self.surface_index.get(key)
                if eid is not None:
                    out.append((self._rank(eid), a, -(b - a), eid))
        return out

    def _type(self, eid: str) -> str:
        entry = self.kb.get(eid)
        if entry is not None:
            return entry.type
        # An index, not a scan over the clusters: this runs for every candidate of every
        # attribution source (a scan was 137 s of the step at 2,000 articles).
        cl = self._cluster_of_id.get(eid)
        return cl.type if cl is not None else "organisation"

    def _rank(self, eid: str) -> int:
        return _RANK.get(self._type(eid), _ORG_RANK)

    # -- output ------------------------------------------------------------------------------
    def entity_rows(self) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for eid in list(self._kb_surfaces):
            for cid in [eid, *self.kb.controllers(eid)]:
                if cid in rows:
                    continue
                entry = self.kb.entries[cid]
                seen = self._kb_surfaces.get(cid, Counter())
                rows[cid] = {
                    "id": cid, "name": entry.name, "type": entry.type, "country": entry.country,
                    "controlled_by": entry.controlled_by,
                    "aliases": sorted(seen) if seen else [entry.name], "in_kb": True,
                }
        for key, cl in self.clusters.items():
            if key in self._alias_of:
                continue
            rows[cl.id] = {
                "id": cl.id, "name": cl.name, "type": cl.type, "country": None,
                "controlled_by": None, "aliases": sorted(cl.surfaces), "in_kb": False,
            }
        return sorted(rows.values(), key=lambda r: r["id"])


def _bare_common_title(name: str, span: str, before: str) -> bool:
    """"The Independent", "The Hill", "The Guardian": without their article, one such word is
    an ordinary word ("Independent inspectors said"), not the outlet."""
    return (
        name.lower().startswith("the ")
        and " " not in span.strip()
        and not before.rstrip().lower().endswith("the")
    )


_LEADING_THE = re.compile(r"^(?:the|The|THE)\s+")
_POSSESSIVE_END = re.compile(r"['’]s?$")
_INITIAL_END = re.compile(r"(?:^|[.\s])[A-Za-z]\.$")


# Cached: linking asks again and again for the same surfaces of mentions and sources (the
# entities step at 2,000 AllSides articles: 947,000 calls, 62,000 distinct).
@lru_cache(maxsize=100_000)
def _clean(text: str | None, label: str | None) -> str:
    """Surface without a leading "the", a trailing possessive, quotes or titles (people)."""
    if not text:
        return ""
    s = text.strip().strip("\"“”‘’'").strip()
    s = _LEADING_THE.sub("", s)
    s = _POSSESSIVE_END.sub("", s).strip(" ,;:")
    if not _INITIAL_END.search(s):  # "U.S." keeps its final period
        s = s.rstrip(".")
    if label == "PERSON":
        s = strip_titles(s)
    return s


@lru_cache(maxsize=1)
def _place_suffix_keys() -> frozenset[str]:
    return frozenset(normalize_name(w) for w in _PLACE_SUFFIXES)


def cluster_key(surface: str) -> str:
    """Key of a corpus cluster: the normalised name without a generic place head."""
    key = normalize_name(surface)
    words = key.split()
    if len(words) > 1 and words[-1] in _place_suffix_keys():
        return " ".join(words[:-1])
    return key


_INITIAL = re.compile(r"^[A-Z]\.?$|^(?:[A-Z]\.){2,}$")


def split_initials(surface: str) -> tuple[str, tuple[str, ...]]:
    """A person's name without its middle initials, and those initials: "William P. Barr"
    -> ("William Barr", ("P",)), "George H. W. Bush" -> ("George Bush", ("H", "W")). Only
    between a first and a last word: "J. Smith" and "Smith J." keep theirs."""
    words = surface.split()
    if len(words) < 3:
        return surface, ()
    kept, letters = [words[0]], []
    for w in words[1:-1]:
        if _INITIAL.match(w):
            letters.extend(c for c in w if c.isalpha())
        else:
            kept.append(w)
    kept.append(words[-1])
    return " ".join(kept), tuple(letters)


def _initials_agree(entry: Entry, letters: tuple[str, ...]) -> bool:
    """Whether no spelling of a KB person carries other middle initials than ``letters``
    ("George H. W. Bush" must not become an entry spelled "George W. Bush")."""
    spelled = {split_initials(s)[1] for s in (entry.name, *entry.aliases)} - {()}
    return not spelled or spelled == {letters}


def _merge_initials(mentions: Sequence[Mapping[str, Any]], targets: list[Target]) -> None:
    """Give the corpus clusters of one person written with and without middle initials one
    key ("William Barr", "William P. Barr"): every such cluster key of people becomes the
    most used key among them. When two different initials occur with one bare name
    ("George H. W. Bush", "George W. Bush") they are two people, and nothing is merged."""
    groups: dict[str, dict[str, tuple[tuple[str, ...], int]]] = defaultdict(dict)
    for m, t in zip(mentions, targets, strict=True):
        if t is None or t[0] != "key" or m.get("label") != "PERSON":
            continue
        bare, letters = split_initials(_clean(m["text"], "PERSON"))
        if len(bare.split()) < 2:
            continue
        seen = groups[normalize_name(bare)]
        count = seen.get(t[1], (letters, 0))[1]
        seen[t[1]] = (letters, count + 1)
    rename: dict[str, str] = {}
    for keys in groups.values():
        spelled = {letters for letters, _ in keys.values()} - {()}
        if len(keys) < 2 or len(spelled) > 1:
            continue
        keep = min(keys, key=lambda k: (-keys[k][1], k))
        rename.update({k: keep for k in keys if k != keep})
    for i, t in enumerate(targets):
        if t is not None and t[0] == "key" and t[1] in rename:
            targets[i] = ("key", rename[t[1]])


def _one_meaning(found: set[tuple[str, str]]) -> tuple[str, str] | None:
    """The target of an acronym's corpus definitions when they agree: one target, or
    cluster keys that are spelling variants of one name."""
    if len(found) == 1:
        return next(iter(found))
    first = min(found)
    if all(t[0] == "key" for t in found) and all(keys_match(first[1], t[1]) for t in found):
        return first
    return None


def _descriptions(
    mentions: Sequence[Mapping[str, Any]], targets: Sequence[Target],
    aliases: Sequence[Mapping[str, Any]], kb: KnowledgeBase,
) -> dict[str, dict[str, tuple[str, str]]]:
    """Per document, the key of each description the document gives an actor -> that
    actor's target. Dropped: a description the KB knows as another actor, one an
    organisation's head gives a KB person, and one the document gives two actors."""
    spans = {(m["doc"], m["start"], m["end"]): t
             for m, t in zip(mentions, targets, strict=True) if t is not None}
    found: dict[str, dict[str, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for row in aliases:
        if row["kind"] != "description":
            continue
        target = spans.get((row["doc"], row["start"], row["end"]))
        if target is None:
            entry = kb.lookup(row["name"])
            target = ("kb", entry.id) if entry is not None else None
        if target is None:
            continue
        known = kb.lookup(row["alias"], fuzzy=False)
        if known is not None and target != ("kb", known.id):
            continue
        entry = kb.get(target[1]) if target[0] == "kb" else None
        desc = parse_description(row["alias"].split())
        if entry is not None and entry.is_person and desc is not None and desc.head in ORG_HEADS:
            continue
        found[row["doc"]][normalize_name(_clean(row["alias"], None))].add(target)
    return {doc: {key: next(iter(ts)) for key, ts in keys.items() if len(ts) == 1}
            for doc, keys in found.items()}


def _earlier(a: int | None, b: int | None) -> bool:
    return a is not None and (b is None or a < b)


def _principal(first_seen: Mapping[tuple[str, str], int | None]) -> tuple[str, str] | None:
    """The person spelled out in a sentence before every other one of the same name (see
    :meth:`EntityLinker.link_targets`), or None when two were first spelled out together or
    a sentence is unknown."""
    order = sorted(first_seen.items(), key=lambda kv: (kv[1] is None, kv[1] or 0, kv[0]))
    if len(order) < 2:
        return order[0][0] if order else None
    (person, first), (_, second) = order[0], order[1]
    return person if first is not None and second is not None and first < second else None


def _single_name(surface: str) -> bool:
    return len(surface.split()) == 1 and surface[:1].isupper() and not is_acronym(surface)


def _initials_index(kb: KnowledgeBase) -> dict[str, set[str]]:
    """Initials of multi-word KB names -> entry ids, for undefined acronyms. Only canonical
    names: an alias's initials are often a common abbreviation ("Levant Liberation
    Committee" is no reason to read every "LLC" as Hayat Tahrir al-Sham)."""
    index: dict[str, set[str]] = defaultdict(set)
    for entry in kb.entries.values():
        if entry.is_person:
            continue
        if len(entry.name.split()) >= 2 and not is_acronym(entry.name):
            index[initials(entry.name)].add(entry.id)
    return index


def find_acronyms(text: str, kb: KnowledgeBase | None = None) -> dict[str, str]:
    """Acronyms defined in a text as "Long Name (ACR)" -> the long name.

    The long name is cut to the words whose initials spell the acronym when some suffix
    does ("the Commonwealth of Independent States (CIS)"); acronyms that are spelled in
    another language ("Foreign Intelligence Service (SVR)") keep the whole capitalised run.
    Outlet credits ("Damascus (AFP)") are not definitions.
    """
    found: dict[str, str] = {}
    for m in _ACRONYM_DEF.finditer(text):
        acr = acronym_letters(m.group("acr"))
        if not is_acronym(m.group("acr")) or acr in found:
            continue
        if kb is not None:
            known = kb.lookup(acr)
            if known is not None and known.type in ("media", "state_media"):
                continue
        words = m.group("long").split()
        while words and words[0][:1].islower():
            words.pop(0)
        best = None
        for k in range(len(words)):
            suffix = " ".join(words[k:])
            if not suffix[:1].isupper():
                continue
            if initials(suffix) == acr.upper():
                best = suffix
                break
        if best is None:
            run = " ".join(words[-6:])
            if len(run.split()) < 2:
                continue
            best = re.sub(r"^[A-Z][\w\-]*['’]s\s+", "", run)  # "Russia's X" -> "X"
        found[acr] = best
    return found


def link_surface(
    text: str,
    context_doc_entities: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    kb: KnowledgeBase | None = None,
) -> str | None:
    """Entity id for a surface such as an attribution source, or None.

    ``context_doc_entities`` maps surfaces of the same document (e.g. its mentions) to the
    entity ids already linked, so "Nebenzya" finds "Vassily Nebenzya" of that document.
    Knowledge-base ids come back as they are; corpus clusters only through the context.
    """
    linker = EntityLinker(kb or KnowledgeBase.load())
    pairs = context_doc_entities.items() if isinstance(context_doc_entities, Mapping) else (
        context_doc_entities or ()
    )
    context = {normalize_name(_clean(s, None)): eid for s, eid in pairs if s and eid}
    return linker.link_text(text, context)
