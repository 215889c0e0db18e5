"""The Spark engine on a real standalone cluster (a master and two one-core workers on
loopback, started with pyspark's own launch scripts) gives the local engine's results.

One cluster and one Spark session serve the whole module; the corpora are small (the demo
corpus and a handful of our own sentences) so the module runs in a few minutes on two cores.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sourcetrace.config import Settings
from sourcetrace.engines import spark as spark_engine
from sourcetrace.engines.local import run_analysis
from sourcetrace.engines.spark import (
    COMPARED_TABLES,
    compare_stores,
    run_analysis_spark,
    table_rows,
)
from sourcetrace.ingest import IngestOptions
from sourcetrace.outputs.store import AnalysisStore

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "examples" / "corpus"
KB = ROOT / "examples" / "kb.yaml"
APP = "sourcetrace-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _master_state(webui: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{webui}/json/", timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None


class Cluster:
    def __init__(self, url: str, webui: int, work: Path) -> None:
        self.url, self.webui, self.work = url, webui, work

    def state(self) -> dict[str, Any]:
        state = _master_state(self.webui)
        assert state is not None, "the master stopped answering"
        return state


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("java is absent: a Spark standalone cluster needs a JVM")
    import pyspark

    home = Path(pyspark.__file__).parent
    spark_class = home / "bin" / "spark-class"
    if not spark_class.is_file():
        pytest.skip(f"{spark_class} missing: this pyspark has no launch scripts")
    work = tmp_path_factory.mktemp("spark-cluster")
    env = {
        **os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOG_DIR": str(work / "logs"), "SPARK_NO_DAEMONIZE": "1",
        "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
        # The daemons only schedule: a small, quick-starting JVM leaves the cores to the work.
        "SPARK_DAEMON_JAVA_OPTS": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
    }
    port, webui = _free_port(), _free_port()
    url = f"spark://127.0.0.1:{port}"
    commands = [
        ("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", str(port), "--webui-port", str(webui)]),
        *(
            (f"worker{i}", ["org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                            "--cores", "1", "--memory", "2g", "--webui-port", str(_free_port()),
                            "--work-dir", str(work / f"worker{i}")])
            for i in (1, 2)
        ),
    ]
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []

    def stop() -> None:
        # Workers first so they do not retry the master; each in its own process group, so
        # the JVM that spark-class execs and anything it spawned go with it.
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for log in logs:
            log.close()

    try:
        for name, args in commands:
            log = (work / f"{name}.log").open("wb")
            logs.append(log)
            procs.append(subprocess.Popen(
                [str(spark_class), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            ))
        # All three start at once; workers retry until the master is up.
        deadline = time.monotonic() + 180
        while True:
            state = _master_state(webui) or {}
            if state.get("aliveworkers") == 2:
                break
            dead = [n for (n, _), p in zip(commands, procs, strict=True) if p.poll() is not None]
            tails = "\n".join(p.read_text()[-1500:] for p in sorted(work.glob("*.log")))
            assert not dead, f"{dead} exited:\n{tails}"
            assert time.monotonic() < deadline, f"2 workers never registered:\n{tails}"
            time.sleep(0.5)
        assert state["status"] == "ALIVE" and state["cores"] == 2
        yield Cluster(url, webui, work)
    finally:
        stop()


@pytest.fixture(scope="module")
def spark(cluster: Cluster) -> Iterator[Any]:
    session = spark_engine.get_session(cluster.url, app=APP)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def demo(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any, Any]:
    base = tmp_path_factory.mktemp("demo")
    formats = ("json", "parquet")
    local = run_analysis([CORPUS], Settings(out=base / "local", kb_files=[KB], formats=formats))
    on_spark = run_analysis_spark(
        [CORPUS], Settings(out=base / "spark", kb_files=[KB], formats=formats), spark=spark
    )
    return base / "local", base / "spark", local, on_spark


def test_cluster_runs_both_workers(cluster: Cluster, demo: tuple[Path, Path, Any, Any]) -> None:
    state = cluster.state()
    assert state["aliveworkers"] == 2
    app = next(a for a in state["activeapps"] if a["name"] == APP)
    assert app["cores"] == 2  # an executor on each worker
    # Each worker ran an executor of our application (its stderr lives in the work dir).
    for worker in ("worker1", "worker2"):
        assert list((cluster.work / worker).glob(f"{app['id']}/*/stderr")), worker


def test_demo_corpus_same_results_on_both_engines(demo: tuple[Path, Path, Any, Any]) -> None:
    local_dir, spark_dir, local, on_spark = demo
    assert (on_spark.analysed, on_spark.duplicates, on_spark.words) == (
        local.analysed, local.duplicates, local.words
    )
    assert local.analysed == 10 and not local.errors and not on_spark.errors
    diff = compare_stores(local_dir, spark_dir)
    assert set(diff) == set(COMPARED_TABLES)
    assert {t: d for t, d in diff.items() if d[2]} == {}, diff
    # Every table the demo exercises is really there, so equality is not two empty tables.
    for table in ["sentences", "mentions", "attributions", "place_mentions", "dates",
                  "quantities", "entities", "places", "reuse", "claims", "claim_clusters"]:
        assert diff[table][0] > 0, table
    with AnalysisStore(spark_dir, read_only=True) as store:
        # Reuse passages come from the declared step's Spark jobs, not the in-process runner,
        steps = spark_dir / "spark-tables" / "steps"
        assert (steps / "reuse" / "reuse_passages").is_dir()
        assert len(table_rows(store, "reuse")) == diff["reuse"][1]
        # and provenance from the declared step's Spark jobs, not the in-process runner
        assert any((steps / "provenance" / "analysed_claim_clusters").glob("*.parquet"))
        independent = store.con.execute(
            "SELECT max(independent_origins) FROM claim_clusters"
        ).fetchone()[0]
    assert independent >= 1


def test_parquet_tables_readable_by_duckdb(demo: tuple[Path, Path, Any, Any]) -> None:
    import duckdb

    _, spark_dir, _, on_spark = demo
    folder = spark_dir / "parquet"
    assert on_spark.outputs["parquet"] == folder
    con = duckdb.connect()
    with AnalysisStore(spark_dir, read_only=True) as store:
        for table in COMPARED_TABLES:
            path = (folder / f"{table}.parquet").as_posix()
            n = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
            assert n == store.count(table), table
    # and the Spark jobs' own Parquet output, one folder of part files per table
    sentences = (spark_dir / "spark-tables" / "sentences" / "*.parquet").as_posix()
    docs = con.execute(
        f"SELECT count(DISTINCT doc) FROM read_parquet('{sentences}')"
    ).fetchone()[0]
    assert docs == on_spark.analysed


def _calls(path: Path) -> list[tuple[str, str]]:
    """(method, source of its receiver) for every ``x.collect()``-like call in a module."""
    tree = ast.parse(path.read_text())
    return [
        (node.func.attr, ast.unparse(node.func.value))
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and ast.unparse(node.func.value) != "F"  # pyspark.sql.functions.first: a column
        and node.func.attr in {"collect", "toPandas", "toLocalIterator", "take", "head",
                               "first", "tail"}
    ]


def test_driver_never_collects_the_corpus() -> None:
    engines = ROOT / "src" / "sourcetrace" / "engines"
    # The engine itself brings nothing back from Spark: every table is written as Parquet
    # by the executors and read by DuckDB.
    assert _calls(engines / "spark.py") == []
    # Declared steps bring to the driver only what an OnDriver stage or the step's shared
    # tables declare (small by design), through one function, as Arrow.
    assert _calls(engines / "spark_steps.py") == []
    source = (engines / "spark_steps.py").read_text()
    assert source.count(".toArrow()") == 1 and "def _collect(" in source


def test_duplicates_and_errors_as_the_local_engine(spark: Any, tmp_path: Path) -> None:
    """The first of two equal texts (in input order, not id order) is kept, the other an
    appearance of it; the same text and outlet again a repeat, left out; a reused id is an
    error; unreadable lines and missing inputs are reported in the same order."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    text = ("The harbour authority said on Monday that the ferry service to Lindholm would "
            "resume next week after repairs to the pier.")
    other = "Officials in Tarvik told reporters the road bridge was closed for inspection."
    lines = [
        {"id": "zeta", "text": text, "outlet": "Coast News"},
        {"id": "alpha", "text": text, "outlet": "Bay Courier"},
        {"id": "again", "text": text, "outlet": "Coast News"},
        {"id": "zeta", "text": other, "outlet": "Bay Courier"},
        "{not json",
        {"id": "mid", "text": other, "outlet": "Hill Post"},
    ]
    (corpus / "a.jsonl").write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    )
    (corpus / "b.txt").write_text(text)
    (corpus / "c.odt").write_bytes(b"PK\x03\x04")  # a format we do not read: listed, skipped
    inputs = [corpus, tmp_path / "missing.txt"]
    settings = {"formats": ("json",), "kb_files": []}
    local = run_analysis(inputs, Settings(out=tmp_path / "local", **settings), IngestOptions())
    on_spark = run_analysis_spark(
        inputs, Settings(out=tmp_path / "spark", **settings), IngestOptions(), spark=spark
    )
    assert [(str(e), e.kind) for e in on_spark.errors] == [
        (str(e), e.kind) for e in local.errors
    ]
    assert any("duplicate document id 'zeta'" in str(e) for e in local.errors)
    assert [e.kind for e in local.errors].count("skipped") == 1
    assert len(local.errors) == 4
    assert (on_spark.analysed, on_spark.duplicates) == (local.analysed, local.duplicates) == (2, 2)
    assert on_spark.repeats == local.repeats == 1
    with AnalysisStore(tmp_path / "spark", read_only=True) as store:
        dups = dict(store.con.execute(
            "SELECT id, duplicate_of FROM documents WHERE duplicate_of IS NOT NULL"
        ).fetchall())
    assert dups == {"alpha": "zeta", "b": "zeta"}
    diff = compare_stores(tmp_path / "local", tmp_path / "spark")
    assert {t: d for t, d in diff.items() if d[2]} == {}, diff


