"""Reading a file's bytes once: hash, encoding, line count, blank lines, head and tail.

Everything later stages need to know about the raw file comes from one
streaming pass here, so memory stays bounded whatever the file's size. Files
that are not UTF-8 (UTF-16 "Excel CSV" exports, Windows-1252) are transcoded to
a temporary UTF-8 file, streaming, because DuckDB reads only UTF-8 without
downloading an extension. Workbooks (XLSX, XLS) are transcoded the same way: their
first sheet with data is written out as CSV, a sheet row to a line, so a workbook
loads through the same reader, checks and line numbers as any export. Compressed
downloads (a ZIP holding one export, as Microsoft Advertising serves its reports, or a
gzip file) are unpacked to the same temporary directory first, streaming, and the export
inside is probed like any file; its hash is the export's own, so the same report loads
once whether it came zipped or not.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import tempfile
import threading
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO

from adlens.errors import UnreadableFileError
from adlens.ingest import xlsx

CHUNK = 4 << 20
HEAD_BYTES = 256 << 10
TAIL_BYTES = 64 << 10

XLSX_MAGIC = ZIP_MAGIC = b"PK\x03\x04"  # a workbook is a ZIP of XML parts
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
GZIP_MAGIC = b"\x1f\x8b"
WORKBOOK_PART = "[Content_Types].xml"  # every Office Open XML package holds it
ARCHIVE_LITTER = ("__MACOSX/", ".DS_Store", "Thumbs.db")  # what zipping on a desktop adds


class Digest:
    """The SHA-256 of a file, computed in a background thread.

    Hashing a large export takes as long as reading it; loads start meanwhile and
    ask for the digest only when they need it (hashlib releases the GIL).
    """

    def __init__(self, path: Path) -> None:
        self._value: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
            self._value = digest.hexdigest()
        except BaseException as exc:  # re-raised where the digest is needed
            self._error = exc

    def hexdigest(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


@dataclass
class TextFile:
    """A delimited text file as later stages see it (always UTF-8 on disk)."""

    path: Path  # the file the user named
    utf8_path: Path  # what DuckDB reads: ``path`` itself, or a transcoded copy
    encoding: str
    digest: Digest
    size: int
    line_count: int
    head: list[str] = field(default_factory=list)  # first lines, decoded
    tail: list[str] = field(default_factory=list)  # last lines, decoded
    tail_first_line: int = 1  # physical line number of tail[0]
    sheet: str | None = None  # a workbook's sheet that was read (its rows are the lines)
    archive: str | None = None  # "zip" or "gzip": ``path`` was unpacked to read the export
    member: str | None = None  # the export's name inside a ZIP archive
    one_of_many: bool = False  # the archive holds other exports too (each loads on its own)

    @property
    def name(self) -> str:
        """The file as rows name it (``source_file``): ``report.zip/Campaigns.csv`` in a ZIP."""
        return f"{self.path.name}/{self.member}" if self.member else self.path.name

    @property
    def location(self) -> str:
        """Where the export came from (``ingests.source_file``): the path the user named,
        and the member when its archive holds several exports."""
        return f"{self.path}/{self.member}" if self.one_of_many else str(self.path)

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


def open_source(
    path: Path,
    workdir: Path | None = None,
    *,
    max_unpacked: int | None = None,
    member: str | None = None,
) -> TextFile:
    """Probe ``path`` and return what it is, or raise an error saying why it is unreadable.

    ``max_unpacked``: the most bytes a compressed file may unpack to (None: no limit), so
    an upload cannot fill the disk with a small archive. ``member``: the export to read
    in a ZIP archive that holds several (``archive_exports`` lists them).
    """
    if not path.exists():
        raise UnreadableFileError(f"{path}: no such file", hint="check the path")
    if path.is_dir():
        if not any(p.is_file() and not p.name.startswith(".") for p in path.iterdir()):
            raise UnreadableFileError(
                f"{path} is a directory with no file in it", hint="name the export files to load"
            )
        raise UnreadableFileError(f"{path} is a directory", hint="name the export files in it")
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFileError(
            f"{path} is empty (0 bytes)", hint="export the report again; the download was empty"
        )
    with path.open("rb") as fh:
        start = fh.read(HEAD_BYTES)
    sheet = None
    workdir = workdir or Path(tempfile.mkdtemp(prefix="adlens-"))
    if _compressed(path, start):
        return _unpacked(path, workdir, max_unpacked, member)
    if member is not None:
        raise UnreadableFileError(
            f"{path} is not a ZIP archive, so it holds no {member}", hint="name the file alone"
        )
    if start.startswith((XLSX_MAGIC, XLS_MAGIC)):
        encoding = "xlsx" if start.startswith(XLSX_MAGIC) else "xls"
    else:
        encoding = _detect_encoding(start, path)
        if encoding in ("utf-8", "utf-8-sig"):
            return _scan(path, path, encoding, size)
    utf8_path = workdir / (path.stem + ".utf8.csv")
    if encoding in ("xlsx", "xls"):
        sheet = _sheet_to_csv(path, utf8_path)
    else:
        _transcode(path, utf8_path, encoding)
    text = _scan(utf8_path, utf8_path, "utf-8", utf8_path.stat().st_size)
    text.path, text.encoding, text.size, text.digest = path, encoding, size, Digest(path)
    text.sheet = sheet
    return text


def _compressed(path: Path, start: bytes | None = None) -> bool:
    """Whether ``path`` is a gzip file or a ZIP archive other than a workbook."""
    if start is None:
        with path.open("rb") as fh:
            start = fh.read(4)
    return start.startswith(GZIP_MAGIC) or (start.startswith(ZIP_MAGIC) and not _workbook(path))


def _workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return WORKBOOK_PART in archive.namelist()
    except (zipfile.BadZipFile, OSError):  # damaged: its reader says what is wrong
        return path.suffix.lower() != ".zip"


def archive_exports(path: Path) -> list[str]:
    """The exports in a ZIP archive (not a workbook), in name order, without the litter
    archivers add (``__MACOSX/``, ``.DS_Store``); ``[]`` for any other file."""
    try:
        if not path.is_file() or not zipfile.is_zipfile(path) or _workbook(path):
            return []
        with zipfile.ZipFile(path) as archive:
            return sorted(info.filename for info in _exports(archive))
    except (zipfile.BadZipFile, OSError):  # damaged: loading it says what is wrong
        return []


def _unpacked(path: Path, workdir: Path, limit: int | None, wanted: str | None) -> TextFile:
    """The export inside a ZIP or gzip file, unpacked into ``workdir`` and probed."""
    member = None
    many = False
    target = workdir / "unpacked"
    target.mkdir(exist_ok=True)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                if wanted is None:
                    info = _only_export(path, archive)
                else:
                    info, many = _named_export(path, archive, wanted)
                member = info.filename
                if info.flag_bits & 0x1:
                    raise UnreadableFileError(
                        f"{path}: {member} is password-protected",
                        hint="unzip it with its password and load the export inside",
                    )
                inner = target / Path(member).name
                with archive.open(info) as packed:
                    _copy_within(packed, inner, limit, path)
        else:
            if wanted is not None:
                raise UnreadableFileError(
                    f"{path} is a gzip file, so it holds no {wanted}", hint="name the file alone"
                )
            inner = target / (path.name.removesuffix(".gz").removesuffix(".gzip") or "export")
            with gzip.open(path) as packed:
                _copy_within(packed, inner, limit, path)
    except NotImplementedError as exc:  # e.g. Deflate64, which Python's zipfile lacks
        raise UnreadableFileError(
            f"{path}: compressed with a method adlens cannot unpack ({exc})",
            hint="unzip it and load the export inside",
        ) from None
    except (zipfile.BadZipFile, gzip.BadGzipFile, EOFError, OSError) as exc:
        raise UnreadableFileError(
            f"{path}: a damaged or incomplete compressed file ({exc})",
            hint="download the report again, or unpack it and load the export inside",
        ) from None
    if _compressed(inner):
        raise UnreadableFileError(
            f"{path} holds another compressed file ({inner.name})",
            hint="unpack it and load the export inside",
        )
    text = open_source(inner, workdir)
    text.path, text.archive, text.member = path, "zip" if member else "gzip", member
    text.one_of_many = many
    return text


def _exports(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [
        info
        for info in archive.infolist()
        if not info.is_dir() and not any(litter in info.filename for litter in ARCHIVE_LITTER)
    ]


def _named_export(
    path: Path, archive: zipfile.ZipFile, wanted: str
) -> tuple[zipfile.ZipInfo, bool]:
    """The export called ``wanted``, and whether the archive holds others too."""
    exports = {info.filename: info for info in _exports(archive)}
    if wanted not in exports:
        raise UnreadableFileError(
            f"{path} holds no export named {wanted!r}",
            hint=f"its exports: {', '.join(sorted(exports)) or 'none'}",
        )
    return exports[wanted], len(exports) > 1


def _only_export(path: Path, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    files = _exports(archive)
    if len(files) == 1:
        return files[0]
    if not files:
        raise UnreadableFileError(
            f"{path} is a ZIP archive with no file in it",
            hint="export the report again; the download was empty",
        )
    names = ", ".join(info.filename for info in files[:5]) + (", ..." if len(files) > 5 else "")
    raise UnreadableFileError(
        f"{path} is a ZIP archive of {len(files)} files ({names}); a load reads one export",
        hint="`adlens ingest` loads each export in it on its own (`adlens inspect --member "
        "NAME` shows one); or unzip it and load or upload the exports one by one",
    )


def _copy_within(
    packed: IO[bytes] | gzip.GzipFile, target: Path, limit: int | None, path: Path
) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := packed.read(CHUNK):
            written += len(chunk)
            if limit is not None and written > limit:
                raise UnreadableFileError(
                    f"{path} unpacks to more than {limit:,} bytes, the most a load accepts",
                    hint="load the export uncompressed, or raise ADLENS_MAX_UNPACKED_BYTES",
                )
            out.write(chunk)


def _detect_encoding(start: bytes, path: Path) -> str:
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if start.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    # UTF-16 without a BOM: every other byte of ASCII text is NUL.
    if len(start) >= 4 and start[1:40:2].count(0) > 15:
        return "utf-16-le"
    if len(start) >= 4 and start[0:40:2].count(0) > 15:
        return "utf-16-be"
    sample = start[: len(start) - 4] if len(start) == HEAD_BYTES else start
    if b"\x00" in sample or _control_ratio(sample) > 0.05:
        raise UnreadableFileError(
            f"{path} looks like a binary file, not a CSV/TSV/XLSX export "
            f"(starts with {start[:8]!r})",
            hint="export the report as CSV, TSV or Excel (XLSX) and load that file",
        )
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:
            return "cp1252"
    return "utf-8"


def _control_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    controls = sum(1 for b in data[:4096] if b < 9 or 13 < b < 32)
    return controls / min(len(data), 4096)


def _transcode(src: Path, dst: Path, encoding: str) -> None:
    codec = "utf-16" if encoding.startswith("utf-16") and _has_bom(src) else encoding
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
        while chunk := fin.read(CHUNK):
            fout.write(decoder.decode(chunk))
        fout.write(decoder.decode(b"", final=True))


def _sheet_to_csv(src: Path, dst: Path) -> str:
    """Write the first sheet with data as CSV, a row to a line; returns the sheet's name.

    The sheet's used range (its first to last column with a value) from row 1, so line
    numbers are the sheet's row numbers. Typed cells become the text an export would hold:
    ISO dates, integral numbers without ``.0``. XLSX streams row by row (``xlsx``: bounded
    memory); other workbooks (XLS, XLSB) are read whole by calamine.
    """
    if xlsx.is_xlsx(str(src)):
        return _xlsx_to_csv(src, dst)
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(src))
    except Exception as exc:  # calamine raises its own error types per format
        raise _unreadable_workbook(src, exc) from None
    for name in book.sheet_names:
        has_data = False
        with dst.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            for row in book.get_sheet_by_name(name).iter_rows():
                cells = [_cell_text(c) for c in row]
                has_data = has_data or any(c.strip() for c in cells)
                writer.writerow(cells)
        if has_data:
            return name
    raise _empty_workbook(src)


def _xlsx_to_csv(src: Path, dst: Path) -> str:
    """``_sheet_to_csv`` for XLSX: each row as read, then cut and padded to the used range."""
    rows = dst.with_name(dst.name + ".rows")
    try:
        with xlsx.Workbook(str(src)) as book:
            for name in book.sheets:
                first, width, even = _write_rows(book.sheet_rows(name), rows)
                if even:
                    rows.replace(dst)  # every row already spans the used range
                elif width:
                    _to_range(rows, dst, first, width)
                if width:
                    return name
    except xlsx.WorkbookError as exc:
        raise _unreadable_workbook(src, exc) from None
    finally:
        rows.unlink(missing_ok=True)
    raise _empty_workbook(src)


def _unreadable_workbook(src: Path, exc: Exception) -> UnreadableFileError:
    return UnreadableFileError(
        f"{src}: not a readable Excel workbook ({exc})",
        hint="open it in Excel and save it again as XLSX or CSV",
    )


def _empty_workbook(src: Path) -> UnreadableFileError:
    return UnreadableFileError(
        f"{src}: every sheet of the workbook is empty",
        hint="export the report again; the download was empty",
    )


def _write_rows(rows: Iterable[list[object]], path: Path) -> tuple[int, int, bool]:
    """Write rows as CSV. Returns the first column with a value, the widest row's end, and
    whether every row already spans exactly that (from column A: nothing to cut or pad)."""
    first, width, lengths = -1, 0, set()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for row in rows:
            cells = [_cell_text(c) for c in row]
            lengths.add(len(cells))
            if cells:
                width = max(width, len(cells))
                lead = next((i for i, c in enumerate(cells) if c != ""), len(cells))
                first = lead if first < 0 else min(first, lead)
            writer.writerow(cells)
    return max(first, 0), width, width > 0 and first == 0 and lengths == {width}


def _to_range(src: Path, dst: Path, first: int, width: int) -> None:
    """Rows cut to columns ``first`` to ``width`` and padded to it: one width for all."""
    size = width - first
    with (
        src.open(encoding="utf-8", newline="") as fin,
        dst.open("w", encoding="utf-8", newline="") as fout,
    ):
        writer = csv.writer(fout, lineterminator="\n")
        for row in csv.reader(fin):
            cells = row[first:]
            writer.writerow(cells + [""] * (size - len(cells)))


def _cell_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _has_bom(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _scan(path: Path, utf8_path: Path, encoding: str, size: int) -> TextFile:
    """Count lines and keep the head and tail text; the hash runs alongside."""
    digest = Digest(path)
    lines = 0
    head = b""
    last = b""
    ends_with_newline = True
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            lines += chunk.count(b"\n")
            ends_with_newline = chunk.endswith(b"\n")
            last = (last + chunk)[-TAIL_BYTES:]
    if not ends_with_newline:
        lines += 1
    head_text = _decode_lines(head, encoding, complete_only=size > HEAD_BYTES)
    tail_text = _decode_lines(last, encoding, complete_only=False, drop_first=size > TAIL_BYTES)
    return TextFile(
        path=path,
        utf8_path=utf8_path,
        encoding=encoding,
        digest=digest,
        size=size,
        line_count=lines,
        head=head_text,
        tail=tail_text,
        tail_first_line=lines - len(tail_text) + 1,
    )


def read_lines(path: Path, numbers: list[int]) -> dict[int, str]:
    """The text of the records starting on some lines (1-based), read in one streaming pass.

    A record whose quoted cell spans lines (an ad text with line breaks) is returned whole.
    """
    wanted = set(numbers)
    found: dict[int, str] = {}
    if not wanted:
        return found
    last = max(wanted)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        lines = iter(fh)
        number = 0
        for line in lines:
            number += 1
            start, record = number, line
            if start in wanted:
                while record.count('"') % 2:  # a quote still open: the record goes on
                    more = next(lines, None)
                    if more is None:
                        break
                    number += 1
                    record += more
                found[start] = record.rstrip("\r\n")
            if number >= last:
                break
    return found


def lines_within_records(path: Path, first: int, last: int, *, quotes: bool = True) -> list[int]:
    """1-based numbers of the lines between ``first`` and ``last`` that start no record:
    blank lines, and (``quotes``) the lines a quoted cell continues on (an ad text with
    line breaks).

    A line continues a record when the record's quotes opened so far are unbalanced
    (CSV escapes a quote by doubling it, so parity is enough). Only called when a reader
    returned fewer rows than the file has lines, so the common file is never read twice.
    """
    found: list[int] = []
    inside = False
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if number > last:
                break
            if number >= first and (inside or not line.strip(b"\r\n")):
                found.append(number)
            if quotes and line.count(b'"') % 2:
                inside = not inside
    return found


def _decode_lines(
    data: bytes, encoding: str, *, complete_only: bool, drop_first: bool = False
) -> list[str]:
    text = data.decode("utf-8-sig" if encoding == "utf-8-sig" else "utf-8", errors="replace")
    lines = text.splitlines()
    if complete_only and lines and not text.endswith("\n"):
        lines = lines[:-1]
    if drop_first and lines:
        lines = lines[1:]
    return lines
