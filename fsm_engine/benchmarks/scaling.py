"""How far does size take a fixed network?  The metric against the feature dimension.

For memory capacity, delayed recall, temporal parity, five-bit and twenty-bit memory
(:data:`TASKS`), the FSM network (random machines of 8 states, N from 10² to 2·10⁴) with
its two kinds of features — the machines' outputs (F = N) and one-hot states (F = 8 N) —
and the echo state network (N from 50 to 2 000, F = N) train a linear readout by
ridge regression (squared error on the one-hot class code or the real targets, L2
:data:`L2`, the bias not penalised) and are scored on held-out data (five-bit memory
on its 32 training episodes, as the task is defined).

The solver switches where the closed form stops: the engine's ridge solve factorises an
[F, F] matrix and is capped at ``readout.MAX_RIDGE_SIZE`` = 8 000 features (512 MB of
float64; the [T, T] dual of a longer stream costs T² F).  Beyond that, or where F
exceeds the training steps, the same ridge problem is solved by preconditioned conjugate
gradients (:func:`cg_ridge`: the centred normal equations, matrix-free through the
features' own products — one-hot features are never densified — Jacobi
preconditioner, at most :data:`CG_ITERATIONS` iterations, relative residual
:data:`CG_TOLERANCE`); the results say which solver each point used, how many
iterations it took and whether it converged, and one size is solved both ways where the
two overlap.  CG points run on fewer seeds (they are the expensive ones).

Compute per point is the processor time of its one thread for building the network,
running it over the stream and solving the readout (``seconds``; the machine is shared,
so wall-clock time would measure the other jobs too), so the figures show the metric
per feature and per second of one core.  Reference points from TASKS.md are drawn on
the figures.  ``python bench/scaling.py`` (same as ``fsm-explorer bench scaling``)
writes ``results/scaling.json``, ``.md`` and ``results/figures/scaling*.png``; points
stream to ``results/scaling_points.jsonl`` (``--resume`` skips the ones there).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import TypedDict

import numpy as np

from .. import families, metrics, tasks
from ..bank import MachineBank
from ..blas import one_thread
from ..esn import EchoStateNetwork
from ..experiments import SUCCESS, markdown, solved
from ..features import StateFeatures
from ..readout import MAX_RIDGE_SIZE, matmul, ridge_solution, rmatmul
from . import results

#: key -> (task name, parameters): training parts of a few thousand steps
TASKS = {
    "memory_capacity": ("memory_capacity", {"K": 150, "m": 2, "T": 8000}),
    "delayed_recall": ("delayed_recall", {"k": 5, "m": 4, "T": 5000}),
    "temporal_parity": ("temporal_parity", {"n": 5, "tau": 2, "T": 5000}),
    "five_bit_memory": ("five_bit_memory", {"T0": 200}),
    "twenty_bit_memory": ("twenty_bit_memory", {"T0": 50, "n_train": 200, "n_test": 50}),
}
FSM_SIZES = (100, 300, 1000, 3000, 10_000, 20_000)
ESN_SIZES = (50, 100, 200, 500, 1000, 2000)
N_STATES = 8


class _Dynamics(TypedDict):
    spectral_radius: float
    leak: float
    input_scaling: float


class _QuickGrid(TypedDict):
    tasks: tuple[str, ...]
    fsm: tuple[int, ...]
    esn: tuple[int, ...]
    seeds: tuple[int, ...]
    cg_seeds: tuple[int, ...]
    params: dict[str, dict[str, int]]     # key -> task parameters overridden


#: the echo state network's dynamics: the long-memory, near-linear setting the compare
#: benchmark's search chose for memory capacity and delayed recall, except where that
#: search chose the non-linear one (parity needs products of inputs: a near-linear
#: reservoir stays at chance)
ESN: _Dynamics = {"spectral_radius": 1.0, "leak": 1.0, "input_scaling": 0.1}
ESN_BY_TASK: dict[str, _Dynamics] = {
    "temporal_parity": {"spectral_radius": 0.9, "leak": 1.0, "input_scaling": 1.0}}
L2 = 1e-3
SEEDS = (0, 1, 2)
#: the CG points (the expensive ones) run on one seed
CG_SEEDS = (0,)
CG_ITERATIONS = 100
CG_TOLERANCE = 1e-4
#: the most feature-products (2 · training steps · N · target columns · CG_ITERATIONS) a CG
#: point may cost: larger ones (memory capacity's 150 columns at 1 000+ units, twenty-bit
#: memory's 14 000 steps x 6 classes at 10 000+ units) are skipped and listed in the results
MAX_CG_COST = 1e11
#: the size solved both ways (exact ridge and CG) on the state features
OVERLAP = 1000
QUICK: _QuickGrid = {
    "tasks": ("delayed_recall", "five_bit_memory"), "fsm": (30, 100, 300), "esn": (20, 50),
    "seeds": (0,), "cg_seeds": (0,), "params": {"delayed_recall": {"T": 1500},
                                                "five_bit_memory": {"T0": 20}}}
#: published reference points (TASKS.md) drawn on the figures: key -> [(F, value, label)]
REFERENCES = {
    "five_bit_memory": [(640, 0.215, "CA reservoirs (Nichele & Molund 2017): 19–24 %, "
                                     "66–74 %, 100 % of runs"),
                        (1280, 0.70, None), (2560, 1.0, None)],
    "twenty_bit_memory": [(1280, 0.0, "CA reservoirs: 0 % for every rule"),
                          (2560, 0.0, None)],
    "memory_capacity": [(50, 22.0, "ESN, ReservoirPy, u~U[-0.8, 0.8] (22, 31–33, 44–52)"),
                        (100, 32.0, None), (200, 48.0, None)],
}


# ---------------------------------------------------------------------- the solvers
def _targets(task) -> np.ndarray:
    """Training targets as real columns: the one-hot class code or the real targets."""
    rows = task.train_mask
    if task.kind == tasks.CLASSIFICATION:
        return np.eye(task.n_outputs)[task.targets[rows]]                # [T_train, K]
    return task.targets[rows].reshape(int(rows.sum()), -1).astype(float)


def cg_ridge(X, Y: np.ndarray, l2: float, max_iter: int = CG_ITERATIONS,
             tol: float = CG_TOLERANCE) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Ridge weights by preconditioned conjugate gradients.

    Solves ``(Xcᵀ Xc + l2 I) W = Xcᵀ Yc`` (``Xc``, ``Yc`` centred: the bias is not
    penalised) for every column of ``Y`` at once, with ``Xc`` applied through
    ``matmul``/``rmatmul`` of ``X`` (a StateFeatures is never densified) and the
    diagonal of the system as preconditioner.

    Returns ``(weights [F, K], intercept [K], iterations, converged)``: converged when
    every column's residual fell below ``tol`` times its right-hand side.
    """
    n_rows = X.shape[0]
    if not isinstance(X, StateFeatures):             # products in float64 (float32 overflows
        X = np.asarray(X, dtype=float)               # once the system is ill-conditioned)
    mean = rmatmul(X, np.ones((n_rows, 1)))[:, 0] / n_rows                         # [F]
    if isinstance(X, StateFeatures):                 # one-hot: squares are the ones
        squares = X.column_sums().astype(float)
    else:
        squares = np.einsum("tf,tf->f", X, X)
    diagonal = squares - n_rows * mean**2 + l2                                     # [F]
    target_mean = Y.mean(axis=0)
    centred = Y - target_mean                                                      # [T, K]

    def normal(V):                                   # (Xcᵀ Xc + l2) V, V [F, K]
        image = matmul(X, np.ascontiguousarray(V)) - mean @ V                     # [T, K]
        image -= image.mean(axis=0)
        return rmatmul(X, image) - np.outer(mean, image.sum(axis=0)) + l2 * V

    rhs = rmatmul(X, np.ascontiguousarray(centred)) - np.outer(mean, centred.sum(axis=0))
    scale = np.linalg.norm(rhs, axis=0)
    scale[scale == 0] = 1.0
    weights = np.zeros_like(rhs)
    residual = rhs.copy()
    z = residual / diagonal[:, None]
    direction = z.copy()
    rz = np.sum(residual * z, axis=0)
    converged, iterations = False, 0
    while iterations < max_iter:
        iterations += 1
        image = normal(direction)
        alpha = rz / np.maximum(np.sum(direction * image, axis=0), 1e-300)
        if not np.all(np.isfinite(alpha)):
            break                                    # lost to round-off: keep the last weights
        weights += alpha * direction
        residual -= alpha * image
        if np.all(np.linalg.norm(residual, axis=0) <= tol * scale):
            converged = True
            break
        z = residual / diagonal[:, None]
        rz_next = np.sum(residual * z, axis=0)
        direction = z + (rz_next / np.maximum(rz, 1e-300)) * direction
        rz = rz_next
    return weights, target_mean - mean @ weights, iterations, converged


