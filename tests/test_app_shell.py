"""The app shell: navigation, shared sidebar, the settings table and the session-state contract."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer import settings
from explorer.limits import LIMITS
from fsm_engine import Machine, tasks
from fsm_engine.families import FAMILIES

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
NETWORK_PAGE = "explorer/pages/network.py"
MACHINE_PAGE = "explorer/pages/machine.py"
TWO_STATES = Machine(alphabet=("x", "y"), transitions=[[1, 0], [1, 1]], outputs=[0.5, -0.5],
                     states=["left", "right"])


def open_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def render_script(key: str) -> str:
    """A one-widget app drawing setting ``key`` through the settings helper."""
    return ("from explorer import settings\n"
            f"value = settings.render({key!r})\n"
            "import streamlit as st\n"
            "st.markdown(f'value={value!r}')\n")


# ---------------------------------------------------------------------- shell
def test_the_app_opens_on_the_machine_page_with_the_shared_sidebar():
    at = open_app()
    assert [t.value for t in at.title] == ["Machine"]
    sidebar_text = " ".join(e.value for e in at.sidebar.get("caption") + at.sidebar.get("markdown"))
    assert "finite-state machines" in sidebar_text and "LSTM" in sidebar_text
    assert "jflap.org" in sidebar_text


def test_both_pages_are_registered_and_open():
    at = open_app()
    at.switch_page(NETWORK_PAGE).run()
    assert not at.exception, at.exception
    at.switch_page(MACHINE_PAGE).run()
    assert [t.value for t in at.title] == ["Machine"]


def test_machine_page_settings_and_tape_position_survive_a_page_change():
    at = open_app()
    at.selectbox(key="m_preset").set_value("parity").run()
    at.session_state["btn_step"] = {"clicks": {"mount": "apptest", "count": 1}}   # one Step
    at.run()
    at.switch_page(NETWORK_PAGE).run()
    at.switch_page(MACHINE_PAGE).run()
    assert at.selectbox(key="m_preset").value == "parity"
    assert at.query_params["m_preset"] == "parity"           # back in the address bar too
    assert at.session_state["machine"].states == ("even", "odd")
    assert at.session_state["tape_position"] == 1


# ---------------------------------------------------------------------- session contract
def test_a_machine_set_by_another_page_is_shown_not_replaced():
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["machine"] = TWO_STATES
    at.session_state["machine_source"] = "network machine 7 (random)"
    at.run()
    spec = at.get("graphviz_chart")[0].proto.spec
    assert '"left" -> "right" [label="x"]' in spec
    assert any("network machine 7" in c.value for c in at.caption)


def test_set_machine_rewinds_the_tape_and_stops_playing():
    at = AppTest.from_string(
        "import streamlit as st\n"
        "from explorer import session\n"
        "from fsm_engine import presets\n"
        "session.set_tape_position(5)\n"
        "session.set_playing(True)\n"
        "session.set_machine(presets.load('parity'), 'test')\n"
        "st.markdown(f'{session.tape_position()} {session.is_playing()} '\n"
        "            f'{session.machine_source()}')\n")
    at.run()
    assert at.markdown[0].value == "0 False test"


# ---------------------------------------------------------------------- the settings table
def test_every_default_is_a_value_its_own_url_check_accepts():
    for setting in settings.SETTINGS.values():
        assert setting.url_problem(str(setting.default)) is None, setting.key


def test_setting_keys_are_prefixed_by_page():
    assert all(key.startswith(("m_", "net_", "tr_", "cmp_", "learn_"))
               for key in settings.SETTINGS)


def test_network_settings_cover_every_family_and_the_caps():
    for family in FAMILIES:
        assert f"net_mix_{family}" in settings.SETTINGS
    assert settings.SETTINGS["net_mix_random"].default == 1.0
    assert settings.SETTINGS["net_machines"].maximum == LIMITS.max_machines
    assert settings.SETTINGS["net_machines"].default == 1000
    assert settings.SETTINGS["net_input"].options == tasks.NAMES + (settings.TYPED_TEXT,)


@pytest.mark.parametrize("key", [k for k, s in settings.SETTINGS.items() if s.kind == "slider"])
def test_slider_ranges_lie_on_their_step_grid(key):
    setting = settings.SETTINGS[key]
    for value in (setting.default, setting.maximum):
        steps = (value - setting.minimum) / setting.step
        assert math.isclose(steps, round(steps), abs_tol=1e-9), (key, value)


@pytest.mark.parametrize("key, raw, problem", [
    ("net_machines", str(LIMITS.max_machines + 100), "outside"),
    ("net_machines", "150", "grid"),
    ("net_machines", "many", "not a number"),
    ("m_states", "2.5", "not a whole number"),
    ("net_sort", "colour", "not one of"),
])
def test_url_values_the_widget_cannot_take_are_explained(key, raw, problem):
    assert problem in settings.SETTINGS[key].url_problem(raw)


def test_a_link_value_reaches_the_widget_through_the_helper():
    at = AppTest.from_string(render_script("net_machines"))
    at.query_params["net_machines"] = "5000"
    at.run()
    assert at.markdown[0].value == "value=5000"
    assert not at.warning


@pytest.mark.parametrize("key, raw, before", [
    ("net_machines", "5000", 5000), ("net_machines", "many", 1000),     # refused: the default
    ("tr_fsm.family", "delay_line", "delay_line"), ("tr_fsm.recurrence", "false", False),
    ("tr_lr", "auto", None), ("tr_fsm.stay", "0.5", 0.5),
])
def test_a_links_value_is_the_settings_value_before_its_widget_draws(key, raw, before):
    """A page can decide what to draw from a link's settings before drawing them (the Train
    page draws a family's parameters only for the families of the link's mix)."""
    at = AppTest.from_string("from explorer import settings\n"
                             "import streamlit as st\n"
                             f"before = settings.value({key!r})\n"
                             "st.markdown(f'before={before!r}')\n"
                             f"settings.render({key!r})\n")
    at.query_params[key] = raw
    at.run()
    assert at.markdown[0].value == f"before={before!r}"


def test_an_over_cap_link_value_shows_a_message_and_the_default_until_changed():
    at = AppTest.from_string(render_script("net_machines"))
    at.query_params["net_machines"] = str(LIMITS.max_machines * 10)
    at.run()
    assert at.markdown[0].value == "value=1000"
    assert "outside" in at.warning[0].value and "`net_machines`" in at.warning[0].value
    at.run()
    assert at.warning, "the message stays until the user changes the setting"
    at.slider(key="net_machines").set_value(2000).run()
    assert not at.warning


def test_the_message_about_a_replaced_link_value_names_the_value_really_used():
    """The note is written after the widget has taken (or replaced) the URL value, from the
    widget's own value, so the two never disagree."""
    at = AppTest.from_string(render_script("net_machines"))
    at.query_params["net_machines"] = "2500.5"
    at.run()
    assert at.markdown[0].value == "value=2500"
    assert "not a whole number" in at.warning[0].value
    assert "the page uses **2,500**" in at.warning[0].value


