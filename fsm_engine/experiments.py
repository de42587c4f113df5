"""Experiments from plain settings: make a task, build a registry model, train it, report.

Everything that trains a model for a result — ``fsm-explorer train`` and
``compare``, the benchmarks, sweeps — goes through :func:`run`: it makes the
task, builds the model from :mod:`fsm_engine.models`, trains it with the one
:class:`~fsm_engine.training.Trainer` to a budget (stopping early once the task
is solved) and returns one flat result row with its learning curve, so tables,
JSON and figures come from the same data.  :func:`compare` runs several models
over several seeds within one wall-clock budget and :func:`summarise` reduces the
runs to one row per model.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from . import metrics, models, tasks
from .blas import one_thread
from .errors import FSMError
from .training import CLOCKS, Progress, Trainer

#: primary metric -> the value that counts as solving the task (None: no success notion)
SUCCESS = {
    "accuracy": 0.99,
    "five_bit_success": 1.0,
    "twenty_bit_success": 1.0,
    "reber_success": 1.0,
}
#: most points a stored learning curve keeps (thinned evenly beyond that)
CURVE_POINTS = 200
#: the share of a run's time its evaluations may take: unless ``eval_every`` is given,
#: :func:`run` widens the gap between evaluations as it measures what they cost
EVAL_SHARE = 0.1


def solved(metric_name: str, value: float) -> bool | None:
    """Whether ``value`` of the primary metric ``metric_name`` solves the task (None: no
    success level for that metric)."""
    threshold = SUCCESS.get(metric_name)
    if threshold is None:
        return None
    return bool(value >= threshold) if metrics.GREATER_IS_BETTER[metric_name] \
        else bool(value <= threshold)


def default_eval_every(learner) -> int:
    """Updates between evaluations: one epoch, at most 50 updates."""
    return max(1, min(int(learner.updates_per_epoch), 50))


def run(task: str | tasks.Task, model: str, model_params: dict | None = None, seed: int = 0, *,
        task_params: dict | None = None, max_seconds: float | None = None,
        max_updates: int | None = None, stop_at_success: bool = True,
        eval_every: int | None = None, clock: str = "wall",
        progress: Callable[[Progress], None] | None = None) -> dict:
    """Train registry model ``model`` on a task and return its result row.

    Parameters
    ----------
    task : a task name (made with ``task_params`` and ``seed``) or a made Task.
    model, model_params : a registry name and its parameters (others default).
    seed : seeds the task (when made here) and the model.
    max_seconds, max_updates : the budget (default: 100 epochs of updates);
        ``max_seconds`` bounds building plus training (building the model is not
        interruptible: what it takes is subtracted from the training time).
    stop_at_success : stop as soon as the primary metric reaches the success level.
    eval_every : updates between evaluations (default: :func:`default_eval_every` at
        first, widened as training runs so that evaluating takes about ``EVAL_SHARE`` of
        the time; the final weights are always evaluated).
    clock : ``"wall"`` or ``"cpu"``: whether ``max_seconds``, ``seconds`` and the curve's
        seconds are wall-clock or this process's processor time (see
        :data:`fsm_engine.training.CLOCKS`).
    progress : called with the Trainer's progress after each chunk.

    BLAS runs on one thread for every model (fair, and robust on shared machines).

    Returns
    -------
    dict with ``model``, ``label``, ``params`` (the model's full parameters),
    ``task``, ``task_params``, ``seed``, ``metric_name``, ``metric`` (final value),
    ``chance``, ``baseline``, ``solved``, ``seconds`` (building + training),
    ``build_seconds``, ``updates``, ``epochs``, ``seen`` and ``seen_unit``
    (training sequences or steps used), ``parameters``, ``ms_per_update``,
    ``solved_at`` (``{"seconds", "seen", "updates"}`` of the first evaluation that
    solved it, or None), ``curve`` (``{"seconds", "seen", "updates", "metric"}``
    lists, one point per evaluation, thinned to ``CURVE_POINTS``), ``scores`` (every
    figure of the final evaluation, :func:`fsm_engine.metrics.evaluate`) and
    ``eval_seconds`` (the part of ``seconds`` spent evaluating), ``cpu_seconds`` and
    ``wall_seconds`` (the processor time this process used and the wall-clock time that
    passed: far apart when other processes took the cores) and ``clock``.
    """
    values = models.check_params(model, model_params)
    if clock not in CLOCKS:
        raise FSMError(f"clock must be one of {', '.join(CLOCKS)}, got {clock!r}")
    if isinstance(task, str):
        task = tasks.make(task, seed=seed, **(task_params or {}))
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    with one_thread():      # every model alike; OpenBLAS threads thrash on a shared machine
        now = CLOCKS[clock]
        started = now()
        learner = models.build(model, task, seed, **values)
        build_seconds = now() - started
        base_every = eval_every or default_eval_every(learner)
        trainer = Trainer(learner, eval_every=base_every, clock=clock)
        if max_updates is None and max_seconds is None:
            max_updates = 100 * learner.updates_per_epoch

        def watch(last: Progress) -> None:
            if eval_every is None:
                _widen_eval_every(trainer, base_every)
            if progress is not None:
                progress(last)

        target = SUCCESS.get(task.metric) if stop_at_success else None
        train_seconds = None if max_seconds is None else max(max_seconds - build_seconds, 0.0)
        last = trainer.run(max_updates=max_updates, max_seconds=train_seconds, target=target,
                           progress=watch)
        if trainer.history[-1].updates != trainer.updates:    # score the final weights
            trainer.eval_every = 1
            last = trainer.advance(0)
    curve = _curve(trainer, build_seconds)
    value = float(last.metrics["metric"])
    first_solved = next((i for i, v in enumerate(curve["metric"])
                         if solved(task.metric, v)), None)
    return {
        "model": model,
        "label": models.label(model, values),
        "params": values,
        "task": task.name,
        "task_params": {k: v for k, v in task.params.items() if k != "text"},
        "seed": int(seed),
        "metric_name": task.metric,
        "metric": value,
        "chance": float(task.chance),
        "baseline": float(last.metrics.get("baseline", np.nan)),
        "solved": solved(task.metric, value),
        "seconds": build_seconds + trainer.elapsed,
        "build_seconds": build_seconds,
        "updates": trainer.updates,
        "epochs": float(last.epochs),
        "seen": float(learner.seen),
        "seen_unit": learner.seen_unit,
        "parameters": int(learner.n_parameters),
        "ms_per_update": 1e3 * trainer.elapsed / max(trainer.updates, 1),
        "solved_at": None if first_solved is None else
        {key: curve[key][first_solved] for key in ("seconds", "seen", "updates")},
        "curve": curve,
        "scores": {name: float(v) for name, v in last.metrics.items()},
        "eval_seconds": trainer.eval_seconds,
        "cpu_seconds": time.process_time() - cpu_started,
        "wall_seconds": time.perf_counter() - wall_started,
        "clock": clock,
    }


def _widen_eval_every(trainer: Trainer, base: int) -> None:
    """Set the trainer's updates between evaluations so that evaluating takes about
    ``EVAL_SHARE`` of its time (never fewer than ``base``)."""
    evaluations = len(trainer.history)
    if not (evaluations and trainer.updates):
        return
    per_evaluation = trainer.eval_seconds / evaluations
    per_update = max(trainer.elapsed - trainer.eval_seconds, 1e-9) / trainer.updates
    trainer.eval_every = max(base, math.ceil(per_evaluation / (EVAL_SHARE * per_update)))


def _curve(trainer: Trainer, build_seconds: float) -> dict[str, list]:
    """The learning curve: wall-clock seconds (building included), seen, updates, metric."""
    history = trainer.history
    if len(history) > CURVE_POINTS:
        keep = np.unique(np.linspace(0, len(history) - 1, CURVE_POINTS).round().astype(int))
        history = [history[i] for i in keep]
    return {"seconds": [round(build_seconds + p.elapsed, 4) for p in history],
            "seen": [float(p.seen) for p in history],
            "updates": [int(p.updates) for p in history],
            "metric": [float(p.metrics["metric"]) for p in history]}


def compare(task_name: str, task_params: dict, entries: Sequence[tuple[str, dict]],
            seeds: Sequence[int] = (0,), *, seconds: float = 60.0,
            progress: Callable[[dict], None] | None = None,
            on_update: Callable[[Progress], None] | None = None) -> list[dict]:
    """Train every (model, parameters) entry on the same task over ``seeds``, within
    ``seconds`` of wall-clock time for everything.

    Each seed makes one task instance that every model trains on.  Runs go one after
    another; each gets the same share, ``seconds / runs`` (building the model counts),
    and stops early once it solves the task — the same budget for every model and
    seed.  A step that cannot be interrupted (building a large bank, a ridge solve)
    can overrun a share; later runs still get theirs, so such an overrun is the only
    way the command takes longer than ``seconds``.  ``progress`` is called with every
    finished run's row, ``on_update`` with the training progress of the current run.

    Returns the result rows of :func:`run`, seed-major.

    Raises FSMError when an entry names an unknown model or parameter (before any
    training) or ``seconds`` is not positive.
    """
    if not (math.isfinite(seconds) and seconds > 0):
        raise FSMError(f"the time budget must be a positive number of seconds, got {seconds!r}")
    checked = [(name, models.check_params(name, params)) for name, params in entries]
    share = seconds / (len(checked) * len(seeds))
    rows = []
    for seed in seeds:
        task = tasks.make(task_name, seed=seed, **task_params)
        for name, values in checked:
            row = run(task, name, values, seed, max_seconds=share, progress=on_update)
            rows.append(row)
            if progress is not None:
                progress(row)
    return rows


def summarise(rows: Sequence[dict]) -> list[dict]:
    """One row per (model, label) over its seeds, in the order first seen.

    Each has ``model``, ``label``, ``task``, ``task_params``, ``metric`` (the metric's
    name), ``mean``, ``sd`` (sample standard deviation; 0 for one seed), ``chance``,
    ``baseline``, ``successes`` (seeds that solved it; None without a success level),
    ``seeds``, ``seconds``, ``updates``, ``sequences`` (medians), ``seen_unit``,
    ``parameters`` and ``params``.
    """
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["task"], row["model"], row["label"]), []).append(row)
    summary = []
    for (task, model, label), group in groups.items():
        values = np.array([r["metric"] for r in group])
        flags = [r["solved"] for r in group]
        summary.append({
            "model": model, "label": label, "task": task, "task_params": group[0]["task_params"],
            "metric": group[0]["metric_name"],
            "mean": float(values.mean()),
            "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "chance": float(np.mean([r["chance"] for r in group])),
            "baseline": float(np.mean([r["baseline"] for r in group])),
            "successes": None if flags[0] is None else int(sum(flags)),
            "seeds": len(group),
            "seconds": float(np.median([r["seconds"] for r in group])),
            "updates": int(np.median([r["updates"] for r in group])),
            "sequences": float(np.median([r["seen"] for r in group])),
            "seen_unit": group[0]["seen_unit"],
            "parameters": int(group[0]["parameters"]),
            "params": group[0]["params"],
        })
    return summary


def markdown(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table from a header and rows of cell strings."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def format_runs(rows: Sequence[dict]) -> str:
    """A Markdown table of result rows (one per run)."""
    header = ["task", "model", "seed", "metric", "value", "chance", "solved", "seconds",
              "updates", "seen", "parameters", "ms/update"]
    cells = [[r["task"], r["label"], str(r["seed"]), r["metric_name"], f"{r['metric']:.4g}",
              f"{r['chance']:.3g}", "—" if r["solved"] is None else
              ("yes" if r["solved"] else "no"), f"{r['seconds']:.2f}", str(r["updates"]),
              f"{r['seen']:,.0f} {r['seen_unit']}", f"{r['parameters']:,}",
              f"{r['ms_per_update']:.1f}"] for r in rows]
    return markdown(header, cells)


def format_summary(summary: Sequence[dict]) -> str:
    """A Markdown table of :func:`summarise` rows."""
    header = ["task", "model", "metric", "mean ± sd", "chance", "solved", "seconds", "updates",
              "seen", "parameters"]
    cells = [[s["task"], s["label"], s["metric"], f"{s['mean']:.4g} ± {s['sd']:.2g}",
              f"{s['chance']:.3g}",
              "—" if s["successes"] is None else f"{s['successes']}/{s['seeds']}",
              f"{s['seconds']:.2f}", str(s["updates"]),
              f"{s['sequences']:,.0f} {s['seen_unit']}", f"{s['parameters']:,}"]
             for s in summary]
    return markdown(header, cells)
