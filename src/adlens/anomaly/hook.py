"""Anomaly detection after a load (``ADLENS_DETECT_AFTER_LOAD``), never at the load's expense.

The load has committed before this runs: whatever happens here, its rows stay stored. A failure
is logged with its traceback and returned as a warning for the load's report.
"""

from __future__ import annotations

import logging

from adlens.store import Store

log = logging.getLogger(__name__)


def detect_after_load(store: Store, workspace: str) -> list[str]:
    """Run ``detect_store`` on ``workspace``; the warnings to add to the load's report."""
    from adlens.anomaly.detect import detect_store

    try:
        incidents = detect_store(store, workspace)
    except Exception as exc:  # any failure: the load stands, the failure is reported
        log.exception("anomaly detection after the load failed")
        return [
            f"the load is stored, but anomaly detection after it failed "
            f"({type(exc).__name__}: {exc}); run `adlens detect` to retry"
        ]
    problems = sum(1 for row in incidents if row["triage"] == "data problem")
    if not incidents:
        return []
    return [
        f"anomaly detection: {len(incidents)} incidents ({problems} data problems); "
        "see `adlens detect` or the anomalies table"
    ]
