"""What the caller can tell ingest: limits, metadata files, field names, languages, fetching."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class IngestOptions:
    # Larger files are refused with one clear error instead of exhausting memory.
    max_bytes: int = 50_000_000
    # Metadata files (CSV/TSV/JSON keyed by document id) applied over what the readers found.
    meta: list[Path] = field(default_factory=list)
    # JSON Lines: our field name -> their field name, e.g. {"text": "body", "published": "date"}.
    field_map: dict[str, str] = field(default_factory=dict)
    # Documents in other languages are reported (IngestError) and skipped.
    languages: tuple[str, ...] = ("en",)
    # URL lists: fetch the pages. Off by default so an analysis never goes online unasked.
    fetch: bool = False
