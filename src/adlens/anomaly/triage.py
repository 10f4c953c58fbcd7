"""Is an incident a data problem or a real change in performance? And what to do about it.

Rules, first match wins (docs/anomalies.md):

1. missing rows: the entity (or the child driving the change) has no rows at all on those days
   while it usually delivers;
2. no delivery: rows are there, but impressions, clicks and spend are all zero;
3. spend without clicks: money spent, not a single click, where clicks are usual;
4. tracking stopped: conversions fall to (almost) nothing while clicks hold;
5. otherwise a performance change.

Duplicate loads are found separately (``adlens.anomaly.duplicates``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from adlens.anomaly.facts import EntitySeries
from adlens.anomaly.incidents import Incident
from adlens.schema import platform_label
from adlens.store import Store

DATA_PROBLEM, PERFORMANCE = "data problem", "performance change"
TITLES = {
    "spend": "Spend",
    "impressions": "Impressions",
    "conversions": "Conversions",
    "cpc": "Cost per click",
    "cpm": "Cost per 1,000 impressions",
    "ctr": "Click-through rate",
    "cpa": "Cost per conversion",
    "roas": "Return on ad spend",
}


def classify(incident: Incident, store: Store, workspace: str, currency: str) -> None:
    """Set the incident's ``kind``, ``triage`` and ``explanation``."""
    series = incident.series
    days = slice(incident.first, incident.last + 1)
    period = _period(incident.start, incident.end)
    usual = _usual(series, incident.first)
    got = {name: float(values[days].sum()) for name, values in series.measures.items()}
    n = incident.last - incident.first + 1
    what = describe(series)
    usually_delivers = usual["spend"] > 0 or usual["impressions"] > 0
    if usually_delivers and not series.has_rows[days].any():
        context, renamed = _missing_context(store, workspace, series, incident.start, incident.end)
        advice = (
            "" if renamed else " Check the export or connector for these days and load them again."
        )
        _set(
            incident,
            "missing rows",
            f"No rows for {what} {period}, although it usually spends "
            f"{_money(usual['spend'], currency)} a day.{context}{advice}",
        )
    elif usually_delivers and got["spend"] == got["impressions"] == got["clicks"] == 0:
        _set(
            incident,
            "no delivery",
            f"{what} reported zero impressions, clicks and spend {period}, after about "
            f"{_money(usual['spend'], currency)} a day before. If it was not paused on purpose, "
            "check its status, budget and payment method.",
        )
    elif got["spend"] > 0 and got["clicks"] == 0 and usual["clicks"] >= 10:
        _set(
            incident,
            "spend without clicks",
            f"{what} spent {_money(got['spend'], currency)} {period} with no clicks at all "
            f"(usually about {usual['clicks']:,.0f} a day). Check the click column of that "
            "export, then the ads' tracking.",
        )
    elif (
        incident.metric in ("conversions", "cpa", "roas")
        and usual["conversions"] >= 3
        and got["conversions"] <= 0.1 * usual["conversions"] * n
        and got["clicks"] >= 0.5 * usual["clicks"] * n
    ):
        _set(
            incident,
            "tracking stopped",
            f"Conversions of {what} fell to {got['conversions']:,.0f} {period} (about "
            f"{usual['conversions'] * n:,.0f} expected) while clicks held at "
            f"{got['clicks']:,.0f}. The conversion tag or its import most likely stopped: fix "
            "tracking before judging the campaign.",
        )
    else:
        incident.triage, incident.kind = PERFORMANCE, "performance change"
        incident.explanation = _performance(incident, what, period, currency)


def _set(incident: Incident, kind: str, explanation: str) -> None:
    incident.triage, incident.kind, incident.explanation = DATA_PROBLEM, kind, explanation


def _performance(incident: Incident, what: str, period: str, currency: str) -> str:
    title = TITLES[incident.metric]
    deviation = incident.deviation
    change = (
        f"{abs(deviation):.0%} {'above' if deviation > 0 else 'below'}"
        if deviation is not None
        else "away from"
    )
    text = (
        f"{title} of {what} was {_value(incident.metric, incident.actual, currency)} "
        f"{period}, {change} the expected "
        f"{_value(incident.metric, incident.expected_low, currency)}–"
        f"{_value(incident.metric, incident.expected_high, currency)}."
    )
    if incident.drivers:
        label, share = incident.drivers[0]
        text += f" {label} accounts for {share:.0%} of the change."
    return text + f" About {_money(incident.money_at_stake, currency)} at stake."


