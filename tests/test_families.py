"""Tests of the machine families: each remembers what its docstring says it remembers."""
from __future__ import annotations

import re

import numpy as np
import pytest

from fsm_engine import Machine, MachineBank, families
from fsm_engine.errors import CapacityError, FSMError

ALPHABET = ("a", "b", "c", "d")


def counted_symbol(bank: MachineBank) -> np.ndarray:
    """The symbol each counter machine counts: the one that moves it out of state 0 [N]."""
    return np.argmax(bank.transitions[:, :, 0] == 1, axis=0)


def write_and_forget_symbols(bank: MachineBank) -> tuple[np.ndarray, np.ndarray]:
    """Each gated cell's write symbol (empty -> armed) and forget symbol (holding -> empty), -1 if
    none."""
    write = np.argmax(bank.transitions[:, :, 0] == 1, axis=0)
    clears = bank.transitions[:, :, 2] == 0                                           # [X, N]
    forget = np.where(clears.any(axis=0), np.argmax(clears, axis=0), -1)
    return write, forget


# ---------------------------------------------------------------------- delay lines
@pytest.mark.parametrize("n_symbols, k", [(2, 1), (2, 3), (4, 2), (3, 4)])
def test_delay_line_state_is_exactly_the_last_k_symbols(n_symbols, k):
    alphabet = ALPHABET[:n_symbols] if n_symbols <= 4 else n_symbols
    bank = families.make_bank("delay_line", 5, alphabet, seed=1, k=k)
    assert bank.n_states.tolist() == [n_symbols ** k] * 5
    rng = np.random.default_rng(k)
    inputs = rng.integers(0, n_symbols, size=200)
    states = bank.run(inputs).astype(np.int64)                                        # [T, N]
    for t in range(k - 1, len(inputs)):
        window = inputs[t - k + 1: t + 1]                                             # oldest first
        assert states[t, 0] == sum(int(x) * n_symbols ** (k - 1 - j) for j, x in enumerate(window))
    assert (states == states[:, :1]).all()
    # the state after t determines x[t-k+1..t]: equal states <=> equal windows
    windows = {}
    for t in range(k - 1, len(inputs)):
        windows.setdefault(int(states[t, 0]), set()).add(tuple(inputs[t - k + 1: t + 1]))
    assert all(len(w) == 1 for w in windows.values())


def test_delay_line_output_is_the_oldest_remembered_symbol():
    bank = families.make_bank("delay_line", 3, ALPHABET[:3], seed=0, k=2)
    inputs = np.array([0, 2, 1, 1, 0, 2, 2])
    outputs = bank.output_features(inputs)
    spread = np.array([-1.0, 0.0, 1.0], dtype=np.float32)
    np.testing.assert_array_equal(outputs[1:, 0], spread[inputs[:-1]])


# ---------------------------------------------------------------------- counters and parity
@pytest.mark.parametrize("modulus", [2, 3, 7])
def test_counters_count_their_symbol_modulo_k(modulus):
    bank = families.make_bank("counter", 40, ALPHABET, seed=modulus, modulus=modulus)
    assert bank.n_states.tolist() == [modulus] * 40
    symbol = counted_symbol(bank)                                                     # [N]
    assert len(set(symbol.tolist())) > 1                               # a random choice
    rng = np.random.default_rng(0)
    inputs = rng.integers(0, 4, size=300)
    states = bank.run(inputs)
    counts = np.cumsum(inputs[:, None] == symbol[None, :], axis=0) % modulus          # [T, N]
    np.testing.assert_array_equal(states, counts)


def test_counts_restart_at_a_reset():
    bank = families.make_bank("counter", 10, ALPHABET, seed=3, modulus=5)
    symbol = counted_symbol(bank)
    inputs = np.array([0, 1, 2, 3] * 10)
    resets = np.zeros(40, dtype=bool)
    resets[[0, 17]] = True
    states = bank.run(inputs, resets)
    counts = np.concatenate([np.cumsum(inputs[:17, None] == symbol, axis=0),
                             np.cumsum(inputs[17:, None] == symbol, axis=0)]) % 5
    np.testing.assert_array_equal(states, counts)


def test_parity_is_a_count_mod_two_with_plus_minus_one_outputs():
    bank = families.make_bank("parity", 30, ALPHABET, seed=2)
    assert bank.n_states.tolist() == [2] * 30
    assert bank.outputs.tolist() == [[-1.0, 1.0]] * 30
    symbol = counted_symbol(bank)
    rng = np.random.default_rng(1)
    inputs = rng.integers(0, 4, size=100)
    parity = np.cumsum(inputs[:, None] == symbol, axis=0) % 2
    np.testing.assert_array_equal(bank.output_features(inputs), np.where(parity == 1, 1.0, -1.0))


