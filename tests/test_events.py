"""Event streams: batches stored whole with their minute rollup, and minute-grain queries."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adlens.events import append_events
from adlens.query import QueryError, run_query
from adlens.query.rollups import use_rollups
from adlens.store import Store, open_store
from adlens.store.rollups import rebuild_rollups

from .query_helpers import rounded


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "events.duckdb") as opened:
        yield opened


def click(ts: str, **extra: Any) -> dict[str, Any]:
    return {"ts": ts, "event": "click", "platform": "meta", "campaign_name": "Spring", **extra}


def stored(store: Store) -> list[dict[str, Any]]:
    return store.query(
        "SELECT workspace, ts, platform, campaign_name, event, value, event_id, batch_id, source "
        "FROM events ORDER BY ts, event"
    )


def test_a_batch_loads_its_valid_events_and_reports_the_rest(store: Store) -> None:
    report = append_events(
        store,
        [
            click("2026-11-26T10:15:03Z", value=0.4, event_id="c1"),
            click("2026-11-26T11:15:09+01:00", value="0.6", event_id="c2"),  # 10:15:09 UTC
            {"ts": 1795688400, "event": " Conversion ", "value": 25, "platform": "Google_Ads"},
            # 1795688400 s after the epoch = 2026-11-26 10:20 UTC
            click("2026-11-26T10:16:00", event_id="c1"),  # repeated id in the batch
            {"ts": "2026-11-26T10:17:00Z"},
            {"ts": "2026-11-26T10:17:00Z", "event": "click", "value": "a lot"},
            {"ts": "2026-11-26T10:17:00Z", "event": "click", "cost": 1},
            "not an object",
        ],
        source="test",
    )
    assert report.to_dict() == {
        "batch_id": 1,
        "received": 8,
        "loaded": 3,
        "duplicates": 1,
        "rejected": [
            {"row": 4, "reason": "event: required, a non-empty text such as 'click'"},
            {"row": 5, "reason": "value: a number, not 'a lot'"},
            {
                "row": 6,
                "reason": "unknown field(s) 'cost'; known: ('ts', 'event', 'value', "
                "'platform', 'account_id', 'campaign_id', 'campaign_name', 'channel', "
                "'event_id')",
            },
            {"row": 7, "reason": "an event is an object with ts and event, not str"},
        ],
    }
    common = {"workspace": "default", "batch_id": 1, "source": "test"}
    assert stored(store) == [
        {
            **common,
            "ts": datetime(2026, 11, 26, 10, 15, 3),
            "platform": "meta",
            "campaign_name": "Spring",
            "event": "click",
            "value": 0.4,
            "event_id": "c1",
        },
        {
            **common,
            "ts": datetime(2026, 11, 26, 10, 15, 9),
            "platform": "meta",
            "campaign_name": "Spring",
            "event": "click",
            "value": 0.6,
            "event_id": "c2",
        },
        {
            **common,
            "ts": datetime(2026, 11, 26, 10, 20),
            "platform": "google_ads",
            "campaign_name": None,
            "event": "conversion",
            "value": 25.0,
            "event_id": None,
        },
    ]
    assert store.query(
        "SELECT platform, event, ts, value, row_count FROM rollup_events_minute ORDER BY ts"
    ) == [
        {
            "platform": "meta",
            "event": "click",
            "ts": datetime(2026, 11, 26, 10, 15),
            "value": 1.0,
            "row_count": 2,
        },
        {
            "platform": "google_ads",
            "event": "conversion",
            "ts": datetime(2026, 11, 26, 10, 20),
            "value": 25.0,
            "row_count": 1,
        },
    ]
    assert store.data_version() == 1


def test_ids_already_stored_are_skipped_and_an_empty_batch_writes_nothing(store: Store) -> None:
    append_events(store, [click("2026-11-26T10:15:03Z", event_id="c1")])
    again = append_events(
        store,
        [click("2026-11-26T10:15:03Z", event_id="c1"), click("2026-11-26T10:20:00Z")],
        workspace="default",
    )
    assert (again.loaded, again.duplicates, again.rejected) == (1, 1, [])
    elsewhere = append_events(store, [click("2026-11-26T10:15:03Z", event_id="c1")], workspace="b")
    assert elsewhere.loaded == 1  # ids are per workspace
    nothing = append_events(store, [{"event": "click"}])
    assert (nothing.batch_id, nothing.loaded, len(nothing.rejected)) == (None, 0, 1)
    assert store.query("SELECT count(*) AS n FROM events") == [{"n": 3}]
    assert store.data_version() == 2 and store.data_version("b") == 1


def series(granularity: str, date_range: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "measures": ["events", "event_value"],
        "timeDimensions": [
            {"dimension": "ts", "granularity": granularity, "dateRange": date_range}
        ],
        **extra,
    }


def test_a_five_minute_series_from_the_minute_rollup(store: Store) -> None:
    append_events(
        store,
        [
            click("2026-11-26T09:59:59Z", value=9.0),  # before the range
            click("2026-11-26T10:00:00Z", value=1.0),
            click("2026-11-26T10:04:59Z", value=2.0),
            click("2026-11-26T10:05:00Z", value=4.0),
            {"ts": "2026-11-26T10:07:30Z", "event": "conversion", "value": 30.0},
            click("2026-11-26T10:14:59Z"),
            click("2026-11-26T10:15:00Z", value=100.0),  # the range ends at 10:14:59
        ],
    )
    request = series("5m", ["2026-11-26T10:00:00Z", "2026-11-26T10:14:59Z"], dimensions=["event"])
    answer = run_query(store, request)
    with use_rollups(False):
        base = run_query(store, request)
    assert answer.metadata["rollup"] == "rollup_events_minute_platform"  # the coarsest
    assert base.metadata["rollup"] == "base"
    expected = [
        {"ts.5m": "2026-11-26T10:00:00", "event": "click", "events": 2, "event_value": 3.0},
        {"ts.5m": "2026-11-26T10:05:00", "event": "click", "events": 1, "event_value": 4.0},
        {"ts.5m": "2026-11-26T10:05:00", "event": "conversion", "events": 1, "event_value": 30.0},
        {"ts.5m": "2026-11-26T10:10:00", "event": "click", "events": 1, "event_value": None},
    ]
    assert answer.data == base.data == expected
    assert answer.metadata["grain_rows_excluded"] == {"count": 0, "reason": None}


def test_local_buckets_in_a_half_hour_zone_and_totals(store: Store) -> None:
    append_events(
        store,
        [click("2026-11-26T04:29:00Z", value=1.0), click("2026-11-26T04:31:00Z", value=2.0)],
    )
    hourly = series("hour", ["2026-11-26", "2026-11-26"], timezone="Asia/Kolkata")
    assert run_query(store, hourly).data == [
        {"ts.hour": "2026-11-26T09:00:00", "events": 1, "event_value": 1.0},
        {"ts.hour": "2026-11-26T10:00:00", "events": 1, "event_value": 2.0},
    ]
    totals = {
        "measures": ["events"],
        "dimensions": ["platform"],
        "filters": [{"member": "event", "operator": "equals", "values": ["click"]}],
    }
    answer = run_query(store, totals)
    assert answer.data == [{"platform": "meta", "events": 2}]
    assert answer.metadata["rollup"] == "rollup_events_minute_platform"
    by_campaign = run_query(store, {**totals, "dimensions": ["campaign_name"]})
    assert by_campaign.data == [{"campaign_name": "Spring", "events": 2}]
    assert by_campaign.metadata["rollup"] == "rollup_events_minute"


def test_events_and_ad_measures_do_not_mix(store: Store) -> None:
    with pytest.raises(QueryError, match="measures from different tables"):
        run_query(store, {"measures": ["events", "spend"]})
    with pytest.raises(QueryError, match="not available for events"):
        run_query(store, {"measures": ["events"], "dimensions": ["ad_name"]})


def test_rebuild_equals_the_appended_rollup(store: Store) -> None:
    append_events(store, [click("2026-11-26T10:00:10Z", value=1.0)])
    append_events(store, [click("2026-11-26T10:00:50Z", value=2.0)])
    assert store.query("SELECT count(*) AS n FROM rollup_events_minute") == [{"n": 2}]
    with store.transaction() as con:
        rebuilt = rebuild_rollups(con)
    assert (rebuilt["rollup_events_minute"], rebuilt["rollup_events_minute_platform"]) == (1, 1)
    assert store.query("SELECT ts, value, row_count FROM rollup_events_minute") == [
        {"ts": datetime(2026, 11, 26, 10, 0), "value": 3.0, "row_count": 2}
    ]


# --- property: the minute rollup answers exactly what the events table answers -------------

START = datetime(2026, 3, 29, 0, 0)  # Europe/Berlin springs forward this day


def _random_events(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "ts": (START + timedelta(seconds=rng.randint(0, 36 * 3600))).isoformat(),
            "event": rng.choice(["impression", "click", "conversion"]),
            "platform": rng.choice(["meta", "tiktok"]),
            "campaign_name": rng.choice(["Spring", "Brand", None]),
            # Quarters: sums are exact in binary, so any order of addition gives equal floats.
            "value": rng.choice([None, rng.randint(0, 400) / 4]),
        }
        for _ in range(count)
    ]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with open_store(tmp_path_factory.mktemp("events") / "events.duckdb") as opened:
        for seed in range(3):
            append_events(opened, _random_events(seed, 400))
        yield opened


instants = st.integers(0, 40 * 60).map(lambda m: START + timedelta(minutes=m, seconds=0))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    granularity=st.sampled_from([None, "1m", "5m", "15m", "hour", "day"]),
    bounds=st.tuples(instants, instants).map(sorted),
    timezone=st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata"]),
    dimensions=st.lists(st.sampled_from(["event", "platform", "campaign_name"]), max_size=2),
    seconds=st.sampled_from([0, 30]),
)
def test_rollup_answer_equals_the_events_answer(
    loaded: Store,
    granularity: str | None,
    bounds: list[datetime],
    timezone: str,
    dimensions: list[str],
    seconds: int,
) -> None:
    first, last = bounds
    time: dict[str, Any] = {
        "dimension": "ts",
        "dateRange": [
            (first + timedelta(seconds=seconds)).isoformat() + "Z",
            (last + timedelta(seconds=59)).isoformat() + "Z",
        ],
    }
    if granularity:
        time["granularity"] = granularity
    request = {
        "measures": ["events", "event_value"],
        "dimensions": sorted(set(dimensions)),
        "timeDimensions": [time],
        "timezone": timezone,
        "limit": 50000,
    }
    planned = run_query(loaded, request)
    with use_rollups(False):
        base = run_query(loaded, request)
    fine = "campaign_name" in dimensions
    assert planned.metadata["rollup"] == (
        "rollup_events_minute" if fine else "rollup_events_minute_platform"
    )
    assert rounded(planned.data) == rounded(base.data)
    # The reference: events counted by their minute, whole minutes inside the range.
    lo = first + timedelta(minutes=1 if seconds else 0)
    hi = last
    expected = loaded.query(
        "SELECT count(*) AS n FROM events WHERE date_trunc('minute', ts) BETWEEN ? AND ?",
        [lo, hi],
    )[0]["n"]
    assert sum(row["events"] for row in planned.data) == expected


def test_the_cli_loads_json_lines_json_and_csv(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from adlens.cli import app

    db = str(tmp_path / "cli.duckdb")
    lines = tmp_path / "events.jsonl"
    lines.write_text(
        '{"ts": "2026-11-26T10:00:00Z", "event": "click", "event_id": "a"}\n'
        "\n"
        "{not json\n"
        '{"ts": "2026-11-26T10:01:00Z", "event": "conversion", "value": 12.5}\n'
    )
    runner = CliRunner()
    done = runner.invoke(app, ["events", "load", str(lines), "--db", db])
    assert done.exit_code == 1
    assert done.stdout == f"{lines}: 2 events loaded, 0 duplicates skipped, 1 rejected\n"
    assert "event 1: line 3 is not JSON: Expecting property name" in done.stderr
    array = tmp_path / "events.json"
    array.write_text('[{"ts": "2026-11-26T10:02:00Z", "event": "click", "event_id": "a"}]')
    done = runner.invoke(app, ["events", "load", str(array), "--db", db, "--json"])
    assert done.exit_code == 0
    assert '"duplicates": 1' in done.stdout and '"loaded": 0' in done.stdout
    table = tmp_path / "events.csv"
    table.write_text("ts,event,value,platform\n2026-11-26T10:03:00Z,click,,tiktok\n")
    assert runner.invoke(app, ["events", "load", str(table), "--db", db]).exit_code == 0
    broken = tmp_path / "broken.json"
    broken.write_text('{"ts": 1}')
    done = runner.invoke(app, ["events", "load", str(broken), "--db", db])
    assert done.exit_code == 2
    assert "holds a JSON dict, not an array of events" in done.stderr
    with open_store(tmp_path / "cli.duckdb") as opened:
        assert opened.query("SELECT event, platform, value FROM events ORDER BY ts") == [
            {"event": "click", "platform": "generic", "value": None},
            {"event": "conversion", "platform": "generic", "value": 12.5},
            {"event": "click", "platform": "tiktok", "value": None},
        ]
