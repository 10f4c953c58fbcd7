"""The insight routes over the demo's data: anomalies (detected and listed), campaigns across
platforms and the campaign map, with their role rules and workspace isolation."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest

from adlens import fx
from adlens.anomaly import list_anomalies
from adlens.api.routes.insights import Platform
from adlens.consolidate import campaign_map, cross_platform
from adlens.demo import DEMO_RATES
from adlens.demo_data import PLANTED, write_demo_exports
from adlens.ingest import ingest_file
from adlens.schema import PLATFORMS
from adlens.store import open_store

from .api_support import Api, api_settings, app_db_url, build_api

__all__ = ["app_db_url"]
END = date(2025, 8, 31)  # a fixed end date keeps the demo's numbers fixed
ACME = "acme"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo exports loaded into workspace ``acme`` of a DuckDB file (no detection yet)."""
    folder = tmp_path_factory.mktemp("insights")
    paths = write_demo_exports(folder / "exports", end_date=END, days=45)
    with open_store(folder / "demo.duckdb") as store:
        for currency, rate in DEMO_RATES.items():
            fx.set_rate(store, currency, rate, reporting_currency="USD")
        for path in paths:
            ingest_file(store, path, workspace=ACME)
    return folder / "demo.duckdb"


@pytest.fixture
def api(tmp_path: Path, app_db_url: str, demo_db: Path) -> Iterator[Api]:
    """The API over a private copy of the demo store."""
    shutil.copy(demo_db, tmp_path / "api.duckdb")
    yield from build_api(api_settings(tmp_path, app_db_url))


def stored(api: Api, read: Any) -> Any:
    """What the library reads from the served store (``read(store)``)."""
    with api.services.reading() as store:
        return read(store)


def as_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()} for row in rows
    ]


def planted(event: str, level: str, platform: str, campaign: str | None, kind: str) -> tuple:
    days = sorted(PLANTED[event].dates(END))
    triage = "performance change" if kind == "performance change" else "data problem"
    return (level, platform, campaign, f"{days[0]}T00:00:00", f"{days[-1]}T00:00:00", triage, kind)


PLANTED_INCIDENTS = {
    planted("meta_spend_spike", "campaign", "meta", "Summer Sale 2025 | Retargeting",
            "performance change"),
    planted("google_tracking_outage", "platform", "google_ads", None, "tracking stopped"),
    planted("google_pmax_paused", "campaign", "google_ads", "PMax_US", "no delivery"),
    planted("google_bad_day", "campaign", "google_ads", "Generic_US_Search", "missing rows"),
    planted("tiktok_duplicate_row", "campaign", "tiktok", "summer_sale_2025_tt",
            "duplicate rows"),
    planted("meta_campaign_spelling", "campaign", "meta", "Summer Sale 2025 | Prospecting",
            "missing rows"),
}  # fmt: skip


def summary(rows: list[dict[str, Any]]) -> set[tuple]:
    keys = ("level", "platform", "campaign_name", "period_start", "period_end", "triage", "kind")
    return {tuple(r[k] for k in keys) for r in rows}


def test_detection_finds_the_planted_events_and_the_list_reads_them_back(api: Api) -> None:
    analyst = api.user("ana", "analyst", workspace=ACME)
    assert api.client.get("/anomalies", headers=analyst).json() == {"data": []}

    detected = api.client.post("/anomalies/detect", headers=analyst)
    assert detected.status_code == 200
    body = detected.json()
    assert summary(body["data"]) == PLANTED_INCIDENTS
    assert body["count"] == len(body["data"]) == 6
    expected = as_json(stored(api, lambda store: list_anomalies(store, ACME)))
    assert body["data"] == expected
    assert api.client.get("/anomalies", headers=analyst).json() == {"data": expected}
    paused = next(r for r in body["data"] if r["campaign_name"] == "PMax_US")
    assert {k: paused[k] for k in ("workspace", "metric", "actual", "deviation", "triage")} == {
        "workspace": ACME,
        "metric": "spend",
        "actual": 0.0,
        "deviation": -1.0,
        "triage": "data problem",
    }
    assert datetime.fromisoformat(paused["detected_at"]).tzinfo is not None

    # filters: a platform, a period (incidents overlapping it), both ends inclusive
    meta = api.client.get("/anomalies?platform=meta", headers=analyst).json()
    assert meta == {"data": [r for r in expected if r["platform"] == "meta"]}
    last = max(PLANTED["google_tracking_outage"].dates(END))
    window = api.client.get(f"/anomalies?start={last}&end={last}", headers=analyst).json()
    assert summary(window["data"]) == {
        planted("google_tracking_outage", "platform", "google_ads", None, "tracking stopped")
    }
    day = PLANTED["meta_spend_spike"].dates(END)[0]
    one_day = api.client.get(f"/anomalies?start={day}&end={day}&platform=meta", headers=analyst)
    assert [r["campaign_name"] for r in one_day.json()["data"]] == [
        "Summer Sale 2025 | Retargeting"
    ]

    # a new run replaces the workspace's incidents (new ids, same findings)
    again = api.client.post("/anomalies/detect?days=90", headers=analyst).json()
    assert summary(again["data"]) == PLANTED_INCIDENTS
    assert {r["anomaly_id"] for r in again["data"]}.isdisjoint(r["anomaly_id"] for r in expected)
    assert api.client.get("/anomalies", headers=analyst).json() == {"data": again["data"]}