# ---------------------------------------------------------------------- gated cells
def latch_reference(inputs, write, forget) -> list[int]:
    """State of a gated cell after each input: 0 empty, 1 armed, 2 + x holding x."""
    state, trace = 0, []
    for x in inputs:
        if state == 1:
            state = 2 + int(x)
        elif x == write:
            state = 1
        elif x == forget:
            state = 0
        trace.append(state)
    return trace


def test_gated_cell_holds_its_symbol_across_distractors_and_clears_on_forget():
    bank = families.make_bank("gated_cell", 50, ALPHABET, seed=4)
    write, forget = write_and_forget_symbols(bank)
    assert (forget >= 0).all() and (forget != write).all()
    spread = np.linspace(-1, 1, 4).astype(np.float32)
    for n in range(bank.n_machines):
        cell = bank.machine(n)
        stored = (int(write[n]) + 2) % 4
        distractors = [x for x in range(4) if x not in (write[n], forget[n])]
        inputs = [write[n], stored] + distractors * 5 + [forget[n]] + distractors
        states = cell.run(inputs)
        assert states[0] == 1                                                          # armed
        assert (states[1:2 + 5 * len(distractors)] == 2 + stored).all()                # held
        assert cell.output_trace(inputs)[1 + 5 * len(distractors)] == spread[stored]
        assert (states[2 + 5 * len(distractors):] == 0).all()          # cleared, stays
    assert bank.outputs[:, :2].tolist() == [[0.0, 0.0]] * 50


def test_gated_cells_follow_the_latch_rule_on_random_streams():
    bank = families.make_bank("gated_cell", 60, ALPHABET, seed=5)
    write, forget = write_and_forget_symbols(bank)
    rng = np.random.default_rng(2)
    inputs = rng.integers(0, 4, size=200)
    states = bank.run(inputs)
    for n in range(bank.n_machines):
        assert states[:, n].tolist() == latch_reference(inputs, write[n], forget[n])


def test_gated_cells_over_two_symbols_have_no_forget_symbol():
    bank = families.make_bank("gated_cell", 10, ("a", "b"), seed=6)
    write, forget = write_and_forget_symbols(bank)
    assert (forget == -1).all()
    inputs = np.array([0, 1, 1, 0, 0, 1, 0])
    states = bank.run(inputs)
    for n in range(10):
        assert states[:, n].tolist() == latch_reference(inputs, write[n], -1)


# ---------------------------------------------------------------------- permutation and random
def test_permutation_machines_permute_their_states():
    bank = families.make_bank("permutation", 200, ALPHABET, seed=7, n_states=6)
    assert (np.sort(bank.transitions, axis=2) == np.arange(6)).all()
    assert not (bank.transitions == np.arange(6)).all()
    assert bank.machine(0).memory_horizon() is None


def test_random_machines_with_stay_one_never_move():
    bank = families.make_bank("random", 100, ALPHABET, seed=8, n_states=5, stay=1.0)
    assert (bank.transitions == np.arange(5)).all()
    states = bank.run(np.random.default_rng(0).integers(0, 4, size=50))
    assert (states == 0).all()


def test_random_machines_with_stay_zero_move_uniformly():
    n_states = 8
    bank = families.make_bank("random", 2000, ALPHABET, seed=9, n_states=n_states, stay=0.0)
    self_loops = (bank.transitions == np.arange(n_states)).mean()
    assert abs(self_loops - 1 / n_states) < 0.01          # only the uniform draw's own 1/S
    states = bank.run(np.zeros(1, dtype=np.int64))
    assert (states != 0).mean() > 0.8
    assert bank.outputs.min() >= -1 and bank.outputs.max() <= 1


def test_stay_sets_the_fraction_of_self_loops():
    bank = families.make_bank("random", 2000, ALPHABET, seed=10, n_states=8, stay=0.75)
    self_loops = (bank.transitions == np.arange(8)).mean()
    assert abs(self_loops - (0.75 + 0.25 / 8)) < 0.01


# ---------------------------------------------------------------------- mixtures
def test_mixture_counts_add_up_and_follow_the_fractions():
    mix = {"random": 0.5, "delay_line": 0.3, "counter": 0.2}
    for n_machines in (1, 2, 3, 7, 101, 1000):
        labels = families.family_labels(mix, n_machines)
        assert len(labels) == n_machines
        for name, fraction in mix.items():
            assert abs((labels == name).sum() - n_machines * fraction) < 1
    labels = families.family_labels("random:1,parity:1,counter:1", 10)
    assert sorted(np.unique(labels, return_counts=True)[1].tolist()) == [3, 3, 4]


