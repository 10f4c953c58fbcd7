"""``adlens demo``: sample exports in, a loaded store and a summary out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adlens import fx
from adlens.anomaly import detect_store
from adlens.demo_data import write_demo_exports
from adlens.ingest import ingest_file
from adlens.settings import get_settings
from adlens.store import open_store

# Illustrative rates for the demo's UK and French accounts (set like a user would).
DEMO_RATES = {"GBP": 1.27, "EUR": 1.08}


def run_demo(directory: Path, db: Path, *, days: int = 90) -> dict[str, Any]:
    """Write the demo exports into ``directory``, load them into ``db``, return a summary."""
    paths = write_demo_exports(directory, days=days)
    reporting = get_settings().reporting_currency
    with open_store(db) as store:
        for currency, rate in DEMO_RATES.items():
            if currency != reporting:
                fx.set_rate(store, currency, rate, reporting_currency=reporting)
        reports = [ingest_file(store, path).to_dict() for path in paths]
        totals = store.query(
            "SELECT platform, count(*) AS rows, sum(spend) AS spend, sum(impressions) AS "
            "impressions, sum(clicks) AS clicks, sum(conversions) AS conversions, "
            "sum(conversion_value) AS conversion_value FROM ad_performance "
            "GROUP BY platform ORDER BY spend DESC NULLS LAST"
        )
        sessions = store.query(
            "SELECT count(*) AS rows, sum(sessions) AS sessions, sum(conversions) AS "
            "conversions, sum(revenue) AS revenue FROM sessions"
        )
        # So the dashboard's Anomalies page has the planted events to show.
        incidents = detect_store(store)
    return {
        "dir": str(directory),
        "db": str(db),
        "reports": reports,
        "totals": totals,
        "sessions": sessions[0],
        "anomalies": len(incidents),
    }
