"""Who may see and change what: the signed-in account and the rules that follow from its role.

    leader     sees everything; changes nothing stored but saved what-if scenarios
    office     sees everything; changes everything (imports, records, appeals, publishing, accounts)
    collector  sees and scores the indicators the indicator table assigns to it (数据采集单位), for every unit
    unit       sees its own records always, and its own results, the ranking and its movement once a
               year is published (during the feedback window: its own preliminary result); files its own
               progress reports, self-assessment and appeals

The rules are enforced where data leaves perfcore and where it is written: the read functions
that return records, traces, ledgers and exports take the acting account and return only what
it may see; the write functions refuse what it may not change. A caller that names itself with
plain text (a script, the command line: they hold the database file anyway) acts as the office.
"""
from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

import pandas as pd

from .errors import PerfcoreError
from .vocab import ROLES


class Forbidden(PerfcoreError):
    """The signed-in account may not see or change this."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


@dataclass(frozen=True)
class Account:
    """A signed-in account (or the operator of a script)."""

    name: str
    role: str
    org: str | None = None         # None: every organisation (office and leader accounts may be limited to one)
    unit: str | None = None        # a unit account's own unit
    collector: str | None = None   # a collector account's 数据采集单位, as the indicator table names it
    email: str | None = None
    operator: bool = False         # a script or the command line, not a person signed in to the app

    @property
    def scope(self) -> tuple:
        """What this account may see, as a cache key: two accounts with the same scope see the same."""
        return (self.role, self.org, self.unit, self.collector)

    def label(self, lang: str = "zh") -> str:
        zh, en = ROLES.get(self.role, (self.role, self.role))
        where = self.unit or self.collector or self.org or ""
        return f"{self.name}（{zh}{'·' + where if where else ''}）" if lang == "zh" else \
            f"{self.name} ({en}{', ' + where if where else ''})"


def operator(name: str | None = None) -> Account:
    """The person running a script or the command line: the office, named by the OS account."""
    return Account(name or os.environ.get("PERFCORE_USER") or getpass.getuser(), "office", operator=True)


SYSTEM = Account("system", "office", operator=True)


def actor(who) -> Account:
    """An Account as given, or plain text (a script naming its operator) as the office."""
    if isinstance(who, Account):
        return who
    name = (who or "").strip() if isinstance(who, str) else ""
    if not name:
        raise PerfcoreError("请先填写操作人 / please say who makes the change")
    return Account(name, "office", operator=True)


def sees_everything(account: Account) -> bool:
    return account.role in ("office", "leader")


def _org_ok(account: Account, org: str) -> bool:
    return account.org is None or account.org == org


def require_org(account: Account, org: str) -> None:
    if not _org_ok(account, org):
        raise Forbidden(f"该账号不能查看「{org}」", f"this account may not see '{org}'")


def orgs(account: Account, names: list[str]) -> list[str]:
    """The organisations this account may open."""
    return [o for o in names if _org_ok(account, o)]


def collector_indicators(con, org: str, year: int, collector: str) -> set[str]:
    """The indicators the year's indicator table assigns to a data-collection unit (one of several
    named in 数据采集单位, separated by 、，, ; or /)."""
    rows = con.execute("SELECT indicator, collector FROM indicators WHERE org = ? AND year = ? AND NOT retired",
                       [org, year]).fetchall()
    return {i for i, c in rows if collector in _names(c)}


def _names(text) -> set[str]:
    import re
    return {p.strip() for p in re.split(r"[、，,;；/]", text or "") if p.strip()}


def collectors(con, org: str, year: int | None = None) -> list[str]:
    """Every data-collection unit the indicator tables name (for a year, or any year)."""
    sql = "SELECT DISTINCT collector FROM indicators WHERE org = ? AND NOT retired" + (" AND year = ?" if year else "")
    found = set()
    for (c,) in con.execute(sql, [org] + ([year] if year else [])).fetchall():
        found |= _names(c)
    return sorted(found)


def results_visibility(con, account: Account, org: str, year: int) -> str:
    """How much of a year's results the account may see: 'all', 'own' (its unit's row) or 'none'."""
    require_org(account, org)
    if sees_everything(account):
        return "all"
    published = con.execute("SELECT count(*) FROM publications WHERE org = ? AND year = ?", [org, year]).fetchone()[0] > 0
    if published:
        return "all"
    if account.role == "unit" and feedback_open(con, org, year):
        return "own"
    return "none"


def feedback_open(con, org: str, year: int) -> bool:
    """Whether the year's preliminary results are open to the units for feedback (反馈) now."""
    row = con.execute("SELECT closes_on FROM feedback_windows WHERE org = ? AND year = ? AND closed_at IS NULL "
                      "ORDER BY opened_at DESC LIMIT 1", [org, year]).fetchone()
    if row is None:
        return False
    import datetime as dt
    return row[0] is None or row[0] >= dt.date.today()


