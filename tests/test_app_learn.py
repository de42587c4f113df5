"""The Learn page through Streamlit's AppTest: the lesson walks step by step, its step is in
the URL, the live readout trains, and each step's button opens its page configured by the
step's link (no exception, every setting as the link says), in classroom mode too."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer import lesson, settings
from fsm_engine import paths

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
LEARN_PAGE = "explorer/pages/learn.py"
TITLES = {"machine": "Machine", "network": "Network", "train": "Train", "compare": "Compare"}
STEPS = {step.key: step for step in lesson.steps(lesson.read_results())}
#: session-state name of the live readout's run (explorer/pages/learn.py)
RUN = "learn_run"


def open_learn(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=240)
    at.query_params.update(query or {})
    at.switch_page(LEARN_PAGE).run()
    assert not at.exception, at.exception
    return at


def heading(at: AppTest) -> str:
    return at.subheader[0].value


def problems(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [w.value for w in at.warning]


# ---------------------------------------------------------------------- the lesson
def test_the_lesson_opens_on_its_first_step_and_next_walks_every_step():
    at = open_learn()
    assert [t.value for t in at.title] == ["Learn"]
    assert heading(at) == "1. The question" and at.button(key="btn_learn_back").disabled
    for number, key in enumerate(lesson.STEP_KEYS[1:], start=2):
        at.button(key="btn_learn_next").click().run()
        assert not at.exception, (key, at.exception)
        assert heading(at) == f"{number}. {STEPS[key].title}"
        assert at.query_params["learn_step"] == key
        assert problems(at) == [], key                 # no false "the link set ..." notes
    assert at.button(key="btn_learn_next").disabled
    at.button(key="btn_learn_back").click().run()
    assert at.query_params["learn_step"] == lesson.STEP_KEYS[-2]


def test_a_link_opens_its_step():
    at = open_learn({"learn_step": "extraction"})
    assert heading(at) == f"9. {STEPS['extraction'].title}"
    assert at.selectbox(key="learn_step").value == "extraction"


def test_an_unknown_step_in_a_link_is_named():
    at = open_learn({"learn_step": "nirvana"})
    assert heading(at) == "1. The question"
    assert any("`learn_step`" in w.value and "nirvana" in w.value for w in at.warning)


def test_the_step_menu_names_steps_by_number_and_title():
    at = open_learn()
    options = at.selectbox(key="learn_step").options
    assert options[0] == "1. The question" and options[-1] == "10. The answer"


def test_the_readout_step_trains_the_questions_model_live():
    at = open_learn({"learn_step": "readout"})
    run = at.session_state[RUN]
    assert run.updates == 0 and run.learner.readout.solver == "gd"
    assert at.button(key="btn_learn_reset").disabled
    before = run.curves["train_loss"][-1]
    at.button(key="btn_learn_train").click().run()
    at.button(key="btn_learn_train").click().run()
    run = at.session_state[RUN]
    assert run.updates == 2 * lesson.UPDATES_PER_CLICK
    assert len(run.curves["updates"]) == 2 * lesson.UPDATES_PER_CLICK + 1   # a point per update
    assert run.curves["train_loss"][-1] < before
    assert any(f"**{run.updates:,} updates**" in m.value for m in at.markdown)
    at.button(key="btn_learn_reset").click().run()
    assert at.session_state[RUN].updates == 0


def test_a_step_states_what_is_missing_instead_of_a_number(monkeypatch, tmp_path):
    """With no results files, the page still teaches and says what is not measured."""
    monkeypatch.setattr(lesson, "committed_results", lambda: tmp_path)
    monkeypatch.setattr(paths, "committed_results", lambda: tmp_path)  # the page's stamps
    at = open_learn({"learn_step": "answer"})
    text = " ".join(m.value for m in at.markdown)
    assert "results/compare.json cannot be used here: the file is not there yet" in text
    assert any("No committed comparison" in i.value for i in at.info)


# ---------------------------------------------------------------------- the links
def open_step(key: str, query: dict | None = None) -> AppTest:
    at = open_learn({"learn_step": key, **(query or {})})
    at.button(key="btn_learn_open").click().run()
    assert not at.exception, (key, at.exception)
    return at


def check_configured(at: AppTest, link: lesson.Link) -> None:
    """The page of ``link`` is on screen, every setting as the link says, nothing refused."""
    assert [t.value for t in at.title] == [TITLES[link.page]]
    for key, raw in link.params.items():
        if key not in settings.SETTINGS:
            continue
        used = at.session_state[key] if key in at.session_state else \
            settings.SETTINGS[key].default
        assert settings.SETTINGS[key].takes(raw, used), (key, raw, used)
    assert not [w for w in at.warning if "The link set" in w.value]
    assert not [e.value for e in at.error if "not built" in e.value or "not made" in e.value]


@pytest.mark.parametrize("key", lesson.STEP_KEYS)
def test_each_steps_button_opens_its_page_configured(key):
    at = open_step(key)
    check_configured(at, STEPS[key].link)
    assert "learn_step" not in at.query_params


def test_the_machine_link_shows_the_preset_lit_at_its_step():
    at = open_step("machine")
    assert any(m.value.startswith(f"#### Step {lesson.MACHINE_STEP} of "
                                  f"{len(lesson.MACHINE_TAPE)} · state **ab**")
               for m in at.markdown)
    assert at.query_params["m_step"] == str(lesson.MACHINE_STEP)


def test_the_machine_link_replaces_the_machine_the_session_had():
    """A teacher who edited a machine earlier still gets the lesson's machine (as a student
    opening the link in a new browser does)."""
    at = AppTest.from_file(str(APP), default_timeout=240)
    at.run()
    at.selectbox(key="m_preset").set_value("parity").run()
    at.switch_page(LEARN_PAGE)
    at.query_params["learn_step"] = "machine"
    at.run()
    at.button(key="btn_learn_open").click().run()
    assert at.session_state["machine"].states == ("other", "a", "ab")
    assert at.selectbox(key="m_preset").value == lesson.MACHINE_PRESET


def test_the_train_link_sets_a_reservoir_parameter_the_default_mix_would_hide():
    """tr_fsm.k matters only to delay lines: the page reads the link's family before it
    decides which family parameters to draw, so the link's k is used."""
    at = open_step("works")
    run = at.session_state["train_run"]
    assert run.config.model_params["family"] == "delay_line"
    assert run.config.model_params["k"] == 4 and run.config.model_params["n_machines"] == 1


def test_a_link_opened_in_classroom_mode_keeps_it():
    at = open_step("fails", {"classroom": "1"})
    check_configured(at, STEPS["fails"].link)
    assert at.query_params["classroom"] == "1"
    assert at.toggle(key=settings.CLASSROOM_WIDGET).value
