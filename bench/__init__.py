"""Benchmarks: what each Pulumi operation costs per partner tenant, next to its floors.

`python -m bench.run` (or `make bench`) runs everything and writes bench/results/; see
bench/README.md for what is measured and how to read it.
"""
