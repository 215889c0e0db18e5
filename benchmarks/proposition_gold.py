"""Claim clusters and narratives against a hand-made proposition gold on AllSides.

Gold: ``benchmarks/gold/propositions.jsonl`` (how it was made: ``docs/benchmarks.md``): 20
same-story groups of 3 AllSides articles from 3 outlets; every claim unit of those articles
(as the claims step cut them) labelled by reading with a proposition id and a narrative id,
or ``null`` when the unit is not a claim (page furniture, a question). Only article ids,
offsets and labels are stored, never text; the articles are read from
``../shared/datasets/allsides``.

The 60 articles are analysed together as one corpus (so false merges across groups count),
then every claim of the run is matched to the gold unit of its article that it overlaps most
(at least half of the shorter of the two). Scored over the labelled units:

* **proposition pairs**: precision, recall and F1 over the cross-document pairs of units
  (gold: same proposition id; predicted: same claim cluster);
* **B-cubed F1** of the claim clusters against the propositions, and of the narratives
  against the gold narratives.

Beside it, from the same run: the clustering the claims step used before propositions
(the hand-weighted matching score of :mod:`sourcetrace.link.matching` linked at
``MATCH_THRESHOLD``, components cut by average linkage, groups of one document dropped),
recomputed here over the same claims, and scored as clusters and as narratives.

Speed (``--speed N``): the first N AllSides articles are analysed once, then the claims step
is timed on copies of that store twice in the same run: as it was before propositions (commit
``BEFORE``, checked out in a temporary git worktree) and as it is now, each in a fresh
process (model loading included in both).

Usage: ``python benchmarks/proposition_gold.py [--store DIR] [--groups a,b] [--speed N]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SOURCETRACE_SHARED", ROOT.parent / "shared"))
ARTICLES = SHARED / "datasets" / "allsides" / "articles.jsonl.gz"
GOLD = ROOT / "benchmarks" / "gold" / "propositions.jsonl"
# The last commit whose claims step clustered stories rather than propositions.
BEFORE = "fe88f44"
# The last commit before the containment model (link/containment.py).
BASE = "e2067c9"
FLOORS = {"pairwise_f1": 0.75, "pairwise_gain": 0.15, "narrative_bcubed_f1": 0.70}


def load_gold(groups: set[str] | None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if groups is None or r["group"].split("-")[0] in groups]


def write_articles(ids: set[str], path: Path) -> None:
    found = 0
    with gzip.open(ARTICLES, "rt", encoding="utf-8") as src, path.open("w") as out:
        for line in src:
            article = json.loads(line)
            if article["id"] in ids:
                out.write(json.dumps(article) + "\n")
                found += 1
    if found != len(ids):
        sys.exit(f"{ARTICLES}: {len(ids) - found} gold articles not found")


def analyse(inputs: Path, out: Path) -> dict[str, float]:
    from sourcetrace.config import Settings
    from sourcetrace.engines.local import run_analysis

    result = run_analysis([inputs], Settings(out=out, formats=()))
    return result.stages


def analyse_gold(gold: list[dict[str, Any]], tmp: Path) -> tuple[Path, dict[str, float]]:
    """The gold's articles analysed into ``tmp/out``: the store and its stage seconds."""
    inputs = tmp / "gold-articles.jsonl"
    write_articles({g["article"] for g in gold}, inputs)
    store = tmp / "out"
    return store, analyse(inputs, store)


