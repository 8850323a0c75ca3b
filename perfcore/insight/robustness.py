"""How sure the ranking is (稳健性): ranks and grades when the weights are uncertain.

    table = robustness(year, draws=10_000, spread=0.25, seed=1)
    table[["unit", "median_rank", "rank_p05", "rank_p95", "p_grade"]]

The weights drawn are the scheme's own: each component with full marks (indicators, evaluations
such as 公众评议), and inside an indicator component each category (差异化/共同性 …) when it has
more than one. Each is multiplied by a factor drawn uniformly from [1 − spread, 1 + spread]; then
all are rescaled together so that full marks still add up to the scheme's (the scale is kept, as
the JRC/OECD handbook's uncertainty analysis does). Raw-point parts (bonus and deduction pools,
incentives without full marks) keep their weight. Where asked (`evaluation_spread`), an
evaluation's score is also drawn, normal around the unit's score with that standard deviation in
its own points, within [0, full].

Each draw's composite is the official one plus the draw's change (so with no spread every draw is
the official composite to the last bit), rounded to the scheme's decimals, then ranked and graded
exactly as the engine does (draws.py). Per unit: the median rank, the 5 % and 95 % ranks (the
band 90 % of draws fall in), the probability of each grade and of its official rank.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.results import YearScore
from ..engine.scoring import evaluation_sums
from ..errors import PerfcoreError
from .draws import CHUNK, competition_ranks, grade_draws, to_cents
from .parts import exact_composite

DEFAULT_SPREAD = 0.25
MAX_DRAWS = 100_000


def weight_columns(year: YearScore) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The weights that are drawn: X (units × columns, unweighted), their weights a, full marks F, names."""
    grid, scheme = year.grid, year.scheme
    targets = grid.targets
    is_indicator = ~targets["is_pool"].to_numpy(dtype=bool)
    points = targets["points"].to_numpy(dtype=float)
    category = targets["category"].fillna("").to_numpy()
    columns, weights, full, names = [], [], [], []
    comps = year.components.set_index("unit").loc[list(grid.units)]
    for comp in scheme.components:
        if comp.weight <= 0:
            continue
        if comp.source == "indicators":
            sel = is_indicator.copy()
            if comp.categories:
                sel &= np.isin(category, comp.categories)
            cw = pd.Series(category).map(comp.category_weights).fillna(1.0).to_numpy(dtype=float) \
                if comp.category_weights else np.ones(len(sel))
            total = float((points * cw)[sel].sum())
            scale = comp.scale_to / total if comp.scale_to is not None and total else 1.0
            present = [c for c in dict.fromkeys(category[sel])]
            if comp.cap is None and len(present) > 1:
                for cat in present:
                    at = sel & (category == cat)
                    columns.append(grid.score[:, at] @ (cw[at] * scale))
                    weights.append(comp.weight)
                    full.append(float((points * cw)[at].sum() * scale))
                    names.append(f"{comp.key}:{cat}")
            else:
                top = comp.scale_to if comp.scale_to is not None else total
                columns.append(comps[comp.key].to_numpy(dtype=float))
                weights.append(comp.weight)
                full.append(min(top, comp.cap) if comp.cap is not None else top)
                names.append(comp.key)
        elif comp.source == "evaluation" and comp.full:
            top = comp.scale_to if comp.scale_to is not None else comp.full
            columns.append(comps[comp.key].to_numpy(dtype=float))
            weights.append(comp.weight)
            full.append(min(top, comp.cap) if comp.cap is not None else top)
            names.append(comp.key)
    X = np.column_stack(columns) if columns else np.zeros((len(grid.units), 0))
    return X, np.asarray(weights, dtype=float), np.asarray(full, dtype=float), names


def draw_weights(weights: np.ndarray, full: np.ndarray, n: int, spread: float, rng) -> np.ndarray:
    """n draws of the weights: each × U(1 − spread, 1 + spread), rescaled so Σ weight × full stays the scheme's."""
    if not len(weights):
        return np.zeros((n, 0))
    factor = 1.0 + spread * (2.0 * rng.random((n, len(weights))) - 1.0)
    drawn = weights * factor
    keep = float(weights @ full)
    drawn *= (keep / (drawn @ full))[:, None]
    return drawn


class Draws:
    """The weights of every draw (drawn once, in order, from `seed`) and each chunk's composites in whole cents.

    Chunks are independent (an evaluation's noise has a generator of its own per chunk), so they can be
    computed in any order or at once and still give the same draws for the same seed."""

    def __init__(self, year: YearScore, draws: int, spread: float, seed=None, evaluation_spread: dict | None = None):
        if spread < 0 or spread >= 1:
            raise PerfcoreError("权重扰动幅度应在 0 至 1 之间（如 0.25 表示 ±25%） / the spread must be at least 0 and "
                                "below 1 (0.25 is ±25 %)")
        if draws < 1 or draws > MAX_DRAWS:
            raise PerfcoreError(f"抽样次数应在 1 至 {MAX_DRAWS} 之间 / draws must be between 1 and {MAX_DRAWS}")
        rng = np.random.default_rng(seed)
        self.X, self.a, F, self.names = weight_columns(year)
        self.weights = draw_weights(self.a, F, draws, spread, rng)
        self.noise_seed = int(rng.integers(0, 2 ** 63))
        self.base = exact_composite(year.components.set_index("unit").loc[list(year.grid.units)], year.scheme)
        self.noisy = _evaluation_noise(year, evaluation_spread or {})
        self.decimals = year.scheme.decimals
        self.draws = draws
        self.starts = list(range(0, draws, CHUNK))

    def chunk(self, k: int) -> np.ndarray:
        """The composites of chunk k (draws × units, grid order) in whole units of the scheme's decimals."""
        start = self.starts[k]
        d = min(CHUNK, self.draws - start)
        if len(self.a):
            values = (self.weights[start:start + d] - self.a) @ self.X.T
            values += self.base
        else:
            values = np.broadcast_to(self.base, (d, len(self.base))).copy()
        if self.noisy:
            rng = np.random.default_rng([self.noise_seed, k])
            for weight, raw, full, sd in self.noisy:
                moved = np.clip(raw + rng.normal(0.0, sd, (d, len(raw))), 0.0, full) - raw
                moved[:, np.isnan(raw)] = 0.0
                values += weight * moved
        return to_cents(values, self.decimals)


