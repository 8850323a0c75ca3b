"""From recorded events to what each one contributes, and the totals per unit and target.

The pipeline itself is `pipeline.run`, vectorised over the year's events (`eventset`); this
module turns its arrays into what callers need:

    year_events(con, scheme, org, year, units, targets)   the year's events and their amounts
    cell_totals(...)                                        per grid cell: net, deducted, added, count (+ synthetic lines)
    event_amounts(con, scheme, org, year, unit=None)        one line per counted event, every step, as a table

Synthetic lines for completion-ratio tiers (R21) and the above-average indicator-count bonus
(R20) come from the task items (指标任务) and join the events' totals and traces with the
same columns.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..vocab import SOURCE_LEVELS
from . import eventset, pipeline
from .scheme import Scheme

COLUMNS = ["event_id", "date", "unit", "target", "rule", "source_level", "count", "unit_amount", "base",
           "role_factor", "mitigation_factor", "mitigation_code", "mitigation_auto", "multiplier", "multipliers",
           "signed", "dedup", "superseded_by", "after_dedup", "rule_capped", "final", "veto", "synthetic"]
DEDUP_WORDS = np.array([None, "problem", "matter"], dtype=object)   # by pipeline.DEDUP_NONE / _PROBLEM / _MATTER


def year_events(con, scheme: Scheme, org: str, year: int, units, targets, unit: str | None = None,
                excluded: tuple = ()) -> tuple[eventset.EventSet, pipeline.Amounts]:
    """The year's events (for one unit, or all) and what the pipeline made of them."""
    events = eventset.load(con, scheme, org, year, units, targets, unit=unit)
    off = events.positions(excluded) if excluded else None
    return events, pipeline.run(events, scheme, targets, off=off)


def cell_totals(events, amounts, synthetic: pd.DataFrame, units, targets) -> dict:
    """Per grid cell (unit-major): net, deducted, added and number of lines, events and synthetic lines together."""
    n_u, n_t = len(units), len(targets)
    totals = amounts.cell_totals(events, n_u, n_t)
    if synthetic is not None and not synthetic.empty:
        u = pd.Index(list(units)).get_indexer(synthetic["unit"])
        c = pd.Index(list(targets)).get_indexer(synthetic["target"])
        ok = (u >= 0) & (c >= 0)
        at = (u * n_t + c)[ok]
        f = synthetic["final"].to_numpy(dtype=float)[ok]
        size = n_u * n_t
        totals["net"] = totals["net"] + np.bincount(at, weights=f, minlength=size)
        totals["deducted"] = totals["deducted"] + np.bincount(at, weights=np.clip(-f, 0, None), minlength=size)
        totals["added"] = totals["added"] + np.bincount(at, weights=np.clip(f, 0, None), minlength=size)
        totals["events"] = totals["events"] + np.bincount(at, minlength=size)
    return totals


def veto_events(events, amounts, scheme: Scheme, units) -> pd.DataFrame:
    """Counted events whose rule vetoes the unit (R22): unit, rule, event id, date, by unit and date."""
    pos = np.flatnonzero(amounts.veto)
    if not len(pos):
        return pd.DataFrame(columns=["unit", "rule", "event_id", "date"])
    rules = np.asarray([r.name for r in scheme.rules], dtype=object)
    frame = pd.DataFrame({"unit": np.asarray(list(units), dtype=object)[events.unit[pos]], "rule": rules[events.rule[pos]],
                          "event_id": events.ids()[pos], "date": events.dates(pos)})
    return frame.sort_values(["unit", "date"], kind="mergesort").reset_index(drop=True)


def multiplier_names(scheme: Scheme, hits: np.ndarray) -> np.ndarray:
    """For each event, the multipliers that applied, as the trace names them ('省市发现问题双倍扣分 ×2；…')."""
    labels = [f"{m.name} ×{m.factor:g}" for m in scheme.multipliers]
    if not labels or not len(hits):
        return np.full(len(hits), "", dtype=object)
    patterns, which = np.unique(hits, axis=0, return_inverse=True)   # few distinct combinations
    words = np.array(["；".join(lab for lab, hit in zip(labels, row) if hit) for row in patterns], dtype=object)
    return words[np.asarray(which).ravel()]


def lines(events, amounts, scheme: Scheme, units, targets, mask=None) -> pd.DataFrame:
    """One row per counted event (or per masked event), every step of the pipeline, in COLUMNS."""
    pos = np.flatnonzero(amounts.counted if mask is None else mask & amounts.counted)
    ids = events.ids()
    unit_names = np.asarray(list(units), dtype=object)
    target_names = np.asarray(list(targets), dtype=object)
    rules = np.asarray([r.name for r in scheme.rules], dtype=object)
    levels = np.asarray(list(SOURCE_LEVELS) + [None], dtype=object)
    code = amounts.mitigation_code[pos]
    frame = pd.DataFrame({
        "event_id": ids[pos], "date": events.dates(pos), "unit": unit_names[events.unit[pos]],
        "target": target_names[events.target[pos]], "rule": rules[events.rule[pos]], "source_level": levels[events.level[pos]],
        "count": events.count[pos], "unit_amount": amounts.unit_amount[pos], "base": amounts.base[pos],
        "role_factor": amounts.role_factor[pos], "mitigation_factor": amounts.mitigation_factor[pos],
        "mitigation_code": np.where(code >= 0, code, None).astype(object),
        "mitigation_auto": amounts.mitigation_auto[pos], "multiplier": amounts.multiplier[pos],
        "multipliers": multiplier_names(scheme, amounts.multiplier_hits[pos]), "signed": amounts.signed[pos],
        "dedup": DEDUP_WORDS[amounts.dedup[pos]],
        "superseded_by": np.where(amounts.superseded_by[pos] >= 0, ids[np.maximum(amounts.superseded_by[pos], 0)], None),
        "after_dedup": amounts.after_dedup[pos], "rule_capped": amounts.rule_capped[pos], "final": amounts.final[pos],
        "veto": amounts.veto[pos], "synthetic": False})
    return frame.sort_values(["unit", "target", "date", "event_id"], kind="mergesort").reset_index(drop=True)


