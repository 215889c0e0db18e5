"""The spaCy component ``sourcetrace_places`` (``doc._.places``) and its row exporter.

spaCy's GPE/LOC/FAC entities are the toponyms, plus names of well-known places
(countries, first-level subdivisions, our supplement, cities of 100,000 people or more) that
the small NER model misses or mislabels ORG: a capitalised token sequence whose normalised
form is such a name. The entities are read after ``sourcetrace_names`` retyped them. FAC
entities are kept when the gazetteer knows them or their head makes them places ("Mayfield
Road": a place, not geocoded). Span rules:

* a leading "the", a trailing possessive and a lower-case kind word are not part of the
  toponym ("the United States", "Boone County's", "Hasakah province");
* a known actor (the knowledge base's SANA, the White House) is never a place, and a place
  inside an organisation's name is not one either ("Buffalo Public Schools"), but for a
  country qualifying it ("US military") and a place the story names as a place elsewhere
  ("in Gainesville ... Gainesville Police");
* every toponym has a role: literal, metonymic ("Moscow denied") or demonym ("Syrian");
* one sense per discourse: a name the document already uses as a place is a place wherever
  else it appears outside a person's name, even where NER missed it;
* alone, a generic word ("Central", "Street") or an English word that is only an
  abbreviation or alternate name of a place ("Act", "Day") is not a toponym.

Geocoding is :class:`~sourcetrace.extract.places.resolver.Resolver`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from sourcetrace.extract.places.data import (
    GENERIC_WORDS,
    NOT_PLACES,
    PLACE_LABELS,
    SCAN_MIN_CITY_POP,
)
from sourcetrace.extract.places.gazetteer import (
    ADMIN1,
    CITY,
    CONTINENT,
    COUNTRY,
    FEATURE,
    REGION,
    Gazetteer,
    load_gazetteer,
    normalize,
)
from sourcetrace.extract.places.resolver import Resolver
from sourcetrace.model import Document
from sourcetrace.nlp.basic import span_rows
from sourcetrace.nlp.columns import token_columns
from sourcetrace.registry import row_exporters

if not Doc.has_extension("places"):
    Doc.set_extension("places", default=None)


@dataclass
class PlaceMention:
    start: int  # character offsets into the document text
    end: int
    text: str
    place: str | None  # GeoNames id, or "kb:..." for our supplement; None when not placed
    name: str | None
    lat: float | None
    lon: float | None
    country: str | None  # ISO-2
    kind: str | None
    label: str  # GPE/LOC/FAC from spaCy, GAZ for a gazetteer match, NORP for a demonym
    token_start: int
    token_end: int
    # literal ("in Moscow"), metonymic (the place stands for who governs it: "Moscow said",
    # "Russia's envoy") or demonym ("Syrian forces"): a geoparsing user chooses which to keep
    role: str = "literal"


class PlacesComponent:
    def __init__(self, nlp: Language, name: str, include_demonyms: bool, scan: bool) -> None:
        self.name = name
        self.include_demonyms = include_demonyms
        self.scan = scan
        self._gz: Gazetteer | None = None
        self._scan_keys: set[str] | None = None

    @property
    def gz(self) -> Gazetteer:
        if self._gz is None:
            self._gz = load_gazetteer()
        return self._gz

    @property
    def scan_keys(self) -> set[str]:
        """Keys of well-known places worth finding when NER did not label them."""
        if self._scan_keys is None:
            gz = self.gz
            keys = set()
            for key, entries in gz.index.items():
                if len(key) < 4 and not key.isalpha():
                    continue
                for j in entries:
                    kind = gz.kinds[j]
                    if kind in (COUNTRY, CONTINENT, REGION, ADMIN1, FEATURE) or (
                        kind == CITY and gz.pops[j] >= SCAN_MIN_CITY_POP
                    ):
                        keys.add(key)
                        break
            self._scan_keys = keys
        return self._scan_keys

    # -- finding -------------------------------------------------------------------------
    def spans(self, doc: Doc) -> list[tuple[Span, str, list[int]]]:
        gz = self.gz
        found: list[tuple[Span, str, list[int]]] = []
        # 2: a toponym already; 1: inside another kind of entity (only our curated names,
        # countries and provinces may take those tokens back); 0: free.
        taken = [0] * len(doc)
        view = _Tokens(doc)
        shaped: set[int] = set()  # names whose head makes them places ("Mayfield Road")
        for name in doc._.names or ():
            if name.is_actor():
                # A known actor is no place (SANA is no town in Yemen, the White House no
                # town in Georgia): its tokens are closed to the gazetteer scan below, but
                # for a country that qualifies it ("US military").
                taken[name.start : name.end] = [3] * (name.end - name.start)
            elif name.reason == "shape":
                shaped.add(name.start)
        for i in doc._.not_places or ():
            # a disease's name ("West Nile virus"), an event's or a law's ("the Iraq War",
            # "Trans-Pacific Partnership"): closed, even to a country heading it
            taken[i] = 4
        for whole in doc.ents:
            ent = _trim(whole)
            key = normalize(ent.text)
            if ent.label_ in PLACE_LABELS and key not in NOT_PLACES:
                cands = gz.lookup(ent.text)
                if cands or (ent.label_ != "FAC" and "," not in ent.text) or (
                    whole.start in shaped and "," not in ent.text
                ):
                    found.append((ent, ent.label_, cands))
                    taken[whole.start : whole.end] = [2] * len(whole)
                    continue
                # "Paris, Texas" as one entity, or a FAC we cannot place: look inside it.
                found.extend(self._scan(doc, ent.start, ent.end, taken, ent.label_,
                                        inside=ent.label_ != "FAC", view=view))
            elif ent.label_ != "NORP" and taken[whole.start] not in (3, 4):
                # NORP stays free: "Syrian" starts "Syrian desert".
                taken[ent.start : ent.end] = [1] * len(ent)
        if self.scan:
            found.extend(self._scan(doc, 0, len(doc), taken, "GAZ", inside=False, view=view))
            # One sense per discourse: a name the story already uses as a place is a place
            # wherever else it appears, even where NER missed it ("Alexandria woman charged").
            known = {normalize(sp.text) for sp, _, cands in found if cands}
            if known:
                found.extend(self._scan(doc, 0, len(doc), taken, "GAZ", inside=False,
                                        known=known, view=view))
        found.sort(key=lambda f: f[0].start)
        return found

    def _strong(self, cands: list[int], person: bool, words: int = 1) -> bool:
        """Whether a name is known well enough to take tokens NER gave another label. The
        small model reads transliterated Arabic names ("Dayr al-Zawr") as people, so a
        several-word name of a province or large city may overrule PERSON; one word may not
        ("Jordan said")."""
        gz = self.gz
        if any(gz.ids[j].startswith("kb:") for j in cands):
            return True
        if person:
            return words > 1 and any(
                gz.kinds[j] in (COUNTRY, ADMIN1)
                or (gz.kinds[j] == CITY and gz.pops[j] >= SCAN_MIN_CITY_POP) for j in cands
            )
        # inside an organisation's name only a country ("US Army"): a province or town of
        # the same spelling is a coincidence ("Nord Stream" is not Cameroon's Nord)
        return any(gz.kinds[j] == COUNTRY for j in cands)

    def _scan(
        self, doc: Doc, lo: int, hi: int, taken: list[int], label: str, inside: bool,
        known: set[str] | None = None, view: _Tokens | None = None,
    ) -> list[tuple[Span, str, list[int]]]:
        """Longest capitalised token sequences in [lo, hi) that name a place. With ``known``
        (names the document already uses as places), only those, wherever they stand.
        ``view``: the doc's :class:`_Tokens`, when the caller has them already."""
        gz = self.gz
        keys = known if known is not None else self.scan_keys
        tk = view or _Tokens(doc)
        out = []
        i = lo
        while i < hi:
            if taken[i] in (2, 4) or not tk.capital[i] or tk.the[i]:
                i += 1
                continue
            hit = None
            # The tests below only skip a length (none has a side effect), so the cheap ones
            # on the token lists come first and a Span is made only for a name found.
            for n in range(min(6, hi - i), 0, -1):
                end = i + n
                closed = taken[i:end]
                if 2 in closed or 4 in closed or not tk.tight(i, end):
                    continue
                capitalised = tk.title[end - 1] or tk.upper[end - 1]
                if not capitalised and n == 1:
                    continue
                text = tk.text[tk.starts[i] : tk.ends[end - 1]]
                key = normalize(text)
                if key in NOT_PLACES:
                    continue
                if not capitalised and key not in gz.index:
                    continue
                if not (key in keys or (inside and key in gz.index)):
                    continue
                if 3 in closed and not (
                    end < hi and taken[end] == 3 and (i == 0 or taken[i - 1] != 3)
                    and any(gz.kinds[j] == COUNTRY for j in gz.index.get(key, ()))
                ):
                    # inside a known actor, only a country heading it ("US military"), not
                    # one further in ("Agence France-Presse")
                    continue
                if n == 1 and key in GENERIC_WORDS:
                    continue
                cands = gz.lookup(text)
                if not cands:
                    continue
                if not capitalised and not self._strong(cands, person=False):
                    continue  # "Syrian desert", "Al-Walid crossing": curated names only
                if n == 1 and not tk.upper[i] and not self._own_name(key, cands):
                    continue  # "Act" is not the ACT, "Day" not Dayton
                soft = 1 in closed or 3 in closed
                words = sum(tk.alpha[i:end])
                person = any(tk.person[i:end])
                span = doc[i:end]
                tok = doc[i]
                if known is not None:
                    # The story names it as a place elsewhere: at the head of an
                    # institution it is still that place ("Gainesville Police"), but not
                    # inside a person's name.
                    if person:
                        continue
                elif soft and not self._strong(
                    cands, person, words
                ):
                    continue
                if (n == 1 and not inside and known is None
                        and not self._plausible_single(tok, cands)):
                    continue
                hit = (span, cands)
                break
            if hit is None:
                i += 1
                continue
            span, cands = hit
            # spaCy splits "al-Tanf" into "al", "-", "Tanf": take the article back.
            if (span.start >= 2 and doc[span.start - 1].text == "-"
                    and doc[span.start - 2].lower_ in ("al", "el", "ad", "ar", "as", "az", "ash",
                                                       "at", "an", "ed", "er", "es", "ez")
                    and not doc[span.start - 2].whitespace_ and not doc[span.start - 1].whitespace_
                    and taken[span.start - 2] != 2 and taken[span.start - 1] != 2):
                span = doc[span.start - 2 : span.end]
            out.append((span, label, cands))
            taken[span.start : span.end] = [2] * len(span)
            i = span.end
        return out

    def _own_name(self, key: str, cands: list[int]) -> bool:
        """Whether one word is a place's own name (or a curated one's), not an abbreviation
        or alternate name that happens to be an English word."""
        gz = self.gz
        return any(
            gz.ids[j].startswith("kb:") or normalize(gz.names[j]) == key
            or gz.kinds[j] == COUNTRY for j in cands
        )

    @staticmethod
    def _in_person(doc: Doc, span: Span) -> bool:
        return any(t.ent_type_ == "PERSON" for t in span)

    def _plausible_single(self, tok: Any, cands: list[int]) -> bool:
        # One capitalised word outside any place entity: a proper noun, not the first word of
        # a sentence; an all-capitals word only as a country or province ("US", "NSW"), since
        # most acronyms are organisations ("SANA").
        if tok.is_upper:
            if tok.is_stop:
                return False  # "We have NO idea" is not Norway's Nord
            return any(self.gz.kinds[j] in (COUNTRY, ADMIN1) for j in cands)
        return tok.pos_ == "PROPN" and not tok.is_sent_start

    # -- geocoding -----------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        gz = self.gz
        spans = self.spans(doc)
        demonyms: list[tuple[Span, int]] = []
        for ent in doc.ents:
            if ent.label_ == "NORP":
                j = gz.demonym(ent.text)
                if j is not None:
                    demonyms.append((ent, j))
        mentions = [(normalize(s.text), cands) for s, _, cands in spans]
        cues = [_cue(doc, s) for s, _, _ in spans]
        text = doc.text  # joined from the tokens at every access: once, not once per gap
        gaps = [""] + [text[a.end_char : b.start_char]
                       for (a, _, _), (b, _, _) in zip(spans, spans[1:], strict=False)]
        picks = Resolver(gz).resolve(
            mentions, cues, extra_countries=[gz.countries[j] for _, j in demonyms], gaps=gaps
        )
        actors = {i for n in doc._.names or () if n.is_actor() for i in range(n.start, n.end)}
        result = [
            self._mention(span, label, pick, _role(span, pick is not None and gz.kinds[pick],
                                                   in_actor=span.start in actors))
            for (span, label, _), pick in zip(spans, picks, strict=True)
        ]
        if self.include_demonyms:
            result += [self._mention(ent, "NORP", j, "demonym") for ent, j in demonyms]
            result.sort(key=lambda m: m.start)
        doc._.places = result
        return doc

    def _mention(self, span: Span, label: str, j: int | None, role: str) -> PlaceMention:
        gz = self.gz
        if j is None:
            return PlaceMention(span.start_char, span.end_char, span.text, None, None, None, None,
                                None, None, label, span.start, span.end, role)
        return PlaceMention(
            span.start_char, span.end_char, span.text, gz.ids[j], gz.names[j], gz.lats[j],
            gz.lons[j], gz.countries[j] or None, gz.kinds[j], label, span.start, span.end, role,
        )


