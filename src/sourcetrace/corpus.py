"""What a corpus step is: a declaration that every engine runs the same way.

A corpus step reads store tables and replaces some of them (entity linking, places, reuse,
claims, provenance). It is declared once, as data: a sequence of *stages*, each one of

* :class:`Sql`: one SQL text giving one table. It is written in the SQL that DuckDB and Spark
  SQL share (double-quoted identifiers, joins, ``GROUP BY``, window functions, ``CASE``; no
  list or dialect functions), so the local engine runs it in DuckDB and the Spark engine in
  Spark SQL;
* :class:`PerGroup`: the rows of its inputs (each an SQL text) that share a key go to one call
  of a pure function, which returns rows of the stage's outputs. The local engine calls it in
  this process; the Spark engine on the executors (``groupBy(...).agg(collect_list)`` then
  ``mapInPandas``);
* :class:`OnDriver`: a pure function of whole inputs that are small (edge lists, sort keys,
  one row per actor), run in the engine's driver process.

Every stage names its outputs; later stages read them by name, like store tables. The step's
``writes`` say which output replaces which store table, in which row order. How a stage runs
is the engine's business (``engines/``); what it computes is the step's (``link/``,
``provenance/``), written once.

A stage function receives its group (or whole inputs) as ``{input name: [row dict, ...]}``,
each input's rows sorted by the stage's ``order`` for it, whatever order the engine read
them in, and the step's *context*: an object built once on the driver by the step's
``setup`` from the settings and its ``shared`` tables (the knowledge base, the actors), shipped
to every worker. It returns ``{output name: rows}``, rows being a list of row dicts or, for
many narrow rows, a dict of equally long columns (lists or numpy arrays); each output's
columns and types are declared like the store's tables (:mod:`sourcetrace.tables`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sourcetrace.config import Settings

Row = dict[str, Any]
Rows = dict[str, list[Row]]
Columns = dict[str, str]  # column -> DuckDB type, as in sourcetrace.tables


@dataclass(frozen=True)
class Sql:
    """``output`` is the result of ``query``, with ``columns``."""

    output: str
    query: str
    columns: Columns


@dataclass(frozen=True)
class PerGroup:
    """Rows of ``inputs`` grouped by the ``key`` columns (every input has them); ``fn(group,
    context)`` gives each group's rows of ``outputs``. ``order``: input -> the columns its
    rows are sorted by inside a group (rows equal on them must be equal altogether, or the
    function must not depend on their order)."""

    inputs: Mapping[str, str]
    key: Sequence[str]
    fn: Callable[[Rows, Any], Rows]
    outputs: Mapping[str, Columns]
    order: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # Keep each group's rows in the store and reuse them while the group's inputs (and the
    # step's context) are unchanged (:mod:`sourcetrace.engines.memo`): for stages whose
    # work costs more than reading their rows back, so that a run over a grown corpus
    # computes only the groups the new documents touch.
    memo: bool = False
    # Integer columns (of inputs, key and outputs) that only name and order things, such as
    # claim numbers (positions in the corpus): the memo knows a group again when they are
    # renumbered in the same order. The function must use them for nothing else: no
    # arithmetic, no comparison but between them, every output value one of its inputs'.
    memo_labels: Sequence[str] = ()


@dataclass(frozen=True)
class OnDriver:
    """``fn(inputs, context)`` over the whole (small) ``inputs`` gives the rows of
    ``outputs``; inputs sorted as in :class:`PerGroup`."""

    inputs: Mapping[str, str]
    fn: Callable[[Rows, Any], Rows]
    outputs: Mapping[str, Columns]
    order: Mapping[str, Sequence[str]] = field(default_factory=dict)


Stage = Sql | PerGroup | OnDriver


@dataclass(frozen=True)
class Write:
    """A store table replaced by a stage output (same columns), its rows in ``order``."""

    output: str
    order: str  # an SQL ORDER BY list


def no_context(settings: Settings, shared: Rows) -> None:
    return None


def no_parameters(settings: Settings) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class CorpusStep:
    """A corpus step, declared. ``reads``: the store tables its SQL texts name (the Spark
    engine makes them views); ``writes``: store table -> :class:`Write`."""

    name: str
    reads: Sequence[str]
    stages: Sequence[Stage]
    writes: Mapping[str, Write]
    shared: Mapping[str, str] = field(default_factory=dict)
    setup: Callable[[Settings, Rows], Any] = no_context
    # Values of the ``{name}`` placeholders in the step's SQL texts (thresholds from the
    # settings); every engine formats the texts with them before running them.
    parameters: Callable[[Settings], dict[str, Any]] = no_parameters

    def sql(self, text: str, settings: Settings) -> str:
        """An SQL text of this step with its parameters filled in."""
        values = self.parameters(settings)
        return text.format(**values) if values else text

    def outputs(self) -> dict[str, Columns]:
        """Every stage output's columns, by name."""
        found: dict[str, Columns] = {}
        for stage in self.stages:
            if isinstance(stage, Sql):
                found[stage.output] = stage.columns
            else:
                found.update(stage.outputs)
        return found

    def __call__(self, store: Any, settings: Settings) -> dict[str, dict[str, int]]:
        """Run the step in this process over ``store`` (what the local engine does);
        returns how many groups each memoised stage had and computed."""
        from sourcetrace.engines.local_steps import run_step

        return run_step(self, store, settings, incremental=not settings.recompute)


def sort_rows(rows: list[Row], columns: Sequence[str]) -> list[Row]:
    """Rows sorted by ``columns``, NULLs last: the order a stage function sees on every
    engine."""
    if not columns:
        return rows
    return sorted(
        rows, key=lambda r: tuple((0, r[c]) if r[c] is not None else (1, 0) for c in columns)
    )


def ordered_inputs(rows: Rows, order: Mapping[str, Sequence[str]]) -> Rows:
    return {name: sort_rows(items, order.get(name, ())) for name, items in rows.items()}


def row_dicts(rows: list[Row] | dict[str, Any]) -> list[Row]:
    """A stage function's rows as row dicts, whichever form it returned them in."""
    if isinstance(rows, dict):
        names = list(rows)
        columns = [c.tolist() if hasattr(c, "tolist") else list(c) for c in rows.values()]
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return rows
