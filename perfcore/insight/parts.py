"""A unit's composite as lines that add up to it: the common ground of every analysis here.

    parts = composite_parts(year, "区委办")       # one row per starting score, record, limit, evaluation …
    parts["exact"].sum() == composite (before its rounding; the rounding is a line of its own)

Every line is in composite points: what it adds to (or takes from) the unit's composite under
the year's scheme, its weights and its scaling (A11). The lines come from the scored year itself
(the grid, the pipeline's amount of each record), never from a second computation:

    start       an indicator's starting score: its full points (扣分制), zero (累加制), the score the
                data-collection unit gave (直接评分), or full points while it is not yet given
    record      one counted record (or a task item's completion line): its amount after every step
                of the pipeline (mitigation, multipliers, de-duplication, rule caps), weighted
    limit       what an indicator's floor or ceiling (扣完为止, 不超过分值) or a pool's cap took off
    evaluation  an evaluation component (公众评议 …), weighted and scaled
    cap         what a component's own cap took off
    rounding    the composite's rounding to the scheme's decimals (A5), less than half a cent

`in_cents` shares a total out over lines in whole cents, so lines shown with two decimals add up
to a composite difference exactly.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine import events as events_mod
from ..engine import trace
from ..engine.results import YearScore
from ..engine.scoring import evaluation_sums, round_half_up
from ..errors import NotFound, PerfcoreError

def label(zh: str, en: str, lang: str) -> str:
    """A scheme-given label in a language (English falls back to Chinese)."""
    return en if lang == "en" and en else zh


COLUMNS = ["key", "component", "component_label", "component_label_en", "indicator", "kind", "event_id", "date", "rule",
           "raw", "factor", "exact", "note", "note_en"]
KIND_ORDER = {"scheme": 0, "start": 1, "record": 2, "limit": 3, "evaluation": 4, "rescale": 5, "cap": 6, "rounding": 7}


def unit_row(year: YearScore, unit: str) -> int:
    """The unit's row in the year's grid (NotFound if it was not evaluated that year)."""
    at = np.flatnonzero(year.grid.units == unit)
    if not len(at):
        raise NotFound(f"{year.org} {year.year} 年度没有被考评单位「{unit}」", f"no unit '{unit}' evaluated in {year.org} {year.year}")
    return int(at[0])


def component_factors(year: YearScore) -> dict:
    """Per component key: (target names it reads, their factor into the composite).

    An indicator's factor is weight × category weight × the component's scaling (scale_to over its
    full marks); a pool's is weight × its direction (a deduction pool's score is the size of its
    deductions, so a deduction record of −5 counts −5 × −1 × −1)."""
    grid, scheme = year.grid, year.scheme
    targets = grid.targets
    names = targets["target"].to_numpy()
    is_indicator = ~targets["is_pool"].to_numpy(dtype=bool)
    points = targets["points"].to_numpy(dtype=float)
    out = {}
    for comp in scheme.components:
        if comp.source == "indicators":
            sel = is_indicator.copy()
            if comp.categories:
                sel &= targets["category"].isin(comp.categories).to_numpy()
            weights = targets["category"].map(comp.category_weights).fillna(1.0).to_numpy(dtype=float) \
                if comp.category_weights else np.ones(len(sel))
            scale = 1.0
            if comp.scale_to is not None:
                full = float((points * weights)[sel].sum())
                scale = comp.scale_to / full if full else 0.0
            out[comp.key] = (names[sel], comp.weight * weights[sel] * scale)
        elif comp.source == "pool":
            pool = scheme.pool(comp.name)
            direction = -1.0 if pool is not None and pool.kind == "deduction" else 1.0
            at = names == comp.name
            out[comp.key] = (names[at], np.full(int(at.sum()), comp.weight * direction))
        else:
            scale = comp.scale_to / comp.full if comp.scale_to is not None and comp.full else 1.0
            out[comp.key] = ((), np.array([comp.weight * scale]))
    return out


def exact_composite(components: pd.DataFrame, scheme) -> np.ndarray:
    """Every row's composite before its rounding, summed as scoring.composite sums it (same order, same bits)."""
    total = np.zeros(len(components))
    for comp in scheme.components:
        total = total + comp.weight * components[comp.key].to_numpy(dtype=float)
    return total


def _record_lines(year: YearScore, row: int) -> pd.DataFrame:
    """The unit's counted records and task-item lines, with every pipeline step (events.COLUMNS)."""
    inputs = year.inputs
    if inputs is None or year.amounts is None:
        raise PerfcoreError("该年度结果不含记录明细，无法分析 / this year's result carries no records to analyse")
    mask = inputs.events.unit == row
    frame = events_mod.lines(inputs.events, year.amounts, year.scheme, year.grid.units, inputs.targets, mask=mask)
    synthetic = inputs.synthetic
    if synthetic is not None and not synthetic.empty:
        own = synthetic[synthetic["unit"] == year.grid.units[row]]
        if not own.empty:
            frame = pd.concat([frame, own], ignore_index=True)
    return frame


