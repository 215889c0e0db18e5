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

The same blocks decide which pairs are compared: a claim is compared with the claims of the
documents on its story (its document's same-story pairs) and with the claims it shares
wording with; copied claims are linked by the reuse alignment itself. So the candidate
search costs the sum, over same-story document pairs, of their claims' product: it grows
with the corpus when stories do (a few documents each), not with the square of the claims.

Blocking starts above ``Settings.block_claims_above`` claims (default 2,000, about 50
articles; ``--block-claims-above`` on the command line): below it every claim is embedded,
which takes seconds. Every other claim keeps a zero vector: it becomes a singleton cluster
without touching the model. The price is that a paraphrase (little shared wording) in an
article on another story is not matched; on 150 AllSides articles nearly every such link the
full matcher made was a topical look-alike rather than the same claim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy import sparse

from sourcetrace.link.embeddings import embed
from sourcetrace.link.matching import content_tokens, dot

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


def same_story_pairs(
    documents: Sequence[dict[str, Any]],
    embed_texts: Callable[[list[str]], np.ndarray] = embed,
) -> set[tuple[str, str]]:
    """Pairs of document ids ``(a, b)``, ``a < b``, whose leads are at least ``SAME_STORY``
    similar and which were published at most ``STORY_DAYS`` apart (when both dates are
    known). ``embed_texts``: :func:`~sourcetrace.link.embeddings.embed`, or the same running
    its batches elsewhere (the Spark engine's executors)."""
    if len(documents) < 2:
        return set()
    # In id order, so that the blocks of the similarity product (and their floats) do not
    # depend on the order the store returned the documents in.
    documents = sorted(documents, key=lambda d: d["id"])
    vectors = embed_texts([lead(d) for d in documents])
    days = np.array([_day(d.get("published")) for d in documents])
    return story_pairs([d["id"] for d in documents], days, vectors)


def story_pairs(ids: Sequence[str], days: np.ndarray, vectors: np.ndarray) -> set[tuple[str, str]]:
    """The same-story pairs among documents (in id order) given their publication days
    (NaN when unknown) and lead vectors."""
    pairs: set[tuple[str, str]] = set()
    for lo in range(0, len(ids), ROW_BLOCK):
        sims = dot(vectors[lo : lo + ROW_BLOCK], vectors)
        for k in range(sims.shape[0]):
            sims[k, lo + k] = -1.0  # not with itself
        # NaN (an unknown date) compares False: it never keeps two documents apart.
        sims[np.abs(days[lo : lo + ROW_BLOCK, None] - days[None, :]) > STORY_DAYS] = -1.0
        rows, cols = np.nonzero(sims >= SAME_STORY)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            a, b = ids[lo + r], ids[c]
            pairs.add((a, b) if a < b else (b, a))
    return pairs


def same_story_documents(
    documents: Sequence[dict[str, Any]],
    embed_texts: Callable[[list[str]], np.ndarray] = embed,
) -> set[str]:
    """Ids of documents whose lead is at least ``SAME_STORY`` similar to another's."""
    return {d for pair in same_story_pairs(documents, embed_texts) for d in pair}


def shared_wording_pairs(
    texts: Sequence[str], docs: Sequence[str]
) -> set[tuple[int, int]]:
    """Pairs of claim indices ``(i, j)``, ``i < j``, of different documents whose content
    words overlap by at least ``SHARED_WORDING`` (Ochiai) with ``MIN_SHARED`` words in
    common."""
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
    found: set[tuple[int, int]] = set()
    for lo in range(0, n, ROW_BLOCK):
        proposed = (rare[lo : lo + ROW_BLOCK] @ rare.T).tocoo()
        rows, cols = proposed.row + lo, proposed.col
        keep = doc_of[rows] != doc_of[cols]
        rows, cols = rows[keep], cols[keep]
        if not len(rows):
            continue
        inter = np.asarray(full[rows].multiply(full[cols]).sum(axis=1)).ravel()
        ochiai = inter / np.sqrt(size[rows] * size[cols])
        keep = (ochiai >= SHARED_WORDING) & (inter >= MIN_SHARED)
        found.update(
            (min(i, j), max(i, j))
            for i, j in zip(rows[keep].tolist(), cols[keep].tolist(), strict=True)
        )
    return found


def shared_wording_claims(texts: Sequence[str], docs: Sequence[str]) -> set[int]:
    """Indices of claims whose content words overlap a claim of another document by at
    least ``SHARED_WORDING`` (Ochiai)."""
    return {i for pair in shared_wording_pairs(texts, docs) for i in pair}


@dataclass
class Blocks:
    """What the blocking decided: which claims are embedded, and which pairs are compared.

    ``embed``: mask over the claims. ``related``: document -> the documents telling the same
    story. ``pairs``: claim index pairs proposed outright (shared wording). Candidate pairs
    are then searched only between related documents plus these pairs (see
    :meth:`sourcetrace.link.matching.ClaimSet.candidates_within`), so the candidate search
    grows with the number of same-story document pairs, not with the square of the claims.
    """

    embed: np.ndarray
    related: dict[str, set[str]] = field(default_factory=dict)
    pairs: set[tuple[int, int]] = field(default_factory=set)


def block_claims(
    claims: Sequence[Any], documents: Sequence[dict[str, Any]], copied: set[tuple[int, int]],
    embed_texts: Callable[[list[str]], np.ndarray] = embed,
) -> Blocks:
    """The blocks of ``claims`` (objects with ``doc`` and ``text``): see the module
    docstring and :class:`Blocks`."""
    blocks = Blocks(embed=np.zeros(len(claims), dtype=bool))
    if len({c.doc for c in claims}) < 2:
        return blocks
    for a, b in same_story_pairs(documents, embed_texts):
        blocks.related.setdefault(a, set()).add(b)
        blocks.related.setdefault(b, set()).add(a)
    blocks.embed |= np.array([c.doc in blocks.related for c in claims], dtype=bool)
    blocks.pairs = shared_wording_pairs([c.text for c in claims], [c.doc for c in claims])
    for i, j in blocks.pairs | copied:
        blocks.embed[i] = blocks.embed[j] = True
    return blocks


def claims_to_embed(
    claims: Sequence[Any], documents: Sequence[dict[str, Any]], copied: set[tuple[int, int]],
    embed_texts: Callable[[list[str]], np.ndarray] = embed,
) -> np.ndarray:
    """Boolean mask over ``claims`` (objects with ``doc`` and ``text``): the claims that
    could match a claim of another document (see the module docstring)."""
    return block_claims(claims, documents, copied, embed_texts).embed
