"""Figures of the Train page (and of any live training view): arrays in, Plotly figures out.

Nothing here knows about Streamlit, learners or settings.  Every figure has a
title saying what it shows (a browser test reads ``layout.title.text``) and a
subtitle with the details; long curves are thinned to ``LIMITS.curve_points``
points and weight maps to ``LIMITS.weight_cells`` squares so a live refresh
stays small, and a constant ``uirevision`` keeps zoom across redraws.  Signed
numbers use the one diverging scale of :mod:`explorer.theme` (orange < 0 < blue,
white at 0).

Figures are written as plain Plotly specs and wrapped without Plotly's
property validation (``_validate=False``): validating four figures took about
0.2 s of every live tick on a loaded 2-core machine, building them this way
takes about 1 ms.  ``tests/test_train_figures.py`` validates every figure once.

A clickable weight map is a scatter of square markers, not a heatmap: Streamlit
reports clicks on scatter points (``on_select``) but not on heatmap cells, and
each square carries its machine's index in ``customdata``.  A map nobody can
click (while training, or of units that open nothing) is the same squares drawn
as one heatmap, far cheaper for the browser to redraw.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from fsm_engine.analysis import thin

from . import theme
from .limits import LIMITS
from .network_figures import FONT_SIZE

#: height of a curve chart in pixels
CURVE_HEIGHT = 330
#: the plot area a weight map fills at most (pixels), and the largest square
MAP_WIDTH, MAP_HEIGHT, MAX_CELL = 520, 400, 28
#: margins around a weight map's plot area (left, right, top, bottom) in pixels
MAP_MARGIN = dict(l=70, r=90, t=80, b=20)
CURVE_MARGIN = dict(l=70, r=20, t=80, b=55)
TRAIN_COLOUR, HELD_OUT_COLOUR = theme.CATEGORICAL[0], theme.CATEGORICAL[1]
TARGET_COLOUR = "#6c757d"
GRID_COLOUR = "#e5e5e5"
#: a curve with at most this many points shows its points as markers
MARKED_POINTS = 30
#: the share of its cell a weight map's square fills (the rest is the gap between squares)
SQUARE_FILL = 0.92

#: what the weight map shows: one output (a grid of machines), several outputs
#: (classes x machines), or one-hot state features (machines x states)
GRID, CLASSES, STATES = "grid", "classes", "states"


def curve_points(n: int, cap: int = LIMITS.curve_points) -> np.ndarray:
    """Indices of the points of an ``n``-point curve to draw: evenly thinned to at most
    ``cap`` and always ending at the newest point."""
    picked = thin(n, max(1, cap - 1))
    return picked if n == 0 or picked[-1] == n - 1 else np.append(picked, n - 1)


def _line(x, y, name: str, colour: str, hover: str) -> dict:
    """A curve: a line, with markers only while it has few points (every marker is an SVG
    element the browser redraws on every tick)."""
    mode = "lines+markers" if len(x) <= MARKED_POINTS else "lines"
    return dict(type="scatter", x=x, y=y, name=name, mode=mode,
                marker=dict(size=5, color=colour), line=dict(color=colour, width=2.5),
                hovertemplate=hover + "<extra></extra>")


def _axis(title: str, **extra) -> dict:
    return dict(title=dict(text=title, font=dict(size=FONT_SIZE)), gridcolor=GRID_COLOUR,
                tickfont=dict(size=FONT_SIZE - 2), **extra)


def loss_figure(updates, train_loss, held_out_loss, *, loss_name: str,
                held_out_name: str = "held-out steps") -> go.Figure:
    """Training and held-out loss against updates.

    Parameters
    ----------
    updates : int array [E], updates done at each evaluation.
    train_loss, held_out_loss : float arrays [E], the loss per scored step on the
        training steps and on the held-out steps (NaN where unknown).
    loss_name : what the loss is, for the subtitle (e.g. "squared error").
    held_out_name : the second curve's legend (e.g. "held-out steps (none in this task)").

    Returns
    -------
    Two lines from zero up.
    """
    updates = np.asarray(updates, dtype=np.float64)
    picked = curve_points(updates.shape[0])
    data = [_line(updates[picked], np.asarray(values, dtype=np.float64)[picked], name, colour,
                  f"{name}<br>update %{{x}}: %{{y:.4g}}")
            for values, name, colour in ((train_loss, "training steps", TRAIN_COLOUR),
                                         (held_out_loss, held_out_name, HELD_OUT_COLOUR))]
    layout = dict(xaxis=_axis("updates", rangemode="tozero"),
                  yaxis=_axis("loss per step", rangemode="tozero"))
    return _figure(data, layout, "Loss: training and held-out steps",
                   f"{loss_name} per scored step; lower is better", CURVE_HEIGHT)


def metric_figure(updates, values, chance: float, *, metric: str, greater_is_better: bool,
                  where: str = "held-out steps") -> go.Figure:
    """The task's metric against updates, with the chance level dashed.

    Parameters
    ----------
    updates : int array [E]; values : float array [E], the metric at each evaluation.
    chance : the metric of guessing without looking at the input.
    metric : the metric's name (``"accuracy"``, ``"nrmse"``, ...).
    greater_is_better : whether larger values are better (said in the subtitle).
    where : the steps it is measured on.
    """
    updates = np.asarray(updates, dtype=np.float64)
    picked = curve_points(updates.shape[0])
    label = metric.replace("_", " ")
    data = [_line(updates[picked], np.asarray(values, dtype=np.float64)[picked], label,
                  TRAIN_COLOUR, f"{label}<br>update %{{x}}: %{{y:.4g}}")]
    yaxis = _axis(label)
    if metric in ("accuracy", "five_bit_success", "twenty_bit_success", "reber_success"):
        yaxis["range"] = [-0.02, 1.02]
    layout = dict(xaxis=_axis("updates", rangemode="tozero"), yaxis=yaxis, showlegend=False)
    if math.isfinite(chance):
        layout["shapes"] = [dict(type="line", xref="paper", x0=0, x1=1, yref="y", y0=chance,
                                 y1=chance, line=dict(color=TARGET_COLOUR, dash="dash", width=2))]
        layout["annotations"] = [dict(xref="paper", x=1, xanchor="right", yref="y", y=chance,
                                      yanchor="top", text=f"chance {chance:.3g}",
                                      showarrow=False, font=dict(color=TARGET_COLOUR))]
    better = "higher" if greater_is_better else "lower"
    return _figure(data, layout, f"{label.capitalize()} on {where}",
                   f"{better} is better; the dashed line is chance", CURVE_HEIGHT)


def weight_map(weights, kind: str, *, classes=(), unit: str = "machine",
               clickable: bool = True, pause_to_click: bool = False,
               cap: int = LIMITS.weight_cells) -> go.Figure:
    """The readout's weights as coloured squares, one per weight, clickable.

    Parameters
    ----------
    weights : float array; ``GRID``: [N], one weight per machine (one output), laid
        on a square grid; ``CLASSES``: [K, N], row k the weights of output k, drawn
        as one block of the same grid per output; ``STATES``: [N, S], row n machine
        n's weight for each of its states (NaN where a machine has fewer states),
        drawn as one row of S squares per machine, rows stacked in groups.
    kind : ``GRID``, ``CLASSES`` or ``STATES``.
    classes : names of the K outputs (``CLASSES``).
    unit : what a column of the features is ("machine" or "unit").
    clickable : draw clickable squares and say in the subtitle that one opens its machine.
    pause_to_click : say instead that a square opens its machine once training is paused.
    cap : most squares drawn; beyond it an evenly spread sample of machines is drawn.

    Returns
    -------
    Clickable: a scatter of square markers on the diverging scale centred on 0; each
    point's ``customdata`` starts with its machine's index (then the output or state
    number, and for ``CLASSES`` the output's name).  Otherwise the same squares as one
    heatmap (z [rows, columns], NaN where there is no square; ``customdata`` the machine
    of each cell, -1 where none) on the same axes, size and colour scale: one image for
    the browser to redraw instead of up to ``cap`` SVG markers (about 17 ms a redraw
    against 52 ms for 900 squares, measured in headless Chromium).

    Raises
    ------
    ValueError on a ``kind`` it does not know or weights of the wrong shape.
    """
    weights = np.asarray(weights, dtype=np.float64)
    expected_dims = {GRID: 1, CLASSES: 2, STATES: 2}
    if kind not in expected_dims or weights.ndim != expected_dims[kind]:
        raise ValueError(f"weights for a {kind!r} map must be {expected_dims.get(kind, '?')}-D, "
                         f"got shape {weights.shape}")
    n_units = weights.shape[1] if kind == CLASSES else weights.shape[0]
    yaxis: dict = {}
    if kind == GRID:
        machines = thin(n_units, cap)                                          # [M]
        columns = max(1, math.ceil(math.sqrt(machines.shape[0])))
        position = np.arange(machines.shape[0])
        x, y, values = position % columns, position // columns, weights[machines]
        rows = -(-machines.shape[0] // columns)
        customdata = np.stack([machines, np.zeros_like(machines)], axis=1)     # [M, 2]
        hover = f"{unit} #%{{customdata[0]}}<br>weight %{{marker.color:.4g}}"
        title = f"Readout weights, one square per {unit}"
    elif kind == CLASSES:
        # one block of rows per output, each the same grid of machines, blocks one row apart
        n_classes = weights.shape[0]
        machines = thin(n_units, max(1, cap // max(n_classes, 1)))            # [M]
        n_machines = machines.shape[0]
        columns = min(n_machines, math.ceil(math.sqrt(n_machines * n_classes)))
        block = -(-n_machines // columns)                                     # rows per output
        gap = 1 if block > 1 else 0
        output, position = np.divmod(np.arange(n_classes * n_machines), n_machines)  # [K*M]
        x = position % columns
        y = output * (block + gap) + position // columns
        values = weights[:, machines].ravel()
        rows = n_classes * (block + gap) - gap
        names = [str(c) for c in classes] if len(classes) == n_classes \
            else [str(k) for k in range(n_classes)]
        customdata = np.empty((x.shape[0], 3), dtype=object)                  # [K*M, 3]
        customdata[:, 0], customdata[:, 1] = machines[position], output
        customdata[:, 2] = np.asarray(names, dtype=object)[output]
        hover = (f"{unit} #%{{customdata[0]}}<br>output %{{customdata[2]}}<br>"
                 "weight %{marker.color:.4g}")
        title = "Readout weights, one block per output"
        yaxis = dict(showticklabels=True, tickmode="array", ticktext=names,
                     tickvals=[k * (block + gap) + (block - 1) / 2 for k in range(n_classes)],
                     title=dict(text="output"))
    else:
        # one row of S squares per machine; the rows are stacked in side-by-side groups
        # (a column apart) so that the map stays about square
        n_states = weights.shape[1]
        machines = thin(n_units, max(1, cap // max(n_states, 1)))            # [M]
        n_machines = machines.shape[0]
        groups = max(1, min(n_machines, round(math.sqrt(n_machines / (n_states + 1)))))
        per_group = -(-n_machines // groups)                                  # rows
        row, state = np.divmod(np.arange(n_machines * n_states), n_states)   # [M*S]
        values = weights[machines].ravel()
        keep = np.isfinite(values)
        row, state, values = row[keep], state[keep], values[keep]
        x = (row // per_group) * (n_states + 1) + state
        y = row % per_group
        columns, rows = groups * (n_states + 1) - 1, per_group
        customdata = np.stack([machines[row], state], axis=1)                 # [cells, 2]
        hover = (f"{unit} #%{{customdata[0]}}<br>state %{{customdata[1]}}<br>"
                 "weight %{marker.color:.4g}")
        title = f"Readout weights, one row per {unit}"
    subtitle = _shown(machines, n_units, unit)
    if kind == CLASSES:
        subtitle = f"a square per {unit}, {subtitle}"
    elif kind == STATES:
        subtitle = f"{n_states} states per row, {subtitle}"
    if clickable:
        subtitle += " · click one to open it"
    elif pause_to_click:
        subtitle += " · pause, then click one to open it"
    cell = min(MAP_WIDTH / columns, MAP_HEIGHT / rows, MAX_CELL)
    low, high = theme.symmetric_range(values)
    scale = dict(colorscale=theme.DIVERGING, showscale=True,
                 colorbar=dict(title=dict(text="weight"), thickness=14))
    if clickable:
        data = [dict(type="scatter", x=x, y=y, mode="markers", customdata=customdata,
                     marker=dict(symbol="square", size=max(2.0, cell * SQUARE_FILL),
                                 color=values.astype(np.float32), cmin=low, cmax=high,
                                 cmid=0.0, line=dict(width=0), **scale),
                     unselected=dict(marker=dict(opacity=1.0)),
                     hovertemplate=hover + "<extra></extra>")]
    else:
        # the same squares as one image: z [rows, columns], NaN (no square) where the
        # scatter has no point, the gap between squares as the markers leave it
        z = np.full((rows, columns), np.nan, dtype=np.float32)               # [rows, columns]
        z[y, x] = values
        index = np.full((rows, columns), -1, dtype=np.int32)                 # [rows, columns]
        index[y, x] = customdata[:, 0]
        gap = cell * (1 - SQUARE_FILL)
        data = [dict(type="heatmap", z=z, customdata=index, zmin=low, zmax=high, xgap=gap,
                     ygap=gap, hoverongaps=False,
                     hovertemplate=f"{unit} #%{{customdata}}<br>weight %{{z:.4g}}<extra></extra>",
                     **scale)]
    hidden = dict(showgrid=False, zeroline=False, showticklabels=False)
    layout = dict(xaxis=dict(hidden, range=[-0.5, columns - 0.5]),
                  yaxis=dict(hidden, range=[rows - 0.5, -0.5], **yaxis),
                  width=columns * cell + MAP_MARGIN["l"] + MAP_MARGIN["r"],
                  height=rows * cell + MAP_MARGIN["t"] + MAP_MARGIN["b"],
                  margin=MAP_MARGIN, dragmode=False, clickmode="event+select",
                  hovermode="closest")
    return _figure(data, layout, title, subtitle, None)


def _shown(machines: np.ndarray, total: int, unit: str) -> str:
    """Which machines a map shows: "all 400 machines", "900 of 10,000 machines (1 in 12)"."""
    if machines.shape[0] == total:
        return f"all {total:,} {unit}s"
    return f"{machines.shape[0]:,} of {total:,} {unit}s (1 in {int(machines[1] - machines[0])})"


def predictions_figure(steps, targets, predictions, *, classes=(), column: str = "",
                       where: str = "held-out steps") -> go.Figure:
    """Predictions against targets over a window of steps.

    Parameters
    ----------
    steps : int array [W], the stream steps of the window (only scored ones).
    targets, predictions : class codes [W] (``classes`` given: a classification) or
        real values [W] (a regression).
    classes : names of the classes.
    column : which target column a multi-column regression shows (e.g. "column 1 of 20").
    where : which steps these are (for the title).
    """
    steps = np.asarray(steps)
    if classes:
        targets, predictions = np.asarray(targets), np.asarray(predictions)
        names = np.asarray([str(c) for c in classes], dtype=object)
        right = predictions == targets
        data = [dict(type="scatter", x=steps, y=targets, name="target", mode="markers",
                     marker=dict(symbol="circle-open", size=13, color=TARGET_COLOUR,
                                 line=dict(width=2)),
                     customdata=names[targets],
                     hovertemplate="step %{x}<br>target %{customdata}<extra></extra>")]
        for hit, name, colour in ((True, "prediction (right)", theme.POSITIVE),
                                  (False, "prediction (wrong)", theme.NEGATIVE)):
            chosen = right == hit
            data.append(dict(type="scatter", x=steps[chosen], y=predictions[chosen], name=name,
                             mode="markers", marker=dict(size=7, color=colour),
                             customdata=names[predictions[chosen]],
                             hovertemplate="step %{x}<br>predicted %{customdata}"
                                           "<extra></extra>"))
        yaxis = _axis("class", tickmode="array", tickvals=list(range(len(names))),
                      ticktext=list(names), range=[-0.6, len(names) - 0.4])
        accuracy = float(right.mean()) if right.size else float("nan")
        subtitle = f"{accuracy:.0%} of these {right.size} steps right"
    else:
        data = [dict(type="scatter", x=steps, y=np.asarray(targets, dtype=np.float64),
                     name="target", mode="lines", line=dict(color=TARGET_COLOUR, width=3)),
                dict(type="scatter", x=steps, y=np.asarray(predictions, dtype=np.float64),
                     name="prediction", mode="lines", line=dict(color=theme.POSITIVE, width=2))]
        yaxis = _axis("value")
        subtitle = f"{steps.shape[0]} steps" + (f"; target {column}" if column else "")
    layout = dict(xaxis=_axis("step"), yaxis=yaxis)
    return _figure(data, layout, f"Predictions against targets on {where}", subtitle,
                   CURVE_HEIGHT)


def _figure(data: list[dict], layout: dict, title: str, subtitle: str,
            height: int | None) -> go.Figure:
    """The live charts' common look around ``data`` and ``layout``: a title saying what the
    chart shows and a subtitle with the details, readable text, a white background, the
    legend in the plot's top right corner, a constant ``uirevision`` (zoom survives
    redraws); ``height`` None keeps the layout's own size.  Wrapped without validation
    (see the module note)."""
    layout = dict(title=dict(text=title, font=dict(size=FONT_SIZE + 1), x=0, xanchor="left",
                             subtitle=dict(text=subtitle, font=dict(size=FONT_SIZE - 2))),
                  uirevision=theme.UIREVISION, font=dict(size=FONT_SIZE - 1),
                  plot_bgcolor="white",
                  legend=dict(orientation="h", x=1, xanchor="right", y=1, yanchor="top",
                              bgcolor="rgba(255, 255, 255, 0.85)"),
                  **layout)
    if height is not None:
        layout.update(height=height, margin=CURVE_MARGIN)
    return go.Figure(dict(data=data, layout=layout), _validate=False)
