"""The events' texts kept as numbers (store.codes): every write path leaves them right, scoring from
them equals scoring from the texts, and no database is read with another's codes."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import perfcore
from perfcore.engine import results as results_mod
from perfcore.ingest import importer, ledger
from perfcore.present import export
from perfcore.store import codes
from perfcore.store.connection import transaction

ORG, YEAR = "示例市妇联", 2024


def row_codes(con, event_id):
    return dict(zip(codes.COLUMNS, con.execute(f"SELECT {', '.join(codes.COLUMNS)} FROM events WHERE org = ? AND "
                                                 "year = ? AND event_id = ?", [ORG, YEAR, event_id]).fetchone()))


def decoded(con, event_id):
    """An event's codes turned back into texts through the two dictionaries (None for code 0)."""
    out = {}
    for table, pairs in (("text_codes", codes.WORDS), ("key_codes", codes.KEYS)):
        names = dict(con.execute(f"SELECT code, text FROM {table}").fetchall())
        got = row_codes(con, event_id)
        for text, code in pairs:
            out[text] = names[got[code]] if got[code] else None
    return out


def test_the_sample_is_coded_and_every_code_decodes_to_its_text(sample_db):
    assert sample_db.execute("SELECT count(*) FROM events WHERE code_unit IS NULL").fetchone()[0] == 0
    assert codes.check(sample_db) == []
    e = sample_db.execute("SELECT event_id, unit, rule, status, problem_key FROM events WHERE problem_key IS NOT NULL "
                          "LIMIT 1").fetchone()
    got = sample_db.execute("SELECT t.text, r.text, s.text, k.text FROM events e JOIN text_codes t ON t.code = e.code_unit "
                            "JOIN text_codes r ON r.code = e.code_rule JOIN text_codes s ON s.code = e.code_status "
                            "JOIN key_codes k ON k.code = e.code_problem WHERE e.event_id = ?", [e[0]]).fetchone()
    assert got == e[1:]


def test_every_write_path_codes_what_it_writes(con, tmp_path):
    new = ledger.add_event(con, ORG, YEAR, {"date": f"{YEAR}-06-01", "unit": "办公室", "target": "值班",
                                             "rule": "值班脱岗漏岗", "source_level": "市", "problem_key": "一个全新的问题"},
                           who="王某")
    i = new["event_id"]
    got = decoded(con, i)
    assert (got["unit"], got["target"], got["rule"], got["status"], got["source_level"], got["problem_key"],
            got["matter_key"]) == ("办公室", "值班", "值班脱岗漏岗", "已审定", "市", "一个全新的问题", None)
    ledger.edit_event(con, ORG, YEAR, i, {"unit": "权益部", "problem_key": "另一个问题"}, who="王某", why="更正")
    assert decoded(con, i)["unit"] == "权益部" and decoded(con, i)["problem_key"] == "另一个问题"
    ledger.revoke_event(con, ORG, YEAR, i, who="王某", why="撤销")
    assert decoded(con, i)["status"] == "已撤销"
    ledger.reinstate_event(con, ORG, YEAR, i, "已核实", who="王某", why="恢复")
    assert decoded(con, i)["status"] == "已核实"
    assert codes.check(con) == []
    # an import that adds, changes and (as the complete ledger) revokes
    frame = export.table_frame(con, "events", ORG, YEAR)
    frame.loc[0, "问题标识"] = "导入带来的新问题"
    gone = frame.loc[1, "编号"]
    frame = frame.drop(index=1)
    added = frame.iloc[[0]].copy()
    added["编号"] = "F2024-CODED"
    frame = pd.concat([frame, added], ignore_index=True)
    path = tmp_path / "扣分台账.csv"
    path.write_bytes(export.table_csv(frame))
    plan = importer.plan_import(con, path, ORG, YEAR, complete=True)
    importer.apply_import(con, plan, who="李某", via="test", revoke_missing=True)
    assert decoded(con, "F2024-CODED")["problem_key"] == "导入带来的新问题"
    assert decoded(con, gone)["status"] == "已撤销"
    assert codes.check(con) == []


def test_a_row_whose_codes_disagree_with_its_texts_is_found(con):
    one = con.execute("SELECT event_id FROM events WHERE org = ? AND year = ? AND unit = '办公室' LIMIT 1",
                      [ORG, YEAR]).fetchone()[0]
    other = con.execute("SELECT code FROM text_codes WHERE text = '权益部'").fetchone()[0]
    con.execute("UPDATE events SET code_unit = ? WHERE org = ? AND year = ? AND event_id = ?", [other, ORG, YEAR, one])
    con.execute("UPDATE events SET code_problem = NULL WHERE org = ? AND year = ? AND event_id = ?", [ORG, YEAR, one])
    assert codes.check(con) == [(ORG, YEAR, one, "unit"), (ORG, YEAR, one, "problem_key")]


