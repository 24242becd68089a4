"""A SPEC §3 dataset folder as the screening engines see it (engine-neutral part).

`locate()` finds each file (CSV or Parquet) and checks its header against `interchange.spec`;
`NORMALISE` maps the typed files onto the screening frame (`frame.py`). Typed files are views
named `t_<file>` (e.g. `t_feeds_medical`) that an engine builds from the raw text: text columns
as they are, dates as `<col>_day` / `<col>_mon` / `<col>_ymd` integers, months as `<col>_mon`,
money as `<col>_c` integer cents, booleans and integers typed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from povguard.core.errors import BadInput
from povguard.interchange.csvlines import cut_short
from povguard.interchange.spec import FILES, FileSpec, Keyed
from povguard.screening.frame import FRAME, PERSON

REQUIRED_FILES = ("households", "members")


@dataclass(frozen=True)
class SourceFile:
    spec: FileSpec
    path: Path | None  # None: the file is absent (no records)
    columns: tuple[str, ...]  # as they appear in the file
    # Whether a text value may be an empty string (an empty cell): False once an engine found
    # none in a Parquet file, whose text is then read as it is
    empty_text: bool = True
    # The boolean columns that the raw view holds as booleans (a Parquet file's typed ones),
    # rather than as text
    booleans: frozenset[str] = frozenset()

    @property
    def view(self) -> str:
        return "t_" + self.spec.name.replace("/", "_")

    @property
    def is_parquet(self) -> bool:
        """A Parquet file, or a folder of Parquet files (a lake table)."""
        return self.path is not None and (self.path.suffix == ".parquet" or self.path.is_dir())


def _header(path: Path) -> tuple[str, ...]:
    if path.suffix == ".parquet":
        try:
            return tuple(pq.read_schema(path).names)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise BadInput(f"{path}: not a readable Parquet file ({exc})") from exc
    try:
        # utf-8-sig: a byte order mark is not part of the first name (even a quoted one)
        with path.open(encoding="utf-8-sig", newline="") as handle:
            row = next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    if not row:
        raise BadInput(f"{path}: empty file (no header row)")
    # (DuckDB's reader would take such a header for one of several lines, and read no row.)
    broken = next((name for name in row if "\r" in name or "\n" in name), None)
    if broken is not None:
        raise BadInput(f"{path}: line 1: a column name holds a line break ({broken!r})")
    return tuple(name.strip() for name in row)


def _check_columns(spec: FileSpec, path: Path, columns: tuple[str, ...]) -> None:
    unknown = [name for name in columns if name not in spec.column_names]
    if unknown:
        raise BadInput(f"{path}: line 1: unknown column {unknown[0]!r}")
    duplicated = {name for name in columns if columns.count(name) > 1}
    if duplicated:
        raise BadInput(f"{path}: line 1: column {sorted(duplicated)[0]!r} appears twice")
    for column in spec.columns:
        if column.required and column.name not in columns:
            raise BadInput(f"{path}: line 1: required column {column.name!r} is missing")


def locate(folder: Path) -> dict[str, SourceFile]:
    """Every SPEC §3 file of `folder`, checked for header problems."""
    if not folder.is_dir():
        raise BadInput(f"{folder}: not a dataset folder")
    found: dict[str, SourceFile] = {}
    for name, spec in FILES.items():
        candidates = [p for p in (folder / f"{name}.csv", folder / f"{name}.parquet") if p.exists()]
        if len(candidates) > 1:
            raise BadInput(f"{folder}: both {name}.csv and {name}.parquet exist; keep one")
        if not candidates:
            if name in REQUIRED_FILES:
                raise BadInput(f"{folder}: {name}.csv is missing")
            found[name] = SourceFile(spec, None, ())
            continue
        path = candidates[0]
        columns = _header(path)
        _check_columns(spec, path, columns)
        cut = cut_short(path, len(columns)) if path.suffix == ".csv" else None
        if cut:
            raise BadInput(f"{path}: line {cut[0]}: {cut[1]}")
        found[name] = SourceFile(spec, path, columns)
    return found


_R = "record_id AS rid"


def _next_day(key: str, name: str = "next_day") -> str:
    """The day of the next record of the same `key` in (day, record id) order."""
    return f"lead(t.date_day) OVER {_by(key)} AS {name}"


def _by(key: str) -> str:
    return f"(PARTITION BY t.{key} ORDER BY t.date_day, t.record_id)"


# Frame table → (select list, FROM clause) over the typed views; `own_select()` adds `_bad`
# (whether the row has an unusable value).
NORMALISE: dict[str, tuple[str, str]] = {
    "hh": (
        "t.household_id AS hh, t.household_id AS hid, t.village_code AS village,"
        " substr(t.village_code, 1, 2) || '0000000000' AS prov,"
        " t.status = 'formerly_poor' AS formerly_poor, coalesce(o.monitored, false) AS monitored,"
        " o.hh IS NOT NULL AS in_case",
        # Bad rows are kept whatever the region, so that they are reported.
        "t_households t LEFT JOIN open_cases o ON o.hh = t.household_id"
        " WHERE t.village_code LIKE '{region}%' OR t._bad",
    ),
    "mem": (
        "household_id AS hh, member_id AS mid, id_number AS pid, birth_date_ymd AS birth_ymd,"
        " labour, in_household AS inh",
        "t_members t",
    ),
    "inc": (
        "household_id AS hh, period_start_mon AS s_mon, period_end_mon AS e_mon,"
        " coalesce(wage_c, 0) + coalesce(operating_c, 0) + coalesce(property_c, 0)"
        " + coalesce(transfer_c, 0) - coalesce(production_cost_c, 0) AS net_c",
        "t_income t",
    ),
    "f_medical": (f"{_R}, id_number AS pid, date_mon AS mon, out_of_pocket_c AS oop_c", ""),
    "f_insurance": ("id_number AS pid, year, enrolled", ""),
    "f_education": (
        f"{_R}, id_number AS pid, date_day AS day, date_mon AS mon, status,"
        " coalesce(cost_c, 0) AS cost_c",
        "",
    ),
    "f_disaster": (
        f"{_R}, household_id AS hh, date_mon AS mon, coalesce(loss_c, 0) AS loss_c,"
        " coalesce(house_damage = 'collapsed', false) AS collapsed",
        "",
    ),
    "f_housing": (
        f"{_R}, household_id AS hh, date_day AS day, grade, {_next_day('household_id')}",
        "",
    ),
    "f_water": (
        f"{_R}, household_id AS hh, village_code AS village, date_day AS day, safe,"
        f" {_next_day('household_id')}, {_next_day('village_code', 'next_vday')}",
        "",
    ),
    "f_civil": (f"{_R}, id_number AS pid, start_mon AS s_mon, program", ""),
    "f_disability": (f"{_R}, id_number AS pid, date_mon AS mon, grade", ""),
    "f_health": (f"{_R}, id_number AS pid, date_mon AS mon, serious", ""),
    "f_accident": (f"{_R}, id_number AS pid, date_mon AS mon, outcome", ""),
    "f_employment": (
        f"{_R}, id_number AS pid, date_day AS day, status",
        "",
    ),
    "f_assets": (
        f"{_R}, id_number AS pid, date_day AS day, asset, coalesce(value_c, 0) AS value_c",
        "",
    ),
    "decl": ("declaration_id AS rid, household_id AS hh, date_day AS day", "t_declarations t"),
}


# Frame tables that the rule query reads once, through filters that keep few of their rows (in
# W, this year's insurance…), or that are small (housing, water): where re-reading the file is
# cheap, they are views, so that only the rows kept are joined to their member, and nothing is
# stored. (A stored water table also misled DuckDB's join planner: its village statistics made
# the water fact look 27 times larger than the households, so that the rule query built a hash
# table of every household's facts.) The members are read whole once, into the table of the
# in-household members (`IN_HOUSEHOLD`); the rest of their reads (household sizes, the
# duplicate-ID check) take one or two columns, cheaper from the file than a stored copy of all.
# The income rows are read whole once too, by the pass computing their fact and the overlap
# precheck together (`WITH_FACTS`).
STREAMED = frozenset(
    {"f_medical", "f_insurance", "f_disaster", "f_civil", "f_disability", "f_health",
     "f_accident", "f_assets", "decl", "f_housing", "f_water", "mem", "inc"}
)  # fmt: skip


def member_key(pid: str) -> str:
    """SQL: ID number `pid` as a BIGINT, one-to-one on the ID numbers a frame accepts (17
    digits and a digit or X, `typed.pattern()`: a file holding another is refused before the
    rules run): the number itself, or below zero for a final X. Joined on it, a feed's rows
    find their member at about two thirds of the CPU of the 18-character text, which DuckDB
    compares through a pointer."""
    return (
        f"CASE WHEN {pid} LIKE '%X' THEN -1 - TRY_CAST(substr({pid}, 1, 17) AS BIGINT)"
        f" ELSE TRY_CAST({pid} AS BIGINT) END"
    )


# A person-keyed feed row belongs to the in-household member with its ID number, if any. The
# in-household members are a table of their own, built right after `mem`: joined to it, a
# feed's filtered rows are looked up in a table whose size the join planner knows (through
# `mem WHERE inh` it guessed a fifth of the members, and built its hash table on the members
# rather than on this year's 21 k uninsured rows). Its key `pk` is `member_key(pid)`.
IN_HOUSEHOLD = "mem_in"
IN_HOUSEHOLD_SELECT = f"SELECT {member_key('pid')} AS pk, {', '.join(PERSON)} FROM mem WHERE inh"
_MEMBER = "m.hh AS hh, m.mid AS mid, m.birth_ymd AS birth_ymd, m.labour AS labour"


def person_keyed(table: str) -> bool:
    """Whether the rows of frame table `table` are joined to their in-household member."""
    return FILES[SOURCE_OF[table]].keyed is Keyed.PERSON


def own_select(table: str, region_prefix: str = "", *, at_d: bool = False) -> str:
    """SELECT of frame table `table`'s own columns (with `_bad`) from its file's typed view:
    all of them, but the member's columns of a person-keyed feed; `at_d`: but the `next_day`
    of a feed of `AT_D`, which `with_member()` finds from its latest records at D."""
    columns, source = NORMALISE[table]
    if table in AT_D and not at_d:
        columns += f", {_next_day(AT_D[table][0])}"
    if not source:
        source = f"t_{SOURCE_OF[table].replace('/', '_')} t"
    return f"SELECT {columns}, t._bad FROM {source.replace('{region}', region_prefix)}"


def with_member(table: str, rows: str, *, at_d: bool = False, plain: bool = False) -> str:
    """SELECT of person-keyed frame table `table` from `rows` (its own columns): each row with
    the in-household member whose ID number it carries, if any; `at_d`: `rows` lack the
    `next_day` of a feed of `AT_D`, found here from table `latest_at_d(table)`; `plain`: but
    without `next_day` (the view `plain_view(table)`)."""
    own = ", ".join(
        f"t.{column}"
        for column in FRAME[table]
        if column not in PERSON and not (plain and column == "next_day")
    )
    latest = ""
    if at_d and table in AT_D and not plain:
        key = AT_D[table][1]
        # NULL for the latest record at D; the record's own day (not after D) for the other
        # records up to D, which `LATEST_AT_D` then leaves out like those after D.
        own = own.replace("t.next_day", "CASE WHEN l.rid IS NULL THEN t.day END AS next_day")
        latest = (
            f" LEFT JOIN {latest_at_d(table)} l"
            f" ON l.{key} = t.{key} AND l.day = t.day AND l.rid = t.rid"
        )
    return (
        f"SELECT {own}, {_MEMBER}, t._bad FROM {rows} t{latest}"
        f" LEFT JOIN {IN_HOUSEHOLD} m ON m.pk = {member_key('t.pid')}"
    )


# "Latest record" feeds whose `next_day` (the only use of their order: `rules.LATEST_AT_D`) a
# loader that knows D may find from one GROUP BY of their records up to D rather than from a
# window sorting all of them: (key column of the typed view, of the frame). Not for a frame
# kept for later runs at other dates.
AT_D: dict[str, tuple[str, str]] = {
    "f_education": ("id_number", "pid"),
    "f_employment": ("id_number", "pid"),
}


def plain_view(table: str) -> str:
    """The view of a feed of `AT_D` loaded at D without `next_day`: the rules that do not look
    for its latest records read it, sparing the join with `latest_at_d(table)` (DuckDB keeps a
    LEFT JOIN whose columns are unused)."""
    return f"{table}_plain"


def latest_at_d(table: str) -> str:
    """The table of the latest record at D of each key of feed `table` (of `AT_D`)."""
    return f"{table}_latest"


def latest_at_d_select(table: str) -> str:
    """SELECT of `latest_at_d(table)` from the feed's own rows: per key, the day and record id
    of its last record in (day, record id) order among those up to D (`{d_day}`). The
    maximum of a struct compares its fields in order: about four fifths of the CPU of
    `max(day)` and `arg_max(rid, (day, rid))` (whose `arg_max(rid, day)` would leave a tie of
    two records of one day to chance)."""
    key = AT_D[table][1]
    return (
        f"SELECT {key}, latest.day AS day, latest.rid AS rid FROM (SELECT {key},"
        f" max(struct_pack(day, rid)) AS latest FROM {own_rows(table)}"
        f" WHERE day <= {{d_day}} GROUP BY {key})"
    )


def own_rows(table: str) -> str:
    """The relation holding frame table `table`'s own columns: a person-keyed feed's rows
    without their member are `<table>_rows`, and `<table>` joins them to it (`with_member`)."""
    return f"{table}_rows" if person_keyed(table) else table


# The file each frame table is built from (for reporting bad rows).
SOURCE_OF: dict[str, str] = {
    "hh": "households",
    "mem": "members",
    "inc": "income",
    "decl": "declarations",
    **{f"f_{name[len('feeds/') :]}": name for name in FILES if name.startswith("feeds/")},
}

# Frame tables keyed by a record id of their file, `rid` (SPEC §3): each feed but insurance,
# and the declarations → the file's key column.
RECORD_KEY: dict[str, str] = {
    **{
        table: "record_id"
        for table in SOURCE_OF
        if table.startswith("f_") and table != "f_insurance"
    },
    "decl": "declaration_id",
}


def _record_twice(table: str) -> str:
    """The message naming a record whose key appears twice in its file: its amounts would count
    twice (medical, disaster, declarations), and which of two records of one date is the
    latest would be undefined (ties of date go by record id)."""
    return f"{SOURCE_OF[table]}: {RECORD_KEY[table]} {{0}} appears twice"


def _record_twice_query(table: str) -> str:
    """SQL naming the first such record id."""
    return (
        f"SELECT rid FROM {own_rows(table)} GROUP BY rid HAVING count(*) > 1 ORDER BY rid LIMIT 1"
    )


# The integrity check that no two member rows share a member id.
MEMBER_TWICE = "members: member_id {0} appears twice"

# The integrity check that no two in-household members share an ID number.
TWINS = "members: ID number {0} appears in two in-household member rows ({1}, {2})"

# The integrity check that a person not enrolled in D's year has no other row for that year.
INSURANCE_TWO_ROWS = "feeds/insurance: ID number {0} has two rows for year {1}"


# Integrity problems that make the rules ill-defined: the first offending row of each is reported
# (queries may use the constants of the screening date, `window.Window.constants()`).
INTEGRITY: dict[str, str] = {
    "households: household_id {0} appears twice": (
        "SELECT hh FROM hh GROUP BY hh HAVING count(*) > 1 ORDER BY hh LIMIT 1"
    ),
    # (A person who moved from one household to another may have a row left behind, out of
    # its household: only the in-household rows, to which feed rows belong, are ambiguous.)
    MEMBER_TWICE: "SELECT mid FROM mem GROUP BY mid HAVING count(*) > 1 ORDER BY mid LIMIT 1",
    TWINS: (
        "SELECT pid, min(mid), max(mid) FROM mem WHERE inh GROUP BY pid HAVING count(*) > 1"
        " ORDER BY pid LIMIT 1"
    ),
    "income: household {0} has overlapping income periods (starting {1} and {2})": (
        "SELECT hh, prev_start, s_mon FROM (SELECT hh, s_mon,"
        " lag(s_mon) OVER (PARTITION BY hh ORDER BY s_mon) AS prev_start,"
        " lag(e_mon) OVER (PARTITION BY hh ORDER BY s_mon) AS prev_end FROM inc) o"
        " WHERE prev_end >= s_mon ORDER BY hh LIMIT 1"
    ),
    "income: household {0} has a period ending before it starts ({1})": (
        "SELECT hh, s_mon FROM inc WHERE e_mon < s_mon ORDER BY hh LIMIT 1"
    ),
    # A person's two rows for D's year, one saying "not enrolled": R09 would follow that one
    # and ignore the other (the file's key is ID number and year; only these change a clue,
    # and the few people not enrolled are looked up rather than every row grouped).
    INSURANCE_TWO_ROWS: (
        "SELECT pid, year FROM f_insurance_rows WHERE year = {d_year} AND pid IN"
        " (SELECT pid FROM f_insurance_rows WHERE year = {d_year} AND NOT enrolled)"
        " GROUP BY pid, year HAVING count(*) > 1 ORDER BY pid LIMIT 1"
    ),
    # A record with both would count as the household's and as its village's (SPEC §3).
    "feeds/water: record {0} must have exactly one of household_id and village_code": (
        "SELECT rid FROM f_water WHERE (hh IS NULL) = (village IS NULL) ORDER BY rid LIMIT 1"
    ),
    **{_record_twice(table): _record_twice_query(table) for table in RECORD_KEY},
}

# Bits of a BIGINT that hold a household's months, month m as bit m mod `_BITS`.
_BITS = 62
_LENGTH = "(e_mon - s_mon + 1)"
# The bits up to a period's end's bit minus those below its start's bit: for a period of 1 to
# `_BITS` months, its months' bits, less all `_BITS` bits when it wraps around (its end's bit
# is below its start's) or covers them all (zero).
_SPANNED = (
    f"((CAST(1 AS BIGINT) << (e_mon % {_BITS} + 1)) - (CAST(1 AS BIGINT) << (s_mon % {_BITS})))"
)
_MONTH_BITS = f"{_SPANNED} + CASE WHEN {_SPANNED} <= 0 THEN {(1 << _BITS) - 1} ELSE 0 END"

# Per household of the `inc` frame table: whether its periods may overlap or end before they
# start. Periods are disjoint exactly when their month bits are as many as the sum of their
# lengths; two months `_BITS` apart share a bit, which only makes the check itself run. A
# period longer than `_BITS` months needs no test of its own: its length alone exceeds any
# count of bits (testing each period's length first, in a CASE around its bits, made the flag
# cost 0.6 s of CPU rather than 0.35 s for 14.7 M periods). One ending before it starts is
# found by the minimum.
# (The periods are required: a row without one is refused before the checks run.)
_PERIODS_MAY_OVERLAP = (
    f"min(e_mon - s_mon) < 0 OR bit_count(bit_or({_MONTH_BITS})) <> sum({_LENGTH})"
)

# Facts computed before the integrity checks, each in one pass with per-household columns
# (name → aggregate over the fact's rows) that prechecks read from its table `x_<fact>`; the
# rule query then reads that table rather than computing the fact again.
WITH_FACTS: dict[str, dict[str, str]] = {"inc": {"periods_may_overlap": _PERIODS_MAY_OVERLAP}}
_PERIODS_PRECHECK = "SELECT 1 FROM x_inc WHERE periods_may_overlap LIMIT 1"


@dataclass(frozen=True)
class Repeats:
    """A precheck: whether some value of `column` of frame table `table` may appear twice (an
    engine answers it as it can, `SqlEngine.may_repeat`)."""

    table: str
    column: str
    # The file whose rows the table's are (all of them, or some) and its columns whose values
    # repeat wherever those of `column` do (the same values, or some of them): an engine may
    # answer from them as it reads the file (empty: unknown).
    file: str = ""
    file_columns: tuple[str, ...] = ()

    def sql(self) -> str:
        """SQL returning a row if so: equal values have equal hashes, and grouping integers
        costs half as much as grouping text (a collision only makes the check itself run)."""
        return (
            f"SELECT 1 FROM {self.table} GROUP BY hash({self.column}) HAVING count(*) > 1 LIMIT 1"
        )


@dataclass(frozen=True)
class InsuranceTwoRows:
    """A precheck of `INSURANCE_TWO_ROWS`: whether an engine may have found, while reading the
    insurance file's ID numbers for other reasons, that someone not enrolled in D's year has
    two rows for it (`SqlEngine.insurance_two_rows_may_exist`; the check runs if unknown)."""


# For a check whose query is costly: a cheaper query that returns a row whenever the check's
# query may find one (it never misses an offending row); the check's query then names it. Checks
# sharing a precheck run it once.
INTEGRITY_PRECHECK: dict[str, str | Repeats | InsuranceTwoRows] = {
    # (The household rows of the region, of all the file's.)
    "households: household_id {0} appears twice": Repeats(
        "hh", "hh", "households", ("household_id",)
    ),
    # (Over every member row: a repeat among the in-household ones repeats there too.)
    TWINS: Repeats("mem", "pid", "members", ("id_number",)),
    # The window sort of the check runs only when some household's periods may overlap.
    "income: household {0} has overlapping income periods (starting {1} and {2})": (
        _PERIODS_PRECHECK
    ),
    # A period ending before it starts is flagged by the same precheck.
    "income: household {0} has a period ending before it starts ({1})": _PERIODS_PRECHECK,
    INSURANCE_TWO_ROWS: InsuranceTwoRows(),
    # Record ids, the files' keys, rarely repeat: read from the file, their hashes are sorted.
    MEMBER_TWICE: Repeats("mem", "mid", "members", ("member_id",)),
    **{
        _record_twice(table): Repeats(
            own_rows(table), "rid", SOURCE_OF[table], (RECORD_KEY[table],)
        )
        for table in RECORD_KEY
    },
}
