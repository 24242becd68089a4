"""English msgids for the codes the pages show; templates translate them with `_`."""

from __future__ import annotations

from collections.abc import Callable

from povguard.web.i18n import N_

ROLE = {
    "cadre": N_("village cadre"),
    "township": N_("township officer"),
    "county": N_("county officer"),
    "analyst": N_("analyst"),
    "clerk": N_("data clerk"),
    "auditor": N_("auditor"),
    "admin": N_("administrator"),
}
STATUS = {
    "formerly_poor": N_("formerly poor"),
    "ordinary": N_("ordinary"),
    "monitored": N_("monitored"),
}
RELATION = {
    "head": N_("head"),
    "spouse": N_("spouse"),
    "child": N_("child"),
    "parent": N_("parent"),
    "grandchild": N_("grandchild"),
    "sibling": N_("sibling"),
    "other": N_("other"),
}
SEX = {"M": N_("male"), "F": N_("female")}
LABOUR = {"full": N_("full"), "partial": N_("partial"), "none": N_("none")}
HEALTH = {
    "healthy": N_("healthy"),
    "chronic": N_("chronic illness"),
    "serious": N_("serious illness"),
    "disabled": N_("disabled"),
}


def _lookup(table: dict[str, str]) -> Callable[[str], str]:
    def label(code: str) -> str:
        return table.get(code, code)

    return label


FILTERS = {
    "role_label": _lookup(ROLE),
    "status_label": _lookup(STATUS),
    "relation_label": _lookup(RELATION),
    "sex_label": _lookup(SEX),
    "labour_label": _lookup(LABOUR),
    "health_label": _lookup(HEALTH),
}
