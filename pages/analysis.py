"""分析 — why a unit's result changed, why one unit is above another, what it would take, how sure the
ranking is, and who is heading for trouble this year. Every line adds up to the difference it explains and
opens the records behind it."""
import streamlit as st

from perfcore.insight.change import rank_words
from perfcore.present import analysis as frames
from perfcore.present import figures, views
from ui import data, state

org, year, series = state.selected("analysis")
lang = state.lang()
scored = data.year_score(org, year)
labels = state.grade_labels(scored)
colors = state.colors(scored)
VIEWS = {"change": ("为何变化", "Why it changed"), "compare": ("单位对比", "Compare two units"),
         "gap": ("差距", "What it would take"), "robustness": ("名次稳健性", "How sure the ranking is"),
         "forecast": ("预警", "Early warning")}

st.title(state.bi(f"{year}年度分析", f"{year} analysis"))
head, download = st.columns([3, 1])
head.caption(f"{state.md(org)} · {state.md(scored.scheme.title)}")
download.download_button(state.bi("分析简报（PDF）", "Briefing (PDF)"), data.briefing(org, year, lang),
                         file_name=f"{org}{year}年度分析简报.pdf", key="briefing_pdf", icon=":material/picture_as_pdf:")
state.url_state("analysis", list(VIEWS))       # ?analysis=gap opens that view (the URL holds the key, not the label)
view = st.segmented_control(state.bi("分析内容", "Analysis"), list(VIEWS), key="analysis", default="change", required=True,
                            format_func=lambda v, lang=lang: VIEWS[v][1] if lang == "en" else VIEWS[v][0])
st.query_params["analysis"] = view

units = data.visible_units(org, year)
if series:
    units = [u for u in units if u in set(scored.units[scored.units["series"] == series]["unit"])]
if not units:
    st.info(state.bi("所选范围内没有可分析的单位。", "No units to analyse here."))
    st.stop()
results = scored.results.set_index("unit")


def pick_unit(label_zh="单位", label_en="Unit"):
    if st.session_state.get("unit") not in units:
        st.session_state.pop("unit", None)
    return st.selectbox(state.bi(label_zh, label_en), units, key="unit", bind="query-params")


def line_table(lines, analysis: str, key: str, unit_of_side: dict, year_of_side: dict) -> None:
    """The lines, largest effect first (or in the indicator table's order), each opening the records of its
    indicator (the deductions drill-down) when picked."""
    by_size = st.toggle(state.bi("按影响大小排列", "Largest effect first"), value=True, key=f"{key}_by_size")
    if by_size:
        lines = lines.iloc[lines["contribution"].abs().sort_values(ascending=False, kind="mergesort").index] \
            .reset_index(drop=True)
    table = frames.line_table(lines, lang, analysis)
    event = state.dataframe(table, hide_index=True, width="stretch", height=min(36 * len(table) + 40, 520), key=key,
                         on_select="rerun", selection_mode="single-row", column_config={
                             "what": state.bi("指标/组成部分", "Indicator / component"), "kind": state.bi("类型", "Kind"),
                             "event_id": state.bi("记录编号", "Record"), "date": state.bi("日期", "Date"),
                             "contribution": st.column_config.NumberColumn(state.bi("对综合得分的影响", "Effect on the composite"),
                                                                           format="%+.2f"),
                             "note": state.bi("说明", "Note")})
    st.caption(state.bi(f"各行合计 {lines['contribution'].sum():+.2f}，与差额一致（精确到分）。点选一行，可打开该指标的记录明细。",
                        f"The lines add up to {lines['contribution'].sum():+.2f}, the difference, to the cent. Pick a line "
                        "to open its indicator's records."))
    if not event.selection.rows:
        return
    line = lines.iloc[event.selection.rows[0]]
    target, side = line["indicator"], line["side"]
    if target is None or target != target:
        st.caption(state.bi("该行不对应某一指标的记录（评议、方案或四舍五入）。",
                            "This line is not one indicator's records (an evaluation, the scheme or the rounding)."))
        return
    who, when = unit_of_side.get(side, unit_of_side["to"]), year_of_side.get(side, year_of_side["to"])
    st.button(state.bi(f"查看「{state.md(who)}」{when}年「{state.md(target)}」的记录 →",
                       f"Open {state.md(who)}'s {when} records of {state.md(target)} →"),
              key=f"{key}_drill", type="primary", on_click=state.link,
              args=("deductions", {"year": when, "unit": who, "indicator": target, "deduction_tab": state.DRILL_TAB[lang]},
                    {"indicator": target, "view": "drill"}))


def grade_word(g) -> str:
    return labels.get(g, g or "—")


