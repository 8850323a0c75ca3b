"""The dashboard as a leader uses it, timed in a real browser.

    python bench/dashboard.py                  # the shipped sample (built from data/ on the first start)
    python bench/dashboard.py --units 2000     # a 2,000-unit organisation, 1,000,000 events over 10 years

For each run a fresh `streamlit run dashboard.py` starts on a copy of the database; Debian's
chromium (driven by Playwright) opens the first page, signs in (as an office account), then
switches to every other page in turn (and each of 分析's views), then changes a what-if weight. Each time is from the click to the moment the app is
idle again (Streamlit's own "script not running" marker, and no skeleton left). Medians of
the runs are reported, with the server's peak memory (VmHWM of its process).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from tests.browser import CHROMIUM, CHROMIUM_ARGS, IDLE, Server  # noqa: E402

BENCH_ACCOUNT = ("测速", "bench-password")      # an office account the runs sign in with
TYPING = 4.0                                    # seconds on the sign-in screen before the click, as a person takes

PAGES = [("分析", "analysis"), ("单位画像", "unit"), ("指标进度", "progress"), ("扣分明细", "deductions"),
         ("排名变化", "movement"), ("权重模拟", "whatif"), ("数据管理", "data"), ("反馈与申诉", "appeals"),
         ("账号管理", "accounts"), ("部门排名", "rankings")]          # every page of the office's list
ANALYSES = ["单位对比", "差距", "名次稳健性", "预警"]                      # 分析's other views (为何变化 opens first)


# Marks, from the moment it is armed, whether the app has run a script since (any state but "notRunning",
# "rerunRequested" included): a click's run can begin and end inside idle()'s 0.3 s check, and the first
# idle moment seen would then be the one before the click (0.08 s "switches" that drew nothing yet). It also
# notes when the page's main area last changed: the first page switch after signing in draws the new page
# without the script-state marker ever leaving "notRunning" (seen with a 2 ms poll), so there the switch
# is over when the new page is in.
ARM = """() => { window.__ran = false; window.__t0 = performance.now(); window.__drawn = null;
    if (!window.__watch) {
        window.__watch = new MutationObserver((changes) => {
            for (const c of changes) {
                if (c.type === 'childList') {
                    if (c.target.closest && c.target.closest('[data-testid="stMain"]')) window.__drawn = performance.now();
                    continue;
                }           // a run's start and end can come in one task: its end's old value says it ran
                const now = c.target.getAttribute('data-test-script-state');
                if (now !== 'notRunning' || (c.oldValue !== null && c.oldValue !== 'notRunning')) window.__ran = true;
            } });
        window.__watch.observe(document.body, {attributes: true, attributeOldValue: true, subtree: true, childList: true,
                                               attributeFilter: ['data-test-script-state']});
    } }"""
NO_RUN_WAIT = 1_000      # ms after a click with no run seen: the page was drawn without one (or nothing changed)


def arm(page) -> float:
    """Before a click: watch for the run it causes; the click's start time."""
    page.evaluate(ARM)
    return time.perf_counter()


