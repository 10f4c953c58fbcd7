"""Ingest behaviour: idempotence, restatement, atomicity, bad inputs, lines, workbooks."""

from __future__ import annotations

import codecs
import gzip
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from adlens import fx
from adlens.errors import AdlensError, MappingError, UnknownLayoutError, UnreadableFileError
from adlens.ingest import ingest_file, inspect_file, load_mapping, pipeline
from adlens.ingest.source import archive_exports
from adlens.store import Store, open_store

from .conftest import EXPORTS, write

GOOGLE_HEADER = "Day,Account,Campaign,Currency code,Impr.,Clicks,Cost,Conversions"


def google_export(path: Path, rows: list[str], title: str = "Campaign report") -> Path:
    return write(path, "\n".join([title, '"March 1, 2025 - March 9, 2025"', GOOGLE_HEADER, *rows]))


def state(store: Store) -> dict[str, object]:
    """Everything a load may change, to compare before and after."""
    return {
        table: store.query(f"SELECT * FROM {table} ORDER BY ALL")
        for table in ("ad_performance", "sessions", "ingests", "rejects", "fx_rates")
    }


def totals(store: Store) -> dict[str, object]:
    return store.query(
        "SELECT count(*) AS rows, sum(spend) AS spend, sum(clicks) AS clicks FROM ad_performance"
    )[0]


# --- idempotence and restatement --------------------------------------------------------------


def test_loading_the_same_file_twice_adds_nothing(store: Store) -> None:
    first = ingest_file(store, EXPORTS / "google_ads_campaign_daily.csv")
    before = state(store)
    second = ingest_file(store, EXPORTS / "google_ads_campaign_daily.csv")
    assert (second.status, second.duplicate_of, second.rows_loaded) == (
        "duplicate",
        first.ingest_id,
        0,
    )
    assert "already loaded as ingest" in second.warnings[0]
    assert state(store) == before


def test_same_content_under_another_name_is_a_duplicate(store: Store, tmp_path: Path) -> None:
    ingest_file(store, EXPORTS / "tiktok_ads_daily.csv")
    renamed = tmp_path / "tiktok_copy.csv"
    renamed.write_bytes((EXPORTS / "tiktok_ads_daily.csv").read_bytes())
    assert ingest_file(store, renamed).status == "duplicate"


def test_a_newer_export_replaces_the_days_it_covers(store: Store, tmp_path: Path) -> None:
    old = google_export(
        tmp_path / "old.csv",
        [
            "2025-03-01,Acme,Brand,USD,1000,100,10.00,1",
            "2025-03-02,Acme,Brand,USD,1000,100,10.00,1",
            "2025-03-03,Acme,Brand,USD,1000,100,10.00,1",
        ],
    )
    new = google_export(
        tmp_path / "new.csv",
        [
            "2025-03-02,Acme,Brand,USD,1000,100,10.00,3",  # late conversions: restated
            "2025-03-03,Acme,Brand,USD,1000,100,10.00,1",  # unchanged
            "2025-03-04,Acme,Brand,USD,1000,100,20.00,2",  # a new day
        ],
    )
    ingest_file(store, old)
    report = ingest_file(store, new)
    assert (report.rows_replaced, report.rows_changed, report.days_restated) == (2, 1, 2)
    days = store.query("SELECT date, conversions, source_file FROM ad_performance ORDER BY date")
    assert days == [
        {"date": date(2025, 3, 1), "conversions": 1.0, "source_file": "old.csv"},
        {"date": date(2025, 3, 2), "conversions": 3.0, "source_file": "new.csv"},
        {"date": date(2025, 3, 3), "conversions": 1.0, "source_file": "new.csv"},
        {"date": date(2025, 3, 4), "conversions": 2.0, "source_file": "new.csv"},
    ]


DAILY = ["2025-03-01,Acme,Brand,USD,1000,100,10.00,1", "2025-03-02,Acme,Brand,USD,1000,100,10.00,1"]
SUMMARY_HEADER = "Account,Campaign,Currency code,Impr.,Clicks,Cost,Conversions"


def summary_export(path: Path, period: str, rows: list[str]) -> Path:
    """A Google Ads download without a Day segment: every row covers the title's period."""
    return write(path, "\n".join(["Campaign report", f'"{period}"', SUMMARY_HEADER, *rows]))


def spend_over(store: Store, first: str, last: str) -> float:
    from adlens.query import run_query

    request = {
        "measures": ["spend"],
        "timeDimensions": [{"dimension": "ts", "dateRange": [first, last]}],
    }
    return float(run_query(store, request).data[0]["spend"])


def test_a_summary_of_days_loaded_day_by_day_adds_nothing(store: Store, tmp_path: Path) -> None:
    ingest_file(store, google_export(tmp_path / "daily.csv", DAILY))
    before = state(store)
    summary = summary_export(
        tmp_path / "summary.csv",
        "March 1, 2025 - March 2, 2025",
        ["Acme,Brand,USD,2000,200,20.00,2"],
    )
    with pytest.raises(UnreadableFileError, match="nothing to add: every day its rows cover is"):
        ingest_file(store, summary)
    assert state(store) == before  # the totals were about to count Mar 1-2 twice
    assert spend_over(store, "2025-03-01", "2025-03-02") == 20.0


def test_summary_rows_covered_day_by_day_are_rejected_and_the_rest_load(
    store: Store, tmp_path: Path
) -> None:
    ingest_file(store, google_export(tmp_path / "daily.csv", DAILY))
    summary = summary_export(
        tmp_path / "summary.csv",
        "March 1, 2025 - March 2, 2025",
        ["Acme,Brand,USD,2000,200,20.00,2", "Beta,Generic,USD,500,50,5.00,1"],
    )
    report = ingest_file(store, summary)
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert [(r["source_row"], r["reason"]) for r in report.first_rejects] == [
        (
            4,
            "every day of its period is already loaded in finer rows (ingest 1): counting "
            "this row too would double its totals",
        )
    ]
    assert spend_over(store, "2025-03-01", "2025-03-02") == 25.0


