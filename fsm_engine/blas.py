"""BLAS and numba thread control.

The LSTM's matrix products are small (batch 32 x 4H); on a shared 2-core machine
OpenBLAS threads cost more than they give (a training step measured 3-10x slower
with two threads under load), and so do numba's parallel kernels on a training
update.  Code that runs many small products wraps them in :func:`one_thread`;
large one-off work (running a big bank over a long input) keeps every thread.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from threadpoolctl import ThreadpoolController


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    # created on first use, after numpy (and scipy) have loaded their BLAS
    return ThreadpoolController()


@contextmanager
def one_thread() -> Iterator[None]:
    """Limit BLAS and the numba kernels to one thread inside the ``with`` block.

    Small, frequent work (a training update, a live page's tick) loses more to
    thread hand-offs than it gains on a shared 2-core machine: measured on a
    one-hot Adam update, 6.3 ms with two numba threads under load against 1.8 ms
    with one.
    """
    import numba

    threads = numba.get_num_threads()
    with _controller().limit(limits=1, user_api="blas"):
        numba.set_num_threads(1)
        try:
            yield
        finally:
            numba.set_num_threads(threads)
