"""The task library: every task's definition checked against an independent recomputation.

Each test rebuilds what a task should contain from its inputs (or from the shipped
text) with plain Python, and compares; plus the shared conventions (dtypes, shapes,
resets, holdout), determinism, the parameter table, and every bad-parameter path.
"""
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsm_engine import tasks
from fsm_engine.errors import TaskError

REPO = Path(__file__).resolve().parent.parent
TASKS_MD_PARAMS = {  # the first column of shared/TASKS.md: name -> its keyword parameters
    "delayed_recall": ("k", "m"), "memory_capacity": ("K", "m"),
    "temporal_parity": ("n", "tau"), "temporal_density": ("n", "tau"),
    "five_bit_memory": ("T0",), "twenty_bit_memory": ("T0",),
    "embedded_reber": ("n_strings",), "temporal_order": ("q",), "adding": ("T",),
    "text": ("corpus",), "series": ("name", "levels"), "tomita": ("grammar",),
}
SMALL = {  # a cheap, non-default instance of every task
    "delayed_recall": dict(k=3, m=3, T=300), "memory_capacity": dict(K=5, m=3, T=300),
    "temporal_parity": dict(n=2, tau=1, T=300), "temporal_density": dict(n=5, tau=2, T=300),
    "five_bit_memory": dict(T0=3), "twenty_bit_memory": dict(T0=5, n_train=20, n_test=5),
    "embedded_reber": dict(n_strings=40), "temporal_order": dict(q=3, n_sequences=20),
    "adding": dict(T=8, levels=4, n_sequences=20), "text": dict(corpus="fsm", T=500),
    "series": dict(name="narma10", levels=4, T=300),
    "tomita": dict(grammar=4, n_strings=30, max_length=8),
}
FEW_EXAMPLES = settings(max_examples=25, deadline=None)


def episodes(task):
    """(start, stop) of every episode, from the resets alone."""
    starts = np.flatnonzero(task.resets).tolist()
    return list(zip(starts, starts[1:] + [task.T], strict=True))


# --------------------------------------------------------------------------------------------
# Registry and parameter table
# --------------------------------------------------------------------------------------------

def test_names_are_the_tasks_md_names_in_order():
    assert tasks.NAMES == tuple(TASKS_MD_PARAMS)


@pytest.mark.parametrize("name", tasks.NAMES)
def test_describe_lists_the_tasks_md_parameters_and_seed(name):
    params = tasks.describe(name)["params"]
    assert set(TASKS_MD_PARAMS[name]) | {"seed"} <= set(params)


@pytest.mark.parametrize("name", tasks.NAMES)
def test_describe_rows_are_complete_and_defaults_lie_in_range(name):
    table = tasks.describe(name)
    assert table["name"] == name and table["summary"]
    for param, row in table["params"].items():
        assert row["type"] in ("int", "float", "choice", "text"), param
        assert row["help"], param
        if row["type"] in ("int", "float"):
            assert row["min"] <= row["default"] <= row["max"], param
        if row["type"] == "choice":
            assert row["default"] in row["choices"], param


@pytest.mark.parametrize("name", tasks.NAMES)
def test_task_records_every_parameter_with_its_default(name):
    task = tasks.make(name)
    defaults = {p: row["default"] for p, row in tasks.describe(name)["params"].items()}
    assert task.params == defaults
    assert task.name == name


# --------------------------------------------------------------------------------------------
# Shared conventions
# --------------------------------------------------------------------------------------------

def check_conventions(task):
    T = task.T
    assert task.inputs.dtype == np.int64 and task.inputs.shape == (T,)
    for flags in (task.mask, task.resets, task.holdout):
        assert flags.dtype == bool and flags.shape == (T,)
    assert task.resets[0]
    assert 0 <= task.inputs.min() and task.inputs.max() < task.n_symbols
    assert len(set(task.alphabet)) == len(task.alphabet)
    assert task.metric in tasks.METRICS
    assert task.kind in (tasks.CLASSIFICATION, tasks.REGRESSION)
    if task.kind == tasks.CLASSIFICATION:
        assert task.targets.dtype == np.int64 and task.targets.shape == (T,)
        assert 0 <= task.targets.min() and task.targets.max() < len(task.classes)
    else:
        assert task.targets.dtype == np.float64 and task.targets.shape[0] == T
        assert task.classes == ()
        assert np.isfinite(task.targets).all()
    assert task.train_mask.any() and task.eval_mask.any()
    assert math.isfinite(task.chance)
    assert isinstance(task.description, str) and "\n" not in task.description
    assert len(task.description) > 200
    for array in (task.inputs, task.targets, task.mask, task.resets, task.holdout):
        assert not array.flags.writeable


