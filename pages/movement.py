"""排名变化 — ranks between two years (slope chart) with the notice's wording, and across the years (bump chart)."""
import streamlit as st

from perfcore.present import figures

from perfcore.present import views
from perfcore.names import sort_names
from ui import data, state

org, year, series = state.selected("movement")
lang = state.lang()
history = data.rank_history(org)

st.title(state.bi("排名变化", "Rank movement"))
if history.empty:
    st.info(state.bi("还没有可查看的历年结果（结果发布后可见）。", "No results to compare yet (they appear once published)."))
    st.stop()
all_series = sort_names(history["series"].unique())
chosen = series or st.selectbox(state.tr("series"), all_series, key="movement_series")
part = history[history["series"] == chosen]
if part["year"].nunique() < 2:
    st.info(state.bi("该组织只有一个年度的结果，暂无排名变化。", "Only one year of results: no movement yet."))
    st.stop()


def between_two_years():
    """One year's series ranks against another's (last year's by default), and the notice's wording."""
    years = sorted(history["year"].unique())
    c1, c2 = st.columns(2)
    first = c1.selectbox(state.bi("比较年度", "Compare"), years[:-1], index=len(years) - 2 if year not in years[1:] else
                         years.index(year) - 1, key="slope_first")
    later = [y for y in years if y > first]
    second = c2.selectbox(state.bi("与", "with"), later, index=later.index(year) if year in later else len(later) - 1,
                          key="slope_second")
    moves = views.movement_between(history, first, second)
    moves = moves[moves["series"] == chosen]
    left, right = st.columns([1.4, 1], gap="large")
    with left:
        compared = moves.dropna(subset=["before"])
        many = len(compared) > 40
        if not many:
            charted, title = moves, state.bi(f"{first} → {second} 系列名次", f"Series rank {first} → {second}")
        else:        # many units: the biggest movers each way, named (every unit is in the notice beside it)
            charted = views.biggest_moves(moves)
            title = state.bi(f"{first} → {second} 系列名次：升降最多的单位", f"Series rank {first} → {second}: the biggest movers")
        st.plotly_chart(data.chart("slope", (org, chosen, first, second, lang), lambda: figures.slope(
            charted, first, second, lang, title)), width="stretch", config=state.CHART)
        if many:
            st.caption(state.bi(f"图中为上升最多和下降最多的各 {views.MOST_MOVES} 个单位；全部 {len(compared)} 个单位见右侧通报。",
                                f"The chart shows the {views.MOST_MOVES} biggest risers and fallers; all {len(compared)} "
                                "units are in the notice beside it."))
    with right:
        st.markdown("**" + state.bi(f"{second}年度排名升降通报（{state.md(chosen)}）", f"{second} movement notice ({state.md(chosen)})") + "**")
        up = moves[moves["change"] > 0].sort_values("change", ascending=False)
        down = moves[moves["change"] < 0].sort_values("change")
        new = moves[moves["before"].isna()]
        if len(up) + len(down) + len(new) <= 40:     # as the notice words it, one line per unit
            for label, frame in ((state.bi("排位上升", "Moved up"), up), (state.bi("排位下降", "Moved down"), down)):
                lines = ["- " + views.notice_line(state.md(r.unit), r.before, r.after, r.change, lang) for r in frame.itertuples()]
                st.markdown(f"*{label}*  \n" + ("\n".join(lines) if lines else state.bi("无", "None")))
            if not new.empty:
                st.markdown("*" + state.bi("新参加考评或调整系列", "New or moved series") + "*  \n" +
                            "\n".join("- " + views.notice_line(state.md(r.unit), None, r.after, 0, lang) for r in new.itertuples()))
        else:                                        # many units: one table, biggest movers first
            notice = views.movement_notice(moves, lang)
            config = {"unit": state.tr("unit"), "before": st.column_config.NumberColumn(str(first), format="%d"),
                      "after": st.column_config.NumberColumn(str(second), format="%d"), "words": state.tr("movement")}
            state.dataframe(notice, hide_index=True, width="stretch", height=420, column_config=config)
            state.export_view(notice, config, state.bi(f"{org}{first}—{second}年度名次变化", f"{org} rank movement {first}-{second}"),
                              "movement_view_xlsx")


def across_the_years():
    """Every year's series rank, the chosen units (or the current top and bottom three) picked out."""
    units_here = sort_names(part["unit"].unique())
    highlight = st.multiselect(state.bi("突出显示的单位（不选则显示本系列当前前三名与后三名）",
                                        "Units to highlight (none: the series' current top three and bottom three)"),
                               units_here, key="movement_highlight", max_selections=8,
                               placeholder=state.bi("选择单位", "Choose units"))
    st.plotly_chart(data.chart("bump", (org, chosen, tuple(highlight), lang), lambda: figures.bump(
        part, lang, state.bi(f"{chosen}：历年系列名次", f"{chosen}: series rank by year"), highlight)),
                    width="stretch", config=state.CHART)
    if data.in_progress_years(org):
        st.caption(state.bi("尚在进行的年度不计入排名变化。", "Years still in progress are not part of the movement."))


# The two views in tabs, only the open one run and drawn (at 2,000 units, 250 to a series, the two charts
# together took a first visit past half a second).
state.lazy_tabs("movement_tab", {"between": (("两年比较", "Between two years"), between_two_years),
                                 "across": (("历年名次", "Across the years"), across_the_years)},
                kept=("movement_highlight", "slope_first", "slope_second"))
