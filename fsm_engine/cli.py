"""The ``fsm-explorer`` command line: the explorer, machines, training, comparison, benchmarks.

    fsm-explorer app                         open the explorer in a browser
    fsm-explorer machine show|validate|dot|run FILE|PRESET ...
    fsm-explorer train --task NAME [-p k=v ...] --machines N --family SPEC ...
    fsm-explorer compare --task NAME [-p k=v ...] ...
    fsm-explorer bench engine|readout|lstm|tasks|compare [options]

Every command that produces results accepts ``--json``.  Bad input exits with
status 2 and a one-line message; no traceback for a user's mistake.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from contextlib import contextmanager
from pathlib import Path

from .errors import FSMError

BENCHMARKS = ("engine", "readout", "lstm", "tasks", "compare")


# ---------------------------------------------------------------------- helpers
def parse_task_params(pairs: list[str]) -> dict:
    """``["k=3", "tau=0.5", "corpus=fsm"]`` -> ``{"k": 3, "tau": 0.5, "corpus": "fsm"}``."""
    params: dict = {}
    for pair in pairs or []:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise FSMError(f"task parameter {pair!r} is not of the form name=value")
        for convert in (int, float):
            try:
                params[name] = convert(raw)
                break
            except ValueError:
                continue
        else:
            params[name] = raw
    return params


def _emit(result, as_json: bool, text: str) -> None:
    print(json.dumps(result, indent=2, default=_jsonable) if as_json else text)


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# ---------------------------------------------------------------------- app
def cmd_app(args) -> int:
    from . import launcher

    missing = launcher.missing_app_packages()
    if missing:
        raise FSMError(f"the app needs {', '.join(launcher.APP_PACKAGES)}, and "
                       f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not "
                       f"installed; install them with: {launcher.INSTALL_APP}")
    return launcher.launch(args.streamlit_args)


def _app_argv(argv: list[str]) -> list[str]:
    """``app ARGS`` -> ``app -- ARGS``: every argument after ``app`` (``--server.port 8614``
    too) goes to ``streamlit run``, with or without a ``--`` of the user's own."""
    if argv[:1] != ["app"] or argv[1:2] in (["-h"], ["--help"]):
        return argv
    rest = argv[2:] if argv[1:2] == ["--"] else argv[1:]
    return ["app", "--", *rest]


# ---------------------------------------------------------------------- machine
def cmd_machine(args) -> int:
    machine, notes = _machine_from_file_or_preset(args.file, args.comma_labels)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if args.action == "validate":
        _emit({"valid": True, "states": machine.n_states, "symbols": machine.n_symbols,
               "notes": list(notes)}, args.json,
              f"{args.file}: valid ({machine.n_states} states, "
              f"alphabet {' '.join(machine.alphabet)})")
    elif args.action == "show":
        info = machine.analysis()
        summary = {"alphabet": list(machine.alphabet), "states": list(machine.states),
                   "start": machine.states[machine.start], **info, "machine": machine.to_dict()}
        _emit(summary, args.json, _machine_text(machine, info))
    elif args.action == "dot":
        state = edge = None
        if args.input:
            steps = list(machine.steps(args.input))
            if steps:
                state, edge = steps[-1].after, (steps[-1].before, steps[-1].symbol)
        print(machine.to_dot(state=state, edge=edge))
    elif args.action == "run":
        steps = list(machine.steps(args.input or ""))
        rows = [{"t": s.t, "symbol": s.symbol, "from": machine.states[s.before],
                 "to": machine.states[s.after], "output": s.output} for s in steps]
        text = "\n".join(
            f"{r['t']:>4}  {r['symbol']:>4}  {r['from']} -> {r['to']}  o={r['output']:g}"
            for r in rows)
        _emit(rows, args.json, text)
    return 0


