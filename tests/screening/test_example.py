"""The worked example of shared/examples, screened by every engine, must match row for row."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from povguard.screening.service import screen_folder
from tests.conftest import EXAMPLES

DATASET = EXAMPLES / "screening-yunnan-2024"
EXPECTED = EXAMPLES / "screening-yunnan-2024.expected.csv"
AS_OF = dt.date(2024, 7, 15)
FIELDS = ("household_id", "category", "rules", "pc_income", "line")


def expected_rows() -> list[tuple[str, ...]]:
    with EXPECTED.open(encoding="utf-8") as handle:
        return [tuple(row[f] for f in FIELDS) for row in csv.DictReader(handle)]


def test_duckdb_engine_gives_exactly_the_expected_clues() -> None:
    result = screen_folder(DATASET, AS_OF, engine="duckdb")
    got = [tuple(row[f] or "" for f in FIELDS) for row in result.clues.iter_rows(named=True)]
    assert got == expected_rows()
    assert result.counts["clues"] == 438
    assert result.policy_version


def test_cli_writes_the_expected_csv(tmp_path: Path) -> None:
    out = tmp_path / "clues.csv"
    done = subprocess.run(
        [sys.executable, "-m", "povguard", "screen", "--data", str(DATASET),
         "--as-of", "2024-07-15", "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == [*FIELDS, "evidence"]
        assert [tuple(row[f] for f in FIELDS) for row in reader] == expected_rows()
    assert [p.name for p in tmp_path.iterdir()] == ["clues.csv"]


def test_without_evidence_the_clues_and_counts_are_the_same() -> None:
    """`--no-evidence` does not compute the evidence (the same columns as the hand-written SQL
    of the benchmark)."""
    full = screen_folder(DATASET, AS_OF)
    bare = screen_folder(DATASET, AS_OF, evidence=False)
    assert bare.clues.drop("evidence").equals(full.clues.drop("evidence"))
    assert bare.clues["evidence"].null_count() == bare.clues.height
    assert full.clues["evidence"].null_count() == 0
    assert bare.counts == full.counts


def test_cli_without_evidence_writes_the_clues_without_that_column(tmp_path: Path) -> None:
    out = tmp_path / "clues.csv"
    done = subprocess.run(
        [sys.executable, "-m", "povguard", "screen", "--data", str(DATASET),
         "--as-of", "2024-07-15", "--out", str(out), "--no-evidence"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == list(FIELDS)
        assert [tuple(row[f] for f in FIELDS) for row in reader] == expected_rows()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "/nonexistent", "--as-of", "2024-07-15"], "not a dataset folder"),
        (["--data", str(DATASET), "--as-of", "2024-7-15"], "is not a date"),
        (["--data", str(DATASET), "--as-of", "2027-01-15"], "no policy for province"),
        (["--data", str(DATASET), "--as-of", "2024-07-15", "--engine", "x"], "unknown engine"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line_and_no_file(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "clues.csv"
    done = subprocess.run(
        [sys.executable, "-m", "povguard", "screen", *args, "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_quoted_line_break_in_a_value_is_read(tmp_path: Path, line_end: str) -> None:
    """RFC 4180: a quoted value may hold a line break (an address on two lines; a spreadsheet
    ends its rows with CRLF and breaks a line within a cell with LF)."""
    data = tmp_path / "data"
    shutil.copytree(DATASET, data)
    with (DATASET / "households.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("address")] = "第一行\n第二行, 5号"
    with (data / "households.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator=line_end).writerows(rows)
    result = screen_folder(data, AS_OF, engine="duckdb")
    got = [tuple(row[f] or "" for f in FIELDS) for row in result.clues.iter_rows(named=True)]
    assert got == expected_rows()
