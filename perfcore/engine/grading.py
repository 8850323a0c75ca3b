"""Ranks, grades, veto and consequences.

- competition ranking (1, 2, 2, 4) overall and within series (R25, A5);
- grades by thresholds (R23) or forced distribution (R24, A3, A4, A5);
- veto forces the lowest grade, the score is still published (R22, A10);
- consequences over consecutive years (R26, R27), on used-up indicators (E2), naming the people they
  concern (R22, R27), and reward factors and amounts (R28).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..vocab import PEOPLE
from .scheme import Scheme
from .scoring import round_half_up


def competition_rank(values, ascending: bool = False, groups=None) -> np.ndarray:
    """Standard competition ranking: equal values share the best rank (1, 2, 2, 4), within `groups` if given."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return np.zeros(0, dtype=int)
    key = values if ascending else -values
    group = np.zeros(len(values), dtype=np.int64) if groups is None else pd.factorize(np.asarray(groups))[0]
    order = np.lexsort((key, group))
    g, k = group[order], key[order]
    index = np.arange(len(values))
    new_group = np.r_[True, g[1:] != g[:-1]]
    new_value = new_group | np.r_[True, k[1:] != k[:-1]]
    group_start = np.maximum.accumulate(np.where(new_group, index, 0))
    first_equal = np.maximum.accumulate(np.where(new_value, index, 0))
    ranks = np.empty(len(values), dtype=int)
    ranks[order] = first_equal - group_start + 1
    return ranks


def threshold_grades(composite, vetoed, scheme: Scheme) -> np.ndarray:
    """Grade by fixed bands: [min, max), best first; a veto gives the lowest grade."""
    composite = np.asarray(composite, dtype=float)
    grades = np.full(len(composite), scheme.lowest_grade(), dtype=object)
    assigned = np.zeros(len(composite), dtype=bool)
    for g in scheme.grades[:-1]:
        hit = ~assigned & (composite >= g.min - 1e-9)
        grades[hit] = g.name
        assigned |= hit
    grades[np.asarray(vetoed, dtype=bool)] = scheme.lowest_grade()
    return grades


def quotas(n: int, scheme: Scheme) -> list[int]:
    """Number of units per grade for a pool of n (A4).

    largest_remainder (default): every grade gets the whole part of its quota;
    the seats left go to the grades with the largest fractions, except the
    lowest (penalty) grade, which is always rounded down. Nobody is rounded into
    a penalty grade and every count stays within one of its quota.
    protect: A4 as literally recommended: every grade but the absorbing one
    rounds down and the absorbing grade takes the remainder.
    nearest: round half up; the absorbing grade takes what is left.
    """
    shares = [g.share for g in scheme.grades]
    names = [g.name for g in scheme.grades]
    raw = [s * n for s in shares]
    counts = [math.floor(x + 1e-9) for x in raw]
    if scheme.quota_rounding == "largest_remainder":
        left = n - sum(counts)
        order = sorted(range(len(raw) - 1), key=lambda i: (-(raw[i] - counts[i]), i))
        for i in order[:left]:
            counts[i] += 1
        return counts
    if scheme.quota_rounding == "nearest":
        counts = [math.floor(x + 0.5 + 1e-9) for x in raw]
    i = names.index(scheme.absorb or names[-2])
    counts[i] = n - (sum(counts) - counts[i])
    if counts[i] < 0:  # only possible with 'nearest'; take from the lowest grades upward
        deficit = -counts[i]
        counts[i] = 0
        for j in range(len(counts) - 1, -1, -1):
            take = min(deficit, counts[j])
            counts[j] -= take
            deficit -= take
    return counts


