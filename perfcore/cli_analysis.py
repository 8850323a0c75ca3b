"""Command line for the analyses: change, compare, gap, robustness, forecast, briefing (perfcore.insight).

The command line acts as the office (it holds the database file), so it sees every unit.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd

from .errors import PerfcoreError

COMMANDS = ("change", "compare", "gap", "robustness", "forecast", "briefing")


def add_parsers(sub) -> None:
    """Register the analysis commands on the main parser's subparsers."""
    ch = sub.add_parser("change", help="why a unit's composite and rank changed / 变化归因")
    ch.add_argument("--unit", required=True)
    ch.add_argument("--from", dest="from_year", type=int, help="the earlier year (default: the year before)")
    cp = sub.add_parser("compare", help="why one unit is above another / 对比")
    cp.add_argument("--unit", action="append", required=True, help="give it twice: --unit A --unit B")
    gp = sub.add_parser("gap", help="points needed for the next rank and grade; appeals that would move it / 差距")
    gp.add_argument("--unit", required=True)
    rb = sub.add_parser("robustness", help="ranks and grades under uncertain weights / 稳健性")
    rb.add_argument("--draws", type=int, default=10_000)
    rb.add_argument("--seed", type=int)
    rb.add_argument("--spread", type=float, default=0.25, help="each weight within ±spread of the scheme's (0.25: ±25 %%)")
    rb.add_argument("--basis", choices=["rank", "series_rank"], default="rank")
    rb.add_argument("--evaluation-spread", action="append", default=[], metavar="KEY=SD",
                    help="also draw an evaluation's score, e.g. public=2 (standard deviation in its own points)")
    fc = sub.add_parser("forecast", help="the year in progress projected, and who is at risk / 预警")
    fc.add_argument("--as-of", help="project from the records up to this date (YYYY-MM-DD; default: the latest record)")
    fc.add_argument("--seed", type=int, default=0)
    br = sub.add_parser("briefing", help="a leader's briefing as PDF / 分析简报")
    br.add_argument("--out", required=True, help="the PDF file to write")
    br.add_argument("--lang", choices=["zh", "en"], default="zh")
    for p in (ch, cp, gp, rb, fc, br):
        p.add_argument("--org", required=True)
        p.add_argument("--year", required=True, type=int)
        p.add_argument("--db")
        if p is not br:
            p.add_argument("--format", choices=["table", "json"], default="table")


def run(con, args) -> int:
    from .insight.scores import Scores
    scores = Scores(con, args.org)
    if not scores.has(args.year):
        raise PerfcoreError(f"{args.org} 没有 {args.year} 年度 / {args.org} has no year {args.year}")
    out = sys.stdout
    if args.command == "change":
        from .insight.change import change, rank_words
        result = change(scores, args.year, args.unit, args.from_year)
        if args.format == "json":
            return _json(result.to_dict(), out)
        out.write(f"{args.unit} {result.from_year} → {result.year}: "
                  f"{_num(result.composite_from)} → {_num(result.composite_to)} ({result.difference:+.2f})\n")
        out.write(rank_words(result) + "\n\n")
        _table(result.lines[["component", "indicator", "kind", "state", "event_id", "contribution", "note"]], out)
        out.write(f"\n合计 total: {result.lines['contribution'].sum():+.2f}\n")
        if len(result.overtakes):
            out.write("\n")
            _table(result.overtakes, out)
        return 0
    if args.command == "compare":
        from .insight.compare import compare
        if len(args.unit) != 2:
            raise PerfcoreError("请用 --unit 给出两个单位 / give exactly two units with --unit")
        result = compare(scores, args.year, *args.unit)
        if args.format == "json":
            return _json(result.to_dict(), out)
        out.write(f"{result.unit_a} {result.composite_a:.2f} − {result.unit_b} {result.composite_b:.2f} = {result.gap:+.2f}\n\n")
        _table(result.lines[["component", "indicator", "kind", "side", "event_id", "contribution", "note"]], out)
        out.write(f"\n合计 total: {result.lines['contribution'].sum():+.2f}\n")
        return 0
    if args.command == "gap":
        from .insight.gap import gap
        result = gap(scores, args.year, args.unit)
        if args.format == "json":
            return _json(result.to_dict(), out)
        out.write(f"{args.unit}: {result.composite:.2f}，名次 rank {result.rank}，系列名次 series rank {result.series_rank}，"
                  f"等次 grade {result.grade}\n")
        for key, zh in (("next_rank", "上一名次"), ("next_series_rank", "系列上一名次"), ("next_grade", "上一等次")):
            target = getattr(result, key)
            if target is None:
                why = result.reasons.get(key, ("", ""))
                out.write(f"{zh} {key}: —（{why[0]} / {why[1]}）\n")
            else:
                out.write(f"{zh} {key}: +{target['points']:.2f} → {target['reach']:.2f}（{target['to']}）\n")
        if len(result.appeals):
            out.write("\n申诉中的记录若申诉成立 / records under appeal, if the appeal succeeds:\n")
            _table(result.appeals, out)
        return 0
    if args.command == "robustness":
        from .cli import _pairs
        from .insight.robustness import robustness
        table = robustness(scores.year(args.year), draws=args.draws, spread=args.spread, seed=args.seed,
                           evaluation_spread=_pairs(args.evaluation_spread, "--evaluation-spread") or None, basis=args.basis)
        columns = ["unit", "series", "official_rank", "median_rank", "rank_p05", "rank_p95", "p_rank", "official_grade",
                   "p_official_grade", "p_grade"]
        if args.format == "json":
            from .insight.change import records
            return _json(records(table[columns]), out)
        shown = table[columns].assign(p_grade=table["p_grade"].map(lambda d: " ".join(f"{g}:{p:.2f}" for g, p in d.items())))
        _table(shown, out)
        return 0
    if args.command == "forecast":
        from .insight.forecast import forecast
        from .store import queries
        as_of = _date(args.as_of) if args.as_of else None
        result = forecast(scores, args.year, as_of=as_of, seed=args.seed, progress=queries.progress(con, args.org, args.year))
        if args.format == "json":
            return _json(result.to_dict(), out)
        out.write(f"{args.org} {args.year}，截至 as of {result.as_of.isoformat()}（误差样本 {len(result.errors)} 个 / "
                  f"{len(result.errors)} past errors）\n")
        t = result.table
        shown = t[["unit", "series", "so_far", "projected", "low", "high", "grade", "p_lowest", "p_down", "flags"]].assign(
            flags=t["flags"].map("、".join))
        _table(shown, out)
        return 0
    from .present.briefing import briefing_pdf
    path = Path(args.out)
    path.write_bytes(briefing_pdf(scores, args.year, args.lang))
    print(f"已写入 written: {path}")
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PerfcoreError(f"日期应写成 YYYY-MM-DD，而不是「{text}」 / a date is YYYY-MM-DD, not '{text}'") from None


def _num(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def _json(data, out) -> int:
    json.dump(data, out, ensure_ascii=False, indent=1, default=str)
    out.write("\n")
    return 0


def _table(frame: pd.DataFrame, out) -> None:
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 250,
                           "display.unicode.east_asian_width", True, "display.max_colwidth", 80):
        out.write(frame.to_string(index=False) + "\n")
