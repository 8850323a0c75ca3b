"""扣分明细 — the year's deductions and bonuses, and the drill-down to one indicator of one unit."""
import streamlit as st

from perfcore.present import figures

from perfcore.present import views
from perfcore.names import sort_names
from perfcore.engine.trace import summary
from ui import data, state

org, year, series = state.selected("deductions")
lang = state.lang()
scored = data.year_score(org, year)


st.title(state.bi(f"{year}年度扣分明细", f"{year} deductions and bonuses"))
events = data.event_history(org, year)
units = sort_names(scored.units["unit"] if not series else scored.units[scored.units["series"] == series]["unit"])
account = data.account()
if account.role == "unit":      # a unit sees its own records only (perfcore.access)
    units = [u for u in units if u == account.unit]
if series:
    events = events[events["unit"].isin(units)]

if st.query_params.get("view") == "drill" and "deduction_tab" not in st.session_state:
    st.session_state["deduction_tab"] = state.DRILL_TAB[lang]
if st.session_state.get("deduction_tab") in state.DRILL_TAB.values():
    st.session_state["deduction_tab"] = state.DRILL_TAB[lang]      # still open when the language changes
state.keep("levels", "direction", "breakdown")     # only the open tab runs: the other tab's filters are kept as they were
st.session_state.setdefault("direction", "all")
st.session_state.setdefault("breakdown", "unit")
tab_overview, tab_drill = st.tabs([state.bi("总体情况", "Overview"), state.DRILL_TAB[lang]], key="deduction_tab",
                                  on_change="rerun")
if tab_drill.open:
    st.query_params["view"] = "drill"
else:
    st.query_params.pop("view", None)


def overview():
    """The year's records at a glance: filters, totals and four charts."""
    f1, f2 = st.columns(2)
    present = set(events["source_level"].dropna())
    options = [x for x in views.LEVEL_ORDER if x in present] + sorted(present - set(views.LEVEL_ORDER))
    if "levels" in st.session_state:      # kept from before: only levels this year has
        st.session_state["levels"] = [x for x in st.session_state["levels"] if x in options]
    levels = f1.multiselect(state.tr("source_level"), options, key="levels", placeholder=state.bi("全部层级", "All levels"))
    direction = f2.segmented_control(state.bi("类型", "Type"), ["all", "deducted", "added"], key="direction",
                                     required=True, format_func={"all": state.bi("全部", "All"), "deducted": state.tr("deducted"),
                                                                 "added": state.tr("added")}.get)
    view = events
    if levels:
        view = view[view["source_level"].isin(levels)]
    if direction != "all":
        view = view[view["direction"] == direction]
    if view.empty:
        st.info(state.bi("没有符合条件的记录。", "No records match."))
    else:
        k = st.columns(4)
        k[0].metric(state.bi("记录数", "Records"), f"{len(view)}")
        k[1].metric(state.bi("合计扣分", "Total deducted"), views.fmt2(-view.loc[view['final'] < 0, 'final'].sum()))
        k[2].metric(state.bi("合计加分", "Total added"), views.fmt2(view.loc[view['final'] > 0, 'final'].sum()))
        k[3].metric(state.bi("减免或去重后不计", "Waived or merged"), f"{int(((view['final'] == 0)).sum())}")
        # one breakdown at a time (four charts at once took a first visit past 0.3 s on the sample, half a second
        # at 2,000 units, and are too many for a phone); the units that lost the most first
        by = st.segmented_control(state.bi("分布", "Breakdown"), list(BREAKDOWNS), key="breakdown", required=True,
                                  format_func=lambda k: state.bi(*BREAKDOWNS[k]))
        shown = (org, year, series, tuple(levels), direction, by, lang)   # everything `view` and the chart depend on
        if by == "unit":
            chart = lambda: figures.events_by(view[view["unit"].isin(views.most_deducted(view, 15))], "unit", lang,  # noqa: E731
                                              state.bi("扣分最多的单位（前15）", "Units with most deductions (top 15)"),
                                              horizontal=True)
        else:
            chart = lambda: figures.events_by(view, by, lang, state.bi(*BREAKDOWNS[by]),  # noqa: E731
                                              horizontal=by == "category")
        st.plotly_chart(data.chart("events_by", shown, chart), width="stretch", config=state.CHART)


BREAKDOWNS = {"unit": ("按单位", "By unit"), "category": ("按类别", "By category"),
              "source_level": ("按来源层级", "By source level"), "month": ("按月份", "By month")}


