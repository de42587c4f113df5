"""Machine families: seeded generators of many machines at once, as bank arrays.

Each family function returns a :class:`Block` of ``n`` machines over ``n_symbols``
symbols, built with vectorised NumPy (10 000 machines take milliseconds).  Its
docstring says what those machines remember — the honest intuition for what a
readout on top of them can and cannot learn.  :func:`make_bank` mixes families
by fractions into one :class:`~fsm_engine.bank.MachineBank`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .bank import DEFAULT_MAX_BYTES, MachineBank, check_bytes, state_dtype
from .errors import CapacityError, FSMError
from .machine import Machine

#: largest state count a generated machine may have (delay lines grow as X**k)
MAX_FAMILY_STATES = 4096


@dataclass(frozen=True)
class Block:
    """``n`` machines of one family with the same state count ``S``."""

    transitions: np.ndarray   # [X, n, S] int64
    outputs: np.ndarray       # [n, S] float32
    family: str

    @property
    def n_states(self) -> int:
        return self.transitions.shape[2]


def _spread(count: int) -> np.ndarray:
    """``count`` evenly spaced values in [-1, 1] (0 for a single value)."""
    return np.linspace(-1.0, 1.0, count) if count > 1 else np.zeros(1)


def random(n: int, n_symbols: int, rng: np.random.Generator, n_states: int = 8,
           stay: float = 0.0) -> Block:
    """Random machines: every transition goes to a uniformly random state, except that
    with probability ``stay`` it stays put.  Outputs are uniform in [-1, 1].

    Remembers: a random, fading summary of the recent past.  ``stay`` sets the
    time-scale: a machine keeps its state for about ``1 / (1 - stay)`` steps.
    """
    _check_range("stay", stay, 0.0, 1.0)
    targets = rng.integers(0, n_states, size=(n_symbols, n, n_states))          # [X, n, S]
    keep = rng.random((n_symbols, n, n_states)) < stay
    transitions = np.where(keep, np.arange(n_states)[None, None, :], targets)
    outputs = rng.uniform(-1.0, 1.0, size=(n, n_states)).astype(np.float32)    # [n, S]
    return Block(transitions, outputs, "random")


def delay_line(n: int, n_symbols: int, rng: np.random.Generator, k: int = 2) -> Block:
    """Shift registers: the state is the last ``k`` symbols (``X**k`` states).

    Remembers: exactly the last ``k`` inputs, nothing older.  The output is the
    oldest remembered symbol spread over [-1, 1]; one-hot state features make a
    bank of these an n-gram model.
    """
    n_states = n_symbols ** k
    _check_states("delay_line", n_states, f"{n_symbols} symbols ** k={k}")
    state = np.arange(n_states)
    shifted = (state * n_symbols) % n_states                                      # [S]
    table = shifted[None, :] + np.arange(n_symbols)[:, None]                      # [X, S]
    transitions = np.broadcast_to(table[:, None, :], (n_symbols, n, n_states)).copy()
    oldest = state // (n_symbols ** (k - 1))
    outputs = np.broadcast_to(_spread(n_symbols)[oldest], (n, n_states)).astype(np.float32)
    return Block(transitions, outputs.copy(), "delay_line")


def counter(n: int, n_symbols: int, rng: np.random.Generator, modulus: int = 3) -> Block:
    """Counters: each machine counts one (randomly chosen) symbol modulo ``modulus``.

    Remembers: how many times its symbol occurred, modulo ``modulus`` — over the
    whole episode, never forgetting (no synchronising word).
    """
    _check_states("counter", modulus, f"modulus={modulus}")
    counted = rng.integers(0, n_symbols, size=n)                                  # [n]
    state = np.arange(modulus)
    transitions = np.broadcast_to(state, (n_symbols, n, modulus)).copy()
    hit = np.arange(n_symbols)[:, None] == counted[None, :]                       # [X, n]
    transitions[hit] = (state + 1) % modulus
    outputs = np.broadcast_to(_spread(modulus), (n, modulus)).astype(np.float32)
    return Block(transitions, outputs.copy(), "counter")


def parity(n: int, n_symbols: int, rng: np.random.Generator) -> Block:
    """Parity machines: a counter modulo 2 of one (randomly chosen) symbol; outputs ±1.

    Remembers: one bit, the parity of its symbol's count so far.
    """
    block = counter(n, n_symbols, rng, modulus=2)
    return Block(block.transitions, block.outputs, "parity")


def gated_cell(n: int, n_symbols: int, rng: np.random.Generator) -> Block:
    """Gated memory cells, an LSTM-like latch over a symbol alphabet.

    States: 0 ``empty``, 1 ``armed``, ``2 + x`` ``holding x``.  Each machine has a
    random write symbol and (when the alphabet has three or more symbols) a
    different random forget symbol.  Reading the write symbol arms the cell; the
    next input, whatever it is, is stored; the forget symbol clears the cell;
    anything else leaves it unchanged.  Output: the stored symbol spread over
    [-1, 1], 0 when empty or armed.

    Remembers: one symbol, chosen by a gate, for as long as no write or forget comes.
    """
    n_states = n_symbols + 2
    _check_states("gated_cell", n_states, f"{n_symbols} symbols + 2")
    write = rng.integers(0, n_symbols, size=n)                                    # [n]
    if n_symbols >= 3:
        forget = (write + rng.integers(1, n_symbols, size=n)) % n_symbols         # != write
    else:
        forget = np.full(n, -1)                                                   # no forget symbol
    symbols = np.arange(n_symbols)[:, None]                                       # [X, 1]
    transitions = np.broadcast_to(np.arange(n_states), (n_symbols, n, n_states)).copy()
    transitions[:, :, 1] = 2 + symbols                                            # armed: store x
    is_write = (symbols == write[None, :])                                        # [X, n]
    is_forget = (symbols == forget[None, :])
    not_armed = np.array([0] + list(range(2, n_states)))
    for s in not_armed:
        transitions[:, :, s] = np.where(is_write, 1, np.where(is_forget, 0, s))
    outputs = np.zeros((n, n_states), dtype=np.float32)
    outputs[:, 2:] = _spread(n_symbols)
    return Block(transitions, outputs, "gated_cell")


def permutation(n: int, n_symbols: int, rng: np.random.Generator, n_states: int = 8) -> Block:
    """Permutation machines: every symbol permutes the states (a group automaton).

    Remembers: everything it ever saw, in a scrambled form — no input makes it
    forget (no synchronising word), so old and new inputs mix forever.  Outputs
    are uniform in [-1, 1].
    """
    keys = rng.random((n_symbols, n, n_states))
    transitions = np.argsort(keys, axis=2)                                        # [X, n, S]
    outputs = rng.uniform(-1.0, 1.0, size=(n, n_states)).astype(np.float32)
    return Block(transitions, outputs, "permutation")


@dataclass(frozen=True)
class Family:
    """A family's generator and the parameters it reads (names of make_bank keywords)."""

    generate: Callable[..., Block]
    params: tuple[str, ...]
    summary: str


