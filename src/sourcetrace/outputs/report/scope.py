"""What part of a big corpus the offline report embeds.

``report.html`` inlines the analysis it shows, and a browser cannot open a page that holds
tens of thousands of articles (nor should the run hold them all in memory to write it). Up to
``config.REPORT_MAX_DOCUMENTS`` analysed articles the report holds everything; above it, it holds
the most prominent narratives (their order in the store: most outlets first) with every
proposition, claim and article of theirs, until the article budget is spent. The headline
figures still count the whole corpus (computed in SQL over the store), and the page says what
it left out; ``analysis.json`` and ``sourcetrace serve`` keep everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sourcetrace.config import REPORT_MAX_DOCUMENTS
from sourcetrace.outputs import shapes
from sourcetrace.outputs.store import AnalysisStore


@dataclass
class ReportScope:
    """The documents, claim clusters and narratives a report embeds (ids), and the corpus's
    totals to say what was left out."""

    documents: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    narratives: list[str] = field(default_factory=list)
    total_documents: int = 0
    total_narratives: int = 0
    total_clusters: int = 0

    def notice(self) -> dict[str, int]:
        """The figures of the page's "this report shows part of the corpus" line."""
        return {
            "documents": len(self.documents), "total_documents": self.total_documents,
            "narratives": len(self.narratives), "total_narratives": self.total_narratives,
            "clusters": len(self.clusters), "total_clusters": self.total_clusters,
        }


def _count(store: AnalysisStore, table: str) -> int:
    return store.count(table) if store.has_table(table) else 0


def _copies(store: AnalysisStore) -> dict[str, list[str]]:
    """Analysed document -> the documents stored as copies of its text (``duplicate_of``)."""
    out: dict[str, list[str]] = {}
    for copy, of in store.con.execute(
        "SELECT id, duplicate_of FROM documents WHERE duplicate_of IS NOT NULL ORDER BY id"
    ).fetchall():
        out.setdefault(of, []).append(copy)
    return out


def _groups(
    store: AnalysisStore, first: list[str]
) -> Iterable[tuple[str | None, list[str], list[str]]]:
    """(narrative id, its cluster ids, its document ids): first the narratives of the claim
    clusters ``first`` (the headline's examples, which the page links to), then all in the
    store's order of prominence; a store without narratives (written before them) gives its
    clusters one by one."""
    if store.has_table("narratives"):
        cur = store.con.cursor()
        cur.execute(
            "SELECT id, claim_clusters, documents FROM narratives ORDER BY "
            "id NOT IN (SELECT narrative FROM claim_clusters WHERE narrative IS NOT NULL "
            "AND id IN (SELECT unnest(?::VARCHAR[]))), "
            + shapes.NARRATIVE_ORDER.removeprefix("ORDER BY "), [first])
        while batch := cur.fetchmany(2000):
            for nid, clusters, docs in batch:
                yield nid, list(clusters or []), list(docs or [])
        cur.close()
        return
    cur = store.con.cursor()
    cur.execute("SELECT id, documents FROM claim_clusters ORDER BY "
                "id NOT IN (SELECT unnest(?::VARCHAR[])), "
                "amplification DESC NULLS LAST, len(documents) DESC, id", [first])
    while batch := cur.fetchmany(2000):
        for cid, docs in batch:
            yield None, [cid], list(docs or [])
    cur.close()


def choose_scope(
    store: AnalysisStore, max_documents: int = REPORT_MAX_DOCUMENTS,
    first: Iterable[str] = (),
) -> ReportScope | None:
    """``None`` when the whole analysis fits in a report; else the narratives to embed: those
    of the claim clusters ``first``, then the most prominent, each whole (with the copies of
    its articles), skipping one that would overrun the budget and going on with smaller
    ones."""
    total = _count(store, "documents")
    if total <= max_documents:
        return None
    copies = _copies(store)
    scope = ReportScope(
        total_documents=total, total_narratives=_count(store, "narratives"),
        total_clusters=_count(store, "claim_clusters"),
    )
    chosen: set[str] = set()
    for nid, clusters, docs in _groups(store, list(first)):
        wanted = {d for doc in docs for d in (doc, *copies.get(doc, ()))} - chosen
        if len(chosen) + len(wanted) > max_documents:
            continue
        chosen |= wanted
        scope.clusters.extend(clusters)
        if nid is not None:
            scope.narratives.append(nid)
        if len(chosen) >= max_documents:
            break
    scope.documents = sorted(chosen)
    return scope


__all__ = ["ReportScope", "choose_scope"]
