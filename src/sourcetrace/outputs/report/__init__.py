"""``DIR/report.html``: one self-contained, offline page over the whole analysis.

The page is the same JavaScript app that ``sourcetrace serve`` runs (``static/app.js``); here it
reads the analysis embedded in the page instead of the JSON API. Every script, style and map
shape is inlined, so the file opens from disk with no network at all.

Article text is hostile input: the template autoescapes, the embedded JSON escapes ``<``, ``>``,
``&`` and U+2028/2029 so no string can close the ``<script>`` element, and the app writes data
with ``textContent`` only.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from sourcetrace.outputs import shapes
from sourcetrace.outputs.headline import WORST_EXAMPLES
from sourcetrace.outputs.shapes import single_origin, worst_example
from sourcetrace.outputs.store import AnalysisStore

# Scripts in the order the page needs them: d3-geo's UMD build looks up the d3-array global.
VENDOR_SCRIPTS = (
    "d3-array.min.js", "d3-geo.min.js", "topojson-client.min.js", "cytoscape.min.js",
)
ATLAS = "countries-110m.json"
APPEARANCES_CAP = 200  # appearances listed under one proposition; more are counted, not listed

# The tab icon, inline: the report has no server and the app's CSP allows data: images.
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="6" fill="#1d2330"/>'
    '<circle cx="10" cy="22" r="4" fill="#2357c6"/><circle cx="22" cy="22" r="4" fill="#2357c6"/>'
    '<path d="M16 6l6 6-6 6-6-6z" fill="#d1495b"/>'
    '<path d="M10 18l6-4 6 4" stroke="#fff" stroke-width="1.5" fill="none"/></svg>'
)
FAVICON_URI = "data:image/svg+xml," + quote(FAVICON_SVG)

_JSON_ESCAPES = {
    ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
    0x2028: "\\u2028", 0x2029: "\\u2029",
}


def script_json(value: Any) -> Markup:
    """JSON safe to place inside ``<script type="application/json">``: no ``</script>``, no
    ``<!--`` and no line separators can appear in it, whatever the strings hold."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.translate(_JSON_ESCAPES))


def _inline_js(code: str) -> Markup:
    # Vendored code is trusted but could still contain "</script" inside a string literal;
    # "<\/" means the same thing to JavaScript and cannot end the element.
    return Markup(code.replace("</", "<\\/"))


