"""Figures of the Network page: pure functions from arrays to Plotly figures.

Nothing here knows about Streamlit, banks or settings.  Rasters take a state or
output trace laid out ``[time, machine]`` plus the labels of its rows and
columns; they thin the trace to at most ``max_steps x max_machines`` cells so a
refresh stays small, and keep a constant ``uirevision`` so zoom survives redraws.
"""
from __future__ import annotations

from itertools import cycle

import numpy as np
import plotly.graph_objects as go

from fsm_engine.analysis import thin

from . import theme
from .limits import LIMITS

#: figure heights in pixels: big enough for a projector, small enough to see two at once
RASTER_HEIGHT = 430
BAR_HEIGHT = 330
#: base font size of figure text (ticks one smaller)
FONT_SIZE = 15


def family_label(family: str) -> str:
    """A family name as students read it (``"delay_line"`` -> ``"delay line"``)."""
    return str(family).replace("_", " ")


def state_raster(states, steps, machines, families, *, max_steps: int = LIMITS.raster_steps,
                 max_machines: int = LIMITS.raster_machines) -> go.Figure:
    """Heatmap of machine states over time: one row per machine, one column per step.

    Parameters
    ----------
    states : int array [T, M], state of each machine after each step, rows in drawing order.
    steps : int array [T], the time step of each row of ``states``.
    machines : int array [M], the bank index of each machine (for the hover text).
    families : str array [M], family of each machine (labels family blocks).
    max_steps, max_machines : caps on the drawn cells (evenly thinned beyond them).

    Returns
    -------
    A heatmap figure, one colour band per state, family blocks labelled when grouped.

    Raises
    ------
    ValueError when the labels do not match the shape of ``states``.
    """
    states = np.asarray(states)
    n_colours = int(states.max()) + 1 if states.size else 1
    colours = dict(colorscale=theme.state_colorscale(n_colours), zmin=-0.5,
                   zmax=n_colours - 0.5,
                   colorbar=dict(title="state", tickvals=list(range(n_colours))
                                 if n_colours <= len(theme.CATEGORICAL) else None))
    return _raster(states.astype(np.uint16 if n_colours > 255 else np.uint8), steps, machines,
                   families, colours, "state %{z}", max_steps, max_machines)


def output_raster(outputs, steps, machines, families, *, max_steps: int = LIMITS.raster_steps,
                  max_machines: int = LIMITS.raster_machines) -> go.Figure:
    """Heatmap of machine outputs over time on the diverging scale, white at 0.

    Parameters, returns and errors are those of :func:`state_raster`, with ``outputs``
    float [T, M] in place of ``states``.
    """
    outputs = np.asarray(outputs, dtype=np.float32)
    low, high = theme.symmetric_range(outputs)
    colours = dict(colorscale=theme.DIVERGING, zmin=low, zmax=high, zmid=0.0,
                   colorbar=dict(title="output"))
    return _raster(outputs, steps, machines, families, colours, "output %{z:.2f}",
                   max_steps, max_machines)


def _raster(values, steps, machines, families, colours: dict, value_hover: str,
            max_steps: int, max_machines: int) -> go.Figure:
    values, steps = np.asarray(values), np.asarray(steps)
    machines, families = np.asarray(machines), np.asarray(families).astype(str)
    if values.shape != (steps.shape[0], machines.shape[0]) or families.shape != machines.shape:
        raise ValueError(f"values must be [steps, machines] = [{steps.shape[0]}, "
                         f"{machines.shape[0]}] with one family per machine, got {values.shape}")
    rows, cols = thin(values.shape[0], max_steps), thin(values.shape[1], max_machines)
    values, steps = values[np.ix_(rows, cols)], steps[rows]          # [T', M']
    machines, families = machines[cols], families[cols]
    labels = [f"#{m} {family_label(f)}" for m, f in zip(machines, families, strict=True)]
    figure = go.Figure(go.Heatmap(
        z=values.T, x=steps, y=labels, **colours,
        hovertemplate=f"%{{y}}<br>step %{{x}}<br>{value_hover}<extra></extra>"))
    blocks = _contiguous_blocks(families)
    grouped = len(blocks) == len(set(families.tolist()))
    figure.update_yaxes(
        autorange="reversed", title=f"{len(labels)} machines",
        tickmode="array", showticklabels=grouped,
        tickvals=[labels[(lo + hi - 1) // 2] for _, lo, hi in blocks] if grouped else [],
        ticktext=[family_label(name) for name, _, _ in blocks] if grouped else [])
    if grouped:
        for _, lo, _ in blocks[1:]:
            figure.add_hline(y=lo - 0.5, line=dict(color="black", width=1.5))
    figure.update_xaxes(title="time step (input number)")
    return _finish(figure, RASTER_HEIGHT)


def _contiguous_blocks(families: np.ndarray) -> list[tuple[str, int, int]]:
    """Runs of equal family names: ``[(family, first row, end row)]``."""
    if families.size == 0:
        return []
    starts = np.flatnonzero(np.r_[True, families[1:] != families[:-1]])
    ends = np.r_[starts[1:], families.size]
    return [(str(families[lo]), int(lo), int(hi)) for lo, hi in zip(starts, ends, strict=True)]


def occupancy_figure(shares: dict) -> go.Figure:
    """Bars of how often each state is visited, one colour per group (family, or all machines).

    Parameters
    ----------
    shares : ``{group: float array [S_g]}``, the fraction of machine-steps spent in each
        state number (each array sums to 1).

    Returns
    -------
    A grouped bar chart in percent, one colour per group (legend only for several groups).
    """
    figure = go.Figure()
    for colour, (group, share) in zip(cycle(theme.CATEGORICAL), shares.items()):
        share = np.asarray(share, dtype=np.float64)
        figure.add_bar(x=np.arange(share.shape[0]), y=100.0 * share, name=str(group),
                       marker_color=colour,
                       hovertemplate=f"{group}<br>state %{{x}}: %{{y:.1f}} % of the time"
                                     "<extra></extra>")
    figure.update_layout(barmode="group", bargap=0.15, showlegend=len(shares) > 1,
                         legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    figure.update_xaxes(title="state number", dtick=1 if _widest(shares) <= 32 else None)
    figure.update_yaxes(title="% of the time", rangemode="tozero")
    return _finish(figure, BAR_HEIGHT)


def _widest(shares: dict) -> int:
    return max((np.size(s) for s in shares.values()), default=0)


def _finish(figure: go.Figure, height: int) -> go.Figure:
    """Common layout: height, margins, constant uirevision, text readable on a projector."""
    figure.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                         uirevision=theme.UIREVISION, font=dict(size=FONT_SIZE),
                         plot_bgcolor="white")
    figure.update_xaxes(tickfont_size=FONT_SIZE - 1, title_font_size=FONT_SIZE)
    figure.update_yaxes(tickfont_size=FONT_SIZE - 1, title_font_size=FONT_SIZE)
    return figure
