"""The explorer's visual vocabulary: one diverging scale for every signed quantity, state colours.

TensorFlow Playground's habit: one diverging colour scale (orange < 0 < blue) means
the same thing in every heatmap, raster and curve.  Figures import from here;
nobody spells a colour twice.
"""

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
               "#d62828", "#43aa8b", "#577590", "#f15bb5", "#4d908e", "#bc6c25"]
#: a constant uirevision keeps zoom and pan across live redraws
UIREVISION = "keep"


def symmetric_range(values) -> tuple[float, float]:
    """A colour range centred on 0 so that white always means zero."""
    import numpy as np

    bound = float(np.nanmax(np.abs(values))) if np.size(values) else 1.0
    bound = bound if bound > 0 and np.isfinite(bound) else 1.0
    return -bound, bound
