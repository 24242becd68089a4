"""members.id_number unique through a named index instead of a table constraint

SQLite cannot drop a constraint declared in CREATE TABLE, so a large import had to maintain
the unique ID-number index row by row (about half of the members' load time). As a named
`CREATE UNIQUE INDEX` it is dropped and re-created at the end of a large load, in the same
transaction, like the plain indexes. The uniqueness and the database's error text ("UNIQUE
constraint failed: members.id_number" on SQLite) stay the same.

Revision ID: 0012_member_id_index
Revises: 0011
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_member_id_index"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_constraint("uq_members_id_number", type_="unique")
        batch_op.create_index("ix_members_id_number", ["id_number"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_id_number")
        batch_op.create_unique_constraint("uq_members_id_number", ["id_number"])
