"""Why a unit has the score it has on one indicator or pool: the trace.

Each line is one event (or the starting points), with what every step of the
pipeline did to it and the amount it finally contributed. Where a floor
(扣完为止) or a cap stops the total, the latest events are the ones trimmed,
so the contributions always add up exactly to the score.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NotFound
from . import scoring
from .events import cell_totals, lines as event_lines, synthetic_lines, year_events
from .results import direct_scores, load_scheme
from .scheme import Scheme

LINE_COLUMNS = ["target", "line", "event_id", "date", "rule", "source_level", "count", "unit_amount", "base",
                "role_factor", "mitigation_factor", "multiplier", "after_dedup", "final", "contribution",
                "counted", "status", "evidence", "description", "note", "note_en"]


def _allocate(finals: np.ndarray, dates_order: np.ndarray, excess: float, sign: int) -> np.ndarray:
    """Trim `excess` from the latest amounts of the given sign; return contributions."""
    contrib = finals.copy() + 0.0
    for i in dates_order[::-1]:
        if excess <= 1e-12:
            break
        if np.sign(contrib[i]) == sign and contrib[i] != 0:
            take = min(excess, abs(contrib[i]))
            contrib[i] -= sign * take
            excess -= take
    return contrib


def _contributions(finals: np.ndarray, target_row) -> np.ndarray:
    """What each of a target's finals (in date order) counts once the target's floor or cap applies."""
    order = np.arange(len(finals))  # lines are in date order
    if target_row["is_pool"]:
        net = finals.sum()
        value = target_row["score"]
        magnitude = -net if target_row["pool_kind"] == "deduction" else net
        excess = magnitude - value
        if excess > 1e-12:   # capped: trim the latest amounts in the pool's own direction
            return _allocate(finals, order, excess, -1 if target_row["pool_kind"] == "deduction" else 1)
        if excess < -1e-12:  # the pool cannot go below zero: trim the opposite direction
            return _allocate(finals, order, -excess, 1 if target_row["pool_kind"] == "deduction" else -1)
        return finals
    raw, score = target_row["raw"], target_row["score"]
    if raw < score - 1e-12:      # below the floor: 扣完为止, later deductions stop counting
        return _allocate(finals, order, score - raw, -1)
    if raw > score + 1e-12:      # above the ceiling: later bonuses stop counting
        return _allocate(finals, order, raw - score, 1)
    return finals


def contributions(lines: pd.DataFrame, target_row) -> np.ndarray:
    """What each line of one indicator or pool (date order, a `final` column) finally counts once the target's
    floor or cap applies: the latest lines are trimmed first, so the counts add up to the score."""
    return _contributions(lines["final"].to_numpy(dtype=float), target_row)


def _note(r, rule, scheme: Scheme, contribution: float) -> tuple[str, str]:
    zh, en = [], []
    if r.get("synthetic"):
        zh.append(f"{r['rule']}：{r.get('detail', '')}，计 {r['final']:+.2f} 分")
        en.append(f"{r['rule']}: {r.get('detail_en') or r.get('detail', '')}, {r['final']:+.2f}")
    elif rule is not None:
        verb = "扣" if rule.kind == "deduction" else "加"
        if rule.range:
            zh.append(f"「{rule.name}」酌情{verb} {r['unit_amount']:g} 分 × {r['count']:g}{rule.unit} = {r['base']:.2f}")
            en.append(f"'{rule.label_en or rule.name}' {r['unit_amount']:g} chosen in {rule.range[0]:g}–{rule.range[1]:g} × {r['count']:g} = {r['base']:.2f}")
        elif rule.threshold:
            t = rule.threshold
            zh.append(f"「{rule.name}」{t['upto']:g}{rule.unit}以内{verb}{t['amount']:g}分，超出每{rule.unit}{t['each_beyond']:g}分；"
                      f"{r['count']:g}{rule.unit} → {r['base']:.2f}")
            en.append(f"'{rule.label_en or rule.name}' up to {t['upto']:g}: {t['amount']:g}, then {t['each_beyond']:g} each; "
                      f"{r['count']:g} → {r['base']:.2f}")
        else:
            zh.append(f"「{rule.name}」每{rule.unit}{verb} {rule.amount:g} 分 × {r['count']:g} = {r['base']:.2f}")
            en.append(f"'{rule.label_en or rule.name}' {rule.amount:g} per {rule.unit} × {r['count']:g} = {r['base']:.2f}")
    if r["role_factor"] != 1:
        zh.append(f"角色系数 ×{r['role_factor']:g}")
        en.append(f"role factor ×{r['role_factor']:g}")
    if r["mitigation_factor"] != 1:
        code = r.get("mitigation_code")
        label = scheme.mitigation_codes.get(int(code), "") if code is not None and not pd.isna(code) else ""
        how = "免予扣分" if r["mitigation_factor"] == scheme.exempt_factor else "减轻扣分"
        auto = "（系统自动认定）" if r.get("mitigation_auto") else ""
        zh.append(f"减免依据{int(code) if code is not None and not pd.isna(code) else ''}「{label}」{how}{auto} ×{r['mitigation_factor']:g}")
        en.append(f"mitigation code {int(code) if code is not None and not pd.isna(code) else ''}"
                  f"{' (automatic)' if r.get('mitigation_auto') else ''} ×{r['mitigation_factor']:g}")
    if r["multiplier"] != 1:
        zh.append(f"{r['multipliers']}")
        en.append(f"multiplier ×{r['multiplier']:g}")
    if r.get("dedup") == "problem":
        zh.append(f"同一问题就高不就低，已按事件 {r['superseded_by']} 计扣，本条不重复扣分")
        en.append(f"same problem charged once at the higher standard (event {r['superseded_by']}); not charged again")
    elif r.get("dedup") == "matter":
        zh.append(f"同一事项以最高分统计（已按事件 {r['superseded_by']} 计），本条计 {r['after_dedup']:+.2f}")
        en.append(f"same matter counts at its highest (event {r['superseded_by']}); this line {r['after_dedup']:+.2f}")
    if r.get("rule_capped"):
        zh.append(f"超出本情形累计上限 {rule.cap:g} 分，本条计 {r['final']:+.2f}")
        en.append(f"rule cap {rule.cap:g} reached; this line {r['final']:+.2f}")
    if abs(contribution - r["final"]) > 1e-9:
        zh.append(f"已达指标分值上下限（扣完为止/封顶），本条实计 {contribution:+.2f}")
        en.append(f"indicator floor or cap reached; this line counts {contribution:+.2f}")
    return "；".join(zh), "; ".join(en)


def _unit_part(scored, unit: str) -> tuple:
    """One unit's events, what the pipeline made of them and its task-item lines, from a year already scored."""
    at = scored.units["unit"].tolist().index(unit)
    rows = np.flatnonzero(scored.events.unit == at)
    events = scored.events.subset(rows)
    events.unit = np.zeros(len(rows), dtype=np.int32)            # the only unit of its own grid
    events._ids = scored.events.ids_of(rows)                    # a small query for just these, the first time
    synthetic = scored.inputs.synthetic
    if not synthetic.empty:
        synthetic = synthetic[synthetic["unit"] == unit].reset_index(drop=True)
    return events, scored.amounts.part(rows), synthetic


