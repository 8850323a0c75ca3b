"""部门排名 — the league table of the year, with grade counts, series averages, risers and fallers."""
import dataclasses

import streamlit as st

from perfcore.names import pinyin_key
from perfcore.present import figures, views
from perfcore.workflow import publish
from ui import data, state

PAGE_ROWS = 50        # rows shown at once; more units are shown part by part, never in a scroll inside the page
ROW_PX = 35

org, year, series = state.selected("rankings")
lang = state.lang()
scored = data.year_score(org, year)
labels = state.grade_labels(scored)
colors = state.colors(scored)

st.title(state.bi(f"{year}年度部门排名", f"{year} rankings"))
st.caption(f"{state.md(org)} · {state.md(scored.scheme.title)}")
if state.in_progress(scored):
    st.info(state.bi("本年度考评仍在进行：尚未评分的指标暂按满分计，尚未开展的评议暂按 0 分计，排名仅供参考。",
                     "This year is still in progress: indicators not yet scored count full points and evaluations "
                     "not yet held count 0, so the ranking is provisional."), icon=":material/hourglass_top:")

if scored.results.empty:
    st.info(state.bi("本年度结果尚未发布。发布后（或效能办开放反馈期间）可在此查看。",
                     "This year's results are not published yet. They appear here once published (or while the "
                     "office opens them for feedback)."), icon=":material/lock_clock:")
    st.stop()
if data.results_visibility(org, year) == "own":      # the feedback window: the unit's own preliminary result, no league
    window = data.feedback_window(org, year)
    st.info(state.bi("反馈期内，这里只显示本单位的初步结果" + (f"（{window['closes_on']:%Y-%m-%d} 截止）" if window and window["closes_on"] else "")
                     + "。如对记录有异议，请在“填报与申诉”中提出申诉。",
                     "During the feedback window only your unit's preliminary result is shown"
                     + (f" (until {window['closes_on']:%Y-%m-%d})" if window and window["closes_on"] else "")
                     + ". To contest a record, appeal it under Reports and appeals."), icon=":material/forum:")
    own = views.league_table(scored, lang=lang).iloc[0]
    m = st.columns(4)
    m[0].metric(state.tr("composite"), views.fmt2(own["composite"]))
    m[1].metric(state.tr("rank"), f"{int(own['rank'])} / {len(scored.units)}")
    m[2].metric(state.tr("grade"), labels[own["grade"]])
    m[3].metric(state.tr("movement"), own["movement"])
    state.dataframe(views.league_table(scored)[[k for k, _ in views.components(scored.scheme, lang)]], hide_index=True,
                 column_config={k: st.column_config.NumberColumn(name, format="%.2f") for k, name in views.components(scored.scheme, lang)})
    st.stop()

published = data.publication(org, year)
if published is not None:
    st.success(state.bi(f"正式结果已于 {published['published_at']:%Y-%m-%d %H:%M} 由 {state.md(published['published_by'])} 发布，下表为发布时的结果。",
                        f"Published {published['published_at']:%Y-%m-%d %H:%M} by {state.md(published['published_by'])}; the table shows the "
                        "published result."), icon=":material/verified:")
    changed = publish.differences(published["results"], scored) if state.may("data") else None
    if changed is not None and not changed.empty:
        with st.expander(state.bi(f"发布后数据有变化：{len(changed)} 个单位的得分、名次或等次与发布时不同", 
                                  f"The data changed since publication: {len(changed)} units differ"), expanded=False):
            state.dataframe(changed, hide_index=True, width="stretch", column_config={
                "unit": state.tr("unit"),
                "published_composite": st.column_config.NumberColumn(state.bi("发布得分", "Published"), format="%.2f"),
                "live_composite": st.column_config.NumberColumn(state.bi("当前得分", "Now"), format="%.2f"),
                "published_rank": state.bi("发布名次", "Published rank"), "live_rank": state.bi("当前名次", "Rank now"),
                "published_grade": state.bi("发布等次", "Published grade"), "live_grade": state.bi("当前等次", "Grade now")})
    scored = publish.as_published(scored, published["results"])
