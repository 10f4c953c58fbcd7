"""Detection: what a file is (platform, layout, formats), decided before anything is written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from adlens.errors import AdlensError, MappingError, UnknownLayoutError, UnreadableFileError
from adlens.ingest.clean import MEASURES
from adlens.ingest.layout import Layout, find_layout, find_period, is_footer_row, split_line
from adlens.ingest.mapping import Mapping, missing_columns
from adlens.ingest.plan import Plan
from adlens.ingest.platforms import registry
from adlens.ingest.platforms.base import Adapter, split_currency
from adlens.ingest.source import TextFile
from adlens.ingest.values import DateFormat, infer_date_format, infer_decimal
from adlens.schema import DATE_FIELDS

MIN_SCORE = 4.0
ROWS_READER_MAX_BYTES = 64 << 20
_ROWS = re.compile(r"^\"?(?:Rows|Zeilen|Lignes):\s*([\d,.]+)\"?$", re.I)
# Microsoft Advertising states its aggregation; with it, a "TimePeriod" column holds each
# row's week or month (its first day), not a day.
_AGGREGATION = re.compile(
    r"^\"?(?:Report Aggregation|Berichtsaggregation|Agrégation du rapport):\s*"
    r"(Weekly|Monthly|Yearly|Wöchentlich|Monatlich|Jährlich|Hebdomadaire|Mensuel|Annuel)",
    re.I,
)
_SEGMENTS = {
    "weekly": "week",
    "wöchentlich": "week",
    "hebdomadaire": "week",
    "monthly": "month",
    "monatlich": "month",
    "mensuel": "month",
}
_TIMEZONE = re.compile(r"(?:Time ?Zone|Zeitzone|Fuseau horaire):\s*(.+?)\"?$", re.I)


@dataclass
class Rows:
    """A table read in Python (workbooks, stacked GA4 tables): (line, cells) pairs."""

    rows: list[tuple[int, list[str]]]
    width: int
    footers: list[list[str]] = field(default_factory=list)


def detect(source: TextFile, mapping: Mapping | None = None) -> tuple[Plan, Rows | None]:
    """Decide platform, layout and formats of ``source``; read nothing into the store."""
    try:
        return _detect(source, mapping)
    except AdlensError as exc:
        name = source.location
        if not exc.message.startswith(name):
            exc.message = f"{name}: {exc.message}"
        exc.where.setdefault("file", name)
        raise


def _detect(source: TextFile, mapping: Mapping | None) -> tuple[Plan, Rows | None]:
    layout = _layout(source.head, source.tail, source.tail_first_line, mapping)
    plan = _plan(Path(source.location), layout, source.head, mapping)
    plan.sheet = source.sheet
    _find_summary_row(plan, layout, source)
    if _stacked(source.head, layout):
        if source.size > ROWS_READER_MAX_BYTES:
            raise UnreadableFileError(
                f"{source.location} holds several stacked tables and is too large to split",
                hint="export one table per file",
            )
        text = source.utf8_path.read_text(encoding="utf-8-sig", errors="replace")
        lines = text.splitlines()
        rows = _rows_from_lines(lines, layout, stop_at_section=True)
        layout.footer_rows, layout.footer_lines = rows.footers, []
        plan.reader = "rows"
        skipped = sum(1 for line in lines[layout.header_line :] if line.startswith("#"))
        plan.notes.append(
            f"the file stacks several tables; the first (line {layout.header_line}) was read "
            f"and {skipped} comment lines of the others were skipped"
        )
        return plan, rows
    return plan, None


def _layout(head: list[str], tail: list[str], tail_first: int, mapping: Mapping | None) -> Layout:
    known = frozenset(mapping.adapter.aliases()) if mapping else registry.known_headers()
    layout = find_layout(head, tail, tail_first, known)
    if mapping and mapping.delimiter and mapping.delimiter != layout.delimiter:
        layout.delimiter = mapping.delimiter
    return layout


def _plan(path: Path, layout: Layout, head: list[str], mapping: Mapping | None) -> Plan:
    headers = layout.headers
    adapter, confidence, runner_up = _choose_adapter(headers, layout.preamble, mapping)
    mapped = adapter.map_headers(headers)
    _apply_aggregation(mapped, layout.preamble)
    if mapping:
        missing = missing_columns(mapping, headers)
        if missing:
            raise MappingError(
                "the mapping names columns the file does not have: "
                f"{', '.join(map(repr, missing))}",
                hint=f"the file's columns are: {', '.join(h.strip() for h in headers)}",
                where={"file": str(path), "line": layout.header_line},
            )
    measures = [m for m in (*MEASURES[adapter.target], "results") if m in mapped]
    if not measures:
        raise UnreadableFileError(
            f"found a {adapter.title} table (header on line {layout.header_line}) "
            f"but no performance metrics: columns are {', '.join(h.strip() for h in headers)}",
            hint="this looks like a settings or structure export; export a performance "
            "report (with Cost/Impressions/Clicks columns) instead",
            where={"file": str(path), "line": layout.header_line},
        )
    sample = [
        split_line(line, layout.delimiter)
        for number, line in enumerate(head[layout.header_line :], start=layout.header_line + 1)
        if line.strip() and number not in layout.footer_lines and not line.startswith("#")
    ]
    sample = [row for row in sample if not is_footer_row(row)]
    plan = Plan(
        path=path,
        adapter=adapter,
        headers=headers,
        mapping=mapped,
        decimal=(mapping.decimal if mapping and mapping.decimal else None)  # type: ignore[arg-type]
        or infer_decimal(_values(sample, mapped, measures), layout.delimiter),
        date_format=_date_format(sample, mapped, adapter, mapping),
        period=find_period(layout.preamble),
        currency=(mapping.currency if mapping else None) or _header_currency(headers, mapped),
        timezone=(mapping.timezone if mapping else None) or _timezone(layout, headers),
        confidence=confidence,
        runner_up=runner_up,
        layout=layout,
        expected_rows=_stated_rows(layout.preamble),
    )
    segment = next((k for k in ("week", "month") if k in mapped), None)
    if segment and not any(k in mapped for k in ("date", "period_start", "day_index")):
        plan.notes.append(
            f"the report is broken down by {segment}: each row loads as a range row for its "
            f"{segment} (cut to the report's period), counted in totals whose range covers it "
            f"and in series by {segment} and coarser, never spread over days; re-export with "
            "a Day segment for daily series"
        )
    elif not any(k in mapped for k in ("date", "period_start", "day_index")):
        if plan.period is None or plan.period.unbounded:
            what = plan.period.text if plan.period else "no dates at all"
            plan.notes.append(
                f"the report has no per-day breakdown and its period is unknown ({what}): "
                "rows load as range rows without dates; re-export with a Day segment"
            )
        else:
            plan.notes.append(
                f"the report has no per-day breakdown: rows load as range rows for "
                f"{plan.period.start} to {plan.period.end}; re-export with a Day segment for "
                "time series"
            )
    if plan.date_format and plan.date_format.note:
        plan.notes.append(plan.date_format.note)
    return plan


def _choose_adapter(
    headers: list[str], preamble: list[str], mapping: Mapping | None
) -> tuple[Adapter, float, tuple[str, float] | None]:
    if mapping:
        return mapping.adapter, 1.0, None
    scored = sorted(
        ((a.score(headers, preamble), a) for a in registry.all()),
        key=lambda pair: pair[0],
        reverse=True,
    )
    best_score, best = scored[0]
    if best_score < MIN_SCORE:
        raise UnknownLayoutError(
            "no platform recognises these columns: "
            + ", ".join(h.strip() for h in headers if h.strip()),
            hint="load the file with --mapping map.yaml (see `adlens ingest --help`)",
        )
    second_score, second = scored[1]
    confidence = best_score / (best_score + second_score) if second_score else 1.0
    return best, confidence, (second.platform, round(second_score, 1))


def _values(rows: list[list[str]], mapped: dict[str, int], fields: list[str]) -> list[str]:
    columns = [mapped[f] for f in fields if f in mapped]
    return [row[i] for row in rows for i in columns if i < len(row) and row[i].strip()]


def _date_format(
    sample: list[list[str]], mapped: dict[str, int], adapter: Adapter, mapping: Mapping | None
) -> DateFormat | None:
    if mapping and mapping.date_format:
        return DateFormat([mapping.date_format])
    values = _values(sample, mapped, list(DATE_FIELDS))
    return infer_date_format(values, day_first=adapter.day_first)


def _header_currency(headers: list[str], mapped: dict[str, int]) -> str | None:
    """A currency named in a header, the spend column's first (``Amount spent (USD)``)."""
    order = [mapped["spend"]] if "spend" in mapped else []
    for index in [*order, *range(len(headers))]:
        _, code = split_currency(headers[index].strip())
        if code:
            return code
    return None


