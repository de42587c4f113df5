"""The trained linear readout ``y_t = W f_t + b`` on top of machine features.

:class:`Readout` follows scikit-learn's conventions (hyper-parameters in the
constructor, ``fit`` returns self, learned ``coef_`` [K, F] and ``intercept_``
[K], ``predict`` / ``decision_function`` / ``score``) and adds ``partial_fit`` so
that :mod:`fsm_engine.training` can advance it one update at a time.

Per-step losses, for scores ``s_t = W f_t + b`` and sample weights ``w_t`` (default 1):

- ``"mse"``:     ``l_t = w_t * sum_k (s_tk - y_tk)**2``  (real targets [T] or [T, K]);
- ``"softmax"``: ``l_t = -w_t * log softmax(s_t)[y_t]``  (class targets, ints [T]).

Solvers, and the objective each one minimises (``l2`` never touches the bias):

- ``"gd"`` — the original question's rule, exactly: plain full-batch gradient
  descent on the SUM ``L = sum_t l_t + l2 * ||W||**2`` from small random initial
  weights and bias (``N(0, init_scale**2)``).  One update is
  ``W -= lr * dL/dW`` and ``b -= lr * dL/db`` with, for ``"mse"``,
  ``dL/dW = 2 * sum_t (s_t - y_t) f_t^T + 2 * l2 * W``.  Because ``L`` is a sum,
  ``lr`` is a step per unit of summed gradient: the largest stable ``lr`` shrinks
  as the number of steps and the feature scale grow (GD on the squared error
  converges only for ``lr < 1 / lambda_max(Xb^T Xb)``, ``Xb`` = X with a column
  of ones).  Nothing adapts it; divergence is reported, not prevented.
- ``"adam"`` — mini-batch Adam (:class:`fsm_engine.optim.Adam`) on the MEAN over
  each batch, ``L_B = (1/|B|) sum_{t in B} l_t + l2 * ||W||**2``; batches are
  drawn without replacement from a fresh permutation each epoch.
- ``"ridge"`` — the closed-form minimiser of the squared-error sum
  ``sum_t w_t ||W f_t + b - y_t||**2 + l2 * ||W||**2`` (with ``"softmax"`` loss
  the one-hot targets are regressed, ``predict`` takes the argmax, and the weights
  are then multiplied by one temperature, fitted on up to ``TEMPERATURE_ROWS``
  training rows, that makes the scores calibrated logits: the regressed scores of
  one-hot codes lie near [0, 1], whose softmax is near uniform — worse than the
  class frequencies in bits — and one scale changes no argmax).  Solved in
  float64 with a Cholesky factorisation (``scipy.linalg.cho_factor``): primal
  ``[F, F]`` when ``F <= T``, dual ``[T, T]`` otherwise.  ``l2 = 0`` (or a system
  that is not numerically positive definite) falls back to the minimum-norm
  least-squares solution (``scipy.linalg.lstsq``).  This is the best the features
  can do under squared error, the reference every GD run is judged against.

Features ``X`` may be a dense float array [T, F], a SciPy sparse matrix, or a
:class:`~fsm_engine.features.StateFeatures` (one-hot machine states, never
densified: products go through its ``matmul`` / ``rmatmul``; a ridge Gram matrix
through :func:`fsm_engine.kernels.onehot_gram` or its CSR form).  float32
features give float32 weights and float32 BLAS; other inputs are computed in float64.
"""
from __future__ import annotations

import weakref

import numpy as np
import scipy.linalg
import scipy.optimize
from scipy import sparse

from . import kernels
from .bank import check_bytes
from .errors import CapacityError, FSMError
from .features import StateFeatures
from .metrics import accuracy, log_softmax, r2_score
from .optim import Adam

LOSSES = ("mse", "softmax")
SOLVERS = ("gd", "adam", "ridge")
#: largest side of the dense matrix a ridge solve factorises (8 000² float64 = 512 MB)
MAX_RIDGE_SIZE = 8000
#: training rows (an even sample) the temperature of a softmax ridge solve is fitted on
TEMPERATURE_ROWS = 20_000


