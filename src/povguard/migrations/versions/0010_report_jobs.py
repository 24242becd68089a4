"""report jobs: Excel exports and monthly PDFs built in the background

Revision ID: 0010
Revises: 0009_admin
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_name", sa.String(length=120), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_jobs")),
    )
    with op.batch_alter_table("report_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_jobs_created_by"), ["created_by"])
        batch_op.create_index(batch_op.f("ix_report_jobs_region_code"), ["region_code"])
        batch_op.create_index(batch_op.f("ix_report_jobs_state"), ["state"])


def downgrade() -> None:
    with op.batch_alter_table("report_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_jobs_state"))
        batch_op.drop_index(batch_op.f("ix_report_jobs_region_code"))
        batch_op.drop_index(batch_op.f("ix_report_jobs_created_by"))
    op.drop_table("report_jobs")
