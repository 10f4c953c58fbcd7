"""Custom metric expressions: parsed with sqlglot, checked against a whitelist, rebuilt.

An expression is parsed with sqlglot and rebuilt node by node from a whitelist, so what
runs is only ever what the whitelist builds:

- outside an aggregate: names of measures (built-in or custom), ``+ - * /``, numeric
  literals, parentheses, ``NULLIF`` and the aggregates below;
- aggregates ``SUM COUNT MIN MAX AVG`` over columns of one fact table (``spend``,
  ``clicks``, ... or ``sessions``, ``revenue``, ...), with ``CASE WHEN`` over dimensions
  (``=``, ``<>``, ``IN``, ``IS [NOT] NULL``, ``AND``/``OR``/``NOT``, string literals):
  ``SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END)``.

Everything else (subqueries, other functions, ``;``, comments, unknown names) is refused
with a message naming the offending token. Every division becomes
``CAST(a AS DOUBLE) / NULLIF(b, 0)``: NULL, never an error or Infinity, on a zero. The
table a metric reads follows from its names: a column only ``sessions`` has (``sessions``,
``revenue``...) or a session measure makes it a session metric; otherwise it reads
``ad_performance`` (where ``conversions`` is the ads' column).
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.errors import ParseError, TokenError

from adlens.query.errors import MetricDefinitionError, did_you_mean
from adlens.query.semantic import (
    NUMERIC_COLUMNS,
    TABLES,
    CustomDefinition,
    Measure,
    Registry,
    Table,
    column,
    dimension_columns,
    ratio,
)

MAX_EXPRESSION = 2000
AGGREGATES: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.Sum: exp.Sum,
    exp.Count: exp.Count,
    exp.Min: exp.Min,
    exp.Max: exp.Max,
    exp.Avg: exp.Avg,
}
ARITHMETIC: tuple[type[exp.Binary], ...] = (exp.Add, exp.Sub, exp.Mul, exp.Div)
COMPARISONS: tuple[type[exp.Binary], ...] = (exp.EQ, exp.NEQ)
ALLOWED = (
    "measure names, + - * /, numbers, parentheses, NULLIF, SUM/COUNT/MIN/MAX/AVG over columns, "
    "CASE WHEN over dimensions with = <> IN and string literals"
)


def compile_definition(definition: CustomDefinition, registry: Registry) -> Measure:
    """Check a custom metric's expression and build its aggregate AST.

    >>> m = compile_definition(CustomDefinition("meta_spend",
    ...     "SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END)"), Registry())
    >>> m.table, m.expression.sql("duckdb")
    ('ad_performance', "SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END)")
    """
    tree = _parse(definition.expression)
    names = _Scan(registry, definition.expression)
    names.visit(tree, in_aggregate=False)
    if not names.aggregates:
        raise MetricDefinitionError(
            f"metric expression {definition.expression!r} aggregates nothing: use a measure "
            "(spend) or an aggregate (SUM(spend))"
        )
    table = _table_of(definition.expression, names)
    builder = _Builder(registry, table)
    return Measure(
        definition.name,
        table,
        builder.build(tree, in_aggregate=False),
        "custom",
        definition.format,
        definition.description or "",
    )


def _parse(text: str) -> exp.Expr:
    if not isinstance(text, str) or not text.strip():
        raise MetricDefinitionError("a metric expression is required")
    if len(text) > MAX_EXPRESSION:
        raise MetricDefinitionError(f"metric expression is longer than {MAX_EXPRESSION} chars")
    try:
        tokens = sqlglot.tokenize(text, read="duckdb")
    except TokenError as exc:
        raise MetricDefinitionError(f"metric expression {text!r} cannot be read: {exc}") from exc
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            raise _refused(text, ";")
        if token.comments:
            raise _refused(text, "a comment (-- or /* */)")
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except ParseError as exc:
        raise _unparsable(text, exc.errors[0] if exc.errors else {}) from exc
    return tree


def _unparsable(text: str, error: dict[str, Any]) -> MetricDefinitionError:
    """Where parsing stopped: the token, its position, and how to write a filter.

    >>> error = {"description": "Unexpected token", "col": 11, "highlight": "WHERE"}
    >>> print(_unparsable("spend WHERE x", error).message)
    metric expression 'spend WHERE x' cannot be parsed at 'WHERE' (character 7): Unexpected token
    """
    token, end = error.get("highlight"), error.get("col")
    where = f" at {token!r} (character {end - len(token) + 1})" if token and end else ""
    hint = (
        "a filtered metric puts the condition inside the aggregate: "
        "SUM(CASE WHEN platform = 'meta' THEN spend ELSE 0 END)"
        if token and token.upper() in ("WHERE", "FILTER")
        else f"allowed: {ALLOWED}"
    )
    return MetricDefinitionError(
        f"metric expression {text!r} cannot be parsed{where}: "
        f"{error.get('description', 'not an expression')}",
        hint=hint,
    )


def _refused(text: str, token: str) -> MetricDefinitionError:
    return MetricDefinitionError(
        f"{token!s} is not allowed in a metric expression (in {text!r})",
        hint=f"allowed: {ALLOWED}",
        where={"token": token},
    )


def _token(node: exp.Expr) -> str:
    """How to name an offending node to a person: a function name, a keyword, or its SQL."""
    if isinstance(node, exp.Anonymous):
        return str(node.name)
    if isinstance(node, exp.Func):
        return node.sql_name()
    if isinstance(node, exp.Subquery | exp.Select | exp.Query):
        return "SELECT"
    if isinstance(node, exp.Star):
        return "*"
    if isinstance(node, exp.Filter):
        return "FILTER"
    if isinstance(node, exp.Window):
        return "OVER"
    text = node.sql(dialect="duckdb")
    return text if len(text) <= 40 else text[:37] + "..."


def referenced_names(text: str) -> set[str]:
    """The names an expression mentions (to find the metrics that use another one)."""
    try:
        return {c.name for c in sqlglot.parse_one(text, read="duckdb").find_all(exp.Column)}
    except (ParseError, TokenError):
        return set()


def _column_name(node: exp.Column, text: str) -> str:
    if node.table and node.table not in TABLES:
        raise _refused(text, node.sql(dialect="duckdb"))
    return str(node.name)


class _Scan:
    """First pass: refuse any node outside the whitelist; note the names and aggregates."""

    def __init__(self, registry: Registry, text: str) -> None:
        self.registry = registry
        self.text = text
        self.measures: list[Measure] = []
        self.columns: set[str] = set()
        self.aggregates = 0

    def visit(self, node: exp.Expr, *, in_aggregate: bool) -> None:
        kind = type(node)
        if kind in AGGREGATES:
            if in_aggregate:
                raise _refused(self.text, f"{_token(node)} inside another aggregate")
            self.aggregates += 1
            argument = node.this
            if isinstance(argument, exp.Star) and kind is exp.Count:
                return
            if argument is None or node.args.get("expressions"):
                raise _refused(self.text, _token(node) + " with these arguments")
            self.visit(argument, in_aggregate=True)
        elif isinstance(node, exp.Column):
            name = _column_name(node, self.text)
            if in_aggregate:
                self.columns.add(name)
            elif self.registry.is_measure(name):
                self.measures.append(self.registry.measure(name))
                self.aggregates += 1
            else:
                hint = did_you_mean(name, self.registry.measure_names())
                raise MetricDefinitionError(
                    f"{name!r} is not a known measure (in {self.text!r}).{hint}",
                    hint="columns go inside an aggregate, e.g. SUM(spend_original)",
                    where={"token": name},
                )
        elif isinstance(node, exp.Literal):
            if node.is_string and not in_aggregate:
                raise _refused(self.text, node.sql(dialect="duckdb"))
        elif isinstance(node, (*ARITHMETIC, exp.Nullif)):
            self.visit(node.this, in_aggregate=in_aggregate)
            self.visit(node.expression, in_aggregate=in_aggregate)
        elif isinstance(node, exp.Paren | exp.Neg):
            self.visit(node.this, in_aggregate=in_aggregate)
        elif in_aggregate and isinstance(node, exp.Case) and node.this is None:
            for branch in node.args.get("ifs") or []:
                self.condition(branch.this)
                self.visit(branch.args["true"], in_aggregate=True)
            if node.args.get("default") is not None:
                self.visit(node.args["default"], in_aggregate=True)
        elif in_aggregate and isinstance(node, exp.Null):
            return
        else:
            raise _refused(self.text, _token(node))

    def condition(self, node: exp.Expr) -> None:
        if isinstance(node, exp.And | exp.Or):
            self.condition(node.this)
            self.condition(node.expression)
        elif isinstance(node, exp.Not | exp.Paren):
            self.condition(node.this)
        elif isinstance(node, COMPARISONS):
            self.operand(node.this)
            self.operand(node.expression)
        elif isinstance(node, exp.In) and not node.args.get("query"):
            self.operand(node.this)
            for value in node.expressions:
                self.operand(value)
        elif isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            self.operand(node.this)
        else:
            raise _refused(self.text, _token(node))

    def operand(self, node: exp.Expr) -> None:
        if isinstance(node, exp.Column):
            self.columns.add(_column_name(node, self.text))
        elif not isinstance(node, exp.Literal):
            raise _refused(self.text, _token(node))


def _table_of(text: str, names: _Scan) -> Table:
    tables = {m.table for m in names.measures}
    for name in names.columns:
        homes = [t for t in TABLES if name in NUMERIC_COLUMNS[t] or name in dimension_columns(t)]
        if not homes:
            known = [c for t in TABLES for c in (*NUMERIC_COLUMNS[t], *dimension_columns(t))]
            hint = did_you_mean(name, known)
            raise MetricDefinitionError(
                f"{name!r} is not a column a metric can use (in {text!r}).{hint}",
                where={"token": name},
            )
        if len(homes) == 1:
            tables.add(homes[0])
    if len(tables) > 1:
        raise MetricDefinitionError(
            f"metric expression {text!r} mixes tables ({', '.join(sorted(tables))}); "
            "a metric reads one fact table"
        )
    table: Table = tables.pop() if tables else "ad_performance"
    for name in names.columns:
        if name not in NUMERIC_COLUMNS[table] and name not in dimension_columns(table):
            raise MetricDefinitionError(
                f"{name!r} is not a column of {table} (in {text!r})", where={"token": name}
            )
    return table


class _Builder:
    """Second pass: a fresh AST from whitelisted parts only (checked by ``_Scan``)."""

    def __init__(self, registry: Registry, table: Table) -> None:
        self.registry = registry
        self.dimensions = dimension_columns(table)

    def build(self, node: exp.Expr, *, in_aggregate: bool) -> exp.Expr:
        kind = type(node)
        if kind in AGGREGATES:
            argument = node.this
            if isinstance(argument, exp.Star):
                return exp.Count(this=exp.Star())
            return AGGREGATES[kind](this=self.build(argument, in_aggregate=True))
        if isinstance(node, exp.Column):
            if in_aggregate:
                return column(self.dimensions.get(node.name, node.name))
            return exp.Paren(this=self.registry.measure(node.name).expression.copy())
        if isinstance(node, exp.Literal):
            if node.is_string:
                return exp.Literal.string(node.this)
            return exp.Literal.number(node.this)
        if isinstance(node, exp.Div):
            return ratio(
                self.build(node.this, in_aggregate=in_aggregate),
                self.build(node.expression, in_aggregate=in_aggregate),
            )
        if isinstance(node, (*ARITHMETIC, exp.Nullif)):
            return type(node)(
                this=self.build(node.this, in_aggregate=in_aggregate),
                expression=self.build(node.expression, in_aggregate=in_aggregate),
            )
        if isinstance(node, exp.Paren | exp.Neg):
            return type(node)(this=self.build(node.this, in_aggregate=in_aggregate))
        if isinstance(node, exp.Case):
            ifs = [
                exp.If(
                    this=self.condition(b.this),
                    true=self.build(b.args["true"], in_aggregate=True),
                )
                for b in node.args.get("ifs") or []
            ]
            default = node.args.get("default")
            return exp.Case(
                ifs=ifs,
                default=None if default is None else self.build(default, in_aggregate=True),
            )
        if isinstance(node, exp.Null):
            return exp.Null()
        raise AssertionError(f"unchecked node {node!r}")  # _Scan refuses everything else

    def condition(self, node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.And | exp.Or):
            return type(node)(
                this=self.condition(node.this), expression=self.condition(node.expression)
            )
        if isinstance(node, COMPARISONS):
            return type(node)(
                this=self.operand(node.this), expression=self.operand(node.expression)
            )
        if isinstance(node, exp.Not | exp.Paren):
            return type(node)(this=self.condition(node.this))
        if isinstance(node, exp.In):
            return exp.In(
                this=self.operand(node.this),
                expressions=[self.operand(v) for v in node.expressions],
            )
        if isinstance(node, exp.Is):
            return exp.Is(this=self.operand(node.this), expression=exp.Null())
        raise AssertionError(f"unchecked condition {node!r}")

    def operand(self, node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column):
            name = str(node.name)
            return column(self.dimensions.get(name, name))
        literal: Any = node
        return (
            exp.Literal.string(literal.this)
            if literal.is_string
            else exp.Literal.number(literal.this)
        )
