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

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from sourcetrace.outputs.shapes import single_origin, worst_example
from sourcetrace.outputs.store import AnalysisStore

# Scripts in the order the page needs them: d3-geo's UMD build looks up the d3-array global.
VENDOR_SCRIPTS = (
    "d3-array.min.js", "d3-geo.min.js", "topojson-client.min.js", "cytoscape.min.js",
)
ATLAS = "countries-110m.json"
WORST_EXAMPLES = 3

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
    return env


# -- the one-paragraph answer ------------------------------------------------------------------
def summarize(analysis: dict[str, Any]) -> dict[str, Any]:
    """The figures of the headline paragraph, from an ``analysis.json`` dict (the web app's
    ``queries.summary`` computes the same in SQL over the store)."""
    docs = analysis.get("documents") or []
    clusters = analysis.get("claim_clusters") or []
    weak = [k for k in clusters if single_origin(k)]
    weak.sort(
        key=lambda k: (-len(k.get("outlets") or []), -(k.get("amplification") or 0), k["id"])
    )
    return {
        "documents": len(docs),
        "outlets": len({d.get("outlet") for d in docs if d.get("outlet")}),
        "clusters": len(clusters),
        "multi_outlet": sum(1 for k in clusters if len(k.get("outlets") or []) >= 2),
        "single_origin": len(weak),
        "worst": [worst_example(k) for k in weak[:WORST_EXAMPLES]],
    }


def render_page(
    summary: dict[str, Any],
    analysis: dict[str, Any] | None,
    api_base: str = "/api",
    static_base: str = "/static",
    title: str = "sourcetrace report",
) -> str:
    """The app page: with ``analysis`` everything is inlined (the report); with ``api_base``
    the page loads its scripts from ``/static`` and its data from the JSON API (the web app)."""
    assets = _assets()
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
    )


def render_report(analysis: dict[str, Any]) -> str:
    """The self-contained report for one analysis (the ``analysis.json`` format)."""
    return render_page(summarize(analysis), analysis)


def write_report(store: AnalysisStore, out_dir: Path) -> Path:
    """Write ``DIR/report.html`` from the store (atomically: never a half-written report)."""
    from sourcetrace.outputs.export import build_analysis

    path = Path(out_dir) / "report.html"
    html = render_report(build_analysis(store))
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


__all__ = [
    "render_page", "render_report", "script_json", "single_origin", "summarize", "write_report",
]
