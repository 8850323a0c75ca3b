"""Rank robustness at scale: 10,000 weight draws for 2,000 units, perfcore against a plain numpy version.

    python bench/robustness.py                   # 2,000 units, 10,000 draws, 5 rounds
    python bench/robustness.py --units 5000 --draws 20000

Both sides get the same scored year (bench/scaled.py: 2,000 units in 8 series, 100 indicators,
a 1,000-point scheme with the public evaluation at 40 %) and the same drawn weights, and give
the same answer: per unit the median rank, the 5 % and 95 % ranks and the probability of each
grade, from composites rounded to cents and ranked as competition ranks. They are first checked
to agree exactly; then rounds alternate the two and the medians are compared.

The plain version is what one writes first with numpy: all draws' composites as one matrix,
`np.argsort` of every row (quicksort), ranks by scattering positions back, `np.quantile` along
the draws, `np.digitize` for the grades. perfcore (insight.robustness) works in chunks of 1,000
draws, ranks each row by a stable radix sort of 16-bit keys where the cents allow, and reads
the quantiles off one more radix sort of the ranks.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

import perfcore  # noqa: E402
from bench.scaled import FIRST_YEAR, ORG, build  # noqa: E402
from perfcore.insight.parts import exact_composite  # noqa: E402
from perfcore.insight.robustness import draw_weights, robustness, weight_columns  # noqa: E402


def plain(year, draws: int, spread: float, seed: int):
    """The first numpy version: one matrix, argsort per row, np.quantile, np.digitize."""
    rng = np.random.default_rng(seed)
    X, a, F, _ = weight_columns(year)
    units = list(year.grid.units)
    base = exact_composite(year.components.set_index("unit").loc[units], year.scheme)
    drawn = np.concatenate([draw_weights(a, F, min(1000, draws - s), spread, rng) for s in range(0, draws, 1000)])
    composite = base[None, :] + (drawn - a) @ X.T
    cents = np.sign(composite) * np.floor(np.abs(composite) * 100 + 0.5 + 1e-9)
    order = np.argsort(-cents, axis=1)
    ordered = np.take_along_axis(cents, order, axis=1)
    first = np.where(np.r_[True, np.zeros(len(units) - 1, dtype=bool)][None, :] | (np.diff(ordered, axis=1, prepend=np.inf) != 0),
                     np.arange(len(units))[None, :], 0)
    first = np.maximum.accumulate(first, axis=1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, first + 1, axis=1)
    p05, median, p95 = np.quantile(ranks, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf")
    bounds = [g.min * 100 for g in year.scheme.grades[:-1]][::-1]
    grades = len(bounds) - np.digitize(cents, bounds)
    share = np.stack([(grades == k).mean(axis=0) for k in range(len(bounds) + 1)], axis=1)
    return median.astype(int), p05.astype(int), p95.astype(int), share


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--spread", type=float, default=0.25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "robustness.duckdb"
        build(path, units=args.units, events=50 * args.units, years=1)
        con = perfcore.connect(path)
        year = perfcore.score(con, ORG, FIRST_YEAR)
        print(f"{len(year.units)} units, {args.draws} draws, weights drawn: {', '.join(weight_columns(year)[3])}")
        ours = robustness(year, draws=args.draws, spread=args.spread, seed=1)
        theirs = plain(year, args.draws, args.spread, 1)
        at = ours.set_index("unit").loc[list(year.grid.units)]
        share = np.array([[d[g] for g in year.scheme.grade_names()] for d in at["p_grade"]])
        assert (at["median_rank"].to_numpy() == theirs[0]).all() and (at["rank_p05"].to_numpy() == theirs[1]).all()
        assert (at["rank_p95"].to_numpy() == theirs[2]).all() and np.allclose(share, theirs[3])
        print("both agree: median, 5 % and 95 % ranks and grade probabilities identical for every unit")
        mine, base = [], []
        for _ in range(args.rounds):
            mine.append(timed(lambda: robustness(year, draws=args.draws, spread=args.spread, seed=1))[0])
            base.append(timed(lambda: plain(year, args.draws, args.spread, 1))[0])
        m, b = statistics.median(mine), statistics.median(base)
        print(f"perfcore      {m:.3f} s  (rounds: {', '.join(f'{x:.2f}' for x in mine)})")
        print(f"plain numpy   {b:.3f} s  (rounds: {', '.join(f'{x:.2f}' for x in base)})")
        print(f"ratio         {m / b:.2f}")
        con.close()


if __name__ == "__main__":
    main()
