"""The stored campaign map: built after each load, reviewed by people as CSV.

``campaign_map`` holds one row per raw campaign name (per platform, GA4 included) with
its canonical campaign, a confidence and a method: ``auto`` rows are the algorithm's
(:mod:`adlens.consolidate.names`), ``override`` rows are a person's and are never
changed by a rebuild. Building is incremental: only names not yet mapped are reduced,
and they join an existing canonical campaign whenever their core matches one.

No query of the semantic layer reads the map (it feeds ``cross_platform`` only), so changing
it leaves the workspace's data version, and every cached query answer, as they are.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from adlens.consolidate.names import Reduced, display_name, numbers, reduce_name, similar_core
from adlens.core.spreadsheet import restore_cell, safe_cell
from adlens.errors import CampaignMapError
from adlens.schema import PLATFORMS
from adlens.store import Store
from adlens.utm import normalize_utm

COLUMNS = ("platform", "campaign_name", "canonical_campaign", "confidence", "method", "updated_at")
CSV_COLUMNS = ("platform", "campaign_name", "canonical_campaign", "confidence", "method")
# Spreadsheets run a cell starting with these as a formula: exported with a leading quote.
# Raw campaign names with their row count, of the store or of one ingest (GA4's
# "(not set)" and "(organic)" are not campaigns).
_NAMES = """
SELECT platform, campaign_name, count(*) AS n FROM ad_performance
WHERE workspace = ? AND campaign_name IS NOT NULL {only}
GROUP BY ALL
UNION ALL
SELECT platform, campaign, count(*) FROM sessions
WHERE workspace = ? AND campaign IS NOT NULL AND NOT regexp_full_match(campaign, '\\(.*\\)')
  {only}
