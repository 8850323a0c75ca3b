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
"""
from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

import perfcore
from perfcore.engine import results as results_mod
from perfcore.engine import trace
from perfcore.engine.whatif import WhatIf
from perfcore.ingest import sources
from perfcore.present import views
from perfcore.store import connection as storage
from perfcore.store import queries
from perfcore.workflow import publish, scenarios

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
    return con


def cursor():
    """A cursor of the shared connection for this session."""
    key = f"_cursor::{database()}"
    if key not in st.session_state:
        st.session_state[key] = connection(database()).cursor()
    return st.session_state[key]


def version() -> tuple:
    """The database file and its data version: part of every cache key below."""
    return storage.data_version(cursor())


# ---------------------------------------------------------------- organisations and years

@st.cache_data(show_spinner=False, max_entries=32)
def _orgs(ver) -> list[str]:
    return results_mod.orgs(cursor())


def org_names() -> list[str]:
    return _orgs(version())


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


def default_year(org: str) -> int:
    """The year to open: the newest whose results are complete (else the newest). Scores the
    years newest first only as far as needed, not every year of the organisation."""
    years = sorted(org_years(org), reverse=True)
    for year in years:
        if not results_mod.in_progress(year_score(org, year).results):
            return year
    return years[0]


_WARMED: set = set()
_WARM_LOCK = threading.Lock()


def warm(org: str) -> None:
    """Score the organisation's other years in the background, once per data version, so that
    the history and movement pages find them ready (a page asking first waits for the same work)."""
    ver = version()
    with _WARM_LOCK:
        if (ver, org) in _WARMED:
            return
        if len(_WARMED) > 256:
            _WARMED.clear()
        _WARMED.add((ver, org))
    base = connection(database())

    def run():
        cur = base.cursor()
        try:
            for year in sorted(results_mod.years(cur, org), reverse=True):
                results_mod.base_results(cur, org, year, ver)
        finally:
            cur.close()
    threading.Thread(target=run, name=f"perfcore-warm-{org}", daemon=True).start()


def in_progress_years(org: str) -> set[int]:
    """Years still being collected (some component or direct score not yet given)."""
    return {y for y, frame in all_results(org).items() if results_mod.in_progress(frame)}


def rank_history(org: str, complete_only: bool = True) -> pd.DataFrame:
    """Long frame of every (complete) year's ranks: year, unit, series, rank, series_rank, composite, grade."""
    return views.rank_history(all_results(org), in_progress_years(org) if complete_only else ())


# ---------------------------------------------------------------- one year

@st.cache_resource(show_spinner=False, max_entries=6)
def _year(ver, org: str, year: int):
    return perfcore.score(connection(database()).cursor(), org, year)


def year_score(org: str, year: int):
    """The official result of a year, with history (shared, read-only)."""
    return _year(version(), org, year)


@st.cache_resource(show_spinner=False, max_entries=4)
def _whatif(ver, org: str, year: int) -> WhatIf:
    return WhatIf(connection(database()).cursor(), org, year, official=_year(ver, org, year))


def whatif(org: str, year: int) -> WhatIf:
    """The year's simulator (shared; simulations never touch stored data)."""
    return _whatif(version(), org, year)


@st.cache_data(show_spinner=False, max_entries=64)
def _explain(ver, org: str, year: int, unit: str, indicator: str | None) -> pd.DataFrame:
    frame = trace.explain(cursor(), org, year, unit, indicator)
    frame.attrs = dict(frame.attrs)
    return frame


def explain(org: str, year: int, unit: str, indicator: str | None = None) -> pd.DataFrame:
    """The lines behind a unit's score on one indicator or pool (or all)."""
    return _explain(version(), org, year, unit, indicator)


@st.cache_data(show_spinner=False, max_entries=16)
def _event_history(ver, org: str, year: int) -> pd.DataFrame:
    return views.event_history(_year(ver, org, year))


def event_history(org: str, year: int) -> pd.DataFrame:
    """Every counted event of the year with the amount it counted."""
    return _event_history(version(), org, year)


@st.cache_data(show_spinner=False, max_entries=16)
def _ledger(ver, org: str, year: int) -> pd.DataFrame:
    return queries.events(cursor(), org, year)


def ledger(org: str, year: int) -> pd.DataFrame:
    """The year's ledger as recorded (every status)."""
    return _ledger(version(), org, year)


@st.cache_data(show_spinner=False, max_entries=64)
def _unit_ledger(ver, org: str, year: int, unit: str) -> pd.DataFrame:
    return queries.events(cursor(), org, year, unit)


def unit_ledger(org: str, year: int, unit: str) -> pd.DataFrame:
    """One unit's records of the year, every status."""
    return _unit_ledger(version(), org, year, unit)


@st.cache_data(show_spinner=False, max_entries=16)
def _progress(ver, org: str, year: int) -> pd.DataFrame:
    return queries.progress(cursor(), org, year)


def progress(org: str, year: int) -> pd.DataFrame:
    """The year's progress reports."""
    return _progress(version(), org, year)


@st.cache_data(show_spinner=False, max_entries=32)
def _attainment(ver, org: str, year: int, series: str | None) -> pd.DataFrame:
    return views.attainment_matrix(_year(ver, org, year), series)


def attainment(org: str, year: int, series: str | None) -> pd.DataFrame:
    """Units × indicators: score / points."""
    return _attainment(version(), org, year, series)


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
