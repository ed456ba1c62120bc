"""Benchmarks: what an idle daemon costs and how it scales (`make bench`)."""
