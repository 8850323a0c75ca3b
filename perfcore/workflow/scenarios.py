"""Named what-if scenarios: saved, reloaded and compared. Never touch the evaluation data.

A scenario is the change it makes, as plain data:
    {"weights": {...}, "category_weights": {...}, "points": {...}, "events_off": [...]}
"""
from __future__ import annotations

import datetime as dt
import json

from ..errors import PerfcoreError

KEYS = ("weights", "category_weights", "points", "events_off")


def normalise(spec: dict) -> dict:
    """Keep only the known parts, with plain types, so equal scenarios compare equal."""
    out = {k: spec.get(k) or ({} if k != "events_off" else []) for k in KEYS}
    out["weights"] = {k: float(v) for k, v in out["weights"].items()}
    out["category_weights"] = {k: float(v) for k, v in out["category_weights"].items()}
    out["points"] = {k: float(v) for k, v in out["points"].items()}
    out["events_off"] = sorted(str(e) for e in out["events_off"])
    return out


def save(con, org: str, year: int, name: str, spec: dict) -> None:
    """Save (or replace) a named scenario."""
    name = (name or "").strip()
    if not name:
        raise PerfcoreError("请为方案命名 / please name the scenario")
    con.execute("INSERT OR REPLACE INTO scenarios VALUES (?, ?, ?, ?, ?)",
                [org, year, name, json.dumps(normalise(spec), ensure_ascii=False), dt.datetime.now()])


def names(con, org: str, year: int) -> list[str]:
    return [r[0] for r in con.execute("SELECT name FROM scenarios WHERE org = ? AND year = ? ORDER BY saved_at",
                                      [org, year]).fetchall()]


def load(con, org: str, year: int, name: str) -> dict:
    row = con.execute("SELECT spec FROM scenarios WHERE org = ? AND year = ? AND name = ?", [org, year, name]).fetchone()
    if row is None:
        raise PerfcoreError(f"没有名为「{name}」的模拟方案 / no scenario named '{name}'")
    return normalise(json.loads(row[0]))


def delete(con, org: str, year: int, name: str) -> None:
    con.execute("DELETE FROM scenarios WHERE org = ? AND year = ? AND name = ?", [org, year, name])
