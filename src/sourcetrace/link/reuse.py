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
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz.distance import Levenshtein

from sourcetrace.config import Settings
from sourcetrace.corpus import CorpusStep, OnDriver, PerGroup, Sql, Write
from sourcetrace.model import Document
from sourcetrace.registry import corpus_steps
from sourcetrace.tables import CORPUS

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


def find_reuse(documents: Iterable[Document], settings: ReuseSettings) -> list[ReusePassage]:
    """Every passage of at least ``settings.min_words`` words shared by two documents: the
    reuse step's stages run in this process over an in-memory DuckDB."""
    import duckdb
    import pyarrow as pa

    from sourcetrace.engines.local_steps import run_stage_local

    # DuckDB's joins over the shingles spill to disk beyond this, rather than growing with
    # the corpus (the anchors of 37,554 articles took 7 GB unbounded).
    spill = tempfile.mkdtemp(prefix="sourcetrace-reuse-")
    con = duckdb.connect(config={"memory_limit": "2GB", "temp_directory": spill})
    rows = [{"id": d.id, "text": d.text, "outlet": d.outlet, "published": d.published,
             "duplicate_of": None} for d in documents]
    con.register("_documents", pa.Table.from_pylist(rows, schema=pa.schema(
        [(c, pa.string()) for c in ("id", "text", "outlet", "published", "duplicate_of")]
    )))
    con.execute("CREATE TEMP TABLE documents AS SELECT * FROM _documents")
    con.unregister("_documents")
    values = _parameters_of(settings)
    for stage in reuse_step.stages:
        run_stage_local(con, stage, settings, lambda text: text.format(**values))
    found = con.sql(
        "SELECT * FROM reuse_passages ORDER BY a, b, a_start, b_start"
    ).to_arrow_table().to_pylist()
    con.close()
    shutil.rmtree(spill, ignore_errors=True)
    return [ReusePassage(**{f: r[f] for f in PASSAGE_FIELDS}) for r in found]


# -- the corpus step, declared once for both engines ----------------------------------------------
# Shingles per document; rare ones (in 2..max_df documents, in at most max_outlet_df of one
# outlet, at most max_repeat times in a document) pair documents by SQL; each pair with
# min_anchors shared occurrences is aligned where both texts are; reuse clusters are the
# connected components of the aligned pairs.
_ANCHORS = """
WITH df AS (
  SELECT h FROM reuse_shingles GROUP BY h
  HAVING count(DISTINCT doc) >= 2 AND count(DISTINCT doc) <= {max_df}
), boiler AS (
  -- an outlet's boilerplate; documents without an outlet each count as their own
  SELECT DISTINCT s.h FROM reuse_shingles s JOIN df ON df.h = s.h JOIN documents d ON d.id = s.doc
  GROUP BY s.h, d.outlet, CASE WHEN d.outlet IS NULL THEN d.id END
  HAVING count(DISTINCT s.doc) > {max_outlet_df}
), rare AS (
  SELECT df.h FROM df LEFT JOIN boiler b ON b.h = df.h WHERE b.h IS NULL
), postings AS (
  SELECT s.doc, s.h, s.pos FROM reuse_shingles s JOIN rare r ON r.h = s.h
), kept AS (
  SELECT p.doc, p.h, p.pos FROM postings p JOIN (
    SELECT h, doc FROM postings GROUP BY h, doc HAVING count(*) <= {max_repeat}
  ) r ON r.h = p.h AND r.doc = p.doc
), anchors AS (
  SELECT x.doc AS a, y.doc AS b, x.pos AS pa, y.pos AS pb
  FROM kept x JOIN kept y ON x.h = y.h AND x.doc < y.doc
)
, counted AS (
  SELECT a, b FROM anchors GROUP BY a, b HAVING count(*) >= {min_anchors}
), breaks AS (
  -- runs: anchors on one diagonal at most max_gap words apart (as anchor_runs cuts them)
  SELECT an.a, an.b, pb - pa AS diag, CASE WHEN pa - lag(pa) OVER (
    PARTITION BY an.a, an.b, pb - pa ORDER BY pa) <= {max_gap} THEN 0 ELSE 1 END AS new_run, pa
  FROM anchors an JOIN counted c ON c.a = an.a AND c.b = an.b
), runs AS (
  SELECT a, b, diag, sum(new_run) OVER (
    PARTITION BY a, b, diag ORDER BY pa ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS run FROM breaks
), aligned AS (
  -- pairs with a run of min_run_anchors: only they can hold a passage
  SELECT DISTINCT a, b FROM runs GROUP BY a, b, diag, run HAVING count(*) >= {min_run_anchors}
)
SELECT an.a, an.b, an.pa, an.pb FROM anchors an JOIN aligned p ON p.a = an.a AND p.b = an.b
"""
_PAIR_DOCUMENTS = (
    "SELECT p.a, p.b, d.id, d.text, d.outlet, d.published FROM (SELECT DISTINCT a, b FROM "
    "reuse_anchors) p JOIN documents d ON d.id = p.a UNION ALL "
    "SELECT p.a, p.b, d.id, d.text, d.outlet, d.published FROM (SELECT DISTINCT a, b FROM "
    "reuse_anchors) p JOIN documents d ON d.id = p.b"
)
_MATCH_COLUMNS = {c: t for c, t in CORPUS["reuse"].items() if c != "cluster"}


