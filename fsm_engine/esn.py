"""The echo state network: N continuous tanh units with fixed random weights (reservoir computing).

It is the continuous cousin of the question's model: a fixed random dynamical
system whose states a trained linear readout combines.  One step, with ``a`` the
leak::

    x_t = (1 - a) * x_{t-1} + a * tanh(W_in u_t + W x_{t-1} + bias)

``x`` is 0 before the first step and is set to 0 again before every step whose
reset flag is True.

The weights come from one ``np.random.default_rng(random_state)``, drawn in this order:

- ``W`` [N, N], a SciPy CSR matrix: every unit reads ``m = round(density * N)``
  distinct units chosen uniformly at random (a fixed in-degree, so the realised
  density is ``m / N``), with weights uniform in [-1, 1]; the matrix is then
  scaled so its spectral radius (largest |eigenvalue|) is ``spectral_radius``.
  The radius is computed with dense ``numpy.linalg.eigvals`` for N <= 200 and
  with ARPACK (``scipy.sparse.linalg.eigs``) above, asking for the 8
  eigenvalues of largest modulus: the eigenvalues of a random matrix fill a disc,
  and asking ARPACK for the single largest one converged to a smaller eigenvalue
  in 3 of 5 trials (0.4-1.9 % too small).  With one connection per unit (m = 1)
  the radius is computed exactly from the cycles the connections form, where
  ARPACK converges slowly or not at all.  When ``m`` rounds to 0 (density below
  ``0.5 / N``) ``W`` has no nonzeros: its radius is 0, it cannot be scaled and is
  left as it is, so the units see only the current input.
- ``W_in`` [N, n_inputs] uniform in ±input_scaling;
- ``bias`` [N] uniform in ±bias_scaling.

Numbers are float32 at run time (``W``, ``W_in``, ``bias`` and the states; the
radius is computed and the scaling done in float64 before the cast).  A step is
one SciPy CSR product ``W @ x`` and NumPy's vectorised ``tanh``, in a Python loop
over time, on one thread.  Measured on this project's 2-core machine (see
``bench/esn.py``): the same loop with a numba CSR product took 1.06-1.18x the CPU
time at N = 500 to 10 000 (wall-clock 0.8-1.6x, the machine being shared), a
numba loop fused with ``tanh`` 2-3x (numba's scalar ``tanh`` costs about 11 ns a
unit, NumPy's vectorised one 0.3 ns), and float64 1.2-2.2x (12 bytes per nonzero
instead of 8, and NumPy's float64 ``tanh`` is 4x slower than its float32 one).
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import ArpackNoConvergence, eigs

from .bank import DEFAULT_MAX_BYTES, check_bytes
from .blas import one_thread
from .errors import FSMError, InvalidSymbolError

#: largest N whose spectral radius is computed with dense eigvals (one thread: about 30 ms)
DENSE_EIGVALS_MAX_UNITS = 200
#: eigenvalues ARPACK computes, and its Arnoldi basis size (see the module docstring)
ARPACK_EIGENVALUES, ARPACK_BASIS = 8, 60
#: random keys drawn at a time while choosing W's columns (4 MB of float32)
KEY_CHUNK = 1 << 20
#: what a capacity message advises
ESN_ADVICE = "use fewer units, a lower density or a shorter input"


class ESNError(FSMError):
    """Bad echo state network settings or inputs."""


def _number(name: str, value, rule: str) -> float:
    """``value`` as a float, or ESNError saying ``rule`` when it is not a finite real number."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ESNError(f"{name} must be {rule}, got {value!r}")
    try:                  # any Real (a Fraction too); an int past the float range is not finite
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ESNError(f"{name} must be {rule}, got {value!r}")
    return number


