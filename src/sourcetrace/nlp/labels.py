"""Entity labels every stage agrees on (no imports: the extractors, the linker and the
benchmarks read them)."""

from __future__ import annotations

# Labels of names that are actors or places.
ACTOR_PLACE_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC"})
# spaCy's labels of names that are neither actors nor places (events, laws, works, products,
# languages), plus the two the names component gives: a disease's name ("COVID-19") and a
# campaign's hashtag ("#ShoutYourStory" repeated through a story). Their entities have the
# type ``other``: never a source's actor, never a place.
OTHER_LABELS = frozenset({"EVENT", "LAW", "WORK_OF_ART", "PRODUCT", "LANGUAGE", "DISEASE",
                          "HASHTAG"})
# A party's letter after a politician's name ("Marco Rubio (R)", "Rubio, R-Fla."): the
# names component reads it as a group word (NORP), the linker as the party's name.
PARTY_LETTERS = {"R": "Republican", "D": "Democrat"}
