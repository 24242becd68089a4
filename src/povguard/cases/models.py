"""Cases of the SPEC §7 procedure, their steps and evidence, monitoring objects, and the SPEC §8
assistance measures and civil-affairs referrals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from povguard.cases import deadlines
from povguard.cases.enums import CaseSource, CaseState
from povguard.core.db import Base, key_string


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[str] = mapped_column(
        key_string(40), ForeignKey("households.household_id"), index=True
    )
    # The household's village when the case was opened: lists filter on its prefix in SQL.
    village_code: Mapped[str] = mapped_column(key_string(12))
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(32), index=True)
    is_open: Mapped[bool] = mapped_column(Boolean, index=True)
    clue_id: Mapped[str | None] = mapped_column(String(60))
    rules: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(20))
    causes: Mapped[list[str]] = mapped_column(JSON, default=list)
    green_channel: Mapped[bool] = mapped_column(Boolean, default=False)
    returned_to_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    route: Mapped[str | None] = mapped_column(String(32))
    received_on: Mapped[dt.date] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    visited_on: Mapped[dt.date | None] = mapped_column(Date)
    authorisation_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    cross_checked_on: Mapped[dt.date | None] = mapped_column(Date)
    publicity_started_on: Mapped[dt.date | None] = mapped_column(Date)
    publicity_ended_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    # Kept in step with the dates above by `_store_due_dates` (overdue lists filter on them).
    procedure_due: Mapped[dt.date | None] = mapped_column(Date, index=True)
    step_due: Mapped[dt.date | None] = mapped_column(Date, index=True)
    step_due_name: Mapped[str | None] = mapped_column(String(16))
    # Policy in force for the household's province in the clue's year, fixed when opened.
    identification_days: Mapped[int] = mapped_column(Integer)
    publicity_days: Mapped[int] = mapped_column(Integer)
    stable_months: Mapped[int] = mapped_column(Integer)
    elimination_check: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    # Covering indexes of the region lists and KPIs (migration 0013 says why these columns).
    __table_args__ = (
        Index("ix_cases_region", "village_code", "state"),
        Index("ix_cases_screening", "kind", "source", "village_code", "received_on", "state",
              "rules"),
        Index("ix_cases_approved", "kind", "state", "village_code", "closed_on", "received_on",
              "returned_to_risk"),
    )  # fmt: skip

    steps: Mapped[list[CaseStep]] = relationship(
        back_populates="case", order_by="CaseStep.id", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[CaseEvidence]] = relationship(
        back_populates="case", order_by="CaseEvidence.id", cascade="all, delete-orphan"
    )


def case_dates(case: Case) -> deadlines.CaseDates:
    """The dates of `case` that its deadlines depend on."""
    return deadlines.CaseDates(
        source=CaseSource(case.source),
        received_on=case.received_on,
        accepted_on=case.accepted_on,
        visited_on=case.visited_on,
        cross_checked_on=case.cross_checked_on,
        identification_days=case.identification_days,
    )


@event.listens_for(Case, "before_insert")
@event.listens_for(Case, "before_update")
def _store_due_dates(_mapper: Mapper[Case], _connection: Connection, case: Case) -> None:
    # On every write, whichever service made it, so the stored deadlines can never go stale.
    procedure, step = deadlines.stored_due_dates(
        CaseState(case.state), case_dates(case), case.is_open
    )
    case.procedure_due = procedure
    case.step_due = step.due if step else None
    case.step_due_name = step.step if step else None


class CaseStep(Base):
    """One transition: who did what, when, with which comment and attachments."""

    __tablename__ = "case_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(12))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    on: Mapped[dt.date] = mapped_column(Date)
    comment: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)

    case: Mapped[Case] = relationship(back_populates="steps")


class CaseEvidence(Base):
    """A clue or declaration behind a case (the first one and any that arrive while it is open)."""

    __tablename__ = "case_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    source: Mapped[str] = mapped_column(String(24))
    clue_id: Mapped[str | None] = mapped_column(String(60))
    rules: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(20))
    causes: Mapped[list[str]] = mapped_column(JSON, default=list)
    received_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(60))

    case: Mapped[Case] = relationship(back_populates="evidence")


class MonitoringObject(Base):
    """A household identified as a monitoring object, and how its risk ended."""

    __tablename__ = "monitoring_objects"

    household_id: Mapped[str] = mapped_column(
        key_string(40), ForeignKey("households.household_id"), primary_key=True
    )
    village_code: Mapped[str] = mapped_column(key_string(12))
    status: Mapped[str] = mapped_column(String(12), index=True)  # monitored | eliminated
    category: Mapped[str] = mapped_column(String(20))
    causes: Mapped[list[str]] = mapped_column(JSON)
    identified_on: Mapped[dt.date] = mapped_column(Date)
    identification_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    secured_by_social_security: Mapped[bool] = mapped_column(Boolean, default=False)
    route: Mapped[str | None] = mapped_column(String(32))
    eliminated_on: Mapped[dt.date | None] = mapped_column(Date)
    pc_income_at_elimination: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    line_at_elimination: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_monitoring_objects_region", "village_code", "identified_on", "eliminated_on",
              "category", "secured_by_social_security", "household_id"),
    )  # fmt: skip


class Measure(Base):
    """One assistance measure of a household's plan (SPEC §8)."""

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[str] = mapped_column(key_string(40), ForeignKey("households.household_id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    village_code: Mapped[str] = mapped_column(key_string(12), index=True)
    group: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(32))
    responsible_unit: Mapped[str] = mapped_column(String(100))
    responsible_cadre: Mapped[str | None] = mapped_column(String(60))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    status: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    # "Has a measure of these groups and statuses by then", per household, from the index alone.
    __table_args__ = (
        Index("ix_measures_household_id", "household_id", "status", "start", "group"),
    )


class Referral(Base):
    """A tracked hand-over to civil affairs (dibao, extreme poverty, temporary assistance)."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[str] = mapped_column(
        key_string(40), ForeignKey("households.household_id"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    village_code: Mapped[str] = mapped_column(key_string(12), index=True)
    program: Mapped[str] = mapped_column(String(20))
    referred_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(String(10))
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
