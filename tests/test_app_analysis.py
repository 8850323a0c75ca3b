"""The analysis page (streamlit.testing.v1.AppTest) signed in as a leader and as the office, on the sample.

What the page shows is compared with what perfcore computes for the same question, and every list of
lines must add up to the difference it explains.
"""
from __future__ import annotations

import pytest

from perfcore.access import Account
from perfcore.insight.change import change
from perfcore.insight.gap import gap
from perfcore.insight.scores import Scores
from tests.test_app import OFFICE, open_app, page

LEADER = Account("领导", "leader")


@pytest.fixture(params=[LEADER, OFFICE], ids=["leader", "office"])
def app(request, sample_db_path, monkeypatch):
    at = open_app(sample_db_path, monkeypatch, request.param)
    return page(at, "analysis")


def _metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def _lines_total(at) -> float:
    return round(float(at.dataframe[0].value["contribution"].sum()), 2)


def test_why_it_changed_adds_up_and_matches_perfcore(app, sample_db):
    app.selectbox(key="unit").set_value("区委编办").run()
    assert not app.exception
    expected = change(Scores(sample_db, "示例区"), 2025, "区委编办")
    metrics = _metrics(app)
    assert metrics["2024年综合得分"] == f"{expected.composite_from:.2f}" and metrics["2025年综合得分"] == f"{expected.composite_to:.2f}"
    assert _lines_total(app) == expected.difference
    assert any("下降" in m.value for m in app.markdown)            # the rank change in words
    assert len(app.get("plotly_chart")) == 1                       # the waterfall


def test_compare_two_units(app):
    app.segmented_control(key="analysis").set_value("compare").run()
    app.selectbox(key="unit").set_value("区委办").run()
    app.selectbox(key="unit_b").set_value("区委组织部").run()
    assert not app.exception
    gap_shown = _metrics(app)["分差（前者 − 后者）"]
    assert float(gap_shown) == _lines_total(app)


def test_what_it_would_take(app, sample_db):
    app.segmented_control(key="analysis").set_value("gap").run()
    app.selectbox(key="unit").set_value("区委办").run()
    assert not app.exception
    expected = gap(Scores(sample_db, "示例区"), 2025, "区委办")
    rows = app.dataframe[0].value.set_index("target")
    assert rows.loc["上一等次", "points"] == expected.next_grade["points"]
    assert rows.loc["上一名次", "points"] == expected.next_rank["points"]


def test_how_sure_the_ranking_is(app):
    app.segmented_control(key="analysis").set_value("robustness").run()
    app.selectbox(key="draws").set_value(1000).run()
    assert not app.exception
    assert len(app.get("plotly_chart")) == 2                        # rank bands and grade probabilities
    app.slider(key="spread").set_value(0.0).run()
    table = app.dataframe[0].value
    assert (table["median_rank"] == table["official_rank"]).all() and (table["p_rank"] == 1.0).all()


def test_early_warning_for_the_year_in_progress(app):
    app.segmented_control(key="analysis").set_value("forecast").run()
    assert not app.exception
    assert any("2026" in i.value for i in app.info)                # 2025 is complete: the warning is for 2026
    assert _metrics(app)["数据截至"].startswith("2026-")
    table = app.dataframe[0].value
    assert len(table) == 41 and (table["projected"] >= 0).all()


@pytest.mark.parametrize("account", [LEADER, OFFICE], ids=["leader", "office"])
def test_english(sample_db_path, monkeypatch, account):
    app = open_app(sample_db_path, monkeypatch, account)
    app.segmented_control(key="lang").set_value("en").run()
    page(app, "analysis")
    assert app.title[0].value == "2025 analysis"
    app.segmented_control(key="analysis").set_value("gap").run()
    assert not app.exception and "Next grade" in set(app.dataframe[0].value["target"])


def test_a_unit_account_does_not_open_the_analysis_page(sample_db_path, monkeypatch):
    at = open_app(sample_db_path, monkeypatch, Account("区委编办", "unit", "示例区", unit="区委编办"))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/analysis.py")
