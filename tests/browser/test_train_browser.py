"""The Train page in a real browser: Start trains and the loss drawn in the page falls, Pause
stops every chart, and a click on a square of the weight map opens that machine on the Machine
page, lit on the input it read; screenshots for the README."""
from __future__ import annotations

import re

from playwright.sync_api import expect

TRAIN = "train"
QUERY = "tr_fsm.n_machines=400"
CHARTS = "[data-testid='stPlotlyChart'] .js-plotly-plot"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
#: every chart's traces by title, arrays decoded (Python's plotly sends typed arrays as base64)
READ_CHARTS = """() => {
    const decode = v => {
        if (v == null) return [];
        if (v.bdata === undefined) return Array.from(v);
        const raw = atob(v.bdata), bytes = new Uint8Array(raw.length);
        for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
        const types = {f8: Float64Array, f4: Float32Array, i1: Int8Array, u1: Uint8Array,
                       i2: Int16Array, u2: Uint16Array, i4: Int32Array, u4: Uint32Array};
        return Array.from(new types[v.dtype](bytes.buffer));
    };
    const charts = {};
    for (const el of document.querySelectorAll(".js-plotly-plot")) {
        const title = el.layout && el.layout.title && el.layout.title.text;
        if (title && !(title in charts))
            charts[title] = el.data.map(t => ({name: t.name || "", x: decode(t.x), y: decode(t.y),
                                               colour: decode(t.marker && t.marker.color)}));
    }
    return charts;
}"""


def charts(page) -> dict:
    return page.evaluate(READ_CHARTS)


def chart(page, start: str) -> list[dict]:
    return next(traces for title, traces in charts(page).items() if title.startswith(start))


def updates_done(page) -> int:
    text = page.locator("[data-testid='stMarkdown']").filter(
        has_text=re.compile(r"\d+ updates? ·")).first.inner_text()
    return int(re.search(r"([\d,]+) updates? ·", text).group(1).replace(",", ""))


def wait_for_updates(page, at_least: int, timeout_ms: int = 90_000) -> None:
    page.wait_for_function(
        """n => [...document.querySelectorAll("[data-testid='stMarkdown']")].some(el => {
               const m = el.innerText.match(/([\\d,]+) updates? ·/);
               return m && Number(m[1].replace(/,/g, "")) >= n; })""",
        arg=at_least, timeout=timeout_ms)


def pause(page) -> None:
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("button", name="Start", exact=True)).to_be_enabled(timeout=30_000)
    page.wait_for_selector(IDLE, timeout=30_000)


def test_start_trains_and_the_loss_in_the_page_falls_then_pause_stops_the_charts(open_app,
                                                                                screenshot):
    page = open_app(TRAIN, QUERY)
    page.wait_for_selector(CHARTS, timeout=60_000)
    titles = set(charts(page))
    assert {"Loss: training and held-out steps", "Accuracy on held-out steps",
            "Predictions against targets on held-out steps"} <= titles
    assert any(t.startswith("Readout weights") for t in titles)
    first_weights = chart(page, "Readout weights")[0]["colour"]
    page.get_by_role("button", name="Start", exact=True).click()
    wait_for_updates(page, 40)
    expect(page.locator(".gtitle-subtitle, .gtitle").filter(
        has_text="pause, then click one to open it").first).to_be_attached()
    loss = chart(page, "Loss")[0]
    assert loss["name"] == "training steps" and len(loss["y"]) >= 2
    assert loss["y"][-1] < 0.8 * loss["y"][0]
    pause(page)
    screenshot(page, "train.png")
    stopped, before = updates_done(page), charts(page)
    assert before[next(t for t in before if t.startswith("Readout"))][0]["colour"] != first_weights
    page.wait_for_timeout(2_000)
    assert charts(page) == before and updates_done(page) == stopped


def click_a_weight(page) -> int:
    """Click the eighth square of the weight map on screen; the machine it shows."""
    weights = page.locator("[data-testid='stPlotlyChart']").filter(
        has=page.locator(".gtitle", has_text="Readout weights")).filter(visible=True).first
    square = weights.locator(".scatterlayer .point").nth(7)
    square.hover(force=True)
    hover = page.locator(".hovertext").filter(has_text="machine #").first
    machine = int(re.search(r"machine #(\d+)", hover.text_content(timeout=10_000)).group(1))
    box = square.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    return machine


def expect_machine_page(page, machine: int) -> int:
    """The Machine page shows ``machine`` lit after reading its whole tape; the tape length."""
    expect(page.get_by_role("heading", name="Machine", exact=True)).to_be_visible(timeout=60_000)
    expect(page.get_by_text(f"machine {machine:,} of the Train page's network",
                            exact=False).first).to_be_visible(timeout=30_000)
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg g.node", timeout=30_000)
    heading = page.locator("h4").filter(has_text=re.compile(r"Step \d+ of \d+")).first
    step, length = map(int, re.search(r"Step (\d+) of (\d+)", heading.inner_text()).groups())
    assert step == length > 0                      # lit after reading the whole window
    lit = page.evaluate("""() => [...document.querySelectorAll(
        "[data-testid='stGraphVizChart'] svg g.node ellipse")].some(
        e => (e.getAttribute("fill") || "").toLowerCase() === "#f4a261")""")
    assert lit
    return length


def test_a_click_on_a_weight_opens_that_machine_on_the_machine_page(open_app, screenshot):
    page = open_app(TRAIN, QUERY)
    page.wait_for_selector(CHARTS, timeout=60_000)
    page.get_by_role("button", name="Step", exact=True).click()
    wait_for_updates(page, 1)
    page.wait_for_selector(IDLE)
    machine = click_a_weight(page)
    length = expect_machine_page(page, machine)
    typed = page.get_by_test_id("stTextInputField").and_(
        page.get_by_label("Typed input", exact=True))
    assert len(typed.input_value()) == length      # the task's input, one symbol per step
    screenshot(page, "train_machine.png")


def test_fast_clicks_on_step_each_make_one_update(open_app):
    """Five clicks on Step with no waiting in between: five updates (an st.button would merge
    clicks that reach the server before its rerun starts)."""
    page = open_app(TRAIN, QUERY)
    page.wait_for_selector(CHARTS, timeout=60_000)
    step = page.get_by_role("button", name="Step", exact=True)
    for _ in range(5):
        step.click(delay=0)
    wait_for_updates(page, 5, timeout_ms=30_000)
    page.wait_for_selector(IDLE, timeout=30_000)
    page.wait_for_timeout(1_000)
    assert updates_done(page) == 5
