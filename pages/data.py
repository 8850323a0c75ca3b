"""数据管理 — import the offices' workbooks, record and correct events, publish and export, the audit log."""
import datetime as dt
import hashlib
import tempfile
from pathlib import Path

import streamlit as st

from perfcore.errors import InputError, PerfcoreError
from perfcore.ingest import importer, ledger
from perfcore.ingest.tables import TABLES
from perfcore.names import sort_names
from perfcore.present import export, templates, views
from perfcore.present.i18n import TEXT
from perfcore.store import audit, codes
from perfcore.vocab import (MAX_FILE_BYTES, MITIGATION_EN, MITIGATION_MODES, MITIGATION_WORDS, PERIOD_EN, PERIODS, REVOKED,
                            SOURCE_LEVELS, STATUSES)
from perfcore.workflow import assessment, publish
from ui import data, state

org, year, series = state.selected("data")
lang = state.lang()
con = data.cursor()
scored = data.year_score(org, year)

st.title(state.bi("数据管理", "Data management"))
who = data.account()          # every change is recorded under the signed-in account
office = who.role == "office"
if not office:
    st.caption(state.bi(f"本账号（数据采集单位「{state.md(who.collector)}」）只能录入和导入本单位负责的指标。",
                        f"This account (data-collection unit {state.md(who.collector)}) records and imports its own indicators only."))
state.show_flash()


written, show_problems, show_error = state.written, state.show_problems, state.show_error


CHANGE_WORDS = {"added": ("新增", "added"), "changed": ("修改", "changed"), "reinstated": ("恢复", "reinstated"),
                "removed": ("撤销", "revoked")}


def diff_table(diff, height: int = 400) -> None:
    diff = diff.assign(change=diff["change"].map(lambda c: state.bi(*CHANGE_WORDS[c])))
    state.dataframe(diff, hide_index=True, width="stretch", height=min(36 * len(diff) + 40, height), column_config={
        "change": state.bi("变化", "Change"), "key": state.bi("标识", "Key"),
        "detail": st.column_config.TextColumn(state.bi("修改内容", "What changes"), width="large")})


def import_tab() -> None:
    st.caption(state.bi(f"导入到：{state.md(org)} · {year} 年度（在左侧切换）。支持 xlsx 与 CSV，中英文表头均可。整个文件通过校验后才会写入。",
                        f"Imports into {state.md(org)} · {year} (change on the left). xlsx or CSV, Chinese or English headers. "
                        "Nothing is written unless the whole file passes."))
    c1, c2, c3 = st.columns([2, 1, 1])
    upload = c1.file_uploader(state.bi(f"选择文件（xlsx 或 csv，不超过 {MAX_FILE_BYTES // 1048576} MB）",
                                       f"Choose a file (xlsx or csv, up to {MAX_FILE_BYTES // 1048576} MB)"),
                              type=["xlsx", "csv"], key="upload")
    kinds = [""] + (importer.KINDS if office else ["events", "indicator_scores"])   # a collector: its records and scores
    kind = c2.selectbox(state.bi("表格类型", "Table"), kinds, key="import_kind",
                        format_func=lambda k: state.bi("自动识别", "Detect") if not k else state.bi(TABLES[k]["zh"], TABLES[k]["en"]))
    period = c3.selectbox(state.bi("报告期（进度表）", "Period (progress)"), [""] + list(PERIODS), key="import_period",
                          format_func=lambda p: (p if lang == "zh" else PERIOD_EN[p]) if p else
                          state.bi("按填报时间", "From the filing date"))
    complete = st.checkbox(state.bi("这是本年度的完整表格：文件中没有的记录将被撤销（会先列出，须另行确认）",
                                    "This file is the complete table for the year: records it leaves out are revoked "
                                    "(listed first, with their own confirmation)"), value=False, key="import_complete")
    if upload is not None:
        if upload.size > MAX_FILE_BYTES:
            st.error(state.bi(f"文件过大（上限 {MAX_FILE_BYTES // 1048576} MB），请分成几个文件。",
                              f"The file is too large (limit {MAX_FILE_BYTES // 1048576} MB); split it."))
            return
        content = upload.getvalue()
        plan_key = ("plan", org, year, hashlib.sha256(content).hexdigest(), kind, period, complete, data.version())
        if st.session_state.get("_plan_key") != plan_key:
            folder = Path(tempfile.mkdtemp())
            path = folder / Path(upload.name).name
            path.write_bytes(content)
            checking = st.progress(0.0, text=state.bi("正在读取和校验…", "Reading and checking…"))
            try:
                plan = importer.plan_import(con, path, org, year, kind or None, period or None, label=upload.name,
                                            complete=complete, progress=lambda x: checking.progress(
                                                x, text=state.bi("正在读取和校验…", "Reading and checking…")))
                st.session_state["_plan"] = (plan, str(path))
            except (InputError, PerfcoreError) as exc:
                st.session_state["_plan"] = (exc, str(path))
            st.session_state["_plan_key"] = plan_key
            checking.empty()
        plan, path = st.session_state["_plan"]
        if isinstance(plan, Exception):
            show_error(plan)
        elif not plan.ok:
            show_problems(plan.problems)
            cells, bad = importer.file_cells(path, plan)
            if not cells.empty:
                st.markdown("**" + state.bi("文件内容（有问题的单元格标红）", "The file (cells with problems in red)") + "**")
                rows_bad = {r for r, _ in bad}

                def mark(row):
                    return ["background-color: #F9D3C4; color: #7A2A00; font-weight: 600"
                            if (row.name, col) in bad or (row.name, None) in bad else "" for col in row.index]
                shown = cells.loc[sorted(rows_bad | set(cells.index[:12]))] if len(cells) > 200 else cells
                st.dataframe(shown.style.apply(mark, axis=1), width="stretch", height=380)
        else:
            confirm_plan(plan)
    with st.expander(state.bi("下载模板", "Templates")):
        template_downloads()


