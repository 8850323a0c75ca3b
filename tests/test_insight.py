"""Why it changed, why A is above B, what it would take: hand-worked examples, then every unit of the sample.

The hand-built organisation (100-point scale, threshold grades 90/80/70):
  业务 (直接评分, 96 points) + 值班 (扣分制, 4 points) − 察访核验 (deduction pool) + 正向激励 (bonus pool, cap 5).
Every expected value below is worked out from the rule text in the comments, never taken from the code.
"""
from __future__ import annotations

import pytest

import perfcore
from perfcore.engine.whatif import WhatIf
from perfcore.insight.change import change, check_rank_identity, rank_words
from perfcore.insight.compare import compare
from perfcore.insight.gap import gap
from perfcore.insight.scores import Scores
from perfcore.ingest.sources import load_source
from tests.builders import Org, event, scheme, write_csv
from tests.test_rules import FORCED

POOLS = """
[[component]]
key = "inspection"
label = "察访核验扣分"
source = "pool"
name = "察访核验"
weight = -1.0
[[component]]
key = "incentive"
label = "正向激励"
source = "pool"
name = "正向激励"
weight = {incentive_weight}
[[pool]]
name = "察访核验"
kind = "扣分"
[[pool]]
name = "正向激励"
kind = "加分"
cap = 5
[[rule]]
name = "工作落实不力"
amount = {amount}
targets = ["察访核验"]
[[rule]]
name = "媒体曝光经查属实"
amount = 20
targets = ["察访核验"]
[[rule]]
name = "值班脱岗"
amount = 2
unit = "人次"
targets = ["值班"]
[[rule]]
name = "表彰"
kind = "加分"
amount = 3
targets = ["正向激励"]
"""
INDICATORS = [["", "", "业务", 96, "直接评分"], ["", "", "值班", 4, "扣分制"]]


def _scheme(year, amount=5, incentive_weight=1.0):
    return scheme(year=year, total=100, extra=POOLS.format(amount=amount, incentive_weight=incentive_weight))


@pytest.fixture
def org(tmp_path):
    o = Org(tmp_path)
    o.units = [["甲", "一系列", "", "", "", "", 2024], ["乙", "一系列", "", "", "", "", 2024],
               ["丙", "二系列", "", "", "", "", 2024], ["丁", "一系列", "", "", "", "", 2025]]
    # 2024: 甲 80 + (4 − 2) − 5 = 77; 乙 85 + 4 = 89; 丙 60 + 4 = 64
    o.year(2024, _scheme(2024), INDICATORS,
           scores=[["甲", "业务", 80], ["乙", "业务", 85], ["丙", "业务", 60]],
           events=[event("A24-1", "甲", "值班", "值班脱岗", "2024-03-01"),
                   event("A24-2", "甲", "察访核验", "工作落实不力", "2024-05-01", problem="P1")])
    # 2025: 甲 82 + max(0, 4 − 3×2) − 20 + min(3 + 3, 5) = 82 + 0 − 20 + 5 = 67
    #   值班: 3 person-times × 2 = 6 > 4 points: 扣完为止, the floor gives 2 back
    #   察访核验: 工作落实不力 (5) and 媒体曝光 (20) are one problem (P2): charged once at 20 (R13); the 20 is under appeal
    #   正向激励: two awards of 3 = 6, capped at 5 (R17)
    # 乙 60 + 4 = 64; 丙 65 + 4 = 69; 丁 (new) 70 + 4 = 74
    o.year(2025, _scheme(2025), INDICATORS,
           scores=[["甲", "业务", 82], ["乙", "业务", 60], ["丙", "业务", 65], ["丁", "业务", 70]],
           events=[event("A25-1", "甲", "值班", "值班脱岗", "2025-02-01", count=3),
                   event("A25-2", "甲", "察访核验", "工作落实不力", "2025-04-01", problem="P2"),
                   event("A25-3", "甲", "察访核验", "媒体曝光经查属实", "2025-06-01", problem="P2", status="申诉中"),
                   event("A25-4", "甲", "正向激励", "表彰", "2025-07-01", matter="M1"),
                   event("A25-5", "甲", "正向激励", "表彰", "2025-08-01", matter="M2")])
    # 2026, a changed scheme: 工作落实不力 charges 8 (was 5) and 正向激励 weighs 0.5 (was 1)
    # 甲 82 + 4 − 8 + 0.5 × 3 = 79.5 (under the 2025 scheme: 82 + 4 − 5 + 3 = 84)
    o.year(2026, _scheme(2026, amount=8, incentive_weight=0.5), INDICATORS,
           scores=[["甲", "业务", 82], ["乙", "业务", 60], ["丙", "业务", 65], ["丁", "业务", 70]],
           events=[event("A26-1", "甲", "察访核验", "工作落实不力", "2026-04-01"),
                   event("A26-2", "甲", "正向激励", "表彰", "2026-07-01", matter="M3")])
    write_csv(o.folder / "单位名单.csv", ["单位", "系列", "层级", "上级单位", "主要领导", "分管领导", "起始年度"], o.units)
    con = perfcore.connect(tmp_path / "org.duckdb")
    load_source(con, o.root)
    return Scores(con, o.name)


