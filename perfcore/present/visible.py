"""What an account may see, as the frames, traces and files the screens show.

The app reads records, results, traces, ledgers and exports only through these functions,
each of which takes the acting account (access.py says what it may see) and returns nothing
else: a unit account gets its own records and trace, the published ranking (its own row
while the feedback window is open) and nothing of another unit's records; a collector gets its
indicators' records and scores for every unit. So no page, URL parameter, download or cached
frame can show more than the account may see. Office and leader accounts see everything.

    year = visible.year(con, account, perfcore.score(con, org, 2025))
    lines = visible.explain(con, account, org, 2025, unit)
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .. import access
from ..access import Account, Forbidden
from ..engine import scoring, trace
from ..engine.results import YearScore
from ..store import queries
from . import export, views


def year(con, account: Account, ys: YearScore) -> YearScore:
    """The year as the account may see it: every row for the office and leaders; else the results
    it may see (all, its own or none), and the grid's rows and columns of its own unit or indicators
    only. The year's events, amounts and inputs are left out (records come through `ledger`)."""
    access.require_org(account, ys.org)
    if access.sees_everything(account):
        return ys
    results = access.filter_results(con, account, ys.org, ys.year, ys.results)
    components = ys.components[ys.components["unit"].isin(results["unit"])]
    grid = _grid_part(con, account, ys)
    return dataclasses.replace(ys, results=results.reset_index(drop=True), components=components.reset_index(drop=True),
                               grid=grid, inputs=None, amounts=None,
                               vetoes={u: r for u, r in ys.vetoes.items() if u in set(results["unit"])},
                               evaluations=None if ys.evaluations is None else
                               ys.evaluations[ys.evaluations["unit"].isin(results["unit"])])


def _grid_part(con, account: Account, ys: YearScore) -> scoring.Grid:
    g = ys.grid
    rows = np.arange(len(g.units))
    cols = np.arange(len(g.targets))
    if account.role == "unit":
        rows = np.flatnonzero(g.units == account.unit)
    else:
        mine = access.visible_targets(con, account, ys.org, ys.year) or set()
        cols = np.flatnonzero(g.targets["target"].isin(mine).to_numpy())
    take = np.ix_(rows, cols)
    return scoring.Grid(units=g.units[rows], targets=g.targets.iloc[cols].reset_index(drop=True),
                        **{f: getattr(g, f)[take] for f in ("net", "deducted", "added", "events", "direct", "base",
                                                             "base_source", "raw", "score")})


def units(con, account: Account, ys: YearScore) -> list[str]:
    """The units whose profile the account may open (pinyin order)."""
    from ..names import sort_names
    if access.sees_everything(account):
        return sort_names(ys.units["unit"])
    if account.role == "unit" and account.unit in set(ys.units["unit"]) and \
            access.results_visibility(con, account, ys.org, ys.year) != "none":
        return [account.unit]
    return []


def ledger(con, account: Account, org: str, year_: int, unit: str | None = None) -> pd.DataFrame:
    """A year's records (of one unit, or all) that the account may see, every status."""
    if unit is not None and account.role == "unit":
        access.require_unit(con, account, org, year_, unit)
    if account.role == "unit" and unit is None:
        unit = account.unit
    return access.filter_records(con, account, org, year_, queries.events(con, org, year_, unit))


def explain(con, account: Account, org: str, year_: int, unit: str, indicator: str | None = None,
            scored: YearScore | None = None) -> pd.DataFrame:
    """The trace of a unit's score (one indicator or all), if the account may see it: a unit its own,
    a collector its indicators. `scored`: the year's official result, from the same data (trace.explain)."""
    access.require_org(account, org)
    if access.sees_everything(account) or (account.role == "unit" and account.unit == unit):
        return trace.explain(con, org, year_, unit, indicator, scored=scored)
    mine = access.visible_targets(con, account, org, year_) or set()
    if indicator is not None and indicator in mine:
        return trace.explain(con, org, year_, unit, indicator, scored=scored)
    if indicator is None and mine:
        lines = trace.explain(con, org, year_, unit, scored=scored)
        kept = lines[lines["target"].isin(mine)]
        kept.attrs = {k: {t: v for t, v in d.items() if t in mine} for k, d in lines.attrs.items()}
        return kept
    raise Forbidden(f"该账号不能查看「{unit}」的得分明细", f"this account may not see the trace of '{unit}'")


def event_history(con, account: Account, ys: YearScore) -> pd.DataFrame:
    """Every counted event of the year the account may see, with what it counted."""
    return access.filter_records(con, account, ys.org, ys.year, views.event_history(ys))


def indicator_comparison(con, account: Account, ys: YearScore, unit: str) -> pd.DataFrame:
    """A unit's indicators against its series' average (an average, never another unit's row)."""
    if unit not in units(con, account, ys):
        raise Forbidden(f"该账号不能查看「{unit}」", f"this account may not see '{unit}'")
    return views.indicator_comparison(ys, unit)


def waterfall(con, account: Account, ys: YearScore, unit: str, lang: str = "zh") -> pd.DataFrame:
    if unit not in units(con, account, ys):
        raise Forbidden(f"该账号不能查看「{unit}」", f"this account may not see '{unit}'")
    return views.waterfall(ys, unit, lang)