# -- order independence and embeddings on the executors ---------------------------------------
def _claims_corpus() -> list[tuple[Any, dict[str, list[dict[str, Any]]]]]:
    """Three documents; in the first, two attributions share one content span (which one
    gives the claim used to follow the order the store returned them in)."""
    from sourcetrace.model import Document

    texts = {
        "d1": ["The ministry said the dam at Orvik had been breached twice in March.",
               "Repairs to the spillway will cost 40 million crowns, engineers estimate."],
        "d2": ["The dam at Orvik was breached twice in March, according to the ministry.",
               "Farmers downstream lost most of their spring crop."],
        "d3": ["A chess club in Tarvik opened a second hall on Saturday.",
               "Its members played 300 games in the first week."],
    }
    corpus = []
    for doc_id, lines in texts.items():
        text, sentences = "", []
        for i, line in enumerate(lines):
            text += (" " if text else "")
            sentences.append({"doc": doc_id, "idx": i, "start": len(text),
                              "end": len(text) + len(line), "text": line, "claim_check": "ok"})
            text += line
        corpus.append((Document(id=doc_id, text=text, title=None, outlet=doc_id.upper()),
                       {"sentences": sentences, "attributions": []}))
    doc, rows = corpus[0]
    content = "the dam at Orvik had been breached twice in March"
    c0 = doc.text.index(content)
    for n, (source, hedged) in enumerate([("The ministry", False), ("ministry", True)], 1):
        s0 = doc.text.index(source)
        rows["attributions"].append({
            "id": f"d1:a{n}", "doc": "d1", "source_text": source, "source_start": s0,
            "source_end": s0 + len(source), "source_kind": "organisation",
            "source_resolved": source, "source_entity": None, "cue_text": "said",
            "cue_start": doc.text.index("said"), "cue_end": doc.text.index("said") + 4,
            "content_text": content, "content_start": c0, "content_end": c0 + len(content),
            "hedged": hedged, "parent": None, "sentence": 0, "content_check": "ok",
        })
    return corpus


