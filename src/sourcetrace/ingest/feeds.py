"""RSS and Atom feeds: each entry is a document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sourcetrace.ingest.dates import to_iso
from sourcetrace.ingest.fragments import fragment_text
from sourcetrace.ingest.ids import url_id
from sourcetrace.ingest.options import IngestOptions
from sourcetrace.ingest.readers import ReadProblem, doc_stem, register
from sourcetrace.model import Document, IngestError

# The root element of a feed, after any prolog, comments or doctype.
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)


def is_feed(head: bytes) -> bool:
    return bool(_FEED_ROOT.search(head))


def _entry_text(entry: Any) -> str:
    # Full content when the feed carries it, else the summary.
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if value.strip():
            return fragment_text(value)
    return fragment_text(entry.get("summary") or entry.get("description") or "")


def _entry_date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        if entry.get(key):
            return to_iso(entry[key])
    for key in ("published", "updated"):
        if entry.get(key):
            return to_iso(entry[key])
    return None


@register(".rss", ".atom", name="feed", priority=50)
@register(".xml", name="feed", sniff=is_feed)
def read_feed(path: Path, options: IngestOptions) -> Iterator[Document | IngestError]:
    import feedparser

    # Bytes, never a string: feedparser would fetch a string that looks like a URL.
    parsed = feedparser.parse(path.read_bytes())
    if not parsed.entries:
        reason = f": {parsed.bozo_exception}" if parsed.get("bozo") else ""
        raise ReadProblem(f"no feed entries found{reason}")
    outlet = (parsed.feed.get("title") or "").strip() or None
    for number, entry in enumerate(parsed.entries, start=1):
        link = (entry.get("link") or "").strip() or None
        key = link or entry.get("id") or None
        doc_id = url_id(key) if key else f"{doc_stem(path)}-{number}"
        text = _entry_text(entry)
        if not text:
            yield IngestError(str(path), f"feed entry {number} has no text", doc_id=doc_id)
            continue
        title = fragment_text(entry.get("title") or "") or None
        yield Document(
            id=doc_id, text=text, title=title, outlet=outlet, url=link,
            published=_entry_date(entry), source_path=str(path),
        )
