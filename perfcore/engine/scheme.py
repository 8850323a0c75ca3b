"""The evaluation scheme (考评方案): one declarative TOML file per organisation and year.

A scheme says how a year is scored: its components and weights, the pools of
events outside the indicator tree, the deduction and bonus rules, multipliers,
mitigation codes, de-duplication, grading and consequences. The indicator tree
itself comes from the office's indicator table (指标任务分解表). The format is
documented in docs/scheme.md; every key is checked here and an unknown key is
an error, so a typo never silently changes a score.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import Collector, InputError, Problem
from ..vocab import DEFAULT_COUNTED, MAX_BONUS_SHARE, PEOPLE, SOURCE_LEVELS, STATUSES

MODES = {  # the office's words for an indicator's scoring mode
    "扣分制": "deduct_from_full", "deduct_from_full": "deduct_from_full",
    "累加制": "cumulative", "cumulative": "cumulative",
    "直接评分": "direct", "direct": "direct", "主观评分": "direct", "subjective": "direct",
    "排名计分": "direct", "rank_based": "direct",
}
KINDS = {"扣分": "deduction", "deduction": "deduction", "加分": "bonus", "bonus": "bonus"}


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    label_en: str
    source: str                 # indicators | evaluation | pool
    weight: float = 1.0
    name: str | None = None     # evaluation kind or pool name
    categories: tuple = ()      # indicators: restrict to these top-level categories
    category_weights: dict = field(default_factory=dict)
    full: float | None = None   # full marks of the source, for scaling
    scale_to: float | None = None
    cap: float | None = None
    optional: bool = False      # evaluation: absent means 0, not "not yet scored"


@dataclass(frozen=True)
class Pool:
    name: str
    kind: str                   # deduction | bonus
    cap: float | None = None
    label_en: str = ""
    exempt_if_indicator_deducted: bool = False  # R14 item 9, checked automatically


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str                   # deduction | bonus
    amount: float | None = None  # fixed amount per count
    range: tuple | None = None   # amount entered per event within [lo, hi]
    threshold: dict | None = None  # {upto, amount, each_beyond, mode}
    unit: str = "次"
    cap: float | None = None     # per unit and year, for this rule
    veto: bool = False
    targets: tuple = ()          # indicators or pools it may be charged to (empty: any)
    label_en: str = ""
    evidence_required: bool = False   # R29 (E1): 无表彰文件佐证的，暂未实施加分

    def sign(self) -> int:
        return -1 if self.kind == "deduction" else 1


@dataclass(frozen=True)
class Multiplier:
    name: str
    factor: float
    source_level: tuple = ()
    aggravation: tuple = ()
    accountable: bool | None = None
    targets: tuple = ()
    instruction_level: tuple = ()   # E3: applies to events whose 批示层级 is one of these


@dataclass(frozen=True)
class Tier:
    min: float | None
    inclusive: bool
    points: float


@dataclass(frozen=True)
class IndicatorRule:
    indicator: str
    ratio_tiers: str | None = None
    count_bonus_per_item: float | None = None
    count_average: str = "floor"   # A7: N - floor(avg); "exact": floor(N - avg)
    # R30, the progress score: this year's 完成值 against the item's 上年完成值
    change_tiers: str | None = None      # points per item by a tier table on the change
    change_measure: str = "relative"     # relative: (完成值 − 上年)/上年; absolute: 完成值 − 上年
    completion_share: float | None = None   # share of the points for completion, × min(完成值/目标值, 1)
    improvement_share: float | None = None  # share of the points for improvement, × min(change / improvement_full, 1)
    improvement_full: float | None = None   # the change that earns the whole improvement share

    @property
    def shares(self) -> bool:
        return self.completion_share is not None or self.improvement_share is not None


@dataclass(frozen=True)
class RankRule:
    """R21b: points from a unit's place in an outside ranking (外部排名), 1st … and last …"""
    ranking: str
    target: str
    top: tuple = ()        # points for 1st, 2nd, …
    bottom: tuple = ()     # points for the last, second-last, …
    label_en: str = ""

    def points(self, position: int, ranked: int | None) -> float:
        """Points for a place; a place in `top` takes the top points, else one counted from the end."""
        if 1 <= position <= len(self.top):
            return self.top[position - 1]
        if ranked is not None and 0 <= ranked - position < len(self.bottom):
            return self.bottom[ranked - position]
        return 0.0


@dataclass(frozen=True)
class Reward:
    """R28: the base award a grade's factor multiplies; by series, else by level, else `base`."""
    name: str = "奖金"
    label_en: str = "Reward"
    unit: str = "元"
    base: float | None = None
    by_series: dict = field(default_factory=dict)
    by_level: dict = field(default_factory=dict)

    def base_for(self, series, level) -> float | None:
        if series in self.by_series:
            return self.by_series[series]
        if level in self.by_level:
            return self.by_level[level]
        return self.base


@dataclass(frozen=True)
class Grade:
    name: str
    label_en: str
    min: float | None = None
    max: float | None = None
    share: float | None = None
    reward: float | None = None


