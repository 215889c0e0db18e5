"""End-to-end behaviour of `sourcetrace analyze`: store, exports, resume, errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import jsonschema
import pytest
from typer.testing import CliRunner

from sourcetrace.cli import app
from sourcetrace.outputs.export import load_schema

ARTICLES = {
    "alpha": "Harbour reopens after storm\n\nThe port authority said on Monday that the harbour "
    "had reopened after three days. \"Ships can dock again,\" the director told reporters.\n",
    "beta": "Mayor promises new bridge\n\nThe mayor of Lunden announced a new bridge across the "
    "river. Critics said the plan would cost far more than the city can afford.\n",
    "gamma": "Farmers count losses\n\nFarmers in the valley lost about 200 tonnes of apples to "
    "the frost, according to the regional farming union.\n",
}


def write_corpus(folder: Path, articles: dict[str, str] = ARTICLES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("run")
    corpus = write_corpus(root / "corpus")
    code, _, stderr = run("analyze", str(corpus), "--out", str(root / "out"), "-q",
                          "--format", "json,parquet", "--no-report")
    assert code == 0, stderr
    return root / "out"


def test_export_validates_against_published_schema(analysed: Path) -> None:
    data = json.loads((analysed / "analysis.json").read_text())
    jsonschema.validate(data, load_schema())
    assert data["schema"] == "sourcetrace/analysis/1"
    assert sorted(d["id"] for d in data["documents"]) == sorted(ARTICLES)


def test_offsets_index_into_the_original_file(analysed: Path) -> None:
    data = json.loads((analysed / "analysis.json").read_text())
    texts = {d["id"]: d["text"] for d in data["documents"]}
    assert texts == ARTICLES  # the text is the file's text unchanged
    con = duckdb.connect(str(analysed / "sourcetrace.duckdb"), read_only=True)
    rows = con.execute('SELECT doc, start, "end", text FROM sentences').fetchall()
    for doc, start, end, text in rows:
        assert texts[doc][start:end] == text
    for a in data["attributions"]:
        c = a["content"]
        assert texts[a["doc"]][c["start"]:c["end"]] == c["text"]


def test_title_taken_from_first_line(analysed: Path) -> None:
    data = json.loads((analysed / "analysis.json").read_text())
    titles = {d["id"]: d["title"] for d in data["documents"]}
    assert titles["alpha"] == "Harbour reopens after storm"


def test_parquet_tables_are_readable(analysed: Path) -> None:
    con = duckdb.connect()
    n = con.execute(
        f"SELECT count(*) FROM read_parquet('{analysed / 'parquet' / 'documents.parquet'}')"
    ).fetchone()[0]
    assert n == len(ARTICLES)
    assert (analysed / "parquet" / "attributions.parquet").is_file()


def test_rerun_analyses_only_new_documents(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {k: ARTICLES[k] for k in ("alpha", "beta")})
    out = tmp_path / "out"
    code, stdout, _ = run("analyze", str(corpus), "--out", str(out), "--json", "--no-report")
    assert code == 0 and json.loads(stdout)["analysed"] == 2
    # as if the first run had been interrupted before gamma: now gamma is there too
    write_corpus(corpus, {"gamma": ARTICLES["gamma"]})
    code, stdout, _ = run("analyze", str(corpus), "--out", str(out), "--json", "--no-report")
    summary = json.loads(stdout)
    assert code == 0 and summary["analysed"] == 1 and summary["already_analysed"] == 2
    con = duckdb.connect(str(out / "sourcetrace.duckdb"), read_only=True)
    # nothing doubled: one row per sentence position
    dupes = con.execute(
        "SELECT count(*) FROM (SELECT doc, idx FROM sentences GROUP BY 1, 2 HAVING count(*) > 1)"
    ).fetchone()[0]
    assert dupes == 0
    assert con.execute("SELECT count(DISTINCT doc) FROM sentences").fetchone()[0] == 3


def test_changed_document_is_analysed_again(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"alpha": ARTICLES["alpha"]})
    out = tmp_path / "out"
    run("analyze", str(corpus), "--out", str(out), "-q", "--no-report")
    (corpus / "alpha.txt").write_text(ARTICLES["beta"], encoding="utf-8")
    code, stdout, _ = run("analyze", str(corpus), "--out", str(out), "--json", "--no-report")
    assert json.loads(stdout)["analysed"] == 1
    con = duckdb.connect(str(out / "sourcetrace.duckdb"), read_only=True)
    assert "bridge" in con.execute("SELECT text FROM documents WHERE id='alpha'").fetchone()[0]


def test_exact_duplicates_are_recorded_not_dropped(tmp_path: Path) -> None:
    twins = {"alpha": ARTICLES["alpha"], "copy": ARTICLES["alpha"]}
    corpus = write_corpus(tmp_path / "corpus", twins)
    out = tmp_path / "out"
    code, stdout, _ = run("analyze", str(corpus), "--out", str(out), "--json", "--no-report")
    assert code == 0 and json.loads(stdout)["duplicates"] == 1
    data = json.loads((out / "analysis.json").read_text())
    dup = {d["id"]: d["duplicate_of"] for d in data["documents"]}
    assert dup == {"alpha": None, "copy": "alpha"}


def test_bad_inputs_are_reported_and_the_rest_analysed(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"alpha": ARTICLES["alpha"]})
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "broken.txt").write_bytes(b"caf\xe9 au lait\n")
    (corpus / "lines.jsonl").write_text(
        json.dumps({"id": "j1", "text": ARTICLES["gamma"]}) + "\n{not json\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    code, stdout, stderr = run(
        "analyze", str(corpus), str(tmp_path / "missing.txt"), "--out", str(out), "--json",
        "--no-report",
    )
    summary = json.loads(stdout)
    assert code == 1
    assert summary["analysed"] == 2  # alpha and j1
    problems = "\n".join(summary["errors"])
    assert "empty.txt" in problems and "broken.txt" in problems
    assert "lines.jsonl:2" in problems and "missing.txt" in problems
    assert all("\n" not in e for e in summary["errors"])


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("analyze", "x", "--format", "xml")[0] == 2
    assert run("analyze", "x", "--model", "no_such_pipeline_xyz")[0] == 2
    assert run("analyze", "--bogus")[0] == 2
    assert run("claims", str(tmp_path))[0] == 2


def test_every_command_has_help() -> None:
    for command in ("analyze", "claims", "trace", "report", "serve", "export"):
        code, stdout, _ = run(command, "--help")
        assert code == 0 and "Usage" in stdout


def test_workers_give_the_same_rows(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    tables = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        code, _, stderr = run("analyze", str(corpus), "--out", str(out), "-q", "--no-report",
                              "--workers", workers, "--batch-size", "1")
        assert code == 0, stderr
        con = duckdb.connect(str(out / "sourcetrace.duckdb"), read_only=True)
        tables[workers] = con.execute(
            "SELECT doc, start, \"end\", text FROM sentences ORDER BY 1, 2"
        ).fetchall()
    assert tables["1"] == tables["2"] and tables["1"]


def test_a_document_that_breaks_an_extractor_is_reported_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sourcetrace.nlp import basic

    original = basic.basic_rows

    def fragile(doc, document):  # noqa: ANN001, ANN202 - stands in for a buggy extractor
        if "bridge" in document.text:
            raise ValueError("boom")
        return original(doc, document)

    from sourcetrace.registry import row_exporters

    monkeypatch.setitem(row_exporters.items, "basic", fragile)
    corpus = write_corpus(tmp_path / "corpus")
    code, stdout, _ = run("analyze", str(corpus), "--out", str(tmp_path / "out"), "--json",
                          "--no-report")
    summary = json.loads(stdout)
    assert code == 1 and summary["analysed"] == 2
    assert any("beta" in e and "analysis failed" in e for e in summary["errors"])


def test_default_workers_follow_the_cpus_and_the_input() -> None:
    from sourcetrace.config import available_cpus
    from sourcetrace.engines.local import MIN_DOCS_PER_WORKER, resolve_workers

    assert resolve_workers(3, 1) == 3  # asked for: as asked
    assert resolve_workers(0, 1) == 1  # a tiny input is not worth a second process
    assert resolve_workers(0, 10_000) == available_cpus()
    assert resolve_workers(0, 2 * MIN_DOCS_PER_WORKER) == min(2, available_cpus())


def test_a_store_from_an_older_version_gains_the_new_columns(tmp_path: Path) -> None:
    from sourcetrace.outputs.store import AnalysisStore

    con = duckdb.connect(str(tmp_path / "sourcetrace.duckdb"))
    con.execute('CREATE TABLE sentences (doc VARCHAR, idx INTEGER, start INTEGER, "end" INTEGER, '
                "text VARCHAR)")  # as written before claim_check existed
    con.execute("INSERT INTO sentences VALUES ('d', 0, 0, 5, 'Hello')")
    con.close()
    with AnalysisStore(tmp_path) as store:
        store.replace("sentences", [
            {"doc": "d", "idx": 0, "start": 0, "end": 5, "text": "Hello", "claim_check": "ok"}
        ])
        assert store.read("sentences") == [
            {"doc": "d", "idx": 0, "start": 0, "end": 5, "text": "Hello", "claim_check": "ok",
             "line_checks": None}
        ]
