"""The room figures make for their labels before plotly draws (perfcore.present.figures._room).

Widths are worked out by hand from the rule in `text_px`: a CJK glyph is one em, a digit 0.5625 em,
other Latin letters 0.62 em; at the tick size of 12 px a CJK glyph is 12 px and a digit 6.75 px.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfcore.present import figures
from perfcore.present.figures import _axis_labels, _room, _tick_labels, text_px

ROOT = Path(__file__).resolve().parent.parent


def spec(fig: go.Figure) -> dict:
    """A figure as the figures module builds it (plotly's format, values as given)."""
    return {"data": [trace.to_plotly_json() for trace in fig.data], "layout": fig.layout.to_plotly_json()}


def test_label_widths():
    assert text_px("察访核验扣分") == 72.0                    # 6 CJK glyphs × 12 px
    assert text_px("单位00132") == pytest.approx(57.75)      # 2 × 12 + 5 × 6.75
    assert text_px("A&amp;B") == pytest.approx(3 * 0.62 * 12)   # an escaped "&" is one character
    assert text_px("100%", 10) == pytest.approx(3 * 5.625 + 9.1)


def test_tick_labels_follow_the_range():
    assert _tick_labels(0, 1000, None) == ["0", "1000", "500"]           # a step of 100: whole numbers
    assert _tick_labels(-5, 5, None) == ["\u22125", "5", "0"]            # plotly's minus sign
    assert _tick_labels(0, 100_000, None) == ["0", "100k", "50k"]        # thousands from 10,000
    assert _tick_labels(0, 1.02, ".0%") == ["0%", "102%", "51%"]
    assert _tick_labels(0.2, 0.8, None) == ["0.2", "0.8", "0.5"]         # a step of 0.1: one decimal


def test_room_for_category_names_an_axis_title_and_a_number_axis():
    fig = go.Figure(go.Bar(y=["察访核验扣分", "满分"], x=[3, 4], orientation="h"))
    fig.update_xaxes(range=[0, 100], title="得分")
    room = _room(spec(fig), 360, {"l": 10, "r": 12, "t": 50, "b": 10}, {})
    # left: the widest name 72 px + 19 beside the ticks + 2 spare; bottom: a line of ticks 34 + the title 30 + 2;
    # right: half the widest number "100" (20.25 px) is 11, under the 12 asked for
    assert room == {"l": 93, "r": 12, "t": 50, "b": 66}


def test_room_for_a_number_axis_title_and_a_legend_under_the_plot():
    fig = go.Figure(go.Scatter(x=[700, 750], y=[650, 900]))
    fig.update_yaxes(title="模拟")
    room = _room(spec(fig), 420, {"l": 10, "r": 12, "t": 50, "b": 10}, {"orientation": "h", "y": -0.18})
    # y runs 637.5–912.5 (5 % padding): step 10, labels "638", "912", "775", 3 digits = 20.25 px
    # left: 20.25 + 19 + 34 (title) = 73.25 → 74 + 2; bottom: the legend, 0.18 of the 370 px below the title
    # plus one row of 39, over 1.18 = 89.49 → 90 + 2 (more than the 34 of the tick labels)
    assert room == {"l": 76, "r": 12, "t": 50, "b": 92}


def test_room_for_a_legend_at_the_figures_foot_under_the_axis_title():
    fig = go.Figure(go.Bar(y=["一"], x=[0.5], orientation="h"))
    fig.update_xaxes(range=[0, 1.02], tickformat=".0%", title="得分率")
    legend = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0}
    assert _room(spec(fig), 800, {"l": 10, "r": 12, "t": 50, "b": 10}, legend)["b"] == 34 + 30 + 39 + 2


