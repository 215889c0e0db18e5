"""The ``sourcetrace`` command line.

Exit codes: 0 when every input was analysed, 1 when some inputs failed (the rest are stored),
2 for usage errors (unknown option, missing argument, unknown model, a command whose optional
dependencies are not installed...).
"""

from __future__ import annotations

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
from sourcetrace.config import ATTRIBUTION_ENV, ATTRIBUTION_MODES, DEFAULT_MODEL, Settings

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

FORMATS = {"json", "parquet"}


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
    err.print(f"[red]error:[/red] {message}", highlight=False)
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
        mapping[ours.strip()] = theirs.strip()
    return mapping


@app.command()
def analyze(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders or globs: .txt .html .jsonl[.gz] .warc[.gz], feeds, URL lists."
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Exports, comma-separated: json, parquet.")
    ] = "json",
    model: Annotated[
        str, typer.Option(help="Any installed spaCy pipeline (package or path).")
    ] = DEFAULT_MODEL,
    workers: Annotated[
        int,
        typer.Option(min=0, help="Processes for the NLP pass; 0: one per available CPU."),
    ] = 0,
    meta: Annotated[
        list[Path] | None,
        typer.Option(help="Metadata file (CSV/TSV/JSON keyed by document id); repeatable."),
    ] = None,
    kb: Annotated[
        list[Path] | None,
        typer.Option(help="Extra knowledge-base YAML file (same format as the bundled one)."),
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(help="JSONL field mapping OURS=THEIRS, e.g. --field text=body; repeatable."),
    ] = None,
    max_bytes: Annotated[
        int, typer.Option(help="Refuse input files larger than this many bytes.")
    ] = 50_000_000,
    batch_size: Annotated[int, typer.Option(min=1, help="Documents per nlp.pipe batch.")] = 32,
    fetch: Annotated[bool, typer.Option(help="Fetch the pages of URL lists.")] = False,
    block_claims_above: Annotated[
        int,
        typer.Option(
            min=0,
            help="Above this many claims, embed only claims that could match another "
            "document's (same story, shared wording, copied passage); 0: always.",
        ),
    ] = 2000,
    report: Annotated[bool, typer.Option(help="Write DIR/report.html.")] = True,
    engine: Annotated[str, typer.Option(help="local or spark.")] = "local",
    spark_master: Annotated[
        str, typer.Option(help="Spark master URL for --engine spark.")
    ] = "local[*]",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    attribution: Annotated[
        str, typer.Option(help="Attribution extractor: learned (CRF over the rules) or rules.")
    ] = "learned",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")
    ] = False,
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
        attribution=attribution,
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
    for e in result.errors:
        err.print(f"[yellow]skipped[/yellow] {e}", highlight=False, markup=True, soft_wrap=True)
    summary = {
        "out": str(result.out), "analysed": result.analysed, "already_analysed": result.skipped,
        "duplicates": result.duplicates, "repeats": result.repeats,
        "errors": [str(e) for e in result.errors],
        "outputs": {k: str(v) for k, v in result.outputs.items()},
        "seconds": round(result.seconds, 2), "words": result.words,
        "stages": {k: round(v, 2) for k, v in getattr(result, "stages", {}).items()},
    }
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=1) + "\n")
    elif not quiet:
        err.print(
            f"analysed {result.analysed} documents ({result.skipped} already done, "
            f"{result.duplicates} more appearances of a text analysed once, "
            f"{result.repeats} repeats of the same outlet and URL left out, "
            f"{len(result.errors)} problems) "
            f"in {result.seconds:.1f}s"
        )
        for name, path in result.outputs.items():
            err.print(f"  {name:8} {path}")
    raise typer.Exit(1 if result.errors else 0)


def _store(directory: Path):  # noqa: ANN202 - AnalysisStore, imported lazily
    from sourcetrace.outputs.store import DB_NAME, AnalysisStore

    db = directory / DB_NAME if directory.is_dir() else directory
    if not db.is_file():
        raise _usage(f"{directory}: no sourcetrace.duckdb here (run `sourcetrace analyze` first)")
    return AnalysisStore(db, read_only=True)


@app.command()
def claims(
    directory: Annotated[Path, typer.Argument(help="An --out folder of `analyze`.")],
    limit: Annotated[int, typer.Option(help="How many clusters to list.")] = 20,
    min_outlets: Annotated[
        int, typer.Option(help="Only clusters relayed by this many outlets.")
    ] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the clusters as JSON (each names its narrative).")
    ] = False,
) -> None:
    """List claim clusters (propositions) ranked by amplification (outlets per independent
    origin), grouped under the narratives they belong to. --limit and --min-outlets count
    propositions."""
    from sourcetrace.provenance.views import claims_table, narratives_of, ranked_clusters

    with _store(directory) as store:
        rows = ranked_clusters(store, limit=limit, min_outlets=min_outlets)
        narratives = {} if as_json else narratives_of(store, rows)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    else:
        out.print(claims_table(rows, narratives))


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
    if data is None:
        what = "narrative" if narrative else "claim cluster"
        err.print(
            f"error: no {what} {claim_id!r} in {directory} "
            "(ids: cl:<n> or nr:<n>, as `sourcetrace claims` lists them)",
            markup=False, highlight=False, soft_wrap=True,
        )
        raise typer.Exit(1)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    else:
        out.print(trace_tree(data))


@app.command("report")
def report_cmd(
    directory: Annotated[Path, typer.Argument(help="An --out folder of `analyze`.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """(Re)write DIR/report.html, a self-contained offline report."""
    from sourcetrace.outputs.report import write_report

    with _store(directory) as store:
        path = write_report(store, directory)
    if not quiet:
        err.print(f"report: {path}")


@app.command()
def export(
    directory: Annotated[Path, typer.Argument(help="An --out folder of `analyze`.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="json, parquet or jsonld.")] = "json",
) -> None:
    """Write analysis.json, Parquet tables or schema.org ClaimReview JSON-LD from the store."""
    from sourcetrace.outputs.export import write_json, write_parquet

    with _store(directory) as store:
        if fmt == "json":
            path = write_json(store, directory)
        elif fmt == "parquet":
            path = write_parquet(store, directory)
        elif fmt == "jsonld":
            from sourcetrace.provenance.jsonld import write_jsonld

            path = write_jsonld(store, directory)
        else:
            raise _usage(f"unknown --format {fmt!r} (json, parquet, jsonld)")
    err.print(f"wrote {path}")


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
    app()


if __name__ == "__main__":
    main()
