"""The monthly county report: a PDF with the expected pages whose text holds the region names,
the key figures and masked ID numbers only."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy.orm import Session

from povguard.analytics.kpi import service as kpi
from povguard.analytics.kpi.period import single_month
from povguard.households.models import Household
from povguard.reports import monthly, svg
from tests.cases import factories

MONTH = "2024-06"


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
    assert (
        next(i for i, page in enumerate(sections) if "各地区主要指标" in page) < len(sections) - 2
    )
    assert "监测对象名单" in sections[-2] or "监测对象名单" in sections[-3]
    footers = [re.findall(r"第\s*(\d+)\s*页\s*/\s*共\s*(\d+)\s*页", page) for page in sections]
    assert [f[0] for f in footers if f] == [(str(n), str(pages)) for n in range(1, pages + 1)]
    figures = kpi.kpis(
        history, factories.COUNTY_OFFICER, factories.COUNTY, single_month(MONTH), lake=tmp_path
    )
    assert "五华区防止返贫动态监测月报（2024年6月）" in text
    for name in ("甲镇", "乙镇", "五华区合计", "山脚村", "河边村", "岭上村"):
        assert name in text
    table = next(line for line in text.splitlines() if "五华区合计" in line).split()
    assert table[1:4] == [str(figures.objects), str(figures.identified), str(figures.eliminated)]
    assert monthly._pct(figures.elimination_rate) in text
    assert monthly._pct(figures.assistance_coverage) in text
    ids = [h.head_id_number for h in history.query(Household).all() if h.head_id_number]
    assert ids and not any(number in text for number in ids)
    assert text.count("监测对象名单") == 1


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
