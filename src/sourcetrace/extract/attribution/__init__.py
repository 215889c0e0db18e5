"""Attribution extraction: who says what, with cue, content, hedging and nesting.

The ``sourcetrace_attribution`` spaCy component sets ``doc._.attributions`` (a list of
:class:`Attribution`, cues in text order) and ``doc._.hedges`` (hedging words as spans); the
``attribution`` row exporter turns them into rows of the ``attributions`` table.

Row conventions (see :class:`Attribution`): an implicit source (agentless passive "X has been
accused of ...", "it is claimed that ...", "reportedly") has ``source_text == ""`` and an
empty span at the cue, with kind ``vague``. A content split around its cue has
``content_start``/``content_end`` covering all fragments, ``content_text`` the document's text
between them (always ``text[content_start:content_end]``) and ``content_spans`` the fragments
as a JSON list of ``[start, end]`` pairs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from sourcetrace.config import attribution_mode
from sourcetrace.extract.attribution.model import KINDS, Attribution
from sourcetrace.extract.attribution.rules import extract
from sourcetrace.model import Document
from sourcetrace.registry import row_exporters

__all__ = ["KINDS", "Attribution", "AttributionComponent", "attribution_rows", "extract",
           "extractor"]

for _name in ("attributions", "hedges"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)
if not Doc.has_extension("st_document"):
    Doc.set_extension("st_document", default=None)


def extractor(mode: str | None = None) -> Callable[..., tuple[list[Attribution], list[Any]]]:
    """The extract function of an attribution mode ("learned" or "rules"; default: the
    process's setting, :func:`sourcetrace.config.attribution_mode`)."""
    mode = mode or attribution_mode()
    if mode == "rules":
        return extract
    from sourcetrace.extract.attribution.tagger import extract as learned

    return learned


class AttributionComponent:
    """Runs the attribution extractor (learned or rules, see ``sourcetrace.config``) on each
    parsed doc."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.extract = extractor()

    def __call__(self, doc: Doc) -> Doc:
        document = doc._.st_document
        outlet = getattr(document, "outlet", None) if document is not None else None
        doc._.attributions, doc._.hedges = self.extract(doc, outlet)
        return doc


@Language.factory("sourcetrace_attribution")
def make_attribution(nlp: Language, name: str) -> AttributionComponent:
    return AttributionComponent(nlp, name)


def _doc_id(doc: Doc, document: Document | None) -> str:
    if document is not None:
        return document.id
    st = doc._.st_document
    return st.id if st is not None else "doc"


@row_exporters.register("attribution", order=10)
def attribution_rows(doc: Doc, document: Document | None = None) -> dict[str, list[dict[str, Any]]]:
    """Rows of the ``attributions`` table for one analysed doc."""
    doc_id = _doc_id(doc, document)
    atts: list[Attribution] | None = doc._.attributions
    if atts is None:  # the component did not run (e.g. a pipeline built without it)
        atts, doc._.hedges = extractor()(doc, getattr(document, "outlet", None))
        doc._.attributions = atts
    ids = [f"{doc_id}:a{n}" for n in range(1, len(atts) + 1)]
    # Claim-worthiness of each content, when that component ran after this one.
    checks = doc._.content_checks if Doc.has_extension("content_checks") else None
    if not checks or len(checks) != len(atts):
        checks = [None] * len(atts)
    rows = []
    for att, att_id, check in zip(atts, ids, checks, strict=True):
        rows.append(
            {
                "id": att_id,
                "doc": doc_id,
                "source_text": att.source_text,
                "source_start": att.source_start,
                "source_end": att.source_end,
                "source_kind": att.source_kind,
                "source_resolved": att.source_resolved,
                "source_entity": None,
                "near_entity": None,
                "cue_text": att.cue_text,
                "cue_start": att.cue_start,
                "cue_end": att.cue_end,
                "content_text": att.content_text,
                "content_start": att.content_start,
                "content_end": att.content_end,
                "content_spans": json.dumps([[a, b] for a, b in att.content]),
                "hedged": att.hedged,
                "parent": ids[att.parent] if att.parent is not None else None,
                "sentence": att.sentence,
                "content_check": check,
            }
        )
    return {"attributions": rows}
