"""Named what-if scenarios: saved, reloaded and compared. Never touch the evaluation data.

Saving a name again keeps the earlier version; deleting retires the scenario. Both are audited.

A scenario is the change it makes, as plain data:
    {"weights": {...}, "category_weights": {...}, "points": {...}, "amounts": {...}, "events_off": [...]}
"""
from __future__ import annotations

import datetime as dt
import json

from ..access import actor, require_scenarios
from ..errors import PerfcoreError
from ..store.audit import audit
from ..store.connection import transaction

KEYS = ("weights", "category_weights", "points", "amounts", "events_off")


def normalise(spec: dict) -> dict:
    """Keep only the known parts, with plain types, so equal scenarios compare equal."""
    out = {k: spec.get(k) or ({} if k != "events_off" else []) for k in KEYS}
    out["weights"] = {k: float(v) for k, v in out["weights"].items()}
    out["category_weights"] = {k: float(v) for k, v in out["category_weights"].items()}
    out["points"] = {k: float(v) for k, v in out["points"].items()}
    out["amounts"] = {k: float(v) for k, v in out["amounts"].items()}
    out["events_off"] = sorted(str(e) for e in out["events_off"])
    return out


def _current(con, org: str, year: int, name: str) -> dict | None:
    row = con.execute("SELECT spec, version, retired, saved_at FROM scenarios WHERE org = ? AND year = ? AND name = ?",
                      [org, year, name]).fetchone()
    return None if row is None else {"spec": row[0], "version": row[1] or 1, "retired": bool(row[2]), "saved_at": row[3]}


def _keep(con, org, year, name, old: dict, now) -> None:
    con.execute("INSERT INTO row_versions VALUES ('scenarios', ?, ?, ?, ?, ?, ?)",
                [org, year, name, old["version"], now, json.dumps({"spec": json.loads(old["spec"]), "retired": old["retired"]},
                                                                   ensure_ascii=False)])


def save(con, org: str, year: int, name: str, spec: dict, who, via: str = "page") -> None:
    """Save a named scenario; saving a name again keeps the earlier version (leader and office accounts)."""
    account = actor(who)
    require_scenarios(account, org)
    who = account.name
    name = (name or "").strip()
    if not name:
        raise PerfcoreError("请为方案命名 / please name the scenario")
    text = json.dumps(normalise(spec), ensure_ascii=False)
    now = dt.datetime.now()
    with transaction(con, data=False):
        old = _current(con, org, year, name)
        if old is None:
            con.execute("INSERT INTO scenarios (org, year, name, spec, saved_at, version, retired) VALUES (?, ?, ?, ?, ?, 1, FALSE)",
                        [org, year, name, text, now])
        else:
            if old["spec"] == text and not old["retired"]:
                return
            _keep(con, org, year, name, old, now)
            con.execute("UPDATE scenarios SET spec = ?, saved_at = ?, version = version + 1, retired = FALSE "
                        "WHERE org = ? AND year = ? AND name = ?", [text, now, org, year, name])
        audit(con, who, "scenario-save", org, year, "scenario", name,
              None if old is None or old["retired"] else json.loads(old["spec"]), json.loads(text), None, via)


def names(con, org: str, year: int) -> list[str]:
    """Saved scenarios of a year, oldest first."""
    return [r[0] for r in con.execute("SELECT name FROM scenarios WHERE org = ? AND year = ? AND NOT retired ORDER BY saved_at",
                                      [org, year]).fetchall()]


def load(con, org: str, year: int, name: str) -> dict:
    """A saved scenario's change, as data."""
    row = con.execute("SELECT spec FROM scenarios WHERE org = ? AND year = ? AND name = ? AND NOT retired",
                      [org, year, name]).fetchone()
    if row is None:
        raise PerfcoreError(f"没有名为「{name}」的模拟方案 / no scenario named '{name}'")
    return normalise(json.loads(row[0]))


def delete(con, org: str, year: int, name: str, who, via: str = "page") -> None:
    """Retire a saved scenario (its versions are kept)."""
    account = actor(who)
    require_scenarios(account, org)
    who = account.name
    now = dt.datetime.now()
    with transaction(con, data=False):
        old = _current(con, org, year, name)
        if old is None or old["retired"]:
            return
        _keep(con, org, year, name, old, now)
        con.execute("UPDATE scenarios SET retired = TRUE, saved_at = ?, version = version + 1 "
                    "WHERE org = ? AND year = ? AND name = ?", [now, org, year, name])
        audit(con, who, "scenario-delete", org, year, "scenario", name, json.loads(old["spec"]), None, None, via)


# ---------------------------------------------------------------- a scenario in a link

QUERY_KEYS = {"weights": "w", "category_weights": "cw", "points": "pts", "amounts": "amt", "events_off": "off"}


def to_query(spec: dict, official: dict) -> dict:
    """A scenario as readable URL parameters, only where it differs from the official scheme:
    w=public:0.5;indicator:0.5  cw=共同性:1.2  pts=察访核验:30  amt=工作落实不力:3  off=2025-0083,2025-0091"""
    spec, official = normalise(spec), normalise(official)
    out = {}
    for part in ("weights", "category_weights", "points", "amounts"):
        changed = {k: v for k, v in spec[part].items() if official[part].get(k) != v}
        if changed:
            out[QUERY_KEYS[part]] = ";".join(f"{k}:{v:g}" for k, v in sorted(changed.items()))
    if spec["events_off"]:
        out[QUERY_KEYS["events_off"]] = ",".join(spec["events_off"])
    return out


def from_query(params: dict, official: dict, known: dict) -> dict:
    """The scenario a link names, on top of the official scheme. `known` lists what may be named
    (weights, category_weights, points, amounts: the keys; events_off: the ids); anything else in
    the link, or a value that is not a number, is left out rather than guessed."""
    spec = normalise(official)
    for part in ("weights", "category_weights", "points", "amounts"):
        for item in str(params.get(QUERY_KEYS[part], "") or "").split(";"):
            key, _, value = item.rpartition(":")
            try:
                number = float(value)
            except ValueError:
                continue
            if key in known.get(part, ()) and number == number and abs(number) < 1e6:
                spec[part][key] = number
    ids = [i for i in str(params.get(QUERY_KEYS["events_off"], "") or "").split(",") if i in known.get("events_off", ())]
    spec["events_off"] = sorted(set(ids))
    return normalise(spec)
