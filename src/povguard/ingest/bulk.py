"""Bulk upserts of typed Polars frames into the registry tables, inside the caller's
transaction (its session's connection), without a Python object per cell.

PostgreSQL: `COPY` in the binary format (built column by column with Arrow kernels, in the
calling thread: no value is formatted as text, nor parsed by the server) straight into an
empty table, otherwise into a temporary staging table, then one `INSERT … SELECT … ON
CONFLICT DO UPDATE`. SQLite: values in
the forms SQLAlchemy stores (ISO dates, 0/1 booleans), so ORM reads see exactly what an ORM
write would have stored. From `SQLITE_STAGE_ROWS` rows on, they are first written by the ADBC
SQLite driver (Arrow columns bound in C) to a staging database file of their own, which the
session's connection attaches and copies from with one `INSERT … SELECT` in its transaction;
fewer rows are inserted with `executemany` of plain `sqlite3`, 50 rows to a statement
(`VALUES (…), (…), …`). A plain `INSERT` into an empty table; SQLite's small default page
cache for a large load, a large one for a small load.

A large load (more rows coming in than stored) builds secondary indexes (plain and unique)
afterwards instead of row by row; on PostgreSQL it also re-adds the foreign keys and the
unique constraints no foreign key depends on (into an empty table: its primary key too, with
the foreign keys pointing at it), each checked in one pass over the table instead of per row.
Every change is inside the import's transaction, so the schema after commit or rollback is
the same.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import chain, count
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.core.db import when_returned

COPY_CHUNK_ROWS = 200_000
# PostgreSQL's binary COPY: the stream's header (signature, no flags, no extension), its
# trailer, a NULL field (length -1); its dates count days from 2000-01-01 (Arrow's from 1970).
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_TRAILER = b"\xff\xff"
NULL_FIELD = b"\xff\xff\xff\xff"
NOTHING = pa.scalar(b"", pa.large_binary())  # what binary values are joined with
POSTGRES_EPOCH_DAYS = 10_957
# The binary COPY form of each fixed-width column type (big-endian; a subclass first)
BINARY_FIXED: tuple[tuple[type, pa.DataType, str], ...] = (
    (sa.SmallInteger, pa.int16(), ">i2"), (sa.BigInteger, pa.int64(), ">i8"),
    (sa.Integer, pa.int32(), ">i4"), (sa.Boolean, pa.uint8(), "u1"), (sa.Date, pa.int32(), ">i4"),
)  # fmt: skip
SQLITE_CHUNK_ROWS = 50_000
# SQLite: rows per INSERT statement of a load (one `VALUES` list), values per statement at
# most (999: the oldest SQLite's limit on parameters)
SQLITE_ROWS_PER_INSERT = 50
SQLITE_MAX_VALUES = 999
# SQLite: from this many rows, through a staging database written by the ADBC driver (binding
# each value from Python costs more than writing the staging file and copying from it); at most
# this many databases attached to one connection at once (SQLite allows 10 in all).
SQLITE_STAGE_ROWS = 5_000
SQLITE_MAX_ATTACHED = 8
LARGE_LOAD_ROWS = 10_000  # fewer rows coming in: keep the indexes and constraints as they are
# SQLite page cache of a load (negative: KiB). A large load appends rows in key order and
# sorts each index once at the end: SQLite's default small cache costs about a tenth less CPU
# than a large one (the index sorter sizes its in-memory runs by the cache). A small load
# into a large table updates its indexes at scattered places, where a large cache helps.
SQLITE_LARGE_LOAD_CACHE = -2000
SQLITE_SMALL_LOAD_CACHE = -262144


@dataclass(frozen=True)
class Staged:
    """Rows written to a staging database file by `stage`, for `upsert` to copy (SQLite)."""

    folder: str  # holds the file alone; removed when the connection that copied it is returned
    path: str
    rows: int


def upsert(
    session: Session, model: Any, frame: pl.DataFrame, key: str, staged: Staged | None = None
) -> None:
    """Insert `frame`'s rows into `model`'s table, replacing the rows whose `key` exists
    (on SQLite, copied from `staged` if given: `frame`'s rows written by `stage`)."""
    if frame.is_empty():
        return
    table: sa.Table = model.__table__
    frame = _own_columns(table, frame)
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        _copy_upsert(connection, table, frame, key)
    elif dialect == "sqlite":
        if staged is not None and staged.rows != frame.height:
            raise ValueError(f"{table.name}: the staged rows are not the frame's")
        _sqlite_upsert(connection, table.name, frame, key, staged)
    else:  # another database: SQLAlchemy's executemany
        connection.execute(sa.insert(table), frame.to_dicts())


def stage(model: Any, frame: pl.DataFrame, parent: Path | None = None) -> Staged | None:
    """Write `frame`'s rows, as `upsert` stores them into `model`'s SQLite table, to a staging
    database file in a new folder under `parent` (the temporary folder if None): done before
    the import's transaction, beside other work, it spares `upsert` that time. None for fewer
    than `SQLITE_STAGE_ROWS` rows (they are inserted with statements)."""
    if frame.height < SQLITE_STAGE_ROWS:
        return None
    table: sa.Table = model.__table__
    return _write_stage(table.name, _sqlite_values(_own_columns(table, frame)), parent)


def lock_if_empty(session: Session, model: Any) -> bool:
    """PostgreSQL: if `model`'s table holds no row, lock it until the session's transaction
    ends (no other session reads or writes it meanwhile, so it stays as empty as this
    transaction leaves it) and return True; a table holding rows is left unlocked."""
    name = model.__table__.name
    with _driver(session.connection()).cursor() as cursor:
        cursor.execute("SAVEPOINT povguard_lock")
        cursor.execute(f'LOCK TABLE "{name}" IN ACCESS EXCLUSIVE MODE')
        empty = bool(cursor.execute(f'SELECT NOT EXISTS (SELECT FROM "{name}")').fetchone()[0])
        if not empty:  # rolling back to the savepoint releases the lock taken after it
            cursor.execute("ROLLBACK TO SAVEPOINT povguard_lock")
        cursor.execute("RELEASE SAVEPOINT povguard_lock")
    return empty


def _own_columns(table: sa.Table, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select([c.name for c in table.columns if c.name in frame.columns])


def _assignments(columns: list[str], key: str) -> str:
    return ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != key)


def _driver(connection: sa.Connection) -> Any:
    return connection.connection.driver_connection


def _is_large_load(cursor: Any, name: str, incoming: int) -> tuple[bool, int]:
    """(more rows coming in than stored and at least `LARGE_LOAD_ROWS`, rows stored)."""
    stored = cursor.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    return incoming >= max(stored, LARGE_LOAD_ROWS), stored


def _copy_upsert(connection: sa.Connection, table: sa.Table, frame: pl.DataFrame, key: str) -> None:
    name = table.name
    columns = list(frame.columns)
    names = ", ".join(f'"{c}"' for c in columns)
    raw = _driver(connection)
    with raw.cursor() as cursor:
        large, stored = _is_large_load(cursor, name, frame.height)
        rebuilt = _drop_postgres_checks(cursor, name, empty=not stored) if large else []
        if not stored:  # the checks before proved the keys unique: nothing to resolve
            _copy(cursor, table, name, frame)
        else:
            stage = f"_import_{name}"
            cursor.execute(f'CREATE TEMP TABLE "{stage}" (LIKE "{name}") ON COMMIT DROP')
            _copy(cursor, table, stage, frame)
            cursor.execute(
                f'INSERT INTO "{name}" ({names}) SELECT {names} FROM "{stage}" '
                f'ON CONFLICT ("{key}") DO UPDATE SET {_assignments(columns, key)}'
            )
            cursor.execute(f'DROP TABLE "{stage}"')
        for statement in rebuilt:
            cursor.execute(statement)


def _copy(cursor: Any, table: sa.Table, target: str, frame: pl.DataFrame) -> None:
    """`COPY` `frame`'s rows into `target` (`table` or a table like it), binary format."""
    names = ", ".join(f'"{c}"' for c in frame.columns)
    kinds = [table.columns[c].type for c in frame.columns]
    with cursor.copy(f'COPY "{target}" ({names}) FROM STDIN (FORMAT binary)') as copy:
        copy.write(COPY_HEADER)
        for part in frame.iter_slices(COPY_CHUNK_ROWS):
            copy.write(_binary_rows(part.to_arrow(), kinds))
        copy.write(COPY_TRAILER)


def _binary_rows(rows: pa.Table, kinds: list[Any]) -> memoryview:
    """`rows` in the binary `COPY` format, each value as the column of type `kinds[i]`
    receives it: per row the number of fields, then each field's length and bytes."""
    fields = [_binary_field(rows.column(i).combine_chunks(), kind) for i, kind in enumerate(kinds)]
    count = pa.scalar(len(fields).to_bytes(2, "big"), pa.large_binary())
    joined = pc.binary_join_element_wise(count, *fields, NOTHING)
    offsets = np.frombuffer(joined.buffers()[1], np.int64, len(joined) + 1, joined.offset * 8)
    return memoryview(joined.buffers()[2])[offsets[0] : offsets[-1]]


def _binary_field(values: pa.Array, kind: Any) -> pa.Array:
    """Each value as a binary `COPY` field: its length (4 bytes), then its bytes."""
    if isinstance(kind, sa.String):
        data = values.cast(pa.large_binary())
        lengths = pc.binary_length(data).fill_null(0).to_numpy().astype(">i4")
        field = pc.binary_join_element_wise(_fixed_width(lengths), data.fill_null(NOTHING), NOTHING)
    else:
        arrow_type, wire = _fixed_form(kind)
        numbers = pc.cast(values, arrow_type).fill_null(0).to_numpy()
        if isinstance(kind, sa.Date):
            numbers = numbers - POSTGRES_EPOCH_DAYS
        record = np.empty(len(numbers), [("length", ">i4"), ("value", wire)])
        record["length"] = record.dtype["value"].itemsize
        record["value"] = numbers
        field = _fixed_width(record)
    if values.null_count:
        field = pc.if_else(values.is_null(), pa.scalar(NULL_FIELD, pa.large_binary()), field)
    return field


def _fixed_form(kind: Any) -> tuple[pa.DataType, str]:
    """(Arrow type, big-endian NumPy type) of a fixed-width column type's binary form."""
    for column_type, arrow_type, wire in BINARY_FIXED:
        if isinstance(kind, column_type):
            return arrow_type, wire
    raise TypeError(f"no binary COPY form for a {kind!r} column")


def _fixed_width(values: np.ndarray) -> pa.Array:
    """Each item of `values` as a binary value of its bytes."""
    width = values.dtype.itemsize
    buffer = pa.py_buffer(values.tobytes())
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(values), [None, buffer])
    return fixed.cast(pa.large_binary())


