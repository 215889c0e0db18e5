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
    chosen = select_documents(items, store, "v1")
    return ([d.id for d in chosen.todo], chosen.duplicate_of, [str(e) for e in chosen.errors],
            chosen.skipped)


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
        chosen = select_documents([Document("b", FERRY)], store, "v2")
        assert [d.id for d in chosen.todo] == ["b"]


def test_the_same_text_elsewhere_is_an_appearance_the_same_page_again_a_repeat(
    tmp_path: Path,
) -> None:
    items: list[Document | IngestError] = [
        Document("w1", FERRY, outlet="Coast News", url="https://coastnews.example/ferry"),
        # the wire copy on another outlet: an appearance of w1's text
        Document("w2", FERRY, outlet="Bay Courier", url="https://baycourier.example/a/17"),
        # the same page again (scheme, www. and a trailing slash do not make it another)
        Document("w3", FERRY, outlet="Coast News", url="http://www.coastnews.example/ferry/"),
        # the same outlet, no URL, another day: an appearance; the same day: a repeat
        Document("p1", BRIDGE, outlet="Hill Post", published="2024-03-01"),
        Document("p2", BRIDGE, outlet="Hill Post", published="2024-03-02"),
        Document("p3", BRIDGE, outlet="Hill Post", published="2024-03-01"),
        # nothing known but the text: two records are two appearances, outlet unknown
        Document("n1", FIRE, source_path="n1.txt"),
        Document("n2", FIRE, source_path="n2.txt"),
    ]
    with AnalysisStore(tmp_path) as store:
        chosen = select_documents(items, store, "v1")
        assert [d.id for d in chosen.todo] == ["w1", "p1", "n1"]
        assert chosen.duplicate_of == {"w2": "w1", "p2": "p1", "n2": "n1"}
        assert chosen.repeat_of == {"w3": "w1", "p3": "p1"}
        assert chosen.errors == []
        store.save_documents([(d, {}) for d in chosen.todo], "v1")
        store.save_documents([(d, {}) for d in chosen.appearances], "v1", chosen.duplicate_of)
        # a later run knows the stored appearances: the same page is still a repeat
        again = select_documents([
            Document("w9", FERRY, outlet="Bay Courier", url="https://baycourier.example/a/17"),
            Document("w5", FERRY, outlet="Sound Daily", url="https://sound.example/ferry"),
        ], store, "v1")
        assert again.repeat_of == {"w9": "w2"}
        assert again.duplicate_of == {"w5": "w1"}


def test_an_outlet_inferred_from_a_wire_credit_does_not_make_two_outlets_one() -> None:
    from sourcetrace.ingest.selection import appearance_key

    credited = Document("r1", "LONDON (Reuters) - " + FERRY, outlet="Reuters",
                        outlet_inferred="wire credit")
    assert appearance_key(credited) is None
    assert appearance_key(Document("r2", FERRY, outlet="Reuters")) == "outlet:reuters|"
