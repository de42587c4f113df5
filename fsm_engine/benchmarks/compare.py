"""FSM network, echo state network and LSTM on every task, compared fairly: one sweep.

The suite (:data:`SUITE`) is a list of tasks, each with its parameters, a time budget
per run (seconds of processor time of one thread, :data:`CLOCK`) and the models to
compare: a generic FSM network (random machines, one-hot state features, ridge readout),
the FSM family designed for the task where one exists, the echo state network and the
LSTM (plus, on five-bit memory, the FSM network's
no-recurrence ablation TASKS.md asks for).  Everything runs through
:func:`fsm_engine.sweep.execute` (local ``loky`` workers, one BLAS thread each), so the
suite is sweep configurations and its rows are sweep rows, in two stages:

1. **Search** on a validation split.  Every model gets the same declared budget: at
   most :data:`N_CONFIGS` configurations (:func:`search_grid` says which values), each
   trained for the task's ``search_seconds`` on the task instances of
   :data:`VALIDATION_SEEDS` (seeds no final run uses), scored on their held-out part.
   The best configuration wins (:func:`ranking`: the primary metric, then the earlier
   solve, then the lower held-out loss).
2. **Final runs**: the chosen configuration on every seed of :data:`TEST_SEEDS`, trained
   to the task's ``seconds`` (stopping once solved), scored on held-out data, each with
   its learning curve (seconds, sequences or steps seen, held-out metric).

3. **Sequences to solve** (embedded Reber, temporal order): the readout models' chosen
   configurations on training sets of :data:`SEQUENCE_SIZES` sequences (each one
   closed-form solve), beside the sequences the LSTM had seen when it first solved the
   held-out set, and Hochreiter & Schmidhuber's (1997) counts.

``results/compare.json`` keeps the budgets and task parameters (``tasks``), the chosen
hyper-parameters (``chosen[task][model]``, machine-readable: the Compare page's
defaults), every search and final run with its curve, the per-model summaries, the
text n-gram baselines and the machine's load average at start and end.
``results/compare.md`` is the tables; ``results/figures/compare_*.png`` the curves;
``results/compare_search.csv``, ``compare_runs.csv`` and ``compare_sequences.csv`` the
sweep files (``--resume`` continues a killed run from them, or rewrites the JSON, tables
and figures from them when every run is there); ``compare_meta.json`` when each stage
ran and the load average then.

``python bench/compare.py`` (same as ``fsm-explorer bench compare``) runs it all;
``--quick`` is a minutes-long version (three small tasks, two seeds, tiny budgets,
``--scale`` shrinks every budget further).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import metrics, sweep, tasks
from ..experiments import EVAL_SHARE, SUCCESS, markdown
from . import results

#: validation instances (the search) and test instances (the final runs): disjoint seeds
VALIDATION_SEEDS = (1000,)
TEST_SEEDS = (0, 1, 2, 3, 4)
#: most configurations any model tries in the search (the same for every model)
N_CONFIGS = 4
WORKERS = 2
#: the command that regenerates the results
COMMAND = "fsm-explorer bench compare"
#: budgets are seconds of processor time of the run's one thread (what an idle core would
#: take): on a shared machine wall-clock budgets shrink with the load, and shrink most for
#: the model that needs the most updates
CLOCK = "cpu"
#: the models compared, in table order: role -> (registry model, what it is)
ROLES = {
    "fsm": ("fsm", "FSM network, random machines"),
    "fsm_designed": ("fsm", "FSM network, family designed for the task"),
    "fsm_no_recurrence": ("fsm", "FSM network, no-recurrence ablation of the chosen random "
                                 "network"),
    "esn": ("esn", "echo state network"),
    "lstm": ("lstm", "LSTM"),
}


@dataclass(frozen=True)
class Entry:
    """One task of the suite.

    Attributes
    ----------
    key : the task's name in the results (unique; the task name where that is).
    task, params : the ``tasks.make`` name and parameters (the seed aside).
    seconds : budget of each final run, in seconds of processor time (``CLOCK``; building
        the model counts).
    search_seconds : budget of each search run.
    designed : the designed FSM family's configurations (empty: none exists).
    ablation : also run the chosen random network without recurrence.
    lstm : LSTM parameters fixed for this task (beside the searched ones).
    why : why the designed family fits, for the results.
    """

    key: str
    task: str
    params: dict
    seconds: float
    search_seconds: float
    designed: tuple[dict, ...] = ()
    ablation: bool = False
    lstm: dict = field(default_factory=dict)
    why: str = ""

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(role for role in ROLES if role == "fsm" or role in ("esn", "lstm")
                     or (role == "fsm_designed" and self.designed)
                     or (role == "fsm_no_recurrence" and self.ablation))


def _delay_lines(*ks: int) -> tuple[dict, ...]:
    return tuple({"family": "delay_line", "n_machines": 1, "k": k} for k in ks)


def _ridge(**values) -> dict:
    return {"features": "state", "solver": "ridge", **values}


SUITE: tuple[Entry, ...] = (
    Entry("delayed_recall", "delayed_recall", {"k": 3, "m": 4, "T": 10_000}, 15, 8,
          designed=tuple(_ridge(**d) for d in _delay_lines(3, 4, 5)),
          why="a delay line of k+1 symbols holds x[t-k] exactly"),
    Entry("memory_capacity", "memory_capacity", {"K": 100, "m": 2, "T": 10_000}, 60, 8,
          designed=tuple(_ridge(**d) for d in _delay_lines(8, 10, 12)),
          lstm={"window": 200},
          why="a delay line of k bits holds the last k-1 inputs exactly (MC = k-1); "
              "4 096 states (k=12) is the family's cap"),
    Entry("temporal_parity", "temporal_parity", {"n": 5, "tau": 2, "T": 10_000}, 30, 8,
          designed=tuple(_ridge(**d) for d in _delay_lines(6, 7, 8)),
          why="a delay line of n+τ bits makes the window's parity a lookup"),
    Entry("five_bit_memory", "five_bit_memory", {"T0": 200}, 200, 12, ablation=True),
    Entry("five_bit_memory_held_out", "five_bit_memory", {"T0": 200, "n_test": 8}, 200, 12,
          ablation=True),
    Entry("twenty_bit_memory", "twenty_bit_memory", {"T0": 50, "n_train": 500, "n_test": 100},
          200, 12),
    Entry("embedded_reber", "embedded_reber", {"n_strings": 1000}, 30, 8),
    Entry("temporal_order", "temporal_order", {"q": 2, "n_sequences": 1000}, 100, 12,
          designed=tuple(_ridge(family="random", n_machines=500, stay=stay, n_states=states)
                         for stay in (0.7, 0.9) for states in (4, 8)),
          why="slow random machines (a transition stays put with probability `stay`) keep "
              "rare events for about 1/(1-stay) steps"),
    Entry("adding", "adding", {"T": 100, "levels": 10, "n_sequences": 1000}, 30, 8,
          designed=tuple(_ridge(family="gated_cell", n_machines=n, l2=l2)
                         for n in (300, 1000) for l2 in (1e-3, 10.0)),
          why="gated cells latch the symbol after their write symbol"),
    Entry("narma10", "series", {"name": "narma10", "levels": 16, "T": 10_000}, 60, 8,
          designed=tuple(_ridge(**d) for d in _delay_lines(1, 2, 3)),
          why="a delay line of the quantised input is an n-gram of it"),
    Entry("mackey_glass", "series", {"name": "mackey_glass", "levels": 16, "T": 10_000}, 60,
          8, designed=tuple(_ridge(**d) for d in _delay_lines(1, 2, 3)),
          why="a delay line of the quantised input is an n-gram of it"),
    Entry("text", "text", {"corpus": "shakespeare", "T": 2_000_000, "max_symbols": 64,
                           "test_fraction": 0.1}, 60, 12,
          designed=tuple({"family": "delay_line", "n_machines": 1, "k": k, "features": "state",
                          "loss": "softmax", "solver": "adam", "lr": lr, "l2": 1e-6}
                         for k in (1, 2) for lr in (0.01, 0.03)),
          lstm={"n_hidden": 128},
          why="a delay line of k characters with a softmax readout is a (k+1)-gram model"),
)

#: sequences to solve: the tasks H&S 1997 counted training sequences on, the parameter that
#: sets their episode count, and the published counts for the LSTM
SEQUENCE_TASKS = {"embedded_reber": "n_strings", "temporal_order": "n_sequences"}
HOCHREITER_SCHMIDHUBER = {"embedded_reber": "8 440–39 740 strings (97–100 % of trials)",
                          "temporal_order": "31 390 sequences"}
#: training-set sizes the readout models (one closed-form solve) are given
SEQUENCE_SIZES = (50, 100, 200, 400, 800, 1600)
#: at most this many held-out test sequences (fewer for small training sets: a test set is
#: at most as large as the training set)
SEQUENCE_TEST = 200

#: task names the suite has no key of, and the key whose choices stand for them in ``chosen``
#: (the Compare page looks choices up by task name; ``mackey_glass`` is the series default)
ALIASES = {"series": "mackey_glass"}

#: the --quick suite: small tasks, tiny budgets (minutes in all)
QUICK_SUITE: tuple[Entry, ...] = (
    Entry("delayed_recall", "delayed_recall", {"k": 2, "m": 3, "T": 2000}, 6, 3,
          designed=tuple(_ridge(**d) for d in _delay_lines(2, 3))),
    Entry("five_bit_memory", "five_bit_memory", {"T0": 20}, 8, 3, ablation=True),
    Entry("text", "text", {"corpus": "shakespeare", "T": 20_000, "max_symbols": 64,
                           "test_fraction": 0.1}, 6, 3,
          designed=({"family": "delay_line", "n_machines": 1, "k": 1, "features": "state",
                     "loss": "softmax", "solver": "adam", "lr": 0.03},),
          lstm={"n_hidden": 32}),
)
QUICK_SEEDS = (0, 1)
#: the --quick suite's models are smaller (and each tries at most two configurations)
QUICK_SIZES = {"fsm": {"n_machines": 100}, "esn": {"n_units": 100},
               "lstm": {"n_hidden": 16}}
QUICK_CONFIGS = 2


# ---------------------------------------------------------------------- the search space
def search_grid(entry: Entry, role: str) -> list[dict]:
    """The configurations ``role`` tries on ``entry`` (at most ``N_CONFIGS``): complete
    enough that the rest are the registry's defaults."""
    text = entry.task == "text"
    if role == "fsm":
        base = {"n_machines": 500, "family": "random", "features": "state"}
        if text:
            return [{**base, "n_states": 8, "loss": "softmax", "solver": "adam", "lr": lr,
                     "l2": l2} for lr in (3e-3, 1e-2) for l2 in (1e-6, 1e-4)]
        return [{**base, "n_states": states, "solver": "ridge", "l2": l2}
                for states in (4, 8) for l2 in (1e-3, 10.0)]
    if role == "esn":
        if text:
            return [{"n_units": 500, "loss": "softmax", "solver": "adam", "lr": lr, "l2": l2}
                    for lr in (3e-3, 1e-2) for l2 in (1e-6, 1e-4)]
        return [{"n_units": 500, "spectral_radius": radius, "leak": leak,
                 "input_scaling": scaling, "solver": "ridge", "l2": l2}
                for radius, leak, scaling, l2 in ((0.9, 1.0, 1.0, 1e-6), (0.9, 1.0, 1.0, 1.0),
                                                  (1.0, 1.0, 0.1, 1e-6),
                                                  (0.95, 0.2, 0.5, 1e-6))]
    if role == "lstm":
        rates = (3e-3, 1e-2) if text else (1e-2, 3e-2)
        return [{"n_hidden": 64, "batch_size": 32, **entry.lstm, "lr": lr,
                 "forget_bias": bias} for lr in rates for bias in (1.0, 5.0)]
    if role == "fsm_designed":
        return [dict(config) for config in entry.designed]
    raise ValueError(f"role {role!r} has no search (it follows another role's choice)")


