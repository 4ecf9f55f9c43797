"""Benchmarks are scripts (`python tests/benchmarks/run_all.py`), never pytest tests.

Their files are named `bench_*.py` and helpers, which pytest's default patterns do not pick
up; this makes sure that stays so even when the folder is named on the command line.
"""

collect_ignore_glob = ["*.py"]
