"""Errors of the query engine: a bad request or a bad custom metric (both HTTP 400)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adlens.errors import AdlensError


@dataclass
class QueryError(AdlensError):
    """A query the engine cannot answer as asked: unknown member, bad range, bad operator..."""

    status: int = 400
    code: str = "invalid_query"


@dataclass
class MetricDefinitionError(QueryError):
    """A custom metric whose name or expression is refused."""

    code: str = "invalid_metric"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A " Did you mean ...?" suffix naming the closest candidates, or "" when none is close.

    >>> did_you_mean("spnd", ["spend", "clicks"])
    " Did you mean 'spend'?"
    >>> did_you_mean("zzz", ["spend"])
    ''
    """
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


def check_keys(item: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    """Refuse a key of ``item`` that is not in ``allowed``, with a suggestion."""
    for key in item:
        if key not in allowed:
            hint = did_you_mean(str(key), allowed)
            raise QueryError(
                f"unknown key {key!r} in {where}.{hint} Allowed: {', '.join(allowed)}",
                where={"field": where},
            )
