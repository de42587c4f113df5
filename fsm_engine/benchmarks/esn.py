"""Benchmark: the echo state network's step time at N = 10⁴ against the machine bank's, in one run.

One random input stream over 32 symbols drives, for each recurrent density:

- ``esn``: ``EchoStateNetwork(32, N, density=d).features("state", inputs)``, the
  engine's loop (SciPy CSR float32 product + NumPy's tanh, one thread), and the
  two alternatives it was chosen over, on the same weights and input (leak 1):
  ``esn float64`` (the same loop in float64) and ``esn numba CSR`` (a compiled
  CSR product, one thread, + NumPy's tanh);

and a bank of N random machines (8 states, 32 symbols) runs the same stream:
``bank run`` (``MachineBank.run``, the state trace; numba's threads, and again on
one thread) and ``bank outputs`` (``MachineBank.output_features``).

Everything is timed in the same process, interleaved repeat by repeat; figures are
medians, per time step (all N units or machines), in wall-clock and CPU time.
Building each network (its spectral radius by ARPACK included) is timed once.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import time
from collections.abc import Callable

import numba
import numpy as np
from numba import njit

from .. import families
from ..esn import EchoStateNetwork
from ..experiments import markdown

HEADER = ["method", "density", "µs / step", "CPU µs / step", "unit-steps / s", "× bank run"]


def run(n_units=10_000, densities=(0.01, 0.001), n_steps=2000, n_states=8, n_symbols=32,
        repeats=5, seed=0) -> dict:
    """Time the echo state network and the machine bank on one input stream.

    Parameters
    ----------
    n_units : N, the reservoir's units and the bank's machines.
    densities : recurrent densities of the networks timed.
    n_steps : length T of the input stream.
    n_states, n_symbols : the bank's machines (S states) and the alphabet (X symbols).
    repeats : timed runs of each method (interleaved); medians are reported.
    seed : seed of the networks, the bank and the stream.

    Returns
    -------
    dict with "settings", "threads", "load_average" (before and after), "build_s"
    (seconds to build each network), "rows" (per method: density, median
    seconds per run, µs per step in wall-clock and CPU time, unit-steps per
    second, all run times) and "ratios" ("wall" and "cpu": the ESN's step over
    the bank's, and each alternative's over the engine's loop, per density).
    """
    load_before = os.getloadavg()
    rng = np.random.default_rng(seed + 1)
    inputs = rng.integers(0, n_symbols, size=n_steps)                      # [T]
    bank = families.make_bank("random", n_units, n_symbols, seed=seed, n_states=n_states)
    # (method, density or None): one timed call
    methods: dict[tuple[str, float | None], Callable[[], np.ndarray]] = {}
    build: dict[str, float] = {}
    for density in densities:
        started = time.perf_counter()
        net = EchoStateNetwork(n_symbols, n_units, density=density, random_state=seed)
        build[str(density)] = time.perf_counter() - started
        drive = net.W_in.T                                                 # [X, N]
        W64 = net.W.astype(np.float64)
        methods[("esn", density)] = functools.partial(net.features, "state", inputs)
        methods[("esn float64", density)] = functools.partial(scipy_loop, W64, drive, inputs)
        methods[("esn numba CSR", density)] = functools.partial(numba_loop, net.W, drive, inputs)
        reference = methods[("esn", density)]()
        for name in ("esn float64", "esn numba CSR"):
            gap = float(np.abs(methods[(name, density)]() - reference).max())
            if gap > 1e-4:
                raise AssertionError(f"{name} differs from the engine's states by {gap:.2g}")
    methods[("bank run", None)] = lambda: bank.run(inputs)
    methods[("bank run, 1 thread", None)] = lambda: _one_numba_thread(bank.run, inputs)
    methods[("bank outputs", None)] = lambda: bank.output_features(inputs)
    for call in methods.values():                                          # warm up
        call()
    wall: dict[tuple[str, float | None], list[float]] = {key: [] for key in methods}
    cpu: dict[tuple[str, float | None], list[float]] = {key: [] for key in methods}
    for _ in range(repeats):
        for key, call in methods.items():
            seconds, cpu_seconds = _seconds(call)
            wall[key].append(seconds)
            cpu[key].append(cpu_seconds)
    rows = [{"method": name, "density": density,
             "median_s": float(np.median(wall[(name, density)])),
             "us_per_step": float(np.median(wall[(name, density)])) / n_steps * 1e6,
             "cpu_us_per_step": float(np.median(cpu[(name, density)])) / n_steps * 1e6,
             "unit_steps_per_s": n_units * n_steps / float(np.median(wall[(name, density)])),
             "all_s": [float(s) for s in wall[(name, density)]]}
            for name, density in methods]
    ratios = {clock: _ratios(rows, densities, column)
              for clock, column in (("wall", "us_per_step"), ("cpu", "cpu_us_per_step"))}
    return {
        "benchmark": "esn_step",
        "settings": {"n_units": n_units, "densities": list(densities), "n_steps": n_steps,
                     "n_states": n_states, "n_symbols": n_symbols, "repeats": repeats,
                     "seed": seed, "esn_dtype": "float32", "bank_family": "random",
                     "bank_state_dtype": str(bank.state_dtype)},
        "threads": {"numba": numba.get_num_threads(), "layer": numba.threading_layer(),
                    "cpus": os.cpu_count(), "esn": 1},
        "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
        "build_s": build,
        "rows": rows,
        "ratios": ratios,
    }


def _ratios(rows: list[dict], densities, column: str) -> dict:
    """Per density: the ESN's step over the bank's, and each alternative's over the engine's."""
    step = {(row["method"], row["density"]): row[column] for row in rows}
    ratios = {}
    for density in densities:
        esn = step[("esn", density)]
        ratios[f"esn_over_bank_run_{density}"] = esn / step[("bank run", None)]
        ratios[f"float64_over_float32_{density}"] = step[("esn float64", density)] / esn
        ratios[f"numba_over_scipy_{density}"] = step[("esn numba CSR", density)] / esn
    return ratios


def scipy_loop(W, drive: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """The engine's loop at leak 1 in ``W``'s dtype: ``x_t = tanh(drive[x_t] + W x_{t-1})``.

    ``W`` [N, N] CSR, ``drive`` [X, N] (one row per symbol), ``inputs`` [T] -> states [T, N].
    """
    states = drive.astype(W.dtype)[inputs]                                 # [T, N]
    x = np.zeros(W.shape[0], dtype=W.dtype)                                # [N]
    for row in states:
        row += W @ x
        np.tanh(row, out=row)
        x = row
    return states


def numba_loop(W, drive: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """As :func:`scipy_loop`, with the CSR product compiled by numba (one thread)."""
    states = drive[inputs]                                                 # [T, N]
    x = np.zeros(W.shape[0], dtype=W.dtype)                                # [N]
    for row in states:
        _csr_matvec_add(W.indptr, W.indices, W.data, x, row)
        np.tanh(row, out=row)
        x = row
    return states


@njit(cache=True, nogil=True, fastmath=True)
def _csr_matvec_add(indptr, indices, data, x, out):
    """``out += W @ x`` for the CSR arrays of ``W`` [N, N], ``x`` and ``out`` [N].

    Its fastest form measured here: unsigned column indices (no negative-index
    wrap-around) and fastmath (the sum may be reordered).
    """
    for i in range(out.shape[0]):
        total = out[i]
        for p in range(np.intp(indptr[i]), np.intp(indptr[i + 1])):
            total += data[p] * x[np.uintp(indices[p])]
        out[i] = total


def format_table(result: dict) -> str:
    """The result of :func:`run` as a Markdown table with build times, ratios, threads and load."""
    s = result["settings"]
    bank_step = next(row["us_per_step"] for row in result["rows"] if row["method"] == "bank run")
    cells = [[row["method"], "—" if row["density"] is None else f"{row['density']:g}",
              f"{row['us_per_step']:.1f}", f"{row['cpu_us_per_step']:.1f}",
              f"{row['unit_steps_per_s']:.3g}", f"{row['us_per_step'] / bank_step:.1f}"]
             for row in result["rows"]]
    lines = [f"N = {s['n_units']} units / machines, T = {s['n_steps']} steps, {s['n_symbols']} "
             f"symbols; bank: random machines of {s['n_states']} states; ESN {s['esn_dtype']}; "
             f"median of {s['repeats']} interleaved repeats", "", markdown(HEADER, cells), ""]
    lines += [f"building the ESN at density {density}: {seconds:.2f} s"
              for density, seconds in result["build_s"].items()]
    lines += [f"{name}: {value:.2f} wall-clock, {result['ratios']['cpu'][name]:.2f} CPU"
              for name, value in result["ratios"]["wall"].items()]
    threads, load = result["threads"], result["load_average"]
    lines.append(f"numba threads: {threads['numba']} ({threads['layer']}) on {threads['cpus']} "
                 "CPUs; the ESN loops: 1 thread")
    lines.append("load average (1/5/15 min): before " + "/".join(f"{v:.2f}" for v in load["before"])
                 + ", after " + "/".join(f"{v:.2f}" for v in load["after"]))
    return "\n".join(lines)


def main(argv=None) -> int:
    """Command line: ``[--units N] [--densities D ...] [--steps T] [--states S] [--symbols X]
    [--repeats R] [--seed K] [--json]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--densities", type=float, nargs="+", default=[0.01, 0.001])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--states", type=int, default=8)
    parser.add_argument("--symbols", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    result = run(n_units=args.units, densities=tuple(args.densities), n_steps=args.steps,
                 n_states=args.states, n_symbols=args.symbols, repeats=args.repeats,
                 seed=args.seed)
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0


def _one_numba_thread(call, *args):
    """``call(*args)`` with numba limited to one thread."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return call(*args)
    finally:
        numba.set_num_threads(threads)


def _seconds(call) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu
