"""The event pipeline: from recorded events to the amount each one contributes (before the indicator floor).

One implementation, vectorised over a year's events (an `EventSet`), used by the official
result, every what-if and the trace alike. The steps follow DOMAIN.md's recommended order,
one array per step, so the trace can show what each step did to each event:

1. base: the rule's amount × count, the amount entered for ranged rules (R5), or the count
   threshold formula (R8);
2. role factor (R7);
3. mitigation or exemption (R14), including the automatic item 9: a deduction in a pool so
   marked is exempt when the same unit has a deduction with the same problem key inside an
   indicator;
4. multipliers for higher-level findings and self-accountability (R9, R11), and for bonuses by the
   level of the instruction that drew them (E3);
5. one problem charged once at the higher standard (R13), one matter counted at its highest
   or by diminishing factors (R16); ties go to the earlier event (date, then id);
6. per-rule caps (R18), used up by earlier events first.

The floor and ceiling of each indicator or pool (R6, R17) are applied on the grid (`scoring`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..vocab import SOURCE_LEVELS, STATUSES
from .eventset import EventSet
from .scheme import Scheme

MIX = np.uint64(0x9E3779B97F4A7C15)   # mixes several keys into one 64-bit value (a false match only costs a sort)

MODE_FIXED, MODE_RANGE, MODE_THRESHOLD = 0, 1, 2
DEDUP_NONE, DEDUP_PROBLEM, DEDUP_MATTER = 0, 1, 2


@dataclass
class Amounts:
    """What each step did to each event (arrays aligned with the EventSet)."""

    counted: np.ndarray        # the status counts and the event is not switched off
    sign: np.ndarray           # -1 deduction, +1 bonus
    unit_amount: np.ndarray
    base: np.ndarray
    role_factor: np.ndarray
    mitigation_auto: np.ndarray
    mitigation_factor: np.ndarray
    mitigation_code: np.ndarray  # -1 for none
    multiplier: np.ndarray
    multiplier_hits: np.ndarray  # events × multipliers: which applied
    signed: np.ndarray
    dedup: np.ndarray          # DEDUP_* for events not counted at full because of a duplicate
    superseded_by: np.ndarray  # position of the event that was counted instead, -1
    after_dedup: np.ndarray
    rule_capped: np.ndarray
    final: np.ndarray          # 0 for events not counted
    veto: np.ndarray

    def patched(self, rows: np.ndarray, part: "Amounts") -> "Amounts":
        """A copy with the events at `rows` taking `part`'s values (a run over just those events).

        `superseded_by` in `part` holds positions within the part; they are mapped back."""
        out = {}
        for name, values in vars(self).items():
            values = values.copy()
            new = getattr(part, name)
            if name == "superseded_by":
                new = np.where(new >= 0, rows[np.maximum(new, 0)], -1)
            values[rows] = new
            out[name] = values
        return Amounts(**out)

    def cell_totals(self, events: EventSet, n_units: int, n_targets: int) -> dict:
        """Per grid cell (unit × target, unit-major): net, deducted, added and number of counted events."""
        cell = events.unit.astype(np.int64) * n_targets + events.target
        size = n_units * n_targets
        live = self.counted
        final = self.final[live]
        at = cell[live]
        return {"net": np.bincount(at, weights=final, minlength=size),
                "deducted": np.bincount(at, weights=np.where(final < 0, -final, 0.0), minlength=size),
                "added": np.bincount(at, weights=np.where(final > 0, final, 0.0), minlength=size),
                "events": np.bincount(at, minlength=size).astype(float)}


def _rule_arrays(scheme: Scheme) -> dict:
    """Per-rule facts as arrays indexed by the rule's position."""
    rules = scheme.rules
    out = {"sign": np.array([r.sign() for r in rules], dtype=float),
           "mode": np.array([MODE_FIXED if r.amount is not None else MODE_RANGE if r.range else MODE_THRESHOLD
                             for r in rules], dtype=np.int8),
           "amount": np.array([np.nan if r.amount is None else r.amount for r in rules], dtype=float),
           "upto": np.array([(r.threshold or {}).get("upto", np.nan) for r in rules], dtype=float),
           "upto_amount": np.array([(r.threshold or {}).get("amount", np.nan) for r in rules], dtype=float),
           "each_beyond": np.array([(r.threshold or {}).get("each_beyond", np.nan) for r in rules], dtype=float),
           "all": np.array([(r.threshold or {}).get("mode") == "all" for r in rules], dtype=bool),
           "cap": np.array([np.nan if r.cap is None else r.cap for r in rules], dtype=float),
           "veto": np.array([r.veto for r in rules], dtype=bool)}
    return out


