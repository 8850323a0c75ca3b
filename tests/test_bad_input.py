"""A corpus of malformed input, one case per kind: each is refused with its location, in Chinese and
English, and the database's content is the same before and after (hashed, every table).

Harmless variants (a GBK CSV, a percent cell in the progress column, thousands separators)
are accepted with the right value.
"""
from __future__ import annotations

import hashlib
import io
import shutil
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfcore
from perfcore.engine.scheme import load as load_scheme_file
from perfcore.engine.scheme import parse
from perfcore.errors import InputError, PerfcoreError
from perfcore.ingest import importer
from perfcore.ingest.sources import load_source
from tests.builders import Org, event, scheme
from tests.conftest import ROOT

LEDGER_HEADER = "编号,日期,单位,指标,情形,来源层级,渠道,次数,标准分,加重情形,角色,问责人次,减免依据,减免方式,减免理由,问题标识,事项标识,证据文号,状态,说明"
GOOD_ROW = "2025-X001,2025-05-01,区委办,察访核验,工作落实不力,区,明察暗访,1,,,,0,,,,,,示效督〔2025〕1号,已审定,说明"
TABLES = ["orgs", "units", "schemes", "indicators", "indicator_scores", "assignments", "events", "evaluations", "vetoes", "outside_ranks",
          "progress", "event_versions", "row_versions", "audit_log", "publications", "scenarios", "archives"]


def digest(con) -> str:
    """A hash of the whole database's content: every row of every table, in a stable order."""
    h = hashlib.sha256()
    for table in TABLES:
        for row in sorted(map(repr, con.execute(f"SELECT * FROM {table}").fetchall())):
            h.update(row.encode())
    return h.hexdigest()


