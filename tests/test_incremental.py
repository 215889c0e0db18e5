"""Incremental runs: `analyze` on an existing --out with new documents updates the corpus
steps for what the new documents touch, and the store equals a run from scratch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sourcetrace.config import Settings
from sourcetrace.engines.local import RunResult, run_analysis

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "examples" / "corpus"
KB = ROOT / "examples" / "kb.yaml"


def _settings(out: Path, **kw: Any) -> Settings:
    return Settings(out=out, kb_files=[KB], formats=("json",), quiet=True, **kw)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo corpus split in two: half of it analysed, then the whole on the same --out;
    and the whole from scratch."""
    root = tmp_path_factory.mktemp("incremental")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    texts = sorted(corpus.glob("*.txt"))
    first = texts[::2]  # every other file: new documents sort between the old ones
    assert 0 < len(first) < len(texts)
    base = run_analysis(first, _settings(root / "incremental"))
    grown = run_analysis([corpus], _settings(root / "incremental"))
    scratch = run_analysis([corpus], _settings(root / "scratch"))
    return {"root": root, "corpus": corpus, "first": first, "n": len(texts),
            "base": base, "grown": grown, "scratch": scratch}


def _tables(out: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the store (the memo's too), as sorted rows; not ``runs``, the history of
    the runs that wrote the store (one row a run, with its time)."""
    con = duckdb.connect(str(out / "sourcetrace.duckdb"), read_only=True)
    try:
        names = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "ORDER BY table_schema, table_name"
        ).fetchall()
        return {f"{s}.{t}": sorted(map(repr, con.execute(f'SELECT * FROM "{s}"."{t}"').fetchall()))
                for s, t in names if (s, t) != ("main", "runs")}
    finally:
        con.close()


def _analysis(out: Path) -> dict[str, Any]:
    data = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    data.pop("generated", None)  # the time of the run
    return data


def test_adding_documents_gives_the_tables_of_a_run_from_scratch(runs: dict[str, Any]) -> None:
    grown, scratch = runs["grown"], runs["scratch"]
    assert grown.analysed + grown.skipped == scratch.analysed == runs["n"]
    incremental = _tables(runs["root"] / "incremental")
    fresh = _tables(runs["root"] / "scratch")
    assert set(incremental) == set(fresh)
    assert any(name.startswith("memo.") for name in fresh)
    for name in fresh:
        assert incremental[name] == fresh[name], name
    assert fresh["main.claim_clusters"] and fresh["main.reuse"]  # something to compare


def test_adding_documents_gives_the_analysis_json_of_a_run_from_scratch(
    runs: dict[str, Any],
) -> None:
    assert _analysis(runs["root"] / "incremental") == _analysis(runs["root"] / "scratch")


def _work(result: RunResult, function: str) -> dict[str, int]:
    [found] = [v for k, v in result.work.items() if k.split(":")[1].startswith(function + "->")]
    return found


def test_the_incremental_run_computes_only_what_the_new_documents_touch(
    runs: dict[str, Any],
) -> None:
    base, grown, scratch = runs["base"], runs["grown"], runs["scratch"]
    new = runs["n"] - len(runs["first"])
    # per document: only the new documents are linked ...
    for function in ("mention_targets", "document_claims"):
        assert _work(scratch, function) == {"groups": runs["n"], "computed": runs["n"]}
    assert _work(grown, "mention_targets") == {"groups": runs["n"], "computed": new}
    # ... and cut into claims, with the old documents whose linked entities the new ones
    # changed (a source first named in full by a new article), never all of them
    claims = _work(grown, "document_claims")
    assert claims["groups"] == runs["n"] and new <= claims["computed"] < runs["n"]
    # reuse: the pairs of old documents were aligned by the first run and are not again
    align = _work(grown, "align_documents")
    old_pairs = _work(base, "align_documents")["groups"]
    assert old_pairs > 0
    assert align["groups"] == _work(scratch, "align_documents")["groups"]
    assert align["computed"] == align["groups"] - old_pairs


def test_provenance_keeps_the_clusters_the_new_documents_leave_alone(
    runs: dict[str, Any],
) -> None:
    """Cluster ids are ranks that new documents shift, and the entities table grows with
    them; a cluster's analysis reads neither, so an untouched cluster is not analysed again.
    (The demo's narratives are few and every one of them gains a new document or a copy.)"""
    for unit in ("cluster_analysed", "narrative_analysed"):
        [grown] = [v for k, v in runs["grown"].work.items() if k.endswith("->" + unit)]
        [scratch] = [v for k, v in runs["scratch"].work.items() if k.endswith("->" + unit)]
        assert grown["groups"] == scratch["groups"] == scratch["computed"] > 0
        if unit == "cluster_analysed":
            assert 0 < grown["computed"] < grown["groups"], grown


def test_a_run_with_nothing_new_computes_nothing_again(
    runs: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "again"
    shutil.copytree(runs["root"] / "incremental", out)
    again = run_analysis([runs["corpus"]], _settings(out))
    assert again.analysed == 0
    assert again.work and all(w["computed"] == 0 for w in again.work.values()), again.work
    assert _tables(out) == _tables(runs["root"] / "scratch")


def test_changed_settings_and_recompute_compute_every_group(
    runs: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "changed"
    shutil.copytree(runs["root"] / "incremental", out)
    # a reuse setting is part of what the stored rows were computed with
    changed = run_analysis([runs["corpus"]], _settings(out, min_reuse_words=11))
    align = _work(changed, "align_documents")
    assert align["groups"] > 0 and align["computed"] == align["groups"]
    before = _tables(out)
    forced = run_analysis([runs["corpus"]], _settings(out, min_reuse_words=11, recompute=True))
    assert forced.work and all(w["computed"] == w["groups"] for w in forced.work.values())
    assert _tables(out) == before


# -- the memo itself, on a stage of its own (no NLP) ------------------------------------------
CALLS: list[Any] = []


def _pairs_within(group: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """Each item with the next one of its group (by number): labels named and ordered."""
    CALLS.append(group["items"][0]["g"])
    items = group["items"]
    return {"pairs": [{"g": a["g"], "i": a["idx"], "j": b["idx"], "text": a["text"] + b["text"]}
                      for a, b in zip(items, items[1:], strict=False)]}


def _memo_stage(labels: tuple[str, ...]) -> Any:
    from sourcetrace.corpus import PerGroup

    return PerGroup({"items": "SELECT * FROM items"}, key=("g",), fn=_pairs_within,
                    outputs={"pairs": {"g": "VARCHAR", "i": "BIGINT", "j": "BIGINT",
                                       "text": "VARCHAR"}},
                    order={"items": ("idx",)}, memo=True, memo_labels=labels)


def _run_memo_stage(con: Any, items: list[tuple[str, int, str]], labels: tuple[str, ...]
                    ) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    import pyarrow as pa

    from sourcetrace.corpus import CorpusStep
    from sourcetrace.engines.local_steps import run_stage_local
    from sourcetrace.engines.memo import StageMemo

    con.register("items_rows", pa.table({"g": [g for g, _, _ in items],
                                         "idx": [i for _, i, _ in items],
                                         "text": [t for _, _, t in items]}))
    con.execute("CREATE OR REPLACE TABLE items AS SELECT * FROM items_rows")
    stage = _memo_stage(labels)
    step = CorpusStep(name="test", reads=("items",), stages=(stage,), writes={})
    memo = StageMemo(con, step, 0, stage, b"salt")
    CALLS.clear()
    run_stage_local(con, stage, None, memo=memo)
    memo.save()
    rows = sorted(con.execute('SELECT * FROM temp."pairs"').fetchall())
    return rows, memo.counts()


def test_renumbered_labels_in_the_same_order_are_reused_and_given_back() -> None:
    con = duckdb.connect()
    labels = ("idx", "i", "j")
    items = [("a", 0, "x"), ("a", 1, "y"), ("b", 2, "z"), ("b", 3, "w")]
    rows, counts = _run_memo_stage(con, items, labels)
    assert counts == {"groups": 2, "computed": 2}
    assert rows == [("a", 0, 1, "xy"), ("b", 2, 3, "zw")]
    # a new group numbered before them: every number moves, no order changes
    grown = [("0", 0, "p"), ("0", 1, "q"), *((g, i + 2, t) for g, i, t in items)]
    rows, counts = _run_memo_stage(con, grown, labels)
    assert counts == {"groups": 3, "computed": 1} and CALLS == ["0"]
    assert rows == [("0", 0, 1, "pq"), ("a", 2, 3, "xy"), ("b", 4, 5, "zw")]
    # without labels the numbers are inputs like any other: every group is computed again
    con = duckdb.connect()
    _run_memo_stage(con, items, ())
    assert _run_memo_stage(con, grown, ())[1] == {"groups": 3, "computed": 3}


def test_a_changed_group_is_computed_again() -> None:
    con = duckdb.connect()
    labels = ("idx", "i", "j")
    _run_memo_stage(con, [("a", 0, "x"), ("a", 1, "y"), ("b", 2, "z")], labels)
    rows, counts = _run_memo_stage(con, [("a", 0, "x"), ("a", 1, "Y"), ("b", 2, "z")], labels)
    assert counts == {"groups": 2, "computed": 1} and CALLS == ["a"]
    assert rows == [("a", 0, 1, "xY")]


def _pairs_outside(group: dict[str, list[dict[str, Any]]], context: Any) -> dict[str, Any]:
    """A label no input has (against the labels' contract): the memo must not keep it."""
    a = group["items"][0]
    return {"pairs": [{"g": a["g"], "i": a["idx"], "j": a["idx"] + 100, "text": a["text"]}]}


def test_an_output_label_the_group_lacks_is_computed_not_kept() -> None:
    import pyarrow as pa

    from sourcetrace.corpus import CorpusStep, PerGroup
    from sourcetrace.engines.local_steps import run_stage_local
    from sourcetrace.engines.memo import StageMemo

    con = duckdb.connect()
    con.register("items_rows", pa.table({"g": ["a", "b"], "idx": [0, 1], "text": ["x", "y"]}))
    con.execute("CREATE TABLE items AS SELECT * FROM items_rows")
    stage = PerGroup({"items": "SELECT * FROM items"}, key=("g",), fn=_pairs_outside,
                     outputs=_memo_stage(()).outputs, memo=True, memo_labels=("idx", "i", "j"))
    step = CorpusStep(name="test", reads=("items",), stages=(stage,), writes={})
    for _ in range(2):
        memo = StageMemo(con, step, 0, stage, b"salt")
        run_stage_local(con, stage, None, memo=memo)
        memo.save()
        assert memo.counts() == {"groups": 2, "computed": 2}
        assert sorted(con.execute('SELECT * FROM temp."pairs"').fetchall()) == [
            ("a", 0, 100, "x"), ("b", 1, 101, "y")]
