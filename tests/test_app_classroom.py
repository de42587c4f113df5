"""Classroom mode through Streamlit's AppTest: ``?classroom=1`` (or the sidebar toggle) hides
the controls a class does not need on every page, keeps the mode (and ``classroom=1`` in the
URL) across page changes, and never changes what a link's hidden settings say.

A hidden control is still drawn, inside a container whose key starts with
``settings.HIDDEN_PREFIX`` (the classroom style hides it): :func:`visible_controls` counts
the controls outside such containers.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer import settings, theme

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
#: element types a user operates
CONTROLS = {"button", "download_button", "file_uploader", "selectbox", "slider", "number_input",
            "text_input", "checkbox", "toggle", "radio", "bidi_component", "expandable"}
#: small models, so that every page builds quickly
SMALL = {"tr_fsm.n_machines": "100", "cmp_delayed_recall.T": "600",
         "cmp_delayed_recall.fsm.n_machines": "40", "cmp_delayed_recall.esn.n_units": "30",
         "cmp_delayed_recall.lstm.n_hidden": "8", "net_machines": "100"}


def page_file(page: str) -> str:
    return f"explorer/pages/{page}.py"


def open_page(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=240)
    at.query_params.update({**SMALL, **(query or {})})
    at.switch_page(page_file(page)).run()
    assert not at.exception, at.exception
    return at


def visible_controls(node, hidden: bool = False, found: Counter | None = None) -> Counter:
    """The controls under ``node`` by type, those in a classroom-hidden container left out."""
    found = Counter() if found is None else found
    block_id = getattr(getattr(node, "proto", None), "id", "") \
        if type(node).__name__ == "Block" else ""
    hidden = hidden or (isinstance(block_id, str) and settings.HIDDEN_PREFIX in block_id)
    if getattr(node, "type", None) in CONTROLS and not hidden:
        found[node.type] += 1
    for child in getattr(node, "children", {}).values():
        visible_controls(child, hidden, found)
    return found


def classroom_on(at: AppTest) -> bool:
    return at.toggle(key=settings.CLASSROOM_WIDGET).value


# ---------------------------------------------------------------------- fewer controls
@pytest.mark.parametrize("page", ["machine", "network", "train", "compare"])
def test_classroom_mode_shows_fewer_controls_on_every_page(page):
    plain = visible_controls(open_page(page).main)
    classroom = visible_controls(open_page(page, {"classroom": "1"}).main)
    assert sum(classroom.values()) < sum(plain.values()), (plain, classroom)
    assert all(classroom[kind] <= plain[kind] for kind in classroom)


def test_the_learn_page_has_nothing_to_hide_and_keeps_its_controls():
    assert visible_controls(open_page("learn", {"classroom": "1"}).main) == \
        visible_controls(open_page("learn").main)


def test_classroom_mode_hides_files_seeds_and_advanced_settings_on_the_train_page():
    at = open_page("train", {"classroom": "1"})
    shown = visible_controls(at.main)
    assert shown["file_uploader"] == 0 and shown["download_button"] == 0
    hidden_ids = [b.proto.id for b in _blocks(at.main) if settings.HIDDEN_PREFIX in b.proto.id]
    for name in ("tr_seed", "tr_temporal_parity.seed", "tr_temporal_parity.test_fraction",
                 "more_reservoir_settings", "more_readout_settings", "files", "use_network"):
        assert any(name in block for block in hidden_ids), name


def test_the_machine_page_in_classroom_mode_has_no_file_tab():
    plain, classroom = open_page("machine"), open_page("machine", {"classroom": "1"})
    assert visible_controls(plain.main)["file_uploader"] == 1
    assert visible_controls(classroom.main)["file_uploader"] == 0
    assert classroom.get("dataframe")                       # the table editor stays


def _blocks(node):
    if type(node).__name__ == "Block":
        yield node
    for child in getattr(node, "children", {}).values():
        yield from _blocks(child)


# ---------------------------------------------------------------------- a faithful link
def test_a_hidden_setting_still_takes_the_links_value():
    """Hiding a control must not change what a link shows: its value still comes from the
    URL and stays in it."""
    query = {"tr_seed": "7", "tr_temporal_parity.test_fraction": "0.3"}
    at = open_page("train", {"classroom": "1", **query})
    config = at.session_state["train_run"].config
    assert config.seed == 7 and dict(config.task_values)["test_fraction"] == 0.3
    assert at.query_params["tr_seed"] == "7"


def test_switching_classroom_mode_on_rebuilds_nothing():
    at = open_page("train")
    run = at.session_state["train_run"]
    at.toggle(key=settings.CLASSROOM_WIDGET).set_value(True).run()
    assert at.session_state["train_run"] is run
    assert at.query_params["classroom"] == "1"


# ---------------------------------------------------------------------- across pages
@pytest.mark.parametrize("raw, on", [("1", True), ("true", True), ("0", False),
                                     ("no", False)])
def test_the_url_decides_on_a_first_visit(raw, on):
    at = open_page("machine", {"classroom": raw})
    assert classroom_on(at) is on
    assert at.query_params.get("classroom") == ("1" if on else None)


def test_the_mode_survives_page_changes_and_stays_in_the_url():
    at = open_page("machine", {"classroom": "1"})
    for page in ("network", "learn", "train", "compare", "machine"):
        at.query_params.clear()                 # what a switch in the browser does
        at.switch_page(page_file(page)).run()
        assert not at.exception, (page, at.exception)
        assert classroom_on(at), page
        assert at.query_params["classroom"] == "1", page


def test_the_toggle_switches_it_off_for_every_page():
    at = open_page("network", {"classroom": "1"})
    at.toggle(key=settings.CLASSROOM_WIDGET).set_value(False).run()
    assert "classroom" not in at.query_params
    at.switch_page(page_file("machine")).run()
    assert not classroom_on(at) and "classroom" not in at.query_params


def test_the_classroom_style_is_drawn_only_in_classroom_mode():
    def styles(at):
        return [h.proto.body for h in at.get("html")]
    assert any(theme.CLASSROOM_STYLE == body for body in styles(open_page("learn",
                                                                          {"classroom": "1"})))
    assert not any(theme.CLASSROOM_STYLE == body for body in styles(open_page("learn")))
    assert any(theme.PAGE_STYLE == body for body in styles(open_page("learn")))


# ---------------------------------------------------------------------- larger chart text
def test_scale_fonts_enlarges_every_font_and_leaves_the_figure_alone():
    import plotly.graph_objects as go

    figure = go.Figure(go.Scatter(x=[0, 1], y=[1, 0], textfont=dict(size=[8, 9])),
                       layout=dict(title=dict(text="t", font=dict(size=16),
                                              subtitle=dict(text="s", font=dict(size=12))),
                                   xaxis=dict(tickfont=dict(size=10),
                                              title=dict(text="x", font=dict(size=14)))))
    larger = theme.scale_fonts(figure, 1.5)
    assert larger.layout.font.size == theme.PLOTLY_FONT_SIZE * 1.5      # the default, set
    assert larger.layout.title.font.size == 24 and larger.layout.title.subtitle.font.size == 18
    assert larger.layout.xaxis.tickfont.size == 15 and larger.layout.xaxis.title.font.size == 21
    assert list(larger.data[0].textfont.size) == [8, 9]                  # per point: kept
    assert figure.layout.title.font.size == 16 and figure.layout.font.size is None


@pytest.mark.parametrize("page", ["machine", "network", "train", "compare", "learn"])
def test_classroom_mode_draws_chart_text_larger(page):
    def font_sizes(at: AppTest) -> list[float]:
        import json

        specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
        return [spec["layout"].get("font", {}).get("size", theme.PLOTLY_FONT_SIZE)
                for spec in specs]

    query = {"learn_step": "network"} if page == "learn" else {}
    normal = font_sizes(open_page(page, query))
    larger = font_sizes(open_page(page, {**query, settings.CLASSROOM: "1"}))
    assert normal and len(larger) == len(normal)
    assert all(big == pytest.approx(small * theme.CLASSROOM_CHART_SCALE, abs=0.06)
               for small, big in zip(normal, larger, strict=True))
