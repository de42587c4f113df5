"""The Train page in a real browser: chart updates per second while training, Pause, first render.

Starts ``streamlit run streamlit_app.py`` on a free port and drives headless
Debian Chromium with Playwright, reusing ``bench/browser.py`` (server, browser
and first-render helpers, themselves the browser tests' fixtures).  Measured:

* first render of the Train page with its defaults (N = 1 000 machines) and with
  N = 10 000: from navigation (the server up) until the script is idle and the
  charts are drawn, median of ``--repeats`` fresh browsers (the first, cold load
  after the server started is reported on its own);
* chart updates per second while training N = 10 000 machines: a poller inside the
  page (every 10 ms) records each time a chart's drawn data changes; the rate of
  the loss chart, and of the slowest of the four charts, over ``--seconds`` of
  training after a warm-up, median over ``--repeats`` Start/Pause cycles;
* Pause -> last chart change: from the click on Pause (its time taken in the page)
  to the last change of any chart afterwards (watched for 3 s), median over the cycles;
* updates per second the page reports while training (the engine's throughput
  inside the ticks, for reference).

Targets: >= 3 chart updates per second at N = 10 000; Pause stops the charts
within 0.5 s; first render <= 3 s.  The machine is shared and noisy: medians,
and the run's BLAS threads are left as the server finds them.

The Compare page (``--page compare``): chart updates per second of its curve and gate
charts while the FSM network (N = 2 000), the ESN (N = 500) and the LSTM (H = 64) all
train (readouts with Adam), and Pause -> last chart change; targets >= 2 updates/s and
0.5 s.

Usage: ``python bench/ui.py [--page train|compare] [--repeats 3] [--seconds 10] [--json]``
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
TARGETS = {"updates_per_s": 3.0, "pause_s": 0.5, "first_render_s": 3.0}
N_LARGE = 10_000
CHARTS = "[data-testid='stPlotlyChart'] .main-svg"
#: how long the charts are watched after Pause for a late change
AFTER_PAUSE_S = 3.0
WARM_UP_S = 3.0


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


browser_bench = _load("bench_browser", HERE / "browser.py")
helpers = browser_bench.helpers

#: records, for each chart (by its title), the page time of every change of its drawn data
POLLER = """() => {
    window.__chartChanges = {};
    const last = {};
    // a short fingerprint of an array as Plotly holds it: a plain or typed array, or the
    // {dtype, bdata} base64 form Python's plotly sends
    const sample = v => {
        if (v == null) return "";
        if (v.bdata !== undefined) v = v.bdata;
        const n = v.length || 0, step = 1 + Math.floor(n / 200);
        let out = `${n}:`;
        for (let i = 0; i < n; i += step) out += typeof v === "string" ? v[i] : `${v[i]},`;
        return out + (n ? (typeof v === "string" ? v[n - 1] : v[n - 1]) : "");
    };
    const signature = el => (el.data || []).map(trace => [sample(trace.x), sample(trace.y),
        sample(trace.z), sample(trace.marker && trace.marker.color)].join(";")).join("|");
    window.__poller = setInterval(() => {
        const seen = new Set();   // while a chart is replaced, old and new may both be there
        for (const el of document.querySelectorAll(".js-plotly-plot")) {
            const title = el.layout && el.layout.title && el.layout.title.text;
            if (!title || seen.has(title)) continue;
            seen.add(title);
            const key = signature(el);
            if (last[title] !== undefined && key !== last[title])
                (window.__chartChanges[title] = window.__chartChanges[title] || [])
                    .push(performance.now());
            last[title] = key;
        }
    }, 10);
}"""


def open_train(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(helpers.IDLE, timeout=120_000)
    page.wait_for_selector(CHARTS, timeout=120_000)


def changes_between(page, start: float, end: float) -> dict[str, list[float]]:
    """Page times of chart changes in ``[start, end)`` (page clock, ms), by chart title."""
    return page.evaluate("""([start, end]) => Object.fromEntries(
        Object.entries(window.__chartChanges).map(
            ([title, times]) => [title, times.filter(t => t >= start && t < end)]))""",
                         [start, end])


def reported_rate(page) -> float:
    """The updates per second the page's status line shows (NaN when it shows none)."""
    text = page.locator("[data-testid='stMarkdown']").filter(has_text="updates/s").first
    try:
        match = re.search(r"([\d,.]+) updates/s", text.inner_text(timeout=2_000))
    except Exception:   # noqa: BLE001 - no status line with a rate: report NaN
        return float("nan")
    return float(match.group(1).replace(",", "")) if match else float("nan")


