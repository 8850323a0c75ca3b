"""Importing one of the offices' tables (xlsx or CSV) into an organisation-year, safely.

    plan = plan_import(con, "扣分台账.xlsx", org="示例区", year=2025)
    plan.problems          every problem of the file (nothing is written while there is one)
    plan.added / changed / reinstated / removed   what importing would change, by the rows' stable identity
    apply_import(con, plan, who="王某")   one transaction, one audit row per change

A file adds and corrects. Rows the file does not list are left alone, unless the user says
the file is the complete table (`complete=True`); only then are they revoked (events) or
retired (other tables), and only after a separate confirmation (`revoke_missing=True`).
A row the database holds as revoked or retired that the file lists again comes back only
with its own confirmation (`reinstate=True`). Nothing is ever deleted: edited rows keep
their earlier versions. Re-importing the same file changes nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ..access import actor, check_import
from ..errors import Collector, InputError, PerfcoreError, Problem, coalesce
from ..store import codes, versions
from ..store.audit import append as append_audit
from ..store.audit import entry, jsonable
from ..store.connection import transaction
from ..vocab import MAX_FILE_BYTES, PERIODS, REVOKED
from . import ledger
from .checks import KEYS, check_rows, check_unit_list
from .sources import indicator_rows, scheme_references, unit_references
from .tables import TABLES, _known_headers, _norm, convert, header_row, public_fields, read_rows
from .workbook import read_grid

KINDS = ["events", "indicators", "evaluations", "progress", "indicator_scores", "assignments", "vetoes", "outside_ranks",
         "units"]
YEARLESS = {"units"}


@dataclass
class ImportPlan:
    kind: str
    org: str
    year: int | None
    label: str
    complete: bool = False
    sheet: str | None = None
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    added: list = field(default_factory=list)
    changed: list = field(default_factory=list)      # (before, after)
    reinstated: list = field(default_factory=list)   # (before, after): revoked or retired, listed again by the file
    removed: list = field(default_factory=list)      # only for a complete file
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.reinstated or self.removed)

    def summary(self, lang: str = "zh") -> str:
        """What the import would do, in one language."""
        spec = TABLES[self.kind]
        revoke_zh = "撤销" if self.kind == "events" else "停用"
        revoke_en = "revoked" if self.kind == "events" else "retired"
        if not self.has_changes:
            return (f"{spec['zh']}：与数据库中的内容完全一致，无需更改。" if lang == "zh"
                    else f"{spec['en']}: identical to the database; nothing to change.")
        if lang == "zh":
            text = f"{spec['zh']}：新增 {len(self.added)} 行，修改 {len(self.changed)} 行"
            if self.reinstated:
                text += f"，恢复 {len(self.reinstated)} 行"
            if self.complete:
                text += f"，{revoke_zh} {len(self.removed)} 行"
            return text + "。"
        text = f"{spec['en']}: {len(self.added)} added, {len(self.changed)} changed"
        if self.reinstated:
            text += f", {len(self.reinstated)} reinstated"
        if self.complete:
            text += f", {len(self.removed)} {revoke_en}"
        return text + "."

    def diff_frame(self) -> pd.DataFrame:
        """One row per change: what, key, and the fields that change (before → after)."""
        rows = []
        key = KEYS[self.kind]
        for r in self.added:
            rows.append({"change": "added", "key": " / ".join(_show(r.get(k)) for k in key), "detail": ""})
        for kind, pairs in (("changed", self.changed), ("reinstated", self.reinstated)):
            for before, after in pairs:
                diffs = [f"{k}: {_show(before.get(k))} → {_show(after.get(k))}" for k in after
                         if _show(before.get(k)) != _show(after.get(k))]
                rows.append({"change": kind, "key": " / ".join(_show(after.get(k)) for k in key), "detail": "；".join(diffs)})
        shown = [c.key for c in TABLES[self.kind]["columns"] if c.key not in key][:6]
        for r in self.removed:   # what is about to be revoked, so it can be checked row by row
            rows.append({"change": "removed", "key": " / ".join(_show(r.get(k)) for k in key),
                         "detail": "；".join(f"{k}: {_show(r.get(k))}" for k in shown if _show(r.get(k)))})
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
    rows = read_grid(path, str(path)).rows
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
    """Stored rows by identity, revoked and retired ones included (marked `_gone`)."""
    if kind == "events":
        frame = con.execute(f"SELECT * {codes.EXCLUDE} FROM events WHERE org = ? AND year = ?", [org, year]).df()
    else:
        frame = versions.current(con, kind, org, year, include_retired=True)
    out = {}
    for r in frame.to_dict("records"):
        r = {k: (None if (isinstance(v, float) and v != v) or v is pd.NaT else (v.date() if isinstance(v, pd.Timestamp) else v))
             for k, v in r.items()}
        r["_gone"] = r.get("status") == REVOKED if kind == "events" else bool(r.get("retired"))
        out[tuple(r.get(k) for k in KEYS[kind])] = r
    return out


def plan_import(con, path, org: str, year: int | None = None, kind: str | None = None,
                period: str | None = None, label: str | None = None, progress=None, complete: bool = False) -> ImportPlan:
    """Read, check and compare a file with the database. Writes nothing.

    `complete`: the file is the whole table for this organisation and year, so stored rows
    it leaves out are planned for revocation (see `removed`). `progress`, if given, is
    called with the share done (0–1) after reading, checking and comparing.
    """
    tick = progress or (lambda share: None)
    path = Path(path)
    label = label or path.name
    if not path.exists():
        raise PerfcoreError(f"文件 {path} 不存在 / file {path} does not exist")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError([Problem(label, None, None, None, f"文件过大（上限 {MAX_FILE_BYTES // 1048576} MB），请分成几个文件",
                                  f"the file is too large (limit {MAX_FILE_BYTES // 1048576} MB); split it")])
    kind = kind or detect_kind(path)
    if kind is None:
        raise InputError([Problem(label, None, None, None, "无法识别这是哪一种表（请按模板填写表头）",
                                  "cannot tell which table this is (use a template's headers)")])
    plan = _new_plan(con, kind, org, year, label, complete)
    try:
        rows, cell_problems, plan.sheet = read_rows(path, kind, label)
    except InputError as exc:
        plan.problems = exc.problems
        return plan
    plan.notes += next((r["_meta"].get("_notes", []) for r in rows if "_meta" in r), [])
    tick(0.6)
    _plan_rows(con, plan, rows, cell_problems, period)
    tick(1.0)
    return plan


def plan_entries(con, kind: str, org: str, year: int | None, entries: list[dict], label: str,
                 period: str | None = None) -> ImportPlan:
    """Rows typed on a page (column key → text, as a cell would hold it), read, checked and compared
    exactly as the same rows in a file would be. Writes nothing; `apply_import` writes the plan."""
    plan = _new_plan(con, kind, org, year, label, False)
    c = Collector(label)
    rows = []
    for i, typed in enumerate(entries, start=1):
        record = {"_row": i}
        for col in TABLES[kind]["columns"]:
            raw = typed.get(col.key)
            if raw is not None and not isinstance(raw, str):
                record[col.key] = raw
                continue
            try:
                record[col.key] = convert(raw or "", col)
            except ValueError as exc:
                c.add(i, col.zh, raw, *exc.args)
                record[col.key] = None
                record.setdefault("_bad", set()).add(col.key)
        rows.append(record)
    _plan_rows(con, plan, rows, c.problems, period)
    return plan


def _new_plan(con, kind: str, org: str, year: int | None, label: str, complete: bool) -> ImportPlan:
    orgs = [r[0] for r in con.execute("SELECT org FROM orgs").fetchall()]
    if org not in orgs:
        raise PerfcoreError(f"没有组织「{org}」 / no organisation '{org}'")
    if kind not in YEARLESS and year is None:
        raise PerfcoreError("请指定年度（--year） / please give the year (--year)")
    return ImportPlan(kind, org, None if kind in YEARLESS else year, label, complete)


def _plan_rows(con, plan: ImportPlan, rows: list, cell_problems: list, period: str | None) -> None:
    """Check read rows against the year and the stored rows, and compare: fills the plan."""
    kind, org, year, label, complete = plan.kind, plan.org, plan.year, plan.label, plan.complete
    existing = _existing(con, kind, org, plan.year)
    keys = {tuple(r.get(k) for k in KEYS[kind]) for r in rows}
    kept = [r for key, r in existing.items() if not r["_gone"] and (key not in keys and not complete)]
    header_problems = _progress_header(rows, period, plan) if kind == "progress" else []
    if kind in ("units", "indicators") and cell_problems:
        plan.problems = header_problems + list(cell_problems)   # the tree and the list need every cell readable
        return
    if kind == "units":
        good, found = _check_units(con, org, rows, kept, label, plan.sheet)
    elif kind == "indicators":
        good, found = _check_indicators(con, org, year, rows, kept, label, plan.sheet)
    else:
        ctx = ledger.year_context(con, org, year)
        good, found = check_rows(kind, rows, ctx, label, plan.sheet, cell_problems, others=kept)
        cell_problems = []
    plan.problems = coalesce(sorted(header_problems + list(cell_problems) + found, key=lambda p: (p.row or 0)))
    if plan.problems:
        return
    plan.rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in good]
    _compare(plan, existing)
    if kind == "indicators" and plan.removed:
        _removed_indicators_in_use(con, org, year, plan)


def _compare(plan: ImportPlan, existing: dict) -> None:
    kind = plan.kind
    seen = set()
    rows_by_line = {}
    for r in plan.rows:
        key = tuple(r.get(k) for k in KEYS[kind])
        seen.add(key)
        old = existing.get(key)
        before = public_fields(kind, old) if old is not None else None
        if old is None:
            plan.added.append(r)
        elif old["_gone"]:
            if kind == "events" and r.get("status") == REVOKED:
                if not _same(before, public_fields(kind, r)):
                    rows_by_line.setdefault("revoked", []).append(r)
                continue
            plan.reinstated.append((before, r))
        elif not _same(before, public_fields(kind, r)):
            plan.changed.append((before, r))
    for r in rows_by_line.get("revoked", []):
        plan.problems.append(Problem(plan.label, None, TABLES[kind]["columns"][0].zh, r.get("event_id"),
                                     "该记录已撤销，不能通过导入修改（如需恢复，请把状态改为有效状态）",
                                     "this record is revoked and cannot be changed by an import (to bring it back, "
                                     "give it a status that counts)", plan.sheet))
    if plan.complete:
        for key, old in existing.items():
            if key not in seen and not old["_gone"]:
                plan.removed.append(public_fields(kind, old))


def _progress_header(rows: list, period: str | None, plan: ImportPlan) -> list[Problem]:
    """S4 附件4: 填报组队 and 填报时间 come from the line above the table; the period from the date."""
    problems, derived = [], False
    date_column = next(c for c in TABLES["progress"]["columns"] if c.key == "report_date")
    for r in rows:
        meta = r.get("_meta", {})
        if not r.get("unit") and meta.get("填报组队"):
            r["unit"] = meta["填报组队"]
        if not r.get("reporter") and meta.get("填报人"):
            r["reporter"] = meta["填报人"]
        if not r.get("report_date") and meta.get("填报时间"):
            try:
                r["report_date"] = convert(meta["填报时间"], date_column)
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


def _check_units(con, org: str, rows: list, kept: list, label: str, sheet) -> tuple[list, list]:
    """The same checks as a folder load, and that every stored record still names an evaluated unit."""
    c = Collector(label, sheet)
    check_unit_list(c, rows)
    spans = {r["unit"]: (r.get("first_year"), r.get("last_year"), r.get("_row")) for r in list(kept) + rows}
    used = con.execute("SELECT unit, year, count(*) FROM (SELECT unit, year FROM events WHERE org = ? AND status <> ? "
                       "UNION ALL SELECT unit, year FROM evaluations WHERE org = ? AND NOT retired "
                       "UNION ALL SELECT unit, year FROM indicator_scores WHERE org = ? AND NOT retired) "
                       "GROUP BY unit, year ORDER BY unit, year", [org, REVOKED, org, org]).fetchall()
    for unit, year, n in used:
        if unit not in spans:
            c.add(None, "单位", unit, f"文件中缺少已有 {n} 条记录（{year} 年度）引用的单位（请保留该单位，可填写终止年度）",
                  f"a unit that {n} stored records ({year}) name is missing (keep it; give a last year instead)")
            spans[unit] = (None, None, None)   # reported once
            continue
        first, last, row = spans[unit]
        if (first is not None and year < first) or (last is not None and year > last):
            c.add(row, "起始年度" if first is not None and year < first else "终止年度", unit,
                  f"该单位在 {year} 年度已有 {n} 条记录，不能把它排除在该年度之外",
                  f"the unit has {n} records in {year}; its years cannot leave {year} out")
    return rows, c.problems + _reward_bases(con, org, list(kept) + rows)


def _reward_bases(con, org: str, units: list) -> list[Problem]:
    """R28: with the list as it would stand, every year whose scheme pays base awards by series or
    level still finds one for each of its units (else its amounts would silently go missing)."""
    from ..engine.results import load_scheme, years
    problems = []
    for year in years(con, org):
        scheme = load_scheme(con, org, year)
        if scheme.reward is None:
            continue
        active = [u for u in units if (u.get("first_year") is None or u["first_year"] <= year)
                  and (u.get("last_year") is None or u["last_year"] >= year)]
        problems += unit_references(scheme, active, f"{org}/{year}/考评方案.toml")
    return problems


def _check_indicators(con, org: str, year: int, rows: list, kept: list, label: str, sheet) -> tuple[list, list]:
    """The indicator tree as it would stand after the import must add up, as in a folder load."""
    scheme = ledger.year_context(con, org, year).scheme
    pools = {p.name for p in scheme.pools}
    rows = [r for r in rows if r["indicator"] not in pools]   # S0's 正向激励 row is the pool, not an indicator
    carried = [{**{c.key: r.get(c.key) for c in TABLES["indicators"]["columns"]}, "_row": None,
                "category": _with_points(r.get("category"), r.get("category_points")),
                "first_level": _with_points(r.get("first_level"), r.get("first_level_points"))}
               for r in sorted(kept, key=lambda r: r.get("ord") or 0)]
    try:
        good = indicator_rows(carried + rows, label, org, year, scheme)
    except InputError as exc:
        return [], exc.problems
    problems = scheme_references(scheme, good, f"{org}/{year}/考评方案.toml")
    in_file = {r["indicator"] for r in rows}
    return [g | {"_row": None} for g in good if g["indicator"] in in_file], problems


def _with_points(name, points):
    return f"{name}（{points:g}分）" if name and points is not None and points == points else name


def _removed_indicators_in_use(con, org, year, plan: ImportPlan) -> None:
    for r in plan.removed:
        n = con.execute("SELECT count(*) FROM events WHERE org = ? AND year = ? AND target = ? AND status <> ?",
                        [org, year, r["indicator"], REVOKED]).fetchone()[0]
        n += con.execute("SELECT count(*) FROM indicator_scores WHERE org = ? AND year = ? AND indicator = ? AND NOT retired",
                         [org, year, r["indicator"]]).fetchone()[0]
        if n:
            plan.problems.append(Problem(plan.label, None, "二级指标名称", r["indicator"],
                                         f"新表中没有该指标，但已有 {n} 条记录引用它", f"missing from the new table, but {n} records name it",
                                         plan.sheet))


def apply_import(con, plan: ImportPlan, who, why: str | None = None, via: str = "import", progress=None,
                 revoke_missing: bool = False, reinstate: bool = False) -> int:
    """Write a checked plan in one transaction, with one audit row per change. Returns the number of changes.

    Revoking what a complete file leaves out needs `revoke_missing`, and bringing back revoked
    or retired rows needs `reinstate`: each is its own confirmation, never implied.
    """
    if plan.problems:
        raise InputError(plan.problems)
    account = actor(who)
    check_import(con, account, plan.kind, plan.org, plan.year,
                 plan.added + [r for _, r in plan.changed + plan.reinstated] + plan.removed)
    who = account.name
    if plan.removed and not revoke_missing:
        raise PerfcoreError(f"该文件将撤销 {len(plan.removed)} 条未列出的记录，须另行确认 / the file would revoke "
                            f"{len(plan.removed)} records it does not list; that needs its own confirmation")
    if plan.reinstated and not reinstate:
        raise PerfcoreError(f"该文件将恢复 {len(plan.reinstated)} 条已撤销或已停用的记录，须另行确认 / the file would bring back "
                            f"{len(plan.reinstated)} revoked or retired records; that needs its own confirmation")
    if not plan.has_changes:
        return 0
    why = why or f"导入 {plan.label}"
    total = len(plan.added) + len(plan.changed) + len(plan.reinstated) + len(plan.removed)
    state = {"done": 0, "step": max(1, total // 50)}

    def tick():
        state["done"] += 1
        if progress and state["done"] % state["step"] == 0:
            progress(state["done"] / total)

    try:
        with transaction(con):
            if plan.kind == "events":
                _apply_events(con, plan, who, why, via, tick)
            else:
                _apply_rows(con, plan, who, why, via, tick)
    except duckdb.ConstraintException:
        raise PerfcoreError("导入期间有人写入了相同标识的记录，未写入任何内容；请重新检查文件后再导入 / someone recorded a row "
                            "with the same identity meanwhile; nothing was written; check the file again and re-import")
    if progress:
        progress(1.0)
    return total


def _apply_events(con, plan, who, why, via, tick) -> None:
    now = dt.datetime.now()
    org, year = plan.org, plan.year
    log = []
    if plan.added:
        frame = pd.DataFrame([{**public_fields("events", r), "org": org, "year": year, "version": 1, "updated_at": now,
                               "updated_by": who, "carried_over": bool(r.get("carried_over"))} for r in plan.added])
        cols = [r[0] for r in con.execute("DESCRIBE events").fetchall()]
        con.register("_events_in", frame.reindex(columns=cols))
        try:
            con.execute("INSERT INTO events SELECT * FROM _events_in")
        finally:
            con.unregister("_events_in")
        for r in plan.added:
            log.append(entry(who, "import-add", org, year, "event", r["event_id"], None, public_fields("events", r), why, via, now))
            tick()
    for action, pairs in (("import-edit", plan.changed), ("import-reinstate", plan.reinstated)):
        for before, after in pairs:
            old = ledger.event(con, org, year, after["event_id"])
            _unchanged_since_plan(plan, old, before, "events")
            new = dict(after)
            if new.get("status") == REVOKED:
                new["revoked_reason"] = f"{plan.label} 中标为已撤销"
            elif action == "import-reinstate":
                new["revoked_reason"] = None
            ledger.supersede_event(con, org, year, old, new, who, action, why, via, audit_row=False)
            log.append(entry(who, action, org, year, "event", after["event_id"], before, public_fields("events", new), why, via, now))
            tick()
    for before in plan.removed:
        old = ledger.event(con, org, year, before["event_id"])
        _unchanged_since_plan(plan, old, before, "events")
        reason = f"{plan.label}（完整台账）中没有该记录"
        ledger.supersede_event(con, org, year, old, {**old, "status": REVOKED, "revoked_reason": reason}, who, "import-revoke",
                          reason, via, audit_row=False)
        log.append(entry(who, "import-revoke", org, year, "event", before["event_id"], before,
                         {**before, "status": REVOKED}, reason, via, now))
        tick()
    append_audit(con, log)


def _unchanged_since_plan(plan: ImportPlan, current: dict | None, before: dict, kind: str) -> None:
    """The row still is what the plan compared against; otherwise someone changed it meanwhile."""
    if current is None or not _same(public_fields(kind, current), before):
        key = " / ".join(_show(before.get(k)) for k in KEYS[kind])
        raise PerfcoreError(f"「{key}」在检查之后被其他人修改，未写入任何内容；请重新导入 / '{key}' was changed by someone "
                            "else after the check; nothing was written; import again")


def _apply_rows(con, plan, who, why, via, tick) -> None:
    kind, org, year = plan.kind, plan.org, plan.year
    now = dt.datetime.now()
    key = KEYS[kind]
    entity = kind[:-1] if kind.endswith("s") else kind
    stored = _existing(con, kind, org, year)
    log = []
    for r in plan.added:
        versions.insert(con, kind, org, year, r, who, now)
        log.append(entry(who, "import-add", org, year, entity, versions.row_key(r, key), None, public_fields(kind, r), why, via, now))
        tick()
    for action, pairs in (("import-edit", plan.changed), ("import-reinstate", plan.reinstated)):
        for before, after in pairs:
            old = stored.get(tuple(after.get(k) for k in key))
            _unchanged_since_plan(plan, old, before, kind)
            versions.supersede(con, kind, key, org, year, old, after, who, retire=False, now=now)
            log.append(entry(who, action, org, year, entity, versions.row_key(after, key), before, public_fields(kind, after),
                             why, via, now))
            tick()
    for before in plan.removed:
        old = stored.get(tuple(before.get(k) for k in key))
        _unchanged_since_plan(plan, old, before, kind)
        versions.supersede(con, kind, key, org, year, old, None, who, retire=True, now=now)
        log.append(entry(who, "import-retire", org, year, entity, versions.row_key(before, key), before, None,
                         f"{plan.label}（完整表格）中没有该行 / not in the complete file {plan.label}", via, now))
        tick()
    append_audit(con, log)


def file_cells(path, plan: ImportPlan) -> tuple[pd.DataFrame, set]:
    """The file as the office sees it (spreadsheet row numbers as the index), and the cells with problems."""
    from openpyxl.utils import get_column_letter
    try:
        rows = read_grid(Path(path), plan.label).rows
    except InputError:
        return pd.DataFrame(), set()
    width = max((len(r) for r in rows), default=0)
    letters = [get_column_letter(i + 1) for i in range(width)]
    frame = pd.DataFrame([list(r) + [""] * (width - len(r)) for r in rows], columns=letters,
                         index=range(1, len(rows) + 1))
    bad = set()
    for p in plan.problems:
        if p.row is None:
            continue
        for i in range(width):
            header = [str(x).strip() for x in frame.iloc[:10, i]]
            if p.column and (p.column in header or p.column == letters[i]):
                bad.add((p.row, letters[i]))
        if not any(r == p.row for r, _ in bad):
            bad.add((p.row, None))   # the whole row
    return frame, bad
