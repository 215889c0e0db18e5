"""Store rows -> the JSON objects of ``analysis.json`` (``schema/analysis.schema.json``).

The export, the report (which embeds the export), the web API and the CLI views all hand out
these objects; the web app's JavaScript reads the same keys whether its data is embedded or
fetched. Writing each shape once here is what keeps them from drifting apart.

The ``*_FIELDS`` tuples are the columns of a shape that is a plain projection of its table;
:func:`columns` turns one into a SELECT list so SQL fetching that shape names them once too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

Row = Mapping[str, Any]

DOCUMENT_FIELDS = (
    "id", "title", "outlet", "outlet_inferred", "url", "published", "language", "n_words", "text",
    "duplicate_of",
)
# A document in a list: everything but its text (fetch one document for that).
DOCUMENT_LIST_FIELDS = tuple(f for f in DOCUMENT_FIELDS if f != "text")
CLAIM_FIELDS = (
    "id", "doc", "text", "start", "end", "attribution", "hedged", "unattributed", "cluster",
)
LANGUAGE_FIELDS = ("doc", "start", "end", "technique", "text", "score")
DATE_FIELDS = ("doc", "start", "end", "text", "value")
QUANTITY_FIELDS = ("doc", "start", "end", "text", "value", "unit")


def columns(fields: Iterable[str]) -> str:
    """A SELECT list for ``fields`` (quoted: ``end`` is an SQL keyword)."""
    return ", ".join(f'"{f}"' for f in fields)


def project(row: Row, fields: Iterable[str]) -> dict[str, Any]:
    return {f: row[f] for f in fields}


# -- per-table shapes --------------------------------------------------------------------------
def document(row: Row) -> dict[str, Any]:
    return project(row, DOCUMENT_FIELDS)


def mention(row: Row) -> dict[str, Any]:
    """An entity or place mention: where in which article."""
    return {"doc": row["doc"], "start": row["start"], "end": row["end"], "text": row["text"]}


def entity(row: Row, mentions: Iterable[Row] = ()) -> dict[str, Any]:
    return {
        "id": row["id"], "name": row["name"], "type": row["type"], "country": row["country"],
        "aliases": list(row["aliases"] or []), "controlled_by": row["controlled_by"],
        "in_kb": bool(row["in_kb"]),
        "mentions": [mention(m) for m in mentions],
    }


def content_spans(row: Row) -> list[dict[str, Any]]:
    """The fragments of an attribution's content, each with its text (a slice of the
    content's text, which covers them all)."""
    text, start = row["content_text"] or "", row["content_start"]
    raw = row.get("content_spans")
    if start is None:
        return []
    pairs = json.loads(raw) if raw else [[start, row["content_end"]]]
    return [{"text": text[a - start : b - start], "start": a, "end": b} for a, b in pairs]


def attribution(row: Row) -> dict[str, Any]:
    """A flat ``attributions`` row as nested source / cue / content spans."""
    return {
        "id": row["id"], "doc": row["doc"],
        "source": {
            "text": row["source_text"] or "", "start": row["source_start"],
            "end": row["source_end"], "kind": row["source_kind"],
            "resolved": row["source_resolved"], "entity": row["source_entity"],
            "near": row.get("near_entity"),
        },
        "cue": {"text": row["cue_text"] or "", "start": row["cue_start"], "end": row["cue_end"]},
        "content": {
            "text": row["content_text"] or "", "start": row["content_start"],
            "end": row["content_end"], "spans": content_spans(row),
        },
        "hedged": bool(row["hedged"]), "parent": row["parent"],
    }


def place(row: Row, mentions: Iterable[Row] = ()) -> dict[str, Any]:
    return {
        "id": row["id"], "name": row["name"], "lat": row["lat"], "lon": row["lon"],
        "country": row["country"],
        "mentions": [mention(m) | {"role": m.get("role") or "literal"} for m in mentions],
    }


