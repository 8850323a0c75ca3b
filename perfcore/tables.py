"""The offices' own tables: their columns, and reading them cell by cell.

Each table kind lists its columns with the Chinese header the offices use and
an English alias. A file may use either. Cells are read as text and converted
here, so that a bad cell is reported with its file, sheet, row and column
instead of being silently coerced.
"""
from __future__ import annotations

import csv
import io
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import Collector, InputError, Problem


@dataclass(frozen=True)
class Column:
    key: str          # identifier used in the database
    zh: str           # the office's header
    en: str           # English alias
    kind: str = "text"  # text | number | int | date | bool
    required: bool = False
    default: object = None


def _c(key, zh, en, kind="text", required=False, default=None):
    return Column(key, zh, en, kind, required, default)


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
            _c("indicator", "二级指标名称", "indicator", required=True),
            _c("points", "分值", "points", "number", required=True),
            _c("mode", "计分方式", "scoring mode"),
            _c("collector", "数据采集责任单位", "data-collection unit"),
            _c("leader", "责任领导", "responsible leader"),
            _c("section", "责任科室", "responsible section"),
            _c("person", "责任人", "responsible person"),
            _c("allow_overflow", "可超分", "allow overflow", "bool", default=False),
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
            _c("source_level", "来源层级", "source level", default="区"),
            _c("channel", "渠道", "channel"),
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
            _c("status", "状态", "status", default="已审定"),
            _c("description", "说明", "description"),
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
        ],
    },
    "progress": {
        "file": "工作进度表", "zh": "工作进度表", "en": "Progress report",
        "columns": [
            _c("unit", "填报组队", "unit", required=True),
            _c("period", "报告期", "period", required=True),
            _c("indicator", "指标名称", "indicator", required=True),
            _c("percent", "完成进度", "percent complete", "number"),
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


def convert(value: str, column: Column):
    """Convert one cell's text; raise ValueError with (zh, en) on bad input."""
    text = (value or "").strip()
    if text == "":
        if column.required:
            raise ValueError("必填项为空", "required cell is empty")
        return column.default
    if column.kind == "text":
        return text
    if column.kind in ("number", "int"):
        cleaned = text.replace(",", "").replace("，", "")
        if not _NUMBER.match(cleaned):
            raise ValueError("应为数字", "expected a number")
        number = float(cleaned)
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
    """The file holding table `kind` in a year folder (.csv or .xlsx), or None."""
    stem = TABLES[kind]["file"]
    for suffix in (".csv", ".xlsx"):
        path = folder / (stem + suffix)
        if path.exists():
            return path
    return None


def _raw_rows(path: Path, label: str) -> tuple[list[str], list[tuple[int, list[str]]], str | None]:
    """Header and (row number, cells) of a CSV or the first sheet of a workbook."""
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError([Problem(label, None, None, None, "文件不是 UTF-8 编码的 CSV",
                                      "file is not UTF-8 encoded CSV")])
        rows = list(csv.reader(io.StringIO(text, newline="")))
        sheet = None
    else:
        import openpyxl  # only needed for workbooks
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception:
            raise InputError([Problem(label, None, None, None, "无法作为 Excel 工作簿打开",
                                      "cannot be opened as an Excel workbook")])
        ws = book.worksheets[0]
        sheet = ws.title
        rows = [["" if v is None else (v.isoformat()[:10] if isinstance(v, (dt.date, dt.datetime)) else
                                       (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)))
                 for v in r] for r in ws.iter_rows(values_only=True)]
        book.close()
    if not rows or not any(c.strip() for c in rows[0]):
        raise InputError([Problem(label, 1, None, None, "文件为空或缺少表头", "file is empty or has no header row", sheet)])
    header = [h.strip() for h in rows[0]]
    body = [(i + 2, r) for i, r in enumerate(rows[1:]) if any((c or "").strip() for c in r)]
    return header, body, sheet


def read_table(path: Path, kind: str, label: str | None = None) -> list[dict]:
    """Read and type-check one table; return rows as dicts with a `_row` number.

    Raises InputError listing every problem in the file.
    """
    rows, problems, _ = read_rows(path, kind, label)
    if problems:
        raise InputError(problems)
    return rows


def read_rows(path: Path, kind: str, label: str | None = None) -> tuple[list[dict], list[Problem], str | None]:
    """Like read_table, but return the well-typed rows, the cell problems and the sheet name.

    A bad header still raises at once: without it no cell can be read. Rows with
    a bad cell are left out, so later checks do not report the same row twice.
    """
    spec = TABLES[kind]
    label = label or str(path)
    header, body, sheet = _raw_rows(path, label)
    problems = Collector(label, sheet)
    index: dict[str, int] = {}
    known = {}
    for col in spec["columns"]:
        known[col.zh] = col
        known[col.en.lower()] = col
    for pos, name in enumerate(header):
        if not name:
            continue
        col = known.get(name) or known.get(name.lower())
        if col is None:
            problems.add(1, name, None, f"未知的列名（{spec['zh']}）", f"unknown column for {spec['en']}")
        elif col.key in index:
            problems.add(1, name, None, "列名重复", "duplicate column")
        else:
            index[col.key] = pos
    for col in spec["columns"]:
        if col.required and col.key not in index:
            problems.add(1, col.zh, None, f"缺少必需的列「{col.zh}」", f"missing required column '{col.en}'")
    problems.check()
    out = []
    for rownum, cells in body:
        record = {"_row": rownum}
        before = len(problems.problems)
        for col in spec["columns"]:
            pos = index.get(col.key)
            raw = cells[pos] if pos is not None and pos < len(cells) else ""
            if len(raw or "") > 2000:
                problems.add(rownum, col.zh, raw, "单元格内容过长（超过2000字）", "cell is too long (over 2000 characters)")
                continue
            try:
                record[col.key] = convert(raw, col)
            except ValueError as exc:
                zh, en = exc.args
                problems.add(rownum, col.zh, raw, zh, en)
        if len(problems.problems) == before:
            out.append(record)
    return out, problems.problems, sheet


def header_of(kind: str, column_key: str) -> str:
    """The Chinese header of a column, for messages."""
    for col in TABLES[kind]["columns"]:
        if col.key == column_key:
            return col.zh
    return column_key
