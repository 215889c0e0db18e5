"""The web app's reads: plain functions of a DuckDB connection (or cursor) and parameters that
return JSON-ready dicts and lists. No FastAPI here; the routes in ``api.py`` and ``pages.py``
validate parameters and turn a ``None`` into a 404.

Every list is filtered, sorted and paged in SQL (``ORDER BY ... LIMIT``) so a page stays quick
at 100,000 articles; nothing loads a whole table into Python. Ids and search text are only ever
bound as SQL parameters; what is formatted into SQL comes from constants of this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import duckdb

from sourcetrace.outputs import shapes
from sourcetrace.outputs.sql import has_table, rows, scalar

Connection = duckdb.DuckDBPyConnection
Sort = Literal["label", "outlets", "documents", "origins", "amplification", "first", "id"]

DETAIL_CAP = 200  # documents/claims shown in one claim card; more are counted, not sent

CLAIM_SORTS: dict[str, str] = {
    "label": "lower(label)",
    "outlets": "len(outlets)",
    "documents": "len(documents)",
    "origins": "coalesce(independent_origins, 0)",
    "amplification": "amplification",
    "first": "first_appearance",
    "id": "id",
}
# A row of the claims list: the cluster's figures without its member lists.
CLAIM_LIST_COLUMNS = (
    "id, coalesce(label, '') AS label, coalesce(outlets, []) AS outlets, "
    "len(outlets) AS n_outlets, len(documents) AS n_documents, "
    "coalesce(independent_origins, 0) AS independent_origins, amplification, "
    "first_appearance, coalesce(flags, []) AS flags"
)
NarrativeSort = Literal["number", "label", "clusters", "outlets", "origins", "amplification",
                        "first"]
NARRATIVE_SORTS: dict[str, str] = {
    "number": "TRY_CAST(substr(id, 4) AS INTEGER)",
    "label": "lower(label)",
    "clusters": "len(claim_clusters)",
    "outlets": "len(outlets)",
    "origins": "coalesce(independent_origins, 0)",
    "amplification": "amplification",
    "first": "first_appearance",
}
# A row of the narratives list: the roll-up without the member lists (but with the clusters).
NARRATIVE_LIST_COLUMNS = (
    "id, coalesce(label, '') AS label, coalesce(claim_clusters, []) AS claim_clusters, "
    "len(claim_clusters) AS n_clusters, len(claims) AS n_claims, "
    "len(documents) AS n_documents, coalesce(outlets, []) AS outlets, "
    "len(outlets) AS n_outlets, coalesce(independent_origins, 0) AS independent_origins, "
    "amplification, first_appearance, coalesce(flags, []) AS flags"
)
# shapes.reuse_passage, built in SQL so that pairs are grouped and paged by DuckDB.
REUSE_PASSAGE_SQL = (
    "{'a': [a_start, a_end], 'b': [b_start, b_end], 'words': words, 'similarity': similarity}"
)


# -- helpers -----------------------------------------------------------------------------------
def like(q: str) -> str:
    """An ILIKE pattern matching ``q`` literally (``%`` and ``_`` in the query are escaped)."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def marks(values: Sequence[Any]) -> str:
    """``?`` placeholders for an ``IN (...)`` list; ``NULL`` for none, which matches nothing."""
    return ",".join("?" * len(values)) or "NULL"


def page(
    items: list[dict[str, Any]], total: int, offset: int, limit: int, keyset: bool = False
) -> dict[str, Any]:
    """A page of a list. Keyset pages cannot know whether more follow without a second query,
    so a full page is taken to mean there may be."""
    more = offset + len(items) < total if not keyset else len(items) == limit
    return {
        "total": total, "offset": offset, "limit": limit,
        "next_offset": offset + len(items) if more and not keyset else None,
        "next_after": items[-1]["id"] if more and keyset and items else None,
        "items": items,
    }


