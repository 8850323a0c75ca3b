"""Loading an office's folder of tables into the database, all or nothing.

Layout (see docs/data-formats.md):

    <source>/<organisation>/单位名单.csv
    <source>/<organisation>/<year>/考评方案.toml
    <source>/<organisation>/<year>/指标任务分解表.csv
    <source>/<organisation>/<year>/扣分台账.csv       (and the optional tables)

Every file is read and cross-checked before anything is written; the write is
one transaction, so a bad file leaves the database exactly as it was.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import json
import tomllib

from ..engine import scheme as scheme_mod
from ..errors import Collector, InputError, PerfcoreError, Problem, coalesce
from ..store import codes
from ..store.audit import audit
from ..store.connection import DATA_TABLES, VERSIONED_TABLES, transaction
from .checks import CHECKS, YearContext, check_rows, check_unit_list
from .tables import TABLES, find, read_rows, read_table

SCHEME_FILE = "考评方案.toml"
_POINTS = re.compile(r"^\s*(.*?)\s*[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[）)]\s*$")


@dataclass
class OrgData:
    """One organisation's validated tables, ready to write."""

    org: str
    source: str
    frames: dict = field(default_factory=dict)   # table -> DataFrame
    schemes: dict = field(default_factory=dict)  # year -> Scheme


def split_points(cell: str | None) -> tuple[str | None, float | None]:
    """'差异化指标（345分）' -> ('差异化指标', 345.0); plain names give (name, None)."""
    if not cell:
        return None, None
    m = _POINTS.match(cell.replace("\n", ""))
    if m:
        return m.group(1), float(m.group(2))
    return cell.replace("\n", "").strip(), None


def _rel(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)


def read_org(folder: Path) -> OrgData:
    """Read and validate every table of one organisation. Raises InputError."""
    folder = Path(folder)
    org = folder.name
    problems: list[Problem] = []

    def collect(fn, *args):
        try:
            return fn(*args)
        except InputError as exc:
            problems.extend(exc.problems)
            return None

    unit_path = find(folder, "units")
    if unit_path is None:
        raise InputError([Problem(str(folder), None, None, None, "缺少单位名单（单位名单.csv 或 .xlsx）",
                                  "missing the unit list (单位名单.csv or .xlsx)")])
    units = collect(_read_units, unit_path, folder)
    if units is None:   # every row of every table names a unit: report the list's own fault, not its echoes
        raise InputError(problems)
    data = OrgData(org=org, source=str(folder))
    frames: dict[str, list] = {t: [] for t in DATA_TABLES}
    frames["units"] = [{k: v for k, v in u.items() if not k.startswith("_")} | {"org": org} for u in units]
    unit_years = {u["unit"]: (u.get("first_year"), u.get("last_year")) for u in units}

    years = []
    for sub in sorted(x for x in folder.iterdir() if x.is_dir() and not x.name.startswith((".", "_"))):
        if YEAR_FOLDER.match(sub.name):
            years.append(sub)
        else:
            problems.append(Problem(_rel(sub, folder), None, None, None, "不是年度文件夹（名称应为四位年份，如 2025）",
                                    "not a year folder (its name must be a four-digit year, such as 2025)"))
    if not years and not problems:
        problems.append(Problem(str(folder), None, None, None, "没有年度文件夹（如 2025/）", "no year folders (such as 2025/)"))
    for ydir in years:
        year = int(ydir.name)
        sfile = ydir / SCHEME_FILE
        if not sfile.exists():
            problems.append(Problem(_rel(sfile, folder), None, None, None, "缺少考评方案文件", "missing the scheme file"))
            continue
        sch = collect(scheme_mod.load, sfile, org, year, _rel(sfile, folder))
        if sch is None:
            continue
        data.schemes[year] = sch
        active = {u for u, (a, b) in unit_years.items() if (a is None or a <= year) and (b is None or b >= year)}
        problems.extend(unit_references(sch, [u for u in units if u["unit"] in active], _rel(sfile, folder)))
        year_frames = collect(_read_year, ydir, folder, org, year, sch, active, set(unit_years))
        if year_frames:
            for table, rows in year_frames.items():
                frames[table].extend(rows)
            frames["schemes"].append({"org": org, "year": year, "scheme_toml": sch.text})
    if problems:
        raise InputError(problems)
    for row in frames["events"]:
        row["version"] = 1
    data.frames = {t: pd.DataFrame(rows) for t, rows in frames.items()}
    return data


