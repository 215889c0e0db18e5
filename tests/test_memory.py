"""Memory that must not grow with the corpus (issue 19): stage outputs and memo rows go to
DuckDB beyond a small budget, in the order they came; DuckDB's own memory is limited; the
per-stage peak RSS probe used by the memory measurements."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from sourcetrace.corpus import CorpusStep, OnDriver, PerGroup, Rows
from sourcetrace.engines import local_steps, rss, spill
from sourcetrace.engines.local_steps import run_stage_local
from sourcetrace.engines.memo import StageMemo
from sourcetrace.outputs.store import AnalysisStore

COLUMNS = {"g": "VARCHAR", "k": "BIGINT", "text": "VARCHAR"}


def _rows_of(group: Rows, context: Any) -> Rows:
    """Each group's items back, in its order, with a text long enough to weigh something."""
    return {"out": [{"g": r["g"], "k": r["k"], "text": f"{r['g']}-{r['k']}" * 20}
                    for r in group["items"]]}


def _columns_of(group: Rows, context: Any) -> Rows:
    """The same rows as columns (the other form a stage function may return)."""
    rows = _rows_of(group, context)["out"]
    return {"out": {c: [r[c] for r in rows] for c in COLUMNS}}


def _items(con: Any, groups: int = 40, per_group: int = 7) -> None:
    items = [(f"g{g:03d}", g * 100 + k) for g in range(groups) for k in range(per_group)]
    con.register("items_rows", pa.table({"g": [g for g, _ in items],
                                         "k": [k for _, k in items]}))
    con.execute("CREATE OR REPLACE TABLE items AS SELECT * FROM items_rows")
    con.unregister("items_rows")


def _stage(fn: Any, memo: bool = False) -> PerGroup:
    return PerGroup({"items": "SELECT * FROM items"}, key=("g",), fn=fn, outputs={"out": COLUMNS},
                    order={"items": ("k",)}, memo=memo)


def _spill_tables(con: Any) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%spill%'"
    ).fetchall()]


@pytest.mark.parametrize("fn", [_rows_of, _columns_of])
def test_a_stage_output_beyond_the_budget_goes_to_duckdb_as_it_comes(
    fn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_steps, "PARTITION_ROWS", 100)  # groups read in 3 partitions
    con = duckdb.connect()
    _items(con)
    run_stage_local(con, _stage(fn), None)
    expected = con.execute('SELECT * FROM temp."out"').fetchall()  # held whole: one table
    assert len(expected) == 280

    held: list[int] = []
    append = spill.TableSink.append

    def watched(self: spill.TableSink, table: pa.Table) -> None:
        append(self, table)
        held.append(self.held)

    monkeypatch.setattr(spill.TableSink, "append", watched)
    monkeypatch.setattr(spill, "SPILL_BYTES", 1)  # every batch goes to DuckDB at once
    monkeypatch.setattr(spill, "FLUSH_ROWS", 5)  # row dicts made Arrow every 5 rows
    run_stage_local(con, _stage(fn), None)
    assert len(held) >= 3 and set(held) == {0}  # never more than one batch in Python
    # the same rows in the same order, and no spill table left behind
    assert con.execute('SELECT * FROM temp."out"').fetchall() == expected
    assert _spill_tables(con) == []


