"""Event streams: ad events (impressions, clicks, conversions...) at the instant they happen.

Exports describe periods (a day, an hour, a date range); an event stream describes instants.
Events go to their own table, ``events``, and are rolled up per minute
(``rollup_events_minute``) in the same transaction, so 1-, 5- and 15-minute series over the
last hours are answered from the rollup. Query them with the measures ``events`` (a count)
and ``event_value`` (the sum of ``value``), by the dimension ``event`` and the usual
platform/account/campaign/channel dimensions.

Each event is a mapping:

- ``ts`` (required): ISO 8601 (``2026-11-26T10:15:03Z``; without an offset it is UTC) or
  seconds since the epoch;
- ``event`` (required): what happened, e.g. ``impression``, ``click``, ``conversion``;
- ``platform`` (default ``generic``), ``account_id``, ``campaign_id``, ``campaign_name``,
  ``channel``: text;
- ``value``: a number (the revenue of a conversion, the cost of a click), optional;
- ``event_id``: optional; an event whose id is already stored in the workspace (or repeated
  in the batch) is skipped and counted as a duplicate, so at-least-once delivery never
  counts an event twice.

A batch loads entirely (its valid events) or not at all; invalid events are listed with
their position and the reason, never silently dropped.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from adlens.errors import UnreadableFileError
from adlens.store import Store
from adlens.store.db import bump_data_version, fetch_one
from adlens.store.rollups import extend_event_rollup

TEXT_FIELDS = ("platform", "account_id", "campaign_id", "campaign_name", "channel", "event_id")
FIELDS = ("ts", "event", "value", *TEXT_FIELDS)
_BATCH = "_adlens_event_batch"


@dataclass
class EventsReport:
    """What one batch did: loaded, skipped as duplicates, rejected (with reasons)."""

    batch_id: int | None
    received: int
    loaded: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (JSON-safe)."""
        return asdict(self)


def append_events(
    store: Store,
    events: Iterable[object],
    *,
    workspace: str = "default",
    source: str = "api",
) -> EventsReport:
    """Store a batch of events and extend the minute rollup, in one transaction.

    >>> import tempfile, os
    >>> from adlens.store import open_store
    >>> with open_store(os.path.join(tempfile.mkdtemp(), "e.duckdb")) as store:
    ...     report = append_events(store, [
    ...         {"ts": "2026-11-26T10:15:03Z", "event": "click", "value": 0.4, "event_id": "a"},
    ...         {"ts": "2026-11-26T10:15:09Z", "event": "click", "event_id": "a"},
    ...         {"ts": "yesterday", "event": "click"},
    ...     ])
    >>> report.loaded, report.duplicates, report.rejected
    (1, 1, [{'row': 2, 'reason': "ts: cannot read 'yesterday' as an ISO 8601 time"}])
    """
    columns: dict[str, list[Any]] = {name: [] for name in FIELDS}
    report = EventsReport(batch_id=None, received=0)
    seen: set[str] = set()
    for index, raw in enumerate(events):
        report.received += 1
        try:
            event = _event(raw)
        except ValueError as exc:
            report.rejected.append({"row": index, "reason": str(exc)})
            continue
        event_id = event["event_id"]
        if event_id is not None:
            if event_id in seen:
                report.duplicates += 1
                continue
            seen.add(event_id)
        for name in FIELDS:
            columns[name].append(event[name])
    if not columns["ts"]:
        return report
    batch = pa.table(
        {
            "ts": pa.array(columns["ts"], pa.timestamp("us")),
            "event": pa.array(columns["event"], pa.string()),
            "value": pa.array(columns["value"], pa.float64()),
            **{name: pa.array(columns[name], pa.string()) for name in TEXT_FIELDS},
        }
    )
    with store.transaction() as con:
        batch_id = int(fetch_one(con, "SELECT nextval('event_batch_seq')")[0])
        con.register(_BATCH, batch)
        try:
            loaded = fetch_one(
                con,
                f"""INSERT INTO events (workspace, ts, platform, account_id, campaign_id,
                        campaign_name, channel, event, value, event_id, batch_id, source)
                    SELECT ?, ts, platform, account_id, campaign_id, campaign_name, channel,
                           event, value, event_id, ?, ?
                    FROM {_BATCH} b
                    WHERE b.event_id IS NULL OR NOT EXISTS (
                        SELECT 1 FROM events e
                        WHERE e.workspace = ? AND e.event_id = b.event_id)""",
                [workspace, batch_id, source, workspace],
            )[0]
        finally:
            con.unregister(_BATCH)
        extend_event_rollup(con, batch_id)
        bump_data_version(con, workspace)
    report.batch_id = batch_id
    report.loaded = int(loaded)
    report.duplicates += len(columns["ts"]) - report.loaded
    return report


class Unreadable(str):
    """A line of an events file that is not an event at all (the text says why)."""


def read_events(path: Path) -> Iterator[object]:
    """The events of a file: JSON lines (``.jsonl``, ``.ndjson``), a JSON array, or CSV.

    A line that cannot be read yields an ``Unreadable`` (``append_events`` rejects it with
    its line number as ``row``, counted from 0).
    """
    suffix = path.suffix.lower()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if suffix == ".csv":
            for row in csv.DictReader(handle):
                yield {key: value for key, value in row.items() if value != ""}
        elif suffix == ".json":
            try:
                data = json.load(handle)
            except json.JSONDecodeError as exc:
                raise UnreadableFileError(
                    f"{path} is not JSON: {exc}",
                    hint="write one JSON array of events, or one event per line (.jsonl)",
                    where={"file": str(path), "line": exc.lineno, "column": exc.colno},
                ) from None
            if not isinstance(data, list):
                raise UnreadableFileError(
                    f"{path} holds a JSON {type(data).__name__}, not an array of events",
                    hint="write one JSON array of events, or one event per line (.jsonl)",
                    where={"file": str(path)},
                )
            yield from data
        else:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Unreadable(f"line {number} is not JSON: {exc.msg}")


def _event(raw: object) -> dict[str, Any]:
    """One event, checked and converted (``ValueError`` says which field and why)."""
    if isinstance(raw, Unreadable):
        raise ValueError(str(raw))
    if not isinstance(raw, Mapping):
        raise ValueError(f"an event is an object with ts and event, not {type(raw).__name__}")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(map(repr, unknown))}; known: {FIELDS}")
    event: dict[str, Any] = {"ts": _instant(raw.get("ts"))}
    kind = raw.get("event")
    if not isinstance(kind, str) or not kind.strip():
        raise ValueError("event: required, a non-empty text such as 'click'")
    event["event"] = kind.strip().lower()
    event["value"] = _number(raw.get("value"))
    for name in TEXT_FIELDS:
        value = raw.get(name)
        if value is not None and not isinstance(value, str | int):
            raise ValueError(f"{name}: a text, not {value!r}")
        text = str(value).strip() if value is not None else ""
        event[name] = text or None
    event["platform"] = (event["platform"] or "generic").lower()
    return event


def _instant(value: object) -> datetime:
    if value is None:
        raise ValueError("ts: required, an ISO 8601 time or seconds since the epoch")
    if isinstance(value, bool):
        raise ValueError(f"ts: cannot read {value!r} as a time")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"ts: cannot read {value!r} as a time")
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"ts: cannot read {value!r} as an ISO 8601 time") from None
    else:
        raise ValueError(f"ts: cannot read {value!r} as a time")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _number(value: object) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"value: a number, not {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"value: a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"value: a finite number, not {value!r}")
    return number
