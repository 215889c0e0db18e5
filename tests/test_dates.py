"""Dates resolved against the publication date, and quantities with their units."""

from __future__ import annotations

from datetime import date

import pytest

from sourcetrace.extract.dates import date_rows, resolve
from sourcetrace.extract.quantities import parse_number, quantity_rows
from sourcetrace.model import Document
from sourcetrace.nlp.pipeline import make_doc
from sourcetrace.tables import PER_DOCUMENT

PUB = date(2023, 2, 15)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("on Monday", "2023-02-13"),
        ("Wednesday", "2023-02-15"),  # the day of publication itself
        ("last Wednesday", "2023-02-08"),
        ("last Saturday", "2023-02-11"),
        ("February 27", "2022-02-27"),  # past-tense copy: not a date after publication
        ("13 February", "2023-02-13"),
        ("August 24th", "2022-08-24"),
        ("last year", "2022"),
        ("this month", "2023-02"),
        ("in December of 2022", "2022-12"),
        ("yesterday", "2023-02-14"),
        ("two weeks ago", "2023-02-01"),
        ("over the past month", "2023-01-15/2023-02-15"),
        ("the mid 90's", "1993/1997"),
        ("the 1990s", "1990/1999"),
        ("1999-2009", "1999/2009"),
        ("March 3, 2021", "2021-03-03"),
    ],
)
def test_resolve_against_publication(text: str, value: str) -> None:
    assert resolve(text, PUB) == (value, True)


def test_future_tense_weekday_looks_ahead() -> None:
    assert resolve("on Monday", PUB, "future") == ("2023-02-20", True)
    assert resolve("next Friday", PUB) == ("2023-02-17", True)


@pytest.mark.parametrize("text", ["on Monday", "last year", "February 27", "the past month"])
def test_relative_without_publication_is_unresolved(text: str) -> None:
    assert resolve(text, None) == (None, False)


def test_absolute_without_publication_still_resolves() -> None:
    assert resolve("in December of 2022", None) == ("2022-12", True)
    assert resolve("1999-2009", None) == ("1999/2009", True)


TEXT = (
    "The ministry said on Monday that about 300 people and 23 vehicles crossed a 55-kilometer "
    "stretch of border. Last year the fund raised $25.9 billion, and over $86 billion in "
    "December of 2022. At least 60 militants and hundreds of militants arrived in 34 trucks "
    "over the past month. The man, who is 40 years old, waited for two years."
)


def _rows(nlp, published: str | None) -> tuple[dict, dict]:
    document = Document(id="n1", text=TEXT, published=published)
    doc = nlp(make_doc(nlp, document))  # the doc carries its document through the pipeline
    return date_rows(doc, document), quantity_rows(doc, document)


def test_date_rows_with_publication(nlp) -> None:
    dates, _ = _rows(nlp, "2023-02-15")
    by_text = {r["text"]: r for r in dates["dates"]}
    assert by_text["Monday"]["value"] == "2023-02-13"
    assert by_text["Last year"]["value"] == "2022"
    assert any(r["value"] == "2022-12" for r in dates["dates"])
    assert any(r["value"] == "2023-01-15/2023-02-15" for r in dates["dates"])
    # durations and ages are not points in time
    assert not any("old" in r["text"] or r["text"] == "two years" for r in dates["dates"])
    for r in dates["dates"]:
        assert TEXT[r["start"] : r["end"]] == r["text"]
        assert set(r) == set(PER_DOCUMENT["dates"])
    assert by_text["Monday"]["sentence"] == 0


def test_date_rows_without_publication_keep_the_text(nlp) -> None:
    dates, _ = _rows(nlp, None)
    monday = next(r for r in dates["dates"] if r["text"] == "Monday")
    assert monday["value"] is None and monday["resolved"] is False
    december = next(r for r in dates["dates"] if "2022" in r["text"])
    assert december["resolved"] is True and december["value"] == "2022-12"


def test_quantities_with_units(nlp) -> None:
    _, quantities = _rows(nlp, "2023-02-15")
    got = {(r["value"], r["unit"]) for r in quantities["quantities"]}
    assert {
        (300.0, "people"), (23.0, "vehicles"), (55.0, "km"), (25.9e9, "USD"), (86e9, "USD"),
        (60.0, "militants"), (200.0, "militants"), (34.0, "trucks"),
    } <= got
    for r in quantities["quantities"]:
        assert TEXT[r["start"] : r["end"]] == r["text"]
        assert set(r) == set(PER_DOCUMENT["quantities"])


@pytest.mark.parametrize(
    ("words", "value"),
    [(["$", "25.9", "billion"], 25.9e9), (["about", "300"], 300.0), (["a", "dozen"], 12.0),
     (["twenty-five"], 25.0), (["2,000"], 2000.0), (["three", "hundred", "thousand"], 3e5),
     (["55-kilometer"], 55.0), (["none"], None)],
)
def test_parse_number(words: list[str], value: float | None) -> None:
    assert parse_number(words) == value


def test_dotted_non_numbers_are_not_quantities() -> None:
    from sourcetrace.extract.quantities import parse_number

    assert parse_number(["16.082.25"]) is None
    assert parse_number(["25.9"]) == 25.9
