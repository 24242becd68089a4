"""Where things are in a SPEC §3 CSV file, for naming the line of a problem (error paths only:
the files themselves are read by Polars and DuckDB)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

# Below this magnitude a float holds every integer exactly (a whole float read as an integer).
EXACT_FLOAT_INTEGERS = 2**53


def records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each record of the file, header first, with the line on which it starts (a quoted value
    may hold line breaks)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        start = 1
        for record in reader:
            yield start, record
            start = reader.line_num + 1


# How far from its end a file is read to find its last line.
_TAIL_BYTES = 1 << 16


def cut_short(path: Path, width: int) -> tuple[int, str] | None:
    """(line, reason) when the CSV file looks cut short, as a copy or an upload stopped midway
    leaves it: it does not end with a line break and its last line has fewer values than the
    header's `width` columns. (A line short of values is otherwise read as if its last values
    were empty, as some writers drop them; a cut inside a quoted value is an unclosed quote.)
    Only the end of the file is read, and the whole file only to number that line."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        if size == 0:
            return None
        handle.seek(max(0, size - _TAIL_BYTES))
        tail = handle.read()
    if tail.endswith((b"\n", b"\r")):
        return None
    last = tail.rsplit(b"\n", 1)[-1] if b"\n" in tail or size <= _TAIL_BYTES else None
    if last is None or last.count(b'"') % 2:
        return None  # a line longer than the tail, or one inside a quoted value: not judged
    values = next(csv.reader([last.decode("utf-8", errors="replace")]), [])
    if len(values) >= width:
        return None
    reason = (
        f"the file ends without a line break in a line of {len(values)} values where the"
        f" header names {width} columns: it looks cut short"
    )
    return _line_count(path), reason


def _line_count(path: Path) -> int:
    """The number of lines of a file that does not end with a line break."""
    lines = 1
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines
