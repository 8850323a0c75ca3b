"""Scored years for the analyses: each official year scored once, and a year's data under another scheme.

    scores = Scores(con, "示例区")
    scores.year(2025)                          # the official YearScore, with history
    scores.under(2025, scores.year(2024).scheme, points={"信息报送": 15})   # 2025's records, 2024's rules

`under` is the engine's own scoring (results.read_inputs and results.compute) with a scheme and
indicator points other than the year's: how a change of the scheme is told apart from a change of
the records. A caller that keeps scored years already (the app) passes them in as `official`.
"""
from __future__ import annotations

import dataclasses

from ..engine import results as results_mod
from ..engine.results import YearScore
from ..engine.scheme import Scheme

# what a scheme holds that does not move a composite (names, documents, grades, consequences, ranking words)
_DISPLAY = dict(org="", year=0, title="", issuer="", document_no="", text="", warnings=(), provisional=(),
                grades=(), consequences=(), movement="", grading_mode="", grading_pool="", quota_rounding="", absorb=None,
                tie_break=(), mitigation_codes={}, self_assessed=(), indicator_total=0.0)


def same_scoring(a: Scheme, b: Scheme) -> bool:
    """Whether two schemes score the same records into the same composite (weights, rules, pools … all equal)."""
    return dataclasses.replace(a, **_DISPLAY) == dataclasses.replace(b, **_DISPLAY)


def same_grading(a: Scheme, b: Scheme) -> bool:
    """Whether two schemes grade and rank the same composites alike."""
    fields = ("grades", "grading_mode", "grading_pool", "quota_rounding", "absorb", "tie_break", "decimals")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


class Scores:
    """An organisation's scored years, each scored once for the life of this object."""

    def __init__(self, con, org: str, official=None):
        self.con, self.org = con, org
        self._official = official
        self._years: dict = {}
        self._under: dict = {}
        self.known = set(results_mod.years(con, org))

    def year(self, year: int) -> YearScore:
        """The official result of a year (with history)."""
        if year not in self._years:
            self._years[year] = self._official(year) if self._official else results_mod.score(self.con, self.org, year)
        return self._years[year]

    def has(self, year: int) -> bool:
        return year in self.known

    def under(self, year: int, scheme: Scheme, points: dict | None = None) -> YearScore:
        """The year's data scored under `scheme`, with `points` (indicator → points) where given; no history."""
        key = (year, id(scheme), tuple(sorted((points or {}).items())))
        if key not in self._under:
            inputs = results_mod.read_inputs(self.con, self.org, year, scheme)
            self._under[key] = (scheme, results_mod.compute(self.org, year, scheme, inputs, points=points or None))
        return self._under[key][1]
