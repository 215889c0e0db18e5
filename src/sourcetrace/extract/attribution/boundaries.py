"""Where a content starts and ends, learned from PolNeAR train.

The tagger and the rules find a content well (overlap) but often place its ends a few words
off the annotation: PolNeAR keeps "that" of an indirect clause in the content but leaves a
preposition the cue governs ("called for | steep tariffs") and an addressee ("urged |
Congress | to leave ...") out, ends a content before the closing quotation mark's comma but
after a subordinate clause, and so on. Rules for each convention kept missing the next one,
so the decision is learned: for each end of a predicted content, every token boundary a few
words around it is a candidate, and so are clause and sentence ends farther inside it and
beyond it in its sentence, and the words of its other pieces (a piece glued on from another
attribution is dropped); a logistic regression over the words and parse around the
candidate (and its relation to the cue and to the content's root) scores it; the
best-scoring candidate wins.

Trained by :mod:`.train_boundaries` on the extractor's own predictions over PolNeAR train,
matched to the gold contents they overlap (``data/boundaries.json``, a few hundred kB: the
feature weights). Without the file, contents are left as they are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from spacy.tokens import Doc, Token

from sourcetrace.extract.attribution.model import Attribution
from sourcetrace.extract.attribution.quotes import QUOTE_CHARS

MODEL = Path(__file__).with_name("data") / "boundaries.json"
# candidates: this many words before and after the predicted boundary
WINDOW = 4
# ... and at most this many clause or sentence ends farther inside the content
MAX_FAR = 12
# what the benchmark's exact match (and the training labels) ignore at a content's ends
TRIM = frozenset(" \t\n,;:.!?\"'“”‘’()[]—–-")
_QUOTES = set(QUOTE_CHARS) | {"''", "``"}
_ADDRESSEE = frozenset(("dobj", "iobj", "dative"))


class Words:
    """The non-space tokens of a doc, their positions and sentence numbers (``Token.sent``
    walks the doc on every call: too slow for every candidate)."""

    def __init__(self, doc: Doc) -> None:
        self.text = doc.text  # built anew on every doc.text
        self.ids = [t.i for t in doc if not t.is_space]
        self.pos = {w: k for k, w in enumerate(self.ids)}
        self.sent: list[int] = []
        n = -1
        for t in doc:
            if t.is_sent_start or t.i == 0:
                n += 1
            self.sent.append(n)
        # Read once per doc, not once per candidate (every token is a candidate's neighbour
        # several times): each token's head, and its _word/_lex strings as first asked for.
        self.head = [t.head.i for t in doc]
        self.words: dict[int, str] = {}
        self.lexes: dict[tuple[int, str], list[str]] = {}
        self.roots: dict[tuple[int, int], int] = {}

    def root(self, doc: Doc, att: Attribution) -> int:
        """The predicted content's root: its first word whose head lies outside it."""
        key = (att.content_start, att.content_end)
        got = self.roots.get(key)
        if got is None:
            span = doc.char_span(*key, alignment_mode="expand")
            got = -1
            if span is not None and len(span):
                lo, hi = span.start, span.end
                got = next((t.i for t in span if not lo <= self.head[t.i] < hi
                            or self.head[t.i] == t.i), span.start)
            self.roots[key] = got
        return got

    def word(self, tok: Token | None) -> str:
        """:func:`_word` of ``tok``, computed once per token."""
        if tok is None:
            return _word(None)
        got = self.words.get(tok.i)
        if got is None:
            got = self.words[tok.i] = _word(tok)
        return got

    def lex(self, tok: Token | None, name: str) -> list[str]:
        """:func:`_lex` of ``tok``, computed once per token and name."""
        if tok is None:
            return _lex(None, name)
        got = self.lexes.get((tok.i, name))
        if got is None:
            got = self.lexes[tok.i, name] = _lex(tok, name)
        return got


def _attach(i: int, root: int, cue: set[int], head: Sequence[int]) -> str:
    """Where token ``i`` hangs against the predicted content's root: the root itself, a
    child of it, deeper below it, below the cue first, or elsewhere (a trailing clause of
    the cue's sentence hangs on the cue, a relative clause inside the content below its
    root)."""
    if i == root:
        return "root"
    if head[i] == root:
        return "child"
    for _ in range(10):
        j = head[i]
        if j == i:
            return "out"
        i = j
        if i == root:
            return "below"
        if i in cue:
            return "cue"
    return "out"