def test_a_daily_export_replaces_the_summary_it_details(store: Store, tmp_path: Path) -> None:
    ingest_file(
        store,
        summary_export(
            tmp_path / "summary.csv",
            "March 1, 2025 - March 2, 2025",
            ["Acme,Brand,USD,2000,200,19.00,2"],
        ),
    )
    report = ingest_file(store, google_export(tmp_path / "daily.csv", DAILY))
    assert report.rows_replaced == 1
    assert any("range rows) replaced" in w for w in report.warnings)
    assert store.query("SELECT DISTINCT grain FROM ad_performance") == [{"grain": "day"}]
    assert spend_over(store, "2025-03-01", "2025-03-02") == 20.0


def test_weeks_inside_a_stored_month_are_loaded_with_a_warning(
    store: Store, tmp_path: Path
) -> None:
    # Neither covers the other: both are kept, and the load says totals count both.
    month = (
        "Month,Account,Campaign,Currency code,Impr.,Clicks,Cost\n"
        "2025-03-01,Acme,Brand,USD,9,9,90.00"
    )
    ingest_file(
        store,
        write(
            tmp_path / "month.csv", f'Campaign report\n"March 1, 2025 - March 31, 2025"\n{month}\n'
        ),
    )
    weeks = (
        "Week,Account,Campaign,Currency code,Impr.,Clicks,Cost\n2025-03-03,Acme,Brand,USD,3,3,20.00"
    )
    report = ingest_file(
        store,
        write(
            tmp_path / "week.csv", f'Campaign report\n"March 3, 2025 - March 9, 2025"\n{weeks}\n'
        ),
    )
    assert report.rows_loaded == 1
    assert any(
        "rows of this file (lines 4) overlap stored rows of another breakdown (ingest 1: "
        "2025-03-01 to 2025-03-31)" in w
        for w in report.warnings
    )


def test_an_all_time_summary_beside_daily_rows_is_warned_about(
    store: Store, tmp_path: Path
) -> None:
    # Its period is unknown, so nothing can be settled; totals over all time count both.
    ingest_file(store, google_export(tmp_path / "daily.csv", DAILY))
    other = summary_export(tmp_path / "other.csv", "All time", ["Beta,Generic,USD,5,1,1.00,0"])
    assert not any("known period" in w for w in ingest_file(store, other).warnings)
    summary = summary_export(tmp_path / "all.csv", "All time", ["Acme,Brand,USD,9,9,90.00,9"])
    report = ingest_file(store, summary)
    assert report.rows_loaded == 1
    assert any(
        w.startswith(
            "rows without a known period (All time) sit beside rows of the same account or "
            "campaign from ingest 1: totals over all time count both"
        )
        for w in report.warnings
    )


def test_restatement_is_per_account(store: Store, tmp_path: Path) -> None:
    ingest_file(store, google_export(tmp_path / "a.csv", ["2025-03-01,Acme,Brand,USD,10,1,1.00,0"]))
    report = ingest_file(
        store, google_export(tmp_path / "b.csv", ["2025-03-01,Other,Brand,USD,20,2,2.00,0"])
    )
    assert report.rows_replaced == 0
    assert totals(store)["rows"] == 2


def test_without_an_account_column_only_the_same_campaign_days_are_replaced(
    store: Store, tmp_path: Path
) -> None:
    header = "Day,Campaign,Currency code,Impr.,Clicks,Cost"
    us = write(tmp_path / "us.csv", f"{header}\n2025-03-01,Brand_US,USD,10,1,1.00\n")
    uk = write(tmp_path / "uk.csv", f"{header}\n2025-03-01,Brand_UK,USD,20,2,2.00\n")
    ingest_file(store, us)
    assert ingest_file(store, uk).rows_replaced == 0
    again = write(tmp_path / "us2.csv", f"{header}\n2025-03-01,Brand_US,USD,30,3,3.00\n")
    assert ingest_file(store, again).rows_replaced == 1
    assert totals(store) == {"rows": 2, "spend": 5.0, "clicks": 5}


def test_workspaces_do_not_see_each_others_loads(store: Store) -> None:
    ingest_file(store, EXPORTS / "tiktok_ads_daily.csv", workspace="a")
    report = ingest_file(store, EXPORTS / "tiktok_ads_daily.csv", workspace="b")
    assert report.status == "loaded"
    counts = store.query(
        "SELECT workspace, count(*) AS n FROM ad_performance GROUP BY 1 ORDER BY 1"
    )
    assert counts == [{"workspace": "a", "n": 3}, {"workspace": "b", "n": 3}]


# --- atomicity -----------------------------------------------------------------------------------


def test_a_failure_during_the_load_stores_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_file(store, EXPORTS / "meta_ads_daily.csv")
    before = state(store)

    def broken(*args: object, **kwargs: object) -> dict[str, object]:
        raise RuntimeError("disk full while scoring")

    monkeypatch.setattr(pipeline.quality, "score", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_file(store, EXPORTS / "tiktok_ads_daily.csv")
    assert state(store) == before
    monkeypatch.undo()
    assert ingest_file(store, EXPORTS / "tiktok_ads_daily.csv").rows_loaded == 3


# --- files that cannot be read --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "error", "words"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), UnreadableFileError, "binary"),
        (b"", UnreadableFileError, "empty"),
        (b"\n\n  \n", UnreadableFileError, "blank"),
        (
            b'Campaign report\n"March 1, 2025 - March 2, 2025"\n' + GOOGLE_HEADER.encode() + b"\n",
            UnreadableFileError,
            "no data rows",
        ),
        (
            b"Campaign,Campaign ID,Campaign status,Budget,Bid strategy type\n"
            b"Brand_US,1,Enabled,25.00,Manual CPC\n",
            UnreadableFileError,
            "no performance metrics",
        ),
        (
            b"Name,Colour,Weight\nApple,red,120\nPear,green,150\n",
            UnknownLayoutError,
            "--mapping",
        ),
        (
            b"Day,Campaign,Currency code,Impr.,Clicks,Cost\n"
            b"n/a,Brand,USD,1,1,1\nx,Brand,USD,1,1,1\n",
            UnreadableFileError,
            "none of its 2 rows could be loaded",
        ),
    ],
    ids=["binary", "empty", "blank", "header-only", "settings-export", "unknown", "all-bad"],
)
def test_unreadable_files_fail_clearly_and_store_nothing(
    store: Store, tmp_path: Path, content: bytes, error: type[AdlensError], words: str
) -> None:
    ingest_file(store, EXPORTS / "meta_ads_daily.csv")
    before = state(store)
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(error) as raised:
        ingest_file(store, path)
    assert words in str(raised.value)
    assert raised.value.hint  # every error says what to do
    assert state(store) == before


