"""Anomaly detection: over stored facts (``detect_store``) and over any KPI series."""
