"""Run the speed benchmarks one after another and keep what each printed: ``results/speed/*.json``.

The README's "Speed" table quotes these files.  Each benchmark runs in its own process
(``python bench/NAME.py --json``), one at a time so they do not time each other, with
``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` unset in that process only (so the BLAS
timings are NumPy's defaults); its JSON is written to ``results/speed/NAME.json`` with
the command, the date and the load average before and after (the machine is shared:
the figures inside are medians and ratios within one run).

Usage: ``python bench/speed.py [NAME ...] [--out DIR] [--torch-python PATH]`` (default:
every benchmark below; ``lstm`` also times PyTorch's ``nn.LSTM`` with the interpreter
``--torch-python`` names, e.g. a separate venv with torch: the project does not depend
on it).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fsm_engine.benchmarks.results import load_average, meta, write_json  # noqa: E402

#: benchmark -> extra arguments; engine and models first, the browser ones last
BENCHMARKS = {"engine": [], "readout": [], "esn": [], "lstm": [], "scale": [], "trainer": [],
              "sweep": [],
              "browser": [], "ui": ["--page", "train"], "ui_compare": ["--page", "compare"]}
#: benchmark -> its script, where the name differs
SCRIPTS = {"ui_compare": "ui"}
BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def run(name: str, out: Path, extra: list[str] | None = None) -> Path:
    """Run benchmark ``name`` (with ``extra`` arguments) and write its JSON with the
    circumstances to ``out/name.json``."""
    script = HERE / f"{SCRIPTS.get(name, name)}.py"
    arguments = [*BENCHMARKS[name], *(extra or []), "--json"]
    command = [sys.executable, str(script), *arguments]
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARIABLES}
    before, started = load_average(), time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout[done.stdout.index("{"):])
    shown = f"python bench/{script.name} {' '.join(arguments)}"
    record = {"benchmark": name, "command": shown,
              "meta": meta(load_average_start=before, load_average_end=load_average(),
                           wall_seconds=round(time.monotonic() - started, 1)),
              "result": result}
    return write_json(record, out / f"{name}.json")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default all: {', '.join(BENCHMARKS)})")
    parser.add_argument("--out", type=Path, default=HERE.parent / "results" / "speed")
    parser.add_argument("--torch-python", metavar="PATH",
                        help="a Python with torch, for the LSTM's PyTorch reference")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    for name in args.names or BENCHMARKS:
        print(f"{name} ...", end=" ", flush=True)
        extra = ["--torch-python", args.torch_python] if name == "lstm" and args.torch_python \
            else []
        print(run(name, args.out, extra))


if __name__ == "__main__":
    main()
