"""The one training loop: a Trainer that advances any learner by k updates.

The UI, the CLI and the benchmarks all train through :class:`Trainer`.  It
drives a :class:`Learner` — anything with the small protocol below: the FSM
readout (:class:`ReadoutLearner`, here) or the NumPy LSTM
(``fsm_engine.lstm_learner.LSTMLearner``) — and returns a :class:`Progress`
record after every :meth:`Trainer.advance`, so a live page can run a bounded
number of updates per tick and redraw.

Divergence: before every update the Trainer snapshots the learner's weights
(``state_dict()``).  An update's loss is computed on the weights it starts from,
so a finite loss vouches for those weights.  When an update returns a
non-finite loss, the Trainer loads the last weights vouched for, sets its update
count back to match them, and raises :class:`~fsm_engine.errors.TrainingDiverged`
saying which update, the loss, and what to do (lower the learning rate).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from . import metrics
from .bank import MachineBank
from .errors import FSMError, TaskError, TrainingDiverged
from .readout import Readout
from .tasks import CLASSIFICATION, Task

FEATURE_KINDS = ("output", "state")


class Learner(Protocol):
    """What the Trainer needs from a model being trained on a task.

    Attributes
    ----------
    task : the :class:`~fsm_engine.tasks.Task` it trains on.
    updates_per_epoch : updates that make one pass over the training steps.
    finished : True when more updates would change nothing (e.g. a ridge solve done).
    n_parameters : number of trained numbers.
    """

    task: Task
    updates_per_epoch: int
    finished: bool
    n_parameters: int

    def update(self) -> float:
        """One parameter update; returns its training loss (may be non-finite; never raises)."""

    def outputs(self) -> np.ndarray:
        """The model's raw outputs over the whole task stream: [T, task.n_outputs]."""

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the trained arrays, by name."""

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Set the trained arrays from a :meth:`state_dict`."""

    def weights_view(self) -> np.ndarray:
        """A 2-D array of the weights, for a heatmap."""


