"""The embedded engine: DuckDB reads the dataset (CSV or Parquet) and runs the compiled rules."""

from __future__ import annotations

import itertools
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from povguard.core.errors import BadInput
from povguard.interchange.csvlines import EXACT_FLOAT_INTEGERS, records
from povguard.interchange.spec import Column, Kind
from povguard.screening.dataset import INTEGRITY_PRECHECK, Repeats, SourceFile
from povguard.screening.engines.base import SqlEngine
from povguard.screening.typed import (
    BLANKS,
    bad_expression,
    has_a_value,
    native_type,
    pattern,
    quote,
    raw_view,
)
from povguard.screening.window import Window

# ID numbers are nearly all distinct, so a regular expression runs on every one of them (15 M
# at 1 M households); Polars matches them at about half the CPU of DuckDB.
_MATCHED_BY_POLARS = frozenset({Kind.ID_NUMBER})


_TWO_ROWS = "_two_rows"
_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT")


def _repeat(hashes: np.ndarray) -> bool:
    """Whether a value appears twice among `hashes` (unsigned 64-bit integers): sorted whole,
    by NumPy's vectorised sort (3.6 M members' hashes: 0.03 s; bucketing them by their top bits
    first, to sort only those sharing a bucket, cost 0.16–0.5 s, most of it filling and reading
    a count per bucket)."""
    ordered = np.sort(hashes)
    return bool((ordered[1:] == ordered[:-1]).any())


def _parquet_files(source: SourceFile) -> str:
    """The Parquet file, or a glob of a folder's Parquet files."""
    assert source.path is not None
    return f"{source.path}/**/*.parquet" if source.path.is_dir() else str(source.path)


def _reader(source: SourceFile) -> str:
    """DuckDB table function reading a Parquet file as it is."""
    files = _parquet_files(source).replace("'", "''")
    return f"read_parquet('{files}', hive_partitioning = false)"


def _csv_reader(path: Path, columns: tuple[str, ...], quotes: int) -> str:
    """DuckDB table function reading a CSV file as text, which `typed.py` checks and types as
    `povguard import` and the Spark engine do (DuckDB's own parsing of dates and numbers
    accepts 2024-7-5, 1e3 or 2023.0)."""
    text = str(path).replace("'", "''")
    types = ", ".join(f"'{name}': 'VARCHAR'" for name in columns)
    # A line with fewer values than the header has its last values empty, as `povguard import`
    # reads it; one with more is refused (strict mode). DuckDB's parallel reader with that
    # padding refuses a quoted value holding a line break: a file whose quotes are paired is
    # read by one thread (one with a quote never closed by the parallel reader, which names
    # the line of that quote).
    parallel = "false" if quotes and quotes % 2 == 0 else "true"
    return (
        f"read_csv('{text}', header = true, delim = ',', quote = '\"', escape = '\"',"
        f" columns = {{{types}}}, auto_detect = false, strict_mode = true,"
        f" null_padding = true, parallel = {parallel})"
    )


_CHUNK = 1 << 24  # bytes read at a time from a CSV file


@dataclass(frozen=True)
class _Shape:
    quotes: int  # double quotes in the file
    mixed_line_ends: bool  # both CRLF and a bare LF end lines


def _shape(path: Path) -> _Shape:
    """What reading a CSV file depends on, counted at the speed of memory."""
    quotes = line_feeds = crlf = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            quotes += chunk.count(b'"')
            line_feeds += chunk.count(b"\n")
            crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
    return _Shape(quotes, 0 < crlf < line_feeds)


def _copy_with_lf(path: Path, copy: Path) -> None:
    """Copy the file with each CRLF as LF (a line break within a quoted value too)."""
    with path.open("rb") as source, copy.open("wb") as target:
        held = b""
        while chunk := source.read(_CHUNK):
            chunk = held + chunk
            held = chunk[-1:] if chunk.endswith(b"\r") else b""
            target.write(chunk[: len(chunk) - len(held)].replace(b"\r\n", b"\n"))
        target.write(held)


