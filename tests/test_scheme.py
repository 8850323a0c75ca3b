"""Scheme validation: every key checked, a typo is an error, grade tables have no gaps."""
from __future__ import annotations

import pytest

from perfcore.errors import InputError
from perfcore.engine.scheme import parse
from tests.builders import THRESHOLD_GRADES, scheme


def _errors(text):
    with pytest.raises(InputError) as exc:
        parse(text, "考评方案.toml")
    return [(p.column, p.zh) for p in exc.value.problems]


def test_minimal_scheme_parses():
    s = parse(scheme(total=10), "t")
    assert s.grade_names() == ["优秀", "良好", "合格", "不合格"] and s.components[0].key == "indicator"


def test_unknown_key_is_an_error():
    assert ("scheme.yaer", "未知的设置项（是否拼写有误？）") in _errors(scheme(total=10).replace("scale = 100", "scale = 100\nyaer = 1"))


def test_grade_table_with_a_gap():
    gapped = THRESHOLD_GRADES.replace("min = 80\nmax = 90", "min = 80\nmax = 88")
    errs = _errors(scheme(total=10, grades=gapped))
    assert any(c == "grade[2].max" and "缺口" in z for c, z in errs)


def test_lowest_grade_with_a_floor_leaves_a_gap():
    errs = _errors(scheme(total=10, grades=THRESHOLD_GRADES.replace('max = 70', 'max = 70\nmin = 60')))
    assert any(c == "grade[4].min" for c, _ in errs)


def test_forced_shares_must_add_up_to_one():
    grades = """
[grading]
mode = "forced"
[[grade]]
name = "优秀"
share = 0.3
[[grade]]
name = "不达标"
share = 0.6
"""
    assert any("之和应为 1" in z for _, z in _errors(scheme(total=10, grades=grades)))


def test_rule_needs_exactly_one_amount_kind():
    errs = _errors(scheme(total=10, extra='[[rule]]\nname = "x"\namount = 1\nrange = [0.1, 0.5]'))
    assert any("只能给出" in z for _, z in errs)


def test_text_where_a_number_belongs():
    errs = _errors(scheme(total=10, extra='weight = "六成"'))
    assert ("component[1].weight", "应为数字") in errs


def test_toml_syntax_error_names_the_line():
    with pytest.raises(InputError) as exc:
        parse("[scheme]\nyear = \n", "考评方案.toml")
    assert "line 2" in exc.value.problems[0].zh


def test_tier_table_must_cover_every_ratio():
    extra = '[[tier_table]]\nname = "t"\ntiers = [{ min = 1.0, points = 0 }, { min = 0.5, points = -1 }]'
    assert any("无缺口" in z for _, z in _errors(scheme(total=10, extra=extra)))


def test_what_if_weights_leave_the_original_alone():
    s = parse(scheme(total=10), "t")
    changed = s.with_weights({"indicator": 0.5})
    assert changed.component("indicator").weight == 0.5 and s.component("indicator").weight == 1.0


def test_shipped_sample_schemes_parse():
    from pathlib import Path
    for path in sorted(Path("data").glob("*/*/考评方案.toml")):
        s = parse(path.read_text(encoding="utf-8"), str(path), path.parent.parent.name, int(path.parent.name))
        assert s.components and s.grades


# ---- keys for rewards, progress, outside rankings, named people, instruction levels (issue 11)

def _all(text):
    with pytest.raises(InputError) as exc:
        parse(text, "考评方案.toml")
    return exc.value.problems


def test_reward_needs_a_base_and_a_factor_on_every_grade():
    problems = _all(scheme(total=10) + '[reward]\nname = "基准奖"\n')
    where = {p.column for p in problems}
    assert {"reward.base", "grade[1].reward", "grade[4].reward"} <= where
    assert all(p.file == "考评方案.toml" and p.zh and p.en for p in problems)


def test_reward_amounts_must_be_numbers():
    grades = THRESHOLD_GRADES.replace("min = 90", "min = 90\nreward = 1.1").replace("max = 90", "max = 90\nreward = 1") \
        .replace("max = 80", "max = 80\nreward = 1").replace("max = 70\n", "max = 70\nreward = 0.8\n")
    errs = _errors(scheme(total=10, grades=grades) + '[reward]\nbase = "八千"\n[reward.base_by_series]\n"一系列" = -5\n')
    assert ("reward.base", "应为数字") in errs
    assert any(c == "reward.base_by_series.一系列" for c, _ in errs)
    s = parse(scheme(total=10, grades=grades) + '[reward]\nbase = 8000\n[reward.base_by_level]\n"乡镇" = 6000\n', "t")
    assert s.reward.base_for("一系列", "乡镇") == 6000 and s.reward.base_for("一系列", None) == 8000


def test_progress_shares_add_up_and_need_the_full_change():
    extra = '[[indicator_rule]]\nindicator = "业绩"\ncompletion_share = 0.6\nimprovement_share = 0.3\n'
    errs = _errors(scheme(total=10, extra=extra))
    assert any(c == "indicator_rule[1].improvement_share" and "之和应为 1" in z for c, z in errs)
    assert any(c == "indicator_rule[1].improvement_full" for c, _ in errs)
    errs = _errors(scheme(total=10, extra='[[indicator_rule]]\nindicator = "业绩"\nchange_tiers = "无此表"\n'))
    assert ("indicator_rule[1].change_tiers", "未定义的分档表") in errs
    errs = _errors(scheme(total=10, extra='[[indicator_rule]]\nindicator = "业绩"\nchange_measure = "ratio"\n'))
    assert any(c == "indicator_rule[1].change_measure" for c, _ in errs)


