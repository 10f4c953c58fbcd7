"""The per-file decisions every later stage follows, made once by ``detect``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from adlens.ingest.layout import Layout, Period
from adlens.ingest.platforms.base import Adapter
from adlens.ingest.values import DateFormat, Decimal


@dataclass
class Plan:
    """What a file is and how to read it: the output of detection, the input of cleaning."""

    path: Path
    adapter: Adapter
    headers: list[str]
    mapping: dict[str, int]  # unified field -> column index
    decimal: Decimal
    date_format: DateFormat | None
    period: Period | None
    currency: str | None  # from a header suffix or the mapping; a column wins per row
    timezone: str | None
    confidence: float
    runner_up: tuple[str, float] | None = None
    layout: Layout | None = None  # text files
    sheet: str | None = None  # workbooks
    reader: Literal["duckdb", "rows"] = "duckdb"
    expected_rows: int | None = None  # a row count the export states (Microsoft's "Rows: N")
    notes: list[str] = field(default_factory=list)

    @property
    def platform(self) -> str:
        return self.adapter.platform

    @property
    def target(self) -> str:
        return self.adapter.target

    def column(self, name: str) -> str | None:
        """The raw column (``c3``) mapped to a unified field, if any."""
        index = self.mapping.get(name)
        return None if index is None else f"c{index}"

    def header(self, name: str) -> str:
        index = self.mapping.get(name)
        return self.headers[index].strip() if index is not None else name

    def describe(self) -> dict[str, Any]:
        """What was detected, as ``adlens inspect`` shows it."""
        layout = self.layout
        return {
            "file": str(self.path),
            "platform": self.platform,
            "platform_title": self.adapter.title,
            "confidence": round(self.confidence, 2),
            "runner_up": list(self.runner_up) if self.runner_up else None,
            "target_table": self.target,
            "delimiter": layout.delimiter if layout else None,
            "sep_line": layout.sep_line if layout else False,
            "header_line": layout.header_line if layout else None,
            "preamble_lines": layout.preamble if layout else [],
            "footer_lines": layout.footer_lines if layout else [],
            "summary_line": layout.summary_line if layout else None,
            "sheet": self.sheet,
            "columns": {
                self.headers[i].strip(): name
                for name, i in sorted(self.mapping.items(), key=lambda kv: kv[1])
            },
            "unmapped_columns": [
                h.strip()
                for i, h in enumerate(self.headers)
                if i not in self.mapping.values() and h.strip()
            ],
            "decimal_mark": self.decimal,
            "date_format": self.date_format.display if self.date_format else None,
            "date_format_ambiguous": self.date_format.ambiguous if self.date_format else False,
            "period": {
                "start": str(self.period.start) if self.period and self.period.start else None,
                "end": str(self.period.end) if self.period and self.period.end else None,
                "text": self.period.text,
            }
            if self.period
            else None,
            "currency": self.currency,
            "timezone": self.timezone,
            "expected_rows": self.expected_rows,
            "notes": self.notes,
        }
