"""The corpus-level steps, found through the ``corpus_steps`` registry."""

from __future__ import annotations

import importlib
import logging

from sourcetrace.registry import corpus_steps

log = logging.getLogger(__name__)

# Importing these modules registers their corpus steps (order is set at registration).
CORPUS_MODULES = [
    "sourcetrace.link.entities",
    "sourcetrace.link.places",
    "sourcetrace.link.reuse",
    "sourcetrace.link.claims",
    "sourcetrace.provenance.independence",
]


def load_corpus_steps() -> list[tuple[str, object]]:
    for name in CORPUS_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not (exc.name and name.startswith(exc.name)):
                raise  # a real missing dependency, not an absent step
            log.debug("corpus step module %s not available", name)
    return corpus_steps.ordered()
