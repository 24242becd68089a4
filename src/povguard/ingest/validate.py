"""Read SPEC §3 files as text and report every bad row (file, line, column, value, reason).

All checks are Polars expressions over whole columns; nothing loops over rows in Python (but
the search for the line of a file that Polars refused for a line too long).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from povguard.core.errors import BadInput
from povguard.interchange.csvlines import EXACT_FLOAT_INTEGERS, cut_short, records
from povguard.interchange.spec import FILES, Column, FileSpec, Kind

ERROR_SCHEMA = {
    "file": pl.String, "line": pl.Int64, "column": pl.String, "value": pl.String,
    "reason": pl.String,
}  # fmt: skip
PATTERNS = {
    Kind.DATE: r"^\d{4}-\d{2}-\d{2}$",
    Kind.MONTH: r"^\d{4}-(0[1-9]|1[0-2])$",
    Kind.MONEY: r"^-?\d+(\.\d{1,2})?$",
    Kind.INT: r"^-?\d+$",
    Kind.CODE: r"^\d{12}$",
    Kind.ID_NUMBER: r"^\d{17}[\dX]$",
}
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECKS = "10X98765432"


@dataclass
class Table:
    """One file read as text, with `_line` (its line number in the file)."""

    spec: FileSpec
    path: Path
    frame: pl.DataFrame
    errors: list[pl.DataFrame] = field(default_factory=list)
    # Parquet columns kept in their own type (`fits_kind`), the others are text
    typed: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.spec.name

    def add_errors(self, rows: pl.DataFrame) -> None:
        if rows.height:
            self.errors.append(rows.select(list(ERROR_SCHEMA)).cast(ERROR_SCHEMA))  # type: ignore[arg-type]

    def as_text(self, column: str) -> pl.Expr:
        """`column`'s values as the text a CSV file would hold."""
        if column in self.typed:
            return _as_text(column, self.frame.schema[column])
        return pl.col(column)

    def keep_as_text(self, columns: frozenset[str]) -> None:
        """Keeps only the frame's `columns`, as text."""
        self.frame = self.frame.select(self.as_text(c) for c in self.frame.columns if c in columns)
        self.typed = frozenset()


def one_error(path: Path, line: int, column: str, value: str, reason: str) -> pl.DataFrame:
    return pl.DataFrame(
        [{"file": str(path), "line": line, "column": column, "value": value, "reason": reason}],
        schema=ERROR_SCHEMA,
    )


def locate_files(folder: Path) -> dict[str, Path]:
    """The SPEC files present in `folder` (CSV or Parquet; one of the two, as for `screen`)."""
    found: dict[str, Path] = {}
    for name in FILES:
        paths = [p for p in (folder / f"{name}.csv", folder / f"{name}.parquet") if p.exists()]
        if len(paths) > 1:
            raise BadInput(f"{folder}: both {name}.csv and {name}.parquet exist; keep one")
        if paths:
            found[name] = paths[0]
    return found


def read_table(name: str, path: Path) -> Table | pl.DataFrame:
    """The file as text columns, or a one-row error frame when it cannot be read at all."""
    spec = FILES[name]
    try:
        clean: frozenset[str] = frozenset()
        typed: frozenset[str] = frozenset()
        if path.suffix == ".parquet":
            source, clean, typed = _parquet_as_text(spec, path)
        else:
            if path.stat().st_size == 0:
                return one_error(path, 1, "", "", "empty file (no header row)")
            source = pl.read_csv(path, infer_schema=False, encoding="utf8", raise_if_empty=True,
                                 ).lazy()  # fmt: skip
            # blanks around a name, as around a value (`screen --data` reads " date" as "date")
            source = source.rename({name: name.strip() for name in source.collect_schema()})
        header = source.collect_schema().names()
        header_problem = _header_problem(spec, header)
        if header_problem:
            source.collect()  # a damaged file is reported unreadable rather than its header
            return one_error(path, 1, header_problem[0], "", header_problem[1])
        cut = cut_short(path, len(header)) if path.suffix == ".csv" else None
        if cut:
            return one_error(path, cut[0], "", "", cut[1])
        # streaming: a Parquet file becomes text a slice at a time, never held whole twice
        is_csv = path.suffix == ".csv"
        cleaned = _cleaned(spec, source, 2 if is_csv else 1, clean, strip=is_csv)
        if is_csv:
            cleaned = _without_blank_lines(spec, cleaned)
        frame = cleaned.collect(engine="streaming")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, OSError) as exc:
        long_row = _first_long_row(path) if "more fields" in str(exc) else None
        if long_row:
            return one_error(path, *long_row)
        return one_error(path, 1, "", "", _unreadable(exc))
    except Exception as exc:  # pyarrow/polars raise several types for a damaged file
        return one_error(path, 1, "", "", f"unreadable file ({type(exc).__name__})")
    return Table(spec, path, frame, typed=typed)