def _word(tok: Token | None) -> str:
    """The word itself when it is a function word or punctuation, else its part of speech
    (content words are too many to learn boundaries from)."""
    if tok is None:
        return "<>"
    low = tok.lower_
    return low if (tok.is_stop or tok.is_punct or low in _QUOTES) else tok.pos_


def _lex(tok: Token | None, name: str) -> list[str]:
    if tok is None:
        return [f"{name}=<>"]
    low = tok.lower_
    return [f"{name}w={_word(tok)}", f"{name}p={tok.pos_}", f"{name}d={tok.dep_}",
            f"{name}q={low in _QUOTES}"]


def _rel(tok: Token, cue: set[int], heads: set[int], head: Sequence[int]) -> str:
    """How a token hangs on the cue: the cue itself, a child of it (with the dependency),
    deeper below it, or elsewhere. ``head``: each token's head (:class:`Words`).

    As trained: the tests ``tok.head is not tok`` and ``cur.head is cur`` this once made on
    spaCy tokens were never true (spaCy makes a new Token on every access), so a root counts
    as its own child and the walk goes on eight steps up from it; the head indexes keep
    exactly that, without the tokens."""
    i = tok.i
    if i in cue:
        return "cue"
    if head[i] in heads:
        return f"child:{tok.dep_}"
    for _ in range(8):
        i = head[i]
        if i in heads:
            return "below"
    return "other"


def cue_tokens(doc: Doc, att: Attribution) -> tuple[set[int], set[int]]:
    """(the cue's tokens, those of them whose head lies outside the cue)."""
    span = doc.char_span(att.cue_start, att.cue_end, alignment_mode="expand")
    toks = {t.i for t in span} if span is not None else set()
    return toks, {i for i in toks if doc[i].head.i not in toks or doc[i].head.i == i}


def features(doc: Doc, att: Attribution, side: str, cand: int, pred: int, ws: Words,
             cue: tuple[set[int], set[int]]) -> list[str]:
    """Features of content ``side`` ("start"/"end") at word ``cand`` (the first word of the
    content for "start", its last for "end"); ``pred`` is the predicted word; ``cue`` is
    :func:`cue_tokens`."""
    words, pos = ws.ids, ws.pos
    k = pos[cand]
    tok = doc[cand]
    prev = doc[words[k - 1]] if k > 0 else None
    nxt = doc[words[k + 1]] if k + 1 < len(words) else None
    cue_toks, heads = cue
    after_cue = att.cue_end <= att.content_start
    off = pos[cand] - pos[pred]
    if abs(off) > WINDOW:  # a far candidate: a clause or sentence end inside the content
        off_s = "far+" if off > 0 else "far-"
    else:
        off_s = str(off)
    rule = att.rule if att.rule else "none"
    out = ["b", f"off={off_s}", f"off|side={off_s}|{after_cue}", f"rule={rule}",
           f"rule|off={rule}|{off_s if abs(off) > 2 else max(-2, min(2, off))}"]
    if len(att.content) > 1:  # a candidate in another piece drops the pieces beyond it
        n = piece_of(att.content, tok.idx)
        drop = 0 if n is None else (len(att.content) - 1 - n if side == "end" else n)
        lo, hi = sorted((tok.idx, doc[pred].idx))
        crosses = lo <= att.cue_start < hi  # the cue lies between it and the predicted end
        out += [f"drop={min(drop, 2)}", f"drop|cue={min(drop, 2)}|{crosses}|{after_cue}",
                f"drop|rule={min(drop, 2)}|{rule}"]
    inner, outer = (tok, prev) if side == "start" else (tok, nxt)
    j = k - 2 if side == "start" else k + 2
    beyond = doc[words[j]] if 0 <= j < len(words) else None
    out += ws.lex(inner, "i")
    out += ws.lex(outer, "o")
    iw, ow, bw = ws.word(inner), ws.word(outer), ws.word(beyond)
    out += [f"ob={ow}|{bw}", f"iob={iw}|{ow}|{bw}"]
    # where the candidate sits against the cue's sentence: a content that runs past it
    # took in a continuation
    cue_sent = ws.sent[min(cue_toks)] if cue_toks else -1
    d = ws.sent[inner.i] - cue_sent
    out.append(f"cs={max(-2, min(2, d))}|{side}")
    off = max(-WINDOW - 1, min(WINDOW + 1, off))
    out += [f"io={iw}|{ow}", f"io|r={iw}|{ow}|{rule}", f"off|i={off}|{iw}",
            f"off|o={off}|{ow}", f"side={after_cue}|{iw}", f"side|o={after_cue}|{ow}"]
    ri = _rel(inner, cue_toks, heads, ws.head)
    ro = _rel(outer, cue_toks, heads, ws.head) if outer is not None else "none"
    out += [f"ri={ri}", f"ro={ro}", f"ri|ro={ri}|{ro}", f"ri|iw={ri}|{iw}",
            f"ro|ow={ro}|{ow}"]
    root = ws.root(doc, att)
    ai, ao = _attach(inner.i, root, cue_toks, ws.head), (
        _attach(outer.i, root, cue_toks, ws.head) if outer is not None else "none")
    out += [f"ai|ao={ai}|{ao}", f"ao|ow={ao}|{ow}|{side}", f"ai|iw={ai}|{iw}|{side}",
            f"ao|do={ao}|{outer.dep_ if outer is not None else '<>'}|{side}"]
    if outer is not None:
        lo, hi = sorted((inner.idx, outer.idx))
        out.append(f"sent={ws.sent[outer.i] != ws.sent[inner.i]}")
        out.append(f"line={chr(10) in ws.text[lo:hi]}")
    return out