def match_units(
    gold: list[dict[str, Any]], claims: list[dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Gold unit index -> the claim of the run that overlaps it most (at least half of the
    shorter span)."""
    by_article: dict[str, list[int]] = defaultdict(list)
    for k, g in enumerate(gold):
        by_article[g["article"]].append(k)
    best: dict[int, tuple[int, dict[str, Any]]] = {}
    for c in claims:
        for k in by_article.get(c["doc"], []):
            g = gold[k]
            shared = min(g["end"], c["end"]) - max(g["start"], c["start"])
            shorter = min(g["end"] - g["start"], c["end"] - c["start"])
            if shared > 0 and shared * 2 >= shorter and shared > best.get(k, (0, {}))[0]:
                best[k] = (shared, c)
    return {k: c for k, (_, c) in best.items()}


def pairwise(gold: list[dict[str, Any]], labels: dict[int, str], key: str) -> dict[str, float]:
    """Precision/recall/F1 over cross-document pairs of labelled gold units."""
    units = [k for k, g in enumerate(gold) if g[key]]
    tp = fp = fn = 0
    for a, b in combinations(units, 2):
        if gold[a]["article"] == gold[b]["article"]:
            continue
        same = gold[a][key] == gold[b][key]
        predicted = a in labels and b in labels and labels[a] == labels[b]
        tp += same and predicted
        fp += predicted and not same
        fn += same and not predicted
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "gold_pairs": tp + fn}


def bcubed(gold: list[dict[str, Any]], labels: dict[int, str], key: str) -> dict[str, float]:
    """B-cubed precision/recall/F1 over labelled gold units (an unmatched unit is a
    singleton of its own)."""
    units = [k for k, g in enumerate(gold) if g[key]]
    predicted = {k: labels.get(k, f"unmatched:{k}") for k in units}
    by_pred: dict[str, set[int]] = defaultdict(set)
    by_gold: dict[str, set[int]] = defaultdict(set)
    for k in units:
        by_pred[predicted[k]].add(k)
        by_gold[gold[k][key]].add(k)
    precision = recall = 0.0
    for k in units:
        mine, truth = by_pred[predicted[k]], by_gold[gold[k][key]]
        shared = len(mine & truth)
        precision += shared / len(mine)
        recall += shared / len(truth)
    p, r = precision / len(units), recall / len(units)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def previous_clusters(store_dir: Path) -> dict[str, str]:
    """Claim id -> cluster of the clustering the claims step used before propositions,
    recomputed over the claims of the store (all cross-document pairs scored)."""
    import duckdb
    from sklearn.cluster import AgglomerativeClustering

    from sourcetrace.link import claims as claims_step
    from sourcetrace.link import matching
    from sourcetrace.link.matching import ClaimSet

    con = duckdb.connect(str(store_dir / "sourcetrace.duckdb"), read_only=True)
    rows = con.execute('SELECT id, doc, text, start, "end" FROM claims ORDER BY id').fetchall()
    claims = [claims_step.Claim(doc=d, text=t, start=s, end=e, sentence=None, id=i)
              for i, d, t, s, e in rows]
    context = {
        table: con.execute(
            f'SELECT doc, start, "end", {", ".join(columns)} FROM {table}'
        ).fetchall()
        for table, columns in claims_step.CONTEXT_COLUMNS.items()
    }
    con.close()
    claims_step.attach_context(claims, context)
    claimset = ClaimSet([c.info for c in claims])  # type: ignore[misc]
    n = len(claims)
    scores = claimset.scores(np.arange(n), np.arange(n))
    docs = np.array([c.doc for c in claims])
    linked = (scores >= matching.MATCH_THRESHOLD) & (docs[:, None] != docs[None, :])
    import networkx as nx

    graph = nx.Graph(zip(*np.nonzero(np.triu(linked)), strict=True))
    out: dict[str, str] = {}
    for comp in nx.connected_components(graph):
        members = sorted(comp)
        if len(members) == 2:
            parts = [members]
        else:
            sub = scores[np.ix_(members, members)]
            distance = np.clip(1.0 - (sub + sub.T) / 2, 0.0, None)
            np.fill_diagonal(distance, 0.0)
            labels = AgglomerativeClustering(
                n_clusters=None, metric="precomputed", linkage="average",
                distance_threshold=1.0 - matching.CLUSTER_THRESHOLD,
            ).fit_predict(distance)
            grouped: dict[int, list[int]] = defaultdict(list)
            for m, label in zip(members, labels, strict=True):
                grouped[int(label)].append(m)
            parts = list(grouped.values())
        for part in parts:
            if len({docs[m] for m in part}) > 1:
                for m in part:
                    out[claims[m].id] = f"old:{min(part)}"
    return out


_TIME_STEP = (
    "import sys, time\n"
    "from sourcetrace.config import Settings\n"
    "from sourcetrace.link.claims import claims_step\n"
    "from sourcetrace.outputs.store import AnalysisStore\n"
    "started = time.perf_counter()\n"
    "with AnalysisStore(sys.argv[1]) as store:\n"
    "    claims_step(store, Settings(out=sys.argv[1], quiet=True))\n"
    "print(time.perf_counter() - started)\n"
)


def time_claims_step(src: Path, store_dir: Path) -> float:
    """Seconds of the claims step of the code in ``src`` on a copy of ``store_dir``."""
    import shutil
    import subprocess

    import duckdb

    copy = store_dir.parent / f"{store_dir.name}-{src.parent.name}"
    shutil.copytree(store_dir, copy)
    # the step is timed from scratch: no per-group results kept from the analysis
    con = duckdb.connect(str(copy / "sourcetrace.duckdb"))
    con.execute("DROP SCHEMA IF EXISTS memo CASCADE")
    con.close()
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", _TIME_STEP, str(copy)], env=env, check=True,
                          capture_output=True, text=True)
    shutil.rmtree(copy)
    return float(done.stdout.strip().splitlines()[-1])


def speed(n: int, tmp: Path, store_dir: Path | None = None) -> None:
    """Times the claims step on the first ``n`` AllSides articles (analysed here unless
    ``store_dir`` holds such an analysis): at ``BEFORE`` (before propositions), at ``BASE``
    (before the containment model) and now."""
    import subprocess

    if store_dir is None:
        inputs = tmp / "speed.jsonl"
        with gzip.open(ARTICLES, "rt", encoding="utf-8") as src, inputs.open("w") as out:
            for k, line in enumerate(src):
                if k >= n:
                    break
                out.write(line)
        store_dir = tmp / "speed"
        started = time.perf_counter()
        analyse(inputs, store_dir)
        print(f"speed: {n} AllSides articles analysed in {time.perf_counter() - started:.0f} s")
    seconds = {}
    for commit in (BEFORE, BASE):
        tree = tmp / f"at-{commit}"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                        commit], check=True, capture_output=True)
        try:
            seconds[commit] = time_claims_step(tree / "src", store_dir)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)
    now = time_claims_step(ROOT / "src", store_dir)
    print(f"claims step on {n} articles: before propositions ({BEFORE}) {seconds[BEFORE]:.1f} "
          f"s, before the containment model ({BASE}) {seconds[BASE]:.1f} s, now {now:.1f} s "
          f"(ratio to {BASE} {now / seconds[BASE]:.2f})")


def read_claims(store_dir: Path) -> list[dict[str, Any]]:
    """Claims of a store with their cluster and narrative."""
    import duckdb

    con = duckdb.connect(str(store_dir / "sourcetrace.duckdb"), read_only=True)
    claims = [dict(zip(("id", "doc", "start", "end", "cluster", "narrative"), r, strict=True))
              for r in con.execute(
                  'SELECT c.id, c.doc, c.start, c."end", c."cluster", k.narrative '
                  'FROM claims c LEFT JOIN claim_clusters k ON k.id = c."cluster"'
              ).fetchall()]
    con.close()
    return claims


def _half(group: str) -> str:
    return "ab" if group[0] in "ab" else "cd"


def rerun_claims(store_dir: Path, fold: str, tmp: Path) -> list[dict[str, Any]]:
    """The claims step run again on a copy of the store with the containment model fitted
    on gold half ``fold`` (``link/data/claim_pairs.json``), in a fresh process."""
    import shutil
    import subprocess

    from sourcetrace.link.containment import FOLD_VARIABLE

    copy = tmp / f"fold-{fold}"
    shutil.copytree(store_dir, copy)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), FOLD_VARIABLE: fold}
    subprocess.run([sys.executable, "-c", _TIME_STEP, str(copy)], env=env, check=True,
                   capture_output=True, text=True)
    claims = read_claims(copy)
    shutil.rmtree(copy)
    return claims


def _met(value: float, floor: str) -> str:
    return "met" if value >= FLOORS[floor] else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="an analysis of the gold articles to reuse")
    parser.add_argument("--groups", help="gold parts to score, e.g. a,b (default: all)")
    parser.add_argument("--speed", type=int, default=0, metavar="N",
                        help="also time the claims step before/after on N AllSides articles")
    parser.add_argument("--speed-store", type=Path,
                        help="an analysis of the first N AllSides articles to time on")
    args = parser.parse_args()
    if not ARTICLES.exists():
        print(f"skipped: {ARTICLES} not found (set SOURCETRACE_SHARED)")
        return 0
    gold = load_gold(set(args.groups.split(",")) if args.groups else None)

    with tempfile.TemporaryDirectory() as tmp:
        store_dir = args.store
        stages: dict[str, float] = {}
        if store_dir is None:
            started = time.perf_counter()
            store_dir, stages = analyse_gold(gold, Path(tmp))
            print(f"analysed {len({g['article'] for g in gold})} articles in "
                  f"{time.perf_counter() - started:.1f} s (claims step "
                  f"{stages.get('link:claims', 0):.1f} s)")
        claims = read_claims(store_dir)
        matched = match_units(gold, claims)
        old = previous_clusters(store_dir)
        # each half of the gold scored with the containment model fitted on the other half
        held: dict[int, dict[str, Any]] = {}
        for fold, scored in (("ab", "cd"), ("cd", "ab")):
            started = time.perf_counter()
            by_id = {c["id"]: c for c in rerun_claims(store_dir, fold, Path(tmp))}
            print(f"claims step with the pair model fitted on groups {fold}: "
                  f"{time.perf_counter() - started:.1f} s")
            for k, c in matched.items():
                if _half(gold[k]["group"]) == scored and c["id"] in by_id:
                    mine = by_id[c["id"]]
                    held[k] = {"cluster": f"{fold}/{mine['cluster']}",
                               "narrative": f"{fold}/{mine['narrative']}"}

    stored = "store" if args.store else "in-sample (all)"
    labelled = [k for k, g in enumerate(gold) if g["proposition"]]
    print(f"gold: {len(gold)} units, {len(labelled)} claims, "
          f"{len({gold[k]['proposition'] for k in labelled})} propositions, "
          f"{len({gold[k]['narrative'] for k in labelled})} narratives; "
          f"{sum(k in matched for k in labelled)} matched to a claim of the run")
    systems = {
        "previous clustering": {k: old.get(c["id"], c["id"]) for k, c in matched.items()},
        "sourcetrace": {k: c["cluster"] for k, c in held.items()},
        stored: {k: c["cluster"] for k, c in matched.items()},
    }
    narratives = {
        "previous clustering": systems["previous clustering"],
        "sourcetrace": {k: c["narrative"] for k, c in held.items()},
        stored: {k: c["narrative"] for k, c in matched.items()},
    }
    print("sourcetrace: each half of the gold clustered with the pair model fitted on the "
          "other half (held out); in-sample (all): the shipped model, fitted on all of it"
          + ("; store: the clusters of the --store given" if args.store else ""))
    results: dict[str, dict[str, float]] = {}
    print(f"{'system':<22}{'pairs P':>9}{'R':>7}{'F1':>7}{'B3 F1':>8}{'narr. B3':>10}")
    for name, labels in systems.items():
        pairs = pairwise(gold, labels, "proposition")
        b3 = bcubed(gold, labels, "proposition")
        nb3 = bcubed(gold, narratives[name], "narrative")
        results[name] = {"pairwise_f1": pairs["f1"], "bcubed_f1": b3["f1"],
                         "narrative_bcubed_f1": nb3["f1"]}
        print(f"{name:<22}{pairs['precision']:>9.3f}{pairs['recall']:>7.3f}{pairs['f1']:>7.3f}"
              f"{b3['f1']:>8.3f}{nb3['f1']:>10.3f}")
    ours, before = results["sourcetrace"], results["previous clustering"]
    gain = ours["pairwise_f1"] - before["pairwise_f1"]
    print(f"floors: pairwise F1 >= {FLOORS['pairwise_f1']} "
          f"({'met' if ours['pairwise_f1'] >= FLOORS['pairwise_f1'] else 'MISSED'}), "
          f"gain >= {FLOORS['pairwise_gain']} ({gain:+.3f}: "
          f"{'met' if gain >= FLOORS['pairwise_gain'] else 'MISSED'}), narrative B3 F1 >= "
          f"{FLOORS['narrative_bcubed_f1']} "
          f"({_met(ours['narrative_bcubed_f1'], 'narrative_bcubed_f1')})")
    if args.speed:
        with tempfile.TemporaryDirectory() as tmp:
            speed(args.speed, Path(tmp), args.speed_store)
    print(f"sourcetrace: propositions pairwise F1 {ours['pairwise_f1']:.3f}, B-cubed F1 "
          f"{ours['bcubed_f1']:.3f}, narratives B-cubed F1 {ours['narrative_bcubed_f1']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
