"""The ``entities`` corpus step: mentions and attribution sources linked to canonical
entities across the corpus (:class:`~sourcetrace.extract.entities.link.EntityLinker`).

Two stages. Per document, where its text is, each mention's context is cut and looked up
in the knowledge base (:meth:`~sourcetrace.extract.entities.link.EntityLinker.first_target`,
a function of the mention, its context and its document alone), and the acronyms,
descriptions and roles the document defines become its alias rows (``document_aliases``).
Then, over mention, attribution and alias rows and those targets (never a document text),
the corpus-wide part: acronyms defined in other documents, lone surnames across documents,
descriptions, cluster merges, ids, attribution sources
(:meth:`~sourcetrace.extract.entities.link.EntityLinker.link_targets`).
"""

from __future__ import annotations

from sourcetrace.config import Settings
from sourcetrace.corpus import CorpusStep, OnDriver, PerGroup, Rows, Sql, Write
from sourcetrace.extract.entities.kb import KnowledgeBase
from sourcetrace.extract.entities.link import (
    ALIAS_COLUMNS,
    ALIAS_ORDER,
    EntityLinker,
    document_context,
)
from sourcetrace.registry import corpus_steps
from sourcetrace.tables import CORPUS, PER_DOCUMENT

# A mention is known by these columns: its first target is a function of them and of its
# document's text, so two equal rows always get the same target.
MENTION_KEY = ("doc", "start", "end", "label", "text")
MENTION_ORDER = (*MENTION_KEY, "sentence")
ATTRIBUTION_ORDER = ("doc", "source_start", "id")
TARGET_COLUMNS = {
    "doc": "VARCHAR", "start": "INTEGER", "end": "INTEGER", "label": "VARCHAR",
    "text": "VARCHAR",
    # the first target: kind "kb" | "key" | "surname" (a lone name) | NULL, and its value
    "target_kind": "VARCHAR", "target": "VARCHAR",
}

# The linker of this process, built once for the knowledge base it was given (building it
# indexes the initials of every entry: too slow to redo per document).
_process_linker: tuple[KnowledgeBase, EntityLinker] | None = None


def _linker_for(kb: KnowledgeBase) -> EntityLinker:
    global _process_linker
    if _process_linker is None or _process_linker[0] is not kb:
        _process_linker = (kb, EntityLinker(kb))
    return _process_linker[1]


def mention_targets(group: Rows, kb: KnowledgeBase) -> Rows:
    """One document's mentions and text -> each mention's first target, and the acronyms,
    descriptions and roles the document defines (its alias rows)."""
    mentions = group["mentions"]
    text = group["documents"][0]["body"] if group["documents"] else None
    linker = _linker_for(kb)
    ctx = document_context(text, mentions, kb)
    rows = []
    for m, around in zip(mentions, ctx.around, strict=True):
        target = linker.first_target(m, around, ctx.acronyms, ctx.places, ctx.countries)
        rows.append({**{k: m[k] for k in MENTION_KEY},
                     "target_kind": target[0] if target else None,
                     "target": target[1] if target else None})
    doc = mentions[0]["doc"] if mentions else None
    return {"mention_targets": rows, "document_aliases": ctx.alias_rows(doc) if doc else []}


def link_corpus(tables: Rows, kb: KnowledgeBase) -> Rows:
    """Mention rows with their targets (joined in SQL: ``_MENTIONS_WITH_TARGETS``) and the
    columns of the attribution rows that linking reads (``LINKER_COLUMNS``) -> linked
    mention rows, each attribution's linked columns (joined back to its row in SQL:
    ``_LINKED_ATTRIBUTIONS``) and the entities."""
    mentions, attributions = tables["mentions"], tables["attributions"]
    first = []
    for m in mentions:
        # Every mention row has its target: a missing one would be a bug, so it fails loudly.
        if not m.pop("_targeted"):
            raise KeyError(f"mention without a target: {tuple(m[k] for k in MENTION_KEY)}")
        kind, target = m.pop("target_kind"), m.pop("target")
        first.append((kind, target) if kind is not None else None)
    result = EntityLinker(kb).link_targets(mentions, first, attributions, tables["aliases"])
    for m, eid in zip(mentions, result.mention_entities, strict=True):
        m["entity"] = eid
    links = []
    for a, eid, near, resolved in zip(
        attributions, result.source_entities, result.near_entities, result.source_resolutions,
        strict=True,
    ):
        # a role ("the Russian envoy") the document's text settles changes kind and name
        kind, name = resolved if resolved is not None else (
            a["source_kind"], a["source_resolved"])
        links.append({"doc": a["doc"], "id": a["id"], "source_entity": eid,
                      "near_entity": near, "source_kind": kind, "source_resolved": name})
    entities = [{**e, "position": n} for n, e in enumerate(result.entities)]
    return {"linked_mentions": mentions, "attribution_links": links,
            "found_entities": entities}


