"""Run the whole analysis on one machine: ingest -> nlp/extract -> corpus steps -> outputs.

Documents are analysed in batches; each batch is stored in one transaction together with the
mark that says it is done, so Ctrl-C loses at most the batch in flight and the next run on the
same ``--out`` picks up where this one stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pyarrow as pa

from sourcetrace import __version__
from sourcetrace.config import Settings, available_cpus
from sourcetrace.engines import rss
from sourcetrace.engines.steps import load_corpus_steps
from sourcetrace.ingest import DUPLICATE_ID, IngestOptions, iter_inputs
from sourcetrace.ingest.selection import appearance_key, selection_sql
from sourcetrace.model import Document, IngestError
from sourcetrace.nlp.pipeline import Rows, analyze_safely, load_pipeline, pipeline_version
from sourcetrace.outputs.export import write_json, write_parquet
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.provenance.jsonld import write_jsonld

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int | None], None]  # (stage, advance, total)


@dataclass
class RunResult:
    out: Path
    analysed: int = 0
    skipped: int = 0  # already analysed with this pipeline version
    # documents whose text another one has (another outlet, URL or date): stored and counted,
    # their analysis shared
    duplicates: int = 0
    repeats: int = 0  # the same text, outlet and URL read again: left out
    errors: list[IngestError] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    words: int = 0
    # wall seconds per stage ("analyse", "link:<step>", "outputs"), for --json and benchmarks
    stages: dict[str, float] = field(default_factory=dict)
    # per memoised corpus stage ("<step>:<function>-><outputs>"): its groups and how many of
    # them this run computed (the others were unchanged since the last run on this store)
    work: dict[str, dict[str, int]] = field(default_factory=dict)


def _batches(items: Iterable[Document], size: int) -> Iterator[list[Document]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


# -- worker processes: one pipeline per process -----------------------------------------------
_WORKER_MODEL: str | None = None


def _worker_init(model: str) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model
    load_pipeline(model)


Analysed = tuple[list[tuple[Document, Rows]], list[IngestError]]


def _worker_analyse(batch: list[Document], batch_size: int) -> Analysed:
    assert _WORKER_MODEL is not None
    done = analyze_safely(batch, _WORKER_MODEL, batch_size)
    rss.end("analyse", role="nlp-worker")  # the worker's peak so far (never reset)
    return done


# Fewer documents than this per worker are not worth starting a process for.
MIN_DOCS_PER_WORKER = 8


def _warm_up() -> None:
    try:
        from sourcetrace.link.embeddings import load_model

        load_model()
    except Exception:  # the claims step will load it again and report the problem
        log.debug("warming up the sentence model failed", exc_info=True)


def resolve_workers(workers: int, n_documents: int) -> int:
    """The number of NLP processes: as asked, or for 0 one per available CPU, but no more
    than the input keeps busy."""
    if workers > 0:
        return workers
    return max(1, min(available_cpus(), n_documents // MIN_DOCS_PER_WORKER))


def _analyse_batches(
    batches: Iterable[list[Document]], settings: Settings
) -> Iterator[Analysed]:
    """Analyse batches in this process or in ``settings.workers`` processes, in order."""
    if settings.workers <= 1:
        for batch in batches:
            yield analyze_safely(batch, settings.model, settings.batch_size)
        return
    ctx = get_context("fork")
    with ProcessPoolExecutor(
        settings.workers, mp_context=ctx, initializer=_worker_init, initargs=(settings.model,)
    ) as pool:
        pending: list[Future[Analysed]] = []
        for batch in batches:
            pending.append(pool.submit(_worker_analyse, batch, settings.batch_size))
            if len(pending) == 1:
                # The workers are forked now (never fork while another thread may hold the
                # import lock). This process mostly waits while they parse: meanwhile it
                # loads the sentence model that the claims step needs.
                threading.Thread(target=_warm_up, daemon=True).start()
            # Results are taken in order, so a long task holds the ones behind it: keep enough
            # in flight that the other workers do not run dry meanwhile (memory stays bounded).
            if len(pending) >= 4 * settings.workers:
                yield pending.pop(0).result()
        for fut in pending:
            yield fut.result()


def _task_size(n_documents: int, settings: Settings) -> int:
    """Documents per task: the nlp.pipe batch size, but small enough that every worker gets
    several tasks (with 5 tasks for 2 workers, one worker idles through the last round)."""
    if settings.workers <= 1:
        return settings.batch_size
    return max(1, min(settings.batch_size, -(-n_documents // (4 * settings.workers))))


@dataclass
class Selection:
    """What becomes of the ingested items (:mod:`sourcetrace.ingest.selection`)."""

    todo: list[Document] = field(default_factory=list)  # to analyse
    # other appearances of a text analysed elsewhere: stored, not analysed
    appearances: list[Document] = field(default_factory=list)
    duplicate_of: dict[str, str] = field(default_factory=dict)
    repeat_of: dict[str, str] = field(default_factory=dict)  # the same article again: left out
    errors: list[IngestError] = field(default_factory=list)
    skipped: int = 0  # already analysed with this pipeline version


def _stored_view(store: AnalysisStore) -> pa.Table:
    """The store's documents as the selection SQL reads them (their appearance keys are
    worked out here, as for the documents read)."""
    rows = store.con.execute(
        "SELECT id, content_hash, duplicate_of, pipeline_version, outlet, outlet_inferred, url, "
        "published FROM documents"
    ).fetchall()
    keys = [
        appearance_key(Document(id=r[0], text="", outlet=r[4], outlet_inferred=r[5], url=r[6],
                                published=r[7]))
        for r in rows
    ]
    names = ("id", "content_hash", "duplicate_of", "pipeline_version")
    return pa.table({
        **{n: pa.array([r[k] for r in rows], pa.string()) for k, n in enumerate(names)},
        "appearance": pa.array(keys, pa.string()),
    })


def select_documents(
    items: Iterable[Document | IngestError], store: AnalysisStore, version: str
) -> Selection:
    """Split ingested items into documents to analyse, other appearances of their texts,
    repeats and errors, as :mod:`sourcetrace.ingest.selection` decides (the SQL the Spark
    engine runs too)."""
    read: list[Document | IngestError] = list(items)
    documents = [(k, d) for k, d in enumerate(read) if isinstance(d, Document)]
    con = store.con
    con.register("ingested", pa.table({
        "fi": pa.array([0] * len(documents), pa.int32()),
        "seq": pa.array([k for k, _ in documents], pa.int64()),
        "id": pa.array([d.id for _, d in documents], pa.string()),
        "content_hash": pa.array([d.content_hash for _, d in documents], pa.string()),
        "appearance": pa.array([appearance_key(d) for _, d in documents], pa.string()),
    }))
    con.register("stored", _stored_view(store))
    try:
        verdicts = {
            seq: (reused, repeat, first, done)
            for _, seq, _, reused, repeat, first, done
            in con.execute(selection_sql(version)).fetchall()
        }
    finally:
        con.unregister("ingested")
        con.unregister("stored")
    chosen = Selection()
    for k, item in enumerate(read):
        if isinstance(item, IngestError):
            chosen.errors.append(item)
            continue
        reused, repeat, first, done = verdicts[k]
        if reused:
            chosen.errors.append(
                IngestError(item.source_path or "?", DUPLICATE_ID.format(item.id), doc_id=item.id)
            )
        elif repeat is not None:
            chosen.repeat_of[item.id] = repeat
        elif first is not None:
            chosen.duplicate_of[item.id] = first
            chosen.appearances.append(item)
        elif done:
            chosen.skipped += 1
        else:
            chosen.todo.append(item)
    return chosen


def run_analysis(
    inputs: Sequence[str | Path],
    settings: Settings,
    ingest_options: IngestOptions | None = None,
    progress: Progress | None = None,
) -> RunResult:
    started = time.perf_counter()
    tick: Progress = progress or (lambda stage, advance, total: None)
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    result = RunResult(out=out)
    version = pipeline_version(settings.model)
    rss.begin("ingest")
    with AnalysisStore(out) as store:
        chosen = select_documents(iter_inputs(inputs, ingest_options), store, version)
        todo = chosen.todo
        result.errors, result.skipped = chosen.errors, chosen.skipped
        result.duplicates, result.repeats = len(chosen.appearances), len(chosen.repeat_of)
        store.save_errors(result.errors)
        if chosen.appearances:
            store.save_documents(
                [(d, {}) for d in chosen.appearances], version, chosen.duplicate_of
            )
        rss.end("ingest")
        tick("analyse", 0, len(todo))
        rss.begin("analyse")
        clock = time.perf_counter()
        run = replace(settings, workers=resolve_workers(settings.workers, len(todo)))
        size = _task_size(len(todo), run)
        for analysed, failed in _analyse_batches(_batches(todo, size), run):
            store.save_documents(analysed, version)
            result.analysed += len(analysed)
            result.words += sum(d.n_words for d, _ in analysed)
            if failed:
                result.errors += failed
                store.save_errors(result.errors)
            tick("analyse", len(analysed) + len(failed), len(todo))
        result.stages["analyse"] = time.perf_counter() - clock
        # The texts read are in the store now: the corpus steps read them from there, and
        # holding every one of them through those steps grew with the input.
        del todo, chosen
        rss.end("analyse")
        steps = load_corpus_steps()
        tick("link", 0, len(steps))
        for name, step in steps:
            clock = time.perf_counter()
            rss.begin(f"link:{name}")
            result.work.update(step(store, settings) or {})  # type: ignore[operator]
            result.stages[f"link:{name}"] = time.perf_counter() - clock
            rss.end(f"link:{name}", con=store.con)
            tick("link", 1, len(steps))
        clock = time.perf_counter()
        rss.begin("outputs")
        result.outputs.update(write_outputs(store, settings, version))
        result.stages["outputs"] = time.perf_counter() - clock
        rss.end("outputs", con=store.con)
    result.seconds = time.perf_counter() - started
    return result


def pipeline_info(settings: Settings, version: str) -> dict[str, Any]:
    nlp = load_pipeline(settings.model)
    return {
        "sourcetrace": __version__, "model": settings.model,
        "model_version": nlp.meta.get("version"), "components": nlp.pipe_names,
        "pipeline_version": version,
    }


def write_outputs(store: AnalysisStore, settings: Settings, version: str) -> dict[str, Path]:
    outputs: dict[str, Path] = {"duckdb": store.path}
    out = Path(settings.out)
    pipeline = pipeline_info(settings, version)
    store.record_run(pipeline)  # for exports written later from the store (`export`)
    if "json" in settings.formats:
        outputs["json"] = write_json(store, out, pipeline)
        outputs["jsonld"] = write_jsonld(store, out)
    if "parquet" in settings.formats:
        outputs["parquet"] = write_parquet(store, out)
    if "report" in settings.formats:
        try:
            from sourcetrace.outputs.report import write_report
        except ModuleNotFoundError:
            log.debug("report module not available yet")
        else:
            outputs["report"] = write_report(store, out)
    return outputs
