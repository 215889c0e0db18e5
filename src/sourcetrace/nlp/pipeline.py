"""Build the spaCy pipeline once per process and turn analysed docs into table rows."""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import groupby
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from sourcetrace import __version__
from sourcetrace.config import DEFAULT_MODEL, EXTRACT_COMPONENTS
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
    """Parse documents in batches with ``nlp.pipe`` and yield each with its rows, in order.
    A text longer than ``nlp.max_length`` is parsed in pieces (:func:`parse_long`)."""
    nlp = load_pipeline(model)
    for long, group in groupby(documents, key=lambda d: len(d.text) > nlp.max_length):
        if long:
            for document in group:
                yield document, doc_rows(parse_long(nlp, document), document)
            continue
        # nlp.pipe takes Docs as they are: the document is on each doc before any component
        # runs.
        docs = (make_doc(nlp, d) for d in group)
        for doc in nlp.pipe(docs, batch_size=batch_size):
            document: Document = doc._.st_document
            yield document, doc_rows(doc, document)


# The longest piece a long text is parsed in: the parser's memory grows with the text.
PIECE_CHARS = 100_000
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")


def _cut(window: str) -> int:
    """Where to end a piece of text that starts ``window``: after its last paragraph break,
    else line break, else sentence end, else space in its second half; else at its end."""
    floor = len(window) // 2
    for mark in ("\n\n", "\n"):
        at = window.rfind(mark, floor)
        if at >= 0:
            return at + len(mark)
    last = None
    for last in _SENTENCE_END.finditer(window, floor):  # noqa: B007 - the last one is wanted
        pass
    if last is not None:
        return last.end()
    at = window.rfind(" ", floor)
    return at + 1 if at >= 0 else len(window)


def split_text(text: str, size: int) -> list[str]:
    """Consecutive pieces of ``text``, none longer than ``size``, cut at paragraph, line or
    sentence ends where there are any; joined they are the text again."""
    pieces = []
    start = 0
    while len(text) - start > size:
        cut = _cut(text[start : start + size])
        pieces.append(text[start : start + cut])
        start += cut
    pieces.append(text[start:])
    return pieces


def parse_long(nlp: Language, document: Document) -> Doc:
    """One Doc for a text too long for spaCy in one go (E088, ``nlp.max_length``): spaCy's
    own components run on pieces of it, cut at paragraph or sentence ends, and the pieces are
    joined into one Doc (``Doc.from_docs`` keeps tags, parse, sentences and entities, with
    character offsets into the whole text); then sourcetrace's components run on the whole,
    so every offset is into the document's text as for any other document."""
    size = max(1, min(PIECE_CHARS, nlp.max_length))
    ours = set(EXTRACT_COMPONENTS)
    # spaCy's components need no st_document (and Doc.from_docs would drop it with W101).
    pieces = [nlp.tokenizer(piece) for piece in split_text(document.text, size)]
    for name, component in nlp.pipeline:
        if name not in ours:
            pieces = [component(piece) for piece in pieces]
    doc = Doc.from_docs(pieces, ensure_whitespace=False)
    if doc.text != document.text:  # never expected: offsets would be wrong, so stop here
        raise RuntimeError("the pieces of a long text do not join up to the text")
    doc._.st_document = document
    for name, component in nlp.pipeline:
        if name in ours:
            doc = component(doc)
    return doc


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
