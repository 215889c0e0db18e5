"""Fit the containment model of the claims step (``link/data/claim_pairs.json``) on the
AllSides proposition gold.

Pairs: every two claims of different articles of one gold group whose MiniLM cosine reaches
the claims step's ``PROPOSITION_COSINE`` (the only pairs the step judges), plus each claim's
nearest claims of other groups' articles (different stories: negatives). Label: both claims
matched to gold units with the same proposition id; pairs with a claim the gold calls no
claim (or that matches no unit) are left out. Features: :data:`containment.FEATURES`.

Three logistic regressions (scikit-learn, C = 1, fixed solver): on the pairs of gold groups a
and b (``ab``), of c and d (``cd``), and of all groups (``all``, the product's). Each model's
threshold on ``max(MSRP probability, containment probability)`` is chosen for the pairwise
F1 of the claim clusters (complete linkage, as the claims step cuts them) on the groups it
was fitted on, never on the other half: the benchmark scores half ab with model ``cd`` and
half cd with model ``ab`` (``benchmarks/proposition_gold.py``).

Usage: ``python benchmarks/claim_pairs.py [--store DIR] [--write]`` (``DIR``: an analysis of
the gold articles, e.g. kept from ``proposition_gold.py``; without it they are analysed).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import warnings
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proposition_gold as pg  # noqa: E402

THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.42)
OUT = pg.ROOT / "src" / "sourcetrace" / "link" / "data" / "claim_pairs.json"


def half(group: str) -> str:
    return "ab" if group[0] in "ab" else "cd"


def load_pairs(store_dir: Path, gold: list[dict[str, Any]]) -> dict[str, Any]:
    import duckdb

    from sourcetrace.link import claims as claims_step
    from sourcetrace.link import containment, propositions
    from sourcetrace.link.embeddings import embed
    from sourcetrace.link.matching import ClaimSet

    con = duckdb.connect(str(store_dir / "sourcetrace.duckdb"), read_only=True)
    rows = con.execute(
        'SELECT c.id, c.doc, c.text, c.start, c."end", a.content_text, a.content_start, '
        "a.content_spans FROM claims c LEFT JOIN attributions a ON a.id = c.attribution "
        "ORDER BY c.id").fetchall()
    context = {
        table: con.execute(f'SELECT doc, start, "end", {", ".join(columns)} FROM {table}'
                           + claims_step.CONTEXT_FILTERS.get(table, "")).fetchall()
        for table, columns in claims_step.CONTEXT_COLUMNS.items()
    }
    con.close()
    # compared as the claims step compares them: a split quote without its cue pieces
    claims = [claims_step.Claim(
        doc=d, text=t, start=s, end=e, sentence=None, id=i,
        said=claims_step.said_text({"content_text": ct, "content_start": cs,
                                    "content_spans": sp}) if ct is not None else "")
        for i, d, t, s, e, ct, cs, sp in rows]
    claims_step.attach_context(claims, context)
    claimset = ClaimSet([c.info for c in claims],  # type: ignore[misc]
                        embed([c.compared for c in claims]))
    matched = pg.match_units(gold, [{"id": c.id, "doc": c.doc, "start": c.start, "end": c.end}
                                    for c in claims])
    position = {c.id: k for k, c in enumerate(claims)}
    unit: dict[int, int] = {}
    for k, c in sorted(matched.items()):
        unit.setdefault(position[c["id"]], k)
    group_of = {g["article"]: g["group"] for g in gold}
    docs = [c.doc for c in claims]
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        by_group[group_of[d]].append(i)
    pairs = {(i, j) for m in by_group.values() for i, j in combinations(m, 2)
             if docs[i] != docs[j]}
    pairs |= claimset.candidates()
    left, right = (np.array(x, dtype=int) for x in zip(*sorted(pairs), strict=True))
    cosine = np.einsum("ij,ij->i", claimset.vectors[left], claimset.vectors[right])
    keep = cosine >= claims_step.PROPOSITION_COSINE
    left, right = left[keep], right[keep]
    prop = {i: gold[k]["proposition"] for i, k in unit.items()}
    known = np.array([bool(prop.get(i)) and bool(prop.get(j)) for i, j in zip(left, right,
                                                                            strict=True)])
    y = np.array([known[k] and prop[i] == prop[j]
                  for k, (i, j) in enumerate(zip(left, right, strict=True))], dtype=int)
    halves = np.array([half(group_of[docs[i]]) if half(group_of[docs[i]]) ==
                       half(group_of[docs[j]]) else "x" for i, j in zip(left, right,
                                                                          strict=True)])
    msrp = propositions.same_probability(claimset, left, right, align=claims_step.ALIGN_TOKENS)
    return {"claims": claims, "claimset": claimset, "matched": matched, "left": left,
            "right": right, "y": y, "known": known, "halves": halves, "msrp": msrp,
            "x": containment.features(claimset, left, right)}


def clusters(data: dict[str, Any], p: np.ndarray, threshold: float) -> dict[int, int]:
    """Claim index -> cluster (its smallest member): complete linkage inside the connected
    components of the pairs whose probability ``p`` reaches ``threshold``."""
    import networkx as nx

    from sourcetrace.link.claims import complete_linkage

    probability = {(int(i), int(j)): float(v)
                   for i, j, v in zip(data["left"], data["right"], p, strict=True)}
    graph = nx.Graph()
    graph.add_nodes_from(range(len(data["claims"])))
    graph.add_edges_from(k for k, v in probability.items() if v >= threshold)
    label: dict[int, int] = {}
    for comp in nx.connected_components(graph):
        members = sorted(comp)
        sim = np.eye(len(members))
        for a, b in combinations(range(len(members)), 2):
            sim[a, b] = sim[b, a] = probability.get((members[a], members[b]), 0.0)
        for group in complete_linkage(members, sim, threshold):
            label.update({m: min(group) for m in group})
    return label


def cluster_f1(data: dict[str, Any], p: np.ndarray, threshold: float,
               gold: list[dict[str, Any]], part: set[str]) -> float:
    """Pairwise F1 on the gold groups of ``part`` of the clusters that complete linkage
    cuts from the pairs reaching ``threshold``."""
    claims = data["claims"]
    label = clusters(data, p, threshold)
    position = {c.id: k for k, c in enumerate(claims)}
    sub = [k for k, g in enumerate(gold) if half(g["group"]) in part]
    units = [gold[k] for k in sub]
    labels = {n: label[position[data["matched"][k]["id"]]] for n, k in enumerate(sub)
              if k in data["matched"]}
    return pg.pairwise(units, labels, "proposition")["f1"]


def fit(data: dict[str, Any], gold: list[dict[str, Any]], part: set[str]) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    from sourcetrace.link import containment

    rows = data["known"] & np.isin(data["halves"], sorted(part))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = LogisticRegression(C=1.0, max_iter=5000).fit(data["x"][rows], data["y"][rows])
    model = containment.Model(clf.coef_[0].tolist(), float(clf.intercept_[0]), 0.5)
    scores = {}
    for threshold in THRESHOLDS:
        model.threshold = threshold
        p = containment.combined_probability(data["claimset"], data["left"], data["right"],
                                             data["msrp"], model)
        scores[threshold] = cluster_f1(data, p, threshold, gold, part)
    model.threshold = max(scores, key=lambda t: (scores[t], -t))
    print(f"model {''.join(sorted(part))}: {int(data['y'][rows].sum())} same of {rows.sum()} "
          f"pairs; pairwise F1 on its own groups by threshold "
          + ", ".join(f"{t}: {f:.3f}" for t, f in scores.items())
          + f" -> {model.threshold}")
    return model.as_dict()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="an analysis of the gold articles")
    parser.add_argument("--write", action="store_true", help=f"write {OUT}")
    args = parser.parse_args()
    if not pg.ARTICLES.exists():
        print(f"skipped: {pg.ARTICLES} not found (set SOURCETRACE_SHARED)")
        return 0
    from sourcetrace.link import containment

    gold = pg.load_gold(None)
    with tempfile.TemporaryDirectory() as tmp:
        store_dir = (args.store if args.store is not None
                     else pg.analyse_gold(gold, Path(tmp))[0])
        data = load_pairs(store_dir, gold)
    models = {"ab": fit(data, gold, {"ab"}), "cd": fit(data, gold, {"cd"}),
              "all": fit(data, gold, {"ab", "cd"})}
    weights = {"features": list(containment.FEATURES), "models": models,
               "trained_on": "AllSides proposition gold (benchmarks/gold/propositions.jsonl), "
                             "cross-document claim pairs at MiniLM cosine >= 0.45; "
                             "ab: groups a, b; cd: groups c, d; all: every group"}
    if args.write:
        OUT.write_text(json.dumps(weights, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