# -- claims ------------------------------------------------------------------------------------
def facets(con: Connection) -> dict[str, list[str]]:
    """Values for the claim filters: outlets and flags that occur in claim clusters."""
    outlets = rows(
        con,
        "SELECT DISTINCT o FROM (SELECT unnest(outlets) AS o FROM claim_clusters) "
        "WHERE o IS NOT NULL ORDER BY o LIMIT 2000",
    )
    flags = rows(
        con,
        "SELECT DISTINCT f FROM (SELECT unnest(flags) AS f FROM claim_clusters) "
        "WHERE f IS NOT NULL ORDER BY f",
    )
    return {"outlets": [r["o"] for r in outlets], "flags": [r["f"] for r in flags]}


def claims_page(
    con: Connection,
    *,
    q: str = "",
    outlet: str = "",
    max_origins: int | None = None,
    min_outlets: int | None = None,
    flag: str = "",
    date_from: str = "",
    date_to: str = "",
    sort: Sort = "amplification",
    order: Literal["asc", "desc"] = "desc",
    after: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Claim clusters: search, filter, sort and page (``after``: keyset pages in the same
    order; :class:`UnknownCursor` when it names no cluster)."""
    where, params = ["TRUE"], []
    if q:
        where.append(
            "(label ILIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM claims c "
            "WHERE c.cluster = k.id AND c.text ILIKE ? ESCAPE '\\'))"
        )
        params += [like(q), like(q)]
    if outlet:
        where.append("list_contains(outlets, ?)")
        params.append(outlet)
    if max_origins is not None:
        where.append("coalesce(independent_origins, 0) <= ?")
        params.append(max_origins)
    if min_outlets:
        where.append("len(outlets) >= ?")
        params.append(min_outlets)
    if flag:
        where.append("list_contains(flags, ?)")
        params.append(flag)
    if date_from:
        where.append("left(first_appearance, 10) >= ?")
        params.append(date_from[:10])
    if date_to:
        where.append("left(first_appearance, 10) <= ?")
        params.append(date_to[:10])
    cond = " AND ".join(where)
    total = scalar(con, f"SELECT count(*) FROM claim_clusters k WHERE {cond}", params)
    # Only whitelisted SQL reaches the ORDER BY: the key from CLAIM_SORTS, the direction from
    # the Literal (an unknown value raises KeyError here before any SQL runs).
    key = CLAIM_SORTS[sort]
    direction = {"asc": "ASC", "desc": "DESC"}[order]
    if after is not None:
        # Keyset: the rows after the cursor's row in this very order (key, NULLS LAST, then
        # id), so a cursor from a sorted page continues that page, with no OFFSET to skip.
        cursor_sql, cursor_params = keyset_after(con, key, direction, after)
        items = rows(
            con,
            f"SELECT {CLAIM_LIST_COLUMNS} FROM claim_clusters k WHERE {cond} AND {cursor_sql} "
            f"ORDER BY {key} {direction} NULLS LAST, id LIMIT ?",
            [*params, *cursor_params, limit],
        )
        return page(items, total, 0, limit, keyset=True)
    items = rows(
        con,
        f"SELECT {CLAIM_LIST_COLUMNS} FROM claim_clusters k WHERE {cond} "
        f"ORDER BY {key} {direction} NULLS LAST, id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return page(items, total, offset, limit)


class UnknownCursor(ValueError):
    """An ``after`` cursor naming no claim cluster."""


def keyset_after(con: Connection, key: str, direction: str, after: str) -> tuple[str, list[Any]]:
    """The condition selecting the claim clusters after the cluster ``after`` in the order
    ``key direction NULLS LAST, id``; ``after=""`` starts at the first row. ``key`` is SQL from
    CLAIM_SORTS, never from the request."""
    if after == "":
        return "TRUE", []
    found = con.execute(
        f"SELECT {key} FROM claim_clusters k WHERE id = ?", [after]
    ).fetchall()
    if not found:
        raise UnknownCursor(f"no claim cluster {after[:60]!r} to continue after")
    value = found[0][0]
    if value is None:  # among the NULLs at the end: only ids decide
        return f"({key} IS NULL AND id > ?)", [after]
    beyond = ">" if direction == "ASC" else "<"
    return (
        f"({key} {beyond} ? OR ({key} = ? AND id > ?) OR {key} IS NULL)",
        [value, value, after],
    )


def entity_closure(con: Connection, ids: set[str]) -> list[dict[str, Any]]:
    """The entities with these ids and everything that controls them, up to the roots."""
    found: dict[str, dict[str, Any]] = {}
    todo = {i for i in ids if i}
    while todo:
        batch = rows(
            con,
            "SELECT id, name, type, country, controlled_by, aliases FROM entities "
            f"WHERE id IN ({marks(list(todo))})",
            list(todo),
        )
        for r in batch:
            r["aliases"] = list(r["aliases"] or [])
            found[r["id"]] = r
        todo = {r["controlled_by"] for r in batch if r["controlled_by"]} - set(found)
    return list(found.values())


def claim_detail(con: Connection, claim_id: str) -> dict[str, Any] | None:
    """One claim cluster (or the cluster of one claim id) with everything its card shows;
    None when there is no such cluster or claim."""
    found = rows(con, "SELECT * FROM claim_clusters WHERE id = ?", [claim_id])
    if not found:
        found = rows(
            con,
            "SELECT k.* FROM claim_clusters k JOIN claims c ON c.cluster = k.id "
            "WHERE c.id = ? LIMIT 1",
            [claim_id],
        )
    if not found:
        return None
    k = shapes.cluster(found[0]) | {"narrative": found[0].get("narrative")}
    claims = [
        shapes.claim(c)
        for c in rows(
            con,
            f"SELECT {shapes.columns(shapes.CLAIM_FIELDS)} "
            "FROM claims WHERE cluster = ? ORDER BY doc, start LIMIT ?",
            [k["id"], DETAIL_CAP],
        )
    ]
    doc_ids = list(dict.fromkeys([*k["documents"][:DETAIL_CAP], *(c["doc"] for c in claims)]))
    docs = rows(
        con,
        f"SELECT {shapes.columns(shapes.DOCUMENT_FIELDS)} "
        f"FROM documents WHERE id IN ({marks(doc_ids)}) ORDER BY published, id",
        doc_ids,
    )
    attrs = rows(
        con,
        f"SELECT * FROM attributions WHERE doc IN ({marks(doc_ids)}) "
        "ORDER BY doc, content_start, id",
        doc_ids,
    )
    language = rows(
        con,
        f"SELECT {shapes.columns(shapes.LANGUAGE_FIELDS)} FROM language "
        f"WHERE doc IN ({marks(doc_ids)}) ORDER BY doc, start",
        doc_ids,
    )
    wanted: set[str] = {a["source_entity"] for a in attrs if a["source_entity"]}
    for o in k["origins"]:
        if isinstance(o, dict):
            wanted |= {o.get("entity"), o.get("root"), *(o.get("controllers") or [])} - {None}
    return {
        "cluster": k, "claims": claims, "documents": docs,
        "attributions": [shapes.attribution(a) for a in attrs],
        "entities": entity_closure(con, {str(w) for w in wanted}), "language": language,
        "truncated": len(k["documents"]) > DETAIL_CAP or len(claims) >= DETAIL_CAP,
        "narrative": narrative_ref(con, k["narrative"]),
    }


# -- narratives --------------------------------------------------------------------------------
def narrative_ref(con: Connection, narrative_id: str | None) -> dict[str, Any] | None:
    """A cluster's narrative as its card links to it: id and label (None without one)."""
    if not narrative_id or not has_table(con, "narratives"):
        return None
    label = scalar(con, "SELECT coalesce(label, '') FROM narratives WHERE id = ?", [narrative_id])
    return {"id": narrative_id, "label": label or ""}


def narratives_page(
    con: Connection,
    *,
    q: str = "",
    outlet: str = "",
    flag: str = "",
    sort: NarrativeSort = "number",
    order: Literal["asc", "desc"] = "asc",
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Narratives with their roll-up: search (label or a claim's text), filter, sort, page."""
    if not has_table(con, "narratives"):
        return page([], 0, offset, limit)
    where, params = ["TRUE"], []
    if q:
        where.append(
            "(label ILIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM claims c "
            "JOIN claim_clusters k ON k.id = c.cluster "
            "WHERE k.narrative = n.id AND c.text ILIKE ? ESCAPE '\\'))"
        )
        params += [like(q), like(q)]
    if outlet:
        where.append("list_contains(outlets, ?)")
        params.append(outlet)
    if flag:
        where.append("list_contains(flags, ?)")
        params.append(flag)
    cond = " AND ".join(where)
    total = scalar(con, f"SELECT count(*) FROM narratives n WHERE {cond}", params)
    key = NARRATIVE_SORTS[sort]  # whitelisted, as in claims_page
    direction = {"asc": "ASC", "desc": "DESC"}[order]
    items = rows(
        con,
        f"SELECT {NARRATIVE_LIST_COLUMNS} FROM narratives n WHERE {cond} "
        f"ORDER BY {key} {direction} NULLS LAST, id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return page(items, total, offset, limit)


def narrative_detail(con: Connection, narrative_id: str) -> dict[str, Any] | None:
    """One narrative with its propositions (claim clusters, in the narrative's order), each
    with its appearances (earliest article first, at most ``DETAIL_CAP``) and origins; None
    when there is no such narrative."""
    if not has_table(con, "narratives"):
        return None
    found = rows(con, "SELECT * FROM narratives WHERE id = ?", [narrative_id])
    if not found:
        return None
    n = shapes.narrative(found[0])
    ids = n["claim_clusters"][:DETAIL_CAP]
    order = {c: i for i, c in enumerate(ids)}
    clusters = sorted(
        rows(con, f"SELECT * FROM claim_clusters WHERE id IN ({marks(ids)})", ids),
        key=lambda r: order[r["id"]],
    )
    appearances = rows(
        con,
        # every appearance: the claim's document and the others with its text
        "SELECT * FROM (SELECT c.id, d.id AS doc, c.text, c.start, c.\"end\", c.hedged, "
        "c.unattributed, c.cluster, d.outlet, d.title, d.published, "
        "row_number() OVER (PARTITION BY c.cluster "
        "ORDER BY d.published NULLS LAST, d.id, c.start) AS rank, "
        "count(*) OVER (PARTITION BY c.cluster) AS of "
        "FROM claims c JOIN documents d ON d.id = c.doc OR d.duplicate_of = c.doc "
        f"WHERE c.cluster IN ({marks(ids)})) "
        "WHERE rank <= ? ORDER BY cluster, rank",
        [*ids, DETAIL_CAP],
    )
    by_cluster: dict[str, list[dict[str, Any]]] = {}
    for a in appearances:
        by_cluster.setdefault(a["cluster"], []).append(a)
    items = []
    for r in clusters:
        found_here = by_cluster.get(r["id"], [])
        total = found_here[0]["of"] if found_here else 0
        items.append(shapes.cluster(r) | {
            "narrative": r.get("narrative"),
            "appearances": [shapes.appearance(a, a) for a in found_here],
            "more": max(0, total - len(found_here)),
        })
    return {
        "narrative": n, "clusters": items,
        "truncated": len(n["claim_clusters"]) > DETAIL_CAP or any(k["more"] for k in items),
    }


def timeline(con: Connection, limit: int = 30) -> dict[str, Any]:
    """First appearances of the most relayed claim clusters, with their articles' dates."""
    items = rows(
        con,
        "SELECT id, coalesce(label, '') AS label, first_appearance, "
        "len(outlets) AS n_outlets, documents FROM claim_clusters "
        "WHERE first_appearance IS NOT NULL "
        "ORDER BY len(outlets) DESC, first_appearance, id LIMIT ?",
        [limit],
    )
    ids = list({d for r in items for d in (r["documents"] or [])[:DETAIL_CAP]})
    dates = {
        m["id"]: m["published"]
        for m in rows(con, f"SELECT id, published FROM documents WHERE id IN ({marks(ids)})", ids)
    }
    for r in items:
        docs = r.pop("documents") or []
        r["dates"] = [dates[d] for d in docs[:DETAIL_CAP] if dates.get(d)]
    return {"items": items}


# -- inputs not analysed ----------------------------------------------------------------------
def errors_page(con: Connection, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Inputs that were skipped or failed, then documents read with a warning (the store's
    ``errors``: path, line, doc id, problem, kind), in path order."""
    if not has_table(con, "errors"):
        return page([], 0, offset, limit)
    total = scalar(con, "SELECT count(*) FROM errors")
    items = rows(
        con,
        "SELECT path, line, doc_id, problem, coalesce(kind, 'error') AS kind FROM errors "
        "ORDER BY kind = 'warning', path, line NULLS FIRST, doc_id LIMIT ? OFFSET ?",
        [limit, offset],
    )
    return page(items, total, offset, limit)


# -- documents ---------------------------------------------------------------------------------
def documents_page(
    con: Connection,
    *,
    q: str = "",
    outlet: str = "",
    after: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Articles in id order, without their text."""
    where, params = ["TRUE"], []
    if q:
        where.append("(title ILIKE ? ESCAPE '\\' OR text ILIKE ? ESCAPE '\\')")
        params += [like(q), like(q)]
    if outlet:
        where.append("outlet = ?")
        params.append(outlet)
    cond = " AND ".join(where)
    total = scalar(con, f"SELECT count(*) FROM documents WHERE {cond}", params)
    cols = shapes.columns(shapes.DOCUMENT_LIST_FIELDS)
    if after is not None:
        items = rows(
            con,
            f"SELECT {cols} FROM documents WHERE {cond} AND id > ? ORDER BY id LIMIT ?",
            [*params, after, limit],
        )
        return page(items, total, 0, limit, keyset=True)
    items = rows(
        con,
        f"SELECT {cols} FROM documents WHERE {cond} ORDER BY id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return page(items, total, offset, limit)


def document(con: Connection, doc_id: str) -> dict[str, Any] | None:
    """One article with its text and what was found in it; None when there is none."""
    found = rows(
        con,
        f"SELECT {shapes.columns(shapes.DOCUMENT_FIELDS)} FROM documents WHERE id = ?",
        [doc_id],
    )
    if not found:
        return None
    doc = found[0]
    doc["attributions"] = [
        shapes.attribution(a)
        for a in rows(
            con, "SELECT * FROM attributions WHERE doc = ? ORDER BY content_start, id", [doc_id]
        )
    ]
    doc["claims"] = rows(
        con,
        "SELECT id, text, start, \"end\", attribution, hedged, cluster FROM claims "
        "WHERE doc = ? ORDER BY start",
        [doc_id],
    )
    doc["places"] = rows(
        con,
        "SELECT start, \"end\", text, place, name, lat, lon FROM place_mentions "
        "WHERE doc = ? ORDER BY start",
        [doc_id],
    )
    # "techniques", not "language": that key is the article's language code.
    doc["techniques"] = rows(
        con,
        "SELECT start, \"end\", technique, text, score FROM language WHERE doc = ? "
        "ORDER BY start",
        [doc_id],
    )
    return doc


def reuse_page(
    con: Connection, *, doc: str = "", limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """Pairs of articles sharing passages, most shared words first."""
    cond, params = ("(a = ? OR b = ?)", [doc, doc]) if doc else ("TRUE", [])
    total = scalar(
        con, f"SELECT count(*) FROM (SELECT DISTINCT a, b FROM reuse WHERE {cond})", params
    )
    pairs = rows(
        con,
        "SELECT a, b, any_value(earlier) AS earlier, bool_or(same_outlet) AS same_outlet, "
        "any_value(cluster) AS cluster, sum(words) AS words, "
        f"list({REUSE_PASSAGE_SQL} ORDER BY a_start) AS passages "
        f"FROM reuse WHERE {cond} GROUP BY a, b ORDER BY words DESC, a, b LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    ids = list({d for p in pairs for d in (p["a"], p["b"])})
    meta = {
        m["id"]: m
        for m in rows(
            con,
            f"SELECT id, title, outlet, published FROM documents WHERE id IN ({marks(ids)})",
            ids,
        )
    }
    items = [
        shapes.reuse_pair(p, p["passages"])
        | {
            "meta": [meta.get(d, {"id": d, "title": None, "outlet": None, "published": None})
                     for d in (p["a"], p["b"])],
        }
        for p in pairs
    ]
    return page(items, total, offset, limit)


# -- entities, places, language ----------------------------------------------------------------
def entities_page(
    con: Connection, *, q: str = "", limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """Entities with aliases, controllers (up to the root) and mention counts."""
    cond, params = "TRUE", []
    if q:
        cond = (
            "(e.name ILIKE ? ESCAPE '\\' "
            "OR array_to_string(e.aliases, chr(10)) ILIKE ? ESCAPE '\\')"
        )
        params = [like(q), like(q)]
    total = scalar(con, f"SELECT count(*) FROM entities e WHERE {cond}", params)
    items = rows(
        con,
        "SELECT e.id, e.name, e.type, e.country, e.controlled_by, "
        "coalesce(e.aliases, []) AS aliases, coalesce(m.n, 0) AS mentions "
        "FROM entities e LEFT JOIN (SELECT entity, count(*) AS n FROM mentions "
        "WHERE entity IS NOT NULL GROUP BY entity) m ON m.entity = e.id "
        f"WHERE {cond} ORDER BY mentions DESC, e.name, e.id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    known = {e["id"]: e for e in entity_closure(con, {i["id"] for i in items})}
    for item in items:
        chain, seen, cur = [], {item["id"]}, item["controlled_by"]
        while cur and cur not in seen:
            seen.add(cur)
            ctrl = known.get(cur)
            chain.append({"id": cur, "name": ctrl["name"] if ctrl else cur})
            cur = ctrl["controlled_by"] if ctrl else None
        item["controllers"] = chain
    return page(items, total, offset, limit)


def places(con: Connection, limit: int = 2000) -> dict[str, Any]:
    """Geocoded places with mention counts and (up to 50 of) the articles mentioning them."""
    items = rows(
        con,
        "SELECT p.id, p.name, p.lat, p.lon, p.country, count(m.doc) AS count, "
        "list(DISTINCT m.doc ORDER BY m.doc) FILTER (WHERE m.doc IS NOT NULL) AS docs "
        "FROM places p LEFT JOIN place_mentions m ON m.place = p.id "
        "GROUP BY p.id, p.name, p.lat, p.lon, p.country "
        "ORDER BY count DESC, p.id LIMIT ?",
        [limit],
    )
    ids = list({d for r in items for d in (r["docs"] or [])[:50]})
    meta = {
        m["id"]: m
        for m in rows(
            con, f"SELECT id, title, outlet FROM documents WHERE id IN ({marks(ids)})", ids
        )
    }
    for r in items:
        r["documents"] = [meta.get(d, {"id": d}) for d in (r.pop("docs") or [])[:50]]
    return {"items": items}


def language(con: Connection, limit: int = 500) -> dict[str, Any]:
    """Persuasion-technique counts per outlet and the highest-scoring passages."""
    counts = rows(
        con,
        "SELECT coalesce(d.outlet, '(outlet unknown)') AS outlet, l.technique, count(*) AS n "
        "FROM language l LEFT JOIN documents d ON d.id = l.doc "
        "GROUP BY ALL ORDER BY outlet, l.technique",
    )
    spans = rows(
        con,
        "SELECT l.doc, d.outlet, d.title, l.technique, l.text, l.score "
        "FROM language l LEFT JOIN documents d ON d.id = l.doc "
        "ORDER BY l.score DESC NULLS LAST, l.doc, l.start LIMIT ?",
        [limit],
    )
    return {"counts": counts, "spans": spans}
