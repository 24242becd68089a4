"""Vocabularies of SPEC §7 (cases) and §8 (assistance)."""

from __future__ import annotations

import re
from enum import StrEnum


class CaseKind(StrEnum):
    IDENTIFICATION = "identification"
    ELIMINATION = "elimination"


class CaseSource(StrEnum):
    SCREENING = "screening"
    DECLARATION_APP = "declaration_app"
    DECLARATION_HOTLINE = "declaration_hotline"  # 12317
    DECLARATION_WRITTEN = "declaration_written"
    CADRE_VISIT = "cadre_visit"


class CaseState(StrEnum):
    CLUE = "clue"
    HOME_VISIT = "home_visit"
    CROSS_CHECK = "cross_check"
    VILLAGE_APPRAISAL = "village_appraisal"
    PUBLICITY = "publicity"
    TOWNSHIP_REVIEW = "township_review"
    COUNTY_APPROVAL = "county_approval"
    MONITORING_OBJECT = "monitoring_object"  # identification approved
    ELIMINATED = "eliminated"  # elimination approved
    SECURED_BY_SOCIAL_SECURITY = "secured_by_social_security"  # elimination approved, kept
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


CLOSED_STATES = frozenset(
    {
        CaseState.MONITORING_OBJECT,
        CaseState.ELIMINATED,
        CaseState.SECURED_BY_SOCIAL_SECURITY,
        CaseState.REJECTED,
        CaseState.WITHDRAWN,
    }
)
OPEN_STATES = frozenset(CaseState) - CLOSED_STATES


class Action(StrEnum):
    ACCEPT = "accept"
    RECORD_VISIT = "record_visit"
    RECORD_CROSS_CHECK = "record_cross_check"
    RECORD_APPRAISAL = "record_appraisal"
    START_PUBLICITY = "start_publicity"
    CLOSE_PUBLICITY = "close_publicity"
    REVIEW = "review"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


class Category(StrEnum):
    UNSTABLE = "unstable"  # formerly poor, unstable
    MARGINAL = "marginal"  # marginal, easily poor
    SUDDEN_DIFFICULTY = "sudden_difficulty"


class EliminationRoute(StrEnum):
    BY_ASSISTANCE = "eliminated_by_assistance"
    NATURALLY = "eliminated_naturally"


class ObjectStatus(StrEnum):
    MONITORED = "monitored"
    ELIMINATED = "eliminated"


# SPEC §7 cause codes: 02xx are the disaster hazards of SPEC §3 (0201 … 0207).
CAUSES = {
    "01": "illness",
    "03": "disability",
    "04": "lack of labour",
    "05": "accident",
    "06": "industry failure",
    "07": "unstable employment",
    "08": "epidemic",
    "09": "education",
    "99": "other",
}
DISASTER_CAUSE_RE = re.compile(r"^020[1-7]$")
MAX_CAUSES = 5


def is_cause(code: str) -> bool:
    return code in CAUSES or bool(DISASTER_CAUSE_RE.match(code))


class MeasureGroup(StrEnum):
    INDUSTRY = "industry"
    EMPLOYMENT = "employment"
    SOCIAL_SECURITY = "social_security"
    EDUCATION = "education"
    HOUSING = "housing"
    WATER = "water"
    OTHER = "other"


MEASURE_TYPES: dict[MeasureGroup, frozenset[str]] = {
    MeasureGroup.INDUSTRY: frozenset(
        {"subsidy", "courtyard_economy", "microcredit", "cooperative"}
    ),
    MeasureGroup.EMPLOYMENT: frozenset(
        {"public_welfare_post", "workshop_job", "labour_transfer", "skills_training"}
    ),
    MeasureGroup.SOCIAL_SECURITY: frozenset(
        {
            "dibao",
            "extreme_poverty_support",
            "temporary_assistance",
            "medical_assistance",
            "insurance_subsidy",
        }
    ),
    MeasureGroup.EDUCATION: frozenset({"education_subsidy", "vocational_plan"}),
    MeasureGroup.HOUSING: frozenset({"dangerous_house_renovation"}),
    MeasureGroup.WATER: frozenset({"water_supply"}),
    MeasureGroup.OTHER: frozenset({"other"}),
}
DEVELOPMENT_GROUPS = frozenset({MeasureGroup.INDUSTRY, MeasureGroup.EMPLOYMENT})


class MeasureStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


GIVEN_STATUSES = frozenset({MeasureStatus.IN_PROGRESS, MeasureStatus.DONE})


class ReferralProgram(StrEnum):
    DIBAO = "dibao"
    EXTREME_POVERTY = "extreme_poverty"
    TEMPORARY = "temporary"


class ReferralAnswer(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
