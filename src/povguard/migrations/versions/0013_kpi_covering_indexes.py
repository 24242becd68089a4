"""covering indexes for the KPIs

The KPI queries select a region's cases and monitoring objects by village-code prefix and
read a few columns of each; with those columns in an index they never visit the table rows.
The case indexes lead with the columns the queries compare for equality (kind and state of
the approved-case counts, kind and source of the rule yields), so that SQLite takes them over
the single-column state index even without planner statistics; the region indexes start with
village_code, so they replace the single-column village indexes. The members' household
index also holds whether the member is in the household and their labour capacity (the
development-measure flag asks that of every monitored household), and the measures' household
index their status, start and group (assistance coverage and the same flag); both are still
led by household_id.

Revision ID: 0013
Revises: 0012_member_id_index
Create Date: 2026-12-02 07:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012_member_id_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPROVED = ["kind", "state", "village_code", "closed_on", "received_on", "returned_to_risk"]
SCREENING = ["kind", "source", "village_code", "received_on", "state", "rules"]
CASES = ["village_code", "state"]
MEMBERS = ["household_id", "in_household", "labour"]
MEASURES = ["household_id", "status", "start", "group"]
OBJECTS = ["village_code", "identified_on", "eliminated_on", "category",
           "secured_by_social_security", "household_id"]  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_village_code")
        batch_op.create_index("ix_cases_region", CASES, unique=False)
        batch_op.create_index("ix_cases_approved", APPROVED, unique=False)
        batch_op.create_index("ix_cases_screening", SCREENING, unique=False)
    with op.batch_alter_table("monitoring_objects", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_objects_village_code")
        batch_op.create_index("ix_monitoring_objects_region", OBJECTS, unique=False)
    op.drop_index("ix_members_household_id", table_name="members")
    op.create_index("ix_members_household_id", "members", MEMBERS, unique=False)
    op.drop_index("ix_measures_household_id", table_name="measures")
    op.create_index("ix_measures_household_id", "measures", MEASURES, unique=False)


def downgrade() -> None:
    op.drop_index("ix_measures_household_id", table_name="measures")
    op.create_index("ix_measures_household_id", "measures", ["household_id"], unique=False)
    op.drop_index("ix_members_household_id", table_name="members")
    op.create_index("ix_members_household_id", "members", ["household_id"], unique=False)
    with op.batch_alter_table("monitoring_objects", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_objects_region")
        batch_op.create_index("ix_monitoring_objects_village_code", ["village_code"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_screening")
        batch_op.drop_index("ix_cases_approved")
        batch_op.drop_index("ix_cases_region")
        batch_op.create_index("ix_cases_village_code", ["village_code"], unique=False)
