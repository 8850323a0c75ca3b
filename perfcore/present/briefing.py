"""A leader's briefing (分析简报): a few pages of PDF for a meeting, built from the analyses themselves.

    data = briefing_pdf(scores, 2025)           # bytes of an A4 PDF, in Chinese (lang="en" for English)

1. the ranking (every unit: rank, series rank, composite, grade, movement) and the grades;
2. the biggest movers and why: each one's change split by indicator (insight.change) and who
   overtook whom;
3. how robust the top and bottom places are (insight.robustness, 2,000 draws, fixed seed);
4. units at risk in the year in progress, if the organisation has one (insight.forecast).

Every figure comes from the same functions as the screens and the command line; the font is the
machine's Chinese font, embedded (export.cjk_font).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..engine.results import in_progress
from ..insight import lines as lines_mod
from ..insight.change import change, rank_words
from ..insight.forecast import forecast
from ..insight.robustness import robustness
from .export import cjk_font
from .i18n import label, t
from .views import fmt2, league_table, movement_words

MOVERS = 3
PLACES = 3
DRAWS = 2000


def _words(lang: str) -> dict:
    zh = lang == "zh"
    return {
        "title": "{org}{year}年度绩效考评分析简报" if zh else "{org}: performance evaluation briefing {year}",
        "made": "生成于 {d}" if zh else "Made {d}",
        "live": "（按当前数据计算）" if zh else " (from the data as it is now)",
        "s1": "一、排名与等次" if zh else "1. Ranking and grades",
        "s2": "二、变化最大的单位及原因" if zh else "2. The biggest movers and why",
        "s3": "三、排名的稳健性" if zh else "3. How robust the places are",
        "s4": "四、风险预警" if zh else "4. Units at risk",
        "grades": "等次分布：" if zh else "Grades: ",
        "cols": ["名次", "单位", "系列", "系列名次", "综合得分", "等次", "升降"] if zh else
                ["Rank", "Unit", "Series", "Series rank", "Composite", "Grade", "Movement"],
        "no_prev": "没有上一年度结果，无法比较变化。" if zh else "No earlier year to compare with.",
        "rise": "上升" if zh else "Up",
        "fall": "下降" if zh else "Down",
        "change": "综合得分 {a} → {b}（{d}）" if zh else "composite {a} → {b} ({d})",
        "main": "主要原因：" if zh else "Main reasons: ",
        "robust": ("按方案权重上下浮动 ±{s}% 抽样 {n} 次（保持总分值），名次的 90% 区间与保持原等次的概率。"
                   if zh else "Weights drawn {n} times within ±{s}% of the scheme's (scale kept): the 90 % band of "
                   "each place and the chance of keeping the grade."),
        "rcols": ["名次", "单位", "中位名次", "90%区间", "保持名次", "保持等次"] if zh else
                 ["Rank", "Unit", "Median", "90% band", "Keeps rank", "Keeps grade"],
        "top": "前列" if zh else "Top",
        "bottom": "末位" if zh else "Bottom",
        "forecast": ("{year}年度（截至 {d}）按已有记录的进度预测全年得分，区间为 90% 置信区间。"
                     if zh else "{year} as of {d}: the year-end composite projected from the records so far; 90 % interval."),
        "fcols": ["单位", "目前得分", "预测得分", "区间", "预测等次", "风险"] if zh else
                 ["Unit", "So far", "Projected", "Interval", "Grade", "Risk"],
        "none_at_risk": "没有单位达到预警概率。" if zh else "No unit reaches the warning probability.",
        "no_year": "没有正在进行的年度。" if zh else "No year in progress.",
        "colon": "：" if zh else ": ",          # the punctuation joining a unit to its sentence, sentences, and a value
        "stop": "。" if zh else ". ",           # to its words, and items of a list
        "list": t("list_sep", lang),
        "paren": "{a}（{b}）" if zh else "{a} ({b})",
        "flags": {"lowest": "可能末等" if zh else "lowest grade", "down": "可能降等" if zh else "worse grade",
                  "repeat": "可能连续两年触发问责" if zh else "consecutive-years rule", "behind": "进度滞后" if zh else "behind schedule"},
    }


class _Doc:
    """An A4 portrait PDF with the Chinese font and a few helpers."""

    def __init__(self, title: str, footer: str):
        from fpdf import FPDF

        class Page(FPDF):
            def footer(self_inner):
                self_inner.set_y(-12)
                self_inner.set_font("cjk", size=8)
                self_inner.set_text_color(120, 120, 120)
                self_inner.cell(0, 6, f"{footer}    {self_inner.page_no()}", align="C")
                self_inner.set_text_color(0, 0, 0)

        path, index = cjk_font()
        self.pdf = Page(orientation="P", unit="mm", format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=16)
        self.pdf.add_font("cjk", fname=path, collection_font_number=index)
        self.pdf.add_page()
        self.pdf.set_font("cjk", size=16)
        self.pdf.multi_cell(0, 9, title, align="C", new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self.pdf.set_font("cjk", size=13)
        self.pdf.set_text_color(0, 114, 178)
        self.pdf.multi_cell(0, 8, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(0, 0, 0)

    def text(self, text: str, size: float = 10) -> None:
        self.pdf.set_font("cjk", size=size)
        self.pdf.multi_cell(0, 5.5, text, align="L", new_x="LMARGIN", new_y="NEXT")

    def table(self, header: list, rows: list, widths: list, size: float = 8) -> None:
        from fpdf.enums import WrapMode
        from fpdf.fonts import FontFace
        self.pdf.set_font("cjk", size=size)
        heading = FontFace(emphasis="", color=(255, 255, 255), fill_color=(0, 114, 178))
        with self.pdf.table(text_align="CENTER", line_height=5, headings_style=heading, col_widths=widths,
                            wrapmode=WrapMode.CHAR) as table:
            table.row([str(h) for h in header])
            for r in rows:
                table.row(["" if v is None else str(v) for v in r])
        self.pdf.ln(2)

    def bytes(self) -> bytes:
        return bytes(self.pdf.output())


def briefing_pdf(scores, year: int, lang: str = "zh", today: dt.date | None = None) -> bytes:
    """The briefing of `year` as PDF bytes (see the module's docstring)."""
    w = _words(lang)
    scored = scores.year(year)
    today = today or dt.date.today()
    doc = _Doc(w["title"].format(org=scores.org, year=year), w["title"].format(org=scores.org, year=year))
    doc.text(f"{scored.scheme.issuer} {scored.scheme.document_no}    " + w["made"].format(d=today.isoformat()) + w["live"], size=9)
    grade_label = {g.name: label(g.name, g.label_en, lang) for g in scored.scheme.grades}
    _ranking(doc, scored, grade_label, lang, w)
    _movers(doc, scores, scored, lang, w)
    _robust(doc, scored, grade_label, w)
    _risks(doc, scores, year, grade_label, w)
    return doc.bytes()


def _ranking(doc: _Doc, scored, grade_label: dict, lang: str, w: dict) -> None:
    doc.heading(w["s1"])
    counts = scored.results["grade"].value_counts()
    doc.text(w["grades"] + ("，" if lang == "zh" else ", ").join(
        f"{grade_label[g]} {int(counts.get(g, 0))}" for g in scored.scheme.grade_names()))
    table = league_table(scored)
    basis = "series_rank_change" if scored.scheme.movement == "series" else "rank_change"
    prev = "prev_series_rank" if scored.scheme.movement == "series" else "prev_rank"
    res = scored.results.set_index("unit")
    rows = [[int(r.rank), r.unit, r.series, int(r.series_rank), fmt2(r.composite), grade_label[r.grade],
             movement_words(res.loc[r.unit, basis], res.loc[r.unit, prev], lang)] for r in table.itertuples()]
    doc.table(w["cols"], rows, [1.0, 2.6, 2.2, 1.2, 1.4, 1.1, 1.4])


def _movers(doc: _Doc, scores, scored, lang: str, w: dict) -> None:
    doc.heading(w["s2"])
    if not scores.has(scored.year - 1):
        doc.text(w["no_prev"])
        return
    before = scores.year(scored.year - 1).results.set_index("unit")["composite"]
    now = scored.results.set_index("unit")["composite"]
    delta = (now - before.reindex(now.index)).dropna().round(2)
    movers = list(delta.sort_values(ascending=False).head(MOVERS).index) + list(delta.sort_values().head(MOVERS).index)
    for unit in dict.fromkeys(movers):
        result = change(scores, scored.year, unit)
        d = result.difference
        steps = lines_mod.by_indicator(result.lines, lang, top=3)
        steps = steps[steps["label"] != ("其他" if lang == "zh" else "Other")]
        reasons = t("item_sep", lang).join(f"{s.label} {s.value:+.2f}" for s in steps.itertuples())
        doc.text(f"{w['rise'] if d > 0 else w['fall']}  {unit}{w['colon']}" + w["change"].format(
            a=fmt2(result.composite_from), b=fmt2(result.composite_to), d=f"{d:+.2f}") + w["stop"] + rank_words(result, lang),
                 size=10)
        doc.text("    " + w["main"] + reasons, size=9)


def _robust(doc: _Doc, scored, grade_label: dict, w: dict) -> None:
    doc.heading(w["s3"])
    table = robustness(scored, draws=DRAWS, seed=1)
    doc.text(w["robust"].format(s=int(table.attrs["spread"] * 100), n=DRAWS), size=9)
    picked = pd.concat([table.head(PLACES), table.tail(PLACES)]).drop_duplicates("unit")
    rows = [[int(r.official_rank), r.unit, int(r.median_rank), f"{int(r.rank_p05)}–{int(r.rank_p95)}", f"{r.p_rank:.0%}",
             w["paren"].format(a=f"{r.p_official_grade:.0%}", b=grade_label[r.official_grade])] for r in picked.itertuples()]
    doc.table(w["rcols"], rows, [1.0, 2.6, 1.2, 1.4, 1.3, 2.0])


def _risks(doc: _Doc, scores, year: int, grade_label: dict, w: dict) -> None:
    doc.heading(w["s4"])
    later = [y for y in sorted(scores.known) if y >= year and in_progress(scores.year(y).results)]
    if not later:
        doc.text(w["no_year"])
        return
    result = forecast(scores, later[0])
    doc.text(w["forecast"].format(year=later[0], d=result.as_of.isoformat()), size=9)
    risky = result.table[result.table["flags"].map(len) > 0]
    if risky.empty:
        doc.text(w["none_at_risk"])
        return
    rows = [[r.unit, fmt2(r.so_far), fmt2(r.projected), f"{fmt2(r.low)}–{fmt2(r.high)}", grade_label[r.grade],
             w["list"].join(w["flags"][f] for f in r.flags)] for r in risky.itertuples()]
    doc.table(w["fcols"], rows, [2.4, 1.3, 1.3, 2.2, 1.1, 2.6])
