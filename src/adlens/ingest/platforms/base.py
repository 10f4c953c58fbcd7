"""Platform adapters: which export columns mean which unified field.

An adapter is data, not code: the aliases of each unified field (in every
locale we know), the headers and preamble text that identify the platform, and
the platform's defaults (date order, target table). The pipeline stages read
adapters; they never special-case a platform by name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from adlens.errors import UnknownLayoutError

Target = Literal["ad_performance", "sessions"]

ISO_CURRENCIES = frozenset(
    """AED ARS AUD BDT BGN BHD BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD HUF IDR ILS INR
    ISK JOD JPY KES KRW KWD KZT LKR MAD MXN MYR NGN NOK NZD OMR PEN PHP PKR PLN QAR RON RSD RUB
    SAR SEK SGD THB TRY TWD UAH USD UYU VND ZAR""".split()  # noqa: SIM905
)
_CURRENCY_SUFFIX = re.compile(r"\s*[\(\[]\s*([A-Za-z]{3})\s*[\)\]]\s*$")
_SPACES = re.compile(r"\s+")


def split_currency(header: str) -> tuple[str, str | None]:
    """Split a currency code off a header, as in Meta's ``Amount spent (USD)``.

    >>> split_currency("Amount spent (USD)")
    ('Amount spent', 'USD')
    >>> split_currency("Start Date (in UTC)")
    ('Start Date (in UTC)', None)
    """
    match = _CURRENCY_SUFFIX.search(header)
    if match and match.group(1).upper() in ISO_CURRENCIES:
        return header[: match.start()], match.group(1).upper()
    return header, None


def normalize_header(header: str) -> str:
    """The form headers are compared in: no BOM, case, currency suffix or extra spaces.

    >>> normalize_header("\\ufeffAmount  spent (EUR) ")
    'amount spent'
    >>> normalize_header("Start Date (in UTC)")
    'start date (in utc)'
    """
    text = header.replace("\ufeff", "").replace("\u00a0", " ").strip().strip('"').strip()
    text, _ = split_currency(text)
    return _SPACES.sub(" ", text).lower()


@dataclass(frozen=True)
class Adapter:
    """How one platform's exports map to the unified schema."""

    platform: str
    title: str
    fields: Mapping[str, tuple[str, ...]]  # unified field -> header aliases, best first
    signature: frozenset[str] = frozenset()  # headers that (almost) only this platform has
    preamble_markers: tuple[str, ...] = ()  # regexes matched against title/preamble lines
    target: Target = "ad_performance"
    day_first: bool = False  # default for ambiguous D/M vs M/D dates
    defaults: Mapping[str, str] = field(default_factory=dict)  # constant field values
    notes: str = ""

    def aliases(self) -> dict[str, str]:
        """Normalized header -> unified field, for every alias of every field."""
        return {normalize_header(alias): name for name, al in self.fields.items() for alias in al}

    def map_headers(self, headers: Iterable[str]) -> dict[str, int]:
        """Unified field -> index of the column feeding it (best alias wins)."""
        index = {normalize_header(h): i for i, h in reversed(list(enumerate(headers)))}
        mapping: dict[str, int] = {}
        for name, aliases in self.fields.items():
            for alias in aliases:
                position = index.get(normalize_header(alias))
                if position is not None:
                    mapping[name] = position
                    break
        return mapping

    def score(self, headers: list[str], preamble: list[str]) -> float:
        """How well this adapter explains a file's headers and title lines."""
        normalized = {normalize_header(h) for h in headers if h.strip()}
        if not normalized:
            return 0.0
        known = self.aliases()
        mapped = len(normalized & known.keys())
        signature = len(normalized & {normalize_header(s) for s in self.signature})
        text = "\n".join(preamble)
        markers = sum(1 for m in self.preamble_markers if re.search(m, text, re.I | re.M))
        return mapped + 2.0 * signature + 3.0 * markers


class Registry:
    """The adapters adlens knows; built-ins register here like any other."""

    def __init__(self) -> None:
        self._adapters: dict[str, Adapter] = {}

    def register(self, adapter: Adapter) -> Adapter:
        self._adapters[adapter.platform] = adapter
        return adapter

    def get(self, platform: str) -> Adapter:
        try:
            return self._adapters[platform]
        except KeyError:
            close = difflib.get_close_matches(platform, self._adapters, n=1)
            hint = f"did you mean {close[0]!r}?" if close else None
            raise UnknownLayoutError(
                f"unknown platform {platform!r}; known: {', '.join(sorted(self._adapters))}",
                hint=hint,
            ) from None

    def all(self) -> list[Adapter]:
        return list(self._adapters.values())

    def known_headers(self) -> frozenset[str]:
        """Every header any adapter recognises, normalized."""
        return frozenset(h for a in self._adapters.values() for h in a.aliases())


registry = Registry()
