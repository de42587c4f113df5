"""Benchmark: one LSTM training step, the NumPy LSTM against PyTorch's ``nn.LSTM``.

A training step is forward + backward + gradient-norm clipping + one Adam step
on a batch of one-hot sequences with a softmax cross-entropy loss, the same work
on both sides.  When ``torch`` is importable both models are timed in the same
run, interleaved step by step so that machine noise hits both alike, and the
ratio of the medians is reported.  PyTorch runs with ``torch.set_num_threads(1)``;
NumPy's BLAS is limited to one thread with threadpoolctl when it is installed,
otherwise only by ``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS``/``MKL_NUM_THREADS``
set before NumPy was imported (``bench/lstm.py`` sets them); the result says which.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from ..blas import one_thread
from ..lstm import LSTM, clip_grad_norm
from ..optim import Adam


def run(hidden_sizes=(64, 128), batch_size=32, length=100, n_symbols=8, repeats=30,
        warmup=5, with_torch=True, seed=0) -> dict:
    """Time training steps at each hidden size.

    Parameters
    ----------
    hidden_sizes : the values of H to time.
    batch_size, length, n_symbols : batch shape; inputs are one-hot of ``n_symbols``
        symbols, targets are ``n_symbols`` classes.
    repeats, warmup : timed and untimed steps per model and size.
    with_torch : also time PyTorch when it is importable.
    seed : seed of the data and weights.

    Returns
    -------
    dict with "settings", "threads" (how each side was limited), "torch_version"
    (None when PyTorch was not timed) and "rows": one per hidden size with the
    median step time in ms of each model and "ratio" = numpy / torch.
    """
    torch = _import_torch() if with_torch else None
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, n_symbols, size=(length, batch_size))       # [T, B]
    x = np.eye(n_symbols, dtype=np.float32)[symbols]                      # [T, B, X]
    y = rng.integers(0, n_symbols, size=(length, batch_size))             # [T, B]
    rows = []
    blas_threads = "1 (threadpoolctl)"
    with one_thread():
        for n_hidden in hidden_sizes:
            steps = {"numpy": _numpy_step(x, y, n_symbols, n_hidden, seed)}
            if torch is not None:
                steps["torch"] = _torch_step(torch, x, y, n_symbols, n_hidden, seed)
            times = _interleaved_times(steps, repeats, warmup)
            row = {"n_hidden": n_hidden}
            row.update({f"{name}_ms": float(np.median(t)) * 1e3 for name, t in times.items()})
            if torch is not None:
                row["ratio"] = row["numpy_ms"] / row["torch_ms"]
            rows.append(row)
    return {
        "benchmark": "lstm_training_step",
        "settings": {"batch_size": batch_size, "length": length, "n_symbols": n_symbols,
                     "dtype": "float32", "repeats": repeats, "warmup": warmup,
                     "step": "forward + backward + clip_grad_norm(1.0) + Adam"},
        "threads": {"numpy_blas": blas_threads, "torch": 1 if torch is not None else None},
        "torch_version": torch.__version__ if torch is not None else None,
        "rows": rows,
    }


def format_table(result: dict) -> str:
    """The result of ``run`` as a text table (times are medians in ms)."""
    has_torch = result["torch_version"] is not None
    header = f"{'H':>5} {'numpy ms':>10}" + (f" {'torch ms':>10} {'ratio':>7}" if has_torch else "")
    lines = [f"LSTM training step, batch {result['settings']['batch_size']}, length "
             f"{result['settings']['length']}, {result['settings']['n_symbols']} symbols, float32",
             header]
    for row in result["rows"]:
        line = f"{row['n_hidden']:>5} {row['numpy_ms']:>10.2f}"
        if has_torch:
            line += f" {row['torch_ms']:>10.2f} {row['ratio']:>7.2f}"
        lines.append(line)
    torch_note = (f"torch {result['torch_version']}, 1 thread" if has_torch
                  else "torch not importable: NumPy only")
    lines.append(f"numpy BLAS threads: {result['threads']['numpy_blas']}; {torch_note}")
    return "\n".join(lines)


def main(argv=None) -> int:
    """Command line: ``[--repeats N] [--hidden 64 128] [--no-torch] [--json]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--no-torch", action="store_true", help="time the NumPy LSTM only")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    result = run(hidden_sizes=tuple(args.hidden), repeats=args.repeats,
                 with_torch=not args.no_torch)
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0


def _import_torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def _interleaved_times(steps: dict, repeats: int, warmup: int) -> dict:
    """Run each step function ``warmup`` times, then ``repeats`` times in turn; seconds."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return times


def _numpy_step(x, y, n_symbols, n_hidden, seed):
    net = LSTM(n_symbols, n_hidden, n_symbols, random_state=seed)
    optimiser = Adam(lr=1e-3)

    def step():
        _, grads = net.loss_and_grad(x, y, loss="softmax")
        clip_grad_norm(grads, 1.0)
        optimiser.step(net.params, grads)
    return step


def _torch_step(torch, x, y, n_symbols, n_hidden, seed):
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(n_symbols, n_hidden)
    head = torch.nn.Linear(n_hidden, n_symbols)
    parameters = list(lstm.parameters()) + list(head.parameters())
    optimiser = torch.optim.Adam(parameters, lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs = torch.from_numpy(x)                          # [T, B, X]
    targets = torch.from_numpy(y.reshape(-1))             # [T*B]

    def step():
        optimiser.zero_grad()
        hidden, _ = lstm(inputs)                          # [T, B, H]
        loss = loss_fn(head(hidden).reshape(-1, n_symbols), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimiser.step()
    return step
