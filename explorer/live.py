"""Live training in Streamlit: the pieces every live page shares (Train now, Compare next).

* :class:`LiveRun` — one learner being trained in one browser session: the one
  :class:`~fsm_engine.training.Trainer`, a running flag, the message of the last
  thing that went wrong, the curves the charts draw and the throughput.  It is
  plain Python (no Streamlit), so it is tested directly.
* :func:`get_run` / :func:`keep_run` — the per-session holder: runs live in
  ``st.session_state`` (never ``st.cache_resource``, which every user of a hosted
  app shares), so two browser sessions never see each other's model and a rerun
  never loses one.
* :func:`ticking` — the fragment runner: a draw function rerun every
  ``RUN_EVERY`` seconds while the run is running (``run_every=None`` otherwise),
  each run drawing and then doing a bounded slice of work (:func:`tick`); the
  first training in a process freezes the heap (:func:`freeze_heap`).  Start /
  Pause buttons live outside it, since a button inside a ticking fragment does
  not interrupt it.
* :func:`chart` — every live chart drawn the same way.
* :func:`request_page` / :func:`follow_page_request` — leaving a page from inside
  a ticking fragment (``st.switch_page`` there often leaves the target page blank):
  the fragment records the request and reruns the whole app; the page script
  switches at its top, outside the fragment.
"""
from __future__ import annotations

import functools
import gc
import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np
import streamlit as st

from fsm_engine import metrics
from fsm_engine.blas import one_thread
from fsm_engine.errors import FSMError, TrainingDiverged
from fsm_engine.tasks import CLASSIFICATION, Task
from fsm_engine.training import Progress, Trainer

from . import settings

#: seconds between ticks while training: shorter than a run (the drawing, then a tick of
#: TICK_SECONDS of updates plus one evaluation), so the runs follow each other and the tick
#: sets the pace (at N = 10 000: about 6 redraws of the curves a second, bench/ui.py)
RUN_EVERY = 0.1
#: seconds between redraws of the charts that cost the browser most (the weight map, the
#: predictions, the LSTM's gates): their own fragment, so they leave the browser's time to
#: the curves (bench/ui.py, when the weight map was 900 SVG squares: curves redrawn 1.5x as
#: often as with all four in one tick)
SLOW_EVERY = 1.0
#: seconds of updates per tick (checked between updates)
TICK_SECONDS = 0.1
#: the most updates one tick may make (the time bound usually stops it first)
TICK_UPDATES = 10_000
#: evaluations a tick aims for (each one a point of the curves), time allowing
TICK_POINTS = 4
#: wall-clock seconds over which "updates per second" is measured
RATE_WINDOW = 3.0
#: the longest a rerun waits for a tick still training in the previous script thread
SETTLE_SECONDS = 1.0
#: Plotly options of every live chart: no mode bar (it flickers on every redraw)
CHART_CONFIG = {"displayModeBar": False}
#: session-state name of a pending page switch (see request_page)
PAGE_REQUEST = "live_page_request"


# ---------------------------------------------------------------------- the run (no Streamlit)
class _Watched:
    """A learner seen through the Trainer: everything is forwarded, and the outputs of
    the Trainer's last evaluation (and the time it took) are kept, so the charts reuse
    them instead of scoring the whole stream a second time."""

    def __init__(self, learner):
        self._learner = learner
        self.last_outputs: np.ndarray | None = None
        self.eval_seconds = 0.0

    def __getattr__(self, name):
        return getattr(self._learner, name)

    def outputs(self) -> np.ndarray:
        started = time.perf_counter()
        self.last_outputs = self._learner.outputs()
        self.eval_seconds += time.perf_counter() - started
        return self.last_outputs


