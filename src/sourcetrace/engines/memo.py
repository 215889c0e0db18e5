"""Per-group results kept in the store, so that a run over a grown corpus only computes the
groups that changed (incremental runs, :func:`~sourcetrace.engines.local_steps.run_step`).

A :class:`~sourcetrace.corpus.PerGroup` stage declared with ``memo=True`` has a pure function:
its rows for a group are a function of the group's key, the group's input rows and the step's
context alone. So the rows it gave last time are the rows it would give now whenever those
are equal. Each group is known by a digest of its key, its input rows (in a canonical order,
whatever order the engine read them in) and a *salt*: the step, the stage, the function, the
settings the step's context is built from and its shared tables. A group whose digest the
store holds takes the rows stored with it; the others are computed and stored.

Nothing here can make a result differ from a run from scratch: a changed input changes the
digest, and a group that is not there any more is dropped from the store with the run that
no longer has it. What it saves depends on how much of a stage's input a new document
changes: a new document's reuse pairs are aligned, old pairs are not; a claim cluster whose
claims and their context are the same keeps its provenance.

The memo tables live in the store's ``memo`` schema: for stage ``k`` of step ``s``, ``s.k``
(the digests of the groups last run) and ``s.k.<output>`` (each output's rows with the digest
of the group that gave them, column ``_memo``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from sourcetrace import __version__
from sourcetrace.code_digest import CORPUS as CORPUS_CODE
from sourcetrace.code_digest import code_digest
from sourcetrace.config import Settings
from sourcetrace.corpus import Columns, CorpusStep, PerGroup, Row, row_dicts
from sourcetrace.engines.spill import RowBuffer

SCHEMA = "memo"
KEY = "_memo"
# Settings that change how a run is carried out, never what a stage computes.
_NOT_SALT = {"out", "workers", "batch_size", "formats", "engine", "spark_master", "quiet",
              "recompute"}


def _digest(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def _salt(*parts: bytes) -> bytes:
    return _digest(*parts).encode()


def _rows_digest(rows: list[Row]) -> bytes:
    """Rows as a multiset: the same bytes whatever order they come in. The rows of one input
    come from one SQL text and share their columns, so the names are hashed once and each
    row by its values (pickled, each framed by its length)."""
    dumps = pickle.dumps
    items = sorted([dumps(tuple(r.values()), 5) for r in rows])
    names = dumps(tuple(rows[0]) if rows else (), 5)
    return hashlib.blake2b(
        b"".join([len(names).to_bytes(8, "little"), names,
                  *(len(i).to_bytes(8, "little") + i for i in items)]),
        digest_size=16).digest()


def _function_name(fn: Any) -> str:
    if isinstance(fn, partial):
        return f"{_function_name(fn.func)}{sorted(fn.keywords.items())!r}{fn.args!r}"
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def step_salt(step: CorpusStep, settings: Settings, shared: Mapping[str, list[Row]]) -> bytes:
    """What a step's context is made of: its settings (knowledge-base files by content), its
    parameters and shared tables, and the version of sourcetrace with the digest of the code
    and data the corpus steps run (:mod:`sourcetrace.code_digest`)."""
    values = {k: v for k, v in dataclasses.asdict(settings).items() if k not in _NOT_SALT}
    kb = [Path(p).read_bytes() if Path(p).is_file() else str(p).encode()
          for p in settings.kb_files]
    return _salt(
        __version__.encode(), code_digest(CORPUS_CODE).encode(), step.name.encode(),
        repr(sorted(values.items())).encode(),
        repr(sorted(step.parameters(settings).items())).encode(), *kb,
        *(name.encode() + _rows_digest(rows) for name, rows in sorted(shared.items())),
    )


def _table(name: str) -> str:
    return f'{SCHEMA}."{name}"'


def _exists(con: Any, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
        "AND table_name = ?", [SCHEMA, name]
    ).fetchall()
    return bool(found[0][0])


def _columns(con: Any, name: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
        "AND table_name = ? ORDER BY ordinal_position", [SCHEMA, name]
    ).fetchall()]


class StageMemo:
    """The memo of one stage during one run: which groups are known, which were reused, and
    the rows computed for the others.

    A stage may declare *label* columns (``PerGroup.memo_labels``): integers that only name
    and order things (claim numbers, which are positions in the corpus). A group is then
    stored with each label replaced by its rank among the group's labels, so a group whose
    claims were renumbered by documents added elsewhere, in the same order, is still found;
    its stored rows get the group's labels of this run back."""

    def __init__(self, con: Any, step: CorpusStep, index: int, stage: PerGroup,
                 salt: bytes, reuse: bool = True) -> None:
        self.con = con
        self.name = f"{step.name}.{index}"
        self.salt = (salt + _function_name(stage.fn).encode() + str(index).encode()
                     + repr(tuple(stage.memo_labels)).encode())
        self.outputs: dict[str, Columns] = dict(stage.outputs)
        self.labels = tuple(stage.memo_labels)
        self.key_labels = [k in self.labels for k in stage.key]
        self.known: set[str] = set()
        if reuse and self._usable(con):
            self.known = {r[0] for r in con.execute(
                f"SELECT {KEY} FROM {_table(self.name)}").fetchall()}
        self.reused: list[str] = []
        self.computed: list[str] = []
        self.seen: set[str] = set()
        self.unkept = 0  # groups computed and not kept (see lookup and store)
        self.new_rows = self._kept()
        # (digest, rank, label) of every group in the memo after this run, for label stages
        self.mapping: list[tuple[str, int, Any]] = []

    def _kept(self) -> dict[str, RowBuffer]:
        """Buffers for the rows computed this run, each row with its group's digest."""
        return {n: RowBuffer({KEY: "VARCHAR", **c}, self.con, f"_spill_memo_{self.name}.{n}")
                for n, c in self.outputs.items()}

    def _usable(self, con: Any) -> bool:
        """The stored memo has every table this stage needs, with the columns it makes now
        (an older sourcetrace may have stored others)."""
        if not _exists(con, self.name):
            return False
        return all(
            _exists(con, f"{self.name}.{o}")
            and _columns(con, f"{self.name}.{o}") == [KEY, *columns]
            for o, columns in self.outputs.items()
        )

    def key(self, group_key: tuple[Any, ...], group: Mapping[str, list[Row]]
            ) -> tuple[str, list[Any]]:
        """The group's digest, and its labels in ascending order (a label's rank is its
        position there)."""
        labels: list[Any] = []
        if self.labels:
            found = {r[c] for rows in group.values() for r in rows for c in self.labels
                     if r.get(c) is not None}
            found |= {v for v, is_label in zip(group_key, self.key_labels, strict=True)
                      if is_label and v is not None}
            labels = sorted(found)
            rank = {v: k for k, v in enumerate(labels)}
            group_key = tuple(rank.get(v, v) if is_label else v
                              for v, is_label in zip(group_key, self.key_labels, strict=True))
            group = {name: [{c: rank[v] if c in self.labels and v is not None else v
                             for c, v in r.items()} for r in rows]
                     for name, rows in group.items()}
        digest = _digest(self.salt, pickle.dumps(group_key, protocol=5),
                         *(name.encode() + _rows_digest(rows)
                           for name, rows in sorted(group.items())))
        return digest, labels

    def lookup(self, digest: str, labels: list[Any]) -> bool | None:
        """True when the group's rows are stored (they will be taken from there), False when
        it is to be computed and stored, None when it is to be computed and not stored (a
        second group of this run with the same digest: possible with labels)."""
        if digest in self.seen:
            self.unkept += 1
            return None
        self.seen.add(digest)
        if digest in self.known:
            self.reused.append(digest)
            self._map(digest, labels)
            return True
        return False

    def _map(self, digest: str, labels: list[Any]) -> None:
        self.mapping += [(digest, k, v) for k, v in enumerate(labels)]

    def store(self, digest: str, labels: list[Any], found: Mapping[str, Any]) -> bool:
        """Keep the rows a computed group gave (by output: row dicts or columns, as the stage
        function returned them). False when they cannot be kept: an output label that is
        none of the group's."""
        if self.labels:
            rank = {v: k for k, v in enumerate(labels)}
            relabelled = {}
            for output, rows in found.items():
                cols = [c for c in self.labels if c in self.outputs[output]]
                if cols:
                    rows = row_dicts(rows)
                    if any(r.get(c) is not None and r[c] not in rank
                           for r in rows for c in cols):
                        self.unkept += 1
                        return False
                    rows = [{**r, **{c: rank[r[c]] for c in cols if r.get(c) is not None}}
                            for r in rows]
                relabelled[output] = rows
            found = relabelled
            self._map(digest, labels)
        self.computed.append(digest)
        for output, rows in found.items():
            self.new_rows[output].add(rows, fixed={KEY: digest})
        return True

    def flush(self) -> None:
        """The rows kept so far become Arrow batches (call once in a while: compact)."""
        for rows in self.new_rows.values():
            rows.flush()

    def _temp(self, output: str | None = None) -> str:
        return f"_memo_{self.name}" + (f".{output}" if output else "")

    def temp_tables(self) -> list[str]:
        """The temporary tables :meth:`prepare` makes (dropped with the step's outputs)."""
        return [self._temp(), self._temp("_labels"), *(self._temp(o) for o in self.outputs),
                *(kept.sink.spill_name for kept in self.new_rows.values())]

    def prepare(self) -> dict[str, str]:
        """What the memo will be after this run, as temporary tables: the computed groups'
        rows and the reused groups' stored rows. Returns, per output, the SQL that gives the
        stage output's rows (all of them, without the digest, labels as in this run)."""
        con = self.con
        self._create(self._temp(), pa.table(
            {KEY: pa.array(sorted({*self.reused, *self.computed}), pa.string())}))
        if self.labels:
            self._create(self._temp("_labels"), pa.table({
                KEY: pa.array([m[0] for m in self.mapping], pa.string()),
                "rank": pa.array([m[1] for m in self.mapping], pa.int64()),
                "label": pa.array([m[2] for m in self.mapping], pa.int64()),
            }))
        found = {}
        for output in self.outputs:
            self.new_rows[output].create(con, self._temp(output))
            if self.reused:
                con.register("_memo_reused", pa.table(
                    {KEY: pa.array(self.reused, pa.string())}))
                try:
                    con.execute(
                        f'INSERT INTO "{self._temp(output)}" SELECT m.{KEY}, '
                        + ", ".join(f'm."{c}"' for c in self.outputs[output])
                        + f" FROM {_table(f'{self.name}.{output}')} m "
                        f"JOIN _memo_reused r ON r.{KEY} = m.{KEY}"
                    )
                finally:
                    con.unregister("_memo_reused")
            found[output] = self._query(output)
        self.new_rows = self._kept()
        return found

    def _query(self, output: str) -> str:
        """The stage output's rows from the memo's: labels turned back into this run's."""
        cols, joins = [], []
        for k, c in enumerate(self.outputs[output]):
            if c in self.labels:
                joins.append(f'LEFT JOIN "{self._temp("_labels")}" l{k} '
                             f'ON l{k}.{KEY} = m.{KEY} AND l{k}.rank = m."{c}"')
                cols.append(f'CAST(l{k}.label AS {self.outputs[output][c]}) AS "{c}"')
            else:
                cols.append(f'm."{c}"')
        return f'SELECT {", ".join(cols)} FROM "{self._temp(output)}" m {" ".join(joins)}'

    def _create(self, name: str, table: pa.Table) -> None:
        self.con.register("_memo_rows", table)
        try:
            self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM _memo_rows')
        finally:
            self.con.unregister("_memo_rows")

    def save(self) -> None:
        """Replace the stored memo by this run's (call inside the step's transaction)."""
        con = self.con
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        con.execute(f'CREATE OR REPLACE TABLE {_table(self.name)} AS '
                    f'SELECT * FROM "{self._temp()}"')
        for output in self.outputs:
            con.execute(f"CREATE OR REPLACE TABLE {_table(f'{self.name}.{output}')} AS "
                        f'SELECT * FROM "{self._temp(output)}"')

    def counts(self) -> dict[str, int]:
        computed = len(self.computed) + self.unkept
        return {"groups": len(self.reused) + computed, "computed": computed}