def _record_note(r: dict, rule) -> tuple[str, str]:
    """What the pipeline did to one record, in a few words."""
    name = r["rule"]
    name_en = (rule.label_en or name) if rule is not None else name
    zh = [f"「{name}」"]
    en = [f"'{name_en}'"]
    if r.get("synthetic"):
        zh.append(str(r.get("detail") or ""))
        en.append(str(r.get("detail_en") or r.get("detail") or ""))
    else:
        count = r.get("count")
        if count is not None and count == count and count != 1:
            zh.append(f"{count:g}{rule.unit if rule is not None else '次'}")
            en.append(f"× {count:g}")
    if r.get("mitigation_factor", 1) not in (1, None) and r.get("mitigation_factor") == r.get("mitigation_factor"):
        zh.append(f"减免 ×{r['mitigation_factor']:g}")
        en.append(f"mitigation ×{r['mitigation_factor']:g}")
    if r.get("multiplier", 1) not in (1, None) and r.get("multiplier") == r.get("multiplier"):
        zh.append(f"倍数 ×{r['multiplier']:g}")
        en.append(f"multiplier ×{r['multiplier']:g}")
    if r.get("dedup") == "problem":
        zh.append(f"同一问题就高不就低，已按 {r['superseded_by']} 计扣")
        en.append(f"same problem charged once (as {r['superseded_by']})")
    elif r.get("dedup") == "matter":
        zh.append(f"同一事项以最高分统计（按 {r['superseded_by']}）")
        en.append(f"same matter counted at its highest ({r['superseded_by']})")
    if r.get("rule_capped"):
        zh.append("已达本情形累计上限")
        en.append("the rule's own cap reached")
    final = float(r["final"]) + 0.0          # never "-0.00"
    zh.append(f"计 {final:+.2f} 分")
    en.append(f"counts {final:+.2f}")
    return "，".join(x for x in zh if x), ", ".join(x for x in en if x)


def _limit_note(target: dict, gap: float, pool_cap) -> tuple[str, str]:
    name = target["target"]
    if target["is_pool"]:
        if gap < 0:
            return (f"「{name}」达到上限 {pool_cap:g} 分，超出部分不计", f"'{name}' capped at {pool_cap:g}; the rest does not count")
        return (f"「{name}」不低于 0 分", f"'{name}' cannot go below 0")
    if gap > 0:
        return (f"「{name}」扣完为止：原始 {target['raw']:.2f}，按 0 分计", f"'{name}' stops at 0 (raw {target['raw']:.2f})")
    return (f"「{name}」不超过分值 {target['points']:g}：原始 {target['raw']:.2f}", f"'{name}' cannot exceed its "
            f"{target['points']:g} points (raw {target['raw']:.2f})")


def _trimmed(records: list, target: dict, zh: str, en: str) -> tuple[str, str]:
    """The limit's note with the records it trims, as the trace says (the latest first: trace.contributions)."""
    if not records:
        return zh, en
    frame = pd.DataFrame(records)
    counted = trace.contributions(frame, target)
    cut = [(r["event_id"], c - float(r["final"])) for r, c in zip(records, counted) if abs(c - float(r["final"])) > 1e-9]
    if not cut:
        return zh, en
    return (zh + "（" + "、".join(f"{e} {v:+.2f}" for e, v in cut) + "）",
            en + " (" + ", ".join(f"{e} {v:+.2f}" for e, v in cut) + ")")


START_WORDS = {"full": ("满分起扣", "starts from full points"), "zero": ("从零累加", "accumulates from zero"),
               "direct": ("数据采集单位评分", "score given by the data-collection unit"),
               "provisional": ("尚未评分，暂按满分", "not yet scored; full points for now")}