def _whole(name: str, value) -> int:
    """``value`` as an int, or ESNError when it is not a whole number >= 1."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < 1:
        raise ESNError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


class EchoStateNetwork:
    """An echo state network: fixed random recurrent tanh units whose states feed a readout.

    Parameters
    ----------
    n_inputs : size of each input vector ``u_t`` (the alphabet size for symbol tasks).
    n_units : number of units N.
    spectral_radius : largest |eigenvalue| of ``W`` (>= 0); near 1 the units
        remember longer, above 1 the dynamics may turn chaotic.
    leak : leak rate ``a`` in (0, 1]; 1 replaces the state each step, smaller
        values make slower units.
    input_scaling : ``W_in`` is uniform in ±input_scaling (>= 0).
    density : fraction of nonzero recurrent weights, in (0, 1].
    bias_scaling : ``bias`` is uniform in ±bias_scaling (>= 0).
    random_state : seed of :func:`numpy.random.default_rng` (a whole number >= 0 or None).
    max_bytes : cap on the memory building the weights or one run may take.

    Attributes
    ----------
    W : scipy.sparse.csr_matrix [N, N] float32, the recurrent weights.
    W_in : float32 array [N, n_inputs], the input weights.
    bias : float32 array [N].
    leak : float.
    feature_kinds : ``("state",)``, what :meth:`features` can compute.

    All arrays are read-only: the network is fixed once built.

    Raises
    ------
    ESNError for a bad setting, CapacityError (before anything is allocated)
    when the weights would not fit under ``max_bytes``.
    """

    feature_kinds = ("state",)

    def __init__(self, n_inputs, n_units, spectral_radius=0.9, leak=1.0, input_scaling=1.0,
                 density=0.1, bias_scaling=0.0, random_state=0, *,
                 max_bytes: int = DEFAULT_MAX_BYTES):
        self.n_inputs = _whole("n_inputs", n_inputs)
        self.n_units = _whole("n_units", n_units)
        self.spectral_radius = _number("spectral_radius", spectral_radius,
                                       "a finite number >= 0 (the largest |eigenvalue| of W)")
        self.leak = _number("leak", leak, "a number in (0, 1] (1 replaces the state each step)")
        self.input_scaling = _number("input_scaling", input_scaling, "a finite number >= 0")
        self.density = _number("density", density,
                               "a number in (0, 1] (the fraction of nonzero recurrent weights)")
        self.bias_scaling = _number("bias_scaling", bias_scaling, "a finite number >= 0")
        self.max_bytes = _whole("max_bytes", max_bytes)
        if self.spectral_radius < 0:
            raise ESNError(f"spectral_radius must be >= 0 (the largest |eigenvalue| of W), "
                           f"got {spectral_radius!r}")
        if not 0 < self.leak <= 1:
            raise ESNError(f"leak must be in (0, 1] (1 replaces the state each step, 0 would "
                           f"freeze it), got {leak!r}")
        if not 0 < self.density <= 1:
            raise ESNError(f"density must be in (0, 1] (the fraction of nonzero recurrent "
                           f"weights), got {density!r}")
        for name, value in (("input_scaling", self.input_scaling),
                            ("bias_scaling", self.bias_scaling)):
            if value < 0:
                raise ESNError(f"{name} must be >= 0 (weights are uniform in ±{name}), "
                               f"got {value!r}")
        try:
            rng = np.random.default_rng(random_state)
        except (TypeError, ValueError) as err:
            raise ESNError(f"random_state must be a whole number >= 0 or None, "
                           f"got {random_state!r}") from err
        self.random_state = random_state
        n, per_row = self.n_units, int(round(self.density * self.n_units))
        check_bytes(self._build_bytes(per_row), f"the echo state network's weights (W has "
                    f"{n} x {per_row} = {n * per_row:,} nonzeros)", self.max_bytes, ESN_ADVICE)

        W = self._random_recurrent(rng, per_row)                          # [N, N] float64
        input_rows = rng.uniform(-self.input_scaling, self.input_scaling,
                                 size=(self.n_inputs, n)).astype(np.float32)  # [n_inputs, N]
        self.bias = rng.uniform(-self.bias_scaling, self.bias_scaling,
                                size=n).astype(np.float32)                # [N]
        radius = _spectral_radius(W, rng)
        if radius > 0:
            W.data *= self.spectral_radius / radius
        self.W = sparse.csr_matrix((W.data.astype(np.float32), W.indices, W.indptr),
                                   shape=(n, n))                          # [N, N] float32
        self.W.has_canonical_format = True    # sorted, no duplicates: scipy never rewrites it
        # [N, n_inputs], stored transposed: the row of each input is contiguous for the drive
        self.W_in = input_rows.T
        self._zero = np.zeros(n, dtype=np.float32)                        # [N], x before step 0
        for array in (self.W.data, self.W.indices, self.W.indptr, self.W_in, self.bias,
                      self._zero):
            array.flags.writeable = False

    # ------------------------------------------------------------------ construction
    def _build_bytes(self, per_row: int) -> int:
        """Peak bytes of building the weights with ``per_row`` nonzeros in each row of W."""
        n, nnz = self.n_units, self.n_units * per_row
        index_bytes = np.dtype(_index_dtype(nnz)).itemsize
        total = nnz * (8 + index_bytes + 4)         # float64 values, indices, float32 copy
        if per_row * per_row <= n:
            total += nnz * 16                       # column draws with repeats, sorted
        else:
            total += min(max(KEY_CHUNK, n), n * n) * 16  # a chunk of random keys and their ranks
        total += self.n_inputs * n * 12 + n * 12    # W_in and bias, drawn in float64
        if n <= DENSE_EIGVALS_MAX_UNITS:
            total += 2 * n * n * 8                  # the dense copy of W and LAPACK's copy
        else:
            total += 4 * ARPACK_BASIS * n * 8       # ARPACK's basis and work vectors
        return total

    def _random_recurrent(self, rng: np.random.Generator, per_row: int) -> sparse.csr_matrix:
        """W before scaling: ``per_row`` distinct random columns in each row, weights U[-1, 1]."""
        n = self.n_units
        index_dtype = _index_dtype(n * per_row)
        columns = np.empty((n, per_row), dtype=index_dtype)              # [N, m]
        if 0 < per_row * per_row <= n:
            # draw with repeats and draw again every row that has one; with m² <= N a row
            # repeats with probability about 1 - exp(-m² / 2N) <= 0.4, so few rounds do
            redo = np.arange(n)                                           # rows to draw
            while redo.size:
                draws = np.sort(rng.integers(0, n, size=(redo.size, per_row)), axis=1)
                columns[redo] = draws
                redo = redo[(np.diff(draws, axis=1) == 0).any(axis=1)]
        elif per_row:
            # the m columns with the smallest of N random keys: a uniform choice without repeats
            rows_per_chunk = max(1, KEY_CHUNK // n)
            for lo in range(0, n, rows_per_chunk):
                keys = rng.random((min(rows_per_chunk, n - lo), n), dtype=np.float32)  # [rows, N]
                chosen = np.argpartition(keys, per_row - 1, axis=1)[:, :per_row]
                chosen.sort(axis=1)
                columns[lo:lo + rows_per_chunk] = chosen
        data = rng.uniform(-1.0, 1.0, size=n * per_row)                   # [nnz] float64
        indptr = np.arange(n + 1, dtype=index_dtype) * per_row          # [N + 1]
        return sparse.csr_matrix((data, columns.ravel(), indptr), shape=(n, n))

    # ------------------------------------------------------------------ sizes
    def n_features(self, kind: str = "state") -> int:
        """Width of :meth:`features`: N."""
        self._check_kind(kind)
        return self.n_units

    def memory_estimate(self, n_steps: int, kind: str = "state") -> int:
        """Bytes of the float32 [T, N] states that a run of ``n_steps`` steps returns."""
        self._check_kind(kind)
        return int(n_steps) * self.n_units * 4

    def _check_kind(self, kind: str) -> None:
        if kind not in self.feature_kinds:
            raise ESNError(f"an echo state network's features must be one of "
                           f"{list(self.feature_kinds)}, got {kind!r}")

    # ------------------------------------------------------------------ running
    def run(self, u, resets=None) -> np.ndarray:
        """States after each input: float32 [T, N].

        Parameters
        ----------
        u : real array [T, n_inputs], the input vectors (one-hot for symbol tasks).
        resets : bool array [T] or None; at a True step the state is set to 0
            before that step is computed.

        Raises
        ------
        ESNError for a badly shaped or non-finite ``u`` or badly shaped ``resets``;
        CapacityError (before the states are allocated) when they would exceed ``max_bytes``.
        """
        u = np.asarray(u)
        if u.ndim != 2 or u.shape[1] != self.n_inputs:
            raise ESNError(f"u must be a [steps, {self.n_inputs}] array (one input vector per "
                           f"step), got shape {list(u.shape)}")
        if u.dtype.kind not in "biuf":           # bool, signed, unsigned, floating
            raise ESNError(f"u must hold real numbers, got dtype {u.dtype}")
        copy_bytes = 0 if u.dtype == np.float32 and u.flags.c_contiguous else u.size * 4
        check_bytes(self.memory_estimate(u.shape[0]) + copy_bytes,
                    "the echo state network's states", self.max_bytes, ESN_ADVICE)
        resets = self._checked_resets(resets, u.shape[0])
        with np.errstate(over="ignore"):         # too large for float32 -> inf, refused below
            u32 = np.ascontiguousarray(u, dtype=np.float32)               # [T, n_inputs]
        if not np.isfinite(u32).all():
            t, i = (int(k) for k in np.argwhere(~np.isfinite(u32))[0])
            raise ESNError(f"u[{t}, {i}] is {u[t, i].item()!r}; inputs must be finite numbers "
                           f"within float32's range (|u| < 3.4e38)")
        states = np.empty((u.shape[0], self.n_units), dtype=np.float32)   # [T, N]
        np.matmul(u32, self.W_in.T, out=states)
        return self._recur(states, resets)

    def features(self, kind: str, inputs, resets=None) -> np.ndarray:
        """States for a stream of symbol codes: ``run(one_hot(inputs), resets)``, float32 [T, N].

        Parameters
        ----------
        kind : ``"state"`` (the only kind; the feature-source protocol of the readout).
        inputs : int array [T] of symbol codes ``0 .. n_inputs-1``.
        resets : bool array [T] or None, as in :meth:`run`.

        The one-hot matrix is never built: ``W_in @ one_hot(c)`` is column ``c``
        of ``W_in``, gathered straight into the states (the same numbers).
        """
        self._check_kind(kind)
        inputs = np.asarray(inputs)
        if inputs.ndim != 1:
            raise InvalidSymbolError(f"inputs must be a 1-D sequence of symbol codes, "
                                     f"got shape {list(inputs.shape)}")
        if inputs.size and not np.issubdtype(inputs.dtype, np.integer):
            raise InvalidSymbolError(f"inputs must be integer symbol codes, got dtype "
                                     f"{inputs.dtype}")
        check_bytes(self.memory_estimate(inputs.shape[0]), "the echo state network's states",
                    self.max_bytes, ESN_ADVICE)
        resets = self._checked_resets(resets, inputs.shape[0])
        outside = (inputs < 0) | (inputs >= self.n_inputs)
        if outside.any():
            bad = int(np.flatnonzero(outside)[0])
            raise InvalidSymbolError(
                f"input at position {bad} is {int(inputs[bad])}, but the network has "
                f"{self.n_inputs} inputs (symbol codes 0..{self.n_inputs - 1})")
        codes = inputs.astype(np.intp)                                    # [T]
        states = np.empty((codes.shape[0], self.n_units), dtype=np.float32)   # [T, N]
        # mode="clip" (codes are checked above) lets take write into states without a buffer
        np.take(self.W_in.T, codes, axis=0, out=states, mode="clip")
        return self._recur(states, resets)

    def _checked_resets(self, resets, n_steps: int) -> np.ndarray | None:
        """``resets`` as a bool array [T], or None (no resets)."""
        if resets is None:
            return None
        resets = np.asarray(resets)
        if resets.shape != (n_steps,):
            raise ESNError(f"resets must have one flag per step ({n_steps}), "
                           f"got shape {list(resets.shape)}")
        return resets.astype(np.bool_, copy=False)

    def _recur(self, states: np.ndarray, resets: np.ndarray | None) -> np.ndarray:
        """Turn ``states`` [T, N], holding the drive ``W_in u_t``, into the states, in place."""
        states += self.bias
        keep = 1.0 - self.leak
        x = self._zero                                                    # [N], x_{t-1}
        for t in range(states.shape[0]):
            if resets is not None and resets[t]:
                x = self._zero
            row = states[t]
            row += self.W @ x
            np.tanh(row, out=row)
            if keep:
                row *= self.leak
                row += keep * x
            x = row
        return states

    def __repr__(self) -> str:
        return (f"EchoStateNetwork({self.n_units} units, {self.n_inputs} inputs, spectral radius "
                f"{self.spectral_radius:g}, leak {self.leak:g}, density {self.density:g})")


def _index_dtype(nnz: int):
    """CSR index dtype for ``nnz`` nonzeros: int32 when it can count them."""
    return np.int32 if nnz < np.iinfo(np.int32).max else np.int64


def _spectral_radius(W: sparse.csr_matrix, rng: np.random.Generator) -> float:
    """Largest |eigenvalue| of the float64 matrix ``W`` [N, N] (0 when it has no nonzeros)."""
    n = W.shape[0]
    if W.nnz == 0:
        return 0.0
    if W.nnz == n:
        return _one_per_row_radius(W.indices, W.data)
    with one_thread():
        if n <= DENSE_EIGVALS_MAX_UNITS:
            return float(np.abs(np.linalg.eigvals(W.toarray())).max())
        start = rng.uniform(-1.0, 1.0, size=n)                            # [N], ARPACK's v0
        try:
            values = eigs(W, k=ARPACK_EIGENVALUES, ncv=ARPACK_BASIS, which="LM", tol=1e-8,
                          v0=start, return_eigenvectors=False)
        except ArpackNoConvergence as err:
            raise ESNError("could not compute the spectral radius of W (ARPACK did not "
                           "converge); try another random_state or density") from err
    return float(np.abs(values).max())


def _one_per_row_radius(columns: np.ndarray, weights: np.ndarray) -> float:
    """Spectral radius of a matrix whose row ``i`` holds only ``weights[i]`` at ``columns[i]``.

    Unit ``i`` reads unit ``columns[i]`` alone, so the units form chains that end
    in cycles.  Only a cycle contributes nonzero eigenvalues: the L-th roots of
    the product of its L weights, all of modulus ``|product| ** (1 / L)``.  Computed
    exactly here, because ARPACK converges slowly or not at all on those rings of
    equal-modulus eigenvalues (measured: over 2 minutes for N = 2000).
    """
    columns = columns.tolist()
    magnitudes = np.abs(weights).tolist()
    seen = [0] * len(columns)      # 0 not yet visited, 1 on the current walk, 2 finished
    radius = 0.0
    for first in range(len(columns)):
        walk, unit = [], first
        while seen[unit] == 0:
            seen[unit] = 1
            walk.append(unit)
            unit = columns[unit]
        if seen[unit] == 1:        # the walk closed a new cycle at ``unit``
            cycle = [magnitudes[i] for i in walk[walk.index(unit):]]
            if min(cycle) > 0:
                radius = max(radius, math.exp(sum(map(math.log, cycle)) / len(cycle)))
        for i in walk:
            seen[i] = 2
    return radius
