"""The workbooks in an office suite itself: Debian's LibreOffice Calc, headless.

Exports are printed to PDF by it and read back with pdftotext (every column of the notice on page 1,
the title whole, title and header on every page); templates are filled, saved by it and imported
through perfcore; the templates' checks are computed by it on sample cells. Several files go through
one soffice call, each call with a profile of its own so parallel runs never clash.
On CI a missing office suite is an error, never a skip.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import tomllib
import uuid
from pathlib import Path

import openpyxl
import pytest

import perfcore
from perfcore.ingest import importer, ledger
from perfcore.names import sort_names
from perfcore.present import export, templates
from perfcore.workflow import publish
from tests.conftest import ROOT

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
if not (SOFFICE and PDFTOTEXT):
    if os.environ.get("CI"):
        raise RuntimeError("LibreOffice or pdftotext is missing; CI must run these tests (scripts/test.sh installs "
                           "libreoffice-calc-nogui and poppler-utils)")
    pytest.skip("LibreOffice (libreoffice-calc-nogui) and poppler-utils are needed", allow_module_level=True)

ORG, YEAR = "示例区", 2025
SCHEME = tomllib.loads((ROOT / "data" / ORG / str(YEAR) / "考评方案.toml").read_text(encoding="utf-8"))
# the notice's columns, from the scheme's components (示例区 2025: 考评方案.toml, [[component]] labels)
NOTICE_COLUMNS = ["系列", "名次", "单位", "指标考核得分", "市对区激励得分", "公众评议得分", "正向激励得分", "察访核验扣分",
                  "综合得分", "等次", "上年名次", "升降", "结果运用"]
DRAFT_TITLE = "示例区2025年度绩效考评结果排名通报（征求意见稿）"
NARROW_TITLE = "示例区2025年度区直部门绩效评估某一张只有两列的表格"


def soffice(target: str, files: list[Path], outdir: Path, timeout: int = 300) -> list[Path]:
    """Convert files with LibreOffice in one call (`target`: pdf, xlsx, csv); returns the converted files."""
    profile = Path("/tmp") / f"perfcore-lo-{uuid.uuid4().hex}"
    try:
        proc = subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                               "--convert-to", target, "--outdir", str(outdir), *map(str, files)],
                              capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    suffix = target.split(":")[0]
    out = [outdir / f"{f.stem}.{suffix}" for f in files]
    missing = [p.name for p in out if not p.exists()]
    assert not missing, f"LibreOffice did not write {missing}: {proc.stdout} {proc.stderr}"
    return out


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a PDF, laid out as printed."""
    text = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def pdf_info(path: Path) -> dict:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------- exports, printed

@pytest.fixture(scope="module")
def printed(sample_db_path, tmp_path_factory):
    """Every export of 示例区 2025 (and the other organisations' notices), printed to PDF by LibreOffice."""
    base = tmp_path_factory.mktemp("printed")
    db = base / "copy.duckdb"
    shutil.copy(sample_db_path, db)
    con = perfcore.connect(db)
    ledger.add_event(con, ORG, YEAR, {"date": "2025-05-02", "unit": "区委办", "target": "察访核验", "rule": "工作落实不力",
                                      "description": '=HYPERLINK("http://x","点我")', "evidence": "+1", "source_level": "区"},
                     who="测试")
    files = {}

    def put(name, data):
        files[name] = base / f"{name}.xlsx"
        files[name].write_bytes(data)

    draft = perfcore.score(con, ORG, YEAR)
    put("notice_draft", export.notice_xlsx(draft, "zh", None))
    put("notice_en", export.notice_xlsx(draft, "en", None))
    for other in ("示例市妇联", "示例市直机关"):
        shown, pub = publish.official(con, other, YEAR)
        put(f"notice_{other}", export.notice_xlsx(shown, "zh", publish.stamp(pub)))
    put("ledger", export.ledger_xlsx(con, ORG, YEAR, "区委办"))
    for kind in importer.KINDS:
        put(f"table_{kind}", export.table_xlsx(con, kind, ORG, None if kind == "units" else YEAR))
    publish.publish(con, ORG, YEAR, who="办公室")
    shown, pub = publish.official(con, ORG, YEAR)
    put("notice_published", export.notice_xlsx(shown, "zh", publish.stamp(pub)))
    from openpyxl import Workbook
    import pandas as pd
    from perfcore.present.printable import print_setup, table_sheet
    narrow = Workbook()
    print_setup(narrow.active, table_sheet(narrow.active, pd.DataFrame({"单位": ["区委办"], "得分": [1.5]}), NARROW_TITLE),
                footer="窄表")
    buffer = io.BytesIO()
    narrow.save(buffer)
    put("narrow", buffer.getvalue())
    frame = export.notice_frame(draft)
    con.close()
    pdfs = soffice("pdf", list(files.values()), base / "pdf")
    return {"pdf": dict(zip(files, pdfs)), "xlsx": files, "frame": frame, "base": base}