# The table's foreign keys, then its unique constraints (and, into an empty table, its
# primary key) that no foreign key depends on, then its plain indexes: (statement that drops
# it, statement that re-creates it, step), dropped in that order and re-created in the reverse
# one (`%%` is `format`'s `%`: the query has parameters). An empty table drops the foreign keys
# of other tables that point at it too (they are as empty: those keys hold no row), so that its
# primary key is built once after the load instead of row by row during it. A table with
# rows keeps its primary key: `ON CONFLICT` needs it.
POSTGRES_CHECKS = """
SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname),
       format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass, c.conname,
              pg_get_constraintdef(c.oid)),
       CASE WHEN c.contype = 'f' THEN 0 ELSE 1 END
FROM pg_constraint c
WHERE (c.contype = 'f' AND (c.conrelid = %(table)s::regclass
                            OR (%(empty)s AND c.confrelid = %(table)s::regclass)))
   OR (c.conrelid = %(table)s::regclass AND (c.contype = 'u' OR (c.contype = 'p' AND %(empty)s))
       AND (%(empty)s OR NOT EXISTS (
            SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)))
UNION ALL
SELECT format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid), 2
FROM pg_index i
WHERE i.indrelid = %(table)s::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 3, 1
"""


def _drop_postgres_checks(cursor: Any, name: str, *, empty: bool) -> list[str]:
    """Drops the table's foreign keys, free unique constraints (and primary key, with the
    foreign keys pointing at it, when it is `empty`) and plain indexes (DDL is transactional:
    a failed import keeps them); returns the statements that re-add them, in order."""
    found = cursor.execute(POSTGRES_CHECKS, {"table": f'"{name}"', "empty": empty}).fetchall()
    for drop, _create, _step in found:
        cursor.execute(drop)
    return [create for _drop, create, _step in reversed(found)]