def _lines(result):
    """{(indicator or component, kind, state, event id): contribution} of a change or comparison."""
    return {((r.indicator or r.component), r.kind, r.state, r.event_id): r.contribution for r in result.lines.itertuples()}


def test_change_with_a_floor_a_cap_and_a_de_duplication(org):
    result = change(org, 2025, "甲")
    assert (result.composite_from, result.composite_to, result.difference) == (77.0, 67.0, -10.0)
    assert not result.scheme_changed
    assert _lines(result) == {
        ("业务", "start", "changed", None): 2.0,            # direct score 80 → 82
        ("值班", "record", "new", "A25-1"): -6.0,           # 3 × 2
        ("值班", "limit", "new", None): 2.0,                # 扣完为止: 4 − 6 stops at 0
        ("值班", "record", "gone", "A24-1"): 2.0,           # last year's −2 is gone
        ("察访核验", "record", "new", "A25-2"): 0.0,         # same problem: not charged again (R13)
        ("察访核验", "record", "new", "A25-3"): -20.0,
        ("察访核验", "record", "gone", "A24-2"): 5.0,
        ("正向激励", "record", "new", "A25-4"): 3.0,
        ("正向激励", "record", "new", "A25-5"): 3.0,
        ("正向激励", "limit", "new", None): -1.0,           # 6 capped at 5
    }
    assert result.lines["contribution"].sum() == pytest.approx(-10.0, abs=1e-9)
    limits = result.lines[result.lines["kind"] == "limit"].set_index("indicator")["note"]
    assert "A25-1 +2.00" in limits["值班"] and "A25-5 -1.00" in limits["正向激励"]     # the latest record is trimmed
    de_dup = result.lines.set_index("event_id").loc["A25-2", "note"]
    assert "就高不就低" in de_dup and "A25-3" in de_dup


def test_change_under_a_changed_scheme_comes_first(org):
    result = change(org, 2026, "甲")
    # 67 → 79.5 = +12.5: the scheme −4.5 (rules −3, weights −1.5), the records +17 under the 2025 scheme
    assert (result.composite_from, result.composite_to, result.difference) == (67.0, 79.5, 12.5)
    assert result.scheme_changed
    scheme_lines = result.lines[result.lines["kind"] == "scheme"]
    # 2026's records under 2025's scheme: 82 + 4 − 5 + 3 = 84; with 2026's rules but 2025's weights:
    # 82 + 4 − 8 + 3 = 81 (−3); with 2026's weights: 82 + 4 − 8 + 1.5 = 79.5 (−1.5)
    assert scheme_lines["contribution"].tolist() == [-3.0, -1.5]
    assert "计分规则调整" in scheme_lines["note"].iloc[0] and "权重调整" in scheme_lines["note"].iloc[1]
    assert result.lines.index[result.lines["kind"] == "scheme"].tolist() == [0, 1]     # first
    records = {k: v for k, v in _lines(result).items() if k[1] != "scheme"}
    assert records == {
        ("值班", "record", "gone", "A25-1"): 6.0, ("值班", "limit", "gone", None): -2.0,      # 0 → 4
        ("察访核验", "record", "new", "A26-1"): -5.0,                                           # at 2025's amount
        ("察访核验", "record", "gone", "A25-2"): 0.0, ("察访核验", "record", "gone", "A25-3"): 20.0,
        ("正向激励", "record", "new", "A26-2"): 3.0,                                            # at 2025's weight
        ("正向激励", "record", "gone", "A25-4"): -3.0, ("正向激励", "record", "gone", "A25-5"): -3.0,
        ("正向激励", "limit", "gone", None): 1.0}
    assert result.lines["contribution"].sum() == pytest.approx(12.5, abs=1e-9)


