"""Corpus steps declared once (:mod:`sourcetrace.corpus`) and run by both engines.

The framework on a toy step of our own; every declared step of sourcetrace on Spark against
the local engine over the demo corpus (rows given in another order, in several Parquet
parts); the entity linker's per-document stage against linking with the texts at hand; the
places step's choice of values on both engines.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sourcetrace.config import Settings
from sourcetrace.corpus import CorpusStep, OnDriver, PerGroup, Rows, Sql
from sourcetrace.engines.steps import load_corpus_steps
from sourcetrace.extract.entities.kb import KnowledgeBase
from sourcetrace.extract.entities.link import EntityLinker, document_context
from sourcetrace.link.entities import MENTION_KEY, mention_targets
from sourcetrace.link.places import places_step
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.tables import STORE_TABLES


# -- the framework, on a toy step ----------------------------------------------------------------
def _words(group: Rows, context: Any) -> Rows:
    rows = group["mentions"]
    # sees its group's rows sorted by (start, text), NULLs last, whatever order they came in
    return {"per_doc": [{
        "doc": rows[0]["doc"], "n": len(rows),
        "joined": context + "|".join(r["text"] or "-" for r in rows),
    }]}


def _total(tables: Rows, context: Any) -> Rows:
    return {"total": [{"doc": "all", "n": sum(r["n"] for r in tables["per_doc"]),
                       "joined": ",".join(r["joined"] for r in tables["per_doc"])}]}


TOY = CorpusStep(
    name="toy",
    reads=("mentions",),
    stages=(
        Sql("named", "SELECT doc, start, text FROM mentions WHERE label = 'ORG'",
            {"doc": "VARCHAR", "start": "INTEGER", "text": "VARCHAR"}),
        PerGroup({"mentions": "SELECT * FROM named"}, key=("doc",), fn=_words,
                 outputs={"per_doc": {"doc": "VARCHAR", "n": "INTEGER", "joined": "VARCHAR"}},
                 order={"mentions": ("start", "text")}),
        OnDriver({"per_doc": "SELECT * FROM per_doc"}, fn=_total,
                 outputs={"total": {"doc": "VARCHAR", "n": "INTEGER", "joined": "VARCHAR"}},
                 order={"per_doc": ("doc",)}),
    ),
    writes={},
    setup=lambda settings, shared: ">",
)
TOY_MENTIONS = [  # (doc, start, end, text, label), not in text order
    ("b", 9, 12, "Zed", "ORG"), ("a", 5, 8, "Two", "ORG"), ("a", 0, 3, "One", "ORG"),
    ("a", 5, 8, None, "ORG"), ("b", 1, 4, "Who", "PERSON"), ("b", 0, 3, "Yon", "ORG"),
]
TOY_EXPECTED = [("all", 5, ">One|Two|-,>Yon|Zed")]


def _toy_store(path: Path) -> AnalysisStore:
    store = AnalysisStore(path)
    store.con.executemany(
        'INSERT INTO mentions (doc, start, "end", text, label) VALUES (?, ?, ?, ?, ?)',
        TOY_MENTIONS,
    )
    return store


def test_a_declared_step_runs_in_this_process(tmp_path: Path) -> None:
    from sourcetrace.engines.local_steps import run_stage_local

    with _toy_store(tmp_path) as store:
        for stage in TOY.stages:
            run_stage_local(store.con, stage, ">")
        assert store.con.execute("SELECT * FROM total").fetchall() == TOY_EXPECTED
        assert store.con.execute("SELECT doc, n FROM per_doc ORDER BY doc").fetchall() == [
            ("a", 3), ("b", 2)
        ]


def test_groups_taken_a_partition_at_a_time_give_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sourcetrace.engines import local_steps

    monkeypatch.setattr(local_steps, "PARTITION_ROWS", 2)  # 5 input rows: 3 partitions
    parts = local_steps._partitions
    seen: list[int] = []
    monkeypatch.setattr(local_steps, "_partitions",
                        lambda *a: seen.append(len(p := parts(*a))) or p)
    with _toy_store(tmp_path) as store:
        for stage in TOY.stages:
            local_steps.run_stage_local(store.con, stage, ">")
        assert store.con.execute("SELECT * FROM total").fetchall() == TOY_EXPECTED
    assert seen == [3]


@pytest.mark.slow
def test_a_declared_step_runs_on_spark(spark: Any, tmp_path: Path) -> None:
    import sys

    from pyspark import cloudpickle

    from sourcetrace.engines.spark_steps import run_stage_spark

    # the toy's functions live here, which the executors cannot import: ship them by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with _toy_store(tmp_path / "store") as store:
        _export(store, "mentions", tmp_path / "tables", parts=2)
    spark.read.parquet(str(tmp_path / "tables" / "mentions")).createOrReplaceTempView("mentions")
    context = spark.sparkContext.broadcast(">")
    for stage in TOY.stages:
        run_stage_spark(spark, stage, context, tmp_path / "work")
    got = duckdb.connect().execute(
        f"SELECT * FROM read_parquet('{(tmp_path / 'work' / 'total').as_posix()}/*.parquet')"
    ).fetchall()
    assert got == TOY_EXPECTED


# -- every declared step: Spark gives the local engine's tables -----------------------------------
def _export(store: AnalysisStore, table: str, tables: Path, parts: int = 1) -> Path:
    """A store table as Parquet parts, rows in reverse order (another order than the
    store's), split over ``parts`` files."""
    folder = tables / table
    folder.mkdir(parents=True)
    n = store.count(table)
    size = max(1, -(-n // parts))
    for k in range(parts):
        store.con.execute(
            f"COPY (SELECT * FROM (SELECT *, row_number() OVER () AS _n FROM \"{table}\") "
            f"WHERE _n > {k * size} AND _n <= {(k + 1) * size} ORDER BY _n DESC) "
            f"TO '{(folder / f'part-{k}.parquet').as_posix()}' (FORMAT parquet)"
        )
    return folder


# Columns a later step fills in again (provenance rewrites these of claim_clusters and
# narratives): the store holds the later step's values, so the earlier step is compared on
# the others.
_PROVENANCE_COLUMNS = {"outlets", "origins", "independent_origins", "amplification", "flags",
                       "relays"}
REFILLED = {("claims", "claim_clusters"): _PROVENANCE_COLUMNS,
            ("claims", "narratives"): _PROVENANCE_COLUMNS}


def _rows(con: Any, source: str, table: str, step: str = "") -> list[tuple[Any, ...]]:
    from sourcetrace.engines.spark import _canonical

    skip = REFILLED.get((step, table), set())
    cols = ", ".join(f'"{c}"' for c in STORE_TABLES[table] if c not in skip)
    rows = con.execute(f"SELECT {cols} FROM {source}").fetchall()
    return sorted((tuple(_canonical(v, 9) for v in r) for r in rows), key=repr)


@pytest.mark.slow
@pytest.mark.parametrize("block_claims_above", [2000, 0])
def test_every_declared_step_on_spark_equals_the_local_engine(
    spark: Any, demo_store: Path, tmp_path: Path, block_claims_above: int
) -> None:
    """Each step over the local engine's input tables; with ``block_claims_above=0`` the
    claims step blocks (leads embedded, same-story pairs, shared wording in SQL)."""
    from sourcetrace.engines.spark_steps import run_step_spark

    declared = [s for _, s in load_corpus_steps()]
    assert all(isinstance(s, CorpusStep) for s in declared)
    assert [s.name for s in declared] == ["entities", "places", "reuse", "claims", "provenance"]
    settings = Settings(out=tmp_path, block_claims_above=block_claims_above,
                        kb_files=[Path(__file__).parents[1] / "examples" / "kb.yaml"])
    if block_claims_above == 0:  # the local tables with blocking on
        shutil.copytree(demo_store, tmp_path / "blocked")
        demo_store = tmp_path / "blocked"
        with AnalysisStore(demo_store) as store:
            for step in declared:
                step(store, settings)
    with AnalysisStore(demo_store, read_only=True) as store:
        folders = {t: _export(store, t, tmp_path / "tables", parts=3)
                   for s in declared for t in s.reads if not (tmp_path / "tables" / t).exists()}
        folders.update({t: tmp_path / "tables" / t for s in declared for t in s.reads})
        for step in declared:
            written = run_step_spark(spark, step, folders, tmp_path / "work", settings)
            for table, folder in written.items():
                local = _rows(store.con, f'"{table}"', table, step.name)
                on_spark = _rows(store.con, f"read_parquet('{folder.as_posix()}/*.parquet')",
                                 table, step.name)
                assert local, f"{step.name}: {table} is empty in the demo"
                assert on_spark == local, f"{step.name}: {table} differs"


# -- entity linking: the per-document stage is linking with the texts -----------------------------
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


def test_per_document_targets_are_linking_with_texts(northland: KnowledgeBase) -> None:
    mentions = _mentions()
    with_texts = EntityLinker(northland).link_texts(TEXTS, mentions)
    # The step's per-document stage, one document's rows at a time (no other document seen).
    first = {}
    for doc, text in TEXTS.items():
        group = {"mentions": [{k: m[k] for k in MENTION_KEY} for m in mentions
                              if m["doc"] == doc],
                 "documents": [{"doc": doc, "body": text}]}
        for row in mention_targets(group, northland)["mention_targets"]:
            key = tuple(row[k] for k in MENTION_KEY)
            first[key] = (row["target_kind"], row["target"]) if row["target_kind"] else None
    # the corpus-wide stage: mention rows and targets, never a text
    targets = [first[tuple(m[k] for k in MENTION_KEY)] for m in mentions]
    text_free = EntityLinker(northland).link_targets(mentions, targets)
    assert text_free.mention_entities == with_texts.mention_entities
    assert text_free.entities == with_texts.entities

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
    assert ids["n2:Port Ellis"][0] == "gov-northland"
    assert "gov-northland" not in (ids["n1:Port Ellis"][0], ids["n2:Port Ellis"][1])

    # Negative control: these links depend on the context cut from the text.
    acronyms = {d: document_context(t, [], northland).acronyms for d, t in TEXTS.items()}
    around = [document_context(TEXTS[m["doc"]], [m], northland).around[0] for m in mentions]
    for cut in [lambda b, a: ("", a), lambda b, a: (b, "")]:
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
    from sourcetrace.engines.spark_steps import run_step_spark

    with _place_store(tmp_path / "local") as store:
        store.con.execute("INSERT INTO places VALUES ('stale', 'x', 0, 0, NULL)")
        places_step(store, Settings(out=tmp_path / "local"))
        assert _places(store) == PLACES
        folder = _export(store, "place_mentions", tmp_path / "tables", parts=2)
    written = run_step_spark(
        spark, places_step, {"place_mentions": folder}, tmp_path / "work",
        Settings(out=tmp_path / "spark"),
    )
    got = duckdb.connect().execute(
        "SELECT id, name, lat, lon, country FROM "
        f"read_parquet('{written['places'].as_posix()}/*.parquet') ORDER BY id"
    ).fetchall()
    assert got == PLACES
