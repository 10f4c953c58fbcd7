"""Rows sent as JSON (``POST /data/upload``): checked one by one, then loaded as a file.

Each row is an object keyed by the platform's export headers (``"Amount spent"``) or
the unified field names (``"spend"``). Rows that are not objects, hold nested values or
name no known field are rejected here with a reason; the rest are written to a CSV in
the platform's own layout and go through ``ingest_file``, so cleaning, rejects, quality
scoring and lineage are exactly those of an uploaded export.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adlens.errors import AdlensError, UnreadableFileError
from adlens.ingest.mapping import for_platform
from adlens.ingest.pipeline import ingest_file
from adlens.ingest.platforms import registry
from adlens.ingest.platforms.base import Adapter, normalize_header
from adlens.query.errors import QueryError, did_you_mean
from adlens.query.spec import DATA_TYPES
from adlens.settings import Settings
from adlens.store import Store

HEADER_LINES = 1  # the CSV written has one header line; data row i is on line i + 2


@dataclass
class RowsOutcome:
    """What became of each row of a JSON upload."""

    data_type: str
    platform: str
    ingest_id: int | None = None
    loaded: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    ignored_fields: list[str] = field(default_factory=list)
    report: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_type": self.data_type,
            "platform": self.platform,
            "ingest_id": self.ingest_id,
            "loaded": self.loaded,
            "rejected": self.rejected,
            "ignored_fields": self.ignored_fields,
            "report": self.report,
        }


def platform_of(data_type: str) -> str:
    """The platform a spec ``data_type`` names (``meta_ads`` -> ``meta``).

    >>> platform_of("meta_ads"), platform_of("ga4")
    ('meta', 'ga4')
    """
    known = sorted(k for k, v in DATA_TYPES.items() if v is not None and k != "all")
    platform = DATA_TYPES.get(data_type)
    if platform is None or data_type == "all":
        hint = did_you_mean(data_type, known)
        raise QueryError(
            f"unknown data_type {data_type!r}.{hint} Use one of " + ", ".join(known),
            where={"field": "data_type"},
        )
    return platform


def headers_for(adapter: Adapter) -> dict[str, str]:
    """Normalized name (unified field or export header) -> the header written to the CSV."""
    names = {
        normalize_header(alias): aliases[0]
        for aliases in adapter.fields.values()
        for alias in aliases
    }
    names.update({normalize_header(name): aliases[0] for name, aliases in adapter.fields.items()})
    return names


def ingest_rows(
    store: Store,
    data_type: str,
    rows: list[Any],
    *,
    workspace: str,
    settings: Settings | None = None,
) -> RowsOutcome:
    """Check ``rows`` one by one and load the good ones through the normal pipeline."""
    platform = platform_of(data_type)
    adapter = registry.get(platform)
    known = headers_for(adapter)
    outcome = RowsOutcome(data_type, platform)
    ignored: set[str] = set()
    good: list[tuple[int, dict[str, str]]] = []
    for index, row in enumerate(rows):
        reason = _check(row)
        if reason is None:
            mapped = {
                known[normalize_header(k)]: _text(v)
                for k, v in row.items()
                if normalize_header(k) in known
            }
            ignored.update(k for k in row if normalize_header(k) not in known)
            if not mapped:
                fields = ", ".join(str(k) for k in list(row)[:5])
                reason = f"none of its fields ({fields}) is a {adapter.title} field"
            else:
                good.append((index, mapped))
        if reason is not None:
            outcome.rejected.append({"row": index, "reason": reason})
    outcome.ignored_fields = sorted(ignored)
    if not good:
        return outcome
    with tempfile.TemporaryDirectory(prefix="adlens-rows-") as tmp:
        path = Path(tmp) / f"{data_type}_upload.csv"
        _write(path, good)
        try:
            report = ingest_file(
                store,
                path,
                mapping=for_platform(platform),
                workspace=workspace,
                settings=settings,
            )
        except UnreadableFileError as exc:
            if "could be loaded" not in exc.message:
                raise
            outcome.rejected += _reasons_from(exc, good)
            outcome.rejected.sort(key=lambda r: r["row"])
            return outcome
    outcome.report = report.to_dict()
    outcome.ingest_id = report.ingest_id
    outcome.loaded = report.rows_loaded
    if report.ingest_id is not None:
        line_rows = {line + HEADER_LINES + 1: index for line, (index, _) in enumerate(good)}
        for reject in store.query(
            "SELECT source_row, reason FROM rejects WHERE ingest_id = ? ORDER BY source_row",
            [report.ingest_id],
        ):
            outcome.rejected.append(
                {"row": line_rows.get(reject["source_row"]), "reason": reject["reason"]}
            )
    outcome.rejected.sort(key=lambda r: (r["row"] is None, r["row"] or 0))
    return outcome


def _check(row: Any) -> str | None:
    if not isinstance(row, dict):
        return f"a row must be an object of field: value, not {type(row).__name__}"
    if not row:
        return "the row is empty"
    for key, value in row.items():
        if isinstance(value, dict | list):
            return f"field {key!r} holds a {type(value).__name__}; use text, a number or null"
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write(path: Path, good: list[tuple[int, dict[str, str]]]) -> None:
    headers: list[str] = []
    for _, row in good:
        headers += [h for h in row if h not in headers]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for _, row in good:
            writer.writerow([row.get(h, "") for h in headers])


def _reasons_from(exc: AdlensError, good: list[tuple[int, dict[str, str]]]) -> list[dict[str, Any]]:
    """Every remaining row, rejected with the pipeline's message (nothing was loaded)."""
    return [{"row": index, "reason": exc.message.split(": ", 1)[-1]} for index, _ in good]
