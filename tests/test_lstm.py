"""Tests of the NumPy LSTM (fsm_engine.lstm); its task learner is tested in test_lstm_learner.py."""
import numpy as np
import pytest

from fsm_engine.benchmarks import lstm as lstm_bench
from fsm_engine.errors import FSMError
from fsm_engine.lstm import LSTM, LSTMError, clip_grad_norm

X, H, Y, T, B = 3, 4, 3, 7, 3   # inputs, hidden units, outputs, steps, lanes (small: exact checks)


def small_batch(loss, seed=0):
    """Random inputs, targets, mask, resets and initial state for a 2-layer net."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, X))                          # [T, B, X]
    if loss == "mse":
        y = rng.normal(size=(T, B, Y))                      # [T, B, Y]
    else:
        y = rng.integers(0, Y, size=(T, B))                 # [T, B]
    mask = rng.random((T, B)) < 0.7                         # [T, B]
    resets = np.zeros((T, B), bool)
    resets[3, 0] = resets[5, 2] = True
    state = (rng.normal(size=(2, B, H)), rng.normal(size=(2, B, H)))
    return x, y, mask, resets, state


# ---------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("loss", ["mse", "softmax"])
def test_gradient_of_every_parameter_matches_finite_differences(loss):
    net = LSTM(X, H, Y, n_layers=2, dtype=np.float64, random_state=1)
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
    net = LSTM(X, H, Y, dtype=np.float64)
    x, y, mask, _, _ = small_batch("mse")
    outputs = net.predict(x)
    loss, _ = net.loss_and_grad(x, y, loss="mse", mask=mask)
    assert loss == pytest.approx(np.mean((outputs - y)[mask] ** 2))


def test_softmax_loss_is_the_mean_cross_entropy_over_scored_steps():
    net = LSTM(X, H, Y, dtype=np.float64)
    x, y, mask, _, _ = small_batch("softmax")
    logits = net.predict(x)
    log_p = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
    expected = -np.mean(np.take_along_axis(log_p, y[:, :, None], axis=2)[:, :, 0][mask])
    assert net.loss_and_grad(x, y, loss="softmax", mask=mask)[0] == pytest.approx(expected)


def test_no_scored_step_gives_zero_loss_and_zero_gradients():
    net = LSTM(X, H, Y, dtype=np.float64)
    x, y, _, _, _ = small_batch("softmax")
    loss, grads = net.loss_and_grad(x, y, loss="softmax", mask=np.zeros((T, B), bool))
    assert loss == 0.0
    assert all(not g.any() for g in grads.values())


# ---------------------------------------------------------------------------- truncated BPTT
@pytest.mark.parametrize("window", [T, T + 5])
def test_truncated_bptt_equals_full_bptt_when_the_window_covers_the_sequence(window):
    net = LSTM(X, H, Y, n_layers=2, dtype=np.float64)
    x, y, mask, resets, state = small_batch("softmax")
    full_loss, full = net.loss_and_grad(x, y, "softmax", mask, resets, state)
    loss, grads = net.loss_and_grad(x, y, "softmax", mask, resets, state, window=window)
    assert loss == pytest.approx(full_loss)
    for name in full:
        np.testing.assert_allclose(grads[name], full[name], rtol=1e-12, atol=1e-14)


def test_truncated_bptt_keeps_the_loss_but_cuts_gradients_at_window_edges():
    net = LSTM(X, H, Y, n_layers=2, dtype=np.float64)
    x, y, _, _, _ = small_batch("mse")
    full_loss, full = net.loss_and_grad(x, y)
    loss, truncated = net.loss_and_grad(x, y, window=3)
    assert loss == pytest.approx(full_loss)   # the forward pass carries the state across
    assert not np.allclose(truncated["weight_hh_l0"], full["weight_hh_l0"])


def test_truncation_at_resets_of_every_lane_changes_nothing():
    net = LSTM(X, H, Y, n_layers=2, dtype=np.float64)
    x, y, mask, _, _ = small_batch("mse")
    resets = np.zeros((T, B), bool)
    resets[[3, 6]] = True                       # every lane resets where a window starts
    _, full = net.loss_and_grad(x, y, mask=mask, resets=resets)
    _, truncated = net.loss_and_grad(x, y, mask=mask, resets=resets, window=3)
    for name in full:
        np.testing.assert_allclose(truncated[name], full[name], rtol=1e-12, atol=1e-14)


def test_returned_state_continues_the_sequence_exactly():
    net = LSTM(X, H, Y, n_layers=2, dtype=np.float64)
    x, _, _, resets, _ = small_batch("mse")
    whole = net.predict(x, resets=resets)
    first, state = net.predict(x[:4], resets=resets[:4], return_state=True)
    second = net.predict(x[4:], h0=state, resets=resets[4:])
    np.testing.assert_allclose(np.concatenate([first, second]), whole, rtol=1e-12)


# ---------------------------------------------------------------------------- resets
def test_resets_cut_the_gradient():
    """Channel 0 of the input is on only before a reset at step 4 of every lane and the
    loss only scores later steps, so weight_ih_l0's column 0 gets no gradient."""
    net = LSTM(X, H, Y, dtype=np.float64)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(T, B, X))
    x[4:, :, 0] = 0.0
    y = rng.normal(size=(T, B, Y))
    mask = np.zeros((T, B), bool)
    mask[4:] = True
    resets = np.zeros((T, B), bool)
    resets[4] = True
    _, with_reset = net.loss_and_grad(x, y, mask=mask, resets=resets)
    _, without_reset = net.loss_and_grad(x, y, mask=mask)
    assert not with_reset["weight_ih_l0"][:, 0].any()
    assert np.abs(without_reset["weight_ih_l0"][:, 0]).max() > 1e-6


