"""Indicator and pool scores, components and the composite.

Each step is a function of frames and the scheme, so the official result and
a what-if run through exactly the same code:

    target_scores(...)     per unit x indicator/pool: base, net events, floor/ceiling (R6, R12, R17)
    component_values(...)  per unit: each component of the scheme (R1-R3, A11)
    composite(...)         weighted sum, rounded to the scheme's decimals (A5)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .scheme import Scheme


def active_units(con, org: str, year: int) -> pd.DataFrame:
    """Units evaluated in a year, with their series."""
    return con.execute(
        "SELECT unit, series, level, principal, leader_in_charge FROM units WHERE org = ? AND NOT retired "
        "AND (first_year IS NULL OR first_year <= ?) AND (last_year IS NULL OR last_year >= ?) ORDER BY unit",
        [org, year, year]).df()


def indicator_table(con, org: str, year: int) -> pd.DataFrame:
    """The year's indicator tree, in the office's order."""
    return con.execute("SELECT * EXCLUDE (org, year) FROM indicators WHERE org = ? AND year = ? AND NOT retired ORDER BY ord",
                       [org, year]).df()


def target_frame(indicators: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The targets of a year in grid order: indicators in the office's order, then the pools."""
    ind = indicators[["indicator", "category", "first_level", "points", "mode", "allow_overflow"]].rename(
        columns={"indicator": "target"}).assign(is_pool=False, pool_kind=None)
    pools = pd.DataFrame([{"target": p.name, "category": "", "first_level": "", "points": np.nan, "mode": "pool",
                           "allow_overflow": False, "is_pool": True, "pool_kind": p.kind} for p in scheme.pools],
                         columns=list(ind.columns))
    return (pd.concat([ind, pools], ignore_index=True) if len(pools) else ind).reset_index(drop=True)


def target_scores(units: pd.DataFrame, indicators: pd.DataFrame, scheme: Scheme, totals: pd.DataFrame,
                  direct: pd.DataFrame) -> pd.DataFrame:
    """Score of every unit on every indicator and pool (a unit-major grid).

    `totals` holds the events' net per grid `cell` (see events.target_totals).
    Indicators start from full points (扣分制), zero (累加制) or the data-collection
    unit's score (直接评分), add the net of their events, and stay within
    [0, points] (R6, A2) unless the indicator allows overflow. Pools carry
    the positive size of their deductions (uncapped unless the scheme caps them,
    R12) or of their bonuses (capped, R17).
    """
    targets = target_frame(indicators, scheme)
    n_units, n_targets = len(units), len(targets)
    size = n_units * n_targets
    # the grid: row k is unit k // T on target k % T; lookups by integer position, no merges
    grid = {"unit": np.repeat(units["unit"].to_numpy(), n_targets), "unit_idx": np.repeat(np.arange(n_units), n_targets)}
    for col in targets.columns:
        grid[col] = np.tile(targets[col].to_numpy(), n_units)
    for col in ("net", "deducted", "added", "events"):
        values = np.zeros(size)
        if not totals.empty:
            values[totals["cell"].to_numpy()] = totals[col].to_numpy(dtype=float)
        grid[col] = values
    direct_score = np.full(size, np.nan)
    if direct is not None and not direct.empty:
        from .events import cells_of
        at = cells_of(direct, units["unit"], targets["target"], "indicator").to_numpy()
        direct_score[at[at >= 0]] = direct["score"].to_numpy(dtype=float)[at >= 0]
    grid["direct_score"] = direct_score

    # per-target facts, worked out once for T targets and repeated for every unit
    def tiled(values) -> np.ndarray:
        return np.tile(np.asarray(values), n_units)

    mode_t = targets["mode"].to_numpy()
    points = tiled(targets["points"].to_numpy(dtype=float))
    full, zero, is_direct = (tiled(mode_t == m) for m in ("deduct_from_full", "cumulative", "direct"))
    is_pool = tiled(targets["is_pool"].to_numpy(dtype=bool))
    is_bonus_pool = tiled((targets["pool_kind"] == "bonus").to_numpy())
    overflow = tiled(targets["allow_overflow"].astype(bool).to_numpy())
    caps = {p.name: (np.inf if p.cap is None else p.cap) for p in scheme.pools}
    cap = tiled(targets["target"].map(caps).fillna(np.inf).to_numpy(dtype=float))
    has_direct = ~np.isnan(direct_score)
    base = np.where(full, points, np.where(is_direct, np.where(has_direct, direct_score, points), 0.0))
    grid["base"] = base
    grid["base_source"] = np.where(full, "full", np.where(zero, "zero", np.where(
        is_direct, np.where(has_direct, "direct", "provisional"), "pool")))
    net = grid["net"]
    raw = base + net
    indicator_score = np.clip(raw, 0.0, np.where(overflow, np.inf, points))
    pool_value = np.where(is_bonus_pool, np.clip(net, 0.0, cap), np.clip(-net, 0.0, cap))
    raw = np.where(is_pool, np.where(is_bonus_pool, net, -net), raw)
    score = np.where(is_pool, pool_value, indicator_score)
    grid["raw"] = raw
    grid["score"] = score
    grid["limited"] = ~np.isclose(raw, score)
    return pd.DataFrame(grid)


