"""The task library: benchmark sequence tasks as plain data, generated from a seed.

Every task is one input stream over a finite alphabet, with per-step targets, a
score mask and episode resets (see ``shared/TASKS.md`` for the definitions).
``make(name, **params)`` builds any of them; every generator takes ``seed=``.
``NAMES`` lists the tasks and ``describe(name)`` gives each parameter's default,
range and type, so a front end can build its widgets from one table.

Conventions shared by every task:

- arrays are read-only; ``inputs`` int64 [T]; class ``targets`` int64 [T];
  real ``targets`` float64 [T] or [T, D]; ``mask``, ``resets``, ``holdout`` bool [T];
- a target at a step that is not scored (``mask`` False) holds 0 and means nothing;
- ``holdout`` is the tail of an i.i.d. stream, or whole held-out episodes/strings;
- a task's stream is at most ``MAX_STEPS`` steps long; asking for more raises
  :class:`~fsm_engine.errors.TaskError`, as does any unknown or out-of-range parameter.
"""
from __future__ import annotations

import bisect
import functools
import itertools
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import numpy as np

from .errors import TaskError
from .params import Param
from .paths import ASSETS

CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclass(frozen=True, eq=False)
class Task:
    """One task instance: a single stream of ``T`` steps.

    Attributes
    ----------
    name, params : the ``make`` name and the keyword parameters used (seed included).
    alphabet : tuple of str, the input symbols; ``inputs`` holds their codes.
    inputs : int array [T], codes ``0 .. len(alphabet)-1``.
    targets : int array [T] of class codes (classification) or float array
        [T] / [T, D] of real values (regression).
    mask : bool array [T], the steps that are scored (and trained on).
    resets : bool array [T], True at the first step of every episode (step 0 included).
    holdout : bool array [T], steps reserved for evaluation; where it is all False
        the task is evaluated on the training steps (e.g. five-bit memory).
    kind : ``"classification"`` or ``"regression"``.
    classes : tuple of str, class names (classification only; empty otherwise).
    chance : the chance level / trivial baseline of the primary metric.
    metric : name of the primary metric (``metrics.evaluate`` computes it).
    description : one paragraph for the Learn page.
    extras : task-specific arrays (e.g. Reber ``next_sets`` [T, 7] multi-hot).
    """

    name: str
    params: dict
    alphabet: tuple
    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    resets: np.ndarray
    holdout: np.ndarray
    kind: str
    classes: tuple
    chance: float
    metric: str
    description: str
    extras: dict = field(default_factory=dict)

    @property
    def T(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def n_symbols(self) -> int:
        return len(self.alphabet)

    @property
    def n_outputs(self) -> int:
        """Width of a model's output layer: classes, or target columns."""
        if self.kind == CLASSIFICATION:
            return len(self.classes)
        return 1 if self.targets.ndim == 1 else int(self.targets.shape[1])

    @property
    def train_mask(self) -> np.ndarray:
        return self.mask & ~self.holdout

    @property
    def eval_mask(self) -> np.ndarray:
        return self.mask & self.holdout if self.holdout.any() else self.mask


MAX_STEPS = 2_000_000            # cap on a task's stream length T (steps)
MAX_TARGET_VALUES = 8_000_000    # cap on T x target columns (memory capacity): 64 MB of float64
MAX_TEXT_BYTES = 2_000_000       # cap on a user text, in UTF-8 bytes
METRICS = ("accuracy", "memory_capacity", "five_bit_success", "twenty_bit_success",
           "reber_success", "mse", "nrmse", "bits_per_symbol")
OTHER_SYMBOL = "\ufffd"          # the text symbol standing for every character beyond the cap
SHAKESPEARE_PLAYS = ("hamlet", "macbeth", "a_midsummer_nights_dream", "the_tempest")


# --------------------------------------------------------------------------------------------
# Parameter table and registry
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _TaskSpec:
    build: Callable[..., dict]
    summary: str
    params: tuple


_REGISTRY: dict[str, _TaskSpec] = {}
_SEED = Param("seed", "int", 0, "random seed: the same seed gives the same task", 0, 2**32 - 1)


def _register(name: str, summary: str, *params: Param):
    """Add a builder to the registry; it returns the Task fields other than name/params."""
    def add(build):
        _REGISTRY[name] = _TaskSpec(build, summary, params + (_SEED,))
        return build
    return add


def _length_param(default: int, maximum: int = MAX_STEPS) -> Param:
    return Param("T", "int", default, "stream length in steps", 100, maximum)


def _test_fraction_param(default: float, what: str = "steps at the end of the stream") -> Param:
    return Param("test_fraction", "float", default,
                 f"fraction of {what} held out for evaluation (0 = evaluate on training)",
                 0.0, 0.5)


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------

def make(name: str, /, **params) -> Task:
    """Build the task ``name`` with the given keyword parameters.

    Parameters
    ----------
    name : one of ``NAMES``.
    **params : the task's parameters (see ``describe(name)``); missing ones take
        their defaults.  Every task takes ``seed`` and is deterministic given it.

    Returns
    -------
    Task

    Raises
    ------
    TaskError
        Unknown task or parameter, a value of the wrong type or out of range, or a
        combination that would exceed ``MAX_STEPS`` or leave nothing to train on.
    """
    spec = _spec(name)
    allowed = {p.name: p for p in spec.params}
    for key in params:
        if key not in allowed:
            raise TaskError(f"{name}: unknown parameter {key!r}; "
                            f"allowed parameters are {', '.join(allowed)}")
    values = {key: p.check(name, params.get(key, p.default), TaskError)
              for key, p in allowed.items()}
    fields = spec.build(**values)
    return _finish(name, fields.pop("params", values), fields)


def describe(name: str) -> dict:
    """The parameter table of task ``name``.

    Returns
    -------
    dict
        ``{"name", "summary", "params": {param: {"type", "default", "min", "max",
        "help"[, "choices"]}}}``; ``min``/``max`` are None for choice and text
        parameters.

    Raises
    ------
    TaskError
        Unknown task name.
    """
    spec = _spec(name)
    return {"name": name, "summary": spec.summary,
            "params": {p.name: p.as_dict() for p in spec.params}}


#: tasks that can generate fresh training episodes: task name -> the parameter that counts
#: its episodes (a new generator is one entry here)
EPISODE_COUNTS = {"embedded_reber": "n_strings", "temporal_order": "n_sequences",
                  "adding": "n_sequences", "twenty_bit_memory": "n_train",
                  "tomita": "n_strings"}
_NO_HOLDOUT = {"test_fraction": 0.0, "n_test": 0}   # parameters that hold data out: none


def can_generate(task: Task) -> bool:
    """Whether :func:`generate` can make fresh training episodes like ``task``'s."""
    return task.name in EPISODE_COUNTS


def generate(task: Task, n_episodes: int, seed: int) -> Task:
    """Fresh training episodes from the same distribution as ``task``'s.

    The new task has ``task``'s parameters except its episode count (``n_episodes``),
    its seed and no held-out part: every episode is a training episode.  Where the
    task holds out whole messages (twenty-bit memory), no fresh message is one of
    ``task``'s held-out messages, so a learner trained on fresh episodes is still
    tested on messages it never saw.

    Parameters
    ----------
    task : a task with ``can_generate(task)``.
    n_episodes : number of episodes, at least 1.
    seed : seed of the new episodes (the same seed gives the same episodes).

    Returns
    -------
    Task

    Raises
    ------
    TaskError
        The task cannot generate episodes, ``n_episodes`` is not a positive integer,
        or that many episodes would exceed ``MAX_STEPS``.
    """
    if not can_generate(task):
        raise TaskError(f"{task.name}: this task cannot generate fresh episodes; the tasks "
                        f"that can are {', '.join(EPISODE_COUNTS)}")
    if isinstance(n_episodes, (bool, np.bool_)) or not isinstance(n_episodes, (int, np.integer)) \
            or n_episodes < 1:
        raise TaskError(f"{task.name}: n_episodes must be a positive integer, got "
                        f"{n_episodes!r}")
    mean_length = task.T / int(task.resets.sum())
    _check_length(task.name, math.ceil(n_episodes * mean_length), "n_episodes")
    params = dict(task.params, seed=int(seed))
    params[EPISODE_COUNTS[task.name]] = int(n_episodes)
    params.update({key: value for key, value in _NO_HOLDOUT.items() if key in params})
    fields = _spec(task.name).build(**params)
    if "messages" in task.extras and task.holdout.any():
        _replace_held_out_messages(task, fields, seed)
    return _finish(task.name, fields.pop("params", params), fields)


def _replace_held_out_messages(task: Task, fields: dict, seed: int) -> None:
    """Redraw, in the bit-memory ``fields``, every message that is one of ``task``'s
    held-out messages (uniformly among the others), and rebuild the episodes."""
    n_letters, held_out = len(task.alphabet) - 2, task.holdout[task.resets]   # [E]
    weights = n_letters ** np.arange(task.extras["messages"].shape[1] - 1, -1, -1)  # [M]
    held_out_ids = task.extras["messages"][held_out] @ weights               # [E_test]
    messages = fields["extras"]["messages"].copy()                           # [E', M]
    rng = np.random.default_rng((seed, 1))
    while (clash := np.isin(messages @ weights, held_out_ids)).any():
        messages[clash] = rng.integers(0, n_letters, (int(clash.sum()), messages.shape[1]))
    fields.update(_bit_memory(messages, task.params["T0"], n_letters))


def params(name: str) -> tuple[Param, ...]:
    """The parameter table of task ``name`` (``seed`` last); TaskError for an unknown task."""
    return _spec(name).params


def decode_text(data: bytes, name: str = "text file", max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Decode an uploaded text file (UTF-8, an optional byte-order mark is dropped).

    Parameters
    ----------
    data : the file's bytes, at most ``max_bytes``.
    name : what the messages call the file (e.g. its name).

    Returns
    -------
    str

    Raises
    ------
    TaskError
        The file is too large, or is not valid UTF-8 (the message names the byte offset
        and its row).
    """
    if len(data) > max_bytes:
        raise TaskError(f"{name} is {len(data):,} bytes, over the cap of {max_bytes:,} bytes; "
                        "use a shorter one")
    bom = b"\xef\xbb\xbf"
    skipped = len(bom) if data.startswith(bom) else 0
    try:
        return data[skipped:].decode("utf-8")
    except UnicodeDecodeError as err:
        offset = skipped + err.start
        row = data[:offset].count(b"\n") + 1
        raise TaskError(f"{name} is not valid UTF-8: byte {offset:,} (row {row:,}) is "
                        f"0x{data[offset]:02x}; save the file as UTF-8 and upload it again") \
            from None


def _spec(name: str) -> _TaskSpec:
    if not isinstance(name, str):
        raise TaskError(f"a task is named by a string, got {type(name).__name__} "
                        f"{str(name)[:40]!r}; known tasks are {', '.join(_REGISTRY)}")
    if name not in _REGISTRY:
        raise TaskError(f"unknown task {name[:40]!r}; known tasks are {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def _frozen(array: np.ndarray, dtype) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=dtype)
    array.setflags(write=False)
    return array


def _finish(name: str, params: dict, fields: dict) -> Task:
    """Wrap a builder's fields into a read-only Task with the documented dtypes."""
    classification = fields["kind"] == CLASSIFICATION
    extras = {key: _frozen(value, value.dtype) if isinstance(value, np.ndarray) else value
              for key, value in fields.pop("extras").items()}
    return Task(name=name, params=params, extras=extras,
                inputs=_frozen(fields.pop("inputs"), np.int64),
                targets=_frozen(fields.pop("targets"),
                                np.int64 if classification else np.float64),
                mask=_frozen(fields.pop("mask"), bool),
                resets=_frozen(fields.pop("resets"), bool),
                holdout=_frozen(fields.pop("holdout"), bool),
                chance=float(fields.pop("chance")), **fields)


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------

def _check_length(task: str, T: int, culprits: str) -> None:
    if T > MAX_STEPS:
        raise TaskError(f"{task}: {culprits} give a stream of {T:,} steps; the cap is "
                        f"{MAX_STEPS:,} steps, make {culprits} smaller")


def _n_held_out(task: str, n_items: int, test_fraction: float, items: str, count: str) -> int:
    """How many of ``n_items`` (the last ones) are held out; raise if that is degenerate."""
    n_test = math.floor(n_items * test_fraction + 0.5)
    if test_fraction > 0 and n_test == 0:
        raise TaskError(f"{task}: test_fraction={test_fraction} holds out none of the "
                        f"{n_items} {items}; use test_fraction=0 for no held-out part, or a "
                        f"larger {count}")
    if n_test == n_items:
        raise TaskError(f"{task}: test_fraction={test_fraction} holds out all {n_items} "
                        f"{items}, leaving none to train on; use a larger {count}")
    return n_test


def _tail(T: int, n_tail: int) -> np.ndarray:
    flags = np.zeros(T, bool)  # [T]
    flags[T - n_tail:] = True
    return flags


def _episode_layout(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index of each episode [E] and the resets [T] of episodes of these lengths."""
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])  # [E]
    resets = np.zeros(int(lengths.sum()), bool)               # [T]
    resets[starts] = True
    return starts, resets


def _iid_stream(task: str, rng, m: int, T: int, test_fraction: float, first_scored: int):
    """Inputs [T] i.i.d. uniform over ``m`` symbols and the tail holdout [T].

    Raises TaskError (naming T) when the training part has no step at or after
    ``first_scored``.
    """
    n_test = _n_held_out(task, T, test_fraction, "steps", "T")
    if T - n_test <= first_scored:
        needed = math.ceil((first_scored + 1) / (1 - test_fraction))
        while needed - math.floor(needed * test_fraction + 0.5) <= first_scored:
            needed += 1
        raise TaskError(f"{task}: T={T} is too short: scoring starts at step {first_scored} "
                        f"and the training part ends at step {T - n_test}; use T >= {needed}")
    return rng.integers(0, m, T), _tail(T, n_test)


def _first_step_reset(T: int) -> np.ndarray:
    resets = np.zeros(T, bool)  # [T]
    resets[0] = True
    return resets


def _digit_alphabet(m: int) -> tuple:
    return tuple(str(i) for i in range(m))


# --------------------------------------------------------------------------------------------
# i.i.d. memory tasks
# --------------------------------------------------------------------------------------------

@_register("delayed_recall", "Output the symbol seen k steps ago (i.i.d. input).",
           Param("k", "int", 5, "delay: the target is the symbol k steps back", 0, 1000),
           Param("m", "int", 4, "number of input symbols", 2, 64),
           _length_param(2000), _test_fraction_param(0.2))
def _delayed_recall(*, k, m, T, test_fraction, seed) -> dict:
    """Delayed recall: ``targets[t] = inputs[t-k]`` (class int) scored for ``t >= k``.

    Alphabet and classes ``("0", .., str(m-1))``; holdout = the stream's tail;
    extras empty.
    """
    rng = np.random.default_rng(seed)
    inputs, holdout = _iid_stream("delayed_recall", rng, m, T, test_fraction, k)  # [T], [T]
    targets = np.zeros(T, np.int64)  # [T]
    targets[k:] = inputs[:T - k]
    alphabet = _digit_alphabet(m)
    return dict(
        alphabet=alphabet, inputs=inputs, targets=targets, mask=np.arange(T) >= k,
        resets=_first_step_reset(T), holdout=holdout,
        kind=CLASSIFICATION, classes=alphabet, chance=1.0 / m, metric="accuracy", extras={},
        description=(
            f"The input is a stream of random symbols, each one of {m} equally likely "
            f"symbols. At every step the network must output the symbol it saw {k} steps "
            f"earlier. Nothing in the current input helps, so the only way to score above "
            f"chance ({100 / m:.0f}%) is to hold the last {k} symbols in memory: a pure test "
            "of how far back the network can look."))


@_register("memory_capacity",
           "Reconstruct each of the last K inputs from the current state (Jaeger's MC).",
           Param("K", "int", 20, "number of delays k = 1..K, one target column group each", 1, 200),
           Param("m", "int", 2, "number of input symbols", 2, 16),
           _length_param(2000), _test_fraction_param(0.2))
def _memory_capacity(*, K, m, T, test_fraction, seed) -> dict:
    """Memory capacity: real targets [T, D], scored for ``t >= K``.

    For ``m == 2`` there is one column per delay (D = K): ``targets[t, k-1]`` is the
    ±1 value of ``inputs[t-k]`` (symbol "0" -> -1, "1" -> +1).  Otherwise there are
    ``m-1`` columns per delay (D = K*(m-1)), delay-major: column ``(k-1)*(m-1)+j`` is
    ``[inputs[t-k] == j] - 1/m``, the centred indicator of symbol ``j`` (the last
    symbol's indicator is left out: it is implied by the others).

    extras: ``delays`` int [D], the delay k of each column; ``column_symbol`` int [D],
    the symbol j whose indicator (or, for m = 2, whose ±1 sign) the column holds.
    ``chance`` is 0: a memoryless model explains none of the past inputs.
    """
    columns_per_delay = 1 if m == 2 else m - 1
    n_columns = K * columns_per_delay
    if T * n_columns > MAX_TARGET_VALUES:
        raise TaskError(f"memory_capacity: T x K x (m-1) = {T * n_columns:,} target values; "
                        f"the cap is {MAX_TARGET_VALUES:,}, make T, K or m smaller")
    rng = np.random.default_rng(seed)
    inputs, holdout = _iid_stream("memory_capacity", rng, m, T, test_fraction, K)  # [T], [T]
    delays = np.repeat(np.arange(1, K + 1), columns_per_delay)          # [D]
    column_symbol = (np.ones(K, np.int64) if m == 2
                     else np.tile(np.arange(m - 1), K))                  # [D]
    targets = np.zeros((T, n_columns))                                   # [T, D]
    for k in range(1, K + 1):
        past = inputs[:T - k]                                            # [T-k]
        columns = slice((k - 1) * columns_per_delay, k * columns_per_delay)
        if m == 2:
            targets[k:, columns] = (2.0 * past - 1.0)[:, None]
        else:
            targets[k:, columns] = (past[:, None] == np.arange(m - 1)) - 1.0 / m
    encoding = ("its ±1 value" if m == 2 else
                f"{m - 1} centred indicators (one per symbol but the last)")
    return dict(
        alphabet=_digit_alphabet(m), inputs=inputs, targets=targets, mask=np.arange(T) >= K,
        resets=_first_step_reset(T), holdout=holdout, kind=REGRESSION, classes=(),
        chance=0.0, metric="memory_capacity",
        extras={"delays": delays, "column_symbol": column_symbol},
        description=(
            f"The input is a stream of random symbols over {m} letters. For every delay k "
            f"from 1 to {K} a separate linear readout tries to reconstruct the input seen k "
            f"steps ago (encoded as {encoding}); the squared correlation r² it reaches says "
            "how much of that past input is still present in the network's current state. "
            "The memory capacity is the sum of these r² over all delays, a single number "
            "that measures how much of the recent past the network keeps (Jaeger 2001); an "
            "ESN of N units cannot exceed N."))


def _window_task(task: str, n: int, tau: int, T: int, test_fraction: float, seed: int,
                 majority: bool) -> dict:
    """Binary i.i.d. stream; target = parity or majority of ``x[t-tau-n+1 .. t-tau]``."""
    first_scored = tau + n - 1
    rng = np.random.default_rng(seed)
    inputs, holdout = _iid_stream(task, rng, 2, T, test_fraction, first_scored)  # [T], [T]
    ones_before = np.concatenate([[0], np.cumsum(inputs)])    # [T+1], ones in inputs[:i]
    steps = np.arange(first_scored, T)
    ones_in_window = ones_before[steps - tau + 1] - ones_before[steps - tau - n + 1]
    targets = np.zeros(T, np.int64)                           # [T]
    targets[first_scored:] = ones_in_window > n // 2 if majority else ones_in_window % 2
    alphabet = ("0", "1")
    return dict(alphabet=alphabet, inputs=inputs, targets=targets,
                mask=np.arange(T) >= first_scored, resets=_first_step_reset(T),
                holdout=holdout, kind=CLASSIFICATION, classes=alphabet, chance=0.5,
                metric="accuracy", extras={})


def _window_words(n: int, tau: int) -> str:
    if tau == 0:
        return f"the last {n} bits (the current one included)"
    return f"the {n} bits that ended {tau} step{'s' if tau > 1 else ''} ago"


@_register("temporal_parity", "Parity (XOR) of a window of n past bits, tau steps back.",
           Param("n", "int", 3, "window length in bits", 1, 32),
           Param("tau", "int", 0, "delay: the window ends tau steps before the current step",
                 0, 1000),
           _length_param(2000), _test_fraction_param(0.2))
def _temporal_parity(*, n, tau, T, test_fraction, seed) -> dict:
    """Temporal parity: ``targets[t] = x[t-tau] xor .. xor x[t-tau-n+1]`` (class 0/1).

    Alphabet and classes ``("0", "1")``; scored for ``t >= tau + n - 1`` (every step
    whose window lies inside the stream); holdout = the tail; extras empty.
    """
    fields = _window_task("temporal_parity", n, tau, T, test_fraction, seed, majority=False)
    fields["description"] = (
        f"The input is a stream of random bits. At every step the network must output the "
        f"parity (1 if the count of ones is odd) of {_window_words(n, tau)}. Every one of the "
        f"{n} bits matters, and flipping any one flips the answer, so the network must keep "
        "them all, exactly, and combine them non-linearly; a linear readout of a memory that "
        "holds each bit separately cannot compute parity for n > 1. Random Boolean networks "
        "are near-perfect at small n and tau and fall as either grows (Snyder, Goudarzi and "
        "Teuscher 2012/2013). Chance is 50%.")
    return fields


@_register("temporal_density", "Majority of a window of n past bits (n odd), tau steps back.",
           Param("n", "int", 3, "window length in bits (odd)", 1, 31),
           Param("tau", "int", 0, "delay: the window ends tau steps before the current step",
                 0, 1000),
           _length_param(2000), _test_fraction_param(0.2))
def _temporal_density(*, n, tau, T, test_fraction, seed) -> dict:
    """Temporal density: ``targets[t] = 1`` when most of ``x[t-tau-n+1 .. t-tau]`` are 1.

    ``n`` must be odd.  Alphabet and classes ``("0", "1")``; scored for
    ``t >= tau + n - 1``; holdout = the tail; extras empty.
    """
    if n % 2 == 0:
        raise TaskError(f"temporal_density: n={n} must be odd, so that the majority of the "
                        "window never ties")
    fields = _window_task("temporal_density", n, tau, T, test_fraction, seed, majority=True)
    fields["description"] = (
        f"The input is a stream of random bits. At every step the network must say whether "
        f"most of {_window_words(n, tau)} were ones. Unlike parity, the answer is a threshold "
        "of a sum, so a memory of the recent count of ones is enough; it tests how long the "
        "network can keep a running tally of the right window. Chance is 50%.")
    return fields


# --------------------------------------------------------------------------------------------
# Bit-memory tasks (Hochreiter & Schmidhuber 1997; Jaeger 2012)
# --------------------------------------------------------------------------------------------

def _bit_memory(messages: np.ndarray, T0: int, n_letters: int) -> dict:
    """Episodes recalling ``messages`` [E, M] (letter codes) after a distractor period.

    Episode length ``T0 + 2M``: M message steps, distractor ``d`` up to the cue ``c`` at
    step ``T0 + M`` (1-based), then M recall steps of ``d``.  Inputs use the codes
    ``a1..a{n_letters}`` = 0.., then ``d``, ``c``; target class 0 is ``wait`` and class
    ``j + 1`` is letter ``a{j+1}``.
    """
    n_episodes, message_length = messages.shape
    episode_length = T0 + 2 * message_length
    distractor, cue = n_letters, n_letters + 1
    cue_step = T0 + message_length - 1                                  # 0-based
    inputs = np.full((n_episodes, episode_length), distractor, np.int64)  # [E, L]
    inputs[:, :message_length] = messages
    inputs[:, cue_step] = cue
    targets = np.zeros((n_episodes, episode_length), np.int64)        # [E, L], 0 = wait
    targets[:, cue_step + 1:] = messages + 1
    _, resets = _episode_layout(np.full(n_episodes, episode_length))
    letters = tuple(f"a{j + 1}" for j in range(n_letters))
    return dict(alphabet=letters + ("d", "c"), inputs=inputs.ravel(), targets=targets.ravel(),
                mask=np.ones(n_episodes * episode_length, bool), resets=resets,
                kind=CLASSIFICATION, classes=("wait",) + letters, chance=0.0,
                extras={"messages": messages})


@_register("five_bit_memory",
           "Remember a 5-bit message through T0 distractor steps; recall it after a cue.",
           Param("T0", "int", 200, "distractor period: an episode is T0 + 10 steps", 1, 10_000),
           Param("n_test", "int", 0, "messages held out for testing (0 = the classic task, "
                 "judged on all 32 training episodes)", 0, 31))
def _five_bit_memory(*, T0, n_test, seed) -> dict:
    """Five-bit memory: 32 episodes of ``T0 + 10`` steps, one per 5-bit message.

    Alphabet ``("a1", "a2", "d", "c")`` (bit 1, bit 0, distractor, cue).  Steps 1-5
    (1-based): the message; steps 6..T0+4: d; step T0+5: c; steps T0+6..T0+10: d.
    Classes ``("wait", "a1", "a2")``: the target is 0 (wait) up to and including the
    cue, then the class of each message symbol in order (1 = a1, 2 = a2).  Every
    step is scored.  The seed shuffles the order of the episodes; the last ``n_test``
    episodes in that order are the holdout (whole held-out messages).  With
    ``n_test = 0`` (the classic task) holdout is all False and the task is judged on
    its 32 training episodes.

    extras: ``messages`` int [32, 5], each episode's message as input codes
    (0 = a1, 1 = a2).  ``chance`` is 0 (success needs every step right).
    """
    bits = (np.arange(32)[:, None] >> np.arange(4, -1, -1)) & 1         # [32, 5], all messages
    order = np.random.default_rng(seed).permutation(32)
    fields = _bit_memory(1 - bits[order], T0, n_letters=2)              # bit 1 -> a1 (code 0)
    fields.update(holdout=_tail(32 * (T0 + 10), n_test * (T0 + 10)), metric="five_bit_success")
    if n_test:
        shown = (f"{32 - n_test} of the 32 possible messages are used for training and the "
                 f"other {n_test}, never seen in training, test whether the network really "
                 "stores any message rather than memorising the training set; the task is "
                 "solved only when every output of every test episode is right")
    else:
        shown = ("All 32 possible messages are shown, one per episode, and the task is solved "
                 "only when every output of every episode is right")
    fields["description"] = (
        f"Each episode starts with a 5-bit message written with the symbols a1 (bit 1) and "
        f"a2 (bit 0). Then a distractor symbol d repeats for {T0 - 1} steps, a cue c appears, "
        "and over the next 5 steps the network must replay the message bit by bit; before "
        f"that it must output 'wait'. {shown}. This is "
        "the classic long-memory test of Hochreiter and Schmidhuber (1997) and of echo state "
        "networks (Jaeger 2012). Beware: Glover et al. (2023) showed it can be solved "
        "without any recurrence, because a large enough set of fixed features of the input "
        "can distinguish all 32 messages; always compare with the no-recurrence ablation.")
    return fields


@_register("twenty_bit_memory",
           "Remember a 10-symbol message over 5 letters; held-out messages test generalisation.",
           Param("T0", "int", 50, "distractor period: an episode is T0 + 20 steps", 1, 10_000),
           Param("n_train", "int", 200, "number of training messages (episodes)", 1, 20_000),
           Param("n_test", "int", 50, "number of held-out test messages (episodes)", 0, 20_000))
def _twenty_bit_memory(*, T0, n_train, n_test, seed) -> dict:
    """Twenty-bit memory: ``n_train + n_test`` episodes of ``T0 + 20`` steps.

    Alphabet ``("a1", .., "a5", "d", "c")``.  Steps 1-10 (1-based): the message (10
    symbols from a1..a5, 5^10 possible messages); steps 11..T0+9: d; step T0+10: c;
    steps T0+11..T0+20: d.  Classes ``("wait", "a1", .., "a5")``: 0 (wait) up to and
    including the cue, then each message symbol's class (1 + its letter index).  The
    messages are distinct, drawn at random; the training episodes come first and the
    last ``n_test`` episodes are the holdout.  Every step is scored.

    extras: ``messages`` int [n_train + n_test, 10] (input codes 0..4 = a1..a5).
    ``chance`` is 0.
    """
    episode_length = T0 + 20
    n_episodes = n_train + n_test
    _check_length("twenty_bit_memory", n_episodes * episode_length, "n_train, n_test and T0")
    message_ids = np.random.default_rng(seed).choice(5**10, n_episodes, replace=False)  # [E]
    messages = (message_ids[:, None] // 5 ** np.arange(9, -1, -1)) % 5                 # [E, 10]
    fields = _bit_memory(messages, T0, n_letters=5)
    fields.update(holdout=_tail(n_episodes * episode_length, n_test * episode_length),
                  metric="twenty_bit_success")
    fields["description"] = (
        "Each episode starts with a message of 10 symbols, each one of five letters a1..a5 "
        f"(about 23 bits of information). A distractor d then repeats for {T0 - 1} steps, a "
        "cue c appears, and over the next 10 steps the network must replay the message; "
        f"before that it must output 'wait'. {n_train} messages are used for training and "
        f"{n_test} different messages, never seen in training, test whether the network "
        "really stores any message rather than memorising the training set; success is "
        "zero errors on the test messages (Jaeger 2012).")
    return fields


# --------------------------------------------------------------------------------------------
# Embedded Reber grammar
# --------------------------------------------------------------------------------------------

REBER_SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")
# The Reber grammar as edges: state -> ((symbol, next state), ...); None ends the string.
_REBER_EDGES = {0: (("B", 1),), 1: (("T", 2), ("P", 3)), 2: (("S", 2), ("X", 4)),
                3: (("T", 3), ("V", 5)), 4: (("X", 3), ("S", 6)), 5: (("P", 4), ("V", 6)),
                6: (("E", None),)}


@functools.cache
def _embedded_reber_automaton() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The embedded Reber grammar as arrays over its states.

    B, then T or P, then a whole Reber string, then the same T or P again, then E.
    Returns ``(edge_symbol [S, 2], edge_target [S, 2], n_edges [S], next_set [S, 7])``
    (symbols as codes into ``REBER_SYMBOLS``); state 0 is the start and the last
    state, with no edges, is the end of the string.
    """
    # a state is "start", "branch", (branch, inner state), (branch, "inner end"), "last" or "end"
    edges: dict[Hashable, tuple[tuple[str, Hashable], ...]] = {
        "start": (("B", "branch"),), "branch": (("T", ("T", 0)), ("P", ("P", 0)))}
    for branch in "TP":  # the inner Reber string, once per branch so the state knows it
        for state, out in _REBER_EDGES.items():
            edges[(branch, state)] = tuple(
                (symbol, (branch, "inner end") if target is None else (branch, target))
                for symbol, target in out)
        edges[(branch, "inner end")] = ((branch, "last"),)
    edges["last"] = (("E", "end"),)
    edges["end"] = ()
    index = {state: i for i, state in enumerate(edges)}
    n_states = len(edges)
    edge_symbol = np.zeros((n_states, 2), np.int64)               # [S, 2]
    edge_target = np.full((n_states, 2), n_states - 1, np.int64)  # [S, 2]
    n_edges = np.zeros(n_states, np.int64)                         # [S]
    next_set = np.zeros((n_states, len(REBER_SYMBOLS)), bool)      # [S, 7]
    for node, node_edges in edges.items():
        n_edges[index[node]] = len(node_edges)
        for j, (symbol, next_node) in enumerate(node_edges):
            code = REBER_SYMBOLS.index(symbol)
            edge_symbol[index[node], j] = code
            edge_target[index[node], j] = index[next_node]
            next_set[index[node], code] = True
    return edge_symbol, edge_target, n_edges, next_set


@_register("embedded_reber", "Predict the next symbol of strings of the embedded Reber grammar.",
           Param("n_strings", "int", 512, "number of strings (episodes)", 1, 100_000),
           _test_fraction_param(0.2, "strings (the last ones)"))
def _embedded_reber(*, n_strings, test_fraction, seed) -> dict:
    """Embedded Reber grammar: one episode per string, from its B to its final E.

    Alphabet and classes ``("B", "T", "P", "S", "X", "V", "E")``.  At every step but
    the string's last, the target is the code of the actual next symbol; the last step
    (the final E) is not scored.  Every branch of the grammar is taken with
    probability 1/2.  Holdout = the last ``test_fraction`` of the strings.

    extras: ``next_sets`` bool [T, 7], multi-hot of the symbols the grammar allows
    next (all False at a string's last step); ``string_id`` int [T], the string
    (episode) index of each step.  ``chance`` is 0 (success = every string right).
    """
    n_test = _n_held_out("embedded_reber", n_strings, test_fraction, "strings", "n_strings")
    edge_symbol, edge_target, n_edges, next_set = _embedded_reber_automaton()
    end = len(n_edges) - 1
    rng = np.random.default_rng(seed)
    state = np.zeros(n_strings, np.int64)  # [n_strings], all strings advance together
    # per step: symbol and state after it, [n_strings] each
    emitted_steps: list[np.ndarray] = []
    reached_steps: list[np.ndarray] = []
    while (state != end).any():
        edge = ((rng.random(n_strings) < 0.5) & (n_edges[state] == 2)).astype(np.int64)
        emitted_steps.append(np.where(state != end, edge_symbol[state, edge], -1))
        state = edge_target[state, edge]
        reached_steps.append(state)
    emitted = np.stack(emitted_steps, axis=1)  # [n_strings, max length], -1 after a string ends
    reached = np.stack(reached_steps, axis=1)  # [n_strings, max length]
    present = emitted >= 0
    lengths = present.sum(axis=1)          # [n_strings]
    inputs, after = emitted[present], reached[present]  # [T], row-major: string by string
    _, resets = _episode_layout(lengths)   # n_strings <= 100 000 keeps T far below MAX_STEPS
    last_step = np.roll(resets, -1)        # [T], True at the final E of every string
    targets = np.where(last_step, 0, np.roll(inputs, -1))
    string_id = np.repeat(np.arange(n_strings), lengths)
    return dict(
        alphabet=REBER_SYMBOLS, inputs=inputs, targets=targets, mask=~last_step, resets=resets,
        holdout=string_id >= n_strings - n_test, kind=CLASSIFICATION, classes=REBER_SYMBOLS,
        chance=0.0, metric="reber_success",
        extras={"next_sets": next_set[after], "string_id": string_id},
        description=(
            "Each episode is one string of the embedded Reber grammar, a small finite-state "
            "language over the symbols B T P S X V E: B, then T or P, then an inner Reber "
            "string (itself B ... E, with loops that make it any length), then the same T or "
            "P as at the start, then E. At every step the network must predict the next "
            "symbol; since the grammar often allows two, a string counts as right when the "
            "set of symbols the network rates likely is exactly the allowed set. Most steps "
            "need only the last symbol or two, but the T/P after the inner string must match "
            "the one chosen right after the first B, across the whole inner string: that "
            "long-range dependency is what simple recurrent networks fail at and LSTMs learn "
            f"(Hochreiter and Schmidhuber 1997). {n_strings - n_test} strings train and "
            f"{n_test} held-out strings test."))


# --------------------------------------------------------------------------------------------
# Temporal order and adding (Hochreiter & Schmidhuber 1997)
# --------------------------------------------------------------------------------------------

TEMPORAL_ORDER_SYMBOLS = ("a", "b", "c", "d", "E", "B", "X", "Y")
_RELEVANT_WINDOWS = {2: ((10, 20), (50, 60)), 3: ((10, 20), (30, 40), (50, 60))}  # 1-based


@_register("temporal_order",
           "Classify the order of 2 or 3 relevant symbols (X/Y) hidden in a long noisy sequence.",
           Param("q", "int", 2, "number of relevant symbols: 2 (4 classes) or 3 (8 classes)",
                 2, 3),
           Param("n_sequences", "int", 200, "number of sequences (episodes)", 10, 18_000),
           _test_fraction_param(0.2, "sequences (the last ones)"))
def _temporal_order(*, q, n_sequences, test_fraction, seed) -> dict:
    """Temporal order (H&S 1997 Exp. 6): one sequence of 100-110 steps per episode.

    Alphabet ``("a", "b", "c", "d", "E", "B", "X", "Y")``.  A sequence starts with E,
    ends with B, and is otherwise random a..d except at ``q`` relevant steps, which
    hold X or Y: one in each of the 1-based position windows 10-20 and 50-60 (q = 2),
    or 10-20, 30-40 and 50-60 (q = 3; H&S used 10-20, 33-43, 66-76).  Classes are the
    orders, ``("XX", "XY", "YX", "YY")`` or ``("XXX", .., "YYY")``: class code =
    the relevant symbols read as a binary number, X = 0, Y = 1, first one most
    significant.  Only the last step (the B) of each sequence is scored; holdout =
    the last ``test_fraction`` of the sequences.

    extras: ``relevant_steps`` int [n_sequences, q], the stream index of each
    relevant symbol.  ``chance`` = 1 / 2**q.
    """
    n_test = _n_held_out("temporal_order", n_sequences, test_fraction, "sequences",
                         "n_sequences")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(100, 111, n_sequences)                       # [n], 100..110
    starts, resets = _episode_layout(lengths)
    ends = starts + lengths - 1
    inputs = rng.integers(0, 4, int(lengths.sum()))                     # [T], noise a..d
    inputs[starts] = TEMPORAL_ORDER_SYMBOLS.index("E")
    inputs[ends] = TEMPORAL_ORDER_SYMBOLS.index("B")
    windows = np.array(_RELEVANT_WINDOWS[q])                            # [q, 2], 1-based
    offsets = rng.integers(windows[:, 0], windows[:, 1] + 1, (n_sequences, q)) - 1
    relevant_steps = starts[:, None] + offsets                          # [n, q]
    is_y = rng.integers(0, 2, (n_sequences, q))                         # [n, q]
    inputs[relevant_steps] = TEMPORAL_ORDER_SYMBOLS.index("X") + is_y
    targets = np.zeros(inputs.shape[0], np.int64)                       # [T]
    targets[ends] = is_y @ (1 << np.arange(q - 1, -1, -1))
    mask = np.zeros(inputs.shape[0], bool)
    mask[ends] = True
    classes = tuple("".join(order) for order in itertools.product("XY", repeat=q))
    window_words = ", ".join(f"{lo}-{hi}" for lo, hi in _RELEVANT_WINDOWS[q])
    return dict(
        alphabet=TEMPORAL_ORDER_SYMBOLS, inputs=inputs, targets=targets, mask=mask,
        resets=resets, holdout=np.repeat(np.arange(n_sequences) >= n_sequences - n_test,
                                         lengths),
        kind=CLASSIFICATION, classes=classes, chance=1.0 / 2**q, metric="accuracy",
        extras={"relevant_steps": relevant_steps},
        description=(
            "Each episode is a sequence of 100 to 110 symbols: it starts with E, ends with B, "
            f"and in between is random noise from a, b, c, d, except for {q} relevant symbols, "
            f"each X or Y, placed at random around positions {window_words}. At the final B "
            f"the network must say in which order they came ({', '.join(classes)}); every "
            "other step is unscored. The relevant symbols are 40 or more steps in the past "
            "by then and are buried in noise, so the network must notice them, store them in "
            "order and ignore everything else (Hochreiter and Schmidhuber 1997, Exp. 6). "
            f"Chance is {100 / 2**q:.1f}%."))


@_register("adding",
           "Sum the two marked values in a sequence of (value, marker) pairs; values quantised.",
           Param("T", "int", 20, "sequence length (steps per episode)", 2, 10_000),
           Param("levels", "int", 10, "number of equal-width bins a value is quantised into",
                 2, 100),
           Param("n_sequences", "int", 200, "number of sequences (episodes)", 10, 100_000),
           _test_fraction_param(0.2, "sequences (the last ones)"))
def _adding(*, T, levels, n_sequences, test_fraction, seed) -> dict:
    """Adding problem: ``n_sequences`` episodes of ``T`` steps (the task's own ``T``).

    Each step carries a value v ~ U[0, 1] and a marker; exactly two steps per sequence
    are marked, one uniformly in the first half (steps < T // 2) and one in the second
    half.  The input symbol is the pair (marker, bin of v), v's bin being
    ``floor(v * levels)``: code ``marker * levels + bin``, named ``v{bin}`` (unmarked)
    and ``m{bin}`` (marked).  The real-valued target ``v1 + v2`` (of the exact values,
    not the bins) is scored at the last step of each sequence only; holdout = the last
    ``test_fraction`` of the sequences.

    extras: ``values`` float [T_stream], the exact value at each step; ``floor_mse``,
    the MSE of the best predictor that sees only bins, 1 / (6 levels²).  ``chance``
    is 1/6, the MSE of always predicting the mean sum 1.
    """
    n_steps = n_sequences * T
    _check_length("adding", n_steps, "T and n_sequences")
    n_test = _n_held_out("adding", n_sequences, test_fraction, "sequences", "n_sequences")
    rng = np.random.default_rng(seed)
    values = rng.random(n_steps)                                        # [n_steps]
    starts, resets = _episode_layout(np.full(n_sequences, T))
    first = starts + rng.integers(0, T // 2, n_sequences)               # [n]
    second = starts + rng.integers(T // 2, T, n_sequences)              # [n]
    marker = np.zeros(n_steps, np.int64)
    marker[first] = marker[second] = 1
    bins = np.minimum((values * levels).astype(np.int64), levels - 1)
    ends = starts + T - 1
    targets = np.zeros(n_steps)                                         # [n_steps]
    targets[ends] = values[first] + values[second]
    mask = np.zeros(n_steps, bool)
    mask[ends] = True
    alphabet = tuple(f"v{b}" for b in range(levels)) + tuple(f"m{b}" for b in range(levels))
    return dict(
        alphabet=alphabet, inputs=marker * levels + bins, targets=targets, mask=mask,
        resets=resets, holdout=_tail(n_steps, n_test * T), kind=REGRESSION, classes=(),
        chance=1.0 / 6.0, metric="mse",
        extras={"values": values, "floor_mse": 1.0 / (6.0 * levels**2)},
        description=(
            f"Each episode is a sequence of {T} steps. Every step shows a random number "
            f"between 0 and 1, rounded down to one of {levels} levels for the machines, and "
            "a marker that is on at exactly two steps: one in the first half and one in the "
            "second. At the last step the network must output the sum of the two marked "
            "numbers. It has to notice the marked steps, hold the first number for up to "
            f"{T} steps and add the second, while ignoring all the others. Always predicting "
            "the average sum 1 gives a mean squared error of 1/6 = 0.167; with only "
            f"{levels} levels per number even a perfect memory cannot beat "
            f"{1 / (6 * levels**2):.4f}. LSTMs solve it for sequences of 100 steps and more "
            "(Hochreiter and Schmidhuber 1997)."))


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------

MIN_TEXT_CHARS = 20


@functools.cache
def _shakespeare() -> str:
    """The shipped corpus: the plays of ``SHAKESPEARE_PLAYS``, joined by a blank line (read from
    the shipped data wherever the package runs from: see :mod:`.paths`)."""
    folder = ASSETS / "text" / "shakespeare"
    plays = []
    for play in SHAKESPEARE_PLAYS:
        path = folder / f"{play}.txt"
        if not path.is_file():
            raise TaskError(f"text: the Shakespeare corpus is missing: there is no file {path} "
                            "(it ships as package data from assets/text/shakespeare/; reinstall "
                            "fsm-network-explorer, or in a checkout restore assets/ from the "
                            "repository)")
        plays.append(path.read_text(encoding="utf-8"))
    return "\n".join(plays)


def _fsm_source(rng, n_states: int, n_symbols: int) -> tuple[np.ndarray, np.ndarray]:
    """A random unifilar source: ``(next_state [S, X], emit [S, X])``.

    In state s it emits symbol x with probability ``emit[s, x]`` (Dirichlet(0.5)
    draws, floored at 1e-3) and moves to ``next_state[s, x]``.  One random symbol of
    every state leads to the next state round a cycle, so every state is reachable
    from every other and the stationary distribution is unique.
    """
    emit = np.maximum(rng.dirichlet(np.full(n_symbols, 0.5), n_states), 1e-3)  # [S, X]
    emit /= emit.sum(axis=1, keepdims=True)
    next_state = rng.integers(0, n_states, (n_states, n_symbols))               # [S, X]
    states = np.arange(n_states)
    next_state[states, rng.integers(0, n_symbols, n_states)] = (states + 1) % n_states
    return next_state, emit


def _run_fsm_source(rng, next_state: np.ndarray, emit: np.ndarray, T: int):
    """Emit T symbols from state 0: ``(symbols [T], state after each symbol [T])``."""
    cumulative = np.cumsum(emit, axis=1).tolist()
    successors = next_state.tolist()
    last_symbol = emit.shape[1] - 1
    symbols, states = [0] * T, [0] * T
    state = 0
    for t, draw in enumerate(rng.random(T).tolist()):
        symbol = min(bisect.bisect_right(cumulative[state], draw), last_symbol)
        state = successors[state][symbol]
        symbols[t], states[t] = symbol, state
    return np.array(symbols, np.int64), np.array(states, np.int64)


def _entropy_rate(next_state: np.ndarray, emit: np.ndarray) -> float:
    """Bits per symbol of the source: sum over states of stationary prob x emission entropy.

    The source is unifilar (state and symbol fix the next state), so a predictor that
    starts in the known start state always knows the state; its best expected loss per
    symbol in the long run is exactly this entropy rate.
    """
    n_states, n_symbols = emit.shape
    transition = np.zeros((n_states, n_states))  # [S, S]
    np.add.at(transition, (np.repeat(np.arange(n_states), n_symbols), next_state.ravel()),
              emit.ravel())
    system = transition.T - np.eye(n_states)
    system[-1] = 1.0                             # replace one dependent row by sum(pi) = 1
    rhs = np.zeros(n_states)
    rhs[-1] = 1.0
    stationary = np.linalg.solve(system, rhs)    # [S]
    return float(stationary @ -(emit * np.log2(emit)).sum(axis=1))


def _encode_text(text: str, max_symbols: int) -> tuple[tuple, np.ndarray, bool]:
    """The alphabet (sorted characters, then ``OTHER_SYMBOL`` if capped), codes [T], capped.

    When more than ``max_symbols`` distinct characters occur, the ``max_symbols - 1``
    most frequent are kept and every other character becomes ``OTHER_SYMBOL``.
    """
    points = np.frombuffer(text.encode("utf-32-le"), np.uint32)             # [T]
    unique, inverse, counts = np.unique(points, return_inverse=True, return_counts=True)
    capped = unique.shape[0] > max_symbols
    kept = unique
    if capped:
        by_frequency = np.lexsort((unique, -counts))
        by_frequency = by_frequency[unique[by_frequency] != ord(OTHER_SYMBOL)]
        kept = np.sort(unique[by_frequency[:max_symbols - 1]])
    code_of_unique = np.searchsorted(kept, unique)                          # [U]
    code_of_unique[~np.isin(unique, kept)] = kept.shape[0]
    alphabet = tuple(map(chr, kept.tolist())) + ((OTHER_SYMBOL,) if capped else ())
    return alphabet, code_of_unique[inverse.ravel()], capped


def _ngram_bits(inputs, targets, train, evaluate, n_symbols) -> tuple[float, float]:
    """Unigram and bigram bits per symbol, estimated on ``train`` steps, scored on ``evaluate``.

    Unigram: add-one (Laplace) smoothing.  Bigram: P(b | a) =
    (count(a, b) + n_symbols P_unigram(b)) / (count(a) + n_symbols), i.e. each row
    backs off to the unigram with the weight of ``n_symbols`` pseudo-counts.
    """
    unigram_counts = np.bincount(targets[train], minlength=n_symbols)           # [V]
    unigram = (unigram_counts + 1.0) / (unigram_counts.sum() + n_symbols)
    pair_counts = np.bincount(inputs[train] * n_symbols + targets[train],
                              minlength=n_symbols**2).reshape(n_symbols, n_symbols)  # [V, V]
    bigram = ((pair_counts + n_symbols * unigram)
              / (pair_counts.sum(axis=1, keepdims=True) + n_symbols))
    seen, following = inputs[evaluate], targets[evaluate]
    return (float(-np.log2(unigram[following]).mean()),
            float(-np.log2(bigram[seen, following]).mean()))


def _kneser_ney(counts: np.ndarray, lower: np.ndarray, discount: float) -> np.ndarray:
    """Interpolated Kneser-Ney: P(c | context) from ``counts`` [C, V] (C contexts) and the
    lower-order distribution ``lower`` [C, V] each context backs off to."""
    totals = counts.sum(axis=1, keepdims=True)                                  # [C, 1]
    types = (counts > 0).sum(axis=1, keepdims=True)                             # [C, 1]
    safe = np.maximum(totals, 1.0)
    backoff = np.where(totals > 0, discount * types / safe, 1.0)               # [C, 1]
    return np.maximum(counts - discount, 0.0) / safe + backoff * lower


def _trigram_bits(inputs, targets, train, evaluate, n_symbols, discount=0.75) -> float:
    """Trigram bits per symbol with interpolated Kneser-Ney smoothing (discount 0.75, the
    lower orders' counts being continuation counts, the lowest backing off to uniform),
    estimated on the ``train`` steps and scored on the ``evaluate`` steps.  The context of
    step t is ``inputs[t-1], inputs[t]``; step 0 (no ``inputs[-1]``) uses the bigram part.
    """
    V = n_symbols
    previous = np.append(0, inputs[:-1])                                        # [T]
    has_two = np.arange(len(inputs)) > 0
    rows = train & has_two
    trigram = np.bincount((previous[rows] * V + inputs[rows]) * V + targets[rows],
                          minlength=V**3).reshape(V * V, V).astype(float)      # [V*V, V]
    continuation = (trigram.reshape(V, V, V) > 0).sum(axis=0).astype(float)    # [V, V]: b, c
    unigram_types = (continuation > 0).sum(axis=0).astype(float)               # [V]: c
    uniform = np.full((1, V), 1.0 / V)
    unigram = _kneser_ney(unigram_types[None, :], uniform, discount)            # [1, V]
    bigram = _kneser_ney(continuation, np.repeat(unigram, V, axis=0), discount)  # [V, V]
    probabilities = _kneser_ney(trigram, np.tile(bigram, (V, 1)), discount)     # [V*V, V]
    context = previous * V + inputs                                             # [T]
    p = np.where(has_two, probabilities[context, targets], bigram[inputs, targets])
    return float(-np.log2(p[evaluate]).mean())


@_register("text", "Next-character prediction on Shakespeare, an FSM-made corpus or your text.",
           Param("corpus", "choice", "shakespeare",
                 "shipped plays, a corpus from a random FSM source, or user text (text=...)",
                 choices=("shakespeare", "fsm", "user")),
           Param("text", "text", None,
                 f"the user's text (corpus 'user'), at most {MAX_TEXT_BYTES:,} UTF-8 bytes",
                 optional=True),
           Param("T", "int", 20_000, "characters used (a seeded window of a longer text)",
                 100, MAX_STEPS),
           Param("max_symbols", "int", 95,
                 "alphabet cap: rarer characters share one 'other' symbol", 2, 256),
           Param("fsm_states", "int", 8, "states of the FSM source (corpus 'fsm')", 2, 64),
           Param("fsm_symbols", "int", 6, "letters of the FSM source (corpus 'fsm')", 2, 26),
           _test_fraction_param(0.1, "characters at the end of the text"))
def _text(*, corpus, text, T, max_symbols, fsm_states, fsm_symbols, test_fraction,
          seed) -> dict:
    """Next-character prediction: ``targets[t] = inputs[t+1]``, every step but the last.

    Corpus ``shakespeare``: a window of ``T`` characters of the shipped plays, at a
    start drawn from the seed (the whole corpus when ``T`` exceeds it).  Corpus
    ``user`` (implied by passing ``text=``): the same windowing of the given text.
    Corpus ``fsm``: ``T`` letters emitted by a random unifilar FSM source (see
    ``_fsm_source``) built from the seed.  The alphabet is the characters present,
    sorted, capped at ``max_symbols`` (then the rarest share ``OTHER_SYMBOL``, last).
    Holdout = the last ``test_fraction`` of the steps.  ``chance`` = unigram bits per
    character estimated on the training part and scored on the held-out tail.

    extras: ``bigram_bits`` (same protocol, bigram model), ``trigram_bits`` (trigram,
    interpolated Kneser-Ney, see ``_trigram_bits``); for ``shakespeare`` and
    ``user`` also ``window_start``, the window's character offset in the text; for
    ``fsm`` also ``optimal_bits`` (the source's exact entropy rate, the best expected
    loss of any predictor), ``oracle_bits`` (the loss that predictor actually scores on
    the held-out tail), ``source_next`` int [S, X], ``source_emit`` float [S, X] and
    ``source_states`` int [T], the source's state after each character.
    """
    params = dict(corpus=corpus, text=text, T=T, max_symbols=max_symbols,
                  fsm_states=fsm_states, fsm_symbols=fsm_symbols,
                  test_fraction=test_fraction, seed=seed)
    if text is not None:
        if corpus == "fsm":
            raise TaskError("text: text= is given but corpus='fsm'; pass corpus='user' (or "
                            "leave corpus out) to use your text")
        corpus = params["corpus"] = "user"
    rng = np.random.default_rng(seed)
    extras: dict[str, object] = {}
    if corpus == "fsm":
        if max_symbols < fsm_symbols:
            raise TaskError(f"text: max_symbols={max_symbols} is below fsm_symbols="
                            f"{fsm_symbols}; the FSM corpus needs all its letters")
        next_state, emit = _fsm_source(rng, fsm_states, fsm_symbols)
        symbols, source_states = _run_fsm_source(rng, next_state, emit, T)
        window = (symbols + ord("a")).astype(np.uint8).tobytes().decode("ascii")
        extras.update(optimal_bits=_entropy_rate(next_state, emit), source_next=next_state,
                      source_emit=emit, source_states=source_states)
        source = (f"text emitted by a random finite-state source with {fsm_states} hidden "
                  f"states and {fsm_symbols} letters")
        beyond = ("doing better needs a memory that tracks the source's hidden state. Because "
                  "the source is known, the best possible loss is known exactly: "
                  f"{extras['optimal_bits']:.3f} bits per character")
    else:
        if corpus == "user":
            if text is None:
                raise TaskError("text: corpus='user' needs the text itself: pass text=...")
            try:
                n_bytes = len(text.encode("utf-8"))
            except UnicodeEncodeError as err:
                raise TaskError(f"text: character {err.start} of text is not valid Unicode "
                                "(a lone surrogate); re-save the text as UTF-8") from None
            if n_bytes > MAX_TEXT_BYTES:
                raise TaskError(f"text: text is {n_bytes:,} UTF-8 bytes; the cap is "
                                f"{MAX_TEXT_BYTES:,} bytes")
            if len(text) < MIN_TEXT_CHARS:
                raise TaskError(f"text: text has {len(text)} characters; at least "
                                f"{MIN_TEXT_CHARS} are needed")
            full, source = text, "your text"
        else:
            full, source = _shakespeare(), ("Shakespeare's plays (Hamlet, Macbeth, A Midsummer "
                                            "Night's Dream, The Tempest)")
        beyond = ("doing better needs a memory of longer contexts: syllables, words, names. An "
                  "FSM bank with a one-hot readout that remembers the last few characters is "
                  "exactly an n-gram model")
        start = int(rng.integers(0, len(full) - T + 1)) if T < len(full) else 0
        window = full[start:start + T]
        extras["window_start"] = start
    alphabet, inputs, capped = _encode_text(window, max_symbols)  # [T]
    n_steps = inputs.shape[0]
    n_test = _n_held_out("text", n_steps, test_fraction, "characters", "T")
    targets = np.append(inputs[1:], 0)                           # [T], last step unscored
    mask = np.arange(n_steps) < n_steps - 1
    holdout = _tail(n_steps, n_test)
    evaluate = mask & holdout if n_test else mask
    unigram_bits, extras["bigram_bits"] = _ngram_bits(inputs, targets, mask & ~holdout,
                                                      evaluate, len(alphabet))
    extras["trigram_bits"] = _trigram_bits(inputs, targets, mask & ~holdout, evaluate,
                                           len(alphabet))
    if corpus == "fsm":
        surprise = -np.log2(emit[source_states[:-1], symbols[1:]])  # [T-1], loss at step t
        extras["oracle_bits"] = float(surprise[evaluate[:-1]].mean())
    other = (f" Only the {max_symbols - 1} most frequent characters are kept; the rest "
             f"share one 'other' symbol ({OTHER_SYMBOL}).") if capped else ""
    scored_on = (f"on the last {100 * test_fraction:.0f}% of the text, which is never trained "
                 "on" if n_test else "on the training text itself")
    return dict(
        params=params, alphabet=alphabet, inputs=inputs, targets=targets, mask=mask,
        resets=_first_step_reset(n_steps), holdout=holdout, kind=CLASSIFICATION,
        classes=alphabet, chance=unigram_bits, metric="bits_per_symbol", extras=extras,
        description=(
            f"The input is {n_steps:,} characters of {source}, one character per step, and "
            "at every step the network must predict the next character as a probability "
            f"for each of the {len(alphabet)} symbols.{other} The score is the average "
            f"surprise in bits per character {scored_on}. Guessing "
            f"from letter frequencies alone costs {unigram_bits:.2f} bits and knowing the "
            f"previous character {extras['bigram_bits']:.2f}; {beyond}."))


# --------------------------------------------------------------------------------------------
# Time series
# --------------------------------------------------------------------------------------------

def _mackey_glass(rng, n_samples: int) -> np.ndarray:
    """Mackey-Glass, tau = 17, sampled every time unit after a 500-unit washout.

    dx/dt = 0.2 x(t-17) / (1 + x(t-17)^10) - 0.1 x(t), from a constant history
    x0 ~ U[0.5, 1.5].  Integrated with step h = 0.1: the decay term exactly, the
    delayed term by the trapezoid rule.  Since the delay is 170 steps, a block of 170
    steps only needs the previous block, and within a block the update
    ``x[i+1] = e x[i] + drive[i]`` is a first-order linear filter (``lfilter``).
    Returns float [n_samples].
    """
    from scipy.signal import lfilter  # imported here: scipy.signal takes a second to load

    h, delay, per_sample, washout = 0.1, 170, 10, 500
    decay = math.exp(-0.1 * h)
    gain = (1.0 - decay) / 0.1
    n_fine = (washout + n_samples) * per_sample
    x = np.empty(delay + 1 + n_fine)  # [history + fine steps]; x[delay] is time 0
    x[:delay + 1] = rng.uniform(0.5, 1.5)
    for start in range(delay + 1, x.shape[0], delay):
        stop = min(start + delay, x.shape[0])
        lagged = x[start - delay - 1:stop - delay]                 # [stop - start + 1]
        production = 0.2 * lagged / (1.0 + lagged**10)
        drive = gain * 0.5 * (production[:-1] + production[1:])
        x[start:stop], _ = lfilter([1.0], [1.0, -decay], drive, zi=[decay * x[start - 1]])
    return x[delay + washout * per_sample::per_sample][:n_samples]


def _narma10(rng, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """NARMA-10 driven by u ~ U[0, 0.5], after a 200-step washout; finite by construction.

    y(t+1) = 0.3 y(t) + 0.05 y(t) sum_{i=0..9} y(t-i) + 1.5 u(t-9) u(t) + 0.1.

    The recursion has an unstable region: for some input sequences y leaves its usual
    range (about 0 to 1.1) and grows without bound to inf and NaN (Kubota, Nakajima &
    Takahashi, "Dynamical anatomy of NARMA10 benchmark task", arXiv:1906.04608: whether it
    diverges depends on the input realisation and the initial conditions; here 20 of 20
    seeds diverged within 500 000 steps).  The remedy used here is the usual one of
    redrawing the input when the series diverges, applied locally so that long series
    exist: the input is drawn in blocks of ``NARMA_BLOCK`` steps, and when ``y`` exceeds
    ``NARMA_DIVERGED`` the input from the start of the previous block on is drawn again and
    the recursion resumes from there (one block further back after every
    ``NARMA_RETRIES`` failures in a row).  Nothing is clipped: every value obeys the
    equation above exactly for the input returned, which is U[0, 0.5] conditioned on the
    series staying bounded.  A seed whose series never diverges gives the same series as
    drawing the whole input at once.

    Returns ``(u, y_next)``, float [n_samples] each, with ``y_next[t] = y(t+1)``.
    """
    washout = 200
    n_total = washout + n_samples
    u = [0.0] * n_total
    y = [0.0] * (n_total + 1)
    start, failures = 0, 0         # first step of the block being drawn; failures there so far
    window_sum = 0.0               # y[t-9] + .. + y[t], carried from block to block
    while start < n_total:
        stop = min(start + NARMA_BLOCK, n_total)
        u[start:stop] = rng.uniform(0.0, 0.5, stop - start).tolist()
        t = start
        while t < stop:
            y[t + 1] = (0.3 * y[t] + 0.05 * y[t] * window_sum
                        + 1.5 * (u[t - 9] if t >= 9 else 0.0) * u[t] + 0.1)
            if not y[t + 1] < NARMA_DIVERGED:         # also catches inf and NaN
                break
            window_sum += y[t + 1] - (y[t - 9] if t >= 9 else 0.0)
            t += 1
        if t < stop:                                # diverged: redraw from an earlier block
            failures += 1
            start = max(0, start - NARMA_BLOCK * (1 + failures // NARMA_RETRIES))
            window_sum = sum(y[max(0, start - 9):start + 1])
            continue
        start, failures = stop, 0
    return np.array(u[washout:]), np.array(y[washout + 1:])


#: steps of NARMA-10 input drawn together (and redrawn together when the series diverges)
NARMA_BLOCK = 200
#: a NARMA-10 value above this has left the bounded regime (normal values stay below ~1.2)
NARMA_DIVERGED = 10.0
#: failed redraws in a row after which the NARMA-10 generator goes one block further back
NARMA_RETRIES = 5


@_register("series", "One-step prediction of Mackey-Glass or NARMA-10 from a quantised input.",
           Param("name", "choice", "mackey_glass", "which series",
                 choices=("mackey_glass", "narma10")),
           Param("levels", "int", 16, "number of input symbols (equal-probability bins)",
                 2, 256),
           _length_param(2000, maximum=500_000), _test_fraction_param(0.2))
def _series(*, name, levels, T, test_fraction, seed) -> dict:
    """Time-series prediction with a quantised input and a real target [T].

    ``mackey_glass``: the input at step t is x(t), the target x(t+1) (τ = 17, one
    sample per time unit).  ``narma10``: the input is the drive u(t) ~ U[0, 0.5], the
    target y(t+1).  The input value is quantised into ``levels`` equal-probability
    bins: the bin edges are the quantiles of the training part's values, so each
    symbol ``q{i}`` is about equally frequent in training.  Every step is scored;
    holdout = the tail.

    extras: ``values`` float [T], the real input value at each step; ``bin_edges``
    float [levels-1].  ``chance`` = 1.0, the NRMSE of predicting the mean.
    """
    rng = np.random.default_rng(seed)
    n_test = _n_held_out("series", T, test_fraction, "steps", "T")
    if name == "mackey_glass":
        series = _mackey_glass(rng, T + 1)                     # [T+1]
        values, targets = series[:T], series[1:]
    else:
        values, targets = _narma10(rng, T)                     # [T], [T]
    bin_edges = np.quantile(values[:T - n_test], np.arange(1, levels) / levels)  # [levels-1]
    inputs = np.searchsorted(bin_edges, values, side="right")  # [T], 0..levels-1
    if name == "mackey_glass":
        story = ("the Mackey-Glass delay equation (τ = 17), a standard chaotic signal; the "
                 "input is the current value of the series and the target is its value one "
                 "time unit later. The chaos comes from a delay of 17 time units, so good "
                 "predictions need a memory of the recent shape of the curve")
    else:
        story = ("NARMA-10, a system driven by a random input u between 0 and 0.5 whose "
                 "output depends on its own last 10 values and on the input 10 steps ago; the "
                 "input is u and the target is the system's next output, so the network must "
                 "emulate a system with a memory of 10 steps. For some inputs this system "
                 "blows up to infinity; where it would, the input was drawn again (nothing is "
                 "clipped), so every target is finite and follows the NARMA-10 equation")
    return dict(
        alphabet=tuple(f"q{i}" for i in range(levels)), inputs=inputs, targets=targets,
        mask=np.ones(T, bool), resets=_first_step_reset(T), holdout=_tail(T, n_test),
        kind=REGRESSION, classes=(), chance=1.0, metric="nrmse",
        extras={"values": values, "bin_edges": bin_edges},
        description=(
            f"The signal is {story}. The machines only see the input rounded to one of "
            f"{levels} levels, chosen so that each level is equally common; the readout must "
            "output the exact real value. The score is the normalised root-mean-square error "
            "(NRMSE): 1.0 is what always predicting the mean achieves, 0 is perfect."))


# --------------------------------------------------------------------------------------------
# Tomita grammars (Tomita 1982)
# --------------------------------------------------------------------------------------------

TOMITA_CLASSES = ("reject", "accept")
# grammar -> (definition, state names, transitions [S][("0", "1")], accepting [S]); state 0
# starts.  Each is the grammar's minimal DFA, with a dead state where the language needs one.
_TOMITA = {
    1: ("1*: only ones", ("ones", "dead"), ((1, 0), (1, 1)), (1, 0)),
    2: ("(10)*: repetitions of 10", ("even", "after1", "dead"),
        ((2, 1), (0, 2), (2, 2)), (1, 0, 0)),
    3: ("no odd-length run of 1s directly followed by an odd-length run of 0s",
        ("safe", "odd1", "odd1odd0", "odd1even0", "dead"),
        ((0, 1), (2, 0), (3, 4), (2, 1), (4, 4)), (1, 1, 0, 1, 0)),
    4: ("no 000 anywhere", ("z0", "z1", "z2", "dead"),
        ((1, 0), (2, 0), (3, 0), (3, 3)), (1, 1, 1, 0)),
    5: ("an even number of 0s and an even number of 1s", ("e0e1", "e0o1", "o0e1", "o0o1"),
        ((2, 1), (3, 0), (0, 3), (1, 2)), (1, 0, 0, 0)),
    6: ("(number of 0s - number of 1s) divisible by 3", ("d0", "d1", "d2"),
        ((1, 2), (2, 0), (0, 1)), (1, 0, 0)),
    7: ("0*1*0*1*: at most four blocks, in that order", ("a0", "b1", "c0", "d1", "dead"),
        ((0, 1), (2, 1), (2, 3), (4, 3), (4, 4)), (1, 1, 1, 1, 0)),
}


def tomita_machine(grammar: int):
    """The minimal automaton of Tomita grammar ``grammar`` as a Moore :class:`Machine`.

    Alphabet ``("0", "1")``; the output of a state is 1.0 when the string read so far
    is in the language (accept) and 0.0 otherwise; the start state accepts, since
    every Tomita language contains the empty string.  The state counts are 2, 3, 5,
    4, 4, 3, 5 for grammars 1-7.

    Raises
    ------
    TaskError
        When ``grammar`` is not one of 1..7.
    """
    from .machine import Machine

    if grammar not in _TOMITA:
        raise TaskError(f"tomita: grammar={grammar!r} does not exist; choose 1 to 7")
    _, states, transitions, accepting = _TOMITA[grammar]
    return Machine(("0", "1"), transitions, [float(a) for a in accepting], start=0,
                   states=states)


def _tomita_strings(rng, transitions: np.ndarray, accepting: np.ndarray, labels: np.ndarray,
                    lengths: np.ndarray) -> np.ndarray:
    """Strings [n, max length] (codes, -1 after the end) with the given final labels.

    String ``i`` is drawn uniformly among all strings of length ``lengths[i]`` whose
    final label (1 accept, 0 reject) is ``labels[i]``: symbol by symbol, each with
    probability proportional to the number of completions that end with that label.
    ``transitions`` int [S, 2] and ``accepting`` bool [S] are the grammar's DFA.
    """
    max_length = int(lengths.max())
    # ways[label, r, q]: strings of length r leading from state q to a state with that label
    ways = np.zeros((2, max_length + 1, transitions.shape[0]))
    ways[1, 0], ways[0, 0] = accepting, ~accepting
    for r in range(1, max_length + 1):
        ways[:, r] = ways[:, r - 1][:, transitions].sum(axis=2)
    strings = np.full((labels.shape[0], max_length), -1, np.int64)  # [n, max length]
    state = np.zeros(labels.shape[0], np.int64)                      # [n], start state 0
    for t in range(max_length):
        active = t < lengths
        remaining = np.maximum(lengths - t - 1, 0)
        completions = ways[labels[:, None], remaining[:, None], transitions[state]]  # [n, 2]
        total = completions.sum(axis=1)                                # 0 once a string ended
        p_one = np.divide(completions[:, 1], total, out=np.zeros_like(total), where=total > 0)
        symbol = (rng.random(labels.shape[0]) < p_one).astype(np.int64)
        strings[active, t] = symbol[active]
        state = np.where(active, transitions[state, symbol], state)
    return strings


@_register("tomita", "Say after every symbol whether the string so far is in a Tomita grammar.",
           Param("grammar", "int", 3, "which Tomita grammar, 1 to 7", 1, 7),
           Param("n_strings", "int", 2000, "number of strings (episodes)", 1, 100_000),
           Param("max_length", "int", 20, "longest string; lengths are mixed from 1 up", 1, 200),
           _test_fraction_param(0.2, "strings (the last ones)"))
def _tomita(*, grammar, n_strings, max_length, test_fraction, seed) -> dict:
    """Tomita grammar recognition: one episode per binary string.

    Alphabet ``("0", "1")``, classes ``("reject", "accept")``.  The target at every
    step is 1 when the prefix read so far is in the language, else 0 (so a Moore
    machine's output is exactly the target); every step is scored.  Grammar 3 is
    read as Tomita (1982) defines it: no odd-length run of 1s *directly* followed by
    an odd-length run of 0s (a final run counts, so ``10`` is rejected and ``100``
    accepted).  Balanced classes: each string's final label is accept or reject with
    probability 1/2; its length is uniform over the lengths 1..``max_length`` that
    have a string with that label, and the string is uniform among those (exact
    counting on the grammar's DFA); the per-step targets follow the prefixes.
    Holdout = the last ``test_fraction`` of the strings.

    extras: ``string_id`` int [T], the string (episode) of each step;
    ``minimal_states`` int, the size of the grammar's minimal automaton;
    ``minimal_machine`` the :class:`Machine` itself (:func:`tomita_machine`).
    ``chance`` is 0.5.
    """
    n_test = _n_held_out("tomita", n_strings, test_fraction, "strings", "n_strings")
    automaton = tomita_machine(grammar)
    transitions = automaton.transitions                        # [S, 2]
    accepting = automaton.outputs > 0.5                        # [S]
    # reach[r, q]: state q is reachable by a string of r symbols; a DFA reaches every state it
    # can reach within n_states steps, so that horizon shows every label a length can have
    horizon = max(max_length, automaton.n_states)
    reach = np.zeros((horizon + 1, automaton.n_states), bool)
    reach[0, automaton.start] = True
    for r in range(1, horizon + 1):
        reach[r, transitions[reach[r - 1]].ravel()] = True
    has_label = np.stack([(reach[1:] & ~accepting).any(axis=1),
                          (reach[1:] & accepting).any(axis=1)])   # [2, horizon], lengths 1..
    for label in (0, 1):
        if not has_label[label, :max_length].any():
            needed = int(np.flatnonzero(has_label[label])[0]) + 1
            raise TaskError(f"tomita: with max_length={max_length} grammar {grammar} has no "
                            f"{TOMITA_CLASSES[label]}ed string; use max_length >= {needed}")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n_strings)                     # [n], final label of each string
    lengths = np.empty(n_strings, np.int64)                    # [n]
    for label in (0, 1):
        allowed = np.flatnonzero(has_label[label, :max_length]) + 1
        chosen = labels == label
        lengths[chosen] = rng.choice(allowed, int(chosen.sum()))
    _check_length("tomita", int(lengths.sum()), "n_strings and max_length")
    strings = _tomita_strings(rng, transitions, accepting, labels, lengths)  # [n, max length]
    present = strings >= 0
    inputs = strings[present]                                  # [T], string by string
    state = np.zeros_like(strings)                             # [n, max length]
    current = np.full(n_strings, automaton.start)
    for t in range(strings.shape[1]):
        current = transitions[current, np.maximum(strings[:, t], 0)]
        state[:, t] = current
    targets = accepting[state[present]].astype(np.int64)      # [T]
    _, resets = _episode_layout(lengths)
    string_id = np.repeat(np.arange(n_strings), lengths)
    definition = _TOMITA[grammar][0]
    return dict(
        alphabet=("0", "1"), inputs=inputs, targets=targets, mask=np.ones(inputs.shape[0], bool),
        resets=resets, holdout=string_id >= n_strings - n_test, kind=CLASSIFICATION,
        classes=TOMITA_CLASSES, chance=0.5, metric="accuracy",
        extras={"string_id": string_id, "minimal_states": automaton.n_states,
                "minimal_machine": automaton},
        description=(
            f"Each episode is a random string of 0s and 1s, 1 to {max_length} symbols long. "
            f"After every symbol the network must say whether the string read so far belongs "
            f"to Tomita grammar {grammar}: {definition}. Half of the strings end accepted and "
            "half rejected. The answer depends on the whole string so far, but only through "
            f"which of {automaton.n_states} states its smallest finite automaton is in, so "
            "this task asks whether a model learns that automaton; the Tomita grammars "
            "(Tomita 1982) are the classic test of extracting automata from recurrent "
            f"networks. {n_strings - n_test} strings train and {n_test} held-out strings test "
            "(short strings can occur in both)."))


NAMES = tuple(_REGISTRY)