def composite_parts(year: YearScore, unit: str) -> pd.DataFrame:
    """The lines that add up to one unit's composite (see the module's docstring), in composite points.

    `exact` sums to the composite exactly (the last line is the rounding); `raw` is the line in the
    indicator's or pool's own points, `factor` what one such point is worth in the composite."""
    row = unit_row(year, unit)
    grid, scheme = year.grid, year.scheme
    factors = component_factors(year)
    targets = grid.targets.to_dict("records")
    position = {t["target"]: j for j, t in enumerate(targets)}
    records = _record_lines(year, row)
    by_target: dict = {}
    for r in records.sort_values(["date", "event_id"], kind="mergesort").to_dict("records"):
        by_target.setdefault(r["target"], []).append(r)
    comp_values = year.components.set_index("unit").loc[unit]
    sums = evaluation_sums([unit], year.evaluations) if year.evaluations is not None else {}
    rows = []

    def add(comp, kind, indicator=None, event_id=None, date=None, rule=None, raw=0.0, factor=1.0, exact=None,
            note="", note_en=""):
        key = f"{comp.key}|{indicator or ''}|{kind}|{event_id or ''}"
        rows.append({"key": key, "component": comp.key, "component_label": comp.label,
                     "component_label_en": label(comp.label, comp.label_en, "en"), "indicator": indicator, "kind": kind,
                     "event_id": event_id, "date": date, "rule": rule, "raw": float(raw), "factor": float(factor),
                     "exact": float(raw * factor if exact is None else exact), "note": note, "note_en": note_en})

    for comp in scheme.components:
        names, weights = factors[comp.key]
        before = len(rows)
        if comp.source == "evaluation":
            value = float(comp_values[comp.key])
            raw = sums.get(comp.name, np.full(1, np.nan))[0]
            given = raw == raw
            shown = float(raw) if given else 0.0
            missing = "" if given else ("（无）" if comp.optional else "（尚未评议，按 0 分计）")
            missing_en = "" if given else (" (none)" if comp.optional else " (not held yet: 0)")
            add(comp, "evaluation", raw=shown, factor=weights[0], note=f"{comp.label} {shown:.2f}{missing}",
                note_en=f"{label(comp.label, comp.label_en, 'en')} {shown:.2f}{missing_en}")
            capped = comp.weight * value
        else:
            for name, factor in zip(names, weights):
                j = position[name]
                t = {**targets[j], "raw": float(grid.raw[row, j]), "score": float(grid.score[row, j]),
                     "base": float(grid.base[row, j])}
                if not t["is_pool"]:
                    source = ["full", "zero", "direct", "provisional", "pool"][int(grid.base_source[row, j])]
                    words = START_WORDS[source]
                    add(comp, "start", name, raw=t["base"], factor=factor,
                        note=f"{name}：{words[0]} {t['base']:.2f}（分值 {t['points']:g}）",
                        note_en=f"{name}: {words[1]} {t['base']:.2f} (points {t['points']:g})")
                direction = -1.0 if t["pool_kind"] == "deduction" else 1.0
                for r in by_target.get(name, ()):
                    zh, en = _record_note(r, scheme.rule(r["rule"]))
                    # a record's effect on the pool's size is its amount × direction; factor carries the direction
                    add(comp, "record", name, r["event_id"], r["date"], r["rule"], raw=float(r["final"]),
                        factor=factor, note=zh, note_en=en)
                size_raw = t["raw"]
                gap = t["score"] - size_raw
                if abs(gap) > 1e-12:
                    pool_cap = scheme.pool(name).cap if t["is_pool"] and scheme.pool(name) is not None else None
                    zh, en = _limit_note(t, gap, pool_cap)
                    zh, en = _trimmed(by_target.get(name, []), t, zh, en)
                    # in a pool the limit moves its size; in the composite that is × weight (factor / direction)
                    add(comp, "limit", name, raw=gap * (direction if t["is_pool"] else 1.0), factor=factor, note=zh, note_en=en)
            capped = comp.weight * float(comp_values[comp.key])
        uncapped = sum(r["exact"] for r in rows[before:])
        if comp.cap is not None and abs(capped - uncapped) > 1e-9:
            add(comp, "cap", raw=capped - uncapped, factor=1.0,
                note=f"{comp.label}不超过 {comp.cap:g} 分", note_en=f"{label(comp.label, comp.label_en, 'en')} capped at {comp.cap:g}")
    composite = float(year.results.set_index("unit").loc[unit, "composite"])
    summed = sum(r["exact"] for r in rows)
    rounding = composite - summed
    if abs(rounding) > 0.5 * 10.0 ** -scheme.decimals + 1e-6:     # the lines must rebuild the composite: never hide a gap
        raise PerfcoreError(f"「{unit}」的明细合计 {summed:.6f} 与综合得分 {composite:.2f} 不符 / the lines of '{unit}' add up to "
                            f"{summed:.6f}, not its composite {composite:.2f}")
    rows.append({"key": "||rounding|", "component": None, "component_label": "四舍五入", "component_label_en": "Rounding",
                 "indicator": None, "kind": "rounding", "event_id": None, "date": None, "rule": None, "raw": rounding,
                 "factor": 1.0, "exact": rounding, "note": f"综合得分保留 {scheme.decimals} 位小数",
                 "note_en": f"the composite is rounded to {scheme.decimals} decimals"})
    return pd.DataFrame(rows, columns=COLUMNS)


def in_cents(exact, total: float, decimals: int = 2) -> np.ndarray:
    """Lines rounded to the scheme's decimals so that they add up to `total` exactly (largest remainder).

    `exact` must add up to `total` (within float noise): each line gets its whole cents, and the
    cents left over go to the lines with the largest fractions."""
    exact = np.asarray(exact, dtype=float)
    scale = 10 ** decimals
    target = int(round(total * scale))
    scaled = np.round(exact * scale, 6)
    base = np.floor(scaled)
    left = target - int(base.sum())
    fraction = scaled - base
    if left > 0:
        base[np.argsort(-fraction, kind="stable")[:left]] += 1
    elif left < 0:
        base[np.argsort(fraction, kind="stable")[:-left]] -= 1
    return base / scale + 0.0


def rounded(value: float, decimals: int = 2) -> float:
    return float(round_half_up(value, decimals))
