"""Write chunks of SPEC §3 tables as CSV (appended) or Parquet (one row group per chunk)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from povguard.interchange.spec import FILES, Kind
from povguard.interchange.text import bool_to_text, cents_to_text, days_to_text


def _as_text(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """SPEC text forms, in the SPEC's column order (dates as day numbers, money as cents)."""
    columns = []
    for column in FILES[name].columns:
        value = pl.col(column.name)
        if column.kind is Kind.DATE:
            value = days_to_text(value)
        elif column.kind is Kind.MONEY:
            value = cents_to_text(value)
        elif column.kind is Kind.BOOL:
            value = bool_to_text(value)
        else:
            value = value.cast(pl.String)
        columns.append(value.alias(column.name))
    return frame.select(columns)


def _as_typed(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Parquet types: dates, decimals with 2 places, booleans, integers, text."""
    columns = []
    for column in FILES[name].columns:
        value = pl.col(column.name)
        if column.kind is Kind.DATE:
            value = value.cast(pl.Int32).cast(pl.Date)
        elif column.kind is Kind.MONEY:
            value = cents_to_text(value).cast(pl.Decimal(18, 2))
        elif column.kind is Kind.INT:
            value = value.cast(pl.Int64)
        elif column.kind is not Kind.BOOL:
            value = value.cast(pl.String)
        columns.append(value.alias(column.name))
    return frame.select(columns)


class DatasetWriter:
    """Appends chunks to every file of a dataset folder."""

    def __init__(self, folder: Path, fmt: str) -> None:
        self.folder = folder
        self.fmt = fmt
        self._started: set[str] = set()
        self._parquet: dict[str, Any] = {}
        (folder / "feeds").mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.{self.fmt}"

    def write(self, name: str, frame: pl.DataFrame) -> None:
        if self.fmt == "csv":
            text = _as_text(name, frame)
            with self.path(name).open("ab" if name in self._started else "wb") as handle:
                text.write_csv(handle, include_header=name not in self._started)
        else:
            table = _as_typed(name, frame).to_arrow()
            writer = self._parquet.get(name)
            if writer is None:
                writer = self._parquet[name] = pq.ParquetWriter(self.path(name), table.schema)
            writer.write_table(table)
        self._started.add(name)

    def close(self) -> None:
        for writer in self._parquet.values():
            writer.close()
        self._parquet.clear()
