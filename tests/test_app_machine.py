"""The Machine page through Streamlit's AppTest: every control, asserted on what the user sees."""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from apptest import step_button
from explorer import session
from explorer.limits import LIMITS
from fsm_engine import Machine, presets
from fsm_engine.errors import MachineFormatError
from fsm_engine.io import load_machine

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
MACHINE_PAGE = "explorer/pages/machine.py"
LIT = re.compile(r'"([^"]+)" \[label="[^"]*", fillcolor="#f4a261"')
BOLD_EDGE = re.compile(r'"([^"]+)" -> "([^"]+)" \[label="([^"]*)", penwidth=3.5')

PARITY_JSON = presets.load("parity").to_json().encode()
JFF_MOORE = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<structure><type>moore</type><automaton>
  <state id="0" name="low"><initial/><output>-1</output></state>
  <state id="1" name="high"><output>1</output></state>
  <transition><from>0</from><to>1</to><read>u</read></transition>
  <transition><from>0</from><to>0</to><read>d</read></transition>
  <transition><from>1</from><to>1</to><read>u</read></transition>
  <transition><from>1</from><to>0</to><read>d</read></transition>
</automaton></structure>"""
JFF_COMMA = b"""<?xml version="1.0" encoding="UTF-8"?>
<structure><type>fa</type><automaton>
  <state id="0" name="start"><initial/></state>
  <state id="1" name="seen"><final/></state>
  <transition><from>0</from><to>1</to><read>a,b</read></transition>
  <transition><from>1</from><to>1</to><read>a,b</read></transition>
</automaton></structure>"""
JFF_PDA = b"""<?xml version="1.0"?><structure><type>pda</type><automaton>
  <state id="0" name="q0"><initial/></state></automaton></structure>"""


# ---------------------------------------------------------------------- helpers
def open_page(query: dict | None = None) -> AppTest:
    """The app opened on the Machine page (with URL query parameters, if given)."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(query or {})
    at.run()
    at.switch_page(MACHINE_PAGE).run()
    assert not at.exception, at.exception
    return at


def dot(at: AppTest) -> str:
    return at.get("graphviz_chart")[0].proto.spec


def lit_state(at: AppTest) -> str:
    return LIT.search(dot(at)).group(1)


