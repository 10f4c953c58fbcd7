"""One exception hierarchy for everything adlens reports to a person.

Each class carries the HTTP status and a stable machine-readable ``code``, so
the CLI and (later) the API render the same error the same way. Messages say
what went wrong, where, and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class AdlensError(Exception):
    """Base class: ``message`` for people, ``code`` for machines."""

    message: str
    hint: str | None = None
    where: dict[str, Any] = field(default_factory=dict)

    status: int = 500
    code: str = "internal_error"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        text = self.message
        if self.hint:
            text += f"\n  what to do: {self.hint}"
        return text

    def to_problem(self) -> dict[str, Any]:
        """Render as an RFC 9457 problem document."""
        problem: dict[str, Any] = {
            "type": f"https://adlens.dev/errors/{self.code}",
            "title": self.code.replace("_", " "),
            "status": self.status,
            "detail": self.message,
            "code": self.code,
        }
        if self.hint:
            problem["hint"] = self.hint
        if self.where:
            problem["where"] = self.where
        return problem


@dataclass
class UnreadableFileError(AdlensError):
    """The file cannot be read as tabular data at all (binary, empty, header only...)."""

    status: int = 422
    code: str = "unreadable_file"


@dataclass
class UnknownLayoutError(AdlensError):
    """The file is tabular, but no platform adapter or mapping explains its columns."""

    status: int = 422
    code: str = "unknown_layout"


@dataclass
class MappingError(AdlensError):
    """A mapping file is invalid or does not fit the file it is applied to."""

    status: int = 422
    code: str = "invalid_mapping"


@dataclass
class StoreLockedError(AdlensError):
    """Another process holds the DuckDB file open for writing."""

    status: int = 503
    code: str = "store_locked"


@dataclass
class NotFoundError(AdlensError):
    """A requested object (ingest, ...) does not exist."""

    status: int = 404
    code: str = "not_found"


@dataclass
class CampaignMapError(AdlensError):
    """A campaign map override or CSV file cannot be applied."""

    status: int = 422
    code: str = "invalid_campaign_map"
