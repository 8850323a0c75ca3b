"""Nothing entered is lost, in a real browser against a real server: record on the page, switch pages,
reload, restart the server; a cold deep link as the first request; 20 readers and 5 writers at once;
names full of markup shown as text. Each test runs its own server on a copy of the session's sample
database, then checks the database file itself once the server has stopped.
"""
from __future__ import annotations

import asyncio
import shutil
import threading
import time
import urllib.parse

import pytest

import perfcore
from perfcore.store import audit
from tests.browser import CHROMIUM, CHROMIUM_ARGS, Server, choose, errors, require_chromium, settle, shoot, sign_in, sign_in_as

require_chromium()


WRITERS = [(f"并发{i}", f"writer-{i}-password") for i in range(5)]


@pytest.fixture
def db(sample_db_path, tmp_path):
    """A copy of the sample database with five more office accounts (for the writers)."""
    from perfcore.store import accounts
    path = tmp_path / "app.duckdb"
    shutil.copy(sample_db_path, path)
    con = perfcore.connect(path)
    for name, password in WRITERS:
        accounts.create(con, name, "office", password)
    con.close()
    return path


def _actions(db) -> list[tuple]:
    """The audit rows written since the database was set up (not the sample's build, nor the fixture's writer accounts)."""
    con = perfcore.connect(db)
    try:
        return con.execute("SELECT action, who, entity_id FROM audit_log WHERE action <> 'init' AND via <> 'init' "
                           "AND NOT (action = 'account_add' AND who = 'system') ORDER BY id").fetchall()
    finally:
        con.close()


def _sidebar_ok(page) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.count() == 1 and "考评组织" in sidebar.inner_text()


def _record(page, text: str) -> str:
    """Add one record on the 录入与更正 tab (signed in already), return the success message."""
    page.get_by_role("tab", name="录入与更正").click()
    settle(page)
    choose(page, "指标（先选指标，情形随之列出）", "察访核验")
    choose(page, "情形", "工作落实不力")
    page.get_by_label("说明").first.fill(text)
    page.get_by_role("button", name="保存记录").click()
    settle(page)
    message = page.get_by_text("已保存记录")
    message.wait_for(timeout=60_000)
    return message.inner_text()


def test_a_record_survives_page_switches_reloads_and_restarts(browser, db, tmp_path):
    server = Server(db, tmp_path / "streamlit.log").start()
    try:
        page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
        sign_in_as(page, f"{server.url}/data?org=示例区&year=2025", "office")   # the very first request to this server
        assert errors(page) == 0 and page.locator("h1").first.inner_text() == "数据管理"
        _sidebar_ok(page)
        saved = _record(page, "浏览器录入后切换页面、刷新、重启")
        assert "2025-M0001" in saved
        for name in ("部门排名", "单位画像", "扣分明细", "排名变化", "数据管理", "部门排名"):
            page.locator('[data-testid="stSidebarNav"]').get_by_text(name, exact=True).click()
            settle(page)
            assert errors(page) == 0
        page.reload()                 # a reload is a new session: signed out, then in again
        settle(page)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0 and page.get_by_role("button", name="登录").count() == 1
        sign_in_as(page, page.url, "office")
        assert errors(page) == 0
        page.context.close()
    finally:
        server.stop()
    server.start()        # same database file, a new process
    try:
        page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
        sign_in_as(page, f"{server.url}/deductions?org=示例区&year=2025&view=drill", "office")   # again a cold deep link
        assert errors(page) == 0
        _sidebar_ok(page)
        assert page.locator("h1").first.inner_text() == "2025年度扣分明细"
        page.locator('[data-testid="stSidebarNav"]').get_by_text("数据管理", exact=True).click()
        settle(page)
        page.get_by_role("tab", name="操作日志").click()
        settle(page)
        assert page.get_by_text("浏览器录入后切换页面、刷新、重启").count() >= 1
        page.context.close()
    finally:
        server.stop()
    assert _actions(db) == [("add", "效能办", "2025-M0001")]     # exactly the one change made, by the signed-in account
    con = perfcore.connect(db)
    try:
        row = con.execute("SELECT description, updated_by FROM events WHERE event_id = '2025-M0001'").fetchone()
        assert row == ("浏览器录入后切换页面、刷新、重启", "效能办")
        assert audit.verify(con)["ok"]
    finally:
        con.close()


MARKUP_UNIT = "[点我](http://evil.example) <b>粗体</b> :red[红字] $x^2$ **星号**"
MARKUP_SERIES = '<img src=x onerror="document.title=\'pwned\'">系列'
MARKUP_DESCRIPTION = '<img src=y onerror="document.title=\'pwned\'"> [链接](http://evil.example) **说明**'


