"""Query-result cache: L1 in process, L2 in Redis, read through one `TieredCache`.

Keys come from `cache_key`: the canonical query, the workspace and the store's data version.
Every load bumps the data version, so a cached answer is never stale; TTLs only bound memory.
Values are JSON objects. Every hit returns fresh containers, so a caller that mutates what it
got cannot change what the next caller gets: L2 holds JSON bytes; L1 holds a result's rows
decoded (a list of flat objects under ``"data"``: copying each row is several times faster
than decoding it again) and everything else as JSON bytes.

The cache is an optimisation, never a dependency: a Redis outage turns into misses (one
warning per outage, an error counter), never into a failed query.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import orjson
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

KEY_PREFIX = "adlens:q:v1:"
"""Prefix of every query-cache key; bump ``v1`` whenever the key recipe changes."""

Clock = Callable[[], float]
Level = Literal["l1", "l2"]


def cache_key(query: Mapping[str, Any], *, workspace: str, data_version: int) -> str:
    """The cache key of ``query`` run against ``workspace`` at ``data_version``.

    The query is written as canonical JSON (sorted keys, no whitespace, lists in order), so key
    order and formatting do not change the key and anything else does. Values JSON cannot
    represent raise ``TypeError``: convert them at the boundary.

    >>> query = {"metrics": ["spend"], "dimensions": ["channel"]}
    >>> key = cache_key(query, workspace="acme", data_version=7)
    >>> key == cache_key(dict(reversed(query.items())), workspace="acme", data_version=7)
    True
    >>> key == cache_key(query, workspace="acme", data_version=8)
    False
    >>> key.startswith("adlens:q:v1:"), len(key)
    (True, 52)
    """
    canonical = json.dumps(
        {"query": dict(query), "workspace": workspace, "data_version": data_version},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return KEY_PREFIX + hashlib.blake2b(canonical.encode(), digest_size=20).hexdigest()


def encode_result(value: Mapping[str, Any]) -> bytes:
    """A query result as the compact JSON bytes every cache level stores (orjson: a hit
    decodes a few hundred rows in well under a millisecond)."""
    return orjson.dumps(value)


def _decode(blob: bytes) -> dict[str, Any] | None:
    value = orjson.loads(blob)
    return value if isinstance(value, dict) else None


_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class _Entry:
    """One L1 value: ``rows`` decoded (or None) and the rest of the value as JSON bytes."""

    rest: bytes
    rows: tuple[dict[str, Any], ...] | None
    size: int
    expires_at: float

    @classmethod
    def of(cls, key: str, blob: bytes, expires_at: float) -> _Entry:
        value = orjson.loads(blob)
        rows = value.get("data") if isinstance(value, dict) else None
        if not isinstance(rows, list) or not all(
            isinstance(row, dict) and all(isinstance(v, _SCALARS) for v in row.values())
            for row in rows
        ):
            return cls(blob, None, len(key) + len(blob), expires_at)
        del value["data"]
        rest = orjson.dumps(value)
        # What the rows hold in memory: each dict and its values (keys are shared strings).
        held = sum(sys.getsizeof(row) + sum(sys.getsizeof(v) for v in row.values()) for row in rows)
        return cls(rest, tuple(rows), len(key) + len(rest) + held, expires_at)

    def value(self) -> dict[str, Any] | None:
        decoded = _decode(self.rest)
        if decoded is not None and self.rows is not None:
            decoded["data"] = [row.copy() for row in self.rows]
        return decoded


def held_size(key: str, value: Mapping[str, Any]) -> int:
    """The bytes an L1 entry for ``value`` counts against ``MemoryCache.max_bytes``."""
    return _Entry.of(key, encode_result(value), math.inf).size


def _expiry(ttl: float | None, default_ttl: float | None, now: float) -> float:
    seconds = default_ttl if ttl is None else ttl
    if seconds is None:
        return math.inf
    if seconds <= 0:
        raise ValueError(f"cache ttl must be positive seconds, got {seconds}")
    return now + seconds


@dataclass
class CacheStats:
    """Counters of one cache level, read by the metrics endpoint (they only ever grow)."""

    hits: int = 0
    misses: int = 0
    sets: int = 0
    evictions: int = 0  # live entries pushed out by the byte or entry budget
    expirations: int = 0  # entries found past their TTL
    rejected: int = 0  # values larger than the whole budget, never stored
    errors: int = 0  # backend failures, each turned into a miss or a skipped write


class MemoryCache:
    """L1: in-process LRU with per-entry TTL, bounded by bytes and entry count; thread-safe.

    An entry's size is its key and JSON bytes, plus ``sys.getsizeof`` of each decoded row and
    its values: close to what it holds, without the dictionary's own bookkeeping.
    """

    def __init__(
        self,
        *,
        max_bytes: int = 64 * 2**20,
        max_entries: int = 10_000,
        default_ttl: float | None = 300.0,
        clock: Clock = time.monotonic,
    ) -> None:
        if max_bytes <= 0 or max_entries <= 0:
            raise ValueError("max_bytes and max_entries must be positive")
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.default_ttl = default_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._stats = CacheStats()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached value (a fresh copy), or None on a miss or after its TTL."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at <= self._clock():
                self._drop(key)
                self._stats.expirations += 1
                entry = None
            if entry is None:
                self._stats.misses += 1
                return None
            self._entries.move_to_end(key)
            self._stats.hits += 1
        return entry.value()

    def set(self, key: str, value: Mapping[str, Any], ttl: float | None = None) -> None:
        """Store ``value`` for ``ttl`` seconds (None: ``default_ttl``), evicting LRU entries."""
        self.set_encoded(key, encode_result(value), ttl)

    def set_encoded(self, key: str, blob: bytes, ttl: float | None = None) -> None:
        """`set` for a value already encoded with `encode_result`."""
        entry = _Entry.of(key, blob, _expiry(ttl, self.default_ttl, self._clock()))
        with self._lock:
            self._drop(key)
            if entry.size > self.max_bytes:
                self._stats.rejected += 1
                return
            self._entries[key] = entry
            self._bytes += entry.size
            self._stats.sets += 1
            while self._bytes > self.max_bytes or len(self._entries) > self.max_entries:
                self._drop(next(iter(self._entries)))
                self._stats.evictions += 1

    def clear(self) -> None:
        """Drop every entry (the counters keep counting)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> dict[str, Any]:
        """Counters plus current occupancy, as a plain dict."""
        with self._lock:
            return {
                **asdict(self._stats),
                "entries": len(self._entries),
                "bytes": self._bytes,
                "max_bytes": self.max_bytes,
                "max_entries": self.max_entries,
            }

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size


