"""Checks every input file goes through, and strict UTF-8 decoding with a useful message."""

from __future__ import annotations

from pathlib import Path

from sourcetrace.ingest.readers import ReadProblem


def format_size(n: int) -> str:
    # Small limits (tests, tight configs) would all print as "0.0 MB": show bytes instead.
    if n < 100_000:
        return f"{n:,} bytes"
    return f"{n / 1_000_000:.1f} MB"


def check_size(path: Path, max_bytes: int) -> int:
    size = path.stat().st_size
    if size == 0:
        raise ReadProblem("empty file")
    if max_bytes and size > max_bytes:
        raise ReadProblem(
            f"file is {format_size(size)}, over the limit of {format_size(max_bytes)} "
            "(--max-bytes)"
        )
    return size


def decode_utf8(data: bytes) -> str:
    """Decode text strictly. A leading byte-order mark is dropped (it is an encoding marker,
    not text); every other character is kept, line endings included, so offsets stay true."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ReadProblem(f"binary file (NUL byte at byte offset {nul}), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadProblem(
            f"invalid UTF-8 at byte offset {exc.start} (save the file as UTF-8)"
        ) from None


def read_text(path: Path) -> str:
    return decode_utf8(path.read_bytes())
