"""Feature table per campaign x day (or platform x day), computed by DuckDB window functions.

Every column and its formula is listed in ``docs/features.md``. The facts are first summed to
one row per entity and day (hour rows only where an entity has no day row that day; range rows
never, as they have no day); then each entity's days from its first to its last day with rows
are laid out, and a day without rows inside that span counts as a zero-activity day (nothing
was spent or shown: that is what an export without the row says). Days after an entity's last
row are not invented: the campaign may have ended.

The work happens in DuckDB over the aggregated rows, so memory stays bounded by DuckDB's limit
whatever the number of fact rows; ``write_features`` has DuckDB write the Parquet file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from sqlglot import exp

from adlens.errors import MappingError, UnreadableFileError
from adlens.settings import get_settings
from adlens.store import Store

Level = Literal["campaign", "platform"]
LEVELS: dict[str, tuple[str, ...]] = {
    "campaign": ("platform", "account_id", "campaign_name"),
    "platform": ("platform",),
}
MEASURES = ("spend", "impressions", "clicks", "conversions", "conversion_value")
COUNTS = ("impressions", "clicks")
# The finest entity: which grain (day or hour) a day is read from is decided per ad and day.
FINE = (
    "platform, account_id, campaign_id, campaign_name, ad_group_id, ad_group_name, ad_id, "
    "ad_name, keyword, match_type, search_term"
)
ROLLED = ("spend", "impressions", "clicks", "conversions")
Budgets = Mapping[str, float | Mapping[str, Any]] | Iterable[Mapping[str, Any]] | Path | str


def build_features(
    store: Store,
    workspace: str = "default",
    level: Level = "campaign",
    *,
    budgets: Budgets | None = None,
    holiday_country: str | None = None,
) -> pa.Table:
    """The feature table of ``workspace`` at ``level``, one row per entity and day.

    ``budgets``: optional budgets for pacing (a CSV path, a list of dicts or a dict
    ``{campaign_name: amount}``; see docs/features.md). ``holiday_country``: ISO country of
    the holiday flags (default: the ``holiday_country`` setting, ``US``).
    """
    sql, params = prepare(store, workspace, level, budgets, holiday_country)
    return store.con.sql(sql, params=params).to_arrow_table()


def write_features(
    store: Store,
    out: Path,
    workspace: str = "default",
    level: Level = "campaign",
    *,
    budgets: Budgets | None = None,
    holiday_country: str | None = None,
) -> int:
    """Write the feature table to a Parquet file inside DuckDB; returns the rows written.

    DuckDB writes the file itself, so the rows never pass through Python and memory stays
    within DuckDB's limit whatever the size.
    """
    sql, params = prepare(store, workspace, level, budgets, holiday_country)
    # COPY takes no parameters: the workspace and path go in as SQL literals built by sqlglot.
    sql = sql.replace("?", exp.Literal.string(params[0]).sql(dialect="duckdb"), 1)
    target = exp.Literal.string(str(out)).sql(dialect="duckdb")
    written = store.con.execute(f"COPY ({sql}) TO {target} (FORMAT parquet)").fetchall()
    return int(written[0][0])


def prepare(
    store: Store,
    workspace: str,
    level: str,
    budgets: Budgets | None,
    holiday_country: str | None,
    since: date | None = None,
) -> tuple[str, list[Any]]:
    """The feature query and its parameters, with the holiday and budget tables registered."""
    if level not in LEVELS:
        raise MappingError(f"unknown level {level!r}", hint="use campaign or platform")
    settings = get_settings()
    country = holiday_country or settings.holiday_country
    # Window functions spill to disk past this limit, so memory stays bounded at any size.
    store.con.execute(f"SET memory_limit = '{settings.memory_limit}'")
    span = store.con.execute(
        "SELECT min(date), max(date) FROM ad_performance WHERE workspace = ? "
        "AND grain IN ('day', 'hour') AND date IS NOT NULL",
        [workspace],
    ).fetchall()[0]
    store.con.register("_adlens_holidays", holiday_table(country, span[0], span[1]))
    store.con.register("_adlens_budgets", budget_table(budgets))
    if since is not None:  # only facts from ``since`` on (windows start there)
        return feature_sql(level, since=True), [workspace, since]
    return feature_sql(level), [workspace]


def holiday_table(country: str, first: date | None, last: date | None) -> pa.Table:
    """Public holidays of ``country`` (``holidays`` package) in the years ``first``..``last``.

    >>> table = holiday_table("US", date(2025, 7, 1), date(2025, 7, 31)).to_pylist()
    >>> [row["holiday"] for row in table if row["date"] == date(2025, 7, 4)]
    ['Independence Day']
    """
    import holidays

    days: dict[date, str] = {}
    if first and last:
        try:
            calendar = holidays.country_holidays(
                country.upper(), years=range(first.year, last.year + 1)
            )
        except NotImplementedError:
            raise MappingError(
                f"no holiday calendar for country {country!r}",
                hint="use an ISO 3166 code such as US, GB, DE or FR (ADLENS_HOLIDAY_COUNTRY)",
            ) from None
        days = dict(sorted(calendar.items()))
    return pa.table(
        {"date": pa.array(list(days), pa.date32()), "holiday": pa.array(list(days.values()))}
    )


def budget_table(budgets: Budgets | None) -> pa.Table:
    """Budgets as rows of ``platform, campaign_name, budget, budget_start, budget_end``.

    A dict maps a campaign name to an amount (or to a dict of the other fields); a CSV has the
    columns ``campaign_name, budget`` and optionally ``platform, start, end``. A budget without
    ``start``/``end`` covers the calendar month of each day. A row with an empty
    ``campaign_name`` is a platform budget (``--level platform``).

    >>> budget_table({"Brand": 3000}).to_pylist()[0]["budget"]
    3000.0
    """
    rows = [] if budgets is None else list(_budget_rows(budgets))
    return pa.table(
        {
            "platform": pa.array([r.get("platform") or None for r in rows], pa.string()),
            "campaign_name": pa.array([r.get("campaign_name") or None for r in rows], pa.string()),
            "budget": pa.array([float(r["budget"]) for r in rows], pa.float64()),
            "budget_start": pa.array([_day(r.get("start")) for r in rows], pa.date32()),
            "budget_end": pa.array([_day(r.get("end")) for r in rows], pa.date32()),
        }
    )


def _budget_rows(budgets: Budgets) -> Iterable[Mapping[str, Any]]:
    if isinstance(budgets, str | Path):
        path = Path(budgets)
        if not path.exists():
            raise UnreadableFileError(f"{path}: no such budgets file")
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for line, row in enumerate(rows, start=2):
            _check_budget(row, f"{path}, line {line}")
        return rows
    if isinstance(budgets, Mapping):
        rows = [
            {"campaign_name": name, **(dict(v) if isinstance(v, Mapping) else {"budget": v})}
            for name, v in budgets.items()
        ]
    else:
        rows = [dict(row) for row in budgets]
    for index, row in enumerate(rows):
        _check_budget(row, f"budget {index + 1}")
    return rows


def _check_budget(row: Mapping[str, Any], where: str) -> None:
    try:
        float(row["budget"])
        _day(row.get("start"))
        _day(row.get("end"))
    except (KeyError, TypeError, ValueError) as exc:
        raise MappingError(
            f"{where}: not a budget ({exc})",
            hint="give campaign_name, budget (a number) and optional start/end as YYYY-MM-DD",
        ) from None


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def daily_ctes(
    keys: tuple[str, ...], extend_days: int = 0, *, since: bool = False, campaign: bool = False
) -> str:
    """CTEs ending in ``filled``: one row per entity (``keys``) and day, zero-filled.

    An entity's days run from its first day with rows to its last, or up to ``extend_days``
    further while its platform's exports go on (a campaign whose rows stop while the rest of
    the platform's export continues did not deliver). The parameters are the workspace, then
    the first day to read (``since``), then platform, account and campaign name (``campaign``:
    one campaign only).
    """
    filters = " AND date >= ?" if since else ""
    if campaign:
        filters += (
            " AND platform = ? AND coalesce(account_id, account_name) IS NOT DISTINCT FROM ?"
            " AND campaign_name = ?"
        )
    key_list = ", ".join(keys)
    sums = ", ".join(f"sum({m})::{'BIGINT' if m in COUNTS else 'DOUBLE'} AS {m}" for m in MEASURES)
    filled = ", ".join(f"coalesce(d.{m}, 0) AS {m}" for m in MEASURES)
    joined = " AND ".join(f"g.{k} IS NOT DISTINCT FROM d.{k}" for k in keys)
    return f"""facts AS (
    SELECT * EXCLUDE (account_id), coalesce(account_id, account_name) AS account_id
    FROM ad_performance
    WHERE workspace = ? AND grain IN ('day', 'hour') AND date IS NOT NULL{filters}
),
by_grain AS (  -- per ad and day: day rows, or the hour rows of an ad-day without day rows
    SELECT {FINE}, date, grain, {sums} FROM facts GROUP BY {FINE}, date, grain
    QUALIFY grain = min(grain) OVER (PARTITION BY {FINE}, date)  -- 'day' before 'hour'
),
daily AS (SELECT {key_list}, date, {sums} FROM by_grain GROUP BY ALL),
platform_ends AS (SELECT platform, max(date) AS platform_end FROM daily GROUP BY ALL),
spans AS (
    SELECT {key_list}, min(date) AS first_day,
        least(any_value(platform_end), max(date) + {int(extend_days)}) AS last_day
    FROM daily JOIN platform_ends USING (platform) GROUP BY ALL
),
grid AS (
    SELECT {key_list}, first_day, unnest(generate_series(first_day, last_day, INTERVAL 1 DAY))::DATE
        AS date
    FROM spans
),
filled AS (
    SELECT {", ".join(f"g.{k}" for k in keys)}, g.date, g.first_day, {filled},
           d.date IS NOT NULL AS has_rows
    FROM grid g LEFT JOIN daily d ON {joined} AND g.date = d.date
)"""


def feature_sql(level: str, *, since: bool = False) -> str:
    """The feature query for ``level``; parameters: the workspace (and the first day)."""
    keys = LEVELS[level]
    key_list = ", ".join(keys)
    by = f"PARTITION BY {key_list} ORDER BY date"
    columns = [
        *(f"{k}" for k in keys),
        "date",
        *MEASURES,
        "has_rows",
        "clicks / nullif(impressions, 0) AS ctr",
        "spend / nullif(clicks, 0) AS cpc",
        "1000 * spend / nullif(impressions, 0) AS cpm",
        "spend / nullif(conversions, 0) AS cpa",
        "conversions / nullif(clicks, 0) AS cvr",
        "conversion_value / nullif(spend, 0) AS roas",
        "impressions / nullif(clicks, 0) AS impressions_per_click",
        *(f"ln(1 + greatest({m}, 0)) AS log_{m}" for m in ROLLED),
        "isodow(date) AS day_of_week",
        "isodow(date) >= 6 AS is_weekend",
        "weekofyear(date) AS week_of_year",
        "month(date) AS month",
        "day(date) AS day_of_month",
        "date = last_day(date) AS is_month_end",
        "holiday IS NOT NULL AS is_holiday",
        "holiday AS holiday_name",
        "EXISTS (SELECT 1 FROM _adlens_holidays x WHERE x.date BETWEEN f.date - 1 AND "
        "f.date + 1) AS is_holiday_window",
        "date - first_day AS age_days",
        "spend_lag_1",
        f"lag(spend, 7) OVER ({by}) AS spend_lag_7",
        f"lag(clicks, 1) OVER ({by}) AS clicks_lag_1",
        f"lag(conversions, 1) OVER ({by}) AS conversions_lag_1",
        f"lag(conversions, 7) OVER ({by}) AS conversions_lag_7",
    ]
    for m in ROLLED:
        for days in (7, 28):
            frame = f"{by} ROWS BETWEEN {days - 1} PRECEDING AND CURRENT ROW"
            columns.append(f"avg({m}) OVER ({frame}) AS {m}_mean_{days}")
            columns.append(f"stddev_samp({m}) OVER ({frame}) AS {m}_std_{days}")
        past = f"{by} ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING"
        columns.append(
            f"({m} - avg({m}) OVER ({past})) / nullif(stddev_samp({m}) OVER ({past}), 0) "
            f"AS {m}_zscore_28"
        )
        columns.append(
            f"({m} - lag({m}, 7) OVER ({by})) / nullif(lag({m}, 7) OVER ({by}), 0) "
            f"AS {m}_pct_change_7"
        )
    week, month = (
        f"{by} ROWS BETWEEN 6 PRECEDING AND CURRENT ROW",
        f"{by} ROWS BETWEEN 27 PRECEDING AND CURRENT ROW",
    )
    prior_week = f"{by} ROWS BETWEEN 13 PRECEDING AND 7 PRECEDING"
    columns += [
        "(spend - spend_lag_1) / nullif(spend_lag_1, 0) AS spend_pct_change_1",
        f"sum(clicks) OVER ({week}) / nullif(sum(impressions) OVER ({week}), 0) AS ctr_7d",
        f"sum(spend) OVER ({week}) / nullif(sum(clicks) OVER ({week}), 0) AS cpc_7d",
        f"sum(spend) OVER ({month}) / nullif(sum(conversions) OVER ({month}), 0) AS cpa_28d",
        f"sum(conversion_value) OVER ({month}) / nullif(sum(spend) OVER ({month}), 0) AS roas_28d",
        f"sum(impressions) OVER ({week}) / nullif(sum(impressions) OVER ({prior_week}), 0) - 1 "
        "AS impressions_growth_7",
        f"sum(clicks) OVER ({week}) / nullif(sum(clicks) OVER ({prior_week}), 0) - 1 "
        "AS clicks_growth_7",
        f"(sum(impressions) OVER ({week}) / nullif(sum(clicks) OVER ({week}), 0)) / nullif("
        f"sum(impressions) OVER ({month}) / nullif(sum(clicks) OVER ({month}), 0), 0) "
        "AS frequency_proxy_7",
        f"spend / nullif(avg(spend) OVER (PARTITION BY {key_list}, isodow(date) ORDER BY date "
        "ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING), 0) AS spend_weekday_index",
        f"count(*) FILTER (WHERE spend > 0 OR impressions > 0) OVER ({month}) AS active_days_28",
        f"sum(spend) OVER ({by} ROWS UNBOUNDED PRECEDING) AS cumulative_spend",
        f"sum(spend) OVER (PARTITION BY {key_list}, date_trunc('month', date) ORDER BY date "
        "ROWS UNBOUNDED PRECEDING) AS month_to_date_spend",
    ]
    if level == "campaign":
        columns += [
            "spend / nullif(sum(spend) OVER (PARTITION BY platform, date), 0) "
            "AS spend_share_platform",
            "spend / nullif(sum(spend) OVER (PARTITION BY platform, account_id, date), 0) "
            "AS spend_share_account",
        ]
    else:
        columns.append(
            "spend / nullif(sum(spend) OVER (PARTITION BY date), 0) AS spend_share_workspace"
        )
    columns += [
        "budget",
        "coalesce(given_start, date_trunc('month', date)::DATE) AS budget_start",
        "coalesce(given_end, last_day(date)) AS budget_end",
    ]
    budget_match = (
        "b.campaign_name = f.campaign_name AND (b.platform IS NULL OR b.platform = f.platform)"
        if level == "campaign"
        else "b.campaign_name IS NULL AND b.platform = f.platform"
    )
    return f"""
