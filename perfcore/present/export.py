"""What leaves the system: the ranking notice (排名通报) as xlsx and PDF, a unit's ledger, any stored table.

Every workbook prints as offices print (see printable.py): A4 landscape, one page wide, title and
header on every page, page numbers and the date in the footer. Templates to fill in are in templates.py.

The PDF embeds a Chinese font from the machine (Debian's fonts-noto-cjk or fonts-wqy-*),
so it prints the same everywhere. Text is always written as text: a name or description
that begins with "=", "+", "-" or "@" never becomes a formula in the office's spreadsheet
(xlsx cells are typed as strings; CSV text cells get a leading apostrophe, which the
importer takes off again). A notice of a year not yet published says 征求意见稿 (draft).
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd

from ..errors import PerfcoreError
from .i18n import label
from ..engine.results import YearScore
from ..engine.scheme import MODES
from ..ingest.tables import TABLES
from ..ingest.workbook import FORMULA_PREFIXES
from ..vocab import MITIGATION_WORDS
from ..engine.trace import explain
from .printable import print_setup, table_sheet

DRAFT = {"zh": "（征求意见稿）", "en": " (draft)"}
# an indicator's scoring mode in the office's words: the scheme's first Chinese word for each (扣分制, 累加制, 直接评分)
MODE_WORDS: dict[str, str] = {}
for _word, _mode in MODES.items():
    if not _word.isascii():
        MODE_WORDS.setdefault(_mode, _word)


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
        row["等次" if lang == "zh" else "Grade"] = label(grade.name, grade.label_en, lang) + (("（一票否决）" if lang == "zh" else " (vetoed)")
                                                                                   if r["veto"] else "")
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
    """The notice as a workbook that prints on A4 landscape, every column on the page: the title merged
    across the table, the issuer's line, the header repeated on every page, page numbers and the date below.

    `published` is the publication stamp; without one the notice is a draft (征求意见稿) in title and footer.
    """
    from openpyxl import Workbook
    frame = notice_frame(year, lang)
    title = _title(year, lang, draft=published is None)
    wb = Workbook()
    ws = wb.active
    ws.title = "排名通报" if lang == "zh" else "Ranking notice"
    subtitle = f"{year.scheme.issuer} {year.scheme.document_no}" + (f"  {published}" if published else "")
    centred = {"系列", "名次", "等次", "上年名次", "升降", "Series", "Rank", "Grade", "Last year", "Movement"}
    header_row = table_sheet(ws, frame, title, subtitle, centred=centred)
    print_setup(ws, header_row, footer=title, lang=lang)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def notice_csv(year: YearScore, lang: str = "zh", published: str | None = None) -> bytes:
    """The notice's table as CSV, each row saying whether it is published (with the stamp) or a draft
    (征求意见稿): a CSV has no title, and a draft must never pass for the published result."""
    frame = notice_frame(year, lang)
    status = published or (DRAFT[lang].strip(" （）()") if lang == "zh" else "draft")
    frame.insert(0, "发布状态" if lang == "zh" else "Status", status)
    return table_csv(frame)


def cjk_font() -> tuple[str, int]:
    """A Chinese font file on this machine (path, face index in a collection)."""
    for path, index in FONT_CANDIDATES:
        if Path(path).exists():
            return path, index
    raise PerfcoreError("找不到中文字体，请安装 fonts-noto-cjk（sudo apt-get install fonts-noto-cjk） / "
                        "no Chinese font found; install fonts-noto-cjk")


def notice_pdf(year: YearScore, lang: str = "zh", published: str | None = None) -> bytes:
    """The notice as a printable A4 landscape PDF with an embedded Chinese font."""
    import datetime as dt

    from fpdf import FPDF
    frame = notice_frame(year, lang)
    path, index = cjk_font()
    title = _title(year, lang, draft=published is None)
    made = (f"制表日期：{dt.date.today():%Y-%m-%d}" if lang == "zh" else f"Made {dt.date.today():%Y-%m-%d}")

    class Notice(FPDF):
        def footer(self):       # on every page: the title (征求意见稿 on a draft), page n of N, the date
            self.set_y(-10)
            self.set_font("cjk", size=8)
            page = f"第 {self.page_no()} 页，共 {{nb}} 页" if lang == "zh" else f"Page {self.page_no()} of {{nb}}"
            self.cell(0, 6, f"{title}      {page}      {made}", align="C")

    pdf = Notice(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
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
    frame["日期"] = pd.to_datetime(frame["日期"]).dt.date
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "扣分台账"
    title = f"{org} {year}年度 {unit} 扣分台账"
    print_setup(ws, table_sheet(ws, frame, title), footer=title, lang=lang)
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
        frame["mode"] = frame["mode"].map(MODE_WORDS)
    if kind == "events":
        frame["mitigation_mode"] = frame["mitigation_mode"].map(MITIGATION_WORDS)
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
    """The stored table as a workbook in its import shape, under a title, ready to print (dates as dates)."""
    from openpyxl import Workbook
    spec = TABLES[kind]
    frame = table_frame(con, kind, org, year)
    for c in spec["columns"]:
        if c.kind == "date":
            frame[c.zh] = [None if v is None or v != v else dt.date.fromisoformat(v) for v in frame[c.zh]]
    wb = Workbook()
    ws = wb.active
    ws.title = spec["zh"]
    title = f"{org} {spec['zh']}" if year is None else f"{org} {year}年度 {spec['zh']}"
    print_setup(ws, table_sheet(ws, frame, title), footer=title)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def view_xlsx(frame: pd.DataFrame, title: str, subtitle: str | None = None) -> bytes:
    """A table as it is shown on a screen (its filter, order and column names) as a printable workbook.
    List cells (a grade or a movement shown as a label) become their text; text stays text."""
    from openpyxl import Workbook
    shown = frame.copy()
    for col in shown.columns:
        if shown[col].dtype == object:
            shown[col] = [", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v for v in shown[col]]
    wb = Workbook()
    ws = wb.active
    ws.title = "表格"
    print_setup(ws, table_sheet(ws, shown, title, subtitle), footer=title)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
