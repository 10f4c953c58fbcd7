"""One error shape everywhere, body and depth limits, security headers, CORS, rate limits
(in memory and shared through the real Redis)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .api_support import Api, api, api_settings, app_db_url, build_api, redis_url

__all__ = ["api", "app_db_url"]


def without_id(body: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in body.items() if k != "request_id"}


def test_404_405_422_are_problem_documents(api: Api) -> None:
    missing = api.client.get("/no/such/route")
    assert (missing.status_code, missing.headers["content-type"]) == (
        404,
        "application/problem+json",
    )
    assert without_id(missing.json()) == {
        "type": "https://adlens.dev/errors/not_found",
        "title": "not found",
        "status": 404,
        "detail": "Not Found",
        "code": "not_found",
    }
    wrong_method = api.client.delete("/health")
    assert without_id(wrong_method.json()) == {
        "type": "https://adlens.dev/errors/method_not_allowed",
        "title": "method not allowed",
        "status": 405,
        "detail": "Method Not Allowed",
        "code": "method_not_allowed",
    }
    invalid = api.client.post("/auth/token", json={"username": "x"})
    assert without_id(invalid.json()) == {
        "type": "https://adlens.dev/errors/invalid_request",
        "title": "invalid request",
        "status": 422,
        "detail": "body.password: Field required",
        "code": "invalid_request",
        "errors": [{"where": "body.password", "message": "Field required"}],
        "hint": "see the OpenAPI description at /docs for the expected shape",
    }
    assert invalid.json()["request_id"] == invalid.headers["x-request-id"]


def test_bodies_over_the_limit_are_refused(tmp_path: Path, app_db_url: str) -> None:
    for running in build_api(
        api_settings(tmp_path, app_db_url, max_body_bytes=2048, max_upload_bytes=4096)
    ):
        headers = running.user("ana")
        big = {"data_type": "meta_ads", "data": [{"campaign_name": "x" * 3000}]}
        response = running.client.post("/data/upload", json=big, headers=headers)
        assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b"Day,Amount spent\n" * 40

        streamed = running.client.post(
            "/data/upload/file",
            content=chunks(),
            headers={**headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        )
        assert (streamed.status_code, streamed.json()["code"]) == (413, "payload_too_large")
        too_big_file = running.client.post(
            "/data/upload/file", files={"file": ("a.csv", b"a,b\n" * 2000)}, headers=headers
        )
        assert too_big_file.status_code == 413


def test_json_nested_too_deep_is_refused(api: Api) -> None:
    headers = api.user("ana")
    deep = "[" * 40 + "]" * 40
    response = api.client.post(
        "/v1/load", content=deep, headers={**headers, "Content-Type": "application/json"}
    )
    assert without_id(response.json()) == {
        "type": "https://adlens.dev/errors/json_too_deep",
        "title": "bad request",
        "status": 400,
        "detail": "JSON nested deeper than 32 levels",
        "code": "json_too_deep",
    }


def test_security_headers_and_closed_cors(api: Api) -> None:
    response = api.client.get("/health", headers={"Origin": "https://evil.example"})
    assert {
        k: response.headers[k]
        for k in (
            "x-content-type-options",
            "x-frame-options",
            "referrer-policy",
            "content-security-policy",
            "cache-control",
        )
    } == {
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
        "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
        "cache-control": "no-store",
    }
    assert "access-control-allow-origin" not in response.headers


def test_cors_opens_for_configured_origins(tmp_path: Path, app_db_url: str) -> None:
    settings = api_settings(tmp_path, app_db_url, cors_origins=["https://dash.example"])
    for running in build_api(settings):
        ok = running.client.get("/health", headers={"Origin": "https://dash.example"})
        other = running.client.get("/health", headers={"Origin": "https://evil.example"})
        assert ok.headers["access-control-allow-origin"] == "https://dash.example"
        assert "access-control-allow-origin" not in other.headers


def test_rate_limit_answers_429_with_headers(tmp_path: Path, app_db_url: str) -> None:
    settings = api_settings(tmp_path, app_db_url, rate_limit_query="3/hour")
    for running in build_api(settings):
        headers = running.user("ana")
        responses = [
            running.client.post("/v1/load", json={"measures": ["spend"]}, headers=headers)
            for _ in range(4)
        ]
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        assert [r.headers.get("ratelimit-remaining") for r in responses[:3]] == ["2", "1", "0"]
        assert responses[0].headers["ratelimit-limit"] == "3"
        assert int(responses[3].headers["retry-after"]) in range(1, 1201)
        assert responses[3].json()["code"] == "rate_limited"
        # other route classes keep their own buckets
        assert running.client.get("/me", headers=headers).status_code == 200


def test_redis_limits_are_shared_by_replicas(tmp_path: Path, app_db_url: str) -> None:
    url = redis_url()
    settings = api_settings(tmp_path, app_db_url, rate_limit_query="4/hour", redis_url=url)
    first = build_api(settings)
    one = next(first)
    headers = one.user("ana")
    codes = [
        one.client.post("/v1/load", json={"measures": ["spend"]}, headers=headers).status_code
        for _ in range(2)
    ]
    one.services.store.close()  # release the DuckDB file so a second replica can open it
    replica_settings = api_settings(
        tmp_path,
        app_db_url,
        rate_limit_query="4/hour",
        redis_url=url,
        db=tmp_path / "replica.duckdb",
    )
    for two in build_api(replica_settings):
        headers_two = two.login("ana")
        codes += [
            two.client.post(
                "/v1/load", json={"measures": ["spend"]}, headers=headers_two
            ).status_code
            for _ in range(3)
        ]
    assert codes == [200, 200, 200, 200, 429]
    first.close()


def test_ready_reports_both_stores(api: Api) -> None:
    assert api.client.get("/ready").json() == {
        "status": "ready",
        "checks": {"store": True, "app_db": True},
    }
