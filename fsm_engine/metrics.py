"""Scores of a model's outputs on a task: every metric of TASKS.md and its trivial baseline.

The rest of the project calls one function, :func:`evaluate`, with a model's raw
outputs over the whole task stream (logits for classification, values for
regression) and gets a flat ``dict[str, float]``: the task's primary metric under
``"metric"`` and under its own name, the task's chance level, the score of a
trivial predictor (``"baseline"``), and secondary figures (accuracy, loss, ...).
:func:`loss` is the training loss the curves show, the same quantity the LSTM
minimises (mean cross-entropy in nats, or mean squared error over all elements).

The building blocks are plain functions of arrays, usable from a notebook:

- classification: :func:`accuracy`, :func:`cross_entropy`, :func:`bits_per_symbol`
  (base 2, from logits through a log-softmax);
- regression: :func:`mse`, :func:`nrmse`, :func:`r2_score` (coefficient of
  determination), :func:`squared_correlation`;
- memory: :func:`memory_capacity` (Jaeger's MC: the squared correlation between
  each delay's readout and its target, summed; for an alphabet of ``m > 2``
  symbols each delay has ``m - 1`` centred indicator columns whose values are
  summed per delay, as TASKS.md fixes);
- episodes: :func:`zero_error_success` (five- and twenty-bit memory: 1.0 when not
  a single scored step is wrong) and :func:`reber_success`.

Reber scoring (TASKS.md leaves "above 0.5 or the top ones" open; this file uses
the top ones).  At a scored step with ``k`` possible next symbols the step is
right when the ``k`` symbols the model scores highest are exactly the possible
ones, i.e. the lowest score among the possible symbols is strictly above the
highest score among the impossible ones (ties count as wrong).  The 0.5
threshold of Hochreiter & Schmidhuber assumes independent sigmoid outputs; with
a softmax over 7 symbols at most one probability can exceed 0.5, so two possible
successors could never both pass it.  A string is correct when all its scored
steps are right; success is 1.0 when every scored string is correct.
"""
from __future__ import annotations

import numpy as np

from .errors import FSMError
from .tasks import CLASSIFICATION, Task

#: metric name -> True when a larger value is better (used by Trainer.run's target)
GREATER_IS_BETTER = {
    "accuracy": True,
    "memory_capacity": True,
    "five_bit_success": True,
    "twenty_bit_success": True,
    "reber_success": True,
    "mse": False,
    "nrmse": False,
    "bits_per_symbol": False,
}


# ---------------------------------------------------------------------- classification
def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of ``logits`` [T, K], computed stably (max subtracted)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def accuracy(predicted: np.ndarray, targets: np.ndarray) -> float:
    """Fraction of steps where the predicted class equals the target class.

    Parameters
    ----------
    predicted, targets : int arrays [T] of class codes.
    """
    return float(np.mean(predicted == targets)) if len(targets) else float("nan")


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean cross-entropy in nats of the softmax of ``logits`` [T, K] at ``targets`` [T]."""
    if not len(targets):
        return float("nan")
    log_probs = log_softmax(np.asarray(logits, dtype=np.float64))
    return float(-np.mean(log_probs[np.arange(len(targets)), targets]))


def bits_per_symbol(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean code length in bits of the targets under the softmax of ``logits`` [T, K]."""
    return cross_entropy(logits, targets) / np.log(2.0)


