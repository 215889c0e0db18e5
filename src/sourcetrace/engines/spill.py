"""Rows a corpus stage gives, handed to DuckDB as they come instead of held whole in Python.

A stage's output (claim units, their tokens, shingles, vectors) grows with the corpus; held
as Arrow in this process until the stage ended, then copied into a DuckDB table, it cost
twice its size at that moment, outside DuckDB's memory limit. A :class:`TableSink` keeps at
most about :data:`SPILL_BYTES` of Arrow and appends the rest, in order, to a temporary
table, which DuckDB keeps within its memory limit (spilling to disk above it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from sourcetrace.corpus import Columns
from sourcetrace.outputs.store import arrow_table, arrow_type

# Arrow bytes a sink holds before it appends them to its table: large enough that DuckDB
# gets few, big appends; small against the memory budget.
SPILL_BYTES = 128 * 2**20

# Row dicts a buffer holds before they become Arrow: a row dict costs ten to a hundred
# times its Arrow bytes (an embedding as a list of 384 Python floats is ~12 kB against
# 1.5 kB), and an output held as dicts until its partition ended grew with the corpus.
# Large enough that the Arrow chunks stay few.
FLUSH_ROWS = 10_000


class TableSink:
    """Arrow tables of one schema appended in order; :meth:`create` makes them the
    temporary table ``name``. ``con``: the DuckDB connection (None: hold everything)."""

    def __init__(self, con: Any | None, spill_name: str, empty: pa.Table) -> None:
        self.con = con
        self.spill_name = spill_name  # the temporary table the spilled rows go to
        self.empty = empty  # a table with no rows and the right schema
        self.tables: list[pa.Table] = []
        self.held = 0  # bytes in self.tables
        self.spilled = False

    def append(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self.tables.append(table)
        self.held += table.nbytes
        if self.con is not None and self.held >= SPILL_BYTES:
            self._spill()

    def _held(self) -> pa.Table:
        table = pa.concat_tables([self.empty, *self.tables])
        self.tables, self.held = [], 0
        return table

    def _write(self, name: str, table: pa.Table, create: bool) -> None:
        con = self.con
        assert con is not None
        con.register("_sink_rows", table)
        try:
            if create:
                con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM _sink_rows')
            else:
                con.execute(f'INSERT INTO "{name}" SELECT * FROM _sink_rows')
        finally:
            con.unregister("_sink_rows")

    def _spill(self) -> None:
        self._write(self.spill_name, self._held(), create=not self.spilled)
        self.spilled = True

    def table(self) -> pa.Table:
        """Every row as one Arrow table (only for a sink that never spilled)."""
        assert not self.spilled
        return self._held()

    def create(self, con: Any, name: str) -> None:
        """The rows appended, in order, become the temporary table ``name``."""
        self.con = con
        if not self.spilled:
            self._write(name, self._held(), create=True)
            return
        self._spill()
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM "{self.spill_name}"')
        self.drop()

    def drop(self) -> None:
        """Drop the spill table (after :meth:`create`, or when the stage failed)."""
        if self.spilled and self.con is not None:
            self.con.execute(f'DROP TABLE IF EXISTS temp."{self.spill_name}"')
            self.spilled = False


class RowBuffer:
    """One output gathered over many calls (row dicts or column batches), in the order they
    came: row dicts become Arrow every :data:`FLUSH_ROWS` rows (one conversion per batch,
    not per call: most calls give a row or two), and the Arrow goes to a :class:`TableSink`.

    ``fixed`` columns of :meth:`add` hold one value for every row of that call (the memo's
    group digest), so callers need not copy it into each row."""

    def __init__(self, columns: Columns, con: Any | None = None, spill_name: str = "") -> None:
        self.columns = columns
        self.rows: list[dict[str, Any]] = []
        self.sink = TableSink(con, spill_name, arrow_table([], columns))

    def add(self, rows: list[dict[str, Any]] | dict[str, Any],
            fixed: Mapping[str, Any] | None = None) -> None:
        fixed = fixed or {}
        if isinstance(rows, dict):  # columns: straight to Arrow, no row objects
            self.flush()  # (the rows added before stay before)
            n = len(next(iter(rows.values()))) if rows else 0
            if not n:
                return
            self.sink.append(pa.Table.from_arrays(
                [pa.array([fixed[c]] * n if c in fixed else rows[c], type=arrow_type(t))
                 for c, t in self.columns.items()],
                names=list(self.columns),
            ))
            return
        self.rows += [{**fixed, **r} for r in rows] if fixed else rows
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Row dicts gathered so far become an Arrow batch (compact, no Python objects)."""
        if self.rows:
            self.sink.append(arrow_table(self.rows, self.columns))
            self.rows = []

    def create(self, con: Any, name: str) -> None:
        """The rows added, in order, become the temporary table ``name``."""
        self.flush()
        self.sink.create(con, name)
