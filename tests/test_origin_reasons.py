"""Every independence decision carries its reason: in the JSON (origins[].reason), in
`sourcetrace trace`, and in the report (one plain sentence per group, the headline naming
independent origins only). Hand-built stores of invented actors, plus the demo corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sourcetrace.cli import app
from sourcetrace.config import Settings
from sourcetrace.model import Document
from sourcetrace.outputs import shapes
from sourcetrace.outputs.export import build_analysis, load_schema
from sourcetrace.outputs.report import render_report
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.provenance.independence import provenance_step
from test_provenance import att, claim, insert_attributions

HOSTILE = "<img src=x onerror=alert(1)>"
BODY = "y" * 400

ENTITIES = [  # id, name, type, controlled_by
    ("valdenia", "Valdenia", "state", None),
    ("gov-valdenia", "Government of Valdenia", "government", "valdenia"),
    ("vfis", "Valdenian Foreign Intelligence Service", "intelligence", "gov-valdenia"),
    ("vmod", "Valdenian Ministry of Defence", "ministry", "gov-valdenia"),
    ("port", "Orsk Port Authority", "organisation", None),
]
DOCS = {  # id: (outlet, published, title)
    "tl1": ("Tallow Ledger", "2026-05-01", "Valdenia says the bridge was mined"),
    "rb1": ("Riverbend Post", "2026-05-02", "Bridge mined, ministry says"),
    "ck1": ("Crane Courier", "2026-05-02", "Agencies agree on mined bridge"),
    "og1": ("Orsk Gazette", "2026-05-01", f"Port traffic halted {HOSTILE}"),
    "ms1": ("Millstone Daily", "2026-05-03", "Port closed again"),
    "nw1": (None, "2026-05-03", "Port halt: what we know"),
}


@pytest.fixture()
def store(tmp_path: Path) -> AnalysisStore:
    s = AnalysisStore(tmp_path)
    s.save_documents([
        (Document(d, BODY + d, title=t, outlet=o, published=p), {})
        for d, (o, p, t) in DOCS.items()
    ], "v")
    s.replace("entities", [
        {"id": i, "name": n, "type": t, "country": None, "controlled_by": c, "aliases": [n],
         "in_kb": True}
        for i, n, t, c in ENTITIES
    ])
    unnamed = att("rb1:a2", "rb1", "", None, "vague", start=300)
    unnamed["cue_text"] = "reportedly"
    insert_attributions(s, [
        # b1: an intelligence service and a ministry of one government, three outlets
        att("tl1:a0", "tl1", "the intelligence service", "vfis"),
        att("rb1:a0", "rb1", "the ministry", "vmod"),
        att("ck1:a0", "ck1", "the government", "gov-valdenia"),
        # b2: the ministry, then people near it and a "reportedly": never corroboration
        att("tl1:a1", "tl1", "officials familiar with the plans", None, "anonymous", start=200),
        att("rb1:a1", "rb1", "the ministry", "vmod", start=200),
        unnamed,
        # p1: the port authority; the Daily copies the Gazette's passage, naming "officials"
        att("og1:a0", "og1", "the port authority", "port"),
        att("ms1:a0", "ms1", "harbour officials", None, "organisation"),
    ])
    claims = [
        claim("tl1:c0", "tl1", "b1", "tl1:a0"), claim("rb1:c0", "rb1", "b1", "rb1:a0"),
        claim("ck1:c0", "ck1", "b1", "ck1:a0"),
        claim("tl1:c1", "tl1", "b2", "tl1:a1", 200, 240),
        claim("rb1:c1", "rb1", "b2", "rb1:a1", 200, 240),
        claim("rb1:c2", "rb1", "b2", "rb1:a2", 300, 340),
        claim("ck1:c2", "ck1", "b2", None, 300, 340),  # the Courier's own say-so
        claim("og1:c0", "og1", "p1", "og1:a0"), claim("ms1:c0", "ms1", "p1", "ms1:a0"),
        claim("nw1:c0", "nw1", "p1", None, 200, 240),  # no outlet known
    ]
    s.replace("claims", claims)
    clusters: dict[str, list[dict]] = {}
    for c in claims:
        clusters.setdefault(c["cluster"], []).append(c)
    s.replace("claim_clusters", [
        {"id": k, "label": f"label {k}", "claims": [c["id"] for c in cs],
         "documents": sorted({c["doc"] for c in cs}),
         "outlets": sorted({DOCS[c["doc"]][0] or c["doc"] for c in cs}), "origins": "[]",
         "independent_origins": 0, "amplification": None, "first_appearance": "2026-05-01",
         "flags": []}
        for k, cs in clusters.items()
    ])
    s.replace("reuse", [{"a": "og1", "b": "ms1", "earlier": "og1", "same_outlet": False,
                         "cluster": 0, "a_start": 50, "a_end": 110, "b_start": 50,
                         "b_end": 110, "words": 30, "similarity": 0.96}])
    provenance_step(s, Settings(out=tmp_path))
    return s


def origins(store: AnalysisStore, cid: str) -> dict[str, dict[str, Any]]:
    row = store.read("claim_clusters", "WHERE id = ?", [cid])[0]
    return {o["name"]: o for o in json.loads(row["origins"])}


def test_two_agencies_of_one_government_are_one_origin_and_say_why(
    store: AnalysisStore,
) -> None:
    found = origins(store, "b1")
    # the government is the group's representative: the agencies answer to it
    assert found["Government of Valdenia"]["reason"].startswith("independent")
    for agency in ("Valdenian Ministry of Defence", "Valdenian Foreign Intelligence Service"):
        assert found[agency]["reason"] == "controlled by Government of Valdenia"
    assert {o["group"] for o in found.values()} == {"Government of Valdenia"}
    [group] = shapes.cluster(store.read("claim_clusters", "WHERE id = 'b1'")[0])["origin_groups"]
    assert group["sentence"] == (
        "Valdenian Foreign Intelligence Service and Valdenian Ministry of Defence answer to "
        "Government of Valdenia → 1 origin."
    )


def test_same_controller_sentence(tmp_path: Path) -> None:
    """Without the government itself among the origins: "both answer to"."""
    s = AnalysisStore(tmp_path)
    s.save_documents([(Document(d, BODY + d, outlet=d.upper()), {}) for d in ("a", "b")], "v")
    s.replace("entities", [
        {"id": i, "name": n, "type": t, "country": None, "controlled_by": c, "aliases": [n],
         "in_kb": True}
        for i, n, t, c in ENTITIES
    ])
    insert_attributions(s, [att("a:a0", "a", "the service", "vfis"),
                            att("b:a0", "b", "the ministry", "vmod")])
    s.replace("claims", [claim("a:c0", "a", "k", "a:a0"), claim("b:c0", "b", "k", "b:a0")])
    s.replace("claim_clusters", [
        {"id": "k", "label": "k", "claims": ["a:c0", "b:c0"], "documents": ["a", "b"],
         "outlets": ["A", "B"], "origins": "[]", "independent_origins": 0,
         "amplification": None, "first_appearance": None, "flags": []}])
    s.replace("reuse", [])
    provenance_step(s, Settings(out=tmp_path))
    k = shapes.cluster(s.read("claim_clusters")[0])
    assert k["independent_origins"] == 1
    reasons = sorted(o["reason"] for o in k["origins"])
    assert reasons == ["independent — counts once for its group of 2",
                       "same controller Government of Valdenia"]
    [group] = k["origin_groups"]
    assert group["group"] == "Government of Valdenia"
    assert group["sentence"] == (
        "Valdenian Foreign Intelligence Service and Valdenian Ministry of Defence both answer "
        "to Government of Valdenia → 1 origin."
    )


def test_anonymous_vague_and_outlet_origins_are_not_counted(store: AnalysisStore) -> None:
    found = origins(store, "b2")
    assert found["officials familiar with the plans"]["reason"] == "anonymous — not counted"
    # a source with no words is named by its cue, never "?"
    assert found["unnamed source (reportedly)"]["reason"] == "vague — not counted"
    assert found["Crane Courier"]["reason"] == "outlet's own assertion"
    assert found["Valdenian Ministry of Defence"]["reason"] == "independent"
    not_counted = [o for o in found.values() if o["group"] is None]
    assert len(not_counted) == 3
    groups = shapes.origin_groups(found.values())
    assert groups[-1]["counted"] is False
    assert groups[-1]["sentence"] == (
        "Not counted as corroboration — anonymous: officials familiar with the plans; "
        "vague: unnamed source (reportedly); the outlet's own assertion: Crane Courier."
    )


def test_copied_passage_names_the_document_it_was_copied_from(store: AnalysisStore) -> None:
    found = origins(store, "p1")
    copier = found["harbour officials"]
    # the outlet and title of the earlier article, with its id to look it up
    assert copier["reason"] == (
        f"copied from Orsk Gazette, “Port traffic halted {HOSTILE}” (og1)")
    assert copier["group"] == "Orsk Port Authority"
    assert copier["linked_to"] == found["Orsk Port Authority"]["id"]
    # an article of unknown outlet is named by its title, not its document id
    assert "“Port halt: what we know” (outlet unknown)" in found
    groups = shapes.origin_groups(found.values())
    assert groups[0]["sentence"] == (
        "The passage citing harbour officials was copied from Orsk Gazette, “Port traffic "
        f"halted {HOSTILE}” (og1), which cites Orsk Port Authority → 1 origin."
    )


def test_every_origin_has_a_reason_and_the_export_validates(store: AnalysisStore) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    analysis = build_analysis(store)
    jsonschema.validate(analysis, load_schema())
    for k in analysis["claim_clusters"]:
        assert k["origins"] and all(o["reason"] for o in k["origins"]), k["id"]
        groups = {o["group"] for o in k["origins"] if o["group"] is not None}
        # groups are names, and there are as many as independent origins
        assert all(isinstance(g, str) and g for g in groups)
        assert len(groups) == k["independent_origins"]


def test_trace_prints_reasons_and_one_sentence_per_group(
    store: AnalysisStore, tmp_path: Path
) -> None:
    store.close()
    res = CliRunner().invoke(app, ["trace", str(tmp_path), "b2"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    # the tree may wrap long lines whatever COLUMNS says: compare without guides and breaks
    out = re.sub(r"[│├└─\s]+", " ", res.stdout)
    assert "why 1 independent origin" in out
    assert "Valdenian Ministry of Defence is tied to no other source here → 1 origin." in out
    assert "anonymous — not counted" in out and "vague — not counted" in out
    assert "outlet's own assertion" in out
    res = CliRunner().invoke(app, ["trace", str(tmp_path), "p1"], env={"COLUMNS": "200"})
    assert "copied from Orsk Gazette" in res.stdout and "[group: Orsk Port Authority]" in res.stdout
    res = CliRunner().invoke(app, ["trace", str(tmp_path), "b2", "--json"])
    data = json.loads(res.stdout)
    assert all(a["origin"]["reason"] for a in data["articles"])
    assert data["origin_groups"][0]["sentence"].endswith("→ 1 origin.")


def _headline(page: str) -> str:
    found = re.search(r'<p id="headline">(.*?)</p>', page, re.S)
    assert found
    # names sit in <bdi> (isolated for the bidirectional algorithm): read the words
    return re.sub(r"\s+", " ", re.sub(r"</?bdi>", "", found.group(1)))


def test_report_headline_names_independent_origins_only(store: AnalysisStore) -> None:
    page = render_report(build_analysis(store))
    worst = dict(re.findall(r'data-claim="([^"]+)"[^>]*>[^<]*</a> \(([^)]*)\)',
                            _headline(page)))
    # b1: three outlets, one origin, named once by its group, not by each agency on the way
    assert worst["b1"] == "3 outlets, 1 independent origin: Government of Valdenia"
    # b2: the ministry; the anonymous, the vague and the outlet's say-so are not origins
    assert worst["b2"] == "3 outlets, 1 independent origin: Valdenian Ministry of Defence"
    assert worst["p1"] == "3 outlets, 1 independent origin: Orsk Port Authority"


def test_report_escapes_reasons_and_sentences(store: AnalysisStore) -> None:
    analysis = build_analysis(store)
    analysis["narratives"] = [{  # the narratives section renders origins server-side
        **{f: v for f, v in analysis["claim_clusters"][0].items() if f != "narrative"},
        "id": "nr:1", "claim_clusters": [k["id"] for k in analysis["claim_clusters"]],
    }]
    for k in analysis["claim_clusters"]:
        k["narrative"] = "nr:1"
    page = render_report(analysis)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)
    assert HOSTILE not in page  # not raw in the markup, nor in the embedded JSON
    assert "<img" not in markup
    assert f"Port traffic halted {HOSTILE.replace('<', '&lt;').replace('>', '&gt;')}" in markup
    assert '<td class="reason">copied from Orsk Gazette' in markup


def test_demo_corpus_reasons(demo_store: Path) -> None:
    with AnalysisStore(demo_store, read_only=True) as s:
        rows = s.read("claim_clusters") + s.read("narratives")
        for row in rows:
            for o in json.loads(row["origins"] or "[]"):
                assert o["reason"], (row["id"], o["name"])
                assert o["name"] != "?"
                assert (o["group"] is None) == (o["kind"] in ("anonymous", "vague", "outlet"))
        sentences = [g["sentence"] for r in s.read("claim_clusters")
                     for g in shapes.cluster(r)["origin_groups"]]
    # the depot-fire tonnage: the state agency and the ministry are one government's voice
    assert ("NorPress and Norvanian Ministry of Defence both answer to Government of "
            "Norvania → 1 origin.") in sentences
    assert any("vague: unnamed source (reportedly)" in t for t in sentences)
