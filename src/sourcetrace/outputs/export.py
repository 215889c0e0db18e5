"""``DIR/analysis.json``: the whole analysis as one JSON document, and Parquet tables.

The JSON is written as it is read from the store, a chunk of rows at a time, so that a
corpus of tens of thousands of articles is never held in memory whole.

The JSON follows ``schema/analysis.schema.json`` (``"schema": "sourcetrace/analysis/1"``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sourcetrace.outputs import shapes
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.tables import ALL_TABLES

if TYPE_CHECKING:
    from sourcetrace.outputs.report.scope import ReportScope

SCHEMA_ID = "sourcetrace/analysis/1"


def load_schema() -> dict[str, Any]:
    text = resources.files("sourcetrace.schema").joinpath("analysis.schema.json").read_text()
    return json.loads(text)


# Rows fetched from DuckDB at a time while the export is written: the JSON of a big corpus
# is never held in memory whole, only this many rows of one table and their shapes.
CHUNK = 2000


def _rows(
    store: AnalysisStore, query: str, params: Sequence[Any] = ()
) -> Iterator[dict[str, Any]]:
    """The rows of ``query`` as dicts, fetched ``CHUNK`` at a time on a cursor of their own
    (so that two streams can be read side by side)."""
    cur = store.con.cursor()
    try:
        cur.execute(query, list(params))
        names = [d[0] for d in cur.description]
        while batch := cur.fetchmany(CHUNK):
            for row in batch:
                yield dict(zip(names, row, strict=True))
    finally:
        cur.close()


def _with_members(
    parents: Iterator[dict[str, Any]], members: Iterator[dict[str, Any]], key: str
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each parent row (ascending ``id``) with its member rows (ascending ``key``, the
    parent's id): a merge of two sorted streams, so neither is held in memory."""
    pending = next(members, None)
    for parent in parents:
        # members of ids that no parent has are skipped, as a lookup by id would skip them
        while pending is not None and pending[key] < parent["id"]:
            pending = next(members, None)
        group = []
        while pending is not None and pending[key] == parent["id"]:
            group.append(pending)
            pending = next(members, None)
        yield parent, group


