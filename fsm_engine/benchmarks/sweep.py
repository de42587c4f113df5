"""Benchmark: what running a sweep on worker processes gains, and what the Dask path costs.

Two measurements, each through :func:`fsm_engine.sweep.execute` as a user runs it:

- **speed-up**: a 16-run sweep (delayed recall ``k`` in 1..4, FSM networks of 200 and
  400 machines with a ridge readout, 2 seeds) in this process (``workers=1``), then on
  2 local ``loky`` workers started for it (cold: worker start and imports included), then
  in turns in this process and on the same, already running workers (warm; the median
  ratio of the turns).  Speed-up = in-process wall time / 2-worker wall time.  The
  metrics must be identical every time (checked).  What the machine allowed is recorded
  beside it: the load average, and the speed-up plain busy work gets from the same number
  of worker processes (:func:`capacity`) — on a machine other processes keep busy, a
  second worker finds no idle core.
- **Dask overhead per run**: ``runs`` tiny runs (an ESN of 10 units on 300 steps, a
  few milliseconds each) on a 1-worker Dask ``LocalCluster`` and in this process.
  Overhead per run = (wall time − the runs' own seconds) / runs, for both; the Dask
  figure minus the in-process one is what the Dask path adds to every run (scheduling,
  serialising the spec and the row).  Starting the cluster is timed on its own.

The machines here are shared: report the ratios measured in one run, not absolute times.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from .. import sweep
from ..experiments import markdown

#: 4 task settings x 2 FSM sizes x 2 seeds = 16 runs of about a second each
SPEEDUP_CONFIG = {"seeds": [0, 1], "updates": 5,
                  "task": {"name": "delayed_recall", "k": [1, 2, 3, 4], "m": 4},
                  "models": {"fsm": {"n_machines": [200, 400]}}}


def tiny_config(n_runs: int) -> dict:
    """``n_runs`` runs of a few milliseconds: an ESN of 10 units on 300 steps."""
    return {"seeds": list(range(n_runs)), "updates": 1,
            "task": {"name": "delayed_recall", "k": 1, "T": 300},
            "models": {"esn": {"n_units": 10}}}


def _timed(runs, **options) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    rows = sweep.execute(runs, **options)
    return time.perf_counter() - started, rows


def _metrics(rows: list[dict]) -> list:
    return [(row["run_id"], row["metric"]) for row in rows]


def _spin(n: int) -> float:
    """Busy pure-Python work; returns its wall seconds."""
    started = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - started


def capacity(workers: int = 2, n: int = 10_000_000) -> float:
    """The speed-up ``workers`` processes can get on this machine right now: the same busy
    work in one worker alone, then in each of ``workers`` at once; ``workers x alone /
    together`` (about ``workers`` on idle cores, about 1 when others take them)."""
    from joblib import Parallel, delayed

    with Parallel(n_jobs=workers, backend="loky") as parallel:
        parallel(delayed(_spin)(1000) for _ in range(workers))          # start the workers
        alone = parallel(delayed(_spin)(n) for _ in range(1))[0]
        together = max(parallel(delayed(_spin)(n) for _ in range(workers)))
    return workers * alone / together


def speedup(workers: int = 2, repeats: int = 3) -> dict:
    """Wall seconds of the 16-run sweep in this process and on ``workers`` loky workers:
    once with workers started for it (cold), then ``repeats`` times in turns with the
    running workers (warm); medians of the turns."""
    from joblib.externals.loky import get_reusable_executor

    runs = sweep.expand(SPEEDUP_CONFIG)
    get_reusable_executor().shutdown(wait=True)     # the cold measurement starts workers
    load = os.getloadavg()[0]
    first, reference = _timed(runs, workers=1)
    cold, cold_rows = _timed(runs, workers=workers)
    outcomes = [cold_rows]
    serial, warm = [first], []
    for turn in range(repeats):
        if turn:
            serial.append(_timed(runs, workers=1)[0])
        seconds, warm_rows = _timed(runs, workers=workers)
        warm.append(seconds)
        outcomes.append(warm_rows)
    ratios = [s / w for s, w in zip(serial, warm, strict=True)]
    return {"runs": len(runs), "workers": workers, "repeats": repeats, "load_average": load,
            "available_speedup": capacity(workers),
            "run_seconds": sum(row["seconds"] for row in reference),
            "in_process_s": float(np.median(serial)), "workers_cold_s": cold,
            "workers_warm_s": float(np.median(warm)), "speedup_cold": first / cold,
            "speedup_warm": float(np.median(ratios)),
            "identical_metrics": all(_metrics(rows) == _metrics(reference)
                                     for rows in outcomes)}


def dask_overhead(n_runs: int = 24) -> dict:
    """Seconds the Dask path adds per run, against the same runs in this process."""
    import logging

    import distributed

    runs = sweep.expand(tiny_config(n_runs))
    sweep.execute(runs[:1], workers=1)              # warm this process (imports, caches)
    in_process, local_rows = _timed(runs, workers=1)
    started = time.perf_counter()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        start = time.perf_counter() - started
        address = cluster.scheduler_address
        sweep.execute(runs[:1], scheduler=address)  # warm the worker (imports, caches)
        on_dask, dask_rows = _timed(runs, scheduler=address)

    def per_run(wall, rows):
        return (wall - sum(row["seconds"] for row in rows)) / len(rows)

    return {"runs": n_runs, "cluster_start_s": start,
            "run_ms": 1e3 * sum(row["seconds"] for row in local_rows) / n_runs,
            "in_process_overhead_ms": 1e3 * per_run(in_process, local_rows),
            "dask_overhead_ms": 1e3 * per_run(on_dask, dask_rows),
            "dask_extra_ms": 1e3 * (per_run(on_dask, dask_rows)
                                    - per_run(in_process, local_rows)),
            "identical_metrics": _metrics(local_rows) == _metrics(dask_rows)}


def run(workers: int = 2, n_runs: int = 24, repeats: int = 3, dask: bool = True) -> dict:
    """Both measurements (the Dask one only when ``dask`` and dask.distributed is installed)."""
    result: dict[str, dict | None] = {"speedup": speedup(workers, repeats)}
    if dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            result["dask"] = None
        else:
            result["dask"] = dask_overhead(n_runs)
    return result


def format_table(result: dict) -> str:
    s = result["speedup"]
    lines = [markdown(["16-run sweep", "wall seconds", "speed-up"], [
        ["in this process", f"{s['in_process_s']:.1f}", "1"],
        [f"{s['workers']} loky workers, cold", f"{s['workers_cold_s']:.1f}",
         f"{s['speedup_cold']:.2f}x"],
        [f"{s['workers']} loky workers, warm", f"{s['workers_warm_s']:.1f}",
         f"{s['speedup_warm']:.2f}x"]]),
        f"\nwarm: medians of {s['repeats']} turns; the runs' own seconds (in process): "
        f"{s['run_seconds']:.1f}; load average at the start: {s['load_average']:.1f}; "
        f"the speed-up {s['workers']} busy processes got at the end: "
        f"{s['available_speedup']:.2f}x; identical metrics: {s['identical_metrics']}"]
    d = result.get("dask")
    if d is None:
        lines.append("\nDask: not installed (pip install \"fsm-network-explorer[cluster]\")")
    else:
        lines += ["", markdown(["Dask path", "value"], [
            ["LocalCluster start (1 worker)", f"{d['cluster_start_s']:.2f} s"],
            [f"a tiny run's own time ({d['runs']} runs)", f"{d['run_ms']:.1f} ms"],
            ["overhead per run, in this process", f"{d['in_process_overhead_ms']:.1f} ms"],
            ["overhead per run, on Dask", f"{d['dask_overhead_ms']:.1f} ms"],
            ["added by Dask per run", f"{d['dask_extra_ms']:.1f} ms"]]),
            f"\nidentical metrics: {d['identical_metrics']}"]
    return "\n".join(lines)


def main(argv=None) -> int:
    """Command line: ``[--workers N] [--runs M] [--no-dask] [--json]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="local workers (default 2)")
    parser.add_argument("--runs", type=int, default=24, help="tiny runs timed on Dask")
    parser.add_argument("--repeats", type=int, default=3,
                        help="turns of in-process and warm-worker sweeps (median ratio)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask measurement")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    result = run(args.workers, args.runs, args.repeats, dask=not args.no_dask)
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0