def test_claims_step_does_not_depend_on_row_order(tmp_path: Path) -> None:
    """The Spark engine's store holds the same rows as the local engine's, in another order
    (Parquet part files): the claims step must give the same tables either way. It used to
    take the attribution of a shared content span from whichever row came first (17 claims
    of 18,111 differed at 500 AllSides articles)."""
    from sourcetrace.link.claims import claims_step

    corpus = _claims_corpus()
    settings = {"quiet": True, "block_claims_above": 0}  # blocking on: leads embedded too
    with AnalysisStore(tmp_path / "a") as store:
        store.save_documents(corpus, pipeline_version="t")
        claims_step(store, Settings(out=tmp_path / "a", **settings))
    with AnalysisStore(tmp_path / "b") as store:
        for doc, rows in reversed(corpus):  # documents and attributions in reverse order
            store.save_documents(
                [(doc, {k: list(reversed(v)) for k, v in rows.items()})], pipeline_version="t"
            )
        assert [a["id"] for a in store.read("attributions")] == ["d1:a2", "d1:a1"]
        claims_step(store, Settings(out=tmp_path / "b", **settings))
    with AnalysisStore(tmp_path / "a", read_only=True) as a, \
            AnalysisStore(tmp_path / "b", read_only=True) as b:
        for table in ("claims", "claim_clusters"):
            assert table_rows(a, table) == table_rows(b, table), table
        claims = a.read("claims")
        clusters = a.read("claim_clusters")
    shared = [c for c in claims if c["attribution"]]
    # one claim for the shared span, from the first attribution the extractor emitted
    assert [(c["attribution"], c["hedged"]) for c in shared] == [("d1:a1", False)]
    # and the two reports of the breach are one claim cluster (so equality is not vacuous)
    assert any(set(r["documents"]) == {"d1", "d2"} for r in clusters)