@pytest.mark.parametrize("name", tasks.NAMES)
def test_default_task_follows_the_conventions(name):
    check_conventions(tasks.make(name))


@pytest.mark.parametrize("name", tasks.NAMES)
def test_small_task_follows_the_conventions(name):
    check_conventions(tasks.make(name, **SMALL[name]))


@pytest.mark.parametrize("name", tasks.NAMES)
def test_same_seed_gives_the_same_arrays(name):
    first, second = tasks.make(name, **SMALL[name], seed=7), tasks.make(name, **SMALL[name], seed=7)
    for field in ("inputs", "targets", "mask", "resets", "holdout"):
        np.testing.assert_array_equal(getattr(first, field), getattr(second, field))
    assert first.extras.keys() == second.extras.keys()
    for key, value in first.extras.items():
        np.testing.assert_array_equal(value, second.extras[key])


@pytest.mark.parametrize("name", tasks.NAMES)
def test_different_seeds_give_different_streams(name):
    first, second = tasks.make(name, **SMALL[name], seed=1), tasks.make(name, **SMALL[name], seed=2)
    assert first.T != second.T or not np.array_equal(first.inputs, second.inputs)


def test_iid_holdout_is_the_tail_fraction():
    task = tasks.make("delayed_recall", T=1000, test_fraction=0.25)
    np.testing.assert_array_equal(task.holdout, np.arange(1000) >= 750)
    assert not tasks.make("delayed_recall", T=1000, test_fraction=0.0).holdout.any()


# --------------------------------------------------------------------------------------------
# i.i.d. memory tasks
# --------------------------------------------------------------------------------------------

@FEW_EXAMPLES
@given(k=st.integers(0, 40), m=st.integers(2, 10), seed=st.integers(0, 2**32 - 1))
def test_delayed_recall_targets_are_the_input_k_steps_back(k, m, seed):
    task = tasks.make("delayed_recall", k=k, m=m, T=200, seed=seed)
    inputs = task.inputs.tolist()
    for t in range(task.T):
        assert task.mask[t] == (t >= k)
        if t >= k:
            assert task.targets[t] == inputs[t - k]
    assert task.classes == task.alphabet == tuple(str(i) for i in range(m))
    assert task.chance == pytest.approx(1 / m)
    assert task.resets.sum() == 1


@pytest.mark.parametrize("m", [2, 3, 5])
def test_memory_capacity_targets_encode_each_past_input(m):
    K, T = 6, 300
    task = tasks.make("memory_capacity", K=K, m=m, T=T, seed=3)
    per_delay = 1 if m == 2 else m - 1
    assert task.targets.shape == (T, K * per_delay)
    delays, symbols = task.extras["delays"], task.extras["column_symbol"]
    assert delays.tolist() == [k for k in range(1, K + 1) for _ in range(per_delay)]
    for column in range(K * per_delay):
        k, symbol = int(delays[column]), int(symbols[column])
        for t in range(K, T):
            past = int(task.inputs[t - k])
            expected = (1.0 if past == 1 else -1.0) if m == 2 else (past == symbol) - 1 / m
            assert task.targets[t, column] == pytest.approx(expected)
    if m > 2:
        assert [int(symbols[c]) for c in range(per_delay)] == list(range(m - 1))
    np.testing.assert_array_equal(task.mask, np.arange(T) >= K)
    assert task.n_outputs == K * per_delay


def window_bits(task, n, tau, t):
    return [int(b) for b in task.inputs[t - tau - n + 1:t - tau + 1]]


@FEW_EXAMPLES
@given(n=st.integers(1, 8), tau=st.integers(0, 12), seed=st.integers(0, 2**32 - 1))
def test_temporal_parity_targets_are_the_xor_of_the_window(n, tau, seed):
    task = tasks.make("temporal_parity", n=n, tau=tau, T=150, seed=seed)
    for t in range(task.T):
        assert task.mask[t] == (t - tau - n + 1 >= 0)
        if task.mask[t]:
            bits = window_bits(task, n, tau, t)
            assert len(bits) == n
            parity = 0
            for bit in bits:
                parity ^= bit
            assert task.targets[t] == parity