def as_features(X):
    """``X`` as something :class:`Readout` computes with.

    Returns a :class:`StateFeatures` unchanged, a CSR matrix (float32 kept, other
    dtypes as float64), or a 2-D float32 / float64 ndarray (no copy when ``X``
    already is one).

    Raises
    ------
    FSMError if ``X`` is not 2-D, or is complex or not numbers at all (its dtype is checked
    before anything is converted).
    """
    if isinstance(X, StateFeatures):
        return X
    if sparse.issparse(X):
        _check_real_dtype(X.dtype, "X")
        X = sparse.csr_matrix(X)
        return X if X.dtype in (np.float32, np.float64) else X.astype(np.float64)
    X = np.asarray(X)
    if X.ndim != 2:
        raise FSMError(f"X must be a 2-D [steps, features] array, got shape {list(X.shape)}")
    _check_real_dtype(X.dtype, "X")
    return X if X.dtype == np.float32 else X.astype(np.float64, copy=False)


def _check_real_dtype(dtype: np.dtype, what: str) -> None:
    """Refuse complex numbers (the imaginary part would be dropped) and non-numbers."""
    if dtype.kind == "c":
        raise FSMError(f"{what} holds complex numbers (dtype {dtype}); features and targets "
                       "must be real numbers — converting would silently drop the imaginary part")
    if dtype.kind not in "biuf":
        raise FSMError(f"{what} must hold numbers, got dtype {dtype}")


#: entries of a dense X checked for NaN / inf at once (bounds the temporary mask: 16 MB)
FINITE_CHECK_ENTRIES = 16_000_000
# id(X) -> weak reference to X, for feature arrays already found finite (see below)
_FINITE: dict[int, weakref.ref] = {}


def check_training_features(X, remember: bool = False) -> None:
    """Refuse features a readout cannot learn from, before any work: no rows, or a NaN or an
    infinity anywhere (named by row and column).  Dense arrays are checked a block of rows at
    a time, sparse matrices on their stored values; one-hot StateFeatures hold only 0 and 1.

    With ``remember`` (what :meth:`Readout.partial_fit` does) an array found finite is
    remembered (weakly) and not scanned again by the next ``remember`` call, so a training
    loop's one update at a time does not pay a full pass each time; an array changed in
    place in between is not re-checked then (a NaN shows as a non-finite loss, which the
    Trainer reports and recovers from).  :meth:`Readout.fit` always scans.

    Raises
    ------
    FSMError
    """
    n_samples = X.shape[0]
    if n_samples == 0:
        raise FSMError("X has no rows, so there is nothing to train on: give the readout at "
                       "least one time step of features (and its target)")
    if isinstance(X, StateFeatures):
        return
    known = _FINITE.get(id(X)) if remember else None
    if known is not None and known() is X:
        return
    _check_finite(X)
    if not remember:
        return
    key = id(X)
    _FINITE[key] = weakref.ref(X, lambda _: _FINITE.pop(key, None))


