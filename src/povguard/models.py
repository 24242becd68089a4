"""Imports every feature's ORM models so that metadata (and Alembic) sees the whole schema."""

from __future__ import annotations


def import_all_models() -> None:
    from povguard.audit import models as _audit  # noqa: F401
    from povguard.auth import models as _auth  # noqa: F401
    from povguard.cases import models as _cases  # noqa: F401
    from povguard.households import models as _households  # noqa: F401
    from povguard.ingest import models as _ingest  # noqa: F401
    from povguard.regions import models as _regions  # noqa: F401
    from povguard.reports import models as _reports  # noqa: F401
    from povguard.screening import models as _screening  # noqa: F401
