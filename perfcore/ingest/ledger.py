"""Recording and correcting events through the year, with an audit trail. Nothing is ever deleted.

- add_event: a new record, checked like a ledger row, with a new id allocated atomically;
- edit_event: the earlier version is kept in event_versions;
- revoke_event: status 已撤销 with the reason; the trace shows it greyed, with the reason;
- reinstate_event: a revoked record counts again, only when asked for by name, with a reason.

Every change writes one audit_log row: when, who, what, before and after, why, and through
what (page, CLI, import). Checks that depend on what is stored (is the id free, is this still
the version the user saw) run inside the write transaction, so two people recording at the
same moment never get the same id and never overwrite each other.
"""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd

from ..access import Account, actor, require_record
from ..engine.results import load_scheme
from ..errors import Collector, InputError, PerfcoreError, Problem
from ..store import codes
from ..store.audit import audit, jsonable, to_json
from ..store.connection import transaction
from ..vocab import REVOKED
from .checks import YearContext, check_event
from .tables import TABLES, convert, public_fields

ENTRY = "录入 / entry"


def year_context(con, org: str, year: int) -> YearContext:
    """The scheme, indicators and units a row of this organisation-year is checked against."""
    scheme = load_scheme(con, org, year)
    ind = con.execute("SELECT indicator, points, mode FROM indicators WHERE org = ? AND year = ? AND NOT retired",
                      [org, year]).fetchall()
    units = con.execute("SELECT unit, first_year, last_year FROM units WHERE org = ? AND NOT retired", [org]).fetchall()
    active = {u for u, a, b in units if (a is None or a <= year) and (b is None or b >= year)}
    return YearContext(org, year, scheme, {i: p for i, p, _ in ind}, {i: m for i, _, m in ind}, {u for u, _, _ in units}, active)


def event(con, org: str, year: int, event_id: str) -> dict | None:
    """The current version of one event, or None."""
    frame = con.execute(f"SELECT * {codes.EXCLUDE} FROM events WHERE org = ? AND year = ? AND event_id = ?",
                        [org, year, event_id]).df()
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    if isinstance(row.get("date"), pd.Timestamp):
        row["date"] = row["date"].date()
    return {k: (None if (isinstance(v, float) and v != v) or v is pd.NaT else v) for k, v in row.items()}


def _require(who, why: str | None, need_why: bool) -> Account:
    """The acting account (an Account, or a script's operator named by text), and the reason if one is needed."""
    account = actor(who)
    if need_why and not (why or "").strip():
        raise PerfcoreError("请说明修改或撤销的理由 / please give the reason for this change")
    return account


def _typed(fields: dict) -> tuple[dict, list]:
    """Convert typed-in text to the ledger's types, as a ledger row would be."""
    c = Collector(ENTRY)
    row = {"_row": None}
    for col in TABLES["events"]["columns"]:
        raw = fields.get(col.key)
        if raw is None or isinstance(raw, str):
            try:
                row[col.key] = convert(raw or "", col)
            except ValueError as exc:
                c.add(None, col.zh, raw, *exc.args)
                row.setdefault("_bad", set()).add(col.key)
                row[col.key] = None
        else:
            row[col.key] = raw
    return row, c.problems


def _check(con, org, year, row: dict) -> None:
    c = Collector(ENTRY)
    if not check_event(c, row, year_context(con, org, year)) or row.get("_bad"):
        raise InputError(c.problems)


def checked(con, org: str, year: int, record: dict) -> dict:
    """A changed record, typed and checked as a ledger row (InputError if it does not pass); keeps
    the stored fields a ledger row does not have."""
    row, problems = _typed(_public(record))
    if problems:
        raise InputError(problems)
    _check(con, org, year, row)
    return {**record, **row}


