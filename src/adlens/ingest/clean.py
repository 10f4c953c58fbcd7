"""Cleaning: one SQL projection from raw VARCHAR cells to unified, typed rows.

``clean_query`` turns a :class:`Plan` into a SELECT over a relation with columns
``c0..cN`` (and ``_line``): the target table's columns plus ``_reason`` (why a
row cannot be loaded, or NULL), ``_blank`` (a row with no values at all) and
``_raw`` (the line's cells, for rejects) and check flags (``_other_<field>``: a
number written with the other decimal convention; ``_off_ctr``/``_off_cpc``:
an exported ratio that disagrees with the counts). The
same SQL runs over DuckDB's streaming CSV reader and over Arrow tables built
from workbooks, so there is exactly one definition of "clean".
"""

from __future__ import annotations

from dataclasses import dataclass

from adlens.ingest.plan import Plan
from adlens.ingest.values import cell, date_sql, finite, hour_sql, literal, number_sql
from adlens.schema import FACT_COLUMNS, SESSION_COLUMNS

MEASURES = {
    "ad_performance": ("spend", "impressions", "clicks", "conversions", "conversion_value"),
    "sessions": ("sessions", "engaged_sessions", "users", "conversions", "revenue"),
}
COUNTS = frozenset({"impressions", "clicks", "sessions", "engaged_sessions", "users"})
NON_NEGATIVE = frozenset(MEASURES["ad_performance"] + MEASURES["sessions"])
_CONVERSION_RESULT = "purchase|lead|conversion|registration|complete_payment|checkout"
_UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


@dataclass(frozen=True)
class Lineage:
    """What every stored row carries to trace it back."""

    ingest_id: int
    workspace: str
    source_file: str
    reporting_currency: str


def clean_query(plan: Plan, relation: str, lineage: Lineage, *, line_expr: str) -> str:
    """The cleaning SELECT for ``plan`` over ``relation`` (see the module docstring)."""
    width = len(plan.headers) if plan.layout is None else plan.layout.column_count
    raw = [f"c{i}" for i in range(width)]
    values = ", ".join(f"{cell(c)} AS {c}" for c in raw)
    footer = _footer_filter(plan)
    delimiter = plan.layout.delimiter if plan.layout else ","
    cells = ", ".join(f"coalesce({c}, '')" for c in raw)
    raw_text = f"rtrim(array_to_string([{cells}], {literal(delimiter)}), {literal(delimiter)})"
    parsed, reasons, checks = _parsed_columns(plan)
    columns = FACT_COLUMNS if plan.target == "ad_performance" else SESSION_COLUMNS
    outputs = _outputs(plan, lineage)
    select = ",\n    ".join(f"{outputs[c]} AS {c}" for c in columns)
    reason = f"nullif(concat_ws('; ', {', '.join(reasons)}), '')" if reasons else "NULL"
    blank = f"coalesce({', '.join(raw)}) IS NULL"
    check_sql = "".join(f",\n    {expr} AS {name}" for name, expr in checks.items())
    return f"""
WITH numbered AS (
    SELECT row_number() OVER () AS _rn, * FROM {relation}
),
v AS (
    SELECT {line_expr} AS _line, {values}, {raw_text} AS _raw FROM numbered {footer}
),
p AS (
    SELECT *, {", ".join(f"{expr} AS {name}" for name, expr in parsed.items())}
    FROM v
)
SELECT
    {select},
    {reason} AS _reason,
    {blank} AS _blank,
    _raw{check_sql}
FROM p
"""


def check_columns(plan: Plan) -> list[str]:
    """Names of the ``_other_*`` / ``_off_*`` flag columns ``clean_query`` adds for ``plan``."""
    return list(_parsed_columns(plan)[2])


def _footer_filter(plan: Plan) -> str:
    """Exclude the footer rows found at the end of the file (they are checked apart).

    A footer row is recognised by its label, the first non-empty of its first
    three cells ("Total: Account", "Grand total", a copyright line), compared
    after the same clean-up every cell gets.
    """
    layout = plan.layout
    if layout is None or not layout.footer_rows:
        return ""
    labels = sorted({footer_label(row) for row in layout.footer_rows} - {""})
    listed = ", ".join(literal(label) for label in labels)
    first = ", ".join(cell(f"c{i}") for i in range(min(3, layout.column_count)))
    return f"WHERE coalesce({first}, '') NOT IN ({listed})"