if view == "change":
    unit = pick_unit()
    earlier = sorted([y for y in data.org_years(org) if y < year], reverse=True)
    if not earlier:
        st.info(state.bi("没有更早的年度可比较。", "There is no earlier year to compare with."))
        st.stop()
    if st.session_state.get("from_year") not in earlier:
        st.session_state.pop("from_year", None)
    from_year = st.selectbox(state.bi("与哪一年度比较", "Compared with"), earlier, key="from_year")
    result = data.change(org, year, unit, from_year)
    m = st.columns(4)
    m[0].metric(state.bi(f"{from_year}年综合得分", f"Composite {from_year}"),
                "—" if result.composite_from is None else views.fmt2(result.composite_from))
    m[1].metric(state.bi(f"{year}年综合得分", f"Composite {year}"), views.fmt2(result.composite_to),
                delta=f"{result.difference:+.2f}")
    basis = state.bi("系列名次", "Series rank") if result.rank.get("basis") == "series" else state.tr("rank")
    m[2].metric(basis, f"{result.rank.get('rank_from') or '—'} → {result.rank['rank_to']}")
    m[3].metric(state.bi(f"等次（{from_year}年：{grade_word(result.rank.get('grade_from'))}）",
                         f"Grade ({from_year}: {grade_word(result.rank.get('grade_from'))})"), grade_word(result.rank.get("grade_to")))
    st.markdown(state.md(rank_words(result, lang)))
    if result.scheme_changed:
        st.info(state.bi("两个年度的考评方案或指标分值不同：方案调整的影响单列在最前，其余各行按上年方案比较。",
                         "The two years' schemes or points differ: the scheme's effect comes first, the other lines "
                         "compare under the earlier scheme."), icon=":material/rule:")
    steps = frames.change_steps(result.composite_from, result.composite_to, result.lines, lang,
                                state.bi(f"{from_year}年", str(from_year)), state.bi(f"{year}年", str(year)))
    st.plotly_chart(figures.waterfall(steps, lang, state.bi(f"{state.md(unit)}：{from_year} → {year} 综合得分变化",
                                                            f"{state.md(unit)}: composite {from_year} → {year}")),
                    width="stretch", config=state.CHART)
    line_table(result.lines, "change", "change_lines", {"to": unit, "from": unit, "both": unit},
               {"to": year, "from": from_year, "both": year})
    if len(result.overtakes):
        st.markdown("**" + state.bi("名次变化来自谁", "Who moved past whom") + "**")
        relation = {"overtook": state.bi("超过了本单位", "overtook it"), "overtaken": state.bi("被本单位超过", "overtaken by it"),
                    "joined": state.bi("新进入本单位之前", "joined above"), "left": state.bi("原在前、今年不在", "left from above")}
        shown = result.overtakes.assign(relation=result.overtakes["relation"].map(relation))
        state.dataframe(shown, hide_index=True, width="stretch", column_config={
            "unit": state.tr("unit"), "relation": state.bi("关系", "Relation"),
            "composite_from": st.column_config.NumberColumn(state.bi(f"{from_year}年得分", f"{from_year}"), format="%.2f"),
            "composite_to": st.column_config.NumberColumn(state.bi(f"{year}年得分", f"{year}"), format="%.2f"),
            "their_change": st.column_config.NumberColumn(state.bi("其变化", "Their change"), format="%+.2f"),
            "own_change": st.column_config.NumberColumn(state.bi("本单位变化", "This unit's change"), format="%+.2f"),
            "gap_from": st.column_config.NumberColumn(state.bi("上年分差", "Gap before"), format="%+.2f"),
            "gap_to": st.column_config.NumberColumn(state.bi("本年分差", "Gap now"), format="%+.2f")})

elif view == "compare":
    c1, c2 = st.columns(2)
    with c1:
        unit = pick_unit("前者", "First unit")
    others = [u for u in units if u != unit]
    if not others:
        st.info(state.bi("需要至少两个单位。", "Two units are needed."))
        st.stop()
    if st.session_state.get("unit_b") not in others:
        st.session_state.pop("unit_b", None)
        ranked = [u for u in scored.results["unit"] if u in others]
        above = [u for u in ranked if results.loc[u, "composite"] > results.loc[unit, "composite"]]
        st.session_state["unit_b"] = above[-1] if above else ranked[0]
    with c2:
        unit_b = st.selectbox(state.bi("后者", "Second unit"), others, key="unit_b", bind="query-params")
    result = data.compare(org, year, unit, unit_b)
    m = st.columns(3)
    m[0].metric(state.md(unit), views.fmt2(result.composite_a), help=f"{state.tr('rank')} {result.rank_a['rank']}")
    m[1].metric(state.md(unit_b), views.fmt2(result.composite_b), help=f"{state.tr('rank')} {result.rank_b['rank']}")
    m[2].metric(state.bi("分差（前者 − 后者）", "Gap (first − second)"), f"{result.gap:+.2f}")
    steps = frames.change_steps(result.composite_b, result.composite_a, result.lines, lang, state.md(unit_b), state.md(unit))
    st.plotly_chart(figures.waterfall(steps, lang, state.bi(f"从{state.md(unit_b)}到{state.md(unit)}", f"From {state.md(unit_b)} to {state.md(unit)}")),
                    width="stretch", config=state.CHART)
    line_table(result.lines, "compare", "compare_lines", {"to": unit, "from": unit_b, "both": unit},
               {"to": year, "from": year, "both": year})