def test_a_missing_file_is_named(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="no such file"):
        ingest_file(store, tmp_path / "nope.csv")


# --- summary rows under the header ------------------------------------------------------------

META_HEADER = "Day,Campaign name,Ad set name,Amount spent (USD),Impressions,Link clicks"


def test_a_summary_row_under_the_header_checks_the_load_and_is_never_data(
    store: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "meta.csv",
        "\n".join(
            [
                META_HEADER,
                ",,,300.00,3000,30",  # Meta's "Include summary row"
                "2025-03-01,A,S1,100.00,1000,10",
                "2025-03-02,A,S1,200.00,2000,20",
            ]
        ),
    )
    report = ingest_file(store, path)
    assert (report.rows_loaded, report.rows_rejected) == (2, 0)
    assert {(t["row"], t["measure"], t["ok"]) for t in report.totals_check} == {
        ("summary", "spend", True),
        ("summary", "impressions", True),
        ("summary", "clicks", True),
    }
    assert report.detection["summary_line"] == 2
    assert store.query("SELECT source_row, spend FROM ad_performance ORDER BY 1") == [
        {"source_row": 3, "spend": 100.0},
        {"source_row": 4, "spend": 200.0},
    ]


META_RANGE_HEADER = "Campaign name,Amount spent (USD),Impressions,Reporting starts,Reporting ends"


def meta_range(path: Path, *rows: str) -> Path:
    return write(path, "\n".join([META_RANGE_HEADER, *rows]))


@pytest.mark.parametrize(
    ("summary", "off"),
    [
        (",310.00,3000,2025-03-01,2025-03-31", [("spend", -10.0)]),  # 10 more than the rows
        ("Total of 2 campaigns,300.00,3000,2025-03-01,2025-03-31", []),  # labelled
    ],
    ids=["blank-names", "labelled-total"],
)
def test_a_summary_row_of_a_range_report_is_not_counted_twice(
    store: Store, tmp_path: Path, summary: str, off: list[tuple[str, float]]
) -> None:
    path = meta_range(
        tmp_path / "meta_range.csv",
        summary,
        "A,100.00,1000,2025-03-01,2025-03-31",
        "B,200.00,2000,2025-03-01,2025-03-31",
    )
    report = ingest_file(store, path)
    assert totals(store) == {"rows": 2, "spend": 300.0, "clicks": None}
    assert report.totals_check
    assert [(t["measure"], t["difference"]) for t in report.totals_check if not t["ok"]] == off


def test_a_single_row_that_names_nothing_is_data(store: Store, tmp_path: Path) -> None:
    path = meta_range(tmp_path / "one.csv", ",50.00,500,2025-03-01,2025-03-31")
    report = ingest_file(store, path)
    assert (report.rows_loaded, report.detection["summary_line"]) == (1, None)


def test_a_workbook_summary_row_keeps_the_rows_below_on_their_lines(
    store: Store, tmp_path: Path
) -> None:
    path = _workbook(
        tmp_path / "meta.xlsx",
        (
            "Raw Data Report",
            [
                META_HEADER.split(","),
                [None, None, None, 30.5, 300, 3],
                [date(2025, 3, 1), "A", "S1", 10.5, 100, 1],
                [date(2025, 3, 2), "B", "S2", 20, 200, 2],
            ],
        ),
    )
    report = ingest_file(store, path)
    assert all(t["ok"] for t in report.totals_check) and report.totals_check
    assert store.query("SELECT source_row, campaign_name FROM ad_performance ORDER BY 1") == [
        {"source_row": 3, "campaign_name": "A"},
        {"source_row": 4, "campaign_name": "B"},
    ]


# --- compressed downloads ----------------------------------------------------------------------


