"""The query engine: semantic layer -> plan -> SQL (sqlglot AST) -> DuckDB.

The public names below load on first use, so importing one part (the rollup rule,
``adlens.query.rollups``) does not import the engine, its cache and their dependencies.

>>> from adlens.query import run_query  # run_query(store, {"measures": ["spend"]})
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# where each public name lives
_HOMES = {
    "BUILTIN_MEASURES": "semantic",
    "DIMENSIONS": "semantic",
    "CustomMetric": "metrics",
    "MetricDefinitionError": "errors",
    "QueryError": "errors",
    "QueryPlan": "plan",
    "QueryResult": "engine",
    "Registry": "semantic",
    "Source": "compile",
    "choose_source": "compile",
    "compile_plan": "compile",
    "execute": "engine",
    "list_metrics": "metrics",
    "load_metrics_yaml": "metrics",
    "normalise": "request",
    "plan_query": "engine",
    "register_metric": "metrics",
    "remove_metric": "metrics",
    "render": "engine",
    "run_query": "engine",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"adlens.query.{home}"), name)
    globals()[name] = value
    return value
