"""指标进度 — attainment heatmap of the year, and quarterly progress against 序时进度."""
import streamlit as st

from perfcore.present import figures


from perfcore.present import views
from perfcore.names import pinyin_key
from perfcore.vocab import PERIOD_EN
from ui import data, state

org, year, series = state.selected("progress")
lang = state.lang()
scored = data.year_score(org, year)

st.title(state.bi(f"{year}年度指标进度", f"{year} indicator progress"))


def attainment():
    """Every unit's (or series') share of each indicator's points."""
    matrix, rows = data.attainment(org, year, series)
    if matrix.empty or matrix.shape[1] == 0:
        st.info(state.bi("该账号在本年度没有可查看的指标得分。", "This account has no indicator scores to see this year.")
                if data.results_visibility(org, year) == "none" and not state.may("data") else
                state.bi("所选系列在本年度没有被考评单位。", "No units of this series were evaluated this year."))
    else:
        heading = {"units": state.bi("各单位各指标得分率", "Attainment by unit and indicator"),
                   "series": state.bi("各系列各指标平均得分率", "Average attainment by series and indicator"),
                   "lowest": state.bi(f"各指标得分率：失分最多的 {len(matrix)} 个单位",
                                      f"Attainment: the {len(matrix)} units furthest below full marks")}
        categories = dict(zip(scored.indicators["indicator"], scored.indicators["category"]))
        st.plotly_chart(figures.heatmap(matrix, lang, heading[rows], categories), width="stretch", config=state.CHART)
    if not matrix.empty and rows != "units":
        st.caption(state.bi("单位较多，图中按系列汇总；在左侧选择一个系列可看到该系列的单位。" if rows == "series" else
                            "单位较多，图中只列出失分最多的单位；每个单位的全部指标见“单位画像”。",
                            "Many units: the chart shows series averages; choose a series on the left to see its units."
                            if rows == "series" else "Many units: only those furthest below full marks are shown; see each unit's "
                            "profile for all its indicators."))
    if state.in_progress(scored):
        st.caption(state.bi("本年度尚在进行，尚未评分的直接评分指标暂按满分显示。",
                            "This year is in progress; directly scored indicators not yet scored show full points."))


def quarterly():
    """The quarterly progress reports (工作进度表) against 序时进度: who is on track, behind or at risk, and why."""
    reports = data.progress(org, year)
    if series:
        reports = reports[reports["unit"].isin(scored.units[scored.units["series"] == series]["unit"])]
    if reports.empty:
        st.info(state.bi("本年度没有报送工作进度表。", "No progress reports were filed for this year."))
        return
    periods = [p for p in views.PERIOD_EXPECTED if p in set(reports["period"])]
    c1, c2 = st.columns([2, 1])
    period = c1.segmented_control(state.tr("period"), periods, default=periods[-1], required=True, key="period",
                                  format_func=lambda p: p if lang == "zh" else PERIOD_EN.get(p, p))
    order = c2.segmented_control(state.bi("排序", "Sort by"), ["progress", "name"], default="progress", required=True,
                                 key="progress_sort", format_func={"progress": state.bi("按进度", "Progress"),
                                                                   "name": state.bi("按名称", "Name")}.get)
    by_unit = views.unit_progress(reports)
    current = by_unit[by_unit["period"] == period]
    if order == "progress":       # furthest behind first; the name (pinyin) breaks ties
        current = current.assign(_k=current["unit"].map(pinyin_key)).sort_values(["percent", "_k"]).drop(columns="_k")
    counts = current["status"].value_counts()
    k = st.columns(3)
    for col, key in zip(k, ["on_track", "behind", "at_risk"]):
        col.metric(state.tr(key), int(counts.get(key, 0)))
    st.plotly_chart(figures.progress_bars(current, lang, state.bi(f"{period}：各单位平均完成进度",
                                                                f"{PERIOD_EN.get(period, period)}: average progress by unit")),
                    width="stretch", config=state.CHART)

    st.markdown("**" + state.bi("进度明细与报告内容", "Progress by indicator, with the report text") + "**")
    detail = views.progress_status(reports, period)
    status = st.pills(state.tr("status"), ["on_track", "behind", "at_risk"], selection_mode="multi", key="status_filter",
                      format_func=state.tr, default=["behind", "at_risk"])
    if status:
        detail = detail[detail["status"].isin(status)]
    detail = detail.iloc[sorted(range(len(detail)), key=lambda i: (detail["gap"].iloc[i], pinyin_key(detail["unit"].iloc[i])))]
    detail = detail.assign(status=detail["status"].map(state.tr))
    progress_table = detail[["unit", "indicator", "percent", "expected", "gap", "status", "progress", "problems", "next_steps",
                             "reporter", "report_date"]]
    state.dataframe(progress_table, hide_index=True, width="stretch", column_config=(progress_config := {
        "unit": state.bi("填报组队", "Unit"), "indicator": state.bi("指标名称", "Indicator"),
        "percent": st.column_config.ProgressColumn(state.tr("percent"), format="%.1f%%", min_value=0, max_value=100),
        "expected": st.column_config.NumberColumn(state.tr("expected"), format="%.0f%%"),
        "gap": st.column_config.NumberColumn(state.bi("差距", "Gap"), format="%+.1f"),
        "status": state.tr("status"), "progress": state.bi("指标工作进展情况", "Progress"),
        "problems": state.bi("存在的问题", "Problems"), "next_steps": state.bi("下一步整改措施及完成时限", "Next steps and deadline"),
        "reporter": state.bi("填报人", "Reporter"), "report_date": st.column_config.DateColumn(state.bi("填报时间", "Filed"))}))
    state.export_view(progress_table, progress_config, state.bi(f"{org}{year}年度指标进度", f"{org} {year} indicator progress"),
                      "progress_view_xlsx")


# The year's scores and its progress reports in two tabs, only the open one run and drawn (together they took
# a first visit on the sample past half a second).
state.lazy_tabs("progress_tab", {"scores": (("指标得分率", "Attainment"), attainment),
                                 "quarterly": (("季度工作进度", "Quarterly progress"), quarterly)},
                kept=("period", "progress_sort", "status_filter"))
