"""Peak resident memory per stage, for memory benchmarks (Linux only, off by default).

With ``$SOURCETRACE_RSS_LOG`` set to a file path, :func:`begin` resets this process's peak
RSS (``/proc/self/clear_refs``) and :func:`end` appends one JSON line with the stage, the
process's role and pid, its RSS now and its peak RSS since :func:`begin` (VmHWM), so that
each stage's own peak is measured instead of the run's. NLP workers report their peak after
each task. Without the variable, or off Linux, both do nothing.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

RSS_ENV = "SOURCETRACE_RSS_LOG"


def _status() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in bytes."""
    found: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) * 1024
    return found


# The stages begun and not ended, innermost last, each with the largest peak seen in it so
# far: a stage begun inside another resets the peak, so the outer one keeps its own.
_open: list[list[Any]] = []


def _fold() -> dict[str, int]:
    """This process's status, its peak since the last reset counted in every open stage."""
    found = _status()
    for entry in _open:
        entry[1] = max(entry[1], found.get("VmHWM", 0))
    return found


def begin(stage: str) -> None:
    """Start measuring ``stage``: the peak from now on is this stage's (and that of the
    stages it is inside)."""
    if not os.environ.get(RSS_ENV):
        return
    try:
        _fold()
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")  # 5: reset the peak resident set size (Linux >= 4.0)
    except OSError:
        return
    _open.append([stage, 0])


def end(stage: str, role: str = "main", con: Any = None) -> None:
    """Record ``stage``'s peak RSS (and the RSS now) in ``$SOURCETRACE_RSS_LOG``; with
    ``con``, also what DuckDB holds now in memory and in its temporary files."""
    path = os.environ.get(RSS_ENV)
    if not path:
        return
    try:
        found = _fold()
    except OSError:
        return
    peak = found.get("VmHWM")
    while _open:  # this stage's own peak, with those of the stages begun inside it
        name, seen = _open.pop()
        if name == stage:
            peak = seen
            break
    record = {"stage": stage, "role": role, "pid": os.getpid(), "time": time.time(),
              "rss": found.get("VmRSS"), "peak": peak}
    if con is not None:
        # fetchall: a result left unfinished would block the connection's next query
        [(record["duckdb"], record["duckdb_temp"])] = con.execute(
            "SELECT sum(memory_usage_bytes), sum(temporary_storage_bytes) FROM duckdb_memory()"
        ).fetchall()
    line = json.dumps(record)
    with open(path, "a", encoding="utf-8") as f:  # one short line: appends do not interleave
        f.write(line + "\n")
