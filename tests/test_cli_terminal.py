"""What the CLI prints on a terminal: `claims` at 80 and 160 columns (ids, numbers and flags
whole), --json/--csv for scripts, article control characters never reaching the terminal,
readable `analyze --help` at 80 columns, one-line usage errors, id suggestions, and `export`
(the pipeline kept, --out, what it writes said)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from sourcetrace import __version__
from sourcetrace.cli import CSV_FIELDS, app
from sourcetrace.config import DEFAULT_MODEL

ESCAPES = "\x1b]0;pwned\x07\x1b[2J"  # set the window title, then clear the screen
RLO = "\u202e"  # right-to-left override: reverses the text after it
RAW = ("\x1b", "\x07", RLO)

# Two outlets relay one claim; its wording, one outlet's name and one title carry escapes.
HOSTILE = {
    "coast-daily-spill": (
        "Harbour closed after chemical spill\n\nThe port authority said on Tuesday that the "
        f"harbour of Lunden would stay closed for a week after a chemical spill{ESCAPES} near "
        f"the {RLO}northern pier. Officials said about 40 tonnes of fuel had leaked into the "
        "water.\n"
    ),
    "river-news-spill": (
        "Lunden harbour shut for a week\n\nThe harbour of Lunden will stay closed for a week "
        f"after a chemical spill{ESCAPES} near the {RLO}northern pier, the port authority said "
        "on Tuesday. Fishermen said the closure would cost them dearly.\n"
    ),
}
HOSTILE_META = [
    ["id", "outlet", "url", "published", "title"],
    ["coast-daily-spill", f"Coast {RLO}Daily", "https://coast.example/spill", "2026-04-01",
     f"Spill {ESCAPES}closes harbour"],
    ["river-news-spill", "River News", "https://river.example/spill", "2026-04-02",
     "Harbour shut"],
]


def run(*args: str, columns: int = 80) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns)})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store analysed from articles whose text and metadata hold terminal escapes."""
    from sourcetrace.config import Settings
    from sourcetrace.engines.local import run_analysis
    from sourcetrace.ingest import IngestOptions

    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in HOSTILE.items():
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    meta = root / "meta.csv"
    with meta.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(HOSTILE_META)
    out = root / "out"
    result = run_analysis(
        [corpus], Settings(out=out, formats=("json",), quiet=True), IngestOptions(meta=[meta])
    )
    assert result.analysed == 2 and not result.errors
    return out


def _ranked(store: Path) -> list[dict[str, Any]]:
    code, stdout, stderr = run("claims", str(store), "--json", "--limit", "100")
    assert code == 0, stderr
    return json.loads(stdout)


# -- claims at 80 and 160 columns ------------------------------------------------------------
@pytest.mark.parametrize("columns", [80, 160])
def test_claims_keep_ids_numbers_and_flags_whole(demo_store: Path, columns: int) -> None:
    ranked = _ranked(demo_store)
    assert any(r["flags"] for r in ranked)  # flags to lose, else the test proves nothing
    code, stdout, stderr = run("claims", str(demo_store), "--limit", "100", columns=columns)
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert all(len(line) <= columns for line in lines)
    for r in ranked:
        # the line that starts the cluster's entry: its id as a whole word, then its numbers
        [line] = [ln for ln in lines if re.search(rf"(^|[\s│]){re.escape(r['id'])}[\s│]", ln)]
        ampl = f"{r['amplification']:.1f}" if r["amplification"] is not None else "-"
        numbers = [str(r["relays"]), str(r["independent_origins"]), ampl,
                   r["first_appearance"] or "-"]
        cells = re.split(r"[\s│]+", line)
        found = [c for c in cells if c in numbers]
        assert found[:4] == numbers, line
        if r["flags"]:
            # the first flag on the same line as the id; every flag whole somewhere
            assert re.search(rf"\b{r['flags'][0]}\b", line), line
        for flag in r["flags"]:
            assert re.search(rf"(?<![\w…]){flag}(?![\w…])", stdout), flag
    assert "…" not in "".join(re.findall(r"(?:cl|nr):\d+…?", stdout))


def test_narrow_listing_keeps_propositions_under_their_narratives(demo_store: Path) -> None:
    ranked = _ranked(demo_store)
    code, stdout, _ = run("claims", str(demo_store), "--limit", "100", columns=80)
    assert code == 0
    ids = re.findall(r"^( *)((?:cl|nr):\d+) ", stdout, flags=re.M)
    narrative_of = {r["id"]: r["narrative"] for r in ranked}
    head = None
    for indent, i in ids:
        if i.startswith("nr:"):
            assert indent == ""
            head = i
        else:
            assert indent == "  " and narrative_of[i] == head
    assert sorted(i for _, i in ids if i.startswith("cl:")) == sorted(narrative_of)


