"""Messy cell values -> numbers and dates, checked through DuckDB as the pipeline runs them."""

from __future__ import annotations

import duckdb
import pytest

from adlens.ingest.values import (
    BOUNDED,
    GROUPED,
    INVALID,
    OTHER_CONVENTION,
    PLAIN,
    STRIPPED,
    cell,
    date_sql,
    hour_sql,
    infer_date_format,
    infer_decimal,
    number_sql,
    plain_number_sql,
)


def parse_number(raw: str | None, decimal: str, percent: bool = False) -> tuple[float | None, int]:
    value = cell("c")
    plain = plain_number_sql(value, decimal, percent=percent)  # type: ignore[arg-type]
    kind, number = number_sql(value, "n", "k", decimal)  # type: ignore[arg-type]
    sql = (
        f"SELECT {number}, k FROM (SELECT *, {kind} AS k FROM "
        f"(SELECT {plain} AS n, c FROM (SELECT ?::VARCHAR AS c)))"
    )
    got = duckdb.execute(sql, [raw]).fetchall()
    return got[0][0], got[0][1]


@pytest.mark.parametrize(
    ("raw", "decimal", "expected", "kind"),
    [
        ("873", ".", 873.0, PLAIN),
        ("359.02", ".", 359.02, PLAIN),
        ("12,410", ".", 12410.0, GROUPED),
        ("2,064.48", ".", 2064.48, GROUPED),
        (" --", ".", None, None),
        ("--", ".", None, None),
        ("", ".", None, None),
        ("$1,234.50", ".", 1234.5, STRIPPED),
        ("USD 99", ".", 99.0, STRIPPED),
        ("£ 12.00", ".", 12.0, STRIPPED),
        ("US$13.50", ".", 13.5, STRIPPED),
        ("A$ 1,250.00", ".", 1250.0, STRIPPED),
        ("R$ 1.250,00", ",", 1250.0, STRIPPED),
        ("₹1,25,000", ".", None, INVALID),  # lakh grouping is not a thousands grouping
        ("₹125,000.50", ".", 125000.5, STRIPPED),
        ("1.5E3", ".", 1500.0, PLAIN),
        ("1.234,56", ".", 1234.56, OTHER_CONVENTION),
        ("310,00", ".", 310.0, OTHER_CONVENTION),
        ("< 10%", ".", None, BOUNDED),
        ("> 90%", ".", None, BOUNDED),
        ("abc", ".", None, INVALID),
        ("1,5", ".", 1.5, OTHER_CONVENTION),
        ("nan", ".", None, INVALID),
        ("inf", ".", None, INVALID),
        ("-5.00", ".", -5.0, PLAIN),
        ("310,00", ",", 310.0, GROUPED),
        ("1 234,56", ",", 1234.56, STRIPPED),
        ("1.234,56", ",", 1234.56, GROUPED),
        ("1.234", ",", 1234.0, GROUPED),
        ("37", ",", 37.0, PLAIN),
        ("98 765", ",", 98765.0, STRIPPED),
        ("12.50", ",", 12.5, OTHER_CONVENTION),
        ("1,234.50", ",", 1234.5, OTHER_CONVENTION),
        ("EUR 45,10", ",", 45.1, STRIPPED),
    ],
)
def test_number_cells(raw: str, decimal: str, expected: float | None, kind: int | None) -> None:
    assert parse_number(raw, decimal) == (pytest.approx(expected) if expected else expected, kind)


def test_percent_cells_take_the_fast_path() -> None:
    assert parse_number("7.03%", ".", percent=True) == (pytest.approx(7.03), PLAIN)


@pytest.mark.parametrize(
    ("raw", "formats", "expected"),
    [
        ("2025-03-01", ["%Y-%m-%d"], "2025-03-01"),
        ("2025/03/01", ["%Y/%m/%d"], "2025-03-01"),
        ("20250301", ["%Y%m%d"], "2025-03-01"),
        ("3/1/2025", ["%m/%d/%Y"], "2025-03-01"),
        ("3/1/2025 12:00:00 AM", ["%m/%d/%Y"], "2025-03-01"),
        ("1.3.2025", ["%d.%m.%Y"], "2025-03-01"),
        ("n/a", ["%Y-%m-%d"], None),
        ("2025-02-30", ["%Y-%m-%d"], None),
    ],
)
def test_date_cells(raw: str, formats: list[str], expected: str | None) -> None:
    got = duckdb.execute(
        f"SELECT CAST({date_sql('c', formats)} AS VARCHAR) FROM (SELECT ? AS c)", [raw]
    )
    assert got.fetchall() == [(expected,)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("13", 13), ("13:00", 13), ("13:00:00 - 13:59:59", 13), ("0", 0), ("24", None), ("x", None)],
)
def test_hour_cells(raw: str, expected: int | None) -> None:
    assert duckdb.execute(f"SELECT {hour_sql('c')} FROM (SELECT ? AS c)", [raw]).fetchall() == [
        (expected,)
    ]


@pytest.mark.parametrize(
    ("values", "day_first", "formats", "ambiguous"),
    [
        (["2025-03-01", "2025-03-02"], False, ["%Y-%m-%d"], False),
        (["3/1/2025", "3/14/2025"], False, ["%m/%d/%Y"], False),
        (["14/3/2025", "1/3/2025"], False, ["%d/%m/%Y"], False),
        (["3/1/2025", "3/2/2025"], False, ["%m/%d/%Y"], True),
        (["3/1/2025", "3/2/2025"], True, ["%d/%m/%Y"], True),
        (["20250301"], False, ["%Y%m%d"], False),
        (["2025-03-01", "3/14/2025"], False, ["%Y-%m-%d", "%m/%d/%Y"], False),
        (["Wednesday, January 1, 2025"], False, ["%A, %B %d, %Y"], False),
        (["Wed, Jan 1, 2025"], False, ["%a, %b %d, %Y"], False),
        (["02-Jan-2025", "13-Feb-2025"], False, ["%d-%b-%Y"], False),
    ],
)
def test_date_format_is_decided_per_file(
    values: list[str], day_first: bool, formats: list[str], ambiguous: bool
) -> None:
    decided = infer_date_format(values, day_first=day_first)
    assert decided is not None
    assert (decided.formats, decided.ambiguous) == (formats, ambiguous)


def test_no_date_format_for_text() -> None:
    assert infer_date_format(["Campaign", "n/a"]) is None
    assert infer_date_format([]) is None


@pytest.mark.parametrize(
    ("values", "delimiter", "expected"),
    [
        (["1 234,56", "310,00"], ";", ","),
        (["1,234.56", "2.50"], ",", "."),
        (["12", "13"], ";", ","),
        (["12", "13"], ",", "."),
        (['"1.204"', "45,10"], ",", ","),
    ],
)
def test_decimal_mark_is_decided_per_file(values: list[str], delimiter: str, expected: str) -> None:
    assert infer_decimal(values, delimiter) == expected
