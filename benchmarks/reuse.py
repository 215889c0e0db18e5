"""Text reuse benchmark (``make bench-reuse``) on the allsides corpus in ../shared.

1. Speed and memory: the local engine over the whole corpus (or ``--limit N`` articles),
   streamed from the gzip file; wall time, MB/s and peak RSS (resource.getrusage).
2. Baseline from the same run: document-level MinHash LSH (datasketch) over the same word
   5-gram shingles; its time, and how many of its pairs the aligner confirms or misses.
3. Quality: passages of 20-200 words from one real article injected into another with light
   edits (up to 10% of words substituted, deleted or inserted; punctuation and case changed),
   seeded; passage recall by length bucket, character-level boundary F1 in the receiving
   article, and reported pairs among articles no injection touched (20 printed for a human).
4. The largest real reuse clusters of the corpus.

Shared text is printed to the terminal for judgement only; nothing is written to the repo.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sourcetrace.link.reuse import (
    ReusePassage,
    ReuseSettings,
    find_reuse,
    shingles,
    tokenize,
)
from sourcetrace.model import Document

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "datasets" / "allsides" / "articles.jsonl.gz"
BUCKETS = [(20, 29), (30, 49), (50, 99), (100, 200)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def read_corpus(path: Path, limit: int | None) -> Iterator[Document]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                return
            r = json.loads(line)
            yield Document(
                id=r["id"], text=r.get("text") or "", title=r.get("title"),
                outlet=r.get("outlet"), url=r.get("url"), published=r.get("published"),
            )


# --- 1, 2, 4: the whole corpus ------------------------------------------------------------------


def full_run(path: Path, limit: int | None, settings: ReuseSettings, perms: int,
             minhash: bool) -> None:
    meta: dict[str, tuple[str | None, str | None]] = {}
    n_bytes = 0

    def stream() -> Iterator[Document]:
        nonlocal n_bytes
        for doc in read_corpus(path, limit):
            meta[doc.id] = (doc.outlet, doc.published)
            n_bytes += len(doc.text.encode("utf-8"))
            yield doc

    t0 = time.perf_counter()
    passages = find_reuse(stream(), settings)
    wall = time.perf_counter() - t0
    pairs = {(p.a, p.b) for p in passages}
    print("\n== Speed and memory: local engine, whole corpus ==")
    print(f"articles {len(meta):,}  text {n_bytes / 1e6:.1f} MB  (read + parse JSON included)")
    print(f"wall {wall:.1f} s  throughput {n_bytes / 1e6 / wall:.2f} MB/s  "
          f"peak RSS {peak_rss_mb():.0f} MB")
    print(f"passages {len(passages):,}  document pairs {len(pairs):,}  "
          f"clusters {len({p.cluster for p in passages}):,}  "
          f"same-outlet passages {sum(p.same_outlet for p in passages):,}")
    print("floor: <= 300 s wall, <= 4096 MB peak RSS ->",
          "OK" if wall <= 300 and peak_rss_mb() <= 4096 else "MISSED")
    largest_clusters(passages, meta)
    if minhash:
        minhash_baseline(path, limit, pairs, perms, settings)


def largest_clusters(
    passages: list[ReusePassage], meta: dict[str, tuple[str | None, str | None]], top: int = 8
) -> None:
    docs: dict[int, set[str]] = defaultdict(set)
    words: Counter[int] = Counter()
    for p in passages:
        docs[p.cluster] |= {p.a, p.b}
        words[p.cluster] = max(words[p.cluster], p.words)
    print(f"\n== Largest reuse clusters (of {len(docs):,}) ==")
    for c, members in sorted(docs.items(), key=lambda kv: -len(kv[1]))[:top]:
        outlets = Counter(meta[d][0] for d in members)
        dates = sorted(meta[d][1] for d in members if meta[d][1])
        span = f"{dates[0]} .. {dates[-1]}" if dates else "dates unknown"
        names = ", ".join(f"{o} x{n}" if n > 1 else str(o) for o, n in outlets.most_common(6))
        more = f" (+{len(outlets) - 6} more outlets)" if len(outlets) > 6 else ""
        print(f"cluster {c}: {len(members)} articles, {len(outlets)} outlets, {span}, "
              f"longest shared passage {words[c]} words\n    {names}{more}")


def minhash_baseline(
    path: Path, limit: int | None, aligned_pairs: set[tuple[str, str]], perms: int,
    settings: ReuseSettings, threshold: float = 0.3,
) -> None:
    from datasketch import MinHash, MinHashLSH

    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=perms)
    sketches: list[tuple[str, MinHash]] = []  # 64 x 8 bytes each: small enough to keep
    for doc in read_corpus(path, limit):
        # The same 5-gram shingles, folded to 32 bits as datasketch's universal hashing wants.
        sh = np.unique(shingles(tokenize(doc.text).hashes, settings.ngram) & np.uint64(0xFFFFFFFF))
        if len(sh) == 0:
            continue
        m = MinHash(num_perm=perms, hashfunc=int)
        m.update_batch(sh.tolist())
        lsh.insert(doc.id, m, check_duplication=False)
        sketches.append((doc.id, m))
    found: set[tuple[str, str]] = set()
    for key, m in sketches:
        for other in lsh.query(m):
            if other != key:
                found.add((min(key, other), max(key, other)))
    wall = time.perf_counter() - t0
    confirmed = found & aligned_pairs
    print(f"\n== Baseline: document-level MinHash LSH (datasketch, {perms} permutations, "
          f"Jaccard threshold {threshold}) ==")
    print(f"wall {wall:.1f} s  pairs {len(found):,}  confirmed by the aligner "
          f"{len(confirmed):,}  not confirmed {len(found - aligned_pairs):,}")
    print(f"aligner pairs the baseline misses: {len(aligned_pairs - found):,} of "
          f"{len(aligned_pairs):,} (partial reuse: a shared passage inside different articles)")
    print(f"peak RSS so far {peak_rss_mb():.0f} MB")


# --- 3: injections ------------------------------------------------------------------------------


def sentence_gaps(text: str) -> list[int]:
    """Offsets just after a sentence end followed by a space: where a passage can go in."""
    return [i + 1 for i in range(len(text) - 1) if text[i] in ".!?" and text[i + 1] == " "]


def edit_passage(words: list[str], rng: random.Random, vocab: list[str]) -> str:
    """Light edits: up to 10% of words substituted, deleted or inserted, plus punctuation and
    case changes that must not matter."""
    out = list(words)
    n_edits = rng.randint(0, max(0, len(words) // 10))
    for _ in range(n_edits):
        kind = rng.choice(("sub", "del", "ins"))
        i = rng.randrange(len(out))
        if kind == "sub":
            out[i] = rng.choice(vocab)
        elif kind == "del" and len(out) > 1:
            del out[i]
        else:
            out.insert(i, rng.choice(vocab))
    for i in range(len(out)):
        r = rng.random()
        if r < 0.05:
            out[i] = out[i].upper()
        elif r < 0.10:
            out[i] = out[i].lower()
        elif r < 0.13:
            out[i] = out[i].strip(",.;:") + ","
    return " ".join(out)


def quality(path: Path, settings: ReuseSettings, sample: int, injections: int, seed: int,
            show: int = 20) -> None:
    rng = random.Random(seed)
    docs = [d for d in read_corpus(path, None) if len(d.text.split()) >= 250]
    docs = rng.sample(docs, sample)
    before = find_reuse(docs, settings)
    linked = {(p.a, p.b) for p in before}
    vocab = [w for d in docs[:200] for w in d.text.split() if w.isalpha()]
    order = list(range(sample))
    rng.shuffle(order)
    receivers, donors = order[:injections], order[injections : 2 * injections]
    gold: dict[tuple[str, str], tuple[int, int, int]] = {}  # (donor, receiver) -> range, words
    for r_i, d_i in zip(receivers, donors, strict=True):
        donor, receiver = docs[d_i], docs[r_i]
        if (min(donor.id, receiver.id), max(donor.id, receiver.id)) in linked:
            continue  # real reuse between them already: the injection could not be scored
        words = donor.text.split()
        length = rng.randint(20, 200)
        start = rng.randrange(0, max(1, len(words) - length))
        piece = edit_passage(words[start : start + length], rng, vocab)
        gaps = sentence_gaps(receiver.text) or [len(receiver.text)]
        at = rng.choice(gaps)
        text = receiver.text[:at] + " " + piece + " " + receiver.text[at:]
        docs[r_i] = Document(receiver.id, text, outlet=receiver.outlet,
                             published=receiver.published)
        # Gold range from the first to the last word character: offsets are word boundaries,
        # a leading quote mark or trailing comma is not part of a passage.
        ptok = tokenize(piece)
        if len(ptok.starts) == 0:
            continue
        g0 = at + 1 + int(ptok.starts[0])
        gold[(donor.id, receiver.id)] = (g0, at + 1 + int(ptok.ends[-1]), length)
    t0 = time.perf_counter()
    after = find_reuse(docs, settings)
    wall = time.perf_counter() - t0
    by_pair: dict[tuple[str, str], list[ReusePassage]] = defaultdict(list)
    for p in after:
        by_pair[(p.a, p.b)].append(p)
    hits: Counter[tuple[int, int]] = Counter()
    totals: Counter[tuple[int, int]] = Counter()
    tp = fp = fn = 0
    for (donor, receiver), (g0, g1, length) in gold.items():
        bucket = next(b for b in BUCKETS if b[0] <= length <= b[1])
        totals[bucket] += 1
        spans = [
            (p.b_start, p.b_end) if p.b == receiver else (p.a_start, p.a_end)
            for p in by_pair.get((min(donor, receiver), max(donor, receiver)), [])
        ]
        size = max([g1] + [e for _, e in spans])
        pred = np.zeros(size + 1, dtype=bool)
        for s, e in spans:
            pred[s:e] = True
        gold_mask = np.zeros(size + 1, dtype=bool)
        gold_mask[g0:g1] = True
        overlap = int((pred & gold_mask).sum())
        tp += overlap
        fp += int(pred.sum()) - overlap
        fn += int(gold_mask.sum()) - overlap
        if overlap >= 0.5 * (g1 - g0):
            hits[bucket] += 1
    print(f"\n== Quality: {len(gold)} injected passages into a sample of {sample:,} articles "
          f"(seed {seed}; local engine {wall:.1f} s) ==")
    n30 = h30 = 0
    for b in BUCKETS:
        if totals[b]:
            print(f"recall {b[0]:>3}-{b[1]:<3} words: {hits[b] / totals[b]:.3f} "
                  f"({hits[b]}/{totals[b]})")
        if b[0] >= 30:
            n30 += totals[b]
            h30 += hits[b]
    print(f"recall 30+ words: {h30 / max(n30, 1):.3f} (floor 0.95)  "
          f"all: {sum(hits.values()) / max(sum(totals.values()), 1):.3f}")
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    print(f"boundary (chars in the receiving article): precision {precision:.3f} "
          f"recall {recall:.3f} F1 {f1:.3f} (floor 0.90)")
    touched = {x for pair in gold for x in pair}
    untouched = [p for p in after if p.a not in touched and p.b not in touched]
    new = [p for p in untouched if (p.a, p.b) not in linked]
    print(f"pairs among untouched articles: {len({(p.a, p.b) for p in untouched}):,} "
          f"({len(untouched):,} passages; real wire reuse is expected); "
          f"pairs that appeared only after injecting: {len({(p.a, p.b) for p in new})}")
    text = {d.id: d for d in docs}
    print(f"-- {show} of them for a human to judge --")
    for p in rng.sample(untouched, min(show, len(untouched))):
        a, b = text[p.a], text[p.b]
        print(f"[{a.outlet} {a.published} | {b.outlet} {b.published}] {p.words} words, "
              f"similarity {p.similarity}, same outlet {p.same_outlet}")
        print(f"   A: {_clip(a.text[p.a_start : p.a_end])}")
        print(f"   B: {_clip(b.text[p.b_start : p.b_end])}")


def _clip(s: str, n: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n // 2] + " ... " + s[-n // 2 :]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--limit", type=int, default=None, help="articles for the full run")
    ap.add_argument("--skip-full", action="store_true", help="no whole-corpus run")
    ap.add_argument("--skip-minhash", action="store_true", help="no MinHash LSH baseline")
    ap.add_argument("--skip-quality", action="store_true", help="no injection benchmark")
    ap.add_argument("--sample", type=int, default=3000)
    ap.add_argument("--injections", type=int, default=300)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--perms", type=int, default=64, help="MinHash permutations")
    ap.add_argument("--min-words", type=int, default=None)
    args = ap.parse_args(argv)
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus} (../shared absent?)", file=sys.stderr)
        return 2
    settings = ReuseSettings() if args.min_words is None else ReuseSettings(args.min_words)
    print(f"settings: {settings}")
    # The whole-corpus run goes first so that its peak RSS is not the quality run's.
    if not args.skip_full:
        full_run(args.corpus, args.limit, settings, args.perms, not args.skip_minhash)
    if not args.skip_quality:
        quality(args.corpus, settings, args.sample, args.injections, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
