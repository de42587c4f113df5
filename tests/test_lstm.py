"""Tests of the NumPy LSTM (fsm_engine.lstm) and its task learner (fsm_engine.lstm_learner)."""
import numpy as np
import pytest

from fsm_engine import tasks
from fsm_engine.errors import FSMError, TaskError
from fsm_engine.lstm import LSTM, LSTMError, clip_grad_norm
from fsm_engine.lstm_learner import LSTMLearner, _training_lanes

X, H, O, T, B = 3, 4, 3, 7, 3   # small sizes for exact checks


def small_batch(loss, seed=0):
    """Random inputs, targets, mask, resets and initial state for a 2-layer net."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, X))                          # [T, B, X]
    if loss == "mse":
        y = rng.normal(size=(T, B, O))                      # [T, B, O]
    else:
        y = rng.integers(0, O, size=(T, B))                 # [T, B]
    mask = rng.random((T, B)) < 0.7                         # [T, B]
    resets = np.zeros((T, B), bool)
    resets[3, 0] = resets[5, 2] = True
    state = (rng.normal(size=(2, B, H)), rng.normal(size=(2, B, H)))
    return x, y, mask, resets, state


def one_hot_stream(task):
    """The task stream as one lane: x [T, 1, X], resets [T, 1]."""
    return np.eye(task.n_symbols)[task.inputs][:, None, :], task.resets[:, None]


# ---------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("loss", ["mse", "softmax"])
def test_gradient_of_every_parameter_matches_finite_differences(loss):
    net = LSTM(X, H, O, n_layers=2, dtype=np.float64, random_state=1)
    x, y, mask, resets, state = small_batch(loss)

    def loss_at():
        return net.loss_and_grad(x, y, loss=loss, mask=mask, resets=resets, state=state)[0]

    _, grads = net.loss_and_grad(x, y, loss=loss, mask=mask, resets=resets, state=state)
    eps = 1e-6
    for name, param in net.params.items():
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + eps
            up = loss_at()
            param[index] = saved - eps
            down = loss_at()
            param[index] = saved
            numeric[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8, err_msg=name)


def test_mse_loss_is_the_mean_over_scored_elements():
    net = LSTM(X, H, O, dtype=np.float64)
    x, y, mask, _, _ = small_batch("mse")
    outputs = net.predict(x)
    loss, _ = net.loss_and_grad(x, y, loss="mse", mask=mask)
    assert loss == pytest.approx(np.mean((outputs - y)[mask] ** 2))


def test_softmax_loss_is_the_mean_cross_entropy_over_scored_steps():
    net = LSTM(X, H, O, dtype=np.float64)
    x, y, mask, _, _ = small_batch("softmax")
    logits = net.predict(x)
    log_p = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
    expected = -np.mean(np.take_along_axis(log_p, y[:, :, None], axis=2)[:, :, 0][mask])
    assert net.loss_and_grad(x, y, loss="softmax", mask=mask)[0] == pytest.approx(expected)


def test_no_scored_step_gives_zero_loss_and_zero_gradients():
    net = LSTM(X, H, O, dtype=np.float64)
    x, y, _, _, _ = small_batch("softmax")
    loss, grads = net.loss_and_grad(x, y, loss="softmax", mask=np.zeros((T, B), bool))
    assert loss == 0.0
    assert all(not g.any() for g in grads.values())


# ---------------------------------------------------------------------------- truncated BPTT
@pytest.mark.parametrize("window", [T, T + 5])
def test_truncated_bptt_equals_full_bptt_when_the_window_covers_the_sequence(window):
    net = LSTM(X, H, O, n_layers=2, dtype=np.float64)
    x, y, mask, resets, state = small_batch("softmax")
    full_loss, full = net.loss_and_grad(x, y, "softmax", mask, resets, state)
    loss, grads = net.loss_and_grad(x, y, "softmax", mask, resets, state, window=window)
    assert loss == pytest.approx(full_loss)
    for name in full:
        np.testing.assert_allclose(grads[name], full[name], rtol=1e-12, atol=1e-14)


def test_truncated_bptt_keeps_the_loss_but_cuts_gradients_at_window_edges():
    net = LSTM(X, H, O, n_layers=2, dtype=np.float64)
    x, y, _, _, _ = small_batch("mse")
    full_loss, full = net.loss_and_grad(x, y)
    loss, truncated = net.loss_and_grad(x, y, window=3)
    assert loss == pytest.approx(full_loss)   # the forward pass carries the state across
    assert not np.allclose(truncated["weight_hh_l0"], full["weight_hh_l0"])


def test_truncation_at_resets_of_every_lane_changes_nothing():
    net = LSTM(X, H, O, n_layers=2, dtype=np.float64)
    x, y, mask, _, _ = small_batch("mse")
    resets = np.zeros((T, B), bool)
    resets[[3, 6]] = True                       # every lane resets where a window starts
    _, full = net.loss_and_grad(x, y, mask=mask, resets=resets)
    _, truncated = net.loss_and_grad(x, y, mask=mask, resets=resets, window=3)
    for name in full:
        np.testing.assert_allclose(truncated[name], full[name], rtol=1e-12, atol=1e-14)


def test_returned_state_continues_the_sequence_exactly():
    net = LSTM(X, H, O, n_layers=2, dtype=np.float64)
    x, _, _, resets, _ = small_batch("mse")
    whole = net.predict(x, resets=resets)
    first, state = net.predict(x[:4], resets=resets[:4], return_state=True)
    second = net.predict(x[4:], h0=state, resets=resets[4:])
    np.testing.assert_allclose(np.concatenate([first, second]), whole, rtol=1e-12)


# ---------------------------------------------------------------------------- resets
def test_resets_cut_the_gradient():
    """Channel 0 of the input is on only before a reset at step 4 of every lane and the
    loss only scores later steps, so weight_ih_l0's column 0 gets no gradient."""
    net = LSTM(X, H, O, dtype=np.float64)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(T, B, X))
    x[4:, :, 0] = 0.0
    y = rng.normal(size=(T, B, O))
    mask = np.zeros((T, B), bool)
    mask[4:] = True
    resets = np.zeros((T, B), bool)
    resets[4] = True
    _, with_reset = net.loss_and_grad(x, y, mask=mask, resets=resets)
    _, without_reset = net.loss_and_grad(x, y, mask=mask)
    assert not with_reset["weight_ih_l0"][:, 0].any()
    assert np.abs(without_reset["weight_ih_l0"][:, 0]).max() > 1e-6


