"""Learn from the PolNeAR train split: ``cue_stats.json`` and ``cue_model.json``.

``cue_stats.json``: for every word form that is part of a gold cue (function words left out),
how often it is a cue and how often it occurs at all in the train texts
(``rules.learned_ratio``, a feature of the classifier and the fallback gate without it). No
parse is needed.

``cue_model.json``: the cue classifier of :mod:`.cues` (logistic regression, liblinear,
``random_state=0``: the same file on every run), fitted on parses of the train split cached
outside the repository (``~/.cache/sourcetrace/polnear``, ``$SOURCETRACE_CACHE``). The first
run parses the split (a quarter of an hour on a busy machine), later runs take a minute.
``--holdout 0.2`` fits on four fifths of train to tune ``cues.THRESHOLD`` on the rest::

    python -m sourcetrace.extract.attribution.train [--polnear ../shared/datasets/polnear]

Only the train split is read: dev is for scoring.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc

HERE = Path(__file__).resolve().parent
OUT = HERE / "cue_stats.json"
DEFAULT = HERE.parents[4] / "shared" / "datasets" / "polnear"
WORD = re.compile(r"[A-Za-z]+(?:[’'][a-z]+)?")
FUNCTION = set(
    """
    a an the to of in on for with about at by from as that this it its his her their he she
    they we i you is are was were be been being has have had having do does did will would
    shall should can could may might must also not no n't just even still then so and or but
    up out over into very more most all any
    """.split()
)
MIN_COUNT = 3
CACHE = Path(os.environ.get("SOURCETRACE_CACHE", Path.home() / ".cache" / "sourcetrace"))
CACHE = CACHE / "polnear"
CHUNK = 40
MIN_WEIGHT = 0.03


def split_names(polnear: Path, split: str) -> list[str]:
    """Document names of a split (a text annotated by several annotators counts once)."""
    anns = (polnear / split / "attributions").glob("*.ann")
    return sorted({a.stem.rsplit("_", 1)[0] for a in anns})


def parsed_docs(
    polnear: Path, split: str, model: str | None = None, limit: int | None = None
) -> Iterator[tuple[str, Doc]]:
    """(name, parsed doc) for a split, parsed once by sourcetrace's pipeline without its
    extraction components (the same parse the extractors see) and cached as DocBin chunks
    under ``CACHE`` (outside the repository; the texts never enter git).

    A chunk is keyed by the model, the pipeline's components and the hash of its texts, so
    edited data or another pipeline parse again. Parsing the train split takes a quarter of
    an hour on a busy machine. Docs read from the cache get their ``tok2vec`` tensor again.
    """
    import spacy
    from spacy.tokens import DocBin

    from sourcetrace.config import DEFAULT_MODEL, EXTRACT_COMPONENTS
    from sourcetrace.nlp.pipeline import load_pipeline

    model = model or DEFAULT_MODEL
    full = load_pipeline(model)
    parse_pipes = [p for p in full.pipe_names if p not in EXTRACT_COMPONENTS]
    names = split_names(polnear, split)[:limit]
    vocab = spacy.blank("en").vocab
    CACHE.mkdir(parents=True, exist_ok=True)
    for lo in range(0, len(names), CHUNK):
        chunk = names[lo : lo + CHUNK]
        texts = [(polnear / split / "text" / f"{n}.txt").read_text("utf-8") for n in chunk]
        parts = [model, ",".join(parse_pipes), *chunk, *texts]
        key = hashlib.sha1("\0".join(parts).encode()).hexdigest()[:16]
        path = CACHE / f"{split}-{key}.spacy"
        if path.exists():
            docs = list(DocBin().from_disk(path).get_docs(vocab))
            if "tok2vec" in parse_pipes:
                # a DocBin keeps no tensor: the contextual vectors (clusters.py) are computed
                # again, as the pipeline computes them (the same numbers)
                docs = list(full.get_pipe("tok2vec").pipe(docs, batch_size=8))
        else:
            with full.select_pipes(enable=parse_pipes):
                docs = list(full.pipe(texts, batch_size=8))
            DocBin(docs=docs).to_disk(path)
        yield from zip(chunk, docs, strict=True)


def build(polnear: Path) -> dict[str, list[int]]:
    base = polnear / "train"
    cue_counts: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    names = set()
    for ann in sorted((base / "attributions").glob("*.ann")):
        name = ann.stem.rsplit("_", 1)[0]
        if name in names:  # several annotators: count each text once
            continue
        names.add(name)
        for line in ann.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[1].startswith("Cue "):
                for w in WORD.findall(parts[2].lower()):
                    if w not in FUNCTION:
                        cue_counts[w] += 1
        text = (base / "text" / f"{name}.txt").read_text(encoding="utf-8")
        seen.update(WORD.findall(text.lower()))
    return {
        w: [n, seen[w]]
        for w, n in sorted(cue_counts.items())
        if n >= MIN_COUNT and seen[w] >= n
    }


def gold_cues(polnear: Path, split: str, name: str) -> list[tuple[int, int]]:
    """Character spans of the gold cues of one document (first annotator in sorted order,
    as the benchmark scores)."""
    ann = sorted((polnear / split / "attributions").glob(f"{name}_*.ann"))[0]
    spans = []
    for line in ann.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].startswith("T") and parts[1].startswith("Cue "):
            for frag in parts[1][4:].split(";"):
                a, b = frag.split()
                spans.append((int(a), int(b)))
    return spans


def cue_examples(
    polnear: Path, split: str, names: set[str] | None = None
) -> tuple[list[dict[str, float]], list[int]]:
    """Features and labels (1: inside a gold cue) of every candidate verb outside quotes."""
    import bisect

    from sourcetrace.extract.attribution import cues
    from sourcetrace.extract.attribution.quotes import find_quotes
    from sourcetrace.extract.attribution.rules import learned_ratio

    xs: list[dict[str, float]] = []
    ys: list[int] = []
    for name, doc in parsed_docs(polnear, split):
        if names is not None and name not in names:
            continue
        gold = gold_cues(polnear, split, name)
        quotes = find_quotes(doc.text)
        starts = [a for a, _ in quotes]

        def in_quote(pos: int, quotes: list[tuple[int, int]] = quotes,
                     starts: list[int] = starts) -> bool:
            i = bisect.bisect_right(starts, pos) - 1
            return i >= 0 and quotes[i][0] <= pos < quotes[i][1]

        for tok in doc:
            if not cues.candidate(tok) or in_quote(tok.idx):
                continue
            end = tok.idx + len(tok)
            xs.append(cues.features(tok, learned_ratio(tok), in_quote))
            ys.append(int(any(a < end and tok.idx < b for a, b in gold)))
    return xs, ys


def train_cues(
    polnear: Path, out: Path, names: set[str] | None = None, c: float = 0.2
) -> None:
    """Fit the cue classifier (seeded, deterministic) and write its non-zero weights."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    xs, ys = cue_examples(polnear, "train", names)
    vec = DictVectorizer()
    x = vec.fit_transform(xs).tocsr()
    x.indices, x.indptr = x.indices.astype("int32"), x.indptr.astype("int32")
    clf = LogisticRegression(C=c, max_iter=2000, random_state=0, solver="liblinear")
    clf.fit(x, ys)
    weights = {
        f: round(float(w), 3)
        for f, w in zip(vec.get_feature_names_out(), clf.coef_[0], strict=True)
        if abs(w) >= MIN_WEIGHT  # smaller weights change no decision on held-out train
    }
    data = {"bias": round(float(clf.intercept_[0]), 4), "C": c, "examples": len(ys),
            "positives": sum(ys), "weights": dict(sorted(weights.items()))}
    out.write_text(json.dumps(data, indent=0) + "\n", encoding="utf-8")
    print(f"cue model: {len(ys)} verbs, {sum(ys)} cues, {len(weights)} weights -> {out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="rebuild cue_stats.json and cue_model.json "
                                     "from PolNeAR train")
    parser.add_argument("--polnear", type=Path, default=DEFAULT)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--model-out", type=Path, default=HERE / "cue_model.json")
    parser.add_argument("--holdout", type=float, default=0.0,
                        help="leave this fraction of train documents out of the cue model "
                        "(every k-th by name), to tune the threshold on them")
    parser.add_argument("--C", type=float, default=0.2)
    parser.add_argument("--skip-stats", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_stats:
        stats = build(args.polnear)
        args.out.write_text(json.dumps(stats, indent=0, sort_keys=True) + "\n",
                            encoding="utf-8")
        print(f"{len(stats)} cue words -> {args.out}")
    names = None
    if args.holdout:
        every = round(1 / args.holdout)
        names = {n for i, n in enumerate(split_names(args.polnear, "train")) if i % every}
    train_cues(args.polnear, args.model_out, names, args.C)


if __name__ == "__main__":
    main()
