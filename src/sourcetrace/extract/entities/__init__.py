"""Entities: the actor knowledge base, name normalisation and corpus-level linking.

Importing this package registers the ``entities`` corpus step.
"""

from sourcetrace.extract.entities.kb import Entry, KnowledgeBase, KnowledgeBaseError
from sourcetrace.extract.entities.link import EntityLinker, entities_step, link_surface
from sourcetrace.extract.entities.normalize import normalize_name, same_name

__all__ = [
    "Entry", "EntityLinker", "KnowledgeBase", "KnowledgeBaseError", "entities_step",
    "link_surface", "normalize_name", "same_name",
]
