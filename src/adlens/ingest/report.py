"""What an ingest tells its caller: counts, detection, quality, and why rows were rejected."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class IngestReport:
    """The outcome of loading one file."""

    file: str
    status: str  # "loaded" or "duplicate"
    platform: str
    target_table: str
    ingest_id: int | None = None
    duplicate_of: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_blank: int = 0
    rows_replaced: int = 0
    rows_changed: int = 0
    days_restated: int = 0
    period_start: str | None = None
    period_end: str | None = None
    first_rejects: list[dict[str, Any]] = field(default_factory=list)
    totals_check: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    quality: dict[str, Any] = field(default_factory=dict)
    detection: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
