"""Experiments from plain settings: build a task and a model, train it, report one result row.

The CLI (``fsm-explorer train`` / ``compare``), the results benchmarks and the
explorer's pages all describe a model with a small frozen spec
(:class:`FSMSpec`, :class:`LSTMSpec`), build it with :func:`fsm_learner` /
:func:`lstm_learner` and train it through the one :class:`~fsm_engine.training.Trainer`.
A result row is a flat dict, so tables and JSON come from the same data.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from . import families, tasks
from .lstm_learner import LSTMLearner
from .training import Progress, ReadoutLearner, Trainer

#: primary metric -> the value that counts as solving the task (None: no success notion)
SUCCESS = {
    "accuracy": 0.99,
    "five_bit_success": 1.0,
    "twenty_bit_success": 1.0,
    "reber_success": 1.0,
}


@dataclass(frozen=True)
class FSMSpec:
    """An FSM network and its readout (see :func:`families.make_bank` and
    :class:`ReadoutLearner`)."""

    machines: int = 1000
    family: str = "random"
    states: int = 8
    stay: float = 0.0
    k: int = 2
    modulus: int = 3
    features: str = "state"
    loss: str | None = None
    solver: str = "ridge"
    lr: float | None = None
    l2: float | None = None
    recurrence: bool = True

    def label(self) -> str:
        parts = [f"FSM N={self.machines} {self.family}", f"{self.features} features", self.solver]
        if not self.recurrence:
            parts.append("no recurrence")
        return ", ".join(parts)


@dataclass(frozen=True)
class LSTMSpec:
    """A NumPy LSTM and its training (see :class:`LSTMLearner`)."""

    hidden: int = 64
    layers: int = 1
    lr: float = 1e-2
    batch_size: int = 32
    window: int = 100

    def label(self) -> str:
        return f"LSTM H={self.hidden}" + (f" x{self.layers}" if self.layers > 1 else "")


def fsm_spec_from_args(args) -> FSMSpec:
    """An :class:`FSMSpec` from the CLI's parsed arguments."""
    return FSMSpec(machines=args.machines, family=args.family, states=args.states, stay=args.stay,
                   k=args.k, modulus=args.modulus, features=args.features, loss=args.loss,
                   solver=args.solver, lr=args.lr, l2=args.l2, recurrence=not args.no_recurrence)


def lstm_spec_from_args(args) -> LSTMSpec:
    """An :class:`LSTMSpec` from the CLI's parsed arguments."""
    return LSTMSpec(hidden=args.hidden, layers=args.layers, lr=args.lstm_lr)


def fsm_learner(task: tasks.Task, spec: FSMSpec, seed: int = 0) -> ReadoutLearner:
    """Build the bank over the task's alphabet and its readout learner."""
    bank = families.make_bank(spec.family, spec.machines, task.alphabet, seed=seed,
                              n_states=spec.states, stay=spec.stay, k=spec.k, modulus=spec.modulus)
    options = {name: value for name, value in (("lr", spec.lr), ("l2", spec.l2))
               if value is not None}
    return ReadoutLearner(task, bank, features=spec.features, loss=spec.loss, solver=spec.solver,
                          random_state=seed, recurrence=spec.recurrence, **options)


def lstm_learner(task: tasks.Task, spec: LSTMSpec, seed: int = 0) -> LSTMLearner:
    return LSTMLearner(task, n_hidden=spec.hidden, n_layers=spec.layers, lr=spec.lr,
                       batch_size=spec.batch_size, window=spec.window, random_state=seed)


def train(task: tasks.Task, build: Callable[[], object], label: str, *, max_updates=None,
          max_seconds=None, stop_at_success: bool = True,
          progress: Callable[[Progress], None] | None = None,
          eval_every: int | None = None) -> dict:
    """Build a learner with ``build()``, train it, and return its result row.

    The row's ``seconds`` is the whole cost of getting the model: building it
    (for an FSM network: generating the bank and running it over the task to
    compute its features) plus training and evaluation inside the Trainer.
    """
    started = time.perf_counter()
    learner = build()
    build_seconds = time.perf_counter() - started
    if eval_every is None:
        eval_every = max(1, min(learner.updates_per_epoch, 50))
    trainer = Trainer(learner, eval_every=eval_every)
    target = SUCCESS.get(task.metric) if stop_at_success else None
    if max_updates is None and max_seconds is None:
        max_updates = 100 * learner.updates_per_epoch
    last = trainer.run(max_updates=max_updates, max_seconds=max_seconds, target=target,
                       progress=progress)
    return result_row(task, label, learner, trainer, last, build_seconds)


def result_row(task, label, learner, trainer, last: Progress, build_seconds: float) -> dict:
    """One flat result dict (see :func:`format_results` for the columns)."""
    value = float(last.metrics["metric"])
    threshold = SUCCESS.get(task.metric)
    return {
        "model": label,
        "task": task.name,
        "params": dict(task.params),
        "metric_name": task.metric,
        "metric": value,
        "chance": float(task.chance),
        "baseline": float(last.metrics.get("baseline", np.nan)),
        "solved": None if threshold is None else bool(value >= threshold),
        "seconds": build_seconds + trainer.elapsed,
        "build_seconds": build_seconds,
        "updates": trainer.updates,
        "epochs": float(last.epochs),
        "parameters": int(learner.n_parameters),
        "ms_per_update": 1e3 * trainer.elapsed / max(trainer.updates, 1),
    }


def train_fsm(task_name: str, task_params: dict, spec: FSMSpec, seed: int = 0, *,
              max_updates=None, max_seconds=None, progress=None) -> dict:
    """Make the task, train an FSM network's readout on it, return the result row."""
    task = tasks.make(task_name, seed=seed, **task_params)
    row = train(task, lambda: fsm_learner(task, spec, seed), spec.label(),
                max_updates=max_updates, max_seconds=max_seconds, progress=progress)
    return {**row, "spec": asdict(spec), "seed": seed}


def compare(task_name: str, task_params: dict, fsm_spec: FSMSpec, lstm_spec: LSTMSpec,
            seed: int = 0, *, max_seconds: float = 60.0, progress=None) -> list[dict]:
    """Train an FSM network and the LSTM on the same task and seed; two result rows.

    Each model trains until it solves the task (where the task has a success
    level) or until ``max_seconds`` of training.
    """
    task = tasks.make(task_name, seed=seed, **task_params)
    rows = []
    for spec, build in ((fsm_spec, lambda: fsm_learner(task, fsm_spec, seed)),
                        (lstm_spec, lambda: lstm_learner(task, lstm_spec, seed))):
        row = train(task, build, spec.label(), max_seconds=max_seconds, progress=progress)
        rows.append({**row, "spec": asdict(spec), "seed": seed})
    return rows


def markdown(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table from a header and rows of cell strings."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def format_results(rows: list[dict]) -> str:
    """A Markdown table of result rows."""
    header = ["task", "model", "metric", "value", "chance", "solved", "seconds", "updates",
              "parameters", "ms/update"]
    cells = [[r["task"], r["model"], r["metric_name"], f"{r['metric']:.4g}", f"{r['chance']:.3g}",
              "—" if r["solved"] is None else ("yes" if r["solved"] else "no"),
              f"{r['seconds']:.2f}", str(r["updates"]), f"{r['parameters']:,}",
              f"{r['ms_per_update']:.1f}"] for r in rows]
    return markdown(header, cells)

