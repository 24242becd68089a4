"""PostgreSQL: the key and code columns compare bytes (COLLATE "C")

Household and member IDs, resident ID numbers and region codes are ASCII keys. Under the
database's collation (a libc one such as `C.UTF-8`), every comparison of an index build or a
sort calls `strcoll`, and sorts cannot use abbreviated keys; under `"C"` they compare bytes,
which makes a large import's index builds (the members' unique ID-number index above all)
much cheaper. The order is the same for ASCII text (bytes), and it is the order SQLite uses.

PostgreSQL refuses to compare two text values of different implicit collations, so every
column that is compared or joined with these keys changes with them: every region code
(regions, households, cases, monitoring objects, measures, referrals, users, audit entries,
screening runs, report jobs, import batches), every household ID and the members' ID numbers.
The members' labour capacity, the last column of their household index, is compared with
constants only and changes too, so that index compares bytes throughout. `ALTER COLUMN … TYPE`
with the same type and another collation rewrites no table, only the indexes on the column
(and re-checks the foreign keys). SQLite compares bytes already: nothing changes there.

Revision ID: 0014_key_collation
Revises: 0013
Create Date: 2026-12-03 08:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_key_collation"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → its columns compared with keys or codes, with their varchar lengths; referenced
# tables first (regions, then households), so that a foreign key is re-checked between two
# columns of the same collation.
COLUMNS: dict[str, dict[str, int]] = {
    "regions": {"code": 12, "parent_code": 12},
    "households": {"household_id": 40, "village_code": 12, "head_id_number": 18},
    "members": {"member_id": 40, "household_id": 40, "id_number": 18, "labour": 8},
    "cases": {"household_id": 40, "village_code": 12},
    "monitoring_objects": {"household_id": 40, "village_code": 12},
    "measures": {"household_id": 40, "village_code": 12},
    "referrals": {"household_id": 40, "village_code": 12},
    "users": {"region_code": 12},
    "audit_log": {"region_code": 12},
    "screening_runs": {"region_code": 12},
    "report_jobs": {"region_code": 12},
    "import_batches": {"region_code": 12},
}


def _collate(collation: str, tables: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        changes = ", ".join(
            f'ALTER COLUMN "{column}" TYPE varchar({length}) COLLATE "{collation}"'
            for column, length in COLUMNS[table].items()
        )
        op.execute(f'ALTER TABLE "{table}" {changes}')


def upgrade() -> None:
    _collate("C", list(COLUMNS))


def downgrade() -> None:
    _collate("default", list(COLUMNS))
