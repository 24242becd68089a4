"""Language negotiation and the catalogs: every message the web layer shows is translated."""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir

from povguard.web import i18n

WEB_DIR = i18n.LOCALE_DIR.parent


@pytest.mark.parametrize(
    ("cookie", "header", "language"),
    [
        ("en", "zh-CN", "en"),  # the switcher's cookie wins
        ("zh", "en-US", "zh"),
        ("fr", "en-US", "en"),  # an unknown cookie is ignored
        (None, "en-US,en;q=0.9", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "fr-FR,en;q=0.5,zh;q=0.8", "zh"),  # by quality, not by order
        (None, "en;q=0,zh;q=0", "zh"),  # q=0 means "not this one": default
        (None, "de,en", "en"),
        (None, "en;q=abc, zh", "zh"),  # a malformed quality is skipped
        (None, "", "zh"),
        (None, None, "zh"),
    ],
)
def test_negotiate(cookie: str | None, header: str | None, language: str) -> None:
    assert i18n.negotiate(cookie, header) == language


def extracted_messages() -> dict[str, set[str | tuple[str, str]]]:
    """Messages marked in the web package, by file (relative to src/povguard/web)."""
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: dict[str, set[str | tuple[str, str]]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(WEB_DIR), method_map=method_map, keywords=keywords
    ):
        found.setdefault(filename, set()).add(message)
    return found


MESSAGES = extracted_messages()


def test_the_layout_messages_are_found() -> None:
    everything = set().union(*MESSAGES.values())
    assert {"Sign in", "Households", "Wrong username or password.", "Nationwide"} <= everything


@pytest.mark.parametrize("filename", sorted(MESSAGES))
def test_every_message_has_a_chinese_translation(filename: str) -> None:
    """Each file's messages are in a zh_Hans catalog (messages.po or the feature's own .po)."""
    untranslated = sorted(str(m) for m in MESSAGES[filename] if not translated(m))
    assert untranslated == []


def translated(message: str | tuple[str, str]) -> bool:
    chinese = i18n.translations("zh")
    if isinstance(message, tuple):
        return chinese.ngettext(message[0], message[1], 2) != message[1]
    return chinese.gettext(message) != message


def test_english_catalog_passes_messages_through() -> None:
    assert i18n.translations("en").gettext("Households") == "Households"
    assert i18n.translations("zh").gettext("Households") == "农户"


def test_placeholders_survive_translation() -> None:
    text = i18n.translations("zh").gettext("page %(page)s of %(pages)s")
    assert text % {"page": 2, "pages": 5} == "第 2 / 5 页"