def template_downloads() -> None:
    """The tables to fill in: for the selected organisation and year (drop-down lists, checks), or blank."""
    scope = st.radio(state.bi("模板", "Template"), ["org", "blank"], horizontal=True, key="tpl_scope",
                     format_func=lambda s: state.bi(f"{state.md(org)} · {year} 年度（含下拉列表与检查）",
                                                    f"{state.md(org)} · {year} (with drop-down lists and checks)")
                     if s == "org" else state.bi("空白（任何组织）", "Blank (any organisation)"))
    if scope == "org":
        st.caption(state.bi(f"下拉列表取自 {year} 年度的单位名单、指标和考评方案；日期限在本年度内，数字有范围检查。"
                            "在 Excel、WPS 或 LibreOffice 中填写并保存后，直接在上方导入，无需改动表格。",
                            f"The lists come from {year}'s unit list, indicators and scheme; dates are limited to the year "
                            "and numbers to their bounds. Fill it in Excel, WPS or LibreOffice, save, and import it above as it is."))
    base = data.connection(data.database())   # built when clicked, on a cursor of its own
    cols = st.columns(4)
    for i, k in enumerate(TABLES):
        if scope == "org":
            build = (lambda k=k: templates.template_xlsx(k, base.cursor(), org, None if k == "units" else year))
            name = f"{TABLES[k]['file']}-{org}{'' if k == 'units' else year}.xlsx"
        else:
            build, name = (lambda k=k: templates.template_xlsx(k)), f"{TABLES[k]['file']}.xlsx"
        cols[i % 4].download_button(state.bi(TABLES[k]["zh"], TABLES[k]["en"]), build, file_name=name,
                                    key=f"tpl_{scope}_{k}", icon=":material/download:")


