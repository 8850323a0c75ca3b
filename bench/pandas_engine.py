"""What a competent engineer would write instead: the same scoring rules, vectorised in pandas.

Reads a year's events into a pandas frame (strings and all, as `DataFrame` does) and applies
the scheme step by step with vectorised pandas and numpy: rule amounts, role factors,
mitigation with the automatic item 9, multipliers, one problem charged once and one matter
counted at its highest (ties by date, then id), per-rule caps, the indicator floor and
ceiling, pools, components, the composite, ranks within series, threshold grades, and last
year's movement. `bench/scoring.py` checks that its composites, ranks and grades equal
perfcore's on every year before it times anything.

Scope: the rules the bench data uses and every rule of the event pipeline; task-item lines
(R20/R21) and forced distribution are not implemented here (the bench uses neither).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def _round(values, decimals):
    scale = 10.0 ** decimals
    return np.sign(values) * np.floor(np.abs(values) * scale + 0.5 + 1e-9) / scale + 0.0


def event_finals(ev: pd.DataFrame, scheme, pools: set) -> pd.DataFrame:
    """Each counted event's final amount (columns unit, target, final, veto)."""
    rules = pd.DataFrame([{"rule": r.name, "sign": r.sign(), "amount": r.amount,
                           "lo": (r.range or (np.nan,))[0], "ranged": r.range is not None,
                           "upto": (r.threshold or {}).get("upto", np.nan), "upto_amount": (r.threshold or {}).get("amount", np.nan),
                           "each": (r.threshold or {}).get("each_beyond", np.nan), "all": (r.threshold or {}).get("mode") == "all",
                           "cap": r.cap, "veto": r.veto} for r in scheme.rules])
    ev = ev.merge(rules, on="rule", how="inner")
    threshold = np.where(ev["count"] <= ev["upto"], ev["upto_amount"],
                         np.where(ev["all"], ev["count"] * ev["each"], ev["upto_amount"] + (ev["count"] - ev["upto"]) * ev["each"]))
    base = np.where(ev["amount"].notna(), ev["amount"] * ev["count"],
                    np.where(ev["ranged"], ev["base_amount"] * ev["count"], threshold))
    ev["base"] = np.nan_to_num(base.astype(float))
    ev["role_f"] = ev["role"].map(scheme.roles).fillna(1.0)
    auto_pools = {p.name for p in scheme.pools if p.exempt_if_indicator_deducted}
    ev["auto"] = False
    if auto_pools and scheme.auto_exempt_code is not None:
        inside = ev[~ev["target"].isin(pools) & (ev["sign"] < 0) & ev["problem_key"].notna()]
        keys = pd.MultiIndex.from_frame(inside[["unit", "problem_key"]]).unique()
        candidate = ev["target"].isin(auto_pools) & ev["problem_key"].notna()
        ev.loc[candidate, "auto"] = pd.MultiIndex.from_frame(ev.loc[candidate, ["unit", "problem_key"]]).isin(keys)
    ev["mit_f"] = np.where(ev["auto"] | (ev["mitigation_mode"] == "exempt"), scheme.exempt_factor,
                           np.where(ev["mitigation_mode"] == "reduce", scheme.reduce_factor, 1.0))
    mult = np.ones(len(ev)) if scheme.multiplier_combine != "max" else np.ones(len(ev))
    factors = []
    for m in scheme.multipliers:
        cond = pd.Series(True, index=ev.index)
        if m.source_level:
            cond &= ev["source_level"].isin(m.source_level)
        if m.aggravation:
            cond &= ev["aggravation"].fillna("").isin(m.aggravation)
        if m.accountable is not None:
            cond &= (ev["accountable"].fillna(0) > 0) == m.accountable
        if m.targets:
            cond &= ev["target"].isin(m.targets)
        factors.append(np.where(cond, m.factor, 1.0))
    if factors:
        mult = np.max(factors, axis=0) if scheme.multiplier_combine == "max" else np.prod(factors, axis=0)
    ev["signed"] = ev["sign"] * ev["base"] * ev["role_f"] * ev["mit_f"] * mult
    ev["after"] = ev["signed"]
    problem = (ev["sign"] < 0) & ev["problem_key"].notna() if scheme.problem_dedup == "highest" else pd.Series(False, index=ev.index)
    matter = (ev["sign"] > 0) & ev["matter_key"].notna() if scheme.matter_dedup != "none" else pd.Series(False, index=ev.index)
    keyed = ev[problem | matter].assign(key=lambda f: np.where(f["sign"] < 0, "P" + f["problem_key"].astype(str),
                                                               "M" + f["matter_key"].astype(str)),
                                        mag=lambda f: -f["signed"].abs())
    if len(keyed):
        keyed = keyed.sort_values(["unit", "target", "key", "mag", "date", "event_id"])
        rank = keyed.groupby(["unit", "target", "key"], sort=False).cumcount()
        if scheme.matter_dedup == "diminishing":
            steps = list(scheme.diminishing)
            factor = np.where(rank < len(steps), np.array(steps)[np.minimum(rank, len(steps) - 1)], 0.0)
        else:
            factor = np.where(rank > 0, 0.0, 1.0)
        factor = np.where(keyed["sign"] < 0, np.where(rank > 0, 0.0, 1.0), factor)
        ev.loc[keyed.index, "after"] = keyed["signed"] * factor
    ev["final"] = ev["after"]
    capped = ev[ev["cap"].notna()]
    if len(capped):
        capped = capped.sort_values(["unit", "rule", "date", "event_id"])
        size = capped["after"].abs()
        used = size.groupby([capped["unit"], capped["rule"]]).cumsum() - size
        ev.loc[capped.index, "final"] = capped["sign"] * np.maximum(0.0, np.minimum(size, capped["cap"] - used))
    ev["veto_hit"] = ev["veto"] & (ev["mit_f"] > 0)
    return ev[["unit", "target", "final", "veto_hit"]]


