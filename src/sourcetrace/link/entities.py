"""The ``entities`` corpus step: mentions and attribution sources linked to canonical
entities across the corpus (:class:`~sourcetrace.extract.entities.link.EntityLinker`)."""

from __future__ import annotations

from typing import Any

from sourcetrace.config import Settings
from sourcetrace.extract.entities.kb import KnowledgeBase
from sourcetrace.extract.entities.link import ATTRIBUTION_ORDER, MENTION_ORDER, EntityLinker, LinkResult
from sourcetrace.registry import corpus_steps


@corpus_steps.register("entities", order=10)
def entities_step(store: Any, settings: Settings) -> None:
    """Fill ``entities``, ``mentions.entity`` and ``attributions.source_entity``."""
    kb = KnowledgeBase.load(settings.kb_files)
    texts = dict(store.con.execute("SELECT id, text FROM documents").fetchall())
    mentions = store.read("mentions", MENTION_ORDER)
    attributions = store.read("attributions", ATTRIBUTION_ORDER)
    result = EntityLinker(kb).link_texts(texts, mentions, attributions)
    store_links(store, mentions, attributions, result)


def store_links(
    store: Any,
    mentions: list[dict[str, Any]],
    attributions: list[dict[str, Any]],
    result: LinkResult,
) -> None:
    """Write a corpus's links: ``mentions.entity``, ``attributions.source_entity`` and the
    ``entities`` table (both engines)."""
    for m, eid in zip(mentions, result.mention_entities, strict=True):
        m["entity"] = eid
    for a, eid in zip(attributions, result.source_entities, strict=True):
        a["source_entity"] = eid
    # Rewritten whole: the per-document pass is over, and one transaction keeps each
    # table consistent if the step is interrupted.
    store.replace("mentions", mentions)
    store.replace("attributions", attributions)
    store.replace("entities", result.entities)
