"""The task library: benchmark sequence tasks as plain data, generated from a seed.

Every task is one input stream over a finite alphabet, with per-step targets, a
score mask and episode resets (see ``shared/TASKS.md`` for the definitions).
``make(name, **params)`` builds any of them; every generator takes ``seed=``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import TaskError

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
