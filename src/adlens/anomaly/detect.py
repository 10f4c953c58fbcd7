"""``detect_store``: scan the stored facts, write the ``anomalies`` table, return the incidents.

load daily series (platform, account, campaign, ad group) -> score each metric against its
seasonal robust baseline -> rank entity-days with an Isolation Forest -> flagged days to
incidents -> money at stake and drill-down -> triage -> one incident per entity and period
(related metrics folded in) -> one incident per event across levels -> duplicate loads
-> severity -> write
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from adlens.anomaly.duplicates import duplicate_incidents
from adlens.anomaly.facts import (
    CHILD,
    EntitySeries,
    day_of,
    has_hours,
    load_hourly_series,
    load_series,
    lookback_start,
    score_entity,
)
from adlens.anomaly.incidents import (
    DRIVER_QUANTITY,
    Incident,
    find_incidents,
    money_at_stake,
    severity,
)
from adlens.anomaly.model import attach_model_scores
from adlens.anomaly.triage import DATA_PROBLEM, classify, describe
from adlens.numbers import significant_rows
from adlens.settings import get_settings
from adlens.store import Store

Key = tuple[str | None, ...]
# Stored facts are many series at once (every platform, account, campaign and metric), so a
# day must stand out more than in a single series before it becomes an incident.
STORE_THRESHOLD = 5.5
DRIVER_SHARE = 0.6
WEEK = timedelta(days=7)  # a child explaining this much of a parent's change speaks for it
COLUMNS = (
    "anomaly_id",
    "workspace",
    "platform",
    "account_id",
    "campaign_name",
    "metric",
    "period_start",
    "period_end",
    "actual",
    "expected_low",
    "expected_high",
    "deviation",
    "severity",
    "money_at_stake",
    "driver",
    "triage",
    "explanation",
    "level",
    "kind",
    "related_metrics",
    "model_score",
    "detected_at",
)


def detect_store(
    store: Store,
    workspace: str = "default",
    *,
    days: int = 90,
    threshold: float = STORE_THRESHOLD,
    currency: str | None = None,
) -> list[dict[str, Any]]:
    """Find the incidents of the last ``days`` days, replace the workspace's ``anomalies``
    with them and return them, most severe first.

    Amounts in explanations are written in ``currency`` (default: the reporting currency of
    the settings).
    """
    currency = currency or get_settings().reporting_currency
    since = lookback_start(store, workspace, days)
    if since is None:
        _write(store, workspace, [])
        return []
    report_from = since + timedelta(days=56)
    tree = {
        level: {s.key: s for s in load_series(store, workspace, level, since)}
        for level in ("platform", "account", "campaign")
    }
    reference = _reference_spend(tree["platform"].values())
    scan = Scan(store, workspace, since, report_from, threshold, reference, currency)
    for level in ("campaign", "platform"):
        attach_model_scores(store, workspace, level, tree[level], since)
    kept = scan.run(tree)
    if has_hours(store, workspace, report_from):
        hours = {
            level: {s.key: s for s in load_hourly_series(store, workspace, level, since)}
            for level in ("platform", "account", "campaign")
        }
        # An hourly incident and a daily one of the same entity on the same days are one
        # event: the hourly one says more precisely when, and what (e.g. tracking stopped).
        hourly = scan.run(hours)
        kept = [
            d
            for d in kept
            if not any(d.series.key == i.series.key and _same_days(d, i) for i in hourly)
        ] + hourly
    rows = [_row(i) for i in kept]
    for row in duplicate_incidents(store, workspace, report_from):
        strength = row.pop("_strength")
        weight = min(1.0, row["money_at_stake"] / reference) if reference > 0 else 1.0
        row["severity"] = round(strength * (0.3 + 0.7 * weight), 4)
        rows.append(row)
    rows.sort(key=lambda r: (-r["severity"], r["period_start"]))
    return _write(store, workspace, significant_rows(rows))


def list_anomalies(
    store: Store,
    workspace: str = "default",
    start: date | None = None,
    end: date | None = None,
    platform: str | None = None,
) -> list[dict[str, Any]]:
    """Stored incidents overlapping ``start``..``end`` (days, inclusive), most severe first."""
    where: list[str] = ["workspace = ?"]
    params: list[Any] = [workspace]
    if start is not None:
        where.append("period_end >= ?")
        params.append(datetime.combine(start, datetime.min.time()))
    if end is not None:
        where.append("period_start < ?")
        params.append(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    if platform is not None:
        where.append("platform = ?")
        params.append(platform)
    rows = store.query(
        f"SELECT * FROM anomalies WHERE {' AND '.join(where)} "
        "ORDER BY severity DESC, period_start, anomaly_id",
        params,
    )
    return significant_rows(rows)  # sums of doubles read 100.05, not 100.05000000000001


@dataclass
class Scan:
    """One pass over a tree of series (daily or hourly): incidents, measured and triaged."""

    store: Store
    workspace: str
    since: date
    report_from: date
    threshold: float
    reference: float
    currency: str

    def run(self, tree: dict[str, dict[Key, EntitySeries]]) -> list[Incident]:
        _drop_single_accounts(tree)
        incidents: dict[str, list[Incident]] = {}
        for level, entities in tree.items():
            for entity in entities.values():
                score_entity(entity, self.threshold)
            found = [i for e in entities.values() for i in find_incidents(e, self.threshold)]
            incidents[level] = [i for i in found if day_of(i.end) >= self.report_from]
        for level, found in incidents.items():
            for incident in found:
                incident.money_at_stake = money_at_stake(incident)
                children = _children(self.store, self.workspace, tree, incident.series, self.since)
                incident.drivers = _drivers(incident, children)
                incident.driver = _driver_text(incident)
                classify(incident, self.store, self.workspace, self.currency)
                incident.severity = severity(incident, self.reference, self.threshold)
            incidents[level] = _fold_related(found)
        return _one_per_event(self.store, self.workspace, tree, incidents)


def _same_days(daily: Incident, hourly: Incident) -> bool:
    return daily.start <= day_of(hourly.end) and day_of(hourly.start) <= daily.end


def _drop_single_accounts(tree: dict[str, dict[Key, EntitySeries]]) -> None:
    """The account level only where a platform has several accounts (else it repeats it)."""
    counts: dict[str | None, int] = defaultdict(int)
    for key in tree["account"]:
        counts[key[0]] += 1
    tree["account"] = {k: s for k, s in tree["account"].items() if counts[k[0]] > 1}


def _children(
    store: Store,
    workspace: str,
    tree: dict[str, dict[Key, EntitySeries]],
    parent: EntitySeries,
    since: date | None = None,
) -> list[EntitySeries]:
    """The entities one level below ``parent``; a campaign's ad groups are read on demand."""
    level = CHILD[parent.level]
    if level == "ad_group":
        if parent.hourly:
            return []  # ad groups are read by day
        return list(load_series(store, workspace, level, since, campaign=parent.key))
    if parent.level == "platform":
        accounts = [s for k, s in tree["account"].items() if k[0] == parent.key[0]]
        if len(accounts) <= 1:
            level = "campaign"
    width = len(parent.key)
    return [s for k, s in tree[level].items() if k[:width] == parent.key]


