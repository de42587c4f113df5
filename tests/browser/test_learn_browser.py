"""The Learn page in a real browser at 1280x720: every step draws without an exception and
with no label cut short, each step's button opens its page configured (the address bar
holds the step's settings, and a student's new browser shows the same), and the readout
step trains live.  Screenshots of every step go to ``test-artifacts/learn-*.png``."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from explorer import lesson

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
EXCEPTION = "[data-testid='stException']"
STEPS = lesson.steps(lesson.read_results())
TITLES = {"machine": "Machine", "network": "Network", "train": "Train", "compare": "Compare"}
#: the address of each page (the Machine page is the app's root)
PATHS = {"machine": "", "network": "network", "train": "train", "compare": "compare"}


#: points of the first curve of the first chart (Python's plotly may send a typed array)
CURVE_POINTS = """() => {
    const x = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot").data[0].x;
    if (x.bdata === undefined) return x.length;
    const sizes = {f8: 8, f4: 4, i1: 1, u1: 1, i2: 2, u2: 2, i4: 4, u4: 4};
    return atob(x.bdata).length / sizes[x.dtype];
}"""


def step_heading(page, number: int, title: str):
    return page.get_by_role("heading", name=f"{number}. {title}", exact=True)


def settled(page) -> None:
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(300)


def params(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlparse(url).query).items()}


def test_every_step_draws_with_nothing_cut_short(projector, cut_short):
    page = projector("learn")
    for number, step in enumerate(STEPS, start=1):
        if number > 1:
            page.get_by_role("button", name="Next").click()
        expect(step_heading(page, number, step.title)).to_be_visible(timeout=60_000)
        page.wait_for_selector("[data-testid='stPlotlyChart'], [data-testid='stGraphVizChart'],"
                               " [data-testid='stTable'], table", timeout=60_000)
        settled(page)
        assert page.locator(EXCEPTION).count() == 0, step.key
        assert cut_short(page) == [], step.key
        assert params(page.url).get("learn_step", lesson.STEP_KEYS[0]) == step.key
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"learn-{number:02d}-{step.key}.png"))
    expect(page.get_by_role("button", name="Next")).to_be_disabled()


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.key)
def test_each_steps_button_opens_its_page_configured(projector, step):
    page = projector("learn", f"learn_step={step.key}")
    page.get_by_role("button", name=step.link.label).click()
    expect(page.get_by_role("heading", name=TITLES[step.link.page], exact=True)).to_be_visible(
        timeout=60_000)
    path = PATHS[step.link.page]
    page.wait_for_url(re.compile(rf"/{path}(\?|$)"))
    settled(page)
    assert page.locator(EXCEPTION).count() == 0
    assert not page.get_by_text("The link set", exact=False).count()
    shown = params(page.url)
    for key, raw in step.link.params.items():
        # a value equal to the page's default is left out of the address, as on every page
        assert shown.get(key, raw) == raw, (key, shown)


def test_the_machine_steps_link_shows_the_same_machine_and_step_in_a_students_browser(
        projector):
    step = next(s for s in STEPS if s.key == "machine")
    page = projector("learn", "learn_step=machine")
    page.get_by_role("button", name=step.link.label).click()
    heading = page.get_by_text(re.compile(rf"^Step {lesson.MACHINE_STEP} of "
                                          rf"{len(lesson.MACHINE_TAPE)} · state ab"))
    expect(heading).to_be_visible(timeout=60_000)
    page.wait_for_url(re.compile(r"m_step="))

    student = projector(url=page.url)
    expect(student.get_by_text(re.compile(rf"^Step {lesson.MACHINE_STEP} of "
                                          rf"{len(lesson.MACHINE_TAPE)} · state ab"))
           ).to_be_visible(timeout=60_000)


def test_the_readout_step_trains_live(projector):
    page = projector("learn", "learn_step=readout")
    expect(page.get_by_text("0 updates", exact=True)).to_be_visible(timeout=60_000)
    settled(page)
    for clicks in (1, 2):                 # each click waits for the run of the one before
        page.get_by_role("button", name=f"Train {lesson.UPDATES_PER_CLICK} updates").click()
        expect(page.get_by_text(f"{clicks * lesson.UPDATES_PER_CLICK} updates", exact=True)
               ).to_be_visible(timeout=60_000)
        settled(page)
    page.wait_for_function(f"() => ({CURVE_POINTS})() > {2 * lesson.UPDATES_PER_CLICK}",
                           timeout=30_000)              # a point per update, and update 0
    page.get_by_role("button", name="Start again").click()
    expect(page.get_by_text("0 updates", exact=True)).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Start again")).to_be_disabled()


def test_readme_screenshot_of_the_lesson(open_app, screenshot):
    page = open_app("learn", "learn_step=works")
    page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=60_000)
    settled(page)
    screenshot(page, "learn.png")
