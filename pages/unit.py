"""单位画像 — one unit's year: waterfall to the composite, indicators against its series, history, flags, deductions."""
import streamlit as st

from perfcore.present import figures

from perfcore.present import views
from ui import data, state

org, year, series = state.selected("unit")
lang = state.lang()
scored = data.year_score(org, year)
labels = state.grade_labels(scored)
colors = state.colors(scored)

units = data.visible_units(org, year)
if series:
    units = [u for u in units if u in set(scored.units[scored.units["series"] == series]["unit"])]
if not units:
    if data.results_visibility(org, year) == "none":
        st.info(state.bi("本年度结果尚未发布，单位画像在发布后（或反馈期间）可见；本单位的记录见“扣分明细”。",
                         "This year's results are not published yet; the profile appears once published (or during "
                         "feedback). Your records are under Deductions."), icon=":material/lock_clock:")
    else:
        st.warning(state.bi("所选系列在本年度没有被考评单位。", "No units of this series were evaluated this year."))
    st.stop()
if st.session_state.get("unit") not in units:
    st.session_state.pop("unit", None)
unit = st.selectbox(state.tr("unit"), units, key="unit", bind="query-params")
r = scored.results.set_index("unit").loc[unit]

grade = r["grade"]
st.title(state.md(unit))
st.markdown(f"{state.md(r['series'])} · {year}")
st.badge(labels[grade], color=figures.grade_badges(scored.scheme.grade_names())[grade])

movement = views.movement_words(r["series_rank_change"] if scored.scheme.movement == "series" else r["rank_change"],
                                r["prev_series_rank"] if scored.scheme.movement == "series" else r["prev_rank"], lang)
n_series = int((scored.results["series"] == r["series"]).sum())
reward = views.reward_words(r, scored.scheme, lang)
m = st.columns(5 if reward else 4)
m[0].metric(state.tr("composite"), views.fmt2(r['composite']))
m[1].metric(state.tr("rank"), f"{int(r['rank'])} / {len(scored.results)}")
m[2].metric(state.tr("series_rank"), f"{int(r['series_rank'])} / {n_series}")
m[3].metric(state.bi("与上年相比", "Against last year"), movement)
if reward:   # R28: the amount the grade gives, and how
    m[4].metric(state.md(scored.scheme.reward.name if lang == "zh" else scored.scheme.reward.label_en), reward[0],
                help=state.md(reward[1]))

if r["veto"]:
    st.error(state.bi("一票否决：", "Vetoed: ") + state.md(r["veto_reason"]), icon=":material/block:")
for flag in views.consequence_lines(r, lang):
    st.warning(state.md(flag), icon=":material/flag:")
if r["missing"]:
    st.info(state.bi("尚未评分的组成部分（暂按 0 分）：", "Components not yet scored (count 0 for now): ") + state.md(views.missing_components(r["missing"], scored.scheme, lang)))
if n_series == 1:
    st.caption(state.bi("该系列只有这一个单位，系列平均即其本身。", "This unit is alone in its series; the series average is itself."))


def build_up():
    """The unit's composite built up from full points: what each component and category gave and took."""
    st.plotly_chart(data.chart("unit_waterfall", (org, year, unit, lang), lambda: figures.waterfall(
        data.waterfall(org, year, unit, lang), lang, state.bi("从满分到综合得分", "From full points to the composite"))),
                    width="stretch", config=state.CHART)


def lost_points():
    """The indicators where the unit or its series lost points, the furthest below the series average first."""
    comparison = data.indicator_comparison(org, year, unit)
    short = comparison[(comparison["score"] < comparison["points"] - 1e-9) | (comparison["series_avg"] < comparison["points"] - 1e-9)]
    short = short.assign(_gap=short["score"] - short["series_avg"]).sort_values("_gap").drop(columns="_gap")
    if short.empty:
        st.success(state.bi("全部指标均为满分。", "Full points on every indicator."))
        return
    most = figures.MOST_BARS          # a chart of at most this many bars stays readable (and quick to draw)
    st.plotly_chart(data.chart("unit_indicators", (org, year, unit, lang), lambda: figures.indicator_vs_series(
        short.head(most), lang, state.bi("失分指标得分率与系列平均（低于系列平均的在前）", "Indicators with lost points against "
                                         "the series average (furthest below first)") if len(short) <= most else
        state.bi(f"低于系列平均最多的 {most} 项失分指标", f"The {most} indicators furthest below the series average"))),
                    width="stretch", config=state.CHART)
    full = len(comparison) - len(short)
    if len(short) > most:             # every indicator with lost points, in a table drawn when opened
        with st.expander(state.bi(f"全部 {len(short)} 项失分指标", f"All {len(short)} indicators with lost points"),
                         key="all_short", on_change="rerun") as every:
            if every.open:
                state.dataframe(short.assign(rate=100 * short["score"] / short["points"],
                                             series_rate=100 * short["series_avg"] / short["points"])[
                    ["target", "category", "points", "score", "rate", "series_avg", "series_rate"]],
                    hide_index=True, width="stretch", column_config={
                        "target": state.tr("indicator"), "category": state.tr("category"),
                        "points": st.column_config.NumberColumn(state.tr("points"), format="%.2f"),
                        "score": st.column_config.NumberColumn(state.tr("score"), format="%.2f"),
                        "rate": st.column_config.NumberColumn(state.tr("attainment"), format="%.2f%%"),
                        "series_avg": st.column_config.NumberColumn(state.tr("series_avg"), format="%.2f"),
                        "series_rate": st.column_config.NumberColumn(state.bi("系列平均得分率", "Series attainment"),
                                                                     format="%.2f%%")})
    if full:
        st.caption(state.bi(f"其余 {full} 项指标本单位与系列各单位均为满分。", f"The other {full} indicators: full points for this unit and its series."))


