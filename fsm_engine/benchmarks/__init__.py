"""Benchmarks: each module has run(**options) -> dict, format_table(result) -> str and
main(argv=None)."""
