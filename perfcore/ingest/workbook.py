"""Reading a CSV or a workbook's first sheet into a grid of cell texts, safely.

Nothing here guesses. A cell whose meaning would change on the way in is refused with its
location: a formula without a saved value, a file of the wrong encoding, a row longer than
its header. A file too large, or a workbook that expands too much when unzipped (a "zip
bomb"), is refused before it is parsed; workbooks are streamed (openpyxl's read-only mode),
so memory stays flat whatever their size.

    grid = read_grid(path, label)
    grid.rows      list of rows, each a list of cell texts ('' for empty), row 1 first
    grid.sheet     the sheet's name (None for a CSV)
    grid.merges    merged ranges as (min_row, max_row, min_col, max_col, 'A2:A5')
    grid.notes     what was accepted with a remark (a GB18030 CSV, …)
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from ..errors import Collector, InputError, Problem
from ..vocab import MAX_CELL_CHARS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, MAX_UNCOMPRESSED_BYTES

FORMULA_PREFIXES = ("=", "+", "-", "@")   # what a spreadsheet may read as a formula when it starts a text
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "p": "http://schemas.openxmlformats.org/package/2006/relationships"}


@dataclass
class Grid:
    rows: list
    sheet: str | None = None
    merges: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def _problem(label, zh, en, row=None, column=None, value=None, sheet=None) -> InputError:
    return InputError([Problem(label, row, column, value, zh, en, sheet)])


def read_grid(path: Path, label: str) -> Grid:
    """The cells of a CSV or of a workbook's first sheet. Raises InputError with the location of any fault."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise _problem(label, "文件不存在或无法读取", "the file does not exist or cannot be read")
    if size > MAX_FILE_BYTES:
        raise _problem(label, f"文件过大（{size / 1048576:.1f} MB，上限 {MAX_FILE_BYTES // 1048576} MB），请分成几个文件",
                       f"the file is too large ({size / 1048576:.1f} MB, limit {MAX_FILE_BYTES // 1048576} MB); split it")
    if path.suffix.lower() == ".csv":
        return _csv_grid(path, label)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _workbook_grid(path, label)
    raise _problem(label, "只能导入 .xlsx 或 .csv 文件（.xls 请先另存为 .xlsx）",
                   "only .xlsx or .csv files can be imported (save an .xls as .xlsx first)")


def unescape(text: str) -> str:
    """Undo the export's guard: "'=A1" was written for the text "=A1"."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text


# A cell longer than MAX_CELL_CHARS is refused later, by its row and column name; the csv module's
# own limit (128 K) would stop reading first, without the column.
csv.field_size_limit(MAX_FILE_BYTES)


def _csv_grid(path: Path, label: str) -> Grid:
    data = path.read_bytes()
    notes = []
    if b"\x00" in data:
        raise _problem(label, "文件含有空字节，不是文本格式的 CSV（是否把 Excel 文件改了扩展名？）",
                       "the file contains NUL bytes: not a text CSV (an Excel file renamed?)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")   # Excel's "CSV (逗号分隔)" on a Chinese system
            notes.append("按 GB18030（GBK）编码读取 / read as GB18030 (GBK) encoded")
        except UnicodeDecodeError:
            raise _problem(label, "无法识别文件编码（请另存为“CSV UTF-8”）",
                           "the file's encoding is not UTF-8 or GB18030 (save it as 'CSV UTF-8')")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            if len(rows) > MAX_ROWS:
                raise _problem(label, f"行数超过上限 {MAX_ROWS}", f"more than {MAX_ROWS} rows", row=reader.line_num)
            if len(row) > MAX_COLUMNS:
                raise _problem(label, f"列数超过上限 {MAX_COLUMNS}", f"more than {MAX_COLUMNS} columns", row=reader.line_num)
            rows.append([unescape(c) for c in row])
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _problem(label, f"单元格内容过长（超过 {MAX_CELL_CHARS} 字）", f"a cell is too long (over {MAX_CELL_CHARS} characters)",
                           row=reader.line_num)
        raise _problem(label, f"CSV 格式错误：{exc}", f"malformed CSV: {exc}", row=reader.line_num)
    return Grid(rows, None, [], notes)


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, str]:
    """(name, part path) of the workbook's first sheet, from workbook.xml and its relationships."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    first = book.find("m:sheets/m:sheet", _NS)
    rid = first.get(f"{{{_NS['r']}}}id")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") for r in rels.findall("p:Relationship", _NS) if r.get("Id") == rid)
    part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return first.get("name"), part


def _cell_text(value, number_format) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, (int, float)):
        if number_format and "%" in number_format:   # 25.3 % is stored as 0.253: keep what the office sees
            return f"{value * 100:.10g}%"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return f"{value:.15g}" if isinstance(value, float) else str(value)
    return str(value)


