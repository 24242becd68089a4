"""`povguard demo` from an empty folder: synthesise, import, screen, create the demo users."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_builds_a_screened_county_with_its_users(tmp_path: Path) -> None:
    env = {**os.environ, "POVGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "POVGUARD_LAKE": str(tmp_path / "lake")}  # fmt: skip
    command = [sys.executable, "-m", "povguard", "demo", "--households", "400", "--no-serve",
               "--as-of", "2024-07-15"]  # fmt: skip
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "400 households" in first.stdout
    for user in ("admin", "county", "township", "cadre"):
        assert f"    {user}" in first.stdout
    # A second run reuses the data and prints the same logins.
    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert second.returncode == 0, second.stderr
    logins = [line for line in first.stdout.splitlines() if line.startswith("    admin")]
    assert logins and logins[0] in second.stdout
