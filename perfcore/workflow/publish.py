"""Publishing a year: its scheme, data and results frozen with when, who and why.

Later edits never silently change a published ranking: screens and exported notices show the
published result (`as_published`), and `differences` lists every unit whose live composite,
rank or grade no longer matches it. Publishing again needs a reason; every earlier
publication stays stored and listed (`history`). Each publication records the audit log's
head hash, so the log as it stood then can be checked later.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd

from ..engine import results as results_mod
from ..errors import PerfcoreError
from ..store import codes
from ..store.audit import audit
from ..store.audit import head as audit_head
from ..access import actor, require_office
from ..store.connection import VERSIONED_TABLES, transaction
from . import feedback

FROZEN = ["unit", "series", "composite", "rank", "series_rank", "grade", "veto", "veto_reason", "prev_rank",
          "prev_series_rank", "rank_change", "series_rank_change", "movement", "prev_composite"]


def _frozen(year: results_mod.YearScore) -> pd.DataFrame:
    comps = [c.key for c in year.scheme.components]
    frame = year.results[FROZEN[:2] + comps + FROZEN[2:]].copy()
    frame["consequences"] = year.results["consequences"].map(list)
    frame["consequence_details"] = year.results["consequence_details"].map(list)
    for col in ("reward", "reward_base", "reward_amount"):
        frame[col] = year.results[col]
    return frame


def publish(con, org: str, year: int, who, note: str | None = None, via: str = "page",
            reason: str | None = None) -> dict:
    """Freeze the year's current results. Returns the publication.

    A year already published is published again only with a `reason`; the earlier
    publication is kept and stays listed.
    """
    account = actor(who)
    require_office(account, org, "发布结果", "publish results")
    who = account.name
    scored = results_mod.score(con, org, year)
    if results_mod.in_progress(scored.results):
        raise PerfcoreError(f"{year} 年度仍有尚未评分的内容，不能发布 / {year} still has parts not yet scored; it cannot be published")
    frame = _frozen(scored)
    text = frame.to_json(orient="records", force_ascii=False)
    fingerprint = hashlib.sha256(text.encode()).hexdigest()
    with transaction(con):
        before = latest(con, org, year)
        if before is not None and not (reason or "").strip():
            raise PerfcoreError(f"{year} 年度已于 {before['published_at']:%Y-%m-%d %H:%M} 由{before['published_by']}发布；"
                                f"再次发布须说明理由 / {year} was published {before['published_at']:%Y-%m-%d %H:%M} by "
                                f"{before['published_by']}; publishing again needs a reason")
        data = json.dumps(snapshot(con, org, year), ensure_ascii=False, default=str)
        now = dt.datetime.now()
        feedback.close_open(con, org, year, who, via, "发布结果时结束反馈 / closed by publishing")
        audit(con, who, "republish" if before is not None else "publish", org, year, "year", str(year),
              None if before is None else {"published_at": str(before["published_at"]), "fingerprint": before["fingerprint"],
                                           "units": len(before["results"])},
              {"published_at": str(now), "fingerprint": fingerprint, "units": len(frame)}, reason or note, via)
        # the publication keeps the audit log's head as it stands with its own row: rows cut off after it show
        con.execute("INSERT INTO publications (org, year, published_at, published_by, note, scheme_toml, results_json, "
                    "fingerprint, data_json, reason, audit_head) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [org, year, now, who, note, scored.scheme.text, text, fingerprint, data, reason, audit_head(con)])
    return latest(con, org, year)


SNAPSHOT_TABLES = ("indicators", "indicator_scores", "assignments", "events", "evaluations", "vetoes", "outside_ranks")


def snapshot(con, org: str, year: int) -> dict:
    """The year's data as it stood: every table the results were computed from (current rows;
    every event, revoked ones included, since they show in the trace), plus the unit list."""
    def rows(table, where, params):
        current = " AND NOT retired" if table in VERSIONED_TABLES else ""
        fields = f"* {codes.EXCLUDE}" if table == "events" else "*"      # an event's own fields, not its codes
        return con.execute(f"SELECT {fields} FROM {table} WHERE {where}{current}", params).df() \
            .drop(columns=["org", "year"], errors="ignore").to_dict("records")
    data = {t: rows(t, "org = ? AND year = ?", [org, year]) for t in SNAPSHOT_TABLES}
    data["units"] = rows("units", "org = ?", [org])
    return data


def published_data(con, org: str, year: int) -> dict | None:
    """The data frozen with the latest publication, table by table (as frames)."""
    row = con.execute("SELECT data_json FROM publications WHERE org = ? AND year = ? ORDER BY published_at DESC LIMIT 1",
                      [org, year]).fetchone()
    if row is None or row[0] is None:
        return None
    return {t: pd.DataFrame(rows) for t, rows in json.loads(row[0]).items()}


def latest(con, org: str, year: int) -> dict | None:
    """The most recent publication of a year, or None."""
    row = con.execute("SELECT published_at, published_by, note, fingerprint, results_json, reason FROM publications "
                      "WHERE org = ? AND year = ? ORDER BY published_at DESC LIMIT 1", [org, year]).fetchone()
    if row is None:
        return None
    return {"published_at": row[0], "published_by": row[1], "note": row[2], "fingerprint": row[3],
            "results": pd.DataFrame(json.loads(row[4])), "reason": row[5]}


def history(con, org: str, year: int) -> pd.DataFrame:
    """Every publication of a year, newest first: when, by whom, why, and its fingerprint."""
    return con.execute("SELECT published_at, published_by, note, reason, fingerprint FROM publications "
                       "WHERE org = ? AND year = ? ORDER BY published_at DESC", [org, year]).df()


def stamp(pub: dict | None, lang: str = "zh") -> str | None:
    """The line a notice carries once its year is published: when, and by whom."""
    if pub is None:
        return None
    when = f"{pub['published_at']:%Y-%m-%d %H:%M}"
    return f"{when} 由{pub['published_by']}发布" if lang == "zh" else f"published {when} by {pub['published_by']}"


def official(con, org: str, year: int, live: results_mod.YearScore | None = None) -> tuple[results_mod.YearScore, dict | None]:
    """What a notice or a ranking shows for a year: the published result if there is one, else the live one.

    Returns the year and its latest publication (None when unpublished: a draft, 征求意见稿).
    """
    live = live or results_mod.score(con, org, year)
    pub = latest(con, org, year)
    return (as_published(live, pub["results"]) if pub is not None else live), pub


def differences(published: pd.DataFrame, live: results_mod.YearScore) -> pd.DataFrame:
    """Units whose composite, rank or grade differ between the publication and the live data."""
    now = live.results.set_index("unit")
    rows = []
    for r in published.to_dict("records"):
        unit = r["unit"]
        if unit not in now.index:
            rows.append({"unit": unit, "published_composite": r["composite"], "live_composite": None,
                         "published_rank": r["rank"], "live_rank": None, "published_grade": r["grade"], "live_grade": None})
            continue
        n = now.loc[unit]
        if abs(float(n["composite"]) - float(r["composite"])) > 1e-9 or int(n["rank"]) != int(r["rank"]) or n["grade"] != r["grade"]:
            rows.append({"unit": unit, "published_composite": r["composite"], "live_composite": float(n["composite"]),
                         "published_rank": int(r["rank"]), "live_rank": int(n["rank"]),
                         "published_grade": r["grade"], "live_grade": n["grade"]})
    for unit in sorted(set(now.index) - set(published["unit"])):
        n = now.loc[unit]
        rows.append({"unit": unit, "published_composite": None, "live_composite": float(n["composite"]),
                     "published_rank": None, "live_rank": int(n["rank"]), "published_grade": None, "live_grade": n["grade"]})
    return pd.DataFrame(rows, columns=["unit", "published_composite", "live_composite", "published_rank", "live_rank",
                                       "published_grade", "live_grade"])


def as_published(year: results_mod.YearScore, published: pd.DataFrame) -> results_mod.YearScore:
    """The year with its published results in place of the live ones (for display)."""
    from dataclasses import replace
    frame = published.copy()
    frame["missing"] = ""
    frame["provisional"] = False
    for col in ("prev_rank", "prev_series_rank", "rank_change", "series_rank_change"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame["veto_reason"] = frame["veto_reason"].fillna("")
    for col in ("reward", "reward_base", "reward_amount"):   # publications made before rewards had amounts
        if col not in frame:
            frame[col] = None
    if "consequence_details" not in frame:
        frame["consequence_details"] = [None] * len(frame)
    return replace(year, results=results_mod.order(frame))
