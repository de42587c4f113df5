"""What the explorer shows about a network's run, computed as engine code (usable in a notebook).

A bank's run over a long input is summarised while it streams, chunk by chunk,
without ever holding the whole ``[T, N]`` state trace: how often each machine
changes state, how it spreads its time over its states (occupancy, entropy),
evenly thinned samples of the trace for rasters, and the rank of the feature
matrices on a sample (what a linear readout can fit).  Also here: where one
machine is after ``t`` inputs (:func:`step_position`) and the raster row orders
(:func:`row_order`).  ``explorer/`` only draws what these return.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .bank import CHUNK_STEPS, MachineBank
from .features import StateFeatures, state_offsets

#: raster row orders, in the order a student meets them
SORT_ORDERS = ("index", "family", "activity", "entropy")
#: cells of the state trace held at once while a run streams (bounds the working memory:
#: about 32 MB of states plus as many bytes of comparisons)
CHUNK_CELLS = 32_000_000


class Rank(NamedTuple):
    """The rank of a feature matrix measured on ``n_steps`` sampled rows."""

    rank: int
    n_steps: int
    n_features: int


class RunSummary(NamedTuple):
    """What :func:`summarise_run` keeps of a run (arrays over machines or samples)."""

    changes: np.ndarray         # [N] int64, state changes of each machine
    visits: np.ndarray          # [sum S] int64, steps each machine spent in each state
    sampled_states: list        # per requested sample: [steps', machines'] states


def thin(n: int, cap: int) -> np.ndarray:
    """Every k-th index of ``0 .. n-1``, with k chosen so that at most ``cap`` remain.

    Used for both time steps and machines, so a sample is evenly spread and a
    bank's family blocks keep their proportions.

    Returns
    -------
    int64 array [min(n, cap) or fewer], starting at 0, evenly spaced.

    Raises
    ------
    ValueError when ``n < 0`` or ``cap < 1``.
    """
    if n < 0 or cap < 1:
        raise ValueError(f"thin needs n >= 0 and cap >= 1, got n={n}, cap={cap}")
    return np.arange(0, n, max(1, -(-n // cap)), dtype=np.int64)


def summarise_run(bank: MachineBank, inputs, resets, samples=()) -> RunSummary:
    """Run ``bank`` over ``inputs`` in chunks and keep only the summary.

    Parameters
    ----------
    bank, inputs, resets : as :meth:`MachineBank.iter_states`.
    samples : pairs ``(steps, machines)`` of sorted index arrays: the states at
        those steps of those machines are kept (raster and rank samples).

    Returns
    -------
    RunSummary.  Memory stays about ``CHUNK_CELLS`` states whatever ``T`` and ``N``.
    """
    n_machines = bank.n_machines
    visits = np.zeros(bank.n_state_features, dtype=np.int64)                   # [sum S]
    changes = np.zeros(n_machines, dtype=np.int64)                             # [N]
    picked = [np.empty((steps.shape[0], machines.shape[0]), dtype=bank.state_dtype)
              for steps, machines in samples]                                  # [T', M] each
    previous = bank.initial_state()                                            # [N]
    chunk = min(CHUNK_STEPS, max(1, CHUNK_CELLS // n_machines))
    for t0, block in bank.iter_states(inputs, resets, chunk_steps=chunk):
        visits += StateFeatures(block, bank.n_states).column_sums()
        changes += block[0] != previous
        changes += (block[1:] != block[:-1]).sum(axis=0)
        previous = block[-1].copy()
        for kept, (steps, machines) in zip(picked, samples, strict=True):
            inside = (steps >= t0) & (steps < t0 + block.shape[0])
            kept[inside] = block[np.ix_(steps[inside] - t0, machines)]
    return RunSummary(changes, visits, picked)


def occupancy_entropy(visits: np.ndarray, n_states: np.ndarray, n_steps: int) -> np.ndarray:
    """Entropy in bits of each machine's share of time per state: [N]."""
    share = visits / max(n_steps, 1)                                           # [sum S]
    terms = np.zeros_like(share)
    positive = share > 0
    terms[positive] = -share[positive] * np.log2(share[positive])
    return np.add.reduceat(terms, state_offsets(n_states))