def _reuse_pairs(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """``reuse`` rows (one per shared passage, ordered by pair) grouped into pairs."""
    pair: dict[str, Any] | None = None
    for r in rows:
        if pair is None or pair["docs"] != [r["a"], r["b"]]:
            if pair is not None:
                yield pair
            pair = shapes.reuse_pair(r)
        pair["passages"].append(shapes.reuse_passage(r))
    if pair is not None:
        yield pair


class _Filter:
    """The WHERE clauses (and their parameters) that keep a part of the analysis: all of it
    without a scope; with one, its documents, claim clusters and narratives and what belongs
    to them (the report of a big corpus, ``outputs.report.scope``)."""

    IN = "IN (SELECT unnest(?::VARCHAR[]))"

    def __init__(self, scope: ReportScope | None) -> None:
        self.scope = scope

    def where(self, column: str, ids: str = "documents", *, also: str = "") -> tuple[str, list]:
        if self.scope is None:
            return (f"WHERE {also}" if also else ""), []
        clause = f"{column} {self.IN}"
        return f"WHERE {also + ' AND ' if also else ''}{clause}", [getattr(self.scope, ids)]

    def pairs(self) -> tuple[str, list]:
        if self.scope is None:
            return "", []
        docs = self.scope.documents
        return f"WHERE a {self.IN} AND b {self.IN}", [docs, docs]

    def linked(self, column: str, members: str, key: str) -> tuple[str, list]:
        """Rows of a table named by ``members`` (mentions, place mentions) in the scope's
        documents: the entities or places they link to."""
        if self.scope is None:
            return "", []
        return (f"WHERE {column} IN (SELECT {key} FROM {members} WHERE doc {self.IN})",
                [self.scope.documents])


def _select(store: AnalysisStore, table: str, where: tuple[str, list], order: str
            ) -> Iterator[dict[str, Any]]:
    clause, params = where
    return _rows(store, f'SELECT * FROM "{table}" {clause} {order}', params)


def analysis_sections(
    store: AnalysisStore, pipeline: dict[str, Any] | None = None,
    scope: ReportScope | None = None,
) -> Iterator[tuple[str, Any]]:
    """The export's keys in order, each with its value: a plain value, or an iterator over
    the items of a list (rows read from the store a chunk at a time). ``scope``: only that
    part of the analysis (the report of a big corpus)."""
    f = _Filter(scope)
    yield "schema", SCHEMA_ID
    yield "generated", datetime.now(UTC).isoformat(timespec="seconds")
    yield "pipeline", pipeline or {}
    yield "documents", (
        shapes.document(d) for d in _select(store, "documents", f.where("id"), "ORDER BY id")
    )
    # Mentions of one entity in the order they were stored (rowid), as before streaming.
    mentions = _select(store, "mentions", f.where("doc", also="entity IS NOT NULL"),
                       "ORDER BY entity, rowid")
    yield "entities", (
        shapes.entity(e, found) for e, found in _with_members(
            _select(store, "entities", f.linked("id", "mentions", "entity"), "ORDER BY id"),
            mentions, "entity")
    )
    yield "attributions", (
        shapes.attribution(a) for a in _select(
            store, "attributions", f.where("doc"), "ORDER BY doc, content_start, id")
    )
    place_mentions = _select(store, "place_mentions", f.where("doc", also="place IS NOT NULL"),
                             "ORDER BY place, doc, start, rowid")
    yield "places", (
        shapes.place(p, found) for p, found in _with_members(
            _select(store, "places", f.linked("id", "place_mentions", "place"), "ORDER BY id"),
            place_mentions, "place")
    )
    yield "dates", (
        shapes.date(d) for d in _select(store, "dates", f.where("doc"), "ORDER BY doc, start")
    )
    yield "quantities", (
        shapes.quantity(q)
        for q in _select(store, "quantities", f.where("doc"), "ORDER BY doc, start")
    )
    yield "reuse", _reuse_pairs(_select(store, "reuse", f.pairs(), "ORDER BY a, b, a_start"))
    yield "claims", (
        shapes.claim(c) for c in _select(store, "claims", f.where("doc"), "ORDER BY doc, start")
    )
    yield "claim_clusters", (
        shapes.cluster(k) for k in _select(
            store, "claim_clusters", f.where("id", "clusters"),
            "ORDER BY amplification DESC NULLS LAST, len(documents) DESC, id")
    )
    yield "narratives", (
        (shapes.narrative(n) for n in _select(
            store, "narratives", f.where("id", "narratives"), shapes.NARRATIVE_ORDER))
        if store.has_table("narratives") else iter(())
    )
    yield "language", (
        shapes.language_span(s)
        for s in _select(store, "language", f.where("doc"), "ORDER BY doc, start")
    )
    yield "errors", _select(store, "errors", ("", []), "ORDER BY path, line")


def build_analysis(
    store: AnalysisStore, pipeline: dict[str, Any] | None = None,
    scope: ReportScope | None = None,
) -> dict[str, Any]:
    """Assemble the export (or the ``scope`` part of it) from the store's tables, in memory
    (the report and tests; the file itself is written streaming by :func:`write_json`)."""
    return {key: list(value) if isinstance(value, Iterator) else value
            for key, value in analysis_sections(store, pipeline, scope)}


def _dumps(value: Any) -> str:
    # Compact: with ``indent`` the json module falls back to its pure-Python encoder, which
    # took longer than every corpus step together on a few hundred articles.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_json(
    store: AnalysisStore, out_dir: Path, pipeline: dict[str, Any] | None = None,
    path: Path | None = None,
) -> Path:
    """``out_dir/analysis.json``, or ``path`` when given, written as it is read: the same
    bytes as ``json.dumps`` of :func:`build_analysis` (compact), but only ``CHUNK`` rows of a
    table in memory at once."""
    path = Path(path) if path is not None else Path(out_dir) / "analysis.json"
    tmp = path.with_suffix(".json.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for n, (key, value) in enumerate(analysis_sections(store, pipeline)):
            f.write(("{" if n == 0 else ",") + _dumps(key) + ":")
            if not isinstance(value, Iterator):
                f.write(_dumps(value))
                continue
            f.write("[")
            first = True
            for chunk in _chunks(value):
                f.write(("" if first else ",") + ",".join(_dumps(item) for item in chunk))
                first = False
            f.write("]")
        f.write("}")
    tmp.replace(path)  # never leave a half-written export behind
    return path


def _chunks(items: Iterator[Any]) -> Iterator[list[Any]]:
    while chunk := list(islice(items, CHUNK)):
        yield chunk


def write_parquet(store: AnalysisStore, out_dir: Path, target: Path | None = None) -> Path:
    """Every table as ``DIR/parquet/<table>.parquet`` (DuckDB's own writer, no round trip),
    or as ``target/<table>.parquet`` when given."""
    target = Path(target) if target is not None else Path(out_dir) / "parquet"
    target.mkdir(parents=True, exist_ok=True)
    for table in ["documents", "errors", *ALL_TABLES]:
        dest = target / f"{table}.parquet"
        store.con.execute(f"COPY \"{table}\" TO '{dest.as_posix()}' (FORMAT PARQUET)")
    return target
