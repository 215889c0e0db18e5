"""Click through the report (file://) and the web app (uvicorn on 127.0.0.1) in Chromium.

Every request is routed: anything that leaves file:// or the local server fails the test, so
the views are proven to work offline. Screenshots go to tests/screenshots/ (gitignored); the
pictures of docs/first-hour.md come from scripts/docs_screenshots.py over the demo.

The fixture analysis is the one of tests/fixtures/report with what a new user's first hour
brings: an outlet name holding U+202E (RIGHT-TO-LEFT OVERRIDE), a claim and a title of 6,400
characters, and an input that could not be read.
"""

from __future__ import annotations

import copy
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from fixtures.report import fixture_store

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parent / "screenshots"

HOSTILE_OUTLET = "<script>alert(1)</script> Gazette"
RLO_OUTLET = HOSTILE_OUTLET + " \u202eSTEW"  # shows as "WETS" and, unisolated, turns what follows
LONG_TAIL = " and " + "the harbour authority confirmed it again " * 160
LONG_LABEL = ("Residents of Port Ellis heard explosions before dawn" + LONG_TAIL)[:6400]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
    pytest.skip("Chromium is not installed at /usr/bin/chromium (scripts/ensure-chromium.sh "
                "installs it); browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")




def _replace_strings(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, list):
        return [_replace_strings(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _replace_strings(v, old, new) for k, v in value.items()}
    return value


def first_hour_analysis() -> dict[str, Any]:
    """The fixture analysis with a U+202E outlet, a 6,400-character claim label and title
    (the fixture's failed input stays)."""
    data = _replace_strings(copy.deepcopy(fixture_store.load_analysis()),
                            HOSTILE_OUTLET, RLO_OUTLET)
    for k in data["claim_clusters"]:
        if k["id"] == "k3":
            k["label"] = LONG_LABEL
    for d in data["documents"]:
        if d["id"] == "meridian-006":
            d["title"] = ("Port Ellis wakes to explosions" + LONG_TAIL)[:6400]
    return data


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sourcetrace.outputs.report import write_report
    from sourcetrace.outputs.store import AnalysisStore

    out = tmp_path_factory.mktemp("browser")
    fixture_store.build_store(out, first_hour_analysis())
    with AnalysisStore(out) as store:
        write_report(store, out)
    return out


@pytest.fixture(scope="module")
def server(out_dir: Path) -> Iterator[str]:
    import uvicorn

    from sourcetrace.outputs.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(out_dir), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Guard:
    """Blocks and records requests that leave file:// or the local server; records dialogs
    and page errors."""

    def __init__(self, allowed_origin: str | None) -> None:
        self.allowed = allowed_origin
        self.blocked: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []

    def route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        local = parts.scheme in {"file", "data", "blob"} or (
            self.allowed is not None and f"{parts.scheme}://{parts.netloc}" == self.allowed
        )
        if local:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def _open(
    browser: Any, url: str, allowed_origin: str | None, bypass_csp: bool = False,
    width: int = 1300, height: int = 1000,
) -> tuple[Any, Any, Guard]:
    guard = Guard(allowed_origin)
    context = browser.new_context(viewport={"width": width, "height": height},
                                  bypass_csp=bypass_csp)
    context.route("**/*", guard.route)
    page = context.new_page()
    page.on("dialog", guard.dialog)
    page.on("pageerror", lambda e: guard.errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    return context, page, guard


def _until(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Poll a JavaScript expression until it is truthy. (wait_for_function evaluates strings
    inside the page, which the page's CSP forbids; evaluate() goes through DevTools.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(50)


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _exercise(page: Any, name: str) -> None:
    """The same clicks for the report and the app: they are one app over two data sources."""
    rows = page.locator("#claims-table tbody tr")
    assert rows.count() == 5
    assert rows.first.locator("td.label").text_content() == (
        "40 drones were shot down over Port Ellis")
    # The hostile cluster label is shown as text; no element was injected.
    labels = page.locator("#claims-table td.label").all_text_contents()
    assert "the minister resigned <img src=x onerror=alert(1)>" in labels
    assert page.locator("img").count() == 0
    _shot(page, f"{name}-claims")

    # Filters and sorting.
    page.fill("#filters input[name=q]", "grain")
    _until(page, "document.querySelectorAll('#claims-table tbody tr').length === 1")
    assert "grain deal" in rows.first.text_content()
    page.fill("#filters input[name=q]", "")
    _until(page, "document.querySelectorAll('#claims-table tbody tr').length === 5")
    page.select_option("#filters select[name=max_origins]", "1")
    page.check("#filters input[name=multi]")
    _until(page, "document.querySelectorAll('#claims-table tbody tr').length === 2")
    page.uncheck("#filters input[name=multi]")
    page.select_option("#filters select[name=max_origins]", "")
    _until(page, "document.querySelectorAll('#claims-table tbody tr').length === 5")
    page.click("#claims-table th[data-sort=label]")
    _until(page,
        "document.querySelector('#claims-table tbody td.label').textContent.startsWith('40')")
    page.click("#claims-table th[data-sort=label]")
    _until(page,
        "document.querySelector('#claims-table tbody td.label').textContent.startsWith('the m')")

    # Claim card: wording, chain, origins, graph.
    page.click("#claims-table tbody tr[data-id='k1']")
    page.wait_for_selector("#card-title")
    assert page.text_content("#card-title") == "40 drones were shot down over Port Ellis"
    vna = page.locator(".article[data-doc='vna-002']")
    assert vna.locator("mark.claim").all_text_contents() == [
        "40 drones were shot down over Port Ellis overnight"]
    chain = vna.locator("ol.chain li").all_text_contents()
    assert chain[0].startswith("Valmora News Agency") and chain[1].startswith("the Ministry")
    assert "reported" in vna.locator("mark.cue").all_text_contents()
    assert "Valmora" in page.locator("#origins-table").text_content()
    # why 1 independent origin: one sentence per group, the outlet's say-so not counted
    assert page.locator("#origin-groups li").all_text_contents() == [
        "Ministry of Defence of Valmora is tied to no other source here → 1 origin.",
        "Not counted as corroboration — the outlet's own assertion: Valmora News Agency."]
    assert "outlet's own assertion" in page.locator("#origins-table").text_content()
    hostile = page.locator(".article[data-doc='hostile-005']")
    assert "<script>alert(1)</script> Gazette" in hostile.locator(".head").text_content()
    assert "javascript:alert(1)" in hostile.locator(".url").text_content()
    assert hostile.locator("a").count() == 0
    _until(page, "window.__sourcetraceGraph && window.__sourcetraceGraph.nodes().length")
    types = page.evaluate(
        "window.__sourcetraceGraph.nodes().map(n => n.data('type'))")
    assert {"outlet", "article", "origin", "controller"} <= set(types)
    pos = page.evaluate(
        "(() => { const n = window.__sourcetraceGraph.getElementById('origin:o:mod');"
        " return n.renderedPosition(); })()")
    box = page.locator("#graph").bounding_box()
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    page.wait_for_selector("#graph-node-label")
    assert page.text_content("#graph-node-label") == "Ministry of Defence of Valmora"
    assert "controlled by" in page.text_content("#graph-info")
    _shot(page, f"{name}-card")

    # The hostile claim's card shows its payloads as text.
    page.evaluate("location.hash = '#claim/k4'")
    _until(page,
        "document.querySelector('#card-title').textContent.includes('resigned')")
    assert page.text_content("#card-title") == "the minister resigned <img src=x onerror=alert(1)>"
    text = page.locator(".article[data-doc='hostile-005'] .doctext").text_content()
    assert "<script>alert(1)</script>" in text and "javascript:alert(1)" in text
    assert page.locator("img").count() == 0
    # No executable script carries a payload: only the JSON data blocks hold that text.
    assert page.evaluate(
        "[...document.scripts].filter(s => s.type !== 'application/json'"
        " && s.textContent.includes('alert(1)')).length") == 0
    _shot(page, f"{name}-hostile")

    # Reuse: clicking a passage on one side highlights its twin on the other.
    page.click("#tabs a[data-view=reuse]")
    page.wait_for_selector("#reuse-a mark.passage")
    assert page.locator("#reuse-pairs li").count() == 2
    page.click("#reuse-a mark.passage")
    twin = page.locator("#reuse-b mark.passage[data-passage='0']")
    assert "active" in (twin.get_attribute("class") or "")
    assert page.locator("#reuse-a mark.passage").first.text_content().startswith("citing the")
    page.click("#reuse-pairs li[data-pair='1']")
    _until(page,
        "document.querySelector('#reuse-b .head').textContent.includes('Meridian')")
    _shot(page, f"{name}-reuse")

    # Map and timeline.
    page.click("#tabs a[data-view=map]")
    page.wait_for_selector("#map circle.place")
    assert page.locator("#map path.country").count() > 100  # the world-atlas shapes are drawn
    assert page.locator("#map circle.place").count() == 3  # the unlocated place is left out
    page.click("#map circle.place[data-place='pl:port-ellis']", force=True)
    assert page.text_content("#place-name") == "Port Ellis"
    assert page.locator("#place-info li").count() == 6
    assert page.locator("#timeline circle.first").count() == 5
    _shot(page, f"{name}-map")

    # Entities and language.
    page.click("#tabs a[data-view=entities]")
    page.wait_for_selector("#entities-table tbody tr")
    page.fill("#entity-q", "state agency")
    _until(page, "document.querySelectorAll('#entities-table tbody tr').length === 1")
    row = page.locator("#entities-table tbody tr").first.text_content()
    assert "Valmora News Agency" in row and "Valmora" in row
    page.click("#tabs a[data-view=language]")
    page.wait_for_selector("#language-spans li")
    assert page.locator("#language-spans li").count() == 4
    assert "<script>alert(1)</script> Gazette" in page.text_content("#language-counts")
    _shot(page, f"{name}-language")


def _check_guard(guard: Guard) -> None:
    assert guard.blocked == [], f"requests left localhost: {guard.blocked}"
    assert guard.dialogs == [], f"a dialog fired: {guard.dialogs}"
    assert guard.errors == [], f"page errors: {guard.errors}"


def test_report_offline(browser: Any, out_dir: Path) -> None:
    context, page, guard = _open(browser, (out_dir / "report.html").as_uri(), None)
    try:
        _exercise(page, "report")
        page.wait_for_timeout(300)  # let any deferred handler run before checking dialogs
        _check_guard(guard)
    finally:
        context.close()


def test_web_app(browser: Any, server: str) -> None:
    context, page, guard = _open(browser, server + "/", server)
    try:
        _exercise(page, "app")
        page.wait_for_timeout(300)
        _check_guard(guard)
    finally:
        context.close()


def test_guard_really_blocks_external_requests(browser: Any, out_dir: Path) -> None:
    """Both layers against an outside request: the page's CSP refuses it, and with the CSP
    bypassed the test's network guard still catches it (so the guard is not vacuous)."""
    url = (out_dir / "report.html").as_uri()
    context, page, guard = _open(browser, url, None)
    try:
        outcome = page.evaluate(
            "fetch('http://example.com/x').then(() => 'sent', e => 'refused: ' + e.name)")
        assert outcome.startswith("refused")
    finally:
        context.close()
    context, page, guard = _open(browser, url, None, bypass_csp=True)
    try:
        page.evaluate("fetch('http://example.com/x').catch(() => null)")
        assert any("example.com" in u for u in guard.blocked)
    finally:
        context.close()


# -- a new user's screens: 800 and 1400 pixels wide --------------------------------------------
def _screen_shot(page: Any, name: str, element: str | None = None) -> None:
    """The window or one element (not the whole long page) into tests/screenshots/."""
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    if element:
        page.locator(element).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path))


def _url(which: str, out_dir: Path, server: str) -> tuple[str, str | None]:
    return ((out_dir / "report.html").as_uri(), None) if which == "report" else (
        server + "/", server)


# Everything the graph draws, read from cytoscape in model coordinates: each visible label's
# box, each node's body, and each edge's path (its end points and bend or control points).
GRAPH_GEOMETRY = """(() => {
  const cy = window.__sourcetraceGraph;
  const box = (b) => ({ x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 });
  const labels = [];
  cy.elements().forEach((x) => {
    if (!x.style('label')) return;
    const b = x.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true,
                              includeOverlays: false });
    if (b.w > 0 && b.h > 0) {
      labels.push(Object.assign({ id: x.id(), text: x.style('label') }, box(b)));
    }
  });
  const bodies = cy.nodes().map((n) => {
    const p = n.position(), w = n.width() / 2, h = n.height() / 2;
    return { id: n.id(), type: n.data('type'), shape: n.style('shape'),
             color: n.style('background-color'),
             x1: p.x - w, y1: p.y - h, x2: p.x + w, y2: p.y + h };
  });
  const edges = cy.edges().map((e) => ({
    id: e.id(), label: e.data('label'), source: e.source().id(), target: e.target().id(),
    curve: e.style('curve-style'), start: e.sourceEndpoint(), end: e.targetEndpoint(),
    segments: e.segmentPoints() || [], controls: e.controlPoints() || [],
  }));
  return { labels, bodies, edges };
})()"""


def _overlap(a: dict[str, float], b: dict[str, float], tol: float = 0.5) -> bool:
    return (a["x1"] + tol < b["x2"] and b["x1"] + tol < a["x2"]
            and a["y1"] + tol < b["y2"] and b["y1"] + tol < a["y2"])


def _quad(p: dict[str, float], c: dict[str, float], q: dict[str, float]) -> list[dict[str, float]]:
    return [{"x": (1 - t) ** 2 * p["x"] + 2 * (1 - t) * t * c["x"] + t * t * q["x"],
             "y": (1 - t) ** 2 * p["y"] + 2 * (1 - t) * t * c["y"] + t * t * q["y"]}
            for t in (i / 24 for i in range(25))]


def _edge_polyline(e: dict[str, Any]) -> list[dict[str, float]]:
    """The line cytoscape draws for an edge: straight, through its segment points, or its
    chain of quadratic curves through the control points (sampled)."""
    if e["curve"] in {"bezier", "unbundled-bezier"} and e["controls"]:
        cps, pts, start = e["controls"], [], e["start"]
        for i, c in enumerate(cps):
            end = (e["end"] if i == len(cps) - 1 else
                   {"x": (c["x"] + cps[i + 1]["x"]) / 2, "y": (c["y"] + cps[i + 1]["y"]) / 2})
            pts += _quad(start, c, end)
            start = end
        return pts
    return [e["start"], *(e["segments"] if e["curve"] == "segments" else []), e["end"]]


def _segment_enters(p: dict[str, float], q: dict[str, float], b: dict[str, float]) -> bool:
    """Whether the segment p-q passes through the inside of box b (Liang-Barsky)."""
    t0, t1 = 0.0, 1.0
    dx, dy = q["x"] - p["x"], q["y"] - p["y"]
    for pp, qq in ((-dx, p["x"] - b["x1"]), (dx, b["x2"] - p["x"]),
                   (-dy, p["y"] - b["y1"]), (dy, b["y2"] - p["y"])):
        if pp == 0:
            if qq < 0:
                return False
            continue
        t = qq / pp
        if pp < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return t1 - t0 > 1e-6


def _shrunk(b: dict[str, float], by: float = 1.0) -> dict[str, float]:
    return {"x1": b["x1"] + by, "y1": b["y1"] + by, "x2": b["x2"] - by, "y2": b["y2"] - by}


def _open_card(page: Any, claim: str) -> dict[str, Any]:
    page.evaluate(f"location.hash = '#claim/{claim}'")
    _until(page, "window.__sourcetraceGraph && window.__sourcetraceGraph.nodes().length"
                 " && document.querySelector('.article[data-doc]') !== null")
    page.wait_for_timeout(200)  # the layout settles before it is measured
    return page.evaluate(GRAPH_GEOMETRY)


def _label_clashes(geo: dict[str, Any]) -> list[tuple[str, str]]:
    """Pairs of visible labels that overlap, and labels over another node's body."""
    labels, bodies = geo["labels"], geo["bodies"]
    clashes = [(a["id"], b["id"]) for i, a in enumerate(labels) for b in labels[i + 1:]
               if _overlap(a, b)]
    clashes += [(a["id"], n["id"]) for a in labels for n in bodies
                if a["id"] != n["id"] and _overlap(a, n)]
    return clashes


CLAIMS_TABLE_FIT = """(() => {
  const vw = document.documentElement.clientWidth;
  const rect = (x) => {
    const r = x.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  };
  return {
    vw, page: document.documentElement.scrollWidth,
    table: rect(document.querySelector('#claims-table')),
    flags: [...document.querySelectorAll('#claims-table td .flag')].map(rect),
    cells: [...document.querySelectorAll('#claims-table td, #claims-table th')].map(rect),
  };
})()"""


@pytest.mark.parametrize("which", ["report", "app"])
def test_claims_table_and_graph_fit_800px(
    browser: Any, out_dir: Path, server: str, which: str
) -> None:
    url, origin = _url(which, out_dir, server)
    context, page, guard = _open(browser, url, origin, width=800, height=900)
    try:
        fit = page.evaluate(CLAIMS_TABLE_FIT)
        assert fit["page"] <= fit["vw"], f"the page scrolls sideways: {fit['page']} > {fit['vw']}"
        assert fit["table"]["right"] <= fit["vw"]
        # every flag badge is on screen without scrolling sideways, in the table and the window
        assert len(fit["flags"]) >= 7
        for f in fit["flags"]:
            assert 0 <= f["left"] and f["right"] <= min(fit["vw"], fit["table"]["right"]) + 0.5, f
        assert all(c["right"] <= fit["vw"] + 0.5 for c in fit["cells"])
        # the 6,400-character claim is a few lines in its row, whole in its title
        row = page.locator("#claims-table tbody tr[data-id='k3']")
        assert row.bounding_box()["height"] < 120
        assert page.locator("#claims-table tr[data-id='k3'] td.label").get_attribute(
            "title") == LONG_LABEL
        _screen_shot(page, f"{which}-claims-800")

        geo = _open_card(page, "k1")
        graph = page.locator("#graph").bounding_box()
        assert graph["width"] >= 600 and graph["height"] >= 300, graph
        assert len(geo["labels"]) >= 8, "most labels are hidden"
        assert _label_clashes(geo) == []
        # the card's heading: a 6,400-character claim is capped, the full text on hover
        _open_card(page, "k3")
        title = page.locator("#card-title")
        assert title.get_attribute("title") == LONG_LABEL
        assert title.bounding_box()["height"] < 4 * 22
        head = page.locator(".article[data-doc='meridian-006'] .head")
        assert head.bounding_box()["height"] < 70  # three lines: outlet (date) - title
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
        _open_card(page, "k1")
        if which == "report":
            _screen_shot(page, "report-card-800", "#claim-card .graph-wrap")
        # no other view scrolls sideways either
        for view in ["narratives", "reuse", "map", "entities", "language"]:
            if page.locator(f"#view-{view}").count() == 0:
                continue  # the app's narratives are pages of their own
            page.click(f"#tabs a[data-view={view}]")
            _until(page, f"!document.querySelector('#view-{view}').hidden")
            page.wait_for_timeout(300)
            assert page.evaluate("document.documentElement.scrollWidth") <= 800, view
        _check_guard(guard)
    finally:
        context.close()


@pytest.mark.parametrize("which", ["report", "app"])
def test_graph_edges_labels_and_legend_1400px(
    browser: Any, out_dir: Path, server: str, which: str
) -> None:
    url, origin = _url(which, out_dir, server)
    context, page, guard = _open(browser, url, origin, width=1400, height=1000)
    try:
        for claim in ("k1", "k3", "k2"):
            geo = _open_card(page, claim)
            bodies = {n["id"]: n for n in geo["bodies"]}
            crossings = [
                (e["id"], n)
                for e in geo["edges"]
                for n, b in bodies.items() if n not in (e["source"], e["target"])
                for p, q in zip(_edge_polyline(e), _edge_polyline(e)[1:], strict=False)
                if _segment_enters(p, q, _shrunk(b))
            ]
            assert crossings == [], f"{claim}: edges through other nodes: {crossings}"
            assert _label_clashes(geo) == [], claim
            if claim == "k1":
                assert any(e["label"] == "copied from" for e in geo["edges"])
                # the "copied from" and "controlled by" labels are drawn, not hidden
                shown = {x["text"] for x in geo["labels"]}
                assert "copied from" in shown or "controlled by" in shown
                _legend_matches(page, geo)
                _screen_shot(page, f"{which}-card-1400", "#claim-card")
        _check_guard(guard)
    finally:
        context.close()


# The drawing of each cytoscape node shape in an SVG legend icon.
LEGEND_SHAPES = {"ellipse": ("ellipse", None), "round-rectangle": ("rect", None),
                 "diamond": ("polygon", 4), "hexagon": ("polygon", 6)}


def _legend_matches(page: Any, geo: dict[str, Any]) -> None:
    """Each node type of the graph has a legend icon of its shape and colour."""
    legend = page.evaluate("""
    [...document.querySelectorAll('.graph-legend [data-type]')].map((k) => {
      const m = k.querySelector('svg > *');
      return { type: k.dataset.type, tag: m ? m.tagName : null,
               points: m && m.getAttribute('points')
                 ? m.getAttribute('points').trim().split(/\\s+/).length : null,
               rx: m && m.getAttribute('rx'), fill: m ? getComputedStyle(m).fill : null };
    })""")
    by_type = {k["type"]: k for k in legend}
    drawn = {(n["type"], n["shape"], n["color"].replace(" ", "")) for n in geo["bodies"]}
    assert {t for t, _, _ in drawn} <= set(by_type)
    for node_type, shape, color in drawn:
        key = by_type[node_type]
        tag, corners = LEGEND_SHAPES[shape]
        assert key["tag"] == tag, (node_type, shape, key)
        if corners:
            assert key["points"] == corners, (node_type, shape, key)
        if shape == "round-rectangle":
            assert float(key["rx"] or 0) > 0
        assert key["fill"].replace(" ", "") == color, (node_type, key["fill"], color)


# Every text node holding U+202E must sit in an isolate (<bdi> or dir=auto) holding exactly the
# user's string: then the override ends with the isolate and reverses nothing around it.
UNISOLATED = """(() => {
  const bad = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walk.nextNode(); t; t = walk.nextNode()) {
    if (!t.data.includes('\\u202e')) continue;
    const parent = t.parentElement;
    if (parent.closest('script, style, title')) continue;
    const iso = parent.closest('bdi, [dir=auto]');
    if (!iso || iso.textContent !== %s) bad.push((iso || parent).outerHTML.slice(0, 200));
  }
  return bad;
})()"""


@pytest.mark.parametrize("which", ["report", "app"])
def test_user_strings_are_bidi_isolated(
    browser: Any, out_dir: Path, server: str, which: str
) -> None:
    import json

    url, origin = _url(which, out_dir, server)
    context, page, guard = _open(browser, url, origin)
    check = UNISOLATED % json.dumps(RLO_OUTLET)
    seen = 0
    try:
        steps = [
            lambda: None,
            lambda: _open_card(page, "k1"),
            lambda: _open_card(page, "k4"),
            lambda: (page.click("#tabs a[data-view=reuse]"),
                     page.wait_for_selector("#reuse-a mark.passage")),
            lambda: (page.click("#tabs a[data-view=map]"),
                     page.wait_for_selector("#map circle.place"),
                     page.click("#map circle.place[data-place='pl:port-ellis']", force=True)),
            lambda: (page.click("#tabs a[data-view=language]"),
                     page.wait_for_selector("#language-spans li")),
        ]
        for step in steps:
            step()
            assert page.evaluate(check) == []
            seen += page.evaluate(
                "[...document.querySelectorAll('bdi, [dir=auto]')]"
                ".filter((x) => x.textContent.includes('\\u202e')).length")
        assert seen >= 6  # the outlet was on screen in the table filter, cards, places, language
        _check_guard(guard)
    finally:
        context.close()