def step_loss(task: Task, outputs: np.ndarray, loss: str, mask: np.ndarray) -> float:
    """The loss per scored step of ``outputs`` [T, K] on the ``mask`` steps, as the model's
    training rule counts it: squared error summed over the K outputs (a class target is
    its one-hot code) or softmax cross-entropy in nats; NaN when ``mask`` is empty."""
    if not mask.any():
        return float("nan")
    scored = np.asarray(outputs[mask], dtype=np.float64)                     # [M, K]
    targets = task.targets[mask]
    with np.errstate(all="ignore"):
        if loss == "softmax":
            return metrics.cross_entropy(scored, targets)
        if task.kind == CLASSIFICATION:
            targets = np.eye(scored.shape[1])[targets]                         # [M, K]
        residual = scored - targets.reshape(scored.shape)
        return float(np.mean(np.sum(residual * residual, axis=1)))


class LiveRun:
    """One learner trained live: the Trainer, a running flag, curves and a message.

    Parameters
    ----------
    learner : a Learner (see :mod:`fsm_engine.training`) with ``task`` and ``outputs()``.
    loss : ``"mse"`` or ``"softmax"``, the rule it trains by (for the loss curves).
    config : whatever identifies the settings it was built from (compared by the page).
    label : a short description for messages.

    The run evaluates once when made, so the charts show update 0 before Start.

    Attributes
    ----------
    auto_lr, auto_l2 : what "automatic" means for this learner's learning rate and L2
        penalty (set by whoever built it with automatic rates; None when unknown).
    """

    def __init__(self, learner, loss: str, config=None, label: str = ""):
        self.learner = learner
        self.loss = loss
        self.config = config
        self.label = label
        self.auto_lr: float | None = None
        self.auto_l2: float | None = None
        self.running = False
        #: (kind, text) of the last thing worth saying: "error", "warning", "success", "info"
        self.message: tuple[str, str] | None = None
        self._watched = _Watched(learner)
        self.trainer = Trainer(self._watched, eval_every=1)
        self.curves: dict[str, list[float]] = {"updates": [], "train_loss": [],
                                               "held_out_loss": [], "metric": []}
        self.progress: Progress | None = None
        self.train_seconds = 0.0
        self._last_eval_seconds = 0.0
        self._recent: deque[tuple[float, int]] = deque()
        #: held while the weights change (see :meth:`settle`)
        self._busy = threading.Lock()
        self.advance(0)

    # ------------------------------------------------------------------ state
    @property
    def task(self) -> Task:
        return self.learner.task

    @property
    def updates(self) -> int:
        return self.trainer.updates

    @property
    def finished(self) -> bool:
        return bool(self.learner.finished)

    @property
    def outputs(self) -> np.ndarray:
        """The model's outputs [T, K] at the last evaluation (the weights on screen)."""
        return self._watched.last_outputs

    def start(self) -> None:
        self.running = not self.finished
        self.message = None
        self._recent.clear()

    def pause(self) -> None:
        self.running = False

    # ------------------------------------------------------------------ training
    def advance(self, k: int, max_seconds: float | None = None) -> None:
        """Up to ``k`` updates (fewer once ``max_seconds`` passed), then evaluate and record.

        Never raises for a training problem: a diverging loss pauses the run with the
        Trainer's message (the last good weights restored and evaluated), any other
        engine error (e.g. a ridge solve over its cap) pauses it with that error.

        BLAS runs on one thread here: the products are memory-bound, and on a shared
        2-core machine a second BLAS thread fights the server and the browser (an
        update measured 1.5-10x slower with two threads under load).
        """
        with self._busy:
            self._advance(k, max_seconds)

    def _advance(self, k: int, max_seconds: float | None) -> None:
        before = self.trainer.updates
        evaluated = len(self.trainer.history)
        started = time.perf_counter()
        eval_before = self._watched.eval_seconds
        try:
            with one_thread():
                self.progress = self.trainer.advance(k, max_seconds=max_seconds)
        except TrainingDiverged as err:
            self.running = False
            self.message = ("error", f"Training stopped: {err}")
            self._trim(self.trainer.updates)
            with one_thread():
                self.progress = self.trainer.advance(0)      # evaluate the restored weights
        except FSMError as err:
            self.running = False
            self.message = ("error", f"Training stopped: {err}")
            return
        made = self.trainer.updates - before
        evaluating = self._watched.eval_seconds - eval_before
        if evaluating > 0:
            self._last_eval_seconds = evaluating
        spent = time.perf_counter() - started - evaluating
        if made > 0:
            self.train_seconds += max(spent, 0.0)
        if len(self.trainer.history) > evaluated:
            self._record()
        if self.running and self.finished:
            self.running = False
            self.message = ("success", "Training is finished: the ridge solve found the best "
                                       "weights these features allow in one update.")
        now = time.monotonic()
        self._recent.append((now, self.trainer.updates))
        while len(self._recent) > 2 and now - self._recent[0][0] > RATE_WINDOW:
            self._recent.popleft()

    def settle(self, timeout: float = SETTLE_SECONDS) -> None:
        """Wait (at most ``timeout`` seconds) for the update another thread is making.

        A click reruns the app at once in a new script thread while the fragment's tick
        may still be training in the old one (Streamlit's fast reruns): waiting for it
        draws the state Pause left (not one that a later redraw changes) and keeps a
        Step from updating the weights alongside it.
        """
        if self._busy.acquire(timeout=timeout):
            self._busy.release()

    def step(self, count: int = 1) -> None:
        """Exactly ``count`` updates (one per click on Step), pausing the run first."""
        self.running = False
        self.message = None
        self.advance(int(count))

    def tick(self, max_seconds: float = TICK_SECONDS) -> None:
        """One live tick while running: about ``max_seconds`` of updates and evaluations.

        A small model is evaluated up to ``TICK_POINTS`` times (each evaluation is a point
        of the curves); a large one, whose evaluation takes more than that share of the
        tick, makes its updates first and is evaluated once at the end.
        """
        started = time.perf_counter()
        deadline = started + max_seconds
        share = max_seconds / TICK_POINTS
        while self.running:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            if self._last_eval_seconds > share:      # one evaluation per tick, at the end
                self.advance(TICK_UPDATES, max_seconds=max(left - self._last_eval_seconds, 0.0))
                break
            self.advance(TICK_UPDATES, max_seconds=min(left, share))

    def _record(self) -> None:
        task, outputs = self.task, self._watched.last_outputs
        held_out = task.mask & task.holdout
        self.curves["updates"].append(float(self.trainer.updates))
        self.curves["train_loss"].append(step_loss(task, outputs, self.loss, task.train_mask))
        self.curves["held_out_loss"].append(step_loss(task, outputs, self.loss, held_out)
                                            if held_out.any() else float("nan"))
        self.curves["metric"].append(float(self.progress.metrics["metric"]))

    def _trim(self, updates: int) -> None:
        """Forget curve points past ``updates`` (weights restored to an earlier update)."""
        keep = sum(1 for u in self.curves["updates"] if u <= updates)
        for values in self.curves.values():
            del values[keep:]

    # ------------------------------------------------------------------ throughput
    @property
    def updates_per_second(self) -> float:
        """Updates per wall-clock second over the last few seconds of ticks (NaN when idle)."""
        if not self.running or len(self._recent) < 2:
            return float("nan")
        (t0, u0), (t1, u1) = self._recent[0], self._recent[-1]
        return (u1 - u0) / (t1 - t0) if t1 > t0 else float("nan")

    @property
    def seconds_per_update(self) -> float:
        """Mean compute time of one update (evaluations excluded; NaN before the first)."""
        return self.train_seconds / self.updates if self.updates else float("nan")