def test_a_bar_from_a_base_reaches_base_plus_length():
    fig = go.Figure(go.Bar(y=["甲", "乙"], x=[4.0, 2.0], base=[60.0, 96.0], orientation="h"))
    # x runs 60–98 (the bars' starts and ends, not their lengths) padded by 5 %: 58.1–99.9, a step of 1
    assert _axis_labels(spec(fig), "x") == (["58", "100", "79"], False)
    room = _room(spec(fig), 360, {"l": 10, "r": 12, "t": 50, "b": 10}, {})
    # the widest "100" is 20.25 px: half is 11, under 12; the names are 12 px wide
    assert room == {"l": 12 + 19 + 2, "r": 12, "t": 50, "b": 36}
    scalar = go.Figure(go.Bar(x=["甲"], y=[5.0], base=2.0))            # one base for every bar
    assert _axis_labels(spec(scalar), "y") == (["2", "7", "4"], False)     # 2–7 padded: 1.75–7.25, a step of 1


def test_gaps_dates_and_partial_ranges_are_left_to_plotly():
    gaps = go.Figure(go.Scatter(x=[1, 2, 3], y=[float("nan"), 4.0, None]))
    assert _axis_labels(spec(gaps), "y") == (["4.0", "4.0", "4.0"], False)   # one number: a span of its own size, a step of 0.1
    dates = go.Figure(go.Scatter(x=pd.to_datetime(["2025-01-01", "2025-06-01"]), y=[1, 2]))
    assert _axis_labels(spec(dates), "x") == ([], False)
    partial = go.Figure(go.Scatter(x=[0, 10], y=[1, 2]))
    partial.update_xaxes(range=[0, None])
    assert _axis_labels(spec(partial), "x")[0] == ["−0", "10", "5"]


def test_the_last_category_centred_on_the_edge_gets_half_its_width():
    fig = go.Figure(go.Bar(x=["优秀", "良好", "不合格"], y=[1, 2, 3]))
    room = _room(spec(fig), 280, {"l": 10, "r": 12, "t": 50, "b": 10}, {})
    assert room["r"] == 18                                            # "不合格" is 36 px


def test_turned_labels_are_left_to_plotly():
    fig = go.Figure(go.Bar(x=["一", "二"], y=[1, 2]))
    fig.update_xaxes(tickangle=-60)
    assert _room(spec(fig), 280, {"l": 10, "r": 12, "t": 80, "b": 10}, {})["b"] == 10


def test_figures_carry_the_sizes_the_room_is_worked_out_for():
    steps = pd.DataFrame({"label": ["满分", "指标一", "综合得分"], "value": [100.0, -3.0, 97.0],
                          "kind": ["absolute", "relative", "total"]})
    fig = figures.waterfall(steps, "zh", "t")
    assert fig.layout.margin.pad == figures.PAD
    assert fig.layout.yaxis.title.standoff == figures.STANDOFF["y"] and fig.layout.xaxis.title.font.size == figures.TITLE_PX
    assert fig.layout.margin.l == 12 * 4 + 19 + 2                     # "综合得分", no axis title on y
    assert fig.layout.yaxis.automargin and fig.layout.xaxis.automargin   # still grows a margin an estimate missed


def test_months_of_one_year_are_named_short():
    frame = pd.DataFrame({"month": ["2025-01", "2025-03"], "final": [-1.0, 2.0]})
    fig = figures.events_by(frame, "month", "zh", "t")
    assert list(fig.layout.xaxis.ticktext) == ["1月", "3月"]
    assert list(figures.events_by(frame, "month", "en", "t").layout.xaxis.ticktext) == ["Jan", "Mar"]
    both = pd.DataFrame({"month": ["2024-12", "2025-01"], "final": [-1.0, 2.0]})
    assert figures.events_by(both, "month", "zh", "t").layout.xaxis.ticktext is None   # two years: as they are


@settings(deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="&"), max_size=20),
       st.text(alphabet=st.characters(blacklist_characters="&"), max_size=5))   # "&amp;" is one character wide
def test_a_longer_label_is_never_narrower(text, more):
    assert text_px(text + more) >= text_px(text)


@settings(deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8, unique=True),
       st.integers(0, 200), st.integers(0, 200))
