"""The claims step (:mod:`sourcetrace.link.claims`) as Spark jobs.

Every piece of the local step runs on the executors, through the same functions:

1. **Claim units and their context, per document** (``groupBy(doc).applyInPandas``): the
   document's sentences, attributions, linked mentions, places, numbers and dates go to one
   task, which calls :func:`~sourcetrace.link.claims.claim_units` and
   :func:`~sourcetrace.link.claims.attach_context` on them.
2. **Claims in copied passages** (a join of ``reuse`` with the claims of both documents,
   the local ``_reuse_pairs`` condition written in Spark SQL).
3. **Blocking** (above ``--block-claims-above`` claims): the document leads are embedded on
   the executors; shared wording is a self-join on rare content tokens. Only the lead
   vectors (no text) come to the driver for the same-story pairs.
4. **Embeddings** of the claims to compare: distinct texts in the local engine's canonical
   model batches (a distributed sort), each batch one forward pass on an executor.
5. **Candidate pairs, per document** (``groupBy(doc)``): a document's claims against the
   claims of its related documents, through
   :func:`~sourcetrace.link.matching.nearest_pairs` on the same arrays as the local engine.
6. **Scores** of the candidate pairs (``mapInPandas`` over pair batches, a
   :class:`~sourcetrace.link.matching.ClaimSet` of each batch's claims): the linked pairs.
7. **Components**: the linked pairs' claim numbers (two integers a row, no text) are the
   one thing collected, for a union-find on the driver, as the reuse step does.
8. **Average linkage per component** (``groupBy(component)``):
   :func:`~sourcetrace.link.claims.split_component` on a ``ClaimSet`` of the component.
9. **Numbering and labels**: the groups' sort keys (counts, dates, an id: no text) are
   ranked on the driver with the local engine's key; labels, outlets and members are
   assembled per cluster on the executors.

Claims are numbered ``idx`` in the local engine's order (document id, then position), which
every step above uses wherever the local engine relies on list order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.config import Settings
from sourcetrace.link.embeddings import BATCH, DIM
from sourcetrace.tables import CORPUS

# Context tables as the claims step reads them (after entity linking).
CONTEXT = {"mentions": "entity, text", "place_mentions": "place, text",
           "quantities": "value", "dates": "value"}

UNIT_SCHEMA = (
    "id string, doc string, n int, text string, key string, klen int, start int, `end` int, "
    "attribution string, hedged boolean, unattributed boolean, sentence int, "
    "tokens array<string>, entities array<string>, places array<string>, "
    "numbers array<string>, dates array<string>"
)


# -- executor side ----------------------------------------------------------------------------
def _document_claims(rows: Any, model: str) -> Any:
    """Executor: one document's rows (``kind``, JSON ``row``) -> its claims with features."""
    import pandas as pd

    from sourcetrace.link.claims import attach_context, claim_units
    from sourcetrace.link.matching import content_tokens

    by_kind: dict[str, list[dict[str, Any]]] = {}
    for kind, row in zip(rows["kind"], rows["row"], strict=True):
        by_kind.setdefault(kind, []).append(json.loads(row))
    out: list[dict[str, Any]] = []
    for document in by_kind.get("document", [])[:1]:
        claims = claim_units(
            [document], by_kind.get("sentences", []), by_kind.get("attributions", []), model
        )
        attach_context(claims, {
            table: [(r["doc"], r["start"], r["end"], *(r[c.strip()] for c in cols.split(",")))
                    for r in by_kind.get(table, [])]
            for table, cols in CONTEXT.items()
        })
        for c in claims:
            assert c.info is not None
            key = " ".join(c.text.split())
            out.append({
                "id": c.id, "doc": c.doc, "n": int(c.id.rsplit(":c", 1)[1]), "text": c.text,
                "key": key, "klen": len(key), "start": c.start, "end": c.end,
                "attribution": c.attribution, "hedged": c.hedged,
                "unattributed": c.unattributed, "sentence": c.sentence,
                "tokens": sorted(set(content_tokens(c.text))),
                "entities": sorted(c.info.entities), "places": sorted(c.info.places),
                "numbers": sorted(c.info.numbers), "dates": sorted(c.info.dates),
            })
    columns = [f.split()[0].strip("`") for f in UNIT_SCHEMA.split(", ")]
    frame = pd.DataFrame(out, columns=columns)
    for name in ("n", "start", "end", "sentence", "klen"):
        frame[name] = pd.array(frame[name].tolist(), dtype="Int32")
    return frame


