"""Every table sourcetrace writes, in one place.

The local engine stores them in DuckDB, ``--format parquet`` writes them as Parquet files and
the Spark engine produces them as DataFrames: all three use these column definitions, so the
report, ``serve`` and DuckDB read any of them the same way.

Types are DuckDB SQL types. ``VARCHAR[]`` is a list of strings; JSON values are stored as
VARCHAR holding JSON text.
"""

from __future__ import annotations

# The documents as ingested and the problems met with the inputs. One row per appearance: the
# same text from another outlet, URL or date is a row of its own (``duplicate_of`` naming the
# document whose analysis it shares); only a repeat of the same text, outlet and URL is left
# out (ingest.selection).
DOCUMENTS = {
    "id": "VARCHAR PRIMARY KEY", "title": "VARCHAR", "outlet": "VARCHAR",
    # NULL when the input names the outlet; else what it was inferred from ("url host",
    # "site name", "wire credit")
    "outlet_inferred": "VARCHAR",
    "url": "VARCHAR",
    "published": "VARCHAR", "language": "VARCHAR", "n_words": "INTEGER", "text": "VARCHAR",
    "source_path": "VARCHAR", "content_hash": "VARCHAR",
    # id of the analysed document with the same text, when this one is another appearance of
    # it (its claims are that document's, counted for this one's outlet and date too)
    "duplicate_of": "VARCHAR",
    "pipeline_version": "VARCHAR",
}
# Inputs not (wholly) read, and why. ``kind``: "error" (failed), "skipped" (a file in a format
# sourcetrace does not read, found in a folder or by a glob) or "warning" (read on an
# assumption, e.g. the encoding of a file that is not UTF-8; ``doc_id`` names the document).
ERRORS = {
    "path": "VARCHAR", "line": "INTEGER", "doc_id": "VARCHAR", "problem": "VARCHAR",
    "kind": "VARCHAR",
}
# One row per finished run: when, and the pipeline that wrote the store (JSON: model, its
# version, components, sourcetrace version, pipeline version), so that exports written later
# from the store still say what produced it.
RUNS = {"finished": "TIMESTAMP", "pipeline": "VARCHAR"}

# Per-document tables: filled while each document is analysed (resumable one document at a time).
PER_DOCUMENT: dict[str, dict[str, str]] = {
    "sentences": {
        "doc": "VARCHAR", "idx": "INTEGER", "start": "INTEGER", "end": "INTEGER", "text": "VARCHAR",
        # "ok", or the parse rule that makes the sentence no claim (extract.claimworthiness)
        "claim_check": "VARCHAR",
        # NULL, or for a sentence spanning line breaks the verdict of each line piece
        "line_checks": "VARCHAR[]",
    },
    # Named-entity mentions found by the spaCy pipeline; ``entity`` is filled by entity linking.
    "mentions": {
        "doc": "VARCHAR", "start": "INTEGER", "end": "INTEGER", "text": "VARCHAR",
        "label": "VARCHAR", "sentence": "INTEGER", "entity": "VARCHAR",
    },
    "attributions": {
        "id": "VARCHAR", "doc": "VARCHAR",
        "source_text": "VARCHAR", "source_start": "INTEGER", "source_end": "INTEGER",
        # person | organisation | anonymous | vague | outlet
        "source_kind": "VARCHAR",
        # The surface form a pronoun or a "the statement" source refers back to (or the source
        # itself): what entity linking maps to ``source_entity``.
        "source_resolved": "VARCHAR",
        "source_entity": "VARCHAR",
        # For an anonymous or vague source, the entity it is near and is not: "a source close
        # to Trump", "aides to X", "top Obama administration officials". Never an origin.
        "near_entity": "VARCHAR",
        "cue_text": "VARCHAR", "cue_start": "INTEGER", "cue_end": "INTEGER",
        "content_text": "VARCHAR", "content_start": "INTEGER", "content_end": "INTEGER",
        # JSON list of [start, end] fragments: a quote split around its cue has two, and
        # content_text (= text[content_start:content_end]) then holds the cue between them.
        "content_spans": "VARCHAR",
        "hedged": "BOOLEAN", "parent": "VARCHAR", "sentence": "INTEGER",
        # "ok", or why the content is no claim ("no verb": a bare noun phrase)
        "content_check": "VARCHAR",
    },
    # Toponyms as found and geocoded in one document (the document is the context).
    "place_mentions": {
        "doc": "VARCHAR", "start": "INTEGER", "end": "INTEGER", "text": "VARCHAR",
        "place": "VARCHAR", "name": "VARCHAR", "lat": "DOUBLE", "lon": "DOUBLE",
        "country": "VARCHAR", "sentence": "INTEGER", "role": "VARCHAR",
    },
    "dates": {
        "doc": "VARCHAR", "start": "INTEGER", "end": "INTEGER", "text": "VARCHAR",
        "value": "VARCHAR", "resolved": "BOOLEAN", "sentence": "INTEGER",
    },
    "quantities": {
        "doc": "VARCHAR", "start": "INTEGER", "end": "INTEGER", "text": "VARCHAR",
        "value": "DOUBLE", "unit": "VARCHAR", "sentence": "INTEGER",
    },
    "language": {
        "doc": "VARCHAR", "start": "INTEGER", "end": "INTEGER", "technique": "VARCHAR",
        "text": "VARCHAR", "score": "DOUBLE",
    },
}

