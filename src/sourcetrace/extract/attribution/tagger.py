"""The learned attribution extractor: a CRF tags sources, cues and contents, the parse ties
them into attributions.

1. The rules of :mod:`.rules` run first; their output is a feature of the tagger (and the
   fallback for what it does not decide: relations it leaves open, "citing" chains, hedges).
2. A linear-chain CRF (``data/tagger.crfsuite``, trained on PolNeAR train by
   :mod:`.train_tagger`) labels every token of each paragraph ``B-``/``I-`` of ``SRC``,
   ``CUE``, ``CON`` or ``O`` (:mod:`.features`).
3. Each tagged cue becomes an attribution. Its content is every tagged content span the cue
   governs in the parse, else the nearest one in its sentence, and a content with no cue in
   its sentence continues the attribution before it in the paragraph (a quotation running
   over several sentences). Its source is the tagged source span holding the cue's subject
   or agent (or the "according to" object), else the nearest one in the sentence that is not
   another cue's, else the rules' source for the same cue, else it is implicit.
4. Nesting, hedging and source resolution (anaphoric sources, "the ministry") run on the
   result as they do for the rules (:func:`.rules.finish`).

The model is loaded once per process. Without it (a checkout whose data file is missing)
the rules' output is returned unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.tokens import Doc, Span, Token

from sourcetrace.extract.attribution.features import DocFeatures, paragraphs
from sourcetrace.extract.attribution.model import Attribution
from sourcetrace.extract.attribution.rules import _agent, _subject, cite_links, find, finish

MODEL = Path(__file__).with_name("data") / "tagger.crfsuite"
_PUNCT = set(" \t\n,;:.!?—–-")
# Words that join two content pieces of one attribution into one span when they are all
# that lies between them (a tagged content interrupted by an untagged space or comma).
_JOIN_GAP = 3


@lru_cache(maxsize=1)
def _tagger() -> Any | None:
    if not MODEL.exists():
        return None
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(MODEL))
    return tagger


def available() -> bool:
    return _tagger() is not None


def tag(doc: Doc, atts: Sequence[Attribution], text: str | None = None) -> list[str]:
    """The tagger's label of every token of the doc ("O" for spaces)."""
    tagger = _tagger()
    labels = ["O"] * len(doc)
    if tagger is None:
        return labels
    ctx = DocFeatures(doc, atts, text)
    for seq in paragraphs(doc, ctx.text):
        for i, lab in zip(seq, tagger.tag(ctx.sequence(seq)), strict=True):
            labels[i] = lab
    return labels


def spans(doc: Doc, labels: Sequence[str]) -> list[tuple[str, int, int]]:
    """(role, first token, last token) of each tagged span; a span runs on across a space
    token inside a line, not across a line break."""
    out: list[tuple[str, int, int]] = []
    role, start, last = "", -1, -1
    for tok, lab in zip(doc, labels, strict=True):
        if tok.is_space and "\n" not in tok.text:
            continue
        kind = lab[2:] if lab != "O" else ""
        if role and (not kind or lab.startswith("B-") or kind != role):
            out.append((role, start, last))
            role = ""
        if kind and not role:
            role, start = kind, tok.i
        last = tok.i
    if role:
        out.append((role, start, last))
    return out


def _root(span: Span) -> Token:
    verbs = [t for t in span if t.pos_ in ("VERB", "AUX") and t.head not in span]
    return verbs[0] if verbs else span.root


def _governs(cue: Token, tok: Token, limit: int = 8) -> bool:
    cur = tok
    for _ in range(limit):
        if cur is cue:
            return True
        if cur.head is cur:
            return False
        cur = cur.head
    return False


