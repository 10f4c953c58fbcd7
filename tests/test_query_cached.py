"""The query engine with its cache: answers reused, never stale, shared through Redis."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adlens import fx
from adlens.ingest import ingest_file
from adlens.query import run_query
from adlens.query.cache import MemoryCache, RedisCache, TieredCache
from adlens.query.engine import cache_from_settings
from adlens.settings import Settings
from adlens.store import Store

from .conftest import EXPORTS
from .test_query_cache import REDIS_URL, namespace, redis_client  # noqa: F401

QUERY = {
    "measures": ["spend", "clicks"],
    "dimensions": ["campaign_name"],
    "order": {"campaign_name": "asc"},
}


def fresh() -> TieredCache:
    return TieredCache(MemoryCache())


def test_a_repeated_query_is_answered_from_memory(store: Store) -> None:
    ingest_file(store, EXPORTS / "google_ads_campaign_daily.csv")
    cache = fresh()
    first = run_query(store, QUERY, cache=cache)
    second = run_query(store, QUERY, cache=cache)
    assert first.metadata["cache"] == {"hit": False, "level": None}
    assert second.metadata["cache"] == {"hit": True, "level": "l1"}
    assert second.data == first.data
    assert {k: v for k, v in second.metadata.items() if k not in ("cache", "query_time")} == {
        k: v for k, v in first.metadata.items() if k not in ("cache", "query_time")
    }


def test_a_load_makes_the_next_answer_fresh(store: Store) -> None:
    ingest_file(store, EXPORTS / "google_ads_campaign_daily.csv")
    cache = fresh()
    before = run_query(store, QUERY, cache=cache)
    ingest_file(store, EXPORTS / "tiktok_ads_daily.csv")
    after = run_query(store, QUERY, cache=cache)
    assert after.metadata["cache"]["hit"] is False
    assert len(after.data) == len(before.data) + 2


def test_a_new_exchange_rate_makes_the_next_answer_fresh(store: Store) -> None:
    ingest_file(store, EXPORTS / "google_ads_excel_utf16.csv")  # GBP, no rate yet
    cache = fresh()
    assert run_query(store, {"measures": ["spend"]}, cache=cache).data == [{"spend": None}]
    fx.set_rate(store, "GBP", 2.0, reporting_currency="USD")
    answer = run_query(store, {"measures": ["spend"]}, cache=cache)
    assert answer.metadata["cache"]["hit"] is False
    assert answer.data == [{"spend": pytest.approx(880.72)}]


def test_relative_ranges_are_keyed_by_the_days_they_mean(store: Store) -> None:
    ingest_file(store, EXPORTS / "google_ads_campaign_daily.csv")
    cache = fresh()
    query = {
        "measures": ["spend"],
        "timeDimensions": [{"dimension": "ts", "dateRange": "yesterday"}],
    }
    march_2 = run_query(store, query, cache=cache, now=datetime(2025, 3, 3, 12, tzinfo=UTC))
    march_3 = run_query(store, query, cache=cache, now=datetime(2025, 3, 4, 12, tzinfo=UTC))
    assert march_3.metadata["cache"]["hit"] is False
    assert (march_2.data, march_3.data) == ([{"spend": 365.93}], [{"spend": 320.0}])


def test_processes_share_answers_through_redis(
    store: Store,
    namespace: str,  # noqa: F811
) -> None:
    ingest_file(store, EXPORTS / "google_ads_campaign_daily.csv")
    one = TieredCache(MemoryCache(), RedisCache(REDIS_URL, namespace=namespace))
    two = TieredCache(MemoryCache(), RedisCache(REDIS_URL, namespace=namespace))
    first = run_query(store, QUERY, cache=one)
    shared = run_query(store, QUERY, cache=two)
    assert (first.metadata["cache"]["hit"], shared.metadata["cache"]) == (
        False,
        {"hit": True, "level": "l2"},
    )
    assert shared.data == first.data
    assert run_query(store, QUERY, cache=two).metadata["cache"]["level"] == "l1"


def test_cache_from_settings() -> None:
    local = cache_from_settings(Settings(cache_bytes=4096))
    assert (local.l1.max_bytes, local.l2) == (4096, None)
    shared = cache_from_settings(Settings(redis_url=REDIS_URL))
    assert isinstance(shared.l2, RedisCache)
