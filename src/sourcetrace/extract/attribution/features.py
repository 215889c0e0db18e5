"""Token features of the learned attribution tagger (:mod:`.tagger`).

One feature list per token of a paragraph (the tagger's sequence: quotations and their
contents often run over several sentences but rarely over a paragraph break). The features
describe the word (form, lemma, shape), its place in the parse (tag, dependency, head, the
dependency path up to the nearest likely cue verb), quotation marks around it, the cue
priors that :mod:`.cues` and ``cue_stats.json`` give, the classes of the pipeline's
contextual token vectors around it (:mod:`.clusters`), and what the attribution rules say
about it: the rules' role for the token is a feature, so the tagger learns where to trust
them and where their spans stop short or run long.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from spacy.attrs import (
    DEP,
    ENT_TYPE,
    HEAD,
    IDX,
    IS_SPACE,
    LEMMA,
    LOWER,
    POS,
    SENT_START,
    SHAPE,
    TAG,
)
from spacy.tokens import Doc

from sourcetrace.extract.attribution import clusters, cues
from sourcetrace.extract.attribution import lexicon as lx
from sourcetrace.extract.attribution.model import Attribution
from sourcetrace.extract.attribution.quotes import QUOTE_CHARS, find_quotes

ROLES = ("SRC", "CUE", "CON")
# A verb at least this likely a cue anchors the "path to the cue" features of its subtree.
ANCHOR = 0.2
_MAX_UP = 6


def paragraphs(doc: Doc, text: str | None = None) -> list[list[int]]:
    """The tagger's sequences: indices of the non-space tokens of each paragraph (line)."""
    text = doc.text if text is None else text
    seqs: list[list[int]] = []
    cur: list[int] = []
    for i, (space, idx) in enumerate(doc.to_array([IS_SPACE, IDX]).tolist()):
        if space:
            if "\n" in text[idx : idx + len(doc[i])] and cur:
                seqs.append(cur)
                cur = []
            continue
        cur.append(i)
    if cur:
        seqs.append(cur)
    return seqs


def rule_roles(doc: Doc, atts: Sequence[Attribution]) -> list[str]:
    """The role the rules give each token ("" for none): cue over source over content, as
    an inner attribution's cue and source lie inside an outer one's content."""
    starts = doc.to_array([IDX]).tolist()
    roles = [""] * len(doc)
    rank = {"": 0, "CON": 1, "SRC": 2, "CUE": 3}

    def mark(a: int, b: int, role: str) -> None:
        i = bisect.bisect_left(starts, a)
        while i < len(starts) and starts[i] < b:
            if rank[role] > rank[roles[i]]:
                roles[i] = role
            i += 1

    for att in atts:
        for a, b in att.content:
            mark(a, b, "CON")
        if not att.implicit_source:
            mark(att.source_start, att.source_end, "SRC")
        mark(att.cue_start, att.cue_end, "CUE")
    return roles


def _bin(x: float, n: int = 5) -> int:
    return min(int(x * n), n - 1)


