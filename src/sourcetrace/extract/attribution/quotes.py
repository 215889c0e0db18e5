"""Find quotations in raw text: curly and straight double quotes, and single curly quotes.

Two straight apostrophes ('') count as a double quotation mark. A quotation may run over
several paragraphs: by newspaper convention a paragraph that
continues a quote opens with a quotation mark but the previous paragraph is left unclosed, so
an opening mark after a paragraph break, while a quote is open, continues that quote.
"""

from __future__ import annotations

import re

OPEN_DOUBLE = "“„«"
CLOSE_DOUBLE = "”»"
QUOTE_CHARS = set("“”„«»\"‘’'")

_PARA = re.compile(r"\n\s*\n|\n")


def _is_opening(text: str, i: int) -> bool:
    """A straight quote opens when it follows a space, a line start or an opening bracket."""
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if before.isspace() or before in "([{—–-/:":
        return not after.isspace()
    return False


def find_quotes(text: str, min_chars: int = 2) -> list[tuple[int, int]]:
    """Character spans (start at the opening mark, end after the closing mark) of quotations.

    Double quotes are paired first; single curly quotes (‘…’) are kept only where they do not
    lie inside a double-quoted span and look like a quotation rather than apostrophes.
    """
    # Two apostrophes stand for a double quote in some archives (''Even today,'' he said):
    # read them as one double quote followed by a placeholder, then take the second back in.
    text = text.replace("''", '"\x01')
    spans = [(a, b + 1 if text[b : b + 1] == "\x01" else b) for a, b in _pair(text, True)]
    singles = [
        s for s in _pair(text, double=False)
        if not any(a <= s[0] < b for a, b in spans) and " " in text[s[0]:s[1]]
    ]
    spans = sorted(spans + singles)
    return [(a, b) for a, b in spans if b - a - 2 >= min_chars]


def _pair(text: str, double: bool) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for i, ch in enumerate(text):
        if double:
            if ch in OPEN_DOUBLE:
                kind = "open"
            elif ch in CLOSE_DOUBLE:
                kind = "close"
            elif ch == '"':
                kind = "open" if start is None and _is_opening(text, i) else "close"
                if start is not None and _is_opening(text, i) and "\n" in text[start:i]:
                    kind = "open"  # a new paragraph re-opening the quote
            else:
                continue
        else:
            if ch == "‘" or (ch == "'" and _is_opening(text, i)):
                kind = "open"
            elif ch in "’'":
                after = text[i + 1] if i + 1 < len(text) else " "
                if after.isalpha():  # an apostrophe: don't, it's
                    continue
                if start is None:
                    continue
                kind = "close"
            else:
                continue
        if kind == "open":
            if start is not None and "\n" in text[start:i] and _para_start(text, i):
                continue  # continuation paragraph of a multi-paragraph quote
            if start is not None and not double:
                continue  # nested single quotes are rare; keep the outer one
            start = i
        elif start is not None:
            spans.append((start, i + 1))
            start = None
    return spans


def _para_start(text: str, i: int) -> bool:
    """True when position i is the first non-space character of a line."""
    j = i - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    return j < 0 or text[j] == "\n"
