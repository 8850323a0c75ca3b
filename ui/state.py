"""The app's shared state: language, the selections in the URL, links between pages, safe text.

Data comes from ui/data.py, the one read path.
"""
from __future__ import annotations

import re

import streamlit as st

from perfcore.engine.results import YearScore
from perfcore.engine.results import in_progress as results_in_progress
from perfcore.present import i18n
from perfcore.present.figures import grade_colors

PAGES = {
    "rankings": "pages/rankings.py",
    "analysis": "pages/analysis.py",
    "unit": "pages/unit.py",
    "progress": "pages/progress.py",
    "deductions": "pages/deductions.py",
    "movement": "pages/movement.py",
    "whatif": "pages/whatif.py",
    "data": "pages/data.py",
    "desk": "pages/desk.py",
    "appeals": "pages/appeals.py",
    "accounts": "pages/accounts.py",
}
# every chart offers one button: download as PNG
CHART = {"displaylogo": False, "modeBarButtons": [["toImage"]], "toImageButtonOptions": {"format": "png", "scale": 2}}


DRILL_TAB = {"zh": "单项明细", "en": "One indicator"}
TITLES = {
    "rankings": ("部门排名", "Rankings", ":material/leaderboard:"),
    "analysis": ("分析", "Analysis", ":material/insights:"),
    "unit": ("单位画像", "Unit profile", ":material/account_balance:"),
    "progress": ("指标进度", "Indicator progress", ":material/timeline:"),
    "deductions": ("扣分明细", "Deductions", ":material/receipt_long:"),
    "movement": ("排名变化", "Rank movement", ":material/swap_vert:"),
    "whatif": ("权重模拟", "What-if", ":material/tune:"),
    "data": ("数据管理", "Data management", ":material/database:"),
    "desk": ("填报与申诉", "Reports and appeals", ":material/edit_note:"),
    "appeals": ("反馈与申诉", "Feedback and appeals", ":material/gavel:"),
    "accounts": ("账号管理", "Accounts", ":material/manage_accounts:"),
}
# The pages each role opens (what each page then shows is the account's own business: perfcore.access).
ROLE_PAGES = {
    "leader": ("rankings", "analysis", "unit", "progress", "deductions", "movement", "whatif"),
    "office": ("rankings", "analysis", "unit", "progress", "deductions", "movement", "whatif", "data", "appeals", "accounts"),
    "collector": ("rankings", "progress", "deductions", "data"),
    "unit": ("rankings", "unit", "progress", "deductions", "movement", "desk"),
}


def page_list(every: bool = False) -> list:
    """The signed-in account's pages (or `every` page), titled in the current language."""
    signed = account()
    keys = tuple(PAGES) if every or signed is None else ROLE_PAGES[signed.role]
    return [st.Page(PAGES[key], title=zh if lang() == "zh" else en, icon=icon, url_path=key, default=key == keys[0])
            for key, (zh, en, icon) in TITLES.items() if key in keys]


def account():
    """The signed-in account (perfcore.access.Account), or None."""
    return st.session_state.get("_account")


def may(role_pages_key: str) -> bool:
    """Whether the signed-in account opens this page."""
    signed = account()
    return signed is not None and role_pages_key in ROLE_PAGES[signed.role]


def data_changed() -> None:
    """After a write: forget this session's simulations (cached data follows the data version by itself)."""
    for key in [k for k in st.session_state if str(k).startswith(("sim::", "spec::", "_plan"))]:
        del st.session_state[key]


def flash(message: str, kind: str = "success") -> None:
    """Say something on the next run (after an st.rerun that shows the page as it now is)."""
    st.session_state["_flash"] = (kind, message)


def show_flash() -> None:
    """Show the message left by `flash`, once."""
    kind, message = st.session_state.pop("_flash", (None, None))
    if message:
        {"success": st.success, "info": st.info, "warning": st.warning}.get(kind, st.info)(message)


def written(message: str) -> None:
    """After a write: say what was done, and show the page again as the data now is."""
    data_changed()
    flash(message)
    st.rerun()


def show_problems(problems) -> None:
    """Located problems of a file or a form: nothing was written."""
    from perfcore.errors import problems_frame
    st.error(bi(f"发现 {len(problems)} 个问题，未写入任何数据。", f"{len(problems)} problem(s); nothing was written."))
    st.dataframe(problems_frame(problems, lang()), hide_index=True, width="stretch", column_config={
        "sheet": bi("工作表", "Sheet"), "row": bi("行", "Row"), "column": bi("列", "Column"), "value": bi("内容", "Value"),
        "problem": bi("问题", "Problem")})


