"""PNG figures of the results benchmarks, drawn with Matplotlib.

Matplotlib rather than Plotly's static export: it writes PNGs offline with no browser or
kaleido, the same input gives the same bytes (the PNG metadata that names the software
version is left out), and it is one optional dependency (the ``bench`` extra).
Each function takes a benchmark's result dict and a folder and returns the paths it
wrote.
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.ticker import NullFormatter  # noqa: E402

#: one colour per model role, the same in every figure
COLOURS = {"fsm": "#1f77b4", "fsm_designed": "#2ca02c", "fsm_no_recurrence": "#7f7f7f",
           "esn": "#ff7f0e", "lstm": "#d62728"}
NAMES = {"fsm": "FSM network (random)", "fsm_designed": "FSM network (designed)",
         "fsm_no_recurrence": "FSM network, no recurrence", "esn": "echo state network",
         "lstm": "LSTM"}
METRIC_NAMES = {"accuracy": "held-out accuracy", "memory_capacity": "memory capacity",
                "five_bit_success": "success (every step right)",
                "twenty_bit_success": "success (every test step right)",
                "reber_success": "success (every string right)", "mse": "held-out MSE",
                "nrmse": "held-out NRMSE", "bits_per_symbol": "held-out bits per character"}
DPI = 110


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(figure)
    return path


def _draw_curves(axis, runs: list[dict], x: str, role: str) -> None:
    """Every seed's curve of one role: a line (a marker where it is a single point)."""
    for i, run in enumerate(runs):
        curve = run.get("curve") or {}
        xs, ys = curve.get(x) or [], curve.get("metric") or []
        points = [(a, b) for a, b in zip(xs, ys, strict=False)
                  if b is not None and math.isfinite(b) and a is not None and a > 0]
        if not points:
            continue
        style = {"color": COLOURS[role], "alpha": 0.75, "lw": 1.2,
                 "label": NAMES[role] if i == 0 else None}
        axis.plot(*zip(*points, strict=True), marker="o" if len(points) == 1 else None,
                  ms=5, **style)


def compare_figures(result: dict, folder: Path) -> list[Path]:
    """One figure per task of a compare result: the held-out metric against the seconds
    of one core (the runs' clock) and against training sequences (or steps) seen, every
    seed of every model."""
    paths = []
    for key, info in result["tasks"].items():
        runs = [r for r in result["runs"] if r["key"] == key and r.get("curve")]
        if not runs:
            continue
        figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        unit = runs[0]["seen_unit"]
        for axis, x, title in ((axes[0], "seconds", "seconds of one core (processor time)"),
                               (axes[1], "seen", f"training {unit} seen")):
            for role in info["roles"]:
                _draw_curves(axis, [r for r in runs if r["role"] == role], x, role)
            axis.axhline(info["chance"], color="grey", ls=":", lw=1, label="chance")
            for name, value in (result.get("baselines", {}).get(key) or {}).items():
                if name in ("bigram", "trigram") and value is not None:
                    axis.axhline(value, color="black", ls="--" if name == "bigram" else "-.",
                                 lw=0.9, label=f"{name} ({value:.2f})")
            axis.set_xscale("log")
            axis.xaxis.set_minor_formatter(NullFormatter())
            axis.set_xlabel(title)
            axis.grid(alpha=0.3)
        axes[0].set_ylabel(METRIC_NAMES.get(info["metric"], info["metric"]))
        params = ", ".join(f"{k}={v}" for k, v in info["params"].items() if k != "corpus")
        figure.suptitle(f"{key} ({params}): {len({r['seed'] for r in runs})} seeds, budget "
                        f"{info['seconds']:g} s per run")
        axes[1].legend(fontsize=8, loc="best")
        figure.tight_layout()
        paths.append(_save(figure, folder / f"compare_{key}.png"))
    return paths


def _scaling_lines(summary: list[dict], key: str):
    """``(label, colour, style, points)`` per network of one task; points sorted by N."""
    for model, features, label, style in (("fsm", "state", "FSM network, one-hot states", "-"),
                                          ("fsm", "output", "FSM network, outputs", "--"),
                                          ("esn", "state", "echo state network", "-")):
        rows = sorted((s for s in summary if s["key"] == key and s["model"] == model
                       and s["features"] == features and s["mean"] is not None),
                      key=lambda s: (s["n"], s["solver"] != "ridge"))
        if rows:
            yield label, COLOURS["fsm" if model == "fsm" else "esn"], style, rows


def scaling_figures(result: dict, folder: Path) -> list[Path]:
    """One figure per task of a scaling result: the metric (the success rate where the
    task has a success level) against the feature dimension and against seconds of
    compute; hollow markers are CG solves that stopped before converging, squares CG
    solves that converged, dots the exact ridge solve; TASKS.md's reference points as
    black stars."""
    paths = []
    for key in result["tasks"]:
        rows = [s for s in result["summary"] if s["key"] == key]
        if not rows:
            continue
        rate = rows[0]["success_rate"] is not None
        figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        for axis, x in ((axes[0], "n_features"), (axes[1], "seconds")):
            for label, colour, style, points in _scaling_lines(result["summary"], key):
                exact = [p for p in points if p["solver"] == "ridge"]
                ys = [(p["success_rate"] if rate else p["mean"]) for p in points]
                chain: dict[int, tuple[float, float]] = {}   # N -> (x, y)
                for p, y in zip(points, ys, strict=True):   # one value per N: prefer exact
                    chain.setdefault(p["n"], (p[x], y))
                axis.plot(*zip(*sorted(chain.values()), strict=True), style, color=colour,
                          lw=1.3, label=label)
                for p, y in zip(points, ys, strict=True):
                    marker = "o" if p["solver"] == "ridge" else "s"
                    face = colour if p["solver"] == "ridge" or p["converged"] else "white"
                    axis.plot(p[x], y, marker, color=colour, mfc=face, ms=5)
                    if not rate and p["sd"] and p in exact:
                        axis.errorbar(p[x], y, yerr=p["sd"], color=colour, capsize=2, lw=0.8)
            axis.set_xscale("log")
            axis.xaxis.set_minor_formatter(NullFormatter())
            axis.grid(alpha=0.3)
        for features, value, label in result["references"].get(key, []):
            axes[0].plot(features, value, "*", color="black", ms=11, label=label)
        info = result["tasks"][key]
        axes[0].axvline(info["exact_up_to"], color="grey", ls=":", lw=1)
        axes[0].text(info["exact_up_to"], axes[0].get_ylim()[1], " exact ridge | CG",
                     fontsize=7, va="top", ha="center", color="grey")
        axes[0].set_xlabel("feature dimension F (N outputs, 8N one-hot states, N units)")
        axes[1].set_xlabel("seconds of one core: network + readout solve")
        metric = rows[0]["metric_name"]
        axes[0].set_ylabel(f"success rate over seeds ({metric})" if rate else
                           METRIC_NAMES.get(metric, metric))
        params = ", ".join(f"{k}={v}" for k, v in info["params"].items())
        figure.suptitle(f"{key} ({params}): metric against size and compute "
                        "(o exact ridge, ■ CG converged, □ CG stopped)")
        axes[0].legend(fontsize=7, loc="best")
        figure.tight_layout()
        paths.append(_save(figure, folder / f"scaling_{key}.png"))
    return paths