def drill():
    """One indicator of one unit: every record's line, adding up to the score."""
    if st.session_state.get("unit") not in units:
        st.session_state.pop("unit", None)
    c1, c2 = st.columns(2)
    unit = c1.selectbox(state.tr("unit"), units, key="unit", bind="query-params")
    targets = scored.indicators["indicator"].tolist() + [p.name for p in scored.scheme.pools]
    if account.role == "collector":   # its own indicators only
        targets = [t for t in targets if t in set(scored.grid.targets["target"])]
    if not units or not targets:
        st.info(state.bi("该账号没有可查看的单项明细。", "This account has no records to drill into."))
        st.stop()
    state.url_state("indicator", targets)
    if st.session_state.get("indicator") not in targets:
        st.session_state.pop("indicator", None)
    own = set(events[events["unit"] == unit]["target"])
    default = next((t for t in targets if t in own), targets[0])
    if "indicator" not in st.session_state:
        st.session_state["indicator"] = default
    indicator = c2.selectbox(state.tr("indicator"), targets, key="indicator")
    st.query_params["indicator"] = indicator
    lines = data.explain(org, year, unit, indicator).reset_index(drop=True)
    check = summary(lines).iloc[0]
    pool = lines.attrs["pools"].get(indicator)
    st.markdown((state.bi("事件池：", "Pool: ") if pool else state.tr("indicator") + state.bi("：", ": "))
                + f"**{state.md(indicator)}** · {state.md(unit)}")
    m = st.columns(3)
    if pool:
        m[0].metric(state.tr("deducted") if pool == "deduction" else state.tr("added"), views.fmt2(check['score']))
    else:
        points = float(scored.indicators.set_index("indicator").loc[indicator, "points"])
        m[0].metric(state.tr("points"), views.fmt2(points))
        m[1].metric(state.tr("score"), views.fmt2(check['score']))
    total = -check["sum"] if pool == "deduction" else check["sum"]
    with m[2]:
        st.metric(state.bi("明细合计", "Lines add up to"), views.fmt2(total))
        if check["reconciles"]:
            st.badge(state.bi("与得分一致", "matches the score"), icon=":material/check:", color="green")
        else:
            st.badge(state.bi("与得分不一致", "does not match the score"), icon=":material/close:", color="red")
    if state.may("unit") and unit in data.visible_units(org, year):
        st.button(state.bi("← 返回该单位画像", "← Back to the unit's profile"), key="back_to_unit", on_click=state.link,
                  args=("unit", {"unit": unit}))
    note = "note" if lang == "zh" else "note_en"
    shown = lines[["date", "event_id", "rule", "source_level", "count", "base", "role_factor", "mitigation_factor",
                   "multiplier", "contribution", note, "evidence", "status", "counted"]].rename(columns={note: "note"})
    headers = {"date": state.bi("日期", "Date"), "event_id": state.bi("编号", "ID"), "rule": state.bi("情形", "Rule"),
               "source_level": state.tr("source_level"), "count": state.bi("次数", "Count"),
               "base": state.bi("标准分", "Base"), "role_factor": state.bi("角色系数", "Role"),
               "mitigation_factor": state.bi("减免系数", "Mitigation"), "multiplier": state.bi("倍数", "Multiplier"),
               "contribution": state.tr("amount"), "note": state.bi("计分说明", "How it was counted"),
               "evidence": state.bi("证据文号", "Evidence"), "status": state.tr("status")}
    counted = shown["counted"].tolist()
    table = shown.drop(columns="counted").rename(columns=headers)

    def grey(row):
        off = counted[row.name] is False
        return ["color: #9A9A9A; text-decoration: line-through" if off else ""] * len(row)

    number = lambda x: "" if x is None or x != x else f"{x:g}"  # noqa: E731
    text = lambda v: "" if v is None or v != v else state.md(v)  # noqa: E731 - st.table reads cells as markdown
    texts = {headers[k]: text for k in ("rule", "source_level", "note", "evidence", "status")}
    texts[headers["event_id"]] = lambda v: text(v).replace("\\-", "\u2011")      # a non-breaking hyphen: the id never wraps
    styled = (table.style.apply(grey, axis=1).hide(axis="index")
              .format(na_rep="")
              .format({**texts, headers["date"]: lambda d: "" if d is None or d != d else f"{d:%Y\u2011%m\u2011%d}",   # never wraps
                       headers["base"]: lambda x: "" if x is None or x != x else f"{x:.2f}",
                       headers["contribution"]: "{:+.2f}", headers["count"]: number, headers["role_factor"]: number,
                       headers["mitigation_factor"]: number, headers["multiplier"]: number}, na_rep="")
              .set_properties(subset=[headers["date"], headers["event_id"], headers["contribution"]],
                              **{"white-space": "nowrap"})
              .map(lambda v: f"color: {figures.DOWN}; font-weight: 600" if isinstance(v, float) and v < 0 else
                   (f"color: {figures.UP}; font-weight: 600" if isinstance(v, float) and v > 0 else ""),
                   subset=[headers["contribution"]]))
    st.table(styled)
    state.export_view(table, {}, state.bi(f"{org}{year}年度{unit}{indicator}扣分明细", f"{org} {year} {unit} {indicator} records"),
                      "deductions_view_xlsx")
    st.caption(state.bi("第一行为起始分；其后每行是一条记录实际计入的分值。灰色删除线为未计分记录（草稿等）。"
                        "触及扣完为止或加分上限时，最后发生的记录先被截去。",
                        "The first line is the starting score; each further line is what one record finally counted. "
                        "Struck-through grey lines are not counted (drafts etc.). When a floor or cap is reached, the latest "
                        "records are trimmed first."))


for tab, body in ((tab_overview, overview), (tab_drill, drill)):
    if tab.open:             # only the open tab runs and is drawn
        with tab:
            body()
