"""Sweeps: every combination of tasks, models, parameters and seeds, run anywhere.

A sweep is a TOML file (read with :func:`load_config`) that names one task or
several, the registry models and their parameters, the seeds and a per-run
budget; a list value means "sweep over these" (the cartesian product within a
task and within a model)::

    seeds = [0, 1]            # or a count: seeds = 3 means 0, 1, 2
    seconds = 5               # per-run budget (building the model counts); default 60
    # clock = "cpu"           # seconds of processor time, not wall-clock ("wall")
    # updates = 200           # per-run update budget (results then do not depend on speed)
    [task]                    # or [[tasks]] tables, one per task
    name = "delayed_recall"   # (task = "series" where the task has a parameter "name")
    k = [1, 3]
    m = 4
    [models.fsm]              # or [[models.fsm]] tables: one product each
    n_machines = [100, 400]
    [models.esn]
    n_units = 100

:func:`expand` checks every key and value against the tasks' and models'
parameter tables before anything runs (naming the key that is wrong) and
returns the runs: frozen :class:`Run` specs whose :attr:`Run.id` is derived from
their content, never from execution order.  :func:`execute` runs them through
:func:`fsm_engine.experiments.run` — in this process (``workers=1``), in local
``joblib`` ``loky`` worker processes (``workers=N``) or on a Dask distributed
cluster (``scheduler="tcp://HOST:8786"``, or ``"local"`` for a ``LocalCluster``
of ``workers`` processes) — with BLAS and numba limited to one thread in every
worker.  Each run is seeded from its own spec, so every backend gives the same
results (a wall-clock budget can still cut a run at a different update on a
slower machine; an ``updates`` budget or a closed-form readout cannot).

Every finished run is one flat row (see :data:`RESULT_COLUMNS`; parameters are
flattened into ``task.NAME`` and ``model.NAME`` columns, the learning curve is a
JSON ``curve`` column) appended to the output file at once — CSV, or Parquet
when the name ends in ``.parquet`` and pyarrow is installed — so a killed sweep
keeps what finished and ``resume=True`` skips it.  :func:`read` loads such a
file back (typed), :func:`summarise` gives mean ± sd over seeds per setting,
:func:`format_summary` a Markdown table and :func:`sweep_figure` a Plotly
figure (metric against the swept parameter, one line per model, error bars over
seeds; plotly is imported only there).

>>> runs = expand({"seeds": 2, "seconds": 5, "task": {"name": "delayed_recall", "k": [1, 3]},
...                "models": {"esn": {"n_units": 100}}})
>>> len(runs), runs[0].model, dict(runs[0].task_params)["k"]
(4, 'esn', 1)
>>> rows = execute(runs, workers=1)                            # doctest: +SKIP
>>> print(format_summary(summarise(rows)))                     # doctest: +SKIP

The command line is ``fsm-explorer sweep CONFIG.toml [--workers N]
[--scheduler ADDRESS|local] [--out FILE] [--resume] [--plot [FILE.html]]``.
"""
from __future__ import annotations

import csv
import difflib
import hashlib
import io
import itertools
import json
import math
import os
import socket
import tomllib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from . import __version__, experiments, models, tasks
from .errors import FSMError, TaskError
from .params import Param

#: top-level keys of a sweep file
CONFIG_KEYS = ("seeds", "seconds", "updates", "clock", "task", "tasks", "models")
#: per-run seconds when a sweep file gives neither ``seconds`` nor ``updates``
DEFAULT_SECONDS = 60.0
#: most runs one sweep may expand to (checked before the runs are listed)
MAX_RUNS = 100_000
#: task parameters kept out of the result columns (a whole text per row); the run id covers them
UNLISTED_TASK_PARAMS = ("text",)
#: how long to try reaching a Dask scheduler
CONNECT_TIMEOUT = "20s"
#: what to install for the optional parts
INSTALL_CLUSTER = 'pip install "fsm-network-explorer[cluster]"  (dask[distributed])'
INSTALL_PARQUET = "pip install pyarrow"
INSTALL_PLOTLY = 'pip install plotly  (or "fsm-network-explorer[app]")'

#: the columns of a result row other than the ``task.*`` and ``model.*`` parameters, with
#: their types ("json": a JSON text in the file)
RESULT_COLUMNS: dict[str, str] = {
    "run_id": "str", "task": "str", "model": "str", "label": "str", "seed": "int",
    "metric_name": "str", "metric": "float", "chance": "float", "baseline": "float",
    "solved": "bool", "seconds": "float", "build_seconds": "float", "updates": "int",
    "epochs": "float", "seen": "float", "seen_unit": "str", "parameters": "int",
    "ms_per_update": "float", "solved_at_seconds": "float", "solved_at_seen": "float",
    "solved_at_updates": "int", "budget_seconds": "float", "budget_updates": "int",
    "error": "str", "version": "str", "host": "str", "curve": "json", "scores": "json",
    "eval_seconds": "float", "cpu_seconds": "float", "wall_seconds": "float",
    "budget_clock": "str",
}
#: columns before the parameters; the rest of RESULT_COLUMNS come after them
_LEADING = ("run_id", "task", "model", "label", "seed")