def fits_kind(kind: Kind, dtype: pl.DataType) -> bool:
    """Whether every value of a Parquet column of `dtype` is well formed for `kind` (dates
    but for their year's digits, money with at most 2 decimals that fits the lake's
    Decimal(18, 2), integers that fit Int64, booleans): such a column is kept in its type
    instead of being checked as text."""
    if kind is Kind.DATE:
        return dtype == pl.Date
    if kind is Kind.BOOL:
        return dtype == pl.Boolean
    if kind is Kind.INT:
        return dtype.is_integer() and dtype != pl.UInt64
    if kind is Kind.MONEY and isinstance(dtype, pl.Decimal):
        return dtype.scale <= 2 and (dtype.precision or 38) <= 18
    return False


def _parquet_as_text(
    spec: FileSpec, path: Path
) -> tuple[pl.LazyFrame, frozenset[str], frozenset[str]]:
    """The file's columns, as text unless their type `fits_kind`; the names of the columns
    stored as numbers, dates or booleans (not stripped: their text has no surrounding blanks
    and is never empty); the names of those kept in their type."""
    source = pl.scan_parquet(path)
    schema = source.collect_schema()
    clean = frozenset(c for c, dtype in schema.items()
                      if dtype.is_numeric() or dtype in (pl.Date, pl.Boolean))  # fmt: skip
    kinds = {column.name: column.kind for column in spec.columns}
    typed = frozenset(c for c, dtype in schema.items() if c in kinds and fits_kind(kinds[c], dtype))
    columns = (pl.col(c) if c in typed else _as_text(c, dtype) for c, dtype in schema.items())
    return source.select(columns), clean, typed


def _cleaned(
    spec: FileSpec, source: pl.LazyFrame, first_line: int, clean: frozenset[str], *, strip: bool
) -> pl.LazyFrame:
    """`_line`, every SPEC column (null when absent), surrounding blanks stripped (`strip`: a
    CSV file's; Parquet values are taken as written, as `screen --data` does), an empty cell
    null (the `clean` columns, text made from typed values, are kept as they are)."""
    present = source.collect_schema().names()
    source = source.with_row_index("_line", offset=first_line).with_columns(
        pl.lit(None, dtype=pl.String).alias(c.name) for c in spec.columns if c.name not in present
    )
    stripped = [pl.col(c.name).str.strip_chars() if strip else pl.col(c.name)
                for c in spec.columns]  # fmt: skip
    return source.with_columns(
        *(pl.when(value == "").then(None).otherwise(value).alias(c.name)
          for c, value in zip(spec.columns, stripped, strict=True) if c.name not in clean),
        pl.col("_line").cast(pl.Int64),
    )  # fmt: skip


def _without_blank_lines(spec: FileSpec, frame: pl.LazyFrame) -> pl.LazyFrame:
    """Without the lines that hold no value at all: Polars reads a blank line (one ending a
    file, say) as a row of nulls, where the screening engines' CSV readers skip it."""
    return frame.filter(pl.any_horizontal(pl.col(c.name).is_not_null() for c in spec.columns))


def _first_long_row(path: Path) -> tuple[int, str, str, str] | None:
    """(line, column, value, reason) of the first CSV row with more values than the header
    names columns (read again only when Polars refused the file for one)."""
    lines = records(path)
    width = len(next(lines, (1, []))[1])
    for start, record in lines:
        if len(record) > width:
            return start, "", "", f"{len(record)} values where the header names {width} columns"
    return None


