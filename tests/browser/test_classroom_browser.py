"""Classroom mode in a real browser at 1280x720: text and diagrams measured larger, fewer
controls visible, and ``classroom=1`` kept in the address bar while a teacher moves between
pages (the sidebar's menu, the Learn page's buttons), so any link copied shows the mode.
Viewport screenshots go to ``test-artifacts/classroom-*.png``."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
#: font size (px) of the main area's first paragraph of text (not a label, button or caption)
TEXT_SIZE = """() => {
    const paragraphs = [...document.querySelectorAll(
        "[data-testid='stMainBlockContainer'] [data-testid='stMarkdown'] p")]
        .filter(p => !p.closest("[data-testid='stCaptionContainer']"));
    return parseFloat(getComputedStyle(paragraphs[0]).fontSize);
}"""
CAPTION_SIZE = """() => parseFloat(getComputedStyle(document.querySelector(
    "[data-testid='stMainBlockContainer'] [data-testid='stCaptionContainer']")).fontSize)"""
#: the smallest state label of the first diagram, in pixels
SMALLEST_LABEL = """() => Math.min(...[...document.querySelectorAll(
    "[data-testid='stGraphVizChart'] g.node text")].map(t => t.getBoundingClientRect().height))"""
#: controls a user can see and operate in the main area
VISIBLE_CONTROLS = """() => [...document.querySelectorAll(
    "[data-testid='stMainBlockContainer'] :is(button, input, textarea, [role='combobox'])")]
    .filter(el => el.offsetParent !== null && el.getClientRects().length > 0).length"""
#: the classroom toggle in the sidebar
TOGGLE = "[data-testid='stSidebar'] [data-testid='stCheckbox'] input"


def settled(page, selector: str = "[data-testid='stElementContainer']") -> None:
    page.wait_for_selector(selector, timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(500)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


@pytest.mark.parametrize("path, query", [("learn", "learn_step=works"), ("network", "")])
def test_text_is_larger_in_classroom_mode(projector, path, query):
    plain = projector(path, query)
    settled(plain, "[data-testid='stMarkdown'] p")
    classroom = projector(path, "&".join(filter(None, [query, "classroom=1"])))
    settled(classroom, "[data-testid='stMarkdown'] p")
    assert classroom.evaluate(TEXT_SIZE) >= 1.25 * plain.evaluate(TEXT_SIZE)
    assert classroom.evaluate(CAPTION_SIZE) > plain.evaluate(CAPTION_SIZE)
    shot(classroom, f"classroom-{path or 'machine'}.png")


def test_diagrams_are_larger_in_classroom_mode(projector):
    query = "m_preset=delay_line"
    plain = projector("", query)
    settled(plain, "[data-testid='stGraphVizChart'] svg g.node")
    classroom = projector("", f"{query}&classroom=1")
    settled(classroom, "[data-testid='stGraphVizChart'] svg g.node")
    assert classroom.evaluate(SMALLEST_LABEL) > plain.evaluate(SMALLEST_LABEL)
    plain_box = plain.locator("[data-testid='stGraphVizChart']").bounding_box()
    classroom_box = classroom.locator("[data-testid='stGraphVizChart']").bounding_box()
    assert classroom_box["height"] > plain_box["height"]
    shot(classroom, "classroom-machine-diagram.png")


@pytest.mark.parametrize("path", ["", "train", "compare"])
def test_fewer_controls_are_visible_in_classroom_mode(projector, path):
    plain = projector(path)
    settled(plain, "[data-testid='stPlotlyChart']")
    classroom = projector(path, "classroom=1")
    settled(classroom, "[data-testid='stPlotlyChart']")
    assert classroom.evaluate(VISIBLE_CONTROLS) < plain.evaluate(VISIBLE_CONTROLS)


def test_the_url_keeps_classroom_mode_across_the_sidebar_menu(projector):
    page = projector("", "classroom=1")
    settled(page)
    expect(page.locator(TOGGLE)).to_be_checked()
    for title, path in (("Network", "network"), ("Train", "train"), ("Learn", "learn"),
                        ("Compare", "compare"), ("Machine", "")):
        page.locator("[data-testid='stSidebarNav']").get_by_text(title, exact=True).click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(
            timeout=60_000)
        page.wait_for_url(re.compile(rf"/{path}\?(.*&)?classroom=1"), timeout=30_000)
        expect(page.locator(TOGGLE)).to_be_checked()


def test_the_learn_pages_buttons_keep_classroom_mode(projector):
    page = projector("learn", "learn_step=esn&classroom=1")
    page.get_by_role("button", name="Train an echo state network").click()
    expect(page.get_by_role("heading", name="Train", exact=True)).to_be_visible(timeout=60_000)
    page.wait_for_url(re.compile(r"/train\?.*classroom=1"), timeout=30_000)
    assert "tr_model=esn" in page.url
    settled(page, "[data-testid='stPlotlyChart']")
    assert page.evaluate(TEXT_SIZE) > 14 * 1.2          # the classroom style is on here too


def test_the_sidebar_toggle_switches_the_mode_and_the_url(projector):
    page = projector("learn")
    settled(page, "[data-testid='stMarkdown'] p")
    plain = page.evaluate(TEXT_SIZE)
    page.locator("[data-testid='stSidebar']").get_by_text("Classroom mode").click()
    page.wait_for_url(re.compile(r"classroom=1"), timeout=30_000)
    page.wait_for_function(f"() => ({TEXT_SIZE})() > {plain}", timeout=30_000)
    page.locator("[data-testid='stSidebar']").get_by_text("Classroom mode").click()
    page.wait_for_function("() => !location.search.includes('classroom')", timeout=30_000)
    page.wait_for_function(f"() => ({TEXT_SIZE})() === {plain}", timeout=30_000)
