"""Rules R1–R28 of DOMAIN.md, each with the value worked out by hand from the rule text."""
from __future__ import annotations

import pytest

import perfcore
from perfcore.engine import grading
from perfcore.engine import trace
from tests.builders import Org, THRESHOLD_GRADES, event, result_of, scheme, score_of


@pytest.fixture(autouse=True, params=["codes", "texts"])
def reading(request, monkeypatch):
    """Every rule twice: scored from the events' stored codes (store.codes), and from their texts, as a
    database made before the codes is read."""
    if request.param == "texts":
        from perfcore.engine import eventset
        monkeypatch.setattr(eventset, "_scan", lambda *args: None)
    return request.param


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
optional = true
full = 20
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


ACCOUNTABILITY = """
[[rule]]
name = "自行察访核验问责"
kind = "加分"
amount = 1
unit = "人次"
cap = 10
"""


def test_r18_accountability_bonus_capped_per_rule(tmp_path):
    extra = ACCOUNTABILITY
    org = Org(tmp_path).year(2025, scheme(total=20, extra=extra), [["", "", "机关效能建设", 20, "累加制"]],
                             events=[event("A1", "甲", "机关效能建设", "自行察访核验问责", count=11)])
    assert score_of(org.load(), org.name, 2025, "甲", "机关效能建设") == pytest.approx(10)


def test_r18_same_day_records_use_the_cap_in_id_order(tmp_path):
    # cap 10, 1 per person: B-2 (6) and B-1 (6) on the same day, recorded B-2 first. Ties go to the
    # earlier id: B-1 counts 6, B-2 the 4 left. B-3 and B-4 (1 each, another unit) never reach the cap.
    extra = ACCOUNTABILITY
    events = [event("B-2", "甲", "机关效能建设", "自行察访核验问责", count=6, date="2025-03-01"),
              event("B-1", "甲", "机关效能建设", "自行察访核验问责", count=6, date="2025-03-01"),
              event("B-4", "乙", "机关效能建设", "自行察访核验问责", date="2025-03-01"),
              event("B-3", "乙", "机关效能建设", "自行察访核验问责", date="2025-03-01")]
    org = Org(tmp_path).year(2025, scheme(total=20, extra=extra), [["", "", "机关效能建设", 20, "累加制"]], events=events)
    con = org.load()
    lines = perfcore.explain(con, org.name, 2025, "甲", "机关效能建设").set_index("event_id")
    assert lines.loc["B-1", "contribution"] == pytest.approx(6)
    assert lines.loc["B-2", "contribution"] == pytest.approx(4)
    assert score_of(con, org.name, 2025, "乙", "机关效能建设") == pytest.approx(2)


def test_r13_same_day_same_amount_the_earlier_id_is_the_one_charged(tmp_path):
    # one problem, 5 points each, both on 1 July, recorded P-B first: P-A (the earlier id) is charged,
    # P-B is the duplicate and names P-A
    con = _inspection_org(tmp_path, [event("P-B", "甲", "察访核验", "工作落实不力", problem="P1", date="2025-07-01"),
                                     event("P-A", "甲", "察访核验", "工作落实不力", problem="P1", date="2025-07-01")])
    assert result_of(con, "测试单位", 2025, "甲")["inspection"] == pytest.approx(5)
    lines = perfcore.explain(con, "测试单位", 2025, "甲", "察访核验").set_index("event_id")
    assert lines.loc["P-A", "contribution"] == pytest.approx(-5)
    assert lines.loc["P-B", "contribution"] == 0 and "P-A" in lines.loc["P-B", "note"]


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
    con = _count_bonus_org(tmp_path, "floor")
    assert score_of(con, "测试单位", 2025, "甲", "绩效指标体系") == pytest.approx(39.6)
    line = perfcore.explain(con, "测试单位", 2025, "甲", "绩效指标体系").set_index("event_id").loc["承担指标数"]
    assert "承担 7 项，平均 4.40 项，多 3 项 × 0.2" in line["note"]
    assert "7 items, 4.40 on average, 3 above it × 0.2" in line["note_en"]


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
    notes = perfcore.explain(con, "测试单位", 2025, "甲", "业务实绩").set_index("event_id")
    assert "一：完成 118/100 = 118.00%" in notes.loc["完成率:一", "note"]      # how it was counted, in both languages
    assert "一: done 118/100 = 118.00%" in notes.loc["完成率:一", "note_en"]
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
    con = org.load()
    r = result_of(con, org.name, 2025, "单位11")
    assert (r["prev_rank"], r["rank"], r["rank_change"], r["movement"]) == (12, 7, 5, "上升5位")
    # and by score: 88 (99 − 11) last year, 92.5 now → +4.50; 单位00–05 are unchanged, 单位06–10 lost a point each
    from perfcore.present import views
    table = views.league_table(perfcore.score(con, org.name, 2025)).set_index("unit")
    assert (table.loc["单位11", "prev_composite"], table.loc["单位11", "composite_change"]) == (88.0, 4.5)
    assert table.loc["单位07", "composite_change"] == -1.0
    improved = views.most_improved(perfcore.score(con, org.name, 2025))
    assert improved[["unit", "change"]].values.tolist() == [["单位11", 4.5]]      # only the one that rose


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


