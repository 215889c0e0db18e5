"""Same proposition? ``sourcetrace.link.propositions`` on the MSR Paraphrase Corpus.

Data: ``../shared/datasets/paraphrase/msr_paraphrase_{train,dev}.txt`` (or
``$SOURCETRACE_SHARED``): TSV with the header ``Quality, #1 ID, #2 ID, #1 String, #2 String``
(Quality 1 = paraphrase). One train line holds two records because a newline is missing;
:func:`read_pairs` splits it.

* default: scores dev; ``--pairs FILE`` scores any file of that format.
* ``--train``: fits the models on train (fixed seeds) and writes
  ``src/sourcetrace/link/data/propositions.json``, then scores dev. The train feature matrix
  is cached in ``$SOURCETRACE_CACHE`` (default ``~/.cache/sourcetrace``), keyed by the pairs
  and the source of the feature functions of ``sourcetrace.link.propositions`` (never in git).

Printed, from the same run: the baseline (MiniLM cosine with the threshold that maximises F1
on train) and sourcetrace (``same_probability >= SAME_PROPOSITION``), accuracy and F1 of the
paraphrase class. The last line is ``sourcetrace: pairs N, accuracy A, F1 F``.

Usage: ``python benchmarks/propositions.py [--train] [--pairs FILE]``
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SOURCETRACE_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "datasets" / "paraphrase"
CACHE = Path(os.environ.get("SOURCETRACE_CACHE", Path.home() / ".cache" / "sourcetrace"))
WEIGHTS = ROOT / "src" / "sourcetrace" / "link" / "data" / "propositions.json"
FOLDS = 5
SEED = 0
# Bands of cheap-model probabilities sent to the full model, narrowest first; the narrowest
# whose cross-validated F1 is within BAND_TOLERANCE of the full model everywhere is kept.
BANDS = ((0.3, 0.7), (0.2, 0.8), (0.15, 0.85), (0.1, 0.9), (0.05, 0.95), (0.0, 1.0))
BAND_TOLERANCE = 0.002

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(ROOT / "src"))

from sourcetrace.link import propositions  # noqa: E402
from sourcetrace.link.matching import ClaimInfo, ClaimSet  # noqa: E402


def read_pairs(path: Path) -> list[tuple[int, str, str]]:
    """(quality, sentence 1, sentence 2) per record."""
    records = []
    lines = path.read_text(encoding="utf-8-sig").split("\n")[1:]
    for line in lines:
        if not line.strip():
            continue
        fields = line.rstrip("\r").split("\t")
        while len(fields) > 5:  # "...sentence.0<TAB>id<TAB>id..." : the next record's quality
            records.append(fields[:4] + [fields[4][:-1]])
            fields = [fields[4][-1]] + fields[5:]
        records.append(fields)
    return [(int(q), a, b) for q, _, _, a, b in records]


def claim_set(pairs: list[tuple[int, str, str]]) -> tuple[ClaimSet, np.ndarray, np.ndarray]:
    """One ClaimSet of every sentence (first sentences, then second ones) and the pairs."""
    n = len(pairs)
    claims = [ClaimInfo(a, doc="1") for _, a, _ in pairs] + [
        ClaimInfo(b, doc="2") for _, _, b in pairs]
    return ClaimSet(claims), np.arange(n), n + np.arange(n)


def scores(y: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    tp = int(np.sum(predicted & (y == 1)))
    fp, fn = int(np.sum(predicted & (y == 0))), int(np.sum(~predicted & (y == 1)))
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return float(np.mean(predicted == (y == 1))), f1


def best_threshold(y: np.ndarray, p: np.ndarray, grid: np.ndarray) -> float:
    return float(max(grid, key=lambda t: (scores(y, p >= t)[1], -abs(t - 0.5))))


# --- training --------------------------------------------------------------------------------

def _fit_ensemble(x: np.ndarray, y: np.ndarray):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    z = scaler.transform(x)
    lr = LogisticRegression(C=0.3, max_iter=5000).fit(z, y)
    mlp = MLPClassifier((16,), alpha=1.0, max_iter=1000, random_state=SEED).fit(z, y)
    trees = HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.05, max_leaf_nodes=8, l2_regularization=1.0,
        early_stopping=False, random_state=SEED,
    ).fit(x, y)
    spec = {
        "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
        "lr": {"coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0])},
        "mlp": [[w.T.tolist(), b.tolist()] for w, b in zip(mlp.coefs_, mlp.intercepts_,
                                                            strict=True)],
        "trees": {
            "baseline": float(np.ravel(trees._baseline_prediction)[0]),
            "nodes": [
                {"feature": t.nodes["feature_idx"].tolist(),
                 "threshold": t.nodes["num_threshold"].tolist(),
                 "left": t.nodes["left"].tolist(), "right": t.nodes["right"].tolist(),
                 "value": t.nodes["value"].tolist(), "is_leaf": t.nodes["is_leaf"].tolist()}
                for (t,) in trees._predictors
            ],
        },
    }
    ensemble = propositions.Ensemble(json.loads(json.dumps(spec)))
    reference = (lr.predict_proba(z)[:, 1] + mlp.predict_proba(z)[:, 1]
                 + trees.predict_proba(x)[:, 1]) / 3
    assert np.allclose(ensemble.probability(x), reference, atol=1e-9), "export differs"
    return spec, ensemble


def train(pairs: list[tuple[int, str, str]], claims: ClaimSet, left: np.ndarray,
          right: np.ndarray) -> None:
    from sklearn.model_selection import StratifiedKFold

    y = np.array([q for q, _, _ in pairs])
    # keyed by the pairs and the feature code: a change to either recomputes
    code = "".join(inspect.getsource(f) for f in (
        propositions._text_features, propositions.cheap_features, propositions._piece_kinds,
        propositions.token_vectors, propositions._side, propositions._align_features,
        propositions.align_features)) + json.dumps(propositions.FEATURES)
    key = hashlib.sha256(json.dumps(pairs).encode() + code.encode())
    cached = CACHE / f"propositions-train-{key.hexdigest()[:16]}.npy"
    if cached.exists():
        x = np.load(cached)
    else:
        t = time.perf_counter()
        x = propositions.pair_features(claims, left, right)
        print(f"features of {len(y)} train pairs: {time.perf_counter() - t:.1f} s")
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(cached, x)
    n_cheap = len(propositions.CHEAP_FEATURES)
    oof_cheap, oof_full = np.zeros(len(y)), np.zeros(len(y))
    for fit_rows, test_rows in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(x, y):
        oof_cheap[test_rows] = _fit_ensemble(x[fit_rows, :n_cheap], y[fit_rows])[1].probability(
            x[test_rows, :n_cheap])
        oof_full[test_rows] = _fit_ensemble(x[fit_rows], y[fit_rows])[1].probability(
            x[test_rows])
    grid = np.round(np.arange(0.2, 0.801, 0.01), 2)
    full_f1 = scores(y, oof_full >= best_threshold(y, oof_full, grid))[1]
    for lo, hi in BANDS:
        unsure = (oof_cheap >= lo) & (oof_cheap <= hi)
        p = np.where(unsure, oof_full, oof_cheap)
        threshold = best_threshold(y, p, grid[(grid > lo) & (grid < hi)])
        f1 = scores(y, p >= threshold)[1]
        print(f"band {lo:.2f}-{hi:.2f}: {unsure.mean():.1%} of pairs to the full model, "
              f"cross-validated F1 {f1:.4f} at {threshold:.2f} (full model everywhere "
              f"{full_f1:.4f}, cheap only {scores(y, oof_cheap >= threshold)[1]:.4f})")
        if f1 >= full_f1 - BAND_TOLERANCE:
            break
    spec = {
        "about": "sourcetrace.link.propositions; written by benchmarks/propositions.py --train "
                 "on MSRP train",
        "features": list(propositions.FEATURES),
        "threshold": threshold, "uncertain": [lo, hi],
        "cross_validated_f1": round(f1, 4),
        "cheap": _fit_ensemble(x[:, :n_cheap], y)[0], "full": _fit_ensemble(x, y)[0],
    }
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    WEIGHTS.write_text(json.dumps(spec, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {WEIGHTS.relative_to(ROOT)} ({WEIGHTS.stat().st_size / 1e3:.0f} kB); "
          f"threshold {threshold:.2f}")
    if abs(threshold - propositions.SAME_PROPOSITION) > 1e-9:
        print(f"NOTE: set propositions.SAME_PROPOSITION = {threshold:.2f} (now "
              f"{propositions.SAME_PROPOSITION})")
    propositions.load_model.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", action="store_true", help="fit on train, write the weights")
    parser.add_argument("--pairs", type=Path, help="pairs to score (default: MSRP dev)")
    args = parser.parse_args()
    train_file = DATA / "msr_paraphrase_train.txt"
    if not train_file.exists():
        print(f"MSRP not found ({train_file}): nothing to benchmark")
        return
    train_pairs = read_pairs(train_file)
    claims, left, right = claim_set(train_pairs)
    if args.train:
        train(train_pairs, claims, left, right)
    test_file = args.pairs or DATA / "msr_paraphrase_dev.txt"
    test_pairs = read_pairs(test_file)
    y_train = np.array([q for q, _, _ in train_pairs])
    cos_train = claims.pair_components(left, right)["cosine"]
    cos_threshold = best_threshold(y_train, cos_train, np.round(np.arange(0.3, 0.99, 0.005), 3))

    y = np.array([q for q, _, _ in test_pairs])
    t = time.perf_counter()
    claims, left, right = claim_set(test_pairs)
    embed_seconds = time.perf_counter() - t
    t, cpu = time.perf_counter(), time.process_time()
    p = propositions.same_probability(claims, left, right)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    model = propositions.load_model()
    lo, hi = model.uncertain
    cheap = model.cheap.probability(propositions.cheap_features(claims, left, right))
    unsure = float(np.mean((cheap >= lo) & (cheap <= hi)))
    baseline = scores(y, claims.pair_components(left, right)["cosine"] >= cos_threshold)
    ours = scores(y, p >= propositions.SAME_PROPOSITION)
    print(f"{test_file.name}: {len(y)} pairs, {y.mean():.1%} paraphrases")
    print(f"sentence embeddings (ClaimSet, as the claims step has them): {embed_seconds:.1f} s")
    print(f"same_probability: {seconds:.1f} s wall, {cpu:.1f} s CPU "
          f"({seconds / len(y) * 1e4:.0f} s wall per 10k pairs); {unsure:.1%} of pairs "
          "uncertain -> token alignment pass")
    conflicts = np.array([bool(propositions.minimal_conflict(claims.claims[i], claims.claims[j]))
                          for i, j in zip(left, right, strict=True)])
    print(f"minimal-pair conflicts (one swapped number/name/polarity): {conflicts.sum()} pairs, "
          f"{int(np.sum(y[conflicts] == 1))} of them labelled paraphrases")
    print(f"baseline (MiniLM cosine >= {cos_threshold:.3f}, chosen on train): "
          f"accuracy {baseline[0]:.4f}, F1 {baseline[1]:.4f}")
    step = scores(y, propositions.same_probability(claims, left, right, align=False)
                  >= propositions.SAME_PROPOSITION)
    print(f"without the token alignment (as the claims step runs it): accuracy {step[0]:.4f}, "
          f"F1 {step[1]:.4f}")
    print(f"F1 above baseline: {ours[1] - baseline[1]:+.4f}")
    print(f"sourcetrace: pairs {len(y)}, accuracy {ours[0]:.4f}, F1 {ours[1]:.4f}")


if __name__ == "__main__":
    main()