def footer_label(cells: list[str]) -> str:
    """The label of a footer row as SQL sees it after ``cell()``."""
    for text in cells[:3]:
        value = text.strip()
        if value and value not in ("--", "-"):
            return value
    return ""


def _parsed_columns(plan: Plan) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """Typed value per mapped field (``f_<field>``), reject reasons, check flags."""
    parsed: dict[str, str] = {}
    reasons: list[str] = []
    checks: dict[str, str] = {}
    fmt = plan.date_format
    for name in ("date", "period_start", "period_end"):
        column = plan.column(name)
        if column is None:
            continue
        formats = fmt.formats if fmt else ["%Y-%m-%d"]
        parsed[f"f_{name}"] = date_sql(column, formats)
        shown = fmt.display if fmt else "YYYY-MM-DD"
        not_date = f"' is not a date ({shown})"
        reasons.append(
            f"CASE WHEN {column} IS NULL THEN {literal(plan.header(name) + ' is empty')} "
            f"WHEN f_{name} IS NULL THEN {literal(plan.header(name) + ' ')} "
            f"|| '''' || {column} || {literal(not_date)} END"
        )
    if plan.column("hour"):
        parsed["f_hour"] = hour_sql(str(plan.column("hour")))
    measures = [*MEASURES[plan.target], "results", "ctr", "cpc"]
    for name in measures:
        column = plan.column(name)
        if column is None:
            continue
        number, flagged = number_sql(column, plan.decimal)
        expr = finite(number)
        if name in COUNTS:
            expr = f"CAST(round({expr}) AS BIGINT)"
        parsed[f"f_{name}"] = expr
        checks[f"_other_{name}"] = flagged
        checks[f"_example_{name}"] = f"CASE WHEN {flagged} THEN {column} END"
        header = plan.header(name)
        bounded = f"regexp_matches({column}, '^[<>]')"
        reasons.append(
            f"CASE WHEN {column} IS NOT NULL AND f_{name} IS NULL AND NOT {bounded} "
            f"THEN {literal(header + ' ')} || '''' || {column} || ''' is not a number' END"
        )
        if name in NON_NEGATIVE:
            reasons.append(
                f"CASE WHEN f_{name} < 0 THEN {literal(header + ' is negative (')} "
                f"|| {column} || ')' END"
            )
    present = [f"f_{m}" for m in MEASURES[plan.target] if f"f_{m}" in parsed]
    if plan.column("results"):
        present.append("f_results")
    if present:
        reasons.append(
            f"CASE WHEN coalesce({', '.join(present)}) IS NULL THEN "
            "'no metric values in this row' END"
        )
    if plan.column("currency"):
        currency = str(plan.column("currency"))
        reasons.append(
            f"CASE WHEN {currency} IS NOT NULL AND NOT regexp_full_match(upper({currency}), "
            f"'[A-Z]{{3}}') THEN {literal(plan.header('currency') + ' ')} || '''' || "
            f"{currency} || ''' is not a currency code' END"
        )
    if "f_period_start" in parsed and "f_period_end" in parsed:
        reasons.append(
            "CASE WHEN f_period_start > f_period_end THEN 'reporting period ends before it "
            "starts' END"
        )
    if "f_ctr" in parsed and "f_clicks" in parsed and "f_impressions" in parsed:
        computed = "100.0 * f_clicks / nullif(f_impressions, 0)"
        checks["_off_ctr"] = f"coalesce(abs(f_ctr - {computed}) > 0.011 + 0.01 * f_ctr, false)"
    if "f_cpc" in parsed and "f_spend" in parsed and "f_clicks" in parsed:
        computed = "f_spend / nullif(f_clicks, 0)"
        checks["_off_cpc"] = f"coalesce(abs(f_cpc - {computed}) > 0.011 + 0.01 * f_cpc, false)"
    return parsed, reasons, checks


