"""Tests of MachineBank and the stepping kernels: every run equals the machines run one by one."""
from __future__ import annotations

import json
import re
import tracemalloc

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference as ref
from fsm_engine import Machine, MachineBank, kernels
from fsm_engine.bank import CHUNK_STEPS, state_dtype
from fsm_engine.benchmarks import engine as benchmark
from fsm_engine.errors import (
    CapacityError,
    FSMError,
    InvalidMachineError,
    InvalidStateError,
    InvalidSymbolError,
    NoSuchMachineError,
)

FAST = settings(max_examples=40, deadline=None)


def random_machines(rng: np.random.Generator, n_machines: int, n_symbols: int,
                    max_states: int) -> list[Machine]:
    """Machines of random sizes 1..max_states over symbols '0'..'X-1', outputs float32-exact."""
    alphabet = [str(x) for x in range(n_symbols)]
    result = []
    for _ in range(n_machines):
        size = int(rng.integers(1, max_states + 1))
        table = rng.integers(0, size, size=(size, n_symbols))                     # [S, X]
        outputs = rng.integers(-8, 9, size=size) / 4                              # exact in float32
        result.append(Machine(alphabet, table, outputs, start=int(rng.integers(0, size))))
    return result


@st.composite
def bank_cases(draw, max_machines=1200, max_steps=300):
    """(machines, inputs [T], resets [T] or None) with machines of different sizes."""
    n_symbols = draw(st.integers(1, 6))
    n_machines = draw(st.integers(1, 20) | st.integers(min(500, max_machines), max_machines))
    max_states = draw(st.integers(1, 20))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    machines = random_machines(rng, n_machines, n_symbols, max_states)
    reset_rate = draw(st.sampled_from([None, 0.0, 0.02, 0.3, 1.0]))
    # many short episodes make the per-episode Machine.run reference slow: keep those runs short
    n_steps = draw(st.integers(0, max_steps if not reset_rate or reset_rate < 0.1 else 40))
    inputs = rng.integers(0, n_symbols, size=n_steps)                              # [T]
    resets = None if reset_rate is None else rng.random(n_steps) < reset_rate      # [T]
    return machines, inputs, resets


def episodes_reference(machines, inputs, resets, state=None) -> np.ndarray:
    """Each machine's own Machine.run, restarted at its start state at every reset: [T, N]."""
    n_steps = len(inputs)
    if n_steps == 0:
        return np.zeros((0, len(machines)), dtype=np.int64)
    cuts = [0] + [t for t in range(1, n_steps) if resets is not None and resets[t]] + [n_steps]
    first_resets = resets is not None and resets[0]
    columns = []
    for n, m in enumerate(machines):
        first = None if state is None or first_resets else int(state[n])
        pieces = [m.run(inputs[lo:hi], state=first if i == 0 else None)
                  for i, (lo, hi) in enumerate(zip(cuts[:-1], cuts[1:], strict=True))]
        columns.append(np.concatenate(pieces))
    return np.stack(columns, axis=1)


# ------------------------------------------------------------------ the bank equals its machines
@settings(max_examples=30, deadline=None)
@given(bank_cases(), st.booleans())
def test_bank_run_equals_each_machine_restarted_at_every_reset(case, explicit_state):
    machines, inputs, resets = case
    bank = MachineBank.from_machines(machines)
    state = None
    if explicit_state:
        state = np.array([(7 * n) % m.n_states for n, m in enumerate(machines)])
    expected = episodes_reference(machines, inputs, resets, state)                # [T, N]
    trace = bank.run(inputs, resets, state=state)
    assert trace.shape == (len(inputs), len(machines))
    assert trace.dtype == np.uint8
    np.testing.assert_array_equal(trace, expected)

    final = bank.final_states(inputs, resets, state=state)
    last = expected[-1] if len(inputs) else (bank.start if state is None else state)
    np.testing.assert_array_equal(final, last)

    outputs = bank.output_features(inputs, resets)                                  # [T, N]
    plain = expected if state is None else episodes_reference(machines, inputs, resets)
    per_machine = np.array([m.outputs[plain[:, n]] for n, m in enumerate(machines)])
    per_machine = per_machine.T.reshape(plain.shape)
    assert outputs.dtype == np.float32
    np.testing.assert_array_equal(outputs, per_machine.astype(np.float32))