def forced_grades(frame: pd.DataFrame, scheme: Scheme) -> tuple[np.ndarray, list[str]]:
    """Forced distribution over one pool (R24).

    `frame` has composite, veto and the component columns named in the scheme's
    tie-break list. Vetoed units fill the lowest grade first and extend it if
    they outnumber its quota (A3). Units tied on the composite and every
    tie-break at a grade boundary all get the higher grade; each such case is
    returned as a note (A5).
    """
    n = len(frame)
    counts = quotas(n, scheme)
    names = [g.name for g in scheme.grades]
    keys, asc = ["composite"], [False]
    for tb in scheme.tie_break:
        col, direction = tb.split(":")
        keys.append(col)
        asc.append(direction == "asc")
    vetoed = frame["veto"].to_numpy(dtype=bool)
    order = frame[~vetoed].sort_values(keys, ascending=asc, kind="mergesort")
    grades = pd.Series(names[-1], index=frame.index, dtype=object)
    position, notes = 0, []
    slots = []
    for name, count in zip(names[:-1], counts[:-1]):
        slots.extend([name] * count)
    ordered = list(order.index)
    for idx in ordered:
        grades[idx] = slots[position] if position < len(slots) else names[-1]
        position += 1
    # ties at a boundary: the lower unit takes the higher grade
    rank_of = {g: k for k, g in enumerate(names)}
    sig = order[keys].round(9).apply(tuple, axis=1)
    for a, b in zip(ordered, ordered[1:]):
        if sig[a] == sig[b] and rank_of[grades[b]] > rank_of[grades[a]]:
            notes.append(f"{frame.loc[b, 'unit']} 与 {frame.loc[a, 'unit']} 得分及比较项完全相同，同列「{grades[a]}」")
            grades[b] = grades[a]
    return grades.to_numpy(), notes


def assign_grades(frame: pd.DataFrame, scheme: Scheme) -> tuple[np.ndarray, list[str]]:
    """Grades for every unit of a year, by the scheme's mode and pool."""
    if scheme.grading_mode == "threshold":
        return threshold_grades(frame["composite"], frame["veto"], scheme), []
    if scheme.grading_pool == "all":
        return forced_grades(frame, scheme)
    grades = np.empty(len(frame), dtype=object)
    notes = []
    for _, part in frame.groupby("series", sort=False):
        g, n = forced_grades(part, scheme)
        grades[frame.index.get_indexer(part.index)] = g
        notes.extend(n)
    return grades, notes


def rank(frame: pd.DataFrame) -> pd.DataFrame:
    """Add rank (overall) and series_rank (within series) by composite."""
    composite = frame["composite"].to_numpy(dtype=float)
    return frame.assign(rank=competition_rank(composite), series_rank=competition_rank(composite, groups=frame["series"]))


def movement_text(change, new: bool) -> str:
    """The offices' wording: 上升N位 / 下降N位 / 持平 / 新."""
    if new or change is None or (isinstance(change, float) and math.isnan(change)):
        return "新"
    change = int(change)
    if change > 0:
        return f"上升{change}位"
    if change < 0:
        return f"下降{-change}位"
    return "持平"


def movement_texts(change: np.ndarray, previous: np.ndarray) -> list[str]:
    """movement_text for whole columns: 上升N位 / 下降N位 / 持平 / 新."""
    new = np.isnan(previous) | np.isnan(change)
    steps = np.where(new, 0, np.nan_to_num(change)).astype(int)
    words: dict[int, str] = {}         # few distinct steps: each worded once
    for step in np.unique(steps).tolist():
        words[step] = "持平" if step == 0 else f"上升{step}位" if step > 0 else f"下降{-step}位"
    return ["新" if n else words[s] for n, s in zip(new.tolist(), steps.tolist())]