def test_claims_json_and_csv_for_scripts(demo_store: Path) -> None:
    ranked = _ranked(demo_store)
    code, stdout, stderr = run("claims", str(demo_store), "--csv", "--limit", "100")
    assert code == 0, stderr
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert tuple(rows[0]) == CSV_FIELDS == (
        "id", "narrative", "outlets", "independent_origins", "amplification",
        "first_appearance", "flags", "label",
    )
    assert [r["id"] for r in rows] == [r["id"] for r in ranked]
    for row, r in zip(rows, ranked, strict=True):
        assert row["label"] == r["label"] and row["narrative"] == (r["narrative"] or "")
        assert int(row["outlets"]) == r["relays"] >= len(r["outlets"])
        assert int(row["independent_origins"]) == r["independent_origins"]
        assert row["flags"].split(";") == (r["flags"] or [""])
        assert row["first_appearance"] == (r["first_appearance"] or "")
    # both at once is a usage error, not one silently winning
    assert run("claims", str(demo_store), "--csv", "--json")[0] == 2


def test_articles_without_outlets_still_count_as_outlets(tmp_path: Path) -> None:
    """A folder of bare text files names no outlet: each article counts as an outlet of its
    own, so the listing shows how many articles repeat a claim instead of 0."""
    from sourcetrace.config import Settings
    from sourcetrace.engines.local import run_analysis

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in HOSTILE.items():
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run_analysis([corpus], Settings(out=out, formats=(), quiet=True))
    code, stdout, stderr = run("claims", str(out), "--csv", "--min-outlets", "2")
    assert code == 0, stderr
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert rows and all(int(r["outlets"]) == 2 for r in rows)
    assert any("harbour" in r["label"] for r in rows)
    code, stdout, _ = run("claims", str(out), "--limit", "100", columns=160)
    [line] = [ln for ln in stdout.splitlines() if re.search(rf"\b{rows[0]['id']}\b", ln)]
    assert re.search(r"│\s+2\s+│", line), line


# -- control characters -----------------------------------------------------------------------
def test_article_control_characters_never_reach_the_terminal(hostile: Path) -> None:
    ranked = _ranked(hostile)
    [spill] = [r for r in ranked if "chemical spill" in r["label"]]
    # the JSON keeps the text as it was (escaped, it parses back to the same characters)
    assert ESCAPES in spill["label"] and RLO in spill["label"]
    assert any(RLO in o for o in spill["outlets"])
    commands = [
        ("claims", "--json"), ("claims", "--csv"), ("claims",),
        ("trace", spill["id"]), ("trace", spill["id"], "--json"),
        ("trace", spill["narrative"]), ("trace", spill["narrative"], "--json"),
    ]
    for command, *rest in commands:
        for columns in (80, 160):
            code, stdout, stderr = run(command, str(hostile), *rest, columns=columns)
            assert code == 0, stderr
            for char in RAW:
                assert char not in stdout + stderr, (command, rest, columns, repr(char))
            if "--json" in rest:
                json.loads(stdout)
            elif rest or command != "claims" or columns == 80:
                # shown as visible escapes, not dropped (the wide table cuts the claim short)
                assert "\\x1b]0;pwned\\x07\\x1b[2J" in stdout
                assert "\\u202e" in stdout
    code, stdout, _ = run("trace", str(hostile), spill["id"], columns=160)
    assert "Coast \\u202eDaily" in stdout and "Spill \\x1b]0;pwned" in stdout


