"""Audit rows for the registry rows an import changes.

A household or member row that an import replaces with different values gets its own audit row
(entity `household` / `member`, action `import_update`) with the changed columns before and
after, in the import's transaction. New rows are counted by the import's own audit row (one per
dataset); unchanged rows leave no trace. ID numbers and phone numbers are masked in the audit
log as they are on the pages of roles that do not see personal data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.audit.models import AuditEntry
from povguard.auth.principal import Principal
from povguard.households import idnumber
from povguard.households.service import mask_phone

ENTITY = {"households": "household", "members": "member"}
KEY_CHUNK = 5_000
MASKED = {"id_number": idnumber.mask, "head_id_number": idnumber.mask, "phone": mask_phone}


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text (dates ISO, booleans true/false), so both sides compare alike."""
    return frame.select(pl.col(c).cast(pl.String) for c in frame.columns)


def _stored_rows(
    session: Session, table: sa.Table, columns: list[str], key: str, keys: list[str]
) -> pl.DataFrame:
    rows: list[tuple[str | None, ...]] = []
    selected = [table.c[c] for c in columns]
    for start in range(0, len(keys), KEY_CHUNK):
        query = sa.select(*selected).where(table.c[key].in_(keys[start : start + KEY_CHUNK]))
        rows.extend(tuple(_text(v) for v in row) for row in session.execute(query))
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _shown(column: str, value: str | None) -> str | None:
    return MASKED[column](value) if value is not None and column in MASKED else value


def changes(
    session: Session, model: Any, frame: pl.DataFrame, key: str, stored_keys: pl.Series
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(key, before, after) of the rows of `frame` that replace stored rows with other values;
    before/after hold only the columns that differ."""
    incoming = frame.filter(pl.col(key).is_in(stored_keys.implode()))
    if incoming.is_empty():
        return []
    table: sa.Table = model.__table__
    columns = [c.name for c in table.columns if c.name in frame.columns]
    new = _as_text(incoming.select(columns))
    old = _stored_rows(session, table, columns, key, new[key].to_list())
    others = [c for c in columns if c != key]
    joined = new.join(old, on=key, suffix="__old")
    differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}__old")) for c in others)
    found = []
    for row in joined.filter(differs).iter_rows(named=True):
        changed = [c for c in others if row[c] != row[f"{c}__old"]]
        before = {c: _shown(c, row[f"{c}__old"]) for c in changed}
        after = {c: _shown(c, row[c]) for c in changed}
        found.append((str(row[key]), before, after))
    return found


def record_changes(
    session: Session,
    actor: Principal,
    name: str,
    model: Any,
    frame: pl.DataFrame,
    key: str,
    stored_keys: pl.Series,
    region_of: dict[str, str],
) -> int:
    """Append one audit row per changed row of registry file `name`; returns how many."""
    found = changes(session, model, frame, key, stored_keys)
    if not found:
        return 0
    now = dt.datetime.now(dt.UTC)
    session.execute(
        sa.insert(AuditEntry),
        [
            {
                "at": now,
                "actor": actor.username,
                "role": actor.role.value,
                "action": "import_update",
                "entity": ENTITY[name],
                "entity_id": row_key,
                "region_code": region_of.get(row_key),
                "before": before,
                "after": after,
            }
            for row_key, before, after in found
        ],
    )
    return len(found)
