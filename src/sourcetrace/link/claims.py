"""Claim units, and claims matched across documents into claim clusters.

Claim units
-----------
*Attributed claims.* The content of every attribution is a claim of its source
(``claims.attribution`` is the attribution id, ``hedged`` comes from the attribution). When
attributions are nested ("officials said the agency reported that X"), only the innermost
content that is a claim is one: an attribution that is the ``parent`` of one giving a claim
(at any depth) gives no claim of its own, so X is counted once, not twice; a parent whose
nested attributions give none (their contents fail the rules below) keeps its own.
Attributions with the same content span give one claim.
Quoted questions, indirect questions ("did not say *what evidence linked them*", "*what* he
called"), fragments of fewer than three words with no number ("blames *Kestria*") and
contents with neither a verb nor a number ("criticised *the ministry's handling of the
crisis*", judged on the parse in the NLP pass: ``attributions.content_check``) are not claims:
they carry no proposition to corroborate.

*Unattributed claims.* Every other sentence of an article (``sentences`` table, split further
at line breaks because headlines and captions often share a spaCy sentence with the next
line) that asserts something as fact without a source is a claim of the outlet
(``unattributed = True``, ``attribution = NULL``). A sentence is *not* a claim when:

1. it overlaps an attribution (source, cue or content) for at least a third of its length,
   or is that attribution's sentence: it is already covered by the attributed claim. An
   attribution whose content is no claim covers it only when it reports a topic (a reporting
   cue, the content running to the sentence's end: "criticised *the ministry's handling*");
   a cue that reports nothing ("circumstances *involving* his exit") or a content cut short
   before the sentence's verb leaves the sentence its own claim;
2. it is the document's title (or nearly identical to it);
3. it has fewer than 4 words, or is boilerplate ("Read more", "Leave a reply", "Click to see
   full-size image", "Sign up for...", "All rights reserved", photo credits...);
4. it is a question (ends with "?", ignoring closing quotes/brackets) or a teaser
   ("Here's what we know", "What you need to know", "Watch:", "You won't believe...");
5. it is an imperative (the root is a bare verb without a subject: "Share this article");
6. it has no finite verb (headline-style fragments such as "Protests in the capital");
7. it is opinion rather than an event:
   - a first-person subject ("I", "we") with an opinion verb (think, believe, feel, hope...)
     or with neither a number nor a named entity in the sentence;
   - a prescriptive modal on the main verb ("should", "must", "ought to", "need to");
   - a copula whose predicate is an evaluative adjective ("This is outrageous", "The plan is
     a disgrace") with no number in the sentence, or whose subject is a bare
     "this"/"that"/"it" with an adjective and no named entity or number.

Everything else with a finite verb — an event, a number, an accusation stated as fact — is a
claim. An unattributed claim is ``hedged`` when it contains a hedge word (reportedly,
allegedly, may, might, could, apparently, unconfirmed, believed to...).

Claim ids are ``{doc}:c{n}``, numbered in text order within each document. A claim's text
is the document's text between its offsets; a quote split around its cue ("“A,” she said,
“B.”") is embedded and compared without the cue pieces (``Claim.said``).

Claim clusters: one proposition each
------------------------------------
A claim cluster holds the claims that state one *proposition*: the same event or state of
affairs, whoever says it and however it is worded. Only claims that could match a claim of
another document are embedded and compared (:mod:`sourcetrace.link.blocking`: documents on
the same story, shared wording, copied passages); the others stay singletons, and the
embedded ones are compared only within those blocks. Candidate pairs (each claim's nearest
claims of the related documents, and the pairs sharing wording) are judged by the learned
same-proposition classifier (:mod:`sourcetrace.link.propositions`, trained on labelled news
sentence pairs) and by the containment model (:mod:`sourcetrace.link.containment`, fitted on
labelled news claim pairs: a long claim carrying a short one's proposition with other detail),
and linked when the higher of the two probabilities reaches the containment model's threshold
(:func:`same_threshold`); the containment side never links claims whose numbers, names or
polarity disagree. Two claims at
corresponding places of an aligned passage pair of the ``reuse`` table are linked outright.
Only cross-document pairs are linked, so claims of one document join a cluster only through
another document. Each connected component is then cut by *complete* linkage over the
probabilities of all its pairs: every two claims of a cluster are judged the same
proposition, so A~B and B~C never put A with C unless A~C too (no chaining).

*Every claim gets a cluster* (``cl:<n>``), singletons included, so the provenance step can
count the sources behind any claim. Clusters over several documents come first, ranked by
number of documents, then number of claims, then earliest appearance (``cl:1`` is the most
repeated proposition); singletons follow in document order. The label is the cluster's most
central claim (highest mean probability to the others) shortened to ``LABEL_CHARS``.
``origins``, ``independent_origins``, ``amplification`` and ``flags`` are left empty for the
provenance step.

Narratives
----------
A narrative (``nr:<n>``) groups the claim clusters that tell the same story line. Documents
are put in blocks (related documents, as above, and documents sharing a cluster); within a
block the clusters are grouped by average linkage on the mean similarity of their claims:
MiniLM cosine, plus ``NARRATIVE_ADJACENT`` for claims next to each other in one article (a
story line runs over consecutive sentences), cut at ``NARRATIVE_THRESHOLD``. Narratives are
ranked like clusters; the label is that of the narrative's first cluster. Provenance is
computed per cluster and rolled up per narrative over all its claims
(:mod:`sourcetrace.provenance.independence`); the headline counts stay per proposition.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import networkx as nx
import numpy as np

from sourcetrace.config import DEFAULT_MODEL, Settings
from sourcetrace.corpus import CorpusStep, OnDriver, PerGroup, Sql, Write
from sourcetrace.extract.attribution import lexicon as lx
from sourcetrace.extract.claimworthiness import (  # noqa: F401 (re-exported rules)
    CLAIM_OK,
    is_fragment,
    is_hedged,
    is_question,
    line_pieces,
    parse_rejection,
    text_rejection,
    words_key,
)
from sourcetrace.link import containment, matching, propositions, vector_cache
from sourcetrace.link.embeddings import DIM
from sourcetrace.link.matching import ClaimInfo, ClaimSet
from sourcetrace.registry import corpus_steps
from sourcetrace.tables import CORPUS

log = logging.getLogger(__name__)

LABEL_CHARS = 120
# Components larger than this are not re-clustered by average linkage (that needs all
# pairwise scores); they keep their connected components and a warning is logged.
MAX_LINKAGE_COMPONENT = 4000
# Claim pairs less similar than this (MiniLM cosine) are never the same proposition and are
# not put to the classifier: on the proposition gold it judged none of the 87% of the
# candidate pairs below 0.45 the same (one of 16,000 below 0.45 reached 0.3).
PROPOSITION_COSINE = 0.45
# The classifier's token-alignment stage (a MiniLM token pass for its uncertain pairs): +0.007
# pairwise F1 on the proposition gold, and it keeps "destroyed 3,000 tonnes" with "destroyed
# 3,000 tonnes and damaged 14 silos"; it costs 278 -> 293 s on 2,000 AllSides articles
# (docs/benchmarks.md).
ALIGN_TOKENS = True
# Narratives: claim clusters of one block of related documents are grouped by average
# linkage when their mean claim cosine (plus the bonus for neighbouring claims of one
# article) reaches NARRATIVE_THRESHOLD; blocks larger than MAX_NARRATIVE_BLOCK claims are
# not grouped (each cluster its own narrative, with a warning).
NARRATIVE_THRESHOLD = 0.3
NARRATIVE_ADJACENT = 0.5
MAX_NARRATIVE_BLOCK = 6000
# A sentence overlapping an attribution for this share of its characters is covered by it.
COVERED_SHARE = 1 / 3
# How far (in characters) a claim may sit from the position that a reuse alignment predicts
# for it in the other document and still be taken as the same passage.
REUSE_SLACK = 60

@dataclass
class Claim:
    doc: str
    text: str
    start: int
    end: int
    sentence: int | None
    attribution: str | None = None
    hedged: bool = False
    unattributed: bool = False
    id: str = ""
    cluster: str | None = None
    info: ClaimInfo | None = None  # matching features, filled from the other tables
    # what the source is said to say, cue pieces left out ("“A,” she said, “B.”" -> "“A,”
    # “B.”"): what is embedded and compared; ``text`` (the document's text between the
    # offsets) is what is shown. Empty: the same as ``text``.
    said: str = ""

    @property
    def compared(self) -> str:
        return self.said or self.text

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id, "doc": self.doc, "text": self.text, "start": self.start,
            "end": self.end, "attribution": self.attribution, "hedged": self.hedged,
            "unattributed": self.unattributed, "cluster": self.cluster, "sentence": self.sentence,
        }


# --- claim units ------------------------------------------------------------------------------
def _judged_pieces(sentence: dict[str, Any]) -> list[tuple[int, int, str, str | None]]:
    """A sentence row cut at line breaks (as the NLP pass cut it), each piece with the parse
    verdict the NLP pass gave it: from ``line_checks`` when the sentence spans line breaks,
    else the sentence's ``claim_check``. None: the row has no verdict (not written by the NLP
    pass), and the text rules alone decide."""
    pieces = line_pieces(sentence["text"] or "", sentence["start"])
    verdicts = sentence.get("line_checks")
    if verdicts is None or len(verdicts) != len(pieces):
        verdicts = [sentence.get("claim_check")] * len(pieces)
    return [(*piece, verdict) for piece, verdict in zip(pieces, verdicts, strict=True)]


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def _extent(att: dict[str, Any]) -> tuple[int, int] | None:
    starts = [att[k] for k in ("source_start", "cue_start", "content_start") if att[k] is not None]
    ends = [att[k] for k in ("source_end", "cue_end", "content_end") if att[k] is not None]
    return (min(starts), max(ends)) if starts and ends else None


def _covered(
    start: int, end: int, idx: int, extents: list[tuple[int | None, tuple[int, int] | None]]
) -> bool:
    """Whether an attribution already covers this piece of sentence ``idx`` (rule 1)."""
    for sentence, ext in extents:
        if ext is None:
            if sentence == idx:  # no offsets: the attribution's sentence is all we know
                return True
            continue
        shared = _overlap(start, end, *ext)
        if shared >= COVERED_SHARE * (end - start) or (sentence == idx and shared > 0):
            return True
    return False


def _sentence_of(sentences: list[dict[str, Any]], start: int) -> int | None:
    for s in sentences:
        if s["start"] <= start < s["end"]:
            return s["idx"]
    return None


def said_text(att: dict[str, Any]) -> str:
    """An attribution's content as the source is reported to say it: its pieces
    (``content_spans``) without the cue between them ("“A,” she said, “B.”" -> "“A,” “B.”").
    ``content_text`` keeps the cue (it is the document's text between the content's
    offsets, as the claim's text is), and a claim compared with it would carry "she said"
    into the embedding and the word overlap."""
    text, start = (att.get("content_text") or ""), att.get("content_start")
    raw = att.get("content_spans")
    if not raw or start is None:
        return text.strip()
    pieces = [text[a - start : b - start] for a, b in json.loads(raw)]
    return " ".join(p.strip() for p in pieces if p.strip()) or text.strip()


def _gives_claim(att: dict[str, Any]) -> bool:
    """Whether the attribution's content passes the content rules of :func:`claim_units`
    (nesting and repeated spans aside)."""
    content = (att.get("content_text") or "").strip()
    return bool(content) and att.get("content_start") is not None and not (
        is_question(content) or is_fragment(content)
        or att.get("content_check") not in (None, CLAIM_OK))


_WORD = re.compile(r"\w+")
_PREPOSITIONS = frozenset(
    "of in on at for to from with by over about into against after before during".split())


def _covers(att: dict[str, Any], sentences: list[dict[str, Any]]) -> bool:
    """Whether the attribution covers its sentence (rule 1). One whose content is a claim
    does. One whose content is no claim does only when it reports a topic: a reporting cue
    and a content that runs to the end of its sentence, or on into a prepositional phrase
    ("The opposition criticised *the ministry's handling* of the crisis."). Otherwise the
    sentence keeps its own claim: the learned tagger also finds cues that report nothing
    ("circumstances *involving* his exit remain tricky", "*The incident* was reported
    Thursday night") and contents cut short before the sentence's verb ("He said *the
    embassy in Moscow* received the application"), and either would take a whole
    sentence's claim away."""
    if _gives_claim(att):
        return True
    if not reports(att.get("cue_text")):
        return False
    end = att.get("content_end")
    if end is None:
        return True
    for s in sentences:
        if s["start"] <= end <= s["end"]:
            rest = _WORD.findall((s["text"] or "")[end - s["start"]:].split("\n", 1)[0])
            return not rest or rest[0].lower() in _PREPOSITIONS
    return True


def _inflections(lemma: str) -> set[str]:
    stem = lemma[:-1] if lemma.endswith("e") else lemma
    forms = {lemma, lemma + "s", lemma + "es", lemma + "d", lemma + "ed", stem + "ing",
             lemma + "ing"}
    if lemma.endswith("y"):
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied"}
    return forms


# Reporting words of the attribution lexicon, inflected (nothing here parses): what makes a
# cue report, whatever the content it was given.
_IRREGULAR_REPORTING = frozenset(
    "said told wrote written thought felt found shown read spoke spoken knew known understood "
    "taught forecast upheld withdrew withdrawn according statement statements".split()
)
REPORTING_WORDS = frozenset(
    {form for lemma in (lx.SPEECH_VERBS | lx.OBJECT_CONTENT | lx.PASSIVE_CUES
                        | lx.ADDRESSEE_VERBS | lx.STATEMENT_NOUNS)
     for form in _inflections(lemma)} | _IRREGULAR_REPORTING
)


def reports(cue: str | None) -> bool:
    """Whether a cue holds a reporting word ("said", "has criticised", "according to", "the
    statement"); no cue at all counts as reporting (nothing to judge it by)."""
    words = re.findall(r"[a-z]+", (cue or "").lower())
    return not words or any(w in REPORTING_WORDS for w in words)


def _attribution_order(att: dict[str, Any]) -> tuple[int, str]:
    """Attributions in the order the extractor emitted them (ids ``{doc}:a{n}``), whatever
    order the store returns them in: which of two attributions with one content span gives
    the claim must not depend on how an engine wrote the rows (Spark's Parquet part files
    come back in another order than the local engine's inserts)."""
    found = re.search(r":a(\d+)$", att.get("id") or "")
    return (int(found.group(1)) if found else -1, att.get("id") or "")


def _parents_with_claims(attributions: list[dict[str, Any]]) -> set[str]:
    """Ids of the attributions nested inside which (at any depth) some attribution's content
    is a claim: those give no claim of their own, the innermost claim is the claim. A parent
    whose nested attributions all give none ("officials said Pyongyang was blamed for the
    *alleged* hack": the inner "alleged" has no verb of its own) keeps its content as the
    claim, or the content would be no claim at all."""
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in attributions:
        if a.get("parent"):
            children[a["parent"]].append(a)
    known: dict[str, bool] = {}

    def inner_claim(att_id: str, depth: int = 0) -> bool:
        # whether an attribution nested in att_id gives a claim (depth-bounded: a cycle in
        # bad rows must not recurse forever)
        if att_id not in known:
            known[att_id] = depth < 32 and any(
                _gives_claim(c) or inner_claim(c["id"], depth + 1)
                for c in children.get(att_id, ()))
        return known[att_id]

    return {p for p in children if inner_claim(p)}


def claim_units(
    documents: list[dict[str, Any]],
    sentences: list[dict[str, Any]],
    attributions: list[dict[str, Any]],
    model: str = DEFAULT_MODEL,
) -> list[Claim]:
    """Claims of each document (ids assigned), from table rows; see the module docstring.

    Nothing here parses: the parse rules were applied in the NLP pass, whose verdicts the
    sentence rows carry, so neither this process nor a Spark executor loads a spaCy
    pipeline. ``model`` is unused and kept for callers."""
    sents_by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in sentences:
        sents_by_doc[s["doc"]].append(s)
    atts_by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in attributions:
        atts_by_doc[a["doc"]].append(a)
    parents = _parents_with_claims(attributions)

    claims: list[Claim] = []
    for document in documents:
        doc_id = document["id"]
        sents = sorted(sents_by_doc.get(doc_id, []), key=lambda s: s["idx"])
        atts = sorted(atts_by_doc.get(doc_id, []), key=_attribution_order)
        seen_spans: set[tuple[int, int]] = set()
        for a in atts:
            if a["id"] in parents:  # nested: the innermost content is the claim
                continue
            # the content as written between its offsets, cue pieces included ("“A,” she
            # said, “B.”"): every claim's text is the document's text between its offsets
            content = (a.get("content_text") or "").strip()
            if not _gives_claim(a):
                continue
            span = (a["content_start"], a["content_end"])
            if span in seen_spans:
                continue
            seen_spans.add(span)
            sentence = a.get("sentence")
            hedged = a.get("hedged")
            claims.append(
                Claim(
                    doc=doc_id, text=content, start=span[0], end=span[1],
                    sentence=sentence if sentence is not None else _sentence_of(sents, span[0]),
                    attribution=a["id"],
                    hedged=bool(hedged) if hedged is not None else is_hedged(content),
                    said=said_text(a),
                )
            )
        extents = [(a.get("sentence"), _extent(a)) for a in atts if _covers(a, sents)]
        for s in sents:
            for start, end, text, verdict in _judged_pieces(s):
                if verdict not in (None, CLAIM_OK):  # a parse rule rejected it (5-7)
                    continue
                covered = _covered(start, end, s["idx"], extents)
                if covered or text_rejection(text, document.get("title")):
                    continue
                claims.append(
                    Claim(
                        doc=doc_id, text=text, start=start, end=end, sentence=s["idx"],
                        hedged=is_hedged(text), unattributed=True,
                    )
                )

    by_doc: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        by_doc[c.doc].append(c)
    ordered: list[Claim] = []
    for doc_id in sorted(by_doc):
        for n, c in enumerate(sorted(by_doc[doc_id], key=lambda c: (c.start, c.end)), 1):
            c.id = f"{doc_id}:c{n}"
            ordered.append(c)
    return ordered


# --- matching context from the other tables ---------------------------------------------------
# Per-document tables that tell what a claim mentions: table -> the columns read after
# (doc, start, end).
CONTEXT_COLUMNS = {
    "mentions": ("entity", "text"), "place_mentions": ("place", "text"),
    "quantities": ("value",), "dates": ("value",),
}


# A demonym ("Syrian forces") says whose, not where: a claim's places are the places it names.
CONTEXT_FILTERS = {"place_mentions": " WHERE role IS DISTINCT FROM 'demonym'"}


def _add_entity(info: ClaimInfo, entity_id: str | None, text: str) -> None:
    # Unlinked mentions still agree on their normalised surface form.
    info.entities.add(entity_id or f"text:{words_key(text)}")


def _add_place(info: ClaimInfo, place_id: str | None, text: str) -> None:
    info.places.add(place_id or f"text:{words_key(text)}")


def _add_number(info: ClaimInfo, value: float | None) -> None:
    if value is not None:
        info.numbers.add(matching.norm_number(value))


def _add_date(info: ClaimInfo, value: str | None) -> None:
    if value:
        info.dates.add(value)


_CONTEXT_ADD = {
    "mentions": _add_entity, "place_mentions": _add_place, "quantities": _add_number,
    "dates": _add_date,
}


def attach_context(claims: list[Claim], rows: dict[str, Iterable[tuple[Any, ...]]]) -> None:
    """Fill each claim's ClaimInfo with the entities, places, numbers and dates in its span;
    ``rows``: table -> ``(doc, start, end, *CONTEXT_COLUMNS[table])`` tuples."""
    by_doc: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        c.info = ClaimInfo(text=c.compared, doc=c.doc)
        by_doc[c.doc].append(c)
    for table, add in _CONTEXT_ADD.items():
        for doc, start, end, *values in rows.get(table, ()):
            for c in by_doc.get(doc, []):
                if start is not None and c.start <= start and end <= c.end:
                    add(c.info, *values)  # type: ignore[operator]


# --- clustering -------------------------------------------------------------------------------
def pair_probabilities(claimset: ClaimSet, members: list[int]) -> np.ndarray:
    """The same-proposition probability of every pair of ``members`` (a symmetric matrix,
    1 on the diagonal)."""
    n = len(members)
    out = np.eye(n)
    if n < 2:
        return out
    rows, cols = np.triu_indices(n, k=1)
    index = np.asarray(members, dtype=int)
    out[rows, cols] = out[cols, rows] = judge(claimset, index[rows], index[cols])
    return out


def judge(claimset: ClaimSet, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Same-proposition probability of the pairs (left[k], right[k]); pairs whose MiniLM
    cosine is below ``PROPOSITION_COSINE`` are 0 without asking the classifier."""
    v = claimset.vectors
    cosine = np.einsum("ij,ij->i", v[left], v[right])
    out = np.zeros(len(left))
    asked = np.flatnonzero(cosine >= PROPOSITION_COSINE)
    if len(asked):
        msrp = propositions.same_probability(
            claimset, left[asked], right[asked], align=ALIGN_TOKENS
        )
        # a long claim carrying a short one's proposition with other detail is the same
        # proposition, which MSRP's classifier was taught to reject (link/containment.py)
        out[asked] = containment.combined_probability(claimset, left[asked], right[asked], msrp)
    return out


def same_threshold() -> float:
    """The probability at which :func:`judge` calls a pair the same proposition."""
    return containment.load_model().threshold


def split_component(
    claimset: ClaimSet, members: list[int], forced: set[tuple[int, int]]
) -> list[tuple[list[int], list[float]]]:
    """One connected component of linked claims (indices into ``claimset``, ascending) cut
    into propositions by complete linkage: every two claims of a proposition are judged
    the same proposition (probability at least :func:`same_threshold`, or copied passages),
    so A~B and B~C never put A with C unless A~C too. Each group comes with its members'
    centrality (mean probability to the other members). The Spark engine calls it on a
    ``ClaimSet`` of the component's claims alone: the probabilities are the same floats."""
    if len(members) > MAX_LINKAGE_COMPONENT:
        log.warning("claim component of %d claims kept apart (too large to compare all "
                    "pairs)", len(members))
        return [([m], [1.0]) for m in members]
    with matching.one_blas_thread():  # the same floats on both engines
        probability = pair_probabilities(claimset, members)
    index = {m: k for k, m in enumerate(members)}
    for i, j in forced:
        if i in index and j in index:
            probability[index[i], index[j]] = probability[index[j], index[i]] = 1.0
    out = []
    for part in complete_linkage(members, probability, same_threshold()):
        idx = [index[m] for m in part]
        sub = probability[np.ix_(idx, idx)]
        central = (
            ((sub.sum(axis=1) - 1.0) / (len(part) - 1)).tolist() if len(part) > 1 else [1.0]
        )
        out.append((part, central))
    return out


def linkage_groups(
    members: list[int], similarity: np.ndarray, threshold: float, method: str
) -> list[list[int]]:
    """Groups of ``members`` from hierarchical clustering (``method``: scipy's "complete" or
    "average") over ``1 - similarity``, cut at ``1 - threshold``; ties broken by member
    order, so both engines agree."""
    if len(members) == 1:
        return [members]
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    distance = np.clip(1.0 - similarity, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method=method)
    labels = fcluster(tree, t=1.0 - threshold, criterion="distance")
    parts: dict[int, list[int]] = defaultdict(list)
    for m, label in zip(members, labels.tolist(), strict=True):
        parts[label].append(m)
    return sorted(parts.values(), key=min)


def complete_linkage(
    members: list[int], similarity: np.ndarray, threshold: float
) -> list[list[int]]:
    """Groups of ``members`` in which every pair has ``similarity`` at least ``threshold``."""
    return linkage_groups(members, similarity, threshold, "complete")


def average_linkage(
    members: list[int], similarity: np.ndarray, threshold: float
) -> list[list[int]]:
    """Groups whose members' mean similarity to each other group is below ``threshold``."""
    return linkage_groups(members, similarity, threshold, "average")


def _date_key(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


def first_appearance(published: Iterable[str | None]) -> str | None:
    """The earliest of ISO dates/datetimes (returned as written), ignoring unparsable ones."""
    dated = [(k, p) for p in published if p and (k := _date_key(p)) is not None]
    return min(dated)[1] if dated else None


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# == the corpus step, declared once for both engines ===========================================
# Stages, in order: claim units per document; their numbering (document id, then position);
# claim pairs at corresponding places of copied passages; the blocking (above
# ``block_claims_above`` claims: same-story documents by their embedded leads, shared
# wording); the vectors of the claims to compare (from the store's vector cache, else
# embedded: link/vector_cache.py); candidate
# pairs per document and the shared-wording pairs, judged; connected components of the links;
# complete linkage per component; the groups ranked; cluster ids; narratives (blocks of
# related documents, clusters grouped, ranked); cluster rows; narrative rows.
_FEATURES = ("entities", "places", "numbers", "dates")
UNIT_COLUMNS = {
    "id": "VARCHAR", "doc": "VARCHAR", "n": "INTEGER", "text": "VARCHAR",
    # what is compared (Claim.said: the text without the cue pieces of a split quote), and
    # that with its whitespace folded: what is embedded, and its length in characters
    "said": "VARCHAR", "key": "VARCHAR", "klen": "INTEGER",
    "start": "INTEGER", "end": "INTEGER", "attribution": "VARCHAR", "hedged": "BOOLEAN",
    "unattributed": "BOOLEAN", "sentence": "INTEGER",
    **{f: "VARCHAR[]" for f in _FEATURES},
}
_PAIR = {"i": "BIGINT", "j": "BIGINT"}
_BLOCKING = "(SELECT count(*) FROM claim_numbered) > {block_claims_above}"
# Columns that hold claim numbers (``idx``: a claim's position in (document, claim) order)
# in the stages that only name and order claims by them: a document added before others
# renumbers those without reordering them, and their groups' stored rows are reused
# (corpus.PerGroup.memo_labels).
CLAIM_LABELS = ("idx", "i", "j", "comp", "grp")


def document_claims(group: dict[str, list[dict[str, Any]]], model: str) -> dict[str, Any]:
    """One document's rows -> its claim units with what they mention, and their content
    tokens (for the shared-wording blocking)."""
    from sourcetrace.link.matching import content_tokens

    if not group["documents"]:
        return {"claim_units": [], "claim_tokens": []}
    claims = claim_units(group["documents"], group["sentences"], group["attributions"], model)
    attach_context(claims, {
        table: [(r["doc"], r["start"], r["end"], *(r[c] for c in columns))
                for r in group[table]]
        for table, columns in CONTEXT_COLUMNS.items()
    })
    units, tokens = [], []
    for c in claims:
        assert c.info is not None
        key = " ".join(c.compared.split())
        units.append({
            **c.row(), "n": int(c.id.rsplit(":c", 1)[1]), "said": c.compared, "key": key,
            "klen": len(key), **{f: sorted(getattr(c.info, f)) for f in _FEATURES},
        })
        tokens += [{"id": c.id, "t": t} for t in sorted(set(content_tokens(c.compared)))]
    return {"claim_units": units, "claim_tokens": tokens}


def lead_text(group: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """A document -> its lead (title and first words), for the same-story blocking."""
    from sourcetrace.link.blocking import lead

    [d] = group["documents"]
    key = lead(d)  # words joined by single spaces: the text is its own key
    return {"claim_leads": [{"id": d["id"], "published": d["published"], "key": key,
                             "klen": len(key)}]}


def _vectors(rows: list[dict[str, Any]]) -> np.ndarray:
    out = np.zeros((len(rows), DIM), dtype=np.float32)
    for k, r in enumerate(rows):
        if r.get("vector") is not None:
            out[k] = np.asarray(r["vector"], dtype=np.float32)
    return out


def _claim_set(rows: list[dict[str, Any]]) -> ClaimSet:
    infos = [ClaimInfo(text=r["text"], doc=r["doc"], **{f: set(r[f] or ()) for f in _FEATURES})
             for r in rows]
    return ClaimSet(infos, _vectors(rows))


def same_story(tables: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """Lead vectors (ids and dates, no text) -> same-story document pairs, both ways."""
    from sourcetrace.link.blocking import _day, story_pairs

    leads = tables["leads"]
    if len(leads) < 2:
        return {"claim_story": []}
    ids = [r["id"] for r in leads]
    days = np.array([_day(r["published"]) for r in leads])
    pairs = sorted(story_pairs(ids, days, _vectors(leads)))
    return {"claim_story": [{"d": a, "e": b} for a, b in pairs] +
                           [{"d": b, "e": a} for a, b in pairs]}


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[int, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(r["idx"], r)
    return [seen[i] for i in sorted(seen)]


def _linked(claims: list[dict[str, Any]], pairs: list[tuple[int, int]]) -> list[dict[str, int]]:
    """The pairs (claim numbers) judged the same proposition."""
    if not pairs:
        return []
    claims = _unique(claims)
    position = {r["idx"]: k for k, r in enumerate(claims)}
    left = np.array([position[i] for i, _ in pairs], dtype=int)
    right = np.array([position[j] for _, j in pairs], dtype=int)
    keep = judge(_claim_set(claims), left, right) >= same_threshold()
    return [{"i": i, "j": j} for (i, j), k in zip(pairs, keep.tolist(), strict=True) if k]


def document_links(group: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """One document's embedded claims against those of its related documents -> the
    candidate pairs (each claim's nearest partners) that link, less the copied pairs."""
    own, partners = _unique(group["own"]), _unique(group["partners"])
    if not own or not partners:
        return {"claim_document_links": []}
    found = matching.nearest_pairs(
        np.array([r["idx"] for r in own], dtype=int),
        np.array([r["idx"] for r in partners], dtype=int), _vectors(own), _vectors(partners),
    )
    forced = {(min(r["i"], r["j"]), max(r["i"], r["j"])) for r in group["forced"]}
    return {"claim_document_links": _linked(own + partners, sorted(found - forced))}


def wording_links(group: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """One claim and the claims it shares wording with -> the pairs that link."""
    [own] = _unique(group["own"]) or [None]
    if own is None:
        return {"claim_wording_links": []}
    pairs = sorted((own["idx"], r["idx"]) for r in _unique(group["partners"]))
    return {"claim_wording_links": _linked([own, *group["partners"]], pairs)}


def link_components(tables: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """Linked pairs (claim numbers only) -> each linked claim's component (its smallest
    claim number)."""
    graph = nx.Graph((r["i"], r["j"]) for r in tables["edges"])
    return {"claim_components": [{"idx": m, "comp": min(c)}
                                 for c in nx.connected_components(graph) for m in c]}


def split_linked(group: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """One component of linked claims -> its groups (average linkage) and centralities."""
    rows = _unique(group["members"])
    ids = [r["idx"] for r in rows]
    local = {g: k for k, g in enumerate(ids)}
    forced = {(local[r["i"]], local[r["j"]]) for r in group["forced"]
              if r["i"] in local and r["j"] in local}
    out = []
    for part, central in split_component(_claim_set(rows), list(range(len(ids))), forced):
        grp = ids[min(part)]
        out += [{"idx": ids[m], "grp": grp, "centrality": float(value)}
                for m, value in zip(part, central, strict=True)]
    return {"claim_groups": out}


def rank_groups(
    tables: dict[str, list[dict[str, Any]]], context: Any, output: str = "claim_ranks"
) -> dict[str, Any]:
    """Groups (claim numbers, ids, documents and dates: no text) -> their numbers: most
    documents first, then most claims, earliest appearance, smallest claim id."""
    members: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in tables["members"]:
        members[r["grp"]].append(r)

    def rank(grp: int) -> tuple[Any, ...]:
        rows = members[grp]
        # documents: those analysed and the other appearances of their texts (a claim's row
        # comes once per appearance)
        published = {r["doc"]: r["published"] for r in rows}
        first = _date_key(first_appearance(published[d] for d in sorted(published)) or "")
        claims = {r["id"] for r in rows}
        return (-len(published), -len(claims), first or datetime.max, min(claims))

    return {output: [{"grp": g, "number": n}
                            for n, g in enumerate(sorted(members, key=rank), 1)]}


def cluster_row(group: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """One cluster's claims (by document and position) and the other appearances of their
    documents' texts -> its ``claim_clusters`` row: documents, outlets and first appearance
    count every appearance. Provenance fills ``origins`` and what follows from them."""
    claims = group["claims"]
    central = max(claims, key=lambda c: (c["centrality"], -len(c["text"])))
    seen = [*claims, *group.get("appearances", [])]
    docs = sorted({c["doc"] for c in seen})
    outlet = {c["doc"]: c["outlet"] for c in seen}
    published = {c["doc"]: c["published"] for c in seen}
    cluster = claims[0]["cluster"]
    return {"claim_cluster_rows": [{
        "id": cluster, "number": int(cluster.split(":")[1]), "label": shorten(central["text"]),
        "claims": [c["id"] for c in claims], "documents": docs,
        "outlets": sorted({o for d in docs if (o := outlet[d])}),
        "origins": "[]", "independent_origins": 0, "amplification": None,
        "first_appearance": first_appearance(published[d] for d in docs), "flags": [],
        "narrative": claims[0]["narrative"],
        "relays": len({outlet[d] or d for d in docs}),
    }]}


def narrative_groups(group: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """One block of related documents (same story, or sharing a proposition) -> its claim
    clusters grouped into narratives: average linkage over the clusters, the similarity of
    two clusters being the mean over their claims of the MiniLM cosine, plus
    ``NARRATIVE_ADJACENT`` for claims next to each other in one article (a story line runs
    over consecutive sentences). Claims left unembedded count as cosine 0."""
    rows = _unique(group["members"])
    clusters = sorted({r["cluster"] for r in rows}, key=_cluster_number)
    if len(rows) > MAX_NARRATIVE_BLOCK or len(clusters) == 1:
        if len(rows) > MAX_NARRATIVE_BLOCK:
            log.warning("narrative block of %d claims: each claim cluster is its own "
                        "narrative", len(rows))
        return {"claim_narrative_groups": [{"cluster": c, "ngrp": k}
                                           for k, c in enumerate(clusters)]}
    position = {c: k for k, c in enumerate(clusters)}
    vectors = _vectors(rows)
    with matching.one_blas_thread():  # the same floats on both engines
        between = _cluster_similarity(rows, clusters, position, vectors)
    parts = average_linkage(list(range(len(clusters))), between, NARRATIVE_THRESHOLD)
    return {"claim_narrative_groups": [
        {"cluster": clusters[m], "ngrp": min(part)} for part in parts for m in part
    ]}


def _cluster_similarity(
    rows: list[dict[str, Any]], clusters: list[str], position: dict[str, int],
    vectors: np.ndarray,
) -> np.ndarray:
    """Mean claim similarity between every two clusters (see :func:`narrative_groups`)."""
    similarity = (vectors @ vectors.T).astype(np.float64)
    docs = np.array([r["doc"] for r in rows])
    numbers = np.array([r["n"] for r in rows])
    adjacent = (docs[:, None] == docs[None, :]) & (
        np.abs(numbers[:, None] - numbers[None, :]) == 1
    )
    similarity += NARRATIVE_ADJACENT * adjacent
    membership = np.zeros((len(rows), len(clusters)))
    for k, r in enumerate(rows):
        membership[k, position[r["cluster"]]] = 1.0
    sizes = membership.sum(axis=0)
    return membership.T @ similarity @ membership / np.outer(sizes, sizes)


def _cluster_number(cluster: str) -> int:
    return int(cluster.split(":")[1])


def document_blocks(tables: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """Related document pairs -> each document's block (its smallest related document)."""
    graph = nx.Graph((r["d"], r["e"]) for r in tables["edges"])
    graph.add_nodes_from(r["doc"] for r in tables["docs"])
    return {"claim_blocks": [{"doc": d, "block": min(c)}
                             for c in nx.connected_components(graph) for d in c]}


def narrative_row(group: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """One narrative's claim clusters (by number) -> its ``narratives`` row; provenance
    fills ``origins`` and what follows from them."""
    clusters = group["clusters"]
    claims = sorted({c for r in clusters for c in (r["claims"] or [])})
    docs = sorted({d for r in clusters for d in (r["documents"] or [])})
    return {"claim_narrative_rows": [{
        "id": clusters[0]["narrative"],
        "number": int(clusters[0]["narrative"].split(":")[1]),
        "label": clusters[0]["label"], "claim_clusters": [r["id"] for r in clusters],
        "claims": claims, "documents": docs,
        "outlets": sorted({o for r in clusters for o in (r["outlets"] or [])}),
        "origins": "[]", "independent_origins": 0, "amplification": None,
        "first_appearance": first_appearance(r["first_appearance"] for r in clusters),
        "flags": [], "relays": None,
    }]}


_FORCED = f"""
SELECT DISTINCT least(ci.idx, cj.idx) AS i, greatest(ci.idx, cj.idx) AS j
FROM reuse r
JOIN claim_numbered ci ON ci.doc = r.a AND r.a_start <= ci.start AND ci."end" <= r.a_end
JOIN claim_numbered cj ON cj.doc = r.b AND r.b_start <= cj.start AND cj."end" <= r.b_end
  AND abs(cj.start - (r.b_start + (ci.start - r.a_start)
      * ((r.b_end - r.b_start) / (r.a_end - r.a_start))))
    <= greatest({REUSE_SLACK}, floor((ci."end" - ci.start) / 2))
WHERE r.a_start IS NOT NULL AND r.a_end IS NOT NULL AND r.b_start IS NOT NULL
  AND r.b_end IS NOT NULL AND r.a <> r.b AND r.a_end > r.a_start
"""
# Claim pairs of different documents with shared wording (blocking.shared_wording_pairs in
# SQL): proposed by a rare content token in common, kept when the Ochiai overlap of their
# content tokens is at least 1/2 (4 * inter^2 >= |A| * |B|, in integers) with MIN_SHARED
# tokens in common. For speed, the tokens in common are counted in two parts: the rare ones
# from the proposing join itself, the common ones only for the pairs that could still pass
# with all their common tokens shared (joining every proposed pair with all its tokens
# was 4x the time: most pairs share one rare word and little else).
_WORDING = """
WITH tok AS (
  SELECT n.idx, n.doc, t.t FROM claim_tokens t JOIN claim_numbered n ON n.id = t.id
  WHERE {blocking}
), df AS (
  SELECT t, count(*) AS df FROM tok GROUP BY t
), posting AS (
  SELECT tok.idx, tok.doc, tok.t FROM tok JOIN df ON df.t = tok.t WHERE df.df <= {common}
), common AS (
  SELECT tok.idx, tok.t FROM tok JOIN df ON df.t = tok.t WHERE df.df > {common}
), sizes AS (
  SELECT idx, count(*) AS n FROM tok GROUP BY idx
), common_sizes AS (
  SELECT idx, count(*) AS c FROM common GROUP BY idx
), rare_shared AS (
  SELECT a.idx AS i, b.idx AS j, count(*) AS r FROM posting a JOIN posting b
  ON a.t = b.t AND a.idx < b.idx AND a.doc <> b.doc GROUP BY a.idx, b.idx
), bounded AS (
  SELECT p.i, p.j, p.r, si.n AS ni, sj.n AS nj,
    p.r + least(coalesce(ci.c, 0), coalesce(cj.c, 0)) AS most
  FROM rare_shared p JOIN sizes si ON si.idx = p.i JOIN sizes sj ON sj.idx = p.j
  LEFT JOIN common_sizes ci ON ci.idx = p.i LEFT JOIN common_sizes cj ON cj.idx = p.j
), possible AS (
  SELECT i, j, r, ni, nj FROM bounded
  WHERE most >= {min_shared} AND 4 * most * most >= ni * nj
), common_shared AS (
  SELECT p.i, p.j, count(*) AS k FROM possible p
  JOIN common a ON a.idx = p.i JOIN common b ON b.idx = p.j AND b.t = a.t GROUP BY p.i, p.j
), shared AS (
  SELECT p.i, p.j, p.r + coalesce(s.k, 0) AS inter, p.ni, p.nj FROM possible p
  LEFT JOIN common_shared s ON s.i = p.i AND s.j = p.j
)
SELECT i, j FROM shared WHERE inter >= {min_shared} AND 4 * inter * inter >= ni * nj
"""
_RELATED = f"""
SELECT d, e FROM claim_story
UNION ALL
SELECT x.doc AS d, y.doc AS e FROM (SELECT DISTINCT doc FROM claim_numbered) AS x
CROSS JOIN (SELECT DISTINCT doc FROM claim_numbered) AS y
WHERE x.doc <> y.doc AND NOT {_BLOCKING}
"""
_WANTED = f"""
SELECT idx FROM claim_numbered WHERE NOT {_BLOCKING}
UNION SELECT n.idx FROM claim_numbered n JOIN (SELECT DISTINCT d FROM claim_story) AS s
  ON s.d = n.doc
UNION SELECT i FROM claim_wording UNION SELECT j FROM claim_wording
UNION SELECT i FROM claim_forced UNION SELECT j FROM claim_forced
"""
_FEATURE_COLUMNS = 'n.idx, n.doc, n.said AS text, n.entities, n.places, n.numbers, n.dates'
_FORCED_OF = (
    "SELECT {side}.{key} AS {name}, f.i, f.j FROM claim_forced f JOIN {table} {side} "
    "ON {side}.idx = f.{end}"
)
_ASSIGNED = """
SELECT g.idx, 'cl:' || CAST(r.number AS STRING) AS "cluster", g.centrality
FROM claim_groups g JOIN claim_ranks r ON r.grp = g.grp
UNION ALL
SELECT n.idx,
  'cl:' || CAST(row_number() OVER (ORDER BY n.idx) + (SELECT count(*) FROM claim_ranks)
    AS STRING) AS "cluster",
  CAST(0 AS DOUBLE) AS centrality
FROM claim_numbered n LEFT JOIN claim_groups g ON g.idx = n.idx WHERE g.idx IS NULL
"""


# Every document a claim unit's text appears in: the analysed document and the other
# appearances of its text (documents.duplicate_of), with their dates.
_APPEARANCES = (
    "SELECT id AS of_doc, id AS doc, published FROM documents WHERE duplicate_of IS NULL "
    "UNION ALL SELECT duplicate_of AS of_doc, id AS doc, published FROM documents "
    "WHERE duplicate_of IS NOT NULL"
)


def _claims_parameters(settings: Settings) -> dict[str, Any]:
    # the pair model is part of the memo's salt: other weights, other links
    return {"block_claims_above": int(settings.block_claims_above),
            "pair_model": containment.digest(), "vector_model": vector_cache.model_digest()}


def _model(settings: Settings, shared: dict[str, Any]) -> str:
    return settings.model


def _claims_step() -> CorpusStep:
    from sourcetrace.link.blocking import COMMON_TOKEN_CLAIMS, MIN_SHARED, SHARED_WORDING

    assert SHARED_WORDING == 0.5  # the integer Ochiai test in _WORDING
    per_document = {
        "documents": "SELECT id AS doc, id, title FROM documents WHERE duplicate_of IS NULL",
        "sentences": "SELECT * FROM sentences",
        "attributions": "SELECT * FROM attributions",
        **{table: f'SELECT doc, start, "end", {", ".join(columns)} FROM {table}'
                  + CONTEXT_FILTERS.get(table, "")
           for table, columns in CONTEXT_COLUMNS.items()},
    }
    features = f"{_FEATURE_COLUMNS}, v.vector"
    forced_of_doc = " UNION ".join(
        _FORCED_OF.format(side="n", key="doc", name="g", table="claim_numbered", end=e)
        for e in ("i", "j")
    )
    return CorpusStep(
        name="claims",
        reads=("documents", "sentences", "attributions", "mentions", "place_mentions",
               "quantities", "dates", "reuse", vector_cache.TABLE),
        stages=(
            PerGroup(per_document, key=("doc",), fn=document_claims,
                     outputs={"claim_units": UNIT_COLUMNS,
                              "claim_tokens": {"id": "VARCHAR", "t": "VARCHAR"}},
                     order={"sentences": ("idx",)}, memo=True),
            Sql("claim_numbered",
                "SELECT u.*, row_number() OVER (ORDER BY doc, n) - 1 AS idx FROM claim_units u",
                {**UNIT_COLUMNS, "idx": "BIGINT"}),
            Sql("claim_forced", _FORCED, _PAIR),
            # -- blocking (only above block_claims_above claims)
            PerGroup({"documents": "SELECT id, title, text, published FROM documents "
                                   f"WHERE duplicate_of IS NULL AND {_BLOCKING}"},
                     key=("id",), fn=lead_text,
                     outputs={"claim_leads": {"id": "VARCHAR", "published": "VARCHAR",
                                              "key": "VARCHAR", "klen": "INTEGER"}}),
            *vector_cache.vector_stages("claim_lead_vectors", "SELECT key, klen FROM claim_leads"),
            OnDriver({"leads": "SELECT l.id, l.published, v.vector FROM claim_leads l "
                               "LEFT JOIN claim_lead_vectors v ON v.key = l.key"},
                     fn=same_story, outputs={"claim_story": {"d": "VARCHAR", "e": "VARCHAR"}},
                     order={"leads": ("id",)}),
            Sql("claim_wording", _WORDING.format(
                blocking=_BLOCKING, common=COMMON_TOKEN_CLAIMS, min_shared=MIN_SHARED,
                block_claims_above="{block_claims_above}"), _PAIR),
            Sql("claim_related", _RELATED, {"d": "VARCHAR", "e": "VARCHAR"}),
            Sql("claim_wanted", _WANTED, {"idx": "BIGINT"}),
            # -- embeddings of the claims to compare
            *vector_cache.vector_stages("claim_vectors", "SELECT n.key, n.klen FROM "
                                        "claim_numbered n JOIN claim_wanted w ON w.idx = n.idx"),
            vector_cache.cache_rows(["claim_lead_vectors", "claim_vectors"]),
            Sql("claim_features",
                f"SELECT {features} FROM claim_numbered n JOIN claim_wanted w ON w.idx = n.idx "
                "JOIN claim_vectors v ON v.key = n.key",
                {"idx": "BIGINT", "doc": "VARCHAR", "text": "VARCHAR",
                 **{f: "VARCHAR[]" for f in _FEATURES}, "vector": "FLOAT[]"}),
            # -- candidate pairs and their scores
            PerGroup({"own": "SELECT doc AS g, * FROM claim_features",
                      "partners": "SELECT r.d AS g, f.* FROM claim_related r "
                                  "JOIN claim_features f ON f.doc = r.e",
                      "forced": forced_of_doc},
                     key=("g",), fn=document_links,
                     outputs={"claim_document_links": _PAIR},
                     order={"own": ("idx",), "partners": ("idx",)},
                     memo=True, memo_labels=CLAIM_LABELS),
            PerGroup({"own": "SELECT idx AS i, * FROM claim_features "
                             "WHERE idx IN (SELECT i FROM claim_wording)",
                      "partners": "SELECT w.i, f.* FROM claim_wording w "
                                  "JOIN claim_features f ON f.idx = w.j "
                                  "LEFT JOIN claim_forced x ON x.i = w.i AND x.j = w.j "
                                  "WHERE x.i IS NULL"},
                     key=("i",), fn=wording_links, outputs={"claim_wording_links": _PAIR},
                     order={"partners": ("idx",)}, memo=True, memo_labels=CLAIM_LABELS),
            # -- clusters: components, average linkage, ranks, ids, rows
            OnDriver({"edges": "SELECT i, j FROM claim_document_links "
                               "UNION SELECT i, j FROM claim_wording_links "
                               "UNION SELECT f.i, f.j FROM claim_forced f "
                               "JOIN claim_numbered a ON a.idx = f.i "
                               "JOIN claim_numbered b ON b.idx = f.j WHERE a.doc <> b.doc"},
                     fn=link_components,
                     outputs={"claim_components": {"idx": "BIGINT", "comp": "BIGINT"}},
                     order={"edges": ("i", "j")}),
            PerGroup({"members": f"SELECT c.comp, {features} FROM claim_components c "
                                 "JOIN claim_numbered n ON n.idx = c.idx "
                                 "LEFT JOIN claim_features v ON v.idx = c.idx",
                      "forced": _FORCED_OF.format(side="c", key="comp", name="comp",
                                                  table="claim_components", end="i")},
                     key=("comp",), fn=split_linked,
                     outputs={"claim_groups": {"idx": "BIGINT", "grp": "BIGINT",
                                               "centrality": "DOUBLE"}},
                     order={"members": ("idx",)}, memo=True, memo_labels=CLAIM_LABELS),
            OnDriver({"members": "SELECT g.grp, n.id, a.doc, a.published FROM claim_groups g "
                                 "JOIN claim_numbered n ON n.idx = g.idx "
                                 f"JOIN ({_APPEARANCES}) AS a ON a.of_doc = n.doc"},
                     fn=rank_groups,
                     outputs={"claim_ranks": {"grp": "BIGINT", "number": "BIGINT"}},
                     order={"members": ("grp", "id", "doc")}),
            Sql("claim_assigned", _ASSIGNED,
                {"idx": "BIGINT", "cluster": "VARCHAR", "centrality": "DOUBLE"}),
            Sql("claim_rows",
                "SELECT n.id, n.doc, n.text, n.start, n.\"end\", n.attribution, n.hedged, "
                "n.unattributed, a.\"cluster\", n.sentence, n.idx, a.centrality "
                "FROM claim_numbered n JOIN claim_assigned a ON a.idx = n.idx",
                {**CORPUS["claims"], "idx": "BIGINT", "centrality": "DOUBLE"}),
            # -- narratives: blocks of related documents, clusters grouped, ranked
            Sql("claim_block_edges",
                "SELECT d, e FROM claim_related UNION "
                "SELECT n.doc AS d, min(n.doc) OVER (PARTITION BY a.\"cluster\") AS e "
                "FROM claim_assigned a JOIN claim_numbered n ON n.idx = a.idx",
                {"d": "VARCHAR", "e": "VARCHAR"}),
            OnDriver({"edges": "SELECT DISTINCT d, e FROM claim_block_edges WHERE d <> e",
                      "docs": "SELECT DISTINCT doc FROM claim_numbered"},
                     fn=document_blocks,
                     outputs={"claim_blocks": {"doc": "VARCHAR", "block": "VARCHAR"}},
                     order={"edges": ("d", "e"), "docs": ("doc",)}),
            PerGroup({"members": "SELECT b.block, n.idx, n.doc, n.n, a.\"cluster\", v.vector "
                                 "FROM claim_numbered n JOIN claim_blocks b ON b.doc = n.doc "
                                 "JOIN claim_assigned a ON a.idx = n.idx "
                                 "LEFT JOIN claim_features v ON v.idx = n.idx"},
                     key=("block",), fn=narrative_groups,
                     outputs={"claim_narrative_groups": {"cluster": "VARCHAR",
                                                         "ngrp": "BIGINT"}},
                     order={"members": ("idx",)}, memo=True, memo_labels=("idx",)),
            Sql("claim_narrative_keys",
                "SELECT g.\"cluster\", min(b.block) || '/' || CAST(g.ngrp AS STRING) AS nkey "
                "FROM claim_narrative_groups g "
                "JOIN claim_assigned a ON a.\"cluster\" = g.\"cluster\" "
                "JOIN claim_numbered n ON n.idx = a.idx JOIN claim_blocks b ON b.doc = n.doc "
                "GROUP BY g.\"cluster\", g.ngrp",
                {"cluster": "VARCHAR", "nkey": "VARCHAR"}),
            OnDriver({"members": "SELECT k.nkey AS grp, n.id, p.doc, p.published "
                                 "FROM claim_narrative_keys k "
                                 "JOIN claim_assigned a ON a.\"cluster\" = k.\"cluster\" "
                                 "JOIN claim_numbered n ON n.idx = a.idx "
                                 f"JOIN ({_APPEARANCES}) AS p ON p.of_doc = n.doc"},
                     fn=partial(rank_groups, output="claim_narrative_ranks"),
                     outputs={"claim_narrative_ranks": {"grp": "VARCHAR", "number": "BIGINT"}},
                     order={"members": ("grp", "id", "doc")}),
            Sql("claim_narratives",
                "SELECT k.\"cluster\", 'nr:' || CAST(r.number AS STRING) AS narrative "
                "FROM claim_narrative_keys k JOIN claim_narrative_ranks r ON r.grp = k.nkey",
                {"cluster": "VARCHAR", "narrative": "VARCHAR"}),
            PerGroup({"claims": "SELECT c.*, d.outlet, d.published, x.narrative "
                                "FROM claim_rows c LEFT JOIN documents d ON d.id = c.doc "
                                "JOIN claim_narratives x ON x.\"cluster\" = c.\"cluster\"",
                      "appearances": "SELECT DISTINCT c.\"cluster\", d.id AS doc, d.outlet, "
                                     "d.published FROM claim_rows c "
                                     "JOIN documents d ON d.duplicate_of = c.doc"},
                     key=("cluster",), fn=cluster_row,
                     outputs={"claim_cluster_rows": {**CORPUS["claim_clusters"],
                                                     "number": "BIGINT"}},
                     order={"claims": ("doc", "start", "end", "id"), "appearances": ("doc",)}),
            PerGroup({"clusters": "SELECT narrative AS of_narrative, * FROM claim_cluster_rows"},
                     key=("of_narrative",), fn=narrative_row,
                     outputs={"claim_narrative_rows": {**CORPUS["narratives"],
                                                       "number": "BIGINT"}},
                     order={"clusters": ("number",)}),
        ),
        writes={"claims": Write("claim_rows", "idx"),
                "claim_clusters": Write("claim_cluster_rows", "number"),
                "narratives": Write("claim_narrative_rows", "number"),
                vector_cache.TABLE: Write(f"{vector_cache.TABLE}_rows", "digest")},
        setup=_model,
        parameters=_claims_parameters,
    )


claims_step = corpus_steps.register("claims", order=40)(_claims_step())
