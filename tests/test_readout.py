"""Readout: the question's GD rule, softmax/Adam, ridge, and the three feature formats."""
import numpy as np
import pytest
from scipy.special import logsumexp

from fsm_engine import kernels, readout
from fsm_engine.benchmarks import readout as readout_benchmark
from fsm_engine.errors import CapacityError, FSMError
from fsm_engine.features import StateFeatures
from fsm_engine.readout import Readout, ridge_solution


def augmented_ridge(X, y, l2, sample_weight=None):
    """Reference: solve the normal equations with a column of ones, bias unpenalised."""
    n_samples, n_features = X.shape
    weight = np.ones(n_samples) if sample_weight is None else sample_weight
    augmented = np.hstack([X, np.ones((n_samples, 1))])
    penalty = l2 * np.eye(n_features + 1)
    penalty[-1, -1] = 0.0
    solution = np.linalg.solve(augmented.T @ (weight[:, None] * augmented) + penalty,
                               augmented.T @ (weight[:, None] * y.reshape(n_samples, -1)))
    return solution[:-1].T, solution[-1]          # coef [K, F], intercept [K]


def random_states(n_steps, n_states, seed=0):
    """StateFeatures of machines with the given state counts, states drawn at random."""
    rng = np.random.default_rng(seed)
    n_states = np.asarray(n_states)
    states = (rng.random((n_steps, len(n_states))) * n_states).astype(np.uint8)   # [T, N]
    return StateFeatures(states, n_states)


@pytest.fixture
def regression():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))                                  # [T, F]
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 + 0.1 * rng.standard_normal(60)
    return X, y


def test_one_gd_step_is_the_summed_squared_error_gradient_written_out():
    X = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])
    y = np.array([1.0, 0.0, -2.0])
    r = Readout(loss="mse", solver="gd", lr=0.05, l2=0.1).partial_fit(X, y, n_updates=0)
    r.coef_ = np.array([[0.5, -1.0]])
    r.intercept_ = np.array([0.25])
    r.partial_fit(X, y, n_updates=1)
    # predictions 0.5*x1 - 1.0*x2 + 0.25: -1.25, 1.25, 0.75; residuals -2.25, 1.25, 2.75
    residuals = [-2.25, 1.25, 2.75]
    grad_w1 = 2 * (-2.25 * 1.0 + 1.25 * 0.0 + 2.75 * 3.0) + 2 * 0.1 * 0.5
    grad_w2 = 2 * (-2.25 * 2.0 + 1.25 * -1.0 + 2.75 * 1.0) + 2 * 0.1 * -1.0
    grad_b = 2 * (-2.25 + 1.25 + 2.75)
    assert r.coef_ == pytest.approx(np.array([[0.5 - 0.05 * grad_w1, -1.0 - 0.05 * grad_w2]]))
    assert r.intercept_ == pytest.approx([0.25 - 0.05 * grad_b])
    assert r.loss_ == pytest.approx(sum(e * e for e in residuals) + 0.1 * (0.25 + 1.0))


def test_gd_initial_weights_are_small_normal_draws_seeded_by_random_state():
    X = np.zeros((5, 400))
    a = Readout(init_scale=0.01, random_state=3).partial_fit(X, np.zeros(5), n_updates=0)
    b = Readout(init_scale=0.01, random_state=3).partial_fit(X, np.zeros(5), n_updates=0)
    assert np.array_equal(a.coef_, b.coef_) and a.intercept_ == b.intercept_
    assert a.coef_.std() == pytest.approx(0.01, rel=0.15)


def test_gd_reaches_the_ridge_solution(regression):
    X, y = regression
    augmented = np.hstack([X, np.ones((len(X), 1))])
    lr = 0.5 / np.linalg.eigvalsh(augmented.T @ augmented).max()
    gd = Readout(solver="gd", lr=lr, l2=1e-6, n_iter=3000).fit(X, y)
    ridge = Readout(solver="ridge", l2=1e-6).fit(X, y)
    assert gd.coef_ == pytest.approx(ridge.coef_, abs=1e-8)
    assert gd.intercept_ == pytest.approx(ridge.intercept_, abs=1e-8)


