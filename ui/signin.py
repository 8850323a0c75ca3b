"""Signing in: the form, single sign-on where the deployment configures it, and the idle timeout.

Passwords are checked by perfcore (store.accounts); the session keeps only the account.
A deployment behind the government's single sign-on configures Streamlit's own OIDC sign-in
in `.streamlit/secrets.toml` ([auth]); the identity provider's e-mail then selects the
account (accounts.for_email), and an e-mail no account carries gets no access.
"""
from __future__ import annotations

import datetime as dt
import os

import streamlit as st

from perfcore.store import accounts
from perfcore.vocab import IDLE_MINUTES, ROLES
from ui import data, state


def idle_limit() -> dt.timedelta:
    return dt.timedelta(minutes=float(os.environ.get("PERFCORE_IDLE_MINUTES") or IDLE_MINUTES))


def sso_configured() -> bool:
    """Whether this deployment has an OIDC provider in .streamlit/secrets.toml."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, Exception):   # no secrets file at all
        return False


def sign_out(message: str | None = None) -> None:
    for key in [k for k in st.session_state if k not in ("lang",)]:
        del st.session_state[key]
    if message:
        st.session_state["_signed_out"] = message


def keep_alive() -> bool:
    """On every run: end a session idle for too long. True while someone is signed in."""
    signed = state.account()
    if signed is None:
        return False
    now = dt.datetime.now()
    last = st.session_state.get("_last_seen", now)
    if now - last > idle_limit():
        sign_out(state.bi(f"超过 {int(idle_limit().total_seconds() // 60)} 分钟没有操作，已自动退出，请重新登录。",
                          f"Signed out after {int(idle_limit().total_seconds() // 60)} minutes without activity; "
                          "please sign in again."))
        if sso_configured() and getattr(st.user, "is_logged_in", False):
            st.logout()
        st.rerun()
    st.session_state["_last_seen"] = now
    return True


def form() -> None:
    """The sign-in screen (the frame shows nothing else until someone signs in)."""
    st.title(state.bi("机关绩效考评", "Performance Evaluation"))
    data.warm_up()
    note = st.session_state.pop("_signed_out", None)
    if note:
        st.info(note)
    if sso_configured():
        _single_sign_on()
    with st.form("sign_in", clear_on_submit=True):
        name = st.text_input(state.bi("账号", "Account"), key="sign_in_name")
        password = st.text_input(state.bi("密码", "Password"), type="password", key="sign_in_password")
        go = st.form_submit_button(state.bi("登录", "Sign in"), type="primary")
    if go:
        try:
            signed = accounts.sign_in(data.cursor(), name, password)
        except accounts.SignInRefused as exc:
            st.error(exc.zh if state.lang() == "zh" else exc.en)
        else:
            st.session_state["_account"] = signed
            st.session_state["_last_seen"] = dt.datetime.now()
            st.rerun()
    demo = data.demo_accounts()
    if not demo.empty:
        with st.expander(state.bi("演示账号（示例数据）", "Demo accounts (sample data)")):
            st.caption(state.bi("这是示例数据库，以下账号供试用；正式部署时请停用并另建账号。",
                                "This is the sample database; these accounts are for trying it out. Disable them in a "
                                "real deployment and create your own."))
            words = {k: v[0] if state.lang() == "zh" else v[1] for k, v in ROLES.items()}
            st.dataframe(demo.assign(role=demo["role"].map(words)), hide_index=True, width="stretch", column_config={
                "name": state.bi("账号", "Account"), "role": state.bi("角色", "Role"), "where": state.bi("范围", "Scope"),
                "password": state.bi("密码", "Password")})
    _preload_chart_code()          # last: its empty slot is below everything shown


# The browser fetches the code that draws a chart, a table or a widget the first time a page shows
# one: for charts, 4.7 MB of plotly.js, whose loading and compiling held the first page after signing
# in for about a second. One of each kind the pages show, never shown here, makes the browser do that
# while the person types (the kinds a first visit was seen fetching: metrics, toggles, sliders,
# number inputs and multiselects on 分析 and the leaders' pages, radio buttons on 数据管理, and the
# italic face of the notice's headings; not the file uploader, which no one signed out may be given,
# hidden or not). Static CSS only.
_HIDDEN = "<style>.st-key-preload-chart-code {display: none}</style>"


def _preload_chart_code() -> None:
    import plotly.graph_objects as go
    import pandas as pd
    from perfcore.present import figures
    with st.container(key="preload-chart-code"):
        st.plotly_chart(go.Figure(layout={"template": figures.TEMPLATE, "height": 60}), key="preload_chart",
                        config={"staticPlot": True})
        st.dataframe(pd.DataFrame({"": [""]}), key="preload_table", hide_index=True)
        st.selectbox("preload", [""], key="preload_select", label_visibility="collapsed")
        st.button("preload", key="preload_button")
        st.download_button("preload", b"", key="preload_download", mime="text/plain")
        st.metric("preload", "0")
        st.toggle("preload", key="preload_toggle")
        st.slider("preload", 0, 1, key="preload_slider")
        st.number_input("preload", key="preload_number")
        st.multiselect("preload", [""], key="preload_multiselect")
        st.radio("preload", [""], key="preload_radio")
        st.markdown("*preload*")
        st.html(_HIDDEN)


def _single_sign_on() -> None:
    user = st.user
    if getattr(user, "is_logged_in", False):
        signed = accounts.for_email(data.cursor(), user.get("email"))
        if signed is None:
            st.error(state.bi(f"统一身份认证的邮箱 {state.md(user.get('email') or '')} 没有对应的账号，请联系效能办。",
                              f"No account carries the e-mail {state.md(user.get('email') or '')} from single sign-on; "
                              "ask the evaluation office."))
            st.button(state.bi("退出统一身份认证", "Sign out of single sign-on"), on_click=st.logout)
            return
        st.session_state["_account"] = signed
        st.session_state["_last_seen"] = dt.datetime.now()
        st.rerun()
    st.button(state.bi("使用统一身份认证登录", "Sign in with single sign-on"), on_click=st.login, type="primary",
              key="sso_sign_in")
    st.caption(state.bi("或使用账号和密码：", "Or with an account and password:"))