# ---------------------------------------------------------------------- one point
def point(key: str, model: str, n: int, features: str, seed: int, solver: str,
          params: dict | None = None) -> dict:
    """Build a network of ``n`` units, run it over the task, solve the readout, score it.

    ``model`` is ``"fsm"`` (random machines of ``N_STATES`` states; ``features`` is
    ``"output"`` or ``"state"``) or ``"esn"`` (``features`` ``"state"``); ``solver`` is
    ``"ridge"`` (the engine's closed form) or ``"cg"`` (:func:`cg_ridge`).
    """
    name, task_params = TASKS[key]
    task = tasks.make(name, seed=seed, **{**task_params, **(params or {})})
    started, wall_started = time.process_time(), time.perf_counter()
    source: MachineBank | EchoStateNetwork
    with one_thread():
        if model == "fsm":
            source = families.make_bank("random", n, task.alphabet, seed=seed,
                                        n_states=N_STATES)
        else:
            source = EchoStateNetwork(task.n_symbols, n, random_state=seed,
                                      **ESN_BY_TASK.get(key, ESN))
        X = source.features(features, task.inputs, task.resets)                # [T, F]
        feature_seconds = time.process_time() - started
        train = np.flatnonzero(task.train_mask)
        X_train = X[train]
        Y = _targets(task)
        tick = time.process_time()
        iterations, converged = None, True
        if solver == "ridge":
            weights, intercept = ridge_solution(X_train, Y, None, L2)
        else:
            weights, intercept, iterations, converged = cg_ridge(X_train, Y, L2)
        solve_seconds = time.process_time() - tick
        scores = np.zeros((task.T, Y.shape[1]))
        scored = task.eval_mask
        scores[scored] = matmul(X[np.flatnonzero(scored)], weights.astype(X.dtype)) + intercept
    evaluation = metrics.evaluate(task, scores)
    return {"key": key, "task": name, "task_params": dict(task.params), "model": model,
            "n": n, "features": features, "n_features": int(X.shape[1]), "seed": seed,
            "solver": solver, "cg_iterations": iterations, "converged": bool(converged),
            "metric_name": task.metric, "metric": float(evaluation["metric"]),
            "solved": solved(task.metric, float(evaluation["metric"])),
            "accuracy": evaluation.get("accuracy"), "chance": float(task.chance),
            "train_steps": int(len(train)), "seconds": feature_seconds + solve_seconds,
            "feature_seconds": feature_seconds, "solve_seconds": solve_seconds,
            "wall_seconds": time.perf_counter() - wall_started}


