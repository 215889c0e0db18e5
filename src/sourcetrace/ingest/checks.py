"""Checks every input file goes through; text decoding: UTF-8, else a byte-order mark, else
the encoding charset-normalizer detects (recorded, as it is a guess), else a useful error."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
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


# UTF-32 LE's mark starts with UTF-16 LE's: test it first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# When several encodings read the bytes equally well, Windows-1252 wins: the Western code page
# is by far the likeliest for English news saved by Word or an old CMS (charset-normalizer
# lists Central European cp1250 first on ties, turning "naïve" into "naďve").
_PREFERRED = "cp1252"


def bom_encoding(data: bytes) -> str | None:
    """The UTF-16/32 encoding a byte-order mark at the start declares, if any."""
    return next((name for bom, name in _BOMS if data.startswith(bom)), None)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python codec name: "utf-8", "utf-16", "cp1252", ...
    # None for UTF-8; "byte-order mark" when the file declares it; "detected" when guessed.
    how: str | None = None

    @property
    def guessed(self) -> bool:
        return self.how == "detected"

    def warning(self) -> str:
        """The line that tells the user what was assumed."""
        return (
            f"not UTF-8: read as {self.encoding} (detected; check accented letters and "
            "quotes, or save the file as UTF-8)"
        )


def detect_encoding(data: bytes) -> str | None:
    """The encoding charset-normalizer finds most plausible, None when none reads the bytes
    as text (binary or damaged data)."""
    from charset_normalizer import from_bytes  # only for files that are not UTF-8

    matches = list(from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        # could_be_from_charset: the encodings that give the very same text as this one
        if (_PREFERRED in match.could_be_from_charset and match.chaos <= best.chaos
                and match.coherence >= best.coherence):
            return _PREFERRED
    return str(best.encoding)


def decode_text(data: bytes) -> Decoded:
    """Decode a text file: a UTF-16/32 byte-order mark is obeyed, UTF-8 is tried next, and
    failing that the encoding is detected. NUL bytes outside UTF-16/32 and bytes no encoding
    reads as text are refused. Offsets are into the decoded text, the BOM left out."""
    declared = bom_encoding(data)
    if declared:
        try:
            return Decoded(data.decode(declared), declared, "byte-order mark")
        except UnicodeDecodeError as exc:
            raise ReadProblem(
                f"invalid {declared.upper()} at byte offset {exc.start} (the file starts "
                "with its byte-order mark)"
            ) from None
    try:
        return Decoded(decode_utf8(data), "utf-8")
    except ReadProblem as problem:
        if b"\x00" in data:
            raise problem from None
        bad = str(problem).split(" (")[0]  # "invalid UTF-8 at byte offset N"
    encoding = detect_encoding(data)
    if encoding is None:
        raise ReadProblem(f"{bad}, and no other encoding reads it as text (binary or damaged?)")
    return Decoded(data.decode(encoding), encoding, "detected")
