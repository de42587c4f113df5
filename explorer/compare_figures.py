"""Figures of the Compare page: arrays in, Plotly figures out, one colour per model.

Nothing here knows about Streamlit, learners or settings.  Every figure has a
title saying what it shows (a browser test reads ``layout.title.text``) and the
look of every live chart (:mod:`explorer.train_figures`: a subtitle with the
details, the legend above, a constant ``uirevision``, plain specs built without
Plotly's validation so a live tick stays cheap; ``tests/test_compare_figures.py``
validates each one).  A model's colour comes from :func:`explorer.theme.model_colour`,
the same in every chart; activations use the one diverging scale of
:mod:`explorer.theme`.

Curves are dicts (plain data, easy to build and test):

* a live curve: ``{"model": "lstm", "label": "LSTM", "x": [...], "y": [...]}``;
* a committed curve: the same plus ``"seed"``, drawn dotted and thinner.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from fsm_engine.analysis import thin

from . import theme
from .train_figures import CURVE_HEIGHT, TARGET_COLOUR, curve_points
from .train_figures import _axis as axis_spec
from .train_figures import _figure as live_figure

#: what each curve chart's x axis measures: (axis title, phrase in the chart title)
AXES = {"updates": ("updates", "updates"),
        "seen": ("{unit} seen", "{unit} seen"),
        "seconds": ("seconds of building and training", "seconds")}
#: the four LSTM gates in PyTorch's order, as the chart names them
GATES = (("i", "input gate i"), ("f", "forget gate f"), ("g", "cell input g"),
         ("o", "output gate o"))
#: heights in pixels
GATE_HEIGHT = 600
RASTER_HEIGHT = 600
MC_HEIGHT = 360
#: most tick labels (input symbols) along an episode's time axis
MAX_SYMBOL_TICKS = 30
#: metrics whose values lie in 0..1 (the y axis is fixed to that range)
UNIT_METRICS = ("accuracy", "five_bit_success", "twenty_bit_success", "reber_success")
#: the one-hot raster: white where a machine is not in a state, blue where it is
ONE_HOT_SCALE = [[0.0, "#f7f7f7"], [1.0, theme.POSITIVE]]
SEPARATOR_COLOUR = "#bdbdbd"
#: the gap between the panels of :func:`learning_curves_row` (a share of the width)
PANEL_GAP = 0.06


def learning_curves(curves: Sequence[dict], committed: Sequence[dict] = (), *, axis: str,
                    metric: str, chance: float, greater_is_better: bool,
                    seen_unit: str = "sequences", where: str = "held-out steps") -> go.Figure:
    """The task's metric against updates, data seen or wall-clock seconds, one line per model.

    Parameters
    ----------
    curves : live curves (see the module docstring), x in the unit of ``axis``.
    committed : committed full-budget curves, drawn dotted (one per seed).
    axis : ``"updates"``, ``"seen"`` or ``"seconds"``.
    metric : the metric's name; chance : its chance level (dashed, when finite).
    greater_is_better : said in the subtitle.
    seen_unit : ``"sequences"`` or ``"steps"`` (the ``"seen"`` axis).
    where : the steps the metric is measured on.

    Returns
    -------
    A line per curve (named by its label, for hover and the page's colour key), drawn as
    steps (a metric holds until the next evaluation: a closed-form solve is one jump), no
    legend, the chance level dashed.

    Raises
    ------
    ValueError on an unknown ``axis``.
    """
    x_title, against = _axis_words(axis, seen_unit)
    label = metric.replace("_", " ")
    layout = dict(xaxis=axis_spec(x_title, rangemode="tozero"), yaxis=_metric_axis(metric),
                  showlegend=False)
    if math.isfinite(chance):
        layout.update(_chance_line(chance))
    return live_figure(_curve_traces(curves, committed, x_title), layout,
                       f"{label.capitalize()} against {against}",
                       _curves_subtitle(where, greater_is_better, committed), CURVE_HEIGHT)


def learning_curves_row(curves: dict[str, Sequence[dict]],
                        committed: dict[str, Sequence[dict]] | None = None, *, metric: str,
                        chance: float, greater_is_better: bool, seen_unit: str = "sequences",
                        where: str = "held-out steps") -> go.Figure:
    """:func:`learning_curves` against every axis of :data:`AXES` as three panels of one
    figure, side by side (one chart for the browser to redraw instead of three: on the
    Compare page, Pause -> last chart change 0.76 s with three charts, 0.38 s with one,
    ``bench/ui.py --page compare``).

    Parameters
    ----------
    curves, committed : ``{axis: curves}`` for each axis of :data:`AXES` (committed: may
        be None or miss an axis).
    metric, chance, greater_is_better, seen_unit, where : as :func:`learning_curves`.
    """
    committed = committed or {}
    label = metric.replace("_", " ")
    data: list[dict] = []
    layout: dict = {"showlegend": False, "shapes": [], "annotations": []}
    width, gap = (1.0 - 2 * PANEL_GAP) / len(AXES), PANEL_GAP
    phrases = []
    for index, axis in enumerate(AXES):
        suffix = "" if index == 0 else str(index + 1)
        x_title, against = _axis_words(axis, seen_unit)
        phrases.append(against)
        data += _curve_traces(curves.get(axis, ()), committed.get(axis, ()), x_title,
                              xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        left = index * (width + gap)
        layout[f"xaxis{suffix}"] = axis_spec(x_title, rangemode="tozero",
                                             domain=[left, left + width], anchor=f"y{suffix}")
        # one scale for the three panels, labelled once, on the left
        layout[f"yaxis{suffix}"] = _metric_axis(metric, anchor=f"x{suffix}") if index == 0 \
            else axis_spec("", anchor=f"x{suffix}", matches="y", showticklabels=False)
        if math.isfinite(chance):
            line = _chance_line(chance, xref=f"x{suffix} domain", yref=f"y{suffix}")
            layout["shapes"] += line["shapes"]
            layout["annotations"] += line["annotations"]
    title = f"{label.capitalize()} against {', '.join(phrases[:-1])} and {phrases[-1]}"
    subtitle = _curves_subtitle(where, greater_is_better, any(committed.values()))
    return live_figure(data, layout, title, subtitle, CURVE_HEIGHT)


def _axis_words(axis: str, seen_unit: str) -> tuple[str, str]:
    """(x-axis title, phrase of the chart title) of ``axis``; ValueError when unknown."""
    if axis not in AXES:
        raise ValueError(f"axis must be one of {', '.join(AXES)}, got {axis!r}")
    x_title, against = (text.format(unit=seen_unit) for text in AXES[axis])
    return x_title, against


def _metric_axis(metric: str, **extra) -> dict:
    """The y axis of a curve panel, titled with the metric (0..1 for a share)."""
    yaxis = axis_spec(metric.replace("_", " "), **extra)
    if metric in UNIT_METRICS:
        yaxis["range"] = [-0.02, 1.02]
    return yaxis


def _curves_subtitle(where: str, greater_is_better: bool, committed) -> str:
    better = "higher" if greater_is_better else "lower"
    return f"{where}; {better} is better" + ("; dotted: committed" if committed else "")


def _curve_traces(curves: Sequence[dict], committed: Sequence[dict], x_title: str,
                  xaxis: str = "x", yaxis: str = "y") -> list[dict]:
    """The traces of the committed curves (dotted, thinner) and the live ones."""
    data = []
    for curve in committed:
        x, y = _thinned(curve["x"], curve["y"])
        seed = f" (seed {curve['seed']})" if curve.get("seed") is not None else ""
        name = f"{curve['label']}, committed{seed}"
        colour = theme.model_colour(curve["model"])
        data.append(dict(type="scatter", x=x, y=y, name=name, mode="lines", opacity=0.75,
                         xaxis=xaxis, yaxis=yaxis,
                         line=dict(color=colour, width=1.5, dash="dot", shape="hv"),
                         hovertemplate=f"{name}<br>{x_title} %{{x:.4g}}: %{{y:.4g}}"
                                       "<extra></extra>"))
    for curve in curves:
        x, y = _thinned(curve["x"], curve["y"])
        colour = theme.model_colour(curve["model"])
        data.append(dict(type="scatter", x=x, y=y, name=curve["label"], mode="lines+markers",
                         xaxis=xaxis, yaxis=yaxis, marker=dict(size=4, color=colour),
                         line=dict(color=colour, width=2.5, shape="hv"),
                         hovertemplate=f"{curve['label']}<br>{x_title} %{{x:.4g}}: "
                                       "%{y:.4g}<extra></extra>"))
    return data


def _chance_line(chance: float, xref: str = "paper", yref: str = "y") -> dict:
    return dict(shapes=[dict(type="line", xref=xref, x0=0, x1=1, yref=yref, y0=chance,
                             y1=chance, line=dict(color=TARGET_COLOUR, dash="dash", width=2))],
                annotations=[dict(xref=xref, x=1, xanchor="right", yref=yref, y=chance,
                                  yanchor="top", text=f"chance {chance:.3g}", showarrow=False,
                                  font=dict(color=TARGET_COLOUR))])


def _thinned(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    picked = curve_points(x.shape[0])
    return x[picked], y[picked]


def gate_figure(gates: dict, symbols: Sequence[str], *, units: np.ndarray, n_hidden: int,
                layer: int = 0, n_layers: int = 1, where: str = "") -> go.Figure:
    """The LSTM's gate activations over one episode: four panels (input, forget, cell input,
    output gate), hidden units down, time across with the input symbol read at each step.

    Parameters
    ----------
    gates : ``{"i", "f", "g", "o"}`` -> float array [L, U], the activations of the ``U``
        drawn units at each of the ``L`` steps.
    symbols : the input symbol read at each step, [L].
    units : int array [U], the hidden units drawn (all, or an even sample).
    n_hidden : H, the layer's hidden units; layer, n_layers : which layer of how many.
    where : which episode this is (for the subtitle).

    Raises
    ------
    ValueError when a gate's shape does not match ``symbols`` and ``units``.
    """
    units = np.asarray(units)
    expected = (len(symbols), units.shape[0])
    for gate, _ in GATES:
        if np.shape(gates[gate]) != expected:
            raise ValueError(f"gate {gate!r} must be [steps, units] = {list(expected)}, "
                             f"got {list(np.shape(gates[gate]))}")
    steps = np.arange(len(symbols))
    gap = 0.03
    height = (1.0 - gap * (len(GATES) - 1)) / len(GATES)
    data, layout = [], {}
    for index, (gate, name) in enumerate(GATES):
        suffix = "" if index == 0 else str(index + 1)
        # three decimals are all a colour shows, and a third of the bytes on every redraw
        data.append(dict(type="heatmap", z=np.round(np.asarray(gates[gate], np.float64).T, 3),
                         x=steps, y=units, xaxis="x", yaxis=f"y{suffix}",
                         coloraxis="coloraxis",
                         hovertemplate=f"{name}<br>unit %{{y}}<br>step %{{x}}<br>%{{z:.3f}}"
                                       "<extra></extra>"))
        top = 1.0 - index * (height + gap)
        layout[f"yaxis{suffix}"] = axis_spec(name, domain=[top - height, top],
                                             autorange="reversed", showgrid=False,
                                             zeroline=False)
        layout[f"yaxis{suffix}"]["title"]["font"]["size"] -= 2
    layout["xaxis"] = axis_spec("input symbol read at each step", anchor=f"y{len(GATES)}",
                                showgrid=False, zeroline=False, **_symbol_ticks(symbols))
    layout["coloraxis"] = dict(colorscale=theme.DIVERGING, cmin=-1.0, cmax=1.0, cmid=0.0,
                               colorbar=dict(title=dict(text="activation"), thickness=14))
    shown = "all" if units.shape[0] == n_hidden else f"{units.shape[0]} of"
    layer_text = f", layer {layer + 1} of {n_layers}" if n_layers > 1 else ""
    subtitle = f"{shown} {n_hidden} hidden units{layer_text}" + (f"; {where}" if where else "")
    return live_figure(data, layout, "LSTM gate activations on one held-out episode", subtitle,
                       GATE_HEIGHT)


def state_raster(states: np.ndarray, n_states: np.ndarray, machines: np.ndarray,
                 symbols: Sequence[str], *, n_machines: int, where: str = "") -> go.Figure:
    """The FSM network's one-hot states over one episode: a row per (machine, state) for a
    sample of machines, blue where the machine is in that state — the features a
    state readout weighs.

    Parameters
    ----------
    states : int array [L, M], each drawn machine's state after each step.
    n_states : int array [M], each drawn machine's number of states (its rows).
    machines : int array [M], the drawn machines' indices in the network.
    symbols : the input symbol read at each step, [L].
    n_machines : N, the machines in the whole network.
    where : which episode this is (for the subtitle).

    Raises
    ------
    ValueError when the shapes disagree.
    """
    states, n_states = np.asarray(states), np.asarray(n_states, dtype=np.int64)
    machines = np.asarray(machines)
    if states.shape != (len(symbols), machines.shape[0]) or n_states.shape != machines.shape:
        raise ValueError(f"states must be [steps, machines] = {[len(symbols), len(machines)]} "
                         f"with one state count per machine, got {list(states.shape)} and "
                         f"{list(n_states.shape)}")
    first_row = np.concatenate([[0], np.cumsum(n_states)[:-1]]).astype(np.int64)   # [M]
    n_rows, n_steps = int(n_states.sum()), states.shape[0]
    one_hot = np.zeros((n_rows, n_steps), dtype=np.uint8)                            # [rows, L]
    one_hot[first_row[None, :] + states, np.arange(n_steps)[:, None]] = 1
    labels = [f"machine {m:,}, state {s}" for m, count in zip(machines, n_states, strict=True)
              for s in range(count)]                                                 # [rows]
    data = [dict(type="heatmap", z=one_hot, x=np.arange(n_steps), y=labels,
                 colorscale=ONE_HOT_SCALE, zmin=0, zmax=1, showscale=False,
                 hovertemplate="%{y}<br>step %{x}: %{z}<extra></extra>")]
    separators = [dict(type="line", xref="paper", x0=0, x1=1, yref="y", y0=row - 0.5,
                       y1=row - 0.5, line=dict(color=SEPARATOR_COLOUR, width=1))
                  for row in first_row[1:]]        # a category axis places row k at k
    layout = dict(
        xaxis=axis_spec("input symbol read at each step", showgrid=False, zeroline=False,
                        **_symbol_ticks(symbols)),
        yaxis=axis_spec("machine (a row per state)", autorange="reversed", showgrid=False,
                        tickmode="array", tickvals=[labels[r] for r in first_row],
                        ticktext=[f"#{m:,}" for m in machines]),
        shapes=separators)
    shown = ("all" if machines.shape[0] == n_machines
             else f"{machines.shape[0]} of {n_machines:,}")
    subtitle = f"{shown} machines, a row per state" + (f"; {where}" if where else "")
    return live_figure(data, layout, "FSM network: one-hot states on the same episode",
                       subtitle, RASTER_HEIGHT)


def _symbol_ticks(symbols: Sequence[str]) -> dict:
    """Ticks at the steps of an episode labelled with the symbol read there (a sample of
    them when there are more than ``MAX_SYMBOL_TICKS``)."""
    picked = thin(len(symbols), MAX_SYMBOL_TICKS)
    return dict(tickmode="array", tickvals=picked.tolist(),
                ticktext=[_printable(symbols[i]) for i in picked], tickangle=0)


def _printable(symbol: str) -> str:
    """A symbol as a tick label: spaces and control characters made visible."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(symbol, symbol)


