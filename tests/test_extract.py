"""Extracting machines: from a hand-built 'LSTM' whose state is a known machine's, by k-means
quantisation and by L*; minimisation; an FSM network's product automaton; the CLI."""
import dataclasses
import itertools
import json

import numpy as np
import pytest

from fsm_engine import Machine, MachineBank, extract, io, models, tasks
from fsm_engine.cli import main
from fsm_engine.errors import FSMError
from fsm_engine.readout_learner import ReadoutLearner
from fsm_engine.training import Trainer


class MachineAsModel:
    """A hand-built 'LSTM': after each symbol its state is the one-hot code of a known
    machine's state plus a little Gaussian noise, and it predicts that state's output."""

    def __init__(self, machine: Machine, noise: float = 0.05, seed: int = 0):
        self.machine, self.noise = machine, noise
        self.rng = np.random.default_rng(seed)
        self.n_symbols = machine.n_symbols

    def run(self, words):
        words = np.asarray(words)
        state = np.full(words.shape[0], self.machine.start)
        states = np.zeros(words.shape + (self.machine.n_states,))
        classes = np.zeros(words.shape, np.int64)
        for t in range(words.shape[1]):
            symbol = words[:, t]
            state = np.where(symbol >= 0,
                             self.machine.transitions[state, np.maximum(symbol, 0)], state)
            states[:, t] = np.eye(self.machine.n_states)[state]
            classes[:, t] = self.machine.outputs[state]
        return states + self.noise * self.rng.standard_normal(states.shape), classes

    def initial(self):
        return (np.zeros(self.machine.n_states),
                int(self.machine.outputs[self.machine.start]))


def _tomita(grammar, n_strings=300, **params):
    return tasks.make("tomita", grammar=grammar, n_strings=n_strings, max_length=12, seed=1,
                      **params)


def _with_duplicate_states(machine: Machine) -> Machine:
    """An equivalent, non-minimal machine: every state has a twin, and the transitions
    alternate between the originals and the twins."""
    n = machine.n_states
    table = [[int(t) + (n if (s + x) % 2 else 0) for x, t in enumerate(machine.transitions[s])]
             for s in range(n)]
    table += [[int(t) + (0 if (s + x) % 2 else n) for x, t in enumerate(machine.transitions[s])]
              for s in range(n)]
    return Machine(machine.alphabet, table, list(machine.outputs) * 2, start=machine.start)


def _all_words(length: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=length)))


# ---------------------------------------------------------------------- quantisation
@pytest.mark.parametrize("grammar", [3, 4, 5, 7])
def test_quantise_recovers_the_hidden_machine_exactly(grammar):
    task = _tomita(grammar)
    hidden = task.extras["minimal_machine"]
    result = extract.quantise(MachineAsModel(hidden), task, seed=0)
    assert result.machine == extract.canonical(hidden)
    assert result.states == result.minimal_states == hidden.n_states
    assert result.fidelity == result.accuracy == result.model_accuracy == 1.0
    assert result.method == "quantise" and result.model == "lstm" and not result.cut


def test_quantise_merges_states_the_hidden_machine_has_twice():
    task = _tomita(4)
    hidden = _with_duplicate_states(task.extras["minimal_machine"])
    result = extract.quantise(MachineAsModel(hidden), task, k=hidden.n_states, seed=0)
    assert result.raw_states == hidden.n_states + 1        # the clusters and the start
    assert result.machine == extract.canonical(task.extras["minimal_machine"])


def test_quantise_chooses_the_fewest_clusters_with_perfect_validation_fidelity():
    task = _tomita(6)
    result = extract.quantise(MachineAsModel(task.extras["minimal_machine"]), task, seed=0)
    assert result.details["k"] == 3
    assert result.details["validation"][3] == 1.0
    assert all(score < 1.0 for k, score in result.details["validation"].items() if k < 3)


def test_quantise_with_too_few_clusters_is_a_smaller_less_faithful_machine():
    task = _tomita(3)
    result = extract.quantise(MachineAsModel(task.extras["minimal_machine"]), task, k=2, seed=0)
    assert result.states <= 3
    assert result.fidelity < 1.0


def test_transitions_never_seen_are_completed_by_the_model():
    # strings of one symbol only: from the start, the other symbol is never read
    hidden = tasks.tomita_machine(6)
    task = tasks.make("tomita", grammar=6, n_strings=20, max_length=3, seed=0)
    task = dataclasses.replace(task, inputs=np.zeros(task.T, np.int64))
    result = extract.quantise(MachineAsModel(hidden), task, k=3, seed=0)
    assert result.details["completed"] > 0
    assert result.machine == extract.canonical(hidden)