def document_shingles(group: dict[str, list[dict[str, Any]]], s: ReuseSettings) -> dict[str, Any]:
    """One document -> its shingle hashes with their word positions (as columns)."""
    [doc] = group["documents"]
    sh = shingles(tokenize(doc["text"] or "").hashes, s.ngram)
    return {"reuse_shingles": {
        "doc": [doc["doc"]] * len(sh),
        "h": sh.view(np.int64),  # SQL has no unsigned 64-bit type
        "pos": np.arange(len(sh), dtype=np.int32),
    }}


@lru_cache(maxsize=32768)
def _tokens(text: str) -> Tokens:
    # A document is in many pairs: its tokens are made once, not once a pair, and kept
    # compact (32-bit word hashes, 32-bit offsets: 12 bytes a word).
    tok = tokenize(text)
    return Tokens(tok.hashes.astype(np.uint32), tok.starts.astype(np.int32),
                  tok.ends.astype(np.int32))


def align_documents(group: dict[str, list[dict[str, Any]]], s: ReuseSettings) -> dict[str, Any]:
    """One document pair (a < b) with its anchors -> the passages they share."""
    docs = {d["id"]: d for d in group["documents"]}
    anchors = group["anchors"]
    a, b = docs[anchors[0]["a"]], docs[anchors[0]["b"]]
    pa = np.fromiter((x["pa"] for x in anchors), dtype=np.int64, count=len(anchors))
    pb = np.fromiter((x["pb"] for x in anchors), dtype=np.int64, count=len(anchors))
    matches = align_pair(_tokens(a["text"] or ""), _tokens(b["text"] or ""), pa, pb, s)
    earlier = earlier_of(a["id"], a["published"], b["id"], b["published"])
    same = a["outlet"] is not None and a["outlet"] == b["outlet"]
    return {"reuse_matches": [
        {"a": a["id"], "b": b["id"], "earlier": earlier, "same_outlet": same,
         "a_start": m.a_start, "a_end": m.a_end, "b_start": m.b_start, "b_end": m.b_end,
         "words": m.words, "similarity": m.similarity}
        for m in matches
    ]}


def reuse_clusters(tables: dict[str, list[dict[str, Any]]], s: ReuseSettings) -> dict[str, Any]:
    """Aligned document pairs -> each document's reuse cluster."""
    clusters = cluster_ids((p["a"], p["b"]) for p in tables["pairs"])
    return {"reuse_clusters": [{"doc": d, "cluster": c} for d, c in sorted(clusters.items())]}


def _reuse_settings(settings: Settings, shared: dict[str, Any]) -> ReuseSettings:
    return ReuseSettings.from_settings(settings)


def _parameters_of(s: ReuseSettings) -> dict[str, Any]:
    return {"max_df": s.max_df, "max_outlet_df": s.max_outlet_df, "max_repeat": s.max_repeat,
            "min_anchors": s.min_anchors, "max_gap": s.max_gap,
            "min_run_anchors": s.min_run_anchors}


def _reuse_parameters(settings: Settings) -> dict[str, Any]:
    return _parameters_of(ReuseSettings.from_settings(settings))


reuse_step = corpus_steps.register("reuse", order=30)(
    CorpusStep(
        name="reuse",
        reads=("documents",),
        stages=(
            PerGroup(
                {"documents": "SELECT id AS doc, text FROM documents WHERE duplicate_of IS NULL"},
                key=("doc",), fn=document_shingles,
                outputs={"reuse_shingles": {"doc": "VARCHAR", "h": "BIGINT", "pos": "INTEGER"}},
            ),
            Sql("reuse_anchors", _ANCHORS,
                {"a": "VARCHAR", "b": "VARCHAR", "pa": "INTEGER", "pb": "INTEGER"}),
            PerGroup(
                {"anchors": "SELECT * FROM reuse_anchors", "documents": _PAIR_DOCUMENTS},
                # no order: anchor_runs sorts the anchors itself
                key=("a", "b"), fn=align_documents, outputs={"reuse_matches": _MATCH_COLUMNS},
                memo=True,
            ),
            OnDriver(
                {"pairs": "SELECT DISTINCT a, b FROM reuse_matches"}, fn=reuse_clusters,
                outputs={"reuse_clusters": {"doc": "VARCHAR", "cluster": "INTEGER"}},
            ),
            Sql("reuse_passages",
                "SELECT m.*, c.cluster FROM reuse_matches m JOIN reuse_clusters c ON c.doc = m.a",
                CORPUS["reuse"]),
        ),
        writes={"reuse": Write("reuse_passages", "a, b, a_start, b_start")},
        setup=_reuse_settings,
        parameters=_reuse_parameters,
    )
)