def test_audit_verify_names_a_record_whose_code_disagrees(db_copy):
    from tests.test_cli import run
    assert "编码与文字一致" in run("audit", "verify", db=db_copy).stdout
    con = perfcore.connect(db_copy)
    one = con.execute("SELECT event_id FROM events WHERE org = ? AND year = ? AND unit = '办公室' LIMIT 1",
                      [ORG, YEAR]).fetchone()[0]
    con.execute("UPDATE events SET code_rule = code_rule + 1 WHERE org = ? AND year = ? AND event_id = ?", [ORG, YEAR, one])
    con.close()
    proc = run("audit", "verify", db=db_copy, check=False)
    assert proc.returncode == 1 and f"{ORG} {YEAR} {one} rule" in proc.stderr


def scored(con, org, year):
    y = perfcore.score(con, org, year)
    return y.results, {k: np.asarray(v) for k, v in vars(y.amounts).items()}, y.grid.score


@pytest.mark.parametrize("org, year", [("示例区", 2025), ("示例区", 2021), ("示例市妇联", 2024), ("示例市直机关", 2024)])
def test_scoring_from_the_codes_equals_scoring_from_the_texts(sample_db_path, tmp_path, org, year):
    # a database whose rows are not coded (as one made before the codes, opened read-only) is scored from
    # its texts: the same results, every event's every amount, every cell
    shutil.copy(sample_db_path, tmp_path / "coded.duckdb")
    coded = perfcore.connect(tmp_path / "coded.duckdb", read_only=True)
    results_mod._PAST.clear()
    a = scored(coded, org, year)
    coded.close()
    path = tmp_path / "texts.duckdb"
    shutil.copy(sample_db_path, path)
    w = perfcore.connect(path)
    w.execute(f"UPDATE events SET {codes.UNCODED}")          # not through perfcore: nothing codes them again
    w.close()
    texts = perfcore.connect(path, read_only=True)
    results_mod._PAST.clear()
    from perfcore.engine import eventset
    assert eventset._scan(texts.cursor(), org, year, None, eventset.CODED) is None
    b = scored(texts, org, year)
    texts.close()
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)
    for k in a[1]:
        assert np.array_equal(a[1][k], b[1][k], equal_nan=a[1][k].dtype.kind == "f"), k
    assert np.array_equal(a[2], b[2])


def test_a_copy_that_coded_other_texts_is_never_read_with_the_first_ones_codes(sample_db_path, tmp_path):
    # copies of one database share everything up to the moment they part; after that each gives
    # its own next codes, and what one copy's codes are kept as must never be used for the other
    paths = [tmp_path / "a.duckdb", tmp_path / "b.duckdb"]
    for p in paths:
        shutil.copy(sample_db_path, p)
    seen = []
    for p, unit in zip(paths, ["新设单位甲", "新设单位乙"]):
        con = perfcore.connect(p)
        with transaction(con):
            con.execute("INSERT INTO events (org, year, event_id, date, unit, target, rule, count, status) VALUES "
                        "(?, ?, 'X1', DATE '2024-05-01', ?, '值班', '值班脱岗漏岗', 1, '已审定')", [ORG, YEAR, unit])
        seen.append(dict(codes.known(con)))
        con.close()
    a, b = seen
    assert a["新设单位甲"] == b["新设单位乙"]                   # the same next code, for different texts
    assert "新设单位乙" not in a and "新设单位甲" not in b
    for p, unit in zip(paths, ["新设单位甲", "新设单位乙"]):     # and read again, each is still its own
        con = perfcore.connect(p, read_only=True)
        assert unit in codes.known(con) and codes.check(con) == []
        con.close()


EVERY_COLUMN = """
[[component]]
key = "bonus"
label = "加分"
source = "pool"
name = "正向激励"
[[component]]
key = "inspection"
label = "察访核验"
source = "pool"
name = "察访核验"
weight = -1
[[pool]]
name = "察访核验"
kind = "扣分"
exempt_if_indicator_deducted = true
[[pool]]
name = "正向激励"
kind = "加分"
cap = 10
[roles]
"牵头部室" = 1.0
"会稿部室" = 0.5
[[rule]]
name = "工作落实不力"
amount = 5
[[rule]]
name = "公文差错"
amount = 1
[[rule]]
name = "任务未完成"
range = [0.1, 0.5]
[[rule]]
name = "领导肯定"
kind = "加分"
amount = 2
[[multiplier]]
name = "省市发现双倍"
factor = 2
source_level = ["省", "市"]
targets = ["察访核验"]
[[multiplier]]
name = "整改不到位加倍"
factor = 3
aggravation = ["整改不到位"]
[[multiplier]]
name = "国家级批示"
factor = 2
instruction_level = ["国家"]
[[multiplier]]
name = "已问责减半"
factor = 0.5
accountable = true
targets = ["察访核验"]
[mitigation]
auto_exempt_code = 9
[mitigation.codes]
7 = "及时整改"
9 = "在绩效评估指标中已作相应扣分"
"""


