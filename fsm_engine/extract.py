"""The finite-state machine a trained model computes: the project's question run backwards.

Not "can many FSMs do an LSTM's job?" but "how big a finite-state machine does a trained
model actually implement?".  Three routes, one result (:class:`Extraction`, whose
``machine`` is a :class:`~fsm_engine.machine.Machine` to open, draw or export):

- :func:`quantise`: run the trained LSTM over its training strings, cluster the hidden
  states it visits (k-means), read the transition table off the clustered trajectories by
  majority vote and each cluster's output off the LSTM's own predictions, then minimise
  (Omlin & Giles 1996; Koul, Fern & Greydanus 2019 quantise a trained bottleneck instead).
- :func:`lstar`: Angluin's L* (the AALpy library) with the trained LSTM as membership
  oracle and random words as equivalence oracle (Weiss, Goldberg & Yahav 2018).
- :func:`network_automaton`: an FSM network is finite already; its automaton is the
  product of its machines, explored breadth first from the start, each product state
  labelled with the trained readout's decision, then minimised.

Conventions shared by the routes:

- a machine's output is a class code (0.0, 1.0, ...), so on the task's strings it
  emits, after every symbol, the class the model would predict;
- nothing is scored before the first symbol, so the start state's own output is free:
  :func:`minimise` gives it the value that makes the machine smallest.  In particular
  the empty word's label in L* (the LSTM's prediction from its zero state, which no
  training step ever scored) cannot add a state;
- ``fidelity`` is the fraction of the task's evaluation steps (``task.eval_mask``: the
  held-out strings) on which the machine's output equals the model's prediction,
  ``accuracy`` the machine's own task accuracy there, ``model_accuracy`` the model's;
- every search is capped (states, seconds); a cap that cuts one sets ``cut`` and says so
  in ``notes``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from aalpy.base import SUL, Oracle
from aalpy.learning_algs import run_Lstar

from . import models
from .bank import MachineBank, check_bytes
from .blas import one_thread
from .errors import FSMError
from .experiments import default_eval_every
from .features import StateFeatures
from .lstm import LSTM
from .machine import Machine
from .tasks import CLASSIFICATION, Task
from .training import Trainer

METHODS = ("quantise", "lstar", "product")
#: what of the LSTM's state is clustered: the hidden state h, or h and the cell state c
STATE_KINDS = ("h", "hc")
#: numbers of clusters tried when k is chosen on validation fidelity
K_CANDIDATES = (2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 32)
#: most visited states k-means is fitted on (a seeded sample beyond that)
MAX_POINTS = 5000
#: largest L* hypothesis before the search is cut
MAX_LSTAR_STATES = 64
#: most product states the network automaton explores before it is cut
MAX_PRODUCT_STATES = 20_000
#: longest random word the L* equivalence oracle draws
MAX_WORD_LENGTH = 64
RUN_CHUNK = 2048   # words per model run (bounds memory)
#: training loss (mean cross-entropy, nats) below which :func:`train` calls a model confident
CONFIDENT_LOSS = 1e-3


@dataclass(frozen=True)
class Extraction:
    """An extracted machine and how well it stands for the model it came from.

    Attributes
    ----------
    machine : the minimised :class:`Machine`; outputs are class codes.
    method : ``"quantise"``, ``"lstar"`` or ``"product"``.
    model : ``"lstm"`` or ``"fsm"``, what it was extracted from.
    states : states of ``machine`` (after minimisation).
    raw_states : states before minimisation (clusters + start, L* hypothesis, or
        product states explored).
    minimal_states : states of the task's own minimal automaton (Tomita), or None.
    fidelity : agreement with the model's predictions on the evaluation steps.
    accuracy : the machine's task accuracy on the evaluation steps.
    model_accuracy : the model's task accuracy on the same steps.
    seconds : wall-clock time of the extraction (training not included).
    cut : a cap (states, seconds) stopped the search before it finished.
    notes : sentences saying what was chosen, completed or cut.
    details : method-specific numbers (k, queries, depth explored, ...).
    """

    machine: Machine
    method: str
    model: str
    states: int
    raw_states: int
    minimal_states: int | None
    fidelity: float
    accuracy: float
    model_accuracy: float
    seconds: float
    cut: bool = False
    notes: tuple[str, ...] = ()
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The JSON-ready summary, without the machine (``machine.to_dict()`` has it);
        extractions from an LSTM also carry ``lstm_accuracy``."""
        row = {"method": self.method, "model": self.model, "states": self.states,
               "raw_states": self.raw_states, "minimal_states": self.minimal_states,
               "fidelity": self.fidelity, "accuracy": self.accuracy,
               "model_accuracy": self.model_accuracy, "seconds": self.seconds, "cut": self.cut,
               "notes": list(self.notes), "details": dict(self.details)}
        if self.model == "lstm":
            row["lstm_accuracy"] = self.model_accuracy
        return row


