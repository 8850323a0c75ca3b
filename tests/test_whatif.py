"""What-if: same engine, changed scheme or events, stored data untouched."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import perfcore
from perfcore.engine.whatif import WhatIf
from tests.builders import Org, event, scheme
from tests.test_rules import INSPECTION


def _org(tmp_path):
    extra = """
[[component]]
key = "public"
label = "公众评议"
source = "evaluation"
name = "公众评议"
weight = 0.0
""" + INSPECTION
    return Org(tmp_path).year(2025, scheme(total=100, extra=extra), [["甲类（60分）", "", "业务", 60, "直接评分"], ["乙类（40分）", "", "党建", 40, "直接评分"]],
                              scores=[["甲", "业务", 60], ["甲", "党建", 20], ["乙", "业务", 40], ["乙", "党建", 40],
                                      ["丙", "业务", 50], ["丙", "党建", 30]],
                              evaluations=[["甲", "公众评议", "", 50, ""], ["乙", "公众评议", "", 90, ""], ["丙", "公众评议", "", 70, ""]],
                              events=[event("V1", "丙", "察访核验", "工作落实不力")]).load()


def test_no_change_reproduces_the_official_result(tmp_path):
    r = WhatIf(_org(tmp_path), "测试单位", 2025).run()
    assert (r["composite"] == r["official_composite"]).all() and (r["rank_delta"] == 0).all()


def test_weights_re_rank(tmp_path):
    # official: 甲 80, 乙 80, 丙 80 − 5 = 75. With public weighted 0.5: 甲 105, 乙 125, 丙 110
    sim = WhatIf(_org(tmp_path), "测试单位", 2025)
    r = sim.run(weights={"public": 0.5}).set_index("unit")
    assert r["composite"].to_dict() == {"甲": 105.0, "乙": 125.0, "丙": 110.0}
    assert r["rank"].to_dict() == {"乙": 1, "丙": 2, "甲": 3}
    assert r.loc["丙", "rank_delta"] == 1


def test_category_weights_and_points(tmp_path):
    sim = WhatIf(_org(tmp_path), "测试单位", 2025)
    r = sim.run(category_weights={"甲类": 2.0}).set_index("unit")
    assert r.loc["甲", "indicator"] == pytest.approx(140)   # 2×60 + 20
    r = sim.run(points={"党建": 30}).set_index("unit")      # 乙's 40 is clamped to the new 30 points
    assert r.loc["乙", "indicator"] == pytest.approx(70)


def test_event_switched_off_and_stored_data_untouched(tmp_path):
    con = _org(tmp_path)
    before = con.execute("SELECT * FROM events").fetchall()
    r = WhatIf(con, "测试单位", 2025).run(events_off=["V1"]).set_index("unit")
    assert r.loc["丙", "composite"] == pytest.approx(80) and r.loc["丙", "official_composite"] == pytest.approx(75)
    assert con.execute("SELECT * FROM events").fetchall() == before
    assert perfcore.score(con, "测试单位", 2025).results.set_index("unit").loc["丙", "composite"] == pytest.approx(75)


def test_sample_weight_change_moves_ranks(sample_db):
    sim = WhatIf(sample_db, "示例区", 2025)
    r = sim.run(weights={"indicator": 0.4, "public": 0.6})
    assert (r["rank_delta"] != 0).any()


def test_a_rule_amount_changes_through_the_scheme(tmp_path):
    # 工作落实不力 charges 5 per item; at 3, 丙 has 80 − 3 = 77 (甲 and 乙 stay at 80)
    sim = WhatIf(_org(tmp_path), "测试单位", 2025)
    r = sim.run(amounts={"工作落实不力": 3}).set_index("unit")
    assert r["composite"].to_dict() == {"甲": 80.0, "乙": 80.0, "丙": 77.0}
    with pytest.raises(perfcore.PerfcoreError):
        sim.run(amounts={"没有这个情形": 3})


def test_a_whatif_is_the_changed_scheme_scored_from_scratch(sample_db):
    from perfcore.engine.results import score_base
    sim = WhatIf(sample_db, "示例区", 2025)
    changes = {"weights": {"indicator": 0.5, "public": 0.5}, "amounts": {"工作落实不力": 4.0}}
    fresh = score_base(sample_db, "示例区", 2025, scheme=sim.scheme(**changes), excluded=("2025-0001",),
                       points={"信息报送": 30.0}).results.set_index("unit")
    simulated = sim.run(**changes, events_off=["2025-0001"], points={"信息报送": 30.0}).set_index("unit")
    for column in ("composite", "rank", "series_rank", "grade"):
        assert simulated[column].to_dict() == fresh[column].to_dict()


def test_movement_is_shown_under_the_simulation(sample_db):
    sim = WhatIf(sample_db, "示例区", 2025)
    official = sim.official.results.set_index("unit")
    r = sim.run(weights={"indicator": 0.2, "public": 0.8}).set_index("unit")
    # last year's series rank is the official one; the movement follows the simulated rank
    assert (r["prev_series_rank"].fillna(-1) == official["prev_series_rank"].reindex(r.index).fillna(-1)).all()
    moved = r[r["series_rank"] != official["series_rank"].reindex(r.index)].dropna(subset=["prev_series_rank"])
    assert len(moved) > 0
    for unit, row in moved.iterrows():
        assert row["series_rank_change"] == row["prev_series_rank"] - row["series_rank"]


@pytest.mark.parametrize("changes", [
    {"events_off": ["2025-0001", "2025-0100"]},                              # two units' rows recomputed
    {"amounts": {"督办件逾期未办结": 3.0}},                                      # the units with such records
    {"amounts": {"工作落实不力": 2.0}, "events_off": ["2025-0007"]},
    {"weights": {"indicator": 0.7, "public": 0.3}},                          # components reused
])
def test_every_shortcut_equals_scoring_the_changed_scheme_from_scratch(sample_db, changes):
    from perfcore.engine.results import score_base
    sim = WhatIf(sample_db, "示例区", 2025)
    scheme = sim.scheme(weights=changes.get("weights"), amounts=changes.get("amounts"))
    fresh = score_base(sample_db, "示例区", 2025, scheme=scheme, excluded=tuple(changes.get("events_off", ()))).results
    simulated = sim.run(**changes).set_index("unit")
    fresh = fresh.set_index("unit")
    for column in ("composite", "rank", "series_rank", "grade", "veto"):
        assert simulated[column].to_dict() == fresh[column].to_dict(), column
    for key in (c.key for c in scheme.components):
        assert (simulated[key] - fresh[key].reindex(simulated.index)).abs().max() < 1e-9


def test_a_scenario_survives_a_link_and_nothing_else_does():
    from perfcore.workflow import scenarios
    official = {"weights": {"indicator": 0.6, "public": 0.4}, "category_weights": {}, "points": {}, "amounts": {},
                "events_off": []}
    spec = {**official, "weights": {"indicator": 0.5, "public": 0.5}, "points": {"察访核验": 30.0}, "events_off": ["E2", "E1"]}
    query = scenarios.to_query(spec, official)
    assert query == {"w": "indicator:0.5;public:0.5", "pts": "察访核验:30", "off": "E1,E2"}
    known = {"weights": ["indicator", "public"], "points": ["察访核验"], "events_off": ["E1", "E2"]}
    assert scenarios.from_query(query, official, known) == scenarios.normalise(spec)
    forged = {"w": "indicator:abc;unknown:9;public:0.7", "off": "E1,E9", "amt": "没有的情形:3"}
    back = scenarios.from_query(forged, official, known)
    assert back["weights"] == {"indicator": 0.6, "public": 0.7} and back["events_off"] == ["E1"] and back["amounts"] == {}
    assert scenarios.to_query(official, official) == {}


def _simulated(n: int, changed: int) -> pd.DataFrame:
    """n units at 90.00 officially and simulated (grade 良好), and `changed` more that go from
    80.00 (良好) to 95.00 (优秀)."""
    rows = [{"unit": f"单位{i:04d}", "official_composite": 90.0, "composite": 90.0, "grade": "良好",
             "grade_changed": False, "official_rank": 1, "rank": 1} for i in range(n)]
    rows += [{"unit": f"变化{i}", "official_composite": 80.0, "composite": 95.0, "grade": "优秀",
              "grade_changed": True, "official_rank": n + 1, "rank": 1} for i in range(changed)]
    return pd.DataFrame(rows)


COLOURS = {"良好": "#009E73", "优秀": "#0072B2"}


def test_the_whatif_chart_draws_every_unit_as_a_point_up_to_its_limit():
    from perfcore.present import figures
    sim = _simulated(figures.MANY_POINTS - 1, 1)                 # 400 units: every one a point
    fig = figures.whatif_scatter(sim, COLOURS, {}, "zh", "t")
    assert [trace.type for trace in fig.data] == ["scatter"] * 3    # the diagonal, then one trace per grade
    assert [(trace.name, len(trace.x)) for trace in fig.data[1:]] == [("良好", 399), ("优秀", 1)]
    assert fig.data[2].marker.color == "#0072B2"


def test_a_large_whatif_chart_counts_the_units_in_squares_per_grade():
    from perfcore.present import figures
    sim = _simulated(figures.MANY_POINTS, 2)                     # 402 units: above the limit, no points
    fig = figures.whatif_scatter(sim, COLOURS, {"优秀": "优秀（A）"}, "zh", "t")
    assert [trace.type for trace in fig.data] == ["scatter", "heatmap", "heatmap"]
    good, best = fig.data[1], fig.data[2]
    assert (good.name, best.name) == ("良好", "优秀（A）") and good.showlegend and best.showlegend
    z_good, z_best = np.asarray(good.z, dtype=float), np.asarray(best.z, dtype=float)
    # every unit is counted once, in its grade's squares: 400 at (90, 90), 2 at (80 official, 95 simulated)
    assert np.nansum(z_good) == 400 and np.nanmax(z_good) == 400
    assert np.nansum(z_best) == 2 and np.isnan(z_best).sum() == figures.DENSITY_BINS ** 2 - 1   # empty squares blank
    width = (95.0 - 80.0) / figures.DENSITY_BINS                     # squares span the lowest to the highest composite
    row, column = np.argwhere(z_best == 2)[0]
    assert abs(np.asarray(best.x)[column] - 80.0) <= width and abs(np.asarray(best.y)[row] - 95.0) <= width
    row, column = np.argwhere(z_good == 400)[0]
    assert abs(np.asarray(good.x)[column] - 90.0) <= width and abs(np.asarray(good.y)[row] - 90.0) <= width
    assert good.zmax == best.zmax == 400                             # one shading for every grade
    assert best.colorscale[-1][1] == "#0072B2" and best.colorscale[0][1] == figures.blend("#0072B2", 0.2)


def test_blend_mixes_a_colour_with_white():
    from perfcore.present import figures
    assert figures.blend("#0072B2", 1.0) == "#0072B2"
    assert figures.blend("#0072B2", 0.0) == "#FFFFFF"
    # 255 - (255 - c) × 0.5 for c = 0x00, 0x72 (114), 0xB2 (178): 127.5 → 128, 184.5 → 184 (half to even), 216.5 → 216
    assert figures.blend("#0072B2", 0.5) == "#80B8D8"
