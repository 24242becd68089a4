"""Languages of the pages: Simplified Chinese and English (Babel/gettext catalogs).

Catalogs live as `.po` files under `locale/` and are compiled in memory on first use, so there
is no build step. The language comes from the `povguard_lang` cookie (set by the switcher in
the header), else from the browser's Accept-Language, else Chinese.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANG_COOKIE = "povguard_lang"
DEFAULT_LANGUAGE = "zh"
# Our language code → (catalog folder, HTML lang attribute, name in its own language).
LANGUAGES: dict[str, tuple[str, str, str]] = {
    "zh": ("zh_Hans", "zh-Hans", "中文"),
    "en": ("en", "en", "English"),
}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark `message` for extraction; it is translated where it is shown."""
    return message


def _compile(po_path: Path, folder: str) -> Translations:
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=folder)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain="messages")


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> Translations:
    """The compiled catalogs of `language` (one of LANGUAGES), merged.

    `messages.po` holds the shared layout's messages; a feature may add its own `<feature>.po`
    next to it, so that features translate their pages without editing one shared file.
    """
    folder = LANGUAGES[language][0]
    catalog_dir = LOCALE_DIR / folder / "LC_MESSAGES"
    merged = _compile(catalog_dir / "messages.po", folder)
    for po_path in sorted(catalog_dir.glob("*.po")):
        if po_path.name != "messages.po":
            merged.merge(_compile(po_path, folder))
    return merged


def _ranked(accept_language: str) -> list[tuple[float, str]]:
    ranked: list[tuple[float, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag:
            # Sort by quality, then by the order the browser gave.
            ranked.append((-quality + position * 1e-6, tag.lower()))
    return sorted(ranked)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The page language: the cookie's if valid, else the browser's best match, else Chinese."""
    if cookie in LANGUAGES:
        return str(cookie)
    for negative_quality, tag in _ranked(accept_language or ""):
        if negative_quality >= 0:  # q=0 means "not this one"
            continue
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE
