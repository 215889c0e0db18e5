"""The scoring of ``benchmarks/entities.py`` on a tiny invented gold and prediction (no
shared data: the strings below are made up)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "entities.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("entity_bench", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Invented text of d1: "Zorvia said Mira Tesk met Quillon officials in Bravik. Velt House denied
# it." (Zorvia 0-6, Mira Tesk 12-21, Quillon 26-33, Bravik 47-53, Velt House 55-65).
GOLD = [
    {"doc": "d1", "start": 0, "end": 6, "type": "organisation", "role": "metonymic",
     "entity": "kb:zorvia", "kb": "zorvia", "place": "100", "lat": 10.0, "lon": 10.0},
    {"doc": "d1", "start": 12, "end": 21, "type": "person", "role": None,
     "entity": "person:mira-tesk", "kb": None, "place": None, "lat": None, "lon": None},
    {"doc": "d1", "start": 26, "end": 33, "type": "group", "role": "demonym",
     "entity": "kb:quillon", "kb": "quillon", "place": "200", "lat": 20.0, "lon": 20.0},
    {"doc": "d1", "start": 47, "end": 53, "type": "place", "role": "literal",
     "entity": "place:bravik", "kb": None, "place": "300", "lat": 30.0, "lon": 30.0},
    {"doc": "d1", "start": 55, "end": 65, "type": "organisation", "role": "metonymic",
     "entity": "kb:gov-zorvia", "kb": "gov-zorvia", "place": None, "lat": 1.0, "lon": 1.0},
    {"doc": "d2", "start": 0, "end": 4, "type": "person", "role": None,
     "entity": "person:mira-tesk", "kb": None, "place": None, "lat": None, "lon": None},
    {"doc": "d2", "start": 10, "end": 15, "type": "other", "role": None,
     "entity": "other:glim", "kb": None, "place": None, "lat": None, "lon": None},
]


def mention(doc, start, end, text, entity, etype, in_kb, label="ORG"):
    return {"doc": doc, "start": start, "end": end, "text": text, "label": label,
            "entity": entity, "etype": etype, "name": text, "in_kb": in_kb}


def place(doc, start, end, text, pid, lat, lon, role=None):
    return {"doc": doc, "start": start, "end": end, "text": text, "place": pid, "name": text,
            "lat": lat, "lon": lon, "role": role}


PRED = {
    "mentions": [
        mention("d1", 0, 6, "Zorvia", "zorvia", "state", True, "GPE"),
        mention("d1", 12, 21, "Mira Tesk", "ent:mira-tesk", "person", False, "PERSON"),
        mention("d1", 26, 33, "Quillon", "quillon", "state", True, "NORP"),
        mention("d1", 47, 53, "Bravik", "ent:bravik", "place", False, "GPE"),
        mention("d1", 51, 65, "ik. Velt House", "gov-zorvia", "government", True),
        mention("d2", 0, 4, "Tesk", "ent:mira-tesk", "person", False, "PERSON"),
        mention("d2", 20, 25, "Plonk", "ent:plonk", "organisation", False),
    ],
    "places": [
        place("d1", 0, 6, "Zorvia", "100", 10.0, 10.0, role="metonymic"),
        place("d1", 47, 53, "Bravik", "999", 30.5, 30.5),  # another id, 70 km away
        place("d1", 55, 59, "Velt", "400", 50.0, 50.0),  # inside "ik. Velt House"
    ],
}


def test_types_links_and_junk(bench):
    result = bench.score(GOLD, PRED)
    # Zorvia -> organisation (place row role metonymic overrides "state"), Mira Tesk person,
    # Quillon -> group (a NORP mention is a group word in its context, whatever it links
    # to), Bravik place, Velt House organisation (the "Velt" place row lies inside a longer
    # government mention), Tesk person, Glim missed.
    assert result["type"] == pytest.approx(6 / 7)
    assert result["missed"] == 1
    assert result["confusion"][("group", "group")] == 1
    assert result["confusion"][("other", "missed")] == 1
    # Links: Zorvia, Quillon, Velt House by KB id; Bravik within 161 km; both Mira Tesk
    # mentions share the majority id ent:mira-tesk; Glim has no prediction.
    assert result["linking"] == pytest.approx(6 / 7)
    # Predicted ids: 6 entities + 3 places; ent:plonk overlaps no gold mention.
    assert result["predicted_ids"] == 9
    assert result["junk"] == pytest.approx(1 / 9)
    assert any("ent:plonk" in name for name in result["junk_names"])


def test_a_shared_majority_id_links_neither_entity(bench):
    gold = [dict(GOLD[1]), dict(GOLD[1], doc="d2", start=0, end=4, entity="person:other")]
    pred = {"mentions": [mention("d1", 12, 21, "Mira Tesk", "ent:x", "person", False),
                         mention("d2", 0, 4, "Tesk", "ent:x", "person", False)],
            "places": []}
    assert bench.score(gold, pred)["linking"] == 0.0
    # A KB id is never a right link for an entity outside the knowledge base.
    pred["mentions"][1] = mention("d2", 0, 4, "Tesk", "kb-person", "person", True)
    result = bench.score(gold, pred)
    assert result["linking"] == pytest.approx(1 / 2)


def test_best_overlap_prefers_the_exact_span(bench):
    rows = [{"start": 0, "end": 20}, {"start": 5, "end": 9}]
    assert bench.best_overlap({"start": 5, "end": 9}, rows) is rows[1]
    assert bench.best_overlap({"start": 4, "end": 12}, rows) is rows[0]
    assert bench.best_overlap({"start": 30, "end": 35}, rows) is None
    assert bench.km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.2, abs=0.1)