def results_by_year(con, account: Account, org: str, by_year: dict) -> dict:
    """Each year's results (year → frame) as the account may see them (movement, history)."""
    if access.sees_everything(account):
        return by_year
    return {y: access.filter_results(con, account, org, y, frame) for y, frame in by_year.items()}


def progress(con, account: Account, org: str, year_: int) -> pd.DataFrame:
    """The year's progress reports the account may see (a unit its own, a collector its indicators)."""
    return access.filter_records(con, account, org, year_, queries.progress(con, org, year_), target_col="indicator")


def notice(con, account: Account, ys: YearScore, lang: str, kind: str, stamp: str | None) -> bytes:
    """The ranking notice (xlsx or pdf) of a year as published (or draft) — only for an account that may
    see the whole ranking."""
    if access.results_visibility(con, account, ys.org, ys.year) != "all":
        raise Forbidden("该账号不能导出排名通报", "this account may not export the ranking notice")
    return export.notice_xlsx(ys, lang, stamp) if kind == "xlsx" else export.notice_pdf(ys, lang, stamp)


def ledger_xlsx(con, account: Account, org: str, year_: int, unit: str, lang: str = "zh") -> bytes:
    """A unit's ledger as a workbook, for an account that may see that unit's records."""
    access.require_unit(con, account, org, year_, unit)
    return export.ledger_xlsx(con, org, year_, unit, lang)


# ---------------------------------------------------------------- analyses (perfcore.insight)

def _analysis_scope(con, account: Account, org: str, year_: int, unit: str | None = None) -> str:
    """How much of an analysis of `unit` in `year_` the account may see: 'all' (office, leaders, and a unit's
    own analyses of a published year) or 'own' (a unit's own, during its feedback window: nothing that names
    or reveals another unit). Refuses collectors, other units' analyses and years the account may not see."""
    access.require_org(account, org)
    if access.sees_everything(account):
        return "all"
    if account.role != "unit":
        raise Forbidden("数据采集单位账号不能查看综合得分分析", "a data-collection account may not see analyses of composites")
    if unit is not None and unit != account.unit:
        raise Forbidden(f"该账号只能查看本单位的分析，不能查看「{unit}」", f"this account sees its own unit's analyses only, not '{unit}'")
    seen = access.results_visibility(con, account, org, year_)
    if seen == "none":
        raise Forbidden(f"{year_} 年度结果尚未向本单位公开", f"the {year_} results are not open to this unit yet")
    return seen


def change(con, account: Account, scores, year_: int, unit: str, from_year: int | None = None):
    """Why a unit's composite changed (insight.change), if the account may see both years of it."""
    from ..insight.change import OVERTAKE_COLUMNS, change as explain_change
    seen = _analysis_scope(con, account, scores.org, year_, unit)
    earlier = year_ - 1 if from_year is None else from_year
    if scores.has(earlier):
        _analysis_scope(con, account, scores.org, earlier, unit)
    result = explain_change(scores, year_, unit, from_year)
    if seen == "own":      # the feedback window: who overtook whom names other units' results
        result = dataclasses.replace(result, overtakes=pd.DataFrame(columns=OVERTAKE_COLUMNS))
    return result


def compare(con, account: Account, scores, year_: int, unit_a: str, unit_b: str):
    """Why one unit is above another (insight.compare): both units' records, so the office and leaders only."""
    from ..insight.compare import compare as compare_units
    _analysis_scope(con, account, scores.org, year_, unit_a)
    _analysis_scope(con, account, scores.org, year_, unit_b)
    return compare_units(scores, year_, unit_a, unit_b)


def gap(con, account: Account, scores, year_: int, unit: str, simulator=None):
    """What a unit would need (insight.gap). During feedback a unit sees only what names no other unit:
    the points to a threshold grade."""
    from ..insight.gap import gap as unit_gap
    seen = _analysis_scope(con, account, scores.org, year_, unit)
    result = unit_gap(scores, year_, unit, simulator)
    if seen == "own":
        why = ("反馈期内不显示与其他单位的差距", "not shown during the feedback window (it reveals other units' scores)")
        result.next_rank = result.next_series_rank = None
        result.reasons.update({"next_rank": why, "next_series_rank": why})
        if result.next_grade is not None and result.next_grade.get("boundary") == "forced":
            result.next_grade = None
            result.reasons["next_grade"] = why
    return result


def robustness(con, account: Account, ys: YearScore, **settings) -> pd.DataFrame:
    """How sure the ranking is (insight.robustness): every unit for the office and leaders; a unit its own row
    of a published year."""
    from ..insight.robustness import robustness as rank_robustness
    seen = _analysis_scope(con, account, ys.org, ys.year)
    if seen != "all":
        raise Forbidden("反馈期内不显示排名稳健性", "ranking robustness is not shown during the feedback window")
    table = rank_robustness(ys, **settings)
    return table if access.sees_everything(account) else table[table["unit"] == account.unit].reset_index(drop=True)


def forecast(con, account: Account, scores, year_: int, **settings):
    """Where the year is heading (insight.forecast): the office and leaders (a year in progress is nobody else's yet)."""
    from ..insight.forecast import forecast as year_forecast
    access.require_org(account, scores.org)
    if not access.sees_everything(account):
        raise Forbidden("只有领导和效能办可以查看预警分析", "only leaders and the office see the early warning")
    return year_forecast(scores, year_, progress=queries.progress(con, scores.org, year_), **settings)