def solvers_for(n_features: int, train_steps: int, n: int, model: str, features: str):
    """The solvers a size is run with: exact ridge while F <= min(8 000, training steps),
    CG beyond; both at the overlap size."""
    exact = n_features <= min(MAX_RIDGE_SIZE, train_steps)
    if model == "fsm" and features == "state" and n == OVERLAP:
        return ("ridge", "cg") if exact else ("cg",)
    return ("ridge",) if exact else ("cg",)


def grid(quick: bool = False, skipped: list | None = None) -> list[tuple]:
    """Every point: ``(key, model, n, features, seed, solver, task params)``; the CG
    points over ``MAX_CG_COST`` are left out (and appended to ``skipped``)."""
    keys = QUICK["tasks"] if quick else tuple(TASKS)
    fsm_sizes = QUICK["fsm"] if quick else FSM_SIZES
    esn_sizes = QUICK["esn"] if quick else ESN_SIZES
    points = []
    for key in keys:
        overrides = QUICK["params"].get(key, {}) if quick else {}
        name, task_params = TASKS[key]
        sample = tasks.make(name, seed=0, **{**task_params, **overrides})
        train_steps = int(sample.train_mask.sum())
        for model, sizes, kinds in (("fsm", fsm_sizes, ("output", "state")),
                                    ("esn", esn_sizes, ("state",))):
            for features in kinds:
                for n in sizes:
                    width = n * N_STATES if model == "fsm" and features == "state" else n
                    for solver in solvers_for(width, train_steps, n, model, features):
                        cost = 2.0 * train_steps * n * sample.n_outputs * CG_ITERATIONS
                        if solver == "cg" and cost > MAX_CG_COST:
                            if skipped is not None:
                                skipped.append({"key": key, "model": model, "n": n,
                                                "features": features, "cost": cost})
                            continue
                        if quick:
                            seeds = QUICK["seeds"] if solver == "ridge" else QUICK["cg_seeds"]
                        else:
                            seeds = SEEDS if solver == "ridge" else CG_SEEDS
                        points += [(key, model, n, features, seed, solver, overrides)
                                   for seed in seeds]
    return points


