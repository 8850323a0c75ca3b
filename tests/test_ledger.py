"""Recording and correcting events: checked, versioned, revocable, audited; nothing deleted."""
from __future__ import annotations

import pytest

import perfcore
from perfcore.ingest import ledger
from perfcore.store import audit
from perfcore.errors import InputError, PerfcoreError
from tests.builders import Org, event, scheme
from tests.test_rules import INSPECTION


@pytest.fixture
def con(tmp_path):
    return Org(tmp_path).year(2025, scheme(total=10, extra=INSPECTION), [["", "", "业务", 10, "扣分制"]],
                              events=[event("V1", "甲", "察访核验", "工作落实不力")]).load()


def inspection(con, unit):
    return perfcore.score(con, "测试单位", 2025).results.set_index("unit").loc[unit, "inspection"]


def test_add_edit_revoke_with_versions_and_audit(con):
    e = ledger.add_event(con, "测试单位", 2025, {"date": "2025-06-01", "unit": "乙", "target": "察访核验",
                                              "rule": "工作落实不力", "source_level": "市", "description": "暗访发现"}, who="王某")
    assert e["event_id"] == "2025-M0001" and e["version"] == 1
    assert inspection(con, "乙") == 10                     # city finding: 5 × 2
    ledger.edit_event(con, "测试单位", 2025, "2025-M0001", {"source_level": "区"}, who="王某", why="核实为区级发现")
    assert inspection(con, "乙") == 5
    ledger.revoke_event(con, "测试单位", 2025, "2025-M0001", who="李某", why="申诉成立")
    assert inspection(con, "乙") == 0
    versions = ledger.versions(con, "测试单位", 2025, "2025-M0001")
    assert versions["source_level"].tolist() == ["市", "区", "区"] and versions["status"].tolist()[-1] == "已撤销"
    log = audit.audit_log(con, org="测试单位")
    log = log[(log["action"] != "init") & (log["via"] != "init")]   # not the sample's demo set-up
    assert log["action"].tolist() == ["revoke", "edit", "add"]
    assert log["who"].tolist() == ["李某", "王某", "王某"] and log["why"].tolist()[:2] == ["申诉成立", "核实为区级发现"]
    assert '"source_level": "市"' in log.iloc[1]["before_json"] and '"source_level": "区"' in log.iloc[1]["after_json"]
    # the trace shows the revoked record greyed with its reason
    lines = perfcore.explain(con, "测试单位", 2025, "乙", "察访核验").set_index("event_id")
    assert not lines.loc["2025-M0001", "counted"] and "申诉成立" in lines.loc["2025-M0001", "note"]


def test_bad_entries_write_nothing(con):
    before = con.execute("SELECT count(*) FROM events").fetchone()[0]
    with pytest.raises(InputError) as exc:
        ledger.add_event(con, "测试单位", 2025, {"date": "2025-06-01", "unit": "丁", "target": "察访核验",
                                                  "rule": "工作落实不力"}, who="王某")
    assert exc.value.problems[0].column == "单位"
    with pytest.raises(InputError):
        ledger.add_event(con, "测试单位", 2025, {"date": "明天", "unit": "甲", "target": "察访核验", "rule": "工作落实不力"}, who="王某")
    with pytest.raises(InputError):
        ledger.add_event(con, "测试单位", 2025, {"event_id": "V1", "date": "2025-06-01", "unit": "甲", "target": "察访核验",
                                                  "rule": "工作落实不力"}, who="王某")
    with pytest.raises(InputError):
        ledger.edit_event(con, "测试单位", 2025, "V1", {"count": -1}, who="王某", why="x")
    with pytest.raises(PerfcoreError):
        ledger.edit_event(con, "测试单位", 2025, "V1", {"count": 2}, who="", why="x")
    with pytest.raises(PerfcoreError):
        ledger.revoke_event(con, "测试单位", 2025, "V1", who="王某", why="  ")
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == before
    assert audit.audit_log(con)["action"].tolist() == ["init"]


def test_revoked_records_cannot_be_edited(con):
    ledger.revoke_event(con, "测试单位", 2025, "V1", who="王某", why="重复记录")
    with pytest.raises(PerfcoreError):
        ledger.edit_event(con, "测试单位", 2025, "V1", {"count": 2}, who="王某", why="x")


def test_publishing_freezes_scheme_data_and_results(con):
    from perfcore.workflow import publish
    pub = publish.publish(con, "测试单位", 2025, who="王某", note="年度结果")
    assert pub["published_by"] == "王某" and len(pub["results"]) == 3
    ledger.revoke_event(con, "测试单位", 2025, "V1", who="李某", why="申诉成立")
    live = perfcore.score(con, "测试单位", 2025)
    diff = publish.differences(pub["results"], live).set_index("unit")
    assert diff.loc["甲", "published_composite"] == 5 and diff.loc["甲", "live_composite"] == 10
    frozen = publish.published_data(con, "测试单位", 2025)
    assert frozen["events"].set_index("event_id").loc["V1", "status"] == "已审定"   # the data as published
    assert publish.latest(con, "测试单位", 2025)["results"].set_index("unit").loc["甲", "composite"] == 5
    with pytest.raises(PerfcoreError):
        publish.publish(con, "测试单位", 2025, who="")
