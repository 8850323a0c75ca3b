"""The early warning's backtest: every past year projected from its records as of 30 September.

    python bench/forecast_backtest.py                     # every organisation of the sample, as of 30 September
    python bench/forecast_backtest.py --day 06-30 --db other.duckdb

For each complete year with an earlier one, insight.forecast projects the year-end composite from
the records dated up to the day (the direct scores and evaluations hidden, as they are then), and
compares it with the actual result. The interval and the flags use only the errors of the years
before, as a forecast made that day could have. Printed per organisation and year: units, mean
absolute error, RMSE, largest error, bias (actual − projected), the share of actual results inside
the 90 % interval, the share of grades projected right, and the units flagged for a worse grade
with how many did fall (of all that fell). The figures are in docs/analyses.md.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

import perfcore  # noqa: E402
from perfcore.insight.forecast import backtest  # noqa: E402
from perfcore.insight.scores import Scores  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day", default="09-30", help="MM-DD (default 09-30)")
    parser.add_argument("--db", help="a database file (default: the sample, built in a temporary folder)")
    args = parser.parse_args()
    month, day = (int(x) for x in args.day.split("-"))
    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            con = perfcore.connect(args.db)
        else:
            from perfcore.ingest.sources import load_source
            con = perfcore.connect(Path(tmp) / "sample.duckdb")
            load_source(con, ROOT / "data")
        rows = []
        for org in perfcore.orgs(con):
            _, summary = backtest(Scores(con, org), (month, day))
            if not summary.empty:
                rows.append(summary.assign(org=org))
        con.close()
    table = pd.concat(rows, ignore_index=True)[["org", "year", "units", "mae", "rmse", "max_error", "bias", "coverage",
                                                "grade_hit", "flagged_down", "flagged_fell", "fell"]]
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.unicode.east_asian_width", True):
        print(f"projected from {month:02d}-{day:02d}")
        print(table.round(3).to_string(index=False))
        total = table.groupby("org").agg(years=("year", "count"), units=("units", "sum"),
                                         flagged=("flagged_down", "sum"), flagged_fell=("flagged_fell", "sum"),
                                         fell=("fell", "sum"))
        weighted = table.assign(w=table["units"]).groupby("org").apply(
            lambda g: pd.Series({"mae": (g["mae"] * g["w"]).sum() / g["w"].sum(),
                                 "coverage": (g["coverage"] * g["w"]).sum() / g.loc[g["coverage"].notna(), "w"].sum(),
                                 "grade_hit": (g["grade_hit"] * g["w"]).sum() / g["w"].sum()}), include_groups=False)
        print()
        print(total.join(weighted).round(3).to_string())


if __name__ == "__main__":
    main()
