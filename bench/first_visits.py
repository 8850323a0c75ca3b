"""First visits to pages, many times over on one server: for measuring what one element of a page costs.

    python bench/first_visits.py --units 2000 --trials 6 unit,progress,deductions,movement,whatif,data,rankings
    python bench/first_visits.py --trials 6 progress                      # the shipped sample

bench/dashboard.py starts a server per run and so measures few first visits; here one server serves
every trial, and each trial is a fresh browser context (a person opening the app anew): it signs in,
rests on the first page, then opens the pages given, in that order, each a first visit in that
context. The server's caches are warm after the first trial, as they are for the second person to
open the app, so the figures are the browser's part and the page scripts' own work. Prints each
page's median over the trials after the first, and every trial.
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

from bench.dashboard import BENCH_ACCOUNT, PAGES, arm, idle, working_copy  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", help="page keys, comma-separated: " + ",".join(k for _, k in PAGES))
    parser.add_argument("--units", type=int, default=0, help="0: the shipped sample; else a scaled organisation")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--trials", type=int, default=6)
    args = parser.parse_args()
    labels = {k: label for label, k in PAGES}
    keys = args.pages.split(",")
    work, copy = working_copy(args.units, args.events)
    server = Server(copy, work / "streamlit.log").start()
    times = {k: [] for k in keys}
    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for trial in range(args.trials):
                context = browser.new_context(viewport={"width": 1440, "height": 900})
                page = context.new_page()
                page.set_default_timeout(300_000)
                page.goto(server.url + "/")
                page.wait_for_selector('[data-testid="stForm"]')
                idle(page)
                page.get_by_label("账号", exact=True).fill(BENCH_ACCOUNT[0])
                page.get_by_label("密码", exact=True).fill(BENCH_ACCOUNT[1])
                time.sleep(1.0)
                page.get_by_role("button", name="登录").click()
                page.wait_for_selector('[data-testid="stSidebarNav"]')
                idle(page)
                time.sleep(1.5)                  # a moment on the first page, as a person reads it
                nav = page.locator('[data-testid="stSidebarNav"]')
                for key in keys:
                    started = arm(page)
                    nav.get_by_text(labels[key], exact=True).click()
                    page.wait_for_url(f"**/{key if key != 'rankings' else ''}**")
                    times[key].append(idle(page) - started)
                    time.sleep(1.0)
                context.close()
                print(".", end="", flush=True)
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nfirst visits, {'the shipped sample' if not args.units else f'{args.units:,} units'}, {args.trials} trials")
    for key, values in times.items():
        later = values[1:] if len(values) > 2 else values
        print(f"{labels[key]}: median {statistics.median(later):.2f} s   all {' '.join(f'{v:.2f}' for v in values)}")


if __name__ == "__main__":
    main()
