"""Thin wrapper: see fsm_engine/benchmarks/extract.py (also `fsm-explorer bench extract`)."""
import sys

from fsm_engine.benchmarks.extract import main

if __name__ == "__main__":
    sys.exit(main())
