"""Scheme validation: every key checked, a typo is an error, grade tables have no gaps."""
from __future__ import annotations

import pytest

from perfcore.errors import InputError
from perfcore.engine.scheme import parse
from tests.builders import THRESHOLD_GRADES, scheme


def _errors(text):
    with pytest.raises(InputError) as exc:
        parse(text, "考评方案.toml")
    return [(p.column, p.zh) for p in exc.value.problems]


def test_minimal_scheme_parses():
    s = parse(scheme(total=10), "t")
    assert s.grade_names() == ["优秀", "良好", "合格", "不合格"] and s.components[0].key == "indicator"


def test_unknown_key_is_an_error():
    assert ("scheme.yaer", "未知的设置项（是否拼写有误？）") in _errors(scheme(total=10).replace("scale = 100", "scale = 100\nyaer = 1"))


def test_grade_table_with_a_gap():
    gapped = THRESHOLD_GRADES.replace("min = 80\nmax = 90", "min = 80\nmax = 88")
    errs = _errors(scheme(total=10, grades=gapped))
    assert any(c == "grade[2].max" and "缺口" in z for c, z in errs)


def test_lowest_grade_with_a_floor_leaves_a_gap():
    errs = _errors(scheme(total=10, grades=THRESHOLD_GRADES.replace('max = 70', 'max = 70\nmin = 60')))
    assert any(c == "grade[4].min" for c, _ in errs)


def test_forced_shares_must_add_up_to_one():
    grades = """
[grading]
mode = "forced"
[[grade]]
name = "优秀"
share = 0.3
[[grade]]
name = "不达标"
share = 0.6
"""
    assert any("之和应为 1" in z for _, z in _errors(scheme(total=10, grades=grades)))


def test_rule_needs_exactly_one_amount_kind():
    errs = _errors(scheme(total=10, extra='[[rule]]\nname = "x"\namount = 1\nrange = [0.1, 0.5]'))
    assert any("只能给出" in z for _, z in errs)


def test_text_where_a_number_belongs():
    errs = _errors(scheme(total=10, extra='weight = "六成"'))
    assert ("component[1].weight", "应为数字") in errs


def test_toml_syntax_error_names_the_line():
    with pytest.raises(InputError) as exc:
        parse("[scheme]\nyear = \n", "考评方案.toml")
    assert "line 2" in exc.value.problems[0].zh


def test_tier_table_must_cover_every_ratio():
    extra = '[[tier_table]]\nname = "t"\ntiers = [{ min = 1.0, points = 0 }, { min = 0.5, points = -1 }]'
    assert any("无缺口" in z for _, z in _errors(scheme(total=10, extra=extra)))


def test_what_if_weights_leave_the_original_alone():
    s = parse(scheme(total=10), "t")
    changed = s.with_weights({"indicator": 0.5})
    assert changed.component("indicator").weight == 0.5 and s.component("indicator").weight == 1.0


def test_shipped_sample_schemes_parse():
    from pathlib import Path
    for path in sorted(Path("data").glob("*/*/考评方案.toml")):
        s = parse(path.read_text(encoding="utf-8"), str(path), path.parent.parent.name, int(path.parent.name))
        assert s.components and s.grades