def next_id(con, org: str, year: int) -> str:
    """A new event id for the year: YEAR-M0001, YEAR-M0002, … (call inside the write transaction)."""
    ids = [r[0] for r in con.execute("SELECT event_id FROM events WHERE org = ? AND year = ? AND event_id LIKE ?",
                                     [org, year, f"{year}-M%"]).fetchall()]
    n = max([int(i.rsplit("M", 1)[1]) for i in ids if i.rsplit("M", 1)[1].isdigit()] + [0]) + 1
    return f"{year}-M{n:04d}"


def _values(org: str, year: int, row: dict, version: int, who: str) -> dict:
    values = public_fields("events", row)
    values.update(org=org, year=year, version=version, revoked_reason=row.get("revoked_reason"),
                  updated_at=dt.datetime.now(), updated_by=who, carried_over=bool(row.get("carried_over")))
    return values


def _insert(con, org: str, year: int, row: dict, who: str) -> None:
    values = _values(org, year, row, 1, who)
    try:
        con.execute(f"INSERT INTO events ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})", list(values.values()))
    except duckdb.ConstraintException:
        raise InputError([Problem(ENTRY, None, "编号", row["event_id"], "编号已存在", "this id already exists")])


def _existing(con, account: Account, org: str, year: int, event_id: str) -> dict:
    """The current version of a record the account may change (inside the write transaction)."""
    old = event(con, org, year, event_id)
    if old is None:
        raise PerfcoreError(f"没有编号为 {event_id} 的记录 / no record {event_id}")
    require_record(con, account, org, year, old["target"])
    return old


def supersede_event(con, org: str, year: int, old: dict, new: dict, who: str, action: str, why: str | None, via: str,
                    audit_row: bool = True) -> None:
    """Keep the old version, write the new one as the next version, and (unless told not to) audit it.

    Call inside the caller's `transaction`, after its own permission checks; `who` is the name recorded.

    The update only applies to the version that was read; if someone changed the record in
    between, nothing is written and the caller is told to look again.
    """
    version = int(old.get("version") or 1)
    values = _values(org, year, new, version + 1, who)
    keys = ("org", "year", "event_id")
    sets = {k: v for k, v in values.items() if k not in keys}
    changed = con.execute(f"UPDATE events SET {', '.join(f'{k} = ?' for k in sets)}, {codes.UNCODED} "
                          "WHERE org = ? AND year = ? AND event_id = ? AND version = ?",
                          list(sets.values()) + [org, year, old["event_id"], version]).fetchone()[0]
    if changed != 1:
        raise PerfcoreError(f"记录 {old['event_id']} 刚被其他人修改，请刷新后重试 / record {old['event_id']} was changed "
                            "by someone else meanwhile; reload and try again")
    con.execute("INSERT INTO event_versions VALUES (?, ?, ?, ?, ?, ?)",
                [org, year, old["event_id"], version, dt.datetime.now(), to_json(old)])
    if audit_row:
        audit(con, who, action, org, year, "event", old["event_id"], _public(old), _public(new), why, via)


class LooksLikeADuplicate(PerfcoreError):
    """A new record is identical to one already stored (a second click on Save?)."""

    def __init__(self, ids: list[str]):
        self.ids = ids
        super().__init__(f"与已有记录 {'、'.join(ids)} 完全相同，未保存。如确属另一件事，请勾选“确属另一件事”后再保存。"
                         f" / identical to record {', '.join(ids)}; not saved. If it really is another matter, tick "
                         "'another matter' and save again.")


SAME_MATTER = ("unit", "target", "rule", "date", "source_level", "count", "base_amount", "problem_key", "matter_key",
               "evidence", "description")


def identical(con, org: str, year: int, row: dict) -> list[str]:
    """Ids of stored records (not revoked) identical to `row` on everything but the id."""
    where = " AND ".join(f"{k} IS NOT DISTINCT FROM ?" for k in SAME_MATTER)
    return [r[0] for r in con.execute(f"SELECT event_id FROM events WHERE org = ? AND year = ? AND status <> ? AND {where} "
                                      "ORDER BY event_id", [org, year, REVOKED] + [row.get(k) for k in SAME_MATTER]).fetchall()]


