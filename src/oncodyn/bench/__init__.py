"""Benchmarks named in the issues: each writes stable JSON keys (``oncodyn bench ...``)."""