def test_every_coded_column_scores_the_same_from_codes_and_texts_and_as_worked_out_by_hand(tmp_path, monkeypatch):
    # one unit per column the pipeline reads from a code; each value worked out by hand
    from tests.builders import Org, event, scheme
    from perfcore.engine import eventset
    ev = [event("S1", "甲", "业务", "公文差错", status="草稿"),                 # status: a draft does not count
          event("S2", "甲", "业务", "公文差错", status="已核实"),               # counts: 业务 10 - 1 = 9
          event("S3", "甲", "业务", "公文差错", status="已撤销"),               # does not count
          event("S4", "甲", "业务", "公文差错", status="申诉中"),               # counts: 9 - 1 = 8
          event("R1", "乙", "业务", "公文差错", role="会稿部室"),              # role: 1 × 0.5 → 业务 9.5
          event("R2", "乙", "业务", "公文差错", role="牵头部室", date="2025-06-01"),   # 1 × 1.0 → 8.5
          event("L1", "丙", "察访核验", "工作落实不力", level="市"),            # level: 5 × 2 = 10
          event("L2", "丙", "察访核验", "工作落实不力", level="区", accountable=1, date="2025-06-01"),  # 5 × 0.5 = 2.5
          event("A1", "丁", "察访核验", "工作落实不力", aggravation="整改不到位"),  # aggravation: 5 × 3 = 15
          event("I1", "戊", "正向激励", "领导肯定", instruction="国家", matter="M1"),      # instruction: 2 × 2 = 4
          event("I2", "戊", "正向激励", "领导肯定", instruction="省", matter="M1", date="2025-06-01"),  # same matter: 0
          event("I3", "戊", "正向激励", "领导肯定", matter="M2", date="2025-07-01"),        # another matter: 2 → 6
          event("G1", "己", "业务", "任务未完成", amount=0.3),                  # ranged amount entered: 业务 9.7
          event("G2", "己", "业务", "公文差错", mode="减轻", code="7", reason="及时整改", date="2025-06-01"),  # 0.5 → 9.2
          event("G3", "己", "业务", "公文差错", mode="免予", code="7", reason="及时整改", date="2025-07-01"),  # 0 → 9.2
          event("P1", "庚", "业务", "公文差错", problem="同一问题"),            # problem key, inside an indicator: 业务 9
          event("P2", "庚", "察访核验", "工作落实不力", problem="同一问题", date="2025-06-01"),   # item 9: exempt → 0
          event("P3", "庚", "察访核验", "工作落实不力", problem="另一问题", date="2025-07-01"),   # 5
          event("P4", "庚", "察访核验", "工作落实不力", problem="另一问题", level="省", date="2025-08-01")]  # higher: 10 → 10
    org = Org(tmp_path)
    org.units = [[u, "一系列"] for u in ["甲", "乙", "丙", "丁", "戊", "己", "庚"]]
    org.year(2025, scheme(total=10, extra=EVERY_COLUMN), [["", "", "业务", 10, "扣分制"]], events=ev)
    con = org.load()
    expected = {"甲": (8.0, 0.0, 0.0), "乙": (8.5, 0.0, 0.0), "丙": (10.0, 0.0, 12.5), "丁": (10.0, 0.0, 15.0),
                "戊": (10.0, 6.0, 0.0), "己": (9.2, 0.0, 0.0), "庚": (9.0, 0.0, 10.0)}
    runs = []
    for reading in ("codes", "texts"):
        if reading == "texts":
            monkeypatch.setattr(eventset, "_scan", lambda *args: None)
        results_mod._PAST.clear()
        y = perfcore.score(con, org.name, 2025)
        got = y.results.set_index("unit")
        assert {u: (round(r["indicator"], 6), r["bonus"], r["inspection"]) for u, r in got.iterrows()} == expected, reading
        runs.append((y.results, {k: np.asarray(v) for k, v in vars(y.amounts).items()}))
    pd.testing.assert_frame_equal(runs[0][0], runs[1][0], check_exact=True)
    for k in runs[0][1]:
        assert np.array_equal(runs[0][1][k], runs[1][1][k], equal_nan=runs[0][1][k].dtype.kind == "f"), k


