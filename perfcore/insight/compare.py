"""Why one unit is above another in the same year (对比).

    result = compare(scores, 2025, "区委办", "区委组织部")
    result.lines["contribution"].sum() == result.gap      (A's composite minus B's, to the cent)

Both units are scored under the same scheme, so the gap is their composite lines' difference
(parts.composite_parts, lines.difference): indicator by indicator the starting scores (the scores
data-collection units gave), each unit's own records (A's take from the gap's side, B's add to
it), floors and caps, evaluations and the rounding.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..engine.results import nan_to_none
from ..errors import PerfcoreError
from . import lines as lines_mod
from .change import indicator_order, records
from .parts import composite_parts, unit_row
from .scores import Scores


@dataclass
class Comparison:
    org: str
    year: int
    unit_a: str
    unit_b: str
    composite_a: float
    composite_b: float
    gap: float
    lines: pd.DataFrame          # lines.COLUMNS; side "to" is A's, "from" is B's
    rank_a: dict
    rank_b: dict

    def to_dict(self) -> dict:
        """As `compare --format json` prints it."""
        return {"org": self.org, "year": self.year, "unit_a": self.unit_a, "unit_b": self.unit_b,
                "composite_a": self.composite_a, "composite_b": self.composite_b, "gap": self.gap,
                "rank_a": {k: nan_to_none(v) for k, v in self.rank_a.items()},
                "rank_b": {k: nan_to_none(v) for k, v in self.rank_b.items()}, "lines": records(self.lines)}


def compare(scores: Scores, year: int, unit_a: str, unit_b: str) -> Comparison:
    """The gap between two units of a year, split into lines that add up to it."""
    if unit_a == unit_b:
        raise PerfcoreError("请选择两个不同的单位 / choose two different units")
    scored = scores.year(year)
    unit_row(scored, unit_a)
    unit_row(scored, unit_b)
    results = scored.results.set_index("unit")
    a, b = float(results.loc[unit_a, "composite"]), float(results.loc[unit_b, "composite"])
    decimals = scored.scheme.decimals
    gap = round(a - b, decimals)
    words = {"to": (unit_a, unit_a), "from": (unit_b, unit_b)}
    lines = lines_mod.difference(composite_parts(scored, unit_a), composite_parts(scored, unit_b), gap, decimals, words,
                                 indicator_order(scored))
    return Comparison(scores.org, year, unit_a, unit_b, a, b, gap, lines, _rank(results, unit_a), _rank(results, unit_b))


def _rank(results: pd.DataFrame, unit: str) -> dict:
    r = results.loc[unit]
    return {"rank": int(r["rank"]), "series": r["series"], "series_rank": int(r["series_rank"]), "grade": r["grade"]}
