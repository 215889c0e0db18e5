"""Run the analysis on Apache Spark (``--engine spark --spark-master URL``).

The flow is the local engine's, as Spark jobs over DataFrames:

1. the driver expands the inputs into a list of file paths (names only, no text);
2. executors read the files (``mapInPandas``) with the same ingest readers;
3. exact duplicates are found with a window over the text hash;
4. executors parse documents in partitions with spaCy, loaded once per Python worker, and
   emit every per-document row (sentences, mentions, attributions, places, dates,
   quantities, language) through Arrow-based ``mapInPandas``;
5. text reuse runs as Spark joins and alignments (:mod:`sourcetrace.engines.spark_reuse`);
6. every table lands as Parquet (``DIR/spark-tables/``, then ``DIR/parquet/``).

The corpus-level linking that needs all of a table at once (entity clusters, claim clusters,
provenance) then runs in DuckDB straight over those Parquet files, out of core, on the
extracted tables only: the corpus text is never collected onto the driver.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sourcetrace.config import Settings
from sourcetrace.engines.local import Progress, RunResult, write_outputs
from sourcetrace.engines.steps import load_corpus_steps
from sourcetrace.ingest import IngestOptions
from sourcetrace.model import IngestError
from sourcetrace.outputs.store import DOCUMENTS, ERRORS, AnalysisStore
from sourcetrace.tables import PER_DOCUMENT

DOC_FIELDS = ["id", "text", "title", "outlet", "url", "published", "source_path", "language"]


def spark_type(sql_type: str) -> Any:
    from pyspark.sql import types as T

    base = sql_type.split()[0]
    if base.endswith("[]"):
        return T.ArrayType(spark_type(base[:-2]))
    return {
        "VARCHAR": T.StringType(), "INTEGER": T.IntegerType(), "DOUBLE": T.DoubleType(),
        "BOOLEAN": T.BooleanType(),
    }[base]


def spark_schema(columns: dict[str, str]) -> Any:
    from pyspark.sql import types as T

    return T.StructType([T.StructField(c, spark_type(t), True) for c, t in columns.items()])


def get_session(master: str = "local[*]", app: str = "sourcetrace") -> Any:
    """A SparkSession whose Python workers run this interpreter (where sourcetrace lives)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master).appName(app)
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # we draw our own progress bar
        .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
        .config("spark.executorEnv.HF_HUB_OFFLINE", "1")
        .config("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
        .getOrCreate()
    )


READ_COLUMNS = {
    **{f: "VARCHAR" for f in [*DOC_FIELDS, "content_hash"]},
    "n_words": "INTEGER", "problem": "VARCHAR", "path": "VARCHAR", "line": "INTEGER",
    "doc_id": "VARCHAR",
}


def _typed(rows: list[dict[str, Any]], columns: dict[str, str]) -> Any:
    """A pandas frame whose columns Arrow converts to the declared types (no NaN floats
    standing in for missing strings or integers)."""
    import pandas as pd

    data = {}
    for name, sql in columns.items():
        values = [r.get(name) for r in rows]
        if sql == "INTEGER":
            data[name] = pd.array(values, dtype="Int32")
        else:
            data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)


# -- executor side ----------------------------------------------------------------------------
def _read_partition(
    batches: Iterator[Any], options: IngestOptions
) -> Iterator[Any]:
    """Executor: file paths -> document rows and error rows (``problem`` set)."""

    from sourcetrace.ingest import _read_candidate
    from sourcetrace.ingest.enrich import MetadataSources
    from sourcetrace.ingest.paths import Candidate

    metadata = MetadataSources(options.meta)
    for batch in batches:
        out: list[dict[str, Any]] = []
        for path, root, explicit in zip(batch["path"], batch["root"], batch["explicit"],
                                        strict=True):
            items = list(metadata.take_errors())
            items += _read_candidate(Candidate(Path(path), bool(explicit), Path(root)), options,
                                     metadata)
            for item in items:
                if isinstance(item, IngestError):
                    out.append({"problem": item.problem, "path": item.path, "line": item.line,
                                "doc_id": item.doc_id})
                else:
                    row = {f: getattr(item, f) for f in DOC_FIELDS}
                    row.update(content_hash=item.content_hash, n_words=item.n_words)
                    out.append(row)
        yield _typed(out, READ_COLUMNS)


def _analyse_partition(batches: Iterator[Any], model: str, batch_size: int) -> Iterator[Any]:
    """Executor: documents -> (table, doc, row JSON). The pipeline is loaded once per worker."""
    import pandas as pd

    from sourcetrace.model import Document
    from sourcetrace.nlp.pipeline import analyze_documents

    for batch in batches:
        docs = [
            Document(**{f: None if pd.isna(v) else v for f, v in zip(DOC_FIELDS, row, strict=True)})
            for row in batch[DOC_FIELDS].itertuples(index=False, name=None)
        ]
        out: list[tuple[str, str, str]] = []
        for document, rows in analyze_documents(docs, model, batch_size):
            for table, items in rows.items():
                out.extend((table, document.id, json.dumps(r, ensure_ascii=False)) for r in items)
        yield pd.DataFrame(out, columns=["table", "doc", "row"])