def test_loss_after_a_reset_does_not_depend_on_earlier_inputs():
    net = LSTM(X, H, O, n_layers=2, dtype=np.float64)
    x, y, _, _, state = small_batch("mse")
    mask = np.zeros((T, B), bool)
    mask[4:] = True
    resets = np.zeros((T, B), bool)
    resets[4] = True
    other_x = x.copy()
    other_x[:4] = np.random.default_rng(5).normal(size=(4, B, X))
    loss, grads = net.loss_and_grad(x, y, mask=mask, resets=resets, state=state)
    other_loss, other_grads = net.loss_and_grad(other_x, y, mask=mask, resets=resets)
    assert other_loss == pytest.approx(loss, rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(other_grads[name], grads[name], rtol=1e-10, atol=1e-14)


def test_a_reset_at_the_first_step_ignores_the_initial_state():
    net = LSTM(X, H, O, n_layers=2, dtype=np.float64)
    x, _, _, _, state = small_batch("mse")
    resets = np.zeros((T, B), bool)
    resets[0] = True
    np.testing.assert_array_equal(net.predict(x, h0=state, resets=resets), net.predict(x))


# ---------------------------------------------------------------------------- weights
def reference_outputs(state_dict, x, n_layers):
    """PyTorch's nn.LSTM equations, one lane and one step at a time (an independent
    check of the weight layout and gate order i, f, g, o)."""
    def sigmoid(v):
        return 1 / (1 + np.exp(-v))
    n_hidden = state_dict["weight_hh_l0"].shape[1]
    outputs = np.zeros(x.shape[:2] + (state_dict["head.bias"].shape[0],))
    for lane in range(x.shape[1]):
        h = np.zeros((n_layers, n_hidden))
        c = np.zeros((n_layers, n_hidden))
        for t in range(x.shape[0]):
            inp = x[t, lane]
            for layer in range(n_layers):
                z = (state_dict[f"weight_ih_l{layer}"] @ inp + state_dict[f"bias_ih_l{layer}"]
                     + state_dict[f"weight_hh_l{layer}"] @ h[layer]
                     + state_dict[f"bias_hh_l{layer}"])
                z_i, z_f, z_g, z_o = np.split(z, 4)
                c[layer] = sigmoid(z_f) * c[layer] + sigmoid(z_i) * np.tanh(z_g)
                h[layer] = sigmoid(z_o) * np.tanh(c[layer])
                inp = h[layer]
            outputs[t, lane] = state_dict["head.weight"] @ inp + state_dict["head.bias"]
    return outputs


def torch_like_state_dict(n_layers, seed):
    """Random float32 arrays with nn.LSTM's names and shapes, as from ``.numpy()``."""
    rng = np.random.default_rng(seed)
    shapes = LSTM(X, H, O, n_layers=n_layers).param_shapes()
    return {name: rng.uniform(-0.8, 0.8, size=shape).astype(np.float32)
            for name, shape in shapes.items()}


@pytest.mark.parametrize("n_layers", [1, 2])
def test_loaded_pytorch_layout_weights_give_the_reference_outputs(n_layers):
    weights = torch_like_state_dict(n_layers, seed=3)
    net = LSTM(X, H, O, n_layers=n_layers, dtype=np.float64)
    net.load_state_dict(weights)
    x, _, _, _, _ = small_batch("mse")
    expected = reference_outputs({k: v.astype(np.float64) for k, v in weights.items()},
                                 x, n_layers)
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-10, atol=1e-12)


