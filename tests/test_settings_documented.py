"""Every setting is documented in the README's configuration table (as POVGUARD_<NAME>)."""

from __future__ import annotations

from pathlib import Path

from povguard.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [n for n in Settings.model_fields if f"`POVGUARD_{n.upper()}`" not in text]
    assert missing == []
