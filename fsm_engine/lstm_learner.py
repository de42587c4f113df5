"""Drive the NumPy LSTM on a Task, one Adam step per call, for the shared Trainer.

``LSTMLearner`` implements the protocol ``training.Trainer`` drives (``update``,
``outputs``, ``state_dict``, ...).  It knows nothing of metrics: ``metrics.py``
scores what ``outputs()`` returns.  How it batches is what makes the comparison
with the FSM network fair (``shared/DESIGN.md``, "Fair comparisons"): an LSTM that
never sees a message and its recall in one gradient window cannot learn to
remember it, and that would be a bug of the harness, not a result.

**Episodic tasks** (more than one episode: bit memory, Reber, temporal order,
adding, ...).  One update is one batch of ``batch_size`` whole training
episodes run side by side from a zero state, padded to the longest with
unscored steps, with full backpropagation through time over the episode (a given
``window`` truncates inside episodes instead).  Every lane starts at an
episode's first step.  Only episodes with a training step (``task.train_mask``)
are used, each cut after its last training step.  An epoch draws every training
episode once, in a fresh random order seeded by ``random_state`` and the epoch
number; its last batch may be smaller.  With ``fresh=True``, tasks that can
generate more data (``tasks.can_generate``) give every batch ``batch_size`` newly
generated training episodes instead, seeded by ``random_state`` and the update
count, so a run is reproducible.

**One long stream** (text, series, delayed recall, parity, ...).  Truncated
BPTT, char-rnn style: the steps up to the last training step are cut into
``batch_size`` contiguous lanes of equal length (from a zero state), run side
by side.  One update is one window of ``window`` steps (default 100) of every
lane: forward, backward within the window, clip, Adam.  The final state is
carried into the next window without gradient; after the last window the walk
starts again from a zero state (a new epoch).  Windows without a training step
are run forward only (to carry the state) and are not counted as updates.

``seen`` counts the data the updates used: training sequences (episodic tasks)
or training steps (one long stream), never padding.
"""
from __future__ import annotations

import math

import numpy as np

from . import tasks
from .blas import one_thread
from .errors import TaskError
from .lstm import LSTM, LSTMError, clip_grad_norm
from .optim import Adam
from .tasks import CLASSIFICATION

STREAM_WINDOW = 100         # default truncated-BPTT window of one long stream
EVAL_LANES = 256            # most parallel lanes outputs() uses (episodes run side by side)
EVAL_CHUNK_CELLS = 1 << 16  # steps x lanes per outputs() chunk, to bound memory
MAX_BPTT_BYTES = 1 << 30    # cap on the arrays one update keeps for backpropagation
EXACT_STREAM_STEPS = 50_000  # outputs(rows=...) of a longer single stream runs warm-up lanes
STREAM_WARMUP = 1_000       # steps such a lane runs from a zero state before its first output
_CACHED_PER_UNIT = 20       # floats one update keeps per step, lane, layer and hidden unit