def test_float32_and_float64_models_agree():
    weights = torch_like_state_dict(2, seed=4)
    x, _, _, resets, _ = small_batch("mse")
    outputs = {}
    for dtype in (np.float32, np.float64):
        net = LSTM(X, H, O, n_layers=2, dtype=dtype)
        net.load_state_dict(weights)
        outputs[dtype] = net.predict(x, resets=resets)
        assert outputs[dtype].dtype == dtype
    np.testing.assert_allclose(outputs[np.float32], outputs[np.float64], rtol=1e-4, atol=1e-5)


def test_initial_forget_bias_totals_one():
    net = LSTM(X, H, O, n_layers=2)
    for layer in range(2):
        forget = slice(H, 2 * H)
        total = net.params[f"bias_ih_l{layer}"][forget] + net.params[f"bias_hh_l{layer}"][forget]
        np.testing.assert_array_equal(total, 1.0)
    bound = 1 / np.sqrt(H)
    assert all(np.abs(net.params[name]).max() <= bound
               for name in ("weight_ih_l0", "weight_hh_l1", "head.weight"))


def test_state_dict_round_trip_reproduces_the_outputs():
    source = LSTM(X, H, O, n_layers=2, random_state=1)
    target = LSTM(X, H, O, n_layers=2, random_state=2)
    x, _, _, _, _ = small_batch("mse")
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(target.predict(x), source.predict(x))


