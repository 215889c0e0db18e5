"""Document ids derived from URLs; outlets inferred from hosts and wire credits."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit


def url_id(url: str) -> str:
    """A stable id for a document known only by its URL."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def host_outlet(url: str | None) -> str | None:
    """The URL's host without ``www.``: the best outlet name when nothing else says one."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.")


# A wire dateline credit at the start of a line near the top: "WASHINGTON (Reuters) -",
# "KYIV, Ukraine, March 3 (AP) --", "(CNN) --". The place (capitals, then optional ", Region"
# and ", Month day") is optional; the credit is one to four capitalised words.
_CREDIT = re.compile(
    r"^[ \t]*(?:[A-Z][A-Z.'\- ]+(?:,[ \t]*[A-Z][A-Za-z.'\- ]+?)*"
    r"(?:,[ \t]*[A-Z][a-z]{2,8}\.?[ \t]+\d{1,2})?[ \t]*)?"
    r"\(((?:[A-Z][\w&.'\-]*)(?:[ \t][A-Z][\w&.'\-]*){0,3})\)[ \t]*(?:-{1,2}|\u2014|\u2013)",
    re.MULTILINE,
)
CREDIT_SEARCH_CHARS = 400  # a dateline sits in the first lines, after at most a headline
NOT_CREDITS = {"update", "updated", "corrected", "correction", "video", "photos", "live"}


def wire_credit(text: str) -> str | None:
    """The agency a wire dateline credits ("Reuters" for "LONDON (Reuters) - ..."), or
    None."""
    found = _CREDIT.search(text[:CREDIT_SEARCH_CHARS])
    if found is None or found.group(1).split()[0].lower() in NOT_CREDITS:
        return None
    return found.group(1)
