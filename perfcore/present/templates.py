"""Templates the offices fill in, in their own spreadsheet program, with the checks the import makes.

    template_xlsx("events")                              blank: the columns, their types, the shared word lists
    template_xlsx("events", con, org="示例区", year=2025)  the organisation's units, indicators, rules … as drop-downs

The first sheet is the table, in its import shape (header on row 1, frozen and filtered), so a
filled template imports with nothing to change. Its cells carry the spreadsheet's own data
validation: drop-down lists fed from a hidden sheet (so a list of 2,000 units works as well as one
of ten), dates within the year, numbers within their bounds, each with a message in Chinese (and
English) when a cell is refused. The checks follow the import's (perfcore.ingest.checks) cell by
cell, with bounds as wide as the widest case (标准分 up to the largest amount of any rule); what
needs the whole row or table (a rule's own amount, unique ids) is checked on import. Yes/no columns
offer 是 and 否 (the import also reads √, 1, 0). A second sheet explains every column
and lists the rules with their amounts, the mitigation codes with their wording, the indicators
with their points. Every list comes from the stored data, the year's scheme or perfcore.vocab.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from ..errors import PerfcoreError
from ..engine.scheme import MODES
from ..ingest.tables import TABLES
from ..names import sort_names
from ..vocab import MAX_CELL_CHARS, MAX_COUNT, MITIGATION_MODES, PERIODS, SOURCE_LEVELS, STATUSES
from .printable import HEADER_FILL, grow_rows, print_setup, text_width

YES_NO = ("是", "否")              # the words the import reads for a yes/no column (tables._TRUE / _FALSE)
UNIT_YEARS = (1990, 2200)          # a unit's first and last year, as check_unit_list allows
LAST_ROW = 1048576                 # the checks cover the whole column below the header
LISTS_SHEET = "下拉列表"
NOTES_SHEET = "说明 Notes"
OPTIONAL_FILL = "DCE9F5"
TYPES = {"text": "文字 text", "number": "数字 number", "percent": "数字 0–100（可带 %） number", "int": "整数 whole number",
         "date": "日期 date (2025-03-31)", "bool": "是/否 yes/no"}


def _cjk(words) -> tuple:
    return tuple(w for w in words if not w.isascii())


@dataclass
class Check:
    """One column's data validation: a list (from the hidden sheet) or a formula, and what it says."""
    kind: str                 # list | whole | decimal | date | custom | textLength
    says: str                 # what the notes sheet says is checked
    error: str                # shown when a cell is refused
    prompt: str = ""
    items: tuple = ()         # list: its values
    strict: bool = True       # list: refuse other values (False: the list only suggests)
    operator: str | None = None
    formula1: str | None = None
    formula2: str | None = None


class Year:
    """What a template for one organisation (and year) lists: read once from the store and the scheme."""

    def __init__(self, con, org: str, year: int | None):
        self.org, self.year = org, year
        from ..engine.results import load_scheme, orgs
        known = orgs(con)
        if org not in known:
            raise PerfcoreError(f"没有组织「{org}」（可用：{'、'.join(known)}） / no organisation '{org}'")
        units = con.execute("SELECT unit, series, first_year, last_year FROM units WHERE org = ? AND NOT retired",
                            [org]).fetchall()
        self.series = tuple(sort_names({s for _, s, _, _ in units if s}))
        self.scheme = None
        if year is None:
            self.units = tuple(sort_names(u for u, _, _, _ in units))
            return
        self.scheme = load_scheme(con, org, year)
        self.units = tuple(sort_names(u for u, _, a, b in units if (a is None or a <= year) and (b is None or b >= year)))
        self.indicators = con.execute(
            "SELECT indicator, points, mode, category, first_level FROM indicators WHERE org = ? AND year = ? AND NOT retired "
            "ORDER BY ord", [org, year]).fetchall()
        self.pools = tuple(p.name for p in self.scheme.pools)

    def distinct(self, con, table: str, column: str) -> tuple:
        """Values an office has used in a column before (any year), as suggestions."""
        rows = con.execute(f"SELECT DISTINCT {column} FROM {table} WHERE org = ? AND {column} IS NOT NULL AND {column} <> ''",
                           [self.org]).fetchall()
        return tuple(sort_names(r[0] for r in rows))


