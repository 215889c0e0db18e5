"""Origins of each claim cluster, how many are independent, and the warning flags.

For every claim of a cluster:

* its **chain** is the attribution that carries it and that attribution's parents, outer
  first ("SANA, citing local sources" -> [SANA, local sources]);
* its **origin** is the innermost source of the chain; a claim without attribution has the
  outlet that published it as origin (``kind: outlet``);
* a claim that lies in a passage its article copied from an earlier article (text reuse)
  inherits the origin of the copied article: the copier is not a source of its own.

Two origins belong to the same independence group when they are the same entity, when one
controls the other, when both answer to the same controller (two agencies of one state), or
when one copied the other (text reuse in either direction: copied text is one voice even
when the dates cannot tell who copied whom). ``independent_origins`` counts the groups.

The same text on several outlets (a wire copy; ``documents.duplicate_of``) is analysed once
and relays each of its claims on every one of them: each is an outlet of the cluster, and
each repeats the earliest appearance (one voice: a wire copy on two outlets is two outlets,
one origin). ``outlets`` names the known outlets; a document whose outlet is unknown still
counts as one relay of its own in ``amplification`` and the flags.
Anonymous and vague origins ("sources said", "analysts argued") and an outlet's own
unattributed assertions are listed but never counted as corroboration: nobody stands behind
them but the outlet. An anonymous or vague source is never the actor its words name: "a
source close to Trump", "aides to X", "top Obama administration officials" are origins of
their own, with that actor as ``near_entity`` (shown, never counted, never grouped).

Every origin says why it counts or not, so that a fact-checker can check the count rather
than trust it: ``group`` names its group (the nearest controller all its members answer to,
else the group's representative), ``relation`` and ``reason`` say how it joined the group
(``independent``, ``same entity as X``, ``controlled by X``, ``same controller X``,
``copied from <outlet, title> (doc)``) or why it is not counted (``anonymous — not
counted``, ``vague — not counted``, ``outlet's own assertion``), and ``linked_to`` is the
origin of the group it was grouped with. :func:`sourcetrace.outputs.shapes.independence`
turns these into one plain sentence per group.

Flags:

``single_source_amplification``  three or more outlets, at most one independent origin.
``circular_reporting``           citations or copying among the cluster's outlets form a loop.
``unattributed``                 no claim of the cluster names any source: outlets only.
``anonymous_only``               every named-or-not source is anonymous or vague.
``hedged_only``                  every claim is hedged ("reportedly", "allegedly").
``same_controller``              all origins, and every outlet whose controller is known,
                                 answer to one controller (one state or government).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import networkx as nx

from sourcetrace.corpus import CorpusStep, OnDriver, PerGroup, Sql, Write
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.provenance.actors import Actors, actor_facts
from sourcetrace.registry import corpus_steps
from sourcetrace.tables import CORPUS, DOCUMENTS, PER_DOCUMENT

# Sources that never count as corroboration: nobody named, or the outlet's own say-so.
UNCOUNTED_KINDS = {"anonymous", "vague", "outlet"}
UNCOUNTED_REASONS = {
    "anonymous": "anonymous — not counted",
    "vague": "vague — not counted",
    "outlet": "outlet's own assertion",
}
TITLE_CHARS = 60  # a copied document's title in a reason is cut to this many characters
# Sources that name nobody: never an entity's origin, only near one ("a source close to X").
UNNAMED_KINDS = {"anonymous", "vague"}


@dataclass
class Origin:
    id: str
    name: str
    kind: str
    entity: str | None
    controllers: list[str]
    root: str | None
    claims: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)  # outlets that relayed it
    copied_from: str | None = None
    copies: dict[str, str] = field(default_factory=dict)  # claim id -> earlier doc it copies
    group: str | None = None  # the group's name; None: not counted
    relation: str = "independent"
    reason: str = "independent"
    related: str | None = None  # the X of the reason: a controller, an origin, a document
    linked_to: str | None = None  # the origin of its group it was grouped with
    copied_from_label: str | None = None  # copied_from as a reader knows it (outlet, title)
    # an anonymous or vague origin's named neighbour ("a source close to Trump"): shown, and
    # never its entity, so never counted and never grouped with that neighbour
    near_entity: str | None = None
    near_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "kind": self.kind, "entity": self.entity,
            "controllers": self.controllers, "root": self.root, "group": self.group,
            "relation": self.relation, "reason": self.reason, "related": self.related,
            "linked_to": self.linked_to,
            "claims": sorted(set(self.claims)), "documents": sorted(set(self.documents)),
            "via": sorted(set(self.via)), "copied_from": self.copied_from,
            "copied_from_label": self.copied_from_label,
            "copies": dict(sorted(self.copies.items())),
            "near_entity": self.near_entity, "near_name": self.near_name,
        }


def claim_order(claim: Mapping[str, Any]) -> tuple[Any, ...]:
    """Claims by document, then by their number n in ``{doc}:c{n}`` (text order: the claims
    step numbers them by start and end): "the first claim of a document" must not depend on
    the order a store returns rows in (Spark's Parquet part files come back in another order
    than the local engine's inserts)."""
    found = re.search(r":c(\d+)$", claim.get("id") or "")
    return (
        claim.get("doc") or "", int(found.group(1)) if found else -1,
        claim.get("start") or 0, claim.get("end") or 0, claim.get("id") or "",
    )


def chain_ids(attributions: Mapping[str, Mapping[str, Any]], attribution: str | None) -> list[str]:
    """Ids of an attribution and its parents, outer first (a loop is cut where it closes)."""
    chain: list[str] = []
    current = attribution
    while current and current in attributions and current not in chain:
        chain.append(current)
        current = attributions[current].get("parent")
    return list(reversed(chain))


@dataclass
class Corpus:
    """What provenance needs from the store: the whole corpus (:meth:`load`) or only one
    claim cluster's rows (:meth:`from_rows` given what :func:`cluster_rows` selects), which
    give each cluster the same result.

    ``claims`` is kept in :func:`claim_order` whatever order it was given in."""

    docs: dict[str, dict[str, Any]]
    attributions: dict[str, dict[str, Any]]
    claims: dict[str, dict[str, Any]]
    # doc -> [(start, end, other doc, whether the other doc is the earlier one)]
    shared: dict[str, list[tuple[int, int, str, bool]]]
    actors: Actors
    # analysed doc -> the other appearances of its text (documents rows with duplicate_of):
    # every claim of the doc appears in each of them too
    appearances: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # (doc, cluster) -> the document's first claim in that cluster
    twins: dict[tuple[str, str | None], dict[str, Any]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.claims = {c["id"]: c for c in sorted(self.claims.values(), key=claim_order)}
        self.twins = {}
        for c in self.claims.values():
            self.twins.setdefault((c["doc"], c["cluster"]), c)

    @classmethod
    def from_rows(
        cls,
        docs: Iterable[dict[str, Any]],
        attributions: Iterable[dict[str, Any]],
        claims: Iterable[dict[str, Any]],
        reuse: Iterable[dict[str, Any]],
        actors: Actors,
    ) -> Corpus:
        """A corpus of table rows, in any order. ``docs`` are the analysed documents and the
        other appearances of their texts (``duplicate_of`` set), which carry no claims of
        their own but count for every claim of the document they repeat."""
        shared: dict[str, list[tuple[int, int, str, bool]]] = defaultdict(list)
        for r in reuse:
            shared[r["b"]].append((r["b_start"], r["b_end"], r["a"], r["earlier"] == r["a"]))
            shared[r["a"]].append((r["a_start"], r["a_end"], r["b"], r["earlier"] == r["b"]))
        analysed: dict[str, dict[str, Any]] = {}
        appearances: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for d in docs:
            if d.get("duplicate_of"):
                appearances[d["duplicate_of"]].append(d)
            else:
                analysed[d["id"]] = d
        for found in appearances.values():
            found.sort(key=lambda d: d["id"])
        return cls(
            docs=analysed, appearances=dict(appearances),
            attributions={a["id"]: a for a in attributions},
            claims={c["id"]: c for c in claims},
            shared=shared,
            actors=actors,
        )

    @classmethod
    def load(cls, store: AnalysisStore) -> Corpus:
        return cls.from_rows(
            docs=store.read("documents"),
            attributions=store.read("attributions"),
            claims=store.read("claims"),
            reuse=store.read("reuse"),
            actors=Actors.from_store(store),
        )

    def outlet(self, doc: str) -> str:
        """The document's outlet; for an unknown one the document itself (two articles of
        unknown outlets are not known to be one outlet)."""
        d = self.docs.get(doc) or self._appearance(doc)
        return d.get("outlet") or doc

    def outlet_label(self, doc: str) -> str:
        """The outlet of a document for a reader: its title when the outlet is unknown (a
        document id tells a reader nothing), the id only when neither is known; an unknown
        outlet is said to be one."""
        d = self.docs.get(doc) or {}
        if d.get("outlet"):
            return str(d["outlet"])
        return f"“{_cut(d['title'])}” (outlet unknown)" if d.get("title") else (
            f"{doc} (outlet unknown)")

    def doc_label(self, doc: str) -> str:
        """A document as a reason names it: outlet and title, then the id to look it up."""
        d = self.docs.get(doc) or {}
        parts = [str(p) for p in (d.get("outlet"), d.get("title") and f"“{_cut(d['title'])}”")
                 if p]
        return f"{', '.join(parts)} ({doc})" if parts else f"doc {doc}"

    def known_outlet(self, doc: str) -> str | None:
        return (self.docs.get(doc) or self._appearance(doc)).get("outlet") or None

    def _appearance(self, doc: str) -> dict[str, Any]:
        return next((d for found in self.appearances.values() for d in found
                     if d["id"] == doc), {})

    def seen_in(self, doc: str) -> list[str]:
        """The analysed document and the other appearances of its text."""
        return [doc, *(d["id"] for d in self.appearances.get(doc, []))]

    def earliest(self, doc: str) -> str:
        """Of the appearances of one text, the first published (undated ones last; the
        analysed document first among equals): the one the others are taken to repeat."""
        dated = {d: (self.docs.get(d) or self._appearance(d)).get("published")
                 for d in self.seen_in(doc)}
        order = {d: k for k, d in enumerate(self.seen_in(doc))}
        return min(dated, key=lambda d: (dated[d] is None, dated[d] or "", order[d]))

    def outlet_entity(self, doc: str) -> str | None:
        return self.actors.lookup(self.known_outlet(doc))

    def chain(self, attribution: str | None) -> list[dict[str, Any]]:
        """The attribution and its parents, outer first."""
        return [self.attributions[a] for a in chain_ids(self.attributions, attribution)]

    def shared_with(self, claim: dict[str, Any]) -> list[tuple[str, bool]]:
        """Documents sharing (by text reuse) at least half of the claim's span, each with
        whether it is the earlier of the two; most overlap first."""
        found = []
        for start, end, other, other_earlier in self.shared.get(claim["doc"], []):
            overlap = min(end, claim["end"]) - max(start, claim["start"])
            if overlap >= 0.5 * max(claim["end"] - claim["start"], 1):
                found.append((overlap, other, other_earlier))
        return [(other, earlier) for _, other, earlier in sorted(found, reverse=True)]

    def copied_from(self, claim: dict[str, Any]) -> str | None:
        """The earlier document a claim's text was copied from, if any."""
        return next((other for other, earlier in self.shared_with(claim) if earlier), None)


def _cut(text: str, limit: int = TITLE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def source_key(att: dict[str, Any], actors: Actors) -> tuple[str, str, str | None]:
    """(origin id, readable name, entity id) of an attribution's source. A source with no
    words ("X, reportedly") is named by its cue: a "?" would read as a missing value."""
    kind = att.get("source_kind") or "organisation"
    cue = (att.get("cue_text") or "").strip()
    unnamed = f"unnamed source ({cue})" if cue else "unnamed source"
    if kind in UNNAMED_KINDS:
        # each anonymous source is its own: "sources" in two articles are not known to be
        # one, and "a source close to Trump" is not Trump (its near_entity is)
        name = att.get("source_resolved") or att.get("source_text") or unnamed
        return f"{kind}:{att['doc']}:{att['source_start']}", name, None
    entity = att.get("source_entity") or actors.lookup(att.get("source_resolved"))
    name = (
        actors.name(entity) or att.get("source_resolved") or att.get("source_text") or unnamed
    )
    if kind in UNCOUNTED_KINDS and not entity:
        return f"{kind}:{att['doc']}:{att['source_start']}", name, None
    return (entity or f"name:{name.lower()}"), name, entity


def near_key(att: dict[str, Any], actors: Actors) -> tuple[str | None, str | None]:
    """(entity id, name) an anonymous or vague source is near, if its span names one. A
    store linked before near_entity existed kept it in source_entity."""
    if (att.get("source_kind") or "") not in UNNAMED_KINDS:
        return None, None
    near = att.get("near_entity") or att.get("source_entity")
    return near, (actors.name(near) or near) if near else None


def claim_origin(corpus: Corpus, claim: dict[str, Any], depth: int = 0) -> Origin:
    """Where one claim comes from (following copies to the earliest article)."""
    actors = corpus.actors
    earlier = corpus.copied_from(claim) if depth < 5 else None
    if earlier is not None and claim.get("attribution") is None:
        # an unattributed claim copied from an earlier article is that article's assertion
        twin = _twin_claim(corpus, claim, earlier)
        if twin is not None:
            origin = claim_origin(corpus, twin, depth + 1)
        else:
            entity = corpus.outlet_entity(earlier)
            origin = Origin(
                id=entity or f"outlet:{corpus.outlet(earlier)}",
                name=corpus.outlet_label(earlier),
                kind="outlet", entity=entity, controllers=actors.controllers(entity),
                root=actors.root(entity),
            )
        origin.copied_from = earlier
        return origin
    chain = corpus.chain(claim.get("attribution"))
    if chain:
        inner = chain[-1]
        oid, name, entity = source_key(inner, actors)
        near, near_name = near_key(inner, actors)
        origin = Origin(
            id=oid, name=name, kind=inner.get("source_kind") or "organisation", entity=entity,
            controllers=actors.controllers(entity), root=actors.root(entity),
            near_entity=near, near_name=near_name,
        )
    else:
        entity = corpus.outlet_entity(claim["doc"])
        origin = Origin(
            id=entity or f"outlet:{corpus.outlet(claim['doc'])}",
            name=corpus.outlet_label(claim["doc"]),
            kind="outlet", entity=entity, controllers=actors.controllers(entity),
            root=actors.root(entity),
        )
    origin.copied_from = earlier
    return origin


def _twin_claim(corpus: Corpus, claim: dict[str, Any], earlier: str) -> dict[str, Any] | None:
    """The (first) claim of the earlier article in the same cluster, if it has one."""
    return corpus.twins.get((earlier, claim["cluster"]))


@dataclass(frozen=True, order=True)
class CopyLink:
    """Two origins of a cluster whose claims lie in text two documents share."""

    origin: str  # the origin of the claim in ``doc``
    other: str  # the origin of the twin claim in ``other_doc``
    doc: str
    other_doc: str
    copied: bool  # ``doc`` copied ``other_doc`` (the reuse row names ``other_doc`` earlier)


Relation = tuple[str, str, str | None]  # (relation, reason, the X the reason names)


def _control_relation(a: Origin, b: Origin, actors: Actors) -> Relation | None:
    """How origin ``a`` is tied to origin ``b`` by who controls whom, if it is. Entities
    with one root are always tied (same entity, one above the other, or a common
    controller below the root), so this is also the test of whether they are grouped."""
    if not a.entity or not b.entity:
        return None
    b_name = actors.name(b.entity) or b.name
    if a.entity == b.entity:
        return "same_entity", f"same entity as {b_name}", b_name
    if b.entity in a.controllers:
        return "controlled_by", f"controlled by {b_name}", b_name
    if a.entity in b.controllers:
        return "controls", f"controls {b_name}", b_name
    common = next((c for c in a.controllers if c in b.controllers), None)
    if common is None:
        return None
    name = actors.name(common) or common
    return "same_controller", f"same controller {name}", name


def _copy_relation(
    a: Origin, b: Origin, links: list[CopyLink], corpus: Corpus
) -> Relation | None:
    """How origin ``a`` is tied to origin ``b`` by copied text, if it is: the document the
    copy came from (or went to) is named by outlet and title, with its id to look it up."""
    between = sorted(link for link in links if {link.origin, link.other} == {a.id, b.id})
    for link in between:
        if link.origin == a.id and link.copied:
            label = corpus.doc_label(link.other_doc)
            return "copied", f"copied from {label}", label
    for link in between:
        if link.origin == b.id and link.copied:
            label = corpus.doc_label(link.doc)
            return "copied_into", f"text copied into {label}", label
    for link in between:
        doc = link.other_doc if link.origin == a.id else link.doc
        label = corpus.doc_label(doc)
        return "shares_text", f"shares copied text with {label}", label
    return None


def _group(origins: list[Origin], copy_links: list[CopyLink], corpus: Corpus) -> int:
    """Assign independence groups, each origin's reason; return how many groups hold
    countable origins."""
    actors = corpus.actors
    countable = [o for o in origins if o.kind not in UNCOUNTED_KINDS]
    by_id = {o.id: o for o in countable}
    graph = nx.Graph()
    for i, o in enumerate(countable):
        graph.add_node(o.id)
        for other in countable[i + 1:]:
            if _control_relation(o, other, actors) is not None:
                graph.add_edge(o.id, other.id)
    for link in copy_links:
        if link.origin in graph and link.other in graph:
            graph.add_edge(link.origin, link.other)
    for o in origins:
        if o.kind in UNCOUNTED_KINDS:
            o.group, o.relation, o.reason = None, o.kind, UNCOUNTED_REASONS[o.kind]
    order = {o.id: i for i, o in enumerate(countable)}
    labels: set[str] = set()
    components = sorted(
        (sorted(comp, key=order.__getitem__) for comp in nx.connected_components(graph)),
        key=lambda comp: order[comp[0]],
    )
    for comp in components:
        members = [by_id[m] for m in comp]
        copiers = {link.origin for link in copy_links if link.copied and link.other in comp}
        # the group is represented by an origin that copied nobody, nearest the top of its
        # control chain: the others are then explained as answering to it or copying it
        rep = min(members, key=lambda o: (o.id in copiers, len(o.controllers), order[o.id]))
        label = _group_label(members, rep, actors)
        while label in labels:  # two groups of one name stay two groups
            label += " (another)"
        labels.add(label)
        rep.group, rep.relation, rep.linked_to, rep.related = label, "independent", None, None
        rep.reason = (
            "independent" if len(members) == 1
            else f"independent — counts once for its group of {len(members)}"
        )
        # breadth first from the representative: each origin is explained by the origin it
        # was reached from, the representative itself whenever they are tied directly
        parents = dict(nx.bfs_predecessors(graph, rep.id, sort_neighbors=lambda ns: sorted(
            ns, key=order.__getitem__)))
        for o in members:
            if o is rep:
                continue
            parent = by_id[parents[o.id]]
            relation = (_control_relation(o, parent, actors)
                        or _copy_relation(o, parent, copy_links, corpus))
            assert relation is not None, (o.id, parent.id)  # an edge is one or the other
            o.group, o.linked_to = label, parent.id
            o.relation, o.reason, o.related = relation
    return len(components)


def _group_label(members: list[Origin], rep: Origin, actors: Actors) -> str:
    """A group's name: the nearest entity every member is or answers to (the Government of
    Norvania for its ministry and its security bureau), else the representative's name."""
    if all(o.entity for o in members):
        chains = [[o.entity, *o.controllers] for o in members]
        common = next((e for e in chains[0] if all(e in c for c in chains[1:])), None)
        if common is not None:
            return actors.name(common) or common
    return rep.name


def analyse_cluster(corpus: Corpus, cluster: dict[str, Any]) -> dict[str, Any]:
    claims = [corpus.claims[c] for c in cluster["claims"] if c in corpus.claims]
    origins: dict[str, Origin] = {}
    copy_links: list[CopyLink] = []
    citations = nx.DiGraph()  # outlet -> the outlet or source it relays or copied
    for claim in claims:
        origin = claim_origin(corpus, claim)
        kept = origins.setdefault(origin.id, origin)
        kept.claims.append(claim["id"])
        if origin.copied_from:
            kept.copies[claim["id"]] = origin.copied_from
            kept.copied_from = kept.copied_from or origin.copied_from
        # The same text on other outlets (or URLs, dates) relays the claim there too; the
        # appearances repeat the earliest one: one voice, however many outlets carry it.
        first = corpus.earliest(claim["doc"])
        for seen in corpus.seen_in(claim["doc"]):
            kept.documents.append(seen)
            kept.via.append(corpus.outlet(seen))
            if seen != first and corpus.outlet(seen) != corpus.outlet(first):
                citations.add_edge(corpus.outlet(seen), corpus.outlet(first))
        outlet = corpus.outlet(claim["doc"])
        for other, other_earlier in corpus.shared_with(claim):
            # copied text is one voice, whichever way the copy went
            if other_earlier:
                citations.add_edge(outlet, corpus.outlet(other))
            source = _twin_origin_id(corpus, other, claim["cluster"])
            if source and source != origin.id:
                copy_links.append(CopyLink(origin.id, source, claim["doc"], other, other_earlier))
        for att in corpus.chain(claim.get("attribution")):
            # an unnamed source is cited as what the article calls it, never as its neighbour
            named = (att.get("source_kind") or "") not in UNNAMED_KINDS
            entity = att.get("source_entity") if named else None
            name = corpus.actors.name(entity) or att.get("source_resolved")
            for seen in corpus.seen_in(claim["doc"]):
                if name and name != corpus.outlet(seen):
                    citations.add_edge(corpus.outlet(seen), name)
    origin_list = sorted(origins.values(), key=lambda o: (o.kind in UNCOUNTED_KINDS, o.id))
    for o in origin_list:
        o.copied_from_label = corpus.doc_label(o.copied_from) if o.copied_from else None
    independent = _group(origin_list, copy_links, corpus)
    docs = sorted({d for c in claims for d in corpus.seen_in(c["doc"])})
    # Relaying outlets: a document whose outlet is unknown counts as one of its own (it is
    # not known to share one), but only known outlets are named in ``outlets``.
    relays = sorted({corpus.outlet(d) for d in docs})
    flags = _flags(corpus, claims, origin_list, relays, independent, citations)
    return {
        "origins": json.dumps([o.to_dict() for o in origin_list], ensure_ascii=False),
        "independent_origins": independent,
        "outlets": sorted({o for d in docs if (o := corpus.known_outlet(d))}),
        "amplification": round(len(relays) / max(independent, 1), 3),
        "flags": flags, "relays": len(relays),
    }


def _twin_origin_id(corpus: Corpus, earlier: str, cluster: str | None) -> str | None:
    twin = corpus.twins.get((earlier, cluster))
    return claim_origin(corpus, twin, depth=5).id if twin is not None else None


def _flags(
    corpus: Corpus,
    claims: list[dict[str, Any]],
    origins: list[Origin],
    outlets: list[str],
    independent: int,
    citations: nx.DiGraph,
) -> list[str]:
    flags: list[str] = []
    if len(outlets) >= 3 and independent <= 1:
        flags.append("single_source_amplification")
    if citations.number_of_edges() and not nx.is_directed_acyclic_graph(citations):
        flags.append("circular_reporting")
    if claims and all(c.get("unattributed") for c in claims):
        flags.append("unattributed")
    named = [o for o in origins if o.kind != "outlet"]
    if named and all(o.kind in UNCOUNTED_KINDS for o in named) and not any(
        o.kind == "outlet" for o in origins
    ):
        flags.append("anonymous_only")
    if claims and all(c.get("hedged") for c in claims):
        flags.append("hedged_only")
    if _one_controller(corpus, claims, origins):
        flags.append("same_controller")
    return flags


def _one_controller(
    corpus: Corpus, claims: list[dict[str, Any]], origins: list[Origin]
) -> bool:
    """All countable origins answer to one controller R, no outlet is known to answer to
    another, and at least two distinct actors answer to R (one voice alone is not flagged)."""
    roots = {o.root for o in origins if o.kind not in UNCOUNTED_KINDS}
    if len(roots) != 1 or None in roots:
        return False
    root = next(iter(roots))
    outlet_entities = {
        corpus.outlet_entity(d) for c in claims for d in corpus.seen_in(c["doc"])
    } - {None}
    if any(corpus.actors.root(e) != root for e in outlet_entities):
        return False
    actors = {o.entity for o in origins if o.entity} | outlet_entities
    return len(actors) >= 2


# -- the corpus step: each claim cluster analysed from its own rows --------------------------
# Every input carries the claim cluster's key as "of_cluster" (reuse rows have a "cluster" of
# their own). A claim's chain (its attribution and their parents) lies in its document and is
# worked out per document; the documents are those of the claims and of the reuse rows
# touching them. Narratives are analysed the same way, over all the claims of their
# clusters: ``{unit}`` below is the claims' cluster or their cluster's narrative.
#
# A cluster's id is its rank in the corpus ("cl:1" is the most repeated proposition), so a
# new document renumbers most clusters. Inside the step a cluster is known by a key its
# ranks do not touch: its first claim id (claim ids are the document's id and the claim's
# number in it). Its rows carry no id of a cluster or a narrative, only keys, and each
# analysed row gets its ids back from the key at the end; with the actors it reads given as
# rows of its own (not the whole ``entities`` table), an unchanged cluster in a grown corpus
# has the same rows, and the memo keeps its analysis.
_RANKED = {"cluster": ("id", "narrative"), "narrative": ("id", "claim_clusters")}
_UNITS = {"cluster": "claim_clusters", "narrative": "narratives"}
_CLAIM_COLUMNS = ", ".join(
    f'c."{c}"' for c in CORPUS["claims"] if c != "cluster"
)
_KEYS = {
    "cluster": (
        "SELECT u.id, COALESCE(m.key, u.id) AS key FROM claim_clusters u LEFT JOIN "
        '(SELECT "cluster" AS id, MIN(id) AS key FROM claims WHERE "cluster" IS NOT NULL '
        'GROUP BY "cluster") AS m ON m.id = u.id'
    ),
    "narrative": (
        "SELECT u.id, COALESCE(m.key, u.id) AS key FROM narratives u LEFT JOIN "
        "(SELECT k.narrative AS id, MIN(c.id) AS key FROM claims c "
        'JOIN claim_clusters k ON k.id = c."cluster" WHERE k.narrative IS NOT NULL '
        "GROUP BY k.narrative) AS m ON m.id = u.id"
    ),
}
_CLAIMS_OF = {
    "cluster": (
        f'SELECT k.key AS of_cluster, {_CLAIM_COLUMNS}, k.key AS "cluster" FROM claims c '
        'JOIN cluster_keys k ON k.id = c."cluster"'
    ),
    "narrative": (
        f'SELECT n.key AS of_cluster, {_CLAIM_COLUMNS}, k.key AS "cluster" FROM claims c '
        'JOIN cluster_keys k ON k.id = c."cluster" '
        'JOIN claim_clusters u ON u.id = c."cluster" '
        "JOIN narrative_keys n ON n.id = u.narrative"
    ),
}
_REUSE_COLUMNS = ("a", "b", "earlier", "a_start", "a_end", "b_start", "b_end")


def _analysed_columns(unit: str) -> dict[str, str]:
    """The columns of a unit's analysed row inside the step: its table's, without the ids
    that are ranks, with its key."""
    columns = {c: t for c, t in CORPUS[_UNITS[unit]].items() if c not in _RANKED[unit]}
    return {"of_cluster": "VARCHAR", **columns}


def _inputs(unit: str) -> tuple[dict[str, str], dict[str, str]]:
    """The SQL of the stages that gather each ``unit``'s (cluster's or narrative's) rows,
    then the inputs of the per-unit stage."""
    docs, reuse = f"{unit}_docs", f"{unit}_reuse"
    claims, documents = f"{unit}_claims", f"{unit}_documents"
    attributions, lookups = f"{unit}_attributions", f"{unit}_lookups"
    tables = {
        f"{unit}_keys": _KEYS[unit],
        claims: _CLAIMS_OF[unit],
        docs: f"SELECT DISTINCT of_cluster, doc FROM {claims}",
        reuse: (
            f"SELECT d.of_cluster, r.* FROM {docs} d JOIN reuse r ON r.a = d.doc "
            f"UNION SELECT d.of_cluster, r.* FROM {docs} d JOIN reuse r ON r.b = d.doc"
        ),
        attributions: (
            f"SELECT DISTINCT c.of_cluster, a.* FROM {claims} c "
            "JOIN attribution_chains m ON m.attribution = c.attribution "
            "JOIN attributions a ON a.id = m.member"
        ),
        # the analysed documents, then the other appearances of their texts
        documents: " UNION ".join(
            "SELECT DISTINCT x.of_cluster, d.id, d.outlet, d.title, d.published, d.duplicate_of "
            "FROM ("
            f"SELECT of_cluster, doc FROM {docs} UNION SELECT of_cluster, a FROM {reuse} "
            f"UNION SELECT of_cluster, b FROM {reuse}) AS x JOIN documents d ON {join}"
            for join in ("d.id = x.doc WHERE d.duplicate_of IS NULL", "d.duplicate_of = x.doc")
        ),
        # what the unit looks up by name (outlets, resolved sources) and what each stands for
        lookups: (
            "SELECT DISTINCT n.of_cluster, n.name, l.entity FROM ("
            f"SELECT of_cluster, outlet AS name FROM {documents} WHERE outlet IS NOT NULL "
            f"UNION SELECT of_cluster, source_resolved FROM {attributions} "
            "WHERE source_resolved IS NOT NULL) AS n JOIN actor_names l ON l.name = n.name"
        ),
    }
    ranked = set(_RANKED[unit])
    kept = ", ".join(f'u."{c}"' for c in CORPUS[_UNITS[unit]] if c not in ranked)
    inputs = {
        "clusters": (
            f"SELECT k.key AS of_cluster, {kept} FROM {_UNITS[unit]} u "
            f"JOIN {unit}_keys k ON k.id = u.id"
        ),
        "claims": f"SELECT * FROM {claims}",
        "attributions": f"SELECT * FROM {attributions}",
        "reuse": f"SELECT of_cluster, {', '.join(_REUSE_COLUMNS)} FROM {reuse}",
        "documents": f"SELECT * FROM {documents}",
        "actors": (
            "SELECT DISTINCT r.of_cluster, e.id, e.name, e.controlled_by FROM ("
            f"SELECT of_cluster, source_entity AS entity FROM {attributions} "
            f"UNION SELECT of_cluster, near_entity FROM {attributions} "
            f"UNION SELECT of_cluster, entity FROM {lookups}) AS r "
            "JOIN actor_chains c ON c.entity = r.entity JOIN entities e ON e.id = c.member"
        ),
        "lookups": f"SELECT of_cluster, name, entity FROM {lookups}",
    }
    return tables, inputs


def document_chains(group: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """One document's attributions -> (attribution, member of its chain) pairs."""
    by_id = {a["id"]: a for a in group["attributions"]}
    return {"attribution_chains": [
        {"attribution": a, "member": m} for a in by_id for m in chain_ids(by_id, a)
    ]}


def cluster_provenance(
    group: dict[str, list[dict[str, Any]]], context: Any = None,
    table: str = "claim_clusters", output: str = "analysed_clusters",
) -> dict[str, Any]:
    """One claim cluster's (or narrative's) rows -> its row of ``table`` with provenance
    filled, but for the ids that are ranks (:data:`_RANKED`: given back from its key)."""
    if not group["clusters"]:
        return {output: []}  # claims naming a cluster that has no row
    [cluster] = group["clusters"]
    cluster["claims"] = cluster["claims"] or []
    corpus = Corpus.from_rows(
        docs=group["documents"], attributions=group["attributions"], claims=group["claims"],
        reuse=group["reuse"], actors=Actors.of_group(group["actors"], group["lookups"]),
    )
    row = {c: cluster[c] for c in cluster}
    row.update(analyse_cluster(corpus, cluster))
    return {output: [row]}


def _unit_stages(unit: str) -> tuple[Any, ...]:
    tables, inputs = _inputs(unit)
    table = _UNITS[unit]
    keyed, output = f"{unit}_analysed", f"analysed_{table}"
    columns = {
        f"{unit}_keys": {"id": "VARCHAR", "key": "VARCHAR"},
        f"{unit}_claims": {"of_cluster": "VARCHAR",
                           **{c: t for c, t in CORPUS["claims"].items() if c != "cluster"},
                           "cluster": "VARCHAR"},
        f"{unit}_docs": {"of_cluster": "VARCHAR", "doc": "VARCHAR"},
        f"{unit}_reuse": {"of_cluster": "VARCHAR", **CORPUS["reuse"]},
        f"{unit}_attributions": {"of_cluster": "VARCHAR", **PER_DOCUMENT["attributions"]},
        f"{unit}_documents": {"of_cluster": "VARCHAR", **{
            c: DOCUMENTS[c].replace(" PRIMARY KEY", "")
            for c in ("id", "outlet", "title", "published", "duplicate_of")}},
        f"{unit}_lookups": {"of_cluster": "VARCHAR", "name": "VARCHAR", "entity": "VARCHAR"},
    }
    # the ids that are ranks, back from the key, in the table's column order
    ranked = set(_RANKED[unit])
    select = ", ".join(
        f'k."{c}"' if c in ranked else f'a."{c}"' for c in CORPUS[table]
    )
    return (
        *(Sql(name, query, columns[name]) for name, query in tables.items()),
        PerGroup(inputs, key=("of_cluster",),
                 fn=partial(cluster_provenance, table=table, output=keyed),
                 outputs={keyed: _analysed_columns(unit)}, memo=True),
        Sql(output,
            f"SELECT {select} FROM {keyed} a JOIN {unit}_keys m ON m.key = a.of_cluster "
            f"JOIN {table} k ON k.id = m.id",
            dict(CORPUS[table])),
    )


_ACTOR_NAMES = (
    "SELECT DISTINCT outlet AS name FROM documents WHERE outlet IS NOT NULL "
    "UNION SELECT DISTINCT source_resolved FROM attributions WHERE source_resolved IS NOT NULL"
)


provenance_step = corpus_steps.register("provenance", order=50)(
    CorpusStep(
        name="provenance",
        reads=("claims", "claim_clusters", "narratives", "attributions", "reuse", "documents",
               "entities"),
        stages=(
            OnDriver({"entities": "SELECT * FROM entities", "names": _ACTOR_NAMES},
                     fn=actor_facts,
                     outputs={"actor_chains": {"entity": "VARCHAR", "member": "VARCHAR"},
                              "actor_names": {"name": "VARCHAR", "entity": "VARCHAR"}},
                     order={"entities": ("id", "name"), "names": ("name",)}),
            PerGroup({"attributions": "SELECT doc, id, parent FROM attributions"}, key=("doc",),
                     fn=document_chains,
                     outputs={"attribution_chains": {"attribution": "VARCHAR",
                                                     "member": "VARCHAR"}}),
            *_unit_stages("cluster"),
            *_unit_stages("narrative"),
        ),
        writes={
            "claim_clusters": Write(
                "analysed_claim_clusters", "TRY_CAST(substr(id, 4) AS INTEGER), id"
            ),
            "narratives": Write("analysed_narratives", "TRY_CAST(substr(id, 4) AS INTEGER), id"),
        },
    )
)
