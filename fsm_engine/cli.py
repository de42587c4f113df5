"""The ``fsm-explorer`` command line: the explorer, machines, training, comparison, benchmarks.

    fsm-explorer app                         open the explorer in a browser
    fsm-explorer machine show|validate|dot|run FILE|PRESET ...
    fsm-explorer train --task NAME [-p k=v ...] [--model fsm|esn|lstm] [-P name=v ...]
    fsm-explorer compare --task NAME [-p k=v ...] [--models fsm,esn,lstm] [-P model.name=v ...]
    fsm-explorer models                      the registry models and their parameters
    fsm-explorer sweep CONFIG.toml [--workers N] [--scheduler ADDRESS] [--out FILE] [--resume]
    fsm-explorer extract --task NAME [-p k=v ...] [--from lstm|fsm] [--method quantise|lstar]
    fsm-explorer bench engine|readout|lstm|tasks|compare [options]

Every command that produces results accepts ``--json``.  Bad input exits with
status 2 and a one-line message; no traceback for a user's mistake.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import FSMError


def benchmark_names() -> tuple[str, ...]:
    """The benchmarks: every module of ``fsm_engine.benchmarks`` (the scripts under bench/)
    but the helpers they share (listed without importing them: the CLI starts fast)."""
    import pkgutil

    from . import benchmarks

    return tuple(sorted(info.name for info in pkgutil.iter_modules(benchmarks.__path__)
                        if info.name not in benchmarks.SHARED))


# ---------------------------------------------------------------------- helpers
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
        raise FSMError(f"the app needs {', '.join(launcher.APP_PACKAGES)}; not installed here: "
                       f"{', '.join(missing)}. Install them with: {launcher.INSTALL_APP}")
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
    window, word = info["memory_window"], info["reset_word"]
    if window is not None:
        remembers = f"the last {window} symbol{'' if window == 1 else 's'} decide the state"
    else:
        remembers = info["memory_window_note"] or "no limit: some input is kept for ever"
    if word is not None:
        resets = (f"{' '.join(word) or '(empty)'} (length {len(word)}) leads to state "
                  f"{info['reset_state']} from any state")
    else:
        resets = info["memory_horizon_note"]
    lines += ["", f"reachable states      {info['reachable']} of {info['states']}",
              f"minimal equivalent    {info['minimal_states']} states",
              f"strongly connected    {len(info['components'])} parts, sizes "
              f"{[len(c) for c in info['components']]}",
              f"memory window         {remembers}",
              f"reset input           {resets}"]
    return "\n".join(lines)


# ---------------------------------------------------------------------- train / compare
def _add_task_args(parser) -> None:
    parser.add_argument("--task", required=True, help="task name (see fsm_engine.tasks.NAMES)")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="task parameter, repeatable (e.g. -p k=3 -p m=4)")
    parser.add_argument("--text-file", metavar="PATH",
                        help="your own UTF-8 text for the 'text' task (size-capped)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _add_model_args(parser, one_model: bool) -> None:
    from . import models

    which = "MODEL.NAME=VALUE" if not one_model else "NAME=VALUE"
    parser.add_argument("-P", "--model-param", action="append", default=[], metavar=which,
                        help="model parameter, repeatable (e.g. -P fsm.n_machines=500 "
                             "-P lstm.n_hidden=128); the parameters of each model are listed "
                             "by 'fsm-explorer models'" + (
                                 "; the 'MODEL.' prefix may be left out" if one_model else ""))
    parser.add_argument("--seconds", type=float, default=None if one_model else 60.0,
                        help="wall-clock budget in seconds for the whole command (training stops "
                             "early when the task is solved)")
    if one_model:
        parser.add_argument("--model", default="fsm", choices=models.names(),
                            help="the registry model to train (default fsm: the question's model)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the task and the model")
    else:
        parser.add_argument("--models", default=",".join(models.names()),
                            help="comma-separated registry models (default: all)")
        parser.add_argument("--seeds", type=int, default=1, help="seeds 0..K-1 (default 1)")


@contextmanager
def _progress_bar(desc: str, total=None, unit: str = "upd"):
    """A tqdm bar on a terminal's stderr (silent elsewhere), yielded for the caller to update."""
    from tqdm import tqdm

    with tqdm(desc=desc, total=total, unit=unit, file=sys.stderr, leave=False,
              disable=not sys.stderr.isatty()) as bar:
        yield bar