def date(row: Row) -> dict[str, Any]:
    return project(row, DATE_FIELDS) | {"resolved": bool(row["resolved"])}


def quantity(row: Row) -> dict[str, Any]:
    return project(row, QUANTITY_FIELDS)


def language_span(row: Row) -> dict[str, Any]:
    return project(row, LANGUAGE_FIELDS)


def reuse_pair(row: Row, passages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A pair of articles sharing passages; ``row`` is a ``reuse`` row of the pair (or the
    pair's aggregate with the same column names)."""
    return {
        "docs": [row["a"], row["b"]], "earlier": row["earlier"],
        "same_outlet": bool(row["same_outlet"]), "cluster": row["cluster"],
        "passages": [] if passages is None else passages,
    }


def reuse_passage(row: Row) -> dict[str, Any]:
    """One shared passage of a ``reuse`` row. The web app builds the same object in SQL
    (``queries.REUSE_PASSAGE_SQL``), so that it can page over pairs without Python."""
    return {
        "a": [row["a_start"], row["a_end"]], "b": [row["b_start"], row["b_end"]],
        "words": row["words"], "similarity": row["similarity"],
    }


def claim(row: Row) -> dict[str, Any]:
    return project(row, CLAIM_FIELDS) | {
        "hedged": bool(row["hedged"]), "unattributed": bool(row["unattributed"]),
    }


def origins(text: str | None) -> list[Any]:
    """A cluster's ``origins`` column (JSON text) as a list; anything unreadable is no origins,
    so one damaged row cannot take down a page that lists many clusters."""
    try:
        value = json.loads(text or "[]")
    except json.JSONDecodeError:
        return []
    return value if isinstance(value, list) else []


def cluster(row: Row) -> dict[str, Any]:
    found = origins(row.get("origins"))
    return {
        "id": row["id"], "label": row["label"] or "", "claims": list(row["claims"] or []),
        "documents": list(row["documents"] or []), "outlets": list(row["outlets"] or []),
        "origins": found, "origin_groups": origin_groups(found),
        "independent_origins": row["independent_origins"] or 0,
        "amplification": row["amplification"], "first_appearance": row["first_appearance"],
        "flags": list(row["flags"] or []),
        # A store written before narratives has no such column: no narrative, not an error.
        "narrative": row.get("narrative"), "relays": row.get("relays"),
    }


# Narrative ids are ``nr:<n>``, numbered by most documents first: their natural order.
NARRATIVE_ORDER = "ORDER BY TRY_CAST(substr(id, 4) AS INTEGER) NULLS LAST, id"


# -- the headline ------------------------------------------------------------------------------
# "Single origin": a claim relayed by several outlets that rests on at most one independent
# origin. The report tests it on clusters in memory, the web app in SQL over the store; both
# forms are written from these two numbers, here, and tests/test_report.py checks that they
# agree on the same clusters (missing lists and counts included).
SINGLE_ORIGIN_MIN_OUTLETS = 2
SINGLE_ORIGIN_MAX_ORIGINS = 1


def relays(cluster: Mapping[str, Any]) -> int:
    """How many outlets relay a cluster: its ``relays`` (each article whose outlet is unknown
    counted as one of its own, so that a corpus without outlet metadata still shows what
    several articles repeat), else the outlets named (an older store)."""
    value = cluster.get("relays")
    return int(value) if value is not None else len(cluster.get("outlets") or [])


def single_origin(cluster: Mapping[str, Any]) -> bool:
    """Whether a cluster (a ``claim_clusters`` row or its JSON object) is single-origin."""
    return (
        relays(cluster) >= SINGLE_ORIGIN_MIN_OUTLETS
        and (cluster.get("independent_origins") or 0) <= SINGLE_ORIGIN_MAX_ORIGINS
    )


def single_origin_sql() -> str:
    """:func:`single_origin` as an SQL condition on ``claim_clusters`` columns. A NULL
    ``outlets`` makes ``len`` NULL and the condition false, as ``[]`` does in Python."""
    return (
        f"coalesce(relays, len(outlets)) >= {SINGLE_ORIGIN_MIN_OUTLETS} "
        f"AND coalesce(independent_origins, 0) <= {SINGLE_ORIGIN_MAX_ORIGINS}"
    )


UNNAMED = "unnamed source"


def origin_name(o: Any) -> str:
    """An origin's display name (never "?": an unnamed source is said to be one)."""
    if isinstance(o, dict):
        return str(o.get("name") or o.get("id") or UNNAMED)
    return str(o)


def origin_names(items: Iterable[Any]) -> list[str]:
    """Distinct display names of a cluster's origins, in order."""
    names: list[str] = []
    for o in items:
        name = origin_name(o)
        if name not in names:
            names.append(name)
    return names


def independent_names(items: Iterable[Any]) -> list[str]:
    """One name per independence group, in order: what "N independent origins" counts.
    Origins not counted (anonymous, vague, an outlet's own say-so) have no group. A store
    written before groups had names numbered them: such a group goes by its first origin."""
    names: list[str] = []
    seen: set[Any] = set()
    for o in items:
        if not isinstance(o, dict) or o.get("group") is None or o["group"] in seen:
            continue
        seen.add(o["group"])
        name = o["group"] if isinstance(o["group"], str) else origin_name(o)
        if name not in names:
            names.append(name)
    return names


# -- why N independent origins -----------------------------------------------------------------
# One plain sentence per independence group, from the reasons provenance gave each origin
# (provenance/independence.py): the CLI, the report and the web app all print these.
_NOT_COUNTED = {"anonymous": "anonymous", "vague": "vague", "outlet": "the outlet's own assertion"}


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _group_sentence(members: list[dict[str, Any]]) -> str:
    names = {o.get("id"): origin_name(o) for o in members}
    if len(members) == 1:
        return f"{origin_name(members[0])} is tied to no other source here → 1 origin."
    if not any("relation" in o for o in members):  # written before origins had reasons
        return f"{_and(list(dict.fromkeys(names.values())))} are counted as one → 1 origin."
    answer: dict[str, list[str]] = {}  # "both answer to C" and "answer to X"
    above: dict[str, list[str]] = {}
    clauses: list[str] = []
    for o in members:
        name, related = origin_name(o), o.get("related") or ""
        parent = names.get(o.get("linked_to"), related)
        relation = o.get("relation")
        if relation == "same_controller":
            answer.setdefault(related, [])
            answer[related] += [n for n in (parent, name) if n not in answer[related]]
        elif relation == "controlled_by":
            above.setdefault(related, []).append(name)
        elif relation == "controls":
            clauses.append(f"{name} controls {related}")
        elif relation == "same_entity":
            clauses.append(f"{name} and {related} are the same entity")
        elif relation == "copied":
            clauses.append(f"the passage citing {name} was copied from {related}, "
                           f"which cites {parent}")
        elif relation == "copied_into":
            clauses.append(f"the passage citing {name} was copied into {related}, "
                           f"which cites {parent}")
        elif relation == "shares_text":
            clauses.append(f"the passages citing {name} and {parent} share copied text "
                           f"({related})")
        elif relation not in ("independent", None):
            clauses.append(f"{name} is grouped with {parent or 'the others'}")
    for boss, who in above.items():
        clauses.insert(0, f"{_and(who)} answer{'s' * (len(who) == 1)} to {boss}")
    for boss, who in answer.items():
        both = "both" if len(who) == 2 else "all"
        clauses.insert(0, f"{_and(who)} {both} answer to {boss}")
    text = "; ".join(clauses) or f"{_and(list(names.values()))} are one group"
    return f"{text[0].upper()}{text[1:]} → 1 origin."


def origin_groups(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Why a cluster has the independent origins it has: for each independence group its
    name, its origins' names and one plain sentence ("NorPress and the Ministry both answer
    to the Government of Norvania → 1 origin"), then the origins not counted, if any, in one
    sentence of their own (``group`` None)."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    left_out: list[dict[str, Any]] = []
    for o in items:
        if not isinstance(o, dict):
            continue
        if o.get("group") is None:
            left_out.append(o)
        else:
            groups.setdefault(o["group"], []).append(o)
    found = [
        {"group": key if isinstance(key, str) else origin_name(members[0]),
         "origins": origin_names(members), "counted": True,
         "sentence": _group_sentence(members)}
        for key, members in groups.items()
    ]
    if left_out:
        # by why they are not counted, each name once ("the bureau" and "The bureau" are
        # two anonymous origins, one name to a reader)
        by_why: dict[str, dict[str, int]] = {w: {} for w in _NOT_COUNTED.values()}
        for o in left_out:
            why = _NOT_COUNTED.get(o.get("kind") or "", o.get("reason") or "not counted")
            names = by_why.setdefault(why, {})
            key = next((n for n in names if n.lower() == origin_name(o).lower()), origin_name(o))
            names[key] = names.get(key, 0) + 1
        parts = [
            f"{why}: {_and([f'{n} ×{k}' if k > 1 else n for n, k in names.items()])}"
            for why, names in by_why.items() if names
        ]
        found.append({
            "group": None, "origins": origin_names(left_out), "counted": False,
            "sentence": f"Not counted as corroboration — {'; '.join(parts)}.",
        })
    return found


def origin_kind(origin: Mapping[str, Any]) -> str:
    """An origin's kind as a reader needs it: "anonymous, near Donald Trump" for an unnamed
    source whose words name someone it is close to, else the kind alone."""
    kind = origin.get("kind") or ""
    near = origin.get("near_name") or origin.get("near_entity")
    return f"{kind}, near {near}" if near else kind


def worst_example(cluster: Mapping[str, Any]) -> dict[str, Any]:
    """A single-origin claim as the headline names it (``cluster`` in the shape above)."""
    return {
        "id": cluster["id"], "label": cluster.get("label") or "",
        "outlets": relays(cluster),
        "independent_origins": cluster.get("independent_origins") or 0,
        # one name per independent origin, not every source on the way to it
        "origins": independent_names(cluster.get("origins") or []),
        "flags": list(cluster.get("flags") or []),
    }


# -- narratives --------------------------------------------------------------------------------
# A narrative groups claim clusters (propositions) that tell the same story; its provenance is
# rolled up over all of its claims. Independence is still judged per proposition: a narrative's
# figures are shown beside the clusters', never instead of them.
def narrative(row: Row) -> dict[str, Any]:
    """A ``narratives`` row as its JSON object (the same keys as :func:`cluster`, plus the
    narrative's ``claim_clusters``)."""
    found = origins(row.get("origins"))
    return {
        "id": row["id"], "label": row["label"] or "",
        "claim_clusters": list(row["claim_clusters"] or []),
        "claims": list(row["claims"] or []), "documents": list(row["documents"] or []),
        "outlets": list(row["outlets"] or []), "origins": found,
        "origin_groups": origin_groups(found),
        "independent_origins": row["independent_origins"] or 0,
        "amplification": row["amplification"], "first_appearance": row["first_appearance"],
        "flags": list(row["flags"] or []), "relays": row.get("relays"),
    }


def appearance(claim_row: Row, doc: Mapping[str, Any] | None) -> dict[str, Any]:
    """Where one claim of a cluster appears: the claim's span and text with its article's
    outlet, title and date (``doc`` is a ``documents`` row or object, None if unknown)."""
    doc = doc or {}
    return {
        "claim": claim_row["id"], "doc": claim_row["doc"], "outlet": doc.get("outlet"),
        "title": doc.get("title"), "published": doc.get("published"),
        "start": claim_row["start"], "end": claim_row["end"], "text": claim_row["text"] or "",
        "hedged": bool(claim_row.get("hedged")),
        "unattributed": bool(claim_row.get("unattributed")),
    }