def _quick_grid(entry: Entry, role: str) -> list[dict]:
    model = ROLES[role][0]
    return [{**config, **({} if role == "fsm_designed" else QUICK_SIZES[model])}
            for config in search_grid(entry, role)[:QUICK_CONFIGS]]


# ---------------------------------------------------------------------- runs
def _runs(entry: Entry, role: str, configs: Sequence[dict], seeds: Sequence[int],
          seconds: float) -> list[sweep.Run]:
    """Sweep runs of ``configs`` (each one configuration) of ``role`` on ``entry``."""
    config = {"seeds": list(seeds), "seconds": seconds, "clock": CLOCK,
              "task": {"task": entry.task, **entry.params},
              "models": {ROLES[role][0]: [dict(c) for c in configs]}}
    return sweep.expand(config, source=f"compare {entry.key} {role}")


def ranking(row: dict) -> tuple:
    """Sort key of a search row (smaller is better): the primary metric (its better
    direction), then the seconds to solve (solved rows first), then the held-out loss,
    then the seconds used.  Failed rows last."""
    metric = row.get("metric")
    if row.get("error") is not None or not results.finite(metric):
        return (1, math.inf, math.inf, math.inf, math.inf)
    sign = -1.0 if metrics.GREATER_IS_BETTER[row["metric_name"]] else 1.0
    solved_at = row.get("solved_at_seconds")
    loss = (row.get("scores") or {}).get("loss")
    return (0, sign * metric, solved_at if results.finite(solved_at) else math.inf,
            loss if results.finite(loss) else math.inf, row.get("seconds") or math.inf)


