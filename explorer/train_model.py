"""Session glue of the Train page: settings -> a task and a model -> a live run, and back.

The page's settings (``tr_*`` in :mod:`explorer.settings`) describe a
:class:`TrainConfig`: the task and its parameters, the reservoir model and its
parameters, the seed.  :func:`sync` keeps this session's :class:`~explorer.live.LiveRun`
built from the current config: a rerun with the same settings keeps the model
(and its training); a changed setting builds a fresh one (a reset, as in
TensorFlow Playground) — except the learning rate and the L2 penalty, which
change the running model without a reset (:func:`apply_rates`).  A config that
cannot be built (a size over a cap, a bad task parameter) leaves the previous
model on screen with a message.

Everything per user lives in ``st.session_state``: the run (:data:`RUN`), the
uploaded sequence (:data:`SEQUENCE`), the last build failure (:data:`FAILED`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from fsm_engine import families, models, persist, tasks
from fsm_engine.bank import MachineBank
from fsm_engine.errors import CapacityError, FSMError
from fsm_engine.sequences import load_sequence
from fsm_engine.tasks import Task

from . import limits as _limits
from . import live, network_model, session, settings
from .network_model import NetworkSpec

#: session-state names (never widget keys)
RUN = "train_run"
FAILED = "train_failed"
SEQUENCE = "train_sequence"
#: ``{"sequence" | "model": (kind, text)}``: the last word about each uploader's file
FILE_MESSAGES = "train_file_messages"
#: model parameters that change a running model without a reset
LIVE_PARAMS = ("lr", "l2")
MACHINE_PAGE = "explorer/pages/machine.py"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the model being trained (the Train page's settings)."""

    task: str                 # a task name, or settings.UPLOAD
    task_values: tuple        # ((parameter, value), ...) of the task
    model: str                # a registry model (settings.TRAIN_MODELS)
    model_values: tuple       # ((parameter, value), ...) of the model, LIVE_PARAMS left out
    seed: int
    sequence: str | None = None   # the uploaded sequence's digest (task == UPLOAD)

    @property
    def model_params(self) -> dict:
        return dict(self.model_values)


# ---------------------------------------------------------------------- settings -> config
def model_keys(model: str) -> dict[str, str]:
    """``{parameter: setting key}`` of a Train model."""
    return {p.name: settings.model_key(model, p.name) for p in models.get(model).params}


def task_keys(task: str) -> dict[str, str]:
    """``{parameter: setting key}`` of a library task (none for an uploaded sequence)."""
    if task == settings.UPLOAD:
        return {}
    return {p.name: settings.task_key(task, p.name) for p in tasks.params(task)}


def current_config() -> TrainConfig:
    """The config the settings describe now."""
    task, model = settings.value("tr_task"), settings.value("tr_model")
    task_values = tuple((name, settings.param_value(key)) for name, key in task_keys(task).items())
    if task == settings.UPLOAD:
        stored = st.session_state.get(SEQUENCE)
        task_values = (("test_fraction", float(settings.value("tr_upload.test_fraction"))),)
        digest = stored["digest"] if stored else None
    else:
        digest = None
    model_values = tuple((name, settings.param_value(key))
                         for name, key in model_keys(model).items() if name not in LIVE_PARAMS)
    return TrainConfig(task, task_values, model, model_values, int(settings.value("tr_seed")),
                       digest)


def make_task(config: TrainConfig, limits=None) -> Task:
    """The task of ``config``.

    Raises
    ------
    TaskError (bad parameters, no sequence uploaded yet, a bad upload); CapacityError
    when the stream is longer than ``limits.max_train_steps``.
    """
    limits = limits or _limits.LIMITS
    if config.task == settings.UPLOAD:
        stored = st.session_state.get(SEQUENCE)
        if stored is None:
            raise FSMError("no sequence is uploaded yet; upload a CSV or text file below")
        if stored["task"] is not None:
            return stored["task"]
        return load_sequence(stored["data"], stored["name"],
                             dict(config.task_values)["test_fraction"],
                             max_bytes=limits.max_sequence_bytes,
                             max_steps=limits.max_train_steps, max_symbols=limits.max_symbols)
    task = tasks.make(config.task, **dict(config.task_values))
    check_task(task, limits)
    return task


def check_task(task: Task, limits=None) -> None:
    """Refuse a task over the Train page's caps (stream length, symbols)."""
    limits = limits or _limits.LIMITS
    if task.T > limits.max_train_steps:
        raise CapacityError(f"the task's stream has {task.T:,} steps, over the cap of "
                            f"{limits.max_train_steps:,} steps; "
                            "make the task shorter")
    if task.n_symbols > limits.max_symbols:
        raise CapacityError(f"the task has {task.n_symbols} input symbols, over the cap of "
                            f"{limits.max_symbols}")


