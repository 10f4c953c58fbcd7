"""Read an XLSX sheet row by row, in bounded memory.

A native reader (calamine) holds the whole sheet, about 1 KB a row: a full Excel sheet of
1,048,576 rows would take a gigabyte. Here the sheet's XML is decompressed and read a
chunk at a time; only the workbook's shared strings (each distinct text once) and its
cell styles stay in memory. A sheet's rows are plain, regular XML written by machines,
so they are matched with regular expressions rather than parsed into elements, which
costs several times less per cell in Python.

Cells come out as calamine gives them: text, numbers (as floats, or as the text a float
prints as, ``2.5``, when the sheet already holds that), booleans, dates (``date``;
``datetime`` with a time of day; ``time`` for a time alone) for numbers in a date format.
``Workbook.sheet_rows`` yields a sheet's rows from row 1 to its last row with a value, each
from column A to its last cell with a value.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element, ParseError, iterparse

CHUNK = 1 << 20
_P = r"(?:[\w.-]+:)?"  # a namespace prefix some writers put on every element
_SHEET_DATA = re.compile(r"<([\w.-]+:)?sheetData\b[^>]*>")
# A cell as Excel and most writers put it: r, s, t in that order, a value or inline text.
# Cells written otherwise (formulas, other orders, prefixes) go through the general pattern.
_PLAIN_CELL = re.compile(
    r'<c r="([A-Z]+)[0-9]+"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?\s*'
    r"(?:/>|>(?:<v>([^<]*)</v>|<is><t>([^<]*)</t></is>)?</c>)"
)
_LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
_COLUMNS = {
    name: i for i, name in enumerate([*_LETTERS, *(a + b for a in _LETTERS for b in _LETTERS)])
}
_CELL = re.compile(rf"<{_P}c\b([^>]*?)(?:/>|>(.*?)</{_P}c>)", re.S)
_ATTRIBUTE = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')
_VALUE = re.compile(rf"<{_P}v>([^<]*)</{_P}v>")
_TEXT = re.compile(rf"<{_P}t(?:\s[^>]*)?>([^<]*)</{_P}t>|<{_P}t\s*/>")
_PHONETIC = re.compile(rf"<{_P}rPh\b.*?</{_P}rPh>", re.S)
_ROW_NUMBER = re.compile(r'\br\s*=\s*"(\d+)"')
# Excel's built-in number formats that show dates or times (ECMA-376 18.8.30, with the
# East Asian ones).
_DATE_FORMATS = frozenset({*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)})
_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')


class WorkbookError(ValueError):
    """The file is a ZIP archive but not a workbook this reader understands."""


def is_xlsx(path: str) -> bool:
    """Whether ``path`` is an Office Open XML workbook (XLSX, XLSM)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return "xl/workbook.xml" in archive.namelist()


