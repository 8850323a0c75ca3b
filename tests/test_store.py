"""Nothing lost, nothing changed silently: the audit chain, concurrent writers, versions, re-init,
publications, reinstatement and scenarios."""
from __future__ import annotations

import json
import shutil
import threading

import openpyxl
import pandas as pd
import io
import pytest

import perfcore
from perfcore.errors import InputError, PerfcoreError
from perfcore.ingest import importer, ledger
from perfcore.ingest.sources import read_source, write
from perfcore.present import export
from perfcore.store import audit
from perfcore.workflow import publish, scenarios
from tests.conftest import ROOT

EVENT = {"date": "2025-05-02", "unit": "区委办", "target": "察访核验", "rule": "工作落实不力", "source_level": "区",
         "description": "测试记录"}
_n = iter(range(1, 10**6))


def another() -> dict:
    """The same kind of record about a different matter (its own description)."""
    return {**EVENT, "description": f"测试记录{next(_n)}"}


@pytest.fixture
def db(db_copy):
    return db_copy


# ---------------------------------------------------------------- the audit log's hash chain

def test_the_chain_is_intact_after_every_kind_of_change(con):
    ledger.add_event(con, "示例区", 2025, another(), who="甲")
    e = ledger.add_event(con, "示例区", 2025, another(), who="甲")
    ledger.edit_event(con, "示例区", 2025, e["event_id"], {"count": 2}, who="乙", why="核对后更正")
    ledger.revoke_event(con, "示例区", 2025, e["event_id"], who="乙", why="重复")
    scenarios.save(con, "示例区", 2025, "公众评议占一半", {"weights": {"public": 0.5}}, who="丙")
    scenarios.delete(con, "示例区", 2025, "公众评议占一半", who="丙")
    result = audit.verify(con)
    assert result["ok"] and result["legacy"] == 0
    # three organisations built; the demo set-up: six accounts, ten years published, one opened for feedback; six changes
    assert result["rows"] == 3 + 6 + 10 + 1 + 6
    assert result["head"] == audit.head(con)


def test_an_edited_row_is_found(con):
    ledger.add_event(con, "示例区", 2025, another(), who="甲")
    target = con.execute("SELECT id FROM audit_log WHERE action = 'add'").fetchone()[0]
    con.execute("UPDATE audit_log SET who = '别人' WHERE id = ?", [target])       # plain DuckDB, behind the app's back
    result = audit.verify(con)
    assert not result["ok"] and result["broken_at"] == target and "content changed" in result["reason"]


def test_a_deleted_row_breaks_the_chain_at_the_next_one(con):
    for _ in range(3):
        ledger.add_event(con, "示例区", 2025, another(), who="甲")
    ids = [r[0] for r in con.execute("SELECT id FROM audit_log ORDER BY id").fetchall()]
    con.execute("DELETE FROM audit_log WHERE id = ?", [ids[-2]])
    result = audit.verify(con)
    assert not result["ok"] and result["broken_at"] == ids[-1] and "chain broken" in result["reason"]


def test_a_cut_off_tail_shows_against_the_head_stored_with_a_publication(con):
    ledger.add_event(con, "示例区", 2025, another(), who="甲")
    publish.publish(con, "示例区", 2025, who="办公室")
    pub_head = con.execute("SELECT audit_head FROM publications WHERE org = '示例区' AND year = 2025").fetchone()[0]
    assert pub_head == audit.head(con)                               # the head with the publication's own row
    assert audit.verify(con)["ok"]
    last = con.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    con.execute("DELETE FROM audit_log WHERE id = ?", [last])          # the publish row itself, cut off the end
    result = audit.verify(con)
    assert not result["ok"] and "示例区 2025" in result["reason"] and "deleted or changed" in result["reason"]


def test_cli_audit_verify(db, capsys):
    from perfcore.cli import main
    assert main(["audit", "verify", "--db", str(db)]) == 0
    assert "操作日志完整" in capsys.readouterr().out
    con = perfcore.connect(db)
    con.execute("UPDATE audit_log SET why = 'x' WHERE id = (SELECT min(id) FROM audit_log)")
    con.close()
    assert main(["audit", "verify", "--db", str(db)]) == 1
    assert "断开" in capsys.readouterr().err


