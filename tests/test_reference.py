"""The sample data's results agree with a second, simple implementation that reads the files itself."""
from __future__ import annotations

import pytest

import perfcore
from tests import reference
from tests.conftest import ROOT


@pytest.mark.parametrize("org, years", [("示例区", range(2020, 2027)), ("示例市妇联", range(2022, 2026)),
                                        ("示例市直机关", range(2023, 2026))])
def test_sample_results_match_the_reference(sample_db, org, years):
    for year in years:
        ours = perfcore.score(sample_db, org, year).results.set_index("unit").sort_index()
        ref = reference.results(reference.tables(ROOT / "data", org, year)).set_index("unit").sort_index()
        assert list(ours.index) == list(ref.index)
        assert ours["composite"].tolist() == pytest.approx(ref["composite"].tolist(), abs=1e-9), (org, year)
        assert ours["rank"].tolist() == ref["rank"].tolist(), (org, year)
        assert ours["grade"].tolist() == ref["grade"].tolist(), (org, year)
        assert ours["veto"].tolist() == ref["veto"].tolist(), (org, year)


def test_sample_headline_spot_values(sample_db):
    # The 2024 federation year: 权益部 had a secrecy leak (veto) and is 不合格 whatever its score.
    r = perfcore.score(sample_db, "示例市妇联", 2024).results.set_index("unit")
    assert r.loc["权益部", "veto"] and r.loc["权益部", "grade"] == "不合格"
    # The city's forced distribution over 32 units: 8 / 12 / 11 / 1 (A4, largest remainder)
    g = perfcore.score(sample_db, "示例市直机关", 2025).results["grade"].value_counts().to_dict()
    assert g == {"优秀": 8, "良好": 12, "达标": 11, "不达标": 1}


def _unit_list(org: str) -> dict:
    import csv
    with (ROOT / "data" / org / "单位名单.csv").open(encoding="utf-8-sig") as f:
        return {r["单位"]: r for r in csv.DictReader(f)}


def test_sample_uses_the_rules_its_seed_has(sample_db):
    # S0 四.3: 80分（不含）以下且最低的部室，部室负责人不能评为优秀. In 2024 权益部 is lowest (79.50) and
    # below 80; the consequence names its head from the unit list (主要领导).
    fed = perfcore.score(sample_db, "示例市妇联", 2024).results.set_index("unit")
    head = _unit_list("示例市妇联")["权益部"]["主要领导"]
    assert fed.loc["权益部", "composite"] == pytest.approx(79.5)
    assert fed.loc["权益部", "consequences"] == [f"部室负责人年度考核不能评为优秀：主要领导 {head}"]
    # S2 (兑现奖惩): base award 8,000 in the sample; 优秀 +10 %, 良好 +5 %, 达标 ×1, 不达标 −20 %
    city = perfcore.score(sample_db, "示例市直机关", 2025).results
    amounts = city.groupby("grade")["reward_amount"].unique().map(list).to_dict()
    assert amounts == {"优秀": [8800.0], "良好": [8400.0], "达标": [8000.0], "不达标": [6400.0]}
    # S2: the 2024 veto costs the people involved (一票否决.csv 当事人), the principal leader and the
    # leader in charge their whole bonus
    city24 = perfcore.score(sample_db, "示例市直机关", 2024).results.set_index("unit")
    people = _unit_list("示例市直机关")["水利局"]
    assert f"一票否决：扣发当事人及主要领导、分管领导全额奖金：当事人 孙某、周某某，主要领导 {people['主要领导']}，" \
           f"分管领导 {people['分管领导']}" in city24.loc["水利局", "consequences"]
    # S3: 区委工作任务分解 is scored from completion and improvement (R30); the reference above checks
    # every composite, here its lines add up to the score
    from perfcore.engine.trace import summary
    lines = perfcore.explain(sample_db, "示例区", 2025, "区委办", "区委工作任务分解")
    assert (lines["line"] == "event").sum() == 3 and summary(lines)["reconciles"].all()