class LSTMLearner:
    """An LSTM trained on a task by backpropagation through time and Adam.

    Parameters
    ----------
    task : fsm_engine.tasks.Task; inputs are the one-hot codes of ``task.inputs``.
    n_hidden, n_layers : LSTM size.
    lr : Adam learning rate.
    batch_size : episodes per update (episodic tasks) or parallel lanes the
        stream is cut into (one long stream).
    window : steps gradients flow back through.  None: whole episodes (full BPTT)
        for episodic tasks, ``STREAM_WINDOW`` for one long stream.
    forget_bias : the forget gate's total initial bias (larger: the cells start
        by remembering longer).
    clip : global gradient-norm bound, or None for no clipping.
    l2 : L2 penalty (Adam ``weight_decay``) on the weights, not on the biases.
    fresh : train on newly generated episodes every batch where the task can
        generate them (``tasks.can_generate``); else on the task's own.
    dtype : ``np.float32`` or ``np.float64``.
    random_state : seed of the initial weights, the episode order and the fresh
        episodes.

    Attributes
    ----------
    net : the LSTM.
    episodic : True when updates are batches of whole episodes.
    fresh : True when those episodes are newly generated every batch.
    updates_per_epoch : updates in one pass over the training data.
    finished : always False.
    n_parameters : number of weights.
    loss : "softmax" for classification tasks, "mse" for regression.
    seen, seen_unit : training sequences (``"sequences"``) or training steps
        (``"steps"``) the updates have used so far.
    last_batch : what the latest update trained on (None before the first): a
        dict with "task" (the task the episodes come from: ``task`` or a fresh
        one), "steps" int [L, B] (stream steps of that task; -1 = padding),
        "inputs" int [L, B], "targets", "mask" and "resets" [L, B], and "window"
        (the steps gradients flowed back through: L for full BPTT).

    Raises
    ------
    TaskError
        if the task has no training step.
    LSTMError
        on a bad setting, or when one update would need more than
        ``MAX_BPTT_BYTES`` (the message names the setting).
    """

    def __init__(self, task, n_hidden=64, n_layers=1, lr=1e-2, batch_size=32, window=None,
                 forget_bias=1.0, clip=1.0, l2=0.0, fresh=True, dtype=np.float32,
                 random_state=0):
        _check_settings(n_hidden=n_hidden, n_layers=n_layers, lr=lr, batch_size=batch_size,
                        window=window, forget_bias=forget_bias, clip=clip, l2=l2, fresh=fresh,
                        random_state=random_state)
        if not task.train_mask.any():
            raise TaskError(f"task {task.name!r} has no training step (train_mask is all False)")
        self.task = task
        self.n_hidden, self.n_layers = int(n_hidden), int(n_layers)
        self.lr, self.l2, self.clip, self.forget_bias = float(lr), float(l2), clip, forget_bias
        self.batch_size, self.random_state = int(batch_size), int(random_state)
        self.loss = "softmax" if task.kind == CLASSIFICATION else "mse"
        self.net = LSTM(task.n_symbols, self.n_hidden, task.n_outputs, n_layers=self.n_layers,
                        dtype=dtype, random_state=self.random_state)
        H = self.n_hidden
        for layer in range(self.n_layers):
            self.net.params[f"bias_ih_l{layer}"][H:2 * H] = forget_bias   # forget gate
            self.net.params[f"bias_hh_l{layer}"][H:2 * H] = 0.0
        self.optimiser = Adam(lr=self.lr, l2=self.l2,
                              no_decay=[n for n in self.net.params if "bias" in n])
        self.n_parameters = self.net.n_parameters
        self.finished = False
        self.seen = 0.0
        self.last_batch = None
        self._one_hot = np.eye(task.n_symbols, dtype=self.net.dtype)   # [X, X]
        self._n_updates = 0    # updates made: seeds the fresh episodes
        self.episodic = bool(task.resets.sum() > 1)
        if self.episodic:
            self.window = None if window is None else int(window)
            self.fresh = bool(fresh) and tasks.can_generate(task)
            self.seen_unit = "sequences"
            self._starts, self._lengths = _training_episodes(task)     # [E], [E]
            self.updates_per_epoch = math.ceil(len(self._starts) / self.batch_size)
            self._epoch, self._cursor = 0, 0      # position in the epoch's episode order
            self._order: tuple[int, np.ndarray | None] = (-1, None)  # (epoch, its order), cached
            longest = int(self._lengths.max())
            lanes = self.batch_size if self.fresh else min(self.batch_size, len(self._starts))
            self._check_memory(longest if self.window is None else min(self.window, longest),
                               lanes)
        else:
            self.window = STREAM_WINDOW if window is None else int(window)
            self.fresh = False
            self.seen_unit = "steps"
            index = _stream_lanes(task, self.batch_size)                  # [L, lanes]
            self._lanes = {"steps": index, **_lane_data(task, self.loss, index)}
            n_lanes = self._lanes["inputs"].shape[1]
            self._check_memory(self.window, n_lanes)
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
        """One Adam step on the next batch; returns its training loss.

        A diverging run returns nan or inf rather than raising.
        """
        with np.errstate(all="ignore"), one_thread():   # non-finite losses are reported, not raised
            if self.episodic:
                loss, grads = self._episode_batch_gradient()
            else:
                loss, grads = self._stream_window_gradient()
            if self.clip is not None:
                clip_grad_norm(grads, self.clip)
            self.optimiser.step(self.net.params, grads)
        self._n_updates += 1
        return float(loss)

    def set_rates(self, lr: float | None = None, l2: float | None = None) -> None:
        """Change Adam's learning rate and/or L2 penalty; weights, Adam's moments and
        the position in the data are kept.

        Raises
        ------
        LSTMError
            on a learning rate that is not a finite number > 0 or an L2 penalty that
            is not a finite number >= 0; nothing changes then.
        """
        if lr is not None:
            _check_number("lr", lr, minimum=0.0, strict=True)
        if l2 is not None:
            _check_number("l2", l2, minimum=0.0)
        if lr is not None:
            self.lr = self.optimiser.lr = float(lr)
        if l2 is not None:
            self.l2 = self.optimiser.l2 = float(l2)

    def _episode_batch_gradient(self):
        """Loss and gradients of the next batch of whole episodes."""
        if self.fresh:
            source = tasks.generate(self.task, self.batch_size, seed=self._fresh_seed())
            starts, lengths = _training_episodes(source)
        else:
            source, chosen = self.task, self._next_episodes()
            starts, lengths = self._starts[chosen], self._lengths[chosen]
        offsets = np.arange(int(lengths.max()))[:, None]                        # [L, 1]
        index = np.where(offsets < lengths, starts + offsets, -1)              # [L, B]
        batch = _lane_data(source, self.loss, index)
        n_steps = index.shape[0]
        self.last_batch = {"task": source, "steps": index, **batch,
                           "window": min(self.window or n_steps, n_steps)}
        self.seen += len(starts)
        return self.net.loss_and_grad(
            self._one_hot[batch["inputs"]], batch["targets"], loss=self.loss,
            mask=batch["mask"], resets=batch["resets"], window=self.window)

    def _next_episodes(self) -> np.ndarray:
        """Indices (into the training episodes) of the next batch; advances the walk."""
        n_episodes = len(self._starts)
        epoch, order = self._order
        if order is None or epoch != self._epoch:
            rng = np.random.default_rng((self.random_state, 0, self._epoch))
            order = rng.permutation(n_episodes)
            self._order = (self._epoch, order)
        chosen = order[self._cursor:self._cursor + self.batch_size]
        self._cursor += len(chosen)
        if self._cursor >= n_episodes:
            self._epoch, self._cursor = self._epoch + 1, 0
        return chosen

    def _fresh_seed(self) -> int:
        sequence = np.random.SeedSequence((self.random_state, 1, self._n_updates))
        return int(sequence.generate_state(1)[0])

    def _stream_window_gradient(self):
        """Loss and gradients of the next window of every lane of the stream."""
        assert self.window is not None      # a stream always trains in windows (__init__)
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
        batch = {name: lanes[steps] for name, lanes in self._lanes.items()}
        self.last_batch = {"task": self.task, **batch, "window": batch["steps"].shape[0]}
        self.seen += float(batch["mask"].sum())
        loss, grads, self._state = self.net.loss_and_grad(
            x, batch["targets"], loss=self.loss, mask=batch["mask"], resets=resets,
            state=self._state, return_state=True)
        return loss, grads

    # ------------------------------------------------------------------ evaluation
    def outputs(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Model outputs for every step of the task's stream, with its resets.

        Parameters
        ----------
        rows : bool array [T] or None.  When given, only these steps are guaranteed
            (the others may hold 0): only the episodes holding them are run, exactly.
            A single stream longer than ``EXACT_STREAM_STEPS`` (text) is then run as
            lanes side by side over the span of ``rows``, each starting
            ``STREAM_WARMUP`` steps before its first output from a zero state (the
            state an exact pass would carry in is not computed: that would be a
            sequential pass over the whole stream).

        Returns
        -------
        array [T, task.n_outputs]: logits (classification) or values (regression).
        """
        index, first_kept = (self._eval_index, None) if rows is None \
            else self._rows_index(np.asarray(rows, dtype=bool))   # [L, lanes], -1 pads
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
                part = slice(start, start + chunk)
                lane_outputs[part], state = self.net.predict(
                    self._one_hot[symbols[part]], h0=state, resets=resets[part],
                    return_state=True)
        if first_kept is not None:                          # drop the warm-up steps
            valid &= np.arange(n_steps)[:, None] >= first_kept[None, :]
        outputs = np.zeros((self.task.T, self.task.n_outputs), self.net.dtype)  # [T, O]
        outputs[index[valid]] = lane_outputs[valid]
        return outputs

    def _rows_index(self, rows: np.ndarray):
        """Lanes that compute the outputs at ``rows``: ``(index [L, lanes], first_kept)``,
        ``first_kept`` [lanes] the first lane position whose output is kept (None: all)."""
        steps = np.flatnonzero(rows)
        T = self.task.T
        if not steps.size:
            return self._eval_index, None
        if self.episodic or T <= EXACT_STREAM_STEPS:       # whole episodes: exact
            starts = np.flatnonzero(self.task.resets)
            begin = starts[np.searchsorted(starts, steps[0], side="right") - 1]
            following = np.searchsorted(starts, steps[-1], side="right")
            end = starts[following] if following < len(starts) else T
            if begin == 0 and end == T:
                return self._eval_index, None
            cuts = starts[(starts >= begin) & (starts < end)] - begin
            index = _pack_lanes(int(end - begin), cuts, EVAL_LANES)
            return np.where(index >= 0, index + begin, -1), None
        low, high = int(steps[0]), int(steps[-1]) + 1      # one long stream: warm-up lanes
        n_lanes = int(min(EVAL_LANES, math.ceil((high - low) / STREAM_WARMUP)))
        bounds = low + np.arange(n_lanes + 1) * (high - low) // n_lanes     # [lanes + 1]
        begins = np.maximum(bounds[:-1] - STREAM_WARMUP, 0)                 # [lanes]
        lengths = bounds[1:] - begins
        index = np.full((int(lengths.max()), n_lanes), -1)
        for lane in range(n_lanes):
            index[:lengths[lane], lane] = np.arange(begins[lane], bounds[lane + 1])
        return index, bounds[:-1] - begins

    def weights_view(self) -> np.ndarray:
        """The first layer's recurrent weights ``weight_hh_l0`` [4H, H] (gate rows i, f, g, o)."""
        return self.net.params["weight_hh_l0"].copy()

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of everything needed to continue exactly.

        The weights (PyTorch names); Adam's state ("adam.t", "adam.m.<name>",
        "adam.v.<name>"); "seen"; "walk.seed" (``random_state``, which orders and
        generates the data) and "walk.updates" (updates made); and the position in
        the data: "walk.epoch" and "walk.cursor" (episodic tasks: the
        epoch and the next episode of its order), or "walk.cursor", "walk.h" and
        "walk.c" (one long stream: the next window and the state carried into it).
        """
        state = self.net.state_dict()
        adam = self.optimiser.state_dict()
        state["adam.t"] = np.array(adam["t"])
        for moment in ("m", "v"):
            state.update({f"adam.{moment}.{name}": a for name, a in adam[moment].items()})
        state.update({"seen": np.array(self.seen), "walk.seed": np.array(self.random_state),
                      "walk.updates": np.array(self._n_updates),
                      "walk.cursor": np.array(self._cursor)})
        if self.episodic:
            state["walk.epoch"] = np.array(self._epoch)
        else:
            h, c = self._state if self._state is not None else self._zero_state()
            state.update({"walk.h": h.copy(), "walk.c": c.copy()})
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` returned.

        Raises
        ------
        LSTMError
            if an entry is missing, unexpected, has the wrong shape or holds a value
            that is out of range or not finite; nothing is changed then.
        """
        shapes = self.net.param_shapes()
        walk = {"seen": (), "walk.seed": (), "walk.updates": (), "walk.cursor": (),
                "adam.t": ()}
        if self.episodic:
            walk["walk.epoch"] = ()
        else:
            walk["walk.h"] = walk["walk.c"] = self._zero_state()[0].shape
        adam = {f"adam.{m}.{n}": shape for m in ("m", "v") for n, shape in shapes.items()}
        for name in state:
            if name not in walk and name not in adam and name not in shapes:
                raise LSTMError(f"learner state dict has an unexpected entry {name!r}")
        for name, shape in {**shapes, **walk, **adam}.items():
            if name not in state:
                if name in adam:      # Adam has no moments before its first step
                    continue
                raise LSTMError(f"learner state dict has no entry {name!r}")
            value = state[name]
            if np.shape(value) != shape:
                raise LSTMError(f"learner state dict entry {name!r} has shape "
                                f"{np.shape(value)}, expected {shape}")
            if not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
                raise LSTMError(f"learner state dict entry {name!r} holds values that are "
                                "not finite numbers")
        counts = {name: state[name] for name in walk if name.startswith("walk.")
                  and name not in ("walk.h", "walk.c")}
        counts["adam.t"] = state["adam.t"]
        for name, value in counts.items():
            if value < 0 or value != int(value):
                raise LSTMError(f"learner state dict entry {name!r} is {value}, expected a "
                                "whole number >= 0")
        cursor = int(state["walk.cursor"])
        n_positions = len(self._starts) if self.episodic else len(self._window_starts)
        if cursor >= n_positions:
            raise LSTMError(f"learner state dict entry 'walk.cursor' is {cursor}, expected "
                            f"0..{n_positions - 1}")
        if not float(state["seen"]) >= 0:
            raise LSTMError(f"learner state dict entry 'seen' is {state['seen']}, expected "
                            "a number >= 0")
        self.net.load_state_dict({n: state[n] for n in shapes})   # checks, then changes
        dtype = self.net.dtype
        self.optimiser.load_state_dict({
            "t": int(state["adam.t"]),
            "m": {n: np.asarray(state[f"adam.m.{n}"], dtype) for n in shapes
                  if f"adam.m.{n}" in state},
            "v": {n: np.asarray(state[f"adam.v.{n}"], dtype) for n in shapes
                  if f"adam.v.{n}" in state}})
        self.seen, self._n_updates, self._cursor = (float(state["seen"]),
                                                    int(state["walk.updates"]), cursor)
        self.random_state = int(state["walk.seed"])
        if self.episodic:
            self._epoch, self._order = int(state["walk.epoch"]), (-1, None)
        else:
            self._state = (np.array(state["walk.h"], dtype), np.array(state["walk.c"], dtype))

    # ------------------------------------------------------------------ helpers
    def _zero_state(self):
        shape = (self.n_layers, self._lanes["inputs"].shape[1], self.n_hidden)
        return np.zeros(shape, self.net.dtype), np.zeros(shape, self.net.dtype)

    def _check_memory(self, n_steps: int, n_lanes: int) -> None:
        """Refuse settings whose backpropagation arrays would exceed ``MAX_BPTT_BYTES``."""
        needed = (n_steps * n_lanes * self.n_layers * self.n_hidden * _CACHED_PER_UNIT
                  * self.net.dtype.itemsize)
        if needed > MAX_BPTT_BYTES:
            raise LSTMError(
                f"one update would back-propagate through {n_steps:,} steps of {n_lanes} "
                f"lanes, about {needed / 2**30:.1f} GB (the cap is "
                f"{MAX_BPTT_BYTES / 2**30:.0f} GB); set a smaller window (e.g. "
                f"window={max(1, n_steps * MAX_BPTT_BYTES // needed // 2)}), batch_size or "
                "n_hidden")


