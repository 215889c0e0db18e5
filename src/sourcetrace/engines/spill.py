"""Rows a corpus stage gives, handed to DuckDB as they come instead of held whole in Python.

A stage's output (claim units, their tokens, shingles, vectors) grows with the corpus; held
as Arrow in this process until the stage ended, then copied into a DuckDB table, it cost
twice its size at that moment, outside DuckDB's memory limit. A :class:`TableSink` keeps at
most about :data:`SPILL_BYTES` of Arrow and appends the rest, in order, to a temporary
table, which DuckDB keeps within its memory limit (spilling to disk above it).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

# Arrow bytes a sink holds before it appends them to its table: large enough that DuckDB
# gets few, big appends; small against the memory budget.
SPILL_BYTES = 128 * 2**20


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
