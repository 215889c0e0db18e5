"""Places: finding toponyms and geocoding them with the article as context."""

from __future__ import annotations

import math

import pytest

from sourcetrace.extract.places import Resolver, place_rows
from sourcetrace.extract.places.gazetteer import load_gazetteer, normalize, skeleton
from sourcetrace.link.places import places_step
from sourcetrace.model import Document
from sourcetrace.tables import PER_DOCUMENT


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 6371 * 2 * math.asin(math.sqrt(a))


def _places(nlp, text: str) -> list:
    return nlp(text)._.places


def _find(mentions: list, text: str):
    hits = [m for m in mentions if m.text == text]
    assert hits, f"{text!r} not found in {[m.text for m in mentions]}"
    return hits[0]


def test_normalize_folds_transliterations() -> None:
    assert normalize("Deir ez-Zor") == normalize("Deir Ezzor") == normalize("DEIR EZ-ZOR")
    assert normalize("Al-Hasakah") == normalize("Hasaka") == normalize("al Hasakah")
    assert normalize("Qamishlī") == "qamishli"
    assert normalize("U.S.") == "us"
    assert skeleton(normalize("Dayr al-Zawr")) == skeleton(normalize("Deir ez-Zor"))


def test_paris_follows_the_story(nlp) -> None:
    texas = ("Firefighters in Paris battled a grain elevator blaze on Tuesday, the Lamar County "
             "sheriff said. Paris is about 100 miles northeast of Dallas, Texas.")
    france = ("Protesters marched through Paris on Saturday as unions across France called "
              "more strikes against the pension plan.")
    tx = _find(_places(nlp, texas), "Paris")
    fr = _find(_places(nlp, france), "Paris")
    assert tx.country == "US" and _km(tx.lat, tx.lon, 33.66, -95.56) < 50
    assert fr.country == "FR" and _km(fr.lat, fr.lon, 48.85, 2.35) < 50


def test_tripoli_lebanon_or_libya(nlp) -> None:
    lebanon = ("Clashes broke out in Tripoli, Lebanon's second city, as the army deployed "
               "near Beirut and the Syrian border.")
    libya = ("Militias fought for control of Tripoli airport while the government in Libya "
             "appealed for a ceasefire with forces in Benghazi.")
    assert _find(_places(nlp, lebanon), "Tripoli").country == "LB"
    assert _find(_places(nlp, libya), "Tripoli").country == "LY"


def test_supplement_and_transliterations_in_syria(nlp) -> None:
    text = ("A convoy left the US base at al-Tanf and drove through the Syrian desert toward "
            "Dayr al-Zawr. Another convoy crossed into Iraq through the Al-Yarubiya crossing "
            "in Hasakah province, officials in Damascus said.")
    places = _places(nlp, text)
    tanf = _find(places, "al-Tanf")
    assert tanf.place == "kb:place:al-tanf" and tanf.country == "SY"
    assert _find(places, "Syrian desert").place == "kb:place:syrian-desert"
    deir = next(m for m in places if "Zawr" in m.text)
    assert deir.country == "SY" and _km(deir.lat, deir.lon, 35.33, 40.14) < 100
    hasakah = next(m for m in places if m.text.startswith("Hasakah"))
    assert hasakah.country == "SY" and hasakah.kind == "admin1"
    assert any(m.place == "kb:place:al-yarubiyah" for m in places)


def test_offsets_and_rows(nlp) -> None:
    text = "Aid trucks reached Idlib from Turkey on Friday, the UN said in Geneva."
    doc = nlp(text)
    for m in doc._.places:
        assert text[m.start : m.end] == m.text
    rows = place_rows(doc, Document(id="d1", text=text))["place_mentions"]
    assert {r["text"] for r in rows} >= {"Idlib", "Turkey", "Geneva"}
    assert all(set(r) == set(PER_DOCUMENT["place_mentions"]) for r in rows)
    idlib = next(r for r in rows if r["text"] == "Idlib")
    assert idlib["country"] == "SY" and idlib["sentence"] == 0 and idlib["doc"] == "d1"


def test_washington_capital_unless_the_state_is_meant(nlp) -> None:
    capital = "Officials in Washington said the US would send more aid to Ukraine."
    state = "Wildfires spread across Washington state, and Seattle and Spokane issued warnings."
    dc = _find(_places(nlp, capital), "Washington")
    assert _km(dc.lat, dc.lon, 38.9, -77.04) < 30
    wa = _find(_places(nlp, state), "Washington")
    assert wa.kind == "admin1" and _km(wa.lat, wa.lon, 47.4, -120.5) < 250


