"""Which ingested documents are analysed: one SQL text that both engines run.

Two views go in:

* ``ingested``: ``(fi, seq, id, content_hash)`` of every document read, in input order (file
  number, item number in the file; the local engine numbers one stream);
* ``stored``: ``(id, content_hash, duplicate_of, pipeline_version)`` of the store before this
  run (the local engine's store; empty on Spark, whose runs start afresh).

Out comes one row per document read, saying what becomes of it:

* ``reused_id``: a document with an id met earlier in the input is an error (the first one
  is kept);
* ``duplicate_of``: the first document with the same text (one already stored, else the
  first in input order) when that is another document: an exact duplicate, stored but not
  analysed;
* ``done``: the same id and text were analysed with this pipeline version: skipped.
"""

from __future__ import annotations

SELECTION = """
WITH ranked AS (
  SELECT fi, seq, id, content_hash,
    row_number() OVER (PARTITION BY id ORDER BY fi, seq) AS id_rank
  FROM ingested
), kept AS (
  SELECT fi, seq, id, content_hash,
    first_value(id) OVER (PARTITION BY content_hash ORDER BY fi, seq) AS first_read
  FROM ranked WHERE id_rank = 1
), known AS (
  SELECT content_hash, min(id) AS first_stored FROM stored WHERE duplicate_of IS NULL
  GROUP BY content_hash
), judged AS (
  SELECT k.fi, k.seq, k.id, k.content_hash,
    coalesce(s.first_stored, k.first_read) AS first_id
  FROM kept k LEFT JOIN known s ON s.content_hash = k.content_hash
)
SELECT j.fi, j.seq, j.id, FALSE AS reused_id,
  CASE WHEN j.first_id <> j.id THEN j.first_id END AS duplicate_of,
  (j.first_id = j.id AND d.id IS NOT NULL) AS done
FROM judged j LEFT JOIN stored d ON d.id = j.id AND d.content_hash = j.content_hash
  AND d.pipeline_version = '{version}'
UNION ALL
SELECT fi, seq, id, TRUE AS reused_id, CAST(NULL AS STRING) AS duplicate_of, FALSE AS done
FROM ranked WHERE id_rank > 1
"""


def selection_sql(version: str) -> str:
    """:data:`SELECTION` for documents analysed with pipeline ``version``."""
    return SELECTION.format(version=version.replace("'", "''"))
