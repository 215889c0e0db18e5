"""schema.org ``Claim`` JSON-LD for each claim cluster, as fact-checking tools read it.

Each claim ``isPartOf`` its narrative, a ``CreativeWork`` (``#narrative-nr:<n>``) named after
the narrative's label: schema.org has no type for a story told by several claims.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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


def _narratives(store: AnalysisStore) -> dict[str, dict[str, Any]]:
    """The ``narratives`` rows by id; none in a store written before narratives existed."""
    if not store.has_table("narratives"):
        return {}
    return {n["id"]: n for n in store.read("narratives")}


def _narrative(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "@type": "CreativeWork", "@id": f"#narrative-{row['id']}",
        "identifier": row["id"], "name": row["label"] or row["id"],
    }


# Clusters read from the store this many at a time: the file is written as it is built, so a
# 37,554-article corpus never holds every cluster (or any article's text) in memory.
BATCH = 2_000


def _rows(store: AnalysisStore, sql: str) -> Iterator[dict[str, Any]]:
    cur = store.con.execute(sql)
    names = [d[0] for d in cur.description]
    while rows := cur.fetchmany(BATCH):
        yield from (dict(zip(names, row, strict=True)) for row in rows)


def _clusters(store: AnalysisStore) -> Iterator[dict[str, Any]]:
    # a store written before narratives existed has no `narrative` column
    narrative = "narrative" if "narrative" in store.columns("claim_clusters") else "NULL"
    return _rows(store, f"SELECT id, label, documents, origins, {narrative} AS narrative "
                        "FROM claim_clusters ORDER BY amplification DESC NULLS LAST, id")


def iter_jsonld(store: AnalysisStore) -> Iterator[dict[str, Any]]:
    """One schema.org ``Claim`` per claim cluster with an appearance, most amplified first."""
    # the articles' metadata only: their text is not needed here
    docs = {d["id"]: d for d in _rows(
        store, "SELECT id, title, url, published, outlet FROM documents")}
    narratives = _narratives(store)
    for c in _clusters(store):
        members = [docs[d] for d in c["documents"] or [] if d in docs]
        if not members:
            continue
        members.sort(key=lambda d: (d.get("published") or "9999", d["id"]))
        origins = shapes.origins(c["origins"])
        item = {
            "@context": "https://schema.org",
            "@type": "Claim",
            "@id": f"#claim-{c['id']}",
            "text": c["label"],
            "appearance": [_appearance(d) for d in members],
            "firstAppearance": _appearance(members[0]),
            "author": [_author(o) for o in origins],
        }
        narrative = narratives.get(c.get("narrative") or "")
        if narrative:
            item["isPartOf"] = _narrative(narrative)
        yield item


def build_jsonld(store: AnalysisStore) -> list[dict[str, Any]]:
    return list(iter_jsonld(store))


def write_jsonld(store: AnalysisStore, out_dir: Path, path: Path | None = None) -> Path:
    """``out_dir/claims.jsonld``, or ``path`` when given: one JSON array, written item by
    item (compact: see outputs.export.write_json)."""
    path = Path(path) if path is not None else Path(out_dir) / "claims.jsonld"
    with path.open("w", encoding="utf-8") as f:
        f.write("[")
        for i, item in enumerate(iter_jsonld(store)):
            if i:
                f.write(",")
            f.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        f.write("]")
    return path