def _machine_from_file_or_preset(name: str, comma_labels: str):
    """``(machine, notes)`` from a machine file, or from a preset of that name when no such
    file exists (a file wins)."""
    from . import io, presets

    if not Path(name).exists() and Path(name).suffix.lower() not in (".json", ".jff"):
        known = presets.names()
        if name not in known:
            raise FSMError(f"{name!r} is neither a machine file nor a preset; "
                           f"presets are {', '.join(known)}")
        return presets.load(name), ()
    try:
        result = io.read_machine_file(name, comma_labels=comma_labels)
    except io.AmbiguousLabelError as err:
        raise FSMError(
            f"{err}; rerun with --comma-labels split or --comma-labels literal") from None
    return result.machine, result.notes


def _machine_text(machine, info: dict) -> str:
    width = max(len(s) for s in machine.states + machine.alphabet) + 2
    header = "state".ljust(width) + "".join(a.ljust(width) for a in machine.alphabet) + "output"
    lines = [f"{machine!r}", "", header]
    for i, s in enumerate(machine.states):
        marker = ">" if i == machine.start else " "
        targets = "".join(machine.states[t].ljust(width) for t in machine.transitions[i])
        lines.append(f"{marker}{s}".ljust(width) + targets + f"{machine.outputs[i]:g}")
    horizon = info["memory_horizon"]
    lines += ["", f"reachable states      {info['reachable']} of {info['states']}",
              f"minimal equivalent    {info['minimal_states']} states",
              f"strongly connected    {len(info['components'])} parts, sizes "
              f"{[len(c) for c in info['components']]}",
              f"memory horizon        {horizon if horizon is not None else 'none'}"
              + (f"  ({info['memory_horizon_note']})" if info["memory_horizon_note"] else "")]
    return "\n".join(lines)