# ---------------------------------------------------------------------- runs
@dataclass(frozen=True)
class Run:
    """One training run of a sweep: everything that decides its result.

    Attributes
    ----------
    task : task name; ``task_params`` its complete, checked parameters (seed excluded)
        as sorted ``(name, value)`` pairs.
    model : registry model name; ``model_params`` its complete, checked parameters.
    seed : seeds the task and the model.
    seconds, updates : the run's budget (either may be None: no bound of that kind).
    clock : ``"wall"`` or ``"cpu"``: what ``seconds`` measure (see
        :data:`fsm_engine.training.CLOCKS`).
    """

    task: str
    task_params: tuple[tuple[str, object], ...]
    model: str
    model_params: tuple[tuple[str, object], ...]
    seed: int
    seconds: float | None
    updates: int | None
    clock: str = "wall"

    @cached_property
    def id(self) -> str:
        """16 hex digits of a hash of the spec: the same spec gives the same id anywhere."""
        spec = {"task": self.task, "task_params": dict(self.task_params), "model": self.model,
                "model_params": dict(self.model_params), "seed": self.seed,
                "seconds": self.seconds, "updates": self.updates}
        if self.clock != "wall":                 # so wall-clock runs keep their old ids
            spec["clock"] = self.clock
        text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self) -> str:
        """One line naming the run by its parameters that are not defaults, e.g.
        ``delayed_recall k=1 m=4 | esn n_units=100 | seed 0``."""
        task = _pairs(self.task_params, tasks.params(self.task))
        model = _pairs(self.model_params, models.get(self.model).params)
        return f"{self.task} {task} | {self.model} {model} | seed {self.seed}"


def _pairs(pairs, table: Iterable[Param]) -> str:
    """``k=v`` for the pairs whose value is not the table's default."""
    defaults = {p.name: p.default for p in table}
    return " ".join(f"{k}={v}" for k, v in pairs
                    if k not in UNLISTED_TASK_PARAMS and v != defaults.get(k, object()))


