"""The audit log: one record per request, written in the background to the app database.

Records hold who, what and how it went (time, principal, workspace, method, route
template, status, latency, client IP, request id), never a body, token or secret.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.exc import SQLAlchemyError

from adlens.appdb import AppDB
from adlens.appdb.models import AuditRecord, utcnow

log = logging.getLogger("adlens.api")
PRUNE_EVERY = 3600.0


class AuditWriter:
    """A queue drained by one thread, so requests never wait on the audit insert."""

    def __init__(self, app_db: AppDB, retention_days: int) -> None:
        self._app_db = app_db
        self._retention = timedelta(days=retention_days)
        self._queue: queue.Queue[dict[str, Any] | threading.Event | None] = queue.Queue()
        self._pruned = 0.0
        self._thread = threading.Thread(target=self._run, name="adlens-audit", daemon=True)
        self._thread.start()

    def record(self, entry: dict[str, Any]) -> None:
        """Queue one record."""
        self._queue.put(entry)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every record queued so far is stored."""
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def close(self) -> None:
        """Store what is queued and stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout=10)

    def prune(self) -> int:
        """Delete records older than the retention period; returns how many."""
        with self._app_db.session() as session:
            result = session.execute(
                delete(AuditRecord).where(AuditRecord.at < utcnow() - self._retention)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def _run(self) -> None:
        stop = False
        while not stop:
            batch: list[dict[str, Any]] = []
            waiters: list[threading.Event] = []
            item = self._queue.get()
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    waiters.append(item)
                else:
                    batch.append(item)
                if len(batch) >= 500:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._store(batch)
            for waiter in waiters:
                waiter.set()

    def _store(self, batch: list[dict[str, Any]]) -> None:
        try:
            if batch:
                with self._app_db.session() as session:
                    session.execute(insert(AuditRecord), batch)
            if time.monotonic() - self._pruned > PRUNE_EVERY:
                self._pruned = time.monotonic()
                self.prune()
        except SQLAlchemyError as exc:
            log.error("audit records could not be stored: %s", type(exc).__name__)