def csv_file(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def refused(con, path, org="示例区", year=2025, **kw):
    """Plan the import; it must be refused. Returns its problems; the database must be unchanged."""
    before = digest(con)
    try:
        plan = importer.plan_import(con, path, org, year, **kw)
        problems = plan.problems
    except InputError as exc:
        problems = exc.problems
    assert problems, "the file was accepted"
    for p in problems:
        assert p.zh and p.en and p.file
    assert digest(con) == before
    return problems


def one(problems, column=None, row=None):
    found = [p for p in problems if (column is None or p.column == column) and (row is None or p.row == row)]
    assert found, [p.message() for p in problems]
    return found[0]


# ---------------------------------------------------------------- cells that would change meaning

def test_decimal_comma_is_refused_thousands_separators_are_read(con, tmp_path):
    p = one(refused(con, csv_file(tmp_path / "扣分台账.csv", [LEDGER_HEADER, GOOD_ROW.replace(",1,,,,0,", ',"1,5",,,,0,')])),
            "次数", 2)
    assert "逗号" in p.zh and "comma" in p.en
    plan = importer.plan_import(con, csv_file(tmp_path / "评议得分.csv", ["单位,类别,项目,得分,满分", '区委办,公众评议,,"85.82",100']),
                                "示例区", 2025)
    assert plan.ok
    from perfcore.ingest.tables import TABLES as SPEC, convert
    count = next(c for c in SPEC["events"]["columns"] if c.key == "count")
    assert convert("1,000", count) == 1000.0 and convert("１２", count) == 12.0


def test_formula_without_a_saved_value(con, tmp_path):
    path = tmp_path / "扣分台账.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(LEDGER_HEADER.split(","))
    ws.append(GOOD_ROW.split(","))
    ws["H2"] = "=1+1"          # openpyxl saves no computed value, as a program that never recalculated
    wb.save(path)
    p = one(refused(con, path), "次数", 2)             # column H, named by its header
    assert "公式" in p.zh and "formula" in p.en and p.sheet == ws.title


def test_percent_cell_refused_for_a_count_and_read_as_shown_for_progress(con, tmp_path):
    path = tmp_path / "扣分台账.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(LEDGER_HEADER.split(","))
    ws.append(GOOD_ROW.split(","))
    ws["H2"] = 0.253
    ws["H2"].number_format = "0.0%"
    wb.save(path)
    p = one(refused(con, path), "次数", 2)
    assert "百分比" in p.zh
    progress = tmp_path / "工作进度表.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["填报组队", "报告期", "指标名称", "完成进度", "指标工作进展情况", "存在的问题", "下一步整改措施及完成时限", "填报人", "填报时间"])
    ws.append(["区委办", "一季度", "区委工作任务分解", 0.253, "进展", "无", "按序时推进", "李某", "2025-03-28"])
    ws["D2"].number_format = "0.0%"
    wb.save(progress)
    plan = importer.plan_import(con, progress, "示例区", 2025)
    assert plan.ok and plan.changed and plan.changed[0][1]["percent"] == pytest.approx(25.3)


def test_row_longer_than_its_header(con, tmp_path):
    p = one(refused(con, csv_file(tmp_path / "扣分台账.csv", [LEDGER_HEADER, GOOD_ROW + ",多出的一段，因为说明里有逗号"])), row=2)
    assert "没有列名" in p.zh and "no header" in p.en


def test_a_one_megabyte_cell(con, tmp_path):
    p = one(refused(con, csv_file(tmp_path / "扣分台账.csv", [LEDGER_HEADER, GOOD_ROW[:-2] + "x" * 1_000_000])))
    assert "过长" in p.zh and p.row == 2 and p.column == LEDGER_HEADER.split(",")[-1]   # the last column


def test_a_gbk_csv_is_read_correctly(con, tmp_path):
    path = tmp_path / "评议得分.csv"
    path.write_bytes("单位,类别,项目,得分,满分\n区委办,公众评议,,90,100\n".encode("gbk"))
    plan = importer.plan_import(con, path, "示例区", 2025)
    assert plan.ok and any("GB18030" in n for n in plan.notes)
    assert plan.changed[0][1]["score"] == 90


# ---------------------------------------------------------------- implausible values

def test_ledger_date_outside_the_year_unless_carried_over(con, tmp_path):
    late = GOOD_ROW.replace("2025-05-01", "2024-12-30")
    p = one(refused(con, csv_file(tmp_path / "扣分台账.csv", [LEDGER_HEADER, late])), "日期", 2)
    assert "2025" in p.zh and "结转" in p.zh
    (tmp_path / "c").mkdir()
    carried = csv_file(tmp_path / "c" / "扣分台账.csv", [LEDGER_HEADER + ",结转", late + ",是"])
    plan = importer.plan_import(con, carried, "示例区", 2025)
    assert plan.ok and plan.added[0]["carried_over"] is True
    future = csv_file(tmp_path / "f.csv", [LEDGER_HEADER, GOOD_ROW.replace("2025-05-01", "2026-01-02")])
    one(refused(con, future, kind="events"), "日期", 2)


def test_veto_date_outside_the_year(con, tmp_path):
    p = one(refused(con, csv_file(tmp_path / "一票否决.csv", ["单位,类别,日期,说明", "区委办,保密,2023-06-01,泄密"])), "日期", 2)
    assert "2025" in p.zh


def test_evaluation_aspects_need_full_marks_and_must_fit_the_kind(con, tmp_path):
    # 示例市直机关: 基层和群众评议 is worth 5
    no_full = csv_file(tmp_path / "评议得分.csv", ["单位,类别,项目,得分,满分", "纪委监察局,基层和群众评议,问卷调查,2.46,"])
    assert "满分" in one(refused(con, no_full, "示例市直机关", 2024), "满分", 2).zh
    past = csv_file(tmp_path / "p.csv", ["单位,类别,项目,得分,满分", "纪委监察局,基层和群众评议,问卷调查,3,3",
                                         "纪委监察局,基层和群众评议,基层领导评议,2,2", "纪委监察局,基层和群众评议,附加,1,1"])
    p = one(refused(con, past, "示例市直机关", 2024, kind="evaluations"), "满分")
    assert "超过该类别满分 5" in p.zh


def test_a_count_of_a_trillion(con, tmp_path):
    p = one(refused(con, csv_file(tmp_path / "扣分台账.csv", [LEDGER_HEADER, GOOD_ROW.replace(",1,,,,0,", ",1000000000000,,,,0,")])),
            "次数", 2)
    assert "过大" in p.zh


# ---------------------------------------------------------------- workbooks too big to open

def test_a_zip_bomb_is_refused_before_parsing(con, tmp_path):
    path = tmp_path / "扣分台账.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(LEDGER_HEADER.split(","))
    wb.save(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (80 * 1024 * 1024))
    assert path.stat().st_size < 1_000_000
    p = one(refused(con, path))
    assert "解压后超过 64 MB" in p.zh and "expands to more than" in p.en


def test_a_zip_that_lies_about_its_sizes_is_refused_without_inflating_it(con, tmp_path):
    """A part that declares 5,000 bytes but inflates to 200 MB: the declared sizes are not believed."""
    import struct
    path = tmp_path / "扣分台账.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(LEDGER_HEADER.split(","))
    wb.save(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (200 * 1024 * 1024))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/media/padding.bin")
    # patch the uncompressed size in the local header (offset 22) and in the central directory entry (offset 24)
    struct.pack_into("<I", data, info.header_offset + 22, 5000)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, at + 28)
        if bytes(data[at + 46:at + 46 + name_len]) == b"xl/media/padding.bin":
            struct.pack_into("<I", data, at + 24, 5000)
        at = data.find(b"PK\x01\x02", at + 46)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:
        assert sum(i.file_size for i in z.infolist()) < 1_000_000          # what the file claims
    p = one(refused(con, path))
    assert "解压后超过 64 MB" in p.zh