def _check_finite(X) -> None:
    if sparse.issparse(X):
        bad = np.flatnonzero(~np.isfinite(X.data))
        if bad.size:
            k = int(bad[0])
            row = int(np.searchsorted(X.indptr, k, side="right")) - 1
            _refuse_non_finite(float(X.data[k]), row, int(X.indices[k]))
        return
    rows = max(1, FINITE_CHECK_ENTRIES // max(1, X.shape[1]))
    for lo in range(0, X.shape[0], rows):
        block = X[lo:lo + rows]
        finite = np.isfinite(block)
        if not finite.all():
            row, column = (int(i) for i in np.argwhere(~finite)[0])
            _refuse_non_finite(float(block[row, column]), lo + row, column)


def _refuse_non_finite(value: float, row: int, column: int) -> None:
    raise FSMError(
        f"X holds {value} at row {row}, column {column}; features must be finite numbers — "
        "find where the NaN or infinity came from (a division by zero, an overflow, missing "
        "data) and fix or drop those rows")


def matmul(X, weights: np.ndarray) -> np.ndarray:
    """``X @ weights`` for ``weights`` [F, K] -> [T, K]."""
    return X.matmul(weights) if isinstance(X, StateFeatures) else np.asarray(X @ weights)


def rmatmul(X, grads: np.ndarray) -> np.ndarray:
    """``X.T @ grads`` for ``grads`` [T, K] -> [F, K]."""
    return X.rmatmul(grads) if isinstance(X, StateFeatures) else np.asarray(X.T @ grads)


def _loss_and_score_grad(loss: str, scores, targets, sample_weight):
    """Summed loss over the rows of ``scores`` [n, K] and its gradient w.r.t. the scores [n, K]."""
    if loss == "mse":
        residual = scores - targets                                         # [n, K]
        weighted = residual if sample_weight is None else residual * sample_weight[:, None]
        return float(np.sum(weighted * residual, dtype=np.float64)), 2 * weighted
    log_probs = log_softmax(scores)                                         # [n, K]
    rows = np.arange(len(targets))
    picked = log_probs[rows, targets]                                       # [n]
    grad = np.exp(log_probs)
    grad[rows, targets] -= 1
    if sample_weight is not None:
        picked = picked * sample_weight
        grad *= sample_weight[:, None]
    return -float(np.sum(picked, dtype=np.float64)), grad


class Readout:
    """A linear readout ``scores = X @ coef_.T + intercept_`` (see the module docstring).

    Parameters
    ----------
    loss : ``"mse"`` (real targets) or ``"softmax"`` (class targets, cross-entropy).
    solver : ``"gd"`` (full-batch GD on the summed loss), ``"adam"`` (mini-batch
        Adam on the mean loss) or ``"ridge"`` (closed form, squared error).
    lr : learning rate of ``"gd"`` and ``"adam"`` (> 0).
    l2 : weight of ``||W||**2`` in the objective (>= 0; the bias is not penalised).
    n_iter : passes over the data that :meth:`fit` makes (GD: steps; Adam: epochs).
    batch_size : rows per Adam update.
    init_scale : standard deviation of the random initial weights and bias.
    random_state : seed of the initial weights and of Adam's batch order.

    Attributes
    ----------
    coef_ : float array [K, F] (a transposed view of the [F, K] array trained).
    intercept_ : float array [K].
    loss_ : the objective of the last update, on the rows it saw, before its
        step (GD, Adam) or at the solution (ridge); may be non-finite.
    n_updates_ : updates made since the weights were initialised.
    """

    # set by fit / partial_fit (or the coef_ setter); absent or None before
    _weights: np.ndarray | None          # [F, K]
    _optimizer: Adam | None              # Adam's moments, from the first Adam step

    def __init__(self, loss="mse", solver="gd", lr=0.01, l2=0.0, n_iter=100, batch_size=256,
                 init_scale=0.01, random_state=0):
        if loss not in LOSSES:
            raise FSMError(f"loss must be one of {LOSSES}, got {loss!r}")
        if solver not in SOLVERS:
            raise FSMError(f"solver must be one of {SOLVERS}, got {solver!r}")
        if not (np.isfinite(lr) and lr > 0):
            raise FSMError(f"lr must be a finite number > 0, got {lr!r}")
        if not (np.isfinite(l2) and l2 >= 0):
            raise FSMError(f"l2 must be a finite number >= 0, got {l2!r}")
        if int(n_iter) < 1:
            raise FSMError(f"n_iter must be >= 1, got {n_iter!r}")
        if int(batch_size) < 1:
            raise FSMError(f"batch_size must be >= 1, got {batch_size!r}")
        if not (np.isfinite(init_scale) and init_scale >= 0):
            raise FSMError(f"init_scale must be a finite number >= 0, got {init_scale!r}")
        self.loss, self.solver = loss, solver
        self.lr, self.l2, self.init_scale = float(lr), float(l2), float(init_scale)
        self.n_iter, self.batch_size = int(n_iter), int(batch_size)
        self.random_state = random_state

    # ------------------------------------------------------------------ learned state
    @property
    def coef_(self) -> np.ndarray:
        return self._fitted_weights().T

    @coef_.setter
    def coef_(self, coef) -> None:
        """Set the weights [K, F]; the optimiser's moments start afresh."""
        self._weights = np.array(np.asarray(coef).T, order="C")             # [F, K]
        self._optimizer = None

    @property
    def intercept_(self) -> np.ndarray:
        self._fitted_weights()
        return self._intercept

    @intercept_.setter
    def intercept_(self, intercept) -> None:
        """Set the bias [K]; the optimiser's moments start afresh."""
        self._intercept = np.array(intercept)                               # [K]
        self._optimizer = None

    def _fitted_weights(self) -> np.ndarray:
        weights = getattr(self, "_weights", None)
        if weights is None:
            raise FSMError("this Readout has no weights yet: call fit or partial_fit first")
        return weights

    @property
    def n_outputs(self) -> int:
        """K: classes (softmax) or target columns (mse)."""
        return self._fitted_weights().shape[1]

    def set_rates(self, lr: float | None = None, l2: float | None = None) -> None:
        """Change the learning rate and/or the L2 penalty; the weights and Adam's moments stay."""
        if lr is not None:
            if not (np.isfinite(lr) and lr > 0):
                raise FSMError(f"lr must be a finite number > 0, got {lr!r}")
            self.lr = float(lr)
            if (optimizer := getattr(self, "_optimizer", None)) is not None:
                optimizer.lr = self.lr
        if l2 is not None:
            if not (np.isfinite(l2) and l2 >= 0):
                raise FSMError(f"l2 must be a finite number >= 0, got {l2!r}")
            self.l2 = float(l2)
            if (optimizer := getattr(self, "_optimizer", None)) is not None:
                optimizer.l2 = 2 * self.l2

    def updates_per_epoch(self, n_samples: int) -> int:
        """Updates that make one pass over ``n_samples`` rows (Adam: batches; else 1)."""
        return -(-int(n_samples) // self.batch_size) if self.solver == "adam" else 1

    # ------------------------------------------------------------------ training
    def fit(self, X, y, sample_weight=None, n_classes=None) -> Readout:
        """Initialise fresh weights and train for ``n_iter`` passes (ridge: one solve).

        Parameters
        ----------
        X : features [T, F]: dense array, SciPy sparse matrix or StateFeatures.
        y : targets: ints [T] of class codes (softmax) or floats [T] / [T, K] (mse).
        sample_weight : float array [T] of non-negative row weights, or None.
        n_classes : number of classes K (softmax; default ``y.max() + 1``).

        Returns
        -------
        self
        """
        X = as_features(X)
        check_training_features(X)            # before the current weights are dropped
        self._weights = None
        n_updates = self.n_iter * self.updates_per_epoch(X.shape[0])
        return self._update(X, y, n_updates, sample_weight, n_classes)

    def partial_fit(self, X, y, n_updates=1, sample_weight=None, n_classes=None) -> Readout:
        """Make ``n_updates`` updates from the current weights (initialising them if needed).

        One GD update is one full-batch step; one Adam update is one mini-batch;
        ridge solves once whatever ``n_updates >= 1`` is.  ``n_updates=0`` only
        initialises the weights.  A non-finite loss is recorded in ``loss_``, never
        raised (the Trainer decides what to do about it).

        Parameters and Returns: as :meth:`fit`.

        Raises
        ------
        FSMError on inconsistent shapes, bad targets or weights;
        CapacityError when a ridge solve would be too large.
        """
        if n_updates < 0:
            raise FSMError(f"n_updates must be >= 0, got {n_updates!r}")
        X = as_features(X)
        check_training_features(X, remember=True)
        return self._update(X, y, n_updates, sample_weight, n_classes)

    def _update(self, X, y, n_updates, sample_weight, n_classes) -> Readout:
        """:meth:`partial_fit` on features already checked by :func:`check_training_features`."""
        n_samples, n_features = X.shape
        targets = self._check_targets(y, n_samples, n_classes)
        sample_weight = self._check_sample_weight(sample_weight, n_samples)
        weights = getattr(self, "_weights", None)
        if weights is None:
            n_outputs = int(n_classes or targets.max(initial=-1) + 1) \
                if self.loss == "softmax" else targets.shape[1]
            self._initialise(n_features, n_outputs, X.dtype)
        elif weights.shape[0] != n_features:
            raise FSMError(f"X has {n_features} features, but this Readout was initialised "
                           f"with {weights.shape[0]}")
        if self.loss == "softmax" and targets.max(initial=-1) >= self.n_outputs:
            raise FSMError(f"class target {int(targets.max())} is out of range for "
                           f"{self.n_outputs} classes")
        if self.loss == "mse" and targets.shape[1] != self.n_outputs:
            raise FSMError(f"y has {targets.shape[1]} columns, but this Readout has "
                           f"{self.n_outputs} outputs")
        with np.errstate(all="ignore"):     # divergence shows up in loss_, not as warnings
            if self.solver == "ridge" and n_updates:
                self._ridge_solve(X, targets, sample_weight)
                self.n_updates_ += 1
            else:
                for _ in range(n_updates):
                    self._descend(X, targets, sample_weight)
                    self.n_updates_ += 1
        return self

    def _check_targets(self, y, n_samples, n_classes) -> np.ndarray:
        y = np.asarray(y)
        _check_real_dtype(y.dtype, "y")
        if y.shape[:1] != (n_samples,):
            raise FSMError(f"y must have one row per row of X ({n_samples}), "
                           f"got shape {list(y.shape)}")
        if self.loss == "softmax":
            if y.ndim != 1 or not (np.issubdtype(y.dtype, np.integer) or y.size == 0
                                   or np.array_equal(y, np.round(y))):
                raise FSMError("softmax targets must be a 1-D array of class codes 0..K-1, "
                               f"got dtype {y.dtype} and shape {list(y.shape)}")
            y = y.astype(np.int64)
            if y.size and y.min() < 0:
                raise FSMError(f"class targets must be >= 0, got {int(y.min())}")
            if n_classes is not None and y.size and y.max() >= n_classes:
                raise FSMError(f"class target {int(y.max())} is out of range for "
                               f"n_classes={n_classes}")
            return y                                                         # [n]
        if y.ndim not in (1, 2) or not np.all(np.isfinite(y)):
            raise FSMError("mse targets must be finite reals of shape [T] or [T, K], "
                           f"got shape {list(y.shape)}")
        if getattr(self, "_weights", None) is None:
            self._targets_1d = y.ndim == 1
        return y.reshape(n_samples, -1).astype(np.float64)                  # [n, K]

    @staticmethod
    def _check_sample_weight(sample_weight, n_samples):
        if sample_weight is None:
            return None
        sample_weight = np.asarray(sample_weight)
        _check_real_dtype(sample_weight.dtype, "sample_weight")
        sample_weight = sample_weight.astype(np.float64)
        if sample_weight.shape != (n_samples,) or not np.all(np.isfinite(sample_weight)) \
                or np.any(sample_weight < 0):
            raise FSMError(f"sample_weight must be {n_samples} finite numbers >= 0, "
                           f"got shape {list(sample_weight.shape)}")
        return sample_weight

    def _initialise(self, n_features: int, n_outputs: int, dtype) -> None:
        if n_outputs < 1:
            raise FSMError("cannot fit a readout without targets: y is empty")
        dtype = np.float32 if dtype == np.float32 else np.float64
        self._rng = np.random.default_rng(self.random_state)
        self._weights = (self.init_scale * self._rng.standard_normal((n_features, n_outputs))
                         ).astype(dtype)                                     # [F, K]
        self._intercept = (self.init_scale * self._rng.standard_normal(n_outputs)).astype(dtype)
        self._optimizer = None
        self._batch_order = np.zeros(0, dtype=np.int64)     # Adam's permutation of the rows
        self._batch_cursor = 0
        self.n_updates_ = 0
        self.loss_ = float("nan")

    def _penalty(self) -> float:
        if not self.l2:
            return 0.0
        weights = self._fitted_weights()
        return self.l2 * float(np.vdot(weights, weights))

    def _descend(self, X, targets, sample_weight) -> None:
        """One GD step (all rows, summed loss) or one Adam step (one batch, mean loss)."""
        if self.solver == "adam" and self.batch_size < X.shape[0]:
            rows = self._next_batch(X.shape[0])
            X, targets = X[rows], targets[rows]
            sample_weight = None if sample_weight is None else sample_weight[rows]
        weights = self._fitted_weights()                                   # [F, K], in place
        dtype = weights.dtype
        targets = targets if self.loss == "softmax" else targets.astype(dtype, copy=False)
        scores = matmul(X, weights)                                        # [n, K]
        scores += self._intercept
        sample_weight = None if sample_weight is None else sample_weight.astype(dtype)
        total, score_grad = _loss_and_score_grad(self.loss, scores, targets, sample_weight)
        if self.solver == "gd":
            self.loss_ = total + self._penalty()
            weight_grad = rmatmul(X, score_grad)                           # [F, K]
            if self.l2:
                weight_grad += (2 * self.l2) * weights
            weights -= self.lr * weight_grad
            self._intercept -= self.lr * score_grad.sum(axis=0)
            return
        scale = 1.0 / X.shape[0]
        self.loss_ = total * scale + self._penalty()
        score_grad *= dtype.type(scale)
        if self._optimizer is None:
            # Adam's l2 adds l2 * p to the gradient, i.e. the gradient of (l2/2) ||p||²
            self._optimizer = Adam(lr=self.lr, l2=2 * self.l2, no_decay=("intercept",))
        self._optimizer.step({"weights": weights, "intercept": self._intercept},
                             {"weights": rmatmul(X, score_grad),
                              "intercept": score_grad.sum(axis=0)})

    def _next_batch(self, n_samples: int) -> np.ndarray:
        """Row indices of the next mini-batch (sorted, for memory locality)."""
        if self._batch_cursor >= len(self._batch_order) or len(self._batch_order) != n_samples:
            self._batch_order = self._rng.permutation(n_samples)
            self._batch_cursor = 0
        rows = self._batch_order[self._batch_cursor:self._batch_cursor + self.batch_size]
        self._batch_cursor += self.batch_size
        return np.sort(rows)

    # ------------------------------------------------------------------ ridge
    def _ridge_solve(self, X, targets, sample_weight) -> None:
        n_samples, n_features = X.shape
        if min(n_samples, n_features) > MAX_RIDGE_SIZE:
            raise CapacityError(
                f"a ridge solve factorises a [{min(n_samples, n_features)}, "
                f"{min(n_samples, n_features)}] matrix (the smaller of {n_samples} steps and "
                f"{n_features} features), over the cap of {MAX_RIDGE_SIZE}; use fewer "
                "machines or training steps, or solver='adam'")
        if self.loss == "softmax":
            onehot = np.zeros((n_samples, self.n_outputs))                  # [n, K]
            onehot[np.arange(n_samples), targets] = 1.0
            targets = onehot
        dtype = self._fitted_weights().dtype
        weights, intercept = ridge_solution(X, targets, sample_weight, self.l2)
        self._weights = weights = weights.astype(dtype)
        self._intercept = intercept.astype(dtype)
        scores = matmul(X, weights) + self._intercept
        self.loss_ = _loss_and_score_grad("mse", scores.astype(np.float64), targets,
                                          sample_weight)[0] + self._penalty()
        if self.loss == "softmax":
            scale = softmax_temperature(scores, onehot.argmax(axis=1), sample_weight)
            self._weights *= dtype.type(scale)
            self._intercept *= dtype.type(scale)

    # ------------------------------------------------------------------ prediction
    def decision_function(self, X) -> np.ndarray:
        """Raw scores ``X @ coef_.T + intercept_``: [T, K] (logits for softmax)."""
        X = as_features(X)
        weights = self._fitted_weights()
        if X.shape[1] != weights.shape[0]:
            raise FSMError(f"X has {X.shape[1]} features, but this Readout has {weights.shape[0]}")
        with np.errstate(all="ignore"):
            scores = matmul(X, weights)                                    # [T, K]
            scores += self._intercept
        return scores

    def predict(self, X) -> np.ndarray:
        """Class codes [T] (softmax: argmax of the scores) or values [T] / [T, K] (mse)."""
        scores = self.decision_function(X)
        if self.loss == "softmax":
            return scores.argmax(axis=1)
        return scores[:, 0] if getattr(self, "_targets_1d", False) else scores

    def score(self, X, y) -> float:
        """Accuracy (softmax) or coefficient of determination R² (mse) on ``(X, y)``."""
        if self.loss == "softmax":
            return accuracy(self.predict(X), np.asarray(y))
        return r2_score(self.decision_function(X), y)


def softmax_temperature(scores: np.ndarray, classes: np.ndarray, sample_weight=None,
                        max_rows: int = TEMPERATURE_ROWS) -> float:
    """The factor ``c > 0`` that makes ``softmax(c * scores)`` the best probabilities of
    ``classes`` (least weighted cross-entropy) on an even sample of at most ``max_rows``
    rows: a one-dimensional problem, convex in ``c``, solved by bounded search over ``log c``."""
    rows = np.unique(np.linspace(0, scores.shape[0] - 1, min(max_rows, scores.shape[0]))
                     .astype(np.int64))
    sample = np.asarray(scores[rows], dtype=np.float64)                        # [n, K]
    truth = np.asarray(classes)[rows]
    weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)[rows]
    if weight is not None and not weight.sum() > 0:
        return 1.0

    def loss(log_scale: float) -> float:
        logp = log_softmax(np.exp(log_scale) * sample)
        picked = -logp[np.arange(truth.shape[0]), truth]
        return float(np.average(picked, weights=weight))

    found = scipy.optimize.minimize_scalar(loss, bounds=(-5.0, 8.0), method="bounded",
                                           options={"xatol": 1e-3})
    return float(np.exp(found.x)) if np.isfinite(found.fun) else 1.0


def largest_gram_eigenvalue(X, n_iter: int = 30, random_state=0) -> float:
    """An estimate of λ_max(Xbᵀ Xb), ``Xb`` = ``X`` with a column of ones appended.

    Power iteration from a random start; never densifies ``X`` (dense, sparse or
    StateFeatures).  The estimate approaches λ_max from below.
    """
    X = as_features(X)
    n_samples, n_features = X.shape
    rng = np.random.default_rng(random_state)
    vector = rng.standard_normal(n_features + 1)                        # [F + 1]
    estimate = 0.0
    for _ in range(int(n_iter)):
        vector /= np.linalg.norm(vector)
        image = matmul(X, vector[:-1, None].astype(X.dtype))[:, 0] + vector[-1]   # [T]
        back = np.empty(n_features + 1)
        # image is float64 (the bias entry); cast back, or float32 X is copied to float64
        back[:-1] = rmatmul(X, image[:, None].astype(X.dtype, copy=False))[:, 0]
        back[-1] = image.sum()
        estimate = float(vector @ back)
        vector = back
        if not np.any(vector):
            break
    return estimate


def safe_learning_rate(X, loss: str = "mse", l2: float = 0.0, n_iter: int = 30,
                       random_state=0) -> float:
    """A learning rate with which ``solver="gd"`` cannot diverge on the features ``X``.

    Plain GD on the summed squared error ``L = Σ ||W f_t + b - y_t||² + l2 ||W||²``
    multiplies the error in each eigen-direction of ``H = Xbᵀ Xb + l2 I`` by
    ``1 - 2 lr λ`` per step, so it converges for ``lr < 1 / λ_max`` and diverges
    beyond.  This returns ``0.5 / (1.1 λ̂ + l2)`` with ``λ̂`` from
    :func:`largest_gram_eigenvalue`: half the limit (the step that removes the
    error along the top direction in one update), with a 10 % margin for the power
    iteration's underestimate.  Softmax cross-entropy has curvature at most half
    of the squared error's (the softmax Jacobian's eigenvalues are at most ½), so
    the same step is safe for it too.

    Raises FSMError when ``X`` has no rows.
    """
    X = as_features(X)
    if X.shape[0] == 0:
        raise FSMError("there are no training steps to compute a learning rate from")
    if loss not in LOSSES:
        raise FSMError(f"loss must be one of {LOSSES}, got {loss!r}")
    top = largest_gram_eigenvalue(X, n_iter=n_iter, random_state=random_state)
    return 0.5 / (1.1 * max(top, 1e-12) + float(l2))


def _weighted_gram(X, sample_weight) -> np.ndarray:
    """``X.T @ diag(sample_weight) @ X`` (``X.T @ X`` when None) as a dense float64 [F, F]."""
    if isinstance(X, StateFeatures):
        weight = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        gram = np.empty((X.shape[1], X.shape[1]))                           # [F, F]
        kernels.onehot_gram(X.states, X.offsets, weight, gram)
        return gram
    if sample_weight is not None:
        root = np.sqrt(sample_weight)
        X = sparse.diags(root) @ X if sparse.issparse(X) else X * root[:, None]
    product = X.T @ X
    return product.toarray() if sparse.issparse(product) else product


def _outer_gram(X) -> np.ndarray:
    """``X @ X.T`` as a dense float64 [T, T] matrix."""
    if isinstance(X, StateFeatures):
        X = X.tocsr().astype(np.float64)
    product = X @ X.T
    return product.toarray() if sparse.issparse(product) else product


def _solve_regularised(build_matrix, rhs: np.ndarray, l2: float) -> np.ndarray:
    """Solve ``(A + l2 I) x = rhs`` for the symmetric PSD ``A = build_matrix()``.

    Cholesky when ``l2 > 0``; the minimum-norm least-squares solution when
    ``l2 == 0`` or when the factorisation finds the matrix not positive definite.
    """
    matrix = build_matrix()
    diagonal = np.diag_indices_from(matrix)
    if l2 > 0:
        matrix[diagonal] += l2
        try:
            factor = scipy.linalg.cho_factor(matrix, overwrite_a=True)
            return scipy.linalg.cho_solve(factor, rhs)
        except scipy.linalg.LinAlgError:
            matrix = build_matrix()     # the failed factorisation overwrote it
            matrix[diagonal] += l2
    return scipy.linalg.lstsq(matrix, rhs)[0]


def ridge_solution(X, targets: np.ndarray, sample_weight, l2: float):
    """Weights and bias minimising ``sum_t w_t ||W f_t + b - y_t||² + l2 ||W||²``.

    The bias is handled by centring (weighted means), so it is not penalised;
    centring is done algebraically on the Gram matrix, so sparse and one-hot
    features stay sparse.  Primal ``[F, F]`` system when ``F <= T``, dual
    ``[T, T]`` otherwise; all in float64.

    Parameters
    ----------
    X : features [T, F] (as :func:`as_features` returns).
    targets : float array [T, K].
    sample_weight : float array [T] or None.
    l2 : ridge penalty >= 0.

    Returns
    -------
    (weights [F, K], intercept [K]) float64.
    """
    n_samples, n_features = X.shape
    if isinstance(X, np.ndarray):
        check_bytes(X.size * 8, "the float64 copy of the features a ridge solve makes")
        X = X.astype(np.float64)
    elif sparse.issparse(X):
        X = X.astype(np.float64)
    weight = np.ones(n_samples) if sample_weight is None else sample_weight   # [T]
    total = weight.sum()
    if not total > 0:
        raise FSMError("ridge needs at least one row with a positive sample_weight")
    targets = np.asarray(targets, dtype=np.float64)
    target_mean = weight @ targets / total                                 # [K]
    centred = targets - target_mean                                        # [T, K]
    feature_mean = rmatmul(X, weight[:, None])[:, 0] / total              # [F]
    if n_features <= n_samples:     # primal: (Xc^T D Xc + l2 I) W = Xc^T D Yc
        def build_matrix():
            return _weighted_gram(X, sample_weight) - total * np.outer(feature_mean, feature_mean)
        weights = _solve_regularised(build_matrix, rmatmul(X, weight[:, None] * centred), l2)
    else:   # dual on Z = D^½ (X - 1 mean^T): W = Z^T (Z Z^T + l2 I)^-1 D^½ Yc
        root = np.sqrt(weight)

        def build_matrix():
            kernel = _outer_gram(X)                                        # [T, T]
            kernel_w = kernel @ weight / total                             # [T]
            kernel -= kernel_w[None, :]
            kernel -= kernel_w[:, None]
            kernel += (weight @ kernel_w) / total
            return root[:, None] * kernel * root[None, :]
        alpha = _solve_regularised(build_matrix, root[:, None] * centred, l2)   # [T, K]
        coefficients = root[:, None] * alpha
        coefficients -= weight[:, None] * (coefficients.sum(axis=0) / total)
        weights = rmatmul(X, coefficients)                                # [F, K]
    return weights, target_mean - feature_mean @ weights
