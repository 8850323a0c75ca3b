"""What leaves the system: the ranking notice (排名通报) as xlsx and PDF, a unit's ledger, blank templates.

The PDF embeds a Chinese font from the machine (Debian's fonts-noto-cjk or fonts-wqy-*),
so it prints the same everywhere. Text is always written as text: a name or description
that begins with "=", "+", "-" or "@" never becomes a formula in the office's spreadsheet
(xlsx cells are typed as strings; CSV text cells get a leading apostrophe, which the
importer takes off again). A notice of a year not yet published says 征求意见稿 (draft).
"""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..errors import PerfcoreError
from .i18n import label
from ..engine.results import YearScore
from ..ingest.tables import TABLES
from ..ingest.workbook import FORMULA_PREFIXES
from ..engine.trace import explain

DRAFT = {"zh": "（征求意见稿）", "en": " (draft)"}


def write_cell(ws, row: int, column: int, value):
    """Put a value in a cell; text stays text even when it looks like a formula."""
    if isinstance(value, float) and value != value:
        value = None
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
            if hasattr(v, "item"):
                v = v.item()
            if v is pd.NaT or v is pd.NA:
                v = None
            write_cell(ws, row, j, v)
        row += 1
    return row

FONT_CANDIDATES = [("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),   # the Simplified Chinese face
                   ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
                   ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
                   ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0)]


def notice_frame(year: YearScore, lang: str = "zh") -> pd.DataFrame:
    """The notice's columns: 系列, 名次, 单位, component scores, 综合得分, 等次, 上年名次, 升降, and where the
    scheme has them the reward amount (R28) and the consequences with the people they name."""
    from .views import movement_words
    res = year.results
    series_basis = year.scheme.movement == "series"
    reward = year.scheme.reward
    rows = []
    from ..names import pinyin_key
    ordered = res.assign(_s=res["series"].map(pinyin_key), _k=res["unit"].map(pinyin_key)).sort_values(["_s", "series_rank", "_k"])
    for r in ordered.to_dict("records"):
        row = {"系列" if lang == "zh" else "Series": r["series"],
               "名次" if lang == "zh" else "Rank": int(r["series_rank"]),
               "单位" if lang == "zh" else "Unit": r["unit"]}
        for c in year.scheme.components:
            row[label(c.label, c.label_en, lang)] = round(float(r[c.key]), 2)
        row["综合得分" if lang == "zh" else "Composite"] = round(float(r["composite"]), 2)
        grade = next(g for g in year.scheme.grades if g.name == r["grade"])
        row["等次" if lang == "zh" else "Grade"] = label(grade.name, grade.label_en, lang) + ("（一票否决）" if r["veto"] else "")
        prev = r["prev_series_rank"] if series_basis else r["prev_rank"]
        change = r["series_rank_change"] if series_basis else r["rank_change"]
        row["上年名次" if lang == "zh" else "Last year"] = None if pd.isna(prev) else int(prev)
        row["升降" if lang == "zh" else "Movement"] = movement_words(change, prev, lang)
        if reward is not None:   # R28: the amount, not only the factor
            amount = r.get("reward_amount")
            row[f"{reward.name}（{reward.unit}）" if lang == "zh" else f"{reward.label_en} ({reward.unit})"] = \
                None if amount is None or pd.isna(amount) else float(amount)
        if year.scheme.consequences:   # R22, R26, R27, E2: what follows, with the people it names
            row["结果运用" if lang == "zh" else "Consequences"] = consequence_cell(r, lang)
        rows.append(row)
    return pd.DataFrame(rows)


def consequence_cell(r: dict, lang: str) -> str:
    """A unit's consequences as the notice prints them, in Chinese or English."""
    from ..engine.grading import consequence_text
    details = r.get("consequence_details")
    if isinstance(details, list) and (details or lang == "en"):
        return "；".join(consequence_text(d, lang) for d in details) if lang == "zh" else \
            "; ".join(consequence_text(d, lang) for d in details)
    listed = r.get("consequences")
    return "；".join(listed) if isinstance(listed, list) else ""