@pytest.mark.parametrize("shape", [(50, 6), (8, 30)], ids=["primal", "dual"])
def test_ridge_matches_the_augmented_normal_equations(shape):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal(shape), rng.standard_normal((shape[0], 2))
    weight = rng.random(shape[0])
    coef, intercept = augmented_ridge(X, y, 0.3, weight)
    r = Readout(solver="ridge", l2=0.3).fit(X, y, sample_weight=weight)
    assert r.coef_ == pytest.approx(coef, abs=1e-10)
    assert r.intercept_ == pytest.approx(intercept, abs=1e-10)


@pytest.mark.parametrize("kind", ["dense", "csr", "state"])
def test_ridge_primal_equals_dual(kind):
    # rows with zero weight leave the solution unchanged but make T > F: primal instead of dual
    features = random_states(12, [3, 4, 2, 3, 5], seed=2)             # T=12 < F=17: dual
    padding = random_states(10, [3, 4, 2, 3, 5], seed=3)
    both = StateFeatures(np.vstack([features.states, padding.states]), features.n_states)
    y = np.random.default_rng(4).standard_normal(12)
    as_kind = {"dense": lambda f: f.toarray().astype(np.float64),
               "csr": lambda f: f.tocsr(), "state": lambda f: f}[kind]
    dual = ridge_solution(readout.as_features(as_kind(features)), y[:, None], None, 0.5)
    primal = ridge_solution(readout.as_features(as_kind(both)),
                            np.concatenate([y, np.zeros(10)])[:, None],
                            np.concatenate([np.ones(12), np.zeros(10)]), 0.5)
    assert primal[0] == pytest.approx(dual[0], abs=1e-9)
    assert primal[1] == pytest.approx(dual[1], abs=1e-9)


def test_ridge_without_penalty_is_least_squares_even_when_features_are_collinear():
    features = random_states(40, [3, 3, 3], seed=5)   # each machine's one-hot block sums to 1
    y = np.random.default_rng(6).standard_normal(40)
    r = Readout(solver="ridge", l2=0.0).fit(features, y)
    dense = features.toarray().astype(np.float64)
    best = np.linalg.lstsq(np.hstack([dense, np.ones((40, 1))]), y, rcond=None)[0]
    assert r.predict(features) == pytest.approx(np.hstack([dense, np.ones((40, 1))]) @ best,
                                                abs=1e-4)


def test_onehot_gram_kernel_counts_co_occurring_states():
    features = random_states(30, [2, 3, 4], seed=7)
    weight = np.random.default_rng(8).random(30)
    gram = np.empty((9, 9))
    kernels.onehot_gram(features.states, features.offsets, weight, gram)
    expected = np.zeros((9, 9))
    for t in range(30):
        on = [features.offsets[n] + features.states[t, n] for n in range(3)]
        for i in on:
            for j in on:
                expected[i, j] += weight[t]
    assert gram == pytest.approx(expected)


def softmax_objective(X, y, coef, intercept, l2):
    scores = X @ coef.T + intercept
    return float(np.sum(logsumexp(scores, axis=1) - scores[np.arange(len(y)), y])
                 + l2 * np.sum(coef**2))