def _show_training(bar):
    """A Trainer progress callback that moves ``bar`` to the update count."""
    def report(progress) -> None:
        bar.update(progress.updates - bar.n)
        bar.set_postfix(metric=f"{progress.metrics.get('metric', float('nan')):.4g}",
                        loss=f"{progress.train_loss:.4g}")
    return report


def task_params_from_args(args) -> dict:
    """The task's keyword parameters: ``-p name=value`` pairs (parsed with the task's table)
    plus ``--text-file``."""
    from . import tasks
    from .errors import TaskError
    from .params import parse_values, split_pairs

    raw = split_pairs(args.param, "task parameter")
    if "seed" in raw:
        raise FSMError("give the seed with --seed, not -p seed=...")
    params = parse_values(args.task, tasks.params(args.task), raw, TaskError)
    if args.text_file:
        path = Path(args.text_file)
        if path.stat().st_size > tasks.MAX_TEXT_BYTES:
            raise FSMError(f"{path} has {path.stat().st_size:,} bytes, over the cap of "
                           f"{tasks.MAX_TEXT_BYTES:,}; use a shorter excerpt")
        params["text"] = tasks.decode_text(path.read_bytes())
    return params


def model_params_from_args(pairs: list[str], model_names: list[str],
                           default_model: str | None = None) -> dict[str, dict]:
    """``-P MODEL.NAME=VALUE`` pairs -> ``{model: {name: value}}``, parsed with each model's
    table; with ``default_model`` a pair may leave out ``MODEL.``."""
    from . import models
    from .params import split_pairs

    raw: dict[str, dict[str, str]] = {name: {} for name in model_names}
    for key, value in split_pairs(pairs, "model parameter").items():
        model, dot, name = key.rpartition(".")
        if not dot:
            if default_model is None:
                raise FSMError(f"model parameter {key!r} must name its model, e.g. "
                               f"-P fsm.{key}={value}")
            model = default_model
        if model not in raw:
            raise FSMError(f"-P {key}={value} is for model {model!r}, which is not among the "
                           f"models run here ({', '.join(model_names)})")
        raw[model][name] = value
    return {model: models.parse_params(model, values) for model, values in raw.items()}


#: a command that overran its --seconds by more than this factor (and a second) says why
OVERRUN = 1.5


def _budget_note(seconds: float | None, started: float) -> None:
    """Say on stderr when the command took well over its ``--seconds``: building a model
    and one closed-form ridge solve (a single update) cannot be interrupted."""
    took = time.perf_counter() - started
    if seconds is not None and took > OVERRUN * seconds + 1.0:
        print(f"note: this took {took:.1f} s of a {seconds:g} s budget: building a model and "
              "a ridge solve (one update) cannot be interrupted; a smaller model, or "
              "-P solver=adam (which stops on time), keeps to the budget", file=sys.stderr)


def cmd_train(args) -> int:
    from .experiments import format_runs, run

    started = time.perf_counter()
    task_params = task_params_from_args(args)
    params = model_params_from_args(args.model_param, [args.model], args.model)[args.model]
    with _progress_bar(f"training {args.model}") as bar:
        row = run(args.task, args.model, params, args.seed, task_params=task_params,
                  max_seconds=args.seconds, max_updates=args.updates,
                  stop_at_success=not args.no_early_stop, progress=_show_training(bar))
    _emit(row, args.json, format_runs([row]))
    _budget_note(args.seconds, started)
    return 0


def cmd_compare(args) -> int:
    from . import models
    from .experiments import compare, format_summary, summarise

    started = time.perf_counter()
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    for name in names:
        models.get(name)
    if not names:
        raise FSMError("--models is empty; name at least one of " + ", ".join(models.names()))
    if args.seeds < 1:
        raise FSMError(f"--seeds must be at least 1, got {args.seeds}")
    task_params = task_params_from_args(args)
    params = model_params_from_args(args.model_param, names)
    with _progress_bar("runs", total=len(names) * args.seeds, unit="run") as bar:
        def advance(row: dict) -> None:
            bar.update(1)
            bar.set_postfix(model=row["model"], metric=f"{row['metric']:.4g}")

        rows = compare(args.task, task_params, [(name, params[name]) for name in names],
                       seeds=range(args.seeds), seconds=args.seconds, progress=advance)
    summary = summarise(rows)
    _emit({"rows": summary, "runs": rows}, args.json, format_summary(summary))
    _budget_note(args.seconds, started)
    return 0


