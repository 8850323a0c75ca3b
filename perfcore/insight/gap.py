"""What it would take (差距): the points a unit needs for its next rank, series rank and grade, and which
of its records under appeal would move it if the appeal succeeded.

    result = gap(scores, 2025, "区委办")
    result.next_rank["points"]        # composite points: with them the unit ranks higher, with one cent less it does not

"Points" are composite points the unit would gain without any tie-break value moving (as
WhatIf(..., extra={unit: points}) scores it). Ranks are competition ranks on the rounded
composite (R25, A5): a unit moves up a place when it reaches the nearest higher composite (a tie
shares the better rank). A threshold grade needs its lower bound (R23). Under a forced
distribution (R24) the unit must reach the last unit holding a better grade in its grading pool:
level with it is enough when the unit's tie-break values (A5: lower deductions, …) are at least as
good, since it then sorts first or, fully tied, shares the better grade; otherwise it needs one
cent more. A vetoed unit keeps the lowest grade whatever it scores (R22).

The appeals: each of the unit's records with status 申诉中, and all of them together, switched off
in the what-if engine (an appeal that succeeds stops the record counting), with the rank, series
rank and grade that would follow.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engine import grading
from ..engine.results import YearScore
from ..engine.whatif import WhatIf
from ..vocab import APPEAL_OPEN, STATUSES
from .change import records
from .parts import component_factors, label, unit_row
from .scores import Scores

APPEAL_COLUMNS = ["event_id", "indicator", "rule", "contribution", "composite", "rank", "series_rank", "grade",
                  "changes_rank", "changes_grade"]


@dataclass
class Gap:
    org: str
    year: int
    unit: str
    composite: float
    rank: int
    series_rank: int
    grade: str
    vetoed: bool
    next_rank: dict | None
    next_series_rank: dict | None
    next_grade: dict | None
    appeals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=APPEAL_COLUMNS))
    reasons: dict = field(default_factory=dict)     # why a target has no gap: (zh, en)

    def to_dict(self) -> dict:
        """As `gap --format json` prints it."""
        return {"org": self.org, "year": self.year, "unit": self.unit, "composite": self.composite, "rank": self.rank,
                "series_rank": self.series_rank, "grade": self.grade, "vetoed": self.vetoed,
                "next_rank": self.next_rank, "next_series_rank": self.next_series_rank, "next_grade": self.next_grade,
                "appeals": records(self.appeals), "reasons": {k: list(v) for k, v in self.reasons.items()}}


def _step(decimals: int) -> float:
    return 10.0 ** -decimals


def _up(value: float, decimals: int) -> float:
    """`value` rounded up to the scheme's decimals (a need is never rounded down)."""
    scale = 10 ** decimals
    return math.ceil(round(value * scale, 6)) / scale + 0.0


def next_place(composites: np.ndarray, own: float, decimals: int) -> tuple[float, float] | None:
    """(points needed, the composite to reach) for a better competition rank, or None when first."""
    higher = composites[composites > own + 1e-9]
    if not len(higher):
        return None
    target = float(higher.min())
    return _up(target - own, decimals), target


def gap(scores: Scores, year: int, unit: str, simulator: WhatIf | None = None) -> Gap:
    """The points `unit` needs for its next rank, series rank and grade, and the appeals that would move it."""
    scored = scores.year(year)
    unit_row(scored, unit)
    res = scored.results.reset_index(drop=True)
    me = res[res["unit"] == unit].iloc[0]
    decimals = scored.scheme.decimals
    own = float(me["composite"])
    reasons = {}
    rank_target = _place(res, me, own, decimals, scored, series=False)
    if rank_target is None:
        reasons["next_rank"] = ("已是第一名", "already first")
    series_target = _place(res, me, own, decimals, scored, series=True)
    if series_target is None:
        reasons["next_series_rank"] = ("已是本系列第一名", "already first in its series")
    grade_target, why = _next_grade(scored, res, me, own, decimals)
    if grade_target is None:
        reasons["next_grade"] = why
    appeals = appeal_effects(scores, scored, unit, simulator)
    return Gap(scores.org, year, unit, own, int(me["rank"]), int(me["series_rank"]), me["grade"], bool(me["veto"]),
               rank_target, series_target, grade_target, appeals, reasons)