def load_config(path: str | os.PathLike) -> dict:
    """The sweep file at ``path`` as a dict (TOML); FSMError naming the line when it is not
    valid TOML."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise FSMError(f"{path} is not a valid TOML file: {err}") from None


def expand(config: Mapping, source: str = "sweep") -> list[Run]:
    """Every run of a sweep configuration, checked before any runs.

    Parameters
    ----------
    config : the parsed sweep file (see the module docstring).
    source : what to call the configuration in messages (e.g. its file name).

    Returns
    -------
    list of Run, seed-major: for each seed, each task setting, each model (in the
    file's order) and each of its settings.

    Raises
    ------
    FSMError
        Naming the key: an unknown top-level key, task, model or parameter, a value of
        the wrong type or out of range, an empty list, a task setting that cannot be
        made, a run listed twice, or more than ``MAX_RUNS`` runs.
    """
    if not isinstance(config, Mapping):
        raise FSMError(f"{source}: a sweep configuration is a table of keys")
    for key in config:
        if key not in CONFIG_KEYS:
            raise FSMError(f"{source}: unknown key {key!r}{_hint(key, CONFIG_KEYS)}; the keys "
                           f"are {', '.join(CONFIG_KEYS)}")
    seeds = _seeds(config.get("seeds", 1), source)
    seconds, updates = _budget(config, source)
    clock = config.get("clock", "wall")
    if clock not in ("wall", "cpu"):
        raise FSMError(f"{source}: clock must be \"wall\" or \"cpu\", got {clock!r}")
    task_settings = _task_settings(config, source)
    model_settings = _model_settings(config, source)
    count = len(seeds) * len(task_settings) * len(model_settings)
    if count > MAX_RUNS:
        raise FSMError(f"{source}: the sweep has {count:,} runs, over the cap of {MAX_RUNS:,}; "
                       "sweep fewer values")
    runs = [Run(task, task_params, model, model_params, seed, seconds, updates, clock)
            for seed in seeds for task, task_params in task_settings
            for model, model_params in model_settings]
    seen: dict[str, Run] = {}
    for run in runs:
        if run.id in seen:
            raise FSMError(f"{source}: the run {run.describe()} is listed twice; "
                           "remove the repeated value or table")
        seen[run.id] = run
    return runs


def _hint(key: str, allowed: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    if not close:
        close = [name for name in allowed if name.endswith(f"_{key}") or key in name][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _seeds(value, source: str) -> list[int]:
    seed_param = tasks.params(tasks.NAMES[0])[-1]          # every task's seed: 0 .. 2**32-1
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= 10_000:
            raise FSMError(f"{source}: seeds = {value} must be a count from 1 to 10000, or a "
                           "list of seeds")
        return list(range(value))
    if not isinstance(value, list) or not value:
        raise FSMError(f"{source}: seeds must be a non-empty list of seeds (e.g. [0, 1]) or a "
                       f"count, got {value!r}")
    seeds = [seed_param.check(f"{source}: seeds", seed) for seed in value]
    if len(set(seeds)) < len(seeds):
        raise FSMError(f"{source}: seeds lists a seed twice: {value}")
    return seeds


def _budget(config: Mapping, source: str) -> tuple[float | None, int | None]:
    seconds = config.get("seconds")
    updates = config.get("updates")
    if seconds is not None:
        seconds = Param("seconds", "float", None, "", 1e-3, 1e6).check(source, seconds)
    if updates is not None:
        updates = Param("updates", "int", None, "", 1, 10**9).check(source, updates)
    if seconds is None and updates is None:
        seconds = DEFAULT_SECONDS
    return seconds, updates


def _task_settings(config: Mapping, source: str) -> list[tuple[str, tuple]]:
    if ("task" in config) == ("tasks" in config):
        raise FSMError(f"{source}: name the task in a [task] table, or several in [[tasks]] "
                       "tables (one of the two)")
    if "task" in config:
        tables = [("[task]", config["task"])]
    else:
        if not isinstance(config["tasks"], list) or not config["tasks"]:
            raise FSMError(f"{source}: tasks must be [[tasks]] tables, one per task")
        tables = [(f"[[tasks]] #{i + 1}", table) for i, table in enumerate(config["tasks"])]
    settings = []
    for where, table in tables:
        where = f"{source}, {where}"
        if not isinstance(table, Mapping):
            raise FSMError(f"{where}: must be a table with a name and the task's parameters")
        # the series task has a parameter called name: such a task is named by `task = ...`
        key = "task" if "task" in table else "name"
        name = table.get(key)
        if not isinstance(name, str):
            raise FSMError(f"{where}: name the task, e.g. name = \"delayed_recall\" (tasks: "
                           f"{', '.join(tasks.NAMES)})")
        if name not in tasks.NAMES:
            raise FSMError(f"{where}: unknown task {name!r}{_hint(name, tasks.NAMES)}; tasks "
                           f"are {', '.join(tasks.NAMES)}")
        values = {k: value for k, value in table.items() if k != key}
        if "seed" in values:
            raise FSMError(f"{where}: give seeds in the top-level seeds list, not as a task "
                           "parameter")
        table_params = tasks.params(name)[:-1]                 # the seed is the sweep's
        for params in _product(name, table_params, values, where, TaskError):
            settings.append((name, params))
    _check_tasks_can_be_made(settings, source, config)
    return settings


def _check_tasks_can_be_made(settings, source: str, config: Mapping) -> None:
    """Make every task setting once (first seed): combinations a table cannot see (a stream
    over the step cap, nothing left to train on) are refused before any run."""
    seed = _seeds(config.get("seeds", 1), source)[0]
    for name, params in settings:
        try:
            tasks.make(name, seed=seed, **dict(params))
        except FSMError as err:
            raise FSMError(f"{source}: task {name} {_pairs(params, tasks.params(name))}: "
                           f"{err}") from None


def _model_settings(config: Mapping, source: str) -> list[tuple[str, tuple]]:
    tables = config.get("models")
    if not isinstance(tables, Mapping) or not tables:
        raise FSMError(f"{source}: name at least one model in a [models.NAME] table (models: "
                       f"{', '.join(models.names())})")
    settings = []
    for name, entry in tables.items():
        if name not in models.MODELS:
            raise FSMError(f"{source}, [models.{name}]: unknown model {name!r}"
                           f"{_hint(name, models.names())}; models are "
                           f"{', '.join(models.names())}")
        entries = entry if isinstance(entry, list) else [entry]
        for i, values in enumerate(entries):
            where = f"{source}, [models.{name}]" + (f" #{i + 1}" if len(entries) > 1 else "")
            if not isinstance(values, Mapping):
                raise FSMError(f"{where}: must be a table of the model's parameters")
            for params in _product(name, models.get(name).params, values, where, FSMError):
                settings.append((name, params))
    return settings


def _product(owner: str, table: Sequence[Param], values: Mapping, where: str,
             error: type[FSMError]) -> list[tuple]:
    """Every combination of ``values`` (a list means each of its items), completed with the
    table's defaults and checked: sorted ``(name, value)`` tuples."""
    params = {p.name: p for p in table}
    options = {}
    for key, value in values.items():
        if key not in params:
            raise error(f"{where}: unknown parameter {key!r}{_hint(key, params)}; {owner}'s "
                        f"parameters are {', '.join(params)}")
        if isinstance(value, Mapping):
            raise error(f"{where}: {key} is a table; give a value or a list of values")
        items = value if isinstance(value, list) else [value]
        if not items:
            raise error(f"{where}: {key} is an empty list; give at least one value")
        try:
            checked = [_check_value(params[key], owner, item, error) for item in items]
        except FSMError as err:
            raise error(f"{where}: {err}") from None
        if len(set(map(repr, checked))) < len(checked):
            raise error(f"{where}: {key} lists a value twice: {value!r}")
        options[key] = checked
    defaults = {name: p.default for name, p in params.items() if name not in options}
    combos = itertools.product(*options.values())
    return [tuple(sorted({**defaults, **dict(zip(options, combo, strict=True))}.items()))
            for combo in combos]


def _check_value(param: Param, owner: str, value, error: type[FSMError]):
    """A value from the file, checked; text stands for numbers, booleans and "auto" too."""
    if isinstance(value, str) and param.type != "text":
        return param.parse(owner, value, error)
    return param.check(owner, value, error)


# ---------------------------------------------------------------------- one run
def _perform(run: Run, single_thread: bool = False) -> dict:
    """Train one run and return its result row (a model that cannot be built, or training
    that diverges, gives a row with ``error`` set instead of failing the sweep)."""
    if single_thread:
        import numba

        numba.set_num_threads(1)        # BLAS: experiments.run holds one thread itself
    try:
        result = experiments.run(run.task, run.model, dict(run.model_params), run.seed,
                                 task_params=dict(run.task_params), max_seconds=run.seconds,
                                 max_updates=run.updates, clock=run.clock)
        error = None
    except (FSMError, MemoryError) as err:
        result, error = None, f"{type(err).__name__}: {err}"
    return _row(run, result, error)


def _row(run: Run, result: dict | None, error: str | None) -> dict:
    row = {"run_id": run.id, "task": run.task, "model": run.model,
           "label": models.label(run.model, dict(run.model_params)), "seed": run.seed}
    row.update({f"task.{k}": v for k, v in run.task_params if k not in UNLISTED_TASK_PARAMS})
    row.update({f"model.{k}": v for k, v in run.model_params})
    result = result or {}
    solved_at = result.get("solved_at") or {}
    row.update({
        "metric_name": result.get("metric_name"), "metric": result.get("metric"),
        "chance": result.get("chance"), "baseline": result.get("baseline"),
        "solved": result.get("solved"), "seconds": result.get("seconds"),
        "build_seconds": result.get("build_seconds"), "updates": result.get("updates"),
        "epochs": result.get("epochs"), "seen": result.get("seen"),
        "seen_unit": result.get("seen_unit"), "parameters": result.get("parameters"),
        "ms_per_update": result.get("ms_per_update"),
        "solved_at_seconds": solved_at.get("seconds"), "solved_at_seen": solved_at.get("seen"),
        "solved_at_updates": solved_at.get("updates"),
        "budget_seconds": run.seconds, "budget_updates": run.updates, "error": error,
        "version": __version__, "host": socket.gethostname(), "curve": result.get("curve"),
        "scores": result.get("scores"), "eval_seconds": result.get("eval_seconds"),
        "cpu_seconds": result.get("cpu_seconds"), "wall_seconds": result.get("wall_seconds"),
        "budget_clock": run.clock,
    })
    return {key: _plain(value) for key, value in row.items()}


def _plain(value):
    """NumPy scalars as Python ones; NaN as None (one missing value in every file format)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def columns(runs: Iterable[Run]) -> list[str]:
    """The result columns of these runs: the leading ones, every ``task.*`` and ``model.*``
    parameter (in order of first appearance), then the results."""
    params: dict[str, None] = {}
    for run in runs:
        params.update({f"task.{k}": None for k, _ in run.task_params
                       if k not in UNLISTED_TASK_PARAMS})
    for run in runs:
        params.update({f"model.{k}": None for k, _ in run.model_params})
    return [*_LEADING, *params, *(c for c in RESULT_COLUMNS if c not in _LEADING)]


# ---------------------------------------------------------------------- execution
def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                                  # not on Linux
        return os.cpu_count() or 1


def execute(runs: Sequence[Run], *, workers: int = 1, scheduler: str | None = None,
            out: str | os.PathLike | None = None, resume: bool = False,
            progress: Callable[[int, int, dict | None], None] | None = None) -> list[dict]:
    """Run every run and return the result rows, in the order of ``runs``.

    Parameters
    ----------
    runs : from :func:`expand`.
    workers : ``1`` runs them one after another in this process; ``N > 1`` in ``N`` local
        ``joblib`` ``loky`` worker processes; with ``scheduler="local"``, the number of
        worker processes of the ``LocalCluster``.
    scheduler : a Dask scheduler address (``"tcp://host:8786"``) to run on that cluster,
        or ``"local"`` to start a ``LocalCluster`` (needs ``dask[distributed]``; the
        workers need this package installed).
    out : a ``.csv`` or ``.parquet`` file each finished row is written to at once.  It must
        not exist unless ``resume``.
    resume : skip the runs whose rows ``out`` holds already (their rows are returned too).
    progress : called as ``progress(done, total, row)``: once before the first run with
        ``row=None`` (``done`` counts the runs resumed), then after every finished run.

    Raises
    ------
    FSMError
        ``out`` exists without ``resume``, has an unknown extension or needs a missing
        package; ``workers`` below 1; the Dask scheduler cannot be reached.  An error in
        building or training one run is not raised: that run's row has ``error`` set.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise FSMError(f"workers must be a whole number of at least 1, got {workers!r}")
    if scheduler is not None:
        _import_distributed()
    sink = _Sink(Path(out), columns(runs), resume) if out is not None else None
    done = {} if sink is None else {row["run_id"]: row for row in sink.rows}
    todo = [run for run in runs if run.id not in done]
    wanted = {run.id for run in runs}
    finished = {key: row for key, row in done.items() if key in wanted}
    if progress is not None:
        progress(len(finished), len(runs), None)
    try:
        for row in _results(todo, workers, scheduler):
            finished[row["run_id"]] = row
            if sink is not None:
                sink.write(row)
            if progress is not None:
                progress(len(finished), len(runs), row)
    finally:
        if sink is not None:
            sink.close()
    return [finished[run.id] for run in runs]


def _results(todo: list[Run], workers: int, scheduler: str | None):
    """The rows of ``todo`` as they finish, from the chosen backend."""
    if not todo:
        return
    if scheduler is not None:
        yield from _on_dask(todo, workers, scheduler)
    elif workers == 1:
        for run in todo:
            yield _perform(run)
    else:
        from joblib import Parallel, delayed, parallel_config

        # loky starts its workers with BLAS/OpenMP limited to one thread; _perform caps numba
        with parallel_config(backend="loky", inner_max_num_threads=1):
            parallel = Parallel(n_jobs=workers, batch_size=1, return_as="generator_unordered")
            yield from parallel(delayed(_perform)(run, True) for run in todo)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise FSMError(f"running on a Dask cluster needs dask.distributed; install it with: "
                       f"{INSTALL_CLUSTER}") from None
    return distributed


def _on_dask(todo: list[Run], workers: int, scheduler: str):
    import logging

    distributed = _import_distributed()
    cluster = None
    try:
        if scheduler == "local":
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                               processes=True, dashboard_address=None,
                                               silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
        else:
            try:
                client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as err:
                raise FSMError(f"could not reach the Dask scheduler at {scheduler!r}: {err}") \
                    from None
        with client:
            token = uuid.uuid4().hex[:8]
            futures = [client.submit(_perform, run, True, key=f"fsm-run-{run.id}-{token}",
                                     pure=False) for run in todo]
            for future in distributed.as_completed(futures):
                yield future.result()
    finally:
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------------- files
class _Sink:
    """The output file: rows already there (for ``resume``), and each new row written at once.

    CSV rows are appended and flushed; a Parquet file is rewritten whole (to a temporary
    file, then renamed) after every row, so it is always a complete file.
    """

    def __init__(self, path: Path, wanted_columns: list[str], resume: bool):
        self.path, self.kind = path, _kind(path)
        if self.kind == "parquet":
            _import_pyarrow()
        self.rows: list[dict] = []
        self.columns = wanted_columns
        self._handle = None
        if path.exists():
            if not resume:
                raise FSMError(f"{path} exists: resume that sweep (--resume), or write to "
                               "another file")
            self.rows, stored_columns, damaged = _read_file(path, self.kind)
            self.columns = stored_columns + [c for c in wanted_columns
                                             if c not in stored_columns]
            if damaged or self.columns != stored_columns:
                self._rewrite()          # a torn last line (killed mid-write), or new columns
        elif self.kind == "csv":
            path.parent.mkdir(parents=True, exist_ok=True)
            self._rewrite()
        if self.kind == "csv":
            self._handle = path.open("a", newline="", encoding="utf-8")
            self._writer = csv.DictWriter(self._handle, self.columns)

    def write(self, row: dict) -> None:
        self.rows.append(row)
        if self._handle is not None:                  # CSV
            self._writer.writerow(_csv_cells(row, self.columns))
            self._handle.flush()
        else:
            self._rewrite()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _rewrite(self) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.kind == "csv":
            with temporary.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, self.columns)
                writer.writeheader()
                writer.writerows(_csv_cells(row, self.columns) for row in self.rows)
        else:
            _write_parquet(temporary, self.rows, self.columns)
        os.replace(temporary, self.path)


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise FSMError(f"{path}: a sweep's output file ends in .csv or .parquet")
    return suffix[1:]


