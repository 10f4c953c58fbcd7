"""Schemathesis against the app's own OpenAPI description: no generated request, valid or
not, gets a 500, and every error is a problem document."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from adlens.api import create_app
from adlens.api.services import start_services

from .api_support import META_ROWS, PASSWORD, api_settings

STATE: dict[str, Any] = {}
_TMP = Path(tempfile.mkdtemp(prefix="adlens-fuzz-"))
_SETTINGS = api_settings(_TMP, f"sqlite:///{_TMP / 'app.sqlite'}", db=_TMP / "fuzz.duckdb")
SERVICES = start_services(_SETTINGS)  # one set for every generated call (closed at the end)
APP = create_app(_SETTINGS, services=SERVICES, web=False)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path="/v1/events")


@pytest.fixture(scope="module", autouse=True)
def _admin() -> Iterator[None]:
    """An admin token, and a few rows so queries and ingests have something to read."""
    from adlens.appdb import accounts

    with APP.state.services.app_db.session() as session:
        accounts.create_user(session, "fuzz-admin", PASSWORD, role="admin", workspace="default")
    with TestClient(APP) as client:
        token = client.post("/auth/token", json={"username": "fuzz-admin", "password": PASSWORD})
        STATE["headers"] = {"Authorization": f"Bearer {token.json()['access_token']}"}
        client.post(
            "/data/upload",
            json={"data_type": "meta_ads", "data": META_ROWS},
            headers=STATE["headers"],
        )
        yield
    SERVICES.close()
    shutil.rmtree(_TMP, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_500(case: Any) -> None:
    response = case.call(headers=STATE["headers"])
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    if response.status_code >= 400 and case.path != "/ready":
        assert response.headers["content-type"] == ["application/problem+json"]
        body = response.json()
        assert {"type", "title", "status", "detail", "code"} <= set(body)
        assert body["status"] == response.status_code
