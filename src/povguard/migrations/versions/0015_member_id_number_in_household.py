"""members.id_number unique among in-household members only

A person who moved from one household to another keeps a row in the old one with
`in_household` false (SPEC §3: "moved out/died: not counted"), and has a row in the new one.
Members are keyed by member_id; an ID number names one person, who is in at most one
household. So the ID number is unique among the in-household rows (a partial unique index,
which SQLite and PostgreSQL both have) and plainly indexed for lookups.

Revision ID: 0015_member_id_in_household
Revises: 0014_key_collation
Create Date: 2026-12-03 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_member_id_in_household"
down_revision: str | None = "0014_key_collation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_HOUSEHOLD = sa.text("in_household")


def upgrade() -> None:
    op.drop_index("ix_members_id_number", table_name="members")
    op.create_index("ix_members_id_number", "members", ["id_number"])
    op.create_index(
        "ux_members_in_household_id_number",
        "members",
        ["id_number"],
        unique=True,
        sqlite_where=IN_HOUSEHOLD,
        postgresql_where=IN_HOUSEHOLD,
    )


def downgrade() -> None:
    op.drop_index("ux_members_in_household_id_number", table_name="members")
    op.drop_index("ix_members_id_number", table_name="members")
    op.create_index("ix_members_id_number", "members", ["id_number"], unique=True)
