"""The ``entities`` and ``places`` steps as Spark jobs (engines.spark_entities) give the local
steps' tables, and the driver never reads a document text for them.

The Spark jobs run on a ``local[2]`` session over Parquet tables exported from a local run of
the demo corpus, so the NLP is not redone on Spark here (tests/test_spark.py runs the whole
engine on a real cluster)."""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sourcetrace.config import Settings
from sourcetrace.engines.local import run_analysis
from sourcetrace.engines.spark import compare_stores, get_session
from sourcetrace.engines.spark_entities import (
    CONTEXT_COLUMNS,
    MENTION_KEY,
    context_rows,
    run_entities_on_spark,
    run_places_on_spark,
)
from sourcetrace.extract.entities.kb import KnowledgeBase
from sourcetrace.extract.entities.link import (
    CONTEXT_AFTER,
    CONTEXT_BEFORE,
    EntityLinker,
    document_context,
)
from sourcetrace.link.places import places_step
from sourcetrace.outputs.store import AnalysisStore

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "examples" / "corpus"
KB = ROOT / "examples" / "kb.yaml"
LINKED_TABLES = ["entities", "mentions", "attributions", "places"]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = get_session("local[2]", app="sourcetrace-test-entities")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


class RecordingConnection:
    """A DuckDB connection that keeps every SQL statement run through it."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self.statements: list[str] = []

    def execute(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return self._con.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _export(store: AnalysisStore, table: str, parquet: Path) -> None:
    """A store table as the Spark jobs would have written it: DIR/spark-tables/<table>/."""
    folder = parquet / table
    folder.mkdir(parents=True)
    store.con.execute(
        f"COPY (SELECT * FROM \"{table}\") TO '{(folder / 'part-0.parquet').as_posix()}' "
        "(FORMAT parquet)"
    )


@pytest.fixture(scope="module")
def demo(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """(local run, the same store linked by the Spark steps, SQL those steps ran)."""
    base = tmp_path_factory.mktemp("demo")
    local = base / "local"
    settings = Settings(out=local, kb_files=[KB], formats=("json",))
    run_analysis([CORPUS], settings)
    on_spark = base / "spark"
    on_spark.mkdir()
    shutil.copy(local / "sourcetrace.duckdb", on_spark / "sourcetrace.duckdb")
    parquet = on_spark / "spark-tables"
    with AnalysisStore(on_spark) as store:
        for table in ("documents", "mentions", "place_mentions"):
            _export(store, table, parquet)
        # Forget the local steps' results, and the texts: the Spark steps must recompute
        # the former without the latter (the executors read them from Parquet).
        store.con.execute("UPDATE mentions SET entity = NULL")
        store.con.execute("UPDATE attributions SET source_entity = NULL")
        store.con.execute("DELETE FROM entities")
        store.con.execute("DELETE FROM places")
        store.con.execute("UPDATE documents SET text = NULL")
        recording = RecordingConnection(store.con)
        store.con = recording  # type: ignore[assignment]
        run_entities_on_spark(spark, store, parquet, Settings(out=on_spark, kb_files=[KB]))
        run_places_on_spark(spark, store, parquet, Settings(out=on_spark, kb_files=[KB]))
    return local, on_spark, recording.statements


def test_demo_corpus_links_as_the_local_steps(demo: tuple[Path, Path, list[str]]) -> None:
    local, on_spark, _ = demo
    diff = compare_stores(local, on_spark, LINKED_TABLES)
    assert {t: d for t, d in diff.items() if d[2]} == {}, diff
    for table in LINKED_TABLES:
        assert diff[table][0] > 0, table  # equality is not two empty tables
    with AnalysisStore(on_spark, read_only=True) as store:
        linked = store.con.execute(
            "SELECT count(*) FILTER (WHERE entity IS NOT NULL), count(*) FROM mentions"
        ).fetchone()
        context = store.con.execute(
            "SELECT count(*) FROM read_parquet("
            f"'{(on_spark / 'spark-tables' / 'entity_context' / '*.parquet').as_posix()}')"
        ).fetchone()[0]
    assert linked[0] > linked[1] // 2  # most mentions were linked, not left NULL
    assert context == linked[1]  # one context row per mention, written by the executors


def test_driver_reads_no_document_text(demo: tuple[Path, Path, list[str]]) -> None:
    _, _, statements = demo
    assert statements, "the steps ran their SQL through the store's connection"
    assert not [s for s in statements if "documents" in s.lower()], statements
    # The context strings stay in Parquet: the driver reads the targets only.
    assert not [s for s in statements if "before" in s or "after" in s], statements


def test_spark_entities_collects_nothing() -> None:
    tree = ast.parse((ROOT / "src" / "sourcetrace" / "engines" / "spark_entities.py").read_text())
    calls = [
        node.func.attr for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"collect", "toPandas", "toLocalIterator", "take", "head",
                               "first", "tail"}
    ]
    assert calls == []


# -- the text-free linker on sentences of our own ------------------------------------------------
NORTHLAND_KB = """
- {id: northland, name: Northland, type: state, country: null}
- {id: gov-northland, name: Government of Northland, type: government, country: null,
   controlled_by: northland, metonyms: [Port Ellis]}