def _import_pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise FSMError(f"writing or reading Parquet needs pyarrow ({INSTALL_PARQUET}); or "
                       "use a .csv file") from None
    return pyarrow


def _csv_cells(row: dict, names: list[str]) -> dict:
    cells = {}
    for name in names:
        value = row.get(name)
        if value is None:
            cells[name] = ""
        elif RESULT_COLUMNS.get(name) == "json":
            cells[name] = json.dumps(value, separators=(",", ":"))
        else:
            cells[name] = value          # str(float) round-trips exactly
    return cells


def _write_parquet(path: Path, rows: list[dict], names: list[str]) -> None:
    pa = _import_pyarrow()
    arrays = {}
    for name in names:
        values = [row.get(name) for row in rows]
        kind = RESULT_COLUMNS.get(name) or _infer_kind(values)
        if kind == "json":
            values = [None if v is None else json.dumps(v, separators=(",", ":"))
                      for v in values]
        elif kind == "str":
            values = [None if v is None else str(v) for v in values]
        elif kind == "float":
            values = [None if v is None else float(v) for v in values]
        arrays[name] = pa.array(values, type={"int": pa.int64(), "float": pa.float64(),
                                              "bool": pa.bool_()}.get(kind, pa.string()))
    pa.parquet.write_table(pa.table(arrays), path)


