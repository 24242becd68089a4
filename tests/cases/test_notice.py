"""The publicity notice shows name, village, category and causes, and no personal data."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from povguard.cases import notice
from povguard.cases.enums import Category
from povguard.core.errors import BadInput, NotFound
from povguard.households.models import Household, Member
from tests.cases.factories import (
    CADRE_A,
    COUNTY_OFFICER,
    TOWNSHIP_B_OFFICER,
    VILLAGE_B,
    add_household,
)
from tests.cases.helpers import open_case


def _secrets(session: Session, household_ids: list[str]) -> list[str]:
    """ID numbers, phones and the health value of the households in the notice."""
    members = session.query(Member).filter(Member.household_id.in_(household_ids)).all()
    households = session.query(Household).filter(Household.household_id.in_(household_ids)).all()
    return [m.id_number for m in members] + [h.phone or "" for h in households] + ["serious"]


@pytest.fixture
def batch(session: Session) -> tuple[notice.Notice, list[str]]:
    a = add_household(session, head_name="赵大山", health="serious")
    b = add_household(session, head_name="钱小河")
    cases = [
        open_case(
            session, a.household_id, causes=["01", "0201"], category=Category.SUDDEN_DIFFICULTY
        ),
        open_case(session, b.household_id, causes=["07"], category=Category.MARGINAL),
    ]
    built = notice.build_notice(session, CADRE_A, [c.id for c in cases], start=dt.date(2024, 3, 4))
    return built, _secrets(session, [a.household_id, b.household_id])


def test_html_names_heads_and_causes_but_no_personal_data(
    batch: tuple[notice.Notice, list[str]],
) -> None:
    built, secrets = batch
    html = notice.notice_html(built)
    for text in (
        "赵大山",
        "钱小河",
        "山脚村",
        "突发严重困难户",
        "因病、因自然灾害",
        "边缘易致贫户",
        "2024-03-09",
    ):
        assert text in html
    for secret in secrets:
        assert secret not in html


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # rendering is backend-free
def test_pdf_renders_chinese_without_personal_data(batch: tuple[notice.Notice, list[str]]) -> None:
    built, secrets = batch
    pdf = notice.notice_pdf(built)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "赵大山" in text and "山脚村" in text and "防止返贫监测对象识别公示" in text
    for secret in secrets:
        assert secret not in text


def test_notice_is_one_village_and_in_scope(session: Session) -> None:
    a = add_household(session)
    b = add_household(session, village=VILLAGE_B)
    ca = open_case(session, a.household_id)
    cb = open_case(session, b.household_id, principal=COUNTY_OFFICER)
    with pytest.raises(BadInput, match="one village"):
        notice.build_notice(session, COUNTY_OFFICER, [ca.id, cb.id], start=dt.date(2024, 3, 4))
    with pytest.raises(NotFound):
        notice.build_notice(session, TOWNSHIP_B_OFFICER, [ca.id], start=dt.date(2024, 3, 4))
    with pytest.raises(BadInput, match="at least one"):
        notice.build_notice(session, COUNTY_OFFICER, [], start=dt.date(2024, 3, 4))