def test_mixture_banks_put_each_family_where_family_labels_says():
    mix = "random:0.5,delay_line:0.25,counter:0.25"
    bank = families.make_bank(mix, 103, ALPHABET, seed=11, n_states=5, k=2, modulus=3)
    labels = families.family_labels(mix, 103)
    assert bank.n_machines == 103
    expected_sizes = {"random": 5, "delay_line": 16, "counter": 3}
    assert bank.n_states.tolist() == [expected_sizes[name] for name in labels]
    assert list(dict.fromkeys(labels)) == ["random", "delay_line", "counter"]  # order of the mix
    delay = bank.subset(labels == "delay_line")
    inputs = np.array([3, 1, 2, 0])
    assert delay.run(inputs)[-1].tolist() == [2 * 4 + 0] * delay.n_machines


def test_a_family_with_fraction_zero_is_left_out():
    bank = families.make_bank({"parity": 1.0, "counter": 0.0}, 9, ALPHABET, seed=0)
    assert bank.n_states.tolist() == [2] * 9


@pytest.mark.parametrize("text, expected", [
    ("random:0.7,delay_line:0.3", {"random": 0.7, "delay_line": 0.3}),
    ("random", {"random": 1.0}),
    (" random : 0.5 , parity ", {"random": 0.5, "parity": 1.0}),
    ("counter:2,", {"counter": 2.0}),
])
def test_parse_mix_reads_names_and_fractions(text, expected):
    assert families.parse_mix(text) == expected


def test_parse_mix_names_a_fraction_that_is_not_a_number():
    with pytest.raises(FSMError, match="family fraction 'lots' for 'random' is not a number"):
        families.parse_mix("random:lots")


# ---------------------------------------------------------------------- seeds
def test_the_same_seed_gives_the_same_bank_and_another_seed_another():
    mix = "random:0.4,permutation:0.2,counter:0.2,gated_cell:0.2"
    one = families.make_bank(mix, 300, ALPHABET, seed=12)
    two = families.make_bank(mix, 300, ALPHABET, seed=12)
    other = families.make_bank(mix, 300, ALPHABET, seed=13)
    for name in ("transitions", "outputs", "start", "n_states"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))
    assert not np.array_equal(one.transitions, other.transitions)


def test_make_machine_gives_one_machine_of_the_family():
    m = families.make_machine("counter", ALPHABET, seed=3, modulus=4)
    assert isinstance(m, Machine) and m.n_states == 4 and m.alphabet == ALPHABET
    assert m == families.make_machine("counter", ALPHABET, seed=3, modulus=4)
    assert families.make_machine("random", "ab", seed=1, n_states=6).n_states == 6


def test_an_int_alphabet_means_symbols_zero_to_x_minus_one():
    bank = families.make_bank("random", 3, 5, seed=0)
    assert bank.alphabet == ("0", "1", "2", "3", "4")


def test_every_family_in_the_table_builds_a_valid_bank():
    for name, family in families.FAMILIES.items():
        bank = families.make_bank(name, 20, ALPHABET, seed=0, n_states=4, k=2, modulus=3)
        assert bank.n_machines == 20 and family.summary
        bank.run(np.arange(4))


# ---------------------------------------------------------------------- bad requests
@pytest.mark.parametrize("mix, message", [
    ("lstm", "unknown family 'lstm'; families are random, delay_line"),
    ({}, "the family mix is empty"),
    ("", "the family mix is empty"),
    ({"random": -0.5}, "fraction of 'random' is -0.5; fractions must be finite numbers >= 0"),
    ({"random": float("nan")}, "fraction of 'random' is nan"),
    ({"random": 0.0, "parity": 0.0}, "the family fractions add up to 0"),
])
def test_bad_mixes_raise_clear_errors(mix, message):
    with pytest.raises(FSMError, match=re.escape(message)):
        families.make_bank(mix, 10, ALPHABET)
    with pytest.raises(FSMError, match=re.escape(message)):
        families.family_labels(mix, 10)


@pytest.mark.parametrize("params, message", [
    ({"n_machines": 0}, "n_machines=0 is out of range; allowed range is 1 to 10000000"),
    ({"n_states": 0}, "n_states=0 is out of range; allowed range is 1 to 4096"),
    ({"k": 0}, "k=0 is out of range; allowed range is 1 to 16"),
    ({"modulus": 1}, "modulus=1 is out of range; allowed range is 2 to 4096"),
    ({"stay": 1.5}, "stay=1.5 is out of range; allowed range is 0.0 to 1.0"),
])
def test_bad_family_parameters_are_named(params, message):
    arguments = {"mix": "random:1,counter:1", "n_machines": 10, "alphabet": ALPHABET}
    arguments.update(params)
    with pytest.raises(FSMError, match=re.escape(message)):
        families.make_bank(**arguments)


