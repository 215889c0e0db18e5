"""Registries through which the steps of the analysis plug in (no if-chains elsewhere).

``row_exporters``: per-document extractors. Each is a function ``(doc: spacy.tokens.Doc,
document: Document) -> dict[table_name, list[row_dict]]`` registered under a name; the rows
go to the per-document tables of :mod:`sourcetrace.tables`. An extractor normally also
registers a spaCy pipeline component (``@Language.factory``) that does the work and leaves
its results on ``doc._``; the exporter only turns them into rows.

``corpus_steps``: corpus-level steps (entity linking, places, reuse, claims, provenance).
Each is a :class:`sourcetrace.corpus.CorpusStep`: a declaration of stages that every engine
runs the same way (no engine chooses a step by name). They run in the order given by
``order``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Registry:
    name: str
    items: dict[str, Any] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)

    def register(self, key: str, order: int = 100) -> Callable[[Any], Any]:
        def decorator(func: Any) -> Any:
            self.items[key] = func
            self.order[key] = order
            return func

        return decorator

    def get(self, key: str) -> Any:
        try:
            return self.items[key]
        except KeyError:
            known = ", ".join(sorted(self.items)) or "none"
            raise KeyError(f"no {self.name} named {key!r} (known: {known})") from None

    def ordered(self) -> list[tuple[str, Any]]:
        return sorted(self.items.items(), key=lambda kv: (self.order[kv[0]], kv[0]))


row_exporters = Registry("row exporter")
corpus_steps = Registry("corpus step")
