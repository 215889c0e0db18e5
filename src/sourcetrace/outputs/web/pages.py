"""The web app's HTML page and its static files (scripts, styles, the map's atlas)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse, Response

from sourcetrace.outputs import headline
from sourcetrace.outputs.report import FAVICON_SVG, environment, render_page
from sourcetrace.outputs.web import queries
from sourcetrace.outputs.web.db import Cursor

STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".json": "application/json"}

router = APIRouter()


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


MAX_OFFSET = 2**31 - 1  # a bigger offset is a 422, not a DuckDB overflow
ERRORS_ON_MAIN_PAGE = 100  # the rest are on /inputs
INPUTS_PER_PAGE = 500


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(con: Cursor) -> HTMLResponse:
    errors = queries.errors_page(con, limit=ERRORS_ON_MAIN_PAGE)
    return HTMLResponse(render_page(headline.summary(con), None, title="sourcetrace",
                                    errors=errors))


@router.get("/favicon.ico", include_in_schema=False)
@router.get("/favicon.svg", include_in_schema=False)
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page says; answer with the page's icon."""
    return Response(FAVICON_SVG, media_type="image/svg+xml",
                    headers={"Cache-Control": "max-age=86400"})


@router.get("/inputs", response_class=HTMLResponse, include_in_schema=False)
def inputs(
    con: Cursor, offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0
) -> HTMLResponse:
    """The inputs a run skipped or could not read, with why, a page at a time."""
    listing = queries.errors_page(con, limit=INPUTS_PER_PAGE, offset=offset)
    return HTMLResponse(environment().get_template("inputs_page.html.j2").render(
        title="sourcetrace: inputs not analysed", static_base="/static", listing=listing,
    ))


NARRATIVES_PER_PAGE = 100


def _narratives_html(**values: Any) -> str:
    return environment().get_template("narratives_page.html.j2").render(
        static_base="/static", **values
    )


@router.get("/narratives", response_class=HTMLResponse, include_in_schema=False)
def narratives(
    con: Cursor, offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0
) -> HTMLResponse:
    """Every narrative with its roll-up, a page at a time; each links to its own page."""
    listing = queries.narratives_page(con, limit=NARRATIVES_PER_PAGE, offset=offset)
    return HTMLResponse(_narratives_html(title="sourcetrace: narratives", listing=listing))


@router.get("/narratives/{narrative_id}", response_class=HTMLResponse, include_in_schema=False)
def narrative(narrative_id: str, con: Cursor) -> HTMLResponse:
    """One narrative: its roll-up and propositions (linking to their claim cards), each with
    its appearances and origins. An unknown id is a 404 page, not an error."""
    detail = queries.narrative_detail(con, narrative_id)
    if detail is None:
        return HTMLResponse(
            _narratives_html(title="sourcetrace: no such narrative", missing=narrative_id),
            status_code=404,
        )
    return HTMLResponse(_narratives_html(
        title=f"sourcetrace: {detail['narrative']['id']}",
        narrative={**detail["narrative"], "clusters": detail["clusters"]},
        truncated=detail["truncated"],
    ))


@router.get("/static/{path:path}", include_in_schema=False)
def static(path: str) -> FileResponse:
    target = static_file(path)
    if target is None:
        raise HTTPException(404)
    return FileResponse(target, media_type=STATIC_TYPES[target.suffix])
