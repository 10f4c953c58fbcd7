"""``adlens features`` and ``adlens detect``: the feature table and anomaly detection."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from adlens.cli import DbOption, JsonOption, WorkspaceOption, _errors, _print_json, out
from adlens.errors import MappingError
from adlens.settings import get_settings


def features(
    db: DbOption = None,
    workspace: WorkspaceOption = None,
    level: Annotated[str, typer.Option(help="campaign (x day) or platform (x day).")] = "campaign",
    output: Annotated[Path, typer.Option("--out", help="Parquet file to write.")] = Path(
        "features.parquet"
    ),
    budgets: Annotated[
        Path | None,
        typer.Option(
            help="CSV of budgets for pacing: campaign_name, budget, optional platform, "
            "start, end (YYYY-MM-DD; default: each calendar month)."
        ),
    ] = None,
    holiday_country: Annotated[
        str | None,
        typer.Option(
            help="ISO country of the holiday flags.", show_default="$ADLENS_HOLIDAY_COUNTRY"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write the feature table (one row per campaign or platform and day) to Parquet.

    KPI ratios, log transforms, calendar and holiday flags, lags, rolling means, standard
    deviations and z-scores, shares of spend, cumulative spend and budget pacing, campaign
    age and frequency proxies: every column and its formula is in docs/features.md.
    """
    from adlens.features import write_features
    from adlens.store import open_store

    if level not in ("campaign", "platform"):
        raise typer.BadParameter("--level must be campaign or platform")
    with _errors(), open_store(_db(db)) as store:
        rows = write_features(
            store,
            output,
            workspace or get_settings().workspace,
            level,  # type: ignore[arg-type]
            budgets=budgets,
            holiday_country=holiday_country,
        )
    if as_json:
        _print_json({"out": str(output), "rows": rows, "level": level})
        return
    out.print(f"{rows:,} rows ({level} x day) written to {output}")


def detect(
    db: DbOption = None,
    workspace: WorkspaceOption = None,
    days: Annotated[int, typer.Option(min=1, help="Days back to report incidents for.")] = 90,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Score a time series in this CSV instead of the store."),
    ] = None,
    timestamp_column: Annotated[
        str | None, typer.Option(help="--csv: column holding the timestamp.")
    ] = None,
    value_column: Annotated[str | None, typer.Option(help="--csv: column holding the value.")] = (
        None
    ),
    online: Annotated[
        bool, typer.Option(help="--csv: score each row from it and earlier rows only.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--out", help="--csv: where to write the scored rows.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Find anomalies: in the stored facts, or in any time series of a CSV file.

    On the store: every platform, account and campaign, for spend, impressions,
    conversions, CPC, CPM, CTR, CPA and ROAS; each incident gets a severity weighted by the
    money at stake, the campaign or platform that drove it and a triage (data problem or
    performance change). Results replace the `anomalies` table of the workspace.

    With --csv: every row is written to --out with anomaly_score (0..1), is_anomaly and the
    expected band; --online scores each row without looking at later rows.
    """
    if csv is not None:
        _detect_csv(csv, timestamp_column, value_column, online, output, as_json)
        return
    from adlens.anomaly import detect_store
    from adlens.store import open_store

    with _errors(), open_store(_db(db)) as store:
        incidents = detect_store(store, workspace or get_settings().workspace, days=days)
    if as_json:
        _print_json(incidents)
        return
    _print_incidents(incidents)


def _detect_csv(
    path: Path,
    timestamp_column: str | None,
    value_column: str | None,
    online: bool,
    output: Path | None,
    as_json: bool,
) -> None:
    from adlens.anomaly import detect_csv

    with _errors():
        missing = [
            option
            for option, given in (
                ("--timestamp-column", timestamp_column),
                ("--value-column", value_column),
                ("--out", output),
            )
            if given is None
        ]
        if missing:
            raise MappingError(
                f"--csv needs {', '.join(missing)}",
                hint="e.g. adlens detect --csv kpi.csv --timestamp-column date "
                "--value-column spend --out scored.csv",
            )
        assert timestamp_column and value_column and output
        counts = detect_csv(path, timestamp_column, value_column, output, online=online)
    if as_json:
        _print_json({"out": str(output), **counts})
        return
    out.print(
        f"{counts['rows']:,} rows, {counts['scored']:,} scored, {counts['anomalies']:,} "
        f"anomalous → {output}"
    )


def _print_incidents(incidents: list[dict[str, Any]]) -> None:
    if not incidents:
        out.print("no anomalies found")
        return
    currency = get_settings().reporting_currency
    for row in incidents:
        entity = row["campaign_name"] or row["account_id"] or ""
        where = f"{row['platform']} · {entity}" if entity else row["platform"]
        start, end = row["period_start"].date(), row["period_end"].date()
        period = str(start) if start == end else f"{start} → {end}"
        colour = "red" if row["triage"] == "data problem" else "yellow"
        out.print(
            f"[bold]{row['severity']:.2f}[/] [{colour}]{row['triage']}[/] · {where} · "
            f"{row['metric']} · {period} · {row['money_at_stake']:,.2f} {currency} at stake",
            markup=True,
        )
        out.print(f"    {row['explanation']}", markup=False)
    out.print(f"{len(incidents)} incidents stored in `anomalies`")


def _db(db: Path | None) -> Path:
    from adlens.cli import _db as resolve

    return resolve(db)


def register(app: typer.Typer) -> None:
    """Add the commands to the ``adlens`` application."""
    app.command()(features)
    app.command()(detect)