class ReadoutLearner:
    """A :class:`~fsm_engine.readout.Readout` on a machine bank's features, as a Learner.

    The bank's features for the task stream are computed once (with the task's
    episode resets); the readout trains on the ``task.train_mask`` steps, one
    :meth:`Readout.partial_fit` update per :meth:`update`, and :meth:`outputs`
    scores every step.

    Parameters
    ----------
    task : the task.
    bank : a :class:`~fsm_engine.bank.MachineBank` over an alphabet of
        ``task.n_symbols`` symbols.
    features : ``"output"`` (each machine's output, [T, N]: the original
        question's model) or ``"state"`` (one-hot states, [T, sum of state counts]).
    loss : ``"softmax"`` or ``"mse"``; default: softmax for classification
        tasks, mse for regression.  ``"mse"`` on a classification task regresses
        the one-hot code of the class (the original question's squared error).
    solver, lr, l2, batch_size, random_state : as :class:`Readout`.
    recurrence : False is the no-recurrence ablation: every step is a reset, so
        each machine reads one symbol from its start state and its features at
        step t depend only on the input at step t (a bank of input detectors).

    Raises
    ------
    FSMError when the bank's alphabet size differs from the task's, or a setting is invalid;
    TaskError when the task has no training step.
    """

    def __init__(self, task: Task, bank: MachineBank, features: str = "output", loss=None,
                 solver: str = "gd", lr: float = 0.01, l2: float = 0.0, batch_size: int = 256,
                 random_state: int = 0, recurrence: bool = True):
        if features not in FEATURE_KINDS:
            raise FSMError(f"features must be one of {FEATURE_KINDS}, got {features!r}")
        if bank.n_symbols != task.n_symbols:
            raise FSMError(f"the bank reads {bank.n_symbols} symbols but task {task.name!r} "
                           f"has {task.n_symbols}; build the bank over the task's alphabet")
        if not task.train_mask.any():
            raise TaskError(f"task {task.name!r} has no training step (train_mask is all False)")
        if loss is None:
            loss = "softmax" if task.kind == CLASSIFICATION else "mse"
        if loss == "softmax" and task.kind != CLASSIFICATION:
            raise FSMError(f"loss 'softmax' needs class targets, but task {task.name!r} "
                           f"is {task.kind}")
        self.task, self.bank, self.features, self.recurrence = task, bank, features, recurrence
        self.readout = Readout(loss=loss, solver=solver, lr=lr, l2=l2, batch_size=batch_size,
                               random_state=random_state)
        resets = task.resets if recurrence else np.ones(task.T, dtype=bool)
        all_features = bank.features(features, task.inputs, resets)     # [T, F]
        # keep the training rows and the rest apart, so memory holds one copy of the features
        train = task.train_mask
        self._train_rows = np.flatnonzero(train)
        self._other_rows = np.flatnonzero(~train)
        if self._other_rows.size:
            self._train_features = all_features[self._train_rows]
            self._other_features = all_features[self._other_rows]
        else:
            self._train_features, self._other_features = all_features, None
        del all_features
        self._train_targets = task.targets[self._train_rows]
        if loss == "mse" and task.kind == CLASSIFICATION:
            # squared error on class targets: regress the one-hot code (the original question's
            # rule applied to symbols); outputs() are then per-class scores as for softmax
            self._train_targets = np.eye(task.n_outputs)[self._train_targets]   # [T_train, K]
        self._n_classes = task.n_outputs if loss == "softmax" else None
        self.readout.partial_fit(self._train_features, self._train_targets, n_updates=0,
                                 n_classes=self._n_classes)

    @property
    def train_features(self):
        """The features of the training steps: [T_train, F] array or StateFeatures."""
        return self._train_features

    @property
    def updates_per_epoch(self) -> int:
        return self.readout.updates_per_epoch(len(self._train_rows))

    @property
    def finished(self) -> bool:
        return self.readout.solver == "ridge" and self.readout.n_updates_ > 0

    @property
    def n_parameters(self) -> int:
        return self.readout.coef_.size + self.readout.intercept_.size

    def update(self) -> float:
        self.readout.partial_fit(self._train_features, self._train_targets, n_updates=1,
                                 n_classes=self._n_classes)
        return self.readout.loss_

    def outputs(self) -> np.ndarray:
        scores = self.readout.decision_function(self._train_features)
        if self._other_features is None:
            return scores
        outputs = np.empty((self.task.T, scores.shape[1]), dtype=scores.dtype)   # [T, K]
        outputs[self._train_rows] = scores
        outputs[self._other_rows] = self.readout.decision_function(self._other_features)
        return outputs

    def state_dict(self) -> dict[str, np.ndarray]:
        # order="K" copies the transposed view as it lies in memory: a plain memcpy
        return {"coef": self.readout.coef_.copy(order="K"),
                "intercept": self.readout.intercept_.copy()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Set the weights; an Adam solver starts its moments afresh."""
        for name in ("coef", "intercept"):
            expected = getattr(self.readout, name + "_").shape
            if np.shape(state[name]) != expected:
                raise FSMError(f"state {name!r} must have shape {list(expected)}, "
                               f"got {list(np.shape(state[name]))}")
        self.readout.coef_ = state["coef"]
        self.readout.intercept_ = state["intercept"]

    def weights_view(self) -> np.ndarray:
        """Output features: ``coef_`` [K, N] (row k: each machine's weight for output k).

        State features: [N, S_max], one row per machine, one column per state
        (NaN where a machine has fewer states).  With one output this is the
        learned output table of each machine; with K > 1 outputs it is the
        spread (standard deviation) of the state's K weights: adding the same
        number to all K weights of a state changes no softmax prediction, so the
        spread, not the level, says how strongly that state votes for some
        outputs over others.
        """
        coef = self.readout.coef_                                       # [K, F]
        if self.features == "output":
            return coef.copy()
        per_state = coef[0] if coef.shape[0] == 1 else coef.std(axis=0)   # [F]
        n_states = self.bank.n_states
        view = np.full((len(n_states), int(n_states.max())), np.nan, dtype=np.float64)  # [N, S]
        valid = np.arange(view.shape[1])[None, :] < n_states[:, None]
        view[valid] = per_state        # features are machine-major, states in order
        return view


@dataclass(frozen=True)
class Progress:
    """Where training stands after one :meth:`Trainer.advance`.

    Attributes
    ----------
    updates : updates applied to the current weights.
    epochs : ``updates / learner.updates_per_epoch``.
    train_loss : mean training loss of the updates this advance made (the
        previous value when it made none; NaN before the first update).
    metrics : :func:`fsm_engine.metrics.evaluate` on the task's eval mask, from
        the latest evaluation (see ``Trainer.eval_every``).
    elapsed : seconds spent inside ``advance`` so far (training and evaluation).
    weights : ``learner.weights_view()`` (None in ``Trainer.history``).
    finished : the learner has nothing left to do.
    """

    updates: int
    epochs: float
    train_loss: float
    metrics: dict
    elapsed: float
    weights: np.ndarray | None
    finished: bool


class Trainer:
    """Advance a learner by bounded numbers of updates, keeping its curves.

    Parameters
    ----------
    learner : anything following :class:`Learner`.
    eval_every : evaluate the metrics at the end of an ``advance`` once at
        least this many updates passed since the last evaluation (an
        evaluation scores the whole stream, which can cost as much as an epoch).

    Attributes
    ----------
    updates, elapsed : as in :class:`Progress`.
    losses : list of the training loss of every update.
    history : list of the :class:`Progress` of every ``advance`` (without weights).
    """

    def __init__(self, learner: Learner, eval_every: int = 1):
        if int(eval_every) < 1:
            raise FSMError(f"eval_every must be >= 1, got {eval_every!r}")
        self.learner = learner
        self.eval_every = int(eval_every)
        self.updates = 0
        self.elapsed = 0.0
        self.losses: list[float] = []
        self.history: list[Progress] = []
        self._metrics: dict = {}
        self._evaluated_at: int | None = None
        self._train_loss = float("nan")
        self._good: tuple[dict, int] | None = None    # (weights vouched for, their update count)

    def advance(self, k: int) -> Progress:
        """Make up to ``k`` updates (fewer when the learner finishes) and report.

        Raises
        ------
        TrainingDiverged when an update's loss is not finite; the last weights
        with a finite loss are restored first.
        """
        started = time.perf_counter()
        try:
            chunk_losses = []
            for _ in range(int(k)):
                if self.learner.finished:
                    break
                before = self.learner.state_dict()
                loss = float(self.learner.update())
                if not np.isfinite(loss):
                    self._restore_and_raise(before, loss)
                self._good = (before, self.updates)
                self.updates += 1
                self.losses.append(loss)
                chunk_losses.append(loss)
            if chunk_losses:
                self._train_loss = float(np.mean(chunk_losses))
            if (self._evaluated_at is None or self.learner.finished
                    or self.updates - self._evaluated_at >= self.eval_every):
                self._metrics = metrics.evaluate(self.learner.task, self.learner.outputs())
                self._evaluated_at = self.updates
            weights = self.learner.weights_view()
        finally:
            self.elapsed += time.perf_counter() - started
        progress = Progress(updates=self.updates,
                            epochs=self.updates / self.learner.updates_per_epoch,
                            train_loss=self._train_loss, metrics=dict(self._metrics),
                            elapsed=self.elapsed, weights=weights,
                            finished=bool(self.learner.finished))
        self.history.append(replace(progress, weights=None))
        return progress

    def _restore_and_raise(self, before: dict, loss: float) -> None:
        failed = self.updates + 1
        state, good_updates = self._good if self._good is not None else (before, self.updates)
        self.learner.load_state_dict(state)
        self.updates = good_updates
        self._evaluated_at = None
        raise TrainingDiverged(
            f"training diverged at update {failed}: its training loss was {loss}. "
            f"The weights after update {good_updates} (the last ones with a finite loss) are "
            "restored. Lower the learning rate (e.g. by a factor of 10) and continue.")

    def run(self, max_updates: int | None = None, max_seconds: float | None = None,
            target: float | None = None,
            progress: Callable[[Progress], None] | None = None) -> Progress:
        """Advance in chunks of ``eval_every`` updates until a budget or the target is reached.

        Parameters
        ----------
        max_updates : stop after this many more updates.
        max_seconds : stop once this many more seconds were spent in ``advance``.
        target : stop once the primary metric reaches this value (at least it
            where larger is better, at most it where smaller is better).
        progress : called with every chunk's :class:`Progress`.

        Returns
        -------
        The last :class:`Progress`.

        Raises
        ------
        FSMError when neither ``max_updates`` nor ``max_seconds`` is given;
        TrainingDiverged as :meth:`advance`.
        """
        if max_updates is None and max_seconds is None:
            raise FSMError("run needs a budget: give max_updates or max_seconds")
        greater_is_better = metrics.GREATER_IS_BETTER[self.learner.task.metric]
        stop_updates = None if max_updates is None else self.updates + int(max_updates)
        stop_seconds = None if max_seconds is None else self.elapsed + float(max_seconds)
        while True:
            chunk = self.eval_every if stop_updates is None \
                else min(self.eval_every, stop_updates - self.updates)
            last = self.advance(chunk)
            if progress is not None:
                progress(last)
            value = last.metrics["metric"]
            if (last.finished
                    or (stop_updates is not None and self.updates >= stop_updates)
                    or (stop_seconds is not None and self.elapsed >= stop_seconds)
                    or (target is not None and (value >= target if greater_is_better
                                                else value <= target))):
                return last

    def curves(self) -> dict[str, np.ndarray]:
        """The history as arrays for plotting: updates, epochs, train_loss, elapsed, each metric."""
        names = sorted({name for p in self.history for name in p.metrics})
        curves = {field: np.array([getattr(p, field) for p in self.history], dtype=np.float64)
                  for field in ("updates", "epochs", "train_loss", "elapsed")}
        curves.update({name: np.array([p.metrics.get(name, np.nan) for p in self.history],
                                      dtype=np.float64) for name in names})
        return curves