def _zipped(path: Path, *members: tuple[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def test_a_zipped_export_loads_as_the_export_inside(store: Store, tmp_path: Path) -> None:
    name = "microsoft_ads_daily.csv"
    archive = _zipped(tmp_path / "report.zip", (name, (EXPORTS / name).read_bytes()))
    report = ingest_file(store, archive)
    assert (report.platform, report.rows_loaded, report.detection["member"]) == (
        "microsoft",
        3,
        name,
    )
    assert store.query("SELECT DISTINCT source_file FROM ad_performance") == [
        {"source_file": f"report.zip/{name}"}
    ]
    zipped = totals(store)
    # the same export, unzipped: recognised as already loaded, whatever wrapped it
    assert ingest_file(store, EXPORTS / name).status == "duplicate"
    with open_store(tmp_path / "plain.duckdb") as plain:
        ingest_file(plain, EXPORTS / name)
        assert totals(plain) == zipped


def test_each_export_in_a_zip_of_several_loads_on_its_own(store: Store, tmp_path: Path) -> None:
    meta, tiktok = "meta_ads_daily.csv", "tiktok_ads_daily.csv"
    archive = _zipped(
        tmp_path / "exports.zip",
        (tiktok, (EXPORTS / tiktok).read_bytes()),
        (f"march/{meta}", (EXPORTS / meta).read_bytes()),
        ("__MACOSX/march/._meta_ads_daily.csv", b"resource fork"),
    )
    exports = archive_exports(archive)
    assert exports == [f"march/{meta}", tiktok]  # name order, litter left out
    workbook = tmp_path / "report.xlsx"  # a ZIP too, but a workbook: one export
    openpyxl.Workbook().save(workbook)
    assert archive_exports(EXPORTS / meta) == [] == archive_exports(workbook)
    with pytest.raises(UnreadableFileError, match="is a ZIP archive of 2 files") as raised:
        ingest_file(store, archive)  # which one? the caller says
    assert "--member" in (raised.value.hint or "")
    reports = [ingest_file(store, archive, member=name) for name in exports]
    assert [(r.platform, r.file) for r in reports] == [
        ("meta", f"{archive}/march/{meta}"),
        ("tiktok", f"{archive}/{tiktok}"),
    ]
    assert store.query("SELECT source_file FROM ingests ORDER BY ingest_id") == [
        {"source_file": f"{archive}/march/{meta}"},
        {"source_file": f"{archive}/{tiktok}"},
    ]
    assert store.query("SELECT DISTINCT source_file FROM ad_performance ORDER BY 1") == [
        {"source_file": f"exports.zip/march/{meta}"},
        {"source_file": f"exports.zip/{tiktok}"},
    ]
    with open_store(tmp_path / "plain.duckdb") as plain:
        for name in (meta, tiktok):
            ingest_file(plain, EXPORTS / name)
        assert totals(store) == totals(plain)
    # each export is known by its content: the archive again adds nothing
    assert [ingest_file(store, archive, member=name).status for name in exports] == [
        "duplicate",
        "duplicate",
    ]
    assert inspect_file(archive, member=tiktok)["platform"] == "tiktok"


@pytest.mark.parametrize(
    ("name", "member", "words"),
    [
        ("exports.zip", "april.csv", "holds no export named 'april.csv'"),
        ("report.csv", "april.csv", "is not a ZIP archive, so it holds no april.csv"),
        ("report.csv.gz", "april.csv", "is a gzip file, so it holds no april.csv"),
    ],
)
def test_a_member_that_is_not_there_is_refused(
    store: Store, tmp_path: Path, name: str, member: str, words: str
) -> None:
    body = (EXPORTS / "tiktok_ads_daily.csv").read_bytes()
    path = tmp_path / name
    if name.endswith(".zip"):
        _zipped(path, ("march.csv", body), ("may.csv", body))
    else:
        path.write_bytes(gzip.compress(body) if name.endswith(".gz") else body)
    before = state(store)
    with pytest.raises(UnreadableFileError, match=words) as raised:
        ingest_file(store, path, member=member)
    if name.endswith(".zip"):
        assert raised.value.hint == "its exports: march.csv, may.csv"
    assert state(store) == before


def test_a_gzipped_utf16_export_is_unpacked_then_transcoded(store: Store, tmp_path: Path) -> None:
    name = "google_ads_excel_utf16.csv"
    packed = tmp_path / f"{name}.gz"
    packed.write_bytes(gzip.compress((EXPORTS / name).read_bytes()))
    info = inspect_file(packed)
    assert (info["archive"], info["member"], info["encoding"], info["platform"]) == (
        "gzip",
        None,
        "utf-16-le",
        "google_ads",
    )
    report = ingest_file(store, packed)
    with open_store(tmp_path / "plain.duckdb") as plain:
        assert report.rows_loaded == ingest_file(plain, EXPORTS / name).rows_loaded > 0
        assert totals(store) == totals(plain)
    assert store.query("SELECT DISTINCT source_file FROM ad_performance") == [
        {"source_file": packed.name}
    ]


def _encrypted(path: Path) -> Path:
    _zipped(path, ("report.csv", b"Day,Cost\n"))
    data = bytearray(path.read_bytes())
    # general purpose flag bit 0 (encrypted), in the local header and the central directory
    data[6] |= 1
    central = data.rindex(b"PK\x01\x02")
    data[central + 8] |= 1
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (
            lambda p: _zipped(p, ("a.csv", b"x"), ("b.csv", b"y"), ("__MACOSX/._a.csv", b"z")),
            "is a ZIP archive of 2 files (a.csv, b.csv)",
        ),
        (lambda p: _zipped(p, ("__MACOSX/._a.csv", b"z")), "is a ZIP archive with no file in it"),
        (_encrypted, "report.csv is password-protected"),
        (
            lambda p: _zipped(p, ("inner.csv.gz", gzip.compress(b"Day,Cost\n"))),
            "holds another compressed file (inner.csv.gz)",
        ),
        (
            lambda p: p.write_bytes(gzip.compress(b"Day,Cost\n2025-03-01,1\n" * 50)[:40]) and p,
            "a damaged or incomplete compressed file",
        ),
        (lambda p: p.write_bytes(b"PK\x03\x04 cut short") and p, "damaged or incomplete"),
    ],
    ids=["several-files", "only-litter", "password", "nested", "truncated-gzip", "damaged-zip"],
)
def test_compressed_files_that_cannot_load_say_why(
    store: Store, tmp_path: Path, build: Any, words: str
) -> None:
    ingest_file(store, EXPORTS / "meta_ads_daily.csv")
    before = state(store)
    path = build(tmp_path / "report.zip")
    with pytest.raises(UnreadableFileError) as raised:
        ingest_file(store, path)
    assert words in str(raised.value) and raised.value.hint
    assert state(store) == before


def test_an_archive_that_unpacks_past_the_limit_stores_nothing(
    store: Store, tmp_path: Path
) -> None:
    body = (EXPORTS / "meta_ads_daily.csv").read_bytes()
    archive = _zipped(tmp_path / "big.zip", ("meta.csv", body))
    before = state(store)
    with pytest.raises(UnreadableFileError, match=f"unpacks to more than {len(body) - 1:,} bytes"):
        ingest_file(store, archive, max_unpacked=len(body) - 1)
    assert state(store) == before
    assert ingest_file(store, archive, max_unpacked=len(body)).rows_loaded > 0


