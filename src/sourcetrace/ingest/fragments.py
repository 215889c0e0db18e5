"""Plain text from HTML fragments (feed entries), keeping paragraph breaks."""

from __future__ import annotations

import html as html_lib
import re

from lxml import etree
from lxml import html as lxml_html

_BLOCKS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "table", "tr", "section", "article", "figure", "figcaption", "header", "footer",
}
_DROP = {"script", "style", "noscript", "iframe", "svg"}
_SPACES = re.compile(r"[ \t\u00a0]+")
_BREAKS = re.compile(r"\s*\n\s*\n\s*")


def fragment_text(fragment: str) -> str:
    """The readable text of an HTML fragment: blocks become paragraphs separated by a blank
    line, runs of spaces collapse. Plain text passes through unchanged but for spacing."""
    if "<" not in fragment:
        return _tidy(html_lib.unescape(fragment))
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)))
    parts: list[str] = []

    def walk(element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _DROP:
            parts.append(element.tail or "")
            return
        block = tag in _BLOCKS
        if block:
            parts.append("\n\n")
        parts.append(element.text or "")
        for child in element:
            walk(child)
        if block:
            parts.append("\n\n")
        parts.append(element.tail or "")

    walk(root)
    return _tidy("".join(parts))


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BREAKS.sub("\n\n", "\n".join(lines)).strip()