@dataclass(frozen=True)
class Consequence:
    name: str
    label_en: str
    grade: str | None = None
    veto: bool | None = None
    lowest: bool | None = None
    below: float | None = None
    years: int = 1
    exhausted: tuple = ()          # E2: one of these indicators' points used up (扣完)
    exhausted_any: bool | None = None   # E2: any indicator's points used up
    people: tuple = ()             # R22/R27: the people it names (主要领导, 分管领导, 当事人)


@dataclass(frozen=True)
class Scheme:
    org: str
    year: int
    title: str
    issuer: str
    document_no: str
    scale: float
    decimals: int
    counted_statuses: tuple
    indicator_total: float
    default_mode: str
    components: tuple
    pools: tuple
    rules: tuple
    roles: dict
    multipliers: tuple
    multiplier_combine: str
    mitigation_codes: dict
    exempt_factor: float
    reduce_factor: float
    auto_exempt_code: int | None
    problem_dedup: str
    matter_dedup: str
    diminishing: tuple
    tier_tables: dict
    indicator_rules: tuple
    grading_mode: str
    grading_pool: str
    quota_rounding: str
    absorb: str | None
    tie_break: tuple
    grades: tuple
    movement: str
    consequences: tuple
    provisional: tuple = ()      # A1: values restored by hand, to confirm
    self_assessed: tuple = ()    # directly scored indicators the unit first assesses itself (自评, S3)
    reward: Reward | None = None  # R28: base award amounts
    rank_rules: tuple = ()       # R21b: points from outside rankings
    warnings: tuple = ()         # accepted, but worth a second look (e.g. full marks below the scale)
    text: str = ""

    # -- lookups -------------------------------------------------------
    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    def pool(self, name: str) -> Pool | None:
        return next((p for p in self.pools if p.name == name), None)

    def component(self, key: str) -> Component | None:
        return next((c for c in self.components if c.key == key), None)

    def indicator_rule(self, name: str) -> IndicatorRule | None:
        return next((r for r in self.indicator_rules if r.indicator == name), None)

    def rank_rule(self, ranking: str) -> RankRule | None:
        return next((r for r in self.rank_rules if r.ranking == ranking), None)

    def grade_names(self) -> list[str]:
        return [g.name for g in self.grades]

    def lowest_grade(self) -> str:
        return self.grades[-1].name

    # -- what-if -------------------------------------------------------
    def with_amounts(self, amounts: dict | None) -> "Scheme":
        """A copy in which the named rules charge or award a different fixed amount per count."""
        if not amounts:
            return self
        unknown = [name for name in amounts if self.rule(name) is None or self.rule(name).amount is None]
        if unknown:
            from ..errors import PerfcoreError
            raise PerfcoreError(f"没有这些固定分值的情形：{'、'.join(unknown)} / no fixed-amount rule named: {', '.join(unknown)}")
        return replace(self, rules=tuple(replace(r, amount=float(amounts[r.name])) if r.name in amounts else r
                                         for r in self.rules))

    def full_marks(self) -> tuple[float, float, bool]:
        """The composite's full marks under this scheme's weights: (base, bonuses on top, some part unbounded)."""
        return full_marks(self.indicator_total, self.components, self.pools)

    def with_weights(self, weights: dict | None = None, category_weights: dict | None = None) -> "Scheme":
        """A copy with changed component weights and/or category weights."""
        comps = []
        for c in self.components:
            w = (weights or {}).get(c.key, c.weight)
            cw = c.category_weights
            if c.source == "indicators" and category_weights:
                cw = {**c.category_weights, **category_weights}
            comps.append(replace(c, weight=float(w), category_weights=dict(cw)))
        return replace(self, components=tuple(comps))


_EXPECT = {"str": ("文字", "text"), "num": ("数字", "a number"), "int": ("整数", "a whole number"),
           "bool": ("true 或 false", "true or false"), "list": ("列表", "a list"), "dict": ("表", "a table")}


def _is(value, kind: str) -> bool:
    if kind == "num":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, {"str": str, "bool": bool, "list": list, "dict": dict}[kind])


