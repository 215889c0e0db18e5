"""Loaded language / persuasion techniques: 5-fold cross-validation on the PTC train split.

Folds are by article (seeded). For each fold the CRF span tagger and the technique classifier
are trained on the other four folds and scored on it with the SemEval-2020 Task 11 metrics:

* SI: span identification, precision/recall with partial credit by character overlap
  (:func:`sourcetrace.extract.language.metrics.si_scores`), pooled over the five folds;
* TC: technique classification of the gold spans, micro-F1 (= accuracy over gold labels).

Baselines from the same run: SI "every sentence is a span" and the lexicon's standalone hits;
TC "always Loaded_Language" (the majority class) and the lexicon's most specific category.
Also prints the component's cost beside the spaCy parse.

    python benchmarks/language.py [--folds 5] [--jobs 2] [--thresholds 0.1,0.25,0.35]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import spacy

from sourcetrace.config import DEFAULT_MODEL
from sourcetrace.extract.language.component import find_spans, lexicon_spans
from sourcetrace.extract.language.data import load_ptc, parse, ptc_dir
from sourcetrace.extract.language.features import DocContext
from sourcetrace.extract.language.lexicon import CATEGORY_TECHNIQUE, lexicon_for
from sourcetrace.extract.language.metrics import Span, si_scores, tc_micro_f1
from sourcetrace.extract.language.model import (
    DEFAULT_THRESHOLD,
    Classifier,
    DocSpans,
    LanguageModel,
    open_tagger,
    tag_spans,
    train_classifier,
    train_tagger,
)

MAJORITY = "Loaded_Language"
# Most specific lexicon category first: it decides the lexicon baseline's technique.
PRIORITY = (
    "hitler", "slogan", "flag_waving", "name_calling", "cliche", "black_white", "whatabout",
    "bandwagon", "doubt", "fear", "causal", "authority", "exaggeration", "loaded",
)


def folds_by_article(ids: list[str], k: int, seed: int = 0) -> list[list[int]]:
    order = np.random.RandomState(seed).permutation(len(ids))
    return [sorted(int(i) for i in order[f::k]) for f in range(k)]


def gold_groups(d: DocSpans) -> list[tuple[int, int, list[str]]]:
    """Distinct gold spans with all their techniques (a few spans carry two)."""
    by_span: dict[tuple[int, int], list[str]] = defaultdict(list)
    for s, e, t in d.spans:
        by_span[(s, e)].append(t)
    return [(s, e, ts) for (s, e), ts in sorted(by_span.items())]


def lexicon_technique(d: DocSpans, start: int, end: int) -> str:
    span = d.ctx.doc.char_span(start, end, alignment_mode="expand")
    cats: set[str] = set()
    if span is not None:
        for i in range(span.start, span.end):
            cats |= d.ctx.cats[i]
    for c in PRIORITY:
        if c in cats:
            return CATEGORY_TECHNIQUE[c]
    return MAJORITY


def sentence_spans(d: DocSpans) -> list[Span]:
    out = []
    for sent in d.ctx.sents:
        toks = [t for t in sent if not t.is_space]
        if toks:
            out.append((toks[0].idx, toks[-1].idx + len(toks[-1])))
    return out


_STATE: dict[str, Any] = {}


def _train_fold(f: int) -> tuple[bytes, Classifier]:
    items, folds = _STATE["items"], _STATE["folds"]
    test = set(folds[f])
    train = [items[i] for i in range(len(items)) if i not in test]
    return train_tagger(train), train_classifier(train)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2, help="folds trained in parallel")
    parser.add_argument("--thresholds", default="0.1,0.25,0.35")
    args = parser.parse_args()
    thresholds = sorted({float(x) for x in args.thresholds.split(",")} | {DEFAULT_THRESHOLD})

    data = ptc_dir()
    if data is None:
        print("PTC not found (../shared/datasets/ptc): nothing to benchmark")
        return 0
    t0 = time.perf_counter()
    articles = load_ptc(data)
    nlp = spacy.load(DEFAULT_MODEL)
    docs = parse([a.text for a in articles], nlp)
    lexicon = lexicon_for(nlp.vocab)
    items = [DocSpans(DocContext(d, lexicon), a.spans) for a, d in zip(articles, docs, strict=True)]
    print(f"PTC train: {len(items)} articles, {sum(len(a.spans) for a in articles)} technique "
          f"spans; parsed/loaded in {time.perf_counter() - t0:.0f}s")

    gold_si = {a.id: [(s, e) for s, e, _ in a.spans] for a in articles}
    pred_si: dict[float, dict[str, list[Span]]] = {t: {} for t in thresholds}
    pred_union: dict[str, list[Span]] = {}
    base_sent: dict[str, list[Span]] = {}
    base_lex: dict[str, list[Span]] = {}
    tc_gold: list[list[str]] = []
    tc_pred: list[list[str]] = []
    tc_major: list[list[str]] = []
    tc_lex: list[list[str]] = []
    per_class: Counter[tuple[str, bool]] = Counter()

    folds = folds_by_article([a.id for a in articles], args.folds)
    _STATE["items"], _STATE["folds"] = items, folds
    tf = time.perf_counter()
    # Folds train in ``--jobs`` forked processes: the parses are shared by fork, not pickled.
    pool = multiprocessing.get_context("fork").Pool(args.jobs)
    for f, (tagger_bytes, clf) in enumerate(pool.imap(_train_fold, range(len(folds)))):
        test_idx = folds[f]
        tagger = open_tagger(tagger_bytes)
        for i in test_idx:
            d, aid = items[i], articles[i].id
            for t in thresholds:
                pred_si[t][aid] = [(s, e) for s, e, _ in tag_spans(tagger, d.ctx, t)]
            lex = [(s, e) for s, e, _ in lexicon_spans(d.ctx.doc, lexicon.hits(d.ctx.doc))]
            pred_union[aid] = pred_si[DEFAULT_THRESHOLD][aid] + lex
            base_lex[aid] = lex
            base_sent[aid] = sentence_spans(d)
            groups = gold_groups(d)
            probs = clf.predict_proba([(d.ctx, s, e) for s, e, _ in groups])
            for (s, e, labels), row in zip(groups, probs, strict=True):
                top = [clf.classes[k] for k in np.argsort(-row)[: len(labels)]]
                tc_gold.append(labels)
                tc_pred.append(top)
                tc_major.append([MAJORITY] * len(labels))
                tc_lex.append([lexicon_technique(d, s, e)] * len(labels))
                for lab in labels:
                    per_class[(lab, lab in top)] += 1
        print(f"  fold {f + 1}/{args.folds}: {len(test_idx)} articles, "
              f"{time.perf_counter() - tf:.0f}s since start", flush=True)
    pool.close()
    pool.join()

    rows: list[tuple[str, str, tuple[float, float, float] | float]] = []
    rows.append(("SI", "baseline: every sentence", si_scores(base_sent, gold_si)))
    rows.append(("SI", "baseline: lexicon hits", si_scores(base_lex, gold_si)))
    for t in thresholds:
        mark = " (default)" if t == DEFAULT_THRESHOLD else ""
        rows.append(("SI", f"CRF, threshold {t}{mark}", si_scores(pred_si[t], gold_si)))
    rows.append(("SI", f"CRF {DEFAULT_THRESHOLD} + lexicon hits", si_scores(pred_union, gold_si)))
    rows.append(("TC", "baseline: always Loaded_Language", tc_micro_f1(tc_gold, tc_major)))
    rows.append(("TC", "baseline: lexicon category", tc_micro_f1(tc_gold, tc_lex)))
    rows.append(("TC", "linear SVM", tc_micro_f1(tc_gold, tc_pred)))

    print(f"\n{args.folds}-fold CV by article ({len(articles)} articles)")
    print(f"{'task':4}  {'system':36}  {'P':>6}  {'R':>6}  {'F1':>6}")
    for task, name, score in rows:
        if isinstance(score, tuple):
            p, r, f1 = score
            print(f"{task:4}  {name:36}  {p:6.3f}  {r:6.3f}  {f1:6.3f}")
        else:
            print(f"{task:4}  {name:36}  {'':6}  {'':6}  {score:6.3f}   (micro-F1)")

    print("\nTC recall per technique (gold spans)")
    for tech in sorted({lab for lab, _ in per_class}):
        hit, miss = per_class[(tech, True)], per_class[(tech, False)]
        print(f"  {tech:38} {hit / (hit + miss):.3f}  (n={hit + miss})")

    # Cost at inference: the component (last fold's models) on 40 articles against parsing them.
    model = LanguageModel(tagger_bytes, clf)
    sample = [a.text for a in articles[:40]]
    tp = time.perf_counter()
    sample_docs = list(nlp.pipe(sample, batch_size=16))
    t_parse = time.perf_counter() - tp
    tl = time.perf_counter()
    for d in sample_docs:
        find_spans(d, model, lexicon)
    t_lang = time.perf_counter() - tl
    print(f"\ninference on 40 articles: spaCy parse {t_parse:.2f}s, language component "
          f"{t_lang:.2f}s ({100 * t_lang / t_parse:.0f}% of the parse)")
    print(f"total {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
