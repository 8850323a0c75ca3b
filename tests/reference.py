"""A second, deliberately simple scoring implementation in plain pandas, reading the offices' files itself.

It shares nothing with perfcore but the scheme parser (the file format): it reads the CSV
tables of a data folder with pandas (its own column mapping, its own defaults), with no
SQL, no pre-aggregation, one readable step after another. The tests compare the sample
data's results with it, so a fault in perfcore's loader shows as well as one in its engine.
"""
from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from perfcore.engine.scheme import parse

MODES = {"扣分制": "deduct_from_full", "累加制": "cumulative", "直接评分": "direct", "主观评分": "direct",
         "排名计分": "direct"}
COLUMNS = {  # the offices' headers → names used below
    "编号": "event_id", "日期": "date", "单位": "unit", "指标": "target", "情形": "rule", "来源层级": "source_level",
    "次数": "count", "标准分": "base_amount", "加重情形": "aggravation", "角色": "role", "问责人次": "accountable",
    "减免方式": "mitigation_mode", "问题标识": "problem_key", "事项标识": "matter_key", "状态": "status",
    "二级指标名称": "indicator", "项目": "category", "分值": "points", "计分方式": "mode", "可超分": "allow_overflow",
    "得分": "score", "类别": "kind", "满分": "max_score", "任务项": "item", "目标值": "target_value",
    "完成值": "actual_value", "上年完成值": "prior_value", "系列": "series", "起始年度": "first_year", "终止年度": "last_year",
}


def _round2(x, d=2):
    return math.copysign(math.floor(abs(x) * 10 ** d + 0.5 + 1e-9) / 10 ** d, x) + 0.0


def _csv(path: Path, kind: str | None = None) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False).replace("", None)
    frame = frame.rename(columns=COLUMNS)
    if kind == "events":
        frame = frame.rename(columns={"target": "target"})
    elif "target" in frame.columns and kind in ("scores", "assignments"):
        frame = frame.rename(columns={"target": "indicator"})
    return frame


def _num(frame: pd.DataFrame, column: str, default=np.nan) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(default, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column].str.replace(",", "", regex=False), errors="raise").fillna(default)


def tables(root: Path, org: str, year: int) -> dict:
    """One organisation-year, read from its folder of CSV files and its scheme."""
    folder = Path(root) / org
    ydir = folder / str(year)
    scheme = parse((ydir / "考评方案.toml").read_text(encoding="utf-8"), "ref")
    units = _csv(folder / "单位名单.csv")
    first, last = _num(units, "first_year", -1), _num(units, "last_year", 1e9)
    units = units[(first <= year) & (last >= year)][["unit", "series"]].reset_index(drop=True)
    ind = _csv(ydir / "指标任务分解表.csv")
    names = ind["indicator"].fillna(ind.get("一级指标"))
    keep = ~names.fillna("").str.contains("小计|合计") & names.notna()
    ind = ind[keep].assign(indicator=names[keep])
    pools = {p.name for p in scheme.pools}
    ind = ind[~ind["indicator"].isin(pools)]
    default_mode = MODES.get(tomllib.loads((ydir / "考评方案.toml").read_text(encoding="utf-8"))
                             .get("indicators", {}).get("default_mode", "扣分制"), "deduct_from_full")
    indicators = pd.DataFrame({
        "indicator": ind["indicator"].to_numpy(),
        "category": [re.sub(r"[（(].*$", "", c) if c else "" for c in ind.get("category", pd.Series([None] * len(ind)))],
        "points": _num(ind, "points").to_numpy(),
        "mode": [MODES.get(m, default_mode) if m else default_mode for m in ind.get("mode", pd.Series([None] * len(ind)))],
        "allow_overflow": [v == "是" for v in ind.get("allow_overflow", pd.Series([None] * len(ind)))]})
    events = _csv(ydir / "扣分台账.csv", "events")
    if not events.empty:
        events = events.assign(
            date=pd.to_datetime(events["date"]), count=_num(events, "count", 1.0), base_amount=_num(events, "base_amount"),
            accountable=_num(events, "accountable", 0.0),
            status=events["status"].fillna("已审定"), source_level=events["source_level"].fillna("区"),
            mitigation_mode=events.get("mitigation_mode", pd.Series(dtype=object)).map({"免予": "exempt", "减轻": "reduce"}))
        for column in ("aggravation", "role", "problem_key", "matter_key"):
            if column not in events.columns:
                events[column] = None
    scores = _csv(ydir / "指标评分.csv", "scores")
    if not scores.empty:
        scores = scores.assign(score=_num(scores, "score"))
    else:
        scores = pd.DataFrame(columns=["unit", "indicator", "score"])
    evaluations = _csv(ydir / "评议得分.csv")
    evaluations = evaluations.assign(score=_num(evaluations, "score")) if not evaluations.empty else \
        pd.DataFrame(columns=["unit", "kind", "score"])
    assignments = _csv(ydir / "指标任务.csv", "assignments")
    if not assignments.empty:
        assignments = assignments.assign(target_value=_num(assignments, "target_value"),
                                         actual_value=_num(assignments, "actual_value"),
                                         prior_value=_num(assignments, "prior_value"))
    else:
        assignments = pd.DataFrame(columns=["unit", "indicator", "item", "target_value", "actual_value", "prior_value"])
    vetoes = _csv(ydir / "一票否决.csv")
    if vetoes.empty:
        vetoes = pd.DataFrame(columns=["unit"])
    return {"scheme": scheme, "units": units, "indicators": indicators, "events": events, "scores": scores,
            "evaluations": evaluations, "assignments": assignments, "vetoes": vetoes}


