"""Rules R1–R28 of DOMAIN.md, each with the value worked out by hand from the rule text."""
from __future__ import annotations

import pytest

import perfcore
from perfcore.engine import grading
from perfcore.engine import trace
from tests.builders import Org, THRESHOLD_GRADES, event, result_of, scheme, score_of

INSPECTION = """
[[pool]]
name = "察访核验"
kind = "扣分"
[[rule]]
name = "工作落实不力"
amount = 5
unit = "项"
targets = ["察访核验"]
[[rule]]
name = "媒体曝光经查属实"
amount = 20
targets = ["察访核验"]
[[multiplier]]
name = "省市发现双倍"
factor = 2
source_level = ["省", "市"]
targets = ["察访核验"]
[[multiplier]]
name = "区级已问责减半"
factor = 0.5
source_level = ["区"]
accountable = true
targets = ["察访核验"]
[[component]]
key = "inspection"
label = "察访核验扣分"
source = "pool"
name = "察访核验"
weight = -1.0
"""


def test_r1_weighted_composite_1000_scale(tmp_path):
    # F = 0.6(I + C) + 0.4P + B − V = 0.6(930 + 10) + 0.4·880 + 15 − 10 = 921
    extra = """
scale_to = 1000
weight = 0.6
[[component]]
key = "city"
label = "市对区激励"
source = "evaluation"
name = "市对区激励"
weight = 0.6
[[component]]
key = "public"
label = "公众评议"
source = "evaluation"
name = "公众评议"
full = 100
scale_to = 1000
weight = 0.4
[[component]]
key = "bonus"
label = "正向激励"
source = "pool"
name = "正向激励"
weight = 1.0
[[pool]]
name = "正向激励"
kind = "加分"
[[rule]]
name = "表彰"
kind = "加分"
amount = 15
targets = ["正向激励"]
""" + INSPECTION.replace('[[component]]\nkey = "inspection"', '[[component]]\nkey = "inspection"')
    thousand = scheme(total=1000, extra=extra, grades=THRESHOLD_GRADES.replace("= 90", "= 900").replace("= 80", "= 800")
                      .replace("= 70", "= 700")).replace("scale = 100", "scale = 1000")   # S3: a 1000-point scheme
    org = Org(tmp_path).year(2025, thousand,
                             [["", "", "业绩", 1000, "直接评分"]],
                             events=[event("B1", "甲", "正向激励", "表彰"), event("V1", "甲", "察访核验", "工作落实不力", level="市")],
                             scores=[["甲", "业绩", 930], ["乙", "业绩", 900], ["丙", "业绩", 900]],
                             evaluations=[["甲", "市对区激励", "", 10, ""], ["甲", "公众评议", "", 88, 100]])
    con = org.load()
    r = result_of(con, org.name, 2025, "甲")
    assert r["indicator"] == pytest.approx(930)
    assert r["public"] == pytest.approx(880)
    assert r["bonus"] == pytest.approx(15)
    assert r["inspection"] == pytest.approx(10)
    assert r["composite"] == pytest.approx(921.0)


S2_EXTRA = """
[[component]]
key = "grassroots"
label = "基层和群众评议"
source = "evaluation"
name = "基层和群众评议"
full = 5
[[component]]
key = "leader"
label = "领导评价"
source = "evaluation"
name = "领导评价"
full = 5
[[component]]
key = "deduction"
label = "扣分"
source = "pool"
name = "扣分"
weight = -1.0
[[component]]
key = "bonus"
label = "特别加分"
source = "pool"
name = "特别加分"
[[pool]]
name = "扣分"
kind = "扣分"
[[pool]]
name = "特别加分"
kind = "加分"
cap = 5
[[rule]]
name = "察访核验发现问题"
amount = 1
targets = ["扣分"]
[[rule]]
name = "活动缺勤"
amount = 0.5
targets = ["扣分"]
[[rule]]
name = "工作人员违法违纪"
amount = 6
targets = ["扣分"]
[[rule]]
name = "引发群体性事件"
amount = 10
targets = ["扣分"]
[[rule]]
name = "国家级表彰"
kind = "加分"
amount = 3
targets = ["特别加分"]
[[rule]]
name = "自治区兵团级表彰"
kind = "加分"
amount = 2
targets = ["特别加分"]
[[rule]]
name = "师级表彰"
kind = "加分"
amount = 1
targets = ["特别加分"]
"""


