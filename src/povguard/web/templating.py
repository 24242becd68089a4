"""Page rendering: Jinja2 templates with the request's language, user, navigation and CSRF token.

Handlers build their own context with a `build_<page>_context()` function; `render` only adds
what every page shows (header, language switch, forms' CSRF token).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from povguard.web.i18n import LANG_COOKIE, LANGUAGES, negotiate, translations
from povguard.web.labels import FILTERS
from povguard.web.navigation import visible_entries
from povguard.web.security import CSRF_FIELD, CSRF_HEADER

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.globals["languages"] = LANGUAGES
templates.env.filters.update(FILTERS)


def language_of(request: Request) -> str:
    return negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def gettext_for(request: Request) -> Any:
    """The translation function of the request's language."""
    return translations(language_of(request)).gettext


def common_context(request: Request) -> dict[str, Any]:
    """What the layout needs: language, translation function, user, navigation, CSRF token."""
    language = language_of(request)
    principal = getattr(request.state, "principal", None)
    return {
        "lang": language,
        "html_lang": LANGUAGES[language][1],
        "_": translations(language).gettext,
        "ngettext": translations(language).ngettext,
        "me": getattr(request.state, "me", None),
        "nav": visible_entries(request.app.state.nav, principal),
        "csrf_field": CSRF_FIELD,
        "csrf_header": CSRF_HEADER,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    merged = {**common_context(request), **context}
    return templates.TemplateResponse(request, template, merged, status_code=status_code)