def _read_units(path: Path, base: Path) -> list[dict]:
    rows = read_table(path, "units", _rel(path, base))   # strict: raises on any bad cell
    c = Collector(_rel(path, base))
    check_unit_list(c, rows)
    c.check()
    return rows


YEAR_FOLDER = re.compile(r"^\d{4}$")
DATA_SUFFIXES = {".csv", ".xlsx", ".xlsm", ".xls", ".toml"}


def _unknown_files(ydir: Path, base: Path) -> list[Problem]:
    """Table-like files that are none of the tables: a misspelt name would otherwise be skipped unread."""
    known = {TABLES[k]["file"] for k in TABLES} | {Path(SCHEME_FILE).stem}
    out = []
    for f in sorted(ydir.iterdir()):
        if f.is_file() and f.suffix.lower() in DATA_SUFFIXES and not f.name.startswith((".", "~$")) \
                and f.stem not in known:
            out.append(Problem(_rel(f, base), None, None, None,
                               f"不认识的文件名（应为 {'、'.join(sorted(known))} 之一）",
                               "not a known table name (misspelt?); rename it or move it out of the folder"))
        elif f.suffix.lower() == ".xls":
            out.append(Problem(_rel(f, base), None, None, None, "不支持 .xls，请另存为 .xlsx", ".xls is not supported; save it as .xlsx"))
    return out


def _read_year(ydir: Path, base: Path, org: str, year: int, sch, active: set, all_units: set) -> dict:
    problems: list[Problem] = _unknown_files(ydir, base)
    out: dict[str, list] = {}
    ind_path = find(ydir, "indicators")
    if ind_path is None:
        raise InputError([Problem(_rel(ydir, base), None, None, None, "缺少指标任务分解表", "missing the indicator table")])
    label = _rel(ind_path, base)
    indicators = indicator_rows(read_table(ind_path, "indicators", label), label, org, year, sch)
    out["indicators"] = indicators
    ctx = YearContext(org, year, sch, {r["indicator"]: r["points"] for r in indicators},
                      {r["indicator"]: r["mode"] for r in indicators}, set(all_units), set(active))
    problems.extend(scheme_references(sch, indicators, _rel(ydir / SCHEME_FILE, base)))
    for kind in CHECKS:
        try:
            path = find(ydir, kind)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if path is None:
            out[kind] = []
            continue
        lab = _rel(path, base)
        try:
            rows, cell_problems, sheet = read_rows(path, kind, lab)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        good, found = check_rows(kind, rows, ctx, lab, sheet, cell_problems)
        problems.extend(found)
        out[kind] = [{k: v for k, v in r.items() if not k.startswith("_")} | {"org": org, "year": year} for r in good]
    if problems:
        raise InputError(problems)
    return out


def scheme_references(sch, indicators: list[dict], label: str) -> list[Problem]:
    """Scheme keys that name indicators, pools or categories must find them in the indicator table."""
    points = {r["indicator"] for r in indicators}
    pools = {p.name for p in sch.pools}
    targets = points | pools
    c = Collector(label)
    for name in points & pools:
        c.add(None, "pool.name", name, "事件池与指标同名", "a pool has the same name as an indicator")
    for i, r in enumerate(sch.rules):
        for t in r.targets:
            if t not in targets:
                c.add(None, f"rule[{i + 1}].targets", t, "既不是指标也不是事件池", "neither an indicator nor a pool")
    for i, m in enumerate(sch.multipliers):
        for t in m.targets:
            if t not in targets:
                c.add(None, f"multiplier[{i + 1}].targets", t, "既不是指标也不是事件池", "neither an indicator nor a pool")
    modes = {r["indicator"]: r["mode"] for r in indicators}
    for i, ir in enumerate(sch.indicator_rules):
        if ir.indicator not in points:
            c.add(None, f"indicator_rule[{i + 1}].indicator", ir.indicator, "指标表中没有该指标", "no such indicator in the indicator table")
        elif ir.shares and modes.get(ir.indicator) != "cumulative":
            c.add(None, f"indicator_rule[{i + 1}].indicator", ir.indicator,
                  "按完成与进步占比计分的指标须为累加制（从零起计，否则会在满分之上再加）",
                  "an indicator scored by completion and improvement shares must be 累加制 (from zero), or it would add to full points")
    for i, rr in enumerate(sch.rank_rules):
        if rr.target not in targets:
            c.add(None, f"rank_rule[{i + 1}].target", rr.target, "既不是指标也不是事件池", "neither an indicator nor a pool")
    for i, cq in enumerate(sch.consequences):
        for name in cq.exhausted:
            if name not in points:
                c.add(None, f"consequence[{i + 1}].exhausted", name, "指标表中没有该指标", "no such indicator in the indicator table")
    for name in sch.self_assessed:
        if name not in points:
            c.add(None, "indicators.self_assessed", name, "指标表中没有该指标", "no such indicator in the indicator table")
        elif modes.get(name) != "direct":
            c.add(None, "indicators.self_assessed", name, "自评指标须为直接评分的指标（计分方式：直接评分）",
                  "a self-assessed indicator must be scored directly (计分方式 直接评分)")
    for comp in sch.components:
        for cat in comp.categories:
            if cat not in {r["category"] for r in indicators}:
                c.add(None, f"component.{comp.key}.categories", cat, "指标表中没有该项目", "no such category in the indicator table")
    return c.problems