class _Tokens:
    """What the gazetteer scan reads of every token, read from spaCy once per doc (a Span
    and a Token object for each of up to six candidate lengths at every capitalised word
    were most of the component's time)."""

    def __init__(self, doc: Doc) -> None:
        (self.starts, length, self.words, lower, self.alpha, self.space, self.punct,
         self.spaced, title, upper, ent) = token_columns(
            doc, ("IDX", "LENGTH", "ORTH", "LOWER", "IS_ALPHA", "IS_SPACE", "IS_PUNCT",
                  "SPACY", "IS_TITLE", "IS_UPPER", "ENT_TYPE"))
        self.text = doc.text
        self.ends = [a + n for a, n in zip(self.starts, length, strict=True)]
        self.title = title
        self.upper = upper
        self.capital = [t or (u and n > 1) for t, u, n in zip(title, upper, length, strict=True)]
        self.the = [w == "the" for w in lower]
        self.person = [e == "PERSON" for e in ent]

    def tight(self, a: int, b: int) -> bool:
        """Whether ``doc[a:b]`` has a name's tokens: words, joined by hyphens/apostrophes/
        dots, never ending in one."""
        if not self.alpha[a] or not (self.alpha[b - 1] or self.words[b - 1][:-1].isalpha()):
            return False
        for t in range(a, b):
            punct = self.punct[t]
            if self.space[t] or (punct and self.words[t] not in ("-", "'", "’")):
                return False
            if punct and t > a and self.words[t] == "-" and (
                self.spaced[t] or self.spaced[t - 1]
            ):
                return False
        return True


