"""Channels at load time: classify each distinct combination in Python, join it in SQL.

A file of a million rows holds a few hundred distinct (platform, campaign, campaign type,
UTM) combinations. They are read from the staged file in one grouped scan, classified by
:mod:`adlens.channels`, and joined back while the rows are copied into the store: no
per-row Python, and no extra pass over the table.
"""

from __future__ import annotations

from typing import Any

import duckdb

from adlens.channels import CHANNELS, classify, classify_ad
from adlens.ingest.values import literal

TABLE = "_adlens_channels"
CAMPAIGN_TYPE = "_campaign_type"  # staged only when the export has a campaign type column
KEYS = {
    "ad_performance": (
        "platform",
        "campaign_name",
        CAMPAIGN_TYPE,
        "utm_source",
        "utm_medium",
        "utm_campaign",
    ),
    "sessions": ("source", "medium", "campaign"),
}


def channel_of(target: str, key: tuple[Any, ...]) -> str:
    """The channel of one combination of :data:`KEYS` values for ``target``.

    >>> channel_of("sessions", ("google", "organic", None))
    'Organic Search'
    >>> channel_of("ad_performance", ("google_ads", "Shoes", "Shopping", None, None, None))
    'Paid Shopping'
    """
    if target == "sessions":
        return classify(*key)
    return classify_ad(*key)


_KNOWN = ", ".join(literal(c) for c in CHANNELS)  # GA4's default channel group names


def unknown_groups(con: duckdb.DuckDBPyConnection, stage: str, limit: int = 5) -> list[str]:
    """Channel group values of an export that are not GA4's default channel group names
    (a custom channel group, or a localised export)."""
    rows = con.execute(
        f"SELECT DISTINCT channel FROM {stage} WHERE _reason IS NULL AND NOT _blank "
        f"AND channel NOT IN ({_KNOWN}) ORDER BY 1 LIMIT {int(limit)}"
    ).fetchall()
    return [str(r[0]) for r in rows]


def with_exported_group(grouped: str) -> str:
    """SQL choosing a row's channel when the export has its own group (staged ``channel``):
    the export's group first; a name GA4's default grouping does not use (custom,
    localised) yields to ``grouped``, adlens's grouping of the row, unless that is
    Unassigned."""
    return (
        f"CASE WHEN channel IN ({_KNOWN}) THEN channel "
        f"WHEN {grouped} <> 'Unassigned' THEN {grouped} "
        f"ELSE coalesce(channel, {grouped}) END"
    )


def channel_join(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    target: str,
    copied: dict[str, str],
    staged_columns: set[str],
) -> tuple[str, str]:
    """(SQL giving each staged row its channel, JOIN clause it needs) for copying ``stage``.

    ``copied`` holds the SQL of columns left out of the stage (constants); a key that is
    neither staged nor copied is NULL. When the whole file has one channel, the SQL is
    that literal and no join is needed.
    """
    keys = KEYS[target]
    exprs = {k: k if k in staged_columns else copied.get(k, "NULL") for k in keys}
    varying = [k for k in keys if k in staged_columns]
    select = ", ".join(f"{exprs[k]} AS _k{i}" for i, k in enumerate(keys))
    rows = con.execute(
        f"SELECT DISTINCT {select} FROM {stage} WHERE _reason IS NULL AND NOT _blank"
    ).fetchall()
    channels = [channel_of(target, tuple(row)) for row in rows]
    if len(set(channels)) <= 1:
        return literal(channels[0] if channels else "Unassigned"), ""
    # Lists bound as parameters and unnested side by side: one statement, no per-row INSERT.
    index = [i for i, k in enumerate(keys) if k in varying]
    columns = [f"CAST(unnest(?) AS VARCHAR) AS _k{i}" for i in index]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {TABLE} AS SELECT {', '.join(columns)}, "
        "CAST(unnest(?) AS VARCHAR) AS _channel",
        [*([None if row[i] is None else str(row[i]) for row in rows] for i in index), channels],
    )
    on = " AND ".join(f"{k} IS NOT DISTINCT FROM _k{keys.index(k)}" for k in varying)
    return "_channel", f"LEFT JOIN {TABLE} ON {on}"


def drop(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the temporary lookup table."""
    con.execute(f"DROP TABLE IF EXISTS {TABLE}")
