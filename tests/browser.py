"""Helpers for the real-browser tests: a `streamlit run dashboard.py` server and Debian's chromium.

On CI (CI=true) a missing browser is an error, never a skip.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError("chromium is not installed; CI must run the browser tests (scripts/test.sh installs it)")
        pytest.skip("chromium is not installed (scripts/test.sh installs it)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run dashboard.py` on a database file; can be stopped and started again on the same file."""

    def __init__(self, db: Path, log: Path):
        self.db, self.log_path = Path(db), Path(log)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self, timeout: float = 120) -> "Server":
        env = dict(os.environ, PERFCORE_DB=str(self.db))
        self._log = open(self.log_path, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(self.port),
                                      "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                                     cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=1)
                return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not start: " + self.log_path.read_text()[-2000:])

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self._log.close()


IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0; }"""


def settle(page, timeout=120_000):
    """Wait until the script has finished and stays finished (a page may rerun itself once more)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    deadline = time.time() + timeout / 1000
    while time.time() < deadline:
        time.sleep(0.8)
        page.wait_for_function(IDLE, timeout=timeout)
        time.sleep(1.2)
        if page.evaluate(IDLE):
            return
    raise TimeoutError("the page never came to rest")


def shoot(page, name, width=1440):
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        '[data-testid="stMain"], [data-testid="stMainBlockContainer"]')].map(e => e.scrollHeight), 800)""")
    page.set_viewport_size({"width": width, "height": min(int(height) + 80, 6000)})
    time.sleep(1.0)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": width, "height": 900})


def errors(page) -> int:
    return page.locator('[data-testid="stException"]').count()


# Each chart on the page whose margins plotly had to grow after its first draw (and so drew twice): its
# title and the sides that grew. A chart whose category labels plotly turned because they do not fit
# across, or which has a colour bar, is left out: their room depends on the chart's width on the screen.
REDRAWN = """[...document.querySelectorAll('.js-plotly-plot')].map(p => {
  const m = p.layout.margin || {}, s = p._fullLayout._size;
  const turned = [...p.querySelectorAll('.xtick text')].some(t => /rotate/.test(t.getAttribute('transform') || ''));
  const grew = ['l', 'r', 't', 'b'].filter(k => Math.round(s[k]) > (m[k] || 0));
  return {title: (p.querySelector('.gtitle') || {}).textContent || '', grew, skip: turned || !!p.querySelector('.colorbar')};
}).filter(c => c.grew.length && !c.skip).map(c => c.title + ': ' + c.grew.join(''))"""


def redrawn_charts(page) -> list[str]:
    return page.evaluate(REDRAWN)


def choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by its label, as a user does: open it, type to filter, click."""
    page.get_by_label(label, exact=True).click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


DEMO = {"office": ("效能办", "office-demo"), "leader": ("领导", "leader-demo"), "collector": ("区委办采集员", "collector-demo"),
        "unit": ("区委编办", "unit-demo")}


def sign_in(page, url: str, name: str, password: str, english: bool = False) -> None:
    """Open `url` (any page, query included) and sign in on the form it shows, as a person does."""
    page.goto(url)
    page.wait_for_selector('[data-testid="stForm"]', timeout=120_000)
    page.get_by_label("Account" if english else "账号", exact=True).fill(name)
    page.get_by_label("Password" if english else "密码", exact=True).fill(password)
    page.get_by_role("button", name="Sign in" if english else "登录").click()
    settle(page)


def sign_in_as(page, url: str, role: str, english: bool = False) -> None:
    """Sign in with the sample's demo account of a role (data/demo.toml)."""
    sign_in(page, url, *DEMO[role], english=english)


def tick_row(page, grid, row: int = 0) -> None:
    """Tick a data row's selection box in a grid (row 0 the first), as a person clicks it: the grid's top
    scrolled into view first (a grid showing every row is taller than the window)."""
    grid.evaluate("e => e.scrollIntoView({block: 'start'})")
    box = grid.bounding_box()
    page.mouse.move(box["x"] - 40, 450)         # beside the grid, so the wheel scrolls the page
    page.mouse.wheel(0, -200)                   # clear of the app's sticky header
    time.sleep(0.8)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17 + 35 * row)
    settle(page)
