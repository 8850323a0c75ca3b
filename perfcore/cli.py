"""Command line: python -m perfcore init | score | explain | … (the analyses are in cli_analysis.py).

A bad call or bad input prints a clear message (Chinese and English) to
stderr and exits non-zero.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

import pandas as pd

from .present import export

from .ingest import importer

from .store import audit, codes
from .engine import results as results_mod
from .errors import InputError, PerfcoreError
from .ingest.tables import TABLES
from .store.connection import DEFAULT_SOURCE, connect, db_path
from .engine.trace import explain, summary


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m perfcore", description="机关绩效考评 / department performance evaluation")
    sub = p.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="build the database from a data folder / 从数据文件夹建库")
    init.add_argument("--source", default=str(DEFAULT_SOURCE), help="folder with one sub-folder per organisation")
    init.add_argument("--db", help="database file (default: $PERFCORE_DB or data/perfcore.duckdb)")
    init.add_argument("--replace", action="store_true",
                      help="replace organisations already in the database (their data is archived first)")
    sc = sub.add_parser("score", help="ranking of one year / 年度排名")
    ex = sub.add_parser("explain", help="the events behind a unit's scores / 得分明细")
    for s in (sc, ex):
        s.add_argument("--org", required=True)
        s.add_argument("--year", required=True, type=int)
        s.add_argument("--db")
        s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sc.add_argument("--series")
    ex.add_argument("--unit", required=True)
    ex.add_argument("--indicator")
    im = sub.add_parser("import", help="import one of the offices' tables (xlsx/csv) / 导入表格")
    im.add_argument("path")
    im.add_argument("--org", required=True)
    im.add_argument("--year", type=int)
    im.add_argument("--kind", choices=list(TABLES), help="which table (default: from the file name or headers)")
    im.add_argument("--period", help="progress reports: 一季度/上半年/前三季度/全年")
    im.add_argument("--who", default=os.environ.get("PERFCORE_USER") or getpass.getuser(), help="who makes the change")
    im.add_argument("--why", help="reason recorded in the audit log")
    im.add_argument("--complete", action="store_true",
                    help="the file is the whole table: records it leaves out are revoked (after a separate confirmation)")
    im.add_argument("--revoke-missing", action="store_true",
                    help="with --complete: confirm revoking the records the file leaves out without asking")
    im.add_argument("--reinstate", action="store_true", help="confirm bringing back revoked records the file lists again")
    im.add_argument("--yes", action="store_true", help="apply without asking")
    im.add_argument("--db")
    tp = sub.add_parser("template", help="write a template to fill in, blank or with an organisation's lists / 下载模板")
    tp.add_argument("kind", choices=list(TABLES))
    tp.add_argument("--org", help="an organisation: its units, indicators, rules … as drop-down lists")
    tp.add_argument("--year", type=int, help="with --org: the year (every table but units)")
    tp.add_argument("--out", help="file to write (default: <table name>.xlsx, or <table name>-<org><year>.xlsx)")
    tp.add_argument("--db")
    exp = sub.add_parser("export", help="export the ranking notice or a ledger / 导出")
    exp.add_argument("what", choices=["notice", "ledger", "audit", "table"])
    exp.add_argument("--kind", choices=list(TABLES), help="with 'table': which table, in its import shape")
    exp.add_argument("--org", required=True)
    exp.add_argument("--year", type=int)
    exp.add_argument("--unit")
    exp.add_argument("--format", choices=["xlsx", "pdf", "csv"], default="xlsx")
    exp.add_argument("--lang", choices=["zh", "en"], default="zh")
    exp.add_argument("--out")
    exp.add_argument("--db")
    pb = sub.add_parser("publish", help="freeze a year's results / 发布年度结果")
    pb.add_argument("--org", required=True)
    pb.add_argument("--year", required=True, type=int)
    pb.add_argument("--who", default=os.environ.get("PERFCORE_USER") or getpass.getuser())
    pb.add_argument("--note")
    pb.add_argument("--reason", help="why a year already published is published again (required then)")
    pb.add_argument("--db")
    wi = sub.add_parser("whatif", help="score a changed scheme without touching the data / 模拟")
    wi.add_argument("--org", required=True)
    wi.add_argument("--year", required=True, type=int)
    wi.add_argument("--weight", action="append", default=[], metavar="KEY=VALUE", help="a component's weight, e.g. public=0.5")
    wi.add_argument("--category-weight", action="append", default=[], metavar="CATEGORY=VALUE")
    wi.add_argument("--points", action="append", default=[], metavar="INDICATOR=POINTS")
    wi.add_argument("--amount", action="append", default=[], metavar="RULE=AMOUNT", help="a fixed-amount rule's amount")
    wi.add_argument("--off", action="append", default=[], metavar="EVENT_ID", help="a record switched off (an appeal upheld)")
    wi.add_argument("--changed-only", action="store_true", help="list only units whose rank or grade changes")
    wi.add_argument("--format", choices=["table", "csv", "json"], default="table")
    wi.add_argument("--db")
    us = sub.add_parser("user", help="accounts that may sign in to the dashboard / 账号")
    us.add_argument("action", choices=["add", "list", "disable", "enable", "password"])
    us.add_argument("name", nargs="?")
    us.add_argument("--role", choices=["leader", "office", "collector", "unit"])
    us.add_argument("--org", help="the organisation (required for unit and collector accounts; limits leader and office accounts)")
    us.add_argument("--unit", help="a unit account's own unit")
    us.add_argument("--collector", help="a collector account's 数据采集单位, as the indicator table names it")
    us.add_argument("--email", help="the e-mail single sign-on gives for this person")
    us.add_argument("--password-stdin", action="store_true", help="read the password from standard input (never an argument)")
    us.add_argument("--why", help="reason recorded in the audit log (disable, enable)")
    us.add_argument("--db")
    from .cli_analysis import add_parsers
    add_parsers(sub)
    au = sub.add_parser("audit", help="check the audit log's hash chain / 校验操作日志")
    au.add_argument("action", choices=["verify"])
    au.add_argument("--db")
    return p


def _emit(frame: pd.DataFrame, fmt: str, out) -> None:
    if fmt == "csv":            # text that looks like a formula stays text (export.table_csv)
        out.write(export.table_csv(frame).decode("utf-8-sig"))
    elif fmt == "json":
        records = [{k: results_mod.nan_to_none(v) for k, v in r.items()} for r in frame.to_dict("records")]
        json.dump(records, out, ensure_ascii=False, indent=1, default=str)
        out.write("\n")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 250,
                               "display.unicode.east_asian_width", True):
            out.write(frame.to_string(index=False) + "\n")


def _open_existing(path):
    target = db_path(path)
    if not target.exists():
        raise PerfcoreError(f"数据库 {target} 不存在，请先运行 python -m perfcore init / "
                            f"database {target} does not exist; run python -m perfcore init first")
    return connect(target)


def run(args) -> int:
    if args.command == "init":
        from .ingest.sources import load_demo, read_source, write
        orgs = read_source(Path(args.source))
        con = connect(args.db)
        replaced = write(con, orgs, who=os.environ.get("PERFCORE_USER") or getpass.getuser(), via="cli", replace=args.replace)
        made = load_demo(con, Path(args.source))
        if made:
            print(f"演示账号 demo accounts: {'、'.join(made)}（见 {Path(args.source) / 'demo.toml'}）")
        for data in orgs:
            ys = results_mod.years(con, data.org)
            print(f"已载入 loaded: {data.org} ({ys[0]}–{ys[-1]})")
            for year, sch in sorted(data.schemes.items()):
                for warning in sch.warnings:
                    print(f"  注意 note {year}: {warning}")
        for r in replaced:
            counts = "，".join(f"{t} {n}" for t, n in r["rows"].items() if n)
            print(f"已替换 replaced: {r['org']}（原数据已存档，编号 {r['archive']}：{counts}） / archived as #{r['archive']}")
        print(f"数据库 database: {db_path(args.db)}")
        return 0
    if args.command == "template":
        return _template(args)
    con = _open_existing(args.db)
    if args.command == "audit":
        result = audit.verify(con)
        wrong = codes.check(con)
        for org, year, event_id, column in wrong[:20]:
            print(f"记录的编码与文字不符 / a record's code disagrees with its text: {org} {year} {event_id} {column}",
                  file=sys.stderr)
        if result["ok"]:
            print(f"操作日志完整：{result['rows']} 行，链头 {result['head']} / the audit log is intact: {result['rows']} rows, "
                  f"head {result['head']}" + (f"（其中 {result['legacy']} 行早于哈希链 / {result['legacy']} rows predate the chain）"
                                               if result["legacy"] else ""))
            if not wrong:
                print("记录的编码与文字一致 / every record's codes agree with its texts")
            return 0 if not wrong else 1
        print(f"操作日志在第 {result['broken_at']} 条处断开 / the audit log breaks at row {result['broken_at']}: {result['reason']}",
              file=sys.stderr)
        return 1
    if args.command == "import":
        return _import(con, args)
    if args.command == "user":
        return _user(con, args)
    if args.command == "whatif":
        return _whatif(con, args)
    from .cli_analysis import COMMANDS
    if args.command in COMMANDS:
        from .cli_analysis import run as run_analysis
        return run_analysis(con, args)
    if args.command == "export":
        return _export(con, args)
    if args.command == "publish":
        from .workflow import publish
        pub = publish.publish(con, args.org, args.year, args.who, args.note, via="cli", reason=args.reason)
        print(f"已发布 published: {args.org} {args.year} {pub['published_at']:%Y-%m-%d %H:%M} {args.who}")
        return 0
    if args.command == "score":
        year = results_mod.score(con, args.org, args.year)
        frame = results_mod.table(year, args.series)
        if args.series and frame.empty:
            raise PerfcoreError(f"{args.org} {args.year} 年度没有系列「{args.series}」 / no series '{args.series}'")
        if args.format != "json":   # lists as text; the structured consequences only in JSON
            frame = frame.drop(columns="consequence_details").assign(
                consequences=frame["consequences"].map("；".join), exhausted=frame["exhausted"].map("、".join))
        _emit(frame, args.format, sys.stdout)
        return 0
    trace = explain(con, args.org, args.year, args.unit, args.indicator)
    if args.format == "table":
        shown = trace[["target", "event_id", "date", "rule", "source_level", "count", "contribution", "note"]]
        _emit(shown, "table", sys.stdout)
        print()
        _emit(summary(trace), "table", sys.stdout)
    else:
        _emit(trace, args.format, sys.stdout)
    return 0


def _user(con, args) -> int:
    from .access import operator
    from .store import accounts
    if args.action == "list":
        _emit(accounts.list_accounts(con), "table", sys.stdout)
        return 0
    if not args.name:
        raise PerfcoreError("请给出账号名称 / please name the account")
    who = operator()
    if args.action in ("add", "password"):
        if not args.password_stdin:
            raise PerfcoreError("密码须经标准输入给出（--password-stdin），不能写在命令行里 / give the password on standard "
                                "input (--password-stdin), never as an argument")
        password = sys.stdin.readline().rstrip("\r\n")
        if args.action == "add":
            if not args.role:
                raise PerfcoreError("请指定角色（--role） / please give the role (--role)")
            made = accounts.create(con, args.name, args.role, password, org=args.org, unit=args.unit,
                                   collector=args.collector, email=args.email, by=who, via="cli")
            print(f"已创建账号 account created: {made.label('zh')}")
        else:
            accounts.set_password(con, args.name, password, by=who, via="cli")
            print(f"已重设密码 password set: {args.name}")
        return 0
    changed = (accounts.disable if args.action == "disable" else accounts.enable)(con, args.name, by=who, why=args.why, via="cli")
    print(f"{'已停用 disabled' if args.action == 'disable' else '已启用 enabled'}: {changed.name}")
    return 0


def _pairs(items: list[str], what: str) -> dict:
    """KEY=VALUE arguments as {key: float}, with a clear message for a malformed one."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise PerfcoreError(f"{what} 应写成 名称=数值，而不是「{item}」 / {what} must be NAME=NUMBER, not '{item}'")
    return out