def event_amounts(t) -> pd.DataFrame:
    s = t["scheme"]
    ev = t["events"][t["events"]["status"].isin(s.counted_statuses)].copy()
    pools = {p.name for p in s.pools}
    rules = {r.name: r for r in s.rules}
    sign = ev["rule"].map(lambda r: rules[r].sign())
    amount = []
    for rule_name, count, base_amount in zip(ev["rule"], ev["count"], ev["base_amount"]):
        r = rules[rule_name]
        if r.amount is not None:
            amount.append(r.amount * count)
        elif r.range:
            amount.append(base_amount * count)
        else:
            th = r.threshold
            if count <= th["upto"]:
                amount.append(th["amount"])
            elif th.get("mode", "excess") == "all":
                amount.append(count * th["each_beyond"])
            else:
                amount.append(th["amount"] + (count - th["upto"]) * th["each_beyond"])
    ev["amount"] = amount
    ev["role_f"] = ev["role"].map(lambda x: s.roles.get(x, 1.0) if isinstance(x, str) else 1.0)
    # mitigation, with item 9 found automatically
    indicator_problems = set(zip(ev.loc[(~ev["target"].isin(pools)) & (sign < 0), "unit"],
                                 ev.loc[(~ev["target"].isin(pools)) & (sign < 0), "problem_key"]))
    auto_pools = {p.name for p in s.pools if p.exempt_if_indicator_deducted}
    auto = [tg in auto_pools and isinstance(pk, str) and (u, pk) in indicator_problems and s.auto_exempt_code is not None
            for u, tg, pk in zip(ev["unit"], ev["target"], ev["problem_key"])]
    mit = np.where(auto, s.exempt_factor, np.where(ev["mitigation_mode"] == "exempt", s.exempt_factor,
                                                   np.where(ev["mitigation_mode"] == "reduce", s.reduce_factor, 1.0)))
    mult = np.ones(len(ev)) if s.multiplier_combine == "multiply" else None
    factors = []
    for m in s.multipliers:
        hit = np.ones(len(ev), dtype=bool)
        if m.source_level:
            hit &= ev["source_level"].isin(m.source_level).to_numpy()
        if m.aggravation:
            hit &= ev["aggravation"].fillna("").isin(m.aggravation).to_numpy()
        if m.accountable is not None:
            hit &= ((ev["accountable"].fillna(0) > 0) == m.accountable).to_numpy()
        if m.targets:
            hit &= ev["target"].isin(m.targets).to_numpy()
        factors.append(np.where(hit, m.factor, 1.0))
    if factors:
        mult = np.prod(factors, axis=0) if s.multiplier_combine == "multiply" else np.max(factors, axis=0)
    else:
        mult = np.ones(len(ev))
    ev["signed"] = sign * ev["amount"] * ev["role_f"] * mit * mult
    ev["sign"] = sign
    ev["veto_hit"] = ev["rule"].map(lambda r: rules[r].veto) & (mit > 0)
    # one problem once at its highest; one matter at its highest
    ev["abs"] = ev["signed"].abs()
    ev = ev.sort_values(["abs", "date", "event_id"], ascending=[False, True, True])
    if s.problem_dedup == "highest":
        d = ev[(ev["sign"] < 0) & ev["problem_key"].notna()]
        dup = d.duplicated(["unit", "target", "problem_key"])
        ev.loc[d.index[dup], "signed"] = 0.0
    b = ev[(ev["sign"] > 0) & ev["matter_key"].notna()]
    if s.matter_dedup == "highest":
        ev.loc[b.index[b.duplicated(["unit", "target", "matter_key"])], "signed"] = 0.0
    elif s.matter_dedup == "diminishing":
        nth = b.groupby(["unit", "target", "matter_key"]).cumcount()
        ev.loc[b.index, "signed"] = b["signed"] * [s.diminishing[k] if k < len(s.diminishing) else 0 for k in nth]
    # per-rule caps in date order
    ev = ev.sort_values(["date", "event_id"])
    caps = ev["rule"].map(lambda r: rules[r].cap)
    capped = ev[caps.notna()]
    if len(capped):
        before = capped.groupby(["unit", "rule"])["signed"].transform(lambda x: x.abs().cumsum() - x.abs())
        cap = caps[capped.index]
        allowed = np.maximum(0, np.minimum(capped["signed"].abs(), cap - before))
        ev.loc[capped.index, "signed"] = np.sign(capped["signed"]) * allowed
    rows = ev[["unit", "target", "signed", "veto_hit"]].rename(columns={"signed": "final"})
    extra = synthetic(t)
    return pd.concat([rows, extra], ignore_index=True) if len(extra) else rows


