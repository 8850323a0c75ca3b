"""Indicator and pool scores, components and the composite.

Each step is a function of arrays and the scheme, so the official result and a what-if
run through exactly the same code:

    target_scores(...)     unit × indicator/pool grid: base, net events, floor/ceiling (R6, R12, R17)
    component_values(...)  per unit: each component of the scheme (R1-R3, A11)
    composite(...)         weighted sum, rounded to the scheme's decimals (A5)

The grid holds one row per unit and one column per target (the indicators in the office's
order, then the pools), as numpy arrays; `Grid.frame()` gives it as a long table for screens.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .scheme import Scheme

BASE_SOURCES = np.array(["full", "zero", "direct", "provisional", "pool"], dtype=object)
FULL, ZERO, DIRECT, PROVISIONAL, POOL = range(5)


UNIT_COLUMNS = ("unit", "series", "level", "principal", "leader_in_charge")


def unit_list(con, org: str) -> dict:
    """Every current unit of the organisation, by name, with the years it is evaluated in (first_year,
    last_year; NaN for open-ended): one read serves every year (`units_in`). Texts come through Arrow
    (half the time of DuckDB's own conversion at 10,000 units)."""
    got = con.execute(f"SELECT {', '.join(UNIT_COLUMNS)}, first_year, last_year FROM units WHERE org = ? AND NOT retired "
                      "ORDER BY unit", [org]).to_arrow_table()
    return {c: got[c].to_numpy(zero_copy_only=False) for c in got.column_names}


def units_in(listing: dict, year: int) -> pd.DataFrame:
    """The units of a `unit_list` evaluated in `year`, with their series and the people named for them."""
    first = np.asarray(listing["first_year"], dtype=float)     # NaN where none was given: no bound
    last = np.asarray(listing["last_year"], dtype=float)
    keep = ~(first > year) & ~(last < year)
    return pd.DataFrame({c: listing[c][keep] for c in UNIT_COLUMNS})


def active_units(con, org: str, year: int) -> pd.DataFrame:
    """Units evaluated in a year, with their series."""
    return units_in(unit_list(con, org), year)


def indicator_tables(con, org: str) -> dict:
    """Every year's indicator tree, in the office's order, read at once: year → frame. An overflow not
    stated (NULL: written by a program of the office's own) is the loaders' default, none."""
    got = con.execute("SELECT * EXCLUDE (org, version, retired, changed_at, changed_by) "
                      "REPLACE (coalesce(allow_overflow, false) AS allow_overflow) FROM indicators "
                      "WHERE org = ? AND NOT retired ORDER BY year, ord", [org]).to_arrow_table()
    years = got["year"].to_numpy()
    starts = np.flatnonzero(np.r_[True, years[1:] != years[:-1]]) if len(years) else np.zeros(0, dtype=np.int64)
    stops = np.r_[starts[1:], len(years)]
    out = {}
    for year, start, stop in zip(years[starts].tolist(), starts.tolist(), stops.tolist()):
        part = got.slice(start, stop - start)
        out[year] = pd.DataFrame({c: part[c].to_numpy(zero_copy_only=False) for c in part.column_names if c != "year"})
    return out


def indicator_table(con, org: str, year: int, trees: dict | None = None) -> pd.DataFrame:
    """The year's indicator tree, in the office's order (no rows, the same columns, for a year without one).
    `trees` is what `indicator_tables` read already, else it is read here."""
    trees = trees if trees is not None else indicator_tables(con, org)
    return trees[year].copy() if year in trees else _no_indicators(con)


def _no_indicators(con) -> pd.DataFrame:
    return con.execute("SELECT * EXCLUDE (org, year, version, retired, changed_at, changed_by) FROM indicators "
                       "WHERE false").df()


def target_frame(indicators: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The targets of a year in grid order: indicators in the office's order, then the pools."""
    pools = scheme.pools
    n = len(indicators)

    def column(name, pool_values, dtype=object):
        own = indicators[name].to_numpy()
        if not pools:
            return own.astype(dtype, copy=False) if dtype is not object else own
        return np.concatenate([own.astype(dtype, copy=False), np.asarray(pool_values, dtype=dtype)])

    return pd.DataFrame({
        "target": column("indicator", [p.name for p in pools]),
        "category": column("category", [""] * len(pools)),
        "first_level": column("first_level", [""] * len(pools)),
        "points": column("points", [np.nan] * len(pools), float),
        "mode": column("mode", ["pool"] * len(pools)),
        "allow_overflow": column("allow_overflow", [False] * len(pools), bool),
        "is_pool": np.r_[np.zeros(n, dtype=bool), np.ones(len(pools), dtype=bool)],
        "pool_kind": np.array([None] * n + [p.kind for p in pools], dtype=object)})


@dataclass
class Grid:
    """Every unit's score on every indicator and pool, as (units × targets) arrays."""

    units: np.ndarray          # unit names, row order
    targets: pd.DataFrame      # target facts, column order (see target_frame)
    net: np.ndarray
    deducted: np.ndarray
    added: np.ndarray
    events: np.ndarray
    direct: np.ndarray         # the data-collection unit's score, NaN where none
    base: np.ndarray
    base_source: np.ndarray    # FULL, ZERO, DIRECT, PROVISIONAL or POOL
    raw: np.ndarray
    score: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.score.shape

    def column(self, name: str) -> int:
        return int(np.flatnonzero(self.targets["target"].to_numpy() == name)[0])

    def row(self, unit: str) -> int:
        return int(np.flatnonzero(self.units == unit)[0])

    def frame(self, rows=None) -> pd.DataFrame:
        """The grid as a long table (unit-major), for all units or the given row positions."""
        rows = np.arange(self.shape[0]) if rows is None else np.atleast_1d(np.asarray(rows))
        n_t = self.shape[1]
        out = {"unit": np.repeat(self.units[rows], n_t), "unit_idx": np.repeat(rows, n_t)}
        for col in self.targets.columns:
            out[col] = np.tile(self.targets[col].to_numpy(), len(rows))
        for name in ("net", "deducted", "added", "events", "base", "raw", "score"):
            out[name] = getattr(self, name)[rows].ravel()
        out["direct_score"] = self.direct[rows].ravel()
        out["base_source"] = BASE_SOURCES[self.base_source[rows].ravel()]
        out["limited"] = ~np.isclose(out["raw"], out["score"])
        return pd.DataFrame(out)


def target_scores(units, indicators: pd.DataFrame, scheme: Scheme, totals: dict, direct: pd.DataFrame | None,
                  points: dict | None = None, targets: pd.DataFrame | None = None) -> Grid:
    """Score of every unit on every indicator and pool.

    `totals` holds the events' net, deducted, added and count per grid cell (unit-major,
    see pipeline.Amounts.cell_totals). Indicators start from full points (扣分制), zero (累加制)
    or the data-collection unit's score (直接评分), add the net of their events, and stay within
    [0, points] (R6, A2) unless the indicator allows overflow. Pools carry the positive size of
    their deductions (uncapped unless the scheme caps them, R12) or of their bonuses (capped,
    R17). `points` changes indicators' points (what-if); `targets` is target_frame(indicators, scheme)
    when the caller has it already.
    """
    targets = target_frame(indicators, scheme) if targets is None else targets
    if points:
        targets = targets.assign(points=[points.get(t, p) for t, p in zip(targets["target"], targets["points"])])
    unit_names = np.asarray(list(units), dtype=object)
    n_u, n_t = len(unit_names), len(targets)
    shape = (n_u, n_t)

    def grid(name):
        values = totals.get(name) if totals else None
        return np.zeros(shape) if values is None else np.asarray(values, dtype=float).reshape(shape)

    net, deducted, added, events = grid("net"), grid("deducted"), grid("added"), grid("events")
    direct_score = np.full(shape, np.nan)
    if direct is not None and not direct.empty:
        r = pd.Index(unit_names).get_indexer(direct["unit"])
        c = pd.Index(targets["target"]).get_indexer(direct["indicator"])
        ok = (r >= 0) & (c >= 0)
        direct_score[r[ok], c[ok]] = direct["score"].to_numpy(dtype=float)[ok]
    mode = targets["mode"].to_numpy()
    points_t = targets["points"].to_numpy(dtype=float)
    is_pool = targets["is_pool"].to_numpy(dtype=bool)
    bonus_pool = targets["pool_kind"].to_numpy() == "bonus"
    overflow = targets["allow_overflow"].to_numpy(dtype=bool)
    caps = {p.name: (np.inf if p.cap is None else p.cap) for p in scheme.pools}
    cap = np.array([caps.get(t, np.inf) for t in targets["target"].tolist()], dtype=float)
    full, zero, is_direct = mode == "deduct_from_full", mode == "cumulative", mode == "direct"
    # per target: where the score starts and where it must stay
    start = np.where(full | is_direct, points_t, 0.0)
    source_t = np.where(full, FULL, np.where(zero, ZERO, np.where(is_direct, PROVISIONAL, POOL))).astype(np.int8)
    base = np.broadcast_to(start, shape).copy()
    source = np.broadcast_to(source_t, shape).copy()
    direct_cols = np.flatnonzero(is_direct)
    if len(direct_cols):
        given = ~np.isnan(direct_score[:, direct_cols])
        base[:, direct_cols] = np.where(given, direct_score[:, direct_cols], base[:, direct_cols])
        source[:, direct_cols] = np.where(given, DIRECT, PROVISIONAL)
    raw = base + net
    pools = np.flatnonzero(is_pool)
    if len(pools):         # a pool's raw value is the size of its deductions, or of its bonuses
        raw[:, pools] = np.where(bonus_pool[pools], net[:, pools], -net[:, pools])
    # indicators within [0, points] unless they allow overflow; pools within [0, cap]
    score = np.clip(raw, 0.0, np.where(is_pool, cap, np.where(overflow, np.inf, points_t)))
    return Grid(unit_names, targets, net, deducted, added, events, direct_score, base, source, raw, score)


GRID_ARRAYS = ("net", "deducted", "added", "events", "direct", "base", "base_source", "raw", "score")


class Overlay(Grid):
    """`grid` with the unit rows `rows` replaced by `part`'s (a grid of just those units).

    An array is copied and patched only when it is read, so a what-if that switches one record
    off costs one unit's row, not a copy of every unit's."""

    def __init__(self, grid: Grid, rows: np.ndarray, part: Grid):
        self.units, self.targets = grid.units, grid.targets
        self._base, self._rows, self._part, self._done = grid, np.asarray(rows), part, {}

    def __getattribute__(self, name):
        if name in GRID_ARRAYS:
            done = object.__getattribute__(self, "_done")
            if name not in done:
                values = getattr(object.__getattribute__(self, "_base"), name).copy()
                values[object.__getattribute__(self, "_rows")] = getattr(object.__getattribute__(self, "_part"), name)
                done[name] = values
            return done[name]
        return object.__getattribute__(self, name)


def patch_rows(grid: Grid, rows: np.ndarray, part: Grid) -> Grid:
    """`grid` with the unit rows `rows` replaced by `part`'s (copied only when read, see Overlay)."""
    return Overlay(grid, rows, part)


def component_values(grid: Grid, evaluations: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """One column per component of the scheme, one row per unit (unweighted).

    Indicator components are the sum of indicator scores times category weights,
    rescaled to `scale_to` when the scheme says so (A11). Evaluation components sum
    the unit's scores of that kind (over aspects), rescaled from `full` marks.
    A missing evaluation counts 0 and is listed in `missing` unless optional.
    """
    n = len(grid.units)
    columns = {"unit": grid.units}
    missing = np.zeros((n, len(scheme.components)), dtype=bool)
    sums = evaluation_sums(grid.units, evaluations)
    is_indicator = ~grid.targets["is_pool"].to_numpy(dtype=bool)
    category = grid.targets["category"]
    points = grid.targets["points"].to_numpy(dtype=float)
    for j, comp in enumerate(scheme.components):
        if comp.source == "indicators":
            sel = is_indicator.copy()
            if comp.categories:
                sel &= category.isin(comp.categories).to_numpy()
            weights = category.map(comp.category_weights).fillna(1.0).to_numpy(dtype=float) \
                if comp.category_weights else np.ones(len(sel))
            values = grid.score[:, sel] @ weights[sel] if sel.any() else np.zeros(n)
            if comp.scale_to is not None:
                full = float((points * weights)[sel].sum())
                values = values * (comp.scale_to / full if full else 0.0)
        elif comp.source == "evaluation":
            values = sums.get(comp.name, np.full(n, np.nan))
            if not comp.optional:
                missing[:, j] = np.isnan(values)
            values = np.nan_to_num(values, nan=0.0)
            if comp.scale_to is not None and comp.full:
                values = values * comp.scale_to / comp.full
        else:
            at = np.flatnonzero(grid.targets["target"].to_numpy() == comp.name)
            values = grid.score[:, at].sum(axis=1) if len(at) else np.zeros(n)
        if comp.cap is not None:
            values = np.minimum(values, comp.cap)
        columns[comp.key] = np.asarray(values, dtype=float)
    keys = [c.key for c in scheme.components]
    text = np.full(n, "", dtype=object)
    for i in np.flatnonzero(missing.any(axis=1)):
        text[i] = "、".join(k for k, m in zip(keys, missing[i]) if m)
    columns["missing"] = text
    return pd.DataFrame(columns)


def evaluation_sums(units, evaluations: pd.DataFrame) -> dict:
    """Per evaluation kind, each unit's score summed over aspects (NaN where the unit has none)."""
    if evaluations is None or evaluations.empty:
        return {}
    at = pd.Index(units).get_indexer(evaluations["unit"])
    ok = at >= 0
    out = {}
    for kind, rows in evaluations[ok].groupby("kind").indices.items():
        values = np.full(len(units), np.nan)
        positions = at[ok][rows]
        values[positions] = 0.0
        np.add.at(values, positions, evaluations["score"].to_numpy(dtype=float)[ok][rows])
        out[kind] = values
    return out


def composite(components, scheme: Scheme) -> np.ndarray:
    """Σ weight x component, rounded to the scheme's decimals (A5: compare after rounding).
    `components`: a frame, or its columns as arrays, with a column per component key and the units."""
    total = np.zeros(len(components["unit"]))
    for comp in scheme.components:
        total = total + comp.weight * np.asarray(components[comp.key], dtype=float)
    return round_half_up(total, scheme.decimals)


def round_half_up(values, decimals: int = 2) -> np.ndarray:
    """Round as Excel's ROUND does (half away from zero), not banker's rounding."""
    values = np.asarray(values, dtype=float)
    scale = 10.0 ** decimals
    return np.sign(values) * np.floor(np.abs(values) * scale + 0.5 + 1e-9) / scale + 0.0
