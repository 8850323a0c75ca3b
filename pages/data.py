"""数据管理 — import the offices' workbooks, record and correct events, publish and export, the audit log."""
import tempfile
from pathlib import Path

import streamlit as st

from perfcore.present import export

from perfcore.ingest import importer

from perfcore.ingest import ledger
from perfcore.store import audit

from perfcore.workflow import publish

from perfcore.present import views
from perfcore.present.i18n import TEXT
from perfcore.ingest.checks import SOURCE_LEVELS, STATUSES
from perfcore.errors import InputError, PerfcoreError, problems_frame
from perfcore.names import sort_names
from perfcore.ingest.tables import TABLES
from ui import state

org, year, series = state.selected()
lang = state.lang()
con = state.cursor()
scored = state.year_score(org, year)

st.title(state.bi("数据管理", "Data management"))
who = st.text_input(state.bi("操作人姓名（记入操作日志）", "Your name (recorded in the audit log)"), key="who",
                    placeholder=state.bi("例如：王某", "e.g. Wang"))
if not who:
    st.info(state.bi("填写姓名后才能导入、录入、修改、撤销或发布。", "Give your name to import, record, correct, revoke or publish."))


def show_problems(exc_or_plan) -> None:
    problems = exc_or_plan.problems
    st.error(state.bi(f"发现 {len(problems)} 个问题，未写入任何数据。", f"{len(problems)} problem(s); nothing was written."))
    st.dataframe(problems_frame(problems, lang), hide_index=True, width="stretch", column_config={
        "sheet": state.bi("工作表", "Sheet"), "row": st.column_config.NumberColumn(state.bi("行", "Row"), format="%d"),
        "column": state.bi("列", "Column"), "value": state.bi("内容", "Value"), "problem": state.bi("问题", "Problem")})


tab_import, tab_record, tab_publish, tab_log = st.tabs([
    state.bi("导入表格", "Import"), state.bi("录入与更正", "Record and correct"),
    state.bi("发布与导出", "Publish and export"), state.bi("操作日志", "Audit log")])

with tab_import:
    st.caption(state.bi(f"导入到：{org} · {year} 年度（在左侧切换）。支持 xlsx 与 CSV，中英文表头均可。整个文件通过校验后才会写入。",
                        f"Imports into {org} · {year} (change on the left). xlsx or CSV, Chinese or English headers. "
                        "Nothing is written unless the whole file passes."))
    c1, c2, c3 = st.columns([2, 1, 1])
    upload = c1.file_uploader(state.bi("选择文件", "Choose a file"), type=["xlsx", "csv"], key="upload")
    kinds = [""] + importer.KINDS
    kind = c2.selectbox(state.bi("表格类型", "Table"), kinds, key="import_kind",
                        format_func=lambda k: state.bi("自动识别", "Detect") if not k else state.bi(TABLES[k]["zh"], TABLES[k]["en"]))
    period = c3.selectbox(state.bi("报告期（进度表）", "Period (progress)"), ["", "一季度", "上半年", "前三季度", "全年"], key="import_period",
                          format_func=lambda p: p or state.bi("按填报时间", "From the filing date"))
    if upload is not None:
        folder = Path(tempfile.mkdtemp())
        path = folder / upload.name
        path.write_bytes(upload.getvalue())
        checking = st.progress(0.0, text=state.bi("正在读取和校验…", "Reading and checking…"))
        try:
            plan = importer.plan_import(con, path, org, year, kind or None, period or None, label=upload.name,
                                        progress=lambda x: checking.progress(x, text=state.bi("正在读取和校验…", "Reading and checking…")))
        except (InputError, PerfcoreError) as exc:
            if isinstance(exc, InputError):
                show_problems(exc)
            else:
                st.error(str(exc))
            plan = None
        checking.empty()
        if plan is not None and not plan.ok:
            show_problems(plan)
            cells, bad = importer.file_cells(path, plan)
            if not cells.empty:
                st.markdown("**" + state.bi("文件内容（有问题的单元格标红）", "The file (cells with problems in red)") + "**")
                rows_bad = {r for r, _ in bad}

                def mark(row):
                    return ["background-color: #F9D3C4; color: #7A2A00; font-weight: 600"
                            if (row.name, col) in bad or (row.name, None) in bad else "" for col in row.index]
                shown = cells.loc[sorted(rows_bad | set(cells.index[:12]))] if len(cells) > 200 else cells
                st.dataframe(shown.style.apply(mark, axis=1), width="stretch", height=380)
        elif plan is not None:
            for note in plan.notes:
                st.caption(note)
            (st.success if not plan.has_changes else st.info)(plan.summary())
            if plan.has_changes:
                diff = plan.diff_frame()
                diff["change"] = diff["change"].map({"added": state.bi("新增", "added"), "changed": state.bi("修改", "changed"),
                                                     "removed": state.bi("撤销/删除", "revoked/removed")})
                st.dataframe(diff, hide_index=True, width="stretch", height=min(36 * len(diff) + 40, 400), column_config={
                    "change": state.bi("变化", "Change"), "key": state.bi("标识", "Key"),
                    "detail": st.column_config.TextColumn(state.bi("修改内容", "What changes"), width="large")})
                if st.button(state.bi("确认导入", "Confirm the import"), type="primary", disabled=not who, key="confirm_import"):
                    bar = st.progress(0.0, text=state.bi("正在导入…", "Importing…"))
                    n = importer.apply_import(con, plan, who=who, via="page",
                                              progress=lambda x: bar.progress(min(1.0, x), text=state.bi("正在导入…", "Importing…")))
                    bar.empty()
                    state.data_changed()
                    st.success(state.bi(f"已导入，{n} 处更改已记入操作日志。", f"Imported; {n} changes recorded in the audit log."))
    with st.expander(state.bi("下载空白模板", "Blank templates")):
        cols = st.columns(4)
        for i, k in enumerate(TABLES):
            cols[i % 4].download_button(state.bi(TABLES[k]["zh"], TABLES[k]["en"]), export.template_xlsx(k),
                                        file_name=f"{TABLES[k]['file']}.xlsx", key=f"tpl_{k}", icon=":material/download:")