def training_cycles(browser, app_url: str, repeats: int, seconds: float) -> dict:
    """``repeats`` Start / train ``seconds`` / Pause cycles at N = N_LARGE."""
    context = browser.new_context(viewport=helpers.VIEWPORT)
    page = context.new_page()
    open_train(page, f"{app_url}/train?tr_fsm.n_machines={N_LARGE}")
    page.evaluate(POLLER)
    start_button = page.get_by_role("button", name="Start", exact=True)
    pause_button = page.get_by_role("button", name="Pause", exact=True)
    page.evaluate("""() => document.addEventListener("click", event => {
        if (event.target.closest("button")?.innerText.includes("Pause"))
            window.__pausedAt = performance.now();
    }, true)""")
    cycles = []
    for _ in range(repeats):
        start_button.click()
        page.wait_for_timeout(WARM_UP_S * 1000)
        t0 = page.evaluate("performance.now()")
        page.wait_for_timeout(seconds * 1000)
        t1 = page.evaluate("performance.now()")
        rate = reported_rate(page)
        pause_button.click()
        page.wait_for_timeout(AFTER_PAUSE_S * 1000)
        paused_at = page.evaluate("window.__pausedAt")
        during = changes_between(page, t0, t1)
        after = changes_between(page, paused_at, paused_at + AFTER_PAUSE_S * 1000)
        per_chart = {title: len(times) / ((t1 - t0) / 1000) for title, times in during.items()}
        last_by_chart = {title: (max(times) - paused_at) / 1000 if times else 0.0
                         for title, times in after.items()}
        cycles.append({"updates_per_s_by_chart": per_chart,
                       "pause_to_last_change_s": max(last_by_chart.values(), default=0.0),
                       "pause_to_last_change_by_chart_s": last_by_chart,
                       "engine_updates_per_s": rate})
        page.wait_for_selector(helpers.IDLE)
        start_button.wait_for(state="visible")
        page.wait_for_function("""() => [...document.querySelectorAll("button")]
            .some(b => b.innerText.includes("Start") && !b.disabled)""")
    context.close()
    titles = sorted({title for c in cycles for title in c["updates_per_s_by_chart"]})
    return {"cycles": cycles,
            "updates_per_s_by_chart": {
                title: statistics.median(c["updates_per_s_by_chart"].get(title, 0.0)
                                         for c in cycles) for title in titles},
            "pause_to_last_change_by_chart_s": {
                title: statistics.median(c["pause_to_last_change_by_chart_s"].get(title, 0.0)
                                         for c in cycles) for title in titles},
            "pause_to_last_change_s": statistics.median(c["pause_to_last_change_s"]
                                                        for c in cycles),
            "engine_updates_per_s": statistics.median(c["engine_updates_per_s"]
                                                      for c in cycles)}


def measure(repeats: int, seconds: float) -> dict:
    load_before = os.getloadavg()[0]
    port = helpers.free_port()
    app_url = f"http://127.0.0.1:{port}"
    server = helpers.start_server(port)
    try:
        started = time.perf_counter()
        helpers.wait_healthy(app_url, server)
        server_up_s = time.perf_counter() - started
        with sync_playwright() as playwright:
            browser = helpers.launch_chromium(playwright)
            reference = browser_bench.reference_renders(browser, repeats)
            renders = {
                "first_render_train": browser_bench.first_renders(
                    browser, f"{app_url}/train", [CHARTS], repeats),
                f"first_render_train_N{N_LARGE}": browser_bench.first_renders(
                    browser, f"{app_url}/train?tr_fsm.n_machines={N_LARGE}", [CHARTS], repeats)}
            training = training_cycles(browser, app_url, repeats, seconds)
            browser.close()
    finally:
        helpers.stop_server(server)
    floor = reference["median_s"]
    return {"repeats": repeats, "seconds": seconds, "server_up_s": server_up_s,
            "n_machines": N_LARGE, "targets": TARGETS, "first_render_reference": reference,
            **renders, "training": training,
            "first_render_over_reference": {name: row["median_s"] / floor
                                            for name, row in renders.items()},
            "load_average": [load_before, os.getloadavg()[0]]}