def test_the_notice_prints_on_a4_landscape_with_every_column_on_page_one(printed):
    pdf = printed["pdf"]["notice_draft"]
    width, height = map(float, re.findall(r"[\d.]+", pdf_info(pdf)["Page size"])[:2])
    assert (round(width), round(height)) == (842, 595)            # A4 (297 × 210 mm) turned landscape
    pages = pdf_pages(pdf)
    first = pages[0]
    header_line = next(line for line in first.splitlines() if "系列" in line and "升降" in line)
    assert header_line.split() == NOTICE_COLUMNS                   # all thirteen (结果运用: R27, S2), in order, on one line of page 1
    assert DRAFT_TITLE in first                                    # the title is whole: not cut at the right edge
    # 41 units evaluated in 2025, fitted one page wide: every page holds the title and header and says page N of M
    assert 1 <= len(pages) <= 3
    for n, page in enumerate(pages, start=1):
        assert DRAFT_TITLE in page and "升降" in page and "系列" in page
        assert f"第 {n} 页，共 {len(pages)} 页" in page
        assert page.count("征求意见稿") == 2                        # in the title and in the footer
        assert f"制表日期：{dt.date.today():%Y-%m-%d}" in page or f"制表日期：{dt.date.today() - dt.timedelta(days=1):%Y-%m-%d}" in page


def test_the_notice_prints_numbers_with_two_decimals(printed):
    text = "\n".join(pdf_pages(printed["pdf"]["notice_draft"]))
    frame = printed["frame"]
    rows = [line.split() for line in text.splitlines()
            if line.split()[:1] and line.split()[0].endswith("系列") and line.split()[0] != "系列"]
    assert len(rows) == len(frame) == 41
    for cells in rows:
        unit = cells[2]
        mine = frame[frame["单位"] == unit].iloc[0]
        assert cells[3:9] == [f"{mine[c]:.2f}" for c in NOTICE_COLUMNS[3:9]]    # 940.60, 0.00: two decimals each
        assert cells[1] == str(mine["名次"])                                     # ranks as whole numbers


def test_a_published_notice_is_not_a_draft(printed):
    first = pdf_pages(printed["pdf"]["notice_published"])[0]
    assert "征求意见稿" not in first
    assert "示例区2025年度绩效考评结果排名通报" in first and "由办公室发布" in first


def test_an_english_notice_prints_its_columns_on_page_one(printed):
    first = pdf_pages(printed["pdf"]["notice_en"])[0]
    for column in ("Series", "Rank", "Unit", "Indicator score", "City incentive", "Composite", "Grade", "Last year", "Movement"):
        assert column in first
    assert "示例区: performance evaluation results 2025 (draft)" in first and re.search(r"Page 1 of \d", first)


@pytest.mark.parametrize("org, columns", [     # their schemes' component labels between 单位 and 综合得分
    ("示例市妇联", ["系列", "名次", "单位", "考评指标得分", "正向激励", "综合得分", "等次", "上年名次", "升降", "结果运用"]),
    ("示例市直机关", ["系列", "名次", "单位", "集中考评", "基层和群众评议", "领导评价", "扣分", "特别加分", "综合得分", "等次",
                "上年名次", "升降", "基准奖（元）", "结果运用"]),       # S2: reward amounts (R28) and their use
])
def test_other_organisations_notices_print_whole(printed, org, columns):
    first = pdf_pages(printed["pdf"][f"notice_{org}"])[0]
    header_line = next(line for line in first.splitlines() if "系列" in line and "升降" in line)
    assert header_line.split() == columns
    assert f"{org}2025年度绩效考评结果排名通报" in first