# ---------------------------------------------------------------- writers at the same time

def test_five_writers_at_once_get_distinct_ids_and_lose_nothing(con):
    errors, made = [], []

    def record(n):
        cur = con.cursor()
        try:
            for _ in range(n):
                made.append(ledger.add_event(cur, "示例区", 2025, another(), who="并发")["event_id"])
        except Exception as exc:   # noqa: BLE001 - any error is a failure here
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(8,)) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(made) == 40 and len(set(made)) == 40
    stored = con.execute("SELECT count(*) FROM events WHERE org = '示例区' AND year = 2025 AND updated_by = '并发'").fetchone()[0]
    assert stored == 40
    assert con.execute("SELECT count(*) FROM audit_log WHERE who = '并发'").fetchone()[0] == 40
    assert audit.verify(con)["ok"]


def test_a_correction_over_someone_elses_is_refused(con):
    e = ledger.add_event(con, "示例区", 2025, another(), who="甲")
    ledger.edit_event(con, "示例区", 2025, e["event_id"], {"count": 2}, who="乙", why="更正", seen_version=1)
    with pytest.raises(PerfcoreError, match="刚被其他人修改"):
        ledger.edit_event(con, "示例区", 2025, e["event_id"], {"count": 3}, who="丙", why="更正", seen_version=1)
    assert ledger.event(con, "示例区", 2025, e["event_id"])["count"] == 2


def test_an_existing_id_is_never_overwritten(con):
    with pytest.raises(InputError, match="编号已存在"):
        ledger.add_event(con, "示例区", 2025, {**EVENT, "event_id": "2025-0001"}, who="甲")
    assert ledger.event(con, "示例区", 2025, "2025-0001")["unit"] == "区委办"


# ---------------------------------------------------------------- imports never delete

def test_a_header_only_veto_file_deletes_nothing(con, tmp_path):
    path = tmp_path / "一票否决.csv"
    path.write_text("单位,类别,日期,说明,证据文号\n", encoding="utf-8-sig")
    before = con.execute("SELECT count(*) FROM vetoes WHERE org = '示例市直机关' AND year = 2024").fetchone()[0]
    assert before == 1
    plan = importer.plan_import(con, path, "示例市直机关", 2024)
    assert not plan.has_changes                                       # a partial file leaves the veto alone
    plan = importer.plan_import(con, path, "示例市直机关", 2024, complete=True)
    assert len(plan.removed) == 1
    importer.apply_import(con, plan, who="办公室", revoke_missing=True)
    row = con.execute("SELECT unit, retired, version FROM vetoes WHERE org = '示例市直机关' AND year = 2024").fetchall()
    assert row == [("水利局", True, 2)]                                # still stored, retired
    kept = con.execute("SELECT row_json FROM row_versions WHERE entity = 'vetoes'").fetchone()[0]
    assert json.loads(kept)["unit"] == "水利局" and json.loads(kept)["retired"] is False
    assert not perfcore.score(con, "示例市直机关", 2024).results.set_index("unit").loc["水利局", "veto"]


def test_an_edited_evaluation_keeps_its_earlier_version(con, tmp_path):
    path = tmp_path / "评议得分.csv"
    path.write_text("单位,类别,项目,得分,满分\n区委办,公众评议,,90,100\n", encoding="utf-8-sig")
    plan = importer.plan_import(con, path, "示例区", 2025)
    assert len(plan.changed) == 1 and not plan.removed
    importer.apply_import(con, plan, who="办公室")
    assert con.execute("SELECT score, version FROM evaluations WHERE org='示例区' AND year=2025 AND unit='区委办'").fetchone() == (90.0, 2)
    old = json.loads(con.execute("SELECT row_json FROM row_versions WHERE entity='evaluations'").fetchone()[0])
    assert old["score"] == 85.82


