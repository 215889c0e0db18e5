"""analysis.json is written streaming: the same bytes as the in-memory export, without
holding the corpus in memory."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from sourcetrace.outputs import export
from sourcetrace.outputs.store import AnalysisStore

N_DOCS = 400
TEXT_CHARS = 50_000  # 20 MB of document text in all


def _big_store(path: Path) -> AnalysisStore:
    store = AnalysisStore(path)
    store.con.execute(
        "INSERT INTO documents (id, title, outlet, text, n_words, language) "
        "SELECT 'd' || lpad(CAST(i AS VARCHAR), 4, '0'), 'Title ' || i, 'Outlet ' || (i % 7), "
        f"repeat('Ministers met on day ' || i || ' to discuss the harbour. ', "
        f"{TEXT_CHARS // 50}), {TEXT_CHARS // 6}, 'en' FROM range({N_DOCS}) t(i)"
    )
    # Entities with mentions stored out of id order: each entity's mentions must come in the
    # order they were stored, as the in-memory export lists them.
    store.con.execute("INSERT INTO entities (id, name, type, in_kb) "
                      "SELECT 'e' || i, 'Name ' || i, 'PERSON', false FROM range(5) t(i)")
    store.con.execute(
        'INSERT INTO mentions (doc, start, "end", text, label, entity) '
        "SELECT 'd' || lpad(CAST(i % 50 AS VARCHAR), 4, '0'), 1000 - i, 1005 - i, 'Name', "
        "'PERSON', 'e' || ((i * 3) % 5) FROM range(40) t(i)"
    )
    return store


def test_write_json_streams_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    store = _big_store(tmp_path / "store")
    try:
        monkeypatch.setattr(export, "CHUNK", 7, raising=False)  # chunks end inside every table
        expected = export.build_analysis(store, {"version": "x"})
        tracemalloc.start()
        path = export.write_json(store, tmp_path, {"version": "x"})
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        store.close()
    text = path.read_text(encoding="utf-8")
    written = json.loads(text)
    expected["generated"] = written["generated"]
    assert text == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
    assert [len(e["mentions"]) for e in written["entities"]] == [8] * 5
    assert len(text) > 0.9 * N_DOCS * TEXT_CHARS
    # The whole export is over 20 MB; streaming holds a few chunks of documents at a time.
    assert peak < len(text) / 10, f"peak {peak:,} bytes for a {len(text):,}-byte export"
