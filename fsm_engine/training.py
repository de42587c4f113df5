"""The one training loop: a Trainer that advances any learner by k updates.

The UI, the CLI and the benchmarks all train through :class:`Trainer`.  It
drives a :class:`Learner` — anything with the small protocol below: a readout on
a feature source (:class:`~fsm_engine.readout_learner.ReadoutLearner`: an FSM
network or an echo state network) or the NumPy LSTM
(:class:`~fsm_engine.lstm_learner.LSTMLearner`) — and returns a :class:`Progress`
record after every :meth:`Trainer.advance`, so a live page can run a bounded
number of updates per tick and redraw.

Divergence guard.  An update's loss is computed on the weights it starts from,
so an acceptable loss vouches for those weights.  The Trainer keeps a snapshot
of weights vouched for (``learner.state_dict()``); when an update's loss is not
finite, or explodes while staying finite (more than ``EXPLOSION_FACTOR`` times
both the best loss so far and the first one, or rising for ``RISING_UPDATES``
updates in a row), it loads that snapshot, sets its update count back to match,
and raises :class:`~fsm_engine.errors.TrainingDiverged` saying which update,
the loss, and what to do (lower the learning rate).  Snapshots are taken every
few updates, as often as keeps their cost at about ``SNAPSHOT_BUDGET`` of the
training time (measured as it runs), so the weights restored are at most that
many updates old.
"""
from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol, cast

import numpy as np

from . import metrics
from .errors import FSMError, TrainingDiverged
from .tasks import Task

#: a finite loss above this many times both the best and the first loss is an explosion
EXPLOSION_FACTOR = 1e3
#: a loss rising this many updates in a row is an explosion
RISING_UPDATES = 100
#: fraction of the training time the weight snapshots may cost
SNAPSHOT_BUDGET = 0.02
#: what a Trainer's seconds measure: wall-clock time, or the processor time of this process
#: (what one core would take with the machine to itself: budgets that do not shrink when
#: other processes share the cores)
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


class Learner(Protocol):
    """What the Trainer needs from a model being trained on a task.

    Attributes
    ----------
    task : the :class:`~fsm_engine.tasks.Task` it trains on.
    updates_per_epoch : updates that make one pass over the training steps.
    finished : True when more updates would change nothing (e.g. a ridge solve done).
    n_parameters : number of trained numbers.
    seen : training sequences (episodic tasks) or steps (one long stream) used so far.
    seen_unit : ``"sequences"`` or ``"steps"``.
    """

    task: Task
    updates_per_epoch: int
    finished: bool
    n_parameters: int
    seen: float
    seen_unit: str

    def update(self) -> float:
        """One parameter update; returns its training loss (may be non-finite; never raises)."""

    def outputs(self) -> np.ndarray:
        """The model's raw outputs over the whole task stream: [T, task.n_outputs]."""

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the trained arrays (and whatever else continuing exactly needs), by name."""

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Set the trained arrays from a :meth:`state_dict`."""

    def weights_view(self) -> np.ndarray:
        """A 2-D array of the weights, for a heatmap."""

    def set_rates(self, lr: float | None = None, l2: float | None = None) -> None:
        """Change the learning rate / L2 penalty without resetting the weights."""


class _RowScoring(Protocol):
    """A learner whose ``outputs`` can compute only some rows (the Trainer checks for ``rows``)."""

    def outputs(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The raw outputs of the rows where ``rows`` is True (all rows for None)."""


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
    seen : ``learner.seen`` — training sequences or steps used so far.
    weights : ``learner.weights_view()`` (None in ``Trainer.history``).
    finished : the learner has nothing left to do.
    """

    updates: int
    epochs: float
    train_loss: float
    metrics: dict
    elapsed: float
    seen: float
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
    history : list of the :class:`Progress` of every evaluation (without weights).
    snapshot_every : updates between weight snapshots (adapted as training runs).
    snapshot_seconds : time spent taking snapshots so far (part of ``elapsed``).
    clock : ``"wall"`` (default) or ``"cpu"``: what ``elapsed``, the seconds budgets and
        the timings measure (see ``CLOCKS``).
    eval_seconds : time spent evaluating so far (part of ``elapsed``).  A learner whose
        ``outputs`` takes ``rows=`` (a bool mask [T]) is asked only for the steps the
        metrics score (``task.eval_mask``).
    """

    def __init__(self, learner: Learner, eval_every: int = 1, clock: str = "wall"):
        if int(eval_every) < 1:
            raise FSMError(f"eval_every must be >= 1, got {eval_every!r}")
        if clock not in CLOCKS:
            raise FSMError(f"clock must be one of {', '.join(CLOCKS)}, got {clock!r}")
        self._now = CLOCKS[clock]
        self.learner = learner
        self.eval_every = int(eval_every)
        self.updates = 0
        self.elapsed = 0.0
        self.losses: list[float] = []
        self.history: list[Progress] = []
        self.snapshot_every = 1
        self.snapshot_seconds = 0.0
        self.eval_seconds = 0.0
        try:
            self._scored_rows = "rows" in inspect.signature(learner.outputs).parameters
        except (TypeError, ValueError):             # no signature to read: ask for everything
            self._scored_rows = False
        self._metrics: dict = {}
        self._evaluated_at: int | None = None
        self._train_loss = float("nan")
        self._good: tuple[dict, int] | None = None        # (weights vouched for, update count)
        self._pending: tuple[dict, int] | None = None     # snapshot waiting for its loss
        self._best = math.inf
        self._rising = 0
        self._update_seconds = 0.0                         # running mean time of one update
        self._snapshot_seconds = 0.0                       # time of the last snapshot

    def advance(self, k: int, max_seconds: float | None = None) -> Progress:
        """Make up to ``k`` updates and report.

        Fewer updates are made when the learner finishes, or once ``max_seconds``
        have passed in this call (checked between updates, after the first: every call
        with ``k >= 1`` makes at least one update — a live page's tick, or a budget that
        building the model already used up).

        Raises
        ------
        TrainingDiverged when an update's loss is not finite or explodes; the last
        weights vouched for are restored first.
        """
        started = self._now()
        try:
            chunk_losses: list[float] = []
            for _ in range(int(k)):
                if self.learner.finished or (max_seconds is not None and chunk_losses
                                             and self._now() - started >= max_seconds):
                    break
                if self._good is None or self.updates - self._good[1] >= self.snapshot_every:
                    self._take_snapshot()
                tick = self._now()
                loss = float(self.learner.update())
                self._update_seconds += 0.1 * (self._now() - tick - self._update_seconds)
                problem = self._problem(loss)
                if problem:
                    self._restore_and_raise(problem)
                if self._pending is not None and self._pending[1] == self.updates:
                    self._good, self._pending = self._pending, None
                self.updates += 1
                self.losses.append(loss)
                chunk_losses.append(loss)
            if chunk_losses:
                self._train_loss = float(np.mean(chunk_losses))
            evaluate = (self._evaluated_at is None or self.learner.finished
                        or self.updates - self._evaluated_at >= self.eval_every)
            if evaluate:
                tick = self._now()
                task = self.learner.task
                outputs = (cast(_RowScoring, self.learner).outputs(rows=task.eval_mask)
                           if self._scored_rows else self.learner.outputs())
                self._metrics = metrics.evaluate(task, outputs)
                self._evaluated_at = self.updates
                self.eval_seconds += self._now() - tick
            weights = self.learner.weights_view()
        finally:
            self.elapsed += self._now() - started
        progress = Progress(updates=self.updates,
                            epochs=self.updates / self.learner.updates_per_epoch,
                            train_loss=self._train_loss, metrics=dict(self._metrics),
                            elapsed=self.elapsed, seen=float(self.learner.seen),
                            weights=weights, finished=bool(self.learner.finished))
        if evaluate:
            self.history.append(replace(progress, weights=None))
        return progress

    def _take_snapshot(self) -> None:
        """Copy the weights before an update; they are vouched for once its loss is acceptable.

        The next snapshot is due after as many updates as keep snapshots at about
        ``SNAPSHOT_BUDGET`` of the update time (at most 1 000 updates apart).
        """
        tick = self._now()
        self._pending = (self.learner.state_dict(), self.updates)
        self._snapshot_seconds = self._now() - tick
        self.snapshot_seconds += self._snapshot_seconds
        if self._update_seconds > 0:
            needed = self._snapshot_seconds / (SNAPSHOT_BUDGET * self._update_seconds)
            self.snapshot_every = int(min(max(1, math.ceil(needed)), 1000))

    def _problem(self, loss: float) -> str | None:
        """Why ``loss`` says training diverged, or None when it is acceptable."""
        if not math.isfinite(loss):
            return f"its training loss was {loss}"
        first = self.losses[0] if self.losses else loss
        if loss > EXPLOSION_FACTOR * self._best and loss > EXPLOSION_FACTOR * first:
            return (f"its training loss {loss:.4g} exploded to over {EXPLOSION_FACTOR:g} times "
                    f"the best so far ({self._best:.4g})")
        self._rising = self._rising + 1 if self.losses and loss > self.losses[-1] else 0
        if self._rising >= RISING_UPDATES:
            return f"its training loss rose for {self._rising} updates in a row, to {loss:.4g}"
        self._best = min(self._best, loss)
        return None

    def _restore_and_raise(self, problem: str) -> None:
        failed = self.updates + 1
        snapshot = self._good if self._good is not None else self._pending
        # never None: the first update of all takes a snapshot before it runs
        assert snapshot is not None
        state, good_updates = snapshot
        self.learner.load_state_dict(state)
        self.updates = good_updates
        del self.losses[good_updates:]
        self._pending, self._good = None, (state, good_updates)
        self._evaluated_at = None
        self._rising = 0
        raise TrainingDiverged(
            f"training diverged at update {failed}: {problem}. The weights after update "
            f"{good_updates} (the last ones vouched for by an acceptable loss) are restored. "
            "Lower the learning rate (e.g. by a factor of 10) and continue.")

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
            last = self.advance(chunk, None if stop_seconds is None
                                else max(stop_seconds - self.elapsed, 0.0))
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
        """The history as arrays for plotting: updates, epochs, train_loss, elapsed, seen and
        every metric, one entry per evaluation."""
        names = sorted({name for p in self.history for name in p.metrics})
        curves = {field: np.array([getattr(p, field) for p in self.history], dtype=np.float64)
                  for field in ("updates", "epochs", "train_loss", "elapsed", "seen")}
        curves.update({name: np.array([p.metrics.get(name, np.nan) for p in self.history],
                                      dtype=np.float64) for name in names})
        return curves
