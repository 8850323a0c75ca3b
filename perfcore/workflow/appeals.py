"""Appeals (申诉): a unit contests one of its records; the office decides on the record.

    file(con, "示例区", 2025, "2025-0083", reason="…", evidence="区委办〔2025〕12号", who=unit_account)
    decide(con, appeal_id, "revoked", "申诉成立：…", who=office_account)

While the year's feedback window is open (feedback.py), a unit appeals a record of its own
with a reason, a document number and optionally a file (kept in the database). The record's
status becomes 申诉中 and it counts as the scheme's `counted_statuses` say. The office decides:
维持 (upheld: the record stands, back to 已审定), 撤销 (revoked: it stops counting, with the
decision as its reason) or 调整 (adjusted: count, amount or mitigation changed, back to 已审定),
always with a reason. Every step writes an audit row and the record keeps its versions; an
appeal, once decided, keeps the version it had while open.
"""
from __future__ import annotations

import datetime as dt
from pathlib import PurePath

import pandas as pd

from ..access import actor, may_see_unit, require_office, require_own_unit, sees_everything
from ..errors import PerfcoreError
from ..ingest import ledger
from ..store.audit import audit, to_json
from ..store.connection import transaction
from ..vocab import APPEAL_DECISIONS, APPEAL_OPEN, APPEAL_STATUS_AFTER, MAX_ATTACHMENT_BYTES, REVOKED
from .feedback import current as current_window
from .feedback import is_open

# The fields an adjustment may change (the rest of a record is what was found, and is appealed as a whole).
ADJUSTABLE = ("count", "base_amount", "mitigation_code", "mitigation_mode", "mitigation_reason")
PUBLIC = ("appeal_id", "org", "year", "event_id", "unit", "filed_by", "filed_at", "reason", "evidence", "status_before",
          "attachment_name", "decision", "decided_by", "decided_at", "decision_reason")


def _appeal(con, appeal_id: int) -> dict | None:
    frame = con.execute(f"SELECT {', '.join(PUBLIC)}, version FROM appeals WHERE appeal_id = ?", [int(appeal_id)]).df()
    if frame.empty:
        return None
    return {k: (None if v is pd.NaT or (isinstance(v, float) and v != v) else v) for k, v in frame.iloc[0].to_dict().items()}


def file(con, org: str, year: int, event_id: str, reason: str, who, evidence: str | None = None,
         attachment: tuple[str, bytes] | None = None, via: str = "page") -> dict:
    """Appeal a record. Returns the appeal. Only the record's unit (or the office for it) may, while feedback is open."""
    account = actor(who)
    if not (reason or "").strip():
        raise PerfcoreError("请写明申诉理由 / please give the reason for the appeal")
    if attachment is not None:
        name, content = attachment
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise PerfcoreError(f"附件过大（上限 {MAX_ATTACHMENT_BYTES // 1048576} MB） / the attachment is too large "
                                f"(limit {MAX_ATTACHMENT_BYTES // 1048576} MB)")
        attachment = (PurePath(str(name)).name[:200] or "附件", bytes(content))
    now = dt.datetime.now()
    with transaction(con):
        record = ledger.event(con, org, year, event_id)
        if record is None:
            raise PerfcoreError(f"没有编号为 {event_id} 的记录 / no record {event_id}")
        require_own_unit(account, org, record["unit"], "对该记录提出申诉", "appeal this record")
        if account.role != "office" and not is_open(con, org, year):
            raise PerfcoreError(f"{year} 年度现在不在反馈期内，不能申诉 / {year} is not open for feedback; appeals are closed")
        if record["status"] in (REVOKED, "草稿"):
            raise PerfcoreError(f"记录 {event_id} 的状态为「{record['status']}」，不计分，无需申诉 / record {event_id} is "
                                f"'{record['status']}' and does not count; there is nothing to appeal")
        if record["status"] == APPEAL_OPEN or _open_for(con, org, year, event_id):
            raise PerfcoreError(f"记录 {event_id} 已在申诉中 / record {event_id} is already under appeal")
        appeal_id = con.execute(
            "INSERT INTO appeals (org, year, event_id, unit, filed_by, filed_at, reason, evidence, status_before, "
            "attachment_name, attachment, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING appeal_id",
            [org, year, event_id, record["unit"], account.name, now, reason.strip(), (evidence or "").strip() or None,
             record["status"], attachment[0] if attachment else None, attachment[1] if attachment else None]).fetchone()[0]
        ledger.supersede_event(con, org, year, record, {**record, "status": APPEAL_OPEN}, account.name, "appeal",
                               reason.strip(), via)
        audit(con, account.name, "appeal-file", org, year, "appeal", str(appeal_id), None,
              {k: v for k, v in _appeal(con, appeal_id).items() if k != "version"}, reason.strip(), via)
    return _appeal(con, appeal_id)


