"""Machine files: loading uploads defensively (JSON and JFLAP .jff), and writing them back."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fsm_engine import Machine, io
from fsm_engine.errors import (
    CapacityError,
    FSMError,
    InvalidOutputError,
    InvalidStateError,
    InvalidTransitionError,
    MachineFormatError,
)
from fsm_engine.families import FAMILIES, make_machine
from fsm_engine.io import AmbiguousLabelError, load_machine

REAL_JFLAP = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "jflap"


# ---------------------------------------------------------------------- small .jff builders
def state(state_id, name=None, *, initial=False, final=False, output=None) -> str:
    name_attr = "" if name is None else f' name="{name}"'
    inner = ("<x>10.0</x><y>20.0</y>" + ("<initial/>" if initial else "")
             + ("<final/>" if final else ""))
    inner += "" if output is None else f"<output>{output}</output>"
    return f'<state id="{state_id}"{name_attr}>{inner}</state>'


def edge(source, target, label) -> str:
    read = "<read/>" if label == "" else f"<read>{label}</read>"
    return f"<transition><from>{source}</from><to>{target}</to>{read}</transition>"


def jff(kind, *elements, automaton=True) -> str:
    body = "".join(elements)
    if automaton:
        body = f"<automaton>{body}</automaton>"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="no"?><!--Created with JFLAP 7.1.-->'
            f"<structure><type>{kind}</type>{body}</structure>")


# a DFA over {a, b} accepting strings that end in b
ENDS_IN_B = jff("fa", state(0, "q0", initial=True), state(1, "q1", final=True),
                edge(0, 0, "a"), edge(0, 1, "b"), edge(1, 0, "a"), edge(1, 1, "b"))
TWO_STATE = Machine(alphabet=("a", "b"), transitions=[[1, 0], [0, 1]], outputs=[0.0, 1.0], start=0)


# ---------------------------------------------------------------------- byte-level problems
def test_oversize_upload_is_refused_naming_size_and_cap():
    with pytest.raises(MachineFormatError, match=r"101 bytes, over the upload limit of 50 bytes"):
        load_machine(b"{" + b" " * 100, "m.json", max_bytes=50)


def test_oversize_file_on_disk_is_refused_with_its_real_size(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 2000)
    with pytest.raises(MachineFormatError,
                       match=r"2,000 bytes, over the upload limit of 1,000 bytes"):
        io.read_machine_file(path, max_bytes=1000)


def test_text_that_is_not_utf8_names_the_byte_offset():
    with pytest.raises(MachineFormatError, match=r"not UTF-8 text: the byte at offset 8 \(0xff\)"):
        load_machine(b'{"a": "b\xff"}', "m.json")


def test_jff_that_is_not_utf8_names_the_byte_offset():
    with pytest.raises(MachineFormatError, match=r"offset 11 \(0xe9\)"):
        load_machine(b"<structure>\xe9</structure>", "m.jff")


def test_xml_declaring_latin1_is_decoded_by_its_declaration():
    text = jff("fa", state(0, "d\xe9part", initial=True, final=True), edge(0, 0, "a"))
    data = text.replace("UTF-8", "ISO-8859-1").encode("latin-1")
    assert load_machine(data, "m.jff").machine.states == ("d\xe9part",)


# a Moore machine whose names need more than ASCII
NIHON = jff("moore", state(0, "日本", initial=True, output=1), state(1, "中文", output=0),
            edge(0, 1, "あ"), edge(1, 0, "あ"))


@pytest.mark.parametrize("encoding", ["shift_jis", "euc-jp", "big5", "gb2312", "gbk", "utf-7",
                                      "iso2022_jp", "utf-8", "UTF8", "utf-8-sig"])
def test_xml_in_a_declared_multibyte_encoding_is_decoded(encoding):
    data = NIHON.replace("UTF-8", encoding).encode(encoding)
    machine = load_machine(data, "m.jff").machine
    assert machine.states == ("日本", "中文") and machine.alphabet == ("あ",)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                      "utf-32-le", "utf-32-be"])
def test_xml_in_utf16_or_utf32_is_told_from_its_first_bytes(encoding):
    """With a byte-order mark or without (then the zero bytes around '<?' tell the order)."""
    data = NIHON.replace("UTF-8", encoding).encode(encoding)
    assert load_machine(data, "m.jff").machine.states == ("日本", "中文")
    assert load_machine(data).source_format == "jff"            # sniffed without a name


@pytest.mark.parametrize("encoding, message", [
    ("idna", "'idna', which is not a character set"),
    ("punycode", "'punycode', which is not a character set"),
    ("unicode_escape", "'unicode_escape', which is not a character set"),
    ("base64", "'base64', which is not a character set"),
    ("rot13", "'rot13', which is not a character set"),
    ("klingon-8", "'klingon-8', which is unknown"),
    ("mbcs", "'mbcs', which is unknown"),
    ("utf-16", "names the encoding 'utf-16', but the file starts with one byte per character"),
    ("utf-32", "names the encoding 'utf-32', but the file starts with one byte per character"),
    ("cp037", "read in cp037 the file does not start with that declaration"),
    ("a b", "'a b', which is not an encoding name"),
])
def test_xml_declaring_an_encoding_it_cannot_be_read_in_is_refused_naming_it(encoding, message):
    data = NIHON.replace("UTF-8", encoding).encode("utf-8")
    with pytest.raises(MachineFormatError, match=re.escape(message)):
        load_machine(data, "m.jff")


def test_bytes_not_valid_in_the_declared_encoding_name_the_offset():
    data = NIHON.replace("UTF-8", "shift_jis").encode("shift_jis") + b"\x81"
    with pytest.raises(MachineFormatError,
                       match=rf"not valid shift_jis text: the byte at offset {len(data) - 1} "
                             r"\(0x81\)"):
        load_machine(data, "m.jff")


@pytest.mark.parametrize("fmt", ["m.jff", "m.json"])
def test_text_with_a_lone_surrogate_is_refused_naming_it(fmt):
    text = (jff("fa", state(0, "q\ud800", initial=True), edge(0, 0, "a")) if fmt == "m.jff"
            else TWO_STATE.to_json().replace('"q1"', '"q\ud800"'))
    with pytest.raises(FSMError, match=r"lone surrogate U\+D800"):
        load_machine(text, fmt)


def test_utf8_byte_order_mark_is_accepted():
    data = b"\xef\xbb\xbf" + TWO_STATE.to_json().encode()
    assert load_machine(data).machine == TWO_STATE


def test_empty_file_without_extension_says_what_a_machine_file_looks_like():
    with pytest.raises(MachineFormatError, match=r"JSON \(starting with '\{'\).*this one is empty"):
        load_machine(b"")


def test_unknown_content_without_extension_names_its_first_character():
    with pytest.raises(MachineFormatError, match=r"starts with 'h'"):
        load_machine(b"hello")


def test_unknown_comma_labels_mode_is_refused():
    with pytest.raises(FSMError, match=r"comma_labels is 'maybe'"):
        load_machine(ENDS_IN_B, "m.jff", comma_labels="maybe")


# ---------------------------------------------------------------------- JSON
def test_bad_json_names_line_and_column():
    with pytest.raises(MachineFormatError, match=r"not valid JSON: .* at line 2, column 15"):
        load_machine('{"start": 0,\n "alphabet": [}', "m.json")


def test_xml_uploaded_as_json_gets_a_hint():
    with pytest.raises(MachineFormatError, match=r"looks like XML.*\.jff"):
        load_machine(ENDS_IN_B, "m.json")


def test_json_uploaded_as_jff_gets_a_hint():
    with pytest.raises(MachineFormatError,
                       match=r"not well-formed XML at line 1, column 1.*looks like JSON"):
        load_machine(TWO_STATE.to_json(), "m.jff")


def test_json_that_is_not_an_object_is_refused():
    with pytest.raises(MachineFormatError, match=r"must be a JSON object, got list"):
        load_machine("[1, 2]", "m.json")


def test_json_field_of_the_wrong_type_is_named():
    data = TWO_STATE.to_dict() | {"alphabet": 5}
    with pytest.raises(MachineFormatError,
                       match=r"the field 'alphabet' is int 5; it must be a list"):
        load_machine(json.dumps(data), "m.json")


def test_json_missing_field_is_named():
    data = TWO_STATE.to_dict()
    del data["outputs"]
    with pytest.raises(MachineFormatError, match=r"missing the field 'outputs'"):
        load_machine(json.dumps(data), "m.json")


def test_json_row_of_the_wrong_kind_is_an_fsm_error_naming_the_field():
    text = '{"alphabet": ["a"], "transitions": [5], "outputs": [0], "start": 0}'
    with pytest.raises(FSMError, match=r"transitions"):
        load_machine(text, "m.json")


def test_json_output_too_large_for_a_float_names_the_state():
    text = '{"alphabet": ["a"], "transitions": [[0]], "outputs": [1%s], "start": 0}' % ("0" * 400)
    with pytest.raises(InvalidOutputError,
                       match=r"output of state 'q0' is a number of about 400 digits, too large"):
        load_machine(text, "m.json")


def test_json_nested_too_deeply_is_a_format_error():
    with pytest.raises(MachineFormatError, match=r"nested too deeply"):
        load_machine("[" * 200_000, "m.json")


def test_json_inconsistent_machine_raises_the_machine_error():
    data = TWO_STATE.to_dict()
    data["transitions"]["q0"]["a"] = "q9"
    with pytest.raises(InvalidTransitionError, match=r"'q9', which is not a state"):
        load_machine(json.dumps(data), "m.json")


def test_json_with_too_many_states_is_refused():
    data = {"alphabet": ["a"], "states": [f"s{i}" for i in range(io.MAX_STATES + 1)],
            "transitions": [[0]] * (io.MAX_STATES + 1), "outputs": [0] * (io.MAX_STATES + 1),
            "start": 0}
    with pytest.raises(CapacityError,
                       match=rf"{io.MAX_STATES + 1} states; the cap is {io.MAX_STATES}"):
        load_machine(json.dumps(data), "m.json")


def test_json_is_recognised_without_a_file_name():
    result = load_machine(TWO_STATE.to_json().encode())
    assert (result.machine, result.source_format, result.notes) == (TWO_STATE, "json", ())


def test_unknown_extension_reads_by_content_with_a_note():
    result = load_machine(TWO_STATE.to_json(), "machine.txt")
    assert result.machine == TWO_STATE
    assert "'.txt' is neither .json nor .jff" in result.notes[0]


# ---------------------------------------------------------------------- XML safety and shape
BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                  "<structure><type>&lol3;</type></structure>")
EXTERNAL_ENTITY = ('<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   "<structure><type>&x;</type></structure>")


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["bomb", "external-entity"])
def test_xml_with_a_dtd_or_entities_is_refused(text):
    with pytest.raises(MachineFormatError, match=r"document type declaration.*refused"):
        load_machine(text, "m.jff")


def test_malformed_xml_names_line_and_column():
    with pytest.raises(MachineFormatError,
                       match=r"not well-formed XML at line 2, column \d+: mismatched tag"):
        load_machine("<structure>\n<type>fa</structure>", "m.jff")


def test_xml_that_is_not_jflap_is_refused():
    with pytest.raises(MachineFormatError, match=r"top element is <html>"):
        load_machine("<html><body/></html>", "m.jff")


def test_jflap_file_without_type_is_refused():
    with pytest.raises(MachineFormatError, match=r"no <type>"):
        load_machine("<structure><automaton/></structure>", "m.jff")


@pytest.mark.parametrize("kind, what", [("pda", "pushdown automaton"), ("turing", "Turing machine"),
                                        ("mealy", "Mealy machine"), ("grammar", "grammar"),
                                        ("widget", "does not know")])
def test_unsupported_jflap_type_is_named_with_what_is_supported(kind, what):
    with pytest.raises(MachineFormatError) as caught:
        load_machine(jff(kind, state(0, initial=True)), "m.jff")
    message = str(caught.value)
    assert f"type {kind!r}" in message and what in message
    assert "type 'fa'" in message and "type 'moore'" in message


# ---------------------------------------------------------------------- JFLAP content
def test_dfa_loads_with_output_one_on_final_states():
    result = load_machine(ENDS_IN_B, "m.jff")
    machine = result.machine
    assert result.source_format == "jff"
    assert machine.alphabet == ("a", "b") and machine.states == ("q0", "q1")
    assert machine.output_trace("abba").tolist() == [0, 1, 1, 0]
    assert result.notes == ("a JFLAP finite automaton: output 1 in the final (accepting) "
                            "states 'q1', 0 elsewhere",)


def test_moore_machine_keeps_numeric_outputs_exactly():
    text = jff("moore", state(0, "low", initial=True, output="-0.25"),
               state(1, "high", output="1e-3"), edge(0, 1, "x"), edge(1, 0, "x"))
    result = load_machine(text, "m.jff")
    assert result.machine.outputs.tolist() == [-0.25, 0.001] and result.notes == ()


def test_non_numeric_moore_output_says_outputs_must_be_numbers():
    text = jff("moore", state(0, "A", initial=True, output="yes"), edge(0, 0, "a"))
    with pytest.raises(MachineFormatError,
                       match=r"state 'A' has the output 'yes', which is not a number"):
        load_machine(text, "m.jff")


def test_moore_state_without_output_is_refused():
    text = jff("moore", state(0, "A", initial=True), edge(0, 0, "a"))
    with pytest.raises(MachineFormatError, match=r"state 'A' has no output"):
        load_machine(text, "m.jff")


def test_infinite_moore_output_is_refused():
    text = jff("moore", state(0, "A", initial=True, output="inf"), edge(0, 0, "a"))
    with pytest.raises(MachineFormatError, match=r"must be a finite number"):
        load_machine(text, "m.jff")


def test_two_transitions_on_one_symbol_is_an_nfa():
    text = jff("fa", state(0, "q0", initial=True), state(1, "q1"), edge(0, 0, "a"), edge(0, 1, "a"))
    with pytest.raises(MachineFormatError,
                       match=r"state 'q0' has two transitions on 'a' \(to 'q0' and to 'q1'\).*NFA.*"
                             r"Only deterministic machines can be loaded"):
        load_machine(text, "m.jff")


def test_repeated_identical_transition_is_not_an_nfa():
    text = ENDS_IN_B.replace("</automaton>", edge(0, 1, "b") + "</automaton>")
    assert load_machine(text, "m.jff").machine == load_machine(ENDS_IN_B, "m.jff").machine


def test_lambda_transition_is_an_nfa():
    text = jff("fa", state(0, "q0", initial=True), state(1, "q1"), edge(0, 1, ""), edge(0, 0, "a"))
    with pytest.raises(MachineFormatError,
                       match=r"from 'q0' to 'q1' reads the empty string.*NFA.*Convert to DFA"):
        load_machine(text, "m.jff")


def test_lambda_transition_in_a_moore_machine_is_refused():
    text = jff("moore", state(0, "q0", initial=True, output="0"), edge(0, 0, ""))
    with pytest.raises(MachineFormatError,
                       match=r"reads the empty string.*give every transition one symbol"):
        load_machine(text, "m.jff")


def test_missing_initial_state_is_refused():
    text = jff("fa", state(0, "q0"), edge(0, 0, "a"))
    with pytest.raises(MachineFormatError, match=r"no initial state; mark one state as initial"):
        load_machine(text, "m.jff")


def test_two_initial_states_are_refused():
    text = jff("fa", state(0, "q0", initial=True), state(1, "q1", initial=True), edge(0, 1, "a"))
    with pytest.raises(MachineFormatError, match=r"marks 2 states as initial \('q0', 'q1'\)"):
        load_machine(text, "m.jff")


def test_initial_state_need_not_be_the_first():
    text = jff("fa", state(0, "q0", final=True), state(1, "q1", initial=True),
               edge(0, 0, "a"), edge(1, 0, "a"))
    machine = load_machine(text, "m.jff").machine
    assert machine.start == 1 and machine.output_trace("a").tolist() == [1.0]


def test_states_are_ordered_by_id_and_unnamed_ones_called_q_id():
    text = jff("fa", state(7, initial=True), state(3, "three"), edge(7, 3, "a"), edge(3, 7, "a"))
    machine = load_machine(text, "m.jff").machine
    assert machine.states == ("three", "q7") and machine.start == 1


def test_duplicated_state_names_are_made_unique_with_a_note():
    text = jff("fa", state(0, "s", initial=True), state(1, "s"), state(2, "s_2"),
               edge(0, 1, "a"), edge(1, 2, "a"), edge(2, 0, "a"))
    result = load_machine(text, "m.jff")
    assert result.machine.states == ("s", "s_3", "s_2")
    assert any("'s' (id 1) -> 's_3'" in note for note in result.notes)


def test_duplicate_state_id_is_refused():
    text = jff("fa", state(0, "a", initial=True), state(0, "b"), edge(0, 0, "a"))
    with pytest.raises(MachineFormatError, match=r"state id 0 appears twice"):
        load_machine(text, "m.jff")


def test_non_numeric_state_id_is_refused():
    text = jff("fa", state("x", "a", initial=True), edge(0, 0, "a"))
    with pytest.raises(MachineFormatError, match=r"'x', not a whole number"):
        load_machine(text, "m.jff")


def test_transition_to_a_missing_state_is_refused():
    text = jff("fa", state(0, "a", initial=True), edge(0, 4, "a"))
    with pytest.raises(MachineFormatError,
                       match=r"transition number 1 goes to state id 4, which does not exist"):
        load_machine(text, "m.jff")


def test_file_without_transitions_is_refused():
    with pytest.raises(MachineFormatError, match=r"no transitions"):
        load_machine(jff("fa", state(0, initial=True)), "m.jff")


def test_crlf_and_carriage_return_references_and_jflap6_layout_load():
    text = (ENDS_IN_B.replace("<state", "&#13;\r\n\t<state")
            .replace("<transition>", "&#13;\r\n<transition>"))
    text = text.replace("<automaton>", "").replace("</automaton>", "")
    assert load_machine(text.encode(), "m.jff").machine == load_machine(ENDS_IN_B, "m.jff").machine


def test_partial_dfa_gets_a_dead_state_and_a_note_counting_missing_transitions():
    text = jff("fa", state(0, "q0", initial=True), state(1, "q1", final=True),
               edge(0, 1, "a"), edge(1, 1, "b"))
    result = load_machine(text, "m.jff")
    machine = result.machine
    assert machine.states == ("q0", "q1", "dead")
    assert machine.outputs[2] == 0.0 and machine.transitions[2].tolist() == [2, 2]
    assert machine.output_trace("ab").tolist() == [1, 1]
    assert machine.output_trace("ba").tolist() == [0, 0]
    assert any("2 of 4 transitions were missing" in note and "'dead'" in note
               for note in result.notes)


def test_dead_state_name_avoids_existing_names():
    text = jff("moore", state(0, "dead", initial=True, output="1"), edge(0, 0, "a"),
               state(1, "x", output="2"))
    result = load_machine(text, "m.jff")
    assert result.machine.states == ("dead", "x", "dead_2")
    assert any("'dead_2' with output 0" in note for note in result.notes)


COMMA = jff("fa", state(0, "q0", initial=True), state(1, "q1", final=True),
            edge(0, 1, "a,b"), edge(1, 1, "a"), edge(1, 0, "b"))


def test_comma_label_is_an_error_by_default_naming_both_choices():
    with pytest.raises(AmbiguousLabelError) as caught:
        load_machine(COMMA, "m.jff")
    assert caught.value.labels == ("a,b",)
    message = str(caught.value)
    assert "'a,b' contains a comma" in message and "the 3-character string 'a,b'" in message
    assert "'a' or 'b'" in message
    assert "'split'" in message and "'literal'" in message
    assert isinstance(caught.value, MachineFormatError)


def test_comma_label_split_makes_one_transition_per_symbol():
    result = load_machine(COMMA, "m.jff", comma_labels="split")
    machine = result.machine
    assert machine.alphabet == ("a", "b") and machine.n_states == 2
    assert machine.transitions[0].tolist() == [1, 1]
    assert any("'a,b' -> 'a' and 'b'" in note for note in result.notes)


def test_comma_label_literal_keeps_one_symbol_as_jflap_does():
    result = load_machine(COMMA, "m.jff", comma_labels="literal")
    machine = result.machine
    assert machine.alphabet == ("a,b", "a", "b")
    assert machine.output_trace(["a,b", "a", "b"]).tolist() == [1, 1, 0]
    assert any("kept as single symbols" in note for note in result.notes)


def test_split_comma_label_that_clashes_with_another_edge_is_an_nfa():
    text = jff("fa", state(0, "q0", initial=True), state(1, "q1"), edge(0, 1, "a,b"),
               edge(0, 0, "b"))
    with pytest.raises(MachineFormatError, match=r"two transitions on 'b'"):
        load_machine(text, "m.jff", comma_labels="split")


def test_multi_character_labels_become_symbols_with_a_note():
    text = jff("fa", state(0, "q0", initial=True, final=True), edge(0, 0, "ab"), edge(0, 0, "c"))
    result = load_machine(text, "m.jff")
    assert result.machine.alphabet == ("ab", "c")
    assert any("multi-character labels became input symbols of their own: 'ab'" in note
               for note in result.notes)


def test_space_is_a_symbol_not_an_empty_label():
    text = jff("fa", state(0, "q0", initial=True), edge(0, 0, " "))
    assert load_machine(text, "m.jff").machine.alphabet == (" ",)


def test_spaces_around_jflap_state_names_are_removed_with_a_note():
    text = jff("fa", state(0, " q0 ", initial=True), state(1, "   "), state(2, "q1"),
               edge(0, 1, "a"), edge(1, 2, "a"), edge(2, 0, "a"))
    result = load_machine(text, "m.jff")
    assert result.machine.states == ("q0", "q1", "q1_2")
    assert any("spaces at the ends of state names were removed: ' q0 ' (id 0) -> 'q0', '   ' "
               "(id 1) -> 'q1'" in note for note in result.notes)


def test_json_state_names_with_spaces_or_control_characters_are_refused():
    for bad, message in ((" q1", "starts with whitespace"), ("q\u0001", "U+0001"),
                         ("  ", "only whitespace")):
        data = TWO_STATE.to_json().replace('"q1"', json.dumps(bad))
        with pytest.raises(InvalidStateError, match=re.escape(message)):
            load_machine(data, "m.json")


def test_a_partial_jff_at_the_state_cap_is_refused_naming_the_dead_state(monkeypatch):
    monkeypatch.setattr(io, "MAX_STATES", 3)
    states = "".join(state(i, initial=(i == 0)) for i in range(3))
    complete = jff("fa", states, *(edge(i, (i + 1) % 3, "a") for i in range(3)))
    machine = load_machine(complete, "m.jff").machine
    assert load_machine(io.machine_to_jff(machine), "m.jff").machine == machine
    partial = jff("fa", states, edge(0, 1, "a"), edge(1, 2, "a"))
    with pytest.raises(CapacityError, match=r"3 states and is partial \(1 of 3 transitions are "
                                            r"missing\), so loading it adds a dead state: 4 "
                                            r"states, over the cap of 3"):
        load_machine(partial, "m.jff")


def test_a_partial_jff_one_under_the_cap_loads_and_its_export_reloads(monkeypatch):
    monkeypatch.setattr(io, "MAX_STATES", 3)
    partial = jff("fa", state(0, initial=True), state(1), edge(0, 1, "a"))
    machine = load_machine(partial, "m.jff").machine
    assert machine.n_states == 3 and machine.states[-1] == "dead"
    exported = io.machine_to_jff(machine)
    assert load_machine(exported, "m.jff").machine == machine
    assert load_machine(io.machine_to_json(machine), "m.json").machine == machine


@pytest.mark.parametrize("fmt", ["json", "jff"])
def test_states_times_symbols_over_the_transition_cap_is_refused(monkeypatch, fmt):
    """The cap counts the machine's table, so a partial .jff filled by a dead state and a JSON
    machine obey the same rule as the .jff export they make."""
    monkeypatch.setattr(io, "MAX_TRANSITIONS", 5)
    if fmt == "json":
        data = json.dumps({"alphabet": list("abc"), "transitions": [[0, 0, 0]] * 2,
                           "outputs": [0, 0], "start": 0})
    else:
        data = jff("fa", state(0, initial=True), state(1), edge(0, 1, "a"), edge(1, 0, "b"),
                   edge(1, 1, "c"))
    with pytest.raises(CapacityError, match=r"2 states and 3 symbols, so 6 transitions; the "
                                            r"cap is 5|3 states and 3 symbols, so 9 transitions"):
        load_machine(data, f"m.{fmt}")


def test_too_many_states_in_a_jff_is_refused():
    states = "".join(state(i, initial=(i == 0)) for i in range(io.MAX_STATES + 1))
    with pytest.raises(CapacityError,
                       match=rf"{io.MAX_STATES + 1} states; the cap is {io.MAX_STATES}"):
        load_machine(jff("fa", states, edge(0, 0, "a")), "m.jff")


def test_too_many_transitions_in_a_jff_is_refused(monkeypatch):
    monkeypatch.setattr(io, "MAX_TRANSITIONS", 3)
    text = jff("fa", state(0, initial=True), *(edge(0, 0, a) for a in "abcd"))
    with pytest.raises(CapacityError, match=r"4 transitions; the cap is 3"):
        load_machine(text, "m.jff")


def test_too_many_symbols_in_a_jff_is_refused(monkeypatch):
    monkeypatch.setattr(io, "MAX_SYMBOLS", 3)
    text = jff("fa", state(0, initial=True), *(edge(0, 0, a) for a in "abcd"))
    with pytest.raises(CapacityError, match=r"4 symbols; the cap is 3"):
        load_machine(text, "m.jff")


# ---------------------------------------------------------------------- writing and round trips
def test_jff_export_is_a_jflap_moore_file_with_positions():
    text = io.machine_to_jff(TWO_STATE)
    root = io.SafeElementTree.fromstring(text)
    assert root.tag == "structure" and root.findtext("type") == "moore"
    states = root.findall("automaton/state")
    assert [s.get("name") for s in states] == ["q0", "q1"]
    assert all(s.findtext("x") and s.findtext("y") for s in states)
    assert len(root.findall("automaton/transition")) == 4
    assert states[0].find("initial") is not None and states[1].findtext("output") == "1.0"


def test_jff_export_keeps_whitespace_symbols_exactly():
    """Tab, newline, carriage return and space are symbols of the text task; XML would turn
    them into spaces or drop them unless they are written as character references."""
    machine = Machine(alphabet=("\t", "\n", "\r", " ", "a\r\nb"), transitions=[[0] * 5],
                      outputs=[0.5])
    text = io.machine_to_jff(machine)
    assert "&#9;" in text and "&#10;" in text and "&#13;" in text
    result = load_machine(text.encode("utf-8"), "m.jff")
    assert result.machine.alphabet == machine.alphabet


def test_symbol_with_a_comma_round_trips_in_literal_mode():
    machine = Machine(alphabet=("a,b", "c"), transitions=[[0, 0]], outputs=[0.5])
    text = io.machine_to_jff(machine)
    assert load_machine(text, "m.jff", comma_labels="literal").machine == machine


# what a Machine accepts: printable names without spaces at the ends; symbols may also be
# whitespace (a space, a tab, a newline, a carriage return)
printable = st.characters(blacklist_categories=("Cs", "Cc", "Cn"),
                          blacklist_characters="\ufffe\uffff")
names = st.text(printable, min_size=1, max_size=6).filter(lambda s: s.strip() == s)
symbols = st.text(printable | st.sampled_from("\t\n\r "), min_size=1, max_size=6).filter(
    lambda s: "," not in s)


@st.composite
def machines(draw):
    """A machine with arbitrary names, symbols, outputs, transitions and start."""
    alphabet = draw(st.lists(symbols, min_size=1, max_size=4, unique=True))
    states = draw(st.lists(names, min_size=1, max_size=6, unique=True))
    row = st.lists(st.integers(0, len(states) - 1), min_size=len(alphabet),
                   max_size=len(alphabet))
    table = draw(st.lists(row, min_size=len(states), max_size=len(states)))
    outputs = draw(st.lists(st.floats(allow_nan=False, allow_infinity=False),
                            min_size=len(states), max_size=len(states)))
    start = draw(st.integers(0, len(states) - 1))
    return Machine(alphabet, table, outputs, start, states)


@st.composite
def family_machines(draw):
    family = draw(st.sampled_from(sorted(FAMILIES)))
    alphabet = tuple(draw(st.lists(st.sampled_from("abcdxyz01"), min_size=1, max_size=3,
                                   unique=True)))
    return make_machine(family, alphabet, seed=draw(st.integers(0, 10_000)))


ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(st.one_of(machines(), family_machines()))
def test_json_round_trip_gives_an_equal_machine(machine):
    payload, filename, _ = io.dump_machine(machine, "json")
    result = load_machine(payload, filename)
    assert result.machine == machine and result.notes == ()


@ROUND_TRIP
@given(st.one_of(machines(), family_machines()))
def test_jff_round_trip_gives_an_equal_machine(machine):
    result = load_machine(io.machine_to_jff(machine).encode("utf-8"), "m.jff")
    assert result.machine == machine
    assert np.array_equal(result.machine.outputs, machine.outputs)   # exact floats, not just ==
    assert all("multi-character" in note for note in result.notes)


def test_dump_machine_gives_bytes_file_name_and_mime_type():
    assert (io.dump_machine(TWO_STATE, "json", name="my machine")[1:]
            == ("my_machine.json", "application/json"))
    payload, filename, mime = io.dump_machine(TWO_STATE, "dot")
    assert payload.decode().startswith("digraph")
    assert (filename, mime) == ("machine.dot", "text/vnd.graphviz")
    assert io.dump_machine(TWO_STATE, "jff")[1:] == ("machine.jff", "application/xml")


def test_dump_machine_refuses_an_unknown_format():
    with pytest.raises(FSMError,
                       match=r"'png' is not supported; formats are \['json', 'jff', 'dot'\]"):
        io.dump_machine(TWO_STATE, "png")


@pytest.mark.parametrize("extension", [".json", ".jff"])
def test_machine_file_round_trips_by_extension(tmp_path, extension):
    path = tmp_path / f"m{extension}"
    io.write_machine_file(TWO_STATE, path)
    result = io.read_machine_file(path)
    assert result.machine == TWO_STATE and result.source_format == extension[1:]


def test_writing_an_unknown_extension_is_refused(tmp_path):
    with pytest.raises(FSMError, match=r"use the extension .json, .jff or .dot"):
        io.write_machine_file(TWO_STATE, tmp_path / "m.png")


def test_reading_a_missing_file_names_it(tmp_path):
    with pytest.raises(MachineFormatError, match=r"cannot read .*nope\.json"):
        io.read_machine_file(tmp_path / "nope.json")


def test_json_export_names_every_transition_and_keeps_outputs_exactly():
    """What a student (or another program) reads in a downloaded .json file."""
    machine = Machine(alphabet=("a", " "), transitions=[[1, 0], [1, 1]],
                      outputs=[0.1 + 0.2, -1e-300], start=1, states=("日本", "end"))
    data = json.loads(io.machine_to_json(machine))
    assert data == {"format": "fsm-explorer/machine", "version": 1, "alphabet": ["a", " "],
                    "states": ["日本", "end"],
                    "transitions": {"日本": {"a": "end", " ": "日本"},
                                    "end": {"a": "end", " ": "end"}},
                    "outputs": {"日本": 0.30000000000000004, "end": -1e-300}, "start": "end"}


# ---------------------------------------------------------------------- real JFLAP files
needs_real_files = pytest.mark.skipif(not REAL_JFLAP.is_dir(),
                                      reason="shared JFLAP fixtures not present")


@needs_real_files
def test_real_moore_101_detector_runs_exactly():
    result = io.read_machine_file(REAL_JFLAP / "moore-101-detector.jff")
    machine = result.machine
    assert machine.states == ("S0", "S1", "S10", "S101") and machine.start == 0
    assert machine.outputs.tolist() == [0, 0, 0, 1] and result.notes == ()
    assert machine.output_trace("0101101").tolist() == [0, 0, 0, 1, 0, 0, 1]
    assert machine.output_trace("10101").tolist() == [0, 0, 1, 0, 1]    # overlapping matches


@needs_real_files
def test_real_nine_state_dfa_runs_exactly():
    result = io.read_machine_file(REAL_JFLAP / "dfa-complete-9-states.jff")
    machine = result.machine
    assert machine.n_states == 9 and machine.alphabet == ("1", "0")   # first-seen order in the file
    finals = [s for s, o in zip(machine.states, machine.outputs, strict=True) if o == 1]
    assert finals == ["q1", "q2", "q6", "q7", "q8"]
    # by hand from the file: q0 -1-> q2 -0-> q5 -1-> q7 -1-> q4 -0-> q6
    assert [machine.states[s] for s in machine.run("10110")] == ["q2", "q5", "q7", "q4", "q6"]
    assert machine.output_trace("10110").tolist() == [1, 0, 1, 0, 1]
    assert machine.output_trace("000").tolist() == [1, 0, 1]     # q1, q3, q1
    assert not any("partial" in note for note in result.notes)


@needs_real_files
def test_real_partial_dfa_loads_with_a_dead_state_and_a_note():
    result = io.read_machine_file(REAL_JFLAP / "fa-partial-prefix-01.jff")
    machine = result.machine
    assert machine.states == ("q0", "q1", "q2", "dead")
    assert machine.output_trace("0110").tolist() == [0, 1, 1, 1]     # starts with 01: accepted
    assert machine.output_trace("1").tolist() == [0] and machine.run("1").tolist() == [3]
    assert machine.output_trace("001").tolist() == [0, 0, 0]
    assert any("2 of 6 transitions were missing" in note for note in result.notes)


@needs_real_files
def test_real_comma_label_file_gives_the_clear_choice():
    path = REAL_JFLAP / "dfa-comma-label-crlf.jff"
    with pytest.raises(AmbiguousLabelError, match=r"'split'.*'literal'") as caught:
        io.read_machine_file(path)
    assert caught.value.labels == ("a,b",)
    split = io.read_machine_file(path, comma_labels="split").machine
    assert split.n_states == 4 and split.alphabet == ("a", "b")          # complete once split
    assert split.output_trace("aabab").tolist() == [0, 0, 1, 1, 1]
    literal = io.read_machine_file(path, comma_labels="literal").machine
    assert "a,b" in literal.alphabet and "dead" in literal.states


def test_contents_may_be_any_bytes_like_object_and_nothing_else():
    data = TWO_STATE.to_json().encode()
    for wrapped in (bytearray(data), memoryview(data)):
        assert load_machine(wrapped, "m.json").machine == TWO_STATE
    for bad in (None, 5, ["{}"]):
        with pytest.raises(MachineFormatError, match=r"contents are bytes or text, got "):
            load_machine(bad, "m.json")


@pytest.mark.parametrize("bad", [b"\xff", b"{", b"<x", BILLION_LAUGHS, "[1]", jff("pda")])
def test_bad_uploads_without_a_name_raise_fsm_errors(bad):
    with pytest.raises(FSMError):
        load_machine(bad)