def component_values(units: pd.DataFrame, targets: pd.DataFrame, evaluations: pd.DataFrame,
                     scheme: Scheme) -> pd.DataFrame:
    """One column per component of the scheme, one row per unit (unweighted).

    Indicator components are the sum of indicator scores times category weights,
    rescaled to `scale_to` when the scheme says so (A11). Evaluation components sum
    the unit's scores of that kind (over aspects), rescaled from `full` marks.
    A missing evaluation counts 0 and is listed in `missing` unless optional.
    """
    out = pd.DataFrame({"unit": units["unit"].to_numpy()})
    n = len(out)
    missing = [[] for _ in range(n)]
    is_indicator = ~targets["is_pool"].to_numpy(dtype=bool)
    unit_idx = targets["unit_idx"].to_numpy()
    for comp in scheme.components:
        if comp.source == "indicators":
            sel = is_indicator.copy()
            if comp.categories:
                sel &= targets["category"].isin(comp.categories).to_numpy()
            weights = targets["category"].map(comp.category_weights).fillna(1.0).to_numpy(dtype=float) \
                if comp.category_weights else np.ones(len(targets))
            values = np.bincount(unit_idx[sel], weights=(targets["score"].to_numpy(dtype=float) * weights)[sel], minlength=n)
            if comp.scale_to is not None:
                first = sel & (unit_idx == 0)
                full = float((targets["points"].to_numpy(dtype=float) * weights)[first].sum())
                values = values * (comp.scale_to / full if full else 0.0)
        elif comp.source == "evaluation":
            part = evaluations[evaluations["kind"] == comp.name] if not evaluations.empty else evaluations
            value = part.groupby("unit")["score"].sum() if not part.empty else pd.Series(dtype=float)
            mapped = out["unit"].map(value)
            if not comp.optional:
                for i in np.flatnonzero(mapped.isna().to_numpy()):
                    missing[i].append(comp.key)
            values = mapped.fillna(0.0).to_numpy(dtype=float)
            if comp.scale_to is not None and comp.full:
                values = values * comp.scale_to / comp.full
        else:
            sel = (targets["target"] == comp.name).to_numpy()
            values = np.bincount(unit_idx[sel], weights=targets["score"].to_numpy(dtype=float)[sel], minlength=n)
        if comp.cap is not None:
            values = np.minimum(values, comp.cap)
        out[comp.key] = values
    out["missing"] = ["、".join(m) for m in missing]
    return out


def composite(components: pd.DataFrame, scheme: Scheme) -> np.ndarray:
    """Σ weight x component, rounded to the scheme's decimals (A5: compare after rounding)."""
    total = np.zeros(len(components))
    for comp in scheme.components:
        total = total + comp.weight * components[comp.key].to_numpy(dtype=float)
    return round_half_up(total, scheme.decimals)


def round_half_up(values, decimals: int = 2) -> np.ndarray:
    """Round as Excel's ROUND does (half away from zero), not banker's rounding."""
    values = np.asarray(values, dtype=float)
    scale = 10.0 ** decimals
    return np.sign(values) * np.floor(np.abs(values) * scale + 0.5 + 1e-9) / scale + 0.0