def _package_text(folder: str, name: str) -> str:
    return resources.files(__name__).joinpath(folder, name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _assets() -> dict[str, Any]:
    """The app, its styles and the vendored libraries, read once per process."""
    return {
        "vendor": [_inline_js(_package_text("vendor", n)) for n in VENDOR_SCRIPTS],
        "app_js": _inline_js(_package_text("static", "app.js")),
        "app_css": Markup(_package_text("static", "app.css").replace("</", "<\\/")),
        "atlas": json.loads(_package_text("vendor", ATLAS)),
    }


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sourcetrace.outputs.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["script_json"] = script_json
    env.filters["origin_names"] = shapes.origin_names
    env.filters["origin_name"] = shapes.origin_name
    env.filters["origin_groups"] = shapes.origin_groups
    env.filters["origin_kind"] = shapes.origin_kind
    env.filters["single_origin"] = single_origin
    env.filters["bdi"] = bdi
    env.filters["isolate_names"] = isolate_names
    env.filters["short"] = short
    env.globals["favicon"] = FAVICON_URI
    return env


def bdi(value: Any) -> Markup:
    """``value`` escaped inside ``<bdi>``: a user-supplied string (an outlet, a title, a
    source) written right to left, or holding U+202E, cannot reorder the text around it."""
    return Markup("<bdi>%s</bdi>") % ("" if value is None else value)


def isolate_names(sentence: Any, names: Any) -> Markup:
    """A sentence we wrote around user-supplied names, escaped, each name in a ``<bdi>``
    (the same as app.js's ``isolateNames``)."""
    text = "" if sentence is None else str(sentence)
    wanted = sorted({n for n in names or [] if n and n in text}, key=len, reverse=True)
    out, i = Markup(""), 0
    while wanted and i < len(text):
        hits = [(text.find(n, i), -len(n), n) for n in wanted if text.find(n, i) != -1]
        if not hits:
            break
        at, _, name = min(hits)
        out += text[i:at]
        out += bdi(name)
        i = at + len(name)
    return out + text[i:]


def short(value: Any, n: int) -> str:
    """At most ``n`` characters, an ellipsis marking a cut (a 6,400-character title is no
    heading); the full text goes in a ``title`` attribute beside it."""
    text = "" if value is None else str(value)
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


# -- the one-paragraph answer ------------------------------------------------------------------
def summarize(analysis: dict[str, Any]) -> dict[str, Any]:
    """The figures of the headline paragraph, from an ``analysis.json`` dict (the web app's
    ``outputs.headline.summary`` computes the same in SQL over the store)."""
    docs = analysis.get("documents") or []
    clusters = analysis.get("claim_clusters") or []
    weak = [k for k in clusters if single_origin(k)]
    weak.sort(
        key=lambda k: (-len(k.get("outlets") or []), -(k.get("amplification") or 0), k["id"])
    )
    return {
        # every appearance is an article (the same text on two outlets is two)
        "documents": len(docs),
        "outlets": len({d.get("outlet") for d in docs if d.get("outlet")}),
        "unknown_outlet": sum(1 for d in docs if not d.get("outlet")),
        "inferred_outlet": sum(1 for d in docs if d.get("outlet") and d.get("outlet_inferred")),
        "clusters": len(clusters),
        "multi_outlet": sum(1 for k in clusters if len(k.get("outlets") or []) >= 2),
        "single_origin": len(weak),
        "worst": [worst_example(k) for k in weak[:WORST_EXAMPLES]],
        # Beside the headline, not in it: independence is judged per proposition.
        "narratives": len(analysis.get("narratives") or []),
        # skipped or failed inputs (the store's errors), listed under "Inputs not analysed";
        # a warning (a document read on a guessed encoding) is listed but not counted
        "failed": sum(1 for e in analysis.get("errors") or [] if e.get("kind") != "warning"),
    }


# -- narratives --------------------------------------------------------------------------------
def proposition_node(
    cluster: dict[str, Any],
    claims: dict[str, dict[str, Any]],
    docs: dict[str, dict[str, Any]],
    cap: int = APPEARANCES_CAP,
    copies: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """A claim cluster with its appearances (earliest article first, at most ``cap``): each
    claim in its document and in every other appearance of that document's text."""
    ids = [c for c in cluster.get("claims") or [] if c in claims]
    copies = copies if copies is not None else appearance_ids(docs)
    found = [
        {**shapes.appearance(claims[c], docs.get(seen)), "doc": seen}
        for c in ids
        for seen in [claims[c]["doc"], *sorted(copies.get(claims[c]["doc"], []))]
    ]
    found.sort(key=lambda a: (a["published"] or "\uffff", a["doc"], a["start"] or 0))
    return {**cluster, "appearances": found[:cap], "more": max(0, len(found) - cap)}


def appearance_ids(docs: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Analysed document -> the other documents with its text (``duplicate_of``)."""
    copies: dict[str, list[str]] = {}
    for d in docs.values():
        if d.get("duplicate_of"):
            copies.setdefault(d["duplicate_of"], []).append(d["id"])
    return copies


def narrative_tree(analysis: dict[str, Any]) -> dict[str, Any]:
    """The report's narratives section: each narrative (in its order) with its propositions,
    each with its appearances; ``outside``: clusters in no narrative (none in a run that made
    narratives; all of them in an analysis from before narratives)."""
    clusters = {k["id"]: k for k in analysis.get("claim_clusters") or []}
    claims = {c["id"]: c for c in analysis.get("claims") or []}
    docs = {d["id"]: d for d in analysis.get("documents") or []}
    copies = appearance_ids(docs)
    items, placed = [], set()
    for n in analysis.get("narratives") or []:
        members = [c for c in n.get("claim_clusters") or [] if c in clusters]
        placed.update(members)
        items.append({**n, "clusters": [proposition_node(clusters[c], claims, docs, copies=copies)
                                        for c in members]})
    outside = [proposition_node(k, claims, docs, copies=copies)
               for c, k in clusters.items() if c not in placed]
    return {"entries": items, "outside": outside if items else []}


def with_narratives(analysis: dict[str, Any], store: AnalysisStore) -> dict[str, Any]:
    """``analysis`` with the store's narratives and each cluster's ``narrative`` (the nr: id),
    where the export does not carry them already."""
    if "narratives" not in analysis:
        analysis["narratives"] = [
            shapes.narrative(r)
            for r in store.read("narratives", "ORDER BY TRY_CAST(substr(id, 4) AS INTEGER), id")
        ]
    of = {c: n["id"] for n in analysis["narratives"] for c in n["claim_clusters"]}
    for k in analysis.get("claim_clusters") or []:
        k.setdefault("narrative", of.get(k["id"]))
    return analysis


def render_page(
    summary: dict[str, Any],
    analysis: dict[str, Any] | None,
    api_base: str = "/api",
    static_base: str = "/static",
    title: str = "sourcetrace report",
    errors: dict[str, Any] | None = None,
) -> str:
    """The app page: with ``analysis`` everything is inlined (the report); with ``api_base``
    the page loads its scripts from ``/static`` and its data from the JSON API (the web app).
    ``errors``: the inputs not analysed to list, ``{"items": [...], "total": n}`` (default:
    the analysis's ``errors``, all of them)."""
    assets = _assets()
    if errors is None:
        found = list((analysis or {}).get("errors") or [])
        errors = {"items": found, "total": len(found)}
    return environment().get_template("app.html.j2").render(
        title=title,
        summary=summary,
        embedded=analysis is not None,
        analysis=analysis,
        api_base=api_base,
        static_base=static_base,
        vendor=assets["vendor"] if analysis is not None else [],
        vendor_names=VENDOR_SCRIPTS,
        atlas=assets["atlas"] if analysis is not None else None,
        app_js=assets["app_js"] if analysis is not None else None,
        app_css=assets["app_css"],
        generated=(analysis or {}).get("generated"),
        narratives=narrative_tree(analysis) if analysis is not None else None,
        errors=errors,
        favicon=FAVICON_URI,
    )


def render_report(analysis: dict[str, Any]) -> str:
    """The self-contained report for one analysis (the ``analysis.json`` format)."""
    return render_page(summarize(analysis), analysis)


def write_report(
    store: AnalysisStore, out_dir: Path, max_documents: int | None = None
) -> Path:
    """Write ``DIR/report.html`` from the store (atomically: never a half-written report).
    Above ``max_documents`` articles (default ``config.REPORT_MAX_DOCUMENTS``) the page holds
    the most prominent narratives only, says so, and still counts the whole corpus in its
    headline."""
    from sourcetrace.config import REPORT_MAX_DOCUMENTS
    from sourcetrace.outputs import headline
    from sourcetrace.outputs.export import build_analysis
    from sourcetrace.outputs.report.scope import choose_scope

    path = Path(out_dir) / "report.html"
    limit = REPORT_MAX_DOCUMENTS if max_documents is None else max_documents
    big = store.has_table("claim_clusters") and store.count("documents") > limit
    # the headline of a big corpus counts all of it, and names examples the page must hold
    summary = headline.summary(store.con) if big else None
    scope = (choose_scope(store, limit, first=[w["id"] for w in summary["worst"]])
             if summary else None)
    analysis = with_narratives(build_analysis(store, scope=scope), store)
    if scope is None or summary is None:
        html = render_report(analysis)
    else:
        html = render_page({**summary, "shown": scope.notice()}, analysis)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


__all__ = [
    "narrative_tree", "render_page", "render_report", "script_json", "single_origin", "summarize",
    "with_narratives", "write_report",
]
