"""Mapping files: load any CSV/TSV/XLSX whose layout no built-in adapter knows.

A mapping is a small YAML file::

    platform: generic          # stored as the row's platform
    target: ad_performance     # or: sessions
    columns:                   # export column -> unified field
      Datum: date
      Kampagne: campaign_name
      Kosten: spend
    date_format: D.M.YYYY      # or a strptime pattern such as %d.%m.%Y
    decimal: ","               # optional: decided from the values otherwise
    currency: EUR              # when no column says it
    timezone: Europe/Berlin    # optional
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from adlens.errors import MappingError
from adlens.ingest.platforms.base import Adapter, normalize_header
from adlens.schema import FACT_FIELDS, PLATFORMS, SESSION_FIELDS

_EXTRA_FIELDS = {"results", "result_indicator", "day_index"}
_HUMAN_DATE = {"YYYY": "%Y", "YY": "%y", "MM": "%m", "M": "%m", "DD": "%d", "D": "%d"}


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file: an adapter plus the per-file decisions it fixes."""

    adapter: Adapter
    date_format: str | None
    decimal: str | None
    currency: str | None
    timezone: str | None
    delimiter: str | None
    source: Path | None
    strict: bool = True  # every named column must exist (mapping files); not for --platform


def for_platform(platform: str) -> Mapping:
    """Skip detection: read a file with a built-in adapter (``--platform meta``)."""
    from adlens.ingest.platforms import registry

    return Mapping(registry.get(platform), None, None, None, None, None, None, strict=False)


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file; errors name the key and suggest a fix."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} not found") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
        raise MappingError(
            f"{path}: a mapping needs a 'columns' section (export column -> unified field)",
            hint="see `adlens ingest --help` for an example",
        )
    target = str(data.get("target", "ad_performance"))
    if target not in ("ad_performance", "sessions"):
        raise MappingError(f"{path}: target must be ad_performance or sessions, not {target!r}")
    known = set(FACT_FIELDS if target == "ad_performance" else SESSION_FIELDS) | _EXTRA_FIELDS
    fields: dict[str, tuple[str, ...]] = {}
    for column, name in data["columns"].items():
        _check_field(path, str(column), str(name), known)
        fields[str(name)] = (*fields.get(str(name), ()), str(column))
    platform = str(data.get("platform", "generic"))
    if platform not in PLATFORMS:
        close = difflib.get_close_matches(platform, PLATFORMS, n=1)
        raise MappingError(
            f"{path}: platform {platform!r} is not one of {', '.join(PLATFORMS)}",
            hint=f"did you mean {close[0]!r}?" if close else "use 'generic'",
        )
    decimal = data.get("decimal")
    if decimal not in (None, ".", ","):
        raise MappingError(f"{path}: decimal must be '.' or ',', not {decimal!r}")
    adapter = Adapter(
        platform=platform,
        title=f"mapping {path.name}",
        fields=fields,
        target=target,  # type: ignore[arg-type]
    )
    return Mapping(
        adapter=adapter,
        date_format=_date_format(data.get("date_format")),
        decimal=decimal,
        currency=_currency(path, data.get("currency")),
        timezone=data.get("timezone"),
        delimiter=data.get("delimiter"),
        source=path,
    )


def _check_field(path: Path, column: str, name: str, known: set[str]) -> None:
    if name not in known:
        close = difflib.get_close_matches(name, sorted(known), n=1)
        raise MappingError(
            f"{path}: column {column!r} maps to unknown field {name!r}",
            hint=f"did you mean {close[0]!r}?" if close else f"fields: {', '.join(sorted(known))}",
        )


def _date_format(value: Any) -> str | None:
    """Accept ``%d/%m/%Y`` or the way people write it, ``D/M/YYYY``.

    >>> _date_format("D.M.YYYY")
    '%d.%m.%Y'
    """
    if value is None:
        return None
    text = str(value)
    if "%" in text:
        return text
    return re.sub("YYYY|YY|MM|M|DD|D", lambda m: _HUMAN_DATE[m.group(0)], text)


def _currency(path: Path, value: Any) -> str | None:
    if value is None:
        return None
    code = str(value).upper()
    if not re.fullmatch("[A-Z]{3}", code):
        raise MappingError(f"{path}: currency must be an ISO code such as EUR, not {value!r}")
    return code


def missing_columns(mapping: Mapping, headers: list[str]) -> list[str]:
    """Mapping columns the file does not have (compared as headers are)."""
    if not mapping.strict:
        return []
    present = {normalize_header(h) for h in headers}
    wanted = [alias for aliases in mapping.adapter.fields.values() for alias in aliases]
    return [c for c in wanted if normalize_header(c) not in present]