def print_table(report: dict) -> None:
    training = report["training"]
    rows = [(f"chart updates/s while training N={N_LARGE:,}: {title}", rate,
             TARGETS["updates_per_s"], True)
            for title, rate in training["updates_per_s_by_chart"].items()]
    rows += [(f"Pause -> last change: {title} (s)", delay, TARGETS["pause_s"], False)
             for title, delay in training["pause_to_last_change_by_chart_s"].items()]
    rows += [("first render, Train page defaults (s)", report["first_render_train"]["median_s"],
              TARGETS["first_render_s"], False),
             (f"first render, N={N_LARGE:,} (s)",
              report[f"first_render_train_N{N_LARGE}"]["median_s"], TARGETS["first_render_s"],
              False),
             ("first render, bare reference page (s)",
              report["first_render_reference"]["median_s"], TARGETS["first_render_s"], False)]
    print(f"{'measurement':<78} {'median':>7} {'target':>7}  ok")
    for name, value, target, larger in rows:
        ok = value >= target if larger else value <= target
        print(f"{name[:78]:<78} {value:>7.2f} {target:>7.2f}  {'yes' if ok else 'NO'}")
    print(f"cold first render (the first load after the server started): "
          f"{report['first_render_train']['cold_s']:.2f} s; server up in "
          f"{report['server_up_s']:.2f} s; engine updates/s shown by the page at N={N_LARGE:,}: "
          f"{training['engine_updates_per_s']:.1f}")
    print(f"(medians of {report['repeats']} runs; {report['seconds']:.0f} s of training per cycle)")
    for name, ratio in report["first_render_over_reference"].items():
        print(f"{name} / first_render_reference = {ratio:.2f}")
    before, after = report["load_average"]
    print(f"load average (1 min) {before:.1f} before, {after:.1f} after, on "
          f"{os.cpu_count()} cores: a shared machine; compare ratios within one run")


# ---------------------------------------------------------------------- the Compare page
#: the Compare page training all three models at the issue's sizes (FSM N = 2 000, ESN N = 500,
#: LSTM H = 64), the readouts with mini-batch Adam so that every model keeps training
COMPARE_SIZES = {"fsm.n_machines": 2000, "fsm.solver": "adam", "esn.n_units": 500,
                 "esn.solver": "adam", "lstm.n_hidden": 64}
COMPARE_TASK = "delayed_recall"
COMPARE_TARGETS = {"updates_per_s": 2.0, "pause_s": 0.5}
GATE_CHART = "LSTM gate activations on one held-out episode"


def compare_url(app_url: str) -> str:
    query = "&".join(f"cmp_{COMPARE_TASK}.{key}={value}" for key, value in COMPARE_SIZES.items())
    return f"{app_url}/compare?cmp_task={COMPARE_TASK}&{query}"


