"""The audit log: one row per change to stored data, appended inside the change's own transaction."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd


def jsonable(value):
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()[:10] if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else str(value)
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def to_json(row: dict | None) -> str | None:
    return None if row is None else json.dumps({k: jsonable(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True)


def audit(con, who: str, action: str, org: str, year: int | None, entity: str, entity_id: str,
          before: dict | None, after: dict | None, why: str | None, via: str) -> None:
    """Append one row to the audit log (inside the caller's transaction)."""
    con.execute("INSERT INTO audit_log (changed_at, who, action, org, year, entity, entity_id, before_json, after_json, why, via) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [dt.datetime.now(), who, action, org, year, entity, entity_id, to_json(before), to_json(after), why, via])


def audit_log(con, org: str | None = None, year: int | None = None, who: str | None = None,
              action: str | None = None, entity_id: str | None = None) -> pd.DataFrame:
    """The audit log, newest first, filtered."""
    where, params = ["TRUE"], []
    for column, value in (("org", org), ("year", year), ("who", who), ("action", action), ("entity_id", entity_id)):
        if value not in (None, ""):
            where.append(f"{column} = ?")
            params.append(value)
    return con.execute(f"SELECT * FROM audit_log WHERE {' AND '.join(where)} ORDER BY id DESC", params).df()