# ---------------------------------------------------------------- rules the scheme gained (issue 11)

REWARD = """
[reward]
name = "基准奖"
base = 8000
[reward.base_by_series]
"二系列" = 6000
"""


def test_r28_reward_amounts_by_grade_and_series(tmp_path):
    org = Org(tmp_path)
    org.units = [[f"单位{i:02d}", "二系列" if i in (0, 10) else "一系列"] for i in range(20)]
    org.year(2025, scheme(total=100, grades=FORCED) + REWARD, [["", "", "业务", 100, "直接评分"]],
             scores=[[f"单位{i:02d}", "业务", 99 - i] for i in range(20)])
    res = perfcore.score(org.load(), org.name, 2025).results.set_index("unit")
    # 20 units: 5 优秀 / 7 良好 / 7 达标 / 1 不达标 (A4). S2: 达标 gets the base award; 优秀 +10%,
    # 良好 +5%, 不达标 −20%: 8,000 → 8,800 / 8,400 / 8,000 / 6,400
    one = res[res["series"] == "一系列"]
    award = {g: one[one["grade"] == g]["reward_amount"].iloc[0] for g in ["优秀", "良好", "达标", "不达标"]}
    assert award == {"优秀": 8800, "良好": 8400, "达标": 8000, "不达标": 6400}
    # the base may differ by series: 二系列's base is 6,000, so its 优秀 unit gets 6,000 × 1.10 = 6,600
    # and its 良好 unit (单位10, 11th) 6,000 × 1.05 = 6,300
    assert (res.loc["单位00", "grade"], res.loc["单位00", "reward_base"], res.loc["单位00", "reward_amount"]) == ("优秀", 6000, 6600)
    assert (res.loc["单位10", "grade"], res.loc["单位10", "reward_amount"]) == ("良好", 6300)
    assert res.loc["单位03", "reward"] == pytest.approx(1.10)   # the factor stays beside the amount


def test_r28_reward_base_by_level(tmp_path):
    org = Org(tmp_path)
    org.units = [["甲", "一系列", "乡镇"], ["乙", "一系列", "区直部门"], ["丙", "一系列", "区直部门"]]
    grades = THRESHOLD_GRADES.replace('min = 90', 'min = 90\nreward = 1.2').replace('max = 90', 'max = 90\nreward = 1.1') \
        .replace('max = 80', 'max = 80\nreward = 1.0').replace('max = 70\n', 'max = 70\nreward = 0.5\n')
    reward = '[reward]\nbase = 5000\n[reward.base_by_level]\n"乡镇" = 4000\n'
    org.year(2025, scheme(total=100, grades=grades) + reward, [["", "", "业务", 100, "直接评分"]],
             scores=[["甲", "业务", 95], ["乙", "业务", 85], ["丙", "业务", 60]])
    res = perfcore.score(org.load(), org.name, 2025).results.set_index("unit")
    # 甲 (乡镇, 优秀): 4,000 × 1.2 = 4,800; 乙 (区直, 良好): 5,000 × 1.1 = 5,500; 丙 (不合格): 5,000 × 0.5 = 2,500
    assert res["reward_amount"].to_dict() == {"甲": 4800, "乙": 5500, "丙": 2500}


