"""Web archives (WARC, plain or gzipped): HTML responses through trafilatura."""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from sourcetrace.ingest.dates import to_iso
from sourcetrace.ingest.gz import iter_gunzip
from sourcetrace.ingest.html import extract_page
from sourcetrace.ingest.ids import url_id
from sourcetrace.ingest.options import IngestOptions
from sourcetrace.ingest.readers import ReadProblem, register
from sourcetrace.model import Document, IngestError

_CONTENT_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.IGNORECASE | re.MULTILINE)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _raw_bytes(path: Path) -> tuple[bytes, str | None]:
    """The uncompressed archive, and what went wrong if only part of it could be read.
    Reading it whole (bounded by --max-bytes) lets us check the records end where they
    should, which fastwarc does not report."""
    if not path.name.lower().endswith(".gz"):
        return path.read_bytes(), None
    out = io.BytesIO()
    with path.open("rb") as stream:
        try:
            for chunk in iter_gunzip(stream):
                out.write(chunk)
        except ReadProblem as damage:
            return out.getvalue(), str(damage)
    return out.getvalue(), None


def _record_end(raw: bytes, start: int) -> int | None:
    """Where the record starting at ``start`` ends, from its own header block."""
    header_end = raw.find(b"\r\n\r\n", start)
    if header_end < 0:
        return None
    length = _CONTENT_LENGTH.search(raw, start, header_end)
    if not length:
        return None
    return header_end + 4 + int(length.group(1))


def _decode_body(body: bytes, content_encoding: str | None) -> bytes:
    encoding = (content_encoding or "").lower()
    if encoding in ("gzip", "x-gzip"):
        body = gzip.decompress(body)
    elif encoding == "deflate":
        body = zlib.decompress(body)
    return body


def _is_html_page(record: WarcRecord) -> bool:
    """A successful HTTP response with HTML, or an archived HTML resource (no HTTP headers)."""
    if record.record_type == WarcRecordType.response and record.http_headers is not None:
        if not 200 <= (record.http_headers.status_code or 0) < 300:
            return False  # redirects and error pages are not the article
        content_type = record.http_headers.get("Content-Type") or ""
    elif record.record_type == WarcRecordType.resource:
        content_type = record.headers.get("Content-Type") or ""
    else:
        return False
    return content_type.lower().startswith(_HTML_TYPES)


@register(".warc", ".warc.gz", name="WARC", binary=True)
def read_warc(path: Path, options: IngestOptions) -> Iterator[Document | IngestError]:
    raw, damage = _raw_bytes(path)
    if not raw.lstrip().startswith(b"WARC/"):
        raise ReadProblem(damage or "not a WARC file (no WARC/1.x header at the start)")
    last_start: int | None = None
    for record in ArchiveIterator(
        io.BytesIO(raw), record_types=WarcRecordType.any_type, parse_http=True
    ):
        # Every record type is walked (not only responses) so that ``last_start`` is the last
        # record in the file, whose end tells whether the archive is whole.
        last_start = record.stream_pos
        if not _is_html_page(record):
            continue
        url = record.headers.get("WARC-Target-URI") or ""
        body = record.reader.read()
        if len(body) < record.content_length:
            break  # cut off inside this record: reported below
        try:
            if record.http_headers is not None:
                body = _decode_body(body, record.http_headers.get("Content-Encoding"))
        except (OSError, EOFError, zlib.error) as exc:
            yield IngestError(str(path), f"record {url}: cannot decode body: {exc}")
            continue
        page = extract_page(body, url=url or None)
        if page is None:
            yield IngestError(str(path), f"record {url}: no article text found")
            continue
        yield Document(
            # The id comes from the URL that was crawled, which is what WARC users look up.
            id=url_id(url) if url else f"{path.name}-{record.stream_pos}",
            text=page.text, title=page.title, outlet=page.outlet, outlet_inferred=page.inferred,
            url=url or page.url,
            published=page.published or to_iso(record.headers.get("WARC-Date")),
            source_path=str(path), extra={"canonical_url": page.url} if page.url else {},
        )
    if damage:
        raise ReadProblem(damage)
    end = _record_end(raw, last_start) if last_start is not None else 0
    if end is None or end > len(raw):
        raise ReadProblem(f"truncated WARC: the record at byte {last_start} is cut off")
    if raw[end:].strip():
        raise ReadProblem(f"corrupt WARC: unreadable data from byte {end}")