def score_year(con, org: str, year: int, scheme, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """One year's results: unit, series, components, composite, rank, series_rank, grade, movement."""
    units = con.execute("SELECT unit, series FROM units WHERE org = ? AND NOT retired AND (first_year IS NULL OR first_year <= ?) "
                        "AND (last_year IS NULL OR last_year >= ?) ORDER BY unit", [org, year, year]).df()
    indicators = con.execute("SELECT indicator, category, points, mode, allow_overflow FROM indicators WHERE org = ? AND year = ? "
                             "AND NOT retired ORDER BY ord", [org, year]).df()
    ev = con.execute("SELECT * FROM events WHERE org = ? AND year = ? AND list_contains(?, status)",
                     [org, year, list(scheme.counted_statuses)]).df()
    ev = ev[ev["unit"].isin(units["unit"])]
    pools = {p.name for p in scheme.pools}
    finals = event_finals(ev, scheme, pools)
    net = finals.groupby(["unit", "target"])["final"].sum().unstack(fill_value=0.0).reindex(
        index=units["unit"], columns=list(indicators["indicator"]) + [p.name for p in scheme.pools], fill_value=0.0)
    direct = con.execute("SELECT unit, indicator, score FROM indicator_scores WHERE org = ? AND year = ? AND NOT retired",
                         [org, year]).df().pivot(index="unit", columns="indicator", values="score")
    points = indicators.set_index("indicator")["points"]
    ind_net = net[points.index]
    base = pd.DataFrame(np.broadcast_to(points.to_numpy(), ind_net.shape), index=ind_net.index, columns=points.index)
    modes = indicators.set_index("indicator")["mode"]
    for name in modes[modes == "cumulative"].index:
        base[name] = 0.0
    for name in modes[modes == "direct"].index:
        if name in direct.columns:
            base[name] = direct[name].reindex(base.index).fillna(points[name])
    upper = np.where(indicators["allow_overflow"].to_numpy(dtype=bool), np.inf, points.to_numpy())
    ind_scores = (base + ind_net).clip(lower=0.0, upper=pd.Series(upper, index=points.index), axis=1)
    evaluations = con.execute("SELECT unit, kind, score FROM evaluations WHERE org = ? AND year = ? AND NOT retired",
                              [org, year]).df()
    out = units.copy()
    for comp in scheme.components:
        if comp.source == "indicators":
            cols = indicators.loc[indicators["category"].isin(comp.categories), "indicator"] if comp.categories \
                else indicators["indicator"]
            w = indicators.set_index("indicator")["category"].map(comp.category_weights).fillna(1.0)[cols] \
                if comp.category_weights else pd.Series(1.0, index=cols)
            value = (ind_scores[cols] * w).sum(axis=1)
            if comp.scale_to is not None:
                value = value * comp.scale_to / float((points[cols] * w).sum())
        elif comp.source == "evaluation":
            value = evaluations[evaluations["kind"] == comp.name].groupby("unit")["score"].sum().reindex(units["unit"]).fillna(0.0)
            if comp.scale_to is not None and comp.full:
                value = value * comp.scale_to / comp.full
        else:
            pool = next(p for p in scheme.pools if p.name == comp.name)
            cap = np.inf if pool.cap is None else pool.cap
            value = (net[comp.name] if pool.kind == "bonus" else -net[comp.name]).clip(0.0, cap)
        if comp.cap is not None:
            value = value.clip(upper=comp.cap)
        out[comp.key] = value.to_numpy(dtype=float)
    total = sum(c.weight * out[c.key] for c in scheme.components)
    out["composite"] = _round(total.to_numpy(dtype=float), scheme.decimals)
    vetoed = set(finals.loc[finals["veto_hit"], "unit"]) | set(con.execute(
        "SELECT unit FROM vetoes WHERE org = ? AND year = ? AND NOT retired", [org, year]).df()["unit"])
    out["veto"] = out["unit"].isin(vetoed)
    out["rank"] = out["composite"].rank(method="min", ascending=False).astype(int)
    out["series_rank"] = out.groupby("series")["composite"].rank(method="min", ascending=False).astype(int)
    grades = [g.name for g in scheme.grades]
    bounds = np.array([g.min for g in scheme.grades[:-1]], dtype=float)
    position = np.searchsorted(-bounds, -out["composite"].to_numpy() - 1e-9, side="right")
    out["grade"] = np.where(out["veto"], grades[-1], np.array(grades, dtype=object)[position])
    if previous is not None:
        prev = previous.set_index("unit")
        out["prev_series_rank"] = out["unit"].map(prev["series_rank"]).where(out["unit"].map(prev["series"]) == out["series"])
        out["series_rank_change"] = out["prev_series_rank"] - out["series_rank"]
    return out
