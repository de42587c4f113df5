"""The FSM network alone on every task of TASKS.md, over seeds, against chance: one sweep.

Every task of the compare suite (text aside: bits per character need a softmax readout,
which ``bench compare`` trains) runs the same two networks:

- **random N=500, state, ridge** — 500 random machines of 8 states, one-hot state
  features, the closed-form ridge readout (the best those features allow);
- **original** — the original question's model exactly: the machines' outputs (N
  numbers), weights from small random values, plain full-batch gradient descent on
  Σ(y−t)² for ``GD_UPDATES`` steps of the step size that cannot diverge;

plus, on five-bit memory, the no-recurrence ablation TASKS.md asks for.  Each row is
the mean ± sd over seeds of the task's primary metric on held-out data, the seeds that
solved it and the median seconds (bank + features + training, processor seconds of one
core).  ``python
bench/tasks.py`` (same as ``fsm-explorer bench tasks``) writes ``results/tasks.md`` and
``results/tasks.json``; ``--quick`` runs two small tasks.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .. import sweep
from ..experiments import markdown
from . import results
from .compare import SUITE

RANDOM = {"n_machines": 500, "family": "random", "n_states": 8, "features": "state",
          "solver": "ridge"}
ORIGINAL = {"n_machines": 500, "family": "random", "n_states": 8, "features": "output",
            "loss": "mse", "solver": "gd"}
GD_UPDATES = 300
SEEDS = (0, 1, 2)
#: (name, readout budget): the random network's ridge solve is one update
NETWORKS = {"random N=500, state, ridge": (RANDOM, {"updates": 1}),
            f"original: outputs, GD on Σ(y−t)², {GD_UPDATES} updates":
                (ORIGINAL, {"updates": GD_UPDATES})}
ABLATION = ("ablation: random N=500, no recurrence", ({**RANDOM, "recurrence": False},
                                                       {"updates": 1}))
#: (key, task, parameters): the compare suite's tasks, plus temporal density
TASKS = tuple((e.key, e.task, e.params) for e in SUITE if e.task != "text") + (
    ("temporal_density", "temporal_density", {"n": 3, "tau": 0, "T": 10_000}),)
QUICK_TASKS = (("temporal_density", "temporal_density", {"n": 3, "tau": 0}),
               ("five_bit_memory", "five_bit_memory", {"T0": 20}))
QUICK_SIZE = {"n_machines": 100}


def configs(quick: bool = False):
    """``(key, network name, sweep configuration)`` of every network on every task."""
    for key, name, params in QUICK_TASKS if quick else TASKS:
        networks = dict(NETWORKS)
        if name == "five_bit_memory":
            networks[ABLATION[0]] = ABLATION[1]
        for label, (model, budget) in networks.items():
            if quick:
                model = {**model, **QUICK_SIZE}
                label = label.replace("N=500", f"N={QUICK_SIZE['n_machines']}")
            yield key, label, {"seeds": list(SEEDS[:2] if quick else SEEDS), **budget,
                               "clock": "cpu",
                               "task": {"task": name, **params}, "models": {"fsm": model}}


def run(*, quick: bool = False, only=None, workers: int = 2, out: Path | None = None,
        resume: bool = False, progress=print) -> dict:
    """Run every network on every task (``only``: task keys); write and return the
    result dict."""
    out = Path(out) if out is not None else results.default_out("tasks.json")
    all_runs, where = [], {}
    for key, label, config in configs(quick):
        if only and key not in only:
            continue
        for run_ in sweep.expand(config, source=f"tasks {key}"):
            all_runs.append(run_)
            where[run_.id] = (key, label)
    load_start = results.load_average()

    def report(done: int, total: int, row: dict | None) -> None:
        if row:
            progress(f"[{done}/{total}] {row['task']} {where[row['run_id']][1]} seed "
                     f"{row['seed']}: {row['metric']}")

    rows = sweep.execute(all_runs, workers=workers, out=out.with_suffix(".csv"), resume=resume,
                         progress=report)
    records = [results.record(r, key=where[r["run_id"]][0], network=where[r["run_id"]][1])
               for r in rows]
    summary = []
    for key, label in dict.fromkeys(where.values()):
        group = [r for r in records if (r["key"], r["network"]) == (key, label)]
        summary.append({"key": key, "network": label, "task": group[0]["task"],
                        "task_params": group[0]["task_params"],
                        "metric": group[0]["metric_name"], "chance": group[0]["chance"],
                        **results.summary(group)})
    result = {"meta": results.meta(quick=quick, workers=workers, load_average_start=load_start,
                                   load_average_end=results.load_average(),
                                   command="fsm-explorer bench tasks"
                                           + (" --quick" if quick else "")),
              "summary": summary, "runs": records}
    results.write_json(result, out)
    out.with_suffix(".md").write_text(format_table(result) + "\n")
    return result


HEADER = ["task", "FSM network", "metric", "mean ± sd", "chance", "solved", "seconds",
          "parameters"]


def format_table(result: dict) -> str:
    cells = []
    for s in result["summary"]:
        params = ", ".join(f"{k}={v}" for k, v in s["task_params"].items()
                           if k not in ("test_fraction",))
        cells.append([f"{s['key']}({params})", s["network"], s["metric"], results.value_cell(s),
                      results.number(s["chance"]), results.solved_cell(s),
                      results.number(s["seconds"]),
                      f"{s['parameters']:,}" if s["parameters"] else "—"])
    return markdown(HEADER, cells)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="two small tasks, two seeds")
    parser.add_argument("--only", help="comma-separated task keys")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="JSON file (default results/tasks.json)")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, only=args.only.split(",") if args.only else None,
                 workers=args.workers, out=args.out, resume=args.resume,
                 progress=(lambda text: None) if args.json else print)
    print(json.dumps(result["summary"], indent=1) if args.json else
          "\n" + format_table(result))
    return 0