def _params(row: dict) -> dict:
    return {k[6:]: v for k, v in row.items() if k.startswith("model.")}


def _final_configs(entry: Entry, chosen: dict) -> dict[str, dict]:
    """role -> the configuration its final runs use."""
    finals = {role: chosen[role] for role in entry.roles if role in chosen}
    if entry.ablation and "fsm" in chosen:
        finals["fsm_no_recurrence"] = {**chosen["fsm"], "recurrence": False}
    return finals


# ---------------------------------------------------------------------- the benchmark
def run(*, quick: bool = False, only: Sequence[str] | None = None, seeds: Sequence[int] | None
        = None, scale: float = 1.0, workers: int = WORKERS, out: Path | None = None,
        resume: bool = False, progress: Callable[[str], None] = print) -> dict:
    """Search, then the final runs; write the result files; return the result dict.

    Parameters
    ----------
    quick : the minutes-long version (``QUICK_SUITE``, ``QUICK_SEEDS``, small models).
    only : task keys to run (default: all of the suite).
    seeds : the test seeds (default ``TEST_SEEDS``, or ``QUICK_SEEDS``).
    scale : multiplies every budget (e.g. 0.2 for a test of the whole path).
    workers : local worker processes (one BLAS thread each).
    out : the JSON file to write (``.md``, ``_search.csv``, ``_runs.csv`` beside it;
        figures in ``figures/`` beside it); default ``results/compare.json``.
    resume : continue from the sweep files a killed run left.
    """
    suite = QUICK_SUITE if quick else SUITE
    if only:
        unknown = sorted(set(only) - {e.key for e in suite})
        if unknown:
            raise SystemExit(f"unknown task key(s) {', '.join(unknown)}; the suite has "
                             f"{', '.join(e.key for e in suite)}")
        suite = tuple(e for e in suite if e.key in only)
    seeds = tuple(seeds or (QUICK_SEEDS if quick else TEST_SEEDS))
    grid = _quick_grid if quick else search_grid
    out = Path(out) if out is not None else results.default_out("compare.json")
    stem = out.with_suffix("")
    clock = _Clock(Path(f"{stem}_meta.json"), resume)
    progress(f"load average at start: {results.load_average()}")

    # 1. the search: every searched role of every task, on the validation seeds
    search_runs, search_role = [], {}
    for entry in suite:
        for role in entry.roles:
            if role == "fsm_no_recurrence":
                continue
            for run_ in _runs(entry, role, grid(entry, role), VALIDATION_SEEDS,
                              entry.search_seconds * scale):
                search_runs.append(run_)
                search_role[run_.id] = (entry.key, role)
    progress(f"search: {len(search_runs)} runs on {workers} workers")
    with clock.stage("search"):
        search_rows = sweep.execute(search_runs, workers=workers, out=f"{stem}_search.csv",
                                    resume=resume, progress=_progress(progress, "search", clock))
    chosen: dict[str, dict[str, dict]] = {}
    for entry in suite:
        for role in entry.roles:
            rows = [r for r in search_rows if search_role[r["run_id"]] == (entry.key, role)]
            if rows:
                chosen.setdefault(entry.key, {})[role] = _params(min(rows, key=ranking))
    for name, key in ALIASES.items():
        if key in chosen and name not in chosen:
            chosen[name] = chosen[key]

    # 2. the final runs: the chosen configurations on the test seeds
    final_runs, final_role = [], {}
    for entry in suite:
        for role, config in _final_configs(entry, chosen.get(entry.key, {})).items():
            for run_ in _runs(entry, role, [config], seeds, entry.seconds * scale):
                final_runs.append(run_)
                final_role[run_.id] = (entry.key, role)
    progress(f"final: {len(final_runs)} runs on {workers} workers")
    with clock.stage("final"):
        final_rows = sweep.execute(final_runs, workers=workers, out=f"{stem}_runs.csv",
                                   resume=resume, progress=_progress(progress, "final", clock))

    # 3. sequences to solve: the readout models on growing training sets
    sequence_runs, sequence_role = [], {}
    for entry in suite:
        if entry.key not in SEQUENCE_TASKS or quick:
            continue
        for role, config in _final_configs(entry, chosen.get(entry.key, {})).items():
            if ROLES[role][0] == "lstm" or role == "fsm_no_recurrence":
                continue
            for n_train in SEQUENCE_SIZES:
                sized = _sized(entry, n_train)
                for run_ in _runs(sized, role, [config], seeds, entry.seconds * scale):
                    sequence_runs.append(run_)
                    sequence_role[run_.id] = (entry.key, role, n_train)
    sequence_rows = []
    if sequence_runs:
        progress(f"sequences: {len(sequence_runs)} runs on {workers} workers")
        with clock.stage("sequences"):
            sequence_rows = sweep.execute(sequence_runs, workers=workers,
                                          out=f"{stem}_sequences.csv", resume=resume,
                                          progress=_progress(progress, "sequences", clock))

    result = _result(suite, chosen, search_rows, search_role, final_rows, final_role,
                     seeds=seeds, scale=scale, quick=quick, workers=workers,
                     clock=clock.record, grid=grid)
    result["sequences"] = sequences(result, sequence_rows, sequence_role)
    results.write_json(result, out)
    out.with_suffix(".md").write_text(format_tables(result) + "\n")
    try:
        from . import figures
    except ImportError:                          # matplotlib missing: tables only
        progress("matplotlib is not installed: no figures (pip install matplotlib)")
    else:
        for path in figures.compare_figures(result, out.parent / "figures"):
            progress(f"wrote {path}")
    return result