def _infer_kind(values: list) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "bool"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "int"
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       for v in present):
        return "float"
    return "str"


def read(source: str | os.PathLike | bytes, kind: str | None = None) -> list[dict]:
    """The rows of a sweep output file, typed as :func:`execute` returned them.

    ``source`` is a path (``kind`` from its extension) or the file's bytes (then ``kind``
    is ``"csv"`` or ``"parquet"``).  A torn last CSV line (a sweep killed mid-write) is
    left out.  FSMError when the file is not a sweep output file.
    """
    if isinstance(source, bytes):
        if kind not in ("csv", "parquet"):
            raise FSMError("say whether the data is 'csv' or 'parquet'")
        return _read_data(source, kind, "the uploaded file")[0]
    path = Path(source)
    return _read_file(path, kind or _kind(path))[0]


def _read_file(path: Path, kind: str) -> tuple[list[dict], list[str], bool]:
    return _read_data(path.read_bytes(), kind, str(path))


def _read_data(data: bytes, kind: str, name: str) -> tuple[list[dict], list[str], bool]:
    """``(rows, columns, damaged)`` of a sweep file's bytes."""
    if kind == "parquet":
        pa = _import_pyarrow()
        try:
            table = pa.parquet.read_table(pa.BufferReader(data))
        except (pa.ArrowException, OSError) as err:
            raise FSMError(f"{name} is not a readable Parquet file: {err}") from None
        names = table.column_names
        raw = table.to_pylist()
        damaged = False
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise FSMError(f"{name} is not a UTF-8 CSV file") from None
        lines = list(csv.reader(io.StringIO(text, newline="")))
        if not lines:
            return [], [], False
        names, body = lines[0], lines[1:]
        whole = [cells for cells in body if len(cells) == len(names)]
        damaged = len(whole) < len(body)
        raw = [dict(zip(names, cells, strict=True)) for cells in whole]
    missing = [c for c in ("run_id", "task", "model", "seed", "metric") if c not in names]
    if missing:
        raise FSMError(f"{name} is not a sweep output file: no {', '.join(missing)} column")
    rows = []
    for cells in raw:
        try:
            rows.append(_typed(cells))
        except (ValueError, FSMError):
            damaged = True                   # a torn row whose cells still counted right
    return rows, names, damaged


