"""Places: toponyms found in a document and geocoded offline, with the document as context.

Finding. spaCy's GPE/LOC/FAC entities are the toponyms, plus names of well-known places
(countries, first-level subdivisions, our supplement, cities of 100,000 people or more) that
the small NER model misses or mislabels ORG: a capitalised token sequence whose normalised
form is such a name. FAC entities are kept only when the gazetteer knows them (most are
streets and buildings we cannot place). Span rules:

* a leading "the" and a trailing possessive are not part of the toponym ("the United
  States", "Boone County's");
* a gazetteer name heading an institution's name is a toponym ("Hall County Sheriff's
  Office", "Mansfield Police Department");
* one sense per discourse: a name the document already uses as a place is a place wherever
  else it appears outside a person's name, even where NER missed it;
* alone, a generic word ("Central", "Street") or an English word that is only an
  abbreviation or alternate name of a place ("Act", "Day") is not a toponym.

Geocoding. Every candidate gets a prior from its population (log10) and its kind (country >
continent/region > admin1/our supplement > admin2 > city). Context is then added from the
*other* toponyms of the document (leave-one-out, so a mention never votes for itself):

* +2.5 when the candidate's country is named or implied elsewhere (a country, a demonym such
  as "Syrian", or the country of another resolved place), +1.5 times that country's share of
  the votes;
* +3 when the candidate lies in a first-level subdivision named elsewhere ("Paris" in a
  story that also says "Texas" is Paris, Texas).

The text around a name and its neighbours:

* words beside it that say its kind ("Hasakah province", "the city of Homs", "New York Gov.",
  "the mayor of Boston") give +2 to candidates of that kind;
* containment: a name right after another and a comma ("Buffalo, New York", "Kasese,
  Uganda") names a state or country holding it: +3 to the candidates of both that make it so,
  unless the pair stands inside a list ("Guinea-Bissau, Niger, Nigeria and Togo");
* lists: names joined by commas or "and" whose neighbours were resolved to countries, or to
  states of one country, get +1.5 for candidates of that kind ("Texas, Ohio, Washington and
  Wyoming" are states; "Egypt and Niger" countries);
* one sense per story: a name once qualified ("New York state") keeps that sense where it
  stands bare in the same document.

Capital-or-state rule: when a name is both a subdivision and a city of the same country and
the city is the capital or has 600,000 people or more ("Washington", "New York"), the city
wins, because that is what news copy means; unless the text says so ("Washington state",
"state of New York", "Buffalo, New York", a list of states) or places of that state are
named elsewhere (context above).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from sourcetrace.extract.places.gazetteer import (
    ADMIN1,
    ADMIN2,
    CITY,
    CONTINENT,
    COUNTRY,
    FEATURE,
    REGION,
    Gazetteer,
    load_gazetteer,
    normalize,
)
from sourcetrace.model import Document
from sourcetrace.nlp.basic import sentence_index
from sourcetrace.registry import row_exporters

__all__ = ["PlaceMention", "PlacesComponent", "Resolver", "place_rows", "load_gazetteer"]

if not Doc.has_extension("places"):
    Doc.set_extension("places", default=None)

PLACE_LABELS = {"GPE", "LOC", "FAC"}
KIND_PRIOR = {
    COUNTRY: 3.0, CONTINENT: 3.0, REGION: 2.0, ADMIN1: 1.5, FEATURE: 1.5, ADMIN2: 0.5, CITY: 0.0,
}
COUNTRY_BONUS = 2.5
COUNTRY_SHARE_BONUS = 1.5
ADMIN1_BONUS = 3.0
BIG_CITY = 600_000
CUE_BONUS = 2.0
CONTAINER_BONUS = 3.0
LIST_BONUS = 1.5
# What joins the items of a list of places ("Texas, Ohio and Utah").
LIST_GAPS = {",", "and", ", and", "or", ", or", "&"}
# Words beside a name that say what kind of place it is: "Hasakah province", "the city of
# Homs", "New York Gov. Andrew Cuomo" (governors head states and provinces; mayors, cities).
CUE_KINDS = {
    "city": (CITY,), "town": (CITY,), "village": (CITY,), "mayor": (CITY,),
    "province": (ADMIN1, ADMIN2), "governorate": (ADMIN1,), "state": (ADMIN1,),
    "governor": (ADMIN1,), "gov": (ADMIN1,), "county": (ADMIN2,), "country": (COUNTRY,),
}
# Words NER labels LOC that are directions or blocs, not places we could put on a map.
NOT_PLACES = {"west", "east", "north", "south", "the west", "the east", "western", "eastern"}
SCAN_MIN_CITY_POP = 100_000
# Words that name places somewhere (a Kenyan province, a Somerset town) but, alone, are
# almost always the ordinary word or part of a longer name in English copy.
GENERIC_WORDS = {
    "central", "southern", "northern", "eastern", "western", "valley", "region", "forest",
    "gulf", "city", "county", "street", "hall", "center", "centre", "main", "town", "airport",
    "market", "grand", "park", "lake", "river", "island", "mountain", "bay", "beach", "harbor",
    "harbour", "village", "district", "avenue", "road", "bridge", "square", "union", "state",
    "capital", "mission", "progress", "independence", "liberty", "unity", "victoria",
}
# Words after a place name that make the name part of an institution's ("Hall County
# Sheriff's Office", "Mansfield Police Department"): the place is still a toponym.
INSTITUTION_WORDS = {
    "police", "sheriff", "sheriff's", "sheriff’s", "department", "dept", "commission",
    "commissioners", "council", "school", "schools", "high", "middle", "elementary",
    "university", "college", "hospital", "medical", "fire", "board", "court", "library",
    "chamber", "jail", "office", "authority", "public", "regional", "community", "housing",
    "water", "utilities", "parks", "museum", "city", "county", "parish", "state", "area",
    "metro", "municipal", "health", "emergency", "airport", "zoo", "church", "district",
    "township", "town", "village", "government", "legislature", "assembly", "senate",
    "house", "times", "herald", "news", "post", "chronicle", "tribune", "gazette",
}
# Words that may sit inside a capitalised place name ("Bosnia and Herzegovina", "Deir ez-Zor").
_CONNECTORS = {"of", "and", "the", "al", "el", "de", "du", "la", "le", "-", "ez", "ad", "ar", "as",
               "az", "upon", "on", "del", "da", "do", "dos", "das", "'s"}


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


class Resolver:
    """Picks one gazetteer entry for each toponym of a document, using the others as context."""

    def __init__(self, gz: Gazetteer) -> None:
        self.gz = gz

    def prior(self, j: int) -> float:
        return math.log10(self.gz.pops[j] + 10) + KIND_PRIOR.get(self.gz.kinds[j], 0.0)

    def best_by_prior(self, cands: list[int]) -> int | None:
        return max(cands, key=self.prior, default=None)

    def resolve(
        self,
        mentions: list[tuple[str, list[int]]],
        cues: list[str] | None = None,
        extra_countries: list[str] | None = None,
        gaps: list[str] | None = None,
    ) -> list[int | None]:
        """``mentions``: (surface key, candidates) per toponym, in text order; ``cues``: the
        words around each (lower-case, for "state"); ``extra_countries``: countries implied by
        demonyms; ``gaps``: the text between each toponym and the one before it ("Buffalo, New
        York": ", " before "New York"), for the containment and list rules."""
        cues = cues or [""] * len(mentions)
        gaps = gaps or [""] * len(mentions)
        picks = [self.best_by_prior(c) for _, c in mentions]
        # Two rounds: a name resolved in the first ("Georgia" the state, thanks to an American
        # town nearby) lends its own context to the others in the second.
        for _ in range(2):
            picks = self._round(mentions, cues, picks, Counter(extra_countries or []), gaps)
        return self._one_sense(mentions, cues, picks)

    def _contains(self, outer: int, inner: int) -> bool:
        gz = self.gz
        if outer == inner:
            return False
        if gz.kinds[outer] == COUNTRY:
            return gz.countries[inner] == gz.countries[outer] and gz.kinds[inner] != COUNTRY
        if gz.kinds[outer] == ADMIN1:
            return bool(gz.admin1[outer]) and gz.admin1[inner] == gz.admin1[outer]
        return False

    def _structure(
        self, mentions: list[tuple[str, list[int]]], picks: list[int | None], gaps: list[str]
    ) -> tuple[list[dict[int, float]], list[set[str]]]:
        """Bonuses and stated kinds from how toponyms stand next to each other.

        Containment: "Buffalo, New York", "Kasese, Uganda": a name right after another and a
        comma names the state or country that holds it, so its candidates holding one of the
        first name's candidates, and those candidates, get ``CONTAINER_BONUS``; the state is
        then stated as plainly as by "New York state".

        Lists: "Texas, Ohio, Washington and Wyoming", "Egypt and Niger": names joined by
        commas or "and"/"or" are of one kind, so a candidate of the kind its list neighbours
        were resolved to gets ``LIST_BONUS``, and a state among states is stated as one.
        """
        gz = self.gz
        n = len(mentions)
        bonus: list[dict[int, float]] = [{} for _ in range(n)]
        said: list[set[str]] = [set() for _ in range(n)]
        contained = [False] * n
        for i in range(1, n):
            if gaps[i].strip() != ",":
                continue
            # Inside a list it is coordination: "Guinea-Bissau, Niger, Nigeria and Togo".
            if gaps[i - 1].strip().lower() in LIST_GAPS or (
                i + 1 < n and gaps[i + 1].strip().lower() in LIST_GAPS
            ):
                continue
            outer, inner = mentions[i][1], mentions[i - 1][1]
            pairs = [(o, c) for o in outer for c in inner if self._contains(o, c)]
            if not pairs:
                continue
            contained[i] = contained[i - 1] = True
            for o, c in pairs:
                bonus[i][o] = CONTAINER_BONUS
                bonus[i - 1][c] = CONTAINER_BONUS
                said[i].add(gz.kinds[o])
        for i in range(n):
            if contained[i]:
                continue
            near = [
                picks[k] for k in (i - 1, i + 1)
                if 0 <= k < n and not contained[k] and picks[k] is not None
                and gaps[max(i, k)].strip().lower() in LIST_GAPS
            ]
            kinds = {gz.kinds[k] for k in near}  # type: ignore[index]
            # Only lists of countries or of states, and only when the neighbours agree:
            # "Cairo, Giza, and Al-Minya" mixes a city and a province, "Paris and Henry
            # County" a town and a county, and two ambiguous towns must not vouch for each
            # other ("Cornwall and Kent").
            if len(kinds) != 1 or not kinds <= {COUNTRY, ADMIN1}:
                continue
            kind = kinds.pop()
            countries = {gz.countries[k] for k in near}  # type: ignore[index]
            for j in mentions[i][1]:
                if gz.kinds[j] == kind and (kind == COUNTRY or gz.countries[j] in countries):
                    bonus[i][j] = bonus[i].get(j, 0.0) + LIST_BONUS
                    said[i].add(kind)
        return bonus, said

    def _one_sense(
        self, mentions: list[tuple[str, list[int]]], cues: list[str], picks: list[int | None]
    ) -> list[int | None]:
        """A name the text once qualifies ("New York state", "the state of Georgia") keeps that
        sense where it stands bare in the same story ("in New York since April")."""
        gz = self.gz
        sense: dict[str, int] = {}
        for (key, cands), cue, pick in zip(mentions, cues, picks, strict=True):
            if pick is not None and len(cands) > 1 and self._stated(cue) & {gz.kinds[pick]}:
                sense.setdefault(key, pick)
        return [
            sense[key] if key in sense and not self._stated(cue) and sense[key] in cands
            else pick
            for (key, cands), cue, pick in zip(mentions, cues, picks, strict=True)
        ]

    @staticmethod
    def _stated(cue: str) -> set[str]:
        """Kinds of place the words around a name state ("Hasakah province", "the city of")."""
        words = {w.strip(".") for w in cue.replace("|", " ").split()}
        return {kind for word, kinds in CUE_KINDS.items() if word in words for kind in kinds}

    def _round(
        self,
        mentions: list[tuple[str, list[int]]],
        cues: list[str],
        picks: list[int | None],
        extra: Counter[str],
        gaps: list[str],
    ) -> list[int | None]:
        gz = self.gz
        structure, said = self._structure(mentions, picks, gaps)
        # Votes per surface key, so that a mention's own key can be left out.
        country_votes: dict[str, Counter[str]] = {}
        admin_votes: dict[str, Counter[str]] = {}
        for (key, cands), pick in zip(mentions, picks, strict=True):
            if pick is None:
                continue
            cv = country_votes.setdefault(key, Counter())
            countries = {gz.countries[j] for j in cands}
            if len(countries) == 1 or gz.kinds[pick] in (COUNTRY, ADMIN1):
                cv[gz.countries[pick]] += 1
            else:
                cv[gz.countries[pick]] += 0.5  # an ambiguous name is weak evidence
            if gz.kinds[pick] == ADMIN1 and gz.admin1[pick]:
                admin_votes.setdefault(key, Counter())[gz.admin1[pick]] += 1
            elif gz.admin1[pick] and len(cands) == 1:
                admin_votes.setdefault(key, Counter())[gz.admin1[pick]] += 0.5
        out: list[int | None] = []
        for i, ((key, cands), cue) in enumerate(zip(mentions, cues, strict=True)):
            if len(cands) <= 1:
                out.append(cands[0] if cands else None)
                continue
            cvotes: Counter[str] = Counter(extra)
            for k, v in country_votes.items():
                if k != key:
                    cvotes.update(v)
            avotes: Counter[str] = Counter()
            for k, v in admin_votes.items():
                if k != key:
                    avotes.update(v)
            total = sum(cvotes.values()) or 1.0
            scores = {}
            for j in cands:
                s = self.prior(j)
                c = gz.countries[j]
                if c and cvotes.get(c):
                    s += COUNTRY_BONUS + COUNTRY_SHARE_BONUS * cvotes[c] / total
                if gz.admin1[j] and avotes.get(gz.admin1[j]) and gz.kinds[j] != ADMIN1:
                    s += ADMIN1_BONUS
                scores[j] = s + structure[i].get(j, 0.0)
            stated = self._stated(cue)
            self._cued(cands, scores, stated)
            self._capital_or_state(cands, scores, stated | said[i])
            out.append(max(cands, key=lambda j: scores[j]))
        return out

    def _cued(self, cands: list[int], scores: dict[int, float], stated: set[str]) -> None:
        # "the city of Al-Hasakah" vs "Hasakah province": the text says which one.
        for j in cands:
            if self.gz.kinds[j] in stated:
                scores[j] += CUE_BONUS

    def _capital_or_state(
        self, cands: list[int], scores: dict[int, float], stated: set[str]
    ) -> None:
        gz = self.gz
        states = [j for j in cands if gz.kinds[j] == ADMIN1]
        for s in states:
            cities = [
                j for j in cands
                if gz.kinds[j] == CITY and gz.countries[j] == gz.countries[s]
                and (gz.pops[j] >= BIG_CITY or j in gz.capital)
            ]
            if not cities:
                continue
            city = max(cities, key=lambda j: gz.pops[j])
            if ADMIN1 in stated and CITY not in stated:
                scores[s] = max(scores[s], scores[city] + 0.1)
            elif scores[s] - scores[city] < ADMIN1_BONUS:
                # The state wins only through context of its own (its places named nearby).
                scores[city] = max(scores[city], scores[s] + 0.1)


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
        for whole in doc.ents:
            ent = _trim(whole)
            key = normalize(ent.text)
            if ent.label_ in PLACE_LABELS and key not in NOT_PLACES:
                cands = gz.lookup(ent.text)
                if cands or (ent.label_ != "FAC" and "," not in ent.text):
                    found.append((ent, ent.label_, cands))
                    taken[whole.start : whole.end] = [2] * len(whole)
                    continue
                # "Paris, Texas" as one entity, or a FAC we cannot place: look inside it.
                found.extend(self._scan(doc, ent.start, ent.end, taken, ent.label_,
                                        inside=ent.label_ != "FAC"))
            elif ent.label_ != "NORP":
                # NORP stays free: "Syrian" starts "Syrian desert".
                taken[ent.start : ent.end] = [1] * len(ent)
        if self.scan:
            found.extend(self._scan(doc, 0, len(doc), taken, "GAZ", inside=False))
            # One sense per discourse: a name the story already uses as a place is a place
            # wherever else it appears, even where NER missed it ("Alexandria woman charged").
            known = {normalize(sp.text) for sp, _, cands in found if cands}
            if known:
                found.extend(self._scan(doc, 0, len(doc), taken, "GAZ", inside=False,
                                        known=known))
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
        return any(gz.kinds[j] in (COUNTRY, ADMIN1) for j in cands)

    def _scan(
        self, doc: Doc, lo: int, hi: int, taken: list[int], label: str, inside: bool,
        known: set[str] | None = None,
    ) -> list[tuple[Span, str, list[int]]]:
        """Longest capitalised token sequences in [lo, hi) that name a place. With ``known``
        (names the document already uses as places), only those, wherever they stand."""
        gz = self.gz
        keys = known if known is not None else self.scan_keys
        out = []
        i = lo
        while i < hi:
            tok = doc[i]
            if (taken[i] == 2 or not (tok.is_title or (tok.is_upper and len(tok) > 1))
                    or tok.lower_ == "the"):
                i += 1
                continue
            hit = None
            for n in range(min(6, hi - i), 0, -1):
                span = doc[i : i + n]
                if any(t == 2 for t in taken[i : i + n]) or not _tight(span):
                    continue
                key = normalize(span.text)
                if key in NOT_PLACES:
                    continue
                last = span[-1]
                capitalised = last.is_title or last.is_upper
                if not capitalised and (n == 1 or key not in gz.index):
                    continue
                leads = _leads_institution(doc, span)
                if not (key in keys or ((inside or leads) and key in gz.index)):
                    continue
                if n == 1 and key in GENERIC_WORDS:
                    continue
                cands = gz.lookup(span.text)
                if not cands:
                    continue
                if not capitalised and not self._strong(cands, person=False):
                    continue  # "Syrian desert", "Al-Walid crossing": curated names only
                if n == 1 and not tok.is_upper and not self._own_name(key, cands):
                    continue  # "Act" is not the ACT, "Day" not Dayton
                soft = any(t == 1 for t in taken[i : i + n])
                words = sum(1 for t in span if t.is_alpha)
                person = self._in_person(doc, span)
                if known is not None:
                    if person:
                        continue
                elif soft and not (leads and not person) and not self._strong(
                    cands, person, words
                ):
                    continue
                if (n == 1 and not inside and known is None and not leads
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
        gaps = [""] + [doc.text[a.end_char : b.start_char]
                       for (a, _, _), (b, _, _) in zip(spans, spans[1:], strict=False)]
        picks = Resolver(gz).resolve(
            mentions, cues, extra_countries=[gz.countries[j] for _, j in demonyms], gaps=gaps
        )
        result = [
            self._mention(span, label, pick) for (span, label, _), pick in zip(spans, picks,
                                                                                strict=True)
        ]
        if self.include_demonyms:
            result += [self._mention(ent, "NORP", j) for ent, j in demonyms]
            result.sort(key=lambda m: m.start)
        doc._.places = result
        return doc

    def _mention(self, span: Span, label: str, j: int | None) -> PlaceMention:
        gz = self.gz
        if j is None:
            return PlaceMention(span.start_char, span.end_char, span.text, None, None, None, None,
                                None, None, label, span.start, span.end)
        return PlaceMention(
            span.start_char, span.end_char, span.text, gz.ids[j], gz.names[j], gz.lats[j],
            gz.lons[j], gz.countries[j] or None, gz.kinds[j], label, span.start, span.end,
        )


def _tight(span: Span) -> bool:
    """A name's tokens: words, joined by hyphens/apostrophes/dots, never ending in one."""
    if not span[0].is_alpha or not (span[-1].is_alpha or span[-1].text[:-1].isalpha()):
        return False
    for t in span:
        if t.is_space or (t.is_punct and t.text not in ("-", "'", "’")):
            return False
        if t.is_punct and t.i > span.start and t.text == "-" and (
            t.whitespace_ or t.nbor(-1).whitespace_
        ):
            return False
    return True


def _trim(ent: Span) -> Span:
    """An entity without a leading article or a trailing possessive: "the United States" is
    the toponym "United States", "Boone County's" is "Boone County"."""
    start, end = ent.start, ent.end
    doc = ent.doc
    if end - start > 1 and doc[start].lower_ == "the":
        start += 1
    if end - start > 1 and doc[end - 1].lower_ in ("'s", "’s", "'", "’"):
        end -= 1
    if (start, end) == (ent.start, ent.end):
        return ent
    return Span(doc, start, end, label=ent.label_)


def _leads_institution(doc: Doc, span: Span) -> bool:
    """A place name heading an organisation's name: "Hall County Sheriff's Office",
    "Mansfield Police Department", "Alexandria City Council"."""
    if span.end >= len(doc) or span[0].lower_ in INSTITUTION_WORDS:
        return False
    nxt = doc[span.end]
    return nxt.lower_ in INSTITUTION_WORDS and (nxt.is_title or nxt.is_upper)


def _cue(doc: Doc, span: Span) -> str:
    before = doc[max(span.start - 2, 0) : span.start].text.lower()
    after = doc[span.end : span.end + 1].text.lower()
    return f"{before} | {after}"


@Language.factory(
    "sourcetrace_places", default_config={"include_demonyms": False, "scan": True}
)
def make_places(nlp: Language, name: str, include_demonyms: bool, scan: bool) -> PlacesComponent:
    return PlacesComponent(nlp, name, include_demonyms, scan)


@row_exporters.register("places", order=20)
def place_rows(doc: Doc, document: Document) -> dict[str, list[dict[str, Any]]]:
    mentions: list[PlaceMention] = doc._.places or []
    if not mentions:
        return {"place_mentions": []}
    sent_of = sentence_index(doc)
    rows = []
    for m in mentions:
        row = {k: v for k, v in asdict(m).items() if k in (
            "start", "end", "text", "place", "name", "lat", "lon", "country")}
        row["doc"] = document.id
        row["sentence"] = sent_of[m.token_start]
        rows.append(row)
    return {"place_mentions": rows}
