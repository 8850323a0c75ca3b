"""填报与申诉 — a unit's own desk: its records and appeals, its self-assessment, its progress reports."""
import datetime as dt

import streamlit as st

from perfcore.errors import PerfcoreError
from perfcore.vocab import APPEAL_DECISIONS, MAX_ATTACHMENT_BYTES, PERIOD_EN, PERIODS
from perfcore.workflow import appeals, assessment, reports
from ui import data, state

org, year, series = state.selected("desk")
lang = state.lang()
who = data.account()
con = data.cursor()
scored = data.year_score(org, year)
unit = who.unit if who.role == "unit" else None

st.title(state.bi(f"{state.md(unit or '')} · {year}年度填报与申诉", f"{state.md(unit or '')} · {year} reports and appeals"))
state.show_flash()
if unit is None or unit not in set(scored.units["unit"]):
    st.info(state.bi("本账号在本年度没有被考评单位。", "This account has no unit evaluated this year."))
    st.stop()


written, show_error = state.written, state.show_error


def appeals_tab() -> None:
    window = data.feedback_window(org, year)
    if window is None and data.publication(org, year) is not None:
        st.info(state.bi("本年度结果已发布，反馈和申诉已结束。", "This year's results are published; feedback and appeals are over."),
                icon=":material/verified:")
    elif window is None:
        st.info(state.bi("效能办尚未开放本年度的反馈，现在不能申诉。", "The office has not opened this year for feedback; appeals "
                         "are closed."), icon=":material/lock_clock:")
    else:
        closes = window["closes_on"]
        st.success(state.bi("反馈期开放中" + (f"，{closes:%Y-%m-%d} 截止" if closes else "") + "：可对本单位的记录提出申诉。",
                            "Feedback is open" + (f" until {closes:%Y-%m-%d}" if closes else "") + ": you may appeal your records."),
                   icon=":material/forum:")
    own = data.ledger(org, year, unit)
    shown = own[["event_id", "date", "target", "rule", "source_level", "count", "status", "evidence", "description"]]
    state.dataframe(shown, hide_index=True, width="stretch", height=min(36 * len(shown) + 40, 360), column_config={
        "event_id": state.bi("编号", "ID"), "date": st.column_config.DateColumn(state.bi("日期", "Date")),
        "target": state.tr("indicator"), "rule": state.bi("情形", "Rule"), "source_level": state.tr("source_level"),
        "count": st.column_config.NumberColumn(state.bi("次数", "Count"), format="%g"), "status": state.tr("status"),
        "evidence": state.bi("证据文号", "Evidence"), "description": state.bi("说明", "Description")})
    open_ids = set(data.appeals(org, year, open_only=True)["event_id"])
    can_appeal = own[own["status"].isin(scored.scheme.counted_statuses) & ~own["event_id"].isin(open_ids)
                     & (own["status"] != "申诉中")]
    if window is not None and not can_appeal.empty:
        with st.form("appeal", clear_on_submit=True):
            st.markdown("**" + state.bi("提出申诉", "Appeal a record") + "**")
            labels = dict(zip(can_appeal["event_id"], can_appeal["event_id"] + " · " + can_appeal["target"] + " · " + can_appeal["rule"]))
            event_id = st.selectbox(state.bi("记录", "Record"), list(labels), format_func=labels.get)
            reason = st.text_area(state.bi("申诉理由（必填）", "Why (required)"), height=80)
            evidence = st.text_input(state.bi("佐证文号", "Supporting document number"))
            attached = st.file_uploader(state.bi(f"佐证材料（可选，不超过 {MAX_ATTACHMENT_BYTES // 1048576} MB）",
                                                 f"Supporting file (optional, up to {MAX_ATTACHMENT_BYTES // 1048576} MB)"))
            go = st.form_submit_button(state.bi("提交申诉", "File the appeal"), type="primary")
        if go:
            try:
                appeals.file(con, org, year, event_id, reason, who, evidence=evidence,
                             attachment=(attached.name, attached.getvalue()) if attached is not None else None)
            except PerfcoreError as exc:
                show_error(exc)
            else:
                written(state.bi(f"已对 {state.md(event_id)} 提出申诉，等待效能办处理。", f"Appealed {state.md(event_id)}; "
                                 "the office will decide."))
    mine = data.appeals(org, year)
    st.markdown("**" + state.bi("本单位的申诉", "Our appeals") + "**")
    if mine.empty:
        st.caption(state.bi("尚未提出申诉。", "No appeals yet."))
        return
    words = {k: v[0] if lang == "zh" else v[1] for k, v in APPEAL_DECISIONS.items()}
    table = mine.assign(decision=mine["decision"].map(lambda d: words.get(d, state.bi("待处理", "pending"))))
    state.dataframe(table[["event_id", "filed_at", "reason", "evidence", "attachment_name", "decision", "decision_reason", "decided_at"]],
                 hide_index=True, width="stretch", column_config={
                     "event_id": state.bi("记录", "Record"), "filed_at": st.column_config.DatetimeColumn(state.bi("提出时间", "Filed"),
                                                                                                       format="YYYY-MM-DD HH:mm"),
                     "reason": state.bi("理由", "Reason"), "evidence": state.bi("佐证文号", "Document"),
                     "attachment_name": state.bi("附件", "File"), "decision": state.bi("决定", "Decision"),
                     "decision_reason": state.bi("决定理由", "Why"),
                     "decided_at": st.column_config.DatetimeColumn(state.bi("决定时间", "Decided"), format="YYYY-MM-DD HH:mm")})


