"""Benchmarks: each module runs alone as `python -m benchmarks.<name> [--size N]`, measures
fengkong and the peer it compares with side by side, and prints one JSON line last."""
