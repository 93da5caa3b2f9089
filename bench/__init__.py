"""Benchmark of the scoring engines (not run by pytest): ``python -m bench.run --help``."""
