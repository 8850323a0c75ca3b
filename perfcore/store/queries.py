"""Read-only lookups the screens need besides scores: progress reports and event details."""
from __future__ import annotations

import pandas as pd


def progress(con, org: str, year: int) -> pd.DataFrame:
    """The year's quarterly progress reports (工作进度表)."""
    return con.execute("SELECT unit, period, indicator, percent, progress, problems, next_steps, reporter, report_date "
                       "FROM progress WHERE org = ? AND year = ? AND NOT retired", [org, year]).df()


def events(con, org: str, year: int) -> pd.DataFrame:
    """The year's ledger as recorded, every status included."""
    return con.execute("SELECT * EXCLUDE (org, year) FROM events WHERE org = ? AND year = ? ORDER BY date, event_id",
                       [org, year]).df()
