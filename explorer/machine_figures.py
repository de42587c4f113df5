"""Figures of the Machine page, as pure functions of a machine and arrays.

Nothing here reads session state or draws: each function returns DOT text, an
HTML snippet or a Plotly figure that the page hands to Streamlit, so the same
pictures can be built in a notebook or a test.
"""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from fsm_engine import Machine
from fsm_engine.analysis import step_position

from . import theme

#: tape cells shown either side of the reading position (long tapes scroll with it)
TAPE_WINDOW = 24


def diagram(machine: Machine, states: np.ndarray, symbols, position: int) -> str:
    """DOT text of the state diagram after reading ``position`` symbols of a tape.

    Parameters
    ----------
    machine : Machine
    states : int array [T], the state after each tape symbol (``machine.run(tape)``).
    symbols : the tape's symbols [T].
    position : symbols read so far, 0..T.

    Returns
    -------
    DOT text with the current state filled and the last transition taken drawn bold.
    """
    state, before = step_position(states, machine.start, position)
    edge = None if before is None else (before, symbols[position - 1])
    return machine.to_dot(state=state, edge=edge)


def tape_html(symbols, position: int, window: int = TAPE_WINDOW) -> str:
    """The tape as a row of cells: symbols already read are grey, the one just read is
    highlighted, the next one is outlined.  Only ``window`` cells either side of the
    position are shown; an ellipsis marks the hidden ends."""
    lo = max(0, position - window)
    hi = min(len(symbols), position + window)
    cell = ("display:inline-block;min-width:2.1em;padding:0.25em 0.45em;margin:0 2px 4px 0;"
            "border-radius:6px;text-align:center;font:600 1.25rem/1.4 ui-monospace,monospace;")
    parts = []
    if lo > 0:
        parts.append(f'<span style="{cell}color:#6c757d">…</span>')
    for t in range(lo, hi):
        symbol = html.escape(str(symbols[t]))
        if t == position - 1:
            style = f"background:{theme.HIGHLIGHT};color:#1f2933;"
        elif t == position:
            style = f"border:2px solid {theme.POSITIVE};color:#1f2933;"
        elif t < position:
            style = "background:#e9ecef;color:#6c757d;"
        else:
            style = "background:#f8f9fa;color:#1f2933;border:1px solid #dee2e6;"
        parts.append(f'<span title="step {t + 1}" style="{cell}{style}">{symbol}</span>')
    if hi < len(symbols):
        parts.append(f'<span style="{cell}color:#6c757d">…</span>')
    return f'<div data-testid="tape" style="line-height:2.2">{"".join(parts)}</div>'


def output_figure(machine: Machine, states: np.ndarray, position: int) -> go.Figure:
    """The output trace o_t for t = 0..position as a step line, with the current step marked.

    Parameters
    ----------
    machine : Machine
    states : int array [T], the state after each tape symbol.
    position : symbols read so far, 0..T.

    Returns
    -------
    A Plotly figure whose axes span the whole tape and every output value, so it
    does not rescale while stepping.  t = 0 is the start state's output.
    """
    visited = np.concatenate([[machine.start], states[:position]])            # [position + 1]
    outputs = machine.outputs[visited]                                         # [position + 1]
    steps = np.arange(position + 1)
    low, high = float(machine.outputs.min()), float(machine.outputs.max())
    pad = 0.12 * (high - low) if high > low else 0.5
    figure = go.Figure()
    figure.add_trace(go.Scatter(
        x=steps, y=outputs, mode="lines+markers",
        line=dict(shape="hv", color=theme.POSITIVE, width=3),
        marker=dict(size=6, color=theme.POSITIVE), name="output",
        customdata=[machine.states[s] for s in visited],
        hovertemplate="t=%{x}<br>state %{customdata}<br>o=%{y}<extra></extra>"))
    figure.add_trace(go.Scatter(
        x=[position], y=[outputs[-1]], mode="markers", name="now",
        marker=dict(size=16, color=theme.HIGHLIGHT, line=dict(color=theme.LAST_EDGE, width=2)),
        hovertemplate="now: t=%{x}, o=%{y}<extra></extra>"))
    figure.update_layout(
        height=260, margin=dict(l=70, r=20, t=10, b=55), showlegend=False,
        uirevision=theme.UIREVISION, plot_bgcolor="white", font=dict(size=15),
        xaxis=dict(title="step t", range=[-0.5, max(len(states), 1) + 0.5], gridcolor="#eef1f4",
                   zeroline=False),
        yaxis=dict(title="output o<sub>t</sub>", range=[low - pad, high + pad], gridcolor="#eef1f4",
                   zeroline=True, zerolinecolor="#ced4da"))
    return figure


def components_text(machine: Machine, analysis: dict, shown: int = 12) -> str:
    """The strongly connected parts by state name, e.g. ``{q0, q1} · {q2}`` (at most ``shown``)."""
    parts = analysis["components"]
    text = " · ".join("{" + ", ".join(machine.states[s] for s in part) + "}"
                      for part in parts[:shown])
    return text + (f" · … ({len(parts) - shown} more)" if len(parts) > shown else "")


def analysis_summary(machine: Machine, analysis: dict) -> list[tuple[str, str, str]]:
    """The analysis panel's metrics as ``(label, value text, help)`` from ``machine.analysis()``."""
    horizon = analysis["memory_horizon"]
    if horizon is not None:
        horizon_text = f"{horizon} symbol{'s' if horizon != 1 else ''}"
    else:
        never = analysis["memory_horizon_note"].startswith("none")
        horizon_text = "never forgets" if never else "not computed"
    return [
        ("States", str(analysis["states"]), "How many states the machine has."),
        ("Reachable", str(analysis["reachable"]),
         "States some input can lead to from the start state; the others never matter."),
        ("Minimal size", str(analysis["minimal_states"]),
         "States of the smallest machine that emits the same outputs on every input."),
        ("Strongly connected parts", str(len(analysis["components"])),
         "Groups of states that can all reach each other; once the machine leaves a group "
         "it never comes back. They are listed below."),
        ("Memory horizon", horizon_text,
         "The length of the shortest input after which the machine is in one known state, "
         "whatever it was in before: how long a well-chosen input takes to wipe its memory."),
    ]