# --- rows that cannot be loaded, and their lines -----------------------------------------------


def test_rejected_rows_keep_line_text_and_reason(store: Store, tmp_path: Path) -> None:
    path = google_export(
        tmp_path / "messy.csv",
        [
            "2025-03-01,Acme,Brand,USD,1000,100,10.00,1",
            "",
            "2025-03-02,Acme,Brand,USD,1000,100,ten,1",
            "2025-03-03,Acme,Brand,USD,1000,100,10.00,1,surplus",
            ",,,,,,,",
            "2025-13-04,Acme,Brand,USD,1000,100,10.00,1",
            "",
            '2025-03-05,Acme,"Brand, ""EU""",USD,"1,000",100,10.00,1',
            'Total: Account,,,USD,"5,000",500,50.00,5',
        ],
    )
    report = ingest_file(store, path)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_blank) == (
        5,
        2,
        3,
        1,
    )
    loaded = store.query("SELECT source_row, campaign_name FROM ad_performance ORDER BY 1")
    assert loaded == [
        {"source_row": 4, "campaign_name": "Brand"},
        {"source_row": 11, "campaign_name": 'Brand, "EU"'},
    ]
    rejects = store.query("SELECT source_row, reason, raw FROM rejects ORDER BY 1")
    assert rejects == [
        {
            "source_row": 6,
            "reason": "Cost 'ten' is not a number",
            "raw": "2025-03-02,Acme,Brand,USD,1000,100,ten,1",
        },
        {
            "source_row": 7,
            "reason": "line has more cells than the header "
            "(Expected Number of Columns: 8 Found: 9)",
            "raw": "2025-03-03,Acme,Brand,USD,1000,100,10.00,1,surplus",
        },
        {
            "source_row": 9,
            "reason": "Day '2025-13-04' is not a date (YYYY-MM-DD)",
            "raw": "2025-13-04,Acme,Brand,USD,1000,100,10.00,1",
        },
    ]
    assert [t["ok"] for t in report.totals_check] == [False, False, False, False]
    assert not any(t["explained_by_rejects"] for t in report.totals_check)


def test_line_numbers_count_the_lines_of_quoted_line_breaks(store: Store, tmp_path: Path) -> None:
    # An ad text with line breaks spans three lines; rows after it keep their own line,
    # and a line break inside quotes is not a blank line.
    first = '2025-03-01,Acme,"Brand\r\n\r\nsecond paragraph",USD,1000,100,10.00,1'
    bad = '2025-03-02,Acme,"Bad\r\nrow",USD,1000,100,ten,1'
    path = google_export(
        tmp_path / "texts.csv",
        [first, "", bad, '2025-03-03,Acme,"Say ""hi""",USD,1000,100,10.00,1', first],
    )
    report = ingest_file(store, path)
    assert report.ingest_id == 1  # read twice (serially, for the line breaks), one id
    loaded = store.query("SELECT source_row, campaign_name FROM ad_performance ORDER BY 1")
    assert [r["source_row"] for r in loaded] == [4, 10]
    # Rejected rows keep their whole text, line breaks inside quotes included.
    assert [(r["source_row"], r["reason"], r["raw"]) for r in report.first_rejects] == [
        (8, "Cost 'ten' is not a number", bad),
        (11, "exact duplicate of line 4 (loaded once)", first),
    ]


def test_rows_after_several_blank_lines_keep_their_line(store: Store, tmp_path: Path) -> None:
    path = google_export(
        tmp_path / "gaps.csv",
        [
            "2025-03-01,Acme,A,USD,1000,100,10.00,1",
            "",
            "",
            "",
            "2025-03-02,Acme,B,USD,1000,100,10.00,1",
        ],
    )
    ingest_file(store, path)
    loaded = store.query("SELECT source_row, campaign_name FROM ad_performance ORDER BY 1")
    assert loaded == [
        {"source_row": 4, "campaign_name": "A"},
        {"source_row": 8, "campaign_name": "B"},
    ]


def test_totals_difference_explained_by_rejected_rows(store: Store, tmp_path: Path) -> None:
    path = google_export(
        tmp_path / "g.csv",
        [
            "2025-03-01,Acme,Brand,USD,1000,100,10.00,1",
            "n/a,Acme,Brand,USD,500,50,5.00,1",
            'Total: Account,,,USD,"1,500",150,15.00,2',
        ],
    )
    report = ingest_file(store, path)
    assert [
        (t["measure"], t["difference"], t["explained_by_rejects"]) for t in report.totals_check
    ] == [
        ("spend", -5.0, True),
        ("impressions", -500.0, True),
        ("clicks", -50.0, True),
        ("conversions", -1.0, True),
    ]
    message = next(
        r["message"] for r in report.quality["recommendations"] if "Total" in r["message"]
    )
    assert "exactly the values of the rejected rows (1 row)" in message


# --- detection details --------------------------------------------------------------------------


def test_range_reports_are_never_spread_over_days(store: Store) -> None:
    report = ingest_file(store, EXPORTS / "meta_ads_range_fr.csv")
    rows = store.query("SELECT grain, date, ts, period_start, period_end FROM ad_performance")
    assert {tuple(r.values()) for r in rows} == {
        ("range", None, None, date(2025, 1, 1), date(2025, 1, 31))
    }
    assert report.rows_loaded == 2


GOOGLE_WEEKS = """Campaign report
"January 1, 2025 - January 19, 2025"
Week,Campaign,Currency code,Impr.,Clicks,Cost
2024-12-30,Brand,USD,"82,410","5,873","2,359.02"
2025-01-06,Brand,USD,"81,987","5,851","2,365.93"
2025-01-13,Brand,USD,"80,100","5,700","2,300.00"
2025-13-13,Brand,USD,10,1,1.00
Total: Account,--,USD,"244,507","17,425","7,025.95"
"""