def may_see_unit(con, account: Account, org: str, year: int, unit: str) -> bool:
    """Whether the account may see this unit's records, trace and ledger (all its indicators)."""
    if not _org_ok(account, org):
        return False
    if sees_everything(account):
        return True
    return account.role == "unit" and account.unit == unit


def require_unit(con, account: Account, org: str, year: int, unit: str) -> None:
    if not may_see_unit(con, account, org, year, unit):
        raise Forbidden(f"该账号不能查看「{unit}」的记录", f"this account may not see the records of '{unit}'")


def visible_targets(con, account: Account, org: str, year: int) -> set[str] | None:
    """The indicators and pools whose records the account may see for every unit (None: all of them)."""
    if sees_everything(account):
        return None
    if account.role == "collector":
        return collector_indicators(con, org, year, account.collector or "")
    return set()


def filter_records(con, account: Account, org: str, year: int, frame: pd.DataFrame,
                   unit_col: str = "unit", target_col: str = "target") -> pd.DataFrame:
    """The rows of a frame of records (events, trace lines, scores) the account may see."""
    require_org(account, org)
    if sees_everything(account) or frame.empty:
        return frame
    keep = pd.Series(False, index=frame.index)
    if account.role == "unit" and unit_col in frame:
        keep |= frame[unit_col] == account.unit
    targets = visible_targets(con, account, org, year)
    if targets and target_col in frame:
        keep |= frame[target_col].isin(targets)
    return frame[keep]


def filter_results(con, account: Account, org: str, year: int, results: pd.DataFrame) -> pd.DataFrame:
    """The rows of a results table (one per unit) the account may see."""
    seen = results_visibility(con, account, org, year)
    if seen == "all":
        return results
    if seen == "own":
        return results[results["unit"] == account.unit]
    return results.iloc[0:0]


# ---------------------------------------------------------------- changes

def may_record(con, account: Account, org: str, year: int, target: str) -> bool:
    """Whether the account may record, correct or import records and scores on this indicator or pool."""
    if not _org_ok(account, org):
        return False
    if account.role == "office":
        return True
    if account.role == "collector":
        return target in collector_indicators(con, org, year, account.collector or "")
    return False


def require_record(con, account: Account, org: str, year: int, target: str) -> None:
    if not may_record(con, account, org, year, target):
        raise Forbidden(f"该账号不能录入或修改「{target}」的记录", f"this account may not record or change records of '{target}'")


def require_office(account: Account, org: str | None, what_zh: str, what_en: str) -> None:
    if account.role != "office" or (org is not None and not _org_ok(account, org)):
        raise Forbidden(f"只有效能办账号可以{what_zh}", f"only an evaluation-office account may {what_en}")


def require_own_unit(account: Account, org: str, unit: str, what_zh: str, what_en: str) -> None:
    """A unit's own filing (progress, self-assessment, appeal): the unit itself, or the office for it."""
    if account.role == "office" and _org_ok(account, org):
        return
    if account.role == "unit" and account.org == org and account.unit == unit:
        return
    raise Forbidden(f"只有「{unit}」自己（或效能办）可以{what_zh}", f"only '{unit}' itself (or the office) may {what_en}")


def require_scenarios(account: Account, org: str) -> None:
    if account.role not in ("office", "leader") or not _org_ok(account, org):
        raise Forbidden("只有领导和效能办账号可以保存模拟方案", "only leader and office accounts may save scenarios")


def check_import(con, account: Account, kind: str, org: str, year: int | None, rows: list[dict]) -> None:
    """Refuse an import with any row the account may not write."""
    if account.role == "office" and _org_ok(account, org):
        return
    if account.role == "collector" and kind in ("events", "indicator_scores"):
        key = "target" if kind == "events" else "indicator"
        mine = collector_indicators(con, org, year, account.collector or "")
        outside = sorted({r.get(key) for r in rows if r.get(key) not in mine})
        if not outside:
            return
        raise Forbidden(f"文件中有不属于本采集单位的指标：{'、'.join(map(str, outside))}",
                        f"the file has indicators this collector is not assigned: {', '.join(map(str, outside))}")
    if account.role == "unit" and kind == "progress" and account.org == org:
        others = sorted({r.get("unit") for r in rows if r.get("unit") != account.unit})
        if not others:
            return
        raise Forbidden(f"进度表只能填报本单位：{'、'.join(map(str, others))}", f"a unit files its own progress only: {', '.join(map(str, others))}")
    raise Forbidden("该账号不能导入这种表格", "this account may not import this table")
