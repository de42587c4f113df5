"""Figures of the Learn page: plain data in, a DOT text or a Plotly figure out.

Nothing here reads files or knows about Streamlit: :mod:`explorer.lesson` says what the
numbers are, these functions draw them.  Fonts are sized for a projector, every chart
has a title (a browser test reads ``layout.title.text``), and models keep the colours
they have on the Compare page (:func:`explorer.theme.model_colour`).
"""
from __future__ import annotations

import math
import textwrap

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import theme
from .network_figures import FONT_SIZE

#: pixels of a lesson chart
HEIGHT = 380
#: the bar charts' model order and names
BAR_ROLES = {"fsm": "FSM<br>random", "fsm_designed": "FSM<br>designed", "esn": "ESN",
             "lstm": "LSTM"}
#: the designed FSM family: the network's blue, lighter
DESIGNED_COLOUR = "#86b6e3"


def role_colour(role: str) -> str:
    return DESIGNED_COLOUR if role == "fsm_designed" else theme.model_colour(role)


def schematic(n_machines: int = 3) -> str:
    """DOT text of the question's model: one input, ``n_machines`` machines (and "…"), a
    weight on each machine's output, one sum."""
    lines = ["digraph question {", "  rankdir=LR; bgcolor=transparent;",
             '  node [fontname="Helvetica", fontsize=16];',
             '  edge [fontname="Helvetica", fontsize=14, color="#6c757d"];',
             '  input [label="input\\nx(t)", shape=box, style="rounded,filled", '
             f'fillcolor="{theme.HIGHLIGHT}"];',
             '  sum [label="Σ", shape=circle, style=filled, fillcolor="#f7f7f7", '
             'fontsize=22];',
             '  output [label="output\\ny(t)", shape=box, style="rounded,filled", '
             f'fillcolor="{theme.POSITIVE}", fontcolor=white];']
    for i in range(1, n_machines + 1):
        lines.append(f'  m{i} [label="machine {i}\\nstate → o{i}", shape=ellipse, '
                     f'style=filled, fillcolor="#e8f1fa"];')
        lines.append(f"  input -> m{i};")
        lines.append(f'  m{i} -> sum [label="× w{i}", fontcolor="{theme.POSITIVE}"];')
    lines += ['  more [label="… thousands more", shape=plaintext, fontcolor="#6c757d"];',
              '  input -> more [style=dashed]; more -> sum [style=dashed];',
              "  sum -> output;", "}"]
    return "\n".join(lines)


def _short(text: str, width: int = 18) -> str:
    """``text`` broken into lines of about ``width`` characters (a subplot title)."""
    return "<br>".join(textwrap.wrap(text, width, break_long_words=False))


def score_bars(rows: list[dict], title: str) -> go.Figure:
    """One panel per task, one bar per model.

    Parameters
    ----------
    rows : ``{"title", "metric", "chance", "axis", "bars": [{"role", "value", "text"}]}``
        per task; ``axis`` names what the bars are ("share of seeds solved", "accuracy",
        "bits per character"), ``chance`` (or None) is drawn dashed.
    title : the chart's title.
    """
    rows = rows or [{"title": "no results yet", "metric": "", "chance": None, "axis": "",
                     "bars": []}]
    figure = make_subplots(rows=1, cols=len(rows), subplot_titles=[_short(r["title"])
                                                                     for r in rows],
                           horizontal_spacing=0.12 if len(rows) > 2 else 0.18)
    for column, row in enumerate(rows, start=1):
        bars = row["bars"]
        figure.add_trace(go.Bar(
            x=[BAR_ROLES.get(b["role"], b["role"]) for b in bars],
            y=[b["value"] for b in bars], text=[b["text"] for b in bars],
            textposition="outside", cliponaxis=False,
            textfont=dict(size=FONT_SIZE - 1),
            marker=dict(color=[role_colour(b["role"]) for b in bars]),
            hovertemplate="%{x}: %{text}<extra></extra>", showlegend=False),
            row=1, col=column)
        values = [b["value"] for b in bars if b["value"] is not None]
        top = max(values + [row["chance"] or 0.0, 0.0])
        bounded = row["metric"] != "bits_per_symbol"
        figure.update_yaxes(range=[0, 1.18] if bounded and top <= 1 else [0, top * 1.25 or 1],
                            title=dict(text=row["axis"], font=dict(size=FONT_SIZE - 2)),
                            tickfont=dict(size=FONT_SIZE - 3), gridcolor="#e5e5e5",
                            row=1, col=column)
        figure.update_xaxes(tickfont=dict(size=FONT_SIZE - 2), tickangle=0, row=1, col=column)
        if row["chance"] is not None and math.isfinite(row["chance"]):
            figure.add_hline(y=row["chance"], line=dict(color="#6c757d", dash="dash", width=1.5),
                             row=1, col=column)
    figure.update_annotations(font=dict(size=FONT_SIZE))
    figure.update_layout(title=dict(text=title, font=dict(size=FONT_SIZE + 3)), height=HEIGHT,
                         margin=dict(l=60, r=20, t=110, b=60), plot_bgcolor="white",
                         bargap=0.25)
    return figure