def test_a_file_over_the_size_limit(con, tmp_path):
    path = tmp_path / "扣分台账.csv"
    path.write_bytes((LEDGER_HEADER + "\n").encode() + b"x" * (21 * 1024 * 1024))
    assert "过大" in one(refused(con, path)).zh


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_no_bytes_of_any_kind_give_a_traceback(con, tmp_path, data, suffix):
    path = tmp_path / f"扣分台账{suffix}"
    path.write_bytes(data)
    try:
        plan = importer.plan_import(con, path, "示例区", 2025)
        assert plan.problems or not plan.has_changes
    except (InputError, PerfcoreError) as exc:
        assert str(exc)


# ---------------------------------------------------------------- scheme values of the wrong type

SCHEME_CASES = {
    "nan weight": ('weight = 1.0', 'weight = nan', "component[1].weight", "有限"),
    "nan total": ('total = 10', 'total = nan', "indicators.total", "有限"),
    "text in a list of numbers": ('[[grade]]', '[[rule]]\nname = "区间"\nrange = [0.1, "x"]\n[[grade]]', "rule[1].range[2]", "数字"),
    "misspelt status": ('scale = 100', 'scale = 100\ncounted_statuses = ["已审定", "已审批"]', "scheme.counted_statuses[2]", "之一"),
    "full = 0": ('weight = 1.0', 'weight = 1.0\n[[component]]\nkey = "p"\nlabel = "评议"\nsource = "evaluation"\nname = "评议"\nfull = 0',
                 "component[2].full", "大于 0"),
    "weights past the scale": ('weight = 1.0', 'weight = 60.0', "component.weight", "超过 100 分制"),
    "an evaluation without full marks": ('weight = 1.0', 'weight = 1.0\n[[component]]\nkey = "c"\nlabel = "激励"\n'
                                         'source = "evaluation"\nname = "激励"\noptional = true\nweight = 0.6',
                                         "component[2].full", "须写明满分"),
    # 10 × 10 = 100 points of indicators, and an incentive (only some units have one) of at most 20 weighted 60:
    # 60 × 20 = 1,200 on top, far past 20 % of 100 (auditor's repro: composites of 1,535 on a 1000-point scheme)
    "an optional evaluation's weight mistyped": ('weight = 1.0', 'weight = 10.0\n[[component]]\nkey = "c"\nlabel = "激励"\n'
                                                 'source = "evaluation"\nname = "激励"\noptional = true\nfull = 20\nweight = 60',
                                                 "component.weight", "超过 100 分制的 20%"),
}


@pytest.mark.parametrize("case", list(SCHEME_CASES))
def test_scheme_values_are_checked(case):
    old, new, where, zh = SCHEME_CASES[case]
    text = scheme(total=10, extra="weight = 1.0")
    assert old in text
    with pytest.raises(InputError) as exc:
        parse(text.replace(old, new, 1), "考评方案.toml")
    p = one(exc.value.problems, where)
    assert zh in p.zh and p.en


def test_scheme_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "考评方案.toml"
    path.write_bytes(scheme(total=10).encode("gbk") + "# 注释".encode("gbk"))
    with pytest.raises(InputError) as exc:
        load_scheme_file(path)
    assert "UTF-8" in exc.value.problems[0].zh


# ---------------------------------------------------------------- folders

@pytest.fixture
def org_folder(tmp_path):
    org = Org(tmp_path)
    org.year(2025, scheme(total=10), [["", "", "业绩", 10, "扣分制"]], events=[event("E1", "甲", "业绩", "x")])
    return org


def _load_problems(org, db):
    from tests.builders import write_csv
    write_csv(org.folder / "单位名单.csv", ["单位", "系列"], org.units)
    con = perfcore.connect(db)
    before = digest(con)
    with pytest.raises(InputError) as exc:
        load_source(con, org.root)
    assert digest(con) == before
    con.close()
    return exc.value.problems


def test_a_folder_that_is_not_a_year(org_folder, tmp_path):
    (org_folder.folder / "2025").rename(org_folder.folder / "2025年")
    p = one(_load_problems(org_folder, tmp_path / "x.duckdb"))
    assert "2025年" in p.file and "年度文件夹" in p.zh


def test_two_copies_of_one_table_and_a_misspelt_name(org_folder, tmp_path):
    ledger = org_folder.folder / "2025" / "扣分台账.csv"
    shutil.copy(ledger, org_folder.folder / "2025" / "扣分台帐.csv")       # 帐 for 账
    openpyxl.Workbook().save(org_folder.folder / "2025" / "扣分台账.xlsx")
    problems = _load_problems(org_folder, tmp_path / "x.duckdb")
    assert any("两个文件" in p.zh for p in problems)
    assert any("扣分台帐.csv" in p.file and "不认识" in p.zh for p in problems)


