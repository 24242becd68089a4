"""`povguard cases …`: in process for the workflow, and as a real subprocess for exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from povguard.auth.service import create_user
from povguard.cli.main import run
from povguard.core.uow import unit_of_work
from tests.cases.factories import VILLAGE_A, VILLAGE_B, add_household


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `povguard cases ARGS` in this process: (exit status, stdout, stderr)."""
    try:
        run(["cases", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def subprocess_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "povguard", "cases", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
        check=False,
    )


def _household(db: str) -> str:
    with unit_of_work(db) as session:
        return add_household(session).household_id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_workflow(
    configured: tuple[str, Path], db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    household_id = _household(db)
    code, out, err = cli(
        capsys,
        *("create", "--household", household_id, "--source", "declaration_app"),
        *("--cause", "07", "--received-on", "2024-03-01", "--json"),
    )
    assert code == 0, err
    case = json.loads(out)
    assert case["state"] == "clue" and case["version"] == 1
    step = ("transition", str(case["id"]), "--action", "accept", "--version", "1")
    code, out, err = cli(capsys, *step, "--on", "2024-03-02", "--json")
    assert code == 0, err
    assert json.loads(out)["state"] == "home_visit"
    code, out, _ = cli(capsys, "show", str(case["id"]), "--as-of", "2024-03-02")
    assert code == 0 and "accept by system (admin)" in out
    code, out, _ = cli(capsys, "list", "--json", "--as-of", "2024-03-20", "--overdue")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [case["id"]]
    code, out, _ = cli(capsys, "overdue", "--level", "county", "--as-of", "2024-03-20")
    assert code == 0 and "county 530102000000: 1 overdue" in out
    code, _, err = cli(capsys, "create", "--household", household_id, "--source", "fax")
    assert code == 2 and "--source: 'fax' is not one of screening" in err
    code, _, err = cli(
        capsys, *("create", "--household", "H1", "--source", "screening"), "--cause", "02"
    )
    assert code == 2 and "unknown cause code(s) 02" in err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_subprocess_exit_codes(configured: tuple[str, Path], db: str) -> None:
    household_id = _household(db)
    created = subprocess_cli(
        "create", "--household", household_id, "--source", "screening", "--json"
    )
    assert created.returncode == 0, created.stderr
    case_id = json.loads(created.stdout)["id"]
    stale = subprocess_cli("transition", str(case_id), "--action", "accept", "--version", "7")
    assert stale.returncode == 2
    assert stale.stderr.strip() == (
        f"povguard: case {case_id} was changed by someone else (version 1, you had 7)"
    )
    missing = subprocess_cli("show", "999")
    assert missing.returncode == 2 and missing.stderr.strip() == "povguard: case 999 not found"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_as_user_acts_in_their_scope_and_name(
    configured: tuple[str, Path], db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    household_id = _household(db)
    with unit_of_work(db) as session:
        for username, region in (("cadre_a", VILLAGE_A), ("cadre_b", VILLAGE_B)):
            create_user(
                session,
                username=username,
                password="a long password 1",
                role="cadre",
                region_code=region,
            )
    create = ("create", "--household", household_id, "--source", "cadre_visit", "--json")
    code, _, err = cli(capsys, "--as", "cadre_b", *create)
    assert code == 2 and f"household {household_id} not found" in err
    code, out, err = cli(capsys, "--as", "cadre_a", *create)
    assert code == 0, err
    case = json.loads(out)
    accept = ("transition", str(case["id"]), "--action", "accept", "--version", "1", "--json")
    code, out, err = cli(capsys, "--as", "cadre_a", *accept)
    assert code == 0, err
    assert [(s["actor"], s["role"]) for s in json.loads(out)["steps"]] == [("cadre_a", "cadre")]
    code, _, err = cli(capsys, "--as", "nobody", "list")
    assert code == 2 and "no active user 'nobody'" in err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_attachments_are_files_kept_in_the_store_or_stored_ids(
    configured: tuple[str, Path], db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    household_id = _household(db)
    code, out, err = cli(
        capsys, "create", "--household", household_id, "--source", "screening", "--json"
    )
    case_id = str(json.loads(out)["id"])
    step = ("transition", case_id, "--action", "accept", "--version", "1", "--json")
    code, _, err = cli(capsys, *step, "--attachment", "signed-form.pdf")
    assert code == 2 and "unknown attachment 'signed-form.pdf'; upload it first" in err
    not_a_pdf = tmp_path / "notes.txt"
    not_a_pdf.write_text("visited on Monday")
    code, _, err = cli(capsys, *step, "--attachment", str(not_a_pdf))
    assert code == 2 and "attachments must be PDF, PNG or JPEG files" in err
    signed = tmp_path / "authorisation.pdf"
    signed.write_bytes(b"%PDF-1.4 signed authorisation")
    code, out, err = cli(capsys, *step, "--attachment", str(signed))
    assert code == 0, err
    stored_id = json.loads(out)["steps"][-1]["attachments"][0]
    assert len(stored_id) == 64
    visit = ("transition", case_id, "--action", "record_visit", "--version", "2", "--json")
    code, out, err = cli(capsys, *visit, "--authorisation-signed", "--attachment", stored_id)
    assert code == 0, err
    assert json.loads(out)["steps"][-1]["attachments"] == [stored_id]