table = views.league_table(scored, series, lang)
if table.empty:
    st.warning(state.bi("所选系列在本年度没有被考评单位。", "No units of this series were evaluated this year."))
    st.stop()
provisional = state.in_progress(scored)
if provisional:      # a year in progress: its grades are provisional, shown in grey, never as a verdict in red
    labels = {g: state.bi(f"{labels[g]}（暂）", f"{labels[g]} (provisional)") for g in labels}
    colors = {g: "#9E9E9E" for g in colors}
# the whole page follows the series chosen on the left: grades, averages, risers and fallers
shown_year = dataclasses.replace(scored, results=scored.results[scored.results["series"] == series]) if series else scored

# --- on a phone: a card per unit first (rank, name, score, grade, movement), the charts after
phone = "Mobile" in (st.context.headers.get("User-Agent") or "")
view_kind = st.segmented_control(state.bi("显示", "Show"), ["table", "cards"], default="cards" if phone else "table",
                                 required=True, key="rank_view",
                                 format_func={"table": state.bi("表格", "Table"), "cards": state.bi("卡片", "Cards")}.get)
if view_kind == "cards":
    for r in table.itertuples():
        with st.container(border=True):      # one card: the rank and name on a line, the score, grade and movement below
            st.markdown(f"**{int(r.series_rank if series else r.rank)}** &nbsp; **{state.md(r.unit)}** · "
                        f"{state.md(r.series)}  \n{views.fmt2(r.composite)} · {state.md(labels[r.grade])} · "
                        f"{state.md(r.movement)}")

# --- summary: grades, series, movers
left, middle, right = st.columns([1, 1.5, 1.1], gap="large")
with left:
    st.plotly_chart(figures.grade_bar(views.grade_counts(shown_year), colors, labels, lang), width="stretch",
                    config=state.CHART)
with middle:
    st.markdown("**" + state.bi("各系列平均综合得分", "Average composite by series") + "**")
    summary = views.series_summary(shown_year)
    state.dataframe(summary, hide_index=True, width="stretch", column_config={
        "series": state.tr("series"), "units": st.column_config.NumberColumn(state.tr("count")),
        "average": st.column_config.NumberColumn(state.bi("平均", "Average"), format="%.2f"),
        "best": state.bi("第一名", "First"), "best_composite": None})
with right:
    risers, fallers = views.risers_fallers(shown_year)
    st.markdown("**" + state.bi("进步最大", "Biggest risers") + "**")
    if risers.empty:
        st.caption(state.bi("与上年相比无上升单位（或无上年数据）。", "No risers against last year (or no data for last year)."))
    for r in risers.itertuples():
        st.markdown(f":blue[▲ {int(r.change)}] &nbsp; {state.md(r.unit)} · {state.md(r.series)}")
    st.markdown("**" + state.bi("退步最大", "Biggest fallers") + "**")
    if fallers.empty:
        st.caption(state.bi("与上年相比无下降单位。", "No fallers against last year."))
    for r in fallers.itertuples():
        st.markdown(f":orange[▼ {int(-r.change)}] &nbsp; {state.md(r.unit)} · {state.md(r.series)}")
    improved = views.most_improved(shown_year)
    if not improved.empty:
        st.markdown("**" + state.bi("得分提高最多", "Most improved by score") + "**")
        for r in improved.itertuples():
            st.markdown(f":blue[+{views.fmt2(r.change)}] &nbsp; {state.md(r.unit)} · {state.md(r.series)}")

st.divider()
if view_kind == "cards":       # the cards above are the list; the table, its filters and selection are the desk view
    st.stop()

# --- filters
f1, f2, f3 = st.columns([1.1, 1.5, 1.6])
query = f1.text_input(state.bi("按单位名称查找", "Find a unit"), key="q", placeholder=state.bi("输入单位名称", "Type a name"))
grades = f2.pills(state.tr("grade"), scored.scheme.grade_names(), selection_mode="multi", key="grades",
                  format_func=lambda g: labels[g])
