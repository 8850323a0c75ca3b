"""分析's views visited again in one session, their frames cached: what the browser alone takes to draw each.

    python bench/views_again.py --units 2000 --rounds 5       # the 2,000-unit organisation
    python bench/views_again.py --rounds 5                    # the shipped sample

One `streamlit run dashboard.py` on a copy of the database, Debian's chromium through Playwright: sign in
on 分析, wait for the warm-up, open each view once, then go round the views `--rounds` times; the
median per view from the click to the app at rest (bench/dashboard.py's `arm` and `idle`).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.dashboard import BENCH_ACCOUNT, arm, idle, working_copy  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, Server, sign_in  # noqa: E402

VIEWS = ["为何变化", "单位对比", "差距", "名次稳健性", "预警"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=0, help="0: the shipped sample; else a scaled organisation")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work, copy = working_copy(args.units, args.events)
    server = Server(copy, work / "streamlit.log").start()
    times = {v: [] for v in VIEWS}
    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.set_default_timeout(300_000)
            sign_in(page, server.url + "/analysis", *BENCH_ACCOUNT)
            idle(page)
            time.sleep(15)                       # the warm-up after the first page
            views = page.locator('[data-testid="stButtonGroup"]')
            for round_ in range(args.rounds + 1):
                for view in VIEWS:
                    started = arm(page)
                    views.get_by_text(view, exact=True).click()
                    at = idle(page) - started
                    if round_:                   # the first round opens each view once
                        times[view].append(at)
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"分析's views visited again ({args.rounds} rounds), medians:")
    print("| view | seconds |\n|---|---|")
    for view, values in times.items():
        print(f"| {view} | {statistics.median(values):.2f} |")


if __name__ == "__main__":
    main()
