"""One-hot state features without a dense matrix.

A bank of N machines with S_n states each has one-hot state features of width
``F = sum_n S_n``; at step t exactly N of them are 1.  :class:`StateFeatures`
keeps only the state indices [T, N] and the column offset of each machine, and
implements the two products a readout needs (``X @ W`` and ``X.T @ G``) with the
kernels in :mod:`fsm_engine.kernels`.  It behaves enough like a matrix
(``shape``, row slicing, ``toarray``, ``tocsr``) for readouts to accept it
wherever they accept a dense ``[T, F]`` array.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

from . import kernels
from .errors import InvalidStateError


def state_offsets(n_states: np.ndarray) -> np.ndarray:
    """First one-hot column of each machine's block: ``[0, S_0, S_0+S_1, ...]`` [N]."""
    n_states = np.asarray(n_states, dtype=np.int64)
    return np.concatenate(([0], np.cumsum(n_states)[:-1]))


class StateFeatures:
    """One-hot features of machine states.

    Parameters
    ----------
    states : unsigned int array [T, N], the state of each machine after each step.
    n_states : int array [N], how many states each machine has (its block width).
    """

    def __init__(self, states: np.ndarray, n_states: np.ndarray):
        states = np.ascontiguousarray(states)
        n_states = np.asarray(n_states, dtype=np.int64)
        if states.ndim != 2 or states.shape[1] != n_states.shape[0]:
            raise InvalidStateError(
                f"states must be [T, N] with N = len(n_states) = {n_states.shape[0]}, "
                f"got shape {states.shape}")
        if states.size and (states.min() < 0 or (states.max(axis=0) >= n_states).any()):
            n = int(np.flatnonzero(states.max(axis=0) >= n_states)[0]) \
                if (states.max(axis=0) >= n_states).any() else int(np.argmin(states.min(axis=0)))
            raise InvalidStateError(f"machine {n} has {int(n_states[n])} states, but its state "
                                    f"indices reach {int(states[:, n].max())}")
        self.states = states                                          # [T, N]
        self.n_states = n_states                                      # [N]
        self.offsets = state_offsets(n_states)                        # [N]
        self.n_features = int(n_states.sum())

    @property
    def shape(self) -> tuple[int, int]:
        return (self.states.shape[0], self.n_features)

    @property
    def dtype(self):
        return np.dtype(np.float32)

    def __len__(self) -> int:
        return self.states.shape[0]

    def __getitem__(self, rows) -> StateFeatures:
        """Row selection (a slice, an index array or a bool mask) -> StateFeatures."""
        return StateFeatures(self.states[rows], self.n_states)

    def matmul(self, weights: np.ndarray) -> np.ndarray:
        """``X @ weights`` for ``weights`` [F, K] (or [F]) -> [T, K] (or [T])."""
        w2 = weights.reshape(self.n_features, -1)
        result = np.empty((self.states.shape[0], w2.shape[1]), dtype=w2.dtype)
        kernels.onehot_matmul(self.states, self.offsets, np.ascontiguousarray(w2), result)
        return result.reshape(-1) if weights.ndim == 1 else result

    def rmatmul(self, grads: np.ndarray) -> np.ndarray:
        """``X.T @ grads`` for ``grads`` [T, K] (or [T]) -> [F, K] (or [F])."""
        n_out = 1 if grads.ndim == 1 else grads.shape[1]   # not -1: that cannot reshape 0 rows
        g2 = np.ascontiguousarray(grads.reshape(self.states.shape[0], n_out))
        result = np.empty((self.n_features, g2.shape[1]), dtype=g2.dtype)
        kernels.onehot_rmatmul(self.states, self.offsets, g2, result)
        return result.reshape(-1) if grads.ndim == 1 else result

    def __matmul__(self, weights):
        return self.matmul(weights)

    def column_sums(self) -> np.ndarray:
        """How often each feature is on: [F] int64."""
        return kernels.onehot_column_sums(self.states, self.offsets, self.n_features)

    def column_indices(self) -> np.ndarray:
        """The on-column of each machine at each step: [T, N] int64."""
        return self.states.astype(np.int64) + self.offsets

    def tocsr(self) -> sparse.csr_matrix:
        """The same features as a SciPy CSR matrix (float32, exactly N ones per row)."""
        n_steps, n_machines = self.states.shape
        indptr = np.arange(0, n_steps * n_machines + 1, n_machines, dtype=np.int64)
        data = np.ones(n_steps * n_machines, dtype=np.float32)
        return sparse.csr_matrix((data, self.column_indices().ravel(), indptr), shape=self.shape)

    def toarray(self) -> np.ndarray:
        """The dense [T, F] float32 matrix (only for small banks)."""
        dense = np.zeros(self.shape, dtype=np.float32)
        np.put_along_axis(dense, self.column_indices(), 1.0, axis=1)
        return dense
