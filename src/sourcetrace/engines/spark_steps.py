"""Run a declared corpus step (:mod:`sourcetrace.corpus`) as Spark jobs.

* The store tables the step reads are views over their Parquet folders.
* :class:`~sourcetrace.corpus.Sql`: ``spark.sql`` of the same text DuckDB runs (the session
  takes double-quoted identifiers, as DuckDB does).
* :class:`~sourcetrace.corpus.PerGroup`: every input row becomes ``(key, input, row JSON)``;
  the rows of one key are gathered on an executor (``groupBy().agg(collect_list)``), and
  ``mapInPandas`` calls the stage function on whole batches of groups. JSON keeps NULLs and
  the Python types the local engine reads from DuckDB (int, float, bool, str, list).
* :class:`~sourcetrace.corpus.OnDriver`: the (small) inputs come to the driver as Arrow.

Stage outputs are written as Parquet under ``work/<step>/<output>`` and become views for the
next stages; the tables the step writes are those folders. The step's context is built on
the driver and broadcast.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from functools import reduce
from pathlib import Path
from typing import Any

from sourcetrace.config import Settings
from sourcetrace.corpus import CorpusStep, OnDriver, PerGroup, Sql, ordered_inputs, row_dicts

DONE = "_STEP_DONE"  # written once every output of a step is in place (resuming)


def spark_type(sql_type: str) -> Any:
    from pyspark.sql import types as T

    base = sql_type.split()[0]
    if base.endswith("[]"):
        return T.ArrayType(spark_type(base[:-2]))
    return {
        "VARCHAR": T.StringType(), "INTEGER": T.IntegerType(), "BIGINT": T.LongType(),
        "DOUBLE": T.DoubleType(), "FLOAT": T.FloatType(), "BOOLEAN": T.BooleanType(),
    }[base]


def spark_schema(columns: dict[str, str]) -> Any:
    from pyspark.sql import types as T

    return T.StructType([T.StructField(c, spark_type(t), True) for c, t in columns.items()])


def _collect(frame: Any) -> list[dict[str, Any]]:
    return frame.toArrow().to_pylist()


def _apply_groups(batches: Iterator[Any], stage: PerGroup, context: Any) -> Iterator[Any]:
    """Executor: batches of groups (each the list of its ``(input, row JSON)``) -> the
    stage function's rows as ``(output, row JSON)``."""
    import pandas as pd

    for batch in batches:
        out: list[tuple[str, str]] = []
        for items in batch["_rows"]:
            group: dict[str, list[dict[str, Any]]] = {name: [] for name in stage.inputs}
            for item in items:
                group[item["_input"]].append(json.loads(item["_row"]))
            for name, rows in stage.fn(ordered_inputs(group, stage.order), context).items():
                out.extend((name, json.dumps(r, ensure_ascii=False)) for r in row_dicts(rows))
        yield pd.DataFrame(out, columns=["_output", "_row"], dtype=object)


def _write(frame: Any, folder: Path) -> None:
    frame.write.mode("overwrite").parquet(str(folder))


def _view(spark: Any, name: str, folder: Path) -> None:
    spark.read.parquet(str(folder)).createOrReplaceTempView(name)


def _write_rows(
    spark: Any, rows: list[dict[str, Any]], columns: dict[str, str], folder: Path
) -> None:
    """Rows made on the driver -> a Parquet folder the executors can read."""
    import pyarrow.parquet as pq

    from sourcetrace.outputs.store import arrow_table

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pq.write_table(arrow_table(rows, columns), folder / "part-0.parquet")
    (folder / "_SUCCESS").touch()


def run_stage_spark(
    spark: Any, stage: Sql | PerGroup | OnDriver, context: Any, work: Path,
    sql: Callable[[str], str] = lambda text: text,
) -> None:
    """Run one stage; ``sql`` fills the step's parameters into an SQL text."""
    from pyspark.sql import functions as F

    if isinstance(stage, Sql):
        _write(spark.sql(sql(stage.query)), work / stage.output)
        _view(spark, stage.output, work / stage.output)
        return
    if isinstance(stage, OnDriver):
        inputs = {name: _collect(spark.sql(sql(q))) for name, q in stage.inputs.items()}
        out = stage.fn(ordered_inputs(inputs, stage.order), context.value)
        for name, columns in stage.outputs.items():
            _write_rows(spark, row_dicts(out.get(name, [])), columns, work / name)
            _view(spark, name, work / name)
        return
    parts = []
    for name, query in stage.inputs.items():
        frame = spark.sql(sql(query))
        key = F.to_json(F.struct(*(F.col(k) for k in stage.key)))
        row = F.to_json(
            F.struct(*(F.col(c) for c in frame.columns)), {"ignoreNullFields": "false"}
        )
        parts.append(frame.select(key.alias("_key"), F.lit(name).alias("_input"),
                                  row.alias("_row")))
    grouped = reduce(lambda a, b: a.unionByName(b), parts).groupBy("_key").agg(
        F.collect_list(F.struct("_input", "_row")).alias("_rows")
    )
    result = grouped.mapInPandas(
        lambda batches: _apply_groups(batches, stage, context.value),
        "_output string, _row string",
    ).persist()
    try:
        for name, columns in stage.outputs.items():
            _write(
                result.where(F.col("_output") == name)
                .select(F.from_json("_row", spark_schema(columns)).alias("r")).select("r.*"),
                work / name,
            )
            _view(spark, name, work / name)
    finally:
        result.unpersist()


def run_step_spark(
    spark: Any, step: CorpusStep, folders: dict[str, Path], work: Path, settings: Settings
) -> dict[str, Path]:
    """Run ``step`` over the tables in ``folders`` (table -> Parquet folder); returns the
    folder of each table it writes. A step whose outputs are all in ``work`` from an
    earlier run of the same inputs is not run again."""

    base = work / step.name
    written = {table: base / w.output for table, w in step.writes.items()}
    if (base / DONE).exists():
        return written
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    for table in step.reads:
        _view(spark, table, folders[table])
    shared = {name: _collect(spark.sql(step.sql(q, settings))) for name, q in step.shared.items()}
    context = spark.sparkContext.broadcast(step.setup(settings, shared))
    try:
        for stage in step.stages:
            run_stage_spark(spark, stage, context, base, lambda text: step.sql(text, settings))
    finally:
        context.unpersist()
    (base / DONE).touch()
    return written
