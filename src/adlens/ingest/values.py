"""Messy values -> typed values, as SQL expressions DuckDB runs vectorised.

Each function returns SQL for one raw VARCHAR column. The decisions that need
the whole file (which decimal mark, which date order) are made once per file
by the ``infer_*`` functions here and passed in; nothing is guessed per row
except what is unambiguous (a ``1.234,56`` in a file using ``.`` decimals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Decimal = Literal[".", ","]

# Currency symbols and codes (USD, US$, A$, R$, ₹...), percent signs, bounds and every kind
# of space a number may carry.
_STRIP = r"[\s\x{00a0}\x{202f}$€£¥₹₩₽₺₱₪₫฿%<>']|[A-Z]{3}|[A-Z]{1,2}\$"


def literal(text: str) -> str:
    """A SQL string literal (the only way text reaches generated SQL).

    >>> literal("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


def cell(column: str) -> str:
    """A raw cell with outer spaces removed and the platforms' empty markers made NULL."""
    return f"nullif(nullif(nullif(trim({column}), ''), '--'), '-')"


# How a number cell was read: the cleaning query keeps this per cell so checks are free.
PLAIN, GROUPED, STRIPPED, OTHER_CONVENTION, BOUNDED, INVALID = 1, 2, 3, 4, 5, 6


def number_sql(value: str, plain: str, kind_column: str, decimal: Decimal) -> tuple[str, str]:
    """SQL for (kind, number) of a cleaned cell ``value`` whose plain cast is ``plain``.

    ``kind`` says which rule read the cell (``PLAIN`` ... ``INVALID``); ``number``
    is its value, given the column ``kind_column`` that holds the kind. Cheap rules
    come first: most cells are read by a plain cast or one anchored pattern, and only
    cells carrying symbols, codes or spaces reach the regular-expression clean-up.
    """
    stripped = f"regexp_replace({value}, {literal(_STRIP)}, '', 'g')"
    if decimal == ".":
        grouped = r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?"
        own = r"[-+]?\d{1,3}(,\d{3})*(\.\d+)?|[-+]?\d*\.?\d+"
        other = r"[-+]?\d{1,3}(\.\d{3})+(,\d+)?|[-+]?\d+,\d{1,2}"
        grouped_cast = f"try_cast(replace({value}, ',', '') AS DOUBLE)"
        own_cast = f"try_cast(replace({stripped}, ',', '') AS DOUBLE)"
        other_cast = f"try_cast(replace(replace({stripped}, '.', ''), ',', '.') AS DOUBLE)"
    else:
        grouped = r"[-+]?\d{1,3}(\.\d{3})*(,\d+)?|[-+]?\d+,\d+"
        own = r"[-+]?\d{1,3}(\.\d{3})*(,\d+)?|[-+]?\d+(,\d+)?"
        other = r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?|[-+]?\d+\.\d{1,2}"
        grouped_cast = f"try_cast(replace(replace({value}, '.', ''), ',', '.') AS DOUBLE)"
        own_cast = f"try_cast(replace(replace({stripped}, '.', ''), ',', '.') AS DOUBLE)"
        other_cast = f"try_cast(replace({stripped}, ',', '') AS DOUBLE)"
    kind = (
        f"CASE WHEN {value} IS NULL THEN NULL "
        f"WHEN isfinite({plain}) THEN {PLAIN} "
        f"WHEN regexp_full_match({value}, {literal(grouped)}) THEN {GROUPED} "
        f"WHEN regexp_matches({value}, '^\\s*[<>]') THEN {BOUNDED} "
        f"WHEN regexp_full_match({stripped}, {literal(own)}) THEN {STRIPPED} "
        f"WHEN regexp_full_match({stripped}, {literal(other)}) THEN {OTHER_CONVENTION} "
        f"ELSE {INVALID} END"
    )
    number = (
        f"CASE {kind_column} WHEN {PLAIN} THEN {plain} WHEN {GROUPED} THEN {grouped_cast} "
        f"WHEN {STRIPPED} THEN {own_cast} WHEN {OTHER_CONVENTION} THEN {other_cast} END"
    )
    return kind, number


def plain_number_sql(value: str, decimal: Decimal, *, percent: bool = False) -> str:
    """The direct cast that reads most cells (no separators, no symbols; ``12.5%``)."""
    if percent:
        value = f"rtrim({value}, '%')"
    if decimal == ".":
        return f"try_cast({value} AS DOUBLE)"
    return f"CASE WHEN NOT contains({value}, '.') THEN try_cast({value} AS DOUBLE) END"


def date_sql(value: str, formats: list[str]) -> str:
    """SQL parsing a cleaned cell into a DATE with the file's format(s)."""
    if formats == ["%Y-%m-%d"]:
        return f"try_cast({value} AS DATE)"
    listed = ", ".join(literal(f) for f in formats)
    # Trailing times ("1/1/2025 12:00:00 AM") are cut: a day row has no time of day.
    head = f"split_part({value}, ' ', 1)" if not any(" " in f for f in formats) else value
    return f"CAST(try_strptime({head}, [{listed}]) AS DATE)"


_MONTHS = ("%Y-%m", "%Y/%m", "%B %Y", "%b %Y")
_FIRST_DAYS = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y")


def month_sql(value: str, formats: list[str]) -> str:
    """SQL parsing a cleaned cell into the first day of its month (NULL: not a month).

    Months come as ``2025-01``, ``2025/01``, ``January 2025``, ``Jan 2025``, or as the
    month's first day (``2025-01-01``, ``1/1/2025``), which is how Google Ads and Microsoft
    Advertising write them. A date is read in whichever order makes it a first day, so
    ``2/1/2025`` is February whatever the file's day order; a day other than the first is
    not a month.
    """
    cleaned = f"trim({value})"
    months = ", ".join(literal(f) for f in _MONTHS)
    firsts = [
        f"CASE WHEN day(try_strptime({cleaned}, {literal(f)})) = 1 "
        f"THEN try_strptime({cleaned}, {literal(f)}) END"
        for f in dict.fromkeys([*formats, *_FIRST_DAYS])
    ]
    return f"CAST(coalesce(try_strptime({cleaned}, [{months}]), {', '.join(firsts)}) AS DATE)"


def hour_sql(value: str) -> str:
    """Hour of day 0-23 from ``13``, ``13:00`` or Meta's ``13:00:00 - 13:59:59``."""
    hour = f"try_cast(regexp_extract({value}, '^(\\d{{1,2}})', 1) AS INTEGER)"
    return f"CASE WHEN {hour} BETWEEN 0 AND 23 THEN {hour} END"


# --- per-file decisions --------------------------------------------------------------------

DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y.%m.%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%m/%d/%y",
    "%d/%m/%y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%A, %B %d, %Y",
    "%a, %b %d, %Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)
_DAY_FIRST = {"%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y"}
_MONTH_FIRST = {"%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y"}


@dataclass(frozen=True)
class DateFormat:
    """The date format(s) a file uses, and whether day/month order had to be assumed."""

    formats: list[str]
    ambiguous: bool = False
    note: str | None = None

    @property
    def display(self) -> str:
        return " or ".join(human_format(f) for f in self.formats)


def human_format(fmt: str) -> str:
    """``%m/%d/%Y`` -> ``M/D/YYYY``: how people write date formats.

    >>> human_format("%d.%m.%Y")
    'DD.MM.YYYY'
    """
    for code, text in (("%Y", "YYYY"), ("%y", "YY"), ("%m", "MM"), ("%d", "DD"), ("%B", "Month")):
        fmt = fmt.replace(code, text)
    fmt = fmt.replace("%A", "Weekday").replace("%a", "Wkd")
    return fmt.replace("%b", "Mon").replace("%H:%M:%S", "hh:mm:ss")


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def infer_date_format(values: list[str], *, day_first: bool = False) -> DateFormat | None:
    """Decide a file's date format from its values (never per row).

    >>> infer_date_format(["1/2/2025", "1/13/2025"]).formats
    ['%m/%d/%Y']
    >>> f = infer_date_format(["1/2/2025", "3/4/2025"])
    >>> f.formats, f.ambiguous
    (['%m/%d/%Y'], True)
    """
    cleaned = (v.strip().split(" ")[0] if "/" in v else v.strip() for v in values if v.strip())
    sample = list(dict.fromkeys(cleaned))[:400]  # distinct values decide; order kept
    if not sample:
        return None
    hits = {fmt: sum(1 for v in sample if _parses(v, fmt)) for fmt in DATE_FORMATS}
    best = max(hits.values())
    if best == 0:
        return None
    winners = [f for f in DATE_FORMATS if hits[f] == best]
    primary = winners[0]
    ambiguous = False
    note = None
    if primary in _DAY_FIRST | _MONTH_FIRST:
        twin = _twin(primary)
        if twin in winners:
            ambiguous = True
            primary = _pick_order(primary, twin, day_first)
            note = (
                f"every date fits both {human_format(primary)} and {human_format(_twin(primary))}; "
                f"read as {human_format(primary)}"
            )
    formats = [primary]
    for fmt in DATE_FORMATS:
        others = hits[fmt] and fmt not in formats and fmt != _twin(primary)
        if others and not any(_parses(v, primary) for v in sample if _parses(v, fmt)):
            formats.append(fmt)
    return DateFormat(formats, ambiguous, note)


def settle_date_order(
    fmt: DateFormat, first_max: int | None, second_max: int | None
) -> DateFormat | None:
    """Decide D/M vs M/D from the largest first and second number in every date.

    >>> settle_date_order(DateFormat(["%m/%d/%Y"], ambiguous=True), 12, 25).formats
    ['%m/%d/%Y']
    >>> settle_date_order(DateFormat(["%m/%d/%Y"], ambiguous=True), 25, 12).formats
    ['%d/%m/%Y']
    >>> settle_date_order(DateFormat(["%m/%d/%Y"], ambiguous=True), 12, 12) is None
    True
    """
    primary = fmt.formats[0]
    day_first = primary.startswith("%d")
    if first_max and first_max > 12:  # the first number is a day
        decided = primary if day_first else _twin(primary)
    elif second_max and second_max > 12:  # the second number is a day
        decided = _twin(primary) if day_first else primary
    else:
        return None
    return DateFormat([decided, *fmt.formats[1:]])


def _twin(fmt: str) -> str:
    swap = {"%m": "%d", "%d": "%m"}
    return re.sub(r"%[md]", lambda m: swap[m.group(0)], fmt)


def _pick_order(a: str, b: str, day_first: bool) -> str:
    wanted = _DAY_FIRST if day_first else _MONTH_FIRST
    return a if a in wanted else b


def infer_decimal(values: list[str], delimiter: str) -> Decimal:
    """Decide whether a file writes ``1,234.56`` or ``1.234,56`` (or ``1 234,56``).

    >>> infer_decimal(["1 234,56", "310,00"], ";")
    ','
    >>> infer_decimal(["1,234", "2,064.48"], ",")
    '.'
    """
    comma = dot = 0
    for raw in values:
        v = re.sub(r"[^\d.,]", "", raw)
        if re.fullmatch(r"\d{1,3}(\.\d{3})+,\d+|\d+,\d{1,2}", v):
            comma += 1
        elif re.fullmatch(r"\d{1,3}(,\d{3})+\.\d+|\d+\.\d{1,2}", v):
            dot += 1
    if comma > dot:
        return ","
    if dot > comma:
        return "."
    return "," if delimiter == ";" else "."