def test_the_ledger_prints_whole_and_formulas_stay_text(printed):
    pages = pdf_pages(printed["pdf"]["ledger"])
    first = pages[0]
    for column in ("日期", "指标", "情形", "来源层级", "次数", "标准分", "倍数", "减免系数", "证据文号", "状态", "说明",
                   "计分说明", "编号"):
        assert column in first
    assert "示例区 2025年度 区委办 扣分台账" in first
    assert '=HYPERLINK("http://x","点我")' in squeeze("".join(pages))   # printed as typed, never run as a formula
    assert "第 1 页，共 1 页" in first


@pytest.mark.parametrize("kind", ["events", "indicators", "evaluations", "indicator_scores", "progress", "vetoes", "units",
                                  "assignments"])
def test_every_table_export_prints_one_page_wide(printed, kind):
    from perfcore.ingest.tables import TABLES
    pages = pdf_pages(printed["pdf"][f"table_{kind}"])
    columns = [c.zh for c in TABLES[kind]["columns"]]
    title = f"示例区 {TABLES[kind]['zh']}" if kind == "units" else f"示例区 2025年度 {TABLES[kind]['zh']}"
    for n, page in enumerate(pages, start=1):
        flat = squeeze(page)
        assert squeeze(title) in flat
        # the last column is on every page: nothing spills onto pages to the right
        assert squeeze(columns[-1]) in flat and squeeze(columns[0]) in flat
        assert f"第 {n} 页，共 {len(pages)} 页" in page


def test_a_title_wider_than_its_table_is_printed_whole(printed):
    first = pdf_pages(printed["pdf"]["narrow"])[0]
    assert NARROW_TITLE in first and "区委办" in first and "1.50" in first
    # Excel (unlike LibreOffice) cuts a merged cell's text at its edge: the columns are widened to hold the title,
    # 23 Chinese characters and 4 digits at 15 points against the table's 11: (23 × 2 + 4) × 15 / 11 + 4 = 72.2 widths
    ws = openpyxl.load_workbook(printed["xlsx"]["narrow"]).active
    assert ws.column_dimensions["A"].width + ws.column_dimensions["B"].width >= 72.1


def test_exported_workbooks_carry_their_print_setup(printed):
    for name, path in printed["xlsx"].items():
        ws = openpyxl.load_workbook(path).active
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows in ("$1:$2", "$1:$3"), (name, ws.print_title_rows)
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        assert any(str(r).startswith("A1:") for r in ws.merged_cells.ranges), name     # the title across the table


# ---------------------------------------------------------------- templates

def _units_in(con, year, org=ORG):
    rows = con.execute("SELECT unit FROM units WHERE org = ? AND NOT retired AND (first_year IS NULL OR first_year <= ?) "
                       "AND (last_year IS NULL OR last_year >= ?)", [org, year, year]).fetchall()
    return [r[0] for r in rows]


def _validations(ws) -> dict:
    """Column header → (data validation, its list's values read from the hidden sheet, or None)."""
    header = {c.column_letter: c.value for c in ws[1]}
    out = {}
    for dv in ws.data_validations.dataValidation:
        letter = re.match(r"[A-Z]+", str(dv.sqref)).group(0)
        items = None
        if dv.type == "list":
            sheet, ref = dv.formula1.rsplit("!", 1)
            lists = ws.parent[sheet.strip("'")]
            items = [row[0].value for row in lists[ref.replace("$", "")]]
        out[header[letter]] = (dv, items)
    return out


