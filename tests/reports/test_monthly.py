"""The monthly county report and the printable object list: PDFs with the expected pages whose
text holds the region names, the key figures, the right objects and masked ID numbers only."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy.orm import Session

from povguard.analytics.kpi import service as kpi
from povguard.analytics.kpi.period import single_month
from povguard.cases.models import MonitoringObject
from povguard.households.models import Household
from povguard.reports import monthly, roster, svg
from tests.cases import factories

MONTH = "2024-06"
MASKED_ID = re.compile(r"\b\d{6}\*{8}\d{3}[\dX]\b")


def pdf_text(path: Path) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
    )
    return result.stdout.decode()


def test_monthly_report_pages_and_text(history: Session, tmp_path: Path) -> None:
    out = tmp_path / "monthly.pdf"
    shares: list[float] = []
    pages = monthly.write_pdf(
        history, factories.COUNTY_OFFICER, factories.COUNTY, MONTH, out, lake=tmp_path,
        progress=shares.append,
    )  # fmt: skip
    assert pages == len(PdfReader(out).pages) >= 3
    assert shares == sorted(shares) and shares[-1] == 0.9
    text = pdf_text(out)
    sections = text.split("\f")  # pdftotext ends every page with a form feed
    assert "主要指标" in sections[0] and "本年各月新识别与风险消除" in sections[0]
    # The KPI table by township and the data-quality flags start the last page.
    assert "各地区主要指标" in sections[pages - 1] and "数据质量问题" in sections[pages - 1]
    footers = [re.findall(r"第\s*(\d+)\s*页\s*/\s*共\s*(\d+)\s*页", page) for page in sections]
    assert [f[0] for f in footers if f] == [(str(n), str(pages)) for n in range(1, pages + 1)]
    figures = kpi.kpis(
        history, factories.COUNTY_OFFICER, factories.COUNTY, single_month(MONTH), lake=tmp_path
    )
    assert "五华区防止返贫动态监测月报（2024年6月）" in text
    for name in ("甲镇", "乙镇", "五华区合计"):
        assert name in text
    table = next(line for line in text.splitlines() if "五华区合计" in line).split()
    assert table[1:4] == [str(figures.objects), str(figures.identified), str(figures.eliminated)]
    assert monthly._pct(figures.elimination_rate) in text
    assert monthly._pct(figures.assistance_coverage) in text
    ids = [h.head_id_number for h in history.query(Household).all() if h.head_id_number]
    assert ids and not any(number in text for number in ids)
    assert "监测对象名单" not in text  # the list is a document of its own (the roster)


def _objects(session: Session, where: sa.ColumnElement[bool]) -> int:
    count = sa.select(sa.func.count()).select_from(MonitoringObject).where(where)
    return int(session.scalar(count) or 0)


def test_roster_lists_every_object_by_the_month_end(history: Session, tmp_path: Path) -> None:
    out = tmp_path / "roster.pdf"
    shares: list[float] = []
    pages = roster.write_pdf(
        history, factories.COUNTY_OFFICER, factories.COUNTY, MONTH, out, progress=shares.append
    )
    assert pages == len(PdfReader(out).pages) >= 1
    assert shares == sorted(shares) and shares[-1] == 0.9
    text = pdf_text(out)
    assert "五华区防返贫监测对象名单（截至2024年6月30日）" in text
    identified = _objects(history, MonitoringObject.identified_on <= single_month(MONTH).end)
    assert len(MASKED_ID.findall(text)) == identified > 0
    for village in ("山脚村", "河边村", "岭上村"):
        assert village in text
    ids = [h.head_id_number for h in history.query(Household).all() if h.head_id_number]
    assert not any(number in text for number in ids)


def test_roster_scope(history: Session, tmp_path: Path) -> None:
    out = tmp_path / "roster-b.pdf"
    roster.write_pdf(history, factories.TOWNSHIP_B_OFFICER, factories.TOWNSHIP_B, MONTH, out)
    text = pdf_text(out)
    assert "岭上村" in text and "山脚村" not in text and "河边村" not in text


def test_monthly_report_scope(history: Session, tmp_path: Path) -> None:
    out = tmp_path / "b.pdf"
    monthly.write_pdf(
        history, factories.TOWNSHIP_B_OFFICER, factories.TOWNSHIP_B, MONTH, out, lake=tmp_path
    )
    text = pdf_text(out)
    assert "岭上村" in text and "山脚村" not in text


def test_svg_charts_are_wellformed() -> None:
    from xml.etree import ElementTree

    line = svg.line_chart(["1月", "2月"], {"新识别": [3, 5], "风险消除": [0, 2]})
    bars = svg.bar_chart(["因病", "因残"], [4, 0])
    for chart in (line, bars):
        root = ElementTree.fromstring(chart)
        assert root.tag.endswith("svg")
    assert line.count("<circle") == 4 and bars.count("<rect") == 2
    assert [svg._nice_max(v) for v in (37, 5, 0, 0.3, 1000)] == [40, 8, 4, 4, 1000]
