"""Train the content boundary model (:mod:`.boundaries`) on the PolNeAR train split.

The learned extractor runs on every train document with its boundary model off; each
predicted content that overlaps a gold content (paired one-to-one, greedily by the overlap,
as the benchmark pairs them) gives two small decision problems: which candidate word is the
gold content's first word, which its last (compared after trimming spaces, punctuation and
quotation marks, as the benchmark's exact match does). Contents whose gold end lies outside
the candidate window teach nothing and are left out.

The tagger has seen the train documents, so its content ends there are almost always right:
the predictions come from cross-fitting instead, each fold of train tagged by a tagger
trained (``FOLD_ITERATIONS`` L-BFGS iterations) on the other folds. A logistic regression
(liblinear, deterministic) scores candidates; its regularisation is chosen on a fifth of the
train documents held out (by the share of held-out ends it places right), then it is fitted
on all of train. Dev is never read::

    python -m sourcetrace.extract.attribution.train_boundaries [--polnear DIR]

writes ``data/boundaries.json`` (feature -> weight, per end). ``make train-attribution``
runs it after the tagger; ``--fold K --dump F`` and ``--load F ...`` run the folds in
parallel.
"""

from __future__ import annotations

import argparse
import json
import pickle
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sourcetrace.extract.attribution.boundaries import (
    MODEL,
    Words,
    candidates,
    cue_tokens,
    features,
    trim_end,
    trim_start,
)
from sourcetrace.extract.attribution.train import DEFAULT, parsed_docs
from sourcetrace.extract.attribution.train_tagger import gold_relations

C_GRID = (0.1, 0.3, 1.0)
# cross-fitting: each fold's contents are predicted by a tagger trained on the other folds
FOLDS = 2
FOLD_ITERATIONS = 100
MIN_WEIGHT = 3e-2  # 1e-2 left 1.9 MB of weights with the wider candidates; held out the same

Frags = tuple[tuple[int, int], ...]
# one decision: (document index, side, [(features, is gold) per candidate])
Problem = tuple[int, str, list[tuple[list[str], bool]]]


def _overlap(text: str, a: Frags, b: Frags) -> int:
    n = 0
    for s1, e1 in a:
        for s2, e2 in b:
            lo, hi = max(s1, s2), min(e1, e2)
            if hi > lo:
                n += sum(ch.isalnum() for ch in text[lo:hi])
    return n


def problems(polnear: Path, keep: Callable[[int], bool], split: str = "train",
             ) -> list[Problem]:
    """The decisions of the train documents whose index ``keep`` accepts."""
    from sourcetrace.extract.attribution.tagger import extract

    out: list[Problem] = []
    for d, (name, doc) in enumerate(parsed_docs(polnear, split)):
        if not keep(d):
            continue
        text = doc.text
        gold = {tuple(rel["CON"]) for rel in gold_relations(polnear, split, name)
                if rel.get("CON")}
        gold_l = [tuple(sorted(g)) for g in gold]
        atts, _ = extract(doc, boundaries=False)
        pairs = sorted(((_overlap(text, tuple(a.content), g), i, j)
                        for i, a in enumerate(atts) for j, g in enumerate(gold_l)),
                       reverse=True)
        used_a: set[int] = set()
        used_g: set[int] = set()
        ws = Words(doc)
        for size, i, j in pairs:
            if size < 1:
                break
            if i in used_a or j in used_g:
                continue
            used_a.add(i)
            used_g.add(j)
            att, g = atts[i], gold_l[j]
            gs, ge = trim_start(text, g[0][0], g[-1][1]), trim_end(text, g[0][0], g[-1][1])
            cue = cue_tokens(doc, att)
            for side in ("start", "end"):
                got = candidates(doc, att, side, ws)
                if got is None:
                    continue
                pred, cands = got
                rows = []
                for c in cands:
                    t = doc[c]
                    if side == "start":
                        ok = trim_start(text, t.idx, att.content_end) == gs
                    else:
                        ok = trim_end(text, att.content_start, t.idx + len(t)) == ge
                    rows.append((features(doc, att, side, c, pred, ws, cue), ok))
                if len(rows) > 1 and any(ok for _, ok in rows):
                    out.append((d, side, rows))
        if d % 100 == 0:
            print(f"  {d} documents, {len(out)} decisions", flush=True)
    return out


