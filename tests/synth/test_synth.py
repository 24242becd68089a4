"""Synthetic datasets: SPEC §3 columns and formats, valid IDs, determinism, every rule hit."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from povguard.households.idnumber import problem
from povguard.interchange.spec import FILES
from povguard.screening.rules import RULES
from povguard.screening.service import screen_folder
from povguard.synth.service import synthesise

AS_OF = dt.date(2024, 7, 15)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "data"
    synthesise(out, households=3000, seed=11, as_of=AS_OF, chunk=1000)
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_every_file_has_exactly_the_spec_columns(dataset: Path) -> None:
    for name, spec in FILES.items():
        with (dataset / f"{name}.csv").open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert tuple(header) == spec.column_names, name
    members = pl.read_csv(dataset / "members.csv", infer_schema=False)
    assert members["birth_date"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    income = pl.read_csv(dataset / "income.csv", infer_schema=False)
    assert income["period_start"].str.contains(r"^\d{4}-\d{2}$").all()
    assert income["wage"].str.contains(r"^-?\d+\.\d{2}$").all()
    assert set(members["in_household"]) == {"true", "false"}


def test_id_numbers_are_valid_unique_and_match_birth_dates(dataset: Path) -> None:
    members = pl.read_csv(dataset / "members.csv", infer_schema=False)
    assert members["id_number"].n_unique() == members.height
    for number, born in members.select("id_number", "birth_date").iter_rows():
        assert problem(number, dt.date.fromisoformat(born)) is None, number
    households = pl.read_csv(dataset / "households.csv", infer_schema=False)
    assert set(households["head_id_number"]) <= set(members["id_number"])
    villages = set(pl.read_csv(dataset / "regions.csv", infer_schema=False)["code"])
    assert set(households["village_code"]) <= villages


def test_every_rule_fires_and_the_dataset_screens_cleanly(dataset: Path) -> None:
    result = screen_folder(dataset, AS_OF)
    for rule in RULES:
        assert result.counts[rule.code] > 0, rule.code
    assert 0.1 < result.counts["clues"] / 3000 < 0.6
    assert 0 < result.missing_income.height < 600


def test_a_few_feed_rows_point_at_nobody(dataset: Path) -> None:
    members = set(pl.read_csv(dataset / "members.csv", infer_schema=False)["id_number"])
    medical = pl.read_csv(dataset / "feeds" / "medical.csv", infer_schema=False)
    strangers = (~medical["id_number"].is_in(list(members))).sum()
    assert 0 < strangers < medical.height * 0.05


def test_same_seed_same_bytes_and_parquet_screens_alike(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    synthesise(first, households=400, seed=3, as_of=AS_OF, chunk=150)
    synthesise(second, households=400, seed=3, as_of=AS_OF, chunk=150)
    synthesise(other, households=400, seed=4, as_of=AS_OF, chunk=150)
    assert _digest(first) == _digest(second)
    assert _digest(first) != _digest(other)
    parquet = tmp_path / "p"
    synthesise(parquet, households=400, seed=3, as_of=AS_OF, chunk=150, fmt="parquet")
    assert screen_folder(parquet, AS_OF).clues.equals(screen_folder(first, AS_OF).clues)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--households", "0"], "--households must be a positive number"),
        (["--as-of", "2024-02-30"], "is not a date"),
        (["--province", "990000000000"], "is not available"),
        (["--format", "xml"], "csv or parquet"),
    ],
)
def test_cli_bad_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    base = {"--households": "10", "--seed": "1", "--out": str(tmp_path / "out")}
    for key, value in zip(args[::2], args[1::2], strict=True):
        base[key] = value
    flat = [item for pair in base.items() for item in pair]
    done = subprocess.run([sys.executable, "-m", "povguard", "synth", *flat, *args[len(args):]],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_cli_writes_a_dataset_and_refuses_a_file_as_out(tmp_path: Path) -> None:
    out = tmp_path / "county"
    done = subprocess.run(
        [sys.executable, "-m", "povguard", "synth", "--households", "50", "--seed", "2",
         "--out", str(out), "--as-of", "2024-07-15", "--counties", "1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (out / "policy.yaml").exists() and (out / "feeds" / "water.csv").exists()
    regions = pl.read_csv(out / "regions.csv", infer_schema=False)
    assert (regions["level"] == "county").sum() == 1
    afile = tmp_path / "file"
    afile.write_text("x")
    again = subprocess.run(
        [sys.executable, "-m", "povguard", "synth", "--households", "5", "--seed", "2",
         "--out", str(afile)], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert again.returncode == 2 and "is a file" in again.stderr
