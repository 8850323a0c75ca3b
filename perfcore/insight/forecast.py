"""Who is at risk (预警): where the year in progress is heading, with an interval, and who may end badly.

    result = forecast(scores, 2026)                          # as of the latest record of 2026
    result.table[["unit", "projected", "low", "high", "grade", "p_lowest", "flags"]]
    backtest(scores, (9, 30))                                # every past year projected from 30 September

The projection scores the year as the engine does (scoring.target_scores, component_values,
results.finish) from projected inputs:

- records: for every unit and indicator or pool, the amount recorded so far plus what is still
  to come. The share of a year's records (by amount) that earlier years had recorded by this day
  is the pattern p (for each pool, and for the indicators together). The rate of the unit on that
  target pools this year's records (p of a year) with its earlier years' totals (a year each):
  rate = (so far + Σ earlier) / (p + years), and what is still to come is (1 − p) × rate. With no
  earlier year it is the year's own pace, so far / p. Floors and caps then apply as always (R6, R12).
- scores data-collection units give at year-end (直接评分) and evaluations (公众评议 …) not given yet:
  the unit's average of earlier years (an indicator's attainment, score / points), else the
  average of all units the year before.
- vetoes recorded so far stand.

The interval comes from the method's own errors: every complete earlier year is projected from
its records up to the same day of the year (its direct scores and evaluations hidden, as they are
at that time), and the errors (actual − projected) of all units in those years give the 5 % and
95 % bounds. The same errors, drawn at random for every unit (4,000 draws), give the probability
of each grade, of the lowest grade, of falling below last year's grade and of meeting again the
condition of a consequence that takes consecutive years (R26: 连续两年 …). A unit is flagged when
such a probability reaches vocab.RISK_PROBABILITY. Progress reports (工作进度表) are shown beside
the projection against 序时进度 and flag a unit behind schedule; they do not move the projected
composite (see docs/analyses.md).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engine import grading
from ..engine import results as results_mod
from ..engine import scoring
from ..engine.results import YearScore, in_progress
from ..engine.scoring import evaluation_sums
from ..errors import PerfcoreError
from ..vocab import PERIODS, PROGRESS_BEHIND_GAP, PROGRESS_ON_TRACK_GAP, RISK_PROBABILITY
from .draws import grade_draws, shares, to_cents
from .scores import Scores

DRAWS = 4000
BACKTEST_DAY = (9, 30)


def on(year: int, month: int, day: int) -> dt.date:
    """(year, month, day) as a date; 29 February becomes the 28th in other years."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, month, 28)


