"""The hardware's limit: the least work any scoring of a year must do.

Every event has to be read once and summed into its unit × target cell; the evaluations
read; every unit then needs a composite, a rank and a grade. This does exactly that and
nothing more: one `SUM … GROUP BY unit, target` per year in DuckDB, one read of the
evaluations, then numpy for the indicator floor, the weighted composite, the ranks and the
threshold grades. It ignores every rule that makes scoring right (multipliers, mitigation,
de-duplication, caps, pools), so its numbers are not the evaluation's; its time is the floor.
Of three ways to return the cells (by name; by integer position through a join; by the codes
every event row keeps beside its names, store.codes, turned into positions by lookups made
beforehand, as the names' positions are) it uses whichever is fastest on this machine, so the
floor is as low as it honestly gets.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

BY_NAME = "SELECT unit, target, sum(count) AS total FROM events WHERE org = ? AND year = ? GROUP BY unit, target"
BY_POSITION = ("SELECT u.pos * ? + t.pos AS cell, sum(e.count) AS total FROM events e JOIN _lim_u u ON e.unit = u.name "
               "JOIN _lim_t t ON e.target = t.name WHERE e.org = ? AND e.year = ? GROUP BY cell")
BY_CODE = ("SELECT code_unit, code_target, sum(count) AS total FROM events WHERE org = ? AND year = ? "
           "GROUP BY code_unit, code_target")
FORMS = ("by name", "by position", "by code")


def code_lookups(con, units: list[str], targets: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """For the `by code` form: code → grid row and code → grid column (-1 elsewhere), made once beforehand."""
    known = dict(con.execute("SELECT text, code FROM text_codes").fetchall())
    top = max(known.values(), default=0) + 1
    out = []
    for names in (units, targets):
        lut = np.full(top, -1, dtype=np.int64)
        for i, name in enumerate(names):
            if name in known:
                lut[known[name]] = i
        out.append(lut)
    return out[0], out[1]


def cells(con, org: str, year: int, units: list[str], targets: list[str], form: str, lookups=None) -> np.ndarray:
    """The year's events summed per unit × target cell (`lookups`: code_lookups, for the `by code` form)."""
    net = np.zeros(len(units) * len(targets))
    if form == "by position":
        con.register("_lim_u", pd.DataFrame({"name": units, "pos": np.arange(len(units), dtype=np.int32)}))
        con.register("_lim_t", pd.DataFrame({"name": targets, "pos": np.arange(len(targets), dtype=np.int32)}))
        try:
            got = con.execute(BY_POSITION, [len(targets), org, year]).fetchnumpy()
        finally:
            con.unregister("_lim_u")
            con.unregister("_lim_t")
        net[np.asarray(got["cell"])] = np.asarray(got["total"], dtype=float)
    elif form == "by code":
        got = con.execute(BY_CODE, [org, year]).fetchnumpy()
        rows, columns = lookups
        u = rows[np.asarray(got["code_unit"], dtype=np.int64)]
        t = columns[np.asarray(got["code_target"], dtype=np.int64)]
        ok = (u >= 0) & (t >= 0)
        net[(u * len(targets) + t)[ok]] = np.asarray(got["total"], dtype=float)[ok]
    else:
        got = con.execute(BY_NAME, [org, year]).fetchnumpy()
        u = pd.Index(units).get_indexer(got["unit"])
        t = pd.Index(targets).get_indexer(got["target"])
        ok = (u >= 0) & (t >= 0)
        net[(u * len(targets) + t)[ok]] = np.asarray(got["total"], dtype=float)[ok]
    return net.reshape(len(units), len(targets))


def score_year(con, org: str, year: int, units: list[str], targets: list[str], points: np.ndarray, thresholds: list,
               form: str, lookups=None) -> tuple[np.ndarray, np.ndarray]:
    """Ranks and grade positions of one year: aggregate, floor, composite, rank, grade."""
    net = cells(con, org, year, units, targets, form, lookups)
    evaluations = con.execute("SELECT unit, score FROM evaluations WHERE org = ? AND year = ?", [org, year]).fetchnumpy()
    public = np.zeros(len(units))
    at = pd.Index(units).get_indexer(evaluations["unit"])
    public[at[at >= 0]] = np.asarray(evaluations["score"], dtype=float)[at >= 0]
    scores = np.clip(points - net, 0.0, points)
    indicator = scores.sum(axis=1) * (1000.0 / points.sum())
    composite = np.round(0.6 * indicator + 0.4 * public * 10.0, 2)
    rank = pd.Series(composite).rank(method="min", ascending=False).to_numpy()
    grade = np.searchsorted(-np.asarray(thresholds, dtype=float), -composite, side="right")
    return rank, grade