def test_a_new_unit_starts_from_nothing(org):
    result = change(org, 2025, "丁")
    assert result.composite_from is None and result.composite_to == 74.0 and result.difference == 74.0
    assert _lines(result) == {("业务", "start", "new", None): 70.0, ("值班", "start", "new", None): 4.0}
    assert result.rank["rank_from"] is None and "新参评" in rank_words(result)


def test_rank_change_is_who_overtook_whom(org):
    # series 一系列, 2024: 乙 89 (1), 甲 77 (2); 2025: 丁 74 (1, new), 甲 67 (2), 乙 64 (3)
    result = change(org, 2025, "甲")
    assert result.rank == {"basis": "series", "rank_from": 2, "rank_to": 2, "change": 0,
                           "grade_from": "合格", "grade_to": "不合格"}
    o = result.overtakes.set_index("unit")
    assert o["relation"].to_dict() == {"丁": "joined", "乙": "overtaken"}
    assert o.loc["乙", "gap_from"] == 12.0 and o.loc["乙", "gap_to"] == -3.0     # 89 − 77, 64 − 67
    assert check_rank_identity(result)                                          # 0 = 1 overtaken − 1 joined


def test_compare_two_units(org):
    # 2025: 甲 67 − 丙 69 = −2: 业务 82 vs 65 (+17), 甲's records and limits (−6 + 2 + 0 − 20 + 3 + 3 − 1 = −19)
    result = compare(org, 2025, "甲", "丙")
    assert result.gap == -2.0
    lines = _lines(result)
    assert lines[("业务", "start", "changed", None)] == 17.0
    assert lines[("察访核验", "record", "new", "A25-3")] == -20.0
    assert result.lines["contribution"].sum() == pytest.approx(-2.0, abs=1e-9)
    assert set(result.lines["side"]) <= {"to", "from", "both"}


def test_the_gap_is_exact_and_the_appeal_would_move_the_unit(org):
    # 2025 overall: 丁 74, 丙 69, 甲 67, 乙 64. 甲 (67, 不合格):
    #   next rank: level with 丙 at 69 → +2.00; next series rank: level with 丁 at 74 → +7.00;
    #   next grade 合格 from 70 → +3.00
    result = gap(org, 2025, "甲")
    assert (result.rank, result.series_rank, result.grade) == (3, 2, "不合格")
    assert (result.next_rank["points"], result.next_rank["to"], result.next_rank["level_with"]) == (2.0, 2, ["丙"])
    assert (result.next_series_rank["points"], result.next_series_rank["to"]) == (7.0, 1)
    assert (result.next_grade["points"], result.next_grade["to"]) == (3.0, "合格")
    sim = WhatIf(org.con, org.org, 2025, official=org.year(2025))
    for target, column, moved in ((result.next_rank, "rank", 2), (result.next_series_rank, "series_rank", 1),
                                  (result.next_grade, "grade", "合格")):
        with_it = sim.run(extra={"甲": target["points"]}).set_index("unit").loc["甲", column]
        a_cent_less = sim.run(extra={"甲": round(target["points"] - 0.01, 2)}).set_index("unit").loc["甲", column]
        assert with_it == moved and a_cent_less == {"rank": 3, "series_rank": 2, "grade": "不合格"}[column]
    # the 20-point record is under appeal: if it succeeds, the same problem's 5-point record counts again (R13),
    # so 甲 gains 15: 82, first overall and in its series, 良好
    appeal = result.appeals.set_index("event_id").loc["A25-3"]
    assert (appeal["contribution"], appeal["composite"], appeal["rank"], appeal["grade"]) == (15.0, 82.0, 1, "良好")
    assert appeal["changes_rank"] and appeal["changes_grade"]