EXHAUSTED = """
[[rule]]
name = "违反保密管理规定"
amount = 0.5
[[rule]]
name = "值班脱岗漏岗"
amount = 0.2
unit = "人次"
[[consequence]]
name = "取消评先资格"
label_en = "No awards this year"
exhausted = ["保密工作"]
[[consequence]]
name = "指标分值扣完通报"
exhausted_any = true
"""


def test_e2_an_indicator_used_up_cancels_award_eligibility(tmp_path):
    # E2: 如此项分值扣完则取消评先资格. 保密工作 has 4 points, 0.5 per breach:
    # 甲 8 breaches → 4 − 4 = 0 (used up); 乙 7 → 4 − 3.5 = 0.5 (not); 丙 10 → 4 − 5 → 0 (扣完为止, used up).
    # 值班 (4 points, 0.2 per person): 乙 20 persons → 4 − 4 = 0, used up, but it is not 保密工作.
    events = [event("E1", "甲", "保密工作", "违反保密管理规定", count=8), event("E2", "乙", "保密工作", "违反保密管理规定", count=7),
              event("E3", "丙", "保密工作", "违反保密管理规定", count=10), event("E4", "乙", "值班", "值班脱岗漏岗", count=20)]
    org = Org(tmp_path).year(2025, scheme(total=10, extra=EXHAUSTED),
                             [["", "", "保密工作", 4, "扣分制"], ["", "", "值班", 4, "扣分制"], ["", "", "加分项", 2, "累加制"]],
                             events=events)
    res = perfcore.score(org.load(), org.name, 2025).results.set_index("unit")
    assert res.loc["甲", "consequences"] == ["取消评先资格（保密工作 分值扣完）", "指标分值扣完通报（保密工作 分值扣完）"]
    assert res.loc["乙", "consequences"] == ["指标分值扣完通报（值班 分值扣完）"]
    assert res.loc["丙", "exhausted"] == ["保密工作"]
    # a 累加制 indicator at 0 with nothing deducted has not been "used up"
    assert "加分项" not in res.loc["甲", "exhausted"]
    assert res.loc["甲", "consequence_details"][0] == {"name": "取消评先资格", "label_en": "No awards this year",
                                                     "people": [], "indicators": ["保密工作"]}


PROGRESS = """
[[indicator_rule]]
indicator = "业绩指标"
completion_share = 0.6
improvement_share = 0.4
improvement_full = 0.10
"""


def test_r30_progress_score_by_completion_and_improvement_shares(tmp_path):
    # 业绩指标 200 points: 60 % for completion (min(完成值/目标值, 1), averaged over the unit's items),
    # 40 % for improvement on last year (a 10 % rise earns the whole share; averaged over the items
    # that have last year's value).
    a = [["甲", "业绩指标", "A", 100, 100, 90],    # done 1.0; +11.1 % → full improvement
         ["甲", "业绩指标", "B", 50, 40, 40],      # done 0.8; +0 % → none
         ["乙", "业绩指标", "A", 100, 120, 100],   # done 1.0 (capped); +20 % → full
         ["乙", "业绩指标", "B", 100, 50, ""],     # done 0.5; no last year: left out of improvement
         ["丙", "业绩指标", "A", 10, 9, 10]]       # done 0.9; −10 % → none
    con = Org(tmp_path).year(2025, scheme(total=200, extra=PROGRESS).replace("scale = 100", "scale = 200"),
                             [["", "", "业绩指标", 200, "累加制"]],
                             assignments=a).load()
    # 甲: 200×0.6×(1 + 0.8)/2 = 108; 200×0.4×(1 + 0)/2 = 40 → 148
    assert score_of(con, "测试单位", 2025, "甲", "业绩指标") == pytest.approx(148)
    # 乙: 120×(1 + 0.5)/2 = 90; 80×1/1 = 80 → 170
    assert score_of(con, "测试单位", 2025, "乙", "业绩指标") == pytest.approx(170)
    # 丙: 120×0.9 = 108; 0 → 108
    assert score_of(con, "测试单位", 2025, "丙", "业绩指标") == pytest.approx(108)
    lines = perfcore.explain(con, "测试单位", 2025, "乙", "业绩指标")
    assert trace.summary(lines)["reconciles"].all()
    assert any("不计进步分" in n for n in lines["note"].dropna())
    notes = lines.set_index("event_id")["note_en"]      # in English too: 乙's A counts 60 + 80, its B 30 and no improvement
    assert "A: done 120/100 (counts 100%) × 0.6 × 200 ÷ 2 items = 60.00; up 20.00% on last year (full points at 10%, " \
           "counts 100%) × 0.4 × 200 ÷ 1 items = 80.00" in notes.loc["完成及进步:A"]
    assert "B: done 50/100 (counts 50%) × 0.6 × 200 ÷ 2 items = 30.00; no comparable value last year: no progress points" \
           in notes.loc["完成及进步:B"]
    # a what-if that gives the indicator 100 points halves every share: 乙 → 85
    from perfcore.engine.whatif import WhatIf
    sim = WhatIf(con, "测试单位", 2025).simulate(points={"业绩指标": 100})
    assert sim.results.set_index("unit").loc["乙", "indicator"] == pytest.approx(85)