@FEW_EXAMPLES
@given(half=st.integers(0, 4), tau=st.integers(0, 12), seed=st.integers(0, 2**32 - 1))
def test_temporal_density_targets_are_the_majority_of_the_window(half, tau, seed):
    n = 2 * half + 1
    task = tasks.make("temporal_density", n=n, tau=tau, T=150, seed=seed)
    for t in range(task.T):
        assert task.mask[t] == (t - tau - n + 1 >= 0)
        if task.mask[t]:
            bits = window_bits(task, n, tau, t)
            assert task.targets[t] == (bits.count(1) > bits.count(0))


# --------------------------------------------------------------------------------------------
# Bit-memory tasks
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("T0", [1, 2, 7, 200])
def test_five_bit_memory_has_32_episodes_with_the_exact_layout(T0):
    task = tasks.make("five_bit_memory", T0=T0, seed=5)
    a1, a2, d, c = (task.alphabet.index(s) for s in ("a1", "a2", "d", "c"))
    assert task.alphabet == ("a1", "a2", "d", "c")
    assert task.classes == ("wait", "a1", "a2")
    spans = episodes(task)
    assert len(spans) == 32 and task.T == 32 * (T0 + 10)
    messages = set()
    for start, stop in spans:
        assert stop - start == T0 + 10
        x, y = task.inputs[start:stop].tolist(), task.targets[start:stop].tolist()
        message = x[:5]                                    # steps 1-5
        assert set(message) <= {a1, a2}
        assert x[5:T0 + 4] == [d] * (T0 - 1)              # steps 6 .. T0+4
        assert x[T0 + 4] == c                              # step T0+5
        assert x[T0 + 5:] == [d] * 5                       # the last 5 steps
        assert y[:T0 + 5] == [0] * (T0 + 5)                # wait up to and including the cue
        names = [task.alphabet[s] for s in message]
        assert [task.classes[k] for k in y[T0 + 5:]] == names
        messages.add(tuple(message))
    assert len(messages) == 32
    assert task.mask.all() and not task.holdout.any()
    assert task.metric == "five_bit_success"


def test_five_bit_memory_seed_only_reorders_the_episodes():
    one, two = tasks.make("five_bit_memory", T0=4, seed=1), tasks.make("five_bit_memory", T0=4,
                                                                          seed=2)
    def by_episode(task):
        return sorted(tuple(task.inputs[a:b]) + tuple(task.targets[a:b])
                      for a, b in episodes(task))
    assert by_episode(one) == by_episode(two)


def test_twenty_bit_memory_layout_and_held_out_messages():
    T0, n_train, n_test = 6, 30, 10
    task = tasks.make("twenty_bit_memory", T0=T0, n_train=n_train, n_test=n_test, seed=4)
    assert task.alphabet == ("a1", "a2", "a3", "a4", "a5", "d", "c")
    assert task.classes == ("wait", "a1", "a2", "a3", "a4", "a5")
    d, c = task.alphabet.index("d"), task.alphabet.index("c")
    spans = episodes(task)
    assert len(spans) == n_train + n_test
    train_messages, test_messages = [], []
    for number, (start, stop) in enumerate(spans):
        assert stop - start == T0 + 20
        x, y = task.inputs[start:stop].tolist(), task.targets[start:stop].tolist()
        assert all(s < 5 for s in x[:10])
        assert x[10:T0 + 9] == [d] * (T0 - 1) and x[T0 + 9] == c and x[T0 + 10:] == [d] * 10
        assert y[:T0 + 10] == [0] * (T0 + 10)
        assert [task.classes[k] for k in y[T0 + 10:]] == [task.alphabet[s] for s in x[:10]]
        held_out = number >= n_train
        assert task.holdout[start:stop].all() == held_out and task.holdout[start:stop].any() \
            == held_out
        (test_messages if held_out else train_messages).append(tuple(x[:10]))
    assert len(set(train_messages + test_messages)) == n_train + n_test
    assert task.mask.all()


# --------------------------------------------------------------------------------------------
# Embedded Reber grammar: a regular expression and a separate NFA as independent judges
# --------------------------------------------------------------------------------------------

_AFTER_STATE_4 = "(?:XT*VP)*(?:S|XT*VV)"    # from state 4 of the Reber graph to its E
REBER = f"B(?:TS*X{_AFTER_STATE_4}|PT*V(?:V|P{_AFTER_STATE_4}))E"
EMBEDDED_REBER = re.compile(f"B(?:T{REBER}T|P{REBER}P)E")

# The same grammars as a transition list "state symbol next"; 'F' is final.
REBER_NFA = "0B1 1T2 1P3 2S2 2X4 3T3 3V5 4X3 4S6 5P4 5V6 6EF"


