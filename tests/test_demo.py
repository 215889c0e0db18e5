"""The bundled demo corpus, end to end: the provenance story it was written to tell."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from sourcetrace.config import Settings
from sourcetrace.engines.local import run_analysis
from sourcetrace.ingest import IngestOptions
from sourcetrace.outputs.export import load_schema
from sourcetrace.outputs.shapes import single_origin

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("demo")
    settings = Settings(out=out, formats=("json",), kb_files=[ROOT / "examples" / "kb.yaml"])
    result = run_analysis([ROOT / "examples" / "corpus"], settings, IngestOptions())
    assert not result.errors and result.analysed == 10
    data = json.loads((out / "analysis.json").read_text())
    jsonschema.validate(data, load_schema())
    return data



def clusters_with(data: dict, *docs: str) -> list[dict]:
    return [c for c in data["claim_clusters"] if set(docs) <= set(c["documents"])]


def origin_entities(cluster: dict) -> set[str]:
    return {o["entity"] for o in cluster["origins"] if o["entity"]}


def test_metadata_from_the_folder(analysis: dict) -> None:
    docs = {d["id"]: d for d in analysis["documents"]}
    assert docs["norpress-depot-fire"]["outlet"] == "NorPress"
    assert docs["evening-post-depot-fire"]["published"] == "2026-03-04"


def test_ministry_statement_relayed_by_several_outlets_is_one_origin(analysis: dict) -> None:
    # Each proposition of the ministry's statement that another outlet relays rests on the
    # ministry alone: several outlets, one independent origin.
    relayed = [
        c for c in clusters_with(analysis, "norpress-depot-fire")
        if (c["relays"] or 0) >= 2 and origin_entities(c) == {"norvania-mod"}
    ]
    assert relayed, "the ministry's statement should be relayed by several outlets"
    assert all(c["independent_origins"] == 1 and single_origin(c) for c in relayed)
    assert all(c["independent_origins"] == 1 for c in relayed)


def test_losses_confirmed_by_an_independent_monitor(analysis: dict) -> None:
    losses = [c for c in analysis["claim_clusters"] if "3,000 tonnes" in c["label"]]
    assert losses
    best = max(losses, key=lambda c: len(c["documents"]))
    assert {"norvania-mod", "baltic-grain-monitor"} <= origin_entities(best)
    assert best["independent_origins"] >= 2
    assert "single_source_amplification" not in best["flags"]


def test_agencies_of_one_government_share_a_controller(analysis: dict) -> None:
    camp = clusters_with(analysis, "norpress-nsb-training", "borderline-nsb-training")
    assert any("same_controller" in c["flags"] for c in camp)
    entities = {e["id"]: e for e in analysis["entities"]}
    assert entities["norvania-nsb"]["controlled_by"] == "gov-norvania"
    assert entities["norpress"]["controlled_by"] == "gov-norvania"


def test_nested_attribution_citing_local_sources(analysis: dict) -> None:
    atts = {a["id"]: a for a in analysis["attributions"]}
    inner = [
        a for a in atts.values()
        if a["doc"] == "borderline-depot-fire" and a["source"]["text"] == "local sources"
    ]
    assert inner and inner[0]["source"]["kind"] == "anonymous"
    assert atts[inner[0]["parent"]]["source"]["text"] == "NorPress"


def test_anonymous_sources_are_not_corroboration(analysis: dict) -> None:
    anon = [
        a for a in analysis["attributions"]
        if a["doc"] == "meridian-depot-fire" and a["source"]["kind"] == "anonymous"
    ]
    assert anon
    claims = {c["id"]: c for c in analysis["claims"]}
    for cluster in analysis["claim_clusters"]:
        kinds = {o["kind"] for o in cluster["origins"]}
        if kinds and kinds <= {"anonymous", "vague", "outlet"}:
            assert cluster["independent_origins"] == 0
    assert any(c["attribution"] in {a["id"] for a in anon} for c in claims.values())


def test_copied_articles_are_found(analysis: dict) -> None:
    pairs = {tuple(sorted(r["docs"])): r for r in analysis["reuse"]}
    wire = pairs[("evening-post-depot-fire", "globalwire-depot-fire")]
    assert wire["earlier"] == "globalwire-depot-fire"
    assert sum(p["words"] for p in wire["passages"]) >= 100
    assert ("meridian-depot-fire", "norpress-depot-fire") in pairs


def test_unattributed_assertions_and_loaded_language(analysis: dict) -> None:
    observer = [c for c in analysis["claims"] if c["doc"] == "observer-depot-fire"]
    assert any(c["unattributed"] for c in observer)
    techniques = {
        s["technique"] for s in analysis["language"] if s["doc"] == "borderline-nsb-training"
    }
    assert "scare_quotes" in techniques


def test_places_and_dates(analysis: dict) -> None:
    dates = [d for d in analysis["dates"] if d["doc"] == "norpress-depot-fire"]
    monday = [d for d in dates if d["text"].lower().endswith("monday")]
    assert monday and monday[0]["value"] == "2026-03-02" and monday[0]["resolved"]
