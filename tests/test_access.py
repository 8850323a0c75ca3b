"""Accounts, roles and the evaluation's own workflow, in the library: sign-in, what each role may see
and change, the feedback window, appeals decided on the record, self-assessment, progress reports.

The small organisation: 甲 and 乙 (一系列), 丙 (二系列); indicators 业务 (60, scored directly by
the collector 业务处, self-assessed) and 党建 (40, deducted from full, collector 组织部); the pool
察访核验. Hand-worked: 甲 = 55 + 40 = 95; 乙 = 50 + (40 − 1 × 2) = 88; 丙 = 45 + 40 − 5 (察访核验) = 80.
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfcore
from perfcore import access
from perfcore.access import Account, Forbidden
from perfcore.errors import InputError, PerfcoreError
from perfcore.ingest import importer, ledger
from perfcore.present import visible
from perfcore.store import accounts, audit
from perfcore.workflow import appeals, assessment, feedback, publish, reports
from tests.builders import Org, event, scheme, write_csv
from tests.test_rules import INSPECTION

RULES = INSPECTION + """
[[rule]]
name = "党建工作不到位"
amount = 2
targets = ["党建"]
"""

OFFICE = Account("办公室主任", "office")
COLLECTOR = Account("业务处采集员", "collector", "测试单位", collector="业务处")
PARTY = Account("组织部采集员", "collector", "测试单位", collector="组织部")
LEADER = Account("分管领导", "leader")


def unit(name: str) -> Account:
    return Account(f"{name}账号", "unit", "测试单位", unit=name)


@pytest.fixture
def con(tmp_path):
    text = scheme(total=100, extra=RULES).replace("total = 100\n", 'total = 100\nself_assessed = ["业务"]\n', 1)
    org = Org(tmp_path).year(2025, text, [], scores=[["甲", "业务", 55], ["乙", "业务", 50], ["丙", "业务", 45]],
        events=[event("E1", "乙", "党建", "党建工作不到位"), event("E2", "丙", "察访核验", "工作落实不力"),
                event("E3", "甲", "党建", "党建工作不到位", status="草稿")])
    write_csv(org.folder / "2025" / "指标任务分解表.csv", ["二级指标名称", "分值", "计分方式", "数据采集责任单位"],
              [["业务", 60, "直接评分", "业务处"], ["党建", 40, "扣分制", "组织部"]])
    c = org.load()
    yield c
    c.close()


def composite(c, who):
    return perfcore.score(c, "测试单位", 2025).results.set_index("unit")["composite"].to_dict()


def test_the_hand_worked_composites(con):
    assert composite(con, OFFICE) == {"甲": 95.0, "乙": 88.0, "丙": 80.0}


# ---------------------------------------------------------------- accounts and sign-in

def test_a_password_is_stored_only_as_an_argon2_hash_and_checked(con):
    accounts.create(con, "王某", "office", "correct horse", by=OFFICE)
    stored = con.execute("SELECT password_hash FROM accounts WHERE name = '王某'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert "correct horse" not in " ".join(str(r) for r in con.execute("SELECT * FROM audit_log").fetchall())
    assert accounts.sign_in(con, "王某", "correct horse", wait=False).role == "office"
    with pytest.raises(accounts.SignInRefused, match="账号或密码不正确"):
        accounts.sign_in(con, "王某", "Correct horse", wait=False)
    with pytest.raises(accounts.SignInRefused, match="账号或密码不正确"):   # an unknown name: the same words
        accounts.sign_in(con, "没有此人", "correct horse", wait=False)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(con):
    accounts.create(con, "王某", "office", "correct horse", by=OFFICE)
    now = dt.datetime(2025, 6, 1, 9, 0)
    for _ in range(4):
        with pytest.raises(accounts.SignInRefused, match="不正确"):
            accounts.sign_in(con, "王某", "wrong", now=now, wait=False)
    with pytest.raises(accounts.SignInRefused, match="已锁定 15 分钟"):
        accounts.sign_in(con, "王某", "wrong", now=now, wait=False)
    with pytest.raises(accounts.SignInRefused, match="锁定至 09:15"):
        accounts.sign_in(con, "王某", "correct horse", now=now + dt.timedelta(minutes=14), wait=False)
    assert accounts.sign_in(con, "王某", "correct horse", now=now + dt.timedelta(minutes=16), wait=False).name == "王某"


def test_a_disabled_account_cannot_sign_in_and_is_kept(con):
    accounts.create(con, "李某", "leader", "long enough", by=OFFICE)
    accounts.disable(con, "李某", by=OFFICE, why="调离")
    with pytest.raises(accounts.SignInRefused, match="已停用"):
        accounts.sign_in(con, "李某", "long enough", wait=False)
    assert con.execute("SELECT count(*) FROM accounts WHERE name = '李某'").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM row_versions WHERE entity = 'accounts' AND row_key = '李某'").fetchone()[0] == 1
    actions = [r[0] for r in con.execute("SELECT action FROM audit_log WHERE entity_id = '李某' ORDER BY id").fetchall()]
    assert actions == ["account_add", "account_disable"]


def test_accounts_are_checked_against_the_organisation(con):
    with pytest.raises(PerfcoreError, match="没有「丁」"):
        accounts.create(con, "丁账号", "unit", "long enough", org="测试单位", unit="丁", by=OFFICE)
    with pytest.raises(PerfcoreError, match="没有数据采集单位「宣传部」"):
        accounts.create(con, "宣传", "collector", "long enough", org="测试单位", collector="宣传部", by=OFFICE)
    with pytest.raises(PerfcoreError, match="至少 8 个字符"):
        accounts.create(con, "短", "office", "short", by=OFFICE)
    with pytest.raises(Forbidden):
        accounts.create(con, "越权", "office", "long enough", by=LEADER)


def test_single_sign_on_matches_one_enabled_account_by_e_mail(con):
    accounts.create(con, "王某", "office", "long enough", email="Wang@Example.gov.cn", by=OFFICE)
    assert accounts.for_email(con, "wang@example.gov.cn").name == "王某"     # e-mail case does not matter
    assert accounts.for_email(con, "someone@else.cn") is None
    with pytest.raises(PerfcoreError, match="已被另一个账号使用"):
        accounts.create(con, "王二", "office", "long enough", email="wang@example.gov.cn", by=OFFICE)
    accounts.disable(con, "王某", by=OFFICE)
    assert accounts.for_email(con, "wang@example.gov.cn") is None


# ---------------------------------------------------------------- what each role may see

def test_a_unit_sees_its_own_records_and_no_results_before_feedback(con):
    seen = visible.ledger(con, unit("乙"), "测试单位", 2025)
    assert set(seen["unit"]) == {"乙"} and list(seen["event_id"]) == ["E1"]
    with pytest.raises(Forbidden):
        visible.ledger(con, unit("乙"), "测试单位", 2025, "丙")
    with pytest.raises(Forbidden):
        visible.explain(con, unit("乙"), "测试单位", 2025, "丙")
    year = visible.year(con, unit("乙"), perfcore.score(con, "测试单位", 2025))
    assert year.results.empty and list(year.grid.units) == ["乙"]
    assert visible.units(con, unit("乙"), perfcore.score(con, "测试单位", 2025)) == []


def test_feedback_shows_a_unit_its_own_row_and_publishing_shows_everyone_the_ranking(con):
    feedback.open_window(con, "测试单位", 2025, dt.date.today() + dt.timedelta(days=3), OFFICE)
    year = visible.year(con, unit("乙"), perfcore.score(con, "测试单位", 2025))
    assert year.results[["unit", "composite", "rank"]].to_dict("records") == [{"unit": "乙", "composite": 88.0, "rank": 2}]
    publish.publish(con, "测试单位", 2025, OFFICE)
    assert not feedback.is_open(con, "测试单位", 2025)                  # publishing closes it
    year = visible.year(con, unit("乙"), perfcore.score(con, "测试单位", 2025))
    assert sorted(year.results["unit"]) == ["丙", "乙", "甲"] and list(year.grid.units) == ["乙"]


def test_a_collector_sees_its_indicator_for_every_unit_and_nothing_else(con):
    seen = visible.ledger(con, PARTY, "测试单位", 2025)
    assert set(seen["target"]) == {"党建"} and set(seen["unit"]) == {"甲", "乙"}
    lines = visible.explain(con, PARTY, "测试单位", 2025, "丙")
    assert set(lines["target"]) <= {"党建"}
    with pytest.raises(Forbidden):
        visible.explain(con, PARTY, "测试单位", 2025, "丙", "察访核验")
    year = visible.year(con, PARTY, perfcore.score(con, "测试单位", 2025))
    assert list(year.grid.targets["target"]) == ["党建"] and year.results.empty


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(["甲", "乙", "丙"]), feedback_open=st.booleans(), published=st.booleans())
def test_no_frame_shows_a_unit_another_unit_s_rows(con, which, feedback_open, published):
    if feedback_open and not feedback.is_open(con, "测试单位", 2025) and not published:
        if not con.execute("SELECT count(*) FROM publications").fetchone()[0]:
            feedback.open_window(con, "测试单位", 2025, dt.date.today() + dt.timedelta(days=3), OFFICE)
    if published and not con.execute("SELECT count(*) FROM publications").fetchone()[0]:
        publish.publish(con, "测试单位", 2025, OFFICE)
    me = unit(which)
    official = perfcore.score(con, "测试单位", 2025)
    year = visible.year(con, me, official)
    for other in {"甲", "乙", "丙"} - {which}:
        with pytest.raises(Forbidden):
            visible.explain(con, me, "测试单位", 2025, other)
    records = [visible.ledger(con, me, "测试单位", 2025), visible.event_history(con, me, official), visible.progress(con, me, "测试单位", 2025),
               year.grid.frame(), assessment.side_by_side(con, "测试单位", 2025, me),
               appeals.appeals(con, "测试单位", 2025, me)]
    for frame in records:                 # records, traces and indicator scores: never another unit's
        assert set(frame["unit"]) <= {which}
    if access.results_visibility(con, me, "测试单位", 2025) != "all":     # the ranking: only once published
        assert set(year.results["unit"]) <= {which} and set(year.components["unit"]) <= {which}


# ---------------------------------------------------------------- what each role may change

def test_a_collector_records_and_scores_only_its_indicators(con):
    made = ledger.add_event(con, "测试单位", 2025, {"date": "2025-07-01", "unit": "丙", "target": "党建", "rule": "党建工作不到位"},
                            who=PARTY, via="page")
    assert made["updated_by"] == "组织部采集员"
    with pytest.raises(Forbidden, match="察访核验"):
        ledger.add_event(con, "测试单位", 2025, {"date": "2025-07-01", "unit": "丙", "target": "察访核验", "rule": "工作落实不力"},
                         who=PARTY, via="page")
    with pytest.raises(Forbidden):
        ledger.revoke_event(con, "测试单位", 2025, "E2", who=PARTY, why="越权")
    assert assessment.set_scores(con, "测试单位", 2025, [{"unit": "甲", "indicator": "业务", "score": 58}], COLLECTOR) == 1
    with pytest.raises(Forbidden):
        assessment.set_scores(con, "测试单位", 2025, [{"unit": "甲", "indicator": "业务", "score": 59}], PARTY)
    with pytest.raises(InputError, match="应在 0–60 之间"):
        assessment.set_scores(con, "测试单位", 2025, [{"unit": "甲", "indicator": "业务", "score": 61}], COLLECTOR)
    assert composite(con, OFFICE)["甲"] == 98.0        # 58 + 40
    for who in (LEADER, unit("甲")):
        with pytest.raises(Forbidden):
            ledger.add_event(con, "测试单位", 2025, {"date": "2025-07-01", "unit": "甲", "target": "党建", "rule": "党建工作不到位"},
                             who=who)
        with pytest.raises(Forbidden):
            publish.publish(con, "测试单位", 2025, who)


def test_an_import_with_a_row_outside_the_collector_s_indicators_writes_nothing(con, tmp_path):
    path = tmp_path / "扣分台账.csv"
    write_csv(path, ["编号", "日期", "单位", "指标", "情形"], [["C1", "2025-08-01", "甲", "党建", "党建工作不到位"],
                                                          ["C2", "2025-08-01", "甲", "察访核验", "工作落实不力"]])
    plan = importer.plan_import(con, path, "测试单位", 2025)
    before = con.execute("SELECT count(*) FROM events").fetchone()[0]
    with pytest.raises(Forbidden, match="察访核验"):
        importer.apply_import(con, plan, PARTY)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == before


# ---------------------------------------------------------------- appeals

def test_an_appeal_needs_the_feedback_window_and_the_record_s_own_unit(con):
    with pytest.raises(PerfcoreError, match="不在反馈期内"):
        appeals.file(con, "测试单位", 2025, "E2", "并非我单位", unit("丙"))
    feedback.open_window(con, "测试单位", 2025, dt.date.today() + dt.timedelta(days=3), OFFICE)
    with pytest.raises(Forbidden):
        appeals.file(con, "测试单位", 2025, "E2", "替别人申诉", unit("乙"))
    with pytest.raises(PerfcoreError, match="不计分，无需申诉"):
        appeals.file(con, "测试单位", 2025, "E3", "草稿", unit("甲"))
    filed = appeals.file(con, "测试单位", 2025, "E2", "当日系上级统一安排", unit("丙"), evidence="丙〔2025〕1号",
                         attachment=("../../说明.pdf", b"%PDF-1.4 evidence"))
    assert ledger.event(con, "测试单位", 2025, "E2")["status"] == "申诉中"
    assert composite(con, OFFICE)["丙"] == 80.0           # 申诉中 still counts (counted_statuses)
    assert appeals.attachment(con, filed["appeal_id"], OFFICE) == ("说明.pdf", b"%PDF-1.4 evidence")
    assert appeals.attachment(con, filed["appeal_id"], unit("乙")) is None
    with pytest.raises(PerfcoreError, match="已在申诉中"):
        appeals.file(con, "测试单位", 2025, "E2", "再来一次", unit("丙"))


@pytest.mark.parametrize("decision, changes, status, expected", [
    ("upheld", None, "已审定", 80.0),                      # the record stands: 45 + 40 − 5
    ("revoked", None, "已撤销", 85.0),                     # it stops counting: 45 + 40
    ("adjusted", {"mitigation_code": None, "count": 2}, "已审定", 75.0),   # two counts: 45 + 40 − 2 × 5
])
def test_the_office_decides_an_appeal_on_the_record(con, decision, changes, status, expected):
    feedback.open_window(con, "测试单位", 2025, dt.date.today() + dt.timedelta(days=3), OFFICE)
    filed = appeals.file(con, "测试单位", 2025, "E2", "当日系上级统一安排", unit("丙"))
    with pytest.raises(Forbidden):
        appeals.decide(con, filed["appeal_id"], decision, "理由", unit("丙"), changes)
    with pytest.raises(PerfcoreError, match="理由"):
        appeals.decide(con, filed["appeal_id"], decision, " ", OFFICE, changes)
    done = appeals.decide(con, filed["appeal_id"], decision, "经核实", OFFICE, changes)
    assert done["decision"] == decision and done["decided_by"] == "办公室主任"
    assert ledger.event(con, "测试单位", 2025, "E2")["status"] == status
    assert composite(con, OFFICE)["丙"] == expected
    assert len(ledger.versions(con, "测试单位", 2025, "E2")) == 3          # as recorded, under appeal, decided
    with pytest.raises(PerfcoreError, match="已于"):
        appeals.decide(con, filed["appeal_id"], "upheld", "再决定", OFFICE)
    assert audit.verify(con)["ok"]


# ---------------------------------------------------------------- self-assessment and progress reports

def test_self_assessment_beside_the_final_score(con):
    assessment.save_self(con, "测试单位", 2025, "甲", "业务", 59, "超额完成", unit("甲"))
    assessment.save_self(con, "测试单位", 2025, "甲", "业务", 58.5, "按核定口径", unit("甲"))     # kept as a version
    with pytest.raises(Forbidden):
        assessment.save_self(con, "测试单位", 2025, "乙", "业务", 60, "", unit("甲"))
    with pytest.raises(PerfcoreError, match="不是自评指标"):
        assessment.save_self(con, "测试单位", 2025, "甲", "党建", 40, "", unit("甲"))
    with pytest.raises(PerfcoreError, match="0–60"):
        assessment.save_self(con, "测试单位", 2025, "甲", "业务", 70, "", unit("甲"))
    pairs = assessment.side_by_side(con, "测试单位", 2025, OFFICE).set_index("unit")
    assert pairs.loc["甲", ["self_score", "self_note", "final_score"]].tolist() == [58.5, "按核定口径", 55.0]
    assert composite(con, OFFICE)["甲"] == 95.0        # the self-assessment never counts
    assert con.execute("SELECT count(*) FROM row_versions WHERE entity = 'self_assessments'").fetchone()[0] == 1


def test_a_progress_report_is_checked_like_an_import_and_late_ones_are_listed(con):
    with pytest.raises(InputError, match="0–100"):
        reports.file_report(con, "测试单位", 2025, "甲", "前三季度", [{"indicator": "业务", "percent": 120}], unit("甲"))
    with pytest.raises(Forbidden):
        reports.file_report(con, "测试单位", 2025, "乙", "前三季度", [{"indicator": "业务", "percent": 70}], unit("甲"))
    assert reports.file_report(con, "测试单位", 2025, "甲", "前三季度", [{"indicator": "业务", "percent": 70, "progress": "按计划"}],
                               unit("甲"), report_date=dt.date(2025, 9, 28)) == 1
    status = reports.filing_status(con, "测试单位", 2025, "前三季度", today=dt.date(2025, 10, 8)).set_index("unit")
    assert status["filed"].to_dict() == {"丙": False, "甲": True, "乙": False}
    assert status["late"].to_dict() == {"丙": True, "甲": False, "乙": True}          # due 30 September (S4)
    assert reports.due(2025, "全年") == dt.date(2025, 12, 31)


def test_exports_follow_what_the_account_may_see(con):
    official = perfcore.score(con, "测试单位", 2025)
    with pytest.raises(Forbidden):
        visible.notice(con, unit("甲"), official, "zh", "xlsx", None)        # not published: no ranking for a unit
    assert visible.notice(con, LEADER, official, "zh", "xlsx", None)[:2] == b"PK"
    assert visible.ledger_xlsx(con, unit("乙"), "测试单位", 2025, "乙")[:2] == b"PK"
    with pytest.raises(Forbidden):
        visible.ledger_xlsx(con, unit("乙"), "测试单位", 2025, "丙")
    publish.publish(con, "测试单位", 2025, OFFICE)
    assert visible.notice(con, unit("甲"), official, "zh", "pdf", "已发布")[:4] == b"%PDF"   # the published notice is public
