"""The ``entities`` and ``places`` corpus steps as Spark jobs, for the Spark engine.

Entities: everything that reads a document's text runs on the executors. A cogroup of
``mentions`` with ``documents`` (the Parquet tables under ``DIR/spark-tables/``) gives each
document's text and mentions to one Python call, which finds the acronyms the text defines,
cuts each mention's context (:func:`~sourcetrace.extract.entities.link.document_context`)
and looks the mention up in the knowledge base
(:meth:`~sourcetrace.extract.entities.link.EntityLinker.first_target`, a function of the
mention, its context and its document alone). The result, one row per mention with its
context and first target, lands in ``DIR/spark-tables/entity_context/``. The driver then reads
the mention and attribution rows and those targets (never a document text) and runs the
corpus-wide part (lone surnames across documents, cluster merges, ids, attribution sources:
:meth:`~sourcetrace.extract.entities.link.EntityLinker.link_targets`) in the same row orders
as the local step, so the results are the local step's.

Places: a ``groupBy`` over ``place_mentions`` that picks each column's value as the local
step does (first non-null in (doc, start, end) order), written to ``DIR/spark-tables/places/``
and loaded into the store by DuckDB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sourcetrace.config import Settings
from sourcetrace.engines.spark import _typed, spark_schema
from sourcetrace.extract.entities.kb import KnowledgeBase
from sourcetrace.extract.entities.link import (
    ATTRIBUTION_ORDER,
    MENTION_ORDER,
    EntityLinker,
    Target,
    document_context,
)
from sourcetrace.link.entities import store_links
from sourcetrace.link.places import PLACE_COLUMNS, PLACE_VALUE_ORDER
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.tables import CORPUS

# A mention is known by these columns: the first target is a function of them and of its
# document's text, so two equal rows (if any) always get the same target.
MENTION_KEY = ("doc", "start", "end", "label", "text")
CONTEXT_COLUMNS = {
    "doc": "VARCHAR", "start": "INTEGER", "end": "INTEGER", "label": "VARCHAR",
    "text": "VARCHAR",
    # the document's text just before and after the mention (what linking reads of it)
    "before": "VARCHAR", "after": "VARCHAR",
    # the first target: kind "kb" | "key" | "surname" (a lone name) | NULL, and its value
    "target_kind": "VARCHAR", "target": "VARCHAR",
}
ENTITY_CONTEXT = "entity_context"

# The executor's linker, built once per Python worker for the knowledge base it was given
# (building it indexes the initials of every entry: too slow to redo per document).
_worker_linker: tuple[KnowledgeBase, EntityLinker] | None = None


def _linker_for(kb: KnowledgeBase) -> EntityLinker:
    global _worker_linker
    if _worker_linker is None or _worker_linker[0] is not kb:
        _worker_linker = (kb, EntityLinker(kb))
    return _worker_linker[1]


def _cell(value: Any) -> Any:
    import pandas as pd

    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def context_rows(mentions: Any, document: Any, kb: KnowledgeBase) -> Any:
    """Executor: one document's mentions (a pandas frame with :data:`MENTION_KEY` columns)
    and its text (a frame with a ``body`` column: one row, or none when the document is not
    stored) -> one row per mention with its context and first target."""
    if mentions.empty:
        return _typed([], CONTEXT_COLUMNS)
    text = _cell(document["body"].iloc[0]) if len(document) else None
    rows: list[dict[str, Any]] = []
    for values in mentions[list(MENTION_KEY)].itertuples(index=False, name=None):
        row = {k: _cell(v) for k, v in zip(MENTION_KEY, values, strict=True)}
        for k in ("start", "end"):
            if row[k] is not None:
                row[k] = int(row[k])
        rows.append(row)
    linker = _linker_for(kb)
    ctx = document_context(text, rows, kb)
    for row, around in zip(rows, ctx.around, strict=True):
        target = linker.first_target(row, around, ctx.acronyms)
        row.update(before=around[0], after=around[1],
                   target_kind=target[0] if target else None,
                   target=target[1] if target else None)
    return _typed(rows, CONTEXT_COLUMNS)


def _has_parquet(folder: Path) -> bool:
    return any(folder.glob("*.parquet"))


def write_entity_context(spark: Any, parquet: Path, kb: KnowledgeBase) -> Path:
    """Spark job: ``DIR/spark-tables/entity_context/`` from the ``mentions`` and
    ``documents`` Parquet tables. Document texts stay on the executors."""
    from pyspark.sql import functions as F

    out = parquet / ENTITY_CONTEXT
    mentions = spark.read.parquet(str(parquet / "mentions")).select(*MENTION_KEY)
    documents = (
        spark.read.parquet(str(parquet / "documents"))
        .select(F.col("id").alias("doc"), F.col("text").alias("body"))
        # only documents with mentions travel to Python
        .join(mentions.select("doc").distinct(), "doc", "left_semi")
    )
    shared = spark.sparkContext.broadcast(kb)
    try:
        (
            mentions.groupBy("doc").cogroup(documents.groupBy("doc"))
            .applyInPandas(lambda m, d: context_rows(m, d, shared.value),
                           spark_schema(CONTEXT_COLUMNS))
            .write.mode("overwrite").parquet(str(out))
        )
    finally:
        shared.unpersist()
    return out


def first_targets(
    store: AnalysisStore, folder: Path
) -> dict[tuple[Any, ...], Target]:
    """Driver: mention key -> first target, read by DuckDB from the job's Parquet (the
    context strings are left there)."""
    keys = ", ".join(f'"{c}"' for c in MENTION_KEY)
    rows = store.con.execute(
        f"SELECT {keys}, target_kind, target FROM "
        f"read_parquet('{(folder / '*.parquet').as_posix()}')"
    ).fetchall()
    return {
        tuple(r[: len(MENTION_KEY)]): (r[-2], r[-1]) if r[-2] is not None else None
        for r in rows
    }


def run_entities_on_spark(
    spark: Any, store: AnalysisStore, parquet: Path, settings: Settings
) -> None:
    """The ``entities`` step on Spark: fills ``mentions.entity``,
    ``attributions.source_entity`` and ``entities`` as ``entities_step`` does."""
    kb = KnowledgeBase.load(settings.kb_files)
    targets: dict[tuple[Any, ...], Target] = {}
    if _has_parquet(parquet / "mentions"):
        folder = write_entity_context(spark, parquet, kb)
        if _has_parquet(folder):
            targets = first_targets(store, folder)
    mentions = store.read("mentions", MENTION_ORDER)
    attributions = store.read("attributions", ATTRIBUTION_ORDER)
    # Every mention row has its target: a missing key would be a bug, so it fails loudly.
    first = [targets[tuple(m[c] for c in MENTION_KEY)] for m in mentions]
    result = EntityLinker(kb).link_targets(mentions, first, attributions)
    store_links(store, mentions, attributions, result)


def write_places(spark: Any, parquet: Path) -> Path:
    """Spark job: the corpus's places from ``place_mentions``, one row per place id, each
    column the first non-null value in :data:`PLACE_VALUE_ORDER` (ties by the value), as
    the local ``places_step`` picks it."""
    from pyspark.sql import functions as F

    out = parquet / "places"
    found = spark.read.parquet(str(parquet / "place_mentions")).where(F.col("place").isNotNull())

    def first_of(column: str) -> Any:
        c = F.col(column)
        # min_by skips rows whose ordering is null: those with no value for this column
        order = F.when(c.isNotNull(), F.struct(*PLACE_VALUE_ORDER, column))
        return F.min_by(c, order).alias(column)

    (
        found.groupBy(F.col("place").alias("id"))
        .agg(*(first_of(c) for c in PLACE_COLUMNS))
        .write.mode("overwrite").parquet(str(out))
    )
    return out


def run_places_on_spark(
    spark: Any, store: AnalysisStore, parquet: Path, settings: Settings
) -> None:
    """The ``places`` step on Spark: replaces the store's ``places`` table."""
    con = store.con
    columns = ", ".join(f'"{c}"' for c in CORPUS["places"])
    source = None
    if _has_parquet(parquet / "place_mentions"):
        folder = write_places(spark, parquet)
        if _has_parquet(folder):
            source = (folder / "*.parquet").as_posix()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute('DELETE FROM "places"')
        if source is not None:
            con.execute(
                f'INSERT INTO "places" ({columns}) SELECT {columns} '
                f"FROM read_parquet('{source}') ORDER BY id"
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


# Corpus steps the Spark engine runs as Spark jobs instead of the local step.
SPARK_STEPS: dict[str, Any] = {"entities": run_entities_on_spark, "places": run_places_on_spark}


def spark_step(name: str) -> Any:
    """The Spark version of a corpus step, or None (the local step then runs)."""
    return SPARK_STEPS.get(name)
