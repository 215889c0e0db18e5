"""Dates: time expressions resolved against the document's publication date.

Spans are spaCy's DATE entities plus patterns the small model misses ("on Monday",
"1999-2009"). Each is resolved with our own rules first (weekdays, decades, year ranges,
"the past month", "last/this/next year|month|week", "yesterday") and dateparser otherwise
(``RELATIVE_BASE`` = publication date, ``PREFER_DATES_FROM`` = "past", or "future" when the
sentence is in the future tense).

Value: an ISO date (YYYY-MM-DD), YYYY-MM or YYYY for coarser expressions, and
``start/end`` for periods ("1999/2009", "1993/1997" for "the mid 90's", "2023-01-13/2023-02-13"
for "over the past month"). ``resolved`` is False, with no value, when the expression is
relative and the publication date unknown. Durations ("two years", "22-year-old") are not
points in time and are left out.

Weekday rule: "on Monday" in a past-tense sentence is the most recent Monday on or before
the publication day (news says "on Monday" for the day of publication itself); "last
Monday" is strictly before it; in a future-tense sentence, the next Monday after it.

This component also runs :func:`sourcetrace.extract.quantities.find_quantities` (one pass
over the entities for numbers and dates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from sourcetrace.extract.quantities import find_quantities
from sourcetrace.model import Document
from sourcetrace.nlp.basic import span_rows
from sourcetrace.registry import row_exporters

if not Doc.has_extension("dates"):
    Doc.set_extension("dates", default=None)
if not Doc.has_extension("st_document"):
    Doc.set_extension("st_document", default=None)

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
_NUMWORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
             "seven": 7, "eight": 8, "nine": 9, "ten": 10, "several": 3, "few": 3}
_LEAD = re.compile(r"^(?:on|in|at|since|by|until|till|from|during|over|for|of|the|early|"
                   r"earlier|later|late)\s+", re.I)
_DURATION = re.compile(
    r"^(?:the\s+)?(?:about\s+|some\s+|nearly\s+|almost\s+|more than\s+|over\s+)?"
    r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|a few|few|many|a|an)"
    r"[\s-]+(?:days?|weeks?|months?|years?|decades?|centuries|hours?)(?:[\s-]+old)?$", re.I)
_AGE = re.compile(r"\d+[\s-]+years?[\s-]+old|\d+-year", re.I)
_RANGE = re.compile(r"^((?:1[89]|20)\d\d)\s*(?:-|–|—|to|until)\s*((?:1[89]|20)?\d\d)$")
_DECADE = re.compile(
    r"^(?:the\s+)?(?:(early|mid|late)[\s-]+)?(?:(1[89]|20)(\d)0|'?(\d)0)\s*'?\s*s$", re.I)
_PAST_SPAN = re.compile(
    r"^(?:the\s+)?(?:past|last|previous)\s+(?:(\d+|[a-z]+)\s+)?(day|week|month|year|decade)s?$",
    re.I)
_REL_UNIT = re.compile(r"^(last|this|next|past|previous|coming)\s+(week|month|year)$", re.I)
_AGO = re.compile(r"^(\d+|[a-z]+)\s+(day|week|month|year)s?\s+ago$", re.I)
# Day-of-week expressions the small NER model often leaves unlabelled.
_EXTRA = re.compile(
    r"\b(?:(?:on|last|next|this|past)\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
    r"Sunday)\b|\b(?:1[89]|20)\d\d\s*[-–]\s*(?:1[89]|20)\d\d\b")


@dataclass
class DateMention:
    start: int
    end: int
    text: str
    value: str | None
    resolved: bool
    token_start: int


def _publication(doc: Doc) -> date | None:
    document = doc._.st_document if Doc.has_extension("st_document") else None
    raw = getattr(document, "published", None)
    if not raw:
        return None
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).date()
    except ValueError:
        parsed = _parser().get_date_data(str(raw))
        return parsed.date_obj.date() if parsed and parsed.date_obj else None


@lru_cache(maxsize=1)
def _parser() -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en"])


def _count(word: str | None) -> int:
    if not word:
        return 1
    return int(word) if word.isdigit() else _NUMWORDS.get(word.lower(), 1)


def _shift_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    day = min(d.day, [31, 29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28, 31, 30, 31,
                      30, 31, 31, 30, 31, 30, 31][m])
    return date(y, m + 1, day)


def resolve(text: str, published: date | None, tense: str = "past") -> tuple[str | None, bool]:
    """(value, resolved) for one expression; see the module docstring."""
    t = " ".join(text.replace("’", "'").split())
    core = t
    while True:
        stripped = _LEAD.sub("", core)
        if stripped == core:
            break
        core = stripped
    low = core.lower().rstrip(".")
    lead = t.lower()

    m = _RANGE.match(core)
    if m:
        a, b = m.group(1), m.group(2)
        if len(b) == 2:
            b = a[:2] + b
        return f"{a}/{b}", True

    m = _DECADE.match(core) or _DECADE.match(t)
    if m:
        part, century, decade, short = m.groups()
        if century:
            start = int(century + decade + "0")
        else:
            d = int(short) * 10
            ref = (published or date.today()).year
            start = (1900 + d) if 2000 + d > ref else 2000 + d
        lo, hi = {"early": (0, 3), "mid": (3, 7), "late": (7, 9), None: (0, 9)}[
            part.lower() if part else None]
        return f"{start + lo}/{start + hi}", True

    has_year = re.search(r"\b(1[5-9]|20)\d\d\b", core) is not None
    if published is None and not has_year:
        return None, False  # relative, and nothing to resolve it against

    base = published or date.today()
    if low in ("today", "tonight", "this morning", "this afternoon", "this evening"):
        return base.isoformat(), True
    if low in ("yesterday", "last night"):
        return (base - timedelta(days=1)).isoformat(), True
    if low == "tomorrow":
        return (base + timedelta(days=1)).isoformat(), True

    words = low.split()
    if words and words[-1] in WEEKDAYS and len(words) <= 2:
        target = WEEKDAYS.index(words[-1])
        qualifier = words[0] if len(words) == 2 else ("last" if "last" in lead.split() else "")
        if qualifier == "next" or (tense == "future" and qualifier not in ("last", "past")):
            delta = (target - base.weekday()) % 7 or 7
            return (base + timedelta(days=delta)).isoformat(), True
        delta = (base.weekday() - target) % 7
        if qualifier in ("last", "past") and delta == 0:
            delta = 7
        return (base - timedelta(days=delta)).isoformat(), True

    m = _PAST_SPAN.match(low)
    if m and m.group(2):
        n = _count(m.group(1))
        unit = m.group(2)
        if unit == "day":
            start = base - timedelta(days=n)
        elif unit == "week":
            start = base - timedelta(weeks=n)
        elif unit == "month":
            start = _shift_months(base, -n)
        elif unit == "year":
            start = _shift_months(base, -12 * n)
        else:
            start = _shift_months(base, -120 * n)
        if low.startswith(("past", "the past")) or n > 1 or "over" in lead.split():
            return f"{start.isoformat()}/{base.isoformat()}", True
        # "last year", "last month", "last week": the previous calendar unit
        return _calendar(base, unit, -1), True

    m = _REL_UNIT.match(low)
    if m:
        step = {"last": -1, "previous": -1, "past": -1, "this": 0, "next": 1, "coming": 1}[
            m.group(1).lower()]
        return _calendar(base, m.group(2).lower(), step), True

    m = _AGO.match(low)
    if m:
        n, unit = _count(m.group(1)), m.group(2).lower()
        if unit == "day":
            return (base - timedelta(days=n)).isoformat(), True
        if unit == "week":
            return (base - timedelta(weeks=n)).isoformat(), True
        if unit == "month":
            return _shift_months(base, -n).strftime("%Y-%m"), True
        return str(base.year - n), True

    return _dateparser(core, base, tense)


def _calendar(base: date, unit: str, step: int) -> str:
    if unit == "year":
        return str(base.year + step)
    if unit == "month":
        return _shift_months(base.replace(day=1), step).strftime("%Y-%m")
    if unit == "decade":
        return f"{(base.year // 10 + step) * 10}/{(base.year // 10 + step) * 10 + 9}"
    # a week: its Monday
    monday = base - timedelta(days=base.weekday()) + timedelta(weeks=step)
    return monday.isoformat()


@lru_cache(maxsize=64)
def _relative_parser(base: date, prefer: str) -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en"], settings={
        "RELATIVE_BASE": datetime(base.year, base.month, base.day),
        "PREFER_DATES_FROM": prefer,
        "RETURN_AS_TIMEZONE_AWARE": False,
    })


# Cached: dateparser takes milliseconds an expression, and the same ones ("Monday", "last
# year") recur against the same publication dates; its answer depends on these three alone
# (one language, a fixed relative base, no memory of earlier calls).
@lru_cache(maxsize=1 << 14)
def _dateparser(text: str, base: date, tense: str) -> tuple[str | None, bool]:
    cleaned = re.sub(r"\bof\b", " ", text)  # "December of 2022"
    cleaned = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", cleaned)  # "August 24th"
    if not re.search(r"\d|" + "|".join(MONTHS) + r"|yesterday|today|tomorrow|ago", cleaned,
                     re.I):
        return None, False  # "the season", "the weekend": no date in it
    prefer = "future" if tense == "future" else "past"
    data = _relative_parser(base, prefer).get_date_data(cleaned)
    if data is None or data.date_obj is None:
        return None, False
    d = data.date_obj.date()
    period = data.period or "day"
    if period == "year":
        return str(d.year), True
    if period == "month":
        return d.strftime("%Y-%m"), True
    return d.isoformat(), True


def _tense(sent: Span) -> str:
    for tok in sent:
        if tok.tag_ == "MD" and tok.lower_ in ("will", "shall", "'ll"):
            return "future"
        if tok.lower_ == "going" and tok.i + 1 < len(tok.doc) and tok.nbor(1).lower_ == "to":
            return "future"
    return "past"


def find_dates(doc: Doc) -> list[DateMention]:
    """The dates of a doc, resolved against the publication date of ``doc._.st_document``
    (set before the pipeline runs, see :func:`sourcetrace.nlp.pipeline.make_doc`)."""
    published = _publication(doc)
    spans: list[Span] = [e for e in doc.ents if e.label_ == "DATE"]
    taken = {i for e in spans for i in range(e.start, e.end)}
    for m in _EXTRA.finditer(doc.text):
        span = doc.char_span(m.start(), m.end(), alignment_mode="contract")
        if span is not None and not any(i in taken for i in range(span.start, span.end)):
            spans.append(span)
            taken.update(range(span.start, span.end))
    out = []
    for span in sorted(spans, key=lambda s: s.start):
        text = span.text
        # "on Monday": the preposition decides nothing, but "last" in front does.
        prev = doc[span.start - 1].lower_ if span.start > 0 else ""
        expr = f"{prev} {text}" if prev in ("last", "next") else text
        if _DURATION.match(text.strip()) or _AGE.search(text):
            continue
        value, ok = resolve(expr, published, _tense(span.sent))
        if value is None and published is not None:
            continue  # not a point in time we can name ("the season", "decades")
        out.append(DateMention(span.start_char, span.end_char, text, value, ok, span.start))
    return out


class DatesComponent:
    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        doc._.dates = find_dates(doc)
        doc._.quantities = find_quantities(doc)
        return doc


@Language.factory("sourcetrace_dates")
def make_dates(nlp: Language, name: str) -> DatesComponent:
    return DatesComponent(nlp, name)


@row_exporters.register("dates", order=30)
def date_rows(doc: Doc, document: Document) -> dict[str, list[dict[str, Any]]]:
    # The component resolved the dates while the pipeline ran, against the publication date
    # of the document the doc carried from the start; here they only become rows.
    items: list[DateMention] = doc._.dates or []
    return {"dates": span_rows(doc, document, items, ("value", "resolved"))}