def fold_problems(polnear: Path, fold: int, folds: int, work: Path,
                  iterations: int) -> list[Problem]:
    """The decisions of one fold of train, predicted by a tagger trained on the other folds:
    the tagger tags its own train documents almost perfectly (on train its content ends are
    already right 97-98% of the time against 85% on unseen text), so what it gets wrong on
    unseen text can only be learned from documents it was not trained on."""
    from sourcetrace.extract.attribution import tagger
    from sourcetrace.extract.attribution.train_tagger import train

    model = work / f"tagger-fold{fold}.crfsuite"
    if not model.exists():  # a kept fold tagger (--keep) is reused
        train(polnear, model, {"max_iterations": iterations},
              keep=lambda d: d % folds != fold)
    tagger.use_model(model)
    try:
        return problems(polnear, keep=lambda d: d % folds == fold)
    finally:
        tagger.use_model(None)


def fit(probs: list[Problem], side: str, c: float) -> dict[str, float]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    xs = [dict.fromkeys(f, 1) for _, s, rows in probs if s == side for f, _ in rows]
    ys = [ok for _, s, rows in probs if s == side for _, ok in rows]
    vec = DictVectorizer()
    x = vec.fit_transform(xs)
    # liblinear takes 32-bit sparse indices only
    x.indices = x.indices.astype("int32")
    x.indptr = x.indptr.astype("int32")
    clf = LogisticRegression(C=c, solver="liblinear", random_state=0, max_iter=200)
    clf.fit(x, ys)
    weights = {f: float(w) for f, w in zip(vec.get_feature_names_out(), clf.coef_[0],
                                            strict=True) if abs(w) >= MIN_WEIGHT}
    weights["b"] = weights.get("b", 0.0) + float(clf.intercept_[0])
    return weights


def accuracy(probs: list[Problem], side: str, weights: dict[str, float]) -> float:
    from sourcetrace.extract.attribution.boundaries import score

    mine = [rows for _, s, rows in probs if s == side]
    right = sum(max(rows, key=lambda r: score(weights, r[0]))[1] for rows in mine)
    return right / len(mine) if mine else 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="train the content boundary model on "
                                     "PolNeAR train")
    parser.add_argument("--polnear", type=Path, default=DEFAULT)
    parser.add_argument("--out", type=Path, default=MODEL)
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--iterations", type=int, default=FOLD_ITERATIONS,
                        help="L-BFGS iterations of each fold's tagger")
    parser.add_argument("--fold", type=int, help="only this fold: pickle its decisions to "
                        "--dump (folds can then run in parallel)")
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--keep", type=Path, help="keep the fold taggers in this directory "
                        "(and reuse those found there)")
    parser.add_argument("--load", type=Path, nargs="*", help="fit on the pickled decisions "
                        "of --fold runs instead of computing them")
    args = parser.parse_args(argv)
    if not (args.polnear / "train").is_dir():
        raise SystemExit(f"{args.polnear}: no PolNeAR train split there")
    t0 = time.perf_counter()
    probs: list[Problem] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.load:
            for path in args.load:
                probs.extend(pickle.loads(path.read_bytes()))
        elif args.fold is not None:
            if args.dump is None:
                raise SystemExit("--fold needs --dump")
            got = fold_problems(args.polnear, args.fold, args.folds, work,
                                args.iterations)
            args.dump.write_bytes(pickle.dumps(got))
            print(f"fold {args.fold}: {len(got)} decisions -> {args.dump}")
            return
        else:
            for fold in range(args.folds):
                probs.extend(fold_problems(args.polnear, fold, args.folds, work,
                                           args.iterations))
    print(f"{len(probs)} decisions in {time.perf_counter() - t0:.0f} s", flush=True)
    model: dict[str, dict[str, float]] = {}
    for side in ("start", "end"):
        fit_p = [p for p in probs if p[0] % 5 != 0]
        held = [p for p in probs if p[0] % 5 == 0]
        base = sum(1 for _, s, rows in held if s == side
                   for f, ok in rows if ok and "off=0" in f)
        n_held = sum(1 for _, s, _ in held if s == side)
        best = (-1.0, 0.0)
        for c in C_GRID:
            acc = accuracy(held, side, fit(fit_p, side, c))
            print(f"{side}: C={c} held-out accuracy {acc:.3f} (as predicted: "
                  f"{base / max(n_held, 1):.3f})", flush=True)
            best = max(best, (acc, c))
        model[side] = fit(probs, side, best[1])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({s: {k: round(v, 4) for k, v in sorted(w.items())}
                                    for s, w in model.items()}, separators=(",", ":")),
                        encoding="utf-8")
    print(f"-> {args.out} ({args.out.stat().st_size / 1e3:.0f} kB) in "
          f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
