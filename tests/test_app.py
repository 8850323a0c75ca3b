"""App tests for every page (streamlit.testing.v1.AppTest) on the shipped sample data."""
from __future__ import annotations

from pathlib import Path

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

import perfcore
from perfcore.access import Account
from perfcore.engine.whatif import WhatIf

ROOT = Path(__file__).resolve().parent.parent


OFFICE = Account("效能办", "office")


def signed_in(at: AppTest, account: Account = OFFICE) -> AppTest:
    """The app as an account sees it once signed in (the sign-in form itself is tested in the browser)."""
    at.session_state["_account"] = account
    at.session_state["_last_seen"] = dt.datetime.now()
    return at


def open_app(db, monkeypatch, account: Account = OFFICE):
    monkeypatch.setenv("PERFCORE_DB", str(db))
    monkeypatch.chdir(ROOT)
    at = signed_in(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180), account)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app(sample_db_path, monkeypatch):
    """The app on the shared sample database: for tests that only read (and scenarios, which never touch scores)."""
    return open_app(sample_db_path, monkeypatch)


@pytest.fixture
def writing_app(db_copy, monkeypatch):
    """The app on a private copy, for tests that record or publish."""
    return open_app(db_copy, monkeypatch)


def label_values(column):
    """A column shown as coloured labels holds one-item lists: the values themselves."""
    return column.map(lambda v: v[0])


def page(at, name):
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, at.exception
    return at


def texts(at):
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title])


def test_rankings_shows_the_league_table(app):
    assert app.title[0].value == "2025年度部门排名"
    assert app.selectbox(key="year").value == 2025          # the latest complete year by default
    table = app.dataframe[-1].value
    assert len(table) == 41 and table["rank"].iloc[0] == 1
    assert {"优秀", "良好"} <= set(label_values(table["grade"]))


def test_rankings_series_and_grade_filters_change_the_table(app):
    app.selectbox(key="series").set_value("镇街系列").run()
    assert not app.exception
    table = app.dataframe[-1].value
    assert len(table) == 8 and set(table["series"]) == {"镇街系列"}
    assert "series_rank" in table.columns and list(table["series_rank"])[:2] == [1, 2]
    app.pills(key="grades").set_value(["良好"]).run()
    assert set(label_values(app.dataframe[-1].value["grade"])) == {"良好"}


def test_rankings_search_and_new_unit(app):
    app.selectbox(key="year").set_value(2023).run()
    app.text_input(key="q").set_value("数据管理").run()
    table = app.dataframe[-1].value
    assert list(table["unit"]) == ["区数据管理局"] and list(table["movement"].iloc[0]) == ["新"]


def test_language_switch(app):
    app.segmented_control(key="lang").set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "2025 rankings"
    assert "Indicator score" in app.dataframe[-1].value.columns.tolist() or len(app.dataframe[-1].value) == 41
    app.session_state["year"] = 2020          # the first year: every unit is new, and says so in English (the page alone runs
    app.run()                                 # here after the first run: the frame's year box is not drawn, its state is read)
    assert set(label_values(app.dataframe[-1].value["movement"])) == {"new"}
    app.session_state["year"] = 2026          # a year in progress: its components not yet given, by label
    page(app, "unit")
    assert any("Components not yet scored (count 0 for now): Public evaluation" in i.value for i in app.info)


def test_year_in_progress_says_so(app):
    app.selectbox(key="year").set_value(2026).run()
    assert any("仍在进行" in i.value for i in app.info)


