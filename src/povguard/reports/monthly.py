"""The monthly county report: key figures, charts (server-side SVG), a KPI table per township
and the data-quality flags, as HTML rendered to PDF (`printing.py`).

The list of monitoring objects is a document of its own (`roster.py`): a county's list runs to
thousands of rows, while this report's length does not depend on the county's size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from pathlib import Path

from sqlalchemy.orm import Session

from povguard.analytics.kpi import service as kpi
from povguard.analytics.kpi.period import Period, single_month
from povguard.analytics.kpi.schemas import Kpis
from povguard.auth.principal import Principal
from povguard.reports import svg
from povguard.reports.excel import CATEGORY_NAMES
from povguard.reports.printing import Progress, document, render_pdf

CAUSE_NAMES = {
    "01": "因病", "03": "因残", "04": "缺劳动力", "05": "因意外事故", "06": "产业项目失败",
    "07": "务工就业不稳", "08": "因疫情", "09": "因学", "99": "其他",
}  # fmt: skip
FLAG_NAMES = {
    "eliminated_below_line": "收入低于监测标准却已消除风险",
    "eliminated_within_2_months": "识别后2个月内即消除风险",
    "no_development_measure": "有劳动能力但无产业就业帮扶",
}


@dataclass(frozen=True)
class MonthlyData:
    code: str
    name: str
    month: Kpis
    year: Kpis
    children: list[tuple[str, str, Kpis]]
    generated: dt.date


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def cause_name(code: str) -> str:
    return "因灾" if code.startswith("02") else CAUSE_NAMES.get(code, code)


def collect(
    session: Session,
    principal: Principal,
    code: str,
    month: str,
    *,
    lake: Path,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> MonthlyData:
    """Every figure of the report for region `code` and `month` (YYYY-MM), scoped."""
    period = single_month(month)
    year = Period(dt.date(period.start.year, 1, 1), period.end)
    own = kpi.kpis(session, principal, code, period, lake=lake, today=today)
    year_kpis = kpi.kpis(session, principal, code, year, lake=lake, today=today)
    children = kpi.kpis_by_child(session, principal, code, period, lake=lake, today=today)
    rows = [(region.code, region.name, figures) for region, figures in children]
    if progress:
        progress(0.5)
    name = kpi.region_name(session, code)
    return MonthlyData(code, name, own, year_kpis, rows, today or dt.date.today())


def _figures(data: MonthlyData) -> str:
    month, year = data.month, data.year
    eliminated = month.objects_by_status.get("eliminated", 0)
    cells = [
        ("监测对象（累计）", month.objects), ("其中风险已消除", eliminated),
        ("仍在监测", month.objects - eliminated), ("兜底保障", month.secured_by_social_security),
        ("本月新识别", month.identified), ("本月风险消除", month.eliminated),
        ("本年新识别", year.identified), ("本年风险消除", year.eliminated),
        ("线索到审批天数（中位数）", _num(month.days_clue_to_approval.median_days)),
        ("线索到审批天数（P90）", _num(month.days_clue_to_approval.p90_days)),
        ("在办案件", month.open_cases), ("超期案件", month.overdue_cases),
        ("风险消除率", _pct(month.elimination_rate)),
        ("返贫回流率", _pct(month.return_to_risk_rate)),
        ("帮扶覆盖率", _pct(month.assistance_coverage)), ("农户数", month.households),
    ]  # fmt: skip
    rows = []
    for start in range(0, len(cells), 4):
        tds = "".join(
            f'<td><div class="muted">{escape(label)}</div>'
            f'<div class="big">{escape(str(value))}</div></td>'
            for label, value in cells[start : start + 4]
        )
        rows.append(f"<tr>{tds}</tr>")
    return f'<table class="figures" id="figures">{"".join(rows)}</table>'


def _charts(data: MonthlyData) -> str:
    months = [m.month[5:] + "月" for m in data.year.months]
    trend = svg.line_chart(
        months,
        {
            "新识别": [m.identified for m in data.year.months],
            "风险消除": [m.eliminated for m in data.year.months],
        },
    )
    causes = sorted(data.month.objects_by_cause.items(), key=lambda item: -item[1])[:10]
    by_cause = svg.bar_chart([cause_name(c) for c, _ in causes], [n for _, n in causes])
    categories = sorted(data.month.objects_by_category.items())
    by_category = svg.bar_chart(
        [CATEGORY_NAMES.get(c, c) for c, _ in categories], [n for _, n in categories]
    )
    return (
        f'<h2>本年各月新识别与风险消除</h2><div class="chart">{trend}</div>'
        f'<h2>监测对象风险类型</h2><div class="chart">{by_cause}</div>'
        f'<h2>监测对象类型</h2><div class="chart">{by_category}</div>'
    )


def _kpi_table(data: MonthlyData) -> str:
    head = "".join(
        f'<th class="{"num" if i > 0 else ""}">{h}</th>'
        for i, h in enumerate(
            [
                "区划",
                "监测对象",
                "本月识别",
                "本月消除",
                "在办",
                "超期",
                "消除率",
                "覆盖率",
                "质量问题",
            ]
        )
    )
    rows = [*data.children, (data.code, f"{data.name}合计", data.month)]
    body = "".join(
        f"<tr><td>{escape(name)}</td><td class='num'>{k.objects}</td>"
        f"<td class='num'>{k.identified}</td><td class='num'>{k.eliminated}</td>"
        f"<td class='num'>{k.open_cases}</td><td class='num'>{k.overdue_cases}</td>"
        f"<td class='num'>{_pct(k.elimination_rate)}</td>"
        f"<td class='num'>{_pct(k.assistance_coverage)}</td>"
        f"<td class='num'>{sum(k.quality_flags.values())}</td></tr>"
        for _, name, k in rows
    )
    flags = "".join(
        f"<tr><td>{escape(FLAG_NAMES.get(flag, flag))}</td><td class='num'>{count}</td></tr>"
        for flag, count in data.month.quality_flags.items()
    )
    return (
        f'<h2 class="new-page">各地区主要指标（{data.month.period_from}）</h2>'
        f'<table id="children"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        f'<h2>数据质量问题</h2><table><thead><tr><th>问题</th><th class="num">户数</th></tr>'
        f"</thead><tbody>{flags}</tbody></table>"
    )


def render_html(data: MonthlyData) -> str:
    """The report as one HTML document."""
    month = data.month.period_from
    title = f"{data.name}防止返贫动态监测月报（{month[:4]}年{int(month[5:])}月）"
    subtitle = (
        f"区划代码 {data.code} · 统计截至 {data.month.as_of:%Y-%m-%d} · "
        f"生成日期 {data.generated:%Y-%m-%d} · 身份证号已脱敏"
    )
    body = f"<h2>主要指标</h2>{_figures(data)}{_charts(data)}{_kpi_table(data)}"
    return document(title, subtitle, body)


def write_pdf(
    session: Session,
    principal: Principal,
    code: str,
    month: str,
    out: Path,
    *,
    lake: Path,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the monthly report of region `code` to `out`; returns the number of pages."""
    data = collect(session, principal, code, month, lake=lake, today=today, progress=progress)
    html = render_html(data)
    if progress:
        progress(0.6)
    return render_pdf(html, out, progress)