def test_gazetteer_finds_names_ner_missed(nlp) -> None:
    # A lower-case generic word after a curated name is part of it; a plain word is not a place.
    places = _places(nlp, "Fighters moved toward the Euphrates River and the Golan Heights.")
    ids = {m.place for m in places}
    assert {"kb:place:euphrates", "kb:place:golan"} <= ids
    assert not _places(nlp, "The west wing of the museum reopened.")


def test_resolver_uses_admin1_context() -> None:
    gz = load_gazetteer()
    resolver = Resolver(gz)
    mentions = [("gainesville", gz.lookup("Gainesville")), ("georgia", gz.lookup("Georgia"))]
    city, state = resolver.resolve(mentions)
    assert gz.admin1[city] == "US.GA" and gz.kinds[state] == "admin1"
    alone = resolver.resolve([("gainesville", gz.lookup("Gainesville"))])[0]
    assert gz.admin1[alone] == "US.FL"  # the larger Gainesville without context


def test_places_corpus_step(tmp_path) -> None:
    from sourcetrace.config import Settings
    from sourcetrace.outputs.store import AnalysisStore

    row = {"doc": "a", "start": 0, "end": 5, "text": "Idlib", "place": "169387", "name": "Idlib",
           "lat": 35.8, "lon": 36.6, "country": "SY", "sentence": 0}
    with AnalysisStore(tmp_path) as store:
        store._insert("place_mentions", [row, {**row, "doc": "b"},
                                         {**row, "place": None, "text": "Nowhere"}],
                      PER_DOCUMENT["place_mentions"])
        places_step(store, Settings(out=tmp_path))
        assert store.read("places") == [
            {"id": "169387", "name": "Idlib", "lat": 35.8, "lon": 36.6, "country": "SY"}
        ]


@pytest.mark.parametrize("name", ["Golan Heights", "Gaza Strip", "West Bank", "Donbas",
                                  "Crimea", "Al-Mahmudiya crossing", "Homs province"])
def test_supplement_entries_resolve(name: str) -> None:
    gz = load_gazetteer()
    assert gz.lookup(name), name


def test_large_areas_sit_at_their_centre_not_among_their_towns() -> None:
    gz = load_gazetteer()

    def one(name: str, kind: str) -> int:
        return next(j for j in gz.lookup(name) if gz.kinds[j] == kind)

    # Ontario's and Queensland's towns line their southern and eastern edges.
    on = one("Ontario", "admin1")
    assert gz.countries[on] == "CA" and _km(gz.lats[on], gz.lons[on], 50.0, -85.0) < 150
    qld = one("Queensland", "admin1")
    assert _km(gz.lats[qld], gz.lons[qld], -22.0, 144.0) < 200
    # The state's point is not the city that shares its name.
    ny = one("New York", "admin1")
    assert _km(gz.lats[ny], gz.lons[ny], 40.71, -74.01) > 150
    assert _km(gz.lats[ny], gz.lons[ny], 43.0, -75.5) < 100
    # A country at its centre, not its capital.
    jp = one("Japan", "country")
    assert _km(gz.lats[jp], gz.lons[jp], 35.68, 139.75) > 100
    ca = one("Canada", "country")
    assert _km(gz.lats[ca], gz.lons[ca], 60.0, -95.0) < 100


def test_demonyms_name_their_country() -> None:
    gz = load_gazetteer()
    for word, iso in [("American", "US"), ("Russians", "RU"), ("Palestinian", "PS"),
                      ("Georgian", "GE"), ("Syrians", "SY")]:
        cands = gz.lookup(word)
        assert [gz.kinds[j] for j in cands] == ["country"], word
        assert gz.countries[cands[0]] == iso, word
    assert gz.demonym("Americans") == gz.demonym("American")
    assert gz.demonym("Paris") is None
    # A name that is also a demonym keeps its places.
    assert {gz.kinds[j] for j in gz.lookup("Djibouti")} >= {"country", "city"}