def test_loss_after_a_reset_does_not_depend_on_earlier_inputs():
    net = LSTM(X, H, Y, n_layers=2, dtype=np.float64)
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
    net = LSTM(X, H, Y, n_layers=2, dtype=np.float64)
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
    shapes = LSTM(X, H, Y, n_layers=n_layers).param_shapes()
    return {name: rng.uniform(-0.8, 0.8, size=shape).astype(np.float32)
            for name, shape in shapes.items()}


@pytest.mark.parametrize("n_layers", [1, 2])
def test_loaded_pytorch_layout_weights_give_the_reference_outputs(n_layers):
    weights = torch_like_state_dict(n_layers, seed=3)
    net = LSTM(X, H, Y, n_layers=n_layers, dtype=np.float64)
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
        net = LSTM(X, H, Y, n_layers=2, dtype=dtype)
        net.load_state_dict(weights)
        outputs[dtype] = net.predict(x, resets=resets)
        assert outputs[dtype].dtype == dtype
    np.testing.assert_allclose(outputs[np.float32], outputs[np.float64], rtol=1e-4, atol=1e-5)


def test_float32_and_float64_gradients_agree():
    weights = torch_like_state_dict(2, seed=5)
    x, y, mask, resets, state = small_batch("softmax")
    grads = {}
    for dtype in (np.float32, np.float64):
        net = LSTM(X, H, Y, n_layers=2, dtype=dtype)
        net.load_state_dict(weights)
        _, grads[dtype] = net.loss_and_grad(x, y, loss="softmax", mask=mask, resets=resets,
                                            state=state)
    for name, g in grads[np.float64].items():
        assert grads[np.float32][name].dtype == np.float32
        np.testing.assert_allclose(grads[np.float32][name], g, rtol=1e-4, atol=1e-5,
                                   err_msg=name)


def test_initial_forget_bias_totals_one():
    net = LSTM(X, H, Y, n_layers=2)
    for layer in range(2):
        forget = slice(H, 2 * H)
        total = net.params[f"bias_ih_l{layer}"][forget] + net.params[f"bias_hh_l{layer}"][forget]
        np.testing.assert_array_equal(total, 1.0)
    bound = 1 / np.sqrt(H)
    assert all(np.abs(net.params[name]).max() <= bound
               for name in ("weight_ih_l0", "weight_hh_l1", "head.weight"))


def test_state_dict_round_trip_reproduces_the_outputs():
    source = LSTM(X, H, Y, n_layers=2, random_state=1)
    target = LSTM(X, H, Y, n_layers=2, random_state=2)
    x, _, _, _, _ = small_batch("mse")
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(target.predict(x), source.predict(x))


def test_state_dict_returns_copies():
    net = LSTM(X, H, Y)
    state = net.state_dict()
    state["weight_hh_l0"][:] = 0.0
    assert net.params["weight_hh_l0"].any()


def replace(name, value):
    """An edit of a state dict that sets entry ``name`` to ``value``."""
    return lambda d: d.update({name: value})


