"""Benchmark: one LSTM training step, the NumPy LSTM against PyTorch's ``nn.LSTM``.

A training step is forward + backward + gradient-norm clipping + one Adam step
on a batch of one-hot sequences with a softmax cross-entropy loss, the same work
and the same data on both sides.  The ratio of the median step times is
reported.

PyTorch is not a dependency of the project, so it usually lives in another
virtual environment: ``--torch-python /path/to/venv/bin/python`` names its
interpreter (by default this interpreter is used when it can import torch).
PyTorch then runs in a child process driven step by step through a pipe, so
the two models still take turns, step by step, and machine noise hits both
alike; each side times its own steps, so the pipe is not counted.  PyTorch runs
with ``torch.set_num_threads(1)`` and NumPy's BLAS is limited to one thread
with threadpoolctl.
"""
from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np

from ..blas import one_thread
from ..lstm import LSTM, clip_grad_norm
from ..optim import Adam


def run(hidden_sizes=(64, 128), batch_size=32, length=100, n_symbols=8, repeats=30,
        warmup=5, torch_python="auto", seed=0) -> dict:
    """Time training steps at each hidden size.

    Parameters
    ----------
    hidden_sizes : the values of H to time.
    batch_size, length, n_symbols : batch shape; inputs are one-hot of ``n_symbols``
        symbols, targets are ``n_symbols`` classes.
    repeats, warmup : timed and untimed steps per model and size.
    torch_python : the Python interpreter that times PyTorch (a venv's ``bin/python``),
        "auto" for this interpreter when it can import torch, or None for NumPy only.
    seed : seed of the data and weights.

    Returns
    -------
    dict with "settings", "threads", "torch_version" (None when PyTorch was not
    timed) and "rows": one per hidden size with the median step time in ms of
    each model and "ratio" = numpy / torch.
    """
    if torch_python == "auto":
        torch_python = sys.executable if importlib.util.find_spec("torch") else None
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, n_symbols, size=(length, batch_size))       # [T, B]
    targets = rng.integers(0, n_symbols, size=(length, batch_size))       # [T, B]
    rows, torch_version = [], None
    with one_thread():
        for n_hidden in hidden_sizes:
            steps = {"numpy": _numpy_step(symbols, targets, n_symbols, n_hidden, seed)}
            worker = None
            if torch_python is not None:
                worker = _TorchWorker(torch_python, symbols, targets, n_symbols, n_hidden, seed)
                torch_version = worker.torch_version
                steps["torch"] = worker.step
            try:
                times = _interleaved_times(steps, repeats, warmup)
            finally:
                if worker is not None:
                    worker.close()
            row = {"n_hidden": n_hidden}
            row.update({f"{name}_ms": float(np.median(t)) * 1e3 for name, t in times.items()})
            if worker is not None:
                row["ratio"] = row["numpy_ms"] / row["torch_ms"]
            rows.append(row)
    return {
        "benchmark": "lstm_training_step",
        "settings": {"batch_size": batch_size, "length": length, "n_symbols": n_symbols,
                     "dtype": "float32", "repeats": repeats, "warmup": warmup,
                     "step": "forward + backward + clip_grad_norm(1.0) + Adam"},
        "threads": {"numpy_blas": "1 (threadpoolctl)",
                    "torch": 1 if torch_version is not None else None},
        "torch_version": torch_version,
        "torch_python": torch_python,
        "rows": rows,
    }


def format_table(result: dict) -> str:
    """The result of ``run`` as a text table (times are medians in ms)."""
    has_torch = result["torch_version"] is not None
    settings = result["settings"]
    header = f"{'H':>5} {'numpy ms':>10}" + (f" {'torch ms':>10} {'ratio':>7}" if has_torch else "")
    lines = [f"LSTM training step, batch {settings['batch_size']}, length {settings['length']}, "
             f"{settings['n_symbols']} symbols, float32, median of {settings['repeats']}",
             header]
    for row in result["rows"]:
        line = f"{row['n_hidden']:>5} {row['numpy_ms']:>10.2f}"
        if has_torch:
            line += f" {row['torch_ms']:>10.2f} {row['ratio']:>7.2f}"
        lines.append(line)
    torch_note = (f"torch {result['torch_version']}, 1 thread; ratio = numpy / torch"
                  if has_torch else "PyTorch not timed (give --torch-python)")
    lines.append(f"numpy BLAS threads: {result['threads']['numpy_blas']}; {torch_note}")
    return "\n".join(lines)


