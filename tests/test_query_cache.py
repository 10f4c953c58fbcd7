"""Query cache: keys, the in-process L1, Redis L2 (a real server) and the tiered read path."""

from __future__ import annotations

import json
import logging
import shlex
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis

from adlens.query.cache import (
    KEY_PREFIX,
    MemoryCache,
    RedisCache,
    TieredCache,
    cache_key,
    encode_result,
    held_size,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
    "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
)
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def key(n: int) -> str:
    return cache_key({"metrics": ["spend"], "page": n}, workspace="acme", data_version=1)


def result(tag: str) -> dict[str, Any]:
    return {"data": [{"channel": tag, "spend": 12.5}], "metadata": {"rows": 1}}


def size(k: str, value: dict[str, Any]) -> int:
    return held_size(k, value)


# --- keys -----------------------------------------------------------------------------------

QUERY = {"metrics": ["spend", "clicks"], "dimensions": ["channel"], "filters": {"a": 1, "b": 2}}


@pytest.mark.parametrize(
    "same",
    [
        {"filters": {"b": 2, "a": 1}, "dimensions": ["channel"], "metrics": ["spend", "clicks"]},
        json.loads(
            '{ "metrics" : [ "spend" , "clicks" ],\n "dimensions": ["channel"],'
            '\t"filters": {"b":2,"a":1} }'
        ),
    ],
)
def test_key_ignores_key_order_and_whitespace(same: dict[str, Any]) -> None:
    assert cache_key(same, workspace="acme", data_version=3) == cache_key(
        QUERY, workspace="acme", data_version=3
    )


@pytest.mark.parametrize(
    ("query", "workspace", "data_version"),
    [
        ({**QUERY, "metrics": ["clicks", "spend"]}, "acme", 3),  # list order matters
        ({**QUERY, "filters": {"a": 1, "b": "2"}}, "acme", 3),
        ({**QUERY, "limit": 10}, "acme", 3),
        (QUERY, "other", 3),
        (QUERY, "acme", 4),
    ],
)
def test_key_changes_with_anything_else(
    query: dict[str, Any], workspace: str, data_version: int
) -> None:
    base = cache_key(QUERY, workspace="acme", data_version=3)
    other = cache_key(query, workspace=workspace, data_version=data_version)
    assert (other != base, other.startswith(KEY_PREFIX)) == (True, True)


def test_key_refuses_values_json_cannot_represent() -> None:
    with pytest.raises(TypeError):
        cache_key({"since": object()}, workspace="acme", data_version=1)
    with pytest.raises(ValueError):
        cache_key({"min_spend": float("nan")}, workspace="acme", data_version=1)


# --- L1: MemoryCache ------------------------------------------------------------------------


def test_memory_hit_miss_and_stats() -> None:
    cache = MemoryCache(max_bytes=10_000, max_entries=10, clock=FakeClock())
    cache.set(key(1), result("search"))
    assert (cache.get(key(1)), cache.get(key(2))) == (result("search"), None)
    assert cache.stats() == {
        "hits": 1,
        "misses": 1,
        "sets": 1,
        "evictions": 0,
        "expirations": 0,
        "rejected": 0,
        "errors": 0,
        "entries": 1,
        "bytes": size(key(1), result("search")),
        "max_bytes": 10_000,
        "max_entries": 10,
    }


def test_memory_hits_are_fresh_copies_whatever_the_caller_does_with_them() -> None:
    cache = MemoryCache()
    value = {"data": [{"channel": "search", "spend": 1.5}], "metadata": {"cache": {"hit": 0}}}
    cache.set(key(1), value)
    value["data"][0]["spend"] = 99.0  # the caller's own object, after caching it
    first = cache.get(key(1))
    assert first is not None
    first["data"][0]["spend"] = -1.0
    first["data"].append({"channel": "x"})
    first["metadata"]["cache"]["hit"] = 1
    assert cache.get(key(1)) == {
        "data": [{"channel": "search", "spend": 1.5}],
        "metadata": {"cache": {"hit": 0}},
    }


def test_memory_values_without_flat_rows_round_trip_as_json() -> None:
    cache = MemoryCache()
    nested = {"data": [{"channel": "search", "tags": ["a", "b"]}], "metadata": {}}
    cache.set(key(1), nested)
    got = cache.get(key(1))
    assert got == nested and got is not None
    got["data"][0]["tags"].append("c")
    assert cache.get(key(1)) == nested
    assert (
        cache.stats()["bytes"]
        == size(key(1), nested)
        == len(key(1)) + len(json.dumps(nested, separators=(",", ":")))
    )


def test_memory_ttl_expiry() -> None:
    clock = FakeClock()
    cache = MemoryCache(default_ttl=60.0, clock=clock)
    cache.set(key(1), result("short"), ttl=10.0)
    cache.set(key(2), result("default"))
    clock.advance(9.9)
    assert (cache.get(key(1)), cache.get(key(2))) == (result("short"), result("default"))
    clock.advance(0.1)
    assert (cache.get(key(1)), cache.get(key(2))) == (None, result("default"))
    clock.advance(50.0)
    assert (cache.get(key(2)), len(cache), cache.stats()["expirations"]) == (None, 0, 2)


