"""Benchmark: building a bank of a million machines and streaming an input through it.

``families.make_bank`` generates machines ``BUILD_CHUNK`` at a time straight into
the bank's arrays, so its peak memory is the bank itself plus one chunk's
temporaries.  This builds ``N`` random machines (8 states, 32 symbols by
default: a 256 MB transition table), then streams ``T`` random inputs through
them keeping only the final state (``bank.final_states``), and reports both
times and the process's peak resident memory (``ru_maxrss``, which includes the
interpreter and NumPy, about 100 MB).  Targets (issue 9): 10⁶ machines build
under the default caps, and building plus streaming 10⁵ steps peaks at ≤ 1.5 GB.
"""
from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np

from .. import families
from ..bank import DEFAULT_MAX_BYTES

TARGET_PEAK_BYTES = 1.5e9


def run(n_machines=1_000_000, n_states=8, n_symbols=32, n_steps=100_000, seed=0) -> dict:
    """Build the bank, stream the input, and return times, the estimate and the peak RSS."""
    estimate = families.build_bytes("random", n_machines, n_symbols, n_states=n_states)
    started = time.perf_counter()
    bank = families.make_bank("random", n_machines, n_symbols, seed=seed, n_states=n_states)
    build_s = time.perf_counter() - started
    inputs = np.random.default_rng(seed).integers(0, n_symbols, n_steps)     # [T]
    started = time.perf_counter()
    bank.final_states(inputs)
    stream_s = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024       # Linux: KiB
    return {"settings": {"n_machines": n_machines, "n_states": n_states, "n_symbols": n_symbols,
                         "n_steps": n_steps},
            "table_bytes": int(bank.transitions.nbytes), "build_estimate_bytes": int(estimate),
            "default_cap_bytes": DEFAULT_MAX_BYTES, "build_s": build_s, "stream_s": stream_s,
            "machine_steps_per_s": n_machines * n_steps / stream_s, "peak_rss_bytes": int(peak),
            "peak_target_bytes": TARGET_PEAK_BYTES, "peak_within_target": peak <= TARGET_PEAK_BYTES}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--machines", type=int, default=1_000_000)
    p.add_argument("--states", type=int, default=8)
    p.add_argument("--symbols", type=int, default=32)
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    result = run(args.machines, args.states, args.symbols, args.steps)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    gb = 1e9
    print(f"{args.machines:,} random machines, {args.states} states, {args.symbols} symbols: "
          f"table {result['table_bytes'] / gb:.2f} GB, build estimate "
          f"{result['build_estimate_bytes'] / gb:.2f} GB (cap {DEFAULT_MAX_BYTES / gb:.1f} GB)")
    print(f"build {result['build_s']:.1f} s; stream {args.steps:,} steps "
          f"{result['stream_s']:.1f} s ({result['machine_steps_per_s']:.3g} machine-steps/s)")
    print(f"peak RSS {result['peak_rss_bytes'] / gb:.2f} GB (target <= 1.5 GB: "
          f"{'met' if result['peak_within_target'] else 'missed'})")
    return 0
