"""Would a wider L2 grid change the readouts' results?  ``results/l2_check.{jsonl,md}``.

``bench compare``'s search gives every model at most four configurations; for the
random FSM network that is states {4, 8} x L2 {1e-3, 10} and the chosen L2 was often
the grid's edge (10), while only one of the ESN's four configurations has an L2 other
than 1e-6.  This check trains, on the comparison's validation instance (seed 1000) and
with its search budget, the random network at states {4, 8} x L2 {1e-3, 10, 100,
1e3, 1e4} and the ESN's three reservoir settings x L2 {1e-6, 1e-3, 1, 100}, on every
task but text (whose readouts are trained by Adam, not ridge), and writes one JSON
line per run and a table: per task and model, the best score inside the comparison's
grid beside the best of the wider one.

Usage: ``python bench/l2_check.py [--out results/l2_check.jsonl]``;
``--table FILE.jsonl`` only rewrites the table from a finished run's lines.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fsm_engine import experiments, metrics  # noqa: E402
from fsm_engine.benchmarks.compare import (  # noqa: E402
    SUITE,
    VALIDATION_SEEDS,
    search_grid,
)

#: the wider L2 grid of each model (its other settings are the comparison's own)
WIDER = {"fsm": (1e-3, 10.0, 100.0, 1000.0, 1e4), "esn": (1e-6, 1e-3, 1.0, 100.0)}


def configs(entry) -> list[tuple[str, dict]]:
    """The comparison's own configurations of the random network and the ESN on ``entry``
    (:func:`compare.search_grid`), each tried with every L2 of the wider grid."""
    found = []
    for model, l2s in WIDER.items():
        bases = dict.fromkeys(json.dumps({k: v for k, v in config.items() if k != "l2"})
                              for config in search_grid(entry, model))   # in grid order
        found += [(model, {**json.loads(base), "l2": l2}) for base in bases for l2 in l2s]
    return found


def run(out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    seed = VALIDATION_SEEDS[0]
    with out.open("w") as lines:
        for entry in SUITE:
            if entry.task == "text":
                continue
            for model, params in configs(entry):
                row = experiments.run(entry.task, model, params, seed, task_params=entry.params,
                                      max_seconds=entry.search_seconds, clock="cpu")
                record = {"key": entry.key, "model": model, "params": params,
                          "metric": row["metric"], "name": row["metric_name"],
                          "solved": row["solved"], "seconds": row["seconds"]}
                lines.write(json.dumps(record) + "\n")
                lines.flush()


def table(records: list[dict]) -> str:
    entries = {entry.key: entry for entry in SUITE}
    rows = ["| task | model | metric | best in the comparison's grid | best of the wider grid "
            "| its L2 |", "|---|---|---|---|---|---|"]
    for key in dict.fromkeys(r["key"] for r in records):
        for model in ("fsm", "esn"):
            group = [r for r in records if r["key"] == key and r["model"] == model]
            if not group:
                continue
            sign = 1 if metrics.GREATER_IS_BETTER[group[0]["name"]] else -1
            best = max(group, key=lambda r: sign * r["metric"])
            grid = search_grid(entries[key], model)
            inside = max((r for r in group if r["params"] in grid),
                         key=lambda r: sign * r["metric"])
            rows.append(f"| {key} | {model} | {group[0]['name']} | {inside['metric']:.4g} | "
                        f"{best['metric']:.4g} | {best['params']['l2']:g} |")
    return "\n".join(rows) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE.parent / "results" / "l2_check.jsonl")
    parser.add_argument("--table", type=Path, metavar="FILE.jsonl",
                        help="only write the table of a finished run's lines")
    args = parser.parse_args(argv)
    source = args.table or args.out
    if args.table is None:
        run(args.out)
    records = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    text = table(records)
    source.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
