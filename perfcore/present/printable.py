"""Workbook sheets that print as offices print them: A4 landscape, one page wide, title and header on every page.

    ws = book.active
    header_row = table_sheet(ws, frame, title="示例区2025年度…", subtitle="…")
    print_setup(ws, header_row, footer="示例区2025年度…（征求意见稿）")

Cells are typed: numbers stay numbers (two decimals, whole numbers without), dates are dates,
and text stays text even when it begins like a formula. Column widths count a Chinese
character as two, so a column is as wide as its longest value (up to a limit: longer text wraps,
and its row is made tall enough, since the office's program keeps stored row heights).
"""
from __future__ import annotations

import datetime as dt
import math
import unicodedata
from copy import copy
from functools import lru_cache

import pandas as pd

HEADER_FILL = "0072B2"        # the blue of the colour-blind-safe palette; white bold text on it
NUMBER_FORMAT = "0.00"
WHOLE_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
MIN_WIDTH, MAX_WIDTH = 6, 30  # in the spreadsheet's character widths; longer text wraps
TITLE_SIZE = 15               # points; the table's text is 11
LINE_HEIGHT = 15              # points per line of 11-point text
HEADER_WRAP = 16              # a header wider than this wraps onto a second line
FOOTER_CHARS = 80             # Excel refuses a header or footer over 255 characters in all


def text_width(value) -> int:
    """Display width of a value as text: a Chinese (wide or full-width) character counts two."""
    return _width(str(value))


@lru_cache(maxsize=65536)
def _width(text: str) -> int:
    return len(text) + sum(1 for ch in text if ch > "\u10ff" and unicodedata.east_asian_width(ch) in "WF")


def write_cell(ws, row: int, column: int, value):
    """Put a value in a cell; text stays text even when it looks like a formula."""
    if isinstance(value, float) and value != value:
        value = None
    if value is pd.NaT or value is pd.NA:
        value = None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def write_frame(ws, frame: pd.DataFrame, start_row: int = 1, header: bool = True) -> int:
    """Write a frame's header and rows from `start_row`; returns the next free row."""
    row = start_row
    if header:
        for j, name in enumerate(frame.columns, start=1):
            write_cell(ws, row, j, str(name))
        row += 1
    for values in frame.itertuples(index=False):
        for j, v in enumerate(values, start=1):
            write_cell(ws, row, j, v)
        row += 1
    return row


def _number_format(values) -> str | None:
    """The format a column's numbers print with: two decimals, or none for whole numbers (ranks, counts, years)."""
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v]
    if not numbers:
        return None
    if all(isinstance(v, int) for v in numbers):
        return WHOLE_FORMAT
    return NUMBER_FORMAT


def column_width(header: str, values) -> float:
    """A column's width: its longest value, and its header (wrapped onto two lines when long)."""
    head = text_width(header)
    if head > HEADER_WRAP:
        head = math.ceil(head / 2)
    longest = max([text_width(_shown(v)) for v in values] + [0])
    return float(min(max(head, longest, MIN_WIDTH), MAX_WIDTH) + 2)