class _Clock:
    """When each stage ran, what it executed and the load average at its start and end,
    kept in a small JSON file beside the results (so a resumed run keeps the first
    start)."""

    def __init__(self, path: Path, resume: bool):
        self.path = path
        self.record: dict[str, Any] = {"stages": {}}
        if resume and path.exists():
            self.record = json.loads(path.read_text())
        self._executed = 0

    @contextlib.contextmanager
    def stage(self, name: str):
        entry = self.record["stages"].setdefault(name, {"executed": 0, "sessions": []})
        session: dict[str, object] = {"started": time.strftime("%Y-%m-%d %H:%M:%S"),
                                      "load_average_start": results.load_average()}
        entry["sessions"].append(session)
        self._executed, tick = 0, time.perf_counter()
        self._save()
        try:
            yield
        finally:
            session.update(finished=time.strftime("%Y-%m-%d %H:%M:%S"),
                           load_average_end=results.load_average(),
                           wall_seconds=round(time.perf_counter() - tick, 1),
                           executed=self._executed)
            entry["executed"] += self._executed
            if not self._executed and len(entry["sessions"]) > 1:
                entry["sessions"].pop()          # a resume with nothing left to run
            self._save()

    def count(self) -> None:
        self._executed += 1

    def _save(self) -> None:
        results.write_json(self.record, self.path)


def _sized(entry: Entry, n_train: int) -> Entry:
    """``entry`` with ``n_train`` training episodes and min(n_train, SEQUENCE_TEST) test
    episodes (held out at the end)."""
    n_test = min(n_train, SEQUENCE_TEST)
    total = n_train + n_test
    params = {**entry.params, SEQUENCE_TASKS[entry.key]: total, "test_fraction": n_test / total}
    return Entry(entry.key, entry.task, params, entry.seconds, entry.search_seconds)


def sequences(result: dict, rows: list[dict], where: dict) -> dict:
    """Training sequences to solve, per task: the LSTM's (sequences seen when a final run
    first solved the held-out set, per seed) and each readout model's (the smallest
    training set whose closed-form solve solved it, per seed), beside H&S 1997's counts."""
    found: dict = {}
    for key, reference in HOCHREITER_SCHMIDHUBER.items():
        if key not in result["tasks"]:
            continue
        lstm = [r for r in result["runs"] if r["key"] == key and r["role"] == "lstm"]
        entry: dict[str, Any] = {
            "hochreiter_schmidhuber_1997": reference,
            "lstm": {"per_seed": [r["solved_at"]["seen"] if r.get("solved_at") else None
                                  for r in lstm],
                     "budget_seconds": result["tasks"][key]["seconds"],
                     "fresh_sequences": True},
            "readouts": {}}
        for role in ("fsm", "fsm_designed", "esn"):
            sized = [r for r in rows if where[r["run_id"]][:2] == (key, role)]
            if not sized:
                continue
            table = []
            for n_train in SEQUENCE_SIZES:
                group = [results.record(r) for r in sized if where[r["run_id"]][2] == n_train]
                if group:
                    table.append({"n_train": n_train, "n_test": min(n_train, SEQUENCE_TEST),
                                  **results.summary(group)})
            per_seed = []
            for seed in sorted({r["seed"] for r in sized}):
                sizes = [where[r["run_id"]][2] for r in sized
                         if r["seed"] == seed and r.get("solved")]
                per_seed.append(min(sizes) if sizes else None)
            entry["readouts"][role] = {"per_seed": per_seed, "by_size": table,
                                       "label": sized[0]["label"]}
        found[key] = entry
    return found


