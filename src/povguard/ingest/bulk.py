"""Bulk upserts of typed Polars frames into the registry tables, inside the caller's
transaction (its session's connection), without a Python object per cell.

PostgreSQL: `COPY` (CSV written by Polars) into a temporary staging table, then one
`INSERT … SELECT … ON CONFLICT DO UPDATE`. SQLite: `executemany` of plain `sqlite3` on the
session's own connection (same transaction), with values in the forms SQLAlchemy stores
(ISO dates, 0/1 booleans), so ORM reads see exactly what an ORM write would have stored.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

COPY_CHUNK_ROWS = 200_000
SQLITE_CHUNK_ROWS = 50_000


def upsert(session: Session, model: Any, frame: pl.DataFrame, key: str) -> None:
    """Insert `frame`'s rows into `model`'s table, replacing the rows whose `key` exists."""
    if frame.is_empty():
        return
    table: sa.Table = model.__table__
    columns = [c.name for c in table.columns if c.name in frame.columns]
    frame = frame.select(columns)
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        _copy_upsert(connection, table.name, frame, key)
    elif dialect == "sqlite":
        _sqlite_upsert(connection, table.name, frame, key)
    else:  # another database: SQLAlchemy's executemany
        connection.execute(sa.insert(table), frame.to_dicts())


def _assignments(columns: list[str], key: str) -> str:
    return ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != key)


def _driver(connection: sa.Connection) -> Any:
    return connection.connection.driver_connection


def _copy_upsert(connection: sa.Connection, name: str, frame: pl.DataFrame, key: str) -> None:
    columns = list(frame.columns)
    names = ", ".join(f'"{c}"' for c in columns)
    stage = f"_import_{name}"
    raw = _driver(connection)
    with raw.cursor() as cursor:
        cursor.execute(f'CREATE TEMP TABLE "{stage}" (LIKE "{name}") ON COMMIT DROP')
        with cursor.copy(f'COPY "{stage}" ({names}) FROM STDIN (FORMAT csv)') as copy:
            for part in frame.iter_slices(COPY_CHUNK_ROWS):
                copy.write(part.write_csv(include_header=False, null_value=""))
        cursor.execute(
            f'INSERT INTO "{name}" ({names}) SELECT {names} FROM "{stage}" '
            f'ON CONFLICT ("{key}") DO UPDATE SET {_assignments(columns, key)}'
        )
        cursor.execute(f'DROP TABLE "{stage}"')


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


def _sqlite_upsert(connection: sa.Connection, name: str, frame: pl.DataFrame, key: str) -> None:
    columns = list(frame.columns)
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    statement = (
        f'INSERT INTO "{name}" ({names}) VALUES ({marks}) '
        f'ON CONFLICT ("{key}") DO UPDATE SET {_assignments(columns, key)}'
    )
    raw = _driver(connection)
    cursor = raw.cursor()
    try:
        # pysqlite opens a transaction only before a data change; the index DDL below must
        # be inside the caller's transaction too, or a failed import would keep it.
        if not raw.in_transaction:
            cursor.execute("BEGIN")
        cursor.execute("PRAGMA cache_size = -262144")  # this connection only: more page cache
        rebuilt = _drop_secondary_indexes(cursor, name, frame.height)
        for part in _sqlite_values(frame).iter_slices(SQLITE_CHUNK_ROWS):
            cursor.executemany(statement, part.iter_rows())
        for create in rebuilt:
            cursor.execute(create)
    finally:
        cursor.close()


def _drop_secondary_indexes(cursor: Any, name: str, incoming: int) -> list[str]:
    """When the rows coming in outnumber the rows stored, drop the table's plain indexes
    (rebuilt afterwards: building an index once is about three times cheaper than
    maintaining it row by row). DDL is transactional in SQLite, so a failed import
    leaves them as they were. Returns the statements that rebuild them."""
    stored = cursor.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    if incoming < max(stored, 10_000):
        return []
    indexes = cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL",
        (name,),
    ).fetchall()
    for index, _sql in indexes:
        cursor.execute(f'DROP INDEX "{index}"')
    return [sql for _index, sql in indexes]
