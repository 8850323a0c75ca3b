"""Why a unit's composite and rank changed since an earlier year (变化归因).

    result = change(scores, 2025, "区委办")            # against 2024
    result.lines["contribution"].sum() == result.composite_to - result.composite_from   (to the cent)

The difference is taken in two steps, each exact:

1. The scheme. This year's records are scored again under the earlier year's scheme and indicator
   points (Scores.under). What that moves is the scheme's effect, in up to three lines taken one
   after another: indicator points, then the rules (pools, amounts, multipliers, de-duplication …),
   then the weights. With the same scheme and points there is no such line.
2. The records, under one scheme. This year's composite lines (scored under the earlier scheme)
   minus the earlier year's (parts.composite_parts, lines.difference): starting scores, every record
   (this year's new, last year's gone), floors and caps that took effect, evaluations, rescaling and
   the rounding.

The rank change is explained by who overtook the unit and whom it overtook (and units that
joined or left above it) in the ranking its movement is published on (the series, or overall):
rank change = overtaken + left − overtook − joined, exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import NotFound
from ..engine.results import YearScore, nan_to_none
from ..names import sort_names
from . import lines as lines_mod
from .parts import composite_parts, in_cents, unit_row
from .scores import Scores, same_scoring

WORDS = {"to": ("本年", "this year"), "from": ("上年", "last year")}


@dataclass
class Change:
    org: str
    unit: str
    year: int
    from_year: int
    composite_to: float
    composite_from: float | None          # None: the unit was not evaluated in the earlier year
    lines: pd.DataFrame                   # lines.COLUMNS; `contribution` adds up to the difference exactly
    rank: dict = field(default_factory=dict)
    overtakes: pd.DataFrame = field(default_factory=pd.DataFrame)
    scheme_changed: bool = False
    decimals: int = 2

    @property
    def difference(self) -> float:
        return round((self.composite_to - (self.composite_from or 0.0)), self.decimals)

    def to_dict(self) -> dict:
        """As `change --format json` prints it."""
        return {"org": self.org, "unit": self.unit, "year": self.year, "from_year": self.from_year,
                "composite_from": self.composite_from, "composite_to": self.composite_to, "difference": self.difference,
                "scheme_changed": self.scheme_changed, "rank": {k: nan_to_none(v) for k, v in self.rank.items()},
                "lines": records(self.lines), "overtakes": records(self.overtakes)}


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame as JSON-ready records (dates as ISO text, NaN as null)."""
    out = []
    for r in frame.to_dict("records"):
        row = {}
        for k, v in r.items():
            if isinstance(v, pd.Timestamp):
                v = None if pd.isna(v) else v.strftime("%Y-%m-%d")
            elif v is pd.NaT:
                v = None
            row[k] = nan_to_none(v)
        out.append(row)
    return out


def indicator_order(*years: YearScore) -> dict:
    """Each indicator's position: the first year's table order, then any the others add."""
    names = []
    for y in years:
        names += [t for t in y.grid.targets["target"] if t not in names]
    return {t: i for i, t in enumerate(names)}


def change(scores: Scores, year: int, unit: str, from_year: int | None = None) -> Change:
    """Why `unit`'s composite changed from `from_year` (default: the year before) to `year`."""
    from_year = year - 1 if from_year is None else from_year
    current = scores.year(year)
    unit_row(current, unit)
    if not scores.has(from_year):
        raise NotFound(f"{scores.org} 没有 {from_year} 年度的考评结果", f"{scores.org} has no results for {from_year}")
    if from_year >= year:
        raise NotFound(f"比较年度 {from_year} 应早于 {year}", f"the earlier year {from_year} must come before {year}")
    previous = scores.year(from_year)
    decimals = current.scheme.decimals
    composite_to = _composite(current, unit)
    if unit not in set(previous.grid.units):
        lines = _new_unit_lines(current, unit)
        return Change(scores.org, unit, year, from_year, composite_to, None, lines, _rank(current, previous, unit),
                      pd.DataFrame(columns=OVERTAKE_COLUMNS), False, decimals)
    composite_from = _composite(previous, unit)
    scheme_lines, base = _scheme_steps(scores, current, previous, unit)
    base_composite = _composite(base, unit)
    data = lines_mod.difference(composite_parts(base, unit), composite_parts(previous, unit),
                                round(base_composite - composite_from, decimals), decimals, WORDS,
                                indicator_order(current, previous))
    lines = pd.DataFrame(scheme_lines.to_dict("records") + data.to_dict("records"), columns=lines_mod.COLUMNS) \
        if len(scheme_lines) else data
    return Change(scores.org, unit, year, from_year, composite_to, composite_from, lines[lines_mod.COLUMNS],
                  _rank(current, previous, unit), overtakes(current, previous, unit), len(scheme_lines) > 0, decimals)


