"""Claim units, and claims matched across documents into claim clusters.

Claim units
-----------
*Attributed claims.* The content of every attribution is a claim of its source
(``claims.attribution`` is the attribution id, ``hedged`` comes from the attribution). When
attributions are nested ("officials said the agency reported that X"), only the innermost
content is a claim: an attribution that is another one's ``parent`` gives no claim of its own,
so X is counted once, not twice. Attributions with the same content span give one claim.
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
   or is that attribution's sentence: it is already covered by the attributed claim;
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

Claim ids are ``{doc}:c{n}``, numbered in text order within each document.

Claim clusters
--------------
Only claims that could match a claim of another document are embedded and compared
(:mod:`sourcetrace.link.blocking`: documents on the same story, shared wording, copied
passages); the others stay singletons, and the embedded ones are compared only within those
blocks (with the claims of same-story documents and the claims they share wording with).
Claims of different documents are scored pairwise
with :mod:`sourcetrace.link.matching` (MiniLM cosine, content-word overlap, agreement of
linked entities, places, numbers and dates) and linked when the score reaches
``matching.MATCH_THRESHOLD``. Two claims at corresponding places of an aligned passage pair
of the ``reuse`` table are linked outright. Only cross-document pairs are linked, so claims
of one document join a cluster only through another document. Each connected component is
split by average-linkage clustering at ``matching.CLUSTER_THRESHOLD`` (all pairs of the
component scored, same-document pairs too), which stops chaining; a resulting group whose
claims all come from one document falls apart into singletons.

*Every claim gets a cluster* (``cl:<n>``), singletons included, so the provenance step can
count the sources behind any claim. Multi-document clusters come first, ranked by number of
documents, then number of claims, then earliest appearance (``cl:1`` is the most repeated
claim); singletons follow in document order. The label is the cluster's most central claim
(highest mean score to the others) shortened to ``LABEL_CHARS``. ``origins``,
``independent_origins``, ``amplification`` and ``flags`` are left empty for the provenance
step.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import networkx as nx
import numpy as np

from sourcetrace.config import DEFAULT_MODEL, Settings
from sourcetrace.corpus import EngineStep
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
from sourcetrace.link import matching
from sourcetrace.link.blocking import Blocks, block_claims
from sourcetrace.link.embeddings import DIM, embed
from sourcetrace.link.matching import ClaimInfo, ClaimSet
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.registry import corpus_steps

log = logging.getLogger(__name__)

LABEL_CHARS = 120
# Components larger than this are not re-clustered by average linkage (that needs all
# pairwise scores); they keep their connected components and a warning is logged.
MAX_LINKAGE_COMPONENT = 4000
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


def _attribution_order(att: dict[str, Any]) -> tuple[int, str]:
    """Attributions in the order the extractor emitted them (ids ``{doc}:a{n}``), whatever
    order the store returns them in: which of two attributions with one content span gives
    the claim must not depend on how an engine wrote the rows (Spark's Parquet part files
    come back in another order than the local engine's inserts)."""
    found = re.search(r":a(\d+)$", att.get("id") or "")
    return (int(found.group(1)) if found else -1, att.get("id") or "")


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
    parents = {a["parent"] for a in attributions if a.get("parent")}

    claims: list[Claim] = []
    for document in documents:
        doc_id = document["id"]
        sents = sorted(sents_by_doc.get(doc_id, []), key=lambda s: s["idx"])
        atts = sorted(atts_by_doc.get(doc_id, []), key=_attribution_order)
        seen_spans: set[tuple[int, int]] = set()
        for a in atts:
            if a["id"] in parents:  # nested: the innermost content is the claim
                continue
            content = (a.get("content_text") or "").strip()
            if (
                not content or a.get("content_start") is None or is_question(content)
                or is_fragment(content) or a.get("content_check") not in (None, CLAIM_OK)
            ):
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
                )
            )
        extents = [(a.get("sentence"), _extent(a)) for a in atts]
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
        c.info = ClaimInfo(text=c.text, doc=c.doc)
        by_doc[c.doc].append(c)
    for table, add in _CONTEXT_ADD.items():
        for doc, start, end, *values in rows.get(table, ()):
            for c in by_doc.get(doc, []):
                if start is not None and c.start <= start and end <= c.end:
                    add(c.info, *values)  # type: ignore[operator]


def _attach_context(store: AnalysisStore, claims: list[Claim]) -> None:
    attach_context(claims, {
        table: store.con.execute(
            f'SELECT doc, start, "end", {", ".join(cols)} FROM "{table}"'
        ).fetchall()
        for table, cols in CONTEXT_COLUMNS.items()
    })