def test_quantise_refuses_a_regression_task_and_k_below_1():
    regression = tasks.make("series", T=200)
    model = MachineAsModel(tasks.tomita_machine(1))
    with pytest.raises(FSMError, match="classification"):
        extract.quantise(model, regression)
    with pytest.raises(FSMError, match="at least 1"):
        extract.quantise(model, _tomita(1), k=0)


# ---------------------------------------------------------------------- k-means
def test_kmeans_finds_well_separated_blobs_the_same_way_for_the_same_seed():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 5.0]])
    points = np.repeat(centres, 50, axis=0) + 0.1 * rng.standard_normal((150, 2))
    centroids, labels = extract.kmeans(points, 3, seed=4)
    assert len(np.unique(labels)) == 3
    for blob in range(3):
        assert len(np.unique(labels[blob * 50:(blob + 1) * 50])) == 1
    assert np.abs(np.sort(centroids, axis=0) - np.sort(centres, axis=0)).max() < 0.1
    again, _ = extract.kmeans(points, 3, seed=4)
    assert np.array_equal(centroids, again)


def test_kmeans_refuses_more_clusters_than_distinct_points():
    with pytest.raises(FSMError, match="distinct points"):
        extract.kmeans(np.ones((10, 2)), 2)


# ---------------------------------------------------------------------- minimisation
@pytest.mark.parametrize("seed", range(8))
def test_minimise_keeps_every_output_after_every_symbol(seed):
    rng = np.random.default_rng(seed)
    n_states = int(rng.integers(2, 9))
    machine = Machine(("0", "1"), rng.integers(0, n_states, (n_states, 2)).tolist(),
                      rng.integers(0, 2, n_states).astype(float).tolist(),
                      start=int(rng.integers(n_states)))
    minimal = extract.minimise(machine)
    assert minimal.n_states <= machine.minimize().n_states
    for length in range(1, 8):
        words = _all_words(length)
        assert np.array_equal(extract.machine_classes(minimal, words),
                              extract.machine_classes(machine, words))


def test_the_start_output_is_free_unless_a_word_comes_back_to_the_start():
    # 1*: the start state outputs 'reject' before any input, which no step reads
    ones = Machine(("0", "1"), [[2, 1], [2, 1], [2, 2]], [0.0, 1.0, 0.0])
    assert extract.minimise(ones).n_states == 2
    # (10)*: the start is re-entered after '10', where its output is read
    tens = tasks.tomita_machine(2)
    assert extract.minimise(tens) == extract.canonical(tens)


def test_canonical_forms_are_equal_exactly_up_to_renaming():
    machine = tasks.tomita_machine(3)
    order = [3, 0, 4, 1, 2]                      # new index of each old state
    renamed = Machine(machine.alphabet,
                      [[order[int(t)] for t in machine.transitions[old]]
                       for old in np.argsort(order)],
                      machine.outputs[np.argsort(order)].tolist(), start=order[machine.start],
                      states=[f"s{i}" for i in range(5)])
    assert extract.canonical(renamed) == extract.canonical(machine)
    assert extract.canonical(tasks.tomita_machine(7)) != extract.canonical(machine)


# ---------------------------------------------------------------------- L*
@pytest.mark.parametrize("grammar", [1, 2, 3, 6])
def test_lstar_learns_the_hidden_machine_exactly(grammar):
    task = _tomita(grammar)
    hidden = task.extras["minimal_machine"]
    result = extract.lstar(MachineAsModel(hidden, noise=0.0), task, seconds=60, seed=0)
    assert result.machine == extract.canonical(hidden)
    assert result.fidelity == 1.0 and result.accuracy == 1.0 and not result.cut
    assert result.details["membership_queries"] > 0 and result.details["rounds"] >= 1


def test_lstar_cut_by_the_state_cap_says_so():
    task = _tomita(3)
    result = extract.lstar(MachineAsModel(task.extras["minimal_machine"]), task,
                           max_states=2, seconds=60)
    assert result.cut
    assert any("over the cap of 2" in note for note in result.notes)


def test_lstar_without_time_for_one_hypothesis_says_what_to_do():
    with pytest.raises(FSMError, match="no hypothesis within 0 s; give it more seconds"):
        extract.lstar(MachineAsModel(tasks.tomita_machine(3)), _tomita(3), seconds=0)


# ---------------------------------------------------------------------- FSM networks
def _parity_network(task, features="state"):
    zeros = Machine(("0", "1"), [[1, 0], [0, 1]], [0.0, 1.0])     # parity of the 0s
    ones = Machine(("0", "1"), [[0, 1], [1, 0]], [0.0, 1.0])      # parity of the 1s
    learner = ReadoutLearner(task, MachineBank.from_machines([zeros, ones]), features=features,
                             solver="ridge")
    Trainer(learner).run(max_updates=1)
    return learner


