"""Invariants, checked with hypothesis over generated inputs."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from perfcore.engine import grading

from perfcore.engine import scoring
from perfcore.engine.scheme import parse
from perfcore.engine.whatif import WhatIf
from tests.builders import scheme
from tests.test_rules import FORCED

THRESHOLD = parse(scheme(total=100), "t")
FORCED_SCHEME = parse(scheme(total=100, grades=FORCED), "t")
scores = st.floats(min_value=-50, max_value=150, allow_nan=False).map(lambda x: round(x, 2))


@given(points=st.lists(st.sampled_from([2.0, 4.0, 10.0, 40.0]), min_size=1, max_size=6),
       nets=st.lists(st.floats(min_value=-100, max_value=100, allow_nan=False), min_size=6, max_size=6),
       modes=st.lists(st.sampled_from(["deduct_from_full", "cumulative", "direct"]), min_size=6, max_size=6))
def test_indicator_scores_stay_within_zero_and_points(points, nets, modes):
    names = [f"指标{i}" for i in range(len(points))]
    indicators = pd.DataFrame({"indicator": names, "category": "", "first_level": "", "points": points,
                               "mode": modes[:len(points)], "allow_overflow": False})
    totals = {"net": nets[:len(points)]}
    grid = scoring.target_scores(["甲"], indicators, THRESHOLD, totals, pd.DataFrame(columns=["unit", "indicator", "score"]))
    assert ((grid.score >= 0) & (grid.score <= grid.targets["points"].to_numpy())).all()


@given(st.lists(scores, min_size=1, max_size=60))
def test_ranks_are_a_competition_ranking(values):
    ranks = grading.competition_rank(values)
    for v, r in zip(values, ranks):
        assert r == 1 + sum(1 for w in values if w > v)


def _frame(values, vetoed=None):
    n = len(values)
    return pd.DataFrame({"unit": [f"u{i}" for i in range(n)], "series": "一", "composite": values,
                         "veto": vetoed if vetoed is not None else [False] * n})


@given(st.lists(scores, min_size=2, max_size=60))
def test_threshold_grades_are_monotone_in_the_composite(values):
    g = grading.threshold_grades(values, [False] * len(values), THRESHOLD)
    order = {name: i for i, name in enumerate(THRESHOLD.grade_names())}
    pairs = sorted(zip(values, (order[x] for x in g)))
    assert all(a[1] >= b[1] for a, b in zip(pairs, pairs[1:]))


@given(st.lists(scores, min_size=2, max_size=60))
def test_forced_grades_are_monotone_in_the_composite(values):
    g, _ = grading.forced_grades(_frame(values), FORCED_SCHEME)
    order = {name: i for i, name in enumerate(FORCED_SCHEME.grade_names())}
    pairs = sorted(zip(values, (order[x] for x in g)))
    assert all(a[1] >= b[1] for a, b in zip(pairs, pairs[1:]))


@given(st.lists(st.tuples(scores, st.booleans()), min_size=1, max_size=60), st.sampled_from(["threshold", "forced"]))
def test_a_veto_always_gives_the_lowest_grade(rows, mode):
    values, vetoed = [r[0] for r in rows], [r[1] for r in rows]
    s = THRESHOLD if mode == "threshold" else FORCED_SCHEME
    g, _ = grading.assign_grades(_frame(values, vetoed), s)
    assert all(grade == s.lowest_grade() for grade, v in zip(g, vetoed) if v)


@given(st.lists(st.integers(min_value=0, max_value=100000), min_size=1, max_size=200, unique=True))
def test_forced_distribution_counts_stay_within_one_of_their_quota(ints):
    values = [i / 100 for i in ints]   # distinct composites, no vetoes
    g, notes = grading.forced_grades(_frame(values), FORCED_SCHEME)
    assert notes == []
    n = len(values)
    for grade in FORCED_SCHEME.grades:
        count = sum(1 for x in g if x == grade.name)
        assert abs(count - grade.share * n) < 1 + 1e-9, (grade.name, count, grade.share * n)
        if grade is FORCED_SCHEME.grades[-1]:
            assert count <= grade.share * n + 1e-9   # nobody is rounded into the penalty grade


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_switching_off_a_deduction_never_lowers_a_composite(sample_db, data):
    """Except where the switched-off event is what made another event exempt (R14 item 9)."""
    org, year = data.draw(st.sampled_from([("示例区", 2025), ("示例市妇联", 2024), ("示例市直机关", 2025)]))
    sim = _sims.setdefault((org, year), WhatIf(sample_db, org, year))
    deductions = sample_db.execute(
        "SELECT e.event_id, e.unit FROM events e WHERE org = ? AND year = ? AND status IN ('已核实', '已审定', '申诉中') "
        "AND NOT EXISTS (SELECT 1 FROM events p WHERE p.org = e.org AND p.year = e.year AND p.unit = e.unit "
        "AND p.problem_key = e.problem_key AND p.event_id <> e.event_id AND p.target <> e.target) ORDER BY event_id",
        [org, year]).fetchall()
    rules = {r.name: r for r in sim.official.scheme.rules}
    kinds = dict(sample_db.execute("SELECT event_id, rule FROM events WHERE org = ? AND year = ?", [org, year]).fetchall())
    deductions = [d for d in deductions if rules[kinds[d[0]]].kind == "deduction"]
    off = data.draw(st.lists(st.sampled_from(deductions), min_size=1, max_size=3, unique=True))
    result = sim.run(events_off=[e for e, _ in off]).set_index("unit")
    for _, unit in off:
        assert result.loc[unit, "composite"] >= result.loc[unit, "official_composite"] - 1e-9


_sims: dict = {}


def test_white_on_black_and_white_contrast():
    from perfcore.present import figures
    assert figures.contrast_with_white("#FFFFFF") == pytest.approx(1.0)      # WCAG: (1 + 0.05) / (1 + 0.05)
    assert figures.contrast_with_white("#000000") == pytest.approx(21.0)     # (1 + 0.05) / (0 + 0.05)
    assert figures.label_color("#000000") == "#000000"                        # already readable: unchanged


@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
def test_a_label_colour_keeps_white_text_readable_and_its_hue(r, g, b):
    from perfcore.present import figures
    colour = f"#{r:02X}{g:02X}{b:02X}"
    shade = figures.label_color(colour)
    assert figures.contrast_with_white(shade) >= 4.5                        # WCAG AA for white text
    sr, sg, sb = (int(shade[i:i + 2], 16) for i in (1, 3, 5))
    assert sr <= r and sg <= g and sb <= b                                  # only ever darker
    if figures.contrast_with_white(colour) >= 4.5:
        assert shade == colour


@example([(0, 0, 0, 4), (0, 1, 0, 0), (0, 2, 0, 0), (0, 3, 0, 0), (0, 4, 0, 0), (0, 5, 0, 2**62)])  # 4·(2**62+1) wraps to 4
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2**40), st.integers(0, 1), st.integers(0, 2**62)),
                min_size=1, max_size=60))
def test_combined_group_codes_are_equal_exactly_when_every_part_is(rows):
    # the pipeline's groups (unit, target, kind, key …) as one code: no two different groups may share
    # one, however large the parts (past 2**62 the codes are compacted and must stay exact)
    import numpy as np
    from perfcore.engine.pipeline import _combined
    parts = [np.array([r[i] for r in rows], dtype=np.int64) for i in range(4)]
    code = _combined(*parts).tolist()
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert (code[i] == code[j]) == (rows[i] == rows[j])


def test_the_two_halves_of_a_scan_that_saw_different_records_are_read_again_in_one(tmp_path):
    # the halves run on cursors of their own: a record written between them must not be paired with
    # another record's columns, so the year is read again in one scan
    import numpy as np
    from perfcore.engine import eventset
    from perfcore.engine.results import load_scheme
    from tests.builders import Org, event
    from tests.test_rules import MITIGATION
    org = Org(tmp_path).year(2025, scheme(total=10, extra=MITIGATION), [["", "", "业务", 10, "扣分制"]],
                             events=[event("E1", "甲", "业务", "公文差错被通报"), event("E2", "乙", "业务", "公文差错被通报")])
    con = org.load()
    sch = load_scheme(con, org.name, 2025)
    first, second = (eventset._scan(con.cursor(), org.name, 2025, None, half) for half in eventset.HALVES)
    whole = eventset._scan(con.cursor(), org.name, 2025, None, eventset.CODED)
    again = lambda: {**whole, "again": True}                                       # noqa: E731 - read in one scan
    from perfcore.store.connection import committed, transaction
    mark = committed()
    joined = eventset._joined([first, second], again, mark)
    assert "again" not in joined and set(joined) == set(whole)                     # same rows: the halves are used
    missed = {k: v[:1] for k, v in second.items()}                                  # a half that missed a record
    assert eventset._joined([first, missed], again, mark)["again"]
    assert eventset._joined([first, None], again, mark)["again"]                   # a half that found rows not coded
    # a change committed between the two scans keeps the row ids: this process committed meanwhile
    with transaction(con):
        con.execute("UPDATE events SET count = 2 WHERE event_id = 'E1'")
    assert eventset._joined([first, second], again, mark)["again"]
    assert np.array_equal(eventset.read(con, sch, org.name, 2025)["rowid"], whole["rowid"])
