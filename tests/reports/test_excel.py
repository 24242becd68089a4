"""Excel exports open with openpyxl, have Chinese headers, formats and frozen panes, and their
totals equal the KPIs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from povguard.analytics.kpi import service as kpi
from povguard.analytics.kpi.period import period
from povguard.core.errors import BadInput, NotFound
from povguard.households.models import Household
from povguard.reports import excel, service
from povguard.reports.schemas import ReportCreate, ReportKind
from povguard.screening import runs
from tests.cases import factories

SPAN = {"from": "2024-01", "to": "2024-12"}


def test_kpi_table_totals_equal_the_kpis(history: Session, tmp_path: Path) -> None:
    out = tmp_path / "kpis.xlsx"
    shares: list[float] = []
    rows = service.build(
        history,
        factories.COUNTY_OFFICER,
        ReportKind.KPIS,
        factories.COUNTY,
        SPAN,
        out,
        lake=tmp_path,
        progress=shares.append,
    )
    assert shares == [0.9]  # the townships come from one grouped pass
    sheet = load_workbook(out).worksheets[0]
    assert sheet.freeze_panes == "B2"
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["区划代码", "区划名称", "农户数", "监测对象"]
    table = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(table) == rows == 3  # two townships and the county total
    total = kpi.kpis(
        history,
        factories.COUNTY_OFFICER,
        factories.COUNTY,
        period("2024-01", "2024-12"),
        lake=tmp_path,
    )
    assert table[-1][:2] == (factories.COUNTY, "五华区合计")
    assert list(table[-1][2:8]) == [
        total.households, total.objects, total.objects_by_status["eliminated"],
        total.identified, total.eliminated, total.returned_to_risk,
    ]  # fmt: skip
    for column in range(2, 8):  # the townships add up to the county
        assert sum(row[column] for row in table[:-1]) == table[-1][column]
    assert table[-1][12] == pytest.approx(total.elimination_rate)
    assert sheet.cell(row=4, column=13).number_format == excel.PERCENT


def test_objects_export_masks_for_read_only_roles(history: Session, tmp_path: Path) -> None:
    out = tmp_path / "objects.xlsx"
    count = service.build(
        history, factories.AUDITOR, ReportKind.OBJECTS, factories.COUNTY, {}, out, lake=tmp_path
    )
    sheet = load_workbook(out, read_only=False).worksheets[0]
    assert sheet.freeze_panes == "B2" and sheet.title == "监测对象"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    figures = kpi.kpis(
        history, factories.AUDITOR, factories.COUNTY, period("2024-01", "2024-12"), lake=tmp_path
    )
    assert count == len(rows) == figures.objects
    assert all("*" in row[4] for row in rows)
    assert (
        isinstance(rows[0][8], dt.datetime)
        and sheet.cell(row=2, column=9).number_format == excel.DATE
    )
    officer = tmp_path / "officer.xlsx"
    service.build(
        history,
        factories.COUNTY_OFFICER,
        ReportKind.OBJECTS,
        factories.COUNTY,
        {},
        officer,
        lake=tmp_path,
    )
    ids = {h.head_id_number for h in history.query(Household).all()}
    assert {
        row[4]
        for row in load_workbook(officer).worksheets[0].iter_rows(min_row=2, values_only=True)
    } <= ids


def test_clue_export_is_scoped(history: Session, tmp_path: Path) -> None:
    run = runs.create_run(
        history, factories.COUNTY_OFFICER, as_of=dt.date(2024, 6, 30), region_code=factories.COUNTY
    )
    run.state = "done"
    history.flush()
    folder = runs.run_folder(tmp_path, run.id) / "clues"
    folder.mkdir(parents=True)
    pl.DataFrame({
        "household_id": ["H1", "H2", "H3"],
        "village_code": [factories.VILLAGE_A, factories.VILLAGE_B, factories.VILLAGE_A2],
        "category": ["marginal", "unstable", "marginal"],
        "rules": ["R01", "R03;R05", "R02"],
        "pc_income": ["5100.50", None, "6900.00"],
        "line": ["6000.00", "6000.00", "6000.00"],
        "in_open_case": [False, True, False],
        "to_verify": ["vehicle", None, ""],
    }).write_parquet(folder / "part-00000.parquet")  # fmt: skip
    out = tmp_path / "clues.xlsx"
    request = ReportCreate.model_validate(
        {"kind": "clues", "region": factories.TOWNSHIP_A, "run_id": run.id}
    )
    service.check_request(history, factories.TOWNSHIP_A_OFFICER, request)
    count = service.build(
        history,
        factories.TOWNSHIP_A_OFFICER,
        request.kind,
        request.region,
        request.params(),
        out,
        lake=tmp_path,
    )
    rows = list(load_workbook(out).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert count == 2 and [r[0] for r in rows] == ["H1", "H3"]
    assert rows[0][4] == 5100.5
    with pytest.raises(NotFound):
        service.check_request(history, factories.TOWNSHIP_B_OFFICER, request)
    span = period("2024-01", "2024-12")
    grouped = kpi.kpis_by_child(
        history, factories.COUNTY_OFFICER, factories.COUNTY, span, lake=tmp_path
    )
    clues = {
        child.code: (k.clues, {r.rule: r.clues for r in k.rules if r.clues}) for child, k in grouped
    }
    assert clues == {
        factories.TOWNSHIP_A: (2, {"R01": 1, "R02": 1}),
        factories.TOWNSHIP_B: (1, {"R03": 1, "R05": 1}),
    }
    assert (
        kpi.kpis(history, factories.COUNTY_OFFICER, factories.COUNTY, span, lake=tmp_path).clues
        == 3
    )
    everywhere = tmp_path / "all.xlsx"
    assert service.build(history, factories.ADMIN, ReportKind.CLUES, kpi.NATIONAL,
                         {"run_id": run.id}, everywhere, lake=tmp_path) == 3  # fmt: skip


@pytest.mark.parametrize(
    "values",
    [
        {"kind": "monthly", "region": factories.COUNTY},
        {"kind": "kpis", "region": factories.COUNTY, "from": "2024-05"},
        {"kind": "clues", "region": factories.COUNTY},
        {"kind": "kpis", "region": factories.COUNTY, "from": "2024-05", "to": "2024-01"},
    ],
)
def test_incomplete_requests_are_refused(session: Session, values: dict[str, str]) -> None:
    with pytest.raises(BadInput):
        service.check_request(
            session, factories.COUNTY_OFFICER, ReportCreate.model_validate(values)
        )