def test_unit_profile(app):
    page(app, "unit")
    app.selectbox(key="unit").set_value("区委政法委").run()
    assert app.title[0].value == "区委政法委"
    metrics = {m.label: m.value for m in app.metric}
    from tests import reference     # the composite as the pandas reference computes it from the files
    expected = reference.results(reference.tables(ROOT / "data", "示例区", 2025)).set_index("unit").loc["区委政法委", "composite"]
    assert metrics["综合得分"] == f"{expected:.2f}"
    # only the open tab runs: the score's build-up first, then each other part when its tab is opened
    charts = lambda: [json.loads(c.proto.spec) for c in app.get("plotly_chart")]
    assert [t["type"] for t in charts()[0]["data"]] == ["waterfall"] and len(charts()) == 1
    assert not [e for e in app.dataframe if "counted" in e.value.columns]
    unit_tab(app, "历年走势")
    assert len(charts()) == 2 and not [c for c in charts() if c["data"][0]["type"] == "waterfall"]
    unit_tab(app, "扣分与加分记录")
    assert not app.get("plotly_chart") and [e for e in app.dataframe if "counted" in e.value.columns]
    app.selectbox(key="unit").set_value("区委办").run()              # the tab stays open for the next unit
    assert app.title[0].value == "区委办" and [e for e in app.dataframe if "counted" in e.value.columns]
    app.session_state["lang"] = "en"        # and when the language changes (the page alone runs here: no frame switch)
    app.run()
    assert app.session_state["unit_tab"] == "Deductions and bonuses" and [e for e in app.dataframe if "counted" in e.value.columns]
    app.session_state["lang"] = "zh"
    app.run()


def unit_tab(at, name: str):
    """Open a tab of the unit profile (only the open tab runs)."""
    at.session_state["unit_tab"] = name
    at.run()
    return at


def test_unit_profile_charts_the_indicators_furthest_below_and_lists_every_one_with_lost_points(app):
    import json
    from tests import reference     # each indicator's score as the pandas reference computes it from the files
    t = reference.tables(ROOT / "data", "示例区", 2025)
    scores = reference.indicator_scores(t)
    ind = t["indicators"].set_index("indicator")["points"]
    series = t["units"].set_index("unit")["series"]
    def lost(unit):      # indicators where the unit or its series average falls short of full points
        peers = series.index[series == series[unit]]
        out = []
        for name, pts in ind.items():
            avg = round(sum(scores[(p, name)] for p in peers) / len(peers), 2)
            if scores[(unit, name)] < pts - 1e-9 or avg < pts - 1e-9:
                out.append((scores[(unit, name)] - avg, name))
        return [name for _, name in sorted(out)]
    unit = max(series.index, key=lambda u: (len(lost(u)), u))
    expected = lost(unit)
    assert len(expected) > 20                     # the sample has such a unit: more than a chart shows
    page(app, "unit")
    app.selectbox(key="unit").set_value(unit).run()
    unit_tab(app, "失分指标")
    chart = json.loads(app.get("plotly_chart")[-1].proto.spec)
    bars = {y for trace in chart["data"] if trace["type"] == "bar" for y in trace["y"]}
    assert len(bars) == 20 and "20" in chart["layout"]["title"]["text"]
    assert not [e for e in app.dataframe if "series_rate" in e.value.columns]     # the full list is drawn when opened
    app.session_state["all_short"] = True
    app.run()
    listed = [e.value for e in app.dataframe if "series_rate" in e.value.columns][0]
    assert sorted(listed["target"]) == sorted(expected)
    assert set(listed["target"].head(20)) == bars


def test_unit_profile_flags_consequences_with_names(app):
    # lowest of its series in 2023 and 2024: the two-year consequence is flagged on its 2024 profile
    app.selectbox(key="year").set_value(2024).run()
    page(app, "unit")
    app.selectbox(key="unit").set_value("区委政法委").run()
    assert any("集体约谈" in w.value for w in app.warning)    # consequence flag shown
    # 区财政局 is 不合格 in 2024: 约谈主要领导, naming its head from the unit list
    import csv
    with (ROOT / "data" / "示例区" / "单位名单.csv").open(encoding="utf-8-sig") as f:
        head = next(r["主要领导"] for r in csv.DictReader(f) if r["单位"] == "区财政局")
    app.selectbox(key="unit").set_value("区财政局").run()
    assert any(f"约谈主要领导：主要领导 {head}" in w.value for w in app.warning)


def test_unit_profile_drills_into_deductions(app):
    page(app, "unit")
    app.selectbox(key="unit").set_value("区委政法委").run()
    unit_tab(app, "扣分与加分记录")
    app.selectbox(key="drill_target").set_value("察访核验").run()
    app.button(key="drill").click().run()
    assert not app.exception
    assert app.selectbox(key="indicator").value == "察访核验"
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["扣分"] == "20.00" and metrics["明细合计"] == "20.00"


