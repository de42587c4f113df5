"""The Network page in a real browser: rasters and the diagram render, the time slider moves
the lit node in the SVG, a setting lands in the address bar; a screenshot for the README."""
from __future__ import annotations

import numpy as np
from playwright.sync_api import expect

from explorer.network_model import task_stream
from fsm_engine.families import make_bank

NETWORK = "network"
QUERY = "net_machines=2000&net_mix_counter=0.5&net_steps=400"
HIGHLIGHT = "#f4a261"
DIAGRAM = "[data-testid='stGraphVizChart'] svg g.node"


def lit_node(page) -> str | None:
    """The name of the filled node in the rendered diagram SVG."""
    return page.evaluate(f"""() => {{
        for (const node of document.querySelectorAll("{DIAGRAM}")) {{
            const fill = node.querySelector("ellipse")?.getAttribute("fill");
            if (fill && fill.toLowerCase() === "{HIGHLIGHT}")
                return node.querySelector("title").textContent;
        }}
        return null;
    }}""")


def time_slider(page):
    return (page.locator("[data-testid='stSlider']").filter(has_text="Inputs read")
            .locator("input[type='range']"))


def expected_states(n_steps: int) -> np.ndarray:
    """Machine 0 of QUERY's network, run by the engine directly: state after each input [T]."""
    stream = task_stream("delayed_recall", n_steps, 0, 64)
    bank = make_bank({"random": 1.0, "counter": 0.5}, 2000, stream.alphabet, 0)
    return bank.machine(0).run(stream.inputs)


def test_rasters_and_diagram_render(open_app, screenshot):
    page = open_app(NETWORK, QUERY)
    expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(3)
    expect(page.locator("[data-testid='stPlotlyChart'] .heatmaplayer")).to_have_count(2)
    page.wait_for_selector(DIAGRAM)
    expect(page.get_by_text("2,000 machines", exact=False).first).to_be_visible()
    expect(page.locator("[data-testid='stMetricValue']")).to_have_count(2)
    assert lit_node(page) is not None
    screenshot(page, "network.png")


def test_time_slider_moves_the_lit_node(open_app):
    page = open_app(NETWORK, QUERY)
    page.wait_for_selector(DIAGRAM)
    states = expected_states(400)
    slider = time_slider(page)
    t = int(slider.input_value())
    assert lit_node(page) == f"q{states[t - 1]}"
    seen = {lit_node(page)}
    for _ in range(4):
        slider.focus()
        page.keyboard.press("ArrowRight")
        t += 1
        expect(page.get_by_text(f"After {t} inputs")).to_be_visible()
        page.wait_for_function(f"""() => [...document.querySelectorAll("{DIAGRAM}")].some(
            n => n.querySelector("title").textContent === "q{states[t - 1]}"
                 && n.querySelector("ellipse")?.getAttribute("fill") === "{HIGHLIGHT}")""",
                               timeout=15_000)
        seen.add(lit_node(page))
    assert len(seen) > 1


def test_a_changed_setting_lands_in_the_address_bar(open_app):
    page = open_app(NETWORK, QUERY)
    order = page.locator("[data-testid='stRadio']").filter(has_text="Order machines by")
    order.get_by_text("activity", exact=True).click()
    page.wait_for_url("**net_sort=activity**")
    assert "net_machines=2000" in page.url
