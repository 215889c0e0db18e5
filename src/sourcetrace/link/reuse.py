"""Text reuse: every passage one article shares with another, as passim finds them.

When outlet B copies outlet A, B is not a second source. This module finds the shared passages:

1. **Tokens.** Words are runs of alphanumeric characters, lowercased; punctuation and case never
   matter. Tokenising is vectorised with numpy over the text's code points, so every token keeps
   its character offsets and gets a 64-bit hash that is the same in every process (Python's
   ``hash`` is salted per process, which would break the Spark engine).
2. **Shingles.** Word n-grams (passim's 5 by default) hashed to uint64.
3. **Candidates.** N-grams shared by 2..``max_df`` documents are "rare": anything more common is
   boilerplate or stock phrasing and neither proposes nor anchors a pair. All (hash, doc, pos)
   triples are sorted once with numpy; each rare n-gram group expands to its document pairs,
   giving *anchors* ``(doc a, doc b, pos a, pos b)``; pairs with at least ``min_anchors`` go on.
4. **Alignment** (:func:`align_pair`, shared with the Spark engine). Anchors on one diagonal are
   chained with gap tolerance, chains on nearby diagonals (inserted/deleted words) are merged,
   and each chain's window, widened by a margin, is aligned word by word (Levenshtein alignment
   in C++ by rapidfuzz); the maximal-scoring segment of that alignment (match +1, substitution,
   insertion or deletion -1, i.e. Smith-Waterman's scoring restricted to the window) gives the
   passage's boundaries. Reordered sentences sit on other diagonals, so they become separate
   chains and separate passages.
5. **Corpus facts.** ``earlier`` from publication dates, ``same_outlet``, and ``cluster``:
   connected components of the graph of documents that share a passage.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz.distance import Levenshtein

from sourcetrace.config import Settings
from sourcetrace.corpus import EngineStep
from sourcetrace.model import Document
from sourcetrace.registry import corpus_steps

log = logging.getLogger(__name__)

U64 = np.uint64


@dataclass(frozen=True)
class ReuseSettings:
    """Every knob of reuse detection. ``min_words`` defaults to ``Settings.min_reuse_words`` so
    the default lives in one place (config.py)."""

    # Shortest passage reported, in aligned words: shorter overlaps are names and stock phrases.
    min_words: int = Settings.min_reuse_words
    ngram: int = 5  # words per shingle (passim's default)
    # An n-gram in more documents than this is boilerplate (bylines, newsletter pitches, stock
    # phrases): it neither proposes a pair nor anchors an alignment.
    max_df: int = 100
    # An n-gram in more than this many documents of one outlet is that outlet's boilerplate
    # (newsletter pitches, copyright lines, photo credits). Documents without an outlet each
    # count as their own.
    max_outlet_df: int = 10
    # An n-gram a document repeats more than this often anchors nothing in that document.
    max_repeat: int = 3
    # Shared rare n-gram occurrences a document pair needs before it is aligned at all.
    min_anchors: int = 3
    # Anchors a chain needs before its window is aligned (a lone shared 5-gram is a phrase),
    # and anchors its longest run on one diagonal needs (2 = six words copied exactly).
    min_chain_anchors: int = 2
    min_run_anchors: int = 2
    max_gap: int = 20  # words between anchors that still belong to one passage
    max_drift: int = 10  # diagonal shift inside a passage (net inserted/deleted words)
    margin: int = 10  # words aligned beyond the outermost anchors to find the true boundaries
    min_similarity: float = 0.5  # matched words / aligned words

    @classmethod
    def from_settings(cls, settings: Settings) -> ReuseSettings:
        return cls(min_words=settings.min_reuse_words)


@dataclass
class ReusePassage:
    """One passage shared by documents ``a`` and ``b`` (``a < b``); offsets are characters into
    each document's text, ``words`` counts aligned word positions and ``similarity`` the share
    of them that match. Columns are those of the ``reuse`` table."""

    a: str
    b: str
    earlier: str | None
    same_outlet: bool
    cluster: int
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    words: int
    similarity: float

    def to_row(self) -> dict[str, Any]:
        return asdict(self)


PASSAGE_FIELDS = [f.name for f in fields(ReusePassage)]


# --- tokens -------------------------------------------------------------------------------------


class Tokens(NamedTuple):
    hashes: np.ndarray  # uint64, one per word, case- and punctuation-insensitive
    starts: np.ndarray  # int64 character offsets
    ends: np.ndarray


_P = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_P_INV = pow(_P, -1, 2**64)
_K = U64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=1)
def _char_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per code point of the BMP: is it a word character, and its lowercase code point.
    Characters beyond the BMP (emoji and the like) are never word characters."""
    chars = [chr(i) for i in range(65536)]
    word = np.fromiter((c.isalnum() for c in chars), dtype=bool, count=65536)
    lowered = [c.lower() for c in chars]
    lower = np.fromiter(
        (ord(lc) if len(lc) == 1 else i for i, lc in enumerate(lowered)), dtype=U64, count=65536
    )
    word[65535] = False  # the clip target for astral code points below
    return word, lower