# Lower-case kind words after a name: not part of the toponym ("Nyanza | province"), but
# still read as its cue by the resolver.
_KIND_AFTER = frozenset("province governorate region district state city".split())


def _trim(ent: Span) -> Span:
    """An entity without a leading article, a trailing possessive or a lower-case kind word:
    "the United States" is the toponym "United States", "Boone County's" is "Boone County",
    "Hasakah province" is "Hasakah"."""
    start, end = ent.start, ent.end
    doc = ent.doc
    if end - start > 1 and doc[start].lower_ == "the":
        start += 1
    if end - start > 1 and doc[end - 1].lower_ in ("'s", "’s", "'", "’"):
        end -= 1
    if end - start > 1 and doc[end - 1].is_lower and doc[end - 1].lower_ in _KIND_AFTER:
        end -= 1
    if (start, end) == (ent.start, ent.end):
        return ent
    return Span(doc, start, end, label=ent.label_)


# Nouns a place stands in front of for who governs it: "Russia's envoy", "Moscow's decision".
_ACTOR_NOUNS = frozenset("""government officials official ambassador envoy military forces
army navy president leader leadership minister ministry decision position policy response
statement foreign spokesman spokeswoman authorities regime administration delegation
intelligence diplomats diplomat representative mission""".split())
# People and units a country names as an adjective would: "US troops", "Afghanistan officials".
_PEOPLE_NOUNS = frozenset("""officials official troops soldiers forces officers officer army
military navy warplanes jets aircraft drones diplomats diplomat envoy ambassador president
leader leaders minister ministers gen general commander commanders spokesman spokeswoman
authorities intelligence agents agent citizens nationals people media press lawmakers
negotiators delegation companies firms banks investors prosecutors police""".split())
# Nouns of the land itself: "the Syria border", "Russia's territory" name the place; and
# what lies in it: "Russia's own economy", "China's air" (a place as the location of a thing).
_LAND_NOUNS = frozenset("""border borders territory soil airspace coast coastline side region
area mainland capital city cities towns villages countryside north south east west interior
population climate weather economy air""".split())
# "the invasion of Iraq", "vast swaths of Iraq", "the south of Syria": the land itself.
_LAND_OF = frozenset("""invasion occupation swaths swath parts part much most rest areas
regions north south east west centre center heart outskirts map""".split())
# Words after a country that it qualifies as its people or its state's would ("U.S.
# military commitment", "US intelligence findings", "U.S. sources", "U.S. foreign policy").
_DEMONYM_NEXT = frozenset("""sources foreign""".split())
# Nouns whose modifier is the state they are about: "the Cuba policy", "the Russia dossier",
# "Russia sanctions". Any other noun a country qualifies is located there ("the US
# election", "U.S. assets", "U.S. coronavirus cases").
_TARGET_NOUNS = frozenset("""policy policies sanctions sanction dossier relations ties talks deal
deals strategy probe investigation inquiry threat hack hacking meddling interference
connection connections links collusion envoy embassy summit war cooperation tensions dispute
disputes rivalry conflict negotiations""".split())
# What a place is said to be as a place: "X will always be a welcoming city", "the U.S. was
# a house divided against itself".
_PLACE_ATTRS = frozenset("city town country nation place state home house land region".split())
# Nouns a list of countries stands beside as members of something: "two new members, India
# and Pakistan" act as states.
_MEMBER_NOUNS = frozenset("""members member allies ally partners partner rivals adversaries
powers""".split())
# Prepositions of location: "in Russia", "across Syria", "flights to Moscow".
_WHERE = frozenset("""in inside into across throughout within near around outside at over
through from to toward towards via off beyond along between""".split())
# Verbs whose subject is where something is, not who acts ("Homs lies on the Orontes").
_STATIVE = frozenset("lie sit locate border remain stand".split())