def test_r2_base_minus_deductions_plus_capped_bonus(tmp_path):
    # 84 + 4.2 + 4.6 = 92.8; − 1 − 0.5 = 91.3; bonus 3+2+1+1 = 7 capped at 5 → 96.3
    events = [event("D1", "甲", "扣分", "察访核验发现问题"), event("D2", "甲", "扣分", "活动缺勤"),
              event("B1", "甲", "特别加分", "国家级表彰", matter="A"), event("B2", "甲", "特别加分", "自治区兵团级表彰", matter="B"),
              event("B3", "甲", "特别加分", "师级表彰", matter="C"), event("B4", "甲", "特别加分", "师级表彰", matter="D")]
    org = Org(tmp_path).year(2025, scheme(total=90, extra=S2_EXTRA), [["", "", "集中考评", 90, "直接评分"]], events=events,
                             scores=[["甲", "集中考评", 84]],
                             evaluations=[["甲", "基层和群众评议", "问卷调查", 2.6, 3], ["甲", "基层和群众评议", "基层领导评议", 1.6, 2],
                                          ["甲", "领导评价", "", 4.6, 5]])
    con = org.load()
    r = result_of(con, org.name, 2025, "甲")
    assert r["grassroots"] == pytest.approx(4.2)
    assert r["deduction"] == pytest.approx(1.5)
    assert r["bonus"] == pytest.approx(5.0)   # R17: 7 capped at 5
    assert r["composite"] == pytest.approx(96.3)


FED = """
[[component]]
key = "incentive"
label = "正向激励"
source = "pool"
name = "正向激励"
[[pool]]
name = "正向激励"
kind = "加分"
cap = 10
[[rule]]
name = "交办事项逾期"
amount = 0.5
[[rule]]
name = "资料不齐全"
amount = 0.1
[[rule]]
name = "省委省政府主要领导肯定"
kind = "加分"
amount = 5
targets = ["正向激励"]
[[rule]]
name = "市委市政府主要领导肯定"
kind = "加分"
amount = 3
targets = ["正向激励"]
[[rule]]
name = "全国典型介绍交流"
kind = "加分"
amount = 2
targets = ["正向激励"]
[[rule]]
name = "主流媒体刊登转载"
kind = "加分"
amount = 1
targets = ["正向激励"]
"""


def test_r3_sum_of_indicators_plus_capped_incentive(tmp_path):
    # 90 − 3.1 + 8 = 94.9
    events = [event("D1", "甲", "业务", "交办事项逾期", count=6), event("D2", "甲", "业务", "资料不齐全"),
              event("B1", "甲", "正向激励", "省委省政府主要领导肯定", matter="A"),
              event("B2", "甲", "正向激励", "市委市政府主要领导肯定", matter="B")]
    org = Org(tmp_path).year(2025, scheme(total=90, extra=FED), [["", "", "业务", 90, "扣分制"]], events=events)
    con = org.load()
    r = result_of(con, org.name, 2025, "甲")
    assert r["indicator"] == pytest.approx(86.9)
    assert r["incentive"] == pytest.approx(8)
    assert r["composite"] == pytest.approx(94.9)


DUTY = """
[roles]
"牵头部室" = 1.0
"会稿部室" = 0.5
[[rule]]
name = "交办事项逾期"
amount = 0.5
[[rule]]
name = "值班脱岗漏岗"
amount = 0.2
unit = "人次"
[[rule]]
name = "值班信息延误造成严重后果"
amount = 1
[[rule]]
name = "未完成市级绩效指标任务"
range = [0.1, 0.5]
[[rule]]
name = "公文差错"
threshold = { upto = 5, amount = 0.2, each_beyond = 0.1 }
unit = "处"
[[rule]]
name = "公文差错（全部计）"
threshold = { upto = 5, amount = 0.2, each_beyond = 0.1, mode = "all" }
unit = "处"
[[rule]]
name = "通报表扬"
kind = "加分"
amount = 0.5
[[rule]]
name = "通报批评"
amount = 0.5
"""


