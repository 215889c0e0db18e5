"""The learned attribution extractor: a CRF tags sources, cues and contents, the parse ties
them into attributions.

1. The rules of :mod:`.rules` run first; their output is a feature of the tagger (and the
   fallback for what it does not decide: relations it leaves open, "citing" chains, hedges).
2. A linear-chain CRF (``data/tagger.crfsuite.xz``, trained on PolNeAR train by
   :mod:`.train_tagger`) labels every token of each paragraph ``B-``/``I-`` of ``SRC``,
   ``CUE``, ``CON`` or ``O`` (:mod:`.features`); a token the best path leaves out but
   whose marginal probability of a source or cue is high enough joins one (``RECALL``).
3. Each tagged cue becomes an attribution. Its content is every tagged content span the cue
   governs in the parse, else the nearest one in its sentence, and a content with no cue in
   its sentence continues the attribution before it in the paragraph (a quotation running
   over several sentences). Its source is the tagged source span holding the cue's subject
   or agent (or the "according to" object), else the nearest one in the sentence that is not
   another cue's nor in a phrase of circumstance of the cue, else the rules' source for the
   same cue, else the cue's subject when it can speak, else it is implicit; a tagged source
   the parse reads as a clause is cut to its subject. A cue without any tagged content
   reports its clausal complement or object. A cue no rule reads needs train to call its
   words cues (``cue_stats.json``) or the cue classifier to be sure of it.
4. Nesting, hedging and source resolution (anaphoric sources, "the ministry") run on the
   result as they do for the rules (:func:`.rules.finish`).

The model is loaded once per process. Without it (a checkout whose data file is missing)
the rules' output is returned unchanged.
"""

from __future__ import annotations

import lzma
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.tokens import Doc, Span, Token

from sourcetrace.extract.attribution import cues
from sourcetrace.extract.attribution.boundaries import adjust
from sourcetrace.extract.attribution.features import DocFeatures, paragraphs
from sourcetrace.extract.attribution.model import Attribution
from sourcetrace.extract.attribution.rules import (
    _agent,
    _can_speak,
    _subject,
    cite_links,
    cue_stats,
    find,
    finish,
)

MODEL = Path(__file__).with_name("data") / "tagger.crfsuite.xz"
_PUNCT = set(" \t\n,;:.!?—–-")
# Words that join two content pieces of one attribution into one span when they are all
# that lies between them (a tagged content interrupted by an untagged space or comma).
_JOIN_GAP = 3


# Constructions the rules read precisely (quotations next to their cue, "according to",
# "citing" chains, hedging adverbs, agentless passives, headlines, bylines, parenthetical
# cues): where the tagger finds the same cue, the rules' attribution is kept whole; the
# tagger's spans replace the rules' for the generic ones (clausal complement, object,
# complement), where PolNeAR's annotation is what the rules approximate.
PRECISE_RULES = frozenset(
    "quote-before quote-after quote-split according-to citing adverb passive headline "
    "byline parenthetical participle".split()
)
QUOTE_RULES = frozenset("quote-before quote-after quote-split".split())
# Rules attributions kept even when the tagger does not tag their cue.
KEEP_UNTAGGED = PRECISE_RULES
# ... and those whose source is a pronoun: the rules resolve it to the earlier source (the
# tagger sees one paragraph at a time).
ANAPHORS = frozenset("he she it they we i".split())
# ... and the other rules attributions whose cue the cue classifier (cues.py) is this sure of
# (chosen on PolNeAR dev among 0.6 / 0.7 / 0.8 / never: model selection).
UNTAGGED_P = 0.7
# A cue only the tagger saw (no rule reads it) needs evidence from outside the tagger: how
# often train annotates its words as cues (cue_stats.json, smoothed n / (seen + 3)), or, for
# words train never annotated so, the cue classifier's probability discounted tenfold.
# Below LEARNED_CUE_MIN ("destroyed", "in order") it is no cue. Chosen on half of train held
# out of a tagger trained on the other half (0.05 / 0.1 / off; dev not used): overlap cue F1
# +0.003 there.
LEARNED_CUE_MIN = 0.05
UNSEEN_DISCOUNT = 0.1
# The tagger's near misses: a token the best label path leaves outside every span whose
# marginal probability of being a cue (source) is at least this becomes one. Chosen on the
# same held-out half of train among 0.2 / 0.25 / 0.3 (source and cue recall +0.01 there);
# contents are left to the best path (their exact ends got worse).
RECALL = {"CUE": 0.3, "SRC": 0.3}


