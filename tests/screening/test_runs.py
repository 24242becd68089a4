"""Stored runs over the lake: queued, executed as a job, read back within the caller's scope."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from povguard.auth.principal import SYSTEM, Principal, Role
from povguard.core.errors import BadInput, Forbidden, NotFound
from povguard.core.uow import unit_of_work
from povguard.screening import runs
from povguard.screening.service import screen_folder
from tests.conftest import EXAMPLES
from tests.screening.lake_util import dataset_to_lake

DATASET = EXAMPLES / "screening-yunnan-2024"
AS_OF = dt.date(2024, 7, 15)
COUNTY = Principal("officer", Role.COUNTY, "530129000000")
TOWNSHIP = Principal("township", Role.TOWNSHIP, "530129003000")


@pytest.fixture
def example_lake(tmp_path: Path) -> Path:
    return dataset_to_lake(DATASET, tmp_path / "lake")


def _run(database_url: str, lake: Path, principal: Principal, region: str, **kw: object) -> str:
    with unit_of_work(database_url) as session:
        run_id = runs.create_run(session, principal, as_of=AS_OF, region_code=region).id
    runs.execute_run(run_id, lake=lake, database_url=database_url, **kw)  # type: ignore[arg-type]
    return run_id


def test_a_national_run_is_visible_to_every_scope(database_url: str, example_lake: Path) -> None:
    run_id = _run(database_url, example_lake, SYSTEM, runs.NATIONAL)
    with unit_of_work(database_url) as session:
        assert runs.get_run(session, TOWNSHIP, run_id).clue_count == 438
        page = runs.list_clues(session, TOWNSHIP, example_lake, run_id, size=1000)
        with pytest.raises(NotFound):
            runs.create_run(session, COUNTY, as_of=AS_OF, region_code=runs.NATIONAL)
    assert page.items and all(i.village_code.startswith("530129003") for i in page.items)


def test_a_run_over_the_province_stores_exactly_the_folder_clues(
    database_url: str, example_lake: Path
) -> None:
    run_id = _run(database_url, example_lake, SYSTEM, "530000000000")
    direct = screen_folder(DATASET, AS_OF)
    with unit_of_work(database_url) as session:
        run = runs.get_run(session, SYSTEM, run_id)
        assert (run.state, run.progress, run.error) == ("done", 1.0, None)
        assert run.households == 1000
        assert run.clue_count == 438 and run.counts == direct.counts
        assert run.missing_income == direct.missing_income.height
        assert run.policy_version == direct.policy_version
        page = runs.list_clues(session, SYSTEM, example_lake, run_id, page=1, size=1000)
    assert page.total == 438
    stored = [(c.household_id, c.category, c.rules, c.pc_income, c.line) for c in page.items]
    columns = ["household_id", "category", "rules", "pc_income", "line"]
    assert stored == list(direct.clues.select(columns).fill_null("").iter_rows())
    assert page.items[0].clue_id == f"{run_id}:{page.items[0].household_id}"
    assert [
        json.dumps(c.evidence, ensure_ascii=False, separators=(",", ":")) for c in page.items
    ] == direct.clues["evidence"].to_list()


def test_scope_filters_runs_and_clues(database_url: str, example_lake: Path) -> None:
    run_id = _run(database_url, example_lake, COUNTY, "530129000000")
    with unit_of_work(database_url) as session:
        county_page = runs.list_clues(session, COUNTY, example_lake, run_id, size=1000)
        township_page = runs.list_clues(session, TOWNSHIP, example_lake, run_id, size=1000)
        other = Principal("other", Role.COUNTY, "530124000000")
        with pytest.raises(NotFound):
            runs.get_run(session, other, run_id)
        assert runs.list_runs(session, other) == []
        assert [r.id for r in runs.list_runs(session, TOWNSHIP)] == [run_id]
        county_view = runs.get_run_view(session, COUNTY, example_lake, run_id)
        township_view = runs.get_run_view(session, TOWNSHIP, example_lake, run_id)
        township_r04 = runs.list_clues(session, TOWNSHIP, example_lake, run_id, rule="R04")
        listed = runs.list_run_views(session, TOWNSHIP, example_lake)
    villages = {item.village_code[:6] for item in county_page.items}
    assert villages == {"530129"}
    assert 0 < township_page.total < county_page.total
    assert all(i.village_code.startswith("530129003") for i in township_page.items)
    # The county's run, read in one of its townships, gives the township's figures only.
    assert county_view.clue_count == county_page.total and county_view.households
    missing = screen_folder(DATASET, AS_OF).missing_income["village_code"]
    assert township_view.clue_count == township_view.counts["clues"] == township_page.total
    assert township_view.counts["R04"] == township_r04.total
    assert township_view.missing_income == missing.str.starts_with("530129003").sum()
    assert township_view.to_verify == sum(bool(item.to_verify) for item in township_page.items)
    assert township_view.households is None  # not stored per township
    assert listed == [township_view]


def test_filters_and_paging(database_url: str, example_lake: Path) -> None:
    run_id = _run(database_url, example_lake, SYSTEM, "530000000000")
    with unit_of_work(database_url) as session:
        r04 = runs.list_clues(session, SYSTEM, example_lake, run_id, rule="R04", size=1000)
        marginal = runs.list_clues(session, SYSTEM, example_lake, run_id, category="marginal")
        second = runs.list_clues(session, SYSTEM, example_lake, run_id, page=2, size=10)
        first = runs.list_clues(session, SYSTEM, example_lake, run_id, page=1, size=10)
        with pytest.raises(BadInput, match="unknown rule"):
            runs.list_clues(session, SYSTEM, example_lake, run_id, rule="R99")
    assert r04.total == 33 and all("R04" in i.rules.split(";") for i in r04.items)
    assert marginal.total == 25
    assert first.items[-1].household_id < second.items[0].household_id


def test_open_cases_are_flagged_and_count_as_monitored_for_r04(
    database_url: str, example_lake: Path
) -> None:
    baseline = screen_folder(DATASET, AS_OF).clues
    # An ordinary household whose medical burden lies between the two R04 thresholds.
    candidates = [
        row["household_id"]
        for row in baseline.iter_rows(named=True)
        if "R04" not in row["rules"] and "med_oop_c" in row["evidence"]
    ]
    run_id = _run(
        database_url, example_lake, SYSTEM, "530000000000",
        open_cases={"H000004": False, **dict.fromkeys(candidates, True)},
    )  # fmt: skip
    with unit_of_work(database_url) as session:
        page = runs.list_clues(session, SYSTEM, example_lake, run_id, size=1000)
    by_id = {item.household_id: item for item in page.items}
    assert by_id["H000004"].in_open_case is True
    assert sum(item.in_open_case for item in page.items) >= 1
    for household in candidates:
        evidence = json.loads(baseline.filter(pl.col("household_id") == household)["evidence"][0])
        cost = max(float(v["med_oop_c"]) for v in evidence.values() if "med_oop_c" in v)
        fires = "R04" in by_id[household].rules.split(";")
        assert fires == (cost > 0.5 * 16361), household


def test_who_may_start_a_run(database_url: str) -> None:
    with unit_of_work(database_url) as session:
        with pytest.raises(Forbidden):
            runs.create_run(session, TOWNSHIP, as_of=AS_OF, region_code="530129003000")
        with pytest.raises(NotFound):
            runs.create_run(session, COUNTY, as_of=AS_OF, region_code="530124000000")
        with pytest.raises(BadInput, match="not a 12-digit region code"):
            runs.create_run(session, COUNTY, as_of=AS_OF, region_code="5301")


def test_a_failing_run_is_stored_as_failed(database_url: str, tmp_path: Path) -> None:
    with unit_of_work(database_url) as session:
        run_id = runs.create_run(session, SYSTEM, as_of=AS_OF, region_code="530000000000").id
    with pytest.raises(BadInput, match="run `povguard import` first"):
        runs.execute_run(run_id, lake=tmp_path / "empty-lake", database_url=database_url)
    with unit_of_work(database_url) as session:
        run = runs.get_run(session, SYSTEM, run_id)
    assert run.state == "failed" and "run `povguard import` first" in (run.error or "")


def test_cli_from_lake_stores_a_run_and_writes_the_clues(
    configured: tuple[str, Path], tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    database_url, lake = configured
    dataset_to_lake(DATASET, lake)
    out = tmp_path / "clues.csv"
    done = subprocess.run(
        [sys.executable, "-m", "povguard", "screen", "--from-lake", "--as-of", "2024-07-15",
         "--region", "530129000000", "--out", str(out)],
        capture_output=True, text=True, check=False, env=os.environ.copy(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "screening run" in done.stdout
    written = pl.read_csv(out, infer_schema=False)
    direct = screen_folder(DATASET, AS_OF).clues
    expected = direct.filter(pl.col("village_code").str.starts_with("530129"))
    assert written["household_id"].to_list() == expected["household_id"].to_list()
    with unit_of_work(database_url) as session:
        (run,) = runs.list_runs(session, SYSTEM)
    assert run.region_code == "530129000000" and run.clue_count == written.height