def embedded_nfa():
    edges = {("s", "B"): {"b"}}
    for branch in "TP":
        edges[("b", branch)] = {branch + "0"}
        for a, symbol, b in REBER_NFA.split():
            target = branch + ("x" if b == "F" else b)
            edges.setdefault((branch + a, symbol), set()).add(target)
        edges[(branch + "x", branch)] = {"z"}
    edges[("z", "E")] = {"done"}
    return edges


def possible_next(edges, prefix):
    states = {"s"}
    for symbol in prefix:
        states = set().union(*(edges.get((s, symbol), set()) for s in states))
    return {symbol for (state, symbol) in edges if state in states}


def test_embedded_reber_regex_accepts_known_strings_and_rejects_broken_ones():
    assert EMBEDDED_REBER.fullmatch("BTBTSSXXTVVETE")
    assert EMBEDDED_REBER.fullmatch("BPBPVVEPE")
    assert not EMBEDDED_REBER.fullmatch("BTBPVVEPE")   # the outer T/P must match
    assert not EMBEDDED_REBER.fullmatch("BTBTSXETE")


def test_every_reber_string_is_grammatical_and_next_sets_are_right():
    task = tasks.make("embedded_reber", n_strings=300, seed=11)
    assert task.alphabet == task.classes == ("B", "T", "P", "S", "X", "V", "E")
    edges = embedded_nfa()
    spans = episodes(task)
    assert len(spans) == 300
    for number, (start, stop) in enumerate(spans):
        string = "".join(task.alphabet[s] for s in task.inputs[start:stop])
        assert EMBEDDED_REBER.fullmatch(string), string
        assert (task.extras["string_id"][start:stop] == number).all()
        for t in range(start, stop):
            allowed = possible_next(edges, string[:t - start + 1])
            got = {task.alphabet[s] for s in np.flatnonzero(task.extras["next_sets"][t])}
            assert got == allowed, (string, t - start)
            if t < stop - 1:
                assert task.mask[t] and task.classes[task.targets[t]] == string[t - start + 1]
            else:
                assert not task.mask[t] and not allowed
    assert task.extras["next_sets"].shape == (task.T, 7)


def test_reber_holds_out_the_last_strings():
    task = tasks.make("embedded_reber", n_strings=50, test_fraction=0.2, seed=0)
    held = {int(task.extras["string_id"][t]) for t in np.flatnonzero(task.holdout)}
    assert held == set(range(40, 50))


# --------------------------------------------------------------------------------------------
# Temporal order and adding
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("q", [2, 3])
def test_temporal_order_class_is_the_order_of_x_and_y(q):
    task = tasks.make("temporal_order", q=q, n_sequences=60, seed=q)
    windows = [(10, 20), (50, 60)] if q == 2 else [(10, 20), (30, 40), (50, 60)]
    assert task.classes == tuple("".join(o) for o in
                                 (["XX", "XY", "YX", "YY"] if q == 2 else
                                  [f"{a}{b}{c}" for a in "XY" for b in "XY" for c in "XY"]))
    assert task.chance == pytest.approx(1 / 2**q)
    for start, stop in episodes(task):
        seq = [task.alphabet[s] for s in task.inputs[start:stop]]
        assert 100 <= len(seq) <= 110 and seq[0] == "E" and seq[-1] == "B"
        relevant = [(pos + 1, s) for pos, s in enumerate(seq) if s in "XY"]   # 1-based
        assert len(relevant) == q
        for (position, _), (lo, hi) in zip(relevant, windows, strict=True):
            assert lo <= position <= hi
        assert set(seq[1:-1]) - {"X", "Y"} <= set("abcd")
        order = "".join(s for _, s in relevant)
        assert task.classes[task.targets[stop - 1]] == order
        assert task.mask[start:stop].tolist() == [False] * (len(seq) - 1) + [True]


def test_temporal_order_holds_out_whole_final_sequences():
    task = tasks.make("temporal_order", n_sequences=50, test_fraction=0.2, seed=0)
    flags = [bool(task.holdout[a:b].all()) for a, b in episodes(task)]
    assert flags == [False] * 40 + [True] * 10