CHANGE_TIERS = """
[[tier_table]]
name = "进步分档"
tiers = [
  { min = 0.10, inclusive = true, points = 2 },
  { min = 0.0, inclusive = false, points = 1 },
  { min = 0.0, inclusive = true, points = 0 },
  { points = -1 },
]
[[indicator_rule]]
indicator = "重点工作"
change_tiers = "进步分档"
[[tier_table]]
name = "增量分档"
tiers = [{ min = 5, inclusive = true, points = 1 }, { points = 0 }]
[[indicator_rule]]
indicator = "新增项目"
change_tiers = "增量分档"
change_measure = "absolute"
"""


def test_r30_progress_score_by_tiers_on_the_change(tmp_path):
    # 重点工作 (扣分制, 10): per item, +2 for a rise of 10 % or more, +1 for a rise below 10 %, 0 for none,
    # −1 for a fall. 甲: 110/100 (+10 % → +2) and 95/100 (−5 % → −1) → 10 + 2 − 1 = 11 → 10 (ceiling);
    # 乙: 103/100 (+3 % → +1), 100/100 (0 → 0), 80/100 (−20 % → −1) → 10 + 1 + 0 − 1 = 10 ... shown by its lines;
    # 丙: 50/60 (−16.7 % → −1) and 30/40 (−25 % → −1) → 8.
    # 新增项目 (累加制, 5): by the absolute change, +1 for 5 or more: 甲 12 against 7 → +1; 乙 11 against 7 → 0.
    a = [["甲", "重点工作", "一", 100, 110, 100], ["甲", "重点工作", "二", 100, 95, 100],
         ["乙", "重点工作", "一", 100, 103, 100], ["乙", "重点工作", "二", 100, 100, 100], ["乙", "重点工作", "三", 100, 80, 100],
         ["丙", "重点工作", "一", 100, 50, 60], ["丙", "重点工作", "二", 100, 30, 40],
         ["甲", "新增项目", "一", 10, 12, 7], ["乙", "新增项目", "一", 10, 11, 7]]
    con = Org(tmp_path).year(2025, scheme(total=15, extra=CHANGE_TIERS),
                             [["", "", "重点工作", 10, "扣分制"], ["", "", "新增项目", 5, "累加制"]], assignments=a).load()
    assert score_of(con, "测试单位", 2025, "甲", "重点工作") == pytest.approx(10)
    assert score_of(con, "测试单位", 2025, "丙", "重点工作") == pytest.approx(8)
    lines = perfcore.explain(con, "测试单位", 2025, "乙", "重点工作").set_index("event_id")
    assert lines.loc[["进步:一", "进步:二", "进步:三"], "final"].tolist() == [1, 0, -1]
    assert score_of(con, "测试单位", 2025, "甲", "新增项目") == pytest.approx(1)
    assert score_of(con, "测试单位", 2025, "乙", "新增项目") == pytest.approx(0)
    notes = perfcore.explain(con, "测试单位", 2025, "乙", "重点工作").set_index("event_id")["note_en"]
    assert "一: 100 last year, 103 this year, up 3.00% on last year" in notes.loc["进步:一"]
    assert "三: 100 last year, 80 this year, down 20.00% on last year" in notes.loc["进步:三"]
    assert "一: 7 last year, 11 this year, +4 on last year" in \
        perfcore.explain(con, "测试单位", 2025, "乙", "新增项目").set_index("event_id").loc["进步:一", "note_en"]