elif view == "gap":
    unit = pick_unit()
    result = data.gap(org, year, unit)
    m = st.columns(4)
    m[0].metric(state.tr("composite"), views.fmt2(result.composite))
    m[1].metric(state.tr("rank"), f"{result.rank} / {len(scored.results)}")
    m[2].metric(state.tr("series_rank"), str(result.series_rank))
    m[3].metric(state.tr("grade"), grade_word(result.grade))
    if result.vetoed:
        st.error(state.bi("一票否决：无论得分多少，等次均为最低。", "Vetoed: the lowest grade whatever the score."), icon=":material/block:")
    rows = frames.gap_rows(result, lang, labels)
    state.dataframe(rows, hide_index=True, width="stretch", column_config={
        "target": state.bi("目标", "Target"), "points": st.column_config.NumberColumn(state.bi("还需综合得分", "Points needed"),
                                                                                     format="%+.2f"),
        "reach": st.column_config.NumberColumn(state.bi("达到", "Reach"), format="%.2f"), "to": state.bi("可达", "Gives"),
        "against": state.bi("对照", "Against")})
    st.caption(state.bi("所需分数为综合得分：加上它即可获得该名次或等次，少 0.01 分则不能（已计入并列、比较项和强制分布名额）。",
                        "Points are composite points: with them the unit reaches the place or grade, with one cent less it "
                        "does not (ties, tie-breaks and forced-distribution seats included)."))
    ladder = frames.gap_steps(result, lang, labels)
    if len(ladder) > 1:
        st.plotly_chart(figures.waterfall(ladder, lang, state.bi(f"{state.md(unit)}：离下一名次与等次还差多少",
                                                                 f"{state.md(unit)}: how far to the next place and grade")),
                        width="stretch", config=state.CHART)
    goal = result.next_grade or result.next_rank
    if goal:
        st.markdown("**" + state.bi("换算到各组成部分（各自的分值）", "The same need in each component's own points") + "**")
        state.dataframe(frames.equivalents_table(goal, lang), hide_index=True, width="stretch", column_config={
            "component": state.bi("组成部分", "Component"),
            "points": st.column_config.NumberColumn(state.bi("需提高（或少扣）", "Needed (or fewer deductions)"), format="%.2f"),
            "room": st.column_config.NumberColumn(state.bi("尚有空间（同一分值）", "Room left (same points)"), format="%.2f"),
            "enough": st.column_config.CheckboxColumn(state.bi("空间足够", "Enough room"))})
    st.markdown("**" + state.bi("申诉中的记录若申诉成立", "Records under appeal, if the appeal succeeds") + "**")
    if result.appeals.empty:
        st.caption(state.bi("该单位本年度没有申诉中的记录。", "This unit has no record under appeal this year."))
    else:
        appeals = result.appeals.assign(grade=result.appeals["grade"].map(grade_word))
        state.dataframe(appeals, hide_index=True, width="stretch", column_config={
            "event_id": state.bi("记录编号", "Record"), "indicator": state.tr("indicator"), "rule": state.bi("情形", "Rule"),
            "contribution": st.column_config.NumberColumn(state.bi("综合得分变化", "Composite change"), format="%+.2f"),
            "composite": st.column_config.NumberColumn(state.tr("composite"), format="%.2f"), "rank": state.tr("rank"),
            "series_rank": state.tr("series_rank"), "grade": state.tr("grade"),
            "changes_rank": st.column_config.CheckboxColumn(state.bi("名次变化", "Rank moves")),
            "changes_grade": st.column_config.CheckboxColumn(state.bi("等次变化", "Grade moves"))})

