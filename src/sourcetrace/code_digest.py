"""A digest of sourcetrace's own code and data files, so that stored results are never taken
for those of other code.

The store keeps per-document results (``documents.pipeline_version``) and each corpus stage's
groups (the memo, :mod:`sourcetrace.engines.memo`) and reuses them while the inputs are the
same. Keyed on the version number alone, a checkout or an install from git with changed code
but the same number reused results the new code would not give (the tables of an
incremental run then differed from a run from scratch). The digest covers the files that
decide those results: the source and the packaged models, word lists and weights.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent

# What each kind of stored result depends on, as paths in the package.
PER_DOCUMENT = ("nlp", "extract", "model.py", "config.py", "tables.py", "registry.py")
# The corpus steps read the per-document rows and run through the engines; the exports, the
# report, the web app and the CLI do not change the tables.
CORPUS = ("nlp", "extract", "link", "provenance", "engines", "corpus.py", "model.py",
          "config.py", "tables.py", "registry.py")


@lru_cache(maxsize=8)
def code_digest(parts: tuple[str, ...]) -> str:
    """Hex digest of the files under ``parts`` (paths relative to the package): their
    relative paths and bytes, in path order; compiled caches are left out."""
    h = hashlib.blake2b(digest_size=16)
    for part in sorted(parts):
        root = PACKAGE / part
        files = [root] if root.is_file() else sorted(
            p for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        )
        for path in files:
            data = path.read_bytes()
            name = path.relative_to(PACKAGE).as_posix().encode()
            h.update(len(name).to_bytes(8, "little") + name)
            h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()
