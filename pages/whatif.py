"""权重模拟 — change weights, points or switch events off; the ranking recomputes live. A simulation only."""
import streamlit as st

from perfcore.present import figures


from perfcore.workflow import scenarios

from perfcore.present import views
from perfcore.errors import PerfcoreError
from perfcore.names import sort_names
from perfcore.present.i18n import label
from ui import data, state

org, year, series = state.selected("whatif")
lang = state.lang()
scored = data.year_score(org, year)
labels = state.grade_labels(scored)
colors = state.colors(scored)
scheme = scored.scheme

st.title(state.bi("权重模拟", "What-if"))
st.warning(state.bi("这是模拟，不改变正式考评结果和任何记录。", "This is a simulation. It changes neither the official result nor any record."),
           icon=":material/science:")

sim = data.whatif(org, year)
spec_key = f"spec::{org}::{year}"
official_spec = {"weights": {c.key: c.weight for c in scheme.components}, "category_weights": {}, "points": {}, "amounts": {},
                 "events_off": []}
spec = st.session_state.setdefault(spec_key, scenarios.normalise(official_spec))
categories = [c for c in scored.indicators["category"].unique() if c]
fixed_rules = [r for r in scheme.rules if r.amount is not None]


def apply(new_spec: dict) -> None:
    """Put a scenario into the controls (a button callback, so it runs before the widgets)."""
    new_spec = scenarios.normalise(new_spec)
    st.session_state[spec_key] = new_spec
    for c in scheme.components:
        st.session_state[f"w_{c.key}"] = float(new_spec["weights"].get(c.key, c.weight))
    for cat in categories:
        st.session_state[f"cw_{cat}"] = float(new_spec["category_weights"].get(cat, 1.0))
    st.session_state["events_off_all"] = list(new_spec["events_off"])
    st.session_state["points_spec"] = dict(new_spec["points"])
    st.session_state["amounts_spec"] = dict(new_spec["amounts"])
    for k in [k for k in st.session_state if str(k).startswith(("pt_value_", "amount_value_", "off_in_"))]:
        del st.session_state[k]


def load_saved(name: str) -> None:
    apply(scenarios.load(data.cursor(), org, year, name))


if f"w_{scheme.components[0].key}" not in st.session_state:
    known = {"weights": [c.key for c in scheme.components], "category_weights": categories,
             "points": list(scored.indicators["indicator"]), "amounts": [r.name for r in fixed_rules],
             "events_off": sim.event_ids()}
    apply(scenarios.from_query(st.query_params.to_dict(), official_spec, known))   # a shared link reopens its scenario


def changed_value(changes: dict, label: str, options: list, key: str, standard, value_label: str, prefix: str,
                  step: float) -> None:
    """Choose one of `options` and give it a value other than `standard(choice)`: `changes` holds the values
    that differ (an indicator's points, a rule's amount)."""
    chosen = st.selectbox(label, options, key=key)
    official = float(standard(chosen))
    value = st.number_input(value_label, value=float(changes.get(chosen, official)), min_value=0.0, step=step,
                            key=f"{prefix}{chosen}")
    if abs(value - official) > 1e-9:
        changes[chosen] = value
    else:
        changes.pop(chosen, None)