def _indicators4():
    return [["", "", "值班", 4, "扣分制"], ["", "", "督办", 4, "扣分制"], ["", "", "公文", 4, "扣分制"],
            ["", "", "效能督查", 4, "扣分制"], ["", "", "公文二", 4, "扣分制"], ["", "", "指标体系", 40, "扣分制"]]


def test_r4_fixed_amount_per_event(tmp_path):
    # 3 late replies × 0.5 = 1.5 → 4 − 1.5 = 2.5
    org = Org(tmp_path).year(2025, scheme(total=60, extra=DUTY), _indicators4(),
                             events=[event("E1", "甲", "督办", "交办事项逾期", count=3)])
    assert score_of(org.load(), org.name, 2025, "甲", "督办") == pytest.approx(2.5)


def test_r5_ranged_amount_entered_with_reason(tmp_path):
    # amount chosen in [0.1, 0.5]: 0.3 → 40 − 0.3 = 39.7
    org = Org(tmp_path).year(2025, scheme(total=60, extra=DUTY), _indicators4(),
                             events=[event("E1", "甲", "指标体系", "未完成市级绩效指标任务", amount=0.3, text="完成85%")])
    assert score_of(org.load(), org.name, 2025, "甲", "指标体系") == pytest.approx(39.7)


def test_r6_deductions_stop_at_the_indicators_points(tmp_path):
    # 5×0.2 + 4×0.5 + 2×1 = 5 on a 4-point indicator → 0, not −1
    events = [event("E1", "甲", "值班", "值班脱岗漏岗", count=5, date="2025-02-01"),
              event("E2", "甲", "值班", "交办事项逾期", count=4, date="2025-03-01"),
              event("E3", "甲", "值班", "值班信息延误造成严重后果", count=2, date="2025-04-01")]
    org = Org(tmp_path).year(2025, scheme(total=60, extra=DUTY), _indicators4(), events=events)
    con = org.load()
    assert score_of(con, org.name, 2025, "甲", "值班") == 0.0
    lines = perfcore.explain(con, org.name, 2025, "甲", "值班")
    contrib = dict(zip(lines["event_id"].fillna("start"), lines["contribution"]))
    # the latest event is the one that no longer counts in full: 4 − 1 − 2 = 1 left for E3's 2 points
    assert contrib == pytest.approx({"start": 4.0, "E1": -1.0, "E2": -2.0, "E3": -1.0})
    assert trace.summary(lines)["reconciles"].all()


def test_r7_role_factor_and_r8_count_threshold(tmp_path):
    # 8 errors: 0.2 + 3×0.1 = 0.5 for the lead; the co-drafting unit is charged half, 0.25
    events = [event("E1", "甲", "公文", "公文差错", count=8, role="牵头部室"),
              event("E2", "乙", "公文", "公文差错", count=8, role="会稿部室"),
              event("E3", "丙", "公文", "公文差错", count=5),
              event("E4", "丙", "公文二", "公文差错（全部计）", count=8)]
    con = Org(tmp_path).year(2025, scheme(total=60, extra=DUTY), _indicators4(), events=events).load()
    assert score_of(con, "测试单位", 2025, "甲", "公文") == pytest.approx(3.5)
    assert score_of(con, "测试单位", 2025, "乙", "公文") == pytest.approx(3.75)
    assert score_of(con, "测试单位", 2025, "丙", "公文") == pytest.approx(3.8)    # 5 errors → 0.2
    assert score_of(con, "测试单位", 2025, "丙", "公文二") == pytest.approx(3.2)  # A6 alternative: 8 × 0.1


def _inspection_org(tmp_path, events, extra=""):
    return Org(tmp_path).year(2025, scheme(total=10, extra=INSPECTION + extra), [["", "", "业务", 10, "扣分制"]],
                              events=events).load()


def test_r9_double_for_higher_level_findings(tmp_path):
    con = _inspection_org(tmp_path, [event("V1", "甲", "察访核验", "工作落实不力", level="市")])
    assert result_of(con, "测试单位", 2025, "甲")["inspection"] == pytest.approx(10)


