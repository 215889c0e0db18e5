"""Sentence vectors kept in the store by text digest, so that no text is embedded twice.

The claims step embeds the texts it compares (claims, and above ``--block-claims-above``
the documents' leads). A run on a grown store meets mostly texts an earlier run embedded
already; their vectors are in the store's ``vector_cache`` table, keyed by a digest of the
text and of the model (its files, the torch version and the batching scheme), and are read
instead of running MiniLM again. Only the texts not found there are embedded; the table is
then replaced, with the step's other tables, by the vectors this run used (cached and new),
so it never holds more than the store's current texts and is the same whether the run was
incremental or from scratch.

That is only right if a text's vector is a function of the text alone, whatever batch it
was embedded in: :mod:`sourcetrace.link.embeddings` runs float32 batches of one token count
on one torch thread each for that (why, and what was measured, is there).

The stages are declared once (:func:`vector_stages`) and run by both engines; each engine
reads the ``vector_cache`` table of the store and replaces it with what the step writes.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from sourcetrace.config import SENTENCE_MODEL
from sourcetrace.corpus import PerGroup, Sql, Stage
from sourcetrace.link.embeddings import MIN_ROWS, model_path
from sourcetrace.tables import CACHES

TABLE = "vector_cache"
COLUMNS = CACHES[TABLE]
VECTOR = {"key": "VARCHAR", "vector": "FLOAT[]"}
# How the model is run: part of the model digest, since the floats depend on it (vectors of
# the float64 pass used before are never mixed with these).
SCHEME = (f"float32, batches of one token count, one torch thread, at least "
          f"{MIN_ROWS} rows")
_DIGESTS = {"key": "VARCHAR", "digest": "VARCHAR"}
_TEXTS = {"text": "VARCHAR", "batch": "INTEGER", "pos": "INTEGER"}
_TEXT_CHUNKS = {"text": "VARCHAR", "klen": "INTEGER", "batch": "INTEGER", "pos": "INTEGER"}
# Texts per call of the digest stage (any grouping does).
_CHUNK = 2048
# Texts per call of the embedding stage: encode_batches re-batches them by token count, so
# a call needs many texts for full batches; any grouping gives the same floats.
ENCODE_GROUP = 1024


def text_digest(key: str) -> str:
    """A text's cache key (its whitespace already folded)."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=20).hexdigest()


@lru_cache(maxsize=1)
def model_digest() -> str:
    """What a cached vector was made with: every file of the packaged model, the torch
    version and the batching scheme. Vectors made with anything else are never read."""
    import torch

    root = model_path()
    h = hashlib.blake2b(digest_size=16)
    for part in (SENTENCE_MODEL, torch.__version__, SCHEME):
        h.update(part.encode() + b"\0")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def digest_texts(group: dict[str, list[dict[str, Any]]], context: Any,
                 output: str) -> dict[str, Any]:
    """A chunk of distinct texts -> each text's digest."""
    texts = [r["text"] for r in group["texts"]]
    return {output: {"key": texts, "digest": [text_digest(t) for t in texts]}}


def encode_batch(group: dict[str, list[dict[str, Any]]], context: Any,
                 output: str) -> dict[str, Any]:
    """A group of texts (in position order) -> a vector per text."""
    from sourcetrace.link.embeddings import encode_batches

    texts = [r["text"] for r in group["texts"]]
    [vectors] = encode_batches([texts])
    return {output: [{"key": t, "vector": v.tolist()}
                     for t, v in zip(texts, vectors, strict=True)]}


def vector_stages(name: str, source: str, min_chars: int = 3) -> list[Stage]:
    """The stages giving output ``name`` (``key``, ``vector``) for the distinct texts
    (``key``, their whitespace folded; ``klen`` their length) of the SQL ``source``: from
    the cache when it holds them, else embedded. Texts shorter than ``min_chars`` get no
    row (a zero vector for the step). The SQL names ``{vector_model}``, a step parameter
    (:func:`model_digest`)."""
    texts = (f"SELECT key AS text, klen, CAST(floor((rn - 1) / {_CHUNK}) AS INTEGER) AS batch, "
             "CAST(0 AS INTEGER) AS pos FROM ("
             "SELECT key, klen, row_number() OVER (ORDER BY key) AS rn FROM ("
             f"SELECT DISTINCT key, klen FROM ({source}) AS s WHERE klen >= {min_chars}"
             ") AS k) AS o")
    cached = (f'SELECT d.key, c.vector FROM "{name}_digests" d JOIN {TABLE} c '
              "ON c.digest = d.digest AND c.model = '{vector_model}'")
    # the texts to embed in groups formed from their set alone, longest first (texts of one
    # group have close token counts: full model batches), ties by text, ENCODE_GROUP a
    # group; the floats do not depend on the group anyway
    batches = (
        f"SELECT text, CAST(floor((rn - 1) / {ENCODE_GROUP}) AS INTEGER) AS batch, "
        f"CAST((rn - 1) % {ENCODE_GROUP} AS INTEGER) AS pos FROM ("
        "SELECT t.text, row_number() OVER (ORDER BY t.klen DESC, t.text) AS rn "
        f'FROM "{name}_texts" t LEFT JOIN ({cached}) AS c ON c.key = t.text '
        "WHERE c.key IS NULL) AS o"
    )
    return [
        Sql(f"{name}_texts", texts, _TEXT_CHUNKS),
        PerGroup({"texts": f'SELECT text, batch FROM "{name}_texts"'}, key=("batch",),
                 fn=_partial(digest_texts, f"{name}_digests"),
                 outputs={f"{name}_digests": _DIGESTS}, order={"texts": ("text",)}),
        Sql(f"{name}_batches", batches, _TEXTS),
        PerGroup({"texts": f'SELECT * FROM "{name}_batches"'}, key=("batch",),
                 fn=_partial(encode_batch, f"{name}_new"),
                 outputs={f"{name}_new": VECTOR}, order={"texts": ("pos",)}),
        Sql(name, f'{cached} UNION ALL SELECT key, vector FROM "{name}_new"', VECTOR),
    ]


def cache_rows(names: list[str]) -> Sql:
    """The step's new ``vector_cache``: the vectors of every text this run used, each once
    (a text that is both a lead and a claim has one vector: a text's vector depends on
    the text alone, so ``UNION`` leaves one row a digest)."""
    used = " UNION ".join(
        f"SELECT d.digest, '{{vector_model}}' AS model, v.vector FROM \"{n}\" v "
        f'JOIN "{n}_digests" d ON d.key = v.key'
        for n in names)
    return Sql(f"{TABLE}_rows", used, COLUMNS)


def _partial(fn: Any, output: str) -> Any:
    from functools import partial

    return partial(fn, output=output)