def confirm_plan(plan) -> None:
    for note in plan.notes:
        st.caption(state.md(note))
    (st.success if not plan.has_changes else st.info)(state.md(plan.summary(lang)))
    if not plan.has_changes:
        return
    diff = plan.diff_frame()
    listed = diff[diff["change"] != "removed"]
    if not listed.empty:
        diff_table(listed)
    revoke_ok = reinstate_ok = True
    if plan.removed:
        what = state.bi("撤销", "revoke") if plan.kind == "events" else state.bi("停用", "retire")
        st.error(state.bi(f"该文件作为完整表格导入，将{what}以下 {len(plan.removed)} 条文件中没有的记录。请逐条核对。",
                          f"As the complete table, this file will {what} these {len(plan.removed)} records it does not list. "
                          "Check them one by one."), icon=":material/warning:")
        diff_table(diff[diff["change"] == "removed"], height=300)
        revoke_ok = st.checkbox(state.bi(f"我已核对，确认{what}这 {len(plan.removed)} 条记录",
                                         f"I have checked them: {what} these {len(plan.removed)} records"), key="confirm_revoke")
    if plan.reinstated:
        st.warning(state.bi(f"文件中有 {len(plan.reinstated)} 条已撤销或已停用的记录（见上表“恢复”），导入将使它们重新计分。",
                            f"The file lists {len(plan.reinstated)} revoked or retired records (\"reinstated\" above); "
                            "importing makes them count again."), icon=":material/undo:")
        reinstate_ok = st.checkbox(state.bi(f"确认恢复这 {len(plan.reinstated)} 条记录", f"Bring these {len(plan.reinstated)} records back"),
                                   key="confirm_reinstate")
    if st.button(state.bi("确认导入", "Confirm the import"), type="primary", key="confirm_import",
                 disabled=not who or not revoke_ok or not reinstate_ok):
        bar = st.progress(0.0, text=state.bi("正在导入…", "Importing…"))
        try:
            n = importer.apply_import(con, plan, who=who, via="page", revoke_missing=bool(plan.removed) and revoke_ok,
                                      reinstate=bool(plan.reinstated) and reinstate_ok,
                                      progress=lambda x: bar.progress(min(1.0, x), text=state.bi("正在导入…", "Importing…")))
        except (InputError, PerfcoreError) as exc:
            bar.empty()
            show_error(exc)
            return
        bar.empty()
        written(state.bi(f"已导入，{n} 处更改已记入操作日志。", f"Imported; {n} changes recorded in the audit log."))