def test_an_off_grid_link_value_moves_to_the_nearest_step_with_a_message_until_changed():
    at = AppTest.from_string(render_script("net_machines"))
    at.query_params["net_machines"] = "150"
    at.run()
    assert at.markdown[0].value == "value=200"
    assert "the page uses **200**, the nearest step" in at.warning[0].value
    at.run()
    assert at.markdown[0].value == "value=200" and at.warning
    at.slider(key="net_machines").set_value(300).run()
    assert at.markdown[0].value == "value=300" and not at.warning


@pytest.mark.parametrize("key, number, snapped", [
    ("net_machines", 150, 200), ("net_machines", 149, 100), ("net_stay", 0.333, 0.33),
    ("m_speed", 3.25, 3.5), ("net_machines", 20_000, 20_000),
])
def test_a_slider_value_snaps_to_its_nearest_step(key, number, snapped):
    setting = settings.SETTINGS[key]
    assert setting.snap(number) == snapped
    assert setting.off_grid(number) is (number != snapped)


def test_a_lower_maximum_follows_the_page_and_names_what_is_used():
    at = AppTest.from_string("from explorer import settings\n"
                             "value = settings.render('net_pick', maximum=99)\n")
    at.query_params["net_pick"] = "500"
    at.run()
    assert at.number_input(key="net_pick").max == 99
    assert "outside 0..99" in at.warning[0].value and "uses **0**" in at.warning[0].value


LABELLED = ("from explorer import settings\n"
            "import streamlit as st\n"
            "value = settings.render('net_sort', labels=str.upper)\n"
            "st.markdown(f'value={value}')\n")


def test_labelled_options_show_their_labels_while_the_url_keeps_the_option():
    at = AppTest.from_string(LABELLED)
    at.query_params["net_sort"] = "activity"
    at.run()
    assert at.markdown[0].value == "value=activity"
    assert at.radio(key="net_sort").options == ["INDEX", "FAMILY", "ACTIVITY", "ENTROPY"]
    at.radio(key="net_sort").set_value("family").run()
    assert at.query_params["net_sort"] == "family"
    at.radio(key="net_sort").set_value("index").run()          # the default leaves the URL
    assert "net_sort" not in at.query_params


def test_changing_a_labelled_option_twice_is_not_taken_for_a_link_value():
    """The page writes a labelled widget's value into the URL itself; the next change must
    not judge that value as a link's (it said "The link set ... to `family`")."""
    at = AppTest.from_string(LABELLED)
    at.run()
    for option in ("family", "activity", "entropy"):
        at.radio(key="net_sort").set_value(option).run()
        assert at.markdown[0].value == f"value={option}" and not at.warning, option


def test_a_labelled_option_not_offered_is_named():
    at = AppTest.from_string(LABELLED)
    at.query_params["net_sort"] = "colour"
    at.run()
    assert at.markdown[0].value == "value=index"
    assert "not one of" in at.warning[0].value and "uses **INDEX**" in at.warning[0].value


@pytest.mark.parametrize("key, raw, used, takes", [
    ("net_machines", "150", 150, True), ("net_machines", "150.5", 150, False),
    ("net_stay", "0.333", 0.333, True), ("net_sort", "activity", "activity", True),
    ("net_sort", "colour", "index", False), ("m_tape", "abc", "abc", True),
])
def test_a_setting_tells_a_url_value_it_took_from_a_replacement(key, raw, used, takes):
    assert settings.SETTINGS[key].takes(raw, used) is takes