def show_error(exc: Exception) -> None:
    """A refused change, in the reader's language where perfcore gives both."""
    from perfcore.errors import InputError
    if isinstance(exc, InputError):
        show_problems(exc.problems)
    else:
        st.error(md(getattr(exc, "zh" if lang() == "zh" else "en", None) or str(exc)))


# Streamlit's own words inside a file uploader are English in every language; in the Chinese UI they
# are said in Chinese. Static CSS only (nothing from the data is ever in it).
_CHINESE_WIDGET_TEXT = """<style>
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p {display: none}
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"]::after {
  content: "选择文件"}
[data-testid="stFileUploaderDropzoneInstructions"] > div > span {display: none}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {content: "或把文件拖到这里（每个不超过 20 MB）"; font-size: 0.8rem}
</style>"""


def widget_language() -> None:
    """In the Chinese UI, Streamlit's built-in widget words in Chinese too (called by the frame on every run);
    after a switch of language, the chosen options of the selectboxes the app words (see `WORDED`) shown in it."""
    if lang() == "zh":
        st.html(_CHINESE_WIDGET_TEXT)
    now = lang()
    if st.session_state.get("_worded_in", now) != now:
        for key in WORDED:
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
    st.session_state["_worded_in"] = now


# Selectboxes (by key) whose options the app words in the reader's language. A keyed selectbox goes on showing
# its chosen option in the words its format_func gave when it was chosen (streamlit/streamlit#13788): its value,
# set again after a language switch, is sent to the browser with the option in the new language.
WORDED = ("series", "import_kind", "import_period", "new_role", "log_who", "log_action", "rank_part")


def dataframe(frame, **kwargs):
    """st.dataframe of a frame whose empty cells read as empty, never as "None" or "nan": text as it is, and a date
    or time column with gaps as text in the format its column config asks for (a grid shows a missing time as None)."""
    import pandas as pd
    if frame.attrs:      # pandas deep-copies a frame's attrs (a trace's scores) with every step below; a grid needs none
        frame = frame.copy(deep=False)
        frame.attrs = {}
    config = dict(kwargs.get("column_config") or {})
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    if text:
        frame = frame.assign(**{c: frame[c].astype(object).where(frame[c].notna(), "") for c in text})
    for c in frame.columns:
        if c in config and config[c] is None:         # a hidden column stays hidden
            continue
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) and frame[c].isna().any():
            conf = _column_conf(config.get(c))
            pattern = conf["type_config"].get("format")
            frame = frame.assign(**{c: [_number_text(v, pattern) for v in frame[c]]})
            config[c] = _as_text(conf, alignment="right")
        elif pd.api.types.is_datetime64_any_dtype(frame[c]) and frame[c].isna().any():
            conf = _column_conf(config.get(c))
            pattern = "%Y-%m-%d" if conf["type_config"].get("type") == "date" else "%Y-%m-%d %H:%M"
            frame = frame.assign(**{c: frame[c].dt.strftime(pattern).fillna("")})
            config[c] = _as_text(conf)
    if config:
        kwargs["column_config"] = config
    return st.dataframe(frame, **kwargs)


def _column_conf(conf) -> dict:
    """A column_config entry (a column config, a bare label or nothing) as a dict with a type_config."""
    if isinstance(conf, dict):
        return {**conf, "type_config": conf.get("type_config") or {}}
    return {"label": conf if isinstance(conf, str) else None, "type_config": {}}


def _as_text(conf: dict, alignment=None):
    """The same column (label, help, width, pinned) shown as text."""
    return st.column_config.TextColumn(conf.get("label"), help=conf.get("help"), width=conf.get("width"),
                                       pinned=conf.get("pinned"), alignment=alignment)


def export_view(frame, config: dict, title: str, key: str, container=st) -> None:
    """A button that downloads the table as shown (its filter, order and column names) as a printable workbook.
    `config` is the st.dataframe column_config: a column configured None is hidden, so it is left out too."""
    from perfcore.present.export import view_xlsx

    def label(column):
        conf = config.get(column, column)
        return conf if isinstance(conf, str) else (conf or {}).get("label") or column

    columns = [c for c in frame.columns if not (c in config and config[c] is None)]
    container.download_button(bi("导出当前表格（Excel）", "Export this view (Excel)"),
                              lambda: view_xlsx(frame[columns].rename(columns={c: label(c) for c in columns}), title),
                              file_name=f"{title}.xlsx", key=key, icon=":material/download:")


