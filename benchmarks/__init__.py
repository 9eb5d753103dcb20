"""Latency, capacity and memory benchmarks of the fabric: `make bench`, `make bench-quick`."""
