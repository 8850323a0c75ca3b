"""Who is at risk: a projection worked out by hand, its backtest, and invariants on the sample."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import perfcore
from perfcore.insight.forecast import backtest, forecast, pattern
from perfcore.insight.scores import Scores
from tests.builders import Org, event, scheme

EXTRA = """
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
name = "工作落实不力"
amount = 5
targets = ["察访核验"]
"""
REPEAT = """
[[consequence]]
name = "连续两年末位"
lowest = true
years = 2
"""
INDICATORS = [["", "", "业务", 90, "直接评分"], ["", "", "值班", 10, "扣分制"]]


@pytest.fixture
def org(tmp_path):
    o = Org(tmp_path)
    o.units = [["甲", "一系列"], ["乙", "一系列"], ["丙", "一系列"]]
    # 2023: 甲 81 + 10 − 10 = 81 (察访核验 on 1 March and 1 November); 乙 and 丙 90 + 10 = 100
    o.year(2023, scheme(year=2023, total=100, extra=EXTRA) + REPEAT, INDICATORS,
           scores=[["甲", "业务", 81], ["乙", "业务", 90], ["丙", "业务", 90]],
           events=[event("23-1", "甲", "察访核验", "工作落实不力", "2023-03-01"),
                   event("23-2", "甲", "察访核验", "工作落实不力", "2023-11-01")])
    # 2024: 甲 72 + 10 − 10 = 72 (1 May and 1 December), the lowest again; 乙 and 丙 100
    o.year(2024, scheme(year=2024, total=100, extra=EXTRA) + REPEAT, INDICATORS,
           scores=[["甲", "业务", 72], ["乙", "业务", 90], ["丙", "业务", 90]],
           events=[event("24-1", "甲", "察访核验", "工作落实不力", "2024-05-01"),
                   event("24-2", "甲", "察访核验", "工作落实不力", "2024-12-01")])
    # 2025 in progress: no direct scores yet; 甲 one record on 1 February, one on 15 October (after the as-of day)
    o.year(2025, scheme(year=2025, total=100, extra=EXTRA) + REPEAT, INDICATORS,
           events=[event("25-1", "甲", "察访核验", "工作落实不力", "2025-02-01"),
                   event("25-2", "甲", "察访核验", "工作落实不力", "2025-10-15")])
    return Scores(o.load(), o.name)


def test_the_pattern_is_the_share_recorded_by_the_day(org):
    # by 30 September: 5 of 10 points in 2023, 5 of 10 in 2024 → half
    assert pattern([org.year(2023), org.year(2024)], 9, 30)["察访核验"] == 0.5


def test_a_projection_worked_out_by_hand(org):
    progress = pd.DataFrame({"unit": ["甲", "乙"], "period": ["前三季度", "前三季度"], "indicator": ["业务", "业务"],
                             "percent": [50.0, 80.0]})
    result = forecast(org, 2025, as_of=dt.date(2025, 9, 30), progress=progress, draws=6000, seed=2)
    t = result.table.set_index("unit")
    # 甲: 业务 90 × mean(81/90, 72/90) = 90 × 0.85 = 76.5; 值班 10; 察访核验: so far −5, earlier years −10 and −10,
    #   p = 0.5: rate = (−5 − 20) / (0.5 + 2) = −10 a year, to come (1 − 0.5) × −10 = −5 → −10. 76.5 + 10 − 10 = 76.5
    #   (the record of 15 October is after the day and not counted)
    assert t.loc["甲", "projected"] == 76.5 and t.loc["乙", "projected"] == 100.0 and t.loc["丙", "projected"] == 100.0
    # errors: 2024 projected from 30 September with 2023 behind it: 甲 90 × 0.9 + 10 − (5 + 0.5 × 10) = 81 against 72
    #   (−9); 乙 and 丙 100 against 100 (0, 0). The 5 % and 95 % errors: −9 and 0
    assert sorted(result.errors["error"]) == [-9.0, 0.0, 0.0]
    assert (t.loc["甲", "low"], t.loc["甲", "high"]) == (67.5, 76.5)
    # 甲 is 合格 (70–80) unless the error is −9 (67.5: 不合格), a third of the draws; it was 合格 in 2024
    assert t.loc["甲", "grade"] == "合格"
    assert t.loc["甲", "p_lowest"] == pytest.approx(1 / 3, abs=0.03) and t.loc["甲", "p_down"] == pytest.approx(1 / 3, abs=0.03)
    # lowest of the pool in 2024 and, at 76.5 or 67.5 against 100 or 91, in every draw of 2025 (R26)
    assert t.loc["甲", "repeat"] == {"连续两年末位": 1.0}
    # progress: 50 % by 前三季度 against 序时进度 75 %: 25 points behind, more than 15 → at risk
    assert (t.loc["甲", "progress_percent"], t.loc["甲", "progress_expected"], t.loc["甲", "progress_status"]) == (50.0, 75.0, "at_risk")
    assert t.loc["乙", "progress_status"] == "on_track"
    assert set(t.loc["甲", "flags"]) == {"lowest", "down", "repeat", "behind"}
    assert t.loc["乙", "flags"] == [] and t.loc["乙", "p_grade"]["优秀"] == 1.0


def test_the_latest_record_is_the_default_day(org):
    result = forecast(org, 2025)
    assert result.as_of == dt.date(2025, 10, 15)
    with pytest.raises(perfcore.PerfcoreError):
        forecast(org, 2025, as_of=dt.date(2024, 9, 30))


def test_the_backtest_projects_each_past_year_from_30_september(org):
    units, summary = backtest(org)
    row = units.set_index(["year", "unit"]).loc[(2024, "甲")]
    assert (row["projected"], row["actual"], row["error"]) == (81.0, 72.0, -9.0)
    assert list(summary["year"]) == [2024] and summary["mae"].iloc[0] == pytest.approx(3.0)   # (9 + 0 + 0) / 3


def test_a_complete_year_projects_to_its_result(sample_db):
    scores = Scores(sample_db, "示例区")
    result = forecast(scores, 2025, draws=200)
    assert result.complete and result.as_of == dt.date(2025, 12, 31)
    official = scores.year(2025).results.set_index("unit")["composite"]
    assert (result.table.set_index("unit")["projected"] == official.reindex(result.table["unit"]).to_numpy()).all()


def test_the_year_in_progress_of_the_sample(sample_db):
    scores = Scores(sample_db, "示例区")
    result = forecast(scores, 2026, draws=500)
    t = result.table
    assert not result.complete and len(result.errors) > 0
    assert ((t["low"] <= t["projected"]) & (t["projected"] <= t["high"])).all()
    assert all(abs(sum(d.values()) - 1.0) < 1e-9 for d in t["p_grade"])
    assert t["p_lowest"].between(0, 1).all()
