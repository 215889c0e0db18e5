"""``DIR/analysis.json``: the whole analysis as one JSON document, and Parquet tables.

The JSON follows ``schema/analysis.schema.json`` (``"schema": "sourcetrace/analysis/1"``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sourcetrace.outputs import shapes
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.tables import ALL_TABLES

SCHEMA_ID = "sourcetrace/analysis/1"


def load_schema() -> dict[str, Any]:
    text = resources.files("sourcetrace.schema").joinpath("analysis.schema.json").read_text()
    return json.loads(text)


def _by(rows: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def _reuse_pairs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``reuse`` rows (one per shared passage, ordered by pair) grouped into pairs."""
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        pair = pairs.setdefault((r["a"], r["b"]), shapes.reuse_pair(r))
        pair["passages"].append(shapes.reuse_passage(r))
    return list(pairs.values())


def build_analysis(store: AnalysisStore, pipeline: dict[str, Any] | None = None) -> dict[str, Any]:
    """Assemble the export from the store's tables."""
    mentions = _by([m for m in store.read("mentions") if m["entity"]], "entity")
    place_mentions = _by(store.read("place_mentions", "ORDER BY doc, start"), "place")
    return {
        "schema": SCHEMA_ID,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "pipeline": pipeline or {},
        "documents": [shapes.document(d) for d in store.read("documents", "ORDER BY id")],
        "entities": [
            shapes.entity(e, mentions.get(e["id"], []))
            for e in store.read("entities", "ORDER BY id")
        ],
        "attributions": [
            shapes.attribution(a)
            for a in store.read("attributions", "ORDER BY doc, content_start, id")
        ],
        "places": [
            shapes.place(p, place_mentions.get(p["id"], []))
            for p in store.read("places", "ORDER BY id")
        ],
        "dates": [shapes.date(d) for d in store.read("dates", "ORDER BY doc, start")],
        "quantities": [
            shapes.quantity(q) for q in store.read("quantities", "ORDER BY doc, start")
        ],
        "reuse": _reuse_pairs(store.read("reuse", "ORDER BY a, b, a_start")),
        "claims": [shapes.claim(c) for c in store.read("claims", "ORDER BY doc, start")],
        "claim_clusters": [
            shapes.cluster(k)
            for k in store.read(
                "claim_clusters",
                "ORDER BY amplification DESC NULLS LAST, len(documents) DESC, id",
            )
        ],
        "narratives": [
            shapes.narrative(n)
            for n in (store.read("narratives", shapes.NARRATIVE_ORDER)
                      if store.has_table("narratives") else [])
        ],
        "language": [
            shapes.language_span(s) for s in store.read("language", "ORDER BY doc, start")
        ],
        "errors": store.read("errors", "ORDER BY path, line"),
    }


def write_json(
    store: AnalysisStore, out_dir: Path, pipeline: dict[str, Any] | None = None,
    path: Path | None = None,
) -> Path:
    """``out_dir/analysis.json``, or ``path`` when given."""
    path = Path(path) if path is not None else Path(out_dir) / "analysis.json"
    data = build_analysis(store, pipeline)
    tmp = path.with_suffix(".json.tmp")
    # Compact: with ``indent`` the json module falls back to its pure-Python encoder, which
    # took longer than every corpus step together on a few hundred articles.
    tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)  # never leave a half-written export behind
    return path


def write_parquet(store: AnalysisStore, out_dir: Path, target: Path | None = None) -> Path:
    """Every table as ``DIR/parquet/<table>.parquet`` (DuckDB's own writer, no round trip),
    or as ``target/<table>.parquet`` when given."""
    target = Path(target) if target is not None else Path(out_dir) / "parquet"
    target.mkdir(parents=True, exist_ok=True)
    for table in ["documents", "errors", *ALL_TABLES]:
        dest = target / f"{table}.parquet"
        store.con.execute(f"COPY \"{table}\" TO '{dest.as_posix()}' (FORMAT PARQUET)")
    return target
