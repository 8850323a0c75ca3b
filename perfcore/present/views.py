"""Frames the screens show, built from scored years. Pure pandas; no Streamlit, no SQL here.

Every number these return comes from a YearScore or from the event trace, so each
can be followed back to its records.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .i18n import label, t
from ..names import pinyin_key, sort_names
from ..engine.results import YearScore
from ..engine.scheme import Scheme

PERIOD_EXPECTED = {"一季度": 25.0, "上半年": 50.0, "前三季度": 75.0, "全年": 100.0}
LEVEL_ORDER = ["国家", "中央", "省", "自治区", "兵团", "市", "师", "区", "县", "本级", "自查", "媒体"]


def fmt2(value) -> str:
    """Two decimals, never '-0.00'."""
    return f"{round(float(value), 2) + 0.0:.2f}"


def components(scheme: Scheme, lang: str) -> list[tuple[str, str]]:
    """(key, label) of each component, in the scheme's order."""
    return [(c.key, label(c.label, c.label_en, lang)) for c in scheme.components]


def missing_components(missing: str, scheme: Scheme, lang: str) -> str:
    """The components a unit is not yet scored on (results' `missing`: keys joined by 、), by their labels
    in `lang`: '群众满意度评价、领导评价' / 'Public satisfaction, Leaders' evaluation'."""
    names = dict(components(scheme, lang))
    return t("list_sep", lang).join(names.get(k, k) for k in str(missing or "").split("、") if k)


def consequence_lines(row, lang: str) -> list[str]:
    """A unit's consequences (R22, R26, R27, E2) in the reader's language, with the people they name."""
    from ..engine.grading import consequence_text
    details = row.get("consequence_details") if hasattr(row, "get") else None
    if isinstance(details, (list, tuple, np.ndarray)):
        return [consequence_text(d, lang) for d in details]
    listed = row.get("consequences") if hasattr(row, "get") else None
    return list(listed) if isinstance(listed, (list, tuple, np.ndarray)) else []


def reward_words(row, scheme: Scheme, lang: str) -> tuple[str, str] | None:
    """R28: the unit's award as (amount, how it was reached), or None without amounts in the scheme."""
    reward = scheme.reward
    amount = row.get("reward_amount") if hasattr(row, "get") else None
    if reward is None or amount is None or pd.isna(amount):
        return None
    how = (f"{reward.name} {row['reward_base']:,.2f} {reward.unit} × {row['reward']:g}" if lang == "zh"
           else f"{reward.label_en} {row['reward_base']:,.2f} {reward.unit} × {row['reward']:g}")
    return f"{float(amount):,.2f} {reward.unit}", how


def _unranked(previous) -> bool:
    """No rank last year (None or NaN)."""
    return previous is None or (isinstance(previous, float) and np.isnan(previous))


def movement_arrow(change, previous, lang: str = "zh") -> str:
    """▲3 / ▼2 / – (no change) / 新 or new (no rank last year)."""
    if _unranked(previous):
        return t("new", lang)
    change = int(change)
    return f"▲{change}" if change > 0 else (f"▼{-change}" if change < 0 else "–")


def movement_words(change, previous, lang: str) -> str:
    """上升N位 / 下降N位 / 持平 / 新, as the offices word their notices."""
    if _unranked(previous):
        return t("new", lang)
    change = int(change)
    if change > 0:
        return t("up", lang, n=change)
    if change < 0:
        return t("down", lang, n=-change)
    return t("flat", lang)


def notice_line(unit: str, before, after, change, lang: str) -> str:
    """One unit's line of the movement notice, punctuated for the language: '团区委：5 → 2，上升3位',
    'Youth League: 5 → 2, up 3'; a unit without last year's rank: '团区委：4'."""
    if _unranked(before):
        return t("notice_new", lang, unit=unit, after=int(after))
    return t("notice_line", lang, unit=unit, before=int(before), after=int(after),
             words=movement_words(change, before, lang))


def _basis(scheme: Scheme) -> tuple[str, str]:
    return ("series_rank_change", "prev_series_rank") if scheme.movement == "series" else ("rank_change", "prev_rank")


