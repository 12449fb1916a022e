"""Benchmarks that print figures (throughput, latency, ratios) and save them under benchmarks/results/."""