def _place(res: pd.DataFrame, me, own: float, decimals: int, scored: YearScore, series: bool) -> dict | None:
    pool = res[res["series"] == me["series"]] if series else res
    found = next_place(pool["composite"].to_numpy(dtype=float), own, decimals)
    if found is None:
        return None
    points, target = found
    reached = pool[np.isclose(pool["composite"].to_numpy(dtype=float), target)]
    column = "series_rank" if series else "rank"
    return {"points": points, "reach": round(own + points, decimals), "to": int(reached[column].min()),
            "from": int(me[column]), "level_with": sorted(reached["unit"]), "equivalents": equivalents(scored, me["unit"], points)}


def _next_grade(scored: YearScore, res: pd.DataFrame, me, own: float, decimals: int):
    scheme = scored.scheme
    names = scheme.grade_names()
    k = names.index(me["grade"])
    if k == 0:
        return None, ("已是最高等次", "already the top grade")
    if bool(me["veto"]):
        return None, ("一票否决：无论得分多少均为最低等次", "vetoed: the lowest grade whatever the score")
    if scheme.grading_mode == "threshold":
        better = scheme.grades[k - 1]
        points = _up(better.min - own, decimals)
        return {"points": points, "reach": round(own + points, decimals), "to": better.name, "from": me["grade"],
                "boundary": "threshold", "threshold": better.min, "against": None,
                "equivalents": equivalents(scored, me["unit"], points)}, None
    pool = res[res["series"] == me["series"]] if scheme.grading_pool == "series" else res
    return _forced_boundary(scored, pool, me, own, decimals, k)


def _forced_boundary(scored: YearScore, pool: pd.DataFrame, me, own: float, decimals: int, k: int):
    """The last unit of a better grade in the pool, in the forced distribution's own order (R24, A5)."""
    scheme = scored.scheme
    counts = grading.quotas(len(pool), scheme)
    seats = sum(counts[:k])
    if seats == 0:
        return None, ("本等次之上没有名额", "no seats in the grades above")
    keys, ascending = ["composite"], [False]
    for tb in scheme.tie_break:
        col, direction = tb.split(":")
        keys.append(col)
        ascending.append(direction == "asc")
    ordered = pool[~pool["veto"].to_numpy(dtype=bool)].sort_values(keys, ascending=ascending, kind="mergesort")
    if seats > len(ordered):
        seats = len(ordered)
    last = ordered.iloc[seats - 1]
    names = scheme.grade_names()
    slots = [n for n, c in zip(names[:-1], counts[:-1]) for _ in range(c)]
    to_grade = slots[seats - 1]
    level = own_ties_or_beats(me, last, scheme.tie_break)
    points = _up(float(last["composite"]) - own + (0.0 if level else _step(decimals)), decimals)
    return {"points": points, "reach": round(own + points, decimals), "to": to_grade, "from": me["grade"],
            "boundary": "forced", "threshold": float(last["composite"]), "against": last["unit"],
            "tie_break_wins": level, "equivalents": equivalents(scored, me["unit"], points)}, None


def own_ties_or_beats(me, other, tie_break) -> bool:
    """Whether `me`, level on the composite with `other`, sorts before it or shares its grade (A5 tie-breaks)."""
    for tb in tie_break:
        col, direction = tb.split(":")
        a, b = round(float(me[col]), 9), round(float(other[col]), 9)
        if a != b:
            return a < b if direction == "asc" else a > b
    return True


