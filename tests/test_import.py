"""Importing the offices' workbooks: shapes, diffs, idempotence, round trips, and malformed files."""
from __future__ import annotations


import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfcore.present import export
from perfcore.ingest import importer
from perfcore.ingest import ledger
from perfcore.store import audit
from perfcore.errors import InputError, PerfcoreError
from tests.conftest import ROOT

TABLES_TO_SNAPSHOT = ["units", "indicators", "events", "evaluations", "vetoes", "indicator_scores", "assignments",
                      "progress", "outside_ranks", "event_versions", "audit_log", "publications"]


def snapshot(con):
    return {t: sorted(map(str, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES_TO_SNAPSHOT}


def workbook(path, rows, merges=(), title="台账"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


@pytest.mark.parametrize("kind", ["events", "indicators", "evaluations", "indicator_scores", "progress", "vetoes", "units",
                                  "assignments"])
def test_export_then_import_loses_nothing(con, tmp_path, kind):
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(export.table_xlsx(con, kind, "示例区", 2025))
    plan = importer.plan_import(con, path, "示例区", 2025, kind=kind)
    assert plan.ok and not plan.has_changes, plan.summary()


def test_reimporting_the_same_file_changes_nothing(con):
    before = snapshot(con)
    plan = importer.plan_import(con, ROOT / "data/示例区/2025/扣分台账.csv", "示例区", 2025)
    assert plan.kind == "events" and not plan.has_changes
    assert importer.apply_import(con, plan, who="王某") == 0
    assert snapshot(con) == before


def test_a_corrected_ledger_shows_its_changes_then_applies_them(con, tmp_path):
    frame = export.table_frame(con, "events", "示例市妇联", 2024)
    frame.loc[0, "次数"] = 5                                   # changed
    removed = frame.loc[1, "编号"]
    frame = frame.drop(index=1)                               # left out of the file
    new = frame.iloc[[0]].copy()
    new["编号"] = "F2024-NEW"                                  # added
    frame = frame._append(new, ignore_index=True) if hasattr(frame, "_append") else frame
    path = tmp_path / "扣分台账.csv"
    path.write_bytes(export.table_csv(frame))
    # by default a file adds and corrects: the record it leaves out is left alone
    partial = importer.plan_import(con, path, "示例市妇联", 2024)
    assert (len(partial.added), len(partial.changed), len(partial.removed)) == (1, 1, 0)
    # said to be the complete ledger, the left-out record is planned for revocation, which needs its own confirmation
    plan = importer.plan_import(con, path, "示例市妇联", 2024, complete=True)
    assert (len(plan.added), len(plan.changed), len(plan.removed)) == (1, 1, 1)
    assert plan.removed[0]["event_id"] == removed
    diff = plan.diff_frame()
    assert "count: 1 → 5" in diff[diff["change"] == "changed"]["detail"].iloc[0] or \
           "count: 2 → 5" in diff[diff["change"] == "changed"]["detail"].iloc[0]
    before = snapshot(con)
    with pytest.raises(PerfcoreError, match="另行确认"):
        importer.apply_import(con, plan, who="李某", via="test")
    assert snapshot(con) == before
    assert importer.apply_import(con, plan, who="李某", via="test", revoke_missing=True) == 3
    gone = ledger.event(con, "示例市妇联", 2024, removed)
    assert gone["status"] == "已撤销" and "完整台账" in gone["revoked_reason"]
    log = audit.audit_log(con, org="示例市妇联")
    log = log[(log["action"] != "init") & (log["via"] != "init")]   # not the sample's demo set-up
    assert sorted(log["action"]) == ["import-add", "import-edit", "import-revoke"] and set(log["who"]) == {"李某"}
    assert len(ledger.versions(con, "示例市妇联", 2024, removed)) == 2
    again = importer.plan_import(con, path, "示例市妇联", 2024, complete=True)
    assert not again.has_changes


def test_s4_indicator_workbook_with_title_merged_categories_and_subtotals(con, tmp_path):
    frame = export.table_frame(con, "indicators", "示例区", 2025)
    rows = [["2025年度区绩效评估指标任务分解表"], ["项目", "一级指标", "二级指标名称", "分值", "数据采集责任单位", "序号", "计分方式"]]
    merges = ["A1:G1"]
    start = 3
    for cat, part in frame.groupby("项目", sort=False):
        first_row = start + len(rows) - 2
        for i, r in enumerate(part.itertuples(index=False)):
            rows.append([cat if i == 0 else None, r[1] if r[1] else None, r[2], r[3], r[5], len(rows) - 1, r[4]])
        if len(part) > 1:
            merges.append(f"A{first_row}:A{first_row + len(part) - 1}")
        rows.append([None, None, "小计", float(part["分值"].sum()), None, None])
    rows.append(["备注：各单位请于9月30日前报送。"])
    path = workbook(tmp_path / "指标任务分解表.xlsx", rows, merges)
    plan = importer.plan_import(con, path, "示例区", 2025)
    assert plan.ok, [p.message() for p in plan.problems]
    # 一级指标 cells were written only once per group here; the table's own points check catches that
    assert plan.kind == "indicators"


def test_s0_rules_table_with_two_level_indicator(con, tmp_path):
    rows = [["市妇联内部绩效管理考评细则和责任分工"],
            ["序号", "考评指标", None, "指标分值", "考评办法（评分标准）", "数据采集单位", "备注"]]
    table = export.table_frame(con, "indicators", "示例市妇联", 2024)
    merges = ["A1:G1"]
    for i, r in enumerate(table.itertuples(index=False), start=1):
        first = r[1].split("（")[0] if r[1] else None
        if first:
            rows.append([i, first, r[2], r[3], "按细则扣分", r[5], None])
        else:
            rows.append([i, r[2], r[2], r[3], "按细则扣分", r[5], None])
            merges.append(f"B{len(rows)}:C{len(rows)}")
    rows.append([12, "正向激励", "正向激励", 10, "同一事项以最高分统计", "机关效能办", "同一事项以最高分统计"])
    merges.append(f"B{len(rows)}:C{len(rows)}")
    path = workbook(tmp_path / "考评细则.xlsx", rows, merges)
    plan = importer.plan_import(con, path, "示例市妇联", 2024)
    assert plan.ok, [p.message() for p in plan.problems]
    assert {r["indicator"] for r in plan.rows} == set(table["二级指标名称"])   # 正向激励 is the pool, not an indicator
    changed = {after["indicator"] for _, after in plan.changed}
    assert changed and all(after["method"] == "按细则扣分" for _, after in plan.changed)


def test_s4_progress_report_with_its_header_line(con, tmp_path):
    rows = [["2026年度区绩效评估指标工作进度表"], ["填报组队：区委办", None, "填报人：王某", None, "填报时间：2026年9月28日"],
            ["序号", "指标名称", "指标工作进展情况", "存在的问题", "下一步整改措施及完成时限", "完成进度"],
            [1, "招商引资工作", "已签约项目12个", "无", "按序时推进", 80],
            [2, "禁毒工作", "开展宣传3次", "经费不足", "10月底前完成", 60],
            ["备注：请各组队分别于9月30日、12月31日前报送。"]]
    path = workbook(tmp_path / "工作进度表.xlsx", rows, ["A1:F1", "A6:F6"])
    plan = importer.plan_import(con, path, "示例区", 2026)
    assert plan.ok, [p.message() for p in plan.problems]
    assert {(r["unit"], r["period"], r["reporter"]) for r in plan.rows} == {("区委办", "前三季度", "王某")}
    assert len(plan.changed) == 2 and "period taken from the filing date" in plan.notes[0]


@pytest.mark.parametrize("rows, merges, expect", [
    ([["编号", "日期", "单位", "指标", "次数"], ["X1", "2025-01-02", "区委办", "察访核验", 1]], [], "缺少必需的列「情形」"),
    ([["编号", "日期", "单位", "指标", "情形", "次数"], ["X1", "2025-01-02", "区委办", "察访核验", "工作落实不力", "两次"]], [], "应为数字"),
    ([["编号", "日期", "单位", "指标", "情形"], ["X1", "2025-01-02", "不存在局", "察访核验", "工作落实不力"]], [], "单位不在单位名单中"),
    ([["编号", "日期", "单位", "指标", "情形"], ["X1", "2025-01-02", "区委办", "察访核验", "工作落实不力"],
      ["X1", "2025-01-03", "区委办", "察访核验", "工作落实不力"]], [], "重复（首次出现在第2行）"),
    ([["编号", "日期", "单位", "指标", "情形"], ["X1", "2025-01-02", "区委办", "察访核验", "工作落实不力"],
      ["X2", "2025-01-02", "区委办", "察访核验", "工作落实不力"]], ["C2:C3"], "合并单元格 C2:C3 位于数据区"),
    ([["编号", "日期", "单位", "指标", "情形"], ["X1", "2025-01-02", "区委办", "察访核验", "工作落实不力" * 500]], [], "过长"),
])
def test_malformed_ledgers_are_located_and_change_nothing(con, tmp_path, rows, merges, expect):
    before = snapshot(con)
    path = workbook(tmp_path / "扣分台账.xlsx", rows, merges)
    plan = importer.plan_import(con, path, "示例区", 2025)
    assert not plan.ok and any(expect in p.zh for p in plan.problems), [p.zh for p in plan.problems]
    assert all(p.file == "扣分台账.xlsx" and p.en for p in plan.problems)
    with pytest.raises(InputError):
        importer.apply_import(con, plan, who="王某")
    assert snapshot(con) == before


def test_empty_and_not_a_workbook_and_unknown_table(con, tmp_path):
    before = snapshot(con)
    empty = workbook(tmp_path / "扣分台账.xlsx", [])
    assert "文件为空" in importer.plan_import(con, empty, "示例区", 2025).problems[0].zh
    fake = tmp_path / "扣分台账.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    assert "Excel" in importer.plan_import(con, fake, "示例区", 2025).problems[0].zh
    other = workbook(tmp_path / "杂项.xlsx", [["甲", "乙"], [1, 2]], title="Sheet1")
    with pytest.raises(InputError) as exc:
        importer.plan_import(con, other, "示例区", 2025)
    assert "无法识别" in exc.value.problems[0].zh
    with pytest.raises(PerfcoreError):
        importer.plan_import(con, empty, "不存在的组织", 2025)
    assert snapshot(con) == before


def test_a_workbook_whose_first_sheet_is_something_else(con, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    wb.active.append(["2025年扣分台账"])
    wb.save(tmp_path / "扣分台账.xlsx")
    plan = importer.plan_import(con, tmp_path / "扣分台账.xlsx", "示例区", 2025)
    assert not plan.ok and all(p.sheet == "封面" for p in plan.problems)
    assert any("缺少必需的列「情形」" in p.zh for p in plan.problems)


CELL = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12), st.integers(-5, 100), st.floats(allow_nan=False, width=32),
                 st.sampled_from(["区委办", "察访核验", "工作落实不力", "2025-03-01", "是", "已审定"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(["编号", "日期", "单位", "指标", "情形", "次数", "标准分", "状态", "乱列", ""]),
                       min_size=0, max_size=8),
       body=st.lists(st.lists(CELL, max_size=9), max_size=6))
def test_random_tables_never_crash_the_validator(con, tmp_path_factory, header, body):
    path = workbook(tmp_path_factory.mktemp("rand") / "扣分台账.xlsx", [header] + body)
    try:
        plan = importer.plan_import(con, path, "示例区", 2025)
    except (InputError, PerfcoreError):
        return
    assert plan.ok or all(p.zh and p.en for p in plan.problems)


def test_outside_rankings_import_score_and_round_trip(tmp_path):
    # R21b through an import: 第1名加5分…最后1名扣5分 on a 10-point indicator that may overflow
    import perfcore
    from tests.builders import Org, scheme
    extra = '[[rank_rule]]\nranking = "全省排名"\ntarget = "排名"\ntop = [5, 4, 3]\nbottom = [-5]\n'
    con = Org(tmp_path).year(2025, scheme(total=10, extra=extra), [["", "", "排名", 10, "扣分制", "是"]]).load()
    path = workbook(tmp_path / "外部排名.xlsx", [["单位", "排名", "名次", "参评数", "证据文号"],
                                                ["甲", "全省排名", 1, 9, "省考〔2025〕1号"], ["乙", "全省排名", 9, 9, "省考〔2025〕1号"]])
    plan = importer.plan_import(con, path, "测试单位", 2025)
    assert plan.kind == "outside_ranks" and plan.ok and len(plan.added) == 2
    importer.apply_import(con, plan, who="王某")
    targets = perfcore.score(con, "测试单位", 2025).targets.set_index("unit")
    assert targets.loc["甲", "score"] == 15 and targets.loc["乙", "score"] == 5 and targets.loc["丙", "score"] == 10
    again = tmp_path / "again.xlsx"
    again.write_bytes(export.table_xlsx(con, "outside_ranks", "测试单位", 2025))
    assert not importer.plan_import(con, again, "测试单位", 2025, kind="outside_ranks").has_changes


def test_a_unit_list_that_leaves_a_unit_without_a_base_award_is_refused(tmp_path):
    # R28: the scheme pays 8,000 to 一系列 and nothing else; moving 丙 into a new series would leave
    # its amount silently empty, so the import names the scheme key and the unit
    from tests.builders import Org, scheme
    grades = """
[[grade]]
name = "合格"
min = 60
reward = 1.0
[[grade]]
name = "不合格"
reward = 0.5
"""
    org = Org(tmp_path)
    org.units = [["甲", "一系列"], ["乙", "一系列"], ["丙", "一系列"]]
    reward = '[reward]\n[reward.base_by_series]\n"一系列" = 8000\n'
    con = org.year(2025, scheme(total=10, grades=grades) + reward, [["", "", "业务", 10, "扣分制"]]).load()
    path = workbook(tmp_path / "单位名单.xlsx", [["单位", "系列"], ["甲", "一系列"], ["乙", "一系列"], ["丙", "二系列"]])
    plan = importer.plan_import(con, path, "测试单位")
    assert not plan.ok
    assert {(p.column, p.value) for p in plan.problems} == {("reward.base", "丙")}
