"""Cube-style filters -> plan filters: row filters on dimensions, group filters on measures.

``{"member", "operator", "values"}`` and nested ``{"and": [...]}`` / ``{"or": [...]}``.
Dimension operators: equals, notEquals (NULLs included), contains, notContains (NULLs
included), startsWith, endsWith (all three case-insensitive, ``%`` and ``_`` are plain
characters), gt, gte, lt, lte (text order), set, notSet. Measure operators (applied to the
groups, like SQL ``HAVING``): equals, notEquals, gt, gte, lt, lte, set, notSet; a measure
filter and a dimension filter combine only with ``and`` at the top level. ``inDateRange``
on ``ts`` narrows the query's time range (top level only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

from adlens.query.errors import QueryError, check_keys, did_you_mean
from adlens.query.plan import (
    DIMENSION_OPERATORS,
    MEASURE_OPERATORS,
    Condition,
    Filter,
    Group,
    Operator,
    PlannedMeasure,
)
from adlens.query.semantic import TIME_DIMENSION, Registry, Table, strip_prefix

Kind = Literal["dimension", "measure"]
MEMBER_KEYS = ("member", "dimension", "operator", "values")


@dataclass
class Filters:
    """The filters of one request, split by what they apply to."""

    where: list[Filter] = field(default_factory=list)
    having: list[Filter] = field(default_factory=list)
    date_ranges: list[tuple[object, str]] = field(default_factory=list)  # (value, where)


def parse_filters(value: object, registry: Registry, measures: Sequence[PlannedMeasure]) -> Filters:
    """Read a request's ``filters`` list (measures: those of the query, by result key)."""
    parsed = Filters()
    if value is None:
        return parsed
    if not isinstance(value, list):
        raise QueryError("filters is a list", where={"field": "filters"})
    reader = _Reader(registry, measures)
    for i, item in enumerate(value):
        where = f"filters[{i}]"
        if isinstance(item, Mapping) and strip_prefix(str(_member(item))) == TIME_DIMENSION:
            parsed.date_ranges.append((_date_range(item, where), where))
            continue
        node, kind = reader.read(item, where)
        (parsed.having if kind == "measure" else parsed.where).append(node)
    return parsed


def bind_columns(node: Filter, table: Table, registry: Registry) -> Filter:
    """The filter with each dimension replaced by its column in ``table``."""
    if isinstance(node, Group):
        return Group(node.op, tuple(bind_columns(item, table, registry) for item in node.items))
    if node.measure is not None:
        if node.measure.table != table:
            raise QueryError(
                f"cannot filter {table} groups by {node.measure.name!r} ({node.measure.table})",
                where={"field": "filters"},
            )
        return node
    assert node.column is not None
    dimension = registry.dimension(node.column)
    if table not in dimension.columns:
        raise QueryError(
            f"cannot filter {table} rows by {node.column!r}", where={"field": "filters"}
        )
    return replace(node, column=dimension.columns[table])


def conjunction(items: list[Filter]) -> Filter | None:
    """``and`` of the items (None when there are none)."""
    if not items:
        return None
    return items[0] if len(items) == 1 else Group("and", tuple(items))


class _Reader:
    def __init__(self, registry: Registry, measures: Sequence[PlannedMeasure]) -> None:
        self.registry = registry
        self.measures = {m.key: m for m in measures}

    def read(self, item: object, where: str) -> tuple[Filter, Kind]:
        if not isinstance(item, Mapping):
            raise QueryError("a filter is an object", where={"field": where})
        if "and" in item:
            return self.group(item, "and", where)
        if "or" in item:
            return self.group(item, "or", where)
        check_keys(item, MEMBER_KEYS, where)
        member = _member(item)
        if not isinstance(member, str):
            raise QueryError("a filter needs a member", where={"field": where})
        if strip_prefix(member) == TIME_DIMENSION:
            raise QueryError(
                "filters on 'ts' (inDateRange) go at the top level of filters",
                where={"field": where},
            )
        values = item.get("values", [])
        values = values if isinstance(values, list) else [values]
        planned = self.measures.get(strip_prefix(member))
        if planned is None and self.registry.is_measure(strip_prefix(member)):
            planned = PlannedMeasure(member, self.registry.measure(member, where=where))
        if planned is not None:
            op = _operator(item.get("operator"), MEASURE_OPERATORS, where)
            numbers = _numbers(op, values, where)
            measure, platforms = planned.measure, planned.platforms
            return Condition(op, numbers, measure=measure, platforms=platforms), "measure"
        dimension = self.registry.dimension(member, where=where)
        op = _operator(item.get("operator"), DIMENSION_OPERATORS, where)
        return Condition(op, _texts(op, values, where), column=dimension.name), "dimension"

    def group(
        self, item: Mapping[str, Any], op: Literal["and", "or"], where: str
    ) -> tuple[Filter, Kind]:
        check_keys(item, (op,), where)
        children = item[op]
        if not isinstance(children, list) or not children:
            raise QueryError(f"{op!r} takes a non-empty list", where={"field": where})
        parts = [self.read(child, f"{where}.{op}[{j}]") for j, child in enumerate(children)]
        kinds = {kind for _, kind in parts}
        if len(kinds) > 1:
            raise QueryError(
                f"{op!r} mixes measure and dimension filters; a measure filter applies to "
                "groups, a dimension filter to rows, so they combine only with and at the "
                "top level",
                where={"field": where},
            )
        return Group(op, tuple(node for node, _ in parts)), kinds.pop()


def _date_range(item: Mapping[str, Any], where: str) -> object:
    check_keys(item, MEMBER_KEYS, where)
    if item.get("operator") != "inDateRange":
        raise QueryError(
            f"operator {item.get('operator')!r} is not available on 'ts'; use inDateRange",
            where={"field": where},
        )
    values = item.get("values")
    return values[0] if isinstance(values, list) and len(values) == 1 else values


def _member(item: Mapping[str, Any]) -> object:
    return item.get("member", item.get("dimension"))


def _operator(value: object, allowed: Sequence[Operator], where: str) -> Operator:
    if value in allowed:
        return cast("Operator", value)
    hint = did_you_mean(str(value), allowed)
    raise QueryError(
        f"operator {value!r} is not available here.{hint} Use one of {', '.join(allowed)}",
        where={"field": where},
    )


def _texts(op: Operator, values: list[Any], where: str) -> tuple[str, ...]:
    if op in ("set", "notSet"):
        return ()
    if not values or not all(isinstance(v, str | int | float) for v in values):
        raise QueryError(f"{op} needs a list of values", where={"field": where})
    if op in ("gt", "gte", "lt", "lte") and len(values) != 1:
        raise QueryError(f"{op} takes one value", where={"field": where})
    return tuple(str(v) for v in values)


def _numbers(op: Operator, values: list[Any], where: str) -> tuple[float, ...]:
    if op in ("set", "notSet"):
        return ()
    try:
        numbers = tuple(float(v) for v in values if not isinstance(v, bool))
    except (TypeError, ValueError):
        raise QueryError(
            f"a measure filter compares with numbers, not {values!r}", where={"field": where}
        ) from None
    if len(numbers) != len(values) or not numbers or not all(map(math.isfinite, numbers)):
        raise QueryError(f"{op} needs numbers as values", where={"field": where})
    if op not in ("equals", "notEquals") and len(numbers) != 1:
        raise QueryError(f"{op} takes one value", where={"field": where})
    return numbers
