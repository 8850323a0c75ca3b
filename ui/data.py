"""The app's one read path: every frame a page shows comes from here.

Everything is cached per database file, data version, organisation and year (and scenario
or unit where it depends on them). The data version moves on with every stored change made
by anyone (perfcore bumps it in the same transaction), so after a write every session reads
fresh results on its next run, and nothing needs clearing by hand.

Large objects (a scored year, a what-if) are shared between sessions without copying
(`st.cache_resource`) and are read-only to the pages; small frames are cached by value
(`st.cache_data`). Results of every year of an organisation are kept as small frames, which
is all the sidebar, the movement page and the history charts need; a year's full scoring
(grid, events, what-if) is kept only for the few years someone is looking at.

What an account may see is decided by perfcore (present.visible, access): every frame of
records, results, traces and progress is asked for with the signed-in account, and cached
under its scope (role, organisation, unit, collector) and the day, so no session is handed a
frame cached for an account that sees more, nor one cached before a feedback window closed.
"""
from __future__ import annotations

import datetime as dt
import logging
import queue
import threading

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import perfcore
from perfcore import access
from perfcore.engine import results as results_mod
from perfcore.engine.whatif import WhatIf
from perfcore.ingest import sources
from perfcore.insight.robustness import DEFAULT_SPREAD
from perfcore.present import views, visible
from perfcore.store import accounts
from perfcore.store import connection as storage
from perfcore.workflow import feedback, publish, scenarios

_BUILD_LOCK = threading.Lock()


def database() -> str:
    """The database file this process serves."""
    return str(storage.db_path())


@st.cache_resource(show_spinner="正在打开数据库… / Opening the database…")
def connection(db: str):
    """One DuckDB connection per process (and database file).

    Whether the database is empty is decided here, once per process, on this connection:
    only a database holding no organisation at all is built from data/ (the sample). A
    database with data is never rebuilt, re-read or written to by starting the app.
    """
    con = perfcore.connect(db)
    with _BUILD_LOCK:
        if storage.is_empty(con):
            sources.write(con, sources.read_source(storage.DEFAULT_SOURCE), who="system", via="first start")
            sources.load_demo(con, storage.DEFAULT_SOURCE)
    return con


_THREAD = threading.local()


