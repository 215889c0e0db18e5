"""Build the spaCy pipeline once per process and turn analysed docs into table rows."""

from __future__ import annotations

import hashlib
import importlib
import logging
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from sourcetrace import __version__
from sourcetrace.config import DEFAULT_MODEL, EXTRACT_COMPONENTS, attribution_mode
from sourcetrace.model import Document, IngestError
from sourcetrace.registry import row_exporters

log = logging.getLogger(__name__)

Rows = dict[str, list[dict[str, Any]]]

# Importing these modules registers their spaCy factories and row exporters.
EXTRACT_MODULES = [
    "sourcetrace.nlp.basic",
    "sourcetrace.extract.names",
    "sourcetrace.extract.attribution",
    "sourcetrace.extract.places",
    "sourcetrace.extract.dates",
    "sourcetrace.extract.language",
    "sourcetrace.extract.claimworthiness",
]


def _import_extractors() -> None:
    for name in EXTRACT_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency, not an absent extractor
                raise
            log.debug("extractor %s not available", name)


def pipeline_version(model: str = DEFAULT_MODEL) -> str:
    """A short id that changes when the model, sourcetrace or the component list changes.
    Documents analysed under another version are analysed again."""
    nlp = load_pipeline(model)
    key = f"{model}-{nlp.meta.get('version')}-{__version__}-{','.join(nlp.pipe_names)}"
    if attribution_mode() != "learned":  # another extractor, other rows (old ids unchanged)
        key += f"-attribution={attribution_mode()}"
    return hashlib.sha1(key.encode()).hexdigest()[:12]


@lru_cache(maxsize=4)
def load_pipeline(model: str = DEFAULT_MODEL) -> Language:
    """Load an installed spaCy pipeline and add the extraction components that exist."""
    _import_extractors()
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise RuntimeError(
            f"spaCy pipeline {model!r} is not installed (install its package, or pass --model "
            "with an installed pipeline)"
        ) from exc
    if "sourcetrace_paragraphs" not in nlp.pipe_names:
        first = next((n for n in ("parser", "senter") if n in nlp.pipe_names), None)
        if first:
            nlp.add_pipe("sourcetrace_paragraphs", before=first)
        else:
            nlp.add_pipe("sourcetrace_paragraphs", first=True)
    for name in EXTRACT_COMPONENTS:
        if name in Language.factories and name not in nlp.pipe_names:
            nlp.add_pipe(name, last=True)
    return nlp


def doc_rows(doc: Doc, document: Document) -> Rows:
    """All per-document rows of one analysed doc, from every registered exporter."""
    rows: Rows = {}
    for _name, exporter in row_exporters.ordered():
        for table, items in exporter(doc, document).items():
            rows.setdefault(table, []).extend(items)
    return rows


def make_doc(nlp: Language, document: Document) -> Doc:
    """The tokenised, not yet analysed doc of a document, carrying the document itself:
    components read its outlet and publication date (``doc._.st_document``) while the
    pipeline runs, not only the row exporters afterwards."""
    doc = nlp.make_doc(document.text)
    doc._.st_document = document
    return doc


def analyze_documents(
    documents: Iterable[Document], model: str = DEFAULT_MODEL, batch_size: int = 32
) -> Iterator[tuple[Document, Rows]]:
    """Parse documents in batches with ``nlp.pipe`` and yield each with its rows."""
    nlp = load_pipeline(model)
    # nlp.pipe takes Docs as they are: the document is on each doc before any component runs.
    docs = (make_doc(nlp, d) for d in documents)
    for doc in nlp.pipe(docs, batch_size=batch_size):
        document: Document = doc._.st_document
        yield document, doc_rows(doc, document)


def analyze_safely(
    documents: list[Document], model: str = DEFAULT_MODEL, batch_size: int = 32
) -> tuple[list[tuple[Document, Rows]], list[IngestError]]:
    """Like :func:`analyze_documents` for one batch, but a document that makes an extractor
    fail becomes an error naming it, and the rest of the batch is still analysed."""
    try:
        return list(analyze_documents(documents, model, batch_size)), []
    except Exception as exc:  # one bad document must not lose the others
        if len(documents) == 1:
            d = documents[0]
            log.debug("analysis of %s failed", d.id, exc_info=True)
            problem = f"analysis failed on document {d.id!r}: {type(exc).__name__}: {exc}"
            return [], [IngestError(d.source_path or d.id, problem, doc_id=d.id)]
    results: list[tuple[Document, Rows]] = []
    errors: list[IngestError] = []
    for document in documents:
        ok, failed = analyze_safely([document], model, batch_size)
        results += ok
        errors += failed
    return results, errors
