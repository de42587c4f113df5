"""Time the echo state network's step against the machine bank's: ``python bench/esn.py [--json]``.

See fsm_engine/benchmarks/esn.py for what is measured and the size flags.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fsm_engine.benchmarks.esn import main  # noqa: E402  (after the path insert)

if __name__ == "__main__":
    main()
