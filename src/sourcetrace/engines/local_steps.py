"""Run a declared corpus step (:mod:`sourcetrace.corpus`) in this process over the DuckDB store.

Stage outputs are temporary DuckDB tables of the store's connection; the step's writes
replace store tables in one transaction at the end, so an interrupted step leaves the store
as it was.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyarrow as pa

from sourcetrace.config import Settings
from sourcetrace.corpus import Columns, CorpusStep, OnDriver, PerGroup, Rows, Sql, ordered_inputs
from sourcetrace.outputs.store import AnalysisStore, arrow_table, arrow_type
from sourcetrace.tables import ALL_TABLES

log = logging.getLogger(__name__)


def _rows(con: Any, query: str) -> list[dict[str, Any]]:
    """The rows of ``query`` as dicts; a float-list column (an embedding) comes as float32
    numpy views of one buffer: as Python lists, 384 floats are ~12 kB a row, and a part of
    ``PARTITION_ROWS`` rows with vectors would take gigabytes."""
    table = con.sql(query).to_arrow_table()
    floats = [f.name for f in table.schema
              if pa.types.is_list(f.type) and pa.types.is_floating(f.type.value_type)]
    if not floats or not table.num_rows:
        return table.to_pylist()
    rows = table.drop_columns(floats).to_pylist()
    for name in floats:
        column = table.column(name).combine_chunks()
        values = column.values.to_numpy(zero_copy_only=False)
        offsets = column.offsets.to_numpy()
        valid = column.is_valid().to_numpy(zero_copy_only=False)
        for k, row in enumerate(rows):
            row[name] = values[offsets[k]:offsets[k + 1]] if valid[k] else None
    return rows


class _Output:
    """One stage output gathered over many calls: row dicts and column batches."""

    def __init__(self, columns: Columns) -> None:
        self.columns = columns
        self.rows: list[dict[str, Any]] = []
        self.tables: list[pa.Table] = []

    def add(self, rows: list[dict[str, Any]] | dict[str, Any]) -> None:
        if isinstance(rows, dict):  # columns: straight to Arrow, no row objects
            self.tables.append(pa.Table.from_arrays(
                [pa.array(rows[c], type=arrow_type(t)) for c, t in self.columns.items()],
                names=list(self.columns),
            ))
        else:
            self.rows.extend(rows)

    def flush(self) -> None:
        """Row dicts gathered so far become an Arrow batch (compact, no Python objects)."""
        if self.rows:
            self.tables.append(arrow_table(self.rows, self.columns))
            self.rows = []

    def create(self, con: Any, name: str) -> None:
        table = pa.concat_tables([arrow_table(self.rows, self.columns), *self.tables])
        con.register("_stage_rows", table)
        try:
            con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM _stage_rows')
        finally:
            con.unregister("_stage_rows")


def group_rows(
    inputs: Mapping[str, Iterable[dict[str, Any]]], key: tuple[str, ...]
) -> dict[tuple[Any, ...], Rows]:
    """Input rows gathered by their key values: key -> {input: rows}."""
    groups: dict[tuple[Any, ...], Rows] = defaultdict(lambda: {n: [] for n in inputs})
    for name, rows in inputs.items():
        for row in rows:
            groups[tuple(row[k] for k in key)][name].append(row)
    return groups


# Input rows of a per-group stage held in Python at once, at most (about): above it the
# groups are taken a hash partition of their keys at a time, so that memory stays bounded.
PARTITION_ROWS = 250_000


def _partitions(con: Any, queries: list[str], key: tuple[str, ...]) -> list[str | None]:
    """Conditions that cut the groups into parts of about ``PARTITION_ROWS`` input rows."""
    total = sum(con.execute(f"SELECT count(*) FROM ({q}) AS q").fetchall()[0][0] for q in queries)
    n = -(-total // PARTITION_ROWS)
    if n <= 1:
        return [None]
    keys = ", ".join(f'q."{k}"' for k in key)
    return [f"hash({keys}) % {n} = {i}" for i in range(n)]


def run_stage_local(
    con: Any, stage: Sql | PerGroup | OnDriver, context: Any,
    sql: Callable[[str], str] = lambda text: text,
) -> None:
    """Run one stage; ``sql`` fills the step's parameters into an SQL text."""
    if isinstance(stage, Sql):
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{stage.output}" AS {sql(stage.query)}')
        return
    out = {name: _Output(columns) for name, columns in stage.outputs.items()}
    if isinstance(stage, PerGroup):
        queries = {name: sql(query) for name, query in stage.inputs.items()}
        for part in _partitions(con, list(queries.values()), tuple(stage.key)):
            where = f" WHERE {part}" if part else ""
            inputs = {name: _rows(con, f"SELECT * FROM ({q}) AS q{where}")
                      for name, q in queries.items()}
            groups = group_rows(inputs, tuple(stage.key))
            del inputs
            for key in sorted(groups, key=repr):
                found = stage.fn(ordered_inputs(groups.pop(key), stage.order), context)
                for name, rows in found.items():
                    out[name].add(rows)
            for output in out.values():
                output.flush()
    else:
        inputs = {name: _rows(con, sql(query)) for name, query in stage.inputs.items()}
        for name, rows in stage.fn(ordered_inputs(inputs, stage.order), context).items():
            out[name].add(rows)
    for name, output in out.items():
        output.create(con, name)


def step_context(step: CorpusStep, con: Any, settings: Settings) -> Any:
    shared = {name: _rows(con, step.sql(query, settings)) for name, query in step.shared.items()}
    return step.setup(settings, shared)


def run_step(step: CorpusStep, store: AnalysisStore, settings: Settings) -> None:
    """Run every stage of ``step`` over ``store``, then replace the tables it writes."""
    con = store.con
    context = step_context(step, con, settings)
    made = step.outputs()
    try:
        for stage in step.stages:
            run_stage_local(con, stage, context, lambda text: step.sql(text, settings))
        con.execute("BEGIN TRANSACTION")
        try:
            for table, write in step.writes.items():
                cols = ", ".join(f'"{c}"' for c in ALL_TABLES[table])
                con.execute(f'DELETE FROM "{table}"')
                con.execute(
                    f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM "{write.output}" '
                    f"ORDER BY {write.order}"
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        for name in made:
            con.execute(f'DROP TABLE IF EXISTS temp."{name}"')
