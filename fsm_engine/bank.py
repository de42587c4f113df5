"""A bank (network) of N Moore machines driven by one input stream, stored as arrays.

Layout (x-major, so one input symbol touches one contiguous slab)::

    transitions  [X, N, S]  smallest unsigned dtype; padded rows of smaller machines are unused
    outputs      [N, S]     float32; 0 in padded columns
    start        [N]        start state of each machine
    n_states     [N]        how many states each machine really has

Machines may differ in state count (``S`` is the largest).  Runs are done in
chunks of time steps that carry the state across, so memory stays bounded by
the result being asked for; every allocation is estimated first and refused
with :class:`~fsm_engine.errors.CapacityError` when it exceeds ``max_bytes``.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from . import kernels
from .errors import (
    CapacityError,
    InvalidMachineError,
    InvalidStateError,
    InvalidSymbolError,
    NoSuchMachineError,
)
from .features import StateFeatures
from .machine import Machine

#: default cap on any single array a bank allocates (fits Streamlit Community Cloud's 2.7 GB)
DEFAULT_MAX_BYTES = 1_000_000_000
#: time steps per chunk when a run only needs the final state or streams its trace
CHUNK_STEPS = 4096


def state_dtype(max_states: int) -> np.dtype:
    """Smallest unsigned integer dtype that holds state indices ``0 .. max_states-1``."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if max_states - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    raise CapacityError(f"{max_states} states per machine is more than any supported dtype holds")


def _format_bytes(n: float) -> str:
    if n < 1000:
        return f"{n:.0f} B"
    for unit in ("KB", "MB"):
        n /= 1000
        if n < 1000:
            return f"{n:.1f} {unit}"
    return f"{n / 1000:.1f} GB"


#: what a capacity message advises by default (a bank's sizes)
BANK_ADVICE = "use fewer machines, fewer states or a shorter input"


def check_bytes(n_bytes: int, what: str, max_bytes: int = DEFAULT_MAX_BYTES,
                advice: str = BANK_ADVICE) -> None:
    """Raise CapacityError naming ``what``, its size, the cap and ``advice`` when
    ``n_bytes > max_bytes``."""
    if n_bytes > max_bytes:
        raise CapacityError(
            f"{what} would need {_format_bytes(n_bytes)}, over the cap of "
            f"{_format_bytes(max_bytes)}; {advice}")


