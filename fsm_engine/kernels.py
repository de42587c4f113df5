"""Compiled hot loops (numba): stepping a bank of machines and one-hot gather/scatter.

One implementation of each loop lives here; the plain-Python references they are
checked against live only in the tests.  All kernels work on the bank layout of
:mod:`fsm_engine.bank`:

- ``transitions``  [X, N, S] unsigned ints, x-major: one input symbol touches one
  contiguous ``[N, S]`` slab;
- ``outputs``      [N, S] float32;
- ``state``        [N] unsigned ints, updated in place so long streams can be run
  in chunks that carry the state across.

Machines are independent, so the parallel kernels split the bank into blocks of
machines (``prange``) and each block walks the whole time range: a block's
states stay in cache and each time step writes one contiguous run of the trace.
A stepping block is sized so its slice of the transition table stays in the L2
cache (:func:`block_size`), and it advances four time steps per pass over its
machines when no reset falls inside them: the four table look-ups of one machine
form a chain, the machines of the block are independent chains the CPU overlaps,
and the block's state is loaded and stored once per four steps.
"""
from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange

#: machines per parallel block of the one-hot scatter
BLOCK = 512
#: bytes of transition table one stepping block touches: a quarter of a 1 MB L2 cache
BLOCK_TABLE_BYTES = 256 * 1024
#: fewest and most machines in a stepping block
MIN_BLOCK, MAX_BLOCK = 32, 4096


@njit(cache=True)
def _n_blocks(n):
    return (n + BLOCK - 1) // BLOCK