with tab_record:
    units = sort_names(scored.units["unit"])
    targets = scored.indicators["indicator"].tolist() + [p.name for p in scored.scheme.pools]
    rules = scored.scheme.rules
    st.markdown("**" + state.bi("新增一条记录", "Add a record") + "**")
    target = st.selectbox(state.tr("indicator") + state.bi("（先选指标，情形随之列出）", " (choose it first; its rules follow)"),
                          targets, key="new_target")
    fitting = [r.name for r in rules if not r.targets or target in r.targets]
    with st.form("add_event", clear_on_submit=False):
        b1, b2, b3 = st.columns(3)
        unit = b1.selectbox(state.tr("unit"), units, key="new_unit")
        rule = b2.selectbox(state.bi("情形", "Rule"), fitting, key="new_rule")
        date = b3.date_input(state.bi("日期", "Date"), key="new_date")
        b4, b5, b6 = st.columns(3)
        level = b4.selectbox(state.tr("source_level"), SOURCE_LEVELS, index=SOURCE_LEVELS.index("区"), key="new_level")
        count = b5.number_input(state.bi("次数", "Count"), min_value=0.0, value=1.0, step=1.0, key="new_count")
        amount = b6.text_input(state.bi("标准分（区间情形必填）", "Amount (ranged rules)"), key="new_amount")
        b7, b8, b9 = st.columns(3)
        accountable = b7.number_input(state.bi("问责人次", "Persons held accountable"), min_value=0, value=0, key="new_acc")
        problem = b8.text_input(state.bi("问题标识", "Problem key"), key="new_problem")
        matter = b9.text_input(state.bi("事项标识", "Matter key"), key="new_matter")
        evidence = st.text_input(state.bi("证据文号", "Evidence"), key="new_evidence")
        description = st.text_area(state.bi("说明", "Description"), key="new_description", height=70)
        submitted = st.form_submit_button(state.bi("保存记录", "Save the record"), disabled=not who, type="primary")
    if submitted:
        try:
            e = ledger.add_event(con, org, year, {"date": date.isoformat(), "unit": unit, "target": target, "rule": rule,
                                                 "source_level": level, "count": f"{count:g}", "base_amount": amount,
                                                 "accountable": str(accountable), "problem_key": problem, "matter_key": matter,
                                                 "evidence": evidence, "description": description}, who=who, via="page")
            state.data_changed()
            st.success(state.bi(f"已保存记录 {e['event_id']}。", f"Saved record {e['event_id']}."))
        except InputError as exc:
            show_problems(exc)
        except PerfcoreError as exc:
            st.error(str(exc))

    st.divider()
    st.markdown("**" + state.bi("修改或撤销一条记录", "Correct or revoke a record") + "**")
    ledger_rows = state.ledger(org, year)
    labels = dict(zip(ledger_rows["event_id"], ledger_rows["event_id"] + " · " + ledger_rows["unit"] + " · " +
                      ledger_rows["rule"] + " · " + ledger_rows["status"]))
    chosen = st.selectbox(state.bi("记录", "Record"), list(labels), format_func=labels.get, key="edit_id")
    if chosen:
        current = ledger.event(con, org, year, chosen)
        with st.form("edit_event"):
            e1, e2, e3 = st.columns(3)
            new_level = e1.selectbox(state.tr("source_level"), SOURCE_LEVELS, index=SOURCE_LEVELS.index(current["source_level"]))
            new_count = e2.number_input(state.bi("次数", "Count"), min_value=0.0, value=float(current["count"]), step=1.0)
            new_status = e3.selectbox(state.tr("status"), [s for s in STATUSES if s != "已撤销"],
                                      index=[s for s in STATUSES if s != "已撤销"].index(current["status"])
                                      if current["status"] != "已撤销" else 0)
            m1, m2, m3 = st.columns(3)
            codes = [None] + sorted(scored.scheme.mitigation_codes)
            code = m1.selectbox(state.bi("减免依据", "Mitigation code"), codes,
                                index=codes.index(current["mitigation_code"]) if current["mitigation_code"] in codes else 0,
                                format_func=lambda c: "—" if c is None else f"{c} {scored.scheme.mitigation_codes[c]}")
            modes = ["", "免予", "减轻"]
            mode_now = {"exempt": "免予", "reduce": "减轻"}.get(current["mitigation_mode"] or "", "")
            mode = m2.selectbox(state.bi("减免方式", "Mitigation mode"), modes, index=modes.index(mode_now))
            mreason = m3.text_input(state.bi("减免理由", "Mitigation reason"), value=current["mitigation_reason"] or "")
            new_desc = st.text_area(state.bi("说明", "Description"), value=current["description"] or "", height=70)
            why = st.text_input(state.bi("修改理由（必填）", "Reason for the change (required)"))
            f1, f2 = st.columns(2)
            save = f1.form_submit_button(state.bi("保存修改", "Save the correction"), disabled=not who or current["status"] == "已撤销")
            revoke = f2.form_submit_button(state.bi("撤销该记录", "Revoke the record"), disabled=not who or current["status"] == "已撤销")
        try:
            if save:
                ledger.edit_event(con, org, year, chosen, {"source_level": new_level, "count": new_count, "status": new_status,
                                                          "mitigation_code": code, "mitigation_mode": mode or None,
                                                          "mitigation_reason": mreason or None, "description": new_desc},
                                  who=who, why=why, via="page")
                state.data_changed()
                st.success(state.bi("已保存修改，原版本已保留。", "Saved; the earlier version is kept."))
            if revoke:
                ledger.revoke_event(con, org, year, chosen, who=who, why=why, via="page")
                state.data_changed()
                st.success(state.bi("已撤销该记录，原版本已保留。", "Revoked; the earlier version is kept."))
        except InputError as exc:
            show_problems(exc)
        except PerfcoreError as exc:
            st.error(str(exc))
        history = ledger.versions(con, org, year, chosen)
        if len(history) > 1:
            st.markdown("*" + state.bi("历次版本", "Versions") + "*")
            st.dataframe(history[["version", "superseded_at", "status", "source_level", "count", "mitigation_code",
                                  "description", "updated_by"]], hide_index=True, width="stretch")