def test_names_full_of_markup_are_shown_as_typed(browser, db, tmp_path):
    from perfcore.ingest import importer
    from perfcore.present import export
    con = perfcore.connect(db)
    frame = export.table_frame(con, "units", "示例区", None)
    frame.loc[len(frame)] = {**{c: None for c in frame.columns}, "单位": MARKUP_UNIT, "系列": MARKUP_SERIES, "起始年度": 2025}
    path = tmp_path / "单位名单.csv"
    path.write_bytes(export.table_csv(frame))
    plan = importer.plan_import(con, path, "示例区", None)
    assert plan.ok and len(plan.added) == 1
    importer.apply_import(con, plan, who="测试")
    from perfcore.ingest import ledger
    ledger.add_event(con, "示例区", 2025, {"date": "2025-06-01", "unit": MARKUP_UNIT, "target": "察访核验", "rule": "工作落实不力",
                                          "description": "=1+1", "evidence": MARKUP_DESCRIPTION}, who="测试")
    con.close()
    server = Server(db, tmp_path / "streamlit.log").start()
    try:
        page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
        sign_in_as(page, f"{server.url}/deductions?org=示例区&year=2025&view=drill&unit={urllib.parse.quote(MARKUP_UNIT)}"
                   f"&indicator={urllib.parse.quote('察访核验')}", "office")
        assert errors(page) == 0
        visible = lambda s: s.replace("\u2060", "")   # noqa: E731 - the invisible joiner that stops autolinks
        cell = page.locator("td", has_text="evil.example").first                # st.table reads cells as markdown
        assert visible(cell.inner_text()) == MARKUP_DESCRIPTION                  # the evidence shows as typed
        assert page.locator('img[src="y"]').count() == 0 and page.locator('a[href^="http://evil.example"]').count() == 0
        sign_in_as(page, f"{server.url}/unit?org=示例区&year=2025&unit={urllib.parse.quote(MARKUP_UNIT)}", "office")
        assert errors(page) == 0
        assert visible(page.locator("h1").first.inner_text()) == MARKUP_UNIT
        assert page.get_by_text(MARKUP_SERIES + " · 2025").count() == 1
        for i in range(page.get_by_role("tab").count()):          # every part of the profile, its records included
            page.get_by_role("tab").nth(i).click()
            settle(page)
            assert errors(page) == 0
            assert page.locator('a[href^="http://evil.example"]').count() == 0
            assert page.locator('img[src="x"]').count() == 0 and page.locator('img[src="y"]').count() == 0
            assert page.title() != "pwned"
        shoot(page, "unit_markup_zh")
        sign_in_as(page, f"{server.url}/movement?org=示例区&year=2025", "office")
        assert errors(page) == 0 and page.title() != "pwned"
    finally:
        server.stop()


# ---------------------------------------------------------------- 20 readers and 5 writers at once

READ_PATHS = ["", "unit", "progress", "deductions?view=drill", "movement", "whatif", "data"]


async def _settle(page):
    from tests.browser import IDLE
    await page.wait_for_selector('[data-testid="stApp"]', timeout=300_000)
    while True:
        await asyncio.sleep(1.0)
        await page.wait_for_function(IDLE, timeout=300_000)
        await asyncio.sleep(1.2)
        if await page.evaluate(IDLE):
            return


async def _crowd(url: str) -> tuple[list, list]:
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        async def session():
            page = await (await b.new_context(viewport={"width": 1280, "height": 800})).new_page()
            page.set_default_timeout(300_000)
            page.set_default_navigation_timeout(300_000)
            return page

        async def signed_in(page, target, name, password):
            await page.goto(target)
            await page.wait_for_selector('[data-testid="stForm"]')
            await page.get_by_label("账号", exact=True).fill(name)
            await page.get_by_label("密码", exact=True).fill(password)
            await page.get_by_role("button", name="登录").click()
            await _settle(page)

        async def reader(i):
            page = await session()
            sep = "&" if "?" in READ_PATHS[i % len(READ_PATHS)] else "?"
            await signed_in(page, f"{url}/{READ_PATHS[i % len(READ_PATHS)]}{sep}org=示例区&year=2025", "效能办", "office-demo")
            return await page.locator('[data-testid="stException"]').count()

        async def writer(i):
            page = await session()
            await signed_in(page, f"{url}/data?org=示例区&year=2025", *WRITERS[i])
            await page.get_by_role("tab", name="录入与更正").click()
            await _settle(page)
            for label, option in (("指标（先选指标，情形随之列出）", "察访核验"), ("情形", "工作落实不力")):
                await page.get_by_label(label, exact=True).click()
                await page.keyboard.type(option)
                await page.get_by_role("option", name=option, exact=True).click()
                await _settle(page)
            await page.get_by_label("说明").first.fill(f"五人同时录入之{i}")
            await page.get_by_role("button", name="保存记录").click()
            await _settle(page)
            message = page.get_by_text("已保存记录")
            await message.wait_for(timeout=120_000)
            return (await page.locator('[data-testid="stException"]').count(), await message.inner_text())

        results = await asyncio.gather(*[reader(i) for i in range(20)], *[writer(i) for i in range(5)])
        await b.close()
        return list(results[:20]), list(results[20:])


def test_twenty_readers_and_five_writers_at_once(db, tmp_path):
    server = Server(db, tmp_path / "streamlit.log").start()
    out = {}
    try:
        started = time.perf_counter()
        worker = threading.Thread(target=lambda: out.update(result=asyncio.run(_crowd(server.url))))
        worker.start()
        worker.join(timeout=900)
        assert "result" in out, "the sessions did not finish"
        print(f"25 sessions finished in {time.perf_counter() - started:.1f} s")
    finally:
        server.stop()
    readers, writers = out["result"]
    assert readers == [0] * 20
    assert [w[0] for w in writers] == [0] * 5
    ids = sorted(w[1].split("已保存记录 ")[1].rstrip("。") for w in writers)
    assert ids == [f"2025-M{n:04d}" for n in range(1, 6)]
    actions = _actions(db)
    assert sorted(a for a, _, _ in actions) == ["add"] * 5
    assert sorted(e for _, _, e in actions) == ids and sorted(w for _, w, _ in actions) == [f"并发{i}" for i in range(5)]
    con = perfcore.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM events WHERE updated_by LIKE '并发%'").fetchone()[0] == 5
        assert audit.verify(con)["ok"]
    finally:
        con.close()
