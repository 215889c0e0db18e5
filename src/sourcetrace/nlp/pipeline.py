"""Build the spaCy pipeline once per process and turn analysed docs into table rows."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import lru_cache
from itertools import groupby
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from sourcetrace import __version__
from sourcetrace.code_digest import PER_DOCUMENT as PER_DOCUMENT_CODE
from sourcetrace.code_digest import code_digest
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
    """A short id that changes when the model, sourcetrace (its version or the code and data
    of the per-document analysis) or the component list changes. Documents analysed under
    another version are analysed again."""
    nlp = load_pipeline(model)
    key = (f"{model}-{nlp.meta.get('version')}-{__version__}-{','.join(nlp.pipe_names)}-"
           f"{code_digest(PER_DOCUMENT_CODE)}")
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
    """Parse documents in batches with ``nlp.pipe`` and yield each with its rows, in order.
    A text longer than ``nlp.max_length`` is analysed in pieces (:func:`analyze_long`)."""
    nlp = load_pipeline(model)
    for long, group in groupby(documents, key=lambda d: len(d.text) > nlp.max_length):
        if long:
            for document in group:
                yield document, analyze_long(nlp, document, batch_size)
            continue
        # nlp.pipe takes Docs as they are: the document is on each doc before any component
        # runs.
        docs = (make_doc(nlp, d) for d in group)
        for doc in nlp.pipe(docs, batch_size=batch_size):
            document: Document = doc._.st_document
            yield document, doc_rows(doc, document)


# The piece a long text is analysed in: about 3,500 words, a long feature. Some extractors
# look across the whole doc (a surname back to the full name); they index it once per doc,
# so their cost grows with the text (sourcetrace_names took 69 s on 50,000 characters and
# 192 s on 100,000 before that; 1.2 s on each after, measured under load: docs/benchmarks.md), but
# what crosses a cut is still lost, so pieces stay a feature's length.
PIECE_CHARS = 20_000
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+")
# Integer columns of the per-document tables that count sentences; every other integer
# column of them is a character offset (start, end, source_start, ...).
SENTENCE_COLUMNS = {"idx", "sentence"}
_ATTRIBUTION_ID = re.compile(r"^(?P<doc>.*):a(?P<n>\d+)$")


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


def _renumber(att_id: Any, shift: int) -> Any:
    match = _ATTRIBUTION_ID.match(att_id) if isinstance(att_id, str) else None
    return f"{match['doc']}:a{int(match['n']) + shift}" if match else att_id


def shift_rows(rows: Rows, chars: int, sentences: int, attributions: int) -> Rows:
    """The rows of a piece of a text as rows of the whole: character offsets moved by
    ``chars``, sentence numbers by ``sentences``, attribution ids (``doc:aN``) by
    ``attributions``."""
    shifted: Rows = {}
    for table, items in rows.items():
        out = []
        for row in items:
            row = dict(row)
            for key, value in row.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    row[key] = value + (sentences if key in SENTENCE_COLUMNS else chars)
            if table == "attributions":
                row["id"] = _renumber(row.get("id"), attributions)
                row["parent"] = _renumber(row.get("parent"), attributions)
                if row.get("content_spans"):  # JSON pairs of character offsets
                    row["content_spans"] = json.dumps(
                        [[a + chars, b + chars] for a, b in json.loads(row["content_spans"])]
                    )
            out.append(row)
        shifted[table] = out
    return shifted


def analyze_long(nlp: Language, document: Document, batch_size: int = 32) -> Rows:
    """The rows of a text too long for spaCy in one go (E088, ``nlp.max_length``): it is
    cut at paragraph or sentence ends into pieces of at most :data:`PIECE_CHARS` characters,
    each analysed as the document (same id, outlet and date), and their rows shifted to
    offsets, sentence numbers and attribution ids of the whole text. What crosses a cut is
    lost: a pronoun cannot refer back to a name in the piece before."""
    size = max(1, min(PIECE_CHARS, nlp.max_length))
    texts = split_text(document.text, size)
    docs = (make_doc(nlp, replace(document, text=t)) for t in texts)
    merged: Rows = {}
    chars = sentences = attributions = 0
    for text, doc in zip(texts, nlp.pipe(docs, batch_size=batch_size), strict=True):
        rows = doc_rows(doc, doc._.st_document)
        for table, items in shift_rows(rows, chars, sentences, attributions).items():
            merged.setdefault(table, []).extend(items)
        chars += len(text)
        sentences += sum(1 for _ in doc.sents)
        attributions += len(rows.get("attributions", []))
    return merged


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