def test_r10_fixed_heavy_deduction(tmp_path):
    con = _inspection_org(tmp_path, [event("V1", "甲", "察访核验", "媒体曝光经查属实"),
                                     event("V2", "甲", "察访核验", "媒体曝光经查属实", date="2025-06-01")])
    assert result_of(con, "测试单位", 2025, "甲")["inspection"] == pytest.approx(40)


def test_r11_halved_when_the_unit_held_people_accountable(tmp_path):
    con = _inspection_org(tmp_path, [event("V1", "甲", "察访核验", "工作落实不力", level="区", accountable=2),
                                     event("V2", "乙", "察访核验", "工作落实不力", level="市", accountable=2)])
    assert result_of(con, "测试单位", 2025, "甲")["inspection"] == pytest.approx(2.5)
    # halving is for district findings only (S4 四.2); a city finding stays doubled
    assert result_of(con, "测试单位", 2025, "乙")["inspection"] == pytest.approx(10)


def test_r12_inspection_pool_is_uncapped_and_outside_indicators(tmp_path):
    # 30 findings × 5 = 150: more than the indicator's 10 points, and not limited by it
    events = [event(f"V{i}", "甲", "察访核验", "工作落实不力", date=f"2025-{1 + i % 12:02d}-10") for i in range(30)]
    con = _inspection_org(tmp_path, events)
    r = result_of(con, "测试单位", 2025, "甲")
    assert r["inspection"] == pytest.approx(150)
    assert r["indicator"] == pytest.approx(10)
    assert r["composite"] == pytest.approx(10 - 150)


def test_r13_one_problem_charged_once_at_the_higher_standard(tmp_path):
    # 落实不力 (5) and a city double (10) for one problem → 10, not 15
    con = _inspection_org(tmp_path, [event("V1", "甲", "察访核验", "工作落实不力", problem="P1"),
                                     event("V2", "甲", "察访核验", "工作落实不力", level="市", problem="P1", date="2025-07-01")])
    assert result_of(con, "测试单位", 2025, "甲")["inspection"] == pytest.approx(10)
    lines = perfcore.explain(con, "测试单位", 2025, "甲", "察访核验")
    v1 = lines[lines["event_id"] == "V1"].iloc[0]
    assert v1["contribution"] == 0 and "V2" in v1["note"]


MITIGATION = """
[[rule]]
name = "公文差错被通报"
amount = 1
targets = ["业务"]
[mitigation]
exempt_factor = 0.0
reduce_factor = 0.5
auto_exempt_code = 9
[mitigation.codes]
7 = "及时整改且效果好"
9 = "在绩效评估指标中已作相应扣分"
2 = "不可抗力"
"""


def test_r14_mitigation_exemption_and_automatic_item_9(tmp_path):
    extra = MITIGATION
    events = [event("V1", "甲", "察访核验", "工作落实不力", code=2, mode="免予", reason="不可抗力"),
              event("V2", "乙", "察访核验", "工作落实不力", code=7, mode="减轻", reason="及时整改"),
              event("I1", "丙", "业务", "公文差错被通报", problem="Q1"),
              event("V3", "丙", "察访核验", "工作落实不力", problem="Q1")]
    org = Org(tmp_path).year(2025, scheme(total=10, extra=INSPECTION.replace('kind = "扣分"', 'kind = "扣分"\nexempt_if_indicator_deducted = true') + extra),
                             [["", "", "业务", 10, "扣分制"]], events=events)
    con = org.load()
    assert result_of(con, org.name, 2025, "甲")["inspection"] == 0
    assert result_of(con, org.name, 2025, "乙")["inspection"] == pytest.approx(2.5)
    r = result_of(con, org.name, 2025, "丙")
    assert r["inspection"] == 0 and r["indicator"] == pytest.approx(9)
    note = perfcore.explain(con, org.name, 2025, "丙", "察访核验").set_index("event_id").loc["V3", "note"]
    assert "减免依据9" in note and "自动" in note


def test_r15_heavy_per_event_deductions(tmp_path):
    events = [event("D1", "甲", "扣分", "工作人员违法违纪"), event("D2", "甲", "扣分", "引发群体性事件", date="2025-08-01")]
    org = Org(tmp_path).year(2025, scheme(total=90, extra=S2_EXTRA), [["", "", "集中考评", 90, "扣分制"]], events=events)
    assert result_of(org.load(), org.name, 2025, "甲")["deduction"] == pytest.approx(16)