def _typed(cells: dict) -> dict:
    """A row read from a file with its Python types back (parameters through their tables);
    the empty parameter columns of other tasks and models are left out, as in the rows
    :func:`execute` returns."""
    row = {}
    for name, value in cells.items():
        if value == "":
            value = None
        kind = RESULT_COLUMNS.get(name)
        if kind is None:                             # a task.* or model.* parameter
            param = _param_of(name, cells)
            if param is None:                        # another model's, or unknown: as it is
                if value is not None:
                    row[name] = value
            elif isinstance(value, str) and param.type != "text":
                row[name] = param.parse(cells[name.partition(".")[0]], value)
            else:
                row[name] = value
        elif value is None or not isinstance(value, str):
            row[name] = value
        elif kind == "json":
            row[name] = json.loads(value)
        elif kind == "int":
            row[name] = int(value)
        elif kind == "float":
            row[name] = float(value)
        elif kind == "bool":
            row[name] = {"True": True, "False": False}[value]
        elif kind == "str":
            row[name] = value
    return row


def _param_of(name: str, cells: dict) -> Param | None:
    """The parameter of a ``task.*`` / ``model.*`` column in this row's task or model table
    (None: another task's or model's, or unknown to this version)."""
    group, _, param_name = name.partition(".")
    try:
        table = tasks.params(cells["task"]) if group == "task" else \
            models.get(cells["model"]).params if group == "model" else ()
    except FSMError:
        return None
    return next((p for p in table if p.name == param_name), None)


# ---------------------------------------------------------------------- summary
def _params(row: dict, group: str) -> dict:
    prefix = f"{group}."
    return {k[len(prefix):]: v for k, v in row.items() if k.startswith(prefix) and v is not None}


def swept(rows: Sequence[dict]) -> dict[str, list[str]]:
    """The parameters a sweep varied: ``{"task NAME": [...], "model NAME": [...]}``, the
    ``task.*`` columns that take more than one value among the rows of each task and the
    ``model.*`` columns that do among the rows of each model."""
    values: dict[str, dict[str, set]] = {}
    for row in rows:
        for group in ("task", "model"):
            seen = values.setdefault(f"{group} {row[group]}", {})
            for name, value in _params(row, group).items():
                seen.setdefault(name, set()).add(repr(value))
    return {key: [name for name, distinct in names.items() if len(distinct) > 1]
            for key, names in values.items()}


def _finite(value) -> bool:
    return value is not None and math.isfinite(value)