class _Reader:
    """Typed access to a TOML table, recording problems with the key path.

    Numbers must be finite (TOML allows nan and inf; a score never is) and within the
    bounds given; lists are checked element by element. A value that fails is reported
    once and the default is used, so the rest of the file is still checked.
    """

    def __init__(self, problems: Collector, table: dict, path: str):
        self.p, self.t, self.path = problems, table if isinstance(table, dict) else {}, path
        self.used: set[str] = set()
        if not isinstance(table, dict):
            problems.add(None, path, table, "应为一个表（table）", "expected a table")

    def where(self, key) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _number_ok(self, where, value, low, high, above) -> bool:
        if not math.isfinite(value):
            self.p.add(None, where, value, "应为有限的数字（不能是 nan 或 inf）", "must be a finite number (not nan or inf)")
            return False
        if above is not None and not value > above:
            self.p.add(None, where, value, f"应大于 {above:g}", f"must be greater than {above:g}")
            return False
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"{low:g}–{high:g}" if low is not None and high is not None else (f"≥ {low:g}" if low is not None else f"≤ {high:g}")
            self.p.add(None, where, value, f"应在 {span} 之间" if low is not None and high is not None else f"应 {span}",
                       f"must be {span}")
            return False
        return True

    def get(self, key, kind, default=None, required=False, choices=None, low=None, high=None, above=None, of=None):
        """The value of `key`, checked: `kind` str|num|int|bool|list|dict; numbers within
        [low, high] (or strictly above `above`); list elements of kind `of`, within the
        same bounds or `choices`."""
        self.used.add(key)
        where = self.where(key)
        if key not in self.t:
            if required:
                self.p.add(None, where, None, "缺少必填项", "required key is missing")
            return default
        value = self.t[key]
        if not _is(value, kind):
            self.p.add(None, where, value, f"应为{_EXPECT[kind][0]}", f"expected {_EXPECT[kind][1]}")
            return default
        if kind in ("num", "int") and not self._number_ok(where, value, low, high, above):
            return default
        if kind == "list" and of is not None:
            for i, item in enumerate(value):
                at = f"{where}[{i + 1}]"
                if not _is(item, of):
                    self.p.add(None, at, item, f"应为{_EXPECT[of][0]}", f"expected {_EXPECT[of][1]}")
                    return default
                if of in ("num", "int") and not self._number_ok(at, item, low, high, above):
                    return default
                if choices is not None and item not in choices:
                    self.p.add(None, at, item, f"取值应为 {'、'.join(map(str, choices))} 之一",
                               f"expected one of {', '.join(map(str, choices))}")
                    return default
            return [float(x) for x in value] if of == "num" else value
        if choices is not None and kind != "list" and value not in choices:
            self.p.add(None, where, value, f"取值应为 {'、'.join(map(str, choices))} 之一",
                       f"expected one of {', '.join(map(str, choices))}")
            return default
        return float(value) if kind == "num" else value

    def done(self):
        for key in self.t:
            if key not in self.used:
                self.p.add(None, self.where(key), None, "未知的设置项（是否拼写有误？）", "unknown key (a typo?)")


def _items(p: Collector, doc: dict, key: str) -> list[tuple[str, dict]]:
    value = doc.get(key, [])
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        p.add(None, key, value, "应为表数组 [[...]]", "expected an array of tables [[...]]")
        return []
    return [(f"{key}[{i + 1}]", v) for i, v in enumerate(value)]


SECTIONS = ("scheme", "indicators", "component", "pool", "rule", "roles", "multiplier", "mitigation", "dedup",
            "tier_table", "indicator_rule", "rank_rule", "grading", "grade", "reward", "ranking", "consequence")


