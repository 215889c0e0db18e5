"""The Spark engine against the local engine, same articles, same run (`make bench-spark`).

    python benchmarks/spark.py [--sizes 500,1000,2000] [--skip-local] [--master 'local[2]']

Takes the first articles of ../shared/datasets/allsides/articles.jsonl.gz (50 words or more),
writes each size's subset to a temporary JSONL file and runs ``sourcetrace analyze`` on it as a
user would (a fresh process: model and JVM start-up included):

* Spark (``--engine spark --spark-master MASTER``) at every size: wall time, docs/s and words/s,
  and the marginal rate between sizes (start-up cancels out), to see how throughput grows;
  near-linear scaling means roughly constant docs/s.
* the local engine (baseline) at the largest size, with as many worker processes as the Spark
  master has cores: wall-time ratio Spark / local (floor: 1.5) and the results compared table
  by table (sorted rows, floats rounded): OK or DIFF with row counts, and for a DIFF a few of
  the rows found in one run only.

The largest size runs first (Spark, then the local engine, then the comparison), so that the
figures that decide the floor come first on a slow machine; the smaller Spark runs follow.
Each run's per-stage seconds (``analyze --json``) are printed as it ends.
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import take  # noqa: E402  (the same first-N selection)

FLOOR = 1.5  # Spark's wall time may be at most this many times the local engine's




def analyze(path: Path, out: Path, engine: list[str]) -> tuple[float, dict[str, Any]]:
    """Wall time of one ``sourcetrace analyze`` process and its JSON summary."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", SPARK_LOCAL_IP="127.0.0.1",
               PYSPARK_PYTHON=sys.executable)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sourcetrace", "analyze", str(path), "--out", str(out),
         "--no-report", "--format", "json,parquet", "--json", *engine],
        capture_output=True, text=True, env=env, check=False,
    )
    seconds = time.perf_counter() - t0
    # The summary is the last JSON object on stdout (a library may print lines before it).
    start = proc.stdout.rfind("\n{")
    text = proc.stdout[start + 1:] if start >= 0 else proc.stdout
    if proc.returncode not in (0, 1) or not text.startswith("{"):
        # The Python side of the error, not the JVM's stack frames that end the message.
        lines = [ln for ln in proc.stderr.splitlines()
                 if not ln.lstrip().startswith("at ") and "WARN" not in ln]
        sys.stderr.write(proc.stdout[-2000:] + "\n".join(lines)[-6000:] + "\n")
        (path.parent / f"failed-{out.name}.stderr").write_text(proc.stderr)
        raise SystemExit(f"analyze {' '.join(engine)} failed ({proc.returncode})")
    return seconds, json.loads(text)


def cores(master: str) -> int:
    found = re.fullmatch(r"local\[(\d+|\*)\]", master)
    if found and found.group(1) != "*":
        return int(found.group(1))
    return os.cpu_count() or 1


