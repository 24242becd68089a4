"""An import whose upload the retention removed: its errors CSV says where it went."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from povguard.config import Settings
from povguard.core.uow import unit_of_work
from povguard.ingest.models import ImportBatch
from tests.retention.test_service import OLD, cleanup, upload
from tests.web import factories
from tests.web.test_api import assert_error, bearer


def test_the_errors_csv_of_an_expired_upload_says_where_it_went(
    settings: Settings, client: TestClient, token_for: Callable[[str, str], str]
) -> None:
    with unit_of_work(settings.database_url) as session:
        for batch_id, errors in (("with_errors", 3), ("clean", 0)):
            session.add(ImportBatch(
                id=batch_id, started_at=OLD, finished_at=OLD, username="county",
                region_code=factories.COUNTY_A, source="feeds.zip", status="failed",
                progress=1.0, errors_count=errors, unmatched_count=0,
            ))  # fmt: skip
            upload(settings.lake, batch_id)
    cleanup(settings.database_url, settings.lake)
    county = bearer(token_for("county", factories.COUNTY_A))
    removed = client.get("/api/v1/imports/with_errors/errors.csv", headers=county)
    assert_error(removed, 404, "not_found")
    assert "were removed with its upload after the retention" in removed.json()["error"]["message"]
    clean = client.get("/api/v1/imports/clean/errors.csv", headers=county)
    assert clean.json()["error"]["message"] == "import batch clean has no bad rows"