def parse(text: str, label: str, org: str | None = None, year: int | None = None) -> Scheme:
    """Parse and validate a scheme's TOML text. Raises InputError listing every problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(label, None, None, None, f"TOML 格式错误：{exc}", f"TOML syntax error: {exc}")])
    p = Collector(label)
    top = _Reader(p, doc, "")
    top.used.update(SECTIONS)
    top.done()
    head = _head(p, doc, org, year)
    indicator_total, default_mode, self_assessed = _indicator_settings(p, doc)
    components = _components(p, doc)
    pools = _pools(p, doc)
    rules = _rules(p, doc)
    roles = _roles(p, doc)
    multipliers = _multipliers(p, doc)
    mitigation = _mitigation(p, doc)
    dedup = _dedup(p, doc)
    tier_tables = _tier_tables(p, doc)
    indicator_rules = _indicator_rules(p, doc, tier_tables)
    rank_rules = _rank_rules(p, doc)
    grading = _grading(p, doc)
    grades = _grades(p, doc, grading)
    reward = _reward(p, doc, grades)
    movement = _ranking(p, doc)
    consequences = _consequences(p, doc, grades)
    _cross_references(p, components, pools, grading)
    warnings = _scale_check(p, head["scale"], indicator_total, components, pools) if not p.problems else ()
    p.check()
    return Scheme(indicator_total=indicator_total, default_mode=MODES[default_mode],
                  components=tuple(components), pools=tuple(pools), rules=tuple(rules), roles=roles,
                  multipliers=tuple(multipliers), tier_tables=tier_tables, indicator_rules=tuple(indicator_rules),
                  grades=tuple(grades), movement=movement, consequences=tuple(consequences), text=text,
                  reward=reward, rank_rules=tuple(rank_rules), self_assessed=self_assessed,
                  warnings=tuple(warnings), **head, **mitigation, **dedup, **grading)


def _head(p: Collector, doc: dict, org: str | None, year: int | None) -> dict:
    s = _Reader(p, doc.get("scheme", {}), "scheme")
    s_org = s.get("org", "str", org)
    s_year = s.get("year", "int", year, required=year is None, low=1990, high=2200)
    if org is not None and s_org != org:
        p.add(None, "scheme.org", s_org, f"与所在文件夹的组织「{org}」不一致", f"does not match the folder's organisation '{org}'")
    if year is not None and s_year != year:
        p.add(None, "scheme.year", s_year, f"与所在年度文件夹 {year} 不一致", f"does not match the year folder {year}")
    head = dict(
        org=s_org or "", year=s_year,
        title=s.get("title", "str", ""), issuer=s.get("issuer", "str", ""),
        document_no=s.get("document_no", "str", ""), scale=s.get("scale", "num", 100.0, above=0),
        decimals=s.get("decimals", "int", 2, low=0, high=6),
        counted_statuses=tuple(s.get("counted_statuses", "list", list(DEFAULT_COUNTED), of="str", choices=STATUSES)),
        multiplier_combine=s.get("multiplier_combine", "str", "multiply", choices=["multiply", "max"]),
        provisional=tuple(s.get("provisional", "list", [], of="str")),
    )
    s.done()
    return head


def _indicator_settings(p: Collector, doc: dict) -> tuple[float, str, tuple]:
    ind = _Reader(p, doc.get("indicators", {}), "indicators")
    total = ind.get("total", "num", 0.0, required=True, above=0)
    default_mode = ind.get("default_mode", "str", "扣分制", choices=list(MODES))
    self_assessed = tuple(ind.get("self_assessed", "list", [], of="str"))
    ind.done()
    return total, default_mode, self_assessed


def _components(p: Collector, doc: dict) -> list[Component]:
    components = []
    for where, t in _items(p, doc, "component"):
        r = _Reader(p, t, where)
        source = r.get("source", "str", "indicators", choices=["indicators", "evaluation", "pool"])
        cw = r.get("category_weights", "dict", {})
        for k, v in cw.items():
            if not _is(v, "num") or not math.isfinite(v) or v < 0:
                p.add(None, f"{where}.category_weights.{k}", v, "类别权重应为非负的有限数字", "a category weight must be a finite number ≥ 0")
        comp = Component(
            key=r.get("key", "str", "", required=True), label=r.get("label", "str", "", required=True),
            label_en=r.get("label_en", "str", ""), source=source, weight=r.get("weight", "num", 1.0, low=-100, high=100),
            name=r.get("name", "str", None, required=source != "indicators"),
            categories=tuple(r.get("categories", "list", [], of="str")),
            category_weights={k: float(v) for k, v in cw.items() if _is(v, "num")},
            full=r.get("full", "num", None, above=0), scale_to=r.get("scale_to", "num", None, above=0),
            cap=r.get("cap", "num", None, low=0), optional=r.get("optional", "bool", False),
        )
        if comp.scale_to is not None and comp.full is None and source != "indicators":
            p.add(None, f"{where}.full", None, "设置了 scale_to 时须给出满分 full", "full is required when scale_to is set")
        elif source == "evaluation" and comp.full is None and comp.weight > 0:
            p.add(None, f"{where}.full", None, "评议类组成部分须写明满分 full（否则得分没有上限，综合得分可能超出分制）",
                  "an evaluation component needs its full marks (full): without them its scores have no upper bound and "
                  "the composite could leave the scale")
        r.done()
        components.append(comp)
    if not components:
        p.add(None, "component", None, "至少需要一个得分组成部分", "at least one component is required")
    keys = [c.key for c in components]
    for k in sorted(set(keys)):
        if keys.count(k) > 1:
            p.add(None, "component.key", k, "组成部分的 key 重复", "duplicate component key")
    return components


def _pools(p: Collector, doc: dict) -> list[Pool]:
    pools = []
    for where, t in _items(p, doc, "pool"):
        r = _Reader(p, t, where)
        pools.append(Pool(
            name=r.get("name", "str", "", required=True),
            kind=KINDS.get(r.get("kind", "str", "扣分", choices=list(KINDS)), "deduction"),
            cap=r.get("cap", "num", None, low=0), label_en=r.get("label_en", "str", ""),
            exempt_if_indicator_deducted=r.get("exempt_if_indicator_deducted", "bool", False)))
        r.done()
    names = [x.name for x in pools]
    for n in sorted(set(names)):
        if names.count(n) > 1:
            p.add(None, "pool.name", n, "事件池名称重复", "duplicate pool name")
    return pools


def _threshold(p: Collector, where: str, thr: dict | None) -> None:
    if thr is None:
        return
    need = {"upto", "amount", "each_beyond"}
    if not need <= set(thr) or set(thr) - need - {"mode"}:
        p.add(None, f"{where}.threshold", thr, "应包含 upto、amount、each_beyond（可选 mode）",
              "expected upto, amount, each_beyond (and optional mode)")
        return
    for key in sorted(need):
        value = thr[key]
        if not _is(value, "num") or not math.isfinite(value) or value < 0 or (key == "upto" and value <= 0):
            p.add(None, f"{where}.threshold.{key}", value, "应为非负的有限数字" + ("（且大于0）" if key == "upto" else ""),
                  "must be a finite number ≥ 0" + (" (and above 0)" if key == "upto" else ""))
    if thr.get("mode", "excess") not in ("excess", "all"):
        p.add(None, f"{where}.threshold.mode", thr.get("mode"), "取值应为 excess 或 all", "expected excess or all")


def _rules(p: Collector, doc: dict) -> list[Rule]:
    rules = []
    for where, t in _items(p, doc, "rule"):
        r = _Reader(p, t, where)
        rng = r.get("range", "list", None, of="num", low=0)
        thr = r.get("threshold", "dict", None)
        rule = Rule(
            name=r.get("name", "str", "", required=True),
            kind=KINDS.get(r.get("kind", "str", "扣分", choices=list(KINDS)), "deduction"),
            amount=r.get("amount", "num", None, low=0), range=tuple(rng) if rng else None,
            threshold=thr, unit=r.get("unit", "str", "次"), cap=r.get("cap", "num", None, above=0),
            veto=r.get("veto", "bool", False), targets=tuple(r.get("targets", "list", [], of="str")),
            label_en=r.get("label_en", "str", ""), evidence_required=r.get("evidence_required", "bool", False))
        given = [x is not None for x in (rule.amount, rule.range, rule.threshold)]
        if sum(given) != 1 and not ("amount" in t and rule.amount is None) and not ("range" in t and rng is None):
            p.add(None, where, rule.name, "须且只能给出 amount、range、threshold 之一",
                  "exactly one of amount, range or threshold is required")
        if rule.range and (len(rule.range) != 2 or rule.range[0] > rule.range[1]):
            p.add(None, f"{where}.range", list(rule.range), "应为 [下限, 上限] 两个非负数字，下限不大于上限",
                  "expected [low, high], two numbers ≥ 0 with low ≤ high")
        _threshold(p, where, thr)
        r.done()
        rules.append(rule)
    names = [x.name for x in rules]
    for n in sorted(set(names)):
        if names.count(n) > 1:
            p.add(None, "rule.name", n, "规则名称重复", "duplicate rule name")
    return rules


def _roles(p: Collector, doc: dict) -> dict:
    raw = doc.get("roles", {})
    roles = {}
    if not isinstance(raw, dict):
        p.add(None, "roles", raw, "应为表", "expected a table")
        return roles
    for k, v in raw.items():
        if not _is(v, "num") or not math.isfinite(v) or v < 0:
            p.add(None, f"roles.{k}", v, "角色系数应为非负的有限数字", "a role factor must be a finite number ≥ 0")
        else:
            roles[k] = float(v)
    return roles


def _multipliers(p: Collector, doc: dict) -> list[Multiplier]:
    multipliers = []
    for where, t in _items(p, doc, "multiplier"):
        r = _Reader(p, t, where)
        multipliers.append(Multiplier(
            name=r.get("name", "str", "", required=True), factor=r.get("factor", "num", 1.0, required=True, low=0, high=100),
            source_level=tuple(r.get("source_level", "list", [], of="str", choices=SOURCE_LEVELS)),
            aggravation=tuple(r.get("aggravation", "list", [], of="str")),
            accountable=r.get("accountable", "bool", None), targets=tuple(r.get("targets", "list", [], of="str")),
            instruction_level=tuple(r.get("instruction_level", "list", [], of="str", choices=SOURCE_LEVELS))))
        r.done()
    return multipliers


def _mitigation(p: Collector, doc: dict) -> dict:
    m = _Reader(p, doc.get("mitigation", {}), "mitigation")
    codes = {}
    for k, v in m.get("codes", "dict", {}).items():
        if not str(k).isdigit() or not isinstance(v, str):
            p.add(None, f"mitigation.codes.{k}", v, "减免依据编号应为数字，说明为文字", "codes are numbers mapped to text")
        else:
            codes[int(k)] = v
    out = dict(mitigation_codes=codes, exempt_factor=m.get("exempt_factor", "num", 0.0, low=0, high=1),
               reduce_factor=m.get("reduce_factor", "num", 0.5, low=0, high=1),
               auto_exempt_code=m.get("auto_exempt_code", "int", None))
    if out["auto_exempt_code"] is not None and out["auto_exempt_code"] not in codes:
        p.add(None, "mitigation.auto_exempt_code", out["auto_exempt_code"], "不是已列出的减免依据编号", "not one of the listed codes")
    m.done()
    return out


def _dedup(p: Collector, doc: dict) -> dict:
    d = _Reader(p, doc.get("dedup", {}), "dedup")
    out = dict(problem_dedup=d.get("problem", "str", "highest", choices=["highest", "none"]),
               matter_dedup=d.get("matter", "str", "highest", choices=["highest", "diminishing", "none"]),
               diminishing=tuple(d.get("diminishing", "list", [1.0, 0.5, 0.25], of="num", low=0, high=1)))
    d.done()
    return out


def _tier_tables(p: Collector, doc: dict) -> dict:
    tier_tables = {}
    for where, t in _items(p, doc, "tier_table"):
        r = _Reader(p, t, where)
        name = r.get("name", "str", "", required=True)
        tiers = []
        for i, row in enumerate(r.get("tiers", "list", [], required=True)):
            tr = _Reader(p, row, f"{where}.tiers[{i + 1}]")
            tiers.append(Tier(min=tr.get("min", "num", None), inclusive=tr.get("inclusive", "bool", True),
                              points=tr.get("points", "num", 0.0, required=True, low=-1000, high=1000)))
            tr.done()
        r.done()
        mins = [x.min for x in tiers]
        # bounds fall from one tier to the next; one bound may appear twice, first exclusive then
        # inclusive (above 0, then exactly 0)
        if not tiers or mins[-1] is not None or any(x is None for x in mins[:-1]) or \
                any(a.min < b.min or (a.min == b.min and (a.inclusive or not b.inclusive))
                    for a, b in zip(tiers[:-2], tiers[1:-1])):
            p.add(None, where, name, "分档应按下限从高到低排列，最后一档不设下限（保证无缺口）",
                  "tiers must run from the highest lower bound down, the last without a bound (no gaps)")
        tier_tables[name] = tuple(tiers)
    return tier_tables


def _indicator_rules(p: Collector, doc: dict, tier_tables: dict) -> list[IndicatorRule]:
    out = []
    for where, t in _items(p, doc, "indicator_rule"):
        r = _Reader(p, t, where)
        t = r.t
        ir = IndicatorRule(indicator=r.get("indicator", "str", "", required=True),
                           ratio_tiers=r.get("ratio_tiers", "str", None),
                           count_bonus_per_item=r.get("count_bonus_per_item", "num", None, low=0),
                           count_average=r.get("count_average", "str", "floor", choices=["floor", "exact"]),
                           change_tiers=r.get("change_tiers", "str", None),
                           change_measure=r.get("change_measure", "str", "relative", choices=["relative", "absolute"]),
                           completion_share=r.get("completion_share", "num", None, low=0, high=1),
                           improvement_share=r.get("improvement_share", "num", None, low=0, high=1),
                           improvement_full=r.get("improvement_full", "num", None, above=0))
        for key in ("ratio_tiers", "change_tiers"):
            name = getattr(ir, key)
            if name and name not in tier_tables:
                p.add(None, f"{where}.{key}", name, "未定义的分档表", "tier table not defined")
        given = [k for k in ("ratio_tiers", "count_bonus_per_item", "change_tiers", "completion_share", "improvement_share")
                 if k in t]
        if not given:
            p.add(None, where, ir.indicator, "须给出 ratio_tiers、count_bonus_per_item、change_tiers 或 completion_share/improvement_share 之一",
                  "give one of ratio_tiers, count_bonus_per_item, change_tiers or completion_share/improvement_share")
        if ir.shares:
            # R30 by shares: the indicator's points are shared out between completion and improvement
            total = (ir.completion_share or 0.0) + (ir.improvement_share or 0.0)
            if abs(total - 1.0) > 1e-9 and "completion_share" in t and "improvement_share" in t:
                p.add(None, f"{where}.improvement_share", f"{total:g}",
                      "completion_share 与 improvement_share 之和应为 1（指标分值全部分配）",
                      "completion_share and improvement_share must add up to 1 (the whole of the points)")
            elif ("completion_share" in t) != ("improvement_share" in t):
                missing = "improvement_share" if "completion_share" in t else "completion_share"
                p.add(None, f"{where}.{missing}", None, "完成占比与进步占比须同时给出", "completion and improvement shares go together")
            if ir.improvement_share and ir.improvement_full is None:
                p.add(None, f"{where}.improvement_full", None, "给出进步占比时须给出 improvement_full（得满分所需的进步幅度）",
                      "improvement_full (the change that earns the whole improvement share) is required with improvement_share")
            for key in ("ratio_tiers", "change_tiers"):
                if key in t:
                    p.add(None, f"{where}.{key}", t[key], "按占比计算完成与进步时不能再用分档表（会重复计分）",
                          "a tier table cannot be combined with completion/improvement shares (it would count twice)")
        elif "improvement_full" in t:
            p.add(None, f"{where}.improvement_full", t["improvement_full"], "只在给出 improvement_share 时使用",
                  "only used with improvement_share")
        if "change_measure" in t and not (ir.change_tiers or ir.improvement_share):
            p.add(None, f"{where}.change_measure", t["change_measure"], "只在给出 change_tiers 或 improvement_share 时使用",
                  "only used with change_tiers or improvement_share")
        r.done()
        out.append(ir)
    names = [x.indicator for x in out]
    for n in sorted(set(names)):
        if names.count(n) > 1:
            p.add(None, "indicator_rule.indicator", n, "同一指标只能有一条 indicator_rule（请合并）",
                  "one indicator_rule per indicator (merge them)")
    return out


def _rank_rules(p: Collector, doc: dict) -> list[RankRule]:
    out = []
    for where, t in _items(p, doc, "rank_rule"):
        r = _Reader(p, t, where)
        t = r.t
        rr = RankRule(ranking=r.get("ranking", "str", "", required=True), target=r.get("target", "str", "", required=True),
                      top=tuple(r.get("top", "list", [], of="num", low=-1000, high=1000)),
                      bottom=tuple(r.get("bottom", "list", [], of="num", low=-1000, high=1000)),
                      label_en=r.get("label_en", "str", ""))
        if not rr.top and not rr.bottom and all(t.get(k) in (None, []) for k in ("top", "bottom")):
            p.add(None, f"{where}.top", None, "须给出 top（第1名、第2名……的分值）或 bottom（最后1名、倒数第2名……的分值）",
                  "give top (points for 1st, 2nd, …) or bottom (points for the last, second-last, …)")
        r.done()
        out.append(rr)
    names = [x.ranking for x in out]
    for n in sorted(set(names)):
        if names.count(n) > 1:
            p.add(None, "rank_rule.ranking", n, "排名名称重复", "duplicate ranking name")
    return out


def _reward(p: Collector, doc: dict, grades: list[Grade]) -> Reward | None:
    if "reward" not in doc:
        return None
    w = _Reader(p, doc.get("reward", {}), "reward")

    def amounts(key):
        table = w.get(key, "dict", {})
        out = {}
        for k, v in table.items():
            if not _is(v, "num") or not math.isfinite(v) or v < 0:
                p.add(None, f"reward.{key}.{k}", v, "基准奖金额应为非负的有限数字", "a base award must be a finite number ≥ 0")
            else:
                out[k] = float(v)
        return out

    reward = Reward(name=w.get("name", "str", "奖金"), label_en=w.get("label_en", "str", "Reward"),
                    unit=w.get("unit", "str", "元"), base=w.get("base", "num", None, low=0),
                    by_series=amounts("base_by_series"), by_level=amounts("base_by_level"))
    w.done()
    if isinstance(doc["reward"], dict) and not any(k in doc["reward"] for k in ("base", "base_by_series", "base_by_level")):
        p.add(None, "reward.base", None, "须给出基准奖 base（或 base_by_series / base_by_level）",
              "give the base award: base (or base_by_series / base_by_level)")
    for i, g in enumerate(grades):
        if g.reward is None:
            p.add(None, f"grade[{i + 1}].reward", None, "设置了 [reward] 时每个等次须给出奖金系数 reward（如 1.10）",
                  "with [reward], every grade needs its reward factor (e.g. 1.10)")
    return reward


def _grading(p: Collector, doc: dict) -> dict:
    g = _Reader(p, doc.get("grading", {}), "grading")
    out = dict(
        grading_mode=g.get("mode", "str", "threshold", choices=["threshold", "forced"]),
        grading_pool=g.get("pool", "str", "all", choices=["all", "series"]),
        quota_rounding=g.get("quota_rounding", "str", "largest_remainder", choices=["largest_remainder", "protect", "nearest"]),
        absorb=g.get("absorb", "str", None),
        tie_break=tuple(g.get("tie_break", "list", [], of="str")),
    )
    g.done()
    return out


def _grades(p: Collector, doc: dict, grading: dict) -> list[Grade]:
    grades = []
    for where, t in _items(p, doc, "grade"):
        r = _Reader(p, t, where)
        grades.append(Grade(name=r.get("name", "str", "", required=True), label_en=r.get("label_en", "str", ""),
                            min=r.get("min", "num", None), max=r.get("max", "num", None),
                            share=r.get("share", "num", None, low=0, high=1), reward=r.get("reward", "num", None, low=0, high=10)))
        r.done()
    names = [g.name for g in grades]
    for n in sorted(set(names)):
        if names.count(n) > 1:
            p.add(None, "grade.name", n, "等次名称重复", "duplicate grade name")
    _check_grades(p, grades, grading)
    return grades


def _ranking(p: Collector, doc: dict) -> str:
    rk = _Reader(p, doc.get("ranking", {}), "ranking")
    movement = rk.get("movement", "str", "series", choices=["series", "overall"])
    rk.done()
    return movement


def _consequences(p: Collector, doc: dict, grades: list[Grade]) -> list[Consequence]:
    consequences = []
    for where, t in _items(p, doc, "consequence"):
        r = _Reader(p, t, where)
        c = Consequence(name=r.get("name", "str", "", required=True), label_en=r.get("label_en", "str", ""),
                        grade=r.get("grade", "str", None), veto=r.get("veto", "bool", None),
                        lowest=r.get("lowest", "bool", None), below=r.get("below", "num", None),
                        years=r.get("years", "int", 1, low=1, high=10),
                        exhausted=tuple(r.get("exhausted", "list", [], of="str")),
                        exhausted_any=r.get("exhausted_any", "bool", None),
                        people=tuple(r.get("people", "list", [], of="str", choices=list(PEOPLE))))
        if c.grade and c.grade not in [x.name for x in grades]:
            p.add(None, f"{where}.grade", c.grade, "未定义的等次", "grade not defined")
        if c.exhausted and c.exhausted_any is not None:
            p.add(None, f"{where}.exhausted_any", c.exhausted_any, "exhausted 与 exhausted_any 只能给出一个",
                  "give exhausted or exhausted_any, not both")
        r.done()
        consequences.append(c)
    return consequences


def _cross_references(p: Collector, components: list, pools: list, grading: dict) -> None:
    pool_names = {x.name for x in pools}
    keys = [c.key for c in components]
    for c in components:
        if c.source == "pool" and c.name not in pool_names:
            p.add(None, f"component.{c.key}.name", c.name, "未定义的事件池", "pool not defined")
    for key in grading["tie_break"]:
        comp = key.split(":")[0]
        if comp not in keys or key.split(":")[-1] not in ("asc", "desc"):
            p.add(None, "grading.tie_break", key, "应为「组成部分key:asc/desc」", "expected 'component_key:asc' or ':desc'")


def full_marks(indicator_total: float, components, pools) -> tuple[float, float, bool]:
    """The composite's full marks under these weights: the base (indicators and evaluations every unit
    has), the bonuses on top (capped bonus pools, evaluations only some units have), and whether some
    part has no known maximum."""
    kinds = {x.name: x for x in pools}
    base, bonus, unknown = 0.0, 0.0, False
    for c in components:
        if c.weight <= 0:
            continue
        if c.source == "indicators":
            full = c.scale_to if c.scale_to is not None else indicator_total * (max(c.category_weights.values(), default=1.0)
                                                                              if c.category_weights else 1.0)
            base += c.weight * (c.cap if c.cap is not None else full)
        elif c.source == "evaluation":
            full = c.scale_to if c.scale_to is not None else c.full
            if full is None:
                unknown = True
            elif c.optional:      # only some units have one (S3 市对区激励): on top of the base, like a bonus
                bonus += c.weight * (min(full, c.cap) if c.cap is not None else full)
            else:
                base += c.weight * (min(full, c.cap) if c.cap is not None else full)
        else:
            pool = kinds.get(c.name)
            if pool is not None and pool.kind == "bonus":
                cap = c.cap if c.cap is not None else pool.cap
                if cap is None:
                    unknown = True
                else:
                    bonus += c.weight * cap
    return base, bonus, unknown


def _scale_check(p: Collector, scale: float, indicator_total: float, components: list, pools: list) -> list[str]:
    """The full-marks composite must fit the scale (a weight of 6 for 0.6 gives a 1000-point scheme 6,000).

    Indicators and evaluations with known full marks make the base; capped bonus pools may
    complete it (S0: 90 + 10) or sit on top (S3: 1000 + incentive). A base above the scale is
    an error; a base that even with the bonuses stays below it is worth a warning.
    """
    base, bonus, unknown = full_marks(indicator_total, components, pools)
    if base > scale + 1e-6:
        p.add(None, "component.weight", f"{base:g}",
              f"按各组成部分的权重与满分，综合得分满分可达 {base:g}，超过 {scale:g} 分制（权重是否写错，如 6 写成了 0.6？）",
              f"with these weights and full marks the composite reaches {base:g}, above the {scale:g}-point scale "
              "(a mistyped weight, such as 6 for 0.6?)")
        return []
    if bonus > scale * MAX_BONUS_SHARE + 1e-6 and base <= scale + 1e-6 and base + bonus > scale + 1e-6:
        p.add(None, "component.weight", f"{base + bonus:g}",
              f"加分类组成部分（封顶的加分事件池、只有部分单位才有的评议）按权重合计可达 {bonus:g}，超过 {scale:g} 分制的 "
              f"{MAX_BONUS_SHARE:.0%}，综合得分可达 {base + bonus:g}（权重是否写错？）",
              f"the bonus components (capped bonus pools, evaluations only some units have) can add {bonus:g} with these "
              f"weights, more than {MAX_BONUS_SHARE:.0%} of the {scale:g}-point scale: the composite could reach "
              f"{base + bonus:g} (a mistyped weight?)")
        return []
    if not unknown and base + bonus < scale - 1e-6:
        return [f"按权重与满分，综合得分最高为 {base + bonus:g}，低于 {scale:g} 分制 / with these weights the composite "
                f"reaches at most {base + bonus:g}, below the {scale:g}-point scale"]
    return []


def _check_grades(p: Collector, grades: list[Grade], grading: dict):
    if len(grades) < 2:
        p.add(None, "grade", None, "至少需要两个等次", "at least two grades are required")
        return
    if grading["grading_mode"] == "threshold":
        # Grades run from the best down; each band is [min, max). Bands must meet exactly.
        for i, gr in enumerate(grades):
            where = f"grade[{i + 1}]"
            if i < len(grades) - 1 and gr.min is None:
                p.add(None, f"{where}.min", None, "除最低等次外须给出下限 min", "min is required except for the lowest grade")
            if i > 0 and gr.max is not None and grades[i - 1].min is not None and gr.max != grades[i - 1].min:
                p.add(None, f"{where}.max", gr.max,
                      f"与上一等次下限 {grades[i - 1].min:g} 不衔接（等次表有缺口或重叠）",
                      f"does not meet the grade above's min {grades[i - 1].min:g} (gap or overlap in the grade table)")
            if i > 0 and gr.min is not None and grades[i - 1].min is not None and gr.min >= grades[i - 1].min:
                p.add(None, f"{where}.min", gr.min, "等次下限应从高到低排列", "grade minimums must decrease")
        if grades[-1].min is not None:
            p.add(None, f"grade[{len(grades)}].min", grades[-1].min,
                  "最低等次不应设下限，否则低分单位无等次（缺口）", "the lowest grade must have no min, or low scores fall in a gap")
    else:
        shares = [gr.share for gr in grades]
        if any(x is None or x < 0 for x in shares):
            p.add(None, "grade.share", None, "强制分布的每个等次须给出非负比例 share", "forced distribution needs a share for every grade")
        elif abs(sum(shares) - 1.0) > 1e-9:
            p.add(None, "grade.share", f"{sum(shares):g}", "各等次比例之和应为 1（100%）", "grade shares must add up to 1 (100%)")
        if grading["absorb"] is not None and grading["absorb"] not in [gr.name for gr in grades]:
            p.add(None, "grading.absorb", grading["absorb"], "未定义的等次", "grade not defined")


def load(path: Path, org: str | None = None, year: int | None = None, label: str | None = None) -> Scheme:
    """Read and validate a scheme file (UTF-8 TOML)."""
    label = label or str(path)
    data = Path(path).read_bytes()
    if len(data) > 1_000_000:
        raise InputError([Problem(label, None, None, None, "考评方案文件过大（超过 1 MB）", "the scheme file is too large (over 1 MB)")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(label, None, None, None, f"考评方案文件不是 UTF-8 编码（第 {exc.start} 字节），请另存为 UTF-8",
                                  f"the scheme file is not UTF-8 encoded (byte {exc.start}); save it as UTF-8")])
    return parse(text, label, org, year)