def _cutoff(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of (year, month, day)."""
    return (on(year, month, day) - dt.date(1970, 1, 1)).days


def _record_days(year: YearScore) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every counted line of the year: unit row, target column, day, amount (task-item lines on 31 December)."""
    events, amounts = year.inputs.events, year.amounts
    live = amounts.counted
    unit, target, day, final = events.unit[live], events.target[live], events.day[live], amounts.final[live]
    synthetic = year.inputs.synthetic
    if synthetic is not None and not synthetic.empty:
        u = pd.Index(year.grid.units).get_indexer(synthetic["unit"])
        t = pd.Index(year.inputs.targets).get_indexer(synthetic["target"])
        ok = (u >= 0) & (t >= 0)
        unit = np.r_[unit, u[ok]]
        target = np.r_[target, t[ok]]
        day = np.r_[day, np.full(int(ok.sum()), _cutoff(year.year, 12, 31))]
        final = np.r_[final, synthetic["final"].to_numpy(dtype=float)[ok]]
    return unit.astype(np.int64), target.astype(np.int64), day.astype(np.int64), final.astype(float)


def _kind(targets: pd.DataFrame) -> np.ndarray:
    """The pattern each target follows: its pool's own, or the indicators' together."""
    return np.where(targets["is_pool"].to_numpy(dtype=bool), targets["target"].to_numpy(), "").astype(object)


def pattern(history: list[YearScore], month: int, day: int) -> dict:
    """Per target kind (pool name, or "" for the indicators): the share of the year's records (by amount)
    recorded by (month, day) in the earlier years together."""
    seen, total = {}, {}
    for h in history:
        unit, target, days, final = _record_days(h)
        kinds = _kind(h.grid.targets)[target]
        cut = _cutoff(h.year, month, day)
        for k in set(kinds):
            at = kinds == k
            size = np.abs(final[at])
            total[k] = total.get(k, 0.0) + float(size.sum())
            seen[k] = seen.get(k, 0.0) + float(size[days[at] <= cut].sum())
    elapsed = (_cutoff(2001, month, day) - _cutoff(2001, 1, 1) + 1) / 365.0
    out = {k: (seen[k] / total[k] if total[k] > 0 else elapsed) for k in total}
    out.setdefault("", elapsed)
    return out


@dataclass
class Projection:
    year: YearScore            # the year as projected (results, grid, components under the scheme)
    so_far: np.ndarray         # per grid cell: the records' amount up to the day
    as_of: dt.date


def project(target: YearScore, history: list[YearScore], as_of: dt.date, hide_year_end: bool = False) -> Projection:
    """The year projected to its end from its records up to `as_of` (see the module's docstring).

    `hide_year_end` treats direct scores, evaluations and vetoes after `as_of` as not given yet (a backtest)."""
    grid = target.grid
    units, names = list(grid.units), list(grid.targets["target"])
    n_u, n_t = len(units), len(names)
    cut = (as_of - dt.date(1970, 1, 1)).days
    unit, column, days, final = _record_days(target)
    seen = days <= cut
    so_far = np.zeros((n_u, n_t))
    np.add.at(so_far, (unit[seen], column[seen]), final[seen])
    p_of = pattern(history, as_of.month, as_of.day)
    p = np.array([p_of.get(k, p_of[""]) for k in _kind(grid.targets)], dtype=float)
    earlier, exposure = np.zeros((n_u, n_t)), np.zeros((n_u, n_t))
    for h in history:
        rows = pd.Index(h.grid.units).get_indexer(units)
        cols = pd.Index(h.grid.targets["target"]).get_indexer(names)
        r_ok, c_ok = rows >= 0, cols >= 0
        block = h.grid.net[np.ix_(rows[r_ok], cols[c_ok])]
        earlier[np.ix_(r_ok, c_ok)] += block
        exposure[np.ix_(r_ok, c_ok)] += 1.0
    p_full = np.broadcast_to(p, (n_u, n_t))
    rate = np.divide(so_far + earlier, p_full + exposure, out=np.zeros((n_u, n_t)), where=(p_full + exposure) > 0)
    net = so_far + (1.0 - p_full) * rate
    direct = _direct_scores(target, history, hide_year_end)
    inputs = target.inputs
    projected_grid = scoring.target_scores(units, target.indicators, target.scheme, {"net": net.ravel()}, direct,
                                           targets=inputs.target_table if target.scheme.pools == inputs.scheme_pools else None)
    evaluations = _evaluations(target, history, hide_year_end)
    components = scoring.component_values(projected_grid, evaluations, target.scheme)
    vetoes = _vetoes(target, as_of) if hide_year_end else target.vetoes
    results, notes = results_mod.finish(target.units, components, vetoes, target.scheme)
    year = dataclasses.replace(target, grid=projected_grid, components=components, results=results, notes=notes,
                               vetoes=vetoes, evaluations=evaluations)
    return Projection(year, so_far, as_of)


def _direct_scores(target: YearScore, history: list[YearScore], hide: bool) -> pd.DataFrame:
    """Direct scores: those given (unless hidden), else the unit's earlier attainment × points, else the
    average attainment of all units the year before."""
    grid = target.grid
    targets = grid.targets
    direct_cols = np.flatnonzero((targets["mode"] == "direct").to_numpy())
    rows = []
    for j in direct_cols:
        name = targets["target"].iloc[j]
        points = float(targets["points"].iloc[j])
        own, last = {}, None
        for h in history:
            if name not in set(h.grid.targets["target"]):
                continue
            c = h.grid.column(name)
            given = h.grid.base_source[:, c] == scoring.DIRECT
            h_points = float(h.grid.targets["points"].iloc[c])
            if not given.any() or not h_points:
                continue
            share = h.grid.base[given, c] / h_points
            for u, s in zip(h.grid.units[given], share):
                own.setdefault(u, []).append(float(s))
            last = float(share.mean())
        for i, u in enumerate(grid.units):
            if not hide and grid.base_source[i, j] == scoring.DIRECT:
                rows.append((u, name, float(grid.base[i, j])))
            elif u in own:
                rows.append((u, name, round(points * float(np.mean(own[u])), 6)))
            elif last is not None:
                rows.append((u, name, round(points * last, 6)))
    return pd.DataFrame(rows, columns=["unit", "indicator", "score"])


def _evaluations(target: YearScore, history: list[YearScore], hide: bool) -> pd.DataFrame:
    """Evaluations: those given (unless hidden), else the unit's earlier average, else all units' the year before.
    An optional evaluation (市对区激励 …) that some units have this year already is held: the others have none."""
    units = list(target.grid.units)
    current = evaluation_sums(units, target.evaluations) if not hide else {}
    rows = []
    for comp in target.scheme.components:
        if comp.source != "evaluation":
            continue
        kind = comp.name
        now = current.get(kind)
        per_unit, last = {}, None
        for h in history:
            sums = evaluation_sums(list(h.grid.units), h.evaluations).get(kind)
            values = np.nan_to_num(sums, nan=0.0) if comp.optional and sums is not None else sums
            if values is None:
                if comp.optional:
                    values = np.zeros(len(h.grid.units))
                else:
                    continue
            for u, v in zip(h.grid.units, values):
                if v == v:
                    per_unit.setdefault(u, []).append(float(v))
            given = values[~np.isnan(values)]
            if len(given):
                last = float(given.mean())
        held = now is not None and bool((now == now).any())
        for i, u in enumerate(units):
            if now is not None and now[i] == now[i]:
                rows.append((u, kind, None, float(now[i]), None))
            elif held and comp.optional:
                continue           # an optional evaluation already held this year: a unit without one has none (0)
            elif u in per_unit:
                rows.append((u, kind, None, float(np.mean(per_unit[u])), None))
            elif last is not None:
                rows.append((u, kind, None, last, None))
    return pd.DataFrame(rows, columns=["unit", "kind", "aspect", "score", "max_score"])


def _vetoes(target: YearScore, as_of: dt.date) -> dict:
    """The vetoes recorded by `as_of`: the veto table's (by their date) and veto records'."""
    table = target.inputs.veto_table
    out = {}
    if table is not None and not table.empty:
        for r in table.itertuples():
            if pd.Timestamp(r.date).date() <= as_of:
                out.setdefault(r.unit, []).append(str(r.category))
    events, amounts = target.inputs.events, target.amounts
    cut = (as_of - dt.date(1970, 1, 1)).days
    for i in np.flatnonzero(amounts.veto & (events.day <= cut)):
        out.setdefault(target.grid.units[events.unit[i]], []).append("一票否决事件")
    return {u: "；".join(v) for u, v in out.items()}


def _history(scores: Scores, year: int) -> list[YearScore]:
    """The complete years before `year`, oldest first."""
    return [scores.year(y) for y in sorted(scores.known) if y < year and not in_progress(scores.year(y).results)]


def _latest_record(year: YearScore) -> dt.date:
    days = year.inputs.events.day[year.amounts.counted]
    if not len(days):
        return dt.date(year.year, 1, 1)
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(days.max()))