class RedisCache:
    """L2: values as bytes in Redis (``SET namespace+key value EX ttl``), shared by replicas.

    Any Redis failure (refused, timed out, error reply) becomes a miss or a skipped write: it is
    counted, logged once per outage, and Redis is left alone for ``retry_after`` seconds so an
    outage costs each query nothing instead of a socket timeout.
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "",
        default_ttl: float = 300.0,
        socket_timeout: float = 0.25,
        retry_after: float = 5.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.namespace = namespace
        self.default_ttl = default_ttl
        self.retry_after = retry_after
        self._clock = clock
        # No client-side retries: a slow cache is worse than a miss.
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self._lock = threading.Lock()
        self._stats = CacheStats()
        self._down_until = -math.inf
        self._down = False

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached value, or None on a miss, an outage or an unreadable value."""
        value = None
        if self._clock() >= self._down_until:
            try:
                blob = self._client.get(self.namespace + key)
            except (redis.RedisError, OSError) as exc:
                self._failed(exc)
            else:
                self._recovered()
                value = None if blob is None else self._decode(blob)
        self._count("hits" if value is not None else "misses")
        return value

    def set(self, key: str, value: Mapping[str, Any], ttl: float | None = None) -> None:
        """Store ``value`` for ``ttl`` seconds (None: ``default_ttl``); never raises on outage."""
        self.set_encoded(key, encode_result(value), ttl)

    def set_encoded(self, key: str, blob: bytes, ttl: float | None = None) -> None:
        """`set` for a value already encoded with `encode_result`."""
        seconds = _expiry(ttl, self.default_ttl, 0.0)
        if self._clock() < self._down_until:
            return
        try:
            # EX takes whole seconds; rounding up never serves a value early-expired.
            self._client.set(self.namespace + key, blob, ex=math.ceil(seconds))
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
        else:
            self._recovered()
            self._count("sets")

    def clear(self) -> None:
        """Delete this namespace's query-cache keys (only those made by `cache_key`)."""
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self.namespace + KEY_PREFIX) + "*"
        try:
            names = list(self._client.scan_iter(match=pattern, count=1000))
            for start in range(0, len(names), 1000):
                self._client.unlink(*names[start : start + 1000])
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)

    def stats(self) -> dict[str, Any]:
        """Counters plus whether Redis answered last time, as a plain dict."""
        with self._lock:
            return {**asdict(self._stats), "available": not self._down}

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def _decode(self, blob: bytes | str) -> dict[str, Any] | None:
        try:
            return _decode(blob.encode() if isinstance(blob, str) else blob)
        except ValueError:  # not ours, or corrupt: a miss, but Redis itself is fine
            self._count("errors")
            return None

    def _count(self, counter: str) -> None:
        with self._lock:
            setattr(self._stats, counter, getattr(self._stats, counter) + 1)

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            self._stats.errors += 1
            self._down_until = self._clock() + self.retry_after
            first, self._down = not self._down, True
        if first:
            log.warning(
                "Redis cache unavailable (%s: %s); serving from L1 only, retrying every %gs",
                type(exc).__name__,
                exc,
                self.retry_after,
            )

    def _recovered(self) -> None:
        if self._down:
            with self._lock:
                self._down = False
            log.info("Redis cache reachable again")


