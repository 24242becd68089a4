"""The list of monitoring objects for printing (监测对象名单): every object of a region
identified by the end of a month, with its status on that day, ID numbers always masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape
from pathlib import Path

from sqlalchemy.orm import Session

from povguard.analytics.kpi import service as kpi
from povguard.analytics.kpi.period import single_month
from povguard.analytics.kpi.schemas import ObjectRow
from povguard.auth.principal import Principal
from povguard.reports.excel import CATEGORY_NAMES, STATUS_NAMES
from povguard.reports.monthly import cause_name
from povguard.reports.printing import Progress, document, render_pdf

# (header, width in %): a fixed table layout spares WeasyPrint from measuring every cell of a
# list that runs to thousands of rows.
COLUMNS = [
    ("序号", 6), ("村", 10), ("户主", 8), ("身份证号", 18), ("类型", 13), ("风险类型", 20),
    ("识别日期", 11), ("状态", 8), ("措施", 6),
]  # fmt: skip


def _rows(objects: Iterable[ObjectRow]) -> Iterable[str]:
    for number, row in enumerate(objects, start=1):
        yield (
            f"<tr><td class='num'>{number}</td>"
            f"<td>{escape(row.village_name or row.village_code)}</td>"
            f"<td>{escape(row.head_name or '')}</td><td>{escape(row.head_id_number or '')}</td>"
            f"<td>{escape(CATEGORY_NAMES.get(row.category, row.category))}</td>"
            f"<td class='wrap'>{escape('、'.join(cause_name(c) for c in row.causes))}</td>"
            f"<td>{row.identified_on:%Y-%m-%d}</td>"
            f"<td>{escape(STATUS_NAMES.get(row.status, row.status))}</td>"
            f"<td class='num'>{row.measures}</td></tr>"
        )


def _table(objects: Iterable[ObjectRow]) -> str:
    columns = "".join(f'<col style="width: {width}%">' for _, width in COLUMNS)
    head = "".join(f"<th>{name}</th>" for name, _ in COLUMNS)
    body = "".join(_rows(objects)) or f'<tr><td colspan="{len(COLUMNS)}">无</td></tr>'
    return (
        f'<table class="list" id="objects"><colgroup>{columns}</colgroup>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def write_pdf(
    session: Session,
    principal: Principal,
    code: str,
    month: str,
    out: Path,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the object list of region `code` at the end of `month`; returns the pages."""
    end = single_month(month).end
    name = kpi.region_name(session, code)
    objects = kpi.iter_objects(session, principal, code, end=end, always_mask=True)
    title = f"{name}防返贫监测对象名单（截至{end.year}年{end.month}月{end.day}日）"
    subtitle = f"区划代码 {code} · 生成日期 {today or dt.date.today():%Y-%m-%d} · 身份证号已脱敏"
    html = document(title, subtitle, _table(objects))
    if progress:
        progress(0.5)
    return render_pdf(html, out, progress)
