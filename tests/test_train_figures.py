"""The Train page's figure builders (explorer/train_figures.py): arrays in, valid Plotly figures
out, each with a title; curves thinned, weight maps sampled and clickable, one diverging scale."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from explorer import theme
from explorer import train_figures as figures
from explorer.train_figures import CLASSES, GRID, STATES


def validated(figure: go.Figure) -> go.Figure:
    """The figure rebuilt with Plotly's validation on (the builders skip it for speed)."""
    return go.Figure(figure.to_dict())


def every_figure():
    rng = np.random.default_rng(0)
    updates = np.arange(0, 50, 5)
    return [
        figures.loss_figure(updates, rng.random(10), rng.random(10), loss_name="squared error"),
        figures.metric_figure(updates, rng.random(10), 0.5, metric="accuracy",
                              greater_is_better=True),
        figures.metric_figure(updates, rng.random(10), 1.0, metric="nrmse",
                              greater_is_better=False),
        figures.weight_map(rng.standard_normal(500), GRID),
        figures.weight_map(rng.standard_normal((3, 500)), CLASSES, classes=("a", "b", "c")),
        figures.weight_map(rng.standard_normal((200, 6)), STATES),
        figures.weight_map(rng.standard_normal((3, 500)), CLASSES, classes=("a", "b", "c"),
                           clickable=False, pause_to_click=True),
        figures.predictions_figure(np.arange(20), rng.integers(0, 3, 20), rng.integers(0, 3, 20),
                                   classes=("x", "y", "z")),
        figures.predictions_figure(np.arange(20), rng.random(20), rng.random(20),
                                   column="column 1 of 4"),
    ]


@pytest.mark.parametrize("figure", every_figure(), ids=lambda f: f.layout.title.text)
def test_every_figure_is_valid_plotly_with_a_title_and_a_subtitle(figure):
    checked = validated(figure)
    assert checked.layout.title.text and checked.layout.title.subtitle.text
    assert checked.layout.uirevision == theme.UIREVISION


def test_the_loss_figure_draws_both_curves_against_updates():
    figure = figures.loss_figure([0, 10, 20], [3.0, 2.0, 1.0], [3.5, 2.5, 2.0],
                                 loss_name="squared error")
    assert [trace.name for trace in figure.data] == ["training steps", "held-out steps"]
    assert list(figure.data[0].x) == [0, 10, 20] and list(figure.data[1].y) == [3.5, 2.5, 2.0]
    assert figure.layout.title.text.startswith("Loss")
    assert "squared error" in figure.layout.title.subtitle.text


def test_long_curves_are_thinned_but_keep_their_newest_point():
    n = 5000
    figure = figures.loss_figure(np.arange(n), np.ones(n), np.ones(n), loss_name="x")
    x = np.asarray(figure.data[0].x)
    assert len(x) <= figures.LIMITS.curve_points and x[0] == 0 and x[-1] == n - 1
    assert figure.data[0].mode == "lines"            # markers only on short curves
    short = figures.loss_figure(np.arange(5), np.ones(5), np.ones(5), loss_name="x")
    assert short.data[0].mode == "lines+markers"


def test_the_metric_figure_draws_the_chance_level_dashed():
    figure = figures.metric_figure([0, 1], [0.5, 0.9], 0.25, metric="accuracy",
                                   greater_is_better=True)
    (line,) = figure.layout.shapes
    assert line.y0 == line.y1 == 0.25 and line.line.dash == "dash"
    assert "chance 0.25" in figure.layout.annotations[0].text
    assert "higher is better" in figure.layout.title.subtitle.text
    assert tuple(figure.layout.yaxis.range) == (-0.02, 1.02)


def test_a_grid_weight_map_has_one_clickable_square_per_machine():
    weights = np.linspace(-2.0, 1.0, 100)
    figure = figures.weight_map(weights, GRID)
    (trace,) = figure.data
    assert trace.marker.symbol == "square"
    assert sorted(int(m) for m in trace.customdata[:, 0]) == list(range(100))
    assert set(np.asarray(trace.x)) == set(range(10)) and set(np.asarray(trace.y)) == set(range(10))
    colour = np.asarray(trace.marker.color, dtype=np.float64)
    assert np.allclose(colour[np.argsort(trace.customdata[:, 0])], weights, atol=1e-6)
    assert trace.marker.cmid == 0.0 and trace.marker.cmin == -trace.marker.cmax == -2.0
    assert [list(stop) for stop in trace.marker.colorscale] == theme.DIVERGING
    assert figure.layout.title.subtitle.text == "all 100 machines · click one to open it"


def test_a_large_network_is_drawn_as_an_even_sample_under_the_cap():
    figure = figures.weight_map(np.arange(10_000, dtype=float), GRID, cap=900)
    machines = np.asarray(figure.data[0].customdata[:, 0], dtype=int)
    assert len(machines) <= 900 and machines[0] == 0
    assert len(set(np.diff(np.sort(machines)))) == 1         # evenly spread
    assert f"{len(machines)} of 10,000 machines (1 in 12)" in figure.layout.title.subtitle.text


