"""Thin wrapper: see fsm_engine/benchmarks/scaling.py (also `fsm-explorer bench scaling`)."""
import sys

from fsm_engine.benchmarks.scaling import main

if __name__ == "__main__":
    sys.exit(main())
