"""Measures finished after aggregation: SQL returns the sums, Python the arithmetic on them.

A measure is arithmetic over aggregates: ``ctr`` is ``CAST(SUM(clicks) AS DOUBLE) /
NULLIF(SUM(impressions), 0)``. DuckDB's time for a small query on a rollup grows with the
number of expressions it binds and optimizes far more than with the rows it reads (27
derived columns of KPI tiles over one constant row took 6 ms, the five sums they need
under 1 ms), so the engine asks SQL only for each distinct aggregate once and evaluates
the arithmetic here, as Druid's post-aggregators do. Period comparisons (``_previous``,
``_change``) are derived the same way.

``formula`` turns a measure's expression into a ``Formula``: the aggregates it reads (SQL,
deduplicated across measures by ``Aggregates``) and a Python function of their values.
The function follows SQL's rules exactly: NULL in, NULL out; ``NULLIF``; ``COALESCE``;
``CAST(... AS DOUBLE)``; a division by zero is NULL (where DuckDB gives Infinity or NaN,
which results return as null anyway). Integers stay exact, doubles are the same IEEE
operations DuckDB performs, so the values are the ones the single SQL statement gives.
An expression with any other node is not split (``formula`` returns None) and the plan runs
as one statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

Value = int | float | None
Evaluate = Callable[[Sequence[Any]], Value]
AGGREGATES = (exp.Sum, exp.Count, exp.Min, exp.Max, exp.Avg)


class Aggregates:
    """The distinct aggregates a plan's measures read, in first-seen order (SQL columns)."""

    def __init__(self) -> None:
        self.expressions: list[exp.Expr] = []
        self._index: dict[str, int] = {}

    def add(self, aggregate: exp.Expr) -> int:
        """The position of ``aggregate`` among the columns (added if new)."""
        text = aggregate.sql(dialect="duckdb")
        if text not in self._index:
            self._index[text] = len(self.expressions)
            self.expressions.append(aggregate)
        return self._index[text]

    def empty(self) -> list[Value]:
        """The values of the aggregates over no rows: ``COUNT`` 0, every other NULL."""
        return [0 if isinstance(a, exp.Count) else None for a in self.expressions]


@dataclass(frozen=True)
class Formula:
    """A measure as a function of the aggregate columns; ``column``: the one aggregate it is,
    when it is nothing more (``spend`` is ``SUM(spend)``: SQL can order by that column)."""

    evaluate: Evaluate
    column: int | None = None


def formula(expression: exp.Expr, aggregates: Aggregates) -> Formula | None:
    """``expression`` split into aggregates (added to ``aggregates``) and arithmetic.

    >>> import sqlglot
    >>> found = Aggregates()
    >>> ctr = formula(sqlglot.parse_one(
    ...     "CAST(SUM(clicks) AS DOUBLE) / NULLIF(SUM(impressions), 0)"), found)
    >>> [a.sql() for a in found.expressions], ctr.evaluate([5, 200]), ctr.evaluate([5, 0])
    (['SUM(clicks)', 'SUM(impressions)'], 0.025, None)
    >>> formula(sqlglot.parse_one("SUM(clicks)"), found).column
    0
    >>> formula(sqlglot.parse_one("ROUND(SUM(spend))"), found) is None
    True
    """
    if isinstance(expression, AGGREGATES):
        index = aggregates.add(expression)
        return Formula(lambda values: values[index], index)
    evaluate = _compile(expression, aggregates)
    return None if evaluate is None else Formula(evaluate)


def change(current: Value, previous: Value) -> Value:
    """``(current - previous) / previous``, NULL when either is NULL or ``previous`` is 0
    (``compile.ratio`` of the difference, as the single statement computes it).

    >>> change(150, 100), change(1.0, 0), change(None, 3)
    (0.5, None, None)
    """
    if current is None or previous is None or previous == 0:
        return None
    return float(current - previous) / previous


def _compile(node: exp.Expr, aggregates: Aggregates) -> Evaluate | None:
    """A function of the aggregate values computing ``node``, or None (not supported)."""
    if isinstance(node, AGGREGATES):
        index = aggregates.add(node)
        return lambda values: values[index]
    if isinstance(node, exp.Paren):
        return _compile(node.this, aggregates)
    if isinstance(node, exp.Null):
        return lambda values: None
    if isinstance(node, exp.Literal) and not node.is_string:
        number = _number(node.this)
        return None if number is None else (lambda values: number)
    parts = [_compile(child, aggregates) for child in _operands(node)]
    if any(part is None for part in parts) or not parts:
        return None
    build = _OPERATIONS.get(type(node))
    if build is None or (isinstance(node, exp.Cast) and not _to_double(node)):
        return None
    return build([p for p in parts if p is not None])


