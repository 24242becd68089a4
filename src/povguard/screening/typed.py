"""From raw text to typed columns, in SQL that every engine runs (DuckDB dialect, transpiled).

An engine exposes each file of a dataset as a view `r_<file>` whose columns are the file's
columns as text (absent optional columns are simply missing). `typed_select()` turns it into
the typed view `t_<file>` that `dataset.NORMALISE` reads, with a `_bad` column telling whether
the row has an unusable value; `bad_expression()` names the first one (`column: reason`), so
bad input is reported, never guessed at.
"""

from __future__ import annotations

from collections.abc import Iterable

from povguard.interchange.spec import Column, Kind
from povguard.screening.dataset import SourceFile

_PATTERNS = {
    Kind.DATE: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    Kind.MONEY: "^-?[0-9]+([.][0-9]{1,2})?$",
    Kind.INT: "^-?[0-9]+$",
    Kind.CODE: "^[0-9]{12}$",
    Kind.ID_NUMBER: "^[0-9]{17}[0-9X]$",
}


_MONTHS = tuple(f"{month:02d}" for month in range(1, 13))


def _is_month(raw: str) -> str:
    """SQL: `raw` is `YYYY-MM` with a month 01–12 (the regular expression
    `^[0-9]{4}-(0[1-9]|1[0-2])$`, in cheaper operations: a month column holds millions of
    values)."""
    year = " AND ".join(f"substr({raw}, {i}, 1) BETWEEN '0' AND '9'" for i in range(1, 5))
    months = ", ".join(f"'{month}'" for month in _MONTHS)
    return f"{raw} LIKE '____-__' AND {year} AND substr({raw}, 6, 2) IN ({months})"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


# Native types a typed Parquet file's columns may already have (`native=True`, read as they are):
# the SQL below checks what their type does not (choices, decimals, bounds).
NATIVE_TYPES = {
    Kind.DATE: "DATE",
    Kind.MONEY: "DECIMAL(18, 4)",
    Kind.INT: "BIGINT",
}


def native_type(column: Column) -> str:
    return NATIVE_TYPES.get(column.kind, "VARCHAR")


def pattern(column: Column) -> str | None:
    """The regular expression every value of `column` must match, if any."""
    return _PATTERNS.get(column.kind)


def _checks(
    column: Column,
    raw: str,
    *,
    native: bool = False,
    cents: bool = False,
    matched: bool = False,
    boolean: bool = False,
) -> list[tuple[str, str]]:
    """(SQL condition, reason) pairs: the first true condition names why a filled value is
    unusable. `cents`: the value's type holds at most 2 decimals (no need to check them);
    `matched`: every value is known to match the column's `pattern()`; `boolean`: the value
    is a boolean, not text."""
    checks = []
    pattern = _PATTERNS.get(column.kind)
    if pattern and not matched and not (native and column.kind in NATIVE_TYPES):
        checks.append((f"NOT regexp_matches({raw}, '{pattern}')", f"'not a valid {column.kind}'"))
    if column.kind is Kind.MONTH:
        checks.append((f"NOT ({_is_month(raw)})", "'not a valid month'"))
    if column.kind is Kind.DATE and not native:
        checks.append((f"TRY_CAST({raw} AS DATE) IS NULL", "'not a real date'"))
    if column.kind is Kind.BOOL and not boolean:
        checks.append((f"{raw} NOT IN ('true', 'false')", "'must be true or false'"))
    if column.kind is Kind.MONEY and native and not cents:
        checks.append((f"{raw} <> round({raw}, 2)", "'not a valid money (more than 2 decimals)'"))
    if column.kind is Kind.ENUM:
        checks.append((f"{raw} NOT IN ({_sql_list(column.choices)})", "'unknown value'"))
    number = raw if native else f"TRY_CAST({raw} AS DOUBLE)"
    if column.min_value is not None and column.kind in (Kind.MONEY, Kind.INT):
        checks.append((f"{number} < {column.min_value}", f"'below {column.min_value:g}'"))
    if column.max_value is not None and column.kind is Kind.INT:
        checks.append((f"{number} > {column.max_value}", f"'above {column.max_value:g}'"))
    return checks


def problem(column: Column, raw: str, *, native: bool = False, boolean: bool = False) -> str:
    """SQL: why the value of `column` is unusable, or NULL."""
    checks = _checks(column, raw, native=native, boolean=boolean)
    if not checks and not column.required:
        return "NULL"
    when_empty = "'empty required value'" if column.required else "NULL"
    cases = " ".join(f"WHEN {condition} THEN {reason}" for condition, reason in checks)
    return f"CASE WHEN {raw} IS NULL THEN {when_empty} {cases} END"


