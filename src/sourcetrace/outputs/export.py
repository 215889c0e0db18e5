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


def _mention(row: dict[str, Any]) -> dict[str, Any]:
    return {"doc": row["doc"], "start": row["start"], "end": row["end"], "text": row["text"]}


def build_analysis(store: AnalysisStore, pipeline: dict[str, Any] | None = None) -> dict[str, Any]:
    """Assemble the export from the store's tables."""
    docs = store.read(
        "documents", "ORDER BY id"
    )
    mentions = _by([m for m in store.read("mentions") if m["entity"]], "entity")
    entities = [
        {
            "id": e["id"], "name": e["name"], "type": e["type"], "country": e["country"],
            "aliases": list(e["aliases"] or []), "controlled_by": e["controlled_by"],
            "in_kb": bool(e["in_kb"]),
            "mentions": [_mention(m) for m in mentions.get(e["id"], [])],
        }
        for e in store.read("entities", "ORDER BY id")
    ]
    attributions = [
        {
            "id": a["id"], "doc": a["doc"],
            "source": {
                "text": a["source_text"] or "", "start": a["source_start"],
                "end": a["source_end"], "kind": a["source_kind"],
                "resolved": a["source_resolved"], "entity": a["source_entity"],
            },
            "cue": {"text": a["cue_text"] or "", "start": a["cue_start"], "end": a["cue_end"]},
            "content": {
                "text": a["content_text"] or "", "start": a["content_start"],
                "end": a["content_end"],
            },
            "hedged": bool(a["hedged"]), "parent": a["parent"],
        }
        for a in store.read("attributions", "ORDER BY doc, content_start, id")
    ]
    place_mentions = _by(store.read("place_mentions", "ORDER BY doc, start"), "place")
    places = [
        {
            "id": p["id"], "name": p["name"], "lat": p["lat"], "lon": p["lon"],
            "country": p["country"],
            "mentions": [_mention(m) for m in place_mentions.get(p["id"], [])],
        }
        for p in store.read("places", "ORDER BY id")
    ]
    reuse_pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for r in store.read("reuse", "ORDER BY a, b, a_start"):
        pair = reuse_pairs.setdefault(
            (r["a"], r["b"]),
            {
                "docs": [r["a"], r["b"]], "earlier": r["earlier"],
                "same_outlet": bool(r["same_outlet"]), "cluster": r["cluster"], "passages": [],
            },
        )
        pair["passages"].append(
            {
                "a": [r["a_start"], r["a_end"]], "b": [r["b_start"], r["b_end"]],
                "words": r["words"], "similarity": r["similarity"],
            }
        )
    claims = [
        {
            "id": c["id"], "doc": c["doc"], "text": c["text"], "start": c["start"],
            "end": c["end"], "attribution": c["attribution"], "hedged": bool(c["hedged"]),
            "unattributed": bool(c["unattributed"]), "cluster": c["cluster"],
        }
        for c in store.read("claims", "ORDER BY doc, start")
    ]
    clusters = [
        {
            "id": k["id"], "label": k["label"] or "", "claims": list(k["claims"] or []),
            "documents": list(k["documents"] or []), "outlets": list(k["outlets"] or []),
            "origins": json.loads(k["origins"] or "[]"),
            "independent_origins": k["independent_origins"] or 0,
            "amplification": k["amplification"], "first_appearance": k["first_appearance"],
            "flags": list(k["flags"] or []),
        }
        for k in store.read(
            "claim_clusters", "ORDER BY amplification DESC NULLS LAST, len(documents) DESC, id"
        )
    ]
    return {
        "schema": SCHEMA_ID,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "pipeline": pipeline or {},
        "documents": [
            {
                k: d[k]
                for k in (
                    "id", "title", "outlet", "url", "published", "language", "n_words", "text",
                    "duplicate_of",
                )
            }
            for d in docs
        ],
        "entities": entities,
        "attributions": attributions,
        "places": places,
        "dates": [
            {k: d[k] for k in ("doc", "start", "end", "text", "value")}
            | {"resolved": bool(d["resolved"])}
            for d in store.read("dates", "ORDER BY doc, start")
        ],
        "quantities": [
            {k: q[k] for k in ("doc", "start", "end", "text", "value", "unit")}
            for q in store.read("quantities", "ORDER BY doc, start")
        ],
        "reuse": list(reuse_pairs.values()),
        "claims": claims,
        "claim_clusters": clusters,
        "language": [
            {k: s[k] for k in ("doc", "start", "end", "technique", "text", "score")}
            for s in store.read("language", "ORDER BY doc, start")
        ],
        "errors": store.read("errors", "ORDER BY path, line"),
    }


def write_json(store: AnalysisStore, out_dir: Path, pipeline: dict[str, Any] | None = None) -> Path:
    path = Path(out_dir) / "analysis.json"
    data = build_analysis(store, pipeline)
    tmp = path.with_suffix(".json.tmp")
    # Compact: with ``indent`` the json module falls back to its pure-Python encoder, which
    # took longer than every corpus step together on a few hundred articles.
    tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)  # never leave a half-written export behind
    return path


def write_parquet(store: AnalysisStore, out_dir: Path) -> Path:
    """Every table as ``DIR/parquet/<table>.parquet`` (DuckDB's own writer, no round trip)."""
    target = Path(out_dir) / "parquet"
    target.mkdir(parents=True, exist_ok=True)
    for table in ["documents", "errors", *ALL_TABLES]:
        dest = target / f"{table}.parquet"
        store.con.execute(f"COPY \"{table}\" TO '{dest.as_posix()}' (FORMAT PARQUET)")
    return target