sort = f3.segmented_control(state.bi("排序", "Sort by"), ["rank", "composite", "movement", "name"], key="sort",
                            default="rank", required=True,
                            format_func={"rank": state.tr("rank"), "composite": state.tr("composite"),
                                         "movement": state.tr("movement"), "name": state.bi("名称", "Name")}.get)
if query:
    table = table[table["unit"].str.contains(query.strip(), regex=False)]
if grades:
    table = table[table["grade"].isin(grades)]
if sort == "composite":
    table = table.sort_values(["composite", "rank"], ascending=[False, True])
elif sort == "movement":
    table = table.sort_values(["move_value", "rank"], ascending=[False, True])
elif sort == "name":
    table = table.iloc[sorted(range(len(table)), key=lambda i: pinyin_key(table["unit"].iloc[i]))]
table = table.reset_index(drop=True)

# --- the table
components = views.components(scored.scheme, lang)
# the key columns first and pinned (they stay in view when the rest scrolls sideways), then the context
shown = ["series_rank" if series else "rank", "unit", "composite", "grade", "movement", "series", "prev_composite",
         "composite_change"] + [k for k, _ in components] + ["veto"]
display = table[shown].copy()
# grade and movement as coloured labels (one option per value), so 2,000 rows need no styling pass
grade_names = scored.scheme.grade_names()
display["grade"] = [[g] for g in display["grade"]]
moves = list(dict.fromkeys(display["movement"]))
display["movement"] = [[m] for m in display["movement"]]
config = {"rank": st.column_config.NumberColumn(state.tr("rank"), width="small", pinned=True),
          "series_rank": st.column_config.NumberColumn(state.tr("series_rank"), width="small", pinned=True),
          "unit": st.column_config.TextColumn(state.tr("unit"), pinned=True), "series": state.tr("series"),
          "composite": st.column_config.NumberColumn(state.tr("composite"), format="%.2f", pinned=True),
          "prev_composite": st.column_config.NumberColumn(state.bi("上年得分", "Last year"), format="%.2f"),
          "composite_change": st.column_config.NumberColumn(state.bi("得分变化", "Change"), format="%+.2f"),
          "grade": st.column_config.MultiselectColumn(state.tr("grade"), options=grade_names, pinned=True,
                                                      color=[figures.label_color(colors[g]) for g in grade_names], format_func=labels.get),
          "movement": st.column_config.MultiselectColumn(
              state.tr("movement"), options=moves, color=figures.movement_label_colors(moves), pinned=True,
              help=state.bi("与上年相比（按系列名次）", "Against last year (series rank)")),
          "veto": st.column_config.TextColumn(state.tr("veto"), help=state.bi("一票否决的情形与依据", "Why the unit was vetoed"))}
for key, name in components:
    config[key] = st.column_config.NumberColumn(name, format="%.2f")
analyses = state.may("analysis")
if analyses:
    st.caption(state.bi(f"共 {len(display)} 个单位。勾选一行左侧的方框：单位画像、为何变化、还差多少；勾选两行：对比两个单位。",
                        f"{len(display)} units. Tick a row for its profile, why it changed and what it would take; tick two "
                        "rows to compare them."))
else:
    st.caption(state.bi(f"共 {len(display)} 个单位。点击一行左侧的方框，查看该单位画像。",
                        f"{len(display)} units. Tick a row to open the unit's profile."))
