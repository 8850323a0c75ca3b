"""A year's evaluation, scored: the one entry point for official results.

    year = score(con, "示例区", 2025)
    year.results      one row per unit: components, composite, ranks, grade, veto, movement, consequences
    year.targets      one row per unit x indicator/pool: base, events' net, floor/ceiling, score
    year.components   the unweighted components per unit

A what-if (whatif.py) calls the same steps with a changed scheme or event set.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import grading

from . import scoring
from ..errors import NotFound
from .events import target_totals
from .scheme import Scheme, parse


@dataclass
class YearScore:
    org: str
    year: int
    scheme: Scheme
    units: pd.DataFrame
    indicators: pd.DataFrame
    targets: pd.DataFrame
    components: pd.DataFrame
    results: pd.DataFrame
    notes: list = field(default_factory=list)
    vetoes: dict = field(default_factory=dict)     # unit -> reason
    evaluations: pd.DataFrame | None = None


def years(con, org: str) -> list[int]:
    """Years with a scheme for this organisation, oldest first."""
    return [r[0] for r in con.execute("SELECT year FROM schemes WHERE org = ? ORDER BY year", [org]).fetchall()]


def orgs(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT org FROM orgs ORDER BY org").fetchall()]


def load_scheme(con, org: str, year: int) -> Scheme:
    """The stored scheme of an organisation and year."""
    row = con.execute("SELECT scheme_toml FROM schemes WHERE org = ? AND year = ?", [org, year]).fetchone()
    if row is None:
        if org not in orgs(con):
            raise NotFound(f"没有组织「{org}」", f"no organisation '{org}'")
        raise NotFound(f"组织「{org}」没有 {year} 年度的考评方案", f"organisation '{org}' has no scheme for {year}")
    return parse(row[0], f"{org}/{year}/考评方案.toml", org, year)


def _evaluations(con, org, year):
    return con.execute("SELECT unit, kind, aspect, score, max_score FROM evaluations WHERE org = ? AND year = ? AND NOT retired",
                       [org, year]).df()


def _direct(con, org, year):
    return con.execute("SELECT unit, indicator, score FROM indicator_scores WHERE org = ? AND year = ? AND NOT retired", [org, year]).df()


def _veto_table(con, org, year):
    return con.execute("SELECT unit, category, date, description, evidence FROM vetoes WHERE org = ? AND year = ? AND NOT retired "
                       "ORDER BY date", [org, year]).df()


def finish(units: pd.DataFrame, components: pd.DataFrame, vetoes: dict, scheme: Scheme) -> tuple[pd.DataFrame, list]:
    """Composite, veto, ranks and grades from component values (no history)."""
    frame = units[["unit", "series"]].merge(components, on="unit", how="left")
    frame["composite"] = scoring.composite(frame, scheme)
    frame["veto"] = frame["unit"].isin(list(vetoes))
    frame["veto_reason"] = frame["unit"].map(vetoes).fillna("")
    frame = grading.rank(frame)
    frame["grade"], notes = grading.assign_grades(frame, scheme)
    return frame, notes


def _veto_reasons(con, org, year, veto_events: pd.DataFrame) -> dict:
    reasons: dict[str, list] = {}
    for r in _veto_table(con, org, year).itertuples():
        reasons.setdefault(r.unit, []).append(f"{r.category}（{r.date:%Y-%m-%d}）" + (f"：{r.description}" if r.description else ""))
    for r in veto_events.itertuples():
        reasons.setdefault(r.unit, []).append(f"{r.rule}（事件 {r.event_id}，{pd.Timestamp(r.date):%Y-%m-%d}）")
    return {u: "；".join(v) for u, v in reasons.items()}


def score_base(con, org: str, year: int, scheme: Scheme | None = None, excluded: tuple = (),
               points: dict | None = None) -> YearScore:
    """Score one year without looking at other years."""
    scheme = scheme or load_scheme(con, org, year)
    units = scoring.active_units(con, org, year)
    indicators = scoring.indicator_table(con, org, year)
    if points:
        indicators = indicators.assign(points=indicators["indicator"].map(points).fillna(indicators["points"]))
    target_names = scoring.target_frame(indicators, scheme)["target"]
    totals, veto_events = target_totals(con, scheme, org, year, units["unit"], target_names, tuple(excluded))
    targets = scoring.target_scores(units, indicators, scheme, totals, _direct(con, org, year))
    evaluations = _evaluations(con, org, year)
    components = scoring.component_values(units, targets, evaluations, scheme)
    vetoes = _veto_reasons(con, org, year, veto_events)
    results, notes = finish(units, components, vetoes, scheme)
    return YearScore(org, year, scheme, units, indicators, targets, components, results, notes, vetoes, evaluations)


def history_depth(scheme: Scheme) -> int:
    """How many earlier years the movement and consequences need."""
    return max([1] + [c.years - 1 for c in scheme.consequences])


def score(con, org: str, year: int) -> YearScore:
    """The official result of a year, with last year's ranks, movement and consequences."""
    current = score_base(con, org, year)
    previous = []
    known = set(years(con, org))
    for back in range(1, history_depth(current.scheme) + 1):
        if year - back not in known:
            break
        previous.append(score_base(con, org, year - back).results)
    current.results = order(grading.with_history(current.results, previous, current.scheme))
    return current


def order(results: pd.DataFrame) -> pd.DataFrame:
    """Rank order, ties in pinyin order of the unit name."""
    from ..names import pinyin_key
    keyed = results.assign(_k=results["unit"].map(pinyin_key))
    return keyed.sort_values(["rank", "_k"], kind="mergesort").drop(columns="_k").reset_index(drop=True)


def public_columns(year: YearScore) -> list[str]:
    """Columns of the machine-readable result, component keys included."""
    comps = [c.key for c in year.scheme.components]
    return (["unit", "series"] + comps + ["composite", "rank", "series_rank", "grade", "veto", "veto_reason",
                                          "prev_rank", "prev_series_rank", "rank_change", "series_rank_change",
                                          "movement", "consequences", "reward", "missing"])


def table(year: YearScore, series: str | None = None) -> pd.DataFrame:
    """The result table for output, optionally one series."""
    frame = year.results[public_columns(year)]
    if series:
        frame = frame[frame["series"] == series]
    return frame.reset_index(drop=True)


def nan_to_none(value):
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
