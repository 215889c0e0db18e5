"""The ``provenance`` corpus step as a Spark job: each claim cluster is analysed on an
executor from that cluster's rows alone, brought together by joins.

A cluster's provenance (:func:`sourcetrace.provenance.independence.analyse_cluster`) needs

* the cluster's claims: those it lists, and those whose ``cluster`` column names it (the
  "twin" of a copied claim is looked up among the latter);
* the attribution chain of each claim (the attribution and its parents, which all lie in the
  claim's document, so each document's chains are worked out on one executor);
* the ``reuse`` rows touching the claims' documents;
* ``id, outlet, published`` of the claims' documents and of the other documents of those
  reuse rows;
* the ``Actors``, read from the small ``entities`` table and broadcast.

Each of those becomes a row ``(key, kind, payload)``: the cluster id, what the row is, and the
table row as JSON; the union is grouped by cluster (``collect_list``, then ``mapInPandas``
over batches of clusters) and every group gives
the cluster's ``origins``, ``independent_origins``, ``outlets``, ``amplification`` and
``flags``, computed by the same code as the local step. The result is joined back onto the
``claim_clusters`` rows. Nothing of the corpus comes back to the driver: it reads only the
``entities`` table (for the broadcast) and the folder of Parquet files the executors write.

Input layout: ``tables/<table>/`` holds one table as Parquet, in one or several part files
(what DuckDB's ``COPY ... TO`` and Spark's ``write.parquet`` each produce), with the columns
of :data:`sourcetrace.tables.CORPUS` / :data:`sourcetrace.tables.PER_DOCUMENT` (extra
columns are ignored) for ``claims``, ``claim_clusters``, ``attributions``, ``reuse`` and
``entities``, and ``id, outlet, published`` for ``documents``. ``documents`` holds only the
documents that are no exact duplicates, or has a ``duplicate_of`` column to tell them apart.
Every folder must hold at least one Parquet file (an empty table: a file with no rows).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.provenance.actors import Actors
from sourcetrace.provenance.independence import Corpus, analyse_cluster, chain_ids
from sourcetrace.tables import CORPUS, PER_DOCUMENT

# What provenance_spark reads from ``tables/<name>/``.
INPUT_TABLES = ("claims", "claim_clusters", "attributions", "reuse", "documents", "entities")
DOC_COLUMNS = ("id", "outlet", "published")
# The claim_clusters columns provenance fills; the others pass through the job untouched.
FILLED = ("origins", "independent_origins", "outlets", "amplification", "flags")
RESULT_SCHEMA = (
    "id string, origins string, independent_origins int, outlets array<string>, "
    "amplification double, flags array<string>"
)
POSITION = "_pos"  # a cluster's row number in the store, to put the rows back in that order

# Columns of each kind of payload: Spark's to_json leaves out NULL fields, and the
# provenance code reads some columns by subscript, so every row is given all of them back.
PAYLOAD_COLUMNS: dict[str, tuple[str, ...]] = {
    "cluster": ("id", "claims"),
    "claim": tuple(CORPUS["claims"]),
    "attribution": tuple(PER_DOCUMENT["attributions"]),
    "reuse": tuple(CORPUS["reuse"]),
    "document": DOC_COLUMNS,
}


# -- executor side ----------------------------------------------------------------------------
def _chains(frame: Any) -> Any:
    """Executor: one document's attributions -> (attribution, member of its chain) pairs."""
    import pandas as pd

    by_id = {
        a: {"parent": None if pd.isna(p) else p}
        for a, p in zip(frame["id"], frame["parent"], strict=True)
    }
    pairs = [(a, member) for a in by_id for member in chain_ids(by_id, a)]
    return pd.DataFrame(pairs, columns=["attribution", "member"], dtype=object)


def _rows(payloads: Iterable[str], kind: str) -> list[dict[str, Any]]:
    columns = PAYLOAD_COLUMNS[kind]
    out = []
    for text in payloads:
        row = json.loads(text)
        out.append({c: row.get(c) for c in columns})
    return out


