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
import pandas as pd

from ..vocab import SOURCE_LEVELS, STATUSES
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

    def part(self, rows: np.ndarray) -> "Amounts":
        """The amounts of the events at `rows` alone (the inverse of `patched`): `superseded_by` as positions
        within them. Every step works within one unit, so one unit's rows hold every event they point to."""
        local = np.full(len(self.final), -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        out = {name: values[rows] for name, values in vars(self).items()}
        out["superseded_by"] = np.where(out["superseded_by"] >= 0, local[np.maximum(out["superseded_by"], 0)], -1)
        return Amounts(**out)

    def cell_totals(self, events: EventSet, n_units: int, n_targets: int) -> dict:
        """Per grid cell (unit × target, unit-major): net, deducted, added and number of counted events."""
        cell = events.unit.astype(np.int64) * n_targets + events.target
        size = n_units * n_targets
        live = self.counted
        final = self.final[live]
        at = cell[live]
        # one pass for both signs: slot 2·cell holds the cell's deductions (and zeros), 2·cell + 1 its bonuses
        signs = np.bincount(2 * at + (final > 0), weights=final, minlength=2 * size).reshape(size, 2)
        return {"net": signs[:, 0] + signs[:, 1], "deducted": -signs[:, 0], "added": signs[:, 1].copy(),
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


def _combined(*parts) -> np.ndarray:
    """One exact int64 code per row for several non-negative integer codes, equal exactly where every
    part is equal (mixed radix; compacted by factorising whenever the radix would grow too large)."""
    code = np.zeros(len(parts[0]), dtype=np.int64)
    size = 1
    for values in parts:
        values = np.asarray(values).astype(np.int64, copy=False)
        radix = int(values.max()) + 1 if len(values) else 1
        if size * radix >= 1 << 62:
            code, uniques = pd.factorize(code)
            size = len(uniques)
            if size * radix >= 1 << 62:      # the part's own codes are sparse: their distinct values do as well
                values, kinds = pd.factorize(values)
                radix = len(kinds)
        code = code * radix + values
        size *= radix
    return code


def _shared(rows: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The rows whose group code (one per row of `rows`) is shared by another row: only their order can matter."""
    if len(rows) < 2:
        return rows[:0]
    return rows[pd.Series(group).duplicated(keep=False).to_numpy()]


def _same_day(events: EventSet, rows: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Of `rows` (with their group codes), those sharing group and day with another: the only rows whose
    order can depend on their ids (a superset of those tied once amounts are known)."""
    if len(rows) < 2:
        return rows[:0]
    return _shared(rows, _combined(group, events.day[rows]))


def _groups(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For group codes of rows already sorted so that each group is together: each row's rank in its
    group (0 = first) and the (sorted) position of its group's first row."""
    starts = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, dtype=bool)
    start_at = np.maximum.accumulate(np.where(starts, np.arange(len(group)), 0))
    return np.arange(len(group)) - start_at, start_at


def _binding(order, group: np.ndarray, size: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Of a rule's capped events (`group` their unit and rule, `size` at most what each can count), a
    mask in `order`'s sorted order of those in groups that together could pass the cap: only there
    does the order of events tied on the same day change an amount."""
    if not order.tied.any():
        return np.zeros(len(group), dtype=bool)
    _, at = np.unique(group, return_inverse=True)
    total = np.bincount(at, weights=size)
    return (total[at] > cap - 1e-9)[order.order]


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
    dedup = _Dedup(events, scheme, counted, sign, has_problem)
    capped_rows = np.flatnonzero(counted & ~np.isnan(r["cap"][rule]))
    caps_group = _combined(events.unit[capped_rows], rule[capped_rows])
    # the ids that may break ties (events of one group on one day) are fetched meanwhile, on a thread of their own
    events.fetch_soon(np.concatenate([_same_day(events, capped_rows, caps_group),
                                      _same_day(events, dedup.keyed, dedup.group[dedup.keyed])]))
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
    # each ordering sorted once; ids are needed only where events tie on everything else, same day
    # included, and (for caps) only in groups whose amounts could reach the cap: fetched once, for both
    by_caps = events.ordering(capped_rows, caps_group)
    binding = _binding(by_caps, caps_group, np.abs(signed[capped_rows]), r["cap"][rule[capped_rows]])
    by_dedup = events.ordering(dedup.keyed, dedup.group[dedup.keyed], -np.abs(signed[dedup.keyed]))
    events.ids_of(np.concatenate([by_caps.tied_rows(binding), by_dedup.tied_rows()]))
    step, superseded_by, after_dedup = dedup.apply(signed, by_dedup.rows())
    group = np.zeros(n, dtype=np.int64)
    group[capped_rows] = caps_group
    final = _rule_caps(sign, after_dedup, by_caps.rows(binding), group, r["cap"][rule])
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
    unit_amount = r["amount"][rule]                 # fixed rules (NaN for the others, filled below)
    ranged = np.flatnonzero(mode == MODE_RANGE)
    unit_amount[ranged] = events.base_amount[ranged]
    base = unit_amount * count
    tiered = np.flatnonzero(mode == MODE_THRESHOLD)
    if len(tiered):
        tr, tc = rule[tiered], count[tiered]
        upto, upto_amount, beyond = r["upto"][tr], r["upto_amount"][tr], r["each_beyond"][tr]
        base[tiered] = np.where(tc <= upto, upto_amount, np.where(r["all"][tr], tc * beyond, upto_amount + (tc - upto) * beyond))
        unit_amount[tiered] = upto_amount
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
            auto[candidate] = pd.Index(key[candidate]).isin(key[inside])
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
    combined = np.ones(n)
    for j, m in enumerate(scheme.multipliers):   # a factor per multiplier (1 where not met): their product, or the largest
        met = np.where(hits[:, j], float(m.factor), 1.0)
        combined = met if j == 0 else np.maximum(combined, met) if scheme.multiplier_combine == "max" else combined * met
    return hits, combined


class _Dedup:
    """R13, R16: one problem counts once at its highest amount; one matter at its highest (or by
    diminishing steps). Groups are unit, target, kind and key (one exact code each, `group`); within
    a group the largest amount comes first, then the earlier (date, then id)."""

    def __init__(self, events: EventSet, scheme: Scheme, counted, sign, has_problem):
        n = len(events)
        self.scheme = scheme
        problem_rows = counted & (sign < 0) & has_problem if scheme.problem_dedup == "highest" else np.zeros(n, dtype=bool)
        self.matter_rows = counted & (sign > 0) & (events.matter != 0) if scheme.matter_dedup != "none" else np.zeros(n, dtype=bool)
        keyed = np.flatnonzero(problem_rows | self.matter_rows)
        self.group = np.zeros(n, dtype=np.int64)
        if len(keyed):
            key = np.where(self.matter_rows[keyed], events.matter[keyed], events.problem[keyed])
            self.group[keyed] = _combined(events.unit[keyed], events.target[keyed], self.matter_rows[keyed], key)
        self.alone = keyed
        self.keyed = _shared(keyed, self.group[keyed])   # a key used once is first in its group

    def apply(self, signed: np.ndarray, keyed: np.ndarray):
        """Amounts after de-duplication; `keyed` are the shared keys' rows in group order (largest, then earliest first)."""
        n = len(signed)
        step = np.zeros(n, dtype=np.int8)
        superseded_by = np.full(n, -1, dtype=np.int64)
        after = signed.copy()
        steps = np.array(self.scheme.diminishing, dtype=float)
        if self.scheme.matter_dedup == "diminishing" and len(self.alone):
            alone = np.setdiff1d(self.alone, self.keyed)
            alone = alone[self.matter_rows[alone]]
            after[alone] = signed[alone] * float(steps[0] if len(steps) else 0.0)
        if not len(keyed):
            return step, superseded_by, after
        rank, first = _groups(self.group[keyed])
        first = keyed[first]
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


def _rule_caps(sign, after_dedup, rows: np.ndarray, group: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """A rule's own cap per unit and year; earlier events (date, then id) use the cap first. `rows`
    are the capped events sorted by unit and rule, then date and id; `group` (unit and rule) and
    `cap` are per event."""
    final = after_dedup.copy()
    if len(rows):
        rank, _ = _groups(group[rows])
        size = np.abs(after_dedup[rows])
        running = np.cumsum(size)
        before_group = np.maximum.accumulate(np.where(rank == 0, running - size, 0.0))
        used = running - size - before_group
        final[rows] = sign[rows] * np.maximum(0.0, np.minimum(size, cap[rows] - used))
    return final
