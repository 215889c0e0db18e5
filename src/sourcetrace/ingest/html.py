"""HTML pages: main text and metadata by trafilatura (shared by files, WARC and URL lists)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sourcetrace.ingest.checks import Decoded, decode_text, decode_utf8
from sourcetrace.ingest.dates import to_iso
from sourcetrace.ingest.options import IngestOptions
from sourcetrace.ingest.plain import encoding_note
from sourcetrace.ingest.readers import ReadProblem, doc_stem, register
from sourcetrace.model import Document, IngestError

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)


@dataclass
class Page:
    text: str
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None

    @property
    def inferred(self) -> str | None:
        """How the outlet was found: the site name the page declares (og:site_name and the
        like) is the page's own say, not the input's."""
        return "site name" if self.outlet else None


def extract_page(html: str | bytes, url: str | None = None) -> Page | None:
    """The article text and metadata of one page, None when it holds no article text."""
    import trafilatura  # heavy import, only when there is HTML to read

    result = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True,
    )
    if result is None:
        return None
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    text = (data.get("text") or "").strip()
    if not text:
        return None
    return Page(
        text=text,
        title=data.get("title") or None,
        outlet=data.get("sitename") or None,
        # The canonical URL the page declares, else the one it was fetched from.
        url=data.get("url") or url,
        published=to_iso(data.get("date")),
    )


def decode_html(data: bytes) -> Decoded:
    """UTF-8 text (or UTF-16/32 with a byte-order mark), else text in the charset the page
    declares, else in the encoding detected; invalid text in the declared charset is an
    error with its byte offset."""
    try:
        return Decoded(decode_utf8(data), "utf-8")
    except ReadProblem as problem:
        declared = _CHARSET.search(data[:4096])
        charset = declared.group(1).decode("ascii").lower() if declared else None
        if charset is None or charset.replace("_", "-") in ("utf-8", "utf8"):
            if charset is None or b"\x00" in data:
                return decode_text(data)  # a BOM, or a guess (recorded), or a clear error
            raise problem from None
        try:
            return Decoded(data.decode(charset), charset, "declared")
        except LookupError:
            raise ReadProblem(f"unknown charset {charset!r} declared in the page") from None
        except UnicodeDecodeError as exc:
            raise ReadProblem(f"invalid {charset} at byte offset {exc.start}") from None


@register(".html", ".htm", ".xhtml", name="HTML")
def read_html(path: Path, options: IngestOptions) -> Iterator[Document | IngestError]:
    decoded = decode_html(path.read_bytes())
    page = extract_page(decoded.text)
    if page is None:
        raise ReadProblem("no article text found in the HTML")
    document = Document(
        id=doc_stem(path), text=page.text, title=page.title, outlet=page.outlet,
        outlet_inferred=page.inferred, url=page.url,
        published=page.published, source_path=str(path),
    )
    yield from encoding_note(decoded, document)
    yield document
