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
