"""The Network page's figures: pure functions of hand-made arrays (shapes, sampling, sorting,
colours)."""
import numpy as np
import pytest

from explorer import network_figures as figures
from explorer import theme
from fsm_engine import analysis


def heatmap(figure):
    (trace,) = figure.data
    return trace


# ---------------------------------------------------------------------- thinning
def test_thin_keeps_everything_under_the_cap():
    np.testing.assert_array_equal(analysis.thin(7, 10), np.arange(7))


@pytest.mark.parametrize("n, cap", [(10_000, 200), (401, 400), (1_000, 3), (5, 1)])
def test_thin_spreads_at_most_cap_indices_evenly_from_zero(n, cap):
    picked = analysis.thin(n, cap)
    assert 1 <= picked.size <= cap
    assert picked[0] == 0 and picked[-1] < n
    assert np.unique(np.diff(picked)).size <= 1


def test_thin_refuses_a_cap_below_one():
    with pytest.raises(ValueError, match="cap"):
        analysis.thin(10, 0)


# ---------------------------------------------------------------------- row orders
FAMILIES = np.array(["random", "random", "counter", "counter", "random"])
ENTROPY = np.array([2.0, 0.5, 1.0, 0.0, 0.5])
CHANGES = np.array([9, 1, 5, 5, 0])


def test_index_order_keeps_the_bank_order():
    np.testing.assert_array_equal(analysis.row_order("index", FAMILIES, ENTROPY, CHANGES),
                                  np.arange(5))


def test_family_order_groups_families_by_first_appearance_then_entropy():
    order = analysis.row_order("family", FAMILIES, ENTROPY, CHANGES)
    assert FAMILIES[order].tolist() == ["random"] * 3 + ["counter"] * 2
    assert order.tolist() == [1, 4, 0, 3, 2]


def test_activity_order_puts_the_calmest_machines_first_ties_by_index():
    assert analysis.row_order("activity", FAMILIES, ENTROPY, CHANGES).tolist() == [4, 1, 2, 3, 0]


def test_entropy_order_puts_machines_using_few_states_first():
    assert analysis.row_order("entropy", FAMILIES, ENTROPY, CHANGES).tolist() == [3, 1, 4, 2, 0]


def test_unknown_order_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="activity"):
        analysis.row_order("colour", FAMILIES, ENTROPY, CHANGES)


# ---------------------------------------------------------------------- rasters
def small_trace(n_steps=6, n_machines=4, n_states=3):
    states = (np.arange(n_steps)[:, None] + np.arange(n_machines)[None, :]) % n_states  # [T, M]
    return (states, np.arange(n_steps), np.arange(n_machines) * 10,
            np.array(["random"] * n_machines))


def test_state_raster_draws_machines_as_rows_and_steps_as_columns():
    states, steps, machines, families = small_trace()
    trace = heatmap(figures.state_raster(states, steps, machines, families))
    z = np.asarray(trace.z)
    assert z.shape == (4, 6)
    np.testing.assert_array_equal(z, states.T)
    np.testing.assert_array_equal(trace.x, steps)
    assert list(trace.y) == ["#0 random", "#10 random", "#20 random", "#30 random"]


def test_state_raster_thins_a_large_trace_to_the_caps():
    states = np.random.default_rng(0).integers(0, 5, size=(1_000, 700))
    figure = figures.state_raster(states, np.arange(1_000), np.arange(700),
                                  np.array(["random"] * 700), max_steps=100, max_machines=50)
    trace = heatmap(figure)
    z = np.asarray(trace.z)
    assert z.shape == (50, 100)
    np.testing.assert_array_equal(trace.x, np.arange(0, 1_000, 10))
    np.testing.assert_array_equal(z, states[::10, ::14].T)


def test_state_raster_gives_each_state_one_colour_band():
    states, steps, machines, families = small_trace(n_states=3)
    trace = heatmap(figures.state_raster(states, steps, machines, families))
    assert (trace.zmin, trace.zmax) == (-0.5, 2.5)
    assert [c for _, c in trace.colorscale] == [theme.CATEGORICAL[s] for s in (0, 0, 1, 1, 2, 2)]


def test_state_raster_switches_to_a_sequential_scale_for_many_states():
    states, steps, machines, families = small_trace(n_steps=40, n_states=40)
    trace = heatmap(figures.state_raster(states, steps, machines, families))
    assert trace.zmax == 39.5
    assert trace.colorscale[0][1].lower() == "#440154"       # Viridis' first colour


def test_output_raster_is_centred_on_zero():
    outputs = np.array([[0.2, -0.5], [0.1, 0.3], [-0.05, 0.0]])            # [T=3, M=2]
    trace = heatmap(figures.output_raster(outputs, np.arange(3), np.arange(2),
                                          np.array(["random", "random"])))
    assert (trace.zmin, trace.zmax, trace.zmid) == (-0.5, 0.5, 0.0)
    assert [c for _, c in trace.colorscale] == [c for _, c in theme.DIVERGING]
    np.testing.assert_allclose(np.asarray(trace.z), outputs.T)


def test_rasters_keep_zoom_across_redraws():
    states, steps, machines, families = small_trace()
    for figure in (figures.state_raster(states, steps, machines, families),
                   figures.output_raster(states * 0.1, steps, machines, families)):
        assert figure.layout.uirevision == theme.UIREVISION


def test_grouped_families_are_labelled_and_separated():
    states = np.zeros((3, 5), dtype=int)
    families = np.array(["random", "random", "random", "counter", "counter"])
    figure = figures.state_raster(states, np.arange(3), np.arange(5), families)
    axis = figure.layout.yaxis
    assert list(axis.ticktext) == ["random", "counter"]
    assert list(axis.tickvals) == ["#1 random", "#3 counter"]
    assert [shape.y0 for shape in figure.layout.shapes] == [2.5]


def test_interleaved_families_get_no_family_labels():
    states = np.zeros((3, 4), dtype=int)
    families = np.array(["random", "counter", "random", "counter"])
    figure = figures.state_raster(states, np.arange(3), np.arange(4), families)
    assert not figure.layout.yaxis.showticklabels
    assert not figure.layout.shapes


def test_raster_refuses_labels_that_do_not_match_the_trace():
    states, steps, machines, families = small_trace()
    with pytest.raises(ValueError, match="machines"):
        figures.state_raster(states, steps, machines[:3], families[:3])


# ---------------------------------------------------------------------- occupancy
def test_occupancy_draws_one_bar_series_per_group_in_percent():
    shares = {"random": np.array([0.5, 0.25, 0.25]), "parity": np.array([0.9, 0.1])}
    figure = figures.occupancy_figure(shares)
    assert [bar.name for bar in figure.data] == ["random", "parity"]
    np.testing.assert_allclose(figure.data[0].y, [50, 25, 25])
    np.testing.assert_array_equal(figure.data[1].x, [0, 1])
    assert figure.layout.showlegend
    assert [bar.marker.color for bar in figure.data] == theme.CATEGORICAL[:2]


def test_occupancy_of_one_group_needs_no_legend():
    assert not figures.occupancy_figure({"random": np.array([1.0])}).layout.showlegend
