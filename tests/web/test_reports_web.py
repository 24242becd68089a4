"""KPIs and reports through the API and the Reports page: scope, background jobs, files and the
audit row written for every download."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.orm import Session

from povguard.audit.models import AuditEntry
from povguard.config import Settings
from povguard.core.db import engine_for
from povguard.core.uow import unit_of_work
from povguard.retention import service as retention
from povguard.web.reports.api import reports_dir
from povguard.web.reports.pages import build_reports_context
from tests.analytics import kpi_data
from tests.web import factories
from tests.web.conftest import csrf_token

KPI_URL = f"/api/v1/regions/{factories.COUNTY_A}/kpis"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def history(settings: Settings, seeded: dict[str, factories.SeededHousehold]) -> Settings:
    with Session(engine_for(settings.database_url)) as session:
        kpi_data.seed(session, [(h.household_id, h.village_code) for h in seeded.values()])
        session.commit()
    return settings


def _downloads(settings: Settings) -> list[AuditEntry]:
    with Session(engine_for(settings.database_url)) as session:
        query = sa.select(AuditEntry).where(AuditEntry.action == "download_report")
        return list(session.scalars(query))


def test_kpi_api(
    client: TestClient, history: Settings, token_for: Callable[[str, str], str]
) -> None:
    county = _auth(token_for("county", factories.COUNTY_A))
    body = client.get(f"{KPI_URL}?from=2024-01&to=2024-12", headers=county)
    assert body.status_code == 200, body.text
    kpis = body.json()
    assert kpis["objects"] == 3 and len(kpis["months"]) == 12  # three of the four households
    assert kpis["identified"] == sum(m["identified"] for m in kpis["months"]) == 3
    summary = client.get(f"/api/v1/regions/{factories.COUNTY_A}/summary", headers=county).json()
    assert summary["objects"] == kpis["objects"]
    assert summary["objects_by_category"] == kpis["objects_by_category"]
    other = _auth(token_for("county", factories.COUNTY_C))
    assert client.get(f"{KPI_URL}?from=2024-01&to=2024-12", headers=other).status_code == 404
    bad = client.get(f"{KPI_URL}?from=2024-13&to=2024-12", headers=county)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "from"
    backwards = client.get(f"{KPI_URL}?from=2024-05&to=2024-01", headers=county)
    assert backwards.status_code == 400 and backwards.json()["error"]["field"] == "to"
    assert client.get(KPI_URL, headers=county).status_code == 422
    assert client.get(f"{KPI_URL}?from=2024-01&to=2024-12").status_code == 401


def test_report_jobs_through_the_api(
    client: TestClient, history: Settings, token_for: Callable[[str, str], str]
) -> None:
    county = _auth(token_for("county", factories.COUNTY_A))
    created = client.post("/api/v1/reports", headers=county, json={
        "kind": "kpis", "region": factories.COUNTY_A, "from": "2024-01", "to": "2024-12"})  # fmt: skip
    assert created.status_code == 202, created.text
    report_id = created.json()["report_id"]
    job = client.get(f"/api/v1/reports/{report_id}", headers=county).json()
    assert job["state"] == "done" and job["progress"] == 1.0, job
    assert job["file_name"] == f"kpis-{factories.COUNTY_A}-2024-01-2024-12.xlsx"
    assert _downloads(history) == []
    download = client.get(f"/api/v1/reports/{report_id}/download", headers=county)
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
    total = list(sheet.iter_rows(values_only=True))[-1]
    kpis = client.get(f"{KPI_URL}?from=2024-01&to=2024-12", headers=county).json()
    assert total[3] == kpis["objects"] and total[5] == kpis["identified"]
    [entry] = _downloads(history)
    assert entry.entity_id == report_id and entry.region_code == factories.COUNTY_A
    colleague = _auth(token_for("county", factories.COUNTY_A))
    assert client.get(f"/api/v1/reports/{report_id}", headers=colleague).status_code == 404
    assert client.get(f"/api/v1/reports/{report_id}/download", headers=colleague).status_code == 404
    outside = client.post("/api/v1/reports", headers=county,
                          json={"kind": "objects", "region": factories.COUNTY_C})  # fmt: skip
    assert outside.status_code == 404
    incomplete = client.post("/api/v1/reports", headers=county,
                             json={"kind": "monthly", "region": factories.COUNTY_A})  # fmt: skip
    assert incomplete.status_code == 400 and incomplete.json()["error"]["field"] == "month"
    unknown = client.post("/api/v1/reports", headers=county,
                          json={"kind": "annual", "region": factories.COUNTY_A})  # fmt: skip
    assert unknown.status_code == 422
    assert [r["report_id"] for r in client.get("/api/v1/reports", headers=county).json()] == [
        report_id
    ]


def test_monthly_pdf_through_the_api(
    client: TestClient, history: Settings, token_for: Callable[[str, str], str]
) -> None:
    analyst = _auth(token_for("analyst", factories.CITY))
    created = client.post("/api/v1/reports", headers=analyst,
                          json={"kind": "monthly", "region": factories.COUNTY_A, "month": "2024-06"})  # fmt: skip
    report_id = created.json()["report_id"]
    download = client.get(f"/api/v1/reports/{report_id}/download", headers=analyst)
    assert download.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(download.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "寻甸回族彝族自治县" in text and "仁德街道" in text and "羊街镇" in text


def test_reports_page_requests_and_downloads(
    history: Settings, page_client_for: Callable[[str, str], TestClient]
) -> None:
    officer = page_client_for("county", factories.COUNTY_A)
    page = officer.get("/reports")
    assert page.status_code == 200 and 'data-testid="request-report"' in page.text
    assert 'href="/reports"' in page.text
    form = {"kind": "objects", "region": factories.COUNTY_A, "month": "", "from": "", "to": "",
            "run_id": "", "csrf_token": csrf_token(officer)}  # fmt: skip
    posted = officer.post("/reports", data=form, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    listed = officer.get("/reports")
    assert 'data-testid="download"' in listed.text
    link = listed.text.split('href="/reports/')[1].split('"')[0]
    download = officer.get(f"/reports/{link}")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert len(_downloads(history)) == 1
    bad = officer.post("/reports", data={**form, "kind": "monthly"})
    assert bad.status_code == 400 and 'data-testid="report-error"' in bad.text
    outside = officer.post("/reports", data={**form, "region": factories.COUNTY_C})
    assert outside.status_code == 404
    partial = officer.get("/reports", headers={"HX-Request": "true", "HX-Target": "report-jobs"})
    assert partial.text.lstrip().startswith('<div id="report-jobs"')


def test_reports_context(history: Settings) -> None:
    import datetime as dt

    from povguard.auth.principal import Principal, Role

    principal = Principal(username="nobody", role=Role.COUNTY, region_code=factories.COUNTY_A)
    with Session(engine_for(history.database_url)) as session:
        context = build_reports_context(session, principal, dt.date(2025, 1, 15))
    assert context["default_month"] == "2024-12" and context["default_from"] == "2025-01"
    assert context["jobs"] == [] and context["busy"] is False


def test_an_expired_report_stays_listed_but_is_no_longer_served(
    settings: Settings,
    client: TestClient,
    token_for: Callable[[str, str], str],
    page_client_for: Callable[[str, str], TestClient],
) -> None:
    county = page_client_for("county", factories.COUNTY_A)
    username = "page-county0"  # the page user just made
    with unit_of_work(settings.database_url) as session:
        report_id = factories.seed_report(session, reports_dir(settings), username,
                                          factories.COUNTY_A)  # fmt: skip
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    with unit_of_work(settings.database_url) as session:
        kept = retention.Retention(upload_days=30, report_days=30)
        expired = retention.expire(session, lake=settings.lake, retention=kept, now=later)
    retention.remove(expired)
    assert not (reports_dir(settings) / report_id).exists()
    assert county.get(f"/reports/{report_id}/download").status_code == 404
    county.cookies.set("povguard_lang", "zh")
    page = county.get("/reports").text
    assert 'data-testid="report-state">已过期<' in page
    assert f"/reports/{report_id}/download" not in page
    admin = _auth(token_for("admin", "000000000000"))
    job = client.get(f"/api/v1/reports/{report_id}", headers=admin).json()
    assert job["state"] == "expired"
    download = client.get(f"/api/v1/reports/{report_id}/download", headers=admin)
    assert download.status_code == 404
    assert download.json()["error"]["message"] == f"report {report_id} has no file (it is expired)"
