"""Time readout epochs and ridge solves: ``python bench/readout.py [--json]``
(see fsm_engine/benchmarks/readout.py)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fsm_engine.benchmarks.readout import main  # noqa: E402  (after the path insert)

if __name__ == "__main__":
    sys.exit(main())
