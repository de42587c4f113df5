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
#: largest machine whose diagram keeps labels readable (12 px or more) in its box at
#: 1280x720; larger ones get a taller box and a hint to show the diagram full screen
READABLE_STATES = 12
#: the tallest diagram box that still fits beside the Step button on a 1280x720 screen
#: (classroom mode enlarges a diagram up to it)
ONE_SCREEN_HEIGHT = 360
ENLARGE_HINT = ("A large machine: point at the diagram and click the full-screen button at its "
                "top right to see it bigger.")
#: the tape's colours, explained under it (the same styles as its cells)
_READ, _JUST_READ, _NEXT, _AHEAD = (
    "background:#e9ecef;color:#6c757d;", f"background:{theme.HIGHLIGHT};color:#1f2933;",
    f"border:2px solid {theme.POSITIVE};color:#1f2933;",
    "background:#f8f9fa;color:#1f2933;border:1px solid #dee2e6;")


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


def diagram_height(n_states: int) -> int:
    """Pixels of the box a diagram of ``n_states`` states is fitted into: small machines
    leave room for the tape below; up to ``READABLE_STATES`` the box still fits beside the
    Step button on a 1280x720 screen; larger machines get more room (and full screen)."""
    if n_states <= 4:
        return 240
    if n_states <= READABLE_STATES:
        return 350
    return 520


def tape_html(symbols, position: int, window: int = TAPE_WINDOW, legend: bool = False) -> str:
    """The tape as a row of cells: symbols already read are grey, the one just read is
    highlighted, the next one is outlined.  Only ``window`` cells either side of the
    position are shown; an ellipsis marks the hidden ends.  ``legend`` adds a line
    saying what the colours mean."""
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
            style = _JUST_READ
        elif t == position:
            style = _NEXT
        elif t < position:
            style = _READ
        else:
            style = _AHEAD
        parts.append(f'<span title="step {t + 1}" style="{cell}{style}">{symbol}</span>')
    if hi < len(symbols):
        parts.append(f'<span style="{cell}color:#6c757d">…</span>')
    key = ""
    if legend:
        swatch = ("display:inline-block;width:1.1em;height:1.1em;border-radius:3px;"
                  "vertical-align:-0.2em;margin:0 0.3em 0 0.9em;box-sizing:border-box;")
        key = ('<div style="font-size:0.875rem;color:#4a5560">Tape:'
               + "".join(f'<span style="{swatch}{style}"></span>{what}'
                         for style, what in ((_READ, "read"), (_JUST_READ, "just read"),
                                             (_NEXT, "next"), (_AHEAD, "still to come")))
               + "</div>")
    return f'<div data-testid="tape" style="line-height:2.2">{"".join(parts)}{key}</div>'


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
    """The analysis panel's metrics as ``(label, value text, help)`` from
    :func:`explorer.session.analysis`."""
    return [
        ("States", str(analysis["states"]), "How many states the machine has."),
        ("Reachable", str(analysis["reachable"]),
         "States some input can lead to from the start state; the others never matter."),
        ("Minimal size", str(analysis["minimal_states"]),
         "States of the smallest machine that emits the same outputs on every input."),
        ("Strongly connected parts", str(len(analysis["components"])),
         "Groups of states that can all reach each other; once the machine leaves a group "
         "it never comes back. They are listed below."),
        ("Memory window", _window_text(analysis),
         "The fewest last symbols that always decide the state, whatever came before: the "
         "machine remembers at most this much of its input. 'No limit': some input keeps "
         "information for ever (a count, a parity, a stored symbol)."),
        ("Reset input", _reset_text(analysis),
         "The length of the shortest input that puts the machine in one known state, whatever "
         "state it was in (a synchronising word): how fast a well-chosen input wipes its "
         "memory. It can be shorter than the memory window."),
    ]


def _symbols(count: int) -> str:
    return f"{count} symbol{'' if count == 1 else 's'}"


def _window_text(analysis: dict) -> str:
    if analysis["memory_window"] is not None:
        return _symbols(analysis["memory_window"])
    return "not computed" if analysis["memory_window_note"] else "no limit"


def _reset_text(analysis: dict) -> str:
    if analysis["memory_horizon"] is not None:
        return _symbols(analysis["memory_horizon"])
    return "none" if analysis["memory_horizon_note"].startswith("none") else "not computed"


def memory_text(machine: Machine, analysis: dict) -> str:
    """One or two plain sentences on what the machine remembers and how it forgets, from
    the memory window and the shortest reset input (they differ: the ends-in-ab machine's
    state depends on the last two symbols, yet reading a alone resets it)."""
    window, word = analysis["memory_window"], analysis["reset_word"]
    if window == 0:
        first = "Its state never depends on the input: it remembers nothing."
    elif window is not None:
        first = (f"Its state is always decided by the last **{_symbols(window)}** it read, "
                 "whatever came before: it remembers that much and forgets anything older.")
    elif analysis["memory_window_note"]:
        first = "It is too large to work out how much of its input it remembers."
    else:
        first = ("No fixed number of last symbols decides its state: some input keeps "
                 "information for ever (a count, a parity, a stored symbol).")
    if window == 0 or (word is None and not analysis["memory_horizon_note"].startswith("none")):
        return first
    if word is None:
        return first + " No input ever makes it forget everything it read."
    shown = " ".join(_markdown_text(symbol) for symbol in word)
    faster = (" — sooner than the memory window" if window is not None and len(word) < window
              else "")
    return (f"{first} Reading **{shown}** puts it in state "
            f"**{_markdown_text(analysis['reset_state'])}** whatever state it was in{faster}.")


def _markdown_text(text) -> str:
    """``text`` with Markdown's special characters escaped (shown as typed)."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]()#+-.!|<>$~" else c for c in str(text))
