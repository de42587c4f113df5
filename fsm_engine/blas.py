"""BLAS thread control.

The LSTM's matrix products are small (batch 32 x 4H); on a shared 2-core machine
OpenBLAS threads cost more than they give (a training step measured 3-10x slower
with two threads under load).  Code that runs many small products wraps them in
:func:`one_thread`; large products (a readout epoch) keep every thread.
"""
from __future__ import annotations

from functools import lru_cache

from threadpoolctl import ThreadpoolController


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    # created on first use, after numpy (and scipy) have loaded their BLAS
    return ThreadpoolController()


def one_thread():
    """Context manager limiting BLAS to one thread."""
    return _controller().limit(limits=1, user_api="blas")
