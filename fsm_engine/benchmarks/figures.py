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
    """One figure per task of a compare result: the held-out metric against wall-clock
    seconds and against training sequences (or steps) seen, every seed of every model."""
    paths = []
    for key, info in result["tasks"].items():
        runs = [r for r in result["runs"] if r["key"] == key and r.get("curve")]
        if not runs:
            continue
        figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        unit = runs[0]["seen_unit"]
        for axis, x, title in ((axes[0], "seconds", "wall-clock seconds (one thread)"),
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