def _progress(say: Callable[[str], None], stage: str, clock: _Clock):
    started = time.perf_counter()
    resumed = []

    def report(done: int, total: int, row: dict | None) -> None:
        if row is None:
            resumed.append(done)
            if done:
                say(f"[{stage}] {done} of {total} runs resumed from the sweep file")
            return
        clock.count()
        value = "error" if row.get("error") else f"{row['metric']:.4g}"
        say(f"[{stage} {done}/{total} {time.perf_counter() - started:.0f}s] {row['task']} "
            f"{row['label']} seed {row['seed']}: {row['metric_name']} {value} "
            f"({row['seconds'] or 0:.1f}s)")
    return report


def _result(suite, chosen, search_rows, search_role, final_rows, final_role, *, seeds, scale,
            quick, workers, clock, grid) -> dict:
    task_info, summary, baselines = {}, [], {}
    for entry in suite:
        sample = tasks.make(entry.task, seed=seeds[0], **entry.params)
        task_info[entry.key] = {
            "task": entry.task, "params": entry.params, "metric": sample.metric,
            "chance": sample.chance, "success": SUCCESS.get(sample.metric),
            "seconds": entry.seconds * scale, "search_seconds": entry.search_seconds * scale,
            "roles": list(entry.roles), "designed_because": entry.why or None,
            "train_sequences": _train_sequences(sample),
            "search_space": {role: grid(entry, role) for role in entry.roles
                             if role != "fsm_no_recurrence"}}
        if entry.task == "text":
            baselines[entry.key] = text_baselines(sample)
        for role in entry.roles:
            records = [results.record(r, key=entry.key, role=role) for r in final_rows
                       if final_role[r["run_id"]] == (entry.key, role)]
            if records:
                summary.append({"key": entry.key, "role": role, "model": ROLES[role][0],
                                "label": records[0]["label"],
                                "metric": sample.metric, "chance": sample.chance,
                                **results.summary(records)})
    runs = [results.record(r, key=final_role[r["run_id"]][0], role=final_role[r["run_id"]][1])
            for r in final_rows]
    search = []
    for row in search_rows:
        key, role = search_role[row["run_id"]]
        record = results.record(row, key=key, role=role)
        record["chosen"] = _params(row) == chosen.get(key, {}).get(role)
        search.append(record)
    return {
        "meta": results.meta(
            quick=quick, scale=scale, workers=workers, blas_threads_per_worker=1,
            validation_seeds=list(VALIDATION_SEEDS), test_seeds=list(seeds),
            configurations_per_model=QUICK_CONFIGS if quick else N_CONFIGS,
            eval_share=EVAL_SHARE, clock=CLOCK, command=COMMAND + (" --quick" if quick else ""),
            stages=clock["stages"], wall_seconds=_wall_seconds(clock),
            load_average_start=_first_session(clock).get("load_average_start"),
            load_average_end=_last_session(clock).get("load_average_end"),
            cpu_share=_cpu_share(list(search_rows) + list(final_rows)),
            protocol=("search: every model tries at most the same number of configurations, "
                      "each for the task's search_seconds on the validation seeds' instances, "
                      "scored on their held-out part; the best by the primary metric (then "
                      "earlier solve, then lower held-out loss) is run on the test seeds for "
                      "the task's seconds, stopping once solved")),
        "roles": {role: {"model": model, "what": what} for role, (model, what) in ROLES.items()},
        "tasks": task_info, "chosen": chosen, "summary": summary, "baselines": baselines,
        "runs": runs, "search": search,
    }


