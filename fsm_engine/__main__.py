"""``python -m fsm_engine``: the ``fsm-explorer`` command line."""
import sys

from .cli import main

sys.exit(main())