def league_table(year: YearScore, series: str | None = None, lang: str = "zh") -> pd.DataFrame:
    """The ranking: rank, unit, series, components, composite, grade, movement (in `lang`), veto."""
    res = year.results
    if series:
        res = res[res["series"] == series]
    change, prev = _basis(year.scheme)
    comps = [c.key for c in year.scheme.components]
    out = res[["rank", "series_rank", "unit", "series"] + comps + ["composite", "grade"]].copy()
    out["movement"] = [movement_arrow(c, p, lang) for c, p in zip(res[change], res[prev])]
    out["move_value"] = res[change].fillna(0).to_numpy()
    out["veto"] = np.where(res["veto"], "✕ " + res["veto_reason"], "")
    out["prev_rank"] = res["prev_rank"]
    out["prev_composite"], out["composite_change"] = _composite_change(res)
    return out.reset_index(drop=True)


def _composite_change(res: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Last year's composite and the change to this year's, to the cent (NaN where there is no last year;
    a publication frozen before last year's composite was kept has none)."""
    prev = res["prev_composite"].to_numpy(dtype=float) if "prev_composite" in res else np.full(len(res), np.nan)
    return prev, np.round(res["composite"].to_numpy(dtype=float) - prev, 2)


def most_improved(year: YearScore, n: int = 3) -> pd.DataFrame:
    """The n units whose composite rose most against last year (unit, series, change), biggest first."""
    res = year.results
    change = _composite_change(res)[1]
    out = res.assign(change=change)[change > 0][["unit", "series", "change", "rank"]]
    return out.sort_values(["change", "rank"], ascending=[False, True]).head(n)[["unit", "series", "change"]]


def grade_counts(year: YearScore) -> pd.DataFrame:
    """Number of units per grade, best grade first (zero counts included)."""
    counts = year.results["grade"].value_counts()
    return pd.DataFrame({"grade": year.scheme.grade_names(),
                         "count": [int(counts.get(g, 0)) for g in year.scheme.grade_names()]})


def series_summary(year: YearScore) -> pd.DataFrame:
    """Per series: units, average and best composite."""
    res = year.results
    rows = []
    for series in sort_names(res["series"].unique()):
        part = res[res["series"] == series]
        best = part.sort_values("composite", ascending=False).iloc[0]
        rows.append({"series": series, "units": len(part), "average": round(float(part["composite"].mean()), 2),
                     "best": best["unit"], "best_composite": float(best["composite"])})
    return pd.DataFrame(rows)


def risers_fallers(year: YearScore, n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The n biggest risers and fallers (on the scheme's movement basis)."""
    change, prev = _basis(year.scheme)
    res = year.results[year.results[prev].notna()]
    cols = ["unit", "series", change, "rank", "series_rank"]
    risers = res[res[change] > 0].sort_values([change, "rank"], ascending=[False, True]).head(n)[cols]
    fallers = res[res[change] < 0].sort_values([change, "rank"], ascending=[True, True]).head(n)[cols]
    return risers.rename(columns={change: "change"}), fallers.rename(columns={change: "change"})


def waterfall(year: YearScore, unit: str, lang: str = "zh", top: int = 6) -> pd.DataFrame:
    """From full points to the composite: each step weighted as in the composite.

    Steps: points lost per indicator (the largest `top`, the rest together),
    evaluations below full marks, bonuses, pool deductions. The steps add up
    to the composite exactly (before its final rounding).
    """
    scheme = year.scheme
    comps = year.components.set_index("unit").loc[unit]
    targets = year.grid.frame(year.grid.row(unit))
    start, steps = 0.0, []
    for c in scheme.components:
        name = label(c.label, c.label_en, lang)
        value = float(comps[c.key])
        if c.source == "indicators":
            part = targets[~targets["is_pool"]]
            if c.categories:
                part = part[part["category"].isin(c.categories)]
            weights = part["category"].map(c.category_weights).fillna(1.0) if c.category_weights else 1.0
            factor = c.weight * ((c.scale_to / float((part["points"] * weights).sum())) if c.scale_to else 1.0)
            full = float((part["points"] * weights).sum()) * factor
            loss = ((part["points"] - part["score"]) * weights * factor).to_numpy()
            start += full
            items = sorted(zip(part["target"], loss), key=lambda x: -x[1])
            shown = [(n, l) for n, l in items[:top] if abs(l) > 1e-9]
            rest = sum(l for _, l in items[top:])
            steps += [(n, -l) for n, l in shown]
            if abs(rest) > 1e-9:
                steps.append((t("other_indicators", lang), -rest))
        elif c.source == "evaluation" and c.full:
            full = (c.scale_to or c.full) * c.weight
            start += full
            if abs(full - c.weight * value) > 1e-9:
                steps.append((name, c.weight * value - full))
        else:
            if abs(value) > 1e-9:
                steps.append((name, c.weight * value))
    rows = [{"label": t("full_points", lang), "value": start, "kind": "absolute"}]
    rows += [{"label": n, "value": v, "kind": "relative"} for n, v in steps]
    rows.append({"label": t("composite", lang), "value": float(year.results.set_index("unit").loc[unit, "composite"]),
                 "kind": "total"})
    return pd.DataFrame(rows)


def amount_words(lines: pd.DataFrame, lang: str) -> pd.Series:
    """What each trace line counted, as a reader says it: "−3.00", "+2.00", 免予 (waived by a mitigation,
    so 0 by design, not by accident), 不计分 (a status that does not count), or 0.00 (merged, capped)."""
    def words(r):
        if not r["counted"]:
            return "不计分" if lang == "zh" else "not counted"
        if r["mitigation_factor"] == 0 and abs(r["contribution"]) < 1e-12:
            return "免予" if lang == "zh" else "waived"
        return f"{r['contribution']:+.2f}".replace("-", "−")
    return pd.Series([words(r) for r in lines.to_dict("records")], index=lines.index, dtype=object)


def indicator_comparison(year: YearScore, unit: str) -> pd.DataFrame:
    """The unit's indicators against the average of its series."""
    grid = year.grid
    series = year.units.set_index("unit").loc[unit, "series"]
    peers = np.flatnonzero((year.units.set_index("unit")["series"].reindex(grid.units) == series).to_numpy())
    own = grid.frame(grid.row(unit))
    own = own[~own["is_pool"]][["target", "category", "first_level", "points", "score", "events", "base_source"]].copy()
    columns = np.flatnonzero(~grid.targets["is_pool"].to_numpy(dtype=bool))
    own["series_avg"] = np.round(grid.score[np.ix_(peers, columns)].mean(axis=0), 2)
    own["attainment"] = (own["score"] / own["points"]).round(4)
    return own.reset_index(drop=True)


def unit_history(history: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The unit's composite, ranks and grade in every year of a rank history (see rank_history)."""
    columns = ["year", "composite", "rank", "series_rank", "grade", "units", "series_units"]
    if history.empty:
        return pd.DataFrame(columns=columns)
    units = history.groupby("year")["unit"].transform("size")
    series_units = history.groupby(["year", "series"])["unit"].transform("size")
    own = history.assign(units=units, series_units=series_units)
    own = own[own["unit"] == unit].sort_values("year")
    return own[columns].reset_index(drop=True)


def attainment_matrix(year: YearScore, series: str | None = None, limit: int = 60) -> tuple[pd.DataFrame, str]:
    """Units (pinyin order) × indicators (table order): score / points, and what the rows are.

    With more than `limit` units, the rows are the series (their average attainment) when no
    series is chosen (`kind` "series"), else the `limit` units furthest below full marks
    (`kind` "lowest"); otherwise every unit (`kind` "units").
    """
    grid = year.grid
    columns = np.flatnonzero(~grid.targets["is_pool"].to_numpy(dtype=bool))
    names = grid.targets["target"].to_numpy()[columns]
    share = grid.score[:, columns] / grid.targets["points"].to_numpy(dtype=float)[columns]
    unit_series = year.units.set_index("unit")["series"].reindex(grid.units).to_numpy()
    rows = np.flatnonzero(unit_series == series) if series else np.arange(len(grid.units))
    if len(rows) <= limit:
        frame = pd.DataFrame(share[rows], index=grid.units[rows], columns=names)
        return frame.loc[sort_names(frame.index)], "units"
    if not series:
        frame = pd.DataFrame(share, columns=names).groupby(unit_series).mean()
        return frame.loc[sort_names(frame.index)], "series"
    lowest = rows[np.argsort(share[rows].sum(axis=1), kind="stable")[:limit]]
    frame = pd.DataFrame(share[lowest], index=grid.units[lowest], columns=names)
    return frame.loc[sort_names(frame.index)], "lowest"


def progress_status(progress: pd.DataFrame, period: str | None = None) -> pd.DataFrame:
    """Each unit's latest progress per indicator against 序时进度.

    on_track: at most 5 points behind the time-proportional expectation;
    behind: 5–15 points behind; at_risk: more than 15 points behind.
    """
    if progress.empty:
        return progress.assign(expected=[], gap=[], status=[])
    p = progress.copy()
    p["order"] = p["period"].map(list(PERIOD_EXPECTED).index)
    if period:
        p = p[p["period"] == period]
    else:
        p = p.sort_values("order").groupby(["unit", "indicator"], as_index=False).last()
    p["expected"] = p["period"].map(PERIOD_EXPECTED)
    p["gap"] = (p["percent"] - p["expected"]).round(1)
    p["status"] = np.select([p["gap"] >= -5, p["gap"] >= -15], ["on_track", "behind"], default="at_risk")
    return p.drop(columns="order").reset_index(drop=True)


def unit_progress(progress: pd.DataFrame) -> pd.DataFrame:
    """Per unit and period: average progress against 序时进度, with a status."""
    if progress.empty:
        return pd.DataFrame(columns=["unit", "period", "percent", "expected", "gap", "status"])
    g = progress.groupby(["unit", "period"], as_index=False)["percent"].mean()
    g["percent"] = g["percent"].round(1)
    g["expected"] = g["period"].map(PERIOD_EXPECTED)
    g["gap"] = (g["percent"] - g["expected"]).round(1)
    g["status"] = np.select([g["gap"] >= -5, g["gap"] >= -15], ["on_track", "behind"], default="at_risk")
    g["_order"] = g["period"].map(list(PERIOD_EXPECTED).index)
    g["_k"] = g["unit"].map(pinyin_key)
    return g.sort_values(["_k", "_order"]).drop(columns=["_order", "_k"]).reset_index(drop=True)


def event_history(year: YearScore) -> pd.DataFrame:
    """Every counted event of the year with the amount it counted and its category: the columns the
    overview of deductions and bonuses reads (event id, date, unit, target, rule, source level, count,
    final amount, category, month, level order, direction, rule kind), by unit, target, date and id.

    Built straight from the pipeline's arrays; the repeated texts are categories, so a year of a
    large organisation stays a few megabytes (it is cached and copied per rerun)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..vocab import SOURCE_LEVELS
    events, amounts = year.events, year.amounts
    pos = np.flatnonzero(amounts.counted)
    unit_names = np.asarray(year.units["unit"], dtype=object)
    targets = np.asarray(year.inputs.targets, dtype=object)
    ids = events.ids_of(pos) if len(pos) else np.zeros(0, dtype=object)
    keys = pa.table({"unit": _lexical_rank(unit_names)[events.unit[pos]], "target": _lexical_rank(targets)[events.target[pos]],
                     "day": events.day[pos], "id": pa.array(ids, type=pa.string())})
    at = pc.sort_indices(keys, sort_keys=[(k, "ascending") for k in ("unit", "target", "day", "id")]).to_numpy()   # stable
    pos, ids = pos[at], ids[at]
    cats = year.indicators.set_index("indicator")["category"].to_dict()
    firsts = year.indicators.set_index("indicator")["first_level"].to_dict()
    # the first-level indicator (科学/依法/高效/廉洁 …) says most; else the category; pools by name
    label = [firsts.get(tg) or cats.get(tg) or tg for tg in targets]
    order = {lv: i for i, lv in enumerate(LEVEL_ORDER)}
    level_order = np.array([order.get(lv, 99) for lv in SOURCE_LEVELS] + [99], dtype=float)
    final = amounts.final[pos]
    dates = events.dates(pos)
    months, month_at = np.unique(dates.astype("datetime64[M]"), return_inverse=True)
    rules = year.scheme.rules
    return pd.DataFrame({
        "event_id": ids, "date": dates,
        "unit": pd.Categorical.from_codes(events.unit[pos], categories=list(unit_names)),
        "target": pd.Categorical.from_codes(events.target[pos], categories=list(targets)),
        "rule": pd.Categorical.from_codes(events.rule[pos], categories=[r.name for r in rules]),
        "source_level": pd.Categorical.from_codes(events.level[pos], categories=list(SOURCE_LEVELS)),
        "count": events.count[pos], "final": final,
        "category": _category_of(label, events.target[pos]),
        "month": pd.Categorical.from_codes(month_at.ravel(), categories=months.astype(str).tolist()),
        "level_order": level_order[events.level[pos]],
        "direction": pd.Categorical.from_codes(np.where(final < 0, 0, np.where(final > 0, 1, 2)),
                                               categories=["deducted", "added", "zero"]),
        "kind": _category_of([r.kind for r in rules], events.rule[pos])})


def _lexical_rank(names: np.ndarray) -> np.ndarray:
    """Each name's place in text order."""
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.argsort(names.astype(str), kind="stable")] = np.arange(len(names))
    return rank


def _category_of(values: list, at: np.ndarray) -> pd.Categorical:
    """values[at] as a categorical column (values may repeat)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    return pd.Categorical.from_codes(codes[at], categories=list(uniques))


def most_deducted(events: pd.DataFrame, n: int = 15) -> list:
    """The n units with the most points deducted among these events."""
    deducted = (-events["final"].clip(upper=0.0)).groupby(events["unit"], observed=True).sum()
    return list(deducted[deducted > 0].nlargest(n).index)


def rank_history(results_by_year: dict, skip=()) -> pd.DataFrame:
    """Long frame: year, unit, series, rank, series_rank, composite, grade, from each year's results
    (year → results frame), leaving out the years in `skip`."""
    columns = ["unit", "series", "rank", "series_rank", "composite", "grade"]
    frames = [frame[columns].assign(year=y) for y, frame in sorted(results_by_year.items()) if y not in set(skip)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns + ["year"])


def movement_between(history: pd.DataFrame, first: int, second: int, basis: str = "series_rank") -> pd.DataFrame:
    """Each unit's rank in two years and the change (positive = moved up)."""
    a = history[history["year"] == first].set_index("unit")
    b = history[history["year"] == second].set_index("unit")
    both = b.join(a[[basis, "series"]], rsuffix="_before", how="left")
    out = pd.DataFrame({"unit": both.index, "series": both["series"], "before": both[f"{basis}_before"],
                        "after": both[basis]})
    same = both["series_before"].isna() | (both["series_before"] == both["series"]) if basis == "series_rank" else True
    out.loc[~np.asarray(same, dtype=bool), "before"] = np.nan
    out["change"] = out["before"] - out["after"]
    out["_k"] = out["unit"].map(pinyin_key)
    return out.sort_values(["series", "after", "_k"]).drop(columns="_k").reset_index(drop=True)


MOST_MOVES = 15      # a slope chart of many units shows this many of the biggest risers and of the biggest fallers


def biggest_moves(moves: pd.DataFrame, each: int = MOST_MOVES) -> pd.DataFrame:
    """The `each` biggest risers and `each` biggest fallers of `movement_between` (ties in its order)."""
    up = moves[moves["change"] > 0].sort_values("change", ascending=False, kind="mergesort").head(each)
    down = moves[moves["change"] < 0].sort_values("change", kind="mergesort").head(each)
    return moves.loc[moves.index.isin(up.index) | moves.index.isin(down.index)]


def movement_notice(moves: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The movement notice as a table: risers (most first), fallers, then units without last year's rank."""
    up = moves[moves["change"] > 0].sort_values("change", ascending=False)
    down = moves[moves["change"] < 0].sort_values("change")
    new = moves[moves["before"].isna()]
    table = pd.concat([up, down, new])
    table = table.assign(words=[movement_words(c, b, lang) for c, b in zip(table["change"], table["before"])])
    return table[["unit", "before", "after", "words"]].reset_index(drop=True)


def audit_changes(before_json: str | None, after_json: str | None, lang: str = "zh") -> str:
    """What one audit row changed, field by field: 'count: 1 → 2；status: 已审定 → 已撤销' ('; ' between fields in English)."""
    import json
    before = json.loads(before_json) if isinstance(before_json, str) else {}
    after = json.loads(after_json) if isinstance(after_json, str) else {}
    sep = t("item_sep", lang)
    if not before:
        return sep.join(f"{k}: {v}" for k, v in after.items() if v not in (None, "", 0) and k != "event_id")
    if not after:
        return ""
    return sep.join(f"{k}: {before.get(k)} → {after.get(k)}" for k in after if before.get(k) != after.get(k))
