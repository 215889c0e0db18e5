"""Quantities: "about 300 people", "$25.9 billion", "at least 60 militants", "55-kilometer".

Numbers come from spaCy's CARDINAL/MONEY/QUANTITY/PERCENT entities plus vague plurals the NER
does not label ("hundreds of militants"). The unit is the currency, the measure, or the noun
the number counts (its syntactic head, else the next noun: "23 vehicles" -> "vehicles").
Vague plurals take the least they can mean ("hundreds" = 200, "dozens" = 24): a floor is
what a fact-checker can hold a source to.

``find_quantities`` runs inside the ``sourcetrace_dates`` component (one pass over the
entities for both) and leaves its results on ``doc._.quantities``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, Span

from sourcetrace.model import Document
from sourcetrace.nlp.basic import span_rows
from sourcetrace.registry import row_exporters

if not Doc.has_extension("quantities"):
    Doc.set_extension("quantities", default=None)

LABELS = {"CARDINAL", "MONEY", "QUANTITY", "PERCENT"}

_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
_SCALES = {
    "dozen": 12, "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12,
}
_VAGUE = {"dozens": 24.0, "scores": 40.0, "hundreds": 200.0, "thousands": 2000.0,
          "tens of thousands": 20000.0, "hundreds of thousands": 200000.0,
          "millions": 2e6, "billions": 2e9}
_VAGUE_RE = re.compile(
    r"\b(tens of thousands|hundreds of thousands|dozens|scores|hundreds|thousands|millions|"
    r"billions) of\b", re.I)
_CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₽": "RUB",
                     "₹": "INR"}
_CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP",
    "pounds": "GBP", "sterling": "GBP", "ruble": "RUB", "rubles": "RUB", "rouble": "RUB",
    "roubles": "RUB", "yuan": "CNY", "renminbi": "CNY", "yen": "JPY", "rupee": "INR",
    "rupees": "INR", "riyal": "SAR", "riyals": "SAR", "lira": "TRY", "liras": "TRY",
    "hryvnia": "UAH", "hryvnias": "UAH",
}
_MEASURES = {
    "km": "km", "kilometer": "km", "kilometers": "km", "kilometre": "km", "kilometres": "km",
    "mile": "mi", "miles": "mi", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "kg": "kg", "kilogram": "kg", "kilograms": "kg", "ton": "t", "tons": "t", "tonne": "t",
    "tonnes": "t", "barrel": "barrels", "barrels": "barrels", "liter": "l", "liters": "l",
    "litre": "l", "litres": "l", "acre": "acres", "acres": "acres", "hectare": "ha",
    "hectares": "ha", "foot": "ft", "feet": "ft", "pound-weight": "lb", "lb": "lb",
    "lbs": "lb", "gallon": "gal", "gallons": "gal", "square kilometers": "km2",
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass
class Quantity:
    start: int
    end: int
    text: str
    value: float
    unit: str | None
    token_start: int


def parse_number(words: list[str]) -> float | None:
    """"25.9 billion" -> 2.59e10, "about 300" -> 300, "twenty-five" -> 25, "2,000" -> 2000."""
    total, current, seen = 0.0, 0.0, False
    for raw in words:
        w = raw.lower().strip(",")
        for part in w.split("-") if not _NUMBER.fullmatch(w) else [w]:
            if not part:
                continue
            if _NUMBER.fullmatch(part):
                # "2,000" is two thousand; "25.9" a decimal; "1,5" (European) is rare in English
                try:
                    current += float(part.replace(",", ""))
                except ValueError:  # "16.082.25" (a score, a version): not one number
                    return None
                seen = True
            elif part in _WORDS:
                current += _WORDS[part]
                seen = True
            elif part in _SCALES:  # "a dozen", "1.2 million", "hundred"
                if _SCALES[part] >= 1e3:
                    total += (current or 1) * _SCALES[part]
                    current = 0.0
                else:
                    current = (current or 1) * _SCALES[part]
                seen = True
    return total + current if seen else None


def _unit(doc: Doc, span: Span, label: str) -> str | None:
    text = span.text
    for sym, code in sorted(_CURRENCY_SYMBOLS.items(), key=lambda kv: -len(kv[0])):
        if sym in text:
            return code
    tokens = [t.lower_ for t in span]
    if label == "PERCENT" or "%" in text or "percent" in tokens or "per" in tokens:
        return "%"
    for t in tokens:
        for piece in t.split("-"):
            if piece in _CURRENCY_WORDS:
                return _CURRENCY_WORDS[piece]
            if piece in _MEASURES:
                return _MEASURES[piece]
    # What the number counts: its head noun ("300 people"), else the next noun.
    root = span.root
    if root.dep_ in ("nummod", "quantmod", "compound") and root.head.pos_ in ("NOUN", "PROPN") \
            and root.head.i >= span.end:
        return _unit_word(root.head)
    for tok in doc[span.end : span.end + 3]:
        if tok.pos_ in ("NOUN", "PROPN"):
            return _unit_word(tok)
        if tok.pos_ not in ("ADJ", "ADV", "NUM") and tok.text != "-":
            break
    return None


def _unit_word(tok: Any) -> str:
    low = tok.lower_
    return _MEASURES.get(low) or _CURRENCY_WORDS.get(low) or low


def find_quantities(doc: Doc) -> list[Quantity]:
    out: list[Quantity] = []
    covered: set[int] = set()
    for ent in doc.ents:
        if ent.label_ not in LABELS:
            continue
        words = [t.text for t in ent]
        value = parse_number(words)
        if value is None:
            continue
        out.append(Quantity(ent.start_char, ent.end_char, ent.text, value,
                            _unit(doc, ent, ent.label_), ent.start))
        covered.update(range(ent.start_char, ent.end_char))
    text = doc.text  # joined from the tokens at every access: once, not once per match
    for m in _VAGUE_RE.finditer(text):
        if m.start() in covered:
            continue
        span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
        if span is None:
            continue
        value = _VAGUE[m.group(1).lower()]
        noun = next((t for t in doc[span.end : span.end + 3] if t.pos_ in ("NOUN", "PROPN")),
                    None)
        unit = _unit_word(noun) if noun is not None else None
        end = noun.idx + len(noun) if noun is not None else m.end()
        out.append(Quantity(m.start(), end, text[m.start() : end], value, unit, span.start))
    out.sort(key=lambda q: q.start)
    return out


@row_exporters.register("quantities", order=31)
def quantity_rows(doc: Doc, document: Document) -> dict[str, list[dict[str, Any]]]:
    items: list[Quantity] = doc._.quantities or []
    return {"quantities": span_rows(doc, document, items, ("value", "unit"))}