- {id: nwa, name: Northland Water Authority, aliases: [NWA], type: organisation,
   country: null, controlled_by: gov-northland}
- {id: nsb, name: Norland Security Bureau, aliases: [NSB], type: intelligence, country: null}
"""

TEXTS = {
    "n1": ("Engineers from the Kestrel Valley Grain Board (KVGB) inspected the silos on "
           "Monday. Northland's Water Authority said the KVGB had approved the plan. "
           "Minister Ada Korvell agreed; Korvell spoke in Port Ellis."),
    "n2": ("The Northern Safety Bureau (NSB) detained two engineers near the dam, and kept "
           "them for a week. Later the Northern Safety Bureau released them. Port Ellis "
           "denied it. Water Authority staff left the Port Ellis district."),
}
SPANS = {
    "n1": [("Kestrel Valley Grain Board", "ORG"), ("KVGB", "ORG"), ("Water Authority", "ORG"),
           ("KVGB", "ORG"), ("Ada Korvell", "PERSON"), ("Korvell", "PERSON"),
           ("Port Ellis", "GPE")],
    "n2": [("Northern Safety Bureau", "ORG"), ("NSB", "ORG"), ("Northern Safety Bureau", "ORG"),
           ("Port Ellis", "GPE"), ("Water Authority", "ORG"), ("Port Ellis", "GPE")],
}


def _mentions() -> list[dict[str, Any]]:
    out = []
    for doc, spans in SPANS.items():
        pos = 0
        for surface, label in spans:
            start = TEXTS[doc].index(surface, pos)
            pos = start + len(surface)
            out.append({"doc": doc, "start": start, "end": pos, "text": surface,
                        "label": label, "sentence": 0, "entity": None})
    return out


@pytest.fixture(scope="module")
def northland(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    path = tmp_path_factory.mktemp("kb") / "northland.yaml"
    path.write_text(NORTHLAND_KB, encoding="utf-8")
    return KnowledgeBase.load([path])


def _by_surface(mentions: list[dict[str, Any]], ids: list[str | None]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for m, eid in zip(mentions, ids, strict=True):
        out.setdefault(f"{m['doc']}:{m['text']}", []).append(eid)
    return out


def test_text_free_linking_is_linking_with_texts(northland: KnowledgeBase) -> None:
    mentions = _mentions()
    with_texts = EntityLinker(northland).link_texts(TEXTS, mentions)

    # What the Spark job does, one document at a time, with pandas frames as Spark gives them.
    frames = []
    for doc, text in TEXTS.items():
        rows = pd.DataFrame([m for m in mentions if m["doc"] == doc])[list(MENTION_KEY)]
        frames.append(context_rows(rows, pd.DataFrame({"body": [text]}), northland))
    context = pd.concat(frames, ignore_index=True)
    assert list(context.columns) == list(CONTEXT_COLUMNS)
    # exactly the strings the linker has always cut from the texts: 40 before, 30 after
    assert (CONTEXT_BEFORE, CONTEXT_AFTER) == (40, 30)
    for row in context.itertuples(index=False):
        text = TEXTS[row.doc]
        assert row.before == text[max(0, row.start - 40) : row.start]
        assert row.after == text[row.end : row.end + 30]
    first = {
        (r.doc, r.start, r.end, r.label, r.text): (r.target_kind, r.target)
        if isinstance(r.target_kind, str) else None
        for r in context.itertuples(index=False)
    }
    # the driver's part: mention rows and targets only
    targets = [first[tuple(m[c] for c in MENTION_KEY)] for m in mentions]
    text_free = EntityLinker(northland).link_targets(mentions, targets)
    assert text_free.mention_entities == with_texts.mention_entities
    assert text_free.entities == with_texts.entities

    # and link_corpus over the context strings (no texts) as well
    acronyms = {d: document_context(t, [], northland).acronyms for d, t in TEXTS.items()}
    around = [(r.before, r.after) for r in context.itertuples(index=False)]
    assert [(r.doc, r.start) for r in context.itertuples(index=False)] == [
        (m["doc"], m["start"]) for m in mentions
    ]
    from_context = EntityLinker(northland).link_corpus(mentions, acronyms, around)
    assert from_context.mention_entities == with_texts.mention_entities

    # What each case needs of the text, so that a context cut wrong shows.
    ids = _by_surface(mentions, with_texts.mention_entities)
    assert ids["n1:Water Authority"] == ["nwa"]  # "Northland's" just left of the mention
    assert ids["n2:Water Authority"] != ["nwa"]  # no possessive there: another actor
    kvgb = ids["n1:Kestrel Valley Grain Board"][0]
    assert kvgb.startswith("ent:") and ids["n1:KVGB"] == [kvgb, kvgb]
    # the long form takes the KB entry of the acronym the text defines, even where the
    # definition is far out of the mention's context
    assert ids["n2:Northern Safety Bureau"] == ["nsb", "nsb"]
    assert ids["n2:NSB"] == ["nsb"]
    assert ids["n1:Ada Korvell"] == ids["n1:Korvell"]
    # "in Port Ellis" and "the Port Ellis district" are the town; "Port Ellis denied" the
    # government
    assert ids["n2:Port Ellis"][0] == "gov-northland"
    assert "gov-northland" not in (ids["n1:Port Ellis"][0], ids["n2:Port Ellis"][1])

    # Negative control: these links depend on the context, so one cut wrong changes them.
    # (The right side skips the blank before the next word: shifted by two, not one.)
    cuts = [lambda b, a: (b[:-1], a), lambda b, a: (b, a[2:]), lambda b, a: ("", a),
            lambda b, a: (b, "")]
    for cut in cuts:
        wrong = [cut(b, a) for b, a in around]
        assert EntityLinker(northland).link_corpus(
            mentions, acronyms, wrong
        ).mention_entities != with_texts.mention_entities


# -- places: one value per place, the same on both engines ---------------------------------------
PLACE_ROWS = [  # inserted with the later mention first: any_value would take "Ellisport"
    ("d2", 0, 10, "Port Ellis", "p1", "Ellisport", 1.0, 2.0, None),
    ("d1", 5, 15, "Port Ellis", "p1", "Port Ellis", 1.5, None, "NL"),
    ("d1", 20, 30, "Port Ellis", "p1", None, 1.7, 2.5, "XX"),
    ("d1", 40, 45, "Kestrel", "p2", "Kestrel", 3.0, 4.0, None),
    ("d1", 50, 55, "Nowhere", None, "Nowhere", None, None, None),
]
PLACES = [("p1", "Port Ellis", 1.5, 2.5, "NL"), ("p2", "Kestrel", 3.0, 4.0, None)]


def _place_store(path: Path) -> AnalysisStore:
    store = AnalysisStore(path)
    store.con.executemany(
        'INSERT INTO place_mentions (doc, start, "end", text, place, name, lat, lon, country, '
        "sentence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)", PLACE_ROWS,
    )
    return store


def _places(store: AnalysisStore) -> list[tuple[Any, ...]]:
    return store.con.execute(
        "SELECT id, name, lat, lon, country FROM places ORDER BY id"
    ).fetchall()


def test_places_take_the_first_mentions_values_on_both_engines(
    spark: Any, tmp_path: Path
) -> None:
    with _place_store(tmp_path / "local") as store:
        places_step(store, Settings(out=tmp_path / "local"))
        assert _places(store) == PLACES
    with _place_store(tmp_path / "spark") as store:
        parquet = tmp_path / "spark" / "spark-tables"
        _export(store, "place_mentions", parquet)
        store.con.execute("INSERT INTO places VALUES ('stale', 'x', 0, 0, NULL)")
        run_places_on_spark(spark, store, parquet, Settings(out=tmp_path / "spark"))
        assert _places(store) == PLACES
