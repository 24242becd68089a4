"""Who is acting: a user's role bound to a region subtree (SPEC §1).

Every service that reads or changes region-bound records takes a `Principal` and filters by
`covers()`, so pages, API, exports and jobs all obey the same scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from povguard.regions.codes import contains, prefix


class Role(StrEnum):
    CADRE = "cadre"  # village cadre / first secretary / work team: one village
    TOWNSHIP = "township"
    COUNTY = "county"
    ANALYST = "analyst"  # city / province / national analyst
    CLERK = "clerk"  # department data clerk
    AUDITOR = "auditor"
    ADMIN = "admin"


# Roles that may see unmasked personal data (ID number, phone, bank account, health).
UNMASKED_ROLES = frozenset({Role.CADRE, Role.TOWNSHIP, Role.COUNTY, Role.ADMIN})
READ_ONLY_ROLES = frozenset({Role.ANALYST, Role.AUDITOR})


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    region_code: str  # 12-digit code of the root of the user's subtree
    user_id: int | None = None

    def covers(self, code: str) -> bool:
        """True when region (or village) `code` lies in this principal's subtree."""
        return self.role is Role.ADMIN or contains(self.region_code, code)

    @property
    def scope_prefix(self) -> str:
        """The leading digits every code in scope starts with ('' for an admin)."""
        return "" if self.role is Role.ADMIN else prefix(self.region_code)

    @property
    def sees_personal_data(self) -> bool:
        return self.role in UNMASKED_ROLES

    @property
    def read_only(self) -> bool:
        return self.role in READ_ONLY_ROLES


# The command line acts with full rights on the machine it runs on (like a database superuser).
SYSTEM = Principal(username="system", role=Role.ADMIN, region_code="000000000000")
