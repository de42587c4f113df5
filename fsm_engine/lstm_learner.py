"""Drive the NumPy LSTM on a Task, one Adam step per call, for the shared Trainer.

``LSTMLearner`` implements the protocol ``training.Trainer`` drives (``update``,
``outputs``, ``state_dict``, ...).  It knows nothing of metrics: ``metrics.py``
scores what ``outputs()`` returns.

Batching (char-rnn style, truncated BPTT):

1. Only the steps that can affect a training loss are kept: a step is dropped
   when no training step (``task.train_mask``) follows it in its episode, since
   an episode reset stops anything flowing on.  Held-out tails and held-out
   episodes thus cost nothing.
2. The kept stream is cut into ``batch_size`` contiguous lanes of about equal
   length, run side by side as the batch.  When the stream has at least
   ``batch_size`` episodes every cut is moved to the nearest episode start,
   so no lane starts mid-episode (the lanes may then be fewer and uneven; the
   short ones are padded with unscored steps).  Otherwise (e.g. one long text)
   lanes start mid-stream from a zero state, as in char-rnn.
3. One update is one window of ``window`` steps of every lane: forward,
   backward within the window, clip, Adam.  The final state is carried into the
   next window without gradient; after the last window the walk starts again
   from a zero state (a new epoch).  Episode resets inside a window zero that
   lane's state and cut the gradient.  Windows without any scored step are run
   forward only (to carry the state) and are not counted as updates.
"""
from __future__ import annotations

import numpy as np

from .blas import one_thread
from .errors import TaskError
from .lstm import LSTM, LSTMError, clip_grad_norm
from .optim import Adam
from .tasks import CLASSIFICATION

EVAL_LANES = 256            # most parallel lanes outputs() uses (episodes run side by side)
EVAL_CHUNK_CELLS = 1 << 16  # steps x lanes per outputs() chunk, to bound memory