def _reuse_pairs(store: AnalysisStore, claims: list[Claim]) -> set[tuple[int, int]]:
    """Claim index pairs at corresponding places of an aligned reuse passage pair."""
    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(claims):
        by_doc[c.doc].append(i)
    pairs: set[tuple[int, int]] = set()
    rows = store.con.execute(
        'SELECT a, b, a_start, a_end, b_start, b_end FROM "reuse"'
    ).fetchall()
    for a, b, a0, a1, b0, b1 in rows:
        if None in (a0, a1, b0, b1) or a == b or a1 <= a0:
            continue
        ratio = (b1 - b0) / (a1 - a0)
        for i in by_doc.get(a, []):
            ci = claims[i]
            if not (a0 <= ci.start and ci.end <= a1):
                continue
            expected = b0 + (ci.start - a0) * ratio  # where the passage puts this claim in b
            slack = max(REUSE_SLACK, (ci.end - ci.start) // 2)
            for j in by_doc.get(b, []):
                cj = claims[j]
                if b0 <= cj.start and cj.end <= b1 and abs(cj.start - expected) <= slack:
                    pairs.add((min(i, j), max(i, j)))
    return pairs


# --- clustering -------------------------------------------------------------------------------
def everyone(docs: Iterable[str]) -> dict[str, set[str]]:
    """Every document related to every other one: the blocks of a corpus small enough to
    compare every claim with every other (no blocking)."""
    ids = set(docs)
    return {d: ids - {d} for d in ids}


def candidate_pairs(
    claimset: ClaimSet, forced: set[tuple[int, int]], blocks: Blocks | None = None
) -> list[tuple[int, int]]:
    """The pairs to score, sorted: each claim's nearest claims of the related documents
    (every other document without ``blocks``) plus the blocks' own pairs, less the pairs
    a reuse alignment links anyway."""
    if blocks is None:
        found = claimset.candidates_within(everyone(c.doc for c in claimset.claims))
    else:
        found = claimset.candidates_within(blocks.related, blocks.pairs)
    return sorted(found - forced)


def linked_pairs(claimset: ClaimSet, candidates: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The candidate pairs whose score reaches ``matching.MATCH_THRESHOLD``."""
    if not candidates:
        return []
    rows = np.array([i for i, _ in candidates])
    cols = np.array([j for _, j in candidates])
    linked = claimset.pair_scores(rows, cols) >= matching.MATCH_THRESHOLD
    return list(zip(rows[linked].tolist(), cols[linked].tolist(), strict=True))


def split_component(
    claimset: ClaimSet, members: list[int], forced: set[tuple[int, int]]
) -> list[tuple[list[int], list[float]]]:
    """One connected component of linked claims (indices into ``claimset``, ascending) cut
    by average linkage into groups that span several documents, each with its members'
    centrality (mean score to the other members). The Spark engine calls it on a
    ``ClaimSet`` of the component's claims alone: the scores are the same floats."""
    docs = [claimset.claims[m].doc for m in members]
    if len(members) > MAX_LINKAGE_COMPONENT:
        log.warning("claim component of %d claims kept without linkage", len(members))
        return [(members, [0.0] * len(members))] if len(set(docs)) > 1 else []
    scores = claimset.scores(members, members)
    index = {m: k for k, m in enumerate(members)}
    for i, j in forced:
        if i in index and j in index:
            scores[index[i], index[j]] = scores[index[j], index[i]] = 1.0
    out = []
    for part in _average_linkage(members, scores):
        if len({docs[index[m]] for m in part}) < 2:
            continue  # one document alone: same-document claims never form a cluster
        idx = [index[m] for m in part]
        sub = scores[np.ix_(idx, idx)]
        out.append((part, ((sub.sum(axis=1) - np.diag(sub)) / (len(part) - 1)).tolist()))
    return out


def cluster_groups(
    claimset: ClaimSet, forced: set[tuple[int, int]] | None = None,
    blocks: Blocks | None = None,
) -> tuple[list[list[int]], np.ndarray]:
    """Groups of claim indices that state the same claim (each spans several documents), and
    every claim's centrality (mean score to its group, 0 for singletons). With ``blocks``,
    candidate pairs are searched only within them (same-story documents, shared wording)."""
    forced = forced or set()
    docs = [c.doc for c in claimset.claims]
    graph = nx.Graph()
    graph.add_nodes_from(range(len(claimset)))
    graph.add_edges_from(linked_pairs(claimset, candidate_pairs(claimset, forced, blocks)))
    graph.add_edges_from((i, j) for i, j in forced if docs[i] != docs[j])
    centrality = np.zeros(len(claimset))
    groups: list[list[int]] = []
    for component in nx.connected_components(graph):
        if len(component) < 2:
            continue
        for part, central in split_component(claimset, sorted(component), forced):
            groups.append(part)
            centrality[part] = central
    return groups, centrality


def _average_linkage(members: list[int], scores: np.ndarray) -> list[list[int]]:
    from sklearn.cluster import AgglomerativeClustering

    if len(members) == 2:
        return [members] if scores[0, 1] >= matching.CLUSTER_THRESHOLD else [[m] for m in members]
    distance = np.clip(1.0 - (scores + scores.T) / 2, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average",
        distance_threshold=1.0 - matching.CLUSTER_THRESHOLD,
    ).fit_predict(distance)
    parts: dict[int, list[int]] = defaultdict(list)
    for m, label in zip(members, labels, strict=True):
        parts[int(label)].append(m)
    return list(parts.values())


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


def build_clusters(
    claims: list[Claim], documents: list[dict[str, Any]], forced: set[tuple[int, int]],
    vectors: np.ndarray | None = None, blocks: Blocks | None = None,
) -> list[dict[str, Any]]:
    """Cluster claims (sets ``claim.cluster``) and return the ``claim_clusters`` rows.
    ``vectors``: the claims' embeddings when the caller has them (zero rows are never
    matched); otherwise every claim is embedded."""
    if not claims:
        return []
    infos = [c.info or ClaimInfo(text=c.text, doc=c.doc) for c in claims]
    claimset = ClaimSet(infos, vectors)
    groups, centrality = cluster_groups(claimset, forced, blocks)
    meta = {d["id"]: d for d in documents}

    def published(docs: Iterable[str]) -> str | None:
        return first_appearance(meta.get(d, {}).get("published") for d in docs)

    def rank(group: list[int]) -> tuple[Any, ...]:
        docs = {claims[i].doc for i in group}
        first = _date_key(published(docs) or "") or datetime.max
        return (-len(docs), -len(group), first, min(claims[i].id for i in group))

    grouped = {i for g in groups for i in g}
    ordered = sorted(groups, key=rank) + [[i] for i in range(len(claims)) if i not in grouped]
    rows = []
    for n, group in enumerate(ordered, 1):
        cluster_id = f"cl:{n}"
        group = sorted(group, key=lambda i: (claims[i].doc, claims[i].start, claims[i].end))
        for i in group:
            claims[i].cluster = cluster_id
        central = max(group, key=lambda i: (centrality[i], -len(claims[i].text)))
        docs = sorted({claims[i].doc for i in group})
        outlets = sorted({o for d in docs if (o := meta.get(d, {}).get("outlet"))})
        rows.append(
            {
                "id": cluster_id, "label": shorten(claims[central].text),
                "claims": [claims[i].id for i in group], "documents": docs, "outlets": outlets,
                "origins": "[]", "independent_origins": 0, "amplification": None,
                "first_appearance": published(docs), "flags": [],
            }
        )
    return rows


def cluster_claims(store: AnalysisStore, settings: Settings) -> None:
    """Fill ``claims`` and ``claim_clusters`` from the per-document tables."""
    # Rows sorted by id: nothing below may depend on the order the store returns them in.
    documents = store.read("documents", "WHERE duplicate_of IS NULL ORDER BY id")
    keep = {d["id"] for d in documents}
    sentences = [s for s in store.read("sentences") if s["doc"] in keep]
    attributions = [a for a in store.read("attributions") if a["doc"] in keep]
    claims = claim_units(documents, sentences, attributions, settings.model)
    _attach_context(store, claims)
    copied = _reuse_pairs(store, claims)
    # On a big corpus only claims that could match a claim elsewhere are embedded.
    blocks: Blocks | None = None
    if len(claims) > settings.block_claims_above:
        blocks = block_claims(claims, documents, copied, embed)
        wanted = blocks.embed
    else:
        wanted = np.ones(len(claims), dtype=bool)
    vectors = np.zeros((len(claims), DIM), dtype=np.float32)
    if wanted.any():
        vectors[wanted] = embed(
            [c.text for c, w in zip(claims, wanted, strict=True) if w]
        )
    log.info("embedded %d of %d claims", int(wanted.sum()), len(claims))
    clusters = build_clusters(claims, documents, copied, vectors, blocks)
    store.replace("claims", [c.row() for c in claims])
    store.replace("claim_clusters", clusters)
    if not settings.quiet:
        multi = sum(1 for r in clusters if len(r["documents"]) > 1)
        log.info("%d claims, %d claim clusters across documents", len(claims), multi)


claims_step = corpus_steps.register("claims", order=40)(
    EngineStep(
        "claims", local=cluster_claims,
        spark="sourcetrace.engines.spark_claims:run_claims_on_spark",
        writes=("claims", "claim_clusters"),
    )
)
