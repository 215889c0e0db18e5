"""Word .docx files: paragraph text (python-docx), title and date from the core properties."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sourcetrace.ingest.dates import to_iso
from sourcetrace.ingest.options import IngestOptions
from sourcetrace.ingest.plain import guess_title
from sourcetrace.ingest.readers import ReadProblem, doc_stem, register
from sourcetrace.model import Document, IngestError

# python-docx's blank template carries this creation date (author "python-docx"): a document
# made from it says nothing about when it was written.
_TEMPLATE_CREATED = datetime(2013, 12, 23, 23, 15, tzinfo=UTC)


@register(".docx", name="Word document", binary=True)
def read_docx(path: Path, options: IngestOptions) -> Iterator[Document | IngestError]:
    import docx  # python-docx, only when there are Word files to read
    from docx.opc.exceptions import PackageNotFoundError

    if not zipfile.is_zipfile(path):
        raise ReadProblem("not a .docx file (not a zip archive; old .doc files are not read)")
    try:
        word = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ReadProblem(f"not a readable .docx file: {exc}") from None
    # One paragraph a block, as in plain-text articles; empty paragraphs are spacing.
    paragraphs = [p.text.strip() for p in word.paragraphs]
    text = "\n\n".join(p for p in paragraphs if p)
    if not text:
        raise ReadProblem("no text in the Word document")
    props = word.core_properties
    title = (props.title or "").strip() or None
    created = props.created
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    if created == _TEMPLATE_CREATED and props.author == "python-docx":
        created = None
    yield Document(
        id=doc_stem(path), text=text, title=title or guess_title(text),
        published=to_iso(created) if created else None, source_path=str(path),
    )