GROUP BY ALL
"""
# Ad rows tagged with a utm_campaign say which GA4 campaign their clicks become.
_LINKS = """
SELECT utm_campaign, platform, campaign_name FROM ad_performance
WHERE workspace = ? AND utm_campaign IS NOT NULL AND campaign_name IS NOT NULL
GROUP BY ALL ORDER BY count(*) DESC, platform, campaign_name
"""
LINKED = 0.95  # confidence of a GA4 campaign matched through the ads' utm_campaign


def campaign_map(store: Store, workspace: str = "default") -> list[dict[str, Any]]:
    """Every mapped campaign name of ``workspace``, by canonical campaign."""
    return _rows(store.con, workspace)


def build_campaign_map(
    store: Store, workspace: str = "default", *, rebuild: bool = False
) -> list[dict[str, Any]]:
    """Map every campaign name not mapped yet (all automatic rows with ``rebuild``).

    Overrides are kept as they are. Returns the whole map.
    """
    with store.transaction() as con:
        refresh(con, workspace, rebuild=rebuild)
    return campaign_map(store, workspace)


def refresh(
    con: duckdb.DuckDBPyConnection,
    workspace: str,
    *,
    rebuild: bool = False,
    ingest_id: int | None = None,
) -> int:
    """Map new campaign names inside the caller's transaction; returns how many were added.

    With ``ingest_id`` only that load's names are looked at (what a load just added), so
    the cost does not grow with the store.
    """
    if rebuild:
        con.execute("DELETE FROM campaign_map WHERE workspace = ? AND method = 'auto'", [workspace])
    known = {
        (str(p), str(n))
        for p, n in con.execute(
            "SELECT platform, campaign_name FROM campaign_map WHERE workspace = ?", [workspace]
        ).fetchall()
    }
    if ingest_id is None:
        found = con.execute(_NAMES.format(only=""), [workspace, workspace]).fetchall()
    else:
        sql = _NAMES.format(only="AND ingest_id = ?")
        found = con.execute(sql, [workspace, ingest_id, workspace, ingest_id]).fetchall()
    counts: dict[str, int] = defaultdict(int)
    new: list[tuple[str, str]] = []
    for platform, name, n in found:
        counts[str(name)] += int(n)
        if (str(platform), str(name)) not in known:
            new.append((str(platform), str(name)))
    if not new:
        return 0
    links = _links(con, workspace)
    targets = _targets(con, workspace)
    existing = set(targets.values())
    rows = _assign(targets, new, counts, links)
    _insert(con, workspace, rows)
    grown = sorted({canonical for _, _, canonical, _ in rows if canonical in existing})
    if grown:
        _respell(con, workspace, grown)
    _relink(con, workspace, links)
    return len(rows)


def _links(con: duckdb.DuckDBPyConnection, workspace: str) -> dict[str, tuple[str, str]]:
    """Normalised utm_campaign -> (platform, campaign name) of the ad rows most tagged with it."""
    links: dict[str, tuple[str, str]] = {}
    for utm, platform, name in con.execute(_LINKS, [workspace]).fetchall():
        links.setdefault(normalize_utm("utm_campaign", str(utm)), (str(platform), str(name)))
    return links


def _relink(
    con: duckdb.DuckDBPyConnection, workspace: str, links: dict[str, tuple[str, str]]
) -> None:
    """Move automatic GA4 names to the campaign of the ads tagged with them.

    GA4 may be loaded before the ads whose URLs name its campaigns; once they are loaded,
    the GA4 name follows them.
    """
    if not links:
        return
    current = {
        (str(p), str(n)): (str(c), m)
        for p, n, c, m in con.execute(
            "SELECT platform, campaign_name, canonical_campaign, method FROM campaign_map "
            "WHERE workspace = ?",
            [workspace],
        ).fetchall()
    }
    for (platform, name), (canonical, method) in current.items():
        link = links.get(normalize_utm("utm_campaign", name)) if platform == "ga4" else None
        target = current.get(link) if link else None
        if method != "auto" or target is None or target[0] == canonical:
            continue
        con.execute(
            "UPDATE campaign_map SET canonical_campaign = ?, confidence = ?, updated_at = now() "
            "WHERE workspace = ? AND platform = 'ga4' AND campaign_name = ?",
            [target[0], LINKED, workspace, name],
        )


def _targets(con: duckdb.DuckDBPyConnection, workspace: str) -> dict[str, str]:
    """Core -> canonical campaign of the map as it is (automatic campaigns first)."""
    targets: dict[str, str] = {}
    for (canonical,) in con.execute(
        "SELECT canonical_campaign FROM campaign_map WHERE workspace = ? "
        "GROUP BY canonical_campaign ORDER BY min(method), count(*) DESC, canonical_campaign",
        [workspace],
    ).fetchall():
        targets.setdefault(reduce_name(str(canonical)).core, str(canonical))
    return targets


def _assign(
    targets: dict[str, str],
    new: list[tuple[str, str]],
    counts: dict[str, int],
    links: dict[str, tuple[str, str]],
) -> list[tuple[str, str, str, float]]:
    """(platform, name, canonical, confidence) for each new name; ``targets`` grows."""
    reduced = {(platform, name): reduce_name(name) for platform, name in new}
    for platform, name in new:
        link = links.get(normalize_utm("utm_campaign", name)) if platform == "ga4" else None
        if link:  # the ads tagged with this campaign decide, whatever the spelling
            reduced[platform, name] = Reduced(name, reduce_name(link[1]).core, LINKED)
    # New cores, the most used first, so a typo joins the spelling most rows use.
    groups: dict[str, list[str]] = defaultdict(list)
    for key in sorted(reduced, key=lambda k: (-counts[k[1]], k)):
        if key[1] not in groups[reduced[key].core]:
            groups[reduced[key].core].append(key[1])
    # Typos are looked for only among cores with the same numbers (see similar_core).
    by_numbers: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for core in targets:
        by_numbers[numbers(core)].append(core)
    similarity: dict[str, float] = {}
    for core, names in groups.items():
        if core in targets:
            continue
        similar = similar_core(core, by_numbers[numbers(core)])
        if similar:
            targets[core] = targets[similar[0]]
            similarity[core] = similar[1]
        else:
            targets[core] = display_name(core, names)
        by_numbers[numbers(core)].append(core)
    result = []
    for platform, name in new:
        step = reduced[platform, name]
        canonical = targets[step.core]
        confidence = 1.0 if name == canonical else step.confidence
        if step.core in similarity:
            confidence = min(confidence, round(similarity[step.core] - 0.1, 2))
        result.append((platform, name, canonical, confidence))
    return result


def _insert(
    con: duckdb.DuckDBPyConnection, workspace: str, rows: list[tuple[str, str, str, float]]
) -> None:
    """Add automatic rows in one statement (one INSERT per row is slow in DuckDB)."""
    con.execute(
        "INSERT INTO campaign_map SELECT ?, unnest(?), unnest(?), unnest(?), "
        "CAST(unnest(?) AS DOUBLE), 'auto', now()",
        [workspace, *([row[i] for row in rows] for i in range(4))],
    )


def _respell(con: duckdb.DuckDBPyConnection, workspace: str, canonicals: list[str]) -> None:
    """Write automatic canonical campaigns that gained names as their members now suggest.

    The first load may bring only "summer_sale_2025"; when "Summer Sale 2025" arrives the
    campaign takes the readable spelling. A name a person chose (an override pointing to
    it) is never respelled.
    """
    members: dict[str, list[tuple[str, str, float, str]]] = defaultdict(list)
    for canonical, platform, name, confidence, method in con.execute(
        "SELECT canonical_campaign, platform, campaign_name, confidence, method "
        "FROM campaign_map WHERE workspace = ? AND list_contains(?, canonical_campaign)",
        [workspace, canonicals],
    ).fetchall():
        members[str(canonical)].append((str(platform), str(name), float(confidence), method))
    for canonical, rows in members.items():
        if any(method == "override" for *_, method in rows):
            continue
        better = display_name(reduce_name(canonical).core, [name for _, name, _, _ in rows])
        if better == canonical:
            continue
        for platform, name, confidence, _ in rows:
            if name == better:
                confidence = 1.0
            elif confidence == 1.0:
                confidence = reduce_name(name).confidence
            con.execute(
                "UPDATE campaign_map SET canonical_campaign = ?, confidence = ?, updated_at = "
                "now() WHERE workspace = ? AND platform = ? AND campaign_name = ?",
                [better, confidence, workspace, platform, name],
            )


def set_override(
    store: Store, workspace: str, platform: str, campaign_name: str, canonical_campaign: str
) -> dict[str, Any]:
    """Map one raw name to ``canonical_campaign`` for good: rebuilds never change it."""
    canonical = " ".join(canonical_campaign.split())
    _check(platform, campaign_name, canonical)
    with store.transaction() as con:
        _write_override(con, workspace, platform, campaign_name, canonical)
    rows = [r for r in _rows(store.con, workspace) if r["platform"] == platform]
    return next(r for r in rows if r["campaign_name"] == campaign_name)


def export_csv(store: Store, workspace: str, path: Path) -> int:
    """Write the map to ``path`` as CSV for review; returns the rows written."""
    rows = _rows(store.con, workspace)
    try:
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for row in rows:
                writer.writerow([safe_cell(row[c]) for c in CSV_COLUMNS])
    except OSError as exc:
        raise CampaignMapError(
            f"{path}: cannot be written ({exc.strerror})",
            hint="choose a file in a folder you can write to",
            where={"file": str(path)},
        ) from None
    return len(rows)


def import_csv(store: Store, workspace: str, path: Path) -> int:
    """Apply a reviewed CSV: each row whose canonical campaign differs from the stored one
    (or whose method says ``override``) becomes an override; an empty canonical campaign
    hands the name back to the algorithm. Returns the rows changed.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            records = list(csv.DictReader(fh))
            header = list(records[0]) if records else []
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CampaignMapError(
            f"{path}: cannot be read ({reason})",
            hint="name a CSV written by `adlens campaigns map export` (UTF-8)",
            where={"file": str(path)},
        ) from None
    missing = [c for c in CSV_COLUMNS[:3] if records and c not in header]
    if missing:
        raise CampaignMapError(
            f"{path}: no column {', '.join(missing)}",
            hint=f"the header must have {', '.join(CSV_COLUMNS[:3])} (as `adlens campaigns map "
            "export` writes it)",
            where={"file": str(path), "line": 1},
        )
    current = {(r["platform"], r["campaign_name"]): r for r in _rows(store.con, workspace)}
    changed = 0
    with store.transaction() as con:
        for line, record in enumerate(records, start=2):
            platform = (record.get("platform") or "").strip()
            name = restore_cell(record.get("campaign_name") or "")
            canonical = " ".join(restore_cell(record.get("canonical_campaign") or "").split())
            method = (record.get("method") or "").strip().lower()
            stored = current.get((platform, name))
            if not canonical:
                if stored and stored["method"] == "override":
                    con.execute(
                        "DELETE FROM campaign_map WHERE workspace = ? AND platform = ? "
                        "AND campaign_name = ?",
                        [workspace, platform, name],
                    )
                    changed += 1
                continue
            _check(platform, name, canonical, where={"file": str(path), "line": line})
            if (
                stored is not None
                and stored["canonical_campaign"] == canonical
                and (method != "override" or stored["method"] == "override")
            ):
                continue  # unchanged
            _write_override(con, workspace, platform, name, canonical)
            changed += 1
        refresh(con, workspace)
    return changed