class DocFeatures:
    """Per-doc context shared by the features of its tokens (token attributes are read from
    spaCy once, as arrays: the tagger runs on every document of every analysis)."""

    def __init__(self, doc: Doc, atts: Sequence[Attribution], text: str | None = None) -> None:
        from sourcetrace.extract.attribution.rules import learned_ratio

        self.doc = doc
        self.text = doc.text if text is None else text
        self.quotes = find_quotes(self.text)
        self.qstarts = [a for a, _ in self.quotes]
        self.roles = rule_roles(doc, atts)
        strings = doc.vocab.strings
        arr = doc.to_array([LOWER, LEMMA, POS, TAG, DEP, HEAD, ENT_TYPE, SHAPE, IDX,
                            SENT_START])
        cols = arr.tolist()
        heads = arr[:, 5].astype("int64").tolist()  # relative offsets, stored unsigned
        memo: dict[int, str] = {}

        def s(x: int, low: bool = False) -> str:
            key = x if not low else -x - 1
            v = memo.get(key)
            if v is None:
                v = strings[x] if x else ""
                v = v.lower() if low else v
                memo[key] = v
            return v

        self.lower = [s(c[0]) for c in cols]
        self.lemma = [s(c[1], True) for c in cols]
        self.pos = [s(c[2]) for c in cols]
        self.tag = [s(c[3]) for c in cols]
        self.dep = [s(c[4]) for c in cols]
        self.head = [i + h for i, h in enumerate(heads)]
        self.ent = [s(c[6]) for c in cols]
        self.shape = [s(c[7])[:4] for c in cols]
        self.idx = [c[8] for c in cols]
        self.sent_start = [c[9] == 1 for c in cols]  # SENT_START: 1 yes, else -1/0
        self.rule_of: dict[int, str] = {}
        for att in atts:
            i = bisect.bisect_left(self.idx, att.cue_start)
            if i < len(doc):
                self.rule_of.setdefault(i, att.rule)
        # cue probability of every candidate verb outside quotations (cues.py; the rules
        # asked the same question and left the answers on the doc)
        known = doc.user_data.get(cues.PROB_KEY, {})
        self.prob: dict[int, float] = {}
        for i, pos in enumerate(self.pos):
            if pos not in ("VERB", "AUX") or self.dep[i] in ("amod", "aux", "auxpass"):
                continue
            if self.in_quote(self.idx[i]):
                continue
            p = known.get(i)
            if p is None:
                tok = doc[i]
                ratio = learned_ratio(tok)
                p = cues.cue_probability(tok, ratio, self.in_quote) if cues.available() \
                    else ratio
            self.prob[i] = p
        # dependencies of each token's children (a verb with a clausal complement, a subject)
        self.kids: list[set[str]] = [set() for _ in cols]
        for i, h in enumerate(self.head):
            if h != i:
                self.kids[h].add(self.dep[i])
        # the likely cues (P >= 0.5) of each sentence, to place every token relative to them
        self.sent_id: list[int] = []
        n = -1
        for i in range(len(cols)):
            if self.sent_start[i] or i == 0:
                n += 1
            self.sent_id.append(n)
        self.likely = sorted(i for i, p in self.prob.items() if p >= 0.5)
        # classes of the contextual token vectors (clusters.py), when the doc has them
        self.classes = clusters.assign(doc)

    def in_quote(self, pos: int) -> bool:
        i = bisect.bisect_right(self.qstarts, pos) - 1
        return i >= 0 and self.quotes[i][0] <= pos < self.quotes[i][1]

    def anchor(self, i: int) -> tuple[str, str, int]:
        """(lemma of the nearest likely-cue ancestor, dependency of the child on the path
        below it, steps up) or ("", "", 0)."""
        child, cur = i, i
        for step in range(_MAX_UP + 1):
            if step and self.prob.get(cur, 0.0) >= ANCHOR:
                return self.lemma[cur], self.dep[child], step
            up = self.head[cur]
            if up == cur:
                break
            child, cur = cur, up
        return "", "", 0

    def near_cue(self, i: int) -> str:
        """Where the nearest likely cue of the sentence is: L(eft)/R(ight) and how far."""
        k = bisect.bisect_left(self.likely, i)
        best = None
        for j in (k - 1, k):
            if 0 <= j < len(self.likely) and self.likely[j] != i:
                c = self.likely[j]
                if self.sent_id[c] == self.sent_id[i] and (best is None or
                                                           abs(c - i) < abs(best - i)):
                    best = c
        if best is None:
            return "none"
        d = abs(best - i)
        return f"{'L' if best < i else 'R'}{1 if d == 1 else 2 if d <= 3 else 3 if d <= 8 else 4}"

    def token(self, i: int) -> list[str]:
        lower = self.lower[i]
        lemma = self.lemma[i]
        dep = self.dep[i]
        pos = self.pos[i]
        h = self.head[i]
        p = self.prob.get(i)
        role = self.roles[i]
        lemma_a, dep_a, steps = self.anchor(i)
        hpos = self.pos[h]
        f = [
            "b",
            f"w={lower}",
            f"l={lemma}",
            f"p={pos}",
            f"t={self.tag[i]}",
            f"d={dep}",
            f"s={self.shape[i]}",
            f"suf={lower[-3:]}",
            f"hd={self.dep[h]}",
            f"hp={hpos}",
            f"hl={self.lemma[h]}" if hpos in ("VERB", "AUX", "ADP") else "hl=-",
            f"d|hd={dep}|{self.dep[h]}",
            f"q={self.in_quote(self.idx[i])}",
            f"r={role}",
            f"r|d={role}|{dep}",
            f"r|p={role}|{pos}",
            f"a={dep_a}",
            f"a|s={dep_a}|{min(steps, 3)}",
            f"a|r={dep_a}|{role}",
            f"al={lemma_a}|{dep_a}",
            f"sp={lemma in lx.SPEECH_VERBS}",
            f"ss={self.sent_start[i]}",
            f"dir={'L' if h > i else 'R' if h < i else '0'}",
        ]
        nc = self.near_cue(i)
        f.append(f"nc={nc}")
        f.append(f"nc|r={nc}|{role}")
        f.append(f"nc|d={nc[0]}|{dep}")
        if pos in ("VERB", "AUX", "NOUN"):
            for k in self.kids[i]:
                if k in ("ccomp", "nsubj", "nsubjpass", "dobj", "xcomp", "agent", "prep", "csubj"):
                    f.append(f"ch={k}")
                    f.append(f"l|ch={lemma}|{k}")
        if lower in QUOTE_CHARS or lower in ("''", "``"):
            f.append("qc")
        if p is not None:
            f.append(f"cp={_bin(p)}")
            f.append(f"cp|r={_bin(p)}|{role}")
        if i in self.rule_of:
            f.append(f"rule={self.rule_of[i]}")
        ent = self.ent[i]
        if ent:
            f.append(f"e={ent}")
            f.append(f"e|a={ent}|{dep_a}")
        if self.classes is not None:
            fine, coarse = self.classes["fine"], self.classes["coarse"]
            f.append(f"k={fine[i]}")
            f.append(f"kc={coarse[i]}")
            f.append(f"k|r={fine[i]}|{role}")
            f.append(f"kc|d={coarse[i]}|{dep}")
            f.append(f"kh={fine[h]}")
            f.append(f"kc|kh={coarse[i]}|{coarse[h]}")
        return f

    def sequence(self, idx: Sequence[int]) -> list[list[str]]:
        """Features of the tokens ``idx`` (one paragraph), with their neighbours'."""
        own = [self.token(i) for i in idx]
        n = len(idx)
        lower, roles, pos, dep = self.lower, self.roles, self.pos, self.dep
        classes = self.classes
        for k in range(n):
            f = own[k]
            me = roles[idx[k]]
            for off in (-2, -1, 1, 2):
                j = k + off
                if 0 <= j < n:
                    o = idx[j]
                    f.append(f"{off}w={lower[o]}")
                    f.append(f"{off}r={roles[o]}")
                    if off in (-1, 1):
                        f.append(f"{off}p={pos[o]}")
                        f.append(f"{off}d={dep[o]}")
                        f.append(f"{off}r|r={roles[o]}|{me}")
                    if classes is not None:
                        # the neighbours' classes: fine next door, coarse two away
                        if off in (-1, 1):
                            f.append(f"{off}k={classes['fine'][o]}")
                        f.append(f"{off}kc={classes['coarse'][o]}")
                else:
                    f.append(f"{off}w=<>")
        return own