def _range(low, high, column: str, whole: bool = False) -> Check:
    kind = "whole" if whole else "decimal"
    what = "整数" if whole else "数字"
    if low is not None and high is not None:
        return Check(kind, f"{low:g}–{high:g} 之间的{what}", f"「{column}」应为 {low:g}–{high:g} 之间的{what}。/ "
                     f"{'A whole number' if whole else 'A number'} from {low:g} to {high:g}.",
                     operator="between", formula1=f"{low:g}", formula2=f"{high:g}")
    return Check(kind, f"不小于 {low:g} 的{what}", f"「{column}」应为不小于 {low:g} 的{what}。/ "
                 f"{'A whole number' if whole else 'A number'} of at least {low:g}.",
                 operator="greaterThanOrEqual", formula1=f"{low:g}")


def _above(column: str, letter: str, low: float, high: float | None = None) -> Check:
    """A number strictly above `low` (and at most `high`)."""
    cell = f"{letter}2"
    cond = f"AND(ISNUMBER({cell}),{cell}>{low:g}" + (f",{cell}<={high:g})" if high is not None else ")")
    bound = f"大于 {low:g}" + (f"、不超过 {high:g}" if high is not None else "")
    return Check("custom", f"{bound}的数字", f"「{column}」应为{bound}的数字。/ A number above {low:g}"
                 + (f" and at most {high:g}." if high is not None else "."), formula1=cond)


def _any_number(column: str, letter: str) -> Check:
    return Check("custom", "数字", f"「{column}」应为数字。/ A number.", formula1=f"ISNUMBER({letter}2)")


def _whole(column: str, letter: str) -> Check:
    cell = f"{letter}2"
    return Check("custom", "整数", f"「{column}」应为整数。/ A whole number.", formula1=f"AND(ISNUMBER({cell}),{cell}=INT({cell}))")


def _list(items, column: str, what: str, strict: bool = True) -> Check:
    items = tuple(str(i) for i in items)
    if not items and not strict:
        return _text(column)
    if not items:
        return Check("textLength", f"留空（{what}：无）", f"本年度没有可填的{what}，「{column}」请留空。/ Nothing to choose: leave it empty.",
                     operator="equal", formula1="0")
    if strict:
        return Check("list", f"从下拉列表选择（{what}，{len(items)} 项）",
                     f"「{column}」请从下拉列表中选择{what}（见“{NOTES_SHEET}”页）。/ Pick a value from the list.",
                     prompt=f"从列表选择{what}", items=items)
    return Check("list", f"可从下拉列表选择（{what}，{len(items)} 项），也可填写其他内容",
                 "", prompt=f"可从列表选择{what}，也可直接填写", items=items, strict=False)


def _date(column: str, letter: str, year: int | None, carried_letter: str | None = None) -> Check:
    if year is None:
        return Check("date", "日期（如 2025-03-31）", f"「{column}」应为日期，如 2025-03-31。/ A date, e.g. 2025-03-31.",
                     operator="greaterThanOrEqual", formula1="DATE(1900,1,1)")
    inside = f"{year}-01-01 至 {year}-12-31"
    if carried_letter is None:
        return Check("date", f"{inside} 之间的日期", f"「{column}」应为 {inside} 之间的日期。/ A date in {year}.",
                     prompt=f"{year} 年内的日期，如 {year}-03-31", operator="between",
                     formula1=f"DATE({year},1,1)", formula2=f"DATE({year},12,31)")
    cell, mark = f"{letter}2", f"{carried_letter}2"
    formula = (f"AND(ISNUMBER({cell}),OR(AND({cell}>=DATE({year},1,1),{cell}<=DATE({year},12,31)),"
               f"AND({mark}=\"{YES_NO[0]}\",{cell}>=DATE({year - 1},1,1),{cell}<=DATE({year - 1},12,31))))")
    return Check("custom", f"{inside} 之间的日期（“结转”为“是”的记录：{year - 1} 年内）",
                 f"「{column}」应为 {inside} 之间的日期；上年度转入的记录请先在“结转”列选“是”，日期填 {year - 1} 年内。"
                 f"/ A date in {year} ({year - 1} for a record carried over: 结转 = 是).",
                 prompt=f"{year} 年内的日期，如 {year}-03-31", formula1=formula)


def _text(column: str) -> Check:
    return Check("textLength", f"文字，不超过 {MAX_CELL_CHARS} 字", f"「{column}」不能超过 {MAX_CELL_CHARS} 字。/ "
                 f"At most {MAX_CELL_CHARS} characters.", operator="lessThanOrEqual", formula1=str(MAX_CELL_CHARS))


