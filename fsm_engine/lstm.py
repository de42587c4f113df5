"""A from-scratch NumPy LSTM: forward, backward (BPTT), gradient clipping.

The model is one or more LSTM layers and a linear head, in the spirit of
Karpathy's min-char-rnn: the forward pass is one visible loop over time, the
backward pass is the same loop run backwards (the element-wise part of a step is
a small compiled kernel, ``_cell_forward`` / ``_cell_backward``), and the update is
``optim.Adam.step(net.params, grads)`` (see ``lstm_learner.py``).

Weights use PyTorch's ``nn.LSTM`` layout and names, so a PyTorch ``state_dict``
converted with ``.numpy()`` loads and gives the same outputs.  Per layer ``l``::

    weight_ih_l{l} [4H, n_in]   bias_ih_l{l} [4H]      gate rows in the order i, f, g, o
    weight_hh_l{l} [4H, H]      bias_hh_l{l} [4H]
    head.weight    [n_outputs, H]   head.bias [n_outputs]

One step of a layer, with ``x`` the layer's input and ``σ`` the logistic::

    i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o)   where z = W_ih x + b_ih + W_hh h + b_hh
    c = f * c_prev + i * g
    h = o * tanh(c)

Episode resets: where ``resets[t, b]`` is True the hidden and cell state of lane
``b`` (every layer) are zeroed before step ``t``, so nothing flows across the
reset, forward or backward.

Carrying state between calls (truncated BPTT over a long stream): ``predict``
and ``loss_and_grad`` accept an initial state ``(h, c)``, two arrays
``[n_layers, B, H]`` as PyTorch's ``hx``, and with ``return_state=True`` also
return the final state, which carries no gradient into the next call.
``loss_and_grad(..., window=L)`` does the same walk itself: it cuts the sequence
into windows of ``L`` steps, carries the state forward between windows and
back-propagates inside each window only.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numba import njit

from .errors import FSMError

LOSSES = ("mse", "softmax")


class LSTMError(FSMError):
    """Bad LSTM settings, input shapes, or a state dict that does not fit the model."""


def clip_grad_norm(grads: dict, max_norm: float) -> float:
    """Scale all gradients in place so that their global L2 norm is at most ``max_norm``.

    Same rule as ``torch.nn.utils.clip_grad_norm_``: the norm is taken over all
    gradients together, and they are multiplied by ``max_norm / (norm + 1e-6)``
    when that factor is below 1.

    Parameters
    ----------
    grads : dict of name -> array, modified in place.
    max_norm : the largest allowed global norm (> 0).

    Returns
    -------
    float, the global norm before clipping (may be inf or nan; then nothing is scaled).
    """
    if not max_norm > 0:
        raise LSTMError(f"max_norm must be > 0, got {max_norm!r}")
    total_norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))
    scale = max_norm / (total_norm + 1e-6)
    if scale < 1.0:
        for g in grads.values():
            g *= scale
    return total_norm


class LSTM:
    """A stack of LSTM layers with a linear head, trained by BPTT.

    Parameters
    ----------
    n_inputs, n_hidden, n_outputs : sizes of the input vectors, of each layer's
        hidden state ``H``, and of the head's output.
    n_layers : number of stacked LSTM layers (the head reads the top one).
    dtype : ``np.float32`` or ``np.float64``; weights and computations use it.
    random_state : seed of the initial weights.

    Attributes
    ----------
    params : dict of name -> array, the weights (PyTorch names, updated in place
        by an optimiser).

    Notes
    -----
    Initialisation follows PyTorch (every weight and bias ``U(-1/sqrt(H), 1/sqrt(H))``,
    the head too) except the forget gate: its slice of ``bias_ih`` is 1 and its
    slice of ``bias_hh`` is 0, so the total forget bias starts at 1 and the
    cell remembers by default (Gers et al. 2000; Jozefowicz et al. 2015).
    """

    def __init__(self, n_inputs, n_hidden, n_outputs, n_layers=1, random_state=0, *,
                 dtype=np.float32):
        for field, value in (("n_inputs", n_inputs), ("n_hidden", n_hidden),
                             ("n_outputs", n_outputs), ("n_layers", n_layers)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise LSTMError(f"{field} must be a positive integer, got {value!r}")
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise LSTMError(f"dtype must be float32 or float64, got {dtype!r}")
        self.n_inputs, self.n_hidden = int(n_inputs), int(n_hidden)
        self.n_outputs, self.n_layers = int(n_outputs), int(n_layers)
        self.dtype = np.dtype(dtype)
        H = self.n_hidden
        rng = np.random.default_rng(random_state)
        bound = 1.0 / np.sqrt(H)
        self.params: dict[str, np.ndarray] = {}
        for name, shape in self.param_shapes().items():
            self.params[name] = rng.uniform(-bound, bound, size=shape).astype(self.dtype)
        for layer in range(self.n_layers):
            self.params[f"bias_ih_l{layer}"][H:2 * H] = 1.0   # forget gate: total bias 1
            self.params[f"bias_hh_l{layer}"][H:2 * H] = 0.0
        # σ(z) = (1 + tanh(z/2)) / 2, so one tanh of the pre-activations scaled by
        # gate_scale gives tanh for g and, after _cell_forward's (1 + u) / 2, σ for i, f, o
        self._gate_scale = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], self.dtype), H)  # [4H]
        self._workspace: dict[str, np.ndarray] = {}   # scratch arrays, see _buffer

    # ------------------------------------------------------------------ weights
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Names and shapes of every weight, in PyTorch's order."""
        H = self.n_hidden
        shapes: dict[str, tuple[int, ...]] = {}
        for layer in range(self.n_layers):
            n_in = self.n_inputs if layer == 0 else H
            shapes[f"weight_ih_l{layer}"] = (4 * H, n_in)
            shapes[f"weight_hh_l{layer}"] = (4 * H, H)
            shapes[f"bias_ih_l{layer}"] = (4 * H,)
            shapes[f"bias_hh_l{layer}"] = (4 * H,)
        shapes["head.weight"] = (self.n_outputs, H)
        shapes["head.bias"] = (self.n_outputs,)
        return shapes

    @property
    def n_parameters(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of all weights, keyed by their PyTorch names."""
        return {name: p.copy() for name, p in self.params.items()}

    def load_state_dict(self, state: dict) -> None:
        """Replace all weights by those in ``state`` (cast to the model's dtype).

        Accepts the dict of a PyTorch ``nn.LSTM`` (plus ``head.weight``/``head.bias``)
        with every tensor converted by ``.numpy()``.

        Raises
        ------
        LSTMError
            if ``state`` is not a dict, a name is missing or unexpected, an entry is
            not an array of real numbers, its shape differs, or a value is NaN, inf or
            too large for the model's dtype.  The model is unchanged when it raises.
        """
        shapes = self.param_shapes()
        if not isinstance(state, Mapping):
            raise LSTMError(f"a state dict must be a dict of name -> array, got "
                            f"{type(state).__name__}")
        missing = [name for name in shapes if name not in state]
        unexpected = [name for name in state if name not in shapes]
        if missing or unexpected:
            raise LSTMError(
                f"state dict does not fit this LSTM: missing {missing}, unexpected "
                f"{unexpected}; it needs exactly the names of param_shapes() for "
                f"n_inputs={self.n_inputs}, n_hidden={self.n_hidden}, "
                f"n_outputs={self.n_outputs}, n_layers={self.n_layers}")
        loaded = {name: self._checked_entry(name, state[name], shape)
                  for name, shape in shapes.items()}
        for name, value in loaded.items():
            self.params[name][...] = value   # in place: an optimiser may hold references

    def _checked_entry(self, name, value, shape):
        """One state dict entry as a new array of the model's dtype, or LSTMError."""
        where = f"state dict entry {name!r}"
        if value is None:
            raise LSTMError(f"{where} is None; give an array of shape {shape}")
        try:
            array = np.asarray(value)
        except (TypeError, ValueError, OverflowError, RuntimeError) as error:
            raise LSTMError(f"{where} cannot be read as an array ({error}); give a NumPy "
                            "array (a PyTorch tensor converted by .detach().numpy())") from None
        if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer)
                                       or np.issubdtype(array.dtype, np.floating)):
            raise LSTMError(f"{where} holds {array.dtype} values; give an array of real "
                            "numbers (float or int)")
        if array.shape != shape:
            raise LSTMError(f"{where} has shape {array.shape}, expected {shape} for this LSTM")
        if not np.isfinite(array).all():
            raise LSTMError(f"{where} contains NaN or inf; load weights saved before the "
                            "training diverged")
        with np.errstate(over="ignore"):
            cast = array.astype(self.dtype)   # astype copies
        if not np.isfinite(cast).all():
            raise LSTMError(f"{where} has values beyond the {self.dtype} range (largest "
                            f"magnitude {np.abs(array).max():.3g}); use a float64 model "
                            "(dtype=np.float64) or smaller weights")
        return cast

    # ------------------------------------------------------------------ public passes
    def predict(self, x, h0=None, resets=None, return_state=False):
        """Head outputs for every step.

        Parameters
        ----------
        x : float array [T, B, n_inputs].
        h0 : initial state ``(h, c)``, each [n_layers, B, H], or None for zeros.
        resets : bool array [T, B] or None; True zeros that lane's state before the step.
        return_state : also return the final state ``(h, c)``.

        Returns
        -------
        outputs : array [T, B, n_outputs] (logits for a softmax loss);
            with ``return_state``, the pair ``(outputs, (h, c))``.
        """
        x, keep, state = self._check_inputs(x, resets, h0)
        outputs, _, final_state = self._forward(x, keep, state)
        return (outputs, final_state) if return_state else outputs

    def forward_trace(self, x, h0=None, resets=None) -> dict[str, np.ndarray]:
        """Per-step gate activations and states, for drawing.

        Returns
        -------
        dict with "i", "f", "g", "o", "c", "h": arrays [n_layers, T, B, H]
        (``trace["f"][l]`` is layer ``l``'s forget gate), and "outputs" [T, B, n_outputs].
        """
        x, keep, state = self._check_inputs(x, resets, h0)
        outputs, caches, _ = self._forward(x, keep, state)
        H = self.n_hidden
        trace = {gate: np.stack([cache["acts"][..., k * H:(k + 1) * H] for cache in caches])
                 for k, gate in enumerate("ifgo")}
        trace["c"] = np.stack([cache["cs"] for cache in caches])
        trace["h"] = np.stack([cache["hs"] for cache in caches])
        trace["outputs"] = outputs
        return trace

    def loss_and_grad(self, x, y, loss="mse", mask=None, resets=None, state=None,
                      window=None, return_state=False):
        """The loss of a batch of sequences and its gradient wrt every weight.

        Parameters
        ----------
        x : float array [T, B, n_inputs].
        y : for "mse", float array [T, B, n_outputs]; for "softmax", int array
            [T, B] of class indices.
        loss : "mse" (mean over all scored elements, as ``torch.nn.MSELoss``) or
            "softmax" (mean cross-entropy over scored steps, as
            ``torch.nn.CrossEntropyLoss``).
        mask : bool array [T, B] or None.  The mean is over the True steps only
            (for "mse", over their ``n_outputs`` values); with no True step the
            loss is 0 and every gradient is 0.
        resets : bool array [T, B] or None; True zeros that lane's state before
            the step, which also cuts the gradient there.
        state : initial state ``(h, c)``, each [n_layers, B, H], or None for zeros.
            It is a constant: no gradient flows into it.
        window : None for full BPTT, or truncated BPTT: the sequence is run in
            windows of ``window`` steps, the state carried forward between
            windows, and gradients back-propagated within each window only.  The
            loss is the same either way; the gradients agree when ``window >= T``.
        return_state : also return the final state ``(h, c)``.

        Returns
        -------
        (loss, grads) : float, and dict name -> gradient with the names and shapes
            of ``params``; with ``return_state``, ``(loss, grads, (h, c))``.
        """
        if loss not in LOSSES:
            raise LSTMError(f"loss must be one of {LOSSES}, got {loss!r}")
        x, keep, state = self._check_inputs(x, resets, state)
        T, B, _ = x.shape
        y = self._check_targets(y, loss, T, B)
        if mask is None:
            scored = np.ones((T, B), dtype=bool)   # [T, B]
        else:
            scored = np.asarray(mask, dtype=bool)
            if scored.shape != (T, B):
                raise LSTMError(f"mask must have shape {(T, B)}, got {scored.shape}")
        if window is None:
            window = T
        elif not isinstance(window, (int, np.integer)) or window < 1:
            raise LSTMError(f"window must be a positive integer or None, got {window!r}")
        # one denominator for the whole sequence, so windows add up to the full mean
        n_scored = max(int(scored.sum()), 1) * (self.n_outputs if loss == "mse" else 1)
        total_loss = 0.0
        grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        for start in range(0, T, window):
            steps = slice(start, start + window)
            outputs, caches, state = self._forward(
                x[steps], None if keep is None else keep[steps], state)
            loss_sum, d_outputs = _loss_and_output_grad(outputs, y[steps], loss,
                                                        scored[steps], n_scored)
            total_loss += loss_sum
            for name, g in self._backward(d_outputs, caches).items():
                grads[name] += g
        total_loss /= n_scored
        return (total_loss, grads, state) if return_state else (total_loss, grads)

    # ------------------------------------------------------------------ checks
    def _check_inputs(self, x, resets, state):
        """Validate and convert x [T, B, n_in], resets [T, B] and state; returns
        (x, keep [T, B, 1] or None, (h, c))."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 3 or x.shape[2] != self.n_inputs or x.shape[0] < 1 or x.shape[1] < 1:
            raise LSTMError(f"x must have shape [T, B, {self.n_inputs}] with T, B >= 1, "
                            f"got {x.shape}")
        T, B, _ = x.shape
        keep = None   # multiplier of the carried state: 0 at a reset, else 1
        if resets is not None:
            resets = np.asarray(resets, dtype=bool)
            if resets.shape != (T, B):
                raise LSTMError(f"resets must have shape {(T, B)}, got {resets.shape}")
            if resets.any():
                keep = (~resets).astype(self.dtype)[:, :, None]   # [T, B, 1]
        shape = (self.n_layers, B, self.n_hidden)
        if state is None:
            state = (np.zeros(shape, self.dtype), np.zeros(shape, self.dtype))
        else:
            if len(state) != 2:
                raise LSTMError("state must be a pair (h, c)")
            state = tuple(np.asarray(s, dtype=self.dtype) for s in state)
            if state[0].shape != shape or state[1].shape != shape:
                raise LSTMError(f"state (h, c) must be two arrays of shape {shape}, got "
                                f"{state[0].shape} and {state[1].shape}")
        return x, keep, state

    def _check_targets(self, y, loss, T, B):
        if loss == "mse":
            y = np.asarray(y, dtype=self.dtype)
            if y.shape != (T, B, self.n_outputs):
                raise LSTMError(f"mse targets y must have shape {(T, B, self.n_outputs)}, "
                                f"got {y.shape}")
            return y
        y = np.asarray(y)
        if y.shape != (T, B) or not np.issubdtype(y.dtype, np.integer):
            raise LSTMError(f"softmax targets y must be integers of shape {(T, B)}, got "
                            f"{y.dtype} {y.shape}")
        if y.size and (y.min() < 0 or y.max() >= self.n_outputs):
            raise LSTMError(f"softmax targets y must lie in 0..{self.n_outputs - 1}, got "
                            f"{y.min()}..{y.max()}")
        return y

    # ------------------------------------------------------------------ forward
    def _forward(self, x, keep, state):
        """All layers and the head.  x [T, B, n_in]; returns outputs [T, B, n_out],
        one cache per layer, and the final state (h, c) [n_layers, B, H]."""
        h0, c0 = state
        caches, layer_input = [], x
        for layer in range(self.n_layers):
            cache = self._layer_forward(layer, layer_input, keep, h0[layer], c0[layer])
            caches.append(cache)
            layer_input = cache["hs"]   # [T, B, H]
        outputs = layer_input @ self.params["head.weight"].T + self.params["head.bias"]  # [T, B, O]
        final_h = np.stack([cache["hs"][-1] for cache in caches])   # [n_layers, B, H]
        final_c = np.stack([cache["cs"][-1] for cache in caches])   # [n_layers, B, H]
        return outputs, caches, (final_h, final_c)

    def _layer_forward(self, layer, inputs, keep, h, c):
        """One layer over all steps.  inputs [T, B, n_in]; h, c [B, H] the state before step 0."""
        T, B, _ = inputs.shape
        H, scale = self.n_hidden, self._gate_scale
        # pre-activations come out already multiplied by gate_scale (σ via tanh, see __init__)
        # C order: OpenBLAS multiplies small matrices up to 2x faster this way than the transpose
        W_hh_T = np.ascontiguousarray(self.params[f"weight_hh_l{layer}"].T * scale)   # [H, 4H]
        bias = (self.params[f"bias_ih_l{layer}"] + self.params[f"bias_hh_l{layer}"]) * scale
        # the input part of every step at once; each row becomes that step's activations
        acts = self._buffer(f"acts{layer}", (T, B, 4 * H))
        np.matmul(_flat(inputs), self.params[f"weight_ih_l{layer}"].T * scale, out=_flat(acts))
        acts += bias
        cs = self._buffer(f"cs{layer}", (T, B, H))             # cell state after each step
        tanh_cs = self._buffer(f"tanh_cs{layer}", (T, B, H))   # tanh of it
        hs = self._buffer(f"hs{layer}", (T, B, H))             # hidden state: the layer's output
        recurrent = np.empty((B, 4 * H), self.dtype)           # W_hh h of one step
        h_start, c_start = h, c
        for t in range(T):
            if keep is not None:
                h, c = h * keep[t], c * keep[t]
            z = acts[t]                                  # [B, 4H] (scaled) pre-activations
            z += np.matmul(h, W_hh_T, out=recurrent)
            np.tanh(z, out=z)
            _cell_forward(z, c, cs[t])                   # z becomes σ(i), σ(f), tanh(g), σ(o)
            c = cs[t]                                    # f * c + i * g
            np.tanh(c, out=tanh_cs[t])
            h = np.multiply(z[:, 3 * H:], tanh_cs[t], out=hs[t])   # o * tanh(c)
        # for the backward pass: what each step read, [x, h_prev, 1] (the 1 multiplies the
        # bias), and its c_prev; h_prev and c_prev are the state the step started from
        n_in = inputs.shape[2]
        step_in = self._buffer(f"step_in{layer}", (T, B, n_in + H + 1))
        step_in[..., :n_in] = inputs
        h_prev = step_in[..., n_in:n_in + H]
        h_prev[0], h_prev[1:] = h_start, hs[:-1]
        step_in[..., -1] = 1
        c_prev = self._buffer(f"c_prev{layer}", (T, B, H))
        c_prev[0], c_prev[1:] = c_start, cs[:-1]
        if keep is not None:
            h_prev *= keep
            c_prev *= keep
        return {"keep": keep, "acts": acts, "cs": cs, "tanh_cs": tanh_cs, "hs": hs,
                "step_in": step_in, "c_prev": c_prev}

    # ------------------------------------------------------------------ backward
    def _backward(self, d_outputs, caches):
        """Gradients of the loss wrt every weight, given d_outputs [T, B, n_out]."""
        top_hs = caches[-1]["hs"]   # [T, B, H]
        grads = {"head.weight": _flat(d_outputs).T @ _flat(top_hs),   # [O, H]
                 "head.bias": d_outputs.sum(axis=(0, 1))}              # [O]
        d_hs = d_outputs @ self.params["head.weight"]   # [T, B, H] gradient wrt the top layer's h
        for layer in reversed(range(self.n_layers)):
            layer_grads, d_hs = self._layer_backward(layer, caches[layer], d_hs)
            grads.update(layer_grads)
        return {name: grads[name] for name in self.params}

    def _layer_backward(self, layer, cache, d_hs):
        """BPTT through one layer.  d_hs [T, B, H] is the gradient wrt its outputs from
        above; returns its weight gradients and the gradient wrt its inputs [T, B, n_in]
        (None for the first layer, whose inputs are data)."""
        acts, keep = cache["acts"], cache["keep"]
        T, B, _ = acts.shape
        H = self.n_hidden
        W_hh = self.params[f"weight_hh_l{layer}"]     # [4H, H]
        d_z = self._buffer("d_z", (T, B, 4 * H))     # gradient wrt pre-activations
        d_h_next = np.zeros((B, H), self.dtype)       # gradient wrt h arriving from step t+1
        d_c = np.zeros((B, H), self.dtype)            # gradient wrt c arriving from step t+1
        for t in reversed(range(T)):
            # d_z[t] from the gradients wrt h and c; d_c becomes the gradient wrt c_prev
            _cell_backward(d_hs[t], d_h_next, d_c, acts[t], cache["c_prev"][t],
                           cache["tanh_cs"][t], d_z[t])
            np.matmul(d_z[t], W_hh, out=d_h_next)      # gradient wrt h_prev
            if keep is not None:                        # a reset cuts the gradient
                d_h_next *= keep[t]
                d_c *= keep[t]
        # all weight gradients in one product over every step: d_z^T [x, h_prev, 1]
        d_weights = _flat(d_z).T @ _flat(cache["step_in"])   # [4H, n_in + H + 1]
        n_in = d_weights.shape[1] - H - 1
        grads = {f"weight_ih_l{layer}": d_weights[:, :n_in].copy(),        # [4H, n_in]
                 f"weight_hh_l{layer}": d_weights[:, n_in:n_in + H].copy(),  # [4H, H]
                 f"bias_ih_l{layer}": d_weights[:, -1].copy(),             # [4H]
                 f"bias_hh_l{layer}": d_weights[:, -1].copy()}
        d_inputs = d_z @ self.params[f"weight_ih_l{layer}"] if layer > 0 else None
        return grads, d_inputs

    def _buffer(self, name, shape):
        """A scratch array of ``shape`` kept between calls and overwritten by the caller.

        Fresh multi-megabyte arrays on every training step cost as much in page
        faults as the arithmetic itself, so the big per-step arrays live here.
        """
        size = int(np.prod(shape))
        flat = self._workspace.get(name)
        if flat is None or flat.size < size:
            flat = self._workspace[name] = np.empty(size, self.dtype)
        return flat[:size].reshape(shape)


# ---------------------------------------------------------------------------- cell kernels
# The element-wise part of one step, compiled: one pass over [B, H] instead of a dozen
# NumPy calls on small arrays, which cost more in call overhead than in arithmetic.
# Row b of acts (and of d_z) holds the four gates side by side: i, f, g, o, H each.

@njit(cache=True)
def _cell_forward(acts, c_prev, c):
    """acts [B, 4H] holds tanh of the scaled pre-activations: turns the i, f and o
    gates into σ = (1 + tanh(z/2)) / 2 in place (g is tanh(z) already) and writes
    the new cell state c = f * c_prev + i * g [B, H]."""
    B, H = c.shape
    half = c.dtype.type(0.5)
    for b in range(B):
        i, f, g, o = acts[b, :H], acts[b, H:2 * H], acts[b, 2 * H:3 * H], acts[b, 3 * H:]
        c_prev_b, c_b = c_prev[b], c[b]
        for j in range(H):
            i[j] = half + half * i[j]
            f[j] = half + half * f[j]
            o[j] = half + half * o[j]
            c_b[j] = f[j] * c_prev_b[j] + i[j] * g[j]


@njit(cache=True)
def _cell_backward(d_h_above, d_h_next, d_c, acts, c_prev, tanh_c, d_z):
    """One step back through the cell.  The gradient wrt h is d_h_above (from the
    outputs) + d_h_next (from step t+1); d_c [B, H] holds the gradient wrt c from
    step t+1 on entry and the gradient wrt c_prev on exit.  Writes the gradient wrt
    the pre-activations d_z [B, 4H], using σ' = σ(1 - σ) and tanh' = 1 - tanh²."""
    B, H = d_c.shape
    one = d_c.dtype.type(1)
    for b in range(B):
        i, f, g, o = acts[b, :H], acts[b, H:2 * H], acts[b, 2 * H:3 * H], acts[b, 3 * H:]
        d_i, d_f, d_g, d_o = d_z[b, :H], d_z[b, H:2 * H], d_z[b, 2 * H:3 * H], d_z[b, 3 * H:]
        d_h_above_b, d_h_next_b, d_c_b = d_h_above[b], d_h_next[b], d_c[b]
        c_prev_b, tanh_c_b = c_prev[b], tanh_c[b]
        for j in range(H):
            d_h = d_h_above_b[j] + d_h_next_b[j]
            d_c_total = d_c_b[j] + d_h * o[j] * (one - tanh_c_b[j] * tanh_c_b[j])  # h = o tanh(c)
            d_i[j] = d_c_total * g[j] * i[j] * (one - i[j])      # c = f * c_prev + i * g
            d_f[j] = d_c_total * c_prev_b[j] * f[j] * (one - f[j])
            d_g[j] = d_c_total * i[j] * (one - g[j] * g[j])
            d_o[j] = d_h * tanh_c_b[j] * o[j] * (one - o[j])
            d_c_b[j] = d_c_total * f[j]

def _flat(a):
    """[T, B, n] -> [T*B, n]."""
    return a.reshape(-1, a.shape[-1])


def _loss_and_output_grad(outputs, y, loss, scored, n_scored):
    """The loss summed over scored steps, and the gradient of ``that sum / n_scored``
    wrt the outputs.  outputs [T, B, O]; y [T, B, O] (mse) or [T, B] ints (softmax);
    scored [T, B] bool."""
    weight = scored.astype(outputs.dtype)[:, :, None]   # [T, B, 1]
    if loss == "mse":
        diff = (outputs - y) * weight                    # [T, B, O]
        return float(np.sum(diff * diff, dtype=np.float64)), (2.0 / n_scored) * diff
    shifted = outputs - outputs.max(axis=2, keepdims=True)     # [T, B, O]
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=2, keepdims=True)                   # [T, B, 1]
    target_logit = np.take_along_axis(shifted, y[:, :, None], axis=2)   # [T, B, 1]
    loss_sum = float(np.sum((np.log(sum_exp) - target_logit) * weight, dtype=np.float64))
    d_outputs = exp / sum_exp                                  # softmax, [T, B, O]
    np.put_along_axis(d_outputs, y[:, :, None],
                      np.take_along_axis(d_outputs, y[:, :, None], axis=2) - 1, axis=2)
    d_outputs *= weight / n_scored
    return loss_sum, d_outputs
