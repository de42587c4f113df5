"""Plain-Python reference implementations the engine is checked against.

These are deliberately slow and obvious: loops over time steps, machines and
states, no NumPy tricks.  They live only in the tests; the engine has exactly
one (compiled) implementation of each loop.
"""
from __future__ import annotations

import itertools

import numpy as np


def run_machine(table, start, inputs, resets=None, state=None) -> list[int]:
    """States after each input of one machine with ``table[s][x]``; a reset returns to ``start``
    before that step's input is read."""
    current = start if state is None else state
    trace = []
    for t, x in enumerate(inputs):
        if resets is not None and resets[t]:
            current = start
        current = int(table[current][x])
        trace.append(current)
    return trace


def step_trace(transitions, start, inputs, resets, state) -> tuple[list[list[int]], list[int]]:
    """Reference of ``kernels.step_trace`` on the bank layout ``transitions[x][n][s]``.

    Returns the trace ``[T][N]`` and the final state ``[N]``.
    """
    n_machines = len(start)
    current = [int(s) for s in state]
    trace = []
    for t, x in enumerate(inputs):
        if resets[t]:
            current = [int(s) for s in start]
        current = [int(transitions[x][n][current[n]]) for n in range(n_machines)]
        trace.append(list(current))
    return trace, current


def step_outputs(transitions, outputs, start, inputs, resets,
                 state) -> tuple[list[list[float]], list[int]]:
    """Reference of ``kernels.step_outputs``: each machine's output after each step, and the
    final state."""
    trace, final = step_trace(transitions, start, inputs, resets, state)
    return [[float(outputs[n][s]) for n, s in enumerate(row)] for row in trace], final


def offsets(n_states) -> list[int]:
    """First one-hot column of each machine."""
    result, total = [], 0
    for size in n_states:
        result.append(total)
        total += int(size)
    return result


def onehot(states, n_states) -> np.ndarray:
    """Dense one-hot state features ``[T][sum(n_states)]`` built cell by cell."""
    starts = offsets(n_states)
    dense = np.zeros((len(states), sum(int(s) for s in n_states)))
    for t, row in enumerate(states):
        for n, s in enumerate(row):
            dense[t, starts[n] + int(s)] = 1.0
    return dense


def onehot_matmul(states, starts, weights) -> list[list[float]]:
    """``result[t][k] = sum_n weights[starts[n] + states[t][n]][k]``."""
    n_out = len(weights[0])
    return [[sum(float(weights[starts[n] + int(s)][k]) for n, s in enumerate(row))
             for k in range(n_out)]
            for row in states]


def onehot_rmatmul(states, starts, grads, n_features) -> list[list[float]]:
    """``result[f][k] = sum over (t, n) with starts[n] + states[t][n] == f of grads[t][k]``."""
    n_out = len(grads[0]) if len(grads) else 0
    result = [[0.0] * n_out for _ in range(n_features)]
    for t, row in enumerate(states):
        for n, s in enumerate(row):
            for k in range(n_out):
                result[starts[n] + int(s)][k] += float(grads[t][k])
    return result


def onehot_column_sums(states, starts, n_features) -> list[int]:
    """How often each one-hot column is on."""
    counts = [0] * n_features
    for row in states:
        for n, s in enumerate(row):
            counts[starts[n] + int(s)] += 1
    return counts


def reachable(table, start) -> set[int]:
    """States reachable from ``start`` (depth-first search)."""
    seen, stack = {start}, [start]
    while stack:
        s = stack.pop()
        for target in table[s]:
            if int(target) not in seen:
                seen.add(int(target))
                stack.append(int(target))
    return seen


def n_behaviours(table, outputs, start, max_length) -> int:
    """How many reachable states have different output sequences over all words up to
    ``max_length`` symbols: the size of the minimal Moore machine when ``max_length`` is at
    least the number of states."""
    n_symbols = len(table[0])
    words = [w for length in range(max_length + 1)
             for w in itertools.product(range(n_symbols), repeat=length)]
    signatures = set()
    for s in reachable(table, start):
        signature = []
        for word in words:
            current = s
            for x in word:
                current = int(table[current][x])
            signature.append(float(outputs[current]))
        signatures.add(tuple(signature))
    return len(signatures)


def shortest_synchronizing_length(table, states, max_length) -> int | None:
    """Length of a shortest word sending every state in ``states`` to one state, trying every
    word of each length in turn; None when no word up to ``max_length`` does."""
    n_symbols = len(table[0])
    for length in range(max_length + 1):
        for word in itertools.product(range(n_symbols), repeat=length):
            if len(image(table, states, word)) == 1:
                return length
    return None


def image(table, states, word) -> set[int]:
    """Where the states in ``states`` end up after reading ``word``."""
    current = set(states)
    for x in word:
        current = {int(table[s][x]) for s in current}
    return current


def esn_states(W, W_in, bias, leak, u, resets=None) -> list[list[float]]:
    """Echo state network states ``[T][N]`` from dense weights, one unit and one sum at a time:
    ``x_t = (1 - leak) x_{t-1} + leak tanh(W_in u_t + W x_{t-1} + bias)``, ``x = 0`` before
    step 0 and before every step whose reset flag is set."""
    n_units = len(bias)
    x = [0.0] * n_units
    trace = []
    for t, inputs in enumerate(u):
        if resets is not None and resets[t]:
            x = [0.0] * n_units
        new = []
        for i in range(n_units):
            total = float(bias[i])
            for k, value in enumerate(inputs):
                total += float(W_in[i][k]) * float(value)
            for j in range(n_units):
                total += float(W[i][j]) * x[j]
            new.append((1.0 - leak) * x[i] + leak * float(np.tanh(total)))
        x = new
        trace.append(list(x))
    return trace
