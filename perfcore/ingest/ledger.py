"""Recording and correcting events through the year, with an audit trail. Nothing is ever deleted.

- add_event: a new record, checked like a ledger row;
- edit_event: the earlier version is kept in event_versions;
- revoke_event: status 已撤销 with the reason; the trace shows it greyed, with the reason.

Every change writes one audit_log row: when, who (the name given at sign-in), what,
before and after, why, and through what (page, CLI, import).
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from .checks import YearContext, check_event
from ..errors import Collector, InputError, PerfcoreError, Problem
from ..engine.results import load_scheme
from ..store.audit import audit, jsonable, to_json
from ..store.connection import transaction
from .tables import TABLES, convert, public_fields

def year_context(con, org: str, year: int) -> YearContext:
    """The scheme, indicators and units a row of this organisation-year is checked against."""
    scheme = load_scheme(con, org, year)
    ind = con.execute("SELECT indicator, points, mode FROM indicators WHERE org = ? AND year = ?", [org, year]).fetchall()
    units = con.execute("SELECT unit, first_year, last_year FROM units WHERE org = ?", [org]).fetchall()
    active = {u for u, a, b in units if (a is None or a <= year) and (b is None or b >= year)}
    return YearContext(org, year, scheme, {i: p for i, p, _ in ind}, {i: m for i, _, m in ind}, {u for u, _, _ in units}, active)


def event(con, org: str, year: int, event_id: str) -> dict | None:
    """The current version of one event, or None."""
    frame = con.execute("SELECT * FROM events WHERE org = ? AND year = ? AND event_id = ?", [org, year, event_id]).df()
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    if isinstance(row.get("date"), pd.Timestamp):
        row["date"] = row["date"].date()
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}


def _require(who: str, why: str | None, need_why: bool):
    if not (who or "").strip():
        raise PerfcoreError("请先填写操作人姓名 / please give your name first")
    if need_why and not (why or "").strip():
        raise PerfcoreError("请说明修改或撤销的理由 / please give the reason for this change")


def _typed(fields: dict) -> tuple[dict, list]:
    """Convert typed-in text to the ledger's types, as a ledger row would be."""
    c = Collector("录入 / entry")
    row = {"_row": None}
    for col in TABLES["events"]["columns"]:
        raw = fields.get(col.key)
        if raw is None or isinstance(raw, str):
            try:
                row[col.key] = convert(raw or "", col)
            except ValueError as exc:
                c.add(None, col.zh, raw, *exc.args)
        else:
            row[col.key] = raw
    return row, c.problems


def _check(con, org, year, row: dict, skip_duplicate_of: str | None = None) -> None:
    ctx = year_context(con, org, year)
    if skip_duplicate_of is None:
        existing = {r[0] for r in con.execute("SELECT event_id FROM events WHERE org = ? AND year = ?", [org, year]).fetchall()}
        if row["event_id"] in existing:
            raise InputError([Problem("录入 / entry", None, "编号", row["event_id"], "编号已存在", "this id already exists")])
    c = Collector("录入 / entry")
    if not check_event(c, row, ctx):
        raise InputError(c.problems)


def next_id(con, org: str, year: int) -> str:
    """A new event id for the year: YEAR-M0001, YEAR-M0002, …"""
    ids = [r[0] for r in con.execute("SELECT event_id FROM events WHERE org = ? AND year = ? AND event_id LIKE ?",
                                     [org, year, f"{year}-M%"]).fetchall()]
    n = max([int(i.rsplit("M", 1)[1]) for i in ids if i.rsplit("M", 1)[1].isdigit()] + [0]) + 1
    return f"{year}-M{n:04d}"


def _write(con, org: str, year: int, row: dict, version: int, who: str) -> None:
    values = public_fields("events", row)
    values.update(org=org, year=year, version=version, revoked_reason=row.get("revoked_reason"),
                  updated_at=dt.datetime.now(), updated_by=who)
    cols = list(values)
    con.execute(f"INSERT OR REPLACE INTO events ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [values[c] for c in cols])


def _supersede(con, org: str, year: int, old: dict, new: dict, who: str, action: str, why: str | None, via: str,
               audit_row: bool = True) -> None:
    """Keep the old version, write the new one as the next version, and (unless told not to) audit it."""
    con.execute("INSERT INTO event_versions VALUES (?, ?, ?, ?, ?, ?)",
                [org, year, old["event_id"], int(old.get("version") or 1), dt.datetime.now(), to_json(old)])
    _write(con, org, year, new, int(old.get("version") or 1) + 1, who)
    if audit_row:
        audit(con, who, action, org, year, "event", old["event_id"], _public(old), _public(new), why, via)


def add_event(con, org: str, year: int, fields: dict, who: str, why: str | None = None, via: str = "page") -> dict:
    """Record a new event. Raises InputError (nothing written) if it does not pass the ledger's checks."""
    _require(who, why, False)
    row, problems = _typed({**fields, "event_id": fields.get("event_id") or next_id(con, org, year)})
    if problems:
        raise InputError(problems)
    _check(con, org, year, row)
    with transaction(con):
        _write(con, org, year, row, 1, who)
        audit(con, who, "add", org, year, "event", row["event_id"], None, _public(row), why, via)
    return event(con, org, year, row["event_id"])


def _public(row: dict) -> dict:
    return public_fields("events", row)


def edit_event(con, org: str, year: int, event_id: str, changes: dict, who: str, why: str, via: str = "page") -> dict:
    """Change an event; the earlier version is kept. Raises InputError if the result does not pass the checks."""
    _require(who, why, True)
    old = event(con, org, year, event_id)
    if old is None:
        raise PerfcoreError(f"没有编号为 {event_id} 的记录 / no record {event_id}")
    if old["status"] == "已撤销":
        raise PerfcoreError(f"记录 {event_id} 已撤销，不能修改 / record {event_id} is revoked and cannot be changed")
    merged = {**_public(old), **{k: v for k, v in changes.items() if k != "event_id"}}
    row, problems = _typed(merged)
    if problems:
        raise InputError(problems)
    _check(con, org, year, row, skip_duplicate_of=event_id)
    if to_json(_public(row)) == to_json(_public(old)):
        return old
    with transaction(con):
        _supersede(con, org, year, old, row, who, "edit", why, via)
    return event(con, org, year, event_id)


def revoke_event(con, org: str, year: int, event_id: str, who: str, why: str, via: str = "page") -> dict:
    """Revoke an event: it stops counting, stays visible with its reason, and its earlier version is kept."""
    _require(who, why, True)
    old = event(con, org, year, event_id)
    if old is None:
        raise PerfcoreError(f"没有编号为 {event_id} 的记录 / no record {event_id}")
    if old["status"] == "已撤销":
        return old
    with transaction(con):
        _supersede(con, org, year, old, {**old, "status": "已撤销", "revoked_reason": why}, who, "revoke", why, via)
    return event(con, org, year, event_id)


def versions(con, org: str, year: int, event_id: str) -> pd.DataFrame:
    """Every earlier version of an event, oldest first, then the current one."""
    old = con.execute("SELECT version, superseded_at, row_json FROM event_versions WHERE org = ? AND year = ? AND event_id = ? "
                      "ORDER BY version", [org, year, event_id]).fetchall()
    rows = [{"version": v, "superseded_at": t, **json.loads(j)} for v, t, j in old]
    current = event(con, org, year, event_id)
    if current:
        rows.append({"superseded_at": None, **{k: jsonable(v) for k, v in current.items()}})
    return pd.DataFrame(rows)


