"""Import batches (one per attempt) and the importer's region scope."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from povguard.auth.principal import Principal, Role
from povguard.core.uow import unit_of_work
from povguard.ingest import batches
from povguard.ingest.service import ImportRejected, import_dataset
from tests.conftest import EXAMPLES

DATASET = EXAMPLES / "screening-yunnan-2024"
FUMIN = Principal(username="fumin", role=Role.COUNTY, region_code="530124000000")


def test_each_attempt_is_a_batch_with_its_outcome(
    configured: tuple[str, Path], tmp_path: Path
) -> None:
    database_url, lake = configured
    import_dataset(DATASET, lake=lake, database_url=database_url)
    bad = tmp_path / "bad"
    shutil.copytree(DATASET, bad)
    with (bad / "feeds" / "housing.csv").open("a", encoding="utf-8") as handle:
        handle.write("X1,H000001,2024-01-01,Z\n")
    with pytest.raises(ImportRejected):
        import_dataset(bad, lake=lake, database_url=database_url)
    import_dataset(DATASET, lake=lake, database_url=database_url, check_only=True)
    with unit_of_work(database_url) as session:
        newest_first = batches.list_batches(session)
        outcomes = [(b.status, b.errors_count, b.username) for b in newest_first]
        imported = newest_first[-1]
        imported_id = imported.id
        assert imported.rows is not None and imported.rows["households"] == 1000
        assert imported.unmatched_count == 8 and imported.provinces == ["53"]
        assert imported.finished_at is not None
        assert newest_first[0].unmatched_count == 8  # a validation counts them too
    assert outcomes == [("validated", 0, "system"), ("failed", 1, "system"),
                        ("imported", 0, "system")]  # fmt: skip
    listed = subprocess.run([sys.executable, "-m", "povguard", "imports", "list"],
                            capture_output=True, text=True, check=False, env=os.environ.copy())  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("system") == 3 and "imported" in listed.stdout
    assert "23036" in listed.stdout  # rows of the imported batch
    shown = subprocess.run([sys.executable, "-m", "povguard", "imports", "show", imported_id[:8]],
                           capture_output=True, text=True, check=False, env=os.environ.copy())  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"households\s+│\s+1000", shown.stdout), shown.stdout


def test_a_county_officer_may_import_only_rows_of_the_own_county(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    import_dataset(DATASET, lake=lake, database_url=database_url)
    with pytest.raises(ImportRejected) as rejected:
        import_dataset(DATASET, lake=lake, database_url=database_url, actor=FUMIN)
    errors = rejected.value.errors.filter(pl.col("reason").str.starts_with("outside your region"))
    households = errors.filter(pl.col("file").str.ends_with("households.csv"))
    assert households.height == 1000 - 162 - 134
    assert set(households["value"].str.slice(0, 6)) == {"530129", "530323"}
    regions = errors.filter(pl.col("file").str.ends_with("regions.csv"))["value"].to_list()
    assert "530000000000" in regions and "530124001000" not in regions
    medical = errors.filter(pl.col("file").str.ends_with("medical.csv"))
    assert medical.height > 0 and set(medical["column"]) == {"id_number"}
    assert rejected.value.errors["reason"].str.contains("only an admin may import").any()

    own = tmp_path / "own"
    own.mkdir()
    households_csv = pl.read_csv(DATASET / "households.csv", infer_schema=False)
    households_csv.filter(pl.col("village_code").str.starts_with("530124")).write_csv(
        own / "households.csv"
    )
    report = import_dataset(own, lake=lake, database_url=database_url, actor=FUMIN)
    assert report.rows == {"households": 296}


def test_a_broken_policy_file_is_a_bad_row_at_validation(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    data = tmp_path / "policy-only"
    data.mkdir()
    (data / "policy.yaml").write_text("- province: '530000000000'\n  year: 2024\n",
                                      encoding="utf-8")  # fmt: skip
    with pytest.raises(ImportRejected) as rejected:
        import_dataset(data, lake=lake, database_url=database_url, check_only=True)
    errors = rejected.value.errors
    assert errors.height == 1 and errors["file"][0].endswith("policy.yaml")
    assert not (lake / "policy").exists()
