"""The Machine page in a real browser: the lit state moves in the rendered SVG, play ticks,
a .jff upload redraws the diagram, settings survive a page change; screenshots for the README."""
from __future__ import annotations

import re

from playwright.sync_api import expect

MACHINE = ""        # the default page lives at the app root
HIGHLIGHT = "#f4a261"
JFF_MOORE = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<structure><type>moore</type><automaton>
  <state id="0" name="low"><initial/><output>-1</output></state>
  <state id="1" name="high"><output>1</output></state>
  <state id="2" name="top"><output>2</output></state>
  <transition><from>0</from><to>1</to><read>u</read></transition>
  <transition><from>0</from><to>0</to><read>d</read></transition>
  <transition><from>1</from><to>2</to><read>u</read></transition>
  <transition><from>1</from><to>0</to><read>d</read></transition>
  <transition><from>2</from><to>2</to><read>u</read></transition>
  <transition><from>2</from><to>1</to><read>d</read></transition>
</automaton></structure>"""


def lit_node(page) -> tuple[str, str]:
    """(state name, fill colour) of the filled node in the rendered diagram SVG."""
    return page.evaluate(f"""() => {{
        for (const node of document.querySelectorAll("[data-testid='stGraphVizChart'] g.node")) {{
            const fill = node.querySelector("ellipse")?.getAttribute("fill");
            if (fill && fill.toLowerCase() === "{HIGHLIGHT}")
                return [node.querySelector("title").textContent, fill];
        }}
        return null;
    }}""")


def fill_of(page, state: str) -> str:
    return page.evaluate(f"""() => {{
        for (const node of document.querySelectorAll("[data-testid='stGraphVizChart'] g.node"))
            if (node.querySelector("title").textContent === {state!r})
                return node.querySelector("ellipse").getAttribute("fill");
    }}""")


def wait_for_lit(page, state: str) -> None:
    page.wait_for_function(
        f"""() => [...document.querySelectorAll("[data-testid='stGraphVizChart'] g.node")].some(
            n => n.querySelector("title").textContent === {state!r}
                 && n.querySelector("ellipse")?.getAttribute("fill") === "{HIGHLIGHT}")""",
        timeout=15_000)


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def heading(page, step: int, length: int):
    """The run heading of exactly this step (not any "Step n of T", which the heading before a
    click already matches, so waiting for it would let the next click race the rerun)."""
    return page.get_by_text(re.compile(rf"^Step {step} of {length} ·"))


def test_stepping_moves_the_lit_state_from_node_to_node(open_app, screenshot):
    page = open_app(MACHINE, "m_tape_source=typed&m_tape=abbaab")
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg g.node")
    assert lit_node(page)[0] == "other"
    button(page, "Step").click()
    expect(heading(page, 1, 6)).to_be_visible()
    wait_for_lit(page, "a")
    assert fill_of(page, "other") == "white"
    button(page, "Step").click()
    expect(heading(page, 2, 6)).to_be_visible()
    wait_for_lit(page, "ab")
    assert fill_of(page, "a") == "white"
    button(page, "Back").click()
    expect(heading(page, 1, 6)).to_be_visible()
    wait_for_lit(page, "a")
    for step in (2, 3, 4):
        button(page, "Step").click()
        expect(heading(page, step, 6)).to_be_visible()
    wait_for_lit(page, "a")                                   # a b b a → state a after 4 symbols
    page.wait_for_selector("[data-testid='stPlotlyChart'] .main-svg")
    screenshot(page, "machine.png")


def test_fast_clicks_on_step_each_move_one_step(open_app):
    """Clicks that come faster than the page reruns still count one step each (an st.button
    merges such clicks; see explorer/click_counter.py).  Five clicks, no waiting in between,
    twice; the lit node agrees with the heading."""
    page = open_app(MACHINE, "m_tape_source=typed&m_tape=abbaabbaab")
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg g.node")
    step = button(page, "Step")
    for _ in range(5):
        step.click()
    expect(heading(page, 5, 10)).to_be_visible(timeout=15_000)
    wait_for_lit(page, "a")                                   # a b b a a → state a
    for _ in range(5):
        step.click(delay=0)
    expect(heading(page, 10, 10)).to_be_visible(timeout=15_000)
    wait_for_lit(page, "ab")                                  # ... b b a a b → state ab
    expect(step).to_be_disabled()
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    expect(heading(page, 10, 10)).to_be_visible()             # no click was counted twice


def test_play_advances_on_its_own_until_paused(open_app):
    page = open_app(MACHINE, "m_tape_length=60&m_speed=8.0")
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg g.node")
    button(page, "Play").click()
    expect(page.get_by_text(re.compile(r"Step ([3-9]|\d\d) of 60"))).to_be_visible(timeout=20_000)
    button(page, "Pause").click()
    expect(button(page, "Play")).to_be_enabled()
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    heading = page.get_by_text(re.compile(r"Step \d+ of 60")).inner_text()
    page.wait_for_timeout(1_000)                               # paused: no tick may move it
    assert page.get_by_text(re.compile(r"Step \d+ of 60")).inner_text() == heading


def test_uploading_a_jff_file_draws_the_new_machine(open_app, screenshot, tmp_path):
    path = tmp_path / "updown.jff"
    path.write_text(JFF_MOORE)
    page = open_app(MACHINE)
    page.get_by_role("tab", name="Import / export").click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    expect(page.get_by_text("Loaded updown.jff", exact=False)).to_be_visible(timeout=15_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-testid='stGraphVizChart'] g.node title")]
                 .map(t => t.textContent).includes("top")""", timeout=15_000)
    wait_for_lit(page, "low")
    screenshot(page, "machine-import.png")


def test_a_bad_upload_shows_the_error_and_keeps_the_diagram(open_app, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"alphabet": ["a"')
    page = open_app(MACHINE)
    page.get_by_role("tab", name="Import / export").click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    expect(page.get_by_text("broken.json was not loaded", exact=False)).to_be_visible(
        timeout=15_000)
    wait_for_lit(page, "other")


def test_the_chosen_example_survives_a_visit_to_the_network_page(open_app):
    page = open_app(MACHINE, "m_preset=parity")
    wait_for_lit(page, "even")
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Network").click()
    page.wait_for_url(re.compile(r"/network"))
    expect(page.get_by_role("heading", name="Machine")).to_have_count(0)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Machine").click()
    wait_for_lit(page, "even")
    expect(page.get_by_text("Parity of one symbol", exact=False).first).to_be_visible()


def test_a_file_over_the_size_cap_is_refused_with_the_cap_in_words(open_app, tmp_path):
    """Streamlit's own limit is set well above the app's, so the file reaches the app, which
    names the cap (Streamlit alone shows only a red mark)."""
    from explorer.limits import LIMITS

    path = tmp_path / "huge.json"
    path.write_bytes(b" " * (LIMITS.max_upload_bytes + 500_000))
    page = open_app(MACHINE)
    page.get_by_role("tab", name="Import / export").click()
    expect(page.get_by_text(f"at most {LIMITS.max_upload_bytes / 1e6:g} MB",
                            exact=False)).to_be_visible()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    expect(page.get_by_text(f"{LIMITS.max_upload_bytes:,} bytes", exact=False).first
           ).to_be_visible(timeout=15_000)
    wait_for_lit(page, "other")