def test_the_room_is_never_less_than_asked(names, left, bottom):
    fig = go.Figure(go.Bar(y=names, x=list(range(len(names))), orientation="h"))
    asked = {"l": left, "r": 12, "t": 50, "b": bottom}
    room = _room(spec(fig), 360, asked, {})
    assert all(room[k] >= asked[k] for k in asked)
    assert room["l"] >= max(text_px(n) for n in names) + figures.BESIDE_TICKS


def every_figure(lang: str) -> dict:
    """Each figure of the module, from small frames made by hand (both forms of the what-if chart)."""
    grades = ["优秀", "良好", "合格"]
    colors, labels = figures.grade_colors(grades), {g: g for g in grades}
    units = ["甲局", "乙局", "丙<局>"]
    sim = pd.DataFrame({"unit": units, "official_composite": [91.0, 85.5, 70.25], "composite": [90.0, 86.0, 71.0],
                        "grade": grades, "official_rank": [1, 2, 3], "rank": [1, 2, 3]})
    many = pd.concat([sim] * 150, ignore_index=True)          # 450 units: drawn as squares, not points
    history = pd.DataFrame({"unit": ["甲局", "甲局", "乙局", "乙局"], "year": [2024, 2025, 2024, 2025],
                            "series_rank": [1, 2, 2, 1], "composite": [90.0, 88.0, 87.0, 89.5], "series_units": [2] * 4})
    return {
        "grade_bar": figures.grade_bar(pd.DataFrame({"grade": grades, "count": [3, 5, 1]}), colors, labels, lang),
        "waterfall": figures.waterfall(pd.DataFrame({"label": ["满分", "指标一", "综合得分"], "value": [100.0, -3.0, 97.0],
                                                     "kind": ["absolute", "relative", "total"]}), lang, "t"),
        "bands": figures.bands(pd.DataFrame({"unit": units, "lo": [1, 1, 2], "mid": [1, 2, 3], "hi": [2, 3, 3], "rank": [1, 2, 3]}),
                               lang, "t", "lo", "mid", "hi", marker="rank", axis_title="名次", reversed_axis=True,
                               mid_name="中位", marker_name="正式"),
        "grade_probabilities": figures.grade_probabilities(pd.DataFrame({"unit": units, "p_grade": [{"优秀": 0.7, "良好": 0.3},
                                                                                                     {"良好": 1.0}, {"合格": 1.0}]}),
                                                           grades, colors, labels, lang, "t"),
        "indicator_vs_series": figures.indicator_vs_series(pd.DataFrame({"target": ["指标一", "指标二"], "score": [8.0, 10.0],
                                                                         "series_avg": [9.0, 9.5], "points": [10.0, 10.0]}), lang, "t"),
        "history_composite": figures.history_composite(history[history["unit"] == "甲局"], lang, "t"),
        "history_rank": figures.history_rank(history[history["unit"] == "甲局"], lang, "t"),
        "heatmap": figures.heatmap(pd.DataFrame({"指标一": [0.9, 0.7], "指标二": [1.0, 0.8]}, index=units[:2]), lang, "t",
                                   {"指标一": "共同性", "指标二": "业务"}),
        "progress_bars": figures.progress_bars(pd.DataFrame({"unit": units, "percent": [80.0, 55.0, 20.0],
                                                             "status": ["on_track", "behind", "at_risk"], "expected": [75.0] * 3}),
                                               lang, "t"),
        "events_by": figures.events_by(pd.DataFrame({"month": ["2025-01", "2025-03"], "final": [-1.0, 2.0]}), "month", lang, "t"),
        "events_by_unit": figures.events_by(pd.DataFrame({"unit": units, "final": [-1.0, -2.5, 0.5]}), "unit", lang, "t",
                                            horizontal=True),
        "bump": figures.bump(history, lang, "t", highlight=["乙局"]),
        "slope": figures.slope(pd.DataFrame({"unit": ["甲局", "乙局"], "before": [1.0, 2.0], "after": [2.0, 1.0],
                                             "change": [-1.0, 1.0]}), 2024, 2025, lang, "t"),
        "whatif_points": figures.whatif_scatter(sim, colors, labels, lang, "t"),
        "whatif_squares": figures.whatif_scatter(many, colors, labels, lang, "t"),
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_figure_passes_plotlys_own_checks(lang):
    """The figures are built without plotly's checks (for speed); here every one of them goes through them:
    plotly raises on any property, value or trace type it does not know."""
    for name, fig in every_figure(lang).items():
        checked = go.Figure(fig.to_dict())
        assert len(checked.data) == len(fig.data), name
        assert checked.layout.template.layout.paper_bgcolor == "white", name     # the module's template, not plotly's
        assert checked.layout.margin.l >= 10 and checked.layout.height >= 280, name


def test_many_lines_are_one_trace_with_gaps():
    # 乙局 first (its rows come first), then 甲局; a gap after each
    frame = pd.DataFrame({"unit": ["乙局", "乙局", "甲局"], "year": [2024, 2025, 2025], "rank": [3, 1, 2]})
    xs, ys, names = figures._lines(frame, "year", "rank", "unit")
    assert xs[:2].tolist() == [2024.0, 2025.0] and xs[3] == 2025.0 and pd.isna(xs[2]) and pd.isna(xs[4])
    assert ys[:2].tolist() == [3.0, 1.0] and ys[3] == 2.0
    assert names == ["乙局", "乙局", None, "甲局", None]


def test_number_arrays_give_the_same_labels_as_lists():
    import numpy as np
    as_list = {"data": [{"type": "scatter", "x": [1, 2], "y": [650.0, None, 900.0]}], "layout": {}}
    as_array = {"data": [{"type": "scatter", "x": np.array([1, 2]), "y": np.array([650.0, np.nan, 900.0])}], "layout": {}}
    # 650–900 padded by 5 %: 637.5–912.5, a step of 10 (span 275 / 5 = 55 → 10): whole numbers
    assert _axis_labels(as_list, "y") == _axis_labels(as_array, "y") == (["638", "912", "775"], False)


def test_changes_made_after_a_figure_is_built_are_checked_as_plotly_checks_them():
    """A page may change a figure it was given (a line, a title): plotly's usual checks and shorthands apply."""
    def change(fig):
        fig.update_layout(title="标题")                     # shorthand for title.text
        fig.update_traces(marker_color="#000000", selector={"type": "bar"})
        fig.update_xaxes(title="横轴")                      # a title dict replaced by its text
        fig.add_vline(x=1.5)
        return fig.to_dict()
    for name, fig in every_figure("zh").items():
        checked = go.Figure(fig.to_dict())                 # the same figure, checked by plotly throughout
        assert change(fig) == change(checked), name
    with pytest.raises(ValueError):
        every_figure("zh")["grade_bar"].update_layout(no_such_property=1)


def test_rows_without_a_group_are_left_out_of_the_lines():
    frame = pd.DataFrame({"unit": ["甲", "甲", None, "乙"], "year": [1, 2, 3, 4], "rank": [1, 2, 3, 4]})
    xs, ys, names = figures._lines(frame, "year", "rank", "unit")
    assert [None if pd.isna(v) else v for v in xs.tolist()] == [1.0, 2.0, None, 4.0, None]
    assert names == ["甲", "甲", None, "乙", None]


def test_a_slope_chart_of_many_units_shows_the_biggest_movers_each_way():
    from perfcore.present import views
    moves = pd.DataFrame({"unit": list("ABCDEFG"), "series": "s", "before": [1.0, 2, 3, 4, 5, 6, np.nan],
                          "after": [6.0, 1, 2, 3, 4, 5, 7], "change": [-5.0, 1, 1, 1, 1, 1, np.nan]})
    # by hand: the one faller (A, −5); the risers all +1, the first two in the notice's order (B, C); G is new
    assert views.biggest_moves(moves, each=2)["unit"].tolist() == ["A", "B", "C"]
    assert views.biggest_moves(moves, each=9)["unit"].tolist() == list("ABCDEF")


def test_the_movement_notice_is_punctuated_for_its_language():
    from perfcore.present import views
    # as the offices word it in Chinese; in English, no full-width colon or comma
    assert views.notice_line("团区委", 5.0, 2.0, 3.0, "zh") == "团区委：5 → 2，上升3位"
    assert views.notice_line("团区委", 5.0, 2.0, 3.0, "en") == "团区委: 5 → 2, up 3"
    assert views.notice_line("区委办", 1.0, 4.0, -3.0, "en") == "区委办: 1 → 4, down 3"
    assert views.notice_line("区委办", 3.0, 3.0, 0.0, "zh") == "区委办：3 → 3，持平"
    assert views.notice_line("新设局", np.nan, 7.0, np.nan, "zh") == "新设局：7"
    assert views.notice_line("新设局", None, 7.0, 0, "en") == "新设局: 7"


def test_english_views_name_grades_components_and_new_units_in_english():
    from types import SimpleNamespace
    from perfcore.engine.scheme import parse
    from perfcore.present import analysis, views
    assert views.movement_arrow(np.nan, np.nan, "en") == "new" and views.movement_arrow(np.nan, None) == "新"
    assert views.movement_arrow(2.0, 5.0, "en") == "▲2" and views.movement_arrow(-1.0, 3.0, "en") == "▼1"
    # a gap whose next grade is 优秀, level with two units: the grade by its English label, the units joined by ", "
    gap = SimpleNamespace(composite=90.0, reasons={"next_rank": ("已是第一名", "first already")}, next_rank=None,
                          next_series_rank={"points": 0.5, "reach": 90.5, "to": 3, "against": "乙"},
                          next_grade={"points": 1.25, "reach": 91.25, "to": "优秀", "level_with": ["甲", "丙"],
                                      "boundary": "forced", "tie_break_wins": True})
    rows = analysis.gap_rows(gap, "en", {"优秀": "Excellent"})
    assert rows["to"].tolist() == ["", "3", "Excellent"]
    assert rows["against"].tolist() == ["first already", "乙", "甲, 丙 (tie-breaks favour it: level is enough)"]
    assert analysis.gap_rows(gap, "zh", {"优秀": "优秀"})["against"].iloc[2] == "甲、丙（比较项占优，持平即可）"
    steps = analysis.gap_steps(gap, "en", {"优秀": "Excellent"})
    assert steps["label"].tolist() == ["Now", "next series rank (3)", "next grade (Excellent)"]
    assert steps["value"].tolist() == [90.0, 0.5, 0.75]          # 1.25 − 0.5 after the series rank's half point
    # the components not yet scored, by label (the results hold their keys)
    scheme = parse((ROOT / "data" / "示例区" / "2025" / "考评方案.toml").read_text(encoding="utf-8"), "s.toml", "示例区", 2025)
    keys = [c.key for c in scheme.components]
    labels_en = [c.label_en or c.label for c in scheme.components]
    assert views.missing_components("、".join(keys[:2]), scheme, "en") == ", ".join(labels_en[:2])
    assert views.missing_components(keys[0], scheme, "zh") == scheme.components[0].label
    assert views.missing_components("", scheme, "en") == ""


def test_an_audit_rows_changes_are_listed_in_the_readers_punctuation():
    from perfcore.present import views
    before, after = '{"count": 1, "status": "已审定"}', '{"count": 2, "status": "已撤销"}'
    assert views.audit_changes(before, after) == "count: 1 → 2；status: 已审定 → 已撤销"
    assert views.audit_changes(before, after, "en") == "count: 1 → 2; status: 已审定 → 已撤销"
    assert views.audit_changes(None, '{"event_id": "E1", "count": 3, "unit": "甲"}', "en") == "count: 3; unit: 甲"
    assert views.audit_changes(before, None) == ""