class _Assembler:
    def __init__(self, doc: Doc, labels: Sequence[str], rules: Sequence[Attribution]) -> None:
        self.doc = doc
        self.text = doc.text
        self.rules = rules
        found = spans(doc, labels)
        self.cues = [doc[a : b + 1] for r, a, b in found if r == "CUE"]
        self.sources = [doc[a : b + 1] for r, a, b in found if r == "SRC"]
        self.contents = [doc[a : b + 1] for r, a, b in found if r == "CON"]
        self.para = self._paragraph_index()

    def _paragraph_index(self) -> list[int]:
        para, n = [], 0
        for tok in self.doc:
            para.append(n)
            if tok.is_space and "\n" in tok.text:
                n += 1
        return para

    def _rule_for(self, cue: Span) -> Attribution | None:
        for att in self.rules:
            if att.cue_start < cue.end_char and cue.start_char < att.cue_end:
                return att
        return None

    def assign_contents(self) -> dict[int, list[Span]]:
        """cue index -> its content spans."""
        heads = [_root(c) for c in self.cues]
        out: dict[int, list[Span]] = {}
        last_in_para: int | None = None
        order = sorted(range(len(self.contents)), key=lambda k: self.contents[k].start)
        for k in order:
            con = self.contents[k]
            owner = None
            # the nearest cue that governs the content in the parse
            best = None
            for c, head in enumerate(heads):
                if head.i in range(con.start, con.end):
                    continue
                if any(_governs(head, t) for t in (con.root, con[0])):
                    depth = sum(1 for a in con.root.ancestors if a is not head)
                    if best is None or depth < best[0]:
                        best = (depth, c)
            if best is not None:
                owner = best[1]
            else:
                sent = con.sent
                same = [c for c, cue in enumerate(self.cues)
                        if cue.sent.start == sent.start and not (con.start <= cue.start < con.end)]
                if same:
                    owner = min(same, key=lambda c: min(abs(self.cues[c].start - con.end),
                                                        abs(con.start - self.cues[c].end)))
                else:
                    before = [c for c, cue in enumerate(self.cues) if cue.end <= con.start
                              and self.para[cue.start] == self.para[con.start]]
                    if before:
                        owner = before[-1]
                    elif last_in_para is not None and self._continues(last_in_para, con):
                        owner = last_in_para
            if owner is not None:
                out.setdefault(owner, []).append(con)
                last_in_para = owner
        return out

    def _continues(self, c: int, con: Span) -> bool:
        """A content in a paragraph without a cue continues the quotation of the cue just
        before it (the next paragraph of a long quotation), when it opens a quotation."""
        cue = self.cues[c]
        return cue.end <= con.start and self.para[con.start] - self.para[cue.start] == 1 and (
            con[0].text in ("“", '"') or con.doc[max(con.start - 1, 0)].text in ("“", '"'))

    def source_for(self, c: int, taken: set[int], contents: list[Span]) -> Span | None:
        cue = self.cues[c]
        head = _root(cue)
        wanted: list[Token] = []
        subj, passive = _subject(head)
        agent = _agent(head)
        if agent is not None:
            wanted.append(agent)
        if subj is not None and not passive:
            wanted.append(subj)
        if head.lower_ == "according":
            wanted.extend(t for t in head.doc[head.i + 1 : min(head.i + 4, len(head.doc))]
                          .root.subtree if t.dep_ == "pobj")
        for w in wanted:
            for src in self.sources:
                if src.start <= w.i < src.end:
                    return src
        # nearest untaken source in the sentence, outside this cue's content
        sent = cue.sent
        cand = [
            s for s, src in enumerate(self.sources)
            if s not in taken and src.sent.start == sent.start
            and not any(con.start <= src.start < con.end for con in contents)
        ]
        if cand:
            s = min(cand, key=lambda s: min(abs(self.sources[s].end - cue.start),
                                            abs(cue.end - self.sources[s].start)))
            return self.sources[s]
        return None

    def build(self) -> list[Attribution]:
        contents = self.assign_contents()
        taken: set[int] = set()
        atts: list[Attribution] = []
        for c, cue in enumerate(self.cues):
            rule = self._rule_for(cue)
            frags = [(s.start_char, s.end_char) for s in contents.get(c, [])]
            if not frags and rule is not None:
                frags = list(rule.content)
            if not frags:
                continue
            src = self.source_for(c, taken, contents.get(c, []))
            if src is not None:
                taken.add(self.sources.index(src))
                source: tuple[int, int] | None = (src.start_char, src.end_char)
            elif rule is not None and not rule.implicit_source:
                source = (rule.source_start, rule.source_end)
            else:
                source = None
            atts.append(self._make(cue, source, self._merge(frags), rule))
        return atts

    def _merge(self, frags: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Sorted pieces, with pieces separated only by punctuation or space joined."""
        out: list[list[int]] = []
        for a, b in sorted(frags):
            if out and (a <= out[-1][1] or all(ch in _PUNCT for ch in self.text[out[-1][1]:a])):
                out[-1][1] = max(out[-1][1], b)
            else:
                out.append([a, b])
        return [(a, b) for a, b in out]

    def _make(self, cue: Span, source: tuple[int, int] | None,
              content: list[tuple[int, int]], rule: Attribution | None) -> Attribution:
        text = self.text
        cs, ce = cue.start_char, cue.end_char
        ss, se = source if source is not None else (cs, cs)
        return Attribution(
            source_start=ss,
            source_end=se,
            source_text=text[ss:se],
            cue_start=cs,
            cue_end=ce,
            cue_text=text[cs:ce],
            content=content,
            content_texts=[text[a:b] for a, b in content],
            hedged=bool(rule is not None and rule.hedged and source is None),
            rule=rule.rule if rule is not None else "learned",
        )


def extract(doc: Doc, outlet: str | None = None) -> tuple[list[Attribution], list[Span]]:
    """All attributions of a parsed doc by the learned tagger (see the module docstring)."""
    finder = find(doc)
    rule_atts = list(finder.found)
    links = cite_links(doc, finder)
    if not available():
        return finish(doc, rule_atts, outlet, links)
    labels = tag(doc, rule_atts)
    atts = _Assembler(doc, labels, rule_atts).build()
    # "citing" chains: the rules' links hold wherever the tagger kept both cues
    return finish(doc, atts, outlet, links)