def test_texts_changed_by_a_program_of_its_own_are_coded_again_at_the_next_commit(con):
    # the office's own SQL (or an older perfcore) changes a record's texts and leaves its codes: the
    # row's fingerprint no longer matches, and the next commit codes it again
    one = con.execute("SELECT event_id, unit FROM events WHERE org = ? AND year = ? AND unit = '办公室' LIMIT 1",
                      [ORG, YEAR]).fetchone()[0]
    before = perfcore.score(con, ORG, YEAR).results.set_index("unit")["composite"]
    with transaction(con):
        con.execute("UPDATE events SET unit = '权益部' WHERE org = ? AND year = ? AND event_id = ?", [ORG, YEAR, one])
    assert codes.check(con) == [] and decoded(con, one)["unit"] == "权益部"
    results_mod._PAST.clear()
    after = perfcore.score(con, ORG, YEAR).results.set_index("unit")["composite"]
    assert after["办公室"] > before["办公室"] and after["权益部"] < before["权益部"]    # the record moved with its text


def test_texts_changed_without_a_commit_of_perfcore_are_coded_again_when_the_database_is_next_opened(db_copy):
    con = perfcore.connect(db_copy)
    one = con.execute("SELECT event_id FROM events WHERE org = ? AND year = ? AND status = '已审定' LIMIT 1",
                      [ORG, YEAR]).fetchone()[0]
    con.execute("UPDATE events SET status = '已撤销' WHERE org = ? AND year = ? AND event_id = ?", [ORG, YEAR, one])
    assert codes.check(con) == [(ORG, YEAR, one, "status")]         # as an older version of perfcore leaves it
    con.close()
    con = perfcore.connect(db_copy)                                  # opened for writing: coded again
    assert codes.check(con) == [] and decoded(con, one)["status"] == "已撤销"
    con.close()


def test_what_is_published_and_archived_holds_an_events_own_fields_not_its_codes(con):
    from perfcore.workflow import publish
    data = publish.snapshot(con, ORG, YEAR)
    assert data["events"] and not set(codes.COLUMNS) & set(data["events"][0])


def test_the_dictionarys_digest_tells_apart_texts_with_tabs_and_newlines():
    assert codes._digest(0, [(1, "a\n2\tb")]) != codes._digest(0, [(1, "a"), (2, "b")])
    assert codes._digest(0, [(1, "a"), (2, "b")]) == codes._digest(0, [(2, "b"), (1, "a")])


def test_codes_no_dictionary_gave_are_read_from_the_texts(con, monkeypatch):
    from perfcore.engine import eventset
    expected = perfcore.score(con, ORG, YEAR).results
    real = eventset._scan

    def corrupt(cur, org, year, unit, columns):
        out = real(cur, org, year, unit, columns)
        if out is not None and "code_rule" in out:
            out["code_rule"] = out["code_rule"] + 10_000_000        # no text was ever given such a code
        return out
    monkeypatch.setattr(eventset, "_scan", corrupt)
    results_mod._PAST.clear()
    pd.testing.assert_frame_equal(perfcore.score(con, ORG, YEAR).results, expected, check_exact=True)


def test_of_two_equal_names_the_first_position_is_taken_as_from_the_texts():
    from perfcore.engine import eventset
    table = eventset._table({"甲": 1, "乙": 2}, ["乙", "甲", "乙"])
    assert eventset._decode(np.array([0, 1, 2, 2]), table, top=2).tolist() == [-1, 1, 0, 0]


def test_a_year_scored_while_a_change_is_committed_is_scored_again_at_one_version(con, monkeypatch):
    # the year's tables come through several cursors; a change committed meanwhile (here: during the
    # first reading) makes the year be read and scored again, so it is all of one data version
    real = results_mod.score_base
    calls = []

    def meanwhile(c, org, year, *args, **kwargs):
        calls.append(year)
        scored = real(c, org, year, *args, **kwargs)
        if len(calls) == 1:          # committed after the year was read, before it is handed back
            ledger.revoke_event(c, ORG, YEAR, gone, who="王某", why="申诉成立")
        return scored
    gone = con.execute("SELECT event_id FROM events WHERE org = ? AND year = ? AND status = '已审定' AND unit = '办公室' "
                       "LIMIT 1", [ORG, YEAR]).fetchone()[0]
    results_mod._PAST.clear()
    monkeypatch.setattr(results_mod, "score_base", meanwhile)
    year = perfcore.score(con, ORG, YEAR)
    assert calls[:2] == [YEAR, YEAR]                                   # then the earlier year, for the history
    assert gone not in set(year.event_lines()["event_id"])           # the second reading: the record revoked