@FEW_EXAMPLES
@given(T=st.integers(2, 40), levels=st.integers(2, 12), seed=st.integers(0, 2**32 - 1))
def test_adding_targets_sum_the_two_marked_values(T, levels, seed):
    task = tasks.make("adding", T=T, levels=levels, n_sequences=10, seed=seed)
    values = task.extras["values"]
    assert len(task.alphabet) == 2 * levels
    for start, stop in episodes(task):
        assert stop - start == T
        names = [task.alphabet[s] for s in task.inputs[start:stop]]
        marked = [i for i, name in enumerate(names) if name.startswith("m")]
        assert len(marked) == 2 and marked[0] < T // 2 <= marked[1]
        for i, name in enumerate(names):
            assert int(name[1:]) == min(int(values[start + i] * levels), levels - 1)
        total = values[start + marked[0]] + values[start + marked[1]]
        assert task.targets[stop - 1] == pytest.approx(total)
        assert task.mask[start:stop].tolist() == [False] * (T - 1) + [True]
    assert task.chance == pytest.approx(1 / 6)
    assert task.extras["floor_mse"] == pytest.approx(1 / (6 * levels**2))


# --------------------------------------------------------------------------------------------
# Series
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["mackey_glass", "narma10"])
def test_series_inputs_are_equal_probability_bins_of_the_values(name):
    task = tasks.make("series", name=name, levels=8, T=1000, seed=2)
    values, edges = task.extras["values"], task.extras["bin_edges"]
    assert edges.shape == (7,) and (np.diff(edges) > 0).all()
    for value, symbol in zip(values.tolist(), task.inputs.tolist(), strict=True):
        assert symbol == sum(value >= edge for edge in edges.tolist())
    counts = Counter(task.inputs[:800].tolist())          # the training part
    assert sorted(counts) == list(range(8)) and max(counts.values()) - min(counts.values()) <= 2
    assert task.metric == "nrmse" and task.chance == 1.0 and task.mask.all()


def test_mackey_glass_target_is_the_next_value_and_obeys_the_delay_equation():
    task = tasks.make("series", name="mackey_glass", T=1500, seed=9)
    values = task.extras["values"]
    np.testing.assert_array_equal(task.targets[:-1], values[1:])
    x = np.append(values, task.targets[-1])
    t = np.arange(19, len(x) - 2)
    slope = (-x[t + 2] + 8 * x[t + 1] - 8 * x[t - 1] + x[t - 2]) / 12    # dx/dt, 5-point
    lagged = x[t - 17]
    residual = slope - (0.2 * lagged / (1 + lagged**10) - 0.1 * x[t])
    assert np.abs(residual).max() < 1e-3
    assert 0.2 < x.min() and x.max() < 1.5 and x.std() > 0.1


def test_narma10_target_obeys_the_narma_recurrence():
    task = tasks.make("series", name="narma10", T=600, seed=4)
    u, y_next = task.extras["values"].tolist(), task.targets.tolist()
    assert 0 <= min(u) and max(u) <= 0.5

    def y(t):  # y(t) = targets[t-1]
        return y_next[t - 1]
    for t in range(10, 600):
        expected = (0.3 * y(t) + 0.05 * y(t) * sum(y(t - i) for i in range(10))
                    + 1.5 * u[t - 9] * u[t] + 0.1)
        assert y_next[t] == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------

def shipped_corpus():
    folder = REPO / "assets" / "text" / "shakespeare"
    plays = ["hamlet", "macbeth", "a_midsummer_nights_dream", "the_tempest"]
    return "\n".join((folder / f"{play}.txt").read_text(encoding="utf-8") for play in plays)


def decoded(task):
    return "".join(task.alphabet[s] for s in task.inputs)


def test_shakespeare_stream_decodes_to_a_window_of_the_shipped_plays():
    task = tasks.make("text", T=5000, seed=3)
    start = task.extras["window_start"]
    assert decoded(task) == shipped_corpus()[start:start + 5000]
    assert task.alphabet == tuple(sorted(set(decoded(task))))
    np.testing.assert_array_equal(task.targets[:-1], task.inputs[1:])
    assert task.mask[:-1].all() and not task.mask[-1]
    np.testing.assert_array_equal(task.holdout, np.arange(5000) >= 4500)


def test_shipped_corpus_is_plain_text_of_about_half_a_megabyte():
    corpus = shipped_corpus()
    assert 400_000 < len(corpus.encode("utf-8")) < 700_000
    assert not set(corpus) & set("*_#\\<>")                # no Markdown or HTML left
    assert "HAMLET:" in corpus and "To be, or not to be" in corpus


