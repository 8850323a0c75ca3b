"""What-if: a changed scheme (or event set) scored by the same engine, never touching stored data.

    sim = WhatIf(con, "示例区", 2025)
    table = sim.run(weights={"indicator": 0.5, "public": 0.5})
    table = sim.run(events_off=["2025-0042"])          # simulate a successful appeal
    table = sim.run(points={"信息报送": 30}, amounts={"工作落实不力": 3})
    table = sim.run(extra={"区委办": 2.5})              # a unit 2.5 composite points better (what it would take)

Every kind of change goes through `results.compute`, the function the official result comes
from, on the year's inputs read once: weights and category weights change the scheme;
`amounts` changes rules' fixed amounts in the scheme; `points` changes indicators' points;
`events_off` switches records off; `extra` adds composite points to units outside every component
(so no tie-break value moves), which is how a gap to the next rank or grade is checked. The event pipeline only runs again when the events or the
amounts change (and each combination is kept), so every change after the first costs
milliseconds. Movement and consequences are computed under the simulation too, against the
earlier years' official results.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import pandas as pd

from ..store.connection import data_version
from . import pipeline
from .results import YearScore, annotate, compute, finish, order, score, with_history
from .scheme import Scheme


class WhatIf:
    """Simulations against one official year."""

    def __init__(self, con, org: str, year: int, official: YearScore | None = None):
        self.con, self.org, self.year = con, org, year
        self.official = official or score(con, org, year)
        self.version = data_version(con)
        self._amounts: OrderedDict = OrderedDict()     # (events off, rule amounts) -> pipeline.Amounts
        self._lock = threading.Lock()
        self._ids: frozenset | None = None

    def event_ids(self) -> frozenset:
        """The ids of the year's records a simulation can switch off (those the official year was scored from)."""
        if self._ids is None:
            self._ids = frozenset(self.official.events.ids().tolist())
        return self._ids

    def scheme(self, weights: dict | None = None, category_weights: dict | None = None,
               amounts: dict | None = None) -> Scheme:
        """The official scheme with changed weights and rule amounts."""
        return self.official.scheme.with_weights(weights, category_weights).with_amounts(amounts)

    def _pipeline(self, scheme: Scheme, events_off: tuple, amounts_key: tuple):
        key = (events_off, amounts_key)
        if not events_off and not amounts_key:
            return self.official.amounts
        with self._lock:
            found = self._amounts.get(key)
        if found is None:
            inputs = self.official.inputs
            events = inputs.events
            off = events.positions(events_off) if events_off else None
            # every step works within one unit: only the units of the records switched off, or with
            # records under a rule whose amount changed, can change
            units = self._changed_units(events_off, amounts_key)
            like = None if events_off else self.official.amounts
            if self._most(units):
                found = pipeline.run(events, scheme, inputs.targets, off=off, like=like)
            else:
                rows = np.flatnonzero(np.isin(events.unit, units))
                part_off = off[rows] if off is not None else None
                part_like = pipeline.Amounts(**{k: v[rows] for k, v in vars(like).items()}) if like is not None else None
                part = pipeline.run(events.subset(rows), scheme, inputs.targets, off=part_off, like=part_like)
                found = self.official.amounts.patched(rows, part)
            with self._lock:
                self._amounts[key] = found
                while len(self._amounts) > 16:
                    self._amounts.popitem(last=False)
        return found

    def _most(self, units: np.ndarray) -> bool:
        """Whether a change reaches so many units that scoring them all is cheaper than patching."""
        return len(units) * 3 > len(self.official.units)

    def _changed_units(self, events_off: tuple, amounts_key: tuple) -> np.ndarray:
        """Grid rows of the units a change of records or rule amounts can reach."""
        events = self.official.inputs.events
        reached = np.zeros(len(events), dtype=bool)
        if events_off:
            reached |= events.positions(events_off)
        if amounts_key:
            rules = [i for i, r in enumerate(self.official.scheme.rules) if r.name in dict(amounts_key)]
            reached |= np.isin(events.rule, rules)
        return np.unique(events.unit[reached])

    def simulate(self, weights: dict | None = None, category_weights: dict | None = None, points: dict | None = None,
                 events_off=(), amounts: dict | None = None, extra: dict | None = None) -> YearScore:
        """The year as it would be scored under the changes, history included."""
        events_off = tuple(sorted(map(str, events_off)))
        amounts_key = tuple(sorted((amounts or {}).items()))
        scheme = self.scheme(weights, category_weights, amounts)
        changed = self._pipeline(scheme, events_off, amounts_key)
        if changed is self.official.amounts and not points and not category_weights:
            year = self._reweighted(scheme, extra)   # only the weights differ: the same components, a new composite
        elif not points and not category_weights and not self._most(units := self._changed_units(events_off, amounts_key)):
            # records switched off, or rules' amounts changed: only the units they reach change rows of the grid
            year = compute(self.org, self.year, scheme, self.official.inputs, amounts=changed, base=self.official,
                           changed_units=units, extra=extra)
        else:
            year = compute(self.org, self.year, scheme, self.official.inputs, points=points or None, amounts=changed,
                           extra=extra)
        cur = self.con.cursor()          # a simulator may be shared by sessions: each run reads on its own cursor
        try:
            year.results = with_history(cur, year, self.version)
            year.simulated = True
        finally:
            cur.close()
        return year

    def _reweighted(self, scheme: Scheme, extra: dict | None = None) -> YearScore:
        """The official year with another weighting of its (unweighted) components."""
        o = self.official
        results, notes = finish(o.units, o.components, o.vetoes, scheme, extra)
        results = annotate(results, o.grid, o.inputs.veto_table)
        results["provisional"] = o.results.set_index("unit")["provisional"].reindex(results["unit"]).to_numpy()
        return YearScore(o.org, o.year, scheme, o.units, o.indicators, o.grid, o.components, results, notes, o.vetoes,
                         o.evaluations, o.inputs, o.amounts)

    def run(self, weights: dict | None = None, category_weights: dict | None = None, points: dict | None = None,
            events_off=(), amounts: dict | None = None, extra: dict | None = None) -> pd.DataFrame:
        """Simulated results beside the official ones.

        Returns one row per unit: the components and composite under the simulation, its
        rank, grade, movement and consequences, and `official_composite`, `official_rank`,
        `official_grade`, `rank_delta` (positive = better than official) and `grade_changed`.
        """
        results = self.simulate(weights, category_weights, points, events_off, amounts, extra).results
        official = self.official.results.set_index("unit")
        results["official_composite"] = results["unit"].map(official["composite"])
        results["official_rank"] = results["unit"].map(official["rank"])
        results["official_grade"] = results["unit"].map(official["grade"])
        results["rank_delta"] = results["official_rank"] - results["rank"]
        results["grade_changed"] = results["grade"] != results["official_grade"]
        return order(results)