def test_span_rules_article_possessive_and_names_of_institutions(nlp) -> None:
    text = ("Deputies from the Hall County Sheriff's Office searched a home in Gainesville, "
            "Georgia. The United States Postal Service was not involved. Gainesville Police "
            "Department officers helped, and Boone County's sheriff said the Act would help.")
    places = _places(nlp, text)
    texts = [m.text for m in places]
    # A place inside an organisation's name is not a place of the story...
    assert "Hall County" not in texts
    assert "Act" not in texts  # an English word, though "ACT" abbreviates a territory
    assert all(not t.lower().startswith("the ") and not t.endswith("'s") for t in texts)
    # ... unless the story names it as a place elsewhere ("in Gainesville")
    assert texts.count("Gainesville") == 2
    # but a country qualifying an institution still is one ("United States Postal Service")
    assert "United States" in texts and "Boone County" in texts


def test_generic_words_alone_are_not_places(nlp) -> None:
    text = "The Central Valley project stalled. Central said the Street was closed."
    assert "Street" not in [m.text for m in _places(nlp, text)]
    assert "Central" not in [m.text for m in _places(nlp, "Central reported a loss on Monday.")]


def test_country_point_blends_reference_and_outline_centroid() -> None:
    from sourcetrace.extract.places.gazetteer import _blend, _mainland_centroid

    # An L-shaped country: its largest polygon's area centroid, not the box's middle; a small
    # far island does not move it.
    outline = {"features": [{"geometry": {"type": "MultiPolygon", "coordinates": [
        [[[0, 0], [4, 0], [4, 2], [2, 2], [2, 4], [0, 4], [0, 0]]],
        [[[30, 30], [30.5, 30], [30.5, 30.5], [30, 30]]],
    ]}}]}
    lat, lon = _mainland_centroid(outline)
    assert abs(lat - 5 / 3) < 1e-6 and abs(lon - 5 / 3) < 1e-6
    assert _mainland_centroid(None) is None
    # Two estimates that roughly agree meet halfway; far apart, the reference stands.
    assert _blend((10.0, 20.0), (12.0, 20.0)) == (11.0, 20.0)
    assert _blend((10.0, 20.0), (30.0, 20.0)) == (10.0, 20.0)
    assert _blend((10.0, 20.0), None) == (10.0, 20.0)
    # China: between the whole-degree 35N 105E and its outline's centroid further west.
    gz = load_gazetteer()
    cn = next(j for j in gz.lookup("China") if gz.kinds[j] == "country")
    assert 103.5 < gz.lons[cn] < 104.9 and _km(gz.lats[cn], gz.lons[cn], 35.0, 105.0) < 150


def test_town_comma_state_names_the_state(nlp) -> None:
    text = "A fire destroyed a warehouse in Buffalo, New York, on Monday, the fire chief said."
    places = _places(nlp, text)
    ny = _find(places, "New York")
    assert ny.kind == "admin1" and ny.country == "US"
    buffalo = _find(places, "Buffalo")
    assert _km(buffalo.lat, buffalo.lon, 42.89, -78.88) < 30


def test_lists_of_states_and_countries_keep_one_kind(nlp) -> None:
    states = _places(nlp, "Outbreaks of the illness were reported in Texas, Ohio, Washington "
                          "and Wyoming.")
    wa = _find(states, "Washington")
    assert wa.kind == "admin1" and _km(wa.lat, wa.lon, 47.4, -120.5) < 250
    # "Niger, Nigeria" inside a list of countries is not "a state, its country".
    countries = _places(nlp, "The vaccination campaign will reach Benin, Ghana, Niger, Nigeria "
                             "and Togo this year.")
    niger = _find(countries, "Niger")
    assert niger.kind == "country" and niger.country == "NE"


def test_governor_and_qualified_name_state_the_state(nlp) -> None:
    ny = _find(_places(nlp, "New York Gov. Mary Holt signed the budget on Friday."), "New York")
    assert ny.kind == "admin1"
    text = ("Health officials in New York state declared an emergency. Hospitals in New York "
            "reported 40 cases since June.")
    assert [m.kind for m in _places(nlp, text) if m.text == "New York"] == ["admin1", "admin1"]


def test_world_regions_are_regions_not_towns(nlp) -> None:
    gz = load_gazetteer()
    for name in ("West Africa", "the Americas", "Eastern Europe", "South Asia",
                 "European Union"):
        cands = gz.lookup(name)
        assert cands and gz.kinds[cands[0]] == "region", name
    ee = gz.lookup("Eastern Europe")[0]
    assert 20 < gz.lons[ee] < 40  # among its members, not in Siberia with Russia's centre
    # The European Union as an actor (NER: ORG) is not made a place.
    assert not _places(nlp, "The European Union fined the carmaker 500 million euros.")