def summarise(rows: Sequence[dict]) -> list[dict]:
    """One row per setting (everything but the seed), in the order first seen.

    Each has ``task``, ``model``, ``label``, ``task_params``, ``params`` (the model's),
    ``swept`` (the values of the swept parameters, e.g. ``{"k": 3, "n_machines": 400}``),
    ``metric`` (its name), ``mean`` and ``sd`` over the seeds that ran (sample sd; 0 for
    one; None when none did), ``chance``, ``successes`` (seeds that solved the task; None
    without a success level), ``seeds`` (runs that finished), ``errors`` (runs that
    failed), and the medians of ``seconds``, ``updates`` and ``seen`` (with ``seen_unit``).
    """
    varied = swept(rows)
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        key = (row["task"], row["model"], repr(sorted(_params(row, "task").items())),
               repr(sorted(_params(row, "model").items())), row.get("budget_seconds"),
               row.get("budget_updates"))
        groups.setdefault(key, []).append(row)
    summary = []
    for group in groups.values():
        first = group[0]
        task_params, params = _params(first, "task"), _params(first, "model")
        ok = [r for r in group if r.get("error") is None and _finite(r.get("metric"))]
        values = np.array([r["metric"] for r in ok], dtype=float)
        flags = [r["solved"] for r in ok]
        shown = {**{k: task_params[k] for k in varied[f"task {first['task']}"]
                    if k in task_params},
                 **{k: params[k] for k in varied[f"model {first['model']}"] if k in params}}
        summary.append({
            "task": first["task"], "model": first["model"], "label": first["label"],
            "task_params": task_params, "params": params, "swept": shown,
            "metric": next((r["metric_name"] for r in group if r.get("metric_name")), None),
            "mean": float(values.mean()) if len(values) else None,
            "sd": (float(values.std(ddof=1)) if len(values) > 1 else 0.0)
            if len(values) else None,
            "chance": float(np.mean([r["chance"] for r in ok])) if ok else None,
            "successes": None if not ok or flags[0] is None else int(sum(map(bool, flags))),
            "seeds": len(ok), "errors": len(group) - len(ok),
            "seconds": _median(ok, "seconds"), "updates": _median(ok, "updates"),
            "seen": _median(ok, "seen"), "seen_unit": ok[0]["seen_unit"] if ok else None,
        })
    return summary


def _median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return float(np.median(values)) if values else None


def format_summary(summary: Sequence[dict]) -> str:
    """A Markdown table of :func:`summarise` rows."""
    header = ["task", "model", "swept", "metric", "mean ± sd", "chance", "solved", "seconds",
              "updates", "seeds"]
    cells = []
    for s in summary:
        value = "failed" if s["mean"] is None else f"{s['mean']:.4g} ± {s['sd']:.2g}"
        solved = "—" if s["successes"] is None else f"{s['successes']}/{s['seeds']}"
        seeds = str(s["seeds"]) + (f" ({s['errors']} failed)" if s["errors"] else "")
        cells.append([s["task"], s["label"],
                      " ".join(f"{k}={v}" for k, v in s["swept"].items()) or "—",
                      s["metric"] or "—", value,
                      "—" if s["chance"] is None else f"{s['chance']:.3g}", solved,
                      "—" if s["seconds"] is None else f"{s['seconds']:.2f}",
                      "—" if s["updates"] is None else f"{s['updates']:.0f}", seeds])
    return experiments.markdown(header, cells)


# ---------------------------------------------------------------------- figure
def sweep_figure(rows: Sequence[dict]):
    """A Plotly figure of a sweep: the metric against the swept parameter, one line per
    model setting, mean ± sd over seeds as error bars, chance as a dotted line.

    The x axis is the first swept task parameter; without one, each model's first swept
    parameter (a model with none swept is a dashed level across the plot); with nothing
    swept, the models side by side.  Several tasks get one panel each.  Failed runs are
    left out.  FSMError when plotly is not installed or no run finished.
    """
    try:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots
    except ImportError:
        raise FSMError(f"drawing a sweep needs plotly; install it with: {INSTALL_PLOTLY}") \
            from None
    ok = [r for r in rows if r.get("error") is None and _finite(r.get("metric"))]
    if not ok:
        raise FSMError("no run of the sweep finished, so there is nothing to draw")
    names = list(dict.fromkeys(r["task"] for r in ok))
    columns_ = min(len(names), 3)
    figure = make_subplots(rows=math.ceil(len(names) / columns_), cols=columns_,
                           subplot_titles=names if len(names) > 1 else None)
    varied = swept(ok)
    x_names: list[str] = []
    colours = _colours()
    colour_of: dict[str, str] = {}
    for index, name in enumerate(names):
        position = {"row": index // columns_ + 1, "col": index % columns_ + 1}
        task_rows = [r for r in ok if r["task"] == name]
        lines, x_title = _lines(task_rows, varied)
        x_names.append(x_title)
        for line in lines:
            colour = colour_of.setdefault(line["name"], next(colours))
            figure.add_trace(go.Scatter(
                x=line["x"], y=line["mean"], name=line["name"], legendgroup=line["name"],
                showlegend=line["name"] not in [t.name for t in figure.data],
                mode="lines+markers" if not line["level"] else "lines",
                line={"color": colour, "dash": "dash" if line["level"] else "solid"},
                error_y={"type": "data", "array": line["sd"], "visible": not line["level"]},
                customdata=line["seeds"],
                hovertemplate=f"{line['name']}<br>{x_title}=%{{x}}<br>mean %{{y:.4g}} ± "
                              "%{error_y.array:.2g} over %{customdata} seeds<extra></extra>"),
                **position)
        chance = float(np.mean([r["chance"] for r in task_rows]))
        figure.add_hline(y=chance, line={"dash": "dot", "color": "grey"},
                         annotation_text="chance", **position)
        metric = task_rows[0]["metric_name"]
        figure.update_yaxes(title_text=metric, **position)
        figure.update_xaxes(title_text=x_title, **position)
        xs = sorted({x for line in lines if not line["level"] for x in line["x"]}, key=repr)
        if _log_axis(xs):
            figure.update_xaxes(type="log", **position)
        if _numeric(xs) and len(xs) <= 12:          # ticks at the values swept, not between
            figure.update_xaxes(tickmode="array", tickvals=sorted(xs), **position)
    metrics = ", ".join(dict.fromkeys(r["metric_name"] for r in ok))
    against = ", ".join(dict.fromkeys(x_names))
    figure.update_layout(title={"text": f"Sweep: {metrics} against {against} "
                                        "(mean ± sd over seeds)"},
                         legend={"title": {"text": "model"}}, template="plotly_white")
    return figure


def _colours():
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
               "#7f7f7f", "#bcbd22", "#17becf"]
    return itertools.cycle(palette)


