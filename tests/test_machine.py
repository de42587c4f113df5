"""Tests of one Moore machine: validation, immutability, running, serialisation, drawing,
analysis."""
from __future__ import annotations

import copy
import json
import pickle
import re

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference as ref
from fsm_engine import FSMError, Machine
from fsm_engine import machine as machine_module
from fsm_engine.errors import (
    CapacityError,
    InvalidAlphabetError,
    InvalidMachineError,
    InvalidOutputError,
    InvalidStateError,
    InvalidSymbolError,
    InvalidTransitionError,
    MachineFormatError,
)
from fsm_engine.machine import HORIZON_MAX_STATES, Step

FAST = settings(max_examples=40, deadline=None)
#: valid state names: printable text (no control character, no surrogate), no space at the ends
NAMES = st.text(st.characters(blacklist_categories=("Cc", "Cs"),
                              blacklist_characters="\ufffe\uffff"),
                min_size=1, max_size=6).filter(lambda s: s.strip() == s and s)


@st.composite
def machines(draw, max_states=20, max_symbols=6, output_values=None, names=False):
    """Random valid machines; ``output_values`` restricts outputs (so states can coincide)."""
    n_states = draw(st.integers(1, max_states))
    n_symbols = draw(st.integers(1, max_symbols))
    row = st.lists(st.integers(0, n_states - 1), min_size=n_symbols, max_size=n_symbols)
    table = draw(st.lists(row, min_size=n_states, max_size=n_states))
    values = (st.sampled_from(output_values) if output_values is not None
              else st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
    outputs = draw(st.lists(values, min_size=n_states, max_size=n_states))
    start = draw(st.integers(0, n_states - 1))
    alphabet = [f"s{x}" for x in range(n_symbols)] if n_symbols > 2 or draw(st.booleans()) \
        else ["a", "b"][:n_symbols]
    states = None
    if names:
        states = draw(st.lists(NAMES, min_size=n_states, max_size=n_states, unique=True))
    return Machine(alphabet=alphabet, transitions=table, outputs=outputs, start=start,
                   states=states)


def inputs_for(machine: Machine, max_size=60):
    return st.lists(st.integers(0, machine.n_symbols - 1), max_size=max_size)


def toggle() -> Machine:
    return Machine(alphabet=("a", "b"), transitions=[[1, 0], [0, 1]], outputs=[0.0, 1.0], start=0)


def five_states() -> list[list[int]]:
    return [[1, 0], [2, 0], [3, 1], [4, 2], [0, 3]]


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize("alphabet, message", [
    ((), "alphabet is empty"),
    (("a", "\x01"), "alphabet symbol 1 is '\\x01', which holds the control character U+0001"),
    (("a", "b\udfff"), "alphabet symbol 1 is 'b\\udfff', which holds the lone surrogate U+DFFF"),
    (("\x7f",), "the control character U+007F at position 1"),
    (("a", "a"), "alphabet symbol 'a' appears twice"),
    (("a", 2), "alphabet symbol 1 is 2"),
    (("a", ""), "alphabet symbol 1 is ''"),
    (5, "alphabet must be a sequence of symbols, got 5"),
])
def test_bad_alphabet_raises_invalid_alphabet_naming_the_symbol(alphabet, message):
    with pytest.raises(InvalidAlphabetError, match=re.escape(message)):
        Machine(alphabet=alphabet, transitions=[[0]], outputs=[0.0])


@pytest.mark.parametrize("states, message", [
    (("x", "x"), "state name 'x' appears twice"),
    (("x", 3), "state name 1 is 3"),
    (("x", ""), "state name 1 is ''"),
    (5, "states must be a sequence of state names, got 5"),
    (("x", "a\x01b"), "state name 1 is 'a\\x01b', which holds the control character U+0001 at "
                      "position 2"),
    (("x", "a\nb"), "the control character U+000A at position 2"),
    (("\x85",), "the control character U+0085 at position 1"),
    (("x", "\ud800"), "state name 1 is '\\ud800', which holds the lone surrogate U+D800"),
    (("ok\uffff",), "the non-character U+FFFF at position 3"),
    (("x", "   "), "state name 1 is '   ', only whitespace"),
    (("x", "\u3000"), "only whitespace"),
    ((" x",), "state name 0 is ' x', which starts with whitespace; a table could not tell it "
              "from 'x'"),
    (("x\u00a0",), "state name 0 is 'x\\xa0', which ends with whitespace"),
])
def test_bad_state_names_raise_invalid_state(states, message):
    with pytest.raises(InvalidStateError, match=re.escape(message)):
        Machine(alphabet="a", transitions=[[0], [1]], outputs=[0, 1], states=states)


def test_machine_without_states_is_refused():
    with pytest.raises(InvalidStateError, match="no states"):
        Machine(alphabet="a", transitions=[], outputs=[])


def test_transition_out_of_range_names_state_symbol_and_value():
    table = five_states()
    table[2][1] = 7
    with pytest.raises(InvalidTransitionError) as err:
        Machine(alphabet="ab", transitions=table, outputs=[0] * 5)
    assert str(err.value) == ("transition from state 'q2' on 'b' goes to 7, "
                              "but the machine has 5 states")


@pytest.mark.parametrize("target, message", [
    (-1, "goes to -1, but the machine has 2 states"),
    ("zz", "goes to 'zz', which is not a state"),
    (0.5, "goes to 0.5; expected a state index or name"),
    (None, "goes to None; expected a state index or name"),
    (True, "goes to True; expected a state index or name"),
])
def test_bad_transition_targets_are_named(target, message):
    where = "transition from state 'q1' on 'a' "
    with pytest.raises(InvalidTransitionError, match=re.escape(where + message)):
        Machine(alphabet="a", transitions=[[0], [target]], outputs=[0, 1])


def test_transition_targets_may_be_names_or_integral_floats():
    m = Machine(alphabet="ab", transitions=[["y", 1.0], [0, "x"]], outputs=[0, 1],
                states=["x", "y"])
    assert m.transitions.tolist() == [[1, 1], [0, 0]]


@pytest.mark.parametrize("transitions, message", [
    ([[0, 1]], "transitions has 1 rows, but the machine has 2 states"),
    ([[0, 1], [0]],
     "transitions from state 'q1' have 1 entries, but the alphabet has 2 symbols ['a', 'b']"),
    (5, "transitions must be a [states][symbols] table or a {state: {symbol: state}} dict, got 5"),
    ([[0, 1], 7], "transitions from state 'q1' must be a list of one target per symbol, got 7"),
])
def test_malformed_transition_table_is_refused(transitions, message):
    with pytest.raises(InvalidTransitionError, match=re.escape(message)):
        Machine(alphabet="ab", transitions=transitions, outputs=[0, 1], states=["q0", "q1"])


@pytest.mark.parametrize("transitions, message", [
    ({"x": {"a": "x"}, "zz": {"a": "x"}},
     "transitions has an entry for 'zz', which is not a state"),
    ({"x": {"a": "x"}}, "transitions from state 'y' are missing"),
    ({"x": {"a": "x", "c": "y"}, "y": {"a": "x"}},
     "transition from state 'x' on 'c': 'c' is not in the alphabet"),
    ({"x": {}, "y": {"a": "x"}}, "transition from state 'x' on 'a' is missing"),
    ({"x": {"a": "w"}, "y": {"a": "x"}},
     "transition from state 'x' on 'a' goes to 'w', which is not a state"),
])
def test_bad_transition_dicts_are_named(transitions, message):
    with pytest.raises(InvalidTransitionError, match=re.escape(message)):
        Machine(alphabet="a", transitions=transitions, outputs=[0, 1], states=["x", "y"])


@pytest.mark.parametrize("outputs, message", [
    ([0.0], "outputs has 1 values, but the machine has 2 states"),
    ([0.0, "high"], "output of state 'q1' is 'high', not a number"),
    ([0.0, float("nan")], "output of state 'q1' is nan; it must be a finite number"),
    ([0.0, float("inf")], "output of state 'q1' is inf; it must be a finite number"),
    ([0.0, True], "output of state 'q1' is True; it must be a finite number"),
    ([0.0, None], "output of state 'q1' is None, not a number"),
    ({"q0": 1.0}, "output of state 'q1' is missing"),
    ({"q0": 1.0, "q1": 2.0, "q9": 0.0}, "outputs has a value for 'q9', which is not a state"),
    (3.0, "outputs must be one number per state or a {state: number} dict, got 3.0"),
])
def test_bad_outputs_raise_invalid_output_naming_the_state(outputs, message):
    with pytest.raises(InvalidOutputError, match=re.escape(message)):
        Machine(alphabet="a", transitions=[[1], [0]], outputs=outputs)


def test_whitespace_symbols_are_allowed_and_run():
    """The text task reads spaces, tabs, newlines and carriage returns as symbols."""
    m = Machine(alphabet=(" ", "\n", "\t", "\r", "a b"), transitions=[[1, 0, 0, 0, 1], [1] * 5],
                outputs=[0, 1])
    assert m.run([" ", "\n"]).tolist() == [1, 1] and m.alphabet[4] == "a b"


@pytest.mark.parametrize("outputs, message", [
    ([0.0, 10**400], "output of state 'q1' is a number of about 400 digits, too large for a "
                     "floating-point number"),
    ([0.0, 1 + 2j], "output of state 'q1' is (1+2j), a complex number; outputs must be real"),
    ([0.0, np.complex128(1)], "a complex number"),
    (np.array([0.0, np.inf]), "output of state 'q1' is inf; it must be a finite number"),
    ([0.0, np.True_], "output of state 'q1' is np.True_; it must be a finite number"),
    ([0.0, "1.5"], "output of state 'q1' is '1.5', not a number"),
])
def test_outputs_that_are_not_finite_reals_are_refused(outputs, message):
    with pytest.raises(InvalidOutputError, match=re.escape(message)):
        Machine(alphabet="a", transitions=[[1], [0]], outputs=outputs)


def test_huge_integers_in_a_machine_are_named_not_printed():
    with pytest.raises(InvalidTransitionError, match=r"goes to a number of about 5,000 digits"):
        Machine(alphabet="a", transitions=[[10**5000]], outputs=[0])
    with pytest.raises(InvalidStateError, match=r"start is a number of about 5,000 digits"):
        Machine(alphabet="a", transitions=[[0]], outputs=[0], start=10**5000)


@pytest.mark.parametrize("make", [
    lambda: Machine.from_dict({"alphabet": [str(i) for i in range(10**5)],
                               "transitions": [[0]] * 10**5, "outputs": [0] * 10**5,
                               "start": 0}),
    lambda: Machine(range(10**9), [[0]], [0]),                   # never made into a tuple
    lambda: Machine("a", (row for row in iter(lambda: [0], None)), [0]),
    lambda: Machine("a", [[0]], [0], states=range(10**12)),
], ids=["1e5 x 1e5", "1e9 symbols", "endless rows", "1e12 state names"])
def test_a_table_over_the_cap_is_refused_before_it_is_allocated(make, monkeypatch):
    monkeypatch.setattr(machine_module, "MAX_TABLE_ENTRIES", 1000)   # an endless input stops soon
    with pytest.raises(CapacityError, match=r"over the cap of 1,000 \(MAX_TABLE_ENTRIES\)"):
        make()


def test_the_table_cap_allows_a_machine_of_exactly_the_cap(monkeypatch):
    monkeypatch.setattr(machine_module, "MAX_TABLE_ENTRIES", 6)
    assert Machine("ab", [[0, 1]] * 3, [0] * 3).n_states == 3
    with pytest.raises(CapacityError, match=r"3 states and 3 symbols .* 9 entries"):
        Machine("abc", [[0, 1, 2]] * 3, [0] * 3)


class CountingName(str):
    """A state name that counts how often it is compared with another name."""

    comparisons = 0

    def __eq__(self, other):
        CountingName.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_dict_form_names_are_resolved_in_linear_time():
    """Each name is looked up in a dict, never searched for in the list of states: the number of
    comparisons grows like the number of states (a search would make about n² / 2)."""
    n = 3000
    names = [CountingName(f"s{i}") for i in range(n)]
    copies = [CountingName(f"s{i}") for i in range(n)]          # equal, not the same objects
    data = {"alphabet": ["a", "b"], "states": names,
            "transitions": {s: {"a": copies[(i + 1) % n], "b": copies[i]}
                            for i, s in enumerate(names)},
            "outputs": {s: float(i) for i, s in enumerate(copies)}, "start": copies[-1]}
    CountingName.comparisons = 0
    machine = Machine.from_dict(data)
    assert CountingName.comparisons < 20 * n
    assert machine.n_states == n and machine.transitions[n - 1].tolist() == [0, n - 1]


@pytest.mark.parametrize("start, message", [
    (2, "start is 2, but the machine has 2 states (0..1)"),
    (-1, "start is -1, but the machine has 2 states"),
    ("q7", "start is 'q7', which is not a state; states are ['q0', 'q1']"),
    (True, "start must be a state name or index, got True"),
    (None, "start must be a state name or index, got None"),
])
def test_bad_start_raises_invalid_state(start, message):
    with pytest.raises(InvalidStateError, match=re.escape(message)):
        Machine(alphabet="a", transitions=[[1], [0]], outputs=[0, 1], start=start)


def test_every_validation_error_is_an_fsm_error_and_a_value_error():
    for cls in (InvalidAlphabetError, InvalidStateError, InvalidTransitionError,
                InvalidOutputError):
        assert issubclass(cls, InvalidMachineError) and issubclass(cls, FSMError)
        assert issubclass(cls, ValueError)
    assert issubclass(InvalidSymbolError, FSMError) and issubclass(MachineFormatError, FSMError)


# ---------------------------------------------------------------------- immutability
def test_machine_attributes_cannot_be_set_or_deleted():
    m = toggle()
    with pytest.raises(AttributeError, match="immutable"):
        m.start = 1
    with pytest.raises(AttributeError, match="immutable"):
        del m.start
    assert m.start == 0


def test_machine_tables_are_read_only_and_copied_from_the_caller():
    table, outputs = [[1, 0], [0, 1]], [0.0, 1.0]
    m = Machine(alphabet="ab", transitions=table, outputs=outputs)
    with pytest.raises(ValueError):
        m.transitions[0, 0] = 0
    with pytest.raises(ValueError):
        m.outputs[0] = 5.0
    table[0][0] = 0
    outputs[0] = 9.0
    assert m.transitions[0, 0] == 1 and m.outputs[0] == 0.0
    array_table = np.array([[1, 0], [0, 1]])
    m2 = Machine(alphabet="ab", transitions=array_table, outputs=[0, 1])
    array_table[0, 0] = 0
    assert m2.transitions[0, 0] == 1


def test_copy_deepcopy_and_pickle_give_equal_machines():
    m = Machine(alphabet=("go", "stop"), transitions=[[1, 0], [1, 0]], outputs=[0.5, -2.0],
                start="b", states=["a", "b"])
    for clone in (copy.copy(m), copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert clone == m and hash(clone) == hash(m)
        assert clone.run("go stop").tolist() == m.run("go stop").tolist()


def test_equal_machines_hash_alike_and_differ_when_any_part_differs():
    m = toggle()
    assert m == toggle() and hash(m) == hash(toggle())
    assert m != m.with_output(1, 2.0)
    assert m != m.with_transition(0, "a", 0)
    assert m != Machine(alphabet=("a", "b"), transitions=[[1, 0], [0, 1]], outputs=[0.0, 1.0],
                        start=1)
    assert m != "not a machine"


# ---------------------------------------------------------------------- encode
def test_encode_reads_one_character_per_symbol_and_skips_whitespace():
    m = toggle()
    assert m.encode("abba").tolist() == [0, 1, 1, 0]
    assert m.encode("a b\nb").tolist() == [0, 1, 1]
    assert m.encode("").tolist() == []


def test_encode_splits_multi_character_symbols_on_whitespace():
    m = Machine(alphabet=("go", "stop", "x"), transitions=[[0, 0, 0]], outputs=[0])
    assert m.encode("go stop  x\tgo").tolist() == [0, 1, 2, 0]


def test_encode_accepts_symbol_sequences_and_int_codes():
    m = toggle()
    assert m.encode(["b", "a"]).tolist() == [1, 0]
    assert m.encode([1, 0, np.int8(1)]).tolist() == [1, 0, 1]
    assert m.encode(np.array([1, 1], dtype=np.uint8)).tolist() == [1, 1]
    assert m.encode(np.array(["a", "b"])).tolist() == [0, 1]


@pytest.mark.parametrize("inputs, message", [
    ("abca", "input symbol 2 is 'c', which is not in the alphabet ['a', 'b']"),
    (["a", "zz"], "input symbol 1 is 'zz'"),
    (["a", True], "input symbol 1 is True"),
    ([0, 5], "input symbol 1 has code 5, but the alphabet has 2 symbols (codes 0..1)"),
    (np.array([0, 0, -1]), "input symbol 2 has code -1"),
])
def test_encode_names_the_position_of_a_bad_symbol(inputs, message):
    with pytest.raises(InvalidSymbolError, match=re.escape(message)):
        toggle().encode(inputs)


# ---------------------------------------------------------------------- running
def test_run_follows_the_transition_table():
    m = toggle()
    assert m.run("abba").tolist() == [1, 1, 1, 0]
    assert m.run("abba", state=1).tolist() == [0, 0, 0, 1]
    assert m.run([0, 0], state="q1").tolist() == [0, 1]
    assert m.output_trace("aa").tolist() == [1.0, 0.0]


@FAST
@given(st.data())
def test_run_equals_the_reference_and_the_steps_generator(data):
    m = data.draw(machines())
    inputs = data.draw(inputs_for(m))
    state = data.draw(st.none() | st.integers(0, m.n_states - 1))
    trace = m.run(inputs, state=state)
    assert trace.tolist() == ref.run_machine(m.transitions.tolist(), m.start, inputs, state=state)
    steps = list(m.steps(inputs, state=state))
    assert [s.after for s in steps] == trace.tolist()
    before = m.start if state is None else state
    for t, step in enumerate(steps):
        assert step == Step(t, m.alphabet[inputs[t]], before, trace[t], m.outputs[trace[t]])
        before = step.after
    assert m.output_trace(inputs, state=state).tolist() == m.outputs[trace].tolist()


def test_steps_is_a_lazy_generator():
    generator = toggle().steps("ab")
    first = next(generator)
    assert first == Step(0, "a", 0, 1, 1.0)
    assert next(generator) == Step(1, "b", 1, 1, 1.0)
    with pytest.raises(StopIteration):
        next(generator)


def test_run_refuses_a_bad_start_state():
    with pytest.raises(InvalidStateError, match="state is 5"):
        toggle().run("ab", state=5)


# ---------------------------------------------------------------------- edits
def test_with_transition_and_with_output_make_new_machines():
    m = toggle()
    changed = m.with_transition("q0", "a", "q0")
    assert changed.transitions[0, 0] == 0 and m.transitions[0, 0] == 1
    relabelled = m.with_output(1, -3.5)
    assert relabelled.outputs.tolist() == [0.0, -3.5] and m.outputs.tolist() == [0.0, 1.0]
    assert changed is not m and relabelled is not m


def test_edits_are_validated():
    m = toggle()
    with pytest.raises(InvalidSymbolError, match="'c' is not in the alphabet"):
        m.with_transition(0, "c", 0)
    with pytest.raises(InvalidStateError, match="target is 4"):
        m.with_transition(0, "a", 4)
    with pytest.raises(InvalidStateError, match="state is 'q9'"):
        m.with_output("q9", 1.0)
    with pytest.raises(InvalidOutputError, match="output of state 'q1' is nan"):
        m.with_output(1, float("nan"))


# ---------------------------------------------------------------------- serialisation
def test_to_dict_has_the_documented_shape():
    d = Machine(alphabet="ab", transitions=[[1, 0], [0, 1]], outputs=[0, 1.5], start="y",
                states=["x", "y"]).to_dict()
    assert d == {"format": "fsm-explorer/machine", "version": 1, "alphabet": ["a", "b"],
                 "states": ["x", "y"],
                 "transitions": {"x": {"a": "y", "b": "x"}, "y": {"a": "x", "b": "y"}},
                 "outputs": {"x": 0.0, "y": 1.5}, "start": "y"}


@FAST
@given(machines(names=True))
def test_dict_and_json_round_trips_give_the_same_machine(m):
    assert Machine.from_dict(m.to_dict()) == m
    assert Machine.from_json(m.to_json()) == m
    assert Machine.from_json(m.to_json(indent=None)) == m
    assert Machine.from_dict(json.loads(json.dumps(m.to_dict()))) == m


def test_from_dict_infers_states_from_transition_keys():
    d = toggle().to_dict()
    del d["states"], d["format"], d["version"]
    assert Machine.from_dict(d) == toggle()


@pytest.mark.parametrize("change, error, message", [
    ({"format": "jflap"}, MachineFormatError, "format is 'jflap'; expected 'fsm-explorer/machine'"),
    ({"version": 2}, MachineFormatError, "version 2 is not supported"),
    ({"alphabet": None}, InvalidAlphabetError, "alphabet must be a sequence"),
    ({"transitions": 5}, InvalidTransitionError, "transitions must be a [states][symbols] table"),
    ({"transitions": {"q0": {"a": "q1", "b": "q0"}, "q1": {"a": "q0", "b": "q9"}}},
     InvalidTransitionError,
     "transition from state 'q1' on 'b' goes to 'q9', which is not a state"),
    ({"outputs": {"q0": 0.0, "q1": None}}, InvalidOutputError, "output of state 'q1' is None"),
    ({"states": 3}, InvalidStateError, "states must be a sequence"),
    ({"start": "nowhere"}, InvalidStateError, "start is 'nowhere'"),
])
def test_from_dict_bad_fields_raise_errors_naming_them(change, error, message):
    d = toggle().to_dict()
    d.update(change)
    with pytest.raises(error, match=re.escape(message)):
        Machine.from_dict(d)


@pytest.mark.parametrize("field", ["alphabet", "transitions", "outputs", "start"])
def test_from_dict_names_a_missing_field(field):
    d = toggle().to_dict()
    del d[field]
    with pytest.raises(MachineFormatError, match=f"missing the field '{field}'"):
        Machine.from_dict(d)


def test_from_dict_and_from_json_refuse_non_objects_and_bad_json():
    with pytest.raises(MachineFormatError, match="must be a JSON object, got list"):
        Machine.from_dict([1, 2])
    with pytest.raises(MachineFormatError, match="not valid JSON: .* at line 1, column"):
        Machine.from_json('{"alphabet": [')


# ---------------------------------------------------------------------- drawing
def _dot_line(dot: str, prefix: str) -> str:
    lines = [line for line in dot.splitlines() if line.strip().startswith(prefix)]
    assert len(lines) == 1, (prefix, dot)
    return lines[0]


def test_to_dot_fills_the_current_state_only():
    dot = toggle().to_dot(state="q1")
    assert "#f4a261" in _dot_line(dot, '"q1" [')
    assert "#f4a261" not in _dot_line(dot, '"q0" [')
    assert "#f4a261" not in toggle().to_dot()
    assert dot.startswith('digraph "machine" {') and dot.endswith("}")
    assert '"__start" -> "q0";' in dot


def test_to_dot_draws_the_last_edge_bold():
    dot = toggle().to_dot(state=1, edge=("q0", "a"))
    assert "penwidth=3.5" in _dot_line(dot, '"q0" -> "q1"')
    assert dot.count("penwidth=3.5") == 1
    assert "penwidth=3.5" not in toggle().to_dot(state=1)


def test_to_dot_merges_parallel_transitions_into_one_labelled_edge():
    m = Machine(alphabet="abc", transitions=[[1, 1, 0], [1, 1, 1]], outputs=[0, 1])
    dot = m.to_dot(edge=(0, "b"))
    assert 'label="a,b"' in _dot_line(dot, '"q0" -> "q1"')
    assert "penwidth=3.5" in _dot_line(dot, '"q0" -> "q1"')
    assert 'label="a,b,c"' in _dot_line(dot, '"q1" -> "q1"')
    assert dot.count(" -> ") == 4   # start arrow + three merged edges


def test_to_dot_escapes_quotes_and_backslashes_in_names():
    m = Machine(alphabet=['say "x"'], transitions=[[1], [0]], outputs=[0, 1],
                states=['he said "hi"', "back\\slash"])
    dot = m.to_dot(state=0, name='my "net"')
    assert 'digraph "my \\"net\\"" {' in dot
    assert '"he said \\"hi\\"" [' in dot
    assert '"back\\\\slash" -> "he said \\"hi\\""' in dot
    assert 'label="say \\"x\\""' in dot
    for line in dot.splitlines():   # every quote that is not escaped opens or closes a string
        assert len(re.findall(r'(?<!\\)"', line.replace("\\\\", ""))) % 2 == 0, line


def test_to_dot_refuses_unknown_states_and_edge_symbols():
    with pytest.raises(InvalidStateError):
        toggle().to_dot(state="q5")
    with pytest.raises(InvalidSymbolError, match="edge symbol 'z'"):
        toggle().to_dot(edge=(0, "z"))


def test_to_networkx_has_a_node_per_state_and_an_edge_per_transition():
    m = Machine(alphabet="abc", transitions=[[1, 1, 0], [1, 2, 1], [2, 2, 2]], outputs=[0, 1, -1],
                start=1, states=["x", "y", "z"])
    graph = m.to_networkx()
    assert graph.number_of_nodes() == 3 and graph.number_of_edges() == 9
    assert graph.nodes[1] == {"name": "y", "output": 1.0, "start": True}
    assert not graph.nodes[0]["start"]
    assert sorted(d["symbol"] for _, _, d in graph.edges(0, data=True)) == ["a", "b", "c"]
    assert sorted(d["symbol"] for u, v, d in graph.edges(data=True)
                  if (u, v) == (0, 1)) == ["a", "b"]


# ---------------------------------------------------------------------- analysis
def test_reachable_states_ignores_states_the_start_cannot_reach():
    m = Machine(alphabet="ab", transitions=[[1, 0], [1, 1], [0, 3], [3, 3]], outputs=[0] * 4,
                start=0)
    assert m.reachable_states() == [0, 1]
    assert m.with_transition(1, "b", 2).reachable_states() == [0, 1, 2, 3]


@FAST
@given(machines())
def test_reachable_states_match_the_reference(m):
    assert m.reachable_states() == sorted(ref.reachable(m.transitions.tolist(), m.start))


@FAST
@given(machines())
def test_strongly_connected_components_match_networkx(m):
    graph = nx.DiGraph()
    graph.add_nodes_from(range(m.n_states))
    graph.add_edges_from((s, int(t)) for s in range(m.n_states) for t in m.transitions[s])
    expected = {frozenset(c) for c in nx.strongly_connected_components(graph)}
    parts = m.strongly_connected_components()
    assert {frozenset(c) for c in parts} == expected
    assert [len(c) for c in parts] == sorted((len(c) for c in parts), reverse=True)
    assert all(c == sorted(c) for c in parts)


@FAST
@given(st.data())
def test_minimize_preserves_every_output_sequence(data):
    m = data.draw(machines(output_values=[0.0, 1.0, 2.0]))
    small = m.minimize()
    for inputs in data.draw(st.lists(inputs_for(m), min_size=1, max_size=5)):
        assert small.output_trace(inputs).tolist() == m.output_trace(inputs).tolist()
    assert small.n_states <= len(m.reachable_states())
    assert small.alphabet == m.alphabet


@FAST
@given(machines(max_states=6, max_symbols=3, output_values=[0.0, 1.0]))
def test_minimize_leaves_exactly_one_state_per_behaviour(m):
    expected = ref.n_behaviours(m.transitions.tolist(), m.outputs.tolist(), m.start, m.n_states)
    small = m.minimize()
    assert small.n_states == expected
    assert small.minimize().n_states == expected


def test_minimize_merges_duplicated_states():
    m = Machine(alphabet="ab", transitions=[[1, 0], [0, 1]], outputs=[0.0, 1.0])
    # the same toggle with every state doubled: q0/q2 and q1/q3 are interchangeable
    doubled = Machine(alphabet="ab", transitions=[[3, 2], [0, 1], [1, 0], [2, 3]],
                      outputs=[0, 1, 0, 1])
    small = doubled.minimize()
    assert small.n_states == 2
    assert small.transitions.tolist() == m.transitions.tolist()
    assert small.outputs.tolist() == m.outputs.tolist()
    assert small.states == ("q0", "q1")


def test_minimize_drops_unreachable_states_and_keeps_distinguishable_ones():
    chain = Machine(alphabet="a", transitions=[[1], [2], [2], [0]], outputs=[0, 0, 1, 0])
    small = chain.minimize()
    assert small.n_states == 3                           # q3 unreachable; q0, q1, q2 all differ
    assert small.states == ("q0", "q1", "q2")


def cerny(n: int) -> Machine:
    """The Černý automaton C_n: 'a' rotates the states, 'b' merges state n-1 into 0."""
    table = [[(s + 1) % n, 0 if s == n - 1 else s] for s in range(n)]
    return Machine(alphabet="ab", transitions=table, outputs=list(range(n)))


@pytest.mark.parametrize("n", [3, 4, 5])
def test_cerny_automaton_has_memory_horizon_n_minus_1_squared(n):
    m = cerny(n)
    assert m.memory_horizon() == (n - 1) ** 2
    word = m.synchronizing_word()
    codes = [m.alphabet.index(a) for a in word]
    assert len(ref.image(m.transitions.tolist(), range(n), codes)) == 1


@pytest.mark.parametrize("k", [1, 2, 3])
def test_delay_line_remembers_exactly_k_symbols(k):
    n_symbols = 2
    size = n_symbols ** k
    table = [[(s * n_symbols + x) % size for x in range(n_symbols)] for s in range(size)]
    assert Machine(alphabet="ab", transitions=table, outputs=[0] * size).memory_horizon() == k


def test_permutation_machine_never_forgets():
    m = Machine(alphabet="ab", transitions=[[1, 0], [2, 2], [0, 1]], outputs=[0, 1, 2])
    assert m.synchronizing_word() is None and m.memory_horizon() is None


def test_a_reset_symbol_gives_horizon_one():
    m = Machine(alphabet="abr", transitions=[[1, 2, 0], [2, 0, 0], [0, 1, 0]], outputs=[0, 1, 2])
    assert m.memory_horizon() == 1
    assert m.synchronizing_word() == ["r"]


def test_a_single_state_machine_has_horizon_zero():
    assert Machine(alphabet="ab", transitions=[[0, 0]], outputs=[1]).memory_horizon() == 0


def test_memory_horizon_only_looks_at_reachable_states():
    # q2 is unreachable and would never merge with the others
    m = Machine(alphabet="a", transitions=[[1], [1], [2]], outputs=[0, 0, 0])
    assert m.memory_horizon() == 1
    assert m.synchronizing_word(states=[1, 2]) is None


@FAST
@given(machines(max_states=5, max_symbols=3))
def test_memory_horizon_is_the_shortest_synchronising_word(m):
    table = m.transitions.tolist()
    members = m.reachable_states()
    expected = ref.shortest_synchronizing_length(table, members, max_length=(len(members) - 1) ** 2)
    assert m.memory_horizon() == expected      # Černý's bound: a word, if any, is this short
    word = m.synchronizing_word()
    if word is not None:
        assert len(ref.image(table, members, [m.alphabet.index(a) for a in word])) == 1


def test_memory_horizon_search_is_capped():
    n = HORIZON_MAX_STATES + 1
    ring = Machine(alphabet="a", transitions=[[(s + 1) % n] for s in range(n)], outputs=[0] * n)
    with pytest.raises(CapacityError,
                       match=f"capped at {HORIZON_MAX_STATES} states.*has {n} reachable"):
        ring.memory_horizon()
    with pytest.raises(CapacityError, match="capped at 3 states"):
        cerny(4).memory_horizon(max_states=3)
    assert ring.minimize().n_states == 1            # the suggested way out works here
    assert ring.minimize().memory_horizon() == 0


def test_analysis_reports_every_figure_and_explains_a_missing_horizon():
    n = HORIZON_MAX_STATES + 1
    ring = Machine(alphabet="a", transitions=[[(s + 1) % n] for s in range(n)],
                   outputs=list(range(n)))
    result = ring.analysis()
    assert result["states"] == n and result["reachable"] == n and result["minimal_states"] == n
    assert result["memory_horizon"] is None and "capped" in result["memory_horizon_note"]
    assert len(result["components"]) == 1
    perm = Machine(alphabet="ab", transitions=[[1, 0], [0, 1]], outputs=[0, 1]).analysis()
    assert perm["memory_horizon"] is None and "no input word" in perm["memory_horizon_note"]
    assert cerny(3).analysis()["memory_horizon"] == 4


def test_to_dot_start_arrow_does_not_collide_with_a_state_named_start():
    m = Machine("a", [[1], [0]], [0, 1], states=["__start", "b"])
    dot = m.to_dot()
    assert '"__start_" -> "__start";' in dot
    assert dot.count('shape=point') == 1


def test_memory_horizon_search_gives_up_with_a_clear_message_when_too_large():
    """A 20-state Cerny-like machine (rotate, swap, merge one pair) has a very long shortest
    synchronising word; the search stops at its budget instead of freezing the page."""
    n = 20
    table = [[(s + 1) % n, 1 if s == 0 else 0 if s == 1 else s, 0 if s == 1 else s]
             for s in range(n)]
    machine = Machine("abc", table, [0.0] * n)
    with pytest.raises(CapacityError, match="stopped after"):
        machine.memory_horizon()
    assert "stopped after" in machine.analysis()["memory_horizon_note"]


def test_to_dot_labels_an_edge_of_many_symbols_any_or_not_the_few_others():
    m = Machine(alphabet="abcdef", transitions=[[0, 0, 0, 0, 0, 1], [1, 1, 1, 1, 1, 1]],
                outputs=[0, 1])
    dot = m.to_dot()
    assert 'label="not f"' in _dot_line(dot, '"q0" -> "q0"')
    assert 'label="f"' in _dot_line(dot, '"q0" -> "q1"')
    assert 'label="any"' in _dot_line(dot, '"q1" -> "q1"')
    split = Machine(alphabet="abcdef", transitions=[[0, 0, 0, 1, 1, 1], [1] * 6],
                    outputs=[0, 1]).to_dot()
    assert 'label="a,b,c"' in _dot_line(split, '"q0" -> "q0"')      # three: listed


def test_to_dot_draws_long_labels_in_ellipses_and_large_machines_with_neato():
    assert "shape=circle" in toggle().to_dot() and "rankdir=LR" in toggle().to_dot()
    named = Machine("a", [[1], [0]], [0, 1], states=["holding a", "empty"])
    assert "shape=ellipse" in named.to_dot()
    ring = Machine("a", [[(i + 1) % 6] for i in range(6)], [0] * 6)
    assert "layout=neato" in ring.to_dot() and "rankdir" not in ring.to_dot()
