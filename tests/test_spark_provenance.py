"""The provenance step as a Spark job (``engines/spark_provenance.py``) gives the local step's
``claim_clusters``, whatever order the rows reach it in, with nothing collected."""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sourcetrace.config import Settings
from sourcetrace.engines.local import run_analysis
from sourcetrace.engines.spark import compare_stores, get_session, table_rows
from sourcetrace.engines.spark_provenance import (
    INPUT_TABLES,
    provenance_spark,
    run_provenance_on_spark,
)
from sourcetrace.outputs.store import DB_NAME, AnalysisStore
from sourcetrace.provenance.independence import provenance_step
from test_provenance import fill_store, order_sensitive_rows

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "examples" / "corpus"
KB = ROOT / "examples" / "kb.yaml"
MODULE = ROOT / "src" / "sourcetrace" / "engines" / "spark_provenance.py"


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = get_session("local[2]", app="sourcetrace-provenance-test")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _blank_provenance(store: AnalysisStore) -> None:
    """Undo what the provenance step filled, so the Spark job must fill it all again."""
    store.con.execute(
        "UPDATE claim_clusters SET origins = '[]', independent_origins = 0, "
        "amplification = NULL, flags = [], outlets = []"
    )


def _in_store_order(store: AnalysisStore) -> list[str]:
    return [r[0] for r in store.con.execute("SELECT id FROM claim_clusters").fetchall()]


def test_demo_corpus_spark_provenance_is_the_local_step(spark: Any, tmp_path: Path) -> None:
    local = tmp_path / "local"
    run_analysis([CORPUS], Settings(out=local, kb_files=[KB], formats=("json",)))
    on_spark = tmp_path / "spark"
    on_spark.mkdir()
    shutil.copy(local / DB_NAME, on_spark / DB_NAME)
    with AnalysisStore(on_spark) as store:
        _blank_provenance(store)
        assert store.con.execute(
            "SELECT count(*) FROM claim_clusters WHERE independent_origins > 0"
        ).fetchone()[0] == 0
        run_provenance_on_spark(spark, store, on_spark / "spark-tables")
    diff = compare_stores(local, on_spark)
    assert {t: d for t, d in diff.items() if d[2]} == {}, diff
    with AnalysisStore(local, read_only=True) as a, AnalysisStore(on_spark, read_only=True) as b:
        rows = table_rows(a, "claim_clusters")
        assert rows == table_rows(b, "claim_clusters")
        assert _in_store_order(a) == _in_store_order(b)  # rows put back in the store's order
        filled = a.read("claim_clusters", "WHERE independent_origins > 0 OR len(flags) > 0")
    # equality is not two tables of blanks: the demo has origins and flags to find
    assert len(rows) > 10 and len(filled) > 5
    out = on_spark / "spark-tables" / "provenance-out"
    assert len(list(out.glob("*.parquet"))) >= 1  # written by the executors


def test_reversed_rows_give_the_same_provenance_on_spark(spark: Any, tmp_path: Path) -> None:
    """The hand-made rows where the twin of a copied claim and a shared alias used to follow
    the row order: stored in reverse and run on Spark, they give the local step's result
    over the rows in pipeline order."""
    rows = order_sensitive_rows()
    with AnalysisStore(tmp_path / "local") as store:
        fill_store(store, rows, reverse=False)
        provenance_step(store, Settings(out=tmp_path / "local"))
        expected = table_rows(store, "claim_clusters")
    with AnalysisStore(tmp_path / "spark") as store:
        fill_store(store, rows, reverse=True)
        run_provenance_on_spark(spark, store, tmp_path / "spark" / "spark-tables")
        assert table_rows(store, "claim_clusters") == expected
        assert _in_store_order(store) == ["v", "u", "t"]
        found = {r["id"]: r for r in store.read("claim_clusters")}
    assert '"entity": "agency-a"' in found["u"]["origins"]
    assert "circular_reporting" in found["v"]["flags"]


def test_tables_written_by_spark_in_several_parts(spark: Any, tmp_path: Path) -> None:
    """``provenance_spark`` reads folders of Parquet part files, as Spark's own jobs write
    them (several files, another row order), not only DuckDB's single file."""
    rows = order_sensitive_rows()
    with AnalysisStore(tmp_path / "local") as store:
        fill_store(store, rows, reverse=False)
        provenance_step(store, Settings(out=tmp_path / "local"))
        expected = {r["id"]: r for r in store.read("claim_clusters")}
        tables = tmp_path / "tables"
        for name in INPUT_TABLES:
            staged = tmp_path / "staged" / f"{name}.parquet"
            staged.parent.mkdir(exist_ok=True)
            store.con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{staged}' (FORMAT parquet)")
            # shuffled into up to three part files by Spark itself
            spark.read.parquet(str(staged)).repartition(3).write.parquet(str(tables / name))
    assert len(list((tables / "claims").glob("*.parquet"))) >= 2
    out = tmp_path / "out"
    provenance_spark(spark, tables).write.parquet(str(out))
    with AnalysisStore(tmp_path / "check") as store:
        cur = store.con.execute(f"SELECT * FROM read_parquet('{(out / '*.parquet').as_posix()}')")
        names = [d[0] for d in cur.description]
        got = {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
    assert got == expected


def test_module_never_collects() -> None:
    """The job's rows go from executors to Parquet; the driver reads only ``entities``."""
    calls = [
        node.func.attr
        for node in ast.walk(ast.parse(MODULE.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"collect", "toPandas", "toLocalIterator", "take", "head",
                               "tail", "first"}
    ]
    assert calls == []