def test_oversize_requests_raise_capacity_errors_naming_the_cap():
    with pytest.raises(CapacityError, match=re.escape(
            "delay_line machines would have 32768 states, over the cap of 4096")):
        families.make_bank("delay_line", 10, 32, k=3)
    message = "building the bank would need 10.6 MB, over the cap of 1.0 MB"
    with pytest.raises(CapacityError, match=re.escape(message)):
        families.make_bank("random", 10_000, 32, n_states=1, max_bytes=1_000_000)
    bank = families.make_bank("random", 10, 4, max_bytes=20_000)
    assert bank.max_bytes == 20_000


def test_a_million_machines_fit_under_the_default_cap_and_are_checked_before_building():
    from fsm_engine.bank import DEFAULT_MAX_BYTES

    needed = families.build_bytes("random", 1_000_000, 32, n_states=8)
    assert 256_000_000 <= needed <= DEFAULT_MAX_BYTES       # the table is 256 MB of uint8
    with pytest.raises(CapacityError, match="building the bank"):
        families.make_bank("random", 1_000_000, 32, n_states=8, max_bytes=needed - 1)


def test_building_in_chunks_gives_every_machine_of_a_large_bank():
    count = families.BUILD_CHUNK * 2 + 7
    bank = families.make_bank({"random": 1, "counter": 1}, count, 3, seed=0, n_states=4)
    assert bank.n_machines == count and set(np.unique(bank.n_states)) == {3, 4}
    assert bank.transitions[:, :, :4].max() <= 3
    tail = families.make_bank({"random": 1, "counter": 1}, count, 3, seed=0, n_states=4)
    assert np.array_equal(bank.transitions, tail.transitions)      # same seed, same bank


@pytest.mark.parametrize("bad, message", [
    (dict(n_machines="10"), "n_machines must be a whole number"),
    (dict(n_machines=1.5), "n_machines must be a whole number"),
    (dict(n_machines=10**30), "n_machines=1000000000000000000000000000000 is out of range"),
    (dict(n_states="8"), "n_states must be a whole number"),
    (dict(n_states=2.5), "n_states must be a whole number"),
    (dict(seed=-1), "seed=-1 is out of range"),
    (dict(mix={"random": 1e308, "counter": 1e308}), None),
    (dict(mix="counter", alphabet=[]), "the alphabet has 0 symbols"),
    (dict(alphabet=3 * 10**7), "the alphabet size is 30000000"),
    (dict(colour=3), "unknown parameter 'colour'"),
])
def test_bad_make_bank_arguments_get_the_projects_own_error(bad, message):
    arguments = {"mix": "random", "n_machines": 10, "alphabet": ALPHABET, **bad}
    if message is None:     # huge but equal fractions are fine: half and half
        bank = families.make_bank(**arguments)
        assert sorted(np.unique(bank.n_states, return_counts=True)[1]) == [5, 5]
        return
    with pytest.raises(FSMError, match=re.escape(message)):
        families.make_bank(**arguments)


def test_made_machines_name_their_states_by_what_they_remember():
    assert families.make_machine("delay_line", "ab", k=3).states == (
        "aaa", "aab", "aba", "abb", "baa", "bab", "bba", "bbb")
    assert families.make_machine("counter", "ab", modulus=3).states == ("count 0", "count 1",
                                                                       "count 2")
    assert families.make_machine("parity", "ab").states == ("even", "odd")
    assert families.make_machine("gated_cell", "ab").states == ("empty", "armed", "holding a",
                                                               "holding b")
    assert families.make_machine("random", "ab", n_states=3).states == ("q0", "q1", "q2")


def test_a_delay_line_state_name_is_the_symbols_it_holds_oldest_first():
    """Reading any word of k symbols leaves a delay line in the state named by that word;
    whitespace symbols show as visible marks, longer symbols are joined with a dot."""
    machine = families.make_machine("delay_line", ("x", " ", "\n"), k=2)
    for word in (("x", " "), ("\n", "x"), (" ", " ")):
        shown = "".join(families.VISIBLE_SYMBOLS.get(s, s) for s in word)
        assert machine.states[int(machine.run(list(word))[-1])] == shown
    words = families.make_machine("delay_line", ("a1", "d"), k=2)
    assert words.states == ("a1·a1", "a1·d", "d·a1", "d·d")


def test_name_states_keeps_the_machine_when_its_family_has_no_names_for_it():
    bank = families.make_bank({"delay_line": 1.0, "random": 1.0}, 2, "ab", k=2, n_states=5)
    assert families.name_states(bank.machine(1), "random") == bank.machine(1)
    assert families.name_states(bank.machine(1), "delay_line") == bank.machine(1)   # 5 != 2**k
    named = families.name_states(bank.machine(0), "delay_line")
    assert named.states == ("aa", "ab", "ba", "bb")
    assert named.transitions.tolist() == bank.machine(0).transitions.tolist()
