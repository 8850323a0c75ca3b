"""The audit log: one row per change to stored data, appended inside the change's own transaction.

The log is tamper-evident: every row carries the SHA-256 of its own content chained to the
row before it (`prev_hash` → `row_hash`), so editing, deleting or inserting a row anywhere
breaks the chain at that row, and `verify` says where. Each publication stores the head hash
as it stood with the publication's own row, so cutting rows off the end back past a
publication shows too. What the chain cannot show is someone who can write the database file
recomputing every hash after their change: keep the head `verify` prints (or a copy of the
file) outside the database to compare against.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd

COLUMNS = ["id", "changed_at", "who", "action", "org", "year", "entity", "entity_id", "before_json", "after_json",
           "why", "via", "prev_hash", "row_hash"]


def jsonable(value):
    """A value as JSON can hold it: dates as ISO text, NaN as null, numpy scalars as Python ones."""
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()[:10] if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else str(value)
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, tuple)):
        return sorted(value) if isinstance(value, set) else list(value)
    return value


def to_json(row: dict | None) -> str | None:
    """A row as canonical JSON (sorted keys), or None."""
    return None if row is None else json.dumps({k: jsonable(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True)


def _digest(prev_hash: str | None, row: dict) -> str:
    """The hash of one row: its content (everything but the hashes) chained to the previous hash."""
    when = row["changed_at"]
    when = when.isoformat(sep=" ") if isinstance(when, (dt.datetime, pd.Timestamp)) else str(when)
    year = row["year"]
    year = None if year is None or (isinstance(year, float) and year != year) else int(year)
    content = [int(row["id"]), when, row["who"], row["action"], row["org"], year, row["entity"], row["entity_id"],
               row["before_json"], row["after_json"], row["why"], row["via"]]
    content = [None if (isinstance(v, float) and v != v) else v for v in content]
    text = (prev_hash or "") + "\n" + json.dumps(content, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def head(con) -> str | None:
    """The hash of the newest audit row (None for an empty log)."""
    row = con.execute("SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def append(con, rows: list[dict]) -> None:
    """Append rows (dicts with the log's columns but id and hashes) in one go, chained.

    Must run inside the caller's `transaction`, which holds the write lock: the chain's
    head cannot move between reading it and writing after it.
    """
    if not rows:
        return
    prev = head(con)
    ids = sorted(r[0] for r in con.execute("SELECT nextval('audit_seq') FROM range(?)", [len(rows)]).fetchall())
    now = dt.datetime.now()
    out = []
    for i, r in zip(ids, rows):
        row = {c: r.get(c) for c in COLUMNS}
        row["id"] = i
        row["changed_at"] = r.get("changed_at") or now
        row["prev_hash"] = prev
        row["row_hash"] = prev = _digest(prev, row)
        out.append(row)
    frame = pd.DataFrame(out, columns=COLUMNS).astype({"year": "Int64"})
    con.register("_audit_in", frame)
    try:
        con.execute(f"INSERT INTO audit_log ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM _audit_in")
    finally:
        con.unregister("_audit_in")


def audit(con, who: str, action: str, org: str | None, year: int | None, entity: str, entity_id: str,
          before: dict | None, after: dict | None, why: str | None, via: str) -> None:
    """Append one row to the audit log (inside the caller's transaction)."""
    append(con, [entry(who, action, org, year, entity, entity_id, before, after, why, via)])


def entry(who, action, org, year, entity, entity_id, before, after, why, via, changed_at=None) -> dict:
    """One audit row as `append` takes it; `before` and `after` are dicts (or JSON text already)."""
    return {"changed_at": changed_at, "who": who, "action": action, "org": org, "year": year, "entity": entity,
            "entity_id": entity_id, "before_json": before if isinstance(before, str) or before is None else to_json(before),
            "after_json": after if isinstance(after, str) or after is None else to_json(after), "why": why, "via": via}


def verify(con) -> dict:
    """Check the whole chain. Returns rows checked, the head hash, and where the chain breaks (if it does).

    `broken_at` is the id of the first row whose stored hashes do not follow from its content
    and the row before it; `legacy` counts rows written before the log was chained.
    """
    frame = con.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_log ORDER BY id").df()
    prev, legacy, chained = None, 0, False
    for r in frame.to_dict("records"):
        r = {k: (None if (isinstance(v, float) and v != v) or v is pd.NaT else v) for k, v in r.items()}
        if isinstance(r["changed_at"], pd.Timestamp):
            r["changed_at"] = r["changed_at"].to_pydatetime()
        if r["row_hash"] is None and not chained:
            legacy += 1
            continue
        chained = True
        if r["row_hash"] is None or r["prev_hash"] != prev:
            return {"ok": False, "rows": len(frame), "legacy": legacy, "broken_at": int(r["id"]), "head": None,
                    "reason": "链断开：该行记录的上一行哈希与实际上一行不符（之前的行被删除、插入或修改）"
                              " / chain broken: this row's previous hash does not match the row before it "
                              "(rows before it were deleted, inserted or edited)"}
        if _digest(prev, r) != r["row_hash"]:
            return {"ok": False, "rows": len(frame), "legacy": legacy, "broken_at": int(r["id"]), "head": None,
                    "reason": "内容被修改：该行内容与其哈希不符 / content changed: this row does not match its hash"}
        prev = r["row_hash"]
    hashes = set(frame["row_hash"].dropna())
    for org, year, when, anchor in con.execute("SELECT org, year, published_at, audit_head FROM publications "
                                                "WHERE audit_head IS NOT NULL ORDER BY published_at").fetchall():
        if anchor not in hashes:
            return {"ok": False, "rows": len(frame), "legacy": legacy, "broken_at": None, "head": None,
                    "reason": f"{org} {year} 年度于 {when:%Y-%m-%d %H:%M} 发布时的日志链头不在日志中：其后的记录被删除或改动"
                              f" / the head the log had when {org} {year} was published ({when:%Y-%m-%d %H:%M}) is missing: "
                              "rows after it were deleted or changed"}
    return {"ok": True, "rows": len(frame), "legacy": legacy, "broken_at": None, "head": prev, "reason": ""}


def audit_log(con, org: str | None = None, year: int | None = None, who: str | None = None,
              action: str | None = None, entity_id: str | None = None) -> pd.DataFrame:
    """The audit log, newest first, filtered."""
    where, params = ["TRUE"], []
    for column, value in (("org", org), ("year", year), ("who", who), ("action", action), ("entity_id", entity_id)):
        if value not in (None, ""):
            where.append(f"{column} = ?")
            params.append(value)
    return con.execute(f"SELECT * FROM audit_log WHERE {' AND '.join(where)} ORDER BY id DESC", params).df()
