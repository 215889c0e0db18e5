"""Text reuse on Apache Spark: the same passages as :func:`sourcetrace.link.reuse.find_reuse`.

The stages are DataFrame operations, so they run on any cluster (``local[*]`` by default):

1. ``mapInArrow`` tokenises each document and emits its shingles ``(doc, h, pos)`` with the
   same numpy code as the local engine (hashes are stable across processes).
2. Document frequency per shingle hash; only "rare" hashes (2..``max_df`` documents) stay,
   minus those in more than ``max_outlet_df`` documents of one outlet (its boilerplate) and
   the occurrences of one a document repeats more than ``max_repeat`` times.
3. A self-join on the hash gives the anchors ``(a, b, pa, pb)`` with ``a < b``; pairs with
   fewer than ``min_anchors`` are dropped.
4. Per pair, the anchors and both texts go to ``mapInArrow``, which calls the local engine's
   :func:`~sourcetrace.link.reuse.align_pair`, so both engines align identically.
5. Reuse clusters are connected components over the document pairs that share a passage. The
   edge list (one row per linked pair, far smaller than the corpus) is collected to the driver
   for a union-find and joined back as a small DataFrame.

Only pyarrow is needed on the workers (``mapInArrow``), not pandas.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sourcetrace.config import Settings
from sourcetrace.link.reuse import (
    Match,
    ReuseSettings,
    align_pair,
    cluster_ids,
    earlier_of,
    shingles,
    tokenize,
)
from sourcetrace.tables import CORPUS

SHINGLE_SCHEMA = "doc string, h long, pos int"
MATCH_SCHEMA = (
    "a string, b string, earlier string, same_outlet boolean, a_start int, a_end int, "
    "b_start int, b_end int, words int, similarity double"
)
REUSE_COLUMNS = [
    "a", "b", "earlier", "same_outlet", "cluster", "a_start", "a_end", "b_start", "b_end",
    "words", "similarity",
]


def _shingle_batches(ngram: int) -> Any:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            docs, hashes, positions = [], [], []
            for doc, text in zip(
                batch.column("id").to_pylist(), batch.column("text").to_pylist(), strict=True
            ):
                sh = shingles(tokenize(text or "").hashes, ngram)
                if len(sh):
                    docs.append(np.full(len(sh), doc, dtype=object))
                    hashes.append(sh.view(np.int64))  # Spark has no unsigned 64-bit type
                    positions.append(np.arange(len(sh), dtype=np.int32))
            if docs:
                yield pa.RecordBatch.from_arrays(
                    [
                        pa.array(np.concatenate(docs), type=pa.string()),
                        pa.array(np.concatenate(hashes)),
                        pa.array(np.concatenate(positions)),
                    ],
                    names=["doc", "h", "pos"],
                )

    return run


def _align_batches(settings: ReuseSettings) -> Any:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        names = MATCH_SCHEMA_NAMES
        for batch in batches:
            out: dict[str, list[Any]] = {n: [] for n in names}
            rows = batch.to_pylist()
            for r in rows:
                anchors = r["anchors"]
                pa_ = np.fromiter((x["pa"] for x in anchors), dtype=np.int64, count=len(anchors))
                pb_ = np.fromiter((x["pb"] for x in anchors), dtype=np.int64, count=len(anchors))
                matches: list[Match] = align_pair(
                    tokenize(r["a_text"] or ""), tokenize(r["b_text"] or ""), pa_, pb_, settings
                )
                earlier = earlier_of(r["a"], r["a_published"], r["b"], r["b_published"])
                same = r["a_outlet"] is not None and r["a_outlet"] == r["b_outlet"]
                for m in matches:
                    for name, value in (
                        ("a", r["a"]), ("b", r["b"]), ("earlier", earlier), ("same_outlet", same),
                        ("a_start", m.a_start), ("a_end", m.a_end), ("b_start", m.b_start),
                        ("b_end", m.b_end), ("words", m.words), ("similarity", m.similarity),
                    ):
                        out[name].append(value)
            yield pa.RecordBatch.from_pydict(out, schema=MATCH_ARROW_SCHEMA)

    return run


MATCH_SCHEMA_NAMES = [c.split()[0] for c in MATCH_SCHEMA.split(", ")]
MATCH_ARROW_SCHEMA = pa.schema(
    [
        ("a", pa.string()), ("b", pa.string()), ("earlier", pa.string()),
        ("same_outlet", pa.bool_()), ("a_start", pa.int32()), ("a_end", pa.int32()),
        ("b_start", pa.int32()), ("b_end", pa.int32()), ("words", pa.int32()),
        ("similarity", pa.float64()),
    ]
)


def find_reuse_spark(spark: Any, docs_df: Any, settings: ReuseSettings) -> Any:
    """Reuse passages of ``docs_df`` (columns ``id, text, outlet, published``) as a DataFrame
    with the columns of the ``reuse`` table."""
    from pyspark.sql import functions as F

    s = settings
    docs = docs_df.select(
        F.col("id").cast("string").alias("id"), "text", "outlet",
        F.col("published").cast("string").alias("published"),
    )
    sh = docs.select("id", "text").mapInArrow(_shingle_batches(s.ngram), SHINGLE_SCHEMA)
    rare = (
        sh.groupBy("h")
        .agg(F.countDistinct("doc").alias("df"))
        .where((F.col("df") >= 2) & (F.col("df") <= s.max_df))
        .select("h")
    )
    # Outlet boilerplate: more than max_outlet_df documents of one outlet (documents without an
    # outlet count as their own), as in the local engine.
    outlet_key = F.coalesce(F.col("outlet"), F.concat(F.lit("\0"), F.col("id")))
    outlets = docs.select(F.col("id").alias("doc"), outlet_key.alias("okey"))
    boiler = (
        sh.join(rare, "h").join(outlets, "doc")
        .groupBy("h", "okey").agg(F.countDistinct("doc").alias("odf"))
        .where(F.col("odf") > s.max_outlet_df)
        .select("h").distinct()
    )
    rare = rare.join(boiler, "h", "left_anti")
    postings = sh.join(rare, "h")
    # As in the local engine: occurrences a document repeats more than max_repeat times go.
    repeated = (
        postings.groupBy("h", "doc").count().where(F.col("count") <= s.max_repeat)
        .select("h", "doc")
    )
    postings = postings.join(repeated, ["h", "doc"])
    x, y = postings.alias("x"), postings.alias("y")
    anchors = x.join(y, (F.col("x.h") == F.col("y.h")) & (F.col("x.doc") < F.col("y.doc"))).select(
        F.col("x.doc").alias("a"), F.col("y.doc").alias("b"),
        F.struct(F.col("x.pos").alias("pa"), F.col("y.pos").alias("pb")).alias("anchor"),
    )
    pairs = (
        anchors.groupBy("a", "b")
        .agg(F.count("*").alias("n"), F.collect_list("anchor").alias("anchors"))
        .where(F.col("n") >= s.min_anchors)
    )
    da = docs.select(
        F.col("id").alias("a"), F.col("text").alias("a_text"),
        F.col("outlet").alias("a_outlet"), F.col("published").alias("a_published"),
    )
    db = docs.select(
        F.col("id").alias("b"), F.col("text").alias("b_text"),
        F.col("outlet").alias("b_outlet"), F.col("published").alias("b_published"),
    )
    matched = (
        pairs.join(da, "a").join(db, "b")
        .select("a", "b", "anchors", "a_text", "b_text", "a_outlet", "b_outlet", "a_published",
                "b_published")
        .mapInArrow(_align_batches(s), MATCH_SCHEMA)
        .cache()
    )
    edges = [(r["a"], r["b"]) for r in matched.select("a", "b").distinct().collect()]
    clusters = cluster_ids(edges)
    cluster_df = spark.createDataFrame(
        sorted(clusters.items()) or [("", -1)], "a string, cluster int"
    )
    return matched.join(cluster_df, "a").select(*REUSE_COLUMNS)


def run_reuse_on_spark(
    spark: Any, store: Any, folders: dict[str, Path], work: Path, settings: Settings
) -> None:
    """The reuse step of the Spark engine: passages of the stored documents (no
    duplicates) found by the jobs above, loaded into the store."""
    from pyspark.sql import functions as F

    from sourcetrace.engines.spark import finished, replace_from_parquet

    if not finished(work, ["reuse"]):
        docs = spark.read.parquet(str(folders["documents"])).where(
            F.col("duplicate_of").isNull()
        )
        find_reuse_spark(spark, docs, ReuseSettings.from_settings(settings)).write.mode(
            "overwrite"
        ).parquet(str(work / "reuse"))
    replace_from_parquet(store, {"reuse": (CORPUS["reuse"], work / "reuse", None)})
