"""The demo exports look like the real platform files and carry the planted events."""

from __future__ import annotations

import codecs
import csv
import io
import re
import statistics
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from adlens.demo_data import (
    GA4,
    GOOGLE_DAILY,
    GOOGLE_EXCEL,
    LINKEDIN,
    META_DAILY,
    META_FR_RANGE,
    MICROSOFT_DAILY,
    MIN_DAYS,
    PLANTED,
    TIKTOK_DAILY,
    write_demo_exports,
)

END = date(2025, 8, 31)
DAYS = 60
START = END - timedelta(days=DAYS - 1)
ALL_FILES = [GA4, GOOGLE_DAILY, GOOGLE_EXCEL, LINKEDIN, META_DAILY, META_FR_RANGE, MICROSOFT_DAILY,
             TIKTOK_DAILY]  # fmt: skip
GOOGLE_HEADER = [
    "Day", "Campaign", "Campaign ID", "Campaign status", "Campaign type", "Currency code",
    "Impr.", "Clicks", "CTR", "Avg. CPC", "Cost", "Conversions", "Conv. value", "Cost / conv.",
]  # fmt: skip
ADDITIVE = ["Impr.", "Clicks", "Cost", "Conversions", "Conv. value"]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    paths = write_demo_exports(tmp_path_factory.mktemp("demo"), end_date=END, days=DAYS)
    return {path.name: path for path in paths}


def number(text: str) -> Decimal:
    """12,410 / 2.26% / 1,234.56 -> Decimal."""
    return Decimal(text.strip().rstrip("%").replace(",", ""))


def french_number(text: str) -> Decimal:
    """1 234,56 -> Decimal."""
    return Decimal(text.replace(" ", "").replace(",", "."))


