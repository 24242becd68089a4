"""Imports from the browser and the API: upload a zip, read the validation report, confirm."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import sqlalchemy as sa
from fastapi.testclient import TestClient

from povguard.config import Settings
from povguard.core.db import engine_for
from povguard.ingest import uploads
from tests.web import factories
from tests.web.conftest import csrf_token
from tests.web.imports_util import dataset_files, zipped

TokenFor = Callable[[str, str], str]


def _upload(client: TestClient, token: str, body: bytes, name: str = "data.zip") -> object:
    return client.post("/api/v1/imports", headers={"Authorization": f"Bearer {token}"},
                       files={"file": (name, body, "application/zip")})  # fmt: skip


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _households(settings: Settings) -> list[str]:
    with engine_for(settings.database_url).connect() as connection:
        rows = connection.execute(sa.text("SELECT household_id FROM households"))
        return sorted(row[0] for row in rows)


def test_a_good_zip_validates_then_loads_once(
    client: TestClient, settings: Settings, token_for: TokenFor
) -> None:
    token = token_for("county", factories.COUNTY_A)
    uploaded = _upload(client, token, zipped(dataset_files(), folder="monthly/"))
    assert uploaded.status_code == 202, uploaded.text  # type: ignore[attr-defined]
    batch_id = uploaded.json()["batch_id"]  # type: ignore[attr-defined]
    batch = client.get(f"/api/v1/imports/{batch_id}", headers=_auth(token)).json()
    assert batch["status"] == "validated" and batch["errors_count"] == 0
    assert batch["rows"] == {"households": 1, "members": 2, "feeds/medical": 1}
    assert batch["source"] == "data.zip" and batch["bad_rows"] == []
    assert "H900001" not in _households(settings)  # nothing stored before the confirmation
    confirmed = client.post(f"/api/v1/imports/{batch_id}/confirm", headers=_auth(token))
    assert confirmed.status_code == 202
    batch = client.get(f"/api/v1/imports/{batch_id}", headers=_auth(token)).json()
    assert batch["status"] == "imported" and batch["provinces"] == ["53"]
    assert "H900001" in _households(settings)
    assert (settings.lake / "feeds" / "medical" / "province=53" / "part-0.parquet").exists()
    again = client.post(f"/api/v1/imports/{batch_id}/confirm", headers=_auth(token))
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    listed = client.get("/api/v1/imports", headers=_auth(token)).json()
    assert [b["batch_id"] for b in listed] == [batch_id]
    other_county = token_for("county", factories.COUNTY_C)
    assert client.get(f"/api/v1/imports/{batch_id}", headers=_auth(other_county)).status_code == 404
    assert client.get("/api/v1/imports", headers=_auth(other_county)).json() == []


def test_bad_rows_are_reported_with_file_line_column_and_reason(
    client: TestClient, settings: Settings, token_for: TokenFor
) -> None:
    token = token_for("county", factories.COUNTY_A)
    batch_id = _upload(client, token, zipped(dataset_files(bad_date=True))).json()["batch_id"]  # type: ignore[attr-defined]
    batch = client.get(f"/api/v1/imports/{batch_id}", headers=_auth(token)).json()
    assert batch["status"] == "failed" and batch["errors_count"] == 1
    assert batch["bad_rows"] == [{"file": "feeds/medical.csv", "line": 2, "column": "date",
                                  "value": "2024-02-30", "reason": "not a real date"}]  # fmt: skip
    assert batch["errors_per_file"] == {"feeds/medical": 1}
    csv = client.get(f"/api/v1/imports/{batch_id}/errors.csv", headers=_auth(token))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines() == ["file,line,column,value,reason",
                                     "feeds/medical.csv,2,date,2024-02-30,not a real date"]  # fmt: skip
    refused = client.post(f"/api/v1/imports/{batch_id}/confirm", headers=_auth(token))
    assert refused.status_code == 409
    assert "H900001" not in _households(settings)


def test_unsafe_zips_are_refused_and_nothing_is_written(
    client: TestClient, settings: Settings, token_for: TokenFor
) -> None:
    token = token_for("admin", "000000000000")
    bodies = {
        "traversal": zipped({"../../evil.csv": "x"}),
        "absolute": zipped({"/tmp/evil.csv": "x"}),
        "unknown file": zipped({"households.csv": "x", "notes.txt": "x"}),
        "not a zip": b"PK\x03\x04 this is not really a zip",
    }
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("households.csv", b"0" * (20 * 1024 * 1024))
    bodies["zip bomb"] = bomb.getvalue()
    link = zipfile.ZipInfo("members.csv")
    link.external_attr = 0o120777 << 16
    symlink = io.BytesIO()
    with zipfile.ZipFile(symlink, "w") as archive:
        archive.writestr(link, "/etc/passwd")
    bodies["symlink"] = symlink.getvalue()
    for label, body in bodies.items():
        response = _upload(client, token, body)
        assert response.status_code == 400, label  # type: ignore[attr-defined]
        error = response.json()["error"]  # type: ignore[attr-defined]
        assert error["code"] == "bad_input" and error["field"] == "file", label
    assert client.get("/api/v1/imports", headers=_auth(token)).json() == []
    uploaded = settings.lake.parent / "uploads"
    assert not uploaded.exists() or list(uploaded.rglob("*")) == []
    assert not (settings.lake.parent / "evil.csv").exists()


def test_the_entry_count_is_limited(client: TestClient, token_for: TokenFor) -> None:
    token = token_for("admin", "000000000000")
    many = {f"x{i}/households.csv": "x" for i in range(uploads.MAX_ENTRIES + 1)}
    response = _upload(client, token, zipped(many))
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "entries" in response.json()["error"]["message"]  # type: ignore[attr-defined]


def test_roles_that_may_not_import_are_refused(
    client: TestClient, token_for: TokenFor, page_client_for: Callable[[str, str], TestClient]
) -> None:
    for role, region in (("cadre", factories.VILLAGE_A1), ("analyst", factories.PROVINCE),
                         ("auditor", factories.COUNTY_A), ("township", factories.TOWNSHIP_A)):  # fmt: skip
        token = token_for(role, region)
        assert _upload(client, token, zipped(dataset_files())).status_code == 403  # type: ignore[attr-defined]
        assert client.get("/api/v1/imports", headers=_auth(token)).status_code == 403
    cadre = page_client_for("cadre", factories.VILLAGE_A1)
    assert cadre.get("/imports").status_code == 403
    assert 'href="/imports"' not in cadre.get("/households").text
    assert client.post("/api/v1/imports", files={"file": ("a.zip", b"x")}).status_code == 401


def test_a_data_clerk_imports_department_feeds_only(
    client: TestClient, token_for: TokenFor
) -> None:
    token = token_for("clerk", factories.COUNTY_A)
    whole = _upload(client, token, zipped(dataset_files())).json()["batch_id"]  # type: ignore[attr-defined]
    batch = client.get(f"/api/v1/imports/{whole}", headers=_auth(token)).json()
    refused = {r["file"] for r in batch["bad_rows"]
               if r["reason"] == "a data clerk imports department feeds only"}  # fmt: skip
    assert batch["status"] == "failed" and refused == {"households.csv", "members.csv"}
    feed = {"feeds/medical.csv": dataset_files()["feeds/medical.csv"]}
    uploaded = _upload(client, token, zipped(feed))
    assert uploaded.status_code == 202, uploaded.text  # type: ignore[attr-defined]
    feed_only = uploaded.json()["batch_id"]  # type: ignore[attr-defined]
    batch = client.get(f"/api/v1/imports/{feed_only}", headers=_auth(token)).json()
    assert batch["status"] == "validated" and batch["errors_count"] == 0


def test_rows_outside_the_importers_region_are_bad_rows(
    client: TestClient, settings: Settings, token_for: TokenFor
) -> None:
    token = token_for("clerk", factories.COUNTY_C)  # county A's village in the file
    batch_id = _upload(client, token, zipped(dataset_files())).json()["batch_id"]  # type: ignore[attr-defined]
    batch = client.get(f"/api/v1/imports/{batch_id}", headers=_auth(token)).json()
    assert batch["status"] == "failed"
    outside = [r for r in batch["bad_rows"] if r["reason"].startswith("outside your region")]
    assert {(r["file"], r["column"]) for r in outside} == {
        ("households.csv", "village_code"), ("members.csv", "household_id"),
        ("feeds/medical.csv", "id_number"),
    }  # fmt: skip
    assert outside[0]["value"] == factories.VILLAGE_A1 or factories.VILLAGE_A1 in str(outside)
    assert "H900001" not in _households(settings)


def test_the_pages_upload_report_and_confirm(
    settings: Settings, page_client_for: Callable[[str, str], TestClient]
) -> None:
    officer = page_client_for("county", factories.COUNTY_A)
    page = officer.get("/imports")
    assert page.status_code == 200 and 'data-testid="upload"' in page.text
    assert 'href="/imports"' in page.text  # the navigation entry
    forged = officer.post("/imports", files={"file": ("d.zip", zipped(dataset_files()))},
                          follow_redirects=False)  # fmt: skip
    assert forged.status_code == 403
    uploaded = officer.post(
        "/imports", data={"csrf_token": csrf_token(officer)},
        files={"file": ("d.zip", zipped(dataset_files()), "application/zip")},
        follow_redirects=False,
    )  # fmt: skip
    assert uploaded.status_code == 303
    batch_url = uploaded.headers["location"]
    report = officer.get(batch_url)
    assert 'data-testid="confirm"' in report.text and "feeds/medical" in report.text
    poll = officer.get(batch_url, headers={"HX-Target": "batch-status", "HX-Request": "true"})
    assert poll.status_code == 204 and poll.headers["HX-Refresh"] == "true"
    confirmed = officer.post(f"{batch_url}/confirm", data={"csrf_token": csrf_token(officer)},
                             follow_redirects=False)  # fmt: skip
    assert confirmed.status_code == 303
    done = officer.get(batch_url)
    assert 'class="tag tag-imported"' in done.text
    assert 'data-testid="confirm"' not in done.text
    assert "H900001" in _households(settings)
    bad = officer.post(
        "/imports", data={"csrf_token": csrf_token(officer)},
        files={"file": ("bad.zip", zipped(dataset_files(bad_date=True)), "application/zip")},
    )  # fmt: skip
    assert 'data-testid="bad-rows"' in bad.text and "not a real date" in bad.text
    assert 'data-testid="errors-csv"' in bad.text