class Workbook:
    """An open XLSX file: its sheets in workbook order, read one row at a time."""

    def __init__(self, path: str) -> None:
        self._zip = zipfile.ZipFile(path)
        try:
            self.sheets, self._epoch = self._workbook()
            self._strings = self._shared_strings()
            self._dates = self._date_styles()
            self._date_names = {str(i) for i in self._dates}  # as a cell's s="..." reads
        except (KeyError, ParseError, ValueError) as exc:
            self._zip.close()
            raise WorkbookError(f"damaged workbook ({exc})") from None

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sheet_rows(self, name: str) -> Iterator[list[object]]:
        """The rows of the sheet called ``name``, from row 1 to its last row with a value."""
        seen = written = 0  # rows read (with a value or not), rows yielded
        try:
            for attributes, body in self._row_xml(self.sheets[name]):
                number = _ROW_NUMBER.search(attributes)
                seen = int(number.group(1)) if number else seen + 1
                cells = self._cells(body) if body else []
                while cells and cells[-1] == "":
                    cells.pop()  # empty cells that only carry a style
                if not cells:
                    continue
                for _ in range(seen - 1 - written):
                    yield []  # rows with no value above this one
                written = seen
                yield cells
        except (KeyError, ValueError, IndexError, zlib.error, zipfile.BadZipFile) as exc:
            raise WorkbookError(f"damaged sheet {name!r} ({exc})") from None

    def _row_xml(self, member: str) -> Iterator[tuple[str, str]]:
        """Each row's attributes and body, read a chunk of the sheet's XML at a time."""
        with self._zip.open(member) as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
            pending = text.read(CHUNK)
            found = _SHEET_DATA.search(pending)
            if found is None or found.group(0).endswith("/>"):
                return  # no rows
            prefix = found.group(1) or ""
            start, close = f"<{prefix}row", f"</{prefix}row>"
            pending = pending[found.end() :]
            while True:
                chunk = text.read(CHUNK)
                pieces = (pending + chunk).split(close)
                pending = pieces.pop()  # the text after the last whole row
                for piece in pieces:
                    at = piece.rfind(start)  # self-closing rows before it hold no value
                    end = piece.index(">", at)
                    yield piece[at + len(start) : end], piece[end + 1 :]
                if not chunk:
                    break
        at = pending.rfind(start)
        if at >= 0 and not pending[: pending.index(">", at) + 1].endswith("/>"):
            raise ValueError("the sheet's XML ends inside a row")
        if f"</{prefix}sheetData>" not in pending:
            raise ValueError("the sheet's XML ends before its rows do")

    def _cells(self, body: str) -> list[object]:
        cells: list[object] = []
        plain = _PLAIN_CELL.findall(body)
        opened = body.count("<c ") + body.count("<c>") + body.count("<c/")
        if len(plain) != opened or (not plain and "<" in body):
            return self._any_cells(body)  # cells written another way, or prefixed
        dates, strings = self._date_names, self._strings
        append = cells.append
        for letters, style, kind, value, inline in plain:
            column = _COLUMNS.get(letters)
            if column is None:
                column = _column(letters)
            if column > len(cells):
                cells.extend([""] * (column - len(cells)))
            if kind == "inlineStr":
                append(html.unescape(inline) if "&" in inline else inline)
            elif not value:
                append("")
            elif kind == "s":
                append(strings[int(value)])
            elif kind not in ("n", ""):
                append(self._value({"t": kind, "s": style or "0"}, f"<v>{value}</v>"))
            elif style in dates:
                append(_date(float(value), self._epoch))
            elif "E" in value or "e" in value or value.endswith(".0") or len(value) > 15:
                append(float(value))  # as its shortest text: 1E-3 -> 0.001, 2.0 -> 2
            else:
                append(value)  # already the text a float would print as
        return cells

    def _any_cells(self, body: str) -> list[object]:
        """``_cells`` for any cell markup (other attribute orders, prefixes, rich text)."""
        cells: list[object] = []
        for match in _CELL.finditer(body):
            attributes = dict(_ATTRIBUTE.findall(match.group(1)))
            ref = attributes.get("r")
            if ref:
                column = _column(ref)
                if column > len(cells):
                    cells.extend([""] * (column - len(cells)))
            cells.append(self._value(attributes, match.group(2) or ""))
        return cells

    def _value(self, attributes: dict[str, str], content: str) -> object:
        kind = attributes.get("t", "n")
        if kind == "inlineStr":
            return _text(content)
        found = _VALUE.search(content)
        raw = found.group(1) if found else ""
        if not raw:
            return ""  # a formula never calculated, or a cell with a style only
        if kind == "s":
            return self._strings[int(raw)]
        if kind == "n":
            number = float(raw)
            if int(attributes.get("s", "0")) in self._dates:
                return _date(number, self._epoch)
            return number
        if kind == "b":
            return raw.strip() in ("1", "true")
        # str (a formula's text), e (an error such as #DIV/0!), d (an ISO date)
        return html.unescape(raw) if "&" in raw else raw

    def _workbook(self) -> tuple[dict[str, str], datetime]:
        targets = {}
        for element in _elements(self._zip.read("xl/_rels/workbook.xml.rels")):
            if _local(element.tag) == "Relationship":
                target = element.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                targets[element.get("Id", "")] = str(PurePosixPath(path))
        sheets: dict[str, str] = {}
        epoch = datetime(1899, 12, 30)
        for element in _elements(self._zip.read("xl/workbook.xml")):
            tag = _local(element.tag)
            if tag == "workbookPr" and element.get("date1904") in ("1", "true"):
                epoch = datetime(1904, 1, 1)
            elif tag == "sheet":
                rel = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
                if rel in targets:
                    sheets[element.get("name", rel)] = targets[rel]
        return sheets, epoch

    def _shared_strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self._zip.namelist():
            return []
        strings: list[str] = []
        with self._zip.open("xl/sharedStrings.xml") as stream:
            for _, element in iterparse(stream):
                if _local(element.tag) == "si":
                    strings.append(_item_text(element))
                    element.clear()
        return strings

    def _date_styles(self) -> frozenset[int]:
        """Indexes of the cell styles whose number format shows a date or time."""
        if "xl/styles.xml" not in self._zip.namelist():
            return frozenset()
        custom: dict[int, str] = {}
        formats: list[int] = []
        for element in _elements(self._zip.read("xl/styles.xml")):
            tag = _local(element.tag)
            if tag == "numFmt":
                custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
            elif tag == "cellXfs":
                formats = [int(xf.get("numFmtId", "0")) for xf in element]
        return frozenset(
            i
            for i, f in enumerate(formats)
            if f in _DATE_FORMATS or (f in custom and _is_date_format(custom[f]))
        )


def _date(serial: float, epoch: datetime) -> object:
    if 0 <= serial < 1:
        return (datetime.min + timedelta(seconds=round(serial * 86400))).time()
    if epoch.year == 1899 and serial < 61:
        serial += 1  # Excel's 1900 calendar has a 29 February 1900 that never was
    moment = epoch + timedelta(seconds=round(serial * 86400))
    return moment.date() if moment.time() == time() else moment


def _is_date_format(code: str) -> bool:
    """Whether a custom number format shows a date or time (``yyyy-mm-dd``, ``h:mm``)."""
    bare = _LITERALS.sub("", code.split(";")[0]).lower()
    return "general" not in bare and any(c in bare for c in "dmyhs")


def _column(ref: str) -> int:
    """0-based column of a cell reference (``"B4"`` -> 1)."""
    index = 0
    for char in ref:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            index = index * 26 + ord(char) - 96
        else:
            break
    return index - 1


def _text(content: str) -> str:
    """The text of an inline string's XML: its ``t``, or its rich-text runs' (phonetic
    runs left out)."""
    if "rPh" in content:
        content = _PHONETIC.sub("", content)
    text = "".join(m.group(1) or "" for m in _TEXT.finditer(content))
    return html.unescape(text) if "&" in text else text


def _item_text(element: Element) -> str:
    """The text of a shared string item: its ``t``, or its rich-text runs'."""
    parts: list[str] = []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _elements(data: bytes) -> Iterator[Element]:
    for _, element in iterparse(io.BytesIO(data)):
        yield element


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
