"""The original spec's metric names and data types, mapped onto the semantic layer.

- ``name`` is a measure: its own name (``spend``, ``ctr``, a custom metric), or with a
  ``total_`` / ``avg_`` / ``average_`` prefix (``total_spend``, ``avg_ctr``), or an alias
  from ``SPEC_ALIASES`` (``cost``, ``revenue``, ``conversion_rate``, ``cost_per_click``...).
  With ``data_type: ga4`` the names read GA4 sessions (``GA4_NAMES``): ``total_conversions``
  -> ``sessions_conversions``, ``total_revenue`` -> ``revenue``, ``total_sessions``.
- ``data_type`` names the platform (``DATA_TYPES``: ``meta_ads`` -> ``meta``,
  ``google_ads``, ``tiktok_ads`` -> ``tiktok``, ``linkedin_ads`` -> ``linkedin``,
  ``microsoft_ads`` -> ``microsoft``, ``ga4``...); absent or ``all`` = every platform.
- ``aggregation_type``: ``sum`` (or nothing) for sums. Ratios are always ratios of sums,
  so on a ratio ``avg`` / ``average`` / ``ratio`` / ``sum`` (or nothing) all mean that;
  ``avg`` of a sum and anything else (``min``, ``max``, ``count``...) are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from adlens.query.errors import QueryError, check_keys, did_you_mean
from adlens.query.semantic import Measure, Registry

DATA_TYPES: Mapping[str, str | None] = {
    "meta_ads": "meta",
    "facebook_ads": "meta",
    "meta": "meta",
    "google_ads": "google_ads",
    "tiktok_ads": "tiktok",
    "tiktok": "tiktok",
    "linkedin_ads": "linkedin",
    "linkedin": "linkedin",
    "microsoft_ads": "microsoft",
    "bing_ads": "microsoft",
    "microsoft": "microsoft",
    "ga4": "ga4",
    "google_analytics": "ga4",
    "generic": "generic",
    "all": None,
}
SPEC_ALIASES: Mapping[str, str] = {
    "cost": "spend",
    "amount_spent": "spend",
    "revenue": "conversion_value",
    "click_through_rate": "ctr",
    "cost_per_click": "cpc",
    "cost_per_mille": "cpm",
    "cost_per_conversion": "cpa",
    "cost_per_acquisition": "cpa",
    "conversion_rate": "cvr",
    "return_on_ad_spend": "roas",
    "average_order_value": "aov",
}
GA4_NAMES: Mapping[str, str] = {
    "conversions": "sessions_conversions",
    "conversion_value": "revenue",
    "revenue": "revenue",
}
PREFIXES = ("total_", "avg_", "average_")
RATIO_AGGREGATIONS = (None, "sum", "avg", "average", "ratio")
METRIC_KEYS = ("name", "data_type", "dimensions", "aggregation_type")


@dataclass(frozen=True)
class SpecMetric:
    """One entry of the spec's ``metrics`` list, checked."""

    name: str
    data_type: str
    dimensions: tuple[str, ...]
    aggregation: str | None

    @property
    def platform(self) -> str | None:
        """The platform the data type names (None: every platform)."""
        return DATA_TYPES[self.data_type]


def spec_metric(item: object, index: int) -> SpecMetric:
    """Check one ``metrics`` entry (its names are resolved by ``spec_measure``)."""
    where = f"metrics[{index}]"
    if not isinstance(item, Mapping):
        raise QueryError("a metric is an object with a name", where={"field": where})
    check_keys(item, METRIC_KEYS, where)
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise QueryError("a metric needs a name", where={"field": f"{where}.name"})
    data_type = item.get("data_type") or "all"
    if data_type not in DATA_TYPES:
        hint = did_you_mean(str(data_type), DATA_TYPES)
        raise QueryError(
            f"unknown data_type {data_type!r}.{hint} Use one of {', '.join(DATA_TYPES)}",
            where={"field": f"{where}.data_type"},
        )
    aggregation = item.get("aggregation_type")
    if aggregation is not None and not isinstance(aggregation, str):
        raise QueryError("aggregation_type is a name", where={"field": f"{where}.aggregation_type"})
    dimensions = item.get("dimensions", [])
    if not isinstance(dimensions, list) or not all(isinstance(d, str) for d in dimensions):
        raise QueryError("dimensions is a list of names", where={"field": f"{where}.dimensions"})
    return SpecMetric(
        name, str(data_type), tuple(dimensions), aggregation.lower() if aggregation else None
    )


def spec_measure(registry: Registry, metric: SpecMetric, where: str) -> Measure:
    """The measure a spec metric name means (see the module docstring).

    >>> m = spec_measure(Registry(), SpecMetric("total_spend", "meta_ads", (), "sum"), "m")
    >>> m.name
    'spend'
    """
    name = metric.name
    candidates = [name] + [name[len(p) :] for p in PREFIXES if name.startswith(p)]
    resolved: Measure | None = None
    for candidate in candidates:
        if metric.platform == "ga4" and candidate in GA4_NAMES:
            candidate = GA4_NAMES[candidate]
        else:
            candidate = SPEC_ALIASES.get(candidate, candidate)
        if registry.is_measure(candidate):
            resolved = registry.measure(candidate, where=where)
            break
    if resolved is None:
        names = [*registry.measure_names(), *SPEC_ALIASES]
        known = [f"{prefix}{n}" for n in names for prefix in ("", "total_", "avg_")]
        hint = did_you_mean(name, known)
        raise QueryError(f"unknown metric {name!r}.{hint}", where={"field": f"{where}.name"})
    allowed = RATIO_AGGREGATIONS if resolved.kind == "ratio" else (None, "sum")
    if metric.aggregation not in allowed:
        raise QueryError(
            f"aggregation_type {metric.aggregation!r} is not available for {name!r}: sums "
            "are summed and ratios are divided from sums (never averaged over rows)",
            hint="use 'sum' for sums and 'avg' (or nothing) for ratios such as ctr",
            where={"field": f"{where}.aggregation_type"},
        )
    return resolved