def step_heading(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#### Step"))


def plotly_values(values) -> list:
    """A Plotly JSON array as a list (Plotly ships NumPy arrays as base64 typed arrays)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def machine_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Current machine:"))


def messages(at: AppTest, kind: str = "error") -> list[str]:
    return [element.value for element in getattr(at, kind)]


def edit_table(at: AppTest, edited=None, added=None, deleted=None) -> AppTest:
    editor = at.data_editor[0]
    at.session_state[editor.key] = {"edited_rows": edited or {}, "added_rows": added or [],
                                    "deleted_rows": deleted or []}
    return at.run()


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="w_upload").set_value((name, content, "application/octet-stream"))
    return at.run()


def type_tape(at: AppTest, text: str) -> AppTest:
    at.radio(key="m_tape_source").set_value("typed").run()
    at.text_input(key="m_tape").input(text)
    return at.run()


def click(at: AppTest, key: str, times: int = 1) -> AppTest:
    for _ in range(times):
        if key == "btn_step":
            click_step(at)
        else:
            at.button(key=key).click().run()
    return at


def click_step(at: AppTest, clicks: int = 1, mount: str = "apptest") -> AppTest:
    """What the Step button sends after ``clicks`` more clicks: its running total (several
    fast clicks reach the server as one total, see explorer/click_counter.py)."""
    try:
        current = at.session_state["btn_step"]["clicks"]
    except (KeyError, TypeError):
        current = None
    count = current["count"] if current and current["mount"] == mount else 0
    at.session_state["btn_step"] = {"clicks": {"mount": mount, "count": count + clicks}}
    return at.run()


@pytest.fixture
def page() -> AppTest:
    return open_page()


# ---------------------------------------------------------------------- building the machine
def test_first_visit_shows_the_first_preset_with_its_title_and_description(page):
    first = presets.names()[0]
    info = presets.info(first)
    assert page.selectbox(key="m_preset").value == first
    assert any(info["description"] in m.value for m in page.markdown)
    for state in presets.load(first).states:
        assert f'"{state}" [label=' in dot(page)
    assert not messages(page, "info") and not messages(page) and not messages(page, "warning")


def test_examples_are_offered_by_their_titles_and_linked_by_their_names(page):
    """The list shows titles a class reads ("Two-bit shift register", never
    shift_register_2bit); the address bar keeps the short name."""
    titles = [presets.info(name)["title"] for name in presets.names()]
    assert page.selectbox(key="m_preset").options == titles
    page.selectbox(key="m_preset").set_value("shift_register_2bit").run()
    assert page.query_params["m_preset"] == "shift_register_2bit"
    assert page.radio(key="m_start").options == ["an example", "a random machine"]
    page.selectbox(key="m_preset").set_value(presets.names()[0]).run()
    assert "m_preset" not in page.query_params                 # the default leaves the URL


def test_choosing_a_preset_changes_the_machine_and_the_diagram(page):
    page.selectbox(key="m_preset").set_value("parity").run()
    assert any(presets.info("parity")["description"] in m.value for m in page.markdown)
    assert lit_state(page) == "even"
    assert '"odd" [label=' in dot(page)


def test_randomise_draws_a_family_machine_and_new_seed_draws_another(page):
    page.radio(key="m_start").set_value("random").run()
    page.selectbox(key="m_family").set_value("counter").run()
    page.slider(key="m_modulus").set_value(5).run()
    assert "drawn from the counter family, seed 0" in machine_caption(page)
    assert len(page.data_editor[0].value) == 5
    page.selectbox(key="m_family").set_value("random").run()
    page.slider(key="m_states").set_value(6).run()
    before = dot(page)
    click(page, "btn_new_seed")
    assert page.number_input(key="m_seed").value == 1
    outputs = page.session_state["machine"].outputs
    assert np.array_equal(outputs, np.round(outputs, 3)), "generated outputs are shown rounded"
    assert len(page.data_editor[0].value) == 6
    assert dot(page) != before


def test_randomise_reads_a_typed_alphabet_of_words(page):
    page.radio(key="m_start").set_value("random").run()
    page.text_input(key="m_alphabet").input("up down left").run()
    assert "alphabet up down left" in machine_caption(page)
    assert list(page.data_editor[0].value.columns) == ["state", "x0", "x1", "x2", "output"]
    shown = json.loads(page.data_editor[0].proto.columns)
    assert [shown[c]["label"] for c in ("state", "x0", "x1", "x2", "output")] == \
        ["state", "on up", "on down", "on left", "output"]


def test_a_random_delay_line_names_its_states_by_the_symbols_they_remember(page):
    page.radio(key="m_start").set_value("random").run()
    page.selectbox(key="m_family").set_value("delay_line").run()
    page.slider(key="m_k").set_value(2).run()
    assert page.session_state["machine"].states == ("aa", "ab", "ba", "bb")
    assert page.data_editor[0].value["state"].tolist() == ["aa", "ab", "ba", "bb"]
    assert '"ab" -> "bb" [label="b"]' in dot(page)


def test_a_bad_alphabet_names_the_problem_and_keeps_the_machine(page):
    page.radio(key="m_start").set_value("random").run()
    before = dot(page)
    page.text_input(key="m_alphabet").input("aba").run()
    assert any("'a' more than once" in m for m in messages(page))
    assert dot(page) == before


def test_a_bad_alphabet_in_a_link_is_named_and_the_default_machine_shown():
    at = open_page({"m_start": "random", "m_alphabet": "abca"})
    assert any("'a' more than once" in m for m in messages(at))
    default = presets.load(presets.names()[0])
    assert lit_state(at) == default.states[default.start]


def test_messages_about_an_old_machine_disappear_when_it_is_replaced(page):
    upload(page, "broken.json", b"{")
    assert messages(page)
    page.selectbox(key="m_preset").set_value("parity").run()
    assert not messages(page)


def test_a_machine_over_the_drawing_cap_is_explained_not_drawn(page):
    page.radio(key="m_start").set_value("random").run()
    page.selectbox(key="m_family").set_value("delay_line").run()
    page.text_input(key="m_alphabet").input("abc").run()
    page.slider(key="m_k").set_value(4).run()             # 3**4 = 81 states
    assert not page.get("graphviz_chart")
    assert any(f"at most {LIMITS.max_diagram_states}" in m for m in messages(page, "info"))
    assert not any("LIMITS" in m or "FSM_EXPLORER" in m for m in messages(page, "info"))
    shown = json.loads(page.dataframe[0].proto.columns)          # the read-only table
    assert shown["x0"]["label"] == "on a"
    click(page, "btn_step")
    assert step_heading(page).startswith("#### Step 1 of")


# ---------------------------------------------------------------------- the table editor
def test_a_valid_table_edit_changes_the_diagram(page):
    edit_table(page, edited={0: {"x0": "ab"}})                 # other --a--> ab
    assert '"other" -> "ab" [label="a"]' in dot(page)
    assert "edited in the table" in machine_caption(page)
    assert not messages(page)


def test_an_invalid_table_edit_names_the_cell_and_keeps_the_machine(page):
    before = dot(page)
    edit_table(page, edited={1: {"x1": "nowhere"}})
    assert any("from state 'a' on 'b'" in m and "'nowhere'" in m for m in messages(page))
    assert dot(page) == before


@pytest.mark.parametrize("edit, expected", [
    ({1: {"output": None}}, "the output of the state 'a' is empty or not a number"),
    ({1: {"output": "abc"}}, "the output of the state 'a' is empty or not a number"),
    ({1: {"x1": None}}, "the state 'a' has no next state on 'b'"),
    ({1: {"x0": ""}}, "the state 'a' has no next state on 'a'"),
    ({2: {"state": ""}}, "the state 'ab' lost its name"),
    ({2: {"state": None}}, "the state 'ab' lost its name"),
])
def test_a_cleared_or_wrong_cell_is_refused_with_a_message_and_can_be_undone(page, edit,
                                                                              expected):
    """Like a repeated state name: the edit is named, the machine and its diagram stay as
    they were, and "Undo the edit" gives back the table of the machine shown."""
    before, machine = dot(page), page.session_state["machine"]
    edit_table(page, edited=edit)
    assert any(expected in m and "not applied" in m for m in messages(page)), messages(page)
    assert dot(page) == before and page.session_state["machine"] == machine
    click(page, "btn_undo_edit")
    assert not messages(page)
    assert page.data_editor[0].value["state"].tolist() == list(machine.states)
    assert page.session_state["machine"] == machine


def test_a_new_row_left_blank_is_a_new_state_that_loops_to_itself(page):
    edit_table(page, added=[{}])
    machine = page.session_state["machine"]
    assert machine.n_states == 4 and machine.outputs[3] == 0.0
    assert machine.transitions[3].tolist() == [3, 3]


def test_renaming_a_state_renames_it_in_every_transition(page):
    edit_table(page, edited={2: {"state": "seen ab"}})
    assert '"a" -> "seen ab" [label="b"]' in dot(page)


def test_adding_and_removing_a_state(page):
    edit_table(page, added=[{"state": "extra", "output": 2.5}])
    assert '"extra" [label="extra\\n2.5"]' in dot(page)
    assert '"extra" -> "extra" [label="a,b"]' in dot(page)
    edit_table(page, deleted=[3])
    assert '"extra"' not in dot(page)


def test_removing_a_state_still_in_use_is_refused_with_the_cell(page):
    edit_table(page, deleted=[2])                              # 'ab' is the target of a on b
    assert any("from state 'a' on 'b' goes to 'ab'" in m for m in messages(page))
    assert '"ab" [label=' in dot(page)


def test_adding_states_over_the_cap_is_refused(page):
    extra = LIMITS.max_diagram_states - 3 + 1
    edit_table(page, added=[{"state": f"s{i}"} for i in range(extra)])
    assert any(f"over the cap of {LIMITS.max_diagram_states}" in m for m in messages(page))
    assert len(page.data_editor[0].value) == 3


def test_the_start_state_selector_moves_the_start_arrow(page):
    page.selectbox(key=f"w_start_{page.session_state['machine_version']}").set_value("ab").run()
    assert re.search(r'"?__start"? -> "ab";', dot(page))
    assert lit_state(page) == "ab"


# ---------------------------------------------------------------------- import and export
def test_uploading_good_json_loads_the_machine(page):
    upload(page, "parity.json", PARITY_JSON)
    assert any("Loaded parity.json" in m for m in messages(page, "success"))
    assert lit_state(page) == "even"
    assert "file parity.json" in machine_caption(page)
    assert any("not the one these settings describe" in m for m in messages(page, "info"))


def test_uploading_a_jflap_moore_machine_loads_it(page):
    upload(page, "updown.jff", JFF_MOORE)
    assert any("JFLAP file" in m for m in messages(page, "success"))
    assert '"low" -> "high" [label="u"]' in dot(page)


@pytest.mark.parametrize("name, content, expected", [
    ("broken.json", b'{"alphabet": ["a"', "not valid JSON"),
    ("huge.json", b" " * (LIMITS.max_upload_bytes + 1), f"{LIMITS.max_upload_bytes:,} bytes"),
    ("stack.jff", JFF_PDA, "pushdown automaton"),
])
def test_a_bad_upload_shows_why_and_keeps_the_machine(page, name, content, expected):
    before = dot(page)
    upload(page, name, content)
    assert any(expected in m and "unchanged" in m for m in messages(page)), messages(page)
    assert dot(page) == before


def _with_name(old: str, new: str) -> bytes:
    """The parity preset's JSON with the state or symbol ``old`` renamed ``new`` everywhere."""
    return PARITY_JSON.decode().replace(json.dumps(old), json.dumps(new)).encode()


def download_payloads(at: AppTest, monkeypatch) -> dict:
    """{file name: bytes} of the download buttons after a rerun of ``at``."""
    served = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        served[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    at.run()
    return served


@pytest.mark.parametrize("name, content, expected", [
    ("control.json", _with_name("odd", "o\u0001dd"), "control character U+0001"),
    ("surrogate.json", _with_name("odd", "\ud800"), "lone surrogate U+D800"),
    ("blank.json", _with_name("odd", "   "), "only whitespace"),
    ("spaced.json", _with_name("odd", " odd"), "starts with whitespace"),
    ("symbol.json", _with_name("a", "\u0007"), "control character U+0007"),
    ("not-utf8.json", _with_name("odd", "x").replace(b'"x"', b'"\xed\xa0\x80"'), "not UTF-8"),
    ("sjis.jff", JFF_MOORE.replace(b"UTF-8", b"shift_jis") + b"\x81", "not valid shift_jis"),
    ("wide.jff", JFF_MOORE.replace(b"UTF-8", b"utf-16"), "not written in utf-16"),
    ("idna.jff", JFF_MOORE.replace(b"UTF-8", b"idna"), "'idna', which is not a character set"),
])
def test_an_upload_with_unusable_text_is_refused_and_the_page_keeps_working(
        page, monkeypatch, name, content, expected):
    """The machine, its diagram, its table and its downloads stay as they were, on this run and
    on the next ones."""
    before, machine = dot(page), page.session_state["machine"]
    upload(page, name, content)
    assert not page.exception, page.exception
    assert any(expected in m and "unchanged" in m for m in messages(page)), messages(page)
    served = download_payloads(page, monkeypatch)                 # a rerun
    assert not page.exception, page.exception
    assert page.session_state["machine"] == machine and dot(page) == before
    assert Machine.from_json(served["machine.json"].decode()) == machine
    assert load_machine(served["machine.jff"], "machine.jff").machine == machine
    assert served["machine.dot"].decode() == machine.to_dot()
    assert page.data_editor[0].value["state"].tolist() == list(machine.states)


WEIRD_BUT_VALID = Machine(
    alphabet=(" ", "\n", "\t", "a,b", '"', "\u00e9", "\U0001f600"),
    transitions=[[1, 0, 0, 2, 1, 0, 2], [0, 1, 2, 2, 0, 1, 0], [2, 2, 2, 0, 1, 0, 1]],
    outputs=[0.5, -1e-300, 1e308], start=1,
    states=("日本", "a  b", "nan"))


def test_a_machine_with_unusual_but_valid_names_works_everywhere_on_the_page(page, monkeypatch):
    """Spaces, newlines, tabs, quotes, commas and emoji as symbols, and CJK, inner spaces and
    'nan' as state names: loaded, drawn, tabled, downloaded and kept as it is on every rerun
    (the untouched table editor changes nothing)."""
    upload(page, "weird.json", WEIRD_BUT_VALID.to_json().encode())
    assert not page.exception, page.exception
    assert page.session_state["machine"] == WEIRD_BUT_VALID
    assert '"a  b"' in dot(page) and "nan" in dot(page)
    served = download_payloads(page, monkeypatch)
    assert not page.exception, page.exception
    assert Machine.from_json(served["machine.json"].decode()) == WEIRD_BUT_VALID
    assert load_machine(served["machine.jff"], "machine.jff",
                        comma_labels="literal").machine == WEIRD_BUT_VALID
    assert page.data_editor[0].value["state"].tolist() == ["日本", "a  b", "nan"]
    page.run()
    assert page.session_state["machine"] == WEIRD_BUT_VALID
    assert "file weird.json" in machine_caption(page)            # not "edited in the table"


printable = hst.characters(blacklist_categories=("Cs", "Cc", "Cn"),
                           blacklist_characters="\ufffe\uffff")


@hst.composite
def named_machines(draw):
    """Machines whose names are anything a Machine accepts (inner spaces, 'nan', '0', ...)."""
    names = hst.text(printable, min_size=1, max_size=5).filter(lambda s: s.strip() == s) \
        | hst.sampled_from(["nan", "None", "0", "1.5", "True", "a  b", "", "-"])
    states = draw(hst.lists(names.filter(bool), min_size=1, max_size=5, unique=True))
    alphabet = draw(hst.lists(hst.text(printable | hst.sampled_from(" \t\n"), min_size=1,
                                       max_size=3), min_size=1, max_size=3, unique=True))
    table = draw(hst.lists(hst.lists(hst.integers(0, len(states) - 1), min_size=len(alphabet),
                                     max_size=len(alphabet)),
                           min_size=len(states), max_size=len(states)))
    outputs = draw(hst.lists(hst.floats(allow_nan=False, allow_infinity=False),
                             min_size=len(states), max_size=len(states)))
    return Machine(alphabet, table, outputs, draw(hst.integers(0, len(states) - 1)), states)


@settings(max_examples=80, deadline=None)
@given(hst.one_of(named_machines(), hst.sampled_from([presets.load(n) for n in presets.names()])))
def test_the_untouched_table_gives_back_the_same_machine(machine):
    """What the table editor returns when nobody edits it: no name, target or output changes."""
    frame = session.table_frame(machine)
    assert session.machine_from_table(frame, machine, machine.states[machine.start]) == machine


def test_the_page_shows_why_a_format_cannot_be_written_instead_of_crashing(page, monkeypatch):
    from fsm_engine import io as engine_io

    def refuse(machine, fmt, name="machine"):
        raise MachineFormatError("a made-up reason")

    monkeypatch.setattr(engine_io, "dump_machine", refuse)
    page.run()
    assert not page.exception, page.exception
    assert any("JSON: cannot be written (a made-up reason)" in c.value for c in page.caption)


@pytest.mark.parametrize("reading, alphabet", [("split", ["a", "b"]), ("literal", ["a,b"])])
def test_a_jflap_comma_label_asks_how_to_read_it_then_loads(page, reading, alphabet):
    before = dot(page)
    upload(page, "either.jff", JFF_COMMA)
    assert any("comma" in m and "Choose below" in m for m in messages(page, "warning"))
    assert not any("'split'" in m or "'literal'" in m for m in messages(page, "warning"))
    assert page.radio(key="w_comma_reading").options == list(session.COMMA_CHOICES.values())
    assert dot(page) == before
    page.radio(key="w_comma_reading").set_value(reading).run()
    assert list(page.session_state["machine"].alphabet) == alphabet
    assert any("Loaded either.jff" in m for m in messages(page, "success"))
    assert any("comma" in c.value for c in page.caption)


def test_download_buttons_serve_the_current_machine(page, monkeypatch):
    served = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        served[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    page.selectbox(key="m_preset").set_value("parity").run()
    parity = presets.load("parity")
    assert Machine.from_json(served["machine.json"].decode()) == parity
    assert load_machine(served["machine.jff"], "machine.jff").machine == parity
    assert served["machine.dot"].decode() == parity.to_dot()
    assert [b.label for b in page.get("download_button")] == ["JSON", "JFLAP .jff", "DOT"]


# ---------------------------------------------------------------------- the tape
def test_stepping_forward_and_back_moves_the_lit_state(page):
    type_tape(page, "abb")
    assert lit_state(page) == "other"
    click(page, "btn_step")
    assert lit_state(page) == "a"
    assert BOLD_EDGE.search(dot(page)).groups() == ("other", "a", "a")
    click(page, "btn_step")
    assert lit_state(page) == "ab"
    assert step_heading(page) == "#### Step 2 of 3 · state **ab** · output **1**"
    click(page, "btn_back")
    assert lit_state(page) == "a"
    click(page, "btn_reset")
    assert lit_state(page) == "other"
    assert step_heading(page).startswith("#### Step 0 of 3")


def tape(at: AppTest) -> str:
    return next(h.value for h in at.get("html") if 'data-testid="tape"' in h.value)


def test_the_tape_highlights_the_symbol_just_read_and_explains_its_colours(page):
    type_tape(page, "ab")
    click(page, "btn_step")
    assert tape(page).count("step 1") == 1 and "#f4a261" in tape(page)
    for words in ("read", "just read", "next", "still to come"):
        assert f"</span>{words}" in tape(page)


def test_the_typed_input_box_counts_no_characters_against_a_wrong_cap(page):
    """The cap is in symbols (2,000), so the box shows no "n/16000" character counter."""
    type_tape(page, "ab")
    assert not page.text_input(key="m_tape").max_chars
    assert f"{LIMITS.max_tape:,} symbols" in page.text_input(key="m_tape").help


def test_the_output_trace_grows_with_each_step_and_marks_now(page):
    type_tape(page, "abab")
    click(page, "btn_step", 2)
    figure = json.loads(page.get("plotly_chart")[0].proto.spec)
    trace, now = figure["data"]
    assert plotly_values(trace["y"]) == [0.0, 0.0, 1.0] and plotly_values(now["x"]) == [2]


def test_a_generated_tape_has_the_chosen_length_and_seed(page):
    page.slider(key="m_tape_length").set_value(7).run()
    assert step_heading(page).startswith("#### Step 0 of 7")
    first = tape(page)
    page.number_input(key="m_tape_seed").set_value(5).run()
    assert tape(page) != first


def test_fast_clicks_on_step_each_move_one_step(page):
    """Five clicks that reach the server as one update still make five steps; a click past the
    end of the tape stops there; the button is a primary 'Step' and is disabled at the end."""
    type_tape(page, "abbaab")
    assert step_button(page) == {"label": "Step", "disabled": False, "primary": True,
                                 "icon": True, "help": ""}
    click_step(page, 5)
    assert step_heading(page).startswith("#### Step 5 of 6")
    assert lit_state(page) == "a"
    click_step(page, 4)
    assert step_heading(page).startswith("#### Step 6 of 6")
    assert step_button(page)["disabled"]
    page.run()                                                # a rerun adds no step
    assert step_heading(page).startswith("#### Step 6 of 6")


def test_a_step_button_drawn_anew_counts_from_its_own_start(page):
    """After another visit the browser's button counts from 1 again (a new mount id)."""
    type_tape(page, "abbaab")
    click_step(page, 2)
    click_step(page, 1, mount="second visit")
    assert step_heading(page).startswith("#### Step 3 of 6")


def test_play_advances_one_step_per_run_until_pause(page):
    type_tape(page, "ababab")
    click(page, "btn_play")
    assert step_heading(page).startswith("#### Step 1 of 6")
    page.run()
    page.run()
    assert step_heading(page).startswith("#### Step 3 of 6")
    click(page, "btn_pause")
    page.run()
    assert step_heading(page).startswith("#### Step 3 of 6")


def test_play_stops_at_the_end_of_the_tape(page):
    type_tape(page, "ab")
    click(page, "btn_play")
    for _ in range(3):
        page.run()
    assert step_heading(page).startswith("#### Step 2 of 2")
    assert page.session_state["playing"] is False
    assert step_button(page)["disabled"]


def test_a_typed_symbol_outside_the_alphabet_is_named(page):
    type_tape(page, "abz")
    assert any("'z'" in m and "a, b" in m for m in messages(page, "warning"))
    assert step_heading(page).startswith("#### Step 0 of 0")


def test_a_tape_over_the_cap_is_cut_with_a_message(page):
    type_tape(page, "ab" * (LIMITS.max_tape // 2 + 1))
    assert any(f"over the cap of {LIMITS.max_tape:,}" in m for m in messages(page, "warning"))
    assert step_heading(page).startswith(f"#### Step 0 of {LIMITS.max_tape:,}".replace(",", ""))


# ---------------------------------------------------------------------- the analysis and the URL
def test_the_analysis_panel_reports_the_machine(page):
    page.selectbox(key="m_preset").set_value("permutation").run()
    values = {m.label: m.value for m in page.metric}
    assert values["States"] == "4"
    assert values["Memory window"] == "no limit" and values["Reset input"] == "none"
    assert values["Strongly connected parts"] == "1"
    assert any(c.value == "Strongly connected parts: {q0, q1, q2, q3}" for c in page.caption)
    assert any("No input ever makes it forget" in m.value for m in page.markdown)


def test_ends_in_ab_remembers_two_symbols_yet_one_symbol_resets_it(page):
    """The two numbers the old "memory horizon" mixed up, side by side and explained: its state
    is decided by the last two symbols (its description says so), and reading a alone puts it
    in state a (the shortest synchronising word)."""
    page.selectbox(key="m_preset").set_value("ends_in_ab").run()
    values = {m.label: m.value for m in page.metric}
    assert values["Memory window"] == "2 symbols" and values["Reset input"] == "1 symbol"
    text = next(m.value for m in page.markdown if m.value.startswith("Its state"))
    assert "last **2 symbols**" in text and "Reading **a** puts it in state **a**" in text


@pytest.mark.parametrize("name, window", [("delay_line", 3), ("shift_register_2bit", 2),
                                          ("parity", None), ("mod3_counter", None),
                                          ("gated_memory", None)])
def test_the_memory_window_is_what_the_presets_say_they_remember(name, window):
    assert presets.load(name).memory_window() == window


def _decides(machine: Machine, length: int) -> bool:
    """Whether every input of ``length`` symbols leaves one state from every reachable one."""
    from itertools import product

    reachable = machine.reachable_states()
    if length == 0:
        return len(reachable) == 1
    return all(len({int(machine.run(list(word), s)[-1]) for s in reachable}) == 1
               for word in product(machine.alphabet, repeat=length))


def test_the_memory_window_is_the_shortest_input_length_that_always_decides_the_state():
    """Checked against every input of each length, from every reachable state."""
    from fsm_engine.families import make_machine

    for seed in range(30):
        machine = make_machine("random", "ab", seed, n_states=4)
        window = machine.memory_window()
        if window is None:
            assert not _decides(machine, 8)     # some input of any length leaves it undecided
        else:
            assert _decides(machine, window)
            assert window == 0 or not _decides(machine, window - 1)


def test_a_link_with_settings_reproduces_the_setup():
    at = open_page({"m_start": "random", "m_family": "counter", "m_modulus": "5", "m_seed": "3",
                    "m_tape_source": "typed", "m_tape": "aab"})
    assert "drawn from the counter family, seed 3" in machine_caption(at)
    assert len(at.data_editor[0].value) == 5
    assert step_heading(at).startswith("#### Step 0 of 3")
    again = open_page({"m_start": "random", "m_family": "counter", "m_modulus": "5", "m_seed": "3"})
    assert dot(again) == dot(at)


@pytest.mark.parametrize("key, raw", [("m_states", "999"), ("m_preset", "no_such_machine"),
                                      ("m_speed", "0.3")])
def test_an_out_of_range_link_value_gives_a_message(key, raw):
    query = {"m_start": "random", key: raw} if key == "m_states" else {key: raw}
    at = open_page(query)
    warnings = messages(at, "warning")
    assert any(f"`{key}`" in m and raw in m for m in warnings), warnings
    assert not at.exception


# ---------------------------------------------------------------------- links reproduce the page
def reopen(at: AppTest) -> AppTest:
    """A new session opened on the address ``at`` shows (what "copy link" hands a student)."""
    return open_page(dict(at.query_params))


def test_an_edited_machine_and_the_step_travel_in_the_link():
    # the tape comes from the URL here: AppTest's address bar does not follow typing (a
    # browser's does, see tests/browser/test_layout_browser.py)
    page = open_page({"m_tape_source": "typed", "m_tape": "abba"})
    edit_table(page, edited={0: {"x0": "ab", "output": 0.25}})
    click(page, "btn_step", 3)
    assert page.query_params["m_step"] == "3"
    assert session.MACHINE_PARAM in page.query_params
    again = reopen(page)
    assert again.session_state["machine"] == page.session_state["machine"]
    assert step_heading(again) == step_heading(page)
    assert dot(again) == dot(page)
    assert "edited in the table" in machine_caption(again)
    assert any("not the one these settings describe" in m for m in messages(again, "info"))


def test_an_uploaded_machine_travels_in_the_link(page):
    upload(page, "updown.jff", JFF_MOORE)
    again = reopen(page)
    assert again.session_state["machine"] == page.session_state["machine"]
    assert "file updown.jff" in machine_caption(again)


def test_a_machine_its_settings_describe_leaves_no_machine_in_the_link(page):
    page.selectbox(key="m_preset").set_value("parity").run()
    click(page, "btn_step")
    assert session.MACHINE_PARAM not in page.query_params
    assert page.query_params["m_step"] == "1"
    click(page, "btn_reset")
    assert "m_step" not in page.query_params


def test_the_link_codec_gives_back_the_machine_exactly():
    for name in presets.names():
        machine = presets.load(name)
        word = session.machine_link(machine, "edited in the table")
        assert word.isascii() and "=" not in word
        assert session.machine_from_link(word) == (machine, "edited in the table")


@pytest.mark.parametrize("word, expected", [
    ("not*base64", "damaged"),
    (base64.urlsafe_b64encode(__import__("zlib").compress(b"[]")).decode(),
     "does not hold a machine"),
    (base64.urlsafe_b64encode(__import__("zlib").compress(b'{"a": ["a"]}')).decode(),
     "lacks part of a machine"),
    ("A" * (LIMITS.max_link_chars + 1), "over the cap"),
])
def test_a_damaged_link_machine_is_refused_with_a_reason(word, expected):
    with pytest.raises(MachineFormatError, match=expected):
        session.machine_from_link(word)


def test_a_damaged_link_machine_is_named_and_the_settings_machine_shown():
    at = open_page({"m_preset": "parity", session.MACHINE_PARAM: "eNoBROKEN"})
    assert any("The link's machine could not be read" in m for m in messages(at, "warning"))
    assert lit_state(at) == "even"
    assert not at.exception


def test_a_machine_too_large_for_a_link_says_the_link_holds_the_settings_only(page):
    rng = np.random.default_rng(0)
    n = LIMITS.max_diagram_states
    big = Machine("ab", rng.integers(0, n, size=(n, 2)).tolist(), rng.random(n).tolist(),
                  states=[f"{i}-{rng.bytes(30).hex()}" for i in range(n)])
    assert session.machine_link(big, "file big.json") is None
    upload(page, "big.json", big.to_json().encode())
    assert session.MACHINE_PARAM not in page.query_params
    assert any("holds the settings only" in m for m in messages(page, "info"))


def test_a_link_step_past_the_end_of_the_tape_stops_at_its_end():
    at = open_page({"m_tape_source": "typed", "m_tape": "abab", "m_step": "99"})
    assert step_heading(at).startswith("#### Step 4 of 4")


@pytest.mark.parametrize("key, raw, used", [("m_speed", "3.25", 3.5), ("m_stay", "0.333", 0.33)])
def test_an_off_grid_link_value_moves_to_the_nearest_step_and_says_so(key, raw, used):
    """The slider could not show 3.25 (its steps are 0.5 apart): it shows and uses 3.5, and
    the message names that value."""
    query = {"m_start": "random", key: raw} if key == "m_stay" else {key: raw}
    at = open_page(query)
    assert at.slider(key=key).value == used
    note = next(m for m in messages(at, "warning") if f"`{key}`" in m)
    assert f"`{raw}`" in note and f"the page uses **{used:g}**, the nearest step" in note


def test_a_link_value_the_widget_replaces_is_named_with_the_value_really_used():
    at = open_page({"m_start": "random", "m_states": "2.5"})
    used = at.slider(key="m_states").value
    note = next(m for m in messages(at, "warning") if "`m_states`" in m)
    assert "not a whole number" in note and f"the page uses **{used}**" in note


def test_the_upload_box_says_its_size_cap_in_words(page):
    label = page.get("file_uploader")[0].proto.label
    assert f"at most {LIMITS.max_upload_bytes / 1e6:g} MB" in label