def test_weekly_reports_load_each_row_as_its_week(store: Store, tmp_path: Path) -> None:
    # Each row covers its week, cut to the report's period (it starts on a Wednesday);
    # before, every row was a range row over the whole report.
    report = ingest_file(store, write(tmp_path / "weeks.csv", GOOGLE_WEEKS))
    rows = store.query(
        "SELECT grain, date, period_start, period_end, spend FROM ad_performance ORDER BY 3"
    )
    assert [tuple(r.values()) for r in rows] == [
        ("range", None, date(2025, 1, 1), date(2025, 1, 5), 2359.02),
        ("range", None, date(2025, 1, 6), date(2025, 1, 12), 2365.93),
        ("range", None, date(2025, 1, 13), date(2025, 1, 19), 2300.00),
    ]
    assert any("broken down by week" in w for w in report.warnings)
    assert [(r["source_row"], r["reason"]) for r in report.first_rejects] == [
        (7, "Week '2025-13-13' is not a date (YYYY-MM-DD)")
    ]
    # A query over the second week alone counts that week's row, and only it.
    from adlens.query import run_query

    week = run_query(
        store,
        {
            "measures": ["spend"],
            "timeDimensions": [{"dimension": "ts", "dateRange": ["2025-01-06", "2025-01-12"]}],
        },
    )
    assert week.data == [{"spend": 2365.93}]


@pytest.mark.parametrize(
    ("first", "second"),
    [("January 2025", "February 2025"), ("2025-01", "2025-02"), ("2025-01-01", "2025-02-01")],
)
def test_monthly_reports_load_each_row_as_its_month(
    store: Store, tmp_path: Path, first: str, second: str
) -> None:
    text = (
        'Campaign report\n"January 1, 2025 - February 28, 2025"\n'
        "Month,Campaign,Currency code,Impr.,Clicks,Cost\n"
        f"{first},Brand,USD,121533,1402,1184.22\n{second},Brand,USD,122120,1410,1192.10\n"
        "2025-01-15,Brand,USD,10,1,1.00\n"
    )
    report = ingest_file(store, write(tmp_path / "months.csv", text))
    rows = store.query("SELECT period_start, period_end FROM ad_performance ORDER BY 1")
    assert [tuple(r.values()) for r in rows] == [
        (date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 28)),
    ]
    assert [r["reason"] for r in report.first_rejects] == [
        "Month '2025-01-15' is not a month (2025-01, 2025-01-01 or January 2025)"
    ]


def test_microsoft_monthly_report_reads_first_days_in_either_order(
    store: Store, tmp_path: Path
) -> None:
    # "2/1/2025" is the first of February, whatever the file's day order would say.
    text = (
        '"Report Name: Campaign performance"\n"Report Time: 1/1/2025, 2/28/2025"\n'
        '"Report Aggregation: Monthly"\n"Rows: 2"\n\n'
        '"Month","Campaign name","Impressions","Clicks","Spend","Currency code"\n'
        '"1/1/2025","Brand - Bing","9,812","311","273.68","USD"\n'
        '"2/1/2025","Brand - Bing","10,455","330","300.30","USD"\n'
    )
    report = ingest_file(store, write(tmp_path / "bing_months.csv", text))
    assert report.detection["platform"] == "microsoft"
    rows = store.query("SELECT period_start, period_end, spend FROM ad_performance ORDER BY 1")
    assert [tuple(r.values()) for r in rows] == [
        (date(2025, 1, 1), date(2025, 1, 31), 273.68),
        (date(2025, 2, 1), date(2025, 2, 28), 300.30),
    ]


@pytest.mark.parametrize(
    ("aggregation", "periods"),
    [
        (
            "Weekly",
            [(date(2025, 1, 6), date(2025, 1, 12)), (date(2025, 1, 13), date(2025, 1, 19))],
        ),
        # A yearly report's TimePeriod is a year: both rows take the report's period.
        ("Yearly", [(date(2025, 1, 6), date(2025, 1, 19))] * 2),
    ],
)
def test_microsoft_time_period_follows_the_stated_aggregation(
    store: Store, tmp_path: Path, aggregation: str, periods: list[tuple[date, date]]
) -> None:
    # "TimePeriod" is a day in a daily report; read as one here, a week's spend would
    # have landed on its Monday.
    text = (
        '"Report Name: Campaign performance"\n"Report Time: 1/6/2025, 1/19/2025"\n'
        f'"Report Aggregation: {aggregation}"\n"Rows: 2"\n\n'
        '"TimePeriod","Campaign name","Impressions","Clicks","Spend","Currency code"\n'
        '"1/6/2025","Brand - Bing","9,812","311","273.68","USD"\n'
        '"1/13/2025","Summer - Bing","10,455","330","300.30","USD"\n'
    )
    ingest_file(store, write(tmp_path / "bing.csv", text))
    rows = store.query(
        "SELECT grain, date, period_start, period_end FROM ad_performance ORDER BY source_row"
    )
    assert [(r["grain"], r["date"]) for r in rows] == [("range", None)] * 2
    assert [(r["period_start"], r["period_end"]) for r in rows] == periods


def test_day_order_is_decided_from_the_whole_file(store: Store, tmp_path: Path) -> None:
    # Every date in the first 256 KiB fits both orders; one near the end decides D/M.
    header = "Day,Campaign,Currency code,Impr.,Clicks,Cost"
    body = [f"{1 + i % 12}/{1 + i % 12}/2025,Campaign {i},USD,10,1,1.00" for i in range(12_000)]
    body.append("25/3/2025,Last,USD,10,1,1.00")
    path = write(tmp_path / "dm.csv", "\n".join([header, *body]))
    report = ingest_file(store, path)
    assert "dates read as DD/MM/YYYY, decided from the whole file" in report.warnings
    assert store.query("SELECT date FROM ad_performance WHERE campaign_name = 'Last'") == [
        {"date": date(2025, 3, 25)}
    ]