def _parquet_type_fits(column: Column, parquet_type: str) -> bool:
    """Whether a typed Parquet column can be read as the native type of `column` (a date as a
    date, money as a decimal of at most 4 places, an integer as an integer, text as text)."""
    expected = native_type(column)
    if expected == "DATE":
        return parquet_type == "DATE"
    if expected.startswith("DECIMAL"):
        match = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", parquet_type)
        return match is not None and int(match[2]) <= 4  # read as it is, not narrowed
    if expected == "BIGINT":
        return parquet_type in _INTEGERS
    if column.kind is Kind.BOOL:
        return parquet_type in ("BOOLEAN", "VARCHAR")
    return parquet_type == "VARCHAR"


def _as_text(name: str, parquet_type: str) -> str:
    """SQL: a column's value as the text a CSV file would hold, as `povguard import` reads a
    Parquet file: a timestamp at midnight is its day (pandas writes dates so), a whole float
    its integer (pandas writes an integer column with an empty cell so)."""
    value = quote(name)
    text = f"CAST({value} AS VARCHAR)"
    if parquet_type.startswith("TIMESTAMP") and "TIME ZONE" not in parquet_type:
        day = f"strftime({value}, '%Y-%m-%d')"
        return f"CASE WHEN {value} = date_trunc('day', {value}) THEN {day} ELSE {text} END"
    if parquet_type in ("FLOAT", "DOUBLE"):
        whole = f"{value} = trunc({value}) AND abs({value}) < {EXACT_FLOAT_INTEGERS}"
        return f"CASE WHEN {whole} THEN CAST(CAST({value} AS BIGINT) AS VARCHAR) ELSE {text} END"
    return text


def _holds_cents(parquet_type: str) -> bool:
    """Whether a Parquet decimal type holds at most 2 decimals."""
    match = re.fullmatch(r"DECIMAL\(\d+,\s*(\d+)\)", parquet_type)
    return match is not None and int(match[1]) <= 2


def _raw_column(
    source: SourceFile, name: str, native: bool, parquet_type: str, boolean: bool
) -> str:
    """A column of the raw view: text, or (native) the type `typed.py` expects (`boolean`: a
    Parquet boolean, kept as it is)."""
    if not native:
        return f"{_as_text(name, parquet_type)} AS {quote(name)}"
    if not source.is_parquet or name not in source.spec.column_names:
        return quote(name)
    target = native_type(source.spec.column(name))
    if target.startswith("DECIMAL") or target == "DATE" or boolean:
        return quote(name)  # already a date, a decimal of at most 4 places or a boolean
    return f"CAST({quote(name)} AS {target}) AS {quote(name)}"


def _csv_problem(message: str) -> str | None:
    """`file: line N: reason` for an error of DuckDB's CSV reader (a line with too many
    values, a quote never closed), None for another error."""
    line = re.search(r"CSV Error on Line: (\d+)", message)
    path = re.search(r"^\s*file = (.+)$", message, re.MULTILINE)
    if line is None or path is None:
        return None
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if counts:
        reason = f"{counts[2]} values where the header names {counts[1]} columns"
    elif "unterminated quote" in message:
        reason = "a quoted value is never closed"
    else:
        reason = message.splitlines()[0]
    return f"{path[1]}: line {line[1]}: {reason}"