def test_r15_secrecy_leak_costs_the_whole_indicator_and_vetoes(tmp_path):
    extra = """
[[rule]]
name = "发生失泄密事件"
amount = 4
veto = true
"""
    org = Org(tmp_path).year(2025, scheme(total=94, extra=extra), [["", "", "保密工作", 4, "扣分制"], ["", "", "业务", 90, "扣分制"]],
                             events=[event("S1", "甲", "保密工作", "发生失泄密事件")])
    r = result_of(org.load(), org.name, 2025, "甲")
    assert r["composite"] == pytest.approx(90)      # A10: the deduction applies …
    assert r["veto"] and r["grade"] == "不合格"       # … and so does the veto
    assert "发生失泄密事件" in r["veto_reason"]


def test_r16_same_matter_counts_once_at_its_highest_and_r17_cap(tmp_path):
    # A (+5, +1) → 5; B (+3) → 3; C (+2, +1) → 2; total 10. One more +3 still gives 10 (cap).
    ev = [event("A1", "甲", "正向激励", "省委省政府主要领导肯定", matter="A"), event("A2", "甲", "正向激励", "主流媒体刊登转载", matter="A"),
          event("B1", "甲", "正向激励", "市委市政府主要领导肯定", matter="B"),
          event("C1", "甲", "正向激励", "全国典型介绍交流", matter="C"), event("C2", "甲", "正向激励", "主流媒体刊登转载", matter="C"),
          event("D1", "乙", "正向激励", "省委省政府主要领导肯定", matter="A"), event("D2", "乙", "正向激励", "主流媒体刊登转载", matter="A"),
          event("D3", "乙", "正向激励", "市委市政府主要领导肯定", matter="B"), event("D4", "乙", "正向激励", "全国典型介绍交流", matter="C"),
          event("D5", "乙", "正向激励", "市委市政府主要领导肯定", matter="E", date="2025-09-01")]
    con = Org(tmp_path).year(2025, scheme(total=90, extra=FED), [["", "", "业务", 90, "扣分制"]], events=ev).load()
    assert result_of(con, "测试单位", 2025, "甲")["incentive"] == pytest.approx(10)
    assert result_of(con, "测试单位", 2025, "乙")["incentive"] == pytest.approx(10)
    lines = perfcore.explain(con, "测试单位", 2025, "乙", "正向激励").set_index("event_id")
    assert lines.loc["D5", "contribution"] == 0        # the cap trims the latest bonus
    assert lines.loc["D2", "contribution"] == 0        # same matter: only the highest counts


def test_r18_accountability_bonus_capped_per_rule(tmp_path):
    extra = """
[[rule]]
name = "自行察访核验问责"
kind = "加分"
amount = 1
unit = "人次"
cap = 10
"""
    org = Org(tmp_path).year(2025, scheme(total=20, extra=extra), [["", "", "机关效能建设", 20, "累加制"]],
                             events=[event("A1", "甲", "机关效能建设", "自行察访核验问责", count=11)])
    assert score_of(org.load(), org.name, 2025, "甲", "机关效能建设") == pytest.approx(10)


def test_r19_praise_and_criticism_in_one_indicator(tmp_path):
    # 1 praise (+0.5) and 2 criticisms (−0.5 each) on a 4-point indicator → 3.5
    events = [event("P1", "甲", "效能督查", "通报表扬"), event("C1", "甲", "效能督查", "通报批评", count=2)]
    con = Org(tmp_path).year(2025, scheme(total=60, extra=DUTY), _indicators4(), events=events).load()
    assert score_of(con, "测试单位", 2025, "甲", "效能督查") == pytest.approx(3.5)