def synthetic(t) -> pd.DataFrame:
    s, a = t["scheme"], t["assignments"]
    out = []
    for ir in s.indicator_rules:
        part = a[a["indicator"] == ir.indicator]
        if ir.ratio_tiers:
            for u, target, actual in zip(part["unit"], part["target_value"], part["actual_value"]):
                if pd.isna(actual) or pd.isna(target):
                    continue
                r = actual / target
                for tier in s.tier_tables[ir.ratio_tiers]:
                    if tier.min is None or r > tier.min + 1e-12 or (tier.inclusive and r >= tier.min - 1e-12):
                        out.append({"unit": u, "target": ir.indicator, "final": tier.points, "veto_hit": False})
                        break
        if ir.completion_share is not None:
            # R30 by shares: points × (completion share × mean min(A/T, 1) + improvement share × mean over
            # the items with last year's value of min(max(change / full, 0), 1))
            points = float(t["indicators"].set_index("indicator").loc[ir.indicator, "points"])
            for u, items in part.groupby("unit"):
                done = [0.0 if pd.isna(a) or pd.isna(tv) or tv <= 0 else min(a / tv, 1.0)
                        for a, tv in zip(items["actual_value"], items["target_value"])]
                changes = []
                for a, prior in zip(items["actual_value"], items["prior_value"]):
                    if pd.isna(a) or pd.isna(prior) or (ir.change_measure == "relative" and prior <= 0):
                        continue
                    change = (a - prior) / prior if ir.change_measure == "relative" else a - prior
                    changes.append(min(max(change / ir.improvement_full, 0.0), 1.0))
                value = points * ir.completion_share * sum(done) / len(done)
                if changes:
                    value += points * ir.improvement_share * sum(changes) / len(changes)
                out.append({"unit": u, "target": ir.indicator, "final": value, "veto_hit": False})
        if ir.count_bonus_per_item:
            counts = part.groupby("unit").size()
            avg = counts.sum() / len(t["units"])
            for u, n in counts.items():
                if n > avg:
                    extra = n - math.floor(avg) if ir.count_average == "floor" else math.floor(n - avg)
                    out.append({"unit": u, "target": ir.indicator, "final": extra * ir.count_bonus_per_item, "veto_hit": False})
    return pd.DataFrame(out, columns=["unit", "target", "final", "veto_hit"])


def indicator_scores(t: dict, net: pd.Series | None = None) -> dict:
    """(unit, indicator) → the indicator's score: its base (full points, 0, or the direct score), plus
    the net of its events, floored at 0 and capped at its points unless it may exceed them."""
    if net is None:
        net = event_amounts(t).groupby(["unit", "target"])["final"].sum()
    ind = t["indicators"]
    direct = t["scores"].set_index(["unit", "indicator"])["score"]
    out = {}
    for u in t["units"]["unit"]:
        for name, pts, mode, over in zip(ind["indicator"], ind["points"], ind["mode"], ind["allow_overflow"]):
            base = {"deduct_from_full": pts, "cumulative": 0.0}.get(mode, direct.get((u, name), pts))
            score = base + net.get((u, name), 0.0)
            out[(u, name)] = max(0.0, score if over else min(score, pts))
    return out


