"""What every document gets after its reader: metadata, outlet fallback, language check."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from sourcetrace.ingest.ids import host_outlet, wire_credit
from sourcetrace.ingest.language import detect_language
from sourcetrace.ingest.metadata import FOLDER_METADATA, Metadata, apply_metadata, load_metadata
from sourcetrace.ingest.options import IngestOptions
from sourcetrace.ingest.readers import ReadProblem
from sourcetrace.model import WARNING, Document, IngestError


class MetadataSources:
    """The metadata files that apply to a document: ``metadata.*`` files in its folder and the
    folders above it up to where the search started, then the files given by the caller, later
    ones overriding earlier ones. Each file is read once; a bad one is reported once."""

    def __init__(self, explicit: Sequence[Path]) -> None:
        self._loaded: dict[Path, Metadata | None] = {}
        self._folders: dict[tuple[Path, Path], list[Metadata]] = {}
        self.errors: list[IngestError] = []
        self.explicit = [m for m in map(self._load, explicit) if m is not None]

    def _load(self, path: Path) -> Metadata | None:
        key = path.resolve()
        if key not in self._loaded:
            try:
                self._loaded[key] = loaded = load_metadata(path)
            except (ReadProblem, OSError) as exc:
                self._loaded[key] = None
                self.errors.append(IngestError(str(path), f"metadata file: {exc}"))
            else:
                if loaded.decoded is not None and loaded.decoded.guessed:
                    self.errors.append(IngestError(
                        str(path), f"metadata file: {loaded.decoded.warning()}", kind=WARNING
                    ))
        return self._loaded[key]

    def for_file(self, path: Path, root: Path) -> list[Metadata]:
        folder = path.parent
        key = (folder, root)
        if key not in self._folders:
            chain = [folder]
            while chain[-1] != root and root in chain[-1].parents:
                chain.append(chain[-1].parent)
            found = []
            for directory in reversed(chain):  # outermost first: nearer folders override
                for name in FOLDER_METADATA:
                    if (directory / name).is_file():
                        loaded = self._load(directory / name)
                        if loaded is not None:
                            found.append(loaded)
            self._folders[key] = found
        return self._folders[key] + self.explicit

    def take_errors(self) -> Iterator[IngestError]:
        while self.errors:
            yield self.errors.pop(0)


def infer_outlet(document: Document) -> None:
    """Where the input names no outlet, the one its URL's host or a wire dateline tells,
    marked as inferred (``outlet_inferred``); else the outlet stays unknown (None)."""
    if document.outlet:
        return
    document.outlet_inferred = None
    for how, outlet in (("url host", host_outlet(document.url)),
                        ("wire credit", wire_credit(document.text))):
        if outlet:
            document.outlet, document.outlet_inferred = outlet, how
            return


def finish(
    document: Document, metadata: Sequence[Metadata], options: IngestOptions
) -> Document | IngestError:
    """Apply metadata and fallbacks, detect the language; an IngestError when the document is
    in a language the caller did not ask for."""
    for source in metadata:
        record = source.lookup(document)
        if record is not None:
            apply_metadata(document, record)
    infer_outlet(document)
    document.language = detect_language(document.text)
    if options.languages and document.language not in options.languages:
        wanted = ", ".join(options.languages)
        problem = f"not {'English' if wanted == 'en' else wanted}"
        return IngestError(
            document.source_path or "", f"{problem} (detected {document.language!r}); skipped",
            line=document.extra.get("line") if isinstance(document.extra.get("line"), int)
            else None, doc_id=document.id,
        )
    return document
