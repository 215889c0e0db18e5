"""Run the analysis on Apache Spark (``--engine spark --spark-master URL``).

The flow is the local engine's, as Spark jobs over DataFrames:

1. the driver expands the inputs into a list of file paths (names only, no text);
2. executors read the files (``mapInPandas``) with the same ingest readers;
3. reused ids, repeats and other appearances of one text are found by the selection SQL
   both engines run (:mod:`sourcetrace.ingest.selection`);
4. executors parse documents in partitions with spaCy, loaded once per Python worker, and
   emit every per-document row (sentences, mentions, attributions, places, dates,
   quantities, language) through Arrow-based ``mapInPandas``;
5. every table lands as Parquet (``DIR/spark-tables/``) and in the DuckDB store;
6. the corpus steps run in registry order (:func:`run_corpus_step`), each declaration's
   stages as Spark jobs (:mod:`sourcetrace.engines.spark_steps`); what a step writes goes
   to the store and, as Parquet, to the steps after it (``DIR/spark-tables/steps/<step>/``).

This module schedules and moves data; what a step computes lives in ``link/`` and
``provenance/``, once for both engines. A run interrupted during the Spark jobs resumes:
tables whose job finished, and steps that finished, are kept when the inputs, pipeline and
options are unchanged (:func:`prepare_tables`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sourcetrace.config import Settings
from sourcetrace.corpus import CorpusStep
from sourcetrace.engines.local import Progress, RunResult, write_outputs
from sourcetrace.engines.spark_steps import run_step_spark, spark_schema
from sourcetrace.engines.steps import load_corpus_steps
from sourcetrace.ingest import DUPLICATE_ID, IngestOptions
from sourcetrace.ingest.selection import selection_sql
from sourcetrace.model import IngestError
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.tables import CACHES, DOCUMENTS, ERRORS, PER_DOCUMENT, STORE_TABLES

log = logging.getLogger(__name__)

DOC_FIELDS = [
    "id", "text", "title", "outlet", "outlet_inferred", "url", "published", "source_path",
    "language",
]


def _on_loopback(master: str) -> bool:
    from urllib.parse import urlparse

    return master.startswith("local") or urlparse(master).hostname in {"127.0.0.1", "localhost"}


def get_session(master: str = "local[*]", app: str = "sourcetrace") -> Any:
    """A SparkSession whose Python workers run the interpreter named by ``PYSPARK_PYTHON``
    (by default this one, where sourcetrace lives).

    The driver binds to ``SPARK_LOCAL_IP`` (loopback unless set): on a cluster of several
    machines, set it to an address the executors can reach."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    address = os.environ["SPARK_LOCAL_IP"]
    builder = (
        SparkSession.builder.master(master).appName(app)
        .config("spark.driver.bindAddress", address)
        .config("spark.driver.host", address)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # The corpus steps' SQL is one text for DuckDB and Spark: "quoted" identifiers.
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.ansi.doubleQuotedIdentifiers", "true")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # we draw our own progress bar
        # The executors' interpreter must have sourcetrace and its models installed; by
        # default it is this one, so the venv must sit at the same path on every worker.
        .config("spark.executorEnv.PYSPARK_PYTHON", os.environ["PYSPARK_PYTHON"])
        .config("spark.executorEnv.HF_HUB_OFFLINE", "1")
    )
    if _on_loopback(master):  # one machine: keep every executor on loopback too
        builder = builder.config("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
    return builder.getOrCreate()


READ_COLUMNS = {
    **{f: "VARCHAR" for f in [*DOC_FIELDS, "content_hash", "appearance"]},
    "n_words": "INTEGER", "problem": "VARCHAR", "path": "VARCHAR", "line": "INTEGER",
    "doc_id": "VARCHAR", "kind": "VARCHAR",
    # Position in the input, as the local engine meets it: file number, item number in the
    # file. "First" (which of two equal texts or ids is kept) is decided by this order.
    "fi": "INTEGER", "seq": "INTEGER",
}
ORDER = ["fi", "seq"]


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
    """Executor: file paths -> document rows and error rows (``problem`` set).

    Metadata-file problems are not reported here: every partition loads the metadata files
    again, so the driver reports each of them once, where the local engine would."""

    from sourcetrace.ingest import read_candidate
    from sourcetrace.ingest.enrich import MetadataSources
    from sourcetrace.ingest.paths import Candidate
    from sourcetrace.ingest.selection import appearance_key

    metadata = MetadataSources(options.meta)
    for batch in batches:
        out: list[dict[str, Any]] = []
        for fi, path, root, explicit in zip(
            batch["fi"], batch["path"], batch["root"], batch["explicit"], strict=True
        ):
            candidate = Candidate(Path(path), bool(explicit), Path(root))
            seq = 0
            for item in read_candidate(candidate, options, metadata):
                if isinstance(item, IngestError):
                    if item.problem.startswith("metadata file:"):
                        continue
                    row: dict[str, Any] = {"problem": item.problem, "path": item.path,
                                           "line": item.line, "doc_id": item.doc_id,
                                           "kind": item.kind}
                else:
                    row = {f: getattr(item, f) for f in DOC_FIELDS}
                    row.update(content_hash=item.content_hash, n_words=item.n_words,
                               appearance=appearance_key(item))
                row.update(fi=int(fi), seq=seq)
                seq += 1
                out.append(row)
            metadata.errors.clear()
        yield _typed(out, READ_COLUMNS)


def plan_inputs(
    inputs: Sequence[str | Path], options: IngestOptions
) -> tuple[list[tuple[int, str, str, bool]], list[tuple[int, int, IngestError]]]:
    """Driver: the files to read, numbered in input order (each file once, as the local
    engine reads them), and the problems found without reading any document: missing inputs
    and bad metadata files, each with its place in that order. Only metadata files are read."""
    from sourcetrace.ingest import metadata_paths
    from sourcetrace.ingest.enrich import MetadataSources
    from sourcetrace.ingest.paths import Missing, expand

    metadata = MetadataSources(options.meta)
    problems = [(-1, k, e) for k, e in enumerate(metadata.take_errors())]
    files: list[tuple[int, str, str, bool]] = []
    seen: set[Path] = set()
    meta_files = metadata_paths(options)  # read as metadata, not reported as unknown files
    for fi, c in enumerate(expand(inputs)):
        if isinstance(c, Missing):
            problems.append((fi, -1, IngestError(c.input, c.problem)))
            continue
        key = c.path.resolve()
        if key in seen or (key in meta_files and not c.explicit):
            continue
        seen.add(key)
        metadata.for_file(c.path, c.root)
        found = list(metadata.take_errors())  # reported just before the file's own items
        problems += [(fi, k - len(found), e) for k, e in enumerate(found)]
        files.append((fi, str(c.path), str(c.root), c.explicit))
    return files, problems


FAILED = "_failed"  # pseudo-table of documents whose analysis failed (row tag)
FAILED_FOLDER = "failed"  # ... and the folder its rows land in
FAILED_COLUMNS = {"path": "VARCHAR", "problem": "VARCHAR", "doc_id": "VARCHAR"}


def _analyse_partition(batches: Iterator[Any], model: str, batch_size: int) -> Iterator[Any]:
    """Executor: documents -> (table, doc, row JSON). The pipeline is loaded once per worker."""
    import pandas as pd

    from sourcetrace.model import Document
    from sourcetrace.nlp.pipeline import analyze_safely

    for batch in batches:
        docs = [
            Document(**{f: None if pd.isna(v) else v for f, v in zip(DOC_FIELDS, row, strict=True)})
            for row in batch[DOC_FIELDS].itertuples(index=False, name=None)
        ]
        out: list[tuple[str, str, str]] = []
        analysed, failed = analyze_safely(docs, model, batch_size)
        for document, rows in analysed:
            for table, items in rows.items():
                out.extend((table, document.id, json.dumps(r, ensure_ascii=False)) for r in items)
        for err in failed:  # a document an extractor choked on: reported, not fatal
            row = {"path": err.path, "problem": err.problem, "doc_id": err.doc_id}
            out.append((FAILED, err.doc_id or "", json.dumps(row, ensure_ascii=False)))
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

    from sourcetrace.nlp.pipeline import pipeline_version

    started = time.perf_counter()
    tick: Progress = progress or (lambda stage, advance, total: None)
    options = ingest_options or IngestOptions()
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    parquet = out / "spark-tables"  # what the Spark jobs write; loaded into the store below
    result = RunResult(out=out)
    version = pipeline_version(settings.model)
    own_session = spark is None
    spark = spark or get_session(settings.spark_master)
    spark.sparkContext.setLogLevel("ERROR")
    try:
        files, problems = plan_inputs(inputs, options)
        if prepare_tables(parquet, run_fingerprint(files, settings, options, version)):
            log.info("resuming: Spark tables of an earlier run of these inputs are kept")
        tick("analyse", 0, 4)
        parallelism = spark.sparkContext.defaultParallelism
        if not finished(parquet, INGEST_TABLES):
            _ingest(spark, files, options, version, parquet)
        tick("analyse", 1, 4)
        if not finished(parquet, [*PER_DOCUMENT, FAILED_FOLDER]):
            unique = spark.read.parquet(str(parquet / "documents")).where(
                F.col("duplicate_of").isNull()
            ).select(*DOC_FIELDS)
            # Several tasks per core: a slow partition then leaves no core idle at the end,
            # and a Python worker (with its pipeline) is reused across tasks, so more tasks
            # cost little.
            unique = unique.repartition(max(parallelism * 4, 1))
            rows = unique.mapInPandas(
                lambda it: _analyse_partition(it, settings.model, settings.batch_size),
                "table string, doc string, row string",
            ).persist()
            outputs = [(t, t, c) for t, c in PER_DOCUMENT.items()]
            for tag, folder, columns in [*outputs, (FAILED, FAILED_FOLDER, FAILED_COLUMNS)]:
                (
                    rows.filter(F.col("table") == tag)
                    .select(F.from_json("row", spark_schema(columns)).alias("r"))
                    .select("r.*")
                    .write.mode("overwrite").parquet(str(parquet / folder))
                )
            rows.unpersist()
        tick("analyse", 1, 4)
        folders = stored_tables(spark, parquet)
        tick("analyse", 1, 4)
        # ingest, NLP and extraction: the Spark jobs (session start-up included)
        result.stages["analyse"] = time.perf_counter() - started
        with AnalysisStore(out) as store:
            _load_parquet(store, parquet)
            # Problems in input order, as the local engine reports them.
            found = store.con.execute(
                f"SELECT fi, seq, path, problem, line, doc_id, kind FROM read_parquet("
                f"'{(parquet / 'errors' / '*.parquet').as_posix()}')"
            ).fetchall()
            ordered = [
                *problems,
                *((fi, seq, IngestError(path, problem or DUPLICATE_ID.format(doc_id), line, doc_id,
                                        kind or "error"))
                  for fi, seq, path, problem, line, doc_id, kind in found),
            ]
            ordered.sort(key=lambda p: (p[0], p[1]))
            result.errors = [e for _, _, e in ordered]
            failed = [
                IngestError(path, problem, None, doc_id)
                for path, problem, doc_id in store.con.execute(
                    "SELECT path, problem, doc_id FROM read_parquet("
                    f"'{(parquet / FAILED_FOLDER / '*.parquet').as_posix()}') ORDER BY doc_id"
                ).fetchall()
            ] if any((parquet / FAILED_FOLDER).glob("*.parquet")) else []
            result.errors += failed
            store.save_errors(result.errors)
            result.analysed, result.duplicates, result.words = store.con.execute(
                "SELECT count(*) FILTER (WHERE duplicate_of IS NULL), "
                "count(*) FILTER (WHERE duplicate_of IS NOT NULL), "
                "coalesce(sum(n_words) FILTER (WHERE duplicate_of IS NULL), 0) FROM documents"
            ).fetchone()
            result.repeats = store.con.execute(
                "SELECT count(*) FROM read_parquet("
                f"'{(parquet / 'repeats' / '*.parquet').as_posix()}')"
            ).fetchone()[0] if any((parquet / "repeats").glob("*.parquet")) else 0
            tick("analyse", 1, 4)
            steps = load_corpus_steps()
            tick("link", 0, len(steps))
            for name, step in steps:
                clock = time.perf_counter()
                folders.update(run_corpus_step(spark, step, store, folders, parquet, settings))
                result.stages[f"link:{name}"] = time.perf_counter() - clock
                tick("link", 1, len(steps))
            clock = time.perf_counter()
            formats = tuple(sorted(set(settings.formats) | {"parquet"}))
            result.outputs.update(write_outputs(store, _with(settings, formats), version))
            result.stages["outputs"] = time.perf_counter() - clock
    finally:
        if own_session:
            spark.stop()
    result.seconds = time.perf_counter() - started
    return result


STEPS_FOLDER = "steps"  # where the corpus steps' stages write, under spark-tables/


def stored_tables(spark: Any, parquet: Path) -> dict[str, Path]:
    """Table -> Parquet folder of what the store holds after the NLP jobs. ``documents``
    leaves out those the analysis failed on (not stored, so that a later run retries them),
    as the local engine does."""
    from pyspark.sql import functions as F

    folders = {t: parquet / t for t in PER_DOCUMENT}
    stored = parquet / "stored-documents"
    if not finished(parquet, ["stored-documents"]):
        documents = spark.read.parquet(str(parquet / "documents"))
        if any((parquet / FAILED_FOLDER).glob("*.parquet")):
            failed_ids = spark.read.parquet(str(parquet / FAILED_FOLDER)).select(
                F.col("doc_id").alias("id")
            )
            documents = documents.join(failed_ids, "id", "left_anti")
        documents.select(*DOCUMENTS).write.mode("overwrite").parquet(str(stored))
    folders["documents"] = stored
    return folders


def run_corpus_step(
    spark: Any, step: CorpusStep, store: AnalysisStore, folders: dict[str, Path],
    parquet: Path, settings: Settings,
) -> dict[str, Path]:
    """Run one registered corpus step's stages as Spark jobs and put what it writes into
    the store; returns the Parquet folders of the tables it wrote, for the steps after it."""
    for table in step.reads:
        if table in CACHES and table not in folders:
            folders[table] = _cache_folder(store, table, parquet)
    written = run_step_spark(spark, step, folders, parquet / STEPS_FOLDER, settings)
    replace_from_parquet(store, {
        table: (STORE_TABLES[table], written[table], write.order)
        for table, write in step.writes.items()
    })
    return written


def _cache_folder(store: AnalysisStore, table: str, parquet: Path) -> Path:
    """A cache the store holds (sentence vectors of an earlier run, local or Spark) as a
    Parquet folder the executors read, as the local engine reads it from the store."""
    folder = parquet / "caches" / table
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    store.con.execute(f"COPY (SELECT * FROM \"{table}\") TO "
                      f"'{(folder / 'part-0.parquet').as_posix()}' (FORMAT PARQUET)")
    return folder


INGEST_TABLES = ["errors", "documents", "repeats"]
RUN_FILE = "_run.json"


def run_fingerprint(
    files: list[tuple[int, str, str, bool]], settings: Settings, options: IngestOptions,
    version: str,
) -> str:
    """What the Spark tables of a run depend on: the input files as found (path, size,
    modification time), the pipeline version and the ingest options. A run with the same
    fingerprint may keep the tables an interrupted run finished."""
    import hashlib

    found = []
    for fi, path, root, explicit in files:
        try:
            stat = os.stat(path)
            found.append([fi, path, root, explicit, stat.st_size, stat.st_mtime_ns])
        except OSError:
            found.append([fi, path, root, explicit, None, None])
    from sourcetrace.link.reuse import ReuseSettings

    described = json.dumps(
        {"files": found, "version": version, "model": settings.model,
         "options": repr(options), "reuse": repr(ReuseSettings.from_settings(settings))},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(described.encode()).hexdigest()


def prepare_tables(parquet: Path, fingerprint: str) -> bool:
    """Keep ``parquet`` (the Spark tables) when an earlier run of the same inputs wrote it,
    else start it afresh. True when tables were kept (a resumed run)."""
    marker = parquet / RUN_FILE
    try:
        same = json.loads(marker.read_text()).get("fingerprint") == fingerprint
    except (OSError, ValueError):
        same = False
    if not same:
        shutil.rmtree(parquet, ignore_errors=True)
        parquet.mkdir(parents=True)
        marker.write_text(json.dumps({"fingerprint": fingerprint}))
    return same


def finished(parquet: Path, tables: Sequence[str]) -> bool:
    """Whether every one of ``tables`` was written whole (Spark's ``_SUCCESS`` marker is
    written last, once all of a table's part files are in place)."""
    return all((parquet / t / "_SUCCESS").exists() for t in tables)


def _ingest(
    spark: Any, files: list[tuple[int, str, str, bool]], options: IngestOptions, version: str,
    parquet: Path,
) -> None:
    """Executors read the files; reused ids and exact duplicates by the selection SQL of
    :mod:`sourcetrace.ingest.selection`; ``errors`` and ``documents`` written as Parquet."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    schema = T.StructType([
        T.StructField("fi", T.IntegerType()),
        T.StructField("path", T.StringType()), T.StructField("root", T.StringType()),
        T.StructField("explicit", T.BooleanType()),
    ])
    parallelism = spark.sparkContext.defaultParallelism
    files_df = spark.createDataFrame(files, schema).repartition(
        max(1, min(len(files), parallelism * 2))
    )
    read = files_df.mapInPandas(
        lambda it: _read_partition(it, options), spark_schema(READ_COLUMNS)
    ).persist()
    # Which documents are kept, duplicates or errors: the selection SQL the local engine
    # runs too, over what the executors read (a Spark run starts with nothing stored).
    read.where(F.col("problem").isNull()).select(*ORDER, "id", "content_hash", "appearance") \
        .createOrReplaceTempView("ingested")
    spark.createDataFrame(
        [], "id string, content_hash string, appearance string, duplicate_of string, "
        "pipeline_version string"
    ).createOrReplaceTempView("stored")
    verdicts = spark.sql(selection_sql(version)).select(
        *ORDER, "reused_id", "repeat_of", "duplicate_of"
    )
    items = read.join(verdicts, ORDER, "left")
    dup_ids = items.where(F.col("reused_id")).select(
        F.coalesce("source_path", F.lit("?")).alias("path"),
        F.lit(None).cast("int").alias("line"), F.col("id").alias("doc_id"),
        F.lit(None).cast("string").alias("problem"),  # worded on the driver (repr)
        F.lit("error").alias("kind"),
        *ORDER,
    )
    (
        items.where(F.col("problem").isNotNull()).select(*ERRORS, *ORDER)
        .unionByName(dup_ids)
        .write.mode("overwrite").parquet(str(parquet / "errors"))
    )
    # The same article read twice (same text, outlet and URL): counted once, left out.
    items.where(F.col("repeat_of").isNotNull()).select("id", "repeat_of") \
        .write.mode("overwrite").parquet(str(parquet / "repeats"))
    docs = items.where(
        F.col("problem").isNull() & ~F.col("reused_id") & F.col("repeat_of").isNull()
    ).withColumn(
        "pipeline_version", F.lit(version)
    )
    docs.select(*DOCUMENTS).write.mode("overwrite").parquet(str(parquet / "documents"))
    read.unpersist()


def _with(settings: Settings, formats: tuple[str, ...]) -> Settings:
    from dataclasses import replace

    return replace(settings, formats=formats)


def _load_parquet(store: AnalysisStore, parquet: Path) -> None:
    """Fill the DuckDB store from the Parquet tables the Spark jobs wrote."""
    tables = {"documents": DOCUMENTS, "errors": ERRORS, **PER_DOCUMENT}
    folders = {**{t: parquet / t for t in tables}, "documents": parquet / "stored-documents"}
    replace_from_parquet(store, {t: (c, folders[t], None) for t, c in tables.items()})


def replace_from_parquet(
    store: AnalysisStore, tables: dict[str, tuple[dict[str, str], Path, str | None]]
) -> None:
    """Replace store tables (name -> (columns, folder of Parquet parts, ORDER BY or None))
    in one transaction; a folder without parts leaves its table empty."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        for table, (columns, folder, order) in tables.items():
            con.execute(f'DELETE FROM "{table}"')
            if not any(folder.glob("*.parquet")):
                continue
            cols = ", ".join(f'"{c}"' for c in columns)
            con.execute(
                f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM '
                f"read_parquet('{(folder / '*.parquet').as_posix()}')"
                + (f" ORDER BY {order}" if order else "")
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


# -- checking a Spark run against a local run -------------------------------------------------
COMPARED_TABLES = [
    "documents", "errors", *PER_DOCUMENT, "entities", "places", "reuse", "claims",
    "claim_clusters", "narratives",
]


def _canonical(value: Any, digits: int) -> Any:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, list | tuple):
        return tuple(_canonical(v, digits) for v in value)
    return value


def table_rows(store: AnalysisStore, table: str, digits: int = 6) -> list[tuple[Any, ...]]:
    """A table's rows as sorted tuples (floats rounded), for comparing two runs whatever
    order their rows were written in. ``pipeline_version`` is left out of documents."""
    cols = [c for c in store.con.execute(f'SELECT * FROM "{table}" LIMIT 0').fetchdf().columns
            if c != "pipeline_version"]
    select = ", ".join(f'"{c}"' for c in cols)
    rows = store.con.execute(f'SELECT {select} FROM "{table}"').fetchall()
    return sorted(
        (tuple(_canonical(v, digits) for v in row) for row in rows),
        key=lambda r: tuple((v is None, str(v)) for v in r),
    )


def compare_stores(
    a: Path | str, b: Path | str, tables: Sequence[str] = COMPARED_TABLES
) -> dict[str, tuple[int, int, int]]:
    """table -> (rows in a, rows in b, rows in only one of them) for two ``--out`` folders."""
    from collections import Counter

    out: dict[str, tuple[int, int, int]] = {}
    with AnalysisStore(a, read_only=True) as sa, AnalysisStore(b, read_only=True) as sb:
        for table in tables:
            ra, rb = Counter(table_rows(sa, table)), Counter(table_rows(sb, table))
            differ = sum(((ra - rb) + (rb - ra)).values())
            out[table] = (sum(ra.values()), sum(rb.values()), differ)
    return out
