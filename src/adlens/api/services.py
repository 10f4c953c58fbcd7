"""What a running API holds for its lifetime: the store, app database, cache, limits."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from adlens.api.audit import AuditWriter
from adlens.api.observability import ApiMetrics
from adlens.api.ratelimit import MemoryLimiter, Rate, RedisLimiter, limiter_for, parse_rate
from adlens.appdb import AppDB, open_app_db
from adlens.query.cache import TieredCache
from adlens.query.engine import cache_from_settings
from adlens.settings import Settings
from adlens.store import Store, open_store

RATE_CLASSES = ("default", "query", "upload", "auth")


class VersionMemo:
    """Data versions of workspaces, remembered between writes.

    The server is the one process writing the DuckDB file, so a version can only change
    inside ``Services.writing``, which forgets them all when it ends. A read that raced a
    write is not remembered (the generation moved on), so no stale version is kept.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, int] = {}
        self._generation = 0

    def get(self, workspace: str, compute: Callable[[], int]) -> int:
        with self._lock:
            if workspace in self._values:
                return self._values[workspace]
            generation = self._generation
        value = compute()
        with self._lock:
            if generation == self._generation:
                self._values[workspace] = value
        return value

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._values.clear()


class ServedStore(Store):
    """A request's store: its own cursor, and data versions read through the memo."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, memo: VersionMemo) -> None:
        super().__init__(path, con)
        self._memo = memo

    def data_version(self, workspace: str = "default") -> int:
        return self._memo.get(workspace, lambda: Store.data_version(self, workspace))


@dataclass
class Services:
    """The process's single owner of the DuckDB file, and everything shared by requests.

    Requests read through their own cursor (``reading``); writes (loads, metric changes)
    take ``write_lock`` as well, so one write runs at a time.
    """

    settings: Settings
    store: Store
    app_db: AppDB
    cache: TieredCache
    limiter: MemoryLimiter | RedisLimiter
    rates: dict[str, Rate]
    metrics: ApiMetrics
    audit: AuditWriter
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    versions: VersionMemo = field(default_factory=VersionMemo)

    @contextmanager
    def reading(self) -> Iterator[Store]:
        """A store on its own cursor of the shared connection (safe in any thread)."""
        cursor = self.store.con.cursor()
        try:
            yield ServedStore(self.store.path, cursor, self.versions)
        finally:
            cursor.close()

    @contextmanager
    def writing(self) -> Iterator[Store]:
        """A store cursor held under the write lock; data versions are re-read afterwards."""
        with self.write_lock, self.reading() as store:
            try:
                yield store
            finally:
                self.versions.forget()

    def close(self) -> None:
        self.audit.close()
        self.app_db.close()
        self.store.close()
        if isinstance(self.limiter, RedisLimiter):
            self.limiter.close()


def start_services(settings: Settings) -> Services:
    """Open the store (taking the file's lock) and the app database; build cache and limits."""
    rates = {
        "default": parse_rate(settings.rate_limit_default),
        "query": parse_rate(settings.rate_limit_query),
        "upload": parse_rate(settings.rate_limit_upload),
        "auth": parse_rate(settings.rate_limit_auth),
    }
    store = open_store(settings.db)
    try:
        app_db = open_app_db(settings.resolved_app_db_url())
    except Exception:
        store.close()
        raise
    return Services(
        settings=settings,
        store=store,
        app_db=app_db,
        cache=cache_from_settings(settings),
        limiter=limiter_for(settings.redis_url),
        rates=rates,
        metrics=ApiMetrics(),
        audit=AuditWriter(app_db, settings.audit_retention_days),
    )
