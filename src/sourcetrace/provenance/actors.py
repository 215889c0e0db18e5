"""Who controls whom, read from the ``entities`` table (knowledge base + corpus clusters)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sourcetrace.outputs.store import AnalysisStore


def _key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"^the\s+", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


@dataclass
class Actors:
    """Entities by id, their controllers, and a lookup from names to ids."""

    names: dict[str, str] = field(default_factory=dict)  # id -> canonical name
    types: dict[str, str | None] = field(default_factory=dict)
    parent: dict[str, str | None] = field(default_factory=dict)  # id -> controlled_by
    by_name: dict[str, str] = field(default_factory=dict)  # normalised alias -> id

    @classmethod
    def from_store(cls, store: AnalysisStore) -> Actors:
        return cls.from_rows(store.read("entities"))

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]]) -> Actors:
        """Actors of ``entities`` rows, in any order: they are taken by id (then name), so
        that the first entity to claim an alias is the same whatever order the rows come in
        (DuckDB's insertion order on one engine, Parquet part files on Spark)."""
        actors = cls()
        for e in sorted(rows, key=lambda e: (e["id"], e.get("name") or "")):
            actors.names[e["id"]] = e["name"]
            actors.types[e["id"]] = e["type"]
            actors.parent[e["id"]] = e["controlled_by"]
            for alias in [e["name"], *(e["aliases"] or [])]:
                if alias:
                    actors.by_name.setdefault(_key(alias), e["id"])
        return actors

    @classmethod
    def of_group(cls, entities: Iterable[dict[str, Any]],
                 lookups: Iterable[dict[str, Any]]) -> Actors:
        """The actors one claim cluster reads (:func:`actor_facts`): the entities it names
        with every controller above them, and the answers of :meth:`lookup` to the names it
        looks up, as the corpus-wide actors would give them."""
        actors = cls()
        for e in sorted(entities, key=lambda e: (e["id"], e.get("name") or "")):
            actors.names[e["id"]] = e["name"]
            actors.parent[e["id"]] = e["controlled_by"]
        for row in lookups:
            actors.by_name[_key(row["name"])] = row["entity"]
        return actors

    def controllers(self, entity: str | None) -> list[str]:
        """The chain above an entity, nearest first (SVR -> gov-russia -> russia)."""
        chain: list[str] = []
        current = self.parent.get(entity) if entity else None
        while current and current not in chain and current != entity:
            chain.append(current)
            current = self.parent.get(current)
        return chain

    def root(self, entity: str | None) -> str | None:
        """The top of an entity's control chain (the entity itself when nobody controls it)."""
        if not entity:
            return None
        chain = self.controllers(entity)
        return chain[-1] if chain else entity

    def lookup(self, name: str | None) -> str | None:
        return self.by_name.get(_key(name)) if name else None

    def name(self, entity: str | None) -> str | None:
        return self.names.get(entity) if entity else None


def actor_facts(tables: dict[str, list[dict[str, Any]]], context: Any = None
                ) -> dict[str, list[dict[str, Any]]]:
    """Over the whole ``entities`` table and the names the corpus may look up: each entity's
    control chain as (entity, member) rows, itself included (``actor_chains``), and the
    entity each name stands for (``actor_names``). A claim cluster's provenance reads the
    rows of its own entities and names, not the whole table, so that a new entity elsewhere
    in the corpus leaves it as it was (and the memo can keep it)."""
    actors = Actors.from_rows(tables["entities"])
    chains = [{"entity": e, "member": m}
              for e in actors.names for m in (e, *actors.controllers(e))]
    names = [{"name": row["name"], "entity": entity} for row in tables["names"]
             if (entity := actors.lookup(row["name"])) is not None]
    return {"actor_chains": chains, "actor_names": names}