def _cpu_share(rows: Sequence[dict]) -> float | None:
    """Processor seconds per wall-clock second the runs got (1.0: a core to themselves)."""
    timed = [r for r in rows if results.finite(r.get("cpu_seconds"))
             and results.finite(r.get("wall_seconds"))]
    wall = sum(r["wall_seconds"] for r in timed)
    return round(sum(r["cpu_seconds"] for r in timed) / wall, 3) if wall else None


def _sessions(clock: dict) -> list[dict]:
    return [s for stage in clock["stages"].values() for s in stage["sessions"]
            if s.get("executed", 1)]


def _first_session(clock: dict) -> dict:
    return min(_sessions(clock), key=lambda s: s["started"], default={})


def _last_session(clock: dict) -> dict:
    return max(_sessions(clock), key=lambda s: s["started"], default={})


def _wall_seconds(clock: dict) -> float | None:
    """Wall-clock seconds from the first session's start to the last one's end (sessions
    that executed nothing, e.g. a resume that only rewrote the files, left out; a session
    that was killed has no end, so a later one's end counts)."""
    first, last = _first_session(clock), _last_session(clock)
    if "started" not in first or "finished" not in last:
        return None
    stamp = "%Y-%m-%d %H:%M:%S"
    return round(time.mktime(time.strptime(last["finished"], stamp))
                 - time.mktime(time.strptime(first["started"], stamp)), 1)


def _train_sequences(task) -> float | None:
    """Training episodes of an episodic task (None for one long stream)."""
    if task.resets.sum() <= 1:
        return None
    episodes = metrics.episode_ids(task.resets)
    return float(len(set(episodes[task.train_mask].tolist())))


def text_baselines(task) -> dict:
    """Unigram, bigram and trigram bits per character of the text task (estimated on its
    training part, scored on its held-out tail; from the task's extras)."""
    extras = task.extras
    return {"unigram": float(task.chance), "bigram": float(extras["bigram_bits"]),
            "trigram": float(extras["trigram_bits"]) if "trigram_bits" in extras else None,
            "train_characters": int(task.train_mask.sum()),
            "test_characters": int(task.eval_mask.sum()), "alphabet": task.n_symbols}


# ---------------------------------------------------------------------- tables
SUMMARY_HEADER = ["task", "model", "configuration", "metric", "mean ± sd", "chance", "solved",
                  "seconds", "to solve (median)", "parameters"]


def _task_cell(key: str, info: dict) -> str:
    params = ", ".join(f"{k}={v}" for k, v in info["params"].items() if k != "corpus")
    return f"{key}({params})"


def _to_solve(s: dict) -> str:
    if s["solved_seen"] is None:
        return "—"
    unit = "seq" if s["seen_unit"] == "sequences" else "steps"
    return f"{s['solved_seen']:,.0f} {unit}, {s['solved_seconds']:.1f} s"


def summary_table(result: dict) -> str:
    cells = []
    for s in result["summary"]:
        info = result["tasks"][s["key"]]
        cells.append([_task_cell(s["key"], info), s["role"], s["label"], s["metric"],
                      results.value_cell(s), results.number(s["chance"]),
                      results.solved_cell(s), results.number(s["seconds"]),
                      _to_solve(s), f"{s['parameters']:,}" if s["parameters"] else "—"])
    return markdown(SUMMARY_HEADER, cells)


PIVOT_ROLES = ("fsm", "fsm_designed", "fsm_no_recurrence", "esn", "lstm")


def pivot_table(result: dict) -> str:
    """One row per task, one column per model: mean ± sd over the test seeds, seeds solved
    (where the task has a success level) and median seconds."""
    by = {(s["key"], s["role"]): s for s in result["summary"]}
    cells = []
    for key, info in result["tasks"].items():
        row = [_task_cell(key, info), info["metric"], results.number(info["chance"])]
        for role in PIVOT_ROLES:
            s = by.get((key, role))
            if s is None:
                row.append("")
                continue
            solved = "" if s["successes"] is None else f", {s['successes']}/{s['seeds']}"
            row.append(f"{results.value_cell(s)}{solved} ({results.number(s['seconds'], 2)} s)")
        cells.append(row)
    return markdown(["task", "metric", "chance", "FSM random", "FSM designed",
                     "FSM no recurrence", "ESN", "LSTM"], cells)


