"""From recorded events to what each one contributes, and the totals per unit and target.

The pipeline itself is `pipeline.run`, vectorised over the year's events (`eventset`); this
module turns its arrays into what callers need:

    year_events(con, scheme, org, year, units, targets)   the year's events and their amounts
    cell_totals(...)                                        per grid cell: net, deducted, added, count (+ synthetic lines)
    event_amounts(con, scheme, org, year, unit=None)        one line per counted event, every step, as a table

Synthetic lines for completion-ratio tiers (R21), the above-average indicator-count bonus
(R20) and the progress score (R30) come from the task items (指标任务), rank-position points
(R21b) from the outside rankings (外部排名); they join the events' totals and traces with the
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


_NO_LINES = pd.DataFrame(columns=COLUMNS + ["detail", "detail_en", "per_point"])   # a year without synthetic lines (copied)


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
    """Lines computed from tables rather than recorded one by one: completion-ratio tiers (R21) and the
    above-average bonus (R20) from the task items, the progress score (R30) from this year's against
    last year's values, and rank-position points (R21b) from the outside rankings."""
    rules = [r for r in scheme.indicator_rules if r.ratio_tiers or r.count_bonus_per_item or r.change_tiers or r.shares]
    if not rules and not scheme.rank_rules:
        return _NO_LINES.copy()
    rows = []
    date = pd.Timestamp(year=year, month=12, day=31)
    if rules:
        assign = con.execute("SELECT unit, indicator, item, target_value, actual_value, prior_value FROM assignments "
                             "WHERE org = ? AND year = ? AND NOT retired ORDER BY unit, indicator, item", [org, year]).df()
        if unit is not None:
            assign_all, assign = assign, assign[assign["unit"] == unit]
        else:
            assign_all = assign
        points = dict(con.execute("SELECT indicator, points FROM indicators WHERE org = ? AND year = ? AND NOT retired",
                                  [org, year]).fetchall())
    for ir in rules:
        part = assign[assign["indicator"] == ir.indicator]
        if ir.ratio_tiers:
            tiers = scheme.tier_tables[ir.ratio_tiers]
            for r in part.itertuples():
                if pd.isna(r.actual_value) or pd.isna(r.target_value):
                    continue
                ratio = r.actual_value / r.target_value
                pts = tier_points(ratio, tiers)
                rows.append(_synthetic(f"完成率:{r.item}", date, r.unit, ir.indicator, ir.ratio_tiers, pts,
                                       f"{r.item}：完成 {r.actual_value:g}/{r.target_value:g} = {ratio:.2%}",
                                       f"{r.item}: done {r.actual_value:g}/{r.target_value:g} = {ratio:.2%}"))
        if ir.change_tiers:
            rows.extend(_change_tier_lines(part, ir, scheme.tier_tables[ir.change_tiers], date))
        if ir.shares:
            rows.extend(_share_lines(part, ir, float(points.get(ir.indicator, 0.0)), date))
        if ir.count_bonus_per_item:
            counts = assign_all[assign_all["indicator"] == ir.indicator].groupby("unit")["item"].count()
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
                                           f"承担 {n} 项，平均 {average:.2f} 项，多 {extra} 项 × {ir.count_bonus_per_item:g}",
                                           f"{n} items, {average:.2f} on average, {extra} above it × {ir.count_bonus_per_item:g}"))
    if scheme.rank_rules:
        rows.extend(_rank_lines(con, scheme, org, year, unit, date))
    frame = pd.DataFrame(rows, columns=COLUMNS + ["detail", "detail_en", "per_point"])
    frame["per_point"] = [x is True for x in frame["per_point"]]
    return frame


def item_change(actual, prior, measure: str) -> float | None:
    """R30: this year's value against last year's; None where it cannot be measured (a value
    missing, or a relative change from 0)."""
    if actual is None or prior is None or pd.isna(actual) or pd.isna(prior):
        return None
    if measure == "absolute":
        return float(actual - prior)
    if prior <= 0:
        return None
    return float((actual - prior) / prior)


def _change_words(change: float | None, measure: str, lang: str = "zh") -> str:
    if lang != "zh":
        if change is None:
            return "no comparable value last year"
        return (f"{'up' if change >= 0 else 'down'} {abs(change):.2%} on last year" if measure == "relative"
                else f"{change:+g} on last year")
    if change is None:
        return "无可比的上年完成值"
    return f"比上年{'增' if change >= 0 else '减'} {abs(change):.2%}" if measure == "relative" else f"比上年 {change:+g}"


def _change_tier_lines(part: pd.DataFrame, ir, tiers, date) -> list[dict]:
    """R30 by tiers: each task item earns the points of its change's tier (no line value where the
    change cannot be measured, but a line saying so)."""
    out = []
    for r in part.itertuples():
        change = item_change(r.actual_value, r.prior_value, ir.change_measure)
        pts = 0.0 if change is None else tier_points(change, tiers)
        prior = "—" if pd.isna(r.prior_value) else f"{r.prior_value:g}"
        actual = "—" if pd.isna(r.actual_value) else f"{r.actual_value:g}"
        out.append(_synthetic(f"进步:{r.item}", date, r.unit, ir.indicator, ir.change_tiers, pts,
                              f"{r.item}：上年 {prior}，本年 {actual}，{_change_words(change, ir.change_measure)}"
                              + ("，不计进步分" if change is None else ""),
                              f"{r.item}: {prior} last year, {actual} this year, {_change_words(change, ir.change_measure, 'en')}"
                              + ("; no progress points" if change is None else "")))
    return out