def over_the_years():
    """The unit's composite and series rank over the years with complete results."""
    history = views.unit_history(data.rank_history(org), unit)
    if not history.empty:
        left, right = st.columns(2, gap="large")
        left.plotly_chart(data.chart("unit_composites", (org, unit, lang), lambda: figures.history_composite(
            history, lang, state.bi("历年综合得分", "Composite over the years"))), width="stretch", config=state.CHART)
        right.plotly_chart(data.chart("unit_ranks", (org, unit, lang), lambda: figures.history_rank(
            history, lang, state.bi("历年系列名次（名次 / 系列单位数）", "Series rank over the years (rank / units in the series)"))),
                           width="stretch", config=state.CHART)
    if len(history) < 2:
        st.caption(state.bi("该单位仅有一个年度的完整考评结果。", "This unit has complete results for one year only."))
    if data.in_progress_years(org):
        st.caption(state.bi("尚在进行的年度不计入历年走势。", "Years still in progress are left out of the trend."))


def records():
    """Every record of the unit's year, what it counted, its ledger as a workbook, and the way to one indicator's trace."""
    lines = data.explain(org, year, unit)
    events = lines[lines["line"] != "start"]
    if events.empty:
        st.caption(state.bi("本年度没有该单位的扣分或加分记录。", "No deductions or bonuses recorded for this unit this year."))
        return
    shown = events[["date", "target", "rule", "source_level", "count", "status", "evidence"]].copy()
    shown[["source_level", "status", "evidence"]] = shown[["source_level", "status", "evidence"]].fillna("")   # never "None"
    shown.insert(5, "counted", views.amount_words(events, lang))      # "−3.00", "免予" for a waived record, "不计分"
    state.dataframe(shown, hide_index=True, width="stretch", height=min(36 * len(shown) + 40, 420), column_config={
        "date": st.column_config.DateColumn(state.bi("日期", "Date"), width="small"), "target": state.tr("indicator"),
        "rule": state.bi("情形", "Rule"), "source_level": state.tr("source_level"),
        "count": st.column_config.NumberColumn(state.bi("次数", "Count"), format="%g"),
        "counted": st.column_config.TextColumn(state.tr("amount")),
        "status": state.tr("status"), "evidence": state.bi("证据文号", "Evidence")})
    st.download_button(state.bi("下载本单位扣分台账（Excel）", "Download this unit's ledger (Excel)"),
                       data.ledger_xlsx(org, year, unit, lang), file_name=f"{org}{year}-{unit}扣分台账.xlsx",
                       key="unit_ledger_xlsx", icon=":material/download:")
    order = data.indicator_comparison(org, year, unit)["target"].tolist() + [p.name for p in scored.scheme.pools]
    targets = [t for t in order if t in set(events["target"])]
    c1, c2 = st.columns([2, 1])
    chosen = c1.selectbox(state.bi("查看某一指标的扣分明细", "See one indicator's records"), targets, key="drill_target")
    c2.markdown("&nbsp;")
    c2.button(state.bi("查看扣分明细 →", "Open the records →"), key="drill", type="primary", on_click=state.link,
              args=("deductions", {"unit": unit, "indicator": chosen, "deduction_tab": state.DRILL_TAB[lang]},
                    {"indicator": chosen, "view": "drill"}))


# The profile's parts in tabs, only the open one run and drawn (at 2,000 units its four charts and the
# records together took a leader's click past half a second); the tab stays open for the next unit chosen.
state.lazy_tabs("unit_tab", {"build": (("得分构成", "Score build-up"), build_up), "lost": (("失分指标", "Lost points"), lost_points),
                             "history": (("历年走势", "Over the years"), over_the_years),
                             "records": (("扣分与加分记录", "Deductions and bonuses"), records)})