def results(t: dict) -> pd.DataFrame:
    """Composite, veto, rank and grade per unit of one organisation-year (see tables)."""
    s = t["scheme"]
    ev = event_amounts(t)
    net = ev.groupby(["unit", "target"])["final"].sum()
    ind = t["indicators"]
    scores = indicator_scores(t, net)
    rows = []
    for u, series in zip(t["units"]["unit"], t["units"]["series"]):
        row = {"unit": u, "series": series}
        for comp in s.components:
            if comp.source == "indicators":
                total, full = 0.0, 0.0
                for name, cat, pts in zip(ind["indicator"], ind["category"], ind["points"]):
                    if comp.categories and cat not in comp.categories:
                        continue
                    w = comp.category_weights.get(cat, 1.0)
                    total += w * scores[(u, name)]
                    full += w * pts
                value = total * comp.scale_to / full if comp.scale_to else total
            elif comp.source == "evaluation":
                e = t["evaluations"]
                value = e[(e["unit"] == u) & (e["kind"] == comp.name)]["score"].sum()
                if comp.scale_to:
                    value = value * comp.scale_to / comp.full
            else:
                pool = s.pool(comp.name)
                n = net.get((u, comp.name), 0.0)
                cap = pool.cap if pool.cap is not None else float("inf")
                value = min(max(n, 0.0), cap) if pool.kind == "bonus" else min(max(-n, 0.0), cap)
            if comp.cap is not None:
                value = min(value, comp.cap)
            row[comp.key] = value
        row["composite"] = _round2(sum(c.weight * row[c.key] for c in s.components), s.decimals)
        rows.append(row)
    out = pd.DataFrame(rows)
    vetoed = set(t["vetoes"]["unit"]) | set(ev.loc[ev["veto_hit"].astype(bool), "unit"])
    out["veto"] = out["unit"].isin(vetoed)
    out["rank"] = out["composite"].rank(method="min", ascending=False).astype(int)
    out["grade"] = grades(out, s)
    return out


def grades(out: pd.DataFrame, s) -> list:
    if s.grading_mode == "threshold":
        result = []
        for c, v in zip(out["composite"], out["veto"]):
            g = next((gr.name for gr in s.grades[:-1] if c >= gr.min), s.grades[-1].name)
            result.append(s.grades[-1].name if v else g)
        return result
    pools = [out] if s.grading_pool == "all" else [p for _, p in out.groupby("series")]
    result = pd.Series(index=out.index, dtype=object)
    for pool in pools:
        n = len(pool)
        names = [g.name for g in s.grades]
        counts = [math.floor(g.share * n + 1e-9) for g in s.grades]
        if s.quota_rounding == "protect":
            absorb = names.index(s.absorb or names[-2])
            counts[absorb] = n - (sum(counts) - counts[absorb])
        else:  # largest remainder, the lowest grade never rounded up
            while sum(counts) < n:
                fracs = [g.share * n - c if i < len(names) - 1 and c < g.share * n + 1 else -1
                         for i, (g, c) in enumerate(zip(s.grades, counts))]
                best = max(range(len(fracs)), key=lambda i: (fracs[i], -i))
                counts[best] += 1
        keys = ["composite"] + [k.split(":")[0] for k in s.tie_break]
        asc = [False] + [k.endswith(":asc") for k in s.tie_break]
        ordered = pool[~pool["veto"]].sort_values(keys, ascending=asc, kind="mergesort")
        slots = [name for name, c in zip(names[:-1], counts[:-1]) for _ in range(c)]
        prev = None
        for i, (idx, row) in enumerate(ordered.iterrows()):
            g = slots[i] if i < len(slots) else names[-1]
            key = tuple(round(row[k], 9) for k in keys)
            if prev is not None and key == prev[0] and names.index(g) > names.index(prev[1]):
                g = prev[1]
            result[idx] = g
            prev = (key, g)
        result[pool.index[pool["veto"]]] = names[-1]
    return list(result)