def show_stages(summary: dict[str, Any]) -> None:
    stages = summary.get("stages") or {}
    if stages:
        print("    stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()), flush=True)


def diff_examples(a: Path, b: Path, table: str, limit: int = 3) -> list[str]:
    """A few rows of ``table`` that only one of two runs has, for a DIFF line."""
    from collections import Counter

    from sourcetrace.engines.spark import table_rows
    from sourcetrace.outputs.store import AnalysisStore

    with AnalysisStore(a, read_only=True) as sa, AnalysisStore(b, read_only=True) as sb:
        ra, rb = Counter(table_rows(sa, table)), Counter(table_rows(sb, table))
    only_a, only_b = list((ra - rb).elements()), list((rb - ra).elements())
    return ([f"local only: {str(r)[:300]}" for r in only_a[:limit]]
            + [f"spark only: {str(r)[:300]}" for r in only_b[:limit]])


def report_local(
    base: Path, largest: int, workers: int, local: tuple[float, dict[str, Any]],
    spark_seconds: float,
) -> int:
    """The local engine against Spark at the largest size: wall-time ratio and tables.
    Returns 1 when the results differ or the ratio is above the floor."""
    from sourcetrace.engines.spark import compare_stores

    l_seconds, l_summary = local
    print(f"\nlocal engine, --workers {workers}: {l_summary['analysed']} docs, "
          f"{l_seconds:.1f} s, {l_summary['analysed'] / l_seconds:.2f} docs/s, "
          f"{l_summary['words'] / l_seconds:,.0f} words/s")
    ratio = spark_seconds / l_seconds
    verdict = "OK" if ratio <= FLOOR else "ABOVE FLOOR"
    print(f"wall time Spark / local at {largest}: {ratio:.2f} (floor {FLOOR}): {verdict}")
    print("\nresults, local vs Spark (rows local / Spark / rows in one only):")
    local_dir, spark_dir = base / f"local-{largest}", base / f"spark-{largest}"
    diff = compare_stores(local_dir, spark_dir)
    for table, (a, b, differ) in diff.items():
        print(f"  {'OK  ' if not differ else 'DIFF'} {table:16}{a:>8}{b:>8}{differ:>8}")
        if differ:
            for line in diff_examples(local_dir, spark_dir, table):
                print(f"      {line}")
    same = not any(d for _, _, d in diff.values())
    print("identical results" if same else "RESULTS DIFFER", flush=True)
    return 0 if same and ratio <= FLOOR else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="500,1000,2000",
                        help="articles per Spark run, comma-separated (default 500,1000,2000)")
    parser.add_argument("--skip-local", action="store_true",
                        help="no local-engine baseline (and no comparison)")
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    parser.add_argument("--local-workers", type=int, default=0,
                        help="local engine processes (default: the master's cores)")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not CORPUS.is_file():
        print(f"skipped: {CORPUS} is absent (the benchmark needs ../shared)")
        return 0

    rows = take(max(sizes))
    if len(rows) < max(sizes):
        print(f"only {len(rows)} articles of 50+ words; sizes capped")
    workers = args.local_workers or cores(args.master)
    by_size: dict[int, tuple[int, int, float]] = {}  # n -> (docs, words, seconds)
    status = 0
    largest = sizes[-1]
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        base = Path(tmp)
        for n in sizes:
            path = base / f"articles-{n}.jsonl"
            path.write_text("\n".join(json.dumps(r) for r in rows[:n]) + "\n", encoding="utf-8")
        # Largest first: Spark, the local engine and the comparison; then the growth runs.
        for n in [largest, *sizes[:-1]]:
            seconds, summary = analyze(
                base / f"articles-{n}.jsonl", base / f"spark-{n}",
                ["--engine", "spark", "--spark-master", args.master],
            )
            by_size[n] = (summary["analysed"], summary["words"], seconds)
            print(f"spark {args.master} {summary['analysed']:>5} docs: {seconds:7.1f} s",
                  flush=True)
            show_stages(summary)
            if n == largest and not args.skip_local:
                local = analyze(base / f"articles-{largest}.jsonl", base / f"local-{largest}",
                                ["--workers", str(workers)])
                print(f"local --workers {workers} {local[1]['analysed']:>5} docs: "
                      f"{local[0]:7.1f} s", flush=True)
                show_stages(local[1])
                status |= report_local(base, largest, workers, local, seconds)

        spark_runs = [by_size[n] for n in sizes]
        print(f"\nSpark {args.master}, fresh process per run (JVM and model start-up included)")
        print(f"{'docs':>6}{'words':>11}{'seconds':>9}{'docs/s':>8}{'words/s':>9}"
              f"{'marginal docs/s':>17}")
        prev: tuple[int, int, float] | None = None
        for docs, words, seconds in spark_runs:
            marginal = ""
            if prev is not None and seconds > prev[2]:
                marginal = f"{(docs - prev[0]) / (seconds - prev[2]):.2f}"
            print(f"{docs:>6}{words:>11,}{seconds:>9.1f}{docs / seconds:>8.2f}"
                  f"{words / seconds:>9,.0f}{marginal:>17}")
            prev = (docs, words, seconds)
        if len(spark_runs) > 1:
            first, last = spark_runs[0], spark_runs[-1]
            growth = (last[0] / last[2]) / (first[0] / first[2])
            print(f"docs/s at {last[0]} / docs/s at {first[0]}: {growth:.2f} "
                  "(1.0 = linear; above 1: fixed start-up amortised)", flush=True)
    return status

if __name__ == "__main__":
    raise SystemExit(main())