def idle(page, timeout=300_000) -> float:
    """When the app came to rest: the first idle moment after which it stays idle (checked, not counted),
    after the run of the click `arm` was called before. A click that shows no run within a second (the
    first switch after signing in) came to rest when the main area last changed."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    try:
        page.wait_for_function("() => window.__ran !== false", timeout=NO_RUN_WAIT, polling=10)
    except PlaywrightTimeout:
        page.wait_for_function(IDLE, timeout=timeout, polling=10)
        now, drawn, t0 = page.evaluate("() => [performance.now(), window.__drawn, window.__t0]")
        back = (now - (drawn if drawn is not None else t0)) / 1000     # from now to the last change (or the click)
        return time.perf_counter() - back
    while True:
        page.wait_for_function(IDLE, timeout=timeout, polling=10)
        at = time.perf_counter()
        time.sleep(0.3)
        if page.evaluate(IDLE):
            return at


def working_copy(units: int = 0, events: int = 1_000_000) -> tuple[Path, Path]:
    """A scratch folder and in it a database to run a server on, with the bench's office account: the
    shipped sample built afresh (units 0) or a copy of the scaled organisation (bench/scoring.py)."""
    import perfcore
    work = Path(tempfile.mkdtemp())
    copy = work / "app.duckdb"
    if units:
        from bench.scoring import database
        shutil.copy(database(units, events), copy)
    else:
        from perfcore.ingest.sources import load_source
        con = perfcore.connect(copy)
        load_source(con, ROOT / "data")
        con.close()
    with_bench_account(copy)
    return work, copy


def with_bench_account(db: Path) -> None:
    """The office account the runs sign in with, added to a database once."""
    import perfcore
    from perfcore.store import accounts
    con = perfcore.connect(db)
    if not accounts.exists(con, BENCH_ACCOUNT[0]):
        accounts.create(con, BENCH_ACCOUNT[0], "office", BENCH_ACCOUNT[1])
    con.close()


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(db: Path, browser) -> dict:
    work = Path(tempfile.mkdtemp())
    copy = work / "app.duckdb"
    shutil.copy(db, copy)
    with_bench_account(copy)
    server = Server(copy, work / "streamlit.log").start()
    out = {}
    try:
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.set_default_timeout(300_000)
        started = time.perf_counter()
        page.goto(server.url + "/")
        page.get_by_label("账号", exact=True).wait_for(timeout=300_000)
        out["sign-in form shown"] = time.perf_counter() - started          # a person can type from here
        out["sign-in screen at rest"] = idle(page) - started               # plotly.js and the like preloaded meanwhile
        page.get_by_label("账号", exact=True).fill(BENCH_ACCOUNT[0])
        page.get_by_label("密码", exact=True).fill(BENCH_ACCOUNT[1])
        time.sleep(TYPING)                # a person typing a name and a password
        started = arm(page)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=300_000)
        out["first page (after signing in)"] = idle(page) - started
        for label, key in PAGES:
            started = arm(page)
            page.locator('[data-testid="stSidebarNav"]').get_by_text(label, exact=True).click()
            page.wait_for_url(f"**/{key if key != 'rankings' else ''}**", timeout=300_000)
            out[f"switch to {label}"] = idle(page) - started
            if key == "analysis":
                for view in ANALYSES:
                    started = arm(page)
                    page.locator('[data-testid="stButtonGroup"]').get_by_text(view, exact=True).click()
                    out[f"分析: {view}"] = idle(page) - started
            if key == "whatif":
                thumb = page.locator('input[type="range"]').first     # the first component's weight
                thumb.focus()
                for press in ("ArrowRight", "ArrowLeft", "ArrowRight"):
                    started = arm(page)
                    page.keyboard.press(press)
                    out.setdefault("what-if change", []).append(idle(page) - started)
                out["what-if change"] = statistics.median(out["what-if change"])
        out["memory"] = peak_memory_mb(server.proc.pid)
        page.context.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=0, help="0: the shipped sample; else a scaled organisation")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.units:
        from bench.scoring import database
        db = database(args.units, args.events)
        label = f"{args.units:,} units, {args.events:,} events, 10 years"
    else:
        db = Path(tempfile.mkdtemp()) / "sample.duckdb"     # built once, as `init` (or the app's first start) does
        import perfcore
        from perfcore.ingest.sources import load_source
        con = perfcore.connect(db)
        load_source(con, ROOT / "data")
        con.close()
        label = "the shipped sample"
    from playwright.sync_api import sync_playwright
    runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(args.runs):
            runs.append(one_run(db, browser))
            print(".", end="", flush=True)
        browser.close()
    print(f"\ndashboard, {label}: medians of {args.runs} runs (fresh server each run)")
    print("| step | seconds |\n|---|---|")
    for key in runs[0]:
        if key == "memory":
            continue
        print(f"| {key} | {statistics.median(r[key] for r in runs):.2f} |")
    print(f"| server peak memory | {statistics.median(r['memory'] for r in runs):.0f} MB |")


if __name__ == "__main__":
    main()
