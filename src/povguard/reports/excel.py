"""Excel exports in openpyxl's write-only mode: rows stream to the file, so a region of any
size fits in memory. Each sheet has Chinese headers in bold, number and date formats, set
column widths and a frozen header row (and first column)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from povguard.analytics.kpi.schemas import Kpis, ObjectRow

DATE = "yyyy-mm-dd"
INTEGER = "#,##0"
PERCENT = "0.0%"
MONEY = "#,##0.00"
TEXT = "@"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="B3261E")
PROGRESS_EVERY = 5000

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    number_format: str | None = None


OBJECT_COLUMNS = [
    Column("户编号", 14, TEXT),
    Column("村代码", 15, TEXT),
    Column("村名", 14),
    Column("户主", 10),
    Column("户主身份证号", 21, TEXT),
    Column("监测类型", 12),
    Column("风险类型", 14),
    Column("状态", 10),
    Column("识别日期", 12, DATE),
    Column("消除日期", 12, DATE),
    Column("兜底保障", 9),
    Column("帮扶措施数", 11, INTEGER),
]
CLUE_COLUMNS = [
    Column("户编号", 14, TEXT),
    Column("村代码", 15, TEXT),
    Column("监测类型", 12),
    Column("命中规则", 16),
    Column("人均纯收入", 13, MONEY),
    Column("监测标准", 11, MONEY),
    Column("已在案件中", 11),
    Column("待核实", 18),
]
KPI_COLUMNS = [
    Column("区划代码", 15, TEXT),
    Column("区划名称", 18),
    Column("农户数", 11, INTEGER),
    Column("监测对象", 11, INTEGER),
    Column("其中已消除风险", 14, INTEGER),
    Column("本期新识别", 11, INTEGER),
    Column("本期风险消除", 12, INTEGER),
    Column("返贫致贫风险回流", 15, INTEGER),
    Column("线索到审批天数中位数", 19, "0.0"),
    Column("线索到审批天数P90", 17, "0.0"),
    Column("在办案件", 10, INTEGER),
    Column("超期案件", 10, INTEGER),
    Column("风险消除率", 11, PERCENT),
    Column("回流率", 9, PERCENT),
    Column("帮扶覆盖率", 11, PERCENT),
    Column("数据质量问题", 12, INTEGER),
]
CATEGORY_NAMES = {
    "unstable": "脱贫不稳定户",
    "marginal": "边缘易致贫户",
    "sudden_difficulty": "突发严重困难户",
}
STATUS_NAMES = {"monitored": "监测中", "eliminated": "已消除"}


def _sheet(workbook: Workbook, title: str, columns: list[Column]) -> WriteOnlyWorksheet:
    sheet: WriteOnlyWorksheet = workbook.create_sheet(title)
    sheet.freeze_panes = "B2"  # the header row and the first (identifying) column stay put
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    return sheet


def _row(sheet: WriteOnlyWorksheet, columns: list[Column], values: list[Any]) -> list[Any]:
    cells = []
    for column, value in zip(columns, values, strict=True):
        cell = WriteOnlyCell(sheet, value=value)
        if column.number_format and value is not None:
            cell.number_format = column.number_format
        cells.append(cell)
    return cells


def _stream(
    path: Path,
    title: str,
    columns: list[Column],
    rows: Iterable[list[Any]],
    progress: Progress | None,
) -> int:
    workbook = Workbook(write_only=True)
    sheet = _sheet(workbook, title, columns)
    count = 0
    for values in rows:
        sheet.append(_row(sheet, columns, values))
        count += 1
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
    workbook.save(path)
    return count


def _object_values(row: ObjectRow) -> list[Any]:
    return [
        row.household_id, row.village_code, row.village_name, row.head_name, row.head_id_number,
        CATEGORY_NAMES.get(row.category, row.category), "、".join(row.causes),
        STATUS_NAMES.get(row.status, row.status), row.identified_on, row.eliminated_on,
        "是" if row.secured_by_social_security else "", row.measures,
    ]  # fmt: skip


def write_objects(path: Path, rows: Iterable[ObjectRow], progress: Progress | None = None) -> int:
    """The monitoring objects sheet; returns the number of rows written."""
    return _stream(path, "监测对象", OBJECT_COLUMNS, map(_object_values, rows), progress)


def _number(text: str | None) -> float | None:
    return float(text) if text else None


def _clue_values(row: dict[str, Any]) -> list[Any]:
    return [
        row["household_id"], row["village_code"],
        CATEGORY_NAMES.get(row["category"], row["category"]), row["rules"],
        _number(row["pc_income"]), _number(row["line"]), "是" if row["in_open_case"] else "",
        row["to_verify"] or "",
    ]  # fmt: skip


def write_clues(
    path: Path, rows: Iterable[dict[str, Any]], progress: Progress | None = None
) -> int:
    """The clues of a screening run; returns the number of rows written."""
    return _stream(path, "筛查线索", CLUE_COLUMNS, map(_clue_values, rows), progress)


def kpi_values(code: str, name: str, kpis: Kpis) -> list[Any]:
    return [
        code, name, kpis.households, kpis.objects, kpis.objects_by_status.get("eliminated", 0),
        kpis.identified, kpis.eliminated, kpis.returned_to_risk,
        kpis.days_clue_to_approval.median_days, kpis.days_clue_to_approval.p90_days,
        kpis.open_cases, kpis.overdue_cases, kpis.elimination_rate, kpis.return_to_risk_rate,
        kpis.assistance_coverage, sum(kpis.quality_flags.values()),
    ]  # fmt: skip


def write_kpis(
    path: Path, total: tuple[str, str, Kpis], children: list[tuple[str, str, Kpis]]
) -> int:
    """One row per child region, then the region's own total row (in bold)."""
    workbook = Workbook(write_only=True)
    code, name, kpis = total
    sheet = _sheet(workbook, f"指标{kpis.period_from}至{kpis.period_to}", KPI_COLUMNS)
    for child in children:
        sheet.append(_row(sheet, KPI_COLUMNS, kpi_values(*child)))
    cells = _row(sheet, KPI_COLUMNS, kpi_values(code, f"{name}合计", kpis))
    for cell in cells:
        cell.font = Font(bold=True)
    sheet.append(cells)
    workbook.save(path)
    return len(children) + 1
