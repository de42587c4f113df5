"""The Tomita task: languages checked against independent definitions, balance, held-out strings."""
import itertools
import re

import numpy as np
import pytest

from fsm_engine import tasks
from fsm_engine.errors import TaskError


def _runs(word: str) -> list[tuple[str, int]]:
    return [(symbol, len(list(run))) for symbol, run in itertools.groupby(word)]


def _no_odd_ones_then_odd_zeros(word: str) -> bool:
    runs = _runs(word)
    return not any(a[0] == "1" and a[1] % 2 and b[0] == "0" and b[1] % 2
                   for a, b in itertools.pairwise(runs))


# independent definitions: regular expressions and counting, not automata
LANGUAGES = {
    1: lambda w: re.fullmatch("1*", w) is not None,
    2: lambda w: re.fullmatch("(10)*", w) is not None,
    3: _no_odd_ones_then_odd_zeros,
    4: lambda w: "000" not in w,
    5: lambda w: w.count("0") % 2 == 0 and w.count("1") % 2 == 0,
    6: lambda w: (w.count("0") - w.count("1")) % 3 == 0,
    7: lambda w: re.fullmatch("0*1*0*1*", w) is not None,
}
ALL_WORDS = ["".join(bits) for n in range(11) for bits in itertools.product("01", repeat=n)]


def _accepts(machine, word: str) -> bool:
    state = machine.run(word)[-1] if word else machine.start
    return bool(machine.outputs[state] == 1.0)


@pytest.mark.parametrize("grammar", range(1, 8))
def test_minimal_automaton_accepts_exactly_the_language_up_to_length_10(grammar):
    machine = tasks.tomita_machine(grammar)
    definition = LANGUAGES[grammar]
    wrong = [w for w in ALL_WORDS if _accepts(machine, w) != definition(w)]
    assert wrong == []


@pytest.mark.parametrize("grammar, size", [(1, 2), (2, 3), (3, 5), (4, 4), (5, 4), (6, 3), (7, 5)])
def test_minimal_automaton_has_the_published_size_and_cannot_shrink(grammar, size):
    machine = tasks.tomita_machine(grammar)
    assert machine.n_states == size
    assert machine.minimize().n_states == size


def test_grammar_3_is_the_directly_followed_reading():
    accepts = LANGUAGES[3]
    assert not accepts("10") and accepts("100") and accepts("110")
    assert accepts("10011") and not accepts("1000101")
    machine = tasks.tomita_machine(3)
    # "1 0 11 0": an odd run of 1s followed *later* (not directly) by an odd run of 0s
    assert _accepts(machine, "100110") and accepts("100110")


@pytest.mark.parametrize("grammar", range(1, 8))
def test_targets_say_whether_each_prefix_is_in_the_language(grammar):
    task = tasks.make("tomita", grammar=grammar, n_strings=300, max_length=12, seed=grammar)
    definition = LANGUAGES[grammar]
    starts = np.flatnonzero(task.resets)
    for start, end in zip(starts, np.append(starts[1:], task.T), strict=True):
        word = "".join(task.alphabet[x] for x in task.inputs[start:end])
        expected = [definition(word[:t + 1]) for t in range(len(word))]
        assert task.targets[start:end].tolist() == expected, word


@pytest.mark.parametrize("grammar", range(1, 8))
def test_final_labels_are_balanced_and_every_step_is_scored(grammar):
    task = tasks.make("tomita", grammar=grammar, n_strings=4000, seed=0)
    last_steps = np.append(np.flatnonzero(task.resets)[1:] - 1, task.T - 1)
    accepted = task.targets[last_steps].mean()
    assert abs(accepted - 0.5) < 0.03
    assert task.mask.all()
    assert task.classes == ("reject", "accept") and task.alphabet == ("0", "1")
    assert task.extras["minimal_states"] == tasks.tomita_machine(grammar).n_states


def test_lengths_are_mixed_up_to_max_length():
    task = tasks.make("tomita", grammar=5, n_strings=2000, max_length=9, seed=3)
    lengths = np.bincount(task.extras["string_id"])
    assert lengths.min() >= 1 and lengths.max() == 9
    assert len(np.unique(lengths)) >= 8


def test_the_last_strings_are_held_out():
    task = tasks.make("tomita", grammar=3, n_strings=100, test_fraction=0.25, seed=0)
    held_out_strings = np.unique(task.extras["string_id"][task.holdout])
    assert held_out_strings.tolist() == list(range(75, 100))
    assert task.resets[task.holdout].sum() == 25


def test_same_seed_same_strings_other_seed_other_strings():
    a = tasks.make("tomita", grammar=4, n_strings=50, seed=7)
    b = tasks.make("tomita", grammar=4, n_strings=50, seed=7)
    c = tasks.make("tomita", grammar=4, n_strings=50, seed=8)
    assert np.array_equal(a.inputs, b.inputs)
    assert not np.array_equal(a.inputs[:40], c.inputs[:40])


def test_a_max_length_too_short_for_one_label_names_the_length_needed():
    with pytest.raises(TaskError, match="no rejected string; use max_length >= 4"):
        tasks.make("tomita", grammar=7, max_length=3)


def test_a_grammar_outside_1_to_7_is_refused():
    with pytest.raises(TaskError, match="grammar"):
        tasks.make("tomita", grammar=8)
    with pytest.raises(TaskError, match="choose 1 to 7"):
        tasks.tomita_machine(0)