@FAST
@given(bank_cases(max_machines=600, max_steps=200), st.integers(1, 70))
def test_iter_states_chunks_concatenate_to_the_full_run(case, chunk_steps):
    machines, inputs, resets = case
    bank = MachineBank.from_machines(machines)
    chunks = list(bank.iter_states(inputs, resets, chunk_steps=chunk_steps))
    assert [t0 for t0, _ in chunks] == list(range(0, len(inputs), chunk_steps))
    assert all(c.shape[0] <= chunk_steps for _, c in chunks)
    whole = np.concatenate([c for _, c in chunks]) if chunks else np.zeros((0, len(machines)))
    np.testing.assert_array_equal(whole, bank.run(inputs, resets))


def test_final_states_carry_across_chunks_of_a_long_stream():
    rng = np.random.default_rng(1)
    machines = random_machines(rng, 40, 3, 9)
    bank = MachineBank.from_machines(machines)
    n_steps = 2 * CHUNK_STEPS + 17
    inputs = rng.integers(0, 3, size=n_steps)
    resets = rng.random(n_steps) < 0.001
    trace = bank.run(inputs, resets)
    np.testing.assert_array_equal(bank.final_states(inputs, resets), trace[-1])
    chunks = [c for _, c in bank.iter_states(inputs, resets)]
    np.testing.assert_array_equal(np.concatenate(chunks), trace)


def test_a_run_can_continue_from_the_final_state_of_the_previous_one():
    rng = np.random.default_rng(2)
    bank = MachineBank.from_machines(random_machines(rng, 700, 4, 12))
    inputs = rng.integers(0, 4, size=120)
    whole = bank.run(inputs)
    middle = bank.final_states(inputs[:50])
    np.testing.assert_array_equal(bank.run(inputs[50:], state=middle), whole[50:])
    given_state = middle.copy()
    bank.run(inputs, state=given_state)
    np.testing.assert_array_equal(given_state, middle)       # the caller's state is not modified


def test_state_dtype_is_the_smallest_unsigned_type():
    assert state_dtype(1) == np.uint8 and state_dtype(256) == np.uint8
    assert state_dtype(257) == np.uint16 and state_dtype(65536) == np.uint16
    assert state_dtype(65537) == np.uint32


def test_banks_with_more_than_256_states_run_in_uint16():
    rng = np.random.default_rng(3)
    big = Machine([str(x) for x in range(3)], rng.integers(0, 300, size=(300, 3)), np.zeros(300),
                  start=299)
    machines = [big] + random_machines(rng, 600, 3, 5)
    bank = MachineBank.from_machines(machines)
    assert bank.state_dtype == np.uint16 and bank.transitions.dtype == np.uint16
    inputs = rng.integers(0, 3, size=90)
    resets = rng.random(90) < 0.05
    trace = bank.run(inputs, resets)
    assert trace.dtype == np.uint16
    np.testing.assert_array_equal(trace, episodes_reference(machines, inputs, resets))
    np.testing.assert_array_equal(bank.final_states(inputs, resets), trace[-1])
    assert MachineBank.from_machines(machines[1:]).state_dtype == np.uint8