def _timezone(layout: Layout, headers: list[str]) -> str | None:
    for line in layout.preamble:
        match = _TIMEZONE.search(line.strip().strip('"'))
        if match:
            return match.group(1).strip().strip('"')
    if any("(in utc)" in h.lower() for h in headers):
        return "UTC"
    return None


def _apply_aggregation(mapped: dict[str, int], preamble: list[str]) -> None:
    """A date column of a weekly or monthly report holds weeks or months: map it so.

    A yearly report's dates are years: its rows take the report's period instead.
    """
    if "date" not in mapped or "week" in mapped or "month" in mapped:
        return
    for line in preamble:
        match = _AGGREGATION.match(line.strip())
        if match:
            segment = _SEGMENTS.get(match.group(1).lower())
            column = mapped.pop("date")
            if segment:
                mapped[segment] = column
            return


def _stated_rows(preamble: list[str]) -> int | None:
    for line in preamble:
        match = _ROWS.match(line.strip())
        if match:
            return int(re.sub(r"\D", "", match.group(1)))
    return None


# Fields that say whose or which period's numbers a row holds. A row right under the
# header with none of them and some numbers is a summary of the rows below.
IDENTITY = frozenset(
    {
        "date",
        "hour",
        "week",
        "month",
        "day_index",
        "account_id",
        "account_name",
        "campaign_id",
        "campaign_name",
        "campaign",
        "ad_group_id",
        "ad_group_name",
        "ad_id",
        "ad_name",
        "keyword",
        "search_term",
        "url",
        "landing_page",
        "source",
        "medium",
        "source_medium",
        "channel_group",
    }
)