def _lookup(size: int, hits) -> np.ndarray:
    """A boolean table over codes -1 … size-1 (index code + 1), true at `hits`."""
    table = np.zeros(size + 1, dtype=bool)
    table[np.asarray([h + 1 for h in hits], dtype=np.int64)] = True
    return table


def _shared(rows: np.ndarray, *keys) -> np.ndarray:
    """The rows whose group (equal keys) has at least two members: only their order can matter."""
    if len(rows) < 2:
        return rows[:0]
    mixed = np.zeros(len(rows), dtype=np.uint64)
    for k in keys:
        mixed = (mixed * MIX) ^ np.asarray(k[rows]).astype(np.uint64)
    _, inverse, counts = np.unique(mixed, return_inverse=True, return_counts=True)
    return rows[counts[inverse] > 1]


def _groups(sorted_rows: np.ndarray, *keys) -> tuple[np.ndarray, np.ndarray]:
    """For rows already sorted so that each group (equal keys) is together: each row's rank in its
    group (0 = first) and the position of its group's first row."""
    starts = np.ones(len(sorted_rows), dtype=bool)
    for k in keys:
        k = k[sorted_rows]
        starts[1:] &= k[1:] == k[:-1]
    starts = ~starts
    starts[0] = True
    start_at = np.maximum.accumulate(np.where(starts, np.arange(len(sorted_rows)), 0))
    return np.arange(len(sorted_rows)) - start_at, sorted_rows[start_at]


def run(events: EventSet, scheme: Scheme, targets, off: np.ndarray | None = None, like: Amounts | None = None) -> Amounts:
    """Every event's amount after each step. `targets` are the grid's target names (positions in
    `events.target`); `off` switches events off (what-if). `like` is a run over the same events
    with the same events switched off and a scheme that differs only in rules' amounts: its
    role, mitigation and multiplier steps are taken over as they are."""
    n = len(events)
    r = _rule_arrays(scheme)
    rule = events.rule
    counted = _lookup(len(STATUSES), [STATUSES.index(s) for s in scheme.counted_statuses])[events.status + 1]
    if off is not None:
        counted &= ~off
    sign = r["sign"][rule] if n else np.zeros(0)
    base, unit_amount = _base_amounts(events, r)
    names = list(targets)
    has_problem = events.problem != 0
    if like is not None:
        # only the rules' amounts differ from `like`: roles, mitigation and multipliers are as they were
        role_factor, mitigation_auto, mitigation_factor = like.role_factor, like.mitigation_auto, like.mitigation_factor
        mitigation_code, hits, multiplier = like.mitigation_code, like.multiplier_hits, like.multiplier
    else:
        role_values = np.array(list(scheme.roles.values()) + [1.0], dtype=float)   # position -1 → 1.0
        role_factor = role_values[events.role]
        mitigation_auto, mitigation_factor, mitigation_code = _mitigation(events, scheme, names, counted, sign, has_problem)
        hits, multiplier = _multipliers(events, scheme, names)

    signed = np.where(counted, sign * base * role_factor * mitigation_factor * multiplier, 0.0)
    dedup = _Dedup(events, scheme, counted, sign, has_problem)
    capped_rows = np.flatnonzero(counted & ~np.isnan(r["cap"][rule]))
    # ids are needed only where events tie on everything else, same day included: fetch them once, for both steps
    tied = [events.ties(capped_rows, events.unit[capped_rows], rule[capped_rows])]
    if len(dedup.keyed):
        tied.append(events.ties(dedup.keyed, *dedup.key_of(dedup.keyed), -np.abs(signed[dedup.keyed])))
    tied = np.concatenate(tied)
    if len(tied):
        events.ids_of(tied)
    step, superseded_by, after_dedup = dedup.apply(signed)
    final = _rule_caps(events, r, sign, after_dedup, capped_rows)
    rule_capped = np.abs(final - after_dedup) > 1e-12
    veto = counted & r["veto"][rule] & (mitigation_factor > 0)
    final = np.where(counted, final, 0.0)
    return Amounts(counted=counted, sign=sign, unit_amount=unit_amount, base=base, role_factor=role_factor,
                   mitigation_auto=mitigation_auto, mitigation_factor=mitigation_factor, mitigation_code=mitigation_code,
                   multiplier=multiplier, multiplier_hits=hits, signed=signed, dedup=step, superseded_by=superseded_by,
                   after_dedup=after_dedup, rule_capped=rule_capped, final=final, veto=veto)