# ---------------------------------------------------------------------- Streamlit helpers
def get_run(name: str) -> LiveRun | None:
    """This browser session's run called ``name`` (None before one is kept), once no other
    thread is changing it (:meth:`LiveRun.settle`)."""
    run = st.session_state.get(name)
    if run is not None:
        run.settle()
    return run


def keep_run(name: str, run: LiveRun) -> None:
    """Make ``run`` this session's run called ``name`` (the previous one is dropped)."""
    st.session_state[name] = run


def ticking(draw: Callable[[], None], running: bool, every: float = RUN_EVERY,
            work: Callable[[], None] | None = None) -> None:
    """Run ``draw`` as a fragment that reruns every ``every`` seconds while ``running``;
    each run draws, then does ``work`` (a bounded slice of training, e.g. :func:`tick`).

    Drawing comes first: the server sends a run's charts while its ``work`` runs.  Work
    first, the charts are the run's last output, and when the next run of the fragment
    starts before the server sent them (usual while training: ``every`` is shorter than
    a run) Streamlit drops them unsent: at N = 10 000 the metric chart was redrawn 2.2-3.2
    times a second with work first, 6.3-6.6 drawing first (measured in one period, load
    4-5 on 2 cores).  The charts show the model as the previous run left it.
    """
    @functools.wraps(draw)      # Streamlit tells fragments apart by their function's name
    def run() -> None:
        draw()
        if work is not None:
            work()

    if running:
        freeze_heap()
    st.fragment(run, run_every=every if running else None)()


