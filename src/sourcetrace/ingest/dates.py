"""Publication dates from any source, normalised to ISO 8601."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

ENGLISH = ["en"]
# Month names of the languages metadata sheets most often come in besides English.
OTHER_LANGUAGES = ["de", "fr", "es", "it", "nl", "pt"]
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _format(value: datetime) -> str:
    # Midnight without a zone almost always means the source only gave a day.
    if value.tzinfo is None and (value.hour, value.minute, value.second) == (0, 0, 0):
        return value.date().isoformat()
    return value.isoformat(timespec="seconds")


@lru_cache(maxsize=1)
def _dateparser() -> Any:
    # dateparser takes a noticeable time to import; most inputs are ISO already.
    import dateparser

    return dateparser


def to_iso(value: Any) -> str | None:
    """ISO 8601 date (``YYYY-MM-DD``) or datetime for a string, datetime, date or
    ``time.struct_time`` (feedparser); None when it cannot be read as a date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _format(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time.struct_time):
        # feedparser gives UTC struct_times.
        return _format(datetime(*value[:6], tzinfo=UTC))
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Unix timestamps in seconds (milliseconds when too large to be seconds).
        seconds = value / 1000 if value > 1e11 else value
        return _format(datetime.fromtimestamp(seconds, tz=UTC))
    text = str(value).strip()
    if not text:
        return None
    if _DATE_ONLY.match(text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    try:
        return _format(datetime.fromisoformat(text))
    except ValueError:
        pass
    parsed = _parse_words(text, ENGLISH)
    if parsed is None and any(c.isdigit() for c in text):
        parsed = _parse_words(text, OTHER_LANGUAGES)
    return _format(parsed) if parsed else None


def _parse_words(text: str, languages: list[str]) -> datetime | None:
    # Naming the languages matters: left to guess among all of them, dateparser spends
    # seconds on a string that is no date at all.
    return _dateparser().parse(
        text,
        languages=languages,
        settings={
            "PREFER_DAY_OF_MONTH": "first",
            "RETURN_AS_TIMEZONE_AWARE": False,
            # "yesterday" would depend on when we run: only absolute dates are reproducible.
            "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
        },
    )