def compare_cycles(browser, app_url: str, repeats: int, seconds: float) -> dict:
    """``repeats`` Start / train ``seconds`` / Pause cycles of the Compare page with all three
    models training: the rates of its three curve charts and of its gate chart (the FSM
    state raster never changes while training), and Pause -> last change of any chart."""
    context = browser.new_context(viewport=helpers.VIEWPORT)
    page = context.new_page()
    open_train(page, compare_url(app_url))
    page.evaluate(POLLER)
    start_button = page.get_by_role("button", name="Start", exact=True)
    pause_button = page.get_by_role("button", name="Pause", exact=True)
    page.evaluate("""() => document.addEventListener("click", event => {
        if (event.target.closest("button")?.innerText.includes("Pause"))
            window.__pausedAt = performance.now();
    }, true)""")
    cycles = []
    for _ in range(repeats):
        start_button.click()
        page.wait_for_timeout(WARM_UP_S * 1000)
        t0 = page.evaluate("performance.now()")
        page.wait_for_timeout(seconds * 1000)
        t1 = page.evaluate("performance.now()")
        pause_button.click()
        page.wait_for_timeout(AFTER_PAUSE_S * 1000)
        paused_at = page.evaluate("window.__pausedAt")
        during = changes_between(page, t0, t1)
        after = changes_between(page, paused_at, paused_at + AFTER_PAUSE_S * 1000)
        per_chart = {title: len(times) / ((t1 - t0) / 1000) for title, times in during.items()}
        last_change = max((max(times) for times in after.values() if times), default=paused_at)
        cycles.append({"updates_per_s_by_chart": per_chart,
                       "pause_to_last_change_s": (last_change - paused_at) / 1000})
        page.wait_for_selector(helpers.IDLE)
        page.wait_for_function("""() => [...document.querySelectorAll("button")]
            .some(b => b.innerText.includes("Start") && !b.disabled)""")
    context.close()
    curves = [min((v for k, v in c["updates_per_s_by_chart"].items() if "against" in k),
                  default=0.0) for c in cycles]
    gates = [c["updates_per_s_by_chart"].get(GATE_CHART, 0.0) for c in cycles]
    return {"cycles": cycles, "sizes": COMPARE_SIZES, "task": COMPARE_TASK,
            "slowest_curve_chart_updates_per_s": statistics.median(curves),
            "gate_chart_updates_per_s": statistics.median(gates),
            "pause_to_last_change_s": statistics.median(c["pause_to_last_change_s"]
                                                        for c in cycles)}


def measure_compare(repeats: int, seconds: float) -> dict:
    """The Compare page's cycles and, in the same run as a reference on a shared machine,
    the Train page's (N = 10 000)."""
    port = helpers.free_port()
    app_url = f"http://127.0.0.1:{port}"
    server = helpers.start_server(port)
    try:
        helpers.wait_healthy(app_url, server)
        with sync_playwright() as playwright:
            browser = helpers.launch_chromium(playwright)
            compare = compare_cycles(browser, app_url, repeats, seconds)
            train = training_cycles(browser, app_url, repeats, seconds)
            browser.close()
    finally:
        helpers.stop_server(server)
    return {"repeats": repeats, "seconds": seconds, "targets": COMPARE_TARGETS,
            "load_average": os.getloadavg(), "compare": compare, "train_reference": train}


def print_compare_table(report: dict) -> None:
    compare, train = report["compare"], report["train_reference"]
    sizes = "FSM N=2,000, ESN N=500, LSTM H=64"
    rows = [(f"Compare: chart updates/s, all three training ({sizes})",
             compare["slowest_curve_chart_updates_per_s"], COMPARE_TARGETS["updates_per_s"],
             True),
            ("  the gate-activation chart", compare["gate_chart_updates_per_s"],
             COMPARE_TARGETS["updates_per_s"], True),
            ("Compare: Pause -> last chart change (s)", compare["pause_to_last_change_s"],
             COMPARE_TARGETS["pause_s"], False)]
    print(f"{'measurement':<74} {'median':>8} {'target':>8}  ok")
    for name, value, target, larger in rows:
        ok = value >= target if larger else value <= target
        print(f"{name:<74} {value:>8.2f} {target:>8.2f}  {'yes' if ok else 'NO'}")
    train_rate = min(train["updates_per_s_by_chart"].values(), default=float("nan"))
    print(f"reference, same run: the Train page at N={N_LARGE:,} (slowest chart) "
          f"{train_rate:.2f} updates/s, Pause -> last change "
          f"{train['pause_to_last_change_s']:.2f} s; Compare / Train = "
          f"{compare['slowest_curve_chart_updates_per_s'] / max(train_rate, 1e-9):.2f}")
    print(f"(medians of {report['repeats']} runs; {report['seconds']:.0f} s of training per "
          f"cycle; load average {report['load_average'][0]:.1f} on {os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="seconds of training measured per cycle (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--page", choices=("train", "compare"), default="train",
                        help="the page measured (default train)")
    args = parser.parse_args()
    if args.page == "compare":
        report = measure_compare(args.repeats, args.seconds)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print_compare_table(report)
        return
    report = measure(args.repeats, args.seconds)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