def _base_amounts(events: EventSet, r: dict) -> tuple[np.ndarray, np.ndarray]:
    """R4, R5, R8: the amount before roles, mitigation and multipliers (fixed, entered within a range, or
    tiered by count), and the amount of one count."""
    rule, count = events.rule, events.count
    mode = r["mode"][rule]
    upto, upto_amount, beyond = r["upto"][rule], r["upto_amount"][rule], r["each_beyond"][rule]
    threshold = np.where(count <= upto, upto_amount, np.where(r["all"][rule], count * beyond,
                                                               upto_amount + (count - upto) * beyond))
    base = np.select([mode == MODE_FIXED, mode == MODE_RANGE], [r["amount"][rule] * count, events.base_amount * count],
                     threshold)
    unit_amount = np.select([mode == MODE_FIXED, mode == MODE_RANGE], [r["amount"][rule], events.base_amount], upto_amount)
    return np.nan_to_num(base), unit_amount       # a missing entered amount counts nothing (validated never to happen)


def _mitigation(events: EventSet, scheme: Scheme, names: list, counted, sign, has_problem):
    """R14: exempt or reduced as entered, and item 9 (the same problem already deducted inside an
    indicator for the same unit) found by the pipeline itself."""
    n = len(events)
    pool_names = {p.name for p in scheme.pools}
    is_pool = np.array([t in pool_names for t in names], dtype=bool)
    auto_pools = {p.name for p in scheme.pools if p.exempt_if_indicator_deducted}
    auto = np.zeros(n, dtype=bool)
    if auto_pools and scheme.auto_exempt_code is not None and n:
        in_auto_pool = np.array([t in auto_pools for t in names], dtype=bool)[events.target]
        candidate = np.flatnonzero(counted & in_auto_pool & has_problem)
        if len(candidate):
            key = events.unit.astype(np.int64) * (int(events.problem.max()) + 1) + events.problem   # unit × problem, exact
            inside = counted & ~is_pool[events.target] & (sign < 0) & has_problem
            auto[candidate] = np.isin(key[candidate], key[inside])
    mm = events.mitigation_mode
    factor = np.where(auto | (mm == 1), scheme.exempt_factor, np.where(mm == 2, scheme.reduce_factor, 1.0))
    code = np.where(auto, -1 if scheme.auto_exempt_code is None else scheme.auto_exempt_code, events.mitigation_code)
    return auto, factor, code