def _count_bonus_org(tmp_path, how):
    extra = f"""
[[rule]]
name = "未完成任务"
amount = 1
[[indicator_rule]]
indicator = "绩效指标体系"
count_bonus_per_item = 0.2
count_average = "{how}"
"""
    org = Org(tmp_path)
    org.units = [["甲", "部室"], ["乙", "部室"], ["丙", "部室"], ["丁", "部室"], ["戊", "部室"]]
    carried = {"甲": 7, "乙": 4, "丙": 4, "丁": 4, "戊": 3}   # 22 indicators / 5 sections: average 4.4
    assignments = [[u, "绩效指标体系", f"指标{i}", "", ""] for u, k in carried.items() for i in range(k)]
    org.year(2025, scheme(total=40, extra=extra), [["", "", "绩效指标体系", 40, "扣分制"]],
             events=[event("E1", "甲", "绩效指标体系", "未完成任务")], assignments=assignments)
    return org.load()


def test_r20_bonus_for_more_indicators_than_average(tmp_path):
    # A7: 7 − ⌊4.4⌋ = 3 items → +0.6; 40 − 1 + 0.6 = 39.6
    assert score_of(_count_bonus_org(tmp_path, "floor"), "测试单位", 2025, "甲", "绩效指标体系") == pytest.approx(39.6)


def test_r20_alternative_reading(tmp_path):
    # ⌊7 − 4.4⌋ = 2 items → +0.4; 40 − 1 + 0.4 = 39.4
    assert score_of(_count_bonus_org(tmp_path, "exact"), "测试单位", 2025, "甲", "绩效指标体系") == pytest.approx(39.4)


TIERS = """
[[tier_table]]
name = "完成率分档"
tiers = [
  { min = 1.30, inclusive = false, points = 0.5 },
  { min = 1.05, inclusive = true, points = 0.2 },
  { min = 1.00, inclusive = true, points = 0.0 },
  { min = 0.80, inclusive = true, points = -0.3 },
  { min = 0.50, inclusive = false, points = -0.5 },
  { points = -1.0 },
]
[[indicator_rule]]
indicator = "业务实绩"
ratio_tiers = "完成率分档"
"""


def test_r21_completion_ratio_tiers(tmp_path):
    # 118% +0.2, 135% +0.5, 90% −0.3, 40% −1 → −0.6 → 9.4
    a = [["甲", "业务实绩", "一", 100, 118], ["甲", "业务实绩", "二", 100, 135], ["甲", "业务实绩", "三", 100, 90],
         ["甲", "业务实绩", "四", 100, 40],
         # A6 boundaries: 80% → −0.3, 50% → −1, 105% → +0.2, 130% → +0.2, 100% → 0
         ["乙", "业务实绩", "一", 100, 80], ["乙", "业务实绩", "二", 100, 50], ["乙", "业务实绩", "三", 100, 105],
         ["乙", "业务实绩", "四", 100, 130], ["乙", "业务实绩", "五", 100, 100]]
    con = Org(tmp_path).year(2025, scheme(total=10, extra=TIERS), [["", "", "业务实绩", 10, "扣分制"]], assignments=a).load()
    assert score_of(con, "测试单位", 2025, "甲", "业务实绩") == pytest.approx(9.4)
    assert score_of(con, "测试单位", 2025, "乙", "业务实绩") == pytest.approx(10 - 0.3 - 1 + 0.2 + 0.2)


def test_r21_tier_boundaries_directly():
    from perfcore.engine.events import tier_points
    from perfcore.engine.scheme import parse
    tiers = parse(scheme(total=10, extra="") + TIERS.split("[[indicator_rule]]")[0], "t").tier_tables["完成率分档"]
    expected = {1.31: 0.5, 1.30: 0.2, 1.05: 0.2, 1.04: 0.0, 1.0: 0.0, 0.99: -0.3, 0.8: -0.3, 0.79: -0.5, 0.51: -0.5,
                0.5: -1.0, 0.0: -1.0}
    assert {r: tier_points(r, tiers) for r in expected} == expected


def test_r22_veto_gives_the_lowest_grade_whatever_the_score(tmp_path):
    org = Org(tmp_path).year(2025, scheme(total=100), [["", "", "业务", 100, "直接评分"]],
                             scores=[["甲", "业务", 95], ["乙", "业务", 95], ["丙", "业务", 85]],
                             vetoes=[["甲", "发生失泄密事件", "2025-04-02", "经查属实"]])
    con = org.load()
    r = result_of(con, org.name, 2025, "甲")
    assert r["composite"] == pytest.approx(95) and r["veto"] and r["grade"] == "不合格"
    assert result_of(con, org.name, 2025, "乙")["grade"] == "优秀"


