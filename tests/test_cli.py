"""The command line as a newcomer uses it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample_db_path(tmp_path_factory):
    """The CLI's own database, built by `init` itself (another process may hold the shared one)."""
    db = tmp_path_factory.mktemp("cli") / "cli.duckdb"
    out = run("init", "--db", str(db)).stdout
    assert "示例区" in out and "示例市妇联" in out and "示例市直机关" in out
    return db


def run(*args, db=None, check=True):
    env = dict(os.environ)
    if db:
        env["PERFCORE_DB"] = str(db)
    proc = subprocess.run([sys.executable, "-m", "perfcore", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_score_json_has_the_documented_keys(sample_db_path):
    out = json.loads(run("score", "--org", "示例区", "--year", "2025", "--format", "json", db=sample_db_path).stdout)
    assert len(out) == 41   # 10 + 10 + 12 + 8 units, and 区数据管理局 since 2023
    keys = {"unit", "series", "composite", "rank", "series_rank", "grade", "veto", "prev_rank", "rank_change",
            "indicator", "city_incentive", "public", "incentive", "inspection"}
    assert keys <= set(out[0])
    assert [r["rank"] for r in out] == sorted(r["rank"] for r in out)
    new = next(r for r in out if r["unit"] == "区数据管理局")
    assert new["prev_rank"] is not None   # joined in 2023, so it has a 2024 rank


def test_score_series_and_csv(sample_db_path):
    out = run("score", "--org", "示例区", "--year", "2025", "--series", "镇街系列", "--format", "csv", db=sample_db_path).stdout
    lines = out.strip().splitlines()
    assert lines[0].startswith("unit,series") and len(lines) == 9


def test_explain_reconciles(sample_db_path):
    out = json.loads(run("explain", "--org", "示例市妇联", "--year", "2024", "--unit", "权益部", "--format", "json",
                         db=sample_db_path).stdout)
    assert {r["target"] for r in out} >= {"保密工作", "正向激励"}
    leak = [r for r in out if r["target"] == "保密工作"]
    assert sum(r["contribution"] for r in leak) == pytest.approx(0.0)


def test_explain_table_names_the_rule(sample_db_path):
    out = run("explain", "--org", "示例市妇联", "--year", "2024", "--unit", "权益部", "--indicator", "保密工作",
              db=sample_db_path).stdout
    assert "发生失泄密事件" in out and "True" in out


@pytest.mark.parametrize("args, zh", [
    (["score", "--org", "不存在", "--year", "2025"], "没有组织"),
    (["score", "--org", "示例区", "--year", "1999"], "没有 1999 年度"),
    (["explain", "--org", "示例区", "--year", "2025", "--unit", "无此单位"], "没有被考评单位"),
    (["explain", "--org", "示例区", "--year", "2025", "--unit", "区委办", "--indicator", "无此指标"], "没有指标或事件池"),
    (["score", "--org", "示例区", "--year", "2025", "--series", "无此系列"], "没有系列"),
])
def test_bad_calls_exit_non_zero_with_a_message(sample_db_path, args, zh):
    proc = run(*args, db=sample_db_path, check=False)
    assert proc.returncode == 2 and zh in proc.stderr and " / " in proc.stderr


def test_score_without_a_database(tmp_path):
    proc = run("score", "--org", "示例区", "--year", "2025", db=tmp_path / "none.duckdb", check=False)
    assert proc.returncode == 2 and "init" in proc.stderr


def test_usage_error_exits_non_zero():
    assert run("score", check=False).returncode != 0


def test_init_from_a_bad_folder_writes_nothing(tmp_path):
    bad = tmp_path / "src" / "机构"
    (bad / "2025").mkdir(parents=True)
    (bad / "单位名单.csv").write_text("单位,系列\n甲,一\n", encoding="utf-8")
    (bad / "2025" / "考评方案.toml").write_text("[scheme]\nyear = 2025\n", encoding="utf-8")
    db = tmp_path / "x.duckdb"
    proc = run("init", "--source", str(tmp_path / "src"), "--db", str(db), check=False)
    assert proc.returncode == 2 and "考评方案.toml" in proc.stderr
    import perfcore
    assert perfcore.orgs(perfcore.connect(db)) == []


def test_a_database_in_use_gives_a_clear_message(tmp_path):
    import perfcore
    db = tmp_path / "busy.duckdb"
    holder = perfcore.connect(db)     # like a running dashboard
    try:
        proc = run("score", "--org", "示例区", "--year", "2025", db=db, check=False)
        assert proc.returncode == 2 and "正被另一个程序" in proc.stderr and "in use by another process" in proc.stderr
    finally:
        holder.close()


def test_cli_import_needs_confirmation_and_is_audited(tmp_path):
    import perfcore
    db = tmp_path / "imp.duckdb"
    run("init", "--db", str(db))
    ledger_csv = ROOT / "data/示例市妇联/2024/扣分台账.csv"
    lines = ledger_csv.read_text(encoding="utf-8-sig").splitlines()
    lines.append("F2024-900,2024-12-01,宣传部,值班,值班脱岗漏岗,本级,机关效能办,2,,,,0,,,,,,示妇效〔2024〕99号,已审定,CLI导入测试")
    corrected = tmp_path / "扣分台账.csv"
    corrected.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    args = ("import", str(corrected), "--org", "示例市妇联", "--year", "2024", "--who", "命令行测试")
    asked = run(*args, db=db)
    assert "新增 1 行" in asked.stdout and "未写入" in asked.stdout
    done = run(*args, "--yes", db=db)
    assert "已导入，1 处更改" in done.stdout
    again = run(*args, "--yes", db=db)
    assert "无需更改" in again.stdout
    con = perfcore.connect(db)
    log = con.execute("SELECT action, who, via, entity_id FROM audit_log WHERE action <> 'init' AND via <> 'init'").fetchall()   # not the sample's demo set-up
    assert log == [("import-add", "命令行测试", "cli", "F2024-900")]
    con.close()


def test_cli_template_and_export(tmp_path, sample_db_path):
    out = tmp_path / "t.xlsx"
    run("template", "evaluations", "--out", str(out))
    import openpyxl
    assert [c.value for c in openpyxl.load_workbook(out).active[1]][:4] == ["单位", "类别", "项目", "得分"]
    # for an organisation and year: its units as a drop-down list, fed from the hidden sheet
    mine = tmp_path / "扣分台账-示例区2025.xlsx"
    run("template", "events", "--org", "示例区", "--year", "2025", "--out", str(mine), db=sample_db_path)
    book = openpyxl.load_workbook(mine)
    units = next(dv for dv in book.active.data_validations.dataValidation if str(dv.sqref).startswith("C2"))
    assert units.type == "list" and units.formula1 == "'下拉列表'!$A$2:$A$42"          # 41 units below the list's name
    assert book["下拉列表"]["A2"].value == "城东街道"                                  # chéng dōng first in pinyin order
    missing = run("template", "events", "--org", "示例区", db=sample_db_path, check=False)
    assert missing.returncode == 2 and "--year" in missing.stderr
    unknown = run("template", "events", "--org", "不存在的区", "--year", "2025", db=sample_db_path, check=False)
    assert unknown.returncode == 2 and "没有组织" in unknown.stderr
    pdf = tmp_path / "n.pdf"
    run("export", "notice", "--org", "示例市直机关", "--year", "2025", "--format", "pdf", "--out", str(pdf), db=sample_db_path)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    proc = run("export", "ledger", "--org", "示例区", "--year", "2025", db=sample_db_path, check=False)
    assert proc.returncode == 2 and "--unit" in proc.stderr


def test_whatif_on_a_hand_worked_organisation(tmp_path):
    from tests.test_whatif import _org
    con = _org(tmp_path)      # official: 甲 80, 乙 80, 丙 80 − 5 = 75
    db = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    con.close()
    # public weighted 0.5 (甲 50, 乙 90, 丙 70): 甲 80 + 25 = 105, 乙 80 + 45 = 125, 丙 75 + 35 = 110
    out = json.loads(run("whatif", "--org", "测试单位", "--year", "2025", "--weight", "public=0.5", "--format", "json",
                         db=db).stdout)
    assert {r["unit"]: r["composite"] for r in out} == {"甲": 105.0, "乙": 125.0, "丙": 110.0}
    assert {r["unit"]: r["rank_delta"] for r in out} == {"乙": 0, "丙": 1, "甲": -2}
    # 工作落实不力 at 3 instead of 5, and 丙's record switched off: back to 80
    out = json.loads(run("whatif", "--org", "测试单位", "--year", "2025", "--amount", "工作落实不力=3", "--format", "json",
                         db=db).stdout)
    assert {r["unit"]: r["composite"] for r in out}["丙"] == 77.0
    out = json.loads(run("whatif", "--org", "测试单位", "--year", "2025", "--off", "V1", "--format", "json", db=db).stdout)
    assert {r["unit"]: r["composite"] for r in out}["丙"] == 80.0
    bad = run("whatif", "--org", "测试单位", "--year", "2025", "--weight", "public", db=db, check=False)
    assert bad.returncode == 2 and "名称=数值" in bad.stderr


# ---------------------------------------------------------------- the analyses (docs/analyses.md)

def test_change_json_adds_up_to_the_difference(sample_db_path):
    out = json.loads(run("change", "--org", "示例区", "--year", "2025", "--unit", "区委编办", "--format", "json",
                         db=sample_db_path).stdout)
    assert {"composite_from", "composite_to", "lines", "rank", "overtakes"} <= set(out)
    assert {"component", "indicator", "event_id", "contribution", "note"} <= set(out["lines"][0])
    total = round(sum(line["contribution"] for line in out["lines"]) * 100)
    assert total == round((out["composite_to"] - out["composite_from"]) * 100)
    table = run("change", "--org", "示例区", "--year", "2025", "--unit", "区委编办", "--from", "2023", db=sample_db_path).stdout
    assert "2023 → 2025" in table and "合计 total" in table


def test_compare_and_gap_json(sample_db_path):
    out = json.loads(run("compare", "--org", "示例区", "--year", "2025", "--unit", "区委办", "--unit", "区委组织部",
                         "--format", "json", db=sample_db_path).stdout)
    assert round(out["composite_a"] - out["composite_b"], 2) == out["gap"]
    assert round(sum(line["contribution"] for line in out["lines"]) * 100) == round(out["gap"] * 100)
    need = json.loads(run("gap", "--org", "示例区", "--year", "2025", "--unit", "区委办", "--format", "json",
                          db=sample_db_path).stdout)
    # 区委办 (889.64, 良好): 优秀 from 900 needs 10.36
    assert need["next_grade"]["to"] == "优秀" and need["next_grade"]["points"] == round(900 - need["composite"], 2)
    one = run("compare", "--org", "示例区", "--year", "2025", "--unit", "区委办", db=sample_db_path, check=False)
    assert one.returncode == 2 and "两个单位" in one.stderr


def test_robustness_json_with_no_spread_is_the_official_ranking(sample_db_path):
    out = json.loads(run("robustness", "--org", "示例区", "--year", "2025", "--draws", "300", "--spread", "0", "--seed", "1",
                         "--format", "json", db=sample_db_path).stdout)
    assert len(out) == 41 and {"unit", "median_rank", "rank_p05", "rank_p95", "p_grade"} <= set(out[0])
    assert all(r["median_rank"] == r["rank_p05"] == r["rank_p95"] == r["official_rank"] for r in out)
    assert all(r["p_grade"][r["official_grade"]] == 1.0 for r in out)
    bad = run("robustness", "--org", "示例区", "--year", "2025", "--spread", "1.5", db=sample_db_path, check=False)
    assert bad.returncode == 2 and "扰动幅度" in bad.stderr


def test_forecast_json_and_the_briefing(sample_db_path, tmp_path):
    out = json.loads(run("forecast", "--org", "示例区", "--year", "2026", "--format", "json", db=sample_db_path).stdout)
    assert out["as_of"].startswith("2026-") and not out["complete"] and len(out["units"]) == 41
    assert {"unit", "projected", "low", "high", "grade", "p_lowest", "flags"} <= set(out["units"][0])
    bad = run("forecast", "--org", "示例区", "--year", "2026", "--as-of", "2026/09/30", db=sample_db_path, check=False)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    pdf = tmp_path / "简报.pdf"
    run("briefing", "--org", "示例区", "--year", "2025", "--out", str(pdf), db=sample_db_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for heading in ("示例区2025年度绩效考评分析简报", "一、排名与等次", "二、变化最大的单位及原因", "三、排名的稳健性", "四、风险预警"):
        assert heading in text
    english = tmp_path / "briefing.pdf"           # in English the code's own punctuation is English too (names stay Chinese)
    run("briefing", "--org", "示例区", "--year", "2025", "--lang", "en", "--out", str(english), db=sample_db_path)
    text = subprocess.run(["pdftotext", "-layout", str(english), "-"], capture_output=True, text=True, check=True).stdout
    assert "1. Ranking and grades" in text and "% (Excellent)" in text and "Up 区" in text and ": composite " in text
    assert not {"：", "。", "（", "）", "；"} & set(text)