def test_bank_arrays_have_the_documented_layout_and_are_read_only():
    m0 = Machine("ab", [[1, 0], [0, 1]], [0.5, -1], start=1)
    m1 = Machine("ab", [[0, 2], [1, 1], [2, 0]], [1, 2, 3])
    bank = MachineBank.from_machines([m0, m1])
    assert bank.transitions.shape == (2, 2, 3)                        # [X, N, S]
    assert bank.transitions[:, 0, :2].tolist() == [[1, 0], [0, 1]]  # x-major: [x][s]
    assert bank.transitions[:, 1, :].tolist() == [[0, 1, 2], [2, 1, 0]]
    assert bank.outputs.dtype == np.float32 and bank.outputs.tolist() == [[0.5, -1, 0], [1, 2, 3]]
    assert bank.start.tolist() == [1, 0] and bank.n_states.tolist() == [2, 3]
    assert (bank.n_machines, bank.n_symbols, bank.max_states, bank.n_state_features) == (2, 2, 3, 5)
    for array in (bank.transitions, bank.outputs, bank.start, bank.n_states):
        with pytest.raises(ValueError):
            array[...] = 0
    assert repr(bank) == "MachineBank(2 machines, 2 symbols, up to 3 states)"


# ------------------------------------------------------------------ kernels against the reference
def run_kernels(transitions, outputs, start, inputs, resets, state, block):
    """(trace, final state of step_trace, final state of step_final, features, final of
    step_outputs)."""
    n_steps, n_machines = len(inputs), len(start)
    trace_state, trace = state.copy(), np.empty((n_steps, n_machines), dtype=transitions.dtype)
    kernels.step_trace(transitions, start, inputs, resets, trace_state, trace, block)
    final_state = state.copy()
    kernels.step_final(transitions, start, inputs, resets, final_state, block)
    output_state, features = state.copy(), np.empty((n_steps, n_machines), dtype=np.float32)
    kernels.step_outputs(transitions, outputs, start, inputs, resets, output_state, features, block)
    return trace, trace_state, final_state, features, output_state


@pytest.mark.parametrize("n_machines, block", [(1, 1), (511, 512), (513, 512), (1100, 7),
                                               (1100, 1100), (300, 1000), (1030, None)])
def test_stepping_kernels_equal_the_reference(n_machines, block):
    rng = np.random.default_rng(n_machines)
    n_symbols, n_states, n_steps = 3, 6, 41
    transitions = rng.integers(0, n_states, size=(n_symbols, n_machines, n_states)).astype(np.uint8)
    outputs = rng.standard_normal((n_machines, n_states)).astype(np.float32)
    start = rng.integers(0, n_states, size=n_machines).astype(np.uint8)
    state = rng.integers(0, n_states, size=n_machines).astype(np.uint8)
    inputs = rng.integers(0, n_symbols, size=n_steps)
    resets = rng.random(n_steps) < 0.1
    block = kernels.block_size(transitions) if block is None else block
    expected_trace, expected_final = ref.step_trace(transitions, start, inputs, resets, state)
    expected_outputs, _ = ref.step_outputs(transitions, outputs, start, inputs, resets, state)

    trace, trace_state, final_state, features, output_state = run_kernels(
        transitions, outputs, start, inputs, resets, state, block)
    assert trace.tolist() == expected_trace
    expected_features = np.array(expected_outputs, dtype=np.float32).reshape(features.shape)
    np.testing.assert_array_equal(features, expected_features)
    for final in (trace_state, final_state, output_state):
        assert final.tolist() == expected_final


@pytest.mark.parametrize("reset_steps", [[], [0], [1], [2], [3], [4], [1, 2], [0, 1, 2, 3, 4, 5],
                                         [3, 7, 8, 9, 13], [10]])
def test_kernels_apply_resets_wherever_they_fall_in_a_four_step_pass(reset_steps):
    rng = np.random.default_rng(len(reset_steps))
    n_machines, n_states, n_steps = 40, 5, 11
    transitions = rng.integers(0, n_states, size=(2, n_machines, n_states)).astype(np.uint16)
    outputs = rng.standard_normal((n_machines, n_states)).astype(np.float32)
    start = rng.integers(0, n_states, size=n_machines).astype(np.uint16)
    state = rng.integers(0, n_states, size=n_machines).astype(np.uint16)
    inputs = rng.integers(0, 2, size=n_steps)
    resets = np.zeros(n_steps, dtype=bool)
    resets[[t for t in reset_steps if t < n_steps]] = True
    expected_trace, expected_final = ref.step_trace(transitions, start, inputs, resets, state)
    trace, trace_state, final_state, _, output_state = run_kernels(
        transitions, outputs, start, inputs, resets, state, 16)
    assert trace.tolist() == expected_trace
    assert trace_state.tolist() == final_state.tolist() == output_state.tolist() == expected_final