def _write_override(
    con: duckdb.DuckDBPyConnection, workspace: str, platform: str, name: str, canonical: str
) -> None:
    con.execute(
        "INSERT OR REPLACE INTO campaign_map VALUES (?, ?, ?, ?, 1.0, 'override', ?)",
        [workspace, platform, name, canonical, datetime.now(UTC)],
    )


def _check(platform: str, name: str, canonical: str, where: dict[str, Any] | None = None) -> None:
    where = where or {}
    if platform not in PLATFORMS:
        raise CampaignMapError(
            f"unknown platform '{platform}'"
            + (f" on line {where['line']} of {where['file']}" if where else ""),
            hint=f"use one of: {', '.join(PLATFORMS)}",
            where=where,
        )
    if not name.strip() or not canonical:
        raise CampaignMapError(
            "a campaign name and its canonical campaign are both needed"
            + (f" (line {where['line']} of {where['file']})" if where else ""),
            hint="fill in campaign_name and canonical_campaign",
            where=where,
        )


def _rows(con: duckdb.DuckDBPyConnection, workspace: str) -> list[dict[str, Any]]:
    cur = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM campaign_map WHERE workspace = ? "
        "ORDER BY canonical_campaign, platform, campaign_name",
        [workspace],
    )
    return [
        {"workspace": workspace} | dict(zip(COLUMNS, row, strict=True)) for row in cur.fetchall()
    ]