def _knowledge_base(settings: Settings, shared: Rows) -> KnowledgeBase:
    return KnowledgeBase.load(settings.kb_files)


def _order(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


# Each mention row with its first target. Joined here rather than looked up on the driver:
# the driver holds every mention of the corpus, and a second row object per mention for its
# target (with a dict over all of them) was a third of what the step's memory grew by with
# the corpus. Equal mentions have equal targets (a function of the key and the document's
# text), so the distinct target rows match each mention once.
_MENTIONS_WITH_TARGETS = (
    "SELECT m.*, t.target_kind, t.target, t.doc IS NOT NULL AS _targeted FROM mentions m "
    "LEFT JOIN (SELECT DISTINCT * FROM mention_targets) AS t ON "
    + " AND ".join(f't."{k}" IS NOT DISTINCT FROM m."{k}"' for k in MENTION_KEY)
)


# What linking reads of an attribution (the rest of the row, its content above all, stays
# in the store: the driver holds every attribution of the corpus at once).
LINKER_COLUMNS = ("id", "doc", "source_text", "source_start", "source_end", "source_kind",
                  "source_resolved")
LINK_COLUMNS = {"doc": "VARCHAR", "id": "VARCHAR", "source_entity": "VARCHAR",
                "near_entity": "VARCHAR", "source_kind": "VARCHAR", "source_resolved": "VARCHAR"}
_LINKED_ATTRIBUTIONS = "SELECT " + ", ".join(
    f'l."{c}"' if c in LINK_COLUMNS and c not in ("doc", "id") else f'a."{c}"'
    for c in PER_DOCUMENT["attributions"]
) + ' FROM attributions a JOIN attribution_links l ON l."doc" = a."doc" AND l."id" = a."id"'


entities_step = corpus_steps.register("entities", order=10)(
    CorpusStep(
        name="entities",
        reads=("mentions", "attributions", "documents"),
        stages=(
            PerGroup(
                {
                    "mentions": f"SELECT {_order(MENTION_KEY)} FROM mentions",
                    # only documents with mentions travel to the linker
                    "documents": "SELECT id AS doc, text AS body FROM documents "
                                 "WHERE id IN (SELECT doc FROM mentions)",
                },
                key=("doc",), fn=mention_targets,
                outputs={"mention_targets": TARGET_COLUMNS, "document_aliases": ALIAS_COLUMNS},
                order={"mentions": MENTION_KEY}, memo=True,
            ),
            OnDriver(
                {
                    "mentions": _MENTIONS_WITH_TARGETS,
                    "attributions": f"SELECT {_order(LINKER_COLUMNS)} FROM attributions",
                    "aliases": "SELECT * FROM document_aliases",
                },
                fn=link_corpus,
                outputs={
                    "linked_mentions": PER_DOCUMENT["mentions"],
                    "attribution_links": LINK_COLUMNS,
                    "found_entities": {**CORPUS["entities"], "position": "INTEGER"},
                },
                order={"mentions": MENTION_ORDER, "attributions": ATTRIBUTION_ORDER,
                       "aliases": ALIAS_ORDER},
            ),
            Sql("linked_attributions", _LINKED_ATTRIBUTIONS, dict(PER_DOCUMENT["attributions"])),
        ),
        writes={
            "mentions": Write("linked_mentions", _order(MENTION_ORDER)),
            "attributions": Write("linked_attributions", _order(ATTRIBUTION_ORDER)),
            "entities": Write("found_entities", "position"),
        },
        setup=_knowledge_base,
    )
)
