"""Narratives in the offline report and the web app, on the bundled demo corpus."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from sourcetrace.outputs import shapes
from sourcetrace.outputs.export import build_analysis
from sourcetrace.outputs.report import render_report, with_narratives, write_report
from sourcetrace.outputs.store import AnalysisStore

PAYLOAD = '<script>alert(1)</script><img src=x onerror="alert(2)">'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(2)&#34;&gt;"
BASE = "http://127.0.0.1"


@pytest.fixture(scope="module")
def demo(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo store's narratives, clusters, claims and documents, its report written to a
    folder of its own, and the analysis that report embeds."""
    out = tmp_path_factory.mktemp("narrative-report")
    with AnalysisStore(demo_store, read_only=True) as store:
        page = write_report(store, out).read_text(encoding="utf-8")
        analysis = with_narratives(build_analysis(store), store)
        data = {
            "narratives": store.read("narratives", "ORDER BY TRY_CAST(substr(id, 4) AS INTEGER)"),
            "clusters": store.read("claim_clusters", "ORDER BY id"),
            "claims": {c["id"]: c for c in store.read("claims")},
            "documents": {d["id"]: d for d in store.read("documents")},
        }
    assert data["narratives"], "the demo corpus makes narratives"
    return {**data, "page": page, "analysis": analysis}


def _section(page: str) -> str:
    match = re.search(r'<section id="view-narratives".*?</section>', page, re.S)
    assert match
    return match.group(0)


def _narrative_blocks(section: str) -> dict[str, str]:
    """Each narrative's <details> (up to the next narrative's), by id."""
    starts = [(m.group(1), m.start()) for m in
              re.finditer(r'<details class="narrative" id="narrative-([^"]+)"', section)]
    ends = [s for _, s in starts[1:]] + [len(section)]
    return {nid: section[s:e] for (nid, s), e in zip(starts, ends, strict=True)}


# -- report ------------------------------------------------------------------------------------
def test_report_nests_each_cluster_under_its_narrative(demo: dict[str, Any]) -> None:
    blocks = _narrative_blocks(_section(demo["page"]))
    assert list(blocks) == [n["id"] for n in demo["narratives"]]
    narrative_of = {c: n["id"] for n in demo["narratives"] for c in n["claim_clusters"]}
    for k in demo["clusters"]:
        assert k["narrative"] == narrative_of[k["id"]]
        # Listed as a proposition in its own narrative, and in no other.
        holders = [nid for nid, block in blocks.items()
                   if f'<details class="proposition" data-cluster="{k["id"]}"' in block]
        assert holders == [k["narrative"]], k["id"]
    for n in demo["narratives"]:
        block = blocks[n["id"]]
        assert re.findall(r'data-cluster="([^"]+)"', block) == n["claim_clusters"]
        # The roll-up: outlets and independent origins of the whole narrative.
        assert f'<dd class="independent">{n["independent_origins"] or 0}</dd>' in block
        assert f'<dd class="outlets">{len(n["outlets"])}' in block


def test_report_propositions_open_into_appearances_and_origins(demo: dict[str, Any]) -> None:
    section = _section(demo["page"])
    docs, claims = demo["documents"], demo["claims"]
    for k in demo["clusters"]:
        block = re.search(
            rf'<details class="proposition" data-cluster="{re.escape(k["id"])}">(.*?)</details>',
            section, re.S,
        ).group(1)
        assert f'href="#claim/{k["id"].replace(":", "%3A")}"' in block  # the claim card
        shown = re.findall(r'<tr data-claim="([^"]+)" data-doc="([^"]+)">', block)
        assert sorted(c for c, _ in shown) == sorted(k["claims"])
        for claim_id, doc_id in shown:
            c, d = claims[claim_id], docs[doc_id]
            assert c["doc"] == doc_id and d["text"][c["start"]:c["end"]] == c["text"]
            assert f'{c["start"]}&ndash;{c["end"]}' in block
        for name in shapes.origin_names(shapes.origins(k["origins"])):
            plain = block.replace("&#39;", "'").replace("&amp;", "&")
            assert f'<td dir="auto">{name}</td>' in plain


def test_report_headline_counts_clusters_not_narratives(demo: dict[str, Any]) -> None:
    page = demo["page"]
    headline = re.sub(r"\s+", " ", re.search(r'<p id="headline">(.*?)</p>', page, re.S).group(1))
    assert f'{len(demo["clusters"])} claim clusters' in headline
    assert "narrative" not in headline
    beside = re.sub(r"\s+", " ", re.search(r'<p id="narratives-line"[^>]*>(.*?)</p>', page,
                                           re.S).group(1))
    assert f'{len(demo["narratives"])} narratives' in beside
    assert "per claim cluster, never per narrative" in beside


def test_report_embeds_narratives_for_the_claim_cards(demo: dict[str, Any]) -> None:
    data = re.search(r'<script type="application/json" id="data">(.*?)</script>',
                     demo["page"], re.S).group(1)
    embedded = json.loads(data)
    assert [n["id"] for n in embedded["narratives"]] == [n["id"] for n in demo["narratives"]]
    assert {k["id"]: k["narrative"] for k in embedded["claim_clusters"]} == {
        k["id"]: k["narrative"] for k in demo["clusters"]
    }


def test_report_escapes_a_hostile_narrative_label(demo: dict[str, Any]) -> None:
    hostile = copy.deepcopy(demo["analysis"])
    hostile["narratives"][0]["label"] = PAYLOAD
    hostile["claim_clusters"][0]["label"] = PAYLOAD
    page = render_report(hostile)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    section = _section(page)
    # (isolated for the bidirectional algorithm: dir="auto", the whole label in a title)
    assert re.search(rf'<strong class="nlabel" dir="auto"[^>]*>{re.escape(ESCAPED)}</strong>',
                     section)
    assert re.search(rf'<span class="plabel clamp" dir="auto"[^>]*>{re.escape(ESCAPED)}</span>',
                     section)