def test_state_dict_returns_copies():
    net = LSTM(X, H, O)
    state = net.state_dict()
    state["weight_hh_l0"][:] = 0.0
    assert net.params["weight_hh_l0"].any()


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("bias_hh_l1"), "missing \\['bias_hh_l1'\\]"),
    (lambda d: d.update({"weight_ih_l2": np.zeros((16, 4))}), "unexpected \\['weight_ih_l2'\\]"),
    (lambda d: d.update({"weight_hh_l0": np.zeros((16, 5))}), "'weight_hh_l0' has shape"),
    (lambda d: d.update({"head.bias": np.array([0.0, np.nan, 0.0])}), "'head.bias' contains"),
])
def test_bad_state_dict_is_refused_and_leaves_the_model_unchanged(edit, message):
    net = LSTM(X, H, O, n_layers=2)
    before = net.state_dict()
    bad = LSTM(X, H, O, n_layers=2, random_state=9).state_dict()
    edit(bad)
    with pytest.raises(LSTMError, match=message):
        net.load_state_dict(bad)
    for name, value in before.items():
        np.testing.assert_array_equal(net.params[name], value)
    assert issubclass(LSTMError, FSMError)


def test_bad_input_shapes_name_the_field():
    net = LSTM(X, H, O)
    with pytest.raises(LSTMError, match="x must have shape"):
        net.predict(np.zeros((T, B, X + 1)))
    with pytest.raises(LSTMError, match="resets must have shape"):
        net.predict(np.zeros((T, B, X)), resets=np.zeros(T, bool))
    with pytest.raises(LSTMError, match="softmax targets"):
        net.loss_and_grad(np.zeros((T, B, X)), np.full((T, B), O), loss="softmax")
    with pytest.raises(LSTMError, match="loss must be one of"):
        net.loss_and_grad(np.zeros((T, B, X)), np.zeros((T, B, O)), loss="hinge")


def test_forward_trace_exposes_consistent_gates_and_states():
    net = LSTM(X, H, O, n_layers=2, dtype=np.float64)
    x, _, _, resets, _ = small_batch("mse")
    trace = net.forward_trace(x, resets=resets)
    for key in "ifgoch":
        assert trace[key].shape == (2, T, B, H)
    np.testing.assert_allclose(trace["h"], trace["o"] * np.tanh(trace["c"]), rtol=1e-12)
    assert ((trace["f"] > 0) & (trace["f"] < 1)).all()
    np.testing.assert_array_equal(trace["outputs"], net.predict(x, resets=resets))


# ---------------------------------------------------------------------------- clipping
def test_clipping_bounds_the_global_norm_and_keeps_the_direction():
    rng = np.random.default_rng(0)
    grads = {"a": rng.normal(size=(4, 3)) * 10, "b": rng.normal(size=5) * 10}
    original = {k: g.copy() for k, g in grads.items()}
    norm = clip_grad_norm(grads, 1.0)
    assert norm == pytest.approx(np.sqrt(sum((g ** 2).sum() for g in original.values())))
    assert np.sqrt(sum((g ** 2).sum() for g in grads.values())) <= 1.0
    for name in grads:
        np.testing.assert_allclose(grads[name], original[name] / (norm + 1e-6))