def test_user_text_round_trips_and_chance_is_the_smoothed_unigram():
    text = "the cat sat on the mat; the dog sat on the log.\n" * 12
    task = tasks.make("text", text=text, test_fraction=0.25)
    assert task.params["corpus"] == "user"
    assert decoded(task) == text
    train, evaluate = task.train_mask, task.eval_mask
    counts = Counter(task.targets[train].tolist())
    V, n = task.n_symbols, int(train.sum())
    unigram = {s: (counts[s] + 1) / (n + V) for s in range(V)}
    expected = -np.mean([math.log2(unigram[s]) for s in task.targets[evaluate].tolist()])
    assert task.chance == pytest.approx(expected)
    assert task.extras["bigram_bits"] < task.chance


def test_text_beyond_the_symbol_cap_shares_one_other_symbol():
    text = "aaaaabbbbcccdde" * 10 + "xyz"
    task = tasks.make("text", text=text, max_symbols=4, test_fraction=0.0)
    assert task.alphabet == ("a", "b", "c", tasks.OTHER_SYMBOL)
    expected = "".join(ch if ch in "abc" else tasks.OTHER_SYMBOL for ch in text)
    assert decoded(task) == expected
    assert "other" in task.description


@FEW_EXAMPLES
@given(st.text(min_size=20, max_size=200))
def test_any_user_text_round_trips_through_the_stream(text):
    assert decoded(tasks.make("text", text=text, max_symbols=256, test_fraction=0.0)) == text


def test_fsm_corpus_optimal_bits_is_finite_below_unigram_and_matches_its_source():
    task = tasks.make("text", corpus="fsm", T=30_000, fsm_states=6, fsm_symbols=5, seed=2)
    optimal = task.extras["optimal_bits"]
    assert math.isfinite(optimal) and 0 < optimal < task.extras["bigram_bits"] < task.chance
    assert abs(task.extras["oracle_bits"] - optimal) < 0.1
    nxt, emit = task.extras["source_next"], task.extras["source_emit"]
    letters = [ord(task.alphabet[s]) - ord("a") for s in task.inputs]
    state = 0
    for t, letter in enumerate(letters):                   # the stream follows the source
        state = int(nxt[state, letter])
        assert state == task.extras["source_states"][t]
    # the entropy rate, independently: power iteration for the stationary distribution
    transition = np.zeros((6, 6))
    for s in range(6):
        for x in range(5):
            transition[s, nxt[s, x]] += emit[s, x]
    pi = np.full(6, 1 / 6)
    for _ in range(5000):
        pi = 0.5 * (pi + pi @ transition)                   # lazy chain: converges
    rate = sum(pi[s] * -sum(p * math.log2(p) for p in emit[s]) for s in range(6))
    assert optimal == pytest.approx(rate, abs=1e-9)


def test_decode_text_reads_utf8_and_drops_a_byte_order_mark():
    assert tasks.decode_text("naïve — ok".encode()) == "naïve — ok"
    assert tasks.decode_text(b"\xef\xbb\xbfhello") == "hello"


@FEW_EXAMPLES
@given(prefix=st.text(max_size=40), suffix=st.text(max_size=10))
def test_decode_text_names_the_offset_of_the_first_bad_byte(prefix, suffix):
    data = prefix.encode() + b"\xff" + suffix.encode()
    with pytest.raises(TaskError, match=rf"byte {len(prefix.encode())} .*UTF-8"):
        tasks.decode_text(data)


def test_decode_text_refuses_files_over_the_cap():
    with pytest.raises(TaskError, match="cap"):
        tasks.decode_text(b"a" * (tasks.MAX_TEXT_BYTES + 1))


def test_missing_corpus_asset_raises_task_error(monkeypatch, tmp_path):
    monkeypatch.setattr(tasks, "ASSETS", tmp_path)
    tasks._shakespeare.cache_clear()
    try:
        with pytest.raises(TaskError, match="missing"):
            tasks.make("text", corpus="shakespeare")
    finally:
        tasks._shakespeare.cache_clear()


# --------------------------------------------------------------------------------------------
# Bad parameters
# --------------------------------------------------------------------------------------------

def test_unknown_task_name_lists_the_known_ones():
    with pytest.raises(TaskError, match="unknown task 'six_bit_memory'.*five_bit_memory"):
        tasks.make("six_bit_memory")
    with pytest.raises(TaskError, match="unknown task"):
        tasks.describe("nope")


@pytest.mark.parametrize("name", tasks.NAMES)
def test_unknown_parameter_is_named(name):
    with pytest.raises(TaskError, match="unknown parameter 'colour'"):
        tasks.make(name, colour=3)


