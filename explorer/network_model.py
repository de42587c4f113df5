"""Engine glue of the Network page: settings -> a built, run and summarised network.

A :class:`NetworkSpec` is the page's settings as one hashable value.
:func:`load_network` checks it against :data:`~explorer.limits.LIMITS` before
anything big is allocated, then returns :func:`build_network`'s result from a
``st.cache_resource`` keyed by the spec, so a rerun never rebuilds what did not
change.  The result is immutable (read-only arrays) and is shared by every
session.

:func:`build_network` never holds the whole ``[T, N]`` state trace: it streams
the run in chunks and keeps what the page shows — per-machine statistics, a
thinned raster sample, per-family state occupancy and the rank of the feature
matrices on a sample.  One machine's own trace is recomputed on demand by
:func:`machine_states` (a single-machine run, microseconds).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from fsm_engine import Machine, analysis, tasks
from fsm_engine.analysis import Rank, step_position, thin
from fsm_engine.bank import MachineBank
from fsm_engine.errors import CapacityError, FSMError
from fsm_engine.families import FAMILIES, VISIBLE_SYMBOLS, family_labels, make_bank, name_states

from . import limits as _limits

#: tasks whose ``T`` parameter is the stream length: they are made exactly as long as asked
STREAM_LENGTH_TASKS = ("delayed_recall", "memory_capacity", "temporal_parity",
                       "temporal_density", "text", "series")
#: shortest stream a task's ``T`` parameter accepts
MIN_TASK_STEPS = 100
#: how typed whitespace is shown as an alphabet symbol (diagram labels stay visible)
VISIBLE_SPACE = "\u2423"


@dataclass(frozen=True)
class NetworkSpec:
    """Everything that decides a network and its input (the Network page's settings)."""

    mix: tuple            # ((family, fraction), ...) in FAMILIES order
    n_machines: int
    n_states: int
    stay: float
    k: int
    modulus: int
    seed: int
    source: str           # a task name, or "typed text"
    text: str
    n_steps: int

    @property
    def mix_dict(self) -> dict:
        """The families with a positive fraction: ``{family: fraction}``."""
        return {name: fraction for name, fraction in self.mix if fraction > 0}


#: session-state name of the last network the Network page built (never a widget key);
#: the Train page's "use the Network page's network" reads it
LAST_SPEC = "network_last_spec"
#: the Network page's setting of each family parameter
FAMILY_SETTINGS = {"n_states": "net_states", "stay": "net_stay", "k": "net_k",
                   "modulus": "net_modulus"}


def mix_key(family: str) -> str:
    """The Network page's setting of ``family``'s share of the mix."""
    return f"net_mix_{family}"


def spec_from(value: Callable[[str], Any]) -> NetworkSpec:
    """The network the Network page's settings describe, each read by ``value(key)`` (the
    page passes the settings' current values, the Train page their defaults)."""
    return NetworkSpec(
        mix=tuple((name, float(value(mix_key(name)))) for name in FAMILIES),
        n_machines=int(value("net_machines")), n_states=int(value("net_states")),
        stay=float(value("net_stay")), k=int(value("net_k")), modulus=int(value("net_modulus")),
        seed=int(value("net_seed")), source=value("net_input"), text=value("net_text"),
        n_steps=int(value("net_steps")))


@dataclass(frozen=True, eq=False)
class Stream:
    """The input every machine reads."""

    alphabet: tuple       # symbols, codes 0..X-1
    inputs: np.ndarray    # [T] int64 codes
    resets: np.ndarray    # [T] bool, True where every machine returns to its start state
    note: str             # one plain sentence about where the input came from



@dataclass(frozen=True, eq=False)
class Network:
    """A built and run network and the summaries the page draws (all arrays read-only)."""

    spec: NetworkSpec
    stream: Stream
    bank: MachineBank
    families: np.ndarray        # [N] family name of each machine
    changes: np.ndarray         # [N] int64, steps at which the machine's state changed
    entropy: np.ndarray         # [N] float64, entropy (bits) of the machine's state occupancy
    occupancy: dict             # {family: float [S_f]}, share of machine-steps in each state
    raster_steps: np.ndarray    # [T'] time steps of the raster sample
    raster_machines: np.ndarray  # [M] machines of the raster sample
    raster_states: np.ndarray   # [T', M] their states
    raster_outputs: np.ndarray  # [T', M] float32, their outputs
    output_rank: Rank
    state_rank: Rank

    @property
    def n_steps(self) -> int:
        return int(self.stream.inputs.shape[0])


def typed_text_stream(text: str, n_steps: int, max_symbols: int) -> Stream:
    """The typed text read one character per step, repeated until ``n_steps`` inputs.

    Parameters
    ----------
    text : what the user typed.
    n_steps : how many inputs to make.
    max_symbols : cap on the number of distinct characters.

    Returns
    -------
    Stream whose alphabet is the text's distinct characters, sorted (a space
    shows as ``VISIBLE_SPACE``), with one reset at the first step.

    Raises
    ------
    FSMError when the text is empty; CapacityError when it has more than
    ``max_symbols`` distinct characters.
    """
    text = text.replace(" ", VISIBLE_SPACE)
    if not text:
        raise FSMError("the typed text is empty; type a few characters for the machines to read")
    alphabet = tuple(sorted(set(text)))
    if len(alphabet) > max_symbols:
        raise CapacityError(
            f"the typed text has {len(alphabet)} different characters, over the cap of "
            f"{max_symbols} symbols; use fewer different characters")
    code = {symbol: i for i, symbol in enumerate(alphabet)}
    codes = np.array([code[c] for c in text], dtype=np.int64)                  # [len(text)]
    inputs = np.resize(codes, n_steps)                                          # [T], repeated
    resets = np.zeros(n_steps, dtype=bool)
    resets[0] = True
    repeats = f", repeated {n_steps / len(text):.1f} times" if n_steps > len(text) else ""
    return Stream(alphabet, inputs, resets,
                  f"your text ({len(text):,} characters{repeats}), one character per step")


def task_stream(name: str, n_steps: int, seed: int, max_symbols: int) -> Stream:
    """The first ``n_steps`` inputs of task ``name`` (its alphabet, its episode resets).

    Parameters
    ----------
    name : a :data:`fsm_engine.tasks.NAMES` entry, made with its defaults except the
        stream length (``STREAM_LENGTH_TASKS``) and the text alphabet cap.
    n_steps : inputs wanted; a task with a fixed stream may have fewer (the note says so).
    seed : the task's seed.
    max_symbols : alphabet cap passed to the text task.

    Raises
    ------
    TaskError from the task library.
    """
    params = {"seed": seed}
    if name in STREAM_LENGTH_TASKS:
        params["T"] = max(n_steps, MIN_TASK_STEPS)
    if name == "text":
        params["max_symbols"] = max_symbols
    task = tasks.make(name, **params)
    used = min(n_steps, task.T)
    short = (f" — the task's whole stream is {task.T:,} steps, fewer than the {n_steps:,} asked"
             if task.T < n_steps else "")
    episodes = int(task.resets[:used].sum())
    return Stream(task.alphabet, task.inputs[:used], task.resets[:used],
                  f"the inputs of the task {name.replace('_', ' ')} ({used:,} steps, "
                  f"{episodes:,} episode{'s' if episodes != 1 else ''}){short}")


def make_stream(spec: NetworkSpec, limits=None) -> Stream:
    """The input of ``spec``: a task's stream, or the typed text when ``spec.source`` is not a task.

    Raises
    ------
    FSMError (TaskError, CapacityError) as :func:`task_stream` / :func:`typed_text_stream`.
    """
    limits = limits or _limits.LIMITS
    if spec.source in tasks.NAMES:
        return task_stream(spec.source, spec.n_steps, spec.seed, limits.max_symbols)
    return typed_text_stream(spec.text, spec.n_steps, limits.max_symbols)


def check_request(spec: NetworkSpec, stream: Stream, limits=None) -> None:
    """Refuse a request over a cap before anything big is allocated.

    Raises
    ------
    CapacityError naming the cap (machines, steps, symbols, states per machine);
    FSMError for an empty family mix.  The bank's own byte cap is checked by
    :func:`~fsm_engine.families.make_bank` when it is built.
    """
    limits = limits or _limits.LIMITS
    check_sizes(spec, limits)
    over = _first_over([
        (len(stream.alphabet), limits.max_symbols, "input symbols")])
    if over:
        raise CapacityError(over)
    if not spec.mix_dict:
        raise FSMError("every family's share is 0; give at least one family a share above 0")
    for family in spec.mix_dict:
        n_states = _probe(spec, family, stream.alphabet).max_states
        if n_states > limits.max_states:
            raise CapacityError(
                f"{family.replace('_', ' ')} machines would have {n_states:,} states with these "
                f"settings ({len(stream.alphabet)} input symbols), over the cap of "
                f"{limits.max_states} states per machine")


def check_sizes(spec: NetworkSpec, limits=None) -> None:
    """Refuse sizes over a cap from ``spec``'s numbers alone, before its stream is built.

    Raises
    ------
    CapacityError naming the cap: machines, input steps, or (typed text) characters, the
    longest text being ``max_steps`` characters, as the text box allows.
    """
    limits = limits or _limits.LIMITS
    requests = [(spec.n_machines, limits.max_machines, "machines"),
                (spec.n_steps, limits.max_steps, "input steps")]
    if spec.source not in tasks.NAMES:
        requests.append((len(spec.text), limits.max_steps, "characters of typed text"))
    over = _first_over(requests)
    if over:
        raise CapacityError(over)


def _first_over(requests) -> str | None:
    for value, cap, what in requests:
        if value > cap:
            return f"{value:,} {what} is over the cap of {cap:,} {what}"
    return None


def _probe(spec: NetworkSpec, family: str, alphabet: tuple) -> MachineBank:
    """A one-machine bank of ``family`` with ``spec``'s parameters (to learn its size)."""
    return make_bank({family: 1.0}, 1, alphabet, spec.seed, n_states=spec.n_states,
                     stay=spec.stay, k=spec.k, modulus=spec.modulus)


def load_network(spec: NetworkSpec) -> Network:
    """Check ``spec`` against the caps, then the cached network built from it.

    Raises
    ------
    FSMError (CapacityError, TaskError, ...) with a message for the user; nothing is cached then.
    """
    check_sizes(spec)                      # before the stream of that size is built
    check_request(spec, make_stream(spec))
    return cached_network(spec)


@st.cache_resource(max_entries=4, show_spinner="Building and running the network…")
def cached_network(spec: NetworkSpec) -> Network:
    """:func:`build_network`, shared by every session (its result is immutable)."""
    return build_network(spec)


def build_network(spec: NetworkSpec, limits=None) -> Network:
    """Build the bank of ``spec``, run it over its input, and summarise the run.

    Parameters
    ----------
    spec : the settings.
    limits : caps (default :data:`~explorer.limits.LIMITS`): the byte cap of the bank,
        the raster sample and the rank sample sizes.

    Raises
    ------
    FSMError / CapacityError from the engine (e.g. the bank would exceed the byte cap).
    """
    limits = limits or _limits.LIMITS
    stream = make_stream(spec, limits)
    bank = make_bank(spec.mix_dict, spec.n_machines, stream.alphabet, spec.seed,
                     n_states=spec.n_states, stay=spec.stay, k=spec.k, modulus=spec.modulus,
                     max_bytes=limits.max_bytes)
    n_steps, n_machines = stream.inputs.shape[0], bank.n_machines
    raster_steps = thin(n_steps, limits.raster_steps)                          # [T']
    raster_machines = thin(n_machines, limits.raster_machines)                 # [M]
    rank_steps = thin(n_steps, limits.rank_steps)                              # [R]
    rank_machines = thin(n_machines, limits.rank_machines)                     # [Q]
    run = analysis.summarise_run(bank, stream.inputs, stream.resets,
                                 [(raster_steps, raster_machines), (rank_steps, rank_machines)])
    changes, visits, (raster_states, rank_states) = run
    families = family_labels(spec.mix_dict, n_machines)
    network = Network(
        spec=spec, stream=stream, bank=bank, families=families, changes=changes,
        entropy=analysis.occupancy_entropy(visits, bank.n_states, n_steps),
        occupancy=analysis.family_occupancy(visits, bank.n_states, families),
        raster_steps=raster_steps, raster_machines=raster_machines, raster_states=raster_states,
        raster_outputs=bank.outputs[raster_machines[None, :], raster_states],
        output_rank=analysis.output_rank(bank, rank_machines, rank_states),
        state_rank=analysis.state_rank(bank, rank_machines, rank_states))
    for array in (families, changes, network.entropy, raster_steps, raster_machines,
                  raster_states, network.raster_outputs, stream.inputs, stream.resets,
                  *network.occupancy.values()):
        array.flags.writeable = False
    return network


def machine_states(network: Network, index: int) -> np.ndarray:
    """The state of machine ``index`` after each input of the network's run (resets included).

    Returns
    -------
    int64 array [T].
    """
    single = network.bank.subset([index])
    return single.run(network.stream.inputs, network.stream.resets)[:, 0].astype(np.int64)


def position(states: np.ndarray, stream: Stream, start: int, t: int):
    """Where one machine is after ``t`` inputs: ``(state, edge)`` for ``Machine.to_dot``.

    Parameters
    ----------
    states : int array [T], the machine's state after each input (:func:`machine_states`).
    stream : the inputs it read.
    start : its start state.
    t : inputs read, ``0 .. T``.

    Returns
    -------
    ``(start, None)`` at ``t = 0``; otherwise the state after the ``t``-th input and
    ``(state before, symbol read)`` — the state before is the start state at a reset.
    """
    state, before = step_position(states, start, t, stream.resets)
    return state, None if before is None else (before, stream.alphabet[int(stream.inputs[t - 1])])


def drill_machine(network: Network, index: int) -> Machine:
    """Machine ``index`` of the network, its states named by what they remember where its
    family says (a delay line's states are the symbols it holds, not q0, q1, ...)."""
    return name_states(network.bank.machine(index), str(network.families[index]))


@dataclass(frozen=True)
class MachinePageView:
    """What the Machine page needs to continue one network machine at a time ``t``."""

    machine: Machine     # its alphabet typeable, its start the state the tape starts in
    tape: str            # the network's inputs from ``start`` on, as the Machine page's input
    position: int        # symbols of ``tape`` read at time t
    start: int           # the network input the tape starts at
    source: str          # where the machine came from, for the Machine page's caption


def machine_page_view(network: Network, index: int, t: int, max_tape: int | None = None
                      ) -> MachinePageView:
    """Machine ``index`` and the network's input around time ``t``, as the Machine page's
    machine, typed input and step, so it continues exactly where the network is.

    The tape is the episode being read at ``t`` (the Machine page knows no resets),
    at most ``max_tape`` symbols with ``t`` inside; when it starts after the episode's
    first input, the machine starts in the state it was in there.  Whitespace symbols
    are renamed to visible marks (the Machine page's input is typed).

    Raises
    ------
    FSMError when the alphabet cannot be typed (never for the page's tasks and texts).
    """
    max_tape = max_tape or _limits.LIMITS.max_tape
    stream, n_steps = network.stream, network.n_steps
    machine, family = drill_machine(network, index), str(network.families[index])
    episode = np.flatnonzero(stream.resets[:max(t, 1)])                      # resets up to t-1
    first = int(episode[-1]) if episode.size else 0
    lo = max(first, t - max_tape // 2)
    later = np.flatnonzero(stream.resets[lo + 1:])
    hi = min(n_steps, lo + max_tape, lo + 1 + int(later[0]) if later.size else n_steps)
    start = machine.start
    if lo > first:
        start = int(machine_states(network, index)[lo - 1])
    alphabet = _typeable(machine.alphabet)
    typed = Machine(alphabet, machine.transitions, machine.outputs, start, machine.states)
    codes = stream.inputs[lo:hi]                                                # [hi - lo]
    joiner = "" if all(len(a) == 1 for a in alphabet) else " "
    tape = joiner.join(alphabet[int(x)] for x in codes)
    if not np.array_equal(typed.encode(tape), codes):
        raise FSMError("this machine's symbols cannot be typed as the Machine page's input")
    source = f"network machine {index} ({family.replace('_', ' ')})"
    if lo > 0:
        source += f", from input {lo:,} on"
    return MachinePageView(typed, tape, t - lo, lo, source)


def _typeable(alphabet: tuple) -> tuple:
    """``alphabet`` with whitespace symbols shown as visible marks (when that keeps them
    distinct); typed input cannot hold a space or a newline as a symbol."""
    shown = tuple(VISIBLE_SYMBOLS.get(a, a) for a in alphabet)
    return shown if len(set(shown)) == len(shown) else alphabet