def _leads(batches: Iterator[Any]) -> Iterator[Any]:
    """Executor: documents -> (id, lead text) for the same-story blocking."""
    import pandas as pd

    from sourcetrace.link.blocking import lead

    for batch in batches:
        yield pd.DataFrame({
            "id": batch["id"],
            "text": [
                lead({"title": None if pd.isna(t) else t, "text": None if pd.isna(x) else x})
                for t, x in zip(batch["title"], batch["text"], strict=True)
            ],
        })


def _vectors(column: Any) -> np.ndarray:
    return np.asarray(np.stack(column.tolist()), dtype=np.float32).reshape(len(column), DIM)


def _document_links(rows: Any) -> Any:
    """Executor: one document's embedded claims (``own``, with the claims each is linked to
    by a copied passage) and those of its related documents -> the candidate pairs that
    link: found as the local ``ClaimSet.candidates_within`` finds them, less the copied
    pairs, scored with ``ClaimSet.pair_scores``."""
    import pandas as pd

    from sourcetrace.link.matching import MATCH_THRESHOLD, ClaimSet, nearest_pairs

    own = rows[rows["own"]].sort_values("idx")
    partners = rows[~rows["own"]].sort_values("idx")
    linked: list[tuple[int, int]] = []
    if len(own) and len(partners):
        pairs = nearest_pairs(
            own["idx"].to_numpy(dtype=int), partners["idx"].to_numpy(dtype=int),
            _vectors(own["vector"]), _vectors(partners["vector"]),
        )
        forced = {
            (min(int(i), int(j)), max(int(i), int(j)))
            for i, js in zip(own["idx"], own["forced"], strict=True)
            for j in (js if js is not None else [])
        }
        pairs = sorted(pairs - forced)
        if pairs:
            claims = pd.concat([own, partners]).drop_duplicates("idx").sort_values("idx")
            position = {int(i): k for k, i in enumerate(claims["idx"])}
            claimset = ClaimSet(_infos(claims), _vectors(claims["vector"]))
            left = np.array([position[i] for i, _ in pairs], dtype=int)
            right = np.array([position[j] for _, j in pairs], dtype=int)
            keep = claimset.pair_scores(left, right) >= MATCH_THRESHOLD
            linked = [p for p, k in zip(pairs, keep.tolist(), strict=True) if k]
    return pd.DataFrame({"i": [i for i, _ in linked], "j": [j for _, j in linked]},
                        dtype="int64")


def _infos(frame: Any) -> list[Any]:
    from sourcetrace.link.matching import ClaimInfo

    return [
        ClaimInfo(text=t, doc=d, entities=set(e), places=set(p), numbers=set(n), dates=set(x))
        for t, d, e, p, n, x in zip(frame["text"], frame["doc"], frame["entities"],
                                    frame["places"], frame["numbers"], frame["dates"],
                                    strict=True)
    ]


FEATURES = ["idx", "text", "doc", "entities", "places", "numbers", "dates", "vector"]


def _score_pairs(batches: Iterator[Any]) -> Iterator[Any]:
    """Executor: candidate pairs with both claims' features -> the pairs that link."""
    import pandas as pd

    from sourcetrace.link.matching import MATCH_THRESHOLD, ClaimSet

    for batch in batches:
        left = batch[[f"l_{c}" for c in FEATURES]].set_axis(FEATURES, axis=1)
        right = batch[[f"r_{c}" for c in FEATURES]].set_axis(FEATURES, axis=1)
        claims = pd.concat([left, right]).drop_duplicates("idx").sort_values("idx")
        position = {int(i): k for k, i in enumerate(claims["idx"])}
        claimset = ClaimSet(_infos(claims), _vectors(claims["vector"]))
        rows = np.array([position[int(i)] for i in left["idx"]], dtype=int)
        cols = np.array([position[int(j)] for j in right["idx"]], dtype=int)
        linked = claimset.pair_scores(rows, cols) >= MATCH_THRESHOLD
        yield pd.DataFrame({"i": left["idx"][linked].astype("int64"),
                            "j": right["idx"][linked].astype("int64")})


