"""The embedded DuckDB analysis store: ``DIR/sourcetrace.duckdb``.

Per-document rows are written one batch of documents at a time inside a transaction, and a
document is marked done in the same transaction, so an interrupted run resumes where it
stopped with nothing lost or doubled. Corpus tables are replaced whole by their steps.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from sourcetrace.config import duckdb_memory_limit
from sourcetrace.model import Document, IngestError
from sourcetrace.tables import ALL_TABLES, CACHES, DOCUMENTS, ERRORS, PER_DOCUMENT, RUNS

DB_NAME = "sourcetrace.duckdb"



def _ddl(name: str, columns: dict[str, str]) -> str:
    cols = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    return f'CREATE TABLE IF NOT EXISTS "{name}" ({cols})'


class AnalysisStore:
    """A thin layer over one DuckDB file; ``con`` is there for SQL of your own."""

    def __init__(self, path: Path | str, read_only: bool = False) -> None:
        self.path = Path(path)
        if self.path.is_dir() or self.path.suffix != ".duckdb":
            self.path = self.path / DB_NAME
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # A bounded buffer pool (config.duckdb_memory_limit): DuckDB spills what it can above it.
        config = {} if read_only else {"memory_limit": duckdb_memory_limit()}
        self.con = duckdb.connect(str(self.path), read_only=read_only, config=config)
        if not read_only:
            self._create()

    def _create(self) -> None:
        self.con.execute(_ddl("documents", DOCUMENTS))
        self.con.execute(_ddl("errors", ERRORS))
        self.con.execute(_ddl("runs", RUNS))
        tables = {"documents": DOCUMENTS, "errors": ERRORS, **ALL_TABLES, **CACHES}
        for name, columns in tables.items():
            self.con.execute(_ddl(name, columns))
            # A store written by an older sourcetrace gains the columns added since.
            for column, sql_type in columns.items():
                self.con.execute(  # (constraints only ever on columns there from the start)
                    f'ALTER TABLE "{name}" ADD COLUMN IF NOT EXISTS "{column}" '
                    f"{sql_type.split()[0]}"
                )

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> AnalysisStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- documents -----------------------------------------------------------------------
    def analysed(self, pipeline_version: str) -> dict[str, str]:
        """id -> content hash of documents already analysed with this pipeline version."""
        rows = self.con.execute(
            "SELECT id, content_hash FROM documents WHERE pipeline_version = ?", [pipeline_version]
        ).fetchall()
        return dict(rows)

    def hashes(self) -> dict[str, str]:
        """content hash -> id of the first stored (non-duplicate) document with that text."""
        rows = self.con.execute(
            "SELECT content_hash, min(id) FROM documents WHERE duplicate_of IS NULL GROUP BY 1"
        ).fetchall()
        return dict(rows)

    def save_documents(
        self,
        batch: Sequence[tuple[Document, dict[str, list[dict[str, Any]]]]],
        pipeline_version: str,
        duplicate_of: dict[str, str] | None = None,
    ) -> None:
        """Store analysed documents and their rows in one transaction (all or nothing)."""
        duplicate_of = duplicate_of or {}
        self.con.execute("BEGIN TRANSACTION")
        try:
            ids = [d.id for d, _ in batch]
            self._delete_docs(ids)
            self._insert(
                "documents",
                [
                    {
                        "id": d.id, "title": d.title, "outlet": d.outlet,
                        "outlet_inferred": d.outlet_inferred, "url": d.url,
                        "published": d.published, "language": d.language, "n_words": d.n_words,
                        "text": d.text, "source_path": d.source_path,
                        "content_hash": d.content_hash, "duplicate_of": duplicate_of.get(d.id),
                        "pipeline_version": pipeline_version,
                    }
                    for d, _ in batch
                ],
                DOCUMENTS,
            )
            merged: dict[str, list[dict[str, Any]]] = {}
            for _, rows in batch:
                for table, items in rows.items():
                    merged.setdefault(table, []).extend(items)
            for table, items in merged.items():
                self._insert(table, items, PER_DOCUMENT[table])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def _delete_docs(self, ids: list[str]) -> None:
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        self.con.execute(f"DELETE FROM documents WHERE id IN ({marks})", ids)
        for table in PER_DOCUMENT:
            self.con.execute(f'DELETE FROM "{table}" WHERE doc IN ({marks})', ids)

    def save_errors(self, errors: Iterable[IngestError]) -> None:
        rows = [
            {"path": e.path, "line": e.line, "doc_id": e.doc_id, "problem": e.problem,
             "kind": e.kind}
            for e in errors
        ]
        self.con.execute("DELETE FROM errors")
        self._insert("errors", rows, ERRORS)

    def record_run(self, pipeline: dict[str, Any]) -> None:
        """Note that a run finished, and the pipeline it analysed with."""
        self.con.execute(
            "INSERT INTO runs VALUES (current_timestamp, ?)", [json.dumps(pipeline)]
        )

    def pipeline(self) -> dict[str, Any] | None:
        """The pipeline of the last finished run; None for a store written before runs were
        recorded."""
        if not self.has_table("runs"):
            return None
        row = self.con.execute(
            "SELECT pipeline FROM runs ORDER BY finished DESC LIMIT 1"
        ).fetchone()
        return json.loads(row[0]) if row else None

    def documents(self, include_duplicates: bool = False) -> list[Document]:
        where = "" if include_duplicates else "WHERE duplicate_of IS NULL"
        cur = self.con.execute(
            "SELECT id, text, title, outlet, url, published, source_path, language "
            f"FROM documents {where} ORDER BY id"
        )
        return [Document(*row) for row in cur.fetchall()]

    # -- generic tables ------------------------------------------------------------------
    def _insert(self, table: str, rows: list[dict[str, Any]], columns: dict[str, str]) -> None:
        # One Arrow table per call instead of executemany: row-by-row inserts cost more than
        # the whole extraction on big batches.
        if not rows:
            return
        names = list(columns)
        self.con.register("_incoming_rows", arrow_table(rows, columns))
        try:
            cols = ", ".join(f'"{c}"' for c in names)
            self.con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM _incoming_rows')
        finally:
            self.con.unregister("_incoming_rows")

    def replace(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Replace a whole table (corpus steps)."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f'DELETE FROM "{table}"')
            self._insert(table, rows, ALL_TABLES[table])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def read(self, table: str, where: str = "", params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.con.execute(f'SELECT * FROM "{table}" {where}', list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def has_table(self, table: str) -> bool:
        """Whether the store has ``table`` (a read-only store written by an older sourcetrace
        lacks the tables added since)."""
        return bool(self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()[0])

    def columns(self, table: str) -> list[str]:
        """The columns of ``table`` in the main schema (a store written by an older
        sourcetrace lacks the columns added since)."""
        return [r[0] for r in self.con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position", [table]
        ).fetchall()]

    def count(self, table: str) -> int:
        return self.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def _cell(value: Any) -> Any:
    """DuckDB takes lists for VARCHAR[]; dicts are stored as JSON text."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


_ARROW_TYPES = {
    "VARCHAR": pa.string(), "INTEGER": pa.int64(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(),
    "FLOAT": pa.float32(), "BOOLEAN": pa.bool_(), "VARCHAR[]": pa.list_(pa.string()),
    "BIGINT[]": pa.list_(pa.int64()), "FLOAT[]": pa.list_(pa.float32()),
}


def arrow_table(rows: list[dict[str, Any]], columns: dict[str, str]) -> pa.Table:
    """Row dicts as an Arrow table with the declared columns (missing keys are NULL)."""
    return pa.Table.from_arrays(
        [pa.array([_cell(row.get(c)) for row in rows], type=arrow_type(t))
         for c, t in columns.items()],
        names=list(columns),
    )


def arrow_type(sql_type: str) -> pa.DataType:
    """The Arrow type for a column's DuckDB type (constraints such as PRIMARY KEY ignored)."""
    return _ARROW_TYPES[sql_type.split()[0]]
