"""The streaming XLSX reader gives the CSV text calamine (a native reader) gives."""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
import xlwt  # type: ignore[import-untyped]
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from python_calamine import CalamineWorkbook

from adlens.errors import UnreadableFileError
from adlens.ingest import ingest_file, xlsx
from adlens.ingest.source import _cell_text, _sheet_to_csv
from adlens.store import Store


def calamine_csv(path: Path) -> str:
    """What the CSV of the first sheet with data reads as through calamine."""
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        rows = [[_cell_text(c) for c in row] for row in book.get_sheet_by_name(name).iter_rows()]
        if any(c.strip() for row in rows for c in row):
            with (path.parent / "calamine.csv").open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh, lineterminator="\n").writerows(rows)
            return (path.parent / "calamine.csv").read_text(encoding="utf-8")
    raise AssertionError("no sheet with data")


def streamed_csv(path: Path) -> str:
    out = path.parent / "streamed.csv"
    _sheet_to_csv(path, out)
    return out.read_text(encoding="utf-8")


def varied_workbook(path: Path, *, mac: bool = False) -> Path:
    book = openpyxl.Workbook()
    if mac:
        book.epoch = CALENDAR_MAC_1904
    notes = book.active
    notes.title = "Notes"
    notes["C5"].style = "Good"  # formatting only: a sheet with no value is passed over
    sheet = book.create_sheet("Report")
    sheet["A1"] = "Campaign report"  # a preamble line, shorter than the table
    sheet.append([])
    sheet.append(["Day", "Campaign", "Cost", "Clicks", "Active", "Note", "At", "Share"])
    rows = [
        [date(2025, 3, 1), "Summer & <Sale>", 1234.5, 10, True, None, time(13, 30), 0.125],
        [date(2025, 3, 2), "Été — 夏", 0.1 + 0.2, 12345678901234, False, "=1+1", None, 1e-7],
        [datetime(2025, 3, 3, 9, 15), "  padded  ", -2.0, 0, None, "x", None, 1 / 3],
        # 1904 workbooks start in 1904; 1900 ones have Excel's false 29 February 1900
        [date(1904 if mac else 1900, 2, 27), "", 1e20, 3, True, "", datetime(2025, 3, 3), 2.5e-5],
    ]
    for row in rows:
        sheet.append(row)
    sheet["B9"] = CellRichText(["bold ", TextBlock(InlineFont(b=True), "and plain")])
    sheet["K9"].style = "Bad"  # a styled empty cell right of the table widens nothing
    sheet["A12"] = "Total"  # below empty rows: their numbers are kept
    sheet["C12"] = 9.99
    sheet["A8"].number_format = "yyyy-mm-dd hh:mm"
    sheet["C4"].number_format = '"$"#,##0.00'  # a currency format is not a date
    book.save(path)
    return path


def test_a_varied_sheet_reads_as_calamine_reads_it(tmp_path: Path) -> None:
    path = varied_workbook(tmp_path / "varied.xlsx")
    streamed = streamed_csv(path)
    assert streamed == calamine_csv(path)
    lines = streamed.splitlines()
    assert lines[0].startswith("Campaign report,") and lines[1] == ",,,,,,,"
    assert '"Summer & <Sale>"' not in streamed and "Summer & <Sale>" in streamed
    assert lines[3].split(",")[:4] == ["2025-03-01", "Summer & <Sale>", "1234.5", "10"]
    assert lines[11].startswith("Total,,9.99")


def test_a_1904_workbook_dates_read_the_same(tmp_path: Path) -> None:
    path = varied_workbook(tmp_path / "mac.xlsx", mac=True)
    streamed = streamed_csv(path)
    assert streamed == calamine_csv(path)
    assert "2025-03-01" in streamed


