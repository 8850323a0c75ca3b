"""Traceability: every indicator score of the sample is explained by its events, to the point."""
from __future__ import annotations

import pytest

import perfcore
from perfcore.engine import trace


@pytest.mark.parametrize("org, year", [("示例区", 2025), ("示例区", 2026), ("示例市妇联", 2024), ("示例市直机关", 2025)])
def test_every_trace_reconciles_with_the_score(sample_db, org, year):
    ys = perfcore.score(sample_db, org, year)
    scores = ys.targets.set_index(["unit", "target"])["score"]
    for unit in ys.units["unit"]:
        s = trace.summary(perfcore.explain(sample_db, org, year, unit))
        assert s["reconciles"].all(), (unit, s[~s["reconciles"]])
        for r in s.itertuples():
            assert r.score == pytest.approx(scores[(unit, r.target)])


@pytest.mark.parametrize("org, year", [("示例区", 2025), ("示例区", 2026), ("示例市妇联", 2024), ("示例市直机关", 2025)])
def test_a_trace_from_the_scored_year_is_the_trace_from_the_records(sample_db, org, year):
    """The app explains a unit from the year it already scored (its events and their amounts); the library
    reads and runs them again. Both must give the same lines, to the last bit, for every unit and indicator."""
    import pandas as pd
    ys = perfcore.score(sample_db, org, year)
    for unit in ys.units["unit"]:
        again = trace.explain(sample_db, org, year, unit)
        reused = trace.explain(sample_db, org, year, unit, scored=ys)
        pd.testing.assert_frame_equal(reused, again, check_exact=True)
        assert reused.attrs == again.attrs
    with pytest.raises(ValueError):                                # another year's result is refused
        trace.explain(sample_db, org, year - 1, ys.units["unit"].iloc[0], scored=ys)
    one = ys.targets[ys.targets["events"] > 0].iloc[0]           # one indicator with records
    pd.testing.assert_frame_equal(trace.explain(sample_db, org, year, one["unit"], one["target"], scored=ys),
                                  trace.explain(sample_db, org, year, one["unit"], one["target"]), check_exact=True)


def test_uncounted_events_are_shown_with_zero(sample_db):
    drafts = sample_db.execute("SELECT unit, target, event_id FROM events WHERE org = '示例区' AND year = 2026 "
                               "AND status = '草稿' LIMIT 1").fetchall()
    assert drafts, "the sample's year in progress has draft events"
    unit, target, eid = drafts[0]
    lines = perfcore.explain(sample_db, "示例区", 2026, unit, target).set_index("event_id")
    assert lines.loc[eid, "contribution"] == 0 and not lines.loc[eid, "counted"] and "草稿" in lines.loc[eid, "note"]


def test_provisional_direct_score_is_said_so(sample_db):
    lines = perfcore.explain(sample_db, "示例区", 2026, "区委办", "招商引资工作")
    assert "尚未评分" in lines.iloc[0]["note"]


def test_amount_words_say_waived_and_not_counted():
    import pandas as pd
    from perfcore.present.views import amount_words
    lines = pd.DataFrame({"counted": [True, True, False, True], "mitigation_factor": [1.0, 0.0, float("nan"), 1.0],
                          "contribution": [-3.0, 0.0, 0.0, 2.5]})
    assert list(amount_words(lines, "zh")) == ["−3.00", "免予", "不计分", "+2.50"]
    assert list(amount_words(lines, "en")) == ["−3.00", "waived", "not counted", "+2.50"]


def test_a_what_ifs_year_is_not_taken_for_the_official_one(sample_db):
    from perfcore.engine.whatif import WhatIf
    simulated = WhatIf(sample_db, "示例区", 2025).simulate(weights={"indicator": 0.5, "public": 0.5})
    with pytest.raises(ValueError):
        trace.explain(sample_db, "示例区", 2025, simulated.units["unit"].iloc[0], scored=simulated)
