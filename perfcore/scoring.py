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
        "SELECT unit, series, level, principal, leader_in_charge FROM units WHERE org = ? "
        "AND (first_year IS NULL OR first_year <= ?) AND (last_year IS NULL OR last_year >= ?) ORDER BY unit",
        [org, year, year]).df()


def indicator_table(con, org: str, year: int) -> pd.DataFrame:
    """The year's indicator tree, in the office's order."""
    return con.execute("SELECT * EXCLUDE (org, year) FROM indicators WHERE org = ? AND year = ? ORDER BY ord",
                       [org, year]).df()


def target_scores(units: pd.DataFrame, indicators: pd.DataFrame, scheme: Scheme, totals: pd.DataFrame,
                  direct: pd.DataFrame) -> pd.DataFrame:
    """Score of every unit on every indicator and pool.

    Indicators start from full points (扣分制), zero (累加制) or the data-collection
    unit's score (直接评分), add the net of their events, and stay within
    [0, points] (R6, A2) unless the indicator allows overflow. Pools carry
    the positive size of their deductions (uncapped unless the scheme caps them,
    R12) or of their bonuses (capped, R17).
    """
    ind = indicators[["indicator", "category", "first_level", "points", "mode", "allow_overflow"]].rename(
        columns={"indicator": "target"})
    ind = ind.assign(is_pool=False, pool_kind=None, cap=np.nan)
    pools = pd.DataFrame([{"target": p.name, "category": "", "first_level": "", "points": np.nan, "mode": "pool",
                           "allow_overflow": False, "is_pool": True, "pool_kind": p.kind,
                           "cap": np.nan if p.cap is None else p.cap} for p in scheme.pools],
                         columns=list(ind.columns))
    targets = pd.concat([ind, pools], ignore_index=True) if len(pools) else ind
    grid = units[["unit"]].merge(targets, how="cross")
    grid = grid.merge(totals, on=["unit", "target"], how="left")
    for col in ("net", "deducted", "added", "events"):
        grid[col] = grid[col].fillna(0.0)
    if direct is not None and not direct.empty:
        grid = grid.merge(direct.rename(columns={"indicator": "target", "score": "direct_score"})[
            ["unit", "target", "direct_score"]], on=["unit", "target"], how="left")
    else:
        grid["direct_score"] = np.nan
    mode = grid["mode"].to_numpy()
    points = grid["points"].to_numpy(dtype=float)
    direct_score = grid["direct_score"].to_numpy(dtype=float)
    base = np.select([mode == "deduct_from_full", mode == "cumulative", mode == "direct"],
                     [points, 0.0, np.where(np.isnan(direct_score), points, direct_score)], default=0.0)
    grid["base"] = base
    grid["base_source"] = np.select(
        [mode == "deduct_from_full", mode == "cumulative", (mode == "direct") & ~np.isnan(direct_score),
         mode == "direct"], ["full", "zero", "direct", "provisional"], default="pool")
    net = grid["net"].to_numpy(dtype=float)
    raw = base + net
    is_pool = grid["is_pool"].to_numpy(dtype=bool)
    overflow = grid["allow_overflow"].fillna(False).to_numpy(dtype=bool)
    ceiling = np.where(overflow, np.inf, points)
    indicator_score = np.clip(raw, 0.0, ceiling)
    cap = grid["cap"].to_numpy(dtype=float)
    cap = np.where(np.isnan(cap), np.inf, cap)
    is_bonus_pool = (grid["pool_kind"] == "bonus").to_numpy()
    pool_value = np.where(is_bonus_pool, np.clip(net, 0.0, cap), np.clip(-net, 0.0, cap))
    grid["raw"] = np.where(is_pool, np.where(is_bonus_pool, net, -net), raw)
    grid["score"] = np.where(is_pool, pool_value, indicator_score)
    grid["limited"] = ~np.isclose(grid["raw"].to_numpy(dtype=float), grid["score"].to_numpy(dtype=float))
    return grid.drop(columns=["cap"])


def component_values(units: pd.DataFrame, targets: pd.DataFrame, evaluations: pd.DataFrame,
                     scheme: Scheme) -> pd.DataFrame:
    """One column per component of the scheme, one row per unit (unweighted).

    Indicator components are the sum of indicator scores times category weights,
    rescaled to `scale_to` when the scheme says so (A11). Evaluation components sum
    the unit's scores of that kind (over aspects), rescaled from `full` marks.
    A missing evaluation counts 0 and is listed in `missing`.
    """
    out = pd.DataFrame({"unit": units["unit"].to_numpy()})
    missing = {u: [] for u in out["unit"]}
    ind = targets[~targets["is_pool"]]
    for comp in scheme.components:
        if comp.source == "indicators":
            part = ind if not comp.categories else ind[ind["category"].isin(comp.categories)]
            weights = part["category"].map(lambda c: comp.category_weights.get(c, 1.0)).astype(float)
            value = (part["score"] * weights).groupby(part["unit"]).sum()
            values = out["unit"].map(value).fillna(0.0).to_numpy(dtype=float)
            if comp.scale_to is not None:
                one = part.drop_duplicates("target")
                full = float((one["points"] * one["category"].map(lambda c: comp.category_weights.get(c, 1.0))).sum())
                values = values * (comp.scale_to / full if full else 0.0)
        elif comp.source == "evaluation":
            part = evaluations[evaluations["kind"] == comp.name] if not evaluations.empty else evaluations
            value = part.groupby("unit")["score"].sum() if not part.empty else pd.Series(dtype=float)
            mapped = out["unit"].map(value)
            if not comp.optional:
                for u in out["unit"][mapped.isna()]:
                    missing[u].append(comp.key)
            values = mapped.fillna(0.0).to_numpy(dtype=float)
            if comp.scale_to is not None and comp.full:
                values = values * comp.scale_to / comp.full
        else:
            part = targets[targets["target"] == comp.name]
            values = out["unit"].map(part.set_index("unit")["score"]).fillna(0.0).to_numpy(dtype=float)
        if comp.cap is not None:
            values = np.minimum(values, comp.cap)
        out[comp.key] = values
    out["missing"] = out["unit"].map(lambda u: "、".join(missing[u]))
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
