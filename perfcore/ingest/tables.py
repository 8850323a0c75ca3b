"""The offices' own tables: their columns, and reading them cell by cell.

Each table kind lists its columns with the Chinese header the offices use and
an English alias. A file may use either. Cells are read as text and converted
here, so that a bad cell is reported with its file, sheet, row and column
instead of being silently coerced.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import Collector, InputError, Problem
from ..vocab import DEFAULT_SOURCE_LEVEL, DEFAULT_STATUS, MAX_CELL_CHARS
from .workbook import read_grid


@dataclass(frozen=True)
class Column:
    key: str          # identifier used in the database
    zh: str           # the office's header
    en: str           # English alias
    kind: str = "text"  # text | number | percent | int | date | bool
    required: bool = False
    default: object = None
    aliases: tuple = ()  # other headers the offices use for the same column


def _c(key, zh, en, kind="text", required=False, default=None, aliases=()):
    return Column(key, zh, en, kind, required, default, aliases)


IGNORED_HEADERS = {"序号", "no.", "#"}          # row numbers in the offices' tables carry no data
FOOTNOTE_PREFIXES = ("备注：", "备注:", "注：", "注:", "说明：", "说明:")
# columns whose merged cells run down over several rows (category cells), per table
GROUP_COLUMNS = {"indicators": {"category", "first_level"}}
# columns a file may leave out because a header line or the import gives them (S4 附件4: 填报组队 above the table)
FROM_HEADER_LINE = {"progress": {"unit", "period", "reporter", "report_date"}}


TABLES: dict[str, dict] = {
    "units": {
        "file": "单位名单", "zh": "单位名单", "en": "Unit list",
        "columns": [
            _c("unit", "单位", "unit", required=True),
            _c("series", "系列", "series", required=True),
            _c("level", "层级", "level"),
            _c("parent", "上级单位", "parent"),
            _c("principal", "主要领导", "principal leader"),
            _c("leader_in_charge", "分管领导", "leader in charge"),
            _c("first_year", "起始年度", "first year", "int"),
            _c("last_year", "终止年度", "last year", "int"),
        ],
    },
    "indicators": {
        "file": "指标任务分解表", "zh": "指标任务分解表", "en": "Indicator breakdown",
        "columns": [
            _c("category", "项目", "category"),
            _c("first_level", "一级指标", "first-level indicator"),
            _c("indicator", "二级指标名称", "indicator", required=True, aliases=("二级指标", "指标名称")),
            _c("points", "分值", "points", "number", required=True, aliases=("指标分值",)),
            _c("mode", "计分方式", "scoring mode"),
            _c("collector", "数据采集责任单位", "data-collection unit", aliases=("数据采集单位",)),
            _c("leader", "责任领导", "responsible leader"),
            _c("section", "责任科室", "responsible section"),
            _c("person", "责任人", "responsible person"),
            _c("allow_overflow", "可超分", "allow overflow", "bool", default=False),
            _c("method", "考评办法（评分标准）", "scoring method", aliases=("考评办法", "评分标准", "考评办法(评分标准)")),
            _c("note", "备注", "note"),
        ],
    },
    "events": {
        "file": "扣分台账", "zh": "扣分台账", "en": "Deduction ledger",
        "columns": [
            _c("event_id", "编号", "id", required=True),
            _c("date", "日期", "date", "date", required=True),
            _c("unit", "单位", "unit", required=True),
            _c("target", "指标", "indicator", required=True),
            _c("rule", "情形", "rule", required=True),
            _c("source_level", "来源层级", "source level", default=DEFAULT_SOURCE_LEVEL),
            _c("channel", "渠道", "channel"),
            _c("instruction_level", "批示层级", "instruction level"),
            _c("count", "次数", "count", "number", default=1),
            _c("base_amount", "标准分", "base amount", "number"),
            _c("aggravation", "加重情形", "aggravation"),
            _c("role", "角色", "role"),
            _c("accountable", "问责人次", "persons held accountable", "int", default=0),
            _c("mitigation_code", "减免依据", "mitigation code", "int"),
            _c("mitigation_mode", "减免方式", "mitigation mode"),
            _c("mitigation_reason", "减免理由", "mitigation reason"),
            _c("problem_key", "问题标识", "problem key"),
            _c("matter_key", "事项标识", "matter key"),
            _c("evidence", "证据文号", "evidence"),
            _c("status", "状态", "status", default=DEFAULT_STATUS),
            _c("description", "说明", "description"),
            _c("carried_over", "结转", "carried over", "bool", default=False),
        ],
    },
    "indicator_scores": {
        "file": "指标评分", "zh": "指标评分", "en": "Indicator scores",
        "columns": [
            _c("unit", "单位", "unit", required=True),
            _c("indicator", "指标", "indicator", required=True),
            _c("score", "得分", "score", "number", required=True),
            _c("scorer", "评分单位", "scored by"),
        ],
    },
    "assignments": {
        "file": "指标任务", "zh": "指标任务", "en": "Indicator assignments",
        "columns": [
            _c("unit", "单位", "unit", required=True),
            _c("indicator", "指标", "indicator", required=True),
            _c("item", "任务项", "task item", required=True),
            _c("target_value", "目标值", "target", "number"),
            _c("actual_value", "完成值", "actual", "number"),
            _c("prior_value", "上年完成值", "last year's actual", "number"),
            _c("milestone", "序时进度", "time-proportional milestone", "number"),
        ],
    },
    "evaluations": {
        "file": "评议得分", "zh": "评议得分", "en": "Evaluations",
        "columns": [
            _c("unit", "单位", "unit", required=True),
            _c("kind", "类别", "kind", required=True),
            _c("aspect", "项目", "aspect", default=""),
            _c("score", "得分", "score", "number", required=True),
            _c("max_score", "满分", "full marks", "number"),
        ],
    },
    "vetoes": {
        "file": "一票否决", "zh": "一票否决", "en": "Vetoes",
        "columns": [
            _c("unit", "单位", "unit", required=True),
            _c("category", "类别", "category", required=True),
            _c("date", "日期", "date", "date", required=True),
            _c("description", "说明", "description"),
            _c("evidence", "证据文号", "evidence"),
            _c("people", "当事人", "people involved"),
        ],
    },
    "outside_ranks": {
        "file": "外部排名", "zh": "外部排名", "en": "Outside rankings",
        "columns": [
            _c("unit", "单位", "unit", required=True),
            _c("ranking", "排名", "ranking", required=True, aliases=("排名名称",)),
            _c("position", "名次", "position", "int", required=True),
            _c("ranked", "参评数", "units ranked", "int", aliases=("参评单位数",)),
            _c("evidence", "证据文号", "evidence"),
            _c("description", "说明", "description"),
        ],
    },
    "progress": {
        "file": "工作进度表", "zh": "工作进度表", "en": "Progress report",
        "columns": [
            _c("unit", "填报组队", "unit", required=True),
            _c("period", "报告期", "period", required=True),
            _c("indicator", "指标名称", "indicator", required=True),
            _c("percent", "完成进度", "percent complete", "percent"),
            _c("progress", "指标工作进展情况", "progress"),
            _c("problems", "存在的问题", "problems"),
            _c("next_steps", "下一步整改措施及完成时限", "next steps and deadline"),
            _c("reporter", "填报人", "reporter"),
            _c("report_date", "填报时间", "report date", "date"),
        ],
    },
}

_TRUE = {"是", "true", "yes", "y", "1", "√"}
_FALSE = {"否", "false", "no", "n", "0", ""}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")     # 8,000 or 12,345.5: thousands separators


def _number(text: str, column: Column) -> float:
    """A number as the office wrote it; a comma that could be a decimal comma is refused, not guessed."""
    text = unicodedata.normalize("NFKC", text).replace(" ", "")
    if text.endswith("%"):
        if column.kind != "percent":
            raise ValueError("应为数字，不能是百分比", "expected a number, not a percentage")
        text = text[:-1]
    if "," in text:
        if not _GROUPED.match(text):
            raise ValueError("数字中的逗号含义不明（小数请用小数点，如 1.5；千位分隔如 8,000）",
                             "ambiguous comma in a number (use a decimal point, e.g. 1.5; thousands as 8,000)")
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        raise ValueError("应为数字", "expected a number")
    return float(text)


def convert(value: str, column: Column):
    """Convert one cell's text; raise ValueError with (zh, en) on bad input."""
    text = (value or "").strip()
    if text == "":
        if column.required:
            raise ValueError("必填项为空", "required cell is empty")
        return column.default
    if column.kind == "text":
        return text
    if column.kind in ("number", "int", "percent"):
        number = _number(text, column)
        if column.kind == "int":
            if number != int(number):
                raise ValueError("应为整数", "expected a whole number")
            return int(number)
        return number
    if column.kind == "date":
        for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                pass
        raise ValueError("应为日期（如 2025-03-31）", "expected a date (e.g. 2025-03-31)")
    if column.kind == "bool":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("应为“是”或“否”", "expected 是 (yes) or 否 (no)")
    raise AssertionError(column.kind)


