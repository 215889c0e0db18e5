"""PDF files: the text layer of every page (pypdf), title and date from the document info.

A PDF's text comes out line by line as laid out on the page. sourcetrace ends a sentence at
every line break (a headline has no final period), so the lines of one paragraph are joined
again here: a line that runs (nearly) the full width of the page goes on into the next one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sourcetrace.ingest.dates import to_iso
from sourcetrace.ingest.options import IngestOptions
from sourcetrace.ingest.plain import guess_title
from sourcetrace.ingest.readers import ReadProblem, doc_stem, register
from sourcetrace.model import Document, IngestError

# A line at least this share of the page's long lines' length is a full line: its paragraph
# goes on in the next line.
FULL_LINE = 0.75
# "Microsoft Word - draft.docx", "report.pdf": what converters put where a title should be.
_FILE_TITLE = re.compile(r"^microsoft \w+ - |\.(?:docx?|pdf|odt|rtf|txt)$", re.IGNORECASE)
_HYPHENATED = re.compile(r"[a-z]-$")


def reflow(page_text: str) -> str:
    """Paragraphs of one page's text: full-width lines joined to the next (a hyphen at a
    line end between two lowercase letters dropped), short lines ending their paragraph."""
    lines = [line.strip() for line in page_text.splitlines()]
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return ""
    # The length of a long line of this page: the 90th percentile, so a single long table
    # row or URL does not make every real line look short.
    full = lengths[int(0.9 * (len(lengths) - 1))] * FULL_LINE
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
                current = ""
            continue
        if current and _HYPHENATED.search(current) and line[:1].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}" if current else line
        if len(line) < full:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)


def _info(reader: Any) -> tuple[str | None, str | None]:
    """Title and creation date from the document information dictionary, where present."""
    try:
        meta = reader.metadata
    except Exception:  # a damaged info dictionary costs the metadata, not the text
        return None, None
    if not meta:
        return None, None
    title = (meta.title or "").strip() or None
    if title and _FILE_TITLE.search(title):
        title = None
    try:
        created = meta.creation_date
    except Exception:  # an unreadable date string
        created = None
    return title, to_iso(created) if created else None


@register(".pdf", name="PDF", binary=True)
def read_pdf(path: Path, options: IngestOptions) -> Iterator[Document | IngestError]:
    with path.open("rb") as stream:
        # The header may follow a little junk; PDF readers look for it in the first kilobyte.
        if b"%PDF-" not in stream.read(1024):
            raise ReadProblem("not a PDF (no %PDF- header)")
    from pypdf import PdfReader  # only when there are PDFs to read
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadProblem("encrypted PDF (it needs a password); decrypt it first")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (FileNotDecryptedError, DependencyError):
        raise ReadProblem("encrypted PDF that could not be decrypted; decrypt it first") from None
    except PdfReadError as exc:
        raise ReadProblem(f"not a readable PDF: {exc}") from None
    text = "\n\n".join(p for p in map(reflow, pages) if p)
    if not text.strip():
        raise ReadProblem("no text in the PDF (scanned pages? sourcetrace does no OCR)")
    title, published = _info(reader)
    yield Document(
        id=doc_stem(path), text=text, title=title or guess_title(text), published=published,
        source_path=str(path),
    )
