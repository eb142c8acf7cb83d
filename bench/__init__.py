"""Benchmarks of the Regret Regret backend (issue 5); `make bench`, see docs/BENCHMARKS.md."""
