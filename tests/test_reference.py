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