RANKS = """
[[rank_rule]]
ranking = "全省排名"
target = "省考核排名"
top = [5, 4, 3, 2, 1]
bottom = [-5]
"""


def test_r21b_rank_position_bonus(tmp_path):
    # 省里排前5名…第1名加5分…最后1名扣5分: 1st of 20 → +5; 3rd → +3; 10th → 0; 20th of 20 → −5.
    org = Org(tmp_path)
    org.units = [["甲", "一系列"], ["乙", "一系列"], ["丙", "一系列"], ["丁", "一系列"]]
    con = org.year(2025, scheme(total=10, extra=RANKS), [["", "", "省考核排名", 10, "扣分制", "是"]],
                   ranks=[["甲", "全省排名", 1, 20], ["乙", "全省排名", 20, 20], ["丙", "全省排名", 10, 20],
                          ["丁", "全省排名", 3, 20]]).load()
    scores = {u: score_of(con, "测试单位", 2025, u, "省考核排名") for u in "甲乙丙丁"}
    assert scores == pytest.approx({"甲": 15, "乙": 5, "丙": 10, "丁": 13})   # 可超分: 10 + 5 = 15
    note = perfcore.explain(con, "测试单位", 2025, "乙", "省考核排名").set_index("event_id").loc["名次:全省排名", "note"]
    assert "第 20 名（共 20 名）" in note
    note_en = perfcore.explain(con, "测试单位", 2025, "乙", "省考核排名").set_index("event_id").loc["名次:全省排名", "note_en"]
    assert "全省排名: place 20 of 20" in note_en and "（" not in note_en


def test_r21b_a_place_both_near_the_top_and_last_takes_the_top_points():
    from perfcore.engine.scheme import RankRule
    rule = RankRule("全省排名", "x", top=(5, 4, 3, 2, 1), bottom=(-5, -3))
    # 3 ranked: 3rd is both 3rd and last → +3; 20 ranked: 19th is second-last → −3
    assert [rule.points(3, 3), rule.points(19, 20), rule.points(20, 20), rule.points(7, 20)] == [3, -3, -5, 0]


PEOPLE_S2 = """
[[consequence]]
name = "扣发当事人及主要领导、分管领导全额奖金"
veto = true
people = ["当事人", "主要领导", "分管领导"]
[[consequence]]
name = "部室负责人不能评为优秀"
lowest = true
below = 80
people = ["主要领导"]
"""


def test_r22_r27_consequences_name_the_people(tmp_path):
    org = Org(tmp_path)
    org.units = [["甲", "一系列", "", "王某", "李某"], ["乙", "一系列", "", "张某", "刘某"], ["丙", "一系列", "", "", "陈某"]]
    org.year(2025, scheme(total=100) + PEOPLE_S2, [["", "", "业务", 100, "直接评分"]],
             scores=[["甲", "业务", 95], ["乙", "业务", 85], ["丙", "业务", 75]],
             vetoes=[["甲", "安全生产", "2025-04-02", "较大安全生产责任事故", "赵某、钱某"]])
    con = org.load()
    res = perfcore.score(con, org.name, 2025).results.set_index("unit")
    # S2: the people involved, the principal leader and the leader in charge forfeit their bonus
    assert res.loc["甲", "consequences"] == ["扣发当事人及主要领导、分管领导全额奖金：当事人 赵某、钱某，主要领导 王某，分管领导 李某"]
    assert [p["name"] for p in res.loc["甲", "consequence_details"][0]["people"]] == ["赵某", "钱某", "王某", "李某"]
    # S0 / R27: below 80 and lowest → the head is not rated excellent; 丙's list has no principal leader
    assert res.loc["丙", "consequences"] == ["部室负责人不能评为优秀：主要领导（未登记）"]
    from perfcore.engine.grading import consequence_text
    assert consequence_text(res.loc["甲", "consequence_details"][0], "en") == \
        "扣发当事人及主要领导、分管领导全额奖金: people involved 赵某、钱某, principal leader 王某, leader in charge 李某"
    # the notice prints them
    from perfcore.present.export import notice_frame
    notice = notice_frame(perfcore.score(con, org.name, 2025)).set_index("单位")
    assert "当事人 赵某、钱某" in notice.loc["甲", "结果运用"]
    assert notice.loc["甲", "等次"].endswith("（一票否决）") and "否决" not in notice.loc["乙", "等次"]   # R22, said so
    english = notice_frame(perfcore.score(con, org.name, 2025), "en").set_index("Unit")
    assert english.loc["甲", "Grade"].endswith(" (vetoed)") and "（" not in english.loc["甲", "Grade"]