elif view == "robustness":
    c1, c2, c3 = st.columns(3)
    spread = c1.slider(state.bi("权重浮动幅度（±）", "Weights within ±"), 0.0, 0.5, data.ROBUSTNESS_SPREAD, 0.05, key="spread",
                       format="%.2f")
    draws = c2.selectbox(state.bi("抽样次数", "Draws"), data.ROBUSTNESS_DRAW_CHOICES,
                         index=data.ROBUSTNESS_DRAW_CHOICES.index(data.ROBUSTNESS_DRAWS), key="draws")
    evaluations = [c for c in scored.scheme.components if c.source == "evaluation" and c.full]
    noise = {}
    if evaluations:
        comp = evaluations[0]
        sd = c3.number_input(state.bi(f"{comp.label}的不确定性（标准差，分）", f"Uncertainty of {comp.label_en or comp.label} (sd, points)"),
                             min_value=0.0, max_value=float(comp.full) / 4, value=0.0, step=0.5, key="evaluation_sd")
        if sd > 0:
            noise[comp.key] = float(sd)
    basis = "series_rank" if series else "rank"
    table = data.robustness(org, year, draws, spread, 1, basis, noise)
    if series:
        table = table[table["series"] == series].reset_index(drop=True)
    st.caption(state.bi(f"按方案权重上下浮动 ±{spread:.0%} 抽样 {draws} 次（保持满分总值；随机种子 1，结果可重现）。"
                        "每个单位：中位名次、90% 的抽样落在其间的名次区间、各等次的概率。",
                        f"{draws} draws of the weights within ±{spread:.0%} of the scheme's (full marks kept; seed 1, "
                        "reproducible). Per unit: the median rank, the band 90 % of draws fall in, the chance of each grade."))
    shown = table if len(table) <= 60 else table.iloc[list(range(30)) + list(range(len(table) - 30, len(table)))]
    if len(table) > 60:
        st.caption(state.bi("单位较多，图中显示前 30 名与后 30 名；下表列出全部。", "Many units: the charts show the first 30 and "
                            "the last 30; the table lists all."))
    left, right = st.columns([1.2, 1], gap="large")
    rank_word = state.tr("series_rank") if series else state.tr("rank")
    left.plotly_chart(figures.bands(shown, lang, state.bi("名次的 90% 区间与中位名次", "Rank band (90 %) and median"),
                                    "rank_p05", "median_rank", "rank_p95", marker="official_rank", axis_title=rank_word,
                                    mid_name=state.bi("中位名次", "median"), marker_name=state.bi("正式名次", "official")),
                      width="stretch", config=state.CHART)
    right.plotly_chart(figures.grade_probabilities(shown, scored.scheme.grade_names(), colors, labels, lang,
                                                   state.bi("各等次的概率", "Chance of each grade")), width="stretch", config=state.CHART)
    listing = table.assign(band=[f"{a}–{b}" for a, b in zip(table["rank_p05"], table["rank_p95"])],
                           official_grade=table["official_grade"].map(grade_word))
    for g in scored.scheme.grade_names():
        listing[f"p_{g}"] = [d.get(g, 0.0) for d in table["p_grade"]]
    columns = ["official_rank", "unit", "series", "median_rank", "band", "p_rank", "official_grade", "p_official_grade"] + \
        [f"p_{g}" for g in scored.scheme.grade_names()]
    config = {"official_rank": rank_word, "unit": state.tr("unit"), "series": state.tr("series"),
              "median_rank": state.bi("中位名次", "Median rank"), "band": state.bi("90%区间", "90 % band"),
              "p_rank": st.column_config.ProgressColumn(state.bi("保持名次", "Keeps its rank"), format="percent", min_value=0, max_value=1),
              "official_grade": state.tr("grade"),
              "p_official_grade": st.column_config.ProgressColumn(state.bi("保持等次", "Keeps its grade"), format="percent",
                                                                  min_value=0, max_value=1)}
    for g in scored.scheme.grade_names():
        config[f"p_{g}"] = st.column_config.NumberColumn(f"P({grade_word(g)})", format="percent")
    state.dataframe(listing[columns], hide_index=True, width="stretch", height=min(36 * len(listing) + 40, 560), column_config=config)

