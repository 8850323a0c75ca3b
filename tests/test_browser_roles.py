"""Sign-in and roles in a real browser: wrong passwords, a locked and a disabled account, an idle
session; a unit account sees only itself whatever the URL asks; the appeal path from the unit's
page to the office's decision, the score and the audit log. One server on one copy of the sample
database for the module (the idle timeout needs its own, short-lived one).
"""
from __future__ import annotations

import datetime as dt
import shutil
import time
import urllib.parse
from pathlib import Path

import pytest

import perfcore
from perfcore.store import accounts, audit
from tests.browser import Server, errors, require_chromium, settle, shoot, sign_in, sign_in_as

ROOT = Path(__file__).resolve().parents[1]

require_chromium()


@pytest.fixture(scope="module")
def db(sample_db_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("roles") / "app.duckdb"
    shutil.copy(sample_db_path, path)
    con = perfcore.connect(path)
    accounts.create(con, "将被锁定", "office", "right-password")
    accounts.create(con, "已离职", "leader", "right-password")
    accounts.disable(con, "已离职", why="调离")
    con.close()
    return path


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    srv = Server(db, tmp_path_factory.mktemp("roles-log") / "streamlit.log").start()
    yield srv
    srv.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


def _message(page) -> str:
    return " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())


def test_wrong_password_then_locked_then_disabled(page, server):
    sign_in(page, server.url + "/", "将被锁定", "wrong-password")
    assert "账号或密码不正确" in _message(page) and page.locator('[data-testid="stSidebarNav"]').count() == 0
    sign_in(page, server.url + "/", "没有这个人", "whatever-123")
    assert "账号或密码不正确" in _message(page)                 # an unknown name reads exactly the same
    for _ in range(4):
        sign_in(page, server.url + "/", "将被锁定", "wrong-password")
    assert "账号已锁定" in _message(page)
    sign_in(page, server.url + "/", "将被锁定", "right-password")  # even the right password waits out the lock
    assert "已锁定" in _message(page) and page.locator('[data-testid="stSidebarNav"]').count() == 0
    sign_in(page, server.url + "/", "已离职", "right-password")
    assert "已停用" in _message(page)
    assert errors(page) == 0
    shoot(page, "signin_refused_zh")


def test_the_sign_in_screen_in_english_lists_the_demo_accounts(page, server):
    page.goto(server.url + "/?lang=English")
    settle(page)
    assert page.get_by_role("button", name="Sign in").count() == 1
    page.get_by_text("Demo accounts (sample data)").click()
    settle(page)
    shoot(page, "signin_en")
    assert errors(page) == 0


def test_a_unit_sees_only_itself_whatever_the_url_says(page, server):
    other = "区委办"
    sign_in_as(page, f"{server.url}/deductions?org=示例区&year=2025&view=drill&unit={urllib.parse.quote(other)}", "unit")
    assert errors(page) == 0
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "数据管理" not in nav and "权重模拟" not in nav and "填报与申诉" in nav
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "示效〔2025〕22号" in body         # 区委编办's own 档案工作 record (2025-0081), not 区委办's
    assert "2025-0001" not in body and f"unit={urllib.parse.quote(other)}" not in page.url
    sign_in_as(page, f"{server.url}/unit?org=示例区&year=2025&unit={urllib.parse.quote(other)}", "unit")
    assert errors(page) == 0 and other not in page.locator("h1").first.inner_text()
    sign_in_as(page, f"{server.url}/data?org=示例区&year=2025", "unit")
    assert page.locator("h1").count() == 0 or page.locator("h1").first.inner_text() != "数据管理"
    shoot(page, "unit_account_deductions_zh")


def test_the_office_opens_a_year_for_feedback(page, server):
    sign_in_as(page, f"{server.url}/appeals?org=示例市妇联&year=2025", "office")
    assert page.locator("h1").first.inner_text() == "2025年度反馈与申诉"
    page.get_by_role("button", name="开放反馈").click()
    settle(page)
    assert "已开放反馈" in _message(page) and errors(page) == 0
    shoot(page, "appeals_window_zh")


def _reference_2025():
    """示例区 2025 as the pandas reference scores it from the sample files (tests/reference.py), by unit."""
    from tests import reference
    return reference.results(reference.tables(ROOT / "data", "示例区", 2025)).set_index("unit")


def test_an_appeal_from_the_unit_to_the_office_s_decision(browser, server, db):
    office = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    sign_in_as(office, f"{server.url}/appeals?org=示例区&year=2025", "office")
    assert "反馈期开放中" in _message(office)          # the sample opens 示例区 2025 for feedback (data/demo.toml)

    unit = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    sign_in_as(unit, f"{server.url}/?org=示例区&year=2025", "unit")
    assert "反馈期内" in _message(unit)                  # its own preliminary result only
    before = _reference_2025().loc["区委编办"]
    assert unit.get_by_text(f"{int(before['rank'])} / 41").count() == 1   # its own rank, and no league table of the others
    assert unit.get_by_text(f"{before['composite']:.2f}").count() >= 1
    assert unit.get_by_text("点击一行左侧的方框").count() == 0
    shoot(unit, "rankings_unit_feedback_zh")
    unit.locator('[data-testid="stSidebarNav"]').get_by_text("填报与申诉", exact=True).click()
    settle(unit)
    unit.get_by_role("combobox", name="记录").click()
    unit.keyboard.type("2025-0083")
    unit.get_by_role("option").first.click()
    unit.get_by_label("申诉理由（必填）").fill("督查当日系按上级通知集中学习，并非妨碍督查")
    unit.get_by_label("佐证文号").fill("区委编办〔2025〕9号")
    unit.get_by_role("button", name="提交申诉").click()
    settle(unit)
    assert "已对 2025-0083 提出申诉" in _message(unit).replace("\\", "")
    shoot(unit, "desk_appealed_zh")

    office.reload()
    sign_in_as(office, f"{server.url}/appeals?org=示例区&year=2025", "office")
    office.get_by_role("tab", name="申诉处理").click()
    settle(office)
    office.get_by_text("撤销", exact=True).click()
    settle(office)
    office.get_by_label("决定理由（必填）").fill("经核实，当日集中学习属实，撤销该扣分")
    office.get_by_role("button", name="作出决定").click()
    settle(office)
    assert "已撤销" in _message(office)
    shoot(office, "appeals_decided_zh")

    unit.reload()
    sign_in_as(unit, f"{server.url}/desk?org=示例区&year=2025", "unit")
    assert unit.get_by_text("经核实，当日集中学习属实，撤销该扣分").count() >= 1
    assert errors(unit) == 0 and errors(office) == 0
    unit.context.close()
    office.context.close()

    server.stop()              # look in the database itself
    try:
        con = perfcore.connect(db)
        record = con.execute("SELECT status, revoked_reason FROM events WHERE org='示例区' AND year=2025 AND event_id='2025-0083'"
                             ).fetchone()
        assert record[0] == "已撤销" and "经核实" in record[1]
        # R1: V (察访核验) is subtracted unweighted, so the 40 points it deducted (20, doubled) come back whole
        composite = perfcore.score(con, "示例区", 2025).results.set_index("unit").loc["区委编办", "composite"]
        assert composite == pytest.approx(before["composite"] + 40)
        steps = con.execute("SELECT action, who FROM audit_log WHERE org = '示例区' AND year = 2025 AND action NOT IN ('init') "
                            "AND entity <> 'account' ORDER BY id").fetchall()
        assert steps[-4:] == [("appeal", "区委编办"), ("appeal-file", "区委编办"), ("appeal-revoked", "效能办"),
                              ("appeal-decide", "效能办")]
        assert steps[:-4] == [("feedback-open", "效能办")]       # the sample's own, and nothing else in between
        versions = con.execute("SELECT count(*) FROM event_versions WHERE org='示例区' AND year=2025 AND event_id='2025-0083'"
                               ).fetchone()[0]
        assert versions == 2          # as recorded, and while under appeal
        assert audit.verify(con)["ok"]
        con.close()
    finally:
        server.start()


def test_an_idle_session_ends(browser, db, tmp_path, monkeypatch):
    monkeypatch.setenv("PERFCORE_IDLE_MINUTES", "0.05")          # 3 seconds
    copy = tmp_path / "idle.duckdb"
    shutil.copy(db, copy)
    server = Server(copy, tmp_path / "streamlit.log").start()
    try:
        page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
        sign_in_as(page, server.url + "/", "leader")
        assert page.locator('[data-testid="stSidebarNav"]').count() == 1
        time.sleep(4)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("排名变化", exact=True).click()
        settle(page)
        assert "没有操作，已自动退出" in _message(page)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        page.context.close()
    finally:
        server.stop()


ROLE_PAGES = {"leader": ["rankings", "analysis", "unit", "progress", "deductions", "movement", "whatif"],
              "collector": ["rankings", "progress", "deductions", "data"],
              "unit": ["rankings", "unit", "progress", "deductions", "movement", "desk"]}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_every_page_of_every_role_in_both_languages(page, server, role, lang):
    from ui.state import TITLES
    query = "?org=示例区&year=2024" + ("&lang=English" if lang == "en" else "")   # 2024: published
    sign_in_as(page, f"{server.url}/{query}", role, english=lang == "en")
    nav = page.locator('[data-testid="stSidebarNav"]')
    icons = {t[2].split("/")[-1].strip(":") for t in TITLES.values()}       # material icon names read as text
    shown = [t for t in nav.inner_text().splitlines() if t.strip() and t.strip() not in icons]
    assert shown == [TITLES[k][0 if lang == "zh" else 1] for k in ROLE_PAGES[role]]     # its pages, no others
    for key in ROLE_PAGES[role]:          # click through, as a person does (a reload is a new session)
        nav.get_by_text(TITLES[key][0 if lang == "zh" else 1], exact=True).click()
        settle(page)
        assert errors(page) == 0, (role, key)
        shoot(page, f"role_{role}_{key}_{lang}")