def _sqlite_values(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates as ISO text and booleans as 0/1: what SQLAlchemy's SQLite types store."""
    converted = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype == pl.Date:
            column = column.dt.strftime("%Y-%m-%d")
        elif dtype == pl.Boolean:
            column = column.cast(pl.Int8)
        elif isinstance(dtype, pl.Decimal):
            column = column.cast(pl.Float64)
        converted.append(column.alias(name))
    return frame.select(converted)


def _sqlite_upsert(
    connection: sa.Connection, name: str, frame: pl.DataFrame, key: str, staged: Staged | None
) -> None:
    columns = list(frame.columns)
    names = ", ".join(f'"{c}"' for c in columns)
    insert = f'INSERT INTO "{name}" ({names})'
    raw = _driver(connection)
    cursor = raw.cursor()
    try:
        # pysqlite opens a transaction only before a data change; the index DDL below must
        # be inside the caller's transaction too, or a failed import would keep it.
        if not raw.in_transaction:
            cursor.execute("BEGIN")
        large, stored = _is_large_load(cursor, name, frame.height)
        with _page_cache(cursor, SQLITE_LARGE_LOAD_CACHE if large else SQLITE_SMALL_LOAD_CACHE):
            rebuilt = _drop_secondary_indexes(cursor, name) if large else []
            upsert = f' ON CONFLICT ("{key}") DO UPDATE SET {_assignments(columns, key)}'
            conflict = upsert if stored else ""
            if frame.height >= SQLITE_STAGE_ROWS and _attached(cursor) < SQLITE_MAX_ATTACHED:
                staged = staged or _write_stage(name, _sqlite_values(frame))
                source = f'{_attach(connection, staged)}."{name}"'
                # `WHERE true`: without it SQLite would read `ON CONFLICT` as a join's `ON`
                cursor.execute(f"{insert} SELECT {names} FROM {source} WHERE true{conflict}")
            else:
                _sqlite_insert(cursor, insert, conflict, _sqlite_values(frame))
            for create in rebuilt:
                cursor.execute(create)
    finally:
        cursor.close()


def _sqlite_insert(cursor: Any, insert: str, conflict: str, frame: pl.DataFrame) -> None:
    """`insert … VALUES (…), (…), … conflict` of `frame`'s rows, `SQLITE_ROWS_PER_INSERT`
    rows to a statement (at most `SQLITE_MAX_VALUES` values), the last few in one of their
    own. Each statement costs its fixed part (step, reset, its statement journal, the GIL
    released and taken back) once for its rows instead of once per row."""
    width = frame.width
    per = max(1, min(SQLITE_ROWS_PER_INSERT, SQLITE_MAX_VALUES // width))
    values = "(" + ", ".join("?" * width) + ")"

    def statement(rows: int) -> str:
        return f"{insert} VALUES {', '.join([values] * rows)}{conflict}"

    for part in frame.iter_slices(SQLITE_CHUNK_ROWS - SQLITE_CHUNK_ROWS % per):
        whole = part.height - part.height % per
        if whole:  # `per` rows at a time from one iterator: each group's values in row order
            rows = part.slice(0, whole).iter_rows()
            cursor.executemany(statement(per), map(_flat, zip(*[rows] * per, strict=True)))
        if whole < part.height:
            tail = part.slice(whole)
            cursor.execute(statement(tail.height), _flat(tail.iter_rows()))


def _flat(rows: Iterable[tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(chain.from_iterable(rows))


STAGED = "povguard_staged"  # connection info: staging databases attached to it
_stage_names = count()


def _attached(cursor: Any) -> int:
    """Databases attached to the cursor's connection (besides `main` and `temp`)."""
    names = [row[1] for row in cursor.execute("PRAGMA database_list")]
    return len(set(names) - {"main", "temp"})


def _write_stage(name: str, frame: pl.DataFrame, parent: Path | None = None) -> Staged:
    """Write `frame` (values in their stored forms) to table `name` of a new staging database,
    in a new folder under `parent` (the temporary folder if None), with the ADBC driver."""
    import adbc_driver_sqlite.dbapi as adbc  # its shared library loads only for large loads

    folder = tempfile.mkdtemp(prefix="povguard-stage-", dir=parent)
    try:
        path = str(Path(folder) / "stage.sqlite3")
        with adbc.connect(path, autocommit=True) as staging, staging.cursor() as cursor:
            for pragma in ("journal_mode = OFF", "synchronous = OFF"):  # a file read once
                cursor.execute(f"PRAGMA {pragma}")
                cursor.fetchall()
            cursor.adbc_ingest(name, frame.to_arrow(), mode="create")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Staged(folder, path, frame.height)


def _attach(connection: sa.Connection, staged: Staged) -> str:
    """Attach the staging database to `connection`; returns its schema name. SQLite refuses
    to detach a database that an open transaction has read, so it stays attached until the
    connection goes back to the pool, where it is detached and its folder removed."""
    schema = f"povguard_stage_{next(_stage_names)}"
    try:
        _driver(connection).execute(f"ATTACH DATABASE ? AS {schema}", (staged.path,))
    except BaseException:
        shutil.rmtree(staged.folder, ignore_errors=True)
        raise
    info = connection.info
    if STAGED not in info:
        when_returned(connection, lambda dbapi_connection: _unstage(dbapi_connection, info))
    info.setdefault(STAGED, []).append((schema, staged.folder))
    return schema


def _unstage(dbapi_connection: Any, info: dict[str, Any]) -> None:
    """Detach the connection's staging databases (its transaction has ended) and remove their
    files. A database that cannot be detached stays attached under its own name, and counts
    against the connection's attachments: it does not stop the connection's next loads."""
    for schema, folder in info.pop(STAGED, ()):
        if dbapi_connection is not None:
            with suppress(sqlite3.Error):
                dbapi_connection.execute(f"DETACH DATABASE {schema}")
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _page_cache(cursor: Any, size: int) -> Iterator[None]:
    """The connection's page cache set to `size` for the block, then put back (the
    connection goes back to the pool)."""
    previous = cursor.execute("PRAGMA cache_size").fetchone()[0]
    cursor.execute(f"PRAGMA cache_size = {size}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {previous}")


def _drop_secondary_indexes(cursor: Any, name: str) -> list[str]:
    """Drops the table's named indexes, plain or unique (building an index once is about
    three times cheaper than maintaining it row by row; a unique one is checked when it is
    rebuilt). The primary key's cannot be dropped. DDL is transactional in SQLite, so a failed
    import leaves them as they were. Returns the statements that rebuild them."""
    indexes = cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL",
        (name,),
    ).fetchall()
    for index, _sql in indexes:
        cursor.execute(f'DROP INDEX "{index}"')
    return [sql for _index, sql in indexes]
