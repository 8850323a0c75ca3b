"""Row checks of each table against one organisation-year: the same for a folder load, a file
import and an event typed on the data page.

    ctx = YearContext(...)           # what the rows are checked against
    good, problems = check_rows("events", rows, ctx, label, sheet)

Every problem names the file, sheet, row and column, in Chinese and English.
"""
from __future__ import annotations

from dataclasses import dataclass, field


from ..engine.scheme import Scheme
from ..errors import Collector, Problem
from ..vocab import MAX_COUNT, MITIGATION_MODES, PERIODS, SOURCE_LEVELS, STATUSES

# identity of a row within an organisation-year: re-importing the same row changes nothing
KEYS = {"events": ("event_id",), "indicator_scores": ("unit", "indicator"), "assignments": ("unit", "indicator", "item"),
        "evaluations": ("unit", "kind", "aspect"), "vetoes": ("unit", "category", "date"),
        "progress": ("unit", "period", "indicator"), "indicators": ("indicator",), "units": ("unit",),
        "outside_ranks": ("unit", "ranking")}


@dataclass
class YearContext:
    """What rows of one organisation-year are checked against."""

    org: str
    year: int
    scheme: Scheme
    points: dict                 # indicator -> points
    modes: dict                  # indicator -> scoring mode
    all_units: set
    active: set
    seen: dict = field(default_factory=dict)

    @property
    def pools(self) -> set:
        return {p.name for p in self.scheme.pools}

    @property
    def targets(self) -> set:
        return set(self.points) | self.pools

    @property
    def evaluation_kinds(self) -> dict:
        return {c.name: c.full for c in self.scheme.components if c.source == "evaluation"}


def _bad(r: dict, key: str) -> bool:
    """The cell already failed to read; it has been reported."""
    return key in r.get("_bad", ())


def _unit_ok(c: Collector, r: dict, col: str, ctx: YearContext) -> bool:
    if _bad(r, "unit"):
        return False
    u = r["unit"]
    if u not in ctx.all_units:
        c.add(r["_row"], col, u, "单位不在单位名单中", "unit is not in the unit list")
        return False
    if u not in ctx.active:
        c.add(r["_row"], col, u, f"该单位在 {ctx.year} 年度不参加考评", f"unit is not evaluated in {ctx.year}")
        return False
    return True


def _dup(c: Collector, ctx: YearContext, kind: str, r: dict, column: str) -> bool:
    key = tuple(r.get(k) for k in KEYS[kind])
    seen = ctx.seen.setdefault(kind, {})
    if key in seen:
        c.add(r["_row"], column, "/".join(map(str, key)), f"重复（首次出现在第{seen[key]}行）",
              f"duplicate (first on row {seen[key]})")
        return True
    seen[key] = r["_row"]
    return False


def _indicator_ok(c: Collector, r: dict, col: str, ctx: YearContext) -> bool:
    if _bad(r, "indicator"):
        return False
    if r["indicator"] not in ctx.points:
        c.add(r["_row"], col, r["indicator"], "本年度没有该指标", "no such indicator this year")
        return False
    return True


def _date_ok(c: Collector, r: dict, ctx: YearContext, carried: bool = False) -> bool:
    """A record's date lies in its evaluation year; a carried-over one (A9) in the year before."""
    date = r.get("date")
    if _bad(r, "date") or date is None:
        return not _bad(r, "date")
    if date.year == ctx.year:
        return True
    if carried and date.year == ctx.year - 1:
        return True
    if carried:
        c.add(r["_row"], "日期", date, f"结转记录的日期应在 {ctx.year - 1} 年内", f"a carried-over record must be dated in {ctx.year - 1}")
    else:
        c.add(r["_row"], "日期", date, f"日期不在 {ctx.year} 年度内（上年度的记录转入本年请在“结转”列填“是”）",
              f"the date is outside {ctx.year} (a record carried over from last year needs 结转 = 是)")
    return False


def _count_ok(c: Collector, r: dict, key: str, column: str) -> bool:
    value = r.get(key)
    if _bad(r, key) or value is None or value <= MAX_COUNT:
        return True
    c.add(r["_row"], column, value, f"数值过大（上限 {MAX_COUNT}），请核对", f"implausibly large (limit {MAX_COUNT}); please check")
    return False


def check_event(c: Collector, r: dict, ctx: YearContext) -> bool:
    sch = ctx.scheme
    ok = _unit_ok(c, r, "单位", ctx)
    ok &= not _dup(c, ctx, "events", r, "编号")
    ok &= _date_ok(c, r, ctx, bool(r.get("carried_over")))
    ok &= _count_ok(c, r, "count", "次数") & _count_ok(c, r, "accountable", "问责人次")
    if not _bad(r, "target") and r["target"] not in ctx.targets:
        c.add(r["_row"], "指标", r["target"], "既不是本年度指标也不是事件池", "neither an indicator of this year nor a pool")
        ok = False
    if _bad(r, "rule"):
        return False
    rule = sch.rule(r["rule"])
    if rule is None:
        c.add(r["_row"], "情形", r["rule"], "考评方案中没有该扣分/加分情形", "no such rule in the scheme")
        return False
    if rule.targets and r["target"] not in rule.targets:
        c.add(r["_row"], "指标", r["target"], f"情形「{rule.name}」不适用于该指标", "this rule does not apply to this indicator")
        ok = False
    if rule.evidence_required and r.get("status") in sch.counted_statuses and not (r.get("evidence") or "").strip():
        c.add(r["_row"], "证据文号", None, f"情形「{rule.name}」须有证据文号才能计分（无文件佐证的可先按“草稿”登记，暂不计分）",
              f"rule '{rule.name}' needs an evidence number to count (without one, record it as 草稿 for now)")
        ok = False
    if not _bad(r, "count") and (r["count"] is None or r["count"] <= 0):
        c.add(r["_row"], "次数", r["count"], "次数应大于0", "count must be greater than 0")
        ok = False
    amount = r.get("base_amount")
    if _bad(r, "base_amount"):
        ok = False
    elif rule.range:
        lo, hi = rule.range
        if amount is None:
            c.add(r["_row"], "标准分", None, f"该情形须填写 {lo:g}–{hi:g} 之间的分值", f"this rule needs an amount between {lo:g} and {hi:g}")
            ok = False
        elif not lo <= amount <= hi:
            c.add(r["_row"], "标准分", amount, f"应在 {lo:g}–{hi:g} 之间", f"must be between {lo:g} and {hi:g}")
            ok = False
        if not (r.get("description") or "").strip():
            c.add(r["_row"], "说明", None, "按区间酌情扣分须写明理由", "a ranged amount needs a reason")
            ok = False
    elif amount is not None and rule.amount is not None and abs(amount - rule.amount) > 1e-9:
        c.add(r["_row"], "标准分", amount, f"与情形规定的分值 {rule.amount:g} 不一致", f"differs from the rule's amount {rule.amount:g}")
        ok = False
    if not _bad(r, "source_level") and r["source_level"] not in SOURCE_LEVELS:
        c.add(r["_row"], "来源层级", r["source_level"], f"应为 {'、'.join(SOURCE_LEVELS)} 之一", "unknown source level")
        ok = False
    if r.get("instruction_level") and r["instruction_level"] not in SOURCE_LEVELS:
        c.add(r["_row"], "批示层级", r["instruction_level"], f"应为 {'、'.join(SOURCE_LEVELS)} 之一", "unknown instruction level")
        ok = False
    if not _bad(r, "status") and r["status"] not in STATUSES:
        c.add(r["_row"], "状态", r["status"], f"应为 {'、'.join(STATUSES)} 之一", "unknown status")
        ok = False
    if r.get("role") and r["role"] not in sch.roles:
        c.add(r["_row"], "角色", r["role"], "考评方案中没有该角色系数", "no such role in the scheme")
        ok = False
    if r.get("accountable") is not None and r["accountable"] < 0:
        c.add(r["_row"], "问责人次", r["accountable"], "不能为负数", "must not be negative")
        ok = False
    code = r.get("mitigation_code")
    if code is not None:
        if code not in sch.mitigation_codes:
            c.add(r["_row"], "减免依据", code, "考评方案中没有该减免依据", "no such mitigation code in the scheme")
            ok = False
        if r.get("mitigation_mode") not in MITIGATION_MODES:
            c.add(r["_row"], "减免方式", r.get("mitigation_mode"), "应为“免予”或“减轻”", "expected 免予 (exempt) or 减轻 (reduce)")
            ok = False
        if not (r.get("mitigation_reason") or "").strip():
            c.add(r["_row"], "减免理由", None, "减免须写明理由", "a mitigation needs a reason")
            ok = False
    elif r.get("mitigation_mode"):
        c.add(r["_row"], "减免依据", None, "填写了减免方式但没有减免依据", "mitigation mode given without a code")
        ok = False
    if ok and r.get("mitigation_mode"):
        r["mitigation_mode"] = MITIGATION_MODES[r["mitigation_mode"]]
    return ok


def check_score(c: Collector, r: dict, ctx: YearContext) -> bool:
    ok = _unit_ok(c, r, "单位", ctx)
    if not _indicator_ok(c, r, "指标", ctx):
        return False
    ok &= not _dup(c, ctx, "indicator_scores", r, "指标")
    top = ctx.points[r["indicator"]]
    if not _bad(r, "score") and not 0 <= r["score"] <= top:
        c.add(r["_row"], "得分", r["score"], f"应在 0–{top:g} 之间", f"must be between 0 and {top:g}")
        ok = False
    if ctx.modes[r["indicator"]] != "direct":
        c.add(r["_row"], "指标", r["indicator"], "该指标不是直接评分指标", "this indicator is not directly scored")
        ok = False
    return ok


def check_assignment(c: Collector, r: dict, ctx: YearContext) -> bool:
    ok = _unit_ok(c, r, "单位", ctx)
    if not _indicator_ok(c, r, "指标", ctx):
        return False
    ok &= not _dup(c, ctx, "assignments", r, "任务项")
    ir = ctx.scheme.indicator_rule(r["indicator"])
    if ir and (ir.ratio_tiers or ir.completion_share) and not _bad(r, "target_value") and \
            (r.get("target_value") is None or r["target_value"] <= 0):
        c.add(r["_row"], "目标值", r.get("target_value"), "按完成率计分的指标须有大于0的目标值", "a completion-ratio indicator needs a target above 0")
        ok = False
    for key, zh in (("target_value", "目标值"), ("actual_value", "完成值"), ("prior_value", "上年完成值")):
        if r.get(key) is not None and r[key] < 0:
            c.add(r["_row"], zh, r[key], "不能为负数", "must not be negative")
            ok = False
    return ok


def check_evaluation(c: Collector, r: dict, ctx: YearContext) -> bool:
    ok = _unit_ok(c, r, "单位", ctx)
    kinds = ctx.evaluation_kinds
    if r["kind"] not in kinds:
        c.add(r["_row"], "类别", r["kind"], f"考评方案中没有该评议类别（可用：{'、'.join(kinds)}）", "no such evaluation kind in the scheme")
        return False
    r["aspect"] = r.get("aspect") or ""
    ok &= not _dup(c, ctx, "evaluations", r, "类别")
    full = kinds[r["kind"]]
    top = r.get("max_score")
    if _bad(r, "max_score"):
        ok = False
    elif top is not None and (top <= 0 or (full is not None and top > full + 1e-9)):
        c.add(r["_row"], "满分", top, "应大于 0" + (f"且不超过该类别满分 {full:g}" if full is not None else ""),
              "must be above 0" + (f" and at most the kind's full marks {full:g}" if full is not None else ""))
        return False
    if top is None and r["aspect"] and full is not None:
        c.add(r["_row"], "满分", None, "分项得分须填写该分项的满分", "an aspect's score needs the aspect's full marks")
        return False
    if top is None and not r["aspect"]:
        top = full
    if _bad(r, "score"):
        ok = False
    elif r["score"] < 0 or (top is not None and r["score"] > top + 1e-9):
        c.add(r["_row"], "得分", r["score"], f"应在 0–{top:g} 之间" if top is not None else "不能为负数",
              f"must be between 0 and {top:g}" if top is not None else "must not be negative")
        ok = False
    return ok


def check_veto(c: Collector, r: dict, ctx: YearContext) -> bool:
    ok = _unit_ok(c, r, "单位", ctx) & (not _dup(c, ctx, "vetoes", r, "类别"))
    return ok & _date_ok(c, r, ctx)


def check_outside_rank(c: Collector, r: dict, ctx: YearContext) -> bool:
    """R21b: a unit's place in an outside ranking the scheme scores."""
    ok = _unit_ok(c, r, "单位", ctx)
    if _bad(r, "ranking"):
        return False
    rule = ctx.scheme.rank_rule(r["ranking"])
    if rule is None:
        known = "、".join(x.ranking for x in ctx.scheme.rank_rules) or "无"
        c.add(r["_row"], "排名", r["ranking"], f"考评方案中没有该排名的计分规则（rank_rule；现有：{known}）",
              "no rank_rule for this ranking in the scheme")
        return False
    ok &= not _dup(c, ctx, "outside_ranks", r, "排名")
    position, ranked = r.get("position"), r.get("ranked")
    if not _bad(r, "position") and position is not None and position < 1:
        c.add(r["_row"], "名次", position, "名次应从 1 起", "a position starts at 1")
        ok = False
    if not _bad(r, "ranked") and ranked is not None and (ranked < 1 or (position is not None and position > ranked)):
        c.add(r["_row"], "参评数", ranked, "参评数应不小于名次", "the number ranked must be at least the position")
        ok = False
    if rule.bottom and ranked is None and not _bad(r, "ranked"):
        c.add(r["_row"], "参评数", None, "该排名对末位计分，须填写参评数（才能知道谁是最后一名）",
              "this ranking scores the last places: give the number ranked")
        ok = False
    return ok


def check_progress(c: Collector, r: dict, ctx: YearContext) -> bool:
    ok = _unit_ok(c, r, "填报组队", ctx)
    ok &= _indicator_ok(c, r, "指标名称", ctx)
    if not _bad(r, "period") and r["period"] not in PERIODS:
        c.add(r["_row"], "报告期", r["period"], f"应为 {'、'.join(PERIODS)} 之一", "unknown reporting period")
        ok = False
    if r.get("percent") is not None and not 0 <= r["percent"] <= 100:
        c.add(r["_row"], "完成进度", r["percent"], "应在 0–100 之间", "must be between 0 and 100")
        ok = False
    ok &= not _dup(c, ctx, "progress", r, "指标名称")
    return ok


def check_unit_list(c: Collector, rows: list[dict]) -> bool:
    """The unit list on its own: unique names and a sensible span of years."""
    seen, ok = {}, True
    for r in rows:
        if r["unit"] in seen:
            c.add(r["_row"], "单位", r["unit"], f"单位重复（首次出现在第{seen[r['unit']]}行）",
                  f"duplicate unit (first on row {seen[r['unit']]})")
            ok = False
        seen.setdefault(r["unit"], r["_row"])
        for key, zh in (("first_year", "起始年度"), ("last_year", "终止年度")):
            if r.get(key) is not None and not 1990 <= r[key] <= 2200:
                c.add(r["_row"], zh, r[key], "应为四位年份", "expected a four-digit year")
                ok = False
        if r.get("first_year") and r.get("last_year") and r["first_year"] > r["last_year"]:
            c.add(r["_row"], "终止年度", r["last_year"], "终止年度早于起始年度", "last year is before first year")
            ok = False
    return ok


def check_evaluation_totals(c: Collector, rows: list[dict], ctx: YearContext) -> bool:
    """Per unit and kind: aspects' full marks add up to at most the kind's full marks, and a
    kind is given either as one total or by aspects, never both (it would count twice)."""
    kinds = ctx.evaluation_kinds
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault((r["unit"], r["kind"]), []).append(r)
    ok = True
    for (unit, kind), part in groups.items():
        full = kinds.get(kind)
        with_aspect = [r for r in part if r.get("aspect")]
        if with_aspect and len(with_aspect) < len(part):
            first = next(r for r in part if not r.get("aspect"))
            c.add(first.get("_row"), "项目", unit, f"「{kind}」既有总分又有分项，会重复计分", f"'{kind}' is given both as a total and by aspects")
            ok = False
        tops = sum((r.get("max_score") or 0.0) for r in with_aspect)
        if full is not None and with_aspect and tops > full + 1e-9:
            c.add(with_aspect[-1].get("_row"), "满分", f"{tops:g}", f"「{unit}」的「{kind}」各分项满分合计 {tops:g}，超过该类别满分 {full:g}",
                  f"the aspects of '{kind}' for '{unit}' have full marks adding up to {tops:g}, above the kind's {full:g}")
            ok = False
    return ok


CHECKS = {"events": check_event, "indicator_scores": check_score, "assignments": check_assignment,
          "evaluations": check_evaluation, "vetoes": check_veto, "progress": check_progress,
          "outside_ranks": check_outside_rank}


def check_rows(kind: str, rows: list[dict], ctx: YearContext, label: str, sheet: str | None = None,
               cell_problems: list[Problem] = (), others: list[dict] = ()) -> tuple[list[dict], list[Problem]]:
    """The rows that pass, and every problem (cell problems included) in row order.

    `others` are stored rows the file leaves in place: checks over a whole table (an
    evaluation's aspects adding up) see them together with the file's rows.
    """
    col = Collector(label, sheet)
    good = [r for r in rows if CHECKS[kind](col, r, ctx) and not r.get("_bad")]
    if kind == "evaluations" and len(good) == len(rows):
        check_evaluation_totals(col, list(others) + good, ctx)
    problems = sorted(list(cell_problems) + col.problems, key=lambda p: (p.row or 0))
    return good, problems
