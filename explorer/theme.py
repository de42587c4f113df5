"""The explorer's visual vocabulary: one diverging scale for every signed quantity, state colours.

TensorFlow Playground's habit: one diverging colour scale (orange < 0 < blue) means
the same thing in every heatmap, raster and curve.  Figures import from here;
nobody spells a colour twice.
"""
from __future__ import annotations

import plotly.graph_objects as go

#: negative -> orange, zero -> near white, positive -> blue (Plotly colorscale form)
DIVERGING = [
    [0.0, "#e8710a"],
    [0.25, "#f5b77a"],
    [0.5, "#f7f7f7"],
    [0.75, "#86b6e3"],
    [1.0, "#0877bd"],
]
NEGATIVE = "#e8710a"
POSITIVE = "#0877bd"
#: the current state in diagrams and the highlighted trace in charts
HIGHLIGHT = "#f4a261"
#: the transition just taken
LAST_EDGE = "#e76f51"
#: qualitative colours for categories (machine states, families, models)
CATEGORICAL = ["#0877bd", "#e8710a", "#2a9d8f", "#9b5de5", "#e9c46a", "#6c757d",
               "#d62828", "#8ac926", "#577590", "#f15bb5", "#8d6e63", "#bc6c25"]
#: a constant uirevision keeps zoom and pan across live redraws
UIREVISION = "keep"


def symmetric_range(values) -> tuple[float, float]:
    """A colour range centred on 0 so that white always means zero."""
    import numpy as np

    bound = float(np.nanmax(np.abs(values))) if np.size(values) else 1.0
    bound = bound if bound > 0 and np.isfinite(bound) else 1.0
    return -bound, bound


#: ordered colours for integer codes too many to tell apart by hue (e.g. 256 machine states)
SEQUENTIAL = "Viridis"


def state_colorscale(n_states: int):
    """A Plotly colorscale for state numbers ``0 .. n_states-1`` drawn with ``zmin=-0.5``,
    ``zmax=n_states-0.5``: one flat CATEGORICAL band per state when the palette has enough
    colours, else the SEQUENTIAL scale."""
    if n_states > len(CATEGORICAL):
        return SEQUENTIAL
    bands = []
    for s in range(n_states):
        bands += [[s / n_states, CATEGORICAL[s]], [(s + 1) / n_states, CATEGORICAL[s]]]
    return bands


#: one colour per model, the same in every chart, table and legend (Compare page and beyond):
#: the question's FSM network blue, the echo state network teal, the LSTM purple
MODEL_COLOURS = {"fsm": "#0877bd", "esn": "#2a9d8f", "lstm": "#9b5de5"}


def model_colour(model: str) -> str:
    """The colour of registry model ``model``; a model not listed in MODEL_COLOURS gets a
    CATEGORICAL colour none of the listed models uses (the same one on every call)."""
    if model in MODEL_COLOURS:
        return MODEL_COLOURS[model]
    spare = [c for c in CATEGORICAL if c not in MODEL_COLOURS.values()]
    return spare[sum(map(ord, model)) % len(spare)]


#: the explorer pages' own spacing: less empty space above the title and at the sides than
#: Streamlit's default (6rem / 5rem), so a 1280x720 projector shows the controls and the
#: picture they change together (drawn with ``st.html``, which adds no element for a style)
PAGE_STYLE = ("<style>[data-testid='stMainBlockContainer']"
              "{padding-top:2rem;padding-left:2.5rem;padding-right:2.5rem}</style>")


# classroom mode (``?classroom=1``, explorer/settings.py): larger text and diagrams for the back
# of a room, and the containers of controls a class does not need hidden from view
#: the main area's paragraphs, lists and tables (rem; Streamlit's is 1), and its captions
CLASSROOM_TEXT_REM = 1.3
CLASSROOM_CAPTION_REM = 1.05
#: the CSS of classroom mode (``explorer/app.py`` draws it on every page while the mode is on);
#: a widget's label and a button's label keep their size, so nothing is cut short
CLASSROOM_STYLE = (
    "<style>"
    "[data-testid='stMainBlockContainer'] [data-testid='stMarkdown'] :is(p, li, td, th)"
    f"{{font-size:{CLASSROOM_TEXT_REM}rem;line-height:1.5}}"
    "[data-testid='stMainBlockContainer'] [data-testid='stCaptionContainer'],"
    "[data-testid='stMainBlockContainer'] [data-testid='stCaptionContainer'] p"
    f"{{font-size:{CLASSROOM_CAPTION_REM}rem}}"
    "[class*='st-key-classroom_hidden'],"
    "[data-testid='stLayoutWrapper']:has(> [class*='st-key-classroom_hidden'])"
    "{display:none !important}"
    "</style>")


#: chart text (titles, axes, ticks, legends, colour bars) in classroom mode, times its size
CLASSROOM_CHART_SCALE = 1.25
#: Plotly's own font size, for a chart that sets none
PLOTLY_FONT_SIZE = 12


def scale_fonts(figure: go.Figure, factor: float) -> go.Figure:
    """A copy of ``figure`` with every font size times ``factor``: the layout's default font
    (Plotly's 12 px when the figure sets none) and every font that names its own size
    (titles, subtitles, axes, ticks, legends, annotations, colour bars, trace text).
    Sizes given per point (a list) are left alone."""
    spec = figure.to_plotly_json()                                       # a deep copy
    layout_font = spec.setdefault("layout", {}).setdefault("font", {})
    layout_font.setdefault("size", PLOTLY_FONT_SIZE)
    _scale_fonts(spec, factor, "")
    return go.Figure(spec, _validate=False)


def _scale_fonts(node, factor: float, key: str) -> None:
    if isinstance(node, dict):
        size = node.get("size")
        if key.endswith("font") and isinstance(size, (int, float)) and not isinstance(size, bool):
            node["size"] = round(size * factor, 1)
        for name, child in node.items():
            _scale_fonts(child, factor, name)
    elif isinstance(node, (list, tuple)):
        for child in node:
            _scale_fonts(child, factor, key)
