"""Command line: python -m perfcore init | score | explain.

A bad call or bad input prints a clear message (Chinese and English) to
stderr and exits non-zero.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from . import results as results_mod
from .errors import PerfcoreError
from .sources import load_source
from .storage import DEFAULT_SOURCE, connect, db_path
from .trace import explain, summary


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m perfcore", description="机关绩效考评 / department performance evaluation")
    sub = p.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="build the database from a data folder / 从数据文件夹建库")
    init.add_argument("--source", default=str(DEFAULT_SOURCE), help="folder with one sub-folder per organisation")
    init.add_argument("--db", help="database file (default: $PERFCORE_DB or data/perfcore.duckdb)")
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
    return p


def _emit(frame: pd.DataFrame, fmt: str, out) -> None:
    if fmt == "csv":
        frame.to_csv(out, index=False)
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
        con = connect(args.db)
        loaded = load_source(con, Path(args.source))
        for org in loaded:
            ys = results_mod.years(con, org)
            print(f"已载入 loaded: {org} ({ys[0]}–{ys[-1]})")
        print(f"数据库 database: {db_path(args.db)}")
        return 0
    con = _open_existing(args.db)
    if args.command == "score":
        year = results_mod.score(con, args.org, args.year)
        frame = results_mod.table(year, args.series)
        if args.series and frame.empty:
            raise PerfcoreError(f"{args.org} {args.year} 年度没有系列「{args.series}」 / no series '{args.series}'")
        if args.format != "json":
            frame = frame.assign(consequences=frame["consequences"].map("；".join))
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


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except PerfcoreError as exc:
        print(str(exc), file=sys.stderr)
        return 2
