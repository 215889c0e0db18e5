"""Attribution rules over the dependency parse.

Each cue (a verb the cue classifier of :mod:`.cues` accepts, or without its model a speech
verb from :mod:`.lexicon`; "according to", "citing", a hedging adverb, "Name:" headlines and
"“...” ― Name" bylines) yields an attribution when its source and content can be found:

* source: the subject of the cue verb, inherited through ``xcomp``/``advcl``/``conj``
  ("He went on to accuse ...", "X issued a statement, alleging ..."), the agent of a passive,
  the object of "according to"/"citing", or implicit (empty) for agentless passives;
* content: a quotation next to the cue (before, after, or both when split around it), else
  the clausal complement, else the direct object for cues such as "denied" or "announced".

Sources are then classified and anaphoric ones resolved in :mod:`.sources`, and nested
attributions get their ``parent``.
"""

from __future__ import annotations

import bisect
import json
import re
from functools import lru_cache
from pathlib import Path

from spacy.tokens import Doc, Span, Token

from sourcetrace.extract.attribution import cues
from sourcetrace.extract.attribution import lexicon as lx
from sourcetrace.extract.attribution.model import Attribution
from sourcetrace.extract.attribution.quotes import QUOTE_CHARS, find_quotes
from sourcetrace.extract.attribution.sources import _looks_like_person_name, resolve_sources
from sourcetrace.nlp.spans import EntityIndex

_EDGE_PUNCT = set(",;:.-—–()[] \n\t")
_GAP_BEFORE = re.compile(r"^[\s,—–-]*$")
_GAP_AFTER = re.compile(r"^[^.!?“”\"\n]{0,90}$|^[^.!?“”\"]{0,90}:\s*$")
_COMPLEMENT_DEPS = ("xcomp", "dobj", "prep", "attr", "oprd", "acomp")
_ADDRESSEE_PREPS = frozenset("to with in on during after before".split())
_ADVERB_CUES = {"reportedly", "allegedly", "purportedly", "supposedly"}


# A word the PolNeAR train split marks as a cue at least this often is a cue candidate
# (``train.py`` writes the counts); with its object as content above OBJECT_RATIO.
CUE_RATIO = 0.35
OBJECT_RATIO = 0.5
_HEADLINE = re.compile(r"^[\"“]?([^\n:.!?\"“”]{2,60}):[ \t]+(\S[^\n]*)$", re.M)
# Headline sources that are not names: "Poll: Clinton and Trump in dead heat".
_HEADLINE_NOUNS = frozenset("poll polls survey study report analysis".split())
_NOT_SPEAKERS = frozenset("clarification correction update note editor's note ps".split())
# "“...” ― Carlos Raúl": a quotation signed by a dash and a name at the end of the line.
_NAME = r"[A-Z][\w.'’-]*(?:[ \t\xa0]+[A-Z][\w.'’-]*){0,5}"
_BYLINE = re.compile(rf"[ \t\xa0]*([―—–])[ \t\xa0]*({_NAME})[ \t\xa0.]*(?:\n|$)")


@lru_cache(maxsize=1)
def cue_stats() -> dict[str, tuple[int, int]]:
    path = Path(__file__).with_name("cue_stats.json")
    if not path.exists():
        return {}
    return {w: (n, seen) for w, (n, seen) in json.loads(path.read_text("utf-8")).items()}


def learned_ratio(tok: Token) -> float:
    """How often the train split annotates this word form as (part of) a cue."""
    n, seen = cue_stats().get(tok.lower_, (0, 0))
    return n / seen if seen else 0.0