def test_deductions_overview_and_filters(app):
    page(app, "deductions")
    assert len(app.get("plotly_chart")) == 1 and len(app.table) == 0     # the overview alone: the drill-down does not run
    titles = []
    for by in ("unit", "category", "source_level", "month"):            # one breakdown at a time, the units first
        app.segmented_control(key="breakdown").set_value(by).run()
        assert len(app.get("plotly_chart")) == 1
        titles.append(json.loads(app.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"])
    assert titles == ["扣分最多的单位（前15）", "按类别", "按来源层级", "按月份"]
    app.segmented_control(key="breakdown").set_value("unit").run()
    before = {m.label: m.value for m in app.metric}["记录数"]
    app.segmented_control(key="direction").set_value("added").run()
    after = {m.label: m.value for m in app.metric}["记录数"]
    assert int(after) < int(before)
    assert {m.label: m.value for m in app.metric}["合计扣分"] == "0.00"


def drill_tab(at):
    """Open the deductions page's drill-down tab (only the open tab runs)."""
    at.session_state["deduction_tab"] = "单项明细"
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_overview_filters_outlast_a_visit_to_the_drill_down(app):
    page(app, "deductions")
    app.segmented_control(key="direction").set_value("added").run()
    app.segmented_control(key="breakdown").set_value("month").run()
    drill_tab(app)
    app.session_state["deduction_tab"] = "总体情况"
    app.run()
    assert app.segmented_control(key="breakdown").value == "month"
    assert app.segmented_control(key="direction").value == "added"
    assert {m.label: m.value for m in app.metric}["合计扣分"] == "0.00"


def test_the_drill_down_stays_open_when_the_language_changes(app):
    drill_tab(page(app, "deductions"))
    app.session_state["lang"] = "en"        # the page alone runs here (AppTest): the frame's language switch is not drawn
    app.run()
    assert not app.exception
    assert len(app.table) == 1 and len(app.get("plotly_chart")) == 0


def test_deductions_drill_down_reconciles_for_a_capped_indicator(app):
    drill_tab(page(app, "deductions"))
    assert len(app.get("plotly_chart")) == 0          # only the open tab runs: the overview's charts are not drawn
    app.selectbox(key="unit").set_value("团区委").run()
    app.selectbox(key="indicator").set_value("机关效能建设").run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["得分"] == metrics["明细合计"]
    assert len(app.table) == 1


def progress_tab(at, name: str):
    """Open a tab of the indicator progress page (only the open tab runs)."""
    at.session_state["progress_tab"] = name
    at.run()
    assert not at.exception, at.exception
    return at


def test_progress_page(app):
    app.selectbox(key="year").set_value(2026).run()
    page(app, "progress")
    assert len(app.get("plotly_chart")) == 1 and not app.metric        # the scores' heatmap; the reports' tab does not run
    progress_tab(app, "季度工作进度")
    assert app.segmented_control(key="period").value == "前三季度"
    counts = sum(int(m.value) for m in app.metric)
    assert counts == 41
    app.segmented_control(key="period").set_value("一季度").run()
    assert not app.exception
    progress_tab(app, "指标得分率")
    progress_tab(app, "季度工作进度")
    assert app.segmented_control(key="period").value == "一季度"            # kept while its tab was closed


def test_progress_page_without_reports(app):
    app.selectbox(key="org").set_value("示例市妇联").run()
    page(app, "progress")
    progress_tab(app, "季度工作进度")
    assert any("没有报送工作进度表" in i.value for i in app.info)


def test_movement_page(app):
    page(app, "movement")
    assert "上升" in texts(app) and "下降" in texts(app)
    app.selectbox(key="movement_series").set_value("镇街系列").run()
    assert not app.exception and "镇街系列" in texts(app)
    # two views in tabs, only the open one run: the two years' slope first, then every year's ranks
    charts = lambda: [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in app.get("plotly_chart")]
    assert len(charts()) == 1 and "→" in charts()[0] and "movement_highlight" not in [w.key for w in app.multiselect]
    app.selectbox(key="slope_first").set_value(2022).run()
    app.session_state["movement_tab"] = "历年名次"
    app.run()
    assert len(charts()) == 1 and "历年系列名次" in charts()[0]
    app.multiselect(key="movement_highlight").set_value(["城东街道"]).run()
    app.session_state["movement_tab"] = "两年比较"
    app.run()
    assert app.selectbox(key="slope_first").value == 2022 and "2022 → 2025" in charts()[0]
    app.session_state["movement_tab"] = "历年名次"
    app.run()
    assert app.multiselect(key="movement_highlight").value == ["城东街道"]      # kept while its tab was closed
    app.session_state["movement_tab"] = "两年比较"
    app.session_state["lang"] = "en"        # the notice in English: its punctuation too, not the Chinese "：" and "，"
    app.run()
    notice = "\n".join(m.value for m in app.markdown if "→" in m.value)
    assert ", up " in notice and ", down " in notice and "：" not in notice and "，" not in notice
    app.session_state["lang"] = "zh"
    app.run()


def test_whatif_changes_ranks_as_perfcore_says(app, sample_db):
    page(app, "whatif")
    assert {m.label: m.value for m in app.metric}["名次变化的单位"] == "0"
    # nothing changed yet: a word on what to do, no table of unchanged rows and no chart of its diagonal
    assert any("与正式结果相同" in i.value for i in app.info) and not app.get("plotly_chart")
    assert not [e for e in app.dataframe if "official_rank" in e.value.columns]
    app.slider(key="w_indicator").set_value(0.4).run()
    app.slider(key="w_public").set_value(0.6).run()
    assert not app.exception
    shown = app.dataframe[0].value.set_index("unit")
    expected = WhatIf(sample_db, "示例区", 2025).run(weights={"indicator": 0.4, "city_incentive": 0.6, "public": 0.6,
                                                             "incentive": 1.0, "inspection": -1.0}).set_index("unit")
    assert (shown["rank"] == expected.loc[shown.index, "rank"]).all()
    assert shown["composite"].round(2).tolist() == expected.loc[shown.index, "composite"].round(2).tolist()
    assert int({m.label: m.value for m in app.metric}["名次变化的单位"]) == int((expected["rank_delta"] != 0).sum())


def test_whatif_events_off_and_scenarios(app, sample_db):
    page(app, "whatif")
    assert "off_unit" not in [w.key for w in app.selectbox]            # the records' part is drawn when opened
    app.session_state["off_open"] = True
    app.run()
    app.selectbox(key="off_unit").set_value("区委编办").run()           # records are picked unit by unit
    app.multiselect(key="off_in_区委编办").set_value(["2025-0083"]).run()
    shown = app.dataframe[0].value.set_index("unit")
    assert shown.loc["区委编办", "composite"] == pytest.approx(shown.loc["区委编办", "official_composite"] + 40)
    app.session_state["off_open"] = False                              # closed, the record stays switched off
    app.run()
    assert "off_unit" not in [w.key for w in app.selectbox]
    assert any("2025-0083" in c.value.replace("\\", "") for c in app.caption)        # (markdown-escaped on screen)
    shown = app.dataframe[0].value.set_index("unit")
    assert shown.loc["区委编办", "composite"] == pytest.approx(shown.loc["区委编办", "official_composite"] + 40)
    app.session_state["off_open"] = True
    app.run()
    assert app.selectbox(key="off_unit").value == "区委编办"               # the unit chosen before
    app.text_input(key="scenario_name").set_value("申诉成功").run()
    app.button(key="save_scenario").click().run()
    assert any("已保存" in s.value for s in app.success)
    app.button(key="reset").click().run()
    assert app.multiselect(key="off_in_区委编办").value == []
    app.selectbox(key="scenario_pick").set_value("申诉成功")
    app.button(key="load_scenario").click().run()
    assert app.multiselect(key="off_in_区委编办").value == ["2025-0083"]
    app.button(key="delete_scenario").click().run()
    assert not app.exception


def test_whatif_points_and_amounts_are_changed_in_parts_drawn_when_opened(app, sample_db):
    page(app, "whatif")
    assert "pt_indicator" not in [w.key for w in app.selectbox] and "amount_rule" not in [w.key for w in app.selectbox]
    app.session_state["points_open"] = True
    app.run()
    app.selectbox(key="pt_indicator").set_value("信息报送").run()
    app.number_input(key="pt_value_信息报送").set_value(30.0).run()
    app.session_state["points_open"] = False                           # closed, the change stays in the simulation
    app.run()
    assert any("信息报送: 30" in c.value.replace("\\", "") for c in app.caption)        # (markdown-escaped on screen)
    shown = app.dataframe[0].value.set_index("unit")
    expected = WhatIf(sample_db, "示例区", 2025).run(points={"信息报送": 30.0}).set_index("unit")
    assert shown["composite"].round(2).tolist() == expected.loc[shown.index, "composite"].round(2).tolist()
    app.button(key="reset").click().run()
    assert not any("信息报送: 30" in c.value.replace("\\", "") for c in app.caption)


def test_forced_distribution_org(app):
    app.selectbox(key="org").set_value("示例市直机关").run()
    assert not app.exception
    table = app.dataframe[-1].value
    assert label_values(table["grade"]).value_counts().to_dict() == {"良好": 12, "达标": 11, "优秀": 8, "不达标": 1}


def test_data_page_records_corrects_revokes_and_audits(writing_app, con):
    app = writing_app
    page(app, "data")
    assert "new_target" not in [w.key for w in app.selectbox]     # the import tab is open; the record tab does not run
    app.session_state["data_tab"] = "录入与更正"      # only the open tab runs
    app.run()
    app.selectbox(key="new_target").set_value("察访核验").run()
    app.selectbox(key="new_unit").set_value("区委办")
    app.selectbox(key="new_rule").set_value("工作落实不力")
    app.text_area(key="new_description").set_value("暗访发现窗口无人")
    app.button(key="FormSubmitter:add_event-保存记录").click().run()
    assert not app.exception, app.exception
    assert any("已保存记录" in s.value for s in app.success)
    new_id = con.execute("SELECT event_id FROM events WHERE org='示例区' AND year=2025 AND description='暗访发现窗口无人'").fetchone()[0]
    log = con.execute("SELECT action, who, via FROM audit_log WHERE entity_id = ?", [new_id]).fetchall()
    assert log == [("add", "效能办", "page")]          # the signed-in account, never a typed name


def test_data_page_publish_and_rankings_show_the_publication(writing_app):
    app = writing_app
    app.selectbox(key="org").set_value("示例市直机关").run()
    page(app, "data")
    app.session_state["data_tab"] = "发布与导出"
    app.run()
    app.button(key="publish").click().run()
    assert not app.exception, app.exception
    assert any("发布" in s.value for s in app.success)
    page(app, "rankings")
    assert any("正式结果已于" in s.value for s in app.success)


@pytest.fixture
def tiny_app(tmp_path, monkeypatch):
    """An organisation with a one-unit series, a unit new in its second year and no events at all."""
    from tests.builders import Org, scheme
    org = Org(tmp_path, "小机关")
    org.units = [["甲", "一系列", "", "", "", "", 2024], ["乙", "一系列", "", "", "", "", 2024], ["丙", "独立系列", "", "", "", "", 2024],
                 ["丁", "一系列", "", "", "", "", 2025]]
    from tests.builders import write_csv
    for year in (2024, 2025):
        org.year(year, scheme(year=year, total=100), [["", "", "业务", 100, "直接评分"]],
                 scores=[[u, "业务", 90 - i] for i, (u, *_rest) in enumerate(org.units) if year == 2025 or u != "丁"])
    db = tmp_path / "tiny.duckdb"
    write_csv(org.folder / "单位名单.csv", ["单位", "系列", "层级", "上级单位", "主要领导", "分管领导", "起始年度"], org.units)
    from perfcore.ingest.sources import load_source
    con = perfcore.connect(db)
    load_source(con, org.root)
    con.close()
    monkeypatch.setenv("PERFCORE_DB", str(db))
    monkeypatch.chdir(ROOT)
    at = signed_in(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120))
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_series_of_many_units_charts_its_biggest_movers_and_lists_every_unit(tmp_path, monkeypatch):
    # 45 units in one series, directly scored: in 2024 单位01 is first … 单位45 last; in 2025 the order is
    # reversed, so by hand 单位01 falls 44 places, 单位45 rises 44, 单位23 stays (the middle)
    from tests.builders import Org, scheme
    org = Org(tmp_path, "大机关")
    names = [f"单位{i:02d}" for i in range(1, 46)]
    org.units = [[u, "一系列"] for u in names]
    for year, order in ((2024, names), (2025, names[::-1])):
        org.year(year, scheme(year=year, total=100), [["", "", "业务", 100, "直接评分"]],
                 scores=[[u, "业务", 90 - 0.5 * i] for i, u in enumerate(order)])
    org.load(tmp_path / "big.duckdb").close()
    at = open_app(tmp_path / "big.duckdb", monkeypatch)
    page(at, "movement")
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    shown = {x for trace in chart["data"] for x in trace["text"] if x}
    risers = {f"单位{i:02d}" for i in range(45, 30, -1)}        # 45 … 31 rose 44 … 16 places
    fallers = {f"单位{i:02d}" for i in range(1, 16)}           # 01 … 15 fell 44 … 16 places
    assert shown == risers | fallers and "升降最多" in chart["layout"]["title"]["text"]
    notice = at.dataframe[0].value
    assert len(notice) == 44 and notice.iloc[0]["unit"] == "单位45" and "单位23" not in set(notice["unit"])
    assert any("全部 45 个单位" in c.value for c in at.caption)


@pytest.mark.parametrize("name", ["rankings", "unit", "progress", "deductions", "movement", "whatif", "data"])
def test_edge_states_are_sentences_not_exceptions(tiny_app, name):
    page(tiny_app, name)
    assert not tiny_app.exception


def test_edge_state_wording(tiny_app):
    table = tiny_app.dataframe[-1].value.set_index("unit")
    assert list(table.loc["丁", "movement"]) == ["新"]
    page(tiny_app, "unit")
    tiny_app.selectbox(key="unit").set_value("丙").run()
    assert any("只有这一个单位" in c.value for c in tiny_app.caption)
    unit_tab(tiny_app, "扣分与加分记录")
    assert any("没有该单位的扣分或加分记录" in c.value for c in tiny_app.caption)
    for name in ("得分构成", "失分指标", "历年走势"):                   # every part says something, none fails
        unit_tab(tiny_app, name)
        assert not tiny_app.exception
    page(tiny_app, "progress")
    progress_tab(tiny_app, "季度工作进度")
    assert any("没有报送工作进度表" in i.value for i in tiny_app.info)
    page(tiny_app, "deductions")
    assert not tiny_app.exception
    drill_tab(tiny_app)
    page(tiny_app, "movement")
    tiny_app.session_state["movement_tab"] = "历年名次"
    tiny_app.run()
    assert not tiny_app.exception and tiny_app.get("plotly_chart")


ROLE_PAGES = {
    Account("领导", "leader"): ["rankings", "unit", "progress", "deductions", "movement", "whatif"],
    Account("区委办采集员", "collector", "示例区", collector="区委办"): ["rankings", "progress", "deductions", "data"],
    Account("区委编办", "unit", "示例区", unit="区委编办"): ["rankings", "unit", "progress", "deductions", "movement", "desk"],
    OFFICE: ["appeals", "accounts"],
}


@pytest.mark.parametrize("account", list(ROLE_PAGES), ids=lambda a: a.role)
def test_every_page_of_every_role_renders(sample_db_path, monkeypatch, account):
    at = open_app(sample_db_path, monkeypatch, account)
    for name in ROLE_PAGES[account]:
        page(at, name)


def test_a_page_the_role_does_not_open_is_not_there(sample_db_path, monkeypatch):
    at = open_app(sample_db_path, monkeypatch, Account("区委编办", "unit", "示例区", unit="区委编办"))
    for name in ("data", "whatif", "appeals", "accounts"):      # not registered for a unit account at all
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{name}.py")


def test_unit_profile_states_the_reward_amount(app, sample_db):
    # S2 sample: base award 8,000 (示例取值); the top unit of 2025 is 优秀 (8 of 32 by the 25 % quota),
    # +10 % → 8,800.00 元
    top = perfcore.score(sample_db, "示例市直机关", 2025).results.iloc[0]["unit"]
    app.selectbox(key="org").set_value("示例市直机关").run()
    page(app, "unit")
    app.selectbox(key="unit").set_value(top).run()
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["基准奖"] == "8,800.00 元"


def test_a_long_ranking_is_shown_fifty_rows_at_a_time(tmp_path, monkeypatch):
    from bench import scaled
    db = tmp_path / "long.duckdb"
    scaled.build(db, units=120, events=3000, years=2, indicators=10)
    at = open_app(db, monkeypatch)
    table = at.dataframe[-1].value
    assert len(table) == 50 and list(table["rank"])[:1] == [1]            # rows 1–50, no scroll inside the page
    part = at.selectbox(key="rank_part")
    assert part.options == ["第 1–50 行（共 120 行）", "第 51–100 行（共 120 行）", "第 101–120 行（共 120 行）"]
    seen = [table]
    for i in (1, 2):
        at.selectbox(key="rank_part").set_value(i).run()
        seen.append(at.dataframe[-1].value)
    assert [len(t) for t in seen] == [50, 50, 20]
    ranks = [r for t in seen for r in t["rank"]]
    units = [u for t in seen for u in t["unit"]]
    assert len(set(units)) == 120 and ranks == sorted(ranks)       # every unit once, in rank order across the parts


@pytest.mark.parametrize("year", [2024, 2025])
def test_no_grid_on_any_page_has_a_missing_cell(app, year):
    """A grid draws a missing value as a grey "None": every table on every page fills its gaps with text."""
    from ui.state import ROLE_PAGES
    app.selectbox(key="year").set_value(year).run()
    for key in ROLE_PAGES["office"]:
        page(app, key)
        for grid in app.dataframe:
            frame = grid.value
            if hasattr(frame, "data"):       # a Styler (the import preview): its frame
                frame = frame.data
            gaps = [c for c in frame.columns if frame[c].isna().any()]
            assert not gaps, (key, gaps)


def test_no_page_relies_on_streamlit_magic():
    """.streamlit/config.toml turns magic off (it costs a page's first visit): so no page may hold a bare
    expression that magic would have shown, which would silently vanish from the screen."""
    import ast
    import tomllib
    assert tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["runner"]["magicEnabled"] is False
    shown = []
    for path in [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            for stmts in (getattr(node, field, None) for field in ("body", "orelse", "finalbody")):
                for i, stmt in enumerate(stmts if isinstance(stmts, list) else []):
                    docstring = i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                    if isinstance(stmt, ast.Expr) and not isinstance(stmt.value, (ast.Call, ast.Await)) and not docstring:
                        shown.append(f"{path.name}:{stmt.lineno}")
    assert shown == []


def test_the_next_pages_frames_are_made_in_the_background_and_found_ready(db_copy, monkeypatch):
    """After the first page the frame starts a warm-up (ui.data.warm): the frames the other pages ask for
    first are made once, outside the session, and the pages then find them in the cache."""
    import collections
    from perfcore.present import visible
    calls = collections.Counter()

    def counted(name, real):
        def call(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return call
    for name in ("explain", "event_history", "progress", "results_by_year", "ledger", "change", "robustness", "forecast"):
        monkeypatch.setattr(visible, name, counted(name, getattr(visible, name)))
    from perfcore.present import views
    monkeypatch.setattr(views, "attainment_matrix", counted("attainment_matrix", views.attainment_matrix))
    at = open_app(db_copy, monkeypatch)              # 部门排名, on a database no other test's caches hold
    from ui import data
    data.warmed()
    made = {"explain": 1, "event_history": 1, "progress": 1, "results_by_year": 1, "ledger": 1, "attainment_matrix": 1,
            "change": 1, "robustness": 1, "forecast": 1}      # 分析: why it changed, how sure, early warning (2026 runs)
    assert calls == made
    for name in ("analysis", "unit", "progress", "deductions", "movement", "whatif"):
        page(at, name)
    page(at, "analysis")
    for view in ("robustness", "forecast"):          # 分析's heavier views, as they open
        at.session_state["analysis"] = view
        at.run()
        assert not at.exception and at.get("plotly_chart")
    assert calls == made      # each page found its frames ready


def test_the_audit_check_on_the_data_page_also_checks_every_records_codes(writing_app, con):
    app = page(writing_app, "data")
    app.session_state["data_tab"] = "操作日志"
    app.run()
    app.button(key="verify_log").click().run()
    assert any("操作日志完整" in s.value for s in app.success) and not app.error
    one = con.execute("SELECT event_id FROM events WHERE org = '示例区' AND year = 2025 LIMIT 1").fetchone()[0]
    con.execute("UPDATE events SET code_rule = code_rule + 1 WHERE org = '示例区' AND year = 2025 AND event_id = ?", [one])
    app.button(key="verify_log").click().run()
    assert any("编码与文字不符" in e.value and one in e.value.replace("\\", "") for e in app.error)