FAMILIES: dict[str, Family] = {
    "random": Family(random, ("n_states", "stay"),
                     "random transitions; 'stay' sets the memory time-scale"),
    "delay_line": Family(delay_line, ("k",),
                         "shift register: remembers exactly the last k symbols"),
    "counter": Family(counter, ("modulus",), "counts one symbol modulo a number"),
    "parity": Family(parity, (), "parity (one bit) of one symbol's count"),
    "gated_cell": Family(gated_cell, (), "a latch: a write symbol stores the next input, "
                                         "a forget symbol clears it"),
    "permutation": Family(permutation, ("n_states",),
                          "each symbol permutes the states; never forgets"),
}


def parse_mix(text: str) -> dict[str, float]:
    """Parse ``"random:0.7,delay_line:0.3"`` (a bare name means fraction 1) into a mix dict."""
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, fraction = part.partition(":")
        try:
            mix[name.strip()] = float(fraction) if fraction else 1.0
        except ValueError:
            raise FSMError(f"family fraction {fraction!r} for {name!r} is not a number") from None
    return mix


def _counts(mix: dict[str, float], n_machines: int) -> dict[str, int]:
    """Split ``n_machines`` by the fractions (largest remainder, so counts add up exactly)."""
    if not mix:
        raise FSMError("the family mix is empty; name at least one family, e.g. 'random'")
    for name, fraction in mix.items():
        if name not in FAMILIES:
            raise FSMError(f"unknown family {name!r}; families are {', '.join(FAMILIES)}")
        if not np.isfinite(fraction) or fraction < 0:
            raise FSMError(f"fraction of {name!r} is {fraction}; fractions must be >= 0")
    total = sum(mix.values())
    if total <= 0:
        raise FSMError("the family fractions add up to 0; give at least one a positive fraction")
    exact = {name: n_machines * f / total for name, f in mix.items()}
    counts = {name: int(np.floor(v)) for name, v in exact.items()}
    short = n_machines - sum(counts.values())
    for name in sorted(exact, key=lambda k: counts[k] - exact[k])[:short]:
        counts[name] += 1
    return counts


