"""The Compare page in a real browser: Start makes the curves of all three models grow (read
from the Plotly divs' data) and draws the gate chart; two browser contexts compare at once
without seeing each other's models; screenshots in test-artifacts/."""
from __future__ import annotations

from urllib.parse import urlencode

from conftest import IDLE, VIEWPORT, wait_for_app

#: small models on a short task, so that every tick trains all three for a moment
SMALL = {"cmp_delayed_recall.T": 600, "cmp_delayed_recall.fsm.n_machines": 40,
         "cmp_delayed_recall.fsm.solver": "adam", "cmp_delayed_recall.esn.n_units": 30,
         "cmp_delayed_recall.esn.solver": "adam", "cmp_delayed_recall.lstm.n_hidden": 8}
MODELS = ("FSM network", "Echo state network", "LSTM")
CURVES = "Accuracy against updates, steps seen and seconds"
GATES = "LSTM gate activations on one held-out episode"
#: training under a loaded machine can be slow: generous waits (never asserted as timings)
GROW_MS = 90_000

#: JS: the number of points of each trace of the chart titled ``title`` (its live copy), from
#: the figure Plotly holds (plain arrays, or the {dtype, bdata} base64 form Python sends)
POINTS = """(title) => {
    const bytes = {f8: 8, f4: 4, i8: 8, u8: 8, i4: 4, u4: 4, i2: 2, u2: 2, i1: 1, u1: 1};
    const length = v => v == null ? 0 : v.bdata !== undefined
        ? atob(v.bdata).length / (bytes[v.dtype] || 8) : v.length;
    const el = [...document.querySelectorAll(".js-plotly-plot")].find(
        e => !e.closest("[data-stale='true']") && e.layout?.title?.text === title);
    return el ? Object.fromEntries(el.data.map(t => [t.name, length(t.x)])) : null;
}"""


def url(app_url: str, **extra) -> str:
    return f"{app_url}/compare?{urlencode({**SMALL, **extra})}"


def points(page, title: str = CURVES) -> dict | None:
    return page.evaluate(POINTS, title)


def wait_for_curves(page) -> dict:
    """Wait until the curve chart is drawn; its points per model."""
    return page.wait_for_function("([points, title]) => eval(points)(title)",
                                  arg=[POINTS, CURVES], timeout=GROW_MS).json_value()


def wait_grown(page, before: dict, names=MODELS) -> dict:
    """Wait until every named curve has more points than in ``before``; the new counts."""
    handle = page.wait_for_function(
        """([points, title, before, names]) => {
            const now = eval(points)(title);
            return now && names.every(n => (now[n] || 0) > (before[n] || 0)) ? now : null;
        }""", arg=[POINTS, CURVES, before, list(names)], timeout=GROW_MS)
    return handle.json_value()


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def pause(page) -> None:
    """Click Pause and wait until the page has rerun paused (Start enabled again, idle)."""
    button(page, "Pause").click()
    page.wait_for_function("""() => [...document.querySelectorAll("button")]
        .some(b => b.innerText.includes("Start") && !b.disabled)""", timeout=GROW_MS)
    page.wait_for_selector(IDLE)


def test_a_comparison_grows_all_three_curves_and_draws_the_gate_chart(open_app, app_url,
                                                                     screenshot):
    page = open_app("compare", urlencode(SMALL))
    before = wait_for_curves(page)
    titles = page.evaluate("""() => [...document.querySelectorAll(".js-plotly-plot")]
        .map(el => el.layout?.title?.text)""")
    for title in (CURVES, GATES, "FSM network: one-hot states on the same episode"):
        assert title in titles
    assert set(before) == set(MODELS) and set(before.values()) == {1}     # update 0 only
    button(page, "Start").click()
    grown = wait_grown(page, before)
    assert all(grown[name] > 1 for name in MODELS)
    grown_again = wait_grown(page, grown, names=("LSTM",))               # still training
    assert grown_again["LSTM"] > grown["LSTM"]
    gates = page.evaluate(f"""() => {{
        const el = [...document.querySelectorAll(".js-plotly-plot")].find(
            e => e.layout?.title?.text === {GATES!r});
        return [el.data.length, el.data.map(t => t.type),
                [...el.querySelectorAll("g.hm image, .heatmaplayer image")].length];
    }}""")
    assert gates[0] == 4 and set(gates[1]) == {"heatmap"} and gates[2] == 4   # drawn, 4 panels
    pause(page)
    screenshot(page, "compare.png")


def test_two_browser_contexts_compare_at_once_without_seeing_each_others_models(browser,
                                                                                 app_url,
                                                                                 screenshot):
    pages = []
    for hidden in (8, 12):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(url(app_url, **{"cmp_delayed_recall.lstm.n_hidden": hidden}))
        wait_for_app(page, 90_000)
        pages.append(page)
    first, second = pages
    starts = [wait_for_curves(page) for page in pages]
    for page in pages:
        button(page, "Start").click()
    grown = [wait_grown(page, before) for page, before in zip(pages, starts, strict=True)]
    for page, mine, other in ((first, "LSTM H=8", "LSTM H=12"),
                              (second, "LSTM H=12", "LSTM H=8")):
        table = page.locator("[data-testid='stMarkdown'] table").first.inner_text()
        assert mine in table and other not in table
    pause(first)
    paused = wait_for_curves(first)
    wait_grown(second, grown[1], names=("LSTM",))      # the other session keeps training
    assert wait_for_curves(first) == paused                     # ... and this one stays paused
    pause(second)
    for index, page in enumerate(pages, start=1):
        screenshot(page, f"compare-session-{index}.png")
        page.context.close()
