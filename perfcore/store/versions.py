"""Versioned rows of the offices' tables: a change keeps the earlier version, a removal retires.

Every table in `connection.VERSIONED_TABLES` has `version`, `retired`, `changed_at` and
`changed_by`. Reads of current data filter `NOT retired`; `row_versions` holds every
superseded version as JSON, so no row an office ever gave is lost. Call these inside a
`transaction`: the version check makes a concurrent change of the same row fail loudly
instead of overwriting it.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..errors import PerfcoreError
from .audit import jsonable, to_json
from .connection import ROW_META

YEARLESS = {"units"}


def row_key(row: dict, keys: tuple) -> str:
    """A row's identity as text: its key fields joined by ' / '."""
    return " / ".join("" if row.get(k) is None else str(jsonable(row.get(k))) for k in keys)


def _where(table: str, keys: tuple, org: str, year: int | None, row: dict) -> tuple[str, list]:
    where = ["org = ?"] + ([] if table in YEARLESS else ["year = ?"])
    params = [org] + ([] if table in YEARLESS else [year])
    for k in keys:
        where.append(f"{k} IS NOT DISTINCT FROM ?")
        params.append(row.get(k))
    return " AND ".join(where), params


def current(con, table: str, org: str, year: int | None, include_retired: bool = False) -> pd.DataFrame:
    """The table's rows for an organisation (and year), current versions only."""
    where = "org = ?" + ("" if table in YEARLESS else " AND year = ?")
    params = [org] + ([] if table in YEARLESS else [year])
    if not include_retired:
        where += " AND NOT retired"
    return con.execute(f"SELECT * FROM {table} WHERE {where}", params).df()


def _content(row: dict, columns: list) -> dict:
    return {c: row.get(c) for c in columns if c not in ROW_META and c not in ("org", "year")}


def insert(con, table: str, org: str, year: int | None, row: dict, who: str, now: dt.datetime | None = None) -> None:
    """Write a new row as version 1."""
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    values = {**_content(row, columns), "org": org, "version": 1, "retired": False,
              "changed_at": now or dt.datetime.now(), "changed_by": who}
    if table not in YEARLESS:
        values["year"] = year
    cols = [c for c in columns if c in values]
    con.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", [values[c] for c in cols])


def supersede(con, table: str, keys: tuple, org: str, year: int | None, old: dict, new: dict | None, who: str,
              retire: bool = False, now: dt.datetime | None = None) -> None:
    """Replace the current version of a row by `new` (or retire it, or bring a retired row back).

    The old version goes to `row_versions`. Raises if the row changed since `old` was read.
    """
    now = now or dt.datetime.now()
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    version = int(old.get("version") or 1)
    con.execute("INSERT INTO row_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
                [table, org, None if table in YEARLESS else year, row_key(old, keys), version, now,
                 to_json({**_content(old, columns), "retired": bool(old.get("retired"))})])
    content = _content(new if new is not None else old, columns)
    sets = {**{c: v for c, v in content.items() if c not in keys}, "version": version + 1, "retired": retire,
            "changed_at": now, "changed_by": who}
    where, params = _where(table, keys, org, year, old)
    changed = con.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in sets)} WHERE {where} AND version = ?",
                          list(sets.values()) + params + [version]).fetchone()[0]
    if changed != 1:
        raise PerfcoreError(f"「{row_key(old, keys)}」刚被其他人修改，请刷新后重试 / "
                            f"'{row_key(old, keys)}' was changed by someone else meanwhile; reload and try again")


def history(con, table: str, org: str, year: int | None, key: str) -> pd.DataFrame:
    """Every superseded version of one row, oldest first (the current one is in the table)."""
    return con.execute("SELECT version, superseded_at, row_json FROM row_versions WHERE entity = ? AND org = ? "
                       "AND year IS NOT DISTINCT FROM ? AND row_key = ? ORDER BY version",
                       [table, org, None if table in YEARLESS else year, key]).df()
