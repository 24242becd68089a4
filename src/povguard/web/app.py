"""The web application: pages (Jinja2 + HTMX) and the JSON API under /api/v1."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from povguard import __version__
from povguard.config import Settings, get_settings
from povguard.web import errors
from povguard.web.admin import api as admin_api
from povguard.web.admin import pages as admin_pages
from povguard.web.analytics import api as analytics_api
from povguard.web.auth import api as auth_api
from povguard.web.auth import pages as auth_pages
from povguard.web.cases import api as cases_api
from povguard.web.cases import pages as cases_pages
from povguard.web.dashboard import pages as dashboard_pages
from povguard.web.households import api as households_api
from povguard.web.households import pages as households_pages
from povguard.web.imports import api as imports_api
from povguard.web.imports import pages as imports_pages
from povguard.web.navigation import NavEntry
from povguard.web.reports import api as reports_api
from povguard.web.reports import pages as reports_pages
from povguard.web.screening import api as screening_api
from povguard.web.screening import pages as screening_pages
from povguard.web.security import SecurityMiddleware

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Feature routers; a pages module with a `nav` entry appears in the main navigation.
FEATURE_MODULES: tuple[ModuleType, ...] = (
    auth_api,
    auth_pages,
    households_api,
    households_pages,
    screening_api,
    screening_pages,
    cases_api,
    cases_pages,
    dashboard_pages,
    admin_api,
    admin_pages,
    analytics_api,
    reports_api,
    reports_pages,
    imports_api,
    imports_pages,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application for `settings` (the environment's when None)."""
    app = FastAPI(
        title="povguard",
        version=__version__,
        description="Dynamic monitoring and assistance to prevent return to poverty.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI loads from a CDN: not on offline machines, not under our CSP
        redoc_url=None,
    )
    app.state.settings = settings or get_settings()
    nav: list[NavEntry] = []
    for module in FEATURE_MODULES:
        app.include_router(module.router)
        entry = getattr(module, "nav", None)
        if isinstance(entry, NavEntry):
            nav.append(entry)
    app.state.nav = nav
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityMiddleware)
    errors.install(app)
    return app
