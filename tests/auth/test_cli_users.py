"""`povguard users add` through a real subprocess: exit 0, or exit 2 with one line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.cli.main import run
from povguard.config import get_settings
from povguard.core.db import dispose_engines, engine_for
from tests.web import factories

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    with Session(engine_for(url)) as session:
        factories.seed_regions(session)
        session.commit()
    dispose_engines()
    return url


def users_add(url: str, *args: str, password: str = "a long enough password\n"):
    env = {**os.environ, "POVGUARD_DATABASE_URL": url}
    env.pop("POVGUARD_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "povguard", "users", "add", *args],
        input=password,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def test_users_add_then_errors(sqlite_url: str) -> None:
    ok = users_add(
        sqlite_url,
        "--username",
        "wang",
        "--role",
        "county",
        "--region",
        factories.COUNTY_A,
        "--password-stdin",
    )
    assert ok.returncode == 0, ok.stderr
    assert "created user wang (county, region 530129000000)" in ok.stdout
    with Session(engine_for(sqlite_url)) as session:
        row = session.execute(sa.text("SELECT role, region_code, active FROM users")).one()
    dispose_engines()
    assert tuple(row) == ("county", factories.COUNTY_A, 1)

    for args, words in (
        (
            ["--username", "wang", "--role", "county", "--region", factories.COUNTY_A],
            "already exists",
        ),
        (
            ["--username", "li.na", "--role", "boss", "--region", factories.COUNTY_A],
            "unknown role 'boss'",
        ),
    ):
        result = users_add(sqlite_url, *args, "--password-stdin")
        assert result.returncode == 2, (args, result.stderr)
        assert_one_line(result.stderr, words)


def assert_one_line(stderr: str, words: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("povguard: ") and words in lines[0], stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("region", "password", "words"),
    [
        ("53", "a long enough pw\n", "12-digit"),
        ("530199000000", "a long enough pw\n", "not in the region registry"),
        (factories.COUNTY_A, "short\n", "at least 10 characters"),
        (factories.COUNTY_A, "", "no password"),
        (factories.COUNTY_A, None, "--password-stdin"),
    ],
)
def test_users_add_bad_input_in_process(
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    region: str,
    password: str | None,
    words: str,
) -> None:
    monkeypatch.setenv("POVGUARD_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    monkeypatch.setattr(sys, "stdin", io.StringIO(password or ""))
    argv = ["users", "add", "--username", "li.na", "--role", "county", "--region", region]
    if password is not None:
        argv.append("--password-stdin")
    with pytest.raises(SystemExit) as raised:
        run(argv)
    get_settings.cache_clear()
    dispose_engines()
    assert raised.value.code == 2
    assert_one_line(capsys.readouterr().err, words)