@lru_cache(maxsize=1)
def _model() -> dict[str, dict[str, float]] | None:
    if not MODEL.exists():
        return None
    return json.loads(MODEL.read_text(encoding="utf-8"))


def available() -> bool:
    return _model() is not None


def candidates(doc: Doc, att: Attribution, side: str, ws: Words,
               ) -> tuple[int, list[int]] | None:
    """(predicted word, candidate words) of one end of a content: at most ``WINDOW`` words
    either way, the ``MAX_FAR`` clause or sentence ends nearest to it inside the content and
    as many beyond it in its sentence (a content cut short), never into the cue, never past
    the other end of the content, never in the gap between two of its pieces (a candidate in
    another piece drops the pieces beyond it: a piece that belongs to another attribution)."""
    a, b = att.content_start, att.content_end
    span = doc.char_span(a, b, alignment_mode="expand")
    if span is None:
        return None
    inside = [t.i for t in span if not t.is_space]
    if not inside:
        return None
    words = ws.ids
    cue = cue_tokens(doc, att)
    pred = inside[0] if side == "start" else inside[-1]
    k = ws.pos[pred]
    first = doc[pred]
    # a preposition of the cue's verb with words between them ("spoke to reporters about
    # ..."): left out of the content, it would be in neither span
    keep_prep = (first.dep_ == "prep" and first.head.i in cue[1] and bool(cue[0])
                 and k > 0 and words[k - 1] not in cue[0])
    near = range(max(0, k - WINDOW), min(len(words), k + WINDOW + 1))
    far = sorted((ws.pos[i] for i in inside
                  if abs(ws.pos[i] - k) > WINDOW and _breaks(doc, ws, i, side)),
                 key=lambda j: abs(j - k))
    # beyond the content, in its sentence: clause ends and the sentence's own end
    step = 1 if side == "end" else -1
    beyond: list[int] = []
    j = k + step * (WINDOW + 1)
    while 0 <= j < len(words) and ws.sent[words[j]] == ws.sent[pred] \
            and len(beyond) < MAX_FAR:
        nxt = j + step
        if _breaks(doc, ws, words[j], side) or not (
                0 <= nxt < len(words) and ws.sent[words[nxt]] == ws.sent[pred]):
            beyond.append(j)
        j = nxt
    pieces = att.content
    out = []
    for j in [*near, *far[:MAX_FAR], *beyond]:
        t = doc[words[j]]
        lo, hi = (t.idx, b) if side == "start" else (a, t.idx + len(t))
        if hi <= lo:
            continue
        if lo < att.cue_end and att.cue_start < hi and not (
            a < att.cue_end and att.cue_start < b
        ):
            continue  # the content would take in its cue
        if side == "start" and j < k and t.dep_ in _ADDRESSEE and t.head.i in cue[1]:
            continue  # "urged | Congress | to act": the addressee stays out
        if side == "start" and j != k and keep_prep:
            continue  # "spoke to reporters | about the cuts": the content starts there
        if len(pieces) > 1 and a <= t.idx < b and piece_of(pieces, t.idx) is None:
            continue  # between two pieces (the cue, the source)
        out.append(words[j])
    return pred, out