def _title(year: YearScore, lang: str, draft: bool = False) -> str:
    title = (f"{year.org}{year.year}年度绩效考评结果排名通报" if lang == "zh"
             else f"{year.org}: performance evaluation results {year.year}")
    return title + (DRAFT[lang] if draft else "")


def notice_xlsx(year: YearScore, lang: str = "zh", published: str | None = None) -> bytes:
    """The notice as a workbook: a title row, the table with fixed header, number formats to two decimals.

    `published` is the publication stamp; without one the notice is a draft (征求意见稿).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    frame = notice_frame(year, lang)
    wb = Workbook()
    ws = wb.active
    ws.title = "排名通报" if lang == "zh" else "Ranking notice"
    write_cell(ws, 1, 1, _title(year, lang, draft=published is None))
    write_cell(ws, 2, 1, f"{year.scheme.issuer} {year.scheme.document_no}" + (f"  {published}" if published else ""))
    write_frame(ws, frame, start_row=3)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(frame.columns))
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    thin = Side(style="thin", color="BBBBBB")
    for cell in ws[3]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="0072B2")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
            if isinstance(cell.value, float):
                cell.number_format = "0.00"
    for i, col in enumerate(frame.columns, start=1):
        width = max([len(str(col))] + [len(str(v)) for v in frame[col]]) * 1.8 + 2
        ws.column_dimensions[ws.cell(row=3, column=i).column_letter].width = min(max(width, 8), 28)
    ws.freeze_panes = "A4"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def cjk_font() -> tuple[str, int]:
    """A Chinese font file on this machine (path, face index in a collection)."""
    for path, index in FONT_CANDIDATES:
        if Path(path).exists():
            return path, index
    raise PerfcoreError("找不到中文字体，请安装 fonts-noto-cjk（sudo apt-get install fonts-noto-cjk） / "
                        "no Chinese font found; install fonts-noto-cjk")


def notice_pdf(year: YearScore, lang: str = "zh", published: str | None = None) -> bytes:
    """The notice as a printable A4 landscape PDF with an embedded Chinese font."""
    from fpdf import FPDF
    frame = notice_frame(year, lang)
    path, index = cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 10, _title(year, lang, draft=published is None), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 6, f"{year.scheme.issuer} {year.scheme.document_no}" + (f"   {published}" if published else ""),
             align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    text = frame.astype(object).where(frame.notna(), "").map(lambda v: f"{v:.2f}" if isinstance(v, float) else str(v))
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace
    pdf.set_font("cjk", size=8)
    widths = [3.2 if c in ("单位", "Unit") else 2.6 if c in ("系列", "Series") else 4.5 if c in ("结果运用", "Consequences")
              else 2.0 for c in frame.columns]
    heading = FontFace(emphasis="", color=(255, 255, 255), fill_color=(0, 114, 178))
    with pdf.table(text_align="CENTER", line_height=5.5, headings_style=heading, col_widths=widths,
                   wrapmode=WrapMode.CHAR) as table:
        table.row(list(frame.columns))
        for r in text.itertuples(index=False):
            table.row(list(r))
    return bytes(pdf.output())


def ledger_xlsx(con, org: str, year: int, unit: str, lang: str = "zh") -> bytes:
    """A unit's deduction ledger (扣分台账) with what each record finally counted."""
    lines = explain(con, org, year, unit)
    lines = lines[lines["line"] != "start"]
    cols = {"date": "日期", "target": "指标", "rule": "情形", "source_level": "来源层级", "count": "次数", "base": "标准分",
            "multiplier": "倍数", "mitigation_factor": "减免系数", "contribution": "实扣（实加）", "evidence": "证据文号",
            "status": "状态", "description": "说明", "note": "计分说明", "event_id": "编号"}
    frame = lines[list(cols)].rename(columns=cols)
    frame["日期"] = pd.to_datetime(frame["日期"]).dt.strftime("%Y-%m-%d")
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "扣分台账"
    write_cell(ws, 1, 1, f"{org} {year}年度 {unit} 扣分台账")
    write_frame(ws, frame, start_row=2)
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_xlsx(kind: str) -> bytes:
    """A blank workbook for one of the offices' tables, with a sheet that explains each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    if kind not in TABLES:
        raise PerfcoreError(f"没有这种表：{kind}（可用：{'、'.join(TABLES)}） / no such table: {kind}")
    spec = TABLES[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = spec["zh"]
    ws.append([c.zh for c in spec["columns"]])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE9F5")
        ws.column_dimensions[cell.column_letter].width = max(12, len(cell.value) * 2.2)
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet("说明 Notes")
    help_ws.append(["列名", "Column", "必填 Required", "类型 Type", "其他可用列名 Also accepted"])
    types = {"text": "文字 text", "number": "数字 number", "int": "整数 whole number", "date": "日期 date (2025-03-31)",
             "bool": "是/否 yes/no"}
    for c in spec["columns"]:
        help_ws.append([c.zh, c.en, "是 yes" if c.required else "", types[c.kind], "、".join(c.aliases)])
    for col in "ABCDE":
        help_ws.column_dimensions[col].width = 24
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_csv(frame: pd.DataFrame) -> bytes:
    """A frame as CSV UTF-8 (as Excel saves it), with text that looks like a formula guarded by an apostrophe."""
    def guard(v):
        return "'" + v if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object:
            safe[col] = safe[col].map(guard)
    safe.columns = [guard(str(c)) for c in safe.columns]
    return safe.to_csv(index=False).encode("utf-8-sig")


def table_frame(con, kind: str, org: str, year: int | None) -> pd.DataFrame:
    """A stored table in the offices' import shape (Chinese headers), so export → import loses nothing."""
    spec = TABLES[kind]
    current = "" if kind == "events" else " AND NOT retired"   # events: every record, revoked ones with their status
    if kind == "units":
        frame = con.execute(f"SELECT * FROM units WHERE org = ?{current} ORDER BY unit", [org]).df()
    else:
        order = "ord" if kind == "indicators" else ", ".join(c.key for c in spec["columns"] if c.required)
        frame = con.execute(f"SELECT * FROM {kind} WHERE org = ? AND year = ?{current} ORDER BY {order}", [org, year]).df()
    if kind == "indicators":   # the category cells carry their points, as in the office's table
        frame["category"] = [f"{c}（{p:g}分）" if c and p == p and p is not None else c
                             for c, p in zip(frame["category"], frame["category_points"])]
        frame["first_level"] = [f"{c}（{p:g}分）" if c and p == p and p is not None else c
                                for c, p in zip(frame["first_level"], frame["first_level_points"])]
        modes = {"deduct_from_full": "扣分制", "cumulative": "累加制", "direct": "直接评分"}
        frame["mode"] = frame["mode"].map(modes)
    if kind == "events":
        frame["mitigation_mode"] = frame["mitigation_mode"].map({"exempt": "免予", "reduce": "减轻"})
    out = pd.DataFrame({c.zh: frame[c.key] if c.key in frame else None for c in spec["columns"]})
    for c in spec["columns"]:
        if c.kind == "date":
            out[c.zh] = pd.to_datetime(out[c.zh]).dt.strftime("%Y-%m-%d")
        if c.kind == "int":
            out[c.zh] = out[c.zh].astype("Int64")
        if c.kind == "bool":
            out[c.zh] = out[c.zh].map({True: "是", False: ""})
    return out


def table_xlsx(con, kind: str, org: str, year: int | None) -> bytes:
    """The stored table as a workbook in its import shape."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = TABLES[kind]["zh"]
    write_frame(ws, table_frame(con, kind, org, year))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