def cmd_models(args) -> int:
    from . import models

    listing = {name: {"label": model.label, "summary": model.summary,
                      "params": {p.name: p.as_dict() for p in model.params}}
               for name, model in models.MODELS.items()}
    lines = []
    for name, model in models.MODELS.items():
        lines += [f"{name}: {model.label} — {model.summary}"]
        lines += [f"    {p.name} = {p.default!r}  ({p.describe_range()}) {p.help}"
                  for p in model.params]
    _emit(listing, args.json, "\n".join(lines))
    return 0


# ---------------------------------------------------------------------- sweep
def cmd_sweep(args) -> int:
    import importlib.util

    from . import sweep

    config = Path(args.config)
    runs = sweep.expand(sweep.load_config(config), str(config))
    out = Path(args.out) if args.out else Path(f"{config.stem}.csv")
    if args.dry_run:
        _emit({"runs": [{"run_id": r.id, "run": r.describe()} for r in runs], "out": str(out)},
              args.json, "\n".join(f"{r.id}  {r.describe()}" for r in runs)
              + f"\n{len(runs)} runs; results would go to {out}")
        return 0
    if args.plot is not None and importlib.util.find_spec("plotly") is None:
        raise FSMError(f"--plot needs plotly; install it with: {sweep.INSTALL_PLOTLY}")
    workers = args.workers or sweep.default_workers()
    with _progress_bar("runs", total=len(runs), unit="run") as bar:
        def show(done: int, total: int, row) -> None:
            if row is None:                  # resumed runs: not counted in the rate or ETA
                bar.initial = bar.n = done
                bar.refresh()
                return
            bar.update(done - bar.n)
            bar.set_postfix(model=row["model"], metric="failed" if row["error"] else
                            f"{row['metric']:.4g}")
        try:
            rows = sweep.execute(runs, workers=workers, scheduler=args.scheduler, out=out,
                                 resume=args.resume, progress=show)
        except KeyboardInterrupt:
            print(f"fsm-explorer: interrupted; the finished runs are in {out}: continue the "
                  "sweep with --resume", file=sys.stderr)
            return 130
    failed = [row for row in rows if row["error"]]
    for row in failed[:5]:
        print(f"run {row['run_id']} ({row['label']}, seed {row['seed']}) failed: "
              f"{row['error']}", file=sys.stderr)
    summary = sweep.summarise(rows)
    plot = None
    if args.plot is not None:
        plot = sweep.write_figure(rows, args.plot or out.with_suffix(".html"))
    text = sweep.format_summary(summary) + f"\n\n{len(rows)} runs in {out}" + \
        (f" ({len(failed)} failed)" if failed else "") + (f"; figure in {plot}" if plot else "")
    _emit({"summary": summary, "rows": rows, "out": str(out),
           "plot": None if plot is None else str(plot)}, args.json, text)
    return 0


# ---------------------------------------------------------------------- bench
# ---------------------------------------------------------------------- extract
def cmd_extract(args) -> int:
    import time

    from . import extract, io, tasks

    method = args.method or ("product" if args.source == "fsm" else "quantise")
    if (method == "product") != (args.source == "fsm"):
        raise FSMError(f"--method {method} does not fit --from {args.source}: an LSTM's machine "
                       "is extracted by 'quantise' or 'lstar', an FSM network's by 'product'")
    task = tasks.make(args.task, seed=args.seed, **task_params_from_args(args))
    params = model_params_from_args(args.model_param, [args.source], args.source)[args.source]
    started = time.perf_counter()
    with _progress_bar(f"training {args.source}") as bar:
        learner = extract.train(task, args.source, seed=args.seed, seconds=args.seconds,
                                progress=_show_training(bar), **params)
    train_seconds = time.perf_counter() - started
    result = extract.extract(learner, method, seconds=args.seconds, seed=args.seed)
    if args.out:
        io.write_machine_file(result.machine, args.out)
    row = {**result.as_dict(), "task": task.name, "task_params": dict(task.params),
           "train_seconds": train_seconds, "out": args.out}
    _emit(row, args.json, _extraction_text(result, train_seconds, args.out))
    return 0