def unit_references(sch, units: list[dict], label: str) -> list[Problem]:
    """R28: the base awards the scheme gives by series or level must name series and levels of the
    unit list, and every unit evaluated that year must get one."""
    if sch.reward is None:
        return []
    c = Collector(label)
    series = {u.get("series") for u in units}
    levels = {u.get("level") for u in units}
    for key, known, zh in (("base_by_series", series, "系列"), ("base_by_level", levels, "层级")):
        for name in getattr(sch.reward, "by_series" if key == "base_by_series" else "by_level"):
            if name not in known:
                c.add(None, f"reward.{key}", name, f"本年度参加考评的单位中没有这个{zh}", f"no unit evaluated this year has this {key[8:]}")
    for u in units:
        if sch.reward.base_for(u.get("series"), u.get("level")) is None:
            c.add(None, "reward.base", u["unit"], f"该单位（系列「{u.get('series')}」）没有基准奖：请给出 base 或补充其系列/层级",
                  f"no base award for this unit (series '{u.get('series')}'): give base, or its series or level")
    return c.problems


def indicator_rows(rows: list[dict], label: str, org: str, year: int, sch) -> list[dict]:
    """Check the indicator tree: names, modes and that points add up at every level."""
    c = Collector(label)
    out, seen = [], {}
    declared_cat: dict[str, tuple[float | None, int]] = {}
    declared_first: dict[tuple, tuple[float | None, int]] = {}
    for i, r in enumerate(rows):
        cat, cat_pts = split_points(r.get("category"))
        first, first_pts = split_points(r.get("first_level"))
        name = r["indicator"].replace("\n", "")
        if name in seen:
            c.add(r["_row"], "二级指标名称", name, f"指标名称重复（首次出现在第{seen[name]}行）", f"duplicate indicator (first on row {seen[name]})")
        seen.setdefault(name, r["_row"])
        if r["points"] <= 0:
            c.add(r["_row"], "分值", r["points"], "分值应大于0", "points must be greater than 0")
        mode = r.get("mode") or None
        if mode and mode not in scheme_mod.MODES:
            c.add(r["_row"], "计分方式", mode, f"应为 {'、'.join(k for k in scheme_mod.MODES if not k.isascii())} 之一", "unknown scoring mode")
        for store, key, pts, column in ((declared_cat, cat, cat_pts, "项目"), (declared_first, (cat, first), first_pts, "一级指标")):
            if key is None or key == (cat, None):
                continue
            if key in store and pts is not None and store[key][0] is not None and store[key][0] != pts:
                c.add(r["_row"], column, r.get("category") if column == "项目" else r.get("first_level"),
                      f"同一{column}的分值前后不一致（{store[key][0]:g} 与 {pts:g}）", f"the same {column} has two different point totals")
            if key not in store or store[key][0] is None:
                store[key] = (pts, r["_row"])
        out.append({"org": org, "year": year, "indicator": name, "category": cat or "", "category_points": None,
                    "first_level": first or "", "first_level_points": None, "points": r["points"],
                    "mode": scheme_mod.MODES.get(mode, sch.default_mode) if mode in scheme_mod.MODES or mode is None else None,
                    "collector": r.get("collector"), "leader": r.get("leader"), "section": r.get("section"),
                    "person": r.get("person"), "allow_overflow": bool(r.get("allow_overflow")), "note": r.get("note"),
                    "method": r.get("method"), "ord": i})
    c.check()
    for cat, (pts, row) in declared_cat.items():
        total = sum(x["points"] for x in out if x["category"] == cat)
        if pts is not None and abs(total - pts) > 1e-9:
            c.add(row, "项目", f"{cat}（{pts:g}分）", f"下属指标分值合计为 {total:g}，与标注的 {pts:g} 分不符",
                  f"its indicators add up to {total:g}, not the {pts:g} stated")
    for (cat, first), (pts, row) in declared_first.items():
        total = sum(x["points"] for x in out if x["category"] == (cat or "") and x["first_level"] == first)
        if pts is not None and abs(total - pts) > 1e-9:
            c.add(row, "一级指标", f"{first}（{pts:g}分）", f"下属二级指标分值合计为 {total:g}，与标注的 {pts:g} 分不符",
                  f"its indicators add up to {total:g}, not the {pts:g} stated")
    grand = sum(x["points"] for x in out)
    if abs(grand - sch.indicator_total) > 1e-9:
        c.add(None, "分值", f"{grand:g}", f"全部指标分值合计为 {grand:g}，考评方案规定为 {sch.indicator_total:g} 分",
              f"all indicators add up to {grand:g}, but the scheme says {sch.indicator_total:g}")
    c.check()
    for x in out:
        x["category_points"] = declared_cat.get(x["category"], (None,))[0]
        x["first_level_points"] = declared_first.get((x["category"] or None, x["first_level"]), (None,))[0]
    return out


