"""The feedback window (反馈): the office opens a year's preliminary results to the units before
publishing. While it is open, each unit sees its own preliminary score, rank and records and
may appeal its records (appeals.py); publishing closes it. Windows are kept, never deleted.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..access import actor, feedback_open, require_office
from ..errors import PerfcoreError
from ..store.audit import audit
from ..store.connection import transaction


def current(con, org: str, year: int) -> dict | None:
    """The open window of a year (closes_on, opened_by …), or None."""
    frame = con.execute("SELECT * FROM feedback_windows WHERE org = ? AND year = ? AND closed_at IS NULL "
                        "ORDER BY opened_at DESC LIMIT 1", [org, year]).df()
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    row["closes_on"] = None if pd.isna(row["closes_on"]) else pd.Timestamp(row["closes_on"]).date()
    return row


def is_open(con, org: str, year: int) -> bool:
    """Whether units may see their preliminary results and appeal now (open, and its closing day not passed)."""
    return feedback_open(con, org, year)


def open_window(con, org: str, year: int, closes_on: dt.date, who, note: str | None = None, via: str = "page") -> dict:
    """Open the year's preliminary results to the units until `closes_on` (the appeal deadline)."""
    account = actor(who)
    require_office(account, org, "开放反馈", "open the feedback window")
    if closes_on < dt.date.today():
        raise PerfcoreError("反馈截止日期不能早于今天 / the closing day cannot be before today")
    if con.execute("SELECT count(*) FROM publications WHERE org = ? AND year = ?", [org, year]).fetchone()[0]:
        raise PerfcoreError(f"{year} 年度已发布，不能再开放反馈 / {year} is published; feedback cannot be opened again")
    now = dt.datetime.now()
    with transaction(con):
        if current(con, org, year) is not None:
            raise PerfcoreError(f"{year} 年度的反馈已开放 / feedback on {year} is open already")
        con.execute("INSERT INTO feedback_windows (org, year, opened_at, opened_by, closes_on, note) VALUES (?, ?, ?, ?, ?, ?)",
                    [org, year, now, account.name, closes_on, note])
        audit(con, account.name, "feedback-open", org, year, "year", str(year), None,
              {"closes_on": closes_on.isoformat()}, note, via)
    return current(con, org, year)


def close_open(con, org: str, year: int, who: str, via: str, why: str) -> None:
    """Close the year's open window (inside the caller's transaction; publishing does this)."""
    window = current(con, org, year)
    if window is None:
        return
    con.execute("UPDATE feedback_windows SET closed_at = ?, closed_by = ? WHERE org = ? AND year = ? AND opened_at = ?",
                [dt.datetime.now(), who, org, year, window["opened_at"]])
    audit(con, who, "feedback-close", org, year, "year", str(year), {"closes_on": str(window["closes_on"])}, None, why, via)


def close_window(con, org: str, year: int, who, why: str | None = None, via: str = "page") -> None:
    """Close the feedback window before publishing (appeals already filed stay open for decision)."""
    account = actor(who)
    require_office(account, org, "结束反馈", "close the feedback window")
    with transaction(con):
        if current(con, org, year) is None:
            raise PerfcoreError(f"{year} 年度没有开放中的反馈 / no open feedback on {year}")
        close_open(con, org, year, account.name, via, why or "效能办结束反馈 / closed by the office")


def history(con, org: str, year: int) -> pd.DataFrame:
    return con.execute("SELECT opened_at, opened_by, closes_on, closed_at, closed_by, note FROM feedback_windows "
                       "WHERE org = ? AND year = ? ORDER BY opened_at DESC", [org, year]).df()