def piece_of(pieces: Sequence[tuple[int, int]], pos: int) -> int | None:
    """The index of the piece that holds character ``pos``, if any."""
    for n, (x, y) in enumerate(pieces):
        if x <= pos < y:
            return n
    return None


def _breaks(doc: Doc, ws: Words, i: int, side: str) -> bool:
    """A content can end after word ``i`` (start at it) here: punctuation, a quotation
    mark, a sentence or a line break, "which"/"who"/"but"/"and", a preposition or a
    subordinating conjunction (for a start: a verb or a preposition) sits on that side."""
    k = ws.pos[i]
    j = k + 1 if side == "end" else k - 1
    if not 0 <= j < len(ws.ids):
        return False
    other = ws.ids[j]
    if ws.sent[other] != ws.sent[i] or abs(other - i) > 1:  # a space token: a line break
        return True
    t = doc[other]
    if t.is_punct or t.lower_ in _QUOTES or t.lower_ in ("which", "who", "but", "and"):
        return True
    # a clause or phrase opening: a content starts after a verb or a preposition ("said
    # on Monday that | ...", "questions about | ..."), ends before a preposition or a
    # subordinating conjunction ("... | after the meeting", "... | while others ...")
    return t.pos_ in (("VERB", "ADP") if side == "start" else ("ADP", "SCONJ"))


def trim_start(text: str, a: int, b: int) -> int:
    while a < b and text[a] in TRIM:
        a += 1
    return a


def trim_end(text: str, a: int, b: int) -> int:
    while b > a and text[b - 1] in TRIM:
        b -= 1
    return b


def score(weights: dict[str, float], feats: Sequence[str]) -> float:
    return sum(weights.get(f, 0.0) for f in feats)


def adjust(doc: Doc, atts: list[Attribution]) -> None:
    """Move each content's start and end to the best-scoring candidate (in place)."""
    model = _model()
    if model is None or not atts:
        return
    ws = Words(doc)
    text = ws.text
    for att in atts:
        if not att.content:
            continue
        new = {}
        cue = cue_tokens(doc, att)
        for side in ("start", "end"):
            got = candidates(doc, att, side, ws)
            if got is None:
                break
            pred, cands = got
            if len(cands) < 2:
                continue
            w = model[side]
            best = max(cands, key=lambda c: score(w, features(doc, att, side, c, pred, ws,
                                                              cue)))
            new[side] = best
        frags = [list(f) for f in att.content]
        # a new end in an earlier piece (a new start in a later one) drops the pieces beyond
        # it; both ends in pieces out of order leave the content as it is
        if len(frags) > 1:
            hi = piece_of(att.content, doc[new["end"]].idx) if "end" in new else None
            lo = piece_of(att.content, doc[new["start"]].idx) if "start" in new else None
            first = lo if lo is not None else 0
            last = hi if hi is not None else len(frags) - 1
            if first > last:
                continue
            frags = frags[first:last + 1]
        # the decision is about words (the model learned it on ends compared without
        # punctuation and quotation marks): a candidate that differs from the current end
        # by punctuation alone changes nothing, another moves the end to its word
        if "start" in new:
            x = trim_start(text, doc[new["start"]].idx, frags[0][1])
            if x != trim_start(text, frags[0][0], frags[0][1]):
                frags[0][0] = x
        if "end" in new:
            t = doc[new["end"]]
            y = trim_end(text, frags[-1][0], t.idx + len(t))
            if y != trim_end(text, frags[-1][0], frags[-1][1]):
                frags[-1][1] = y
        if any(b <= a for a, b in frags):
            continue
        att.content = [(a, b) for a, b in frags]
        att.content_texts = [text[a:b] for a, b in att.content]