# ---------------------------------------------------------------------- train / compare
def _add_task_args(parser) -> None:
    parser.add_argument("--task", required=True, help="task name (see fsm_engine.tasks.NAMES)")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="task parameter, repeatable (e.g. -p k=3 -p m=4)")
    parser.add_argument("--text-file", metavar="PATH",
                        help="your own UTF-8 text for the 'text' task (size-capped)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _add_fsm_args(parser) -> None:
    parser.add_argument("--machines", type=int, default=1000, help="number of machines N")
    parser.add_argument("--family", default="random", help="mix, e.g. 'random:0.7,delay_line:0.3'")
    parser.add_argument("--states", type=int, default=8,
                        help="states per random/permutation machine")
    parser.add_argument("--stay", type=float, default=0.0, help="random family's stay probability")
    parser.add_argument("--k", type=int, default=2, help="delay-line length")
    parser.add_argument("--modulus", type=int, default=3, help="counter modulus")
    parser.add_argument("--features", choices=("output", "state"), default="state")
    parser.add_argument("--loss", choices=("mse", "softmax"), default=None,
                        help="default: softmax for class targets, mse for real targets")
    parser.add_argument("--solver", choices=("gd", "adam", "ridge"), default="ridge")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (gd/adam)")
    parser.add_argument("--l2", type=float, default=None, help="L2 penalty")
    parser.add_argument("--no-recurrence", action="store_true",
                        help="ablation: every machine is reset at every step")


@contextmanager
def _progress_bar(desc: str):
    """A progress callback for Trainer.run drawing a bar on a terminal's stderr."""
    from tqdm import tqdm

    with tqdm(desc=desc, unit="upd", file=sys.stderr, leave=False,
              disable=not sys.stderr.isatty()) as bar:
        def report(progress) -> None:
            bar.update(progress.updates - bar.n)
            bar.set_postfix(metric=f"{progress.metrics.get('metric', float('nan')):.4g}",
                            loss=f"{progress.train_loss:.4g}")
        yield report


def task_params_from_args(args) -> dict:
    """The task's keyword parameters: ``-p name=value`` pairs plus ``--text-file``."""
    from . import tasks

    params = parse_task_params(args.param)
    if "seed" in params:
        raise FSMError("give the seed with --seed, not -p seed=...")
    if args.text_file:
        path = Path(args.text_file)
        if path.stat().st_size > tasks.MAX_TEXT_BYTES:
            raise FSMError(f"{path} has {path.stat().st_size:,} bytes, over the cap of "
                           f"{tasks.MAX_TEXT_BYTES:,}; use a shorter excerpt")
        params["text"] = tasks.decode_text(path.read_bytes())
    return params


def cmd_train(args) -> int:
    from .experiments import fsm_spec_from_args, train_fsm

    task_params = task_params_from_args(args)
    with _progress_bar("training") as report:
        result = train_fsm(args.task, task_params, fsm_spec_from_args(args), seed=args.seed,
                           max_updates=args.updates, max_seconds=args.seconds, progress=report)
    _emit(result, args.json, _result_text([result]))
    return 0


def cmd_compare(args) -> int:
    from .experiments import compare, fsm_spec_from_args, lstm_spec_from_args

    task_params = task_params_from_args(args)
    with _progress_bar("training") as report:
        rows = compare(args.task, task_params, fsm_spec_from_args(args), lstm_spec_from_args(args),
                       seed=args.seed, max_seconds=args.seconds, progress=report)
    _emit(rows, args.json, _result_text(rows))
    return 0


def _result_text(rows) -> str:
    from .experiments import format_results

    return format_results(rows)


# ---------------------------------------------------------------------- bench
def cmd_bench(args) -> int:
    module = importlib.import_module(f"fsm_engine.benchmarks.{args.name}")
    return module.main(args.bench_args) or 0


# ---------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fsm-explorer", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    app = sub.add_parser("app", help="open the explorer in a browser (streamlit run)",
                         description="Run the explorer (Streamlit) and open it in a browser. "
                                     "Every argument is passed to streamlit run, e.g. "
                                     "fsm-explorer app --server.port 8614; "
                                     "--server.headless true opens no browser.")
    app.add_argument("streamlit_args", nargs="*", metavar="STREAMLIT_OPTION",
                     help="passed to streamlit run")
    app.set_defaults(func=cmd_app)

    machine = sub.add_parser("machine",
                             help="show, validate, draw or run a machine file (.json, .jff)")
    machine.add_argument("action", choices=("show", "validate", "dot", "run"))
    machine.add_argument("file", help="a machine file (.json, .jff) or a preset name, "
                                      "e.g. ends_in_ab (a file of that name wins)")
    machine.add_argument("input", nargs="?", default="",
                         help="input symbols (dot: light the state reached)")
    machine.add_argument("--comma-labels", choices=("error", "split", "literal"), default="error",
                         help="JFLAP label 'a,b': refuse (default), read as a or b, "
                              "or keep as one symbol")
    machine.add_argument("--json", action="store_true")
    machine.set_defaults(func=cmd_machine)

    train = sub.add_parser("train", help="train an FSM network's readout on a task")
    _add_task_args(train)
    _add_fsm_args(train)
    train.add_argument("--updates", type=int, default=None, help="max parameter updates")
    train.add_argument("--seconds", type=float, default=None, help="max training seconds")
    train.set_defaults(func=cmd_train)

    comp = sub.add_parser("compare", help="train an FSM network and the NumPy LSTM on one task")
    _add_task_args(comp)
    _add_fsm_args(comp)
    comp.add_argument("--hidden", type=int, default=64, help="LSTM hidden units")
    comp.add_argument("--layers", type=int, default=1, help="LSTM layers")
    comp.add_argument("--lstm-lr", type=float, default=1e-2)
    comp.add_argument("--seconds", type=float, default=60.0, help="training-time budget per model")
    comp.set_defaults(func=cmd_compare)

    bench = sub.add_parser("bench", help="run a benchmark (same code as bench/*.py)")
    bench.add_argument("name", choices=BENCHMARKS)
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help="options of that benchmark")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv=None) -> int:
    argv = _app_argv(sys.argv[1:] if argv is None else list(argv))
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except FSMError as err:
        print(f"fsm-explorer: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        message = f"fsm-explorer: {err.strerror or err}: {err.filename or ''}".rstrip(": ")
        print(message, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