def _operands(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Coalesce):
        return [node.this, *node.expressions]
    if isinstance(node, (exp.Neg, exp.Cast)):
        return [node.this]
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Nullif)):
        return [node.this, node.expression]
    return []


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def _to_double(cast: exp.Cast) -> bool:
    return cast.to.this in (exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT)


def _binary(operation: Callable[[Any, Any], Value]) -> Callable[[list[Evaluate]], Evaluate]:
    def build(parts: list[Evaluate]) -> Evaluate:
        left, right = parts

        def evaluate(values: Sequence[Any]) -> Value:
            a, b = left(values), right(values)
            return None if a is None or b is None else operation(a, b)

        return evaluate

    return build


def _divide(a: Any, b: Any) -> Value:
    return None if b == 0 else a / b


def _nullif(parts: list[Evaluate]) -> Evaluate:
    value, empty = parts

    def evaluate(values: Sequence[Any]) -> Value:
        a = value(values)
        return None if a is not None and a == empty(values) else a

    return evaluate


def _coalesce(parts: list[Evaluate]) -> Evaluate:
    def evaluate(values: Sequence[Any]) -> Value:
        for part in parts:
            a = part(values)
            if a is not None:
                return a
        return None

    return evaluate


def _unary(operation: Callable[[Any], Value]) -> Callable[[list[Evaluate]], Evaluate]:
    def build(parts: list[Evaluate]) -> Evaluate:
        (inner,) = parts

        def evaluate(values: Sequence[Any]) -> Value:
            a = inner(values)
            return None if a is None else operation(a)

        return evaluate

    return build


_OPERATIONS: dict[type[exp.Expr], Callable[[list[Evaluate]], Evaluate]] = {
    exp.Add: _binary(lambda a, b: a + b),
    exp.Sub: _binary(lambda a, b: a - b),
    exp.Mul: _binary(lambda a, b: a * b),
    exp.Div: _binary(_divide),
    exp.Nullif: _nullif,
    exp.Coalesce: _coalesce,
    exp.Neg: _unary(lambda a: -a),
    exp.Cast: _unary(float),
}


@dataclass(frozen=True)
class Split:
    """A plan as one SQL query of aggregates (``query``) and the measures computed from them.

    Result rows of ``query``: the group keys (``keys``, in order), then ``width``
    aggregate columns, then any columns only its ``ORDER BY`` reads. With ``compare``, the
    query has no group keys: its first column is the period (0: current, 1: comparison)
    and ``rows`` makes the one result row, paged by ``offset``/``limit``.
    """

    query: exp.Select
    keys: tuple[str, ...]
    measures: tuple[tuple[str, Formula], ...]
    empty: tuple[Value, ...]
    compare: bool = False
    offset: int = 0
    limit: int | None = None

    @property
    def width(self) -> int:
        return len(self.empty)

    def rows(self, rows: Sequence[Sequence[Any]]) -> tuple[list[str], list[list[Any]]]:
        """Result keys and rows (raw values: group keys as SQL gave them, measures computed)."""
        if self.compare:
            return self._compared(rows)
        first, width = len(self.keys), self.width
        names = [*self.keys, *(key for key, _ in self.measures)]
        out = []
        for row in rows:
            values = row[first : first + width]
            out.append([*row[:first], *(f.evaluate(values) for _, f in self.measures)])
        return names, out

    def _compared(self, rows: Sequence[Sequence[Any]]) -> tuple[list[str], list[list[Any]]]:
        periods = {row[0]: row[1 : 1 + self.width] for row in rows}
        current, previous = periods.get(0, self.empty), periods.get(1, self.empty)
        names: list[str] = []
        row: list[Any] = []
        for key, f in self.measures:
            now, before = f.evaluate(current), f.evaluate(previous)
            names += [key, f"{key}_previous", f"{key}_change"]
            row += [now, before, change(now, before)]
        end = None if self.limit is None else self.offset + self.limit
        return names, [row][self.offset : end]
