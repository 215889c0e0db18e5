"""Reading the Propaganda Techniques Corpus (PTC, SemEval-2020 Task 11) from ``../shared`` and
caching spaCy parses of its articles outside the repository."""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, DocBin

# src/sourcetrace/extract/language/data.py -> the project root is five levels up.
_ROOT = Path(__file__).resolve().parents[4]


@dataclass
class Article:
    id: str
    text: str
    # (start, end, technique), end exclusive, as in ``train-task-flc-tc.labels``.
    spans: list[tuple[int, int, str]] = field(default_factory=list)


def shared_dir() -> Path:
    return Path(os.environ.get("SOURCETRACE_SHARED", _ROOT.parent / "shared"))


def ptc_dir(root: Path | None = None) -> Path | None:
    """The PTC folder (``articles`` + ``.labels``), or None when it is not available."""
    path = root if root is not None else shared_dir() / "datasets" / "ptc"
    if (path / "train-task-flc-tc.labels").is_file() and (path / "train-articles").is_dir():
        return path
    return None


def load_ptc(path: Path) -> list[Article]:
    """All train articles with their technique spans, sorted by article id."""
    spans: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    with open(path / "train-task-flc-tc.labels", encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            article, technique, start, end = parts
            spans[article].append((int(start), int(end), technique))
    articles = []
    for file in sorted((path / "train-articles").glob("article*.txt")):
        aid = file.stem.removeprefix("article")
        # newline="" keeps "\r\n" as two characters: PTC offsets count them.
        text = _read(file)
        articles.append(Article(aid, text, sorted(spans.get(aid, []))))
    return articles


def _read(file: Path) -> str:
    with open(file, encoding="utf-8", newline="") as fh:
        return fh.read()


def cache_dir() -> Path:
    base = os.environ.get("SOURCETRACE_CACHE") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "sourcetrace" / "language"


def parse(texts: list[str], nlp: Language, cache: Path | None = None) -> list[Doc]:
    """spaCy parses of ``texts``, cached as one DocBin keyed by the pipeline and the texts
    (parsing the 371 PTC articles takes minutes on two shared cores; the cache makes reruns of
    the benchmark and the training script cheap)."""
    key = hashlib.sha1()
    key.update(f"{nlp.meta.get('name')}-{nlp.meta.get('version')}-{nlp.pipe_names}".encode())
    for t in texts:
        key.update(hashlib.sha1(t.encode()).digest())
    folder = cache if cache is not None else cache_dir()
    file = folder / f"parses-{key.hexdigest()[:16]}.spacy"
    if file.is_file():
        docs = list(DocBin().from_disk(file).get_docs(nlp.vocab))
        if [d.text for d in docs] == texts:
            return docs
    docs = list(nlp.pipe(texts, batch_size=16))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        DocBin(store_user_data=False, docs=docs).to_disk(file)
    except OSError:
        pass  # a read-only home only costs the next run a re-parse
    return docs