def test_r23_threshold_grades():
    from perfcore.engine.scheme import parse
    s = parse(scheme(total=10), "t")
    grades = grading.threshold_grades([89.99, 70.00, 90.0, 80.0, 69.99, 100.0], [False] * 6, s)
    assert list(grades) == ["良好", "合格", "优秀", "良好", "不合格", "优秀"]


FORCED = """
[grading]
mode = "forced"
absorb = "达标"
[[grade]]
name = "优秀"
share = 0.25
reward = 1.10
[[grade]]
name = "良好"
share = 0.35
reward = 1.05
[[grade]]
name = "达标"
share = 0.34
reward = 1.00
[[grade]]
name = "不达标"
share = 0.06
reward = 0.80
"""


def _forced_org(tmp_path, n, vetoed=()):
    org = Org(tmp_path)
    org.units = [[f"单位{i:02d}", "一系列" if i % 2 else "二系列"] for i in range(n)]
    scores = [[f"单位{i:02d}", "业务", 99 - i * 0.5] for i in range(n)]
    org.year(2025, scheme(total=100, grades=FORCED), [["", "", "业务", 100, "直接评分"]], scores=scores,
             vetoes=[[u, "安全生产", "2025-03-01", ""] for u in vetoed])
    return org.load()


def test_r24_forced_distribution_40_units(tmp_path):
    # quotas 10 / 14 / 13.6 / 2.4 → 10 / 14 / 14 / 2 (A4)
    con = _forced_org(tmp_path, 40)
    counts = perfcore.score(con, "测试单位", 2025).results["grade"].value_counts().to_dict()
    assert counts == {"优秀": 10, "良好": 14, "达标": 14, "不达标": 2}


def test_r24_vetoes_fill_and_extend_the_lowest_grade(tmp_path):
    # 3 vetoed among 40: quota for 不达标 is 2, so it extends to 3 and 达标 shrinks to 13 (A3)
    con = _forced_org(tmp_path, 40, vetoed=["单位00", "单位01", "单位02"])
    res = perfcore.score(con, "测试单位", 2025).results.set_index("unit")
    assert res["grade"].value_counts().to_dict() == {"优秀": 10, "良好": 14, "达标": 13, "不达标": 3}
    assert res.loc["单位00", "grade"] == "不达标" and res.loc["单位03", "grade"] == "优秀"


def test_a4_quota_rounding():
    from perfcore.engine.scheme import parse
    s = parse(scheme(total=10, grades=FORCED), "t")
    # 40: 10 / 14 / 13.6 / 2.4 → 10 / 14 / 14 / 2
    assert grading.quotas(40, s) == [10, 14, 14, 2]
    # 32: 8 / 11.2 / 10.88 / 1.92 → whole parts 8/11/10/1, two seats left go to the largest
    # fractions among the non-penalty grades (达标 .88, 良好 .2) → 8 / 12 / 11 / 1
    assert grading.quotas(32, s) == [8, 12, 11, 1]
    # 7: 1.75 / 2.45 / 2.38 / 0.42 → 2 / 3 / 2 / 0 (literal A4 'protect' gives 1 / 2 / 4 / 0)
    assert grading.quotas(7, s) == [2, 3, 2, 0]
    literal = parse(scheme(total=10, grades=FORCED.replace('absorb = "达标"', 'absorb = "达标"\nquota_rounding = "protect"')), "t")
    assert grading.quotas(32, literal) == [8, 11, 12, 1]
    assert grading.quotas(7, literal) == [1, 2, 4, 0]


