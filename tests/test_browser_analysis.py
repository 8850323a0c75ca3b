"""The analyses in a real browser: from the ranking, two clicks to why a unit changed (the total checked
against perfcore), then down to the records behind a line; every view in both languages, photographed.
One server on one copy of the sample database for the module.
"""
from __future__ import annotations

import shutil

import pytest

from perfcore.insight.change import change
from perfcore.insight.compare import compare
from perfcore.insight.scores import Scores
from tests.browser import Server, errors, require_chromium, settle, shoot, sign_in_as, tick_row

require_chromium()


@pytest.fixture(scope="module")
def db(sample_db_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("analysis") / "app.duckdb"
    shutil.copy(sample_db_path, path)
    return path


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    srv = Server(db, tmp_path_factory.mktemp("analysis-log") / "streamlit.log").start()
    yield srv
    srv.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


def _tick_first_row(page, grid) -> None:
    tick_row(page, grid, 0)


@pytest.mark.parametrize("english", [False, True], ids=["zh", "en"])
def test_from_the_ranking_to_why_it_changed_and_its_records(page, server, sample_db, english):
    expected = change(Scores(sample_db, "示例区"), 2025, "新港街道")      # rank 1 of 2025, the first row
    sign_in_as(page, server.url + ("/?lang=English" if english else "/"), "leader", english=english)
    _tick_first_row(page, page.locator('[data-testid="stDataFrame"]').last)
    page.get_by_role("button", name="Why it changed →" if english else "为何变化 →").click()
    page.wait_for_url("**/analysis**", timeout=60_000)
    settle(page)
    assert errors(page) == 0
    assert "unit=" in page.url and "analysis=change" in page.url
    total = f"{expected.difference:+.2f}"
    words = f"The lines add up to {total}" if english else f"各行合计 {total}"
    assert page.get_by_text(words).count() == 1                          # the lines add up to the change
    assert page.locator('[data-testid="stMetricDelta"]').first.inner_text().strip().endswith(total.lstrip("+"))
    shoot(page, f"analysis_from_ranking_{'en' if english else 'zh'}")
    # a line opens the records of its indicator: the first (largest) line
    _tick_first_row(page, page.locator('[data-testid="stDataFrame"]').first)
    shoot(page, f"analysis_line_picked_{'en' if english else 'zh'}")
    page.get_by_role("button", name=" records of " if english else "的记录 →").click()
    page.wait_for_url("**/deductions**", timeout=60_000)
    settle(page)
    assert errors(page) == 0 and "view=drill" in page.url and "indicator=" in page.url
    assert page.get_by_text("matches the score" if english else "与得分一致").count() >= 1


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("view", ["change", "compare", "gap", "robustness", "forecast"])
def test_every_analysis_renders_in_both_languages(page, server, view, lang):
    query = f"/analysis?analysis={view}&unit=区委编办" + ("&lang=English" if lang == "en" else "")
    sign_in_as(page, server.url + query, "office", english=lang == "en")
    assert errors(page) == 0
    heading = page.locator("h1").first.inner_text()
    assert heading == ("2025 analysis" if lang == "en" else "2025年度分析")
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 1
    shoot(page, f"analysis_{view}_{lang}")


def test_two_ticked_rows_compare(page, server, sample_db):
    expected = compare(Scores(sample_db, "示例区"), 2025, "新港街道", "马山镇")     # ranks 1 and 2 of 2025
    sign_in_as(page, server.url + "/", "office")
    grid = page.locator('[data-testid="stDataFrame"]').last
    tick_row(page, grid, 0)
    tick_row(page, grid, 1)            # the second row too
    page.get_by_role("button", name="对比", exact=False).click()
    page.wait_for_url("**/analysis**", timeout=60_000)
    settle(page)
    assert errors(page) == 0 and "analysis=compare" in page.url
    assert page.get_by_text(f"各行合计 {expected.gap:+.2f}").count() == 1
    shoot(page, "analysis_compare_from_ranking_zh")
