"""Progress reports (工作进度表) filed by the units, and who has not filed by the deadline.

A unit files its report for a period on the page; the lines go through exactly the checks of
an imported 工作进度表 (importer.plan_entries), and only the unit itself (or the office) may
file it. Each period is due on its day of the year (vocab.PERIOD_DUE; S4: 30 Sep and 31 Dec).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..access import actor, require_own_unit
from ..ingest import importer
from ..names import sort_names
from ..vocab import PERIOD_DUE, PERIODS


def due(year: int, period: str) -> dt.date:
    """The day a period's report is due."""
    month, day = PERIOD_DUE[period]
    return dt.date(year, month, day)


def file_report(con, org: str, year: int, unit: str, period: str, lines: list[dict], who, reporter: str | None = None,
                report_date: dt.date | None = None, via: str = "page") -> int:
    """File (or correct) a unit's report for a period: lines of indicator, percent, progress,
    problems, next_steps. Returns the number of lines added or changed."""
    account = actor(who)
    require_own_unit(account, org, unit, "填报工作进度", "file progress reports")
    when = (report_date or dt.date.today()).isoformat()
    entries = [{"unit": unit, "period": period, "indicator": line.get("indicator"),
                "percent": "" if line.get("percent") is None else str(line.get("percent")),
                "progress": line.get("progress") or "", "problems": line.get("problems") or "",
                "next_steps": line.get("next_steps") or "", "reporter": reporter or account.name, "report_date": when}
               for line in lines]
    plan = importer.plan_entries(con, "progress", org, year, entries, f"{unit} {period} 工作进度表", period)
    return importer.apply_import(con, plan, account, why=f"填报{period}工作进度 / progress report filed", via=via)


def filing_status(con, org: str, year: int, period: str, today: dt.date | None = None) -> pd.DataFrame:
    """Every unit evaluated in the year: whether it filed the period's report, when, and whether it is late."""
    if period not in PERIODS:
        raise ValueError(period)
    today = today or dt.date.today()
    units = con.execute("SELECT unit FROM units WHERE org = ? AND NOT retired AND (first_year IS NULL OR first_year <= ?) "
                        "AND (last_year IS NULL OR last_year >= ?)", [org, year, year]).df()["unit"]
    filed = con.execute("SELECT unit, max(report_date) AS filed_on, count(*) AS lines FROM progress "
                        "WHERE org = ? AND year = ? AND period = ? AND NOT retired GROUP BY unit", [org, year, period]).df()
    frame = pd.DataFrame({"unit": sort_names(units)}).merge(filed, on="unit", how="left")
    deadline = due(year, period)
    frame["due"] = deadline
    frame["filed"] = frame["lines"].notna()
    frame["late"] = ~frame["filed"] & (today > deadline)
    frame["lines"] = frame["lines"].fillna(0).astype(int)
    return frame[["unit", "filed", "filed_on", "lines", "due", "late"]]
