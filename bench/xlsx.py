"""XLSX to CSV: adlens's streaming reader against calamine reading the whole sheet, same run.

Generates Meta-shaped workbooks of N rows (openpyxl, write-only; reused from ``bench/data``
when present), then turns each into the CSV text ingest reads, in a fresh subprocess per
method: adlens (``adlens.ingest.source._sheet_to_csv``: the sheet's XML streamed) and the
baseline, calamine's ``iter_rows`` over the sheet it holds in memory, with the same cell
text. Both outputs must be byte-identical. Reports seconds, rows/s and peak RSS (the
child's ``ru_maxrss``) in the ``xlsx`` section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import os
import platform
import shlex
import subprocess
import sys
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from sections import write_section  # noqa: E402

DATA_DIR = BENCH / "data"
HEADER = [
    "Day",
    "Campaign name",
    "Ad set name",
    "Ad name",
    "Currency",
    "Amount spent (USD)",
    "Impressions",
    "Link clicks",
    "Results",
    "Purchase conversion value",
]
ADLENS = (
    "from pathlib import Path; from adlens.ingest.source import _sheet_to_csv; "
    "_sheet_to_csv(Path({src!r}), Path({dst!r}))"
)
CALAMINE = (
    "import csv; from python_calamine import CalamineWorkbook; "
    "from adlens.ingest.source import _cell_text\n"
    "sheet = CalamineWorkbook.from_path({src!r}).get_sheet_by_index(0)\n"
    "with open({dst!r}, 'w', newline='', encoding='utf-8') as fh:\n"
    "    w = csv.writer(fh, lineterminator='\\n')\n"
    "    for row in sheet.iter_rows(): w.writerow([_cell_text(c) for c in row])"
)


def workbook(rows: int) -> Path:
    """A Meta-shaped workbook of ``rows`` rows (dates, texts, money, counts)."""
    from openpyxl import Workbook

    path = DATA_DIR / f"xlsx_meta_{rows}.xlsx"
    if path.exists():
        return path
    DATA_DIR.mkdir(exist_ok=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Report")
    sheet.append(HEADER)
    first = dt.date(2025, 1, 1)
    for i in range(rows):
        sheet.append(
            [
                first + dt.timedelta(days=i % 300),
                f"Campaign {i % 500}",
                f"Set {i % 2000}",
                f"Ad {i % 9000}",
                "USD",
                round((i * 7 % 1000) / 7, 2),
                i % 5000 + 100,
                i % 97,
                i % 7,
                (i % 13) * 3.5,
            ]
        )
    book.save(path)
    return path


def run(code: str) -> tuple[float, float]:
    """Seconds from spawn to exit, and the child's peak RSS in MiB."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code])
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"a reader failed (status {status}): {code}")
    return seconds, usage.ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args(argv)
    command = ("python bench/xlsx.py " + shlex.join(sys.argv[1:] if argv is None else argv)).strip()
    lines = [
        "## XLSX to CSV (`bench/xlsx.py`)",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
        f"Python {platform.python_version()}; command: `{command}`",
        "- adlens: the sheet's XML streamed (`adlens.ingest.xlsx`); calamine: the whole "
        "sheet in memory, then `iter_rows`. Same cell text; outputs compared byte for byte.",
        "",
        "| rows | sheet XML MiB | adlens s | adlens rows/s | adlens peak MiB "
        "| calamine s | calamine peak MiB | time ratio | same CSV |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    peaks = []
    for rows in args.rows:
        print(f"{rows:,} rows", flush=True)
        src = workbook(rows)
        with zipfile.ZipFile(src) as archive:
            xml_mib = archive.getinfo("xl/worksheets/sheet1.xml").file_size / 2**20
        ours, theirs = DATA_DIR / "xlsx_adlens.csv", DATA_DIR / "xlsx_calamine.csv"
        a_s, a_rss = run(ADLENS.format(src=str(src), dst=str(ours)))
        c_s, c_rss = run(CALAMINE.format(src=str(src), dst=str(theirs)))
        same = filecmp.cmp(ours, theirs, shallow=False)
        peaks.append(a_rss)
        lines.append(
            f"| {rows:,} | {xml_mib:.0f} | {a_s:.1f} | {rows / a_s:,.0f} | {a_rss:.0f} "
            f"| {c_s:.1f} | {c_rss:.0f} | {a_s / c_s:.2f}x | {'yes' if same else 'NO'} |"
        )
    if len(peaks) > 1:
        lines += ["", f"adlens peak RSS, largest / smallest size: {peaks[-1] / peaks[0]:.2f}x"]
    report = "\n".join(lines)
    write_section(args.out, "xlsx", report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