def analyse_rows(rows: Iterable[tuple[str, str]], actors: Actors) -> dict[str, Any]:
    """One cluster's ``(kind, payload)`` rows -> its ``id`` and the columns provenance fills."""
    by_kind: dict[str, list[str]] = {kind: [] for kind in PAYLOAD_COLUMNS}
    for kind, payload in rows:
        by_kind[kind].append(payload)
    # Every group has its cluster's row: the other rows are all joined to a cluster id.
    [cluster] = _rows(by_kind["cluster"], "cluster")
    cluster["claims"] = cluster["claims"] or []
    corpus = Corpus.from_rows(
        docs=_rows(by_kind["document"], "document"),
        attributions=_rows(by_kind["attribution"], "attribution"),
        claims=_rows(by_kind["claim"], "claim"),
        reuse=_rows(by_kind["reuse"], "reuse"),
        actors=actors,
    )
    return {"id": cluster["id"], **analyse_cluster(corpus, cluster)}


def _analyse_batches(batches: Iterator[Any], actors: Actors) -> Iterator[Any]:
    """Executor: batches of clusters, each with the list of its rows -> provenance rows.
    One frame a batch of clusters, not one a cluster: pandas' cost per frame was six times
    that of the provenance itself (1.4 ms against 0.2 ms a cluster on the demo corpus)."""
    import pandas as pd

    for batch in batches:
        out = [
            analyse_rows(((r["kind"], r["payload"]) for r in rows), actors)
            for rows in batch["rows"]
        ]
        yield pd.DataFrame({
            "id": pd.Series([r["id"] for r in out], dtype=object),
            "origins": pd.Series([r["origins"] for r in out], dtype=object),
            "independent_origins": pd.array(
                [r["independent_origins"] for r in out], dtype="Int32"
            ),
            "outlets": pd.Series([list(r["outlets"]) for r in out], dtype=object),
            "amplification": pd.array([float(r["amplification"]) for r in out], dtype="Float64"),
            "flags": pd.Series([list(r["flags"]) for r in out], dtype=object),
        })


# -- driver side ------------------------------------------------------------------------------
def read_actors(tables: Path) -> Actors:
    """The ``entities`` table (small: one row per actor) read by the driver, to broadcast."""
    import pyarrow.parquet as pq

    return Actors.from_rows(pq.read_table(tables / "entities").to_pylist())