def composite_draws(year: YearScore, draws: int, spread: float, seed=None, evaluation_spread: dict | None = None):
    """Yield (draw count, composites in whole cents: draws × units) chunk by chunk, units in grid order."""
    sampled = Draws(year, draws, spread, seed, evaluation_spread)
    for k in range(len(sampled.starts)):
        cents = sampled.chunk(k)
        yield len(cents), cents


def _evaluation_noise(year: YearScore, spread: dict) -> list:
    """For each evaluation drawn: (its factor into the composite, each unit's raw score, full marks, sd)."""
    out = []
    sums = evaluation_sums(year.grid.units, year.evaluations) if spread else {}
    for key, sd in spread.items():
        comp = year.scheme.component(key)
        if comp is None or comp.source != "evaluation" or not comp.full:
            raise PerfcoreError(f"「{key}」不是有满分的评议组成部分 / '{key}' is not an evaluation component with full marks")
        if sd < 0:
            raise PerfcoreError("评议扰动的标准差不能为负 / an evaluation's spread cannot be negative")
        scale = comp.scale_to / comp.full if comp.scale_to is not None else 1.0
        out.append((comp.weight * scale, sums.get(comp.name, np.full(len(year.grid.units), np.nan)), comp.full, float(sd)))
    return out


def robustness(year: YearScore, draws: int = 10_000, spread: float = DEFAULT_SPREAD, seed=None,
               evaluation_spread: dict | None = None, basis: str = "rank") -> pd.DataFrame:
    """One row per unit (official rank order): unit, series, official rank and grade, `median_rank`,
    `rank_p05`, `rank_p95`, `p_rank` (share of draws at the official rank), `p_grade` (grade → share)
    and `p_official_grade`. `basis` "rank" (overall) or "series_rank" (within the series).

    Chunks of draws are ranked and graded on two threads (numpy releases the GIL while it sorts)."""
    if basis not in ("rank", "series_rank"):
        raise PerfcoreError("basis 应为 rank 或 series_rank / basis must be rank or series_rank")
    units = list(year.grid.units)
    res = year.results.set_index("unit").loc[units]
    groups = res["series"].to_numpy() if basis == "series_rank" else None
    sampled = Draws(year, draws, spread, seed, evaluation_spread)
    names = year.scheme.grade_names()
    official = res[basis].to_numpy(dtype=int)
    n = len(units)
    ranks = np.empty((n, draws), dtype=np.uint16 if n < 2 ** 16 else np.int32)   # unit-major: each unit's draws in a row
    grade_counts = np.zeros((n, len(names)), dtype=np.int64)
    at_official = np.zeros(n, dtype=np.int64)

    def work(k: int):
        cents = sampled.chunk(k)
        start = sampled.starts[k]
        r = competition_ranks(cents, groups)
        ranks[:, start:start + len(cents)] = r.T
        g = grade_draws(cents, year)
        return (r == official[None, :]).sum(axis=0), np.stack([(g == j).sum(axis=0) for j in range(len(names))], axis=1)

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=2) as pool:
        for same, counts in pool.map(work, range(len(sampled.starts))):
            at_official += same
            grade_counts += counts
    ranks.sort(axis=1, kind="stable")
    at = [max(int(np.ceil(q * draws)) - 1, 0) for q in (0.05, 0.5, 0.95)]
    p05, median, p95 = (ranks[:, i].astype(int) for i in at)
    share = grade_counts / draws
    official_grade = res["grade"].map({g: i for i, g in enumerate(names)}).to_numpy()
    frame = pd.DataFrame({
        "unit": units, "series": res["series"].to_numpy(), "official_rank": official, "official_grade": res["grade"].to_numpy(),
        "median_rank": median, "rank_p05": p05, "rank_p95": p95, "p_rank": at_official / draws,
        "p_grade": [{g: float(share[i, k]) for k, g in enumerate(names)} for i in range(n)],
        "p_official_grade": share[np.arange(n), official_grade]})
    frame = frame.assign(_o=res["rank"].to_numpy()).sort_values(["_o", "unit"], kind="mergesort").drop(columns="_o")
    frame.attrs.update({"draws": draws, "spread": spread, "seed": seed, "basis": basis, "weights": sampled.names,
                        "evaluation_spread": dict(evaluation_spread or {})})
    return frame.reset_index(drop=True)