def test_a_classes_map_has_a_block_per_output_labelled_with_its_class():
    weights = np.vstack([np.full(40, -1.0), np.full(40, 1.0)])
    figure = figures.weight_map(weights, CLASSES, classes=("no", "yes"))
    trace = figure.data[0]
    outputs = np.asarray(trace.customdata[:, 1], dtype=int)
    colour = np.asarray(trace.marker.color, dtype=float)
    assert (colour[outputs == 0] == -1).all() and (colour[outputs == 1] == 1).all()
    assert set(trace.customdata[:, 2]) == {"no", "yes"}
    assert list(figure.layout.yaxis.ticktext) == ["no", "yes"]
    top_block = np.asarray(trace.y)[outputs == 0].max()
    assert top_block < np.asarray(trace.y)[outputs == 1].min()      # blocks do not overlap


def test_a_states_map_skips_states_a_machine_does_not_have():
    weights = np.array([[1.0, 2.0, np.nan], [3.0, 4.0, 5.0]])
    figure = figures.weight_map(weights, STATES)
    trace = figure.data[0]
    cells = {(int(m), int(s)) for m, s in trace.customdata}
    assert cells == {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)}
    assert np.isfinite(np.asarray(trace.marker.color, dtype=float)).all()


def test_squares_fit_the_plot_area():
    for weights, kind in ((np.zeros(900), GRID), (np.zeros((95, 1000)), CLASSES),
                          (np.zeros((3, 256)), STATES)):
        figure = figures.weight_map(weights, kind)
        width = figure.layout.width - figures.MAP_MARGIN["l"] - figures.MAP_MARGIN["r"]
        columns = figure.layout.xaxis.range[1] + 0.5
        assert figure.data[0].marker.size <= width / columns + 1e-9 or \
            figure.data[0].marker.size == 2.0


@pytest.mark.parametrize("weights, kind", [(np.linspace(-2.0, 1.0, 90), GRID),
                                            (np.linspace(-1.0, 3.0, 2 * 45).reshape(2, 45),
                                             CLASSES),
                                            (np.array([[1.0, -2.0, np.nan], [3.0, 4.0, 5.0]]),
                                             STATES)])
def test_a_map_that_is_not_clickable_is_one_image_of_the_same_squares(weights, kind):
    squares = figures.weight_map(weights, kind, classes=("no", "yes"))
    image = figures.weight_map(weights, kind, classes=("no", "yes"), clickable=False,
                               pause_to_click=True)
    (points,), (cells,) = squares.data, image.data
    assert points.type == "scatter" and cells.type == "heatmap"
    z, machine = np.asarray(cells.z, dtype=float), np.asarray(cells.customdata)
    x, y = np.asarray(points.x), np.asarray(points.y)
    assert np.allclose(z[y, x], np.asarray(points.marker.color, dtype=float), atol=1e-6)
    assert (machine[y, x] == np.asarray(points.customdata[:, 0], dtype=int)).all()
    assert np.isnan(z).sum() == z.size - x.size                  # no square, no colour
    assert (cells.zmin, cells.zmax) == (points.marker.cmin, points.marker.cmax)
    assert [list(stop) for stop in cells.colorscale] == theme.DIVERGING
    for name in ("xaxis", "yaxis"):
        assert image.layout[name].range == squares.layout[name].range
    assert (image.layout.width, image.layout.height) == (squares.layout.width,
                                                         squares.layout.height)
    assert image.layout.title.text == squares.layout.title.text
    assert image.layout.title.subtitle.text.endswith("pause, then click one to open it")


def test_bad_weight_shapes_are_refused():
    with pytest.raises(ValueError, match="must be 1-D"):
        figures.weight_map(np.zeros((2, 3)), GRID)
    with pytest.raises(ValueError, match="'heat'"):
        figures.weight_map(np.zeros(3), "heat")


def test_class_predictions_mark_right_and_wrong_steps():
    figure = figures.predictions_figure([10, 11, 12, 13], [0, 1, 1, 0], [0, 1, 0, 0],
                                        classes=("a", "b"))
    target, right, wrong = figure.data
    assert list(target.y) == [0, 1, 1, 0]
    assert list(right.x) == [10, 11, 13] and list(wrong.x) == [12]
    assert list(wrong.customdata) == ["a"]
    assert "75% of these 4 steps right" in figure.layout.title.subtitle.text
    assert list(figure.layout.yaxis.ticktext) == ["a", "b"]


def test_real_predictions_are_two_lines():
    figure = figures.predictions_figure([0, 1, 2], [0.1, 0.2, 0.3], [0.0, 0.25, 0.3])
    assert [trace.name for trace in figure.data] == ["target", "prediction"]
    assert list(figure.data[1].y) == [0.0, 0.25, 0.3]


def test_curve_points_are_evenly_spread_and_end_at_the_newest():
    assert list(figures.curve_points(0)) == []
    assert list(figures.curve_points(5, cap=10)) == [0, 1, 2, 3, 4]
    picked = figures.curve_points(1001, cap=11)
    assert picked[0] == 0 and picked[-1] == 1000 and len(picked) <= 11
