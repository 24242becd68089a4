"""The main navigation: each feature's pages module contributes its entry when it is built."""

from __future__ import annotations

from dataclasses import dataclass

from povguard.auth.principal import Principal, Role


@dataclass(frozen=True)
class NavEntry:
    key: str  # also the `active_nav` a page sets to highlight its entry
    path: str
    label: str  # an English msgid, translated when shown
    order: int  # Dashboard 10, Households 20, Screening 30, Cases 40, Admin 90
    roles: frozenset[Role] | None = None  # None: every signed-in role

    def visible_to(self, principal: Principal) -> bool:
        return self.roles is None or principal.role in self.roles


def visible_entries(entries: list[NavEntry], principal: Principal | None) -> list[NavEntry]:
    if principal is None:
        return []
    return sorted((e for e in entries if e.visible_to(principal)), key=lambda e: e.order)