def test_one_fault_in_the_unit_list_is_reported_once(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "data" / "示例区", src / "示例区")
    units = (src / "示例区" / "单位名单.csv").read_text(encoding="utf-8-sig").splitlines()
    units[1] = units[1].replace(",2020,", ",二〇二〇,")                    # one bad cell
    (src / "示例区" / "单位名单.csv").write_text("\n".join(units) + "\n", encoding="utf-8-sig")
    with pytest.raises(InputError) as exc:
        from perfcore.ingest.sources import read_source
        read_source(src)
    assert len(exc.value.problems) == 1 and exc.value.problems[0].column == "起始年度"


def test_a_unit_renamed_in_the_list_is_one_problem_not_one_per_record(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "data" / "示例区", src / "示例区")
    path = src / "示例区" / "单位名单.csv"
    path.write_text(path.read_text(encoding="utf-8-sig").replace("区委办,", "区委办公室,", 1), encoding="utf-8-sig")
    with pytest.raises(InputError) as exc:
        from perfcore.ingest.sources import read_source
        read_source(src)
    about = [p for p in exc.value.problems if p.value == "区委办"]
    ledger_rows = [p for p in about if p.file.endswith("2025/扣分台账.csv")]
    assert len(ledger_rows) == 1 and "共 " in ledger_rows[0].zh and "rows:" in ledger_rows[0].en
    assert len(exc.value.problems) < 40                 # one per table and year at most, not one per record


def test_importing_a_unit_list_applies_the_init_checks(con, tmp_path):
    from perfcore.present import export
    frame = export.table_frame(con, "units", "示例区", None)
    frame.loc[frame["单位"] == "区委办", "终止年度"] = 2021                 # but it has records in 2022–2026
    frame.loc[frame["单位"] == "区委组织部", "起始年度"] = 2025
    frame.loc[frame["单位"] == "区委组织部", "终止年度"] = 2024            # ends before it starts
    path = tmp_path / "单位名单.csv"
    path.write_bytes(export.table_csv(frame))
    problems = refused(con, path, year=None)
    assert any(p.column == "终止年度" and p.value == "区委办" and "2022" in p.zh for p in problems)
    assert any(p.column == "终止年度" and "早于" in p.zh for p in problems)


# ---------------------------------------------------------------- what leaves the system

def test_text_that_looks_like_a_formula_stays_text(con, tmp_path):
    from perfcore.ingest import ledger
    from perfcore.present import export
    ledger.add_event(con, "示例区", 2025, {"date": "2025-05-02", "unit": "区委办", "target": "察访核验", "rule": "工作落实不力",
                                          "description": "=HYPERLINK(\"http://x\",\"点我\")", "evidence": "+1", "source_level": "区"},
                     who="测试")
    book = openpyxl.load_workbook(io.BytesIO(export.table_xlsx(con, "events", "示例区", 2025)))
    ws = book.active
    assert ws["A1"].value == "示例区 2025年度 扣分台账"                 # the title, then the header
    header = [c.value for c in ws[2]]
    cells = [row for row in ws.iter_rows(min_row=3) if (row[header.index("说明")].value or "").startswith("=HYPERLINK")]
    assert cells and cells[0][header.index("说明")].data_type == "s"
    text = export.table_csv(export.table_frame(con, "events", "示例区", 2025)).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text
    again = tmp_path / "扣分台账.csv"
    again.write_bytes(text.encode("utf-8-sig"))
    plan = importer.plan_import(con, again, "示例区", 2025)
    assert plan.ok and not plan.has_changes        # the apostrophe comes off on the way back in


def test_a_view_exported_from_a_screen_keeps_text_as_text():
    import pandas as pd
    from perfcore.present import export
    frame = pd.DataFrame({"单位": ["=HYPERLINK(\"http://x\",\"点我\")", "区委办"], "等次": [["优秀"], ["良好"]],
                          "综合得分": [912.345, float("nan")]})
    ws = openpyxl.load_workbook(io.BytesIO(export.view_xlsx(frame, "示例区2025年度部门排名"))).active
    assert ws["A1"].value == "示例区2025年度部门排名"
    assert [c.value for c in ws[2]] == ["单位", "等次", "综合得分"]
    assert ws["A3"].value.startswith("=HYPERLINK") and ws["A3"].data_type == "s"     # text, not a formula
    assert (ws["B3"].value, ws["B4"].value) == ("优秀", "良好")                       # a label cell as its text
    assert ws["C3"].value == 912.345 and ws["C4"].value is None                       # the number, and empty not "nan"
