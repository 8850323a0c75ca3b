"""Ranks and grades of many draws of every unit's composite at once (numpy, no Python loop over draws).

    ranks = competition_ranks(cents)                  # draws × units, 1 = best, ties share the better rank
    grades = grade_draws(cents, year)                 # draws × units, grade positions (0 = best)

Composites come in whole cents (the scheme's decimals), as the engine compares them (A5). Each
draw is ranked by one stable sort of its row: when a row's composites span fewer than 65,536 cents
(any 100-point scheme, and 1,000-point ones unless units are more than 655 points apart) the keys
are 16-bit and numpy sorts them by radix, in linear time. Grades follow the scheme exactly: fixed
bands (R23), or the forced distribution (R24) with its quotas (A4), tie-breaks and the rule that
units tied on everything share the better grade (A5); a vetoed unit always takes the lowest (R22).
Draws are processed in chunks, so memory stays bounded at 10,000 draws of 2,000 units.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine import grading
from ..engine.results import YearScore

CHUNK = 1000


def to_cents(values: np.ndarray, decimals: int) -> np.ndarray:
    """Composites as whole units of the scheme's decimals, rounded half away from zero as the engine rounds.
    `values` (a float array the caller no longer needs) is used as scratch space."""
    scale = 10.0 ** decimals
    if values.size and values.min() >= 0:          # the usual case, in place: floor(x × scale + 0.5)
        values *= scale
        values += 0.5 + 1e-9
        np.floor(values, out=values)
    else:
        values = np.sign(values) * np.floor(np.abs(values) * scale + 0.5 + 1e-9)
    small = not values.size or float(np.abs(values).max()) < 2 ** 31 - 1
    return values.astype(np.int32 if small else np.int64)


def _keys(cents: np.ndarray) -> np.ndarray:
    """Sort keys, smaller = better: 16-bit where the row block's span allows (radix sort), else 32/64-bit."""
    top = cents.max(axis=1, keepdims=True)
    keys = top - cents
    span = int(keys.max()) if keys.size else 0
    if span < 2 ** 16:
        return keys.astype(np.uint16)
    return keys.astype(np.int32 if span < 2 ** 31 else np.int64)


def _runs(sorted_keys: np.ndarray, *more: np.ndarray) -> np.ndarray:
    """For keys sorted along each row: the position (0-based) where each element's run of equal keys starts."""
    d, n = sorted_keys.shape
    new = np.empty((d, n), dtype=bool)
    new[:, 0] = True
    np.not_equal(sorted_keys[:, 1:], sorted_keys[:, :-1], out=new[:, 1:])
    for extra in more:
        new[:, 1:] |= extra[:, 1:] != extra[:, :-1]
    index_type = np.uint16 if n < 2 ** 16 else np.int32
    start = np.where(new, np.arange(n, dtype=index_type), index_type(0))
    np.maximum.accumulate(start, axis=1, out=start)
    return start


def competition_ranks(cents: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Competition ranks (1, 2, 2, 4) of every row, overall or within `groups` (a label per column)."""
    d, n = cents.shape
    out_type = np.uint16 if n < 2 ** 16 else np.int32
    ranks = np.empty((d, n), dtype=out_type)
    blocks = [np.arange(n)] if groups is None else [np.flatnonzero(groups == g) for g in pd.unique(groups)]
    for cols in blocks:
        part = cents[:, cols] if groups is not None else cents
        keys = _keys(part)
        order = np.argsort(keys, axis=1, kind="stable")
        start = _runs(np.take_along_axis(keys, order, axis=1))
        local = np.empty_like(start)
        np.put_along_axis(local, order, start, axis=1)
        if groups is None:
            ranks[:] = local + 1
        else:
            ranks[:, cols] = local + 1
    return ranks


def grade_draws(cents: np.ndarray, year: YearScore) -> np.ndarray:
    """The grade (position in the scheme's grades, 0 = best) of every unit in every draw."""
    scheme = year.scheme
    res = year.results.set_index("unit").loc[list(year.grid.units)]
    vetoed = res["veto"].to_numpy(dtype=bool)
    lowest = len(scheme.grades) - 1
    if scheme.grading_mode == "threshold":
        scale = 10.0 ** scheme.decimals
        # band minima in cents: a composite at or above min is in the band (the engine's 1e-9 tolerance included)
        minima = np.array([np.ceil(g.min * scale - 1e-6) for g in scheme.grades[:-1]], dtype=np.int64)
        grades = np.full(cents.shape, lowest, dtype=np.int8)
        for minimum in minima:                     # one grade better for every band minimum reached
            grades -= cents >= minimum
        grades[:, vetoed] = lowest
        return grades
    groups = res["series"].to_numpy() if scheme.grading_pool == "series" else np.zeros(len(res), dtype=int)
    return _forced(cents, res, scheme, groups, vetoed)


def _tie_break_rank(frame: pd.DataFrame, scheme) -> np.ndarray:
    """Each unit's place by the scheme's tie-breaks alone (dense: units equal on all of them share one)."""
    if not scheme.tie_break:
        return np.zeros(len(frame), dtype=np.int64)
    columns, ascending = [], []
    for tb in scheme.tie_break:
        col, direction = tb.split(":")
        columns.append(frame[col].to_numpy(dtype=float).round(9))
        ascending.append(direction == "asc")
    table = pd.DataFrame({f"k{i}": c if asc else -c for i, (c, asc) in enumerate(zip(columns, ascending))})
    return table.apply(tuple, axis=1).rank(method="dense").to_numpy(dtype=np.int64) - 1


def _forced(cents: np.ndarray, res: pd.DataFrame, scheme, groups: np.ndarray, vetoed: np.ndarray) -> np.ndarray:
    """Forced distribution per pool: slots by quota in the order composite, then tie-breaks (the engine's order)."""
    d, n = cents.shape
    names = scheme.grade_names()
    lowest = len(names) - 1
    tie = _tie_break_rank(res, scheme)
    grades = np.full((d, n), lowest, dtype=np.int8)
    for g in pd.unique(groups):
        cols = np.flatnonzero(groups == g)
        counts = grading.quotas(len(cols), scheme)
        slots = np.array([k for k, c in enumerate(counts[:-1]) for _ in range(c)], dtype=np.int8)
        live = cols[~vetoed[cols]]
        if not len(live) or not len(slots):
            continue
        # presort by tie-break (then the frame's order, as the engine's stable sort keeps it); a stable sort by
        # the composite then gives the engine's order: composite, tie-breaks
        live = live[np.lexsort((np.arange(len(live)), tie[live]))]
        keys = _keys(cents[:, live])
        order = np.argsort(keys, axis=1, kind="stable")
        sorted_keys = np.take_along_axis(keys, order, axis=1)
        sorted_tie = tie[live][order]
        start = _runs(sorted_keys, sorted_tie)            # units tied on everything share the first one's grade
        slot_of = np.full(len(live), lowest, dtype=np.int8)
        slot_of[:min(len(slots), len(live))] = slots[:len(live)]
        placed = slot_of[start]
        local = np.empty_like(placed)
        np.put_along_axis(local, order, placed, axis=1)
        grades[:, live] = local
    return grades


def shares(grades: np.ndarray, n_grades: int) -> np.ndarray:
    """Per unit, the share of draws in each grade (units × grades)."""
    d = grades.shape[0]
    return np.stack([(grades == k).sum(axis=0) for k in range(n_grades)], axis=1) / d