class TieredCache:
    """L1 then L2: an L2 hit is copied into L1; `set` writes both levels from one encoding."""

    def __init__(self, l1: MemoryCache, l2: RedisCache | None = None) -> None:
        self.l1 = l1
        self.l2 = l2
        self._lock = threading.Lock()
        self._hits = {"l1": 0, "l2": 0}
        self._misses = 0

    def get(self, key: str) -> tuple[dict[str, Any] | None, Level | None]:
        """``(value, level)``: level is "l1" or "l2" on a hit, ``(None, None)`` on a miss."""
        level: Level = "l1"
        value = self.l1.get(key)
        if value is None and self.l2 is not None:
            level, value = "l2", self.l2.get(key)
            if value is not None:
                self.l1.set(key, value)
        with self._lock:
            if value is None:
                self._misses += 1
                return None, None
            self._hits[level] += 1
        return value, level

    def set(self, key: str, value: Mapping[str, Any], ttl: float | None = None) -> None:
        """Store ``value`` in every level (each level's default TTL when ``ttl`` is None)."""
        blob = encode_result(value)
        self.l1.set_encoded(key, blob, ttl)
        if self.l2 is not None:
            self.l2.set_encoded(key, blob, ttl)

    def clear(self) -> None:
        """Clear every level."""
        self.l1.clear()
        if self.l2 is not None:
            self.l2.clear()

    def stats(self) -> dict[str, Any]:
        """Hits per level and misses of the whole cache, plus each level's own `stats`."""
        with self._lock:
            totals: dict[str, Any] = {"hits": dict(self._hits), "misses": self._misses}
        return {
            **totals,
            "l1": self.l1.stats(),
            "l2": None if self.l2 is None else self.l2.stats(),
        }