def check_request(model: str, values: dict, task: Task, limits=None) -> None:
    """Refuse a model over the Train page's caps before anything large is allocated.

    Raises
    ------
    CapacityError naming the cap: machines, units, states per machine, or the bytes of
    the readout's feature matrix (steps x machines or units).
    """
    limits = limits or _limits.LIMITS
    check_task(task, limits)
    width = values.get("n_machines") or values.get("n_units") or 0
    for name, cap in (("n_machines", limits.max_machines), ("n_units", limits.max_units)):
        if values.get(name) is not None and values[name] > cap:
            what = "machines" if name == "n_machines" else "units"
            raise CapacityError(f"{values[name]:,} {what} is over the cap of {cap:,} {what}")
    feature_bytes = task.T * width * 4
    if feature_bytes > limits.max_feature_bytes:
        raise CapacityError(
            f"the readout's features would take {feature_bytes / 1e6:,.0f} MB ({task.T:,} steps "
            f"× {width:,} × 4 bytes), over the cap of {limits.max_feature_bytes / 1e6:,.0f} MB; "
            "use fewer machines or a shorter task")
    if "family" in values:
        family_values = {p.name: values[p.name] for p in families.PARAMS}
        for family in families.parse_mix(values["family"]):
            if family not in families.FAMILIES:
                continue                          # make_bank names the unknown family
            probe = families.make_bank({family: 1.0}, 1, task.alphabet, 0, **family_values)
            if probe.max_states > limits.max_states:
                raise CapacityError(
                    f"{family.replace('_', ' ')} machines would have {probe.max_states:,} "
                    f"states with these settings ({task.n_symbols} input symbols), over the cap "
                    f"of {limits.max_states} states per machine")


# ---------------------------------------------------------------------- config -> run
def build(config: TrainConfig) -> live.LiveRun:
    """A fresh run of ``config`` (the readout built with automatic rates, which it records).

    Raises
    ------
    FSMError (TaskError, CapacityError, ...) with a message for the user.
    """
    task = make_task(config)
    values = config.model_params
    check_request(config.model, values, task)
    learner = models.build(config.model, task, config.seed, **values)
    return _run(learner, config)


def _run(learner, config: TrainConfig, label: str = "") -> live.LiveRun:
    run = live.LiveRun(learner, learner.readout.loss, config,
                       label or models.label(config.model, config.model_params))
    run.auto_lr, run.auto_l2 = learner.lr, learner.l2
    return run


def sync() -> live.LiveRun | None:
    """This session's run, rebuilt when the settings describe another model.

    Returns the run on screen (None only when no model could ever be built); the
    reason a config could not be built is in :func:`build_problem`.
    """
    config = current_config()
    run = live.get_run(RUN)
    if run is not None and run.config == config:
        return run
    failed = st.session_state.get(FAILED)
    if failed is not None and failed[0] == config:
        return run
    try:
        with st.spinner("Building the model…"):
            fresh = build(config)
    except FSMError as err:
        st.session_state[FAILED] = (config, str(err))
        return run
    st.session_state.pop(FAILED, None)
    live.keep_run(RUN, fresh)
    apply_rates(fresh)
    return fresh


def build_problem() -> str | None:
    """Why the current settings could not be built (None when they were)."""
    failed = st.session_state.get(FAILED)
    return failed[1] if failed is not None and failed[0] == current_config() else None


def rates_wanted(run: live.LiveRun) -> tuple[float, float]:
    """The learning rate and L2 penalty the settings ask for (automatic: the run's own)."""
    lr, l2 = settings.param_value("tr_lr"), settings.param_value("tr_l2")
    return (run.auto_lr if lr is None else float(lr), run.auto_l2 if l2 is None else float(l2))


def apply_rates(run: live.LiveRun) -> None:
    """Give the running model the settings' learning rate and L2 penalty (no reset)."""
    lr, l2 = rates_wanted(run)
    if (lr, l2) != (run.learner.lr, run.learner.l2):
        run.learner.set_rates(lr=lr, l2=l2)


def reset() -> None:
    """Button: a fresh model from the current settings (training paused)."""
    try:
        fresh = build(current_config())
    except FSMError as err:
        st.session_state[FAILED] = (current_config(), str(err))
        return
    st.session_state.pop(FAILED, None)
    live.keep_run(RUN, fresh)
    apply_rates(fresh)


# ---------------------------------------------------------------------- the Network page
def network_spec() -> NetworkSpec:
    """The network the Network page shows (its defaults before it was visited)."""
    spec = st.session_state.get(network_model.LAST_SPEC)
    if spec is not None:
        return spec
    return network_model.spec_from(lambda key: settings.SETTINGS[key].default)