def _composite(year: YearScore, unit: str) -> float:
    return float(year.results.loc[year.results["unit"] == unit, "composite"].iloc[0])


def _scheme_steps(scores: Scores, current: YearScore, previous: YearScore, unit: str) -> tuple[pd.DataFrame, YearScore]:
    """The scheme's effect as lines (points, rules, weights, one after another), and this year's data
    scored under the earlier scheme and points (the base the records are compared on)."""
    now = current.indicators.set_index("indicator")["points"]
    before = previous.indicators.set_index("indicator")["points"]
    common = now.index.intersection(before.index)
    points = {i: float(before[i]) for i in common if abs(float(before[i]) - float(now[i])) > 1e-9}
    if same_scoring(current.scheme, previous.scheme) and not points:
        return pd.DataFrame(columns=lines_mod.COLUMNS), current
    steps = []                                # (label zh, label en, scored year)
    old = previous.scheme
    base = scores.under(current.year, old, points)
    if points:
        steps.append(("指标分值调整", "indicator points changed", scores.under(current.year, old)))
    same_keys = [c.key for c in old.components] == [c.key for c in current.scheme.components]
    if not same_scoring(current.scheme, old):
        if same_keys:
            weights = {c.key: c.weight for c in old.components}
            rules_only = current.scheme.with_weights(weights)
            if not same_scoring(rules_only, old):
                steps.append(("计分规则调整", "scoring rules changed", scores.under(current.year, rules_only)))
            if not same_scoring(rules_only, current.scheme):
                steps.append(("权重调整", "weights changed", current))
        else:
            steps.append(("考评方案调整", "scheme changed", current))
    if not steps or steps[-1][2] is not current:
        steps.append(("考评方案调整", "scheme changed", current))
    rows, last = [], _composite(base, unit)
    for zh, en, scored in steps:
        value = _composite(scored, unit)
        delta = round(value - last, current.scheme.decimals)
        if delta != 0:
            rows.append({"component": None, "component_label": "考评方案", "component_label_en": "Scheme", "indicator": None,
                         "kind": "scheme", "state": "changed", "side": "both", "event_id": None, "date": None, "rule": None,
                         "contribution": delta, "exact": delta,
                         "note": f"{zh}：按{previous.year}年度方案计 {last:.2f}，调整后 {value:.2f}",
                         "note_en": f"{en}: {last:.2f} under the {previous.year} scheme, {value:.2f} after"})
        last = value
    return pd.DataFrame(rows, columns=lines_mod.COLUMNS), base


def _new_unit_lines(current: YearScore, unit: str) -> pd.DataFrame:
    """A unit new this year: its composite from nothing, every line new."""
    parts = composite_parts(current, unit)
    frame = pd.DataFrame({c: parts[c] for c in ("component", "component_label", "component_label_en", "indicator", "kind",
                                                 "event_id", "date", "rule", "exact")})
    frame["state"], frame["side"] = "new", "to"
    frame["note"] = "新参评单位：" + parts["note"]
    frame["note_en"] = "new unit: " + parts["note_en"]
    frame["contribution"] = in_cents(frame["exact"].to_numpy(), _composite(current, unit), current.scheme.decimals)
    frame = frame[(frame["kind"] != "rounding") | (frame["contribution"] != 0)]
    return frame[lines_mod.COLUMNS].reset_index(drop=True)


def _basis(year: YearScore) -> str:
    return "series" if year.scheme.movement == "series" else "overall"


def _rank(current: YearScore, previous: YearScore, unit: str) -> dict:
    """The unit's rank in both years on the basis its movement is published on, and its grades."""
    series = _basis(current) == "series"
    before = _prev_rank(current, previous, unit, series)
    after = int(current.results.set_index("unit").loc[unit, "series_rank" if series else "rank"])
    return {"basis": _basis(current), "rank_from": before, "rank_to": after,
            "change": None if before is None else before - after,
            "grade_from": _grade(previous, unit), "grade_to": _grade(current, unit)}


def _prev_rank(current, previous, unit, series):
    p = previous.results.set_index("unit")
    if unit not in p.index:
        return None
    if series and p.loc[unit, "series"] != current.results.set_index("unit").loc[unit, "series"]:
        return None
    return int(p.loc[unit, "series_rank" if series else "rank"])


def _grade(year: YearScore, unit: str):
    at = year.results["unit"] == unit
    return year.results.loc[at, "grade"].iloc[0] if at.any() else None


