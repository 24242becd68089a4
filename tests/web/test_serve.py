"""`povguard serve`: the real command serves the pages and the API, and refuses a bad port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_starts_migrates_and_answers(tmp_path: Path, workers: str) -> None:
    port = free_port()
    env = {**os.environ, "POVGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "povguard",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            workers,
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # a loaded 2-core CI machine starts slowly
        while True:
            try:
                login = httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert login.status_code == 200 and 'name="csrf_token"' in login.text
        assert login.headers["X-Frame-Options"] == "DENY"
        api = httpx.get(f"{base}/api/v1/households", timeout=5)
        assert api.status_code == 401 and api.json()["error"]["code"] == "unauthorized"
        assert httpx.get(f"{base}/api/v1/openapi.json", timeout=5).json()["info"]["title"]
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert f"serving on http://127.0.0.1:{port}/" in output
    assert "Traceback" not in output


def test_serve_refuses_a_bad_port() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "povguard", "serve", "--port", "70000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "povguard: --port: 70000 is not a TCP port (1–65535)"


def test_serve_refuses_a_bad_number_of_workers() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "povguard", "serve", "--workers", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "povguard: --workers: 0 is not between 1 and 64"