INSTRUCTED = """
[[pool]]
name = "信息工作"
kind = "加分"
[[component]]
key = "information"
label = "信息工作"
source = "pool"
name = "信息工作"
[[rule]]
name = "信息被省办采用"
kind = "加分"
amount = 15
targets = ["信息工作"]
[[rule]]
name = "信息被国办采用"
kind = "加分"
amount = 30
targets = ["信息工作"]
[[multiplier]]
name = "省市领导批示加2倍"
factor = 3
instruction_level = ["省", "市"]
targets = ["信息工作"]
[[multiplier]]
name = "国务院领导批示加3倍"
factor = 4
instruction_level = ["国家"]
targets = ["信息工作"]
"""


def test_e3_bonus_multiplied_by_whose_instruction_drew_it(tmp_path):
    # E3: 省市委、政府领导同志作出批示的…在原计分基础上加2倍计分；国务院领导批示的加3倍计分.
    # Read as "the original score plus twice (three times) it" (docs/decisions.md):
    # 甲: adopted by the province (15) and instructed by a provincial leader → 15 + 2×15 = 45;
    # 乙: adopted by the State Council office (30) and instructed by a State Council leader → 30 + 3×30 = 120;
    # 丙: adopted by the province, no instruction → 15; 丁: a city leader's instruction → 45.
    org = Org(tmp_path)
    org.units = [["甲", "一系列"], ["乙", "一系列"], ["丙", "一系列"], ["丁", "一系列"]]
    events = [event("B1", "甲", "信息工作", "信息被省办采用", level="省", instruction="省"),
              event("B2", "乙", "信息工作", "信息被国办采用", level="国家", instruction="国家"),
              event("B3", "丙", "信息工作", "信息被省办采用", level="省"),
              event("B4", "丁", "信息工作", "信息被省办采用", level="省", instruction="市")]
    con = org.year(2025, scheme(total=10, extra=INSTRUCTED), [["", "", "业务", 10, "扣分制"]], events=events).load()
    info = {u: result_of(con, org.name, 2025, u)["information"] for u in "甲乙丙丁"}
    assert info == pytest.approx({"甲": 45, "乙": 120, "丙": 15, "丁": 45})


def test_e2_exhausted_any_false_means_no_indicator_used_up(tmp_path):
    # a consequence for units that used up no indicator at all (e.g. 全部指标未扣完的予以表扬)
    extra = EXHAUSTED.split("[[consequence]]")[0] + '[[consequence]]\nname = "无指标扣完"\nexhausted_any = false\n'
    events = [event("E1", "甲", "保密工作", "违反保密管理规定", count=8), event("E2", "乙", "保密工作", "违反保密管理规定", count=7)]
    org = Org(tmp_path).year(2025, scheme(total=10, extra=extra),
                             [["", "", "保密工作", 4, "扣分制"], ["", "", "值班", 4, "扣分制"], ["", "", "加分项", 2, "累加制"]],
                             events=events)
    res = perfcore.score(org.load(), org.name, 2025).results.set_index("unit")
    # 甲 used up 保密工作 (8 × 0.5 = 4); 乙 has 0.5 left; 丙 has no records
    assert res["consequences"].to_dict() == {"甲": [], "乙": ["无指标扣完"], "丙": ["无指标扣完"]}