def test_the_events_template_offers_the_organisations_lists(sample_db):
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("events", sample_db, ORG, YEAR)))
    ws = book.worksheets[0]
    assert ws.title == "扣分台账" and book.sheetnames == ["扣分台账", "说明 Notes", "下拉列表"]
    assert book["下拉列表"].sheet_state == "hidden"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:V1"          # 22 columns, 批示层级 (E3) included
    checks = _validations(ws)
    units = checks["单位"][1]
    assert units == sort_names(_units_in(sample_db, YEAR)) and len(units) == 41 and "区委办" in units
    indicators = [r[0] for r in sample_db.execute("SELECT indicator FROM indicators WHERE org = ? AND year = ? AND NOT retired "
                                                  "ORDER BY ord", [ORG, YEAR]).fetchall()]
    assert checks["指标"][1] == indicators + ["察访核验", "正向激励"]             # the scheme's two pools last
    assert checks["情形"][1] == [r["name"] for r in SCHEME["rule"]] and len(checks["情形"][1]) == 30
    assert checks["来源层级"][1] == ["国家", "中央", "省", "自治区", "兵团", "市", "师", "区", "县", "本级", "自查", "媒体"]
    assert checks["状态"][1] == ["草稿", "已核实", "已审定", "申诉中", "已撤销"]
    assert checks["减免依据"][1] == list(range(1, 11))
    assert checks["减免方式"][1] == ["免予", "免予扣分", "减轻", "减轻扣分"]
    assert checks["结转"][1] == ["是", "否"]
    assert checks["批示层级"][1] == checks["来源层级"][1]
    assert checks["加重情形"][1] == ["久拖不决", "逾期报送", "整改不到位"] and not checks["加重情形"][0].showErrorMessage
    assert checks["角色"][0].type == "textLength"          # 示例区's scheme has no role factors: the column stays empty
    for name in ("单位", "指标", "情形", "来源层级", "状态", "减免依据", "减免方式", "结转"):
        dv = checks[name][0]
        assert dv.showErrorMessage and dv.errorStyle == "stop" and "下拉列表" in dv.error, name
        assert str(dv.sqref).endswith("1048576")              # the whole column below the header
    date = checks["日期"][0]
    assert "DATE(2025,1,1)" in date.formula1 and "DATE(2025,12,31)" in date.formula1 and "2025-01-01 至 2025-12-31" in date.error
    assert checks["次数"][0].type == "custom" and checks["问责人次"][0].type == "whole"
    notes = [[c for c in row if c is not None] for row in book["说明 Notes"].iter_rows(values_only=True)]
    assert ["工作落实不力", "Poor implementation", "扣分", "每项 5", "项", "察访核验"] in notes
    assert ["指标任务未完成", "Indicator task not completed", "扣分", "1–10（在“标准分”填写，并在“说明”写明理由）", "次",
            "任意指标"] in notes or any(r[:1] == ["指标任务未完成"] and "1–10" in r[3] for r in notes)
    assert [9, "在绩效评估指标中已作相应扣分"] in notes and [1, "先行先试或探索性试验中出现失误"] in notes


def test_every_table_has_a_template_with_its_lists(sample_db):
    expected = {"indicator_scores": ("单位", "指标"), "assignments": ("单位", "指标"), "evaluations": ("单位", "类别"),
                "vetoes": ("单位",), "progress": ("填报组队", "报告期", "指标名称"), "indicators": ("计分方式", "可超分"),
                "units": ("系列",)}
    for kind, lists in expected.items():
        book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx(kind, sample_db, ORG, YEAR)))
        checks = _validations(book.worksheets[0])
        for name in lists:
            assert checks[name][0].type == "list" and checks[name][1], (kind, name)
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("evaluations", sample_db, ORG, YEAR)))
    assert _validations(book.worksheets[0])["类别"][1] == ["市对区激励", "公众评议"]      # the scheme's evaluation components
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("progress", sample_db, ORG, YEAR)))
    checks = _validations(book.worksheets[0])
    assert checks["报告期"][1] == ["一季度", "上半年", "前三季度", "全年"]
    assert (checks["完成进度"][0].type, checks["完成进度"][0].formula1, checks["完成进度"][0].formula2) == ("decimal", "0", "100")
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("vetoes", sample_db, ORG, YEAR)))
    date = _validations(book.worksheets[0])["日期"][0]
    assert (date.type, date.formula1, date.formula2) == ("date", "DATE(2025,1,1)", "DATE(2025,12,31)")


def test_a_blank_template_has_the_shared_lists_and_no_organisation(sample_db):
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("events")))
    checks = _validations(book.worksheets[0])
    assert [c.value for c in book.worksheets[0][1]][:5] == ["编号", "日期", "单位", "指标", "情形"]
    assert checks["来源层级"][1][:3] == ["国家", "中央", "省"] and checks["状态"][1][-1] == "已撤销"
    assert checks["单位"][0].type == "textLength"          # no organisation: any unit name, checked on import
    assert checks["日期"][0].type == "date" and checks["日期"][0].formula1 == "DATE(1900,1,1)"


