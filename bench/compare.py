"""Thin wrapper: see fsm_engine/benchmarks/compare.py (also `fsm-explorer bench compare`)."""
import sys

from fsm_engine.benchmarks.compare import main

if __name__ == "__main__":
    sys.exit(main())
