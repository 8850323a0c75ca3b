"""反馈与申诉 — the office opens a year for feedback, decides appeals, sees who has filed progress and self-assessments."""
import datetime as dt

import streamlit as st

from perfcore.errors import PerfcoreError
from perfcore.ingest import ledger
from perfcore.vocab import APPEAL_DECISIONS, MITIGATION_EN, MITIGATION_WORDS, PERIOD_EN, PERIODS
from perfcore.workflow import appeals, feedback
from ui import data, state

org, year, series = state.selected("appeals")
lang = state.lang()
who = data.account()
con = data.cursor()
scored = data.year_score(org, year)

st.title(state.bi(f"{year}年度反馈与申诉", f"{year} feedback and appeals"))
state.show_flash()


written, show_error = state.written, state.show_error


def window_tab() -> None:
    window = data.feedback_window(org, year)
    published = data.publication(org, year) is not None
    if window is not None:
        closes = window["closes_on"]
        st.success(state.bi(f"反馈期开放中，{closes:%Y-%m-%d} 截止；各单位可查看本单位的初步结果并对记录提出申诉。发布结果即结束反馈。",
                            f"Feedback is open until {closes:%Y-%m-%d}: each unit sees its own preliminary result and may "
                            "appeal its records. Publishing closes it."), icon=":material/forum:")
        with st.form("close_window"):
            why = st.text_input(state.bi("提前结束的理由", "Why close it early"))
            go = st.form_submit_button(state.bi("结束反馈", "Close feedback"))
        if go:
            try:
                feedback.close_window(con, org, year, who, why or None)
            except PerfcoreError as exc:
                show_error(exc)
            else:
                written(state.bi("已结束反馈。", "Feedback closed."))
    elif published:
        st.info(state.bi("本年度已发布，反馈已结束。", "This year is published; feedback is over."))
    else:
        st.caption(state.bi("开放反馈后，各单位可在截止日前查看本单位的初步结果并提出申诉。",
                            "Once open, each unit sees its own preliminary result until the closing day and may appeal."))
        with st.form("open_window"):
            closes = st.date_input(state.bi("截止日期", "Closing day"), value=dt.date.today() + dt.timedelta(days=7),
                                   min_value=dt.date.today())
            note = st.text_input(state.bi("说明", "Note"))
            go = st.form_submit_button(state.bi("开放反馈", "Open for feedback"), type="primary",
                                       disabled=state.in_progress(scored))
        if state.in_progress(scored):
            st.caption(state.bi("本年度仍有尚未评分的内容，暂不能开放反馈。", "Parts of this year are not scored yet; feedback cannot open."))
        if go:
            try:
                feedback.open_window(con, org, year, closes, who, note or None)
            except PerfcoreError as exc:
                show_error(exc)
            else:
                written(state.bi(f"已开放反馈，{closes:%Y-%m-%d} 截止。", f"Feedback open until {closes:%Y-%m-%d}."))
    history = data.feedback_history(org, year)
    if not history.empty:
        state.dataframe(history, hide_index=True, width="stretch", column_config={
            "opened_at": st.column_config.DatetimeColumn(state.bi("开放时间", "Opened"), format="YYYY-MM-DD HH:mm"),
            "opened_by": state.bi("开放人", "By"), "closes_on": st.column_config.DateColumn(state.bi("截止日期", "Closing day")),
            "closed_at": st.column_config.DatetimeColumn(state.bi("结束时间", "Closed"), format="YYYY-MM-DD HH:mm"),
            "closed_by": state.bi("结束人", "By"), "note": state.bi("说明", "Note")})


