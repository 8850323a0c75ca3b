"""Scoring speed against honest anchors, in one process, alternating.

    python bench/scoring.py                      # 2,000 units, 1,000,000 events over 10 years
    python bench/scoring.py --curve              # also the scaling curve (250k → 4M events, 2,000 → 10,000 units)
    python bench/scoring.py --units 10000 --events 4000000

Three ways to score every year of the organisation, each with last year's movement:

- perfcore: `perfcore.score` for each year, through the public entry point;
- the limit (bench/limit.py): one aggregate per year and numpy composite, rank, grade, the
  least work any implementation must do;
- pandas (bench/pandas_engine.py): a competent vectorised pandas version with the same rules.

First the three agree: perfcore's and the pandas version's composites, ranks, series ranks,
grades and movement must be identical for every unit and year, or nothing is timed. Then
rounds alternate the three (so a noisy neighbour hurts all alike) and the medians are
compared. perfcore's caches are emptied before each of its rounds: every round scores cold.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
OUT = HERE / "out"

import numpy as np  # noqa: E402

import perfcore  # noqa: E402
from bench import limit, pandas_engine  # noqa: E402
from bench.scaled import FIRST_YEAR, ORG, YEARS, build  # noqa: E402
from perfcore.engine import results as results_mod  # noqa: E402


def database(units: int, events: int) -> Path:
    """The bench database for a size, built once."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"scaled-{units}u-{events // 1000}k.duckdb"
    if not path.exists():
        started = time.perf_counter()
        build(path, units=units, events=events)
        print(f"built {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def cold() -> None:
    """Forget what perfcore remembers between calls (earlier years' results, the years there are, the units
    and indicators, parsed schemes), and keep nothing in the database either: every round scores every
    year from its data."""
    from perfcore.store import codes, result_cache
    result_cache.enabled = False
    codes.forget()
    results_mod._PAST.clear()
    results_mod._YEARS.clear()
    results_mod._TABLES.clear()
    results_mod._parsed.cache_clear()


def run_perfcore(con, years) -> dict:
    cold()
    return {y: perfcore.score(con, ORG, y).results for y in years}


def run_pandas(con, years) -> dict:
    out, previous = {}, None
    for y in years:
        scheme = results_mod.load_scheme(con, ORG, y)
        previous = out[y] = pandas_engine.score_year(con, ORG, y, scheme, previous)
    return out


def limit_setup(con, years) -> dict:
    setup = {}
    for y in years:
        scheme = results_mod.load_scheme(con, ORG, y)
        units = con.execute("SELECT unit FROM units WHERE org = ? ORDER BY unit", [ORG]).fetchnumpy()["unit"].tolist()
        ind = con.execute("SELECT indicator, points FROM indicators WHERE org = ? AND year = ? ORDER BY ord", [ORG, y]).fetchnumpy()
        indicators = ind["indicator"].tolist()
        setup[y] = (units, indicators, np.asarray(ind["points"], dtype=float), [g.min for g in scheme.grades[:-1]],
                    limit.code_lookups(con, units, indicators))
    return setup


def run_limit(con, years, setup, form: str):
    for y in years:
        units, indicators, points, thresholds, lookups = setup[y]
        limit.score_year(con, ORG, y, units, indicators, points, thresholds, form, lookups)


def check_identical(con, years) -> None:
    ours, theirs = run_perfcore(con, years), run_pandas(con, years)
    for y in years:
        a = ours[y].set_index("unit").sort_index()
        b = theirs[y].set_index("unit").sort_index()
        for column in ("composite", "rank", "series_rank", "grade", "veto"):
            if not (a[column].to_numpy() == b[column].to_numpy()).all():
                raise SystemExit(f"perfcore and the pandas version differ in {column} for {y}")
        if y > years[0]:
            sa, sb = a["series_rank_change"].fillna(-999).to_numpy(), b["series_rank_change"].fillna(-999).to_numpy()
            if not (sa == sb).all():
                raise SystemExit(f"perfcore and the pandas version differ in movement for {y}")
    print(f"identical results: perfcore and the pandas version agree on every unit and year ({len(years)} years)")


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def full_scoring(path: Path, rounds: int) -> dict:
    con = perfcore.connect(path, read_only=True)
    years = list(range(FIRST_YEAR, FIRST_YEAR + YEARS))
    check_identical(con, years)
    setup = limit_setup(con, years)
    choice = {form: [] for form in limit.FORMS}
    for _ in range(3):
        for form in limit.FORMS:
            choice[form].append(timed(lambda: run_limit(con, years, setup, form)))
    form = min(limit.FORMS, key=lambda f: statistics.median(choice[f]))
    times = {"perfcore": [], "own years": [], "limit": [], "pandas": []}
    for r in range(rounds):
        sides = [("perfcore", lambda: run_perfcore(con, years)),
                 ("own years", lambda: [results_mod.score_base(con, ORG, y) for y in years]),
                 ("limit", lambda: run_limit(con, years, setup, form)),
                 ("pandas", lambda: run_pandas(con, years))]
        for name, fn in sides[r % 4:] + sides[:r % 4]:
            if name == "own years":
                cold()
            times[name].append(timed(fn))
    con.close()
    return {**{k: statistics.median(v) for k, v in times.items()}, "form": form,
            "forms": {f: statistics.median(v) for f, v in choice.items()}}


def whatif_kinds(path: Path, repeats: int = 7) -> dict:
    """Each kind of what-if at this size: the first call, then the median of the calls after it."""
    from perfcore.engine.whatif import WhatIf
    con = perfcore.connect(path, read_only=True)
    year = FIRST_YEAR + YEARS - 1
    sim = WhatIf(con, ORG, year)
    ids = sim.official.events.ids()
    kinds = {
        "weights": lambda i: sim.run(weights={"indicator": 0.5 + i / 100, "public": 0.5 - i / 100}),
        "category weights": lambda i: sim.run(category_weights={"共同性": 1.0 + i / 10}),
        "one event switched off": lambda i: sim.run(events_off=[ids[i * 97]]),
        "an indicator's points": lambda i: sim.run(points={"指标007": 10.0 + i}),
        "a rule's amount": lambda i: sim.run(amounts={"工作落实不力": 5.0 + i / 2}),
    }
    out = {}
    for name, fn in kinds.items():
        first = timed(lambda: fn(0))
        later = [timed(lambda i=i: fn(i)) for i in range(1, repeats + 1)]
        out[name] = (first, statistics.median(later))
    con.close()
    return out


def threads(path: Path, rounds: int = 5) -> dict:
    con = perfcore.connect(path, read_only=True)
    years = list(range(FIRST_YEAR, FIRST_YEAR + YEARS))
    out = {}
    for n in (1, 2):
        con.execute(f"SET threads = {n}")
        out[n] = statistics.median(timed(lambda: run_perfcore(con, years)) for _ in range(rounds))
    con.close()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--curve", action="store_true", help="also measure 250k → 4M events and 10,000 units")
    args = parser.parse_args()
    path = database(args.units, args.events)
    t = full_scoring(path, args.rounds)
    print(f"\nfull scoring, {args.units:,} units, {args.events:,} events, {YEARS} years (medians of {args.rounds} rounds)")
    print("the limit's forms (median of 3): " + ", ".join(f"{f} {v:.2f} s" for f, v in t["forms"].items())
          + f"; the fastest, {t['form']}, is the limit")
    print("| measure | seconds | ratio |\n|---|---|---|")
    print(f"| the limit: one aggregate per year + numpy composite, rank, grade | {t['limit']:.2f} | 1.00 |")
    print(f"| perfcore.score, each year, movement included | {t['perfcore']:.2f} | {t['perfcore'] / t['limit']:.2f} × the limit |")
    print(f"| perfcore, each year's own scoring only | {t['own years']:.2f} | {t['own years'] / t['limit']:.2f} × the limit |")
    print(f"| vectorised pandas, same rules, same results | {t['pandas']:.2f} | perfcore is {t['pandas'] / t['perfcore']:.1f}× faster |")
    w = whatif_kinds(path)
    print("\nwhat-if at this size (latest year)\n| kind | first | each after (median) |\n|---|---|---|")
    for name, (first, later) in w.items():
        print(f"| {name} | {first * 1000:.0f} ms | {later * 1000:.1f} ms |")
    th = threads(path)
    print(f"\nDuckDB threads: 1 → {th[1]:.2f} s, 2 → {th[2]:.2f} s for perfcore.score over {YEARS} years")
    if args.curve:
        print("\nscaling curve\n| units | events | limit (form) | perfcore | ratio | pandas / perfcore |\n|---|---|---|---|---|---|")
        for units, events in ((2000, 250_000), (2000, 1_000_000), (2000, 4_000_000), (10_000, 1_000_000), (10_000, 4_000_000)):
            r = full_scoring(database(units, events), max(3, args.rounds // 2))
            print(f"| {units:,} | {events:,} | {r['limit']:.2f} s ({r['form']}) | {r['perfcore']:.2f} s | "
                  f"{r['perfcore'] / r['limit']:.2f} | {r['pandas'] / r['perfcore']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
