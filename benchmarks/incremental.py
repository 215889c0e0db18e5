"""Incremental runs: new articles added to an existing store, against a run from scratch.

    python benchmarks/incremental.py [--base 10000] [--add 500] [--workers 0] [--json]

Takes BASE + ADD articles from ../shared/datasets/allsides/articles.jsonl.gz (those with 50
words or more, in file order), analyses the first BASE into a store, then times ``analyze``
of all BASE + ADD on that store (the incremental run: the BASE are resumed, the ADD
analysed, the corpus steps compute only what the new articles change) and on an empty one
(from scratch). Prints both times, their ratio, the groups of each memoised corpus stage the
incremental run computed, and whether the two stores (every table) and their
``analysis.json`` (less the time of the run) are equal. Floor (issue 19): at 10,000 + 500
the incremental run takes at most 10 % of the run from scratch, and the tables are equal.
Small values run in minutes: ``--base 500 --add 25``. Exit status 1 when they differ.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "datasets" / "allsides" / "articles.jsonl.gz"
FLOOR = 0.10  # incremental seconds / from-scratch seconds, at 10,000 + 500


def take(n: int) -> list[str]:
    """The first ``n`` articles with 50 words or more, as JSON lines."""
    rows: list[str] = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("text") and len(row["text"].split()) >= 50:
                rows.append(line if line.endswith("\n") else line + "\n")
            if len(rows) >= n:
                break
    return rows


def analyze(inputs: list[Path], out: Path, workers: int) -> tuple[float, dict[str, Any]]:
    """One ``sourcetrace analyze`` in a fresh process: wall seconds and its --json summary."""
    cmd = [sys.executable, "-m", "sourcetrace", "analyze", *map(str, inputs), "--out", str(out),
           "--workers", str(workers), "--no-report", "--json", "--quiet"]
    clock = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    seconds = time.perf_counter() - clock
    if done.returncode not in (0, 1):  # 1: some input documents had problems
        sys.stderr.write(done.stderr)
        raise SystemExit(f"analyze failed ({done.returncode}): {' '.join(cmd)}")
    return seconds, json.loads(done.stdout)


def differing_tables(a: Path, b: Path) -> list[str]:
    """Tables of store ``a`` whose rows (as a multiset) are not those of store ``b``; not
    ``main.runs``, the history of the runs that wrote a store (one row a run, with its time:
    an incremental store has two)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{a / 'sourcetrace.duckdb'}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{b / 'sourcetrace.duckdb'}' AS b (READ_ONLY)")

        def names(db: str) -> set[tuple[str, str]]:
            return set(con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?",
                [db]).fetchall())

        found, other = names("a") - {("main", "runs")}, names("b") - {("main", "runs")}
        differ = sorted(f"{s}.{t}" for s, t in found ^ other)
        for s, t in sorted(found & other):
            x, y = f'a."{s}"."{t}"', f'b."{s}"."{t}"'
            extra = con.execute(
                f"SELECT (SELECT count(*) FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y})) "
                f"+ (SELECT count(*) FROM (SELECT * FROM {y} EXCEPT ALL SELECT * FROM {x}))"
            ).fetchall()[0][0]
            if extra:
                differ.append(f"{s}.{t}")
        return differ
    finally:
        con.close()


def same_json(a: Path, b: Path) -> bool:
    """The two ``analysis.json`` files are equal but for the time they were written."""
    stamp = re.compile(rb'"generated":\s*"[^"]*"')
    return all(p.is_file() for p in (a, b)) and (
        stamp.sub(b"", a.read_bytes()) == stamp.sub(b"", b.read_bytes()))


def run(base: int, add: int, workers: int, work: Path) -> dict[str, Any]:
    rows = take(base + add)
    if len(rows) < base + add:
        raise SystemExit(f"{CORPUS} has only {len(rows)} articles of 50 words or more")
    first, new = work / "base.jsonl", work / "added.jsonl"
    first.write_text("".join(rows[:base]), encoding="utf-8")
    new.write_text("".join(rows[base:]), encoding="utf-8")
    base_seconds, _ = analyze([first], work / "incremental", workers)
    inc_seconds, inc = analyze([first, new], work / "incremental", workers)
    scratch_seconds, scratch = analyze([first, new], work / "scratch", workers)
    differ = differing_tables(work / "incremental", work / "scratch")
    return {
        "base": base, "add": add, "workers": workers,
        "base_seconds": round(base_seconds, 1),
        "incremental_seconds": round(inc_seconds, 1),
        "scratch_seconds": round(scratch_seconds, 1),
        "ratio": round(inc_seconds / scratch_seconds, 3),
        "incremental_stages": inc.get("stages", {}),
        "scratch_stages": scratch.get("stages", {}),
        "incremental_work": inc.get("work", {}),
        "tables_equal": not differ, "tables_differing": differ,
        "json_equal": same_json(work / "incremental" / "analysis.json",
                                work / "scratch" / "analysis.json"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=int, default=10_000, help="articles in the store")
    parser.add_argument("--add", type=int, default=500, help="articles added to it")
    parser.add_argument("--workers", type=int, default=0, help="analyze --workers (0: per CPU)")
    parser.add_argument("--keep", type=Path, help="keep the stores in this folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.base < 1 or args.add < 1:
        parser.error("--base and --add must be at least 1")
    if not CORPUS.is_file():
        print(f"skipped: {CORPUS} is absent (the benchmark needs ../shared)")
        return 0
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        found = run(args.base, args.add, args.workers, args.keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            found = run(args.base, args.add, args.workers, Path(tmp))
    if args.json:
        print(json.dumps(found, indent=1))
    else:
        print(f"incremental: {args.base:,} articles in the store + {args.add:,} new "
              f"(workers {args.workers})")
        print(f"  the store of {args.base:,}     {found['base_seconds']:8.1f} s")
        print(f"  adding {args.add:,} to it        {found['incremental_seconds']:8.1f} s")
        print(f"  {args.base + args.add:,} from scratch     {found['scratch_seconds']:8.1f} s")
        print(f"  ratio {found['ratio']:.3f} (floor {FLOOR:.2f} at 10,000 + 500)")
        for stage, counts in found["incremental_work"].items():
            print(f"    {stage}: computed {counts['computed']:,} of {counts['groups']:,} groups")
        for name in ("incremental_stages", "scratch_stages"):
            stages = ", ".join(f"{k} {v:.1f}" for k, v in found[name].items())
            print(f"  {name.replace('_', ' ')} (s): {stages}")
        print(f"  tables equal: {found['tables_equal']}"
              + (f" (differ: {', '.join(found['tables_differing'])})"
                 if found["tables_differing"] else ""))
        print(f"  analysis.json equal: {found['json_equal']}")
    return 0 if found["tables_equal"] and found["json_equal"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
