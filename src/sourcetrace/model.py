"""The records that flow through sourcetrace: documents in, problems reported."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Document:
    """One article as ingested. ``text`` is never altered after ingest: every offset that
    sourcetrace reports is a character offset into it."""

    id: str
    text: str
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None  # ISO 8601 date (YYYY-MM-DD) or datetime, when known
    source_path: str | None = None
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # None when the input names the outlet (or none is known); else what ``outlet`` was
    # inferred from: "url host", "site name" (the page's own metadata) or "wire credit" (a
    # dateline such as "LONDON (Reuters) -").
    outlet_inferred: str | None = None

    @property
    def content_hash(self) -> str:
        """Hash of the text alone: two documents with the same hash are exact duplicates."""
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()

    @property
    def n_words(self) -> int:
        return len(self.text.split())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# What an IngestError says about its input (the ``kind`` column of the store's errors table):
FAILED = "error"  # the input, or part of it, could not be read: exit code 1
SKIPPED = "skipped"  # a file found in a folder or by a glob in a format we do not read
WARNING = "warning"  # read, but on an assumption worth checking (the encoding we guessed)
KINDS = (FAILED, SKIPPED, WARNING)


@dataclass
class IngestError:
    """A problem with one input. ``line`` is set for line-based formats (JSON Lines).
    ``kind`` says whether the input failed, was skipped, or was read with a warning."""

    path: str
    problem: str
    line: int | None = None
    doc_id: str | None = None
    kind: str = FAILED

    @property
    def failed(self) -> bool:
        return self.kind == FAILED

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.problem}"
