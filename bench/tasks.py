"""Thin wrapper: see fsm_engine/benchmarks/tasks.py (also `fsm-explorer bench tasks`)."""
import sys

from fsm_engine.benchmarks.tasks import main

if __name__ == "__main__":
    sys.exit(main())