def test_numbers_in_the_other_convention_are_read_and_reported(
    store: Store, tmp_path: Path
) -> None:
    header = "Day,Campaign,Currency code,Impr.,Clicks,Cost"
    path = write(
        tmp_path / "mixed.csv",
        f'{header}\n2025-03-01,A,USD,"1,000",10,"2,000.50"\n2025-03-02,B,USD,10,1,"1.234,56"\n',
    )
    report = ingest_file(store, path)
    assert store.query("SELECT spend FROM ad_performance ORDER BY date") == [
        {"spend": 2000.5},
        {"spend": 1234.56},
    ]
    messages = [r["message"] for r in report.quality["recommendations"]]
    assert any("1 row has Cost like '1.234,56' in a file using '.' decimals" in m for m in messages)


def test_clicks_above_impressions_are_flagged_not_dropped(store: Store, tmp_path: Path) -> None:
    header = "Day,Campaign,Currency code,Impr.,Clicks,Cost,Conversions"
    path = write(
        tmp_path / "odd.csv",
        f"{header}\n2025-03-01,A,USD,10,50,1.00,0\n2025-03-02,A,USD,100,5,1.00,90\n",
    )
    report = ingest_file(store, path)
    assert report.rows_loaded == 2
    validity = [r for r in report.quality["recommendations"] if r["dimension"] == "validity"]
    assert [r["count"] for r in validity] == [1]  # conversions > clicks is normal (view-through)
    assert report.quality["dimensions"]["validity"] == 50.0