def test_a_template_needs_a_known_organisation_and_year(sample_db):
    with pytest.raises(perfcore.PerfcoreError, match="没有组织"):
        templates.template_xlsx("events", sample_db, "不存在的区", YEAR)
    with pytest.raises(perfcore.PerfcoreError, match="年度"):
        templates.template_xlsx("events", sample_db, ORG, None)
    with pytest.raises(perfcore.PerfcoreError, match="2031"):
        templates.template_xlsx("events", sample_db, ORG, 2031)


def _fill(path: Path, rows: list[dict]) -> None:
    """Type rows into a template's first sheet below the header, as a clerk would."""
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[0]
    header = [c.value for c in ws[1]]
    for i, row in enumerate(rows, start=2):
        for name, value in row.items():
            cell = ws.cell(row=i, column=header.index(name) + 1, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"          # typed into a text column (formatted 文本 / @), it stays text
    book.save(path)


# What a clerk types into each template (示例区 2025), and what the database then holds.
FILLED = {
    "events": [{"编号": "T2025-001", "日期": dt.date(2025, 6, 3), "单位": "区委办", "指标": "察访核验", "情形": "工作落实不力",
                "来源层级": "区", "次数": 2, "状态": "已审定", "说明": "模板填写"},
               {"编号": "T2025-002", "日期": dt.date(2024, 12, 20), "单位": "团区委", "指标": "察访核验",
                "情形": "服务质量差", "来源层级": "市", "次数": 1, "减免依据": 7, "减免方式": "减轻", "减免理由": "及时整改",
                "结转": "是", "说明": "=上年度转入"}],
    "vetoes": [{"单位": "区妇联", "类别": "安全生产", "日期": dt.date(2025, 8, 8), "说明": "模板填写"}],
    "progress": [{"填报组队": "区委办", "报告期": "前三季度", "指标名称": "信息报送", "完成进度": 80, "指标工作进展情况": "按序时推进",
                  "填报人": "王某", "填报时间": dt.date(2025, 10, 9)}],
    "assignments": [{"单位": "区委办", "指标": "信息报送", "任务项": "模板任务", "目标值": 12, "完成值": 9.5}],
}


@pytest.fixture(scope="module")
def refilled(sample_db_path, tmp_path_factory):
    """Templates of 示例区 2025 filled in and saved again by LibreOffice (its own xlsx writer)."""
    base = tmp_path_factory.mktemp("templates")
    db = base / "copy.duckdb"
    shutil.copy(sample_db_path, db)
    con = perfcore.connect(db)
    from perfcore.ingest.tables import TABLES
    # a score, an evaluation, an indicator and a unit the office corrects, from the stored tables
    score = export.table_frame(con, "indicator_scores", ORG, YEAR).iloc[0].to_dict()
    evaluation = export.table_frame(con, "evaluations", ORG, YEAR)
    evaluation = evaluation[evaluation["类别"] == "公众评议"].iloc[0].to_dict()
    filled = dict(FILLED)
    filled["indicator_scores"] = [{"单位": score["单位"], "指标": score["指标"], "得分": 3.25, "评分单位": "模板评分"}]
    filled["evaluations"] = [{"单位": evaluation["单位"], "类别": "公众评议", "得分": 77.5}]
    filled["units"] = [{"单位": "区委办", "系列": "党群系列", "层级": "区直部门", "主要领导": "模板某", "起始年度": 2020}]
    indicators = export.table_frame(con, "indicators", ORG, YEAR)
    indicators["责任人"] = indicators["责任人"].astype(object)
    indicators.loc[0, "责任人"] = "模板责任人"
    filled["indicators"] = [{k: (None if v is None or v != v else v) for k, v in r.items()} for r in indicators.to_dict("records")]
    paths = []
    for kind, rows in filled.items():
        path = base / f"{TABLES[kind]['file']}.xlsx"
        path.write_bytes(templates.template_xlsx(kind, con, ORG, None if kind == "units" else YEAR))
        _fill(path, rows)
        paths.append(path)
    # a long list: 2,000 units (the benchmark's scaled organisation), the last one in pinyin order typed in
    from bench import scaled
    scaled.build(base / "big.duckdb", units=2000, events=200, years=1, indicators=20)
    big = perfcore.connect(base / "big.duckdb")
    big_year = perfcore.years(big, scaled.ORG)[0]
    last_unit = sort_names(_units_in(big, big_year, scaled.ORG))[-1]
    long_list = base / "扣分台账-规模测试.xlsx"
    long_list.write_bytes(templates.template_xlsx("events", big, scaled.ORG, big_year))
    _fill(long_list, [{"编号": "L-1", "日期": dt.date(big_year, 3, 1), "单位": last_unit, "指标": "察访核验",
                       "情形": "工作落实不力", "次数": 1}])
    saved = soffice("xlsx", paths + [long_list], base / "saved")
    yield {"con": con, "saved": dict(zip(filled, saved)), "filled": filled,
           "long": (big, big_year, last_unit, saved[-1])}
    big.close()
    con.close()


@pytest.mark.parametrize("kind", ["events", "vetoes", "progress", "assignments", "indicator_scores", "evaluations", "units",
                                  "indicators"])
def test_a_filled_template_saved_by_the_office_suite_imports_as_it_is(refilled, kind):
    con, path = refilled["con"], refilled["saved"][kind]
    plan = importer.plan_import(con, path, ORG, None if kind == "units" else YEAR)
    assert plan.kind == kind and plan.ok, [p.message() for p in plan.problems]
    assert len(plan.added) + len(plan.changed) == len(refilled["filled"][kind]) if kind != "indicators" else len(plan.changed) == 1
    importer.apply_import(con, plan, who="模板测试")


def test_the_filled_rows_are_stored_as_typed(refilled):
    con = refilled["con"]
    for kind in ("events", "vetoes", "progress", "assignments", "indicator_scores", "evaluations", "units", "indicators"):
        plan = importer.plan_import(con, refilled["saved"][kind], ORG, None if kind == "units" else YEAR)
        if plan.has_changes:
            importer.apply_import(con, plan, who="模板测试")
    first = ledger.event(con, ORG, YEAR, "T2025-001")
    assert (first["date"], first["unit"], first["rule"], first["count"], first["status"]) == \
        (dt.date(2025, 6, 3), "区委办", "工作落实不力", 2.0, "已审定")
    carried = ledger.event(con, ORG, YEAR, "T2025-002")
    assert (carried["date"], carried["carried_over"], carried["mitigation_code"], carried["mitigation_mode"]) == \
        (dt.date(2024, 12, 20), True, 7, "reduce")
    assert carried["description"] == "=上年度转入"                     # text stays text through the office suite
    assert con.execute("SELECT category, date FROM vetoes WHERE org = ? AND year = ? AND unit = '区妇联' AND NOT retired",
                       [ORG, YEAR]).fetchall() == [("安全生产", dt.date(2025, 8, 8))]
    assert con.execute("SELECT percent, reporter, report_date FROM progress WHERE org = ? AND year = ? AND unit = '区委办' "
                       "AND period = '前三季度' AND indicator = '信息报送' AND NOT retired", [ORG, YEAR]).fetchall() == \
        [(80.0, "王某", dt.date(2025, 10, 9))]
    assert con.execute("SELECT target_value, actual_value FROM assignments WHERE org = ? AND year = ? AND item = '模板任务' "
                       "AND NOT retired", [ORG, YEAR]).fetchall() == [(12.0, 9.5)]
    assert con.execute("SELECT principal FROM units WHERE org = ? AND unit = '区委办' AND NOT retired", [ORG]).fetchall() == \
        [("模板某",)]
    assert con.execute("SELECT count(*) FROM indicators WHERE org = ? AND year = ? AND person = '模板责任人' AND NOT retired",
                       [ORG, YEAR]).fetchone()[0] == 1


def test_the_office_suite_keeps_the_templates_lists(refilled):
    book = openpyxl.load_workbook(refilled["saved"]["events"])
    checks = _validations(book.worksheets[0])
    assert "区委办" in checks["单位"][1] and len(checks["单位"][1]) == 41
    assert checks["情形"][1][0] == "工作落实不力" and checks["日期"][0].type == "custom"


def test_a_list_of_two_thousand_units_works_through_the_office_suite(refilled):
    big, year, last_unit, path = refilled["long"]
    checks = _validations(openpyxl.load_workbook(path).worksheets[0])
    assert len(checks["单位"][1]) == 2000 and checks["单位"][1][-1] == last_unit
    assert checks["单位"][0].formula1.endswith("$A$2:$A$2001")
    from bench import scaled
    plan = importer.plan_import(big, path, scaled.ORG, year)
    assert plan.ok and [r["unit"] for r in plan.added] == [last_unit], [p.message() for p in plan.problems]


# ---------------------------------------------------------------- the checks, computed by the office suite

def test_the_office_suite_refuses_dates_outside_the_year_and_counts_out_of_bounds(sample_db, tmp_path):
    """Each check's formula, put in a cell beside sample values, is computed by LibreOffice: TRUE where the
    template accepts the value, FALSE where it refuses it."""
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("events", sample_db, ORG, YEAR)))
    checks = _validations(book.worksheets[0])
    date_rule, count_rule = checks["日期"][0].formula1, checks["次数"][0].formula1
    cases = [  # date, 结转, count → date accepted?, count accepted? (worked out from the import's rules)
        (dt.date(2025, 1, 1), None, 1, True, True),
        (dt.date(2025, 12, 31), None, 0.5, True, True),
        (dt.date(2024, 12, 31), None, 0, False, False),          # last year, not carried over; a count of 0
        (dt.date(2026, 1, 1), None, 10000, False, True),
        (dt.date(2024, 6, 30), "是", 10001, True, False),         # carried over from 2024 (A9); a count too large
        (dt.date(2023, 6, 30), "是", -1, False, False),           # carried over, but from two years back
        ("明天", None, "三", False, False),                      # text is not a date, 三 is not a number
    ]
    from openpyxl.utils import get_column_letter
    from perfcore.ingest.tables import TABLES
    at = {c.zh: i for i, c in enumerate(TABLES["events"]["columns"], start=1)}      # the template's own columns
    date_at, count_at, carried_at = at["日期"], at["次数"], at["结转"]
    probe = openpyxl.Workbook()
    ws = probe.active
    ok_at = len(at) + 1                                       # the two results, right of the template's columns
    for i, (date, carried, count, *_ ) in enumerate(cases, start=2):
        ws.cell(row=i, column=date_at, value=date)
        ws.cell(row=i, column=count_at, value=count)
        ws.cell(row=i, column=carried_at, value=carried)
        letters = {get_column_letter(n): get_column_letter(n) for n in (date_at, count_at, carried_at)}
        rule_d, rule_c = date_rule, count_rule
        for letter in letters:
            rule_d, rule_c = rule_d.replace(f"{letter}2", f"{letter}{i}"), rule_c.replace(f"{letter}2", f"{letter}{i}")
        ws.cell(row=i, column=ok_at, value="=" + rule_d)
        ws.cell(row=i, column=ok_at + 1, value="=" + rule_c)
    ws.cell(row=1, column=1, value="编号")
    path = tmp_path / "probe.xlsx"
    probe.save(path)
    out = soffice("csv:Text - txt - csv (StarCalc):44,34,76", [path], tmp_path / "csv")[0]
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))[1:]
    assert [(r[ok_at - 1], r[ok_at]) for r in rows] == [("TRUE" if d else "FALSE", "TRUE" if c else "FALSE")
                                                         for *_, d, c in cases]


def test_the_pdf_notice_numbers_its_pages_and_says_draft_and_date(sample_db, tmp_path):
    from perfcore.workflow import publish
    shown, pub = publish.official(sample_db, ORG, YEAR)
    path = tmp_path / "notice.pdf"
    path.write_bytes(export.notice_pdf(shown, "zh", publish.stamp(pub, "zh")))
    pages = pdf_pages(path)
    assert pages and all(f"第 {n} 页，共 {len(pages)} 页" in page for n, page in enumerate(pages, start=1))
    assert all("征求意见稿" in page and f"制表日期：{dt.date.today():%Y-%m-%d}" in page for page in pages)
    assert all("升降" in page for page in pages)                     # the header on every page
