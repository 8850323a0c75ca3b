"""How sure the ranking is: zero spread is the official ranking; a draw is the engine's what-if under its weights."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfcore
from perfcore.engine import grading
from perfcore.engine.scheme import parse
from perfcore.engine.whatif import WhatIf
from perfcore.insight.draws import competition_ranks, grade_draws
from perfcore.insight.robustness import composite_draws, draw_weights, robustness, weight_columns
from tests.builders import Org, scheme
from tests.test_rules import FORCED


@pytest.mark.parametrize("basis", ["rank", "series_rank"])
def test_zero_spread_gives_the_official_ranks_and_grades_with_probability_one(sample_db, basis):
    for org in perfcore.orgs(sample_db):
        for year in perfcore.years(sample_db, org):
            official = perfcore.score(sample_db, org, year)
            table = robustness(official, draws=200, spread=0.0, seed=3, basis=basis).set_index("unit")
            res = official.results.set_index("unit").loc[table.index]
            assert (table["median_rank"] == res[basis]).all() and (table["rank_p05"] == res[basis]).all()
            assert (table["rank_p95"] == res[basis]).all() and (table["p_rank"] == 1.0).all(), (org, year)
            assert (table["p_official_grade"] == 1.0).all() and (table["official_grade"] == res["grade"]).all()
            assert all(d[g] == 1.0 for d, g in zip(table["p_grade"], res["grade"])), (org, year)


def test_a_draw_is_the_engine_under_the_drawn_weights(sample_db):
    # 示例市直机关 (S2, forced distribution with tie-breaks): central 90 + grassroots 5 + leader 5, one column each
    official = perfcore.score(sample_db, "示例市直机关", 2025)
    X, a, F, names = weight_columns(official)
    assert names == ["central", "grassroots", "leader"] and list(F) == [90.0, 5.0, 5.0]
    weights = draw_weights(a, F, 5, 0.3, np.random.default_rng(7))
    assert np.allclose(weights @ F, 100.0)                                # the scale is kept: full marks add to 100
    _, cents = next(composite_draws(official, 5, 0.3, seed=7))
    ranks, grades = competition_ranks(cents), grade_draws(cents, official)
    sim = WhatIf(sample_db, "示例市直机关", 2025, official=official)
    units = list(official.grid.units)
    names_g = official.scheme.grade_names()
    for d in range(5):
        run = sim.run(weights=dict(zip(names, weights[d]))).set_index("unit").loc[units]
        assert (np.round(run["composite"].to_numpy() * 100).astype(int) == cents[d]).all()
        assert (run["rank"].to_numpy() == ranks[d]).all()
        assert [names_g.index(g) for g in run["grade"]] == grades[d].tolist()


def test_two_units_level_on_the_official_weights_swap_half_the_time(tmp_path):
    # A: indicators 90, public 50; B: 50 and 90. Weights 0.5 / 0.5: both 70, both first. Any draw with more
    # weight on the indicators puts A first; by symmetry that is half the draws.
    org = Org(tmp_path)
    org.units = [["甲", "一系列"], ["乙", "一系列"]]
    extra = """weight = 0.5
[[component]]
key = "public"
label = "公众评议"
source = "evaluation"
name = "公众评议"
full = 100
weight = 0.5
"""
    org.year(2025, scheme(total=100, extra=extra), [["", "", "业务", 100, "直接评分"]],
             scores=[["甲", "业务", 90], ["乙", "业务", 50]], evaluations=[["甲", "公众评议", "", 50, 100], ["乙", "公众评议", "", 90, 100]])
    official = perfcore.score(org.load(), org.name, 2025)
    assert official.results["rank"].tolist() == [1, 1]
    table = robustness(official, draws=10_000, spread=0.25, seed=11).set_index("unit")
    assert table["p_rank"].between(0.47, 0.53).all()
    assert (table["rank_p05"] == 1).all() and (table["rank_p95"] == 2).all()
    # the weights stay within 0.5 × [0.75, 1.25] before rescaling to add up to 1, so each composite stays within
    # 65–75: 合格 (70 and above) when its own strength weighs more, 不合格 otherwise; never 良好 or 优秀 (80, 90)
    for d in table["p_grade"]:
        assert d["优秀"] == d["良好"] == 0.0 and 0.47 <= d["合格"] <= 0.53 and d["合格"] + d["不合格"] == pytest.approx(1.0)


def test_an_evaluation_drawn_with_no_weight_spread_moves_only_by_its_noise(sample_db):
    official = perfcore.score(sample_db, "示例区", 2025)
    exact = official.results.set_index("unit").loc[list(official.grid.units), "composite"].to_numpy()
    _, cents = next(composite_draws(official, 50, 0.0, seed=5, evaluation_spread={"public": 2.0}))
    moved = cents / 100 - exact[None, :]
    # 公众评议 counts 0.4 × 10 = 4 composite points per point; ±4 standard deviations of 2 points is ±32
    assert np.abs(moved).max() < 32.01 and np.abs(moved).max() > 0
    with pytest.raises(perfcore.PerfcoreError):
        robustness(official, draws=10, evaluation_spread={"indicator": 1.0})


@given(st.lists(st.lists(st.integers(min_value=0, max_value=3000), min_size=12, max_size=12), min_size=1, max_size=6))
@settings(max_examples=60, deadline=None)
def test_ranks_of_draws_are_the_engine_s_competition_ranking(rows):
    cents = np.array(rows, dtype=np.int64)
    ranks = competition_ranks(cents)
    groups = np.array(["一", "二", "一", "三"] * 3)
    by_series = competition_ranks(cents, groups)
    for row, r, s in zip(cents, ranks, by_series):
        assert r.tolist() == grading.competition_rank(row).tolist()
        assert s.tolist() == grading.competition_rank(row, groups=groups).tolist()


FORCED_TB = parse(scheme(total=100, grades=FORCED.replace('absorb = "达标"', 'absorb = "达标"\ntie_break = ["indicator:desc"]')), "t")


@given(st.lists(st.integers(min_value=9000, max_value=9010), min_size=3, max_size=30), st.data())
@settings(max_examples=80, deadline=None)
def test_forced_grades_of_draws_are_the_engine_s(composites, data):
    # many ties on the composite, broken by the indicator score (also often tied), some units vetoed
    n = len(composites)
    indicator = data.draw(st.lists(st.sampled_from([1.0, 2.0, 3.0]), min_size=n, max_size=n))
    vetoed = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    frame = pd.DataFrame({"unit": [f"u{i:02d}" for i in range(n)], "series": "一", "composite": np.array(composites) / 100,
                          "indicator": indicator, "veto": vetoed})
    engine, _ = grading.forced_grades(frame, FORCED_TB)
    year = SimpleNamespace(scheme=FORCED_TB, results=frame, grid=SimpleNamespace(units=frame["unit"].to_numpy()))
    drawn = grade_draws(np.array([composites], dtype=np.int64), year)[0]
    names = FORCED_TB.grade_names()
    assert [names[k] for k in drawn] == list(engine)
