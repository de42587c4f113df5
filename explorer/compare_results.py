"""The committed comparison results (``results/compare.json``), read defensively.

The Compare page uses the committed file twice: its validated hyper-parameters
(``"chosen": {key: {role: {param: value}}}``) are the page's defaults, so a class
sees each model at its best, and its learning curves (``runs[i]["curve"]`` =
``{"seconds", "seen", "updates", "metric"}`` with the run's ``task``, ``model``,
``seed`` and, from ``fsm-explorer bench compare``, its ``key`` and ``role``) are
drawn next to the live run.  A key names one entry of the benchmark's suite (usually
the task's name; ``tasks[key]["task"]`` says which task); the page keeps, per task,
the key that stands for it and the roles named like a registry model (``fsm``,
``esn``, ``lstm``: not the designed FSM family nor the no-recurrence ablation).  The
file may be missing, older (no curves, no choices) or damaged: :func:`read` never
raises, it returns what is usable and a note saying what is not.

Plain Python (no Streamlit), so :mod:`explorer.settings` can read the choices at
import time and tests can feed it any file.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from fsm_engine import models
from fsm_engine.errors import FSMError
from fsm_engine.paths import committed_results

#: the committed file
PATH = committed_results() / "compare.json"
#: the command that writes it, when the file does not record its own
DEFAULT_COMMAND = "fsm-explorer bench compare"
#: the largest committed file read (a results file is tens of kilobytes)
MAX_BYTES = 20_000_000
#: the keys of a committed learning curve, each a list of numbers of one length
CURVE_KEYS = ("seconds", "seen", "updates", "metric")


@dataclass(frozen=True)
class Committed:
    """What of the committed results the Compare page can use.

    Attributes
    ----------
    chosen : ``{task: {model: {param: value}}}``, the validated hyper-parameters
        (only registry models, only their parameters; values still unchecked).
    runs : the runs with a usable learning curve: dicts with ``task``, ``model`` (a
        registry name), ``seed``, ``curve`` (``{key: list of float}``) and, where the
        file has them, ``label``, ``task_params``, ``metric_name``, ``seen_unit`` and
        ``scores`` (the final evaluation's figures, e.g. ``r2_delay_k``).
    command : the command that produced the file.
    notes : sentences saying what could not be used and why.
    clock : what the curves' seconds count: ``"cpu"`` (processor seconds of the run's
        thread) or ``"wall"`` (wall-clock seconds; also when the file does not say).
    """

    chosen: dict = field(default_factory=dict)
    runs: tuple = ()
    command: str = DEFAULT_COMMAND
    notes: tuple = ()
    clock: str = "wall"

    def runs_of(self, task: str) -> list[dict]:
        """The usable runs on ``task``, in file order."""
        return [run for run in self.runs if run["task"] == task]

    def chosen_for(self, task: str, model: str) -> dict:
        """The validated parameters of ``model`` on ``task`` (empty when none)."""
        return dict(self.chosen.get(task, {}).get(model, {}))


def read(path: str | Path = PATH) -> Committed:
    """The usable parts of the committed results file at ``path``; never raises."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        return Committed(notes=(f"There is no {path.name} here ({path}); produce it with "
                                f"`{DEFAULT_COMMAND}`.",))
    if size > MAX_BYTES:
        return Committed(notes=(f"{path.name} is {size:,} bytes, over the {MAX_BYTES:,} this "
                                "page reads; it was not used.",))
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as err:
        return Committed(notes=(f"{path.name} could not be read ({err}); it was not used.",))
    return parse(data, path.name)


def parse(data, name: str = "compare.json") -> Committed:
    """The usable parts of the decoded committed file ``data``; never raises."""
    if not isinstance(data, dict):
        return Committed(notes=(f"{name} does not hold a JSON object; it was not used.",))
    notes = []
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    command = next((value for value in (data.get("command"), meta.get("command"))
                    if isinstance(value, str) and value.strip()), DEFAULT_COMMAND)
    primary = _primary_keys(data)
    chosen = _chosen(data.get("chosen"), primary)
    if not chosen:
        notes.append(f"{name} holds no validated settings (\"chosen\"); the page's defaults are "
                     "the models' own.")
    raw_runs = data.get("runs") if isinstance(data.get("runs"), list) else []
    runs = tuple(run for run in (_run(raw, primary) for raw in raw_runs) if run is not None)
    if not runs:
        notes.append(f"{name} holds no learning curves the page can draw (an older file has "
                     f"none); regenerate it with `{command}`.")
    clock = meta.get("clock") if isinstance(meta.get("clock"), str) else "wall"
    return Committed(chosen=chosen, runs=runs, command=command, notes=tuple(notes),
                     clock=clock)


