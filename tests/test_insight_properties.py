"""Every decomposition adds up to its difference, on generated organisations (hypothesis).

Two years of three units with direct scores, a floored indicator, a capped bonus pool, de-duplicated
problems and matters, and a scheme that may change between the years (an amount, a weight, a cap).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfcore.engine.whatif import WhatIf
from perfcore.insight.change import change, check_rank_identity
from perfcore.insight.compare import compare
from perfcore.insight.parts import composite_parts
from perfcore.insight.scores import Scores
from tests.builders import Org, event, scheme

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
weight = {weight}
[[pool]]
name = "察访核验"
kind = "扣分"
[[pool]]
name = "正向激励"
kind = "加分"
cap = {cap}
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
targets = ["值班"]
[[rule]]
name = "表彰"
kind = "加分"
amount = 3
targets = ["正向激励"]
"""
UNITS = ["甲", "乙", "丙"]
RULES = {"值班": ["值班脱岗"], "察访核验": ["工作落实不力", "媒体曝光经查属实"], "正向激励": ["表彰"]}

records = st.lists(st.tuples(st.sampled_from(UNITS), st.sampled_from(list(RULES)), st.integers(0, 1),
                             st.integers(1, 4), st.sampled_from(["", "P1", "P2"]), st.integers(1, 12)), max_size=10)
schemes = st.tuples(st.sampled_from([3, 5, 8]), st.sampled_from([0.5, 1.0]), st.sampled_from([3, 5]))


def _year(org: Org, year: int, setting, direct, events) -> None:
    amount, weight, cap = setting
    rows = []
    for i, (unit, target, which, count, key, month) in enumerate(events):
        rule = RULES[target][which % len(RULES[target])]
        rows.append(event(f"{year}-{i:03d}", unit, target, rule, f"{year}-{month:02d}-10", count=count,
                          problem=key if target == "察访核验" else "", matter=key.replace("P", "M") if target == "正向激励" else ""))
    org.year(year, scheme(year=year, total=100, extra=POOLS.format(amount=amount, weight=weight, cap=cap)),
             [["", "", "业务", 96, "直接评分"], ["", "", "值班", 4, "扣分制"]],
             scores=[[u, "业务", d] for u, d in zip(UNITS, direct)], events=rows)


@given(first=schemes, second=schemes, direct=st.lists(st.lists(st.integers(40, 96), min_size=3, max_size=3), min_size=2, max_size=2),
       events=st.lists(records, min_size=2, max_size=2))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_changes_and_comparisons_add_up_to_the_cent(first, second, direct, events):
    with tempfile.TemporaryDirectory() as tmp:
        org = Org(Path(tmp))
        org.units = [[u, "一系列" if u != "丙" else "二系列"] for u in UNITS]
        _year(org, 2024, first, direct[0], events[0])
        _year(org, 2025, second, direct[1], events[1])
        con = org.load()
        try:
            scores = Scores(con, org.name)
            sim = WhatIf(con, org.name, 2025, official=scores.year(2025))
            for unit in UNITS:
                for year in (2024, 2025):
                    composite_parts(scores.year(year), unit)          # refuses lines that do not rebuild the composite
                result = change(scores, 2025, unit)
                assert round(result.lines["contribution"].sum() * 100) == round(result.difference * 100)
                assert check_rank_identity(result)
                scheme_effect = result.lines.loc[result.lines["kind"] == "scheme", "contribution"].sum()
                if first == second:
                    assert scheme_effect == 0
                elif first[2] == second[2]:
                    # the scheme's effect is 2025 scored under 2024's amount and weight, as the what-if scores it
                    under = sim.run(amounts={"工作落实不力": first[0]}, weights={"incentive": first[1]}).set_index("unit")
                    assert round(scheme_effect * 100) == round((result.composite_to - under.loc[unit, "composite"]) * 100)
            for a in UNITS:
                for b in UNITS:
                    if a != b:
                        gap = compare(scores, 2025, a, b)
                        assert round(gap.lines["contribution"].sum() * 100) == round(gap.gap * 100)
        finally:
            con.close()
