"""Exchange rates: ``spend`` is always in the reporting currency, or empty.

Rates are never fetched from the network (adlens runs offline); they are set
by people or by a file, kept in ``fx_rates`` with the day they apply from, and
applied to every row in that currency from that day on. Summing two currencies
is never done: a row without a known rate keeps ``spend_original`` and leaves
``spend`` empty, and the ingest says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from adlens.errors import AdlensError
from adlens.store import Store
from adlens.store.db import bump_data_version, fetch_one
from adlens.store.rollups import rebuild_rollups
from adlens.words import have, rows


@dataclass
class FxError(AdlensError):
    """A rate that cannot be right (zero, negative, not a currency)."""

    status: int = 422
    code: str = "invalid_fx_rate"


def set_rate(
    store: Store,
    currency: str,
    rate: float,
    *,
    reporting_currency: str,
    valid_from: date = date(1970, 1, 1),
) -> int:
    """Store ``1 currency = rate reporting_currency`` from ``valid_from``; re-convert rows.

    Returns how many stored rows got a new ``spend``.
    """
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise FxError(f"{currency!r} is not an ISO currency code such as EUR")
    if not rate > 0:
        raise FxError(f"an exchange rate must be positive, not {rate}")
    with store.transaction() as con:
        con.execute(
            "INSERT OR REPLACE INTO fx_rates VALUES (?, ?, ?, ?)",
            [code, reporting_currency, valid_from, rate],
        )
        before = fetch_one(
            con,
            "SELECT count(*) FROM ad_performance WHERE currency = ?",
            [code],
        )[0]
        convert(con, reporting_currency, None, only=code)
        bump_data_version(con)  # spend changes in every workspace holding that currency
        rebuild_rollups(con)
    return int(before)


def list_rates(store: Store) -> list[dict[str, object]]:
    return store.query("SELECT * FROM fx_rates ORDER BY currency, valid_from")


def convert(
    con: duckdb.DuckDBPyConnection,
    reporting_currency: str,
    ingest_id: int | None,
    *,
    only: str | None = None,
) -> list[str]:
    """Fill ``fx_rate`` and ``spend`` for rows not in the reporting currency.

    ``ingest_id`` limits the work to one load (None: every row). Returns warnings
    for rows whose currency is unknown or has no rate.
    """
    scope = "ingest_id = ?" if ingest_id is not None else "true"
    params: list[object] = [ingest_id] if ingest_id is not None else []
    others = con.execute(
        f"SELECT currency, count(*) FROM ad_performance WHERE {scope} "
        "AND currency IS DISTINCT FROM ? GROUP BY ALL ORDER BY 1",
        [*params, reporting_currency],
    ).fetchall()
    warnings: list[str] = []
    for currency, count in others:
        if only and currency != only:
            continue
        if currency is None:
            warnings.append(
                f"{rows(count)} {have(count)} no currency: their spend is not converted to "
                f"{reporting_currency}; add a Currency column or `currency:` in a mapping"
            )
            continue
        con.execute(
            f"""
            UPDATE ad_performance SET fx_rate = r.rate, spend = spend_original * r.rate
            FROM (
                SELECT a.row_id, fx.rate
                FROM (SELECT rowid AS row_id, coalesce(date, period_start, period_end) AS day
                      FROM ad_performance WHERE {scope} AND currency = ?) a
                ASOF JOIN (SELECT valid_from, rate FROM fx_rates
                           WHERE currency = ? AND reporting_currency = ?) fx
                ON coalesce(a.day, DATE '9999-12-31') >= fx.valid_from
            ) r
            WHERE ad_performance.rowid = r.row_id
            """,
            [*params, currency, currency, reporting_currency],
        )
        missing = fetch_one(
            con,
            f"SELECT count(*) FROM ad_performance WHERE {scope} AND currency = ? "
            "AND fx_rate IS NULL",
            [*params, currency],
        )[0]
        if missing:
            warnings.append(
                f"{rows(missing)} in {currency} {have(missing)} no exchange rate to "
                f"{reporting_currency}: "
                "spend_original is kept and spend stays empty until a rate is set "
                f"(`adlens fx set {currency} RATE`)"
            )
    return warnings