class _Quotes:
    """Quotation spans with fast lookup by character position."""

    def __init__(self, text: str) -> None:
        self.spans = find_quotes(text)
        self.starts = [s for s, _ in self.spans]

    def containing(self, pos: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(self.starts, pos) - 1
        if i >= 0 and self.spans[i][0] <= pos < self.spans[i][1]:
            return self.spans[i]
        return None

    def ending_before(self, pos: int) -> tuple[int, int] | None:
        best = None
        for span in self.spans:
            if span[1] <= pos:
                best = span
            else:
                break
        return best

    def starting_after(self, pos: int) -> tuple[int, int] | None:
        i = bisect.bisect_left(self.starts, pos)
        return self.spans[i] if i < len(self.spans) else None

    def overlapping(self, start: int, end: int) -> list[tuple[int, int]]:
        return [s for s in self.spans if s[0] < end and start < s[1]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip spaces and clause punctuation from both ends, but keep quotation marks and the
    punctuation a closing quotation mark encloses (news style puts the comma inside)."""
    while start < end and text[start] in _EDGE_PUNCT:
        start += 1
    while end > start and text[end - 1] in _EDGE_PUNCT:
        if text[end - 1] == ")" and "(" in text[start:end]:
            break  # "Foreign Intelligence Service (SVR)"
        end -= 1
    return start, end


def _span_chars(tokens: list[Token]) -> tuple[int, int]:
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1])


def _subtree_chars(tok: Token, exclude: set[int] | None = None) -> list[tuple[int, int]]:
    """Character fragments of a token's subtree, leaving out ``exclude`` token indices."""
    exclude = exclude or set()
    toks = [t for t in tok.subtree if t.i not in exclude]
    frags: list[list[Token]] = []
    for t in toks:
        if frags and t.i == frags[-1][-1].i + 1:
            frags[-1].append(t)
        else:
            frags.append([t])
    return [_span_chars(f) for f in frags]


def _cue_tokens(verb: Token) -> list[Token]:
    """The verb with its auxiliaries and negation ("has said", "did not deny")."""
    toks = [verb]
    for child in verb.lefts:
        if child.dep_ in ("aux", "auxpass", "neg") and verb.i - child.i <= 3:
            toks.append(child)
    toks.sort(key=lambda t: t.i)
    # keep the verb even when a misparse labels it punctuation: a cue is never empty
    return [t for t in verb.doc[toks[0].i : verb.i + 1] if t.dep_ != "punct" or t.i == verb.i]


def _subject(verb: Token, depth: int = 0) -> tuple[Token | None, bool]:
    """(subject token, passive) of a verb; subjects are inherited from governing verbs."""
    # A misparse can give a verb two subjects ("“the ships left,” the master said"): the
    # one nearest the verb is its own.
    subjects = sorted(
        (c for c in verb.children if c.dep_ in ("nsubj", "csubj")), key=lambda c: abs(c.i - verb.i)
    )
    if subjects:
        child = subjects[0]
        if child.lower_ in lx.RELATIVE_PRONOUNS and verb.dep_ == "relcl":
            return verb.head, False
        return child, False
    for child in verb.children:
        if child.dep_ in ("nsubjpass", "csubjpass"):
            return child, True
        if child.dep_ == "expl":
            return child, any(c.dep_ == "auxpass" for c in verb.children)
    if verb.dep_ == "relcl" and verb.head.pos_ in ("NOUN", "PROPN"):
        return verb.head, False
    if verb.dep_ == "acl" and verb.head.pos_ in ("NOUN", "PROPN") and (
        verb.tag_ == "VBD" or (verb.head.dep_ == "ROOT" and any(
            c.dep_ == "ccomp" for c in verb.children))
    ):
        # "The agency, citing X, reported that ..." misparsed as a noun phrase with a reduced
        # relative: a past-tense (not participle) verb is the main verb of its head noun.
        return verb.head, False
    if depth < 3 and verb.dep_ in ("xcomp", "advcl", "conj", "pcomp") and verb.head is not verb:
        head = verb.head
        if verb.dep_ == "pcomp":  # "... after saying that"
            head = head.head
        if head.pos_ in ("VERB", "AUX"):
            return _subject(head, depth + 1)
    return None, False


def _can_speak(tok: Token) -> bool:
    """Could this subject say something: a name, a pronoun, or a noun for people, groups,
    organisations or statements?"""
    low, lemma = tok.lower_, tok.lemma_.lower()
    if tok.pos_ == "PROPN" or tok.ent_type_ in ("PERSON", "ORG", "GPE", "NORP"):
        return True
    if tok.pos_ == "PRON" or low in lx.RELATIVE_PRONOUNS:
        return True
    return any(lemma in words or low in words for words in (
        lx.PERSON_NOUNS, lx.ORG_NOUNS, lx.STATEMENT_NOUNS, lx.ANONYMOUS_NOUNS, lx.VAGUE_NOUNS,
        lx.ENTOURAGE_NOUNS))


def _agent(verb: Token) -> Token | None:
    for child in verb.children:
        if child.dep_ == "agent":
            for grand in child.children:
                if grand.dep_ == "pobj":
                    return grand
    return None


class _Finder:
    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc.text
        self.quotes = _Quotes(doc.text)
        self.found: list[Attribution] = []
        self.by_cue: dict[int, int] = {}  # cue head token index -> attribution index
        self.cite_links: list[tuple[int, int]] = []  # (inner cue token, outer cue token)

    # -- helpers -------------------------------------------------------------------------
    def in_quote(self, tok: Token) -> bool:
        return self.quotes.containing(tok.idx) is not None

    def add(
        self,
        cue: list[Token],
        source: tuple[int, int] | None,
        content: list[tuple[int, int]],
        rule: str,
        head: Token,
        cue_chars: tuple[int, int] | None = None,
    ) -> int | None:
        content = [_trim(self.text, a, b) for a, b in content]
        content = [(a, b) for a, b in sorted(content) if b > a]
        if not content:
            return None
        cue_start, cue_end = cue_chars or _span_chars(cue)
        if source is not None:
            source = _trim(self.text, *source)
            if source[1] <= source[0]:
                return None
        src_start, src_end = source if source else (cue_start, cue_start)
        att = Attribution(
            source_start=src_start,
            source_end=src_end,
            source_text=self.text[src_start:src_end],
            cue_start=cue_start,
            cue_end=cue_end,
            cue_text=self.text[cue_start:cue_end],
            content=content,
            content_texts=[self.text[a:b] for a, b in content],
            rule=rule,
        )
        if head.i in self.by_cue:
            return self.by_cue[head.i]
        self.found.append(att)
        self.by_cue[head.i] = len(self.found) - 1
        return len(self.found) - 1

    def source_span(self, tok: Token, verb: Token | None = None) -> tuple[int, int]:
        """The subject's subtree without its clauses ("X, who lost ..., said"; "X, citing Y,
        reported"): the contiguous run of remaining tokens around the head."""
        drop: set[int] = set()
        # "a person briefed on X's plans", "people who know X": the clause says who the
        # unnamed source is (and whom it is near), so it stays when not set off by a comma.
        unnamed = tok.lower_ in lx.ENTOURAGE_NOUNS or tok.lemma_.lower() in lx.ENTOURAGE_NOUNS
        for child in tok.children:
            if verb is not None and child is verb:
                drop |= {t.i for t in child.subtree}
            elif child.dep_ in ("relcl", "acl", "advcl"):
                edge = child.left_edge.i
                if unnamed and child.dep_ != "advcl" and edge > tok.i and (
                    edge == 0 or tok.doc[edge - 1].text != ","
                ):
                    continue
                drop |= {t.i for t in child.subtree}
        keep = {t.i for t in tok.subtree} - drop
        start = end = tok.i
        while start - 1 in keep:
            start -= 1
        while end + 1 in keep:
            end += 1
        doc = tok.doc
        return doc[start].idx, doc[end].idx + len(doc[end])

    # -- content -------------------------------------------------------------------------
    def quote_before(self, clause_start: int) -> tuple[int, int] | None:
        q = self.quotes.ending_before(clause_start + 1)
        if q is None:
            return None
        gap = self.text[q[1] : clause_start]
        if not _GAP_BEFORE.match(gap):
            return None
        inner = self.text[q[0] : q[1]].rstrip("".join(QUOTE_CHARS))
        inner_last = inner[-1] if inner else ""
        # "“X,” he said" / "“X?” she asked" / "“X” — he said"; a quote closed by a full stop
        # belongs to the sentence before ("“X.” He said: ...").
        if inner_last in ",?!—–-" or "," in gap or "—" in gap or "–" in gap:
            return q
        return None

    def quote_after(self, after: int) -> tuple[int, int] | None:
        q = self.quotes.starting_after(after)
        if q is None:
            return None
        gap = self.text[after : q[0]]
        if not _GAP_AFTER.match(gap):
            return None
        stripped = gap.rstrip()
        # "He said: “X”" / "she said, “X”" / "he told reporters on Monday: “X”"
        if stripped.endswith((":", ",")) or not stripped.strip(" ,"):
            return q
        return None

    def clause_content(self, verb: Token, exclude: set[int]) -> list[tuple[int, int]]:
        for child in verb.children:
            if child.dep_ in ("ccomp", "csubj") and child.i not in exclude:
                frags = _subtree_chars(child, exclude)
                start, end = frags[0][0], frags[-1][1]
                # A clause that touches a quotation takes the whole quotation.
                for q in self.quotes.overlapping(start, end):
                    if q[0] < start or q[1] > end:
                        start, end = min(start, q[0]), max(end, q[1])
                if any(a <= verb.idx < b for a, b in [(start, end)]):
                    return frags
                return [(start, end)]
        return []

    def object_content(self, verb: Token) -> list[tuple[int, int]]:
        if verb.lemma_.lower() in lx.ADDRESSEE_VERBS:  # "urged Congress to act": to act
            xcomp = next((c for c in verb.rights if c.dep_ == "xcomp"), None)
            if xcomp is not None:
                return [_span_chars(list(xcomp.subtree))]
        objs = [c for c in verb.children if c.dep_ in ("dobj", "attr")]
        if not objs:
            return []
        obj = objs[0]
        start, end = _subtree_chars(obj)[0][0], _subtree_chars(obj)[-1][1]
        # "accused X of Y", "warned X against Y": the prepositional phrase is the claim
        for child in verb.rights:
            if child.dep_ == "prep" and child.i > obj.i and child.lower_ in ("of", "against"):
                end = max(end, _subtree_chars(child)[-1][1])
            # "estimated the losses to amount to $11 million": the object and what it is
            # estimated to be are one claim
            if child.dep_ in ("xcomp", "ccomp") and child.i > obj.i:
                end = max(end, _subtree_chars(child)[-1][1])
        return [(start, end)]

    def host_content(self, verb: Token) -> list[tuple[int, int]]:
        """"The museum, Mr. Obama said, would make ...": a parenthetical cue reports the
        clause it interrupts (or follows), without the cue's own words."""
        host = verb.head
        if host.pos_ not in ("VERB", "AUX") or self.in_quote(host):
            return []
        sent = verb.sent
        drop = {t.i for t in verb.subtree}
        toks = [t for t in host.subtree if t.i not in drop and sent.start <= t.i < sent.end]
        toks = [t for t in toks if not (t.is_punct and t.text not in QUOTE_CHARS)]
        if not toks:
            return []
        before = [t for t in toks if t.i < verb.i]
        after = [t for t in toks if t.i > verb.i]
        return [_span_chars(part) for part in (before, after) if part]

    def complement_content(
        self, verb: Token, deps: tuple[str, ...] = _COMPLEMENT_DEPS
    ) -> list[tuple[int, int]]:
        """For learned cues ("called for X", "wants to X", "railed against X"): the object,
        the infinitive or the prepositional phrase that follows."""
        fallback: list[tuple[int, int]] = []
        for child in verb.rights:
            if child.dep_ in deps:
                frags = _subtree_chars(child)
                if child.dep_ == "prep" and child.lower_ in _ADDRESSEE_PREPS:
                    # "spoke to reporters about X": who hears it, not what (unless nothing else)
                    fallback = fallback or [(frags[0][0], frags[-1][1])]
                    continue
                return [(frags[0][0], frags[-1][1])]
        return fallback

    def headlines(self) -> None:
        """"Name: claim" lines (headline style): the name is the source, ":" the cue."""
        ents: EntityIndex | None = None  # built on the first line that needs it
        for m in _HEADLINE.finditer(self.text):
            src = self.doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
            if src is None or len(src) > 6:
                continue
            speaker = src.text.isupper() and m.start() > 0  # transcripts: "PENCE: Well, ..."
            if src.text.lower() in _NOT_SPEAKERS or src.root.lower_ in _NOT_SPEAKERS:
                continue
            if not speaker and any(t.pos_ in ("VERB", "AUX") for t in src):
                continue
            if not speaker and ents is None:
                ents = EntityIndex(self.doc)
            if not (
                speaker
                or any(e.label_ == "PERSON" for e in ents.within(src))  # type: ignore[union-attr]
                or _looks_like_person_name(src)
                or src.root.lower_ in _HEADLINE_NOUNS
            ):
                continue  # "NY Daily News: ...", "Editor's Note: ..." are titles, not speech
            colon = self.doc.char_span(m.end(1), m.end(1) + 1, alignment_mode="expand")
            if colon is None:
                continue
            self.add(list(colon), (m.start(1), m.end(1)), [(m.start(2), m.end(2))], "headline",
                     colon[0], cue_chars=(m.end(1), m.end(1) + 1))

    def bylines(self) -> None:
        """"“Quote.” ― Name" (reader comments, epigraphs): the name is the source and the
        dash the cue."""
        for q in self.quotes.spans:
            m = _BYLINE.match(self.text, q[1])
            if m is None:
                continue
            dash = self.doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
            if dash is None:
                continue
            self.add(list(dash), (m.start(2), m.end(2)), [q], "byline", dash[0],
                     cue_chars=(m.start(1), m.end(1)))

    # -- cues ----------------------------------------------------------------------------
    def verb_cue(self, verb: Token) -> None:
        lemma = verb.lemma_.lower()
        subj, passive = _subject(verb)
        agent = _agent(verb)
        cue = _cue_tokens(verb)
        exclude = {t.i for t in cue}
        clause_start = min([verb.idx] + ([subj.left_edge.idx] if subj is not None else []))
        if subj is not None and subj.i > verb.i:  # "“X,” said the minister"
            clause_start = verb.idx
            for t in cue:
                clause_start = min(clause_start, t.idx)
        qb = self.quote_before(min(clause_start, cue[0].idx))
        after_tok = verb
        if subj is not None and subj.i > verb.i:
            after_tok = subj.right_edge
        for child in verb.rights:  # "told reporters on Monday:"
            if child.dep_ in ("dobj", "dative", "prep", "npadvmod") and self.quotes.containing(
                child.idx
            ) is None:
                after_tok = max(after_tok, child.right_edge, key=lambda t: t.i)
        qa = self.quote_after(after_tok.idx + len(after_tok))
        if qa is not None and self.quotes.containing(verb.idx) is not None:
            qa = None
        clause = self.clause_content(verb, exclude)
        content: list[tuple[int, int]] = []
        rule = ""
        if qb and qa and (not clause or clause[0][0] >= qa[0] or clause[-1][1] <= qb[1]):
            content, rule = [qb, qa], "quote-split"
        elif qb and (not clause or (clause[0][0] >= qb[0] and clause[-1][1] <= qb[1])):
            content, rule = [qb], "quote-before"
        elif clause:
            content, rule = clause, "clause"
            if qa and qa[0] < clause[0][0]:
                content, rule = [qa], "quote-after"
        elif qa:
            content, rule = [qa], "quote-after"
        elif qb:
            content, rule = [qb], "quote-before"
        elif lemma in lx.OBJECT_CONTENT or learned_ratio(verb) >= OBJECT_RATIO:
            content, rule = self.object_content(verb), "object"
        if not content and verb.dep_ == "parataxis" and lemma in lx.SPEECH_VERBS:
            content, rule = self.host_content(verb), "parenthetical"
        if not content and lemma not in lx.SPEECH_VERBS:
            content, rule = self.complement_content(verb), "complement"
        if not content:  # "pledged to close the plant", "vowed to ..."
            content, rule = self.complement_content(verb, ("xcomp",)), "complement"
        if not content and passive and lemma in lx.PASSIVE_CUES:
            content = self.passive_content(verb, subj)
            rule = "passive"
        if not content:
            return
        source: tuple[int, int] | None
        if passive and agent is not None:
            source = self.source_span(agent)
        elif passive or (subj is not None and subj.dep_ == "expl"):
            if lemma not in lx.PASSIVE_CUES:
                return
            source = None
            if rule != "passive" and subj is not None and subj.dep_ != "expl":
                # "X is said to be ..." : X and the xcomp are the content
                pass
        elif subj is not None:
            if rule in ("object", "complement") and not _can_speak(subj):
                # "The plot calls for ...", "tacit approval ..., condemning X": a verb that is
                # only sometimes a cue needs a subject that can say something
                return
            source = self.source_span(subj, verb)
            if any(a <= source[0] < b for a, b in content):
                return  # the subject is inside the content: a parse mix-up
            trailing = self.trailing_host(verb, subj)
            if trailing is not None and rule == "clause":
                content = [trailing]
        else:
            return
        idx = self.add(cue, source, content, rule, verb)
        if idx is not None and source is None:
            self.found[idx].hedged = True

    def trailing_host(self, verb: Token, subj: Token) -> tuple[int, int] | None:
        """"X did Y, a report says." : a cue that closes its sentence after a comma reports
        everything before the comma, whatever the parser hung below the verb."""
        sent = verb.sent
        if subj.i > verb.i or self.in_quote(verb):
            return None
        after = [t for t in verb.doc[verb.i + 1 : sent.end] if not t.is_space]
        if any(not t.is_punct for t in after):
            return None
        left = subj.left_edge.i
        if left - 1 <= sent.start or verb.doc[left - 1].text != ",":
            return None
        doc = verb.doc
        first = sent.start
        # a sentence the parser cut where no sentence ends ("from the al- Khan ...") is one
        while first > 0 and doc[first - 1].text not in (".", "!", "?", "…") and (
            "\n" not in doc[first - 1].text
        ):
            first -= 1
        start = doc[first].idx
        end = doc[left - 1].idx
        if end - start < 12:
            return None
        return start, end

    def passive_content(self, verb: Token, subj: Token | None) -> list[tuple[int, int]]:
        """"X has long been accused of Y" -> "X ... of Y"; "X is said to Y" -> "X ... to Y"."""
        if subj is None or subj.dep_ == "expl":
            return []
        subj_frags = _subtree_chars(subj)
        for child in verb.rights:
            if child.dep_ in ("prep", "xcomp", "oprd"):
                rest = _subtree_chars(child)
                return [(subj_frags[0][0], subj_frags[-1][1]), (rest[0][0], rest[-1][1])]
        return []

    def according_to(self, tok: Token) -> None:
        to = tok.nbor(1)
        pobj = next((c for c in to.children if c.dep_ == "pobj"), None)
        if pobj is None:
            pobj = next((c for c in tok.children if c.dep_ == "pobj"), None)
        pobj_toks = [t for t in to.subtree if t is not to]
        if pobj is None:
            # "according to show insiders": the noun phrase misparsed as a clause; take the
            # words up to the next punctuation when they end in a noun.
            pobj_toks = []
            for t in tok.doc[to.i + 1 : min(to.i + 8, tok.sent.end)]:
                if t.is_punct:
                    break
                pobj_toks.append(t)
            if not pobj_toks or pobj_toks[-1].pos_ not in ("NOUN", "PROPN"):
                return
        phrase = {t.i for t in tok.subtree} | {t.i for t in to.subtree}
        phrase |= {t.i for t in pobj_toks}
        head = tok.head
        while head.dep_ not in ("ROOT", "ccomp", "conj", "advcl", "relcl", "xcomp") and (
            head.head is not head
        ):
            head = head.head
        if head is tok and tok.dep_ != "ROOT":
            return
        sent = tok.sent
        q = self.quotes.containing(tok.idx)
        if tok.dep_ == "ROOT":  # "According to X, Y" misparsed with "According" as the root
            end = pobj.right_edge.i if pobj is not None else pobj_toks[-1].i
            comma = next((t.i for t in tok.doc[to.i + 1 : end + 1] if t.text == ","), None)
            end = comma - 1 if comma is not None and comma > to.i + 1 else end
            pobj_toks = list(tok.doc[to.i + 1 : end + 1])
            toks = [t for t in sent if not tok.i <= t.i <= end]
        elif head.dep_ == "ROOT":
            toks = [t for t in sent if t.i not in phrase]
        else:
            toks = [t for t in head.subtree if t.i not in phrase]
        if q is not None:  # inside a quotation the content stays inside it
            toks = [t for t in toks if q[0] < t.idx < q[1] - 1]
        toks = [t for t in toks if t.text not in QUOTE_CHARS or q is None]
        if not toks:
            return
        frags: list[list[Token]] = []
        for t in toks:
            if frags and t.i == frags[-1][-1].i + 1:
                frags[-1].append(t)
            else:
                frags.append([t])
        content = [_span_chars(f) for f in frags if any(not t.is_punct for t in f)]
        source = _span_chars(pobj_toks)
        self.add([tok, to], source, content, "according-to", tok)

    def citing(self, verb: Token) -> None:
        obj = next((c for c in verb.children if c.dep_ == "dobj"), None)
        if obj is None:
            return
        outer = verb.head
        if outer.i not in self.by_cue:  # "The agency, citing X, reported" parsed as two acl
            sibling = next((c for c in outer.children if c.i in self.by_cue and c is not verb),
                           None)
            outer = sibling if sibling is not None else outer
        source = self.source_span(obj)
        if outer.i in self.by_cue:
            att = self.found[self.by_cue[outer.i]]
            idx = self.add([verb], source, list(att.content), "citing", verb)
            if idx is not None:
                self.cite_links.append((verb.i, outer.i))
            return
        exclude = {t.i for t in verb.subtree}
        toks = [t for t in (outer.subtree if outer.dep_ != "ROOT" else outer.sent)
                if t.i not in exclude and not (t.dep_ == "nsubj" and t.head is outer)]
        subj, _ = _subject(outer)
        if subj is not None:
            exclude |= {t.i for t in subj.subtree}
            toks = [t for t in toks if t.i not in exclude]
        if not toks:
            return
        self.add([verb], source, [_span_chars(toks)], "citing", verb)

    def adverb(self, tok: Token) -> None:
        """"The militants are reportedly ...": an unnamed source, and a hedge."""
        head = tok.head
        if head.pos_ not in ("VERB", "AUX") or self.in_quote(tok):
            return
        frags = _subtree_chars(head, {tok.i})
        idx = self.add([tok], None, frags[:1] if len(frags) == 1 else [
            (frags[0][0], frags[-1][1])], "adverb", tok)
        if idx is not None:
            self.found[idx].hedged = True

    def participle_cue(self, verb: Token) -> None:
        """"X made similar allegations, disclosing it had information ...", misparsed with
        "disclosing" as the clausal subject of "had": the participle is the cue, the clause
        it seems to head is the content and the speaker is the subject of the main verb."""
        clause = verb.head
        if clause.dep_ in ("conj", "advcl", "ccomp", "parataxis") and clause.head is not clause:
            gov = clause.head
        else:  # or the main clause hangs below it: "X made allegations" as its ccomp
            gov = next((c for c in clause.children if c.dep_ in ("ccomp", "conj", "advcl")
                        and c.i < verb.i and c.pos_ in ("VERB", "AUX")), None)
            if gov is None:
                return
        subj, passive = _subject(gov)
        if subj is None or passive or subj.dep_ == "expl":
            return
        toks = [t for t in clause.subtree if t.i > verb.i and not t.is_punct]
        if not toks:
            return
        self.add([verb], self.source_span(subj, gov), [_span_chars(toks)], "participle", verb)

    def is_cue(self, tok: Token) -> bool:
        """The trained cue classifier decides; without it, the lexicon and the cue prior."""
        if cues.available():
            in_quote = self.quotes.containing
            prob = cues.cue_probability(tok, learned_ratio(tok), lambda i: in_quote(i) is not None)
            self.doc.user_data.setdefault(cues.PROB_KEY, {})[tok.i] = prob
            return prob >= cues.THRESHOLD
        return tok.lemma_.lower() in lx.SPEECH_VERBS or learned_ratio(tok) >= CUE_RATIO

    def run(self) -> list[Attribution]:
        doc = self.doc
        cites: list[Token] = []
        for tok in doc:
            low = tok.lower_
            if low == "according" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
                self.according_to(tok)
            elif tok.lemma_.lower() == "cite" and tok.pos_ == "VERB" and tok.dep_ in (
                "advcl", "acl", "conj", "xcomp"
            ):
                cites.append(tok)
            elif (
                tok.tag_ == "VBG" and tok.dep_ == "csubj" and not list(tok.children)
                and tok.lemma_.lower() in lx.SPEECH_VERBS and not self.in_quote(tok)
            ):
                self.participle_cue(tok)
            elif cues.candidate(tok) and not self.in_quote(tok) and self.is_cue(tok):
                self.verb_cue(tok)
            elif low in _ADVERB_CUES:
                self.adverb(tok)
        for tok in cites:
            self.citing(tok)
        self.headlines()
        self.bylines()
        return self.found


def hedge_tokens(doc: Doc) -> list[Span]:
    """Hedging words (reportedly, allegedly, may, might ...) as one-token spans."""
    out = []
    for tok in doc:
        if tok.lower_ in lx.HEDGE_WORDS and (tok.pos_ in ("ADV", "ADJ") or tok.tag_ == "MD"):
            out.append(doc[tok.i : tok.i + 1])
    return out


def _hedged(doc: Doc, att: Attribution, hedges: list[Span]) -> bool:
    if att.hedged:
        return True
    cue_head = doc.char_span(att.cue_start, att.cue_end, alignment_mode="expand")
    if cue_head is not None and cue_head.root.lemma_.lower() in lx.HEDGING_CUES:
        return True
    for h in hedges:
        if any(a <= h.start_char < b for a, b in att.content):
            return True
        if att.cue_start - 20 <= h.start_char < att.cue_end:  # "reportedly said"
            return True
    return False


def find(doc: Doc) -> _Finder:
    """Run the rules; the finder holds their attributions (``found``) and "citing" links."""
    finder = _Finder(doc)
    finder.run()
    return finder


def cite_links(doc: Doc, finder: _Finder) -> list[tuple[int, int]]:
    """(inner cue start, outer cue start) character offsets of the "citing" chains."""
    return [(doc[inner].idx, doc[outer].idx) for inner, outer in finder.cite_links]


def finish(
    doc: Doc,
    atts: list[Attribution],
    outlet: str | None = None,
    links: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> tuple[list[Attribution], list[Span]]:
    """Order attributions by cue, number their sentences, nest them (``parent``), mark the
    hedged ones and resolve their sources; also return the hedge spans."""
    atts = sorted(atts, key=lambda a: (a.cue_start, a.cue_end))
    sent_of = {}
    for i, sent in enumerate(doc.sents):
        sent_of[sent.start_char] = i
    sent_starts = sorted(sent_of)
    for att in atts:
        j = bisect.bisect_right(sent_starts, att.cue_start) - 1
        att.sentence = sent_of[sent_starts[max(j, 0)]]
    # Nesting: an attribution whose cue lies inside another's content belongs to it.
    for i, att in enumerate(atts):
        best: tuple[int, int] | None = None
        for j, other in enumerate(atts):
            if i == j:
                continue
            for a, b in other.content:
                if a <= att.cue_start < b and not (a <= other.cue_start < b):
                    if best is None or b - a < best[1]:
                        best = (j, b - a)
        if best is not None:
            att.parent = best[0]

    def at(pos: int) -> int | None:
        return next((k for k, a in enumerate(atts) if a.cue_start <= pos < a.cue_end), None)

    for inner, outer in links:
        i, o = at(inner), at(outer)
        if i is not None and o is not None and i != o:
            atts[i].parent = o
    hedges = hedge_tokens(doc)
    text = doc.text
    for att in atts:
        att.hedged = _hedged(doc, att, hedges)
        att.content_whole = text[att.content_start : att.content_end]
    resolve_sources(doc, atts, outlet)
    return atts, hedges


def extract(doc: Doc, outlet: str | None = None) -> tuple[list[Attribution], list[Span]]:
    """All attributions of a parsed doc by the rules, in text order of their cues, and the
    hedge spans."""
    finder = find(doc)
    return finish(doc, finder.found, outlet, cite_links(doc, finder))
