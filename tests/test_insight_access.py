"""Who may see which analysis (present.visible), on the sample: 示例区 2020–2024 published, 2025 open for feedback."""
from __future__ import annotations

import pytest

from perfcore.access import Account, Forbidden
from perfcore.insight.change import change
from perfcore.insight.scores import Scores
from perfcore.present import visible

UNIT = Account("区委编办", "unit", "示例区", unit="区委编办")
COLLECTOR = Account("区委办采集员", "collector", "示例区", collector="区委办")
LEADER = Account("领导", "leader")


@pytest.fixture
def scores(sample_db):
    return Scores(sample_db, "示例区")


def test_a_unit_sees_its_own_change_and_during_feedback_nothing_about_other_units(sample_db, scores):
    published = visible.change(sample_db, UNIT, scores, 2024, "区委编办")      # a published year: who moved past whom
    assert published.overtakes.equals(change(scores, 2024, "区委编办").overtakes)
    feedback = visible.change(sample_db, UNIT, scores, 2025, "区委编办")          # 2025: its own preliminary result
    assert len(feedback.lines) > 0 and feedback.overtakes.empty
    with pytest.raises(Forbidden):
        visible.change(sample_db, UNIT, scores, 2024, "区委办")


def test_a_unit_sees_no_comparison_with_another_unit(sample_db, scores):
    with pytest.raises(Forbidden):
        visible.compare(sample_db, UNIT, scores, 2024, "区委编办", "区委办")
    assert visible.compare(sample_db, LEADER, scores, 2024, "区委编办", "区委办").gap is not None


def test_a_unit_s_gap_during_feedback_names_no_other_unit(sample_db, scores):
    result = visible.gap(sample_db, UNIT, scores, 2025, "区委编办")
    assert result.next_rank is None and result.next_series_rank is None and "反馈期" in result.reasons["next_rank"][0]
    assert result.next_grade is not None and result.next_grade["boundary"] == "threshold"   # 示例区 grades by thresholds
    full = visible.gap(sample_db, UNIT, scores, 2024, "区委编办")
    assert full.next_rank is not None or full.rank == 1


def test_robustness_and_forecast(sample_db, scores):
    own = visible.robustness(sample_db, UNIT, scores.year(2024), draws=100, seed=1)
    assert list(own["unit"]) == ["区委编办"]
    with pytest.raises(Forbidden):
        visible.robustness(sample_db, UNIT, scores.year(2025), draws=100)
    assert len(visible.robustness(sample_db, LEADER, scores.year(2025), draws=100)) == 41
    with pytest.raises(Forbidden):
        visible.forecast(sample_db, UNIT, scores, 2026)
    assert len(visible.forecast(sample_db, LEADER, scores, 2026, draws=200).table) == 41


def test_collectors_and_other_organisations_see_no_analysis(sample_db, scores):
    with pytest.raises(Forbidden):
        visible.change(sample_db, COLLECTOR, scores, 2024, "区委办")
    with pytest.raises(Forbidden):
        visible.gap(sample_db, Account("妇联办公室", "unit", "示例市妇联", unit="办公室"), scores, 2024, "区委编办")
    with pytest.raises(Forbidden):
        visible.forecast(sample_db, Account("某区领导", "leader", "示例市妇联"), scores, 2026)
