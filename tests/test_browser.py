"""Real-browser tests: Playwright driving Debian's chromium against `streamlit run dashboard.py`.

Screenshots of every page in both languages go to artifacts/screenshots/. The server here starts on an
empty database file, so it also shows the app building the sample on its first start.
"""
from __future__ import annotations

import time

import pytest

from tests.browser import ROOT, Server, choose, errors, redrawn_charts, require_chromium, settle, shoot, sign_in_as, tick_row

require_chromium()

PAGES = {"": "部门排名|rankings", "unit": "城东街道|城东街道", "progress": "指标进度|indicator progress", "deductions": "扣分明细|deductions",
         "movement": "排名变化|Rank movement", "whatif": "权重模拟|What-if", "data": "数据管理|Data management"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The dashboard on a fresh database file: the app builds it from data/ on first start."""
    base = tmp_path_factory.mktemp("browser")
    srv = Server(base / "app.duckdb", base / "streamlit.log").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def server(served):
    return served.url


@pytest.fixture
def page(browser, server):
    """A browser session (each test signs in on the page it opens, as the evaluation office)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()


def open_as_office(page, url: str) -> None:
    """Open a URL as a person does and sign in there (opening a URL is a new session)."""
    sign_in_as(page, url, "office", english="lang=English" in url)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_in_both_languages(page, server, path, lang):
    query = "?lang=English" if lang == "en" else ""
    open_as_office(page, f"{server}/{path}{query}")
    assert errors(page) == 0
    heading = page.locator("h1").first.inner_text()
    expected = PAGES[path].split("|")[0 if lang == "zh" else 1]
    assert expected in heading, heading
    assert redrawn_charts(page) == []       # each chart's margins held its labels: drawn once (perfcore.present.figures)
    shoot(page, f"{path or 'rankings'}_{lang}")
    if path in ("unit", "movement", "progress"):    # the page's other tabs (only the open one runs), as a person opens them
        for i in range(1, page.get_by_role("tab").count()):
            page.get_by_role("tab").nth(i).click()
            settle(page)
            assert errors(page) == 0 and redrawn_charts(page) == []
            assert page.locator("h1").first.inner_text() == heading
            shoot(page, f"{path}_tab{i}_{lang}")


def test_click_from_a_rank_to_a_unit_to_its_deductions(page, server):
    open_as_office(page, server + "/")
    tick_row(page, page.locator('[data-testid="stDataFrame"]').last, 0)     # the first data row's selection box
    page.get_by_role("button", name="单位画像 →").click()       # the office ticks a row, then picks what to open
    page.wait_for_url("**/unit**", timeout=60_000)
    settle(page)
    assert errors(page) == 0
    unit = page.locator("h1").first.inner_text()
    assert unit == "新港街道"   # rank 1 of 示例区 2025
    page.get_by_role("tab", name="扣分与加分记录").click()
    settle(page)
    page.get_by_role("button", name="查看扣分明细 →").click()
    page.wait_for_url("**/deductions**", timeout=60_000)
    settle(page)
    assert errors(page) == 0
    assert page.get_by_text("与得分一致").count() >= 1
    assert "unit=" in page.url and "indicator=" in page.url
    shoot(page, "drilldown_zh")


def test_a_shared_link_reopens_the_same_view(page, server):
    open_as_office(page, f"{server}/unit?org=示例市妇联&year=2024&unit=权益部&lang=English")
    assert errors(page) == 0
    assert page.locator("h1").first.inner_text() == "权益部"
    assert page.get_by_text("Vetoed").count() >= 1


def test_whatif_reranks_live(page, server):
    open_as_office(page, f"{server}/whatif")
    thumb = page.locator('input[type="range"][aria-label="公众评议得分"]')
    assert thumb.input_value() == "0.4"
    thumb.focus()
    for _ in range(8):              # 0.40 → 0.80 in steps of 0.05, as the arrow keys move a slider
        page.keyboard.press("ArrowRight")
    started = time.perf_counter()
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
        .some(e => e.innerText.trim() !== '0' && e.closest('[data-testid="stMetric"]').innerText.includes('名次变化'))""",
                           timeout=30_000)
    elapsed = time.perf_counter() - started
    settle(page)
    assert errors(page) == 0
    shoot(page, "whatif_changed_zh")
    print(f"what-if change shown after {elapsed:.2f} s")


def bad_ledger(folder):
    """A ledger workbook with two problems: a unit the year does not have, and text in the count."""
    import openpyxl
    path = folder / "扣分台账.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "日期", "单位", "指标", "情形", "次数"])
    wb.active.append(["B1", "2025-05-01", "不存在的局", "察访核验", "工作落实不力", "三"])
    wb.save(path)
    return path


def test_upload_a_bad_then_a_good_workbook(page, server, tmp_path):
    bad = bad_ledger(tmp_path)
    open_as_office(page, f"{server}/data")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    settle(page)
    shoot(page, "data_problems_zh")
    assert page.get_by_text("发现 2 个问题，未写入任何数据。").count() == 1
    good = tmp_path / "good" / "扣分台账.csv"
    good.parent.mkdir()
    rows = (ROOT / "data/示例区/2025/扣分台账.csv").read_text(encoding="utf-8-sig").splitlines()
    rows.append("2025-Z001,2025-11-30,区委办,察访核验,工作纪律散漫,区,明察暗访,1,,,,0,,,,,,示效督〔2025〕99号,已审定,浏览器测试新增")
    good.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    settle(page)
    assert page.get_by_text("扣分台账：新增 1 行，修改 0 行。").count() >= 1
    page.get_by_role("button", name="确认导入").click()
    settle(page)
    assert page.get_by_text("已导入，1 处更改已记入操作日志。").count() == 1
    page.get_by_role("tab", name="操作日志").click()
    settle(page)
    shoot(page, "data_log_zh")
    assert errors(page) == 0


def test_the_data_pages_tabs_run_when_open_and_keep_a_chosen_file_and_choices(page, server, tmp_path):
    bad = bad_ledger(tmp_path)
    open_as_office(page, f"{server}/data?org=示例区&year=2025")
    assert page.get_by_role("button", name="保存记录").count() == 0           # only the open tab runs
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    settle(page)
    assert page.get_by_text("发现 2 个问题，未写入任何数据。").count() == 1
    page.get_by_role("tab", name="录入与更正").click()
    settle(page)
    assert page.get_by_role("button", name="保存记录").count() == 1
    page.locator(".st-key-edit_unit").get_by_role("combobox").click()
    page.keyboard.type("城东街道")
    page.get_by_role("option", name="城东街道", exact=True).click()
    settle(page)
    assert page.locator(".st-key-edit_unit input").input_value() == "城东街道"
    page.get_by_role("tab", name="操作日志").click()
    settle(page)
    assert page.get_by_role("button", name="保存记录").count() == 0
    assert page.get_by_role("button", name="校验操作日志是否被改动").count() == 1
    page.get_by_role("tab", name="导入表格").click()
    settle(page)
    assert page.get_by_text("发现 2 个问题，未写入任何数据。").count() == 1   # the file chosen is still there, and its check
    page.get_by_role("tab", name="录入与更正").click()
    settle(page)
    assert page.locator(".st-key-edit_unit input").input_value() == "城东街道"      # the unit chosen before
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    settle(page)
    assert page.get_by_role("tab", name="Record and correct").get_attribute("aria-selected") == "true"
    assert page.get_by_role("button", name="Save the record").count() == 1
    assert page.locator(".st-key-edit_unit input").input_value() == "城东街道"
    assert errors(page) == 0
    shoot(page, "data_record_en")


def test_a_language_switch_rewords_the_options_already_chosen(page, server):
    """A keyed selectbox keeps showing its chosen option in the words it was chosen in (streamlit#13788): the
    sidebar's 全部系列 and the import's 自动识别 / 按填报时间 follow the switch, both ways, and stay chosen."""
    open_as_office(page, f"{server}/data?org=示例区&year=2025")
    chosen = lambda key: page.locator(f".st-key-{key} input").input_value()
    assert (chosen("series"), chosen("import_kind"), chosen("import_period")) == ("全部系列", "自动识别", "按填报时间")
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    settle(page)
    assert (chosen("series"), chosen("import_kind"), chosen("import_period")) == ("All series", "Detect", "From the filing date")
    page.locator('[data-testid="stSidebar"]').get_by_text("中文", exact=True).click()
    settle(page)
    assert (chosen("series"), chosen("import_kind"), chosen("import_period")) == ("全部系列", "自动识别", "按填报时间")
    assert errors(page) == 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_data_page_offers_the_organisations_templates(page, server, tmp_path, lang):
    import openpyxl
    query = "&lang=English" if lang == "en" else ""
    open_as_office(page, f"{server}/data?org=示例区&year=2025{query}")
    settle(page)
    page.get_by_text("下载模板" if lang == "zh" else "Templates", exact=True).click()
    settle(page)
    assert page.get_by_text("示例区 · 2025 年度（含下拉列表与检查）" if lang == "zh"
                            else "示例区 · 2025 (with drop-down lists and checks)").count() == 1
    page.get_by_text("下载模板" if lang == "zh" else "Templates", exact=True).scroll_into_view_if_needed()
    shoot(page, f"data_templates_{lang}")
    with page.expect_download(timeout=60_000) as got:
        page.get_by_role("button", name="扣分台账" if lang == "zh" else "Deduction ledger").click()
    download = got.value
    assert download.suggested_filename == "扣分台账-示例区2025.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(str(path))
    book = openpyxl.load_workbook(path)
    units = next(dv for dv in book.active.data_validations.dataValidation if str(dv.sqref).startswith("C2"))
    assert units.type == "list" and book["下拉列表"]["A1"].value == "单位"
    assert book["下拉列表"]["A2"].value == "城东街道" and book["下拉列表"]["A42"].value is not None  # the 41 units of 2025
    assert errors(page) == 0


ENGLISH_WIDGET_TEXT = ("Upload", "per file", "Drag and drop", "Choose an option", "Choose options", "No options", "Browse files")


@pytest.mark.parametrize("path", ["", "unit", "progress", "deductions", "movement", "whatif", "data", "appeals", "accounts"])
def test_the_chinese_ui_shows_no_english_widget_text_and_no_none(page, server, path):
    open_as_office(page, f"{server}/{path}?org=示例区&year=2025")
    for i in range(max(page.get_by_role("tab").count(), 1)):    # every tab of the page, as a person opens them
        if page.get_by_role("tab").count():                      # (an open tab alone runs on some pages: look at each)
            page.get_by_role("tab").nth(i).click()
            settle(page)
        text = page.locator('[data-testid="stMain"]').inner_text()
        where = f"{path} tab {i}"
        assert not [w for w in ENGLISH_WIDGET_TEXT if w in text], where
        cells = page.locator('[data-testid="stMain"] [role="gridcell"]')       # a grid draws on a canvas; these name its cells
        shown = {cells.nth(i).inner_text().strip() for i in range(cells.count())}
        assert cells.count() == 0 or not shown & {"None", "nan", "NaN", "NaT", "<NA>"}, where
        assert "None" not in text and "nan" not in text.split(), where


def test_a_shared_what_if_link_reopens_its_scenario(page, server):
    open_as_office(page, f"{server}/whatif?org=示例区&year=2025&w=public:0.8")
    assert page.locator('input[type="range"][aria-label="公众评议得分"]').input_value() == "0.8"
    assert "w=public%3A0.8" in page.url or "w=public:0.8" in page.url          # and it stays in the URL
    moved = page.locator('[data-testid="stMetric"]', has_text="名次变化的单位").locator('[data-testid="stMetricValue"]')
    assert moved.inner_text().strip() != "0"
    assert errors(page) == 0


def test_records_switched_off_in_a_part_opened_and_closed_stay_switched_off(page, server):
    # the what-if's records part is drawn only while open (a fragment's rerun): what was chosen there stays
    open_as_office(page, f"{server}/whatif?org=示例区&year=2025")
    assert page.get_by_label("先选单位", exact=True).count() == 0
    page.get_by_text("不计入的记录（模拟申诉成功）", exact=True).click()
    settle(page)
    choose(page, "先选单位", "区委编办")
    page.get_by_label("该单位不计入的记录", exact=True).click()
    page.keyboard.type("2025-0083")
    page.get_by_role("option").first.click()
    page.keyboard.press("Escape")
    settle(page)
    page.get_by_text("不计入的记录（模拟申诉成功）", exact=True).click()     # closed again
    settle(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert page.get_by_label("先选单位", exact=True).count() == 0 and "共 1 条不计入：2025-0083" in main
    assert "off=2025-0083" in page.url
    page.get_by_text("不计入的记录（模拟申诉成功）", exact=True).click()     # open: the unit chosen before
    settle(page)
    assert page.locator(".st-key-off_unit input").input_value() == "区委编办"
    assert errors(page) == 0


def test_a_shared_what_if_link_switches_off_its_records_and_ignores_unknown_ones(page, server):
    # 2025-0006 is one of 区委办's recorded deductions in the sample; "2025-9999" is no record at all
    open_as_office(page, f"{server}/whatif?org=示例区&year=2025&off=2025-0006,2025-9999")
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "共 1 条不计入：2025-0006" in main and "2025-9999" not in main
    assert errors(page) == 0


PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_on_a_phone_the_ranking_is_a_list_of_cards(browser, server, lang):
    from tests import reference
    top = reference.results(reference.tables(ROOT / "data", "示例区", 2025)).sort_values("rank").iloc[0]
    context = browser.new_context(viewport={"width": 390, "height": 844}, user_agent=PHONE, locale="zh-CN")
    page = context.new_page()
    query = "?org=示例区&year=2025" + ("&lang=English" if lang == "en" else "")
    open_as_office(page, f"{server}/{query}")
    assert errors(page) == 0
    first = page.locator('[data-testid="stMarkdownContainer"]', has_text=top["unit"]).first.inner_text()
    assert first.split()[0] == "1" and f"{top['composite']:.2f}" in first        # rank, name, score on one card
    assert page.get_by_placeholder("输入单位名称" if lang == "zh" else "Type a name").count() == 0  # no desk table
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390                                              # nothing wider than the phone
    shoot(page, f"rankings_phone_{lang}", width=390)
    page.get_by_text("表格" if lang == "zh" else "Table", exact=True).click()      # the desk view is one tap away
    settle(page)
    assert page.get_by_placeholder("输入单位名称" if lang == "zh" else "Type a name").count() == 1
    context.close()


def test_the_workbooks_built_when_clicked_arrive_for_the_signed_in_account(page, server, tmp_path):
    """A unit's ledger (单位画像), the ranking notice (部门排名) and the briefing (分析) are built only when
    clicked, outside the session, for the account signed in: each arrives, with the unit's records, the
    year's ranking, a PDF."""
    import openpyxl
    from tests import reference
    t = reference.tables(ROOT / "data", "示例区", 2025)
    open_as_office(page, f"{server}/unit?org=示例区&year=2025&unit=区委政法委")
    page.get_by_role("tab", name="扣分与加分记录").click()
    settle(page)
    with page.expect_download(timeout=60_000) as got:
        page.get_by_role("button", name="下载本单位扣分台账（Excel）").click()
    path = tmp_path / got.value.suggested_filename
    got.value.save_as(str(path))
    assert path.name == "示例区2025-区委政法委扣分台账.xlsx"
    text = {str(v) for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True) for v in row if v is not None}
    own = t["events"][t["events"]["unit"] == "区委政法委"]["event_id"]
    assert len(own) and set(own) <= text                                  # every record of the unit is in it
    open_as_office(page, f"{server}/?org=示例区&year=2025")                 # 部门排名
    with page.expect_download(timeout=60_000) as got:
        page.get_by_role("button", name="排名通报（Excel）", exact=False).first.click()
    path = tmp_path / got.value.suggested_filename
    got.value.save_as(str(path))
    text = {str(v) for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True) for v in row if v is not None}
    assert set(t["units"]["unit"]) <= text                               # every unit of the year is ranked in it
    open_as_office(page, f"{server}/data?org=示例区&year=2025")              # 数据管理's notice and ledger: the same builders
    page.get_by_role("tab", name="发布与导出").click()
    settle(page)
    with page.expect_download(timeout=60_000) as got:
        page.get_by_role("button", name="排名通报（PDF）", exact=False).first.click()
    assert got.value.suggested_filename == "示例区2025年度排名通报.pdf"
    with page.expect_download(timeout=60_000) as got:
        page.get_by_role("button", name="下载该单位台账（Excel）").click()
    path = tmp_path / got.value.suggested_filename
    got.value.save_as(str(path))
    assert path.name == "示例区2025-城东街道扣分台账.xlsx"                      # the first unit (pinyin) is chosen
    text = {str(v) for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True) for v in row if v is not None}
    assert set(t["events"][t["events"]["unit"] == "城东街道"]["event_id"]) <= text
    open_as_office(page, f"{server}/analysis?org=示例区&year=2025")
    with page.expect_download(timeout=120_000) as got:
        page.get_by_role("button", name="分析简报（PDF）").click()
    path = tmp_path / got.value.suggested_filename
    got.value.save_as(str(path))
    assert path.name == "示例区2025年度分析简报.pdf" and path.read_bytes()[:5] == b"%PDF-"
    assert errors(page) == 0