def test_prefixed_xml_reads_like_plain_xml(tmp_path: Path) -> None:
    # Some writers put a namespace prefix on every element (<x:row>, <x:c>).
    plain = varied_workbook(tmp_path / "plain.xlsx")
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(prefixed, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/"):
                text = data.decode()
                text = re.sub(r"<(/?)(?!\?)([A-Za-z])", r"<\1x:\2", text)
                text = text.replace("<x:worksheet xmlns=", "<x:worksheet xmlns:x=", 1)
                data = text.encode()
            dst.writestr(item, data)
    assert streamed_csv(prefixed) == streamed_csv(plain)


def with_shared_strings(src: Path, dst: Path) -> Path:
    """``src`` rewritten as Excel writes text: each cell an index into xl/sharedStrings.xml
    (one item a rich-text run pair, one with a phonetic reading)."""
    texts: list[str] = []

    def share(match: re.Match[str]) -> str:
        texts.append(match.group(2))
        return f'<c r="{match.group(1)}" t="s"><v>{len(texts) - 1}</v></c>'

    cell = re.compile(r'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t>([^<]*)</t></is></c>')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item).decode()
            if item.filename.startswith("xl/worksheets/"):
                data = cell.sub(share, data)
            elif item.filename == "[Content_Types].xml":
                data = data.replace(
                    "</Types>",
                    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    "</Relationships>",
                    '<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/sharedStrings" '
                    'Target="sharedStrings.xml"/></Relationships>',
                )
            zout.writestr(item, data)
        items = [f"<si><t>{t}</t></si>" for t in texts]
        items[0] = "<si><r><t>Camp</t></r><r><rPr><b/></rPr><t>aign</t></r></si>"
        items[1] = "<si><t>Day</t><rPh sb='0' eb='1'><t>hidden</t></rPh></si>"
        zout.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + "".join(items)
            + "</sst>",
        )
    return dst


def test_shared_strings_and_sparse_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for r in range(1, 2001):
        if r % 7:
            sheet.cell(r, 2 + r % 3, f"name {r % 50} &amp; co")  # repeated texts
            sheet.cell(r, 6, r * 1.5)
    book.save(tmp_path / "inline.xlsx")
    path = with_shared_strings(tmp_path / "inline.xlsx", tmp_path / "shared.xlsx")
    streamed = streamed_csv(path)
    assert streamed == calamine_csv(path)
    lines = streamed.splitlines()
    assert lines[:2] == [",Campaign,,,1.5", ",,Day,,3"]  # rich text runs; no phonetic text
    assert lines[6] == ",,,,"  # row 7 holds nothing; columns B..F
    assert lines[7] == ",,name 8 &amp; co,,12"


def test_a_write_only_workbook_reads_as_calamine_reads_it(tmp_path: Path) -> None:
    # Written row by row (inline strings, no shared ones): how big workbooks are made.
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Big")
    for i in range(30_000):
        sheet.append([f"c{i % 10}", i, i / 4, date(2025, 1, 1 + i % 28)])
    book.save(tmp_path / "big.xlsx")
    streamed = streamed_csv(tmp_path / "big.xlsx")
    assert streamed == calamine_csv(tmp_path / "big.xlsx")
    assert streamed.splitlines()[:2] == ["c0,0,0,2025-01-01", "c1,1,0.25,2025-01-02"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda xml: xml.replace("</sheetData>", "<row r='99'><c r='A99'"), "damaged sheet"),
        (lambda xml: xml[: len(xml) // 2], "damaged sheet"),
    ],
)
def test_a_damaged_sheet_is_refused_with_the_sheet_named(
    tmp_path: Path, edit: object, message: str
) -> None:
    plain = varied_workbook(tmp_path / "plain.xlsx")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = edit(data.decode()).encode()  # type: ignore[operator]
            dst.writestr(item, data)
    with pytest.raises(UnreadableFileError, match=message):
        streamed_csv(broken)


def test_an_xls_workbook_loads_through_calamine(store: Store, tmp_path: Path) -> None:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Report")
    header = ["Day", "Campaign", "Currency code", "Impr.", "Clicks", "Cost"]
    for column, value in enumerate(header):
        sheet.write(2, column, value)  # under two empty rows
    sheet.write(3, 0, date(2025, 3, 1), xlwt.easyxf(num_format_str="YYYY-MM-DD"))
    for column, value in enumerate(["Brand", "USD", 100, 4, 2.5], start=1):
        sheet.write(3, column, value)
    book.save(str(tmp_path / "report.xls"))
    assert not xlsx.is_xlsx(str(tmp_path / "report.xls"))
    report = ingest_file(store, tmp_path / "report.xls")
    assert report.rows_loaded == 1
    assert store.query("SELECT date, campaign_name, spend, source_row FROM ad_performance") == [
        {"date": date(2025, 3, 1), "campaign_name": "Brand", "spend": 2.5, "source_row": 4}
    ]


def test_is_xlsx_tells_workbooks_from_other_zips(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "exports.zip", "w") as archive:
        archive.writestr("a.csv", "x\n")
    assert not xlsx.is_xlsx(str(tmp_path / "exports.zip"))
    assert xlsx.is_xlsx(str(varied_workbook(tmp_path / "v.xlsx")))
    assert not xlsx.is_xlsx(str(tmp_path / "exports.zip.missing"))
