"""Geocoding: one gazetteer entry for each toponym of a document, the others as context.

Every candidate gets a prior from its population (log10) and its kind (country >
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

from sourcetrace.extract.places.data import (
    ADMIN1_BONUS,
    BIG_CITY,
    CONTAINER_BONUS,
    COUNTRY_BONUS,
    COUNTRY_SHARE_BONUS,
    CUE_BONUS,
    CUE_KINDS,
    KIND_PRIOR,
    LIST_BONUS,
    LIST_GAPS,
)
from sourcetrace.extract.places.gazetteer import ADMIN1, CITY, COUNTRY, Gazetteer, skeleton


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
        """One place per name and story: a name the text once qualifies ("New York state",
        "the province of Homs") keeps that sense where it stands bare in the same story ("in
        New York since April", "in Homs"), and a name spelled two ways ("Deir Ezzor", "Dayr
        al-Zawr") is one name. (Forcing the first reading of a city-or-province name on an
        unqualified later one was tried: it cost LGL 0.002 of accuracy, and stories that
        mean both say so.)"""
        gz = self.gz
        stated: dict[str, int] = {}
        for (key, cands), cue, pick in zip(mentions, cues, picks, strict=True):
            if pick is not None and len(cands) > 1 and self._stated(cue) & {gz.kinds[pick]}:
                stated.setdefault(skeleton(key), pick)
        out: list[int | None] = []
        for (key, cands), cue, pick in zip(mentions, cues, picks, strict=True):
            sense = stated.get(skeleton(key))
            if sense is not None and not self._stated(cue) and sense in cands:
                out.append(sense)
            else:
                out.append(pick)
        return out

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