NUMERIC = [(name, param, row) for name in tasks.NAMES
           for param, row in tasks.describe(name)["params"].items()
           if row["type"] in ("int", "float")]


@pytest.mark.parametrize("name,param,row", NUMERIC,
                         ids=[f"{n}-{p}" for n, p, _ in NUMERIC])
def test_out_of_range_values_are_refused_naming_parameter_value_and_range(name, param, row):
    step = 1 if row["type"] == "int" else 0.01
    for bad in (row["min"] - step, row["max"] + step):
        bad = int(bad) if row["type"] == "int" else round(bad, 6)
        with pytest.raises(TaskError) as err:
            tasks.make(name, **{param: bad})
        message = str(err.value)
        assert param in message and repr(bad) in message
        assert str(row["min"]) in message and str(row["max"]) in message


@pytest.mark.parametrize("name,param,row", NUMERIC,
                         ids=[f"{n}-{p}" for n, p, _ in NUMERIC])
def test_values_of_the_wrong_type_are_refused_naming_the_parameter(name, param, row):
    wrong = ["7", True, None, float("nan")] + ([2.5] if row["type"] == "int" else [])
    for bad in wrong:
        with pytest.raises(TaskError, match=re.escape(param)):
            tasks.make(name, **{param: bad})


def test_choice_parameters_refuse_other_values():
    with pytest.raises(TaskError, match="name='lorenz'.*mackey_glass"):
        tasks.make("series", name="lorenz")
    with pytest.raises(TaskError, match="corpus='wiki'"):
        tasks.make("text", corpus="wiki")


@FEW_EXAMPLES
@given(value=st.integers(-10**6, 10**6))
def test_an_integer_is_accepted_exactly_when_inside_its_range(value):
    row = tasks.describe("delayed_recall")["params"]["k"]
    inside = row["min"] <= value <= row["max"]
    try:
        task = tasks.make("delayed_recall", k=value, T=1300)
    except TaskError as err:
        assert not inside and "k=" in str(err)
    else:
        assert inside and task.params["k"] == value


