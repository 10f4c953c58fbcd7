"""Uploads (JSON rows and files), the record of loads, queries of both shapes, metrics."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from adlens.store import Store

from .api_support import META_ROWS, PASSWORD, Api, api, api_settings, app_db_url, build_api
from .conftest import EXPORTS

__all__ = ["api", "app_db_url"]
SPEC = {
    "metrics": [
        {
            "name": "total_spend",
            "data_type": "meta_ads",
            "dimensions": ["campaign_name"],
            "aggregation_type": "sum",
        }
    ],
    "time_range": {"start": "2024-01-01T00:00:00Z", "end": "2024-01-31T23:59:59Z"},
    "granularity": 86400,
}


def test_json_rows_are_checked_one_by_one(api: Api) -> None:
    analyst = api.user("ana")
    rows = [
        META_ROWS[0],
        {"date": "not a date", "campaign_name": "Summer", "spend": 1},
        "oops",
        {
            "Day": "2024-01-02",
            "Campaign name": "Summer",
            "Amount spent": "7.25",
            "Impressions": 500,
            "Link clicks": 3,
            "Currency": "USD",
            "Reach": 9,
        },
        {"spend": [1, 2]},
        {"colour": "blue"},
    ]
    response = api.client.post(
        "/data/upload", json={"data_type": "meta_ads", "data": rows}, headers=analyst
    )
    body = response.json()
    assert response.status_code == 200
    assert {
        k: body[k]
        for k in ("data_type", "platform", "ingest_id", "loaded", "rejected", "ignored_fields")
    } == {
        "data_type": "meta_ads",
        "platform": "meta",
        "ingest_id": 1,
        "loaded": 2,
        "rejected": [
            {"row": 1, "reason": "Day 'not a date' is not a date (YYYY-MM-DD)"},
            {"row": 2, "reason": "a row must be an object of field: value, not str"},
            {"row": 4, "reason": "field 'spend' holds a list; use text, a number or null"},
            {"row": 5, "reason": "none of its fields (colour) is a Meta Ads Manager field"},
        ],
        "ignored_fields": ["Reach", "colour"],
    }
    assert (body["report"]["rows_loaded"], body["report"]["rows_rejected"]) == (2, 1)
    detail = api.client.get("/ingests/1", headers=analyst).json()
    assert detail["rejects"] == {
        "data": [
            {
                "line": 3,
                "reason": "Day 'not a date' is not a date (YYYY-MM-DD)",
                "raw": "not a date,Summer,1",
            }
        ],
        "total": 1,
    }
    assert sorted(detail["quality"]) == ["dimensions", "recommendations", "score"]
    assert detail["ingest"]["source_file"] == "meta_ads_upload.csv"


def test_unknown_data_type_says_what_to_use(api: Api) -> None:
    response = api.client.post(
        "/data/upload", json={"data_type": "meta_adz", "data": []}, headers=api.user("ana")
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith(
        "unknown data_type 'meta_adz'. Did you mean 'meta_ads' or 'meta'? Use one of "
    )


def test_file_upload_returns_the_ingest_report_and_lists_it(api: Api) -> None:
    analyst = api.user("ana")
    name = sorted(p.name for p in EXPORTS.glob("*.csv"))[0]
    with (EXPORTS / name).open("rb") as handle:
        response = api.client.post(
            "/data/upload/file", files={"file": (name, handle, "text/csv")}, headers=analyst
        )
    report = response.json()
    assert response.status_code == 200, response.text
    assert "adlens-upload-" not in response.text
    assert (report["file"], report["status"], report["ingest_id"]) == (name, "loaded", 1)
    assert report["detection"]["file"] == name
    listed = api.client.get("/ingests?limit=5", headers=analyst).json()
    assert listed["total"] == 1
    assert [
        (r["ingest_id"], r["source_file"], r["rows_loaded"], r["quality_score"])
        for r in listed["data"]
    ] == [(1, name, report["rows_loaded"], report["quality"]["score"])]
    again = api.client.post(
        "/data/upload/file", files={"file": (name, (EXPORTS / name).read_bytes())}, headers=analyst
    ).json()
    assert (again["status"], again["duplicate_of"]) == ("duplicate", 1)


def test_a_zipped_upload_loads_within_the_unpacked_limit(tmp_path: Path, app_db_url: str) -> None:
    name = "microsoft_ads_daily.csv"
    body = (EXPORTS / name).read_bytes()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, body * 2)  # twice the export: past the limit below
    for running in build_api(
        api_settings(tmp_path, app_db_url, max_unpacked_bytes=len(body) + 100)
    ):
        analyst = running.user("ana")
        refused = running.client.post(
            "/data/upload/file",
            files={"file": ("report.zip", packed.getvalue())},
            headers=analyst,
        )
        assert refused.status_code == 422
        assert f"unpacks to more than {len(body) + 100:,} bytes" in refused.json()["detail"]
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, body)
        loaded = running.client.post(
            "/data/upload/file",
            files={"file": ("report.zip", packed.getvalue())},
            headers=analyst,
        ).json()
        assert (loaded["status"], loaded["file"], loaded["rows_loaded"]) == (
            "loaded",
            "report.zip",
            3,
        )
        assert (loaded["detection"]["archive"], loaded["detection"]["member"]) == ("zip", name)
        listed = running.client.get("/ingests", headers=analyst).json()["data"]
        assert [r["source_file"] for r in listed] == ["report.zip"]


def test_a_zip_of_several_exports_loads_each_and_says_which_failed(api: Api) -> None:
    analyst = api.user("ana")
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("march/meta.csv", (EXPORTS / "meta_ads_daily.csv").read_bytes())
        archive.writestr("empty.csv", b"Day,Campaign name,Amount spent (USD)\n")
        archive.writestr("tiktok.csv", (EXPORTS / "tiktok_ads_daily.csv").read_bytes())
        archive.writestr("__MACOSX/._tiktok.csv", b"resource fork")
    response = api.client.post(
        "/data/upload/file", files={"file": ("exports.zip", packed.getvalue())}, headers=analyst
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["file"], answer["status"]) == ("exports.zip", "archive")
    assert [(r["file"], r["platform"], r["status"]) for r in answer["reports"]] == [
        ("exports.zip/march/meta.csv", "meta", "loaded"),
        ("exports.zip/tiktok.csv", "tiktok", "loaded"),
    ]
    assert [r["detection"]["file"] for r in answer["reports"]] == [
        "exports.zip/march/meta.csv",
        "exports.zip/tiktok.csv",
    ]
    assert "adlens-upload-" not in response.text  # the server's scratch path stays inside
    assert [(e["detail"], e["where"]) for e in answer["errors"]] == [
        (
            "exports.zip/empty.csv: has a header (line 1) but no data rows",
            {"file": "exports.zip/empty.csv"},
        )
    ]
    listed = api.client.get("/ingests", headers=analyst).json()["data"]
    assert sorted(r["source_file"] for r in listed) == [
        "exports.zip/march/meta.csv",
        "exports.zip/tiktok.csv",
    ]


def test_an_archive_of_too_many_exports_is_refused_whole(api: Api) -> None:
    analyst = api.user("ana")
    packed = io.BytesIO()
    body = (EXPORTS / "tiktok_ads_daily.csv").read_bytes()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        for day in range(101):
            archive.writestr(f"day{day:03}.csv", body)
    response = api.client.post(
        "/data/upload/file", files={"file": ("year.zip", packed.getvalue())}, headers=analyst
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("year.zip holds 101 exports; an upload loads at")
    assert api.client.get("/ingests", headers=analyst).json()["total"] == 0


def test_a_refused_upload_names_the_file_as_uploaded(api: Api) -> None:
    response = api.client.post(
        "/data/upload/file",
        files={"file": ("empty.csv", b"Day,Campaign name,Amount spent (USD)\n")},
        headers=api.user("ana"),
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == "empty.csv: has a header (line 1) but no data rows"
    assert problem["where"] == {"file": "empty.csv"}  # not the server's scratch path
    assert "adlens-upload-" not in response.text


def test_formula_cells_are_never_echoed_unescaped(api: Api) -> None:
    analyst = api.user("ana")
    rows = [META_ROWS[0], {"date": '=HYPERLINK("http://x")', "campaign_name": "=1+1", "spend": 1}]
    api.client.post("/data/upload", json={"data_type": "meta_ads", "data": rows}, headers=analyst)
    rejects = api.client.get("/ingests/1", headers=analyst).json()["rejects"]["data"]
    assert [r["raw"] for r in rejects] == ['"\'=HYPERLINK(""http://x"")",\'=1+1,1']


def test_both_query_shapes_answer_from_the_engine_and_cache(api: Api) -> None:
    analyst = api.user("ana")
    api.client.post(
        "/data/upload", json={"data_type": "meta_ads", "data": META_ROWS}, headers=analyst
    )
    first = api.client.post("/query/dashboard", json=SPEC, headers=analyst).json()
    assert first["data"] == [
        {"ts.day": "2024-01-01", "campaign_name": "Summer", "total_spend": 12.5},
        {"ts.day": "2024-01-02", "campaign_name": "Summer", "total_spend": 7.25},
        {"ts.day": "2024-01-02", "campaign_name": "Winter", "total_spend": 30.0},
    ]
    assert first["metadata"]["cache"] == {"hit": False, "level": None}
    second = api.client.post("/query/dashboard", json=SPEC, headers=analyst).json()
    assert (second["data"], second["metadata"]["cache"]) == (
        first["data"],
        {"hit": True, "level": "l1"},
    )
    cube = api.client.post(
        "/v1/load",
        json={
            "measures": ["spend", "ctr"],
            "dimensions": ["campaign_name"],
            "order": {"spend": "desc"},
        },
        headers=analyst,
    ).json()
    assert cube["data"] == [
        {"campaign_name": "Winter", "spend": 30.0, "ctr": 0.01},
        {"campaign_name": "Summer", "spend": 19.75, "ctr": pytest.approx(23 / 1500, rel=1e-14)},
    ]
    assert cube["metadata"]["data_version"] == 1
    wrong = api.client.post("/v1/load", json=SPEC, headers=analyst)
    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid_query")
    metrics = api.client.get("/metrics").text
    assert "cache_hits_total 1.0" in metrics and "cache_misses_total 2.0" in metrics
    assert 'adlens_ingest_rows_total{outcome="loaded"} 3.0' in metrics
    assert 'http_requests_total{method="POST",route="/query/dashboard",status="200"} 2.0' in metrics


def test_meta_version_and_custom_metrics(api: Api) -> None:
    analyst = api.user("ana")
    meta = api.client.get("/v1/meta", headers=analyst).json()
    assert [m["name"] for m in meta["measures"]][:5] == [
        "spend",
        "impressions",
        "clicks",
        "conversions",
        "conversion_value",
    ]
    assert [g["name"] for g in meta["granularities"]] == [
        "minute",
        "5m",
        "15m",
        "hour",
        "day",
        "week",
        "month",
        "quarter",
        "year",
    ]
    assert meta["week_starts"][0] == "monday" and meta["week_starts"][-1] == "sunday"
    assert sorted(meta["measures"][0]) == [
        "description",
        "format",
        "kind",
        "name",
        "table",
        "title",
    ]
    assert api.client.get("/v1/version", headers=analyst).json() == {
        "data_version": 0,
        "last_load_at": None,
    }
    created = api.client.post(
        "/v1/custom-metrics",
        json={"name": "spend_k", "expression": "spend / 1000", "format": "currency"},
        headers=analyst,
    )
    assert created.json() == {
        "name": "spend_k",
        "expression": "spend / 1000",
        "format": "currency",
        "description": None,
        "table": "ad_performance",
    }
    refused = api.client.post(
        "/v1/custom-metrics",
        json={"name": "bad", "expression": "spend; DROP TABLE x"},
        headers=analyst,
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_metric")
    assert api.client.delete("/v1/custom-metrics/spend_k", headers=analyst).status_code == 204
    assert api.client.get("/v1/custom-metrics", headers=analyst).json() == []


def test_audit_records_requests_without_secrets(api: Api) -> None:
    admin = api.user("root", "admin")
    api.client.get("/me", headers=admin)
    api.client.get("/me", headers={"Authorization": "Bearer not-a-token"})
    api.client.post("/auth/token", json={"username": "root", "password": "wrong password"})
    api.client.post("/auth/token", json={"username": "nobody", "password": "wrong password"})
    records = api.client.get("/audit?limit=10", headers=admin).json()
    rows = [(r["principal"], r["method"], r["route"], r["status"]) for r in records["data"]]
    # newest first; calls that name no account of this workspace are not shown to it
    assert rows == [
        ("login:root", "POST", "/auth/token", 401),
        ("root", "GET", "/me", 200),
        ("root", "POST", "/auth/token", 200),
    ]
    assert sorted(records["data"][0]) == [
        "at",
        "client_ip",
        "latency_ms",
        "method",
        "principal",
        "request_id",
        "route",
        "status",
        "workspace",
    ]
    from sqlalchemy import select

    from adlens.appdb.models import AuditRecord

    with api.services.app_db.session() as session:
        every = session.scalars(select(AuditRecord)).all()
        text = repr([(r.principal, r.route, r.request_id, r.client_ip) for r in every])
    assert "Bearer" not in text and "not-a-token" not in text and "password" not in text
    assert PASSWORD not in text
    assert {r.route for r in every} - {"/audit"} == {"/auth/token", "/me"}


def test_an_empty_query_is_refused_with_what_to_do(api: Api) -> None:
    response = api.client.post("/v1/load", json={}, headers=api.user("ana"))
    body = {k: v for k, v in response.json().items() if k != "request_id"}
    assert body == {
        "type": "https://adlens.dev/errors/invalid_query",
        "title": "invalid query",
        "status": 400,
        "detail": "the query asks for nothing: name at least one measure or dimension",
        "code": "invalid_query",
        "hint": 'for example {"measures": ["spend"]}',
        "where": {"field": "measures"},
    }


def test_data_versions_are_remembered_only_between_writes() -> None:
    from adlens.store.db import VersionMemo

    memo = VersionMemo()
    calls: list[int] = []

    def read(value: int, racing_write: bool = False):  # type: ignore[no-untyped-def]
        def compute() -> int:
            calls.append(value)
            if racing_write:
                memo.forget()  # a write committed while this read was running
            return value

        return compute

    assert memo.get("w", read(1, racing_write=True)) == 1
    assert memo.get("w", read(2)) == 2  # the raced read was not remembered
    assert memo.get("w", read(3)) == 2  # remembered until the next write
    memo.forget()
    assert memo.get("w", read(4)) == 4
    assert calls == [1, 2, 4]


def test_a_load_changes_the_version_every_reader_sees(api: Api) -> None:
    analyst = api.user("ana")
    assert api.client.get("/v1/version", headers=analyst).json()["data_version"] == 0
    api.client.post(
        "/data/upload", json={"data_type": "meta_ads", "data": META_ROWS}, headers=analyst
    )
    assert api.client.get("/v1/version", headers=analyst).json()["data_version"] == 1
    api.client.post(
        "/v1/custom-metrics", json={"name": "x2", "expression": "spend * 2"}, headers=analyst
    )
    assert api.client.get("/v1/version", headers=analyst).json()["data_version"] == 2


def test_a_version_never_runs_ahead_of_its_load_time(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load that commits while /v1/version is being answered: if the answer counts the
    load, it also carries its time (the events stream announces both together)."""
    analyst = api.user("ana")
    read_version = Store.data_version

    def load_meanwhile(store: Store, workspace: str = "default") -> int:
        monkeypatch.setattr(Store, "data_version", read_version)
        uploaded = api.client.post(
            "/data/upload", json={"data_type": "meta_ads", "data": META_ROWS}, headers=analyst
        )
        assert uploaded.json()["loaded"] == len(META_ROWS)
        return read_version(store, workspace)

    monkeypatch.setattr(Store, "data_version", load_meanwhile)
    version = api.client.get("/v1/version", headers=analyst).json()
    assert version["data_version"] == 1 and version["last_load_at"] is not None


