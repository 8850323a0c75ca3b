"""perfcore of any checkout against the limit, in one process: for comparing two commits.

    git worktree add /tmp/before <commit>
    python bench/against.py /tmp/before          # then this checkout, alternately, a few times each:
    python bench/against.py .
    python bench/against.py . --units 10000 --events 1000000

Each process scores every year of the bench organisation (bench/scaled.py, built by bench/scoring.py)
cold with the checkout's `perfcore.score`, alternating round by round with the limit of this
checkout's bench/limit.py in its three forms (by name, as the issue first set it; by position, on
the names; by the stored codes, the honest anchor), and prints the medians and the ratios. The limit is the same code for both checkouts, so
the ratios of two checkouts compare.
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root", help="the checkout whose perfcore is timed")
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(args.root).resolve()))
    import numpy as np
    import perfcore
    from perfcore.engine import results as results_mod
    spec = importlib.util.spec_from_file_location("bench_limit", HERE / "limit.py")
    limit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(limit)
    org, first, years = "规模测试", 2016, 10
    db = HERE / "out" / f"scaled-{args.units}u-{args.events // 1000}k.duckdb"
    if not db.exists():
        raise SystemExit(f"{db} is not built yet: python bench/scoring.py --units {args.units} --events {args.events}")
    con = perfcore.connect(db, read_only=True)
    all_years = list(range(first, first + years))

    def cold():          # what either checkout remembers between calls (the parts it has)
        from perfcore.store import result_cache
        result_cache.enabled = False
        try:
            from perfcore.store import codes
            codes.forget()
        except ImportError:
            pass
        results_mod._PAST.clear()
        results_mod._YEARS.clear()
        getattr(results_mod, "_TABLES", {}).clear()
        results_mod._parsed.cache_clear()

    def run_perfcore():
        cold()
        for y in all_years:
            perfcore.score(con, org, y)

    setup = {}
    for y in all_years:
        scheme = results_mod.load_scheme(con, org, y)
        units = con.execute("SELECT unit FROM units WHERE org = ? ORDER BY unit", [org]).fetchnumpy()["unit"].tolist()
        ind = con.execute("SELECT indicator, points FROM indicators WHERE org = ? AND year = ? ORDER BY ord",
                          [org, y]).fetchnumpy()
        names = ind["indicator"].tolist()
        setup[y] = (units, names, np.asarray(ind["points"], dtype=float), [g.min for g in scheme.grades[:-1]],
                    limit.code_lookups(con, units, names))

    def run_limit(form):
        for y in all_years:
            units, names, points, thresholds, lookups = setup[y]
            limit.score_year(con, org, y, units, names, points, thresholds, form, lookups)

    def timed(fn):
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started

    run_perfcore()
    forms = ("by name", "by position", "by code")
    times = {"perfcore": [], **{form: [] for form in forms}}
    for _ in range(args.rounds):
        times["perfcore"].append(timed(run_perfcore))
        for form in forms:
            times[form].append(timed(lambda: run_limit(form)))
    m = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.root}: perfcore {m['perfcore']:.3f} s | the limit "
          + " | ".join(f"{form} {m[form]:.3f} s ({m['perfcore'] / m[form]:.2f} ×)" for form in forms))


if __name__ == "__main__":
    main()
