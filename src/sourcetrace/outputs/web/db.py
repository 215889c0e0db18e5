"""The store as the routes see it: one cursor of the app's read-only connection per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import duckdb
from fastapi import Depends, Request


def cursor(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    # A DuckDB connection must not be shared between the threads FastAPI runs sync endpoints
    # on; cursors of one read-only connection can be. Creating one is guarded by the app's lock.
    state = request.app.state
    with state.lock:
        cur = state.con.cursor()
    try:
        yield cur
    finally:
        cur.close()


# Module level: with postponed annotations FastAPI resolves these names in the module globals.
Cursor = Annotated[duckdb.DuckDBPyConnection, Depends(cursor)]
