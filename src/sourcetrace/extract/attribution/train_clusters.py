"""Fit the token-vector classes of :mod:`.clusters` on the PolNeAR train split.

Every non-space token of the train documents gives its contextual vector (``doc.tensor``,
the pipeline's ``tok2vec`` run on the cached parses); k-means (scikit-learn's
``MiniBatchKMeans``, fixed seed: the same file on every run) fits ``FINE`` and ``COARSE``
centroids, written as float16 to ``data/clusters.npz``::

    python -m sourcetrace.extract.attribution.train_clusters [--polnear DIR]

``make train-attribution`` runs it before the tagger (whose features read the classes).
Only the train split is read.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sourcetrace.extract.attribution.clusters import MODEL
from sourcetrace.extract.attribution.train import DEFAULT, parsed_docs

SIZES = {"fine": 256, "coarse": 32}
SEED = 0


def vectors(polnear: Path) -> np.ndarray:
    rows = []
    for _, doc in parsed_docs(polnear, "train"):
        keep = [t.i for t in doc if not t.is_space]
        rows.append(np.asarray(doc.tensor, dtype=np.float32)[keep])
    return np.concatenate(rows)


def fit(x: np.ndarray, k: int) -> np.ndarray:
    from sklearn.cluster import MiniBatchKMeans

    km = MiniBatchKMeans(n_clusters=k, random_state=SEED, batch_size=4096, n_init=3,
                         max_iter=100)
    km.fit(x)
    return km.cluster_centers_


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="fit the token-vector classes on PolNeAR "
                                     "train")
    parser.add_argument("--polnear", type=Path, default=DEFAULT)
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    if not (args.polnear / "train").is_dir():
        raise SystemExit(f"{args.polnear}: no PolNeAR train split there")
    t0 = time.perf_counter()
    x = vectors(args.polnear)
    print(f"{len(x)} token vectors of {x.shape[1]} dims in {time.perf_counter() - t0:.0f} s",
          flush=True)
    cents = {level: fit(x, k).astype(np.float16) for level, k in SIZES.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as fh:
        np.savez_compressed(fh, **cents)
    print(f"-> {args.out} ({args.out.stat().st_size / 1e3:.0f} kB) in "
          f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