@st.fragment
def simulator():
    # choices kept while not drawn (here in the fragment: its own reruns open and close the parts)
    state.keep("pt_indicator", "amount_rule", "off_unit", "changed_only")
    controls, output = st.columns([1, 2.2], gap="large")
    with controls:
        st.markdown("**" + state.bi("组成部分权重", "Component weights") + "**")
        weights = {}
        for c in scheme.components:      # a slider from 0 to twice the official weight (at least 0 to 1), either sign
            low, high = (min(0.0, 2 * c.weight), 0.0) if c.weight < 0 else (0.0, max(1.0, 2 * c.weight))
            weights[c.key] = st.slider(state.md(label(c.label, c.label_en, lang)), min_value=low, max_value=high, step=0.05,
                                       format="%.2f", key=f"w_{c.key}")
        official_sum = sum(c.weight for c in scheme.components if c.weight > 0)
        new_sum = sum(w for w in weights.values() if w > 0)
        st.caption(state.bi(f"正向权重合计 **{new_sum:.2f}**（正式方案 {official_sum:.2f}）",
                            f"Positive weights add up to **{new_sum:.2f}** (official {official_sum:.2f})"))
        cat_weights = {}
        if categories:
            with st.expander(state.bi("指标类别权重", "Category weights")):
                for cat in categories:
                    cat_weights[cat] = st.number_input(state.md(cat), step=0.1, format="%.2f", key=f"cw_{cat}")
        # the points, amounts and records switched off are drawn only while their part is open (at 2,000 units
        # their pickers cost a page switch a fifth of a second); what they hold stays in the scenario when closed
        points = st.session_state.setdefault("points_spec", dict(spec["points"]))
        with st.expander(state.bi("调整指标分值", "Change an indicator's points"), key="points_open",
                         on_change="rerun") as part:
            if part.open:
                changed_value(points, state.tr("indicator"), list(scored.indicators["indicator"]), "pt_indicator",
                              lambda i: float(scored.indicators.set_index("indicator").loc[i, "points"]),
                              state.tr("points"), "pt_value_", 1.0)
        if points:
            st.caption(state.bi("指标分值：", "Points: ") + state.md(state.tr("item_sep").join(f"{k}: {v:g}" for k, v in points.items())))
        amounts = st.session_state.setdefault("amounts_spec", dict(spec["amounts"]))
        if fixed_rules:
            with st.expander(state.bi("调整情形分值", "Change a rule's amount"), key="amounts_open", on_change="rerun") as part:
                if part.open:
                    changed_value(amounts, state.bi("情形", "Rule"), [r.name for r in fixed_rules], "amount_rule",
                                  lambda r: scheme.rule(r).amount, state.bi("每次分值", "Amount per count"), "amount_value_", 0.5)
            if amounts:
                st.caption(state.bi("情形分值：", "Amounts: ") + state.md(state.tr("item_sep").join(f"{k}: {v:g}" for k, v in amounts.items())))
        # records switched off (an appeal that succeeds): chosen per unit, kept across units
        off_all = set(st.session_state.setdefault("events_off_all", list(spec["events_off"])))
        pending = sorted(set(data.appeals(org, year, open_only=True)["event_id"]))
        if pending:
            def all_pending_succeed():
                st.session_state["events_off_all"] = sorted(set(st.session_state.get("events_off_all", [])) | set(pending))
                for k in [k for k in st.session_state if str(k).startswith("off_in_")]:
                    del st.session_state[k]
            st.button(state.bi(f"假如 {len(pending)} 项待处理申诉全部成立", f"If the {len(pending)} pending appeals all succeed"),
                      key="pending_appeals", icon=":material/gavel:", on_click=all_pending_succeed,
                      help=state.bi("不计入申诉中的记录：" + state.md("、".join(pending)),
                                        "Switches off the records under appeal: " + state.md(", ".join(pending))))
        described, picked = {}, []
        with st.expander(state.bi("不计入的记录（模拟申诉成功）", "Records switched off (an appeal upheld)"), key="off_open",
                         on_change="rerun") as part:
            if part.open:
                off_unit = st.selectbox(state.bi("先选单位", "Choose a unit"), sort_names(scored.units["unit"]), key="off_unit")
                own = data.unit_ledger(org, year, off_unit)
                own = own[own["status"].isin(scheme.counted_statuses)]
                described = dict(zip(own["event_id"], own["event_id"] + " · " + own["target"] + " · " + own["rule"]))
                picked = st.multiselect(state.bi("该单位不计入的记录", "Its records switched off"), list(described),
                                        default=[e for e in described if e in off_all], key=f"off_in_{off_unit}",
                                        format_func=described.get, placeholder=state.bi("选择记录", "Choose records"))
        off_all = (off_all - set(described)) | set(picked)
        st.session_state["events_off_all"] = sorted(off_all)
        if off_all:
            st.caption(state.bi(f"共 {len(off_all)} 条不计入：", f"{len(off_all)} switched off: ") + state.md(state.tr("list_sep").join(sorted(off_all))))
        current_spec = scenarios.normalise({"weights": weights, "category_weights": {k: v for k, v in cat_weights.items() if v != 1.0},
                                            "points": points, "amounts": amounts, "events_off": sorted(off_all)})
        st.session_state[spec_key] = current_spec
        for key in scenarios.QUERY_KEYS.values():      # the scenario in the URL, so the view can be shared exactly
            st.query_params.pop(key, None)
        st.query_params.update(scenarios.to_query(current_spec, official_spec))
        st.button(state.bi("恢复正式方案", "Reset to the official scheme"), key="reset", icon=":material/restart_alt:",
                  on_click=apply, args=(official_spec,))

    result = sim.run(weights=current_spec["weights"], category_weights=current_spec["category_weights"],
                     points=current_spec["points"], amounts=current_spec["amounts"], events_off=current_spec["events_off"])
    with output:
        moved = int((result["rank_delta"] != 0).sum())
        regraded = int(result["grade_changed"].sum())
        k = st.columns(3)
        k[0].metric(state.bi("名次变化的单位", "Units whose rank changed"), moved)
        k[1].metric(state.bi("等次变化的单位", "Units whose grade changed"), regraded)
        k[2].metric(state.bi("综合得分平均变化", "Average change of composite"),
                    ("+" if (result['composite'] - result['official_composite']).mean() >= 0 else "") +
                    views.fmt2((result['composite'] - result['official_composite']).mean()))
        simulated = sim.scheme(current_spec["weights"], current_spec["category_weights"], current_spec["amounts"])
        base, bonus, _ = simulated.full_marks()
        official_base, official_bonus, _ = scheme.full_marks()
        if abs(base - official_base) > 1e-6 or abs(bonus - official_bonus) > 1e-6:
            (st.warning if abs(base - scheme.scale) > scheme.scale * 0.005 else st.info)(state.bi(
                f"按模拟权重，综合得分满分为 {base:.2f}（另有加分最多 {bonus:.2f}），正式方案为 {official_base:.2f}"
                f"（加分 {official_bonus:.2f}），{scheme.scale:g} 分制"
                + ("：模拟得分已不在原分制上，等次分数线按原分制计，名次比较仍然有效。" if abs(base - scheme.scale) > scheme.scale * 0.005
                   else "。"),
                f"With these weights the composite's full marks are {base:.2f} (plus at most {bonus:.2f} of bonuses); the "
                f"official scheme's are {official_base:.2f} (+{official_bonus:.2f}) on a {scheme.scale:g}-point scale"
                + (": the simulated composite is no longer on that scale, the grade thresholds still are; ranks still "
                   "compare." if abs(base - scheme.scale) > scheme.scale * 0.005 else ".")), icon=":material/straighten:")
        if regraded >= max(3, 0.1 * len(result)):
            st.warning(state.bi(f"注意：{regraded} 个单位（{regraded / len(result):.0%}）的等次随之改变。",
                                f"Note: {regraded} units ({regraded / len(result):.0%}) change grade."), icon=":material/warning:")
        if not moved and not regraded and not (result["composite"] != result["official_composite"]).any():
            # nothing to compare yet: no table of 2,000 unchanged rows, no chart of points on its diagonal
            st.info(state.bi("模拟结果与正式结果相同。调整左侧的权重、指标分值、情形分值或不计入的记录，这里即列出各单位名次、"
                             "等次和得分的变化。",
                             "The simulation gives the official result. Change a weight, an indicator's points, a rule's "
                             "amount or switch records off on the left, and each unit's change of rank, grade and score "
                             "is listed here."), icon=":material/tune:")
            return
        view = result if not series else result[result["series"] == series]
        if st.toggle(state.bi("只看名次或等次变化的单位", "Only units whose rank or grade changes"), key="changed_only"):
            view = view[(view["rank_delta"] != 0) | view["grade_changed"]]
        table = view[["rank", "unit", "series", "composite", "official_composite", "official_rank", "rank_delta", "grade",
                      "official_grade"]].copy()
        grade_names = scheme.grade_names()
        grade_column = st.column_config.MultiselectColumn   # coloured labels: every grade in its own colour
        table["grade"] = [[g] for g in table["grade"]]
        table["official_grade"] = [[g] for g in table["official_grade"]]
        deltas = [f"▲{d}" if d > 0 else (f"▼{-d}" if d < 0 else "–") for d in table["rank_delta"]]
        moves = list(dict.fromkeys(deltas))
        table["rank_delta"] = [[d] for d in deltas]
        state.dataframe(table, hide_index=True, width="stretch", height=420, column_config=(whatif_config := {
            "rank": st.column_config.NumberColumn(state.bi("模拟名次", "Simulated rank"), width="small", pinned=True),
            "unit": st.column_config.TextColumn(state.tr("unit"), pinned=True), "series": state.tr("series"),
            "composite": st.column_config.NumberColumn(state.bi("模拟得分", "Simulated"), format="%.2f"),
            "official_composite": st.column_config.NumberColumn(state.bi("正式得分", "Official"), format="%.2f"),
            "official_rank": st.column_config.NumberColumn(state.bi("正式名次", "Official rank"), width="small"),
            "rank_delta": st.column_config.MultiselectColumn(
                state.tr("rank_delta"), options=moves,
                color=figures.movement_label_colors(moves)),
            "grade": grade_column(state.bi("模拟等次", "Simulated grade"), options=grade_names,
                                  color=[figures.label_color(colors[g]) for g in grade_names], format_func=labels.get),
            "official_grade": grade_column(state.bi("正式等次", "Official grade"), options=grade_names,
                                           color=[figures.label_color(colors[g]) for g in grade_names], format_func=labels.get)}))
        state.export_view(table, whatif_config, state.bi(f"{org}{year}年度权重模拟", f"{org} {year} what-if"), "whatif_view_xlsx")
        st.plotly_chart(figures.whatif_scatter(view, colors, labels, lang,
                                               state.bi("正式得分与模拟得分", "Official against simulated composite")),
                        width="stretch", config=state.CHART)
        if len(view) > figures.MANY_POINTS:
            st.caption(state.bi("单位较多：图中方块按模拟等次着色，颜色越深，落在其中的单位越多；每个单位的得分见上表。",
                                "Many units: the squares are coloured by simulated grade, darker where more units fall; "
                                "every unit's scores are in the table above."))


