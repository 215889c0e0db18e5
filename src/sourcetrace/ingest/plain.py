"""Plain-text articles: the file's text, unchanged, with a title when the first line is one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from sourcetrace.ingest.checks import Decoded, decode_text
from sourcetrace.ingest.options import IngestOptions
from sourcetrace.ingest.readers import ReadProblem, doc_stem, register
from sourcetrace.model import WARNING, Document, IngestError

MAX_TITLE_CHARS = 200

_MONTHS = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
)
# Lines that are only a date ("JUNE 2023", "4 May 2023", "2023-05-04", "May 4, 2023"):
# datelines printed above a headline, never the headline itself.
_DATE_LINE = re.compile(
    rf"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}"
    rf"|(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTHS}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?,?)?\s+\d{{4}})"
    rf"(?:\s+\d{{1,2}}:\d{{2}}.*)?$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^by\s+\w", re.IGNORECASE)


def is_date_line(line: str) -> bool:
    return bool(_DATE_LINE.match(line.strip()))


def looks_like_title(line: str) -> bool:
    line = line.strip()
    if not line or len(line) >= MAX_TITLE_CHARS or len(line.split()) < 2:
        return False
    # A sentence ends with a period (or a colon leads into text); a headline does not.
    if line.endswith((".", ":", ",", ";")) and not line.endswith("..."):
        return False
    if is_date_line(line) or _BYLINE.match(line):
        return False
    return any(c.isalpha() for c in line)


def guess_title(text: str) -> str | None:
    """The headline, when the text starts with one: a short line without a final period that
    is followed by more text. A date-only line above it is passed over."""
    lines = text.splitlines()
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and is_date_line(lines[i]):
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
    if i >= len(lines) - 1:
        return None  # one line is the whole text, not a title above it
    if not any(line.strip() for line in lines[i + 1 :]):
        return None
    return lines[i].strip() if looks_like_title(lines[i]) else None


@register(".txt", ".text", name="plain text", priority=200)
def read_plain(path: Path, options: IngestOptions) -> Iterator[Document | IngestError]:
    decoded = decode_text(path.read_bytes())
    text = decoded.text
    if not text.strip():
        raise ReadProblem("empty file (whitespace only)")
    document = Document(
        id=doc_stem(path), text=text, title=guess_title(text), source_path=str(path)
    )
    yield from encoding_note(decoded, document)
    yield document


def encoding_note(decoded: Decoded, document: Document) -> Iterator[IngestError]:
    """Record the encoding of a text that was not UTF-8 on the document, and when it was a
    guess, a warning (kept in the store's errors table, shown by the CLI)."""
    if decoded.how is None:
        return
    document.extra["encoding"] = decoded.encoding
    document.extra["encoding_from"] = decoded.how
    if decoded.guessed:
        yield IngestError(
            document.source_path or document.id, decoded.warning(), doc_id=document.id,
            kind=WARNING,
        )
