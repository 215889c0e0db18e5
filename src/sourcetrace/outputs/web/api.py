"""The JSON API under ``/api``: parameter validation and response models (they document the
API in ``/openapi.json``) over the reads of ``queries.py``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from sourcetrace.outputs import headline
from sourcetrace.outputs.web import queries
from sourcetrace.outputs.web.db import Cursor
from sourcetrace.outputs.web.queries import DETAIL_CAP, NarrativeSort, Sort

MAX_LIMIT = 500
# Every integer parameter has an upper bound: an unbounded one reached DuckDB as a number it
# cannot hold (``offset=99999999999999999999`` answered 500 instead of 422).
MAX_OFFSET = 2**31 - 1
MAX_COUNT = 1_000_000  # origins/outlets thresholds: far above any real cluster

# Module level: with postponed annotations FastAPI resolves these names in the module globals.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description="rows to skip (offset pagination)")
]

router = APIRouter(prefix="/api")


def iso_date(name: str, value: str) -> str:
    """``value`` as ``YYYY-MM-DD`` (a longer ISO timestamp keeps its date), or a 422 naming
    the parameter: a date that is no date used to match nothing, silently."""
    if not value:
        return ""
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise RequestValidationError([{
            "type": "value_error", "loc": ("query", name), "input": value,
            "msg": f"{name}: {value[:40]!r} is not a date; give it as YYYY-MM-DD",
        }]) from None


# -- response models ---------------------------------------------------------------------------
class Page(BaseModel):
    total: int = Field(description="rows matching the filters")
    offset: int
    limit: int
    next_offset: int | None = Field(None, description="offset of the next page, null at the end")
    next_after: str | None = Field(
        None, description="keyset cursor: pass as `after` (with the same sort and order) "
        "for the next page"
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
    narrative: dict[str, Any] | None = Field(
        None, description="the narrative this claim cluster belongs to: {id, label}, or null"
    )


class NarrativeDetail(BaseModel):
    narrative: dict[str, Any] = Field(
        description="the narrative: its claim clusters, claims, documents, outlets, origins, "
        "independent origins, amplification, first appearance and flags, rolled up over all "
        "of its claims"
    )
    clusters: list[dict[str, Any]] = Field(
        description="its propositions (claim clusters, in the narrative's order), each with "
        "its own origins and independent origins, `appearances` (claim, doc, outlet, title, "
        f"published, start, end, text; earliest first, at most {DETAIL_CAP}) and `more` (how "
        "many appearances were left out)"
    )
    truncated: bool = Field(description=f"true when more than {DETAIL_CAP} clusters/appearances")


class Summary(BaseModel):
    documents: int = Field(description="articles: every appearance of a text counts")
    outlets: int = Field(description="distinct known outlets")
    unknown_outlet: int = Field(0, description="articles whose outlet is unknown")
    inferred_outlet: int = Field(
        0, description="articles whose outlet was inferred (URL host, site name, wire credit)"
    )
    clusters: int
    multi_outlet: int
    single_origin: int = Field(description="clusters with >= 2 outlets and <= 1 independent origin")
    worst: list[dict[str, Any]]
    narratives: int = Field(
        0, description="narratives (shown beside the headline, which counts independence per "
        "claim cluster)"
    )
    failed: int = Field(0, description="inputs skipped or failed (listed by /api/errors)")


class Items(BaseModel):
    items: list[dict[str, Any]]


# -- claims ------------------------------------------------------------------------------------
@router.get("/summary", response_model=Summary, tags=["claims"])
def api_summary(con: Cursor) -> dict[str, Any]:
    """The figures of the headline: articles, outlets, clusters, single-origin claims."""
    return headline.summary(con)


@router.get("/facets", tags=["claims"])
def api_facets(con: Cursor) -> dict[str, list[str]]:
    """Values for the claim filters: outlets and flags that occur in claim clusters."""
    return queries.facets(con)


@router.get("/claims", response_model=Page, tags=["claims"])
def api_claims(
    con: Cursor,
    q: Annotated[str, Query(max_length=500, description="text in the label or a claim")] = "",
    outlet: Annotated[str, Query(description="only clusters relayed by this outlet")] = "",
    max_origins: Annotated[
        int | None,
        Query(ge=0, le=MAX_COUNT, description="at most this many independent origins"),
    ] = None,
    min_outlets: Annotated[
        int | None, Query(ge=0, le=MAX_COUNT, description="at least this many")
    ] = None,
    flag: Annotated[str, Query(description="only clusters with this flag")] = "",
    date_from: Annotated[str, Query(description="first appearance on/after (ISO)")] = "",
    date_to: Annotated[str, Query(description="first appearance on/before (ISO)")] = "",
    sort: Annotated[
        Sort | None, Query(description="default: amplification (id with `after` and no sort)")
    ] = None,
    order: Annotated[Literal["asc", "desc"] | None, Query()] = None,
    after: Annotated[
        str | None,
        Query(max_length=500, description="keyset cursor: the clusters after this cluster id "
              "in the sort order (`after=` starts; `next_after` continues)"),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Claim clusters: search, filter, sort and page (by offset, or by keyset with `after`)."""
    if after is not None and sort is None:
        sort = "id"  # keyset pages without a sort: id order, as before sorts were honoured
    sort = sort or "amplification"
    order = order or ("asc" if after is not None and sort == "id" else "desc")
    try:
        return queries.claims_page(
            con, q=q, outlet=outlet, max_origins=max_origins, min_outlets=min_outlets,
            flag=flag, date_from=iso_date("date_from", date_from),
            date_to=iso_date("date_to", date_to), sort=sort, order=order, after=after,
            limit=limit, offset=offset,
        )
    except queries.UnknownCursor as e:
        raise RequestValidationError([{
            "type": "value_error", "loc": ("query", "after"), "input": after,
            "msg": f"after: {e}",
        }]) from None