def checks(kind: str, scope: Year | None, con=None) -> dict:
    """Column key → Check for one table; with a scope, its organisation's and year's lists and bounds."""
    spec = TABLES[kind]
    columns = spec["columns"]
    letter = {c.key: _letter(i) for i, c in enumerate(columns)}
    sch = scope.scheme if scope is not None else None
    out = {}
    for c in columns:
        L = letter[c.key]
        if c.kind == "bool":
            out[c.key] = _list(YES_NO, c.zh, "是或否")
        elif c.kind == "date":
            carried = letter.get("carried_over") if kind == "events" else None
            bounded = scope.year if scope is not None and kind in ("events", "vetoes") else None
            out[c.key] = _date(c.zh, L, bounded, carried if bounded is not None else None)
        elif c.kind == "int":
            out[c.key] = _whole(c.zh, L)
        elif c.kind in ("number", "percent"):
            out[c.key] = _any_number(c.zh, L)
        else:
            out[c.key] = _text(c.zh)
    # the shared vocabulary, for any organisation
    if "source_level" in letter:
        out["source_level"] = _list(SOURCE_LEVELS, "来源层级", "来源层级")
    if "status" in letter:
        out["status"] = _list(STATUSES, "状态", "状态")
    if "mitigation_mode" in letter:
        out["mitigation_mode"] = _list(_cjk(MITIGATION_MODES), "减免方式", "减免方式")
    if kind == "progress":
        out["period"] = _list(tuple(PERIODS), "报告期", "报告期")
        out["percent"] = _range(0, 100, "完成进度")
    if kind == "indicators":
        out["mode"] = _list(_cjk(MODES), "计分方式", "计分方式")
        out["points"] = _above("分值", letter["points"], 0)
    if kind == "events":
        out["count"] = _above("次数", letter["count"], 0, MAX_COUNT)
        out["accountable"] = _range(0, MAX_COUNT, "问责人次", whole=True)
        out["base_amount"] = _range(0, None, "标准分")
        out["mitigation_code"] = _range(0, None, "减免依据", whole=True)
    if kind == "assignments":
        out["target_value"] = _range(0, None, "目标值")
        out["actual_value"] = _range(0, None, "完成值")
    if kind in ("evaluations", "indicator_scores"):
        out["score"] = _range(0, None, "得分")
    if kind == "evaluations":
        out["max_score"] = _above("满分", letter["max_score"], 0)
    if kind == "units":
        out["first_year"] = _range(*UNIT_YEARS, "起始年度", whole=True)
        out["last_year"] = _range(*UNIT_YEARS, "终止年度", whole=True)
    if scope is None:
        return out
    # the organisation's own lists
    if kind == "indicators":    # the table that names the indicators: only its collectors can be suggested
        out["collector"] = _list(scope.distinct(con, "indicators", "collector"), "数据采集责任单位", "用过的采集单位", strict=False)
        return out
    unit_column = next(c for c in columns if c.key == "unit").zh
    if kind == "units":
        out["series"] = _list(scope.series, "系列", "已有的系列", strict=False)
        out["parent"] = _list(scope.units, "上级单位", "单位", strict=False)
        return out
    out["unit"] = _list(scope.units, unit_column, f"{scope.year} 年度参加考评的单位")
    names = tuple(i for i, *_ in scope.indicators)
    if kind == "events":
        out["target"] = _list(names + scope.pools, "指标", "指标或事件池")
        out["rule"] = _list(tuple(r.name for r in sch.rules), "情形", "扣分/加分情形")
        out["role"] = _list(tuple(sch.roles), "角色", "角色")
        out["mitigation_code"] = _list(tuple(sorted(sch.mitigation_codes)), "减免依据", "减免依据代码")
        out["aggravation"] = _list(tuple(sort_names({a for m in sch.multipliers for a in m.aggravation})), "加重情形",
                                   "方案中的加重情形", strict=False)
        out["channel"] = _list(scope.distinct(con, "events", "channel"), "渠道", "用过的渠道", strict=False)
        out["instruction_level"] = _list(SOURCE_LEVELS, "批示层级", "作出批示的层级")   # E3, checked like 来源层级
        amounts = [a for r in sch.rules for a in ((r.amount,) if r.amount is not None else ()) + tuple(r.range or ())
                   + tuple((r.threshold or {}).get(k) for k in ("amount", "each_beyond") if (r.threshold or {}).get(k) is not None)]
        if amounts and min(amounts) >= 0:
            out["base_amount"] = _range(0, max(amounts), "标准分")
    elif kind == "indicator_scores":
        direct = [(i, p) for i, p, mode, *_ in scope.indicators if mode == "direct"]
        out["indicator"] = _list(tuple(i for i, _ in direct), "指标", "直接评分的指标")
        out["score"] = _range(0, max(p for _, p in direct), "得分") if direct else out["score"]
    elif kind in ("assignments", "progress"):
        column = "指标名称" if kind == "progress" else "指标"
        out["indicator"] = _list(names, column, "本年度指标")
    elif kind == "evaluations":
        kinds = [c for c in sch.components if c.source == "evaluation"]
        out["kind"] = _list(tuple(c.name for c in kinds), "类别", "评议类别")
        out["aspect"] = _list(scope.distinct(con, "evaluations", "aspect"), "项目", "用过的分项", strict=False)
        fulls = [c.full for c in kinds]
        if fulls and all(f is not None for f in fulls):
            out["score"] = _range(0, max(fulls), "得分")
            out["max_score"] = _above("满分", letter["max_score"], 0, max(fulls))
    elif kind == "vetoes":
        out["category"] = _list(scope.distinct(con, "vetoes", "category"), "类别", "用过的类别", strict=False)
    return out


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(i + 1)