bar = st.container(horizontal=True)       # the notices, the analyses a click away and this view as a workbook
if data.results_visibility(org, year) == "all":
    draft = "" if published is not None else state.bi("（征求意见稿）", " (draft)")
    bar.download_button(state.bi("排名通报（Excel）", "Ranking notice (Excel)") + draft, data.notice(org, year, "xlsx", lang),
                        file_name=f"{org}{year}年度排名通报.xlsx", key="rank_notice_xlsx", icon=":material/table_view:")
    bar.download_button(state.bi("排名通报（PDF）", "Ranking notice (PDF)") + draft, data.notice(org, year, "pdf", lang),
                        file_name=f"{org}{year}年度排名通报.pdf", key="rank_notice_pdf", icon=":material/picture_as_pdf:")
    if analyses:       # how sure the ranking is, and who is heading for trouble: one click from here
        bar.button(state.bi("名次稳健性 →", "How sure the ranking is →"), key="to_robustness", icon=":material/stacked_line_chart:",
                   on_click=state.link, args=("analysis", {"analysis": "robustness"}, {"analysis": "robustness"}))
        bar.button(state.bi("预警 →", "Early warning →"), key="to_forecast", icon=":material/warning:",
                   on_click=state.link, args=("analysis", {"analysis": "forecast"}, {"analysis": "forecast"}))
state.export_view(display, config, state.bi(f"{org}{year}年度部门排名", f"{org} {year} rankings"), "rank_view_xlsx", bar)
# every row in view without a scroll inside the page: up to PAGE_ROWS at a time, and a clear choice of which
pages_n = -(-len(display) // PAGE_ROWS)
start = 0
if pages_n > 1:
    part = st.selectbox(state.bi("显示", "Showing"), range(pages_n), key="rank_part", format_func=lambda i: state.bi(
        f"第 {i * PAGE_ROWS + 1}–{min((i + 1) * PAGE_ROWS, len(display))} 行（共 {len(display)} 行）",
        f"rows {i * PAGE_ROWS + 1}–{min((i + 1) * PAGE_ROWS, len(display))} of {len(display)}"))
    start = part * PAGE_ROWS
view = display.iloc[start:start + PAGE_ROWS]
event = state.dataframe(view, hide_index=True, width="stretch", row_height=ROW_PX, height=ROW_PX * (len(view) + 1) + 3,
                     column_config=config, on_select="rerun", selection_mode="multi-row" if analyses else "single-row",
                     key="league")
picked = [view["unit"].iloc[i] for i in event.selection.rows if i < len(view)]
if analyses and picked:
    if len(picked) == 1:
        unit = picked[0]
        st.markdown(f"**{state.md(unit)}**")
        b = st.columns(4)
        b[0].button(state.bi("单位画像 →", "Profile →"), key="to_unit", icon=":material/account_balance:",
                    on_click=state.link, args=("unit", {"unit": unit}, {"unit": unit}))
        b[1].button(state.bi("为何变化 →", "Why it changed →"), key="to_change", type="primary", icon=":material/trending_down:",
                    on_click=state.link, args=("analysis", {"unit": unit, "analysis": "change"}, {"unit": unit, "analysis": "change"}))
        b[2].button(state.bi("还差多少 →", "What it would take →"), key="to_gap", icon=":material/flag:",
                    on_click=state.link, args=("analysis", {"unit": unit, "analysis": "gap"}, {"unit": unit, "analysis": "gap"}))
    elif len(picked) == 2:
        a, b_unit = sorted(picked, key=lambda u: int(table.set_index("unit").loc[u, "rank"]))
        st.button(state.bi(f"对比「{state.md(a)}」与「{state.md(b_unit)}」 →", f"Compare {state.md(a)} with {state.md(b_unit)} →"),
                  key="to_compare", type="primary", icon=":material/compare_arrows:", on_click=state.link,
                  args=("analysis", {"unit": a, "unit_b": b_unit, "analysis": "compare"},
                        {"unit": a, "unit_b": b_unit, "analysis": "compare"}))
    else:
        st.caption(state.bi("请勾选一个或两个单位。", "Tick one or two units."))
elif picked:
    if state.may("unit") and picked[0] in data.visible_units(org, year):
        state.go_to("unit", unit=picked[0])
    else:
        st.caption(state.bi(f"该账号不能查看「{state.md(picked[0])}」的单位画像。", f"This account cannot open the profile of "
                            f"{state.md(picked[0])}."))