def is_bad(
    column: Column,
    raw: str,
    *,
    native: bool = False,
    cents: bool = False,
    matched: bool = False,
    boolean: bool = False,
) -> str | None:
    """SQL boolean: whether `problem()` names a reason for the value (None: it never does)."""
    checks = _checks(column, raw, native=native, cents=cents, matched=matched, boolean=boolean)
    if not checks:
        return f"{raw} IS NULL" if column.required else None
    # A NULL condition is skipped by problem()'s CASE, so it counts as false here.
    any_check = f"coalesce({' OR '.join(f'({c})' for c, _ in checks)}, false)"
    return f"CASE WHEN {raw} IS NULL THEN {str(column.required).lower()} ELSE {any_check} END"


# Every month `_is_month()` accepts ('0000-01' to '9999-12') with its index (year * 12 + month
# - 1), for an engine that looks months up rather than parsing them (`month_lookup()`): a hash
# join on these few values costs about half the CPU of parsing each of the millions of income
# periods.
MONTHS = "months"
MONTHS_SELECT = (
    "SELECT lpad(CAST(y AS VARCHAR), 4, '0') || '-' || lpad(CAST(m AS VARCHAR), 2, '0')"
    " AS _month_text, CAST(y * 12 + m - 1 AS INTEGER) AS _month_index"
    " FROM range(0, 10000) AS years(y) CROSS JOIN range(1, 13) AS months_of_year(m)"
)


def _month_alias(column: Column) -> str:
    return quote(f"_month_{column.name}")


def typed_items(
    column: Column, raw: str, *, native: bool = False, month_lookup: bool = False
) -> list[str]:
    """SQL select items turning the raw value into the typed columns the frame reads
    (`month_lookup`: a month's index comes from the `MONTHS` table joined by `typed_select()`)."""
    name = column.name
    if column.kind is Kind.DATE:
        d = raw if native else f"TRY_CAST({raw} AS DATE)"
        return [
            f"CAST(date_diff('day', DATE '1970-01-01', {d}) AS BIGINT) AS {name}_day",
            f"year({d}) * 12 + month({d}) - 1 AS {name}_mon",
            f"year({d}) * 10000 + month({d}) * 100 + day({d}) AS {name}_ymd",
        ]
    if column.kind is Kind.MONTH and month_lookup:
        return [f"{_month_alias(column)}._month_index AS {name}_mon"]
    if column.kind is Kind.MONTH:
        return [
            f"TRY_CAST(substr({raw}, 1, 4) AS INTEGER) * 12"
            f" + TRY_CAST(substr({raw}, 6, 2) AS INTEGER) - 1 AS {name}_mon"
        ]
    if column.kind is Kind.MONEY:
        amount = raw if native else f"TRY_CAST({raw} AS DECIMAL(18, 2))"
        return [f"CAST({amount} * 100 AS BIGINT) AS {name}_c"]
    if column.kind is Kind.INT:
        return [f"{raw if native else f'TRY_CAST({raw} AS BIGINT)'} AS {quote(name)}"]
    if column.kind is Kind.BOOL:
        # Exact for the values `problem()` accepts ('true', 'false'); a boolean (`_raw()` of a
        # Parquet boolean) is left as it is, a column the reader can filter on.
        return [f"TRY_CAST({raw} AS BOOLEAN) AS {quote(name)}"]
    return [f"{raw} AS {quote(name)}"]


def raw_view(source: SourceFile) -> str:
    return "r_" + source.spec.name.replace("/", "_")


# The characters `povguard import` strips from both ends of a CSV value (Unicode White_Space,
# as Polars' `strip_chars()`): both read " H1 " as "H1", and a value of blanks as empty.
BLANKS = "".join(map(chr, (*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                           0x2028, 0x2029, 0x202F, 0x205F, 0x3000)))  # fmt: skip
# Trimming with a set of characters costs about ten times this test of the value's ends.
_BLANK_AT_AN_END = f"^[{BLANKS}]|[{BLANKS}]$"


def has_a_value(columns: Iterable[str]) -> str:
    """SQL over a CSV file's raw text columns: whether the line holds a value that is not
    blanks (a line of empty cells or blanks is skipped, as `povguard import` skips it)."""
    return " OR ".join(f"regexp_matches({quote(c)}, '[^{BLANKS}]')" for c in columns)


def _stripped(text: str) -> str:
    return (
        f"CASE WHEN regexp_matches({text}, '{_BLANK_AT_AN_END}')"
        f" THEN trim({text}, '{BLANKS}') ELSE {text} END"
    )