def main(argv=None) -> int:
    """The command line; ``--help`` lists its options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--torch-python", default="auto", metavar="PATH",
                        help="the Python of a venv with torch (default: this one, if it has torch)")
    parser.add_argument("--no-torch", action="store_true", help="time the NumPy LSTM only")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    result = run(hidden_sizes=tuple(args.hidden), repeats=args.repeats,
                 torch_python=None if args.no_torch else args.torch_python)
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0


def _interleaved_times(steps: dict, repeats: int, warmup: int) -> dict:
    """Run each step function ``warmup`` times, then ``repeats`` times in turn.

    A step function returns its own duration in seconds."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            times[name].append(step())
    return times


def _numpy_step(symbols, targets, n_symbols, n_hidden, seed):
    net = LSTM(n_symbols, n_hidden, n_symbols, random_state=seed)
    optimiser = Adam(lr=1e-3)
    x = np.eye(n_symbols, dtype=np.float32)[symbols]                      # [T, B, X]

    def step() -> float:
        start = time.perf_counter()
        _, grads = net.loss_and_grad(x, targets, loss="softmax")
        clip_grad_norm(grads, 1.0)
        optimiser.step(net.params, grads)
        return time.perf_counter() - start
    return step


class _TorchWorker:
    """PyTorch's training step in a child process (``torch_python``), one step per request."""

    def __init__(self, torch_python, symbols, targets, n_symbols, n_hidden, seed):
        settings = {"symbols": symbols.tolist(), "targets": targets.tolist(),
                    "n_symbols": n_symbols, "n_hidden": n_hidden, "seed": seed}
        source = textwrap.dedent(inspect.getsource(_torch_worker)) + "\n_torch_worker()\n"
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        try:
            self._process = subprocess.Popen([torch_python, "-c", source], env=env, text=True,
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as error:
            raise SystemExit(f"cannot start {torch_python!r} to time PyTorch: {error}") from None
        # both pipes exist: Popen was given stdin=PIPE and stdout=PIPE
        assert self._process.stdin is not None and self._process.stdout is not None
        self._stdin, self._stdout = self._process.stdin, self._process.stdout
        self.torch_version = self._request(json.dumps(settings))

    def step(self) -> float:
        return float(self._request("step"))

    def close(self) -> None:
        self._stdin.close()
        self._process.wait()

    def _request(self, line: str) -> str:
        try:
            self._stdin.write(line + "\n")
            self._stdin.flush()
            answer = self._stdout.readline()
        except BrokenPipeError:
            answer = ""
        if not answer:
            raise SystemExit("the PyTorch process ended early (is torch installed in "
                             "the --torch-python interpreter?); its error is above")
        return answer.strip()


def _torch_worker():
    """Runs in the child: reads its settings (one JSON line), answers torch's version,
    then times one training step per "step" line and answers its seconds.

    Its source is sent to the child, so it imports everything it uses itself."""
    import json
    import sys
    import time

    import numpy as np
    import torch  # type: ignore[import-not-found]

    torch.set_num_threads(1)
    settings = json.loads(sys.stdin.readline())
    n_symbols, n_hidden = settings["n_symbols"], settings["n_hidden"]
    torch.manual_seed(settings["seed"])
    lstm = torch.nn.LSTM(n_symbols, n_hidden)
    head = torch.nn.Linear(n_hidden, n_symbols)
    parameters = list(lstm.parameters()) + list(head.parameters())
    optimiser = torch.optim.Adam(parameters, lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs = torch.from_numpy(np.eye(n_symbols, dtype=np.float32)[settings["symbols"]])  # [T,B,X]
    targets = torch.tensor(settings["targets"]).reshape(-1)                              # [T*B]
    print(torch.__version__, flush=True)
    for _ in sys.stdin:
        start = time.perf_counter()
        optimiser.zero_grad()
        hidden, _ = lstm(inputs)                                                 # [T, B, H]
        loss = loss_fn(head(hidden).reshape(-1, n_symbols), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimiser.step()
        print(time.perf_counter() - start, flush=True)
