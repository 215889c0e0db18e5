"""The offline HTML report: rendered from the fixture analysis (made-up articles, one hostile)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from fixtures.report import fixture_store
from sourcetrace.outputs.export import build_analysis, load_schema
from sourcetrace.outputs.report import (
    VENDOR_SCRIPTS,
    render_report,
    script_json,
    summarize,
    write_report,
)
from sourcetrace.outputs.shapes import single_origin, single_origin_sql
from sourcetrace.outputs.store import AnalysisStore

VENDOR = Path(__file__).parents[1] / "src" / "sourcetrace" / "outputs" / "report" / "vendor"
PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)"]




@pytest.fixture(scope="module")
def analysis() -> dict[str, Any]:
    return fixture_store.load_analysis()


@pytest.fixture(scope="module")
def page(analysis: dict[str, Any]) -> str:
    return render_report(analysis)


def _embedded(page: str, element_id: str) -> Any:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page,
                      re.S)
    assert match, element_id
    return json.loads(match.group(1))


def _outside_data(page: str) -> str:
    """The page without its JSON data blocks and inlined scripts: the markup proper."""
    return re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)


def test_fixture_is_a_valid_analysis(analysis: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(analysis, load_schema())
    # Offsets in the fixture really point at the text they claim to.
    docs = {d["id"]: d["text"] for d in analysis["documents"]}
    for c in analysis["claims"]:
        assert docs[c["doc"]][c["start"]:c["end"]] == c["text"]


def test_self_contained(page: str) -> None:
    assert 'src="http' not in page and "src='http" not in page
    assert 'href="http' not in page
    # styles are inlined too; the one link is the tab icon, a data: URI (no request)
    assert re.findall(r"<link[^>]*>", page) == [
        m for m in re.findall(r"<link[^>]*>", page) if 'rel="icon"' in m and 'href="data:' in m]
    assert len(re.findall(r"<link[^>]*>", page)) == 1
    assert not re.search(r"<script[^>]+src=", page)
    for name in VENDOR_SCRIPTS:
        code = (VENDOR / name).read_text(encoding="utf-8")
        # Each vendored library is inlined whole (only "</" is rewritten to "<\/").
        assert code.replace("</", "<\\/") in page, name
    atlas = _embedded(page, "atlas")
    assert atlas["type"] == "Topology" and "countries" in atlas["objects"]
    assert "(function ()" in page  # the app itself


def test_embedded_data_round_trips(page: str, analysis: dict[str, Any]) -> None:
    assert _embedded(page, "data") == analysis


def test_hostile_payloads_are_text_not_markup(page: str) -> None:
    markup = _outside_data(page)
    for payload in PAYLOADS[:2]:
        # Neither in the markup nor inside a JSON block can a payload appear raw.
        assert payload not in page
    assert "<img" not in markup
    assert not re.search(r'href="\s*javascript:', page, re.I)
    # Script elements are only ours: data blocks, vendored libraries and the app.
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert len(scripts) == 2 + len(VENDOR_SCRIPTS) + 1


def test_hostile_text_in_the_headline_is_escaped() -> None:
    hostile = fixture_store.load_analysis()
    cluster = hostile["claim_clusters"][0]
    cluster["label"] = PAYLOADS[0] + PAYLOADS[1]
    # the headline names each independent origin by its group's name
    cluster["origins"][0]["name"] = cluster["origins"][0]["group"] = PAYLOADS[1]
    page = render_report(hostile)
    headline = re.search(r'<p id="headline">(.*?)</p>', page, re.S).group(1)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in headline
    assert "&lt;img src=x onerror=alert(1)&gt;" in headline
    assert "<script" not in headline and "<img" not in headline


def test_script_json_cannot_close_the_element() -> None:
    text = script_json({"a": "</script><!-- \u2028\u2029 & >"})
    assert "</" not in text and "<!--" not in text and "&" not in text and ">" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(str(text)) == {"a": "</script><!-- \u2028\u2029 & >"}


def test_headline_counts_single_origin_claims(analysis: dict[str, Any], page: str) -> None:
    summary = summarize(analysis)
    assert summary["documents"] == 6 and summary["outlets"] == 6 and summary["clusters"] == 5
    # k1 (4 outlets, 1 origin) and k2 (3 outlets, 0 origins); k3 has 2 independent origins.
    assert summary["single_origin"] == 2
    assert [w["id"] for w in summary["worst"]] == ["k1", "k2"]
    headline = re.sub(r"\s+", " ", re.search(r'<p id="headline">(.*?)</p>', page, re.S).group(1))
    assert "6 articles from 6 outlets" in headline
    assert "5 claim clusters" in headline
    assert "2 claims relayed by several outlets rest on one independent origin" in headline
    assert "40 drones were shot down over Port Ellis" in headline
    assert 'href="#claim/k1"' in headline


def test_single_origin_rule_is_the_same_in_python_and_sql() -> None:
    # The report applies the rule to clusters in memory, the web app in SQL over the store:
    # both must pick the same clusters, missing lists and counts included. ``relays`` counts
    # each article of unknown outlet as an outlet of its own (None: a store without it).
    duckdb = pytest.importorskip("duckdb")
    cases = [
        {"id": f"k{i}", "outlets": outlets, "independent_origins": origins, "relays": relays}
        for i, (outlets, origins, relays) in enumerate(
            (o, n, r)
            for o in (None, [], ["A"], ["A", "B"], ["A", "B", "C"])
            for n in (None, 0, 1, 2)
            for r in (None, len(o or []), len(o or []) + 1)
        )
    ]
    con = duckdb.connect()
    con.execute("CREATE TABLE claim_clusters (id VARCHAR, outlets VARCHAR[], "
                "independent_origins INTEGER, relays INTEGER)")
    con.executemany("INSERT INTO claim_clusters VALUES (?, ?, ?, ?)",
                    [[k["id"], k["outlets"], k["independent_origins"], k["relays"]]
                     for k in cases])
    in_sql = {r[0] for r in con.execute(
        f"SELECT id FROM claim_clusters WHERE {single_origin_sql()}").fetchall()}
    in_python = {k["id"] for k in cases if single_origin(k)}
    assert in_sql == in_python
    # An article of unknown outlet beside a named one makes two relays.
    assert single_origin({"outlets": ["A"], "relays": 2, "independent_origins": 1})
    assert not single_origin({"outlets": ["A"], "relays": None, "independent_origins": 1})
    # Several outlets, at most one independent origin (none known counts as none).
    cases = [k for k in cases if k["relays"] is None]
    expected = {(tuple(k["outlets"] or ()), k["independent_origins"]) for k in cases
                if k["id"] in in_python}
    assert expected == {(o, n) for o in (("A", "B"), ("A", "B", "C")) for n in (None, 0, 1)}


def test_empty_analysis_renders() -> None:
    empty = {
        "schema": "sourcetrace/analysis/1", "generated": "x", "pipeline": {}, "documents": [],
        "entities": [], "attributions": [], "places": [], "dates": [], "quantities": [],
        "reuse": [], "claims": [], "claim_clusters": [], "language": [], "errors": [],
    }
    page = render_report(empty)
    headline = re.sub(r"\s+", " ", re.search(r'<p id="headline">(.*?)</p>', page, re.S).group(1))
    assert "0 articles from 0 outlets" in headline
    assert "No claim relayed by several outlets rests on a single independent origin" in headline
    # Missing optional keys do not break the summary either.
    assert summarize({})["clusters"] == 0


def test_write_report_from_store(tmp_path: Path, analysis: dict[str, Any]) -> None:
    fixture_store.build_store(tmp_path)
    with AnalysisStore(tmp_path) as store:
        path = write_report(store, tmp_path)
        expected = build_analysis(store)
    assert path == tmp_path / "report.html"
    page = path.read_text(encoding="utf-8")
    data = _embedded(page, "data")
    assert [d["id"] for d in data["documents"]] == [d["id"] for d in expected["documents"]]
    assert {k["id"] for k in data["claim_clusters"]} == {"k1", "k2", "k3", "k4", "k5"}
    assert not list(tmp_path.glob("*.tmp"))


def test_write_report_on_an_empty_store(tmp_path: Path) -> None:
    with AnalysisStore(tmp_path) as store:
        page = write_report(store, tmp_path).read_text(encoding="utf-8")
    assert "0 articles from 0 outlets" in re.sub(r"\s+", " ", page)


def test_summary_does_not_mutate(analysis: dict[str, Any]) -> None:
    before = copy.deepcopy(analysis)
    summarize(analysis)
    render_report(analysis)
    assert analysis == before


def test_vendor_files_are_small_and_documented() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    for path in VENDOR.glob("*.js*"):
        assert path.stat().st_size < 1_000_000, path.name
        assert path.name in readme
    for lib in ("cytoscape", "d3-geo", "d3-array", "topojson-client", "world-atlas"):
        assert (VENDOR / "licenses" / f"{lib}.LICENSE").is_file()


# -- inputs not analysed, bidi isolation, long headings (issue 18) -----------------------------
def test_report_lists_the_inputs_not_analysed(page: str) -> None:
    markup = _outside_data(page)
    section = re.search(r'<details id="inputs-not-analysed"[^>]*>(.*?)</details>', markup, re.S)
    assert section, "no 'Inputs not analysed' section"
    body = section.group(1)
    assert "Inputs not analysed (1)" in body
    # the file name is user data: escaped and isolated, with the reason beside it
    assert "<bdi>feed/&lt;script&gt;alert(1)&lt;/script&gt;.html</bdi>" in body
    assert "could not parse" in body
    assert "<script" not in body
    headline = re.sub(r"\s+", " ", re.search(r'<p id="failed-line"[^>]*>(.*?)</p>', markup,
                                            re.S).group(1))
    assert "1 input could not be analysed" in headline


def test_report_of_a_run_where_everything_failed(tmp_path: Path) -> None:
    from sourcetrace.model import IngestError

    with AnalysisStore(tmp_path) as store:
        store.save_errors([
            IngestError("in/a.txt", "not UTF-8: save the file as UTF-8"),
            IngestError("in/b.jsonl", "no text field", line=3),
        ])
        page = write_report(store, tmp_path).read_text(encoding="utf-8")
    headline = re.sub(r"\s+", " ", re.search(r'<p id="headline">(.*?)</p>', page, re.S).group(1))
    assert "0 articles" not in headline
    assert "No article was analysed: 2 inputs could not be read or were skipped" in headline
    section = re.search(r'<details id="inputs-not-analysed" class="inputs" open>(.*?)</details>',
                        page, re.S).group(1)
    rows = re.findall(r"<tr><td class=\"path\"><bdi>(.*?)</bdi></td><td class=\"num\">(.*?)</td>",
                      section)
    assert rows == [("in/a.txt", ""), ("in/b.jsonl", "3")]
    assert "not UTF-8: save the file as UTF-8" in section


def test_headline_isolates_user_strings_and_caps_long_labels(analysis: dict[str, Any]) -> None:
    data = copy.deepcopy(analysis)
    rlo = "Gazette \u202eSTEW"
    k1 = next(k for k in data["claim_clusters"] if k["id"] == "k1")
    k1["label"] = "40 drones " + "and more drones " * 400  # 6,400 characters
    k1["origins"][0]["name"] = k1["origins"][0]["group"] = rlo
    page = render_report(data)
    headline = re.search(r'<p id="headline">(.*?)</p>', page, re.S).group(1)
    assert f"<bdi>{rlo}</bdi>" in headline
    # every U+202E in the headline ends inside its own isolate
    assert headline.count("\u202e") == headline.count(f"<bdi>{rlo}</bdi>")
    worst = re.search(r'<a class="worst"[^>]*>(.*?)</a>', headline, re.S).group(1)
    assert len(worst) < 300 and "\u2026" in worst  # capped with an ellipsis
    assert f'title="{k1["label"]}"' in headline  # the whole label on hover


def test_report_has_an_inline_favicon(page: str) -> None:
    icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page).group(1)
    assert icon.startswith("data:image/svg+xml,") and "%3Csvg" in icon
