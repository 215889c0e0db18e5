"""Train the learned attribution tagger (:mod:`.tagger`) on the PolNeAR train split.

Every token of every train paragraph gets a gold label: ``B-``/``I-`` of ``SRC``, ``CUE`` or
``CON`` (the role it plays in the innermost gold attribution that covers it: an inner
attribution's source and cue win over the outer content they sit in) or ``O``. A linear-chain
CRF (CRFsuite, L-BFGS with elastic-net regularisation, deterministic) learns them from the
features of :mod:`.features`, over the parses ``train.py`` caches outside the repository::

    python -m sourcetrace.extract.attribution.train_tagger [--polnear ../shared/datasets/polnear]

writes ``data/tagger.crfsuite.xz`` (2.7 MB xz-compressed, shipped in the package). Only the
train split is read; dev is for scoring (``benchmarks/attribution.py``).
``make train-attribution`` runs it.
"""

from __future__ import annotations

import argparse
import bisect
import lzma
import time
from collections.abc import Callable
from pathlib import Path

from spacy.tokens import Doc

from sourcetrace.extract.attribution.train import DEFAULT, parsed_docs

HERE = Path(__file__).resolve().parent
# xz-compressed (8.0 MB -> 2.7 MB): the package and the repository carry it; it is read
# into memory at load (tagger._tagger)
OUT = HERE / "data" / "tagger.crfsuite.xz"
ROLE_OF = {"Source": "SRC", "Cue": "CUE", "Content": "CON"}
PARAMS = {
    "c1": 0.05,  # L1: keeps the model small (a few MB)
    "c2": 0.01,
    "max_iterations": 150,
    "feature.possible_transitions": True,
    "feature.minfreq": 2,
}

Relation = dict[str, list[tuple[int, int]]]


def gold_relations(polnear: Path, split: str, name: str) -> list[Relation]:
    """The attributions of one document (first annotator in sorted order, as the benchmark
    scores): role -> character fragments."""
    ann = sorted((polnear / split / "attributions").glob(f"{name}_*.ann"))[0]
    spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    events: list[list[str]] = []
    for line in ann.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].startswith("T"):
            label, _, offsets = parts[1].partition(" ")
            frags = [(int(a), int(b)) for a, b in (p.split() for p in offsets.split(";"))]
            spans[parts[0]] = (label, frags)
        elif len(parts) >= 2 and parts[0].startswith("E"):
            events.append(parts[1].split())
    rels = []
    for ev in events:
        rel: Relation = {}
        for arg in ev[1:]:
            role, _, tid = arg.partition(":")
            role = role.rstrip("0123456789")
            if role in ROLE_OF and tid in spans:
                rel.setdefault(ROLE_OF[role], []).extend(spans[tid][1])
        if rel:
            rels.append(rel)
    return rels


def gold_labels(doc: Doc, rels: list[Relation]) -> list[str]:
    """BIO label of every token of the doc (see the module docstring)."""
    starts = [t.idx for t in doc]
    best: list[tuple[int, int, str]] = [(1 << 30, -1, "")] * len(doc)  # (extent, rel, role)
    for r, rel in enumerate(rels):
        frags = [f for fs in rel.values() for f in fs]
        extent = max(b for _, b in frags) - min(a for a, _ in frags)
        for role, fs in rel.items():
            for a, b in fs:
                i = max(bisect.bisect_right(starts, a) - 1, 0)
                while i < len(doc) and doc[i].idx < b:
                    tok = doc[i]
                    if tok.idx + len(tok) > a and not tok.is_space and extent < best[i][0]:
                        best[i] = (extent, r, role)
                    i += 1
    labels = []
    prev: tuple[int, str] = (-1, "")
    for tok, (_, r, role) in zip(doc, best, strict=True):
        if tok.is_space:  # not in the tagger's sequences; a span runs on across it
            labels.append("O")
            continue
        if r < 0:
            labels.append("O")
            prev = (-1, "")
            continue
        labels.append(("I-" if prev == (r, role) else "B-") + role)
        prev = (r, role)
    return labels


def examples(polnear: Path, split: str,  # noqa: ANN201 - generator of (features, labels)
             keep: Callable[[int], bool] | None = None):
    """(features, labels) of every paragraph of the split's documents (those whose index
    ``keep`` accepts, when given)."""
    from sourcetrace.extract.attribution.features import DocFeatures, paragraphs
    from sourcetrace.extract.attribution.rules import find

    for d, (name, doc) in enumerate(parsed_docs(polnear, split)):
        if keep is not None and not keep(d):
            continue
        atts = find(doc).found
        ctx = DocFeatures(doc, atts)
        labels = gold_labels(doc, gold_relations(polnear, split, name))
        for seq in paragraphs(doc, ctx.text):
            yield ctx.sequence(seq), [labels[i] for i in seq]


def train(polnear: Path, out: Path, params: dict | None = None,
          keep: Callable[[int], bool] | None = None) -> None:
    """Train on PolNeAR train (the documents whose index ``keep`` accepts, when given: the
    folds of :mod:`.train_boundaries`); ``out`` ending in ``.xz`` is written compressed."""
    import pycrfsuite

    t0 = time.perf_counter()
    trainer = pycrfsuite.Trainer(verbose=False)
    n_seq = n_tok = 0
    for xs, ys in examples(polnear, "train", keep):
        trainer.append(xs, ys)
        n_seq += 1
        n_tok += len(ys)
    t1 = time.perf_counter()
    print(f"{n_seq} paragraphs, {n_tok} tokens, features in {t1 - t0:.0f} s", flush=True)
    trainer.set_params({**PARAMS, **(params or {})})
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = out.with_suffix("") if out.suffix == ".xz" else out
    trainer.train(str(raw))
    if raw != out:
        out.write_bytes(lzma.compress(raw.read_bytes(), preset=9))
        raw.unlink()
    print(f"trained in {time.perf_counter() - t1:.0f} s -> {out} "
          f"({out.stat().st_size / 1e6:.1f} MB)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="train the attribution tagger on PolNeAR "
                                     "train")
    parser.add_argument("--polnear", type=Path, default=DEFAULT)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--c1", type=float, default=PARAMS["c1"])
    parser.add_argument("--c2", type=float, default=PARAMS["c2"])
    parser.add_argument("--iterations", type=int, default=PARAMS["max_iterations"])
    args = parser.parse_args(argv)
    if not (args.polnear / "train").is_dir():
        raise SystemExit(f"{args.polnear}: no PolNeAR train split there")
    train(args.polnear, args.out,
          {"c1": args.c1, "c2": args.c2, "max_iterations": args.iterations})


if __name__ == "__main__":
    main()