def equivalents(scored: YearScore, unit: str, points: float) -> list[dict]:
    """The same need in each component's own points (e.g. 公众评议 +x on its 100-point scale, or x fewer
    deduction points), with the room the component has left in the same points (None: no known limit);
    informative, as the rounding of the composite and tie-breaks make the composite points the exact figure."""
    factors = component_factors(scored)
    row = unit_row(scored, unit)
    grid = scored.grid
    names = grid.targets["target"].to_numpy()
    comps = scored.components.set_index("unit").loc[unit]
    out = []
    for comp in scored.scheme.components:
        targets, weights = factors[comp.key]
        if comp.weight == 0:
            continue
        if comp.source == "indicators":
            at = np.isin(names, targets)
            # room: every indicator at its points (or the component's scaled full marks)
            room = float(((grid.targets["points"].to_numpy(dtype=float)[at] - grid.score[row, at]).clip(min=0) *
                          weights).sum())
            per = float(np.mean(weights)) if len(weights) else 0.0
        elif comp.source == "evaluation":
            per = float(weights[0])
            full = comp.full
            value = float(comps[comp.key]) / (per / comp.weight) if per else 0.0
            room = (full - value) * per if full is not None else math.inf
        else:
            per = float(weights[0]) if len(weights) else 0.0
            value = float(comps[comp.key])
            pool = scored.scheme.pool(comp.name)
            if pool is not None and pool.kind == "deduction":
                room = value * abs(comp.weight)
            else:
                cap = comp.cap if comp.cap is not None else (pool.cap if pool is not None else None)
                room = (cap - value) * comp.weight if cap is not None else math.inf
        if per <= 0 and comp.source != "pool":
            continue
        own_points = points / abs(per) if per else math.inf
        own_room = room / abs(per) if per and math.isfinite(room) else math.inf
        out.append({"component": comp.key, "label": comp.label, "label_en": label(comp.label, comp.label_en, "en"),
                    "points": _up(own_points, 2) if math.isfinite(own_points) else None,
                    "room": None if not math.isfinite(own_room) else round(max(own_room, 0.0), 2),
                    "enough": (not math.isfinite(room)) or room + 1e-9 >= points})
    return out


def appeal_effects(scores: Scores, scored: YearScore, unit: str, simulator: WhatIf | None = None) -> pd.DataFrame:
    """Each of the unit's records under appeal (申诉中) switched off, and all of them together."""
    events = scored.inputs.events
    row = unit_row(scored, unit)
    under = np.flatnonzero((events.unit == row) & (events.status == STATUSES.index(APPEAL_OPEN)) & scored.amounts.counted)
    if not len(under):
        return pd.DataFrame(columns=APPEAL_COLUMNS)
    sim = simulator or WhatIf(scores.con, scores.org, scored.year, official=scored)
    ids = events.ids()[under]
    targets = np.asarray(scored.inputs.targets, dtype=object)[events.target[under]]
    rules = np.asarray([r.name for r in scored.scheme.rules], dtype=object)[events.rule[under]]
    me = scored.results.set_index("unit").loc[unit]
    names = scored.scheme.grade_names()
    rows = []
    cases = [([i], i, t, r) for i, t, r in zip(ids, targets, rules)]
    if len(ids) > 1:
        cases.append((list(ids), "全部 / all", None, None))
    for off, eid, target, rule in cases:
        result = sim.run(events_off=off).set_index("unit").loc[unit]
        rows.append({"event_id": eid, "indicator": target, "rule": rule,
                     "contribution": round(float(result["composite"]) - float(me["composite"]), scored.scheme.decimals),
                     "composite": float(result["composite"]), "rank": int(result["rank"]),
                     "series_rank": int(result["series_rank"]), "grade": result["grade"],
                     "changes_rank": int(result["rank"]) != int(me["rank"]) or int(result["series_rank"]) != int(me["series_rank"]),
                     "changes_grade": names.index(result["grade"]) != names.index(me["grade"])})
    return pd.DataFrame(rows, columns=APPEAL_COLUMNS)