@router.get("/claims/{claim_id}", response_model=ClaimDetail, tags=["claims"])
def api_claim(claim_id: str, con: Cursor) -> dict[str, Any]:
    """One claim cluster (or the cluster of one claim id) with everything its card shows."""
    detail = queries.claim_detail(con, claim_id)
    if detail is None:
        raise HTTPException(404, "no such claim")
    return detail


# -- narratives --------------------------------------------------------------------------------
@router.get("/narratives", response_model=Page, tags=["narratives"])
def api_narratives(
    con: Cursor,
    q: Annotated[str, Query(max_length=500, description="text in the label or a claim")] = "",
    outlet: Annotated[str, Query(description="only narratives relayed by this outlet")] = "",
    flag: Annotated[str, Query(description="only narratives with this flag")] = "",
    sort: Annotated[NarrativeSort, Query()] = "number",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Narratives (claim clusters of related articles telling one story) with their roll-up:
    claim cluster ids and counts, outlets, independent origins, amplification, first
    appearance, flags. Independence is judged per claim cluster: fetch a narrative for its
    propositions' own figures."""
    return queries.narratives_page(con, q=q, outlet=outlet, flag=flag, sort=sort, order=order,
                                   limit=limit, offset=offset)


@router.get("/narratives/{narrative_id}", response_model=NarrativeDetail, tags=["narratives"])
def api_narrative(narrative_id: str, con: Cursor) -> dict[str, Any]:
    """One narrative (`nr:<n>`) with its propositions, their appearances and origins."""
    detail = queries.narrative_detail(con, narrative_id)
    if detail is None:
        raise HTTPException(404, "no such narrative")
    return detail


# -- documents ---------------------------------------------------------------------------------
@router.get("/documents", response_model=Page, tags=["documents"])
def api_documents(
    con: Cursor,
    q: Annotated[str, Query(max_length=500, description="text in the title or body")] = "",
    outlet: Annotated[str, Query()] = "",
    after: Annotated[
        str | None, Query(max_length=500, description="keyset cursor: ids after this")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Articles in id order (no text; fetch one for its text)."""
    return queries.documents_page(con, q=q, outlet=outlet, after=after, limit=limit,
                                  offset=offset)


@router.get("/documents/{doc_id}", tags=["documents"])
def api_document(doc_id: str, con: Cursor) -> dict[str, Any]:
    """One article with its text and what was found in it."""
    doc = queries.document(con, doc_id)
    if doc is None:
        raise HTTPException(404, "no such document")
    return doc


# -- inputs not analysed ----------------------------------------------------------------------
@router.get("/errors", response_model=Page, tags=["documents"])
def api_errors(con: Cursor, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    """Inputs that were skipped or failed, with why: path, line (JSON Lines), document id
    and problem."""
    return queries.errors_page(con, limit=limit, offset=offset)


# -- entities, reuse, places, timeline, language -----------------------------------------------
@router.get("/entities", response_model=Page, tags=["entities"])
def api_entities(
    con: Cursor,
    q: Annotated[str, Query(max_length=200, description="text in the name or an alias")] = "",
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Entities with aliases, controllers (up to the root) and mention counts."""
    return queries.entities_page(con, q=q, limit=limit, offset=offset)


@router.get("/reuse", response_model=Page, tags=["reuse"])
def api_reuse(
    con: Cursor,
    doc: Annotated[str, Query(description="only pairs involving this article")] = "",
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Pairs of articles sharing passages, most shared words first."""
    return queries.reuse_page(con, doc=doc, limit=limit, offset=offset)


@router.get("/places", response_model=Items, tags=["places"])
def api_places(
    con: Cursor,
    limit: Annotated[int, Query(ge=1, le=5000)] = 2000,
) -> dict[str, Any]:
    """Geocoded places with mention counts and (up to 50 of) the articles mentioning them."""
    return queries.places(con, limit)


@router.get("/timeline", response_model=Items, tags=["claims"])
def api_timeline(con: Cursor, limit: Annotated[int, Query(ge=1, le=200)] = 30) -> dict[str, Any]:
    """First appearances of the most relayed claim clusters, with their articles' dates."""
    return queries.timeline(con, limit)


@router.get("/language", tags=["language"])
def api_language(
    con: Cursor,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> dict[str, Any]:
    """Persuasion-technique counts per outlet and the highest-scoring passages."""
    return queries.language(con, limit)
