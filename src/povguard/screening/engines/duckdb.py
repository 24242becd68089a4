"""The embedded engine: DuckDB reads the dataset (CSV or Parquet) and runs the compiled rules."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from povguard.core.errors import BadInput
from povguard.screening.dataset import SourceFile
from povguard.screening.engines.base import SqlEngine
from povguard.screening.typed import bad_expression, native_type, quote, raw_view, unparsable


def _reader(source: SourceFile, *, native: bool = False) -> str:
    """DuckDB table function reading the file; a CSV is parsed into native types if asked."""
    path = str(source.path).replace("'", "''")
    if source.path is not None and source.path.is_dir():
        return f"read_parquet('{path}/**/*.parquet', hive_partitioning = false)"
    if source.is_parquet:
        return f"read_parquet('{path}')"
    types = {c.name: native_type(c) if native else "VARCHAR" for c in source.spec.columns}
    columns = ", ".join(f"'{name}': '{types[name]}'" for name in source.columns)
    rejects = (
        f", store_rejects = true, rejects_table = '{_rejects(source)}',"
        f" rejects_scan = '{_rejects(source)}_scan', rejects_limit = 20"
        if native
        else ""
    )
    return (
        f"read_csv('{path}', header = true, delim = ',', quote = '\"', escape = '\"',"
        f" columns = {{{columns}}}, auto_detect = false, strict_mode = true,"
        f" dateformat = '%Y-%m-%d'{rejects})"
    )


def _rejects(source: SourceFile) -> str:
    return "rej_" + source.spec.name.replace("/", "_")


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
        self.con.execute("SET enable_progress_bar = false")  # the CLI reports progress itself

    def _run(self, query: str) -> Any:
        try:
            return self.con.execute(query)
        except duckdb.Error as exc:
            raise BadInput(f"dataset could not be read: {str(exc).splitlines()[0]}") from exc

    def native(self, source: SourceFile) -> bool:
        # DuckDB's CSV reader parses dates, numbers and booleans far faster than SQL casts.
        return not source.is_parquet

    def register_raw(self, source: SourceFile) -> None:
        native = self.native(source)
        columns = ", ".join(
            quote(c) if native else f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}"
            for c in source.columns
        )
        reader = _reader(source, native=native)
        self._run(f"CREATE TEMP VIEW {raw_view(source)} AS SELECT {columns} FROM {reader}")

    def reader_rejects(self, source: SourceFile) -> tuple[str, str, int] | None:
        if not self.native(source) or source.path is None:
            return None
        table = _rejects(source)
        count = self.rows(f"SELECT count(*) FROM {table}")[0][0]
        if not count:
            return None
        line, column, message = self.rows(
            f"SELECT line, column_name, error_message FROM {table} ORDER BY line LIMIT 1"
        )[0]
        if column in source.spec.column_names:
            return f"line {line}: {column}", unparsable(source.spec.column(column)), int(count)
        return f"line {line}", str(message).splitlines()[0], int(count)

    def view(self, name: str, query: str) -> None:
        self._run(f"CREATE TEMP VIEW {name} AS {query}")

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
            f" {bad_expression(source, native=self.native(source))} AS _bad"
            f" FROM {raw_view(source)})"
            " WHERE _bad IS NOT NULL ORDER BY _line LIMIT 1"
        )
        line, problem = found[0]
        # The header is line 1 of a CSV file; Parquet rows are counted from 1.
        return (f"row {line}" if source.is_parquet else f"line {line + 1}"), str(problem)

    def export(self, query: str, path: Path) -> None:
        """Write the result of `query` to a Parquet file."""
        target = str(path).replace("'", "''")
        self._run(f"COPY ({query}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")

    @staticmethod
    def parquet_source(paths: list[Path]) -> str:
        files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
        return f"read_parquet([{files}])"

    def close(self) -> None:
        self.con.close()
