"""Document ids derived from URLs and outlets derived from hosts."""

from __future__ import annotations

import hashlib
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
