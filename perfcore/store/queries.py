"""Read-only lookups the screens need besides scores: progress reports and event details."""
from __future__ import annotations

import pandas as pd

from . import codes


def progress(con, org: str, year: int) -> pd.DataFrame:
    """The year's quarterly progress reports (工作进度表)."""
    return con.execute("SELECT unit, period, indicator, percent, progress, problems, next_steps, reporter, report_date "
                       "FROM progress WHERE org = ? AND year = ? AND NOT retired", [org, year]).df()


def events(con, org: str, year: int, unit: str | None = None) -> pd.DataFrame:
    """The year's ledger as recorded (of one unit, or all), every status included."""
    where, params = "org = ? AND year = ?", [org, year]
    if unit is not None:
        where += " AND unit = ?"
        params.append(unit)
    return con.execute(f"SELECT * EXCLUDE (org, year, {', '.join(codes.COLUMNS)}) FROM events WHERE {where} "
                       "ORDER BY date, event_id", params).df()
