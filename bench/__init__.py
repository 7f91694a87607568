"""Benchmarks: each ``bench/NAME.py [--quick]`` prints a table and, last, one JSON line (``make bench``)."""