def cursor():
    """A cursor of the shared connection for this session (a warm-up thread, outside any session, has
    one of its own)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        if getattr(_THREAD, "cursor", None) is None:
            _THREAD.cursor = connection(database()).cursor()
        return _THREAD.cursor
    key = f"_cursor::{database()}"
    if key not in st.session_state:
        st.session_state[key] = connection(database()).cursor()
    return st.session_state[key]


def _drop_thread_cursor() -> None:
    cur = getattr(_THREAD, "cursor", None)
    if cur is not None:
        cur.close()
        _THREAD.cursor = None


_VERSIONS: dict = {}


def version() -> tuple:
    """The database file and its data version: part of every cache key below. Asked of the database
    again only after this process committed a change (a page asks for it a dozen times a run)."""
    db, seen = database(), storage.committed()
    known = _VERSIONS.get(db)
    if known is not None and known[0] == seen:
        return known[1]
    ver = storage.data_version(cursor())
    _VERSIONS[db] = (seen, ver)
    return ver


def scope(signed: access.Account) -> tuple:
    """What a frame cached for an account depends on besides the data: its scope (role, organisation,
    unit, collector) and the day, since what a unit sees moves with the calendar too (a feedback
    window's closing day passes without any stored change)."""
    return signed.scope, dt.date.today()


def account() -> access.Account:
    """The signed-in account (the frame lets no page run without one)."""
    signed = st.session_state.get("_account")
    if signed is None:
        raise access.Forbidden("请先登录", "please sign in first")
    return signed


def demo_accounts() -> pd.DataFrame:
    """The sample database's demo accounts (none in a real deployment), for the sign-in screen."""
    return accounts.demo_listing(cursor()).rename(columns={"scope": "where"})


# ---------------------------------------------------------------- organisations and years

@st.cache_data(show_spinner=False, max_entries=32)
def _orgs(ver) -> list[str]:
    return results_mod.orgs(cursor())


def org_names() -> list[str]:
    """The organisations the signed-in account may open."""
    return access.orgs(account(), _orgs(version()))


@st.cache_data(show_spinner=False, max_entries=64)
def _years(ver, org: str) -> list[int]:
    return results_mod.years(cursor(), org)


def org_years(org: str) -> list[int]:
    return _years(version(), org)


@st.cache_resource(show_spinner="正在计算各年度结果… / Scoring the years…", max_entries=16)
def _all_results(ver, org: str) -> dict:
    con = connection(database()).cursor()
    return {y: results_mod.base_results(con, org, y, ver) for y in results_mod.years(con, org)}


def all_results(org: str) -> dict:
    """Every year's results before history (small frames), year → frame."""
    return _all_results(version(), org)


def _default_year(results: dict) -> int:
    years = sorted(results, reverse=True)
    return next((y for y in years if not results_mod.in_progress(results[y])), years[0])


def default_year(org: str) -> int:
    """The year to open: the newest whose results are complete (else the newest), decided on the
    years' small result frames: no year is fully scored only to find that it is still in progress."""
    return _default_year(all_results(org))


class _WarmUpThreads(logging.Filter):
    """The warm-up threads fill the app's caches outside any session, by design: Streamlit's warning
    that such a thread has no session is not logged for them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.args and str(record.args[0]).startswith("perfcore-warm"))


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_WarmUpThreads())

_WARMED: set = set()
_WARM_LOCK = threading.Lock()
_STARTED = threading.Event()


def warm_up() -> None:
    """While someone is on the sign-in screen: load what the first page needs and only a first use
    loads (plotly's figure machinery, the pinyin dictionaries), every year's results (kept in the
    database, so usually a read) and the full scoring of the year the first organisation opens on.
    Once per process, in the background; nothing is shown."""
    if _STARTED.is_set():
        return
    _STARTED.set()
    base = connection(database())

    def run():
        import plotly.graph_objects as go
        from perfcore.names import sort_names
        from perfcore.present import figures
        figures.grade_bar(pd.DataFrame({"grade": ["优秀"], "count": [1]}), {"优秀": "#0072B2"}, {"优秀": "优秀"}, "zh")
        go.Figure().to_plotly_json()
        sort_names(["单位", "部门"])
        cur = base.cursor()
        try:
            ver = storage.data_version(cur)
            orgs = results_mod.orgs(cur)
            for org in orgs:
                for year in sorted(results_mod.years(cur, org), reverse=True):
                    results_mod.base_results(cur, org, year, ver)
            if orgs:          # the first page's year, as an account that may open every organisation is shown it
                org = orgs[0]
                _year(ver, org, _default_year(_all_results(ver, org)))
        finally:
            cur.close()
    threading.Thread(target=run, name="perfcore-warm-up", daemon=True).start()


def warm(org: str, year: int | None = None) -> None:
    """After a page is drawn, in the background: for a leader or the office, the frames the other pages
    ask for first, for the organisation, year and series the sidebar shows (see `_warm_pages`); for every
    account, the organisation's other years, so that history and movement find them ready. Once per data
    version and selection, one warm-up at a time (a few at most waiting); a page asking for the same
    frame meanwhile waits for the same work (Streamlit's caches compute a key once)."""
    ver, signed = version(), st.session_state.get("_account")
    series = st.session_state.get("series") or None
    unit = st.session_state.get("unit")
    pages = year is not None and signed is not None and access.sees_everything(signed)
    wanted = (ver, org, year, series, scope(signed)) if pages else (ver, org)
    with _WARM_LOCK:
        if wanted in _WARMED:
            return
        if len(_WARMED) > 256:
            _WARMED.clear()
        others, committed = (ver, org) not in _WARMED, storage.committed()
        try:
            _WARM_JOBS.put_nowait(lambda: _warm_run(ver, committed, org, year, series, unit, signed, pages, others))
        except queue.Full:            # busy: the pages compute what they need themselves
            return
        _WARMED.update({wanted, (ver, org)})
        _start_warmer()


def _warm_run(ver, committed: int, org: str, year, series, unit, signed, pages: bool, others: bool) -> None:
    cur = cursor()          # the warm-up thread's own (outside any session), closed when done
    try:
        if storage.data_version(cur) != ver:      # the data moved on while this waited: nobody asks for these
            return
        if pages:
            try:
                _warm_pages(ver, committed, org, year, series, unit, signed)
            except Exception:       # a page asking later computes the same again, and shows what went wrong
                logging.getLogger(__name__).warning("warming %s %s for the next pages failed", org, year, exc_info=True)
        if others:
            for y in sorted(results_mod.years(cur, org), reverse=True):
                results_mod.base_results(cur, org, y, ver)
    finally:
        _drop_thread_cursor()


_WARM_JOBS: queue.Queue = queue.Queue(maxsize=4)
_WARMER: threading.Thread | None = None


def _start_warmer() -> None:
    """The one thread the warm-ups run on, in the order asked (a daemon: the server stops without waiting)."""
    global _WARMER
    if _WARMER is None:
        def work():
            while True:
                job = _WARM_JOBS.get()
                try:
                    job()
                finally:
                    _WARM_JOBS.task_done()
        _WARMER = threading.Thread(target=work, name="perfcore-warm-pages", daemon=True)
        _WARMER.start()


def warmed() -> None:
    """Wait until the warm-ups asked for so far are done."""
    _WARM_JOBS.join()


def _warm_pages(ver, committed: int, org: str, year: int, series: str | None, unit: str | None,
                signed: access.Account) -> None:
    """What the pages ask for first, in the order of the page list: 分析's views as they open (why the unit's
    result changed since the year before, how sure the ranking is; comparing two units and the gap are
    quick), a unit's trace and the rank history (单位画像), the attainment matrix and progress reports
    (指标进度), the year's counted events (扣分明细), the simulator and the first unit's records (权重模拟);
    last 分析's early warning for a year in progress, which scores every earlier year in full. The same
    cached calls the pages make, with the same arguments (the account's scope in each key), so nothing is
    computed that a page would not ask for. Stops as soon as this process writes anything (a newer
    version is what the pages will ask for)."""
    sc = scope(signed)
    scored = _year(ver, org, year)
    units = visible.units(cursor(), signed, scored)
    if series:
        units = [u for u in units if u in set(scored.units.loc[scored.units["series"] == series, "unit"])]
    first = unit if unit in units else (units[0] if units else None)
    from perfcore.names import sort_names
    everyone = sort_names(scored.units["unit"])
    earlier = [y for y in _years(ver, org) if y < year]       # as 分析 lists them (org_years)
    running = sorted(_in_progress(_all_results(ver, org)))
    basis = "series_rank" if series else "rank"
    steps = [lambda: first and earlier and _change(ver, sc, org, year, first, earlier[-1], signed),
             lambda: _robustness(ver, sc, org, year, ROBUSTNESS_DRAWS, ROBUSTNESS_SPREAD, 1, basis, (), signed),
             lambda: first and _explain(ver, sc, org, year, first, None, signed),
             lambda: _rank_history(ver, sc, org, True, signed),
             lambda: _attainment(ver, sc, org, year, series, signed),
             lambda: _progress(ver, sc, org, year, signed),
             lambda: _event_history(ver, sc, org, year, signed),
             lambda: _whatif(ver, org, year).event_ids(),
             lambda: everyone and _ledger(ver, sc, org, year, everyone[0], signed),
             lambda: running and _forecast(ver, sc, org, year if year in running else running[-1], signed)]
    for step in steps:
        if storage.committed() != committed:
            return
        try:
            step()
        except Exception:    # one view failing leaves the others warmed; its page computes it again and shows why
            logging.getLogger(__name__).warning("warming %s %s for the next pages failed", org, year, exc_info=True)


def _in_progress(results: dict) -> set[int]:
    return {y for y, frame in results.items() if results_mod.in_progress(frame)}


def in_progress_years(org: str) -> set[int]:
    """Years still being collected (some component or direct score not yet given)."""
    return _in_progress(all_results(org))


@st.cache_data(show_spinner=False, max_entries=32)
def _rank_history(ver, scope, org: str, complete_only: bool, _account) -> pd.DataFrame:
    results = _all_results(ver, org)
    seen = visible.results_by_year(cursor(), _account, org, results)
    return views.rank_history(seen, _in_progress(results) if complete_only else ())


def rank_history(org: str, complete_only: bool = True) -> pd.DataFrame:
    """Long frame of every (complete) year's ranks the account may see: year, unit, series, rank,
    series_rank, composite, grade."""
    signed = account()
    return _rank_history(version(), scope(signed), org, complete_only, signed)


@st.cache_resource(show_spinner=False, max_entries=64)
def _chart(ver, scope, name: str, key: tuple, _build):
    return _build()


def chart(name: str, key: tuple, build):
    """A page's figure, built once per data version, account scope, figure name and `key` and shared
    (read-only: Streamlit copies a figure to send it). `key` must hold everything besides the stored
    data and the account that `build` (called without arguments) reads: the selections and the language."""
    signed = account()
    return _chart(version(), scope(signed), name, key, build)


# ---------------------------------------------------------------- one year

@st.cache_resource(show_spinner=False, max_entries=6)
def _year(ver, org: str, year: int):
    return perfcore.score(connection(database()).cursor(), org, year)


@st.cache_resource(show_spinner=False, max_entries=32)
def _year_seen(ver, scope, org: str, year: int, _account):
    return visible.year(cursor(), _account, _year(ver, org, year))


def year_score(org: str, year: int):
    """A year's official result with history, as the signed-in account may see it (shared, read-only)."""
    signed = account()
    return _year_seen(version(), scope(signed), org, year, signed)


def visible_units(org: str, year: int) -> list[str]:
    """The units whose profile the signed-in account may open (pinyin order)."""
    return visible.units(cursor(), account(), _year(version(), org, year))


def results_visibility(org: str, year: int) -> str:
    """'all', 'own' or 'none': how much of the year's results the account sees."""
    return access.results_visibility(cursor(), account(), org, year)


@st.cache_resource(show_spinner=False, max_entries=4)
def _whatif(ver, org: str, year: int) -> WhatIf:
    return WhatIf(connection(database()).cursor(), org, year, official=_year(ver, org, year))


def whatif(org: str, year: int) -> WhatIf:
    """The year's simulator (shared; simulations never touch stored data): leaders and the office."""
    if not access.sees_everything(account()):
        raise access.Forbidden("只有领导和效能办可以模拟", "only leaders and the office may simulate")
    return _whatif(version(), org, year)


@st.cache_data(show_spinner=False, max_entries=64)
def _explain(ver, scope, org: str, year: int, unit: str, indicator: str | None, _account) -> pd.DataFrame:
    frame = visible.explain(cursor(), _account, org, year, unit, indicator, scored=_year(ver, org, year))
    frame.attrs = dict(frame.attrs)
    return frame


def explain(org: str, year: int, unit: str, indicator: str | None = None) -> pd.DataFrame:
    """The lines behind a unit's score on one indicator or pool (or all), if the account may see them."""
    signed = account()
    return _explain(version(), scope(signed), org, year, unit, indicator, signed)


@st.cache_data(show_spinner=False, max_entries=16)
def _event_history(ver, scope, org: str, year: int, _account) -> pd.DataFrame:
    return visible.event_history(cursor(), _account, _year(ver, org, year))


def event_history(org: str, year: int) -> pd.DataFrame:
    """Every counted event of the year the account may see, with the amount it counted."""
    signed = account()
    return _event_history(version(), scope(signed), org, year, signed)


@st.cache_data(show_spinner=False, max_entries=64)
def _ledger(ver, scope, org: str, year: int, unit: str | None, _account) -> pd.DataFrame:
    return visible.ledger(cursor(), _account, org, year, unit)


def ledger(org: str, year: int, unit: str | None = None) -> pd.DataFrame:
    """The year's records as recorded (every status), of one unit or all, as the account may see them."""
    signed = account()
    return _ledger(version(), scope(signed), org, year, unit, signed)


def unit_ledger(org: str, year: int, unit: str) -> pd.DataFrame:
    """One unit's records of the year, every status."""
    return ledger(org, year, unit)


@st.cache_data(show_spinner=False, max_entries=16)
def _progress(ver, scope, org: str, year: int, _account) -> pd.DataFrame:
    return visible.progress(cursor(), _account, org, year)


def progress(org: str, year: int) -> pd.DataFrame:
    """The year's progress reports the account may see."""
    signed = account()
    return _progress(version(), scope(signed), org, year, signed)


@st.cache_data(show_spinner=False, max_entries=32)
def _attainment(ver, scope, org: str, year: int, series: str | None, _account) -> pd.DataFrame:
    return views.attainment_matrix(_year_seen(ver, scope, org, year, _account), series)


def attainment(org: str, year: int, series: str | None) -> pd.DataFrame:
    """Units × indicators the account may see: score / points."""
    signed = account()
    return _attainment(version(), scope(signed), org, year, series, signed)


def indicator_comparison(org: str, year: int, unit: str) -> pd.DataFrame:
    """A unit's indicators against its series' average."""
    return visible.indicator_comparison(cursor(), account(), _year(version(), org, year), unit)


def waterfall(org: str, year: int, unit: str, lang: str) -> pd.DataFrame:
    """From full points to a unit's composite, step by step."""
    return visible.waterfall(cursor(), account(), _year(version(), org, year), unit, lang)


# A download button calls its builder when clicked, on a thread outside the session: a builder takes
# the signed-in account and the data version when the page is drawn, and reads on a cursor of its own.

def _built(make):
    def build():
        cur = connection(database()).cursor()
        try:
            return make(cur)
        finally:
            cur.close()
    return build


def ledger_xlsx(org: str, year: int, unit: str, lang: str):
    """A builder of a unit's ledger workbook, for a download button (see `_built`)."""
    signed = account()
    return _built(lambda cur: visible.ledger_xlsx(cur, signed, org, year, unit, lang))


def feedback_window(org: str, year: int):
    """The year's open feedback window, or None."""
    return feedback.current(cursor(), org, year)


# ---------------------------------------------------------------- publications and scenarios

@st.cache_data(show_spinner=False, max_entries=32)
def _publication(ver, org: str, year: int):
    return publish.latest(cursor(), org, year)


def publication(org: str, year: int):
    """The latest publication of a year, or None."""
    return _publication(version(), org, year)


@st.cache_data(show_spinner=False, max_entries=32)
def _publications(ver, org: str, year: int) -> pd.DataFrame:
    return publish.history(cursor(), org, year)


def publications(org: str, year: int) -> pd.DataFrame:
    """Every publication of a year, newest first."""
    return _publications(version(), org, year)


def scenario_names(org: str, year: int) -> list[str]:
    return scenarios.names(cursor(), org, year)


def score_sheet(org: str, year: int, indicator: str) -> pd.DataFrame:
    """Every unit on one directly scored indicator: self-assessment and final score (read fresh: it is edited)."""
    from perfcore.workflow import assessment
    return assessment.score_sheet(cursor(), org, year, indicator, account())


# ---------------------------------------------------------------- accounts (the office)

def accounts_table() -> pd.DataFrame:
    """Every account (never a password), for the office."""
    access.require_office(account(), None, "管理账号", "manage accounts")
    return accounts.list_accounts(cursor())


def collectors(org: str, year: int) -> list[str]:
    """The data-collection units the year's indicator table names."""
    return access.collectors(cursor(), org, year)



# ---------------------------------------------------------------- feedback, appeals, reports (read fresh: they change often)

def appeals(org: str, year: int, open_only: bool = False) -> pd.DataFrame:
    """The year's appeals the account may see, newest first."""
    from perfcore.workflow import appeals as appeals_mod
    return appeals_mod.appeals(cursor(), org, year, account(), open_only)


def appeal_attachment(appeal_id: int):
    from perfcore.workflow import appeals as appeals_mod
    return appeals_mod.attachment(cursor(), appeal_id, account())


def filing_status(org: str, year: int, period: str) -> pd.DataFrame:
    """Who filed the period's progress report, and who is late (the office)."""
    from perfcore.workflow import reports
    access.require_office(account(), org, "查看报送情况", "see who filed")
    return reports.filing_status(cursor(), org, year, period)


def self_assessments(org: str, year: int) -> pd.DataFrame:
    """Self-assessed scores beside the final scores, as the account may see them."""
    from perfcore.workflow import assessment
    return assessment.side_by_side(cursor(), org, year, account())


def feedback_history(org: str, year: int) -> pd.DataFrame:
    return feedback.history(cursor(), org, year)


def notice(org: str, year: int, kind: str, lang: str):
    """A builder of the ranking notice (xlsx or pdf) as published (a draft before), for an account that
    sees the whole ranking, for a download button (see `_built`)."""
    signed, ver = account(), version()

    def make(cur):
        shown, frozen = publish.official(cur, org, year, _year(ver, org, year))
        return visible.notice(cur, signed, shown, lang, kind, publish.stamp(frozen, lang))
    return _built(make)


# ---------------------------------------------------------------- analyses (perfcore.insight, through present.visible)

def _scores(ver, org: str):
    """The organisation's scored years for an analysis: the cached official years, this session's cursor."""
    from perfcore.insight.scores import Scores
    return Scores(cursor(), org, official=lambda y: _year(ver, org, y))


@st.cache_data(show_spinner="正在分析… / Analysing…", max_entries=64)
def _change(ver, scope, org: str, year: int, unit: str, from_year: int | None, _account):
    return visible.change(cursor(), _account, _scores(ver, org), year, unit, from_year)


def change(org: str, year: int, unit: str, from_year: int | None = None):
    """Why a unit's composite and rank changed since `from_year` (insight.Change), as the account may see it."""
    signed = account()
    return _change(version(), scope(signed), org, year, unit, from_year, signed)


@st.cache_data(show_spinner="正在分析… / Analysing…", max_entries=64)
def _compare(ver, scope, org: str, year: int, unit_a: str, unit_b: str, _account):
    return visible.compare(cursor(), _account, _scores(ver, org), year, unit_a, unit_b)


def compare(org: str, year: int, unit_a: str, unit_b: str):
    """Why one unit is above another (insight.Comparison)."""
    signed = account()
    return _compare(version(), scope(signed), org, year, unit_a, unit_b, signed)


@st.cache_data(show_spinner="正在计算差距… / Working out the gap…", max_entries=64)
def _gap(ver, scope, org: str, year: int, unit: str, _account):
    simulator = _whatif(ver, org, year) if access.sees_everything(_account) else None
    return visible.gap(cursor(), _account, _scores(ver, org), year, unit, simulator)


def gap(org: str, year: int, unit: str):
    """What a unit would need for its next rank, series rank and grade (insight.Gap)."""
    signed = account()
    return _gap(version(), scope(signed), org, year, unit, signed)


ROBUSTNESS_DRAW_CHOICES = (1000, 2000, 5000, 10000)      # 分析 → 名次稳健性: how many draws, and the default
ROBUSTNESS_DRAWS = 2000
ROBUSTNESS_SPREAD = DEFAULT_SPREAD                      # the weights within ±25 % by default


@st.cache_data(show_spinner="正在抽样… / Drawing…", max_entries=32)
def _robustness(ver, scope, org: str, year: int, draws: int, spread: float, seed: int, basis: str,
                evaluation_spread: tuple, _account) -> pd.DataFrame:
    return visible.robustness(cursor(), _account, _year(ver, org, year), draws=draws, spread=spread, seed=seed, basis=basis,
                              evaluation_spread=dict(evaluation_spread) or None)


def robustness(org: str, year: int, draws: int, spread: float, seed: int = 1, basis: str = "rank",
               evaluation_spread: dict | None = None) -> pd.DataFrame:
    """Ranks and grades under uncertain weights (insight.robustness)."""
    signed = account()
    return _robustness(version(), scope(signed), org, year, int(draws), float(spread), int(seed), basis,
                       tuple(sorted((evaluation_spread or {}).items())), signed)


@st.cache_data(show_spinner="正在预测… / Projecting…", max_entries=16)
def _forecast(ver, scope, org: str, year: int, _account):
    return visible.forecast(cursor(), _account, _scores(ver, org), year)


def forecast(org: str, year: int):
    """The year in progress projected to its end, and who is at risk (insight.Forecast)."""
    signed = account()
    return _forecast(version(), scope(signed), org, year, signed)


def briefing(org: str, year: int, lang: str):
    """A builder of the leader's briefing PDF, for a download button (see `_built`): leaders and the office."""
    from perfcore.insight.scores import Scores
    from perfcore.present.briefing import briefing_pdf
    signed, ver = account(), version()
    if not access.sees_everything(signed):
        raise access.Forbidden("只有领导和效能办可以下载分析简报", "only leaders and the office may download the briefing")
    access.require_org(signed, org)
    return _built(lambda cur: briefing_pdf(Scores(cur, org, official=lambda y: _year(ver, org, y)), year, lang))
