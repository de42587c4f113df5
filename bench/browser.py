"""Front-end timings in a real browser: first render of each page, one step, one slider move.

Starts ``streamlit run streamlit_app.py`` on a free port and drives headless
Debian Chromium (``/usr/bin/chromium``) with Playwright, reusing the browser
tests' server and browser helpers (``tests/browser/conftest.py``).  Measured,
each as the median of ``--repeats`` runs (the first, cold load is reported on
its own):

* first render of the Machine and Network pages: from navigation (the server
  already up) until the app's script state is ``notRunning`` and the page's
  charts are drawn — in a fresh browser (empty HTTP cache: a first visit) and
  as a new session in a browser that loaded the app before (warm cache);
* one step on the Machine page: from the click on Step until the next step's
  heading and lit state are on screen;
* one move of the Network page's time slider (``w_net_time``) at N = 10 000
  machines: from the key press until the drill-down shows the new time;
* a reference: the first render of a bare page with one tiny Graphviz chart
  and one tiny Plotly chart, measured in the same run.  The machine is shared
  and noisy; the ratio page / reference says what the page itself costs.

Targets: first render <= 3 s; a step and a slider move <= 1 s.

Usage: ``python bench/browser.py [--repeats 5] [--json]``
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"first_render_s": 3.0, "step_s": 1.0, "slider_move_s": 1.0}
NETWORK_N = 10_000
HIGHLIGHT = "#f4a261"


def _browser_helpers():
    """The browser tests' helpers (server start/stop, Chromium launch), loaded by path."""
    spec = importlib.util.spec_from_file_location("browser_helpers",
                                                  REPO / "tests" / "browser" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helpers = _browser_helpers()


def first_render(context, url: str, charts: list[str]) -> float:
    """Seconds from navigation in a new tab of ``context`` (a new app session) until the
    script is idle and ``charts`` are drawn."""
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(helpers.IDLE, timeout=60_000)
    for selector in charts:
        page.wait_for_selector(selector, timeout=60_000)
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def first_renders(browser, url: str, charts: list[str], repeats: int) -> dict:
    """``repeats + 1`` first renders in fresh browser contexts (empty HTTP cache: a first
    visit), then ``repeats`` in one context whose cache is warm (a returning visitor)."""
    fresh = []
    for _ in range(repeats + 1):
        context = browser.new_context(viewport=helpers.VIEWPORT)
        fresh.append(first_render(context, url, charts))
        context.close()
    context = browser.new_context(viewport=helpers.VIEWPORT)
    first_render(context, url, charts)
    warm = [first_render(context, url, charts) for _ in range(repeats)]
    context.close()
    return {"cold_s": fresh[0], "median_s": statistics.median(fresh[1:]), "runs_s": fresh[1:],
            "warm_cache_median_s": statistics.median(warm), "warm_cache_runs_s": warm,
            "target_s": TARGETS["first_render_s"]}


REFERENCE_APP = """import plotly.graph_objects as go
import streamlit as st

st.title("Reference")
st.graphviz_chart("digraph { a -> b; b -> a; }")
st.plotly_chart(go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 0, 1])))
"""
GRAPHVIZ_DRAWN = "[data-testid='stGraphVizChart'] svg g.node"
PLOTLY_DRAWN = "[data-testid='stPlotlyChart'] .main-svg"
MACHINE_CHARTS = [GRAPHVIZ_DRAWN, PLOTLY_DRAWN]
NETWORK_CHARTS = [PLOTLY_DRAWN, GRAPHVIZ_DRAWN]


def machine_steps(browser, app_url: str, repeats: int) -> list[float]:
    """Seconds per click on Step, until the new heading and lit state are drawn."""
    context = browser.new_context(viewport=helpers.VIEWPORT)
    page = context.new_page()
    page.goto(f"{app_url}/?m_tape_length={repeats + 1}")
    page.wait_for_selector(helpers.IDLE)
    page.wait_for_selector(GRAPHVIZ_DRAWN)
    step = page.get_by_role("button", name="Step", exact=True)
    times = []
    for k in range(1, repeats + 1):
        start = time.perf_counter()
        step.click()
        page.get_by_text(f"Step {k} of {repeats + 1}", exact=False).wait_for()
        page.wait_for_function(
            """([k, colour]) => {
                const heading = [...document.querySelectorAll("h4")]
                    .find(h => h.textContent.startsWith(`Step ${k} `));
                const state = heading && heading.querySelector("strong").textContent;
                const nodes = document.querySelectorAll("[data-testid='stGraphVizChart'] g.node");
                return [...nodes].some(
                    n => n.querySelector("title").textContent === state
                         && n.querySelector("ellipse")?.getAttribute("fill") === colour);
            }""", arg=[k, HIGHLIGHT])
        times.append(time.perf_counter() - start)
        page.wait_for_selector(helpers.IDLE)
    context.close()
    return times


def network_slider_moves(browser, app_url: str, repeats: int) -> list[float]:
    """Seconds per one-step move of the Network page's time slider at N = NETWORK_N."""
    context = browser.new_context(viewport=helpers.VIEWPORT)
    page = context.new_page()
    page.goto(f"{app_url}/network?net_machines={NETWORK_N}")
    page.wait_for_selector(helpers.IDLE, timeout=120_000)
    for selector in NETWORK_CHARTS:
        page.wait_for_selector(selector, timeout=120_000)
    thumb = (page.locator("[data-testid='stSlider']").filter(has_text="Inputs read")
             .locator("input[type='range']"))
    first = int(thumb.input_value())
    times = []
    for k in range(1, repeats + 1):
        thumb.focus()
        start = time.perf_counter()
        thumb.press("ArrowRight")
        page.get_by_text(f"After {first + k:,} inputs", exact=False).wait_for(timeout=30_000)
        page.wait_for_selector(helpers.IDLE)
        times.append(time.perf_counter() - start)
    context.close()
    return times


def reference_renders(browser, repeats: int) -> list[float]:
    """First renders of the bare reference page (its own server, in a temporary folder)."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "streamlit_app.py").write_text(REFERENCE_APP)
        port = helpers.free_port()
        url = f"http://127.0.0.1:{port}"
        server = helpers.start_server(port, Path(folder))
        try:
            helpers.wait_healthy(url, server)
            return first_renders(browser, f"{url}/", MACHINE_CHARTS, repeats)
        finally:
            helpers.stop_server(server)


def measure(repeats: int) -> dict:
    port = helpers.free_port()
    app_url = f"http://127.0.0.1:{port}"
    server = helpers.start_server(port)
    try:
        helpers.wait_healthy(app_url, server)
        with sync_playwright() as playwright:
            browser = helpers.launch_chromium(playwright)
            reference = reference_renders(browser, repeats)
            pages = {"machine": (f"{app_url}/", MACHINE_CHARTS),
                     "network": (f"{app_url}/network", NETWORK_CHARTS),
                     f"network_N{NETWORK_N}": (f"{app_url}/network?net_machines={NETWORK_N}",
                                               NETWORK_CHARTS)}
            renders = {name: first_renders(browser, url, charts, repeats)
                       for name, (url, charts) in pages.items()}
            steps = machine_steps(browser, app_url, repeats)
            slider = network_slider_moves(browser, app_url, repeats)
            browser.close()
    finally:
        helpers.stop_server(server)
    results = {f"first_render_{name}": row
               for name, row in {"reference": reference, **renders}.items()}
    results["machine_step"] = {"median_s": statistics.median(steps), "runs_s": steps,
                               "target_s": TARGETS["step_s"]}
    results[f"network_slider_move_N{NETWORK_N}"] = {"median_s": statistics.median(slider),
                                                    "runs_s": slider,
                                                    "target_s": TARGETS["slider_move_s"]}
    floor = results["first_render_reference"]["median_s"]
    ratios = {name: row["median_s"] / floor for name, row in results.items()
              if name.startswith("first_render_") and name != "first_render_reference"}
    return {"repeats": repeats, "results": results, "first_render_over_reference": ratios}


def print_table(report: dict) -> None:
    print(f"{'measurement':<34} {'median s':>9} {'cold s':>7} {'warm-cache s':>13} "
          f"{'target s':>9}  ok")
    for name, row in report["results"].items():
        cold = f"{row['cold_s']:.2f}" if "cold_s" in row else "-"
        warm = f"{row['warm_cache_median_s']:.2f}" if "warm_cache_median_s" in row else "-"
        ok = "yes" if row["median_s"] <= row["target_s"] else "NO"
        print(f"{name:<34} {row['median_s']:>9.2f} {cold:>7} {warm:>13} "
              f"{row['target_s']:>9.1f}  {ok}")
    print(f"(median of {report['repeats']} runs in fresh browsers; cold = the first load after "
          "the server started; warm-cache = a new session in a browser that loaded the app before)")
    for name, ratio in report["first_render_over_reference"].items():
        print(f"{name} / first_render_reference = {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    report = measure(args.repeats)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
