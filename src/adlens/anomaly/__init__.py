"""Anomaly detection: over stored facts (``detect_store``) and over any KPI series."""

from adlens.anomaly.detect import detect_store, list_anomalies
from adlens.anomaly.series import detect_csv, score_rows

__all__ = ["detect_csv", "detect_store", "list_anomalies", "score_rows"]
