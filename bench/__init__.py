"""Benchmarks of the Regret Regret backend: `make bench`, docs/BENCHMARKS.md."""
