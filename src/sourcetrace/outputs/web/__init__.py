"""``sourcetrace serve DIR``: a local, read-only web app over the DuckDB store.

The page is the report's JavaScript app fed by the JSON API instead of embedded data, so both
show the same views. ``pages.py`` serves the page and its static files, ``api.py`` the JSON
API, over the plain SQL reads of ``queries.py``.

Safety: the store is opened read-only; ids are only ever bound as SQL parameters; static files
come from a fixed package folder and anything that does not resolve inside it is a 404; every
route is GET-only; the server binds to 127.0.0.1 and, while it does, answers only requests
addressed to a loopback host name (DNS rebinding). The Swagger/ReDoc pages are off because they
load scripts from a CDN; the schema itself is at ``/openapi.json``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.middleware.trustedhost import TrustedHostMiddleware

from sourcetrace.outputs.store import DB_NAME
from sourcetrace.outputs.web import api, pages
from sourcetrace.outputs.web.pages import static_file

LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]
CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def _db_file(path: Path | str) -> Path:
    path = Path(path)
    return path / DB_NAME if path.is_dir() or path.suffix != ".duckdb" else path


async def _security_headers(request: Request, call_next: Any) -> Response:
    response = await call_next(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def create_app(db_path: Path, allowed_hosts: Sequence[str] | None = None) -> FastAPI:
    """The web app over ``db_path`` (a ``sourcetrace.duckdb`` file or the folder holding it),
    opened read-only. ``allowed_hosts`` defaults to loopback names."""
    path = _db_file(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no sourcetrace store here")
    app = FastAPI(
        title="sourcetrace",
        summary="Who says what, on what basis, and how many independent sources stand behind it.",
        version="1",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; this app works offline
        redoc_url=None,
    )
    # Read by the routes' cursor dependency (web/db.py).
    app.state.con = duckdb.connect(str(path), read_only=True)
    app.state.lock = threading.Lock()
    # Added before the headers middleware, so that it runs inside it: the 400 for a foreign
    # Host header carries the security headers too.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts or LOOPBACK_HOSTS))
    app.middleware("http")(_security_headers)
    app.include_router(pages.router)
    app.include_router(api.router)
    return app


def serve(directory: Path | str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the app with uvicorn. Loopback only by default; binding elsewhere is the caller's
    explicit choice, and then any Host header is accepted."""
    import uvicorn

    loopback = host in {"127.0.0.1", "localhost", "::1"}
    app = create_app(Path(directory), allowed_hosts=None if loopback else ["*"])
    uvicorn.run(app, host=host, port=port, log_level="info")


__all__ = ["create_app", "serve", "static_file"]
