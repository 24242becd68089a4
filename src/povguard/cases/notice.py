"""The village publicity notice (SPEC §7 step 5): HTML and a printable PDF.

The notice names the household head, the village, the category and the causes — never an ID
number, phone, bank account or health detail: those fields are simply not in `NoticeEntry`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.cases.common import in_scope
from povguard.cases.enums import DISASTER_CAUSE_RE, CaseKind, CaseState
from povguard.cases.models import Case
from povguard.cases.service import load_case
from povguard.core.errors import BadInput, Conflict
from povguard.households.models import Member

CATEGORY_LABELS = {
    "unstable": "脱贫不稳定户",
    "marginal": "边缘易致贫户",
    "sudden_difficulty": "突发严重困难户",
}
CAUSE_LABELS = {
    "01": "因病",
    "03": "因残",
    "04": "缺劳动力",
    "05": "因意外事故",
    "06": "因产业项目失败",
    "07": "因务工就业不稳",
    "08": "因疫情",
    "09": "因学",
    "99": "其他",
}
TITLES = {
    CaseKind.IDENTIFICATION: "防止返贫监测对象识别公示",
    CaseKind.ELIMINATION: "防止返贫监测对象风险消除公示",
}


def cause_label(code: str) -> str:
    return "因自然灾害" if DISASTER_CAUSE_RE.match(code) else CAUSE_LABELS.get(code, code)


@dataclass(frozen=True)
class NoticeEntry:
    head_name: str
    village_name: str
    category: str
    causes: str


@dataclass(frozen=True)
class Notice:
    title: str
    village_code: str
    village_name: str
    start: dt.date
    end: dt.date
    entries: list[NoticeEntry]


def _village_name(session: Session, code: str) -> str:
    regions = sa.table("regions", sa.column("code"), sa.column("name"))
    name = session.scalar(sa.select(regions.c.name).where(regions.c.code == code))
    return str(name) if name else code


def _head_name(session: Session, household_id: str) -> str:
    query = sa.select(Member.name).where(
        Member.household_id == household_id, Member.relation == "head"
    )
    return session.scalar(query) or household_id


def build_notice(
    session: Session,
    principal: Principal,
    case_ids: list[int],
    *,
    start: dt.date,
    days: int | None = None,
) -> Notice:
    """The notice of a batch of cases of one village and one kind, published from `start`."""
    if not case_ids:
        raise BadInput("a notice needs at least one case", field="case_ids")
    cases = [load_case(session, principal, case_id) for case_id in case_ids]
    villages = {c.village_code for c in cases}
    kinds = {c.kind for c in cases}
    if len(villages) > 1 or len(kinds) > 1:
        raise BadInput("a notice covers cases of one village and one kind", field="case_ids")
    village = villages.pop()
    village_name = _village_name(session, village)
    entries = [
        NoticeEntry(
            head_name=_head_name(session, c.household_id),
            village_name=village_name,
            category=CATEGORY_LABELS.get(c.category or "", "待定"),
            causes="、".join(cause_label(code) for code in c.causes) or "—",
        )
        for c in cases
    ]
    span = days if days is not None else max(c.publicity_days for c in cases)
    return Notice(
        title=TITLES[CaseKind(kinds.pop())],
        village_code=village,
        village_name=village_name,
        start=start,
        end=start + dt.timedelta(days=span),
        entries=entries,
    )


def batch_of(
    session: Session, principal: Principal, case_id: int, *, today: dt.date | None = None
) -> tuple[list[int], dt.date]:
    """The cases published with `case_id` and the notice's first day.

    A batch is the cases of one village and kind whose publicity started the same day; before
    it starts, every case of that village and kind waiting at the publicity step.
    """
    case = load_case(session, principal, case_id)
    start = case.publicity_started_on
    if start is None and case.state != CaseState.PUBLICITY:
        raise Conflict(f"case {case_id} has not reached the village publicity")
    query = sa.select(Case.id).where(Case.village_code == case.village_code, Case.kind == case.kind)
    if start is not None:
        query = query.where(Case.publicity_started_on == start)
    else:
        query = query.where(
            Case.state == CaseState.PUBLICITY.value, Case.publicity_started_on.is_(None)
        )
    ids = sorted(session.scalars(in_scope(query, principal, Case.village_code)))
    return ids, start or today or dt.date.today()


STYLE = """
@page { size: A4; margin: 18mm; }
body { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif; font-size: 11pt; }
h1 { text-align: center; font-size: 18pt; }
table { width: 100%; border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #333; padding: 4pt 6pt; text-align: left; }
p.period, p.footer { margin: 0.5em 0; }
"""


def notice_html(notice: Notice) -> str:
    """The notice as a standalone HTML page (every value escaped)."""
    rows = "\n".join(
        f"<tr><td>{i}</td><td>{escape(e.head_name)}</td><td>{escape(e.village_name)}</td>"
        f"<td>{escape(e.category)}</td><td>{escape(e.causes)}</td></tr>"
        for i, e in enumerate(notice.entries, start=1)
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(notice.title)}</title>
<style>{STYLE}</style></head>
<body>
<h1>{escape(notice.village_name)}{escape(notice.title)}</h1>
<p class="period">公示期：{notice.start.isoformat()} 至 {notice.end.isoformat()}</p>
<table>
<thead><tr><th>序号</th><th>户主姓名</th><th>所在村</th><th>类别</th><th>风险类型</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p class="footer">公示期内如有异议，请向村民委员会或乡镇人民政府反映，或拨打 12317 热线。</p>
</body></html>
"""


def notice_pdf(notice: Notice) -> bytes:
    """The notice as a printable A4 PDF (WeasyPrint with the Noto CJK fonts)."""
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    pdf = HTML(string=notice_html(notice)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
