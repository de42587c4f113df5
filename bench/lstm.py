"""Time one LSTM training step, NumPy vs PyTorch.

    python bench/lstm.py [--torch-python /path/to/torch-venv/bin/python] [--json]

PyTorch is timed in its own interpreter (a separate venv) when ``--torch-python``
names one, or in this one if it can import torch.  BLAS thread variables are set
to 1 here, before NumPy is imported, so the comparison with single-threaded
PyTorch is fair from the first product on.
"""
import os
import sys

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

from fsm_engine.benchmarks.lstm import main  # noqa: E402  (after the thread settings)

if __name__ == "__main__":
    sys.exit(main())