def _whatif(con, args) -> int:
    from .engine.whatif import WhatIf
    sim = WhatIf(con, args.org, args.year)
    known = {c.key for c in sim.official.scheme.components}
    weights = _pairs(args.weight, "--weight")
    unknown = sorted(set(weights) - known)
    if unknown:
        raise PerfcoreError(f"没有组成部分 {'、'.join(unknown)}（可用：{'、'.join(sorted(known))}） / no component {', '.join(unknown)}")
    points = _pairs(args.points, "--points")
    indicators = set(sim.official.indicators["indicator"])
    if set(points) - indicators:
        raise PerfcoreError(f"{args.year} 年度没有指标 {'、'.join(sorted(set(points) - indicators))} / no such indicator")
    ids = set(sim.official.events.ids())
    missing = [e for e in args.off if e not in ids]
    if missing:
        raise PerfcoreError(f"{args.year} 年度没有记录 {'、'.join(missing)} / no record {', '.join(missing)}")
    frame = sim.run(weights=weights or None, category_weights=_pairs(args.category_weight, "--category-weight") or None,
                    points=points or None, events_off=args.off, amounts=_pairs(args.amount, "--amount") or None)
    if args.changed_only:
        frame = frame[(frame["rank_delta"] != 0) | frame["grade_changed"]]
    columns = ["unit", "series"] + [c.key for c in sim.official.scheme.components] + [
        "composite", "rank", "series_rank", "grade", "movement", "consequences", "official_composite", "official_rank",
        "official_grade", "rank_delta", "grade_changed"]
    frame = frame[columns].reset_index(drop=True)
    if args.format != "json":
        frame = frame.assign(consequences=frame["consequences"].map("；".join))
    _emit(frame, args.format, sys.stdout)
    return 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return input(question).strip().lower() in ("y", "yes", "是")