def _share_lines(part: pd.DataFrame, ir, points: float, date) -> list[dict]:
    """R30 by shares: of the indicator's points, `completion_share` is earned by completion
    (min(完成值/目标值, 1), averaged over the unit's items) and `improvement_share` by improvement
    (min(change / improvement_full, 1), at least 0, averaged over the items whose change can be
    measured). One line per item; the lines of a unit add up to its score on the indicator."""
    out = []
    cs, share = ir.completion_share or 0.0, ir.improvement_share or 0.0
    for u, items in part.groupby("unit", sort=True):
        changes = [item_change(a, p, ir.change_measure) for a, p in zip(items["actual_value"], items["prior_value"])]
        n, m = len(items), sum(c is not None for c in changes)
        for r, change in zip(items.itertuples(), changes):
            done = 0.0 if pd.isna(r.actual_value) or pd.isna(r.target_value) or r.target_value <= 0 \
                else min(r.actual_value / r.target_value, 1.0)
            completion = points * cs * done / n
            actual = '—' if pd.isna(r.actual_value) else f'{r.actual_value:g}'
            target = '—' if pd.isna(r.target_value) else f'{r.target_value:g}'
            words = [f"{r.item}：完成 {actual}/{target}（计 {done:.0%}）× {cs:g} × {points:g} ÷ {n} 项 = {completion:.2f}"]
            words_en = [f"{r.item}: done {actual}/{target} (counts {done:.0%}) × {cs:g} × {points:g} ÷ {n} items = {completion:.2f}"]
            improvement = 0.0
            if share:
                if change is None:
                    words.append(f"{_change_words(None, ir.change_measure)}，不计进步分")
                    words_en.append(f"{_change_words(None, ir.change_measure, 'en')}: no progress points")
                else:
                    reached = min(max(change / ir.improvement_full, 0.0), 1.0)
                    improvement = points * share * reached / m
                    full = f"{ir.improvement_full:.0%}" if ir.change_measure == "relative" else f"{ir.improvement_full:g}"
                    words.append(f"{_change_words(change, ir.change_measure)}（进步 {full} 得满分，计 {reached:.0%}）"
                                 f"× {share:g} × {points:g} ÷ {m} 项 = {improvement:.2f}")
                    words_en.append(f"{_change_words(change, ir.change_measure, 'en')} (full points at {full}, counts "
                                    f"{reached:.0%}) × {share:g} × {points:g} ÷ {m} items = {improvement:.2f}")
            line = _synthetic(f"完成及进步:{r.item}", date, u, ir.indicator, "完成及进步情况", completion + improvement,
                              "；".join(words), "; ".join(words_en))
            line["per_point"] = True
            out.append(line)
    return out


def _rank_lines(con, scheme: Scheme, org: str, year: int, unit: str | None, date) -> list[dict]:
    """R21b: points for each unit's place in an outside ranking, by the scheme's rank_rule."""
    frame = con.execute("SELECT unit, ranking, position, ranked FROM outside_ranks WHERE org = ? AND year = ? AND NOT retired "
                        "ORDER BY ranking, unit", [org, year]).df()
    out = []
    for r in frame.itertuples():
        rule = scheme.rank_rule(r.ranking)
        if rule is None or (unit is not None and r.unit != unit):
            continue
        ranked = None if pd.isna(r.ranked) else int(r.ranked)
        pts = rule.points(int(r.position), ranked)
        of = f"（共 {ranked} 名）" if ranked is not None else ""
        of_en = f" of {ranked}" if ranked is not None else ""
        out.append(_synthetic(f"名次:{r.ranking}", date, r.unit, rule.target, r.ranking, pts,
                              f"{r.ranking}第 {int(r.position)} 名{of}" + ("" if pts else "，不在计分名次内"),
                              f"{r.ranking}: place {int(r.position)}{of_en}" + ("" if pts else ", outside the places that score")))
    return out


def _synthetic(event_id, date, unit, target, rule, points, detail, detail_en) -> dict:
    """A computed line with the columns of an event's (COLUMNS), how it was reached in both languages."""
    return {"event_id": event_id, "date": date, "unit": unit, "target": target, "rule": rule, "source_level": "本级",
            "count": 1.0, "unit_amount": abs(points), "base": abs(points), "role_factor": 1.0, "mitigation_factor": 1.0,
            "mitigation_code": None, "mitigation_auto": False, "multiplier": 1.0, "multipliers": "", "signed": points,
            "dedup": None, "superseded_by": None, "after_dedup": points, "rule_capped": False, "final": points,
            "veto": False, "synthetic": True, "detail": detail, "detail_en": detail_en}


def cells_of(frame: pd.DataFrame, units: list, targets: list, target_col: str = "target") -> pd.Series:
    """Grid positions of rows keyed by unit and target names (-1 where unknown)."""
    u = pd.Index(list(units)).get_indexer(frame["unit"])
    t = pd.Index(list(targets)).get_indexer(frame[target_col])
    return pd.Series(np.where((u >= 0) & (t >= 0), u * len(targets) + t, -1), index=frame.index)
