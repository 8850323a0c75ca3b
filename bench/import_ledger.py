"""Benchmark: importing a 50,000-row deduction ledger workbook, against a straightforward baseline.

    python bench/import_ledger.py

perfcore's import reads every cell, checks every row against the scheme and the unit list,
compares with the database by event id and writes in one transaction with audit rows. The
baseline is what a script would do without any of that: pandas.read_excel and one INSERT.
Both run in this process on the same file; read the ratios, not the seconds.
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from openpyxl import Workbook  # noqa: E402

import perfcore  # noqa: E402
from perfcore.ingest import importer  # noqa: E402
from perfcore.ingest.sources import load_source  # noqa: E402

ROWS = 50_000
ORG, YEAR = "示例区", 2025


def make_ledger(path: Path, con) -> None:
    rng = random.Random(5)
    units = [u for (u,) in con.execute("SELECT unit FROM units WHERE org = ? AND (last_year IS NULL OR last_year >= ?) "
                                       "AND (first_year IS NULL OR first_year <= ?)", [ORG, YEAR, YEAR]).fetchall()]
    rules = [("察访核验", "工作落实不力"), ("察访核验", "服务质量差"), ("信息报送", "信息报送未按时"),
             ("公文处理", "公文差错被通报"), ("值班值守情况", "值班脱岗漏岗"), ("正向激励", "区主要领导书面肯定")]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("扣分台账")
    ws.append(["编号", "日期", "单位", "指标", "情形", "来源层级", "次数", "问题标识", "状态", "说明"])
    for i in range(ROWS):
        target, rule = rng.choice(rules)
        ws.append([f"B{i:06d}", f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", rng.choice(units), target, rule,
                   rng.choice(["区", "市", "省"]), rng.choice([1, 1, 2]), f"P{rng.randint(0, 9999)}", "已审定", "压力测试"])
    wb.save(path)


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t


def peak_memory(fn) -> float:
    """Peak Python allocations of one call, in MB (a separate run: tracing slows Python down)."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    return peak


def main():
    work = Path(tempfile.mkdtemp())
    con = perfcore.connect(work / "bench.duckdb")
    load_source(con, ROOT / "data")
    path = work / "扣分台账.xlsx"
    make_ledger(path, con)
    ticks = []
    m_plan = peak_memory(lambda: importer.plan_import(con, path, ORG, YEAR))
    plan, t_plan = timed(lambda: importer.plan_import(con, path, ORG, YEAR, progress=ticks.append))
    assert plan.ok, plan.problems[:3]
    n, t_apply = timed(lambda: importer.apply_import(con, plan, who="bench", progress=ticks.append))
    again, t_again = timed(lambda: importer.plan_import(con, path, ORG, YEAR))
    assert not again.has_changes

    def baseline():
        frame = pd.read_excel(path)
        con.register("_raw", frame)
        con.execute("CREATE OR REPLACE TABLE raw_ledger AS SELECT * FROM _raw")
        return len(frame)
    rows, t_base = timed(baseline)
    m_base = peak_memory(baseline)
    ours = t_plan + t_apply
    print(f"ledger: {ROWS:,} rows ({path.stat().st_size / 2**20:.1f} MB xlsx); {n:,} changes written "
          f"(50,000 added; the year's other records revoked, as the file is the whole ledger), "
          f"{len(ticks)} progress updates; re-import of the same file: {t_again:.2f} s, no changes")
    print(f"{'measure':<34}{'perfcore':>12}{'baseline':>12}{'ratio':>8}")
    print(f"{'time (check + diff + write)':<34}{ours:>10.2f} s{t_base:>10.2f} s{ours / t_base:>8.2f}")
    print(f"{'  of which check and diff':<34}{t_plan:>10.2f} s")
    print(f"{'  of which write with audit':<34}{t_apply:>10.2f} s")
    print(f"{'peak Python memory (check + diff)':<34}{m_plan:>9.0f} MB{m_base:>9.0f} MB{m_plan / m_base:>8.2f}")


if __name__ == "__main__":
    main()