@functools.cache
def freeze_heap() -> None:
    """Move every object the server holds so far (the libraries: about 250 000 objects) out
    of the garbage collector's sight, once per process (the first time training starts).

    A live page makes many short-lived objects, so Python's oldest-generation collection
    runs a few times a second; scanning the libraries each time stalled the whole server
    for 130-270 ms (the charts' messages were held back and Pause answered late); after
    the freeze it takes under a millisecond (measured on the Train page at N = 10 000 in
    one period: curves redrawn 2.8 times a second without the freeze, 6.9 with it).  What
    is frozen is never freed, so the collection just before it leaves only live objects.
    """
    gc.collect()
    gc.freeze()


def tick(run: LiveRun | None, max_seconds: float = TICK_SECONDS) -> None:
    """A tick of ``run`` (the ``work`` of a ticking fragment; none for None); when training
    stops by itself (finished, diverged, an error) the whole app reruns so the ticking
    stops too."""
    if run is None:
        return
    was_running = run.running
    run.tick(max_seconds)
    if was_running and not run.running:
        st.rerun(scope="app")


def chart(figure, key: str, *, clickable: bool = False, width: str = "stretch"):
    """Draw a chart the explorer's way (no mode bar, the figure's own colours, its text larger
    in classroom mode): every live chart and the other charts of the Machine, Compare and
    Learn pages.  With ``clickable``, clicks on points rerun (the fragment it is in) and the
    return value holds the selection (``.selection.points``)."""
    options = dict(key=key, theme=None, config=CHART_CONFIG, width=width)
    if clickable:
        options.update(on_select="rerun", selection_mode="points")
    return st.plotly_chart(settings.classroom_figure(figure), **options)


def clicked_index(event, figure) -> int | None:
    """The index a click on a live chart picked: the first ``customdata`` entry of the first
    selected point (looked up in ``figure`` when the event carries no customdata)."""
    points = _points(event) if event is not None else []
    if not points:
        return None
    point = points[0]
    data = point.get("customdata")
    if data is None and figure is None:
        return None
    if data is None:
        index = point.get("point_index", point.get("point_number"))
        if index is None:
            return None
        data = figure.data[point.get("curve_number", 0)].customdata[index]
    return int(data[0] if np.ndim(data) else data)


def _points(event) -> list:
    """The selected points of a chart's selection event (an object or a dict), or []."""
    selection = event.get("selection") if isinstance(event, dict) \
        else getattr(event, "selection", None)
    if selection is None:
        return []
    points = selection.get("points") if isinstance(selection, dict) \
        else getattr(selection, "points", None)
    return list(points or [])


def request_page(page: str, query_params: dict | None = None) -> None:
    """Leave for ``page`` from inside a ticking fragment: record the request and rerun the
    whole app; :func:`follow_page_request` at the top of the page script switches."""
    st.session_state[PAGE_REQUEST] = (page, dict(query_params or {}))
    st.rerun(scope="app")


def follow_page_request() -> None:
    """Switch to the page a fragment asked for (call first thing in the page script)."""
    request = st.session_state.pop(PAGE_REQUEST, None)
    if request is not None:
        page, query_params = request
        st.switch_page(page, query_params=query_params)
