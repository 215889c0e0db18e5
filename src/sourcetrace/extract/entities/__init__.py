"""Entities: the actor knowledge base, name normalisation and corpus-level linking.

The corpus step that links mentions across documents is :mod:`sourcetrace.link.entities`.
"""

from sourcetrace.extract.entities.kb import Entry, KnowledgeBase, KnowledgeBaseError
from sourcetrace.extract.entities.link import EntityLinker, link_surface
from sourcetrace.extract.entities.normalize import normalize_name, same_name

__all__ = [
    "Entry", "EntityLinker", "KnowledgeBase", "KnowledgeBaseError",
    "link_surface", "normalize_name", "same_name",
]