def errors(scores: Scores, year: int, month: int, day: int) -> pd.DataFrame:
    """Each complete year before `year` (with at least one earlier year) projected from (month, day):
    year, unit, projected, actual and error (actual − projected)."""
    frames = []
    history = _history(scores, year)
    for k, past in enumerate(history):
        earlier = history[:k]
        if not earlier:
            continue
        projected = project(past, earlier, on(past.year, month, day), hide_year_end=True)
        p = projected.year.results.set_index("unit")["composite"]
        actual = past.results.set_index("unit")["composite"]
        frames.append(pd.DataFrame({"year": past.year, "unit": p.index, "projected": p.to_numpy(),
                                    "actual": actual.reindex(p.index).to_numpy()}))
    if not frames:
        return pd.DataFrame(columns=["year", "unit", "projected", "actual", "error"])
    out = pd.concat(frames, ignore_index=True)
    out["error"] = (out["actual"] - out["projected"]).round(6)
    return out


@dataclass
class Forecast:
    org: str
    year: int
    as_of: dt.date
    complete: bool
    table: pd.DataFrame                 # one row per unit, see `forecast`
    errors: pd.DataFrame                # the backtest errors the interval is built from
    pattern: dict = field(default_factory=dict)
    risk: float = RISK_PROBABILITY

    def to_dict(self) -> dict:
        """As `forecast --format json` prints it."""
        from .change import records
        return {"org": self.org, "year": self.year, "as_of": self.as_of.isoformat(), "complete": self.complete,
                "risk_probability": self.risk, "errors_used": int(len(self.errors)),
                "pattern": {k or "indicators": round(v, 4) for k, v in self.pattern.items()},
                "units": records(self.table)}


