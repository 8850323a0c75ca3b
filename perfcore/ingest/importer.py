"""Importing one of the offices' tables (xlsx or CSV) into an organisation-year, safely.

    plan = plan_import(con, "扣分台账.xlsx", org="示例区", year=2025)
    plan.problems          every problem of the file (nothing is written while there is one)
    plan.added / changed / removed   what importing would change, by the rows' stable identity
    apply_import(con, plan, who="王某")   one transaction, one audit row per change

Re-importing the same file changes nothing. Events are never deleted: an event missing from a
corrected ledger is revoked with the reason, and edited events keep their earlier version.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import ledger
from .checks import KEYS, PERIODS, check_rows
from ..errors import InputError, PerfcoreError, Problem
from .sources import _indicators, scheme_references
from ..store.audit import jsonable, to_json
from ..store.connection import transaction
from .tables import TABLES, public_fields, read_rows

KINDS = ["events", "indicators", "evaluations", "progress", "indicator_scores", "assignments", "vetoes", "units"]
YEARLESS = {"units"}


@dataclass
class ImportPlan:
    kind: str
    org: str
    year: int | None
    label: str
    sheet: str | None = None
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    added: list = field(default_factory=list)
    changed: list = field(default_factory=list)     # (before, after)
    removed: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        name = TABLES[self.kind]["zh"]
        if not self.has_changes:
            return f"{name}：与数据库中的内容完全一致，无需更改。 / {TABLES[self.kind]['en']}: identical to the database; nothing to change."
        removed = "撤销" if self.kind == "events" else "删除"
        return (f"{name}：新增 {len(self.added)} 行，修改 {len(self.changed)} 行，{removed} {len(self.removed)} 行。"
                f" / {TABLES[self.kind]['en']}: {len(self.added)} added, {len(self.changed)} changed, "
                f"{len(self.removed)} {'revoked' if self.kind == 'events' else 'removed'}.")

    def diff_frame(self) -> pd.DataFrame:
        """One row per change: what, key, and the fields that change (before → after)."""
        rows = []
        key = KEYS[self.kind]
        for r in self.added:
            rows.append({"change": "added", "key": " / ".join(str(r.get(k)) for k in key), "detail": ""})
        for before, after in self.changed:
            diffs = [f"{k}: {_show(before.get(k))} → {_show(after.get(k))}" for k in after
                     if _show(before.get(k)) != _show(after.get(k))]
            rows.append({"change": "changed", "key": " / ".join(str(after.get(k)) for k in key), "detail": "；".join(diffs)})
        for r in self.removed:
            rows.append({"change": "removed", "key": " / ".join(str(r.get(k)) for k in key), "detail": ""})
        return pd.DataFrame(rows, columns=["change", "key", "detail"])


def _show(v) -> str:
    v = jsonable(v)
    if v is None or v == "":
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def detect_kind(path: Path) -> str | None:
    """The table a file holds: by its name (扣分台账.xlsx …), else by its header row."""
    stem = path.stem
    for kind in KINDS:
        if TABLES[kind]["file"] in stem or TABLES[kind]["zh"] in stem:
            return kind
    if "考评细则" in stem:
        return "indicators"
    from .tables import _grid, _known_headers, _norm, header_row
    try:
        rows, _, _ = _grid(path, str(path))
    except InputError:
        return None
    best, hits = None, 0
    for kind in KINDS:
        h = rows[header_row(rows, kind)] if rows else []
        known = _known_headers(kind)
        required = [c for c in TABLES[kind]["columns"] if c.required]
        have = {known[_norm(x)].key for x in h if _norm(x) in known}
        if all(c.key in have for c in required) and len(have) > hits:
            best, hits = kind, len(have)
    return best


def _same(a: dict, b: dict) -> bool:
    return all(_show(a.get(k)) == _show(b.get(k)) for k in set(a) | set(b))


def _existing(con, kind: str, org: str, year: int | None) -> dict:
    if kind in YEARLESS:
        frame = con.execute("SELECT * FROM units WHERE org = ?", [org]).df()
    else:
        frame = con.execute(f"SELECT * FROM {kind} WHERE org = ? AND year = ?", [org, year]).df()
    out = {}
    for r in frame.to_dict("records"):
        r = {k: (None if isinstance(v, float) and v != v else (v.date() if isinstance(v, pd.Timestamp) else v))
             for k, v in r.items()}
        if kind == "events" and r.get("status") == "已撤销":
            r["_revoked"] = True
        out[tuple(r.get(k) for k in KEYS[kind])] = r
    return out


def plan_import(con, path, org: str, year: int | None = None, kind: str | None = None,
                period: str | None = None, label: str | None = None, progress=None) -> ImportPlan:
    """Read, check and compare a file with the database. Writes nothing.

    `progress`, if given, is called with the share done (0–1) after reading, checking and comparing.
    """
    tick = progress or (lambda share: None)
    path = Path(path)
    label = label or path.name
    if not path.exists():
        raise PerfcoreError(f"文件 {path} 不存在 / file {path} does not exist")
    kind = kind or detect_kind(path)
    if kind is None:
        raise InputError([Problem(label, None, None, None, "无法识别这是哪一种表（请按模板填写表头）",
                                  "cannot tell which table this is (use a template's headers)")])
    orgs = [r[0] for r in con.execute("SELECT org FROM orgs").fetchall()]
    if org not in orgs:
        raise PerfcoreError(f"没有组织「{org}」 / no organisation '{org}'")
    if kind not in YEARLESS and year is None:
        raise PerfcoreError("请指定年度（--year） / please give the year (--year)")
    plan = ImportPlan(kind, org, None if kind in YEARLESS else year, label)
    try:
        rows, cell_problems, plan.sheet = read_rows(path, kind, label)
    except InputError as exc:
        plan.problems = exc.problems
        return plan
    tick(0.6)
    header_problems = []
    if kind == "progress":
        header_problems = _progress_header(rows, period, plan)
    if kind in ("units", "indicators") and cell_problems:
        plan.problems = header_problems + list(cell_problems)   # the tree and the list need every cell readable
        return plan
    if kind == "units":
        good, found = _check_units(con, org, rows, label, plan.sheet)
    elif kind == "indicators":
        good, found = _check_indicators(con, org, year, rows, label, plan.sheet)
    else:
        ctx = ledger.year_context(con, org, year)
        good, found = check_rows(kind, rows, ctx, label, plan.sheet, cell_problems)
        cell_problems = []
    plan.problems = sorted(header_problems + list(cell_problems) + found, key=lambda p: (p.row or 0))
    tick(0.8)
    if plan.problems:
        return plan
    plan.rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in good]
    existing = _existing(con, kind, org, plan.year)
    seen = set()
    for r in plan.rows:
        key = tuple(r.get(k) for k in KEYS[kind])
        seen.add(key)
        old = existing.get(key)
        if old is None:
            plan.added.append(r)
        elif not _same(public_fields(kind, old), public_fields(kind, r)):
            plan.changed.append((public_fields(kind, old), r))
    for key, old in existing.items():
        if key not in seen and not old.get("_revoked"):
            plan.removed.append(public_fields(kind, old))
    if kind == "indicators" and plan.removed:
        _removed_indicators_in_use(con, org, year, plan)
    tick(1.0)
    return plan


def _progress_header(rows: list, period: str | None, plan: ImportPlan) -> list[Problem]:
    """S4 附件4: 填报组队 and 填报时间 come from the line above the table; the period from the date."""
    problems, derived = [], False
    for r in rows:
        meta = r.get("_meta", {})
        if not r.get("unit") and meta.get("填报组队"):
            r["unit"] = meta["填报组队"]
        if not r.get("reporter") and meta.get("填报人"):
            r["reporter"] = meta["填报人"]
        if not r.get("report_date") and meta.get("填报时间"):
            from .tables import convert, TABLES as T
            try:
                r["report_date"] = convert(meta["填报时间"], next(c for c in T["progress"]["columns"] if c.key == "report_date"))
            except ValueError:
                pass
        if not r.get("period"):
            r["period"] = period or _period_of(r.get("report_date"))
            derived = derived or (period is None and r["period"] is not None)
        if not r.get("unit"):
            problems.append(Problem(plan.label, r["_row"], "填报组队", None, "缺少填报组队（表头上方或“填报组队”列）",
                                    "no reporting unit (the 填报组队 line above the table, or a column)", plan.sheet))
        if not r.get("period"):
            problems.append(Problem(plan.label, r["_row"], "报告期", None, f"缺少报告期（{'、'.join(PERIODS)}），请指定",
                                    "no reporting period; please give one", plan.sheet))
    if derived:
        plan.notes.append("报告期按填报时间推定 / period taken from the filing date")
    bad = {p.row for p in problems}
    rows[:] = [r for r in rows if r["_row"] not in bad]
    return problems


def _period_of(date) -> str | None:
    if date is None:
        return None
    return "一季度" if date.month <= 4 else "上半年" if date.month <= 7 else "前三季度" if date.month <= 10 else "全年"


def _check_units(con, org: str, rows: list, label: str, sheet) -> tuple[list, list]:
    from ..errors import Collector
    c = Collector(label, sheet)
    seen = {}
    for r in rows:
        if r["unit"] in seen:
            c.add(r["_row"], "单位", r["unit"], f"单位重复（首次出现在第{seen[r['unit']]}行）", f"duplicate unit (first on row {seen[r['unit']]})")
        seen.setdefault(r["unit"], r["_row"])
    used = {u for (u,) in con.execute("SELECT DISTINCT unit FROM events WHERE org = ? UNION SELECT DISTINCT unit FROM evaluations "
                                      "WHERE org = ?", [org, org]).fetchall()}
    for u in sorted(used - set(seen)):
        c.add(None, "单位", u, "文件中缺少已有记录引用的单位（请保留该单位，可填写终止年度）",
              "a unit that existing records name is missing (keep it; give a last year instead)")
    return rows, c.problems


def _check_indicators(con, org: str, year: int, rows: list, label: str, sheet) -> tuple[list, list]:
    scheme = ledger.year_context(con, org, year).scheme
    pools = {p.name for p in scheme.pools}
    rows = [r for r in rows if r["indicator"] not in pools]   # S0's 正向激励 row is the pool, not an indicator
    try:
        good = _indicators(rows, label, org, year, scheme)
    except InputError as exc:
        return [], exc.problems
    problems = scheme_references(scheme, good, f"{org}/{year}/考评方案.toml")
    return [g | {"_row": None} for g in good], problems


def _removed_indicators_in_use(con, org, year, plan: ImportPlan) -> None:
    for r in plan.removed:
        n = con.execute("SELECT count(*) FROM events WHERE org = ? AND year = ? AND target = ?", [org, year, r["indicator"]]).fetchone()[0]
        n += con.execute("SELECT count(*) FROM indicator_scores WHERE org = ? AND year = ? AND indicator = ?",
                         [org, year, r["indicator"]]).fetchone()[0]
        if n:
            plan.problems.append(Problem(plan.label, None, "二级指标名称", r["indicator"],
                                         f"新表中没有该指标，但已有 {n} 条记录引用它", f"missing from the new table, but {n} records name it",
                                         plan.sheet))


def apply_import(con, plan: ImportPlan, who: str, why: str | None = None, via: str = "import", progress=None) -> int:
    """Write a checked plan in one transaction, with one audit row per change. Returns the number of changes."""
    if plan.problems:
        raise InputError(plan.problems)
    if not (who or "").strip():
        raise PerfcoreError("请先填写操作人姓名 / please give your name first")
    if not plan.has_changes:
        return 0
    why = why or f"导入 {plan.label}"
    total = len(plan.added) + len(plan.changed) + len(plan.removed)
    done = 0
    step = max(1, total // 50)
    with transaction(con):
        if plan.kind == "events":
            done = _apply_events(con, plan, who, why, via, progress, total, step)
        else:
            done = _apply_rows(con, plan, who, why, via, progress, total, step)
    if progress:
        progress(1.0)
    return done


def _audit_rows(con, rows: list[dict]) -> None:
    if rows:
        frame = pd.DataFrame(rows, columns=["changed_at", "who", "action", "org", "year", "entity", "entity_id",
                                            "before_json", "after_json", "why", "via"])
        con.register("_audit_in", frame)
        con.execute("INSERT INTO audit_log (changed_at, who, action, org, year, entity, entity_id, before_json, after_json, why, via) "
                    "SELECT * FROM _audit_in")
        con.unregister("_audit_in")


def _apply_events(con, plan, who, why, via, progress, total, step) -> int:
    now = dt.datetime.now()
    org, year = plan.org, plan.year
    audit = []
    if plan.added:
        frame = pd.DataFrame([{**public_fields("events", r), "org": org, "year": year, "version": 1, "updated_at": now,
                               "updated_by": who} for r in plan.added])
        cols = [r[0] for r in con.execute("DESCRIBE events").fetchall()]
        con.register("_events_in", frame.reindex(columns=cols))
        con.execute("INSERT INTO events SELECT * FROM _events_in")
        con.unregister("_events_in")
        audit += [[now, who, "import-add", org, year, "event", r["event_id"], None, to_json(public_fields("events", r)), why, via]
                  for r in plan.added]
    done = len(plan.added)
    if progress:
        progress(done / total)
    for before, after in plan.changed:
        old = ledger.event(con, org, year, after["event_id"])
        ledger._supersede(con, org, year, old, after, who, "import-edit", why, via, audit_row=False)
        audit.append([now, who, "import-edit", org, year, "event", after["event_id"], to_json(before),
                      to_json(public_fields("events", after)), why, via])
        done += 1
        if progress and done % step == 0:
            progress(done / total)
    for before in plan.removed:
        old = ledger.event(con, org, year, before["event_id"])
        reason = f"{plan.label} 的更正版本中已删除该记录"
        ledger._supersede(con, org, year, old, {**old, "status": "已撤销", "revoked_reason": reason}, who, "import-revoke",
                          reason, via, audit_row=False)
        audit.append([now, who, "import-revoke", org, year, "event", before["event_id"], to_json(before),
                      to_json({**before, "status": "已撤销"}), reason, via])
        done += 1
        if progress and done % step == 0:
            progress(done / total)
    _audit_rows(con, audit)
    return done


def _apply_rows(con, plan, who, why, via, progress, total, step) -> int:
    kind, org, year = plan.kind, plan.org, plan.year
    now = dt.datetime.now()
    key = KEYS[kind]
    where_year = "" if kind in YEARLESS else " AND year = ?"
    base = [org] if kind in YEARLESS else [org, year]
    cols = [r[0] for r in con.execute(f"DESCRIBE {kind}").fetchall()]
    audit, done = [], 0

    def delete(r):
        con.execute(f"DELETE FROM {kind} WHERE org = ?{where_year} AND " + " AND ".join(f"{k} IS NOT DISTINCT FROM ?" for k in key),
                    base + [r.get(k) for k in key])

    def insert(r):
        values = {**r, "org": org} if kind in YEARLESS else {**r, "org": org, "year": year}
        con.execute(f"INSERT INTO {kind} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", [values.get(c) for c in cols])

    entity = kind[:-1] if kind.endswith("s") else kind
    for r in plan.added:
        insert(r)
        audit.append([now, who, "import-add", org, year, entity, " / ".join(str(r.get(k)) for k in key), None,
                      to_json(public_fields(kind, r)), why, via])
    for before, after in plan.changed:
        delete(after)
        insert(after)
        audit.append([now, who, "import-edit", org, year, entity, " / ".join(str(after.get(k)) for k in key),
                      to_json(before), to_json(public_fields(kind, after)), why, via])
    for before in plan.removed:
        delete(before)
        audit.append([now, who, "import-remove", org, year, entity, " / ".join(str(before.get(k)) for k in key),
                      to_json(before), None, why, via])
    done = len(plan.added) + len(plan.changed) + len(plan.removed)
    _audit_rows(con, audit)
    return done


def file_cells(path, plan: ImportPlan) -> tuple[pd.DataFrame, set]:
    """The file as the office sees it (spreadsheet row numbers as the index), and the cells with problems."""
    from .tables import _grid
    try:
        rows, _, _ = _grid(Path(path), plan.label)
    except InputError:
        return pd.DataFrame(), set()
    width = max((len(r) for r in rows), default=0)
    letters = [openpyxl_letter(i + 1) for i in range(width)]
    frame = pd.DataFrame([list(r) + [""] * (width - len(r)) for r in rows], columns=letters,
                         index=range(1, len(rows) + 1))
    bad = set()
    for p in plan.problems:
        if p.row is None:
            continue
        for i in range(width):
            header = [str(x).strip() for x in frame.iloc[:10, i]]
            if p.column and p.column in header:
                bad.add((p.row, letters[i]))
        if not any(r == p.row for r, _ in bad):
            bad.add((p.row, None))   # the whole row
    return frame, bad


def openpyxl_letter(n: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(n)
