"""Results on the TASKS.md set: FSM networks over several seeds, against chance.

Every task is run with the same two generic networks — random machines with a
closed-form (ridge) readout on one-hot state features, and the original
question's model exactly (random machines' outputs, plain gradient descent on
the summed squared error) — plus, where one exists, a family designed for the
task, and the no-recurrence ablation TASKS.md asks for on five-bit memory.
Text is the exception: bits per character need probabilities, so its networks
use a softmax readout trained by Adam for a fixed time instead.
Each row is the mean ± sd over seeds of the task's primary metric, the number
of seeds that solved the task, and the median seconds (bank + features +
training).  ``python bench/tasks.py`` writes ``results/tasks.md`` and
``results/tasks.json``.
"""
from __future__ import annotations

import numpy as np

from .. import experiments as ex
from .. import tasks
from . import results

RANDOM = ex.FSMSpec(machines=500, family="random", states=8, features="state", solver="ridge",
                    l2=1e-3)
ORIGINAL = ex.FSMSpec(machines=500, family="random", states=8, features="output", loss="mse",
                      solver="gd", lr=None)
GD_UPDATES = 300
#: the two networks every task runs: the generic one and the original question's model exactly
GENERIC = [("random N=500, state, ridge", RANDOM),
           (f"original: outputs, GD on Σ(y−t)², {GD_UPDATES} updates", ORIGINAL)]
#: next-symbol probabilities need a softmax readout (ridge scores are not probabilities)
TEXT_SECONDS = 30

#: (task name, task parameters, configurations: (label, spec))
SUITE = [
    ("delayed_recall", {"k": 3, "m": 4, "T": 10_000}, GENERIC + [
        ("designed: delay line k=4", ex.FSMSpec(machines=1, family="delay_line", k=4, l2=1e-3))]),
    ("memory_capacity", {"K": 20, "m": 2, "T": 4000}, GENERIC + [
        ("designed: delay line k=8", ex.FSMSpec(machines=1, family="delay_line", k=8, l2=1e-6))]),
    ("temporal_parity", {"n": 3, "tau": 0}, GENERIC),
    ("temporal_parity", {"n": 5, "tau": 2, "T": 10_000}, GENERIC),
    ("temporal_density", {"n": 3, "tau": 0}, GENERIC),
    ("five_bit_memory", {"T0": 200}, GENERIC + [
        ("ablation: no recurrence",
         ex.FSMSpec(machines=500, family="random", l2=1e-3, recurrence=False))]),
    ("twenty_bit_memory", {"T0": 50}, GENERIC),
    ("embedded_reber", {"n_strings": 512}, GENERIC),
    ("temporal_order", {"q": 2}, GENERIC + [
        ("random, stay=0.7", ex.FSMSpec(machines=500, family="random", stay=0.7, l2=1e-3))]),
    ("adding", {"T": 20, "levels": 10}, GENERIC + [
        ("designed: gated cells", ex.FSMSpec(machines=500, family="gated_cell", l2=1e-3))]),
    ("text", {"corpus": "shakespeare"}, [
        (f"random N=500, state, softmax Adam {TEXT_SECONDS} s",
         ex.FSMSpec(machines=500, loss="softmax", solver="adam", lr=1e-3)),
        (f"designed: delay line k=1 (bigram), softmax Adam {TEXT_SECONDS} s",
         ex.FSMSpec(machines=1, family="delay_line", k=1, loss="softmax", solver="adam",
                    lr=0.05))]),
    ("series", {"name": "mackey_glass", "levels": 16, "T": 10_000}, GENERIC),
    ("series", {"name": "narma10", "levels": 16, "T": 10_000}, GENERIC + [
        ("random N=200, stay=0.3, l2=1", ex.FSMSpec(machines=200, stay=0.3, l2=1.0))]),
]


def _stable_gd_lr(learner) -> float:
    """A step size plain GD on the summed squared error cannot diverge with.

    ``lambda_max(Xb^T Xb) <= trace(Xb^T Xb) = sum_t (||f_t||^2 + 1)``, and GD is
    stable for ``lr < 1 / lambda_max``; half the bound keeps a margin.
    """
    X = learner.train_features
    return 0.5 / float(np.sum(np.square(X, dtype=np.float64)) + X.shape[0])


def _run_one(task, label, spec, seed) -> dict:
    if spec.solver == "gd" and spec.lr is None:
        def build():
            learner = ex.fsm_learner(task, spec, seed)
            learner.readout.lr = _stable_gd_lr(learner)
            return learner
        return ex.train(task, build, label, max_updates=GD_UPDATES, stop_at_success=False)
    seconds = TEXT_SECONDS if spec.solver == "adam" else 60
    return ex.train(task, lambda: ex.fsm_learner(task, spec, seed), label, max_seconds=seconds)


def run(seeds: int = 3, only: str | None = None, progress=print) -> dict:
    """Run the suite; returns {"rows": [...aggregated...], "runs": [...per seed...],
    "meta": {...}}."""
    runs, rows = [], []
    for name, params, configs in SUITE:
        if only and name not in only.split(","):
            continue
        for label, spec in configs:
            seed_rows = [_run_one(tasks.make(name, seed=seed, **params), label, spec, seed)
                         for seed in range(seeds)]
            runs += seed_rows
            rows.append({"task": name, "params": params, "config": label,
                         **results.aggregate(seed_rows)})
            progress(_row_text(rows[-1]))
    return {"rows": rows, "runs": runs, "meta": results.meta(seeds=seeds)}


HEADER = ["task", "FSM network", "metric", "mean ± sd", "chance", "solved", "seconds", "parameters"]


def _cells(row: dict) -> list[str]:
    task, metric, value, chance, solved, seconds = results.cells(row)
    return [task, row["config"], metric, value, chance, solved, seconds, f"{row['parameters']:,}"]


def _row_text(row: dict) -> str:
    return ex.markdown(HEADER, [_cells(row)]).splitlines()[-1]


def format_table(result: dict) -> str:
    return ex.markdown(HEADER, [_cells(row) for row in result["rows"]])


def main(argv=None) -> int:
    args = results.parser(__doc__.split("\n")[0], "tasks").parse_args(argv)
    result = run(args.seeds, args.only, progress=(lambda s: None) if args.json else print)
    results.write(result, format_table(result), args.out, args.json)
    return 0