@lru_cache(maxsize=1)
def _tagger() -> Any | None:
    if _OVERRIDE is not None:
        return _OVERRIDE
    if not MODEL.exists():
        return None
    import pycrfsuite

    global _MODEL_BYTES
    # kept alive for as long as the tagger reads from it
    _MODEL_BYTES = lzma.decompress(MODEL.read_bytes())
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(_MODEL_BYTES)
    return tagger


_MODEL_BYTES: bytes | None = None
_OVERRIDE: Any | None = None


def use_model(path: Path | None) -> None:
    """Tag with the (uncompressed) CRFsuite model at ``path`` instead of the shipped one, or
    with the shipped one again (``None``): training the boundary model on held-out folds."""
    global _OVERRIDE
    _OVERRIDE = None
    if path is not None:
        import pycrfsuite

        _OVERRIDE = pycrfsuite.Tagger()
        _OVERRIDE.open(str(path))
    _tagger.cache_clear()


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
        got = _recall(tagger, tagger.tag(ctx.sequence(seq)))
        for i, lab in zip(seq, got, strict=True):
            labels[i] = lab
    return labels


def _recall(tagger: Any, got: list[str]) -> list[str]:
    """Tokens the best path (just tagged) leaves outside every span but whose marginal
    probability of a role is at least RECALL[role]: the tagger's near misses, given that
    role."""
    out = list(got)
    for role, floor in RECALL.items():
        for k, lab in enumerate(got):
            if lab != "O":
                continue
            p = tagger.marginal(f"B-{role}", k) + tagger.marginal(f"I-{role}", k)
            if p >= floor:
                prev = out[k - 1] if k else "O"
                out[k] = ("I-" if prev[2:] == role else "B-") + role
    return out


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
    return [_strip(doc, r, a, b) for r, a, b in out if _strip(doc, r, a, b)[1] <= b]


def _strip(doc: Doc, role: str, a: int, b: int) -> tuple[str, int, int]:
    """A cue or source without the punctuation at its ends ("said:" -> "said"), unless it is
    all punctuation (the ":" of "Poll: ...")."""
    if role == "CON":
        return role, a, b
    lo, hi = a, b
    while lo < hi and doc[lo].is_punct:
        lo += 1
    while hi > lo and doc[hi].is_punct:
        hi -= 1
    return (role, lo, hi) if not doc[lo].is_punct else (role, a, b)


def _root(span: Span) -> Token:
    verbs = [t for t in span if t.pos_ in ("VERB", "AUX") and t.head not in span]
    return verbs[0] if verbs else span.root


def _passive(cue: Span) -> bool:
    return any(t.dep_ in ("auxpass", "nsubjpass") or t.tag_ == "VBN" for t in cue) or any(
        c.dep_ in ("auxpass", "nsubjpass", "expl") for t in cue for c in t.children)


# function words a tagged source does not end on (the "the" of the next noun phrase)
_DANGLING_END = frozenset(("DET", "ADP", "CCONJ", "SCONJ", "AUX"))
# Pronouns in the object case: in "it allows them to justify" the parse makes "them" the
# subject of the infinitive, but English names a speaker in the object case only after a
# preposition ("according to them", "by them"). ("her" is also a possessive: left out.)
_OBJECT_PRONOUNS = frozenset(("me", "him", "us", "them", "whom"))


