"""Benchmarks that print their numbers; run them by hand or via `make bench`."""