def _split_component(rows: Any) -> Any:
    """Executor: one component of linked claims -> its groups and centralities."""
    import pandas as pd

    from sourcetrace.link.claims import split_component
    from sourcetrace.link.matching import ClaimSet

    rows = rows.sort_values("idx")
    ids = [int(i) for i in rows["idx"]]
    local = {g: k for k, g in enumerate(ids)}
    forced = {
        (local[i], local[int(j)])
        for i, partners in zip(ids, rows["forced"], strict=True)
        for j in (partners if partners is not None else [])
        if int(j) in local
    }
    claimset = ClaimSet(_infos(rows), _vectors(rows["vector"]))
    out: dict[str, list[Any]] = {"idx": [], "grp": [], "centrality": []}
    for part, central in split_component(claimset, list(range(len(ids))), forced):
        group = ids[min(part)]
        for m, value in zip(part, central, strict=True):
            out["idx"].append(ids[m])
            out["grp"].append(group)
            out["centrality"].append(float(value))
    return pd.DataFrame(out).astype({"idx": "int64", "grp": "int64", "centrality": "float64"})


def _group_keys(rows: Any) -> Any:
    """Executor: one group's members -> what the local engine ranks groups by."""
    import pandas as pd

    from sourcetrace.link.claims import first_appearance

    docs = sorted(set(rows["doc"]))
    published = dict(zip(rows["doc"], rows["published"], strict=True))
    first = first_appearance(
        None if pd.isna(published[d]) else published[d] for d in docs
    )
    return pd.DataFrame({
        "grp": [int(rows["grp"].iloc[0])], "ndocs": [len(docs)], "nclaims": [len(rows)],
        "first": [first], "min_id": [min(rows["id"])],
    })


CLUSTER_SCHEMA = (
    "id string, label string, claims array<string>, documents array<string>, "
    "outlets array<string>, origins string, independent_origins int, amplification double, "
    "first_appearance string, flags array<string>"
)


def _cluster_rows(batches: Iterator[Any]) -> Iterator[Any]:
    """Executor: claims with their cluster -> ``claim_clusters`` rows, as
    :func:`~sourcetrace.link.claims.build_clusters` writes them."""
    import pandas as pd

    from sourcetrace.link.claims import first_appearance, shorten

    frames = list(batches)
    if not frames:
        return
    rows = pd.concat(frames, ignore_index=True)
    out = []
    for cluster, group in rows.groupby("cluster", sort=False):
        group = group.sort_values(["doc", "start", "end"])
        members = list(group.itertuples(index=False))
        central = max(members, key=lambda m: (m.centrality, -len(m.text)))
        docs = sorted(set(group["doc"]))
        outlet = dict(zip(group["doc"], group["outlet"], strict=True))
        published = dict(zip(group["doc"], group["published"], strict=True))
        out.append({
            "id": cluster, "label": shorten(central.text), "claims": list(group["id"]),
            "documents": docs,
            "outlets": sorted({o for d in docs if not pd.isna(o := outlet[d]) and o}),
            "origins": "[]", "independent_origins": 0, "amplification": None,
            "first_appearance": first_appearance(
                None if pd.isna(published[d]) else published[d] for d in docs
            ),
            "flags": [],
        })
    frame = pd.DataFrame(out, columns=list(CORPUS["claim_clusters"]))
    frame["independent_origins"] = pd.array(frame["independent_origins"].tolist(), dtype="Int32")
    frame["amplification"] = frame["amplification"].astype("float64")
    yield frame


