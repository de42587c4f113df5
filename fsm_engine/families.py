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
from .params import Param, check_values

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
    transitions = rng.integers(0, n_states, size=(n_symbols, n, n_states),
                               dtype=state_dtype(n_states))                       # [X, n, S]
    if stay > 0:
        keep = rng.random((n_symbols, n, n_states)) < stay
        transitions = np.where(keep, np.arange(n_states)[None, None, :], transitions)
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
    """A family's generator and the parameters it reads (names in :data:`PARAMS`)."""

    generate: Callable[..., Block]
    params: tuple[str, ...]
    summary: str


#: every family parameter, declared once (a new one is one line here plus its name in the
#: families that read it); they are ``make_bank`` keywords and parameters of the ``fsm`` model
PARAMS = (
    Param("n_states", "int", 8, "states of each random or permutation machine", 1,
          MAX_FAMILY_STATES, label="states per machine"),
    Param("stay", "float", 0.0, "random machines: the chance that a transition stays in its "
          "state (higher = slower, longer memory)", 0.0, 1.0, step=0.01,
          label="stay probability"),
    Param("k", "int", 2, "delay lines remember exactly the last k symbols", 1, 16,
          label="delay k"),
    Param("modulus", "int", 3, "counters count one symbol modulo this number", 2,
          MAX_FAMILY_STATES, label="count modulo"),
)
PARAM_TABLE = {p.name: p for p in PARAMS}

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
#: machines generated at once while a bank is built: bounds the generators' temporaries
#: (about 30 bytes per table entry) whatever the bank's size
BUILD_CHUNK = 16_384
#: most machines in one bank, and most symbols in its alphabet
MAX_MACHINES = 10_000_000
MAX_SYMBOLS = 4096
_N_MACHINES = Param("n_machines", "int", 1, "number of machines", 1, MAX_MACHINES)
_SEED = Param("seed", "int", 0, "random seed", 0, 2**63 - 1)


def parse_mix(text: str) -> dict[str, float]:
    """Parse ``"random:0.7,delay_line:0.3"`` (a bare name means fraction 1) into a mix dict."""
    if not isinstance(text, str):
        raise FSMError(f"the family mix must be text like 'random:0.7,delay_line:0.3', "
                       f"got {text!r}")
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, fraction = part.partition(":")
        try:
            mix[name.strip()] = float(fraction) if fraction else 1.0
        except ValueError:
            raise FSMError(f"family fraction {fraction!r} for {name!r} is not a number") from None
    return mix


def _counts(mix, n_machines: int) -> dict[str, int]:
    """Split ``n_machines`` by the fractions (largest remainder, so counts add up exactly)."""
    if isinstance(mix, str):
        mix = parse_mix(mix)
    if not isinstance(mix, dict) or not mix:
        raise FSMError("the family mix is empty; name at least one family, e.g. 'random'")
    for name, fraction in mix.items():
        if name not in FAMILIES:
            raise FSMError(f"unknown family {name!r}; families are {', '.join(FAMILIES)}")
        if isinstance(fraction, (bool, np.bool_)) \
                or not isinstance(fraction, (int, float, np.integer, np.floating)) \
                or not np.isfinite(fraction) or fraction < 0:
            raise FSMError(f"fraction of {name!r} is {fraction!r}; fractions must be finite "
                           "numbers >= 0")
    largest = max(float(f) for f in mix.values())
    if largest <= 0:
        raise FSMError("the family fractions add up to 0; give at least one a positive fraction")
    shares = {name: float(f) / largest for name, f in mix.items()}     # in [0, 1]: no overflow
    total = sum(shares.values())
    exact = {name: n_machines * share / total for name, share in shares.items()}
    counts = {name: int(np.floor(v)) for name, v in exact.items()}
    short = n_machines - sum(counts.values())
    for name in sorted(exact, key=lambda k: counts[k] - exact[k])[:short]:
        counts[name] += 1
    return counts


