"""The ``places`` corpus step: the distinct places of the corpus, from the place mentions."""

from __future__ import annotations

from typing import Any

from sourcetrace.registry import corpus_steps

# Columns of a place taken from its mentions, and the order that says which mention's value:
# the first non-null one in (doc, start, end) order, ties by the value. ``any_value`` would
# take whichever row a thread met first; the Spark engine (engines.spark_entities) takes the
# same value as this through ``min_by`` over the same order.
PLACE_COLUMNS = ("name", "lat", "lon", "country")
PLACE_VALUE_ORDER = ("doc", "start", "end")


@corpus_steps.register("places", order=20)
def places_step(store: Any, settings: Any) -> None:
    """The distinct places of the corpus, from the mentions."""
    order = ", ".join(f'"{c}"' for c in PLACE_VALUE_ORDER)
    values = ", ".join(
        f'first("{c}" ORDER BY {order}, "{c}") FILTER (WHERE "{c}" IS NOT NULL)'
        for c in PLACE_COLUMNS
    )
    rows = store.con.execute(
        f"SELECT place, {values} FROM place_mentions WHERE place IS NOT NULL "
        "GROUP BY place ORDER BY place"
    ).fetchall()
    store.replace(
        "places",
        [{"id": r[0], "name": r[1], "lat": r[2], "lon": r[3], "country": r[4]} for r in rows],
    )