def find(folder: Path, kind: str) -> Path | None:
    """The file holding table `kind` in a year folder (.csv or .xlsx), or None.

    Two copies of one table (扣分台账.csv beside 扣分台账.xlsx) are refused: which one is meant
    cannot be known.
    """
    stem = TABLES[kind]["file"]
    found = [folder / (stem + suffix) for suffix in (".csv", ".xlsx") if (folder / (stem + suffix)).exists()]
    if len(found) > 1:
        raise InputError([Problem(str(folder / stem), None, None, None,
                                  f"同一张表有两个文件（{'、'.join(p.name for p in found)}），请只保留一个",
                                  f"two files hold the same table ({', '.join(p.name for p in found)}); keep one")])
    return found[0] if found else None


def _known_headers(kind: str) -> dict:
    known = {}
    for col in TABLES[kind]["columns"]:
        for name in (col.zh, col.en.lower(), *col.aliases):
            known[name] = col
    return known


def _norm(h: str) -> str:
    return (h or "").replace("\n", "").replace(" ", "").strip()


def header_row(rows: list[list[str]], kind: str) -> int:
    """Index of the header row: among the first ten, the one naming most of the table's columns."""
    known = _known_headers(kind)
    best, best_hits = 0, -1
    for i, r in enumerate(rows[:10]):
        hits = sum(1 for h in r if _norm(h) in known or _norm(h).lower() in known or _norm(h) == "考评指标")
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def _raw_rows(path: Path, label: str, kind: str) -> tuple[list[str], list[tuple[int, list[str]]], str | None, dict]:
    """Header, (row number, cells), sheet name and header-line facts of one table.

    Handles the offices' shapes: a title above the header, a 填报组队/填报人/填报时间 line,
    category cells merged down over their rows, S0's two-column 考评指标, footnotes.
    """
    grid = read_grid(path, label)
    rows, sheet, merges = grid.rows, grid.sheet, grid.merges
    if not rows or not any((c or "").strip() for r in rows for c in r):
        raise InputError([Problem(label, 1, None, None, "文件为空或缺少表头", "file is empty or has no header row", sheet)])
    h = header_row(rows, kind)
    width = max(len(r) for r in rows)
    rows = [list(r) + [""] * (width - len(r)) for r in rows]
    header = [_norm(x) for x in rows[h]]
    meta = {"_header_row": h + 1, "_notes": list(grid.notes)}
    for r in rows[:h]:   # 填报组队：综合组   填报人：王某   填报时间：2025年9月30日
        line = " ".join(c for c in r if c)
        for key in ("填报组队", "填报人", "填报时间"):
            if key + "：" in line or key + ":" in line:
                rest = line.split(key, 1)[1][1:].strip()
                meta[key] = rest.split()[0] if rest.split() else ""
    if "考评指标" in header:     # S0's 考评细则: the indicator spans two columns (level one, level two)
        i = header.index("考评指标")
        header[i] = "一级指标"
        if i + 1 < len(header) and not header[i + 1]:
            header[i + 1] = "二级指标名称"
    problems = []
    groups = {c.zh for c in TABLES[kind]["columns"] if c.key in GROUP_COLUMNS.get(kind, set())}
    s0_pair = {"一级指标", "二级指标名称"} if kind == "indicators" else set()
    def footnote(r):
        filled = [c.strip() for c in r if (c or "").strip()]
        return bool(filled) and filled[0].startswith(FOOTNOTE_PREFIXES)

    notes = {i for i, r in enumerate(rows) if i > h and footnote(r)}
    last_data = max((i for i, r in enumerate(rows) if any(c.strip() for c in r) and i not in notes), default=h)
    for (r0, r1, c0, c1, ref) in merges:
        top, bottom = r0 - 1, r1 - 1
        if bottom <= h or top > last_data or all(i in notes for i in range(top, bottom + 1)):
            continue      # titles above the header, footnotes below the data
        cols = {header[c - 1] for c in range(c0, c1 + 1) if c - 1 < len(header)}
        vertical_group = c0 == c1 and cols <= groups
        s0_level = cols <= s0_pair and top > h
        if top <= h or not (vertical_group or s0_level):
            problems.append(Problem(label, r0, header[c0 - 1] if c0 - 1 < len(header) else None, ref,
                                    f"合并单元格 {ref} 位于数据区，无法确定每一行的值（只有类别列可以向下合并）",
                                    f"merged cells {ref} inside the data: each row's value is ambiguous "
                                    "(only category columns may be merged downwards)", sheet))
            continue
        value = rows[top][c0 - 1]
        for rr in range(top, bottom + 1):
            for cc in range(c0 - 1, c1):
                rows[rr][cc] = value
    if problems:
        raise InputError(problems)
    body = []
    for i in range(h + 1, len(rows)):
        r = rows[i]
        if not any((c or "").strip() for c in r) or i in notes:
            continue
        body.append((i + 1, r))
    return header, body, sheet, meta