def year_dates() -> tuple[dt.date, dt.date, dt.date]:
    """The selected year's first and last day, and a default date inside it."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return first, last, min(max(dt.date.today(), first), last)


def record_tab() -> None:
    units = sort_names(scored.units["unit"])
    targets = scored.indicators["indicator"].tolist() + [p.name for p in scored.scheme.pools]
    if not office:
        targets = [t for t in targets if t in set(scored.grid.targets["target"])]
    if not targets:
        st.info(state.bi("本账号在本年度没有负责的指标。", "This account is responsible for no indicator this year."))
        return
    rules = scored.scheme.rules
    st.markdown("**" + state.bi("新增一条记录", "Add a record") + "**")
    target = st.selectbox(state.tr("indicator") + state.bi("（先选指标，情形随之列出）", " (choose it first; its rules follow)"),
                          targets, key="new_target")
    fitting = [r.name for r in rules if not r.targets or target in r.targets]
    first, last, default = year_dates()
    if st.session_state.pop("_clear_add_form", False):   # after a save: an empty form, so a second click saves nothing
        for key in ("new_amount", "new_problem", "new_matter", "new_evidence", "new_description", "new_carried", "new_identical"):
            st.session_state.pop(key, None)
    with st.form("add_event", clear_on_submit=False):
        b1, b2, b3 = st.columns(3)
        unit = b1.selectbox(state.tr("unit"), units, key="new_unit")
        rule = b2.selectbox(state.bi("情形", "Rule"), fitting, key="new_rule")
        date = b3.date_input(state.bi("日期", "Date"), value=default, min_value=dt.date(year - 1, 1, 1), max_value=last,
                             key=f"new_date_{year}")
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
        carried = st.checkbox(state.bi(f"结转：{year - 1} 年度的事项转入本年度计分（A9）",
                                       f"Carried over from {year - 1} into this year (A9)"), key="new_carried")
        identical = st.checkbox(state.bi("确属另一件事（与已有记录内容完全相同时才需勾选）",
                                         "Another matter (tick only when it is identical to a stored record)"), key="new_identical")
        submitted = st.form_submit_button(state.bi("保存记录", "Save the record"), disabled=not who, type="primary")
    if submitted:
        try:
            e = ledger.add_event(con, org, year, {"date": date.isoformat(), "unit": unit, "target": target, "rule": rule,
                                                 "source_level": level, "count": f"{count:g}", "base_amount": amount,
                                                 "accountable": str(accountable), "problem_key": problem, "matter_key": matter,
                                                 "evidence": evidence, "description": description,
                                                 "carried_over": "是" if carried else ""}, who=who, via="page",
                                  allow_identical=identical)
        except (InputError, PerfcoreError) as exc:
            show_error(exc)
        else:
            st.session_state["_clear_add_form"] = True
            written(state.bi(f"已保存记录 {state.md(e['event_id'])}。", f"Saved record {state.md(e['event_id'])}."))

    st.divider()
    st.markdown("**" + state.bi("修改、撤销或恢复一条记录", "Correct, revoke or reinstate a record") + "**")
    r1, r2 = st.columns([1, 2])
    edit_unit = r1.selectbox(state.tr("unit"), units, key="edit_unit")
    ledger_rows = data.unit_ledger(org, year, edit_unit)
    if ledger_rows.empty:
        r2.caption(state.bi("该单位本年度还没有记录。", "This unit has no records this year yet."))
        return
    labels = dict(zip(ledger_rows["event_id"], ledger_rows["event_id"] + " · " + ledger_rows["date"].dt.strftime("%Y-%m-%d")
                      + " · " + ledger_rows["rule"] + " · " + ledger_rows["status"]))
    chosen = r2.selectbox(state.bi("记录", "Record"), list(labels), format_func=labels.get, key="edit_id")
    current = ledger.event(con, org, year, chosen)
    if current is None:
        return
    if current["status"] == REVOKED:
        reinstate_form(current)
    else:
        edit_form(current)
    history = ledger.versions(con, org, year, chosen)
    if len(history) > 1:
        st.markdown("*" + state.bi("历次版本", "Versions") + "*")
        state.dataframe(history[["version", "superseded_at", "status", "source_level", "count", "mitigation_code",
                              "description", "updated_by"]], hide_index=True, width="stretch")


def edit_form(current: dict) -> None:
    chosen = current["event_id"]
    statuses = [s for s in STATUSES if s != REVOKED]
    with st.form("edit_event"):
        e1, e2, e3 = st.columns(3)
        new_level = e1.selectbox(state.tr("source_level"), SOURCE_LEVELS, index=SOURCE_LEVELS.index(current["source_level"]))
        new_count = e2.number_input(state.bi("次数", "Count"), min_value=0.0, value=float(current["count"]), step=1.0)
        new_status = e3.selectbox(state.tr("status"), statuses, index=statuses.index(current["status"]))
        m1, m2, m3 = st.columns(3)
        codes = [None] + sorted(scored.scheme.mitigation_codes)
        code = m1.selectbox(state.bi("减免依据", "Mitigation code"), codes,
                            index=codes.index(current["mitigation_code"]) if current["mitigation_code"] in codes else 0,
                            format_func=lambda c: "—" if c is None else f"{c} {scored.scheme.mitigation_codes[c]}")
        modes = ["", "免予", "减轻"]
        mode_now = MITIGATION_WORDS.get(current["mitigation_mode"] or "", "")
        mode = m2.selectbox(state.bi("减免方式", "Mitigation mode"), modes, index=modes.index(mode_now),
                            format_func=lambda m: m if lang == "zh" or not m else MITIGATION_EN[MITIGATION_MODES[m]])
        mreason = m3.text_input(state.bi("减免理由", "Mitigation reason"), value=current["mitigation_reason"] or "")
        new_desc = st.text_area(state.bi("说明", "Description"), value=current["description"] or "", height=70)
        why = st.text_input(state.bi("修改或撤销的理由（必填）", "Reason for the change (required)"))
        f1, f2 = st.columns(2)
        save = f1.form_submit_button(state.bi("保存修改", "Save the correction"), disabled=not who)
        revoke = f2.form_submit_button(state.bi("撤销该记录", "Revoke the record"), disabled=not who)
    try:
        if save:
            ledger.edit_event(con, org, year, chosen, {"source_level": new_level, "count": new_count, "status": new_status,
                                                      "mitigation_code": code, "mitigation_mode": mode or None,
                                                      "mitigation_reason": mreason or None, "description": new_desc},
                              who=who, why=why, via="page", seen_version=current["version"])
        if revoke:
            ledger.revoke_event(con, org, year, chosen, who=who, why=why, via="page")
    except (InputError, PerfcoreError) as exc:
        show_error(exc)
    else:
        if save:
            written(state.bi(f"已保存对 {state.md(chosen)} 的修改，原版本已保留。", f"Saved the correction of {state.md(chosen)}; the earlier version is kept."))
        if revoke:
            written(state.bi(f"已撤销 {state.md(chosen)}，原版本已保留。", f"Revoked {state.md(chosen)}; the earlier version is kept."))


def reinstate_form(current: dict) -> None:
    st.warning(state.bi("该记录已撤销，不计分。撤销理由：", "This record is revoked and does not count. Reason: ")
               + state.md(current.get("revoked_reason") or "—"), icon=":material/block:")
    with st.form("reinstate_event"):
        statuses = [s for s in STATUSES if s != REVOKED]
        status = st.selectbox(state.bi("恢复后的状态", "Status once reinstated"), statuses, index=statuses.index("已审定"))
        why = st.text_input(state.bi("恢复的理由（必填）", "Reason for reinstating (required)"))
        go = st.form_submit_button(state.bi("恢复该记录", "Reinstate the record"), disabled=not who)
    if go:
        try:
            ledger.reinstate_event(con, org, year, current["event_id"], status, who=who, why=why, via="page")
        except (InputError, PerfcoreError) as exc:
            show_error(exc)
        else:
            written(state.bi(f"已恢复 {state.md(current['event_id'])}，撤销时的版本已保留。",
                             f"Reinstated {state.md(current['event_id'])}; the revoked version is kept."))


def scores_tab() -> None:
    """Final scores of directly scored indicators (the collector's or the office's), beside each unit's self-assessment."""
    modes = dict(zip(scored.indicators["indicator"], scored.indicators["mode"]))
    direct = [i for i in scored.indicators["indicator"] if modes.get(i) == "direct"]
    if not office:
        direct = [i for i in direct if i in set(scored.grid.targets["target"])]
    if not direct:
        st.info(state.bi("本年度没有需要本账号评分的直接评分指标。", "No directly scored indicator for this account to score this year."))
        return
    indicator = st.selectbox(state.tr("indicator"), direct, key="score_indicator")
    sheet = data.score_sheet(org, year, indicator)
    self_assessed = indicator in scored.scheme.self_assessed
    st.caption(state.bi(f"满分 {views.fmt2(sheet['points'].iloc[0])} 分。" + ("左侧为各单位自评，供评分参考；" if self_assessed else "")
                        + "在“评分”列填写或修改，保存后与导入的指标评分表一样校验，并记入操作日志。",
                        f"Full marks {views.fmt2(sheet['points'].iloc[0])}. " + ("Each unit's self-assessment is shown for "
                        "reference; " if self_assessed else "") + "enter or change the Score column; saving checks it as an "
                        "imported score table would and records it in the audit log."))
    columns = ["unit", "series"] + (["self_score", "self_note"] if self_assessed else []) + ["final_score", "scorer"]
    edited = st.data_editor(sheet[columns], hide_index=True, width="stretch", key=f"scores_{org}_{year}_{indicator}",
                            disabled=[c for c in columns if c != "final_score"], column_config={
                                "unit": state.tr("unit"), "series": state.tr("series"),
                                "self_score": st.column_config.NumberColumn(state.bi("自评得分", "Self-assessed"), format="%.2f"),
                                "self_note": state.bi("自评说明", "Self-assessment notes"),
                                "final_score": st.column_config.NumberColumn(state.bi("评分", "Score"), format="%.2f",
                                                                             min_value=0.0,
                                                                             max_value=float(sheet["points"].iloc[0])),
                                "scorer": state.bi("评分单位", "Scored by")})
    before = sheet.set_index("unit")["final_score"]
    after = edited.set_index("unit")["final_score"]
    changed = [u for u in after.index if after[u] == after[u] and not (before[u] == before[u] and abs(before[u] - after[u]) < 1e-9)]
    if st.button(state.bi(f"保存评分（{len(changed)} 处修改）", f"Save the scores ({len(changed)} changed)"), type="primary",
                 disabled=not changed, key="save_scores"):
        try:
            n = assessment.set_scores(con, org, year, [{"unit": u, "indicator": indicator, "score": after[u]} for u in changed],
                                      who=who)
        except (InputError, PerfcoreError) as exc:
            show_error(exc)
        else:
            written(state.bi(f"已保存 {n} 个评分。", f"Saved {n} scores."))


