"""English msgids for the codes of cases and assistance (SPEC §7, §8); templates translate them.

Registered as Jinja filters (`{{ _(case.state | case_state) }}`) when the case pages load.
"""

from __future__ import annotations

from collections.abc import Callable

from povguard.cases.enums import MEASURE_TYPES, MeasureGroup
from povguard.web.i18n import N_

STATE = {
    "clue": N_("clue received"),
    "home_visit": N_("home visit"),
    "cross_check": N_("department cross-check"),
    "village_appraisal": N_("village democratic appraisal"),
    "publicity": N_("village publicity"),
    "township_review": N_("township review"),
    "county_approval": N_("county approval"),
    "monitoring_object": N_("monitoring object"),
    "eliminated": N_("risk eliminated"),
    "secured_by_social_security": N_("secured by social security"),
    "rejected": N_("rejected"),
    "withdrawn": N_("withdrawn"),
}
# What a case waiting at a state needs next (the worklist's "step" column).
ACTION = {
    "accept": N_("Accept the clue"),
    "record_visit": N_("Record the home visit"),
    "record_cross_check": N_("Record the department cross-check"),
    "record_appraisal": N_("Record the village appraisal"),
    "start_publicity": N_("Start the publicity"),
    "close_publicity": N_("Close the publicity"),
    "review": N_("Record the township review"),
    "approve": N_("Approve"),
    "reject": N_("Reject"),
    "withdraw": N_("Withdraw"),
}
DEADLINE = {
    "accept": N_("acceptance"),
    "home_visit": N_("home visit"),
    "cross_check": N_("cross-check"),
    "procedure": N_("whole procedure"),
}
KIND = {"identification": N_("identification"), "elimination": N_("risk elimination")}
SOURCE = {
    "screening": N_("screening"),
    "declaration_app": N_("self-declaration (app)"),
    "declaration_hotline": N_("self-declaration (hotline 12317)"),
    "declaration_written": N_("written declaration"),
    "cadre_visit": N_("cadre visit"),
}
CATEGORY = {
    "unstable": N_("unstable (formerly poor)"),
    "marginal": N_("marginal (easily poor)"),
    "sudden_difficulty": N_("sudden serious difficulty"),
}
CAUSE = {
    "01": N_("illness"),
    "0201": N_("flood"),
    "0202": N_("geological disaster"),
    "0203": N_("drought"),
    "0204": N_("biological disaster"),
    "0205": N_("meteorological disaster"),
    "0206": N_("earthquake"),
    "0207": N_("other disaster"),
    "03": N_("disability"),
    "04": N_("lack of labour"),
    "05": N_("accident"),
    "06": N_("industry failure"),
    "07": N_("unstable employment"),
    "08": N_("epidemic"),
    "09": N_("education costs"),
    "99": N_("other cause"),
}
ROUTE = {
    "eliminated_by_assistance": N_("eliminated by assistance"),
    "eliminated_naturally": N_("eliminated naturally"),
}
MEASURE_GROUP = {
    "industry": N_("industry"),
    "employment": N_("employment"),
    "social_security": N_("social security"),
    "education": N_("education"),
    "housing": N_("housing"),
    "water": N_("water"),
    "other": N_("other"),
}
MEASURE_TYPE = {
    "subsidy": N_("industry subsidy"),
    "courtyard_economy": N_("courtyard economy"),
    "microcredit": N_("microcredit"),
    "cooperative": N_("cooperative"),
    "public_welfare_post": N_("public welfare post"),
    "workshop_job": N_("assistance workshop job"),
    "labour_transfer": N_("labour transfer"),
    "skills_training": N_("skills training"),
    "dibao": N_("dibao (minimum living allowance)"),
    "extreme_poverty_support": N_("extreme poverty support"),
    "temporary_assistance": N_("temporary assistance"),
    "medical_assistance": N_("medical assistance"),
    "insurance_subsidy": N_("insurance subsidy"),
    "education_subsidy": N_("education subsidy"),
    "vocational_plan": N_("vocational education plan"),
    "dangerous_house_renovation": N_("dangerous-house renovation"),
    "water_supply": N_("drinking water supply"),
    "other": N_("other measure"),
}
MEASURE_STATUS = {
    "planned": N_("planned"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}
PROGRAM = {
    "dibao": N_("dibao (minimum living allowance)"),
    "extreme_poverty": N_("extreme poverty support"),
    "temporary": N_("temporary assistance"),
}
ANSWER = {"accepted": N_("accepted"), "refused": N_("refused")}
CHECK = {
    "income_stable": N_("Income at or above the line in each of the last months"),
    "rigid_spending_resolved": N_("Rigid spending resolved"),
    "guarantees_and_water": N_(
        "Compulsory education, basic medical care, safe housing and drinking water secured"
    ),
    "no_open_rule_hit": N_("No screening rule still fires"),
    "identified_6_months": N_("Identified at least 6 months ago"),
    "measure_given": N_("At least one assistance measure given"),
}
GUARANTEE = {
    "education": N_("compulsory education"),
    "medical": N_("basic medical care"),
    "housing": N_("safe housing"),
    "water": N_("drinking water"),
}

# The measure catalogue of SPEC §8 for one <select>: (group, [(group:type, type)]).
MEASURE_CHOICES = [
    (group.value, [(f"{group.value}:{kind}", kind) for kind in sorted(MEASURE_TYPES[group])])
    for group in MeasureGroup
]


def _lookup(table: dict[str, str]) -> Callable[[str | None], str]:
    def label(code: str | None) -> str:
        return table.get(code or "", code or "")

    return label


FILTERS = {
    "case_state": _lookup(STATE),
    "case_action": _lookup(ACTION),
    "case_deadline": _lookup(DEADLINE),
    "case_kind": _lookup(KIND),
    "case_source": _lookup(SOURCE),
    "case_category": _lookup(CATEGORY),
    "cause_label": _lookup(CAUSE),
    "route_label": _lookup(ROUTE),
    "measure_group": _lookup(MEASURE_GROUP),
    "measure_type": _lookup(MEASURE_TYPE),
    "measure_status": _lookup(MEASURE_STATUS),
    "program_label": _lookup(PROGRAM),
    "answer_label": _lookup(ANSWER),
    "check_label": _lookup(CHECK),
    "guarantee_label": _lookup(GUARANTEE),
}