def _role(span: Span, kind: str | bool | None, in_actor: bool = False) -> str:
    """Whether a place is named as a place, stands for who governs it, or qualifies people.

    A country (or a capital the knowledge base knows as its government's seat, typed GPE by
    the names component) is, in news, mostly the state acting or acted upon: it is
    **metonymic** ("Russia denied", "sanctions against Russia", "Russia's actions") unless it
    stands where a place stands: after a preposition of location ("in Russia", "to
    Moscow"), before a noun of the land ("the Syria border", "Russia's territory"), or as
    the subject of a verb of being somewhere. Before a noun of people or units it is a
    **demonym** ("US troops", "Afghanistan officials"). A province or town is literal unless
    it is the subject of a verb of acting, the agent of a passive or owns an actor ("Homs
    residents" stay literal). A street or camp is always literal.

    A country qualifying a thing is where the thing is ("the US election", "U.S. assets"),
    unless the thing is a policy or relation about the state ("the Cuba policy", "US-China
    cooperation"); "the invasion of Iraq", "between the U.S. and Cuba", a dateline and a
    place said to be a city are literal; members of a bloc ("two new members, India and
    Pakistan") and "anti-Damascus" are the state. A country heading a known actor's name
    (``in_actor``: "US government") keeps the rules above it."""
    if kind not in (COUNTRY, ADMIN1, CITY):
        return "literal"
    root = span.root
    head = root.head
    dep = root.dep_
    doc = span.doc
    nxt = doc[span.end].lower_.strip(".") if span.end < len(doc) else ""
    if dep in ("compound", "nmod", "amod") and head.lower_.strip(".") in _PEOPLE_NOUNS:
        return "demonym"
    # the word after, or the one after a noun ("US occupation troops"; not "US illegal
    # military base", where "military" qualifies the base)
    after = doc[span.end : span.end + 2]
    people = [t for k, t in enumerate(after) if t.is_lower
              and (t.lower_ in _PEOPLE_NOUNS or t.lower_ in _DEMONYM_NEXT)
              and (k == 0 or after[0].pos_ == "NOUN")]
    if kind == COUNTRY and dep in ("compound", "nmod", "amod") and head.i >= span.end and (
        people and doc[span.end].is_lower
    ):
        return "demonym"  # "U.S. military commitment": the word right after says it
    if _dateline(span):
        return "literal"  # "LONDON — Britain's former Prime Minister ..."
    if dep == "nsubj" and head.lemma_ == "be" and any(
        c.dep_ == "attr" and c.lemma_ in _PLACE_ATTRS for c in head.children
    ):
        return "literal"  # "Chicago will always be a welcoming city"
    acting = (
        (dep == "nsubj" and head.pos_ in ("VERB", "AUX") and head.lemma_ not in _STATIVE)
        or (dep == "pobj" and head.lower_ == "by" and head.head.tag_ == "VBN")
        or (dep == "poss" and head.lower_ in _ACTOR_NOUNS)
    )
    if kind != COUNTRY and not (kind == CITY and span.label_ == "GPE" and _seat(span)):
        return "metonymic" if acting else "literal"
    if acting:
        return "metonymic"
    if span.start >= 2 and doc[span.start - 1].text == "-" and doc[span.start - 2].lower_ in (
        "anti", "pro"
    ):
        return "metonymic"  # "anti-Damascus militants": a stance toward the government
    if not in_actor and dep in ("compound", "nmod", "amod") and head.i >= span.end and (
        head.pos_ in ("NOUN", "PROPN")
    ):
        # a country qualifying a noun: the state a policy is about ("the Cuba policy"),
        # else the place where the thing is ("the US election", "U.S. assets")
        return "metonymic" if nxt in _TARGET_NOUNS or head.lower_ in _TARGET_NOUNS else "literal"
    while dep == "conj":  # "in Mexico and Canada": the first one's place in the sentence
        root = head
        head, dep = root.head, root.dep_
    if dep == "appos" and head.lower_ in _MEMBER_NOUNS:
        return "metonymic"  # "two new members, India and Pakistan"
    if dep == "pobj" and head.lower_ == "between" and head.head.lower_ in _TARGET_NOUNS:
        return "metonymic"  # "a trade dispute between Washington and its allies"
    if dep == "pobj" and head.lower_ in _WHERE:
        return "literal"
    if dep == "pobj" and head.lower_ == "of" and head.head.lower_ in _LAND_OF:
        return "literal"  # "the invasion of Iraq", "vast swaths of Iraq"
    if dep in ("compound", "nmod", "poss") and head.lower_ in _LAND_NOUNS:
        return "literal"
    if dep in ("nsubj", "nsubjpass") and head.lemma_ in _STATIVE:
        return "literal"
    if dep in ("appos", "ROOT", "npadvmod") or span.doc[span.start - 1 : span.start].text == ",":
        return "literal"  # "Gainesville, Georgia", a dateline, a list heading
    return "metonymic"