def publish_tab() -> None:
    pub = data.publication(org, year)
    if pub is None:
        st.info(state.bi(f"{year} 年度结果尚未发布；导出的通报为征求意见稿。",
                         f"The {year} results have not been published; exported notices are drafts."))
    else:
        st.success(state.bi(f"已于 {pub['published_at']:%Y-%m-%d %H:%M} 由 {state.md(pub['published_by'])} 发布；导出的通报为发布时的结果。",
                            f"Published {pub['published_at']:%Y-%m-%d %H:%M} by {state.md(pub['published_by'])}; "
                            "exported notices show the published result."))
    note = st.text_input(state.bi("发布说明", "Note"), key="publish_note")
    reason = ""
    if pub is not None:
        reason = st.text_input(state.bi("再次发布的理由（必填，原发布结果会保留）", "Why publish again (required; the earlier "
                                        "publication is kept)"), key="republish_reason")
    label = state.bi("再次发布本年度结果", "Publish this year's results again") if pub else \
        state.bi("发布本年度结果", "Publish this year's results")
    if st.button(label, disabled=not who or state.in_progress(scored) or (pub is not None and not reason.strip()),
                 key="publish", icon=":material/verified:"):
        try:
            publish.publish(con, org, year, who, note or None, via="page", reason=reason or None)
        except PerfcoreError as exc:
            show_error(exc)
        else:
            st.session_state.pop("republish_reason", None)
            written(state.bi(f"已发布 {year} 年度结果。", f"Published the {year} results."))
    if state.in_progress(scored):
        st.caption(state.bi("本年度仍在进行，暂不能发布。", "This year is still in progress and cannot be published yet."))
    if pub is not None:
        earlier = data.publications(org, year)
        if len(earlier) > 1:
            st.markdown("*" + state.bi("历次发布", "Every publication") + "*")
            state.dataframe(earlier, hide_index=True, width="stretch", column_config={
                "published_at": st.column_config.DatetimeColumn(state.bi("时间", "When"), format="YYYY-MM-DD HH:mm"),
                "published_by": state.bi("发布人", "By"), "note": state.bi("说明", "Note"),
                "reason": state.bi("再次发布理由", "Why again"), "fingerprint": state.bi("结果指纹", "Fingerprint")})
    st.divider()
    suffix = "" if pub is not None else state.bi("（征求意见稿）", " (draft)")
    d1, d2, d3 = st.columns(3)
    d1.download_button(state.bi("排名通报（Excel）", "Ranking notice (Excel)") + suffix, data.notice(org, year, "xlsx", lang),
                       file_name=f"{org}{year}年度排名通报.xlsx", key="dl_notice_xlsx", icon=":material/table_view:")
    d2.download_button(state.bi("排名通报（PDF）", "Ranking notice (PDF)") + suffix, data.notice(org, year, "pdf", lang),
                       file_name=f"{org}{year}年度排名通报.pdf", key="dl_notice_pdf", icon=":material/picture_as_pdf:")
    unit_choice = d3.selectbox(state.bi("单位扣分台账", "A unit's ledger"), sort_names(scored.units["unit"]), key="ledger_unit")
    d3.download_button(state.bi("下载该单位台账（Excel）", "Download its ledger (Excel)"),
                       data.ledger_xlsx(org, year, unit_choice, lang),
                       file_name=f"{org}{year}-{unit_choice}扣分台账.xlsx", key="dl_ledger", icon=":material/download:")