simulator()

st.divider()
st.subheader(state.bi("模拟方案", "Scenarios"))
s1, s2 = st.columns(2, gap="large")
with s1:
    name = st.text_input(state.bi("方案名称", "Scenario name"), key="scenario_name", placeholder=state.bi("如：公众评议占50%", "e.g. public 50%"))
    if st.button(state.bi("保存当前方案", "Save this scenario"), key="save_scenario", icon=":material/save:"):
        try:
            scenarios.save(data.cursor(), org, year, name, st.session_state[spec_key], who=data.account())
            st.success(state.bi(f"已保存「{state.md(name)}」", f"Saved '{state.md(name)}'"))
        except PerfcoreError as exc:
            st.error(state.md(str(exc)))
with s2:
    saved = data.scenario_names(org, year)
    if not saved:
        st.caption(state.bi("还没有保存的方案。", "No saved scenarios yet."))
    else:
        pick = st.selectbox(state.bi("已保存的方案", "Saved scenarios"), saved, key="scenario_pick")
        b1, b2 = st.columns(2)
        b1.button(state.bi("载入", "Load"), key="load_scenario", icon=":material/upload:", on_click=load_saved, args=(pick,))
        if b2.button(state.bi("删除", "Delete"), key="delete_scenario", icon=":material/delete:"):
            scenarios.delete(data.cursor(), org, year, pick, who=data.account())
            st.rerun()
if len(saved := data.scenario_names(org, year)) >= 1:
    st.markdown("**" + state.bi("方案对比（综合得分与名次）", "Compare scenarios (composite and rank)") + "**")
    compare = sim.official.results[["unit", "series", "composite", "rank"]].rename(
        columns={"composite": state.tr("official"), "rank": state.tr("official") + "·" + state.tr("rank")})
    for s in saved:
        spec_s = scenarios.load(data.cursor(), org, year, s)
        r = sim.run(**spec_s).set_index("unit")
        compare[s] = compare["unit"].map(r["composite"])
        compare[s + "·" + state.tr("rank")] = compare["unit"].map(r["rank"])
    if series:
        compare = compare[compare["series"] == series]
    state.dataframe(compare, hide_index=True, width="stretch", height=360,
                 column_config={c: st.column_config.NumberColumn(c, format="%.2f") for c in compare.columns
                                if compare[c].dtype.kind == "f"})
