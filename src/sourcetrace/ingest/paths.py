"""Inputs -> the files to read: paths, folders (recursive) and globs, in sorted order."""

from __future__ import annotations

import glob
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sourcetrace.ingest.metadata import FOLDER_METADATA
from sourcetrace.ingest.readers import readers_for

_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Candidate:
    """One file to read. ``explicit`` files were named by the user, so an unknown format is an
    error; files found in folders or by globs are skipped quietly when we cannot read them.
    ``root`` is the folder the file was found in, the outer bound for folder metadata."""

    path: Path
    explicit: bool
    root: Path


@dataclass(frozen=True)
class Missing:
    """An input that names nothing: the error to report for it."""

    input: str
    problem: str


def _hidden(path: Path, root: Path) -> bool:
    # .git, .DS_Store, editor swap files: never articles.
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _folder(folder: Path) -> Iterator[Candidate | Missing]:
    files = [p for p in sorted(folder.rglob("*")) if p.is_file()]
    found = False
    for path in files:
        if not _hidden(path, folder) and path.name not in FOLDER_METADATA:
            found = True
            yield Candidate(path, explicit=False, root=folder)
    if not found:  # else an empty folder would be an analysis of nothing, "0 problems"
        what = "no files" if not files else "only hidden or metadata files"
        yield Missing(str(folder), f"empty folder: {what}, no articles to read")


def expand(inputs: Sequence[str | Path]) -> Iterator[Candidate | Missing]:
    """Each input's files in sorted order; inputs in the order given."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            yield from _folder(path)
        elif path.is_file():
            yield Candidate(path, explicit=True, root=path.parent)
        elif _GLOB_CHARS & set(str(item)):
            matches = [Path(m) for m in sorted(glob.glob(str(item), recursive=True))]
            if not matches:
                yield Missing(str(item), "glob matched no files")
            elif not any(m.is_dir() or readers_for(m) for m in matches):
                yield Missing(
                    str(item), f"glob matched {len(matches)} files, none in a format we read"
                )
            for match in matches:
                if match.is_dir():
                    yield from _folder(match)
                elif match.is_file() and match.name not in FOLDER_METADATA:
                    yield Candidate(match, explicit=False, root=match.parent)
        elif path.exists():
            yield Missing(str(item), "not a regular file")
        else:
            yield Missing(str(item), "no such file or directory")