def test_detection_over_fewer_days_reports_only_those(api: Api) -> None:
    analyst = api.user("ana", "analyst", workspace=ACME)
    body = api.client.post("/anomalies/detect?days=5", headers=analyst).json()
    # the last five days hold one planted event: the paused campaign (days -2 to 0)
    assert summary(body["data"]) == {
        planted("google_pmax_paused", "campaign", "google_ads", "PMax_US", "no delivery")
    }
    assert body["count"] == 1


def test_bad_periods_and_platforms_are_refused_with_what_to_do(api: Api) -> None:
    viewer = api.user("vic", "viewer", workspace=ACME)
    backwards = api.client.get("/anomalies?start=2025-08-31&end=2025-08-01", headers=viewer)
    body = {k: v for k, v in backwards.json().items() if k != "request_id"}
    assert (backwards.status_code, backwards.headers["content-type"]) == (
        400,
        "application/problem+json",
    )
    assert body == {
        "type": "https://adlens.dev/errors/invalid_input",
        "title": "invalid input",
        "status": 400,
        "detail": "start 2025-08-31 is after end 2025-08-01",
        "code": "invalid_input",
        "hint": "give the first day as start and the last day as end",
        "where": {"field": "start"},
    }
    consolidated = api.client.get(
        "/campaigns/consolidated?start=2025-08-31&end=2025-08-01", headers=viewer
    )
    assert consolidated.json()["detail"] == "start 2025-08-31 is after end 2025-08-01"
    for url in ("/anomalies?platform=facebook", "/anomalies?start=yesterday"):
        refused = api.client.get(url, headers=viewer)
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_request"), url
    analyst = api.user("ana", "analyst", workspace=ACME)
    too_many = api.client.post("/anomalies/detect?days=0", headers=analyst)
    assert (too_many.status_code, too_many.json()["errors"][0]["where"]) == (422, "query.days")


def test_the_platform_choices_are_the_stores_platforms() -> None:
    assert get_args(Platform) == PLATFORMS


def test_campaigns_across_platforms_are_the_librarys_view(api: Api) -> None:
    viewer = api.user("vic", "viewer", workspace=ACME)
    whole = api.client.get("/campaigns/consolidated", headers=viewer).json()
    assert whole == {"data": stored(api, lambda store: cross_platform(store, ACME))}
    rows = {r["canonical_campaign"]: r for r in whole["data"]}
    flagged = sorted(name for name, row in rows.items() if row["gap_flag"])
    assert flagged == ["Always-on Brand", "Notoriété marque", "Soldes d'été 2025"]
    assert rows["Summer Sale 2025"]["platforms"] == [
        "google_ads",
        "linkedin",
        "meta",
        "microsoft",
        "tiktok",
        "ga4",
    ]

    start, end = END - timedelta(days=6), END
    week = api.client.get(f"/campaigns/consolidated?start={start}&end={end}", headers=viewer)
    assert week.json() == {
        "data": stored(api, lambda store: cross_platform(store, ACME, start, end))
    }
    daily = api.client.get(
        f"/campaigns/consolidated?start={start}&end={end}&by_day=true", headers=viewer
    ).json()["data"]
    assert daily == stored(api, lambda store: cross_platform(store, ACME, start, end, by_day=True))
    assert {r["date"] for r in daily} == {str(start + timedelta(days=i)) for i in range(7)}
    summer = [r for r in daily if r["canonical_campaign"] == "Summer Sale 2025"]
    weekly = {r["canonical_campaign"]: r for r in week.json()["data"]}["Summer Sale 2025"]
    # each day's spend is rounded to the cent: seven days may differ by 3.5 cents at most
    assert sum(r["spend"] for r in summer) == pytest.approx(weekly["spend"], abs=0.035)
    assert sum(r["sessions"] for r in summer) == weekly["sessions"]


