"""The echo state network: its states against a plain-Python reference, its weights, its limits."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import ArpackNoConvergence

import reference
from fsm_engine import esn as esn_module
from fsm_engine.errors import CapacityError, InvalidSymbolError
from fsm_engine.esn import DENSE_EIGVALS_MAX_UNITS, EchoStateNetwork, ESNError


def dense_radius(W) -> float:
    return float(np.abs(np.linalg.eigvals(W.toarray().astype(np.float64))).max())


def one_hot(codes, n_symbols) -> np.ndarray:
    return np.eye(n_symbols)[codes]


def test_states_match_the_plain_python_reference_with_leak_bias_and_resets():
    net = EchoStateNetwork(3, 12, spectral_radius=1.1, leak=0.3, input_scaling=0.7,
                           density=0.25, bias_scaling=0.4, random_state=5)
    u = np.random.default_rng(1).normal(size=(30, 3))                    # [T, 3]
    resets = np.zeros(30, dtype=bool)
    resets[[11, 12, 23]] = True
    expected = reference.esn_states(net.W.toarray(), net.W_in, net.bias, net.leak, u, resets)
    states = net.run(u, resets)
    assert states.shape == (30, 12) and states.dtype == np.float32
    np.testing.assert_allclose(states, expected, rtol=0, atol=2e-6)


def test_a_reset_starts_the_state_from_zero():
    net = EchoStateNetwork(2, 40, leak=0.5, bias_scaling=0.3, random_state=2)
    u = np.random.default_rng(3).uniform(-1, 1, size=(25, 2))            # [T, 2]
    resets = np.zeros(25, dtype=bool)
    resets[10] = True
    with_reset = net.run(u, resets)
    np.testing.assert_allclose(with_reset[10:], net.run(u[10:]), rtol=0, atol=1e-6)
    # without the reset the history before step 10 still shows
    assert np.abs(net.run(u)[10:] - with_reset[10:]).max() > 1e-3


def test_first_state_is_computed_from_zero():
    net = EchoStateNetwork(2, 8, leak=0.25, bias_scaling=0.5, random_state=0)
    u = np.array([[0.5, -1.0]])
    first = 0.25 * np.tanh(net.W_in.astype(np.float64) @ u[0] + net.bias)
    np.testing.assert_allclose(net.run(u)[0], first, rtol=0, atol=1e-6)


@pytest.mark.parametrize("n_units, density, radius", [
    (30, 0.2, 0.9), (DENSE_EIGVALS_MAX_UNITS, 0.05, 1.25),
    (DENSE_EIGVALS_MAX_UNITS + 100, 0.02, 0.8),      # above the dense limit: ARPACK
    (400, 0.1, 0.95),
    (2000, 0.0005, 0.9),    # one connection per unit: rings of equal |eigenvalue| (exact cycles)
    (150, 1 / 150, 1.0),
])
def test_spectral_radius_of_W_is_the_requested_one(n_units, density, radius):
    net = EchoStateNetwork(1, n_units, spectral_radius=radius, density=density, random_state=1)
    assert abs(dense_radius(net.W) - radius) < 1e-6


@pytest.mark.parametrize("n_units, density, per_row", [
    (400, 0.05, 20),        # m² <= N: columns drawn with repeats, rows with one drawn again
    (100, 0.5, 50),         # m² > N: the m smallest of N random keys
    (50, 1.0, 50),
])
def test_W_is_sparse_float32_with_the_requested_density(n_units, density, per_row):
    net = EchoStateNetwork(1, n_units, density=density, random_state=0)
    assert sparse.issparse(net.W) and net.W.format == "csr" and net.W.dtype == np.float32
    assert net.W.nnz / n_units ** 2 == pytest.approx(density)
    # every unit reads the same number of distinct units, listed in order
    assert (np.diff(net.W.indptr) == per_row).all()
    rows = net.W.indices.reshape(n_units, per_row)
    assert (np.diff(rows, axis=1) > 0).all()
    # and every unit is read by some unit (no bias towards some columns)
    assert np.unique(rows).size == n_units


def test_weights_are_uniform_in_their_ranges():
    net = EchoStateNetwork(5, 300, input_scaling=0.3, bias_scaling=2.0, random_state=1)
    assert net.W_in.shape == (300, 5) and net.bias.shape == (300,)
    assert np.abs(net.W_in).max() <= 0.3 and np.abs(net.W_in).max() > 0.29
    assert np.abs(net.bias).max() <= 2.0 and np.abs(net.bias).max() > 1.9
    assert abs(float(net.W_in.mean())) < 0.02


def test_zero_bias_scaling_gives_zero_bias():
    assert not EchoStateNetwork(2, 30, bias_scaling=0.0).bias.any()


def test_a_density_that_rounds_to_no_connections_leaves_W_empty():
    net = EchoStateNetwork(2, 10, density=0.01)
    assert net.W.nnz == 0 and net.W.shape == (10, 10)
    u = np.random.default_rng(0).normal(size=(4, 2))
    # no recurrence: every state is the squashed current input
    np.testing.assert_allclose(net.run(u), np.tanh(u @ net.W_in.T.astype(np.float64)),
                               rtol=0, atol=1e-6)


def test_same_seed_gives_identical_arrays_and_another_seed_different_ones():
    settings = dict(spectral_radius=0.8, density=0.1, bias_scaling=0.2)
    first, second = (EchoStateNetwork(3, 250, random_state=11, **settings) for _ in range(2))
    other = EchoStateNetwork(3, 250, random_state=12, **settings)
    for a, b in ((first.W.data, second.W.data), (first.W.indices, second.W.indices),
                 (first.W_in, second.W_in), (first.bias, second.bias)):
        np.testing.assert_array_equal(a, b)
    u = np.random.default_rng(0).normal(size=(20, 3))
    np.testing.assert_array_equal(first.run(u), second.run(u))
    assert not np.array_equal(first.W_in, other.W_in)
    assert not np.array_equal(first.bias, other.bias)
    assert not np.array_equal(first.W.indices, other.W.indices)


def test_weights_are_read_only():
    net = EchoStateNetwork(2, 20)
    for array in (net.W.data, net.W.indices, net.W_in, net.bias):
        with pytest.raises(ValueError):
            array[0] = 1


@pytest.mark.parametrize("field, value", [
    ("n_inputs", 0), ("n_inputs", 2.5), ("n_inputs", True), ("n_units", -3), ("n_units", "10"),
    ("spectral_radius", -0.1), ("spectral_radius", float("nan")),
    ("spectral_radius", float("inf")), ("spectral_radius", "0.9"),
    ("leak", 0.0), ("leak", 1.5), ("leak", -1.0),
    ("density", 0.0), ("density", 1.01), ("density", None),
    ("input_scaling", -1.0), ("input_scaling", float("inf")),
    ("bias_scaling", -0.5), ("bias_scaling", float("nan")),
    ("random_state", -1), ("random_state", "seed"), ("max_bytes", 0),
])
def test_bad_settings_are_refused_naming_the_setting(field, value):
    settings = {"n_inputs": 2, "n_units": 10, field: value}
    with pytest.raises(ESNError, match=field):
        EchoStateNetwork(**settings)


def test_bad_inputs_are_refused_naming_what_is_wrong():
    net = EchoStateNetwork(3, 10)
    with pytest.raises(ESNError, match=r"u must be a \[steps, 3\] array"):
        net.run(np.zeros((5, 2)))
    with pytest.raises(ESNError, match=r"u must be a \[steps, 3\] array"):
        net.run(np.zeros(3))
    with pytest.raises(ESNError, match="real numbers"):
        net.run(np.zeros((5, 3), dtype=complex))
    with pytest.raises(ESNError, match="real numbers"):
        net.run(np.array([["a", "b", "c"]]))
    bad = np.zeros((5, 3))
    bad[2, 1] = np.nan
    with pytest.raises(ESNError, match=r"u\[2, 1\] is nan"):
        net.run(bad)
    bad[2, 1] = 1e300                        # finite in float64, not in float32
    with pytest.raises(ESNError, match=r"u\[2, 1\]"):
        net.run(bad)
    with pytest.raises(ESNError, match=r"resets must have one flag per step \(5\)"):
        net.run(np.zeros((5, 3)), resets=np.zeros(4, dtype=bool))


def test_bad_symbol_codes_are_refused():
    net = EchoStateNetwork(3, 10)
    with pytest.raises(InvalidSymbolError, match="position 2 is 3.*codes 0..2"):
        net.features("state", [0, 1, 3, 0])
    with pytest.raises(InvalidSymbolError, match="position 0 is -1"):
        net.features("state", [-1])
    with pytest.raises(InvalidSymbolError, match="integer symbol codes"):
        net.features("state", [0.0, 1.0])
    with pytest.raises(InvalidSymbolError, match="1-D"):
        net.features("state", [[0, 1]])
    with pytest.raises(ESNError, match="resets"):
        net.features("state", [0, 1], resets=[True])
    with pytest.raises(ESNError, match="'output'"):
        net.features("output", [0, 1])


def test_building_over_the_cap_is_refused_before_allocating():
    # 10^7 units at density 0.5 would be 5·10^13 nonzeros: only an estimate can answer in time
    with pytest.raises(CapacityError, match="weights.*over the cap"):
        EchoStateNetwork(2, 10_000_000, density=0.5)
    with pytest.raises(CapacityError, match="over the cap of 1.0 KB"):
        EchoStateNetwork(2, 50, max_bytes=1000)


def test_a_run_over_the_cap_is_refused_before_allocating():
    net = EchoStateNetwork(3, 10, max_bytes=100_000)
    # zero-stride views of 10^12 steps: allocating their states (or even reading them) would fail
    huge_u = np.broadcast_to(np.zeros(3, dtype=np.float32), (10 ** 12, 3))
    huge_codes = np.broadcast_to(np.zeros(1, dtype=np.int64), (10 ** 12,))
    with pytest.raises(CapacityError, match="states.*over the cap"):
        net.run(huge_u)
    with pytest.raises(CapacityError, match="states.*over the cap"):
        net.features("state", huge_codes)
    assert net.memory_estimate(10 ** 12) == 10 ** 12 * 10 * 4
    # a run that fits goes through
    assert net.run(np.zeros((100, 3))).shape == (100, 10)


def test_features_are_the_states_of_one_hot_inputs():
    net = EchoStateNetwork(4, 30, leak=0.6, bias_scaling=0.1, random_state=3)
    codes = np.random.default_rng(0).integers(0, 4, size=50)              # [T]
    resets = np.arange(50) % 17 == 0
    features = net.features("state", codes, resets)
    assert features.shape == (50, 30) and features.dtype == np.float32
    np.testing.assert_array_equal(features, net.run(one_hot(codes, 4), resets))


def test_feature_source_protocol():
    net = EchoStateNetwork(4, 30)
    assert net.feature_kinds == ("state",)
    assert net.n_inputs == 4 and net.n_units == 30
    assert net.n_features("state") == 30
    assert net.memory_estimate(1000, "state") == 1000 * 30 * 4
    assert net.memory_estimate(1000) == net.features("state", np.zeros(1000, int)).nbytes
    with pytest.raises(ESNError, match="'output'"):
        net.n_features("output")
    assert net.features("state", np.array([], dtype=np.int64)).shape == (0, 30)
    assert net.run(np.zeros((0, 4))).shape == (0, 30)
    assert repr(net) == ("EchoStateNetwork(30 units, 4 inputs, spectral radius 0.9, leak 1, "
                         "density 0.1)")


def test_arpack_failure_says_what_to_do(monkeypatch):
    def no_convergence(*args, **kwargs):
        raise ArpackNoConvergence("no convergence", np.array([]), np.array([]))

    monkeypatch.setattr(esn_module, "eigs", no_convergence)
    with pytest.raises(ESNError, match="spectral radius.*try another random_state"):
        EchoStateNetwork(1, DENSE_EIGVALS_MAX_UNITS + 1)


def test_benchmark_times_every_method_and_checks_the_alternatives_agree(capsys):
    from fsm_engine.benchmarks import esn as bench

    result = bench.run(n_units=60, densities=(0.1,), n_steps=30, n_symbols=4, repeats=1)
    methods = [(row["method"], row["density"]) for row in result["rows"]]
    assert methods == [("esn", 0.1), ("esn float64", 0.1), ("esn numba CSR", 0.1),
                       ("bank run", None), ("bank run, 1 thread", None), ("bank outputs", None)]
    assert all(row["us_per_step"] > 0 for row in result["rows"])
    for clock in ("wall", "cpu"):
        assert set(result["ratios"][clock]) == {
            "esn_over_bank_run_0.1", "float64_over_float32_0.1", "numba_over_scipy_0.1"}
    assert "| esn numba CSR | 0.1 |" in bench.format_table(result)
    assert bench.main(["--units", "40", "--densities", "0.2", "--steps", "10", "--symbols", "3",
                       "--repeats", "1", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["settings"]["n_units"] == 40 and printed["settings"]["densities"] == [0.2]