def test_memory_without_default_ttl_keeps_entries() -> None:
    clock = FakeClock()
    cache = MemoryCache(default_ttl=None, clock=clock)
    cache.set(key(1), result("forever"))
    clock.advance(10**9)
    assert cache.get(key(1)) == result("forever")
    with pytest.raises(ValueError, match="positive"):
        cache.set(key(1), result("never"), ttl=0)


def test_memory_evicts_least_recently_used() -> None:
    cache = MemoryCache(max_entries=3, clock=FakeClock())
    for n in (1, 2, 3):
        cache.set(key(n), result(str(n)))
    cache.get(key(1))  # 2 is now the least recently used
    cache.set(key(4), result("4"))
    assert {n: cache.get(key(n)) for n in (1, 2, 3, 4)} == {
        1: result("1"),
        2: None,
        3: result("3"),
        4: result("4"),
    }
    assert (cache.stats()["evictions"], len(cache)) == (1, 3)


def test_memory_byte_budget() -> None:
    entry = size(key(1), result("a"))
    cache = MemoryCache(max_bytes=entry * 2 + entry // 2, max_entries=100, clock=FakeClock())
    for n in (1, 2, 3):
        cache.set(key(n), result("a"))
    assert [cache.get(key(n)) is not None for n in (1, 2, 3)] == [False, True, True]
    stats = cache.stats()
    assert (stats["bytes"], stats["entries"], stats["evictions"]) == (entry * 2, 2, 1)


def test_memory_does_not_store_entry_larger_than_budget() -> None:
    small = result("small")
    cache = MemoryCache(max_bytes=size(key(1), small) + 10, clock=FakeClock())
    cache.set(key(1), small)
    cache.set(key(1), {"data": [{"x": "x" * 1000}], "metadata": {}})  # replaces, does not fit
    assert (cache.get(key(1)), cache.stats()["rejected"], cache.stats()["bytes"]) == (None, 1, 0)


def test_memory_isolated_from_caller_mutation() -> None:
    cache = MemoryCache(clock=FakeClock())
    value = result("search")
    cache.set(key(1), value)
    value["data"].append({"channel": "set after"})
    first = cache.get(key(1))
    assert first is not None
    first["metadata"]["rows"] = 99
    assert cache.get(key(1)) == result("search")


def test_memory_thread_safety_smoke() -> None:
    cache = MemoryCache(max_entries=50)
    keys = [key(n) for n in range(100)]
    values = {k: {"data": [f"{n:04d}"], "metadata": {}} for n, k in enumerate(keys)}
    rounds, threads = 2_000, 8

    def work(thread: int) -> list[str]:
        wrong = []
        for i in range(rounds):
            cache.set(keys[(thread * 13 + i) % 100], values[keys[(thread * 13 + i) % 100]])
            wanted = keys[(thread * 7 + 3 * i) % 100]
            got = cache.get(wanted)
            if got is not None and got != values[wanted]:
                wrong.append(wanted)
        return wrong

    with ThreadPoolExecutor(threads) as pool:
        wrong = [k for found in pool.map(work, range(threads)) for k in found]
    stats = cache.stats()
    entry = size(keys[0], values[keys[0]])
    assert (wrong, stats["entries"], stats["bytes"], stats["hits"] + stats["misses"]) == (
        [],
        50,
        50 * entry,
        rounds * threads,
    )
    assert stats["sets"] == rounds * threads


# --- L2: RedisCache against a real server ---------------------------------------------------


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    """A raw client to the local Redis, starting the server if it is not up."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
    if not _pings(client):
        subprocess.run(shlex.split(START_REDIS), check=True)
        deadline = time.monotonic() + 10
        while not _pings(client):
            if time.monotonic() > deadline:
                pytest.fail(f"Redis did not come up at {REDIS_URL}: see /var/log/redis/ci.log")
            time.sleep(0.1)
    yield client
    client.close()


@pytest.fixture
def namespace(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own, deleted afterwards."""
    prefix = f"adlens-test:{uuid.uuid4().hex}:"
    yield prefix
    leftovers = list(redis_client.scan_iter(match=f"{prefix}*"))
    if leftovers:
        redis_client.delete(*leftovers)


@pytest.fixture
def l2(namespace: str) -> Iterator[RedisCache]:
    cache = RedisCache(REDIS_URL, namespace=namespace, default_ttl=300)
    yield cache
    cache.close()


def test_redis_set_get_with_ttl(l2: RedisCache, redis_client: redis.Redis) -> None:
    l2.set(key(1), result("search"), ttl=60)
    l2.set(key(2), result("default"))
    l2.set(key(3), result("fraction"), ttl=2.5)
    stored = [l2.namespace + key(n) for n in (1, 2, 3)]
    assert [redis_client.ttl(name) for name in stored] == [60, 300, 3]
    assert redis_client.get(stored[0]) == encode_result(result("search"))
    assert (l2.get(key(1)), l2.get(key(4))) == (result("search"), None)
    assert l2.stats() == {
        "hits": 1,
        "misses": 1,
        "sets": 3,
        "evictions": 0,
        "expirations": 0,
        "rejected": 0,
        "errors": 0,
        "available": True,
    }


def test_redis_unreadable_value_is_a_miss(l2: RedisCache, redis_client: redis.Redis) -> None:
    redis_client.set(l2.namespace + key(1), b"not json", ex=60)
    assert l2.get(key(1)) is None
    assert (l2.stats()["errors"], l2.stats()["available"]) == (1, True)


def test_redis_clear_deletes_only_query_keys(
    l2: RedisCache, redis_client: redis.Redis, namespace: str
) -> None:
    other = RedisCache(REDIS_URL, namespace=namespace + "other:")
    l2.set(key(1), result("a"))
    other.set(key(1), result("b"))
    redis_client.set(namespace + "ratelimit:acme", b"7", ex=60)
    l2.clear()
    assert (l2.get(key(1)), other.get(key(1)), redis_client.get(namespace + "ratelimit:acme")) == (
        None,
        result("b"),
        b"7",
    )
    other.close()


def test_tiered_promotes_l2_hit_into_l1(l2: RedisCache) -> None:
    TieredCache(MemoryCache(), l2).set(key(1), result("search"))
    replica = TieredCache(MemoryCache(), l2)  # another API replica: empty L1, shared L2
    reads = [replica.get(key(1)), replica.get(key(1)), replica.get(key(2))]
    assert reads == [(result("search"), "l2"), (result("search"), "l1"), (None, None)]
    stats = replica.stats()
    assert (stats["hits"], stats["misses"], stats["l1"]["entries"]) == ({"l1": 1, "l2": 1}, 1, 1)
    replica.clear()
    assert (replica.get(key(1)), replica.stats()["l1"]["bytes"]) == ((None, None), 0)


def test_tiered_without_l2() -> None:
    cache = TieredCache(MemoryCache())
    first = cache.get(key(1))
    cache.set(key(1), result("search"))
    assert (first, cache.get(key(1))) == ((None, None), (result("search"), "l1"))
    assert cache.stats()["l2"] is None


def test_unreachable_redis_degrades_to_misses(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    dead = RedisCache(DEAD_REDIS_URL, retry_after=5.0, clock=clock)
    cache = TieredCache(MemoryCache(clock=clock), dead)
    with caplog.at_level(logging.WARNING, logger="adlens.query.cache"):
        miss = cache.get(key(1))  # L1 miss, L2 error: a miss
        cache.set(key(1), result("search"))  # L2 skipped while backing off
        hit = cache.get(key(1))  # served from L1
        assert dead.get(key(2)) is None  # backing off: no new connection attempt
        clock.advance(5.0)
        assert dead.get(key(2)) is None  # retried, failed again
    assert (miss, hit) == ((None, None), (result("search"), "l1"))
    assert dead.stats() == {
        "hits": 0,
        "misses": 3,
        "sets": 0,
        "evictions": 0,
        "expirations": 0,
        "rejected": 0,
        "errors": 2,
        "available": False,
    }
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # once per outage
    dead.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_redis_outage_and_recovery(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A Redis of the test's own goes away and comes back; queries never see an exception."""
    port, clock = _free_port(), FakeClock()
    cache = RedisCache(f"redis://127.0.0.1:{port}/0", retry_after=5.0, clock=clock)
    start = (
        f"redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no --dir {tmp_path}"
    )
    with caplog.at_level(logging.INFO, logger="adlens.query.cache"):
        cache.set(key(1), result("lost"))  # nothing listens yet: an error, then backing off
        server = subprocess.Popen(shlex.split(start), stdout=subprocess.DEVNULL)
        try:
            probe = redis.Redis(port=port, socket_timeout=1)
            deadline = time.monotonic() + 10
            while not _pings(probe) and time.monotonic() < deadline:
                time.sleep(0.05)
            probe.close()
            during_backoff = cache.get(key(1))
            clock.advance(5.0)
            cache.set(key(1), result("kept"))
            after_recovery = cache.get(key(1))
        finally:
            server.terminate()
            server.wait(timeout=10)
        cache.clear()  # the server is gone again: a second outage, a second warning
    assert (during_backoff, after_recovery) == (None, result("kept"))
    assert cache.stats() == {
        "hits": 1,
        "misses": 1,
        "sets": 1,
        "evictions": 0,
        "expirations": 0,
        "rejected": 0,
        "errors": 2,
        "available": False,
    }
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO", "WARNING"]
    cache.close()
