"""URL lists: one URL a line, fetched only when the caller allows it (``--fetch``)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from configparser import ConfigParser
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from sourcetrace.ingest.checks import read_text
from sourcetrace.ingest.html import extract_page
from sourcetrace.ingest.ids import url_id
from sourcetrace.ingest.options import IngestOptions
from sourcetrace.ingest.plain import read_plain
from sourcetrace.ingest.readers import ReadProblem, register
from sourcetrace.model import Document, IngestError

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def _all_urls(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return bool(lines) and all(_URL.match(line.strip()) for line in lines)


def looks_like_url_list(head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace")
    if len(head) >= 4096 and "\n" in text:
        text = text[: text.rindex("\n")]  # the last line may be cut by the sniff window
    return _all_urls(text)


def _names_local_host(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


@lru_cache(maxsize=1)
def _local_config() -> ConfigParser:
    from trafilatura.settings import DEFAULT_CONFIG

    config = ConfigParser()
    config.read_dict(DEFAULT_CONFIG)
    config["DEFAULT"]["SSRF_PROTECTION"] = "off"
    return config


def _fetch(url: str) -> str | None:
    import trafilatura
    from trafilatura.settings import DEFAULT_CONFIG

    # trafilatura refuses non-public addresses, which guards against a public page redirecting
    # to an internal one. A URL the user listed with a local or private address (an intranet
    # archive, a test server) is asked for explicitly, so it is fetched; redirects from public
    # URLs stay guarded.
    config = _local_config() if _names_local_host(url) else DEFAULT_CONFIG
    return trafilatura.fetch_url(url, config=config)


def _read_urls(path: Path, text: str, options: IngestOptions) -> Iterator[Document | IngestError]:
    entries = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1)]
    urls = [(n, u) for n, u in entries if u and not u.startswith("#")]
    if not options.fetch:
        raise ReadProblem(
            f"a list of {len(urls)} URLs: fetching pages needs --fetch (off by default)"
        )
    for number, url in urls:
        if not _URL.match(url):
            yield IngestError(str(path), f"not a URL: {url[:80]!r}", line=number)
            continue
        html = _fetch(url)
        if not html:
            yield IngestError(str(path), f"could not fetch {url}", line=number, doc_id=url_id(url))
            continue
        page = extract_page(html, url=url)
        if page is None:
            yield IngestError(
                str(path), f"no article text found at {url}", line=number, doc_id=url_id(url)
            )
            continue
        yield Document(
            id=url_id(url), text=page.text, title=page.title, outlet=page.outlet,
            outlet_inferred=page.inferred, url=url,
            published=page.published, source_path=str(path),
            extra={"canonical_url": page.url} if page.url and page.url != url else {},
        )


@register(".urls", name="URL list")
def read_url_file(path: Path, options: IngestOptions) -> Iterator[Document | IngestError]:
    yield from _read_urls(path, read_text(path), options)


@register(".txt", name="URL list", sniff=looks_like_url_list, priority=50)
def read_url_txt(path: Path, options: IngestOptions) -> Iterator[Document | IngestError]:
    text = read_text(path)
    if not _all_urls(text):
        # Only the start of the file was URLs: it is an article after all.
        yield from read_plain(path, options)
        return
    yield from _read_urls(path, text, options)
