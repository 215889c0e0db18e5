"""Ingest: files, folders, globs, HTML, JSON Lines, WARC, feeds and URL lists -> Documents.

``iter_inputs`` is the one entry point. Each file goes to its reader through the registry in
:mod:`sourcetrace.ingest.readers`; every problem becomes an :class:`IngestError` naming the
file (and line), and one bad file or line never stops the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from sourcetrace.ingest.checks import bom_encoding, check_size
from sourcetrace.ingest.enrich import MetadataSources, finish
from sourcetrace.ingest.options import IngestOptions
from sourcetrace.ingest.paths import Candidate, Missing, expand
from sourcetrace.ingest.readers import (
    READERS,
    SNIFF_BYTES,
    ReadProblem,
    choose_reader,
    readers_for,
)
from sourcetrace.model import FAILED, SKIPPED, Document, IngestError

__all__ = ["IngestOptions", "iter_inputs", "read_file"]

# Importing these modules registers their readers.
READER_MODULES = [
    "sourcetrace.ingest.plain",
    "sourcetrace.ingest.html",
    "sourcetrace.ingest.pdf",
    "sourcetrace.ingest.word",
    "sourcetrace.ingest.jsonl",
    "sourcetrace.ingest.warc",
    "sourcetrace.ingest.feeds",
    "sourcetrace.ingest.urllist",
]
for _module in READER_MODULES:
    importlib.import_module(_module)


# The problem reported for a second document with an id already seen (both engines).
DUPLICATE_ID = "duplicate document id {!r}; the first one is kept"


def read_file(
    path: Path, options: IngestOptions, explicit: bool = True
) -> Iterator[Document | IngestError]:
    """Documents and errors from one file, before metadata and language checks."""
    where = str(path)
    if not readers_for(path):
        # Named by the user: an error. Found in a folder or by a glob: skipped, but said so
        # (a folder of .odt files must not look like an empty analysis).
        kinds = ", ".join(sorted(READERS))
        suffix = "".join(path.suffixes) or "(none)"
        yield IngestError(
            where, f"unknown file type {suffix!r} (sourcetrace reads {kinds})",
            kind=FAILED if explicit else SKIPPED,
        )
        return
    produced = 0
    try:
        check_size(path, options.max_bytes)
        with path.open("rb") as stream:
            head = stream.read(SNIFF_BYTES)
        reader = choose_reader(path, head)
        if reader is None:
            yield IngestError(
                where, f"not a format we read as {path.suffix!r}",
                kind=FAILED if explicit else SKIPPED,
            )
            return
        # UTF-16/32 text is full of NUL bytes: its byte-order mark says it is text.
        if not reader.binary and b"\x00" in head and not bom_encoding(head):
            raise ReadProblem(f"binary file (NUL byte at byte offset {head.index(0)}), not text")
        for item in reader.read(path, options):
            produced += 1
            yield item
    except ReadProblem as problem:
        produced += 1
        yield IngestError(where, str(problem))
    except OSError as exc:
        produced += 1
        yield IngestError(where, exc.strerror or str(exc))
    except Exception as exc:  # a reader bug or a library choking: report it, carry on
        produced += 1
        yield IngestError(where, f"could not read: {type(exc).__name__}: {exc}")
    if not produced:
        yield IngestError(where, "no documents found")


def iter_inputs(
    inputs: Sequence[str | Path], options: IngestOptions | None = None
) -> Iterator[Document | IngestError]:
    """Expand folders (recursive) and globs, read each file with the reader registered for its
    extension, and yield Documents and IngestErrors in a deterministic order."""
    options = options or IngestOptions()
    metadata = MetadataSources(options.meta)
    yield from metadata.take_errors()
    seen: set[Path] = set()
    meta_files = metadata_paths(options)
    for candidate in expand(inputs):
        if isinstance(candidate, Missing):
            yield IngestError(candidate.input, candidate.problem)
            continue
        key = candidate.path.resolve()
        if key in seen:  # the same file named twice (a folder and a glob inside it)
            continue
        if key in meta_files and not candidate.explicit:  # a --meta file in an input folder
            continue
        seen.add(key)
        yield from read_candidate(candidate, options, metadata)


def metadata_paths(options: IngestOptions) -> set[Path]:
    """The metadata files given by the caller: read as metadata, not as unknown inputs."""
    return {Path(m).resolve() for m in options.meta}


def read_candidate(
    candidate: Candidate, options: IngestOptions, metadata: MetadataSources
) -> Iterator[Document | IngestError]:
    applicable = metadata.for_file(candidate.path, candidate.root)
    yield from metadata.take_errors()
    for item in read_file(candidate.path, options, explicit=candidate.explicit):
        yield finish(item, applicable, options) if isinstance(item, Document) else item
