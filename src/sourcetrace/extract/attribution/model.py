"""The Attribution record the component leaves on ``doc._.attributions``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Values of ``source_kind`` (tables.py: attributions.source_kind).
KINDS = ("person", "organisation", "anonymous", "vague", "outlet")


@dataclass
class Attribution:
    """Who (source) says (cue) what (content), as character offsets into ``doc.text``.

    ``source_start == source_end`` with ``source_text == ""`` marks an implicit source: a
    passive or agentless attribution ("X has been accused of ...", "it is claimed that ...",
    "X reportedly ...") whose speaker the text does not name; its kind is ``vague`` and the
    empty span sits at the cue so that it still orders and locates with the sentence.

    ``content`` lists the fragments of the content in text order: a quote split around its
    cue ("“A,” she said, “B.”") has two, and ``content_texts`` their texts.
    ``content_start``/``content_end`` cover all of them and ``content_text`` is always the
    document's text between those two offsets (the cue between fragments included), so that
    offsets and text never disagree; ``content_claim`` joins the fragments alone.
    """

    source_start: int
    source_end: int
    source_text: str
    cue_start: int
    cue_end: int
    cue_text: str
    content: list[tuple[int, int]]
    source_kind: str = "vague"
    source_resolved: str = ""
    hedged: bool = False
    sentence: int = 0
    parent: int | None = None  # index of the enclosing attribution in doc._.attributions
    rule: str = ""  # which construction produced it (for debugging and evaluation)
    content_texts: list[str] = field(default_factory=list)
    content_whole: str = ""  # doc.text[content_start:content_end], set by rules.finish

    @property
    def content_start(self) -> int:
        return self.content[0][0]

    @property
    def content_end(self) -> int:
        return self.content[-1][1]

    @property
    def content_text(self) -> str:
        if self.content_whole or len(self.content) == 1:
            return self.content_whole or self.content_texts[0]
        raise ValueError("content_text of a split content needs the document text "
                         "(rules.finish sets it)")

    @property
    def content_claim(self) -> str:
        """The fragments alone, joined with a space (what the source is reported to say)."""
        return " ".join(self.content_texts)

    @property
    def implicit_source(self) -> bool:
        return self.source_start == self.source_end

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["content_text"] = self.content_text
        data.pop("content_whole", None)
        return data
