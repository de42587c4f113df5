"""What the results benchmarks (tasks, compare) share: seed aggregation, table cells, output
files."""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from ..paths import results_dir


def aggregate(results: list[dict]) -> dict:
    """Seed statistics of result rows (from ``experiments.train``) of one model on one task."""
    values = np.array([r["metric"] for r in results])
    solved = [r["solved"] for r in results]
    return {"metric_name": results[0]["metric_name"],
            "mean": float(values.mean()),
            "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "chance": float(np.mean([r["chance"] for r in results])),
            "baseline": float(np.mean([r["baseline"] for r in results])),
            "solved": None if solved[0] is None else int(sum(solved)), "seeds": len(results),
            "seconds": float(np.median([r["seconds"] for r in results])),
            "updates": int(np.median([r["updates"] for r in results])),
            "parameters": int(results[0]["parameters"]),
            "ms_per_update": float(np.median([r["ms_per_update"] for r in results]))}


def cells(row: dict) -> list[str]:
    """The cells every results table shows: task, metric, mean ± sd, chance, solved, seconds."""
    params = ", ".join(f"{k}={v}" for k, v in row["params"].items())
    solved = "—" if row["solved"] is None else f"{row['solved']}/{row['seeds']}"
    return [f"{row['task']}({params})", row["metric_name"], f"{row['mean']:.3f} ± {row['sd']:.3f}",
            f"{row['chance']:.3g}", solved, f"{row['seconds']:.2f}"]


def meta(**extra) -> dict:
    return {"python": platform.python_version(), "machine": platform.machine(),
            "date": time.strftime("%Y-%m-%d"), **extra}


def parser(description: str, default_out: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--only", help="comma-separated task names")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--out", default=str(results_dir() / default_out),
                   help=f"write OUT.md and OUT.json (default results/{default_out})")
    return p


def write(result: dict, table: str, out: str, as_json: bool) -> None:
    """Write OUT.md and OUT.json and print the table (or the JSON)."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".md").write_text(table + "\n")
    path.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2) if as_json else "\n" + table)
