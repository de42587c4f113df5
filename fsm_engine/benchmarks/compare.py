"""FSM network versus the homemade NumPy LSTM on the same tasks, seeds and metrics.

For each task, a generic FSM network (random machines, one-hot state features,
closed-form ridge readout), a family designed for the task where one exists,
and the NumPy LSTM (Adam, truncated BPTT) train on the same task instance; each
model stops when it solves the task or its time budget runs out.  Seconds are
the whole cost of getting the model (for an FSM network: generating the bank,
running it over the task, solving the readout; for the LSTM: training with
periodic evaluation), with BLAS limited to one thread for the LSTM.
``python bench/compare.py`` writes ``results/compare.md`` and ``results/compare.json``.
"""
from __future__ import annotations

from functools import partial

from .. import experiments as ex
from .. import tasks
from . import results

RANDOM = ex.FSMSpec(machines=500, family="random", states=8, l2=1e-3)
LSTM = ex.LSTMSpec(hidden=64, lr=1e-2)

#: (task name, task parameters, FSM configurations (label, spec), LSTM spec)
SUITE = [
    ("delayed_recall", {"k": 3, "m": 4, "T": 10_000},
     [("FSM random N=500", RANDOM),
      ("FSM delay line k=4 (designed)", ex.FSMSpec(machines=1, family="delay_line", k=4, l2=1e-3))],
     LSTM),
    ("temporal_parity", {"n": 3, "tau": 0}, [("FSM random N=500", RANDOM)], LSTM),
    ("five_bit_memory", {"T0": 200}, [("FSM random N=500", RANDOM)], LSTM),
    ("embedded_reber", {"n_strings": 512}, [("FSM random N=500", RANDOM)], LSTM),
    ("temporal_order", {"q": 2},
     [("FSM random N=500, stay=0.7", ex.FSMSpec(machines=500, family="random", stay=0.7, l2=1e-3))],
     LSTM),
    ("text", {"corpus": "shakespeare"},
     [("FSM random N=500, softmax Adam", ex.FSMSpec(machines=500, loss="softmax", solver="adam",
                                                    lr=1e-3)),
      ("FSM delay line k=1 (bigram, designed), softmax Adam",
       ex.FSMSpec(machines=1, family="delay_line", k=1, loss="softmax", solver="adam", lr=0.05))],
     ex.LSTMSpec(hidden=128, lr=5e-3)),
]


def run(seeds: int = 3, seconds: float = 60.0, only: str | None = None, progress=print) -> dict:
    """Run the suite; returns {"rows": [...aggregated...], "runs": [...], "meta": {...}}."""
    runs, rows = [], []
    for name, params, fsm_configs, lstm_spec in SUITE:
        if only and name not in only.split(","):
            continue
        per_model: dict[str, list] = {}
        for seed in range(seeds):
            task = tasks.make(name, seed=seed, **params)
            # partial binds task, spec and seed now (ex.train builds at once anyway)
            for label, spec in fsm_configs:
                build = partial(ex.fsm_learner, task, spec, seed)
                per_model.setdefault(label, []).append(
                    ex.train(task, build, label, max_seconds=seconds))
            label = lstm_spec.label()
            build = partial(ex.lstm_learner, task, lstm_spec, seed)
            per_model.setdefault(label, []).append(
                ex.train(task, build, label, max_seconds=seconds))
        for label, seed_rows in per_model.items():
            runs += seed_rows
            rows.append({"task": name, "params": params, "model": label,
                         **results.aggregate(seed_rows)})
            progress(_row_text(rows[-1]))
    return {"rows": rows, "runs": runs,
            "meta": results.meta(seeds=seeds, seconds_budget=seconds)}


HEADER = ["task", "model", "metric", "mean ± sd", "chance", "solved", "seconds", "updates",
          "parameters", "ms/update"]


def _cells(row: dict) -> list[str]:
    task, metric, value, chance, solved, seconds = results.cells(row)
    return [task, row["model"], metric, value, chance, solved, seconds, str(row["updates"]),
            f"{row['parameters']:,}", f"{row['ms_per_update']:.1f}"]


def _row_text(row: dict) -> str:
    return ex.markdown(HEADER, [_cells(row)]).splitlines()[-1]


def format_table(result: dict) -> str:
    return ex.markdown(HEADER, [_cells(row) for row in result["rows"]])


def main(argv=None) -> int:
    p = results.parser(__doc__.split("\n")[0], "compare")
    p.add_argument("--seconds", type=float, default=60.0, help="training budget per model and seed")
    args = p.parse_args(argv)
    result = run(args.seeds, args.seconds, args.only,
                 progress=(lambda s: None) if args.json else print)
    results.write(result, format_table(result), args.out, args.json)
    return 0