def _unpacked_size(path: Path, archive: zipfile.ZipFile, limit: int) -> int:
    """How large the workbook's parts really are once inflated, counted by inflating them in small
    steps and stopping past `limit`. The sizes a zip file declares are not trusted: a crafted file
    can declare 5 KB for a part that inflates to gigabytes (and Python's zipfile would inflate it)."""
    import struct
    import zlib
    total = 0
    with open(path, "rb") as f:
        for info in archive.infolist():
            f.seek(info.header_offset)
            header = f.read(30)
            if len(header) < 30 or header[:4] != b"PK\x03\x04":
                raise zipfile.BadZipFile("bad local header")
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            f.seek(info.header_offset + 30 + name_len + extra_len)
            if info.compress_type == zipfile.ZIP_STORED:
                total += info.compress_size
            elif info.compress_type == zipfile.ZIP_DEFLATED:
                inflate, left = zlib.decompressobj(-15), info.compress_size
                while left > 0 and total <= limit:
                    chunk = f.read(min(1 << 16, left))
                    if not chunk:
                        break
                    left -= len(chunk)
                    data = chunk
                    while data and total <= limit:
                        total += len(inflate.decompress(data, 1 << 20))
                        data = inflate.unconsumed_tail
            else:
                raise zipfile.BadZipFile("unsupported compression")
            if total > limit:
                return total
    return total


def _column_name(rows: list, row: int, column: int) -> str | None:
    """The header above a cell (1-based): the first row above it that names this column and at least
    one other, as a table's header row does; None if there is none."""
    for cells in rows[:row - 1]:
        filled = sum(1 for x in cells if (x or "").strip())
        if column <= len(cells) and (cells[column - 1] or "").strip() and filled >= 2:
            return cells[column - 1].strip()
    return None


def _workbook_grid(path: Path, label: str) -> Grid:
    import openpyxl
    from openpyxl.utils import get_column_letter, range_boundaries
    if not zipfile.is_zipfile(path):
        raise _problem(label, "无法作为 Excel 工作簿打开（文件已损坏，或不是 .xlsx）",
                       "cannot be opened as an Excel workbook (damaged, or not an .xlsx)")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = _unpacked_size(path, archive, MAX_UNCOMPRESSED_BYTES)
            if unpacked > MAX_UNCOMPRESSED_BYTES:
                raise _problem(label, f"工作簿解压后超过 {MAX_UNCOMPRESSED_BYTES // 1048576} MB 的上限（是否为异常文件？）",
                               f"the workbook expands to more than the {MAX_UNCOMPRESSED_BYTES // 1048576} MB limit "
                               "(a malformed file?)")
            sheet_name, part = _first_sheet(archive)
            xml = archive.read(part)
    except InputError:
        raise
    except Exception:
        raise _problem(label, "无法作为 Excel 工作簿打开（文件已损坏，或不是 .xlsx）",
                       "cannot be opened as an Excel workbook (damaged, or not an .xlsx)")
    merges = []
    for ref in re.findall(rb'<mergeCell[^>]*\bref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"', xml):
        ref = ref.decode()
        c0, r0, c1, r1 = range_boundaries(ref)
        merges.append((r0, r1, c0, c1, ref))
    has_formulas = re.search(rb"<(?:\w+:)?f[ >/]", xml) is not None
    del xml
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise _problem(label, "无法作为 Excel 工作簿打开（文件已损坏，或不是 .xlsx）",
                       "cannot be opened as an Excel workbook (damaged, or not an .xlsx)")
    try:
        if not book.worksheets:
            raise _problem(label, "工作簿中没有工作表", "the workbook has no sheet")
        ws = book.worksheets[0]
        problems = Collector(label, sheet_name)
        rows = []
        for cells in ws.iter_rows(max_col=MAX_COLUMNS + 1):
            if len(rows) > MAX_ROWS:
                raise _problem(label, f"行数超过上限 {MAX_ROWS}", f"more than {MAX_ROWS} rows", row=len(rows) + 1, sheet=sheet_name)
            row = [_cell_text(c.value, getattr(c, "number_format", None)) for c in cells]
            if len(row) > MAX_COLUMNS and row[MAX_COLUMNS]:
                raise _problem(label, f"列数超过上限 {MAX_COLUMNS}", f"more than {MAX_COLUMNS} columns",
                               row=len(rows) + 1, sheet=sheet_name)
            rows.append(row[:MAX_COLUMNS])
    finally:
        book.close()
    if has_formulas:   # a formula the office's program never calculated has no value to read: say so
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
        try:
            for r, cells in enumerate(formulas.worksheets[0].iter_rows(max_col=MAX_COLUMNS), start=1):
                for c, cell in enumerate(cells, start=1):
                    value = cell.value
                    if isinstance(value, str) and value.startswith("=") and r <= len(rows) and \
                            (c > len(rows[r - 1]) or rows[r - 1][c - 1] == ""):
                        problems.add(r, _column_name(rows, r, c) or get_column_letter(c), value,
                                     "公式没有保存计算结果（请在表格软件中打开并保存一次，或填写数值）",
                                     "a formula with no saved result (open and save the file in its spreadsheet program, "
                                     "or type the value)")
        finally:
            formulas.close()
    problems.check()
    return Grid(rows, sheet_name, merges, [])