def chosen_table(result: dict) -> str:
    cells = []
    for key, roles in result["chosen"].items():
        if key not in result["tasks"]:                 # an alias
            continue
        info = result["tasks"][key]
        for role, params in roles.items():
            space = info["search_space"].get(role, [])
            varied = sorted({k for c in space for k in c if len({repr(d.get(k))
                                                                 for d in space}) > 1})
            shown = ", ".join(f"{k}={params.get(k)}" for k in varied) or "(one configuration)"
            cells.append([key, role, f"{len(space)}", shown,
                          f"{info['search_seconds']:g} s", f"{info['seconds']:g} s"])
    return markdown(["task", "model", "configurations tried", "chosen (searched values)",
                     "search budget", "final budget"], cells)


def baselines_table(result: dict) -> str:
    cells = []
    for key, b in result["baselines"].items():
        cells.append([key, f"{b['train_characters']:,}", f"{b['test_characters']:,}",
                      str(b["alphabet"]), results.number(b["unigram"]),
                      results.number(b["bigram"]), results.number(b["trigram"])])
    return markdown(["task", "training characters", "held-out characters", "symbols",
                     "unigram bpc", "bigram bpc", "trigram bpc"], cells)


def format_tables(result: dict) -> str:
    meta = result["meta"]
    lines = [f"# FSM network vs echo state network vs LSTM ({'quick' if meta['quick'] else 'full'}"
             " run)", "",
             f"{meta['date']}; {meta['workers']} worker processes, one BLAS thread each; load "
             f"average {meta['load_average_start']} at start, {meta['load_average_end']} at "
             f"end; {(meta['wall_seconds'] or 0) / 60:.0f} minutes. Budgets and seconds are "
             "processor "
             f"seconds of one core (a run got {meta['cpu_share']} processor seconds per "
             f"wall-clock second on average). Test seeds {meta['test_seeds']}, validation "
             f"seeds {meta['validation_seeds']}.", "",
             "## Final runs: mean ± sd over the test seeds, seeds solved, median seconds", "",
             pivot_table(result), "",
             "## Final runs in detail (chosen configuration, held-out data)", "",
             summary_table(result),
             "", "## Hyper-parameter search (validation seeds)", "", chosen_table(result)]
    if result["baselines"]:
        lines += ["", "## Text baselines", "", baselines_table(result)]
    if result.get("sequences"):
        lines += ["", "## Training sequences to solve", "", sequences_table(result)]
    return "\n".join(lines)


def _counts(values: list) -> str:
    solved = sorted(v for v in values if v is not None)
    if not solved:
        return f"not solved (0/{len(values)})"
    median = float(np.median(solved))
    return (f"{median:,.0f} (median of {len(solved)}/{len(values)} seeds that solved it; "
            f"{solved[0]:,.0f}–{solved[-1]:,.0f})")


def sequences_table(result: dict) -> str:
    cells = []
    for key, entry in result["sequences"].items():
        cells.append([key, "LSTM (fresh sequences, Adam)", _counts(entry["lstm"]["per_seed"]),
                      entry["hochreiter_schmidhuber_1997"]])
        for role, found in entry["readouts"].items():
            largest = SEQUENCE_SIZES[-1]
            text = _counts(found["per_seed"])
            if text.startswith("not solved"):
                text = f"not solved with up to {largest:,} training sequences"
            cells.append([key, f"{role}: {found['label']} (one ridge solve)", text, ""])
    return markdown(["task", "model", "training sequences to solve (readouts: tested on min(n, "
                     f"{SEQUENCE_TEST}) held-out sequences)", "H&S 1997 (LSTM)"], cells)


# ---------------------------------------------------------------------- command line
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the minutes-long version")
    parser.add_argument("--only", help="comma-separated task keys")
    parser.add_argument("--seeds", type=int, help="number of test seeds (0, 1, ...)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every budget")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--out", type=Path, help="JSON file (default results/compare.json)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from the sweep files of a killed run")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    say = (lambda text: None) if args.json else (lambda text: print(text, flush=True))
    result = run(quick=args.quick, only=args.only.split(",") if args.only else None,
                 seeds=tuple(range(args.seeds)) if args.seeds else None, scale=args.scale,
                 workers=args.workers, out=args.out, resume=args.resume, progress=say)
    if args.json:
        print(json.dumps({"summary": result["summary"], "chosen": result["chosen"]}, indent=1))
    else:
        print("\n" + summary_table(result))
    return 0