def test_reimporting_a_ledger_does_not_silently_bring_back_a_revoked_record(con, tmp_path):
    ledger.revoke_event(con, "示例区", 2025, "2025-0001", who="办公室", why="核实有误")
    path = tmp_path / "扣分台账.csv"
    shutil.copy(ROOT / "data/示例区/2025/扣分台账.csv", path)          # the office's older copy still lists it
    plan = importer.plan_import(con, path, "示例区", 2025)
    assert [after["event_id"] for _, after in plan.reinstated] == ["2025-0001"] and not plan.changed
    with pytest.raises(PerfcoreError, match="另行确认"):
        importer.apply_import(con, plan, who="办公室")
    assert ledger.event(con, "示例区", 2025, "2025-0001")["status"] == "已撤销"
    importer.apply_import(con, plan, who="办公室", reinstate=True)
    assert ledger.event(con, "示例区", 2025, "2025-0001")["status"] == "已审定"
    assert audit.audit_log(con, action="import-reinstate")["entity_id"].tolist() == ["2025-0001"]


def test_reinstating_on_the_page_needs_a_reason(con):
    ledger.revoke_event(con, "示例区", 2025, "2025-0001", who="办公室", why="核实有误")
    with pytest.raises(PerfcoreError, match="理由"):
        ledger.reinstate_event(con, "示例区", 2025, "2025-0001", "已审定", who="办公室", why="")
    back = ledger.reinstate_event(con, "示例区", 2025, "2025-0001", "已审定", who="办公室", why="申诉后复核属实")
    assert back["status"] == "已审定" and back["revoked_reason"] is None and back["version"] == 3


# ---------------------------------------------------------------- re-init, publication, scenarios

def test_init_over_data_refuses_unless_told_and_then_archives(con):
    before = con.execute("SELECT count(*) FROM events WHERE org = '示例区'").fetchone()[0]
    ledger.add_event(con, "示例区", 2025, another(), who="甲")
    orgs = read_source(ROOT / "data")
    with pytest.raises(PerfcoreError, match="--replace"):
        write(con, orgs)
    assert con.execute("SELECT count(*) FROM events WHERE org = '示例区'").fetchone()[0] == before + 1
    replaced = write(con, [o for o in orgs if o.org == "示例区"], who="管理员", replace=True)
    assert replaced[0]["org"] == "示例区" and replaced[0]["rows"]["events"] == before + 1
    archived = json.loads(con.execute("SELECT data_json FROM archives").fetchone()[0])
    assert any(e["updated_by"] == "甲" for e in archived["events"])  # the record typed in is in the archive
    assert con.execute("SELECT count(*) FROM events WHERE org = '示例区'").fetchone()[0] == before
    log = audit.audit_log(con, action="replace")
    assert len(log) == 1 and json.loads(log["before_json"].iloc[0])["rows"]["events"] == before + 1
    assert audit.verify(con)["ok"]


def test_cli_init_refuses_over_existing_data(db, capsys):
    from perfcore.cli import main
    assert main(["init", "--db", str(db)]) == 2
    assert "--replace" in capsys.readouterr().err


def test_a_published_notice_shows_the_published_numbers(con):
    publish.publish(con, "示例区", 2025, who="办公室")
    frozen = publish.latest(con, "示例区", 2025)["results"].set_index("unit")
    ledger.add_event(con, "示例区", 2025, {**another(), "rule": "媒体曝光经查属实"}, who="甲")   # −20 after publication
    live = perfcore.score(con, "示例区", 2025).results.set_index("unit")
    assert live.loc["区委办", "composite"] == pytest.approx(frozen.loc["区委办", "composite"] - 20)
    shown, pub = publish.official(con, "示例区", 2025)
    notice = export.notice_frame(shown)
    row = notice[notice["单位"] == "区委办"].iloc[0]
    assert row["综合得分"] == pytest.approx(round(frozen.loc["区委办", "composite"], 2))
    book = openpyxl.load_workbook(io.BytesIO(export.notice_xlsx(shown, "zh", publish.stamp(pub))))
    assert "征求意见稿" not in book.active["A1"].value and "发布" in book.active["A2"].value


