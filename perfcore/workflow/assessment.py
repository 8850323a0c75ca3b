"""Self-assessment (自评) and the final scores of directly scored indicators.

S3: the evaluated unit first assesses itself on its performance indicators ("先行开展自评"),
then the data-collection unit responsible scores them ("各数据采集责任单位…组织评估打分").
The scheme names the self-assessed indicators (`indicators.self_assessed`, each directly
scored). A unit enters its own score and notes; the collector (or the office) enters the final
score, which is what counts; screens show both side by side. Both are versioned and audited.
Final scores go through the same checks as an imported 指标评分 table.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..access import actor, filter_records, require_own_unit
from ..engine.results import load_scheme
from ..errors import PerfcoreError
from ..ingest import importer
from ..store import versions
from ..store.audit import audit
from ..store.connection import transaction

KEY = ("unit", "indicator")


def _points(con, org: str, year: int, indicator: str) -> float:
    row = con.execute("SELECT points FROM indicators WHERE org = ? AND year = ? AND indicator = ? AND NOT retired",
                      [org, year, indicator]).fetchone()
    if row is None:
        raise PerfcoreError(f"{year} 年度没有指标「{indicator}」 / no indicator '{indicator}' in {year}")
    return float(row[0])


def save_self(con, org: str, year: int, unit: str, indicator: str, score: float, note: str | None, who,
              via: str = "page") -> None:
    """A unit's own score on a self-assessed indicator (a second save keeps the first as a version)."""
    account = actor(who)
    require_own_unit(account, org, unit, "填写自评", "enter a self-assessment")
    if indicator not in load_scheme(con, org, year).self_assessed:
        raise PerfcoreError(f"「{indicator}」不是自评指标 / '{indicator}' is not self-assessed")
    top = _points(con, org, year, indicator)
    try:
        score = float(score)
    except (TypeError, ValueError):
        raise PerfcoreError(f"自评得分应为数字，而不是「{score}」 / the self-assessed score must be a number, not '{score}'")
    if not 0 <= score <= top:
        raise PerfcoreError(f"自评得分应在 0–{top:g} 之间 / the self-assessed score must be between 0 and {top:g}")
    row = {"unit": unit, "indicator": indicator, "score": score, "note": (note or "").strip() or None}
    now = dt.datetime.now()
    with transaction(con):
        old = con.execute("SELECT * FROM self_assessments WHERE org = ? AND year = ? AND unit = ? AND indicator = ?",
                          [org, year, unit, indicator]).df()
        before = None
        if old.empty:
            versions.insert(con, "self_assessments", org, year, row, account.name, now)
        else:
            before = {k: (None if isinstance(v, float) and v != v else v) for k, v in old.iloc[0].to_dict().items()}
            if before["score"] == score and before["note"] == row["note"] and not before["retired"]:
                return
            versions.supersede(con, "self_assessments", KEY, org, year, before, row, account.name, now=now)
        audit(con, account.name, "self-assess", org, year, "self_assessment", f"{unit} / {indicator}",
              None if before is None else {"score": before["score"], "note": before["note"]},
              {"score": score, "note": row["note"]}, None, via)


def set_scores(con, org: str, year: int, entries: list[dict], who, via: str = "page") -> int:
    """Final scores (unit, indicator, score[, scorer]) of directly scored indicators, checked like an
    imported 指标评分 table; a collector only on its own indicators. Returns the number of changes."""
    account = actor(who)
    rows = [{"unit": e["unit"], "indicator": e["indicator"], "score": str(e["score"]),
             "scorer": e.get("scorer") or account.collector or account.name} for e in entries]
    plan = importer.plan_entries(con, "indicator_scores", org, year, rows, "评分录入 / scores entered")
    return importer.apply_import(con, plan, account, why="评分录入 / scores entered", via=via)


def side_by_side(con, org: str, year: int, who) -> pd.DataFrame:
    """For each unit and self-assessed indicator the account may see: the unit's own score and
    notes beside the final score (NaN where not yet given)."""
    account = actor(who)
    scheme = load_scheme(con, org, year)
    names = list(scheme.self_assessed)
    if not names:
        return pd.DataFrame(columns=["unit", "indicator", "points", "self_score", "self_note", "final_score", "scorer"])
    units = con.execute("SELECT unit FROM units WHERE org = ? AND NOT retired AND (first_year IS NULL OR first_year <= ?) "
                        "AND (last_year IS NULL OR last_year >= ?)", [org, year, year]).df()
    points = con.execute("SELECT indicator, points FROM indicators WHERE org = ? AND year = ? AND NOT retired",
                         [org, year]).df()
    grid = units.merge(pd.DataFrame({"indicator": names}), how="cross").merge(points, on="indicator", how="left")
    own = con.execute("SELECT unit, indicator, score AS self_score, note AS self_note FROM self_assessments "
                      "WHERE org = ? AND year = ? AND NOT retired", [org, year]).df()
    final = con.execute("SELECT unit, indicator, score AS final_score, scorer FROM indicator_scores "
                        "WHERE org = ? AND year = ? AND NOT retired", [org, year]).df()
    frame = grid.merge(own, on=KEY, how="left").merge(final, on=KEY, how="left")
    frame = filter_records(con, account, org, year, frame, target_col="indicator")
    from ..names import pinyin_ordinal
    import numpy as np
    order = np.lexsort((frame["indicator"].map(names.index).to_numpy(), pinyin_ordinal(frame["unit"])))
    return frame.iloc[order].reset_index(drop=True)


def score_sheet(con, org: str, year: int, indicator: str, who) -> pd.DataFrame:
    """Every unit evaluated in the year on one directly scored indicator: its points, the unit's
    self-assessment (where the scheme asks for one) and the final score so far — for an account
    that may score the indicator (its collector, or the office)."""
    account = actor(who)
    from ..access import require_record
    require_record(con, account, org, year, indicator)
    top = _points(con, org, year, indicator)
    units = con.execute("SELECT unit, series FROM units WHERE org = ? AND NOT retired AND (first_year IS NULL OR first_year <= ?) "
                        "AND (last_year IS NULL OR last_year >= ?)", [org, year, year]).df()
    own = con.execute("SELECT unit, score AS self_score, note AS self_note FROM self_assessments "
                      "WHERE org = ? AND year = ? AND indicator = ? AND NOT retired", [org, year, indicator]).df()
    final = con.execute("SELECT unit, score AS final_score, scorer FROM indicator_scores "
                        "WHERE org = ? AND year = ? AND indicator = ? AND NOT retired", [org, year, indicator]).df()
    frame = units.merge(own, on="unit", how="left").merge(final, on="unit", how="left")
    frame.insert(2, "points", top)
    from ..names import pinyin_ordinal
    return frame.iloc[pinyin_ordinal(frame["unit"]).argsort(kind="stable")].reset_index(drop=True)
