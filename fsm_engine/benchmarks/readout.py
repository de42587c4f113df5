"""Benchmark: readout training epochs and ridge solves at the sizes the explorer allows.

A random bank of ``n_machines`` machines (``n_states`` states, an alphabet of
``n_classes`` symbols) reads ``n_steps`` random symbols; the readout learns the
previous symbol (``n_classes`` classes, softmax).  Timed, each as the median of
``repeats`` runs in one process:

- the two products alone (``X @ W`` and ``X.T @ G``), the floor of an epoch;
- one GD epoch (a full-batch update: forward pass, softmax, gradient, step) on
  the output features (dense float32 [T, N], float32 BLAS) and on the one-hot
  state features (:class:`~fsm_engine.features.StateFeatures`, never dense),
  against the budgets of 0.25 s and 1 s at N = T = 10 000, 32 classes, S = 8;
- one Adam epoch (``ceil(T / 256)`` mini-batch updates) on both;
- one ridge solve (softmax loss: one-hot targets regressed) with
  ``ridge_features`` features, from output features and from state features.

Threads: NumPy's BLAS and numba use their defaults (all cores); the result
records numba's thread count.
"""
from __future__ import annotations

import argparse
import json
import time
from functools import partial

import numba
import numpy as np

from ..families import make_bank
from ..readout import Readout, matmul, rmatmul

#: seconds one GD epoch may take at N = T = 10 000, 32 classes, S = 8
EPOCH_BUDGETS = {"output": 0.25, "state": 1.0}


def _median_seconds(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def run(n_machines=10_000, n_steps=10_000, n_classes=32, n_states=8, ridge_features=2000,
        repeats=5, seed=0) -> dict:
    """Time readout epochs and ridge solves.

    Parameters
    ----------
    n_machines, n_steps, n_classes, n_states : bank and stream sizes (N, T, symbols = classes, S).
    ridge_features : feature count of the ridge solves (output features: that
        many machines; state features: ``ridge_features // n_states`` machines).
    repeats : timed runs per row (ridge rows: at most 3); the median is reported.
    seed : seed of the bank and the input stream.

    Returns
    -------
    dict with "settings", "numba_threads" and "rows": one per measurement with
    "name", "features" (kind), "shape" ([T, F]), "seconds" (median) and
    "budget" (seconds, or None).
    """
    rng = np.random.default_rng(seed)
    inputs = rng.integers(0, n_classes, n_steps)                         # [T]
    targets = np.roll(inputs, 1)                                          # [T], previous symbol
    bank = make_bank("random", n_machines, n_classes, seed=seed, n_states=n_states)
    rows = []
    for kind in ("output", "state"):
        X = bank.features(kind, inputs)                                   # [T, N] or [T, N*S]
        weights = np.zeros((X.shape[1], n_classes), dtype=np.float32)    # [F, K]
        score_grad = np.zeros((n_steps, n_classes), dtype=np.float32)    # [T, K]
        # each action below runs within its loop pass; binding by default argument or
        # partial only makes that explicit (bugbear B023)
        seconds = _median_seconds(
            lambda X=X, W=weights, G=score_grad: (matmul(X, W), rmatmul(X, G)), repeats)
        rows.append({"name": "X@W + X.T@G only", "features": kind, "shape": list(X.shape),
                     "seconds": seconds, "budget": None})
        for solver in ("gd", "adam"):
            r = Readout(loss="softmax", solver=solver, lr=1e-4)
            r.partial_fit(X, targets, n_updates=0, n_classes=n_classes)
            epoch = r.updates_per_epoch(n_steps)
            seconds = _median_seconds(partial(r.partial_fit, X, targets, n_updates=epoch),
                                      repeats)
            rows.append({"name": f"{solver} epoch ({epoch} update{'s' * (epoch > 1)})",
                         "features": kind, "shape": list(X.shape), "seconds": seconds,
                         "budget": EPOCH_BUDGETS[kind] if solver == "gd" else None})
        del X
    ridge_banks = {"output": bank.subset(np.arange(min(ridge_features, n_machines))),
                   "state": bank.subset(np.arange(max(1, ridge_features // n_states)))}
    for kind, small_bank in ridge_banks.items():
        X = small_bank.features(kind, inputs)
        r = Readout(loss="softmax", solver="ridge", l2=1e-6)
        seconds = _median_seconds(partial(r.fit, X, targets, n_classes=n_classes),
                                  min(repeats, 3))
        rows.append({"name": "ridge solve", "features": kind, "shape": list(X.shape),
                     "seconds": seconds, "budget": None})
    settings = dict(n_machines=n_machines, n_steps=n_steps, n_classes=n_classes,
                    n_states=n_states, ridge_features=ridge_features, repeats=repeats, seed=seed)
    return {"settings": settings, "numba_threads": numba.get_num_threads(), "rows": rows}


def format_table(result: dict) -> str:
    """The rows of :func:`run` as a plain-text table."""
    lines = [f"readout benchmark: {result['settings']} (numba threads: {result['numba_threads']})",
             f"{'measurement':<26}{'features':<10}{'[T, F]':>18}{'median s':>11}{'budget s':>10}"]
    for row in result["rows"]:
        budget = "-" if row["budget"] is None else f"{row['budget']:.2f}"
        shape = "[{}, {}]".format(*row["shape"])
        lines.append(f"{row['name']:<26}{row['features']:<10}{shape:>18}"
                     f"{row['seconds']:>11.3f}{budget:>10}")
    return "\n".join(lines)


def main(argv=None) -> int:
    """Command line: ``[--machines N] [--steps T] [--classes K] [--states S]
    [--ridge-features F] [--repeats R] [--json]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--classes", type=int, default=32)
    parser.add_argument("--states", type=int, default=8)
    parser.add_argument("--ridge-features", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    result = run(n_machines=args.machines, n_steps=args.steps, n_classes=args.classes,
                 n_states=args.states, ridge_features=args.ridge_features, repeats=args.repeats)
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0