def test_rank_rule_needs_points_and_people_roles_are_known():
    errs = _errors(scheme(total=10, extra='[[rank_rule]]\nranking = "全省排名"\ntarget = "业绩"\n'))
    assert any(c == "rank_rule[1].top" for c, _ in errs)
    errs = _errors(scheme(total=10) + '[[consequence]]\nname = "x"\npeople = ["处长"]\n')
    assert any(c == "consequence[1].people[1]" for c, _ in errs)
    errs = _errors(scheme(total=10, extra='[[multiplier]]\nname = "m"\nfactor = 3\ninstruction_level = ["国务院"]\n'))
    assert any(c == "multiplier[1].instruction_level[1]" for c, _ in errs)
    errs = _errors(scheme(total=10) + '[[consequence]]\nname = "x"\nexhausted = ["保密"]\nexhausted_any = true\n')
    assert any(c == "consequence[1].exhausted_any" for c, _ in errs)


def test_tiers_may_split_one_bound_into_above_and_exactly():
    extra = ('[[tier_table]]\nname = "t"\ntiers = [{ min = 0.0, inclusive = false, points = 1 }, '
             '{ min = 0.0, inclusive = true, points = 0 }, { points = -1 }]')
    assert parse(scheme(total=10, extra=extra), "t").tier_tables["t"][1].min == 0.0
    wrong = extra.replace("inclusive = false, points = 1", "inclusive = true, points = 1")
    assert any("无缺口" in z for _, z in _errors(scheme(total=10, extra=wrong)))


def test_scheme_references_to_the_data_are_checked_on_load(tmp_path):
    from tests.builders import Org, scheme as make
    extra = """
[[indicator_rule]]
indicator = "业绩"
completion_share = 0.5
improvement_share = 0.5
improvement_full = 0.1
[[rank_rule]]
ranking = "全省排名"
target = "没有的指标"
top = [5]
[[consequence]]
name = "取消评先资格"
exhausted = ["没有的指标"]
"""
    grades = THRESHOLD_GRADES.replace("min = 90", "min = 90\nreward = 1.1").replace("max = 90", "max = 90\nreward = 1") \
        .replace("max = 80", "max = 80\nreward = 1").replace("max = 70\n", "max = 70\nreward = 0.8\n")
    reward = '[reward]\n[reward.base_by_series]\n"三系列" = 8000\n'
    org = Org(tmp_path).year(2025, make(total=10, extra=extra, grades=grades) + reward, [["", "", "业绩", 10, "扣分制"]],
                             ranks=[["甲", "全国排名", 1, 3]])
    with pytest.raises(InputError) as exc:
        org.load()
    found = {(p.column, p.value) for p in exc.value.problems}
    assert ("indicator_rule[1].indicator", "业绩") in found       # shares need a 累加制 indicator
    assert ("rank_rule[1].target", "没有的指标") in found
    assert ("consequence[1].exhausted", "没有的指标") in found
    assert ("reward.base_by_series", "三系列") in found           # no unit evaluated that year is in it
    assert ("reward.base", "甲") in found                         # and 甲 gets no base award at all
    assert ("排名", "全国排名") in found                           # 外部排名 row without a rank_rule
    assert all(p.file.endswith(("考评方案.toml", "外部排名.csv")) for p in exc.value.problems)


def test_new_columns_are_checked_row_by_row(tmp_path):
    from tests.builders import Org, event, scheme as make
    extra = """
[[rank_rule]]
ranking = "全省排名"
target = "业绩"
top = [5]
bottom = [-5]
[[rule]]
name = "信息被采用"
kind = "加分"
amount = 1
"""
    org = Org(tmp_path).year(2025, make(total=10, extra=extra), [["", "", "业绩", 10, "扣分制"]],
                             ranks=[["甲", "全省排名", 0, 3], ["乙", "全省排名", 5, 3], ["丙", "全省排名", 2, ""]],
                             events=[event("E1", "甲", "业绩", "信息被采用", instruction="国务院")],
                             assignments=[["甲", "业绩", "一", 10, 5, -1]])
    with pytest.raises(InputError) as exc:
        org.load()
    found = {(p.file.split("/")[-1], p.row, p.column) for p in exc.value.problems}
    assert {("外部排名.csv", 2, "名次"), ("外部排名.csv", 3, "参评数"), ("外部排名.csv", 4, "参评数"),
            ("扣分台账.csv", 2, "批示层级"), ("指标任务.csv", 2, "上年完成值")} <= found


def test_a_rule_that_needs_evidence_refuses_a_counting_record_without_it(tmp_path):
    # R29 (E1): 无表彰文件佐证的，暂未实施加分: without a document number the record may only wait as 草稿
    from tests.builders import Org, event, scheme as make
    extra = '[[rule]]\nname = "获表彰"\nkind = "加分"\namount = 1\nevidence_required = true\n'
    org = Org(tmp_path).year(2025, make(total=10, extra=extra), [["", "", "业务", 10, "累加制"]],
                             events=[event("E1", "甲", "业务", "获表彰"), event("E2", "乙", "业务", "获表彰", status="草稿")])
    with pytest.raises(InputError) as exc:
        org.load()
    assert [(p.row, p.column) for p in exc.value.problems] == [(2, "证据文号")]
