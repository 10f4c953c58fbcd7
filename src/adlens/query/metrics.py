"""Custom metrics: register, list, remove, load from YAML; stored in the ``metrics`` table.

A custom metric is a name, an expression (checked by ``expression``: a safe formula over
known measures, never raw SQL), an optional format (number, integer, currency, percent)
and description. Metrics belong to a workspace and are usable in queries like built-ins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from adlens.errors import NotFoundError
from adlens.query.errors import MetricDefinitionError, did_you_mean
from adlens.query.expression import compile_definition, referenced_names
from adlens.query.semantic import (
    BUILTIN_MEASURES,
    DIMENSIONS,
    FORMATS,
    TIME_DIMENSION,
    CustomDefinition,
    Registry,
)
from adlens.store import Store

NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
RESERVED_SUFFIXES = ("_previous", "_change", "_share")


@dataclass(frozen=True)
class CustomMetric:
    """A stored custom metric, with the table it reads and its SQL as DuckDB runs it."""

    name: str
    expression: str
    format: str | None
    description: str | None
    table: str
    sql: str


def registry_for(store: Store, workspace: str = "default") -> Registry:
    """The registry of a workspace: built-ins plus its custom metrics."""
    return Registry(custom=load_custom(store, workspace), compile_custom=compile_definition)


def register_metric(
    store: Store,
    name: str,
    expression: str,
    format: str | None = None,
    description: str | None = None,
    *,
    workspace: str = "default",
    replace: bool = False,
) -> CustomMetric:
    """Check and store a custom metric; it is then usable in queries like a built-in.

    Raises ``MetricDefinitionError`` for a refused name or expression, and when the name
    exists already (unless ``replace``).
    """
    return _store_all(
        store,
        [CustomDefinition(name, expression, format, description)],
        workspace=workspace,
        replace=replace,
    )[0]


def list_metrics(store: Store, workspace: str = "default") -> list[CustomMetric]:
    """The custom metrics of a workspace, by name."""
    registry = registry_for(store, workspace)
    return [_describe(registry, d) for d in registry.custom.values()]


def remove_metric(store: Store, name: str, *, workspace: str = "default") -> None:
    """Delete a custom metric; refused while another custom metric uses it."""
    custom = load_custom(store, workspace)
    if name not in custom:
        hint = did_you_mean(name, custom)
        raise NotFoundError(f"no custom metric {name!r} in workspace {workspace!r}.{hint}")
    users = [
        other.name
        for other in custom.values()
        if other.name != name and name in referenced_names(other.expression)
    ]
    if users:
        raise MetricDefinitionError(
            f"custom metric {name!r} is used by {', '.join(sorted(users))}",
            hint="remove or change those metrics first",
        )
    store.con.execute("DELETE FROM metrics WHERE workspace = ? AND name = ?", [workspace, name])


def load_metrics_yaml(
    store: Store, path: Path | str, *, workspace: str = "default"
) -> list[CustomMetric]:
    """Register (or replace) every metric of a YAML file, all or nothing.

    The file holds ``metrics:`` as a list of ``{name, expression, format, description}``
    or as a mapping ``name: {expression, format, description}`` or ``name: expression``
    (a bare list works too).
    """
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MetricDefinitionError(f"{path}: cannot read metrics: {exc}") from exc
    items = document.get("metrics") if isinstance(document, dict) else document
    if isinstance(items, dict):
        items = [
            {"name": key, "expression": value}
            if isinstance(value, str | int | float)
            else {"name": key, **value}
            if isinstance(value, dict)
            else {"name": key}
            for key, value in items.items()
        ]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MetricDefinitionError(
            f"{path}: expected `metrics:` with a list of {{name, expression, format, "
            "description}}"
        )
    definitions = []
    for index, item in enumerate(items):
        unknown = set(item) - {"name", "expression", "format", "description"}
        if unknown or not isinstance(item.get("name"), str) or not item.get("expression"):
            raise MetricDefinitionError(
                f"{path}: metric #{index + 1} needs a name and an expression"
                + (f" (unknown keys: {', '.join(sorted(unknown))})" if unknown else ""),
                where={"file": str(path), "item": index + 1},
            )
        definitions.append(
            CustomDefinition(
                item["name"],
                str(item["expression"]),
                item.get("format"),
                item.get("description"),
            )
        )
    return _store_all(store, definitions, workspace=workspace, replace=True)


# --- storage -----------------------------------------------------------------------------


def load_custom(store: Store, workspace: str = "default") -> dict[str, CustomDefinition]:
    """The stored definitions of a workspace's custom metrics, by name."""
    rows = store.con.execute(
        "SELECT name, expression, format, description FROM metrics "
        "WHERE workspace = ? ORDER BY name",
        [workspace],
    ).fetchall()
    return {row[0]: CustomDefinition(*row) for row in rows}


def _store_all(
    store: Store, definitions: list[CustomDefinition], *, workspace: str, replace: bool
) -> list[CustomMetric]:
    existing = load_custom(store, workspace)
    custom = dict(existing)
    names = [d.name for d in definitions]
    for definition in definitions:
        _check_name(definition.name)
        if definition.format is not None and definition.format not in FORMATS:
            raise MetricDefinitionError(
                f"metric {definition.name!r}: unknown format {definition.format!r}; "
                f"use one of {', '.join(FORMATS)}"
            )
        if definition.name in existing and not replace:
            raise MetricDefinitionError(
                f"custom metric {definition.name!r} exists already",
                hint="remove it first, or replace it",
            )
        if len(set(names)) != len(names):
            raise MetricDefinitionError(f"metric {definition.name!r} is defined twice")
        custom[definition.name] = definition
    registry = Registry(custom=custom, compile_custom=compile_definition)
    described = [_describe(registry, d) for d in definitions]  # checks every expression
    with store.transaction() as con:
        for d in definitions:
            con.execute("DELETE FROM metrics WHERE workspace = ? AND name = ?", [workspace, d.name])
            con.execute(
                "INSERT INTO metrics (workspace, name, expression, format, description) "
                "VALUES (?, ?, ?, ?, ?)",
                [workspace, d.name, d.expression, d.format, d.description],
            )
    return described


def _describe(registry: Registry, definition: CustomDefinition) -> CustomMetric:
    measure = registry.measure(definition.name)
    return CustomMetric(
        definition.name,
        definition.expression,
        definition.format,
        definition.description,
        measure.table,
        measure.expression.sql(dialect="duckdb"),
    )


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise MetricDefinitionError(
            f"metric name {name!r} is not allowed: use lower-case letters, digits and _, "
            "starting with a letter (at most 63)"
        )
    if name in BUILTIN_MEASURES or name in DIMENSIONS or name == TIME_DIMENSION:
        raise MetricDefinitionError(f"{name!r} is a built-in member; choose another name")
    if name.endswith(RESERVED_SUFFIXES):
        raise MetricDefinitionError(
            f"metric name {name!r} ends with a suffix results use "
            f"({', '.join(RESERVED_SUFFIXES)}); choose another name"
        )
