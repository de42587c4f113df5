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
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

#: machines per parallel block: big enough to amortise the loop, small enough to stay in L1/L2
BLOCK = 512


@njit(cache=True)
def _n_blocks(n):
    return (n + BLOCK - 1) // BLOCK


@njit(parallel=True, cache=True, nogil=True)
def step_trace(transitions, start, inputs, resets, state, trace):
    """Run ``len(inputs)`` steps, writing the state after each step into ``trace`` [T, N]."""
    n_machines = state.shape[0]
    for b in prange(_n_blocks(n_machines)):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n_machines)
        local = state[lo:hi].copy()
        for t in range(inputs.shape[0]):
            if resets[t]:
                local[:] = start[lo:hi]
            slab = transitions[inputs[t]]
            row = trace[t]
            for j in range(hi - lo):
                s = slab[lo + j, local[j]]
                local[j] = s
                row[lo + j] = s
        state[lo:hi] = local


@njit(parallel=True, cache=True, nogil=True)
def step_final(transitions, start, inputs, resets, state):
    """Run ``len(inputs)`` steps updating ``state`` [N] in place; no trace is written."""
    n_machines = state.shape[0]
    for b in prange(_n_blocks(n_machines)):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n_machines)
        local = state[lo:hi].copy()
        for t in range(inputs.shape[0]):
            if resets[t]:
                local[:] = start[lo:hi]
            slab = transitions[inputs[t]]
            for j in range(hi - lo):
                local[j] = slab[lo + j, local[j]]
        state[lo:hi] = local


@njit(parallel=True, cache=True, nogil=True)
def step_outputs(transitions, outputs, start, inputs, resets, state, features):
    """Run the steps and write each machine's output ``outputs[n, s_t]`` into ``features`` [T, N]."""
    n_machines = state.shape[0]
    for b in prange(_n_blocks(n_machines)):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n_machines)
        local = state[lo:hi].copy()
        for t in range(inputs.shape[0]):
            if resets[t]:
                local[:] = start[lo:hi]
            slab = transitions[inputs[t]]
            row = features[t]
            for j in range(hi - lo):
                s = slab[lo + j, local[j]]
                local[j] = s
                row[lo + j] = outputs[lo + j, s]
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
