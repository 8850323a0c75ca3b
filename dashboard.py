"""机关绩效考评 — the frame: page setup, sign-in, language, shared selectors, navigation over pages/."""
import streamlit as st

from perfcore.names import sort_names
from ui import data, signin, state

st.set_page_config(page_title="机关绩效考评 · Performance Evaluation", page_icon="📊", layout="wide")

with st.sidebar:
    st.segmented_control("语言 / Language", ["zh", "en"], key="lang", default="zh", required=True,
                         format_func={"zh": "中文", "en": "English"}.get, bind="query-params")
state.widget_language()
if not signin.keep_alive():
    st.navigation(state.page_list(every=True), position="hidden")   # no page list, and the URL asked for is kept
    signin.form()
    st.stop()
account = state.account()

with st.sidebar:
    orgs = data.org_names()
    if not orgs:
        st.warning(state.bi("该账号没有可查看的考评组织。", "This account has no organisation to open."))
        st.stop()
    if st.session_state.get("org") not in orgs:
        st.session_state.pop("org", None)
    org = st.selectbox(state.tr("org"), orgs, key="org", bind="query-params")
    years = sorted(data.org_years(org), reverse=True)
    if st.session_state.get("year") not in years:
        st.session_state.pop("year", None)
    year = st.selectbox(state.tr("year"), years, key="year", bind="query-params",
                        index=years.index(data.default_year(org)))
    scored = data.year_score(org, year)
    series_options = [""] + sort_names(scored.units["series"].unique())
    if st.session_state.get("series") not in series_options:
        st.session_state.pop("series", None)
    st.selectbox(state.tr("series"), series_options, key="series", bind="query-params",
                 format_func=lambda s: s or state.tr("all_series"))
    st.divider()
    scheme = scored.scheme
    st.caption(f"**{state.md(scheme.title)}**  \n{state.md(scheme.issuer)} {state.md(scheme.document_no)}  \n"
               + state.bi(f"{scheme.scale:g} 分制 · {len(scored.units)} 个被考评单位",
                          f"{scheme.scale:g}-point scale · {len(scored.units)} units"))
    st.divider()
    st.caption(state.md(account.label(state.lang())))
    st.button(state.bi("退出登录", "Sign out"), key="sign_out", icon=":material/logout:", on_click=signin.sign_out)

try:
    st.navigation(state.page_list()).run()
finally:                 # after the page is shown (or left for another): the other pages' frames and years, in the background
    data.warm(org, year)
