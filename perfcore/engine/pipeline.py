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
4. multipliers for higher-level findings and self-accountability (R9, R11);
5. one problem charged once at the higher standard (R13), one matter counted at its highest
   or by diminishing factors (R16); ties go to the earlier event (date, then id);
6. per-rule caps (R18), used up by earlier events first.

The floor and ceiling of each indicator or pool (R6, R17) are applied on the grid (`scoring`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..vocab import STATUSES
from .eventset import EventSet
from .scheme import Scheme

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


def _ranks_in_groups(group: np.ndarray, *keys) -> tuple[np.ndarray, np.ndarray]:
    """Rank (0 = first) of each element within its group, ordered by the keys (last key most significant
    after the group), and the index of each group's first element."""
    order = np.lexsort(tuple(keys) + (group,))
    g = group[order]
    starts = np.r_[True, g[1:] != g[:-1]]
    start_at = np.maximum.accumulate(np.where(starts, np.arange(len(g)), 0))
    rank = np.empty(len(g), dtype=np.int64)
    rank[order] = np.arange(len(g)) - start_at
    first = np.empty(len(g), dtype=np.int64)
    first[order] = order[start_at]
    return rank, first


def run(events: EventSet, scheme: Scheme, targets, off: np.ndarray | None = None) -> Amounts:
    """Every event's amount after each step. `targets` are the grid's target names (positions in
    `events.target`); `off` switches events off (what-if)."""
    n = len(events)
    r = _rule_arrays(scheme)
    rule = events.rule
    counted = np.isin(events.status, [STATUSES.index(s) for s in scheme.counted_statuses])
    if off is not None:
        counted &= ~off
    sign = r["sign"][rule] if n else np.zeros(0)
    count = events.count
    mode = r["mode"][rule]
    upto, upto_amount, beyond = r["upto"][rule], r["upto_amount"][rule], r["each_beyond"][rule]
    threshold = np.where(count <= upto, upto_amount, np.where(r["all"][rule], count * beyond,
                                                               upto_amount + (count - upto) * beyond))
    base = np.select([mode == MODE_FIXED, mode == MODE_RANGE], [r["amount"][rule] * count, events.base_amount * count],
                     threshold)
    unit_amount = np.select([mode == MODE_FIXED, mode == MODE_RANGE], [r["amount"][rule], events.base_amount], upto_amount)
    base = np.nan_to_num(base)          # a missing entered amount counts nothing (validated never to happen)

    role_values = np.array(list(scheme.roles.values()) + [1.0], dtype=float)   # position -1 → 1.0
    role_factor = role_values[events.role]

    names = list(targets)
    pool_names = {p.name for p in scheme.pools}
    is_pool = np.array([t in pool_names for t in names], dtype=bool)
    auto_pools = {p.name for p in scheme.pools if p.exempt_if_indicator_deducted}
    mitigation_auto = np.zeros(n, dtype=bool)
    if auto_pools and scheme.auto_exempt_code is not None and n:
        # R14 item 9: the same problem already deducted inside an indicator, for the same unit
        width = int(events.problem.max()) + 1
        key = events.unit.astype(np.int64) * width + events.problem
        inside = counted & ~is_pool[events.target] & (sign < 0) & (events.problem > 0)
        in_auto_pool = np.array([t in auto_pools for t in names], dtype=bool)[events.target]
        mitigation_auto = counted & in_auto_pool & (events.problem > 0) & np.isin(key, key[inside])
    mm = events.mitigation_mode
    mitigation_factor = np.where(mitigation_auto | (mm == 1), scheme.exempt_factor,
                                 np.where(mm == 2, scheme.reduce_factor, 1.0))
    mitigation_code = np.where(mitigation_auto, -1 if scheme.auto_exempt_code is None else scheme.auto_exempt_code,
                               events.mitigation_code)

    hits = np.zeros((n, len(scheme.multipliers)), dtype=bool)
    from ..vocab import SOURCE_LEVELS
    for j, m in enumerate(scheme.multipliers):
        cond = np.ones(n, dtype=bool)
        if m.source_level:
            cond &= np.isin(events.level, [SOURCE_LEVELS.index(x) for x in m.source_level if x in SOURCE_LEVELS])
        if m.aggravation:
            cond &= np.isin(events.aggravation, [events.aggravations.index(a) for a in m.aggravation
                                                 if a in events.aggravations])
        if m.accountable is not None:
            cond &= (events.accountable > 0) == m.accountable
        if m.targets:
            cond &= np.isin(events.target, [names.index(t) for t in m.targets if t in names])
        hits[:, j] = cond
    factors = np.where(hits, np.array([m.factor for m in scheme.multipliers], dtype=float), 1.0)
    if not scheme.multipliers:
        multiplier = np.ones(n)
    elif scheme.multiplier_combine == "max":
        multiplier = factors.max(axis=1)
    else:
        multiplier = factors.prod(axis=1)

    signed = np.where(counted, sign * base * role_factor * mitigation_factor * multiplier, 0.0)

    # one problem once at the higher standard; one matter at its highest (or diminishing)
    dedup = np.zeros(n, dtype=np.int8)
    superseded_by = np.full(n, -1, dtype=np.int64)
    after_dedup = signed.copy()
    problem_rows = counted & (sign < 0) & (events.problem > 0) if scheme.problem_dedup == "highest" \
        else np.zeros(n, dtype=bool)
    matter_rows = counted & (sign > 0) & (events.matter > 0) if scheme.matter_dedup != "none" else np.zeros(n, dtype=bool)
    keyed = np.flatnonzero(problem_rows | matter_rows)
    if len(keyed):
        is_matter = matter_rows[keyed]
        width = int(max(events.problem.max(), events.matter.max())) + 1
        key = np.where(is_matter, events.matter[keyed], events.problem[keyed])
        group = ((events.unit[keyed].astype(np.int64) * len(names) + events.target[keyed]) * 2 + is_matter) * width + key
        rank, first = _ranks_in_groups(group, keyed, -np.abs(signed[keyed]))
        later = rank > 0
        dedup[keyed[later]] = np.where(is_matter[later], DEDUP_MATTER, DEDUP_PROBLEM)
        superseded_by[keyed[later]] = keyed[first[later]]
        if scheme.matter_dedup == "diminishing":
            steps = np.array(scheme.diminishing, dtype=float)
            factor = np.where(rank < len(steps), steps[np.minimum(rank, len(steps) - 1)], 0.0)
        else:
            factor = np.where(later, 0.0, 1.0)
        factor = np.where(is_matter, factor, np.where(later, 0.0, 1.0))
        after_dedup[keyed] = signed[keyed] * factor

    # per-rule caps: earlier events (date, then id) use the cap first
    final = after_dedup.copy()
    capped_rows = np.flatnonzero(counted & ~np.isnan(r["cap"][rule]))
    if len(capped_rows):
        group = events.unit[capped_rows].astype(np.int64) * len(scheme.rules) + rule[capped_rows]
        order = np.lexsort((capped_rows, group))
        size = np.abs(after_dedup[capped_rows][order])
        g = group[order]
        starts = np.r_[True, g[1:] != g[:-1]]
        running = np.cumsum(size)
        before_group = np.maximum.accumulate(np.where(starts, running - size, 0.0))
        used = running - size - before_group
        cap = r["cap"][rule[capped_rows]][order]
        limited = sign[capped_rows][order] * np.maximum(0.0, np.minimum(size, cap - used))
        final[capped_rows[order]] = limited
    rule_capped = np.abs(final - after_dedup) > 1e-12
    veto = counted & r["veto"][rule] & (mitigation_factor > 0)
    final = np.where(counted, final, 0.0)
    return Amounts(counted=counted, sign=sign, unit_amount=unit_amount, base=base, role_factor=role_factor,
                   mitigation_auto=mitigation_auto, mitigation_factor=mitigation_factor, mitigation_code=mitigation_code,
                   multiplier=multiplier, multiplier_hits=hits, signed=signed, dedup=dedup, superseded_by=superseded_by,
                   after_dedup=after_dedup, rule_capped=rule_capped, final=final, veto=veto)
