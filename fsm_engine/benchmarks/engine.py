"""Benchmark: how many machine-steps per second the bank kernels run, against a naive NumPy loop.

A bank of random machines (``families.make_bank("random", ...)``) reads one
random input stream.  Four ways of running it are timed in the same process,
interleaved repeat by repeat so that machine noise hits all of them alike:

- ``traced``:  ``bank.run`` — the state of every machine after every step, [T, N];
- ``final``:   ``bank.final_states`` — only the last state, no trace;
- ``outputs``: ``bank.output_features`` — each machine's output after every step, [T, N] float32;
- ``naive``:   a NumPy loop, one fancy-indexing step per time step writing the trace
  (``s = transitions[x_t, arange(N), s]``), the obvious vectorised code.

Numba kernels are warmed up first; the time of that first call (compilation, or
loading the on-disk cache) is reported separately.  Figures are medians of the
repeats, as machine-steps per wall-clock second and per CPU second (the latter
is steadier on a shared machine: it does not count time other processes took).
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numba
import numpy as np

from .. import families

#: what the issue asks of this 2-core machine (machine-steps per second, and times naive)
TARGETS = {"traced_per_s": 1e9, "traced_over_naive": 4.0, "final_per_s": 2e9}
METHODS = ("traced", "final", "outputs", "naive")


def run(n_machines=10_000, n_states=8, n_symbols=32, n_steps=20_000, repeats=5, seed=0) -> dict:
    """Time the four ways of running a bank of random machines.

    Parameters
    ----------
    n_machines, n_states, n_symbols : the bank: N random machines of S states over X symbols.
    n_steps : length T of the input stream.
    repeats : timed runs of each method (interleaved); medians are reported.
    seed : seed of the machines and the input stream.

    Returns
    -------
    dict with "settings", "threads" (numba's thread count and layer), "load_average"
    (before and after, 1/5/15 minutes), "warmup_s" (first call of each compiled method:
    compiling or loading numba's cache),
    "rows" (per method: median seconds, machine-steps per second and per CPU
    second), "ratios" (each method over naive, and final over traced) and
    "targets" (each target, the measured value and whether it was met).
    """
    load_before = os.getloadavg()
    bank = families.make_bank("random", n_machines, n_symbols, seed=seed, n_states=n_states)
    rng = np.random.default_rng(seed + 1)
    inputs = rng.integers(0, n_symbols, size=n_steps)                          # [T]
    methods = {
        "traced": lambda: bank.run(inputs),
        "final": lambda: bank.final_states(inputs),
        "outputs": lambda: bank.output_features(inputs),
        "naive": lambda: naive_trace(bank.transitions, bank.start, inputs),
    }
    compiled = {"traced": bank.run, "final": bank.final_states, "outputs": bank.output_features}
    warmup = {name: _seconds(lambda call=call: call(inputs[:8]))[0]
              for name, call in compiled.items()}
    if not np.array_equal(methods["traced"](), methods["naive"]()):
        raise AssertionError("the compiled trace and the naive NumPy trace differ")
    wall: dict[str, list[float]] = {name: [] for name in METHODS}
    cpu: dict[str, list[float]] = {name: [] for name in METHODS}
    for _ in range(repeats):
        for name in METHODS:
            seconds, cpu_seconds = _seconds(methods[name])
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    steps = n_machines * n_steps
    rows = {name: {"median_s": float(np.median(wall[name])),
                   "steps_per_s": steps / float(np.median(wall[name])),
                   "steps_per_cpu_s": steps / float(np.median(cpu[name])),
                   "all_s": [float(s) for s in wall[name]]} for name in METHODS}
    ratios = {f"{name}_over_naive": rows[name]["steps_per_s"] / rows["naive"]["steps_per_s"]
              for name in ("traced", "final", "outputs")}
    ratios["final_over_traced"] = rows["final"]["steps_per_s"] / rows["traced"]["steps_per_s"]
    measured = {"traced_per_s": rows["traced"]["steps_per_s"],
                "traced_over_naive": ratios["traced_over_naive"],
                "final_per_s": rows["final"]["steps_per_s"]}
    return {
        "benchmark": "engine_machine_steps",
        "settings": {"n_machines": n_machines, "n_states": n_states, "n_symbols": n_symbols,
                     "n_steps": n_steps, "repeats": repeats, "seed": seed,
                     "family": "random", "state_dtype": str(bank.state_dtype)},
        "threads": {"numba": numba.get_num_threads(), "layer": numba.threading_layer(),
                    "cpus": os.cpu_count(), "naive": 1},
        "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
        "warmup_s": warmup,
        "rows": rows,
        "ratios": ratios,
        "targets": {key: {"target": target, "measured": measured[key],
                          "met": measured[key] >= target} for key, target in TARGETS.items()},
    }


def naive_trace(transitions: np.ndarray, start: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """The obvious NumPy loop: one fancy-indexing step per input, writing the trace [T, N]."""
    machines = np.arange(transitions.shape[1])                                 # [N]
    state = start.copy()                                                       # [N]
    trace = np.empty((inputs.shape[0], transitions.shape[1]), dtype=transitions.dtype)  # [T, N]
    for t, x in enumerate(inputs):
        state = transitions[x, machines, state]
        trace[t] = state
    return trace


def format_table(result: dict) -> str:
    """The result of :func:`run` as a text table: rates, ratios, targets, threads and load."""
    s = result["settings"]
    lines = [f"Bank of {s['n_machines']} random machines, {s['n_states']} states, "
             f"{s['n_symbols']} symbols, {s['n_steps']} steps ({s['state_dtype']}); "
             f"median of {s['repeats']} interleaved repeats",
             f"{'method':<9} {'median s':>9} {'steps/s':>10} {'steps/cpu-s':>12} {'x naive':>8} "
             f"{'first call s':>13}"]
    for name in METHODS:
        row = result["rows"][name]
        ratio = 1.0 if name == "naive" else result["ratios"][f"{name}_over_naive"]
        first = f"{result['warmup_s'][name]:.3f}" if name in result["warmup_s"] else "-"
        lines.append(f"{name:<9} {row['median_s']:>9.3f} {row['steps_per_s']:>10.3g} "
                     f"{row['steps_per_cpu_s']:>12.3g} {ratio:>8.2f} {first:>13}")
    lines.append(f"final / traced: {result['ratios']['final_over_traced']:.2f}")
    for key, target in result["targets"].items():
        lines.append(f"target {key} >= {target['target']:.3g}: measured {target['measured']:.3g} "
                     f"({'met' if target['met'] else 'NOT met'})")
    threads, load = result["threads"], result["load_average"]
    lines.append(f"numba threads: {threads['numba']} ({threads['layer']}) on {threads['cpus']} "
                 "CPUs; naive NumPy: 1 thread")
    lines.append("load average (1/5/15 min): before " + "/".join(f"{v:.2f}" for v in load["before"])
                 + ", after " + "/".join(f"{v:.2f}" for v in load["after"]))
    return "\n".join(lines)


def main(argv=None) -> int:
    """Command line: ``[--machines N] [--states S] [--symbols X] [--steps T] [--repeats R]
    [--seed K] [--json]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=10_000)
    parser.add_argument("--states", type=int, default=8)
    parser.add_argument("--symbols", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    result = run(n_machines=args.machines, n_states=args.states, n_symbols=args.symbols,
                 n_steps=args.steps, repeats=args.repeats, seed=args.seed)
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0


def _seconds(call) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu
