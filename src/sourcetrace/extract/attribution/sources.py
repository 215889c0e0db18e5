"""Classify attribution sources and resolve anaphoric ones to an earlier source.

``source_kind`` is one of person, organisation, anonymous, vague, outlet. A source that
points back ("he", "it", "the statement", "the agency", "the sources", "the Russian envoy")
takes the kind and the resolved text of the most recent compatible earlier source:

* he/she → the last person;
* "the statement", "the report" → the last source that issued a statement (its sentence
  mentions one: "In a statement, X ...", "X issued a statement ..."), else the last
  organisation; "it" → the last organisation, else the last statement;
* "the agency", "the ministry" → the last organisation named with that noun ("the Defence
  Ministry"), else the last organisation; "the sources" → the last anonymous
  source; "the spokesman", "the Russian envoy" → the last person; they → the last source
  that is not a single person.

"The SVR statement" names its issuer: it resolves to the earlier source that mentions "SVR",
or to "SVR" itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from sourcetrace.extract.attribution import lexicon as lx
from sourcetrace.extract.attribution.model import Attribution
from sourcetrace.nlp.spans import EntityIndex

_DEFINITE = {"the", "this", "that", "these", "those"}
_NAME_ENTS = {"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC"}


@dataclass
class _Seen:
    resolved: str
    kind: str
    statement: bool  # the source issued a statement ("In a statement, X said")


def _proper(span: Span) -> list:
    """Name tokens; nationality and place adjectives ("the Russian envoy") don't name."""
    return [
        t for t in span
        if (t.pos_ == "PROPN" and t.ent_type_ not in ("NORP", "GPE"))
        or (t.ent_type_ in ("PERSON", "ORG") and t.is_alpha)
    ]


def classify(
    span: Span, outlet: str | None, ents: EntityIndex | None = None
) -> tuple[str, str | None, str]:
    """(kind, anaphor type or None, name text used for resolution) of a source span.
    ``ents``: the doc's entity index, when classifying many spans of one doc."""
    text = span.text
    if outlet and _heads_with_outlet(span, outlet):
        return "outlet", None, text
    root = span.root
    # The head noun of an apposition-free NP ("Russia's ambassador to the UN, X": root is
    # "ambassador" and the name hangs off it in appos).
    low = root.lower_
    lemma = root.lemma_.lower()
    dets = {t.lower_ for t in root.children if t.dep_ in ("det", "predet")}
    has_poss = any(t.dep_ == "poss" for t in root.children)
    names = _proper(span)
    inside = ents.within(span) if ents is not None else span.ents
    persons = [e for e in inside if e.label_ == "PERSON"]
    if low in ("someone", "somebody"):  # "someone close to the team": nobody named
        return "anonymous", None, text
    if root.pos_ == "PRON" and len(span) <= 2:
        if low in lx.PERSON_PRONOUNS:
            return "person", "person", text
        if low in lx.PLURAL_PRONOUNS:
            return "vague", "plural", text
        return "organisation", "it", text
    if lemma in lx.STATEMENT_NOUNS or low in lx.STATEMENT_NOUNS:
        issuer = [t for t in names if t.i < root.i]
        if issuer:
            return "organisation", "named-statement", " ".join(t.text for t in issuer)
        if dets & _DEFINITE or has_poss:
            return "organisation", "statement", text
        return "vague", None, text
    if low in lx.ANONYMOUS_NOUNS or lemma in lx.ANONYMOUS_NOUNS:
        if dets & {"many", "some", "several", "most"} and lemma == "person":
            return "vague", None, text
        if lemma == "person" and not any(c.dep_ in ("amod", "acl", "prep") for c in root.children):
            return "vague", None, text
        # "the sources further added": a definite bare noun points back.
        mods = [c for c in root.children if c.dep_ not in ("det", "punct")]
        if dets & _DEFINITE and not mods:
            return "anonymous", "anonymous", text
        return "anonymous", None, text
    if names and root.pos_ != "PROPN" and not _names_head(root, names) and (
        low in lx.ENTOURAGE_NOUNS or lemma in lx.ENTOURAGE_NOUNS
        or low in lx.VAGUE_NOUNS or lemma in lx.VAGUE_NOUNS
    ):
        # "a Trump adviser", "allies of Trump", "critics, including top Obama administration
        # officials", "those close to Trump": the name says whom the source is near, it is not
        # the source (entity linking records it as near_entity). A group is vague; one
        # unnamed person, or people the reporter vouches for, anonymous.
        if low in lx.VAGUE_NOUNS or lemma in lx.VAGUE_NOUNS:
            return "vague", None, text
        return "anonymous", None, text
    if persons and lemma not in lx.ORG_NOUNS:  # "the news agency, SANA" misread as a name
        return "person", None, text
    if dets & lx.VAGUE_DETERMINERS or low in lx.VAGUE_NOUNS or lemma in lx.VAGUE_NOUNS:
        return "vague", None, text
    if lemma in lx.PERSON_NOUNS or low in lx.PERSON_NOUNS:
        if names and any(t.ent_type_ == "PERSON" or t.dep_ in ("appos", "compound") for t in names):
            return "person", None, text
        if dets & _DEFINITE and not has_poss and not names:
            return "anonymous", "person", text
        if names or has_poss:
            return "person", None, text
        return "anonymous", None, text
    if lemma in lx.ORG_NOUNS or low in lx.ORG_NOUNS:
        # "the agency" points back; "the US military" names its organisation.
        specific = any(
            c.dep_ in ("compound", "poss") or c.ent_type_ in ("GPE", "NORP", "ORG")
            for c in root.children
        )
        if dets & _DEFINITE and not names and not has_poss and not specific:
            return "organisation", "organisation", lemma  # the head noun finds its antecedent
        return "organisation", None, text
    if root.pos_ == "PROPN" or names:
        if root.ent_type_ == "PERSON":
            return "person", None, text
        if root.ent_type_ in ("ORG", "") and _looks_like_person_name(span):
            return "person", None, text
        if root.ent_type_ in ("GPE", "NORP", "FAC", "LOC"):
            return "organisation", None, text
        # An unlabelled name: acronyms are organisations, Title Case names people.
        if root.text.isupper() and len(root.text) > 1:
            return "organisation", None, text
        if root.ent_type_:
            return "organisation", None, text
        return "person", None, text
    return "vague", None, text


def _names_head(root: Token, names: list[Token]) -> bool:
    """Whether a name in the span names the head itself rather than qualifying it: in
    apposition ("an adviser, Jane Roe,") or the head's own name ("adviser Jane Roe", where
    the parser may leave the title as head with the name as a flat compound after it)."""
    for t in names:
        node = t
        while node.i != root.i and node.head.i != node.i:
            if node.dep_ == "appos" and node.head.i == root.i:
                return True
            node = node.head
        if t.i > root.i and t.dep_ in ("compound", "flat", "appos") and t.head.i == root.i:
            return True
    return False


def _heads_with_outlet(span: Span, outlet: str) -> bool:
    """Whether the source is the article's own outlet: its name holds the head of the source
    ("The Daily Meridian", "Breitbart News"). A source the outlet's name only qualifies is
    someone else ("ABC News consultant Col. X", "the Washington Times straw poll")."""
    text, name = span.text.lower(), outlet.lower()
    head = span.root.idx - span.start_char
    pos = text.find(name)
    while pos >= 0:
        if pos <= head < pos + len(name):
            return True
        pos = text.find(name, pos + 1)
    return False


def _looks_like_person_name(span: Span) -> bool:
    """Two or three capitalised name words, none an organisation word or an acronym
    ("Vassily Nebenzya", which the small NER model sometimes labels ORG)."""
    words = [t for t in span if not t.is_punct]
    return (
        2 <= len(words) <= 3
        and all(t.pos_ == "PROPN" and t.text[:1].isupper() and not t.text.isupper()
                for t in words)
        and not any(t.lower_ in lx.ORG_NOUNS for t in words)
    )


def _find(seen: list[_Seen], want: str, name: str = "") -> _Seen | None:
    if want == "organisation" and name:
        # "the ministry" is the last source named a ministry ("the Defence Ministry said ...
        # NorPress reported ... the ministry claimed"), else the last organisation.
        for item in reversed(seen):
            if item.kind == "organisation" and name in item.resolved.lower().split():
                return item
    for item in reversed(seen):
        if want == "person" and item.kind == "person":
            return item
        if want == "organisation" and item.kind in ("organisation", "outlet"):
            return item
        if want == "anonymous" and item.kind == "anonymous":
            return item
        if want == "it" and item.kind in ("organisation", "outlet"):
            return item
        if want == "statement" and item.statement:
            return item
        if want == "plural" and item.kind != "person":
            return item
        if want == "named-statement" and name and name.lower() in item.resolved.lower():
            return item
    if want == "it":
        return _find(seen, "statement")
    if want == "statement":  # "according to the statement": the last source that is not a
        return _find(seen, "organisation") or (seen[-1] if seen else None)  # person pronoun
    return None


def resolve_sources(doc: Doc, atts: list[Attribution], outlet: str | None = None) -> None:
    """Fill source_kind and source_resolved, in text order of the sources."""
    seen: list[_Seen] = []
    ents = EntityIndex(doc)
    order = sorted(atts, key=lambda a: (min(a.source_start, a.cue_start), a.cue_start))
    for att in order:
        if att.implicit_source:
            att.source_kind, att.source_resolved = "vague", ""
            continue
        span = doc.char_span(att.source_start, att.source_end, alignment_mode="expand")
        if span is None or len(span) == 0:
            att.source_kind, att.source_resolved = "vague", att.source_text
            continue
        # "credible data received by X": X is the source behind the data.
        for child in span.root.children:
            agent = next((c for c in child.children if c.dep_ == "agent"), None)
            if child.dep_ == "acl" and agent is not None and list(agent.children):
                pobj = list(agent.children)[0]
                span = doc[pobj.left_edge.i : pobj.right_edge.i + 1]
                break
        kind, anaphor, name = classify(span, outlet, ents)
        resolved = span.text if span.start_char > att.source_start else att.source_text
        if anaphor is not None:
            found = _find(seen, anaphor, name)
            if found is not None:
                kind, resolved = found.kind, found.resolved
            elif anaphor == "named-statement":
                resolved = name
        sent = doc[span.start].sent
        statement = any(t.lemma_.lower() in ("statement", "communique", "release") for t in sent)
        att.source_kind, att.source_resolved = kind, resolved
        if att.parent is not None:
            continue  # a source quoted inside another's content is no antecedent outside it
        seen.append(_Seen(resolved, kind, statement or anaphor in ("statement",
                                                                   "named-statement")))