def appeals_tab() -> None:
    listing = data.appeals(org, year)
    if listing.empty:
        st.info(state.bi("本年度没有申诉。", "No appeals this year."))
        return
    words = {k: v[0] if lang == "zh" else v[1] for k, v in APPEAL_DECISIONS.items()}
    pending = listing[listing["decision"].isna()]
    st.metric(state.bi("待处理申诉", "Appeals to decide"), len(pending))
    table = listing.assign(decision=listing["decision"].map(lambda d: words.get(d, state.bi("待处理", "pending"))))
    state.dataframe(table[["appeal_id", "unit", "event_id", "filed_at", "closes_on", "reason", "evidence", "decision", "decided_by"]],
                 hide_index=True, width="stretch", height=min(36 * len(table) + 40, 320), column_config={
                     "appeal_id": st.column_config.NumberColumn(state.bi("申诉号", "No."), format="%d"),
                     "unit": state.tr("unit"), "event_id": state.bi("记录", "Record"),
                     "filed_at": st.column_config.DatetimeColumn(state.bi("提出时间", "Filed"), format="YYYY-MM-DD HH:mm"),
                     "closes_on": st.column_config.DateColumn(state.bi("反馈截止", "Feedback closes")),
                     "reason": state.bi("理由", "Reason"), "evidence": state.bi("佐证文号", "Document"),
                     "decision": state.bi("决定", "Decision"), "decided_by": state.bi("决定人", "By")})
    if pending.empty:
        return
    labels = {int(r.appeal_id): f"{int(r.appeal_id)} · {r.unit} · {r.event_id}" for r in pending.itertuples()}
    chosen = st.selectbox(state.bi("处理申诉", "Decide an appeal"), list(labels), format_func=labels.get, key="appeal_pick")
    appeal = pending[pending["appeal_id"] == chosen].iloc[0]
    record = ledger.event(con, org, year, appeal["event_id"])
    lines = data.explain(org, year, appeal["unit"], record["target"])
    line = lines[lines["event_id"] == appeal["event_id"]]
    counted = float(line["contribution"].iloc[0]) if not line.empty else 0.0
    st.markdown(state.bi(f"记录 **{state.md(record['event_id'])}**：{state.md(record['target'])} · {state.md(record['rule'])} · "
                         f"{record['date']:%Y-%m-%d} · 次数 {record['count']:g} · 现计 {counted:+.2f} 分",
                         f"Record **{state.md(record['event_id'])}**: {state.md(record['target'])} · {state.md(record['rule'])} · "
                         f"{record['date']:%Y-%m-%d} · count {record['count']:g} · counts {counted:+.2f}"))
    st.markdown(state.bi("申诉理由：", "Reason: ") + state.md(appeal["reason"]))
    attached = data.appeal_attachment(chosen)
    if attached is not None:
        st.download_button(state.bi(f"下载佐证材料：{attached[0]}", f"Download the supporting file: {attached[0]}"), attached[1],
                           file_name=attached[0], key=f"attachment_{chosen}", icon=":material/attach_file:")
    decision = st.segmented_control(state.bi("决定", "Decision"), list(APPEAL_DECISIONS), key="appeal_decision",
                                    default="upheld", required=True, format_func=words.get)
    with st.form("decide"):
        changes = {}
        if decision == "adjusted":
            c1, c2, c3 = st.columns(3)
            changes["count"] = c1.number_input(state.bi("次数", "Count"), min_value=0.0, value=float(record["count"]), step=1.0)
            codes = [None] + sorted(scored.scheme.mitigation_codes)
            changes["mitigation_code"] = c2.selectbox(state.bi("减免依据", "Mitigation code"), codes,
                                                      format_func=lambda c: "—" if c is None else f"{c} {scored.scheme.mitigation_codes[c]}")
            mode = c3.selectbox(state.bi("减免方式", "Mitigation mode"), ["", "exempt", "reduce"],
                                format_func=lambda m: (MITIGATION_WORDS if lang == "zh" else MITIGATION_EN).get(m, "—"))
            changes["mitigation_mode"] = mode or None
            if record.get("base_amount") is not None:
                changes["base_amount"] = st.number_input(state.bi("标准分", "Amount"), value=float(record["base_amount"]))
        reason = st.text_area(state.bi("决定理由（必填）", "Reason for the decision (required)"), height=80)
        go = st.form_submit_button(state.bi("作出决定", "Decide"), type="primary")
    if go:
        try:
            appeals.decide(con, chosen, decision, reason, who, changes=changes if decision == "adjusted" else None)
        except PerfcoreError as exc:
            show_error(exc)
        else:
            written(state.bi(f"申诉 {chosen} 已{words[decision]}。", f"Appeal {chosen}: {words[decision].lower()}."))


def filing_tab() -> None:
    period = st.segmented_control(state.tr("period"), list(PERIODS), key="filing_period", default="前三季度", required=True,
                                  format_func=lambda p: p if lang == "zh" else PERIOD_EN[p])
    status = data.filing_status(org, year, period)
    late = int(status["late"].sum())
    k = st.columns(3)
    k[0].metric(state.bi("已报送", "Filed"), int(status["filed"].sum()))
    k[1].metric(state.bi("未报送", "Not filed"), int((~status["filed"]).sum()))
    k[2].metric(state.bi("已逾期", "Late"), late)
    state.dataframe(status, hide_index=True, width="stretch", column_config={
        "unit": state.tr("unit"), "filed": state.bi("已报送", "Filed"),
        "filed_on": st.column_config.DateColumn(state.bi("报送日期", "Filed on")),
        "lines": st.column_config.NumberColumn(state.bi("指标数", "Indicators"), format="%d"),
        "due": st.column_config.DateColumn(state.bi("截止日期", "Due")), "late": state.bi("逾期", "Late")})
    st.markdown("**" + state.bi("自评与采集单位评分对照", "Self-assessment beside the final score") + "**")
    pairs = data.self_assessments(org, year)
    if pairs.empty:
        st.caption(state.bi("本年度的考评方案没有自评指标。", "This year's scheme has no self-assessed indicators."))
    else:
        state.dataframe(pairs.assign(gap=pairs["final_score"] - pairs["self_score"]), hide_index=True, width="stretch",
                     column_config={"unit": state.tr("unit"), "indicator": state.tr("indicator"),
                                    "points": st.column_config.NumberColumn(state.tr("points"), format="%.2f"),
                                    "self_score": st.column_config.NumberColumn(state.bi("自评", "Self"), format="%.2f"),
                                    "self_note": state.bi("自评说明", "Notes"),
                                    "final_score": st.column_config.NumberColumn(state.bi("评分", "Final"), format="%.2f"),
                                    "scorer": state.bi("评分单位", "Scored by"),
                                    "gap": st.column_config.NumberColumn(state.bi("差异", "Difference"), format="%+.2f")})


tab_window, tab_appeals, tab_filing = st.tabs([state.bi("反馈期", "Feedback window"), state.bi("申诉处理", "Appeals"),
                                               state.bi("报送与自评", "Reports and self-assessment")])
with tab_window:
    window_tab()
with tab_appeals:
    appeals_tab()
with tab_filing:
    filing_tab()
