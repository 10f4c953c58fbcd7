"""Cleaning: one SQL query from raw VARCHAR cells to unified, typed rows.

``clean_query`` turns a :class:`Plan` into a SELECT over a relation with columns
``c0..cN`` (plus ``_line`` for rows read in Python). It returns the target
table's columns (lineage last) and:

- ``_reason``: why the row cannot be loaded, in words, or NULL;
- ``_blank``: the row holds no value at all (padding such as ``,,,,``);
- ``_raw``: the row's cells joined again, for rejected rows only;
- ``_flags`` / ``_examples``: findings of the quality checks (a number written
  with the other decimal convention, an exported ratio that disagrees with the
  counts), summed up by :func:`profile_aggregates`.

The same SQL runs over DuckDB's CSV reader and over Arrow tables built from
workbooks, so there is exactly one definition of "clean". It is built in
layers (cells -> plain casts -> kinds -> values -> output) so each expensive
expression is computed once per cell, and only for the cells that need it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from adlens.channels import CHANNELS
from adlens.ingest.plan import Plan
from adlens.ingest.values import (
    BOUNDED,
    INVALID,
    OTHER_CONVENTION,
    cell,
    date_sql,
    hour_sql,
    literal,
    month_sql,
    number_sql,
    plain_number_sql,
)
from adlens.schema import DATE_FIELDS, FACT_COLUMNS, FACT_FIELDS, SESSION_COLUMNS

MEASURES = {
    "ad_performance": ("spend", "impressions", "clicks", "conversions", "conversion_value"),
    "sessions": ("sessions", "engaged_sessions", "users", "conversions", "revenue"),
}
COUNTS = frozenset({"impressions", "clicks", "sessions", "engaged_sessions", "users"})
NON_NEGATIVE = frozenset(MEASURES["ad_performance"] + MEASURES["sessions"])
EXTRA = "_extra"  # staged: hash of the cells no field reads (see ``unmapped_cells``)
NOT_A_MONTH = "' is not a month (2025-01, 2025-01-01 or January 2025)"
_CONVERSION_RESULT = "purchase|lead|conversion|registration|complete_payment|checkout"
_UTM = tuple(name for name in FACT_FIELDS if name.startswith("utm_"))
# Text fields stored as exported (UTMs also come from URLs; hour, url and the campaign type
# are not stored: the type is staged as ``_campaign_type`` to decide each row's channel).
_TEXT = tuple(
    name
    for name, field in FACT_FIELDS.items()
    if field.kind == "text" and name not in (*_UTM, "url", "hour", "campaign_type")
)


@dataclass(frozen=True)
class Lineage:
    """What every stored row carries to trace it back."""

    ingest_id: int
    workspace: str
    source_file: str
    reporting_currency: str


def numeric_fields(plan: Plan) -> list[str]:
    """Mapped fields read as numbers (measures, Meta's results, exported ratios)."""
    names = [*MEASURES[plan.target], "results", "ctr", "cpc"]
    return [n for n in names if plan.column(n)]


def clean_query(
    plan: Plan, relation: str, lineage: Lineage, *, line_expr: str, staged: bool = False
) -> str:
    """The cleaning SELECT for ``plan`` over ``relation`` (see the module docstring).

    With ``staged``, columns that hold the same value on every row (see
    :func:`constant_outputs`) are left out: the copy into the table adds them.
    """
    width = len(plan.headers) if plan.layout is None else plan.layout.column_count
    raw = [f"c{i}" for i in range(width)]
    delimiter = plan.layout.delimiter if plan.layout else ","
    numbers = numeric_fields(plan)
    plains = [
        f"{plain_number_sql(str(plan.column(n)), plan.decimal, percent=n == 'ctr')} AS n_{n}"
        for n in numbers
    ]
    kinds, values = [], []
    for name in numbers:
        kind, value = number_sql(str(plan.column(name)), f"n_{name}", f"k_{name}", plan.decimal)
        kinds.append(f"{kind} AS k_{name}")
        value = f"CAST(round({value}) AS BIGINT)" if name in COUNTS else value
        values.append(f"{value} AS f_{name}")
    fmt = plan.date_format
    formats = fmt.formats if fmt else ["%Y-%m-%d"]
    for name in DATE_FIELDS:
        if plan.column(name):
            values.append(f"{date_sql(str(plan.column(name)), formats)} AS f_{name}")
    if plan.column("month"):
        values.append(f"{month_sql(str(plan.column('month')), formats)} AS f_month")
    if _day_index(plan):
        start = literal(str(plan.period.start))  # type: ignore[union-attr]
        index = f"try_cast({plan.column('day_index')} AS INTEGER)"
        values.append(f"DATE {start} + {index} AS f_date")
    if plan.column("hour"):
        values.append(f"{hour_sql(str(plan.column('hour')))} AS f_hour")
    columns: tuple[str, ...] = FACT_COLUMNS if plan.target == "ad_performance" else SESSION_COLUMNS
    outputs = _outputs(plan, lineage)
    if staged:
        copied = copied_outputs(plan, lineage)
        columns = tuple(c for c in columns if c not in copied)
    select = ",\n    ".join(f"{outputs[c]} AS {c}" for c in columns)
    reasons, suspect = _reasons(plan, numbers, width)
    reason = (
        f"CASE WHEN {suspect} THEN nullif(concat_ws('; ', {', '.join(reasons)}), '') END"
        if reasons
        else "NULL"
    )
    quoted = [_csv_cell(f"r{c[1:]}", delimiter) for c in raw]
    cells = ", ".join(quoted)
    raw_text = f"rtrim(array_to_string([{cells}], {literal(delimiter)}), {literal(delimiter)})"
    checks = _checks(plan, numbers)
    unread = unmapped_cells(plan)
    if staged and unread:
        checks += f",\n    hash({', '.join(unread)}) AS {EXTRA}"
    if plan.target == "ad_performance" and plan.column("campaign_type"):
        checks += f",\n    {plan.column('campaign_type')} AS _campaign_type"
    return f"""
WITH numbered AS (
    SELECT {"row_number() OVER ()" if "_rn" in line_expr else "NULL"} AS _rn, * FROM {relation}
),
v AS (
    SELECT {line_expr} AS _line, {", ".join(_cells(plan, raw))}
    FROM numbered {_footer_filter(plan)}
),
n AS (SELECT *{"".join(", " + p for p in plains)} FROM v),
k AS (SELECT *{"".join(", " + k for k in kinds)} FROM n),
p AS (SELECT *{"".join(", " + v for v in values)} FROM k),
r AS (SELECT *, {reason} AS _reason FROM p)
SELECT
    {select},
    _reason,
    _reason IS NOT NULL AND coalesce({", ".join(raw)}) IS NULL AS _blank,
    CASE WHEN _reason IS NOT NULL THEN {raw_text} END AS _raw{checks}
FROM r
"""


_CONSTANT = re.compile(r"^(NULL|'(?:[^']|'')*'|\d+|DATE '[^']*'|CAST\(NULL AS DATE\))$")


def copied_outputs(plan: Plan, lineage: Lineage) -> dict[str, str]:
    """Table columns left out of the stage, with SQL computing them from staged columns.

    Constants (platform, lineage, unmapped fields) and values derived from other
    columns (the period of a day row, spend in the reporting currency) cost
    nothing to compute while copying, and writing them twice would.
    """
    outputs = _outputs(plan, lineage)
    copied = {c: sql for c, sql in outputs.items() if _CONSTANT.match(sql)}
    if (plan.column("date") or _day_index(plan)) and not plan.column("hour"):
        copied |= {"period_start": "date", "period_end": "date", "ts": "CAST(date AS TIMESTAMP)"}
    if plan.target == "ad_performance":
        reporting = literal(lineage.reporting_currency)
        currency = copied.get("currency", "currency")
        rate = f"CASE WHEN {currency} = {reporting} THEN CAST(1.0 AS DOUBLE) END"
        copied |= {"fx_rate": rate, "spend": f"spend_original * {rate}"}
    return copied


RATIO_SAMPLE_ROWS = 10_000


def without_ratios(plan: Plan) -> Plan:
    """``plan`` without the exported ratios (CTR, CPC), which are only ever checked.

    Parsing them on every row of a large file costs about a tenth of the cleaning pass;
    they are checked on the first rows instead (:func:`ratio_sample_query`).
    """
    mapping = {k: v for k, v in plan.mapping.items() if k not in ("ctr", "cpc")}
    return replace(plan, mapping=mapping) if mapping != plan.mapping else plan


def ratio_sample_query(plan: Plan, relation: str, lineage: Lineage) -> str | None:
    """Counts of exported CTR/CPC that disagree with the counts, over the first rows."""
    if not _ratio_checks(plan):
        return None
    query = clean_query(plan, relation, lineage, line_expr="NULL")
    parts = [
        f"count(*) FILTER (WHERE _flags & {1 << bit} <> 0) AS _off_{ratio}"
        for bit, ratio in _RATIO_BITS.items()
        if ratio in _ratio_checks(plan)
    ]
    return (
        f"SELECT {', '.join(parts)}, count(*) AS _ratio_rows FROM "
        f"(SELECT _flags FROM ({query}) WHERE _reason IS NULL LIMIT {RATIO_SAMPLE_ROWS})"
    )


def profile_aggregates(plan: Plan) -> list[str]:
    """Aggregates over staged rows for the quality checks, named for ``quality.score``.

    ``_other_<field>`` counts numbers written in the other decimal convention and
    ``_example_<field>`` shows one; ``_off_ctr``/``_off_cpc`` count exported ratios
    that disagree with the row's counts. Only loadable rows are counted.
    """
    ok = "_reason IS NULL"
    parts = []
    for bit, name in enumerate(numeric_fields(plan)):
        parts.append(f"count(*) FILTER (WHERE {ok} AND _flags & {1 << bit} <> 0) AS _other_{name}")
        parts.append(f"min(_examples[{bit + 1}]) AS _example_{name}")
    for bit, ratio in _RATIO_BITS.items():
        if ratio in _ratio_checks(plan):
            parts.append(
                f"count(*) FILTER (WHERE {ok} AND _flags & {1 << bit} <> 0) AS _off_{ratio}"
            )
    return parts


def _cells(plan: Plan, raw: list[str]) -> list[str]:
    """Each raw cell under its own name (``r3``) and, cleaned, as ``c3`` when it is mapped.

    Columns no field reads are passed through untouched: cleaning them would cost
    time on every row for nothing.
    """
    mapped = {f"c{i}" for i in plan.mapping.values()}
    return [f"{cell(c) if c in mapped else c} AS {c}, {c} AS r{c[1:]}" for c in raw]


def unmapped_cells(plan: Plan) -> list[str]:
    """The raw cells (``r3``) of header columns no field reads: Age, Placement, Status...

    Rows equal in every stored value but not in these (a Meta report broken down by age
    and gender) are different rows of the export, not repeats.
    """
    mapped = set(plan.mapping.values())
    return [f"r{i}" for i in range(len(plan.headers)) if i not in mapped]


def _csv_cell(column: str, delimiter: str) -> str:
    """A cell as it would be written back to CSV: quoted when it holds a delimiter, a quote
    or a line break."""
    needs = (
        f"contains({column}, {literal(delimiter)}) OR contains({column}, '\"') OR "
        f"contains({column}, chr(10)) OR contains({column}, chr(13))"
    )
    quoted = f"'\"' || replace({column}, '\"', '\"\"') || '\"'"
    return f"coalesce(CASE WHEN {needs} THEN {quoted} ELSE {column} END, '')"


_RATIO_BITS = {24: "ctr", 25: "cpc"}


def _ratio_checks(plan: Plan) -> dict[str, str]:
    """Exported ratios that disagree with the row's own counts (beyond rounding)."""
    numbers = set(numeric_fields(plan))
    checks = {}
    if {"ctr", "clicks", "impressions"} <= numbers:
        computed = "100.0 * f_clicks / nullif(f_impressions, 0)"
        checks["ctr"] = f"abs(f_ctr - {computed}) > 0.011 + 0.01 * f_ctr"
    if {"cpc", "spend", "clicks"} <= numbers:
        checks["cpc"] = "abs(f_cpc - f_spend / nullif(f_clicks, 0)) > 0.011 + 0.01 * f_cpc"
    return checks


def _checks(plan: Plan, numbers: list[str]) -> str:
    """``_flags`` (one bit per finding) and ``_examples`` (cells, only on flagged rows)."""
    other = [f"coalesce(k_{name} = {OTHER_CONVENTION}, false)" for name in numbers]
    bits = [f"CASE WHEN {flag} THEN {1 << bit} ELSE 0 END" for bit, flag in enumerate(other)]
    ratios = _ratio_checks(plan)
    bits += [
        f"CASE WHEN coalesce({ratios[ratio]}, false) THEN {1 << bit} ELSE 0 END"
        for bit, ratio in _RATIO_BITS.items()
        if ratio in ratios
    ]
    flags = " + ".join(bits) if bits else "0"
    examples = ", ".join(
        f"CASE WHEN k_{name} = {OTHER_CONVENTION} THEN {plan.column(name)} END" for name in numbers
    )
    any_other = " OR ".join(other) if other else "false"
    return (
        f",\n    CAST({flags} AS INTEGER) AS _flags,"
        f"\n    CASE WHEN {any_other} THEN [{examples}] END AS _examples"
    )


def _footer_filter(plan: Plan) -> str:
    """Exclude the footer rows found at the end of the file (they are checked apart).

    A footer row is matched on its first three cells exactly as the reader sees
    them. The first cell alone rules out every data row cheaply (a date is never
    "Total: Account"), so the full comparison runs only on candidates.
    """
    layout = plan.layout
    if layout is None or not layout.footer_rows:
        return ""
    width = min(3, layout.column_count)
    cells = [f"coalesce(c{i}, '')" for i in range(width)]
    rows = sorted({tuple((row + [""] * width)[:width]) for row in layout.footer_rows})
    firsts = ", ".join(sorted({literal(row[0]) for row in rows}))
    matches = " OR ".join(
        "(" + " AND ".join(f"{c} = {literal(v)}" for c, v in zip(cells, row, strict=True)) + ")"
        for row in rows
    )
    return f"WHERE CASE WHEN {cells[0]} IN ({firsts}) THEN NOT ({matches}) ELSE true END"


def footer_label(cells: list[str]) -> str:
    """The label of a footer row as SQL sees it after ``cell()``."""
    for text in cells[:3]:
        value = text.strip()
        if value and value not in ("--", "-"):
            return value
    return ""


def _reasons(plan: Plan, numbers: list[str], width: int) -> tuple[list[str], str]:
    """SQL for each reason a row cannot be loaded (NULL when it does not apply).

    Also returns a cheap predicate true for every row that has a reason, so the
    reason text is only built for those rows.
    """
    reasons: list[str] = []
    suspect: list[str] = []
    shown = plan.date_format.display if plan.date_format else "YYYY-MM-DD"
    not_date = f"' is not a date ({shown})"
    for name in DATE_FIELDS:
        column = plan.column(name)
        if column is None:
            continue
        header = plan.header(name)
        suspect.append(f"f_{name} IS NULL")
        reasons.append(
            f"CASE WHEN {column} IS NULL THEN {literal(header + ' is empty')} "
            f"WHEN f_{name} IS NULL THEN {literal(header + ' ')} || '''' || {column} "
            f"|| {literal(not_date)} END"
        )
    month = plan.column("month")
    if month:
        header = plan.header("month")
        suspect.append("f_month IS NULL")
        reasons.append(
            f"CASE WHEN {month} IS NULL THEN {literal(header + ' is empty')} "
            f"WHEN f_month IS NULL THEN {literal(header + ' ')} || '''' || {month} "
            f"|| {literal(NOT_A_MONTH)} END"
        )
    for name in numbers:
        column, header = plan.column(name), plan.header(name)
        suspect.append(f"k_{name} = {INVALID}")
        reasons.append(
            f"CASE WHEN k_{name} = {INVALID} THEN {literal(header + ' ')} || '''' || "
            f"{column} || ''' is not a number' END"
        )
        if name in NON_NEGATIVE:
            suspect.append(f"f_{name} < 0")
            reasons.append(
                f"CASE WHEN f_{name} < 0 THEN {literal(header + ' is negative (')} "
                f"|| {column} || ')' END"
            )
    present = [f"f_{m}" for m in (*MEASURES[plan.target], "results") if m in numbers]
    if present:
        suspect.append(f"coalesce({', '.join(present)}) IS NULL")
        reasons.append(
            f"CASE WHEN coalesce({', '.join(present)}) IS NULL AND "
            f"{' AND '.join(f'coalesce(k_{m[2:]}, 0) <> {BOUNDED}' for m in present)} "
            "THEN 'no metric values in this row' END"
        )
    if _day_index(plan):
        column = plan.column("day_index")
        not_a_day = literal(f"{plan.header('day_index')} is not a day number: ")
        suspect.append("f_date IS NULL")
        reasons.append(f"CASE WHEN f_date IS NULL THEN {not_a_day} || coalesce({column}, '') END")
    extra = [f"c{i}" for i in range(len(plan.headers), width)]
    if extra:
        suspect.append(f"coalesce({', '.join(extra)}) IS NOT NULL")
        reasons.append(
            f"CASE WHEN coalesce({', '.join(extra)}) IS NOT NULL THEN "
            f"{literal(f'line has more cells than the header ({len(plan.headers)})')} END"
        )
    currency = plan.column("currency")
    if currency:
        suspect.append(f"NOT regexp_full_match({currency}, '[A-Za-z]{{3}}')")
        reasons.append(
            f"CASE WHEN {currency} IS NOT NULL AND NOT regexp_full_match({currency}, "
            f"'[A-Za-z]{{3}}') THEN {literal(plan.header('currency') + ' ')} || '''' || "
            f"{currency} || ''' is not a currency code' END"
        )
    if plan.column("period_start") and plan.column("period_end"):
        suspect.append("f_period_start > f_period_end")
        reasons.append(
            "CASE WHEN f_period_start > f_period_end THEN "
            "'the reporting period ends before it starts' END"
        )
    return reasons, " OR ".join(f"coalesce({s}, false)" for s in suspect) or "false"


def _outputs(plan: Plan, lineage: Lineage) -> dict[str, str]:
    """SQL for every column of the target table, over the parsed layer."""
    day, grain, start, end = _time_columns(plan)
    if plan.column("hour"):
        ts = (
            f"CASE WHEN {grain} = 'hour' THEN CAST({day} AS TIMESTAMP) + to_hours(f_hour) "
            f"WHEN {grain} = 'day' THEN CAST({day} AS TIMESTAMP) END"
        )
    else:
        ts = f"CASE WHEN {grain} = 'day' THEN CAST({day} AS TIMESTAMP) END"
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
    return out | _fact_outputs(plan, lineage)


def _fact_outputs(plan: Plan, lineage: Lineage) -> dict[str, str]:
    def text(name: str) -> str:
        return plan.column(name) or "NULL"

    def measure(name: str) -> str:
        return f"f_{name}" if plan.column(name) else "NULL"

    timezone = plan.timezone or plan.adapter.defaults.get("account_timezone")
    fixed = _opt(plan.currency)
    column = plan.column("currency")
    currency = f"coalesce(upper({column}), {fixed})" if column else fixed
    conversions = measure("conversions")
    if plan.column("results"):
        indicator = text("result_indicator")
        conversions = (
            f"coalesce({conversions}, CASE WHEN regexp_matches(lower({indicator}), "
            f"{literal(_CONVERSION_RESULT)}) THEN f_results END)"
        )
    reporting = literal(lineage.reporting_currency)
    rate = f"CASE WHEN ({currency}) = {reporting} THEN CAST(1.0 AS DOUBLE) END"
    out = {
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
    out |= {name: text(name) for name in _TEXT}
    url = plan.column("url")
    for name in _UTM:
        out[name] = f"coalesce({text(name)}, {_utm_from_url(url, name)})"
    return out


def _utm_from_url(url: str | None, name: str) -> str:
    """SQL for one ``utm_*`` parameter of a URL column (decoded, ``+`` as space), or NULL."""
    if not url:
        return "NULL"
    return (
        f"nullif(url_decode(replace(regexp_extract({url}, '[?&]{name}=([^&#]*)', 1), "
        "'+', ' ')), '')"
    )


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
    campaign = plan.column("campaign") or "NULL"
    landing = plan.column("landing_page")
    if landing:  # the landing page's UTMs stand in for columns the export does not have
        source = f"coalesce({source}, {_utm_from_url(landing, 'utm_source')})"
        medium = f"coalesce({medium}, {_utm_from_url(landing, 'utm_medium')})"
        campaign = f"coalesce({campaign}, {_utm_from_url(landing, 'utm_campaign')})"
    out = {"source": source, "medium": medium, "campaign": campaign}
    group = plan.column("channel_group")
    if group:  # GA4's own grouping, in the names of the default channel group when it uses them
        known = ", ".join(f"{literal(c.lower())}: {literal(c)}" for c in CHANNELS)
        out["channel"] = f"coalesce(MAP {{{known}}}[lower({group})], {group})"
    for name in MEASURES["sessions"]:
        out[name] = f"f_{name}" if plan.column(name) else "NULL"
    return out


def _opt(value: str | None) -> str:
    return literal(value) if value else "NULL"


def _day_index(plan: Plan) -> bool:
    """GA4's ``Nth day`` column, counted from the start date in the title lines."""
    return bool(
        plan.column("day_index") and not plan.column("date") and plan.period and plan.period.start
    )


def _time_columns(plan: Plan) -> tuple[str, str, str, str]:
    """(day, grain, period_start, period_end) SQL, from columns or the title lines."""
    if plan.column("date") or _day_index(plan):
        grain = "'day'"
        if plan.column("hour"):
            grain = "CASE WHEN f_hour IS NOT NULL THEN 'hour' ELSE 'day' END"
        return "f_date", grain, "f_date", "f_date"
    if plan.column("period_start") and plan.column("period_end"):
        grain = "CASE WHEN f_period_start = f_period_end THEN 'day' ELSE 'range' END"
        return "f_period_start", grain, "f_period_start", "f_period_end"
    period = plan.period
    if plan.column("week") or plan.column("month"):
        # A weekly or monthly row covers its week or month, cut to the report's period
        # (a report's first and last weeks or months are often partial).
        week = bool(plan.column("week"))
        first, last = ("f_week", "f_week + 6") if week else ("f_month", "last_day(f_month)")
        if period and period.start and period.end:
            first = f"greatest({first}, DATE {literal(str(period.start))})"
            last = f"least({last}, DATE {literal(str(period.end))})"
        grain = f"CASE WHEN {first} = {last} THEN 'day' ELSE 'range' END"
        return first, grain, first, last
    if period and period.start and period.end:
        start, end = literal(str(period.start)), literal(str(period.end))
        grain = "'day'" if period.start == period.end else "'range'"
        return f"DATE {start}", grain, f"DATE {start}", f"DATE {end}"
    return "CAST(NULL AS DATE)", "'range'", "CAST(NULL AS DATE)", "CAST(NULL AS DATE)"
