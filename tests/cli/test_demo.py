"""`povguard demo` from an empty folder: synthesise, import, screen, create the demo users."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.browser.conftest import free_port


def test_demo_builds_a_screened_county_with_its_users(tmp_path: Path) -> None:
    env = {**os.environ, "POVGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "POVGUARD_LAKE": str(tmp_path / "lake")}  # fmt: skip
    command = [sys.executable, "-m", "povguard", "demo", "--households", "400", "--no-serve",
               "--as-of", "2024-07-15"]  # fmt: skip
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "400 households" in first.stdout
    assert "4 clues of township" in first.stdout  # taken through the procedure by the users
    for user in ("admin", "county", "township", "cadre"):
        assert f"    {user}" in first.stdout
    # A second run reuses the data and prints the same logins.
    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert second.returncode == 0, second.stderr
    logins = [line for line in first.stdout.splitlines() if line.startswith("    admin")]
    assert logins and logins[0] in second.stdout
    assert "approved as monitoring objects" not in second.stdout  # no second set of cases


def test_demo_ends_serving_the_web_app(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "POVGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "POVGUARD_LAKE": str(tmp_path / "lake")}  # fmt: skip
    command = [sys.executable, "-m", "povguard", "demo", "--households", "200", "--port",
               str(port), "--as-of", "2024-07-15"]  # fmt: skip
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 240  # synthesis, import and screening come first
        while True:
            try:
                login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "the demo did not start serving"
                time.sleep(0.5)
        assert login.status_code == 200 and 'name="csrf_token"' in login.text
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "internal error" not in output and f"http://127.0.0.1:{port}/" in output