def test_two_parity_machines_compute_tomita_5_minimal_automaton():
    task = _tomita(5)
    result = extract.network_automaton(_parity_network(task))
    assert result.machine == extract.canonical(task.extras["minimal_machine"])
    assert result.raw_states == 4 and not result.cut
    assert result.fidelity == 1.0 and result.accuracy == result.model_accuracy == 1.0
    assert result.model == "fsm" and result.details["exact_length"] is None


def test_product_exploration_cut_at_the_cap_is_exact_on_short_words():
    task = _tomita(5)
    result = extract.network_automaton(_parity_network(task), max_states=3)
    assert result.cut and result.raw_states == 3
    assert result.details["exact_length"] == 1
    assert any("cut at 3 product states" in note for note in result.notes)


def test_without_recurrence_the_network_reaches_one_state_per_symbol():
    task = _tomita(5)
    bank = MachineBank.from_machines([tasks.tomita_machine(5)])
    learner = ReadoutLearner(task, bank, features="state", solver="ridge", recurrence=False)
    Trainer(learner).run(max_updates=1)
    result = extract.network_automaton(learner)
    assert result.raw_states == 3        # the start and the state after each symbol


def test_the_product_automaton_needs_a_bank_and_an_lstm_method_needs_an_lstm():
    task = _tomita(5)
    esn = models.build("esn", task, seed=0, n_units=10)
    with pytest.raises(FSMError, match="needs a bank of machines"):
        extract.network_automaton(esn)
    with pytest.raises(FSMError, match="use method 'product'"):
        extract.extract(_parity_network(task), "lstar")
    with pytest.raises(FSMError, match="unknown extraction method"):
        extract.extract(esn, "guess")


# ---------------------------------------------------------------------- a real LSTM
def test_the_lstm_view_gives_one_state_and_prediction_per_symbol():
    task = _tomita(3, n_strings=40)
    learner = models.build("lstm", task, seed=0, n_hidden=6, n_layers=2)
    view = extract.LSTMStates(learner.net, state="hc")
    words = np.array([[0, 1, 1], [1, -1, -1]])
    states, classes = view.run(words)
    assert states.shape == (2, 3, 2 * 2 * 6) and classes.shape == (2, 3)
    alone, alone_classes = view.run(words[1:, :1])         # padding changes nothing before it
    assert np.allclose(alone[0, 0], states[1, 0]) and alone_classes[0, 0] == classes[1, 0]
    assert view.initial()[0].shape == (24,)
    with pytest.raises(FSMError, match="state must be one of"):
        extract.LSTMStates(learner.net, state="c")


# ---------------------------------------------------------------------- command line
def test_cli_extract_json_end_to_end(capsys, tmp_path):
    out = tmp_path / "machine.jff"
    code = main(["extract", "--task", "tomita", "-p", "grammar=1", "-p", "n_strings=100",
                 "-P", "n_hidden=4", "--seconds", "1", "--json", "--out", str(out)])
    assert code == 0
    row = json.loads(capsys.readouterr().out)
    for key in ("method", "states", "minimal_states", "fidelity", "accuracy", "lstm_accuracy",
                "seconds"):
        assert key in row
    assert row["method"] == "quantise" and row["minimal_states"] == 2
    assert 0.0 <= row["fidelity"] <= 1.0
    assert io.read_machine_file(out).machine.n_states == row["states"]


def test_cli_extract_from_an_fsm_network_and_a_method_that_does_not_fit(capsys):
    code = main(["extract", "--task", "tomita", "-p", "grammar=5", "-p", "n_strings=100",
                 "--from", "fsm", "-P", "n_machines=3", "-P", "n_states=2", "--seconds", "5",
                 "--json"])
    assert code == 0
    row = json.loads(capsys.readouterr().out)
    assert row["method"] == "product" and row["model"] == "fsm" and "lstm_accuracy" not in row
    assert main(["extract", "--task", "tomita", "--from", "fsm", "--method", "lstar"]) == 2
    assert "does not fit" in capsys.readouterr().err


def test_bench_extract_writes_the_table_and_every_run(tmp_path):
    from fsm_engine.benchmarks import extract as bench

    out = tmp_path / "extract"
    assert bench.main(["--quick", "--grammars", "1", "--train-seconds", "2",
                       "--lstar-seconds", "2", "--out", str(out), "--json"]) == 0
    result = json.loads(out.with_suffix(".json").read_text())
    assert [(r["grammar"], r["method"]) for r in result["rows"]] == [(1, "quantise"),
                                                                     (1, "lstar")]
    assert len(result["runs"]) == 2 and result["meta"]["seeds"] == 1
    table = out.with_suffix(".md").read_text()
    assert "| 1 | 2 | quantise |" in table and "seed 0;" in table
