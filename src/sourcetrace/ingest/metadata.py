"""Metadata files: outlet, url, title and date for document ids, from CSV, TSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sourcetrace.ingest.checks import Decoded, decode_text
from sourcetrace.ingest.dates import to_iso
from sourcetrace.ingest.readers import ReadProblem
from sourcetrace.model import Document

# File names that make a folder's metadata apply automatically to the documents beside them.
FOLDER_METADATA = ("metadata.csv", "metadata.tsv", "metadata.json")

# Column names seen in the wild -> ours. The first column found wins.
ID_COLUMNS = ("id", "doc_id", "document", "doc", "filename", "file")
ALIASES: dict[str, tuple[str, ...]] = {
    "outlet": ("outlet", "source", "site", "sitename", "publisher"),
    "url": ("url", "link", "canonical_url"),
    "title": ("title", "headline"),
    "published": ("published", "date", "published_at", "pubdate", "publication_date"),
}


@dataclass
class Metadata:
    """Metadata records by document id, from one file."""

    path: Path
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    # How the file was decoded (a spreadsheet saved as CSV by Excel is often Windows-1252).
    decoded: Decoded | None = None

    def lookup(self, document: Document) -> dict[str, Any] | None:
        record = self.records.get(document.id)
        if record is None and document.source_path:
            # Sheets often list the file rather than its stem: "a.txt" for document "a".
            record = self.records.get(Path(document.source_path).name)
        return record


def _rows_from_json(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict):
        rows = []
        for key, value in data.items():
            if not isinstance(value, dict):
                raise ReadProblem(f"metadata for {key!r} is not an object")
            rows.append({"id": key, **value})
        return rows
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        return data
    raise ReadProblem("metadata JSON must be an object keyed by id or a list of objects")


def _rows_from_table(text: str, delimiter: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ReadProblem(f"malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {exc}") from None
    if reader.fieldnames is None:
        raise ReadProblem("no header row")
    return rows


def load_metadata(path: Path) -> Metadata:
    """Read one metadata file; raises ReadProblem when it cannot be used."""
    if not path.is_file():
        raise ReadProblem("no such file or directory")
    decoded = decode_text(path.read_bytes())
    text = decoded.text
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            rows = _rows_from_json(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ReadProblem(f"malformed JSON: {exc.msg} (line {exc.lineno})") from None
    elif suffix in (".csv", ".tsv", ".tab"):
        rows = _rows_from_table(text, "\t" if suffix != ".csv" else ",")
    else:
        raise ReadProblem("metadata must be .csv, .tsv or .json")
    metadata = Metadata(path, decoded=decoded)
    for number, row in enumerate(rows, start=1):
        key = next((row[c] for c in ID_COLUMNS if row.get(c) not in (None, "")), None)
        if key is None:
            raise ReadProblem(f"record {number} has no id (a column named one of {ID_COLUMNS})")
        metadata.records[str(key).strip()] = row
    return metadata


def apply_metadata(document: Document, record: dict[str, Any]) -> None:
    """Fill or override the document's fields with the record's non-empty values; other
    columns go to ``document.extra``."""
    known = set(ID_COLUMNS).union(*ALIASES.values())
    for ours, names in ALIASES.items():
        value = next((record[n] for n in names if _present(record.get(n))), None)
        if value is None:
            continue
        if ours == "published":
            iso = to_iso(value)
            if iso is None:  # keep what the sheet said rather than lose it
                document.extra["published_raw"] = str(value)
                continue
            value = iso
        setattr(document, ours, str(value).strip())
        if ours == "outlet":  # named by the input now, not inferred
            document.outlet_inferred = None
    for name, value in record.items():
        if name not in known and _present(value):
            document.extra[name] = value


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())