class LSTMLearner:
    """An LSTM trained on a task by truncated BPTT and Adam, one mini-batch per update.

    Parameters
    ----------
    task : fsm_engine.tasks.Task; inputs are the one-hot codes of ``task.inputs``.
    n_hidden, n_layers : LSTM size.
    lr : Adam learning rate.
    batch_size : number of parallel lanes the training stream is cut into.
    window : truncated-BPTT window length in steps.
    clip : global gradient-norm bound, or None for no clipping.
    l2 : L2 penalty (Adam ``weight_decay``) on the weights, not on the biases.
    dtype : ``np.float32`` or ``np.float64``.
    random_state : seed of the initial weights.

    Attributes
    ----------
    net : the LSTM.  updates_per_epoch : updates in one pass over the training
    steps.  finished : always False.  n_parameters : number of weights.
    loss : "softmax" for classification tasks, "mse" for regression.

    Raises
    ------
    TaskError
        if the task has no training step.
    LSTMError
        on a bad setting (the message names it).
    """

    def __init__(self, task, n_hidden=64, n_layers=1, lr=1e-2, batch_size=32, window=100,
                 clip=1.0, l2=0.0, dtype=np.float32, random_state=0):
        for field, value in (("batch_size", batch_size), ("window", window)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise LSTMError(f"{field} must be a positive integer, got {value!r}")
        if not lr > 0:
            raise LSTMError(f"lr must be > 0, got {lr!r}")
        if clip is not None and not clip > 0:
            raise LSTMError(f"clip must be > 0 or None, got {clip!r}")
        if not l2 >= 0:
            raise LSTMError(f"l2 must be >= 0, got {l2!r}")
        if not task.train_mask.any():
            raise TaskError(f"task {task.name!r} has no training step (train_mask is all False)")
        self.task = task
        self.n_hidden, self.n_layers, self.lr, self.l2 = n_hidden, n_layers, lr, l2
        self.batch_size, self.window, self.clip = int(batch_size), int(window), clip
        self.loss = "softmax" if task.kind == CLASSIFICATION else "mse"
        self.net = LSTM(task.n_symbols, n_hidden, task.n_outputs, n_layers=n_layers,
                        dtype=dtype, random_state=random_state)
        self.optimiser = Adam(lr=lr, l2=l2, no_decay=[n for n in self.net.params if "bias" in n])
        self.n_parameters = self.net.n_parameters
        self.finished = False
        self._one_hot = np.eye(task.n_symbols, dtype=self.net.dtype)   # [X, X]
        self._lanes = self._lane_data(_training_lanes(task, self.batch_size))
        n_lane_steps = self._lanes["inputs"].shape[0]
        self._window_starts = list(range(0, n_lane_steps, self.window))
        self._window_scored = [bool(self._lanes["mask"][s:s + self.window].any())
                               for s in self._window_starts]
        self.updates_per_epoch = sum(self._window_scored)
        self._cursor = 0       # index of the next window
        self._state = None     # (h, c) carried into that window; None = zeros
        # outputs(): whole episodes side by side (exact, since resets zero the state)
        self._eval_index = _pack_lanes(task.T, np.flatnonzero(task.resets), EVAL_LANES)

    # ------------------------------------------------------------------ training
    def update(self) -> float:
        """One Adam step on the next window of every lane; returns that window's loss.

        A diverging run returns nan or inf rather than raising.
        """
        with np.errstate(all="ignore"), one_thread():   # non-finite losses are reported, not raised
            while True:
                if self._cursor == 0:
                    self._state = None     # a new epoch starts every lane from zero
                steps = slice(self._window_starts[self._cursor],
                              self._window_starts[self._cursor] + self.window)
                scored = self._window_scored[self._cursor]
                self._cursor = (self._cursor + 1) % len(self._window_starts)
                x = self._one_hot[self._lanes["inputs"][steps]]   # [W, B, X]
                resets = self._lanes["resets"][steps]              # [W, B]
                if scored:
                    break
                _, self._state = self.net.predict(x, h0=self._state, resets=resets,
                                                  return_state=True)
            loss, grads, self._state = self.net.loss_and_grad(
                x, self._lanes["targets"][steps], loss=self.loss,
                mask=self._lanes["mask"][steps], resets=resets, state=self._state,
                return_state=True)
            if self.clip is not None:
                clip_grad_norm(grads, self.clip)
            self.optimiser.step(self.net.params, grads)
        return float(loss)

    def outputs(self) -> np.ndarray:
        """Model outputs for every step of the task's stream, with its resets.

        Returns
        -------
        array [T, task.n_outputs]: logits (classification) or values (regression).
        """
        index = self._eval_index                           # [L, lanes], -1 pads
        valid = index >= 0
        steps = np.where(valid, index, 0)
        symbols = self.task.inputs[steps]                  # [L, lanes]
        resets = self.task.resets[steps] & valid           # [L, lanes]
        n_steps, n_lanes = index.shape
        chunk = max(1, EVAL_CHUNK_CELLS // n_lanes)
        lane_outputs = np.empty((n_steps, n_lanes, self.task.n_outputs), self.net.dtype)
        state = None
        with np.errstate(all="ignore"), one_thread():
            for start in range(0, n_steps, chunk):
                rows = slice(start, start + chunk)
                lane_outputs[rows], state = self.net.predict(
                    self._one_hot[symbols[rows]], h0=state, resets=resets[rows],
                    return_state=True)
        outputs = np.empty((self.task.T, self.task.n_outputs), self.net.dtype)  # [T, O]
        outputs[index[valid]] = lane_outputs[valid]
        return outputs

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of everything needed to continue exactly: the weights (PyTorch names),
        Adam's state ("adam.t", "adam.m.<name>", "adam.v.<name>") and the position of
        the window walk ("walk.cursor", "walk.h", "walk.c")."""
        state = self.net.state_dict()
        adam = self.optimiser.state_dict()
        state["adam.t"] = np.array(adam["t"])
        for moment in ("m", "v"):
            state.update({f"adam.{moment}.{name}": a for name, a in adam[moment].items()})
        h, c = self._state if self._state is not None else self._zero_state()
        state.update({"walk.cursor": np.array(self._cursor), "walk.h": h.copy(),
                      "walk.c": c.copy()})
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` returned.

        Raises
        ------
        LSTMError
            if an entry is missing, unexpected or has the wrong shape; nothing
            is changed then.
        """
        shapes = self.net.param_shapes()
        walk_shape = self._zero_state()[0].shape
        extra = {"adam.t": (), "walk.cursor": (), "walk.h": walk_shape, "walk.c": walk_shape}
        adam_names = [f"adam.{m}.{n}" for m in ("m", "v") for n in shapes]
        for name, shape in extra.items():
            if name not in state:
                raise LSTMError(f"learner state dict has no entry {name!r}")
            if np.shape(state[name]) != shape:
                raise LSTMError(f"learner state dict entry {name!r} has shape "
                                f"{np.shape(state[name])}, expected {shape}")
        for name in adam_names:
            if name in state and np.shape(state[name]) != shapes[name.split(".", 2)[2]]:
                raise LSTMError(f"learner state dict entry {name!r} has shape "
                                f"{np.shape(state[name])}, expected "
                                f"{shapes[name.split('.', 2)[2]]}")
        cursor = int(state["walk.cursor"])
        if not 0 <= cursor < len(self._window_starts):
            raise LSTMError(f"learner state dict entry 'walk.cursor' is {cursor}, expected "
                            f"0..{len(self._window_starts) - 1}")
        weights = {n: a for n, a in state.items() if n not in extra and n not in adam_names}
        self.net.load_state_dict(weights)    # checks names and shapes before changing anything
        dtype = self.net.dtype
        self.optimiser.load_state_dict({
            "t": int(state["adam.t"]),
            "m": {n: np.asarray(state[f"adam.m.{n}"], dtype) for n in shapes
                  if f"adam.m.{n}" in state},
            "v": {n: np.asarray(state[f"adam.v.{n}"], dtype) for n in shapes
                  if f"adam.v.{n}" in state}})
        self._cursor = cursor
        self._state = (np.array(state["walk.h"], dtype), np.array(state["walk.c"], dtype))

    def weights_view(self) -> np.ndarray:
        """The first layer's recurrent weights ``weight_hh_l0`` [4H, H] (gate rows i, f, g, o)."""
        return self.net.params["weight_hh_l0"].copy()

    # ------------------------------------------------------------------ helpers
    def _zero_state(self):
        shape = (self.n_layers, self._lanes["inputs"].shape[1], self.n_hidden)
        return np.zeros(shape, self.net.dtype), np.zeros(shape, self.net.dtype)

    def _lane_data(self, index):
        """Task arrays laid out as lanes.  index [L, B] of stream steps, -1 = padding."""
        task, valid = self.task, index >= 0
        steps = np.where(valid, index, 0)                  # [L, B]
        mask = task.train_mask[steps] & valid              # [L, B]
        if self.loss == "softmax":
            targets = np.where(mask, task.targets[steps], 0).astype(np.int64)    # [L, B]
        else:
            columns = task.targets.reshape(task.T, -1)     # [T, D]
            targets = np.where(mask[:, :, None], columns[steps], 0.0)          # [L, B, D]
        return {"inputs": np.where(valid, task.inputs[steps], 0), "targets": targets,
                "mask": mask, "resets": task.resets[steps] & valid}


def _training_lanes(task, n_lanes) -> np.ndarray:
    """Stream steps laid out as training lanes, index [L, B] (-1 = padding); see the
    module docstring for the scheme."""
    steps = np.arange(task.T)
    train = task.train_mask
    episode = np.cumsum(task.resets)                                # [T] episode number
    last_train = np.full(episode.max() + 1, -1)                     # per episode
    np.maximum.at(last_train, episode[train], steps[train])
    kept = steps[steps <= last_train[episode]]                      # [T'] steps training runs
    starts = np.flatnonzero(task.resets[kept])                      # episode starts in kept
    cut_points = starts if len(starts) >= n_lanes else np.arange(len(kept))
    lanes = _pack_lanes(len(kept), cut_points, n_lanes)             # positions in kept
    return np.where(lanes >= 0, kept[np.maximum(lanes, 0)], -1)


def _pack_lanes(n_steps, cut_points, n_lanes) -> np.ndarray:
    """Cut steps ``0..n_steps-1`` into at most ``n_lanes`` contiguous lanes of about
    equal length, each cut moved to the nearest of the sorted ``cut_points``.

    Returns index [L, lanes]: lane ``b`` runs steps ``index[:, b]``, padded with -1.
    """
    ideal = np.arange(1, n_lanes) * n_steps // n_lanes              # [n_lanes - 1]
    allowed = np.append(cut_points, n_steps)
    after = np.searchsorted(allowed, ideal)                         # first allowed >= ideal
    before = np.maximum(after - 1, 0)
    nearer_before = ideal - allowed[before] < allowed[after] - ideal
    cuts = np.where(nearer_before, allowed[before], allowed[after])
    bounds = np.unique(np.concatenate([[0], cuts, [n_steps]]))      # lane b: bounds[b]..bounds[b+1]
    lengths = np.diff(bounds)
    index = np.full((int(lengths.max()), len(lengths)), -1)
    for lane, (start, length) in enumerate(zip(bounds[:-1], lengths, strict=True)):
        index[:length, lane] = np.arange(start, start + length)
    return index