# each bad entry is late in the model's order, so a loader that wrote entry by entry
# would already have changed the earlier weights
@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("bias_hh_l1"), r"missing \['bias_hh_l1'\], unexpected \[\]"),
    (replace("weight_ih_l2", np.zeros((16, 4))), r"unexpected \['weight_ih_l2'\]"),
    (replace(0, np.zeros(3)), r"unexpected \[0\]"),
    (replace("weight_hh_l1", np.zeros((16, 5))), r"'weight_hh_l1' has shape \(16, 5\), expected"),
    (replace("head.bias", 0.5), r"'head.bias' has shape \(\), expected \(3,\)"),
    (replace("head.bias", np.array([0.0, np.nan, 0.0])), "'head.bias' contains NaN or inf"),
    (replace("head.bias", np.array([0.0, np.inf, 0.0])), "'head.bias' contains NaN or inf"),
    (replace("head.bias", np.array([0.0, -np.inf, 0.0])), "'head.bias' contains NaN or inf"),
    (replace("head.bias", np.array([0.0, 1e39, 0.0])), "'head.bias' has values beyond the "
                                                       "float32 range .*dtype=np.float64"),
    (replace("head.bias", None), "'head.bias' is None; give an array of shape \\(3,\\)"),
    (replace("head.bias", [0.0, None, 0.0]), "'head.bias' holds object values"),
    (replace("head.bias", ["0.1", "0.2", "0.3"]), "'head.bias' holds <U3 values"),
    (replace("head.bias", np.ones(3, bool)), "'head.bias' holds bool values"),
    (replace("head.bias", np.ones(3, complex)), "'head.bias' holds complex128 values"),
    (replace("head.bias", [[0.0], [0.0, 1.0], [0.0]]), "'head.bias' cannot be read as an array"),
    (replace("head.bias", [10**400, 0, 0]), "'head.bias' holds object values"),
])
def test_bad_state_dict_is_refused_and_leaves_the_model_unchanged(edit, message):
    net = LSTM(X, H, Y, n_layers=2)
    before = net.state_dict()
    bad = LSTM(X, H, Y, n_layers=2, random_state=9).state_dict()
    edit(bad)
    with pytest.raises(LSTMError, match=message):
        net.load_state_dict(bad)
    for name, value in before.items():
        np.testing.assert_array_equal(net.params[name], value)
    assert issubclass(LSTMError, FSMError)


@pytest.mark.parametrize("state", [None, [("head.bias", np.zeros(3))], "weights.npz"])
def test_a_state_dict_that_is_not_a_dict_is_refused(state):
    net = LSTM(X, H, Y)
    before = net.state_dict()
    with pytest.raises(LSTMError, match="must be a dict of name -> array"):
        net.load_state_dict(state)
    for name, value in before.items():
        np.testing.assert_array_equal(net.params[name], value)


def test_a_value_too_large_for_float32_loads_into_a_float64_model():
    weights = LSTM(X, H, Y, dtype=np.float64).state_dict()
    weights["head.bias"][1] = 1e39
    net = LSTM(X, H, Y, dtype=np.float64)
    net.load_state_dict(weights)
    assert net.params["head.bias"][1] == 1e39


def test_lists_and_integer_arrays_load_as_the_model_dtype():
    weights = {name: value.tolist() for name, value in LSTM(X, H, Y).state_dict().items()}
    weights["head.bias"] = np.array([1, -2, 3])
    net = LSTM(X, H, Y)
    net.load_state_dict(weights)
    np.testing.assert_array_equal(net.params["head.bias"], [1.0, -2.0, 3.0])
    assert all(p.dtype == np.float32 for p in net.params.values())
    np.testing.assert_array_equal(net.params["weight_hh_l0"], weights["weight_hh_l0"])


def test_bad_input_shapes_name_the_field():
    net = LSTM(X, H, Y)
    with pytest.raises(LSTMError, match="x must have shape"):
        net.predict(np.zeros((T, B, X + 1)))
    with pytest.raises(LSTMError, match="resets must have shape"):
        net.predict(np.zeros((T, B, X)), resets=np.zeros(T, bool))
    with pytest.raises(LSTMError, match="softmax targets"):
        net.loss_and_grad(np.zeros((T, B, X)), np.full((T, B), Y), loss="softmax")
    with pytest.raises(LSTMError, match="loss must be one of"):
        net.loss_and_grad(np.zeros((T, B, X)), np.zeros((T, B, Y)), loss="hinge")


def test_forward_trace_exposes_consistent_gates_and_states():
    net = LSTM(X, H, Y, n_layers=2, dtype=np.float64)
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


# ---------------------------------------------------------------------------- benchmark
def test_benchmark_times_the_numpy_step_and_explains_a_missing_torch():
    settings = {"hidden_sizes": (4,), "batch_size": 2, "length": 5, "repeats": 2, "warmup": 1}
    result = lstm_bench.run(torch_python=None, **settings)
    assert [set(row) for row in result["rows"]] == [{"n_hidden", "numpy_ms"}]
    assert "PyTorch not timed" in lstm_bench.format_table(result)
    with pytest.raises(SystemExit, match="PyTorch process ended early"):
        lstm_bench.run(torch_python="/bin/false", **settings)
    with pytest.raises(SystemExit, match="cannot start"):
        lstm_bench.run(torch_python="/no/such/python", **settings)
