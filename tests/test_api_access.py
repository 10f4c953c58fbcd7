"""Every route has a rule, every role gets exactly what its rule allows, and no workspace
can read or change another's data through any endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from adlens.api.deps import Public, Require

from .api_support import META_ROWS, Api, api, app_db_url

__all__ = ["api", "app_db_url"]

# (method, path) -> the scope it needs (None: open). A new route fails the test until it is
# added here with its rule.
RULES: dict[tuple[str, str], str | None] = {
    ("GET", "/health"): None,
    ("GET", "/ready"): None,
    ("GET", "/metrics"): None,
    ("POST", "/auth/token"): None,
    ("POST", "/auth/refresh"): None,
    ("POST", "/auth/logout"): None,
    ("GET", "/me"): "read",
    ("POST", "/data/upload"): "upload",
    ("POST", "/data/upload/file"): "upload",
    ("POST", "/data/events"): "upload",
    ("GET", "/ingests"): "read",
    ("GET", "/ingests/{ingest_id}"): "read",
    ("POST", "/query/dashboard"): "query",
    ("POST", "/v1/load"): "query",
    ("GET", "/v1/meta"): "read",
    ("GET", "/v1/version"): "read",
    ("GET", "/v1/events"): "read",
    ("GET", "/v1/custom-metrics"): "read",
    ("POST", "/v1/custom-metrics"): "metrics",
    ("DELETE", "/v1/custom-metrics/{name}"): "metrics",
    ("GET", "/anomalies"): "read",
    ("POST", "/anomalies/detect"): "upload",
    ("GET", "/campaigns/consolidated"): "query",
    ("GET", "/campaign-map"): "read",
    ("PUT", "/campaign-map"): "metrics",
    ("GET", "/users"): "admin",
    ("POST", "/users"): "admin",
    ("PATCH", "/users/{username}"): "admin",
    ("GET", "/keys"): "admin",
    ("POST", "/keys"): "admin",
    ("DELETE", "/keys/{key_id}"): "admin",
    ("GET", "/audit"): "admin",
}
ALLOWED = {
    "viewer": {"read", "query"},
    "analyst": {"read", "query", "upload", "metrics"},
    "admin": {"read", "query", "upload", "metrics", "admin"},
}
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/data/upload"): {"data_type": "meta_ads", "data": META_ROWS[:1]},
    ("POST", "/query/dashboard"): {"metrics": [{"name": "total_spend"}]},
    ("POST", "/v1/load"): {"measures": ["spend"]},
    ("POST", "/v1/custom-metrics"): {"name": "double_spend", "expression": "spend * 2"},
    ("PUT", "/campaign-map"): {"platform": "meta", "campaign_name": "A", "canonical_campaign": "B"},
    ("POST", "/data/events"): {"events": []},
    ("POST", "/users"): {"username": "newbie", "password": "long enough pw"},
    ("POST", "/keys"): {"name": "k"},
    ("PATCH", "/users/{username}"): {"role": "viewer"},
}
PATHS = {
    "/ingests/{ingest_id}": "/ingests/1",
    "/v1/custom-metrics/{name}": "/v1/custom-metrics/nope",
    "/users/{username}": "/users/nobody",
    "/keys/{key_id}": "/keys/nokey",
}


def declared_rules(app: Any) -> dict[tuple[str, str], str | None]:
    """(method, path) -> the scope its Require/Public dependency declares."""
    from fastapi.routing import APIRoute

    found: dict[tuple[str, str], str | None] = {}

    def rules_of(dependant: Any) -> list[Any]:
        out = []
        for dep in dependant.dependencies:
            if isinstance(dep.call, Require | Public):
                out.append(dep.call)
            out += rules_of(dep)
        return out

    def walk(routes: list[Any]) -> None:
        for route in routes:
            if hasattr(route, "original_router"):
                walk(route.original_router.routes)
            elif isinstance(route, APIRoute):
                rules = rules_of(route.dependant)
                assert len(rules) == 1, f"{route.path} declares {len(rules)} access rules"
                for method in route.methods:
                    found[(method, route.path)] = rules[0].scope

    walk(app.router.routes)
    return found


def test_every_route_declares_exactly_the_rule_in_the_table(api: Api) -> None:
    assert declared_rules(api.app) == RULES


@pytest.mark.parametrize("role", ["anonymous", "viewer", "analyst", "admin"])
def test_each_role_gets_what_the_rule_allows(api: Api, role: str) -> None:
    headers = {} if role == "anonymous" else api.user(f"u-{role}", role)
    for (method, path), scope in RULES.items():
        if path == "/v1/events":
            continue  # a stream: its rule is checked in test_events_need_read below
        url = PATHS.get(path, path)
        body = BODIES.get(
            (method, path),
            {"refresh_token": "x"} if path.startswith("/auth/") and path != "/auth/token" else None,
        )
        if path == "/auth/token":
            body = {"username": "nobody", "password": "wrong-pass"}
        response = api.client.request(method, url, json=body, headers=headers)
        problem = "problem" in response.headers.get("content-type", "")
        code = response.json()["code"] if problem else None
        if scope is None:  # open: never asks for credentials (a wrong password is its answer)
            assert response.status_code != 403 and code != "not_authenticated", (method, path)
        elif role == "anonymous":
            assert (response.status_code, code) == (401, "not_authenticated"), (method, path)
        elif scope in ALLOWED[role]:
            assert response.status_code not in (401, 403), (role, method, path, response.text)
        else:
            assert (response.status_code, response.json()["code"]) == (403, "forbidden"), (
                role,
                method,
                path,
            )


def test_events_need_read(api: Api) -> None:
    assert api.client.get("/v1/events").status_code == 401


def test_no_workspace_reads_or_changes_another(api: Api) -> None:
    north = api.user("north-admin", "admin", workspace="north")
    south = api.user("south-admin", "admin", workspace="south")
    loaded = api.client.post(
        "/data/upload", json={"data_type": "meta_ads", "data": META_ROWS}, headers=north
    )
    assert loaded.json()["loaded"] == 3
    ingest_id = loaded.json()["ingest_id"]
    api.client.post(
        "/v1/custom-metrics", json={"name": "north_only", "expression": "spend * 2"}, headers=north
    )
    north_key = api.client.post("/keys", json={"name": "n"}, headers=north).json()["key_id"]

    # south sees nothing of north's data, metrics, keys, users or audit
    q = api.client.post("/v1/load", json={"measures": ["spend"]}, headers=south).json()
    assert q["data"] == [{"spend": None}]
    spec = api.client.post(
        "/query/dashboard", json={"metrics": [{"name": "total_spend"}]}, headers=south
    ).json()
    assert spec["data"] == [{"total_spend": None}]
    assert api.client.get("/ingests", headers=south).json() == {"data": [], "total": 0}
    assert api.client.get(f"/ingests/{ingest_id}", headers=south).status_code == 404
    assert api.client.get("/v1/custom-metrics", headers=south).json() == []
    assert (
        api.client.post("/v1/load", json={"measures": ["north_only"]}, headers=south).status_code
        == 400
    )
    assert api.client.delete("/v1/custom-metrics/north_only", headers=south).status_code == 404
    assert api.client.get("/keys", headers=south).json() == []
    assert api.client.delete(f"/keys/{north_key}", headers=south).status_code == 404
    assert [u["username"] for u in api.client.get("/users", headers=south).json()] == [
        "south-admin"
    ]
    assert (
        api.client.patch("/users/north-admin", json={"role": "viewer"}, headers=south).status_code
        == 404
    )
    assert api.client.get("/v1/version", headers=south).json() == {
        "data_version": 0,
        "last_load_at": None,
    }
    audit = api.client.get("/audit", headers=south).json()["data"]
    assert {r["workspace"] for r in audit} == {"south"}
    meta = api.client.get("/v1/meta", headers=south).json()
    assert "north_only" not in [m["name"] for m in meta["measures"]]
    # campaigns: north's map (built by its load) and view are not south's
    north_map = api.client.get("/campaign-map", headers=north).json()["data"]
    assert [(r["workspace"], r["platform"], r["campaign_name"]) for r in north_map] == [
        ("north", "meta", "Summer"),
        ("north", "meta", "Winter"),
    ]
    assert api.client.get("/campaign-map", headers=south).json() == {"data": []}
    assert api.client.get("/campaigns/consolidated", headers=south).json() == {"data": []}
    assert api.client.get("/anomalies", headers=south).json() == {"data": []}
    south_row = api.client.put(
        "/campaign-map",
        json={"platform": "meta", "campaign_name": "Summer", "canonical_campaign": "Heatwave"},
        headers=south,
    ).json()
    assert (south_row["workspace"], south_row["canonical_campaign"]) == ("south", "Heatwave")
    assert api.client.get("/campaign-map", headers=north).json()["data"] == north_map
    detected = api.client.post("/anomalies/detect", headers=south).json()
    assert detected == {"data": [], "count": 0}
    # events: an id is unique within its workspace; counts stay apart
    event = {"ts": "2024-01-01T10:00:00Z", "event": "click", "event_id": "e1"}
    sent = api.client.post("/data/events", json={"events": [event]}, headers=north).json()
    assert (sent["loaded"], sent["duplicates"]) == (1, 0)
    assert api.client.post("/v1/load", json={"measures": ["events"]}, headers=south).json()[
        "data"
    ] == [{"events": 0}]
    sent = api.client.post("/data/events", json={"events": [event, event]}, headers=south).json()
    assert (sent["loaded"], sent["duplicates"]) == (1, 1)
    assert api.client.post("/v1/load", json={"measures": ["events"]}, headers=north).json()[
        "data"
    ] == [{"events": 1}]

    # a south upload lands in south only; north's numbers are unchanged
    api.client.post(
        "/data/upload", json={"data_type": "meta_ads", "data": META_ROWS[:1]}, headers=south
    )
    north_total = api.client.post(
        "/v1/load", json={"measures": ["spend", "north_only"]}, headers=north
    ).json()
    assert north_total["data"] == [{"spend": 49.75, "north_only": 99.5}]
    south_total = api.client.post("/v1/load", json={"measures": ["spend"]}, headers=south).json()
    assert south_total["data"] == [{"spend": 12.5}]


def test_openapi_documents_every_error_a_route_can_answer(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    assert sorted(spec["components"]["schemas"]["Problem"]["required"]) == [
        "code",
        "detail",
        "status",
        "title",
        "type",
    ]
    operations = {
        (method.upper(), path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    assert set(operations) == set(RULES)
    for (method, path), operation in operations.items():
        codes = set(operation["responses"])
        expected = set()
        if RULES[(method, path)] is not None:
            expected |= {"401", "403", "429"}
        if "requestBody" in operation or operation.get("parameters"):
            expected.add("422")
        if "requestBody" in operation:
            expected.add("413")
        assert expected <= codes, (method, path, sorted(expected - codes))
        for code in codes - {"200", "201", "204"}:
            content = operation["responses"][code]["content"]
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }, (method, path, code)