# ---------------------------------------------------------------------- models
class StateModel(Protocol):
    """What :func:`quantise` and :func:`lstar` need from a trained recurrent model."""

    n_symbols: int

    def run(self, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Read ``words`` int [B, L] (symbol codes, -1 after a word's end), each from the
        initial state; return the state after every symbol, float [B, L, D], and the class
        predicted there, int [B, L] (entries past a word's end mean nothing)."""

    def initial(self) -> tuple[np.ndarray, int]:
        """The state before any input [D] and the class predicted there."""


class LSTMStates:
    """A trained :class:`~fsm_engine.lstm.LSTM` seen as a :class:`StateModel`.

    Parameters
    ----------
    net : the LSTM; its inputs are the one-hot codes of the symbols.
    state : ``"h"`` (default): the state is every layer's hidden state (what the head
        reads); ``"hc"``: the hidden and the cell states, the LSTM's whole memory.  The
        cell state is unbounded and drifts on long strings, which swamps the distances
        k-means clusters by; on the Tomita grammars ``"h"`` needs fewer clusters.
    """

    def __init__(self, net: LSTM, state: str = "h"):
        if state not in STATE_KINDS:
            raise FSMError(f"state must be one of {STATE_KINDS}, got {state!r}")
        self.net, self.state = net, state
        self.n_symbols = net.n_inputs
        self._codes = np.vstack([np.eye(net.n_inputs, dtype=net.dtype),
                                 np.zeros((1, net.n_inputs), net.dtype)])   # row -1: padding

    @property
    def width(self) -> int:
        """D, the length of one state vector."""
        return self.net.n_layers * self.net.n_hidden * len(self.state)

    def run(self, words):
        words = np.asarray(words, dtype=np.int64)
        n_words, length = words.shape
        states = np.empty((n_words, length, self.width), self.net.dtype)   # [B, L, D]
        classes = np.empty((n_words, length), np.int64)                     # [B, L]
        with one_thread():
            for lo in range(0, n_words, RUN_CHUNK):
                rows = slice(lo, lo + RUN_CHUNK)
                trace = self.net.forward_trace(self._codes[words[rows].T])   # x [L, b, X]
                parts = [trace[kind] for kind in self.state]                 # [layers, L, b, H]
                chunk = np.concatenate(parts, axis=0)                        # [layers', L, b, H]
                states[rows] = chunk.transpose(2, 1, 0, 3).reshape(chunk.shape[2], length, -1)
                classes[rows] = trace["outputs"].argmax(axis=2).T
        return states, classes

    def initial(self):
        head = self.net.params["head.bias"]   # the head's output on the zero state
        return np.zeros(self.width, self.net.dtype), int(np.argmax(head))


# ---------------------------------------------------------------------- shared helpers
@dataclass(frozen=True)
class _Episodes:
    """The task's episodes that hold selected steps, as padded words.

    words int [E, L] (-1 after an episode's end); steps int [E, L], the stream index of
    each symbol (-1 as padding); selected bool [E, L], the steps chosen (e.g. eval_mask).
    """

    words: np.ndarray
    steps: np.ndarray
    selected: np.ndarray


def _episodes(task: Task, chosen: np.ndarray) -> _Episodes:
    starts = np.flatnonzero(task.resets)
    ends = np.append(starts[1:], task.T)
    episode = np.cumsum(task.resets) - 1                           # [T] episode of each step
    keep = np.unique(episode[chosen])                              # episodes with a chosen step
    lengths = ends[keep] - starts[keep]
    position = np.arange(int(lengths.max()))                       # [L]
    present = position[None, :] < lengths[:, None]                 # [E, L]
    steps = np.where(present, starts[keep][:, None] + position[None, :], -1)
    words = np.where(present, task.inputs[np.maximum(steps, 0)], -1)
    return _Episodes(words, steps, present & chosen[np.maximum(steps, 0)])


def machine_classes(machine: Machine, words: np.ndarray) -> np.ndarray:
    """The class a machine emits after every symbol of ``words`` int [B, L] (-1 = padding),
    each word read from the start state: int [B, L] (padding positions repeat the last)."""
    classes = np.rint(machine.outputs).astype(np.int64)           # [S]
    state = np.full(words.shape[0], machine.start)                # [B]
    emitted = np.empty(words.shape, np.int64)                      # [B, L]
    for t in range(words.shape[1]):
        symbol = words[:, t]
        state = np.where(symbol >= 0, machine.transitions[state, np.maximum(symbol, 0)], state)
        emitted[:, t] = classes[state]
    return emitted


def minimise(machine: Machine) -> Machine:
    """The smallest machine that emits the same outputs after every symbol of every word,
    in :func:`canonical` form.

    Moore minimisation (:meth:`Machine.minimize`) with the output of the *initial*
    state free, since no step reads it: each output value any state has is tried on
    it and the smallest result is kept (on a tie, the start's own output).  When a
    word leads back to the start state its output is read there, so then a fresh
    start state with the same transitions takes the free output instead.
    """
    outputs = machine.outputs.tolist()
    table, names, start = machine.transitions, machine.states, machine.start
    if (machine.transitions[machine.reachable_states()] == machine.start).any():
        fresh = "start"
        while fresh in names:
            fresh += "'"
        table = np.vstack([table, table[start]])                    # [S+1, X]
        names, start = (*names, fresh), len(outputs)
        outputs = outputs + [outputs[machine.start]]
    own = outputs[start]
    candidates = (Machine(machine.alphabet, table, outputs[:start] + [value]
                          + outputs[start + 1:], start=start, states=names).minimize()
                  for value in [own] + sorted(set(outputs) - {own}))
    return canonical(min(candidates, key=lambda candidate: candidate.n_states))  # first on a tie


def canonical(machine: Machine) -> Machine:
    """The reachable part of ``machine`` with states renamed ``q0, q1, ...`` in
    breadth-first order from the start (symbols in alphabet order).

    Two minimal machines compute the same outputs exactly when their canonical
    forms are equal, so this is the "up to renaming" comparison.
    """
    order = [machine.start]
    position = {machine.start: 0}
    for state in order:                      # grows while it is walked: breadth first
        for target in machine.transitions[state]:
            if int(target) not in position:
                position[int(target)] = len(order)
                order.append(int(target))
    table = [[position[int(t)] for t in machine.transitions[s]] for s in order]
    return Machine(machine.alphabet, table, machine.outputs[order].tolist(), start=0,
                   states=[f"q{i}" for i in range(len(order))])


def _score(machine: Machine, episodes: _Episodes, model_classes: np.ndarray,
           targets: np.ndarray) -> tuple[float, float, float]:
    """(fidelity, accuracy, model accuracy) on the selected steps."""
    emitted = machine_classes(machine, episodes.words)[episodes.selected]
    predicted = model_classes[episodes.selected]
    return (float(np.mean(emitted == predicted)), float(np.mean(emitted == targets)),
            float(np.mean(predicted == targets)))


def _check_classification(task: Task) -> None:
    if task.kind != CLASSIFICATION:
        raise FSMError(f"a machine can only be extracted for a classification task; task "
                       f"{task.name!r} is {task.kind}")


def _lstm_result(machine: Machine, method: str, task: Task, model: StateModel,
                 started: float, cut: bool, notes: list[str], details: dict) -> Extraction:
    """Minimise ``machine`` and score it against ``model`` on the task's evaluation steps."""
    minimal = minimise(machine)
    evaluation = _episodes(task, task.eval_mask)
    _, model_classes = model.run(evaluation.words)
    targets = task.targets[evaluation.steps[evaluation.selected]]
    fidelity, accuracy, model_accuracy = _score(minimal, evaluation, model_classes, targets)
    return Extraction(machine=minimal, method=method, model="lstm", states=minimal.n_states,
                      raw_states=machine.n_states,
                      minimal_states=task.extras.get("minimal_states"),
                      fidelity=fidelity, accuracy=accuracy, model_accuracy=model_accuracy,
                      seconds=time.perf_counter() - started, cut=cut, notes=tuple(notes),
                      details=details)


# ---------------------------------------------------------------------- k-means
def kmeans(points: np.ndarray, k: int, seed: int = 0, n_init: int = 5,
           max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means with k-means++ seeding; the best of ``n_init`` runs (least inertia).

    Parameters
    ----------
    points : float array [P, D].
    k : number of clusters, 1 <= k <= number of distinct points.
    seed : the same seed gives the same clusters.

    Returns
    -------
    (centroids float [k, D], labels int [P]); a cluster left empty during the
    iterations is moved to the point farthest from its centroid, so none ends empty.

    Raises
    ------
    FSMError
        ``k`` is below 1 or above the number of distinct points, or ``n_init`` is below 1.
    """
    points = np.asarray(points, dtype=np.float64)
    n_distinct = np.unique(points, axis=0).shape[0]
    if not 1 <= k <= n_distinct:
        raise FSMError(f"k-means needs 1 <= k <= {n_distinct} (the distinct points), got k={k}")
    if n_init < 1:
        raise FSMError(f"k-means needs n_init >= 1 runs, got n_init={n_init}")
    rng = np.random.default_rng(seed)
    norms = (points ** 2).sum(axis=1)                               # [P]
    best: tuple[float, np.ndarray, np.ndarray] | None = None       # (inertia, centroids, labels)
    with one_thread():
        for _ in range(n_init):
            centroids = _kmeans_plus_plus(points, norms, k, rng)
            for _ in range(max_iter):
                labels, distances = _nearest(points, centroids, norms)
                members = np.zeros((k, points.shape[0]))            # [k, P] one-hot
                members[labels, np.arange(points.shape[0])] = 1.0
                counts = members.sum(axis=1)                        # [k]
                updated = (members @ points) / np.maximum(counts, 1.0)[:, None]
                for empty in np.flatnonzero(counts == 0):
                    farthest = int(np.argmax(distances))
                    updated[empty], distances[farthest] = points[farthest], 0.0
                if np.allclose(updated, centroids):
                    break
                centroids = updated
            labels, distances = _nearest(points, centroids, norms)
            if best is None or distances.sum() < best[0]:
                best = (float(distances.sum()), centroids, labels)
    assert best is not None                                         # n_init >= 1 runs
    return best[1], best[2]


def _kmeans_plus_plus(points, norms, k, rng) -> np.ndarray:
    chosen = [int(rng.integers(points.shape[0]))]
    distances = _nearest(points, points[chosen], norms)[1]        # [P] to the nearest centre
    for _ in range(1, k):
        chosen.append(int(rng.choice(points.shape[0], p=distances / distances.sum())))
        distances = np.minimum(distances, _nearest(points, points[chosen[-1:]], norms)[1])
    return points[chosen]                                          # [k, D]


def _nearest(points, centroids, norms=None) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centroid [P] and the squared distance to it [P]; ``norms`` [P]
    are the points' squared norms when already known."""
    if norms is None:
        norms = (points ** 2).sum(axis=1)
    squared = norms[:, None] - 2.0 * points @ centroids.T + (centroids ** 2).sum(axis=1)
    labels = squared.argmin(axis=1)                                # squared: [P, k]
    return labels, np.maximum(squared[np.arange(points.shape[0]), labels], 0.0)


# ---------------------------------------------------------------------- quantisation
def quantise(model: StateModel, task: Task, k: int | None = None, *,
             k_values=K_CANDIDATES, tolerance: float = 0.002, validation_fraction: float = 0.2,
             max_points: int = MAX_POINTS, seed: int = 0) -> Extraction:
    """The machine read off the clustered states a trained model visits.

    The model reads every training string of ``task``.  Its states after each symbol
    are clustered by k-means into ``k`` clusters; the machine has one state per
    cluster plus the start state (the model's initial state).  The transition from
    ``q`` on ``x`` is the cluster the model most often moves to when it reads ``x`` in
    ``q`` (majority vote over all training strings).  A transition never observed is
    completed by the model itself: it reads the prefix that led to the cluster's most
    central visited state, then ``x``, and the transition goes to the cluster of the
    state it reaches.  A cluster's output is the class the model most often predicts
    in it.  The machine is then minimised (:func:`minimise`).

    Parameters
    ----------
    model : a :class:`StateModel` (e.g. :class:`LSTMStates` of a trained LSTM).
    task : the classification task it was trained on (episodes with resets).
    k : number of clusters (at most the number of distinct states visited); None
        chooses it on validation fidelity: the training strings are split
        (``validation_fraction`` held back), a machine is built for every ``k`` in
        ``k_values`` on the rest, and the smallest ``k`` whose fidelity on the
        held-back strings is within ``tolerance`` of the best is kept; the final
        machine is then built on all training strings.
    max_points : k-means is fitted on at most this many visited states (a seeded
        sample); every visited state is then assigned to its nearest centroid.
    seed : seed of the split, the sample and k-means.

    Returns
    -------
    Extraction with ``details``: ``k``, ``completed`` (transitions completed by the
    model), ``validation`` ({k: fidelity} when k was chosen).

    Raises
    ------
    FSMError
        A regression task, ``k`` below 1, or too few training strings to choose k.
    """
    _check_classification(task)
    if k is not None and k < 1:
        raise FSMError(f"k={k} clusters asked for; k must be at least 1")
    started = time.perf_counter()
    training = _episodes(task, task.train_mask)
    states, classes = model.run(training.words)
    notes: list[str] = []
    details: dict[str, object] = {}
    if k is None:
        order = np.random.default_rng(seed).permutation(training.words.shape[0])
        n_validation = max(1, round(validation_fraction * order.size))
        if n_validation >= order.size:
            raise FSMError("choosing k needs at least 2 training strings; give k explicitly")
        held, fit = order[:n_validation], order[n_validation:]
        valid = training.words[held] >= 0
        scores, built = {}, {}
        for candidate in k_values:
            machine, used, completed = _quantised_machine(
                model, task, training.words[fit], states[fit], classes[fit], candidate,
                max_points, seed)
            emitted = machine_classes(minimise(machine), training.words[held])
            scores[used] = float(np.mean(emitted[valid] == classes[held][valid]))
            built[used] = (machine, used, completed)
            if scores[used] == 1.0 or used < candidate:   # perfect, or no more distinct states
                break
        best = max(scores.values())
        k = min(c for c, score in scores.items() if score >= best - tolerance)
        machine, used, completed = built[k]
        details["validation"] = scores
        notes.append(f"k = {k} clusters, the fewest whose validation fidelity ({scores[k]:.4f}) "
                     f"is within {tolerance:g} of the best tried ({best:.4f}); the machine is "
                     f"built on the other {fit.size} training strings")
    else:
        machine, used, completed = _quantised_machine(model, task, training.words, states,
                                                      classes, k, max_points, seed)
    if used < k:
        notes.append(f"k = {used}: the model visits only {used} distinct states")
    if completed:
        notes.append(f"{completed} transition{'s' if completed > 1 else ''} never seen in "
                     "training completed by running the model from the cluster's most "
                     "central state")
    details.update(k=used, completed=completed)
    return _lstm_result(machine, "quantise", task, model, started, False, notes, details)


def _quantised_machine(model: StateModel, task: Task, words: np.ndarray, states: np.ndarray,
                       classes: np.ndarray, k: int, max_points: int,
                       seed: int) -> tuple[Machine, int, int]:
    """The unminimised machine of ``k`` clusters (state 0 = start, 1 + c = cluster c), the
    number of clusters used (k, or fewer when fewer distinct states were sampled) and the
    number of transitions the model completed.  words [E, L], states [E, L, D] and
    classes [E, L] as ``model.run`` returns them."""
    valid = words >= 0                                              # [E, L]
    points = states[valid].astype(np.float64)                       # [P, D]
    rng = np.random.default_rng(seed)
    sample = (rng.choice(points.shape[0], max_points, replace=False)
              if points.shape[0] > max_points else np.arange(points.shape[0]))
    fit_points = points[sample]
    n_clusters = min(k, np.unique(fit_points, axis=0).shape[0])
    centroids, _ = kmeans(fit_points, n_clusters, seed=seed)
    labels, distances = _nearest(points, centroids)                 # [P]
    cluster = np.full(words.shape, -1)
    cluster[valid] = labels
    before = np.concatenate([np.zeros((words.shape[0], 1), np.int64), cluster[:, :-1] + 1],
                            axis=1)                                  # [E, L] machine state
    n_states = n_clusters + 1
    counts = np.zeros((n_states, task.n_symbols, n_states), np.int64)   # [from, symbol, to]
    np.add.at(counts, (before[valid], words[valid], labels + 1), 1)
    table = counts.argmax(axis=2)                                   # [S, X], ties: lowest
    votes = np.zeros((n_clusters, task.n_outputs), np.int64)        # [k, classes]
    np.add.at(votes, (labels, classes[valid]), 1)
    outputs = np.concatenate([[model.initial()[1]], votes.argmax(axis=1)]).astype(np.float64)
    # never-seen transitions: the model reads the prefix of the cluster's most central
    # visited state, then the symbol; the transition goes to the cluster it reaches
    point_at = np.flatnonzero(valid.ravel())                        # [P] flat [E, L] index
    prefixes, completed = [], []
    for state, symbol in np.argwhere(counts.sum(axis=2) == 0):
        if state == 0:
            prefixes.append([symbol])
        else:
            inside = np.flatnonzero(labels == state - 1)
            if not inside.size:          # a cluster no state was assigned to: unreachable
                table[state, symbol] = state
                continue
            e, t = np.unravel_index(point_at[inside[np.argmin(distances[inside])]], words.shape)
            prefixes.append([*words[e, :t + 1], symbol])
        completed.append((state, symbol))
    if prefixes:
        batch = np.full((len(prefixes), max(map(len, prefixes))), -1, np.int64)
        for i, prefix in enumerate(prefixes):
            batch[i, :len(prefix)] = prefix
        reached, _ = model.run(batch)
        last = reached[np.arange(len(prefixes)), [len(p) - 1 for p in prefixes]]   # [U, D]
        targets, _ = _nearest(last.astype(np.float64), centroids)
        for (state, symbol), target in zip(completed, targets, strict=True):
            table[state, symbol] = target + 1
    names = ["start"] + [f"c{c}" for c in range(n_clusters)]
    machine = Machine(task.alphabet, table.tolist(), outputs.tolist(), start=0, states=names)
    return machine, n_clusters, len(completed)
# ---------------------------------------------------------------------- L*
class _OutOfTime(Exception):
    """Raised inside AALpy's loop when the time budget is spent."""


def lstar(model: StateModel, task: Task, *, seconds: float = 30.0,
          max_states: int = MAX_LSTAR_STATES, max_length: int | None = None,
          n_words: int = 1000, seed: int = 0) -> Extraction:
    """The Moore machine Angluin's L* (AALpy) learns from the model.

    Membership queries: a word's label is the class the model predicts after reading
    it from its initial state (the empty word's: its prediction before any input; the
    start state's output is free afterwards, see :func:`minimise`).  Equivalence
    queries: ``n_words`` random words, lengths uniform in 1..``max_length`` and symbols
    uniform, are read by the model (in one batch) and by the hypothesis; the shortest
    prefix on which they disagree is the counterexample, and a hypothesis that agrees
    on all is returned.

    Parameters
    ----------
    model : a :class:`StateModel`.
    task : the classification task it was trained on.
    seconds : time budget; when it runs out the last hypothesis is kept (``cut``).
    max_states : a hypothesis larger than this ends the search (``cut``).
    max_length : longest random word; default the longest training string, at most
        ``MAX_WORD_LENGTH``.
    n_words : random words per equivalence query.
    seed : seed of the random words.

    Returns
    -------
    Extraction with ``details``: ``rounds`` (hypotheses), ``membership_queries``,
    ``equivalence_words``.

    Raises
    ------
    FSMError
        A regression task, or no hypothesis within ``seconds``.
    """
    _check_classification(task)
    started = time.perf_counter()
    if max_length is None:
        max_length = min(int(_episodes(task, task.train_mask).words.shape[1]), MAX_WORD_LENGTH)
    deadline = started + seconds
    symbols = list(task.alphabet)
    sul = _ModelSUL(model, symbols, deadline)
    oracle = _RandomWordOracle(symbols, sul, model, np.random.default_rng(seed), n_words,
                               max_length, deadline, max_states)
    notes = []
    try:
        hypothesis = run_Lstar(symbols, sul, oracle, automaton_type="moore", print_level=0,
                               cache_and_non_det_check=True)
    except _OutOfTime:
        if oracle.last is None:
            raise FSMError(f"L* found no hypothesis within {seconds:g} s; give it more "
                           "seconds") from None
        hypothesis = oracle.last
        oracle.stopped = (f"the time budget of {seconds:g} s ran out; the last hypothesis "
                          "is kept")
    if oracle.stopped:
        notes.append(oracle.stopped)
    machine = _from_aalpy(hypothesis, symbols)
    details = {"rounds": oracle.rounds, "membership_queries": sul.num_queries,
               "equivalence_words": oracle.num_queries}
    notes.append(f"{oracle.rounds} hypotheses, {sul.num_queries} membership queries, "
                 f"{oracle.num_queries} random words up to length {max_length}")
    return _lstm_result(machine, "lstar", task, model, started, oracle.stopped is not None,
                        notes, details)


class _ModelSUL(SUL):
    """The model as AALpy's system under learning: one batched run per membership query."""

    def __init__(self, model: StateModel, symbols: list, deadline: float):
        super().__init__()
        self.model, self.deadline = model, deadline
        self.code = {symbol: i for i, symbol in enumerate(symbols)}
        self.prefix: list = []

    def query(self, word) -> list:
        if time.perf_counter() > self.deadline:
            raise _OutOfTime
        self.num_queries += 1
        self.num_steps += len(word)
        if not word:
            return [self.model.initial()[1]]
        _, classes = self.model.run(np.array([[self.code[a] for a in word]]))
        return classes[0].tolist()

    def pre(self) -> None:
        self.prefix = []

    def post(self) -> None:
        self.prefix = []

    def step(self, letter):
        if letter is not None:
            self.prefix.append(letter)
        return self.query(tuple(self.prefix))[-1]


class _RandomWordOracle(Oracle):
    """Equivalence oracle: random words read by the model in one batch and by the hypothesis."""

    def __init__(self, symbols, sul, model, rng, n_words, max_length, deadline, max_states):
        super().__init__(symbols, sul)
        self.model, self.rng, self.n_words, self.max_length = model, rng, n_words, max_length
        self.deadline, self.max_states = deadline, max_states
        self.last = None        # the latest hypothesis
        self.rounds = 0
        self.stopped: str | None = None

    def find_cex(self, hypothesis):
        self.last = hypothesis
        self.rounds += 1
        if hypothesis.size > self.max_states:
            self.stopped = (f"the hypothesis grew to {hypothesis.size} states, over the cap of "
                            f"{self.max_states}; it is kept as it is")
            return None
        if time.perf_counter() > self.deadline:
            raise _OutOfTime
        machine = _from_aalpy(hypothesis, self.alphabet)
        lengths = self.rng.integers(1, self.max_length + 1, self.n_words)             # [B]
        words = self.rng.integers(0, len(self.alphabet), (self.n_words, self.max_length))
        words[np.arange(self.max_length)[None, :] >= lengths[:, None]] = -1           # [B, L]
        _, expected = self.model.run(words)
        wrong = (machine_classes(machine, words) != expected) & (words >= 0)          # [B, L]
        self.num_queries += self.n_words
        self.num_steps += int(lengths.sum())
        if not wrong.any():
            return None
        first = np.where(wrong.any(axis=1), wrong.argmax(axis=1), self.max_length)
        word = int(np.argmin(first))
        return tuple(self.alphabet[x] for x in words[word, :first[word] + 1])


def _from_aalpy(hypothesis, symbols: list) -> Machine:
    """An AALpy Moore machine as a :class:`Machine` (start first, outputs = class codes)."""
    ordered = [hypothesis.initial_state] + [s for s in hypothesis.states
                                            if s is not hypothesis.initial_state]
    index = {id(state): i for i, state in enumerate(ordered)}
    table = [[index[id(state.transitions[a])] for a in symbols] for state in ordered]
    return Machine(tuple(symbols), table, [float(state.output) for state in ordered], start=0,
                   states=[f"q{i}" for i in range(len(ordered))])


# ---------------------------------------------------------------------- FSM networks
def network_automaton(learner, *, max_states: int = MAX_PRODUCT_STATES,
                      seconds: float | None = None) -> Extraction:
    """The automaton an FSM network plus its trained readout computes.

    The network's state is the tuple of every machine's state, so the network is one
    big Moore machine: its product automaton.  It is explored breadth first from the
    start over the task's alphabet; each product state's output is the class the
    readout decides there (the argmax of its scores).  Exploration stops at
    ``max_states`` product states or after ``seconds``; then the transitions out of
    the unexplored part are self-loops, the machine is exact on every word up to
    ``details["exact_length"]`` symbols, and ``cut`` is set.  The result is minimised:
    "your N machines compute a machine of this many states".

    Parameters
    ----------
    learner : a trained :class:`~fsm_engine.readout_learner.ReadoutLearner` whose
        source is a :class:`~fsm_engine.bank.MachineBank`, on a classification task.
    max_states, seconds : caps of the exploration.

    Returns
    -------
    Extraction with ``model="fsm"``, ``raw_states`` = product states explored and
    ``details``: ``machines``, ``exact_length`` (when cut: the machine is exact on
    every word up to this many symbols; None when the exploration finished).

    Raises
    ------
    FSMError
        The source is not a machine bank, the task is not classification, or the
        product states would exceed the bank's memory cap.
    """
    task = learner.task
    _check_classification(task)
    bank = learner.source
    if not isinstance(bank, MachineBank):
        raise FSMError(f"the product automaton needs a bank of machines; this readout reads "
                       f"a {type(bank).__name__}")
    started = time.perf_counter()
    check_bytes(max_states * bank.n_machines * bank.state_dtype.itemsize,
                "the product states explored", bank.max_bytes)
    machines = np.arange(bank.n_machines)
    found = {bank.start.tobytes(): 0}
    product = [bank.start]                 # every product state found, [N] each
    table: list[list[int]] = []            # rows of the states expanded so far, in order
    frontier, exact_length, cut = [0], 0, False
    while frontier and not cut:
        discovered = []
        for index in frontier:
            if seconds is not None and time.perf_counter() - started > seconds:
                cut = True
                break
            source = product[index] if learner.recurrence else bank.start
            row = []
            for x in range(bank.n_symbols):
                following = bank.transitions[x, machines, source]   # [N]
                key = following.tobytes()
                if key not in found:
                    if len(found) >= max_states:
                        cut = True
                        row.append(index)          # beyond the cap: a self-loop
                        continue
                    found[key] = len(product)
                    product.append(following)
                    discovered.append(found[key])
                row.append(found[key])
            table.append(row)
            if cut:
                break
        if not cut:
            exact_length += 1
            frontier = discovered
    n_product = len(product)
    table += [[i] * bank.n_symbols for i in range(len(table), n_product)]   # unexplored: loops
    states = np.stack(product)                                              # [S, N]
    features = (bank.outputs[machines, states] if learner.features == "output"
                else StateFeatures(states, bank.n_states))
    decided = learner.readout.decision_function(features).argmax(axis=1)    # [S]
    raw = Machine(task.alphabet, table, decided.astype(np.float64).tolist(), start=0,
                  states=[f"p{i}" for i in range(n_product)])
    minimal = minimise(raw)
    evaluation = _episodes(task, task.eval_mask)
    network_classes = np.asarray(learner.outputs()).argmax(axis=1)          # [T]
    model_classes = network_classes[np.maximum(evaluation.steps, 0)]
    targets = task.targets[evaluation.steps[evaluation.selected]]
    fidelity, accuracy, model_accuracy = _score(minimal, evaluation, model_classes, targets)
    notes = [f"{bank.n_machines} machines compute a machine of {minimal.n_states} states "
             f"({n_product} product states explored)"]
    if cut:
        notes.append(f"exploration cut at {n_product} product states (cap {max_states}"
                     + (f", {seconds:g} s" if seconds is not None else "") + "); the machine is "
                     f"exact on words up to {exact_length} symbols, unexplored states loop")
    return Extraction(machine=minimal, method="product", model="fsm", states=minimal.n_states,
                      raw_states=n_product, minimal_states=task.extras.get("minimal_states"),
                      fidelity=fidelity, accuracy=accuracy, model_accuracy=model_accuracy,
                      seconds=time.perf_counter() - started, cut=cut, notes=tuple(notes),
                      details={"machines": bank.n_machines,
                               "exact_length": exact_length if cut else None})


# ---------------------------------------------------------------------- one entry point
def extract(learner, method: str = "quantise", *, seconds: float = 30.0, seed: int = 0,
            **options) -> Extraction:
    """Extract the machine of a trained learner.

    Parameters
    ----------
    learner : an LSTM learner (anything with ``.net``, a trained LSTM, and ``.task``)
        for ``method`` ``"quantise"`` or ``"lstar"``; an FSM network's
        :class:`~fsm_engine.readout_learner.ReadoutLearner` for ``"product"``.
    method : one of ``METHODS``.
    seconds : time budget of ``lstar`` and ``product``.
    seed : seed of ``quantise`` and ``lstar``.
    **options : passed on to :func:`quantise`, :func:`lstar` or :func:`network_automaton`.

    Raises
    ------
    FSMError
        An unknown method, or a learner that does not fit the method.
    """
    if method not in METHODS:
        raise FSMError(f"unknown extraction method {method!r}; methods are {', '.join(METHODS)}")
    if method == "product":
        return network_automaton(learner, seconds=seconds, **options)
    net = getattr(learner, "net", None)
    if not isinstance(net, LSTM):
        raise FSMError(f"method {method!r} extracts from an LSTM; this learner is a "
                       f"{type(learner).__name__} (use method 'product' for an FSM network)")
    model = LSTMStates(net, state=options.pop("state", "h"))
    if method == "quantise":
        return quantise(model, learner.task, seed=seed, **options)
    return lstar(model, learner.task, seconds=seconds, seed=seed, **options)


def train(task: Task, model: str = "lstm", seed: int = 0, seconds: float = 60.0,
          progress=None, **params):
    """Build registry model ``model`` on ``task`` and train it for extraction.

    An extraction reads what the model does, so the model should do the task right,
    and confidently: training stops once the evaluation accuracy is 100 % and the
    training loss is at most ``CONFIDENT_LOSS`` (an LSTM stopped at its first perfect
    evaluation still errs on words the evaluation lacks, and its extracted machine
    grows with those errors), when the learner has nothing left to do (a ridge
    readout), or after ``seconds``.

    Parameters
    ----------
    task : a classification task.
    model : a registry name, ``"lstm"`` or ``"fsm"``.
    seed : seed of the model.
    seconds : training budget (building the model is not counted).
    progress : called with the Trainer's :class:`~fsm_engine.training.Progress`.
    **params : the model's parameters (registry defaults otherwise).

    Returns
    -------
    The trained learner.
    """
    _check_classification(task)
    learner = models.build(model, task, seed, **params)
    trainer = Trainer(learner, eval_every=default_eval_every(learner))
    with one_thread():
        while True:
            last = trainer.advance(trainer.eval_every)
            if progress is not None:
                progress(last)
            if (last.finished or trainer.elapsed >= seconds
                    or (last.metrics["accuracy"] >= 1.0 and last.train_loss <= CONFIDENT_LOSS)):
                return learner
