"""The reader registry: file extension -> the readers that can handle it.

A reader is a generator ``(path, options) -> Document | IngestError``; it may raise
:class:`ReadProblem` for a problem with the whole file. An extension can have several readers
(``.txt`` is plain text or a URL list, ``.xml`` may or may not be a feed): each has an optional
``sniff`` that looks at the file's first bytes, and the first reader that accepts wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sourcetrace.ingest.options import IngestOptions
from sourcetrace.model import Document, IngestError

ReadFunc = Callable[[Path, IngestOptions], Iterator[Document | IngestError]]
Sniff = Callable[[bytes], bool]

# How many bytes a sniff sees: enough for an XML prolog and root element or a few URL lines.
SNIFF_BYTES = 4096


class ReadProblem(Exception):
    """A problem with a whole file; its message becomes the IngestError's problem."""


@dataclass(frozen=True)
class Reader:
    name: str
    read: ReadFunc
    sniff: Sniff | None = None
    # Binary formats (gzip, WARC) may hold NUL bytes and are not UTF-8 checked up front.
    binary: bool = False
    priority: int = 100  # lower is tried first among readers of one extension


READERS: dict[str, list[Reader]] = {}


def register(
    *extensions: str, name: str, sniff: Sniff | None = None, binary: bool = False,
    priority: int = 100,
) -> Callable[[ReadFunc], ReadFunc]:
    """Register a reader for extensions given with their dot, e.g. ``".jsonl.gz"``."""

    def decorator(func: ReadFunc) -> ReadFunc:
        reader = Reader(name, func, sniff, binary, priority)
        for ext in extensions:
            readers = READERS.setdefault(ext.lower(), [])
            readers.append(reader)
            readers.sort(key=lambda r: r.priority)
        return func

    return decorator


def extension_of(path: Path) -> str | None:
    """The longest registered extension the file name ends with (``.warc.gz`` before ``.gz``)."""
    name = path.name.lower()
    matches = [ext for ext in READERS if name.endswith(ext) and len(name) > len(ext)]
    return max(matches, key=len) if matches else None


def doc_stem(path: Path) -> str:
    """The file name without its registered extension: ``a.jsonl.gz`` -> ``a``."""
    ext = extension_of(path)
    return path.name[: -len(ext)] if ext else path.stem


def readers_for(path: Path) -> list[Reader]:
    ext = extension_of(path)
    return READERS.get(ext, []) if ext else []


def choose_reader(path: Path, head: bytes) -> Reader | None:
    for reader in readers_for(path):
        if reader.sniff is None or reader.sniff(head):
            return reader
    return None