def _lines(task_rows: list[dict], varied: dict[str, list[str]]) -> tuple[list[dict], str]:
    """The lines of one task's panel and its x-axis title."""
    task_swept = varied[f"task {task_rows[0]['task']}"]
    if task_swept:                              # x: a task parameter; a line per model setting
        x_name = task_swept[0]
        keyed = [(r, _params(r, "task")[x_name]) for r in task_rows]
        return _points(keyed, varied, skip=x_name), x_name
    first_swept = {r["model"]: next(iter(varied[f"model {r['model']}"]), None)
                   for r in task_rows}
    x_names = [name for name in dict.fromkeys(first_swept.values()) if name is not None]
    if not x_names:                             # nothing swept: the models side by side
        return _points([(r, r["label"]) for r in task_rows], varied), "model"
    swept_rows = [r for r in task_rows if first_swept[r["model"]] is not None]
    lines = _points([(r, _params(r, "model")[first_swept[r["model"]]]) for r in swept_rows],
                    varied, skip_model=True)
    xs = [x for line in lines for x in line["x"]]
    ends = [min(xs), max(xs)] if _numeric(xs) else [xs[0], xs[-1]]
    levels = [r for r in task_rows if first_swept[r["model"]] is None]
    for line in _points([(r, None) for r in levels], varied):
        lines.append({**line, "x": ends, "mean": line["mean"] * 2, "sd": line["sd"] * 2,
                      "seeds": line["seeds"] * 2, "level": True})
    return lines, " / ".join(x_names)


def _points(keyed: list[tuple[dict, object]], varied: dict[str, list[str]],
            skip: str | None = None, skip_model: bool = False) -> list[dict]:
    """Lines from ``(row, x)`` pairs: one per setting (all but the seed and the x parameter),
    with the mean, sd and seed count at each x.

    A line is named by its model's label plus the other swept task parameters; where
    that leaves two settings with one name (the label does not show every parameter), the
    swept model parameters are added.  ``skip_model``: x is each model's first swept
    parameter, so lines are named by the model's registry label.
    """
    settings: dict[tuple, dict] = {}
    for row, x in keyed:
        task_params, params = _params(row, "task"), _params(row, "model")
        model_swept = varied[f"model {row['model']}"]
        if skip_model:
            model_swept = model_swept[1:]
        shown_task = {k: task_params[k] for k in varied[f"task {row['task']}"]
                      if k != skip and k in task_params}
        shown_model = {k: params[k] for k in model_swept if k in params}
        key = (row["model"], repr(sorted(params.items())) if not skip_model
               else repr(sorted(shown_model.items())), repr(sorted(shown_task.items())))
        base = models.get(row["model"]).label if skip_model else row["label"]
        line = settings.setdefault(key, {"base": base, "task": shown_task,
                                         "model": shown_model, "points": {}})
        line["points"].setdefault(x, []).append(row["metric"])
    names = {key: _name(line["base"], line["task"]) for key, line in settings.items()}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    lines = []
    for key, line in settings.items():
        name = names[key] if counts[names[key]] == 1 and not skip_model else \
            _name(line["base"], {**line["task"], **line["model"]})
        xs = list(line["points"])
        if _numeric(xs):
            xs.sort()
        values = [np.array(line["points"][x], dtype=float) for x in xs]
        lines.append({"name": name, "x": xs, "mean": [float(v.mean()) for v in values],
                      "sd": [float(v.std(ddof=1)) if len(v) > 1 else 0.0 for v in values],
                      "seeds": [len(v) for v in values], "level": False})
    return lines


def _name(base: str, extras: dict) -> str:
    return base + (f" ({', '.join(f'{k}={v}' for k, v in extras.items())})" if extras else "")


def _numeric(values: list) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _log_axis(values: list) -> bool:
    """Numbers spanning at least a factor of 10, all positive: a logarithmic axis."""
    if not values or not _numeric(values) or min(values) <= 0:
        return False
    return max(values) / min(values) >= 10


def write_figure(rows: Sequence[dict], path: str | os.PathLike) -> Path:
    """Write :func:`sweep_figure` of ``rows`` as a self-contained HTML file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_figure(rows).write_html(path, include_plotlyjs=True)
    return path
