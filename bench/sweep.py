"""Thin wrapper: see fsm_engine/benchmarks/sweep.py (also `fsm-explorer bench sweep`)."""
import sys

from fsm_engine.benchmarks.sweep import main

if __name__ == "__main__":
    sys.exit(main())
