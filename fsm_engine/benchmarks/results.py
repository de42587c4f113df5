"""What the results benchmarks (compare, tasks, scaling) share: the machine's state, sweep rows
as plain JSON records, seed summaries, Markdown cells and output files."""
from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TypeGuard

import numpy as np

from .. import __version__
from ..paths import results_dir

#: result-row fields copied into the JSON records (besides the parameters and the curve)
RECORD_FIELDS = ("label", "seed", "metric_name", "metric", "chance", "baseline", "solved",
                 "seconds", "build_seconds", "eval_seconds", "cpu_seconds", "wall_seconds",
                 "updates", "epochs", "seen", "seen_unit", "parameters", "ms_per_update",
                 "budget_seconds", "budget_clock", "error")


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages (None where the system has none)."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def meta(**extra) -> dict:
    """Where and when: Python, machine, cores, package version, date, plus ``extra``."""
    return {"python": platform.python_version(), "machine": platform.machine(),
            "cores": os.cpu_count(), "version": __version__,
            "date": time.strftime("%Y-%m-%d %H:%M"), **extra}


def record(row: dict, **extra) -> dict:
    """A sweep result row as a plain record: ``task``, ``task_params``, ``model``,
    ``params``, the fields of ``RECORD_FIELDS``, ``solved_at`` (or None), ``curve``,
    ``scores`` (without the per-delay r² of memory capacity unless ``extra`` says so)."""
    task_params = {k[5:]: v for k, v in row.items() if k.startswith("task.")}
    params = {k[6:]: v for k, v in row.items() if k.startswith("model.")}
    solved_at = None if row.get("solved_at_seconds") is None else {
        "seconds": row["solved_at_seconds"], "seen": row["solved_at_seen"],
        "updates": row["solved_at_updates"]}
    return {**extra, "task": row["task"], "task_params": task_params, "model": row["model"],
            "params": params, **{name: row.get(name) for name in RECORD_FIELDS},
            "solved_at": solved_at, "run_id": row["run_id"], "curve": row.get("curve"),
            "scores": row.get("scores")}


def finite(value: object) -> TypeGuard[float]:
    """True for a finite int or float (not a bool, None, NaN or an infinity)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def summary(records: Sequence[dict]) -> dict:
    """Seed statistics of one configuration's records: ``mean``, ``sd`` (sample), ``min``,
    ``max``, ``successes`` (None without a success level), ``seeds``, ``errors``, the
    medians of ``seconds`` and ``seen``, and the medians over the seeds that solved it of
    ``solved_seconds`` and ``solved_seen`` (None when none did)."""
    ok = [r for r in records if r.get("error") is None and finite(r.get("metric"))]
    values = np.array([r["metric"] for r in ok], dtype=float)
    flags = [r["solved"] for r in ok]
    solved = [r["solved_at"] for r in ok if r.get("solved_at")]

    def median(values):
        return float(np.median(values)) if len(values) else None

    return {
        "mean": float(values.mean()) if len(values) else None,
        "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0 if len(values) else None,
        "min": float(values.min()) if len(values) else None,
        "max": float(values.max()) if len(values) else None,
        "successes": None if not ok or flags[0] is None else int(sum(map(bool, flags))),
        "seeds": len(ok), "errors": len(records) - len(ok),
        "seconds": median([r["seconds"] for r in ok]),
        "seen": median([r["seen"] for r in ok]),
        "seen_unit": ok[0]["seen_unit"] if ok else None,
        "parameters": ok[0]["parameters"] if ok else None,
        "solved_seconds": median([s["seconds"] for s in solved]),
        "solved_seen": median([s["seen"] for s in solved]),
    }


def number(value, digits: int = 3) -> str:
    """A table cell for a number: ``—`` when missing."""
    if not finite(value):
        return "—"
    return f"{value:.{digits}g}" if abs(value) < 10 ** digits else f"{value:,.0f}"


def value_cell(stats: dict, digits: int = 3) -> str:
    if stats["mean"] is None:
        return "failed"
    return f"{number(stats['mean'], digits)} ± {number(stats['sd'], 2)}"


def solved_cell(stats: dict) -> str:
    if stats["successes"] is None:
        return "—"
    return f"{stats['successes']}/{stats['seeds']}"


def write_json(data: dict, path: Path) -> Path:
    """Write ``data`` as indented JSON (NaN written as null)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_plain(data), indent=1, allow_nan=False)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text + "\n")
    os.replace(temporary, path)
    return path


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def default_out(name: str) -> Path:
    return results_dir() / name
