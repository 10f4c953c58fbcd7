"""POST /data/events: batches of events over HTTP, their limits, roles and queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .api_support import Api, api, api_settings, app_db_url, build_api

__all__ = ["api", "app_db_url"]
COUNTS = {"measures": ["events", "event_value"], "dimensions": ["event"], "order": {"event": "asc"}}


def click(ts: str, **extra: Any) -> dict[str, Any]:
    return {"ts": ts, "event": "click", "platform": "meta", "campaign_name": "Spring", **extra}


def test_a_batch_is_stored_with_its_rejects_and_answers_queries(api: Api) -> None:
    analyst = api.user("ana")
    batch = [
        click("2026-11-26T10:15:03Z", value=0.4, event_id="c1"),
        click("2026-11-26T10:15:09Z", value=0.6, event_id="c2"),
        {"ts": 1795688160, "event": "Conversion", "value": 25, "event_id": "v1"},
        click("2026-11-26T10:16:00Z", event_id="c1"),  # the same id again in the batch
        {"ts": "yesterday", "event": "click"},
        {"ts": "2026-11-26T10:17:00Z", "event": "click", "cost": 1},
        "not an object",
    ]
    response = api.client.post("/data/events", json={"events": batch}, headers=analyst)
    assert (response.status_code, response.json()) == (
        200,
        {
            "batch_id": 1,
            "received": 7,
            "loaded": 3,
            "duplicates": 1,
            "rejected": [
                {"row": 4, "reason": "ts: cannot read 'yesterday' as an ISO 8601 time"},
                {
                    "row": 5,
                    "reason": "unknown field(s) 'cost'; known: ('ts', 'event', 'value', "
                    "'platform', 'account_id', 'campaign_id', 'campaign_name', 'channel', "
                    "'event_id')",
                },
                {
                    "row": 6,
                    "reason": "an event is an object with ts and event, not str",
                },
            ],
        },
    )
    answer = api.client.post("/v1/load", json=COUNTS, headers=analyst).json()
    assert answer["data"] == [
        {"event": "click", "events": 2, "event_value": 1.0},
        {"event": "conversion", "events": 1, "event_value": 25.0},
    ]
    assert answer["metadata"]["data_version"] == 1

    # delivered again (at least once): every id is stored already, nothing counts twice
    again = api.client.post("/data/events", json={"events": batch[:4]}, headers=analyst).json()
    assert again == {"batch_id": 2, "received": 4, "loaded": 0, "duplicates": 4, "rejected": []}
    assert (
        api.client.post("/v1/load", json=COUNTS, headers=analyst).json()["data"] == (answer["data"])
    )


def test_a_batch_with_no_valid_event_stores_nothing(api: Api) -> None:
    analyst = api.user("ana")
    response = api.client.post(
        "/data/events", json={"events": [{"event": "click"}]}, headers=analyst
    )
    assert response.json() == {
        "batch_id": None,
        "received": 1,
        "loaded": 0,
        "duplicates": 0,
        "rejected": [
            {"row": 0, "reason": "ts: required, an ISO 8601 time or seconds since the epoch"}
        ],
    }
    assert api.client.get("/v1/version", headers=analyst).json()["data_version"] == 0
    empty = api.client.post("/data/events", json={"events": []}, headers=analyst).json()
    assert empty == {"batch_id": None, "received": 0, "loaded": 0, "duplicates": 0, "rejected": []}


def test_viewers_cannot_send_events(api: Api) -> None:
    viewer = api.user("vic", "viewer")
    refused = api.client.post(
        "/data/events", json={"events": [click("2026-11-26T10:15:03Z")]}, headers=viewer
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    reader = {"X-API-Key": api.key("analyst", scopes=["read", "query"])}
    narrowed = api.client.post(
        "/data/events", json={"events": [click("2026-11-26T10:15:03Z")]}, headers=reader
    )
    assert narrowed.status_code == 403
    answer = api.client.post("/v1/load", json={"measures": ["events"]}, headers=viewer).json()
    assert answer["data"] == [{"events": 0}]


def test_malformed_batches_are_refused_naming_the_field(api: Api) -> None:
    analyst = api.user("ana")
    for body, where in [
        ({}, "body.events"),
        ({"events": {"ts": 1}}, "body.events"),
        ([click("2026-11-26T10:15:03Z")], "body"),
        ({"events": [0] * 100_001}, "body.events"),
    ]:
        refused = api.client.post("/data/events", json=body, headers=analyst)
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_request"), where
        assert refused.json()["errors"][0]["where"] == where
    deep = '{"events": [' + "[" * 40 + "]" * 40 + "]}"
    too_deep = api.client.post(
        "/data/events", content=deep, headers={**analyst, "Content-Type": "application/json"}
    )
    assert (too_deep.status_code, too_deep.json()["code"]) == (400, "json_too_deep")


def test_batches_over_the_body_limit_are_refused(tmp_path: Path, app_db_url: str) -> None:
    for running in build_api(api_settings(tmp_path, app_db_url, max_body_bytes=2048)):
        analyst = running.user("ana")
        batch = [click("2026-11-26T10:15:03Z", event_id=f"c{i}") for i in range(40)]
        response = running.client.post("/data/events", json={"events": batch}, headers=analyst)
        assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")
        counted = running.client.post("/v1/load", json={"measures": ["events"]}, headers=analyst)
        assert counted.json()["data"] == [{"events": 0}]