def _extraction_text(result, train_seconds: float, out: str | None) -> str:
    minimal = "" if result.minimal_states is None else \
        f" (the task's minimal automaton: {result.minimal_states})"
    lines = [f"{result.method} from the trained {result.model} (trained {train_seconds:.1f} s): "
             f"{result.states} states after minimisation, {result.raw_states} before"
             f"{minimal}",
             f"fidelity {result.fidelity:.4f}   accuracy {result.accuracy:.4f}   "
             f"{result.model} accuracy {result.model_accuracy:.4f}   "
             f"extraction {result.seconds:.2f} s",
             *(f"note: {note}" for note in result.notes)]
    if result.states <= 30:
        lines += ["", _machine_text(result.machine, result.machine.analysis())]
    if out:
        lines.append(f"machine written to {out}")
    return "\n".join(lines)


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

    train = sub.add_parser("train", help="train one registry model (fsm, esn, lstm) on a task")
    _add_task_args(train)
    _add_model_args(train, one_model=True)
    train.add_argument("--updates", type=int, default=None, help="max parameter updates")
    train.add_argument("--no-early-stop", action="store_true",
                       help="keep training after the task is solved")
    train.set_defaults(func=cmd_train)

    comp = sub.add_parser("compare", help="train several registry models on one task, "
                                          "over seeds, within one time budget")
    _add_task_args(comp)
    _add_model_args(comp, one_model=False)
    comp.set_defaults(func=cmd_compare)

    listing = sub.add_parser("models", help="list the registry models and their parameters")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_models)

    swp = sub.add_parser("sweep", help="every combination of tasks, models, parameters and "
                                       "seeds in a TOML file, on local workers or a Dask cluster",
                         description="Run a sweep file (see examples/sweep.toml): one row per run "
                                     "streamed to --out, a summary (mean ± sd over seeds) at the "
                                     "end.  Every setting is checked before anything runs.")
    swp.add_argument("config", help="the sweep file (TOML)")
    swp.add_argument("--workers", type=int, default=None,
                     help="local worker processes (default: one per core; 1 runs in this "
                          "process); with --scheduler local, the LocalCluster's workers")
    swp.add_argument("--scheduler", metavar="ADDRESS", default=None,
                     help="run on a Dask cluster: its scheduler address (tcp://host:8786), or "
                          "'local' to start a LocalCluster (needs the 'cluster' extra)")
    swp.add_argument("--out", metavar="FILE", default=None,
                     help="results file, .csv or .parquet (default: CONFIG's name with .csv, "
                          "in the current folder); each run is written as it finishes")
    swp.add_argument("--resume", action="store_true",
                     help="continue a sweep: skip the runs already in --out")
    swp.add_argument("--plot", nargs="?", const="", default=None, metavar="FILE.html",
                     help="also write an HTML figure (metric against the swept parameter, one "
                          "line per model, error bars over seeds); default name: --out's with "
                          ".html")
    swp.add_argument("--dry-run", action="store_true", help="check the file and list the runs")
    swp.add_argument("--json", action="store_true",
                     help="print the summary and every row as JSON")
    swp.set_defaults(func=cmd_sweep)

    ext = sub.add_parser("extract", help="train an LSTM (or an FSM network) on a task, then "
                                         "extract the finite-state machine it computes",
                         description="Train a registry model (defaults, -P to change them) "
                                     "until its held-out accuracy is 100%% or --seconds run "
                                     "out, then extract its machine: from an LSTM by "
                                     "clustering its hidden states (quantise) or by L* "
                                     "(lstar); from an FSM network, its product automaton.")
    _add_task_args(ext)
    ext.add_argument("--from", dest="source", choices=("lstm", "fsm"), default="lstm",
                     help="the model to train and extract from (default lstm)")
    ext.add_argument("--method", choices=("quantise", "lstar", "product"), default=None,
                     help="default: quantise for an LSTM, product for an FSM network")
    ext.add_argument("-P", "--model-param", action="append", default=[], metavar="NAME=VALUE",
                     help="model parameter, repeatable (e.g. -P n_hidden=32); see "
                          "'fsm-explorer models'")
    ext.add_argument("--seconds", type=float, default=60.0,
                     help="training budget; L* and the product exploration get as long again "
                          "(default 60)")
    ext.add_argument("--seed", type=int, default=0, help="seed of the task, model and extraction")
    ext.add_argument("--out", metavar="FILE", default=None,
                     help="write the machine to FILE: .json, .jff (JFLAP) or .dot")
    ext.set_defaults(func=cmd_extract)

    bench = sub.add_parser("bench", help="run a benchmark (same code as bench/*.py)")
    bench.add_argument("name", choices=benchmark_names())
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
