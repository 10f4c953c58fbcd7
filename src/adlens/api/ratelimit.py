"""Token-bucket rate limits, in process or shared through Redis.

A rate such as ``"60/minute"`` is a bucket of 60 tokens refilled at 60 per minute. Every
request spends one token from each bucket it falls in (its principal, its client IP);
an empty bucket answers 429 with ``Retry-After``. With ``ADLENS_REDIS_URL`` set the
buckets live in Redis, updated by one Lua script, so every replica sees the same limits.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis

from adlens.core.errors import InvalidInputError

log = logging.getLogger("adlens.api")
PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}


@dataclass(frozen=True)
class Rate:
    """``capacity`` tokens, refilled evenly over ``period`` seconds."""

    capacity: int
    period: float

    @property
    def per_second(self) -> float:
        return self.capacity / self.period


def parse_rate(text: str) -> Rate:
    """Read ``N/second|minute|hour|day``.

    >>> parse_rate("60/minute")
    Rate(capacity=60, period=60.0)
    """
    count, _, unit = text.partition("/")
    try:
        capacity = int(count)
    except ValueError:
        capacity = 0
    if capacity < 1 or unit.strip() not in PERIODS:
        raise InvalidInputError(
            f"rate {text!r} is not understood; write it as N/second, N/minute, N/hour or N/day"
        )
    return Rate(capacity, PERIODS[unit.strip()])


@dataclass(frozen=True)
class Decision:
    """The outcome of spending tokens from one bucket."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the bucket is full again
    retry_after: int  # seconds until one token is available (0 when allowed)


def _decide(tokens: float, allowed: bool, rate: Rate, cost: float) -> Decision:
    missing = max(0.0, cost - tokens) if not allowed else 0.0
    return Decision(
        allowed,
        rate.capacity,
        max(0, math.floor(tokens)),
        math.ceil((rate.capacity - tokens) / rate.per_second),
        math.ceil(missing / rate.per_second) if not allowed else 0,
    )


class Limiter(Protocol):
    """Where buckets are kept."""

    def hit(self, key: str, rate: Rate, cost: float = 1.0) -> Decision: ...

    def reset(self) -> None: ...


class MemoryLimiter:
    """Buckets in this process (one replica, or tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, rate: Rate, cost: float = 1.0) -> Decision:
        """Spend ``cost`` tokens (0 only looks) from the bucket ``key``."""
        now = self._clock()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (float(rate.capacity), now))
            tokens = min(float(rate.capacity), tokens + (now - stamp) * rate.per_second)
            allowed = tokens >= cost if cost > 0 else tokens >= 1
            if allowed:
                tokens -= cost
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 100_000:  # forget idle buckets (they are full by now)
                self._buckets = {key: (tokens, now)}
        return _decide(tokens, allowed, rate, max(cost, 1.0))

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


# KEYS[1] bucket; ARGV: capacity, tokens per second, cost. Returns {allowed, tokens*1000}.
_SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = redis.call('TIME')
local now_s = tonumber(now[1]) + tonumber(now[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or capacity
local stamp = tonumber(state[2]) or now_s
tokens = math.min(capacity, tokens + math.max(0, now_s - stamp) * rate)
local need = cost
if need <= 0 then need = 1 end
local allowed = 0
if tokens >= need then
  allowed = 1
  tokens = tokens - cost
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'stamp', now_s)
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return {allowed, math.floor(tokens * 1000)}
"""


class RedisLimiter:
    """Buckets in Redis, shared by every replica; the clock is Redis's own."""

    def __init__(self, url: str, prefix: str = "adlens:rl:") -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._client.register_script(_SCRIPT)
        self._prefix = prefix

    def hit(self, key: str, rate: Rate, cost: float = 1.0) -> Decision:
        """Spend ``cost`` tokens (0 only looks) from the shared bucket ``key``."""
        try:
            allowed, millis = self._script(
                keys=[self._prefix + key], args=[rate.capacity, rate.per_second, cost]
            )
        except redis.RedisError as exc:  # limits fail open: an outage must not stop the API
            log.warning("rate limit store unavailable: %s", type(exc).__name__)
            return Decision(True, rate.capacity, rate.capacity, 0, 0)
        return _decide(int(millis) / 1000, bool(allowed), rate, max(cost, 1.0))

    def reset(self) -> None:
        for key in self._client.scan_iter(match=self._prefix + "*", count=1000):
            self._client.delete(key)

    def close(self) -> None:
        self._client.close()


def limiter_for(redis_url: str | None) -> MemoryLimiter | RedisLimiter:
    """Redis buckets when a URL is configured, in-process buckets otherwise."""
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()
