"""Session glue of the Compare page: settings -> one task and every registry model -> a live
comparison, and the views the page draws of it.

The page's settings (``cmp_*`` in :mod:`explorer.settings`) describe one task (its
parameters and a seed) and, per task, each registry model's parameters — their
defaults are the committed validated choices (``results/compare.json``).
:func:`sync` keeps this session's :class:`Comparison` built from them: a rerun with
the same settings keeps every model and its training; a changed task or seed builds
a fresh comparison; a changed model setting rebuilds that model only.  A setting
that cannot be built (a size over a cap) leaves the previous model on screen with
a message naming the cap.

Each model trains through the Train page's :class:`~explorer.live.LiveRun` (the one
Trainer, curves, divergence handling).  :meth:`Comparison.tick` shares a tick's
training time equally between the models still training, with a ledger that
carries over what an update too long for its share overran, so over a run every
model gets the same compute time and the curves against wall-clock seconds are
fair.  Everything per user lives in ``st.session_state``: the comparison
(:data:`RUN`), extractions (:data:`EXTRACTIONS`), a loaded sweep (:data:`SWEEP`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import PurePath

import numpy as np
import streamlit as st

from fsm_engine import extract, metrics, models, sweep, tasks
from fsm_engine.analysis import thin
from fsm_engine.bank import MachineBank
from fsm_engine.errors import FSMError
from fsm_engine.experiments import solved
from fsm_engine.lstm import LSTM
from fsm_engine.tasks import CLASSIFICATION, Task

from . import live, session, settings
from .compare_results import Committed
from .limits import LIMITS
from .train_model import check_request, check_task

#: session-state names (never widget keys)
RUN = "compare_run"
TASK_FAILED = "compare_task_failed"
EXTRACTIONS = "compare_extractions"
SWEEP = "compare_sweep"
SWEEP_MESSAGE = "compare_sweep_message"
#: widget key of the sweep uploader
SWEEP_UPLOADER = "w_cmp_sweep"
MACHINE_PAGE = "explorer/pages/machine.py"
#: most steps of an episode the gate and state charts draw
EPISODE_STEPS = 240
#: steps of one long stream drawn, and the steps read before them (from a zero state)
STREAM_STEPS, STREAM_WARMUP = 60, 200
#: most hidden units drawn per gate, and most one-hot rows of the FSM raster
GATE_UNITS = 32
RASTER_ROWS = 128
RASTER_MACHINES = 16
#: seconds of training a live tick shares among the models (longer than the Train page's
#: ``live.TICK_SECONDS``: fewer redraws of the curves leave the browser free to answer Pause)
TICK_SECONDS = 0.25
#: time budget of an extraction (L*, the product automaton) and the product states explored
EXTRACT_SECONDS = 20.0
PRODUCT_STATES = 5_000
#: the most training time a model can owe the others (seconds): one update longer than this
#: (a first call compiling a kernel, a closed-form solve) is not paid back beyond it
MAX_DEBT = 1.0
EXTRACT_METHODS = {"quantise": "k-means quantisation of its hidden states",
                   "lstar": "L* (AALpy), the LSTM as the oracle"}


# ---------------------------------------------------------------------- configs
@dataclass(frozen=True)
class TaskConfig:
    """The task every model trains on: its name, parameters and the seed (task and models)."""

    task: str
    values: tuple             # ((parameter, value), ...)
    seed: int

    @property
    def params(self) -> dict:
        return dict(self.values)


def task_keys(task: str) -> dict[str, str]:
    """``{parameter: setting key}`` of a task on the Compare page (its seed is the page's)."""
    return {p.name: settings.compare_task_key(task, p.name) for p in tasks.params(task)
            if p.name != "seed"}


def model_keys(task: str, model: str) -> dict[str, str]:
    """``{parameter: setting key}`` of a model on the Compare page for ``task``."""
    return {p.name: settings.compare_model_key(task, model, p.name)
            for p in models.get(model).params}


def current_task_config() -> TaskConfig:
    task = settings.value("cmp_task")
    values = tuple((name, settings.param_value(key)) for name, key in task_keys(task).items())
    return TaskConfig(task, values, int(settings.value("cmp_seed")))


def current_model_values(task: str, model: str) -> tuple:
    """The parameters of ``model`` the settings ask for on ``task``: ((name, value), ...)."""
    return tuple((name, settings.param_value(key))
                 for name, key in model_keys(task, model).items())


def make_task(config: TaskConfig, limits=None) -> Task:
    """The task of ``config``; TaskError / CapacityError with a message for the user."""
    task = tasks.make(config.task, seed=config.seed, **config.params)
    check_task(task, limits or LIMITS)
    return task


def check_model(model: str, values: dict, task: Task, limits=None) -> None:
    """Refuse a model over the Compare page's caps before anything large is allocated:
    the Train page's checks (machines, units, states, feature bytes) plus hidden units."""
    limits = limits or LIMITS
    check_request(model, values, task, limits)
    hidden = values.get("n_hidden")
    if hidden is not None and hidden > limits.max_hidden:
        raise FSMError(f"{hidden:,} hidden units is over the cap of {limits.max_hidden:,} "
                       "hidden units")


# ---------------------------------------------------------------------- one model, live
class ModelRun:
    """One registry model training live in a comparison: a :class:`~explorer.live.LiveRun`
    plus what the Compare page draws beside its curves (data seen and wall-clock seconds
    at each evaluation) and its share of the ticks' time.

    Parameters
    ----------
    model : registry name; values : its parameters ((name, value), ...).
    learner : the built Learner; build_seconds : what building it took.
    """

    def __init__(self, model: str, values: tuple, learner, build_seconds: float):
        self.model, self.values = model, values
        self.build_seconds = float(build_seconds)
        loss = getattr(learner, "loss", None)
        loss = loss if isinstance(loss, str) else learner.readout.loss
        self.live = live.LiveRun(learner, loss, values, models.label(model, dict(values)))
        self.seen: list[float] = []        # learner.seen at each curve point
        self.seconds: list[float] = []     # building + training seconds at each curve point
        self._updates: list[float] = []    # the curve's updates these two were recorded for
        #: seconds of training this model is owed (negative: it overran its share)
        self.owed = 0.0
        self.states_cache: tuple | None = None
        self.sync()

    @property
    def learner(self):
        return self.live.learner

    @property
    def title(self) -> str:
        """The model's name in legends (``"FSM network"``, ``"LSTM"``)."""
        return models.get(self.model).label

    def sync(self) -> None:
        """Align ``seen`` and ``seconds`` with the live run's curve (points it dropped after
        restoring weights are dropped here too; new points get the current values)."""
        updates = self.live.curves["updates"]
        kept = min(len(self._updates), len(updates))
        while kept and self._updates[kept - 1] != updates[kept - 1]:
            kept -= 1
        del self._updates[kept:], self.seen[kept:], self.seconds[kept:]
        for value in updates[kept:]:
            self._updates.append(value)
            self.seen.append(float(self.learner.seen))
            self.seconds.append(self.build_seconds + self.live.train_seconds)

    def advance(self, max_seconds: float) -> None:
        """Train for about ``max_seconds`` (at least one update), then evaluate."""
        before = self.live.train_seconds
        self.live.advance(live.TICK_UPDATES, max_seconds=max_seconds)
        self.owed = max(self.owed - (self.live.train_seconds - before), -MAX_DEBT)
        self.sync()

    def metric(self) -> float:
        values = self.live.curves["metric"]
        return values[-1] if values else float("nan")

    def solved_after(self, metric_name: str) -> float | None:
        """Seconds (building and training) at the first evaluation that solved the task, or
        None (not solved, or no success level for the metric)."""
        for value, seconds in zip(self.live.curves["metric"], self.seconds, strict=False):
            if solved(metric_name, value):
                return seconds
        return None


# ---------------------------------------------------------------------- the comparison
@dataclass
class Comparison:
    """Every registry model training on one task instance, taking turns within each tick.

    Attributes
    ----------
    config : the task's config; task : the task (one instance for every model).
    runs : ``{model: ModelRun}`` of the models built.
    problems : ``{model: (values, message)}`` of settings that could not be built.
    """

    config: TaskConfig
    task: Task
    runs: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return any(run.live.running for run in self.runs.values())

    @property
    def finished(self) -> bool:
        """No model has anything left to learn (e.g. every one a ridge solve, done)."""
        return bool(self.runs) and all(run.live.finished for run in self.runs.values())

    def start(self) -> None:
        for run in self.runs.values():
            run.live.start()

    def pause(self) -> None:
        for run in self.runs.values():
            run.live.pause()

    def tick(self, seconds: float = live.TICK_SECONDS) -> None:
        """One live tick: ``seconds`` of training shared equally by the models still
        training.  A model that overran its share (one update longer than it) sits out
        until the others caught up (at most ``MAX_DEBT`` seconds' worth), so every model
        gets the same time over a run."""
        active = [run for run in self.runs.values() if run.live.running]
        if not active:
            return
        share = seconds / len(active)
        for run in active:
            run.owed = min(run.owed + share, seconds)
        for run in active:
            if run.owed > 0 and run.live.running:       # Pause stops the tick between models
                run.advance(run.owed)

    def build(self, model: str, values: tuple) -> None:
        """Build ``model`` with ``values`` on the task (replacing its run); on a problem
        keep the previous run and record the message in ``problems``."""
        try:
            check_model(model, dict(values), self.task)
            started = time.perf_counter()
            learner = models.build(model, self.task, self.config.seed, **dict(values))
            seconds = time.perf_counter() - started
            fresh = ModelRun(model, values, learner, seconds)
        except FSMError as err:
            self.problems[model] = (values, str(err))
            return
        self.problems.pop(model, None)
        was_running = self.running
        self.runs[model] = fresh
        if was_running:
            fresh.live.start()
        for run in self.runs.values():      # a fresh start for the time shares
            run.owed = 0.0

    def run_of(self, kind: str) -> ModelRun | None:
        """The run of an LSTM (``kind="lstm"``: a learner with ``.net``) or of an FSM network
        (``kind="fsm"``: a readout on a machine bank); None when there is none."""
        for run in self.runs.values():
            learner = run.learner
            if kind == "lstm" and isinstance(getattr(learner, "net", None), LSTM):
                return run
            if kind == "fsm" and isinstance(getattr(learner, "source", None), MachineBank):
                return run
        return None


def get() -> Comparison | None:
    """This session's comparison, once no other thread is training it (a click reruns the
    app while the previous run's tick may still be training: live.LiveRun.settle)."""
    comparison = st.session_state.get(RUN)
    for run in comparison.runs.values() if comparison is not None else ():
        run.live.settle()
    return comparison


def sync() -> Comparison | None:
    """This session's comparison, rebuilt where the settings describe something else.

    Returns the comparison on screen (None only when no task could ever be made); why
    the task could not be made is :func:`task_problem`, why a model could not be built
    is in ``Comparison.problems``.
    """
    config = current_task_config()
    comparison = get()
    if comparison is None or comparison.config != config:
        failed = st.session_state.get(TASK_FAILED)
        if failed is not None and failed[0] == config:
            return comparison
        try:
            task = make_task(config)
        except FSMError as err:
            st.session_state[TASK_FAILED] = (config, str(err))
            return comparison
        st.session_state.pop(TASK_FAILED, None)
        st.session_state.pop(EXTRACTIONS, None)
        comparison = Comparison(config, task)
        st.session_state[RUN] = comparison
    for model in settings.COMPARE_MODELS:
        values = current_model_values(config.task, model)
        run = comparison.runs.get(model)
        if (run is not None and run.values == values) or \
                comparison.problems.get(model, (None,))[0] == values:
            continue
        with st.spinner(f"Building the {models.get(model).label}…"):
            comparison.build(model, values)
    return comparison


def task_problem() -> str | None:
    """Why the current task settings could not be made (None when they were)."""
    failed = st.session_state.get(TASK_FAILED)
    return failed[1] if failed is not None and failed[0] == current_task_config() else None


# ---------------------------------------------------------------------- buttons
def start() -> None:
    comparison = get()
    if comparison is not None:
        comparison.start()


def pause() -> None:
    comparison = get()
    if comparison is not None:
        comparison.pause()


def reset() -> None:
    """Button: every model afresh from the current settings (training paused)."""
    comparison = get()
    if comparison is None:
        return
    comparison.pause()
    for model in list(comparison.runs) + [m for m in comparison.problems
                                          if m not in comparison.runs]:
        comparison.build(model, current_model_values(comparison.config.task, model))
    st.session_state.pop(EXTRACTIONS, None)


def tick() -> None:
    """A tick of this session's comparison (the work of the ticking fragment); when
    training stops by itself (every model finished, diverged or failed) the whole app
    reruns so the ticking stops too."""
    comparison = get()
    if comparison is None:
        return
    was_running = comparison.running
    comparison.tick(TICK_SECONDS)
    if was_running and not comparison.running:
        st.rerun(scope="app")


# ---------------------------------------------------------------------- views: curves and table
def seen_unit(comparison: Comparison) -> str:
    units = [run.learner.seen_unit for run in comparison.runs.values()]
    return units[0] if units else "sequences"


def curves(comparison: Comparison, axis: str) -> list[dict]:
    """The live curves against ``axis`` (``"updates"``, ``"seen"``, ``"seconds"``)."""
    lines = []
    for model, run in comparison.runs.items():
        x = {"updates": run.live.curves["updates"], "seen": run.seen,
             "seconds": run.seconds}[axis]
        lines.append({"model": model, "label": run.title, "x": list(x),
                      "y": list(run.live.curves["metric"])})
    return lines


def committed_curves(committed: Committed, task: str, axis: str) -> list[dict]:
    """The committed runs' curves on ``task`` against ``axis``."""
    return [{"model": run["model"], "label": models.get(run["model"]).label,
             "seed": run.get("seed"), "x": run["curve"][axis], "y": run["curve"]["metric"]}
            for run in committed.runs_of(task)]


def committed_note(committed: Committed, config: TaskConfig) -> str:
    """What the committed curves on this task are (and how their task differs from the live
    one), or why there are none."""
    runs = committed.runs_of(config.task)
    if not runs:
        why = " ".join(committed.notes) if committed.notes and not committed.runs else \
            f"the committed results have no run on {config.task.replace('_', ' ')}."
        return f"No committed curves to draw: {why}"
    seeds = sorted({str(run.get("seed")) for run in runs})
    labels = sorted({models.get(run["model"]).label for run in runs})
    text = (f"Committed: {len(runs)} runs ({', '.join(labels)}; seeds {', '.join(seeds)}), "
            f"produced by `{committed.command}`.")
    if committed.clock == "cpu":
        text += (" Their seconds are processor seconds of one core (the live ones are "
                 "wall-clock seconds of this server).")
    params = runs[0].get("task_params")
    if isinstance(params, dict):
        differ = {k: v for k, v in params.items()
                  if k in config.params and config.params[k] != v}
        if differ:
            text += (" Their task had " + ", ".join(f"{k}={v}" for k, v in differ.items())
                     + " — set those to compare like with like.")
    return text


def table_rows(comparison: Comparison) -> list[dict]:
    """One row per model (``key`` its registry name): the metric, trained numbers, time per
    update, data seen, updates, and whether it solved the task and when (seconds of
    building and training at the first evaluation that did)."""
    task = comparison.task
    metric_name = task.metric.replace("_", " ")
    rows = []
    for model, run in comparison.runs.items():
        value = run.metric()
        flag = solved(task.metric, value) if np.isfinite(value) else None
        per_update = run.live.seconds_per_update
        at = run.solved_after(task.metric)
        rows.append({
            "key": model,
            "model": run.title,
            "settings": run.live.label,
            metric_name: round(value, 4) if np.isfinite(value) else None,
            "trained numbers": int(run.learner.n_parameters),
            "ms/update": round(per_update * 1000, 2) if np.isfinite(per_update) else None,
            f"{run.learner.seen_unit} seen": int(round(run.learner.seen)),
            "updates": int(run.live.updates),
            "solved": "—" if flag is None else f"yes, at {at:.2f} s" if flag and at is not None
            else "yes" if flag else "no",
        })
    return rows


def messages(comparison: Comparison) -> list[tuple[str, str]]:
    """``(kind, text)`` of what each model has to say: a build problem, a stop, a finish."""
    said = []
    for model, (_, text) in comparison.problems.items():
        kept = " The model below is the previous one." if model in comparison.runs else ""
        said.append(("error", f"The {models.get(model).label} settings were not built: "
                              f"{text}.{kept}"))
    for run in comparison.runs.values():
        if run.live.message:
            kind, text = run.live.message
            said.append((kind, f"{run.title}: {text}"))
    return said


# ---------------------------------------------------------------------- views: one episode
@dataclass(frozen=True)
class Episode:
    """The steps the gate and state charts draw: the models read ``start .. end - 1`` from a
    fresh state at ``start``; the charts show ``first .. end - 1``."""

    start: int
    first: int
    end: int
    description: str

    @property
    def shown(self) -> slice:
        return slice(self.first, self.end)


def episode(task: Task, max_steps: int = EPISODE_STEPS, stream_steps: int = STREAM_STEPS,
            warmup: int = STREAM_WARMUP) -> Episode:
    """A held-out episode of ``task`` (an evaluated one when nothing is held out): the first
    at least half as long as the longest, whole up to ``max_steps`` steps; for one long
    stream, ``stream_steps`` held-out steps read after ``warmup`` steps from a zero state."""
    evaluated = np.flatnonzero(task.eval_mask)
    first_scored = int(evaluated[0]) if evaluated.size else 0
    starts = np.flatnonzero(task.resets)
    index = int(np.searchsorted(starts, first_scored, side="right")) - 1
    begin = int(starts[index]) if index >= 0 else 0
    held = "held-out" if task.holdout.any() else "evaluated"
    if starts.size > 1:
        begin, after = _long_episode(task, starts, index)
        end = min(after, begin + max_steps)
        cut = f", its first {end - begin} of {after - begin} steps" if end < after else ""
        return Episode(begin, begin, end,
                       f"a {held} episode (steps {begin:,}–{end - 1:,}{cut})")
    start = max(begin, first_scored - warmup)
    end = min(task.T, first_scored + stream_steps)
    return Episode(start, first_scored, end,
                   f"{held} steps {first_scored:,}–{end - 1:,} of the stream, read after the "
                   f"{first_scored - start} steps before them from a fresh state")


def _long_episode(task: Task, starts: np.ndarray, index: int) -> tuple[int, int]:
    """``(first step, end)`` of the first episode from episode ``index`` on that is held out
    like it and at least half as long as the longest such one (a two-symbol string shows
    little)."""
    ends = np.append(starts[1:], task.T)                                   # [E]
    held = task.holdout[starts] if task.holdout.any() else np.ones(starts.size, bool)
    candidates = np.flatnonzero(held[index:]) + index
    lengths = ends[candidates] - starts[candidates]
    chosen = candidates[np.flatnonzero(lengths * 2 >= lengths.max())[0]]
    return int(starts[chosen]), int(ends[chosen])


def _episode_resets(task: Task, window: Episode, recurrence: bool = True) -> np.ndarray:
    resets = np.array(task.resets[window.start:window.end], dtype=bool)      # [L]
    resets[0] = True
    return resets if recurrence else np.ones_like(resets)


def symbols(task: Task, window: Episode) -> list[str]:
    return [str(task.alphabet[x]) for x in task.inputs[window.shown]]


def gate_activations(run: ModelRun, task: Task, window: Episode,
                     max_units: int = GATE_UNITS) -> tuple[dict, np.ndarray]:
    """The LSTM's gate activations on the episode, first layer: ``({"i", "f", "g", "o"} ->
    float [L, U], units [U])`` for an even sample of at most ``max_units`` hidden units."""
    net = run.learner.net
    codes = task.inputs[window.start:window.end]
    x = np.eye(net.n_inputs, dtype=net.dtype)[codes][:, None, :]             # [L, 1, X]
    resets = _episode_resets(task, window)[:, None]                          # [L, 1]
    with np.errstate(all="ignore"):
        trace = net.forward_trace(x, resets=resets)
    units = thin(net.n_hidden, max_units)                                    # [U]
    skip = window.first - window.start
    gates = {gate: trace[gate][0, skip:, 0][:, units] for gate in "ifgo"}    # [L, U] each
    return gates, units


def network_states(run: ModelRun, task: Task, window: Episode, max_rows: int = RASTER_ROWS,
                   max_machines: int = RASTER_MACHINES) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    """The states of a sample of the FSM network's machines on the episode: ``(states
    [L, M], n_states [M], machines [M])``, at most ``max_machines`` machines and
    ``max_rows`` one-hot rows (the first machine alone may have more states; it is
    then the only one).  Computed once per run and episode (the machines never change)."""
    key = (window.start, window.first, window.end, max_rows, max_machines)
    if run.states_cache is not None and run.states_cache[0] == key:
        return run.states_cache[1]
    bank = run.learner.source
    machines = thin(bank.n_machines, max_machines)                           # [M']
    counts = bank.n_states[machines]
    keep = max(1, int(np.searchsorted(np.cumsum(counts), max_rows, side="right")))
    machines, counts = machines[:keep], counts[:keep]
    resets = _episode_resets(task, window, bool(getattr(run.learner, "recurrence", True)))
    states = bank.run(task.inputs[window.start:window.end], resets)           # [L, N]
    skip = window.first - window.start
    result = (np.asarray(states[skip:, machines]), counts, machines)
    run.states_cache = (key, result)
    return result


# ---------------------------------------------------------------------- views: memory capacity
def memory_curves(comparison: Comparison) -> list[dict]:
    """Each model's r² per delay at its last evaluation (memory-capacity task)."""
    lines = []
    for model, run in comparison.runs.items():
        progress = run.live.progress
        if progress is None:
            continue
        r2 = _per_delay(progress.metrics)
        if r2.size:
            lines.append({"model": model, "label": run.title, "r2": r2})
    return lines


def committed_memory_curves(committed: Committed) -> list[dict]:
    """The committed runs' final r² per delay on the memory-capacity task."""
    lines = []
    for run in committed.runs_of("memory_capacity"):
        r2 = _per_delay(run.get("scores", {}))
        if r2.size:
            lines.append({"model": run["model"], "label": models.get(run["model"]).label,
                          "seed": run.get("seed"), "r2": r2})
    return lines


def _per_delay(scores: dict) -> np.ndarray:
    delays = sorted(int(name.rsplit("_", 1)[1]) for name in scores
                    if name.startswith("r2_delay_") and name.rsplit("_", 1)[1].isdigit())
    return np.array([scores[f"r2_delay_{k}"] for k in delays], dtype=np.float64)


# ---------------------------------------------------------------------- extraction
def can_extract(comparison: Comparison) -> str | None:
    """Why nothing can be extracted on this task (None when it can)."""
    if comparison.task.kind != CLASSIFICATION:
        return ("extraction reads a machine whose output is the predicted class, so it needs a "
                "classification task (Tomita grammars are the classic case)")
    return None


def extract_lstm(method: str) -> None:
    """Button: pause, extract the machine of this session's LSTM with ``method``, keep it."""
    _extract("lstm", lambda run: extract.extract(run.learner, method, seconds=EXTRACT_SECONDS,
                                                 seed=get().config.seed))


def extract_fsm() -> None:
    """Button: pause, build the automaton this session's FSM network computes, keep it."""
    _extract("fsm", lambda run: extract.extract(run.learner, "product", seconds=EXTRACT_SECONDS,
                                                max_states=PRODUCT_STATES))


def _extract(kind: str, action) -> None:
    comparison = get()
    run = None if comparison is None else comparison.run_of(kind)
    store = st.session_state.setdefault(EXTRACTIONS, {})
    if run is None:
        store[kind] = {"run": None, "error": f"there is no {kind.upper()} model to read"}
        return
    comparison.pause()
    try:
        with np.errstate(all="ignore"):
            result = action(run)
    except FSMError as err:
        store[kind] = {"run": run, "updates": run.live.updates, "error": str(err)}
        return
    store[kind] = {"run": run, "updates": run.live.updates, "result": result}


def extraction(comparison: Comparison, kind: str) -> dict | None:
    """The kept extraction of ``kind`` when it was made from the run now on screen."""
    kept = st.session_state.get(EXTRACTIONS, {}).get(kind)
    if kept is None or kept["run"] is not comparison.run_of(kind):
        return None
    return kept


def open_extracted(kind: str) -> bool:
    """Make the kept extraction of ``kind`` the session's machine; True when there was one
    (the page then switches to the Machine page)."""
    comparison = get()
    kept = None if comparison is None else extraction(comparison, kind)
    if kept is None or "result" not in kept:
        return False
    comparison.pause()
    result = kept["result"]
    what = ("the machine extracted from the Compare page's LSTM" if kind == "lstm" else
            "the automaton the Compare page's FSM network computes")
    session.set_machine(result.machine, f"{what} ({result.method}, {result.states} states, "
                                        f"after {kept['updates']:,} updates)")
    return True


# ---------------------------------------------------------------------- sweep files
def on_sweep_upload() -> None:
    """Uploader callback: read a sweep output file (CSV or Parquet); a bad file keeps the
    previous sweep and says what is wrong."""
    uploaded = st.session_state.get(SWEEP_UPLOADER)
    if uploaded is None:
        return
    name, data = uploaded.name, uploaded.getvalue()
    kept = " The previous sweep is kept." if st.session_state.get(SWEEP) else ""
    try:
        rows = read_sweep(name, data)
    except FSMError as err:
        st.session_state[SWEEP_MESSAGE] = ("error", f"{name} was not used: {err}.{kept}")
        return
    st.session_state[SWEEP] = {"name": name, "rows": rows}
    st.session_state[SWEEP_MESSAGE] = ("success", f"Loaded {name}: {len(rows):,} runs.")


def read_sweep(name: str, data: bytes, max_bytes: int | None = None) -> list[dict]:
    """The rows of a sweep output file ``name`` with contents ``data``, checked drawable.

    Raises
    ------
    FSMError naming what is wrong: too large, not .csv/.parquet, not a sweep output file,
    or no finished run to draw.
    """
    max_bytes = LIMITS.max_sweep_bytes if max_bytes is None else max_bytes
    if len(data) > max_bytes:
        raise FSMError(f"the file is {len(data):,} bytes, over the cap of {max_bytes:,} bytes")
    suffix = PurePath(name).suffix.lower()
    kinds = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
    if suffix not in kinds:
        raise FSMError(f"it is not a sweep output file (.csv or .parquet), its extension is "
                       f"{suffix or 'missing'}")
    try:
        rows = sweep.read(data, kinds[suffix])
    except FSMError:
        raise
    except (ValueError, KeyError, TypeError) as err:
        raise FSMError(f"it is not a sweep output file ({type(err).__name__}: {err})") from None
    if not rows:
        raise FSMError("it holds no runs")
    sweep.sweep_figure(rows)          # raises FSMError when no run finished
    return rows


def sweep_message() -> tuple[str, str] | None:
    return st.session_state.get(SWEEP_MESSAGE)


def loaded_sweep() -> dict | None:
    return st.session_state.get(SWEEP)


def greater_is_better(task: Task) -> bool:
    return metrics.GREATER_IS_BETTER[task.metric]
