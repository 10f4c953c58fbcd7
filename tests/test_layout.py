"""Finding the table in an export: header, delimiter, footers, and the reporting period."""

from __future__ import annotations

from datetime import date

import pytest

from adlens.errors import UnreadableFileError
from adlens.ingest.layout import find_layout, find_period, is_footer_row
from adlens.ingest.platforms import registry

KNOWN = registry.known_headers()


def layout_of(text: str):  # type: ignore[no-untyped-def]
    lines = text.splitlines()
    return find_layout(lines, lines, 1, KNOWN)


def test_title_lines_header_and_totals() -> None:
    found = layout_of(
        'Campaign report\n"January 1, 2025 - January 2, 2025"\n'
        "Day,Campaign,Cost,Impr.\n2025-01-01,A,1.00,10\n"
        "Total: Campaigns,--,1.00,10\nTotal: Account,,1.00,10\n"
    )
    assert (found.delimiter, found.header_line, found.first_data_line) == (",", 3, 4)
    assert found.preamble == ["Campaign report", '"January 1, 2025 - January 2, 2025"']
    assert found.footer_lines == [5, 6]
    assert [row[0] for row in found.footer_rows] == ["Total: Campaigns", "Total: Account"]


def test_sep_line_names_the_delimiter() -> None:
    found = layout_of("sep=;\nNom de la campagne;Impressions;Montant dépensé (EUR)\nA;1;2,5\n")
    assert (found.delimiter, found.sep_line, found.header_line, found.preamble) == (
        ";",
        True,
        2,
        [],
    )


def test_a_row_wider_than_usual_does_not_widen_the_table() -> None:
    found = layout_of("Day,Campaign,Cost\n2025-01-01,A,1\n2025-01-02,B,2,surplus\n2025-01-03,C,3\n")
    assert found.column_count == 3


def test_trailing_delimiters_on_every_row_are_one_more_column() -> None:
    found = layout_of("Day,Campaign,Cost\n2025-01-01,A,1,\n2025-01-02,B,2,\n")
    assert found.column_count == 4


def test_unknown_headers_fall_back_to_the_table_shape() -> None:
    found = layout_of("report\n\nDatum;Partner;Betrag\n01.01.2025;A;1,5\n02.01.2025;B;2,5\n")
    assert (found.delimiter, found.header_line, found.headers) == (
        ";",
        3,
        ["Datum", "Partner", "Betrag"],
    )


def test_no_table_at_all() -> None:
    with pytest.raises(UnreadableFileError, match="no table found"):
        layout_of("just a sentence\nand another one\n")


@pytest.mark.parametrize(
    ("cells", "footer"),
    [
        (["Total: Account", "", "USD"], True),
        (["Total", "12"], True),
        (["", "", "Grand total", "5965"], True),
        (["Gesamt: Konto", "", "EUR"], True),
        (["©2025 Microsoft Corporation. All rights reserved. "], True),
        (["2025-01-01", "Total Recall", "12"], False),
        (["Brand", "Totally", "12"], False),
    ],
)
def test_footer_rows(cells: list[str], footer: bool) -> None:
    assert is_footer_row(cells) is footer


@pytest.mark.parametrize(
    ("preamble", "start", "end"),
    [
        (['"January 1, 2025 - January 31, 2025"'], date(2025, 1, 1), date(2025, 1, 31)),
        (["Feb 3, 2025 - Mar 2, 2025"], date(2025, 2, 3), date(2025, 3, 2)),
        (["2025-01-01 - 2025-01-07"], date(2025, 1, 1), date(2025, 1, 7)),
        (['"Report Start: 3/1/2025, Report End: 3/14/2025"'], date(2025, 3, 1), date(2025, 3, 14)),
        (['"Report Time: 3/1/2025, 3/2/2025"'], date(2025, 3, 1), date(2025, 3, 2)),
        (["# Start date: 20250301", "# End date: 20250302"], date(2025, 3, 1), date(2025, 3, 2)),
        (["Campaign report", "All time"], None, None),
    ],
)
def test_reporting_period_from_title_lines(
    preamble: list[str], start: date | None, end: date | None
) -> None:
    period = find_period(preamble)
    assert period is not None
    assert (period.start, period.end, period.unbounded) == (start, end, start is None)


def test_no_period_stated() -> None:
    assert find_period(["Campaign report"]) is None