def _line_of_row(path: Path, row: int) -> int:
    """The line of a CSV file on which its `row`-th data row starts: DuckDB numbers only the
    rows it keeps, skipping blank lines and lines of empty or blank values."""
    kept = 0
    for start, record in itertools.islice(records(path), 1, None):  # after the header
        kept += any(value.strip(BLANKS) for value in record)
        if kept == row:
            return start
    raise ValueError(f"{path} has fewer than {row} data rows")  # DuckDB numbered this one


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
        self._typed_parquet: dict[Path | None, bool] = {}
        self._two_rows: bool | None = None  # `insurance_two_rows_may_exist()`
        self._repeats: dict[Repeats, bool] = {}  # `may_repeat()` answered by a file's scan
        self._described: dict[Path | None, dict[str, str]] = {}
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._copies: dict[str, str] = {}  # a copy of a CSV file read instead → the file
        self.con.execute("SET enable_progress_bar = false")  # the CLI reports progress itself

    def _run(self, query: str) -> Any:
        try:
            return self.con.execute(query)
        except duckdb.Error as exc:
            problem = _csv_problem(str(exc))
            for copy, path in self._copies.items():
                problem = problem and problem.replace(copy, path)
            if problem:
                raise BadInput(problem) from exc
            raise BadInput(f"dataset could not be read: {str(exc).splitlines()[0]}") from exc

    def native(self, source: SourceFile) -> bool:
        # A Parquet file whose columns already have the types the frame needs is read as it is.
        if not source.is_parquet:
            return False
        if source.path not in self._typed_parquet:
            self._typed_parquet[source.path] = self._has_native_types(source)
        return self._typed_parquet[source.path]

    def rereads_cheaply(self, source: SourceFile) -> bool:
        # A Parquet file is read column by column, with filters pushed into the scan; a CSV
        # file would be parsed again.
        return source.is_parquet

    def _types(self, source: SourceFile) -> dict[str, str]:
        """The column types of a Parquet file."""
        if source.path not in self._described:
            described = self.rows(f"DESCRIBE SELECT * FROM {_reader(source)}")
            self._described[source.path] = {str(row[0]): str(row[1]) for row in described}
        return self._described[source.path]

    def _native_columns(
        self, source: SourceFile, kind: Kind, fits: Callable[[str], bool]
    ) -> frozenset[str]:
        """The columns of `kind` of a native Parquet file whose Parquet type `fits`."""
        if not source.is_parquet or not self.native(source):
            return frozenset()
        return frozenset(
            name
            for name, parquet_type in self._types(source).items()
            if name in source.spec.column_names
            and source.spec.column(name).kind is kind
            and fits(parquet_type)
        )

    def money_in_cents(self, source: SourceFile) -> frozenset[str]:
        return self._native_columns(source, Kind.MONEY, _holds_cents)

    def matching_pattern(self, source: SourceFile) -> frozenset[str]:
        if not source.is_parquet:
            return frozenset()
        types = self._types(source)
        names = [
            column.name
            for column in source.spec.columns
            if column.kind in _MATCHED_BY_POLARS and types.get(column.name) == "VARCHAR"
        ]
        if not names:
            return frozenset()
        scan = pl.scan_parquet(_parquet_files(source), hive_partitioning=False)
        # Empty values are the SQL's to report (`all` skips them).
        checks = [
            pl.col(name).str.contains(str(pattern(source.spec.column(name)))).all()
            for name in names
        ]
        two_rows = self._insurance_two_rows(source, types)
        if two_rows is not None:
            checks.append(two_rows.alias(_TWO_ROWS))
        repeats = self._repeats_of(source, types)
        # Equal values have equal hashes (a collision only makes the check itself run).
        hashes = [
            (pl.struct(r.file_columns) if len(r.file_columns) > 1 else pl.col(r.file_columns[0]))
            .hash()
            .alias(f"_hash{i}")
            for i, r in enumerate(repeats)
        ]
        scanned = scan.select(*checks, *hashes).collect()
        for i, precheck in enumerate(repeats):
            self._repeats[precheck] = _repeat(scanned[f"_hash{i}"].to_numpy())
        if scanned.is_empty():  # the hashes of a file without rows: its checks hold vacuously
            return frozenset(names)
        found = scanned.drop(f"_hash{i}" for i in range(len(repeats))).row(0, named=True)
        if two_rows is not None:
            self._two_rows = bool(found.pop(_TWO_ROWS))
        return frozenset(name for name, matched in found.items() if matched)

    def _repeats_of(self, source: SourceFile, types: dict[str, str]) -> list[Repeats]:
        """The `Repeats` prechecks that the scan of the file can answer: their file columns
        are required (a frame with an empty value is refused before the checks run) and typed
        as the frame reads them (text as text, dates as dates)."""
        if not self.native(source):
            return []
        return [
            precheck
            for precheck in INTEGRITY_PRECHECK.values()
            if isinstance(precheck, Repeats)
            and precheck.file == source.spec.name
            and all(
                name in source.spec.column_names
                and source.spec.column(name).required
                and source.spec.column(name).kind in (Kind.TEXT, Kind.ID_NUMBER, Kind.DATE)
                and types.get(name) == native_type(source.spec.column(name))
                for name in precheck.file_columns
            )
        ]

    def _insurance_two_rows(self, source: SourceFile, types: dict[str, str]) -> pl.Expr | None:
        """Polars: whether an ID number not enrolled in D's year has two rows for that year in
        the insurance file (`dataset.INSURANCE_TWO_ROWS`, whose query then names it), if D is
        known and the file's year and enrolled columns are typed (None: the check runs)."""
        if (
            source.spec.name != "feeds/insurance"
            or self._at is None
            or types.get("year") not in _INTEGERS
            or "enrolled" not in source.booleans
        ):
            return None
        pid, year = pl.col("id_number"), pl.col("year") == self._at.d_year
        not_enrolled = pid.filter(year & ~pl.col("enrolled"))
        # The frame's ID numbers: an empty one is NULL, and NULL is no one's.
        not_enrolled = not_enrolled.filter(not_enrolled != "")
        # The year's rows of these people outnumber them if and only if one has two.
        return pid.filter(year).is_in(not_enrolled.implode()).sum() > not_enrolled.n_unique()

    def insurance_two_rows_may_exist(self) -> bool | None:
        return self._two_rows

    def load(
        self,
        files: dict[str, SourceFile],
        *,
        region_prefix: str = "",
        open_cases: dict[str, bool] | None = None,
        at: Window | None = None,
    ) -> None:
        self._two_rows = None  # found out again for this frame
        self._repeats = {}
        super().load(files, region_prefix=region_prefix, open_cases=open_cases, at=at)

    def latest_by_group(self) -> bool:
        # One GROUP BY costs about a fifth of the window over every record (1.9 M employment
        # records at 1 M households), which also stored them.
        return True

    def month_lookup(self) -> bool:
        return True

    def booleans(self, source: SourceFile) -> frozenset[str]:
        return self._native_columns(
            source, Kind.BOOL, lambda parquet_type: parquet_type == "BOOLEAN"
        )

    def _has_native_types(self, source: SourceFile) -> bool:
        types = self._types(source)
        return all(
            _parquet_type_fits(source.spec.column(name), types.get(name, ""))
            for name in source.columns
            if name in source.spec.column_names
        )

    def register_raw(self, source: SourceFile) -> None:
        native = self.native(source)
        types = self._types(source) if source.is_parquet else {}
        columns = ", ".join(
            _raw_column(source, c, native, types.get(c, "VARCHAR"), c in source.booleans)
            for c in source.columns
        )
        reader = _reader(source) if source.is_parquet else self._csv_reader(source)
        # A CSV line without any value (",,,", as spreadsheets write, or only blanks) is
        # skipped like a blank line, as `povguard import` does.
        where = "" if source.is_parquet else f" WHERE {has_a_value(source.columns)}"
        self._run(f"CREATE TEMP VIEW {raw_view(source)} AS SELECT {columns} FROM {reader}{where}")

    def _csv_reader(self, source: SourceFile) -> str:
        assert source.path is not None
        shape = _shape(source.path)
        path = source.path
        if shape.mixed_line_ends:
            # DuckDB's reader refuses a file mixing CRLF and LF line ends (as one appended to by
            # another tool): it reads a copy whose lines all end in LF, on the same lines.
            self._scratch = self._scratch or tempfile.TemporaryDirectory(prefix="povguard-")
            path = Path(self._scratch.name) / f"{len(self._copies)}.csv"
            _copy_with_lf(source.path, path)
            self._copies[str(path)] = str(source.path)
        return _csv_reader(path, source.columns, shape.quotes)

    def may_repeat(self, precheck: Repeats) -> bool:
        if precheck in self._repeats:  # answered by the scan of the file (`matching_pattern`)
            return self._repeats[precheck]
        # Sorting the hashes with NumPy costs about half the CPU of DuckDB's grouping of them
        # (a column of nearly distinct ID numbers).
        query = f"SELECT hash({precheck.column}) AS h FROM {precheck.table}"
        return _repeat(self._run(query).fetchnumpy()["h"])

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
        row, problem = found[0]
        if source.is_parquet:
            return f"row {row}", str(problem)
        assert source.path is not None
        return f"line {_line_of_row(source.path, row)}", str(problem)

    def export(self, query: str, path: Path) -> None:
        """Write the result of `query` to a Parquet file, compressed with LZ4: about 1.8 times
        the size of zstd, but read several times faster (the stored frames are read at every
        run)."""
        target = str(path).replace("'", "''")
        self._run(f"COPY ({query}) TO '{target}' (FORMAT parquet, COMPRESSION lz4)")

    @staticmethod
    def parquet_source(paths: list[Path]) -> str:
        files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
        return f"read_parquet([{files}])"

    def close(self) -> None:
        self.con.close()
        if self._scratch is not None:
            self._scratch.cleanup()
