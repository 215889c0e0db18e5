"""Token attributes of a whole doc as Python lists, read with one ``Doc.to_array`` call.

``tok.lower_`` makes a new :class:`~spacy.tokens.Token` object and decodes a string on every
access; an extractor asking a few attributes of every token paid that per token and per
attribute. :func:`token_columns` reads the attributes' hashes of every token at once and
decodes each distinct string once. What it returns equals reading the attributes token by
token (``tests/test_nlp_fast_paths.py``): strings as ``tok.<attr>_``, flags as
``tok.is_*``, ``HEAD`` as ``tok.head.i``, ``IDX`` as ``tok.idx``, ``LENGTH`` as ``len(tok)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from spacy.tokens import Doc

# attributes whose value is a hash (or symbol id) of a string in the vocab's StringStore
_STRING_ATTRS = frozenset(
    {"ORTH", "LOWER", "NORM", "SHAPE", "PREFIX", "SUFFIX", "LEMMA", "POS", "TAG", "DEP",
     "ENT_TYPE", "ENT_ID", "ENT_KB_ID", "LANG"}
)


def token_columns(doc: Doc, names: Sequence[str]) -> list[list[Any]]:
    """One list per attribute name (spaCy's ``spacy.attrs`` names), indexed by token."""
    n = len(doc)
    if n == 0:
        return [[] for _ in names]
    wanted = [a for a in names if a != "IDX"]
    if "IDX" in names:  # no token attribute of to_array: rebuilt from lengths and spaces
        wanted += [a for a in ("LENGTH", "SPACY") if a not in wanted]
    arr = doc.to_array(wanted)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    strings = doc.vocab.strings
    cols: dict[str, list[Any]] = {}
    for k, name in enumerate(wanted):
        col = arr[:, k]
        if name in _STRING_ATTRS:
            hashes = col.tolist()
            decoded = {h: strings[h] for h in set(hashes)}
            cols[name] = [decoded[h] for h in hashes]
        elif name == "HEAD":  # relative offsets, stored as unsigned
            cols[name] = (col.astype(np.int64) + np.arange(n, dtype=np.int64)).tolist()
        elif name.startswith("IS_") or name in ("SPACY", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL"):
            cols[name] = (col != 0).tolist()
        elif name == "SENT_START":
            cols[name] = col.astype(np.int64).tolist()
        else:
            cols[name] = col.tolist()
    if "IDX" in names:
        step = arr[:, wanted.index("LENGTH")].astype(np.int64) + arr[
            :, wanted.index("SPACY")
        ].astype(np.int64)
        starts = np.zeros(n, dtype=np.int64)
        np.cumsum(step[:-1], out=starts[1:])
        cols["IDX"] = starts.tolist()
    return [cols[a] for a in names]
