"""The ``places`` corpus step: the distinct places of the corpus, from the place mentions.

One SQL text, run by DuckDB (local engine) and Spark SQL (Spark engine): each column of a
place is the first non-null value among its mentions in (doc, start, end) order, ties by the
value. ``any_value`` would take whichever row a thread met first.
"""

from __future__ import annotations

from sourcetrace.corpus import CorpusStep, Sql, Write
from sourcetrace.registry import corpus_steps
from sourcetrace.tables import CORPUS

# Columns of a place taken from its mentions, and the order that says which mention's value.
PLACE_COLUMNS = ("name", "lat", "lon", "country")
PLACE_VALUE_ORDER = ("doc", "start", "end")


def _first_values_sql() -> str:
    order = ", ".join(f'"{c}"' for c in PLACE_VALUE_ORDER)
    ranks = ",\n".join(
        f'    row_number() OVER (PARTITION BY place ORDER BY "{c}" IS NULL, {order}, "{c}") '
        f'AS "rank_{c}"'
        for c in PLACE_COLUMNS
    )
    picks = ", ".join(
        f'max(CASE WHEN "rank_{c}" = 1 THEN "{c}" END) AS "{c}"' for c in PLACE_COLUMNS
    )
    columns = ", ".join(f'"{c}"' for c in PLACE_COLUMNS)
    return (
        f'SELECT place AS id, {picks} FROM (\n  SELECT place, {columns},\n{ranks}\n'
        "  FROM place_mentions WHERE place IS NOT NULL\n) AS ranked GROUP BY place"
    )


places_step = corpus_steps.register("places", order=20)(
    CorpusStep(
        name="places",
        reads=("place_mentions",),
        stages=(Sql("found_places", _first_values_sql(), CORPUS["places"]),),
        writes={"places": Write("found_places", "id")},
    )
)
