"""JSON Lines: one article object a line, plain or gzipped, field names mappable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sourcetrace.ingest.dates import to_iso
from sourcetrace.ingest.gz import iter_gunzip, iter_lines
from sourcetrace.ingest.ids import url_id
from sourcetrace.ingest.options import IngestOptions
from sourcetrace.ingest.readers import doc_stem, register
from sourcetrace.model import Document, IngestError

FIELDS = ("id", "text", "title", "outlet", "url", "published")


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Numbered raw lines; damage to a gzip stream is raised after the lines before it."""
    with path.open("rb") as stream:
        if path.name.lower().endswith(".gz"):
            yield from enumerate(iter_lines(iter_gunzip(stream)), start=1)
        else:
            yield from enumerate(stream, start=1)


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):  # e.g. several authors or outlets: keep them readable
        value = ", ".join(str(v) for v in value if v)
    value = str(value).strip()
    return value or None


def record_to_document(
    record: dict[str, Any], field_map: dict[str, str], path: Path, line: int
) -> Document | IngestError:
    names = {ours: field_map.get(ours, ours) for ours in FIELDS}
    text = record.get(names["text"])
    if not isinstance(text, str) or not text.strip():
        return IngestError(
            str(path), f"no text (field {names['text']!r} is missing or empty)", line=line,
            doc_id=_str(record.get(names["id"])),
        )
    url = _str(record.get(names["url"]))
    doc_id = _str(record.get(names["id"]))
    if doc_id is None:
        doc_id = url_id(url) if url else f"{doc_stem(path)}-{line}"
    published = record.get(names["published"])
    extra = {k: v for k, v in record.items() if k not in set(names.values())}
    extra["line"] = line  # where to look when something about this document is reported
    return Document(
        id=doc_id, text=text, title=_str(record.get(names["title"])),
        outlet=_str(record.get(names["outlet"])), url=url,
        published=to_iso(published) if published not in (None, "") else None,
        source_path=str(path), extra=extra,
    )


@register(".jsonl", ".ndjson", name="JSON Lines")
@register(".jsonl.gz", ".ndjson.gz", name="gzipped JSON Lines", binary=True)
def read_jsonl(path: Path, options: IngestOptions) -> Iterator[Document | IngestError]:
    seen: set[str] = set()  # every field name met, to check the --field mapping against
    records = 0
    for number, raw in _lines(path):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except UnicodeDecodeError as exc:
            yield IngestError(str(path), f"invalid UTF-8 at byte {exc.start} of the line", number)
            continue
        except json.JSONDecodeError as exc:
            yield IngestError(str(path), f"malformed JSON: {exc.msg} (column {exc.colno})", number)
            continue
        if not isinstance(record, dict):
            yield IngestError(
                str(path), f"expected a JSON object, got {type(record).__name__}", number
            )
            continue
        seen.update(record)
        records += 1
        yield record_to_document(record, options.field_map, path, number)
    if records:
        yield from unmatched_fields(options.field_map, seen, path)


def unmatched_fields(
    field_map: dict[str, str], seen: set[str], path: Path
) -> Iterator[IngestError]:
    """An error for each mapped field that no record of the file has: a typo in ``--field``
    would otherwise leave every title or date empty without a word."""
    for ours, theirs in field_map.items():
        if theirs in seen:
            continue
        names = sorted(seen)
        listed = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        yield IngestError(
            str(path), f"--field {ours}={theirs}: no record has a field {theirs!r} "
            f"(fields found: {listed})",
        )
