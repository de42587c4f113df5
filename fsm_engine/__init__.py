"""fsm_engine: networks of finite state machines, their readouts, and a NumPy LSTM.

The engine is pure NumPy (plus numba kernels) and never imports Streamlit, so it
works from a notebook or the ``fsm-explorer`` command line.
"""
from .bank import MachineBank
from .errors import FSMError
from .machine import Machine

__all__ = ["FSMError", "Machine", "MachineBank"]
__version__ = "0.1.0"
