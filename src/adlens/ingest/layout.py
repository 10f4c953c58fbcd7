"""Finding the table inside an export: delimiter, title lines, header, footer rows.

Exports wrap their table in text: Google Ads puts a report name and a date
range above the header and ``Total: ...`` rows below it; Microsoft quotes nine
preamble lines and ends with a copyright line; GA4 comments its preamble with
``#``. This stage reads only the first and last lines of the file.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from adlens.errors import UnreadableFileError
from adlens.ingest.platforms.base import normalize_header

DELIMITERS = (",", ";", "\t", "|")
_SEP_LINE = re.compile(r"^\s*\"?sep=(.)\"?\s*$", re.I)
_FOOTER_CELL = re.compile(r"^(total\b.*|totals?|grand total|gesamt\b.*|gesamtsumme|©.*)$", re.I)
_RIGHTS = re.compile(r"all rights reserved|©|copyright", re.I)


@dataclass
class Layout:
    """Where the table is in a file, in physical line numbers (1-based)."""

    delimiter: str
    header_line: int
    headers: list[str]
    column_count: int
    preamble: list[str] = field(default_factory=list)
    footer_lines: list[int] = field(default_factory=list)
    footer_rows: list[list[str]] = field(default_factory=list)
    sep_line: bool = False
    summary_line: int | None = None  # a totals row right under the header (Meta's summary row)
    summary_row: list[str] = field(default_factory=list)

    @property
    def first_data_line(self) -> int:
        return self.header_line + 1 + (self.summary_line is not None)


def split_line(line: str, delimiter: str) -> list[str]:
    """Cells of one line as the CSV dialect reads them."""
    return next(csv.reader([line], delimiter=delimiter), [])


def find_layout(
    head: list[str], tail: list[str], tail_first_line: int, known_headers: frozenset[str]
) -> Layout:
    """Locate delimiter, header and footer of a text export from its first and last lines."""
    if not any(line.strip() for line in head):
        raise UnreadableFileError(
            "the file holds only blank lines",
            hint="export the report again; the download was empty",
        )
    sep = _SEP_LINE.match(head[0]) if head else None
    candidates = (sep.group(1),) if sep else DELIMITERS
    best: tuple[float, int, str] | None = None
    for index, line in enumerate(head[:80]):
        if not line.strip() or line.lstrip().startswith("#") or (sep and index == 0):
            continue
        for delimiter in candidates:
            cells = split_line(line, delimiter)
            if len(cells) < 2:
                continue
            hits = sum(1 for c in cells if normalize_header(c) in known_headers)
            numeric = sum(1 for c in cells if _looks_numeric(c))
            score = hits - numeric + 0.01 * len(cells)
            if hits >= 2 and (best is None or score > best[0]):
                best = (score, index, delimiter)
    if best is None:
        best = _header_by_shape(head, candidates, skip_first=bool(sep))
    _, index, delimiter = best
    headers = split_line(head[index], delimiter)
    widths = Counter(
        len(split_line(line, delimiter)) for line in head[index + 1 : index + 200] if line.strip()
    )
    # The usual data width: some exports end every row with a delimiter. A row wider
    # than that is reported by the reader, never silently cut.
    usual = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0] if widths else 0
    column_count = max(len(headers), usual)
    footer_lines, footer_rows = _footer(tail, tail_first_line, delimiter, index + 1)
    preamble = [line for i, line in enumerate(head[:index]) if not (sep and i == 0)]
    return Layout(
        delimiter=delimiter,
        header_line=index + 1,
        headers=headers,
        column_count=column_count,
        preamble=preamble,
        footer_lines=footer_lines,
        footer_rows=footer_rows,
        sep_line=bool(sep),
    )


def _header_by_shape(
    head: list[str], candidates: tuple[str, ...], skip_first: bool
) -> tuple[float, int, str]:
    """Without known headers: the first text line whose width the next lines share."""
    for index, line in enumerate(head[:80]):
        if not line.strip() or line.lstrip().startswith("#") or (skip_first and index == 0):
            continue
        for delimiter in candidates:
            cells = split_line(line, delimiter)
            if len(cells) < 2 or any(_looks_numeric(c) for c in cells):
                continue
            following = [split_line(x, delimiter) for x in head[index + 1 : index + 6] if x.strip()]
            if following and all(len(f) == len(cells) for f in following):
                return (0.0, index, delimiter)
    raise UnreadableFileError(
        "no table found: no line looks like a header followed by rows of the same width",
        hint="check that this is a CSV/TSV export; for a layout adlens does not know, "
        "load it with --mapping",
    )


def _footer(
    tail: list[str], tail_first_line: int, delimiter: str, header_line: int
) -> tuple[list[int], list[list[str]]]:
    """Trailing total/copyright lines, from the bottom up, with their line numbers."""
    lines: list[int] = []
    rows: list[list[str]] = []
    for offset in range(len(tail) - 1, -1, -1):
        number = tail_first_line + offset
        if number <= header_line:
            break
        text = tail[offset]
        if not text.strip():
            continue
        cells = split_line(text, delimiter)
        if not is_footer_row(cells):
            break
        lines.append(number)
        rows.append(cells)
    return sorted(lines), rows[::-1]


def is_footer_row(cells: list[str]) -> bool:
    """A ``Total: ...``, ``Grand total`` or copyright row: never data.

    >>> is_footer_row(["Total: Account", "", "USD", "1,234"])
    True
    >>> is_footer_row(["", "", "Grand total", "5965"])
    True
    >>> is_footer_row(["2025-01-01", "Total Recall", "12"])
    False
    """
    first = [c.strip() for c in cells[:3]]
    if any(_FOOTER_CELL.match(c) for c in first if c) and not any(_is_date(c) for c in first):
        return True
    non_empty = [c for c in cells if c.strip()]
    return len(non_empty) == 1 and bool(_RIGHTS.search(non_empty[0]))


def _looks_numeric(cell: str) -> bool:
    text = cell.strip().replace(",", "").replace(".", "").replace("%", "").replace(" ", "")
    return text.lstrip("-$€£").isdigit()


def _is_date(cell: str) -> bool:
    return bool(re.match(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$|^\d{8}$", cell))


# --- the period a report covers, from its title lines -------------------------------------

_MONTH_DAY_YEAR = r"[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}"
_PERIOD_PATTERNS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(rf"({_MONTH_DAY_YEAR})\s*[-–]\s*({_MONTH_DAY_YEAR})"), ("%B %d, %Y", "%b %d, %Y")),
    (re.compile(r"(\d{4}-\d{2}-\d{2})\s*(?:[-–]|to|bis|au)\s*(\d{4}-\d{2}-\d{2})"), ("%Y-%m-%d",)),
    (
        re.compile(
            r"Report Start:\s*(\d{1,2}/\d{1,2}/\d{4}).*?Report End:\s*(\d{1,2}/\d{1,2}/\d{4})"
        ),
        ("%m/%d/%Y",),
    ),
    (
        re.compile(r"Report Time:\s*(\d{1,2}/\d{1,2}/\d{4}),\s*(\d{1,2}/\d{1,2}/\d{4})"),
        ("%m/%d/%Y",),
    ),
)
_GA4_BOUND = re.compile(r"^#\s*(Start date|End date|Startdatum|Enddatum):\s*(\d{8})", re.I)
_ALL_TIME = re.compile(r"^\W*(all time|gesamter zeitraum|toute la période|lifetime)\W*$", re.I)


@dataclass(frozen=True)
class Period:
    """The days a report covers, as its title lines state them."""

    start: date | None
    end: date | None
    text: str

    @property
    def unbounded(self) -> bool:
        return self.start is None or self.end is None


def find_period(preamble: list[str]) -> Period | None:
    """The reporting period stated in title lines, if any.

    >>> p = find_period(["Campaign report", '"January 1, 2025 - January 31, 2025"'])
    >>> p.start, p.end
    (datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))
    >>> find_period(["Campaign report", "All time"]).unbounded
    True
    """
    bounds: dict[str, date] = {}
    for line in preamble:
        match = _GA4_BOUND.match(line.strip())
        if match:
            key = "start" if match.group(1).lower().startswith("start") else "end"
            bounds[key] = datetime.strptime(match.group(2), "%Y%m%d").date()
    if "start" in bounds and "end" in bounds:
        return Period(bounds["start"], bounds["end"], f"{bounds['start']} - {bounds['end']}")
    for line in preamble:
        text = line.strip().strip('"')
        for pattern, formats in _PERIOD_PATTERNS:
            match = pattern.search(text)
            if match:
                start, end = (_parse_any(match.group(i), formats) for i in (1, 2))
                if start and end:
                    return Period(start, end, match.group(0))
        if _ALL_TIME.match(text):
            return Period(None, None, text)
    return None


def _parse_any(text: str, formats: tuple[str, ...]) -> date | None:
    for fmt in formats:
        try:
            return datetime.strptime(text.replace(".", ""), fmt).date()
        except ValueError:
            continue
    return None
