"""The query engine: semantic layer -> plan -> SQL (sqlglot AST) -> DuckDB.

>>> from adlens.query import run_query  # run_query(store, {"measures": ["spend"]})
"""

from adlens.query.compile import Source, choose_source, compile_plan
from adlens.query.engine import QueryResult, execute, plan_query, render, run_query
from adlens.query.errors import MetricDefinitionError, QueryError
from adlens.query.metrics import (
    CustomMetric,
    list_metrics,
    load_metrics_yaml,
    register_metric,
    remove_metric,
)
from adlens.query.plan import QueryPlan
from adlens.query.request import normalise
from adlens.query.semantic import BUILTIN_MEASURES, DIMENSIONS, Registry

__all__ = [
    "BUILTIN_MEASURES",
    "DIMENSIONS",
    "CustomMetric",
    "MetricDefinitionError",
    "QueryError",
    "QueryPlan",
    "QueryResult",
    "Registry",
    "Source",
    "choose_source",
    "compile_plan",
    "execute",
    "list_metrics",
    "load_metrics_yaml",
    "normalise",
    "plan_query",
    "register_metric",
    "remove_metric",
    "render",
    "run_query",
]