def with_history(current: pd.DataFrame, previous: list[pd.DataFrame], scheme: Scheme,
                 rows: np.ndarray | None = None) -> pd.DataFrame:
    """Add last year's ranks, rank movement, and consequence flags.

    `previous` holds earlier years' results, most recent first. `rows` (positions in `current`)
    is the order of the rows returned, all of them by default; the frame is built once, in that order.
    """
    rows = np.arange(len(current)) if rows is None else np.asarray(rows, dtype=np.int64)
    now = {c: current[c].to_numpy()[rows] for c in current.columns}    # this year's columns, in the order asked
    n = len(rows)
    units, series = now["unit"], now["series"]
    cols = {}
    prev = previous[0] if previous else None
    # each unit's row in each earlier year: found in this year's own order (usually the earlier years'), then put in order
    where = [_aligned(frame["unit"].to_numpy(), current["unit"].to_numpy())[rows] for frame in previous]
    if prev is not None and not prev.empty:
        at = where[0]
        found = at >= 0
        take = np.where(found, at, 0)
        cols["prev_rank"] = np.where(found, prev["rank"].to_numpy(dtype=float)[take], np.nan)
        same_series = found & (prev["series"].to_numpy()[take] == series)
        cols["prev_series_rank"] = np.where(same_series, prev["series_rank"].to_numpy(dtype=float)[take], np.nan)
        cols["prev_grade"] = np.where(found, prev["grade"].to_numpy(dtype=object)[take], None)
        cols["prev_composite"] = np.where(found, prev["composite"].to_numpy(dtype=float)[take], np.nan)
    else:
        cols["prev_composite"] = np.full(n, np.nan)
        cols["prev_rank"] = np.full(n, np.nan)
        cols["prev_series_rank"] = np.full(n, np.nan)
        cols["prev_grade"] = np.full(n, None, dtype=object)
    cols["rank_change"] = cols["prev_rank"] - now["rank"].astype(float)
    cols["series_rank_change"] = cols["prev_series_rank"] - now["series_rank"].astype(float)
    by_series = scheme.movement == "series"
    cols["movement"] = _objects(movement_texts(cols["series_rank_change" if by_series else "rank_change"],
                                               cols["prev_series_rank" if by_series else "prev_rank"]))
    history = [now] + list(previous)
    hits = []
    for c in scheme.consequences:
        hit = np.ones(n, dtype=bool)
        for k in range(c.years):
            if k >= len(history):
                hit[:] = False
                break
            cond = _condition(history[k], c, scheme)
            at = where[k - 1] if k else np.arange(n)
            hit &= np.where(at >= 0, cond[np.where(at >= 0, at, 0)], False)
        hits.append(hit)
    details, texts = _objects([[] for _ in range(n)]), _objects([[] for _ in range(n)])   # a list per unit
    for c, hit in zip(scheme.consequences, hits):
        for i in np.flatnonzero(hit):
            details[i].append(consequence_detail(c, {k: v[i] for k, v in now.items()}))
            texts[i].append(consequence_text(details[i][-1]))
    cols["consequence_details"] = details
    cols["consequences"] = texts
    reward = {g.name: g.reward for g in scheme.grades}
    factors = [reward.get(g) for g in now["grade"].tolist()]        # numbers where there are rewards, else None
    bases, amounts = reward_amounts(now, factors, scheme)
    cols["reward"], cols["reward_base"], cols["reward_amount"] = (_as_column(x) for x in (factors, bases, amounts))
    out = {c: v for c, v in now.items() if c not in cols}
    out.update(cols)
    return pd.DataFrame(out)


def _objects(values: list) -> np.ndarray:
    """A list as an object array (pandas fills one element by element from a list: 1 ms at 10,000 units)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _as_column(values: list):
    """A list as pandas makes a column of it (numbers with None: floats with NaN); a list of None only,
    the usual case of a scheme without rewards, as an object array directly (the same column, without
    pandas looking at every element)."""
    return np.full(len(values), None, dtype=object) if all(v is None for v in values) else values


def _aligned(earlier: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Each of `units`' row in an earlier year's units (-1 where absent). Years usually list the same
    units in the same order: then the rows are the same, found without hashing every name."""
    if len(earlier) == len(units) and (earlier == units).all():
        return np.arange(len(units))
    return pd.Index(earlier).get_indexer(units)


def reward_amounts(frame, factors: list, scheme: Scheme) -> tuple[list, list]:
    """R28: each unit's base award (by series, else level, else the scheme's base) and the amount its
    grade's factor gives, to the fen (0.01). `frame`: a results frame, or its columns as arrays."""
    n = len(frame["unit"])
    if scheme.reward is None:
        return [None] * n, [None] * n
    series = list(frame["series"])
    levels = list(frame["level"]) if "level" in frame else [None] * n
    bases = [scheme.reward.base_for(s, lv) for s, lv in zip(series, levels)]
    amounts = [None if b is None or f is None else float(round_half_up(b * f, 2)) for b, f in zip(bases, factors)]
    return bases, amounts


