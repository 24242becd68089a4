"""Validated files kept on disk, typed, between validation and loading.

Holding every file of a large dataset in memory from the first read to the last write made an
import's memory grow by about 11 GB per million households. Each file is typed once, right
after its own checks, and written to a temporary Parquet file; only the columns the checks
across files need stay in memory, and loading reads the typed files back one at a time.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl


class TypedFiles:
    """Typed frames by SPEC file name, in a temporary folder (removed by `typed_files`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, name: str) -> Path:
        return self.folder / f"{name.replace('/', '__')}.parquet"

    def put(self, name: str, frame: pl.DataFrame) -> None:
        # lz4: written and read back several times faster than the lake's zstd
        frame.write_parquet(self._path(name), compression="lz4")

    def get(self, name: str) -> pl.DataFrame:
        return pl.read_parquet(self._path(name))


@contextmanager
def typed_files() -> Iterator[TypedFiles]:
    folder = Path(tempfile.mkdtemp(prefix="povguard-import-"))
    try:
        yield TypedFiles(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