def test_embeddings_on_the_executors_are_the_local_floats(
    spark: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """The claims step's vector stages (texts, digests, model batches, forward passes, the
    cache's rows) on the cluster's executors give embed()'s vectors bit for bit, and read
    the vectors the store's cache holds instead of embedding those texts again."""
    import numpy as np

    from sourcetrace.engines.spark_steps import run_stage_spark
    from sourcetrace.link import vector_cache
    from sourcetrace.link.claims import claims_step
    from sourcetrace.link.embeddings import embed
    from sourcetrace.tables import CACHES

    texts = [f"The council in district {n} approved {n * 3} new homes and a bus line."
             for n in range(150)]
    texts += ["The ferry to Lindholm resumes next week.", texts[5], "ok"]
    local = embed(texts)
    spark.createDataFrame(
        [(t, len(t)) for t in reversed(texts)], "key string, klen int"
    ).createOrReplaceTempView("claim_leads")
    # the cache holds 40 of the texts (their vectors as a local run stored them)
    model = vector_cache.model_digest()
    spark.createDataFrame(
        [(vector_cache.text_digest(t), model, v.tolist())
         for t, v in zip(texts[:40], local[:40], strict=True)],
        "digest string, model string, vector array<float>",
    ).createOrReplaceTempView("vector_cache")
    assert list(CACHES["vector_cache"]) == ["digest", "model", "vector"]
    # groups of 64 texts, so that the executors share them (1,024 a group otherwise)
    monkeypatch.setattr(vector_cache, "ENCODE_GROUP", 64)
    stages = [*vector_cache.vector_stages("claim_lead_vectors",
                                          "SELECT key, klen FROM claim_leads"),
              vector_cache.cache_rows(["claim_lead_vectors"])]
    assert any(s.output == "claim_lead_vectors_texts" for s in stages if hasattr(s, "output"))
    context = spark.sparkContext.broadcast(None)
    for stage in stages:
        run_stage_spark(spark, stage, context, tmp_path,
                        lambda text: claims_step.sql(text, Settings(out=tmp_path)))
    assert len(list((tmp_path / "claim_lead_vectors_new").glob("*.parquet"))) > 1
    new = {r["key"] for r in spark.read.parquet(str(tmp_path / "claim_lead_vectors_new"))
           .collect()}
    assert new == set(texts[40:-1]) - set(texts[:40])  # the others came from the cache
    on_spark = {r["key"]: np.asarray(r["vector"], dtype=np.float32)
                for r in spark.read.parquet(str(tmp_path / "claim_lead_vectors")).collect()}
    assert set(on_spark) == set(texts[:-1])  # "ok" is too short: no model run, a zero row
    for text, vector in zip(texts[:-1], local[:-1], strict=True):
        assert np.array_equal(on_spark[text], vector)
    assert np.allclose(np.linalg.norm(local[:150], axis=1), 1.0, atol=1e-5)
    cache = spark.read.parquet(str(tmp_path / "vector_cache_rows")).collect()
    assert len(cache) == len(set(texts[:-1])) and {r["model"] for r in cache} == {model}


def test_an_interrupted_run_resumes_without_redoing_finished_jobs(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after the NLP jobs: the next run of the same inputs keeps their tables (their
    files are not rewritten) and gives the local engine's results; a changed input starts
    afresh."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    story = ("The harbour authority said on Monday that the ferry service to Lindholm would "
             "resume next week after repairs to the pier, which storms damaged in March.")
    (corpus / "coast.txt").write_text("Ferry to resume\n\n" + story + "\n")
    (corpus / "bay.txt").write_text(
        "Lindholm ferry back next week\n\nAccording to the harbour authority, " + story + "\n"
    )
    settings = {"formats": ("json",), "kb_files": [], "quiet": True}
    out = tmp_path / "spark"

    run_step = spark_engine.run_corpus_step

    def interrupt_at_reuse(spark: Any, step: Any, *args: Any) -> Any:
        if step.name == "reuse":
            raise KeyboardInterrupt
        return run_step(spark, step, *args)

    monkeypatch.setattr(spark_engine, "run_corpus_step", interrupt_at_reuse)
    with pytest.raises(KeyboardInterrupt):
        run_analysis_spark([corpus], Settings(out=out, **settings), spark=spark)
    tables = out / "spark-tables"
    steps = tables / "steps"
    assert not (steps / "reuse" / "reuse_passages" / "_SUCCESS").exists()
    # the NLP jobs' tables and the corpus steps that finished before the interruption
    finished = [tables / t / "_SUCCESS" for t in ("documents", "sentences", "attributions")]
    finished += [steps / s / "_STEP_DONE" for s in ("entities", "places")]
    kept = {f: f.stat().st_mtime_ns for f in finished}
    monkeypatch.undo()

    resumed = run_analysis_spark([corpus], Settings(out=out, **settings), spark=spark)
    assert {f: f.stat().st_mtime_ns for f in kept} == kept
    assert (steps / "reuse" / "reuse_passages" / "_SUCCESS").exists()
    local = run_analysis([corpus], Settings(out=tmp_path / "local", **settings))
    assert resumed.analysed == local.analysed == 2
    diff = compare_stores(tmp_path / "local", out)
    assert {t: d for t, d in diff.items() if d[2]} == {}, diff
    assert diff["claims"][0] > 0 and diff["reuse"][0] > 0

    # Another input: nothing of the earlier run is kept.
    (corpus / "hill.txt").write_text("Bridge closed\n\nOfficials in Tarvik closed the bridge.\n")
    again = run_analysis_spark([corpus], Settings(out=out, **settings), spark=spark)
    assert again.analysed == 3
    assert (tables / "documents" / "_SUCCESS").stat().st_mtime_ns != kept[finished[0]]