def _drivers(incident: Incident, children: list[EntitySeries]) -> list[tuple[str, float]]:
    """Children ranked by their share of the change in the metric's additive quantity."""
    if len(children) < 2:
        return []
    quantity = DRIVER_QUANTITY[incident.metric]
    days = incident.series.days[incident.first : incident.last + 1]
    total = _change(incident.series, quantity, days)
    if not total:
        return []
    shares = [(describe(child), _change(child, quantity, days) / total) for child in children]
    return sorted((s for s in shares if s[1] > 0), key=lambda s: -s[1])[:3]


def _change(series: EntitySeries, quantity: str, days: list[date]) -> float:
    """Actual minus expected of ``quantity`` on ``days`` (expected: usual weekday level)."""
    index = {day: i for i, day in enumerate(series.days)}
    picks = [index[d] for d in days if d in index]
    values = series.measures[quantity]
    scored = series.scored.get(quantity)
    change = 0.0
    for day in days:
        i = index.get(day)
        if i is None:  # the child's span had ended: whatever it usually did is missing
            expected = _weekday_usual(series, quantity, day)
            change -= expected
            continue
        if scored is not None and np.isfinite(scored.expected[i]):
            expected = float(scored.expected[i])
        else:
            expected = _weekday_usual(series, quantity, day)
        change += float(values[i]) - expected
    return change if picks or days else 0.0


def _weekday_usual(series: EntitySeries, quantity: str, day: date) -> float:
    same = [
        float(v)
        for d, v in zip(series.days, series.measures[quantity], strict=True)
        if d < day and (day - d) % WEEK == timedelta(0) and day - d <= 4 * WEEK
    ]
    return float(np.median(same)) if same else 0.0


def _driver_text(incident: Incident) -> str | None:
    if not incident.drivers:
        return None
    label, share = incident.drivers[0]
    return f"{label} ({share:.0%} of the change)"


def _fold_related(found: list[Incident]) -> list[Incident]:
    """One incident per entity and overlapping period: data problems first, then money."""
    by_entity: dict[Key, list[Incident]] = defaultdict(list)
    for incident in found:
        by_entity[incident.series.key].append(incident)
    kept: list[Incident] = []
    for group in by_entity.values():
        group.sort(key=_priority)
        chosen: list[Incident] = []
        for incident in group:
            host = next((c for c in chosen if c.overlaps(incident)), None)
            if host is None:
                chosen.append(incident)
            elif incident.metric not in host.related and incident.metric != host.metric:
                host.related.append(incident.metric)
        kept += chosen
    return kept