def test_report_of_an_analysis_without_narratives(demo: dict[str, Any]) -> None:
    older = {k: v for k, v in demo["analysis"].items() if k != "narratives"}
    page = render_report(older)
    assert "No narratives in this analysis." in _section(page)
    assert 'id="narratives-line"' not in page


# -- web app -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(demo_store: Path, demo: dict[str, Any]) -> Any:
    pytest.importorskip("fastapi", reason="the [web] extra is not installed")
    from fastapi.testclient import TestClient

    from sourcetrace.outputs.web import create_app

    return TestClient(create_app(demo_store), base_url=BASE)


def test_api_lists_narratives(client: Any, demo: dict[str, Any]) -> None:
    r = client.get("/api/narratives", params={"limit": 500})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == len(demo["narratives"]) and body["next_offset"] is None
    assert [n["id"] for n in body["items"]] == [n["id"] for n in demo["narratives"]]
    for item, n in zip(body["items"], demo["narratives"], strict=True):
        assert item["claim_clusters"] == n["claim_clusters"]
        assert item["n_clusters"] == len(n["claim_clusters"])
        assert item["n_outlets"] == len(n["outlets"]) and item["outlets"] == n["outlets"]
        assert item["independent_origins"] == (n["independent_origins"] or 0)
        assert item["first_appearance"] == n["first_appearance"]
        assert item["flags"] == list(n["flags"] or [])
    first = client.get("/api/narratives", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_offset"] == 2
    by_outlets = client.get("/api/narratives", params={"sort": "outlets", "order": "desc"}).json()
    counts = [n["n_outlets"] for n in by_outlets["items"]]
    assert counts == sorted(counts, reverse=True)
    assert client.get("/api/narratives", params={"sort": "nope"}).status_code == 422


def test_api_narrative_holds_its_clusters(client: Any, demo: dict[str, Any]) -> None:
    clusters = {k["id"]: k for k in demo["clusters"]}
    for n in demo["narratives"]:
        r = client.get(f"/api/narratives/{n['id']}")
        assert r.status_code == 200
        body = r.json()
        assert body["narrative"] == shapes.narrative(n)
        assert [k["id"] for k in body["clusters"]] == n["claim_clusters"]
        assert body["truncated"] is False
        for k in body["clusters"]:
            assert k["narrative"] == n["id"]
            row = clusters[k["id"]]
            assert {x: k[x] for x in shapes.cluster(row)} == shapes.cluster(row)
            assert sorted(a["claim"] for a in k["appearances"]) == sorted(row["claims"])
            for a in k["appearances"]:
                doc = demo["documents"][a["doc"]]
                assert doc["text"][a["start"]:a["end"]] == a["text"]
                assert a["outlet"] == doc["outlet"] and a["title"] == doc["title"]


def test_api_narratives_are_documented_and_read_only(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/narratives", "/api/narratives/{narrative_id}"):
        assert list(spec["paths"][path]) == ["get"], path
        op = spec["paths"][path]["get"]
        assert op["tags"] == ["narratives"] and op.get("description")
        assert "200" in op["responses"]
    params = {p["name"] for p in spec["paths"]["/api/narratives"]["get"]["parameters"]}
    assert {"q", "outlet", "flag", "sort", "order", "limit", "offset"} <= params
    detail = spec["components"]["schemas"]["NarrativeDetail"]["properties"]
    assert {"narrative", "clusters", "truncated"} <= set(detail)
    assert client.post("/api/narratives").status_code == 405


def test_claim_detail_links_its_narrative(client: Any, demo: dict[str, Any]) -> None:
    n = demo["narratives"][0]
    body = client.get(f"/api/claims/{n['claim_clusters'][0]}").json()
    assert body["narrative"] == {"id": n["id"], "label": n["label"]}
    assert body["cluster"]["narrative"] == n["id"]
    assert client.get("/api/summary").json()["narratives"] == len(demo["narratives"])


def test_unknown_narrative_is_a_clean_404(client: Any) -> None:
    r = client.get("/api/narratives/nr:999999")
    assert r.status_code == 404 and r.json() == {"detail": "no such narrative"}
    page = client.get("/narratives/nr:999999")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "No such narrative" in page.text and "nr:999999" in page.text
    # (A "/" in the id would be another path: the payload here has none.)
    hostile = client.get("/narratives/" + quote("<img src=x onerror=alert(1)>"))
    assert hostile.status_code == 404
    assert "<img" not in hostile.text and "&lt;img src=x onerror=alert(1)&gt;" in hostile.text


def test_narrative_pages_link_to_claim_cards(client: Any, demo: dict[str, Any]) -> None:
    listing = client.get("/narratives")
    assert listing.status_code == 200
    links = re.findall(r'<a href="/narratives/([^"]+)"[^>]*>', listing.text)
    assert links == [n["id"].replace(":", "%3A") for n in demo["narratives"]]
    n = demo["narratives"][0]
    page = client.get(f"/narratives/{n['id']}")
    assert page.status_code == 200
    assert f'<details class="narrative" id="narrative-{n["id"]}" data-narrative="{n["id"]}" open>' \
        in page.text
    cards = re.findall(r'href="/#claim/([^"]+)"', page.text)
    assert cards == [c.replace(":", "%3A") for c in n["claim_clusters"]]
    # The app page offers the narratives list in its tabs.
    assert 'href="/narratives"' in client.get("/").text
