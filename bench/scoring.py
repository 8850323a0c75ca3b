"""Benchmark: full scoring, what-if re-rank and peak memory, as ratios against the plain-pandas baseline.

    python bench/scoring.py            # builds bench/out/scaled.duckdb once, then measures

Both implementations run in this same invocation on the same data, so the
ratios hold on a noisy machine where absolute seconds do not. Peak memory is
each side's own child process (its maximum resident set).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
OUT = HERE / "out"
DB = OUT / "scaled.duckdb"


def _years():
    from bench.scaled import FIRST_YEAR, YEARS
    return list(range(FIRST_YEAR, FIRST_YEAR + YEARS))


def measure(side: str) -> dict:
    """Run one side in this process; print its timings as JSON."""
    import perfcore
    from bench.scaled import ORG
    from perfcore.engine.results import score_base
    from perfcore.engine.whatif import WhatIf
    from tests import reference
    con = perfcore.connect(DB, read_only=True)
    years = _years()
    out = {}
    if side == "engine":
        t = time.perf_counter()
        for y in years:
            score_base(con, ORG, y)
        out["full"] = time.perf_counter() - t
        sim = WhatIf(con, ORG, years[-1], official=score_base(con, ORG, years[-1]))
        sim.run(weights={"indicator": 0.5})   # warm: components are pre-aggregated on first use
        runs = []
        for w in (0.5, 0.55, 0.65, 0.7, 0.45):
            t = time.perf_counter()
            sim.run(weights={"indicator": w, "public": 1 - w})
            runs.append(time.perf_counter() - t)
        out["whatif"] = sorted(runs)[len(runs) // 2]
    else:
        t = time.perf_counter()
        tables = {}
        for y in years:
            tables[y] = reference.tables(con, ORG, y)
            reference.results(con, ORG, y, tables[y])
        out["full"] = time.perf_counter() - t
        # the straightforward what-if: change the weight and score the year again
        t_last = tables[years[-1]]
        runs = []
        for w in (0.5, 0.55, 0.65):
            s = t_last["scheme"]
            t_last["scheme"] = s.with_weights({"indicator": w, "public": 1 - w})
            t = time.perf_counter()
            reference.results(con, ORG, years[-1], t_last)
            runs.append(time.perf_counter() - t)
            t_last["scheme"] = s
        out["whatif"] = sorted(runs)[len(runs) // 2]
    return out


def run_child(side: str) -> dict:
    proc = subprocess.Popen([sys.executable, __file__, "--side", side], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    result = json.loads(proc.stdout.read())
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def main():
    if "--side" in sys.argv:
        print(json.dumps(measure(sys.argv[sys.argv.index("--side") + 1])))
        return
    OUT.mkdir(exist_ok=True)
    if not DB.exists():
        from bench.scaled import build
        t = time.perf_counter()
        build(DB)
        print(f"built {DB} in {time.perf_counter() - t:.1f} s")
    engine, baseline = run_child("engine"), run_child("reference")
    print("scaled data: 2,000 units, 100 indicators, 10 years, 1,000,000 events")
    print(f"{'measure':<28}{'perfcore':>12}{'pandas baseline':>18}{'ratio':>10}")
    for key, label, unit in (("full", "full scoring, 10 years", "s"), ("whatif", "what-if re-rank, 2,000 units", "s"),
                             ("peak_mb", "peak memory (RSS)", "MB")):
        a, b = engine[key], baseline[key]
        fa = f"{a * 1000:.1f} ms" if unit == "s" and a < 1 else (f"{a:.2f} s" if unit == "s" else f"{a:.0f} MB")
        fb = f"{b * 1000:.1f} ms" if unit == "s" and b < 1 else (f"{b:.2f} s" if unit == "s" else f"{b:.0f} MB")
        print(f"{label:<28}{fa:>12}{fb:>18}{a / b:>10.3f}")


if __name__ == "__main__":
    main()
