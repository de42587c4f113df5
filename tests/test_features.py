"""Tests of the features a bank produces: output features and one-hot state features."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

import reference as ref
from fsm_engine import MachineBank, kernels
from fsm_engine.features import StateFeatures

FAST = settings(max_examples=40, deadline=None)


def random_bank(rng: np.random.Generator, n_machines: int, n_symbols: int,
                max_states: int) -> MachineBank:
    """A bank of random machines with sizes 1..max_states, built from arrays."""
    n_states = rng.integers(1, max_states + 1, size=n_machines)                       # [N]
    transitions = (rng.random((n_symbols, n_machines, max_states))
                   * n_states[None, :, None]).astype(np.int64)                        # [X, N, S]
    outputs = rng.uniform(-1, 1, size=(n_machines, max_states))                        # [N, S]
    outputs[np.arange(max_states)[None, :] >= n_states[:, None]] = 0.0
    start = (rng.random(n_machines) * n_states).astype(np.int64)
    return MachineBank([str(x) for x in range(n_symbols)], transitions, outputs, start, n_states)


@st.composite
def feature_cases(draw):
    """(bank, inputs [T], resets [T]) with machines of different sizes, across parallel blocks."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_machines = draw(st.integers(1, 30) | st.integers(500, 700))
    bank = random_bank(rng, n_machines, draw(st.integers(1, 6)), draw(st.integers(1, 20)))
    n_steps = draw(st.integers(0, 120))
    inputs = rng.integers(0, bank.n_symbols, size=n_steps)
    resets = rng.random(n_steps) < draw(st.sampled_from([0.0, 0.05, 0.5]))
    return bank, inputs, resets


# ---------------------------------------------------------------------- output features
@FAST
@given(feature_cases())
def test_output_features_are_each_machines_output_in_its_state(case):
    bank, inputs, resets = case
    states = bank.run(inputs, resets).astype(np.int64)                                 # [T, N]
    features = bank.output_features(inputs, resets)
    assert features.shape == states.shape and features.dtype == np.float32
    np.testing.assert_array_equal(features,
                                  bank.outputs[np.arange(bank.n_machines)[None, :], states])


# ---------------------------------------------------------------------- state features
@FAST
@given(feature_cases(), st.integers(1, 3), st.data())
def test_state_features_behave_like_the_dense_one_hot_matrix(case, n_out, data):
    bank, inputs, resets = case
    features = bank.state_features(inputs, resets)
    dense = ref.onehot(bank.run(inputs, resets), bank.n_states)                        # [T, F]
    assert features.shape == dense.shape == (len(inputs), bank.n_state_features)
    assert len(features) == len(inputs) and features.dtype == np.float32
    np.testing.assert_array_equal(features.toarray(), dense)
    assert features.toarray().dtype == np.float32

    rng = np.random.default_rng(len(inputs))
    weights = rng.standard_normal((bank.n_state_features, n_out))                      # [F, K]
    grads = rng.standard_normal((len(inputs), n_out))                                  # [T, K]
    close = dict(rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(features.matmul(weights), dense @ weights, **close)
    np.testing.assert_allclose(features @ weights, dense @ weights, **close)
    np.testing.assert_allclose(features.matmul(weights[:, 0]), dense @ weights[:, 0], **close)
    np.testing.assert_allclose(features.rmatmul(grads), dense.T @ grads, **close)
    np.testing.assert_allclose(features.rmatmul(grads[:, 0]), dense.T @ grads[:, 0], **close)
    assert features.matmul(weights[:, 0]).shape == (len(inputs),)
    assert features.rmatmul(grads[:, 0]).shape == (bank.n_state_features,)
    np.testing.assert_array_equal(features.column_sums(), dense.sum(axis=0))
    csr = features.tocsr()
    assert sparse.issparse(csr) and csr.dtype == np.float32 and csr.shape == dense.shape
    np.testing.assert_array_equal(csr.toarray(), dense)
    assert np.all(np.diff(csr.indptr) == bank.n_machines)

    if len(inputs):
        lo = data.draw(st.integers(0, len(inputs) - 1))
        hi = data.draw(st.integers(lo, len(inputs)))
        np.testing.assert_array_equal(features[lo:hi].toarray(), dense[lo:hi])
        picked = data.draw(st.lists(st.integers(0, len(inputs) - 1), max_size=10))
        np.testing.assert_array_equal(features[np.array(picked, dtype=np.int64)].toarray(),
                                      dense[picked].reshape(-1, dense.shape[1]))
        mask = rng.random(len(inputs)) < 0.5
        np.testing.assert_array_equal(features[mask].toarray(), dense[mask])
        np.testing.assert_allclose(features[mask].matmul(weights), dense[mask] @ weights,
                                   rtol=1e-9, atol=1e-9)


def test_state_features_of_float32_weights_stay_float32():
    rng = np.random.default_rng(0)
    bank = random_bank(rng, 20, 3, 5)
    features = bank.state_features(rng.integers(0, 3, size=30))
    weights = rng.standard_normal((bank.n_state_features, 2)).astype(np.float32)
    assert features.matmul(weights).dtype == np.float32
    assert features.rmatmul(np.ones((30, 2), dtype=np.float32)).dtype == np.float32


def test_column_indices_point_into_each_machines_block():
    features = StateFeatures(np.array([[0, 2, 0], [1, 0, 3]], dtype=np.uint8), np.array([2, 3, 4]))
    assert features.offsets.tolist() == [0, 2, 5]
    assert features.column_indices().tolist() == [[0, 4, 5], [1, 2, 8]]
    assert features.shape == (2, 9)


def test_state_features_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match=r"states must be \[T, N\] with N = len\(n_states\) = 3"):
        StateFeatures(np.zeros((4, 2), dtype=np.uint8), np.array([2, 2, 2]))
    with pytest.raises(ValueError, match="got shape"):
        StateFeatures(np.zeros(4, dtype=np.uint8), np.array([2]))


# ---------------------------------------------------------------------- one-hot kernels
@pytest.mark.parametrize("n_machines", [1, 513, 1030])
def test_onehot_kernels_equal_the_reference(n_machines):
    rng = np.random.default_rng(n_machines)
    n_steps, n_out = 25, 3
    n_states = rng.integers(1, 6, size=n_machines)
    states = (rng.random((n_steps, n_machines)) * n_states).astype(np.uint8)         # [T, N]
    starts = np.array(ref.offsets(n_states), dtype=np.int64)
    n_features = int(n_states.sum())
    weights = rng.standard_normal((n_features, n_out))
    grads = rng.standard_normal((n_steps, n_out))

    result = np.full((n_steps, n_out), np.nan)
    kernels.onehot_matmul(states, starts, weights, result)
    np.testing.assert_allclose(result, ref.onehot_matmul(states, starts, weights), rtol=1e-12)

    scattered = np.full((n_features, n_out), np.nan)                                 # overwritten
    kernels.onehot_rmatmul(states, starts, grads, scattered)
    np.testing.assert_allclose(scattered, ref.onehot_rmatmul(states, starts, grads, n_features),
                               rtol=1e-12, atol=1e-12)

    counts = kernels.onehot_column_sums(states, starts, n_features)
    assert counts.tolist() == ref.onehot_column_sums(states, starts, n_features)