WITH {daily_ctes(keys, since=since)},
lagged AS (SELECT *, lag(spend, 1) OVER ({by}) AS spend_lag_1 FROM filled),
joined AS (
    SELECT f.*, h.holiday, b.budget, b.budget_start AS given_start, b.budget_end AS given_end
    FROM lagged f
    LEFT JOIN _adlens_holidays h ON h.date = f.date
    LEFT JOIN _adlens_budgets b ON {budget_match}
        AND f.date BETWEEN coalesce(b.budget_start, DATE '0001-01-01')
        AND coalesce(b.budget_end, DATE '9999-12-31')
),
featured AS (SELECT {", ".join(columns)} FROM joined f)
SELECT * EXCLUDE (budget_start, budget_end),
    CASE WHEN budget IS NOT NULL THEN budget_start END AS budget_start,
    CASE WHEN budget IS NOT NULL THEN budget_end END AS budget_end,
    CASE WHEN budget IS NOT NULL THEN sum(spend) OVER (
        PARTITION BY {key_list}, budget_start ORDER BY date ROWS UNBOUNDED PRECEDING) END
        AS budget_spend_to_date,
    CASE WHEN budget IS NOT NULL THEN budget - sum(spend) OVER (
        PARTITION BY {key_list}, budget_start ORDER BY date ROWS UNBOUNDED PRECEDING) END
        AS budget_remaining,
    sum(spend) OVER (PARTITION BY {key_list}, budget_start ORDER BY date ROWS UNBOUNDED PRECEDING)
        / nullif(budget * (date - budget_start + 1) / (budget_end - budget_start + 1), 0)
        AS budget_pacing
FROM featured
ORDER BY {key_list}, date
"""