def use_network_page() -> None:
    """Button: fill the FSM settings from the Network page's network (family mix, N,
    states, stay, k, modulus, seed) and pick the FSM reservoir."""
    spec = network_spec()
    keys = model_keys("fsm")
    mix = ",".join(f"{name}:{fraction:g}" for name, fraction in spec.mix_dict.items())
    values = {"family": mix, "n_machines": spec.n_machines, "n_states": spec.n_states,
              "stay": spec.stay, "k": spec.k, "modulus": spec.modulus}
    st.session_state["tr_model"] = "fsm"
    for name, value in values.items():
        st.session_state[keys[name]] = value
    st.session_state["tr_seed"] = spec.seed


# ---------------------------------------------------------------------- uploads and files
def on_sequence_upload() -> None:
    """Uploader callback: read the sequence; a bad file leaves the previous one in place."""
    uploaded = st.session_state.get("w_train_sequence")
    if uploaded is None:
        return
    data, limits = uploaded.getvalue(), _limits.LIMITS
    try:
        task = load_sequence(data, uploaded.name,
                             float(settings.value("tr_upload.test_fraction")),
                             max_bytes=limits.max_sequence_bytes,
                             max_steps=limits.max_train_steps, max_symbols=limits.max_symbols)
    except FSMError as err:
        kept = " The previous sequence is kept." if st.session_state.get(SEQUENCE) else ""
        _say("sequence", "error", f"{uploaded.name} was not used: {err}.{kept}")
        return
    st.session_state[SEQUENCE] = {"name": uploaded.name, "data": data, "task": None,
                                  "digest": hashlib.sha256(data).hexdigest()}
    _say("sequence", "success", f"Loaded {uploaded.name}: {task.T:,} steps, "
                                f"{task.n_symbols} symbols, {task.kind}.")


def sequence_name() -> str | None:
    stored = st.session_state.get(SEQUENCE)
    return stored["name"] if stored else None


def export_params(run: live.LiveRun) -> dict:
    """The model parameters to save: the config's plus the rates as the settings hold them."""
    return dict(run.config.model_params, lr=settings.param_value("tr_lr"),
                l2=settings.param_value("tr_l2"))


def export_bytes(run: live.LiveRun) -> bytes:
    """The ``.npz`` model file of ``run``."""
    return persist.dumps(run.learner, run.config.model, export_params(run), run.config.seed,
                         updates=run.updates)


def on_model_upload() -> None:
    """Uploader callback: load a model file, set the settings to match it and make it the
    run on screen; a bad file changes nothing and says why."""
    uploaded = st.session_state.get("w_train_model_file")
    if uploaded is None:
        return
    data, limits = uploaded.getvalue(), _limits.LIMITS
    try:
        if len(data) > limits.max_model_bytes:
            raise CapacityError(f"the file is {len(data):,} bytes, over the cap of "
                                f"{limits.max_model_bytes:,} bytes")
        loaded = persist.loads(data, max_bytes=limits.max_model_bytes,
                               check=lambda model, values, task: check_request(model, values,
                                                                               task, limits))
        if loaded.model not in settings.TRAIN_MODELS:
            raise FSMError(f"its model {loaded.model!r} is not one the Train page trains")
        updates = _settings_for(loaded)
    except FSMError as err:
        _say("model", "error", f"{uploaded.name} was not loaded: {err}. The model on screen "
                               "is unchanged.")
        return
    for key, value in updates.items():
        st.session_state[key] = value
    if loaded.task.name == settings.UPLOAD or loaded.task.name not in tasks.NAMES:
        st.session_state[SEQUENCE] = {"name": loaded.task.params.get("file", uploaded.name),
                                      "data": None, "task": loaded.task,
                                      "digest": hashlib.sha256(data).hexdigest()}
    run = _run(loaded.learner, current_config())
    run.auto_lr, run.auto_l2 = loaded.auto_lr, loaded.auto_l2
    run.message = ("success", f"Loaded {uploaded.name}: {run.label}, trained for "
                              f"{loaded.updates:,} updates before it was saved.")
    st.session_state.pop(FAILED, None)
    live.keep_run(RUN, run)
    st.session_state.setdefault(FILE_MESSAGES, {}).pop("model", None)


