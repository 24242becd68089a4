"""Settings from the environment (POVGUARD_*) or a `.env`-style settings file.

Nothing is created at import time: callers ask for `get_settings()` when they need it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where povguard keeps its data."""

    model_config = SettingsConfigDict(
        env_prefix="POVGUARD_", env_file="povguard.env", extra="ignore"
    )

    database_url: str = "sqlite:///var/povguard.sqlite3"
    lake: Path = Path("var/lake")
    secret_key: str = "change-me-in-production"
    # Days an ended import's upload and an ended report's file are kept (`povguard cleanup`).
    upload_retention_days: int = Field(default=30, ge=1)
    report_retention_days: int = Field(default=30, ge=1)

    def sqlite_path(self) -> Path | None:
        """The file of an SQLite database URL, or None for other databases."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix):
            return Path(self.database_url[len(prefix) :])
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