def _names(row, role: str) -> list[str]:
    if role == "当事人":
        value = row.get("veto_people")
        return list(value) if isinstance(value, (list, tuple, np.ndarray)) else []
    value = row.get({"主要领导": "principal", "分管领导": "leader_in_charge"}[role])
    return [value.strip()] if isinstance(value, str) and value.strip() else []


def consequence_detail(c, row) -> dict:
    """One consequence of one unit, with the people it names (from the unit list and the veto records)
    and the indicators whose used-up points it follows from."""
    people = []
    for role in c.people:
        names = _names(row, role)
        people.extend({"role": role, "role_en": PEOPLE[role], "name": name} for name in names)
        if not names:
            people.append({"role": role, "role_en": PEOPLE[role], "name": None})
    indicators = []
    if c.exhausted or c.exhausted_any:      # the indicators the consequence follows from
        used = row.get("exhausted")
        used = list(used) if isinstance(used, (list, tuple, np.ndarray)) else []
        indicators = used if c.exhausted_any else [x for x in used if x in c.exhausted]
    return {"name": c.name, "label_en": c.label_en, "people": people, "indicators": indicators}


def consequence_text(d: dict, lang: str = "zh") -> str:
    """'取消评先资格（保密工作 分值扣完）：主要领导 王某，分管领导 李某' (or in English)."""
    zh = lang == "zh"
    text = d["name"] if zh or not d.get("label_en") else d["label_en"]
    if d.get("indicators"):
        text += f"（{'、'.join(d['indicators'])} 分值扣完）" if zh else f" ({', '.join(d['indicators'])}: points used up)"
    if d.get("people"):
        groups: dict[str, list] = {}
        for p in d["people"]:
            groups.setdefault(p["role"] if zh else p["role_en"], []).append(p["name"])
        missing = "（未登记）" if zh else " (not recorded)"
        parts = [f"{role} {'、'.join(x for x in names if x)}" if any(names) else f"{role}{missing}" for role, names in groups.items()]
        text += ("：" + "，".join(parts)) if zh else (": " + ", ".join(parts))
    return text


def _condition(frame, c, scheme: Scheme) -> np.ndarray:
    """Which units of one year (a results frame, or its columns as arrays) meet a consequence's condition."""
    n = len(frame["unit"])
    cond = np.ones(n, dtype=bool)
    if c.exhausted or c.exhausted_any is not None:
        used = [list(x) if isinstance(x, (list, tuple, np.ndarray)) else []
                for x in (frame["exhausted"] if "exhausted" in frame else [[]] * n)]
        if c.exhausted:            # one of the named indicators used up
            cond &= np.array([bool(set(c.exhausted) & set(x)) for x in used], dtype=bool)
        else:                      # any indicator used up (true), or none (false)
            cond &= np.array([bool(x) == c.exhausted_any for x in used], dtype=bool)
    if c.grade is not None:
        cond &= np.asarray(frame["grade"]) == c.grade
    if c.veto is not None:
        cond &= np.asarray(frame["veto"], dtype=bool) == c.veto
    if c.below is not None:
        cond &= np.asarray(frame["composite"], dtype=float) < c.below - 1e-9
    if c.lowest:
        # A13: lowest within the grading pool (all units, or the series)
        composite = np.asarray(frame["composite"], dtype=float)
        if scheme.grading_pool == "series":
            group = pd.factorize(np.asarray(frame["series"]))[0]
            low = np.full(group.max() + 1 if len(group) else 0, np.inf)
            np.minimum.at(low, group, composite)
            low = low[group]
        else:
            low = np.full(len(composite), composite.min() if len(composite) else np.nan)
        cond &= np.isclose(composite, low)
    return cond
