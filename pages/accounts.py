"""账号管理 — the office hands out accounts: who may sign in, with what role, for which unit or collector."""
import streamlit as st

from perfcore.errors import PerfcoreError
from perfcore.store import accounts
from perfcore.vocab import MIN_PASSWORD_CHARS, ROLES
from ui import data, state

org, year, series = state.selected("accounts")
who = data.account()

st.title(state.bi("账号管理", "Accounts"))
state.show_flash()
table = data.accounts_table()
state.dataframe(table.assign(role=table["role"].map(lambda r: ROLES[r][0] if state.lang() == "zh" else ROLES[r][1])),
             hide_index=True, width="stretch", column_config={
                 "name": state.bi("账号", "Account"), "role": state.bi("角色", "Role"), "org": state.tr("org"),
                 "unit": state.tr("unit"), "collector": state.bi("数据采集单位", "Collector"),
                 "email": state.bi("电子邮箱（统一身份认证）", "E-mail (single sign-on)"),
                 "disabled": state.bi("已停用", "Disabled"),
                 "locked_until": st.column_config.DatetimeColumn(state.bi("锁定至", "Locked until"), format="YYYY-MM-DD HH:mm"),
                 "last_sign_in": st.column_config.DatetimeColumn(state.bi("上次登录", "Last sign-in"), format="YYYY-MM-DD HH:mm"),
                 "created_at": st.column_config.DatetimeColumn(state.bi("创建时间", "Created"), format="YYYY-MM-DD HH:mm")})


def done(message: str) -> None:
    state.flash(message)
    st.rerun()


add, change = st.columns(2, gap="large")
with add:
    st.markdown("**" + state.bi("新建账号", "New account") + "**")
    role = st.selectbox(state.bi("角色", "Role"), list(ROLES), key="new_role",
                        format_func=lambda r: ROLES[r][0] if state.lang() == "zh" else ROLES[r][1])
    with st.form("new_account", clear_on_submit=True):
        name = st.text_input(state.bi("账号名称", "Account name"))
        scope_org = unit = collector = None
        if role in ("unit", "collector"):
            scope_org = org
            st.caption(state.bi(f"所属组织：{state.md(org)}（在左侧切换）", f"Organisation: {state.md(org)} (change on the left)"))
            if role == "unit":
                unit = st.selectbox(state.tr("unit"), data.visible_units(org, year))
            else:
                collector = st.selectbox(state.bi("数据采集单位", "Data-collection unit"), data.collectors(org, year))
        elif st.checkbox(state.bi(f"只限本组织（{org}）", f"Only this organisation ({org})")):
            scope_org = org
        email = st.text_input(state.bi("电子邮箱（统一身份认证时必填）", "E-mail (needed for single sign-on)"))
        password = st.text_input(state.bi(f"初始密码（至少 {MIN_PASSWORD_CHARS} 个字符）", f"First password (at least {MIN_PASSWORD_CHARS} characters)"),
                                 type="password")
        go = st.form_submit_button(state.bi("创建账号", "Create the account"), type="primary")
    if go:
        try:
            accounts.create(data.cursor(), name, role, password, org=scope_org, unit=unit, collector=collector,
                            email=email or None, by=who, via="page")
        except PerfcoreError as exc:
            st.error(state.md(str(exc)))
        else:
            done(state.bi(f"已创建账号「{state.md(name)}」。", f"Created account {state.md(name)}."))

with change:
    st.markdown("**" + state.bi("停用、启用或重设密码", "Disable, enable or reset a password") + "**")
    names = table["name"].tolist()
    if names:
        picked = st.selectbox(state.bi("账号", "Account"), names, key="change_account")
        row = table.set_index("name").loc[picked]
        with st.form("change_account_form", clear_on_submit=True):
            new_password = st.text_input(state.bi("新密码（留空则不改）", "New password (blank: unchanged)"), type="password")
            why = st.text_input(state.bi("理由（停用或启用时）", "Reason (to disable or enable)"))
            c1, c2 = st.columns(2)
            reset = c1.form_submit_button(state.bi("重设密码", "Reset the password"))
            toggle = c2.form_submit_button(state.bi("启用账号", "Enable") if row["disabled"] else state.bi("停用账号", "Disable"),
                                           disabled=picked == who.name)
        try:
            if reset:
                accounts.set_password(data.cursor(), picked, new_password, by=who, via="page")
                done(state.bi(f"已重设「{state.md(picked)}」的密码。", f"Reset the password of {state.md(picked)}."))
            if toggle:
                (accounts.enable if row["disabled"] else accounts.disable)(data.cursor(), picked, by=who, why=why or None,
                                                                          via="page")
                done(state.bi(f"已{'停用' if not row['disabled'] else '启用'}「{state.md(picked)}」。",
                              f"{'Disabled' if not row['disabled'] else 'Enabled'} {state.md(picked)}."))
        except PerfcoreError as exc:
            st.error(state.md(str(exc)))
    st.caption(state.bi("账号从不删除：停用后不能登录，其操作记录仍保留。", "Accounts are never deleted: a disabled one cannot sign in, "
                        "and its history stays."))