def explain(con, org: str, year: int, unit: str, indicator: str | None = None,
            scheme: Scheme | None = None, scored=None) -> pd.DataFrame:
    """The lines behind one unit's score on one indicator or pool (or all of them).

    The first line of each target is its starting points; the sum of
    `contribution` over a target's lines is its score (for a pool, minus its
    deduction total or plus its bonus total).

    `scored` (the year's official YearScore, from the same data; not a what-if's) gives the unit's events and what the pipeline
    made of them, instead of reading and running them again: every step works within one unit, so
    the lines are the same either way (tests/test_trace.py checks every unit of the sample both ways).
    """
    if scored is not None:
        if scored.simulated or (scored.org, scored.year) != (org, year):
            raise ValueError("explain: `scored` must be the official result of the same organisation and year")
        scheme = scored.scheme
    scheme = scheme or load_scheme(con, org, year)
    units = scored.units if scored is not None else scoring.active_units(con, org, year)
    units = units[units["unit"] == unit]
    if units.empty:
        raise NotFound(f"{org} {year} 年度没有被考评单位「{unit}」", f"no unit '{unit}' evaluated in {org} {year}")
    indicators = scored.indicators if scored is not None else scoring.indicator_table(con, org, year)
    names = set(indicators["indicator"]) | {p.name for p in scheme.pools}
    if indicator is not None and indicator not in names:
        raise NotFound(f"{year} 年度没有指标或事件池「{indicator}」", f"no indicator or pool '{indicator}' in {year}")
    unit_names = [unit]
    if scored is not None:
        target_names = list(scored.inputs.targets)
        events, amounts, synthetic = _unit_part(scored, unit)
        direct = scored.inputs.direct
    else:
        target_names = scoring.target_frame(indicators, scheme)["target"].tolist()
        events, amounts = year_events(con, scheme, org, year, unit_names, target_names, unit=unit)
        synthetic = synthetic_lines(con, scheme, org, year, unit)
        direct = direct_scores(con, org, year)
    totals = cell_totals(events, amounts, synthetic, unit_names, target_names)
    grid = scoring.target_scores(unit_names, indicators, scheme, totals, direct)
    targets = grid.frame()
    amounts = event_lines(events, amounts, scheme, unit_names, target_names)
    if not synthetic.empty:
        amounts = pd.concat([amounts, synthetic], ignore_index=True)
    if indicator is not None:
        amounts = amounts[amounts["target"] == indicator]
        targets = targets[targets["target"] == indicator]
    meta = con.execute("SELECT event_id, status, evidence, description FROM events WHERE org = ? AND year = ? AND unit = ?",
                       [org, year, unit]).df().set_index("event_id").to_dict("index")
    uncounted = con.execute(
        "SELECT event_id, date, target, rule, source_level, count, status, evidence, description, revoked_reason FROM events "
        "WHERE org = ? AND year = ? AND unit = ? AND NOT list_contains(?, status) ORDER BY date, event_id",
        [org, year, unit, list(scheme.counted_statuses)]).df()
    by_target, uncounted_by_target = {}, {}           # each target's lines in date order, as records (one pass each)
    for r in amounts.sort_values(["date", "event_id"], kind="mergesort").to_dict("records"):
        by_target.setdefault(r["target"], []).append(r)
    for r in uncounted.to_dict("records"):
        uncounted_by_target.setdefault(r["target"], []).append(r)
    rows = []
    target_rows = targets.to_dict("records")
    for t in target_rows:
        lines = by_target.get(t["target"])
        if t["is_pool"]:
            rows.append(_start_line(t, 0.0, "事件池起点 0 分", "pool starts at 0"))
        else:
            base_text = {"full": ("满分起扣", "starts from full points"), "zero": ("从零累加", "accumulates from zero"),
                         "direct": ("数据采集单位评分", "score given by the data-collection unit"),
                         "provisional": ("尚未评分，暂按满分", "not yet scored; full points for now")}[t["base_source"]]
            rows.append(_start_line(t, t["base"], f"{base_text[0]}：{t['base']:.2f}（分值 {t['points']:g}）",
                                    f"{base_text[1]}: {t['base']:.2f} (points {t['points']:g})"))
        if lines:
            contrib = _contributions(np.array([r["final"] for r in lines], dtype=float), t)
            for r, c in zip(lines, contrib):
                rule = scheme.rule(r["rule"])
                zh, en = _note(r, rule, scheme, c)
                m = meta.get(r["event_id"])
                rows.append({"target": t["target"], "line": "event", "event_id": r["event_id"], "date": r["date"],
                             "rule": r["rule"], "source_level": r["source_level"], "count": r["count"],
                             "unit_amount": r["unit_amount"], "base": r["base"], "role_factor": r["role_factor"],
                             "mitigation_factor": r["mitigation_factor"], "multiplier": r["multiplier"],
                             "after_dedup": r["after_dedup"], "final": r["final"], "contribution": float(c) + 0.0,
                             "counted": True, "status": None if m is None else m["status"],
                             "evidence": None if m is None else m["evidence"],
                             "description": r.get("detail") if m is None else m["description"],
                             "note": zh, "note_en": en})
        for r in uncounted_by_target.get(t["target"], []):
            why = f"；撤销理由：{r['revoked_reason']}" if isinstance(r.get("revoked_reason"), str) else ""
            why_en = f"; revoked because: {r['revoked_reason']}" if isinstance(r.get("revoked_reason"), str) else ""
            rows.append({"target": t["target"], "line": "uncounted", "event_id": r["event_id"], "date": r["date"],
                         "rule": r["rule"], "source_level": r["source_level"], "count": r["count"],
                         "contribution": 0.0, "counted": False, "status": r["status"], "evidence": r["evidence"],
                         "description": r["description"], "note": f"状态为「{r['status']}」，不计分" + why,
                         "note_en": f"status '{r['status']}': not counted" + why_en})
    frame = pd.DataFrame(rows, columns=LINE_COLUMNS)
    frame.attrs["scores"] = {t["target"]: float(t["score"]) for t in target_rows}
    frame.attrs["pools"] = {t["target"]: t["pool_kind"] for t in target_rows if t["is_pool"]}
    return frame


def _start_line(t, base, zh, en) -> dict:
    return {"target": t["target"], "line": "start", "event_id": None, "date": None, "rule": None, "source_level": None,
            "count": None, "unit_amount": None, "base": base, "role_factor": None, "mitigation_factor": None,
            "multiplier": None, "after_dedup": None, "final": None, "contribution": float(base), "counted": True,
            "status": None, "evidence": None, "description": None, "note": zh, "note_en": en}


def summary(trace: pd.DataFrame) -> pd.DataFrame:
    """Per target: the sum of contributions and the score it must equal."""
    sums = trace.groupby("target", sort=False)["contribution"].sum()
    rows = []
    for target, total in sums.items():
        score = trace.attrs["scores"][target]
        kind = trace.attrs["pools"].get(target)
        expected = score if kind is None else (-score if kind == "deduction" else score)
        rows.append({"target": target, "sum": round(float(total), 6), "score": score,
                     "reconciles": abs(total - expected) < 1e-6})
    return pd.DataFrame(rows)
