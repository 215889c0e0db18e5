"""Gzip streams read as far as they go: damage is reported after everything before it."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import IO

from sourcetrace.ingest.readers import ReadProblem

CHUNK = 1 << 16


def iter_gunzip(stream: IO[bytes]) -> Iterator[bytes]:
    """Decompressed chunks of a (possibly multi-member) gzip stream. Unlike ``gzip.open``,
    which loses the data of the read that hits the damage, every byte that could be
    decompressed is yielded before ``ReadProblem("truncated gzip: ...")`` is raised."""
    decoder = zlib.decompressobj(wbits=31)
    in_member = False  # the current decoder has been fed bytes of a member not yet ended
    while chunk := stream.read(CHUNK):
        while chunk:
            in_member = True
            try:
                out = decoder.decompress(chunk)
            except zlib.error as exc:
                raise ReadProblem(f"corrupt gzip: {exc}") from None
            if out:
                yield out
            if not decoder.eof:
                break
            # One member ended; what follows is the next member (NUL padding is allowed).
            chunk = decoder.unused_data.lstrip(b"\x00")
            decoder = zlib.decompressobj(wbits=31)
            in_member = False
    if in_member:
        tail = decoder.flush()
        if tail:
            yield tail
        raise ReadProblem("truncated gzip: the file ends inside a compressed member")


def iter_lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Lines (with their newline) from a stream of chunks."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield line + b"\n"
    if pending:
        yield pending
