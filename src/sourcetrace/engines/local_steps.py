"""Run a declared corpus step (:mod:`sourcetrace.corpus`) in this process over the DuckDB store.

Stage outputs are temporary DuckDB tables of the store's connection; the step's writes
replace store tables in one transaction at the end, so an interrupted step leaves the store
as it was.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

import pyarrow as pa

from sourcetrace.config import Settings
from sourcetrace.corpus import CorpusStep, OnDriver, PerGroup, Rows, Sql, ordered_inputs
from sourcetrace.engines import rss
from sourcetrace.engines.memo import StageMemo, step_salt
from sourcetrace.engines.spill import RowBuffer
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.tables import CACHES, STORE_TABLES

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
    sql: Callable[[str], str] = lambda text: text, memo: StageMemo | None = None,
) -> None:
    """Run one stage; ``sql`` fills the step's parameters into an SQL text. With ``memo``
    (a :class:`PerGroup` stage), groups whose inputs are unchanged since the last run take
    their stored rows instead of being computed."""
    if isinstance(stage, Sql):
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{stage.output}" AS {sql(stage.query)}')
        return
    out = {name: RowBuffer(columns, con, f"_spill_{name}")
           for name, columns in stage.outputs.items()}
    try:
        _run_stage(con, stage, context, sql, memo, out)
    finally:
        for output in out.values():  # (after a failure: no spill table left behind)
            output.sink.drop()


def _run_stage(
    con: Any, stage: PerGroup | OnDriver, context: Any, sql: Callable[[str], str],
    memo: StageMemo | None, out: dict[str, RowBuffer],
) -> None:
    if isinstance(stage, PerGroup):
        queries = {name: sql(query) for name, query in stage.inputs.items()}
        for part in _partitions(con, list(queries.values()), tuple(stage.key)):
            where = f" WHERE {part}" if part else ""
            inputs = {name: _rows(con, f"SELECT * FROM ({q}) AS q{where}")
                      for name, q in queries.items()}
            groups = group_rows(inputs, tuple(stage.key))
            del inputs
            for key in sorted(groups, key=repr):
                group = ordered_inputs(groups.pop(key), stage.order)
                digest, labels = memo.key(key, group) if memo else ("", [])
                stored = memo.lookup(digest, labels) if memo else None
                if stored:
                    continue
                found = stage.fn(group, context)
                if stored is False and memo.store(digest, labels, found):  # type: ignore[union-attr]
                    continue
                for name, rows in found.items():
                    out[name].add(rows)
            for output in out.values():
                output.flush()
            if memo:
                memo.flush()
        if memo:
            # the memo's rows, and those of groups computed but not kept in it
            for name, query in memo.prepare().items():
                out[name].create(con, f"{name}__plain")
                con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {query} '
                            f'UNION ALL SELECT * FROM "{name}__plain"')
                con.execute(f'DROP TABLE temp."{name}__plain"')
            return
    else:
        inputs = {name: _rows(con, sql(query)) for name, query in stage.inputs.items()}
        for name, rows in stage.fn(ordered_inputs(inputs, stage.order), context).items():
            out[name].add(rows)
    for name, output in out.items():
        output.create(con, name)


def step_context(step: CorpusStep, con: Any, settings: Settings) -> Any:
    return step.setup(settings, _shared(step, con, settings))


def _shared(step: CorpusStep, con: Any, settings: Settings) -> dict[str, list[dict[str, Any]]]:
    return {name: _rows(con, step.sql(query, settings)) for name, query in step.shared.items()}


def _label(step: CorpusStep, stage: PerGroup) -> str:
    fn = stage.fn.func if isinstance(stage.fn, partial) else stage.fn
    outputs = ",".join(stage.outputs)
    return f"{step.name}:{getattr(fn, '__name__', 'stage')}->{outputs}"


def run_step(
    step: CorpusStep, store: AnalysisStore, settings: Settings, incremental: bool = True
) -> dict[str, dict[str, int]]:
    """Run every stage of ``step`` over ``store``, then replace the tables it writes.

    With ``incremental``, the stages declared ``memo=True`` reuse the rows of groups whose
    inputs are unchanged since the last run on this store (:mod:`sourcetrace.engines.memo`);
    without, they compute every group (and store them for the next run). The tables written
    are the same either way. Returns, per memoised stage, how many
    groups it had and how many it computed."""
    con = store.con
    if not incremental:
        # every group computed again, every text embedded again: the caches a step reads
        # are emptied (they only ever save work; the step writes them anew)
        for table in step.reads:
            if table in CACHES:
                con.execute(f'DELETE FROM "{table}"')
    shared = _shared(step, con, settings)
    context = step.setup(settings, shared)
    made = list(step.outputs())
    salt = step_salt(step, settings, shared)
    memos: list[StageMemo] = []
    work: dict[str, dict[str, int]] = {}
    try:
        for index, stage in enumerate(step.stages):
            memo = None
            if isinstance(stage, PerGroup) and stage.memo:
                memo = StageMemo(con, step, index, stage, salt, reuse=incremental)
                memos.append(memo)
                made += memo.temp_tables()
            rss.begin(f"{step.name}.{index}")
            run_stage_local(con, stage, context, lambda text: step.sql(text, settings), memo)
            rss.end(f"{step.name}.{index}", role="stage")
            if memo:
                work[_label(step, stage)] = memo.counts()
        con.execute("BEGIN TRANSACTION")
        try:
            for table, write in step.writes.items():
                cols = ", ".join(f'"{c}"' for c in STORE_TABLES[table])
                con.execute(f'DELETE FROM "{table}"')
                con.execute(
                    f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM "{write.output}" '
                    f"ORDER BY {write.order}"
                )
            for memo in memos:  # with the tables, so that the memo never outlives them
                memo.save()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        for name in made:
            con.execute(f'DROP TABLE IF EXISTS temp."{name}"')
    return work
