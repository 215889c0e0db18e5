"""Article-derived text made safe to print on a terminal.

Article text, titles, outlet names and document ids come from files we do not control. Printed
raw, an escape sequence in them can clear the screen, set the window title or rewrite what
was printed before it, and a bidi override (U+202E) reverses the text around it. Every command
passes such text through :func:`printable` (human output) or :func:`dumps` (JSON on stdout)
before it reaches the terminal.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, and the bidi embedding, override and
# isolate characters (with the marks LRM, RLM and ALM), which reorder the text around them.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# The same less what JSON escapes itself (all of C0): what ``ensure_ascii=False`` leaves raw.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control character shown as a visible escape (``\\x1b``,
    ``\\u202e``): what it was stays readable, and the terminal never acts on it."""
    return _UNSAFE.sub(_escape, str(text))


def dumps(data: Any, indent: int | None = 1) -> str:
    """JSON for stdout: non-ASCII text kept readable, but the characters a terminal would act
    on written as ``\\uXXXX`` escapes, so the JSON still parses to the same data."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def printable_data(data: Any) -> Any:
    """``data`` (JSON-shaped: dicts, lists, strings...) with :func:`printable` applied to every
    string in it, keys included: for renderers that print many fields of it."""
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, dict):
        return {printable_data(k): printable_data(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [printable_data(v) for v in data]
    return data
