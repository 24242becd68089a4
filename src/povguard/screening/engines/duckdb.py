"""The embedded engine: DuckDB reads the dataset (CSV or Parquet) and runs the compiled rules."""

from __future__ import annotations

import os
from typing import Any

import duckdb
import pyarrow as pa

from povguard.core.errors import BadInput
from povguard.screening.dataset import SourceFile
from povguard.screening.engines.base import SqlEngine
from povguard.screening.typed import bad_expression, quote, raw_view


def _reader(source: SourceFile) -> str:
    path = str(source.path).replace("'", "''")
    if source.path is not None and source.path.is_dir():
        return f"read_parquet('{path}/**/*.parquet', hive_partitioning = false)"
    if source.is_parquet:
        return f"read_parquet('{path}')"
    columns = ", ".join(f"'{name}': 'VARCHAR'" for name in source.columns)
    return (
        f"read_csv('{path}', header = true, delim = ',', quote = '\"', escape = '\"',"
        f" columns = {{{columns}}}, auto_detect = false, strict_mode = true)"
    )


class DuckDBEngine(SqlEngine):
    """Screens a dataset in an in-process DuckDB database."""

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        config: dict[str, str | bool | int | float | list[str]] = {
            "threads": threads or os.cpu_count() or 1
        }
        if memory_limit:
            config["memory_limit"] = memory_limit
        self.con = duckdb.connect(config=config)

    def _run(self, query: str) -> Any:
        try:
            return self.con.execute(query)
        except duckdb.Error as exc:
            raise BadInput(f"dataset could not be read: {str(exc).splitlines()[0]}") from exc

    def register_raw(self, source: SourceFile) -> None:
        text = ", ".join(f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in source.columns)
        self._run(f"CREATE TEMP VIEW {raw_view(source)} AS SELECT {text} FROM {_reader(source)}")

    def materialize(self, name: str, query: str) -> None:
        self._run(f"CREATE TEMP TABLE {name} AS {query}")

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        return list(self._run(query).fetchall())

    def arrow(self, query: str) -> pa.Table:
        try:
            return self.con.sql(query).to_arrow_table()
        except duckdb.Error as exc:
            raise BadInput(f"screening failed: {str(exc).splitlines()[0]}") from exc

    def register_table(self, name: str, types: dict[str, str], rows: list[tuple[Any, ...]]) -> None:
        columns = ", ".join(f"{column} {kind}" for column, kind in types.items())
        self._run(f"CREATE TEMP TABLE {name} ({columns})")
        if rows:
            marks = ", ".join("?" for _ in types)
            self.con.executemany(f"INSERT INTO {name} VALUES ({marks})", [list(r) for r in rows])

    def first_bad_row(self, source: SourceFile) -> tuple[str, str]:
        found = self.rows(
            f"SELECT _line, _bad FROM (SELECT row_number() OVER () AS _line,"
            f" {bad_expression(source)} AS _bad FROM {raw_view(source)})"
            " WHERE _bad IS NOT NULL ORDER BY _line LIMIT 1"
        )
        line, problem = found[0]
        # The header is line 1 of a CSV file; Parquet rows are counted from 1.
        return (f"row {line}" if source.is_parquet else f"line {line + 1}"), str(problem)

    def close(self) -> None:
        self.con.close()