def memory_capacity_figure(curves: Sequence[dict], committed: Sequence[dict] = ()
                           ) -> go.Figure:
    """Memory capacity: the r² with which each delay's input is read back from the model's
    state, against the delay, one line per model (the sum over delays is the capacity).

    Parameters
    ----------
    curves : ``{"model", "label", "r2"}`` with ``r2`` a float array [K] for delays 1..K.
    committed : the same with ``"seed"``, from the committed runs (dotted).
    """
    data = []
    for curve, live in [(c, False) for c in committed] + [(c, True) for c in curves]:
        r2 = np.asarray(curve["r2"], dtype=np.float64)
        colour = theme.model_colour(curve["model"])
        name = curve["label"] + ("" if live else f", committed (seed {curve.get('seed')})")
        name += f": MC {np.nansum(r2):.2f}"
        trace = dict(type="scatter", x=np.arange(1, r2.shape[0] + 1), y=r2, name=name,
                     hovertemplate=f"{name}<br>delay %{{x}}: r² %{{y:.3f}}<extra></extra>")
        if live:
            trace.update(mode="lines+markers", marker=dict(size=5, color=colour),
                         line=dict(color=colour, width=2.5))
        else:
            trace.update(mode="lines", opacity=0.75,
                         line=dict(color=colour, width=1.5, dash="dot"))
        data.append(trace)
    layout = dict(xaxis=axis_spec("delay k (steps)", rangemode="tozero"),
                  yaxis=axis_spec("r² of the input k steps ago", range=[-0.02, 1.02]),
                  showlegend=True)
    return live_figure(data, layout, "Memory capacity: r² against delay",
                       "on held-out steps; the capacity MC is the sum over delays", MC_HEIGHT)
