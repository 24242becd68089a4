"""Measures by region over the imported lake agree with the same measures computed directly
from the dataset's files (per-capita income of the periods inside the months, person weights)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from povguard.analytics import measures as m
from povguard.analytics.regional import by_region, lake_incomes
from povguard.ingest.service import import_dataset
from povguard.synth.service import synthesise

FIRST, LAST = dt.date(2023, 7, 1), dt.date(2024, 6, 30)
LINE = 7000.0


def _expected(dataset: Path, depth: int) -> dict[str, dict[str, float | None]]:
    """Per-capita incomes from the raw files, in Python, then `measures.summary` per region."""
    income = pl.read_csv(dataset / "income.csv", infer_schema=False)
    inside = income.filter(
        (pl.col("period_start") >= f"{FIRST:%Y-%m}") & (pl.col("period_end") <= f"{LAST:%Y-%m}")
    )
    parts = ["wage", "operating", "property", "transfer"]
    net = inside.select(
        "household_id",
        (pl.sum_horizontal(pl.col(parts).cast(pl.Float64).fill_null(0))
         - pl.col("production_cost").cast(pl.Float64).fill_null(0)).alias("net"),
    ).group_by("household_id").agg(pl.col("net").sum())  # fmt: skip
    members = pl.read_csv(dataset / "members.csv", infer_schema=False)
    sizes = members.filter(pl.col("in_household") == "true").group_by("household_id").len("size")
    households = pl.read_csv(dataset / "households.csv", infer_schema=False)
    rows = households.join(sizes, on="household_id").join(net, on="household_id")
    expected = {}
    for (region,), part in rows.group_by(pl.col("village_code").str.slice(0, depth)):
        incomes = (part["net"] / part["size"]).to_list()
        expected[str(region)] = m.summary(incomes, LINE, part["size"].cast(float).to_list())
    return expected


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_measures_by_county_over_the_lake(database_url: str, lake: Path, tmp_path: Path) -> None:
    dataset = tmp_path / "data"
    synthesise(dataset, households=400, seed=3, as_of=dt.date(2024, 7, 15))
    import_dataset(dataset, lake=lake, database_url=database_url)
    table = by_region(duckdb.connect(), lake_incomes(lake, FIRST, LAST, depth=6), LINE)
    expected = _expected(dataset, depth=6)
    assert sorted(table["region"]) == sorted(expected) and len(expected) > 1
    for record in table.iter_rows(named=True):
        for key in ("headcount", "gap", "fgt2", "watts", "gini", "theil"):
            want = expected[record["region"]][key]
            assert record[key] == pytest.approx(want, rel=1e-9, abs=1e-12), key