# -- driver side ------------------------------------------------------------------------------
def run_analysis_spark(
    inputs: Sequence[str | Path],
    settings: Settings,
    ingest_options: IngestOptions | None = None,
    progress: Progress | None = None,
    spark: Any = None,
) -> RunResult:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
    from pyspark.sql.window import Window

    from sourcetrace.ingest.paths import Missing, expand
    from sourcetrace.nlp.pipeline import pipeline_version

    started = time.perf_counter()
    tick: Progress = progress or (lambda stage, advance, total: None)
    options = ingest_options or IngestOptions()
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    parquet = out / "spark-tables"  # what the Spark jobs write; loaded into the store below
    shutil.rmtree(parquet, ignore_errors=True)
    result = RunResult(out=out)
    version = pipeline_version(settings.model)
    own_session = spark is None
    spark = spark or get_session(settings.spark_master)
    spark.sparkContext.setLogLevel("ERROR")
    try:
        files, missing = [], []
        for c in expand(inputs):
            if isinstance(c, Missing):
                missing.append(IngestError(c.input, c.problem))
            else:
                files.append((str(c.path), str(c.root), c.explicit))
        tick("read", 0, 4)
        schema = T.StructType([
            T.StructField("path", T.StringType()), T.StructField("root", T.StringType()),
            T.StructField("explicit", T.BooleanType()),
        ])
        parallelism = spark.sparkContext.defaultParallelism
        files_df = spark.createDataFrame(files, schema).repartition(
            max(1, min(len(files), parallelism * 2))
        )
        read_schema = spark_schema(READ_COLUMNS)
        read = files_df.mapInPandas(
            lambda it: _read_partition(it, options), read_schema
        ).persist()
        errors_df = read.filter(F.col("problem").isNotNull()).select(*ERRORS)
        errors_df.write.parquet(str(parquet / "errors"))
        first = Window.partitionBy("content_hash").orderBy("id")
        docs = (
            read.filter(F.col("problem").isNull())
            .withColumn("first_id", F.first("id").over(first))
            .withColumn(
                "duplicate_of",
                F.when(F.col("first_id") != F.col("id"), F.col("first_id")),
            )
            .withColumn("pipeline_version", F.lit(version))
            .persist()
        )
        docs.select(*[c for c in DOCUMENTS]).write.parquet(str(parquet / "documents"))
        tick("read", 1, 4)
        unique = docs.filter(F.col("duplicate_of").isNull()).select(*DOC_FIELDS)
        unique = unique.repartition(max(parallelism * 2, 1))
        rows = unique.mapInPandas(
            lambda it: _analyse_partition(it, settings.model, settings.batch_size),
            "table string, doc string, row string",
        ).persist()
        for table, columns in PER_DOCUMENT.items():
            (
                rows.filter(F.col("table") == table)
                .select(F.from_json("row", spark_schema(columns)).alias("r"))
                .select("r.*")
                .write.parquet(str(parquet / table))
            )
        tick("read", 1, 4)
        _reuse_on_spark(spark, unique, settings, parquet)
        tick("read", 1, 4)
        rows.unpersist()
        docs.unpersist()
        read.unpersist()
    finally:
        if own_session:
            spark.stop()

    with AnalysisStore(out) as store:
        _load_parquet(store, parquet, version)
        store.save_errors(
            [*missing, *[IngestError(r["path"], r["problem"], r["line"], r["doc_id"])
                         for r in store.read("errors")]]
        )
        result.errors = [
            IngestError(r["path"], r["problem"], r["line"], r["doc_id"])
            for r in store.read("errors", "ORDER BY path, line")
        ]
        result.analysed = store.con.execute(
            "SELECT count(*) FROM documents WHERE duplicate_of IS NULL"
        ).fetchone()[0]
        result.duplicates = store.con.execute(
            "SELECT count(*) FROM documents WHERE duplicate_of IS NOT NULL"
        ).fetchone()[0]
        result.words = store.con.execute(
            "SELECT coalesce(sum(n_words), 0) FROM documents WHERE duplicate_of IS NULL"
        ).fetchone()[0]
        steps = [(n, s) for n, s in load_corpus_steps() if n != "reuse"]
        for _name, step in steps:
            step(store, settings)  # type: ignore[operator]
        tick("read", 1, 4)
        formats = tuple(sorted(set(settings.formats) | {"parquet"}))
        result.outputs.update(write_outputs(store, _with(settings, formats), version))
    result.seconds = time.perf_counter() - started
    return result


def _with(settings: Settings, formats: tuple[str, ...]) -> Settings:
    from dataclasses import replace

    return replace(settings, formats=formats)


def _reuse_on_spark(spark: Any, docs: Any, settings: Settings, parquet: Path) -> None:
    try:
        from sourcetrace.engines.spark_reuse import find_reuse_spark
        from sourcetrace.link.reuse import ReuseSettings
    except ModuleNotFoundError:
        return
    reuse_settings = ReuseSettings.from_settings(settings) if hasattr(
        ReuseSettings, "from_settings") else ReuseSettings()
    find_reuse_spark(spark, docs, reuse_settings).write.parquet(str(parquet / "reuse"))


def _load_parquet(store: AnalysisStore, parquet: Path, version: str) -> None:
    """Fill the DuckDB store from the Parquet tables the Spark jobs wrote."""
    tables = {"documents": DOCUMENTS, "errors": ERRORS, **PER_DOCUMENT}
    from sourcetrace.tables import CORPUS

    tables["reuse"] = CORPUS["reuse"]
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        for table, columns in tables.items():
            folder = parquet / table
            con.execute(f'DELETE FROM "{table}"')
            if not any(folder.glob("*.parquet")):
                continue
            cols = ", ".join(f'"{c}"' for c in columns)
            con.execute(
                f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM '
                f"read_parquet('{(folder / '*.parquet').as_posix()}')"
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