def _import(con, args) -> int:
    plan = importer.plan_import(con, args.path, args.org, args.year, args.kind, args.period, complete=args.complete)
    if plan.problems:
        raise InputError(plan.problems)
    for note in plan.notes:
        print(note)
    print(plan.summary("zh"))
    print(plan.summary("en"))
    if not plan.has_changes:
        return 0
    diff = plan.diff_frame()
    _emit(diff[diff["change"] != "removed"].head(30), "table", sys.stdout)
    if len(diff) > 30:
        print(f"…（共 {len(diff)} 处更改 / {len(diff)} changes in all）")
    revoke = reinstate = False
    if plan.removed:
        what = "撤销" if plan.kind == "events" else "停用"
        print(f"\n!! 该文件作为完整表格导入时，将{what}以下 {len(plan.removed)} 条文件中没有的记录："
              f" / !! as the complete table, the file revokes these {len(plan.removed)} records it does not list:")
        _emit(diff[diff["change"] == "removed"], "table", sys.stdout)
        revoke = args.revoke_missing or _confirm(f"确认{what}这 {len(plan.removed)} 条记录？/ Revoke these {len(plan.removed)}? [y/N] ")
        if not revoke:
            print(f"未写入。确认{what}请加 --revoke-missing。 / Nothing written; add --revoke-missing to revoke them.")
            return 0
    if plan.reinstated:
        print(f"\n!! 文件中有 {len(plan.reinstated)} 条已撤销或已停用的记录，导入将恢复它们。"
              f" / !! the file lists {len(plan.reinstated)} revoked or retired records; importing brings them back.")
        reinstate = args.reinstate or _confirm(f"确认恢复这 {len(plan.reinstated)} 条记录？/ Bring them back? [y/N] ")
        if not reinstate:
            print("未写入。确认恢复请加 --reinstate。 / Nothing written; add --reinstate to bring them back.")
            return 0
    if not args.yes and not _confirm("确认导入？/ Apply? [y/N] "):
        print("未写入。确认导入请加 --yes。 / Nothing written; add --yes to apply.")
        return 0
    n = importer.apply_import(con, plan, who=args.who, why=args.why, via="cli", revoke_missing=revoke, reinstate=reinstate)
    print(f"已导入，{n} 处更改已记入操作日志。 / Imported; {n} changes recorded in the audit log.")
    return 0