def read_source(source: Path) -> list[OrgData]:
    """Read every organisation folder under `source`. Raises InputError with all problems."""
    source = Path(source)
    if not source.is_dir():
        raise InputError([Problem(str(source), None, None, None, "数据文件夹不存在", "source folder does not exist")])
    orgs, problems = [], []
    folders = sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith((".", "_")) and find(p, "units"))
    if not folders:
        raise InputError([Problem(str(source), None, None, None, "没有找到组织文件夹（含单位名单的文件夹）",
                                  "no organisation folders (folders with a unit list) found")])
    for folder in folders:
        try:
            orgs.append(read_org(folder))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(coalesce(problems))
    return orgs


def write(con, orgs: list[OrgData], who: str = "system", via: str = "init", replace: bool = False) -> list[dict]:
    """Write the given organisations in one transaction, noted in the audit log.

    An organisation already in the database is only replaced when `replace` is set; its
    stored data (every version, revoked and retired rows included) is then archived whole
    in `archives` first, and the audit row says what was replaced. Returns, per replaced
    organisation, the number of rows of each table that were archived.
    """
    now = dt.datetime.now()
    replaced = []
    with transaction(con):
        present = {r[0] for r in con.execute("SELECT org FROM orgs").fetchall()}
        clash = sorted(o.org for o in orgs if o.org in present)
        if clash and not replace:
            raise PerfcoreError(f"数据库中已有 {'、'.join(clash)} 的数据，未写入任何内容。如确需用数据文件夹替换，请加 --replace"
                                f"（原有数据会先存档）。 / The database already holds {', '.join(clash)}; nothing was written. "
                                "To replace it from the folder, add --replace (the stored data is archived first).")
        for data in orgs:
            counts = {}
            if data.org in clash:
                counts, archive_id = _archive(con, data.org, who, now)
                replaced.append({"org": data.org, "archive": archive_id, "rows": counts})
            audit(con, who, "replace" if data.org in clash else "init", data.org, None, "organisation", data.org,
                  {"archive": replaced[-1]["archive"], "rows": counts} if data.org in clash else None,
                  {"source": data.source, "years": sorted(data.schemes)},
                  "用数据文件夹替换（原数据已存档） / replaced from the source folder (the data before is archived)"
                  if data.org in clash else "从数据文件夹建库 / built from the source folder", via)
            con.execute("INSERT INTO orgs VALUES (?, ?, ?)", [data.org, data.source, now])
            for table in DATA_TABLES:
                frame = data.frames.get(table)
                if frame is None or frame.empty:
                    continue
                cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
                frame = frame.reindex(columns=cols)
                if table in VERSIONED_TABLES or table == "events":
                    frame["version"] = 1
                if table in VERSIONED_TABLES:
                    frame = frame.assign(retired=False, changed_at=now, changed_by=who)
                if table == "events":
                    frame["carried_over"] = frame["carried_over"].map(lambda v: bool(v) if v == v and v is not None else False)
                con.register("_incoming", frame)
                con.execute(f"INSERT INTO {table} SELECT * FROM _incoming")
                con.unregister("_incoming")
    return replaced


