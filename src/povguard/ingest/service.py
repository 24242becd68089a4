"""`povguard import DIR`: validate a SPEC §3 dataset and load it atomically.

Registry files go to the operational database (upsert by key), income, declarations and
feeds to the Parquet lake (merged by key, partitioned by province), together with a registry
snapshot for screening. Either everything lands or nothing does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.audit import service as audit
from povguard.auth.principal import SYSTEM, Principal, Role
from povguard.core.errors import BadInput
from povguard.core.uow import unit_of_work
from povguard.households.models import Household, Member
from povguard.ingest import batches, bulk, changes, checks
from povguard.ingest.lake import LakeChange, table_folder, typed
from povguard.ingest.typedfiles import TypedFiles, typed_files
from povguard.ingest.validate import (
    ERROR_SCHEMA,
    Table,
    check_duplicates,
    check_values,
    locate_files,
    one_error,
    read_table,
)
from povguard.interchange.spec import FILES, POLICY_FILE, Keyed
from povguard.regions.models import Region

LOOKUP_CHUNK = 10_000  # keys per `IN (…)` when looking stored rows up by key
LEVEL_ORDER = {"province": 0, "city": 1, "county": 2, "township": 3, "village": 4}
# The columns of a file that the checks across files, the scope check and the province lookup
# read (as text, with the line numbers they report); the rest is dropped after its own checks.
CROSS_CHECKED = frozenset({
    "_line", "code", "parent_code", "level", "household_id", "village_code", "member_id",
    "id_number", "birth_date", "in_household", "period_start", "period_end",
})  # fmt: skip
# (phase, file name, files done, files in all), called after each file. Phases: "validate"
# (reading and checking), "load" (writing the lake), "store" (the registry into the database,
# inside the import's transaction: a listener must not write to an SQLite database then),
# "stage" (a registry file's work done beside validation, reported before it, as 0 of 1, and
# after it, as 1 of 1, from another thread)
Progress = Callable[[str, str, int, int], None]


class ImportRejected(BadInput):
    """The dataset has bad rows; `errors` lists every one of them."""

    def __init__(self, errors: pl.DataFrame, rows: dict[str, int] | None = None) -> None:
        files = errors["file"].n_unique()
        super().__init__(f"{errors.height} bad rows in {files} file{'s' if files > 1 else ''}")
        self.errors = errors
        self.rows = rows or {}  # rows read per file


@dataclass
class Validated:
    """What loading needs of a validated dataset (the files' own rows stay on disk)."""

    rows: dict[str, int]  # rows per file
    households: pl.DataFrame  # household_id → village_code, the files over the database
    people: pl.DataFrame  # id_number → household_id, likewise
    stored: dict[str, pl.DataFrame]  # the registry in the database before the import


@dataclass
class ImportReport:
    rows: dict[str, int] = field(default_factory=dict)
    unmatched: dict[str, int] = field(default_factory=dict)
    provinces: set[str] = field(default_factory=set)


def _read(
    folder: Path,
    spill: TypedFiles | None,
    progress: Progress | None = None,
    on_spilled: Callable[[str], None] | None = None,
) -> tuple[dict[str, Table], list[pl.DataFrame]]:
    """Every file read and checked on its own (values, duplicate keys), one at a time. A file
    without bad rows goes to `spill` typed (then `on_spilled(name)`); the tables keep the
    `CROSS_CHECKED` columns only."""
    if not folder.is_dir():
        raise BadInput(f"{folder}: not a dataset folder")
    found = locate_files(folder)
    if not found and not (folder / POLICY_FILE).exists():
        raise BadInput(f"{folder}: no SPEC §3 file (households.csv, feeds/medical.csv, …)")
    tables: dict[str, Table] = {}
    unreadable: list[pl.DataFrame] = []
    for done, (name, path) in enumerate(found.items(), start=1):
        result = read_table(name, path)
        if isinstance(result, Table):
            check_values(result)
            check_duplicates(result, result.spec.key)
            if spill is not None and not result.errors:
                spill.put(name, typed(result.spec, result.frame))
                if on_spilled is not None:
                    on_spilled(name)
            result.keep_as_text(CROSS_CHECKED)
            tables[name] = result
        else:
            unreadable.append(result)
        if progress is not None:
            progress("validate", name, done, len(found))
    return tables, unreadable


def _stored(
    session: Session, tables: dict[str, Table], empty: frozenset[str] = frozenset()
) -> dict[str, pl.DataFrame]:
    """The registry rows in the database that the files name (keys and what the checks need):
    every region; the members whose member_id or ID number appears in a file (an ID number
    stored in any province is a clash); the households named in a file or holding such a
    member. An import reads what its files name, not everything stored before it. The
    tables named in `empty` are known to hold no row and are not read."""
    bind = session.connection()
    regions = _frame(
        [] if "regions" in empty else list(bind.execute(sa.select(Region.code, Region.level))),
        ["code", "level"],
    )
    members = _stored_rows(
        bind,
        (Member.member_id, Member.household_id, Member.id_number, _AS_TEXT_IN_HOUSEHOLD),
        lambda: _named(tables, "member_id") + _named(tables, "id_number"),
        empty,
    )
    households = _stored_rows(
        bind,
        (Household.household_id, Household.village_code),
        lambda: [*_named(tables, "household_id"), members["household_id"]],
        empty,
    )
    return {"regions": regions, "households": households, "members": members}  # fmt: skip


# A member's `in_household` as the text of a file ('true' or 'false'), on every database.
_AS_TEXT_IN_HOUSEHOLD = sa.case((Member.in_household, "true"), else_="false").label("in_household")


def _named(tables: dict[str, Table], column: str) -> list[pl.Series]:
    """`column` of every file that has it."""
    return [t.frame[column] for t in tables.values() if column in t.frame.columns]


def _stored_rows(
    bind: sa.Connection,
    columns: tuple[Any, ...],
    wanted: Callable[[], list[pl.Series]],
    empty: frozenset[str],
) -> pl.DataFrame:
    """`columns` of the stored rows whose column named like one of the `wanted` series holds
    one of its values (gathered only when the table has rows; none when it is in `empty`).
    A table holding no more rows than the series have values is read whole instead (cheaper
    than a lookup per key; rows no file names change no check)."""
    table = columns[0].table
    names = [c.name for c in columns]
    query = sa.select(*columns)
    if table.name in empty:
        return _frame([], names)
    stored = bind.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    if not stored:
        return _frame([], names)
    named = wanted()
    if stored <= sum(values.len() for values in named):
        return _frame(list(bind.execute(query)), names)
    rows: list[Any] = []
    for column in dict.fromkeys(values.name for values in named):
        keys = pl.concat([v for v in named if v.name == column]).drop_nulls().unique()
        for start in range(0, keys.len(), LOOKUP_CHUNK):
            chunk = keys.slice(start, LOOKUP_CHUNK).to_list()
            rows.extend(bind.execute(query.where(table.c[column].in_(chunk))))
    return _frame(rows, names).unique(maintain_order=True)  # found by two keys: once


def _frame(rows: list[Any], names: list[str]) -> pl.DataFrame:
    return pl.DataFrame([tuple(row) for row in rows], schema=dict.fromkeys(names, pl.String),
                        orient="row")  # fmt: skip


def _check(tables: dict[str, Table], stored: dict[str, pl.DataFrame], lake: Path) -> None:
    regions = _union(tables, stored, "regions", "code")
    households = _union(tables, stored, "households", "household_id")
    if "regions" in tables:
        checks.references(tables["regions"], "parent_code", regions, "parent region")
    if "households" in tables:
        villages = _villages(tables, stored)
        checks.references(tables["households"], "village_code", villages, "village")
    if "members" in tables:
        members = tables["members"]
        # (A person who moved keeps a row out of the old household: only in-household rows.)
        check_duplicates(
            replace(members, frame=members.frame.filter(checks.in_household(members))),
            ("id_number",),
            "ID number in two in-household member rows",
        )
        checks.birth_dates_match_ids(members)
        checks.ids_in_other_households(members, stored["members"])
        checks.references(members, "household_id", households, "household")
    if "income" in tables:
        checks.references(tables["income"], "household_id", households, "household")
        income = tables["income"]
        checks.income_periods(income, _stored_income(lake, income.frame["household_id"]))
    if "feeds/water" in tables:
        checks.water_keys(tables["feeds/water"])
    if "declarations" in tables:
        checks.references(tables["declarations"], "household_id", households, "household")


def _union(
    tables: dict[str, Table], stored: dict[str, pl.DataFrame], name: str, key: str
) -> pl.Series:
    parts = [stored[name][key]]
    if name in tables:
        parts.append(tables[name].frame[key].drop_nulls())
    return pl.concat(parts).cast(pl.String).unique()


def _villages(tables: dict[str, Table], stored: dict[str, pl.DataFrame]) -> pl.Series:
    parts = [stored["regions"].filter(pl.col("level") == "village")["code"]]
    if "regions" in tables:
        parts.append(tables["regions"].frame.filter(pl.col("level") == "village")["code"])
    return pl.concat(parts).cast(pl.String).unique()


def _about(column: str | pl.Expr, value: str | pl.Expr, village: str | pl.Expr) -> list[pl.Expr]:
    as_expr = lambda e: pl.col(e) if isinstance(e, str) else e  # noqa: E731
    return [
        pl.col("_line"),
        (pl.lit(column) if isinstance(column, str) else column).alias("_column"),
        as_expr(value).alias("_value"),
        as_expr(village).alias("_village"),
    ]


def _village_of_rows(
    name: str, frame: pl.DataFrame, households: pl.DataFrame, people: pl.DataFrame
) -> pl.DataFrame:
    """Each row's `_line`, the column naming what it is about (`_column`, `_value`) and the
    village (or region) code it belongs to (`_village`, null when unknown)."""
    if name == "regions":
        return frame.select(_about("code", "code", "code"))
    if name == "households":
        return frame.select(_about("village_code", "village_code", "village_code"))
    if name == "feeds/water":
        located = frame.join(households, on="household_id", how="left", suffix="_hh")
        by_village = pl.col("household_id").is_null()
        column = pl.when(by_village).then(pl.lit("village_code")).otherwise(pl.lit("household_id"))
        village = pl.when(by_village).then("village_code").otherwise("village_code_hh")
        value = pl.coalesce("household_id", "village_code")
        return located.select(_about(column, value, village))
    if "household_id" in frame.columns:
        located = frame.select("_line", "household_id").join(
            households, on="household_id", how="left"
        )
        return located.select(_about("household_id", "household_id", "village_code"))
    located = (
        frame.select("_line", "id_number")
        .join(people, on="id_number", how="left")
        .join(households, on="household_id", how="left")
    )
    return located.select(_about("id_number", "id_number", "village_code"))


def _stored_income(lake: Path, households: pl.Series) -> pl.DataFrame | None:
    """The stored income periods of `households` (only a household's own periods can overlap
    its new ones: the rest of the lake is never read into memory)."""
    files = sorted(table_folder(lake, "income").glob("province=*/*.parquet"))
    if not files:
        return None
    wanted = pl.DataFrame({"household_id": households.unique()})
    stored = pl.scan_parquet(files).select("household_id", "period_start", "period_end")
    return stored.join(wanted.lazy(), on="household_id", how="semi").collect()


def validate(
    folder: Path,
    *,
    database_url: str | None = None,
    lake: Path,
    scope_prefix: str = "",
    progress: Progress | None = None,
) -> dict[str, Table]:
    """Read and check every file; raise `ImportRejected` listing every bad row.

    With a `scope_prefix` (a clerk's or county officer's region), rows about regions,
    households or people outside that subtree are bad rows too."""
    tables, _stored_registry = _validate(folder, None, database_url=database_url, lake=lake,
                                         scope_prefix=scope_prefix, progress=progress)  # fmt: skip
    return tables


def _policy_problems(folder: Path, scope_prefix: str) -> list[pl.DataFrame]:
    """A policy file only from an admin, and only one that loads."""
    source = folder / POLICY_FILE
    if not source.exists():
        return []
    if scope_prefix:
        return [one_error(source, 1, "", "", "only an admin may import a policy file")]
    from povguard.policy.service import load_policy

    try:
        load_policy(source)
    except BadInput as exc:
        return [one_error(source, 1, exc.field or "", "", str(exc))]
    return []


def _validate(
    folder: Path,
    spill: TypedFiles | None,
    *,
    database_url: str | None,
    lake: Path,
    scope_prefix: str,
    progress: Progress | None,
    feeds_only: bool = False,
    stager: _RegistryStager | None = None,
) -> tuple[dict[str, Table], dict[str, pl.DataFrame]]:
    """`validate`, also returning the stored registry it checked against; the typed files go
    to `spill` (none: check only; `stager` is told each one). With `feeds_only` (a
    department data clerk), any file but a department feed is refused."""
    on_spilled = stager.submit if stager is not None else None
    tables, unreadable = _read(folder, spill, progress, on_spilled)
    unreadable.extend(_policy_problems(folder, scope_prefix))
    if feeds_only:
        unreadable.extend(
            one_error(table.path, 1, "", "", "a data clerk imports department feeds only")
            for name, table in tables.items()
            if not name.startswith("feeds/")
        )
    empty = stager.taken() if stager is not None else frozenset()
    with unit_of_work(database_url) as session:
        stored = _stored(session, tables, empty)
    _check(tables, stored, lake)
    if scope_prefix:
        households, people = _maps(tables, stored)
        for name, table in tables.items():
            checks.outside_scope(table, _village_of_rows(name, table.frame, households, people),
                                 scope_prefix)  # fmt: skip
    errors = unreadable + [e for t in tables.values() for e in t.errors]
    if errors:
        frame = pl.concat(errors).cast(ERROR_SCHEMA).sort("file", "line", "column")  # type: ignore[arg-type]
        raise ImportRejected(frame, _rows(tables))
    return tables, stored


REGISTRY_MODELS: dict[str, tuple[Any, str]] = {
    "regions": (Region, "code"), "households": (Household, "household_id"),
    "members": (Member, "member_id"),
}  # fmt: skip


def _registry_frame(spill: TypedFiles, name: str, key: str) -> pl.DataFrame:
    """A registry file's typed rows: regions parents first, the others in key order (the
    primary key's B-tree fills several times faster in order than at random)."""
    frame = spill.get(name)
    if name == "regions":
        order = pl.col("level").replace_strict(LEVEL_ORDER, return_dtype=pl.Int8)
        frame = frame.sort(order, maintain_order=True)
    elif not frame[key].is_sorted():
        frame = frame.sort(key)
    return frame


def _store_registry(
    session: Session,
    validated: Validated,
    spill: TypedFiles,
    actor: Principal,
    progress: Progress | None = None,
    stager: _RegistryStager | None = None,
) -> None:
    """The registry files present, parents first, one at a time, after `stager`'s work:
    those it stored already are skipped (PostgreSQL); SQLite copies the others from the
    staging databases where it wrote them."""
    names = [name for name in REGISTRY_MODELS if name in validated.rows]
    if progress is not None:
        progress("store", "", 0, len(names))
    if stager is not None:
        stager.wait()  # its work on the session ends before this thread's begins
    for done, name in enumerate(names, start=1):
        if stager is None or not stager.stored(name):
            _store_file(session, name, validated, spill, actor, stager)
        if progress is not None:
            progress("store", name, done, len(names))


def _store_file(
    session: Session,
    name: str,
    validated: Validated,
    spill: TypedFiles,
    actor: Principal,
    stager: _RegistryStager | None,
) -> None:
    model, key = REGISTRY_MODELS[name]
    frame = _registry_frame(spill, name, key)
    stored_keys = validated.stored[name][key]
    if name in changes.ENTITY and stored_keys.len():  # only stored rows can change
        replacing = frame.filter(pl.col(key).is_in(stored_keys.implode()))
        region_of = _regions_of(replacing, key, validated.households)
        changes.record_changes(session, actor, name, model, replacing, key, stored_keys,
                               region_of)  # fmt: skip
    staged = stager.staged(name) if stager is not None else None
    for part in _in_upsert_order(name, frame, stored=bool(stored_keys.len())):
        bulk.upsert(session, model, part, key, staged if part.height == frame.height else None)


def _in_upsert_order(name: str, frame: pl.DataFrame, *, stored: bool) -> list[pl.DataFrame]:
    """The file's rows in parts upserted one after the other: over stored members, the rows
    out of their household first, so that an ID number is never held by two in-household rows
    on the way (a person who moved, whose stored row the file marks as moved out, and whose
    new row may come first in member_id order)."""
    if name != "members" or not stored:
        return [frame]
    inside = pl.col("in_household").cast(pl.String) == "true"
    return [part for part in (frame.filter(~inside), frame.filter(inside)) if part.height]


# The registry table each registry table's rows point at.
REGISTRY_PARENT = {"regions": None, "households": "regions", "members": "households"}


class _RegistryStager:
    """Registry work done beside validation, inside the import's transaction (`session`'s),
    in one background thread: each registry file's, as soon as it has been validated
    (`submit`), while the other files are. Each file's work is reported as a "stage" progress
    event before it (done 0 of 1) and after it (1 of 1).

    SQLite: the file is written to a staging database (`bulk.stage`); storing it then only
    copies it. PostgreSQL: the registry tables holding no row when the import starts are
    locked for its transaction (`bulk.lock_if_empty`) and their files stored right away (into
    an empty table: `COPY`, the index builds and the constraint checks); the registry phase
    stores the other files. A table is taken only if the table its rows point at is taken
    too or gets no file from this import (parents are stored first). Validation does not
    read a taken table (`taken`): it holds no row, and its lock would make validation wait
    for its own import. Staging folders live in the typed files' folder, removed with it if
    an import stops before copying them."""

    def __init__(
        self,
        session: Session,
        spill: TypedFiles,
        registry_files: frozenset[str],
        progress: Progress | None,
    ) -> None:
        self.session = session
        self.spill = spill
        self.progress = progress
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="registry-stage")
        self.futures: dict[str, Future[bulk.Staged | None]] = {}
        self.stored_files: set[str] = set()
        self.driver: Any = None  # PostgreSQL: the import's connection, to cancel its work
        self.tables: Future[frozenset[str]] | None = None
        if not self.sqlite and registry_files:
            self.tables = self.pool.submit(self._take, registry_files)

    def _take(self, registry_files: frozenset[str]) -> frozenset[str]:
        self.driver = self.session.connection().connection.driver_connection
        taken: set[str] = set()
        for name, parent in REGISTRY_PARENT.items():
            if (parent is None or parent in taken or parent not in registry_files) and (
                bulk.lock_if_empty(self.session, REGISTRY_MODELS[name][0])
            ):
                taken.add(name)
        return frozenset(taken)

    def taken(self) -> frozenset[str]:
        """The tables locked because they held no row (PostgreSQL)."""
        return self.tables.result() if self.tables is not None else frozenset()

    def submit(self, name: str) -> None:
        if name not in REGISTRY_MODELS:
            return
        if self.sqlite:
            self.futures[name] = self.pool.submit(self._stage, name)
        elif self.tables is not None:
            self.futures[name] = self.pool.submit(self._store, name)

    def _report(self, name: str, done: int) -> None:
        if self.progress is not None:
            self.progress("stage", name, done, 1)

    def _stage(self, name: str) -> bulk.Staged | None:
        self._report(name, 0)
        model, key = REGISTRY_MODELS[name]
        staged = bulk.stage(model, _registry_frame(self.spill, name, key), self.spill.folder)
        self._report(name, 1)
        return staged

    def _store(self, name: str) -> None:
        if name not in self.taken():
            return
        self._report(name, 0)
        model, key = REGISTRY_MODELS[name]
        bulk.upsert(self.session, model, _registry_frame(self.spill, name, key), key)
        self.stored_files.add(name)
        self._report(name, 1)

    def wait(self) -> None:
        """Until the work submitted has ended; raises its first error."""
        for future in self.futures.values():
            future.result()

    def staged(self, name: str) -> bulk.Staged | None:
        future = self.futures.get(name)
        return future.result() if self.sqlite and future is not None else None

    def stored(self, name: str) -> bool:
        """Whether `name`'s file has been stored already (after `wait`)."""
        return name in self.stored_files

    def close(self, *, failed: bool = False) -> None:
        """Wait for the thread to end; if the import `failed`, what has not begun is dropped
        and the statement running on the import's connection cancelled."""
        if failed and self.driver is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            with suppress(Exception):  # at best: the failure being raised is the one to report
                self.driver.cancel_safe()
        self.pool.shutdown(wait=True, cancel_futures=failed)


