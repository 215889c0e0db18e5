"""A report of a big corpus holds its most relayed narratives whole and says what it left out;
its headline still counts the whole corpus (tested on the demo corpus with a small budget)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from sourcetrace.outputs import headline
from sourcetrace.outputs.report import write_report
from sourcetrace.outputs.report.scope import choose_scope
from sourcetrace.outputs.store import AnalysisStore


def _data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert match
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def demo(demo_store: Path) -> dict[str, Any]:
    with AnalysisStore(demo_store, read_only=True) as store:
        return {
            "documents": store.count("documents"),
            "narratives": store.read("narratives", "ORDER BY TRY_CAST(substr(id, 4) AS INTEGER)"),
            "summary": headline.summary(store.con),
        }


def test_a_corpus_within_the_budget_is_embedded_whole(demo_store: Path, tmp_path: Path,
                                                      demo: dict[str, Any]) -> None:
    with AnalysisStore(demo_store, read_only=True) as store:
        assert choose_scope(store, demo["documents"]) is None
        page = write_report(store, tmp_path).read_text(encoding="utf-8")
    assert len(_data(page)["documents"]) == demo["documents"]
    assert 'id="report-scope"' not in page


def test_a_big_corpus_keeps_whole_narratives_and_counts_everything(
    demo_store: Path, tmp_path: Path, demo: dict[str, Any]
) -> None:
    budget = 4
    assert demo["documents"] > budget
    with AnalysisStore(demo_store, read_only=True) as store:
        page = write_report(store, tmp_path, max_documents=budget).read_text(encoding="utf-8")
    data = _data(page)
    docs = {d["id"] for d in data["documents"]}
    assert 0 < len(docs) <= budget
    # each narrative it holds is whole: every cluster, claim and article of it is there
    clusters = {k["id"]: k for k in data["claim_clusters"]}
    assert data["narratives"]
    for n in data["narratives"]:
        assert set(n["claim_clusters"]) <= set(clusters)
        assert set(n["documents"]) <= docs
    for k in clusters.values():
        assert set(k["documents"]) <= docs
    # nothing of a document it left out: no claim, mention or attribution points outside
    assert {c["doc"] for c in data["claims"]} <= docs
    assert {a["doc"] for a in data["attributions"]} <= docs
    assert {m["doc"] for e in data["entities"] for m in e["mentions"]} <= docs
    # the headline counts the whole corpus and the page says it shows part of it
    headline_text = re.search(r'<p id="headline">(.*?)</p>', page, re.S).group(1)
    assert f"{demo['documents']} articles" in " ".join(headline_text.split())
    scope_line = " ".join(re.search(r'id="report-scope"[^>]*>(.*?)</p>', page, re.S)
                          .group(1).split())
    assert f"{len(docs)} of {demo['documents']} articles" in scope_line
    assert f"of {len(demo['narratives'])} narratives" in scope_line
    # the headline's examples link to clusters the page holds, when their narrative fits
    fits = {k for n in demo["narratives"] if len(n["documents"]) <= budget
            for k in n["claim_clusters"]}
    for w in demo["summary"]["worst"]:
        assert w["id"] in clusters or w["id"] not in fits


def test_the_headline_examples_come_first(demo_store: Path, demo: dict[str, Any]) -> None:
    worst = demo["summary"]["worst"]
    assert worst, "the demo corpus has a single-origin claim relayed by several outlets"
    home = next(n for n in demo["narratives"] if worst[0]["id"] in n["claim_clusters"])
    budget = len(home["documents"])
    assert budget < demo["documents"]
    with AnalysisStore(demo_store, read_only=True) as store:
        scope = choose_scope(store, budget, first=[worst[0]["id"]])
        plain = choose_scope(store, budget)
    assert scope is not None and plain is not None
    assert scope.narratives[0] == home["id"]
    assert worst[0]["id"] in scope.clusters
    assert len(scope.documents) <= budget
    # without examples to hold, the most prominent narrative that fits comes first
    first_fitting = next(n for n in demo["narratives"] if len(n["documents"]) <= budget)
    assert plain.narratives[0] == first_fitting["id"]


def test_the_report_command_takes_a_budget(demo_store: Path, tmp_path: Path,
                                           demo: dict[str, Any]) -> None:
    from typer.testing import CliRunner

    from sourcetrace.cli import app

    shutil.copy(demo_store / "sourcetrace.duckdb", tmp_path / "sourcetrace.duckdb")
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--max-documents", "3", "-q"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="report-scope"' in page and len(_data(page)["documents"]) <= 3
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--max-documents", "0", "-q"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="report-scope"' not in page
    assert len(_data(page)["documents"]) == demo["documents"]