def test_the_ranking_as_filtered_exports_as_shown(page, server, tmp_path):
    import openpyxl
    from tests import reference
    ref = reference.results(reference.tables(ROOT / "data", "示例区", 2025))
    passing = ref[ref["grade"] == "合格"].sort_values("rank")       # the sample's lowest-but-one grade in 2025
    open_as_office(page, f"{server}/?org=示例区&year=2025")
    page.get_by_role("button", name="合格", exact=True).click()     # the grade filter
    settle(page)
    assert page.get_by_text(f"共 {len(passing)} 个单位").count() == 1
    with page.expect_download(timeout=60_000) as got:
        page.get_by_role("button", name="导出当前表格（Excel）").click()
    path = tmp_path / got.value.suggested_filename
    got.value.save_as(str(path))
    assert path.name == "示例区2025年度部门排名.xlsx"
    ws = openpyxl.load_workbook(path).active
    rows = [r for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r and r[0] == "名次")
    assert rows[header][:6] == ("名次", "单位", "综合得分", "等次", "升降", "系列")      # the screen's column names
    body = rows[header + 1:]
    assert [r[1] for r in body] == passing["unit"].tolist()                   # the filter and the order as shown
    assert [r[2] for r in body] == pytest.approx(passing["composite"].tolist())
    assert {r[3] for r in body} == {"合格"}                                     # a label cell as its text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_key_columns_stay_in_view_at_1440(page, server, lang):
    """名次, 单位, 综合得分, 等次, 升降 are in view without scrolling sideways, and stay when the rest is scrolled to its end.
    The grid draws on a canvas and names only the columns in view (role=columnheader), so that list is what a person sees."""
    key = ["名次", "单位", "综合得分", "等次", "升降"] if lang == "zh" else ["Rank", "Unit", "Composite", "Grade", "Movement"]
    open_as_office(page, f"{server}/?org=示例区&year=2025" + ("&lang=English" if lang == "en" else ""))
    grid = page.locator('[data-testid="stDataFrame"]').last

    def in_view():
        heads = grid.locator('[role="columnheader"]')
        return [heads.nth(i).inner_text() for i in range(heads.count())]

    assert in_view()[:5] == key
    grid.locator(".dvn-scroller").first.evaluate("e => { e.scrollLeft = e.scrollWidth; }")       # to the far right
    time.sleep(1.5)
    after = in_view()
    assert after[:5] == key and after[-1] == ("一票否决" if lang == "zh" else "Veto")            # the last column, keys still there
    assert ("系列" if lang == "zh" else "Series") not in after                                 # the unpinned ones scrolled away


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_fits_a_phone(browser, server, lang):
    """Each page at 390 px, reached through the sidebar as on a phone: no error and nothing wider than the screen."""
    from ui.state import ROLE_PAGES, TITLES
    context = browser.new_context(viewport={"width": 390, "height": 844}, user_agent=PHONE, locale="zh-CN")
    page = context.new_page()
    open_as_office(page, f"{server}/?org=示例区&year=2025" + ("&lang=English" if lang == "en" else ""))
    for key in ROLE_PAGES["office"]:
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.get_by_text(TITLES[key][0 if lang == "zh" else 1], exact=True).click()
        settle(page)
        assert errors(page) == 0, key
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, key
        shoot(page, f"phone_{key}_{lang}", width=390)
    context.close()


def test_the_servers_log_holds_no_error_after_every_test_above(served):
    """Last in this module: the background warm-ups the frame starts after each page (ui.data.warm) and
    everything else the tests above did left no traceback or warning of a failure in the server's log."""
    size = -1
    while size != served.log_path.stat().st_size:      # the last warm-up may still be writing: until the log rests
        size = served.log_path.stat().st_size
        time.sleep(3)
    log = served.log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and "for the next pages failed" not in log, log[-3000:]