def forecast(scores: Scores, year: int, as_of: dt.date | None = None, draws: int = DRAWS, seed=0,
             progress: pd.DataFrame | None = None, risk: float = RISK_PROBABILITY) -> Forecast:
    """Each unit's projected year-end composite (with a 5–95 % interval), grade and risks.

    Columns: unit, series, so_far (the provisional composite now), projected, low, high, grade
    (projected), p_grade (grade → probability), p_lowest, last_grade, p_down (a worse grade than last
    year), repeat (consequence → probability of meeting its consecutive-years condition again, for the
    units that met it in the years before), progress_percent / progress_expected / progress_status
    (the latest progress report against 序时进度), flags (risk words)."""
    current = scores.year(year)
    history = _history(scores, year)
    complete = not in_progress(current.results)
    if as_of is None:
        as_of = dt.date(year, 12, 31) if complete else _latest_record(current)
    if as_of.year != year:
        raise PerfcoreError(f"预测日期应在 {year} 年内 / the as-of date must fall in {year}")
    projected = project(current, history, as_of)
    errs = errors(scores, year, as_of.month, as_of.day)
    table = _risks(current, projected.year, history, errs["error"].to_numpy(dtype=float), draws, seed, risk)
    table = _with_progress(table, progress, risk)
    return Forecast(scores.org, year, as_of, complete, table, errs, pattern(history, as_of.month, as_of.day), risk)


def _risks(current: YearScore, projected: YearScore, history: list[YearScore], errs: np.ndarray, draws: int, seed,
           risk: float) -> pd.DataFrame:
    scheme = projected.scheme
    units = list(projected.grid.units)
    res = projected.results.set_index("unit").loc[units]
    centre = res["composite"].to_numpy(dtype=float)
    names = scheme.grade_names()
    rng = np.random.default_rng(seed)
    if len(errs):
        low, high = np.quantile(errs, 0.05, method="inverted_cdf"), np.quantile(errs, 0.95, method="inverted_cdf")
        sample = errs[rng.integers(0, len(errs), (draws, len(units)))]
    else:
        low = high = 0.0
        sample = np.zeros((1, len(units)))
    cents = to_cents(centre[None, :] + sample, scheme.decimals)
    grades = grade_draws(cents, projected)
    share = shares(grades, len(names))
    lowest = len(names) - 1
    last = history[-1].results.set_index("unit") if history and history[-1].year == current.year - 1 else None
    last_grade = [last.loc[u, "grade"] if last is not None and u in last.index else None for u in units]
    worse = np.array([names.index(g) if g in names else lowest + 1 for g in last_grade])
    p_down = (grades > worse[None, :]).mean(axis=0)
    repeat = _repeats(current, projected, history, cents, grades)
    rows = []
    for i, u in enumerate(units):
        flags = []
        if share[i, lowest] >= risk:
            flags.append("lowest")
        if last_grade[i] is not None and p_down[i] >= risk:
            flags.append("down")
        if any(p >= risk for p in repeat[i].values()):
            flags.append("repeat")
        rows.append({"unit": u, "series": res.loc[u, "series"],
                     "so_far": float(current.results.set_index("unit").loc[u, "composite"]),
                     "projected": float(centre[i]), "low": round(float(centre[i] + low), scheme.decimals),
                     "high": round(float(centre[i] + high), scheme.decimals), "grade": res.loc[u, "grade"],
                     "p_grade": {g: float(share[i, k]) for k, g in enumerate(names)}, "p_lowest": float(share[i, lowest]),
                     "last_grade": last_grade[i], "p_down": float(p_down[i]) if last_grade[i] is not None else None,
                     "repeat": repeat[i], "veto": bool(res.loc[u, "veto"]), "flags": flags})
    frame = pd.DataFrame(rows)
    frame = frame.assign(_r=res["rank"].to_numpy()).sort_values(["_r", "unit"], kind="mergesort").drop(columns="_r")
    return frame.reset_index(drop=True)


