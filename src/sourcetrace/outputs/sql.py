"""Plain reads over a DuckDB connection, shared by the web app's queries and the report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

Connection = duckdb.DuckDBPyConnection


def rows(con: Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def scalar(con: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    row = con.execute(sql, list(params)).fetchone()
    return row[0] if row else None


def has_table(con: Connection, name: str) -> bool:
    """Whether the store has this table (a store written before narratives has none)."""
    return bool(scalar(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ))


__all__ = ["Connection", "has_table", "rows", "scalar"]