_WARM: list[bool] = []     # [True] once this process has compiled the kernels


def _perform(spec: tuple) -> dict:
    import numba

    numba.set_num_threads(1)
    if not _WARM:              # compile the kernels once, so no point's seconds include it
        warm = tasks.make("delayed_recall", T=200)
        features = families.make_bank("random", 3, warm.alphabet, n_states=2).features(
            "state", warm.inputs, warm.resets)
        ridge_solution(features, np.ones((200, 1)), None, L2)
        cg_ridge(features, np.ones((200, 1)), L2, max_iter=2)
        _WARM.append(True)
    try:
        return point(*spec)
    except (MemoryError, ValueError) as err:       # FSMError is a ValueError
        key, model, n, features, seed, solver, _ = spec
        return {"key": key, "model": model, "n": n, "features": features, "seed": seed,
                "solver": solver, "error": f"{type(err).__name__}: {err}"}


def _spec_id(spec: tuple) -> str:
    return json.dumps(spec[:6])


def _perform_tagged(spec: tuple) -> dict:
    return {"spec": _spec_id(spec), **_perform(spec)}


# ---------------------------------------------------------------------- the benchmark
def run(*, quick: bool = False, workers: int = 2, out: Path | None = None,
        resume: bool = False, progress=print) -> dict:
    out = Path(out) if out is not None else results.default_out("scaling.json")
    points_file = out.with_name(out.stem + "_points.jsonl")
    done = {}
    if resume and points_file.exists():
        for line in points_file.read_text().splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue                                 # a torn last line
            done[row["spec"]] = row
    elif points_file.exists():
        points_file.unlink()
    specs = [s for s in grid(quick) if _spec_id(s) not in done]
    progress(f"scaling: {len(specs)} points to run ({len(done)} resumed) on {workers} workers")
    load_start, started = results.load_average(), time.perf_counter()
    points_file.parent.mkdir(parents=True, exist_ok=True)
    with points_file.open("a") as handle:
        for row in _execute(specs, workers):
            done[row["spec"]] = row
            handle.write(json.dumps(results._plain(row)) + "\n")
            handle.flush()
            progress(f"[{len(done)}] {row['key']} {row['model']} N={row['n']} "
                     f"{row['features']} seed {row['seed']} {row['solver']}: "
                     f"{row.get('metric', row.get('error'))} ({row.get('seconds', 0):.1f}s)")
    skipped: list[dict] = []
    rows = [done[_spec_id(s)] for s in grid(quick, skipped) if _spec_id(s) in done]
    result = {"meta": results.meta(quick=quick, workers=workers, l2=L2, n_states=N_STATES,
                                   esn=ESN, esn_by_task=ESN_BY_TASK,
                                   cg_iterations=CG_ITERATIONS,
                                   cg_tolerance=CG_TOLERANCE, ridge_cap=MAX_RIDGE_SIZE,
                                   max_cg_cost=MAX_CG_COST, skipped=skipped,
                                   points_seconds=round(sum(r.get("seconds", 0.0)
                                                            for r in rows), 1),
                                   load_average_start=load_start,
                                   load_average_end=results.load_average(),
                                   wall_seconds=round(time.perf_counter() - started, 1),
                                   command="fsm-explorer bench scaling"
                                           + (" --quick" if quick else "")),
              "tasks": {key: _task_info(key, quick)
                        for key in (QUICK["tasks"] if quick else TASKS)},
              "references": REFERENCES, "summary": summarise(rows), "points": rows}
    results.write_json(result, out)
    out.with_suffix(".md").write_text(format_table(result) + "\n")
    try:
        from . import figures
    except ImportError:
        progress("matplotlib is not installed: no figures (pip install matplotlib)")
    else:
        for path in figures.scaling_figures(result, out.parent / "figures"):
            progress(f"wrote {path}")
    return result


