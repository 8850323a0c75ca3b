"""What-if: the same engine on a changed scheme or event set, never touching stored data.

    sim = WhatIf(con, "示例区", 2025)
    table = sim.run(weights={"indicator": 0.5, "public": 0.5})
    table = sim.run(events_off=["2025-0042"])          # simulate a successful appeal

A weight change reuses the unweighted components computed once (pre-aggregated),
so re-ranking is vectorised arithmetic. Changed indicator points or events
switched off re-run the scoring steps for the year, through the same functions
as the official result.
"""
from __future__ import annotations

import pandas as pd

from . import scoring
from .results import YearScore, finish, order, score, score_base
from .scheme import Scheme


class WhatIf:
    """Simulations against one official year."""

    def __init__(self, con, org: str, year: int, official: YearScore | None = None):
        self.con, self.org, self.year = con, org, year
        self.official = official or score(con, org, year)
        self._base: dict = {}        # (events_off, points) -> YearScore without history
        self._components: dict = {}  # (events_off, points, category weights) -> components

    def _scored(self, events_off: tuple, points: tuple) -> YearScore:
        key = (events_off, points)
        if not events_off and not points:
            return self.official
        if key not in self._base:
            self._base[key] = score_base(self.con, self.org, self.year, scheme=self.official.scheme,
                                         excluded=events_off, points=dict(points))
        return self._base[key]

    def scheme(self, weights: dict | None = None, category_weights: dict | None = None) -> Scheme:
        """The official scheme with changed weights."""
        return self.official.scheme.with_weights(weights, category_weights)

    def run(self, weights: dict | None = None, category_weights: dict | None = None,
            points: dict | None = None, events_off=()) -> pd.DataFrame:
        """Simulated results beside the official ones.

        Returns one row per unit: the components and composite under the
        simulation, its rank and grade, and `official_composite`, `official_rank`,
        `official_grade`, `rank_delta` (positive = better than official) and
        `grade_changed`.
        """
        events_off = tuple(sorted(events_off))
        points_key = tuple(sorted((points or {}).items()))
        cw_key = tuple(sorted((category_weights or {}).items()))
        base = self._scored(events_off, points_key)
        scheme = self.scheme(weights, category_weights)
        key = (events_off, points_key, cw_key)
        if key not in self._components:
            # without category weights the components are those the base scoring already computed
            self._components[key] = (scoring.component_values(base.units, base.targets, base.evaluations, scheme)
                                     if cw_key else base.components)
        components = self._components[key]
        results, _ = finish(base.units, components, base.vetoes, scheme)
        official = self.official.results.set_index("unit")
        results["official_composite"] = results["unit"].map(official["composite"])
        results["official_rank"] = results["unit"].map(official["rank"])
        results["official_grade"] = results["unit"].map(official["grade"])
        results["rank_delta"] = results["official_rank"] - results["rank"]
        results["grade_changed"] = results["grade"] != results["official_grade"]
        return order(results)