def test_a_driver_stage_with_rows_beyond_the_budget_keeps_their_order(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    def every_item(tables: Rows, context: Any) -> Rows:
        return _rows_of({"items": tables["items"]}, context)

    stage = OnDriver({"items": "SELECT * FROM items"}, fn=every_item, outputs={"out": COLUMNS},
                     order={"items": ("g", "k")})
    con = duckdb.connect()
    _items(con)
    run_stage_local(con, stage, None)
    expected = con.execute('SELECT * FROM temp."out"').fetchall()
    monkeypatch.setattr(spill, "SPILL_BYTES", 1)
    monkeypatch.setattr(spill, "FLUSH_ROWS", 3)
    run_stage_local(con, stage, None)
    assert con.execute('SELECT * FROM temp."out"').fetchall() == expected
    assert _spill_tables(con) == []


def test_memo_rows_beyond_the_budget_are_kept_and_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "SPILL_BYTES", 1)
    monkeypatch.setattr(spill, "FLUSH_ROWS", 4)
    held_rows: list[int] = []  # row dicts a buffer (the stage's or the memo's) holds after add
    add = spill.RowBuffer.add

    def watched(self: spill.RowBuffer, rows: Any, fixed: Any = None) -> None:
        add(self, rows, fixed)
        held_rows.append(len(self.rows))

    monkeypatch.setattr(spill.RowBuffer, "add", watched)
    monkeypatch.setattr(local_steps, "PARTITION_ROWS", 100)
    con = duckdb.connect()
    _items(con)
    stage = _stage(_rows_of, memo=True)
    step = CorpusStep(name="test", reads=("items",), stages=(stage,), writes={})
    found = []
    for _ in range(2):
        memo = StageMemo(con, step, 0, stage, b"salt")
        run_stage_local(con, stage, None, memo=memo)
        memo.save()
        found.append((memo.counts(), sorted(con.execute('SELECT * FROM temp."out"').fetchall())))
        for name in memo.temp_tables():
            con.execute(f'DROP TABLE IF EXISTS temp."{name}"')
        assert _spill_tables(con) == []
    assert held_rows and max(held_rows) < 4  # the memo's rows became Arrow as they came
    assert found[0][0] == {"groups": 40, "computed": 40}
    assert found[1][0] == {"groups": 40, "computed": 0}  # every group's rows from the memo
    assert found[0][1] == found[1][1] and len(found[0][1]) == 280


def test_the_store_limits_duckdbs_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def limit(path: Path) -> int:
        with AnalysisStore(path) as store:
            return store.con.execute(
                "SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'").fetchone()[0]

    monkeypatch.delenv("SOURCETRACE_DUCKDB_MEMORY", raising=False)
    default = limit(tmp_path / "a")
    ram_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    # a quarter of the RAM (at least 2 GB), not DuckDB's own 80 %
    assert default.endswith("GiB") and 1.8 <= float(default.split()[0]) <= max(1.9, ram_gib / 4)
    monkeypatch.setenv("SOURCETRACE_DUCKDB_MEMORY", "512MB")
    assert limit(tmp_path / "b") in {"488.2 MiB", "488.3 MiB"}


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="Linux /proc only")
def test_the_probe_gives_each_stage_its_own_peak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "rss.jsonl"
    rss.begin("off")
    rss.end("off")
    assert not log.exists()  # without the variable: nothing
    monkeypatch.setenv(rss.RSS_ENV, str(log))
    rss.begin("big")
    block = bytearray(os.urandom(1)) * (200 * 2**20)  # 200 MiB, touched
    del block
    rss.end("big")
    rss.begin("outer")
    rss.begin("small")
    rss.end("small")
    rss.begin("inner")
    block = bytearray(os.urandom(1)) * (200 * 2**20)
    del block
    rss.end("inner")
    rss.end("outer")
    big, small, inner, outer = (json.loads(line) for line in log.read_text().splitlines())
    assert [r["stage"] for r in (big, small, inner, outer)] == ["big", "small", "inner", "outer"]
    assert big["peak"] - big["rss"] > 150 * 2**20  # the block was counted in its stage...
    assert small["peak"] - small["rss"] < 50 * 2**20  # ...and not in the next one
    # a stage inside another resets the peak; the outer one still has the inner one's
    assert inner["peak"] - inner["rss"] > 150 * 2**20
    assert outer["peak"] >= inner["peak"]


def test_the_probe_leaves_the_connection_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(rss.RSS_ENV, str(tmp_path / "rss.jsonl"))
    with AnalysisStore(tmp_path / "store") as store:
        rss.begin("step")
        rss.end("step", con=store.con)  # what DuckDB holds, read on the store's connection
        assert local_steps._rows(store.con, "SELECT 1 AS one") == [{"one": 1}]
    record = json.loads((tmp_path / "rss.jsonl").read_text())
    assert record["duckdb"] is not None and record["duckdb_temp"] is not None
