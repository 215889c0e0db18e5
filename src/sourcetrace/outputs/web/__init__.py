"""``sourcetrace serve DIR``: a local, read-only web app over the DuckDB store.

The page is the report's JavaScript app fed by the JSON API below instead of embedded data, so
both show the same views. Every list is filtered, sorted and paged in SQL (``ORDER BY ... LIMIT``)
so a page stays quick at 100,000 articles; nothing loads a whole table into Python.

Safety: the store is opened read-only; ids are only ever bound as SQL parameters; static files
come from a fixed package folder and anything that does not resolve inside it is a 404; the
server binds to 127.0.0.1 and, while it does, answers only requests addressed to a loopback
host name (DNS rebinding). The Swagger/ReDoc pages are off because they load scripts from a CDN;
the schema itself is at ``/openapi.json``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.middleware.trustedhost import TrustedHostMiddleware

from sourcetrace.outputs.report import WORST_EXAMPLES, render_page
from sourcetrace.outputs.store import DB_NAME

LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]
MAX_LIMIT = 500
DETAIL_CAP = 200  # documents/claims shown in one claim card; more are counted, not sent
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".json": "application/json"}
CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)

# Module level: with postponed annotations FastAPI resolves these names in the module globals.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Offset = Annotated[int, Query(ge=0, description="rows to skip (offset pagination)")]

CLAIM_SORTS = {
    "label": "lower(label)",
    "outlets": "len(outlets)",
    "documents": "len(documents)",
    "origins": "coalesce(independent_origins, 0)",
    "amplification": "amplification",
    "first": "first_appearance",
    "id": "id",
}


# -- response models (they document the API in /openapi.json) --------------------------------
class Page(BaseModel):
    total: int = Field(description="rows matching the filters")
    offset: int
    limit: int
    next_offset: int | None = Field(None, description="offset of the next page, null at the end")
    next_after: str | None = Field(
        None, description="keyset cursor: pass as `after` for the next page (id order only)"
    )
    items: list[dict[str, Any]]


class ClaimDetail(BaseModel):
    cluster: dict[str, Any] = Field(description="the claim cluster, origins included")
    claims: list[dict[str, Any]]
    documents: list[dict[str, Any]] = Field(description="articles with their full text")
    attributions: list[dict[str, Any]] = Field(description="attributions in those articles")
    entities: list[dict[str, Any]] = Field(description="origins' entities and controllers")
    language: list[dict[str, Any]] = Field(description="persuasion-technique spans")
    truncated: bool = Field(description=f"true when more than {DETAIL_CAP} articles/claims")


class Summary(BaseModel):
    documents: int
    outlets: int
    clusters: int
    multi_outlet: int
    single_origin: int = Field(description="clusters with >= 2 outlets and <= 1 independent origin")
    worst: list[dict[str, Any]]


class Items(BaseModel):
    items: list[dict[str, Any]]


# -- helpers -----------------------------------------------------------------------------------
def _db_file(path: Path | str) -> Path:
    path = Path(path)
    return path / DB_NAME if path.is_dir() or path.suffix != ".duckdb" else path


def _like(q: str) -> str:
    """An ILIKE pattern matching ``q`` literally (``%`` and ``_`` in the query are escaped)."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values)) or "NULL"


def _attribution(a: dict[str, Any]) -> dict[str, Any]:
    """A stored attribution row in the ``analysis.json`` shape the app reads."""
    return {
        "id": a["id"], "doc": a["doc"],
        "source": {
            "text": a["source_text"] or "", "start": a["source_start"], "end": a["source_end"],
            "kind": a["source_kind"], "resolved": a["source_resolved"],
            "entity": a["source_entity"],
        },
        "cue": {"text": a["cue_text"] or "", "start": a["cue_start"], "end": a["cue_end"]},
        "content": {
            "text": a["content_text"] or "", "start": a["content_start"], "end": a["content_end"],
        },
        "hedged": bool(a["hedged"]), "parent": a["parent"],
    }


