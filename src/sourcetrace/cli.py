"""The ``sourcetrace`` command line.

Exit codes: 0 when every input was analysed; 1 when some inputs failed (the rest are stored)
or when the inputs held no document at all (an empty folder, only files in formats we do not
read); 2 for usage errors (unknown option, missing argument, unknown model, an unknown
``--field`` name, a command whose optional dependencies are not installed...). Files in
formats we do not read found in a folder or by a glob are listed as "not read", and
warnings (such as a guessed encoding) are printed, but neither makes the exit code 1.
"""

from __future__ import annotations

import csv
import difflib
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sourcetrace import __version__
from sourcetrace.config import (
    ATTRIBUTION_ENV,
    ATTRIBUTION_MODES,
    DEFAULT_MODEL,
    REPORT_MAX_DOCUMENTS,
    Settings,
)
from sourcetrace.outputs.terminal import dumps, printable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Model loading bars from the sentence-transformers stack would garble our own progress bar.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

app = typer.Typer(
    help="Trace news claims to the sources that really stand behind them.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
)
err = Console(stderr=True)
out = Console()


def _screen() -> Console:
    """A console for stdout measured now: its width follows COLUMNS (or the terminal) at the
    time of the command, not at import."""
    return Console()

FORMATS = {"json", "parquet"}
# The document fields a JSON Lines record maps to (sourcetrace.ingest.jsonl.FIELDS; repeated
# here so `--help` does not import the readers).
JSONL_FIELDS = ("id", "text", "title", "outlet", "url", "published")