def test_softmax_gradient_matches_finite_differences():
    rng = np.random.default_rng(9)
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 4, 20)
    lr = 1e-3
    r = Readout(loss="softmax", solver="gd", lr=lr, l2=0.2, init_scale=0.5).partial_fit(
        X, y, n_updates=0)
    coef, intercept = r.coef_.copy(), r.intercept_.copy()
    r.partial_fit(X, y, n_updates=1)
    assert r.loss_ == pytest.approx(softmax_objective(X, y, coef, intercept, 0.2))
    grad_coef = (coef - r.coef_) / lr
    grad_intercept = (intercept - r.intercept_) / lr
    eps = 1e-6
    for index in np.ndindex(coef.shape):
        step = np.zeros_like(coef)
        step[index] = eps
        numeric = (softmax_objective(X, y, coef + step, intercept, 0.2)
                   - softmax_objective(X, y, coef - step, intercept, 0.2)) / (2 * eps)
        assert grad_coef[index] == pytest.approx(numeric, rel=1e-5, abs=1e-7)
    for k in range(4):
        step = np.zeros(4)
        step[k] = eps
        numeric = (softmax_objective(X, y, coef, intercept + step, 0.2)
                   - softmax_objective(X, y, coef, intercept - step, 0.2)) / (2 * eps)
        assert grad_intercept[k] == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_adam_reduces_the_softmax_loss_and_learns_the_classes():
    rng = np.random.default_rng(10)
    centres = 3 * rng.standard_normal((3, 5))
    y = rng.integers(0, 3, 600)
    X = centres[y] + rng.standard_normal((600, 5))
    r = Readout(loss="softmax", solver="adam", lr=0.05, batch_size=64).partial_fit(X, y, 0)
    first = r.partial_fit(X, y, n_updates=1).loss_
    r.partial_fit(X, y, n_updates=200)
    assert r.loss_ < 0.2 * first
    assert r.n_updates_ == 201
    assert r.score(X, y) > 0.95


def test_fit_runs_n_iter_epochs_of_minibatches():
    X, y = np.zeros((100, 2)), np.zeros(100)
    assert Readout(solver="adam", batch_size=32, n_iter=3).fit(X, y).n_updates_ == 3 * 4
    assert Readout(solver="gd", n_iter=3).fit(X, y).n_updates_ == 3
    assert Readout(solver="ridge", n_iter=3).fit(X, y).n_updates_ == 1


@pytest.mark.parametrize("loss,solver", [("mse", "gd"), ("softmax", "gd"), ("softmax", "adam"),
                                         ("mse", "adam"), ("mse", "ridge"), ("softmax", "ridge")])
def test_dense_csr_and_state_features_give_the_same_fit(loss, solver):
    features = random_states(80, [3, 5, 2, 4], seed=11)
    rng = np.random.default_rng(12)
    y = rng.integers(0, 3, 80) if loss == "softmax" else rng.standard_normal((80, 2))
    fits = []
    for X in (features.toarray(), features.tocsr(), features):
        r = Readout(loss=loss, solver=solver, lr=0.005, l2=0.01, n_iter=15, batch_size=16)
        fits.append((r.fit(X, y).coef_, r.intercept_, r.decision_function(X), r.predict(X)))
    for coef, intercept, scores, predicted in fits[1:]:
        assert coef == pytest.approx(fits[0][0], rel=1e-4, abs=1e-5)
        assert intercept == pytest.approx(fits[0][1], rel=1e-4, abs=1e-5)
        assert scores == pytest.approx(fits[0][2], rel=1e-4, abs=1e-5)
        assert np.array_equal(predicted, fits[0][3])


@pytest.mark.parametrize("solver", ["gd", "adam", "ridge"])
@pytest.mark.parametrize("shape", [(60, [3, 4]), (6, [3, 4, 5])], ids=["tall", "wide"])
def test_state_features_are_never_densified(monkeypatch, solver, shape):
    features = random_states(shape[0], shape[1], seed=13)

    def refuse(self):
        raise AssertionError("StateFeatures.toarray was called")
    monkeypatch.setattr(StateFeatures, "toarray", refuse)
    y = np.arange(shape[0]) % 3
    r = Readout(loss="softmax", solver=solver, n_iter=3, batch_size=8).fit(features, y)
    assert r.predict(features).shape == (shape[0],)


def test_float32_features_train_float32_weights_and_other_inputs_float64():
    X = np.ones((4, 3), dtype=np.float32)
    assert Readout().fit(X, np.ones(4)).coef_.dtype == np.float32
    assert Readout().fit(X.astype(int), np.ones(4)).coef_.dtype == np.float64


def test_predict_returns_the_target_shape_and_decision_function_raw_scores(regression):
    X, y = regression
    r = Readout(solver="ridge").fit(X, y)
    assert r.predict(X).shape == (60,)
    assert r.decision_function(X).shape == (60, 1)
    assert r.coef_.shape == (1, 4) and r.intercept_.shape == (1,)
    assert r.score(X, y) > 0.99
    two = Readout(solver="ridge").fit(X, np.stack([y, -y], axis=1))
    assert two.predict(X).shape == (60, 2)


