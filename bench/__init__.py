"""Benchmarks: Darcy's cost per request, side by side with a naive agent loop.

`python -m bench` (or `make bench`) prints a table and writes bench/results.json;
`python -m bench --smoke` runs every benchmark once, briefly (a test runs it).
"""