def test_an_unpublished_notice_is_a_draft(con):
    shown, pub = publish.official(con, "示例区", 2025)
    assert pub is None
    book = openpyxl.load_workbook(io.BytesIO(export.notice_xlsx(shown, "zh", None)))
    assert book.active["A1"].value.endswith("（征求意见稿）")
    lines = export.notice_csv(shown, "zh", None).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("发布状态,") and all(line.startswith("征求意见稿,") for line in lines[1:])
    publish.publish(con, "示例区", 2025, who="办公室")
    shown, pub = publish.official(con, "示例区", 2025)
    stamp = publish.stamp(pub, "zh")
    lines = export.notice_csv(shown, "zh", stamp).decode("utf-8-sig").splitlines()
    assert all(line.startswith(stamp + ",") and "征求意见稿" not in line for line in lines[1:])


def test_publishing_again_needs_a_reason_and_keeps_the_first(con):
    first = publish.publish(con, "示例区", 2025, who="办公室")
    with pytest.raises(PerfcoreError, match="理由"):
        publish.publish(con, "示例区", 2025, who="办公室")
    publish.publish(con, "示例区", 2025, who="办公室", reason="申诉复核后更正")
    history = publish.history(con, "示例区", 2025)
    assert len(history) == 2 and history["reason"].tolist() == ["申诉复核后更正", None]
    assert history["fingerprint"].iloc[1] == first["fingerprint"]
    assert audit.audit_log(con, action="republish")["why"].tolist() == ["申诉复核后更正"]


def test_deleting_a_scenario_is_audited_and_kept(con):
    scenarios.save(con, "示例区", 2025, "甲方案", {"weights": {"public": 0.5}}, who="领导")
    scenarios.save(con, "示例区", 2025, "甲方案", {"weights": {"public": 0.45}}, who="领导")
    scenarios.delete(con, "示例区", 2025, "甲方案", who="领导")
    assert scenarios.names(con, "示例区", 2025) == []
    assert con.execute("SELECT count(*) FROM row_versions WHERE entity = 'scenarios'").fetchone()[0] == 2
    assert audit.audit_log(con, org="示例区")["action"].tolist()[:3] == ["scenario-delete", "scenario-save", "scenario-save"]


def test_a_second_identical_record_is_refused_unless_confirmed(con):
    first = ledger.add_event(con, "示例区", 2025, EVENT, who="甲")
    with pytest.raises(ledger.LooksLikeADuplicate) as exc:
        ledger.add_event(con, "示例区", 2025, EVENT, who="甲")         # a second click on Save
    assert exc.value.ids == [first["event_id"]]
    second = ledger.add_event(con, "示例区", 2025, EVENT, who="甲", allow_identical=True)
    assert second["event_id"] != first["event_id"]
    ledger.revoke_event(con, "示例区", 2025, first["event_id"], who="甲", why="重复")
    with pytest.raises(ledger.LooksLikeADuplicate):
        ledger.add_event(con, "示例区", 2025, EVENT, who="甲")         # the second still stands


def test_an_overflow_left_unstated_by_a_program_of_its_own_is_none(con):
    # the office's own SQL leaves allow_overflow empty (NULL) where the loaders write false: the
    # indicator is scored as the loaders' default (no overflow), the same result to the last digit
    from perfcore.engine import results as results_mod
    expected = results_mod.score_base(con, "示例区", 2025).results
    stated = "SELECT count(*) FROM indicators WHERE org = '示例区' AND year = 2025 AND allow_overflow"
    overflowing = con.execute(stated).fetchone()[0]
    con.execute("UPDATE indicators SET allow_overflow = NULL WHERE org = '示例区' AND year = 2025 AND NOT allow_overflow")
    assert con.execute("SELECT count(*) FROM indicators WHERE org = '示例区' AND year = 2025 "
                       "AND allow_overflow IS NULL").fetchone()[0] > 0
    assert con.execute(stated).fetchone()[0] == overflowing
    pd.testing.assert_frame_equal(results_mod.score_base(con, "示例区", 2025).results, expected, check_exact=True)


# ---------------------------------------------------------------- results kept beside the data