def _open_for(con, org, year, event_id) -> bool:
    return con.execute("SELECT count(*) FROM appeals WHERE org = ? AND year = ? AND event_id = ? AND decision IS NULL",
                       [org, year, event_id]).fetchone()[0] > 0


def decide(con, appeal_id: int, decision: str, reason: str, who, changes: dict | None = None, via: str = "page") -> dict:
    """The office's decision on an open appeal: 'upheld', 'revoked' or 'adjusted' (with `changes` to the record)."""
    account = actor(who)
    if decision not in APPEAL_DECISIONS:
        raise PerfcoreError(f"决定应为 {'、'.join(APPEAL_DECISIONS)} 之一 / decision must be one of {', '.join(APPEAL_DECISIONS)}")
    if not (reason or "").strip():
        raise PerfcoreError("请写明决定的理由 / please give the reason for the decision")
    changes = {k: v for k, v in (changes or {}).items() if k in ADJUSTABLE}
    if decision == "adjusted" and not changes:
        raise PerfcoreError("调整须说明改动的内容（次数、标准分或减免） / an adjustment needs what changes (count, amount or mitigation)")
    now = dt.datetime.now()
    with transaction(con):
        appeal = _appeal(con, appeal_id)
        if appeal is None:
            raise PerfcoreError(f"没有编号为 {appeal_id} 的申诉 / no appeal {appeal_id}")
        org, year = appeal["org"], int(appeal["year"])
        require_office(account, org, "处理申诉", "decide appeals")
        if appeal["decision"] is not None:
            raise PerfcoreError(f"申诉 {appeal_id} 已于 {appeal['decided_at']:%Y-%m-%d} 作出决定 / appeal {appeal_id} was decided "
                                f"on {appeal['decided_at']:%Y-%m-%d}")
        record = ledger.event(con, org, year, appeal["event_id"])
        word = APPEAL_DECISIONS[decision][0]
        why = f"申诉{word}：{reason.strip()}"
        if decision == "revoked":
            new = {**record, "status": REVOKED, "revoked_reason": why}
        else:
            new = {**record, **changes, "status": APPEAL_STATUS_AFTER[decision]}
            if decision == "adjusted":
                new = ledger.checked(con, org, year, new)
        ledger.supersede_event(con, org, year, record, new, account.name, f"appeal-{decision}", why, via)
        con.execute("INSERT INTO row_versions VALUES ('appeals', ?, ?, ?, ?, ?, ?)",
                    [org, year, str(appeal_id), int(appeal["version"]), now,
                     to_json({k: v for k, v in appeal.items() if k != "version"})])
        con.execute("UPDATE appeals SET decision = ?, decided_by = ?, decided_at = ?, decision_reason = ?, version = version + 1 "
                    "WHERE appeal_id = ? AND version = ?", [decision, account.name, now, reason.strip(), int(appeal_id),
                                                           int(appeal["version"])])
        audit(con, account.name, "appeal-decide", org, year, "appeal", str(appeal_id),
              {"decision": None}, {"decision": decision, "changes": changes or None}, reason.strip(), via)
    return _appeal(con, appeal_id)


def appeals(con, org: str, year: int, who, open_only: bool = False) -> pd.DataFrame:
    """The year's appeals the account may see (a unit: its own), newest first, with the deadline."""
    account = actor(who)
    where, params = "org = ? AND year = ?", [org, year]
    if not sees_everything(account):
        if account.role != "unit":
            return pd.DataFrame(columns=list(PUBLIC) + ["closes_on"])
        where += " AND unit = ?"
        params.append(account.unit)
    if open_only:
        where += " AND decision IS NULL"
    frame = con.execute(f"SELECT {', '.join(PUBLIC)} FROM appeals WHERE {where} ORDER BY filed_at DESC", params).df()
    window = current_window(con, org, year)
    frame["closes_on"] = window["closes_on"] if window else None
    return frame


def attachment(con, appeal_id: int, who) -> tuple[str, bytes] | None:
    """An appeal's attached file, for an account that may see the appeal."""
    account = actor(who)
    row = con.execute("SELECT org, year, unit, attachment_name, attachment FROM appeals WHERE appeal_id = ?",
                      [int(appeal_id)]).fetchone()
    if row is None or row[4] is None or not may_see_unit(con, account, row[0], row[1], row[2]):
        return None
    return row[3], bytes(row[4])