def _task_info(key: str, quick: bool) -> dict:
    name, params = TASKS[key]
    params = {**params, **(QUICK["params"].get(key, {}) if quick else {})}
    sample = tasks.make(name, seed=0, **params)
    train_steps = int(sample.train_mask.sum())
    return {"task": name, "params": params, "success": SUCCESS.get(sample.metric),
            "train_steps": train_steps, "exact_up_to": min(MAX_RIDGE_SIZE, train_steps)}


def _execute(specs: list[tuple], workers: int):
    """Rows as points finish: in this process, or on local loky workers (one BLAS thread
    each, numba limited to one thread)."""
    if workers == 1:
        yield from map(_perform_tagged, specs)
        return
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend="loky", inner_max_num_threads=1):
        parallel = Parallel(n_jobs=workers, batch_size=1, return_as="generator_unordered")
        yield from parallel(delayed(_perform_tagged)(spec) for spec in specs)


def summarise(rows: list[dict]) -> list[dict]:
    """One row per (task, model, features, N, solver): the mean (the success rate for a
    task with a success level) and sd of the metric over seeds, median seconds."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["key"], row["model"], row["features"], row["n"], row["solver"]),
                          []).append(row)
    summary = []
    for (key, model, features, n, solver), group in groups.items():
        ok = [r for r in group if "error" not in r]
        values = np.array([r["metric"] for r in ok], dtype=float)
        flags = [r["solved"] for r in ok]
        summary.append({
            "key": key, "model": model, "features": features, "n": n, "solver": solver,
            "n_features": ok[0]["n_features"] if ok else None,
            "metric_name": ok[0]["metric_name"] if ok else None,
            "mean": float(values.mean()) if len(values) else None,
            "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "success_rate": None if not ok or flags[0] is None else float(np.mean(flags)),
            "seeds": len(ok), "errors": len(group) - len(ok),
            "converged": all(r["converged"] for r in ok) if ok else None,
            "cg_iterations": max((r["cg_iterations"] or 0 for r in ok), default=None),
            "seconds": float(np.median([r["seconds"] for r in ok])) if ok else None,
            "error": next((r["error"] for r in group if "error" in r), None)})
    return summary


def format_table(result: dict) -> str:
    cells = []
    for s in result["summary"]:
        network = ("FSM " + s["features"]) if s["model"] == "fsm" else "ESN"
        value = "failed" if s["mean"] is None else \
            f"{results.number(s['mean'])} ± {results.number(s['sd'], 2)}"
        rate = "—" if s["success_rate"] is None else f"{100 * s['success_rate']:.0f} %"
        solver = s["solver"] if s["solver"] == "ridge" else \
            f"CG, {s['cg_iterations']} it{'' if s['converged'] else ', not converged'}"
        cells.append([s["key"], network, f"{s['n']:,}",
                      "—" if s["n_features"] is None else f"{s['n_features']:,}", solver,
                      s["metric_name"] or "—", value, rate, str(s["seeds"]),
                      results.number(s["seconds"])])
    return markdown(["task", "network", "N", "features F", "solver", "metric", "mean ± sd",
                     "success rate", "seeds", "seconds"], cells)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="two small tasks, small sizes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="JSON file (default results/scaling.json)")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, workers=args.workers, out=args.out, resume=args.resume,
                 progress=(lambda text: None) if args.json else
                 (lambda text: print(text, flush=True)))
    print(json.dumps(result["summary"], indent=1) if args.json else
          "\n" + format_table(result))
    return 0