with tab_publish:
    pub = publish.latest(con, org, year)
    if pub is None:
        st.info(state.bi(f"{year} 年度结果尚未发布。", f"The {year} results have not been published."))
    else:
        st.success(state.bi(f"已于 {pub['published_at']:%Y-%m-%d %H:%M} 由 {pub['published_by']} 发布。",
                            f"Published {pub['published_at']:%Y-%m-%d %H:%M} by {pub['published_by']}."))
    note = st.text_input(state.bi("发布说明", "Note"), key="publish_note")
    if st.button(state.bi("发布本年度结果", "Publish this year's results"), disabled=not who or state.in_progress(scored),
                 key="publish", icon=":material/verified:"):
        try:
            publish.publish(con, org, year, who, note or None, via="page")
            state.data_changed()
            st.rerun()
        except PerfcoreError as exc:
            st.error(str(exc))
    if state.in_progress(scored):
        st.caption(state.bi("本年度仍在进行，暂不能发布。", "This year is still in progress and cannot be published yet."))
    st.divider()
    stamp = publish.stamp(pub, lang)
    d1, d2, d3 = st.columns(3)
    d1.download_button(state.bi("排名通报（Excel）", "Ranking notice (Excel)"), export.notice_xlsx(scored, lang, stamp),
                       file_name=f"{org}{year}年度排名通报.xlsx", key="dl_notice_xlsx", icon=":material/table_view:")
    try:
        d2.download_button(state.bi("排名通报（PDF）", "Ranking notice (PDF)"), export.notice_pdf(scored, lang, stamp),
                           file_name=f"{org}{year}年度排名通报.pdf", key="dl_notice_pdf", icon=":material/picture_as_pdf:")
    except PerfcoreError as exc:
        d2.warning(str(exc))
    unit_choice = d3.selectbox(state.bi("单位扣分台账", "A unit's ledger"), sort_names(scored.units["unit"]), key="ledger_unit")
    d3.download_button(state.bi("下载该单位台账（Excel）", "Download its ledger (Excel)"),
                       export.ledger_xlsx(con, org, year, unit_choice, lang), file_name=f"{org}{year}-{unit_choice}扣分台账.xlsx",
                       key="dl_ledger", icon=":material/download:")