def test_clipping_leaves_small_gradients_alone():
    grads = {"a": np.array([0.3, 0.4])}
    assert clip_grad_norm(grads, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(grads["a"], [0.3, 0.4])


# ---------------------------------------------------------------------------- learner
def accuracy(task, outputs, mask):
    return float(np.mean(outputs.argmax(axis=1)[mask] == task.targets[mask]))


def test_learner_learns_delayed_recall():
    task = tasks.make("delayed_recall", k=3, m=4, T=3000, seed=0)
    learner = LSTMLearner(task, n_hidden=16, lr=2e-2, batch_size=16, window=50)
    for _ in range(150):
        learner.update()
    assert accuracy(task, learner.outputs(), task.eval_mask) > 0.97   # chance is 0.25


def test_learner_learns_the_long_range_choice_of_embedded_reber():
    """The T/P before the final E must repeat the one after the first B."""
    task = tasks.make("embedded_reber", n_strings=256, seed=0)
    learner = LSTMLearner(task, n_hidden=16, lr=2e-2, batch_size=16, window=50)
    for _ in range(400):
        learner.update()
    outputs = learner.outputs()
    before_last = np.roll(task.resets, -3)     # the step whose target is the final T/P
    assert accuracy(task, outputs, before_last & task.eval_mask) > 0.95
    legal = np.take_along_axis(task.extras["next_sets"], outputs.argmax(axis=1)[:, None], 1)
    assert legal[task.eval_mask].mean() > 0.99   # the top symbol is allowed by the grammar


def test_learner_outputs_equal_one_pass_over_the_stream():
    task = tasks.make("embedded_reber", n_strings=40, seed=1)
    learner = LSTMLearner(task, n_hidden=8, batch_size=4, window=20)
    learner.update()
    x, resets = one_hot_stream(task)
    expected = learner.net.predict(x, resets=resets)[:, 0]
    assert learner.outputs().shape == (task.T, task.n_outputs)
    np.testing.assert_allclose(learner.outputs(), expected, rtol=1e-5, atol=1e-6)


def test_training_lanes_cover_every_training_step_once_and_start_at_episodes():
    task = tasks.make("embedded_reber", n_strings=60, seed=2)
    lanes = _training_lanes(task, 8)                     # [L, lanes]
    steps = lanes[lanes >= 0]
    assert len(np.unique(steps)) == len(steps)
    assert set(np.flatnonzero(task.train_mask)) <= set(steps)
    assert not task.holdout[steps].any()                 # held-out strings are not run
    assert task.resets[lanes[0]].all()                   # no lane starts mid-episode
    learner = LSTMLearner(task, batch_size=8, window=10)
    assert learner._lanes["mask"].sum() == task.train_mask.sum()


def test_learner_regression_uses_mse_and_outputs_one_column():
    base = tasks.make("delayed_recall", k=1, m=2, T=400, seed=0)
    task = tasks.Task(
        name="echo", params={}, alphabet=base.alphabet, inputs=base.inputs,
        targets=base.targets.astype(float), mask=base.mask, resets=base.resets,
        holdout=base.holdout, kind=tasks.REGRESSION, classes=(), chance=0.25, metric="mse",
        description="target is the previous input as a number")
    learner = LSTMLearner(task, n_hidden=8, batch_size=4, window=25)
    losses = [learner.update() for _ in range(60)]
    assert learner.loss == "mse"
    assert learner.outputs().shape == (task.T, 1)
    assert np.mean(losses[-8:]) < 0.5 * np.mean(losses[:8])


def test_learner_state_dict_resumes_training_exactly():
    task = tasks.make("delayed_recall", k=2, m=2, T=600, seed=3)
    learner = LSTMLearner(task, n_hidden=8, batch_size=4, window=40)
    for _ in range(3):
        learner.update()
    saved = learner.state_dict()
    continued = [learner.update() for _ in range(4)]
    restored = LSTMLearner(task, n_hidden=8, batch_size=4, window=40, random_state=7)
    restored.load_state_dict(saved)
    assert [restored.update() for _ in range(4)] == continued
    np.testing.assert_array_equal(restored.weights_view(), learner.weights_view())


def test_learner_refuses_a_state_dict_of_another_size():
    task = tasks.make("delayed_recall", k=2, m=2, T=600, seed=3)
    learner = LSTMLearner(task, n_hidden=8)
    other = LSTMLearner(task, n_hidden=6).state_dict()
    with pytest.raises(LSTMError):
        learner.load_state_dict(other)


def test_learner_reports_a_non_finite_loss_instead_of_raising():
    task = tasks.make("delayed_recall", k=2, m=2, T=600, seed=3)
    learner = LSTMLearner(task, n_hidden=8)
    learner.net.params["head.weight"][:] = np.inf
    assert not np.isfinite(learner.update())


def test_learner_settings_are_checked():
    task = tasks.make("delayed_recall", k=2, m=2, T=600, seed=3)
    with pytest.raises(LSTMError, match="batch_size"):
        LSTMLearner(task, batch_size=0)
    with pytest.raises(LSTMError, match="clip"):
        LSTMLearner(task, clip=-1.0)
    empty = tasks.Task(**{**task.__dict__, "mask": np.zeros(task.T, bool)})
    with pytest.raises(TaskError, match="no training step"):
        LSTMLearner(empty)