def describe(series: EntitySeries) -> str:
    """How a marketer names the entity: ``campaign 'X' on Meta``."""
    platform = platform_label(series.platform)
    if series.level == "platform":
        return platform
    if series.level == "account":
        return f"account {series.account_id or '(no id)'} on {platform}"
    if series.level == "ad_group":
        return f"ad group '{series.label}'"
    return f"campaign '{series.campaign_name}' on {platform}"


def _usual(series: EntitySeries, first: int) -> dict[str, float]:
    """Median day of the 28 days (median hour of the week) before ``first``."""
    history = slice(max(0, first - (168 if series.hourly else 28)), first)
    return {
        name: float(np.median(values[history])) if first > 0 else 0.0
        for name, values in series.measures.items()
    }


def _missing_context(
    store: Store, workspace: str, series: EntitySeries, start: date, end: date
) -> tuple[str, bool]:
    """Rejected lines that may hold the missing rows, or the same campaign under another name."""
    if series.campaign_name is None:
        return "", False
    rejected = store.query(
        "SELECT r.source_file, r.source_row, r.reason FROM rejects r "
        "JOIN ingests i USING (ingest_id) WHERE r.workspace = ? AND i.platform = ? "
        "AND contains(r.raw, ?) ORDER BY r.ingest_id DESC, r.source_row LIMIT 1",
        [workspace, series.platform, series.campaign_name],
    )
    text = ""
    if rejected:
        row = rejected[0]
        text += (
            f" Line {row['source_row']} of {row['source_file']} names it and was rejected "
            f"({row['reason']})."
        )
    renamed = store.query(
        "SELECT DISTINCT campaign_name FROM ad_performance WHERE workspace = ? AND platform = ? "
        "AND date BETWEEN ? AND ? AND campaign_name IS DISTINCT FROM ? AND campaign_id IN ("
        "SELECT campaign_id FROM ad_performance WHERE workspace = ? AND platform = ? AND "
        "campaign_name = ? AND campaign_id IS NOT NULL) ORDER BY 1 LIMIT 3",
        [workspace, series.platform, start, end, series.campaign_name, *_scope(series, workspace)],
    )
    if renamed:
        names = ", ".join(f"'{r['campaign_name']}'" for r in renamed)
        text += (
            f" Rows with the same campaign ID were loaded as {names} on those days: the name "
            "changed, which splits the campaign's history; map both names to one campaign "
            "(`adlens campaigns map`)."
        )
    return text, bool(renamed)


def _scope(series: EntitySeries, workspace: str) -> list[str | None]:
    return [workspace, series.platform, series.campaign_name]


def _period(start: date, end: date) -> str:
    """When, as the words that follow a verb: ``on 2026-11-19``, ``from ... to ...``.

    >>> _period(date(2026, 11, 19), date(2026, 11, 20))
    'from 2026-11-19 to 2026-11-20'
    >>> _period(datetime(2025, 5, 24, 10), datetime(2025, 5, 24, 14))
    'on 2025-05-24 from 10:00 to 15:00 UTC'
    """
    if isinstance(start, datetime) and isinstance(end, datetime):
        last = end + timedelta(hours=1)
        if start.date() == last.date() or last == datetime.combine(
            start.date() + timedelta(days=1), datetime.min.time()
        ):
            return f"on {start:%Y-%m-%d} from {start:%H:%M} to {last:%H:%M} UTC"
        return f"from {start:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"
    return f"on {start.isoformat()}" if start == end else f"from {start} to {end}"


def _money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _value(metric: str, value: float, currency: str) -> str:
    if metric in ("spend", "cpc", "cpm", "cpa"):
        return _money(value, currency)
    if metric == "ctr":
        return f"{value:.2%}"
    if metric == "roas":
        return f"{value:.2f}"
    return f"{value:,.0f}"