def _version(value: bool) -> None:
    if value:
        out.print(f"sourcetrace {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """sourcetrace: who says what, on what basis, and how many independent sources stand
    behind each claim."""


def _usage(message: str) -> typer.Exit:
    # messages quote what was typed (paths, ids): never markup, never terminal controls
    err.print(f"[red]error:[/red] {escape(printable(message))}", highlight=False,
              soft_wrap=True)
    return typer.Exit(2)


def _require_extra(extra: str, modules: tuple[str, ...], what: str) -> None:
    """Stop with one line naming the pip extra when ``what`` cannot run without ``modules``
    (the core installs without the Spark engine's and the web app's dependencies)."""
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        # soft_wrap: one line, whatever the terminal's width.
        # escape: "[web]" would otherwise be read as rich markup and vanish.
        message = escape(
            f"{what} needs {' and '.join(missing)}, not installed: "
            f"pip install 'sourcetrace[{extra}]'"
        )
        err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)


def _parse_fields(fields: list[str]) -> dict[str, str]:
    mapping = {}
    for item in fields:
        ours, sep, theirs = item.partition("=")
        if not sep or not ours or not theirs:
            raise _usage(f"--field expects OURS=THEIRS (e.g. text=body), got {item!r}")
        ours = ours.strip()
        if ours not in JSONL_FIELDS:
            raise _usage(
                f"--field {item}: unknown field {ours!r} (ours: {', '.join(JSONL_FIELDS)})"
            )
        mapping[ours] = theirs.strip()
    return mapping


# Option groups of `analyze --help`: grouped and given short metavars, its help stays a
# readable two-column list at 80 columns (one flat table squeezed the help to a word a line).
INPUT, OUTPUT, ANALYSIS, SPEED = "Input", "Output", "Analysis", "Speed"


@app.command()
def analyze(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUT",
            help="Files, folders or globs: .txt .html .jsonl[.gz] .warc[.gz] .pdf .docx, feeds, "
            "URL lists.",
        ),
    ],
    meta: Annotated[
        list[Path] | None,
        typer.Option(metavar="FILE", rich_help_panel=INPUT,
                     help="Metadata (CSV/TSV/JSON keyed by document id); repeatable."),
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(metavar="OURS=THEIRS", rich_help_panel=INPUT,
                     help="JSONL field mapping, e.g. text=body; repeatable."),
    ] = None,
    max_bytes: Annotated[
        int, typer.Option(metavar="N", rich_help_panel=INPUT,
                          help="Refuse input files larger than this.")
    ] = 50_000_000,
    fetch: Annotated[
        bool, typer.Option(rich_help_panel=INPUT, help="Fetch the pages of URL lists.")
    ] = False,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", rich_help_panel=OUTPUT,
                           help="Output folder.")
    ] = Path("out"),
    fmt: Annotated[
        str, typer.Option("--format", "-f", metavar="LIST", rich_help_panel=OUTPUT,
                          help="Exports, comma-separated: json, parquet.")
    ] = "json",
    report: Annotated[
        bool, typer.Option(rich_help_panel=OUTPUT, help="Write DIR/report.html.")
    ] = True,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", rich_help_panel=OUTPUT,
                           help="Print nothing but errors.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", rich_help_panel=OUTPUT,
                           help="Print a JSON summary on stdout.")
    ] = False,
    model: Annotated[
        str, typer.Option(metavar="PIPELINE", rich_help_panel=ANALYSIS,
                          help="Any installed spaCy pipeline (package or path).")
    ] = DEFAULT_MODEL,
    kb: Annotated[
        list[Path] | None,
        typer.Option(metavar="FILE", rich_help_panel=ANALYSIS,
                     help="Extra knowledge-base YAML (as the bundled one); repeatable."),
    ] = None,
    block_claims_above: Annotated[
        int,
        typer.Option(
            min=0, metavar="N", rich_help_panel=ANALYSIS,
            help="Above N claims, embed only those that could match another document's "
            "(same story, shared wording, copied passage); 0: always.",
        ),
    ] = 2000,
    workers: Annotated[
        int,
        typer.Option(min=0, metavar="N", rich_help_panel=SPEED,
                     help="NLP processes; 0: one per CPU."),
    ] = 0,
    batch_size: Annotated[
        int, typer.Option(min=1, metavar="N", rich_help_panel=SPEED,
                          help="Documents per nlp.pipe batch.")
    ] = 32,
    engine: Annotated[
        str, typer.Option(metavar="local|spark", rich_help_panel=SPEED,
                          help="Where the analysis runs.")
    ] = "local",
    spark_master: Annotated[
        str, typer.Option(metavar="URL", rich_help_panel=SPEED,
                          help="Spark master for --engine spark.")
    ] = "local[*]",
    recompute: Annotated[
        bool, typer.Option(
            "--recompute", rich_help_panel=ANALYSIS,
            help="Compute every corpus step over all documents again, not only what new "
                 "documents change (same result).",
        ),
    ] = False,
    attribution: Annotated[
        str, typer.Option(metavar="learned|rules", rich_help_panel=ANALYSIS,
                          help="Attribution extractor: learned (CRF over the rules) or rules.")
    ] = "learned",
) -> None:
    """Analyse articles and write the store, exports and report to --out."""
    formats = {f.strip() for f in fmt.split(",") if f.strip()}
    unknown = formats - FORMATS
    if unknown:
        raise _usage(f"unknown --format {', '.join(sorted(unknown))} (choose from json, parquet)")
    if engine not in {"local", "spark"}:
        raise _usage(f"unknown --engine {engine!r} (choose local or spark)")
    if attribution not in ATTRIBUTION_MODES:
        raise _usage(f"unknown --attribution {attribution!r} (choose learned or rules)")
    # the NLP components (and worker processes) read the choice from the environment
    os.environ[ATTRIBUTION_ENV] = attribution
    if engine == "spark":
        _require_extra("spark", ("pyspark", "pandas"), "--engine spark")
    from sourcetrace.ingest import IngestOptions

    field_map = _parse_fields(field or [])
    for path in [*(meta or []), *(kb or [])]:
        if not path.is_file():
            raise _usage(f"{path}: no such file")
    settings = Settings(
        out=out_dir, model=model, workers=workers, batch_size=batch_size,
        formats=tuple(sorted(formats | ({"report"} if report else set()))),
        kb_files=list(kb or []), engine=engine,
        spark_master=spark_master, quiet=quiet, block_claims_above=block_claims_above,
        recompute=recompute, attribution=attribution,
    )
    options = IngestOptions(
        max_bytes=max_bytes, meta=list(meta or []), field_map=field_map, fetch=fetch
    )
    try:
        from sourcetrace.nlp.pipeline import load_pipeline

        load_pipeline(model)
    except RuntimeError as exc:
        raise _usage(str(exc)) from None

    if engine == "spark":
        from sourcetrace.engines.spark import run_analysis_spark as run
    else:
        from sourcetrace.engines.local import run_analysis as run

    show = not quiet and not as_json
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=err, disable=not show, transient=False,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, advance: int, total: int | None) -> None:
            if stage not in tasks:
                label = {"analyse": "analysing documents", "link": "linking the corpus"}
                tasks[stage] = bar.add_task(label.get(stage, stage), total=total)
            bar.update(tasks[stage], advance=advance, total=total)

        try:
            result = run(inputs, settings, options, progress)
        except KeyboardInterrupt:
            err.print("interrupted: finished documents are stored; run again to resume")
            raise typer.Exit(130) from None
    failed = [e for e in result.errors if e.kind == "error"]
    passed_over = [e for e in result.errors if e.kind == "skipped"]
    warnings = [e for e in result.errors if e.kind == "warning"]
    labels = {"error": "skipped", "skipped": "not read", "warning": "warning"}
    for e in result.errors:
        # a problem names files and document ids from the input: no markup, no controls
        label = labels.get(e.kind, e.kind)
        err.print(f"[yellow]{label}[/yellow] {escape(printable(e))}", highlight=False,
                  markup=True, soft_wrap=True)
    # Nothing read at all (an empty folder, only files we do not read): not a success.
    nothing = not (result.analysed or result.skipped or result.duplicates or result.repeats)
    summary = {
        "out": str(result.out), "analysed": result.analysed, "already_analysed": result.skipped,
        "duplicates": result.duplicates, "repeats": result.repeats,
        "errors": [str(e) for e in failed],
        "not_read": [str(e) for e in passed_over],
        "warnings": [str(e) for e in warnings],
        "outputs": {k: str(v) for k, v in result.outputs.items()},
        "seconds": round(result.seconds, 2), "words": result.words,
        "stages": {k: round(v, 2) for k, v in getattr(result, "stages", {}).items()},
        "work": getattr(result, "work", {}),
    }
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=1) + "\n")
    elif not quiet:
        err.print(
            f"analysed {result.analysed} documents ({result.skipped} already done, "
            f"{result.duplicates} more appearances of a text analysed once, "
            f"{result.repeats} repeats of the same outlet and URL left out, "
            f"{len(failed)} problems, {len(passed_over)} files not read, "
            f"{len(warnings)} warnings) "
            f"in {result.seconds:.1f}s"
        )
        for name, path in result.outputs.items():
            err.print(f"  {name:8} {path}")
    if nothing:
        err.print(
            "error: no documents found in the inputs: nothing was analysed"
            + (" (why each input was not read is listed above)" if result.errors else ""),
            markup=False, highlight=False, soft_wrap=True,
        )
    raise typer.Exit(1 if failed or nothing else 0)


def _store(directory: Path):  # noqa: ANN202 - AnalysisStore, imported lazily
    from sourcetrace.outputs.store import DB_NAME, AnalysisStore

    db = directory / DB_NAME if directory.is_dir() else directory
    if not db.is_file():
        raise _usage(f"{directory}: no sourcetrace.duckdb here (run `sourcetrace analyze` first)")
    return AnalysisStore(db, read_only=True)


CSV_FIELDS = (
    "id", "narrative", "outlets", "independent_origins", "amplification", "first_appearance",
    "flags", "label",
)


@app.command()
def claims(
    directory: Annotated[Path, typer.Argument(help="An --out folder of `analyze`.")],
    limit: Annotated[
        int, typer.Option(metavar="N", help="How many clusters to list (1 or more).")
    ] = 20,
    min_outlets: Annotated[
        int, typer.Option(metavar="N", help="Only clusters relayed by this many outlets (an "
                                         "article whose outlet is unknown counts as one).")
    ] = 1,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the clusters as a JSON array (analysis.json's "
                     "claim_clusters objects, each naming its narrative)."),
    ] = False,
    as_csv: Annotated[
        bool,
        typer.Option("--csv", help="Print the clusters as CSV, columns " + ", ".join(CSV_FIELDS)
                     + " (outlets: a count, an article whose outlet is unknown counting as "
                     "one; flags: ';'-separated)."),
    ] = False,
) -> None:
    """List claim clusters (propositions) ranked by amplification (outlets per independent
    origin), grouped under the narratives they belong to. --limit and --min-outlets count
    propositions. Ids, numbers and flags are never cut: the claim text is; in a narrow
    terminal (below about 120 columns) each entry is stacked, its id, numbers and flags on
    one line and the claim below."""
    from sourcetrace.provenance.views import claims_table, narratives_of, ranked_clusters

    if limit < 1:
        raise _usage(f"--limit must be 1 or more, got {limit}")
    if as_json and as_csv:
        raise _usage("choose one of --json and --csv")
    with _store(directory) as store:
        rows = ranked_clusters(store, limit=limit, min_outlets=min_outlets)
        narratives = {} if as_json or as_csv else narratives_of(store, rows)
    if as_json:
        sys.stdout.write(dumps(rows) + "\n")
    elif as_csv:
        _write_csv(rows)
    else:
        screen = _screen()
        screen.print(claims_table(rows, narratives, width=screen.width))


def _write_csv(rows: list[dict]) -> None:
    """One line per cluster. CSV has no escapes of its own: control characters from the
    articles are written as visible escapes, like everything else printed (the JSON outputs
    keep them losslessly)."""
    from sourcetrace.outputs.shapes import relays

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in rows:
        writer.writerow([printable(v) for v in (
            r["id"], r.get("narrative") or "", relays(r), r["independent_origins"],
            "" if r["amplification"] is None else f"{r['amplification']:.2f}",
            r["first_appearance"] or "", ";".join(r["flags"]), r["label"],
        )])


@app.command()
def trace(
    directory: Annotated[Path, typer.Argument(help="An --out folder of `analyze`.")],
    claim_id: Annotated[
        str,
        typer.Argument(
            help="A claim cluster id (cl:<n>) or a narrative id (nr:<n>), from "
            "`sourcetrace claims`."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print one cluster's chain from each article down to its controllers; for a narrative,
    its rolled-up origins, then the chains of each of its propositions."""
    from sourcetrace.provenance.views import trace_cluster, trace_narrative, trace_tree

    narrative = claim_id.startswith("nr:")
    with _store(directory) as store:
        data = (trace_narrative if narrative else trace_cluster)(store, claim_id)
        hint = "" if data is not None else _did_you_mean(store, claim_id)
    if data is None:
        what = "narrative" if narrative else "claim cluster"
        err.print(
            printable(f"error: no {what} {claim_id!r} in {directory}{hint} "
                      "(ids: cl:<n> or nr:<n>, as `sourcetrace claims` lists them)"),
            markup=False, highlight=False, soft_wrap=True,
        )
        raise typer.Exit(1)
    if as_json:
        sys.stdout.write(dumps(data) + "\n")
    else:
        _screen().print(trace_tree(data))


def _did_you_mean(store, claim_id: str) -> str:  # noqa: ANN001 - AnalysisStore, lazily
    """"; did you mean cl:3?" for an id that is not in the store: a bare number is taken as
    the cluster (or narrative) of that number, anything else matched against every id."""
    ids = [r[0] for r in store.con.execute("SELECT id FROM claim_clusters").fetchall()]
    if store.has_table("narratives"):
        ids += [r[0] for r in store.con.execute("SELECT id FROM narratives").fetchall()]
    bare = claim_id.strip().lower()
    if ":" in bare:
        bare = bare.split(":", 1)[1]
    close = [i for i in (f"cl:{bare}", f"nr:{bare}") if i in ids and i != claim_id]
    if not close:
        close = difflib.get_close_matches(claim_id, ids, n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else ""


@app.command("report")
def report_cmd(
    directory: Annotated[Path, typer.Argument(help="An --out folder of `analyze`.")],
    max_documents: Annotated[
        int, typer.Option(
            min=0, metavar="N",
            help="Above N articles the page holds the most relayed narratives only "
                 "(its headline still counts all); 0: every article.",
        ),
    ] = REPORT_MAX_DOCUMENTS,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """(Re)write DIR/report.html, a self-contained offline report."""
    from sourcetrace.outputs.report import write_report

    with _store(directory) as store:
        path = write_report(store, directory, max_documents or sys.maxsize)
    if not quiet:
        err.print(f"report: {path}")


EXPORTS = {
    # format: (default name in DIR, what it holds)
    "json": ("analysis.json", "the whole analysis (schema sourcetrace/analysis/1)"),
    "parquet": ("parquet", "every table, one .parquet file each"),
    "jsonld": ("claims.jsonld", "schema.org Claim JSON-LD, one item per claim cluster"),
}


@app.command()
def export(
    directory: Annotated[Path, typer.Argument(help="An --out folder of `analyze`.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help="json, parquet or jsonld.")
    ] = "json",
    target: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="PATH",
                     help="Write here instead of DIR (a file; a folder for parquet)."),
    ] = None,
) -> None:
    """Write an export from the store: json (DIR/analysis.json, the whole analysis with the
    pipeline that produced it), parquet (DIR/parquet/, one file per table) or jsonld
    (DIR/claims.jsonld, schema.org Claim items). A file already there is replaced, and the
    message says so; --out writes elsewhere."""
    from sourcetrace.outputs.export import write_json, write_parquet

    if fmt not in EXPORTS:
        raise _usage(f"unknown --format {fmt!r} (json, parquet, jsonld)")
    name, what = EXPORTS[fmt]
    path = target if target is not None else directory / name
    if target is not None and fmt != "parquet" and target.is_dir():
        path = target / name
    existed = path.exists()
    with _store(directory) as store:
        if fmt == "json":
            pipeline = _pipeline(store, directory)
            path = write_json(store, directory, pipeline, path=path)
            what += f"; {_pipeline_text(pipeline)}"
        elif fmt == "parquet":
            path = write_parquet(store, directory, target=path)
        else:
            from sourcetrace.provenance.jsonld import write_jsonld

            path = write_jsonld(store, directory, path=path)
    verb = "replaced" if existed and fmt != "parquet" else "wrote"
    err.print(printable(f"{verb} {path}: {what}"), markup=False, highlight=False,
              soft_wrap=True)


def _pipeline(store, directory: Path) -> dict:  # noqa: ANN001 - AnalysisStore, lazily
    """The pipeline the store was analysed with, as the analysis recorded it. A store written
    before runs were recorded: the pipeline of the analysis.json written with it, if its
    pipeline version is the documents'; else only that version, and a warning."""
    recorded = store.pipeline()
    if recorded:
        return recorded
    versions = sorted(
        v for (v,) in store.con.execute(
            "SELECT DISTINCT pipeline_version FROM documents WHERE pipeline_version IS NOT NULL"
        ).fetchall()
    )
    written = _written_pipeline(directory / "analysis.json")
    if written.get("model") and [written.get("pipeline_version")] == versions:
        return written
    err.print(
        "warning: this store does not record its model (written by an older sourcetrace); "
        "run `sourcetrace analyze` again on the same --out to record it",
        markup=False, highlight=False, soft_wrap=True,
    )
    return {"pipeline_version": versions[0] if len(versions) == 1 else versions or None}


def _written_pipeline(path: Path) -> dict:
    """The ``pipeline`` object of an analysis.json, read from its head (the object comes
    before the documents, and the file can be large); {} when there is none."""
    try:
        with path.open(encoding="utf-8") as f:
            head = f.read(1 << 16)
        start = head.index('"pipeline":') + len('"pipeline":')
        found, _ = json.JSONDecoder().raw_decode(head, start)
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _pipeline_text(pipeline: dict) -> str:
    model = pipeline.get("model")
    if not model:
        return "model unknown"
    version = pipeline.get("model_version")
    return (f"model {model}{' ' + version if version else ''}, "
            f"sourcetrace {pipeline.get('sourcetrace', '?')}")


@app.command()
def serve(
    directory: Annotated[Path, typer.Argument(help="An --out folder of `analyze`.")],
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Browse an analysis in a local, read-only web app."""
    _require_extra("web", ("fastapi", "uvicorn"), "serve")
    from sourcetrace.outputs.web import serve as run_server

    _store(directory).close()
    run_server(directory, host=host, port=port)


def main() -> None:
    """The console script. The parser's own usage errors (a missing argument, ``--limit
    abc``, an unknown option or command) are printed like ours: one line naming the problem
    and one saying where help is, never a box that a script must parse or a narrow terminal
    wraps."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        err.print("Aborted.")
        code = 1
    except Exception as e:
        # click's exceptions (typer vendors its own copy of click, so matched by what they
        # offer, not by class): anything else is a bug and keeps its traceback
        if not (hasattr(e, "format_message") and hasattr(e, "exit_code")):
            raise
        if type(e).__name__ == "NoArgsIsHelpError":
            e.show()  # type: ignore[attr-defined]  # the command's help
        else:
            _usage(e.format_message())
            ctx = getattr(e, "ctx", None)
            if ctx is not None:
                err.print(f"Try '{escape(printable(ctx.command_path))} --help'.",
                          highlight=False, soft_wrap=True)
        code = e.exit_code
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