def make_bank(mix, n_machines: int, alphabet, seed: int = 0, *, n_states: int = 8,
              stay: float = 0.0, k: int = 2, modulus: int = 3,
              max_bytes: int | None = None) -> MachineBank:
    """A bank of ``n_machines`` drawn from a mixture of families.

    Parameters
    ----------
    mix : dict ``{family: fraction}``, or a string for :func:`parse_mix`, or one family name.
    n_machines : how many machines in all.
    alphabet : the shared symbols (a sequence of str), or an int X for symbols ``"0".."X-1"``.
    seed : every machine is drawn from ``np.random.default_rng(seed)``.
    n_states, stay, k, modulus : family parameters (see each family).
    max_bytes : cap on the bank's arrays (default: the bank's default cap).

    Returns
    -------
    MachineBank with the families' machines in the order of ``mix``.

    Raises
    ------
    FSMError / CapacityError on unknown families, bad fractions or oversize requests.
    """
    if isinstance(mix, str):
        mix = parse_mix(mix)
    if isinstance(alphabet, (int, np.integer)):
        alphabet = tuple(str(i) for i in range(alphabet))
    alphabet = tuple(alphabet)
    _check_range("n_machines", n_machines, 1, None)
    _check_range("n_states", n_states, 1, MAX_FAMILY_STATES)
    _check_range("k", k, 1, 16)
    _check_range("modulus", modulus, 2, MAX_FAMILY_STATES)
    values = {"n_states": int(n_states), "stay": float(stay), "k": int(k), "modulus": int(modulus)}
    counts = _counts(mix, int(n_machines))
    sizes = {name: _family_states(name, len(alphabet), values) for name in counts}
    max_states = max(sizes[name] for name, c in counts.items() if c)
    cap = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    dtype = state_dtype(max_states)
    # the table itself, plus a family's int64/float64 temporaries (about 3 per entry) while
    # it generates its block
    check_bytes(len(alphabet) * n_machines * max_states * (dtype.itemsize + 24),
                "building the bank", cap)
    rng = np.random.default_rng(seed)
    transitions = np.zeros((len(alphabet), n_machines, max_states), dtype=dtype)      # [X, N, S]
    outputs = np.zeros((n_machines, max_states), dtype=np.float32)                   # [N, S]
    n_states_each = np.empty(n_machines, dtype=np.int64)                             # [N]
    lo = 0
    for name, count in counts.items():
        if count == 0:
            continue
        family = FAMILIES[name]
        block = family.generate(count, len(alphabet), rng, **{p: values[p] for p in family.params})
        size = block.n_states
        transitions[:, lo:lo + count, :size] = block.transitions
        outputs[lo:lo + count, :size] = block.outputs
        n_states_each[lo:lo + count] = size
        lo += count
    return MachineBank(alphabet, transitions, outputs, np.zeros(n_machines, dtype=np.int64),
                       n_states_each, max_bytes=cap)


def family_labels(mix, n_machines: int) -> np.ndarray:
    """The family name of each machine of ``make_bank(mix, n_machines, ...)``: str array [N]."""
    if isinstance(mix, str):
        mix = parse_mix(mix)
    counts = _counts(mix, int(n_machines))
    return np.repeat(np.array(list(counts), dtype=object), list(counts.values()))


def make_machine(family: str, alphabet, seed: int = 0, **params) -> Machine:
    """One machine of ``family`` (e.g. for the Machine page's "randomise")."""
    return make_bank({family: 1.0}, 1, alphabet, seed, **params).machine(0)


def _family_states(name: str, n_symbols: int, values: dict) -> int:
    """The state count of a family's machines for these parameters (checked against the cap)."""
    size = {"random": values["n_states"], "permutation": values["n_states"],
            "delay_line": n_symbols ** values["k"], "counter": values["modulus"],
            "parity": 2, "gated_cell": n_symbols + 2}[name]
    _check_states(name, size, "")
    return size


def _check_states(family: str, n_states: int, how: str) -> None:
    if n_states > MAX_FAMILY_STATES:
        detail = f" ({how})" if how else ""
        raise CapacityError(
            f"{family} machines would have {n_states} states{detail}, over the cap of "
            f"{MAX_FAMILY_STATES}; use a smaller alphabet or parameter")


def _check_range(name: str, value, low, high) -> None:
    if (value is None or not np.isfinite(value) or value < low
            or (high is not None and value > high)):
        allowed = f">= {low}" if high is None else f"in {low}..{high}"
        raise FSMError(f"{name} is {value}; it must be {allowed}")