def _alphabet(alphabet) -> tuple:
    """The shared symbols: a sequence of str (a str: one symbol per character), or an int X
    for ``"0".."X-1"`` (the size is checked before any symbol is made)."""
    if isinstance(alphabet, (int, np.integer)) and not isinstance(alphabet, (bool, np.bool_)):
        if not 1 <= alphabet <= MAX_SYMBOLS:
            raise FSMError(f"the alphabet size is {alphabet}; it must be 1..{MAX_SYMBOLS}")
        return tuple(str(i) for i in range(alphabet))
    if not hasattr(alphabet, "__len__"):
        raise FSMError(f"the alphabet must be a sequence of symbols or a number of symbols, "
                       f"got {alphabet!r}")
    if not 1 <= len(alphabet) <= MAX_SYMBOLS:
        raise FSMError(f"the alphabet has {len(alphabet)} symbols; it must have 1..{MAX_SYMBOLS}")
    return tuple(alphabet)


def make_bank(mix, n_machines: int, alphabet, seed: int = 0, *, max_bytes: int | None = None,
              **family_params) -> MachineBank:
    """A bank of ``n_machines`` drawn from a mixture of families.

    Parameters
    ----------
    mix : dict ``{family: fraction}``, or a string for :func:`parse_mix`, or one family name.
    n_machines : how many machines in all (a whole number, 1 .. ``MAX_MACHINES``).
    alphabet : the shared symbols (a sequence of str), or an int X for symbols ``"0".."X-1"``.
    seed : every machine is drawn from ``np.random.default_rng(seed)`` (a whole number >= 0).
    max_bytes : cap on the bank's arrays (default: the bank's default cap).
    **family_params : the parameters in :data:`PARAMS` (``n_states``, ``stay``, ``k``,
        ``modulus``); missing ones take their defaults.

    Returns
    -------
    MachineBank with the families' machines in the order of ``mix``.  Machines are
    generated ``BUILD_CHUNK`` at a time straight into the bank's arrays, so building
    a million machines needs little more memory than the bank itself.

    Raises
    ------
    FSMError / CapacityError on unknown families or parameters, bad values or fractions,
    or a bank over the cap (checked before anything is allocated).
    """
    n_machines = _N_MACHINES.check("make_bank", n_machines)
    seed = _SEED.check("make_bank", seed)
    values = check_values("make_bank", PARAMS, family_params)
    counts = _counts(mix, n_machines)
    alphabet = _alphabet(alphabet)
    sizes = {name: _family_states(name, len(alphabet), values) for name in counts}
    max_states = max(sizes[name] for name, c in counts.items() if c)
    cap = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    dtype = state_dtype(max_states)
    n_symbols = len(alphabet)
    check_bytes(_build_bytes(n_machines, n_symbols, max_states), "building the bank", cap)
    rng = np.random.default_rng(seed)
    transitions = np.zeros((n_symbols, n_machines, max_states), dtype=dtype)        # [X, N, S]
    outputs = np.zeros((n_machines, max_states), dtype=np.float32)                 # [N, S]
    n_states_each = np.empty(n_machines, dtype=np.int64)                           # [N]
    lo = 0
    for name, count in counts.items():
        family = FAMILIES[name]
        options = {p: values[p] for p in family.params}
        for chunk_lo in range(lo, lo + count, BUILD_CHUNK):
            chunk = min(BUILD_CHUNK, lo + count - chunk_lo)
            block = family.generate(chunk, n_symbols, rng, **options)
            rows = slice(chunk_lo, chunk_lo + chunk)
            transitions[:, rows, :block.n_states] = block.transitions
            outputs[rows, :block.n_states] = block.outputs
            n_states_each[rows] = block.n_states
        lo += count
    return MachineBank(alphabet, transitions, outputs, np.zeros(n_machines, dtype=np.int64),
                       n_states_each, max_bytes=cap)


