"""Prometheus metrics (one registry per app) and JSON logs with request ids."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ApiMetrics:
    """The metrics an app exposes at ``/metrics``, under conventional names."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_duration = Histogram(
            "http_request_duration_seconds",
            "Time from request to the end of the response.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.requests = Counter(
            "http_requests",
            "Requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.cache_hits = Counter(
            "cache_hits", "Query answers served from the cache.", registry=self.registry
        )
        self.cache_misses = Counter(
            "cache_misses", "Query answers computed by the engine.", registry=self.registry
        )
        self.ingest_rows = Counter(
            "adlens_ingest_rows",
            "Rows read by uploads, by outcome (loaded, rejected).",
            ["outcome"],
            registry=self.registry,
        )
        self.query_duration = Histogram(
            "adlens_query_duration_seconds",
            "Query time as the engine reports it, by the rollup that answered.",
            ["rollup", "cache"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe_query(self, metadata: dict[str, Any]) -> None:
        """Count one answered query from its metadata."""
        hit = bool((metadata.get("cache") or {}).get("hit"))
        (self.cache_hits if hit else self.cache_misses).inc()
        self.query_duration.labels(
            str(metadata.get("rollup") or "base"), "hit" if hit else "miss"
        ).observe(float(metadata.get("query_time") or 0.0))

    def observe_ingest(self, report: dict[str, Any]) -> None:
        """Count the rows of one upload."""
        self.ingest_rows.labels("loaded").inc(int(report.get("rows_loaded") or 0))
        self.ingest_rows.labels("rejected").inc(int(report.get("rows_rejected") or 0))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    RESERVED = frozenset(vars(logging.makeLogRecord({})))

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self.RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Send adlens and uvicorn logs to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("adlens", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # adlens.api logs each request