def test_kept_results_are_exactly_a_fresh_scoring_and_never_outlive_a_change(con):
    from perfcore.engine import results as results_mod
    from perfcore.store import result_cache
    from perfcore.store.connection import data_version
    results_mod._PAST.clear()
    fresh = results_mod.score_base(con, "示例区", 2024).results
    version = data_version(con)
    first = results_mod.base_results(con, "示例区", 2024, version)          # scored, and kept in the database
    pd.testing.assert_frame_equal(first, fresh)
    results_mod._PAST.clear()
    kept = result_cache.get(con, "示例区", 2024, version[1])
    pd.testing.assert_frame_equal(kept, fresh)                               # read back: the same to the last digit
    before = fresh.set_index("unit").loc["区委办", "composite"]
    ledger.add_event(con, "示例区", 2024, {**another(), "date": "2024-06-01"}, who="甲")   # 察访核验 工作落实不力: −5
    assert result_cache.get(con, "示例区", 2024, data_version(con)[1]) is None          # a new data version: not used
    after = results_mod.base_results(con, "示例区", 2024).set_index("unit").loc["区委办", "composite"]
    assert after == pytest.approx(before - 5)
    assert con.execute("SELECT count(*) FROM result_cache WHERE org = '示例区' AND year = 2024").fetchone()[0] == 1


def test_units_kept_for_scoring_never_outlive_a_change(con):
    # scoring reads the organisation's units and every year's indicators once per data version (not once
    # a year): a unit added by an import from 2025 on is in 2025's result at once, and not in 2024's
    from perfcore.ingest import importer
    first = perfcore.score(con, "示例区", 2025)
    series = first.results["series"].iloc[0]
    plan = importer.plan_entries(con, "units", "示例区", None, [{"unit": "新设局", "series": series, "first_year": "2025"}],
                                 "单位名单")
    assert importer.apply_import(con, plan, who="甲", why="机构调整") == 1
    after = perfcore.score(con, "示例区", 2025).results.set_index("unit")
    assert len(after) == len(first.results) + 1 and after.loc["新设局", "series"] == series
    assert "新设局" not in set(perfcore.score(con, "示例区", 2024).results["unit"])


def test_kept_results_of_other_code_are_not_used(con, monkeypatch):
    from perfcore.engine import results as results_mod
    from perfcore.store import result_cache
    from perfcore.store.connection import data_version
    results_mod.score(con, "示例区", 2025)
    assert result_cache.get(con, "示例区", 2025, data_version(con)[1]) is not None
    monkeypatch.setattr(result_cache, "engine_fingerprint", lambda: "another version of perfcore")
    assert result_cache.get(con, "示例区", 2025, data_version(con)[1]) is None


def test_a_read_only_connection_never_writes_the_cache(db_copy):
    from perfcore.engine import results as results_mod
    ro = perfcore.connect(db_copy, read_only=True)
    try:
        results_mod._PAST.clear()
        kept = "SELECT count(*) FROM result_cache WHERE org = '示例区' AND year = 2026"     # never scored by the build
        assert ro.execute(kept).fetchone()[0] == 0
        results_mod.base_results(ro, "示例区", 2026)
        assert ro.execute(kept).fetchone()[0] == 0
    finally:
        ro.close()


def test_the_commit_count_moves_with_every_data_change(con):
    """The app keeps the data version it last read while perfcore.store.connection.committed() stays
    the same: every data change must move it, after its commit; a refused change or an account change
    (data=False) moves no data version, so it need not."""
    from perfcore.store import connection
    before, version = connection.committed(), connection.data_version(con)[1]
    ledger.add_event(con, "示例区", 2025, another(), who="测试")
    assert connection.committed() > before and connection.data_version(con)[1] == version + 1
    before = connection.committed()
    with pytest.raises(RuntimeError):
        with connection.transaction(con):
            con.execute("UPDATE meta SET value = value WHERE key = 'data_version'")
            during = connection.committed()
            raise RuntimeError("refused")
    assert during == before and connection.committed() == before      # refused: nothing to count
    assert connection.data_version(con)[1] == version + 1
    connection.touch(con)                       # a program's own SQL, outside perfcore's transactions
    assert connection.committed() > before and connection.data_version(con)[1] == version + 2
    after = connection.committed()
    with connection.transaction(con, data=False):
        pass
    assert connection.committed() == after and connection.data_version(con)[1] == version + 2