def _template(args) -> int:
    from .present import templates
    stem = TABLES[args.kind]["file"]
    if args.org is None:
        if args.year is not None:
            raise PerfcoreError("--year 须与 --org 一起使用 / --year goes with --org")
        data, default = templates.template_xlsx(args.kind), f"{stem}.xlsx"
    else:
        con = _open_existing(args.db)
        try:
            data = templates.template_xlsx(args.kind, con, args.org, args.year)
        finally:
            con.close()
        default = f"{stem}-{args.org}{'' if args.kind == 'units' else args.year}.xlsx"
    out = Path(args.out or default)
    out.write_bytes(data)
    print(f"已写入 written: {out}")
    return 0


def _export(con, args) -> int:
    if args.what == "audit":
        frame = audit.audit_log(con, org=args.org, year=args.year)
        data, suffix = export.table_csv(frame), "csv"
    elif args.what == "table":
        if not args.kind:
            raise PerfcoreError("请用 --kind 指定哪一张表 / please name the table with --kind")
        if args.format == "csv":
            data, suffix = export.table_csv(export.table_frame(con, args.kind, args.org, args.year)), "csv"
        else:
            data, suffix = export.table_xlsx(con, args.kind, args.org, args.year), "xlsx"
    else:
        if args.year is None:
            raise PerfcoreError("请指定年度（--year） / please give the year (--year)")
        year = results_mod.score(con, args.org, args.year)
        if args.what == "notice":
            from .workflow import publish
            year, pub = publish.official(con, args.org, args.year, year)   # a published year prints what was published
            stamp = publish.stamp(pub, args.lang)
            if args.format == "pdf":
                data, suffix = export.notice_pdf(year, args.lang, stamp), "pdf"
            elif args.format == "csv":
                data, suffix = export.notice_csv(year, args.lang, stamp), "csv"
            else:
                data, suffix = export.notice_xlsx(year, args.lang, stamp), "xlsx"
        else:
            if not args.unit:
                raise PerfcoreError("请指定单位（--unit） / please give the unit (--unit)")
            data, suffix = export.ledger_xlsx(con, args.org, args.year, args.unit, args.lang), "xlsx"
    out = Path(args.out or f"{args.org}-{args.year or ''}-{args.what}{'-' + args.unit if args.unit else ''}.{suffix}")
    out.write_bytes(data)
    print(f"已写入 written: {out}")
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except PerfcoreError as exc:
        print(str(exc), file=sys.stderr)
        return 2
