"""Narratives outside the report and web app: analysis.json, Parquet, JSON-LD and the CLI, on
the bundled demo corpus (``demo_store``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pytest
from typer.testing import CliRunner

from sourcetrace.cli import app
from sourcetrace.outputs.export import build_analysis, load_schema, write_parquet
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.provenance.jsonld import build_jsonld


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def analysis(demo_store: Path) -> dict[str, Any]:
    with AnalysisStore(demo_store, read_only=True) as store:
        data = build_analysis(store)
    jsonschema.validate(data, load_schema())
    return data


def test_export_lists_narratives_and_each_cluster_names_one(analysis: dict[str, Any]) -> None:
    narratives = {n["id"]: n for n in analysis["narratives"]}
    assert narratives and all(n.startswith("nr:") for n in narratives)
    assert [n["id"] for n in analysis["narratives"]][:2] == ["nr:1", "nr:2"]  # in number order
    clusters = {c["id"]: c for c in analysis["claim_clusters"]}
    for c in clusters.values():
        assert c["narrative"] in narratives, c["id"]
        assert c["id"] in narratives[c["narrative"]]["claim_clusters"]
    for n in narratives.values():
        members = [clusters[k] for k in n["claim_clusters"]]
        assert members and all(m["narrative"] == n["id"] for m in members)
        assert set(n["documents"]) == {d for m in members for d in m["documents"]}
        assert set(n["outlets"]) == {o for m in members for o in m["outlets"]}
    # Several propositions of the depot-fire story make one narrative.
    assert any(len(n["claim_clusters"]) > 1 for n in narratives.values())


def test_schema_rejects_a_malformed_narrative(analysis: dict[str, Any]) -> None:
    bad = {**analysis, "narratives": [{**analysis["narratives"][0], "id": "cl:1"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, load_schema())


def test_parquet_has_the_narratives_table(demo_store: Path, tmp_path: Path) -> None:
    with AnalysisStore(demo_store, read_only=True) as store:
        folder = write_parquet(store, tmp_path)
        expected = store.count("narratives")
    path = (folder / "narratives.parquet").as_posix()
    count = duckdb.connect().execute(f"SELECT count(*) FROM '{path}'").fetchone()[0]
    assert expected and count == expected


def test_jsonld_claims_are_part_of_their_narrative(
    demo_store: Path, analysis: dict[str, Any]
) -> None:
    with AnalysisStore(demo_store, read_only=True) as store:
        items = build_jsonld(store)
    narrative_of = {c["id"]: c["narrative"] for c in analysis["claim_clusters"]}
    assert items
    for item in items:
        part = item["isPartOf"]
        expected = narrative_of[item["@id"].removeprefix("#claim-")]
        assert part["@type"] == "CreativeWork" and part["identifier"] == expected
        assert part["@id"] == f"#narrative-{expected}" and part["name"]


def test_jsonld_file_is_written_item_by_item(
    demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """claims.jsonld is streamed from the store a batch of clusters at a time: with batches
    of one cluster, the file is still the one JSON array of every item, in order."""
    from sourcetrace.provenance import jsonld

    with AnalysisStore(demo_store, read_only=True) as store:
        items = build_jsonld(store)
        monkeypatch.setattr(jsonld, "BATCH", 1)
        path = jsonld.write_jsonld(store, tmp_path)
    assert len(items) > 1
    assert json.loads(path.read_text(encoding="utf-8")) == items


def test_claims_command_groups_propositions_under_narratives(demo_store: Path) -> None:
    code, stdout, stderr = run("claims", str(demo_store), "--json")
    assert code == 0, stderr
    ranked = json.loads(stdout)
    assert ranked and all(r["narrative"].startswith("nr:") for r in ranked)
    # wide enough for the table layout (narrower terminals: tests/test_cli_terminal.py)
    result = CliRunner().invoke(app, ["claims", str(demo_store)], env={"COLUMNS": "160"})
    code, stdout, stderr = result.exit_code, result.stdout, result.stderr
    assert code == 0, stderr
    # the id cell of each row (continuation lines of wrapped flags have none)
    ids = [cell[1:].rstrip() for line in stdout.splitlines()
           if line.startswith("│") and (cell := line.split("│")[1]).strip()]
    narrative_of = {r["id"]: r["narrative"] for r in ranked}
    assert {i for i in ids if i.startswith("nr:")} == set(narrative_of.values())
    # each header row, then its propositions indented under it, in rank order
    assert sorted(i.strip() for i in ids if i.startswith("  ")) == sorted(narrative_of)
    head = None
    for i in ids:
        if i.startswith("nr:"):
            head = i
        else:
            assert i.startswith("  cl:") and narrative_of[i.strip()] == head


def test_trace_a_narrative(demo_store: Path, analysis: dict[str, Any]) -> None:
    nr1 = next(n for n in analysis["narratives"] if n["id"] == "nr:1")
    code, stdout, stderr = run("trace", str(demo_store), "nr:1", "--json")
    assert code == 0, stderr
    data = json.loads(stdout)
    assert data["id"] == "nr:1" and data["independent_origins"] == nr1["independent_origins"]
    assert [p["id"] for p in data["propositions"]] == nr1["claim_clusters"]
    assert all(p["articles"] and p["narrative"] == "nr:1" for p in data["propositions"])
    code, stdout, stderr = run("trace", str(demo_store), "nr:1")
    assert code == 0, stderr
    assert stdout.startswith(f"nr:1  {nr1['label'][:20]}")
    assert f"{nr1['independent_origins']} independent origin(s)" in stdout
    assert all(cid in stdout for cid in nr1["claim_clusters"])
    if nr1["flags"]:
        assert "flags: " + ", ".join(nr1["flags"]) in stdout


def test_trace_a_cluster_names_its_narrative(
    demo_store: Path, analysis: dict[str, Any]
) -> None:
    cluster = analysis["claim_clusters"][0]
    code, stdout, stderr = run("trace", str(demo_store), cluster["id"])
    assert code == 0, stderr
    assert f"part of narrative {cluster['narrative']}" in stdout


@pytest.mark.parametrize(("bad", "what"), [("nr:999", "narrative"), ("nope", "claim cluster")])
def test_trace_an_unknown_id_is_one_line_error(demo_store: Path, bad: str, what: str) -> None:
    code, stdout, stderr = run("trace", str(demo_store), bad)
    assert code != 0 and not stdout
    assert len(stderr.strip().splitlines()) == 1
    assert stderr.startswith(f"error: no {what} {bad!r}")


def test_store_written_before_narratives(demo_store: Path, tmp_path: Path) -> None:
    """A store without the narratives table and column still lists, traces and exports."""
    shutil.copy(demo_store / "sourcetrace.duckdb", tmp_path / "sourcetrace.duckdb")
    con = duckdb.connect(str(tmp_path / "sourcetrace.duckdb"))
    con.execute("DROP TABLE narratives")
    con.execute("ALTER TABLE claim_clusters DROP COLUMN narrative")
    con.close()
    with AnalysisStore(tmp_path, read_only=True) as store:
        data = build_analysis(store)
        items = build_jsonld(store)
    jsonschema.validate(data, load_schema())
    assert data["narratives"] == [] and all(c["narrative"] is None for c in data["claim_clusters"])
    assert items and not any("isPartOf" in i for i in items)
    code, stdout, stderr = run("claims", str(tmp_path))
    assert code == 0, stderr
    assert "nr:" not in stdout and "cl:1" in stdout
    code, _, stderr = run("trace", str(tmp_path), "nr:1")
    assert code == 1 and stderr.startswith("error: no narrative 'nr:1'")