def table(path: Path, first_column: str, *, encoding: str = "utf-8", sep: str = ",") -> list[
    dict[str, str]
]:  # fmt: skip
    """Rows after the header that starts with first_column, up to the first blank line."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding)), delimiter=sep))
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_column)
    header, records = rows[start], []
    for row in rows[start + 1 :]:
        if not row:
            break
        records.append(dict(zip(header, row, strict=True)))
    return records


def google_table(path: Path) -> list[dict[str, str]]:
    if path.name == GOOGLE_EXCEL:
        return table(path, "Day", encoding="utf-16", sep="\t")
    return table(path, "Day")


def body_and_totals(path: Path) -> tuple[list[dict[str, str]], dict[str, dict[str, str]]]:
    rows = google_table(path)
    body = [row for row in rows if not row["Day"].startswith("Total:")]
    totals = {row["Day"]: row for row in rows if row["Day"].startswith("Total:")}
    return body, totals


def test_writes_one_export_per_platform_sorted(tmp_path: Path) -> None:
    paths = write_demo_exports(tmp_path / "out", end_date=END)
    assert paths == sorted(tmp_path / "out" / name for name in ALL_FILES)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(ALL_FILES)


def test_same_seed_is_byte_identical_and_another_seed_differs(tmp_path: Path) -> None:
    def contents(folder: str, seed: int) -> dict[str, bytes]:
        paths = write_demo_exports(tmp_path / folder, end_date=END, seed=seed)
        return {path.name: path.read_bytes() for path in paths}

    first, again, other = contents("a", 7), contents("b", 7), contents("c", 8)
    assert first == again
    assert all(first[name] != other[name] for name in ALL_FILES)


def test_default_end_date_is_yesterday(tmp_path: Path) -> None:
    write_demo_exports(tmp_path)
    yesterday = date.today() - timedelta(days=1)
    assert f"# End date: {yesterday:%Y%m%d}" in (tmp_path / GA4).read_text().splitlines()


def test_too_short_a_period_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=f"at least {MIN_DAYS}"):
        write_demo_exports(tmp_path, end_date=END, days=MIN_DAYS - 1)


def test_google_daily_has_title_lines_and_quoted_thousands(exports: dict[str, Path]) -> None:
    lines = exports[GOOGLE_DAILY].read_text().splitlines()
    assert lines[:3] == [
        "Campaign report",
        '"July 3, 2025 - August 31, 2025"',
        ",".join(GOOGLE_HEADER),
    ]
    assert re.search(r',"\d{1,3},\d{3}",', lines[3])  # Impr. such as "12,410"
    body, _ = body_and_totals(exports[GOOGLE_DAILY])
    assert {row["Currency code"] for row in body} == {"USD"}
    assert all(row["CTR"].endswith("%") or row["CTR"] == " --" for row in body)
    assert any(number(row["Conversions"]) % 1 for row in body)  # fractional conversions


def test_google_excel_csv_is_utf16le_with_bom_tabs_and_crlf(exports: dict[str, Path]) -> None:
    raw = exports[GOOGLE_EXCEL].read_bytes()
    assert raw.startswith(codecs.BOM_UTF16_LE)
    text = raw[len(codecs.BOM_UTF16_LE) :].decode("utf-16-le")
    lines = text.split("\r\n")
    assert "\n" not in text.replace("\r\n", "") and lines[-1] == ""
    assert lines[:3] == [
        "Campaign report",
        "July 3, 2025 - August 31, 2025",
        "\t".join(GOOGLE_HEADER),
    ]
    assert '"' not in text
    cells = [cell for line in lines[3:] for cell in line.split("\t")]
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+", cell) for cell in cells)  # unquoted 12,410
    body, _ = body_and_totals(exports[GOOGLE_EXCEL])
    assert {row["Currency code"] for row in body} == {"GBP"}
    assert all(row["Day"] != "n/a" for row in body)  # no planted problems here


@pytest.mark.parametrize("name", [GOOGLE_DAILY, GOOGLE_EXCEL])
def test_google_total_rows_equal_the_sum_of_the_body(exports: dict[str, Path], name: str) -> None:
    body, totals = body_and_totals(exports[name])
    assert list(totals)[:2] == ["Total: Campaigns", "Total: Account"]
    expected = {
        column: sum((number(row[column]) for row in body), Decimal(0)) for column in ADDITIVE
    }
    for label in ("Total: Campaigns", "Total: Account"):
        assert {column: number(totals[label][column]) for column in ADDITIVE} == expected
        ctr = expected["Clicks"] / expected["Impr."] * 100
        assert abs(number(totals[label]["CTR"]) - ctr) < Decimal("0.006")
    by_type = [
        row for label, row in totals.items() if label not in ("Total: Campaigns", "Total: Account")
    ]
    assert {row["Campaign type"] for row in by_type} == {"Search", "Performance Max"}
    for column in ADDITIVE:
        assert sum(number(row[column]) for row in by_type) == expected[column]


def test_google_bad_day_is_rejectable_but_counted_in_the_totals(exports: dict[str, Path]) -> None:
    event = PLANTED["google_bad_day"]
    body, totals = body_and_totals(exports[GOOGLE_DAILY])
    bad = [row for row in body if row["Day"] == "n/a"]
    assert [row["Campaign"] for row in bad] == [event.target]
    (bad_day,) = event.dates(END)
    assert {row["Campaign"] for row in body if row["Day"] == bad_day.isoformat()} == {
        "Brand_US_Search", "Summer_Sale_2025_US_Search", "PMax_US",
    }  # fmt: skip
    valid_cost = sum(number(row["Cost"]) for row in body if row["Day"] != "n/a")
    assert number(totals["Total: Account"]["Cost"]) - valid_cost == number(bad[0]["Cost"]) > 0


def test_google_tracking_outage_zeroes_conversions_while_clicks_hold(
    exports: dict[str, Path],
) -> None:
    outage = {day.isoformat() for day in PLANTED["google_tracking_outage"].dates(END)}
    body, _ = body_and_totals(exports[GOOGLE_DAILY])
    enabled = [row for row in body if row["Campaign status"] == "Enabled"]
    during = [row for row in enabled if row["Day"] in outage]
    assert len(during) == 8
    assert all(row["Conversions"] == "0.00" and row["Cost / conv."] == " --" for row in during)
    assert all(number(row["Conversions"]) > 0 for row in enabled if row["Day"] not in outage)
    daily_clicks = Counter[str]()
    for row in enabled:
        daily_clicks[row["Day"]] += int(number(row["Clicks"]))
    usual = statistics.median(daily_clicks.values())
    assert all(0.7 * usual < daily_clicks[day] < 1.3 * usual for day in outage)


def test_google_paused_campaign_has_zero_rows_with_empty_ratios(exports: dict[str, Path]) -> None:
    paused = {day.isoformat() for day in PLANTED["google_pmax_paused"].dates(END)}
    body, _ = body_and_totals(exports[GOOGLE_DAILY])
    rows = [row for row in body if row["Campaign"] == "PMax_US" and row["Day"] in paused]
    assert [row["Campaign status"] for row in rows] == ["Paused"] * 3
    assert {(row["Impr."], row["Clicks"], row["CTR"], row["Avg. CPC"]) for row in rows} == {
        ("0", "0", " --", " --")
    }
    assert all(row["Campaign status"] == "Enabled" for row in body if row["Day"] not in paused)


def test_meta_daily_has_bom_header_and_one_row_per_ad_and_day(exports: dict[str, Path]) -> None:
    raw = exports[META_DAILY].read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    first_line = raw[len(codecs.BOM_UTF8) :].decode().splitlines()[0]
    assert first_line.startswith("Day,Account ID,Account name,Campaign name,Campaign ID,")
    assert "Amount spent (USD)" in first_line and first_line.endswith("Reporting ends")
    rows = table(exports[META_DAILY], "Day", encoding="utf-8-sig")
    assert Counter(row["Day"] for row in rows) == {
        (START + timedelta(days=i)).isoformat(): 6 for i in range(DAYS)
    }
    assert all(row["Reporting starts"] == row["Reporting ends"] == row["Day"] for row in rows)
    assert not any(row["Day"].startswith("Total") for row in rows)
    assert re.search(r',"\d{1,3},\d{3}(\.\d\d)?",', raw.decode("utf-8-sig"))
    no_link = {row["Ad name"] for row in rows if row["Link clicks"] == ""}
    assert no_link == {"Brand video"}


def test_meta_spend_spike_is_about_three_times_a_normal_day(exports: dict[str, Path]) -> None:
    event = PLANTED["meta_spend_spike"]
    rows = table(exports[META_DAILY], "Day", encoding="utf-8-sig")
    spend: defaultdict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row["Campaign name"] == event.target:
            spend[row["Day"]] += number(row["Amount spent (USD)"])
    (spike,) = (day.isoformat() for day in event.dates(END))
    usual = statistics.median(value for day, value in spend.items() if day != spike)
    assert Decimal("2.5") * usual < spend[spike] < 4 * usual
    assert max(spend, key=spend.__getitem__) == spike


def test_meta_campaign_spelled_two_ways_on_different_days(exports: dict[str, Path]) -> None:
    event = PLANTED["meta_campaign_spelling"]
    rows = table(exports[META_DAILY], "Day", encoding="utf-8-sig")
    odd = [row for row in rows if row["Campaign name"] == event.target.lower()]
    assert {row["Day"] for row in odd} == {day.isoformat() for day in event.dates(END)}
    canonical = [row for row in rows if row["Campaign name"] == event.target]
    assert {row["Day"] for row in odd}.isdisjoint(row["Day"] for row in canonical)
    assert {row["Campaign ID"] for row in odd} == {row["Campaign ID"] for row in canonical}


def test_french_meta_range_export(exports: dict[str, Path]) -> None:
    text = exports[META_FR_RANGE].read_text()
    lines = text.splitlines()
    assert lines[:2] == [
        "sep=;",
        "Nom de la campagne;Nom de l'ensemble de publicités;Montant dépensé (EUR);Impressions;"
        "Couverture;Clics sur un lien;Résultats;Indicateur de résultats;Début des rapports;"
        "Fin des rapports",
    ]
    assert re.search(r';"\d{1,3}( \d{3})+,\d\d";', text)  # "1 234,56"
    rows = table(exports[META_FR_RANGE], "Nom de la campagne", sep=";")
    assert len(rows) == 3
    for row in rows:
        assert (row["Début des rapports"], row["Fin des rapports"]) == (str(START), str(END))
        assert re.fullmatch(r"\d{1,3}( \d{3})*,\d\d", row["Montant dépensé (EUR)"])
        assert french_number(row["Couverture"]) <= french_number(row["Impressions"])
    assert {row["Nom de la campagne"] for row in rows} == {"Soldes d'été 2025", "Notoriété marque"}


def test_tiktok_has_slash_dates_and_exactly_one_duplicate_row(exports: dict[str, Path]) -> None:
    lines = exports[TIKTOK_DAILY].read_text().splitlines()
    assert lines[0].startswith("By Day,Campaign name,Campaign ID,Ad group name,Ad name,")
    for column in ("Cost", "Clicks (destination)", "Conversions", "Total complete payment value"):
        assert column in lines[0].split(",")
    assert all(re.match(r"\d{4}/\d\d/\d\d,", line) for line in lines[1:])
    duplicates = [line for line, count in Counter(lines).items() if count > 1]
    (day,) = PLANTED["tiktok_duplicate_row"].dates(END)
    assert len(duplicates) == 1
    assert duplicates[0].startswith(f"{day:%Y/%m/%d},summer_sale_2025_tt,")
    assert ",UGC video 1," in duplicates[0]


def test_linkedin_preamble_and_us_dates(exports: dict[str, Path]) -> None:
    lines = exports[LINKEDIN].read_text().splitlines()
    assert lines[:3] == [
        "Campaign Performance Report (in UTC)",
        '"Report Start: 7/3/2025, Report End: 8/31/2025"',
        "",
    ]
    rows = table(exports[LINKEDIN], "Start Date (in UTC)")
    assert rows[0]["Start Date (in UTC)"] == rows[0]["End Date (in UTC)"] == "7/3/2025"
    assert {row["Campaign Group Name"] for row in rows} == {"Summer Sale 2025", "Always-on Brand"}
    assert {row["Currency"] for row in rows} == {"USD"}


def test_microsoft_preamble_row_count_and_footer(exports: dict[str, Path]) -> None:
    lines = exports[MICROSOFT_DAILY].read_text().splitlines()
    blank = lines.index("")
    assert blank == 9 and all(line.startswith('"') and line.endswith('"') for line in lines[:9])
    assert '"Report Aggregation: Daily"' in lines[:9]
    data = lines[blank + 2 : lines.index("", blank + 1)]
    assert lines[8] == f'"Rows: {len(data)}"' and len(data) == 2 * DAYS
    assert all(line.startswith('"') and line.endswith('"') for line in data)
    assert lines[-2:] == ["", '"©2025 Microsoft Corporation. All rights reserved. "']
    rows = table(exports[MICROSOFT_DAILY], "Gregorian date")
    assert rows[0]["Gregorian date"] == "7/3/2025"
    assert {row["Campaign name"] for row in rows} == {"Summer Sale 2025 - Bing", "Brand - Bing"}


def test_ga4_preamble_sources_and_grand_total(exports: dict[str, Path]) -> None:
    lines = exports[GA4].read_text().splitlines()
    assert "# Start date: 20250703" in lines and "# End date: 20250831" in lines
    rows = table(exports[GA4], "Date")
    *body, total = rows
    assert (total["Date"], total["Session source / medium"], total["Session campaign"]) == (
        "", "", "Grand total",
    )  # fmt: skip
    for column in ("Sessions", "Engaged sessions", "Key events", "Total revenue"):
        assert number(total[column]) == sum(number(row[column]) for row in body)
    assert {row["Session source / medium"] for row in body} == {
        "google / cpc", "facebook / paid_social", "tiktok / paid_social", "linkedin / paid_social",
        "bing / cpc", "(direct) / (none)", "google / organic", "l.instagram.com / referral",
        "newsletter / email",
    }  # fmt: skip
    assert {row["Date"] for row in body} == {
        f"{START + timedelta(days=i):%Y%m%d}" for i in range(DAYS)
    }
    outage = {f"{day:%Y%m%d}" for day in PLANTED["google_tracking_outage"].dates(END)}
    google_during = [
        r for r in body if r["Date"] in outage and r["Session source / medium"] == "google / cpc"
    ]
    assert sum(int(r["Key events"]) for r in google_during) > 0  # GA4 still tracks conversions


def test_summer_sale_runs_on_every_platform_under_its_own_spelling(
    exports: dict[str, Path],
) -> None:
    campaigns = {
        GOOGLE_DAILY: {row["Campaign"] for row in google_table(exports[GOOGLE_DAILY])},
        META_DAILY: {
            r["Campaign name"] for r in table(exports[META_DAILY], "Day", encoding="utf-8-sig")
        },
        TIKTOK_DAILY: {row["Campaign name"] for row in table(exports[TIKTOK_DAILY], "By Day")},
        LINKEDIN: {
            row["Campaign Group Name"] for row in table(exports[LINKEDIN], "Start Date (in UTC)")
        },
        MICROSOFT_DAILY: {
            r["Campaign name"] for r in table(exports[MICROSOFT_DAILY], "Gregorian date")
        },
        GA4: {row["Session campaign"] for row in table(exports[GA4], "Date")},
    }
    assert "Summer_Sale_2025_US_Search" in campaigns[GOOGLE_DAILY]
    assert {"Summer Sale 2025 | Prospecting", "Summer Sale 2025 | Retargeting"} <= campaigns[
        META_DAILY
    ]
    assert "summer_sale_2025_tt" in campaigns[TIKTOK_DAILY]
    assert "Summer Sale 2025" in campaigns[LINKEDIN]
    assert "Summer Sale 2025 - Bing" in campaigns[MICROSOFT_DAILY]
    assert "summer_sale_2025" in campaigns[GA4]


# file, first header cell, spend, impressions, clicks, conversions, conversion value
PERFORMANCE_COLUMNS = [
    (GOOGLE_DAILY, "Day", "Campaign", "Cost", "Impr.", "Clicks", "Conversions", "Conv. value"),
    (META_DAILY, "Day", "Campaign ID", "Amount spent (USD)", "Impressions", "Link clicks",
     "Purchases", "Purchases conversion value"),
    (TIKTOK_DAILY, "By Day", "Campaign name", "Cost", "Impressions", "Clicks (destination)",
     "Conversions", "Total complete payment value"),
    (LINKEDIN, "Start Date (in UTC)", "Campaign Name", "Total Spent", "Impressions", "Clicks",
     "Conversions", "Total Conversion Value"),
    (MICROSOFT_DAILY, "Gregorian date", "Campaign name", "Spend", "Impressions", "Clicks",
     "Conversions", "Revenue"),
]  # fmt: skip


@pytest.mark.parametrize("columns", PERFORMANCE_COLUMNS, ids=lambda c: str(c[0]))
def test_campaign_economics_are_believable(
    exports: dict[str, Path], columns: tuple[str, ...]
) -> None:
    name, first, campaign, *metrics = columns
    encoding = "utf-8-sig" if name == META_DAILY else "utf-8"
    rows = [r for r in table(exports[name], first, encoding=encoding) if r[first] != "n/a"]
    rows = [r for r in rows if not r[first].startswith("Total") and r[metrics[2]]]
    totals: dict[str, list[Decimal]] = {}
    for row in rows:
        values = [number(row[column]) for column in metrics]
        before = totals.get(row[campaign], [Decimal(0)] * 5)
        totals[row[campaign]] = [a + b for a, b in zip(before, values, strict=True)]
    for spend, impressions, clicks, conversions, value in totals.values():
        assert clicks <= impressions
        assert Decimal("0.5") <= clicks / impressions * 100 <= 8
        assert Decimal("0.3") <= spend / clicks <= 5
        if conversions:  # brand-awareness lines do not convert
            assert Decimal("0.01") <= conversions / clicks <= Decimal("0.10")
            assert 1 <= value / spend <= 6


def test_weekends_differ_from_weekdays(exports: dict[str, Path]) -> None:
    def weekend_ratio(rows: list[dict[str, str]], day_of: str, spend: str) -> float:
        by_day: defaultdict[date, float] = defaultdict(float)
        for row in rows:
            month, day, year = map(int, row[day_of].split("/"))  # M/D/YYYY
            by_day[date(year, month, day)] += float(number(row[spend]))
        weekend = [v for d, v in by_day.items() if d.weekday() >= 5]
        weekday = [v for d, v in by_day.items() if d.weekday() < 5]
        return statistics.mean(weekend) / statistics.mean(weekday)

    linkedin = table(exports[LINKEDIN], "Start Date (in UTC)")
    assert weekend_ratio(linkedin, "Start Date (in UTC)", "Total Spent") < 0.6  # B2B rests
    microsoft = table(exports[MICROSOFT_DAILY], "Gregorian date")
    assert weekend_ratio(microsoft, "Gregorian date", "Spend") < 0.95


def test_every_planted_event_falls_inside_the_period_of_a_written_file() -> None:
    assert MIN_DAYS <= DAYS
    for event in PLANTED.values():
        assert event.file in ALL_FILES
        assert all(START <= day <= END for day in event.dates(END))