OVERTAKE_COLUMNS = ["unit", "relation", "composite_from", "composite_to", "their_change", "own_change", "gap_from", "gap_to"]
RELATIONS = {"overtook": ("超过了本单位", "overtook this unit"), "overtaken": ("被本单位超过", "overtaken by this unit"),
             "joined": ("新进入本单位之前", "joined above"), "left": ("原在本单位之前，今年不在", "left from above")}


def overtakes(current: YearScore, previous: YearScore, unit: str) -> pd.DataFrame:
    """Who overtook the unit, whom it overtook, who joined or left above it, and by how much.

    Ranks are competition ranks (R25): a unit is above another when its composite is higher. In the
    ranking the movement is published on (scheme `movement`: the series, or overall), the rank change
    is |overtaken| + |left| − |overtook| − |joined| exactly. `gap_*` is the other unit's composite
    minus this unit's in each year."""
    series = _basis(current) == "series"
    now = current.results.set_index("unit")
    before = previous.results.set_index("unit")
    own_now, own_before = float(now.loc[unit, "composite"]), float(before.loc[unit, "composite"])
    if series and before.loc[unit, "series"] != now.loc[unit, "series"]:
        return pd.DataFrame(columns=OVERTAKE_COLUMNS)
    pool_now = now[now["series"] == now.loc[unit, "series"]] if series else now
    pool_before = before[before["series"] == before.loc[unit, "series"]] if series else before
    above_now = set(pool_now.index[pool_now["composite"] > own_now])
    above_before = set(pool_before.index[pool_before["composite"] > own_before])
    rows = []
    for other in sort_names((above_now ^ above_before) - {unit}):
        in_now, in_before = other in pool_now.index, other in pool_before.index
        if other in above_now:
            relation = "overtook" if in_before else "joined"
        else:
            relation = "overtaken" if in_now else "left"
        c_to = float(now.loc[other, "composite"]) if other in now.index else None
        c_from = float(before.loc[other, "composite"]) if other in before.index else None
        rows.append({"unit": other, "relation": relation, "composite_from": c_from, "composite_to": c_to,
                     "their_change": None if c_to is None or c_from is None else round(c_to - c_from, current.scheme.decimals),
                     "own_change": round(own_now - own_before, current.scheme.decimals),
                     "gap_from": None if c_from is None else round(c_from - own_before, current.scheme.decimals),
                     "gap_to": None if c_to is None else round(c_to - own_now, current.scheme.decimals)})
    frame = pd.DataFrame(rows, columns=OVERTAKE_COLUMNS)
    order = {"overtook": 0, "joined": 1, "overtaken": 2, "left": 3}
    if len(frame):
        frame = frame.assign(_o=frame["relation"].map(order)).sort_values("_o", kind="mergesort").drop(columns="_o")
    return frame.reset_index(drop=True)


def rank_words(result: Change, lang: str = "zh") -> str:
    """The rank change in one sentence: 下降3位：被甲、乙超过，超过了丙。"""
    r = result.rank
    if r.get("rank_from") is None:
        return "新参评（上年无名次）" if lang == "zh" else "new (no rank last year)"
    o = result.overtakes
    names = {k: list(o.loc[o["relation"] == k, "unit"]) for k in RELATIONS}
    change = r["change"]
    head = (f"上升{change}位" if change > 0 else f"下降{-change}位" if change < 0 else "名次不变") if lang == "zh" else \
        (f"up {change}" if change > 0 else f"down {-change}" if change < 0 else "rank unchanged")
    parts = []
    for key in ("overtook", "joined", "overtaken", "left"):
        if names[key]:
            who = ("、" if lang == "zh" else ", ").join(names[key])
            parts.append(f"{who}{RELATIONS[key][0]}" if lang == "zh" else f"{who} {RELATIONS[key][1]}")
    basis = ("系列" if lang == "zh" else "series ") if r["basis"] == "series" else ""
    if lang == "zh":
        return f"{basis}名次 {r['rank_from']} → {r['rank_to']}，{head}" + ("：" + "；".join(parts) if parts else "") + "。"
    return f"{basis}rank {r['rank_from']} → {r['rank_to']}, {head}" + (": " + "; ".join(parts) if parts else "") + "."


def check_rank_identity(result: Change) -> bool:
    """rank change = overtaken + left − overtook − joined (the explanation accounts for every place)."""
    if result.rank.get("change") is None:
        return True
    counts = result.overtakes["relation"].value_counts()
    return result.rank["change"] == int(counts.get("overtaken", 0) + counts.get("left", 0) - counts.get("overtook", 0)
                                        - counts.get("joined", 0))