# Corpus tables: computed over all analysed documents after the per-document pass.
CORPUS: dict[str, dict[str, str]] = {
    "entities": {
        "id": "VARCHAR", "name": "VARCHAR", "type": "VARCHAR", "country": "VARCHAR",
        "controlled_by": "VARCHAR", "aliases": "VARCHAR[]", "in_kb": "BOOLEAN",
    },
    "places": {
        "id": "VARCHAR", "name": "VARCHAR", "lat": "DOUBLE", "lon": "DOUBLE", "country": "VARCHAR",
    },
    # One row per shared passage between documents a and b.
    "reuse": {
        "a": "VARCHAR", "b": "VARCHAR", "earlier": "VARCHAR", "same_outlet": "BOOLEAN",
        "cluster": "INTEGER", "a_start": "INTEGER", "a_end": "INTEGER", "b_start": "INTEGER",
        "b_end": "INTEGER", "words": "INTEGER", "similarity": "DOUBLE",
    },
    "claims": {
        "id": "VARCHAR", "doc": "VARCHAR", "text": "VARCHAR", "start": "INTEGER", "end": "INTEGER",
        "attribution": "VARCHAR", "hedged": "BOOLEAN", "unattributed": "BOOLEAN",
        "cluster": "VARCHAR", "sentence": "INTEGER",
    },
    "claim_clusters": {
        "id": "VARCHAR", "label": "VARCHAR", "claims": "VARCHAR[]", "documents": "VARCHAR[]",
        "outlets": "VARCHAR[]", "origins": "VARCHAR",  # JSON list of origin objects
        "independent_origins": "INTEGER", "amplification": "DOUBLE",
        "first_appearance": "VARCHAR", "flags": "VARCHAR[]",
        "narrative": "VARCHAR",  # the narrative (nr:<n>) this proposition belongs to
        # outlets relaying it, each article whose outlet is unknown counted as one of its own
        "relays": "INTEGER",
    },
    # Claim clusters that tell the same story; provenance rolled up over their claims.
    "narratives": {
        "id": "VARCHAR", "label": "VARCHAR", "claim_clusters": "VARCHAR[]",
        "claims": "VARCHAR[]", "documents": "VARCHAR[]", "outlets": "VARCHAR[]",
        "origins": "VARCHAR", "independent_origins": "INTEGER", "amplification": "DOUBLE",
        "first_appearance": "VARCHAR", "flags": "VARCHAR[]", "relays": "INTEGER",
    },
}

ALL_TABLES: dict[str, dict[str, str]] = {**PER_DOCUMENT, **CORPUS}

# Caches: store tables a corpus step reads and replaces (as its other tables) to save work on
# the next run, never exported. ``vector_cache``: sentence vectors by text digest and model
# (sourcetrace.link.vector_cache).
CACHES: dict[str, dict[str, str]] = {
    "vector_cache": {"digest": "VARCHAR", "model": "VARCHAR", "vector": "FLOAT[]"},
}
STORE_TABLES: dict[str, dict[str, str]] = {**ALL_TABLES, **CACHES}