def add_event(con, org: str, year: int, fields: dict, who: str, why: str | None = None, via: str = "page",
              allow_identical: bool = False) -> dict:
    """Record a new event. Raises InputError (nothing written) if it does not pass the ledger's checks.

    Without an id, the next free YEAR-Mnnnn is allocated in the same transaction as the write.
    A record identical to a stored one (all but the id) is refused unless `allow_identical`:
    a second click on Save must not charge a unit twice.
    """
    account = _require(who, why, False)
    with transaction(con):
        row, problems = _typed({**fields, "event_id": fields.get("event_id") or next_id(con, org, year)})
        if problems:
            raise InputError(problems)
        require_record(con, account, org, year, row.get("target"))
        if event(con, org, year, row["event_id"]) is not None:
            raise InputError([Problem(ENTRY, None, "编号", row["event_id"], "编号已存在", "this id already exists")])
        _check(con, org, year, row)
        same = [] if allow_identical else identical(con, org, year, row)
        if same:
            raise LooksLikeADuplicate(same)
        _insert(con, org, year, row, account.name)
        audit(con, account.name, "add", org, year, "event", row["event_id"], None, _public(row), why, via)
    return event(con, org, year, row["event_id"])


def _public(row: dict) -> dict:
    return public_fields("events", row)


def edit_event(con, org: str, year: int, event_id: str, changes: dict, who: str, why: str, via: str = "page",
               seen_version: int | None = None) -> dict:
    """Change an event; the earlier version is kept. Raises InputError if the result does not pass the checks.

    `seen_version` is the version the user was looking at: if the record has moved on since,
    the change is refused rather than applied over someone else's.
    """
    account = _require(who, why, True)
    with transaction(con):
        old = _existing(con, account, org, year, event_id)
        if seen_version is not None and int(old.get("version") or 1) != int(seen_version):
            raise PerfcoreError(f"记录 {event_id} 刚被其他人修改，请刷新后重试 / record {event_id} was changed by someone "
                                "else meanwhile; reload and try again")
        if old["status"] == REVOKED:
            raise PerfcoreError(f"记录 {event_id} 已撤销，不能修改 / record {event_id} is revoked and cannot be changed")
        merged = {**_public(old), **{k: v for k, v in changes.items() if k != "event_id"}}
        row, problems = _typed(merged)
        if problems:
            raise InputError(problems)
        if row["status"] == REVOKED:
            raise PerfcoreError("撤销记录请用“撤销”，并写明理由 / to revoke a record use Revoke, with the reason")
        _check(con, org, year, row)
        require_record(con, account, org, year, row.get("target"))
        if to_json(_public(row)) == to_json(_public(old)):
            return old
        supersede_event(con, org, year, old, row, account.name, "edit", why, via)
    return event(con, org, year, event_id)


def revoke_event(con, org: str, year: int, event_id: str, who: str, why: str, via: str = "page") -> dict:
    """Revoke an event: it stops counting, stays visible with its reason, and its earlier version is kept."""
    account = _require(who, why, True)
    with transaction(con):
        old = _existing(con, account, org, year, event_id)
        if old["status"] == REVOKED:
            return old
        supersede_event(con, org, year, old, {**old, "status": REVOKED, "revoked_reason": why}, account.name, "revoke", why, via)
    return event(con, org, year, event_id)


def reinstate_event(con, org: str, year: int, event_id: str, status: str, who: str, why: str, via: str = "page") -> dict:
    """Bring a revoked event back with the given status; the revoked version is kept."""
    account = _require(who, why, True)
    with transaction(con):
        old = _existing(con, account, org, year, event_id)
        if old["status"] != REVOKED:
            raise PerfcoreError(f"记录 {event_id} 未被撤销 / record {event_id} is not revoked")
        row, problems = _typed({**_public(old), "status": status})
        if problems:
            raise InputError(problems)
        _check(con, org, year, row)
        supersede_event(con, org, year, old, {**row, "revoked_reason": None}, account.name, "reinstate", why, via)
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