def test_an_override_moves_a_name_and_reconciles_its_campaign(api: Api) -> None:
    analyst = api.user("ana", "analyst", workspace=ACME)
    before = api.client.get("/campaign-map", headers=analyst).json()
    assert before == {"data": as_json(stored(api, lambda store: campaign_map(store, ACME)))}
    followers = [r for r in before["data"] if r["campaign_name"] == "Brand - Followers"]
    assert [(r["platform"], r["canonical_campaign"], r["method"]) for r in followers] == [
        ("ga4", "Brand - Followers", "auto")
    ]
    campaigns = api.client.get("/campaigns/consolidated", headers=analyst).json()["data"]
    brand = {r["canonical_campaign"]: r for r in campaigns}["Always-on Brand"]
    lost = {r["canonical_campaign"]: r for r in campaigns}["Brand - Followers"]
    version = api.client.get("/v1/version", headers=analyst).json()
    query = {"measures": ["spend", "clicks"], "dimensions": ["campaign_name"]}
    cached = api.client.post("/v1/load", json=query, headers=analyst).json()

    changed = api.client.put(
        "/campaign-map",
        json={
            "platform": "ga4",
            "campaign_name": "Brand - Followers",
            "canonical_campaign": "  Always-on   Brand ",
        },
        headers=analyst,
    )
    assert changed.status_code == 200
    row = changed.json()
    assert datetime.fromisoformat(row.pop("updated_at")) > datetime.fromisoformat(
        followers[0]["updated_at"]
    )
    assert row == {
        "workspace": ACME,
        "platform": "ga4",
        "campaign_name": "Brand - Followers",
        "canonical_campaign": "Always-on Brand",
        "confidence": 1.0,
        "method": "override",
    }
    after = api.client.get("/campaign-map", headers=analyst).json()["data"]
    assert [r for r in after if r["campaign_name"] != "Brand - Followers"] == [
        r for r in before["data"] if r["campaign_name"] != "Brand - Followers"
    ]

    # the GA4 sessions now count for the LinkedIn campaign, whose gap is explained away
    now = {
        r["canonical_campaign"]: r
        for r in api.client.get("/campaigns/consolidated", headers=analyst).json()["data"]
    }
    assert "Brand - Followers" not in now
    assert now["Always-on Brand"] == {
        **brand,
        "platforms": ["linkedin", "ga4"],
        "sessions": lost["sessions"],
        "blended_roas": 0.0,  # GA4 has data for it now: no revenue (no conversions: no CPA)
        "click_session_gap": round(lost["sessions"] / brand["clicks"] - 1, 4),
        "gap_flag": False,
        "gap_explanation": f"sessions are {lost['sessions'] / brand['clicks']:.0%} of ad "
        "clicks, within the normal 50%–120%: some clicks never become sessions (visitors "
        "leaving before the page loads, consent, blockers)",
    }

    # no query reads the map: the data version and cached answers stand
    assert api.client.get("/v1/version", headers=analyst).json() == version
    again = api.client.post("/v1/load", json=query, headers=analyst).json()
    assert (again["data"], again["metadata"]["cache"]["hit"]) == (cached["data"], True)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"platform": "facebook", "campaign_name": "X", "canonical_campaign": "Y"},
            "unknown platform 'facebook'",
        ),
        (
            {"platform": "meta", "campaign_name": "X", "canonical_campaign": "   "},
            "a campaign name and its canonical campaign are both needed",
        ),
        (
            {"platform": "meta", "campaign_name": " ", "canonical_campaign": "Y"},
            "a campaign name and its canonical campaign are both needed",
        ),
    ],
)
def test_a_bad_override_is_a_422_that_changes_nothing(
    api: Api, body: dict[str, str], detail: str
) -> None:
    analyst = api.user("ana", "analyst", workspace=ACME)
    before = api.client.get("/campaign-map", headers=analyst).json()
    refused = api.client.put("/campaign-map", json=body, headers=analyst)
    assert (refused.status_code, refused.headers["content-type"]) == (
        422,
        "application/problem+json",
    )
    assert (refused.json()["code"], refused.json()["detail"]) == ("invalid_campaign_map", detail)
    assert api.client.get("/campaign-map", headers=analyst).json() == before


