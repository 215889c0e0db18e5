"""Where the claims step loses the proposition gold's pairs, and how its narratives are cut.

Reads an analysis of the 60 gold articles (``--store``, e.g. one made by
``proposition_gold.py``'s analysis; without it they are analysed here) and, each half of the
gold judged with the pair model fitted on the other half (as ``proposition_gold.py`` scores
it), sorts every cross-document same-proposition pair of the gold (:func:`miss_reason`):

* ``unmatched unit``: a unit of the pair has no claim of the run (claim-unit boundaries);
* ``below cosine``: MiniLM cosine under ``claims.PROPOSITION_COSINE`` (never judged);
* ``not a candidate``: not among either claim's nearest claims of other documents;
* ``judged different``: both decisions below their thresholds;
* ``vetoed (...)``: the containment model said "same" but a veto (numbers, negation, names,
  minimal pair) took it back;
* ``judged same, split``: linked, but complete linkage put the two apart (no chaining);
* ``found``: in one cluster.

The clusters are cut as ``claim_pairs.py`` cuts them (components of the linked pairs among
the within-group and candidate pairs, complete linkage), so the counts are those of the
step up to its candidate search. Then the false merges (linked pairs of two propositions),
and for narratives: how many the store has against the gold's, the largest narrative's share
of each group, and the B-cubed F1 of other cut-offs (``NARRATIVE_THRESHOLD`` x
``NARRATIVE_ADJACENT``) over the store's clusters, each chosen on one half and scored on
the other.

Usage: ``python benchmarks/proposition_errors.py [--store DIR]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from itertools import combinations, product
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import claim_pairs as cp  # noqa: E402
import proposition_gold as pg  # noqa: E402

NARRATIVE_GRID = {"threshold": (0.2, 0.25, 0.3, 0.35, 0.4, 0.5),
                  "adjacent": (0.0, 0.25, 0.5, 1.0)}


def held_out_links(data: dict[str, Any]) -> dict[str, tuple[float, np.ndarray]]:
    """Gold half -> (threshold, combined probability of every pair of ``data``) with the
    model fitted on the other half."""
    from sourcetrace.link import containment

    out = {}
    for train, test in (("ab", "cd"), ("cd", "ab")):
        model = containment.load_model(train)
        out[test] = (model.threshold, containment.combined_probability(
            data["claimset"], data["left"], data["right"], data["msrp"], model))
    return out


def miss_reason(data: dict[str, Any], i: int, j: int, threshold: float,
                p: float | None, together: bool) -> str:
    """Why the gold pair of claims (i, j) is or is not in one cluster (see the module)."""
    from sourcetrace.link import containment, propositions
    from sourcetrace.link.claims import PROPOSITION_COSINE

    if together:
        return "found"
    cset = data["claimset"]
    if float(cset.vectors[i] @ cset.vectors[j]) < PROPOSITION_COSINE:
        return "below cosine"
    if p is None:
        return "not a candidate"
    if p >= threshold:
        return "judged same, split"
    model = containment.load_model("cd" if data["half"] == "ab" else "ab")
    x = containment.features(cset, np.array([i]), np.array([j]))
    if model.probability(x)[0] < threshold:
        return "judged different"
    a, b = (containment._Text(cset.claims[m].text) for m in (i, j))
    why = [name for name, hit in (
        ("numbers", x[0, containment.FEATURES.index("numbers_sign")] == -1.0),
        ("negation", x[0, containment.FEATURES.index("negation_mismatch")] == 1.0),
        ("names", containment.names_missing(a, b)),
        ("minimal pair", bool(propositions.minimal_conflict(cset.claims[i], cset.claims[j]))),
    ) if hit]
    return f"vetoed ({', '.join(why) or 'other'})"


def pairs_report(data: dict[str, Any], gold: list[dict[str, Any]]) -> None:
    from sourcetrace.link import propositions

    position = {c.id: k for k, c in enumerate(data["claims"])}
    matched = data["matched"]
    links = held_out_links(data)
    labels = {half: cp.clusters(data, p, t) for half, (t, p) in links.items()}
    index = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(data["left"], data["right"],
                                                               strict=True))}
    reasons: dict[str, Counter[str]] = {"ab": Counter(), "cd": Counter()}
    units = [k for k, g in enumerate(gold) if g["proposition"]]
    for a, b in combinations(units, 2):
        ga, gb = gold[a], gold[b]
        if ga["article"] == gb["article"] or ga["proposition"] != gb["proposition"]:
            continue
        half = cp.half(ga["group"])
        if a not in matched or b not in matched:
            reasons[half]["unmatched unit"] += 1
            continue
        i, j = sorted((position[matched[a]["id"]], position[matched[b]["id"]]))
        threshold, p = links[half]
        k = index.get((i, j))
        data["half"] = half
        reasons[half][miss_reason(data, i, j, threshold, None if k is None else float(p[k]),
                                  labels[half][i] == labels[half][j])] += 1
    total = reasons["ab"] + reasons["cd"]
    print(f"gold cross-document same-proposition pairs: {total.total()} "
          "(each half judged by the other half's model)")
    for reason, n in total.most_common():
        print(f"  {reason:<28}{n:>5}  (ab {reasons['ab'][reason]}, cd {reasons['cd'][reason]})")
    unit = {}
    for k, c in sorted(matched.items()):
        unit.setdefault(position[c["id"]], k)
    wrong: Counter[str] = Counter()
    for half, (threshold, p) in links.items():
        for k in np.flatnonzero(p >= threshold):
            i, j = int(data["left"][k]), int(data["right"][k])
            if i not in unit or j not in unit or cp.half(gold[unit[i]]["group"]) != half:
                continue
            gi, gj = gold[unit[i]], gold[unit[j]]
            if gi["proposition"] and gj["proposition"] and gi["proposition"] != gj["proposition"]:
                msrp = ("MSRP" if data["msrp"][k] >= propositions.SAME_PROPOSITION
                        else "containment")
                narrative = "same" if gi["narrative"] == gj["narrative"] else "another"
                wrong[f"by {msrp}, {narrative} narrative"] += 1
    print(f"linked pairs of two gold propositions: {wrong.total()} "
          + ", ".join(f"{k} {n}" for k, n in sorted(wrong.items())))


def narrative_report(store: Path, data: dict[str, Any], gold: list[dict[str, Any]]) -> None:
    from sourcetrace.link import claims as claims_step

    stored = {c["id"]: c for c in pg.read_claims(store)}
    matched = pg.match_units(gold, list(stored.values()))
    labelled = [k for k, g in enumerate(gold) if g["proposition"]]
    predicted = {k: matched[k]["narrative"] for k in labelled if k in matched}
    b3 = pg.bcubed(gold, predicted, "narrative")
    print(f"narratives: gold {len({gold[k]['narrative'] for k in labelled})}, the store's "
          f"over the same units {len(set(predicted.values()))}; B3 P {b3['precision']:.3f} "
          f"R {b3['recall']:.3f} F1 {b3['f1']:.3f}")
    by_group: dict[str, list[int]] = defaultdict(list)
    for k in labelled:
        by_group[gold[k]["group"]].append(k)
    shares = [max(Counter(predicted.get(k, str(k)) for k in ks).values()) / len(ks)
              for ks in by_group.values()]
    truth = [max(Counter(gold[k]["narrative"] for k in ks).values()) / len(ks)
             for ks in by_group.values()]
    print(f"  largest narrative's share of its group's units: median {np.median(shares):.2f}, "
          f"max {max(shares):.2f} (gold: median {np.median(truth):.2f}, max {max(truth):.2f})")
    singles = sum(n == 1 for n in Counter(predicted.values()).values())
    print(f"  narratives of one unit: {singles} (gold: "
          f"{sum(n == 1 for n in Counter(gold[k]['narrative'] for k in labelled).values())})")
    claims = data["claims"]
    rows = [{"doc": c.doc, "n": int(c.id.rsplit(":c", 1)[1]),
             "cluster": stored[c.id]["cluster"]} for c in claims]
    names = sorted({r["cluster"] for r in rows}, key=claims_step._cluster_number)
    position = {c: k for k, c in enumerate(names)}
    vectors = data["claimset"].vectors
    at = {c.id: k for k, c in enumerate(claims)}
    saved = claims_step.NARRATIVE_ADJACENT
    scores = {}
    try:
        for threshold, adjacent in product(*NARRATIVE_GRID.values()):
            claims_step.NARRATIVE_ADJACENT = adjacent
            between = claims_step._cluster_similarity(rows, names, position, vectors)
            parts = claims_step.average_linkage(list(range(len(names))), between, threshold)
            of = {names[m]: min(part) for part in parts for m in part}
            scores[(threshold, adjacent)] = {
                half: pg.bcubed([gold[k] for k in ks], {
                    n: of[rows[at[matched[k]["id"]]]["cluster"]]
                    for n, k in enumerate(ks) if k in matched}, "narrative")["f1"]
                for half in ("ab", "cd")
                for ks in [[k for k in labelled if cp.half(gold[k]["group"]) == half]]}
    finally:
        claims_step.NARRATIVE_ADJACENT = saved
    for train, test in (("ab", "cd"), ("cd", "ab")):
        best = max(scores, key=lambda s: scores[s][train])
        now = scores.get((claims_step.NARRATIVE_THRESHOLD, saved), {}).get(test, float("nan"))
        print(f"  cut-off chosen on {train}: threshold {best[0]}, adjacent {best[1]} "
              f"({scores[best][train]:.3f}) -> {test} {scores[best][test]:.3f} "
              f"(current {now:.3f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="an analysis of the gold articles")
    args = parser.parse_args()
    if not pg.ARTICLES.exists():
        print(f"skipped: {pg.ARTICLES} not found (set SOURCETRACE_SHARED)")
        return 0
    gold = pg.load_gold(None)
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store if args.store is not None else pg.analyse_gold(gold, Path(tmp))[0]
        data = cp.load_pairs(store, gold)
        pairs_report(data, gold)
        narrative_report(store, data, gold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