def _repeats(current: YearScore, projected: YearScore, history: list[YearScore], cents: np.ndarray,
             grades: np.ndarray) -> list[dict]:
    """For consequences over consecutive years (R26): per unit that met the condition in each year before,
    the probability of meeting it again this year."""
    scheme = projected.scheme
    units = list(projected.grid.units)
    out = [{} for _ in units]
    by_year = {h.year: h.results.set_index("unit") for h in history}
    res = projected.results.set_index("unit").loc[units]
    names = scheme.grade_names()
    scale = 10.0 ** scheme.decimals
    for c in scheme.consequences:
        if c.years < 2:
            continue
        before = [by_year.get(current.year - k) for k in range(1, c.years)]
        if any(b is None for b in before):
            continue
        held = np.ones(len(units), dtype=bool)
        for frame in before:
            cond = _condition(frame, c, scheme)
            held &= np.array([bool(cond.get(u, False)) for u in units])
        if not held.any():
            continue
        hit = np.ones(cents.shape, dtype=bool)
        if c.grade is not None:
            hit &= grades == names.index(c.grade)
        if c.veto is not None:
            hit &= (res["veto"].to_numpy(dtype=bool) == c.veto)[None, :]
        if c.below is not None:
            hit &= cents < np.ceil(c.below * scale - 1e-6)
        if c.lowest:
            groups = res["series"].to_numpy() if scheme.grading_pool == "series" else np.zeros(len(units), dtype=int)
            for g in pd.unique(groups):
                cols = np.flatnonzero(groups == g)
                hit[:, cols] &= cents[:, cols] == cents[:, cols].min(axis=1, keepdims=True)
        p = hit.mean(axis=0)
        for i in np.flatnonzero(held):
            out[i][c.name] = float(p[i])
    return out


def _condition(frame: pd.DataFrame, c, scheme) -> dict:
    """Whether each unit met a consequence's condition in one year's results (unit → bool), as the engine
    decides it: the same consequence taken over one year, through grading.with_history."""
    one = dataclasses.replace(scheme, consequences=(dataclasses.replace(c, years=1),))
    base = frame.reset_index()[["unit", "series", "composite", "veto", "rank", "series_rank", "grade"]]
    out = grading.with_history(base, [], one)
    return dict(zip(out["unit"], [c.name in hit for hit in out["consequences"]]))


