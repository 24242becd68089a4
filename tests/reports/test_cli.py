"""`povguard report monthly|roster|export`: files written, scope of `--as`, one-line errors (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.orm import Session

from povguard.auth.service import create_user
from povguard.cli.main import run
from tests.cases import factories


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        run(["report", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_report_commands(
    configured: tuple[str, Path],
    history: Session,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_user(history, username="town_b", role="township", region_code=factories.TOWNSHIP_B,
                password="a long enough password")  # fmt: skip
    history.commit()
    pdf = tmp_path / "out" / "monthly.pdf"
    code, err = cli(
        capsys, "monthly", "--region", factories.COUNTY, "--month", "2024-06", "--out", str(pdf)
    )
    assert code == 0, err
    assert f"wrote {pdf}" in err and len(PdfReader(pdf).pages) >= 3
    table = tmp_path / "kpis.xlsx"
    code, err = cli(capsys, "export", "kpis", "--region", factories.COUNTY, "--from", "2024-01",
                    "--to", "2024-12", "--out", str(table))  # fmt: skip
    assert code == 0, err
    assert "(3 rows" in err
    assert load_workbook(table).worksheets[0].max_row == 4
    objects = tmp_path / "objects.xlsx"
    code, err = cli(capsys, "export", "objects", "--region", factories.TOWNSHIP_B, "--as", "town_b",
                    "--out", str(objects))  # fmt: skip
    assert code == 0, err
    villages = {
        row[1]
        for row in load_workbook(objects).worksheets[0].iter_rows(min_row=2, values_only=True)
    }
    assert villages == {factories.VILLAGE_B}
    code, err = cli(capsys, "export", "objects", "--region", factories.TOWNSHIP_A, "--as", "town_b",
                    "--out", str(objects))  # fmt: skip
    assert code == 2 and "not found" in err and "Traceback" not in err
    code, err = cli(
        capsys, "monthly", "--region", factories.COUNTY, "--month", "2024-6", "--out", str(pdf)
    )
    assert code == 2 and "month" in err
    roster = tmp_path / "roster.pdf"
    code, err = cli(capsys, "roster", "--region", factories.TOWNSHIP_B, "--month", "2024-06",
                    "--as", "town_b", "--out", str(roster))  # fmt: skip
    assert code == 0, err
    assert f"wrote {roster}" in err and "pages" in err
    text = "".join(page.extract_text() for page in PdfReader(roster).pages)
    assert "监测对象名单" in text and "岭上村" in text and "山脚村" not in text
    code, err = cli(capsys, "roster", "--region", factories.TOWNSHIP_A, "--month", "2024-06",
                    "--as", "town_b", "--out", str(roster))  # fmt: skip
    assert code == 2 and "not found" in err
    code, err = cli(
        capsys, "export", "everything", "--region", factories.COUNTY, "--out", str(objects)
    )
    assert code == 2 and "objects, clues, kpis" in err
