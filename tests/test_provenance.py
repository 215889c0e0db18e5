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
from sourcetrace.provenance.independence import provenance_step
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