def _find_summary_row(plan: Plan, layout: Layout, source: TextFile) -> None:
    """Meta's "Include summary row" puts the totals right under the header, with every
    name and date cell blank (other exports label it ``Total ...``): checked against the
    load like a ``Total`` row, never data.

    Only with rows below it: a file whose one row names nothing loads that row.
    """
    line = layout.header_line + 1
    if len(source.head) <= line - 1 or line in layout.footer_lines:
        return
    cells = split_line(source.head[line - 1], layout.delimiter)
    identity = [i for name, i in plan.mapping.items() if name in IDENTITY]
    measures = [i for name, i in plan.mapping.items() if name in MEASURES[plan.target]]

    def filled(index: int) -> bool:
        return index < len(cells) and cells[index].strip() not in ("", "-", "--")

    names_nothing = bool(identity) and not any(filled(i) for i in identity)
    if not (names_nothing or is_footer_row(cells)) or not any(filled(i) for i in measures):
        return
    below = [
        number
        for number, text in enumerate(source.head[line:], start=line + 1)
        if text.strip() and number not in layout.footer_lines
    ]
    if below or source.line_count > len(source.head):
        layout.summary_line, layout.summary_row = line, cells


def _stacked(head: list[str], layout: Layout) -> bool:
    """GA4 puts several tables in one file, each after its own ``#`` comment block."""
    return any(line.startswith("#") for line in head[layout.header_line :])


def _rows_from_lines(lines: list[str], layout: Layout, *, stop_at_section: bool = False) -> Rows:
    rows: list[tuple[int, list[str]]] = []
    footers: list[list[str]] = []
    footer = set(layout.footer_lines)
    for number, line in enumerate(lines[layout.header_line :], start=layout.header_line + 1):
        if stop_at_section and line.startswith("#"):
            break
        if number in footer or number == layout.summary_line:
            continue
        cells = split_line(line, layout.delimiter)
        if is_footer_row(cells):
            footers.append(cells)
            continue
        rows.append((number, cells))
    while rows and not any(c.strip() for c in rows[-1][1]):
        rows.pop()
    return Rows(rows, layout.column_count, footers)