def _nominal(src: Span) -> Span | None:
    """A tagged source as the noun phrase it is: a span the parse reads as a clause ("the
    forces and the army eliminated 27 militants") is cut to its verb's subject (no subject
    in it: not a source), a lone object pronoun is not a source, and a function word left
    dangling at its end is dropped."""
    root = src.root
    if len(src) == 1 and root.lower_ in _OBJECT_PRONOUNS and root.dep_ != "pobj":
        return None
    if root.pos_ in ("VERB", "AUX") and root.dep_ not in ("amod", "compound"):
        subj = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")
                     and src.start <= c.i < src.end), None)
        if subj is None:
            return None
        sub = list(subj.subtree)
        src = src.doc[max(sub[0].i, src.start) : min(sub[-1].i + 1, src.end)]
    end = src.end
    while end - 1 > src.start and src.doc[end - 1].pos_ in _DANGLING_END:
        end -= 1
    return src.doc[src.start : end]


def _in_adjunct(src: Span, verb: Token) -> bool:
    """The span lies in a prepositional or adverbial phrase of the verb ("appeared | after
    the amnesty conducted by the administration"): a circumstance, not who speaks."""
    tok = src.root
    while tok.head.i != tok.i:
        if tok.head.i == verb.i:
            return tok.dep_ in ("prep", "advcl", "advmod", "npadvmod") and \
                tok.lower_ not in ("according", "by")
        tok = tok.head
    return False


_BRITISH_IS = re.compile(r"(?<=[a-z]{3})is(e|ed|es|ing|ation|ations)$")


