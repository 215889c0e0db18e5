"""The headline figures of a store (the report's first paragraph, the web app's summary), in
SQL over the store: what ``outputs.report.summarize`` computes from an ``analysis.json``."""

from __future__ import annotations

from typing import Any

from sourcetrace.outputs import shapes
from sourcetrace.outputs.sql import Connection, has_table, rows, scalar

WORST_EXAMPLES = 3  # single-origin claims named in the headline


def summary(con: Connection) -> dict[str, Any]:
    """The figures of the headline: what :func:`sourcetrace.outputs.report.summarize` computes
    from an ``analysis.json``, here in SQL over the store."""
    weak = shapes.single_origin_sql()
    head = rows(
        con,
        "SELECT (SELECT count(*) FROM documents) AS documents, "
        "(SELECT count(DISTINCT outlet) FROM documents) AS outlets, "
        "(SELECT count(*) FROM documents WHERE outlet IS NULL) AS unknown_outlet, "
        "(SELECT count(*) FROM documents WHERE outlet IS NOT NULL "
        "AND outlet_inferred IS NOT NULL) AS inferred_outlet, "
        "(SELECT count(*) FROM claim_clusters) AS clusters, "
        "(SELECT count(*) FROM claim_clusters WHERE len(outlets) >= 2) AS multi_outlet, "
        f"(SELECT count(*) FROM claim_clusters WHERE {weak}) AS single_origin",
    )[0]
    # Inputs that were read but not analysed: a run where every file failed must not read as
    # "0 articles" and nothing else.
    # a warning (read on a guessed encoding) is not an input that failed; a store written
    # before warnings has no ``kind`` column, and every row of it is an error
    kinds = scalar(con, "SELECT count(*) FROM information_schema.columns "
                        "WHERE table_name = 'errors' AND column_name = 'kind'")
    head["failed"] = (
        scalar(con, "SELECT count(*) FROM errors"
               + (" WHERE coalesce(kind, 'error') <> 'warning'" if kinds else ""))
        if has_table(con, "errors") else 0
    )
    # Shown beside the headline, which counts independence per claim cluster only.
    head["narratives"] = (
        scalar(con, "SELECT count(*) FROM narratives") if has_table(con, "narratives") else 0
    )
    worst = rows(
        con,
        f"SELECT * FROM claim_clusters WHERE {weak} "
        "ORDER BY len(outlets) DESC, amplification DESC NULLS LAST, id LIMIT ?",
        [WORST_EXAMPLES],
    )
    head["worst"] = [shapes.worst_example(shapes.cluster(row)) for row in worst]
    return head


__all__ = ["WORST_EXAMPLES", "summary"]
