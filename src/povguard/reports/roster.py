"""The list of monitoring objects for printing (监测对象名单): every object of a region
identified by the end of a month, with its status on that day, ID numbers always masked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from povguard.analytics.kpi import service as kpi
from povguard.analytics.kpi.period import single_month
from povguard.auth.principal import Principal
from povguard.reports.monthly import Progress, document, object_list, render_pdf


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
    html = document(title, subtitle, object_list("监测对象名单", objects))
    if progress:
        progress(0.5)
    return render_pdf(html, out, progress)
