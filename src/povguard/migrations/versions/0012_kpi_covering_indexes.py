"""covering indexes for the KPIs

The KPI queries select a region's cases and monitoring objects by village-code prefix and
read a few columns of each; with these columns in the index they never visit the table rows.
Each new index starts with village_code, so it replaces the single-column one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASES = ["village_code", "kind", "state", "closed_on", "received_on", "returned_to_risk",
         "source", "rules"]  # fmt: skip
OBJECTS = ["village_code", "identified_on", "eliminated_on", "category",
           "secured_by_social_security", "household_id"]  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_village_code")
        batch_op.create_index("ix_cases_kpi", CASES, unique=False)
    with op.batch_alter_table("monitoring_objects", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_objects_village_code")
        batch_op.create_index("ix_monitoring_objects_kpi", OBJECTS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("monitoring_objects", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_objects_kpi")
        batch_op.create_index("ix_monitoring_objects_village_code", ["village_code"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_kpi")
        batch_op.create_index("ix_cases_village_code", ["village_code"], unique=False)