def public_fields(kind: str, row: dict) -> dict:
    """The fields of a row that its table defines (what is compared, shown and audited)."""
    return {c.key: row.get(c.key) for c in TABLES[kind]["columns"]}


def read_table(path: Path, kind: str, label: str | None = None) -> list[dict]:
    """Read and type-check one table; return rows as dicts with a `_row` number.

    Raises InputError listing every problem in the file.
    """
    rows, problems, _ = read_rows(path, kind, label)
    if problems:
        raise InputError(problems)
    return rows


def read_rows(path: Path, kind: str, label: str | None = None) -> tuple[list[dict], list[Problem], str | None]:
    """Like read_table, but return the rows, the cell problems and the sheet name.

    A bad header still raises at once: without it no cell can be read. A row with
    a bad cell comes back with that field None and named in `_bad`, so later
    checks look at its other cells without reporting the same cell twice.
    """
    spec = TABLES[kind]
    label = label or str(path)
    header, body, sheet, meta = _raw_rows(path, label, kind)
    problems = Collector(label, sheet)
    index: dict[str, int] = {}
    known = _known_headers(kind)
    header_at = meta["_header_row"]
    unnamed = []
    for pos, name in enumerate(header):
        if not name:
            unnamed.append(pos)
            continue
        if name.lower() in IGNORED_HEADERS:
            continue
        col = known.get(name) or known.get(name.lower())
        if col is None:
            problems.add(header_at, name, None, f"未知的列名（{spec['zh']}）", f"unknown column for {spec['en']}")
        elif col.key in index:
            problems.add(header_at, name, None, "列名重复", "duplicate column")
        else:
            index[col.key] = pos
    for rownum, cells in body:   # text beyond the named columns would be lost: an unquoted comma, a missing header
        for pos in unnamed:
            if pos < len(cells) and (cells[pos] or "").strip():
                problems.add(rownum, _letter(pos), cells[pos], "该单元格所在列没有列名（是否有未加引号的逗号，或漏填了表头？）",
                             "this cell's column has no header (an unquoted comma, or a missing header?)")
    for col in spec["columns"]:
        if col.required and col.key not in index and col.key not in FROM_HEADER_LINE.get(kind, set()):
            problems.add(header_at, col.zh, None, f"缺少必需的列「{col.zh}」", f"missing required column '{col.en}'")
    problems.check()
    out = []
    for rownum, cells in body:
        cells = list(cells)
        if kind == "indicators" and _indicator_row(cells, index) is None:
            continue          # a subtotal (小计/合计) row; the bracketed totals are checked instead
        record = {"_row": rownum}
        for col in spec["columns"]:
            pos = index.get(col.key)
            if pos is None and col.key in FROM_HEADER_LINE.get(kind, set()):
                record[col.key] = None
                continue
            raw = cells[pos] if pos is not None and pos < len(cells) else ""
            if len(raw or "") > MAX_CELL_CHARS:
                problems.add(rownum, col.zh, raw, f"单元格内容过长（超过{MAX_CELL_CHARS}字）",
                             f"cell is too long (over {MAX_CELL_CHARS} characters)")
                record[col.key] = None
                record.setdefault("_bad", set()).add(col.key)
                continue
            try:
                record[col.key] = convert(raw, col)
            except ValueError as exc:
                zh, en = exc.args
                problems.add(rownum, col.zh, raw, zh, en)
                record[col.key] = None
                record.setdefault("_bad", set()).add(col.key)
        out.append(record)   # rows with a bad cell are still cross-checked (on their other cells), never written
    if meta:
        for record in out:
            record["_meta"] = meta
    return out, problems.problems, sheet


def _letter(pos: int) -> str:
    """Spreadsheet column letter of a 0-based position (A, B, …, AA)."""
    from openpyxl.utils import get_column_letter
    return get_column_letter(pos + 1)


def _indicator_row(cells: list, index: dict) -> list | None:
    """Normalise one indicator row in place; None for a subtotal row.

    S0's 考评指标 spans two columns: a single-level indicator is merged across both,
    or written in the first only.
    """
    def get(key):
        return (cells[index[key]] if key in index and index[key] < len(cells) else "").strip()

    names = [get("category"), get("first_level"), get("indicator")]
    if any(("小计" in n or "合计" in n) for n in names) or (not any(names) and get("points")):
        return None
    if "first_level" in index and "indicator" in index:
        if not get("indicator") and get("first_level"):
            cells[index["indicator"]], cells[index["first_level"]] = cells[index["first_level"]], ""
        elif get("indicator") == get("first_level"):
            cells[index["first_level"]] = ""
    return cells
