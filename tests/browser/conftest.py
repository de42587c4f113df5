"""Browser-test fixtures: a real ``streamlit run`` server and headless Debian Chromium (Playwright).

Every test in ``tests/browser`` is marked ``browser`` (deselect with ``-m "not browser"``).
Session-scoped fixtures:

* ``app_url`` — the base URL of a server started for the test session (a free
  port, its own process group, stopped when the session ends);
* ``page`` — one Chromium page (1600x1000) shared by the session's tests;
* ``open_app`` — ``open_app(path="", query="")`` loads ``app_url/path?query`` in
  ``page`` and waits until the script has run and the page has content;
* ``screenshot`` — ``screenshot(page, "machine.png")`` saves the main block
  (the whole page content, not just the viewport) to ``test-artifacts/``.

Chromium is ``/usr/bin/chromium`` (``make test`` installs Debian's package);
``playwright install`` is never used.  A missing browser fails the tests with a
message saying how to install it.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: the app has finished a script run
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
VIEWPORT = {"width": 1600, "height": 1000}
#: a classroom projector (issue 15): what the layout, Learn and classroom tests check at
PROJECTOR = {"width": 1280, "height": 720}
SERVER_START_SECONDS = 60


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, app_dir: Path = REPO) -> subprocess.Popen:
    """``streamlit run streamlit_app.py`` (of ``app_dir``) on ``port`` in its own process group.

    Its stderr goes to a temporary file (``proc.log``), never an unread pipe that could fill up
    and block the server."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.runOnSave", "false", "--server.fileWatcherType", "none"],
        cwd=app_dir, start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=log)
    proc.log = log
    return proc


def _read_log(proc: subprocess.Popen) -> str:
    proc.log.seek(0)
    return proc.log.read().decode(errors="replace")


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = SERVER_START_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}: "
                               f"{_read_log(proc)[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer {url}/_stcore/health within {timeout:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def launch_chromium(playwright):
    """Headless Debian Chromium, or a clear failure when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. Install it "
                    "with `make browser` (or `sudo apt-get install -y chromium`); never "
                    "`playwright install`.", pytrace=False)
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_ARGS)


def wait_for_app(page, timeout_ms: int = 30_000) -> None:
    """Wait until the script run is over and the main area has content."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    content = "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']"
    page.wait_for_selector(content, timeout=timeout_ms)


#: every button (also those inside a component's shadow root), metric label and value and
#: expander title whose text is wider than its box, as [text, text width, box width]
CUT_SHORT = """() => {
    const roots = [document];
    for (let i = 0; i < roots.length; i++)
        for (const el of roots[i].querySelectorAll("*"))
            if (el.shadowRoot) roots.push(el.shadowRoot);
    const cut = [];
    const targets = roots.flatMap(root => [...root.querySelectorAll(
        "button, [data-testid='stMetricLabel'], [data-testid='stMetricValue'], summary")]);
    for (const target of targets)
        for (const el of [target, ...target.querySelectorAll("*")]) {
            const style = getComputedStyle(el);
            if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1
                    && style.overflowX !== "visible")
                cut.push([target.textContent.trim().slice(0, 40), el.scrollWidth, el.clientWidth]);
        }
    return cut;
}"""


@pytest.fixture(scope="session")
def cut_short():
    """``cut_short(page)``: every button, metric and expander title of ``page`` whose text
    is wider than its box (the way Streamlit ellipsises "Reset" into "Re…"), as
    [text, text width, box width]."""
    return lambda page: page.evaluate(CUT_SHORT)


@pytest.fixture
def projector(browser, app_url):
    """``open(path, query)`` (or ``open(url=...)``): a fresh 1280x720 browser context on the
    app, waited for; each call is a new browser (a student's), closed after the test.
    ``open.viewport`` is its size."""
    contexts = []

    def open_page(path: str = "", query: str = "", url: str | None = None):
        context = browser.new_context(viewport=PROJECTOR)
        contexts.append(context)
        page = context.new_page()
        page.goto(url or f"{app_url}/{path}" + (f"?{query}" if query else ""))
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                               timeout=60_000)
        page.wait_for_selector("[data-testid='stMainBlockContainer'] "
                               "[data-testid='stElementContainer']", timeout=60_000)
        return page

    open_page.viewport = PROJECTOR
    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def app_url():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(port)
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def open_app(app_url, page):
    def load(path: str = "", query: str = ""):
        page.set_viewport_size(VIEWPORT)
        page.goto(f"{app_url}/{path}" + (f"?{query}" if query else ""))
        wait_for_app(page)
        return page
    return load


def save_main_screenshot(page, name: str) -> Path:
    """Screenshot the whole main block into ``test-artifacts/name``.

    Streamlit scrolls inside its own container, so the viewport is first made
    as tall as the content (then restored).
    """
    ARTIFACTS.mkdir(exist_ok=True)
    main = page.locator("[data-testid='stMainBlockContainer']")
    height = page.evaluate("el => el.scrollHeight", main.element_handle())
    page.set_viewport_size({"width": VIEWPORT["width"], "height": int(height) + 120})
    page.wait_for_timeout(500)          # let charts re-layout to the new size
    path = ARTIFACTS / name
    main.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)
    return path


@pytest.fixture(scope="session")
def screenshot():
    return save_main_screenshot
