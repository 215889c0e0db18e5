"""Sentence vectors are a function of their text alone, kept in the store by text digest, and
a run on a grown store embeds no text an earlier run embedded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.config import Settings
from sourcetrace.link import embeddings, vector_cache
from sourcetrace.link.claims import claims_step
from sourcetrace.outputs.store import AnalysisStore
from test_claims import make_doc

# Our own sentences: several token counts, some sharing one, so that batches hold several
# texts and texts of other lengths sit next to them in the old length-sorted batches.
SENTENCES = [
    "The harbour authority closed the northern pier after a crane collapsed on Monday.",
    "A crane collapsed at the northern pier, the harbour authority said.",
    "Officials said the pier would stay closed for at least two weeks.",
    "The regional bus company raised its fares by eight percent.",
    "Bus fares in the region went up eight percent this month.",
    "Heavy rain flooded the lower town and cut the railway line to the coast.",
    "The railway line to the coast was cut by floods in the lower town.",
    "The mayor promised new flood barriers before next winter.",
    "Teachers in the district voted to strike over pay.",
    "A district teachers' union announced a strike over wages on Friday.",
    "Ok.",
]


def _recording(monkeypatch: Any) -> list[list[str]]:
    """Every model batch run from now on (the texts given to MiniLM)."""
    calls: list[list[str]] = []
    real = embeddings.encode_batches

    def encode(batches: list[list[str]]) -> list[np.ndarray]:
        calls.extend(batches)
        return real(batches)

    monkeypatch.setattr(embeddings, "encode_batches", encode)
    return calls


def test_a_text_has_the_same_floats_in_any_batch() -> None:
    """embed() of all the texts at once, of each text alone and of a few of them: the
    same vectors bit for bit (with padding in the batch they moved in the 7th digit)."""
    texts = SENTENCES[:-1]
    together = embeddings.embed(texts)
    alone = np.vstack([embeddings.embed([t]) for t in texts])
    some = embeddings.embed(texts[::3] + ["Something else entirely was said by nobody."])
    assert np.array_equal(together, alone)
    assert np.array_equal(together[::3], some[:-1])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def _documents(names: str) -> list[tuple[Any, dict[str, Any]]]:
    docs = []
    for k, name in enumerate(names):
        lines = SENTENCES[2 * k : 2 * k + 2] if k < 5 else SENTENCES[-1:]
        doc, rows, _ = make_doc(name, lines, outlet=f"Outlet {name.upper()}",
                                published=f"2025-05-0{k + 1}")
        rows["attributions"] = []
        docs.append((doc, rows))
    return docs


def test_a_second_run_embeds_no_text_twice_and_reads_the_same_floats(
    tmp_path: Path, monkeypatch: Any
) -> None:
    calls = _recording(monkeypatch)
    docs = _documents("abcdef")
    settings = Settings(out=tmp_path, quiet=True, block_claims_above=0)  # leads embedded too
    with AnalysisStore(tmp_path) as store:
        store.save_documents(docs[:3], pipeline_version="t")
        claims_step(store, settings)
        first = [t for batch in calls for t in batch]
        assert first and len(first) == len(set(first))
        calls.clear()
        store.save_documents(docs[3:], pipeline_version="t")
        claims_step(store, settings)
        second = [t for batch in calls for t in batch]
        # texts of the new documents (and old claims they made worth comparing), each once,
        # none of them embedded before
        assert second and not set(second) & set(first)
        assert len(second) == len(set(second))
        assert any(d.text.startswith(t) for t in second for d, _ in docs[3:])  # a new lead
        calls.clear()
        claims_step(store, settings)
        assert calls == []  # nothing new: every vector from the store
        cached = store.con.execute(
            "SELECT digest, model, vector FROM vector_cache ORDER BY digest").fetchall()
        claims = [r["text"] for r in store.read("claims")]
    # the cache holds a vector for every text the run used, made with this model ...
    assert {m for _, m, _ in cached} == {vector_cache.model_digest()}
    by_digest = {d: np.asarray(v, dtype=np.float32) for d, _, v in cached}
    assert len(by_digest) == len(cached)
    keys = sorted(set(first) | set(second))  # (with blocking, unrelated claims are never)
    assert {vector_cache.text_digest(k) for k in keys} == set(by_digest)
    assert set(keys) & set(claims)
    # ... and it is the vector a fresh embedding gives, bit for bit
    fresh = embeddings.embed(keys)
    for key, vector in zip(keys, fresh, strict=True):
        assert np.array_equal(by_digest[vector_cache.text_digest(key)], vector), key


def test_recompute_embeds_every_text_again(tmp_path: Path, monkeypatch: Any) -> None:
    calls = _recording(monkeypatch)
    docs = _documents("abc")
    with AnalysisStore(tmp_path) as store:
        store.save_documents(docs, pipeline_version="t")
        claims_step(store, Settings(out=tmp_path, quiet=True))
        first = sorted(t for batch in calls for t in batch)
        rows = store.con.execute("SELECT * FROM vector_cache ORDER BY digest").fetchall()
        calls.clear()
        claims_step(store, Settings(out=tmp_path, quiet=True))
        assert calls == []  # nothing new: every vector from the store
        claims_step(store, Settings(out=tmp_path, quiet=True, recompute=True))
        assert sorted(t for batch in calls for t in batch) == first
        assert store.con.execute("SELECT * FROM vector_cache ORDER BY digest").fetchall() == rows


def test_vectors_of_another_model_are_never_read(tmp_path: Path, monkeypatch: Any) -> None:
    calls = _recording(monkeypatch)
    docs = _documents("ab")
    with AnalysisStore(tmp_path) as store:
        store.save_documents(docs, pipeline_version="t")
        claims_step(store, Settings(out=tmp_path, quiet=True))
        n = len(calls)
        store.con.execute("UPDATE vector_cache SET model = 'another model'")
        claims_step(store, Settings(out=tmp_path, quiet=True))
        assert len(calls) == 2 * n
        models = store.con.execute("SELECT DISTINCT model FROM vector_cache").fetchall()
    assert models == [(vector_cache.model_digest(),)]