class MachineBank:
    """N machines over one shared alphabet, stepped together.

    Build one with :meth:`from_machines` or from arrays (see :mod:`fsm_engine.families`).

    Parameters
    ----------
    alphabet : sequence of str, shared by every machine (X symbols).
    transitions : int array [X, N, S], ``transitions[x, n, s]`` = next state of machine n.
    outputs : float array [N, S].
    start : int array [N].
    n_states : int array [N] or None (all machines have S states).
    max_bytes : cap on any array this bank allocates.
    """

    #: what :meth:`features` can compute (the feature-source protocol of the readout)
    feature_kinds = ("output", "state")

    def __init__(self, alphabet, transitions, outputs, start, n_states=None,
                 max_bytes: int = DEFAULT_MAX_BYTES):
        transitions = np.asarray(transitions)
        if transitions.ndim != 3:
            raise InvalidMachineError(
                "transitions must be a [symbols, machines, states] array, "
                f"got shape {transitions.shape}")
        n_symbols, n_machines, max_states = transitions.shape
        self.alphabet = tuple(str(a) for a in alphabet)
        if len(self.alphabet) != n_symbols:
            raise InvalidMachineError(
                f"alphabet has {len(self.alphabet)} symbols but transitions has {n_symbols} rows")
        if n_machines == 0 or max_states == 0:
            raise InvalidMachineError("a bank needs at least one machine with at least one state")
        if n_symbols == 0:
            raise InvalidMachineError(
                "the alphabet is empty; a bank needs at least one input symbol")
        start = np.asarray(start)
        for field, array in (("transitions", transitions), ("start", start)):
            # checked before the cast to a small unsigned dtype, which would wrap or truncate
            if array.size and not np.issubdtype(array.dtype, np.integer):
                raise InvalidMachineError(
                    f"{field} must be integer state indices, got dtype {array.dtype}")
            if array.size and (array.min() < 0 or array.max() >= max_states):
                bad = tuple(int(i) for i in np.argwhere((array < 0) | (array >= max_states))[0])
                raise InvalidMachineError(
                    f"{field}{list(bad)} is {int(array[bad])}, "
                    f"outside the states 0..{max_states - 1}")
        dtype = state_dtype(max_states)
        self.max_bytes = int(max_bytes)
        check_bytes(transitions.size * dtype.itemsize, "the transition table", self.max_bytes)
        self.n_states = (np.full(n_machines, max_states, dtype=np.int64) if n_states is None
                         else np.asarray(n_states, dtype=np.int64))
        if self.n_states.shape != (n_machines,) or self.n_states.min() < 1 \
                or self.n_states.max() > max_states:
            raise InvalidMachineError(f"n_states must be {n_machines} counts in 1..{max_states}")
        self.transitions = np.ascontiguousarray(transitions, dtype=dtype)   # [X, N, S]
        self.outputs = np.ascontiguousarray(outputs, dtype=np.float32)      # [N, S]
        self.start = np.ascontiguousarray(start, dtype=dtype)               # [N]
        if self.outputs.shape != (n_machines, max_states) or self.start.shape != (n_machines,):
            raise InvalidMachineError(
                f"outputs must be [{n_machines}, {max_states}] and start [{n_machines}], got "
                f"{self.outputs.shape} and {self.start.shape}")
        if not np.isfinite(self.outputs).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(self.outputs))[0])
            raise InvalidMachineError(
                f"outputs{list(bad)} is {self.outputs[bad]}; outputs must be finite numbers")
        valid = np.arange(max_states)[None, :] < self.n_states[:, None]     # [N, S]
        if (self.transitions >= self.n_states[None, :, None])[:, valid].any():
            raise InvalidMachineError("a transition leads to a state its machine does not have")
        if (self.start.astype(np.int64) >= self.n_states).any():
            raise InvalidMachineError("a start state is not one of its machine's states")
        for array in (self.transitions, self.outputs, self.start, self.n_states):
            array.flags.writeable = False

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_machines(cls, machines: Sequence[Machine], max_bytes: int = DEFAULT_MAX_BYTES):
        """Stack machines (same alphabet, any state counts) into one bank."""
        machines = list(machines)
        if not machines:
            raise InvalidMachineError("a bank needs at least one machine")
        alphabet = machines[0].alphabet
        for i, m in enumerate(machines):
            if m.alphabet != alphabet:
                raise InvalidMachineError(
                    f"machine {i} has alphabet {list(m.alphabet)}, but machine 0 has "
                    f"{list(alphabet)}; every machine in a bank reads the same alphabet")
        n_states = np.array([m.n_states for m in machines], dtype=np.int64)
        max_states = int(n_states.max())
        check_bytes(len(alphabet) * len(machines) * max_states * state_dtype(max_states).itemsize,
                    "the transition table", max_bytes)
        transitions = np.zeros((len(alphabet), len(machines), max_states), dtype=np.int64)
        outputs = np.zeros((len(machines), max_states), dtype=np.float32)
        for n, m in enumerate(machines):
            transitions[:, n, : m.n_states] = m.transitions.T
            outputs[n, : m.n_states] = m.outputs
        start = np.array([m.start for m in machines])
        return cls(alphabet, transitions, outputs, start, n_states, max_bytes=max_bytes)

    def machine(self, i: int) -> Machine:
        """Machine ``i`` as a stand-alone :class:`Machine` (negative ``i`` counts from the end).

        Raises
        ------
        NoSuchMachineError
            (an FSMError and an IndexError) when ``i`` is not a whole number or is out of range.
        """
        if not isinstance(i, (int, np.integer)) or isinstance(i, (bool, np.bool_)):
            raise NoSuchMachineError(
                f"a machine is picked by its number 0..{self.n_machines - 1}, got {i!r:.40}")
        if not -self.n_machines <= i < self.n_machines:
            shown = f"{i}" if abs(i) < 10**12 else f"{i:.3e}"
            raise NoSuchMachineError(
                f"machine {shown} does not exist; the bank has {self.n_machines} machines "
                f"(0..{self.n_machines - 1})")
        i = int(i) % self.n_machines
        size = int(self.n_states[i])
        return Machine(alphabet=self.alphabet,
                       transitions=self.transitions[:, i, :size].T.astype(np.int64),
                       outputs=self.outputs[i, :size].astype(np.float64),
                       start=int(self.start[i]))

    def subset(self, indices) -> MachineBank:
        """A bank of the machines at ``indices`` (e.g. to drop or sample machines)."""
        indices = np.asarray(indices)
        if indices.dtype == np.bool_:
            indices = np.flatnonzero(indices)
        indices = indices.astype(np.int64)
        if indices.size == 0:
            raise InvalidMachineError("subset selects no machines; a bank needs at least one")
        n_states = self.n_states[indices]
        size = int(n_states.max())
        return MachineBank(self.alphabet, self.transitions[:, indices, :size],
                           self.outputs[indices, :size], self.start[indices], n_states,
                           max_bytes=self.max_bytes)

    # ------------------------------------------------------------------ sizes
    @property
    def n_machines(self) -> int:
        return self.transitions.shape[1]

    @property
    def n_symbols(self) -> int:
        return self.transitions.shape[0]

    @property
    def max_states(self) -> int:
        return self.transitions.shape[2]

    @property
    def n_state_features(self) -> int:
        """Width of the one-hot state features: total states over all machines."""
        return int(self.n_states.sum())

    @property
    def state_dtype(self) -> np.dtype:
        return self.transitions.dtype

    def memory_estimate(self, n_steps: int, features: str = "state") -> int:
        """Bytes of the [T, N] array a run of ``n_steps`` returns.

        ``features`` is ``"state"`` (the state trace, also what one-hot state
        features store) or ``"output"`` (float32 output features); the plural
        forms are accepted too.
        """
        itemsize = 4 if features in ("output", "outputs") else self.state_dtype.itemsize
        return int(n_steps) * self.n_machines * itemsize

    # ------------------------------------------------------------------ running
    def _prepare(self, inputs, resets):
        """Check ``inputs`` [T] (integer codes) and ``resets`` [T] without converting them.

        Nothing of size T is allocated here: the kernels get int64 codes and bool flags one
        chunk at a time (:meth:`_chunks`), so a long uint8 input is never copied whole, and
        a run checks its trace against the cap before anything is converted.
        """
        inputs = np.asarray(inputs)
        if inputs.ndim != 1:
            raise InvalidSymbolError(
                f"inputs must be a 1-D sequence of symbol codes, got shape {inputs.shape}")
        if inputs.size and not np.issubdtype(inputs.dtype, np.integer):
            raise InvalidSymbolError(
                f"inputs must be integer symbol codes, got dtype {inputs.dtype}")
        if inputs.size and (inputs.min() < 0 or inputs.max() >= self.n_symbols):
            bad = self._first_bad_input(inputs)
            raise InvalidSymbolError(
                f"input at position {bad} is {int(inputs[bad])}, but the alphabet has "
                f"{self.n_symbols} symbols (codes 0..{self.n_symbols - 1})")
        if resets is not None:
            resets = np.asarray(resets)
            if resets.shape != inputs.shape:
                raise InvalidSymbolError(
                    f"resets must have one flag per input ({inputs.shape[0]}), "
                    f"got shape {resets.shape}")
        return inputs, resets

    def _first_bad_input(self, inputs: np.ndarray) -> int:
        """Position of the first code outside ``0 .. n_symbols-1`` (searched chunk by chunk)."""
        for lo in range(0, inputs.shape[0], CHUNK_STEPS):
            part = inputs[lo:lo + CHUNK_STEPS]
            bad = np.flatnonzero((part < 0) | (part >= self.n_symbols))
            if bad.size:
                return lo + int(bad[0])
        raise AssertionError("no bad input")          # only called when there is one

    @staticmethod
    def _chunks(inputs: np.ndarray, resets, chunk_steps: int = CHUNK_STEPS):
        """``(lo, hi, codes, flags)`` per chunk of steps: the kernels' int64 codes [hi-lo] and
        bool reset flags [hi-lo], converted one chunk at a time."""
        for lo in range(0, inputs.shape[0], chunk_steps):
            hi = min(lo + chunk_steps, inputs.shape[0])
            codes = np.ascontiguousarray(inputs[lo:hi], dtype=np.int64)
            flags = (np.zeros(hi - lo, dtype=np.bool_) if resets is None
                     else np.ascontiguousarray(resets[lo:hi], dtype=np.bool_))
            yield lo, hi, codes, flags

    def initial_state(self) -> np.ndarray:
        """A fresh copy of the start states [N]."""
        return self.start.copy()

    def _checked_state(self, state) -> np.ndarray:
        """A copy of ``state`` [N] in the bank's dtype (the start states when None), checked
        before a kernel reads it: the kernels do not bounds-check."""
        if state is None:
            return self.initial_state()
        state = np.asarray(state)
        integer = not state.size or np.issubdtype(state.dtype, np.integer)
        if state.shape != (self.n_machines,) or not integer:
            raise InvalidStateError(f"state must be {self.n_machines} integer states, "
                                    f"got shape {state.shape} dtype {state.dtype}")
        bad = np.flatnonzero((state < 0) | (state >= self.n_states))
        if bad.size:
            n = int(bad[0])
            raise InvalidStateError(
                f"state of machine {n} is {int(state[n])}, "
                f"but it has {int(self.n_states[n])} states")
        return state.astype(self.state_dtype)

    def run(self, inputs, resets=None, state=None) -> np.ndarray:
        """States after each input: [T, N] in the smallest unsigned dtype.

        Parameters
        ----------
        inputs : int array [T] of symbol codes.
        resets : bool array [T] or None; at a True step every machine returns to
            its start state before reading that step's input.
        state : int array [N] to start from (default: the start states); it is
            not modified.
        """
        inputs, resets = self._prepare(inputs, resets)
        check_bytes(self.memory_estimate(inputs.shape[0]), "the state trace", self.max_bytes)
        current = self._checked_state(state)
        trace = np.empty((inputs.shape[0], self.n_machines), dtype=self.state_dtype)  # [T, N]
        block = kernels.block_size(self.transitions)
        for lo, hi, codes, flags in self._chunks(inputs, resets):
            kernels.step_trace(self.transitions, self.start, codes, flags, current,
                               trace[lo:hi], block)
        return trace

    def final_states(self, inputs, resets=None, state=None) -> np.ndarray:
        """The state of every machine after the last input [N]; no trace is kept."""
        inputs, resets = self._prepare(inputs, resets)
        current = self._checked_state(state)
        block = kernels.block_size(self.transitions)
        for _, _, codes, flags in self._chunks(inputs, resets):
            kernels.step_final(self.transitions, self.start, codes, flags, current, block)
        return current

    def iter_states(self, inputs, resets=None,
                    chunk_steps: int = CHUNK_STEPS) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(t0, states[t0:t0+chunk])`` chunks of the trace; memory stays one chunk."""
        inputs, resets = self._prepare(inputs, resets)
        current = self.initial_state()
        block = kernels.block_size(self.transitions)
        for lo, hi, codes, flags in self._chunks(inputs, resets, chunk_steps):
            # a new array per chunk, so chunks a caller keeps are not overwritten by the next
            trace = np.empty((hi - lo, self.n_machines), dtype=self.state_dtype)  # [chunk, N]
            kernels.step_trace(self.transitions, self.start, codes, flags, current, trace, block)
            yield lo, trace

    def output_features(self, inputs, resets=None) -> np.ndarray:
        """Each machine's output after each input: [T, N] float32 (the original question's
        features)."""
        inputs, resets = self._prepare(inputs, resets)
        check_bytes(self.memory_estimate(inputs.shape[0], "output"), "the output features",
                    self.max_bytes)
        current = self.initial_state()
        features = np.empty((inputs.shape[0], self.n_machines), dtype=np.float32)  # [T, N]
        block = kernels.block_size(self.transitions)
        for lo, hi, codes, flags in self._chunks(inputs, resets):
            kernels.step_outputs(self.transitions, self.outputs, self.start, codes, flags,
                                 current, features[lo:hi], block)
        return features

    def state_features(self, inputs, resets=None) -> StateFeatures:
        """One-hot state features [T, sum(n_states)], kept as state indices (never dense)."""
        return StateFeatures(self.run(inputs, resets), self.n_states)

    def features(self, kind: str, inputs, resets=None):
        """``"output"`` -> :meth:`output_features`; ``"state"`` -> :meth:`state_features`."""
        if kind == "output":
            return self.output_features(inputs, resets)
        if kind == "state":
            return self.state_features(inputs, resets)
        raise ValueError(f"features must be 'output' or 'state', got {kind!r}")

    def __repr__(self) -> str:
        return (f"MachineBank({self.n_machines} machines, {self.n_symbols} symbols, "
                f"up to {self.max_states} states)")