def _cluster(k: dict[str, Any]) -> dict[str, Any]:
    try:
        origins = json.loads(k.get("origins") or "[]")
    except json.JSONDecodeError:
        origins = []
    return {
        "id": k["id"], "label": k["label"] or "", "claims": list(k["claims"] or []),
        "documents": list(k["documents"] or []), "outlets": list(k["outlets"] or []),
        "origins": origins if isinstance(origins, list) else [],
        "independent_origins": k["independent_origins"] or 0,
        "amplification": k["amplification"], "first_appearance": k["first_appearance"],
        "flags": list(k["flags"] or []),
    }


def _page(
    items: list[dict[str, Any]], total: int, offset: int, limit: int, keyset: bool = False
) -> dict[str, Any]:
    more = offset + len(items) < total if not keyset else len(items) == limit
    return {
        "total": total, "offset": offset, "limit": limit,
        "next_offset": offset + len(items) if more and not keyset else None,
        "next_after": items[-1]["id"] if more and keyset and items else None,
        "items": items,
    }


@lru_cache(maxsize=1)
def _static_roots() -> dict[str, Path]:
    base = Path(str(resources.files("sourcetrace.outputs.report")))
    return {"vendor": (base / "vendor").resolve(), "": (base / "static").resolve()}


def static_file(path: str) -> Path | None:
    """The package file for ``/static/<path>``, or None for anything outside the two folders."""
    roots = _static_roots()
    head, _, rest = path.partition("/")
    root, rel = (roots["vendor"], rest) if head == "vendor" else (roots[""], path)
    if not rel or "\\" in rel or "\x00" in rel:
        return None
    target = (root / rel).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    if target.suffix not in STATIC_TYPES:
        return None
    return target