def _regions_of(frame: pl.DataFrame, key: str, villages: pl.DataFrame) -> dict[str, str]:
    """Each row's village code (a member's is its household's), for region-scoped audit."""
    if "village_code" in frame.columns:
        located = frame.select(key, "village_code")
    else:
        located = frame.select(key, "household_id").join(villages, on="household_id", how="left")
    return dict(zip(located[key].to_list(), located["village_code"].to_list(), strict=True))


def _maps(
    tables: dict[str, Table], stored: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(household_id → village_code, id_number → household_id), files over database."""
    households = stored["households"]
    if "households" in tables:
        fresh = tables["households"].frame.select("household_id", "village_code")
        households = pl.concat([households.join(fresh, on="household_id", how="anti"), fresh])
    people = stored["members"]
    if "members" in tables:
        members = tables["members"]
        fresh = members.frame.select(
            "member_id", "household_id", "id_number", members.as_text("in_household")
        )
        people = pl.concat([people.join(fresh, on="member_id", how="anti"), fresh])
    # A person's feed rows go to the household holding them (a person who moved may keep a
    # row out of the old household; one out of every household keeps its last one).
    people = people.sort(pl.col("in_household") == "true").unique("id_number", keep="last")
    return households, people.select("id_number", "household_id")


def _with_household(name: str, frame: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """A person-keyed feed with each person's `household_id` (null when unknown) added."""
    if FILES[name].keyed is Keyed.PERSON:
        return frame.with_columns(_lookup(frame["id_number"], people, "household_id"))
    return frame


def _with_province(name: str, frame: pl.DataFrame, households: pl.DataFrame) -> pl.DataFrame:
    """Adds `province` (2 digits, null when the row points at nobody known); a person-keyed
    feed has its `household_id` already (`_with_household`). Only the key columns are joined:
    the frame's own columns are kept as they are, not copied."""
    if name == "households":
        return frame.with_columns(pl.col("village_code").str.slice(0, 2).alias("province"))
    village = _lookup(frame["household_id"], households, "village_code").str.slice(0, 2)
    if name == "feeds/water":
        by_village = pl.col("household_id").is_null()
        return frame.with_columns(
            pl.when(by_village).then(pl.col("village_code").str.slice(0, 2))
            .otherwise(pl.lit(village)).alias("province")
        )  # fmt: skip
    return frame.with_columns(village.alias("province"))


def _one_province(
    name: str, frame: pl.DataFrame, households: pl.DataFrame
) -> tuple[str, pl.Series] | None:
    """(the one province of every row of a household-keyed `frame` that points at a known
    household, which of its rows point at nobody known), or None when the rows lie in
    several provinces or in none. A person-keyed frame has its households already. Found
    from the frame's distinct households: one lookup per household instead of one per row."""
    if name in ("households", "feeds/water"):
        return None
    located = (
        frame.lazy().select("household_id").unique()
        .join(households.lazy(), on="household_id", how="left")
        .select("household_id", pl.col("village_code").str.slice(0, 2).alias("province"))
        .collect()
    )  # fmt: skip
    provinces = located["province"].drop_nulls().unique()
    if provinces.len() != 1:
        return None
    unknown = located.filter(pl.col("province").is_null())["household_id"].drop_nulls()
    unmatched = frame.select(
        pl.col("household_id").is_null() | pl.col("household_id").is_in(unknown.implode())
    ).to_series()
    return str(provinces[0]), unmatched


def _lookup(keys: pl.Series, mapping: pl.DataFrame, value: str) -> pl.Series:
    """`mapping`'s `value` for each of `keys` (null when not there), in the keys' order."""
    if keys.len() * 8 < mapping.height:  # a small file: join only the mapping's rows it needs
        mapping = mapping.filter(pl.col(keys.name).is_in(keys.implode()))
    found = keys.to_frame().join(mapping, on=keys.name, how="left", maintain_order="left")
    return found[value]


def _stage_table(
    change: LakeChange,
    name: str,
    frame: pl.DataFrame,
    maps: tuple[pl.DataFrame, pl.DataFrame],
    report: ImportReport,
) -> None:
    """Stage one typed file: per province, and the rows pointing at nobody as unmatched."""
    spec = FILES[name]
    if name == "regions":
        change.merge(table_folder(change.lake, name), frame, spec.key)
        return
    households, people = maps
    frame = _with_household(name, frame, people)
    one = _one_province(name, frame, households)
    if one is not None:  # the usual case: every matched row in one province
        province, unmatched = one
        if unmatched.any():
            _stage_unmatched(change, name, frame.filter(unmatched), report)
            frame = frame.filter(~unmatched)
        report.provinces.add(province)
        change.merge(table_folder(change.lake, name) / f"province={province}", frame, spec.key)
        return
    located = _with_province(name, frame, households)
    unmatched_rows = located.filter(pl.col("province").is_null())
    if unmatched_rows.height:
        _stage_unmatched(change, name, unmatched_rows.drop("province"), report)
    for province, part in _by_province(located):
        report.provinces.add(province)
        change.merge(table_folder(change.lake, name) / f"province={province}", part, spec.key)


def _stage_unmatched(
    change: LakeChange, name: str, rows: pl.DataFrame, report: ImportReport
) -> None:
    """Rows pointing at no known person or household, set aside with the reason."""
    report.unmatched[name] = rows.height
    reason = pl.lit("person or household not in the registry").alias("reason")
    change.merge(change.lake / "unmatched" / name, rows.with_columns(reason), FILES[name].key)


def _by_province(located: pl.DataFrame) -> Iterator[tuple[str, pl.DataFrame]]:
    """The rows of each province, one at a time; the frame itself (not a copy) when one
    province holds every row."""
    provinces = located["province"].unique()
    if provinces.len() == 1 and provinces[0] is not None:
        yield str(provinces[0]), located.drop("province")
        return
    for province in provinces.drop_nulls():
        yield str(province), located.filter(pl.col("province") == province).drop("province")


def _stage_lake(
    change: LakeChange,
    validated: Validated,
    spill: TypedFiles,
    report: ImportReport,
    progress: Progress | None = None,
) -> None:
    maps = (validated.households, validated.people)
    if progress is not None:
        progress("load", "", 0, len(validated.rows))
    for done, name in enumerate(validated.rows, start=1):
        frame = spill.get(name)
        report.rows[name] = frame.height
        _stage_table(change, name, frame, maps, report)
        if progress is not None:
            progress("load", name, done, len(validated.rows))


def _stage_policy(change: LakeChange, folder: Path) -> None:
    source = folder / POLICY_FILE
    if not source.exists():
        return
    from povguard.policy.service import load_policy

    load_policy(source)  # a broken policy file is refused with its reason
    target = change.lake / "policy" / POLICY_FILE
    staged = change.staging / "policy" / POLICY_FILE
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.write_bytes(source.read_bytes())
    change.targets.append(target)


def _unmatched_counts(tables: dict[str, Table], stored: dict[str, pl.DataFrame]) -> dict[str, int]:
    households, people = _maps(tables, stored)
    counts = {}
    for name, table in tables.items():
        if name == "regions":
            continue
        located = _with_province(name, _with_household(name, table.frame, people), households)
        missing = located["province"].null_count()
        if missing:
            counts[name] = missing
    return counts


def _load(
    folder: Path,
    validated: Validated,
    spill: TypedFiles,
    change: LakeChange,
    stager: _RegistryStager,
    *,
    actor: Principal,
    batch_id: str,
    progress: Progress | None,
) -> ImportReport:
    """Stage the lake and store the registry in `stager`'s session (its transaction)."""
    report = ImportReport(rows=dict(validated.rows))
    session = stager.session
    # The lake files are written by a second thread while the registry is stored (Polars
    # and the database drivers release the GIL); the lake is swapped in only after both
    # have succeeded.
    with ThreadPoolExecutor(max_workers=1) as pool:
        staged = pool.submit(_stage_lake, change, validated, spill, report, progress)
        _store_registry(session, validated, spill, actor, progress, stager)
        staged.result()
    _stage_policy(change, folder)
    audit.record(
        session, actor=actor, action="import", entity="dataset", entity_id=folder.name,
        before=None,
        after={"source": str(folder), "rows": report.rows, "unmatched": report.unmatched,
               "provinces": sorted(report.provinces), "batch": batch_id},
    )  # fmt: skip
    batches.set_values(session, batch_id, **_batch_values(report), status="imported")
    return report


@contextmanager
def _import_transaction(
    database_url: str | None,
    spill: TypedFiles,
    registry_files: frozenset[str],
    progress: Progress | None,
) -> Iterator[_RegistryStager]:
    """The import's unit of work, with a `_RegistryStager` working in it: committed if the
    block succeeds, rolled back otherwise (once the stager's work has stopped)."""
    with unit_of_work(database_url) as session:
        stager = _RegistryStager(session, spill, registry_files, progress)
        try:
            yield stager
        except BaseException:
            stager.close(failed=True)
            raise
        stager.close()


def _registry_files(folder: Path, actor: Principal) -> frozenset[str]:
    """The registry files in `folder` that `actor` may import (a clerk: none)."""
    if actor.role is Role.CLERK or not folder.is_dir():
        return frozenset()
    return frozenset(locate_files(folder)) & REGISTRY_MODELS.keys()


def _batch_values(report: ImportReport) -> dict[str, Any]:
    return {
        "rows": report.rows,
        "unmatched": report.unmatched,
        "unmatched_count": sum(report.unmatched.values()),
        "provinces": sorted(report.provinces),
    }


def _validated(
    folder: Path,
    spill: TypedFiles,
    *,
    database_url: str | None,
    lake: Path,
    actor: Principal,
    progress: Progress | None,
    stager: _RegistryStager | None = None,
) -> Validated:
    """`_validate`, keeping only what loading needs: the checked columns of every file are
    freed before the typed files are read back; `stager` is given the registry files."""
    tables, stored = _validate_as(actor, folder, spill, database_url=database_url, lake=lake,
                                  progress=progress, stager=stager)  # fmt: skip
    households, people = _maps(tables, stored)
    return Validated(_rows(tables), households, people, stored)


def _validate_as(
    actor: Principal,
    folder: Path,
    spill: TypedFiles | None,
    *,
    database_url: str | None,
    lake: Path,
    progress: Progress | None,
    stager: _RegistryStager | None = None,
) -> tuple[dict[str, Table], dict[str, pl.DataFrame]]:
    """`_validate` within what `actor` may import (its region; a clerk: feeds only)."""
    return _validate(folder, spill, database_url=database_url, lake=lake,
                     scope_prefix=actor.scope_prefix, progress=progress,
                     feeds_only=actor.role is Role.CLERK, stager=stager)  # fmt: skip


def _rows(tables: dict[str, Table]) -> dict[str, int]:
    return {name: table.frame.height for name, table in tables.items()}


def _check_only(
    folder: Path,
    *,
    lake: Path,
    database_url: str | None,
    actor: Principal,
    batch_id: str,
    progress: Progress | None,
) -> ImportReport:
    tables, stored = _validate_as(actor, folder, None, database_url=database_url, lake=lake,
                                  progress=progress)  # fmt: skip
    report = ImportReport(rows=_rows(tables), unmatched=_unmatched_counts(tables, stored))
    batches.update(database_url, batch_id, **_batch_values(report), status="validated")
    return report


def _validate_and_load(
    folder: Path,
    spill: TypedFiles,
    *,
    lake: Path,
    database_url: str | None,
    actor: Principal,
    batch_id: str,
    progress: Progress | None,
) -> ImportReport:
    """Validate and load in one transaction, begun before validation (the stager works in
    it); the lake files are swapped in just before it commits, and put back if it fails."""
    change: LakeChange | None = None
    try:
        with _import_transaction(database_url, spill, _registry_files(folder, actor),
                                 progress) as stager:  # fmt: skip
            validated = _validated(folder, spill, database_url=database_url, lake=lake,
                                   actor=actor, progress=progress, stager=stager)  # fmt: skip
            batches.update(database_url, batch_id, status="loading", progress=0.0,
                           rows=validated.rows)  # fmt: skip
            lake.mkdir(parents=True, exist_ok=True)
            change = LakeChange(lake)
            report = _load(folder, validated, spill, change, stager, actor=actor,
                           batch_id=batch_id, progress=progress)  # fmt: skip
            change.commit()
    except BaseException:
        if change is not None:
            change.rollback()
        raise
    change.finish()
    return report


def import_dataset(
    folder: Path,
    *,
    lake: Path,
    database_url: str | None = None,
    check_only: bool = False,
    actor: Principal = SYSTEM,
    progress: Progress | None = None,
    batch_id: str | None = None,
) -> ImportReport:
    """Validate `folder` and, unless `check_only`, load it: all of it or nothing (audited).

    The attempt is recorded as an import batch (`batch_id`, or a new one); an actor with a
    region scope may only import rows inside it."""
    if batch_id is None:
        batch_id = batches.start(database_url, actor, source=str(folder))
    else:
        batches.update(database_url, batch_id, progress=0.0,
                       status="validating" if check_only else "loading")  # fmt: skip
    try:
        if check_only:
            return _check_only(folder, lake=lake, database_url=database_url, actor=actor,
                               batch_id=batch_id, progress=progress)  # fmt: skip
        with typed_files() as spill:
            return _validate_and_load(folder, spill, lake=lake, actor=actor, batch_id=batch_id,
                                      database_url=database_url, progress=progress)  # fmt: skip
    except ImportRejected as exc:
        batches.update(database_url, batch_id, status="failed", message=str(exc),
                       errors_count=exc.errors.height, rows=exc.rows)  # fmt: skip
        raise
    except BaseException as exc:
        batches.update(database_url, batch_id, status="failed",
                       message=str(exc)[:2000] or type(exc).__name__)  # fmt: skip
        raise
