"""What a running API holds for its lifetime: the store, app database, cache, limits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from adlens.api.audit import AuditWriter
from adlens.api.observability import ApiMetrics
from adlens.api.ratelimit import MemoryLimiter, Rate, RedisLimiter, limiter_for, parse_rate
from adlens.appdb import AppDB, open_app_db
from adlens.query.cache import TieredCache
from adlens.query.engine import cache_from_settings
from adlens.settings import Settings
from adlens.store import Store, open_store

RATE_CLASSES = ("default", "query", "upload", "auth")


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

    @contextmanager
    def reading(self) -> Iterator[Store]:
        """A store on its own cursor of the shared connection (safe in any thread)."""
        cursor = self.store.con.cursor()
        try:
            yield Store(self.store.path, cursor, self.store.versions)
        finally:
            cursor.close()

    @contextmanager
    def writing(self) -> Iterator[Store]:
        """A store cursor held under the write lock; data versions are re-read afterwards."""
        with self.write_lock, self.reading() as store:
            try:
                yield store
            finally:
                self.store.versions.forget()

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
