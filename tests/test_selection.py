"""Which ingested documents are analysed (ingest.selection, one SQL text for both engines),
as the local engine applies it over a store; tests/test_spark.py runs the Spark side."""

from __future__ import annotations

from pathlib import Path

from sourcetrace.engines.local import select_documents
from sourcetrace.model import Document, IngestError
from sourcetrace.outputs.store import AnalysisStore

FERRY = "The ferry to Lindholm resumes next week after repairs to the pier."
BRIDGE = "Officials in Tarvik closed the road bridge for an inspection on Monday."
FIRE = "Firefighters put out a blaze at the grain depot in Kestrel overnight."


def _select(store: AnalysisStore, items: list[Document | IngestError]) -> tuple:
    todo, dups, duplicate_of, errors, skipped = select_documents(items, store, "v1")
    return [d.id for d in todo], duplicate_of, [str(e) for e in errors], skipped


def test_first_in_input_order_wins_and_reused_ids_are_errors(tmp_path: Path) -> None:
    items: list[Document | IngestError] = [
        Document("zeta", FERRY, source_path="a.jsonl"),
        IngestError("a.jsonl", "not JSON", line=2),
        Document("alpha", FERRY, source_path="a.jsonl"),  # same text, later: a duplicate
        Document("zeta", BRIDGE, source_path="b.jsonl"),  # id reused: an error, in place
        Document("mid", BRIDGE, source_path="b.jsonl"),
    ]
    with AnalysisStore(tmp_path) as store:
        todo, duplicate_of, errors, skipped = _select(store, items)
    assert todo == ["zeta", "mid"]
    assert duplicate_of == {"alpha": "zeta"}  # input order, not id order
    assert errors == ["a.jsonl:2: not JSON",
                      "b.jsonl: duplicate document id 'zeta'; the first one is kept"]
    assert skipped == 0


def test_a_second_run_skips_what_is_stored_and_knows_its_texts(tmp_path: Path) -> None:
    with AnalysisStore(tmp_path) as store:
        store.save_documents([(Document("b", FERRY), {}), (Document("c", BRIDGE), {})], "v1")
        todo, duplicate_of, _, skipped = _select(store, [
            Document("a", FERRY),   # the stored "b" has this text: a duplicate of it
            Document("b", FERRY),   # stored with this version and text: skipped
            Document("c", FIRE),    # stored, but the text changed: analysed again
            Document("d", BRIDGE),  # the stored "c" had this text: still its duplicate
        ])
        assert (todo, duplicate_of, skipped) == (["c"], {"a": "b", "d": "c"}, 1)
        # another pipeline version analyses everything again
        todo, *_ = select_documents([Document("b", FERRY)], store, "v2")
        assert [d.id for d in todo] == ["b"]
