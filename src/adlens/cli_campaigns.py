"""``adlens channel`` and ``adlens campaigns``: channel groups and the campaign map."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from adlens.cli import (
    DbOption,
    JsonOption,
    WorkspaceOption,
    _errors,
    _print_json,
    _table,
    _with_store,
    out,
)
from adlens.errors import CampaignMapError
from adlens.settings import get_settings

campaigns_app = typer.Typer(
    help="Campaigns consolidated across platforms and GA4: spend next to sessions, blended "
    "CPA/ROAS, and whether GA4 sees the clicks. Without a subcommand, prints that view.",
    invoke_without_command=True,
)
map_app = typer.Typer(
    help="The campaign map (raw name -> canonical campaign): list it, review it as CSV, "
    "override it. Overrides win over the automatic matching on every later load."
)
campaigns_app.add_typer(map_app, name="map")


def channel(
    source: Annotated[str, typer.Option("--source", help="Session or utm source.")],
    medium: Annotated[str, typer.Option("--medium", help="Session or utm medium.")],
    campaign: Annotated[str | None, typer.Option("--campaign", help="Campaign name.")] = None,
) -> None:
    """Print the GA4 default channel group of a source / medium (/ campaign)."""
    from adlens.channels import classify

    out.print(classify(source, medium, campaign))


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CampaignMapError(
            f"{option} '{value}' is not a date", hint="write it as YYYY-MM-DD"
        ) from None


@campaigns_app.callback()
def campaigns(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    by_day: Annotated[bool, typer.Option("--by-day", help="One row per campaign and day.")] = False,
    db: DbOption = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Spend, clicks and GA4 sessions/conversions per canonical campaign."""
    if ctx.invoked_subcommand is not None:
        return
    from adlens.consolidate import cross_platform

    with _errors():
        first, last = _day(start, "--start"), _day(end, "--end")
    space = workspace or get_settings().workspace
    rows = _with_store(db, lambda store: cross_platform(store, space, first, last, by_day=by_day))
    if as_json:
        _print_json(rows)
        return
    table = _table(
        *(["day"] if by_day else []),
        "campaign",
        "platforms",
        "spend",
        "clicks",
        "sessions",
        "GA4 conv.",
        "CPA",
        "ROAS",
        "check",
    )
    for row in rows:
        table.add_row(
            *([row["date"] or ""] if by_day else []),
            row["canonical_campaign"],
            ", ".join(row["platforms"]),
            f"{row['spend']:,.2f}",
            f"{row['clicks']:,}",
            f"{row['sessions']:,}",
            f"{row['ga4_conversions']:,.0f}",
            _money(row["blended_cpa"]),
            "—" if row["blended_roas"] is None else f"{row['blended_roas']:.2f}",
            "⚠ gap" if row["gap_flag"] else "ok",
        )
    out.print(table)
    for row in rows:
        if row["gap_flag"]:
            day = f" on {row['date']}" if by_day else ""
            out.print(f"⚠ {row['canonical_campaign']}{day}: {row['gap_explanation']}")


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


@map_app.command("list")
def map_list(
    db: DbOption = None, workspace: WorkspaceOption = None, as_json: JsonOption = False
) -> None:
    """List the campaign map, by canonical campaign."""
    from adlens.consolidate import campaign_map

    space = workspace or get_settings().workspace
    rows = _with_store(db, lambda store: campaign_map(store, space))
    if as_json:
        _print_json(rows)
        return
    table = _table("canonical campaign", "platform", "campaign name", "confidence", "method")
    for row in rows:
        table.add_row(
            row["canonical_campaign"],
            row["platform"],
            row["campaign_name"],
            f"{row['confidence']:.2f}",
            row["method"],
        )
    out.print(table)


@map_app.command("export")
def map_export(
    path: Annotated[Path, typer.Argument(help="CSV file to write.")],
    db: DbOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write the map as CSV for review (edit canonical_campaign, then import it)."""
    from adlens.consolidate import export_csv

    space = workspace or get_settings().workspace
    count = _with_store(db, lambda store: export_csv(store, space, path))
    out.print(f"{count:,} campaign names written to {path}")


@map_app.command("import")
def map_import(
    path: Annotated[Path, typer.Argument(help="Reviewed CSV (as `map export` writes it).")],
    db: DbOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Apply a reviewed CSV: changed rows become overrides; an empty canonical_campaign
    hands the name back to automatic matching."""
    from adlens.consolidate import import_csv

    space = workspace or get_settings().workspace
    count = _with_store(db, lambda store: import_csv(store, space, path))
    out.print(f"{count:,} campaign names changed")


@map_app.command("set")
def map_set(
    platform: Annotated[str, typer.Argument(help="meta, google_ads, ..., or ga4.")],
    campaign_name: Annotated[str, typer.Argument(help="The name as stored.")],
    canonical_campaign: Annotated[str, typer.Argument(help="The campaign it belongs to.")],
    db: DbOption = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Override one name's canonical campaign (kept on every later load)."""
    from adlens.consolidate import set_override

    space = workspace or get_settings().workspace
    row: dict[str, Any] = _with_store(
        db, lambda store: set_override(store, space, platform, campaign_name, canonical_campaign)
    )
    if as_json:
        _print_json(row)
        return
    out.print(f"{platform} '{campaign_name}' -> '{row['canonical_campaign']}' (override)")


@map_app.command("rebuild")
def map_rebuild(db: DbOption = None, workspace: WorkspaceOption = None) -> None:
    """Match every automatic row again from scratch (overrides are kept)."""
    from adlens.consolidate import build_campaign_map

    space = workspace or get_settings().workspace
    rows = _with_store(db, lambda store: build_campaign_map(store, space, rebuild=True))
    canonical = len({r["canonical_campaign"] for r in rows})
    out.print(f"{len(rows):,} campaign names mapped to {canonical:,} campaigns")