def _cut(text: str, limit: int) -> str:
    """Excel refuses a validation title over 32 characters and a message over 255."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _validation(check: Check, column: str, source: str | None):
    from openpyxl.worksheet.datavalidation import DataValidation
    formula1 = source if check.kind == "list" else check.formula1
    dv = DataValidation(type=check.kind, operator=check.operator, formula1=formula1, formula2=check.formula2,
                        allow_blank=True, showErrorMessage=check.strict, errorStyle="stop",
                        errorTitle=_cut(f"「{column}」填写有误", 32), error=_cut(check.error, 255),
                        showInputMessage=bool(check.prompt), promptTitle=_cut(column, 32), prompt=_cut(check.prompt, 255))
    return dv


def template_xlsx(kind: str, con=None, org: str | None = None, year: int | None = None) -> bytes:
    """A workbook to fill in for one of the offices' tables: blank (no `org`), or for an organisation and
    year with its own drop-down lists and bounds. Refuses an unknown table, organisation or year."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    if kind not in TABLES:
        raise PerfcoreError(f"没有这种表：{kind}（可用：{'、'.join(TABLES)}） / no such table: {kind}")
    scope = None
    if org is not None:
        if con is None:
            raise PerfcoreError("需要数据库才能按组织生成模板 / a template for an organisation needs the database")
        if year is None and kind != "units":
            raise PerfcoreError("请指定年度（--year） / please give the year (--year)")
        scope = Year(con, org, None if kind == "units" else year)
    spec = TABLES[kind]
    columns = spec["columns"]
    found = checks(kind, scope, con)
    wb = Workbook()
    ws = wb.active
    ws.title = spec["zh"]
    wb.create_sheet(NOTES_SHEET)
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    list_column = 0
    for i, c in enumerate(columns):
        letter = _letter(i)
        cell = ws.cell(row=1, column=i + 1, value=c.zh)
        cell.font = Font(bold=True, color="FFFFFF" if c.required else "000000")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL if c.required else OPTIONAL_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        check = found[c.key]
        source = None
        if check.kind == "list":
            list_column += 1
            col = _letter(list_column - 1)
            lists.cell(row=1, column=list_column, value=c.zh)
            for r, item in enumerate(check.items, start=2):
                lists.cell(row=r, column=list_column, value=int(item) if c.kind == "int" else item).data_type = \
                    "n" if c.kind == "int" else "s"
            source = f"'{LISTS_SHEET}'!${col}$2:${col}${len(check.items) + 1}"
        dv = _validation(check, c.zh, source)
        dv.add(f"{letter}2:{letter}{LAST_ROW}")
        ws.add_data_validation(dv)
        if c.kind == "date":
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
        elif c.kind == "text":
            ws.column_dimensions[letter].number_format = "@"   # typed as text: 001 stays 001, 1-2 is not a date
        longest = max([text_width(x) for x in check.items] + [0])
        ws.column_dimensions[letter].width = min(max(text_width(c.zh), longest, 8), 30) + 2
    last = _letter(len(columns) - 1)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}1"
    ws.row_dimensions[1].height = 22
    where = f"{org} {year}年度 " if scope is not None and year is not None and kind != "units" else \
        (f"{org} " if scope is not None else "")
    print_setup(ws, 1, footer=f"{where}{spec['zh']}")
    _notes(wb[NOTES_SHEET], kind, found, scope, where)
    print_setup(wb[NOTES_SHEET], 0, footer=f"{where}{spec['zh']} 填写说明")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _notes(ws, kind: str, found: dict, scope: Year | None, where: str) -> None:
    """The notes sheet: every column and what is checked, then the scheme's rules, codes and indicators."""
    from openpyxl.styles import Alignment, Font
    spec = TABLES[kind]
    ws.append([f"{where}{spec['zh']} 填写说明 / {spec['en']}: how to fill it in"])
    ws["A1"].font = Font(size=13, bold=True)
    ws.append(["深色表头为必填列。下拉列表与检查与导入时的检查一致；导入时还会核对整张表（编号不重复、分项满分合计等）。"
               " / Dark headers are required. The lists and checks are those of the import."])
    ws.append([])

    def section(title: str, header: list, rows: list) -> None:
        ws.append([title])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=12)
        ws.append(header)
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append(list(r))
        ws.append([])

    section("列 Columns", ["列名", "Column", "必填 Required", "类型 Type", "检查 Checked", "其他可用列名 Also accepted"],
            [(c.zh, c.en, "是 yes" if c.required else "", TYPES[c.kind], found[c.key].says, "、".join(c.aliases))
             for c in spec["columns"]])
    sch = scope.scheme if scope is not None else None
    if kind == "events" and sch is not None:
        section("扣分/加分情形 Rules", ["情形", "Rule", "类型", "分值", "计量", "适用指标或事件池", "每单位每年上限", "一票否决"],
                [(r.name, r.label_en, "加分" if r.kind == "bonus" else "扣分", _amount(r), r.unit,
                  "、".join(r.targets) or "任意指标", "" if r.cap is None else f"{r.cap:g}", "是" if r.veto else "")
                 for r in sch.rules])
        section("减免依据 Mitigation codes", ["代码", "依据"],
                [(code, words) for code, words in sorted(sch.mitigation_codes.items())])
        ws.append([f"减免方式：免予（免予扣分）按系数 {sch.exempt_factor:g} 计，减轻（减轻扣分）按系数 {sch.reduce_factor:g} 计；"
                   "填写减免依据时须同时填写减免方式和减免理由。"])
        ws.append([])
        if sch.roles:
            section("角色系数 Roles", ["角色", "系数"], [(k, f"{v:g}") for k, v in sch.roles.items()])
        if sch.multipliers:
            section("倍数 Multipliers", ["名称", "倍数", "来源层级", "加重情形"],
                    [(m.name, f"{m.factor:g}", "、".join(m.source_level), "、".join(m.aggravation)) for m in sch.multipliers])
    if kind in ("events", "indicator_scores", "assignments", "progress") and scope is not None:
        from .export import MODE_WORDS
        section("本年度指标 Indicators", ["指标", "分值", "计分方式", "项目"],
                [(i, f"{p:g}", MODE_WORDS.get(m, m), cat or "") for i, p, m, cat, _ in scope.indicators]
                + [(p.name, "" if p.cap is None else f"上限 {p.cap:g}", "事件池（加分）" if p.kind == "bonus" else "事件池（扣分）", "")
                   for p in sch.pools if kind == "events"])
    if kind == "evaluations" and sch is not None:
        section("评议类别 Evaluation kinds", ["类别", "满分"],
                [(c.name, "" if c.full is None else f"{c.full:g}") for c in sch.components if c.source == "evaluation"])
    if kind == "progress":
        section("报告期 Periods", ["报告期", "序时进度（%）"], [(p, f"{v:g}") for p, v in PERIODS.items()])
    widths = {"A": 26, "B": 30, "C": 14, "D": 22, "E": 50, "F": 24, "G": 14, "H": 10}
    for col, w in widths.items():
        ws.column_dimensions[col].width = w
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    grow_rows(ws, 4)


def _amount(rule) -> str:
    """A rule's amount in the notes: fixed, a range to enter per record, or a threshold."""
    if rule.range:
        lo, hi = rule.range
        return f"{lo:g}–{hi:g}（在“标准分”填写，并在“说明”写明理由）"
    if rule.threshold:
        t = rule.threshold
        if t.get("mode") == "all":
            return f"{t['upto']:g}{rule.unit}以内 {t['amount']:g}；超过 {t['upto']:g}{rule.unit} 后全部按每{rule.unit} {t['each_beyond']:g}"
        return f"{t['upto']:g}{rule.unit}以内 {t['amount']:g}；超过部分每{rule.unit} {t['each_beyond']:g}"
    if rule.amount is not None:
        return f"每{rule.unit} {rule.amount:g}"
    return ""
