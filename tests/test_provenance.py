"""Origins, independence and flags over a hand-built store (no NLP involved)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcetrace.cli import app
from sourcetrace.config import Settings
from sourcetrace.model import Document
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.provenance.actors import Actors
from sourcetrace.provenance.independence import (
    Corpus,
    analyse_cluster,
    chain_ids,
    provenance_step,
)
from sourcetrace.provenance.jsonld import build_jsonld

TEXT = "x" * 400

ENTITIES = [
    ("norvania", "Norvania", "state", None),
    ("gov-norvania", "Government of Norvania", "government", "norvania"),
    ("mod", "Norvanian Ministry of Defence", "ministry", "gov-norvania"),
    ("nsb", "Norvanian Security Bureau", "intelligence", "gov-norvania"),
    ("norpress", "NorPress", "state_media", "gov-norvania"),
    ("monitor", "Baltic Grain Monitor", "organisation", None),
    ("wire", "Global Wire", "media", None),
    ("post", "Evening Post", "media", None),
]



def insert_attributions(store: AnalysisStore, rows: list[dict]) -> None:
    """Insert hand-made ``attributions`` rows by column name (other columns stay NULL)."""
    names = list(rows[0])
    cols = ", ".join(f'"{c}"' for c in names)
    store.con.executemany(
        f"INSERT INTO attributions ({cols}) VALUES ({', '.join('?' * len(names))})",
        [[r[c] for c in names] for r in rows],
    )

def att(aid: str, doc: str, source: str, entity: str | None, kind: str = "organisation",
        parent: str | None = None, start: int = 0) -> dict:
    return {
        "id": aid, "doc": doc, "source_text": source, "source_start": start,
        "source_end": start + len(source), "source_kind": kind, "source_resolved": source,
        "source_entity": entity, "cue_text": "said", "cue_start": 50, "cue_end": 54,
        "content_text": "...", "content_start": 60, "content_end": 100, "hedged": False,
        "parent": parent, "sentence": 0,
    }


def claim(cid: str, doc: str, cluster: str, attribution: str | None = None, start: int = 60,
          end: int = 100, hedged: bool = False) -> dict:
    return {
        "id": cid, "doc": doc, "text": "claim text", "start": start, "end": end,
        "attribution": attribution, "hedged": hedged, "unattributed": attribution is None,
        "cluster": cluster, "sentence": 0,
    }


@pytest.fixture()
def store(tmp_path: Path) -> AnalysisStore:
    s = AnalysisStore(tmp_path)
    docs = {
        "np1": ("NorPress", "2026-03-02"), "dm1": ("Daily Meridian", "2026-03-02"),
        "bl1": ("Borderline News", "2026-03-03"), "ht1": ("The Harbor Times", "2026-03-03"),
        "gw1": ("Global Wire", "2026-03-03"), "ep1": ("Evening Post", "2026-03-04"),
    }
    s.save_documents(
        [
            (Document(d, TEXT + d, outlet=o, published=p, title=f"t {d}"), {})
            for d, (o, p) in docs.items()
        ],
        "v",
    )
    s.replace("entities", [
        {"id": i, "name": n, "type": t, "country": None, "controlled_by": c, "aliases": [n],
         "in_kb": True}
        for i, n, t, c in ENTITIES
    ])
    attributions = [
        att("np1:a0", "np1", "the ministry", "mod"),
        att("dm1:a0", "dm1", "the ministry", "mod"),
        att("bl1:a0", "bl1", "the Defence Ministry", "mod"),
        att("ht1:a0", "ht1", "inspectors", "monitor"),
        att("np1:a1", "np1", "the NSB", "nsb", start=200),
        att("bl1:a1", "bl1", "the ministry", "mod", start=200),
        att("dm1:a1", "dm1", "sources close to the investigation", None, "anonymous", start=200),
        att("bl1:a2", "bl1", "local sources", None, "anonymous", start=300),
        # nested: NorPress, citing local sources, reported
        att("bl1:a3", "bl1", "NorPress", "norpress", start=250),
        att("bl1:a4", "bl1", "local sources", None, "anonymous", parent="bl1:a3", start=270),
        # circular: the wire cites the Post, the Post cites the wire
        att("gw1:a0", "gw1", "the Evening Post", "post"),
        att("ep1:a0", "ep1", "Global Wire", "wire"),
    ]
    insert_attributions(s, attributions)
    claims = [
        # the ministry's figure, confirmed by an independent monitor
        claim("np1:c0", "np1", "k1", "np1:a0"), claim("dm1:c0", "dm1", "k1", "dm1:a0"),
        claim("bl1:c0", "bl1", "k1", "bl1:a0"), claim("ht1:c0", "ht1", "k1", "ht1:a0"),
        # bureau + ministry (one government) relayed by three outlets, one copying NorPress
        claim("np1:c1", "np1", "k2", "np1:a1", 200, 240),
        claim("bl1:c1", "bl1", "k2", "bl1:a1", 200, 240),
        claim("dm1:c1", "dm1", "k2", None, 120, 160, hedged=False),
        # anonymous sources only, hedged
        claim("dm1:c2", "dm1", "k3", "dm1:a1", 200, 240, hedged=True),
        claim("bl1:c2", "bl1", "k3", "bl1:a4", 280, 320, hedged=True),
        # circular citation
        claim("gw1:c0", "gw1", "k4", "gw1:a0"), claim("ep1:c0", "ep1", "k4", "ep1:a0"),
        # nobody named at all
        claim("np1:c9", "np1", "k5", None, 300, 340), claim("dm1:c9", "dm1", "k5", None, 300, 340),
    ]
    s.replace("claims", claims)
    by_cluster: dict[str, list[dict]] = {}
    for c in claims:
        by_cluster.setdefault(c["cluster"], []).append(c)
    s.replace("claim_clusters", [
        {"id": k, "label": f"label {k}", "claims": [c["id"] for c in cs],
         "documents": sorted({c["doc"] for c in cs}),
         "outlets": sorted({docs[c["doc"]][0] for c in cs}), "origins": "[]",
         "independent_origins": 0, "amplification": None, "first_appearance": "2026-03-02",
         "flags": []}
        for k, cs in by_cluster.items()
    ])
    # Daily Meridian copied NorPress's passage holding np1:c1 into dm1 at 120-160
    s.replace("reuse", [{"a": "np1", "b": "dm1", "earlier": "np1", "same_outlet": False,
                         "cluster": 0, "a_start": 190, "a_end": 250, "b_start": 110,
                         "b_end": 170, "words": 40, "similarity": 0.95}])
    provenance_step(s, Settings(out=tmp_path))
    return s


def cluster(store: AnalysisStore, cid: str) -> dict:
    row = store.read("claim_clusters", "WHERE id = ?", [cid])[0]
    row["origins"] = json.loads(row["origins"])
    return row


def test_independent_confirmation_counts_two(store: AnalysisStore) -> None:
    k1 = cluster(store, "k1")
    assert k1["independent_origins"] == 2
    assert {o["entity"] for o in k1["origins"]} == {"mod", "monitor"}
    assert "single_source_amplification" not in k1["flags"]
    mod = next(o for o in k1["origins"] if o["entity"] == "mod")
    assert mod["controllers"] == ["gov-norvania", "norvania"]


def test_agencies_of_one_state_are_one_origin_and_copies_inherit(store: AnalysisStore) -> None:
    k2 = cluster(store, "k2")
    assert k2["independent_origins"] == 1
    assert "single_source_amplification" in k2["flags"]
    assert "same_controller" in k2["flags"]
    assert k2["amplification"] == 3.0
    nsb = next(o for o in k2["origins"] if o["entity"] == "nsb")
    # the Meridian's unattributed copy is the bureau's claim, copied from NorPress
    assert "dm1:c1" in nsb["claims"] and nsb["copied_from"] == "np1"


def test_anonymous_sources_are_never_corroboration(store: AnalysisStore) -> None:
    k3 = cluster(store, "k3")
    assert k3["independent_origins"] == 0
    assert {"anonymous_only", "hedged_only"} <= set(k3["flags"])
    assert all(o["group"] is None for o in k3["origins"])


def test_circular_citation_is_flagged(store: AnalysisStore) -> None:
    assert "circular_reporting" in cluster(store, "k4")["flags"]
    assert "circular_reporting" not in cluster(store, "k1")["flags"]


def test_outlet_assertions_are_unattributed(store: AnalysisStore) -> None:
    k5 = cluster(store, "k5")
    assert "unattributed" in k5["flags"]
    assert {o["kind"] for o in k5["origins"]} == {"outlet"}
    assert k5["independent_origins"] == 0  # an outlet's say-so corroborates nothing


def test_copies_of_unknown_direction_are_one_voice(tmp_path: Path) -> None:
    s = AnalysisStore(tmp_path)
    s.save_documents(
        [(Document(d, TEXT + d, outlet=d.upper(), published="2026-03-02"), {}) for d in "ab"], "v"
    )
    s.replace("entities", [])
    insert_attributions(
        s, [att("a:a0", "a", "the ministry", None), att("b:a0", "b", "officials", None)]
    )
    s.replace("claims", [claim("a:c0", "a", "k", "a:a0"), claim("b:c0", "b", "k", "b:a0")])
    s.replace("claim_clusters", [
        {"id": "k", "label": "k", "claims": ["a:c0", "b:c0"], "documents": ["a", "b"],
         "outlets": ["A", "B"], "origins": "[]", "independent_origins": 0,
         "amplification": None, "first_appearance": None, "flags": []}])
    s.replace("reuse", [{"a": "a", "b": "b", "earlier": None, "same_outlet": False,
                         "cluster": 0, "a_start": 50, "a_end": 110, "b_start": 50,
                         "b_end": 110, "words": 30, "similarity": 0.9}])
    provenance_step(s, Settings(out=tmp_path))
    k = cluster(s, "k")
    assert len(k["origins"]) == 2 and k["independent_origins"] == 1


def test_jsonld_claims(store: AnalysisStore) -> None:
    items = {i["@id"]: i for i in build_jsonld(store)}
    k1 = items["#claim-k1"]
    assert k1["@type"] == "Claim" and len(k1["appearance"]) == 4
    assert k1["firstAppearance"]["datePublished"] == "2026-03-02"
    assert {a["name"] for a in k1["author"]} == {
        "Norvanian Ministry of Defence", "Baltic Grain Monitor"}


def test_claims_and_trace_commands(store: AnalysisStore, tmp_path: Path) -> None:
    store.close()
    runner = CliRunner()
    res = runner.invoke(app, ["claims", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.stderr
    ranked = json.loads(res.stdout)
    assert ranked[0]["id"] == "k2"  # most amplified: three outlets, one origin
    res = runner.invoke(app, ["trace", str(tmp_path), "k2"])
    assert res.exit_code == 0
    assert "Norvanian Security Bureau" in res.stdout and "Government of Norvania" in res.stdout
    res = runner.invoke(app, ["trace", str(tmp_path), "nope"])
    assert res.exit_code == 1


# -- row order and per-cluster rows -------------------------------------------------------------
# Rows where the order a store returns them in used to change the result: a document with two
# claims in one cluster (which one a copy's "twin" is), and two entities with one alias.
ORDER_DOCS = {
    "e1": ("Harbour Gazette", "2026-04-01"), "l1": ("Lakeside Ledger", "2026-04-02"),
    "m1": ("Mill Street Courier", "2026-04-03"),
}
ORDER_ENTITIES = [  # not in id order
    ("port", "Tarvik Port Authority", ["Tarvik Port Authority"]),
    ("guard", "Tarvik Coast Guard", ["Tarvik Coast Guard"]),
    ("agency-b", "Ferry Safety Agency", ["Ferry Safety Agency", "the agency"]),
    ("agency-a", "Fisheries Agency", ["Fisheries Agency", "the agency"]),
]


def order_sensitive_rows() -> dict[str, list[dict]]:
    """Table rows, each table in the order a pipeline run would write them."""
    attributions = [
        att("e1:a1", "e1", "the port authority", "port"),
        att("e1:a2", "e1", "the coast guard", "guard", start=200),
        att("l1:a1", "l1", "Mill Street Courier", None, "outlet", start=150),
        att("m1:a1", "m1", "the agency", None, start=150),
        # the Courier, citing the Ledger, citing harbour pilots: the Ledger cites the Courier
        att("m1:a2", "m1", "the Lakeside Ledger", None, "outlet"),
        att("m1:a3", "m1", "harbour pilots", None, "person", parent="m1:a2", start=20),
    ]
    for a in attributions:
        if a["source_text"] == "the Lakeside Ledger":
            a["source_resolved"] = "Lakeside Ledger"
    claims = [
        claim("e1:c1", "e1", "t", "e1:a1"), claim("e1:c2", "e1", "t", "e1:a2", 260, 300),
        claim("l1:c1", "l1", "t"),  # copied from e1 with the port authority's claim
        claim("l1:c2", "l1", "v", "l1:a1", 200, 240),
        claim("m1:c1", "m1", "v", "m1:a3"), claim("m1:c2", "m1", "u", "m1:a1", 200, 240),
    ]
    clusters = []
    for key in ("t", "u", "v"):
        members = [c for c in claims if c["cluster"] == key]
        docs = sorted({c["doc"] for c in members})
        clusters.append({
            "id": key, "label": key, "claims": [c["id"] for c in members], "documents": docs,
            "outlets": sorted(ORDER_DOCS[d][0] for d in docs), "origins": "[]",
            "independent_origins": 0, "amplification": None,
            "first_appearance": min(ORDER_DOCS[d][1] for d in docs), "flags": [],
        })
    return {
        "documents": [{"id": d, "outlet": o, "published": p} for d, (o, p) in ORDER_DOCS.items()],
        "entities": [
            {"id": i, "name": n, "type": "organisation", "country": None, "controlled_by": None,
             "aliases": aliases, "in_kb": True}
            for i, n, aliases in ORDER_ENTITIES
        ],
        "attributions": attributions,
        "claims": claims,
        "claim_clusters": clusters,
        "reuse": [{"a": "e1", "b": "l1", "earlier": "e1", "same_outlet": False, "cluster": 0,
                   "a_start": 50, "a_end": 110, "b_start": 50, "b_end": 110, "words": 12,
                   "similarity": 0.97}],
    }


def fill_store(store: AnalysisStore, rows: dict[str, list[dict]], reverse: bool) -> None:
    """Write the rows into a store, every table in the given order or reversed."""
    def ordered(items: list[dict]) -> list[dict]:
        return list(reversed(items)) if reverse else list(items)

    for d in ordered(rows["documents"]):
        document = Document(d["id"], TEXT + d["id"], outlet=d["outlet"], published=d["published"])
        store.save_documents([(document, {})], "v")
    insert_attributions(store, ordered(rows["attributions"]))
    for table in ("entities", "claims", "claim_clusters", "reuse"):
        store.replace(table, ordered(rows[table]))


def test_provenance_does_not_depend_on_row_order(tmp_path: Path) -> None:
    from sourcetrace.engines.spark import table_rows

    rows = order_sensitive_rows()
    results = []
    for reverse in (False, True):
        with AnalysisStore(tmp_path / str(reverse)) as s:
            fill_store(s, rows, reverse)
            assert s.read("claims")[0]["id"] == ("m1:c2" if reverse else "e1:c1")
            provenance_step(s, Settings(out=tmp_path))
            results.append(table_rows(s, "claim_clusters"))
            found = {r["id"]: r for r in s.read("claim_clusters")}
        # the copy's twin is the earlier article's first claim of the cluster (e1:c1)
        [copied] = [o for o in json.loads(found["t"]["origins"]) if "l1:c1" in o["claims"]]
        assert copied["entity"] == "port" and copied["copied_from"] == "e1"
        # an alias two entities share goes to the first by id
        assert [o["entity"] for o in json.loads(found["u"]["origins"])] == ["agency-a"]
        # the loop Courier -> Ledger -> Courier goes through a parent attribution (m1:a2)
        assert "circular_reporting" in found["v"]["flags"]
    assert results[0] == results[1]


def cluster_slice(rows: dict[str, list[dict]], cluster: dict) -> dict[str, list[dict]]:
    """One cluster's rows, as the Spark job selects them (spark_provenance's docstring)."""
    claims = [c for c in rows["claims"]
              if c["id"] in cluster["claims"] or c["cluster"] == cluster["id"]]
    docs = {c["doc"] for c in claims}
    by_id = {a["id"]: a for a in rows["attributions"]}
    chains = {m for c in claims for m in chain_ids(by_id, c["attribution"])}
    reuse = [r for r in rows["reuse"] if r["a"] in docs or r["b"] in docs]
    docs |= {d for r in reuse for d in (r["a"], r["b"])}
    return {
        "docs": [d for d in rows["documents"] if d["id"] in docs],
        "attributions": [a for a in rows["attributions"] if a["id"] in chains],
        "claims": claims, "reuse": reuse,
    }


@pytest.mark.parametrize("corpus", ["order_sensitive", "fixture"])
def test_one_clusters_rows_give_the_whole_corpus_result(
    corpus: str, store: AnalysisStore
) -> None:
    """analyse_cluster over only the rows a cluster's Spark group holds gives what it gives
    over the whole corpus, for every cluster (rows handed over in reverse order, too)."""
    if corpus == "order_sensitive":
        rows = order_sensitive_rows()
    else:
        rows = {t: store.read(t) for t in ("attributions", "claims", "claim_clusters", "reuse")}
        rows["documents"] = store.read("documents", "WHERE duplicate_of IS NULL")
        rows["entities"] = store.read("entities")
    actors = Actors.from_rows(rows["entities"])
    whole = Corpus.from_rows(rows["documents"], rows["attributions"], rows["claims"],
                             rows["reuse"], actors)
    for cluster in rows["claim_clusters"]:
        part = {t: list(reversed(r)) for t, r in cluster_slice(rows, cluster).items()}
        assert len(part["claims"]) < len(rows["claims"])
        alone = Corpus.from_rows(actors=actors, **part)
        assert analyse_cluster(alone, cluster) == analyse_cluster(whole, cluster), cluster["id"]