@pytest.mark.parametrize("name,params,named", [
    ("delayed_recall", dict(k=500, T=400), "T=400"),
    ("temporal_parity", dict(n=30, tau=90, T=100), "T=100"),
    ("temporal_density", dict(n=4), "n=4"),
    ("memory_capacity", dict(K=200, m=16, T=3000), "K"),
    ("twenty_bit_memory", dict(T0=10_000, n_train=20_000, n_test=20_000), "n_train"),
    ("adding", dict(T=10_000, n_sequences=100_000), "n_sequences"),
    ("delayed_recall", dict(T=100, test_fraction=0.001), "test_fraction"),
    ("embedded_reber", dict(n_strings=1, test_fraction=0.5), "n_strings"),
    ("text", dict(corpus="user"), "text"),
    ("text", dict(corpus="fsm", text="some words of my own text"), "corpus='fsm'"),
    ("text", dict(text="too short"), "text"),
    ("text", dict(text="é" * (tasks.MAX_TEXT_BYTES // 2 + 1)), "cap"),
    ("text", dict(corpus="fsm", fsm_symbols=10, max_symbols=5), "max_symbols=5"),
    ("text", dict(text=b"bytes are not text"), "text"),
    ("text", dict(text="a lone surrogate \ud800 is not text"), "character 17"),
])
def test_inconsistent_parameters_are_refused_naming_the_culprit(name, params, named):
    with pytest.raises(TaskError, match=re.escape(named)):
        tasks.make(name, **params)


def test_length_cap_error_names_the_cap():
    with pytest.raises(TaskError, match=f"{tasks.MAX_STEPS:,}"):
        tasks.make("adding", T=10_000, n_sequences=100_000)


# --------------------------------------------------------------------------------------------
# Held-out five-bit messages and fresh episodes
# --------------------------------------------------------------------------------------------

def test_five_bit_memory_holds_out_whole_messages_chosen_by_the_seed():
    T0 = 4
    classic = tasks.make("five_bit_memory", T0=T0, seed=3)
    split = tasks.make("five_bit_memory", T0=T0, n_test=8, seed=3)
    np.testing.assert_array_equal(split.inputs, classic.inputs)      # the same 32 episodes
    held_out = [bool(split.holdout[start]) for start, _ in episodes(split)]
    assert held_out == [False] * 24 + [True] * 8
    assert all(len(set(split.holdout[a:b].tolist())) == 1 for a, b in episodes(split))
    assert split.train_mask.sum() == 24 * (T0 + 10) and split.eval_mask.sum() == 8 * (T0 + 10)
    other_seed = tasks.make("five_bit_memory", T0=T0, n_test=8, seed=4)
    assert {tuple(m) for m in split.extras["messages"][24:].tolist()} \
        != {tuple(m) for m in other_seed.extras["messages"][24:].tolist()}
    assert "24 of the 32 possible messages" in split.description
    assert "All 32 possible messages" in classic.description


GENERATORS = {  # a small instance of every task that can generate fresh episodes
    "embedded_reber": dict(n_strings=30), "temporal_order": dict(q=3, n_sequences=20),
    "adding": dict(T=8, levels=4, n_sequences=20),
    "twenty_bit_memory": dict(T0=5, n_train=20, n_test=5), "tomita": dict(grammar=4),
}


def test_every_generator_is_listed_with_its_episode_count_parameter():
    assert set(GENERATORS) == set(tasks.EPISODE_COUNTS)
    for name, count in tasks.EPISODE_COUNTS.items():
        assert count in tasks.describe(name)["params"]


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generated_episodes_are_fresh_training_episodes_of_the_same_task(name):
    task = tasks.make(name, seed=1, **GENERATORS[name])
    assert tasks.can_generate(task)
    fresh = tasks.generate(task, 7, seed=11)
    count = tasks.EPISODE_COUNTS[name]
    assert fresh.name == name and fresh.params[count] == 7 and fresh.params["seed"] == 11
    unchanged = set(task.params) - {count, "seed", "test_fraction", "n_test"}
    assert {key: fresh.params[key] for key in unchanged} == \
        {key: task.params[key] for key in unchanged}
    assert int(fresh.resets.sum()) == 7 and fresh.resets[0]
    assert not fresh.holdout.any() and fresh.train_mask.any()
    assert (fresh.alphabet, fresh.classes, fresh.kind, fresh.metric) == \
        (task.alphabet, task.classes, task.kind, task.metric)
    again, other = tasks.generate(task, 7, seed=11), tasks.generate(task, 7, seed=12)
    np.testing.assert_array_equal(again.inputs, fresh.inputs)
    assert not np.array_equal(other.inputs[:min(other.T, fresh.T)],
                              fresh.inputs[:min(other.T, fresh.T)])


def test_one_fresh_episode_is_allowed_below_the_tasks_own_minimum():
    task = tasks.make("temporal_order", q=2, n_sequences=10, seed=0)
    assert int(tasks.generate(task, 1, seed=0).resets.sum()) == 1


def test_fresh_twenty_bit_messages_avoid_every_held_out_message():
    """With 20 000 of the 5^10 messages held out, a plain draw of 3 000 fresh ones
    would hit about 6 of them; generate redraws those."""
    task = tasks.make("twenty_bit_memory", T0=1, n_train=10, n_test=20_000, seed=0)
    ids = 5 ** np.arange(9, -1, -1)                                    # message -> its number
    held_out = task.extras["messages"][10:] @ ids
    plain = tasks.make("twenty_bit_memory", T0=1, n_train=3000, n_test=0, seed=5)
    assert np.isin(plain.extras["messages"] @ ids, held_out).any()    # the draw generate makes
    fresh = tasks.generate(task, 3000, seed=5)
    assert not np.isin(fresh.extras["messages"] @ ids, held_out).any()
    spans = episodes(fresh)
    assert len(spans) == 3000
    for number, (start, _) in enumerate(spans[:50]):
        np.testing.assert_array_equal(fresh.inputs[start:start + 10],
                                      fresh.extras["messages"][number])
        np.testing.assert_array_equal(fresh.targets[start + 11:start + 21],
                                      fresh.extras["messages"][number] + 1)


@pytest.mark.parametrize("name,params", [
    ("five_bit_memory", dict(T0=3)), ("delayed_recall", dict(T=300)), ("text", dict(T=300))])
def test_tasks_without_a_generator_say_so(name, params):
    task = tasks.make(name, **params)
    assert not tasks.can_generate(task)
    with pytest.raises(TaskError, match="cannot generate.*temporal_order"):
        tasks.generate(task, 4, seed=0)


@pytest.mark.parametrize("n_episodes", [0, -3, 2.0, True, 10**7])
def test_generate_refuses_a_bad_episode_count(n_episodes):
    task = tasks.make("temporal_order", q=2, n_sequences=20, seed=0)
    with pytest.raises(TaskError, match="n_episodes"):
        tasks.generate(task, n_episodes, seed=0)