def test_softmax_targets_may_leave_out_classes_when_n_classes_is_given():
    X = np.eye(3)
    r = Readout(loss="softmax", solver="gd").fit(X, [0, 1, 0], n_classes=5)
    assert r.coef_.shape == (5, 3)
    with pytest.raises(FSMError, match="out of range"):
        r.partial_fit(X, [0, 1, 5])


def test_divergence_is_recorded_in_loss_not_raised():
    X = np.random.default_rng(14).standard_normal((50, 5)) * 100
    r = Readout(solver="gd", lr=10.0).fit(X, np.ones(50))
    assert not np.isfinite(r.loss_)


def test_softmax_ridge_scores_are_calibrated_and_predict_the_same_classes():
    """The regressed one-hot scores scaled by one fitted temperature: the same argmax, and a
    cross-entropy no worse than the raw scores' or the class frequencies' (the best constant)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 20))
    classes = (X[:, :4] @ rng.normal(size=(4, 5))).argmax(axis=1)
    noisy = rng.random(3000) < 0.3
    classes[noisy] = rng.integers(0, 5, noisy.sum())
    model = Readout(loss="softmax", solver="ridge", l2=1e-3).fit(X, classes)
    raw_weights, raw_intercept = augmented_ridge(X, np.eye(5)[classes], 1e-3)
    raw = X @ raw_weights.T + raw_intercept
    scores = model.decision_function(X)
    np.testing.assert_array_equal(scores.argmax(axis=1), raw.argmax(axis=1))

    def cross_entropy(logits):
        return float(np.mean(logsumexp(logits, axis=1) - logits[np.arange(3000), classes]))
    frequencies = np.bincount(classes, minlength=5) / 3000
    assert cross_entropy(scores) < cross_entropy(raw)
    assert cross_entropy(scores) < -np.sum(frequencies * np.log(frequencies))
    assert np.isclose(cross_entropy(scores), min(cross_entropy(c * raw) for c in
                                                 np.geomspace(0.1, 100, 400)), rtol=1e-3)


def test_ridge_over_the_size_cap_raises_capacity_error(monkeypatch):
    monkeypatch.setattr(readout, "MAX_RIDGE_SIZE", 5)
    with pytest.raises(CapacityError, match="cap of 5"):
        Readout(solver="ridge").fit(np.ones((10, 6)), np.ones(10))


@pytest.mark.parametrize("settings,field", [
    (dict(loss="hinge"), "loss"), (dict(solver="sgd"), "solver"), (dict(lr=0.0), "lr"),
    (dict(l2=-1.0), "l2"), (dict(batch_size=0), "batch_size"), (dict(n_iter=0), "n_iter")])
def test_bad_settings_name_the_field(settings, field):
    with pytest.raises(FSMError, match=field):
        Readout(**settings)


def test_bad_data_is_refused_with_a_clear_message():
    r = Readout(loss="softmax")
    with pytest.raises(FSMError, match="class codes"):
        r.fit(np.ones((3, 2)), [0.5, 1.0, 2.0])
    with pytest.raises(FSMError, match="one row per row of X"):
        r.fit(np.ones((3, 2)), [0, 1])
    with pytest.raises(FSMError, match="no weights yet"):
        Readout().predict(np.ones((3, 2)))
    fitted = Readout().fit(np.ones((3, 2)), np.ones(3))
    with pytest.raises(FSMError, match="3 features"):
        fitted.partial_fit(np.ones((3, 3)), np.ones(3))


def test_benchmark_runs_at_a_tiny_size_and_prints_a_table():
    result = readout_benchmark.run(n_machines=40, n_steps=300, n_classes=4, n_states=4,
                                   ridge_features=32, repeats=1)
    table = readout_benchmark.format_table(result)
    for row in result["rows"]:
        assert row["seconds"] > 0
        assert row["name"] in table