def _with_progress(table: pd.DataFrame, progress: pd.DataFrame | None, risk: float) -> pd.DataFrame:
    """The latest progress report of each unit against 序时进度 (average over its indicators)."""
    table = table.assign(progress_period=None, progress_percent=np.nan, progress_expected=np.nan, progress_status=None)
    if progress is None or progress.empty:
        return table
    order = {p: i for i, p in enumerate(PERIODS)}
    p = progress[progress["period"].isin(list(PERIODS))].copy()
    if p.empty:
        return table
    p["_o"] = p["period"].map(order)
    latest = p[p["_o"] == p.groupby("unit")["_o"].transform("max")]
    mean = latest.groupby("unit").agg(period=("period", "first"), percent=("percent", "mean"))
    for i, u in enumerate(table["unit"]):
        if u not in mean.index:
            continue
        period, percent = mean.loc[u, "period"], float(mean.loc[u, "percent"])
        expected = PERIODS[period]
        gap = percent - expected
        status = "on_track" if gap >= PROGRESS_ON_TRACK_GAP else "behind" if gap >= PROGRESS_BEHIND_GAP else "at_risk"
        table.at[i, "progress_period"] = period
        table.at[i, "progress_percent"] = round(percent, 1)
        table.at[i, "progress_expected"] = expected
        table.at[i, "progress_status"] = status
        if status == "at_risk":
            table.at[i, "flags"] = list(table.at[i, "flags"]) + ["behind"]
    return table


def backtest(scores: Scores, day: tuple[int, int] = BACKTEST_DAY, risk: float = RISK_PROBABILITY,
             draws: int = DRAWS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every complete year projected from its records up to `day` (month, day), against its actual result.

    Returns the unit rows (year, unit, projected, actual, error, low, high, covered, grade, actual_grade,
    p_down, flagged_down, fell: a worse grade than the year before in fact) and one summary row per year:
    units, mean absolute error, RMSE, largest error, bias, interval coverage, the share of grades projected
    right, and the units flagged for a worse grade with how many did fall. Intervals and probabilities use
    only earlier years' errors, as a forecast made that day could have."""
    month, dday = day
    history = _history(scores, 10 ** 6)
    rows = []
    for k, past in enumerate(history):
        earlier = history[:k]
        if not earlier:
            continue
        projected = project(past, earlier, on(past.year, month, dday), hide_year_end=True)
        prior = errors(scores, past.year, month, dday)["error"].to_numpy(dtype=float)
        risks = _risks(past, projected.year, earlier, prior, draws, 0, risk).set_index("unit") if len(prior) else None
        lo = np.quantile(prior, 0.05, method="inverted_cdf") if len(prior) else np.nan
        hi = np.quantile(prior, 0.95, method="inverted_cdf") if len(prior) else np.nan
        p = projected.year.results.set_index("unit")
        actual = past.results.set_index("unit")
        names = past.scheme.grade_names()
        before = earlier[-1].results.set_index("unit") if earlier[-1].year == past.year - 1 else None
        for u in p.index:
            value, real = float(p.loc[u, "composite"]), float(actual.loc[u, "composite"])
            last = before.loc[u, "grade"] if before is not None and u in before.index else None
            rows.append({"year": past.year, "unit": u, "projected": value, "actual": real, "error": round(real - value, 6),
                         "low": value + lo, "high": value + hi,
                         "covered": bool(value + lo <= real <= value + hi) if len(prior) else None,
                         "grade": p.loc[u, "grade"], "actual_grade": actual.loc[u, "grade"],
                         "p_down": float(risks.loc[u, "p_down"]) if risks is not None and last is not None else None,
                         "flagged_down": bool(risks is not None and "down" in risks.loc[u, "flags"]),
                         "fell": bool(last in names and names.index(actual.loc[u, "grade"]) > names.index(last))})
    units = pd.DataFrame(rows)
    if units.empty:
        return units, pd.DataFrame()
    summary = units.groupby("year").apply(lambda g: pd.Series({
        "units": len(g), "mae": g["error"].abs().mean(), "rmse": float(np.sqrt((g["error"] ** 2).mean())),
        "max_error": g["error"].abs().max(), "bias": g["error"].mean(),
        "coverage": g["covered"].dropna().mean() if g["covered"].notna().any() else np.nan,
        "grade_hit": (g["grade"] == g["actual_grade"]).mean(),
        "flagged_down": int(g["flagged_down"].sum()), "flagged_fell": int((g["flagged_down"] & g["fell"]).sum()),
        "fell": int(g["fell"].sum())}), include_groups=False).reset_index()
    return units, summary