def build_bytes(mix, n_machines: int, alphabet, **family_params) -> int:
    """Bytes :func:`make_bank` needs at its peak for these arguments (checked against its cap)."""
    values = check_values("make_bank", PARAMS, family_params)
    counts = _counts(mix, _N_MACHINES.check("make_bank", n_machines))
    n_symbols = len(_alphabet(alphabet))
    max_states = max(_family_states(name, n_symbols, values)
                     for name, count in counts.items() if count)
    return _build_bytes(n_machines, n_symbols, max_states)


def _build_bytes(n_machines: int, n_symbols: int, max_states: int) -> int:
    # the bank's arrays, plus the int64/float64 temporaries of one chunk being generated
    table = n_symbols * n_machines * max_states * state_dtype(max_states).itemsize
    temporaries = n_symbols * min(n_machines, BUILD_CHUNK) * max_states * 32
    return table + n_machines * max_states * 4 + temporaries


def family_labels(mix, n_machines: int) -> np.ndarray:
    """The family name of each machine of ``make_bank(mix, n_machines, ...)``: str array [N]."""
    counts = _counts(mix, _N_MACHINES.check("family_labels", n_machines))
    return np.repeat(np.array(list(counts), dtype=object), list(counts.values()))


def make_machine(family: str, alphabet, seed: int = 0, **params) -> Machine:
    """One machine of ``family`` (e.g. for the Machine page's "randomise"), its states named
    by what they remember where the family says (:func:`name_states`)."""
    return name_states(make_bank({family: 1.0}, 1, alphabet, seed, **params).machine(0), family)


#: how a whitespace symbol shows inside a state name (a name cannot hold a control character
#: nor start or end with a space)
VISIBLE_SYMBOLS = {" ": "\u2423", "\n": "\u23ce", "\t": "\u21e5", "\r": "\u240d"}


def state_names(family: str, alphabet, n_states: int) -> tuple[str, ...] | None:
    """Names saying what each state of a ``family`` machine with ``n_states`` states over
    ``alphabet`` remembers, or None when its states mean nothing in words (random,
    permutation) or the size does not fit the family.

    * delay line: the last k symbols read, oldest first (``"aab"``: read a, a, then b);
      symbols longer than one character are joined with ``"·"``;
    * counter: ``"count 0"`` .. ``"count m-1"``; parity: ``"even"``, ``"odd"``;
    * gated cell: ``"empty"``, ``"armed"``, ``"holding a"``, ...

    Whitespace symbols show as visible marks (:data:`VISIBLE_SYMBOLS`).
    """
    shown = [VISIBLE_SYMBOLS.get(str(a), str(a)) for a in alphabet]
    if family == "delay_line":
        n_symbols, k = len(shown), 1
        while n_symbols ** k < n_states:
            k += 1
        if n_symbols < 2 or n_symbols ** k != n_states:
            return None
        joiner = "" if all(len(a) == 1 for a in shown) else "\u00b7"
        return tuple(joiner.join(shown[(s // n_symbols ** (k - 1 - j)) % n_symbols]
                                 for j in range(k)) for s in range(n_states))
    if family == "counter":
        return tuple(f"count {s}" for s in range(n_states))
    if family == "parity":
        return ("even", "odd") if n_states == 2 else None
    if family == "gated_cell":
        if n_states != len(shown) + 2:
            return None
        return ("empty", "armed", *(f"holding {a}" for a in shown))
    return None


def name_states(machine: Machine, family: str) -> Machine:
    """``machine`` (a member of ``family``) with its states named by :func:`state_names`, or
    unchanged when the family has no names for it or they are not valid distinct names."""
    names = state_names(family, machine.alphabet, machine.n_states)
    if names is None or len(set(names)) != len(names):
        return machine
    try:
        return Machine(machine.alphabet, machine.transitions, machine.outputs, machine.start,
                       names)
    except FSMError:
        return machine


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