def test_when_no_row_loads_each_row_still_gets_its_reason(api: Api) -> None:
    rows = [
        {"date": "bad", "spend": 1},
        {"date": "2024-13-45", "campaign_name": "x", "spend": "abc"},
        7,
    ]
    response = api.client.post(
        "/data/upload", json={"data_type": "meta_ads", "data": rows}, headers=api.user("ana")
    )
    assert response.json() == {
        "data_type": "meta_ads",
        "platform": "meta",
        "ingest_id": None,
        "loaded": 0,
        "rejected": [
            {"row": 0, "reason": "Day 'bad' is not a date (YYYY-MM-DD)"},
            {
                "row": 1,
                "reason": "Day '2024-13-45' is not a date (YYYY-MM-DD); Amount spent 'abc' is "
                "not a number; no metric values in this row",
            },
            {"row": 2, "reason": "a row must be an object of field: value, not int"},
        ],
        "ignored_fields": [],
        "report": None,
    }
    assert api.client.get("/ingests", headers=api.login("ana")).json() == {"data": [], "total": 0}


def test_audit_records_past_retention_are_pruned(api: Api) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, select

    from adlens.appdb.models import AuditRecord

    old = {
        "request_id": "old",
        "principal": "x",
        "workspace": "default",
        "method": "GET",
        "route": "/me",
        "status": 200,
        "latency_ms": 1.0,
        "client_ip": None,
    }
    with api.services.app_db.session() as session:
        session.execute(
            insert(AuditRecord),
            [
                {**old, "at": datetime.now(UTC) - timedelta(days=91)},
                {**old, "request_id": "recent", "at": datetime.now(UTC) - timedelta(days=89)},
            ],
        )
    assert api.services.audit.prune() == 1
    with api.services.app_db.session() as session:
        kept = session.scalars(select(AuditRecord.request_id)).all()
    assert list(kept) == ["recent"]
