"""The embedded engine: DuckDB reads the dataset (CSV or Parquet) and runs the compiled rules.

This module and `spark.py` are the only places that know an engine.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import duckdb
import pyarrow as pa

from povguard.core.errors import BadInput
from povguard.interchange.spec import Column, Kind
from povguard.screening.compiler import compile_screening
from povguard.screening.dataset import INTEGRITY, NORMALISE, SourceFile
from povguard.screening.frame import FRAME
from povguard.screening.params import ParamRow
from povguard.screening.window import Window, month_label

_TYPES = {
    Kind.DATE: ("DATE", ("_day", "_mon", "_ymd")),
    Kind.MONTH: ("INTEGER", ("_mon",)),
    Kind.MONEY: ("BIGINT", ("_c",)),
    Kind.INT: ("BIGINT", ("",)),
    Kind.BOOL: ("BOOLEAN", ("",)),
}
_PATTERNS = {
    Kind.DATE: r"\d{4}-\d{2}-\d{2}",
    Kind.MONTH: r"\d{4}-(0[1-9]|1[0-2])",
    Kind.MONEY: r"-?\d+(\.\d{1,2})?",
    Kind.INT: r"-?\d+",
    Kind.CODE: r"\d{12}",
    Kind.ID_NUMBER: r"\d{17}[0-9X]",
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _problem(column: Column, raw: str) -> str:
    """SQL: why the raw text of `column` is unusable, or NULL."""
    checks = []
    pattern = _PATTERNS.get(column.kind)
    if pattern:
        checks.append(
            f"WHEN NOT regexp_full_match({raw}, '{pattern}') THEN 'not a valid {column.kind}'"
        )
    if column.kind is Kind.DATE:
        checks.append(f"WHEN TRY_CAST({raw} AS DATE) IS NULL THEN 'not a real date'")
    if column.kind is Kind.BOOL:
        checks.append(f"WHEN {raw} NOT IN ('true', 'false') THEN 'must be true or false'")
    if column.kind is Kind.ENUM:
        checks.append(f"WHEN {raw} NOT IN ({_sql_list(column.choices)}) THEN 'unknown value'")
    if column.min_value is not None and column.kind in (Kind.MONEY, Kind.INT):
        checks.append(
            f"WHEN TRY_CAST({raw} AS DOUBLE) < {column.min_value} THEN 'below {column.min_value:g}'"
        )
    if column.max_value is not None and column.kind is Kind.INT:
        checks.append(
            f"WHEN TRY_CAST({raw} AS DOUBLE) > {column.max_value} THEN 'above {column.max_value:g}'"
        )
    if not checks and not column.required:
        return "NULL"
    when_empty = "'empty required value'" if column.required else "NULL"
    return f"CASE WHEN {raw} IS NULL THEN {when_empty} {' '.join(checks)} END"


def _typed(column: Column, raw: str) -> list[str]:
    """SQL select items turning raw text into the typed columns the frame reads."""
    name = column.name
    if column.kind is Kind.DATE:
        d = f"{name}__d"
        return [
            f"{raw} AS {_q(name)}",
            f"TRY_CAST({raw} AS DATE) AS {d}",
            f"CAST({d} - DATE '1970-01-01' AS BIGINT) AS {name}_day",
            f"year({d}) * 12 + month({d}) - 1 AS {name}_mon",
            f"year({d}) * 10000 + month({d}) * 100 + day({d}) AS {name}_ymd",
        ]
    if column.kind is Kind.MONTH:
        return [
            f"TRY_CAST(substr({raw}, 1, 4) AS INTEGER) * 12"
            f" + TRY_CAST(substr({raw}, 6, 2) AS INTEGER) - 1 AS {name}_mon"
        ]
    if column.kind is Kind.MONEY:
        return [f"CAST(TRY_CAST({raw} AS DECIMAL(18, 2)) * 100 AS BIGINT) AS {name}_c"]
    if column.kind is Kind.INT:
        return [f"TRY_CAST({raw} AS BIGINT) AS {_q(name)}"]
    if column.kind is Kind.BOOL:
        return [f"CASE {raw} WHEN 'true' THEN true WHEN 'false' THEN false END AS {_q(name)}"]
    return [f"{raw} AS {_q(name)}"]


def _reader(source: SourceFile) -> str:
    path = str(source.path).replace("'", "''")
    if source.is_parquet:
        return f"read_parquet('{path}')"
    columns = ", ".join(f"'{name}': 'VARCHAR'" for name in source.columns)
    return (
        f"read_csv('{path}', header = true, delim = ',', quote = '\"', escape = '\"',"
        f" columns = {{{columns}}}, auto_detect = false, strict_mode = true)"
    )


def _typed_select(source: SourceFile) -> tuple[str, str]:
    """(typed SELECT, problem expression) for one file; an absent file yields no rows."""
    items: list[str] = []
    problems: list[str] = []
    for column in source.spec.columns:
        present = column.name in source.columns
        raw = f"CAST({_q(column.name)} AS VARCHAR)" if present else "CAST(NULL AS VARCHAR)"
        items.extend(_typed(column, raw))
        problem = _problem(column, raw)
        if problem != "NULL":
            problems.append(f"'{column.name}: ' || ({problem})")
    bad = f"coalesce({', '.join(problems)})" if problems else "NULL"
    if source.path is None:
        return f"SELECT {', '.join(items)}, NULL AS _bad WHERE false", bad
    return f"SELECT {', '.join(items)}, {bad} AS _bad FROM {_reader(source)}", bad


class DuckDBEngine:
    """Screens a dataset in an in-process DuckDB database."""

    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        self.threads = threads or os.cpu_count() or 1
        self.memory_limit = memory_limit

    def _connect(self) -> duckdb.DuckDBPyConnection:
        config: dict[str, str | bool | int | float | list[str]] = {"threads": self.threads}
        if self.memory_limit:
            config["memory_limit"] = self.memory_limit
        return duckdb.connect(config=config)

    def screen_files(
        self, files: dict[str, SourceFile], window: Window, params: list[ParamRow]
    ) -> pa.Table:
        """Load, check and screen a located dataset; returns the compiled query's rows."""
        con = self._connect()
        try:
            self._load(con, files)
            self._load_params(con, params)
            self._check_integrity(con)
            return con.sql(compile_screening(window)).to_arrow_table()
        except duckdb.Error as exc:
            raise BadInput(f"dataset could not be read: {str(exc).splitlines()[0]}") from exc
        finally:
            con.close()

    def provinces(self, files: dict[str, SourceFile]) -> list[str]:
        """The province codes of the dataset's households (for the policy lookup)."""
        source = files["households"]
        con = self._connect()
        try:
            rows = con.sql(
                f"SELECT DISTINCT substr(CAST(village_code AS VARCHAR), 1, 2) || '0000000000'"
                f" FROM {_reader(source)} WHERE village_code IS NOT NULL"
            ).fetchall()
        except duckdb.Error as exc:
            raise BadInput(f"{source.path}: {str(exc).splitlines()[0]}") from exc
        finally:
            con.close()
        return sorted(row[0] for row in rows)

    def _load(self, con: duckdb.DuckDBPyConnection, files: dict[str, SourceFile]) -> None:
        for source in files.values():
            select, bad = _typed_select(source)
            con.execute(f"CREATE TEMP TABLE {source.view} AS {select}")
            self._raise_on_bad_rows(con, source, bad)
        for table, select in NORMALISE.items():
            con.execute(f"CREATE TEMP TABLE {table} AS {select}")
            got = tuple(d[0] for d in con.sql(f"SELECT * FROM {table} LIMIT 0").description)
            assert got == FRAME[table], (table, got)

    def _raise_on_bad_rows(
        self, con: duckdb.DuckDBPyConnection, source: SourceFile, bad: str
    ) -> None:
        count = con.execute(f"SELECT count(*) FROM {source.view} WHERE _bad IS NOT NULL").fetchone()
        if not count or not count[0]:
            return
        line, problem = con.execute(
            f"SELECT _line, _bad FROM (SELECT row_number() OVER () + 1 AS _line, {bad} AS _bad"
            f" FROM {_reader(source)}) WHERE _bad IS NOT NULL ORDER BY _line LIMIT 1"
        ).fetchone() or (0, "")
        where = f"line {line}" if not source.is_parquet else f"row {line - 1}"
        more = f" ({count[0]} bad rows in all)" if count[0] > 1 else ""
        raise BadInput(f"{source.path}: {where}: {problem}{more}")

    def _load_params(self, con: duckdb.DuckDBPyConnection, params: list[ParamRow]) -> None:
        columns = FRAME["params"]
        types = ", ".join(f"{c} {'VARCHAR' if c == 'prov' else 'BIGINT'}" for c in columns)
        con.execute(f"CREATE TEMP TABLE params ({types})")
        if params:
            con.executemany(
                f"INSERT INTO params VALUES ({', '.join('?' for _ in columns)})",
                [list(row) for row in params],
            )

    def _check_integrity(self, con: duckdb.DuckDBPyConnection) -> None:
        for message, query in INTEGRITY.items():
            row = con.execute(query).fetchone()
            if row:
                values = [
                    month_label(v) if message.startswith("income") and isinstance(v, int) else v
                    for v in row
                ]
                raise BadInput(message.format(*values))
