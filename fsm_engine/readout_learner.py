"""A trained linear readout on any feature source, as a Learner for the one Trainer.

The question's model is a fixed dynamical system driven by the input plus a
trained linear readout.  The dynamical system is a **feature source**: a
:class:`~fsm_engine.bank.MachineBank` (finite-state machines: their outputs or
one-hot states) or an :class:`~fsm_engine.esn.EchoStateNetwork` (continuous
units: reservoir computing).  Both turn a task's symbol stream, with its episode
resets, into a feature matrix ``[T, F]`` through the same call,
``source.features(kind, inputs, resets)``.  :class:`ReadoutLearner` computes
those features once and trains a :class:`~fsm_engine.readout.Readout` on the
task's training steps, one update per :meth:`ReadoutLearner.update`.

``READOUT_PARAMS`` is the readout's parameter table, shared by every model
built on a feature source (see :mod:`fsm_engine.models`).
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from .bank import DEFAULT_MAX_BYTES, MachineBank, check_bytes
from .errors import FSMError, TaskError
from .params import Param
from .readout import LOSSES, SOLVERS, Readout, safe_learning_rate
from .tasks import CLASSIFICATION, Task

#: the learning rate Adam uses when none is given (scale-free, unlike plain GD's)
ADAM_LR = 0.01
#: the L2 penalty a ridge solve uses when none is given
RIDGE_L2 = 1e-6

READOUT_PARAMS = (
    Param("loss", "choice", None, "the readout's loss: squared error (the question's rule) or "
          "softmax cross-entropy; automatic: softmax for class targets, squared error for real "
          "ones", choices=LOSSES, optional=True, label="loss"),
    Param("solver", "choice", "ridge", "how the weights are found: 'gd' plain full-batch "
          "gradient descent on the summed squared error (the question's rule), 'adam' "
          "mini-batch Adam, 'ridge' the closed-form least-squares solution (the best the "
          "features allow)", choices=SOLVERS, label="solver"),
    Param("lr", "float", None, "learning rate of 'gd' and 'adam'; automatic: for 'gd' the "
          "largest step that cannot diverge (half of 1/λ_max of the features' Gram matrix), "
          f"for 'adam' {ADAM_LR}", 1e-12, 10.0, log=True, optional=True, label="learning rate"),
    Param("l2", "float", None, "L2 penalty on the weights (not on the bias); automatic: "
          f"{RIDGE_L2:g} for 'ridge' (keeps the solve well-posed), 0 for 'gd' and 'adam'",
          0.0, 1e6, optional=True, label="L2 penalty"),
    Param("batch_size", "int", 256, "training steps per Adam update", 1, 1_000_000,
          label="batch size", advanced=True),
)


class FeatureSource(Protocol):
    """What :class:`ReadoutLearner` needs from a fixed dynamical system (other than a
    :class:`~fsm_engine.bank.MachineBank`, which says ``n_symbols`` for ``n_inputs``)."""

    @property
    def feature_kinds(self) -> tuple[str, ...]:
        """The feature kinds :meth:`features` can compute."""

    @property
    def n_inputs(self) -> int:
        """The number of input symbols it reads."""

    def features(self, kind: str, inputs: np.ndarray, resets: np.ndarray | None = None):
        """Features [T, F] (dense array or StateFeatures) for symbol codes ``inputs`` [T]."""

    def memory_estimate(self, n_steps: int, kind: str) -> int:
        """Bytes that :meth:`features` allocates for ``n_steps`` steps."""


class ReadoutLearner:
    """A :class:`~fsm_engine.readout.Readout` on a feature source's features, as a Learner.

    The source's features for the task stream are computed once (with the task's
    episode resets); the readout trains on the ``task.train_mask`` steps, one
    :meth:`Readout.partial_fit` update per :meth:`update`, and :meth:`outputs`
    scores every step.

    Parameters
    ----------
    task : the task.
    source : a feature source over ``task.n_symbols`` symbols: a
        :class:`~fsm_engine.bank.MachineBank` or an
        :class:`~fsm_engine.esn.EchoStateNetwork`.
    features : one of ``source.feature_kinds``: for a bank ``"output"`` (each
        machine's output, [T, N]: the original question's model) or ``"state"``
        (one-hot states, [T, sum of state counts]); for an ESN ``"state"``.
    loss : ``"softmax"`` or ``"mse"``; None: softmax for classification tasks,
        mse for regression.  ``"mse"`` on a classification task regresses the
        one-hot code of the class (the original question's squared error).
    solver, batch_size, random_state : as :class:`Readout`.
    l2 : as :class:`Readout`; None picks ``RIDGE_L2`` for ``"ridge"`` and 0 otherwise.
    lr : the learning rate; None picks :func:`~fsm_engine.readout.safe_learning_rate`
        for ``"gd"`` and ``ADAM_LR`` for ``"adam"``.  ``self.lr`` holds the value used.
    recurrence : False is the no-recurrence ablation: every step is a reset, so the
        features at step t depend only on the input at step t.
    max_bytes : cap on the feature matrix (checked before it is computed).

    Attributes
    ----------
    seen : training sequences (episodic tasks) or steps (one long stream) the
        updates have used so far; ``seen_unit`` says which.

    Raises
    ------
    FSMError when the source's alphabet size differs from the task's, a setting is
    invalid or the features would exceed ``max_bytes``; TaskError when the task has
    no training step.
    """

    def __init__(self, task: Task, source: MachineBank | FeatureSource, features: str = "output",
                 loss: str | None = None, solver: str = "gd", lr: float | None = None,
                 l2: float | None = 0.0, batch_size: int = 256, random_state: int = 0,
                 recurrence: bool = True, max_bytes: int = DEFAULT_MAX_BYTES):
        if features not in source.feature_kinds:
            raise FSMError(f"features must be one of {source.feature_kinds} for this "
                           f"{type(source).__name__}, got {features!r}")
        n_symbols = source.n_symbols if isinstance(source, MachineBank) else source.n_inputs
        if n_symbols != task.n_symbols:
            raise FSMError(f"the {type(source).__name__} reads {n_symbols} symbols but task "
                           f"{task.name!r} has {task.n_symbols}; build it over the task's "
                           "alphabet")
        if not task.train_mask.any():
            raise TaskError(f"task {task.name!r} has no training step (train_mask is all False)")
        if loss is None:
            loss = "softmax" if task.kind == CLASSIFICATION else "mse"
        if loss == "softmax" and task.kind != CLASSIFICATION:
            raise FSMError(f"loss 'softmax' needs class targets, but task {task.name!r} "
                           f"is {task.kind}")
        self.task, self.source, self.features, self.recurrence = task, source, features, recurrence
        check_bytes(source.memory_estimate(task.T, features), "the readout's features",
                    max_bytes)
        resets = task.resets if recurrence else np.ones(task.T, dtype=bool)
        all_features = source.features(features, task.inputs, resets)     # [T, F]
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
        if l2 is None:
            l2 = RIDGE_L2 if solver == "ridge" else 0.0
        if lr is None:
            lr = (safe_learning_rate(self._train_features, loss, l2, random_state=random_state)
                  if solver == "gd" else ADAM_LR)
        self.readout = Readout(loss=loss, solver=solver, lr=lr, l2=l2, batch_size=batch_size,
                               random_state=random_state)
        self.readout.partial_fit(self._train_features, self._train_targets, n_updates=0,
                                 n_classes=self._n_classes)
        self.seen = 0.0
        self.seen_unit, self._rows_per_unit = _seen_unit(task)

    @property
    def lr(self) -> float:
        """The learning rate in use."""
        return self.readout.lr

    @property
    def l2(self) -> float:
        return self.readout.l2

    def set_rates(self, lr: float | None = None, l2: float | None = None) -> None:
        """Change the learning rate and/or L2 penalty without resetting the weights.

        Raises FSMError on a value that is not a finite positive (lr) / non-negative (l2)
        number; nothing changes then.
        """
        if lr is not None and not (np.isfinite(lr) and lr > 0):
            raise FSMError(f"the learning rate must be a finite number > 0, got {lr!r}")
        if l2 is not None and not (np.isfinite(l2) and l2 >= 0):
            raise FSMError(f"the L2 penalty must be a finite number >= 0, got {l2!r}")
        self.readout.set_rates(lr=lr, l2=l2)

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
        rows = len(self._train_rows) if self.readout.solver != "adam" \
            else min(self.readout.batch_size, len(self._train_rows))
        self.seen += rows / self._rows_per_unit
        return self.readout.loss_

    def outputs(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The readout's scores [T, K] at every step; with ``rows`` (bool [T]) only those
        steps are guaranteed (the training steps are skipped when ``rows`` holds none of
        them, and hold 0 then)."""
        if (rows is not None and self._other_features is not None
                and not np.asarray(rows, dtype=bool)[self._train_rows].any()):
            others = self.readout.decision_function(self._other_features)
            outputs = np.zeros((self.task.T, others.shape[1]), dtype=others.dtype)  # [T, K]
            outputs[self._other_rows] = others
            return outputs
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
        """Set the weights; an Adam solver starts its moments afresh.

        Raises FSMError when an entry is missing, has the wrong shape or holds a
        value that is not a finite number; nothing changes then.
        """
        checked = {}
        for name in ("coef", "intercept"):
            expected = getattr(self.readout, name + "_").shape
            if name not in state:
                raise FSMError(f"the readout's saved state has no {name!r} entry")
            try:
                value = np.asarray(state[name], dtype=np.float64)
            except (TypeError, ValueError):
                raise FSMError(f"the readout's saved {name!r} is not an array of numbers") \
                    from None
            if value.shape != expected:
                raise FSMError(f"state {name!r} must have shape {list(expected)}, "
                               f"got {list(value.shape)}")
            if not np.all(np.isfinite(value)):
                raise FSMError(f"the readout's saved {name!r} holds values that are not finite "
                               "numbers (NaN or infinity)")
            checked[name] = value.astype(self.readout.coef_.dtype)
        self.readout.coef_ = checked["coef"]
        self.readout.intercept_ = checked["intercept"]

    def weights_view(self) -> np.ndarray:
        """The readout's weights as a 2-D array for a heatmap.

        Machine state features: [N, S_max], one row per machine, one column per
        state (NaN where a machine has fewer states).  With one output this is
        the learned output table of each machine; with K > 1 outputs it is the
        spread (standard deviation) of the state's K weights: adding the same
        number to all K weights of a state changes no softmax prediction, so the
        spread, not the level, says how strongly that state votes for some
        outputs over others.  Every other source: ``coef_`` [K, F] (row k: each
        feature's weight for output k).
        """
        coef = self.readout.coef_                                       # [K, F]
        if not (self.features == "state" and isinstance(self.source, MachineBank)):
            return coef.copy()
        per_state = coef[0] if coef.shape[0] == 1 else coef.std(axis=0)   # [F]
        n_states = self.source.n_states
        view = np.full((len(n_states), int(n_states.max())), np.nan, dtype=np.float64)  # [N, S]
        valid = np.arange(view.shape[1])[None, :] < n_states[:, None]
        view[valid] = per_state        # features are machine-major, states in order
        return view


def _seen_unit(task: Task) -> tuple[str, float]:
    """``("sequences", training steps per training episode)`` for an episodic task,
    ``("steps", 1.0)`` for one long stream."""
    episodes = np.cumsum(task.resets)                                   # [T] episode number
    train = task.train_mask
    n_train_episodes = np.unique(episodes[train]).size
    if task.resets.sum() <= 1:
        return "steps", 1.0
    return "sequences", float(train.sum()) / n_train_episodes