@pytest.mark.parametrize("n_machines, n_symbols, n_states", [
    (1, 1, 1), (0, 2, 3), (10_000, 32, 8), (10_000, 32, 200), (3, 2, 2), (9, 32, 255),
    (1500, 4, 300)])
def test_block_size_keeps_a_blocks_table_in_cache_and_gives_every_thread_work(
        n_machines, n_symbols, n_states):
    transitions = np.zeros((n_symbols, n_machines, n_states), dtype=state_dtype(n_states))
    block = kernels.block_size(transitions)
    per_machine = n_symbols * n_states * transitions.itemsize
    assert 1 <= block <= kernels.MAX_BLOCK
    assert block * per_machine <= max(kernels.BLOCK_TABLE_BYTES, kernels.MIN_BLOCK * per_machine)
    n_blocks = -(-n_machines // block)
    assert n_blocks >= min(numba.get_num_threads(), n_machines)


def test_kernels_with_no_steps_leave_the_state_alone():
    transitions = np.zeros((2, 3, 2), dtype=np.uint8)
    state = np.array([1, 0, 1], dtype=np.uint8)
    kernels.step_final(transitions, np.zeros(3, np.uint8), np.zeros(0, np.int64),
                       np.zeros(0, bool), state, 2)
    assert state.tolist() == [1, 0, 1]


# ---------------------------------------------------------------------- construction errors
def test_from_machines_refuses_an_empty_list_and_mixed_alphabets():
    with pytest.raises(InvalidMachineError, match="at least one machine"):
        MachineBank.from_machines([])
    a = Machine("ab", [[0, 0]], [0])
    b = Machine("ac", [[0, 0]], [0])
    with pytest.raises(InvalidMachineError, match=re.escape(
            "machine 1 has alphabet ['a', 'c'], but machine 0 has ['a', 'b']")):
        MachineBank.from_machines([a, b])


def good_arrays():
    return dict(alphabet=("a", "b"), transitions=np.array([[[1, 0], [0, 0]], [[0, 1], [0, 0]]]),
                outputs=np.zeros((2, 2)), start=np.array([0, 0]), n_states=np.array([2, 1]))


@pytest.mark.parametrize("change, message", [
    ({"transitions": np.zeros((2, 2))}, "transitions must be a [symbols, machines, states] array"),
    ({"alphabet": ("a",)}, "alphabet has 1 symbols but transitions has 2 rows"),
    ({"alphabet": (), "transitions": np.zeros((0, 2, 2), int)}, "alphabet is empty"),
    ({"transitions": np.zeros((2, 0, 2), int), "outputs": np.zeros((0, 2)),
      "start": np.zeros(0, int), "n_states": None}, "at least one machine"),
    ({"transitions": np.full((2, 2, 2), 0.5)},
     "transitions must be integer state indices, got dtype float64"),
    ({"transitions": np.array([[[1, 0], [0, 0]], [[0, 1], [0, 257]]])},
     "transitions[1, 1, 1] is 257, outside the states 0..1"),
    ({"transitions": np.array([[[1, 0], [0, 0]], [[-255, 1], [0, 0]]])},
     "transitions[1, 0, 0] is -255, outside the states 0..1"),
    ({"start": np.array([0, 256])}, "start[1] is 256, outside the states 0..1"),
    ({"start": [0, 256]}, "start[1] is 256"),
    ({"start": np.array([0.0, 1.0])}, "start must be integer state indices"),
    ({"start": np.array([0, 1])}, "a start state is not one of its machine's states"),
    ({"transitions": np.array([[[1, 0], [1, 0]], [[0, 1], [0, 0]]])},
     "a transition leads to a state its machine does not have"),
    ({"n_states": np.array([2, 3])}, "n_states must be 2 counts in 1..2"),
    ({"n_states": np.array([2, 0])}, "n_states must be 2 counts in 1..2"),
    ({"outputs": np.zeros((2, 3))}, "outputs must be [2, 2] and start [2]"),
    ({"start": np.array([0, 0, 0])}, "outputs must be [2, 2] and start [2]"),
    ({"outputs": np.array([[0.0, np.nan], [0.0, 0.0]])},
     "outputs[0, 1] is nan; outputs must be finite"),
])
def test_bad_bank_arrays_raise_invalid_machine_naming_the_problem(change, message):
    arrays = good_arrays()
    arrays.update(change)
    with pytest.raises(InvalidMachineError, match=re.escape(message)):
        MachineBank(**arrays)


def test_padded_entries_of_smaller_machines_are_not_checked_against_their_size():
    bank = MachineBank(**good_arrays())
    assert bank.machine(1).transitions.tolist() == [[0, 0]]


# ---------------------------------------------------------------------- input errors
@pytest.fixture(scope="module")
def bank():
    rng = np.random.default_rng(4)
    return MachineBank.from_machines(random_machines(rng, 30, 3, 5))


@pytest.mark.parametrize("inputs, message", [
    ([0, 1, 3, 0], "input at position 2 is 3, but the alphabet has 3 symbols (codes 0..2)"),
    (np.array([0, -1]), "input at position 1 is -1"),
    (np.array([0.0, 1.0]), "inputs must be integer symbol codes, got dtype float64"),
    (np.array([True, False]), "inputs must be integer symbol codes, got dtype bool"),
    (np.zeros((2, 2), int), "inputs must be a 1-D sequence of symbol codes, got shape (2, 2)"),
])
def test_bad_inputs_raise_invalid_symbol_naming_the_position(bank, inputs, message):
    for method in (bank.run, bank.final_states, bank.output_features, bank.state_features):
        with pytest.raises(InvalidSymbolError, match=re.escape(message)):
            method(inputs)
    with pytest.raises(InvalidSymbolError, match=re.escape(message)):
        next(bank.iter_states(inputs))


def test_resets_of_the_wrong_length_are_refused(bank):
    message = "resets must have one flag per input (3), got shape (2,)"
    with pytest.raises(InvalidSymbolError, match=re.escape(message)):
        bank.run([0, 1, 2], resets=[True, False])


@pytest.mark.parametrize("state, message", [
    (np.zeros(29, int), "state must be 30 integer states, got shape (29,)"),
    (np.zeros(30), "state must be 30 integer states, got shape (30,) dtype float64"),
    (np.full(30, 7), "state of machine 0 is 7, but it has"),
    (np.full(30, -1), "state of machine 0 is -1"),
])
def test_a_bad_starting_state_is_refused_before_the_kernel_reads_it(bank, state, message):
    with pytest.raises(InvalidStateError, match=re.escape(message)):
        bank.run([0, 1], state=state)
    with pytest.raises(InvalidStateError, match=re.escape(message)):
        bank.final_states([0, 1], state=state)


def test_empty_inputs_give_an_empty_trace(bank):
    assert bank.run([]).shape == (0, 30)
    assert bank.output_features(np.zeros(0, dtype=np.int64)).shape == (0, 30)
    np.testing.assert_array_equal(bank.final_states([]), bank.start)
    assert list(bank.iter_states([])) == []


def test_features_dispatches_by_kind(bank):
    inputs = [0, 2, 1]
    np.testing.assert_array_equal(bank.features("output", inputs), bank.output_features(inputs))
    np.testing.assert_array_equal(bank.features("state", inputs).states, bank.run(inputs))
    with pytest.raises(ValueError, match="features must be 'output' or 'state', got 'hidden'"):
        bank.features("hidden", inputs)


# ---------------------------------------------------------------------- memory caps
def test_memory_estimate_counts_the_trace_bytes():
    rng = np.random.default_rng(5)
    small = MachineBank.from_machines(random_machines(rng, 10, 2, 4))
    assert small.memory_estimate(1000) == 1000 * 10
    assert small.memory_estimate(1000, "outputs") == 1000 * 10 * 4
    wide = MachineBank.from_machines([Machine("ab", np.zeros((300, 2), int), np.zeros(300))] * 3)
    assert wide.memory_estimate(1000) == 1000 * 3 * 2


def test_runs_over_the_cap_are_refused_naming_size_and_cap():
    rng = np.random.default_rng(6)
    bank = MachineBank.from_machines(random_machines(rng, 100, 2, 4), max_bytes=100_000)
    inputs = np.zeros(2000, dtype=np.int64)
    with pytest.raises(CapacityError, match=re.escape(
            "the state trace would need 200.0 KB, over the cap of 100.0 KB")):
        bank.run(inputs)
    with pytest.raises(CapacityError, match=re.escape("the output features would need 800.0 KB")):
        bank.output_features(inputs)
    with pytest.raises(CapacityError, match="the state trace"):
        bank.state_features(inputs)
    assert bank.run(inputs[:1000]).shape == (1000, 100)
    assert bank.final_states(np.zeros(100_000, dtype=np.int64)).shape == (100,)   # no trace kept


def peak_bytes(call) -> int:
    """The most memory (traced by tracemalloc, which sees NumPy's arrays) ``call()`` held
    at once beyond what was held before it."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        try:
            call()
        except FSMError:
            pass
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("method", ["run", "output_features", "final_states", "iter_states"])
def test_a_long_uint8_input_is_never_copied_whole(method):
    """Inputs are converted for the kernels one chunk at a time: a uint8 stream of T steps
    costs the result (and a chunk), never an int64 copy of 8 T bytes."""
    rng = np.random.default_rng(8)
    bank = MachineBank.from_machines(random_machines(rng, 1, 2, 4))
    inputs = rng.integers(0, 2, size=2_000_000).astype(np.uint8)                     # 2 MB
    resets = np.zeros(inputs.shape[0], dtype=np.int8)
    call = {"run": lambda: bank.run(inputs, resets),
            "output_features": lambda: bank.output_features(inputs),
            "final_states": lambda: bank.final_states(inputs, resets),
            "iter_states": lambda: all(True for _ in bank.iter_states(inputs))}[method]
    result_bytes = {"run": inputs.size, "output_features": 4 * inputs.size}.get(method, 0)
    bank.run(inputs[:100])              # load the compiled kernels before memory is measured
    bank.output_features(inputs[:100])
    assert peak_bytes(call) < result_bytes + 1_000_000
    expected = bank.final_states(inputs.astype(np.int64), resets.astype(bool))
    assert np.array_equal(bank.final_states(inputs, resets), expected)
    if method == "run":
        assert np.array_equal(bank.run(inputs)[-1], expected)


def test_a_run_over_the_cap_is_refused_before_its_input_is_converted():
    rng = np.random.default_rng(9)
    bank = MachineBank.from_machines(random_machines(rng, 50, 2, 4), max_bytes=10_000_000)
    inputs = np.zeros(1_000_000, dtype=np.uint8)                    # a trace of 50 MB
    with pytest.raises(CapacityError, match="the state trace would need 50.0 MB"):
        bank.run(inputs)
    assert peak_bytes(lambda: bank.run(inputs)) < 100_000
    assert peak_bytes(lambda: bank.output_features(inputs)) < 100_000


def test_building_a_bank_over_the_cap_is_refused():
    machines = [Machine("abc", np.zeros((10, 3), int), np.zeros(10))] * 50
    message = "the transition table would need 1.5 KB, over the cap of 1.0 KB"
    with pytest.raises(CapacityError, match=re.escape(message)):
        MachineBank.from_machines(machines, max_bytes=1000)
    with pytest.raises(CapacityError):
        MachineBank(("a",), np.zeros((1, 2000, 1), int), np.zeros((2000, 1)), np.zeros(2000, int),
                    max_bytes=1000)
    assert issubclass(CapacityError, FSMError)


# ---------------------------------------------------------------------- machine(i) and subset
@FAST
@given(bank_cases(max_machines=40, max_steps=0))
def test_machine_i_round_trips_each_machine(case):
    machines, _, _ = case
    bank = MachineBank.from_machines(machines)
    for i, m in enumerate(machines):
        back = bank.machine(i)
        assert back.n_states == m.n_states and back.start == m.start
        assert back.transitions.tolist() == m.transitions.tolist()
        assert back.outputs.tolist() == m.outputs.tolist()
        assert back == Machine(m.alphabet, m.transitions, m.outputs, m.start)   # default names
    assert bank.machine(-1).transitions.tolist() == machines[-1].transitions.tolist()


def test_machine_index_out_of_range_raises_a_typed_index_error(bank):
    with pytest.raises(NoSuchMachineError,
                       match=re.escape("machine 30 does not exist; the bank has 30 machines "
                                       "(0..29)")):
        bank.machine(30)
    for bad in (-31, 10**6, 10**40, np.int64(2**62)):
        with pytest.raises(NoSuchMachineError, match="does not exist"):
            bank.machine(bad)
    for bad in ("3", 1.5, True, None, np.float64(2)):
        with pytest.raises(NoSuchMachineError, match=r"picked by its number 0\.\.29"):
            bank.machine(bad)
    assert issubclass(NoSuchMachineError, FSMError) and issubclass(NoSuchMachineError, IndexError)
    assert bank.machine(np.int64(-1)) == bank.machine(29)


def test_subset_keeps_the_chosen_machines_in_order(bank):
    rng = np.random.default_rng(7)
    inputs = rng.integers(0, 3, size=50)
    resets = rng.random(50) < 0.1
    chosen = [5, 0, 5, 29]
    part = bank.subset(chosen)
    assert part.n_machines == 4 and part.max_states == int(bank.n_states[chosen].max())
    for j, i in enumerate(chosen):
        assert part.machine(j) == bank.machine(i)
    np.testing.assert_array_equal(part.run(inputs, resets), bank.run(inputs, resets)[:, chosen])
    mask = np.zeros(30, dtype=bool)
    mask[[3, 4, 20]] = True
    np.testing.assert_array_equal(bank.subset(mask).run(inputs), bank.run(inputs)[:, [3, 4, 20]])
    with pytest.raises(InvalidMachineError, match="subset selects no machines"):
        bank.subset([])


# ---------------------------------------------------------------------- the engine benchmark
def test_engine_benchmark_reports_every_method_and_prints_json(capsys):
    result = benchmark.run(n_machines=50, n_states=3, n_symbols=4, n_steps=64, repeats=1, seed=1)
    assert set(result["rows"]) == {"traced", "final", "outputs", "naive"}
    assert set(result["warmup_s"]) == {"traced", "final", "outputs"}
    assert set(result["targets"]) == {"traced_per_s", "traced_over_naive", "final_per_s"}
    assert result["threads"]["numba"] == numba.get_num_threads()
    table = benchmark.format_table(result)
    assert "traced" in table and "naive" in table and "load average" in table
    assert benchmark.main(["--machines", "20", "--steps", "16", "--repeats", "1", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["settings"]["n_machines"] == 20 and printed["settings"]["n_steps"] == 16


def test_naive_benchmark_loop_equals_the_bank_trace():
    rng = np.random.default_rng(8)
    bank = MachineBank.from_machines(random_machines(rng, 70, 3, 6))
    inputs = rng.integers(0, 3, size=33)
    naive = benchmark.naive_trace(bank.transitions, bank.start, inputs)
    np.testing.assert_array_equal(naive, bank.run(inputs))