# The metric that tells each kind of data problem best.
LEAD_METRIC = {
    "missing rows": "spend",
    "no delivery": "spend",
    "spend without clicks": "spend",
    "tracking stopped": "conversions",
}


def _priority(incident: Incident) -> tuple[bool, bool, float]:
    lead = LEAD_METRIC.get(incident.kind)
    return (incident.triage != DATA_PROBLEM, incident.metric != lead, -incident.severity)


def _one_per_event(
    store: Store,
    workspace: str,
    tree: dict[str, dict[Key, EntitySeries]],
    incidents: dict[str, list[Incident]],
) -> list[Incident]:
    """A child explaining most of its parent's change speaks for it; otherwise the parent
    speaks for the children that moved with it."""
    dropped: set[int] = set()
    for level in ("platform", "account"):
        for parent in incidents.get(level, []):
            if id(parent) in dropped:
                continue
            children = {id(c): c for c in _children(store, workspace, tree, parent.series)}
            below = [
                i
                for lvl in ("account", "campaign")
                for i in incidents.get(lvl, [])
                if id(i.series) in children
                and i.overlaps(parent)
                and _same_story(i, parent)
                and id(i) not in dropped
            ]
            if not below:
                continue
            top = parent.drivers[0] if parent.drivers else None
            leading = [i for i in below if top and describe(i.series) == top[0]]
            if len(children) == 1 or (leading and top and top[1] >= DRIVER_SHARE):
                dropped.add(id(parent))
            else:
                dropped.update(id(i) for i in below)
                _speak_for(parent, below)
    return [i for found in incidents.values() for i in found if id(i) not in dropped]


def _speak_for(parent: Incident, below: list[Incident]) -> None:
    """The parent row tells the children's story; their data problem is its data problem."""
    problems = [i for i in below if i.triage == DATA_PROBLEM]
    money = sum(i.money_at_stake for i in below)
    if problems and sum(i.money_at_stake for i in problems) >= 0.5 * money:
        worst = max(problems, key=lambda i: i.money_at_stake)
        parent.triage, parent.kind = DATA_PROBLEM, worst.kind
        parent.explanation = (
            f"{len(problems)} parts of {describe(parent.series)} show {worst.kind} at once. "
            f"The one with the most money at stake: {worst.explanation}"
        )
    elif len(below) > 1:
        parent.explanation += f" {len(below)} of its parts moved the same way."


def _same_story(child: Incident, parent: Incident) -> bool:
    metrics = {parent.metric, *parent.related}
    return bool({child.metric, *child.related} & metrics) and child.direction == parent.direction


def _reference_spend(platforms: Any) -> float:
    """The workspace's median daily spend: an incident worth this much weighs fully."""
    totals: dict[date, float] = defaultdict(float)
    for series in platforms:
        for day, spend in zip(series.days, series.measures["spend"], strict=True):
            totals[day] += float(spend)
    return float(np.median(list(totals.values()))) if totals else 0.0


def _row(incident: Incident) -> dict[str, Any]:
    series = incident.series
    return {
        "platform": series.platform,
        "account_id": series.account_id,
        "campaign_name": series.campaign_name,
        "metric": incident.metric,
        "period_start": incident.start,
        "period_end": incident.end,
        "actual": _finite(incident.actual),
        "expected_low": _finite(incident.expected_low),
        "expected_high": _finite(incident.expected_high),
        "deviation": _finite(incident.deviation),
        "severity": incident.severity,
        "money_at_stake": round(incident.money_at_stake, 2),
        "driver": incident.driver,
        "triage": incident.triage,
        "explanation": incident.explanation,
        "level": series.level,
        "kind": incident.kind,
        "related_metrics": ", ".join(incident.related) or None,
        "model_score": _finite(incident.model_score),
    }


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _write(store: Store, workspace: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replace the workspace's incidents in one transaction; returns the rows as stored."""
    now = datetime.now(UTC)
    with store.transaction() as con:
        con.execute("DELETE FROM anomalies WHERE workspace = ?", [workspace])
        for row in rows:
            row["anomaly_id"] = int(
                con.execute("SELECT nextval('anomaly_id_seq')").fetchall()[0][0]
            )
            row["workspace"] = workspace
            row["detected_at"] = now
            for name in ("period_start", "period_end"):
                if not isinstance(row[name], datetime):
                    row[name] = datetime.combine(row[name], datetime.min.time())
            con.execute(
                f"INSERT INTO anomalies ({', '.join(COLUMNS)}) VALUES "
                f"({', '.join('?' * len(COLUMNS))})",
                [row[c] for c in COLUMNS],
            )
    return [{c: row[c] for c in COLUMNS} for row in rows]