else:   # forecast
    running = sorted(data.in_progress_years(org))
    target = year if year in running else (running[-1] if running else None)
    if target is None:
        st.info(state.bi("该组织没有正在进行的年度；预警针对正在进行的年度。", "This organisation has no year in progress; the early "
                         "warning is for a year in progress."))
        st.stop()
    if target != year:
        st.info(state.bi(f"预警针对正在进行的 {target} 年度。", f"The early warning is for {target}, the year in progress."),
                icon=":material/hourglass_top:")
    result = data.forecast(org, target)
    table = result.table
    if series:
        table = table[table["series"] == series].reset_index(drop=True)
    flagged = table[table["flags"].map(len) > 0]
    m = st.columns(4)
    m[0].metric(state.bi("数据截至", "Records up to"), result.as_of.isoformat())
    m[1].metric(state.bi("有风险的单位", "Units at risk"), str(len(flagged)))
    m[2].metric(state.bi("可能末等", "May take the lowest grade"), str(int(table["flags"].map(lambda f: "lowest" in f).sum())))
    m[3].metric(state.bi("可能降等", "May fall a grade"), str(int(table["flags"].map(lambda f: "down" in f).sum())))
    errs = result.errors["error"].abs()
    st.caption(state.bi(f"按已有记录与往年同期进度预测全年综合得分；区间为往年同日预测误差的 5%–95%（{len(errs)} 个误差，平均绝对误差 "
                        f"{errs.mean():.2f} 分）。达到 {result.risk:.0%} 概率即预警。工作进度与序时进度对照单列，不改变预测得分。",
                        f"Year-end composite projected from the records so far and earlier years' pace; the interval is the 5–95 % "
                        f"of the same projection's errors in past years ({len(errs)} errors, mean absolute {errs.mean():.2f}). "
                        f"A chance of {result.risk:.0%} raises a flag. Progress against the expected pace (序时进度) is shown beside it and does "
                        "not move the projection.") if len(errs) else
               state.bi("往年数据不足，区间无法估计。", "Too few past years to estimate an interval."))
    shown = table if len(table) <= 60 else table.sort_values("projected").head(60)
    bar_colors = [colors.get(g, figures.NEUTRAL) for g in shown["grade"]]
    chart = figures.bands(shown, lang, state.bi(f"{target}年度预测综合得分与区间", f"{target}: projected composite and interval"),
                          "low", "projected", "high", axis_title=state.tr("composite"), mid_name=state.bi("预测", "projected"),
                          colors=bar_colors)
    if scored.scheme.grading_mode == "threshold":
        for g in scored.scheme.grades[:-1]:
            chart.add_vline(x=g.min, line_dash="dot", line_color="#999999", annotation_text=figures.esc(grade_word(g.name)),
                            annotation_position="top")
    st.plotly_chart(chart, width="stretch", config=state.CHART)
    listing = table.assign(interval=[f"{views.fmt2(a)}–{views.fmt2(b)}" for a, b in zip(table["low"], table["high"])],
                           grade=table["grade"].map(grade_word), last_grade=table["last_grade"].map(grade_word),
                           repeat=table["repeat"].map(lambda d: max(d.values()) if d else None),
                           progress=[f"{p:.1f}% / {e:.0f}%" if p == p else "" for p, e in
                                     zip(table["progress_percent"], table["progress_expected"])],
                           flags=table["flags"].map(lambda f: frames.flags_text(f, lang)))
    listing = listing.assign(_n=table["flags"].map(len)).sort_values(["_n", "projected"], ascending=[False, True]).drop(columns="_n")
    state.dataframe(listing[["unit", "series", "so_far", "projected", "interval", "grade", "last_grade", "p_lowest", "p_down",
                          "repeat", "progress", "flags"]], hide_index=True, width="stretch",
                 height=min(36 * len(listing) + 40, 560), column_config={
                     "unit": state.tr("unit"), "series": state.tr("series"),
                     "so_far": st.column_config.NumberColumn(state.bi("目前得分", "So far"), format="%.2f",
                                                             help=state.bi("未评分指标按满分、未评议按 0 分的暂计得分",
                                                                           "Provisional: unscored indicators at full points, "
                                                                           "evaluations not held at 0")),
                     "projected": st.column_config.NumberColumn(state.bi("预测得分", "Projected"), format="%.2f"),
                     "interval": state.bi("90%区间", "90 % interval"), "grade": state.bi("预测等次", "Projected grade"),
                     "last_grade": state.bi("上年等次", "Last year"),
                     "p_lowest": st.column_config.NumberColumn(state.bi("末等概率", "P(lowest)"), format="percent"),
                     "p_down": st.column_config.NumberColumn(state.bi("降等概率", "P(worse grade)"), format="percent"),
                     "repeat": st.column_config.NumberColumn(state.bi("连续触发概率", "P(again)"), format="percent",
                                                             help=state.bi("上年已触发、需连续两年的问责情形（如连续两年系列末位）今年再次触发的概率",
                                                                           "For a consequence over consecutive years met last year: "
                                                                           "the chance of meeting it again")),
                     "progress": state.bi("工作进度/序时进度", "Progress / expected"), "flags": state.bi("预警", "Flags")})