# -- the app -----------------------------------------------------------------------------------
def create_app(db_path: Path, allowed_hosts: Sequence[str] | None = None) -> FastAPI:
    """The web app over ``db_path`` (a ``sourcetrace.duckdb`` file or the folder holding it),
    opened read-only. ``allowed_hosts`` defaults to loopback names."""
    path = _db_file(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no sourcetrace store here")
    con = duckdb.connect(str(path), read_only=True)
    lock = threading.Lock()

    app = FastAPI(
        title="sourcetrace",
        summary="Who says what, on what basis, and how many independent sources stand behind it.",
        version="1",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; this app works offline
        redoc_url=None,
    )
    app.state.con = con
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts or LOOPBACK_HOSTS))

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @contextmanager
    def cursor() -> Iterator[duckdb.DuckDBPyConnection]:
        # One cursor per request: a DuckDB connection must not be shared between the threads
        # FastAPI runs sync endpoints on; cursors of one read-only connection can be.
        with lock:
            cur = con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def query(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with cursor() as cur:
            cur.execute(sql, list(params))
            return _rows(cur)

    def scalar(sql: str, params: Sequence[Any] = ()) -> Any:
        with cursor() as cur:
            row = cur.execute(sql, list(params)).fetchone()
            return row[0] if row else None

    def summary() -> dict[str, Any]:
        head = query(
            "SELECT (SELECT count(*) FROM documents) AS documents, "
            "(SELECT count(DISTINCT outlet) FROM documents) AS outlets, "
            "(SELECT count(*) FROM claim_clusters) AS clusters, "
            "(SELECT count(*) FROM claim_clusters WHERE len(outlets) >= 2) AS multi_outlet, "
            "(SELECT count(*) FROM claim_clusters WHERE len(outlets) >= 2 "
            " AND coalesce(independent_origins, 0) <= 1) AS single_origin"
        )[0]
        worst = query(
            "SELECT * FROM claim_clusters WHERE len(outlets) >= 2 "
            "AND coalesce(independent_origins, 0) <= 1 "
            "ORDER BY len(outlets) DESC, amplification DESC NULLS LAST, id LIMIT ?",
            [WORST_EXAMPLES],
        )
        head["worst"] = []
        for row in worst:
            k = _cluster(row)
            names: list[str] = []
            for o in k["origins"]:
                name = (o.get("name") or o.get("id") or "?") if isinstance(o, dict) else str(o)
                if name not in names:
                    names.append(name)
            head["worst"].append({
                "id": k["id"], "label": k["label"], "outlets": len(k["outlets"]),
                "independent_origins": k["independent_origins"], "origins": names,
                "flags": k["flags"],
            })
        return head

    # -- pages and static files ------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(render_page(summary(), None, title="sourcetrace"))

    @app.get("/static/{path:path}", include_in_schema=False)
    def static(path: str) -> FileResponse:
        target = static_file(path)
        if target is None:
            raise HTTPException(404)
        return FileResponse(target, media_type=STATIC_TYPES[target.suffix])

    # -- API -------------------------------------------------------------------------------
    @app.get("/api/summary", response_model=Summary, tags=["claims"])
    def api_summary() -> dict[str, Any]:
        """The figures of the headline: articles, outlets, clusters, single-origin claims."""
        return summary()

    @app.get("/api/facets", tags=["claims"])
    def api_facets() -> dict[str, list[str]]:
        """Values for the claim filters: outlets and flags that occur in claim clusters."""
        outlets = query(
            "SELECT DISTINCT o FROM (SELECT unnest(outlets) AS o FROM claim_clusters) "
            "WHERE o IS NOT NULL ORDER BY o LIMIT 2000"
        )
        flags = query(
            "SELECT DISTINCT f FROM (SELECT unnest(flags) AS f FROM claim_clusters) "
            "WHERE f IS NOT NULL ORDER BY f"
        )
        return {"outlets": [r["o"] for r in outlets], "flags": [r["f"] for r in flags]}

    @app.get("/api/claims", response_model=Page, tags=["claims"])
    def api_claims(
        q: Annotated[str, Query(max_length=500, description="text in the label or a claim")] = "",
        outlet: Annotated[str, Query(description="only clusters relayed by this outlet")] = "",
        max_origins: Annotated[
            int | None, Query(ge=0, description="at most this many independent origins")
        ] = None,
        min_outlets: Annotated[int | None, Query(ge=0, description="at least this many")] = None,
        flag: Annotated[str, Query(description="only clusters with this flag")] = "",
        date_from: Annotated[str, Query(description="first appearance on/after (ISO)")] = "",
        date_to: Annotated[str, Query(description="first appearance on/before (ISO)")] = "",
        sort: Annotated[
            Literal["label", "outlets", "documents", "origins", "amplification", "first", "id"],
            Query(),
        ] = "amplification",
        order: Annotated[Literal["asc", "desc"], Query()] = "desc",
        after: Annotated[
            str | None, Query(description="keyset cursor (id order): ids after this one")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Claim clusters: search, filter, sort and page."""
        where, params = ["TRUE"], []
        if q:
            where.append(
                "(label ILIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM claims c "
                "WHERE c.cluster = k.id AND c.text ILIKE ? ESCAPE '\\'))"
            )
            params += [_like(q), _like(q)]
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
        total = scalar(f"SELECT count(*) FROM claim_clusters k WHERE {cond}", params)
        cols = (
            "id, coalesce(label, '') AS label, coalesce(outlets, []) AS outlets, "
            "len(outlets) AS n_outlets, len(documents) AS n_documents, "
            "coalesce(independent_origins, 0) AS independent_origins, amplification, "
            "first_appearance, coalesce(flags, []) AS flags"
        )
        if after is not None:
            # Keyset: WHERE id > cursor ORDER BY id, constant cost however deep the page.
            items = query(
                f"SELECT {cols} FROM claim_clusters k WHERE {cond} AND id > ? "
                "ORDER BY id LIMIT ?",
                [*params, after, limit],
            )
            return _page(items, total, 0, limit, keyset=True)
        key = CLAIM_SORTS[sort]
        items = query(
            f"SELECT {cols} FROM claim_clusters k WHERE {cond} "
            f"ORDER BY {key} {order.upper()} NULLS LAST, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return _page(items, total, offset, limit)

    def entity_closure(ids: set[str]) -> list[dict[str, Any]]:
        """The entities with these ids and everything that controls them, up to the roots."""
        found: dict[str, dict[str, Any]] = {}
        todo = {i for i in ids if i}
        while todo:
            rows = query(
                "SELECT id, name, type, country, controlled_by, aliases FROM entities "
                f"WHERE id IN ({_marks(list(todo))})",
                list(todo),
            )
            for r in rows:
                r["aliases"] = list(r["aliases"] or [])
                found[r["id"]] = r
            todo = {r["controlled_by"] for r in rows if r["controlled_by"]} - set(found)
        return list(found.values())

    @app.get("/api/claims/{claim_id}", response_model=ClaimDetail, tags=["claims"])
    def api_claim(claim_id: str) -> dict[str, Any]:
        """One claim cluster (or the cluster of one claim id) with everything its card shows."""
        rows = query("SELECT * FROM claim_clusters WHERE id = ?", [claim_id])
        if not rows:
            rows = query(
                "SELECT k.* FROM claim_clusters k JOIN claims c ON c.cluster = k.id "
                "WHERE c.id = ? LIMIT 1",
                [claim_id],
            )
        if not rows:
            raise HTTPException(404, "no such claim")
        k = _cluster(rows[0])
        claims = query(
            "SELECT id, doc, text, start, \"end\", attribution, hedged, unattributed, cluster "
            "FROM claims WHERE cluster = ? ORDER BY doc, start LIMIT ?",
            [k["id"], DETAIL_CAP],
        )
        doc_ids = list(dict.fromkeys([*k["documents"][:DETAIL_CAP], *(c["doc"] for c in claims)]))
        docs = query(
            "SELECT id, title, outlet, url, published, language, n_words, text, duplicate_of "
            f"FROM documents WHERE id IN ({_marks(doc_ids)}) ORDER BY published, id",
            doc_ids,
        )
        attrs = query(
            f"SELECT * FROM attributions WHERE doc IN ({_marks(doc_ids)}) "
            "ORDER BY doc, content_start, id",
            doc_ids,
        )
        language = query(
            "SELECT doc, start, \"end\", technique, text, score FROM language "
            f"WHERE doc IN ({_marks(doc_ids)}) ORDER BY doc, start",
            doc_ids,
        )
        wanted: set[str] = {a["source_entity"] for a in attrs if a["source_entity"]}
        for o in k["origins"]:
            if isinstance(o, dict):
                wanted |= {o.get("entity"), o.get("root"), *(o.get("controllers") or [])} - {None}
        for c in claims:
            c["hedged"], c["unattributed"] = bool(c["hedged"]), bool(c["unattributed"])
        return {
            "cluster": k, "claims": claims, "documents": docs,
            "attributions": [_attribution(a) for a in attrs],
            "entities": entity_closure({str(w) for w in wanted}), "language": language,
            "truncated": len(k["documents"]) > DETAIL_CAP or len(claims) >= DETAIL_CAP,
        }

    @app.get("/api/documents", response_model=Page, tags=["documents"])
    def api_documents(
        q: Annotated[str, Query(max_length=500, description="text in the title or body")] = "",
        outlet: Annotated[str, Query()] = "",
        after: Annotated[str | None, Query(description="keyset cursor: ids after this")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Articles in id order (no text; fetch one for its text)."""
        where, params = ["TRUE"], []
        if q:
            where.append("(title ILIKE ? ESCAPE '\\' OR text ILIKE ? ESCAPE '\\')")
            params += [_like(q), _like(q)]
        if outlet:
            where.append("outlet = ?")
            params.append(outlet)
        cond = " AND ".join(where)
        total = scalar(f"SELECT count(*) FROM documents WHERE {cond}", params)
        cols = "id, title, outlet, url, published, language, n_words, duplicate_of"
        if after is not None:
            items = query(
                f"SELECT {cols} FROM documents WHERE {cond} AND id > ? ORDER BY id LIMIT ?",
                [*params, after, limit],
            )
            return _page(items, total, 0, limit, keyset=True)
        items = query(
            f"SELECT {cols} FROM documents WHERE {cond} ORDER BY id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return _page(items, total, offset, limit)

    @app.get("/api/documents/{doc_id}", tags=["documents"])
    def api_document(doc_id: str) -> dict[str, Any]:
        """One article with its text and what was found in it."""
        rows = query(
            "SELECT id, title, outlet, url, published, language, n_words, text, duplicate_of "
            "FROM documents WHERE id = ?",
            [doc_id],
        )
        if not rows:
            raise HTTPException(404, "no such document")
        doc = rows[0]
        doc["attributions"] = [
            _attribution(a)
            for a in query(
                "SELECT * FROM attributions WHERE doc = ? ORDER BY content_start, id", [doc_id]
            )
        ]
        doc["claims"] = query(
            "SELECT id, text, start, \"end\", attribution, hedged, cluster FROM claims "
            "WHERE doc = ? ORDER BY start",
            [doc_id],
        )
        doc["places"] = query(
            "SELECT start, \"end\", text, place, name, lat, lon FROM place_mentions "
            "WHERE doc = ? ORDER BY start",
            [doc_id],
        )
        # "techniques", not "language": that key is the article's language code.
        doc["techniques"] = query(
            "SELECT start, \"end\", technique, text, score FROM language WHERE doc = ? "
            "ORDER BY start",
            [doc_id],
        )
        return doc

    @app.get("/api/entities", response_model=Page, tags=["entities"])
    def api_entities(
        q: Annotated[str, Query(max_length=200, description="text in the name or an alias")] = "",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Entities with aliases, controllers (up to the root) and mention counts."""
        cond, params = "TRUE", []
        if q:
            cond = (
                "(e.name ILIKE ? ESCAPE '\\' "
                "OR array_to_string(e.aliases, chr(10)) ILIKE ? ESCAPE '\\')"
            )
            params = [_like(q), _like(q)]
        total = scalar(f"SELECT count(*) FROM entities e WHERE {cond}", params)
        items = query(
            "SELECT e.id, e.name, e.type, e.country, e.controlled_by, "
            "coalesce(e.aliases, []) AS aliases, coalesce(m.n, 0) AS mentions "
            "FROM entities e LEFT JOIN (SELECT entity, count(*) AS n FROM mentions "
            "WHERE entity IS NOT NULL GROUP BY entity) m ON m.entity = e.id "
            f"WHERE {cond} ORDER BY mentions DESC, e.name, e.id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        known = {e["id"]: e for e in entity_closure({i["id"] for i in items})}
        for item in items:
            chain, seen, cur = [], {item["id"]}, item["controlled_by"]
            while cur and cur not in seen:
                seen.add(cur)
                ctrl = known.get(cur)
                chain.append({"id": cur, "name": ctrl["name"] if ctrl else cur})
                cur = ctrl["controlled_by"] if ctrl else None
            item["controllers"] = chain
        return _page(items, total, offset, limit)

    @app.get("/api/reuse", response_model=Page, tags=["reuse"])
    def api_reuse(
        doc: Annotated[str, Query(description="only pairs involving this article")] = "",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Pairs of articles sharing passages, most shared words first."""
        cond, params = ("(a = ? OR b = ?)", [doc, doc]) if doc else ("TRUE", [])
        total = scalar(f"SELECT count(*) FROM (SELECT DISTINCT a, b FROM reuse WHERE {cond})",
                       params)
        pairs = query(
            "SELECT a, b, any_value(earlier) AS earlier, bool_or(same_outlet) AS same_outlet, "
            "any_value(cluster) AS cluster, sum(words) AS words, "
            "list({'a': [a_start, a_end], 'b': [b_start, b_end], 'words': words, "
            "'similarity': similarity} ORDER BY a_start) AS passages "
            f"FROM reuse WHERE {cond} GROUP BY a, b ORDER BY words DESC, a, b LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        ids = list({d for p in pairs for d in (p["a"], p["b"])})
        meta = {
            m["id"]: m
            for m in query(
                f"SELECT id, title, outlet, published FROM documents WHERE id IN ({_marks(ids)})",
                ids,
            )
        }
        items = [
            {
                "docs": [p["a"], p["b"]], "earlier": p["earlier"],
                "same_outlet": bool(p["same_outlet"]), "cluster": p["cluster"],
                "passages": p["passages"],
                "meta": [meta.get(d, {"id": d, "title": None, "outlet": None, "published": None})
                         for d in (p["a"], p["b"])],
            }
            for p in pairs
        ]
        return _page(items, total, offset, limit)

    @app.get("/api/places", response_model=Items, tags=["places"])
    def api_places(
        limit: Annotated[int, Query(ge=1, le=5000)] = 2000,
    ) -> dict[str, Any]:
        """Geocoded places with mention counts and (up to 50 of) the articles mentioning them."""
        rows = query(
            "SELECT p.id, p.name, p.lat, p.lon, p.country, count(m.doc) AS count, "
            "list(DISTINCT m.doc ORDER BY m.doc) FILTER (WHERE m.doc IS NOT NULL) AS docs "
            "FROM places p LEFT JOIN place_mentions m ON m.place = p.id "
            "GROUP BY p.id, p.name, p.lat, p.lon, p.country "
            "ORDER BY count DESC, p.id LIMIT ?",
            [limit],
        )
        ids = list({d for r in rows for d in (r["docs"] or [])[:50]})
        meta = {
            m["id"]: m
            for m in query(
                f"SELECT id, title, outlet FROM documents WHERE id IN ({_marks(ids)})", ids
            )
        }
        for r in rows:
            r["documents"] = [meta.get(d, {"id": d}) for d in (r.pop("docs") or [])[:50]]
        return {"items": rows}

    @app.get("/api/timeline", response_model=Items, tags=["claims"])
    def api_timeline(limit: Annotated[int, Query(ge=1, le=200)] = 30) -> dict[str, Any]:
        """First appearances of the most relayed claim clusters, with their articles' dates."""
        rows = query(
            "SELECT id, coalesce(label, '') AS label, first_appearance, "
            "len(outlets) AS n_outlets, documents FROM claim_clusters "
            "WHERE first_appearance IS NOT NULL "
            "ORDER BY len(outlets) DESC, first_appearance, id LIMIT ?",
            [limit],
        )
        ids = list({d for r in rows for d in (r["documents"] or [])[:DETAIL_CAP]})
        dates = {
            m["id"]: m["published"]
            for m in query(
                f"SELECT id, published FROM documents WHERE id IN ({_marks(ids)})", ids
            )
        }
        for r in rows:
            docs = r.pop("documents") or []
            r["dates"] = [dates[d] for d in docs[:DETAIL_CAP] if dates.get(d)]
        return {"items": rows}

    @app.get("/api/language", tags=["language"])
    def api_language(
        limit: Annotated[int, Query(ge=1, le=2000)] = 500,
    ) -> dict[str, Any]:
        """Persuasion-technique counts per outlet and the highest-scoring passages."""
        counts = query(
            "SELECT coalesce(d.outlet, '(unknown)') AS outlet, l.technique, count(*) AS n "
            "FROM language l LEFT JOIN documents d ON d.id = l.doc "
            "GROUP BY ALL ORDER BY outlet, l.technique"
        )
        spans = query(
            "SELECT l.doc, d.outlet, d.title, l.technique, l.text, l.score "
            "FROM language l LEFT JOIN documents d ON d.id = l.doc "
            "ORDER BY l.score DESC NULLS LAST, l.doc, l.start LIMIT ?",
            [limit],
        )
        return {"counts": counts, "spans": spans}

    return app


def serve(directory: Path | str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the app with uvicorn. Loopback only by default; binding elsewhere is the caller's
    explicit choice, and then any Host header is accepted."""
    import uvicorn

    loopback = host in {"127.0.0.1", "localhost", "::1"}
    app = create_app(Path(directory), allowed_hosts=None if loopback else ["*"])
    uvicorn.run(app, host=host, port=port, log_level="info")


__all__ = ["create_app", "serve", "static_file"]