def _primary_keys(data: dict) -> dict:
    """``{result key: its task, or None}``: the task of the one key that stands for it.

    The benchmark names its suite's entries by a key, usually the task's name, sometimes
    another (``five_bit_memory_held_out``, ``narma10`` for the series task); ``tasks``
    (or each run) says which task a key is.  A task with several keys is stood for by the
    key equal to its name, else by the first; the others map to None."""
    key_task: dict = {}
    info = data.get("tasks") if isinstance(data.get("tasks"), dict) else {}
    for key, entry in info.items():
        if isinstance(entry, dict) and isinstance(entry.get("task"), str):
            key_task[key] = entry["task"]
    for run in data.get("runs") if isinstance(data.get("runs"), list) else []:
        if isinstance(run, dict) and isinstance(run.get("key"), str) \
                and isinstance(run.get("task"), str):
            key_task.setdefault(run["key"], run["task"])
    keys_of: dict = {}
    for key, task in key_task.items():
        keys_of.setdefault(task, []).append(key)
    standing = {task: task if task in keys else keys[0] for task, keys in keys_of.items()}
    return {key: task if standing[task] == key else None for key, task in key_task.items()}


def _chosen(raw, primary: dict) -> dict:
    """``{task: {model: {param: value}}}`` of registry models and their parameters only
    (the roles of the benchmark named like a registry model: the designed FSM family and
    the no-recurrence ablation are other roles and left out)."""
    if not isinstance(raw, dict):
        return {}
    chosen: dict = {}
    for key, per_model in raw.items():
        task = primary.get(key, key) if isinstance(key, str) else None
        if task is None or not isinstance(per_model, dict):
            continue                        # not a name, or a task another key stands for
        for model, values in per_model.items():
            if model not in models.names() or not isinstance(values, dict):
                continue
            known = {p.name for p in models.get(model).params}
            kept = {k: v for k, v in values.items() if k in known}
            if kept:
                chosen.setdefault(task, {})[model] = kept
    return chosen


def _run(raw, primary: dict) -> dict | None:
    """A committed run with a drawable curve of a registry model in its own role on the
    key that stands for its task, or None."""
    if not isinstance(raw, dict):
        return None
    task, model, curve = raw.get("task"), raw.get("model"), raw.get("curve")
    if not isinstance(task, str) or model not in models.names() or not isinstance(curve, dict):
        return None
    if raw.get("role", model) != model:                   # a designed family, an ablation
        return None
    key = raw.get("key")
    if isinstance(key, str) and primary.get(key, task) != task:    # another key's run
        return None
    try:
        columns = {key: [float(v) for v in curve[key]] for key in CURVE_KEYS}
    except (KeyError, TypeError, ValueError):
        return None
    lengths = {len(values) for values in columns.values()}
    if len(lengths) != 1 or not lengths.pop():
        return None
    if not all(math.isfinite(v) for key in ("seconds", "seen", "updates")
               for v in columns[key]):
        return None
    run = {"task": task, "model": model, "seed": raw.get("seed"), "curve": columns}
    for key in ("label", "metric_name", "seen_unit"):
        if isinstance(raw.get(key), str):
            run[key] = raw[key]
    scores = raw.get("scores")
    if isinstance(scores, dict):
        run["scores"] = {k: float(v) for k, v in scores.items()
                         if isinstance(v, (int, float)) and not isinstance(v, bool)}
    task_params = raw.get("task_params", raw.get("params"))
    if isinstance(task_params, dict):
        run["task_params"] = task_params
    return run


def checked_choice(model: str, param: str, value):
    """``value`` checked against the registry's table for ``model.param``; None when it
    does not fit (the page then falls back to the registry default)."""
    try:
        return models.get(model).param(param).check(f"{model}.{param}", value)
    except (FSMError, TypeError, ValueError):
        return None