def _unreadable(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "utf-8" in text.lower() or "utf8" in text.lower():
        return "not UTF-8 text"
    if "empty" in text.lower():
        return "empty file (no header row)"
    return f"unreadable file: {text[:200]}"


def _as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    value = pl.col(column)
    if dtype == pl.Date:
        return value.dt.strftime("%Y-%m-%d")
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        # A date written as a timestamp (as pandas writes dates): midnight is that day; another
        # time of day stays in the text, which is then not a valid date
        midnight = value == value.dt.truncate("1d")
        return (
            pl.when(midnight).then(value.dt.strftime("%Y-%m-%d")).otherwise(value.cast(pl.String))
        )
    if dtype.is_float():
        # A whole number written as a float (as pandas writes an integer column with an empty
        # cell) is that integer: 2023.0 is 2023
        whole = (value == value.floor()) & (value.abs() < EXACT_FLOAT_INTEGERS)
        return (
            pl.when(whole)
            .then(value.cast(pl.Int64).cast(pl.String))
            .otherwise(value.cast(pl.String))
        )
    if isinstance(dtype, pl.Decimal) and (dtype.scale or 0) > 2:
        # 12.3400 is 12.34, as `screen --data` reads it; 12.3450 keeps its third decimal
        return value.cast(pl.String).str.replace(r"(\.\d{2})0+$", "${1}")
    return value.cast(pl.String)


def _header_problem(spec: FileSpec, columns: list[str]) -> tuple[str, str] | None:
    for name in columns:
        if name not in spec.column_names:
            return name, "unknown column"
    seen = set()
    for name in columns:
        if name in seen:
            return name, "column appears twice"
        seen.add(name)
    for column in spec.columns:
        if column.required and column.name not in columns:
            return column.name, "required column missing"
    return None


def _value_problems(column: Column, typed: bool = False) -> list[tuple[pl.Expr, str]]:
    """(condition on a non-null value, reason) pairs for one column; a `typed` one (kept in
    a type that `fits_kind`) has only its bounds to check, and a date its year's digits."""
    if typed:
        return _typed_value_problems(column)
    value = pl.col(column.name)
    problems: list[tuple[pl.Expr, str]] = []
    pattern = PATTERNS.get(column.kind)
    if pattern:
        problems.append((~value.str.contains(pattern), f"not a valid {column.kind}"))
    if column.kind is Kind.DATE:
        problems.append((value.str.to_date("%Y-%m-%d", strict=False).is_null(), "not a real date"))
    if column.kind is Kind.BOOL:
        problems.append((~value.is_in(["true", "false"]), "must be true or false"))
    if column.kind is Kind.ENUM:
        problems.append((~value.is_in(list(column.choices)), "not one of the allowed values"))
    if column.kind is Kind.CODES:
        # "08; 99" as "08;99": blanks around a code, as around a value
        codes = pl.element().str.strip_chars()
        parts = value.str.split(";").list.eval(codes.is_in(list(column.choices)))
        problems.append((~parts.list.all(), "unknown cause code"))
    problems.extend(_bounds(column, value))
    if column.kind is Kind.ID_NUMBER:
        problems.append((_check_char(value) != value.str.slice(17, 1), "wrong check character"))
    return problems


def _typed_value_problems(column: Column) -> list[tuple[pl.Expr, str]]:
    """What `_value_problems` finds in the text of a typed value: a year that is not four
    digits, a number out of bounds."""
    value = pl.col(column.name)
    if column.kind is Kind.DATE:
        return [(~value.dt.year().is_between(0, 9999), f"not a valid {column.kind}")]
    return _bounds(column, value)


def _bounds(column: Column, value: pl.Expr) -> list[tuple[pl.Expr, str]]:
    number = value.cast(pl.Float64, strict=False)
    problems: list[tuple[pl.Expr, str]] = []
    if column.min_value is not None and column.kind in (Kind.MONEY, Kind.INT):
        problems.append((number < column.min_value, f"below {column.min_value:g}"))
    if column.max_value is not None and column.kind is Kind.INT:
        problems.append((number > column.max_value, f"above {column.max_value:g}"))
    return problems


def _check_char(value: pl.Expr) -> pl.Expr:
    """The MOD 11-2 check character of an 18-byte value's first 17 digits (null for another
    length), from its bytes (half the cost of 17 one-character slices parsed as numbers)."""
    codes = value.cast(pl.Binary).bin.reinterpret(dtype=pl.Array(pl.UInt8, 18))
    digits = (codes.arr.get(i).cast(pl.Int32) * w for i, w in enumerate(WEIGHTS))
    total = pl.sum_horizontal(digits, ignore_nulls=False)
    return pl.lit(CHECKS).str.slice((total - ord("0") * sum(WEIGHTS)) % 11, 1)


def _value_rules(spec: FileSpec, typed: frozenset[str]) -> list[tuple[str, str, pl.Expr]]:
    """(column, reason, condition of a bad row) for every check of every column; a value
    is blamed for the first problem it has only."""
    rules: list[tuple[str, str, pl.Expr]] = []
    for column in spec.columns:
        value = pl.col(column.name)
        if column.required:
            rules.append((column.name, "empty required value", value.is_null()))
        earlier = pl.lit(False)
        for condition, reason in _value_problems(column, column.name in typed):
            failing = condition.fill_null(True)
            rules.append((column.name, reason, value.is_not_null() & ~earlier & failing))
            earlier = earlier | failing
    return rules


def check_values(table: Table) -> None:
    """Every cell against its column's kind: empty required values, formats, choices, bounds.

    One parallel pass counts the bad rows of every check; only checks that found some
    are run again to list their rows."""
    rules = _value_rules(table.spec, table.typed)
    counts = (
        table.frame.lazy()
        .select(condition.sum().alias(str(i)) for i, (_, _, condition) in enumerate(rules))
        .collect()
        .row(0)
    )
    for (column, reason, condition), count in zip(rules, counts, strict=True):
        if count:
            table.add_errors(_errors(table, table.frame.filter(condition), column, reason))


def _errors(table: Table, rows: pl.DataFrame, column: str, reason: str) -> pl.DataFrame:
    return rows.select(
        pl.lit(str(table.path)).alias("file"),
        pl.col("_line").alias("line"),
        pl.lit(column).alias("column"),
        table.as_text(column).cast(pl.String).alias("value") if column in rows.columns
        else pl.lit(None, dtype=pl.String).alias("value"),
        pl.lit(reason).alias("reason"),
    )  # fmt: skip


def check_duplicates(table: Table, key: tuple[str, ...], what: str | None = None) -> None:
    """Rows sharing `key` (within the file): each repeat names the line it repeats."""
    if _strictly_increasing(table.frame, key):  # a file in key order: one cheap pass
        return
    columns = list(key)
    filled = pl.all_horizontal(pl.col(k).is_not_null() for k in key)
    frame, whole_key = table.frame, pl.col(key[0])
    if len(key) > 1:  # compare whole keys only where their hashes repeat: far less memory
        whole_key = pl.struct(columns)
        frame = frame.filter(whole_key.hash().is_duplicated())
    repeats = frame.filter(filled & ~whole_key.is_first_distinct())  # in line order
    if not repeats.height:
        return
    first = (  # rows with a null in the key never join
        table.frame.join(repeats.select(columns).unique(), on=columns, how="semi")
        .group_by(columns)
        .agg(pl.col("_line").min().alias("_first"))
    )
    repeats = repeats.join(first, on=columns)
    label = what or f"duplicate key {', '.join(key)}"
    table.add_errors(
        repeats.select(
            pl.lit(str(table.path)).alias("file"),
            pl.col("_line").alias("line"),
            pl.lit(key[-1]).alias("column"),
            pl.concat_str([table.as_text(k) for k in key], separator=",").alias("value"),
            pl.format("{} (also on line {})", pl.lit(label), pl.col("_first")).alias("reason"),
        )
    )


def _strictly_increasing(frame: pl.DataFrame, key: tuple[str, ...]) -> bool:
    """Whether every row's `key` is greater than the row's before (a null compares as
    neither): then no key repeats, found without hashing every key."""
    increasing = pl.lit(False)
    for column in reversed(key):
        value, before = pl.col(column), pl.col(column).shift(1)
        increasing = (value > before) | ((value == before) & increasing)
    return frame.select(increasing.slice(1).all(ignore_nulls=False)).item() is True