def provenance_spark(spark: Any, tables: Path) -> Any:
    """The ``claim_clusters`` rows of ``tables`` with provenance filled, as a DataFrame: the
    table's columns in :data:`~sourcetrace.tables.CORPUS` order, then any extra columns the
    input had (such as the row position :func:`run_provenance_on_spark` adds)."""
    from pyspark.sql import functions as F

    def read(name: str) -> Any:
        return spark.read.parquet(str(tables / name))

    def typed(frame: Any, kind: str) -> Any:
        payload = F.to_json(F.struct(*(F.col(c) for c in PAYLOAD_COLUMNS[kind])))
        return frame.select("key", F.lit(kind).alias("kind"), payload.alias("payload"))

    clusters = read("claim_clusters")
    claims = read("claims")
    attributions = read("attributions")
    reuse = read("reuse")
    documents = read("documents")
    if "duplicate_of" in documents.columns:
        documents = documents.where(F.col("duplicate_of").isNull())
    documents = documents.select(*DOC_COLUMNS)

    # The claims of each cluster: listed in its row, or naming it in their cluster column
    # (the same claims when the claims step wrote both; the union keeps the result the
    # local step's even where they are not).
    keys = clusters.select(F.col("id").alias("key"))
    listed = (
        clusters.select(F.col("id").alias("key"), F.explode("claims").alias("id"))
        .join(claims, "id")
    )
    named = claims.withColumn("key", F.col("cluster")).join(keys, "key", "left_semi")
    cluster_claims = listed.unionByName(named).dropDuplicates(["key", "id"])
    cluster_docs = cluster_claims.select("key", "doc").distinct()

    # Attribution chains never leave their document: worked out per document, then the
    # chain members of each claim's attribution are joined to the cluster.
    chains = attributions.select("doc", "id", "parent").groupBy("doc").applyInPandas(
        _chains, "attribution string, member string"
    )
    cluster_atts = (
        cluster_claims.where(F.col("attribution").isNotNull())
        .select("key", "attribution")
        .join(chains, "attribution")
        .select("key", F.col("member").alias("id"))
        .distinct()
        .join(attributions, "id")
    )

    # Reuse rows touching a claim's document, from either side (one row per cluster even
    # when both sides are claims' documents).
    sides = reuse.select(F.to_json(F.struct(*PAYLOAD_COLUMNS["reuse"])).alias("payload"),
                         "a", "b")
    touching = (
        sides.withColumn("doc", F.col("a")).unionByName(sides.withColumn("doc", F.col("b")))
        .join(cluster_docs, "doc")
        .select("key", "payload", "a", "b")
        .distinct()
    )
    cluster_reuse = touching.select("key", F.lit("reuse").alias("kind"), "payload")
    needed_docs = (
        cluster_docs.unionByName(touching.select("key", F.col("a").alias("doc")))
        .unionByName(touching.select("key", F.col("b").alias("doc")))
        .distinct()
        .join(documents.withColumnRenamed("id", "doc"), "doc")
        .withColumnRenamed("doc", "id")
    )

    rows = (
        typed(clusters.withColumn("key", F.col("id")), "cluster")
        .unionByName(typed(cluster_claims, "claim"))
        .unionByName(typed(cluster_atts, "attribution"))
        .unionByName(cluster_reuse)
        .unionByName(typed(needed_docs, "document"))
    )
    actors = spark.sparkContext.broadcast(read_actors(tables))
    # Each cluster's rows gathered into one list (an aggregate on the executors), so that
    # Python takes whole batches of clusters at a time.
    grouped = rows.groupBy("key").agg(F.collect_list(F.struct("kind", "payload")).alias("rows"))
    filled = grouped.mapInPandas(
        lambda batches: _analyse_batches(batches, actors.value), RESULT_SCHEMA
    )
    columns = list(CORPUS["claim_clusters"])
    extra = [c for c in clusters.columns if c not in columns]
    return (
        clusters.drop(*FILLED).join(filled, "id")
        .select(*columns, *extra)
    )


def export_tables(store: AnalysisStore, folder: Path) -> None:
    """Write what provenance reads from the store to ``folder/<table>/part-0.parquet``;
    ``claim_clusters`` gains its row position (:data:`POSITION`)."""
    shutil.rmtree(folder, ignore_errors=True)
    queries = {
        "claims": 'SELECT * FROM "claims"',
        "claim_clusters": f'SELECT *, rowid AS "{POSITION}" FROM "claim_clusters"',
        "attributions": 'SELECT * FROM "attributions"',
        "reuse": 'SELECT * FROM "reuse"',
        "documents": f"SELECT {', '.join(DOC_COLUMNS)} FROM documents "
                     "WHERE duplicate_of IS NULL",
        "entities": 'SELECT * FROM "entities"',
    }
    for name in INPUT_TABLES:
        (folder / name).mkdir(parents=True)
        target = (folder / name / "part-0.parquet").as_posix()
        store.con.execute(f"COPY ({queries[name]}) TO '{target}' (FORMAT parquet)")


def run_provenance_on_spark(spark: Any, store: AnalysisStore, folder: Path) -> None:
    """The ``provenance`` corpus step on Spark: export its tables from the store to
    ``folder/provenance-in/``, run :func:`provenance_spark`, whose executors write
    ``folder/provenance-out/``, and replace ``claim_clusters`` in the store with that, in
    the store's row order. ``folder`` must be shared with the executors (``DIR/spark-tables``)."""
    if store.count("claim_clusters") == 0:
        return  # nothing to fill (and Spark cannot infer a schema from no rows to group)
    given, written = folder / "provenance-in", folder / "provenance-out"
    export_tables(store, given)
    shutil.rmtree(written, ignore_errors=True)
    provenance_spark(spark, given).write.parquet(str(written))
    columns = ", ".join(f'"{c}"' for c in CORPUS["claim_clusters"])
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute('DELETE FROM "claim_clusters"')
        con.execute(
            f'INSERT INTO "claim_clusters" ({columns}) SELECT {columns} FROM '
            f"read_parquet('{(written / '*.parquet').as_posix()}') ORDER BY \"{POSITION}\""
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