def _shown(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def table_sheet(ws, frame: pd.DataFrame, title: str, subtitle: str | None = None, centred=()) -> int:
    """A titled table: the title merged across the table's width, an optional line below it, the header and
    the rows with thin borders, typed cells and widths for Chinese text; the `centred` columns centred.
    Returns the header's row number."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    ncols = max(len(frame.columns), 1)
    last = get_column_letter(ncols)
    write_cell(ws, 1, 1, title)
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(size=TITLE_SIZE, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    header_row = 2
    if subtitle:
        write_cell(ws, 2, 1, subtitle)
        ws.merge_cells(f"A2:{last}2")
        ws["A2"].alignment = Alignment(horizontal="center", vertical="center")
        header_row = 3
    end = write_frame(ws, frame, start_row=header_row)
    thin = Side(style="thin", color="999999")
    border = Border(top=thin, bottom=thin, left=thin, right=thin)
    for cell in ws[header_row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    wraps = any(text_width(c) > HEADER_WRAP for c in frame.columns)
    ws.row_dimensions[header_row].height = 32 if wraps else 20
    lines = [1] * len(frame)      # lines each row needs once its long text wraps
    for j, name in enumerate(frame.columns, start=1):
        values = frame[name].tolist()
        shown = [text_width(_shown(v)) for v in values]
        width = column_width(str(name), values)
        long_text = max(shown + [0]) > MAX_WIDTH
        if not len(frame):
            ws.column_dimensions[get_column_letter(j)].width = width
            continue
        first = ws.cell(row=header_row + 1, column=j)     # style one cell, copy its style down the column (fast)
        first.border = border
        first.alignment = Alignment(horizontal="center" if name in centred else None, vertical="center", wrap_text=long_text)
        if any(isinstance(v, (dt.date, dt.datetime)) for v in values):
            first.number_format = DATE_FORMAT
        elif _number_format(values):
            first.number_format = _number_format(values)
        for i in range(header_row + 2, end):
            ws.cell(row=i, column=j)._style = copy(first._style)
        if long_text:
            for k, w in enumerate(shown):
                lines[k] = max(lines[k], math.ceil(w / (width - 2)))
        ws.column_dimensions[get_column_letter(j)].width = width
    letters = [get_column_letter(j) for j in range(1, ncols + 1)]
    total = sum(ws.column_dimensions[c].width or MIN_WIDTH for c in letters)
    needed = text_width(title) * TITLE_SIZE / 11 + 4       # the title is whole only if the table is as wide
    if total < needed:
        for c in letters:
            ws.column_dimensions[c].width = round((ws.column_dimensions[c].width or MIN_WIDTH) * needed / total, 1)
    for k, n in enumerate(lines):   # the office's program keeps a row's stored height: wrapped text needs room
        if n > 1:
            ws.row_dimensions[header_row + 1 + k].height = LINE_HEIGHT * n + 2
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    if len(frame):
        ws.auto_filter.ref = f"A{header_row}:{last}{end - 1}"
    return header_row


def grow_rows(ws, min_row: int = 1) -> None:
    """Give rows with wrapped text the height their lines need: the office's program keeps the stored
    height when it opens a workbook, so wrapped text would otherwise be cut or overlap."""
    from openpyxl.utils import get_column_letter
    widths = {}
    for row in ws.iter_rows(min_row=min_row):
        lines = 1
        for cell in row:
            if cell.value is None or not (cell.alignment and cell.alignment.wrap_text):
                continue
            letter = get_column_letter(cell.column)
            width = widths.setdefault(letter, ws.column_dimensions[letter].width or 8.43)
            lines = max(lines, sum(math.ceil(max(text_width(part), 1) / max(width - 2, 1))
                                   for part in str(cell.value).split("\n")))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = LINE_HEIGHT * lines + 2


def footer_text(text: str) -> str:
    """Text for a page header or footer: '&' is a field code there, so it is doubled; long text is cut."""
    text = str(text)
    if len(text) > FOOTER_CHARS:
        text = text[:FOOTER_CHARS - 1] + "…"
    return text.replace("&", "&&")


def print_setup(ws, header_row: int, footer: str, made: dt.date | None = None, lang: str = "zh") -> None:
    """A4 landscape, fit to one page wide (as many pages down as needed), rows 1 to `header_row` (if any)
    repeated at the top of every page, and a footer: `footer` on the left, page N of M, the date the file was made."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.7
    ws.page_margins.header, ws.page_margins.footer = 0.3, 0.3
    if header_row:
        ws.print_title_rows = f"1:{header_row}"
    made = made or dt.date.today()
    ws.oddFooter.left.text = footer_text(footer)
    ws.oddFooter.left.size = 9
    ws.oddFooter.center.text = "第 &P 页，共 &N 页" if lang == "zh" else "Page &P of &N"
    ws.oddFooter.center.size = 9
    ws.oddFooter.right.text = (f"制表日期：{made:%Y-%m-%d}" if lang == "zh" else f"Made {made:%Y-%m-%d}")
    ws.oddFooter.right.size = 9