def self_tab() -> None:
    names = list(scored.scheme.self_assessed)
    if not names:
        st.info(state.bi("本年度的考评方案没有自评指标。", "This year's scheme has no self-assessed indicators."))
        return
    st.caption(state.bi("S3：被考评单位先行开展自评，再由数据采集责任单位评分；计入成绩的是后者。",
                        "The unit assesses itself first; the data-collection unit then scores, and that score counts."))
    sheet = data.self_assessments(org, year)
    for indicator in names:
        row = sheet[sheet["indicator"] == indicator]
        row = row.iloc[0] if not row.empty else None
        points = float(row["points"]) if row is not None else 0.0
        with st.form(f"self_{indicator}"):
            st.markdown(f"**{state.md(indicator)}** · " + state.bi(f"满分 {points:g}", f"full marks {points:g}"))
            c1, c2 = st.columns([1, 3])
            score = c1.number_input(state.bi("自评得分", "Own score"), min_value=0.0, max_value=points,
                                    value=float(row["self_score"]) if row is not None and row["self_score"] == row["self_score"] else points)
            note = c2.text_area(state.bi("自评说明", "Notes"), value=row["self_note"] if row is not None and isinstance(row["self_note"], str) else "",
                                height=70)
            final = row["final_score"] if row is not None else None
            st.caption(state.bi("采集单位评分：", "Collector's score: ") + (f"{final:.2f}" if final == final and final is not None
                                                                             else state.bi("尚未评分", "not yet")))
            go = st.form_submit_button(state.bi("保存自评", "Save"))
        if go:
            try:
                assessment.save_self(con, org, year, unit, indicator, score, note, who)
            except PerfcoreError as exc:
                show_error(exc)
            else:
                written(state.bi(f"已保存「{state.md(indicator)}」的自评。", f"Saved the self-assessment of {state.md(indicator)}."))


def progress_tab() -> None:
    period = st.segmented_control(state.tr("period"), list(PERIODS), key="desk_period", default="前三季度", required=True,
                                  format_func=lambda p: p if lang == "zh" else PERIOD_EN[p])
    due = reports.due(year, period)
    st.caption(state.bi(f"{period}工作进度表 {due:%Y-%m-%d} 前报送。", f"The {PERIOD_EN[period]} report is due {due:%Y-%m-%d}."))
    filed = data.progress(org, year)
    filed = filed[(filed["unit"] == unit) & (filed["period"] == period)].set_index("indicator")
    indicators = scored.indicators["indicator"].tolist()
    import pandas as pd
    sheet = pd.DataFrame({"indicator": indicators})
    sheet["percent"] = pd.to_numeric(sheet["indicator"].map(filed["percent"]) if "percent" in filed else None,
                                     errors="coerce").astype(float)
    for column in ("progress", "problems", "next_steps"):     # text, even where nothing is filed yet
        sheet[column] = (sheet["indicator"].map(filed[column]) if column in filed else pd.Series(None, index=sheet.index)
                         ).astype("string")
    edited = st.data_editor(sheet, hide_index=True, width="stretch", key=f"progress_{year}_{period}", disabled=["indicator"],
                            column_config={
                                "indicator": state.bi("指标名称", "Indicator"),
                                "percent": st.column_config.NumberColumn(state.bi("完成进度（%）", "Done (%)"), min_value=0.0,
                                                                         max_value=100.0, format="%.1f"),
                                "progress": st.column_config.TextColumn(state.bi("指标工作进展情况", "Progress"), width="large"),
                                "problems": state.bi("存在的问题", "Problems"),
                                "next_steps": state.bi("下一步整改措施及完成时限", "Next steps and deadline")})
    rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in edited.to_dict("records")]
    lines = [r for r in rows if any(r.get(k) not in (None, "") for k in ("percent", "progress", "problems", "next_steps"))]
    reporter = st.text_input(state.bi("填报人", "Reporter"), value=who.name, key="desk_reporter")
    if st.button(state.bi(f"报送（{len(lines)} 项指标）", f"File the report ({len(lines)} indicators)"), type="primary",
                 disabled=not lines, key="file_report"):
        try:
            n = reports.file_report(con, org, year, unit, period, lines, who, reporter=reporter, report_date=dt.date.today())
        except PerfcoreError as exc:
            show_error(exc)
        else:
            written(state.bi(f"已报送{period}工作进度（{n} 处新增或修改）。", f"Filed the {PERIOD_EN[period]} report ({n} lines added or changed)."))


tab_appeals, tab_self, tab_progress = st.tabs([state.bi("记录与申诉", "Records and appeals"), state.bi("自评", "Self-assessment"),
                                               state.bi("工作进度", "Progress report")])
with tab_appeals:
    appeals_tab()
with tab_self:
    self_tab()
with tab_progress:
    progress_tab()