def _check_settings(**values) -> None:
    """Raise LSTMError naming the first bad setting."""
    for name in ("n_hidden", "n_layers", "batch_size"):
        if not _is_int(values[name]) or values[name] < 1:
            raise LSTMError(f"{name} must be a positive integer, got {values[name]!r}")
    window = values["window"]
    if window is not None and (not _is_int(window) or window < 1):
        raise LSTMError(f"window must be None (whole episodes) or a positive integer, got "
                        f"{window!r}")
    _check_number("lr", values["lr"], minimum=0.0, strict=True)
    if values["clip"] is not None:
        _check_number("clip", values["clip"], minimum=0.0, strict=True)
    _check_number("l2", values["l2"], minimum=0.0)
    _check_number("forget_bias", values["forget_bias"])
    if not isinstance(values["fresh"], (bool, np.bool_)):
        raise LSTMError(f"fresh must be True or False, got {values['fresh']!r}")
    if not _is_int(values["random_state"]) or values["random_state"] < 0:
        raise LSTMError(f"random_state must be an integer >= 0, got "
                        f"{values['random_state']!r}")


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_number(name: str, value, minimum: float | None = None, strict: bool = False):
    """Raise LSTMError unless ``value`` is a finite real number (> or >= ``minimum``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)) \
            or not math.isfinite(value):
        raise LSTMError(f"{name} must be a finite number, got {value!r}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        raise LSTMError(f"{name} must be {'>' if strict else '>='} {minimum:g}, got {value!r}")


def _lane_data(task, loss: str, index: np.ndarray) -> dict[str, np.ndarray]:
    """Task arrays laid out as lanes.  index [L, B] of stream steps, -1 = padding
    (unscored, no reset)."""
    valid = index >= 0
    steps = np.where(valid, index, 0)                      # [L, B]
    mask = task.train_mask[steps] & valid                  # [L, B]
    if loss == "softmax":
        targets = np.where(mask, task.targets[steps], 0)                      # [L, B]
    else:
        columns = task.targets.reshape(task.T, -1)         # [T, D]
        targets = np.where(mask[:, :, None], columns[steps], 0.0)            # [L, B, D]
    return {"inputs": np.where(valid, task.inputs[steps], 0), "targets": targets,
            "mask": mask, "resets": task.resets[steps] & valid}


def _training_episodes(task) -> tuple[np.ndarray, np.ndarray]:
    """First step [E] and length [E] of every episode with a training step, each cut
    after its last training step (nothing later can affect a training loss)."""
    starts = np.flatnonzero(task.resets)                    # [E_all]
    train_steps = np.flatnonzero(task.train_mask)           # [n], sorted
    episode = np.searchsorted(starts, train_steps, side="right") - 1
    last = np.append(episode[1:] != episode[:-1], True)     # last training step of its episode
    with_training = episode[last]                           # [E]
    return starts[with_training], train_steps[last] - starts[with_training] + 1


def _stream_lanes(task, n_lanes) -> np.ndarray:
    """The steps up to the last training step cut into ``n_lanes`` contiguous lanes of
    about equal length: index [L, lanes] (-1 = padding)."""
    n_kept = int(np.flatnonzero(task.train_mask)[-1]) + 1
    return _pack_lanes(n_kept, np.arange(n_kept), n_lanes)


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
