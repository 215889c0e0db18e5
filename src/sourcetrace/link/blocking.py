"""Blocking: which claims could match a claim of another document, so that only they are
embedded.

Embedding a claim with MiniLM costs about as much per word as spaCy's whole parse, and most
claims of a mixed corpus have no counterpart anywhere else. Before the claims step embeds
anything it keeps a claim for matching when at least one of these holds:

1. **Same story.** Its document tells the same story as another document: the MiniLM cosine
   of the two documents' leads (title and first ``LEAD_WORDS`` words) reaches ``SAME_STORY``,
   and they were published at most ``STORY_DAYS`` apart (when both dates are known).
   One short text per document is embedded for this. On our example corpora, articles on
   one event score 0.6-0.94 with their closest sibling; unrelated political news mostly
   stays below 0.4.
2. **Shared wording.** It shares most of its content words with a claim of another document
   (Ochiai overlap of the matcher's content tokens >= ``SHARED_WORDING``, with at least
   ``MIN_SHARED`` words in common): a quote or a talking point repeated inside an otherwise
   unrelated article.
3. **Copied.** It sits in a passage the reuse step aligned with another document.

Blocking starts above ``Settings.block_claims_above`` claims (default 2,000, about 50
articles; ``--block-claims-above`` on the command line): below it every claim is embedded,
which takes seconds. Every other claim keeps a zero vector: it becomes a singleton cluster
without touching the model. The price is that a paraphrase (little shared wording) in an
article on another story is not matched; on 150 AllSides articles nearly every such link the
full matcher made was a topical look-alike rather than the same claim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np
from scipy import sparse

from sourcetrace.link.embeddings import embed
from sourcetrace.link.matching import content_tokens

LEAD_WORDS = 40
SAME_STORY = 0.5
SHARED_WORDING = 0.5
# ... and at least this many content words in common: two-word fragments ("the White House")
# overlap half of every claim that names the same thing.
MIN_SHARED = 3
# Tokens in more claims than this do not propose pairs on their own (they still count in
# the overlap of the pairs proposed), which keeps the sparse product small on big corpora.
COMMON_TOKEN_CLAIMS = 200
# Two documents more than this many days apart are not the same story (when both dates are
# known): a news story lives for days, and political news of other years reads alike.
STORY_DAYS = 7
ROW_BLOCK = 2000


def lead(document: dict[str, Any], words: int = LEAD_WORDS) -> str:
    """A document's title and first words: what the story is about."""
    text = f"{document.get('title') or ''} {document.get('text') or ''}"
    return " ".join(text.split()[:words])


def _day(published: str | None) -> float:
    """Days since 0001-01-01 of an ISO date or datetime, NaN when unknown or unreadable."""
    if not published:
        return float("nan")
    try:
        return float(date.fromisoformat(str(published)[:10]).toordinal())
    except ValueError:
        return float("nan")


def same_story_documents(
    documents: Sequence[dict[str, Any]],
    embed_texts: Callable[[list[str]], np.ndarray] = embed,
) -> set[str]:
    """Ids of documents whose lead is at least ``SAME_STORY`` similar to another's.
    ``embed_texts``: :func:`~sourcetrace.link.embeddings.embed`, or the same running its
    batches elsewhere (the Spark engine's executors)."""
    if len(documents) < 2:
        return set()
    # In id order, so that the blocks of the similarity product (and their floats) do not
    # depend on the order the store returned the documents in.
    documents = sorted(documents, key=lambda d: d["id"])
    vectors = embed_texts([lead(d) for d in documents])
    days = np.array([_day(d.get("published")) for d in documents])
    related: set[str] = set()
    for lo in range(0, len(documents), ROW_BLOCK):
        sims = vectors[lo : lo + ROW_BLOCK] @ vectors.T
        for k in range(sims.shape[0]):
            sims[k, lo + k] = -1.0  # not with itself
        # NaN (an unknown date) compares False: it never keeps two documents apart.
        sims[np.abs(days[lo : lo + ROW_BLOCK, None] - days[None, :]) > STORY_DAYS] = -1.0
        for k in np.flatnonzero(sims.max(axis=1) >= SAME_STORY):
            related.add(documents[lo + int(k)]["id"])
    return related


def shared_wording_claims(texts: Sequence[str], docs: Sequence[str]) -> set[int]:
    """Indices of claims whose content words overlap a claim of another document by at
    least ``SHARED_WORDING`` (Ochiai)."""
    vocab: dict[str, int] = {}
    indptr, indices = [0], []
    for text in texts:
        cols = sorted({vocab.setdefault(t, len(vocab)) for t in content_tokens(text)})
        indices.extend(cols)
        indptr.append(len(indices))
    n = len(texts)
    if n < 2 or not vocab:
        return set()
    full = sparse.csr_matrix(
        (np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(n, len(vocab))
    )
    size = np.asarray(full.sum(axis=1)).ravel()
    df = np.asarray(full.sum(axis=0)).ravel()
    rare = full[:, np.flatnonzero(df <= COMMON_TOKEN_CLAIMS)].tocsr()
    doc_index = {d: k for k, d in enumerate(dict.fromkeys(docs))}
    doc_of = np.array([doc_index[d] for d in docs])
    found: set[int] = set()
    for lo in range(0, n, ROW_BLOCK):
        proposed = (rare[lo : lo + ROW_BLOCK] @ rare.T).tocoo()
        rows, cols = proposed.row + lo, proposed.col
        keep = doc_of[rows] != doc_of[cols]
        rows, cols = rows[keep], cols[keep]
        if not len(rows):
            continue
        inter = np.asarray(full[rows].multiply(full[cols]).sum(axis=1)).ravel()
        ochiai = inter / np.sqrt(size[rows] * size[cols])
        found.update(int(i) for i in rows[(ochiai >= SHARED_WORDING) & (inter >= MIN_SHARED)])
    return found


def claims_to_embed(
    claims: Sequence[Any], documents: Sequence[dict[str, Any]], copied: set[tuple[int, int]],
    embed_texts: Callable[[list[str]], np.ndarray] = embed,
) -> np.ndarray:
    """Boolean mask over ``claims`` (objects with ``doc`` and ``text``): the claims that
    could match a claim of another document (see the module docstring)."""
    mask = np.zeros(len(claims), dtype=bool)
    if len({c.doc for c in claims}) < 2:
        return mask
    related = same_story_documents(documents, embed_texts)
    mask |= np.array([c.doc in related for c in claims], dtype=bool)
    for i in shared_wording_claims([c.text for c in claims], [c.doc for c in claims]):
        mask[i] = True
    for i, j in copied:
        mask[i] = mask[j] = True
    return mask