def _dateline(span: Span) -> bool:
    """A place opening a line before a dash: "LONDON — ...", "QINGDAO, China (Reuters) -"."""
    doc = span.doc
    if span.start > 0 and "\n" not in doc[span.start - 1].whitespace_ and not (
        doc[span.start - 1].is_space
    ):
        return False
    return span.end < len(doc) and doc[span.end].text in ("—", "–", "--", "-")


def _seat(span: Span) -> bool:
    """Whether a city is a capital news uses for its government (the knowledge base's
    metonyms: Moscow, Washington, Beijing)."""
    from sourcetrace.extract.entities.kb import KnowledgeBase

    return KnowledgeBase.load().is_metonym(span.text)


def _cue(doc: Doc, span: Span) -> str:
    before = doc[max(span.start - 2, 0) : span.start].text.lower()
    after = doc[span.end : span.end + 1].text.lower()
    return f"{before} | {after}"


@Language.factory(
    "sourcetrace_places", default_config={"include_demonyms": True, "scan": True}
)
def make_places(nlp: Language, name: str, include_demonyms: bool, scan: bool) -> PlacesComponent:
    return PlacesComponent(nlp, name, include_demonyms, scan)


@row_exporters.register("places", order=20)
def place_rows(doc: Doc, document: Document) -> dict[str, list[dict[str, Any]]]:
    mentions: list[PlaceMention] = doc._.places or []
    fields = ("place", "name", "lat", "lon", "country", "role")
    return {"place_mentions": span_rows(doc, document, mentions, fields)}