def test_skipped_inputs_are_printed_escaped(tmp_path: Path) -> None:
    """A problem names the file: its name is input too (escapes, rich markup)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / f"empty{ESCAPES[:-4]}[red]x.txt").write_text("")
    code, _, stderr = run("analyze", str(corpus), "--out", str(tmp_path / "out"),
                          "--no-report", "--format", "json", columns=200)
    assert code == 1
    [line] = [ln for ln in stderr.splitlines() if ln.startswith("skipped")]
    assert not any(c in line for c in RAW)
    assert "empty\\x1b]0;pwned\\x07[red]x.txt" in line  # shown, markup and all


# -- help and usage errors -----------------------------------------------------------------
def test_analyze_help_is_readable_at_80_columns() -> None:
    code, stdout, _ = run("analyze", "--help", columns=80)
    assert code == 0
    lines = stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    command = typer.main.get_command(app).commands["analyze"]  # type: ignore[attr-defined]
    for param in command.params:
        for name in (o for o in param.opts if o.startswith("--")):
            # every option name whole, never cut to "--block-claims-ab…"
            # (the row of each option starts with its long name)
            [line] = [ln for ln in lines if re.match(rf"│ {name}(?![\w…-])", ln)]
            # its help starts early enough to leave a description column of 30+ characters
            first = param.help.split()[0]
            start = line.index(first, line.index(name) + len(name))
            assert 80 - start >= 32, line


def test_claims_limit_below_one_is_a_one_line_usage_error(demo_store: Path) -> None:
    for bad in ("-1", "0"):
        code, stdout, stderr = run("claims", str(demo_store), "--limit", bad)
        assert code == 2 and not stdout
        assert len(stderr.strip().splitlines()) == 1 and "--limit" in stderr
        assert "Traceback" not in stderr


@pytest.mark.parametrize("args", [
    ["claims", "DIR", "--limit", "abc"],  # the parser's own type error
    ["claims"],  # a missing argument
    ["claims", "DIR", "--bogus"],  # an unknown option
    ["nosuch"],  # an unknown command
])
def test_parser_errors_are_one_line_too(demo_store: Path, args: list[str]) -> None:
    """The console script prints click's usage errors like ours: an error line and where
    help is, no box (scripts grep stderr; a box wraps in a narrow terminal)."""
    import subprocess
    import sys

    argv = [str(demo_store) if a == "DIR" else a for a in args]
    proc = subprocess.run([sys.executable, "-m", "sourcetrace", *argv], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "80"}, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, proc.stderr
    assert lines[0].startswith("error: ") and lines[1].endswith("--help'.")
    assert not any(ch in proc.stderr for ch in "╭│╰")


def test_trace_suggests_the_id_meant(demo_store: Path) -> None:
    first = _ranked(demo_store)[0]["id"]
    number = first.split(":")[1]
    code, stdout, stderr = run("trace", str(demo_store), number)
    assert code == 1 and not stdout and len(stderr.strip().splitlines()) == 1
    assert f"did you mean {first}" in stderr
    code, _, stderr = run("trace", str(demo_store), first.upper())
    assert f"did you mean {first}" in stderr


# -- export --------------------------------------------------------------------------------
def test_export_help_says_what_jsonld_holds(hostile: Path, tmp_path: Path) -> None:
    code, stdout, _ = run("export", "--help", columns=160)
    assert code == 0 and "ClaimReview" not in stdout and "Claim" in stdout
    target = tmp_path / "claims.jsonld"
    code, _, stderr = run("export", str(hostile), "--format", "jsonld", "--out", str(target))
    assert code == 0, stderr
    assert {i["@type"] for i in json.loads(target.read_text())} == {"Claim"}


def test_export_json_keeps_the_pipeline_and_takes_out(hostile: Path, tmp_path: Path) -> None:
    written = json.loads((hostile / "analysis.json").read_text())["pipeline"]
    assert written["model"] == DEFAULT_MODEL
    target = tmp_path / "elsewhere.json"
    before = (hostile / "analysis.json").stat().st_mtime_ns
    code, _, stderr = run("export", str(hostile), "--format", "json", "--out", str(target),
                          columns=200)
    assert code == 0, stderr
    assert (hostile / "analysis.json").stat().st_mtime_ns == before  # the run's file untouched
    data = json.loads(target.read_text())
    assert data["pipeline"] == written
    assert data["pipeline"]["model_version"] and data["pipeline"]["sourcetrace"] == __version__
    # the message names the file, what it holds and the model
    assert str(target) in stderr and DEFAULT_MODEL in stderr and "wrote" in stderr


def test_export_json_into_the_run_says_it_replaces(hostile: Path) -> None:
    written = json.loads((hostile / "analysis.json").read_text())["pipeline"]
    code, _, stderr = run("export", str(hostile), columns=200)
    assert code == 0, stderr
    assert "replaced" in stderr and str(hostile / "analysis.json") in stderr
    assert json.loads((hostile / "analysis.json").read_text())["pipeline"] == written


def test_export_from_a_store_without_runs(hostile: Path, tmp_path: Path) -> None:
    """A store written before runs were recorded: the pipeline of the analysis.json written
    with it, else its pipeline version and a warning."""
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(hostile / "sourcetrace.duckdb", old)
    con = duckdb.connect(str(old / "sourcetrace.duckdb"))
    con.execute("DROP TABLE runs")
    [(version,)] = con.execute("SELECT DISTINCT pipeline_version FROM documents").fetchall()
    con.close()
    code, _, stderr = run("export", str(old), "--out", str(tmp_path / "a.json"), columns=200)
    assert code == 0, stderr
    assert json.loads((tmp_path / "a.json").read_text())["pipeline"] == {
        "pipeline_version": version}
    assert "does not record its model" in stderr
    shutil.copy(hostile / "analysis.json", old)
    code, _, stderr = run("export", str(old), "--out", str(tmp_path / "b.json"), columns=200)
    assert code == 0 and "does not record" not in stderr
    pipeline = json.loads((tmp_path / "b.json").read_text())["pipeline"]
    assert pipeline["model"] == DEFAULT_MODEL and pipeline["pipeline_version"] == version