class _Powers:
    """P**j and P**-j modulo 2**64 for j < n, grown on demand (uint64 arithmetic wraps)."""

    def __init__(self) -> None:
        self.pow = np.ones(1, dtype=U64)
        self.inv = np.ones(1, dtype=U64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if n > len(self.pow):
            size = max(n, 2 * len(self.pow), 1 << 16)
            self.pow = np.cumprod(np.full(size, _P, dtype=U64), dtype=U64)
            self.pow = np.concatenate([np.ones(1, dtype=U64), self.pow[:-1]])
            self.inv = np.cumprod(np.full(size, _P_INV, dtype=U64), dtype=U64)
            self.inv = np.concatenate([np.ones(1, dtype=U64), self.inv[:-1]])
        return self.pow[:n], self.inv[:n]


_POWERS = _Powers()


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the polynomial hashes over all 64 bits."""
    x = x ^ (x >> U64(30))
    x = x * U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> U64(27))
    x = x * U64(0x94D049BB133111EB)
    return x ^ (x >> U64(31))


def tokenize(text: str) -> Tokens:
    """Words of ``text`` with character offsets and stable hashes, without a Python loop."""
    if not text:
        empty = np.zeros(0, dtype=np.int64)
        return Tokens(np.zeros(0, dtype=U64), empty, empty)
    word, lower = _char_tables()
    # UTF-32 gives one array element per Python character, so indexes are character offsets.
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    clipped = np.minimum(codes, 65535)
    is_word = word[clipped].view(np.int8)
    edges = np.diff(is_word, prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    if len(starts) == 0:
        return Tokens(np.zeros(0, dtype=U64), starts, ends)
    pw, inv = _POWERS.get(len(codes) + 1)
    # Rolling polynomial hash: prefix[k] = sum_{j<k} c_j P^j, so a word's hash is
    # (prefix[end] - prefix[start]) * P^-start, independent of where the word sits.
    prefix = np.zeros(len(codes) + 1, dtype=U64)
    np.cumsum(lower[clipped] * pw[: len(codes)], dtype=U64, out=prefix[1:])
    hashes = _mix((prefix[ends] - prefix[starts]) * inv[starts])
    return Tokens(hashes, starts, ends)


def shingles(hashes: np.ndarray, n: int) -> np.ndarray:
    """Hash of each run of ``n`` consecutive words (index = position of its first word)."""
    count = len(hashes) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=U64)
    out = hashes[:count].copy()
    for k in range(1, n):
        out = out * _K + hashes[k : k + count]
    return _mix(out)


# --- alignment ----------------------------------------------------------------------------------


class Match(NamedTuple):
    """A passage in token and character coordinates of documents a and b."""

    a_tok: tuple[int, int]
    b_tok: tuple[int, int]
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    words: int
    similarity: float


class Runs(NamedTuple):
    """Maximal runs of anchors on one diagonal: exact copies between two edits. Token ranges
    are end-exclusive; ``key`` identifies the document pair."""

    key: np.ndarray
    a0: np.ndarray
    a1: np.ndarray
    b0: np.ndarray
    b1: np.ndarray
    diag: np.ndarray
    n: np.ndarray


def anchor_runs(key: np.ndarray, pa: np.ndarray, pb: np.ndarray, s: ReuseSettings) -> Runs:
    """Runs of consecutive anchors (same pair, same diagonal, gaps of at most ``max_gap``
    words), for any number of pairs at once: vectorised, because per-pair numpy calls would
    dominate the run time on a large corpus."""
    if len(key) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Runs(empty, empty, empty, empty, empty, empty, empty)
    pa = pa.astype(np.int64, copy=False)
    pb = pb.astype(np.int64, copy=False)
    diag = pb - pa
    order = np.lexsort((pa, diag, key))
    key, pa, pb, diag = key[order], pa[order], pb[order], diag[order]
    brk = np.flatnonzero(
        (np.diff(key) != 0) | (np.diff(diag) != 0) | (np.diff(pa) > s.max_gap)
    ) + 1
    first = np.concatenate(([0], brk))
    last = np.append(brk - 1, len(pa) - 1)
    return Runs(
        key[first], pa[first], pa[last] + s.ngram, pb[first], pb[last] + s.ngram, diag[first],
        last - first + 1,
    )


def _chains(runs: list[tuple[int, int, int, int, int, int]], s: ReuseSettings) -> list[list[int]]:
    """Merge one pair's runs (a0, a1, b0, b1, diag, n) into passages [a0, a1, b0, b1, anchors,
    longest run, last diag]: runs on nearby diagonals that follow each other in both documents
    are one passage whose inserted or deleted words shifted the diagonal."""
    chains: list[list[int]] = []
    open_: list[list[int]] = []
    for a0, a1, b0, b1, d, n in sorted(runs):
        best = None
        for c in open_:
            if (
                a0 >= c[0] and b0 >= c[2]
                and a0 - c[1] <= s.max_gap and b0 - c[3] <= s.max_gap
                and abs(d - c[6]) <= s.max_drift
                and (best is None or abs(d - c[6]) < abs(d - best[6]))
            ):
                best = c
        if best is None:
            c = [a0, a1, b0, b1, n, n, d]
            open_.append(c)
            chains.append(c)
        else:
            best[1] = max(best[1], a1)
            best[3] = max(best[3], b1)
            best[4] += n
            best[5] = max(best[5], n)
            best[6] = d
        # Chains that can no longer be extended are closed so the inner loop stays short.
        if len(open_) > 1:
            open_ = [c for c in open_ if a0 - c[1] <= s.max_gap]
    return chains


Op = tuple[str, int, int, int, int]


def _segments(ops: list[Op], min_words: int, margin: int) -> Iterator[tuple[int, int]]:
    """Maximal-scoring runs of alignment blocks (first and last block index), match +1 and
    substitution/indel -1 (Kadane's algorithm over blocks), then the same in what is left on
    either side. A run touching an end of the window may still grow by ``margin`` words
    there; any other run must already have ``min_words`` aligned words. Stretches that cannot
    reach that many even with every word matched are not searched."""
    eq = [0]
    for tag, a0, a1, _b0, _b1 in ops:
        eq.append(eq[-1] + (a1 - a0 if tag == "equal" else 0))
    last = len(ops)
    stack = [(0, last)]
    while stack:
        lo, hi = stack.pop()
        slack = margin * ((lo == 0) + (hi == last))
        # A positive-scoring run has fewer than twice as many aligned words as matches.
        if 2 * (eq[hi] - eq[lo]) + 2 * slack < min_words:
            continue
        best, b_lo, b_hi, run, start = 0, -1, -1, 0, lo
        for i in range(lo, hi):
            tag, a0, a1, b0, b1 = ops[i]
            if tag == "equal":
                if run <= 0:
                    run, start = 0, i
                run += a1 - a0
                if run > best:
                    best, b_lo, b_hi = run, start, i
            else:
                run -= max(a1 - a0, b1 - b0)
        if b_lo < 0:
            continue
        aligned = sum(max(a1 - a0, b1 - b0) for _t, a0, a1, b0, b1 in ops[b_lo : b_hi + 1])
        grow = margin * ((b_lo == 0) + (b_hi == last - 1))
        if aligned + grow >= min_words:
            yield b_lo, b_hi
        stack.append((lo, b_lo))
        stack.append((b_hi + 1, hi))


def align_pair(
    ta: Tokens, tb: Tokens, pa: np.ndarray, pb: np.ndarray, settings: ReuseSettings
) -> list[Match]:
    """Passages shared by two documents, given their tokens and the token positions of the
    rare n-grams they share (``pa[i]`` in a matches ``pb[i]`` in b). Both engines end here."""
    if len(pa) < settings.min_anchors:
        return []
    r = anchor_runs(np.zeros(len(pa), dtype=np.int64), np.asarray(pa), np.asarray(pb), settings)
    runs = list(zip(r.a0.tolist(), r.a1.tolist(), r.b0.tolist(), r.b1.tolist(),
                    r.diag.tolist(), r.n.tolist(), strict=True))
    return align_runs(ta, tb, runs, settings)


def align_runs(
    ta: Tokens, tb: Tokens, runs: list[tuple[int, int, int, int, int, int]], s: ReuseSettings
) -> list[Match]:
    """Chain one pair's anchor runs and align each chain's window word by word."""
    found: list[Match] = []
    ha, hb = ta.hashes, tb.hashes
    for a0, a1, b0, b1, n_anchors, longest, _ in _chains(runs, s):
        if (
            n_anchors < s.min_chain_anchors
            or longest < s.min_run_anchors
            or max(a1 - a0, b1 - b0) + 2 * s.margin < s.min_words
        ):
            continue
        # The chain starts and ends on shared n-grams, so a global alignment of the window
        # between the outermost anchors is anchored at both ends; Kadane then drops any
        # stretch inside it that does not pay for itself (what Smith-Waterman would do).
        xa, xb = ha[a0:a1].tolist(), hb[b0:b1].tolist()
        ops = [
            (op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end)
            for op in Levenshtein.opcodes(xa, xb)
        ]
        for lo, hi in _segments(ops, s.min_words, s.margin):
            sa, ea = a0 + ops[lo][1], a0 + ops[hi][2]
            sb, eb = b0 + ops[lo][3], b0 + ops[hi][4]
            # Words outside the outermost anchors (an edit within n words of a passage's
            # edge hides them from the shingles) are recovered by local extension.
            if lo == 0:
                da, db = _extend(
                    ha[max(0, sa - s.margin) : sa][::-1].tolist(),
                    hb[max(0, sb - s.margin) : sb][::-1].tolist(),
                )
                sa, sb = sa - da, sb - db
            if hi == len(ops) - 1:
                da, db = _extend(ha[ea : ea + s.margin].tolist(), hb[eb : eb + s.margin].tolist())
                ea, eb = ea + da, eb + db
            matches, aligned = _score(ha[sa:ea].tolist(), hb[sb:eb].tolist())
            if aligned < s.min_words or matches < s.min_similarity * aligned:
                continue
            found.append(
                Match(
                    (sa, ea), (sb, eb), int(ta.starts[sa]), int(ta.ends[ea - 1]),
                    int(tb.starts[sb]), int(tb.ends[eb - 1]), aligned, round(matches / aligned, 4),
                )
            )
    return _dedupe(found)


def _extend(xa: list[int], xb: list[int]) -> tuple[int, int]:
    """How many flank words of each document join the passage (flanks ordered away from it):
    the best-scoring prefix (match +1, substitution or indel -1) of the word alignment of the
    two flanks, cut to the same length so neither end is forced onto the other's filler."""
    n = min(len(xa), len(xb))
    if n == 0 or not set(xa[:n]).intersection(xb[:n]):
        return 0, 0
    best, bi, bj, score = 0, 0, 0, 0
    for op in Levenshtein.opcodes(xa[:n], xb[:n]):
        if op.tag == "equal":
            score += op.src_end - op.src_start
            if score > best:
                best, bi, bj = score, op.src_end, op.dest_end
        else:
            score -= max(op.src_end - op.src_start, op.dest_end - op.dest_start)
    return bi, bj


def _score(xa: list[int], xb: list[int]) -> tuple[int, int]:
    """(matched words, aligned words) of the word alignment of two spans."""
    matches = aligned = 0
    for op in Levenshtein.opcodes(xa, xb):
        aligned += max(op.src_end - op.src_start, op.dest_end - op.dest_start)
        if op.tag == "equal":
            matches += op.src_end - op.src_start
    return matches, aligned


def _overlap(x: tuple[int, int], y: tuple[int, int]) -> int:
    return max(0, min(x[1], y[1]) - max(x[0], y[0]))


def _dedupe(found: list[Match], bucket: int = 64) -> list[Match]:
    """Chains from repeated phrases can align to the same passage twice; keep the longest.
    Kept passages are indexed by buckets of their token range in a, so each check only looks
    at passages nearby (pairs of long documents can have thousands of candidates)."""
    kept: list[Match] = []
    index: dict[int, list[Match]] = {}
    for m in sorted(found, key=lambda m: (-m.words, m.a_tok, m.b_tok)):
        la, lb = m.a_tok[1] - m.a_tok[0], m.b_tok[1] - m.b_tok[0]
        keys = range(m.a_tok[0] // bucket, (m.a_tok[1] - 1) // bucket + 1)
        near = {id(k): k for key in keys for k in index.get(key, ())}.values()
        if not any(
            _overlap(m.a_tok, k.a_tok) > la // 2 and _overlap(m.b_tok, k.b_tok) > lb // 2
            for k in near
        ):
            kept.append(m)
            for key in keys:
                index.setdefault(key, []).append(m)
    return sorted(kept, key=lambda m: (m.a_tok, m.b_tok))


# --- corpus facts -------------------------------------------------------------------------------


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def earlier_of(a: str, pub_a: str | None, b: str, pub_b: str | None) -> str | None:
    """Id of the document published first; None when a date is unknown, not ISO 8601, or they
    tie. A date and a datetime are compared on the date alone (ISO strings sort in order)."""
    if not pub_a or not pub_b or not (_ISO_DATE.match(pub_a) and _ISO_DATE.match(pub_b)):
        return None  # unknown, or not ISO (e.g. "9/5/18"): string order would be wrong
    if len(pub_a) != len(pub_b):
        pub_a, pub_b = pub_a[:10], pub_b[:10]
    if pub_a == pub_b:
        return None
    return a if pub_a < pub_b else b


def cluster_ids(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Document -> connected component over reuse pairs, numbered by smallest member id."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = sorted({find(x) for x in parent})
    number = {r: i for i, r in enumerate(roots)}
    return {x: number[find(x)] for x in parent}


@dataclass
class _Meta:
    id: str
    outlet: str | None
    published: str | None


def passages_from_matches(
    matches: Iterable[tuple[_Meta, _Meta, Match]],
) -> list[ReusePassage]:
    """Attach direction, outlet and cluster to aligned matches (both engines)."""
    items = [(a, b, m) if a.id < b.id else (b, a, _swap(m)) for a, b, m in matches]
    cluster = cluster_ids((a.id, b.id) for a, b, _ in items)
    out = [
        ReusePassage(
            a=a.id, b=b.id, earlier=earlier_of(a.id, a.published, b.id, b.published),
            same_outlet=a.outlet is not None and a.outlet == b.outlet, cluster=cluster[a.id],
            a_start=m.a_start, a_end=m.a_end, b_start=m.b_start, b_end=m.b_end,
            words=m.words, similarity=m.similarity,
        )
        for a, b, m in items
    ]
    out.sort(key=lambda p: (p.a, p.b, p.a_start, p.b_start))
    return out


def _swap(m: Match) -> Match:
    return Match(m.b_tok, m.a_tok, m.b_start, m.b_end, m.a_start, m.a_end, m.words, m.similarity)


# --- local engine -------------------------------------------------------------------------------


def _expand_groups(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs (i, j), i < j, within each group [start, start + size)."""
    total = int(sizes.sum())
    group_of = np.repeat(np.arange(len(sizes)), sizes)
    idx = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    left = starts[group_of] + idx
    partners = sizes[group_of] - idx - 1  # later members of the same group
    right_base = np.repeat(left + 1, partners)
    offs = np.arange(int(partners.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(partners) - partners, partners
    )
    return np.repeat(left, partners), right_base + offs


class ReuseIndex:
    """Streams documents in and keeps only what candidate generation and alignment need:
    every shingle hash (8 bytes a word; document and position follow from the offsets) and
    each document's tokens in compact form (32-bit word hashes and int32 offsets, 12 bytes a
    word), so that no document is tokenised twice and texts need not be kept."""

    def __init__(self, settings: ReuseSettings) -> None:
        self.settings = settings
        self.meta: list[_Meta] = []
        self._outlet_ids: dict[str, int] = {}
        self._outlets: list[int] = []
        self.tokens: list[Tokens] = []
        self._hashes: list[np.ndarray] = []
        self._offsets: list[int] = [0]  # first shingle of each document in the concatenation

    def add(self, doc: Document) -> None:
        self.meta.append(_Meta(doc.id, doc.outlet, doc.published))
        outlet = doc.outlet if doc.outlet is not None else f"\0{len(self.meta)}"
        self._outlets.append(self._outlet_ids.setdefault(outlet, len(self._outlet_ids)))
        tok = tokenize(doc.text)
        sh = shingles(tok.hashes, self.settings.ngram)
        self._hashes.append(sh)
        self._offsets.append(self._offsets[-1] + len(sh))
        self.tokens.append(
            Tokens(
                tok.hashes.astype(np.uint32), tok.starts.astype(np.int32),
                tok.ends.astype(np.int32),
            )
        )

    def _rare(self, buckets: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """Global shingle indexes of rare n-grams, grouped by hash with documents ascending
        inside a group, and the group starts. Sorted bucket by bucket (top hash bits) so only
        a slice of the corpus is ever being sorted."""
        s = self.settings
        h = np.concatenate(self._hashes) if self._hashes else np.zeros(0, dtype=U64)
        self._hashes = []
        offsets = np.asarray(self._offsets, dtype=np.int64)
        top = (h >> U64(61)).astype(np.uint8)
        kept: list[np.ndarray] = []
        starts: list[np.ndarray] = []
        n_kept = 0
        for bucket in range(buckets):
            idx = np.flatnonzero(top == bucket)
            hb = h[idx]
            order = np.argsort(hb, kind="stable")  # stable: documents stay ascending
            hb, idx = hb[order], idx[order]
            del order
            if len(hb) == 0:
                continue
            doc = np.searchsorted(offsets, idx, side="right") - 1
            new_group = np.empty(len(hb), dtype=bool)
            new_group[0] = True
            np.not_equal(hb[1:], hb[:-1], out=new_group[1:])
            new_doc = new_group.copy()
            new_doc[1:] |= doc[1:] != doc[:-1]
            g_start = np.flatnonzero(new_group)
            df = np.add.reduceat(new_doc.view(np.int8), g_start, dtype=np.int64)
            g_size = np.diff(np.append(g_start, len(hb)))
            keep = (df >= 2) & (df <= s.max_df)
            if s.max_outlet_df < s.max_df:
                keep &= self._outlet_df_ok(doc, new_doc, g_start, g_size, df)
            # Occurrences of an n-gram a document repeats more than max_repeat times (lists,
            # tables, refrains) would pair every position with every other: noise, dropped.
            r_start = np.flatnonzero(new_doc)
            r_len = np.diff(np.append(r_start, len(hb)))
            ok = np.repeat(keep, g_size) & (np.repeat(r_len, r_len) <= s.max_repeat)
            sizes = np.add.reduceat(ok.view(np.int8), g_start, dtype=np.int64)[keep]
            kept.append(idx[ok])
            starts.append(np.cumsum(sizes) - sizes + n_kept)
            n_kept += int(sizes.sum())
        del h, top
        if not kept:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(kept), np.concatenate(starts)

    def _outlet_df_ok(
        self, doc: np.ndarray, new_doc: np.ndarray, g_start: np.ndarray, g_size: np.ndarray,
        df: np.ndarray,
    ) -> np.ndarray:
        """Per group: at most ``max_outlet_df`` of its documents come from any one outlet.
        Only groups in more documents than that can fail, so only they are counted."""
        s = self.settings
        ok = np.ones(len(g_start), dtype=bool)
        suspect = np.flatnonzero((df > s.max_outlet_df) & (df <= s.max_df))
        if len(suspect) == 0:
            return ok
        entry_group = np.repeat(np.arange(len(g_start)), g_size)
        sel = new_doc & np.isin(entry_group, suspect)  # one entry per (group, document)
        outlets = np.asarray(self._outlets, dtype=np.int64)[doc[sel]]
        key = entry_group[sel].astype(np.int64) * (len(self._outlet_ids) + 1) + outlets
        key.sort()
        starts = np.flatnonzero(np.diff(key, prepend=-1) != 0)
        counts = np.diff(np.append(starts, len(key)))
        groups = key[starts] // (len(self._outlet_ids) + 1)
        ok[groups[counts > s.max_outlet_df]] = False
        return ok

    def runs(self, partitions: int = 8, chunk: int = 4_000_000) -> Runs:
        """Anchor runs of every document pair (a < b by position in the input) that shares at
        least ``min_anchors`` rare n-gram occurrences and has a run of ``min_run_anchors``.

        Anchors are generated a chunk of n-gram groups at a time and stored compactly (16 bytes
        each), split into partitions by first document so that each partition (which holds
        whole pairs) is sorted on its own: peak memory stays a fraction of the anchor count."""
        s = self.settings
        members, g_start = self._rare()
        n_docs = len(self.meta)
        offsets = np.asarray(self._offsets, dtype=np.int64)
        sizes = np.diff(np.append(g_start, len(members)))
        pairs_per_group = sizes * (sizes - 1) // 2
        cum = np.cumsum(pairs_per_group)
        parts: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [
            [] for _ in range(partitions)
        ]
        g0 = 0
        while g0 < len(sizes):
            base = cum[g0 - 1] if g0 else 0
            g1 = max(g0 + 1, int(np.searchsorted(cum, base + chunk, side="right")))
            left, right = _expand_groups(g_start[g0:g1], sizes[g0:g1])
            gl, gr = members[left], members[right]
            del left, right
            da = np.searchsorted(offsets, gl, side="right") - 1
            db = np.searchsorted(offsets, gr, side="right") - 1
            differ = da != db
            da, db, gl, gr = da[differ], db[differ], gl[differ], gr[differ]
            pa = (gl - offsets[da]).astype(np.int32)
            pb = (gr - offsets[db]).astype(np.int32)
            key = da * n_docs + db
            part = da * partitions // max(n_docs, 1)
            for i in range(partitions):
                sel = part == i
                parts[i].append((key[sel], pa[sel], pb[sel]))
            g0 = g1
        del members
        out: list[Runs] = []
        for chunks in parts:
            if not chunks:
                continue
            key = np.concatenate([c[0] for c in chunks])
            pa = np.concatenate([c[1] for c in chunks])
            pb = np.concatenate([c[2] for c in chunks])
            chunks.clear()
            out.append(_filter_pairs(anchor_runs(key, pa, pb, s), s))
        if not out:
            return anchor_runs(np.zeros(0, dtype=np.int64), *(np.zeros(0, np.int64),) * 2, s)
        return Runs(*(np.concatenate(cols) for cols in zip(*out, strict=True)))


def _filter_pairs(runs: Runs, s: ReuseSettings) -> Runs:
    """Keep pairs with ``min_anchors`` anchors in all and a run of ``min_run_anchors``: the
    same test :func:`align_pair` applies, done here for all pairs at once."""
    if len(runs.key) == 0:
        return runs
    first = np.flatnonzero(np.diff(runs.key, prepend=-1) != 0)
    total = np.add.reduceat(runs.n, first)
    longest = np.maximum.reduceat(runs.n, first)
    ok = (total >= s.min_anchors) & (longest >= s.min_run_anchors)
    keep = np.repeat(ok, np.diff(np.append(first, len(runs.key))))
    return Runs(*(col[keep] for col in runs))


def find_reuse(documents: Iterable[Document], settings: ReuseSettings) -> list[ReusePassage]:
    """Every passage of at least ``settings.min_words`` words shared by two documents."""
    index = ReuseIndex(settings)
    for doc in documents:
        index.add(doc)
    return align_index(index)


def align_index(index: ReuseIndex, chunk: int = 200_000) -> list[ReusePassage]:
    """Align every candidate pair of the index (pairs in order, runs converted to Python lists
    a chunk at a time to bound memory)."""
    runs = index.runs()
    n_docs = len(index.meta)
    found: list[tuple[_Meta, _Meta, Match]] = []
    bounds = np.flatnonzero(np.diff(runs.key, prepend=-1) != 0).tolist() + [len(runs.key)]
    c0 = 0
    while c0 < len(bounds) - 1:
        c1 = min(len(bounds) - 1, c0 + chunk)
        lo, hi = bounds[c0], bounds[c1]
        cols = [col[lo:hi].tolist() for col in runs]
        rows = list(zip(*cols[1:], strict=True))
        for i in range(c0, c1):
            s, e = bounds[i] - lo, bounds[i + 1] - lo
            a, b = divmod(cols[0][s], n_docs)
            ma, mb = index.meta[a], index.meta[b]
            pair_runs = rows[s:e]
            ta, tb = index.tokens[a], index.tokens[b]
            if ma.id > mb.id:
                # Align in id order, as the Spark engine does, so both give identical results.
                ma, mb, ta, tb = mb, ma, tb, ta
                pair_runs = [(r[2], r[3], r[0], r[1], -r[4], r[5]) for r in pair_runs]
            for m in align_runs(ta, tb, pair_runs, index.settings):
                found.append((ma, mb, m))
        c0 = c1
    return passages_from_matches(found)


def reuse_passages(store: Any, settings: Settings) -> None:
    """Corpus step: fill the ``reuse`` table from the stored documents."""
    passages = find_reuse(store.documents(), ReuseSettings.from_settings(settings))
    store.replace("reuse", [p.to_row() for p in passages])
    log.info("reuse: %d passages", len(passages))


reuse_step = corpus_steps.register("reuse", order=30)(
    EngineStep(
        "reuse", local=reuse_passages,
        spark="sourcetrace.engines.spark_reuse:run_reuse_on_spark", writes=("reuse",),
    )
)