def esn_traces(states: np.ndarray, inputs: np.ndarray) -> go.Figure:
    """Echo state network units over time: ``states`` [T, U] (one line per unit) and the
    input bits ``inputs`` [T] as a strip of markers along the top."""
    steps = np.arange(1, states.shape[0] + 1)
    figure = go.Figure()
    for unit in range(states.shape[1]):
        figure.add_trace(go.Scatter(
            x=steps, y=states[:, unit], mode="lines", name=f"unit {unit + 1}",
            line=dict(width=2.5, color=theme.CATEGORICAL[unit % len(theme.CATEGORICAL)]),
            hovertemplate=f"unit {unit + 1}, step %{{x}}: %{{y:.2f}}<extra></extra>"))
    figure.add_trace(go.Scatter(
        x=steps, y=np.full(steps.shape, 1.15), mode="markers", name="input",
        marker=dict(symbol="square", size=9, color=np.where(inputs > 0, theme.POSITIVE,
                                                             theme.NEGATIVE)),
        hovertemplate="step %{x}: input %{text}<extra></extra>", text=inputs.astype(str),
        showlegend=False))
    figure.update_layout(
        title=dict(text="Echo state network: continuous unit values",
                   font=dict(size=FONT_SIZE + 3)),
        height=HEIGHT, margin=dict(l=60, r=20, t=60, b=50), plot_bgcolor="white",
        showlegend=False,
        xaxis=dict(title=dict(text="input step", font=dict(size=FONT_SIZE)),
                   tickfont=dict(size=FONT_SIZE - 2), gridcolor="#e5e5e5"),
        yaxis=dict(title=dict(text="unit value", font=dict(size=FONT_SIZE)),
                   range=[-1.1, 1.3], tickfont=dict(size=FONT_SIZE - 2),
                   gridcolor="#e5e5e5"),
        annotations=[dict(x=1, y=1.15, xref="paper", yref="y", xanchor="right",
                          text="input: blue 1, orange 0", showarrow=False,
                          yshift=16, font=dict(size=FONT_SIZE - 2, color="#6c757d"))])
    return figure


def extract_figure(rows: list[dict]) -> go.Figure:
    """States of the machines read off trained LSTMs per Tomita grammar: the smallest
    machine of the grammar, and the median over seeds of each method.

    ``rows``: ``{"grammar", "method", "states": [per seed], "minimal"}`` (extract.json)."""
    grammars = sorted({r["grammar"] for r in rows})
    minimal = {r["grammar"]: r["minimal"] for r in rows if r["minimal"] is not None}
    names = {"quantise": "clustering hidden states", "lstar": "L* (LSTM as oracle)"}
    colours = {"quantise": theme.MODEL_COLOURS["lstm"], "lstar": theme.CATEGORICAL[2]}
    figure = go.Figure()
    figure.add_trace(go.Bar(x=[str(g) for g in grammars],
                            y=[minimal.get(g) for g in grammars], name="smallest machine",
                            marker=dict(color="#c8ccd0"),
                            hovertemplate="grammar %{x}: %{y} states<extra>smallest</extra>"))
    for method in dict.fromkeys(r["method"] for r in rows):
        by = {r["grammar"]: float(np.median(r["states"])) for r in rows if r["method"] == method}
        figure.add_trace(go.Bar(x=[str(g) for g in grammars],
                                y=[by.get(g) for g in grammars],
                                name=names.get(method, method),
                                marker=dict(color=colours.get(method, theme.CATEGORICAL[4])),
                                hovertemplate="grammar %{x}: %{y} states<extra>" + names.get(
                                    method, method) + "</extra>"))
    figure.update_layout(
        title=dict(text="States of the machine inside each trained LSTM",
                   font=dict(size=FONT_SIZE + 3)),
        barmode="group", height=HEIGHT, plot_bgcolor="white",
        margin=dict(l=60, r=20, t=60, b=90),
        legend=dict(orientation="h", y=-0.25, font=dict(size=FONT_SIZE - 1)),
        xaxis=dict(title=dict(text="Tomita grammar", font=dict(size=FONT_SIZE)),
                   tickfont=dict(size=FONT_SIZE - 2)),
        yaxis=dict(title=dict(text="states (median over seeds)", font=dict(size=FONT_SIZE)),
                   tickfont=dict(size=FONT_SIZE - 2), gridcolor="#e5e5e5"))
    return figure
