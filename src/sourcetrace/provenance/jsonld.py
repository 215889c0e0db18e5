"""schema.org ``Claim`` JSON-LD for each claim cluster, as fact-checking tools read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sourcetrace.outputs import shapes
from sourcetrace.outputs.store import AnalysisStore


def _appearance(doc: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"@type": "CreativeWork", "headline": doc.get("title") or doc["id"]}
    if doc.get("url"):
        item["url"] = doc["url"]
    if doc.get("published"):
        item["datePublished"] = doc["published"]
    if doc.get("outlet"):
        item["publisher"] = {"@type": "Organization", "name": doc["outlet"]}
    return item


def _author(origin: dict[str, Any]) -> dict[str, Any]:
    kind = "Person" if origin.get("kind") == "person" else "Organization"
    return {"@type": kind, "name": origin.get("name") or origin.get("id")}


def build_jsonld(store: AnalysisStore) -> list[dict[str, Any]]:
    docs = {d["id"]: d for d in store.read("documents")}
    items = []
    for c in store.read("claim_clusters", "ORDER BY amplification DESC NULLS LAST, id"):
        members = [docs[d] for d in c["documents"] or [] if d in docs]
        if not members:
            continue
        members.sort(key=lambda d: (d.get("published") or "9999", d["id"]))
        origins = shapes.origins(c["origins"])
        items.append({
            "@context": "https://schema.org",
            "@type": "Claim",
            "@id": f"#claim-{c['id']}",
            "text": c["label"],
            "appearance": [_appearance(d) for d in members],
            "firstAppearance": _appearance(members[0]),
            "author": [_author(o) for o in origins],
        })
    return items


def write_jsonld(store: AnalysisStore, out_dir: Path) -> Path:
    path = Path(out_dir) / "claims.jsonld"
    text = json.dumps(build_jsonld(store), ensure_ascii=False, separators=(",", ":"))
    path.write_text(text, encoding="utf-8")  # compact: see outputs.export.write_json
    return path
