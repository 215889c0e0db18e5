"""Train the language model on the PTC train split and write the model file.

    python -m sourcetrace.extract.language.train              # (re)build from ../shared
    python -m sourcetrace.extract.language.train --if-missing # no-op when the model exists

Without PTC data it says so and exits 0: the component then uses the lexicon alone. Training is
deterministic (CRFsuite L-BFGS and scikit-learn lbfgs from zero weights, fixed order), so the
committed model file is reproduced by this script.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sourcetrace.extract.language.model import MODEL_FILE


def train(
    data: Path, out: Path, model: str | None = None, cache: Path | None = None
) -> dict[str, object]:
    """Train on the PTC-format folder ``data`` and save to ``out``; returns the model's meta."""
    import spacy

    from sourcetrace.config import DEFAULT_MODEL
    from sourcetrace.extract.language.data import load_ptc, parse
    from sourcetrace.extract.language.features import DocContext
    from sourcetrace.extract.language.lexicon import lexicon_for
    from sourcetrace.extract.language.model import DocSpans, train_model

    articles = load_ptc(data)
    if not articles:
        raise ValueError(f"{data}: no articles")
    nlp = spacy.load(model or DEFAULT_MODEL)
    docs = parse([a.text for a in articles], nlp, cache)
    lexicon = lexicon_for(nlp.vocab)
    training = [
        DocSpans(DocContext(d, lexicon), a.spans)
        for a, d in zip(articles, docs, strict=True)
    ]
    meta = {
        "trained_on": "PTC train split (SemEval-2020 Task 11)" if data.name == "ptc" else str(data),
        "articles": len(articles),
        "spans": sum(len(a.spans) for a in articles),
        "spacy_model": f"{nlp.meta.get('name')}-{nlp.meta.get('version')}",
    }
    trained = train_model(training, meta)
    trained.save(out)
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--if-missing", action="store_true", help="do nothing if the model exists")
    parser.add_argument("--data", type=Path, default=None, help="PTC folder (default ../shared)")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--model", default=None, help="spaCy pipeline used for features")
    parser.add_argument("--cache", type=Path, default=None, help="folder for cached parses")
    args = parser.parse_args(argv)

    if args.if_missing and args.out.is_file():
        print(f"language model present: {args.out}")
        return 0
    from sourcetrace.extract.language.data import ptc_dir

    data = ptc_dir(args.data)
    if data is None:
        where = args.data or "../shared/datasets/ptc"
        print(f"no training data available (PTC not found at {where}); the language component "
              "falls back to the lexicon only")
        return 0
    t0 = time.perf_counter()
    meta = train(data, args.out, args.model, args.cache)
    size = args.out.stat().st_size / 1e6
    print(f"trained on {meta['articles']} articles, {meta['spans']} spans in "
          f"{time.perf_counter() - t0:.0f}s -> {args.out} ({size:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