def block_size(transitions: np.ndarray) -> int:
    """Machines per stepping block for ``transitions`` [X, N, S] (the kernels' ``block``).

    About ``BLOCK_TABLE_BYTES`` of table per block (so few states give long
    contiguous trace writes and many states stay in cache), and a block count
    that is a multiple of the thread count, since ``prange`` splits evenly.
    Plain Python: numba cannot cache a kernel that asks for the thread count.
    """
    n_symbols, n_machines, n_states = transitions.shape
    per_machine = max(n_symbols * n_states * transitions.itemsize, 1)
    target = min(max(BLOCK_TABLE_BYTES // per_machine, MIN_BLOCK), MAX_BLOCK)
    threads = get_num_threads()
    n_blocks = max((n_machines + target - 1) // target, 1)
    n_blocks = (n_blocks + threads - 1) // threads * threads
    return max((n_machines + n_blocks - 1) // n_blocks, 1)


@njit(cache=True)
def _four_steps_free(resets, t):
    """True when steps ``t+1 .. t+3`` exist and none of them resets (step ``t`` may)."""
    return t + 4 <= resets.shape[0] and not (resets[t + 1] or resets[t + 2] or resets[t + 3])


@njit(parallel=True, cache=True, nogil=True)
def step_trace(transitions, start, inputs, resets, state, trace, block):
    """Run ``len(inputs)`` steps, writing the state after each step into ``trace`` [T, N].

    ``block`` is the number of machines per parallel block (see :func:`block_size`).
    """
    n_machines, n_steps = state.shape[0], inputs.shape[0]
    for b in prange((n_machines + block - 1) // block):
        lo = b * block
        hi = min(lo + block, n_machines)
        local = state[lo:hi].copy()
        t = 0
        while t < n_steps:
            if resets[t]:
                local[:] = start[lo:hi]
            if _four_steps_free(resets, t):
                a0, a1 = transitions[inputs[t]], transitions[inputs[t + 1]]
                a2, a3 = transitions[inputs[t + 2]], transitions[inputs[t + 3]]
                r0, r1, r2, r3 = trace[t], trace[t + 1], trace[t + 2], trace[t + 3]
                for j in range(hi - lo):
                    n = lo + j
                    s = a0[n, local[j]]
                    r0[n] = s
                    s = a1[n, s]
                    r1[n] = s
                    s = a2[n, s]
                    r2[n] = s
                    s = a3[n, s]
                    r3[n] = s
                    local[j] = s
                t += 4
            else:
                slab, row = transitions[inputs[t]], trace[t]
                for j in range(hi - lo):
                    s = slab[lo + j, local[j]]
                    local[j] = s
                    row[lo + j] = s
                t += 1
        state[lo:hi] = local


@njit(parallel=True, cache=True, nogil=True)
def step_final(transitions, start, inputs, resets, state, block):
    """Run ``len(inputs)`` steps updating ``state`` [N] in place; no trace is written (``block``
    as in :func:`step_trace`)."""
    n_machines, n_steps = state.shape[0], inputs.shape[0]
    for b in prange((n_machines + block - 1) // block):
        lo = b * block
        hi = min(lo + block, n_machines)
        local = state[lo:hi].copy()
        t = 0
        while t < n_steps:
            if resets[t]:
                local[:] = start[lo:hi]
            if _four_steps_free(resets, t):
                a0, a1 = transitions[inputs[t]], transitions[inputs[t + 1]]
                a2, a3 = transitions[inputs[t + 2]], transitions[inputs[t + 3]]
                for j in range(hi - lo):
                    n = lo + j
                    local[j] = a3[n, a2[n, a1[n, a0[n, local[j]]]]]
                t += 4
            else:
                slab = transitions[inputs[t]]
                for j in range(hi - lo):
                    local[j] = slab[lo + j, local[j]]
                t += 1
        state[lo:hi] = local


@njit(parallel=True, cache=True, nogil=True)
def step_outputs(transitions, outputs, start, inputs, resets, state, features, block):
    """Run the steps and write each machine's output ``outputs[n, s_t]`` into ``features`` [T, N]
    (``block`` as in :func:`step_trace`)."""
    n_machines, n_steps = state.shape[0], inputs.shape[0]
    for b in prange((n_machines + block - 1) // block):
        lo = b * block
        hi = min(lo + block, n_machines)
        local = state[lo:hi].copy()
        t = 0
        while t < n_steps:
            if resets[t]:
                local[:] = start[lo:hi]
            if _four_steps_free(resets, t):
                a0, a1 = transitions[inputs[t]], transitions[inputs[t + 1]]
                a2, a3 = transitions[inputs[t + 2]], transitions[inputs[t + 3]]
                r0, r1, r2, r3 = features[t], features[t + 1], features[t + 2], features[t + 3]
                for j in range(hi - lo):
                    n = lo + j
                    s = a0[n, local[j]]
                    r0[n] = outputs[n, s]
                    s = a1[n, s]
                    r1[n] = outputs[n, s]
                    s = a2[n, s]
                    r2[n] = outputs[n, s]
                    s = a3[n, s]
                    r3[n] = outputs[n, s]
                    local[j] = s
                t += 4
            else:
                slab, row = transitions[inputs[t]], features[t]
                for j in range(hi - lo):
                    s = slab[lo + j, local[j]]
                    local[j] = s
                    row[lo + j] = outputs[lo + j, s]
                t += 1
        state[lo:hi] = local


@njit(parallel=True, cache=True, nogil=True)
def onehot_matmul(states, offsets, weights, result):
    """``result[t] = sum_n weights[offsets[n] + states[t, n]]``: one-hot rows times ``weights``.

    ``states`` [T, N], ``offsets`` [N] (first feature column of each machine),
    ``weights`` [F, K], ``result`` [T, K] (overwritten).
    """
    n_steps, n_machines = states.shape
    n_out = weights.shape[1]
    for t in prange(n_steps):
        acc = np.zeros(n_out, dtype=result.dtype)
        for n in range(n_machines):
            w = weights[offsets[n] + states[t, n]]
            for k in range(n_out):
                acc[k] += w[k]
        result[t] = acc


@njit(parallel=True, cache=True, nogil=True)
def onehot_rmatmul(states, offsets, grads, result):
    """``result = onehot(states).T @ grads``: scatter-add each step's row into its columns.

    ``states`` [T, N], ``offsets`` [N], ``grads`` [T, K], ``result`` [F, K]
    (overwritten).  Machines own disjoint columns, so blocks of machines run in
    parallel without conflicts.
    """
    n_steps, n_machines = states.shape
    n_out = grads.shape[1]
    result[:] = 0
    for b in prange(_n_blocks(n_machines)):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n_machines)
        for t in range(n_steps):
            g = grads[t]
            for n in range(lo, hi):
                r = result[offsets[n] + states[t, n]]
                for k in range(n_out):
                    r[k] += g[k]


@njit(cache=True)
def onehot_column_sums(states, offsets, n_features):
    """Count of ones in each one-hot feature column: ``onehot(states).sum(axis=0)`` [F]."""
    counts = np.zeros(n_features, dtype=np.int64)
    n_steps, n_machines = states.shape
    for t in range(n_steps):
        for n in range(n_machines):
            counts[offsets[n] + states[t, n]] += 1
    return counts


@njit(parallel=True, cache=True, nogil=True)
def onehot_gram(states, offsets, sample_weight, gram):
    """``gram = onehot(states).T @ diag(sample_weight) @ onehot(states)`` as a dense matrix.

    ``states`` [T, N], ``offsets`` [N], ``sample_weight`` [T], ``gram`` [F, F]
    (overwritten).  Entry ``(i, j)`` is the weighted count of steps where
    feature ``i`` and feature ``j`` are both on, so the work is ``T * N**2``
    increments and no sparse intermediate is built.  Each machine owns its
    block of rows, so machines run in parallel without conflicts.
    """
    n_steps, n_machines = states.shape
    gram[:] = 0
    for n in prange(n_machines):
        first = offsets[n]
        for t in range(n_steps):
            row = gram[first + states[t, n]]
            weight = sample_weight[t]
            for m in range(n_machines):
                row[offsets[m] + states[t, m]] += weight