def _multipliers(events: EventSet, scheme: Scheme, names: list) -> tuple[np.ndarray, np.ndarray]:
    """R9, R11, E3: which multipliers each event meets, and their combined factor (product or largest)."""
    n = len(events)
    hits = np.zeros((n, len(scheme.multipliers)), dtype=bool)
    for j, m in enumerate(scheme.multipliers):
        cond = np.ones(n, dtype=bool)
        if m.source_level:
            cond &= _lookup(len(SOURCE_LEVELS), [SOURCE_LEVELS.index(x) for x in m.source_level])[events.level + 1]
        if m.aggravation:
            cond &= _lookup(len(events.aggravations), [events.aggravations.index(a) for a in m.aggravation
                                                       if a in events.aggravations])[events.aggravation + 1]
        if m.instruction_level:   # E3: whose instruction drew the bonus (批示层级)
            cond &= _lookup(len(SOURCE_LEVELS), [SOURCE_LEVELS.index(x) for x in m.instruction_level])[events.instruction + 1]
        if m.accountable is not None:
            cond &= (events.accountable > 0) == m.accountable
        if m.targets:
            cond &= _lookup(len(names), [names.index(t) for t in m.targets if t in names])[events.target + 1]
        hits[:, j] = cond
    if not scheme.multipliers:
        return hits, np.ones(n)
    factors = np.where(hits, np.array([m.factor for m in scheme.multipliers], dtype=float), 1.0)
    return hits, (factors.max(axis=1) if scheme.multiplier_combine == "max" else factors.prod(axis=1))


class _Dedup:
    """R13, R16: one problem counts once at its highest amount; one matter at its highest (or by
    diminishing steps). Groups are unit, target, kind and key; within a group the largest amount
    comes first, then the earlier (date, then id)."""

    def __init__(self, events: EventSet, scheme: Scheme, counted, sign, has_problem):
        n = len(events)
        self.events, self.scheme = events, scheme
        problem_rows = counted & (sign < 0) & has_problem if scheme.problem_dedup == "highest" else np.zeros(n, dtype=bool)
        self.matter_rows = counted & (sign > 0) & (events.matter != 0) if scheme.matter_dedup != "none" else np.zeros(n, dtype=bool)
        self.key = np.where(self.matter_rows, events.matter, events.problem)
        keyed = np.flatnonzero(problem_rows | self.matter_rows)
        self.alone = keyed
        self.keyed = _shared(keyed, *self.key_of()) if len(keyed) else keyed   # a key used once is first in its group

    def key_of(self, rows=None):
        group = (self.events.unit, self.events.target, self.matter_rows, self.key)
        return group if rows is None else tuple(g[rows] for g in group)

    def apply(self, signed: np.ndarray):
        n = len(signed)
        step = np.zeros(n, dtype=np.int8)
        superseded_by = np.full(n, -1, dtype=np.int64)
        after = signed.copy()
        steps = np.array(self.scheme.diminishing, dtype=float)
        if self.scheme.matter_dedup == "diminishing" and len(self.alone):
            alone = np.setdiff1d(self.alone, self.keyed)
            alone = alone[self.matter_rows[alone]]
            after[alone] = signed[alone] * float(steps[0] if len(steps) else 0.0)
        keyed = self.keyed
        if not len(keyed):
            return step, superseded_by, after
        keyed = self.events.chronological(keyed, *self.key_of(keyed), -np.abs(signed[keyed]))
        rank, first = _groups(keyed, *self.key_of())
        is_matter = self.matter_rows[keyed]
        later = rank > 0
        step[keyed[later]] = np.where(is_matter[later], DEDUP_MATTER, DEDUP_PROBLEM)
        superseded_by[keyed[later]] = first[later]
        if self.scheme.matter_dedup == "diminishing":
            factor = np.where(rank < len(steps), steps[np.minimum(rank, len(steps) - 1)], 0.0)
        else:
            factor = np.where(later, 0.0, 1.0)
        factor = np.where(is_matter, factor, np.where(later, 0.0, 1.0))
        after[keyed] = signed[keyed] * factor
        return step, superseded_by, after


def _rule_caps(events: EventSet, r: dict, sign, after_dedup, capped_rows) -> np.ndarray:
    """A rule's own cap per unit and year; earlier events (date, then id) use the cap first."""
    final = after_dedup.copy()
    if len(capped_rows):
        rule = events.rule
        rows = events.chronological(capped_rows, events.unit[capped_rows], rule[capped_rows])
        rank, _ = _groups(rows, events.unit, rule)
        size = np.abs(after_dedup[rows])
        running = np.cumsum(size)
        before_group = np.maximum.accumulate(np.where(rank == 0, running - size, 0.0))
        used = running - size - before_group
        final[rows] = sign[rows] * np.maximum(0.0, np.minimum(size, r["cap"][rule[rows]] - used))
    return final
