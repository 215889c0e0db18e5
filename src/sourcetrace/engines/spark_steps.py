"""Run a declared corpus step (:mod:`sourcetrace.corpus`) as Spark jobs.

* The store tables the step reads are views over their Parquet folders.
* :class:`~sourcetrace.corpus.Sql`: ``spark.sql`` of the same text DuckDB runs (the session
  takes double-quoted identifiers, as DuckDB does).
* :class:`~sourcetrace.corpus.PerGroup`: every input row becomes ``(key, input, row struct)``;
  the rows of one key are gathered on an executor (``groupBy().agg(collect_list)``), and
  ``mapInArrow`` calls the stage function on whole batches of groups. Rows stay Arrow both
  ways (not JSON text: a claim's 384-float vector as decimal text cost more to write and
  parse than the stage itself), and ``to_pylist`` gives the stage the Python values the
  local engine reads from DuckDB (int, float of the stored float32, bool, str, list, None).
* :class:`~sourcetrace.corpus.OnDriver`: the (small) inputs come to the driver as Arrow.

Stage outputs are written as Parquet under ``work/<step>/<output>`` and become views for the
next stages; the tables the step writes are those folders. The step's context is built on
the driver and broadcast.
"""

from __future__ import annotations

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


def _apply_groups(
    batches: Iterator[Any], stage: PerGroup, context: Any, out_types: list[Any]
) -> Iterator[Any]:
    """Executor: Arrow batches of groups (each the list of its ``(input, row)`` structs) ->
    the stage function's rows: column ``_output`` (the output's index) and one struct column
    per output, filled for that output's rows and NULL elsewhere."""
    import pyarrow as pa

    from sourcetrace.outputs.store import arrow_table

    inputs = list(stage.inputs)
    outputs = list(stage.outputs)
    for batch in batches:
        made: dict[str, list[dict[str, Any]]] = {name: [] for name in outputs}
        for items in batch.column("_rows").to_pylist():
            group: dict[str, list[dict[str, Any]]] = {name: [] for name in inputs}
            for item in items:
                j = item["_input"]
                group[inputs[j]].append(item[f"_i{j}"])
            for name, rows in stage.fn(ordered_inputs(group, stage.order), context).items():
                made[name].extend(row_dicts(rows))
        for k, name in enumerate(outputs):
            n = len(made[name])
            if not n:
                continue
            # (cast: the store's Arrow types are DuckDB's, e.g. INTEGER as int64; Spark
            # reads its own, int32)
            table = arrow_table(made[name], stage.outputs[name]).cast(
                pa.schema(list(out_types[k])))
            own = pa.StructArray.from_arrays(
                [c.combine_chunks() for c in table.columns], fields=list(out_types[k]))
            yield pa.RecordBatch.from_arrays(
                [pa.array([k] * n, pa.int32()),
                 *(own if j == k else pa.nulls(n, t) for j, t in enumerate(out_types))],
                names=["_output", *(f"_o{j}" for j in range(len(outputs)))],
            )


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
    from pyspark.sql import types as T
    from pyspark.sql.pandas.types import to_arrow_type

    parts = []
    for j, query in enumerate(stage.inputs.values()):
        frame = spark.sql(sql(query))
        parts.append(frame.select(
            *(F.col(f"`{k}`").alias(f"_k{m}") for m, k in enumerate(stage.key)),
            F.lit(j).alias("_input"),
            F.struct(*(F.col(f"`{c}`") for c in frame.columns)).alias(f"_i{j}"),
        ))
    keys = [f"_k{m}" for m in range(len(stage.key))]
    rows = ["_input", *(f"_i{j}" for j in range(len(parts)))]
    grouped = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), parts).groupBy(
        *keys).agg(F.collect_list(F.struct(*rows)).alias("_rows")).select("_rows")
    outputs = list(stage.outputs.items())
    schema = T.StructType([
        T.StructField("_output", T.IntegerType(), False),
        *(T.StructField(f"_o{j}", spark_schema(columns), True)
          for j, (_, columns) in enumerate(outputs)),
    ])
    out_types = [to_arrow_type(f.dataType) for f in schema.fields[1:]]
    result = grouped.mapInArrow(
        lambda batches: _apply_groups(batches, stage, context.value, out_types), schema
    ).persist()
    try:
        for j, (name, _) in enumerate(outputs):
            _write(result.where(F.col("_output") == j).select(f"_o{j}.*"), work / name)
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
