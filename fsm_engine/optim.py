"""Optimisers over a dict of named parameter arrays (shared by readouts and the LSTM)."""
from __future__ import annotations

import numpy as np


class Adam:
    """Adam (Kingma & Ba 2015) with PyTorch's defaults and bias correction.

    ``step(params, grads)`` updates the arrays in ``params`` in place from the
    gradients of the same names.  ``l2`` adds ``l2 * p`` to each gradient
    (PyTorch's ``weight_decay``) except for names listed in ``no_decay``.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, l2=0.0, no_decay=()):
        self.lr, self.betas, self.eps, self.l2 = float(lr), betas, float(eps), float(l2)
        self.no_decay = set(no_decay)
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: dict, grads: dict) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        for name, g in grads.items():
            p = params[name]
            if self.l2 and name not in self.no_decay:
                g = g + self.l2 * p
            m = self.m.setdefault(name, np.zeros_like(p))
            v = self.v.setdefault(name, np.zeros_like(p))
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)

    def state_dict(self) -> dict:
        return {"t": self.t, "m": {k: a.copy() for k, a in self.m.items()},
                "v": {k: a.copy() for k, a in self.v.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.t = int(state["t"])
        self.m = {k: a.copy() for k, a in state["m"].items()}
        self.v = {k: a.copy() for k, a in state["v"].items()}