def test_a_malformed_override_body_is_a_422_naming_the_field(api: Api) -> None:
    analyst = api.user("ana", "analyst", workspace=ACME)
    meta = {"platform": "meta", "canonical_campaign": "Y"}
    for body, where in [
        ({"platform": "meta", "campaign_name": "X"}, "body.canonical_campaign"),
        ({**meta, "campaign_name": ["X"]}, "body.campaign_name"),
        ({**meta, "campaign_name": "X" * 1001}, "body.campaign_name"),
        ("meta", "body"),
    ]:
        refused = api.client.put("/campaign-map", json=body, headers=analyst)
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_request"), body
        assert refused.json()["errors"][0]["where"] == where


def test_viewers_read_but_change_nothing(api: Api) -> None:
    analyst = api.user("ana", "analyst", workspace=ACME)
    viewer = api.user("vic", "viewer", workspace=ACME)
    incidents = api.client.post("/anomalies/detect", headers=analyst).json()["data"]
    assert api.client.get("/anomalies", headers=viewer).json() == {"data": incidents}
    mapped = api.client.get("/campaign-map", headers=viewer).json()
    assert mapped == api.client.get("/campaign-map", headers=analyst).json()

    override = {"platform": "ga4", "campaign_name": "a", "canonical_campaign": "b"}
    for method, url, body in [
        ("POST", "/anomalies/detect", None),
        ("PUT", "/campaign-map", override),
    ]:
        refused = api.client.request(method, url, json=body, headers=viewer)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden"), url
    assert api.client.get("/anomalies", headers=viewer).json() == {"data": incidents}
    assert api.client.get("/campaign-map", headers=viewer).json() == mapped
    # an API key narrowed to reading cannot query the consolidated numbers
    reader = {"X-API-Key": api.key("viewer", workspace=ACME, scopes=["read"])}
    assert api.client.get("/anomalies", headers=reader).status_code == 200
    assert api.client.get("/campaigns/consolidated", headers=reader).status_code == 403


def test_no_workspace_sees_or_changes_anothers_insights(api: Api) -> None:
    acme = api.user("acme-admin", "admin", workspace=ACME)
    other = api.user("globex-admin", "admin", workspace="globex")
    incidents = api.client.post("/anomalies/detect", headers=acme).json()["data"]
    acme_map = api.client.get("/campaign-map", headers=acme).json()
    acme_campaigns = api.client.get("/campaigns/consolidated", headers=acme).json()

    assert api.client.get("/anomalies", headers=other).json() == {"data": []}
    assert api.client.get("/campaign-map", headers=other).json() == {"data": []}
    assert api.client.get("/campaigns/consolidated", headers=other).json() == {"data": []}
    # globex's detection and override touch globex only
    assert api.client.post("/anomalies/detect", headers=other).json() == {"data": [], "count": 0}
    own = api.client.put(
        "/campaign-map",
        json={"platform": "ga4", "campaign_name": "Brand - Followers", "canonical_campaign": "Z"},
        headers=other,
    ).json()
    assert (own["workspace"], own["canonical_campaign"]) == ("globex", "Z")
    assert [
        r["campaign_name"] for r in api.client.get("/campaign-map", headers=other).json()["data"]
    ] == ["Brand - Followers"]
    assert api.client.get("/anomalies", headers=acme).json() == {"data": incidents}
    assert api.client.get("/campaign-map", headers=acme).json() == acme_map
    assert api.client.get("/campaigns/consolidated", headers=acme).json() == acme_campaigns


def test_insight_calls_are_audited(api: Api) -> None:
    admin = api.user("root", "admin", workspace=ACME)
    api.client.post("/anomalies/detect", headers=admin)
    api.client.put(
        "/campaign-map",
        json={"platform": "moon", "campaign_name": "a", "canonical_campaign": "b"},
        headers=admin,
    )
    api.client.get("/campaigns/consolidated?by_day=true", headers=admin)
    records = api.client.get("/audit?limit=3", headers=admin).json()["data"]
    keys = ("principal", "workspace", "method", "route", "status")
    assert [tuple(r[k] for k in keys) for r in records] == [
        ("root", ACME, "GET", "/campaigns/consolidated", 200),
        ("root", ACME, "PUT", "/campaign-map", 422),
        ("root", ACME, "POST", "/anomalies/detect", 200),
    ]


def test_cors_lets_configured_origins_put_overrides(tmp_path: Path, app_db_url: str) -> None:
    settings = api_settings(tmp_path, app_db_url, cors_origins=["https://dash.example"])
    for running in build_api(settings):
        preflight = running.client.options(
            "/campaign-map",
            headers={
                "Origin": "https://dash.example",
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "Authorization, Content-Type",
            },
        )
        assert preflight.status_code == 200
        assert "PUT" in preflight.headers["access-control-allow-methods"].split(", ")