def _outputs(plan: Plan, lineage: Lineage) -> dict[str, str]:
    """SQL for every column of the target table, over the ``p`` projection."""

    def text(name: str) -> str:
        column = plan.column(name)
        return column if column else "NULL"

    def measure(name: str) -> str:
        return f"f_{name}" if plan.column(name) else "NULL"

    day, grain, start, end = _time_columns(plan)
    hour = "f_hour" if plan.column("hour") else None
    ts = (
        f"CASE WHEN {grain} = 'hour' THEN CAST({day} AS TIMESTAMP) + to_hours({hour}) "
        f"WHEN {grain} = 'day' THEN CAST({day} AS TIMESTAMP) END"
        if hour
        else f"CASE WHEN {grain} = 'day' THEN CAST({day} AS TIMESTAMP) END"
    )
    out = {
        "workspace": literal(lineage.workspace),
        "ts": ts,
        "date": f"CASE WHEN {grain} <> 'range' THEN {day} END",
        "grain": grain,
        "period_start": start,
        "period_end": end,
        "platform": literal(plan.platform),
        "channel": "NULL",
        "ingest_id": str(lineage.ingest_id),
        "source_file": literal(lineage.source_file),
        "source_row": "_line",
    }
    if plan.target == "sessions":
        return out | _session_outputs(plan)
    timezone = plan.timezone or plan.adapter.defaults.get("account_timezone")
    currency = (
        f"coalesce(upper({plan.column('currency')}), {_opt(plan.currency)})"
        if plan.column("currency")
        else _opt(plan.currency)
    )
    conversions = measure("conversions")
    if plan.column("results"):
        indicator = text("result_indicator")
        conversions = (
            f"coalesce({conversions}, CASE WHEN regexp_matches(lower({indicator}), "
            f"{literal(_CONVERSION_RESULT)}) THEN f_results END)"
        )
    reporting = literal(lineage.reporting_currency)
    rate = f"CASE WHEN ({currency}) = {reporting} THEN CAST(1.0 AS DOUBLE) END"
    out |= {
        "account_timezone": _opt(timezone),
        "currency": currency,
        "spend_original": measure("spend"),
        "fx_rate": rate,
        "spend": f"{measure('spend')} * {rate}",
        "impressions": measure("impressions"),
        "clicks": measure("clicks"),
        "conversions": conversions,
        "conversion_value": measure("conversion_value"),
    }
    for name in (
        "account_id",
        "account_name",
        "campaign_id",
        "campaign_name",
        "ad_group_id",
        "ad_group_name",
        "ad_id",
        "ad_name",
        "keyword",
        "match_type",
        "search_term",
    ):
        out[name] = text(name)
    url = plan.column("url")
    for name in _UTM:
        from_url = (
            "nullif(url_decode(replace("
            f"regexp_extract({url}, '[?&]{name}=([^&#]*)', 1), '+', ' ')), '')"
            if url
            else "NULL"
        )
        out[name] = f"coalesce({text(name)}, {from_url})"
    return out


def _session_outputs(plan: Plan) -> dict[str, str]:
    pair = plan.column("source_medium")
    source = plan.column("source") or (
        f"nullif(trim(split_part({pair}, '/', 1)), '')" if pair else "NULL"
    )
    medium = plan.column("medium") or (
        f"CASE WHEN strpos({pair}, '/') > 0 THEN "
        f"nullif(trim(substr({pair}, strpos({pair}, '/') + 1)), '') END"
        if pair
        else "NULL"
    )
    return {
        "source": source,
        "medium": medium,
        "campaign": plan.column("campaign") or "NULL",
        "sessions": _m(plan, "sessions"),
        "engaged_sessions": _m(plan, "engaged_sessions"),
        "users": _m(plan, "users"),
        "conversions": _m(plan, "conversions"),
        "revenue": _m(plan, "revenue"),
    }


def _m(plan: Plan, name: str) -> str:
    return f"f_{name}" if plan.column(name) else "NULL"


def _opt(value: str | None) -> str:
    return literal(value) if value else "NULL"


def _time_columns(plan: Plan) -> tuple[str, str, str, str]:
    """(day, grain, period_start, period_end) SQL, from columns or the title lines."""
    if plan.column("date"):
        grain = (
            "CASE WHEN f_hour IS NOT NULL THEN 'hour' ELSE 'day' END"
            if plan.column("hour")
            else "'day'"
        )
        return "f_date", grain, "f_date", "f_date"
    if plan.column("period_start") and plan.column("period_end"):
        grain = "CASE WHEN f_period_start = f_period_end THEN 'day' ELSE 'range' END"
        return "f_period_start", grain, "f_period_start", "f_period_end"
    period = plan.period
    if period and period.start and period.end:
        start, end = literal(str(period.start)), literal(str(period.end))
        grain = "'day'" if period.start == period.end else "'range'"
        return f"DATE {start}", grain, f"DATE {start}", f"DATE {end}"
    return "CAST(NULL AS DATE)", "'range'", "CAST(NULL AS DATE)", "CAST(NULL AS DATE)"