def _settings_for(loaded: persist.LoadedModel) -> dict:
    """The setting values that describe a loaded model; FSMError naming a value the Train
    page's settings cannot hold."""
    task = loaded.task
    updates = {"tr_model": loaded.model, "tr_seed": loaded.seed}
    if task.name in tasks.NAMES and task.name != settings.UPLOAD:
        updates["tr_task"] = task.name
        keys = task_keys(task.name)
        pairs = [(keys[name], value) for name, value in task.params.items() if name in keys]
    else:
        updates["tr_task"] = settings.UPLOAD
        pairs = [("tr_upload.test_fraction", float(task.params.get("test_fraction", 0.2)))]
    keys = model_keys(loaded.model)
    pairs += [(keys[name], value) for name, value in loaded.params.items()]
    for key, value in pairs:
        setting = settings.SETTINGS[key]
        widget_value = _widget_value(setting, value)
        problem = None if widget_value is None else setting.url_problem(str(widget_value))
        if problem:
            raise FSMError(f"its {setting.label} ({key}) cannot be set here: {problem}")
        updates[key] = widget_value
    return updates


def _widget_value(setting: settings.Setting, value):
    """A parameter value as the setting's widget holds it."""
    if setting.kind == "select":
        return settings.AUTO if value is None else str(value)
    if setting.kind == "text":
        return "" if value is None else value
    return value


def _say(uploader: str, kind: str, text: str) -> None:
    st.session_state.setdefault(FILE_MESSAGES, {})[uploader] = (kind, text)


def file_message(uploader: str) -> tuple[str, str] | None:
    """The last word about the file of ``uploader`` ("sequence" or "model"), or None."""
    return st.session_state.get(FILE_MESSAGES, {}).get(uploader)


# ---------------------------------------------------------------------- views of a run
def prediction_window(task: Task, n_steps: int) -> np.ndarray:
    """The first ``n_steps`` scored held-out steps (the training steps when none is held
    out): the stream steps the predictions chart shows, [W]."""
    return np.flatnonzero(task.eval_mask)[:n_steps]


def predictions(run: live.LiveRun, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(targets, predictions)`` on the ``window`` steps: class codes (argmax of the
    outputs) or the first target column's values."""
    task, outputs = run.task, run.outputs[window]
    if task.kind == tasks.CLASSIFICATION:
        return task.targets[window], outputs.argmax(axis=1)
    return task.targets[window].reshape(len(window), -1)[:, 0], outputs[:, 0]


def weight_view(run: live.LiveRun) -> tuple[np.ndarray, str]:
    """The weights to draw and the weight map's kind (see :mod:`explorer.train_figures`)."""
    from .train_figures import CLASSES, GRID, STATES

    view = run.learner.weights_view()
    source = run.learner.source
    if isinstance(source, MachineBank) and run.learner.features == "state":
        return view, STATES
    return (view[0], GRID) if view.shape[0] == 1 else (view, CLASSES)


def is_bank(run: live.LiveRun) -> bool:
    return isinstance(run.learner.source, MachineBank)


def tape_for(task: Task, window: np.ndarray, max_tape: int) -> tuple[int, int, str | None]:
    """The input the Machine page steps through for the predictions ``window``.

    Returns
    -------
    ``(start, end, text)``: the inputs of steps ``start .. end - 1``, where ``end`` is
    just after the window and ``start`` its first step — or the last episode start
    inside it, so an episode is read from its beginning as the network read it — and
    at most ``max_tape`` steps back; ``text`` is them typed as the Machine page reads
    them (characters run together, longer symbols separated by spaces), or None when
    a symbol holds a space.
    """
    first, end = (int(window[0]), int(window[-1]) + 1) if window.size else (0, task.T)
    resets = np.flatnonzero(task.resets[:end])
    start = max(first, int(resets[-1]) if resets.size else 0, end - max_tape)
    if any(not s or any(c.isspace() for c in s) for s in task.alphabet):
        return start, end, None
    symbols = [task.alphabet[x] for x in task.inputs[start:end]]
    single = all(len(s) == 1 for s in task.alphabet)
    return start, end, ("" if single else " ").join(symbols)


def open_machine(run: live.LiveRun, index: int, window: np.ndarray) -> None:
    """Make machine ``index`` of the run's bank the current machine, lit on the inputs of the
    predictions window (its tape, read to the end), and ask for the Machine page."""
    machine = run.learner.source.machine(index)
    start, end, text = tape_for(run.task, window, _limits.LIMITS.max_tape)
    read = (f"on the inputs of steps {start:,}–{end - 1:,}" if text is not None else
            "(the task's symbols include a space, which the typed input cannot hold: step "
            "through an input of your own)")
    session.set_machine(machine, f"machine {index:,} of the Train page's network, {read}")
    query = {}
    if text is not None:
        st.session_state["m_tape_source"] = "typed"
        st.session_state["m_tape"] = text
        session.set_tape_position(end - start)
        query = {"m_tape_source": "typed", "m_tape": text}
    live.request_page(MACHINE_PAGE, query)
