"""Shipped example machines: every preset loads, is described, and the classics do what they say."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsm_engine import Machine, io, presets
from fsm_engine.errors import FSMError
from fsm_engine.families import FAMILIES, make_machine

CLASSICS = ["ends_in_ab", "gated_memory", "mod3_counter", "shift_register_2bit"]
FAMILY_PRESETS = [name for name in presets.names() if presets.info(name)["family"] is not None]


def test_names_list_the_classics_first_then_one_preset_per_family():
    assert presets.names() == CLASSICS + sorted(FAMILY_PRESETS)
    assert sorted(presets.info(name)["family"] for name in FAMILY_PRESETS) == sorted(FAMILIES)


@pytest.mark.parametrize("name", presets.names())
def test_every_preset_loads_and_is_described(name):
    machine = presets.load(name)
    assert isinstance(machine, Machine)
    info = presets.info(name)
    assert info["name"] == name and info["title"].strip()
    assert len(info["description"].split()) >= 20            # a paragraph, not a label
    upload = io.read_machine_file(presets.PRESET_DIR / f"{name}.json")
    assert upload.machine == machine and upload.notes == ()


@pytest.mark.parametrize("name", FAMILY_PRESETS)
def test_family_preset_is_what_its_recorded_generator_call_makes(name):
    record = presets._read(name)["generated"]
    generated = make_machine(record["family"], tuple(record["alphabet"]), record["seed"],
                             **record["params"])
    machine = presets.load(name)
    assert machine.alphabet == generated.alphabet and machine.start == generated.start
    assert np.array_equal(machine.transitions, generated.transitions)
    assert np.allclose(machine.outputs, generated.outputs, atol=5e-4)   # rounded to 3 decimals


def test_unknown_preset_lists_the_names():
    with pytest.raises(FSMError,
                       match=r"no preset machine 'nope'; presets are ends_in_ab, gated_memory"):
        presets.load("nope")
    with pytest.raises(FSMError, match=r"presets are"):
        presets.info("../machines/random")


words_ab = st.text(alphabet="ab", max_size=30)


@settings(max_examples=50, deadline=None)
@given(words_ab)
def test_mod3_counter_outputs_the_count_of_a_modulo_3(word):
    expected = [word[:t + 1].count("a") % 3 for t in range(len(word))]
    assert presets.load("mod3_counter").output_trace(word).tolist() == expected


@settings(max_examples=50, deadline=None)
@given(words_ab)
def test_ends_in_ab_outputs_one_exactly_after_ab(word):
    expected = [float(word[:t + 1].endswith("ab")) for t in range(len(word))]
    assert presets.load("ends_in_ab").output_trace(word).tolist() == expected


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet="01", max_size=30))
def test_shift_register_holds_the_last_two_bits(word):
    machine = presets.load("shift_register_2bit")
    bits = [0] + [int(c) for c in word]                    # the register starts at 00
    expected = [2 * bits[t] + bits[t + 1] for t in range(len(word))]
    assert machine.output_trace(word).tolist() == expected
    assert [machine.states[s] for s in machine.run(word)] == [
        f"{bits[t]}{bits[t + 1]}" for t in range(len(word))]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["w", "f", "0", "1"]), max_size=30))
def test_gated_memory_stores_the_bit_after_w_until_f(symbols):
    stored, armed, expected = None, False, []
    for symbol in symbols:
        if symbol == "w":
            stored, armed = None, True
        elif symbol == "f":
            stored, armed = None, False
        elif armed:
            stored, armed = symbol, False
        expected.append({None: 0.0, "0": -1.0, "1": 1.0}[stored])
    assert presets.load("gated_memory").output_trace(symbols).tolist() == expected
