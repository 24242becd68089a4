"""case due dates: stored deadlines so overdue lists are one SQL query

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from povguard.cases import deadlines
from povguard.cases.enums import CaseSource, CaseState

revision: str = "0008"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DATE_COLUMNS = (
    "id",
    "state",
    "is_open",
    "source",
    "received_on",
    "accepted_on",
    "visited_on",
    "cross_checked_on",
    "identification_days",
)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("procedure_due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("step_due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("step_due_name", sa.String(length=16), nullable=True))
        batch.create_index("ix_cases_procedure_due", ["procedure_due"])
        batch.create_index("ix_cases_step_due", ["step_due"])
    _backfill()


def _backfill() -> None:
    # Typed columns, not CAST: SQLite's CAST(... AS DATE) turns '2024-03-01' into 2024.
    date_columns = {"received_on", "accepted_on", "visited_on", "cross_checked_on"}
    cases = sa.table(
        "cases",
        *(sa.column(name, sa.Date() if name in date_columns else None) for name in _DATE_COLUMNS),
        sa.column("procedure_due", sa.Date()),
        sa.column("step_due", sa.Date()),
        sa.column("step_due_name", sa.String()),
    )
    bind = op.get_bind()
    typed = sa.select(*(cases.c[name] for name in _DATE_COLUMNS))
    for row in bind.execute(typed).all():
        dates = deadlines.CaseDates(
            source=CaseSource(row[3]),
            received_on=row[4],
            accepted_on=row[5],
            visited_on=row[6],
            cross_checked_on=row[7],
            identification_days=row[8],
        )
        procedure, step = deadlines.stored_due_dates(CaseState(row[1]), dates, bool(row[2]))
        bind.execute(
            cases.update()
            .where(cases.c.id == row[0])
            .values(
                procedure_due=procedure,
                step_due=step.due if step else None,
                step_due_name=step.step if step else None,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_step_due")
        batch.drop_index("ix_cases_procedure_due")
        batch.drop_column("step_due_name")
        batch.drop_column("step_due")
        batch.drop_column("procedure_due")
