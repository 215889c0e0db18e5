"""Which ingested documents are analysed: one SQL text that both engines run.

Two views go in:

* ``ingested``: ``(fi, seq, id, content_hash, appearance)`` of every document read, in input
  order (file number, item number in the file; the local engine numbers one stream), with
  its :func:`appearance_key`;
* ``stored``: ``(id, content_hash, appearance, duplicate_of, pipeline_version)`` of the store
  before this run (the local engine's store; empty on Spark, whose runs start afresh).

Out comes one row per document read, saying what becomes of it:

* ``reused_id``: a document with an id met earlier in the input is an error (the first one
  is kept);
* ``repeat_of``: the same text *and* the same appearance (outlet and URL) as a document read
  or stored before: the same article read twice, left out (counted once);
* ``duplicate_of``: the first document with the same text (one already stored, else the
  first in input order) when that is another document: another *appearance* of that text
  (another outlet, URL or date), stored with its own outlet and date and counted wherever
  the text's claims are, but not analysed again;
* ``done``: the same id and text were analysed with this pipeline version: skipped.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sourcetrace.model import Document


def _url(url: str) -> str:
    """A URL as a page identity: scheme, ``www.``, fragment and a trailing slash ignored."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").removeprefix("www.")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{parts.path.rstrip('/')}{query}"


def appearance_key(document: Document) -> str | None:
    """What tells two records of one text apart as appearances: the outlet the input names
    and the URL; without a URL, that outlet and the date. None when the input tells neither
    outlet nor URL: then only the very same record (its id) is a repeat. An outlet inferred
    from the text (a wire credit) never makes a key: two outlets running the same Reuters
    copy both carry "(Reuters)"."""
    outlet = (document.outlet or "").strip().casefold() if not document.outlet_inferred else ""
    if document.url and document.url.strip():
        return f"url:{outlet}|{_url(document.url)}"
    if outlet:
        return f"outlet:{outlet}|{(document.published or '').strip()}"
    return None


SELECTION = """
WITH ranked AS (
  SELECT fi, seq, id, content_hash, appearance,
    row_number() OVER (PARTITION BY id ORDER BY fi, seq) AS id_rank
  FROM ingested
), kept AS (
  SELECT fi, seq, id, content_hash, appearance,
    first_value(id) OVER (PARTITION BY content_hash ORDER BY fi, seq) AS first_read,
    first_value(id) OVER (PARTITION BY content_hash, appearance ORDER BY fi, seq) AS same_read
  FROM ranked WHERE id_rank = 1
), known AS (
  SELECT content_hash, min(id) AS first_stored FROM stored WHERE duplicate_of IS NULL
  GROUP BY content_hash
), known_same AS (
  SELECT content_hash, appearance, min(id) AS same_stored FROM stored
  WHERE appearance IS NOT NULL GROUP BY content_hash, appearance
), judged AS (
  SELECT k.fi, k.seq, k.id, k.content_hash,
    coalesce(s.first_stored, k.first_read) AS first_id,
    CASE WHEN k.appearance IS NOT NULL THEN coalesce(t.same_stored, k.same_read) END AS same_id
  FROM kept k LEFT JOIN known s ON s.content_hash = k.content_hash
  LEFT JOIN known_same t ON t.content_hash = k.content_hash AND t.appearance = k.appearance
)
SELECT j.fi, j.seq, j.id, FALSE AS reused_id,
  CASE WHEN j.same_id <> j.id THEN j.same_id END AS repeat_of,
  CASE WHEN j.first_id <> j.id AND (j.same_id IS NULL OR j.same_id = j.id)
    THEN j.first_id END AS duplicate_of,
  (j.first_id = j.id AND d.id IS NOT NULL) AS done
FROM judged j LEFT JOIN stored d ON d.id = j.id AND d.content_hash = j.content_hash
  AND d.pipeline_version = '{version}'
UNION ALL
SELECT fi, seq, id, TRUE AS reused_id, CAST(NULL AS STRING) AS repeat_of,
  CAST(NULL AS STRING) AS duplicate_of, FALSE AS done
FROM ranked WHERE id_rank > 1
"""


def selection_sql(version: str) -> str:
    """:data:`SELECTION` for documents analysed with pipeline ``version``."""
    return SELECTION.format(version=version.replace("'", "''"))