def _forced(tmp_path, first_deduction: float, boundary_deduction: float):
    """8 units, one forced pool: quotas 2 / 3 / 3 / 0 (largest remainder: 2, 2.8, 2.72, 0.48)."""
    o = Org(tmp_path)
    o.units = [[f"单位{i:02d}", "一系列"] for i in range(8)]
    extra = """
[[component]]
key = "inspection"
label = "察访核验扣分"
source = "pool"
name = "察访核验"
weight = -1.0
[[pool]]
name = "察访核验"
kind = "扣分"
[[rule]]
name = "扣分"
range = [0, 20]
targets = ["察访核验"]
"""
    forced = FORCED.replace('absorb = "达标"', 'absorb = "达标"\ntie_break = ["inspection:asc"]')
    # composites 99, 98, 97, 96, 95 (单位04, the last 良好), 94 (单位05), 93, 92
    scores = [[f"单位{i:02d}", "业务", 99 - i] for i in range(8)]
    events = []
    if boundary_deduction:
        scores[4][2] += boundary_deduction
        events.append(event("F1", "单位04", "察访核验", "扣分", amount=boundary_deduction, text="说明"))
    if first_deduction:
        scores[5][2] += first_deduction
        events.append(event("F2", "单位05", "察访核验", "扣分", amount=first_deduction, text="说明"))
    o.year(2025, scheme(total=100, extra=extra, grades=forced), [["", "", "业务", 100, "直接评分"]], scores=scores,
           events=events)
    return Scores(o.load(), o.name)


@pytest.mark.parametrize("own, boundary, points", [
    (5.0, 0.0, 1.01),   # 单位05 has more deductions than 单位04: level at 95 it still sorts after → one cent more
    (0.0, 5.0, 1.00),   # fewer deductions: level is enough (A5: lower V first)
    (0.0, 0.0, 1.00),   # tied on everything: both take the better grade (A5)
])
def test_a_forced_distribution_boundary_honours_the_tie_break(tmp_path, own, boundary, points):
    scores = _forced(tmp_path, own, boundary)
    year = scores.year(2025)
    assert year.results.set_index("unit").loc[["单位04", "单位05"], "grade"].tolist() == ["良好", "达标"]
    result = gap(scores, 2025, "单位05")
    assert result.next_grade["points"] == points and result.next_grade["against"] == "单位04"
    sim = WhatIf(scores.con, scores.org, 2025, official=year)
    assert sim.run(extra={"单位05": points}).set_index("unit").loc["单位05", "grade"] == "良好"
    assert sim.run(extra={"单位05": round(points - 0.01, 2)}).set_index("unit").loc["单位05", "grade"] == "达标"


# ---------------------------------------------------------------- every unit and year of the sample

def _pairs(con):
    for org in perfcore.orgs(con):
        years = perfcore.years(con, org)
        yield org, years


def test_every_change_of_the_sample_adds_up_to_the_cent(sample_db):
    for org, years in _pairs(sample_db):
        scores = Scores(sample_db, org)
        for later in years[1:]:
            for earlier in sorted({later - 1, years[0]}):
                for unit in scores.year(later).units["unit"]:
                    result = change(scores, later, unit, earlier)
                    cents = round(result.lines["contribution"].sum() * 100)
                    assert cents == round(result.difference * 100), (org, earlier, later, unit)
                    assert check_rank_identity(result), (org, later, unit)


def test_every_comparison_of_the_sample_adds_up_to_the_cent(sample_db):
    for org, years in _pairs(sample_db):
        scores = Scores(sample_db, org)
        for year in years:
            ranked = list(scores.year(year).results["unit"])
            for a, b in zip(ranked, ranked[1:] + ranked[:1]):
                result = compare(scores, year, a, b)
                assert round(result.lines["contribution"].sum() * 100) == round(result.gap * 100), (org, year, a, b)


def test_every_gap_of_the_sample_is_exact(sample_db):
    for org, years in _pairs(sample_db):
        scores = Scores(sample_db, org)
        year = [y for y in years if y <= 2025][-1]
        official = scores.year(year)
        sim = WhatIf(sample_db, org, year, official=official)
        names = official.scheme.grade_names()
        for unit in official.units["unit"]:
            result = gap(scores, year, unit, sim)
            me = official.results.set_index("unit").loc[unit]
            for key, column in (("next_rank", "rank"), ("next_series_rank", "series_rank"), ("next_grade", "grade")):
                target = getattr(result, key)
                if target is None:
                    continue
                hit = sim.run(extra={unit: target["points"]}).set_index("unit").loc[unit]
                miss = sim.run(extra={unit: round(target["points"] - 0.01, 2)}).set_index("unit").loc[unit]
                if column == "grade":
                    assert names.index(hit["grade"]) < names.index(me["grade"]) and hit["grade"] == target["to"], (org, unit)
                else:
                    assert hit[column] < me[column] and hit[column] == target["to"], (org, unit, key)
                assert miss[column] == me[column], (org, unit, key)
