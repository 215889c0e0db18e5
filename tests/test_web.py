"""The local web app: JSON API over a store built from the fixture analysis."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytest.importorskip("fastapi", reason="the [web] extra is not installed")
from fastapi.testclient import TestClient

from fixtures.report import fixture_store
from sourcetrace.outputs import web
from sourcetrace.outputs.report import summarize
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.outputs.web import create_app, static_file

BASE = "http://127.0.0.1"




@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("web")
    fixture_store.build_store(out)
    return out


@pytest.fixture(scope="module")
def client(store_dir: Path) -> TestClient:
    return TestClient(create_app(store_dir), base_url=BASE)


def test_index_page_uses_the_api_and_local_scripts(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '"api":"/api"' in page
    assert 'id="data"' not in page  # the web app does not embed the analysis
    srcs = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert srcs and all(s.startswith("/static/") for s in srcs)
    for src in srcs:
        assert client.get(src).status_code == 200
    headline = re.sub(r"\s+", " ", re.search(r'<p id="headline">(.*?)</p>', page, re.S).group(1))
    assert "6 articles from 6 outlets" in headline
    assert "2 claims relayed by several outlets rest on one independent origin" in headline
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_summary_matches_the_report(client: TestClient) -> None:
    expected = summarize(fixture_store.load_analysis())
    assert client.get("/api/summary").json() == expected


def test_openapi_documents_the_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/documents", "/api/documents/{doc_id}", "/api/claims",
                 "/api/claims/{claim_id}", "/api/entities", "/api/reuse", "/api/places"):
        assert path in spec["paths"], path
    params = {p["name"] for p in spec["paths"]["/api/claims"]["get"]["parameters"]}
    assert {"q", "outlet", "max_origins", "flag", "limit", "offset", "after"} <= params
    # The docs pages would load Swagger UI from a CDN: they are off.
    assert client.get("/docs").status_code == 404


def test_claims_list_filters_and_sorts(client: TestClient) -> None:
    r = client.get("/api/claims").json()
    assert r["total"] == 5
    assert [k["id"] for k in r["items"]][:2] == ["k1", "k2"]  # amplification desc
    k1 = r["items"][0]
    assert k1["n_outlets"] == 4 and k1["independent_origins"] == 1
    weak = client.get("/api/claims", params={"max_origins": 1, "min_outlets": 2}).json()
    assert {k["id"] for k in weak["items"]} == {"k1", "k2"}
    assert [k["id"] for k in client.get(
        "/api/claims", params={"outlet": "Meridian Post"}).json()["items"]] == ["k2", "k3"]
    assert [k["id"] for k in client.get(
        "/api/claims", params={"flag": "anonymous_only"}).json()["items"]] == ["k2"]
    dated = client.get("/api/claims", params={"date_from": "2024-03-02", "date_to": "2024-03-02"})
    assert {k["id"] for k in dated.json()["items"]} == {"k2", "k5"}
    by_label = client.get("/api/claims", params={"sort": "label", "order": "asc"}).json()
    # Case-insensitive: "The grain..." sorts before "the minister...".
    assert [k["label"][:5] for k in by_label["items"]] == ["40 dr", "Resid", "Shipp", "The g",
                                                           "the m"]
    assert client.get("/api/claims", params={"sort": "drop table"}).status_code == 422


def test_claim_search_matches_labels_and_claim_text(client: TestClient) -> None:
    # "overnight" is only in claims' own wording, not in any cluster label.
    assert [k["id"] for k in client.get(
        "/api/claims", params={"q": "OVERNIGHT"}).json()["items"]] == ["k1"]
    assert client.get("/api/claims", params={"q": "grain"}).json()["total"] == 1
    # LIKE wildcards in the query are literal characters.
    assert client.get("/api/claims", params={"q": "%"}).json()["total"] == 0
    assert client.get("/api/claims", params={"q": "' OR 1=1 --"}).json()["total"] == 0


def test_claim_detail(client: TestClient) -> None:
    detail = client.get("/api/claims/k1").json()
    assert detail["cluster"]["origins"][0]["root"] == "ent:valmora"
    assert {c["id"] for c in detail["claims"]} == {"c1", "c2", "c3", "c4"}
    docs = {d["id"]: d for d in detail["documents"]}
    assert set(docs) == {"herald-001", "vna-002", "courier-003", "hostile-005"}
    for c in detail["claims"]:
        assert docs[c["doc"]]["text"][c["start"]:c["end"]] == c["text"]
    inner = next(a for a in detail["attributions"] if a["id"] == "a5")
    assert inner["parent"] == "a4" and inner["source"]["entity"] == "ent:mod-valmora"
    # Controllers are closed over up to the root, even those only reachable via controlled_by.
    assert {e["id"] for e in detail["entities"]} >= {"ent:mod-valmora", "ent:valmora", "ent:vna"}
    assert detail["truncated"] is False
    # A claim id leads to its cluster; unknown ids are 404s.
    assert client.get("/api/claims/c9").json()["cluster"]["id"] == "k3"
    assert client.get("/api/claims/nope").status_code == 404


def test_documents(client: TestClient) -> None:
    page = client.get("/api/documents", params={"limit": 4}).json()
    assert page["total"] == 6 and len(page["items"]) == 4 and page["next_offset"] == 4
    assert "text" not in page["items"][0]
    rest = client.get("/api/documents", params={"limit": 4, "offset": 4}).json()
    assert len(rest["items"]) == 2 and rest["next_offset"] is None
    doc = client.get("/api/documents/hostile-005").json()
    assert "<script>alert(1)</script>" in doc["text"]  # JSON carries the text as it is
    assert doc["language"] == "en" and doc["techniques"][0]["technique"] == "doubt"
    assert {c["cluster"] for c in doc["claims"]} == {"k1", "k4"}
    assert client.get("/api/documents/../etc/passwd").status_code == 404
    found = client.get("/api/documents", params={"q": "grain deal"}).json()
    assert {d["id"] for d in found["items"]} == {"courier-003", "coast-004", "meridian-006"}


def test_entities_search_names_and_aliases(client: TestClient) -> None:
    by_alias = client.get("/api/entities", params={"q": "vna"}).json()
    assert [e["id"] for e in by_alias["items"]] == ["ent:vna"]
    marek = client.get("/api/entities", params={"q": "marek"}).json()["items"][0]
    assert [c["id"] for c in marek["controllers"]] == ["ent:mod-valmora", "ent:valmora"]
    everyone = client.get("/api/entities").json()
    assert everyone["total"] == 6
    assert everyone["items"][0]["id"] == "ent:mod-valmora"  # most mentioned first
    assert everyone["items"][0]["mentions"] == 4


def test_reuse_places_timeline_language(client: TestClient) -> None:
    reuse = client.get("/api/reuse").json()
    assert reuse["total"] == 2
    first = reuse["items"][0]
    assert first["docs"] == ["vna-002", "courier-003"] and first["earlier"] == "vna-002"
    assert first["meta"][1]["outlet"] == "Daily Courier"
    (passage,) = first["passages"]
    a = client.get("/api/documents/vna-002").json()["text"]
    b = client.get("/api/documents/courier-003").json()["text"]
    assert a[slice(*passage["a"])] == b[slice(*passage["b"])]
    assert client.get("/api/reuse", params={"doc": "meridian-006"}).json()["total"] == 1

    places = {p["id"]: p for p in client.get("/api/places").json()["items"]}
    assert places["pl:port-ellis"]["count"] == 7
    assert len(places["pl:port-ellis"]["documents"]) == 6
    assert places["pl:nowhere"]["count"] == 0 and places["pl:nowhere"]["documents"] == []

    timeline = client.get("/api/timeline").json()["items"]
    assert timeline[0]["id"] == "k1" and sorted(timeline[0]["dates"])[0] == "2024-03-01"

    language = client.get("/api/language").json()
    assert {"outlet": "Daily Courier", "technique": "name_calling", "n": 1} in language["counts"]


def test_static_files_and_traversal(client: TestClient) -> None:
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/vendor/d3-geo.min.js").status_code == 200
    assert client.get("/static/vendor/countries-110m.json").json()["type"] == "Topology"
    for bad in ("/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
                "/static/..%2f..%2f..%2fetc%2fpasswd", "/static/vendor/../../__init__.py",
                "/static/vendor/%2e%2e/%2e%2e/__init__.py", "/static/%2fetc%2fpasswd",
                "/static//etc/passwd", "/static/..\\..\\__init__.py", "/static/vendor/README.md",
                "/static/", "/etc/passwd"):
        r = client.get(bad)
        assert r.status_code == 404, bad
        assert "root:" not in r.text
    # The resolver itself, without the HTTP client's URL normalisation in between.
    assert static_file("../__init__.py") is None
    assert static_file("vendor/../../web/__init__.py") is None
    assert static_file("/etc/passwd") is None
    assert static_file("vendor/../app.js") is None  # escapes vendor/, even if to a sibling
    assert static_file("app.css") is not None


def test_store_is_opened_read_only(store_dir: Path, client: TestClient) -> None:
    con = client.app.state.con
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM documents")
    with pytest.raises(duckdb.Error):
        con.execute("CREATE TABLE x (a INT)")
    assert client.get("/api/documents").json()["total"] == 6


def test_only_loopback_hosts_are_answered(client: TestClient) -> None:
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read the API.
    assert client.get("/api/summary", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/api/summary", headers={"host": "localhost:8000"}).status_code == 200


def test_serve_binds_loopback_by_default(monkeypatch: pytest.MonkeyPatch, store_dir: Path) -> None:
    assert inspect.signature(web.serve).parameters["host"].default == "127.0.0.1"
    calls: list[dict[str, Any]] = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    web.serve(store_dir)
    assert calls == [{"host": "127.0.0.1", "port": 8000, "log_level": "info"}]


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no sourcetrace store"):
        create_app(tmp_path)


def test_empty_store(tmp_path: Path) -> None:
    AnalysisStore(tmp_path).close()
    c = TestClient(create_app(tmp_path), base_url=BASE)
    assert c.get("/").status_code == 200
    for path in ("/api/claims", "/api/documents", "/api/entities", "/api/reuse"):
        assert c.get(path).json()["total"] == 0, path
    assert c.get("/api/places").json() == {"items": []}
    assert c.get("/api/summary").json()["worst"] == []


# -- a large store ----------------------------------------------------------------------------
N = 100_000


@pytest.fixture(scope="module")
def big_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    out = tmp_path_factory.mktemp("big")
    store = AnalysisStore(out)
    # Rows generated in SQL: 100,000 articles, claims and clusters in a second or two.
    store.con.execute(
        "INSERT INTO documents (id, title, outlet, published, n_words, text) "
        "SELECT printf('d%06d', i), 'Title ' || i, 'Outlet ' || (i % 50), "
        "strftime(DATE '2024-01-01' + (i % 300)::INTEGER, '%Y-%m-%d'), 8, "
        "'Article ' || i || ' says the harbour of town ' || (i % 977) || ' was closed.' "
        f"FROM generate_series(0, {N - 1}) AS t(i)"
    )
    store.con.execute(
        "INSERT INTO claims (id, doc, text, start, \"end\", cluster, hedged, unattributed) "
        "SELECT printf('c%06d', i), printf('d%06d', i), "
        "'the harbour of town ' || (i % 977) || ' was closed', 10, 40, "
        "printf('k%06d', i), false, true FROM generate_series(0, "
        f"{N - 1}) AS t(i)"
    )
    store.con.execute(
        "INSERT INTO claim_clusters (id, label, claims, documents, outlets, origins, "
        "independent_origins, amplification, first_appearance, flags) "
        "SELECT printf('k%06d', i), 'Claim number ' || i, [printf('c%06d', i)], "
        "[printf('d%06d', i)], "
        "CASE WHEN i % 10 = 0 THEN ['Outlet 1', 'Outlet 2'] ELSE ['Outlet ' || (i % 50)] END, "
        "'[]', (i % 3)::INTEGER, (i % 1000) / 10.0, "
        "strftime(DATE '2024-01-01' + (i % 300)::INTEGER, '%Y-%m-%d'), "
        "CASE WHEN i % 7 = 0 THEN ['unattributed'] ELSE [] END "
        f"FROM generate_series(0, {N - 1}) AS t(i)"
    )
    store.close()
    return TestClient(create_app(out), base_url=BASE)


def test_pagination_at_100k(big_client: TestClient) -> None:
    deep = big_client.get("/api/claims", params={"sort": "id", "order": "asc", "offset": 99_990,
                                                  "limit": 20}).json()
    assert deep["total"] == N
    assert [k["id"] for k in deep["items"]] == [f"k{i:06d}" for i in range(99_990, N)]
    assert deep["next_offset"] is None

    # Keyset pages chain without gaps or repeats.
    first = big_client.get("/api/claims", params={"after": "", "limit": 100}).json()
    second = big_client.get("/api/claims", params={"after": first["next_after"],
                                                    "limit": 100}).json()
    ids = [k["id"] for k in first["items"] + second["items"]]
    assert ids == [f"k{i:06d}" for i in range(200)]

    top = big_client.get("/api/claims", params={"limit": 5}).json()["items"]
    assert all(k["amplification"] == 99.9 for k in top)
    assert [k["id"] for k in top] == sorted(k["id"] for k in top)  # ties broken by id

    weak = big_client.get("/api/claims", params={"min_outlets": 2, "max_origins": 1,
                                                 "flag": "unattributed"}).json()
    # i % 10 == 0 (two outlets), i % 3 <= 1, i % 7 == 0.
    expected = sum(1 for i in range(N) if i % 10 == 0 and i % 3 <= 1 and i % 7 == 0)
    assert weak["total"] == expected

    found = big_client.get("/api/claims", params={"q": "town 976 was", "limit": 500}).json()
    assert found["total"] == len(range(976, N, 977))

    docs = big_client.get("/api/documents", params={"after": "d099998"}).json()
    assert [d["id"] for d in docs["items"]] == ["d099999"]
    assert big_client.get("/api/documents/d054321").json()["title"] == "Title 54321"
    summary = big_client.get("/api/summary").json()
    assert summary["documents"] == N and summary["outlets"] == 50
    assert json.dumps(summary)  # serialisable, worst examples included
    assert big_client.get("/api/claims", params={"limit": 501}).status_code == 422


# -- the API's edges (issue 18) ----------------------------------------------------------------
@pytest.mark.parametrize("path, params", [
    ("/api/claims", {"offset": "99999999999999999999"}),
    ("/api/claims", {"limit": "99999999999999999999"}),
    ("/api/claims", {"max_origins": "99999999999999999999"}),
    ("/api/claims", {"min_outlets": "-1"}),
    ("/api/documents", {"offset": "99999999999999999999"}),
    ("/api/entities", {"offset": "99999999999999999999"}),
    ("/api/reuse", {"offset": "99999999999999999999"}),
    ("/api/narratives", {"offset": "99999999999999999999"}),
    ("/api/errors", {"offset": "99999999999999999999"}),
    ("/api/places", {"limit": "99999999999999999999"}),
    ("/narratives", {"offset": "99999999999999999999"}),
    ("/inputs", {"offset": "99999999999999999999"}),
])
def test_huge_integers_are_a_422_not_a_500(client: TestClient, path: str,
                                            params: dict[str, str]) -> None:
    r = client.get(path, params=params)
    assert r.status_code == 422, (path, params, r.status_code)


def test_a_date_that_is_no_date_is_a_422(client: TestClient) -> None:
    for name in ("date_from", "date_to"):
        r = client.get("/api/claims", params={name: "notadate"})
        assert r.status_code == 422
        detail = r.json()["detail"][0]
        assert detail["loc"] == ["query", name]
        assert "'notadate' is not a date; give it as YYYY-MM-DD" in detail["msg"]
    assert client.get("/api/claims", params={"date_from": "2024-02-30"}).status_code == 422
    # real dates still filter (a timestamp keeps its date)
    r = client.get("/api/claims", params={"date_from": "2024-03-03T10:00:00Z"}).json()
    assert r["total"] >= 1
    assert all(k["first_appearance"][:10] >= "2024-03-03" for k in r["items"])


@pytest.mark.parametrize("sort, order", [("amplification", "desc"), ("label", "asc"),
                                         ("first", "asc"), ("first", "desc"),
                                         ("outlets", "desc"), ("id", "desc")])
def test_keyset_cursor_follows_the_sort(client: TestClient, sort: str, order: str) -> None:
    """Walking `after` two at a time gives the same clusters in the same order as one sorted
    page (NULLs last, ties by id)."""
    whole = client.get("/api/claims", params={"sort": sort, "order": order}).json()["items"]
    walked, after = [], ""
    for _ in range(10):
        r = client.get("/api/claims", params={"sort": sort, "order": order, "after": after,
                                              "limit": 2}).json()
        walked += [k["id"] for k in r["items"]]
        if not r["next_after"]:
            break
        after = r["next_after"]
    assert walked == [k["id"] for k in whole]


def test_unknown_cursor_is_a_422(client: TestClient) -> None:
    r = client.get("/api/claims", params={"after": "k999", "sort": "label"})
    assert r.status_code == 422 and "k999" in r.json()["detail"][0]["msg"]


def test_favicon_is_served(client: TestClient) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg")
    assert re.search(r'<link rel="icon" type="image/svg\+xml" href="data:image/svg\+xml,',
                     client.get("/").text)


def test_inputs_not_analysed_are_listed(client: TestClient) -> None:
    r = client.get("/api/errors").json()
    assert r["total"] == 1
    assert r["items"] == [{"path": "feed/<script>alert(1)</script>.html", "line": None,
                           "doc_id": None, "problem": "could not parse",
                           "kind": "error"}]
    assert client.get("/api/summary").json()["failed"] == 1
    for path in ("/", "/inputs"):
        page = client.get(path).text
        assert "Inputs not analysed" in page
        assert "<bdi>feed/&lt;script&gt;alert(1)&lt;/script&gt;.html</bdi>" in page
        assert "could not parse" in page and "<script>alert" not in page


def test_app_of_a_run_where_everything_failed(tmp_path: Path) -> None:
    from sourcetrace.model import IngestError

    with AnalysisStore(tmp_path) as store:
        store.save_errors([IngestError("in/a.txt", "not UTF-8")])
    c = TestClient(create_app(tmp_path), base_url=BASE)
    page = re.sub(r"\s+", " ", c.get("/").text)
    assert "No article was analysed: 1 input could not be read or was skipped" in page
    assert c.get("/api/errors").json()["items"][0]["path"] == "in/a.txt"


def test_narrative_pages_isolate_user_strings(tmp_path: Path) -> None:
    """Outlet names and labels on the server-rendered pages sit in <bdi> or dir=auto."""
    data = fixture_store.load_analysis()
    rlo = "Gazette \u202eSTEW"
    fixture_store.build_store(tmp_path, data)
    with AnalysisStore(tmp_path) as store:
        store.replace("narratives", [{
            "id": "nr:1", "label": rlo + " " + "x" * 6400, "claim_clusters": ["k1"],
            "claims": [], "documents": [], "outlets": [rlo, "Daily Courier"], "origins": "[]",
            "independent_origins": 1, "amplification": 2.0, "first_appearance": "2024-03-01",
            "flags": [],
        }])
    c = TestClient(create_app(tmp_path), base_url=BASE)
    for path in ("/narratives", "/narratives/nr:1"):
        page = c.get(path).text
        body = page.split("<body>", 1)[1]
        # each U+202E opens inside an element that isolates it
        assert body.count("\u202e") >= 2, path
        for m in re.finditer("\u202e", body):
            opened = body.rfind("<", 0, m.start())
            if body.rfind(">", 0, m.start()) < opened:
                continue  # inside a tag: an attribute value (a tooltip), not laid-out text
            tag = body[opened:body.find(">", opened) + 1]
            if tag.startswith("</"):  # text after a closing tag: look at the enclosing one
                pytest.fail(f"{path}: U+202E outside an isolate near {body[opened - 80:m.end()]!r}")
            assert tag.startswith("<bdi") or 'dir="auto"' in tag, (path, tag)


def test_a_warning_is_listed_but_not_counted_as_failed(tmp_path: Path) -> None:
    """A document read on a guessed encoding is in the errors table as a warning: the inputs
    list shows it as read, and the summary does not count it as a failed input."""
    import duckdb

    from sourcetrace.outputs.web import queries

    con = duckdb.connect()
    con.execute("CREATE TABLE errors (path VARCHAR, line INTEGER, doc_id VARCHAR, "
                "problem VARCHAR, kind VARCHAR)")
    con.execute("INSERT INTO errors VALUES ('a.txt', NULL, 'a', 'read as cp1252', 'warning'),"
                " ('b.bin', NULL, NULL, 'binary', 'error')")
    listing = queries.errors_page(con)
    assert [e["kind"] for e in listing["items"]] == ["error", "warning"]
    # the report's headline from an analysis.json counts the same way
    from sourcetrace.outputs.report import summarize

    errors = [{"kind": "warning"}, {"kind": "error"}, {"kind": "skipped"}]
    assert summarize({"documents": [], "claim_clusters": [], "errors": errors})["failed"] == 2