def family_occupancy(visits: np.ndarray, n_states: np.ndarray, families: np.ndarray) -> dict:
    """``{family: share of its machine-steps in each state number [S_f]}``.

    A family's machines are one contiguous block of the bank with one state count.
    """
    bounds = np.append(state_offsets(n_states), visits.shape[0])             # [N + 1]
    shares = {}
    for name in dict.fromkeys(families.tolist()):
        members = np.flatnonzero(families == name)
        first, size = int(members[0]), int(n_states[members[0]])
        block = visits[bounds[first]:bounds[first + members.shape[0]]]
        counts = block.reshape(members.shape[0], size).sum(axis=0)             # [S_f]
        shares[name] = counts / max(int(counts.sum()), 1)
    return shares


def output_rank(bank: MachineBank, machines: np.ndarray, states: np.ndarray) -> Rank:
    """Rank of the output features (one column per machine) on the sampled steps."""
    outputs = bank.outputs[machines[None, :], states].astype(np.float64)       # [R, Q]
    return Rank(int(np.linalg.matrix_rank(outputs)), states.shape[0], machines.shape[0])


def state_rank(bank: MachineBank, machines: np.ndarray, states: np.ndarray) -> Rank:
    """Rank of the one-hot state features of the sampled machines on the sampled steps.

    Measured as the rank of the Gram matrix ``X X^T`` (same rank as ``X``; [R, R],
    small however many states the machines have).
    """
    features = StateFeatures(states, bank.n_states[machines]).tocsr()         # [R, sum S] sparse
    gram = (features @ features.T).toarray().astype(np.float64)               # [R, R]
    return Rank(int(np.linalg.matrix_rank(gram, hermitian=True)), states.shape[0],
                features.shape[1])


def row_order(sort: str, families, entropy, changes) -> np.ndarray:
    """The order in which to draw machines (rows of a raster): a permutation [M].

    Parameters
    ----------
    sort : one of :data:`SORT_ORDERS`
        ``"index"`` keeps the bank order; ``"family"`` groups families (in order of
        first appearance) and sorts each group by entropy; ``"entropy"`` puts the
        machines that use few states first; ``"activity"`` puts the calmest
        (fewest state changes) first.
    families : str array [M], family of each machine.
    entropy : float array [M], entropy (bits) of each machine's state occupancy.
    changes : array [M], how often each machine's state changed.

    Raises
    ------
    ValueError when ``sort`` is not one of :data:`SORT_ORDERS`.
    """
    families, entropy, changes = np.asarray(families), np.asarray(entropy), np.asarray(changes)
    index = np.arange(families.shape[0])
    if sort == "index":
        return index
    if sort == "entropy":
        return np.lexsort((index, entropy))
    if sort == "activity":
        return np.lexsort((index, changes))
    if sort == "family":
        names, first = np.unique(families, return_index=True)
        rank_of = dict(zip(names, np.argsort(np.argsort(first)), strict=True))
        group = np.array([rank_of[f] for f in families], dtype=np.int64)
        return np.lexsort((index, entropy, group))
    raise ValueError(f"sort is {sort!r}; it must be one of {', '.join(SORT_ORDERS)}")


def step_position(states: np.ndarray, start: int, t: int, resets=None) -> tuple[int, int | None]:
    """Where a machine is after ``t`` inputs: ``(state, state before the t-th input)``.

    ``states`` [T] is its state after each input, ``resets`` [T] (optional) the
    episode starts.  At ``t = 0`` it is ``(start, None)``; the state before an
    input is the start state at the first input and at a reset.
    """
    if t == 0:
        return start, None
    first = t == 1 or (resets is not None and bool(resets[t - 1]))
    return int(states[t - 1]), (start if first else int(states[t - 2]))