def _embed_rows(batches: Iterator[Any]) -> Iterator[Any]:
    """Executor: (batch, pos, text) rows -> (batch, pos, vector). Rows of one model batch
    arrive in one partition (repartitioned by ``batch``), possibly over several Arrow
    chunks: the partition is gathered first, then each batch is run exactly as
    ``embeddings.encode_batches`` runs it on one machine, so the floats are the same."""
    import pandas as pd

    from sourcetrace.link.embeddings import encode_batches

    frames = list(batches)
    if not frames:
        return
    rows = pd.concat(frames, ignore_index=True).sort_values(["batch", "pos"])
    for batch, group in rows.groupby("batch", sort=True):
        [vectors] = encode_batches([group["text"].tolist()])
        yield pd.DataFrame({
            "batch": pd.array([batch] * len(group), dtype="Int32"),
            "pos": pd.array(group["pos"].tolist(), dtype="Int32"),
            "vector": list(vectors),
        })


# -- driver side ------------------------------------------------------------------------------
def embed_column(spark: Any, texts: Any, folder: Path) -> Any:
    """(key, vector) for the distinct ``key`` strings of a DataFrame column pair
    (``key``, ``klen``), in :func:`~sourcetrace.link.embeddings.canonical_batches` batches:
    longest first, ties by text, ``BATCH`` a batch, each batch one forward pass on an
    executor. The texts never pass through the driver."""
    from pyspark.sql import functions as F

    distinct = texts.where(F.col("klen") >= 3).select("key", "klen").distinct()
    ordered = distinct.orderBy(F.col("klen").desc(), F.col("key"))
    indexed = ordered.rdd.zipWithIndex().map(
        lambda row_pos: (row_pos[0]["key"], int(row_pos[1] // BATCH), int(row_pos[1] % BATCH))
    ).toDF("text string, batch int, pos int")
    # Written once: the batches are read twice below, and a sort recomputed is a sort redone.
    indexed.write.mode("overwrite").parquet(str(folder) + "-batches")
    indexed = spark.read.parquet(str(folder) + "-batches")
    parts = max(1, spark.sparkContext.defaultParallelism * 4)
    (
        indexed.repartition(parts, "batch")
        .mapInPandas(_embed_rows, "batch int, pos int, vector array<float>")
        .join(indexed, ["batch", "pos"])
        .select(F.col("text").alias("key"), "vector")
        .write.mode("overwrite").parquet(str(folder))
    )
    return spark.read.parquet(str(folder))


def _components(edges: list[tuple[int, int]]) -> dict[int, int]:
    """Claim number -> its component (the smallest claim number in it), for linked claims."""
    import networkx as nx

    graph = nx.Graph(edges)
    return {m: min(c) for c in nx.connected_components(graph) for m in c}


def claims_spark(
    spark: Any, folders: dict[str, Path], work: Path, settings: Settings
) -> tuple[Path, Path]:
    """Run the claims step over the Parquet tables in ``folders`` (``documents`` as the
    store holds them, the per-document tables with linked mentions, ``reuse``); write
    ``claims`` and ``claim_clusters`` under ``work`` and return their folders."""
    from datetime import datetime

    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from sourcetrace.link.blocking import _day, story_pairs
    from sourcetrace.link.claims import REUSE_SLACK, _date_key

    work.mkdir(parents=True, exist_ok=True)
    read = spark.read.parquet
    documents = read(str(folders["documents"])).where(F.col("duplicate_of").isNull())

    # 1. claim units and context, per document
    def rows_of(name: str, frame: Any) -> Any:
        # Null fields kept: the local functions read every column of a row.
        row = F.to_json(F.struct(*frame.columns), {"ignoreNullFields": "false"})
        return frame.select("doc", F.lit(name).alias("kind"), row.alias("row"))

    parts = [rows_of("document", documents.select(F.col("id").alias("doc"), "id", "title"))]
    for name in ("sentences", "attributions", *CONTEXT):
        parts.append(rows_of(name, read(str(folders[name]))))
    union = parts[0]
    for p in parts[1:]:
        union = union.unionByName(p)
    model = settings.model
    units = union.groupBy("doc").applyInPandas(
        lambda rows: _document_claims(rows, model), UNIT_SCHEMA
    )
    units.write.mode("overwrite").parquet(str(work / "units"))
    units = read(str(work / "units"))
    # The local engine's claim order: documents by id, claims by position.
    order = units.select("doc", "n").rdd.map(lambda r: (r["doc"], r["n"])).sortBy(
        lambda k: k).zipWithIndex().map(lambda kv: (kv[0][0], kv[0][1], int(kv[1])))
    numbered = order.toDF("doc string, n int, idx long")
    units.join(numbered, ["doc", "n"]).write.mode("overwrite").parquet(str(work / "numbered"))
    claims = read(str(work / "numbered")).persist()
    n_claims = claims.count()

    # 2. claims at corresponding places of a copied passage
    reuse = read(str(folders["reuse"])).where(
        F.col("a_start").isNotNull() & F.col("a_end").isNotNull()
        & F.col("b_start").isNotNull() & F.col("b_end").isNotNull()
        & (F.col("a") != F.col("b")) & (F.col("a_end") > F.col("a_start"))
    )
    ci, cj = claims.alias("ci"), claims.alias("cj")
    ratio = (F.col("b_end") - F.col("b_start")) / (F.col("a_end") - F.col("a_start"))
    expected = F.col("b_start") + (F.col("ci.start") - F.col("a_start")) * ratio
    slack = F.greatest(F.lit(REUSE_SLACK), F.floor((F.col("ci.end") - F.col("ci.start")) / 2))
    forced = (
        reuse.join(ci, (F.col("ci.doc") == F.col("a")) & (F.col("a_start") <= F.col("ci.start"))
                   & (F.col("ci.end") <= F.col("a_end")))
        .join(cj, (F.col("cj.doc") == F.col("b")) & (F.col("b_start") <= F.col("cj.start"))
              & (F.col("cj.end") <= F.col("b_end"))
              & (F.abs(F.col("cj.start") - expected) <= slack))
        .select(F.least("ci.idx", "cj.idx").alias("i"), F.greatest("ci.idx", "cj.idx").alias("j"))
        .distinct()
    )
    forced.write.mode("overwrite").parquet(str(work / "forced"))
    forced = read(str(work / "forced"))

    # 3. blocking
    docs_with_claims = claims.select("doc").distinct()
    if n_claims > settings.block_claims_above:
        leads = documents.select("id", "title", "text").mapInPandas(
            _leads, "id string, text string"
        )
        keyed = leads.select(
            "id", F.col("text").alias("key"), F.length("text").alias("klen")
        )
        # lead() joins words with single spaces: the text is its own key
        vectors = embed_column(spark, keyed, work / "lead-vectors")
        lead_frame = documents.select("id", "published").join(keyed, "id").join(
            vectors, "key", "left"
        )
        # ids, dates and vectors: no text
        lead_rows = lead_frame.select("id", "published", "vector").orderBy("id").collect()
        ids = [r["id"] for r in lead_rows]
        days = np.array([_day(r["published"]) for r in lead_rows])
        lead_vectors = np.zeros((len(ids), DIM), dtype=np.float32)
        for k, r in enumerate(lead_rows):
            if r["vector"] is not None:
                lead_vectors[k] = np.asarray(r["vector"], dtype=np.float32)
        pairs = sorted(story_pairs(ids, days, lead_vectors)) if len(ids) > 1 else []
        related = spark.createDataFrame(
            [(a, b) for a, b in pairs] + [(b, a) for a, b in pairs], "d string, e string"
        )
        wording = _shared_wording(claims)
        wording.write.mode("overwrite").parquet(str(work / "wording"))
        wording = read(str(work / "wording"))
        members = (
            related.select(F.col("d").alias("doc")).join(claims, "doc").select("idx")
            .unionByName(wording.select(F.col("i").alias("idx")))
            .unionByName(wording.select(F.col("j").alias("idx")))
            .unionByName(forced.select(F.col("i").alias("idx")))
            .unionByName(forced.select(F.col("j").alias("idx")))
            .distinct()
        )
        wanted = claims.join(members, "idx")
    else:
        d = docs_with_claims
        related = d.alias("x").crossJoin(d.alias("y")).where(
            F.col("x.doc") != F.col("y.doc")
        ).select(F.col("x.doc").alias("d"), F.col("y.doc").alias("e"))
        wording = None
        wanted = claims

    # 4. embeddings of the claims to compare
    claim_vectors = embed_column(spark, wanted.select("key", "klen"), work / "claim-vectors")
    embedded = (
        wanted.select("idx", "doc", "key").join(claim_vectors, "key")
        .select("idx", "doc", "vector")
    )
    embedded.write.mode("overwrite").parquet(str(work / "embedded"))
    embedded = read(str(work / "embedded"))

    # 5. candidate pairs, per document, scored where they are found (the vectors are there)
    forced_lists = (
        forced.unionByName(forced.select(F.col("j").alias("i"), F.col("i").alias("j")))
        .groupBy(F.col("i").alias("idx")).agg(F.collect_list("j").alias("forced"))
    )
    features = claims.select(*[c for c in FEATURES if c != "vector"]).join(
        embedded.select("idx", "vector"), "idx"
    )
    own = features.join(forced_lists, "idx", "left").select(
        F.col("doc").alias("g"), *FEATURES, "forced", F.lit(True).alias("own")
    )
    others = related.join(features, F.col("e") == F.col("doc")).select(
        F.col("d").alias("g"), *FEATURES, F.lit(None).cast("array<long>").alias("forced"),
        F.lit(False).alias("own"),
    )
    linked = own.unionByName(others).groupBy("g").applyInPandas(
        _document_links, "i long, j long"
    )
    if wording is not None:  # pairs of shared wording: scored apart
        left = features.select(*[F.col(c).alias(f"l_{c}") for c in FEATURES])
        right = features.select(*[F.col(c).alias(f"r_{c}") for c in FEATURES])
        linked = linked.unionByName(
            wording.join(forced, ["i", "j"], "left_anti")
            .join(left, F.col("i") == F.col("l_idx"))
            .join(right, F.col("j") == F.col("r_idx"))
            .mapInPandas(_score_pairs, "i long, j long")
        )
    linked.distinct().write.mode("overwrite").parquet(str(work / "linked"))

    # 7. components (claim numbers only come to the driver)
    cross_forced = (
        forced.join(claims.select(F.col("idx").alias("i"), F.col("doc").alias("di")), "i")
        .join(claims.select(F.col("idx").alias("j"), F.col("doc").alias("dj")), "j")
        .where(F.col("di") != F.col("dj"))
    )
    edge_frame = read(str(work / "linked")).unionByName(cross_forced.select("i", "j"))
    edges = [(int(r["i"]), int(r["j"])) for r in edge_frame.select("i", "j").collect()]
    component = _components(edges)
    comp_df = spark.createDataFrame(
        sorted(component.items()) or [(-1, -1)], "idx long, comp long"
    ).where(F.col("idx") >= 0)

    # 8. average linkage per component
    all_features = claims.select(*[c for c in FEATURES if c != "vector"]).join(
        embedded.select("idx", "vector"), "idx", "left"
    ).withColumn(
        "vector", F.coalesce("vector", F.array_repeat(F.lit(0.0).cast("float"), DIM))
    )
    grouped = (
        comp_df.join(all_features, "idx").join(forced_lists, "idx", "left")
        .groupBy("comp").applyInPandas(
            _split_component, "idx long, grp long, centrality double"
        )
    )
    grouped.write.mode("overwrite").parquet(str(work / "groups"))
    grouped = read(str(work / "groups"))

    # 9. numbering: groups ranked with the local engine's key, then singletons in order
    key_frame = (
        grouped.join(claims.select("idx", "id", "doc"), "idx")
        .join(documents.select(F.col("id").alias("doc"), "published"), "doc", "left")
        .groupBy("grp").applyInPandas(
            _group_keys, "grp long, ndocs int, nclaims int, first string, min_id string"
        )
    )
    # one short row per group: counts, a date, a claim id
    keys = key_frame.select("grp", "ndocs", "nclaims", "first", "min_id").collect()

    def rank(r: Any) -> tuple[Any, ...]:
        first = _date_key(r["first"] or "") or datetime.max
        return (-r["ndocs"], -r["nclaims"], first, r["min_id"])

    numbers = [(r["grp"], n) for n, r in enumerate(sorted(keys, key=rank), 1)]
    group_numbers = spark.createDataFrame(numbers or [(-1, 0)], "grp long, number long")
    singles = claims.select("idx").join(grouped.select("idx"), "idx", "left_anti")
    single_numbers = singles.withColumn(
        "number", F.row_number().over(Window.orderBy("idx")) + F.lit(len(numbers))
    )
    cluster_of = (
        grouped.join(group_numbers, "grp").select("idx", "number", "centrality")
        .unionByName(single_numbers.withColumn("centrality", F.lit(0.0)))
        .select("idx", F.concat(F.lit("cl:"), F.col("number").cast("string")).alias("cluster"),
                "centrality")
    )
    final = claims.join(cluster_of, "idx")
    claims_out = work / "claims"
    final.select(*CORPUS["claims"]).write.mode("overwrite").parquet(str(claims_out))
    clusters_out = work / "claim_clusters"
    (
        final.select("id", "doc", "text", "start", "end", "cluster", "centrality")
        .join(documents.select(F.col("id").alias("doc"), "outlet", "published"), "doc", "left")
        .repartition(max(1, spark.sparkContext.defaultParallelism * 2), "cluster")
        .mapInPandas(_cluster_rows, CLUSTER_SCHEMA)
        .write.mode("overwrite").parquet(str(clusters_out))
    )
    claims.unpersist()
    return claims_out, clusters_out


def _shared_wording(claims: Any) -> Any:
    """Claim pairs of different documents with shared wording
    (:func:`sourcetrace.link.blocking.shared_wording_pairs`, as Spark joins): proposed by a
    rare content token in common, kept when the Ochiai overlap of all their content tokens
    is at least ``SHARED_WORDING`` with ``MIN_SHARED`` tokens in common."""
    from pyspark.sql import functions as F

    from sourcetrace.link.blocking import COMMON_TOKEN_CLAIMS, MIN_SHARED, SHARED_WORDING

    assert SHARED_WORDING == 0.5  # the integer test below is Ochiai >= 1/2
    tokens = claims.select("idx", "doc", F.explode("tokens").alias("t"))
    rare = tokens.groupBy("t").count().where(F.col("count") <= COMMON_TOKEN_CLAIMS).select("t")
    posting = tokens.join(rare, "t")
    a, b = posting.alias("a"), posting.alias("b")
    proposed = (
        a.join(b, (F.col("a.t") == F.col("b.t")) & (F.col("a.idx") < F.col("b.idx"))
               & (F.col("a.doc") != F.col("b.doc")))
        .select(F.col("a.idx").alias("i"), F.col("b.idx").alias("j")).distinct()
    )
    sizes = claims.select("idx", "tokens")
    scored = (
        proposed.join(sizes.select(F.col("idx").alias("i"), F.col("tokens").alias("ti")), "i")
        .join(sizes.select(F.col("idx").alias("j"), F.col("tokens").alias("tj")), "j")
        .withColumn("inter", F.size(F.array_intersect("ti", "tj")))
    )
    # Ochiai >= 1/2  <=>  4 * inter^2 >= |A| * |B|, in integers (no float boundary cases)
    return scored.where(
        (F.col("inter") >= MIN_SHARED)
        & (4 * F.col("inter") * F.col("inter") >= F.size("ti") * F.size("tj"))
    ).select("i", "j")


def run_claims_on_spark(
    spark: Any, store: Any, folders: dict[str, Path], work: Path, settings: Settings
) -> None:
    """The claims step of the Spark engine: the Spark jobs above run over the tables the
    steps before left, and ``claims`` and ``claim_clusters`` are loaded into the store."""
    from sourcetrace.engines.spark import replace_from_parquet

    claims, clusters = claims_spark(spark, folders, work, settings)
    replace_from_parquet(store, {
        "claims": (CORPUS["claims"], claims, None),
        "claim_clusters": (CORPUS["claim_clusters"], clusters, None),
    })