def _spellings(word: str) -> tuple[str, ...]:
    """A word and its American spelling: PolNeAR (train's cue counts) is American English,
    and "criticised" must count what "criticized" counts."""
    us = _BRITISH_IS.sub(r"iz\1", word)
    return (word, us) if us != word else (word,)


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
        self.prob: dict[int, float] = doc.user_data.get(cues.PROB_KEY, {})

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
        """cue index -> its content spans: the nearest cue of the content's sentence (outside
        it), else the paragraph's last cue before it, else the quotation it continues.

        The cue that governs the content in the parse is not asked first: on PolNeAR dev that
        ownership lowered exact content F1 from 0.543 to 0.516 (the boundary model learned
        its decisions from the nearest-cue ownership)."""
        out: dict[int, list[Span]] = {}
        last_in_para: int | None = None
        order = sorted(range(len(self.contents)), key=lambda k: self.contents[k].start)
        for k in order:
            con = self.contents[k]
            owner = None
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
            and not _in_adjunct(src, head)
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
        kept: set[int] = set()  # ids of rules attributions kept as they are
        for c, cue in enumerate(self.cues):
            rule = self._rule_for(cue)
            if rule is not None and rule.rule in PRECISE_RULES:
                if id(rule) not in kept:  # the rules know this construction: keep theirs
                    kept.add(id(rule))
                    mine = [(s.start_char, s.end_char) for s in contents.get(c, [])]
                    if mine and rule.rule in QUOTE_RULES and not self._holds_cue(rule):
                        rule.content = self._refine(rule.content, mine)
                        rule.content_texts = [self.text[a:b] for a, b in rule.content]
                    atts.append(rule)
                continue
            if rule is None and self._cue_evidence(cue) < LEARNED_CUE_MIN and any(
                    ch.isalnum() for ch in cue.text):  # ":" of "Name: ..." needs none
                continue
            frags = [(s.start_char, s.end_char) for s in contents.get(c, [])]
            if frags and rule is not None and rule.content:
                # (held out: content overlap F1 -0.001, exact +0.001; it keeps seed 004)
                frags = self._not_cut_short(rule.content, frags)
            if not frags and rule is not None:
                frags = list(rule.content)
            if not frags:
                frags = self._parse_content(cue)
            if not frags:
                continue
            src = self.source_for(c, taken, contents.get(c, []))
            if src is not None:
                taken.add(self.sources.index(src))
                src = _nominal(src)
            if src is not None:
                source: tuple[int, int] | None = (src.start_char, src.end_char)
            elif rule is not None and not rule.implicit_source:
                source = (rule.source_start, rule.source_end)
            elif (subj := self._speaker(cue)) is not None:
                source = subj
            else:
                source = None
                if rule is None and not _passive(cue):
                    # a cue only the tagger saw, with nobody saying it and no passive to
                    # explain that ("The plot calls for ..."): not an attribution
                    continue
            frags = self._without(frags, cue.start_char, cue.end_char)
            if rule is not None:
                if rule.content and rule.cue_end <= rule.content[0][0] < cue.end_char and (
                    self._starts_with_preposition(rule.content[0][0])
                ):
                    # the tagger's cue ran into the rules' content ("spoke to reporters
                    # about"): the rules' cue is kept, so its preposition returns to the
                    # content
                    frags.append((rule.content[0][0], cue.end_char))
                frags = self._without(frags, rule.cue_start, rule.cue_end)
            if not frags:
                continue
            made = self._make(cue, source, self._merge(frags), rule)
            if any((a.cue_start, a.cue_end) == (made.cue_start, made.cue_end) for a in atts):
                # two tagged cues that are one rules cue ("further | estimated"): one
                # attribution, not the same one twice
                continue
            atts.append(made)
        # rules attributions of a precise construction the tagger left out stay
        covered = [(a.cue_start, a.cue_end) for a in atts]
        for rule in self.rules:
            if id(rule) in kept or not (rule.rule in KEEP_UNTAGGED
                                        or rule.source_text.lower() in ANAPHORS):
                continue
            if not any(a < rule.cue_end and rule.cue_start < b for a, b in covered):
                atts.append(rule)
                covered.append((rule.cue_start, rule.cue_end))
        for rule in self.rules:
            if id(rule) in kept or rule.rule in KEEP_UNTAGGED:
                continue
            tok = self.doc.char_span(rule.cue_start, rule.cue_end, alignment_mode="expand")
            p = max((self.prob.get(t.i, 0.0) for t in tok), default=0.0) if tok else 0.0
            if p >= UNTAGGED_P and not any(a < rule.cue_end and rule.cue_start < b
                                           for a, b in covered):
                atts.append(rule)
                covered.append((rule.cue_start, rule.cue_end))
        return atts

    def _speaker(self, cue: Span) -> tuple[int, int] | None:
        """The cue's own subject, as a noun phrase before the cue, when it can speak (a
        tagged cue whose source the tagger left untagged: "Washington | thanked")."""
        subj, passive = _subject(_root(cue))
        if subj is None or passive or subj.i >= cue.start or not _can_speak(subj):
            return None
        toks = [t for t in subj.subtree if t.i < cue.start]
        span = _nominal(self.doc[toks[0].i : toks[-1].i + 1]) if toks else None
        return (span.start_char, span.end_char) if span is not None else None

    def _cue_evidence(self, cue: Span) -> float:
        """How likely a cue the tagged span is, on evidence outside the tagger: how often
        train annotates its words as cues (cue_stats.json, smoothed), or for a word train
        never annotated so, the cue classifier's probability of it, discounted."""
        stats = cue_stats()
        best = 0.0
        for t in cue:
            n, seen = next((stats[w] for w in _spellings(t.lower_) if w in stats), (0, 0))
            p = n / (seen + 3) if n else self.prob.get(t.i, 0.0) * UNSEEN_DISCOUNT
            best = max(best, p)
        return best

    def _starts_with_preposition(self, pos: int) -> bool:
        span = self.doc.char_span(pos, pos + 1, alignment_mode="expand")
        return span is not None and span[0].pos_ == "ADP"

    def _without(self, frags: list[tuple[int, int]], cs: int, ce: int) -> list[tuple[int, int]]:
        """Content pieces without the cue, and without a leftover before the cue made of an
        expletive and auxiliaries only ("It is" of "It is claimed that ...")."""
        out: list[tuple[int, int]] = []
        for a, b in frags:
            for x, y in ((a, min(b, cs)), (max(a, ce), b)):
                if y <= x:
                    continue
                span = self.doc.char_span(x, y, alignment_mode="expand")
                if span is None or all(t.dep_ in ("expl", "aux", "auxpass", "punct", "neg")
                                       or t.is_space or t.lower_ == "it" for t in span):
                    continue
                out.append((x, y))
        return out

    def _not_cut_short(self, rule_frags: list[tuple[int, int]],
                       mine: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The tagged content of a cue the rules read too, with each piece of the rules'
        content that the tagged pieces overlap but cover less than half of put back whole:
        the tagger cut the clause at a relative clause or a comma ("X, which is run by Y,
        to Z, a report says" tagged from "which" on)."""
        out = list(mine)
        for a, b in rule_frags:
            inside = [(x, y) for x, y in mine if x < b and a < y]
            covered = sum(min(y, b) - max(x, a) for x, y in inside)
            if inside and covered * 2 < b - a:
                out.append((a, b))
        return self._merge(out)

    def _holds_cue(self, att: Attribution) -> bool:
        """Another attribution's cue inside this one's content: a nested chain, which the
        tagger (one label a token) cannot represent; the rules' content stays."""
        return any(o is not att and any(a <= o.cue_start < b for a, b in att.content)
                   for o in self.rules)

    def _refine(self, rule_frags: list[tuple[int, int]],
                mine: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Each piece of the rules' content replaced by the tagged pieces it overlaps (their
        boundaries follow the annotation), kept as it is when it overlaps none; tagged pieces
        outside the rules' content are added."""
        out: list[tuple[int, int]] = []
        for a, b in rule_frags:
            inside = [(x, y) for x, y in mine if x < b and a < y]
            covered = sum(min(y, b) - max(x, a) for x, y in inside)
            # a quotation the tagger saw only part of (it ran over a paragraph) stays whole
            out.extend(inside if covered * 2 >= b - a else [(a, b)])
        # tagged pieces beyond the rules' (the next sentence of the quotation) are added
        out.extend((x, y) for x, y in mine if not any(x < b and a < y for a, b in rule_frags))
        return self._merge(out)

    def _parse_content(self, cue: Span) -> list[tuple[int, int]]:
        """A tagged cue without a tagged content: its clausal complement in the parse, else
        its object (on half of train held out, a cue tagged right but dropped for want of a
        content was the commonest loss of the assembly: 305 of 677)."""
        head = _root(cue)
        for child in head.rights:
            if child.dep_ in ("ccomp", "xcomp") and child.i >= cue.end:
                toks = list(child.subtree)
                return [(toks[0].idx, toks[-1].idx + len(toks[-1]))]
        # a cue ending on its preposition or before its object ("is calling for | X",
        # "critique of | X"): the object is what is said, unless it is a date ("issued a
        # statement on | Monday") or a pronoun ("wish to exploit | them")
        for child in list(cue[-1].rights) + list(head.rights):
            if child.dep_ in ("pobj", "dobj") and child.i >= cue.end and \
                    child.pos_ != "PRON" and child.ent_type_ not in ("DATE", "TIME"):
                toks = list(child.subtree)
                return [(toks[0].idx, toks[-1].idx + len(toks[-1]))]
        return []

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
        if rule is not None:
            # the rules' cue for the same verb: with its auxiliaries and negation, without the
            # addressee ("have urged", not "have urged Congress")
            cs, ce = rule.cue_start, rule.cue_end
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


def extract(doc: Doc, outlet: str | None = None, *, boundaries: bool = True,
            ) -> tuple[list[Attribution], list[Span]]:
    """All attributions of a parsed doc by the learned tagger (see the module docstring);
    ``boundaries=False`` leaves the contents' ends where the tagger and rules put them (what
    :mod:`.train_boundaries` learns from)."""
    finder = find(doc)
    rule_atts = list(finder.found)
    links = cite_links(doc, finder)
    if not available():
        return finish(doc, rule_atts, outlet, links)
    labels = tag(doc, rule_atts)
    atts = _Assembler(doc, labels, rule_atts).build()
    if boundaries:
        adjust(doc, atts)
    # "citing" chains: the rules' links hold wherever the tagger kept both cues
    return finish(doc, atts, outlet, links)
