"""Scoring weights and word lists of place finding (:mod:`.component`) and geocoding
(:mod:`.resolver`)."""

from __future__ import annotations

from sourcetrace.extract.places.gazetteer import (
    ADMIN1,
    ADMIN2,
    CITY,
    CONTINENT,
    COUNTRY,
    FEATURE,
    REGION,
)

# Geocoding (resolver): the prior of each kind of place and the bonuses of context.
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
    "cities": (CITY,), "towns": (CITY,), "villages": (CITY,),
    "province": (ADMIN1, ADMIN2), "governorate": (ADMIN1,), "state": (ADMIN1,),
    "provinces": (ADMIN1, ADMIN2), "governorates": (ADMIN1,),
    "governor": (ADMIN1,), "gov": (ADMIN1,), "county": (ADMIN2,), "country": (COUNTRY,),
}

# Finding (component).
PLACE_LABELS = {"GPE", "LOC", "FAC"}
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
# Words that may sit inside a capitalised place name ("Bosnia and Herzegovina", "Deir ez-Zor").
_CONNECTORS = {"of", "and", "the", "al", "el", "de", "du", "la", "le", "-", "ez", "ad", "ar", "as",
               "az", "upon", "on", "del", "da", "do", "dos", "das", "'s"}