def log_tab() -> None:
    log = audit.audit_log(con, org=org)
    check = st.button(state.bi("校验操作日志是否被改动", "Check the audit log has not been altered"), key="verify_log",
                      icon=":material/fact_check:")
    if check:
        result = audit.verify(con)
        wrong = codes.check(con)          # and every record's stored codes against its texts (docs/decisions.md)
        if wrong:
            st.error(state.bi(f"{len(wrong)} 处记录的编码与文字不符（请联系维护人员）：", f"{len(wrong)} records' codes disagree "
                              "with their texts (tell whoever maintains the system): ")
                     + state.md(state.tr("item_sep").join(f"{o} {y} {e} {c}" for o, y, e, c in wrong[:20])))
        if result["ok"]:
            st.success(state.bi(f"操作日志完整：全库（所有组织）共 {result['rows']} 条，哈希链无断点。链头 {result['head'][:16]}…",
                                f"The audit log is intact: {result['rows']} rows in the whole database (every organisation), "
                                f"no break in the hash chain. Head {result['head'][:16]}…"))
        else:
            st.error(state.bi(f"操作日志在第 {result['broken_at']} 条处断开：", f"The audit log breaks at row {result['broken_at']}: ")
                     + state.md(result["reason"]))
    if log.empty:
        st.info(state.bi("还没有任何更改记录。", "No changes recorded yet."))
        return
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
        log = log[log["entity_id"].astype(str).str.contains(id_filter.strip().replace("\u2011", "-"), regex=False)]   # pasted from a trace
    log = log.assign(action=log["action"].map(lambda a: state.tr(a) if a in TEXT else a),
                     changes=[views.audit_changes(b, a, lang) for b, a in zip(log["before_json"], log["after_json"])])
    state.dataframe(log[["changed_at", "who", "action", "year", "entity", "entity_id", "changes", "why", "via", "before_json",
                      "after_json"]],
                 hide_index=True, width="stretch", height=480, column_config={
                     "changed_at": st.column_config.DatetimeColumn(state.bi("时间", "When"), format="YYYY-MM-DD HH:mm:ss"),
                     "who": state.bi("操作人", "Who"), "action": state.bi("操作", "Action"), "year": state.tr("year"),
                     "entity": state.bi("对象", "What"), "entity_id": state.bi("标识", "Id"), "why": state.bi("理由", "Why"),
                     "changes": st.column_config.TextColumn(state.bi("修改内容", "What changed"), width="large"),
                     "via": state.bi("途径", "Via"), "before_json": state.bi("修改前（完整）", "Before (full)"),
                     "after_json": state.bi("修改后（完整）", "After (full)")})
    st.download_button(state.bi("下载操作日志（CSV）", "Download the audit log (CSV)"), lambda: export.table_csv(log),
                       file_name=f"{org}-操作日志.csv", key="dl_log")


TABS = {"import": ("导入表格", "Import"), "record": ("录入与更正", "Record and correct"), "scores": ("指标评分", "Scores"),
        "publish": ("发布与导出", "Publish and export"), "log": ("操作日志", "Audit log")}
DRAW = {"import": import_tab, "record": record_tab, "scores": scores_tab, "publish": publish_tab, "log": log_tab}
# Only the open tab runs (the others cost a page's worth of widgets in the browser), except the import
# tab, which always runs so that a file chosen there and its check stay while another tab is open. The
# other tabs' choices without a default of their own are kept as they were; what is typed into a form
# and not saved yet goes when its tab closes, as when leaving the page.
KEPT = ("new_target", "edit_unit", "edit_id", "score_indicator", "publish_note", "republish_reason", "ledger_unit",
        "log_who", "log_action", "log_id")
state.lazy_tabs("data_tab", {k: (TABS[k], DRAW[k]) for k in TABS if office or k in ("import", "record", "scores")},
                kept=KEPT, always=("import",))