def _raw(source: SourceFile, column: Column, native: bool) -> str:
    """The column's value in the raw view, typed by the reader (`native`) or as text: an
    empty string is an empty cell, and a CSV value has the blanks around it removed (Parquet
    values are taken as written, as `povguard import` does)."""
    kind = native_type(column) if native else "VARCHAR"
    if column.name not in source.columns:
        return f"CAST(NULL AS {kind})"
    if kind != "VARCHAR" or column.name in source.booleans:
        return quote(column.name)  # a typed Parquet value: no blanks, never empty
    text = quote(column.name) if native else f"CAST({quote(column.name)} AS VARCHAR)"
    if source.is_parquet:
        return f"NULLIF({text}, '')" if source.empty_text else text
    return f"NULLIF({_stripped(text)}, '')"


def empty_text_probe(source: SourceFile, *, native: bool = False) -> str:
    """SQL over the raw view returning a row if and only if a text value of the file is an
    empty string (one filter per column, which a Parquet reader answers from its statistics
    and dictionaries)."""
    probes = [
        f"(SELECT 1 AS empty FROM {raw_view(source)} WHERE {quote(column.name)} = '' LIMIT 1)"
        for column in source.spec.columns
        if column.name in source.columns
        and (not native or native_type(column) == "VARCHAR")
        and column.name not in source.booleans
    ]
    return " UNION ALL ".join(probes) if probes else "SELECT 1 AS empty WHERE 1 = 0"


def bad_expression(source: SourceFile, *, native: bool = False) -> str:
    """SQL over the raw view: `column: reason` for the first unusable value of a row, or NULL."""
    problems = []
    for column in source.spec.columns:
        raw = _raw(source, column, native)
        check = problem(column, raw, native=native, boolean=column.name in source.booleans)
        if check != "NULL":
            problems.append(f"'{column.name}: ' || ({check})")
    return f"coalesce({', '.join(problems)})" if problems else "CAST(NULL AS VARCHAR)"


def _column_flags(
    source: SourceFile,
    native: bool,
    cents: frozenset[str] = frozenset(),
    matched: frozenset[str] = frozenset(),
) -> list[str]:
    flags = (
        is_bad(
            column,
            _raw(source, column, native),
            native=native,
            cents=column.name in cents,
            matched=column.name in matched,
            boolean=column.name in source.booleans,
        )
        for column in source.spec.columns
    )
    return [flag for flag in flags if flag is not None]


def bad_flag(source: SourceFile, *, native: bool = False) -> str:
    """SQL boolean over the raw view: whether `bad_expression()` names a problem in the row
    (cheaper: no text is built for the rows that have none)."""
    flags = _column_flags(source, native)
    return " OR ".join(flags) if flags else "false"


def bad_value_probe(
    source: SourceFile,
    *,
    native: bool = False,
    cents: frozenset[str] = frozenset(),
    matched: frozenset[str] = frozenset(),
) -> str:
    """SQL over the raw view returning a row if and only if some value of the file is unusable;
    `cents`: the money columns whose type holds at most 2 decimals; `matched`: the columns
    whose every value is known to match their `pattern()`.

    One filter per column, each a scan of that column alone: a columnar reader applies it as
    it reads, once per distinct value of a dictionary-encoded column (months, choices, codes),
    which costs far less than the row flag over every column.
    """
    probes = [
        f"(SELECT 1 AS bad FROM {raw_view(source)} WHERE {flag} LIMIT 1)"
        for flag in _column_flags(source, native, cents, matched)
    ]
    return " UNION ALL ".join(probes) if probes else "SELECT 1 AS bad WHERE 1 = 0"


def typed_select(
    source: SourceFile, *, native: bool = False, clean: bool = False, month_lookup: bool = False
) -> str:
    """SELECT over `r_<file>` giving the typed columns and `_bad`, whether the row has an
    unusable value (no rows for an absent file).

    With `native`, the raw view already holds `NATIVE_TYPES` values (parsed by the engine's
    reader); otherwise every raw column is text. With `clean`, the file is known to have no
    unusable value (`bad_value_probe()` found none), so no row is checked again. With
    `month_lookup`, month columns are looked up in the `MONTHS` table (an unusable month finds
    none: its row is bad, and refused, either way).
    """
    items: list[str] = []
    joins: list[str] = []
    for column in source.spec.columns:
        raw = _raw(source, column, native)
        lookup = month_lookup and column.kind is Kind.MONTH and source.path is not None
        items.extend(typed_items(column, raw, native=native, month_lookup=lookup))
        if lookup:
            alias = _month_alias(column)
            joins.append(f" LEFT JOIN {MONTHS} AS {alias} ON {alias}._month_text = {raw}")
    if source.path is None:
        return (
            f"SELECT {', '.join(items)}, false AS _bad"
            " FROM (SELECT 1 AS one) AS no_file WHERE 1 = 0"
        )
    bad = "false" if clean else bad_flag(source, native=native)
    return f"SELECT {', '.join(items)}, ({bad}) AS _bad FROM {raw_view(source)}{''.join(joins)}"