def test_r25_competition_ranking_and_rank_change(tmp_path):
    assert list(grading.competition_rank([90, 85, 85, 80])) == [1, 2, 2, 4]
    org = Org(tmp_path)
    org.units = [[f"单位{i:02d}", "一系列"] for i in range(12)]
    # 单位11 is 12th in 2024 and 7th in 2025 → 上升5位
    s24 = [[f"单位{i:02d}", "业务", 99 - i] for i in range(12)]
    s25 = [[f"单位{i:02d}", "业务", 99 - i] for i in range(6)] + [["单位11", "业务", 92.5]] + \
          [[f"单位{i:02d}", "业务", 99 - i - 1] for i in range(6, 11)]
    org.year(2024, scheme(year=2024, total=100), [["", "", "业务", 100, "直接评分"]], scores=s24)
    org.year(2025, scheme(year=2025, total=100), [["", "", "业务", 100, "直接评分"]], scores=s25)
    r = result_of(org.load(), org.name, 2025, "单位11")
    assert (r["prev_rank"], r["rank"], r["rank_change"], r["movement"]) == (12, 7, 5, "上升5位")


TALK = """
[[consequence]]
name = "集体约谈"
lowest = true
below = 80
years = 2
[[consequence]]
name = "负责人不能评为优秀"
lowest = true
below = 80
"""


@pytest.mark.parametrize("second, talk", [(79.2, True), (80.1, False)])
def test_r26_two_consecutive_lowest_years_and_r27_head(tmp_path, second, talk):
    org = Org(tmp_path)
    org.year(2024, scheme(year=2024, total=100) + TALK, [["", "", "业务", 100, "直接评分"]],
             scores=[["甲", "业务", 90], ["乙", "业务", 85], ["丙", "业务", 78.5]])
    org.year(2025, scheme(year=2025, total=100) + TALK, [["", "", "业务", 100, "直接评分"]],
             scores=[["甲", "业务", 90], ["乙", "业务", 85], ["丙", "业务", second]])
    r = result_of(org.load(), org.name, 2025, "丙")
    assert ("集体约谈" in r["consequences"]) is talk
    assert ("负责人不能评为优秀" in r["consequences"]) is talk


def test_r27_s2_below_standard_consequences_and_r28_rewards(tmp_path):
    extra_cons = """
[[consequence]]
name = "诫勉谈话、取消评先评优资格、公务员评优比例降低5%"
grade = "不达标"
[[consequence]]
name = "连续两年不达标：组织处理建议"
grade = "不达标"
years = 2
"""
    org = Org(tmp_path)
    org.units = [[f"单位{i:02d}", "一系列"] for i in range(20)]
    for year in (2024, 2025):
        org.year(year, scheme(year=year, total=100, grades=FORCED) + extra_cons, [["", "", "业务", 100, "直接评分"]],
                 scores=[[f"单位{i:02d}", "业务", 99 - i] for i in range(20)])
    res = perfcore.score(org.load(), org.name, 2025).results.set_index("unit")
    # 20 units: 5 / 7 / 7 / 1; the last one is 不达标 both years
    assert res.loc["单位19", "grade"] == "不达标"
    assert res.loc["单位19", "consequences"] == ["诫勉谈话、取消评先评优资格、公务员评优比例降低5%", "连续两年不达标：组织处理建议"]
    # R28: base award 8,000 → 8,800 / 8,400 / 8,000 / 6,400
    award = {g: round(8000 * res[res["grade"] == g]["reward"].iloc[0]) for g in ["优秀", "良好", "达标", "不达标"]}
    assert award == {"优秀": 8800, "良好": 8400, "达标": 8000, "不达标": 6400}


def test_a5_ties_at_a_grade_boundary_all_get_the_higher_grade(tmp_path):
    org = Org(tmp_path)
    org.units = [[f"单位{i:02d}", "一系列"] for i in range(8)]
    # quotas for 8: 2 / 2 / 4 / 0 ; units 1 and 2 tie at 98 → both 优秀
    scores = [["单位00", "业务", 99], ["单位01", "业务", 98], ["单位02", "业务", 98]] + \
             [[f"单位{i:02d}", "业务", 95 - i] for i in range(3, 8)]
    org.year(2025, scheme(total=100, grades=FORCED), [["", "", "业务", 100, "直接评分"]], scores=scores)
    ys = perfcore.score(org.load(), org.name, 2025)
    res = ys.results.set_index("unit")
    assert list(res.loc[["单位00", "单位01", "单位02"], "grade"]) == ["优秀", "优秀", "优秀"]
    assert list(res.loc[["单位01", "单位02"], "rank"]) == [2, 2]
    assert any("单位02" in n for n in ys.notes)