def event_amounts(con, scheme: Scheme, org: str, year: int, unit: str | None = None,
                  excluded: tuple = ()) -> pd.DataFrame:
    """Every counted event of a year with its amount after each pipeline step, and the synthetic lines.

    `excluded` lists event ids switched off (what-if); `unit` limits to one unit.
    """
    from .scoring import active_units, indicator_table, target_frame
    units = active_units(con, org, year)["unit"]
    targets = target_frame(indicator_table(con, org, year), scheme)["target"]
    events, amounts = year_events(con, scheme, org, year, units, targets, unit=unit, excluded=excluded)
    frame = lines(events, amounts, scheme, units, targets)
    synthetic = synthetic_lines(con, scheme, org, year, unit)
    if not synthetic.empty:
        frame = pd.concat([frame, synthetic], ignore_index=True)
    return frame


def tier_points(ratio: float, tiers) -> float:
    """Points for one completion ratio under a tier table (R21, bounds per A6)."""
    for t in tiers:
        if t.min is None or ratio > t.min + 1e-12 or (t.inclusive and ratio >= t.min - 1e-12):
            return t.points
    return 0.0


def count_bonus_items(n_items: int, average: float, how: str) -> int:
    """R20 / A7: how many items above the average earn the bonus."""
    if n_items <= average:
        return 0
    return n_items - math.floor(average) if how == "floor" else math.floor(n_items - average)


def synthetic_lines(con, scheme: Scheme, org: str, year: int, unit: str | None = None) -> pd.DataFrame:
    """Lines for completion-ratio tiers and the above-average bonus, from assignments."""
    rules = [r for r in scheme.indicator_rules if r.ratio_tiers or r.count_bonus_per_item]
    if not rules:
        return pd.DataFrame(columns=COLUMNS)
    assign = con.execute("SELECT unit, indicator, item, target_value, actual_value FROM assignments "
                         "WHERE org = ? AND year = ? AND NOT retired ORDER BY unit, indicator, item", [org, year]).df()
    rows = []
    date = pd.Timestamp(year=year, month=12, day=31)
    for ir in rules:
        part = assign[assign["indicator"] == ir.indicator]
        if ir.ratio_tiers:
            tiers = scheme.tier_tables[ir.ratio_tiers]
            for r in part.itertuples():
                if unit is not None and r.unit != unit:
                    continue
                if pd.isna(r.actual_value) or pd.isna(r.target_value):
                    continue
                ratio = r.actual_value / r.target_value
                pts = tier_points(ratio, tiers)
                rows.append(_synthetic(f"完成率:{r.item}", date, r.unit, ir.indicator, ir.ratio_tiers, pts,
                                       f"{r.item}：完成 {r.actual_value:g}/{r.target_value:g} = {ratio:.2%}"))
        if ir.count_bonus_per_item:
            counts = part.groupby("unit")["item"].count()
            units_all = con.execute("SELECT count(*) FROM units WHERE org = ? AND NOT retired AND (first_year IS NULL OR first_year <= ?) "
                                    "AND (last_year IS NULL OR last_year >= ?)", [org, year, year]).fetchone()[0]
            if not units_all:
                continue
            average = counts.sum() / units_all
            for u, n in counts.items():
                if unit is not None and u != unit:
                    continue
                extra = count_bonus_items(int(n), average, ir.count_average)
                if extra:
                    rows.append(_synthetic("承担指标数", date, u, ir.indicator, "承担指标数高于平均数",
                                           extra * ir.count_bonus_per_item,
                                           f"承担 {n} 项，平均 {average:.2f} 项，多 {extra} 项 × {ir.count_bonus_per_item:g}"))
    return pd.DataFrame(rows, columns=COLUMNS + ["detail"])


def _synthetic(event_id, date, unit, target, rule, points, detail) -> dict:
    return {"event_id": event_id, "date": date, "unit": unit, "target": target, "rule": rule, "source_level": "本级",
            "count": 1.0, "unit_amount": abs(points), "base": abs(points), "role_factor": 1.0, "mitigation_factor": 1.0,
            "mitigation_code": None, "mitigation_auto": False, "multiplier": 1.0, "multipliers": "", "signed": points,
            "dedup": None, "superseded_by": None, "after_dedup": points, "rule_capped": False, "final": points,
            "veto": False, "synthetic": True, "detail": detail}


def cells_of(frame: pd.DataFrame, units: list, targets: list, target_col: str = "target") -> pd.Series:
    """Grid positions of rows keyed by unit and target names (-1 where unknown)."""
    u = pd.Index(list(units)).get_indexer(frame["unit"])
    t = pd.Index(list(targets)).get_indexer(frame[target_col])
    return pd.Series(np.where((u >= 0) & (t >= 0), u * len(targets) + t, -1), index=frame.index)
