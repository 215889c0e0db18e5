"""The claims step as Spark jobs (engines.spark_claims) gives the local step's claims and
claim clusters, with and without blocking, and brings no text to the driver.

The Spark jobs run on a ``local[2]`` session over Parquet tables exported from a local run of
the demo corpus, so the NLP is not redone here (tests/test_spark.py runs the whole engine on
a real standalone cluster)."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sourcetrace.config import Settings
from sourcetrace.engines.spark import _canonical
from sourcetrace.engines.spark_claims import _components, _shared_wording, claims_spark
from sourcetrace.link.blocking import shared_wording_pairs
from sourcetrace.link.claims import claims_step
from sourcetrace.outputs.store import AnalysisStore

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "examples" / "corpus"
KB = ROOT / "examples" / "kb.yaml"
INPUT_TABLES = ["documents", "sentences", "attributions", "mentions", "place_mentions",
                "quantities", "dates", "reuse"]
# The claims step's own columns of claim_clusters (provenance fills the others later).
CLUSTER_COLUMNS = "id, label, claims, documents, outlets, first_appearance"


@pytest.fixture(scope="module")
def demo(demo_store: Path) -> Path:
    return demo_store


def _export(store: AnalysisStore, tables: Path) -> None:
    for table in INPUT_TABLES:
        folder = tables / table
        folder.mkdir(parents=True)
        store.con.execute(
            f"COPY (SELECT * FROM \"{table}\") TO '{(folder / 'part-0.parquet').as_posix()}' "
            "(FORMAT parquet)"
        )


def _sorted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted((tuple(_canonical(v, 6) for v in r) for r in rows), key=str)


def _compare(spark: Any, store_dir: Path, tmp: Path, block_above: int) -> tuple[int, int]:
    with AnalysisStore(store_dir, read_only=True) as store:
        _export(store, tmp / "tables")
        claims = _sorted(store.con.execute("SELECT * FROM claims").fetchall())
        clusters = _sorted(
            store.con.execute(f"SELECT {CLUSTER_COLUMNS} FROM claim_clusters").fetchall()
        )
    settings = Settings(out=tmp, block_claims_above=block_above, quiet=True)
    folders = {t: tmp / "tables" / t for t in INPUT_TABLES}
    claims_dir, clusters_dir = claims_spark(spark, folders, tmp / "work", settings)
    con = duckdb.connect()
    got_claims = _sorted(con.execute(
        f"SELECT * FROM read_parquet('{claims_dir.as_posix()}/*.parquet')"
    ).fetchall())
    got_clusters = _sorted(con.execute(
        f"SELECT {CLUSTER_COLUMNS} FROM read_parquet('{clusters_dir.as_posix()}/*.parquet')"
    ).fetchall())
    assert got_claims == claims
    assert got_clusters == clusters
    return len(claims), sum(1 for c in clusters if len(c[3]) > 1)


def test_claims_on_spark_equal_the_local_step(spark: Any, demo: Path, tmp_path: Path) -> None:
    n_claims, multi = _compare(spark, demo, tmp_path, block_above=2000)
    # Not two empty tables: the demo has claims repeated across outlets.
    assert n_claims > 40 and multi >= 3


def test_claims_on_spark_with_blocking_equal_the_local_step(
    spark: Any, demo: Path, tmp_path: Path
) -> None:
    """Blocking on (every corpus is 'big'): leads embedded and compared, shared wording as
    a Spark self-join, candidates only within same-story documents."""
    store_dir = tmp_path / "blocked"
    shutil.copytree(demo, store_dir)
    with AnalysisStore(store_dir) as store:
        claims_step(store, Settings(out=store_dir, block_claims_above=0, quiet=True))
    n_claims, multi = _compare(spark, store_dir, tmp_path, block_above=0)
    assert n_claims > 40 and multi >= 3


def test_shared_wording_join_equals_the_sparse_product(spark: Any) -> None:
    texts = [
        "the northern dam was deliberately sabotaged by foreign agents",
        "Foreign agents deliberately sabotaged the northern dam",
        "The club won the regional championship",
        "the northern dam was deliberately sabotaged by foreign agents",
        "The regional championship was won by the club on Saturday",
        "Sabotage of the dam is blamed on agents",
    ]
    docs = ["x", "y", "z", "z", "w", "v"]
    from sourcetrace.link.matching import content_tokens

    frame = spark.createDataFrame(
        [(i, d, sorted(set(content_tokens(t)))) for i, (d, t) in enumerate(zip(docs, texts,
                                                                             strict=True))],
        "idx long, doc string, tokens array<string>",
    )
    got = {(int(r["i"]), int(r["j"])) for r in _shared_wording(frame).collect()}
    assert got == shared_wording_pairs(texts, docs)
    assert (0, 1) in got and (2, 4) in got


def test_components_union_find() -> None:
    assert _components([(5, 7), (7, 9), (1, 2), (9, 5)]) == {5: 5, 7: 5, 9: 5, 1: 1, 2: 1}
    assert _components([]) == {}


def test_spark_claims_collects_no_text() -> None:
    """What the module brings to the driver: lead vectors with ids and dates, the claim
    numbers of linked pairs, and each group's sort key."""
    allowed = {
        "select('id', 'published', 'vector').orderBy('id')",
        "select('i', 'j')",
        "select('grp', 'ndocs', 'nclaims', 'first', 'min_id')",
    }
    tree = ast.parse((ROOT / "src" / "sourcetrace" / "engines" / "spark_claims.py").read_text())
    calls = [
        ast.unparse(node.func.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"collect", "toPandas", "toLocalIterator", "take", "head",
                               "first", "tail"}
        and ast.unparse(node.func.value) != "F"
    ]
    assert len(calls) == 3
    for receiver in calls:
        assert any(receiver.endswith(a) for a in allowed), receiver
