"""Benchmarks: each module has ``main(argv=None)`` (``fsm-explorer bench NAME``, ``bench/NAME.py``)
and prints figures and JSON; most also have ``run(**options) -> dict`` and
``format_table(result) -> str``."""

#: modules here that are helpers the benchmarks share, not benchmarks
SHARED = ("results", "figures")
