"""Bad input: a located message in Chinese and English, and nothing written."""
from __future__ import annotations

import shutil

import pytest

import perfcore
from perfcore.errors import InputError
from perfcore.ingest.sources import load_source
from tests.builders import EVENT_COLS, Org, event, scheme, write_csv

RULES = """
[[rule]]
name = "逾期"
amount = 0.5
[[rule]]
name = "未完成"
range = [0.1, 0.5]
"""


def _good(tmp_path):
    return Org(tmp_path).year(2025, scheme(total=10, extra=RULES), [["", "", "业务", 10, "扣分制"]],
                              events=[event("E1", "甲", "业务", "逾期")])


def _snapshot(con):
    tables = ["units", "schemes", "indicators", "events", "evaluations", "vetoes", "indicator_scores", "assignments", "progress",
              "outside_ranks"]
    return {t: sorted(map(str, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}


def _problems(org, con):
    with pytest.raises(InputError) as exc:
        load_source(con, org.root)
    return exc.value


@pytest.fixture
def loaded(tmp_path):
    org = _good(tmp_path)
    con = org.load()
    return org, con, _snapshot(con)


def _reload_with_events(org, rows):
    write_csv(org.folder / "2025" / "扣分台账.csv", EVENT_COLS, rows)


@pytest.mark.parametrize("row, column, zh", [
    (event("E1", "不存在的单位", "业务", "逾期"), "单位", "单位不在单位名单中"),
    (event("E1", "甲", "不存在的指标", "逾期"), "指标", "既不是本年度指标也不是事件池"),
    (event("E1", "甲", "业务", "不存在的情形"), "情形", "考评方案中没有该扣分/加分情形"),
    (event("E1", "甲", "业务", "逾期", count=-2), "次数", "次数应大于0"),
    (event("E1", "甲", "业务", "逾期", count="三"), "次数", "应为数字"),
    (event("E1", "甲", "业务", "逾期", date="2025-13-45"), "日期", "应为日期"),
    (event("E1", "甲", "业务", "未完成", amount=0.8), "标准分", "应在 0.1–0.5 之间"),
    (event("E1", "甲", "业务", "未完成", amount=0.3, text=""), "说明", "按区间酌情扣分须写明理由"),
    (event("E1", "甲", "业务", "逾期", amount=0.7), "标准分", "与情形规定的分值 0.5 不一致"),
    (event("E1", "甲", "业务", "逾期", status="待定"), "状态", "应为"),
])
def test_bad_event_is_located_and_nothing_is_written(loaded, row, column, zh):
    org, con, before = loaded
    _reload_with_events(org, [event("E0", "乙", "业务", "逾期"), row])
    err = _problems(org, con)
    p = err.problems[0]
    assert p.file.endswith("扣分台账.csv") and p.row == 3 and p.column == column
    assert zh in p.zh and p.en
    assert "第3行" in str(err) and "row 3" in str(err)
    assert _snapshot(con) == before


def test_duplicate_event_id(loaded):
    org, con, before = loaded
    _reload_with_events(org, [event("E1", "甲", "业务", "逾期"), event("E1", "乙", "业务", "逾期")])
    p = _problems(org, con).problems[0]
    assert (p.row, p.column) == (3, "编号") and "首次出现在第2行" in p.zh
    assert _snapshot(con) == before


def test_every_problem_is_reported_at_once(loaded):
    org, con, before = loaded
    _reload_with_events(org, [event("E1", "丁", "业务", "逾期"), event("E2", "甲", "业务", "逾期", count="x"),
                              event("E3", "甲", "无", "逾期")])
    assert [(p.row, p.column) for p in _problems(org, con).problems] == [(2, "单位"), (3, "次数"), (4, "指标")]
    assert _snapshot(con) == before


def test_points_that_do_not_add_up(loaded):
    org, con, before = loaded
    write_csv(org.folder / "2025" / "指标任务分解表.csv", ["项目", "一级指标", "二级指标名称", "分值"],
              [["共同性指标（10分）", "科学（6分）", "业务", 4], ["共同性指标（10分）", "科学（6分）", "党建", 5]])
    problems = _problems(org, con).problems
    texts = [(p.row, p.column, p.zh) for p in problems]
    assert (2, "一级指标", "下属二级指标分值合计为 9，与标注的 6 分不符") in texts
    assert (2, "项目", "下属指标分值合计为 9，与标注的 10 分不符") in texts
    assert any("考评方案规定为 10 分" in p.zh for p in problems)
    assert _snapshot(con) == before


def test_missing_column_and_unknown_column(loaded):
    org, con, before = loaded
    write_csv(org.folder / "2025" / "扣分台账.csv", ["编号", "日期", "单位", "指标", "怪列"], [["E1", "2025-01-01", "甲", "业务", "x"]])
    problems = _problems(org, con).problems
    cols = {p.column for p in problems}
    assert {"怪列", "情形"} <= cols and all(p.row == 1 for p in problems)
    assert _snapshot(con) == before


def test_english_headers_are_accepted(tmp_path):
    org = _good(tmp_path)
    write_csv(org.folder / "2025" / "扣分台账.csv", ["id", "date", "unit", "indicator", "rule", "count"],
              [["E1", "2025-01-01", "甲", "业务", "逾期", 2]])
    con = org.load()
    assert con.execute("SELECT count FROM events").fetchone()[0] == 2


def test_empty_file_and_not_utf8(loaded):
    org, con, before = loaded
    (org.folder / "2025" / "扣分台账.csv").write_text("", encoding="utf-8")
    assert "文件为空" in _problems(org, con).problems[0].zh
    # Excel's "CSV (逗号分隔)" on a Chinese system is GBK: read as such (here: the header lacks 单位)
    (org.folder / "2025" / "扣分台账.csv").write_bytes("编号,日期\n".encode("gbk"))
    assert "缺少必需的列「单位」" in _problems(org, con).problems[0].zh
    # bytes that are neither UTF-8 nor GB18030 are refused, with the advice to save as CSV UTF-8
    (org.folder / "2025" / "扣分台账.csv").write_bytes(b"\xff\xfe\x80,\xff\n")
    assert "UTF-8" in _problems(org, con).problems[0].zh
    assert _snapshot(con) == before


def test_not_a_workbook(loaded):
    org, con, before = loaded
    (org.folder / "2025" / "扣分台账.csv").unlink()
    (org.folder / "2025" / "扣分台账.xlsx").write_bytes(b"this is not a workbook")
    assert "Excel" in _problems(org, con).problems[0].zh
    assert _snapshot(con) == before


def test_workbook_is_read_like_csv(tmp_path):
    import openpyxl
    org = _good(tmp_path)
    (org.folder / "2025" / "扣分台账.csv").unlink()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(EVENT_COLS)
    ws.append(event("E1", "甲", "业务", "逾期", count=3))
    ws.append(event("E2", "甲", "业务", "逾期", count="三次"))
    wb.save(org.folder / "2025" / "扣分台账.xlsx")
    con = perfcore.connect(tmp_path / "x.duckdb")
    write_csv(org.folder / "单位名单.csv", ["单位", "系列"], org.units)
    with pytest.raises(InputError) as exc:
        load_source(con, org.root)
    p = exc.value.problems[0]
    assert (p.sheet, p.row, p.column) == ("台账", 3, "次数") and "工作表「台账」" in str(exc.value)


def test_unknown_evaluation_kind_and_score_out_of_range(loaded):
    org, con, before = loaded
    write_csv(org.folder / "2025" / "评议得分.csv", ["单位", "类别", "项目", "得分", "满分"], [["甲", "公众评议", "", 90, 100]])
    assert "没有该评议类别" in _problems(org, con).problems[0].zh
    write_csv(org.folder / "2025" / "指标评分.csv", ["单位", "指标", "得分"], [["甲", "业务", 12]])
    (org.folder / "2025" / "评议得分.csv").unlink()
    texts = [p.zh for p in _problems(org, con).problems]
    assert "应在 0–10 之间" in texts and "该指标不是直接评分指标" in texts
    assert _snapshot(con) == before


def test_a_bad_second_organisation_blocks_the_whole_load(loaded, tmp_path):
    org, con, before = loaded
    other = org.root / "另一个组织"
    shutil.copytree(org.folder, other)
    (other / "2025" / "考评方案.toml").write_text("[scheme\n", encoding="utf-8")
    errors = _problems(org, con).problems
    assert errors[0].file.startswith("另一个组织") and "TOML" in errors[0].zh
    assert _snapshot(con) == before


def test_unit_not_evaluated_that_year(loaded):
    org, con, before = loaded
    org.units = [["甲", "一系列", "", "", "", "", 2026], ["乙", "一系列"], ["丙", "二系列"]]
    write_csv(org.folder / "单位名单.csv", ["单位", "系列", "层级", "上级单位", "主要领导", "分管领导", "起始年度"], org.units)
    assert "不参加考评" in _problems(org, con).problems[0].zh
    assert _snapshot(con) == before


def test_huge_cell(loaded):
    org, con, before = loaded
    _reload_with_events(org, [event("E1", "甲", "业务", "逾期", text="很" * 5000)])
    assert "过长" in _problems(org, con).problems[0].zh
    assert _snapshot(con) == before


def test_a_row_with_a_bad_cell_is_still_checked_on_its_other_cells(loaded):
    org, con, before = loaded
    _reload_with_events(org, [event("E1", "丁", "业务", "逾期", count="三")])
    found = {(p.row, p.column) for p in _problems(org, con).problems}
    assert found == {(2, "单位"), (2, "次数")}
    assert _snapshot(con) == before