ARCHIVED = DATA_TABLES + ("event_versions", "self_assessments", "appeals", "feedback_windows")


def _archive(con, org: str, who: str, now) -> tuple[dict, int]:
    """Keep an organisation's whole stored data in `archives`, then clear it for the rebuild."""
    data, counts = {}, {}
    for table in ARCHIVED:
        fields = f"* {codes.EXCLUDE}" if table == "events" else "*"      # an event's own fields, not its codes
        rows = con.execute(f"SELECT {fields} FROM {table} WHERE org = ?", [org]).df()
        data[table] = rows.to_dict("records")
        counts[table] = len(rows)
    versions = con.execute("SELECT * FROM row_versions WHERE org = ?", [org]).df()
    data["row_versions"], counts["row_versions"] = versions.to_dict("records"), len(versions)
    archive_id = con.execute("INSERT INTO archives (archived_at, who, org, why, counts_json, data_json) VALUES "
                             "(?, ?, ?, ?, ?, ?) RETURNING id",
                             [now, who, org, "init --replace", json.dumps(counts, ensure_ascii=False),
                              json.dumps(data, ensure_ascii=False, default=str)]).fetchone()[0]
    for table in ARCHIVED + ("row_versions",):
        con.execute(f"DELETE FROM {table} WHERE org = ?", [org])
    con.execute("DELETE FROM orgs WHERE org = ?", [org])
    return counts, int(archive_id)


def load_source(con, source: Path, who: str = "system", via: str = "init", replace: bool = False) -> list[str]:
    """Validate a whole source folder, then write it (and set up its demo, if it has one).
    Returns the organisations loaded."""
    orgs = read_source(source)
    write(con, orgs, who, via, replace)
    load_demo(con, Path(source))
    return [o.org for o in orgs]


DEMO = "demo.toml"


def load_demo(con, source: Path) -> list[str]:
    """Set up a sample for trying out (`demo.toml` beside the organisations' folders): its demo
    accounts (where no account of that name exists yet, listed on the sign-in screen), the years
    it says are published and a year open for feedback. Returns the accounts created."""
    path = Path(source) / DEMO
    if not path.exists():
        return []
    from ..store import accounts
    from ..access import operator
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), None, None, None, f"演示设置文件无法读取：{exc}", f"cannot read the demo set-up: {exc}")])
    made = []
    for entry in doc.get("account", []):
        if accounts.exists(con, entry.get("name", "")):
            continue
        accounts.create(con, entry.get("name", ""), entry.get("role", ""), entry.get("password", ""), org=entry.get("org"),
                        unit=entry.get("unit"), collector=entry.get("collector"), email=entry.get("email"), via="init")
        con.execute("INSERT OR IGNORE INTO demo_accounts VALUES (?, ?)", [entry["name"], entry.get("password", "")])
        made.append(entry["name"])
    from ..workflow import feedback, publish
    office = operator(next((a["name"] for a in doc.get("account", []) if a.get("role") == "office"), "system"))
    for entry in doc.get("published", []):
        for year in entry.get("years", []):
            if publish.latest(con, entry["org"], int(year)) is None:
                publish.publish(con, entry["org"], int(year), office, "示例数据 / sample data", via="init")
    for entry in doc.get("feedback", []):
        org, year = entry["org"], int(entry["year"])
        if publish.latest(con, org, year) is None and feedback.current(con, org, year) is None:
            feedback.open_window(con, org, year, dt.date.today() + dt.timedelta(days=int(entry.get("days", 14))), office,
                                 "示例数据 / sample data", via="init")
    return made