def _number_text(value, pattern) -> str:
    """A number as its column would print it (printf-style formats, "percent"); empty when missing."""
    import pandas as pd
    if pd.isna(value):
        return ""
    if pattern == "percent":
        return f"{value * 100:.2f}%"
    if isinstance(pattern, str) and pattern.startswith("%"):
        try:
            return pattern % value
        except (TypeError, ValueError):
            pass
    return f"{value:.2f}" if isinstance(value, float) and value != int(value) else f"{value:g}"


def lang() -> str:
    return st.session_state.get("lang") or "zh"


def tr(key: str, **kwargs) -> str:
    return i18n.t(key, lang(), **kwargs)


def bi(zh: str, en: str) -> str:
    """Inline text in the current language."""
    return en if lang() == "en" else zh


def require_frame() -> None:
    """Make sure dashboard.py ran before the page.

    On a fresh server, Streamlit's folder-based mode (a `pages/` folder beside the
    main script) can run a deep-linked page directly, before any run has called
    st.navigation. Registering the same pages (hidden) switches the server to
    st.navigation for good; the rerun then goes through the frame, which routes to
    the same page with the same URL.
    """
    if "org" in st.session_state and account() is not None:
        return
    st.navigation(page_list(every=True), position="hidden")
    st.rerun()


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# GitHub-flavoured markdown links bare addresses (http://…, www.…, a@b.c) after escapes are resolved;
# an invisible word joiner after their first part keeps them text.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www|@)")


def md(text) -> str:
    """Text from the data, safe inside markdown: every markup character escaped and bare addresses
    broken up, so a name is shown as typed and never becomes a link, a colour, a formula or an icon."""
    text = _AUTOLINK.sub("\\1\u2060", "" if text is None else str(text))
    return _MARKDOWN.sub(r"\\\1", text)


def selected(page: str | None = None) -> tuple[str, int, str | None]:
    """The organisation, year and series chosen in the sidebar (after the frame ran, signed in).

    `page` names the page asking: one the signed-in role does not open stops here."""
    require_frame()
    if page is not None and not may(page):
        st.warning(bi("该账号不能打开此页面。", "This account cannot open this page."))
        st.stop()
    follow_link()
    series = st.session_state.get("series") or None
    return st.session_state["org"], int(st.session_state["year"]), series


def in_progress(year: YearScore) -> bool:
    """A year still being collected: some component or direct score not given yet."""
    return results_in_progress(year.results)


def grade_labels(year: YearScore) -> dict:
    return {g.name: i18n.label(g.name, g.label_en, lang()) for g in year.scheme.grades}


def colors(year: YearScore) -> dict:
    return grade_colors(year.scheme.grade_names())


def link(page: str, state: dict, url: dict | None = None) -> None:
    """Button callback: set the selections now, open the page at the start of the next run.

    `url` holds the target page's plain (not widget-bound) URL parameters.
    """
    for key, value in state.items():
        st.session_state[key] = value
    st.session_state["_goto"] = (page, {k: str(v) for k, v in (url or {}).items()})


def follow_link() -> None:
    """Open the page a link asked for, with its plain selections in the URL so the view can be shared."""
    target = st.session_state.pop("_goto", None)
    if target:
        page, params = target
        st.switch_page(PAGES[page], query_params=params)


def url_state(key: str, options: list) -> None:
    """Take a plain URL parameter into session state (first visit of a shared link)."""
    value = st.query_params.get(key)
    if value is not None and value in options and key not in st.session_state:
        st.session_state[key] = value


def go_to(page: str, **state) -> None:
    """Open another page with the given selections (kept in the URL there)."""
    for key, value in state.items():
        st.session_state[key] = value
    st.switch_page(PAGES[page])


def keep(*keys: str) -> None:
    """Keep these widgets' values while they are not drawn (a closed tab or part): Streamlit forgets the value
    of a widget a run does not draw, unless the run sets it."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def lazy_tabs(key: str, parts: dict, kept: tuple = (), always: tuple = ()) -> None:
    """A page's parts in tabs, only the open one run and drawn (and those in `always`): what is not shown
    costs neither the server nor the browser. `parts` maps a part's name to ((中文, English), its drawing
    function), in tab order. The open tab stays open when the language changes; the widgets named in `kept`
    keep their values while their tab is closed."""
    shown = {k: bi(*words) for k, (words, _) in parts.items()}
    for k in shown:
        if st.session_state.get(key) in parts[k][0]:
            st.session_state[key] = shown[k]
    keep(*kept)
    for k, tab in zip(shown, st.tabs(list(shown.values()), key=key, on_change="rerun")):
        if k in always or tab.open:
            with tab:
                parts[k][1]()