with tab_log:
    log = audit.audit_log(con, org=org)
    if log.empty:
        st.info(state.bi("还没有任何更改记录。", "No changes recorded yet."))
    else:
        l1, l2, l3 = st.columns(3)
        who_filter = l1.selectbox(state.bi("操作人", "Who"), [""] + sorted(log["who"].dropna().unique()), key="log_who",
                                  format_func=lambda x: x or state.bi("全部", "All"))
        action_filter = l2.selectbox(state.bi("操作", "Action"), [""] + sorted(log["action"].unique()), key="log_action",
                                     format_func=lambda x: (state.tr(x) if x in TEXT else x) if x else state.bi("全部", "All"))
        id_filter = l3.text_input(state.bi("记录编号", "Record id"), key="log_id")
        if who_filter:
            log = log[log["who"] == who_filter]
        if action_filter:
            log = log[log["action"] == action_filter]
        if id_filter:
            log = log[log["entity_id"].astype(str).str.contains(id_filter.strip(), regex=False)]
        log = log.assign(action=log["action"].map(lambda a: state.tr(a) if a in TEXT else a),
                         changes=[views.audit_changes(b, a) for b, a in zip(log["before_json"], log["after_json"])])
        st.dataframe(log[["changed_at", "who", "action", "year", "entity", "entity_id", "changes", "why", "via", "before_json",
                          "after_json"]],
                     hide_index=True, width="stretch", height=480, column_config={
                         "changed_at": st.column_config.DatetimeColumn(state.bi("时间", "When"), format="YYYY-MM-DD HH:mm:ss"),
                         "who": state.bi("操作人", "Who"), "action": state.bi("操作", "Action"), "year": state.tr("year"),
                         "entity": state.bi("对象", "What"), "entity_id": state.bi("标识", "Id"), "why": state.bi("理由", "Why"),
                         "changes": st.column_config.TextColumn(state.bi("修改内容", "What changed"), width="large"),
                         "via": state.bi("途径", "Via"), "before_json": state.bi("修改前（完整）", "Before (full)"),
                         "after_json": state.bi("修改后（完整）", "After (full)")})
        st.download_button(state.bi("下载操作日志（CSV）", "Download the audit log (CSV)"), export.table_csv(log),
                           file_name=f"{org}-操作日志.csv", key="dl_log")
