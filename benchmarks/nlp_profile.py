"""Where one NLP worker's time goes: the spaCy pipeline, each extractor, the rows, the IPC.

    python benchmarks/nlp_profile.py [-n 100] [--rows OUT.pkl] [--cprofile OUT.prof]

Takes the first N AllSides articles of ``../shared`` (those ``make bench`` takes), ingests them
as the CLI does, and runs what one NLP worker runs (``analyze_documents``) in this process, with
each pipeline component timed over the whole input (components run one after another over
every doc, batch by batch, as ``nlp.pipe`` runs them), then each row exporter, then the pickling
of the results a worker sends back to the main process. ``--rows`` writes every row of every
document to a file, to check that a change leaves the output identical (``--compare A B``).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "datasets" / "allsides" / "articles.jsonl.gz"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import take  # noqa: E402  (the same first-N selection)


def documents(n: int) -> list[Any]:
    from sourcetrace.ingest import iter_inputs
    from sourcetrace.model import Document

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sample.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in take(n)), encoding="utf-8")
        return [d for d in iter_inputs([path]) if isinstance(d, Document)]


def timed_run(docs_in: list[Any], batch_size: int) -> tuple[dict[str, float], list[Any]]:
    """Every component over every doc, timed per component; then each exporter; then pickling.
    CPU seconds of this process (``time.process_time``): the machine is shared, and CPU time
    is what other jobs disturb least."""
    from sourcetrace.nlp.pipeline import load_pipeline, make_doc
    from sourcetrace.registry import row_exporters

    seconds: dict[str, float] = defaultdict(float)
    t = time.process_time()
    nlp = load_pipeline()
    seconds["load pipeline (start-up)"] += time.process_time() - t
    # Components load their data (gazetteer, knowledge base, models) on the first doc, once
    # per worker process: timed apart from the per-document cost.
    t = time.process_time()
    for _ in nlp.pipe([make_doc(nlp, docs_in[0])]):
        pass
    seconds["first doc (components' lazy loads)"] += time.process_time() - t
    results = []
    for at in range(0, len(docs_in), batch_size):
        batch = docs_in[at : at + batch_size]
        t = time.process_time()
        docs = [make_doc(nlp, d) for d in batch]
        seconds["tokenizer"] += time.process_time() - t
        for name, proc in nlp.pipeline:
            t = time.process_time()
            if hasattr(proc, "pipe"):
                docs = list(proc.pipe(docs, batch_size=batch_size))
            else:
                docs = [proc(doc) for doc in docs]
            seconds[f"pipe {name}"] += time.process_time() - t
        for doc in docs:
            rows: dict[str, list] = {}
            for key, exporter in row_exporters.ordered():
                t = time.process_time()
                for table, items in exporter(doc, doc._.st_document).items():
                    rows.setdefault(table, []).extend(items)
                seconds[f"rows {key}"] += time.process_time() - t
            results.append((doc._.st_document, rows))
    t = time.process_time()
    payload = pickle.dumps((results, []), protocol=pickle.HIGHEST_PROTOCOL)
    seconds["pickle results (IPC)"] += time.process_time() - t
    seconds["IPC bytes (MB, not s)"] = len(payload) / 1e6
    return seconds, results


def comparable(results: list[Any]) -> dict[str, Any]:
    return {doc.id: rows for doc, rows in results}


def compare(a: Path, b: Path) -> int:
    left = pickle.loads(a.read_bytes())
    right = pickle.loads(b.read_bytes())
    bad = 0
    for doc in sorted(set(left) | set(right)):
        ra, rb = left.get(doc, {}), right.get(doc, {})
        for table in sorted(set(ra) | set(rb)):
            if ra.get(table) != rb.get(table):
                bad += 1
                print(f"differs: {doc} {table}: {len(ra.get(table, []))} vs "
                      f"{len(rb.get(table, []))} rows")
    n_rows = sum(len(v) for rows in left.values() for v in rows.values())
    print(f"{len(left)} documents, {n_rows} rows: "
          + ("identical" if not bad else f"{bad} tables differ"))
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100, help="articles (default 100)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rows", type=Path, help="write every document's rows here (pickle)")
    parser.add_argument("--cprofile", type=Path, help="also write a cProfile of the run here")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("A", "B"),
                        help="compare two --rows files and exit")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    if not CORPUS.is_file():
        print(f"skipped: {CORPUS} is absent (the benchmark needs ../shared)")
        return 0
    t = time.perf_counter()
    import sourcetrace.nlp.pipeline  # noqa: F401 - the imports a worker pays for once

    imports = time.perf_counter() - t
    docs_in = documents(args.n)
    words = sum(len(d.text.split()) for d in docs_in)
    profiler = None
    if args.cprofile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    seconds, results = timed_run(docs_in, args.batch_size)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(args.cprofile))
    if args.rows:
        args.rows.write_bytes(pickle.dumps(comparable(results)))
    mb = seconds.pop("IPC bytes (MB, not s)")
    startup = seconds.pop("load pipeline (start-up)")
    first = seconds.pop("first doc (components' lazy loads)")
    total = sum(seconds.values())
    print(f"articles: {len(docs_in)}, words: {words:,}; imports {imports:.1f} s (wall), "
          f"pipeline load {startup:.1f} s, first doc {first:.1f} s (lazy loads; once per worker)")
    print(f"{'what':34}{'CPU s':>9}{'share':>8}")
    for name, s in seconds.items():
        print(f"{name:34}{s:>9.2f}{s / total:>8.1%}")
    print(f"{'total (one process)':34}{total:>9.2f}  {words / total:,.0f} words/s; "
          f"results pickled: {mb:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
