"""Benchmark: what the Trainer's divergence guard costs — weight snapshots as a share of training.

The Trainer copies the learner's weights (``state_dict()``) so that it can
restore them if training diverges.  It spaces the copies out by measuring both
costs as it runs, aiming at ``training.SNAPSHOT_BUDGET`` of the time.  This
trains, through the Trainer, the learners where a copy is dearest relative to an
update — an FSM readout with Adam on small batches (the copy is the whole
weight matrix, an update touches one batch) and the LSTM (the copy includes
Adam's moments) — and reports the snapshot time as a share of the update time
(target of issue 9: ≤ 3 %).
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from .. import models, tasks
from ..blas import one_thread
from ..training import SNAPSHOT_BUDGET, Trainer

#: case: (task, task parameters, model, model parameters)
CASES: dict[str, tuple[str, dict[str, Any], str, dict[str, Any]]] = {
    "fsm adam, state features": ("delayed_recall", dict(k=3, m=8, T=20_000),
                                 "fsm", dict(n_machines=2000, solver="adam", batch_size=64)),
    "esn adam": ("delayed_recall", dict(k=3, m=8, T=20_000),
                 "esn", dict(n_units=1000, solver="adam", batch_size=64)),
    "lstm H=64": ("temporal_order", dict(q=2), "lstm", dict(n_hidden=64)),
}


def run(updates: int = 300) -> dict:
    rows = []
    with one_thread():
        for name, (task_name, task_params, model, params) in CASES.items():
            task = tasks.make(task_name, **task_params)
            trainer = Trainer(models.build(model, task, **params), eval_every=10**9)
            trainer.advance(updates)
            training = trainer.elapsed - trainer.snapshot_seconds
            rows.append({"case": name, "updates": trainer.updates,
                         "snapshot_every": trainer.snapshot_every,
                         "snapshot_s": trainer.snapshot_seconds, "elapsed_s": trainer.elapsed,
                         "share": trainer.snapshot_seconds / training})
    return {"budget": SNAPSHOT_BUDGET, "target": 0.03, "rows": rows}


def format_table(result: dict) -> str:
    lines = [f"{'case':<28} {'updates':>8} {'every':>6} {'snapshots s':>12} {'total s':>8} "
             f"{'share':>7}"]
    lines += [f"{r['case']:<28} {r['updates']:>8} {r['snapshot_every']:>6} "
              f"{r['snapshot_s']:>12.4f} {r['elapsed_s']:>8.2f} {100 * r['share']:>6.2f}%"
              for r in result["rows"]]
    return "\n".join(lines + [f"target: snapshots <= {100 * result['target']:.0f}% of training"])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--updates", type=int, default=300)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    result = run(args.updates)
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0