def test_workbooks_load_like_csv(store: Store, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Report"
    sheet.append(["Campaign report"])
    sheet.append(["Day", "Campaign", "Currency code", "Impr.", "Clicks", "Cost"])
    sheet.append([date(2025, 3, 1), "Brand", "USD", 1000, 100, 12.5])
    sheet.append(["2025-03-02", "Brand", "USD", "1,000", 90, "1,234.50"])
    sheet.append(["Total: Account", None, "USD", 2000, 190, 1247])
    path = tmp_path / "report.xlsx"
    book.save(path)
    report = ingest_file(store, path)
    assert report.detection["sheet"] == "Report"
    assert store.query("SELECT date, spend, source_row FROM ad_performance ORDER BY 1") == [
        {"date": date(2025, 3, 1), "spend": 12.5, "source_row": 3},
        {"date": date(2025, 3, 2), "spend": 1234.5, "source_row": 4},
    ]
    assert all(t["ok"] for t in report.totals_check)


def _workbook(path: Path, *sheets: tuple[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_workbook_rejects_keep_their_sheet_row_and_cells(store: Store, tmp_path: Path) -> None:
    header = ["Day", "Campaign", "Currency code", "Impr.", "Clicks", "Cost"]
    path = _workbook(
        tmp_path / "report.xlsx",
        ("Notes", [[], [None, None]]),  # an empty first sheet is passed over
        (
            "Data",
            [
                header,
                [date(2025, 3, 1), "Brand, US", "USD", 1000, 100, 12.5],
                ["soon", "Brand, US", "USD", 10, 1, 1],
                [],
                [date(2025, 3, 3), "Brand, US", "USD", 10, 1, 2],
            ],
        ),
    )
    report = ingest_file(store, path)
    assert (report.detection["sheet"], report.rows_loaded, report.rows_rejected) == ("Data", 2, 1)
    assert store.query("SELECT source_row, campaign_name FROM ad_performance ORDER BY 1") == [
        {"source_row": 2, "campaign_name": "Brand, US"},
        {"source_row": 5, "campaign_name": "Brand, US"},
    ]
    assert store.query("SELECT source_row, raw, reason FROM rejects") == [
        {
            "source_row": 3,
            "raw": 'soon,"Brand, US",USD,10,1,1',
            "reason": "Day 'soon' is not a date (YYYY-MM-DD)",
        }
    ]


def test_workbook_rows_keep_their_numbers_below_empty_rows(store: Store, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    header = ["Day", "Campaign", "Currency code", "Clicks", "Cost"]
    values: list[object] = [date(2025, 3, 1), "A", "USD", 1, 2.5]
    for column, name, value in zip("BCDEF", header, values, strict=True):
        sheet[f"{column}3"] = name  # the table starts at B3, under two empty rows
        sheet[f"{column}4"] = value
    book.save(tmp_path / "offset.xlsx")
    ingest_file(store, tmp_path / "offset.xlsx")
    assert store.query("SELECT source_row, spend FROM ad_performance") == [
        {"source_row": 4, "spend": 2.5}
    ]


def test_workbook_day_order_is_decided_from_every_row(store: Store, tmp_path: Path) -> None:
    # Text dates that fit both orders for the first 256 KiB of the sheet; the last row
    # decides D/M, as it does for a CSV file.
    header = ["Day", "Campaign", "Currency code", "Impr.", "Clicks", "Cost"]
    body: list[list[object]] = [
        [f"{1 + i % 12}/{1 + i % 12}/2025", f"Campaign {i}", "USD", 10, 1, 1] for i in range(9_000)
    ]
    body.append(["25/3/2025", "Last", "USD", 10, 1, 1])
    report = ingest_file(store, _workbook(tmp_path / "dm.xlsx", ("Report", [header, *body])))
    assert "dates read as DD/MM/YYYY, decided from the whole file" in report.warnings
    assert store.query("SELECT date FROM ad_performance WHERE campaign_name = 'Last'") == [
        {"date": date(2025, 3, 25)}
    ]


def test_inspecting_a_workbook_names_its_sheet(tmp_path: Path) -> None:
    header = ["Day", "Campaign", "Currency code", "Impr.", "Clicks", "Cost"]
    path = _workbook(
        tmp_path / "r.xlsx", ("Report", [header, [date(2025, 3, 1), "A", "USD", 1, 1, 1]])
    )
    info = inspect_file(path)
    assert (info["encoding"], info["sheet"], info["lines"]) == ("xlsx", "Report", 2)
    assert [row["campaign_name"] for row in info["preview"]] == ["A"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 not really a zip archive", "not a readable Excel workbook"),
        (None, "every sheet of the workbook is empty"),
    ],
)
def test_unreadable_workbooks_say_why(
    store: Store, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "bad.xlsx"
    if content is None:
        _workbook(path, ("Empty", []), ("Blank", [[None, ""]]))
    else:
        path.write_bytes(content)
    before = state(store)
    with pytest.raises(UnreadableFileError, match=message):
        ingest_file(store, path)
    assert state(store) == before


def test_latin1_exports_are_transcoded(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "Day,Campaign,Currency code,Impr.,Clicks,Cost\n2025-03-01,Été,EUR,10,1,1.00\n".encode(
            "cp1252"
        )
    )
    ingest_file(store, path)
    assert store.query("SELECT campaign_name FROM ad_performance") == [{"campaign_name": "Été"}]


def test_utf16_without_title_lines(store: Store, tmp_path: Path) -> None:
    text = (
        "Day\tCampaign\tCurrency code\tImpr.\tClicks\tCost\r\n2025-03-01\tA\tUSD\t10\t1\t1.00\r\n"
    )
    path = tmp_path / "u16.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    report = ingest_file(store, path)
    assert (report.detection["delimiter"], report.rows_loaded) == ("\t", 1)


def test_utm_parameters_come_from_destination_urls(store: Store) -> None:
    ingest_file(store, EXPORTS / "meta_ads_daily.csv")
    assert store.query(
        "SELECT utm_source, utm_medium, utm_campaign, utm_content FROM ad_performance "
        "WHERE source_row = 3"
    ) == [
        {
            "utm_source": "facebook",
            "utm_medium": "paid_social",
            "utm_campaign": "summer_sale_2025",
            "utm_content": "carousel a",
        }
    ]


# --- currencies -----------------------------------------------------------------------------------


def test_spend_is_converted_once_a_rate_is_known(store: Store) -> None:
    report = ingest_file(store, EXPORTS / "meta_ads_range_fr.csv")
    assert "no exchange rate to USD" in report.warnings[0]
    assert totals(store)["spend"] is None
    converted = fx.set_rate(store, "eur", 1.1, reporting_currency="USD")
    assert converted == 2
    assert totals(store)["spend"] == pytest.approx((1234.56 + 310.0) * 1.1)
    assert fx.list_rates(store)[0]["currency"] == "EUR"


def test_rates_apply_from_their_day(store: Store, tmp_path: Path) -> None:
    fx.set_rate(store, "GBP", 1.2, reporting_currency="USD", valid_from=date(2025, 3, 1))
    fx.set_rate(store, "GBP", 1.3, reporting_currency="USD", valid_from=date(2025, 3, 2))
    ingest_file(store, EXPORTS / "google_ads_excel_utf16.csv")
    assert store.query("SELECT date, fx_rate FROM ad_performance ORDER BY date") == [
        {"date": date(2025, 3, 1), "fx_rate": 1.2},
        {"date": date(2025, 3, 2), "fx_rate": 1.3},
    ]


@pytest.mark.parametrize(("currency", "rate"), [("EURO", 1.0), ("EUR", 0.0), ("EUR", -1.0)])
def test_impossible_rates_are_refused(store: Store, currency: str, rate: float) -> None:
    with pytest.raises(fx.FxError):
        fx.set_rate(store, currency, rate, reporting_currency="USD")


# --- mappings -------------------------------------------------------------------------------------


def test_mapping_errors_point_at_the_fix(tmp_path: Path) -> None:
    bad_field = write(tmp_path / "m.yaml", "columns:\n  Datum: dte\n")
    with pytest.raises(MappingError) as raised:
        load_mapping(bad_field)
    assert raised.value.hint == "did you mean 'date'?"
    no_columns = write(tmp_path / "n.yaml", "platform: generic\n")
    with pytest.raises(MappingError, match="needs a 'columns' section"):
        load_mapping(no_columns)
    bad_platform = write(tmp_path / "p.yaml", "platform: metta\ncolumns:\n  Datum: date\n")
    with pytest.raises(MappingError) as raised:
        load_mapping(bad_platform)
    assert raised.value.hint == "did you mean 'meta'?"


def test_a_mapping_naming_missing_columns_is_refused(store: Store, tmp_path: Path) -> None:
    mapping = write(tmp_path / "m.yaml", "columns:\n  Datum: date\n  Kosten: spend\n")
    with pytest.raises(MappingError, match="'Kosten'"):
        ingest_file(store, EXPORTS / "generic_partner_export.csv", mapping=load_mapping(mapping))


# --- inspect -----------------------------------------------------------------------------


def test_inspect_shows_detection_and_writes_nothing(tmp_path: Path) -> None:
    info = inspect_file(EXPORTS / "google_ads_excel_utf16.csv", preview=1)
    assert (info["encoding"], info["delimiter"], info["platform"], info["footer_lines"]) == (
        "utf-16-le",
        "\t",
        "google_ads",
        [6],
    )
    assert info["preview"][0]["campaign_name"] == "Brand_UK_Search"
    assert info["preview"][0]["source_row"] == 4
    assert not list(tmp_path.glob("*.duckdb"))


def test_exported_ratios_that_disagree_with_the_counts_are_reported(
    store: Store, tmp_path: Path
) -> None:
    header = "Day,Campaign,Currency code,Impr.,Clicks,CTR,Avg. CPC,Cost"
    path = write(
        tmp_path / "ratios.csv",
        f"{header}\n"
        "2025-03-01,A,USD,1000,10,1.00%,0.50,5.00\n"  # consistent
        "2025-03-02,A,USD,1000,10,9.00%,0.50,5.00\n"  # CTR says 9% for 10/1000
        "2025-03-03,A,USD,1000,10,1.00%,2.00,5.00\n",  # CPC says 2.00 for 5.00/10
    )
    report = ingest_file(store, path)
    messages = [r["message"] for r in report.quality["recommendations"]]
    assert any(m.startswith("1 row has an exported CTR that does not match") for m in messages)
    assert any(m.startswith("1 row has an exported CPC that does not match") for m in messages)
    assert report.rows_loaded == 3
