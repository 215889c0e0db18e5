"""Text reuse: planted copies, light edits, reordering, boilerplate, and both engines agreeing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sourcetrace.config import Settings
from sourcetrace.link.reuse import (
    ReusePassage,
    ReuseSettings,
    align_pair,
    cluster_ids,
    earlier_of,
    find_reuse,
    reuse_step,
    shingles,
    tokenize,
)
from sourcetrace.model import Document

# Three paragraphs of an invented wire story (our own text).
P1 = (
    "The regional water authority announced on Tuesday that reservoir levels in the northern "
    "valley had fallen to their lowest point in three decades, prompting emergency limits on "
    "garden irrigation across four counties."
)
P2 = (
    "Engineers at the Dunmore treatment plant said the shortage was made worse by a cracked "
    "intake pipe that had been leaking for several months before inspectors finally noticed "
    "the damage during a routine survey in late spring."
)
P3 = (
    "Farmers who rely on the canal network warned that barley and potato harvests could shrink "
    "by a fifth if the restrictions stayed in place beyond August, and several cooperatives have "
    "asked the provincial government for compensation."
)
# P2 lightly edited: one word substituted, one deleted, two inserted (4 of 38 words).
P2_EDITED = (
    "Engineers at the Dunmore water plant said the shortage was made worse by a badly cracked "
    "intake pipe that had been leaking for months before inspectors finally noticed the damage "
    "during a routine annual survey in late spring."
)
SHORT = "Helena Okafor, the water minister, did not respond to a request."

WIRE = Document(
    "wire", f"{P1}\n\n{P2}\n\n{P3}\n\nMore updates will follow as the situation develops.",
    outlet="Wire", published="2021-03-01",
)
DAILY = Document(
    "daily",
    "Our reporter spent the morning at a half-empty lake outside town. "
    + P1.upper().replace(",", "") + " Locals told us they had never seen the shore so far out.",
    outlet="Daily Courier", published="2021-03-02",
)
# Copies P3 then an edited P2: reordered paragraphs, each must be found.
HERALD = Document(
    "herald",
    "Drought deepens. " + P3 + " Meanwhile, in the city, " + P2_EDITED + " The minister "
    "is expected to visit the plant on Friday morning with local councillors.",
    outlet="Herald", published="2021-03-03T09:30:00",
)
# Same outlet as DAILY, re-runs DAILY's own opening line and its copy of P1.
DAILY_LATER = Document(
    "daily-2",
    "Yesterday we wrote: " + DAILY.text[:220] + " Since then, rain has fallen in the hills.",
    outlet="Daily Courier", published="2021-03-04",
)
# Shares only a name and a stock phrase with the others: not reuse.
GAZETTE = Document(
    "gazette",
    "A new library opened downtown with a collection of rare maps. " + SHORT
    + " The library will be open seven days a week from next month onwards.",
    outlet="Gazette", published=None,
)
POST = Document(
    "post", "Election night brought surprises in three districts. " + SHORT
    + " Turnout was the highest since records began.",
    outlet="Post", published="2021-02-01",
)
# A refrain each repeats many times: chanted, not copied.
RALLY_A = Document(
    "rally-a", "Crowds gathered at the square. " + "Hold the line and bring the water home! " * 5
    + "Police watched from a distance.", outlet="Gazette", published="2021-03-05",
)
RALLY_B = Document(
    "rally-b", "Marchers sang as they walked. " + "hold the line, and bring the water home. " * 4
    + "The march ended peacefully at dusk.", outlet="Post", published="2021-03-05",
)
CORPUS = [WIRE, DAILY, HERALD, DAILY_LATER, GAZETTE, POST, RALLY_A, RALLY_B]


def span(doc: Document, needle: str) -> tuple[int, int]:
    start = doc.text.lower().index(needle.lower())
    return start, start + len(needle)


def pair(found: list[ReusePassage], a: str, b: str) -> list[ReusePassage]:
    return [p for p in found if {p.a, p.b} == {a, b}]


def offsets(p: ReusePassage, doc: str) -> tuple[int, int]:
    return (p.a_start, p.a_end) if p.a == doc else (p.b_start, p.b_end)


@pytest.fixture(scope="module")
def found() -> list[ReusePassage]:
    return find_reuse(CORPUS, ReuseSettings())


def test_tokens_ignore_case_and_punctuation_and_keep_offsets() -> None:
    text = "Don't PANIC, said the café-owner... 2016!"
    tok = tokenize(text)
    words = [text[s:e] for s, e in zip(tok.starts, tok.ends, strict=True)]
    assert words == ["Don", "t", "PANIC", "said", "the", "café", "owner", "2016"]
    other = tokenize("don’t panic: Said THE Café Owner 2016")
    assert np.array_equal(tok.hashes, other.hashes)
    assert len(set(tok.hashes.tolist())) == len(words)
    # Shingles depend on word order and are as many as word windows.
    sh = shingles(tok.hashes, 5)
    assert len(sh) == 4 and len(set(sh.tolist())) == 4
    assert shingles(tok.hashes[:3], 5).size == 0


def test_copied_paragraph_found_with_exact_boundaries(found: list[ReusePassage]) -> None:
    (p,) = pair(found, "wire", "daily")
    assert (p.a, p.b) == ("daily", "wire")  # a < b by id
    assert offsets(p, "wire") == (0, len(P1) - 1)  # without the final full stop
    start, end = span(DAILY, P1.upper().replace(",", ""))
    assert offsets(p, "daily") == (start, end - 1)
    assert p.similarity == 1.0 and p.words == len(P1.split())
    assert p.earlier == "wire" and not p.same_outlet


def test_reordered_and_edited_paragraphs_each_found(found: list[ReusePassage]) -> None:
    passages = sorted(pair(found, "wire", "herald"), key=lambda p: offsets(p, "wire"))
    assert len(passages) == 2
    p2, p3 = passages
    # P2 is one passage despite its edits, boundaries on the edited copy's first/last words.
    s2, _ = span(WIRE, P2)
    assert offsets(p2, "wire") == (s2, s2 + len(P2) - 1)
    h2, _ = span(HERALD, P2_EDITED)
    assert offsets(p2, "herald") == (h2, h2 + len(P2_EDITED) - 1)
    assert 0.85 < p2.similarity < 1.0
    s3, _ = span(WIRE, P3)
    assert offsets(p3, "wire") == (s3, s3 + len(P3) - 1)
    assert p3.similarity == 1.0
    # In herald, P3 comes before P2: the reordering did not hide either.
    assert offsets(p3, "herald")[0] < offsets(p2, "herald")[0]
    assert p2.earlier == "wire"  # a date and a datetime compare on the date


def test_same_outlet_and_clusters(found: list[ReusePassage]) -> None:
    later = pair(found, "daily", "daily-2")
    assert later and all(p.same_outlet for p in later)
    assert all(p.earlier == "daily" for p in later)
    linked = {d for p in found for d in (p.a, p.b)}
    assert linked == {"wire", "daily", "herald", "daily-2"}
    assert len({p.cluster for p in found}) == 1  # one wire story, one cluster


def test_shared_name_and_stock_phrase_are_not_reuse(found: list[ReusePassage]) -> None:
    assert not pair(found, "gazette", "post")
    # The shared sentence is 11 words; with a lower minimum it is reported.
    low = find_reuse(CORPUS, ReuseSettings(min_words=8))
    (p,) = pair(low, "gazette", "post")
    assert p.words == len(tokenize(SHORT).hashes) and p.earlier is None


def test_boilerplate_shared_by_many_documents_is_dropped() -> None:
    pitch = (
        "Sign up for our morning newsletter to receive the most important stories of the day "
        "delivered straight to your inbox before breakfast every single weekday."
    )
    bodies = [
        "Bus fares will rise in spring, the council confirmed.",
        "A heron was spotted nesting on the old mill chimney.",
        "The bakery on Elm Street won a regional prize for rye bread.",
        "Schools will close early on Thursday because of the storm.",
    ]
    docs = [Document(f"d{i}", f"{body} {pitch}", outlet="Local") for i, body in enumerate(bodies)]
    assert len(find_reuse(docs, ReuseSettings())) == 6  # every pair shares the pitch
    assert find_reuse(docs, ReuseSettings(max_df=3)) == []  # in 4 documents: boilerplate
    # In more than max_outlet_df documents of one outlet: that outlet's boilerplate ...
    assert find_reuse(docs, ReuseSettings(max_outlet_df=3)) == []
    # ... but four outlets sharing it is not one outlet's boilerplate.
    spread = [Document(d.id, d.text, outlet=f"o{i}") for i, d in enumerate(docs)]
    assert len(find_reuse(spread, ReuseSettings(max_outlet_df=3))) == 6
    # Documents without an outlet count as their own.
    anonymous = [Document(d.id, d.text) for d in docs]
    assert len(find_reuse(anonymous, ReuseSettings(max_outlet_df=3))) == 6


def test_phrase_repeated_within_documents_anchors_nothing(found: list[ReusePassage]) -> None:
    assert not pair(found, "rally-a", "rally-b")
    # Counted as ordinary anchors, the repeats' cross product aligns the refrains.
    assert pair(find_reuse([RALLY_A, RALLY_B], ReuseSettings(max_repeat=10)), "rally-a", "rally-b")


def test_align_pair_splits_reordered_sentences() -> None:
    a = Document("a", f"{P1} {P2} {P3}")
    b = Document("b", f"{P3} {P1}")
    ta, tb = tokenize(a.text), tokenize(b.text)
    ha, hb = shingles(ta.hashes, 5), shingles(tb.hashes, 5)
    common = np.intersect1d(ha, hb)
    pa = np.concatenate([np.flatnonzero(ha == h) for h in common])
    pb = np.concatenate([np.flatnonzero(hb == h) for h in common])
    matches = align_pair(ta, tb, pa, pb, ReuseSettings())
    assert [a.text[m.a_start : m.a_end + 1] for m in matches] == [P1, P3]
    assert [b.text[m.b_start : m.b_end + 1] for m in matches] == [P1, P3]


def test_earlier_and_clusters() -> None:
    assert earlier_of("x", "2020-01-02", "y", "2020-01-01T23:00:00") == "y"
    assert earlier_of("x", "2020-01-01T08:00", "y", "2020-01-01T09:00") == "x"
    assert earlier_of("x", None, "y", "2020-01-01") is None
    assert earlier_of("x", "2020-01-01", "y", "2020-01-01") is None
    assert earlier_of("x", "9/5/18", "y", "2020-01-01") is None
    assert cluster_ids([("b", "c"), ("x", "y"), ("a", "c")]) == {
        "a": 0, "b": 0, "c": 0, "x": 1, "y": 1,
    }


def test_corpus_step_writes_reuse_table(tmp_path: Path, found: list[ReusePassage]) -> None:
    from sourcetrace.outputs.store import AnalysisStore
    from sourcetrace.registry import corpus_steps

    assert corpus_steps.get("reuse") is reuse_step and corpus_steps.order["reuse"] == 30
    with AnalysisStore(tmp_path) as store:
        store.save_documents([(d, {}) for d in CORPUS], "test")
        reuse_step(store, Settings(out=tmp_path))
        rows = store.read("reuse", "ORDER BY a, b, a_start")
    assert rows == [p.to_row() for p in found]


@pytest.mark.slow
def test_spark_engine_reports_the_same_passages(
    spark, found: list[ReusePassage], tmp_path: Path
) -> None:
    """The declared reuse step run as Spark jobs gives find_reuse's passages."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sourcetrace.engines.spark_steps import run_step_spark

    folder = tmp_path / "documents"
    folder.mkdir()
    columns = ("id", "text", "outlet", "published", "duplicate_of")
    pq.write_table(pa.Table.from_pylist(
        [{"id": d.id, "text": d.text, "outlet": d.outlet, "published": d.published}
         for d in CORPUS],
        schema=pa.schema([(c, pa.string()) for c in columns]),
    ), folder / "part-0.parquet")
    written = run_step_spark(spark, reuse_step, {"documents": folder}, tmp_path / "work",
                             Settings(out=tmp_path))
    got = duckdb.connect().execute(
        f"SELECT * FROM read_parquet('{written['reuse'].as_posix()}/*.parquet') "
        "ORDER BY a, b, a_start, b_start"
    ).to_arrow_table().to_pylist()
    assert got == [p.to_row() for p in found]
    assert len(got) >= 5


def test_passages_are_the_same_when_pairs_are_aligned_in_parts(
    found: list[ReusePassage], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local runner takes the pairs a hash partition at a time on a big corpus: the
    partitions change nothing."""
    from sourcetrace.engines import local_steps

    monkeypatch.setattr(local_steps, "PARTITION_ROWS", 50)
    assert find_reuse(CORPUS, ReuseSettings()) == found
