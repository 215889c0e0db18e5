"""Per-doc indexes of spans, for components that ask a question of every mention.

spaCy builds ``doc.ents`` anew from the tokens at every access, and ``Span.ents`` reads
``doc.ents`` in full: asking it once per source or per line makes a component's cost grow
with the square of the document's length. An index is built once per doc instead.
"""

from __future__ import annotations

from bisect import bisect_left

from spacy.tokens import Doc, Span


class EntityIndex:
    """The doc's entities, sorted by start as ``doc.ents`` gives them, read once."""

    def __init__(self, doc: Doc) -> None:
        self.ents = doc.ents
        self.starts = [e.start for e in self.ents]

    def within(self, span: Span) -> list[Span]:
        """The entities that fall completely within ``span``: ``span.ents``, found by
        bisection (entities do not overlap, so those inside a span are consecutive)."""
        out = []
        for k in range(bisect_left(self.starts, span.start), len(self.ents)):
            ent = self.ents[k]
            if ent.end > span.end:
                break
            out.append(ent)
        return out