# ---------------------------------------------------------------------- regression
def _as_columns(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values.reshape(len(values), -1)


def mse(predictions: np.ndarray, targets: np.ndarray) -> float:
    """Mean squared error over all elements (PyTorch's ``MSELoss``)."""
    predictions, targets = _as_columns(predictions), _as_columns(targets)
    return float(np.mean((predictions - targets) ** 2)) if targets.size else float("nan")


def nrmse(predictions: np.ndarray, targets: np.ndarray) -> float:
    """Root of the MSE divided by the targets' variance (pooled over columns).

    Predicting each column's mean scores 1; a perfect prediction scores 0.
    """
    predictions, targets = _as_columns(predictions), _as_columns(targets)
    spread = np.sum((targets - targets.mean(axis=0)) ** 2)
    if spread == 0:
        return float("nan")
    return float(np.sqrt(np.sum((predictions - targets) ** 2) / spread))


def r2_score(predictions: np.ndarray, targets: np.ndarray) -> float:
    """Coefficient of determination ``1 - SSE/SST``, averaged over columns (scikit-learn's).

    Can be negative (worse than predicting the mean); a constant column counts as 0.
    """
    predictions, targets = _as_columns(predictions), _as_columns(targets)
    sse = np.sum((predictions - targets) ** 2, axis=0)                  # [D]
    sst = np.sum((targets - targets.mean(axis=0)) ** 2, axis=0)         # [D]
    scores = np.where(sst > 0, 1.0 - sse / np.where(sst > 0, sst, 1.0), 0.0)
    return float(scores.mean())


def squared_correlation(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Squared Pearson correlation of each column pair: [D] in [0, 1].

    A column where either side is constant scores 0 (it carries no information).
    """
    predictions, targets = _as_columns(predictions), _as_columns(targets)
    p = predictions - predictions.mean(axis=0)
    y = targets - targets.mean(axis=0)
    covariance = np.sum(p * y, axis=0)
    variances = np.sum(p * p, axis=0) * np.sum(y * y, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(variances > 0, covariance**2 / variances, 0.0)
    return np.clip(np.nan_to_num(r2, nan=0.0), 0.0, 1.0)


def memory_capacity(predictions: np.ndarray, targets: np.ndarray, delays: np.ndarray):
    """Jaeger's memory capacity: per-delay r² and their sum.

    Parameters
    ----------
    predictions, targets : float arrays [T, D], one column per (delay, indicator).
    delays : int array [D], the delay ``k >= 1`` of each column (the
        ``memory_capacity`` task's ``extras["delays"]``): one column per delay for
        binary ±1 input, ``m - 1`` centred indicator columns for ``m`` symbols.

    Returns
    -------
    (total, per_delay) : float MC, and float array [K] (``K = delays.max()``) of
        each delay's r², summed over its columns.
    """
    r2 = squared_correlation(predictions, targets)                      # [D]
    delays = np.asarray(delays, dtype=np.int64)
    if delays.shape != r2.shape or delays.min(initial=1) < 1:
        raise FSMError(f"memory capacity: delays must be {r2.size} integers >= 1, one per "
                       f"target column, got shape {list(delays.shape)}")
    per_delay = np.bincount(delays - 1, weights=r2)                     # [K]
    return float(per_delay.sum()), per_delay


# ---------------------------------------------------------------------- episodes
def zero_error_success(predicted: np.ndarray, targets: np.ndarray) -> float:
    """1.0 when every scored step is right, else 0.0 (five- and twenty-bit memory)."""
    return float(np.array_equal(predicted, targets))


def episode_ids(resets: np.ndarray) -> np.ndarray:
    """Index of the episode each step belongs to: int array [T] (``cumsum(resets) - 1``)."""
    return np.cumsum(resets) - 1


def reber_step_correct(logits: np.ndarray, next_sets: np.ndarray) -> np.ndarray:
    """Top-k rule per step: bool [T], True when the possible symbols outscore all others.

    Parameters
    ----------
    logits : float array [T, 7], the model's scores of the next symbol.
    next_sets : bool array [T, 7], the possible next symbols (multi-hot).
    """
    next_sets = np.asarray(next_sets, dtype=bool)
    lowest_possible = np.where(next_sets, logits, np.inf).min(axis=1)        # [T]
    highest_impossible = np.where(next_sets, -np.inf, logits).max(axis=1)    # [T]
    return lowest_possible > highest_impossible


def reber_success(logits: np.ndarray, next_sets: np.ndarray, episodes: np.ndarray):
    """Embedded-Reber scoring over strings.

    Parameters
    ----------
    logits : float array [T, 7] at the scored steps.
    next_sets : bool array [T, 7] at the same steps.
    episodes : int array [T], the string each step belongs to.

    Returns
    -------
    (success, fraction) : 1.0 when every string is correct (else 0.0), and the
        fraction of strings that are correct.
    """
    strings, string_of_step = np.unique(episodes, return_inverse=True)
    if not len(strings):
        return float("nan"), float("nan")
    step_wrong = ~reber_step_correct(logits, next_sets)
    correct = np.bincount(string_of_step, weights=step_wrong, minlength=len(strings)) == 0
    return float(correct.all()), float(correct.mean())


# ---------------------------------------------------------------------- tasks
def _check_outputs(task: Task, outputs) -> np.ndarray:
    outputs = np.asarray(outputs)
    expected = (task.T, task.n_outputs)
    if outputs.reshape(len(outputs), -1).shape != expected:
        raise FSMError(f"outputs must be [steps, outputs] = {list(expected)} for task "
                       f"{task.name!r}, got shape {list(outputs.shape)}")
    return outputs.reshape(expected)


def _check_mask(task: Task, mask, default: np.ndarray) -> np.ndarray:
    if mask is None:
        return default
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (task.T,):
        raise FSMError(f"mask must be {task.T} bool flags, one per step, "
                       f"got shape {list(mask.shape)}")
    return mask


def _targets(task: Task, mask: np.ndarray) -> np.ndarray:
    if task.kind == CLASSIFICATION:
        return task.targets[mask]
    return task.targets[mask].reshape(int(mask.sum()), -1)


def loss(task: Task, outputs, mask=None) -> float:
    """The training loss of ``outputs`` [T, n_outputs] on ``task``.

    Mean cross-entropy in nats (classification, PyTorch's ``CrossEntropyLoss``)
    or mean squared error over all elements (regression, ``MSELoss``) over the
    steps of ``mask`` (default: ``task.train_mask``) — what the LSTM minimises,
    so FSM and LSTM curves share a scale.
    """
    outputs = _check_outputs(task, outputs)
    mask = _check_mask(task, mask, task.train_mask)
    with np.errstate(all="ignore"):
        if task.kind == CLASSIFICATION:
            return cross_entropy(outputs[mask], task.targets[mask])
        return mse(outputs[mask], _targets(task, mask))


def _scores(task: Task, outputs: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Every metric that applies to ``task`` for ``outputs`` on the ``mask`` steps."""
    targets = _targets(task, mask)
    scored = np.asarray(outputs[mask], dtype=np.float64)        # [M, n_outputs]
    result: dict[str, float] = {}
    if task.kind == CLASSIFICATION:
        predicted = scored.argmax(axis=1) if len(scored) else np.zeros(0, dtype=np.int64)
        result["accuracy"] = accuracy(predicted, targets)
        result["loss"] = cross_entropy(scored, targets)
        result["bits_per_symbol"] = float(result["loss"] / np.log(2.0))
    else:
        result["mse"] = mse(scored, targets)
        result["nrmse"] = nrmse(scored, targets)
        result["loss"] = result["mse"]
    if task.metric == "memory_capacity":
        result["memory_capacity"], per_delay = memory_capacity(scored, targets,
                                                               task.extras["delays"])
        result.update({f"r2_delay_{k}": float(v) for k, v in enumerate(per_delay, start=1)})
    elif task.metric in ("five_bit_success", "twenty_bit_success"):
        result[task.metric] = zero_error_success(predicted, targets)
        result["wrong_steps"] = float(np.sum(predicted != targets))
    elif task.metric == "reber_success":
        result["reber_success"], result["strings_correct"] = reber_success(
            scored, task.extras["next_sets"][mask], episode_ids(task.resets)[mask])
    if task.metric not in result:
        raise FSMError(f"task {task.name!r} asks for metric {task.metric!r}, which this "
                       f"module does not compute for a {task.kind} task")
    return result


def trivial_outputs(task: Task) -> np.ndarray:
    """Outputs of the input-blind predictor fitted on the training steps: [T, n_outputs].

    Classification: the log of the training class frequencies (add-one
    smoothed) at every step, so its argmax is the most frequent class and its
    softmax the unigram distribution.  Regression: the training mean at every step.
    """
    train = task.train_mask if task.train_mask.any() else task.mask
    if task.kind == CLASSIFICATION:
        counts = np.bincount(task.targets[train], minlength=task.n_outputs) + 1.0
        row = np.log(counts / counts.sum())
    else:
        row = _targets(task, train).mean(axis=0)
    return np.tile(row, (task.T, 1))


def evaluate(task: Task, outputs, mask=None) -> dict[str, float]:
    """Score a model's outputs on a task.

    Parameters
    ----------
    task : the task (its ``metric`` names the primary metric).
    outputs : float array [T, task.n_outputs] over the whole stream: logits for
        classification, values for regression.
    mask : bool array [T] of the steps to score; default ``task.eval_mask``.

    Returns
    -------
    dict with ``"metric"`` and ``task.metric`` (the primary value), ``"chance"``
    (``task.chance``), ``"baseline"`` (the primary metric of
    :func:`trivial_outputs`), ``"loss"`` (as :func:`loss`), and secondary
    figures: ``"accuracy"`` and ``"bits_per_symbol"`` (classification), ``"mse"``
    and ``"nrmse"`` (regression), ``"r2_delay_k"`` (memory capacity),
    ``"wrong_steps"`` (five/twenty-bit), ``"strings_correct"`` (Reber).

    Raises
    ------
    FSMError if ``outputs`` or ``mask`` has the wrong shape.
    """
    outputs = _check_outputs(task, outputs)
    mask = _check_mask(task, mask, task.eval_mask)
    with np.errstate(all="ignore"):
        result = _scores(task, outputs, mask)
        baseline = _scores(task, trivial_outputs(task), mask)[task.metric]
    result.update(metric=result[task.metric], chance=float(task.chance), baseline=baseline)
    return result
